/*
 * tools/packetdrill/synack_packetdrill.c - libsynack_packetdrill.so: lets packetdrill
 * (github.com/google/packetdrill) script a synack stack.
 *
 * packetdrill dlopen()s this object when run with --so_filename and calls
 * packetdrill_interface_init(flags, ifc), which fills its table of function pointers
 * (gtests/net/packetdrill/packetdrill.h). From then on packetdrill plays the remote host:
 * it hands us the datagrams the script injects (netdev_send), takes the datagrams the stack
 * sends (netdev_receive) and makes the script's system calls through the table.
 *
 * What this file adds to synack's non-blocking, clockless API:
 *   - a clock: the stack's `now` is CLOCK_MONOTONIC in microseconds, and gettimeofday()
 *     hands packetdrill the same clock, so the send times of sniffed packets and the
 *     script's timeline agree;
 *   - a timer thread that sleeps until synack_next_deadline() and runs synack_poll(), so
 *     retransmissions, delayed ACKs and TIME-WAIT happen in real time;
 *   - an in-memory link: what the stack outputs is stamped with its send time and queued
 *     for netdev_receive();
 *   - blocking system calls: one mutex guards the stack, and a call that would block waits
 *     on one condition variable that every change of the stack broadcasts. packetdrill
 *     calls us from two threads (its main thread injects and sniffs packets, its system
 *     call thread makes the calls) and checks that a blocked call really sleeps (thread
 *     state S), which pthread_cond_wait() does;
 *   - real file descriptors: each socket is an eventfd, because packetdrill numbers its
 *     descriptors by what socket() returns and closes leftover ones with the real close();
 *   - Linux's errno values for synack's SYNACK_E* codes, and Linux's socket-option names.
 *
 * Flags (--so_flags, comma- or space-separated key=value):
 *   addr=A[/N]      the stack's address and on-link prefix, either family (IPv4
 *                   192.168.0.1/0: run packetdrill with --local_ip=192.168.0.1; IPv6
 *                   fd3d:fa7b:d17d::1/0: --local_ip=fd3d:fa7b:d17d::1; prefix 0 puts every
 *                   remote on-link); given once per family
 *   mtu=N rcvbuf=N sndbuf=N msl=MS rto_min=MS rto_initial=MS delack=MS
 *   syn_retries=N data_retries=N
 *   cc=cubic|newreno  congestion control (TCP_CONGESTION changes one socket's)
 *   ts=0            no timestamp option (Linux's tcp_timestamps=0)
 *   sndbuf_linux=0  the send buffer counts bytes (synack's rule) instead of Linux's
 *                   memory (cfg.sndbuf_linux, the default here; SO_SNDBUF then doubled)
 *   rto_linux=0     the RTO's floor on the whole RTO (RFC 6298 §2.4, synack's default)
 *                   instead of on its variance term, SRTT + max(4·RTTVAR, rto_min), as
 *                   Linux's (cfg.rto_min_on_var, the default here)
 *   slow_start_limit=N  slow start grows cwnd by at most N segments per ACK (RFC 3465's
 *                   L; 2 is the library's default); 0, the default here, is Linux's
 *                   rule: all an ACK covers, up to ssthresh (cfg.slow_start_limit)
 *   rtt_linux=0     one timed segment per round trip for the RTO estimator (synack's
 *                   default) instead of a sample from every ACK of data sent once, as
 *                   Linux's (cfg.rtt_every_ack, the default here)
 *   hystart_linux=0 RFC 9406's HyStart++ (synack's default) instead of Linux's CUBIC
 *                   HyStart delay test (cfg.hystart_linux, the default here)
 *   rack_linux=0    RACK.rtt from the most recently sent segment an ACK delivers (RFC
 *                   8985 §6.2, synack's default) instead of the last in sequence order, as
 *                   Linux's tcp_rack_advance (cfg.rack_rtt_seq, the default here)
 *   zc_frags=N      at most N fragments (zero-copy iovec elements) per segment
 *                   (cfg.zc_max_frags); 17, Linux's MAX_SKB_FRAGS, by default here; 0: none
 *   sack=0 wscale=0 no SACK-permitted or window scale offered or accepted (Linux's
 *                   tcp_sack=0, tcp_window_scaling=0; the host's sysctls cannot undo them)
 *   ecn=0|1|2       ECN as Linux's tcp_ecn (else read from /proc when a socket is made)
 *   wait=S          how long netdev_receive() waits for the stack to send (default 30);
 *                   then it reports an empty read, which fails the script rather than
 *                   hanging it (packetdrill has no time-out of its own in this mode)
 *   trace=1|FILE    one text line per stack event (segments, states, timers, drops) on
 *                   stderr or in FILE
 *   pcap=FILE       every datagram in and out, for tshark/wireshark
 * A script may carry its own --so_flags="..." line; packetdrill lets the command line's
 * replace it. The environment variable SYNACK_PACKETDRILL_FLAGS holds flags taken before
 * --so_flags (for every script of a run: IPv6 runs need mtu=1520, as Linux's own runner
 * gives packetdrill --mtu=1520, so that scripts written for an MSS of 1460 hold in both
 * families); SYNACK_PACKETDRILL_TRACE=1|FILE turns tracing on whatever the flags.
 *
 * packetdrill's --ip_version: ipv4 uses AF_INET sockets and IPv4 on the wire;
 * ipv4-mapped-ipv6 AF_INET6 sockets with ::ffff:a.b.c.d addresses and IPv4 on the wire;
 * ipv6 AF_INET6 and IPv6 on the wire. Each descriptor remembers its socket's domain and
 * speaks in its addresses.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "synack/synack.h"
#include "synack/trace.h"
#include "pd_errqueue.h"
#include "pd_proc.h"

/* ---- packetdrill's interface (packetdrill.h), declared here so that no code of
 * packetdrill's is part of this repository. The layout must match it field for field. */
struct packetdrill_interface {
    void *userdata;
    void (*free)(void *userdata);
    int (*socket)(void *userdata, int domain, int type, int protocol);
    int (*bind)(void *userdata, int sockfd, const struct sockaddr *addr, socklen_t addrlen);
    int (*listen)(void *userdata, int sockfd, int backlog);
    int (*accept)(void *userdata, int sockfd, struct sockaddr *addr, socklen_t *addrlen);
    int (*connect)(void *userdata, int sockfd, const struct sockaddr *addr, socklen_t addrlen);
    ssize_t (*read)(void *userdata, int fd, void *buf, size_t count);
    ssize_t (*readv)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*recv)(void *userdata, int sockfd, void *buf, size_t len, int flags);
    ssize_t (*recvfrom)(void *userdata, int sockfd, void *buf, size_t len, int flags,
                        struct sockaddr *src_addr, socklen_t *addrlen);
    ssize_t (*recvmsg)(void *userdata, int sockfd, struct msghdr *msg, int flags);
    ssize_t (*write)(void *userdata, int fd, const void *buf, size_t count);
    ssize_t (*writev)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*send)(void *userdata, int sockfd, const void *buf, size_t len, int flags);
    ssize_t (*sendto)(void *userdata, int sockfd, const void *buf, size_t len, int flags,
                      const struct sockaddr *dest_addr, socklen_t addrlen);
    ssize_t (*sendmsg)(void *userdata, int sockfd, const struct msghdr *msg, int flags);
    int (*fcntl)(void *userdata, int fd, int cmd, ...);
    int (*ioctl)(void *userdata, int fd, unsigned long request, ...);
    int (*close)(void *userdata, int fd);
    int (*shutdown)(void *userdata, int sockfd, int how);
    int (*getsockopt)(void *userdata, int sockfd, int level, int optname, void *optval,
                      socklen_t *optlen);
    int (*setsockopt)(void *userdata, int sockfd, int level, int optname, const void *optval,
                      socklen_t optlen);
    int (*poll)(void *userdata, struct pollfd *fds, nfds_t nfds, int timeout);
    int (*netdev_send)(void *userdata, const void *buf, size_t count);
    int (*netdev_receive)(void *userdata, void *buf, size_t *count, long long *time_usecs);
    int (*usleep)(void *userdata, useconds_t usec);
    int (*gettimeofday)(void *userdata, struct timeval *tv, struct timezone *tz);
    int (*epoll_create)(void *userdata, int size);
    int (*epoll_ctl)(void *userdata, int epfd, int op, int fd, struct epoll_event *event);
    int (*epoll_wait)(void *userdata, int epfd, struct epoll_event *events, int maxevents,
                      int timeout);
    int (*pipe)(void *userdata, int pipefd[2]);
    int (*splice)(void *userdata, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
                  size_t len, unsigned int flags);
};

/* The one symbol packetdrill looks up. */
void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc);

/* ---- state ------------------------------------------------------------------------------ */
#define PD_MAX_FDS   4096 /* descriptors are small numbers in a packetdrill run */
#define PD_OUT_SLOTS 4096 /* datagrams sent but not yet sniffed */

enum pd_kind { PD_FREE = 0, PD_SOCKET, PD_EPOLL };

struct pd_epitem {
    int fd;
    uint32_t events; /* what the application asked for, EPOLLET/ONESHOT included */
    epoll_data_t data;
    uint32_t last;         /* EPOLLET: the readiness last reported */
    uint64_t last_rx;      /* EPOLLET: bytes received when last reported (new data = edge) */
    bool disarmed;         /* EPOLLONESHOT fired */
    uint32_t last_notices; /* EPOLLET: error-queue notices when last reported (pd_errqueue.c) */
};

struct pd_epoll {
    struct pd_epitem *items;
    int n, cap;
};

struct pd_fd {
    enum pd_kind kind;
    int sd;          /* PD_SOCKET: the synack descriptor */
    bool nonblock;   /* O_NONBLOCK */
    bool connecting; /* a non-blocking connect() is under way (Linux's SS_CONNECTING) */
    bool listening;
    int domain; /* AF_INET or AF_INET6, as socket() was asked */
    bool shut_rd, shut_wr;
    bool err_taken;    /* the error that ended the connection was reported once already */
    bool inq;          /* TCP_INQ: recvmsg() reports the bytes left (TCP_CM_INQ) */
    bool tfo_deferred; /* TCP_FASTOPEN_CONNECT: connect() returned 0, the SYN waits for data */
    /* IP-level options synack has no use for, accepted and read back as Linux does. */
    int ip_tos, ip_mtu_discover, ip_freebind;
    int ip6_tclass, ip6_mtu_discover; /* the same for IPv6 (AF_INET6 sockets only) */
    int v6only;          /* IPV6_V6ONLY: no IPv4-mapped addresses (pd_bind, pd_connect, any_of) */
    struct pd_epoll *ep; /* PD_EPOLL */
    struct pd_eq *eq;    /* MSG_ZEROCOPY and the error queue (pd_errqueue.c) */
    int so_mark;         /* SO_MARK: kept and read back, synack has no policy routing */
    /* TCP_NOTSENT_LOWAT as the user set it: 0 means the sysctl's (Linux's tcp_notsent_lowat),
     * which the stack is given instead, and getsockopt still says 0. */
    uint32_t lowat;
};

struct pd_pkt {
    uint64_t t;
    uint32_t len;
    uint8_t *data;
};

struct pd {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast on every change of the stack; CLOCK_MONOTONIC */
    synack_stack *st;
    struct synack_config cfg;
    struct pd_fd fds[PD_MAX_FDS];
    struct pd_pkt out[PD_OUT_SLOTS];
    unsigned out_head, out_n;
    uint8_t *scratch; /* one datagram, for synack_output */
    pthread_t timer;
    bool timer_running, stop;
    uint64_t wait_us;
    FILE *trace;
    bool trace_close;
    synack_pcap_writer *pcap;
    bool no_sysctls;       /* tfo= or tfo_key= given: /proc's TCP values are not read */
    bool ecn_flag;         /* ecn= given: /proc's tcp_ecn is not read */
    uint32_t sysctl_lowat; /* net.ipv4.tcp_notsent_lowat when the last socket was made */
    /* The directory of the /proc views a shell command reads (pd_proc.c), when the preload
     * library runs our hook before each command. */
    bool proc_on;
    char proc_dir[64];
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct timespec abs_time(uint64_t us)
{
    struct timespec ts = {.tv_sec = (time_t)(us / 1000000u),
                          .tv_nsec = (long)(us % 1000000u) * 1000};
    return ts;
}

/* synack's codes to Linux's errno values (this file is only built on Linux, so the host's
 * <errno.h> has them). */
static int to_errno(int err)
{
    switch (err) {
    case SYNACK_EINVAL:
        return EINVAL;
    case SYNACK_ENOMEM:
        return ENOMEM;
    case SYNACK_EAGAIN:
        return EAGAIN;
    case SYNACK_EBADF:
        return EBADF;
    case SYNACK_EADDRINUSE:
        return EADDRINUSE;
    case SYNACK_ECONNREFUSED:
        return ECONNREFUSED;
    case SYNACK_ECONNRESET:
        return ECONNRESET;
    case SYNACK_ETIMEDOUT:
        return ETIMEDOUT;
    case SYNACK_ENOTCONN:
        return ENOTCONN;
    case SYNACK_EISCONN:
        return EISCONN;
    case SYNACK_EALREADY:
        return EALREADY;
    case SYNACK_EPIPE:
        return EPIPE;
    case SYNACK_EMFILE:
        return EMFILE;
    case SYNACK_ENOBUFS:
        return ENOBUFS;
    case SYNACK_EMSGSIZE:
        return EMSGSIZE;
    case SYNACK_ENOPROTOOPT:
        return ENOPROTOOPT;
    case SYNACK_EHOSTUNREACH:
        return EHOSTUNREACH;
    case SYNACK_ENETUNREACH:
        return ENETUNREACH;
    case SYNACK_EADDRNOTAVAIL:
        return EADDRNOTAVAIL;
    case SYNACK_ECONNABORTED:
        return ECONNABORTED;
    case SYNACK_EINPROGRESS:
        return EINPROGRESS;
    case SYNACK_EOPNOTSUPP:
        return EOPNOTSUPP;
    case SYNACK_EPROTO:
        return EPROTO;
    case SYNACK_EFAULT:
        return EFAULT;
    default:
        return EIO;
    }
}

static int to_errno_or_0(int err)
{
    return err ? to_errno(err) : 0;
}

static int fail(int e)
{
    errno = e;
    return -1;
}

/* Moves what the stack wants sent into the link queue, stamped with the time it left, and
 * wakes everyone who waits: the sniffer, blocked calls and the timer thread (whose next
 * deadline may have moved). Called with the mutex held after anything that touched the
 * stack. */
static void settle(struct pd *p)
{
    uint64_t now = now_us();
    while (p->out_n < PD_OUT_SLOTS) {
        int n = synack_output(p->st, now, p->scratch, p->cfg.mtu);
        if (n <= 0) break;
        struct pd_pkt *k = &p->out[(p->out_head + p->out_n) % PD_OUT_SLOTS];
        memcpy(k->data, p->scratch, (size_t)n);
        k->len = (uint32_t)n;
        k->t = now;
        p->out_n++;
    }
    pthread_cond_broadcast(&p->cv);
}

/* Sleeps until the stack changes, or until deadline (µs, 0 = no limit). */
static void wait_change(struct pd *p, uint64_t deadline)
{
    if (deadline) {
        struct timespec ts = abs_time(deadline);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    } else {
        pthread_cond_wait(&p->cv, &p->mu);
    }
}

static void *timer_main(void *arg)
{
    struct pd *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        uint64_t now = now_us();
        uint64_t dl = synack_next_deadline(p->st);
        if (dl <= now) {
            synack_poll(p->st, now);
            settle(p);
            /* A timer the stack keeps due would spin us; give it a millisecond. */
            if (synack_next_deadline(p->st) <= now) wait_change(p, now + 1000);
            continue;
        }
        wait_change(p, dl == UINT64_MAX ? 0 : dl);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* The socket behind fd, or NULL with errno set (EBADF for a descriptor that is not ours,
 * ENOTSOCK for an epoll descriptor). */
static struct pd_fd *sock_fd(struct pd *p, int fd)
{
    if (fd < 0 || fd >= PD_MAX_FDS || p->fds[fd].kind == PD_FREE) {
        errno = EBADF;
        return NULL;
    }
    if (p->fds[fd].kind != PD_SOCKET) {
        errno = ENOTSOCK;
        return NULL;
    }
    return &p->fds[fd];
}

static bool is_ours(struct pd *p, int fd)
{
    return fd >= 0 && fd < PD_MAX_FDS && p->fds[fd].kind != PD_FREE;
}

/* A new eventfd-backed descriptor for synack descriptor sd. */
static int new_sock_fd(struct pd *p, int sd)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) return -1;
    if (fd >= PD_MAX_FDS) {
        close(fd);
        return fail(EMFILE);
    }
    /* packetdrill closes leftover descriptors with the real close(), so the kernel may hand
     * the number out again while we still remember it: what we remembered is gone. */
    if (p->fds[fd].kind == PD_SOCKET) synack_abort(p->st, p->fds[fd].sd, now_us());
    if (p->fds[fd].kind == PD_EPOLL) {
        free(p->fds[fd].ep->items);
        free(p->fds[fd].ep);
    }
    pd_eq_free(p->fds[fd].eq); /* after the close or abort: the stack holds no block */
    memset(&p->fds[fd], 0, sizeof p->fds[fd]);
    p->fds[fd].kind = PD_SOCKET;
    p->fds[fd].sd = sd;
    return fd;
}

/* A socket address of the socket's domain, as Linux's inet_bind/inet6_bind take it: an
 * AF_INET6 socket may name an IPv4 peer by its IPv4-mapped address (::ffff:a.b.c.d), which
 * synack_addr_v6 turns into that IPv4 address; "::" is the unspecified address of both. */
static int parse_sin(const struct sockaddr *addr, socklen_t len, int domain, struct synack_addr *a,
                     uint16_t *port)
{
    if (!addr) return EINVAL;
    if (domain == AF_INET6) {
        /* Linux takes RFC 2133's shorter form, without sin6_scope_id (SIN6_LEN_RFC2133). */
        const size_t rfc2133 = offsetof(struct sockaddr_in6, sin6_scope_id);
        if ((size_t)len < rfc2133) return EINVAL;
        if (addr->sa_family != AF_INET6) return EAFNOSUPPORT;
        struct sockaddr_in6 sin6;
        memcpy(&sin6, addr, rfc2133);
        *a = synack_addr_v6(sin6.sin6_addr.s6_addr);
        *port = ntohs(sin6.sin6_port);
        return 0;
    }
    if (len < (socklen_t)sizeof(struct sockaddr_in)) return EINVAL;
    if (addr->sa_family != AF_INET) return EAFNOSUPPORT;
    struct sockaddr_in sin;
    memcpy(&sin, addr, sizeof sin);
    *a = synack_addr_v4(ntohl(sin.sin_addr.s_addr));
    *port = ntohs(sin.sin_port);
    return 0;
}

/* The wildcard address of the socket's domain, as bind() to 0.0.0.0 or :: means it. A
 * v6-only socket must not see IPv4 connections, and synack's wildcard "::" takes both
 * families; the stack has one IPv6 address, so "all of this host's IPv6 addresses" is
 * that address. */
static struct synack_addr any_of(const struct pd *p, const struct pd_fd *f)
{
    if (f->domain != AF_INET6) return synack_addr_v4(0);
    return f->v6only ? p->cfg.addr6 : SYNACK_ADDR_ANY;
}

/* The address as the socket's domain writes it: an AF_INET6 socket reports an IPv4 peer by
 * its IPv4-mapped address, the form synack keeps it in anyway. */
static void fill_sin(struct sockaddr *addr, socklen_t *len, int domain, const struct synack_addr *a,
                     uint16_t port)
{
    if (!addr || !len) return;
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } u;
    memset(&u, 0, sizeof u);
    size_t sz;
    if (domain == AF_INET6) {
        u.v6.sin6_family = AF_INET6;
        memcpy(u.v6.sin6_addr.s6_addr, a->bytes, 16);
        u.v6.sin6_port = htons(port);
        sz = sizeof u.v6;
    } else {
        u.v4.sin_family = AF_INET;
        u.v4.sin_addr.s_addr = htonl(synack_addr_to_v4(a));
        u.v4.sin_port = htons(port);
        sz = sizeof u.v4;
    }
    size_t n = *len < sz ? *len : sz;
    memcpy(addr, &u, n);
    *len = (socklen_t)sz;
}

/* Linux's tcp_poll() mask for a socket, from synack's readiness and state. */
static uint32_t poll_mask(struct pd *p, struct pd_fd *f)
{
    struct synack_sockinfo info;
    if (synack_getinfo(p->st, f->sd, &info) < 0) return POLLNVAL;
    unsigned ev = synack_events(p->st, f->sd);
    int s = info.state;
    if (s == SYNACK_LISTEN) return (ev & SYNACK_EV_READABLE) ? POLLIN | POLLRDNORM : 0;
    uint32_t m = 0;
    if ((ev & SYNACK_EV_ERROR) && !f->err_taken) m |= POLLERR;
    if (ev & SYNACK_EV_NOTICE) m |= POLLERR; /* the error queue is not empty */
    bool peer_fin = s == SYNACK_CLOSE_WAIT || s == SYNACK_CLOSING || s == SYNACK_LAST_ACK ||
                    s == SYNACK_TIME_WAIT;
    bool our_fin = f->shut_wr || s == SYNACK_FIN_WAIT_1 || s == SYNACK_FIN_WAIT_2 ||
                   s == SYNACK_CLOSING || s == SYNACK_LAST_ACK || s == SYNACK_TIME_WAIT;
    /* Linux: HUP when both directions are shut down or the socket is closed (a fresh
     * socket included); RDHUP once the peer's FIN is in. */
    if (s == SYNACK_CLOSED || (peer_fin && our_fin)) m |= POLLHUP;
    if (peer_fin || (s == SYNACK_CLOSED && (ev & SYNACK_EV_CLOSED)) || f->shut_rd)
        m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (ev & SYNACK_EV_READABLE) m |= POLLIN | POLLRDNORM;
    if (s != SYNACK_SYN_SENT && s != SYNACK_SYN_RECEIVED) {
        /* After our FIN (or a reset) writing fails at once, so Linux calls it writable. */
        if (our_fin || s == SYNACK_CLOSED || (ev & SYNACK_EV_WRITABLE)) m |= POLLOUT | POLLWRNORM;
    } else if (f->tfo_deferred) {
        /* TCP_FASTOPEN_CONNECT's SYN waits for a write, so Linux's tcp_poll says writable. */
        m |= POLLOUT | POLLWRNORM;
    }
    return m;
}

/* ---- sockets ---------------------------------------------------------------------------- */
static void fastopen_sysctls(struct pd *p); /* TCP Fast Open, below */

static int pd_socket(void *ud, int domain, int type, int protocol)
{
    struct pd *p = ud;
    if (domain != AF_INET && domain != AF_INET6) return fail(EAFNOSUPPORT);
    int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (base != SOCK_STREAM) return fail(ESOCKTNOSUPPORT);
    if (protocol != 0 && protocol != IPPROTO_TCP) return fail(EPROTONOSUPPORT);
    pthread_mutex_lock(&p->mu);
    fastopen_sysctls(p);
    int sd = synack_socket(p->st);
    int fd = -1;
    if (sd < 0) {
        errno = sd == SYNACK_EMFILE ? ENFILE : to_errno(sd);
    } else {
        fd = new_sock_fd(p, sd);
        if (fd < 0) {
            int e = errno;
            synack_close(p->st, sd, now_us());
            errno = e;
        } else {
            p->fds[fd].nonblock = (type & SOCK_NONBLOCK) != 0;
            p->fds[fd].domain = domain;
            /* Linux: IP_PMTUDISC_WANT (IPv6's too) unless ip_no_pmtu_disc is set. */
            p->fds[fd].ip_mtu_discover = 1;
            p->fds[fd].ip6_mtu_discover = 1;
            /* Linux's tcp_notsent_lowat(): the socket's value, or else the sysctl's. */
            if (p->sysctl_lowat)
                synack_setopt(p->st, sd, SYNACK_OPT_NOTSENT_LOWAT, p->sysctl_lowat);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return fd;
}

static int pd_bind(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
    struct pd *p = ud;
    struct synack_addr a;
    uint16_t port;
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    int e = f ? parse_sin(addr, len, f->domain, &a, &port) : 0;
    if (!e && f && f->v6only) {
        /* Linux: binding a v6-only socket to an IPv4-mapped address "makes no sense". */
        if (synack_addr_is_v4(&a)) e = EINVAL;
        if (synack_addr_is_any(&a)) a = any_of(p, f);
    }
    int r = f && !e ? synack_bind(p->st, f->sd, a, port) : -1;
    if (e)
        errno = e;
    else if (f && r < 0)
        errno = to_errno(r);
    pthread_mutex_unlock(&p->mu);
    return r < 0 ? -1 : 0;
}

static int pd_listen(void *ud, int fd, int backlog)
{
    struct pd *p = ud;
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    int r = -1;
    if (f) {
        /* Linux binds an unbound socket to an ephemeral port on listen(). */
        struct synack_sockinfo info;
        fastopen_sysctls(p);
        if (synack_getinfo(p->st, f->sd, &info) == 0 && info.local.port == 0)
            synack_bind(p->st, f->sd, any_of(p, f), 0);
        r = synack_listen(p->st, f->sd, backlog);
        if (r < 0)
            errno = to_errno(r);
        else
            f->listening = true;
    }
    pthread_mutex_unlock(&p->mu);
    return r < 0 ? -1 : 0;
}

static int pd_accept(void *ud, int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    struct pd *p = ud;
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    int r = -1;
    while (f) {
        struct synack_endpoint peer;
        int sd = synack_accept(p->st, f->sd, &peer);
        if (sd >= 0) {
            r = new_sock_fd(p, sd);
            if (r < 0) {
                int e = errno;
                synack_abort(p->st, sd, now_us());
                errno = e;
            } else {
                fill_sin(addr, addrlen, f->domain, &peer.addr, peer.port);
                /* A connection starts as a copy of its listener (Linux's sk_clone_lock
                 * and tcp_v6_syn_recv_sock): domain and IP-level options. */
                struct pd_fd *c = &p->fds[r];
                c->domain = f->domain;
                c->ip_tos = f->ip_tos;
                c->ip_mtu_discover = f->ip_mtu_discover;
                c->ip_freebind = f->ip_freebind;
                c->ip6_tclass = f->ip6_tclass;
                c->ip6_mtu_discover = f->ip6_mtu_discover;
                c->v6only = f->v6only;
                c->lowat = f->lowat;
            }
            settle(p);
            break;
        }
        if (sd != SYNACK_EAGAIN || f->nonblock) {
            errno = to_errno(sd);
            break;
        }
        wait_change(p, 0);
        f = sock_fd(p, fd); /* closed from another thread meanwhile? */
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* Blocks (sleeping on the stack's changes) until fd's handshake ends: its descriptor when
 * connected; NULL when the descriptor went, or with errno set as Linux's connect reports a
 * failed handshake (the error then counts as taken, as Linux hands sk_err out once). */
static struct pd_fd *wait_connected(struct pd *p, int fd, struct pd_fd *f)
{
    for (;;) {
        unsigned ev = synack_events(p->st, f->sd);
        if (ev & (SYNACK_EV_ERROR | SYNACK_EV_CLOSED)) {
            int se = synack_socket_error(p->st, f->sd);
            errno = se ? to_errno(se) : ECONNREFUSED;
            f->err_taken = true;
            return NULL;
        }
        if (ev & SYNACK_EV_CONNECTED) return f;
        wait_change(p, 0);
        if (!(f = sock_fd(p, fd))) return NULL;
    }
}

static int pd_connect(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
    struct pd *p = ud;
    struct synack_addr a;
    uint16_t port;
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    int r = -1;
    if (!f) goto out;
    int e = parse_sin(addr, len, f->domain, &a, &port);
    /* Linux's tcp_v6_connect(): a v6-only socket has no route to an IPv4-mapped peer. */
    if (!e && f->v6only && synack_addr_is_v4(&a)) e = ENETUNREACH;
    if (e) {
        errno = e;
        goto out;
    }
    if (f->tfo_deferred) {
        /* TCP_FASTOPEN_CONNECT's connect() returned 0 and the SYN waits for data: Linux
         * (__inet_stream_connect, DEFER_CONNECT) calls the socket connected. */
        errno = EISCONN;
        goto out;
    }
    if (f->connecting) {
        /* A later connect() on a non-blocking socket reports how the first one went, as
         * Linux's inet_stream_connect() does: EALREADY while under way, 0 once connected,
         * the error if it failed. */
        unsigned ev = synack_events(p->st, f->sd);
        if (ev & SYNACK_EV_ERROR) {
            f->connecting = false;
            f->err_taken = true;
            errno = to_errno(synack_socket_error(p->st, f->sd));
        } else if (ev & SYNACK_EV_CONNECTED) {
            f->connecting = false;
            r = 0;
        } else {
            errno = EALREADY;
        }
        goto out;
    }
    fastopen_sysctls(p);
    r = synack_connect(p->st, f->sd, now_us(), a, port);
    settle(p);
    if (r == 0) {
        f->tfo_deferred = true; /* TCP_FASTOPEN_CONNECT with a cookie: the SYN waits */
        goto out;
    }
    if (r != SYNACK_EINPROGRESS) {
        errno = to_errno(r);
        r = -1;
        goto out;
    }
    r = -1;
    if (f->nonblock) {
        f->connecting = true;
        errno = EINPROGRESS;
        goto out;
    }
    if (wait_connected(p, fd, f)) r = 0;
out:
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* Linux hands a connection's error (sk_err) out once, to whichever call sees it first:
 * read, write, SO_ERROR or connect. synack keeps reporting it, so we remember it went. */
static void take_error(struct pd *p, struct pd_fd *f)
{
    f->err_taken = true;
    synack_socket_error(p->st, f->sd);
}

/* recv() with Linux's flags: MSG_DONTWAIT, MSG_WAITALL; MSG_PEEK and the rest are not
 * offered by synack. */
static ssize_t do_recv(struct pd *p, int fd, void *buf, size_t len, int flags)
{
    if (flags & ~(MSG_DONTWAIT | MSG_WAITALL | MSG_NOSIGNAL)) return fail(EOPNOTSUPP);
    /* A NULL buffer: synack_recv says EFAULT only when it has bytes to copy, as Linux's copy
     * faults only then (no data: EAGAIN or a wait; the end of the stream: 0). */
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    ssize_t done = 0, r = -1;
    while (f) {
        if (f->listening) {
            errno = ENOTCONN;
            break;
        }
        long n = synack_recv(p->st, f->sd, now_us(), (char *)buf + done, len - (size_t)done);
        settle(p); /* reading may open the window: a window update goes out */
        if (n > 0) {
            done += n;
            if ((flags & MSG_WAITALL) && (size_t)done < len) continue;
            r = done;
            break;
        }
        if (n == 0) { /* end of stream */
            r = done;
            break;
        }
        bool nb = f->nonblock || (flags & MSG_DONTWAIT);
        if (n != SYNACK_EAGAIN || nb) {
            if (done > 0) {
                r = done;
            } else if (n == SYNACK_EFAULT) {
                errno = EFAULT; /* the caller's fault, not the connection's error */
            } else if (n != SYNACK_EAGAIN && f->err_taken) {
                r = 0; /* Linux reports a connection's error once, then end of stream */
            } else {
                errno = to_errno((int)n);
                if (n != SYNACK_EAGAIN && n != SYNACK_ENOTCONN) take_error(p, f);
            }
            break;
        }
        wait_change(p, 0);
        f = sock_fd(p, fd);
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* ---- TCP Fast Open (RFC 7413) ------------------------------------------------------------ */
/* The suite's scripts set net.ipv4.tcp_fastopen, tcp_fastopen_key, tcp_timestamps and
 * tcp_ecn with sysctl in their own namespace: the stack takes them from /proc whenever a
 * socket is made, listens or sends with MSG_FASTOPEN (Linux reads them at those moments
 * too), and the ts=0 flag still wins. Absent files change nothing. */
static bool read_proc(const char *path, char *buf, size_t cap)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return false;
    size_t n = fread(buf, 1, cap - 1, fp);
    (void)fclose(fp); /* read only: nothing to lose on close */
    buf[n] = '\0';
    return n > 0;
}

/* Linux's key text: four 32-bit words in hex, each stored little-endian; a second key
 * after a comma is the backup. */
static bool parse_tfo_key(const char *s, uint8_t key[16])
{
    for (int i = 0; i < 4; i++) {
        char *end;
        errno = 0;
        unsigned long w = strtoul(s, &end, 16);
        if (errno || end == s || end - s > 8 || (i < 3 && *end != '-')) return false;
        for (int b = 0; b < 4; b++) key[4 * i + b] = (uint8_t)(w >> (8 * b));
        s = end + 1;
    }
    return true;
}

static void fastopen_sysctls(struct pd *p)
{
    char buf[160];
    if (p->no_sysctls) return;
    /* tcp_timestamps too: the Fast Open scripts turn it off to check the SYN's layout. */
    if (read_proc("/proc/sys/net/ipv4/tcp_timestamps", buf, sizeof buf))
        synack_set_timestamps(p->st, strtoul(buf, NULL, 0) != 0 && !p->cfg.no_timestamps);
    /* tcp_sack and tcp_window_scaling, as a script may turn them off. */
    if (read_proc("/proc/sys/net/ipv4/tcp_sack", buf, sizeof buf))
        synack_set_sack(p->st, strtoul(buf, NULL, 0) != 0 && !p->cfg.no_sack);
    if (read_proc("/proc/sys/net/ipv4/tcp_window_scaling", buf, sizeof buf))
        synack_set_window_scaling(p->st, strtoul(buf, NULL, 0) != 0 && !p->cfg.no_window_scaling);
    if (read_proc("/proc/sys/net/ipv4/tcp_fastopen", buf, sizeof buf))
        synack_set_fastopen(p->st, (uint32_t)strtoul(buf, NULL, 0));
    /* tcp_ecn: 0 off, 1 ask and accept, 2 accept (RFC 3168; the suite's defaults.sh sets 0,
     * its ECN scripts 1). */
    /* tcp_notsent_lowat: every socket's TCP_NOTSENT_LOWAT until it sets its own. */
    if (read_proc("/proc/sys/net/ipv4/tcp_notsent_lowat", buf, sizeof buf))
        p->sysctl_lowat = (uint32_t)strtoul(buf, NULL, 0);
    if (!p->ecn_flag && read_proc("/proc/sys/net/ipv4/tcp_ecn", buf, sizeof buf))
        synack_set_ecn(p->st, (unsigned)strtoul(buf, NULL, 0) % 3u);
    uint8_t key[16];
    if (read_proc("/proc/sys/net/ipv4/tcp_fastopen_key", buf, sizeof buf) &&
        parse_tfo_key(buf, key)) {
        uint8_t backup[16];
        const char *comma = strchr(buf, ',');
        bool two = comma && parse_tfo_key(comma + 1, backup);
        synack_set_fastopen_key(p->st, key, two ? backup : NULL);
    }
}

/* TCP_FASTOPEN_KEY: 16 bytes (a key) or 32 (key and backup), the socket's own (Linux's
 * per-listener context), so the host's sysctl key stays every other listener's. */
static int fastopen_key_opt(struct pd *p, int fd, const void *val, socklen_t len)
{
    if (len != 16 && len != 32) return fail(EINVAL);
    pthread_mutex_lock(&p->mu);
    const uint8_t *k = val;
    struct pd_fd *f = sock_fd(p, fd);
    int r = f ? synack_set_socket_fastopen_key(p->st, f->sd, k, len == 32 ? k + 16 : NULL)
              : SYNACK_EBADF;
    pthread_mutex_unlock(&p->mu);
    return r < 0 ? fail(to_errno(r)) : 0;
}

static bool fastopen_deferred(struct pd *p, int fd)
{
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    bool d = f && f->tfo_deferred;
    pthread_mutex_unlock(&p->mu);
    return d;
}

static ssize_t plain_send(struct pd *p, int fd, const void *buf, size_t len, int flags);
static ssize_t plain_sendv(struct pd *p, int fd, const struct synack_iov *iov, int n, int flags);

/* The synack state of a descriptor's socket (SYNACK_CLOSED when it has none). */
static int sock_state(struct pd *p, const struct pd_fd *f)
{
    struct synack_sockinfo info;
    return synack_getinfo(p->st, f->sd, &info) < 0 ? SYNACK_CLOSED : info.state;
}

/* sendto() with MSG_FASTOPEN, or the first send of a TCP_FASTOPEN_CONNECT socket whose SYN
 * waits (Linux's tcp_sendmsg_fastopen): the SYN takes what it can (synack_connect_data). A
 * non-blocking call returns that count, or EINPROGRESS when the SYN took nothing (no
 * cookie: it asks for one; or a NULL buffer, whose copy into the SYN faults: the SYN goes
 * without data). A blocking one queues the rest at once, so that it rides with the
 * handshake's ACK as Linux sends it, waits for the connection, and returns every byte; a
 * NULL buffer faults then, at the copy after the handshake (EFAULT). While it waits with
 * bytes the SYN did not take, Linux's writer counts in sk_write_pending
 * (inet_wait_for_connect's writebias: tcp_send_syn_data clears fo->data only when the SYN
 * took all), which delays the SYN-ACK's ACK for its data: SYNACK_OPT_WRITE_PENDING. */
static ssize_t fastopen_send(struct pd *p, int fd, const void *buf, size_t len, int flags,
                             const struct sockaddr *dest, socklen_t destlen)
{
    if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_ZEROCOPY)) return fail(EOPNOTSUPP);
    pthread_mutex_lock(&p->mu);
    fastopen_sysctls(p);
    struct pd_fd *f = sock_fd(p, fd);
    ssize_t r = -1;
    struct synack_addr a;
    uint16_t port = 0;
    long n;
    bool blocking = false;
    unsigned zc = 0; /* MSG_ZEROCOPY: the SYN's data gets an id too (pd_errqueue.c) */
    const void *data = buf;
    if (!f) goto out;
    int state = sock_state(p, f);
    if (!f->tfo_deferred && state != SYNACK_CLOSED) {
        /* Linux (tcp_sendmsg_fastopen, __inet_stream_connect): a second MSG_FASTOPEN while
         * the handshake is under way is EALREADY; once connected the flag is ignored. */
        if (state == SYNACK_SYN_SENT) {
            errno = EALREADY;
            goto out;
        }
        pthread_mutex_unlock(&p->mu);
        return plain_send(p, fd, buf, len, flags);
    }
    /* A NULL buffer goes to the stack as it is: its SYN goes without data (the copy into
     * it faults), as Linux's tcp_send_syn_data falls back. */
    if ((flags & MSG_ZEROCOPY) && buf &&
        !(data = pd_eq_zc_begin(&f->eq, p->st, f->sd, buf, len, &zc))) {
        errno = ENOBUFS;
        goto out;
    }
    if (f->tfo_deferred) {
        n = synack_send_flags(p->st, f->sd, now_us(), data, len, zc);
        f->tfo_deferred = false;
    } else {
        int e = !dest ? EDESTADDRREQ
                : destlen >= sizeof(sa_family_t) && dest->sa_family == AF_UNSPEC
                    ? EOPNOTSUPP
                    : parse_sin(dest, destlen, f->domain, &a, &port);
        if (e) {
            errno = e;
            goto out;
        }
        n = synack_connect_data_flags(p->st, f->sd, now_us(), a, port, data, len, zc);
    }
    if (n > 0 && zc) pd_eq_zc_took(f->eq);
    settle(p);
    if (n < 0 && n != SYNACK_EINPROGRESS) {
        errno = to_errno((int)n);
        goto out;
    }
    size_t done = n > 0 ? (size_t)n : 0;
    f->connecting = true;
    if (f->nonblock || (flags & MSG_DONTWAIT)) {
        /* Linux returns what the SYN took, or EINPROGRESS when it took nothing (an
         * empty buffer too: tcp_sendmsg_locked's copied_syn == 0). */
        if (n == SYNACK_EINPROGRESS || done == 0)
            errno = EINPROGRESS;
        else
            r = (ssize_t)done;
        goto out;
    }
    blocking = true;
    if (buf && done < len) {
        long m = synack_send(p->st, f->sd, now_us(), (const char *)buf + done, len - done);
        if (m > 0) done += (size_t)m;
        settle(p);
    }
    if (done < len) (void)synack_setopt(p->st, f->sd, SYNACK_OPT_WRITE_PENDING, 1);
    struct pd_fd *c = wait_connected(p, fd, f);
    if (!c) {
        f = sock_fd(p, fd); /* still there after a failed handshake: its block goes below */
        if (f) (void)synack_setopt(p->st, f->sd, SYNACK_OPT_WRITE_PENDING, 0);
        goto out;
    }
    f = c;
    (void)synack_setopt(p->st, f->sd, SYNACK_OPT_WRITE_PENDING, 0);
    f->connecting = false;
    r = (ssize_t)done;
out:
    if (f && zc) pd_eq_zc_end(f->eq);
    pthread_mutex_unlock(&p->mu);
    /* Blocking, and the ring took less than all: the rest as any blocking send; when it
     * took nothing, that send's error (a NULL buffer's EFAULT) is the call's. */
    if (blocking && r >= 0 && (size_t)r < len) {
        ssize_t m = plain_send(p, fd, buf ? (const char *)buf + r : NULL, len - (size_t)r, flags);
        if (m > 0)
            r += m;
        else if (m < 0 && r == 0)
            r = m;
    }
    return r;
}

static ssize_t fastopen_sendmsg(struct pd *p, int fd, const struct msghdr *msg, int flags)
{
    size_t total = 0;
    for (size_t i = 0; i < msg->msg_iovlen; i++) total += msg->msg_iov[i].iov_len;
    char *tmp = malloc(total ? total : 1);
    if (!tmp) return fail(ENOMEM);
    /* The copy stops at an element with a NULL base: the bytes before it go (a short
     * write), none at all is a NULL buffer (EFAULT where fastopen_send would copy). */
    size_t off = 0;
    for (size_t i = 0; i < msg->msg_iovlen; i++) {
        if (!msg->msg_iov[i].iov_base && msg->msg_iov[i].iov_len) break;
        if (msg->msg_iov[i].iov_len)
            memcpy(tmp + off, msg->msg_iov[i].iov_base, msg->msg_iov[i].iov_len);
        off += msg->msg_iov[i].iov_len;
    }
    ssize_t r = fastopen_send(p, fd, off || !total ? tmp : NULL, off || !total ? off : total,
                              flags & ~MSG_FASTOPEN, msg->msg_name, msg->msg_namelen);
    free(tmp);
    return r;
}

/* send(): with MSG_FASTOPEN, or on a socket whose connect waits for its first send
 * (TCP_FASTOPEN_CONNECT), the SYN carries the data (fastopen_send); else plain_send. */
static ssize_t do_send(struct pd *p, int fd, const void *buf, size_t len, int flags)
{
    if (flags & MSG_FASTOPEN || fastopen_deferred(p, fd))
        return fastopen_send(p, fd, buf, len, flags & ~MSG_FASTOPEN, NULL, 0);
    return plain_send(p, fd, buf, len, flags);
}

/* send() the way Linux does for a blocking socket: every byte is queued before it returns
 * (or an error ends it); a non-blocking one takes what fits. */
static ssize_t plain_send(struct pd *p, int fd, const void *buf, size_t len, int flags)
{
    struct synack_iov one = {.base = buf, .len = len};
    return plain_sendv(p, fd, &one, 1, flags);
}

/* The elements of iov[0..n) after the first done bytes, into out: how many. */
static int iov_rest(const struct synack_iov *iov, int n, size_t done, struct synack_iov *out)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (done >= iov[i].len) {
            done -= iov[i].len;
            continue;
        }
        out[k++] =
            (struct synack_iov){.base = (const char *)iov[i].base + done, .len = iov[i].len - done};
        done = 0;
    }
    return k;
}

/* plain_send over an iovec (writev, sendmsg): the stack takes the elements as they are, so
 * that a zero-copy sendmsg's elements stay fragments of their own (cfg.zc_max_frags, Linux's
 * MAX_SKB_FRAGS). */
static ssize_t plain_sendv(struct pd *p, int fd, const struct synack_iov *iov_in, int n, int flags)
{
    if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR | MSG_ZEROCOPY))
        return fail(EOPNOTSUPP);
    if (n < 0) return fail(EINVAL);
    if (n > SYNACK_IOV_MAX) return fail(EMSGSIZE); /* Linux: more than UIO_MAXIOV */
    /* An element with a NULL base is left to the stack, which answers as Linux's
     * tcp_sendmsg_locked: the state and the room first, then the copy, which takes the
     * bytes before the bad element (a short write) or faults (EFAULT) when there are none. */
    size_t len = 0;
    for (int i = 0; i < n; i++) len += iov_in[i].len;
    /* The caller's array, then (MSG_ZEROCOPY) the same pointing into the plug-in's block;
     * rest: what is left after a partial take. */
    struct synack_iov *iov = malloc(2 * (size_t)(n ? n : 1) * sizeof *iov);
    if (!iov) return fail(ENOMEM);
    struct synack_iov *rest = iov + (n ? n : 1);
    if (n) memcpy(iov, iov_in, (size_t)n * sizeof *iov);
    /* MSG_MORE holds a partial segment; MSG_EOR ends a record once the whole buffer is
     * queued (synack takes the flag on the call that queues the last byte). */
    unsigned sflags =
        ((flags & MSG_MORE) ? SYNACK_SEND_MORE : 0u) | ((flags & MSG_EOR) ? SYNACK_SEND_EOR : 0u);
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    ssize_t done = 0, r = -1;
    /* While an active open is under way, Linux's sk_stream_wait_connect(): a non-blocking
     * write is EAGAIN, a blocking one waits for the handshake (synack would queue it),
     * counted in sk_write_pending, which delays the SYN-ACK's ACK for its data
     * (SYNACK_OPT_WRITE_PENDING). */
    bool waited = false;
    while (f && !f->tfo_deferred && sock_state(p, f) == SYNACK_SYN_SENT) {
        if (f->nonblock || (flags & MSG_DONTWAIT)) {
            errno = EAGAIN;
            pthread_mutex_unlock(&p->mu);
            free(iov);
            return -1;
        }
        if (!waited) (void)synack_setopt(p->st, f->sd, SYNACK_OPT_WRITE_PENDING, 1);
        waited = true;
        wait_change(p, 0);
        f = sock_fd(p, fd);
    }
    if (f && waited) (void)synack_setopt(p->st, f->sd, SYNACK_OPT_WRITE_PENDING, 0);
    /* MSG_ZEROCOPY: the stack reads a block the plug-in keeps until it is reported done. */
    if (f && (flags & MSG_ZEROCOPY) && !pd_eq_zc_begin_iov(&f->eq, p->st, f->sd, iov, n, &sflags)) {
        errno = ENOBUFS;
        f = NULL;
    }
    while (f) {
        if ((sflags & SYNACK_SEND_ZEROCOPY) && !pd_eq_zc_reserve(f->eq)) {
            if (done > 0) {
                r = done;
            } else {
                errno = ENOBUFS;
            }
            break;
        }
        int k = iov_rest(iov, n, (size_t)done, rest);
        long m = synack_sendv(p->st, f->sd, now_us(), rest, k, sflags);
        settle(p);
        if (m > 0 && (sflags & SYNACK_SEND_ZEROCOPY)) pd_eq_zc_took(f->eq);
        if (m >= 0) {
            done += m;
            if ((size_t)done >= len) {
                r = done;
                break;
            }
            if (m > 0) continue;
            m = SYNACK_EAGAIN;
        }
        bool nb = f->nonblock || (flags & MSG_DONTWAIT);
        if (m != SYNACK_EAGAIN || nb) {
            if (done > 0) {
                r = done;
            } else if (m == SYNACK_EFAULT) {
                errno = EFAULT; /* the caller's fault, not the connection's error */
            } else if (m != SYNACK_EAGAIN && m != SYNACK_EPIPE && f->err_taken) {
                errno = EPIPE; /* after the error was reported, as Linux: EPIPE */
            } else {
                /* Linux's tcp_sendmsg on a socket never connected (or listening): its
                 * sk_stream_wait_connect says EPIPE, not ENOTCONN. */
                errno = m == SYNACK_ENOTCONN ? EPIPE : to_errno((int)m);
                if (m != SYNACK_EAGAIN && m != SYNACK_EPIPE && m != SYNACK_ENOTCONN)
                    take_error(p, f);
            }
            break;
        }
        wait_change(p, 0);
        f = sock_fd(p, fd);
    }
    if (f && (sflags & SYNACK_SEND_ZEROCOPY)) pd_eq_zc_end(f->eq);
    pthread_mutex_unlock(&p->mu);
    free(iov);
    return r;
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t count)
{
    struct pd *p = ud;
    if (!is_ours(p, fd)) return read(fd, buf, count);
    return do_recv(p, fd, buf, count, 0);
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t len, int flags)
{
    return do_recv(ud, fd, buf, len, flags);
}

static ssize_t
pd_recvfrom(void *ud, int fd, void *buf, size_t len, int flags,
            // cppcheck-suppress constParameter ; the type of packetdrill's recvfrom hook
            struct sockaddr *src, socklen_t *srclen)
{
    ssize_t r = do_recv(ud, fd, buf, len, flags);
    /* TCP does not report a source address (Linux leaves msg_namelen 0). */
    if (r >= 0 && src && srclen) *srclen = 0;
    return r;
}

static size_t iov_total(const struct iovec *iov, int n)
{
    size_t t = 0;
    for (int i = 0; i < n; i++) t += iov[i].iov_len;
    return t;
}

static ssize_t recv_iov(struct pd *p, int fd, const struct iovec *iov, int n, int flags)
{
    if (n < 0) return fail(EINVAL);
    size_t total = iov_total(iov, n);
    char *tmp = malloc(total ? total : 1);
    if (!tmp) return fail(ENOMEM);
    ssize_t r = do_recv(p, fd, tmp, total, flags);
    for (ssize_t off = 0, i = 0; r > 0 && off < r && i < n; i++) {
        size_t k = iov[i].iov_len < (size_t)(r - off) ? iov[i].iov_len : (size_t)(r - off);
        memcpy(iov[i].iov_base, tmp + off, k);
        off += (ssize_t)k;
    }
    free(tmp);
    return r;
}

static ssize_t send_iov(struct pd *p, int fd, const struct iovec *iov, int n, int flags)
{
    if (n < 0) return fail(EINVAL);
    /* An ordinary send takes the elements as they are (plain_sendv); a Fast Open one, one
     * buffer. */
    if (!(flags & MSG_FASTOPEN) && !fastopen_deferred(p, fd)) {
        if (n > SYNACK_IOV_MAX) return fail(EMSGSIZE);
        struct synack_iov *v = malloc((size_t)(n ? n : 1) * sizeof *v);
        if (!v) return fail(ENOMEM);
        for (int i = 0; i < n; i++) v[i] = (struct synack_iov){iov[i].iov_base, iov[i].iov_len};
        ssize_t r = plain_sendv(p, fd, v, n, flags);
        free(v);
        return r;
    }
    size_t total = iov_total(iov, n);
    char *tmp = malloc(total ? total : 1);
    if (!tmp) return fail(ENOMEM);
    for (size_t off = 0, i = 0; i < (size_t)n; i++) {
        memcpy(tmp + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    ssize_t r = do_send(p, fd, tmp, total, flags);
    free(tmp);
    return r;
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int n)
{
    struct pd *p = ud;
    if (!is_ours(p, fd)) return readv(fd, iov, n);
    return recv_iov(p, fd, iov, n, 0);
}

/* Linux's tcp_inq_hint(): the bytes left to read, and 1 at the end of the stream when
 * none are (so that a reader knows to read once more and see it). */
static int inq_hint(struct pd *p, struct pd_fd *f)
{
    long v = 0;
    struct synack_sockinfo info;
    if (synack_getopt(p->st, f->sd, SYNACK_OPT_INQ, &v) < 0) return 0;
    if (v == 0 && synack_getinfo(p->st, f->sd, &info) == 0) {
        int s = info.state;
        if (s == SYNACK_CLOSE_WAIT || s == SYNACK_CLOSING || s == SYNACK_LAST_ACK ||
            s == SYNACK_TIME_WAIT || s == SYNACK_CLOSED)
            v = 1;
    }
    return (int)v;
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
    struct pd *p = ud;
    if (!msg) return fail(EFAULT);
    if (flags & MSG_ERRQUEUE) { /* zero-copy completions, timestamps: pd_errqueue.c */
        pthread_mutex_lock(&p->mu);
        struct pd_fd *f = sock_fd(p, fd);
        ssize_t e = f ? pd_eq_recvmsg(&f->eq, p->st, f->sd, f->domain, msg, flags) : -1;
        pthread_mutex_unlock(&p->mu);
        return e;
    }
    ssize_t r = recv_iov(ud, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
    if (r >= 0) {
        size_t room = msg->msg_controllen;
        msg->msg_namelen = 0;
        msg->msg_controllen = 0;
        msg->msg_flags = 0;
        pthread_mutex_lock(&p->mu);
        struct pd_fd *f = sock_fd(p, fd);
        if (f && f->inq && msg->msg_control && room >= CMSG_SPACE(sizeof(int))) {
            /* TCP_INQ: one control message, TCP_CM_INQ, with the bytes left. */
            struct cmsghdr *c = (struct cmsghdr *)msg->msg_control;
            int inq = inq_hint(p, f);
            c->cmsg_level = SOL_TCP;
            c->cmsg_type = TCP_CM_INQ;
            c->cmsg_len = CMSG_LEN(sizeof inq);
            memcpy(CMSG_DATA(c), &inq, sizeof inq);
            msg->msg_controllen = CMSG_SPACE(sizeof inq);
        } else if (f && f->inq && msg->msg_control && room > 0) {
            msg->msg_flags |= MSG_CTRUNC;
        }
        pthread_mutex_unlock(&p->mu);
    }
    return r;
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t count)
{
    struct pd *p = ud;
    if (!is_ours(p, fd)) return write(fd, buf, count);
    return do_send(p, fd, buf, count, 0);
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int n)
{
    struct pd *p = ud;
    if (!is_ours(p, fd)) return writev(fd, iov, n);
    return send_iov(p, fd, iov, n, 0);
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t len, int flags)
{
    return do_send(ud, fd, buf, len, flags);
}

static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t len, int flags,
                         const struct sockaddr *dest, socklen_t destlen)
{
    /* Linux's tcp_sendmsg() ignores the address on a connected TCP socket. */
    if (flags & MSG_FASTOPEN)
        return fastopen_send(ud, fd, buf, len, flags & ~MSG_FASTOPEN, dest, destlen);
    return do_send(ud, fd, buf, len, flags);
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
    if (!msg) return fail(EFAULT);
    if (msg->msg_controllen) return fail(EOPNOTSUPP);
    if (flags & MSG_FASTOPEN) return fastopen_sendmsg(ud, fd, msg, flags);
    return send_iov(ud, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
}

/* Whether fcntl's cmd takes an int argument (reading one that was not passed is undefined). */
static bool fcntl_has_arg(int cmd)
{
    return cmd == F_SETFL || cmd == F_SETFD || cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ||
           cmd == F_SETOWN || cmd == F_SETSIG;
}

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
    struct pd *p = ud;
    int arg = 0;
    if (fcntl_has_arg(cmd)) {
        va_list ap;
        va_start(ap, cmd);
        arg = va_arg(ap, int);
        va_end(ap);
    }
    pthread_mutex_lock(&p->mu);
    int r;
    if (!is_ours(p, fd)) {
        pthread_mutex_unlock(&p->mu);
        return fcntl_has_arg(cmd) ? fcntl(fd, cmd, arg) : fcntl(fd, cmd);
    }
    struct pd_fd *f = &p->fds[fd];
    switch (cmd) {
    case F_GETFL:
        r = O_RDWR | (f->nonblock ? O_NONBLOCK : 0);
        break;
    case F_SETFL:
        f->nonblock = (arg & O_NONBLOCK) != 0;
        r = 0;
        break;
    default:
        /* F_GETFD/F_SETFD and the like: the eventfd has them. */
        r = fcntl_has_arg(cmd) ? fcntl(fd, cmd, arg) : fcntl(fd, cmd);
        break;
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

static int pd_ioctl(void *ud, int fd, unsigned long request, ...)
{
    struct pd *p = ud;
    /* Every request we know takes an int pointer; packetdrill passes one for those. */
    bool known = request == FIONBIO || request == SIOCINQ || request == SIOCOUTQ;
    int *argp = NULL;
    if (known) {
        va_list ap;
        va_start(ap, request);
        argp = va_arg(ap, int *);
        va_end(ap);
    }
    if (!is_ours(p, fd)) {
        if (known) return ioctl(fd, request, argp);
        return fail(ENOTTY); /* an unknown request's argument cannot be passed on */
    }
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    int r = -1;
    struct synack_sockinfo info;
    if (f) {
        switch (request) {
        case FIONBIO:
            f->nonblock = argp && *argp;
            r = 0;
            break;
        case SIOCINQ:  /* = FIONREAD: bytes ready to read */
        case SIOCOUTQ: /* bytes not yet acknowledged, as Linux counts them */
            if (!argp) {
                errno = EFAULT;
            } else if (f->listening) {
                errno = EINVAL;
            } else if (synack_getinfo(p->st, f->sd, &info) == 0) {
                *argp = (int)(request == SIOCINQ ? info.rcv_queued : info.snd_queued);
                r = 0;
            } else {
                errno = EBADF;
            }
            break;
        default:
            errno = ENOTTY;
            break;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

static void forget_fd(struct pd *p, int fd)
{
    if (p->fds[fd].kind == PD_EPOLL) {
        free(p->fds[fd].ep->items);
        free(p->fds[fd].ep);
    }
    pd_eq_free(p->fds[fd].eq); /* after the close or abort: the stack holds no block */
    memset(&p->fds[fd], 0, sizeof p->fds[fd]);
    /* Linux takes a closed descriptor out of every epoll set. */
    for (int i = 0; i < PD_MAX_FDS; i++) {
        struct pd_epoll *ep = p->fds[i].kind == PD_EPOLL ? p->fds[i].ep : NULL;
        for (int j = 0; ep && j < ep->n; j++) {
            if (ep->items[j].fd == fd) ep->items[j--] = ep->items[--ep->n];
        }
    }
}

static int pd_close(void *ud, int fd)
{
    struct pd *p = ud;
    pthread_mutex_lock(&p->mu);
    int r = 0;
    if (is_ours(p, fd)) {
        if (p->fds[fd].kind == PD_SOCKET) {
            r = synack_close(p->st, p->fds[fd].sd, now_us());
            settle(p);
        }
        forget_fd(p, fd);
    }
    pthread_mutex_unlock(&p->mu);
    if (close(fd) < 0) return -1;
    return r < 0 ? fail(to_errno(r)) : 0;
}

static int pd_shutdown(void *ud, int fd, int how)
{
    struct pd *p = ud;
    int h = how == SHUT_RD     ? SYNACK_SHUT_RD
            : how == SHUT_WR   ? SYNACK_SHUT_WR
            : how == SHUT_RDWR ? SYNACK_SHUT_RDWR
                               : 0;
    if (!h) return fail(EINVAL);
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    int r = -1;
    if (f) {
        r = synack_shutdown(p->st, f->sd, now_us(), h);
        settle(p);
        if (r < 0) {
            errno = to_errno(r);
        } else {
            f->shut_rd |= (h & SYNACK_SHUT_RD) != 0;
            f->shut_wr |= (h & SYNACK_SHUT_WR) != 0;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return r < 0 ? -1 : 0;
}

/* Linux's option numbers that older libc headers may lack (include/uapi/linux/tcp.h,
 * asm-generic/socket.h). */
#define PD_TCP_CC_INFO 26
#define PD_SO_MEMINFO  55

/* ---- TCP_INFO ---------------------------------------------------------------------------- */
/* Linux's struct tcp_info (include/uapi/linux/tcp.h, 6.18), field for field up to the
 * Accurate ECN bits; getsockopt copies as much as the caller's buffer takes, as Linux
 * does. Declared here because glibc's <netinet/tcp.h> has an older, shorter one. */
struct pd_tcp_info {
    uint8_t tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes, tcpi_backoff, tcpi_options;
    uint8_t tcpi_wscale;      /* snd_wscale : 4, rcv_wscale : 4 (snd in the low bits) */
    uint8_t tcpi_app_limited; /* delivery_rate_app_limited : 1, fastopen_client_fail : 2 */
    uint32_t tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_last_data_sent, tcpi_last_ack_sent, tcpi_last_data_recv, tcpi_last_ack_recv;
    uint32_t tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar, tcpi_snd_ssthresh;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_snd_cwnd, tcpi_advmss, tcpi_reordering, tcpi_rcv_rtt, tcpi_rcv_space;
    uint32_t tcpi_total_retrans;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint64_t tcpi_pacing_rate, tcpi_max_pacing_rate, tcpi_bytes_acked, tcpi_bytes_received;
    uint32_t tcpi_segs_out, tcpi_segs_in, tcpi_notsent_bytes, tcpi_min_rtt;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_data_segs_in, tcpi_data_segs_out;
    uint64_t tcpi_delivery_rate, tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_delivered, tcpi_delivered_ce;
    uint64_t tcpi_bytes_sent, tcpi_bytes_retrans;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_dsack_dups, tcpi_reord_seen, tcpi_rcv_ooopack, tcpi_snd_wnd, tcpi_rcv_wnd;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_rehash;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint16_t tcpi_total_rto, tcpi_total_rto_recoveries;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_total_rto_time;
    /* Accurate ECN's counters (Linux 6.18); synack has classic ECN only: 0. */
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_received_ce, tcpi_delivered_e1_bytes, tcpi_delivered_e0_bytes;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_delivered_ce_bytes, tcpi_received_e1_bytes, tcpi_received_e0_bytes;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_received_ce_bytes;
    // cppcheck-suppress unusedStructMember ; Linux's tcp_info layout, copied whole
    uint32_t tcpi_ecn_bits; /* ecn_mode : 2, accecn_opt_seen : 2, fail_mode : 4, options2 */
};

/* Linux's TCP state numbers (include/net/tcp_states.h). */
static uint8_t linux_state(int s)
{
    static const uint8_t map[] = {
        [SYNACK_CLOSED] = 7,       [SYNACK_LISTEN] = 10,     [SYNACK_SYN_SENT] = 2,
        [SYNACK_SYN_RECEIVED] = 3, [SYNACK_ESTABLISHED] = 1, [SYNACK_FIN_WAIT_1] = 4,
        [SYNACK_FIN_WAIT_2] = 5,   [SYNACK_CLOSE_WAIT] = 8,  [SYNACK_CLOSING] = 11,
        [SYNACK_LAST_ACK] = 9,     [SYNACK_TIME_WAIT] = 6,
    };
    return s >= 0 && (size_t)s < sizeof map ? map[s] : 7;
}

static uint32_t clamp_u32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Milliseconds from a stack time to now (Linux's tcpi_last_*: jiffies since then). */
static uint32_t ms_since(uint64_t now, uint64_t then)
{
    return then && now > then ? clamp_u32((now - then) / 1000u) : 0;
}

static void fill_tcp_info(const struct synack_sockinfo *in, struct pd_tcp_info *ti, uint64_t now)
{
    memset(ti, 0, sizeof *ti);
    uint32_t mss = in->snd_mss ? in->snd_mss : 1;
    ti->tcpi_state = linux_state(in->state);
    ti->tcpi_ca_state = in->ca_state;
    ti->tcpi_retransmits = in->backoff;
    ti->tcpi_probes = in->probes;
    ti->tcpi_backoff = in->backoff;
    ti->tcpi_options = (uint8_t)((in->ts_ok ? 1 : 0) | (in->sack_ok ? 2 : 0) |
                                 (in->snd_wscale || in->rcv_wscale ? 4 : 0) |
                                 (in->syn_data ? 32 : 0)); /* TCPI_OPT_SYN_DATA */
    ti->tcpi_wscale = (uint8_t)((in->snd_wscale & 0xf) | (in->rcv_wscale & 0xf) << 4);
    ti->tcpi_rto = clamp_u32(in->rto_us);
    ti->tcpi_ato = in->ato_us;
    ti->tcpi_snd_mss = in->snd_mss;
    ti->tcpi_rcv_mss = in->rcv_mss;
    ti->tcpi_unacked = in->unacked;
    ti->tcpi_sacked = in->sacked;
    ti->tcpi_lost = in->lost;
    ti->tcpi_retrans = in->retrans;
    ti->tcpi_pmtu = in->pmtu;
    ti->tcpi_rcv_ssthresh = in->rcv_wnd;
    ti->tcpi_rtt = clamp_u32(in->srtt_us);
    ti->tcpi_rttvar = clamp_u32(in->rttvar_us);
    /* Linux counts both windows in segments; an unset ssthresh is TCP_INFINITE_SSTHRESH. */
    ti->tcpi_snd_ssthresh =
        in->ssthresh / mss >= 0x7fffffffu / 1460 ? 0x7fffffffu : in->ssthresh / mss;
    ti->tcpi_snd_cwnd = in->cwnd / mss;
    ti->tcpi_advmss = in->advmss;
    ti->tcpi_reordering = in->reordering;
    ti->tcpi_rcv_space = in->rcv_space;
    ti->tcpi_total_retrans = clamp_u32(in->retransmits);
    ti->tcpi_bytes_acked = in->bytes_acked;
    ti->tcpi_bytes_received = in->bytes_received;
    ti->tcpi_segs_out = clamp_u32(in->segs_out);
    ti->tcpi_segs_in = clamp_u32(in->segs_in);
    ti->tcpi_notsent_bytes = in->notsent_bytes;
    ti->tcpi_min_rtt = in->min_rtt_us ? clamp_u32(in->min_rtt_us) : UINT32_MAX;
    ti->tcpi_delivery_rate = in->delivery_rate;
    ti->tcpi_app_limited = in->delivery_rate_app_limited ? 1 : 0; /* the bitfield's bit 0 */
    ti->tcpi_busy_time = in->busy_time_us;
    ti->tcpi_rwnd_limited = in->rwnd_limited_us;
    ti->tcpi_sndbuf_limited = in->sndbuf_limited_us;
    ti->tcpi_bytes_sent = in->bytes_sent;
    ti->tcpi_bytes_retrans = in->bytes_retrans;
    ti->tcpi_dsack_dups = in->dsack_dups;
    ti->tcpi_reord_seen = in->reord_seen;
    ti->tcpi_delivered = in->delivered;
    ti->tcpi_last_data_sent = ms_since(now, in->last_data_sent_us);
    ti->tcpi_last_data_recv = ms_since(now, in->last_data_recv_us);
    ti->tcpi_last_ack_recv = ms_since(now, in->last_recv_us);
    ti->tcpi_snd_wnd = in->snd_wnd;
    ti->tcpi_rcv_wnd = in->rcv_wnd;
    ti->tcpi_total_rto = (uint16_t)(in->rto_timeouts > 65535 ? 65535 : in->rto_timeouts);
}

/* ---- socket options ------------------------------------------------------------------ */
/* The synack option for a Linux (level, name), or 0. */
static int map_opt(int level, int name)
{
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR:
            return SYNACK_OPT_REUSEADDR;
        case SO_RCVBUF:
            return SYNACK_OPT_RCVBUF;
        case SO_SNDBUF:
            return SYNACK_OPT_SNDBUF;
        case SO_LINGER:
            return SYNACK_OPT_LINGER;
        case SO_KEEPALIVE:
            return SYNACK_OPT_KEEPALIVE;
        case SO_ZEROCOPY:
            return SYNACK_OPT_ZEROCOPY;
        case SO_TIMESTAMPING_OLD:
        case SO_TIMESTAMPING_NEW:
            return SYNACK_OPT_TIMESTAMPING;
        }
    } else if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY:
            return SYNACK_OPT_NODELAY;
        case TCP_CORK:
            return SYNACK_OPT_CORK;
        case TCP_NOTSENT_LOWAT:
            return SYNACK_OPT_NOTSENT_LOWAT;
        case TCP_USER_TIMEOUT:
            return SYNACK_OPT_USER_TIMEOUT;
        case TCP_SYNCNT:
            return SYNACK_OPT_SYNCNT;
        case TCP_MAXSEG:
            return SYNACK_OPT_MAXSEG;
        case TCP_KEEPIDLE:
            return SYNACK_OPT_KEEPIDLE;
        case TCP_KEEPINTVL:
            return SYNACK_OPT_KEEPINTVL;
        case TCP_KEEPCNT:
            return SYNACK_OPT_KEEPCNT;
        case TCP_FASTOPEN:
            return SYNACK_OPT_FASTOPEN;
        case TCP_FASTOPEN_CONNECT:
            return SYNACK_OPT_FASTOPEN_CONNECT;
        }
    }
    return 0;
}

/* The IP-level options the plug-in keeps itself (synack has nothing to do with them), or
 * NULL. */
static int *ip_opt(struct pd_fd *f, int level, int name)
{
    /* Linux's AF_INET6 sockets take the IPv4 options too (for IPv4-mapped peers); an
     * AF_INET socket knows no IPv6 option (pd_setsockopt and pd_getsockopt say so). */
    if (level == IPPROTO_IPV6 && f->domain == AF_INET6) {
        switch (name) {
        case IPV6_TCLASS:
            return &f->ip6_tclass;
        case IPV6_MTU_DISCOVER:
            return &f->ip6_mtu_discover;
        case IPV6_V6ONLY:
            return &f->v6only;
        }
    }
    if (level != IPPROTO_IP) return NULL;
    switch (name) {
    case IP_TOS:
        return &f->ip_tos;
    case IP_MTU_DISCOVER:
        return &f->ip_mtu_discover;
    case IP_FREEBIND:
        return &f->ip_freebind;
    }
    return NULL;
}

/* Whether the socket has a local port (Linux's inet_num): IPV6_V6ONLY is fixed from then. */
static bool is_bound(struct pd *p, const struct pd_fd *f)
{
    struct synack_sockinfo info;
    return synack_getinfo(p->st, f->sd, &info) == 0 && info.local.port != 0;
}

/* setsockopt of an option ip_opt() keeps: Linux's range checks (ipv4/ip_sockglue.c,
 * ipv6/ipv6_sockglue.c), then the value as getsockopt reads it back. 0 or an errno. */
static int set_ip_opt(struct pd *p, struct pd_fd *f, int level, int name, long v, int *slot)
{
    if (level == IPPROTO_IPV6) {
        switch (name) {
        case IPV6_TCLASS:
            /* -1 is the default, 0 (RFC 3542 §6.5); TCP keeps the ECN bits to itself. */
            if (v < -1 || v > 0xff) return EINVAL;
            *slot = v == -1 ? 0 : (int)(v & 0xfc);
            return 0;
        case IPV6_MTU_DISCOVER: /* IPV6_PMTUDISC_DONT .. IPV6_PMTUDISC_OMIT */
            if (v < 0 || v > 5) return EINVAL;
            *slot = (int)v;
            return 0;
        case IPV6_V6ONLY:
            if (is_bound(p, f)) return EINVAL; /* Linux: only before bind() */
            *slot = v != 0;
            return 0;
        }
        return ENOPROTOOPT;
    }
    switch (name) {
    case IP_TOS: /* the DSCP bits: Linux leaves TCP's ECN bits to the stack */
        *slot = (int)(v & 0xfc);
        return 0;
    case IP_MTU_DISCOVER: /* IP_PMTUDISC_DONT .. IP_PMTUDISC_OMIT */
        if (v < 0 || v > 5) return EINVAL;
        *slot = (int)v;
        return 0;
    case IP_FREEBIND:
        *slot = v != 0;
        return 0;
    }
    return ENOPROTOOPT;
}

/* TCP_CONGESTION: Linux's names for synack's algorithms. */
static int cc_of_name(const char *name, size_t n)
{
    char b[16];
    if (n >= sizeof b) n = sizeof b - 1;
    memcpy(b, name, n);
    b[n] = 0;
    if (!strcmp(b, "reno") || !strcmp(b, "newreno")) return SYNACK_CC_NEWRENO;
    if (!strcmp(b, "cubic")) return SYNACK_CC_CUBIC;
    return -1;
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *val, socklen_t len)
{
    struct pd *p = ud;
    int opt = map_opt(level, name);
    long v;
    if (!val && len > 0) return fail(EFAULT);
    if (level == IPPROTO_TCP && name == TCP_FASTOPEN_KEY) return fastopen_key_opt(p, fd, val, len);
    if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
        int cc = val && len > 0 ? cc_of_name(val, (size_t)len) : -1;
        if (cc < 0) return fail(ENOENT); /* Linux: no such algorithm */
        pthread_mutex_lock(&p->mu);
        struct pd_fd *f = sock_fd(p, fd);
        int r = f ? synack_setopt(p->st, f->sd, SYNACK_OPT_CONGESTION, cc) : -1;
        if (f && r < 0) errno = to_errno(r);
        pthread_mutex_unlock(&p->mu);
        return r < 0 ? -1 : 0;
    }
    if (opt == SYNACK_OPT_TIMESTAMPING) {
        int e = pd_eq_timestamping_value(val, len, &v); /* Linux's checks (pd_errqueue.c) */
        if (e) return fail(e);
    } else if (opt == SYNACK_OPT_LINGER) {
        struct linger l;
        if (!val || len < (socklen_t)sizeof l) return fail(EINVAL);
        memcpy(&l, val, sizeof l);
        v = l.l_onoff ? l.l_linger : -1;
    } else {
        int i;
        if (level == IPPROTO_IP && len >= 1 && len < (socklen_t)sizeof i) {
            v = *(const unsigned char *)val; /* Linux's IP options also take one byte */
        } else {
            if (!val || len < (socklen_t)sizeof i) return fail(EINVAL);
            memcpy(&i, val, sizeof i);
            v = i;
        }
        /* Linux reads TCP_NOTSENT_LOWAT as unsigned (0xffffffff: no limit). */
        if (opt == SYNACK_OPT_NOTSENT_LOWAT) v = (long)(uint32_t)v;
        /* Linux keeps SO_SNDBUF doubled, at least SOCK_MIN_SNDBUF (sock_setsockopt): that
         * is the stack's sndbuf, counted as Linux counts it (cfg.sndbuf_linux). */
        if (opt == SYNACK_OPT_SNDBUF && p->cfg.sndbuf_linux)
            v = v > INT32_MAX / 2 ? INT32_MAX : v * 2 < 4608 ? 4608 : v * 2;
        /* Linux keeps twice what SO_SNDBUF/SO_RCVBUF ask for (the other half pays for its
         * bookkeeping) and reports that: synack takes the bytes themselves, and raises
         * values below Linux's minimum (4608 and 2304, doubled) itself. */
    }
    pthread_mutex_lock(&p->mu);
    if (opt == SYNACK_OPT_FASTOPEN_CONNECT) fastopen_sysctls(p);
    struct pd_fd *f = sock_fd(p, fd);
    int r = -1;
    int *ip = f ? ip_opt(f, level, name) : NULL;
    if (f && level == IPPROTO_TCP && name == TCP_INQ) {
        /* Linux: a flag for recvmsg()'s control message (the hint itself is SIOCINQ's). */
        f->inq = v != 0;
        r = 0;
    } else if (f && level == SOL_SOCKET && name == SO_MARK) {
        f->so_mark = (int)v; /* the routing mark: nothing routes by it here */
        r = 0;
    } else if (ip) {
        /* Accepted and remembered. IPV6_V6ONLY changes what the socket does; the DS field
         * and the path MTU discovery mode go to the library, one of each per IP version as
         * Linux keeps them (inet->tos and ->pmtudisc, np->tclass and ->pmtudisc): IP_TOS and
         * IP_MTU_DISCOVER are the IPv4 datagrams' (an AF_INET6 socket's IPv4-mapped
         * connections' too: ipv6_setsockopt hands SOL_IP to ip_setsockopt), IPV6_TCLASS and
         * IPV6_MTU_DISCOVER the IPv6 ones'; IP_FREEBIND to SYNACK_OPT_FREEBIND. */
        int e = set_ip_opt(p, f, level, name, v, ip);
        bool v6 = f->domain == AF_INET6 && level == IPPROTO_IPV6;
        int lib = level == IPPROTO_IP && name == IP_TOS            ? SYNACK_OPT_IP_TOS
                  : level == IPPROTO_IP && name == IP_MTU_DISCOVER ? SYNACK_OPT_IP_MTU_DISCOVER
                  : v6 && name == IPV6_TCLASS                      ? SYNACK_OPT_IPV6_TCLASS
                  : v6 && name == IPV6_MTU_DISCOVER                ? SYNACK_OPT_IPV6_MTU_DISCOVER
                                                                   : -1;
        /* Linux's IP_PMTUDISC_* and IPV6_PMTUDISC_* are the library's values. */
        if (!e && lib >= 0) e = to_errno_or_0(synack_setopt(p->st, f->sd, lib, *ip));
        /* IP_FREEBIND is one flag per socket on Linux (inet->freebind), for either family. */
        if (!e && level == IPPROTO_IP && name == IP_FREEBIND)
            e = to_errno_or_0(synack_setopt(p->st, f->sd, SYNACK_OPT_FREEBIND, *ip));
        if (e)
            errno = e;
        else
            r = 0;
    } else if (f) {
        long lib = v;
        if (opt == SYNACK_OPT_NOTSENT_LOWAT && v == 0) lib = p->sysctl_lowat;
        r = opt ? synack_setopt(p->st, f->sd, opt, lib) : SYNACK_ENOPROTOOPT;
        if (r == 0 && opt == SYNACK_OPT_NOTSENT_LOWAT) f->lowat = (uint32_t)v;
        settle(p); /* TCP_NODELAY may let held data go */
        if (r < 0) errno = to_errno(r);
    }
    pthread_mutex_unlock(&p->mu);
    return r < 0 ? -1 : 0;
}

static int put_int(void *val, socklen_t *len, int v)
{
    if (!val || !len) return fail(EFAULT);
    if (*len < (socklen_t)sizeof v) return fail(EINVAL);
    memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

/* getsockopt of an IP-level option as Linux copies it: IPv4's (do_ip_getsockopt) as one
 * byte into a buffer shorter than an int, IPv6's (do_ipv6_getsockopt) as the first bytes of
 * the int. */
static int put_ip_opt(void *val, socklen_t *len, int level, int v)
{
    if (!val || !len) return fail(EFAULT);
    if (*len == 0) return fail(EINVAL);
    if (*len >= (socklen_t)sizeof v) return put_int(val, len, v);
    if (level == IPPROTO_IP) {
        unsigned char b = (unsigned char)v;
        memcpy(val, &b, 1);
        *len = 1;
    } else {
        memcpy(val, &v, (size_t)*len);
    }
    return 0;
}

/* SO_MEMINFO: Linux's sk_get_meminfo() array (SK_MEMINFO_*, 9 values). Linux counts
 * buffer memory with its overhead (truesize); synack's rings hold bytes, so these are the
 * bytes queued each way and the buffer sizes as getsockopt reports them (doubled). */
static int put_meminfo(struct pd *p, struct pd_fd *f, void *val, socklen_t *len)
{
    struct synack_sockinfo in;
    long rcvbuf = 0, sndbuf = 0;
    if (!val || !len) {
        errno = EFAULT;
        return -1;
    }
    if (synack_getinfo(p->st, f->sd, &in) < 0) memset(&in, 0, sizeof in);
    synack_getopt(p->st, f->sd, SYNACK_OPT_RCVBUF, &rcvbuf);
    synack_getopt(p->st, f->sd, SYNACK_OPT_SNDBUF, &sndbuf);
    uint32_t m[9] = {
        in.rcv_queued,                    /* SK_MEMINFO_RMEM_ALLOC */
        clamp_u32((uint64_t)rcvbuf * 2),  /* SK_MEMINFO_RCVBUF */
        in.snd_queued - in.notsent_bytes, /* SK_MEMINFO_WMEM_ALLOC: in flight */
        clamp_u32((uint64_t)sndbuf * (p->cfg.sndbuf_linux ? 1 : 2)), /* SK_MEMINFO_SNDBUF */
        0,                                                           /* SK_MEMINFO_FWD_ALLOC */
        in.snd_queued,                                               /* SK_MEMINFO_WMEM_QUEUED */
        0,
        0,
        0, /* OPTMEM, BACKLOG, DROPS */
    };
    size_t n = (size_t)*len < sizeof m ? (size_t)*len : sizeof m;
    memcpy(val, m, n);
    *len = (socklen_t)n;
    return 0;
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
    struct pd *p = ud;
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd);
    int r = -1;
    if (!f) goto out;
    if (level == SOL_SOCKET && name == SO_ERROR) {
        int se = synack_socket_error(p->st, f->sd);
        r = put_int(val, len, f->err_taken ? 0 : to_errno_or_0(se));
        if (se) f->err_taken = true;
        goto out;
    }
    if (level == SOL_SOCKET && name == SO_TYPE) {
        r = put_int(val, len, SOCK_STREAM);
        goto out;
    }
    if (level == SOL_SOCKET && name == SO_MARK) {
        r = put_int(val, len, f->so_mark);
        goto out;
    }
    if (level == IPPROTO_TCP && name == TCP_INQ) {
        r = put_int(val, len, f->inq);
        goto out;
    }
    if (ip_opt(f, level, name)) {
        r = put_ip_opt(val, len, level, *ip_opt(f, level, name));
        goto out;
    }
    if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
        long cc = 0;
        synack_getopt(p->st, f->sd, SYNACK_OPT_CONGESTION, &cc);
        const char *nm = cc == SYNACK_CC_CUBIC ? "cubic" : "reno";
        if (!val || !len) {
            errno = EFAULT;
            goto out;
        }
        /* Linux copies at most TCP_CA_NAME_MAX (16) bytes, NUL-padded. */
        char b[16] = {0};
        snprintf(b, sizeof b, "%s", nm);
        size_t n = (size_t)*len < sizeof b ? (size_t)*len : sizeof b;
        memcpy(val, b, n);
        *len = (socklen_t)n;
        r = 0;
        goto out;
    }
    if (level == IPPROTO_TCP && name == TCP_INFO) {
        struct synack_sockinfo in;
        struct pd_tcp_info ti;
        if (!val || !len) {
            errno = EFAULT;
            goto out;
        }
        /* The chronographs (busy, rwnd- and sndbuf-limited time) run up to now. */
        uint64_t now = now_us();
        if (synack_getinfo_at(p->st, f->sd, now, &in) < 0) {
            errno = EBADF;
            goto out;
        }
        fill_tcp_info(&in, &ti, now);
        size_t n = (size_t)*len < sizeof ti ? (size_t)*len : sizeof ti;
        memcpy(val, &ti, n);
        *len = (socklen_t)n;
        r = 0;
        goto out;
    }
    if (level == IPPROTO_TCP && name == PD_TCP_CC_INFO) {
        /* Linux copies what the congestion control's get_info() gives: Reno and CUBIC
         * have none, so the answer is 0 bytes, successfully (do_tcp_getsockopt). */
        if (!val || !len) {
            errno = EFAULT;
            goto out;
        }
        *len = 0;
        r = 0;
        goto out;
    }
    if (level == SOL_SOCKET && name == PD_SO_MEMINFO) {
        r = put_meminfo(p, f, val, len);
        goto out;
    }
    int opt = map_opt(level, name);
    if (!opt && f->domain == AF_INET && level != SOL_SOCKET && level != IPPROTO_TCP &&
        level != IPPROTO_IP) {
        /* Linux's ip_getsockopt() answers a level it does not know (IPv6's included) so;
         * setsockopt and an AF_INET6 socket say ENOPROTOOPT. */
        errno = EOPNOTSUPP;
        goto out;
    }
    long v = 0;
    int e = opt ? synack_getopt(p->st, f->sd, opt, &v) : SYNACK_ENOPROTOOPT;
    if (e < 0) {
        errno = to_errno(e);
    } else if (opt == SYNACK_OPT_LINGER) {
        struct linger l = {.l_onoff = v >= 0, .l_linger = v >= 0 ? (int)v : 0};
        if (!val || !len) {
            errno = EFAULT;
        } else if (*len < (socklen_t)sizeof l) {
            errno = EINVAL;
        } else {
            memcpy(val, &l, sizeof l);
            *len = sizeof l;
            r = 0;
        }
    } else {
        if ((opt == SYNACK_OPT_SNDBUF && !p->cfg.sndbuf_linux) || opt == SYNACK_OPT_RCVBUF)
            v = v > INT32_MAX / 2 ? INT32_MAX : v * 2;
        if (opt == SYNACK_OPT_NOTSENT_LOWAT) v = f->lowat;
        r = put_int(val, len, (int)v);
    }
out:
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* packetdrill's own getsockopt() calls (TCP_INFO, TCP_CC_INFO and SO_MEMINFO for a
 * Python block, code.c) go to libc, not through our table; libsynack_pd_preload.so, when
 * LD_PRELOAD'ed, sends those on a descriptor of ours here. -2: not ours, libc's turn. */
static int pd_preload_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
    struct pd *p = ud;
    pthread_mutex_lock(&p->mu);
    bool ours = is_ours(p, fd) && p->fds[fd].kind == PD_SOCKET;
    pthread_mutex_unlock(&p->mu);
    return ours ? pd_getsockopt(ud, fd, level, name, val, len) : -2;
}

typedef int (*pd_getsockopt_fn)(void *, int, int, int, void *, socklen_t *);
typedef void (*pd_preload_register_fn)(pd_getsockopt_fn fn, void *ctx);

/* Registers (or with fn NULL, withdraws) our handler with the preload library, if loaded. */
static void preload_register(pd_getsockopt_fn fn, void *ctx)
{
    pd_preload_register_fn reg;
    /* POSIX's way of taking a function from dlsym's void * (XSH dlsym, rationale). */
    *(void **)&reg = dlsym(RTLD_DEFAULT, "synack_pd_preload_register");
    if (reg) reg(fn, ctx);
}

/* sendfile() with a socket of ours as its output (libsynack_pd_preload.so sends the call
 * here; packetdrill calls libc's sendfile even in plug-in mode): what Linux's does, in user
 * space. Up to count bytes are read from in_fd, at *offset (which then moves on by the
 * bytes sent; the file's own position stays) or at its position (which moves on by the
 * bytes sent), and sent as a blocking or non-blocking write() would send them; 0 at the
 * end of the file. -2: not ours, libc's turn. */
#define SENDFILE_CHUNK (1u << 20)
static ssize_t pd_preload_sendfile(void *ud, int out_fd, int in_fd, off_t *offset, size_t count)
{
    struct pd *p = ud;
    pthread_mutex_lock(&p->mu);
    bool ours = is_ours(p, out_fd) && p->fds[out_fd].kind == PD_SOCKET;
    pthread_mutex_unlock(&p->mu);
    if (!ours) return -2;
    if (offset && *offset < 0) return fail(EINVAL);
    /* Linux's sendfile moves at most 0x7ffff000 bytes a call; a chunk at a time here. */
    if (count > SENDFILE_CHUNK) count = SENDFILE_CHUNK;
    char *buf = malloc(count ? count : 1);
    if (!buf) return fail(ENOMEM);
    ssize_t got = offset ? pread(in_fd, buf, count, *offset) : read(in_fd, buf, count);
    ssize_t r = got;
    if (got > 0) {
        r = do_send(p, out_fd, buf, (size_t)got, 0);
        ssize_t sent = r > 0 ? r : 0;
        if (offset)
            *offset += sent;
        else if (sent < got)
            (void)lseek(in_fd, (off_t)(sent - got), SEEK_CUR); /* what was not sent */
    }
    int e = errno;
    free(buf);
    errno = e;
    return r;
}

typedef ssize_t (*pd_sendfile_fn)(void *, int, int, off_t *, size_t);
typedef void (*pd_preload_register_sendfile_fn)(pd_sendfile_fn fn, void *ctx);

static void preload_register_sendfile(pd_sendfile_fn fn, void *ctx)
{
    pd_preload_register_sendfile_fn reg;
    *(void **)&reg = dlsym(RTLD_DEFAULT, "synack_pd_preload_register_sendfile");
    if (reg) reg(fn, ctx);
}

/* Before a shell command of the script (the preload's system()): synack's counters and
 * the application's sockets, in the kernel's /proc formats, where the command's nstat and
 * /proc/net/tcp readers look (pd_proc.c). */
static void pd_preload_command(void *ud)
{
    struct pd *p = ud;
    pthread_mutex_lock(&p->mu);
    struct pd_proc_sock *socks = malloc(PD_MAX_FDS * sizeof *socks);
    int n = 0;
    for (int fd = 0; socks && fd < PD_MAX_FDS; fd++) {
        const struct pd_fd *f = &p->fds[fd];
        if (f->kind != PD_SOCKET) continue;
        socks[n++] = (struct pd_proc_sock){
            .sd = f->sd, .listening = f->listening, .inet6 = f->domain == AF_INET6};
    }
    if (socks) pd_proc_write(p->proc_dir, p->st, socks, n);
    free(socks);
    pthread_mutex_unlock(&p->mu);
}

/* The /proc views' directory goes when packetdrill exits too: it does not always free the
 * plug-in first (a failed script ends in exit()). One packetdrill process loads one
 * plug-in, so one directory; a handler registered from a shared object runs at dlclose if
 * that comes first. */
static char proc_dir_at_exit[64];

static void proc_remove_at_exit(void)
{
    if (proc_dir_at_exit[0]) pd_proc_remove(proc_dir_at_exit);
    proc_dir_at_exit[0] = 0;
}

typedef void (*pd_command_fn)(void *);
typedef void (*pd_preload_register_command_fn)(pd_command_fn fn, void *ctx);

/* Registers (fn NULL: withdraws) the hook; false when the preload library is not loaded. */
static bool preload_register_command(pd_command_fn fn, void *ctx)
{
    pd_preload_register_command_fn reg;
    *(void **)&reg = dlsym(RTLD_DEFAULT, "synack_pd_preload_register_command");
    if (reg) reg(fn, ctx);
    return reg != NULL;
}

/* ---- poll and epoll ------------------------------------------------------------------- */
/* A deadline in µs for a poll-style timeout in ms: 0 = none (wait forever). */
static uint64_t ms_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? 0 : now_us() + (uint64_t)timeout_ms * 1000u;
}

static int pd_poll(void *ud, struct pollfd *fds, nfds_t nfds, int timeout)
{
    struct pd *p = ud;
    uint64_t deadline = ms_deadline(timeout);
    pthread_mutex_lock(&p->mu);
    int ready;
    for (;;) {
        ready = 0;
        for (nfds_t i = 0; i < nfds; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0) continue;
            if (!is_ours(p, fds[i].fd)) {
                /* A pipe or another real descriptor: ask the kernel, without waiting. */
                struct pollfd one = fds[i];
                fds[i].revents = (short)(poll(&one, 1, 0) > 0 ? one.revents : 0);
            } else if (p->fds[fds[i].fd].kind == PD_SOCKET) {
                uint32_t m = poll_mask(p, &p->fds[fds[i].fd]);
                fds[i].revents =
                    (short)(m & ((uint32_t)(uint16_t)fds[i].events | POLLERR | POLLHUP | POLLNVAL));
            }
            if (fds[i].revents) ready++;
        }
        if (ready || timeout == 0) break;
        if (deadline && now_us() >= deadline) break;
        wait_change(p, deadline);
    }
    pthread_mutex_unlock(&p->mu);
    return ready;
}

static int pd_epoll_create(void *ud, int size)
{
    struct pd *p = ud;
    if (size <= 0) return fail(EINVAL);
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) return -1;
    if (fd >= PD_MAX_FDS) {
        close(fd);
        return fail(EMFILE);
    }
    struct pd_epoll *ep = calloc(1, sizeof *ep);
    if (!ep) {
        close(fd);
        return fail(ENOMEM);
    }
    pthread_mutex_lock(&p->mu);
    if (p->fds[fd].kind != PD_FREE) forget_fd(p, fd); /* a stale number, see new_sock_fd */
    p->fds[fd].kind = PD_EPOLL;
    p->fds[fd].ep = ep;
    pthread_mutex_unlock(&p->mu);
    return fd;
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *event)
{
    struct pd *p = ud;
    pthread_mutex_lock(&p->mu);
    int r = -1;
    if (!is_ours(p, epfd) || p->fds[epfd].kind != PD_EPOLL) {
        errno = is_ours(p, epfd) ? EINVAL : EBADF;
        goto out;
    }
    if (fd == epfd) {
        errno = EINVAL;
        goto out;
    }
    if (!is_ours(p, fd) || p->fds[fd].kind != PD_SOCKET) {
        errno = is_ours(p, fd) ? EINVAL : EPERM; /* only our sockets can be watched */
        goto out;
    }
    struct pd_epoll *ep = p->fds[epfd].ep;
    int at = -1;
    for (int i = 0; i < ep->n; i++)
        if (ep->items[i].fd == fd) at = i;
    if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && !event) {
        errno = EFAULT;
        goto out;
    }
    switch (op) {
    case EPOLL_CTL_ADD:
        if (at >= 0) {
            errno = EEXIST;
            goto out;
        }
        if (ep->n == ep->cap) {
            int cap = ep->cap ? ep->cap * 2 : 8;
            struct pd_epitem *n = realloc(ep->items, (size_t)cap * sizeof *n);
            if (!n) {
                errno = ENOMEM;
                goto out;
            }
            ep->items = n;
            ep->cap = cap;
        }
        at = ep->n++;
        memset(&ep->items[at], 0, sizeof ep->items[at]);
        ep->items[at].fd = fd;
        /* fall through */
    case EPOLL_CTL_MOD:
        if (at < 0) {
            errno = ENOENT;
            goto out;
        }
        ep->items[at].events = event->events;
        ep->items[at].data = event->data;
        ep->items[at].last = 0;
        ep->items[at].disarmed = false;
        break;
    case EPOLL_CTL_DEL:
        if (at < 0) {
            errno = ENOENT;
            goto out;
        }
        ep->items[at] = ep->items[--ep->n];
        break;
    default:
        errno = EINVAL;
        goto out;
    }
    r = 0;
    pthread_cond_broadcast(&p->cv); /* an epoll_wait() may have a new socket to see */
out:
    pthread_mutex_unlock(&p->mu);
    return r;
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *events, int maxevents, int timeout)
{
    struct pd *p = ud;
    if (maxevents <= 0 || !events) return fail(EINVAL);
    uint64_t deadline = ms_deadline(timeout);
    pthread_mutex_lock(&p->mu);
    int n = -1;
    if (!is_ours(p, epfd) || p->fds[epfd].kind != PD_EPOLL) {
        errno = is_ours(p, epfd) ? EINVAL : EBADF;
        goto out;
    }
    for (;;) {
        struct pd_epoll *ep = p->fds[epfd].ep;
        n = 0;
        for (int i = 0; i < ep->n && n < maxevents; i++) {
            struct pd_epitem *it = &ep->items[i];
            if (it->disarmed) continue;
            struct pd_fd *f = &p->fds[it->fd];
            uint32_t want = it->events & ~(uint32_t)(EPOLLET | EPOLLONESHOT);
            uint32_t m = poll_mask(p, f) & (want | EPOLLERR | EPOLLHUP);
            if (it->events & EPOLLET) {
                /* Edge-triggered: report a bit that came up since the last report, or
                 * newly arrived data (Linux wakes ET waiters on every arrival). */
                struct synack_sockinfo info;
                uint64_t rx = synack_getinfo(p->st, f->sd, &info) == 0 ? info.bytes_received : 0;
                bool edge = (m & ~it->last) || ((m & EPOLLIN) && rx != it->last_rx);
                if (pd_eq_new_notice(p->st, f->sd, &it->last_notices) && (m & EPOLLERR))
                    edge = true;
                it->last = m;
                it->last_rx = rx;
                if (!edge) continue;
            }
            if (!m) continue;
            events[n].events = m;
            events[n].data = it->data;
            n++;
            if (it->events & EPOLLONESHOT) it->disarmed = true;
        }
        if (n || timeout == 0) break;
        if (deadline && now_us() >= deadline) break;
        wait_change(p, deadline);
        if (!is_ours(p, epfd) || p->fds[epfd].kind != PD_EPOLL) {
            errno = EBADF;
            n = -1;
            break;
        }
    }
out:
    pthread_mutex_unlock(&p->mu);
    return n;
}

static int pd_pipe(void *ud, int pipefd[2])
{
    return pipe(pipefd);
}

/* The bytes a pipe has room for (its size less what it holds), or -1. */
static long pipe_room(int fd)
{
    int size = fcntl(fd, F_GETPIPE_SZ), held = 0;
    if (size < 0 || ioctl(fd, FIONREAD, &held) < 0) return -1;
    return size > held ? size - held : 0;
}

/* splice() from a socket of ours into a pipe: what Linux's tcp_splice_read does, in user
 * space. As many bytes as asked for, the socket holds and the pipe has room for; never
 * past the urgent mark: Linux's tcp_read_sock stops before its urgent byte (RCV.UP - 1, the
 * byte it takes out of band), and with data queued and nothing to splice returns 0 rather
 * than wait (it used to loop: Linux's splice/tcp_splice_loop_test.pkt). With nothing
 * queued: 0 at the end of the stream, the connection's error, EAGAIN when non-blocking (the
 * socket's O_NONBLOCK or SPLICE_F_NONBLOCK), else it waits. A socket as the output (the
 * other way) is EINVAL here; packetdrill passes pointers to its offsets even for NULL, so
 * they are ignored for the socket. */
static int splice_from_socket(struct pd *p, int fd_in, int fd_out, size_t len, unsigned int flags)
{
    struct stat sb;
    if (fstat(fd_out, &sb) < 0) return -1;
    if (!S_ISFIFO(sb.st_mode)) return fail(EINVAL);
    if (len > (1u << 20)) len = 1u << 20;
    char *tmp = malloc(len ? len : 1);
    if (!tmp) return fail(ENOMEM);
    pthread_mutex_lock(&p->mu);
    struct pd_fd *f = sock_fd(p, fd_in);
    long r = -1;
    if (!f) errno = EINVAL;
    while (f) {
        bool nb = f->nonblock || (flags & SPLICE_F_NONBLOCK);
        struct synack_sockinfo in;
        if (f->listening || synack_getinfo(p->st, f->sd, &in) < 0) {
            errno = EINVAL;
            break;
        }
        long room = pipe_room(fd_out);
        if (room < 0) break;
        size_t n = len < in.rcv_queued ? len : in.rcv_queued;
        if ((size_t)room < n) n = (size_t)room;
        if (in.rcv_urgent > 0 && in.rcv_urgent - 1u < n) n = in.rcv_urgent - 1u;
        if (n > 0) {
            r = synack_recv(p->st, f->sd, now_us(), tmp, n);
            settle(p); /* reading may open the window */
            if (r < 0) {
                errno = to_errno((int)r);
                r = -1;
            }
            break;
        }
        if (in.rcv_queued > 0 && room > 0) { /* at the urgent mark */
            r = 0;
            break;
        }
        if (in.rcv_queued > 0) { /* the pipe is full: wait for room, or EAGAIN */
            if (nb) {
                errno = EAGAIN;
                break;
            }
            pthread_mutex_unlock(&p->mu);
            struct pollfd pf = {.fd = fd_out, .events = POLLOUT};
            (void)poll(&pf, 1, -1);
            pthread_mutex_lock(&p->mu);
            f = sock_fd(p, fd_in);
            continue;
        }
        /* Nothing queued: synack_recv says whether it is the end, an error or EAGAIN. */
        long m = synack_recv(p->st, f->sd, now_us(), tmp, 0);
        if (m == 0) {
            r = 0;
            break;
        }
        if (m < 0 && m != SYNACK_EAGAIN) {
            if (f->err_taken) {
                r = 0; /* the error was reported once: end of stream, as read() */
            } else {
                errno = to_errno((int)m);
                take_error(p, f);
            }
            break;
        }
        if (nb) {
            errno = EAGAIN;
            break;
        }
        wait_change(p, 0);
        f = sock_fd(p, fd_in);
    }
    pthread_mutex_unlock(&p->mu);
    /* The pipe had room for these bytes: the write does not block. */
    if (r > 0 && write(fd_out, tmp, (size_t)r) != r) r = -1;
    free(tmp);
    return (int)r;
}

static int pd_splice(void *ud, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
                     unsigned int flags)
{
    struct pd *p = ud;
    if (is_ours(p, fd_out)) return fail(EINVAL); /* into a socket of ours: not mapped */
    if (is_ours(p, fd_in)) return splice_from_socket(p, fd_in, fd_out, len, flags);
    return (int)splice(fd_in, off_in, fd_out, off_out, len, flags);
}

/* ---- the link, the clock ----------------------------------------------------------------- */
static int pd_netdev_send(void *ud, const void *buf, size_t count)
{
    struct pd *p = ud;
    pthread_mutex_lock(&p->mu);
    /* A datagram the stack drops (and traces with its reason) was still delivered. */
    synack_input(p->st, now_us(), buf, count);
    settle(p);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static int pd_netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
    struct pd *p = ud;
    uint64_t deadline = now_us() + p->wait_us;
    pthread_mutex_lock(&p->mu);
    while (p->out_n == 0 && now_us() < deadline) wait_change(p, deadline);
    if (p->out_n == 0) {
        pthread_mutex_unlock(&p->mu);
        /* An empty read fails the script ("packet too short"), which beats a hang. */
        fprintf(stderr, "synack_packetdrill: the stack sent nothing for %" PRIu64 " s\n",
                p->wait_us / 1000000u);
        *count = 0;
        return 0;
    }
    struct pd_pkt *k = &p->out[p->out_head];
    size_t n = k->len < *count ? k->len : *count;
    memcpy(buf, k->data, n);
    *count = n;
    *time_usecs = (long long)k->t;
    p->out_head = (p->out_head + 1) % PD_OUT_SLOTS;
    p->out_n--;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static int pd_usleep(void *ud, useconds_t usec)
{
    /* nanosleep: usleep is obsolescent in POSIX.1-2008. */
    struct timespec ts = {.tv_sec = (time_t)(usec / 1000000),
                          .tv_nsec = (long)(usec % 1000000) * 1000};
    return nanosleep(&ts, NULL);
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
    /* The stack's clock, so that packetdrill's timeline and the send times agree. */
    uint64_t t = now_us();
    tv->tv_sec = (time_t)(t / 1000000u);
    tv->tv_usec = (suseconds_t)(t % 1000000u);
    return 0;
}

/* ---- tracing ----------------------------------------------------------------------- */
static void trace_seg(FILE *o, const struct synack_segment *s)
{
    char fl[16];
    int k = 0;
    static const char names[] = "FSRPAUEC";
    for (int i = 0; i < 8; i++)
        if (s->tcp.flags & (1u << i)) fl[k++] = names[i];
    fl[k] = 0;
    fprintf(o, "%u > %u %s seq %u ack %u win %u len %u", s->tcp.sport, s->tcp.dport, fl, s->tcp.seq,
            s->tcp.ack, s->tcp.window, (unsigned)s->payload_len);
}

static void trace_event(void *ctx, const struct synack_trace_event *ev)
{
    struct pd *p = ctx;
    if (p->pcap) synack_pcap_event(p->pcap, ev);
    FILE *o = p->trace;
    if (!o) return;
    fprintf(o, "[synack %" PRIu64 ".%06" PRIu64 "] ", ev->now / 1000000u, ev->now % 1000000u);
    switch (ev->kind) {
    case SYNACK_TRACE_SEG_OUT:
    case SYNACK_TRACE_SEG_IN:
        fputs(ev->kind == SYNACK_TRACE_SEG_OUT ? "out " : "in  ", o);
        trace_seg(o, &ev->seg);
        if (ev->retransmit) fputs(" (retransmit)", o);
        break;
    case SYNACK_TRACE_STATE:
        fprintf(o, "sd %d %s -> %s", ev->sd, synack_state_name(ev->old_state),
                synack_state_name(ev->new_state));
        break;
    case SYNACK_TRACE_TIMER:
        fprintf(o, "sd %d timer %s", ev->sd, synack_timer_name(ev->timer));
        break;
    case SYNACK_TRACE_DROP:
        fprintf(o, "drop %s", synack_drop_name(ev->reason));
        if (ev->has_seg) {
            fputc(' ', o);
            trace_seg(o, &ev->seg);
        }
        break;
    default:
        fprintf(o, "event %d", (int)ev->kind);
        break;
    }
    fputc('\n', o);
    (void)fflush(o); /* a debugging trace: a lost line must not fail the script */
}

/* ---- setup ------------------------------------------------------------------------- */
static void pd_free(void *ud)
{
    struct pd *p = ud;
    if (!p) return;
    preload_register(NULL, NULL);
    preload_register_sendfile(NULL, NULL);
    preload_register_command(NULL, NULL);
    if (p->proc_on) proc_remove_at_exit();
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (p->timer_running) pthread_join(p->timer, NULL);
    /* packetdrill has already closed every descriptor it knew with the real close(); the
     * numbers we still hold may belong to someone else by now, so they are not closed. */
    for (int i = 0; i < PD_MAX_FDS; i++)
        if (p->fds[i].kind == PD_EPOLL) {
            free(p->fds[i].ep->items);
            free(p->fds[i].ep);
        }
    synack_stack_free(p->st);
    for (unsigned i = 0; i < PD_OUT_SLOTS; i++) free(p->out[i].data);
    free(p->scratch);
    if (p->pcap) synack_pcap_close(p->pcap);
    if (p->trace && p->trace_close) (void)fclose(p->trace); /* the debugging trace, at exit */
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "synack_packetdrill: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(EXIT_FAILURE);
}

static bool parse_u64(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end) return false;
    *out = x;
    return true;
}

static void parse_flags(struct pd *p, const char *flags, const char **pcap_path)
{
    struct synack_config *c = &p->cfg;
    char *copy = strdup(flags ? flags : "");
    if (!copy) die("out of memory", NULL);
    char *save = NULL;
    for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
        char *v = strchr(w, '=');
        if (!v) die("flag without a value (key=value expected)", w);
        *v++ = 0;
        uint64_t x = 0;
        if (!strcmp(w, "addr")) {
            /* Either family: an IPv4 address sets the IPv4 one, an IPv6 address the IPv6. */
            char *slash = strchr(v, '/');
            if (slash) *slash++ = 0;
            struct synack_addr a;
            if (synack_addr_parse(v, &a) < 0 || synack_addr_is_any(&a)) die("bad address", v);
            bool v6 = a.family == SYNACK_AF_INET6;
            if (slash && (!parse_u64(slash, &x) || x > (v6 ? 128u : 32u)))
                die("bad prefix length", slash);
            if (v6) {
                c->addr6 = a;
                if (slash) c->prefix6_len = (uint8_t)x;
            } else {
                c->addr = a;
                if (slash) c->prefix_len = (uint8_t)x;
            }
        } else if (!strcmp(w, "trace")) {
            if (!strcmp(v, "1") || !strcmp(v, "stderr")) {
                p->trace = stderr;
            } else if (strcmp(v, "0") != 0) {
                p->trace = fopen(v, "w");
                if (!p->trace) die("cannot open trace file", v);
                p->trace_close = true;
            }
        } else if (!strcmp(w, "cc")) {
            if (strcmp(v, "cubic") != 0 && strcmp(v, "newreno") != 0 && strcmp(v, "reno") != 0)
                die("unknown congestion control (cubic or newreno)", v);
            c->cc = !strcmp(v, "cubic") ? "cubic" : "newreno";
        } else if (!strcmp(w, "tfo_key")) {
            /* TCP Fast Open's key, as tcp_fastopen_key writes it; the host's sysctls are
             * then not read (a script of our own must not depend on them). */
            if (!parse_tfo_key(v, c->fastopen_key)) die("bad key (a1a1a1a1-b2b2b2b2-...)", v);
            c->fastopen_key_set = true;
            p->no_sysctls = true;
        } else if (!strcmp(w, "pcap")) {
            *pcap_path = flags + (v - copy); /* the same text inside the caller's string */
        } else if (!parse_u64(v, &x)) {
            die("bad number", v);
        } else if (!strcmp(w, "mtu")) {
            c->mtu = (uint16_t)(x > 65535 ? 65535 : x);
        } else if (!strcmp(w, "rcvbuf")) {
            c->rcvbuf = (uint32_t)x;
        } else if (!strcmp(w, "sndbuf")) {
            c->sndbuf = (uint32_t)x;
        } else if (!strcmp(w, "sndbuf_linux")) {
            c->sndbuf_linux = x != 0;
        } else if (!strcmp(w, "rto_linux")) {
            c->rto_min_on_var = x != 0;
        } else if (!strcmp(w, "slow_start_limit")) {
            c->slow_start_limit = (uint32_t)(x > UINT32_MAX ? UINT32_MAX : x);
        } else if (!strcmp(w, "rtt_linux")) {
            c->rtt_every_ack = x != 0;
        } else if (!strcmp(w, "hystart_linux")) {
            c->hystart_linux = x != 0;
        } else if (!strcmp(w, "rack_linux")) {
            c->rack_rtt_seq = x != 0;
        } else if (!strcmp(w, "zc_frags")) {
            c->zc_max_frags = (uint32_t)(x > UINT32_MAX ? UINT32_MAX : x);
        } else if (!strcmp(w, "msl")) {
            c->msl_us = x * 1000;
        } else if (!strcmp(w, "rto_min")) {
            c->rto_min_us = x * 1000;
        } else if (!strcmp(w, "rto_initial")) {
            c->rto_initial_us = x * 1000;
        } else if (!strcmp(w, "delack")) {
            c->delack_us = x * 1000;
        } else if (!strcmp(w, "syn_retries")) {
            c->syn_retries = (uint32_t)x;
        } else if (!strcmp(w, "data_retries")) {
            c->data_retries = (uint32_t)x;
        } else if (!strcmp(w, "ts")) {
            c->no_timestamps = x == 0;
        } else if (!strcmp(w, "sack")) {
            c->no_sack = x == 0; /* Linux's tcp_sack=0; the sysctl cannot turn it back on */
        } else if (!strcmp(w, "wscale")) {
            c->no_window_scaling = x == 0; /* tcp_window_scaling=0, likewise */
        } else if (!strcmp(w, "ecn")) {
            if (x > 2) die("ecn is 0, 1 or 2 (Linux's tcp_ecn)", v);
            c->ecn = (uint8_t)x; /* the host's tcp_ecn is then not read */
            p->ecn_flag = true;
        } else if (!strcmp(w, "tfo")) {
            c->fastopen = (uint32_t)x; /* Linux's tcp_fastopen bits; sysctls not read */
            p->no_sysctls = true;
        } else if (!strcmp(w, "wait")) {
            p->wait_us = x * 1000000u;
        } else {
            die("unknown flag", w);
        }
    }
    free(copy);
}

void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc)
{
    struct pd *p = calloc(1, sizeof *p);
    if (!p) die("out of memory", NULL);
    synack_config_default(&p->cfg);
    p->cfg.name = "synack";
    p->cfg.addr = synack_addr_v4(0xc0a80001u); /* run packetdrill with --local_ip=192.168.0.1 */
    p->cfg.prefix_len = 0; /* every remote is on-link: packetdrill's 192.0.2.1 too */
    /* The send buffer counted as Linux counts it (SO_SNDBUF, TCP_NOTSENT_LOWAT, EPOLLOUT). */
    p->cfg.sndbuf_linux = true;
    /* Linux's RTO, SRTT + max(4·RTTVAR, rto_min): a 10 ms path times out at 210 ms. */
    p->cfg.rto_min_on_var = true;
    /* Slow start grows cwnd by every segment an ACK covers, as Linux's tcp_slow_start, not
     * by RFC 3465's L = 2: the scripts count the segments each ACK releases. */
    p->cfg.slow_start_limit = 0;
    /* Linux's RTT samples, one from every ACK of data sent once: its SRTT, and so its
     * pacing rate and packet sizes (tcp_push.c), move with each ACK. */
    p->cfg.rtt_every_ack = true;
    /* Linux's HyStart (tcp_cubic.c): slow start ends at once, ssthresh = cwnd, when a
     * round's RTT rises an eighth (4 to 16 ms) above the connection's minimum. */
    p->cfg.hystart_linux = true;
    /* Linux's MAX_SKB_FRAGS: a zero-copy sendmsg's iovec elements are fragments, at most 17
     * a segment (zerocopy/maxfrags.pkt). */
    p->cfg.zc_max_frags = 17;
    /* Linux's RACK.rtt: from the last segment an ACK delivers in sequence order, not the
     * most recently sent one (RFC 8985 §6.2). */
    p->cfg.rack_rtt_seq = true;
    /* IPv6: in packetdrill's default local prefix (fd3d:fa7b:d17d::/48, RFC 4193), whose
     * host part packetdrill draws at random: run it with --local_ip=fd3d:fa7b:d17d::1.
     * Every remote is on-link (its 2001:db8::1 too). */
    synack_addr_parse("fd3d:fa7b:d17d::1", &p->cfg.addr6);
    p->cfg.prefix6_len = 0;
    p->wait_us = UINT64_C(30) * 1000000u;
    const char *pcap_path = NULL;
    /* Flags from the environment first: a script's own --so_flags line replaces the
     * command line's, so a runner that needs flags for every script of a mode (IPv6's
     * mtu=1520) gives them here, and the script's flags still apply after them. */
    const char *env_flags = getenv("SYNACK_PACKETDRILL_FLAGS");
    if (env_flags) parse_flags(p, env_flags, &pcap_path);
    parse_flags(p, flags, &pcap_path);
    /* A script's own --so_flags replace the command line's, so tracing has its own
     * switch that works with any script. */
    const char *env = getenv("SYNACK_PACKETDRILL_TRACE");
    if (env && *env && !p->trace) {
        if (!strcmp(env, "1") || !strcmp(env, "stderr")) {
            p->trace = stderr;
        } else if (strcmp(env, "0") != 0) {
            p->trace = fopen(env, "w");
            if (!p->trace) die("cannot open trace file", env);
            p->trace_close = true;
        }
    }
    char *pcap_copy = NULL;
    if (pcap_path) {
        pcap_copy = strndup(pcap_path, strcspn(pcap_path, ", \t"));
        int err = 0;
        p->pcap = pcap_copy ? synack_pcap_open(pcap_copy, &err) : NULL;
        if (!p->pcap) die("cannot open pcap file", pcap_copy ? pcap_copy : pcap_path);
        free(pcap_copy);
    }
    if (p->trace || p->pcap) {
        p->cfg.trace = trace_event;
        p->cfg.trace_ctx = p;
    }
    int err = 0;
    p->st = synack_stack_new(&p->cfg, &err);
    if (!p->st) die("cannot create the stack", synack_strerror(err));
    p->scratch = malloc(p->cfg.mtu);
    if (!p->scratch) die("out of memory", NULL);
    for (unsigned i = 0; i < PD_OUT_SLOTS; i++) {
        p->out[i].data = malloc(p->cfg.mtu);
        if (!p->out[i].data) die("out of memory", NULL);
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->timer, NULL, timer_main, p) != 0)
        die("cannot start the timer thread", NULL);
    p->timer_running = true;

    memset(ifc, 0, sizeof *ifc);
    ifc->userdata = p;
    ifc->free = pd_free;
    ifc->socket = pd_socket;
    ifc->bind = pd_bind;
    ifc->listen = pd_listen;
    ifc->accept = pd_accept;
    ifc->connect = pd_connect;
    ifc->read = pd_read;
    ifc->readv = pd_readv;
    ifc->recv = pd_recv;
    ifc->recvfrom = pd_recvfrom;
    ifc->recvmsg = pd_recvmsg;
    ifc->write = pd_write;
    ifc->writev = pd_writev;
    ifc->send = pd_send;
    ifc->sendto = pd_sendto;
    ifc->sendmsg = pd_sendmsg;
    ifc->fcntl = pd_fcntl;
    ifc->ioctl = pd_ioctl;
    ifc->close = pd_close;
    ifc->shutdown = pd_shutdown;
    ifc->getsockopt = pd_getsockopt;
    ifc->setsockopt = pd_setsockopt;
    ifc->poll = pd_poll;
    ifc->netdev_send = pd_netdev_send;
    ifc->netdev_receive = pd_netdev_receive;
    ifc->usleep = pd_usleep;
    ifc->gettimeofday = pd_gettimeofday;
    ifc->epoll_create = pd_epoll_create;
    ifc->epoll_ctl = pd_epoll_ctl;
    ifc->epoll_wait = pd_epoll_wait;
    ifc->pipe = pd_pipe;
    ifc->splice = pd_splice;
    preload_register(pd_preload_getsockopt, p);
    preload_register_sendfile(pd_preload_sendfile, p);
    if (dlsym(RTLD_DEFAULT, "synack_pd_preload_register_command") && pd_proc_init(p->proc_dir)) {
        p->proc_on = true;
        memcpy(proc_dir_at_exit, p->proc_dir, sizeof proc_dir_at_exit);
        (void)atexit(proc_remove_at_exit);
        (void)preload_register_command(pd_preload_command, p);
    }
}
