/*
 * tools/synack/cmd_connect.c - `synack connect`: synack as a TCP client through a TUN device,
 * like nc. stdin goes to the connection, the connection to stdout; at the end of stdin synack
 * half-closes (SHUT_WR, its FIN: RFC 9293 §3.10.4) and goes on reading until the peer's FIN.
 * Exit status 0 after a clean close in both directions; 1 with a message when the connection
 * is refused, reset or times out; 2 for a usage error.
 *
 * --fastopen: TCP Fast Open (RFC 7413 §4.2.1, synack_connect_data): the first data of stdin
 * rides in the SYN when the stack's cookie cache has a cookie for the server; otherwise the
 * SYN asks for one (an empty Fast Open option) and the data follows the handshake. The
 * cache lives as long as the stack, that is the run: --count N makes N connections one after
 * the other, each sending all of stdin (read first, at most CONNECT_BUF bytes), so that the
 * second and later ones carry their data in the SYN.
 *
 * --ecn: ask for ECN on the connection (RFC 3168 §6.1.1: an ECN-setup SYN, cfg.ecn 1); the
 * stack accepts it from peers that ask in any case (cfg.ecn 2, Linux's default).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cli.h"
#include "loop.h"
#include "synack/dev.h"
#include "synack/synack.h"
#include "synack/tun.h"

#define CONNECT_BUF       65536
#define CONNECT_SIGINT_US 2000000ull /* after ^C: how long our FIN exchange may take */

struct client {
    struct tun_side side;
    struct synack_addr peer;
    uint16_t port;
    uint64_t timeout_us; /* 0: the stack's own SYN retries decide */
    bool trace, verbose;
    bool fastopen;  /* --fastopen: data in the SYN (RFC 7413) */
    bool ecn;       /* --ecn: an ECN-setup SYN (RFC 3168) */
    unsigned count; /* --count: connections one after the other (1) */

    synack_stack *stack;
    struct live_trace *live;
    struct loop loop;
    int sd;
    bool connected, stdin_eof, stdin_ready, stdin_watched, stdin_pollable, shut_sent;
    bool peer_eof, finished;
    int exit_code;
    uint64_t deadline;
    uint8_t pending[CONNECT_BUF];
    size_t pending_len, pending_off;
    uint8_t rbuf[CONNECT_BUF];
    uint64_t sent, received;
    uint8_t replay[CONNECT_BUF]; /* --count > 1: all of stdin, sent on each connection */
    size_t replay_len;
};

static void usage(FILE *f)
{
    fputs("usage: synack connect --tun IF [--addr A/N]... [--host-addr A/N]... [--no-ipv4]\n"
          "                      [--no-ipv6] [--timeout S] [--fastopen] [--ecn] [--count N]\n"
          "                      [--pcap FILE] [--trace] [-v] HOST PORT\n"
          "\n"
          "Opens a TCP connection from a synack stack on the TUN device IF (created when missing,\n"
          "brought up, given the kernel-side addresses) to HOST:PORT, like nc: stdin is sent,\n"
          "what arrives is written to stdout. At the end of stdin synack sends its FIN and keeps\n"
          "reading until the peer's. Exit 0 after a clean close; 1 on refused/reset/timeout.\n"
          "HOST is an IPv4 or IPv6 address (10.7.0.1, fd00:7::1).\n"
          "  --addr A/N       the stack's address, IPv4 or IPv6, once per family\n"
          "                   (10.7.0.2/24 and fd00:7::2/64)\n"
          "  --host-addr A/N  the kernel's address on IF, once per family\n"
          "                   (10.7.0.1/24 and fd00:7::1/64); without these both families\n"
          "                   run, with them only the families they name\n"
          "  --no-ipv4, --no-ipv6  turn a family off\n"
          "  --timeout S      give up connecting after S seconds\n"
          "  --fastopen       TCP Fast Open (RFC 7413): the first data of stdin goes in the\n"
          "                   SYN once the server's cookie is cached; the first connection\n"
          "                   of a run has none, so its SYN asks for one and the data\n"
          "                   follows the handshake (the cache lives for the run)\n"
          "  --ecn            ask for ECN (RFC 3168): the SYN carries ECE and CWR; when the\n"
          "                   server agrees, data goes ECT(0) and CE marks are echoed\n"
          "  --count N        N connections one after the other, each sending all of stdin\n"
          "                   (read first, at most 64 KiB); exit 0 when every one closed\n"
          "                   cleanly\n"
          "  --pcap FILE      write every datagram to FILE;  --trace  the ladder on stderr\n"
          "  -v               say when connected and closed, with byte counts\n",
          f);
}

static int parse(int argc, char **argv, struct client *c)
{
    tun_side_defaults(&c->side);
    const char *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--trace")) {
            c->trace = true;
        } else if (!strcmp(a, "-v")) {
            c->verbose = true;
        } else if (!strcmp(a, "--fastopen")) {
            c->fastopen = true;
        } else if (!strcmp(a, "--ecn")) {
            c->ecn = true;
        } else if (tun_side_flag(&c->side, a)) { /* --no-ipv4, --no-ipv6 */
        } else if (a[0] == '-' && a[1] == '-') {
            if (!v) goto bad;
            i++;
            /* --tun, --addr, --host-addr, --pcap */
            int t = tun_side_option(&c->side, "synack connect", a, v);
            if (t < 0) goto bad;
            if (t > 0) continue;
            if (!strcmp(a, "--timeout")) {
                char *end;
                double s = strtod(v, &end);
                if (*end || s <= 0) goto bad;
                c->timeout_us = (uint64_t)(s * 1e6);
            } else if (!strcmp(a, "--count")) {
                char *end;
                unsigned long n = strtoul(v, &end, 10);
                if (*end || n == 0 || n > 1000) goto bad;
                c->count = (unsigned)n;
            } else {
                fprintf(stderr, "synack connect: unknown option '%s'\n", a);
                usage(stderr);
                return 2;
            }
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            fprintf(stderr, "synack connect: too many arguments\n");
            usage(stderr);
            return 2;
        }
        continue;
    bad:
        fprintf(stderr, "synack connect: bad value for %s: '%s'\n", a, v ? v : "");
        return 2;
    }
    if (!c->side.tun_name || npos != 2) {
        usage(stderr);
        return 2;
    }
    char *end;
    unsigned long p = strtoul(pos[1], &end, 10);
    if (synack_addr_parse(pos[0], &c->peer) < 0 || *end || p == 0 || p > 65535) {
        fprintf(stderr, "synack connect: HOST must be an IP address and PORT 1-65535\n");
        return 2;
    }
    c->port = (uint16_t)p;
    if (tun_side_finish(&c->side, "synack connect") < 0) return 2;
    if (!(c->peer.family == SYNACK_AF_INET6 ? c->side.v6.on : c->side.v4.on)) {
        fprintf(stderr, "synack connect: HOST %s is %s, which is turned off\n", pos[0],
                c->peer.family == SYNACK_AF_INET6 ? "IPv6" : "IPv4");
        return 2;
    }
    return 0;
}

static void fail(struct client *c, const char *what, int err)
{
    char a[ENDPOINT_STRLEN];
    fprintf(stderr, "synack connect: %s: %s%s%s\n", endpoint_str(&c->peer, c->port, a, sizeof a),
            what, err ? ": " : "", err ? synack_strerror(err) : "");
    c->exit_code = 1;
    c->finished = true;
}

/* Writes all of buf to stdout, waiting when it is a full non-blocking pipe. */
static int write_all(const uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, buf, n);
        if (w > 0) {
            buf += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
            poll(&p, 1, 1000);
        } else if (!(w < 0 && errno == EINTR)) {
            return -1;
        }
    }
    return 0;
}

static void watch_stdin(struct client *c, bool on)
{
    if (!c->stdin_pollable || c->stdin_watched == on) return;
    if (on)
        loop_watch(&c->loop, STDIN_FILENO, EPOLLIN);
    else
        loop_unwatch(&c->loop, STDIN_FILENO);
    c->stdin_watched = on;
}

static void client_app(void *ctx, uint64_t now)
{
    struct client *c = ctx;
    if (c->live) live_trace_flush(c->live);
    if (c->finished) return;
    unsigned ev = synack_events(c->stack, c->sd);
    if (!c->connected) {
        if (ev & SYNACK_EV_ERROR) {
            fail(c, "cannot connect", synack_socket_error(c->stack, c->sd));
            return;
        }
        if (!(ev & SYNACK_EV_CONNECTED)) {
            if (c->deadline && now >= c->deadline) fail(c, "cannot connect", SYNACK_ETIMEDOUT);
            return;
        }
        c->connected = true;
        c->deadline = 0;
        if (c->verbose) {
            char a[ENDPOINT_STRLEN];
            fprintf(stderr, "synack connect: connected to %s\n",
                    endpoint_str(&c->peer, c->port, a, sizeof a));
        }
        watch_stdin(c, true);
    }
    /* The connection to stdout. */
    while (!c->peer_eof) {
        long r = synack_recv(c->stack, c->sd, now, c->rbuf, sizeof c->rbuf);
        if (r > 0) {
            c->received += (uint64_t)r;
            if (write_all(c->rbuf, (size_t)r) < 0) {
                fprintf(stderr, "synack connect: stdout: %s\n", strerror(errno));
                synack_abort(c->stack, c->sd, now);
                c->exit_code = 1;
                c->finished = true;
                return;
            }
        } else if (r == 0) {
            c->peer_eof = true;
        } else if (r == SYNACK_EAGAIN) {
            break;
        } else {
            fail(c, "connection failed", (int)r);
            return;
        }
    }
    /* stdin to the connection: one read per readiness, sent before the next. */
    for (int rounds = 0; rounds < 16; rounds++) {
        if (c->pending_off < c->pending_len) {
            long w = synack_send(c->stack, c->sd, now, c->pending + c->pending_off,
                                 c->pending_len - c->pending_off);
            if (w == SYNACK_EAGAIN) break;
            if (w < 0) {
                fail(c, "connection failed", (int)w);
                return;
            }
            c->pending_off += (size_t)w;
            c->sent += (uint64_t)w;
            continue;
        }
        if (c->stdin_eof || !c->stdin_ready) break;
        ssize_t n = read(STDIN_FILENO, c->pending, sizeof c->pending);
        if (n > 0) {
            c->pending_len = (size_t)n;
            c->pending_off = 0;
        } else if (n == 0) {
            c->stdin_eof = true;
        } else if (errno == EAGAIN) {
            c->stdin_ready = false;
        } else if (errno != EINTR) {
            fprintf(stderr, "synack connect: stdin: %s\n", strerror(errno));
            c->stdin_eof = true;
        }
        if (c->stdin_pollable) c->stdin_ready = false; /* epoll says when there is more */
    }
    bool drained = c->pending_off >= c->pending_len;
    watch_stdin(c, drained && !c->stdin_eof);
    if (c->stdin_eof && drained && !c->shut_sent) {
        synack_shutdown(c->stack, c->sd, now, SYNACK_SHUT_WR);
        c->shut_sent = true;
    }
    if (ev & SYNACK_EV_ERROR) {
        int e = synack_socket_error(c->stack, c->sd);
        if (e) {
            fail(c, "connection failed", e);
            return;
        }
    }
    /* Done when both FINs are through: TIME-WAIT (we closed first) or CLOSED after
     * LAST-ACK (the peer did), so our FIN was acknowledged either way. */
    struct synack_sockinfo si;
    if (c->shut_sent && c->peer_eof && synack_getinfo(c->stack, c->sd, &si) == 0 &&
        (si.state == SYNACK_TIME_WAIT || si.state == SYNACK_CLOSED)) {
        if (c->verbose)
            fprintf(stderr,
                    "synack connect: closed (%s first); %" PRIu64 " bytes sent, %" PRIu64
                    " received\n",
                    si.state == SYNACK_TIME_WAIT ? "synack" : "peer", c->sent, c->received);
        c->exit_code = 0;
        c->finished = true;
    }
}

static void client_fd(void *ctx, int fd, uint32_t events, uint64_t now)
{
    struct client *c = ctx;
    (void)now;
    (void)events;
    if (fd == STDIN_FILENO) c->stdin_ready = true;
}

static void client_signal(void *ctx, int signo, uint64_t now)
{
    struct client *c = ctx;
    (void)signo;
    if (c->deadline && c->shut_sent) {
        c->deadline = now; /* a second ^C */
        return;
    }
    fprintf(stderr, "synack connect: interrupted; closing\n");
    c->stdin_eof = true;
    c->pending_len = c->pending_off = 0;
    c->exit_code = 1;
    if (!c->connected) {
        c->finished = true;
        return;
    }
    if (!c->shut_sent) synack_shutdown(c->stack, c->sd, now, SYNACK_SHUT_WR);
    c->shut_sent = true;
    c->deadline = now + CONNECT_SIGINT_US;
}

static uint64_t client_deadline(void *ctx)
{
    struct client *c = ctx;
    return c->deadline ? c->deadline : UINT64_MAX;
}

static bool client_done(void *ctx)
{
    struct client *c = ctx;
    if (c->connected && c->deadline && loop_now() >= c->deadline) {
        c->exit_code = 1;
        return true;
    }
    return c->finished;
}

/* Reads stdin into buf: its first data only (whole false), or all of it up to cap (whole:
 * more than cap is an error). The byte count, or -1 with a message. */
static ssize_t read_stdin(uint8_t *buf, size_t cap, bool whole, bool *eof)
{
    size_t n = 0;
    for (;;) {
        uint8_t extra;
        ssize_t r = n < cap ? read(STDIN_FILENO, buf + n, cap - n) : read(STDIN_FILENO, &extra, 1);
        if (r > 0 && n >= cap) {
            fprintf(stderr, "synack connect: stdin is longer than %zu bytes (--count)\n", cap);
            return -1;
        }
        if (r > 0) {
            n += (size_t)r;
            if (!whole) return (ssize_t)n;
        } else if (r == 0) {
            *eof = true;
            return (ssize_t)n;
        } else if (errno == EAGAIN) {
            struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
            poll(&p, 1, -1);
        } else if (errno != EINTR) {
            fprintf(stderr, "synack connect: stdin: %s\n", strerror(errno));
            return -1;
        }
    }
}

/* One connection, from connect to the end of the close. Returns its exit status. */
static int one_connection(struct client *c, const struct loop_ops *ops)
{
    c->connected = c->stdin_eof = c->shut_sent = c->peer_eof = c->finished = false;
    c->stdin_watched = false;
    c->stdin_ready = !c->stdin_pollable;
    c->exit_code = 1;
    c->deadline = 0;
    c->pending_len = c->pending_off = 0;
    c->sent = c->received = 0;
    if (c->count > 1) {
        /* Every connection sends what stdin held. */
        memcpy(c->pending, c->replay, c->replay_len);
        c->pending_len = c->replay_len;
        c->stdin_eof = true;
    } else if (c->fastopen) {
        /* The SYN can carry only what is here before it goes. */
        ssize_t n = read_stdin(c->pending, sizeof c->pending, false, &c->stdin_eof);
        if (n < 0) return 1;
        c->pending_len = (size_t)n;
    }
    uint64_t now = loop_now();
    char a[ENDPOINT_STRLEN];
    endpoint_str(&c->peer, c->port, a, sizeof a);
    c->sd = synack_socket(c->stack);
    int r = c->sd;
    if (r >= 0 && c->fastopen) {
        long n =
            synack_connect_data(c->stack, c->sd, now, c->peer, c->port, c->pending, c->pending_len);
        if (n >= 0) {
            c->pending_off = (size_t)n;
            c->sent += (uint64_t)n;
            if (c->verbose)
                fprintf(
                    stderr,
                    "synack connect: Fast Open: %s's cookie is cached, the SYN carries %ld bytes\n",
                    a, n);
            r = 0;
        } else {
            if (n == SYNACK_EINPROGRESS && c->verbose)
                fprintf(stderr,
                        "synack connect: Fast Open: no cookie for %s yet, the SYN asks for one "
                        "and the data follows the handshake\n",
                        a);
            r = (int)n;
        }
    } else if (r >= 0) {
        r = synack_connect(c->stack, c->sd, now, c->peer, c->port);
    }
    if (r < 0 && r != SYNACK_EINPROGRESS) {
        fail(c, "cannot connect", r);
        return 1;
    }
    if (c->timeout_us) c->deadline = now + c->timeout_us;
    int rc = 1;
    if (loop_run(&c->loop, ops, c) == 0) rc = c->exit_code;
    if (c->connected && c->deadline && !c->finished)
        fprintf(stderr, "synack connect: the close did not complete in time\n");
    struct synack_sockinfo si;
    if (c->fastopen && c->verbose && synack_getinfo(c->stack, c->sd, &si) == 0)
        fprintf(stderr, "synack connect: Fast Open: %s\n",
                si.syn_data ? "the SYN-ACK acknowledged the SYN's data"
                            : "no data acknowledged by the SYN-ACK");
    /* Flush what is still queued (the last ACK of our close) before the device goes. */
    int n;
    while ((n = synack_output(c->stack, loop_now(), c->rbuf, sizeof c->rbuf)) > 0)
        synack_dev_send(c->side.dev, loop_now(), c->rbuf, (size_t)n);
    watch_stdin(c, false);
    synack_close(c->stack, c->sd, loop_now());
    c->sd = -1;
    return rc;
}

int synack_cmd_connect(int argc, char **argv)
{
    struct client *c = calloc(1, sizeof *c);
    if (!c) return 1;
    c->sd = -1;
    c->count = 1;
    int pr = parse(argc, argv, c);
    if (pr) {
        free(c);
        return pr == 1 ? 0 : pr;
    }
    int rc = 1, err;
    (void)signal(SIGPIPE, SIG_IGN);
    /* fails only for an invalid signal number */ /* a closed stdout is an error we report, not
                                                     a death */
    if (c->trace) c->live = live_trace_new(stderr, "peer", true);
    if (tun_side_open(&c->side, "synack connect") < 0) goto out;
    if (!(c->peer.family == SYNACK_AF_INET6 ? c->side.v6.on : c->side.v4.on)) {
        /* a default IPv6 the kernel refused (tun_side_open said why) */
        fprintf(stderr, "synack connect: no IPv6 on %s to reach the HOST\n", c->side.tun_name);
        goto out;
    }
    struct synack_config cfg;
    synack_config_default(&cfg);
    cfg.name = "synack";
    tun_side_config(&c->side, &cfg);
    cfg.mtu = c->side.dev->mtu;
    cfg.max_sockets = 16;
    if (c->ecn) cfg.ecn = 1; /* ask on active opens (RFC 3168 §6.1.1) */
    if (c->live) {
        cfg.trace = live_trace_event;
        cfg.trace_ctx = c->live;
    }
    c->stack = synack_stack_new(&cfg, &err);
    if (!c->stack) {
        fprintf(stderr, "synack connect: %s\n", synack_strerror(err));
        goto out;
    }
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, 0};
    if (loop_open(&c->loop, c->stack, c->side.dev, synack_tun_fd(c->side.tun), sigs) < 0) goto out;
    /* epoll refuses regular files (always readable anyway): then stdin is read when the
     * connection can take more. */
    c->stdin_pollable = loop_watch(&c->loop, STDIN_FILENO, EPOLLIN) == 0;
    if (c->stdin_pollable) loop_unwatch(&c->loop, STDIN_FILENO);
    if (c->count > 1) {
        bool eof = false;
        ssize_t n = read_stdin(c->replay, sizeof c->replay, true, &eof);
        if (n < 0) goto out;
        c->replay_len = (size_t)n;
    }
    static const struct loop_ops ops = {.app = client_app,
                                        .on_signal = client_signal,
                                        .on_fd = client_fd,
                                        .deadline = client_deadline,
                                        .done = client_done,
                                        .data_fds = true}; /* stdin */
    /* One stack for all the connections: its Fast Open cookie cache lives for the run. */
    for (unsigned i = 0; i < c->count; i++) {
        rc = one_connection(c, &ops);
        if (rc != 0) break;
    }
out:
    if (c->stack && c->sd >= 0) synack_close(c->stack, c->sd, loop_now());
    loop_close(&c->loop);
    live_trace_free(c->live);
    if (c->stack) synack_stack_free(c->stack);
    tun_side_close(&c->side);
    free(c);
    return rc;
}
