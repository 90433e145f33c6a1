/*
 * bench/kserve.c - the Linux peer of `make bench`: echo (RFC 862), discard (RFC 863) and
 * chargen (RFC 864) on the kernel's own sockets, one thread, epoll, so that the kernel's
 * clients can be measured against Linux over veth with the same services that synack serve
 * and the lwIP glue offer. Chargen sends the RFC's 72-character lines from a precomputed
 * cycle (95 lines), so the server's cost is the kernel's, not the pattern's.
 *
 *   kserve [--addr A] [--echo P] [--discard P] [--chargen P] [--max-seconds S] [--cc NAME]
 *
 * --cc sets TCP_CONGESTION on the listeners and so on every connection (the lossy rows of
 * make bench compare CUBIC with CUBIC whatever the host's default algorithm is).
 *
 * Runs until SIGINT/SIGTERM or --max-seconds (600) have passed, whichever comes first.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE     74 /* 72 characters, CR, LF */
#define CYCLE    (95 * LINE)
#define CHUNK    65536
#define ECHO_BUF 65536

enum kind { K_LISTEN, K_ECHO, K_DISCARD, K_CHARGEN };

struct conn {
    int fd;
    enum kind kind;
    enum kind serves; /* a listener: what its connections do */
    size_t off, len;  /* echo: bytes read and not yet written back */
    uint64_t pos;     /* chargen: offset in the endless stream */
    char *buf;
    struct conn *prev, *next; /* every connection and listener, in `conns` */
};

static volatile sig_atomic_t stop;
/* Every connection and listener: epoll holds them by pointer, this list owns them. */
static struct conn *conns;

static void conn_link(struct conn *c)
{
    c->prev = NULL;
    c->next = conns;
    if (conns) conns->prev = c;
    conns = c;
}
static char pattern[CYCLE + CHUNK];

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void fill_pattern(void)
{
    for (size_t i = 0; i < sizeof pattern; i++) {
        size_t line = (i / LINE) % 95, col = i % LINE;
        pattern[i] = col < 72 ? (char)(' ' + (line + col) % 95) : col == 72 ? '\r' : '\n';
    }
}

static void drop(int ep, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (conns == c)
        conns = c->next;
    if (c->next) c->next->prev = c->prev;
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->buf);
    free(c);
}

static void want(int ep, struct conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Reads and drops what waits; 1 at the peer's FIN or an error, else 0. */
static int drain(struct conn *c)
{
    static char sink[CHUNK];
    for (;;) {
        ssize_t r = read(c->fd, sink, sizeof sink);
        if (r > 0) continue;
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
        return 1;
    }
}

/* 1: the connection is finished (dropped by the caller). */
static int serve(int ep, struct conn *c, uint32_t events)
{
    if (c->kind == K_DISCARD) return drain(c);
    if (c->kind == K_CHARGEN) {
        if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && drain(c)) return 1;
        for (;;) {
            ssize_t w = write(c->fd, pattern + c->pos % CYCLE, CHUNK);
            if (w > 0) {
                c->pos += (uint64_t)w;
                continue;
            }
            return w < 0 && errno == EAGAIN ? 0 : 1;
        }
    }
    /* echo: write back what is pending before reading more (flow control) */
    for (;;) {
        while (c->off < c->len) {
            ssize_t w = write(c->fd, c->buf + c->off, c->len - c->off);
            if (w < 0) {
                if (errno != EAGAIN) return 1;
                want(ep, c, EPOLLOUT);
                return 0;
            }
            c->off += (size_t)w;
        }
        c->off = c->len = 0;
        ssize_t r = read(c->fd, c->buf, ECHO_BUF);
        if (r > 0) {
            c->len = (size_t)r;
            continue;
        }
        if (r < 0 && errno == EAGAIN) {
            if (events & EPOLLOUT) want(ep, c, EPOLLIN);
            return 0;
        }
        return 1; /* FIN (the peer is done) or an error: close */
    }
}

static int listen_on(int ep, struct in_addr addr, long port, enum kind serves, const char *cc)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* A connection accepted from this listener takes its congestion control. */
    if (cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)) < 0) {
        fprintf(stderr, "kserve: TCP_CONGESTION %s: %s\n", cc, strerror(errno));
        return -1;
    }
    struct sockaddr_in s = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = addr};
    if (fd < 0 || bind(fd, (struct sockaddr *)&s, sizeof s) < 0 || listen(fd, 4096) < 0) {
        fprintf(stderr, "kserve: port %ld: %s\n", port, strerror(errno));
        return -1;
    }
    struct conn *l = calloc(1, sizeof *l);
    if (!l) return -1;
    *l = (struct conn){.fd = fd, .kind = K_LISTEN, .serves = serves};
    conn_link(l);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        drop(ep, l);
        return -1;
    }
    return 0;
}

static void accept_all(int ep, struct conn *l)
{
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) return;
        struct conn *c = calloc(1, sizeof *c);
        if (c && l->serves == K_ECHO && !(c->buf = malloc(ECHO_BUF))) {
            free(c);
            c = NULL;
        }
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->kind = l->serves;
        conn_link(c);
        uint32_t events = c->kind == K_CHARGEN ? EPOLLIN | EPOLLOUT : EPOLLIN;
        struct epoll_event ev = {.events = events, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) drop(ep, c);
    }
}

int main(int argc, char **argv)
{
    struct in_addr addr = {htonl(INADDR_ANY)};
    long ports[3] = {0, 0, 0};
    double max_s = 600;
    const char *cc = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--addr") && inet_pton(AF_INET, v, &addr) == 1) continue;
        if (!strcmp(a, "--echo"))
            ports[0] = strtol(v, NULL, 10);
        else if (!strcmp(a, "--discard"))
            ports[1] = strtol(v, NULL, 10);
        else if (!strcmp(a, "--chargen"))
            ports[2] = strtol(v, NULL, 10);
        else if (!strcmp(a, "--max-seconds"))
            max_s = strtod(v, NULL);
        else if (!strcmp(a, "--cc"))
            cc = v;
        else {
            fprintf(stderr, "usage: kserve [--addr A] [--echo P] [--discard P] [--chargen P] "
                            "[--max-seconds S] [--cc NAME]\n");
            return 2;
        }
    }
    if (argc % 2 == 0) return 2;
    fill_pattern();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int ep = epoll_create1(0);
    const enum kind kinds[3] = {K_ECHO, K_DISCARD, K_CHARGEN};
    for (int i = 0; i < 3; i++)
        if (ports[i] > 0 && ports[i] < 65536 && listen_on(ep, addr, ports[i], kinds[i], cc) < 0)
            return 1;
    printf("kserve: listening\n");
    fflush(stdout);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct epoll_event evs[256];
    while (!stop) {
        int n = epoll_wait(ep, evs, 256, 500);
        for (int k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;
            if (c->kind == K_LISTEN)
                accept_all(ep, c);
            else if (serve(ep, c, evs[k].events))
                drop(ep, c);
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((double)(t.tv_sec - t0.tv_sec) > max_s) break;
    }
    printf("kserve: stopped\n");
    return 0;
}
