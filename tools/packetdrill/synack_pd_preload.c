/*
 * tools/packetdrill/synack_pd_preload.c - libsynack_pd_preload.so: routes packetdrill's own
 * getsockopt() on a plug-in socket to the plug-in, so that a script's Python `%{ }%` block
 * sees the TCP_INFO of the stack under test.
 *
 * Why it exists: packetdrill makes a script's system calls through the plug-in's table of
 * function pointers, but for a Python block (gtests/net/packetdrill/code.c, get_data()) it
 * calls libc's getsockopt(live_fd, SOL_TCP, TCP_INFO), then TCP_CC_INFO, then SOL_SOCKET
 * SO_MEMINFO, directly. In plug-in mode live_fd is the plug-in's eventfd, which the kernel
 * answers with ENOTSOCK, and packetdrill stops with "can't find getsockopt to get TCP
 * info". Neither packetdrill nor the scripts are to be changed, so this library is put in
 * front of libc with LD_PRELOAD (scripts/packetdrill.sh, scripts/packetdrill-linux-suite.sh):
 * its getsockopt() asks the plug-in first, and the plug-in answers only for a descriptor it
 * owns; every other call goes on to libc's getsockopt (dlsym(RTLD_NEXT)) untouched.
 *
 * The same for sendfile(): packetdrill's sendfile call (run_system_call.c,
 * syscall_sendfile) goes to libc's sendfile even in plug-in mode, which the kernel refuses
 * with EINVAL on the plug-in's eventfd. Here a sendfile() whose output is a plug-in socket
 * goes to the plug-in, which reads the file and sends what it read (what the system call
 * does, in user space).
 *
 * The plug-in finds this library with dlsym(RTLD_DEFAULT, "synack_pd_preload_register")
 * (and "synack_pd_preload_register_sendfile") when packetdrill loads it (an LD_PRELOAD'ed
 * object is in the global scope, which the plug-in's RTLD_DEEPBIND still searches) and
 * registers its handlers; without the preload nothing changes. One packetdrill process
 * loads one plug-in, so there is one handler of each kind.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The plug-in's handler: returns -2 when fd is not one of its sockets (errno untouched),
 * else what getsockopt returns, with errno set on -1. */
typedef int (*synack_pd_getsockopt_fn)(void *ctx, int fd, int level, int name, void *val,
                                       socklen_t *len);

/* The plug-in's sendfile: -2 when out_fd is not one of its sockets (errno untouched),
 * else what sendfile returns, with errno set on -1. */
typedef ssize_t (*synack_pd_sendfile_fn)(void *ctx, int out_fd, int in_fd, off_t *offset,
                                         size_t count);

void synack_pd_preload_register(synack_pd_getsockopt_fn fn, void *ctx);
void synack_pd_preload_register_sendfile(synack_pd_sendfile_fn fn, void *ctx);
int getsockopt(int fd, int level, int name, void *val, socklen_t *len);
ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count);

/* The registered handler. Written once by packetdrill's main thread when it loads the
 * plug-in and cleared when it frees it; a lock keeps a reader from seeing half of it. */
static pthread_mutex_t preload_mu = PTHREAD_MUTEX_INITIALIZER;
static synack_pd_getsockopt_fn preload_fn;
static void *preload_ctx;
static synack_pd_sendfile_fn preload_sendfile_fn;
static void *preload_sendfile_ctx;

void synack_pd_preload_register(synack_pd_getsockopt_fn fn, void *ctx)
{
    pthread_mutex_lock(&preload_mu);
    preload_fn = fn;
    preload_ctx = ctx;
    pthread_mutex_unlock(&preload_mu);
}

typedef int (*libc_getsockopt_fn)(int, int, int, void *, socklen_t *);

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    pthread_mutex_lock(&preload_mu);
    synack_pd_getsockopt_fn fn = preload_fn;
    void *ctx = preload_ctx;
    pthread_mutex_unlock(&preload_mu);
    if (fn) {
        int r = fn(ctx, fd, level, name, val, len);
        if (r != -2) return r;
    }
    libc_getsockopt_fn next;
    /* POSIX's way of taking a function from dlsym's void * (XSH dlsym, rationale). */
    *(void **)&next = dlsym(RTLD_NEXT, "getsockopt");
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    return next(fd, level, name, val, len);
}

void synack_pd_preload_register_sendfile(synack_pd_sendfile_fn fn, void *ctx)
{
    pthread_mutex_lock(&preload_mu);
    preload_sendfile_fn = fn;
    preload_sendfile_ctx = ctx;
    pthread_mutex_unlock(&preload_mu);
}

typedef ssize_t (*libc_sendfile_fn)(int, int, off_t *, size_t);

ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
    pthread_mutex_lock(&preload_mu);
    synack_pd_sendfile_fn fn = preload_sendfile_fn;
    void *ctx = preload_sendfile_ctx;
    pthread_mutex_unlock(&preload_mu);
    if (fn) {
        ssize_t r = fn(ctx, out_fd, in_fd, offset, count);
        if (r != -2) return r;
    }
    libc_sendfile_fn next;
    *(void **)&next = dlsym(RTLD_NEXT, "sendfile");
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    return next(out_fd, in_fd, offset, count);
}
