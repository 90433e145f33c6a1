/*
 * tools/synack/cmd_serve.c - `synack serve`: a synack stack on a TUN device, serving echo,
 * discard, chargen and HTTP to the kernel's own TCP. It creates the device when missing (or
 * attaches to a persistent one), gives the kernel's side its address over rtnetlink, answers
 * ping, and runs until SIGINT/SIGTERM; then it closes every connection with a FIN exchange,
 * waits a bounded time for them to finish, and exits 0. SIGUSR1 prints the counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cli.h"
#include "loop.h"
#include "svc.h"
#include "synack/dev.h"
#include "synack/synack.h"
#include "synack/trace.h"
#include "synack/tun.h"

#define SERVE_MAX_CONNS   512         /* concurrent connections; more are closed at once */
#define SERVE_SOCKETS     2048        /* socket table: connections, listeners, TIME-WAIT */
#define SERVE_LINGER_US   10000000ull /* after our FIN, how long we read what still comes */
#define SERVE_SHUTDOWN_US 5000000ull  /* SIGINT/SIGTERM: bound on the FIN exchanges */
#define SERVE_PCAP_FLUSH  1000000ull  /* push the capture to its file every second */

struct conn {
    struct svc_conn c;
    bool draining; /* our FIN is out; reading (and dropping) until the peer's */
    uint64_t linger_until;
};

struct listener {
    const struct svc_ops *ops;
    uint16_t port;
    int sd;
    uint64_t accepted;
};

struct serve {
    struct tun_side side;
    bool trace;
    const char *faults_spec;
    uint64_t seed;
    uint64_t msl_us; /* 0: the stack's default (30 s) */
    uint32_t max_sockets; /* 0: SERVE_SOCKETS */
    struct listener ls[4];
    int nls;

    synack_stack *stack;
    struct live_trace *live;
    struct loop loop;
    struct svc_host host;
    struct conn **conns; /* by socket descriptor */
    uint32_t nconns, busy_hint;
    uint64_t refused, started_at, last_pcap_flush;
    bool stopping;
    uint64_t stop_deadline;
    bool finished;
};

static void usage(FILE *f)
{
    fputs("usage: synack serve --tun IF [--addr A/N] [--host-addr A/N] [--echo P] [--discard P]\n"
          "                    [--chargen P] [--http P] [--pcap FILE] [--trace]\n"
          "                    [--faults SPEC] [--seed N]\n"
          "\n"
          "Runs a synack stack on the TUN device IF (created when missing, brought up, and given\n"
          "the kernel-side address), serving to the kernel's own TCP:\n"
          "  --echo P       echo (RFC 862) on port P\n"
          "  --discard P    discard (RFC 863)\n"
          "  --chargen P    chargen (RFC 864)\n"
          "  --http P       HTTP/1.1: / status page, /stats JSON, /bytes/N N bytes of a pattern\n"
          "                 (64-byte lines: the offset in 16 hex digits, a space, a-zA-T, LF)\n"
          "  --addr A/N     the stack's address (10.7.0.2/24)\n"
          "  --host-addr A/N  the kernel's address on IF (10.7.0.1/24)\n"
          "  --pcap FILE    write every datagram, both ways, to FILE (raw IPv4)\n"
          "  --trace        draw each connection as a ladder on stderr, live\n"
          "  --faults SPEC  seeded faults between the device and the stack, both ways, e.g.\n"
          "                 loss=0.03,dup=0.01,reorder=0.1,delay=5ms (also corrupt=, jitter=)\n"
          "  --seed N       the faults' seed (1)\n"
          "  --msl S        Maximum Segment Lifetime; TIME-WAIT lasts 2*MSL (30)\n"
          "  --max-sockets N  the stack's socket table: listeners, connections, TIME-WAIT\n"
          "                 (2..2048, 2048); SYNs beyond it are answered with SYN cookies\n"
          "It answers ping. SIGUSR1 prints the counters on stderr; SIGINT/SIGTERM closes every\n"
          "connection with a FIN exchange (at most 5 s) and exits 0.\n",
          f);
}

static int parse_port(const char *v, uint16_t *p)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (!*v || *end || x == 0 || x > 65535) return -1;
    *p = (uint16_t)x;
    return 0;
}

static int parse(int argc, char **argv, struct serve *o)
{
    tun_side_defaults(&o->side);
    o->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--trace")) {
            o->trace = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "synack serve: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        const struct svc_ops *svc = NULL;
        int t = tun_side_option(&o->side, a, v); /* --tun, --addr, --host-addr, --pcap */
        if (t < 0) goto bad;
        if (t > 0) continue;
        if (!strcmp(a, "--faults")) {
            o->faults_spec = v;
        } else if (!strcmp(a, "--seed")) {
            char *end;
            o->seed = strtoull(v, &end, 10);
            if (!*v || *end) goto bad;
        } else if (!strcmp(a, "--msl")) {
            char *end;
            double x = strtod(v, &end);
            if (!*v || *end || x < 0.001 || x > 3600) goto bad;
            o->msl_us = (uint64_t)(x * 1e6);
        } else if (!strcmp(a, "--max-sockets")) {
            char *end;
            unsigned long x = strtoul(v, &end, 10);
            if (!*v || *end || x < 2 || x > SERVE_SOCKETS) goto bad;
            o->max_sockets = (uint32_t)x;
        } else if (!strcmp(a, "--echo")) {
            svc = &svc_echo;
        } else if (!strcmp(a, "--discard")) {
            svc = &svc_discard;
        } else if (!strcmp(a, "--chargen")) {
            svc = &svc_chargen;
        } else if (!strcmp(a, "--http")) {
            svc = &svc_http;
        } else {
            fprintf(stderr, "synack serve: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (svc) {
            uint16_t port;
            if (parse_port(v, &port) < 0 || o->nls == 4) goto bad;
            o->ls[o->nls++] = (struct listener){.ops = svc, .port = port, .sd = -1};
        }
        continue;
    bad:
        fprintf(stderr, "synack serve: bad value for %s: '%s'\n", a, v);
        return 2;
    }
    if (!o->side.tun_name) {
        fprintf(stderr, "synack serve: --tun IF is required\n");
        usage(stderr);
        return 2;
    }
    if (o->nls == 0) fprintf(stderr, "synack serve: no service given; only ping is answered\n");
    return 0;
}

/* ---- status, for SIGUSR1 and the HTTP pages ----------------------------------------------- */

static void status(void *ctx, FILE *f, bool json)
{
    struct serve *sv = ctx;
    if (json) {
        print_stats(f, sv->stack, true);
        return;
    }
    char a[16], h[16];
    fprintf(f, "synack serve on %s: stack %s/%u, kernel %s/%u, MTU %u\n", sv->side.tun_name,
            ip_str(sv->side.addr, a), sv->side.prefix, ip_str(sv->side.host_addr, h),
            sv->side.host_prefix, sv->side.dev->mtu);
    fprintf(f, "uptime %.1f s, %" PRIu32 " connections open, %" PRIu64 " refused (limit %d)\n",
            (loop_now() - sv->started_at) / 1e6, sv->nconns, sv->refused, SERVE_MAX_CONNS);
    for (int i = 0; i < sv->nls; i++)
        fprintf(f, "service %-8s port %-5u accepted %" PRIu64 "\n", sv->ls[i].ops->name,
                sv->ls[i].port, sv->ls[i].accepted);
    struct synack_tun_stats ts;
    synack_tun_get_stats(sv->side.tun, &ts);
    fprintf(f,
            "tun rx %" PRIu64 " packets %" PRIu64 " bytes, tx %" PRIu64 " packets %" PRIu64
            " bytes, tx dropped %" PRIu64 "\n",
            ts.rx_packets, ts.rx_bytes, ts.tx_packets, ts.tx_bytes, ts.tx_dropped);
    print_stats(f, sv->stack, false);
    int shown = 0;
    for (int i = 0; i < SERVE_SOCKETS && shown < 32; i++) {
        struct synack_sockinfo si;
        if (!sv->conns[i] || synack_getinfo(sv->stack, i, &si) < 0) continue;
        shown++;
        fprintf(f,
                "conn %s %s:%u %s snd_una=%" PRIu32 " snd_nxt=%" PRIu32 " snd_wnd=%" PRIu32
                " cwnd=%" PRIu32 " rcv_nxt=%" PRIu32 " rcv_wnd=%" PRIu32 " queued=%" PRIu32
                "/%" PRIu32 " rto=%" PRIu64 "ms retx=%" PRIu64 " mss=%" PRIu32 " pmtu=%" PRIu32
                "\n",
                sv->conns[i]->c.ops->name, ip_str(si.remote.addr, a), si.remote.port,
                synack_state_name(si.state), si.snd_una - si.iss, si.snd_nxt - si.iss, si.snd_wnd,
                si.cwnd, si.rcv_nxt - si.irs, si.rcv_wnd, si.snd_queued, si.rcv_queued,
                si.rto_us / 1000, si.retransmits, si.snd_mss, si.pmtu);
    }
}

/* ---- connections ---------------------------------------------------------------------------- */

static void conn_release(struct serve *sv, struct conn *k, uint64_t now, bool abort)
{
    int sd = k->c.sd;
    if (abort)
        synack_abort(sv->stack, sd, now);
    else
        synack_close(sv->stack, sd, now);
    k->c.ops->free(&k->c);
    sv->conns[sd] = NULL;
    sv->nconns--;
    free(k);
}

static void conn_handle(struct serve *sv, struct conn *k, uint64_t now)
{
    enum svc_result r;
    if (k->draining) {
        r = svc_drain(&sv->host, &k->c, now);
        if (r != SVC_MORE || now >= k->linger_until) conn_release(sv, k, now, false);
        return;
    }
    r = k->c.ops->io(&sv->host, &k->c, now);
    if (r == SVC_ABORT) {
        /* The connection failed (reset, timed out): only the descriptor is left. */
        synack_socket_error(sv->stack, k->c.sd);
        conn_release(sv, k, now, false);
    } else if (r == SVC_DONE) {
        k->c.busy = false;
        if (k->c.peer_eof) {
            /* Both directions are done: the passive close (CLOSE-WAIT, LAST-ACK). */
            conn_release(sv, k, now, false);
        } else {
            /* We close first: our FIN goes after the queued data (FIN-WAIT-1...TIME-WAIT);
             * what the peer still sends is read and dropped, so that an unread byte does
             * not turn the close into a reset (RFC 9112 §9.6's lingering close). */
            synack_shutdown(sv->stack, k->c.sd, now, SYNACK_SHUT_WR);
            k->draining = true;
            k->linger_until = now + SERVE_LINGER_US;
            r = svc_drain(&sv->host, &k->c, now);
            if (r != SVC_MORE) conn_release(sv, k, now, false);
        }
    }
}

static void accept_all(struct serve *sv, struct listener *l, uint64_t now)
{
    for (;;) {
        struct synack_endpoint peer;
        int sd = synack_accept(sv->stack, l->sd, &peer);
        if (sd < 0) return;
        l->accepted++;
        struct conn *k = sv->nconns < SERVE_MAX_CONNS ? calloc(1, sizeof *k) : NULL;
        if (k) {
            k->c.sd = sd;
            k->c.ops = l->ops;
            if (l->ops->open(&k->c) < 0) {
                free(k);
                k = NULL;
            }
        }
        if (!k) {
            /* Over the limit: the connection is closed at once, which the peer sees as an
             * immediate FIN (or a reset once it sends), not as a hang. */
            sv->refused++;
            synack_close(sv->stack, sd, now);
            continue;
        }
        sv->conns[sd] = k;
        sv->nconns++;
        conn_handle(sv, k, now);
    }
}

static void serve_app(void *ctx, uint64_t now)
{
    struct serve *sv = ctx;
    int sd;
    unsigned ev;
    for (int i = 0; i < sv->nls; i++)
        if (sv->ls[i].sd >= 0) accept_all(sv, &sv->ls[i], now);
    while (synack_next_event(sv->stack, &sd, &ev)) {
        if (sd < 0 || sd >= SERVE_SOCKETS) continue;
        struct conn *k = sv->conns[sd];
        if (k) conn_handle(sv, k, now);
    }
    for (int i = 0; i < sv->nls; i++)
        if (sv->ls[i].sd >= 0) accept_all(sv, &sv->ls[i], now);
    /* Connections with output waiting for room, or a lingering close running out. */
    if (sv->nconns) {
        for (int i = 0; i < SERVE_SOCKETS; i++) {
            struct conn *k = sv->conns[i];
            if (k && (k->c.busy || (k->draining && now >= k->linger_until)))
                conn_handle(sv, k, now);
        }
    }
    if (sv->live) live_trace_flush(sv->live);
    if (sv->side.pcap && now - sv->last_pcap_flush >= SERVE_PCAP_FLUSH) {
        synack_pcap_flush(sv->side.pcap);
        sv->last_pcap_flush = now;
    }
}

static uint32_t open_connections(const synack_stack *s)
{
    struct synack_stats st;
    synack_get_stats(s, &st);
    uint32_t n = 0;
    for (int i = SYNACK_SYN_SENT; i < SYNACK_TIME_WAIT; i++) n += st.sockets_by_state[i];
    return n;
}

static void start_shutdown(struct serve *sv, uint64_t now)
{
    sv->stopping = true;
    sv->stop_deadline = now + SERVE_SHUTDOWN_US;
    for (int i = 0; i < sv->nls; i++) {
        if (sv->ls[i].sd >= 0) synack_close(sv->stack, sv->ls[i].sd, now);
        sv->ls[i].sd = -1;
    }
    for (int i = 0; i < SERVE_SOCKETS; i++) {
        struct conn *k = sv->conns[i];
        if (!k) continue;
        /* Read what is waiting first: closing over unread data would be a reset. */
        svc_drain(&sv->host, &k->c, now);
        conn_release(sv, k, now, false);
    }
    fprintf(stderr, "synack serve: closing %" PRIu32 " connection(s)\n",
            open_connections(sv->stack));
}

static void serve_signal(void *ctx, int signo, uint64_t now)
{
    struct serve *sv = ctx;
    if (signo == SIGUSR1) {
        status(sv, stderr, false);
        fflush(stderr);
    } else if (!sv->stopping) {
        start_shutdown(sv, now);
    } else {
        sv->stop_deadline = now; /* a second signal: stop waiting */
    }
}

static uint64_t serve_deadline(void *ctx)
{
    struct serve *sv = ctx;
    uint64_t d = UINT64_MAX;
    if (sv->stopping) d = sv->stop_deadline;
    for (int i = 0; sv->nconns && i < SERVE_SOCKETS; i++)
        if (sv->conns[i] && sv->conns[i]->draining && sv->conns[i]->linger_until < d)
            d = sv->conns[i]->linger_until;
    if (sv->side.pcap) {
        uint64_t p = sv->last_pcap_flush + SERVE_PCAP_FLUSH;
        if (p < d) d = p;
    }
    return d;
}

static bool serve_done(void *ctx)
{
    struct serve *sv = ctx;
    if (!sv->stopping) return false;
    uint32_t open = open_connections(sv->stack);
    if (open == 0) return true;
    if (loop_now() >= sv->stop_deadline) {
        fprintf(stderr, "synack serve: %" PRIu32 " connection(s) still closing; exiting\n", open);
        return true;
    }
    return false;
}

/* ---- setup ---------------------------------------------------------------------------------- */

static int setup_device(struct serve *sv)
{
    if (tun_side_open(&sv->side, "synack serve") < 0) return -1;
    if (sv->faults_spec) {
        struct synack_faults_config fc;
        memset(&fc, 0, sizeof fc);
        const char *bad = NULL;
        if (synack_faults_parse(sv->faults_spec, &fc, &bad) < 0) {
            fprintf(stderr, "synack serve: bad --faults at '%s'\n", bad ? bad : sv->faults_spec);
            return -1;
        }
        fc.seed = sv->seed;
        fc.inbound = fc.outbound = true;
        synack_dev *f = synack_faults_wrap(sv->side.dev, &fc);
        if (!f) return -1;
        if (sv->live) {
            f->trace = live_trace_event;
            f->trace_ctx = sv->live;
        }
        sv->side.dev = f;
    }
    return 0;
}

int synack_cmd_serve(int argc, char **argv)
{
    struct serve *sv = calloc(1, sizeof *sv);
    if (!sv) return 1;
    int rc = 1;
    int pr = parse(argc, argv, sv);
    if (pr) {
        free(sv);
        return pr == 1 ? 0 : pr;
    }
    sv->conns = calloc(SERVE_SOCKETS, sizeof *sv->conns);
    if (!sv->conns) goto out;
    if (sv->trace) sv->live = live_trace_new(stderr, "kernel", false);
    if (setup_device(sv) < 0) goto out;

    struct synack_config cfg;
    synack_config_default(&cfg);
    cfg.name = "synack";
    cfg.addr = sv->side.addr;
    cfg.prefix_len = sv->side.prefix;
    cfg.mtu = sv->side.dev->mtu;
    cfg.max_sockets = sv->max_sockets ? sv->max_sockets : SERVE_SOCKETS;
    if (sv->msl_us) cfg.msl_us = sv->msl_us;
    if (sv->live) {
        cfg.trace = live_trace_event;
        cfg.trace_ctx = sv->live;
    }
    int err;
    sv->stack = synack_stack_new(&cfg, &err);
    if (!sv->stack) {
        fprintf(stderr, "synack serve: %s\n", synack_strerror(err));
        goto out;
    }
    sv->host = (struct svc_host){.stack = sv->stack, .status = status, .status_ctx = sv};
    for (int i = 0; i < sv->nls; i++) {
        struct listener *l = &sv->ls[i];
        l->sd = synack_socket(sv->stack);
        int r = l->sd < 0 ? l->sd : synack_bind(sv->stack, l->sd, 0, l->port);
        if (r >= 0) r = synack_listen(sv->stack, l->sd, 128);
        if (r < 0) {
            fprintf(stderr, "synack serve: %s on port %u: %s\n", l->ops->name, l->port,
                    synack_strerror(r));
            goto out;
        }
    }
    static const int sigs[] = {SIGINT, SIGTERM, SIGUSR1, SIGHUP, 0};
    if (loop_open(&sv->loop, sv->stack, sv->side.dev, synack_tun_fd(sv->side.tun), sigs) < 0)
        goto out;
    sv->started_at = sv->last_pcap_flush = loop_now();

    char a[16], h[16];
    fprintf(stderr, "synack serve: %s %s (MTU %u); kernel %s/%u, synack %s/%u;",
            synack_tun_created(sv->side.tun) ? "created" : "attached to",
            synack_tun_name(sv->side.tun), sv->side.dev->mtu, ip_str(sv->side.host_addr, h),
            sv->side.host_prefix, ip_str(sv->side.addr, a), sv->side.prefix);
    for (int i = 0; i < sv->nls; i++)
        fprintf(stderr, " %s %u", sv->ls[i].ops->name, sv->ls[i].port);
    fprintf(stderr, "%s\n", sv->faults_spec ? " (with faults)" : "");
    fflush(stderr);

    static const struct loop_ops ops = {.app = serve_app,
                                        .on_signal = serve_signal,
                                        .deadline = serve_deadline,
                                        .done = serve_done};
    if (loop_run(&sv->loop, &ops, sv) == 0) rc = 0;
    fprintf(stderr, "synack serve: stopped\n");

out:
    loop_close(&sv->loop);
    if (sv->conns) {
        for (int i = 0; i < SERVE_SOCKETS; i++) {
            if (!sv->conns[i]) continue;
            sv->conns[i]->c.ops->free(&sv->conns[i]->c);
            free(sv->conns[i]);
        }
    }
    free(sv->conns);
    live_trace_free(sv->live);
    if (sv->stack) synack_stack_free(sv->stack);
    tun_side_close(&sv->side);
    free(sv);
    return rc;
}
