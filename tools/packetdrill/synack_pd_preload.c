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
 * And for a script's shell commands, which read the kernel's counters (nstat) and sockets
 * (/proc/net/tcp) and so would see nothing of synack: before packetdrill's system() runs a
 * command, the plug-in writes synack's own in the kernel's formats into a directory of its
 * own (pd_proc.c), and in the command's processes, which inherit this library through
 * LD_PRELOAD, an open() of /proc/net/tcp or /proc/net/tcp6 opens that directory's file
 * instead (SYNACK_PD_PROC_NET names it; nstat is pointed there by iproute2's own
 * PROC_NET_* variables).
 *
 * The plug-in finds this library with dlsym(RTLD_DEFAULT, "synack_pd_preload_register")
 * (and "synack_pd_preload_register_sendfile") when packetdrill loads it (an LD_PRELOAD'ed
 * object is in the global scope, which the plug-in's RTLD_DEEPBIND still searches) and
 * registers its handlers; without the preload nothing changes. One packetdrill process
 * loads one plug-in, so there is one handler of each kind.
 */

#undef _FORTIFY_SOURCE /* open() is defined here: no fortified inline of libc's in the way */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The plug-in's hook before a shell command: it writes its /proc views. */
typedef void (*synack_pd_command_fn)(void *ctx);

void synack_pd_preload_register(synack_pd_getsockopt_fn fn, void *ctx);
void synack_pd_preload_register_command(synack_pd_command_fn fn, void *ctx);
int system(const char *command);
int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);
int openat(int dirfd, const char *path, int flags, ...);
int openat64(int dirfd, const char *path, int flags, ...);
FILE *fopen(const char *path, const char *mode);
FILE *fopen64(const char *path, const char *mode);
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
static synack_pd_command_fn preload_command_fn;
static void *preload_command_ctx;

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

void synack_pd_preload_register_command(synack_pd_command_fn fn, void *ctx)
{
    pthread_mutex_lock(&preload_mu);
    preload_command_fn = fn;
    preload_command_ctx = ctx;
    pthread_mutex_unlock(&preload_mu);
}

typedef int (*libc_system_fn)(const char *);

int system(const char *command)
{
    pthread_mutex_lock(&preload_mu);
    synack_pd_command_fn fn = preload_command_fn;
    void *ctx = preload_command_ctx;
    pthread_mutex_unlock(&preload_mu);
    if (fn && command) fn(ctx);
    libc_system_fn next;
    *(void **)&next = dlsym(RTLD_NEXT, "system");
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    return next(command);
}

/* /proc/net/tcp or tcp6 while SYNACK_PD_PROC_NET names the plug-in's directory: the file
 * there (in buf); any other path as it is. */
static const char *proc_redirect(const char *path, char *buf, size_t cap)
{
    const char *dir = getenv("SYNACK_PD_PROC_NET");
    if (!dir || !path) return path;
    if (strcmp(path, "/proc/net/tcp") != 0 && strcmp(path, "/proc/net/tcp6") != 0) return path;
    snprintf(buf, cap, "%s/%s", dir, path + strlen("/proc/net/"));
    return buf;
}

/* The mode argument of an open that creates (it is read only then). */
#define OPEN_MODE(flags, last, mode)                                                               \
    do {                                                                                           \
        if ((flags) & (O_CREAT | O_TMPFILE)) {                                                     \
            va_list ap;                                                                            \
            va_start(ap, last);                                                                    \
            (mode) = va_arg(ap, mode_t);                                                           \
            va_end(ap);                                                                            \
        }                                                                                          \
    } while (0)

typedef int (*libc_open_fn)(const char *, int, ...);
typedef int (*libc_openat_fn)(int, const char *, int, ...);
typedef FILE *(*libc_fopen_fn)(const char *, const char *);

static int open_next(const char *name, const char *path, int flags, mode_t mode)
{
    char buf[512];
    libc_open_fn next;
    *(void **)&next = dlsym(RTLD_NEXT, name);
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    return next(proc_redirect(path, buf, sizeof buf), flags, mode);
}

static int openat_next(const char *name, int dirfd, const char *path, int flags, mode_t mode)
{
    char buf[512];
    libc_openat_fn next;
    *(void **)&next = dlsym(RTLD_NEXT, name);
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    return next(dirfd, proc_redirect(path, buf, sizeof buf), flags, mode);
}

static FILE *fopen_next(const char *name, const char *path, const char *mode)
{
    char buf[512];
    libc_fopen_fn next;
    *(void **)&next = dlsym(RTLD_NEXT, name);
    if (!next) {
        errno = ENOSYS;
        return NULL;
    }
    return next(proc_redirect(path, buf, sizeof buf), mode);
}

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, flags, mode);
    return open_next("open", path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, flags, mode);
    return open_next("open64", path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, flags, mode);
    return openat_next("openat", dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, flags, mode);
    return openat_next("openat64", dirfd, path, flags, mode);
}

FILE *fopen(const char *path, const char *mode)
{
    return fopen_next("fopen", path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    return fopen_next("fopen64", path, mode);
}
