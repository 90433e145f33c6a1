/*
 * bench/loadgen.c - the load generator of `make bench`: the kernel's own TCP, as a client,
 * against one server (synack serve on TUN, lwIP on TUN, or Linux over veth). One figure per
 * run, printed as one JSON object on stdout; every run is bounded in count and in time and
 * stops by itself.
 *
 *   loadgen cps      connections/s: connect, 1 byte each way (an echo service), close; with
 *                    --conc N connections in flight at once (epoll, non-blocking sockets).
 *                    The client closes first, so its ports go to TIME-WAIT: --src A --nsrc N
 *                    rotates N source addresses A, A+1, ... (IP_BIND_ADDRESS_NO_PORT: the
 *                    port is chosen per 4-tuple at connect, not per address at bind).
 *   loadgen pingpong 1 byte there and back on one connection (TCP_NODELAY), each round trip
 *                    timed; p50, p99 and mean in microseconds.
 *   loadgen send     bulk client -> server (a discard service): writes for --seconds, then
 *                    half-closes and waits for the server's FIN, which comes after the
 *                    server has read everything; Gbit/s over connect .. FIN.
 *   loadgen recv     bulk server -> client (a source/chargen service): reads for --seconds.
 *
 * Options: --dst A (10.7.0.2) --port P --seconds S (2) --max N (a count bound: connections
 * or round trips) --conc N (1) --src A --nsrc N (1) --timeout-ms T (per connection, 2000)
 * --cc NAME (TCP_CONGESTION on every socket, e.g. cubic: the lossy rows compare congestion
 * controls that are the same, whatever the host's default is).
 * Exit 0 with the JSON on stdout; 1 with a message on stderr when nothing could be measured.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_CONC 1024

struct opts {
    const char *mode;
    struct in_addr dst, src;
    uint16_t port;
    double seconds;
    long max;
    int conc, nsrc;
    int timeout_ms;
    const char *cc; /* TCP_CONGESTION, or NULL for the namespace's default */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int usage(void)
{
    fprintf(stderr, "usage: loadgen cps|pingpong|send|recv --port P [--dst A] [--seconds S] "
                    "[--max N] [--conc N] [--src A --nsrc N] [--timeout-ms T] [--cc NAME]\n");
    return 2;
}

static struct sockaddr_in sin_of(struct in_addr a, uint16_t port)
{
    struct sockaddr_in s;
    memset(&s, 0, sizeof s);
    s.sin_family = AF_INET;
    s.sin_addr = a;
    s.sin_port = htons(port);
    return s;
}

/* A socket bound to source address number i (of nsrc), port left to connect(). */
static int client_socket(const struct opts *o, long i, int flags)
{
    int fd = socket(AF_INET, SOCK_STREAM | flags, 0);
    if (fd < 0) return -1;
    if (o->cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, o->cc, (socklen_t)strlen(o->cc)) < 0)
        die("TCP_CONGESTION");
    if (o->src.s_addr) {
        int one = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct in_addr a = {htonl(ntohl(o->src.s_addr) + (uint32_t)(i % o->nsrc))};
        struct sockaddr_in s = sin_of(a, 0);
        if (bind(fd, (struct sockaddr *)&s, sizeof s) < 0) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* ---- cps ------------------------------------------------------------------------------- */

enum slot_state { SLOT_IDLE, SLOT_CONNECTING, SLOT_WAIT_ECHO };

struct slot {
    int fd;
    enum slot_state st;
    double started;
};

struct cps {
    const struct opts *o;
    int ep;
    long opened, done, errors, timeouts;
    struct sockaddr_in dst;
};

static void slot_close(struct slot *s)
{
    if (s->fd >= 0) close(s->fd); /* epoll forgets a closed descriptor by itself */
    s->fd = -1;
    s->st = SLOT_IDLE;
}

static void slot_fail(struct cps *c, struct slot *s)
{
    c->errors++;
    slot_close(s);
}

static void slot_start(struct cps *c, struct slot *s, int idx, double t)
{
    int fd = client_socket(c->o, c->opened++, SOCK_NONBLOCK);
    if (fd < 0) {
        c->errors++;
        return;
    }
    s->fd = fd;
    s->started = t;
    int r = connect(fd, (struct sockaddr *)&c->dst, sizeof c->dst);
    if (r < 0 && errno != EINPROGRESS) {
        slot_fail(c, s);
        return;
    }
    s->st = SLOT_CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)idx};
    if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) slot_fail(c, s);
}

static void slot_event(struct cps *c, struct slot *s, uint32_t events)
{
    if (s->st == SLOT_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (events & (EPOLLERR | EPOLLHUP))) {
            slot_fail(c, s);
            return;
        }
        char b = 'x';
        if (write(s->fd, &b, 1) != 1) {
            slot_fail(c, s);
            return;
        }
        s->st = SLOT_WAIT_ECHO; /* the caller switches the descriptor to EPOLLIN */
        return;
    }
    if (s->st == SLOT_WAIT_ECHO) {
        char b;
        ssize_t r = read(s->fd, &b, 1);
        if (r == 1) {
            c->done++;
            slot_close(s);
        } else if (r < 0 && errno == EAGAIN) {
            return;
        } else {
            slot_fail(c, s);
        }
    }
}

static int run_cps(const struct opts *o)
{
    static struct slot slots[MAX_CONC];
    struct cps c = {.o = o, .dst = sin_of(o->dst, o->port)};
    c.ep = epoll_create1(0);
    if (c.ep < 0) die("epoll_create1");
    for (int i = 0; i < o->conc; i++) slots[i] = (struct slot){.fd = -1, .st = SLOT_IDLE};
    double t0 = now_s(), t = t0, end = t0 + o->seconds;
    double tmo = o->timeout_ms / 1000.0;
    struct epoll_event evs[MAX_CONC];
    for (;;) {
        bool more = t < end && c.opened < o->max;
        int active = 0;
        for (int i = 0; i < o->conc; i++) {
            struct slot *s = &slots[i];
            if (s->st != SLOT_IDLE && t - s->started > tmo) {
                c.timeouts++;
                slot_fail(&c, s);
            }
            if (s->st == SLOT_IDLE && more) slot_start(&c, s, i, t);
            if (s->st != SLOT_IDLE) active++;
        }
        if (!active) {
            if (!more) break;
            /* every start failed at once (no ports, no memory): do not spin on it */
            if (c.errors > 1000 && c.done == 0) break;
            t = now_s();
            continue;
        }
        int n = epoll_wait(c.ep, evs, MAX_CONC, 50);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int k = 0; k < n; k++) {
            struct slot *s = &slots[evs[k].data.u32];
            enum slot_state before = s->st;
            slot_event(&c, s, evs[k].events);
            if (before == SLOT_CONNECTING && s->st == SLOT_WAIT_ECHO) {
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[k].data.u32};
                if (epoll_ctl(c.ep, EPOLL_CTL_MOD, s->fd, &ev) < 0) slot_fail(&c, s);
            }
        }
        t = now_s();
    }
    double el = t - t0;
    close(c.ep);
    if (c.done == 0) {
        fprintf(stderr, "loadgen: no connection completed (%ld errors, %ld timeouts)\n", c.errors,
                c.timeouts);
        return 1;
    }
    printf("{\"mode\":\"cps\",\"conc\":%d,\"value\":%.1f,\"unit\":\"conn/s\",\"done\":%ld,"
           "\"errors\":%ld,\"timeouts\":%ld,\"seconds\":%.3f}\n",
           o->conc, (double)c.done / el, c.done, c.errors, c.timeouts, el);
    return 0;
}

/* ---- pingpong ---------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int connect_blocking(const struct opts *o)
{
    int fd = client_socket(o, 0, 0);
    if (fd < 0) die("socket");
    struct timeval tv = {.tv_sec = o->timeout_ms / 1000, .tv_usec = (o->timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in d = sin_of(o->dst, o->port);
    if (connect(fd, (struct sockaddr *)&d, sizeof d) < 0) die("connect");
    return fd;
}

static int run_pingpong(const struct opts *o)
{
    int fd = connect_blocking(o);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    long cap = o->max;
    double *rtt = malloc(sizeof(double) * (size_t)cap);
    if (!rtt) die("malloc");
    long n = 0, warm = 200;
    double t0 = now_s(), end = t0 + o->seconds;
    for (long i = 0; n < cap; i++) {
        char b = 'p';
        double a = now_s();
        if (a >= end) break;
        if (write(fd, &b, 1) != 1) die("write");
        ssize_t r = read(fd, &b, 1);
        if (r != 1) {
            if (r == 0) errno = ECONNRESET;
            die("read");
        }
        double z = now_s();
        if (i >= warm) rtt[n++] = (z - a) * 1e6;
    }
    close(fd);
    if (n < 10) {
        fprintf(stderr, "loadgen: only %ld round trips\n", n);
        free(rtt);
        return 1;
    }
    double sum = 0;
    for (long i = 0; i < n; i++) sum += rtt[i];
    qsort(rtt, (size_t)n, sizeof *rtt, cmp_double);
    printf("{\"mode\":\"pingpong\",\"p50_us\":%.2f,\"p99_us\":%.2f,\"mean_us\":%.2f,"
           "\"n\":%ld}\n",
           rtt[n / 2], rtt[(n * 99) / 100], sum / (double)n, n);
    free(rtt);
    return 0;
}

/* ---- bulk -------------------------------------------------------------------------------- */

static int run_send(const struct opts *o)
{
    static char buf[1 << 16];
    memset(buf, 'd', sizeof buf);
    int fd = connect_blocking(o);
    double t0 = now_s(), end = t0 + o->seconds;
    unsigned long long bytes = 0;
    while (now_s() < end && (long)(bytes >> 16) < o->max) {
        ssize_t w = write(fd, buf, sizeof buf);
        if (w < 0) die("write");
        bytes += (unsigned long long)w;
    }
    /* The server closes after reading our FIN, so its FIN says everything arrived. */
    shutdown(fd, SHUT_WR);
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0) break;
        if (r < 0) die("waiting for the server's FIN");
    }
    double el = now_s() - t0;
    close(fd);
    printf("{\"mode\":\"send\",\"gbps\":%.4f,\"bytes\":%llu,\"seconds\":%.3f}\n",
           (double)bytes * 8 / el / 1e9, bytes, el);
    return 0;
}

static int run_recv(const struct opts *o)
{
    static char buf[1 << 18];
    int fd = connect_blocking(o);
    double t0 = now_s(), end = t0 + o->seconds, t = t0;
    unsigned long long bytes = 0;
    while (t < end && (long)(bytes >> 16) < o->max) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0) {
            if (r == 0) errno = ECONNRESET;
            die("read");
        }
        bytes += (unsigned long long)r;
        t = now_s();
    }
    double el = t - t0;
    close(fd);
    printf("{\"mode\":\"recv\",\"gbps\":%.4f,\"bytes\":%llu,\"seconds\":%.3f}\n",
           (double)bytes * 8 / el / 1e9, bytes, el);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    struct opts o = {.mode = argv[1],
                     .port = 0,
                     .seconds = 2,
                     .max = 10000000,
                     .conc = 1,
                     .nsrc = 1,
                     .timeout_ms = 2000};
    inet_pton(AF_INET, "10.7.0.2", &o.dst);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        i++;
        char *end = NULL;
        if (!strcmp(a, "--dst")) {
            if (inet_pton(AF_INET, v, &o.dst) != 1) return usage();
        } else if (!strcmp(a, "--src")) {
            if (inet_pton(AF_INET, v, &o.src) != 1) return usage();
        } else if (!strcmp(a, "--port")) {
            long p = strtol(v, &end, 10);
            if (*end || p < 1 || p > 65535) return usage();
            o.port = (uint16_t)p;
        } else if (!strcmp(a, "--seconds")) {
            o.seconds = strtod(v, &end);
            if (*end || !(o.seconds > 0 && o.seconds <= 600)) return usage();
        } else if (!strcmp(a, "--max")) {
            o.max = strtol(v, &end, 10);
            if (*end || o.max < 1 || o.max > 100000000) return usage();
        } else if (!strcmp(a, "--conc")) {
            o.conc = (int)strtol(v, &end, 10);
            if (*end || o.conc < 1 || o.conc > MAX_CONC) return usage();
        } else if (!strcmp(a, "--nsrc")) {
            o.nsrc = (int)strtol(v, &end, 10);
            if (*end || o.nsrc < 1 || o.nsrc > 250) return usage();
        } else if (!strcmp(a, "--cc")) {
            o.cc = v;
        } else if (!strcmp(a, "--timeout-ms")) {
            o.timeout_ms = (int)strtol(v, &end, 10);
            if (*end || o.timeout_ms < 10 || o.timeout_ms > 60000) return usage();
        } else {
            return usage();
        }
    }
    if (!o.port) return usage();
    if (!strcmp(o.mode, "cps")) return run_cps(&o);
    if (!strcmp(o.mode, "pingpong")) return run_pingpong(&o);
    if (!strcmp(o.mode, "send")) return run_send(&o);
    if (!strcmp(o.mode, "recv")) return run_recv(&o);
    return usage();
}
