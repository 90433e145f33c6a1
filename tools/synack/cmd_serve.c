/*
 * tools/synack/cmd_serve.c - `synack serve`: a synack stack on a TUN device, serving echo,
 * discard, chargen and HTTP to the kernel's own TCP. It creates the device when missing (or
 * attaches to a persistent one), gives the kernel's side its address over rtnetlink, answers
 * ping, and runs until SIGINT/SIGTERM; then it closes every connection with a FIN exchange,
 * waits a bounded time for them to finish, and exits 0. SIGUSR1 prints the counters.
 *
 * With --queues N the device is multi-queue (IFF_MULTI_QUEUE) and opened N times; each queue
 * has its own thread, pinned to a CPU round-robin, its own stack, listeners, services and
 * counters, and nothing on the data path is shared: the kernel gives every flow one queue
 * (drivers/net/tun.c: by the flow's hash, then the queue we answer it on), so a connection,
 * its SYN cookie's ACK and its TIME-WAIT all meet the same stack. The main thread is queue 0
 * and takes the signals; it tells the other queues through an eventfd each. --no-pin leaves
 * the threads to the scheduler; --steer cpu sends each flow to the queue of the CPU that
 * sent its SYN (a BPF program with flow maps, TUNSETSTEERINGEBPF: tools/synack/steer.c), for
 * clients that run one per CPU.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "cli.h"
#include "live_web.h"
#include "loop.h"
#include "steer.h"
#include "svc.h"
#include "svc_limits.h"
#include "synack/dev.h"
#include "synack/synack.h"
#include "synack/trace.h"
#include "synack/tun.h"

#define SERVE_SOCKETS     2048        /* socket table: connections, listeners, TIME-WAIT */
#define SERVE_MAX_CONNS   1024        /* default --max-conns: all services together */
#define SERVE_SVC_CONNS   256         /* default --max-conns-per-service */
#define SERVE_HEADER_S    10          /* default --header-timeout (HTTP) */
#define SERVE_HTTP_IDLE_S 30          /* default --http-idle-timeout */
#define SERVE_IDLE_S      300         /* default --idle-timeout (echo, discard, chargen) */
#define SERVE_KA_IDLE_S   10          /* --keepalive: first probe after this much silence, */
#define SERVE_KA_INTVL_S  5           /* then one every this often, */
#define SERVE_KA_CNT      3           /* and the connection fails after this many unanswered */
#define SERVE_LINGER_US   10000000ull /* after our FIN, how long we read what still comes */
#define SERVE_SHUTDOWN_US 5000000ull  /* SIGINT/SIGTERM: bound on the FIN exchanges */
#define SERVE_PCAP_FLUSH  1000000ull  /* push the capture to its file every second */
#define SERVE_STEER_MARK  100000ull   /* --steer cpu: a connection's flow is marked then */
#define SERVE_RCVBUF      (4u << 20)  /* default --rcvbuf (below) */

/* The default --rcvbuf: what a connection's receive buffer may grow to by auto-tuning. The
 * library's default (256 KiB) held the kernel's bulk sender on the window for more than half
 * of a transfer over TUN (tcp_info's rwnd_limited, docs/performance.md "Bulk over TUN"): at
 * 15 Gbit/s and the device's queueing delay, 256 KiB is under a round trip's worth. Linux's
 * own receiver may grow to tcp_rmem[2] (6 MiB by default). Memory still follows use: a ring
 * starts at 64 KiB, grows only with what the application reads per round trip, and is given
 * back when idle; the window scale (RFC 7323 §2.3) is chosen from this bound at the SYN. */

/* The default --mem-max: 256 KiB per connection allowed (--max-conns), the library's default
 * buffer, for all queues together. Any one connection may still grow to --rcvbuf; the sum
 * may not: a peer that opens every connection it may, grows each window and sends behind a
 * hole would otherwise make serve hold --rcvbuf for each (2048 sockets × 4 MiB is 8 GiB).
 * With 1024 connections it is 256 MiB: 64 connections at the full 4 MiB at once. */
#define SERVE_MEM_PER_CONN (256u << 10)

struct listener;
struct serve;

/* What queue 0 asks another queue to do (serve_group.ctl), after a signal. */
enum { CTL_STATUS = 1, CTL_STOP = 2, CTL_STOP_NOW = 4 };

/* The queues of one `serve --queues N`. Only the signal path touches it: the data path of
 * each queue is its own. */
struct serve_group {
    unsigned n;
    struct serve *q[SYNACK_TUN_MAX_QUEUES];
    _Atomic unsigned ctl[SYNACK_TUN_MAX_QUEUES];
    pthread_mutex_t print; /* one queue's status at a time on stderr */
};

struct conn {
    struct svc_conn c;
    struct listener *l;
    bool draining; /* our FIN is out; reading (and dropping) until the peer's */
    uint64_t linger_until;
    uint32_t idx; /* its place in serve's list of open connections */
    /* --steer cpu: when its flow goes into the map of established flows (steer_flow_mark;
     * 0: done or not to be), whether it is there, and by which key */
    uint64_t mark_at;
    bool steered;
    struct synack_endpoint local, remote;
};

/* A service's limits: given per service (--http 80,max-conns=64,...) or from the defaults. */
struct policy {
    long max_conns;          /* -1: not given */
    double header_s, idle_s; /* -1: not given; 0: none */
    int keepalive;           /* -1: not given; 0 off; else the keepalive idle, seconds */
};

struct listener {
    const struct svc_ops *ops;
    uint16_t port;
    int sd;
    struct policy p;
    uint32_t max_conns, nconns;
    struct svc_timeouts to;
    /* counters */
    uint64_t accepted, refused_service, refused_global, evicted;
    uint64_t header_timeouts, idle_timeouts, stall_timeouts, linger_timeouts;
};

struct serve {
    struct tun_side side;
    bool trace;
    const char *faults_spec;
    bool no_offload; /* --no-offload */
    uint64_t seed;
    const char *cc;       /* --cc; NULL: the stack's default (CUBIC) */
    uint64_t msl_us;      /* 0: the stack's default (30 s) */
    uint32_t max_sockets; /* 0: SERVE_SOCKETS */
    uint32_t rcvbuf;      /* --rcvbuf; 0: SERVE_RCVBUF */
    uint64_t mem_max;     /* --mem-max, all queues; 0: SERVE_MEM_PER_CONN × --max-conns */
    struct listener ls[4];
    int nls;
    struct policy defaults; /* --max-conns-per-service, --header-timeout, ... */
    double http_idle_s;     /* --http-idle-timeout */
    long max_conns;         /* --max-conns */

    long live_viewers, live_conns; /* --live-viewers, --live-conns */
    synack_stack *stack;
    struct live_trace *live;
    struct live_web *web; /* /live and /events, with an HTTP service */
    struct loop loop;
    struct svc_host host;
    struct conn **conns; /* by socket descriptor */
    /* The open connections, dense: what each iteration walks (a walk over the socket table
     * cost thousands of steps per wake-up with one connection open). */
    struct conn **open;
    uint8_t *scratch, *chargen; /* the services' (svc_host) */
    uint32_t nconns;
    uint64_t refused, started_at, last_pcap_flush;
    uint64_t next_timeout; /* the earliest connection deadline, recomputed each iteration */
    bool stopping;
    uint64_t stop_deadline;

    long nqueues;     /* --queues (1) */
    bool no_pin;      /* --no-pin: the queues' threads float over the allowed CPUs */
    bool io_uring;    /* --io-uring: the loop on io_uring (loop_uring.c), epoll where refused */
    long busy_poll;   /* --busy-poll: µs of looking before the epoll loop sleeps (0: none) */
    bool steer_cpu;   /* --steer cpu: a flow goes to the queue of the CPU that sent its SYN */
    long steer_flows; /* --steer-flows: the flow map's size; 0: steer_map_entries() */
    unsigned queue;   /* this one's number, 0 .. nqueues-1 */
    char who[32];     /* "synack serve", or "synack serve: queue I" (loop.announce) */
    int cpu;          /* the CPU its thread is pinned to; -1: not pinned */
    int steer_est;    /* --steer cpu: the map of established flows (steer.h); -1: none */
    int ctl_fd;       /* eventfd: queue 0 asks this queue to act (serve_group.ctl) */
    struct serve_group *g;
    pthread_t thread;
};

static void usage(FILE *f)
{
    fputs("usage: synack serve --tun IF [--addr A/N]... [--host-addr A/N]... [--no-ipv4]\n"
          "                    [--no-ipv6] [--echo P] [--discard P] [--chargen P] [--http P]\n"
          "                    [--pcap FILE] [--trace] [--no-offload] [--io-uring]\n"
          "                    [--busy-poll US]\n"
          "                    [--faults SPEC] [--seed N] [--cc NAME] [--msl S]\n"
          "                    [--max-sockets N]\n"
          "                    [--rcvbuf B] [--mem-max B] [--max-conns N]\n"
          "                    [--max-conns-per-service N] [--header-timeout S]\n"
          "                    [--http-idle-timeout S] [--idle-timeout S] [--keepalive]\n"
          "                    [--live-viewers N] [--live-conns N]\n"
          "                    [--queues N [--no-pin | --steer cpu [--steer-flows N]]]\n"
          "\n"
          "Runs a synack stack on the TUN device IF (created when missing, brought up, and given\n"
          "the kernel-side addresses), serving to the kernel's own TCP over IPv4 and IPv6:\n"
          "  --echo P       echo (RFC 862) on port P\n"
          "  --discard P    discard (RFC 863)\n"
          "  --chargen P    chargen (RFC 864)\n"
          "  --http P       HTTP/1.1: / status page, /stats JSON, /bytes/N N bytes of a pattern\n"
          "                 (64-byte lines: the offset in 16 hex digits, a space, a-zA-T, LF),\n"
          "                 /live: every connection drawn as a ladder while it runs, in a browser\n"
          "                 (/events: the same as Server-Sent Events; ?conn=N one connection);\n"
          "                 it takes TCP Fast Open (RFC 7413): a request may come in the SYN\n"
          "  --addr A/N     the stack's address, IPv4 or IPv6, once per family\n"
          "                 (10.7.0.2/24 and fd00:7::2/64)\n"
          "  --host-addr A/N  the kernel's address on IF, once per family\n"
          "                 (10.7.0.1/24 and fd00:7::1/64)\n"
          "                 Without these both families run; with them, only the families\n"
          "                 they name (a family's other address takes its default)\n"
          "  --no-ipv4, --no-ipv6  turn a family off (IPv6 is also left out, with a note,\n"
          "                 when the kernel has it disabled on IF or IF's MTU is under 1280)\n"
          "  --pcap FILE    write every datagram, both ways, to FILE (raw IP: IPv4 and IPv6)\n"
          "  --trace        draw each connection as a ladder on stderr, live\n"
          "  --no-offload   a plain TUN device: no virtio_net_hdr, no super-segments either\n"
          "                 way (by default the kernel's checksum offload and TSO4/TSO6 are\n"
          "                 asked for, and the stack sends super-segments; --faults implies\n"
          "                 this, as the faults are meant for wire segments)\n"
          "  --io-uring     the event loop on io_uring: reads kept posted on the device (a\n"
          "                 multishot read, Linux 6.7), the answers written in the system call\n"
          "                 that waits for the next datagram; where the kernel refuses it (or\n"
          "                 with --pcap or --faults) the epoll loop runs, and it runs while\n"
          "                 datagrams come one per answer (a ping-pong). The loop in use is\n"
          "                 said at startup\n"
          "  --busy-poll US when a read finds the device empty, look at it again without\n"
          "                 waiting for up to US microseconds (0..1000, 0) before the epoll\n"
          "                 loop sleeps: a request that comes within them costs no wake-up,\n"
          "                 at the price of the CPU spent spinning\n"
          "  --faults SPEC  seeded faults between the device and the stack, both ways, e.g.\n"
          "                 loss=0.03,dup=0.01,reorder=0.1,delay=5ms (also corrupt=, jitter=)\n"
          "  --seed N       the faults' seed (1)\n"
          "  --cc NAME      congestion control: cubic (the default) or newreno\n"
          "  --msl S        Maximum Segment Lifetime; TIME-WAIT lasts 2*MSL (30)\n"
          "  --max-sockets N  the stack's socket table: listeners, connections, TIME-WAIT\n"
          "                 (2..2048, 2048); a handshake that finds it full is reset\n"
          "  --rcvbuf B     the most a connection's receive buffer grows to, by auto-tuning,\n"
          "                 in bytes (4096..1073741824, 4194304); the window scale follows\n"
          "  --mem-max B    the most all connections' buffers hold together, in bytes\n"
          "                 (1048576..2^40; 262144 per --max-conns): at 3/4 windows stop\n"
          "                 growing, at the limit out-of-order data is given up\n"
          "Limits and timeouts (S in seconds, 0 = none):\n"
          "  --max-conns N  connections of all services together (1024, at most 2000)\n"
          "  --max-conns-per-service N  connections of each service (256)\n"
          "  --header-timeout S  HTTP: the whole request head must come within S of the accept\n"
          "                 (or of its first byte on a kept-alive connection); else 408 (10)\n"
          "  --http-idle-timeout S  HTTP: a kept-alive connection without a request, or a\n"
          "                 response the peer stopped reading, is closed after S (30)\n"
          "  --idle-timeout S  echo, discard, chargen: closed after S without progress (300)\n"
          "  --keepalive    TCP keepalive on accepted connections (probe after 10 s of\n"
          "                 silence, every 5 s, give up after 3)\n"
          "Watching TCP live (/live, /events):\n"
          "  --live-viewers N  viewers of /events at once (0..64, 4; 0: none); a viewer that\n"
          "                 reads too slowly loses events (counted, and said on its page)\n"
          "  --live-conns N  connections kept for display, open and recently closed\n"
          "                 (1..1024, 64); the oldest closed one is forgotten first\n"
          "Past one core:\n"
          "  --queues N     a multi-queue TUN device opened N times (1..64, 1), one thread,\n"
          "                 stack and set of services per queue, pinned to the allowed CPUs\n"
          "                 in turn; the kernel keeps each connection on one queue. Status\n"
          "                 and counters are per queue (SIGUSR1 prints each). Not with --pcap\n"
          "                 or --trace\n"
          "  --no-pin       the queues' threads are not pinned: the scheduler places them, near\n"
          "                 the processes that wake them (for clients on this machine, whose\n"
          "                 datagrams reach a queue from their own CPU)\n"
          "  --steer cpu    each connection to the queue of the CPU that sent its SYN (queue\n"
          "                 i's thread on CPU i; N at most the CPUs, CPUs 0..N-1 allowed), for\n"
          "                 clients on this machine that run one per CPU: a BPF program keeps\n"
          "                 the flows in maps (every connection the stacks can hold, at least\n"
          "                 65536), so a client that moves to another CPU stays on its queue.\n"
          "                 Where the kernel refuses the maps, each datagram goes to its CPU's\n"
          "                 queue (said at startup), and a connection whose client moves is\n"
          "                 reset\n"
          "  --steer-flows N  the flow map's size (1024..4194304): N open flows, and as many\n"
          "                 the client has closed; by default every 4-tuple the stacks can\n"
          "                 hold, at least 65536. Smaller, an idle flow may be evicted while\n"
          "                 its stack holds it (then steered by the CPU of each datagram)\n"
          "A service's own values follow its port: --http 80,max-conns=64,header-timeout=3,\n"
          "idle-timeout=5,keepalive (keepalive=S: the first probe after S).\n"
          "At its limit a service evicts (resets) a connection that is closing or has waited\n"
          "longest for a request head, or one idle for 1 s; with none to evict, the new\n"
          "connection is closed at once. The counters (refused by which limit, evicted, each\n"
          "timeout) are in the status page, /stats and SIGUSR1's dump.\n"
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

/* Seconds, 0 (none) to a day. */
static int parse_seconds(const char *v, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !(x >= 0 && x <= 86400)) return -1;
    *out = x;
    return 0;
}

static int parse_count(const char *v, long lo, long hi, long *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

/* "P[,max-conns=N][,header-timeout=S][,idle-timeout=S][,keepalive[=S]]" */
static int parse_service(char *v, struct listener *l)
{
    char *save = NULL;
    char *tok = strtok_r(v, ",", &save);
    if (!tok || parse_port(tok, &l->port) < 0) return -1;
    while ((tok = strtok_r(NULL, ",", &save))) {
        char *val = strchr(tok, '=');
        if (val) *val++ = 0;
        double secs;
        if (!strcmp(tok, "max-conns") && val) {
            if (parse_count(val, 1, SERVE_SOCKETS, &l->p.max_conns) < 0) return -1;
        } else if (!strcmp(tok, "header-timeout") && val) {
            if (parse_seconds(val, &l->p.header_s) < 0) return -1;
        } else if (!strcmp(tok, "idle-timeout") && val) {
            if (parse_seconds(val, &l->p.idle_s) < 0) return -1;
        } else if (!strcmp(tok, "keepalive")) {
            secs = SERVE_KA_IDLE_S;
            if (val && (parse_seconds(val, &secs) < 0 || secs < 1 || secs > 7200)) return -1;
            l->p.keepalive = (int)secs;
        } else {
            return -1;
        }
    }
    return 0;
}

static int parse(int argc, char **argv, struct serve *o)
{
    tun_side_defaults(&o->side);
    o->side.offload = true;
    o->seed = 1;
    o->defaults = (struct policy){.max_conns = -1, .header_s = -1, .idle_s = -1, .keepalive = -1};
    o->http_idle_s = -1;
    o->max_conns = -1;
    o->live_viewers = LIVE_DEFAULT_VIEWERS;
    o->live_conns = LIVE_DEFAULT_CONNS;
    o->nqueues = 1;
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
        if (!strcmp(a, "--no-offload")) {
            o->no_offload = true;
            continue;
        }
        if (!strcmp(a, "--no-pin")) {
            o->no_pin = true;
            continue;
        }
        if (!strcmp(a, "--io-uring")) {
            o->io_uring = true;
            continue;
        }
        if (!strcmp(a, "--keepalive")) {
            o->defaults.keepalive = SERVE_KA_IDLE_S;
            continue;
        }
        if (tun_side_flag(&o->side, a)) continue; /* --no-ipv4, --no-ipv6 */
        if (!v) {
            fprintf(stderr, "synack serve: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        const struct svc_ops *svc = NULL;
        /* --tun, --addr, --host-addr, --pcap */
        int t = tun_side_option(&o->side, "synack serve", a, v);
        if (t < 0) goto bad;
        if (t > 0) continue;
        if (!strcmp(a, "--faults")) {
            o->faults_spec = v;
        } else if (!strcmp(a, "--seed")) {
            char *end;
            o->seed = strtoull(v, &end, 10);
            if (!*v || *end) goto bad;
        } else if (!strcmp(a, "--cc")) {
            if (strcmp(v, "cubic") != 0 && strcmp(v, "newreno") != 0 && strcmp(v, "reno") != 0)
                goto bad;
            o->cc = v;
        } else if (!strcmp(a, "--msl")) {
            char *end;
            double x = strtod(v, &end);
            if (!*v || *end || x < 0.001 || x > 3600) goto bad;
            o->msl_us = (uint64_t)(x * 1e6);
        } else if (!strcmp(a, "--max-conns")) {
            if (parse_count(v, 1, SERVE_SOCKETS - 48, &o->max_conns) < 0) goto bad;
        } else if (!strcmp(a, "--steer")) {
            if (strcmp(v, "cpu") != 0) goto bad;
            o->steer_cpu = true;
        } else if (!strcmp(a, "--steer-flows")) {
            if (parse_count(v, STEER_FLOWS_MIN, STEER_FLOWS_MAX, &o->steer_flows) < 0) goto bad;
        } else if (!strcmp(a, "--busy-poll")) {
            if (parse_count(v, 0, 1000, &o->busy_poll) < 0) goto bad;
        } else if (!strcmp(a, "--queues")) {
            if (parse_count(v, 1, SYNACK_TUN_MAX_QUEUES, &o->nqueues) < 0) goto bad;
        } else if (!strcmp(a, "--live-viewers")) {
            if (parse_count(v, 0, LIVE_MAX_VIEWERS, &o->live_viewers) < 0) goto bad;
        } else if (!strcmp(a, "--live-conns")) {
            if (parse_count(v, 1, LIVE_MAX_CONNS, &o->live_conns) < 0) goto bad;
        } else if (!strcmp(a, "--max-conns-per-service")) {
            if (parse_count(v, 1, SERVE_SOCKETS - 48, &o->defaults.max_conns) < 0) goto bad;
        } else if (!strcmp(a, "--header-timeout")) {
            if (parse_seconds(v, &o->defaults.header_s) < 0) goto bad;
        } else if (!strcmp(a, "--http-idle-timeout")) {
            if (parse_seconds(v, &o->http_idle_s) < 0) goto bad;
        } else if (!strcmp(a, "--idle-timeout")) {
            if (parse_seconds(v, &o->defaults.idle_s) < 0) goto bad;
        } else if (!strcmp(a, "--max-sockets")) {
            char *end;
            unsigned long x = strtoul(v, &end, 10);
            if (!*v || *end || x < 2 || x > SERVE_SOCKETS) goto bad;
            o->max_sockets = (uint32_t)x;
        } else if (!strcmp(a, "--rcvbuf")) {
            char *end;
            unsigned long long x = strtoull(v, &end, 10);
            if (!*v || *end || x < 4096 || x > (1ull << 30)) goto bad;
            o->rcvbuf = (uint32_t)x;
        } else if (!strcmp(a, "--mem-max")) {
            char *end;
            unsigned long long x = strtoull(v, &end, 10);
            if (!*v || *end || x < (1ull << 20) || x > (1ull << 40)) goto bad;
            o->mem_max = x;
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
            if (o->nls == 4) goto bad;
            struct listener *l = &o->ls[o->nls];
            *l = (struct listener){
                .ops = svc,
                .sd = -1,
                .p = {.max_conns = -1, .header_s = -1, .idle_s = -1, .keepalive = -1}};
            char spec[128];
            size_t vlen = strlen(v);
            if (vlen >= sizeof spec) goto bad;
            memcpy(spec, v, vlen + 1);
            if (parse_service(spec, l) < 0) goto bad;
            o->nls++;
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
    if (tun_side_finish(&o->side, "synack serve") < 0) return 2;
    if (o->nqueues > 1 && (o->trace || o->side.pcap_path)) {
        /* One ladder or capture from several threads would interleave mid-line or need a
         * lock on the data path. */
        fprintf(stderr, "synack serve: --queues is not for --trace or --pcap\n");
        return 2;
    }
    if (o->steer_cpu && (o->nqueues < 2 || o->no_pin)) {
        fprintf(stderr, "synack serve: --steer cpu needs --queues N (N > 1), not --no-pin\n");
        return 2;
    }
    if (o->steer_flows && !o->steer_cpu) {
        fprintf(stderr, "synack serve: --steer-flows is for --steer cpu\n");
        return 2;
    }
    o->side.nqueues = (unsigned)o->nqueues;
    if (o->nls == 0) fprintf(stderr, "synack serve: no service given; only ping is answered\n");
    /* Each service's values: its own, else the options', else the defaults. */
    if (o->max_conns < 0) o->max_conns = SERVE_MAX_CONNS;
    for (int i = 0; i < o->nls; i++) {
        struct listener *l = &o->ls[i];
        bool http = l->ops == &svc_http;
        long m = l->p.max_conns >= 0          ? l->p.max_conns
                 : o->defaults.max_conns >= 0 ? o->defaults.max_conns
                                              : SERVE_SVC_CONNS;
        double hs = l->p.header_s >= 0          ? l->p.header_s
                    : o->defaults.header_s >= 0 ? o->defaults.header_s
                                                : SERVE_HEADER_S;
        double is = l->p.idle_s >= 0 ? l->p.idle_s
                    : http           ? (o->http_idle_s >= 0 ? o->http_idle_s : SERVE_HTTP_IDLE_S)
                    : o->defaults.idle_s >= 0 ? o->defaults.idle_s
                                              : SERVE_IDLE_S;
        int ka = l->p.keepalive >= 0 ? l->p.keepalive : o->defaults.keepalive;
        l->max_conns = (uint32_t)(m < o->max_conns ? m : o->max_conns);
        l->to.header_us = http ? (uint64_t)(hs * 1e6) : 0;
        l->to.idle_us = (uint64_t)(is * 1e6);
        l->p.keepalive = ka > 0 ? ka : 0;
    }
    return 0;
}

/* ---- status, for SIGUSR1 and the HTTP pages ----------------------------------------------- */

/* The server's own counters as the JSON member "serve". */
static void status_json(const struct serve *sv, FILE *f)
{
    fprintf(f,
            "\"serve\":{\"queue\":%u,\"queues\":%ld,\"cpu\":%d,\"conns\":%" PRIu32
            ",\"max_conns\":%ld,\"refused\":%" PRIu64 ",\"services\":{",
            sv->queue, sv->nqueues, sv->cpu, sv->nconns, sv->max_conns, sv->refused);
    for (int i = 0; i < sv->nls; i++) {
        const struct listener *l = &sv->ls[i];
        fprintf(f,
                "%s\"%s:%u\":{\"conns\":%" PRIu32 ",\"max_conns\":%" PRIu32
                ",\"header_timeout_ms\":%" PRIu64 ",\"idle_timeout_ms\":%" PRIu64
                ",\"keepalive\":%d,\"accepted\":%" PRIu64 ",\"refused_service_limit\":%" PRIu64
                ",\"refused_global_limit\":%" PRIu64 ",\"evicted\":%" PRIu64
                ",\"header_timeouts\":%" PRIu64 ",\"idle_timeouts\":%" PRIu64
                ",\"stall_timeouts\":%" PRIu64 ",\"linger_timeouts\":%" PRIu64 "}",
                i ? "," : "", l->ops->name, l->port, l->nconns, l->max_conns,
                l->to.header_us / 1000, l->to.idle_us / 1000, l->p.keepalive, l->accepted,
                l->refused_service, l->refused_global, l->evicted, l->header_timeouts,
                l->idle_timeouts, l->stall_timeouts, l->linger_timeouts);
    }
    fputs("}}", f);
}

static void status(void *ctx, FILE *f, bool json)
{
    struct serve *sv = ctx;
    if (json) {
        /* the server's member first: the stack's end with sockets_by_state, as before */
        fputc('{', f);
        status_json(sv, f);
        fputc(',', f);
        if (sv->web) {
            live_web_stats_json(sv->web, f);
            fputc(',', f);
        }
        print_stats_members(f, sv->stack);
        fputs("}\n", f);
        return;
    }
    char addrs[256];
    fprintf(f, "synack serve on %s: %s, MTU %u\n", sv->side.tun_name,
            tun_side_describe(&sv->side, true, addrs, sizeof addrs), sv->side.dev->mtu);
    if (sv->nqueues > 1 && sv->cpu >= 0)
        fprintf(f, "queue %u of %ld on cpu %d: its own stack, connections and counters below\n",
                sv->queue, sv->nqueues, sv->cpu);
    else if (sv->nqueues > 1)
        fprintf(f, "queue %u of %ld, not pinned: its own stack, connections and counters below\n",
                sv->queue, sv->nqueues);
    fprintf(f, "uptime %.1f s, %" PRIu32 " connections open, %" PRIu64 " refused (limit %ld)\n",
            (loop_now() - sv->started_at) / 1e6, sv->nconns, sv->refused, sv->max_conns);
    for (int i = 0; i < sv->nls; i++) {
        const struct listener *l = &sv->ls[i];
        fprintf(f,
                "service %-8s port %-5u accepted %" PRIu64 ", open %" PRIu32 "/%" PRIu32
                "; refused by the service limit %" PRIu64 ", by the global limit %" PRIu64
                "; evicted %" PRIu64 "; timeouts: header %" PRIu64 ", idle %" PRIu64
                ", stall %" PRIu64 ", linger %" PRIu64 "\n",
                l->ops->name, l->port, l->accepted, l->nconns, l->max_conns, l->refused_service,
                l->refused_global, l->evicted, l->header_timeouts, l->idle_timeouts,
                l->stall_timeouts, l->linger_timeouts);
    }
    if (sv->web) {
        fputs("live ", f);
        live_web_stats_json(sv->web, f);
        fputc('\n', f);
    }
    struct synack_tun_stats ts;
    synack_tun_get_stats(sv->side.tun, &ts);
    fprintf(f,
            "tun rx %" PRIu64 " packets %" PRIu64 " bytes, tx %" PRIu64 " packets %" PRIu64
            " bytes, tx dropped %" PRIu64 "; super-segments rx %" PRIu64 " tx %" PRIu64
            "; read into the ring %" PRIu64 " (hint missed %" PRIu64 ")\n",
            ts.rx_packets, ts.rx_bytes, ts.tx_packets, ts.tx_bytes, ts.tx_dropped, ts.rx_gso,
            ts.tx_gso, ts.rx_placed, ts.rx_hint_missed);
    print_stats(f, sv->stack, false);
    int shown = 0;
    char ra[ENDPOINT_STRLEN];
    for (int i = 0; i < SERVE_SOCKETS && shown < 32; i++) {
        struct synack_sockinfo si;
        if (!sv->conns[i] || synack_getinfo(sv->stack, i, &si) < 0) continue;
        shown++;
        fprintf(
            f,
            "conn %s %s %s snd_una=%" PRIu32 " snd_nxt=%" PRIu32 " snd_wnd=%" PRIu32
            " cwnd=%" PRIu32 " rcv_nxt=%" PRIu32 " rcv_wnd=%" PRIu32 " queued=%" PRIu32 "/%" PRIu32
            " rto=%" PRIu64 "ms retx=%" PRIu64 " mss=%" PRIu32 " pmtu=%" PRIu32 "\n",
            sv->conns[i]->c.ops->name, endpoint_str(&si.remote.addr, si.remote.port, ra, sizeof ra),
            synack_state_name(si.state), si.snd_una - si.iss, si.snd_nxt - si.iss, si.snd_wnd,
            si.cwnd, si.rcv_nxt - si.irs, si.rcv_wnd, si.snd_queued, si.rcv_queued,
            si.rto_us / 1000, si.retransmits, si.snd_mss, si.pmtu);
    }
}

/* ---- connections ---------------------------------------------------------------------------- */

static void conn_release(struct serve *sv, struct conn *k, uint64_t now, bool abort)
{
    int sd = k->c.sd;
    /* Its last segments (the FINs, TIME-WAIT) are steered by the LRU maps again. */
    if (k->steered) (void)steer_flow_mark(sv->steer_est, &k->local, &k->remote, -1);
    if (abort)
        synack_abort(sv->stack, sd, now);
    else
        synack_close(sv->stack, sd, now);
    k->c.ops->free(&k->c);
    sv->conns[sd] = NULL;
    /* The last one takes its place; a walk from the end down (serve_app) has seen it. */
    struct conn *last = sv->open[--sv->nconns];
    sv->open[k->idx] = last;
    last->idx = k->idx;
    k->l->nconns--;
    free(k);
}

/* The service is done with the connection (or it timed out idle): close gracefully. True
 * when k was released (and freed). */
static bool conn_finish(struct serve *sv, struct conn *k, uint64_t now)
{
    k->c.busy = false;
    if (k->c.peer_eof) {
        /* Both directions are done: the passive close (CLOSE-WAIT, LAST-ACK). */
        conn_release(sv, k, now, false);
        return true;
    }
    /* We close first: our FIN goes after the queued data (FIN-WAIT-1...TIME-WAIT); what the
     * peer still sends is read and dropped, so that an unread byte does not turn the close
     * into a reset (RFC 9112 §9.6's lingering close). */
    synack_shutdown(sv->stack, k->c.sd, now, SYNACK_SHUT_WR);
    k->draining = true;
    k->linger_until = now + SERVE_LINGER_US;
    svc_set_phase(&k->c, SVC_PHASE_CLOSING, now);
    if (svc_drain(&sv->host, &k->c, now) == SVC_MORE) return false;
    conn_release(sv, k, now, false);
    return true;
}

/* The connection's turn: its service's I/O, or its lingering close. True when k was
 * released (and freed). */
static bool conn_handle(struct serve *sv, struct conn *k, uint64_t now)
{
    enum svc_result r;
    if (k->draining) {
        r = svc_drain(&sv->host, &k->c, now);
        if (r == SVC_MORE && now >= k->linger_until) k->l->linger_timeouts++;
        if (r == SVC_MORE && now < k->linger_until) return false;
        conn_release(sv, k, now, false);
        return true;
    }
    uint64_t moved = k->c.bytes_in + k->c.bytes_out;
    r = k->c.ops->io(&sv->host, &k->c, now);
    if (k->c.bytes_in + k->c.bytes_out != moved) k->c.last_progress = now;
    if (r == SVC_ABORT) {
        /* The connection failed (reset, timed out): only the descriptor is left. */
        synack_socket_error(sv->stack, k->c.sd);
        conn_release(sv, k, now, false);
        return true;
    }
    return r == SVC_DONE && conn_finish(sv, k, now);
}

/* A timeout of svc_limits.h fired. True when k was released (and freed). */
static bool conn_expire(struct serve *sv, struct conn *k, enum svc_expiry why, uint64_t now)
{
    switch (why) {
    case SVC_EXPIRE_HEADER:
        k->l->header_timeouts++;
        if (k->c.ops->header_timeout) {
            k->c.ops->header_timeout(&sv->host, &k->c, now); /* 408 */
            k->c.last_progress = now;
            return conn_handle(sv, k, now);
        }
        return conn_finish(sv, k, now);
    case SVC_EXPIRE_IDLE:
        k->l->idle_timeouts++;
        return conn_finish(sv, k, now);
    case SVC_EXPIRE_STALL:
        /* The peer reads nothing: a FIN would wait behind the unsent data (and the stack
         * would probe its zero window forever), so reset. */
        k->l->stall_timeouts++;
        conn_release(sv, k, now, true);
        return true;
    case SVC_EXPIRE_NONE:
        break;
    }
    return false;
}

/* The best victim for eviction (svc_limits.h), among the service's connections when only is
 * set, else among all; NULL when none may be evicted. */
static struct conn *pick_victim(struct serve *sv, const struct listener *only, uint64_t now)
{
    struct conn *best = NULL;
    int best_rank = -1;
    uint64_t best_key = 0;
    for (uint32_t i = 0; i < sv->nconns; i++) {
        struct conn *k = sv->open[i];
        if (only && k->l != only) continue;
        uint64_t key = 0; /* left unset when the rank is -1 */
        int rank = svc_evict_rank(&k->c, now, &key);
        if (svc_evict_better(rank, key, best_rank, best_key)) {
            best = k;
            best_rank = rank;
            best_key = key;
        }
    }
    return best;
}

/* Room for one more connection of l: true, maybe after evicting one; false when it must be
 * refused (counted by the limit that refused it). */
static bool make_room(struct serve *sv, struct listener *l, uint64_t now)
{
    if (l->nconns >= l->max_conns) {
        struct conn *v = pick_victim(sv, l, now);
        if (!v) {
            l->refused_service++;
            return false;
        }
        v->l->evicted++;
        conn_release(sv, v, now, true);
    }
    if (sv->nconns >= (uint32_t)sv->max_conns) {
        struct conn *v = pick_victim(sv, NULL, now);
        if (!v) {
            l->refused_global++;
            return false;
        }
        v->l->evicted++;
        conn_release(sv, v, now, true);
    }
    return true;
}

/* --steer cpu: the stack completed this flow's handshake, so it is this queue's for as long
 * as serve holds it, whatever flood would push it out of the program's LRU maps (a SYN and
 * a blind ACK for each of many 4-tuples: tools/synack/steer.c). A connection is marked
 * once it has lived SERVE_STEER_MARK, so that the short ones, most of them, never pay the
 * two system calls (about 4.5 µs here); a younger one is still in the LRU maps, recently
 * used, and a flood would have to push the whole map through them meanwhile. */
static void steer_mark(struct serve *sv, struct conn *k, uint64_t now)
{
    if (now < k->mark_at) {
        if (k->mark_at < sv->next_timeout) sv->next_timeout = k->mark_at;
        return;
    }
    k->mark_at = 0;
    struct synack_sockinfo si;
    if (synack_getinfo(sv->stack, k->c.sd, &si) < 0 || si.state != SYNACK_ESTABLISHED) return;
    k->local = si.local;
    k->remote = si.remote;
    k->steered = steer_flow_mark(sv->steer_est, &k->local, &k->remote, sv->cpu) == 0;
}

static void accept_all(struct serve *sv, struct listener *l, uint64_t now)
{
    for (;;) {
        struct synack_endpoint peer;
        int sd = synack_accept(sv->stack, l->sd, &peer);
        if (sd < 0) return;
        l->accepted++;
        struct conn *k = NULL;
        if (sd < SERVE_SOCKETS && make_room(sv, l, now)) k = calloc(1, sizeof *k);
        if (k) {
            k->c.sd = sd;
            k->c.ops = l->ops;
            k->c.phase_since = k->c.last_progress = now;
            k->l = l;
            if (l->ops->open(&k->c) < 0) {
                free(k);
                k = NULL;
            }
        }
        if (!k) {
            /* Over a limit: the connection is closed at once, which the peer sees as an
             * immediate FIN (or a reset once it sends), not as a hang. */
            sv->refused++;
            synack_close(sv->stack, sd, now);
            continue;
        }
        if (l->p.keepalive) {
            /* The parameters first: turning keepalive on arms its timer with the idle time
             * set then (a later KEEPIDLE does not re-arm it). */
            synack_setopt(sv->stack, sd, SYNACK_OPT_KEEPIDLE, l->p.keepalive);
            synack_setopt(sv->stack, sd, SYNACK_OPT_KEEPINTVL, SERVE_KA_INTVL_S);
            synack_setopt(sv->stack, sd, SYNACK_OPT_KEEPCNT, SERVE_KA_CNT);
            synack_setopt(sv->stack, sd, SYNACK_OPT_KEEPALIVE, 1);
        }
        if (sv->steer_est >= 0 && sv->cpu >= 0) k->mark_at = now + SERVE_STEER_MARK;
        sv->conns[sd] = k;
        k->idx = sv->nconns;
        sv->open[sv->nconns++] = k;
        l->nconns++;
        conn_handle(sv, k, now);
    }
}

/* The trace callback: the terminal ladders (--trace) and the live page. Both only read. */
static void serve_trace(void *ctx, const struct synack_trace_event *ev)
{
    struct serve *sv = ctx;
    if (sv->live) live_trace_event(sv->live, ev);
    if (sv->web) live_web_event(sv->web, ev);
}

/* The listener whose descriptor sd is, or NULL. */
static struct listener *listener_of(struct serve *sv, int sd)
{
    for (int i = 0; i < sv->nls; i++)
        if (sv->ls[i].sd == sd && sd >= 0) return &sv->ls[i];
    return NULL;
}

static void serve_app(void *ctx, uint64_t now)
{
    struct serve *sv = ctx;
    int sd;
    unsigned ev;
    /* the rows of what the input and the timers did, for the viewers below */
    if (sv->web) live_web_flush(sv->web, now);
    /* A listener is reported when its accept queue gains a connection (the stack queues it
     * for synack_next_event as it queues the child), and accept_all drains the queue, so
     * that the report after the next one is a change again: listeners are accepted from
     * only when reported. Asking each listener on every turn cost ~500 instructions per
     * ping-pong round trip (docs/performance.md, "Third pass"). */
    while (synack_next_event(sv->stack, &sd, &ev)) {
        struct listener *l = listener_of(sv, sd);
        if (l) {
            if (ev & SYNACK_EV_READABLE) accept_all(sv, l, now);
            continue;
        }
        if (sd < 0 || sd >= SERVE_SOCKETS) continue;
        struct conn *k = sv->conns[sd];
        if (k) conn_handle(sv, k, now);
    }
    /* Connections with output waiting for room, or a lingering close running out; then the
     * timeouts, and the earliest of those still ahead for the loop's wait. */
    /* From the end down: a connection released takes the last one into its place, which
     * this walk has seen already. */
    sv->next_timeout = UINT64_MAX;
    for (uint32_t i = sv->nconns; i-- > 0;) {
        struct conn *k = sv->open[i];
        if ((k->c.busy || (k->draining && now >= k->linger_until)) && conn_handle(sv, k, now))
            continue; /* released */
        if (k->mark_at) steer_mark(sv, k, now);
        if (k->draining) {
            if (k->linger_until < sv->next_timeout) sv->next_timeout = k->linger_until;
            continue;
        }
        enum svc_expiry why;
        uint64_t d = svc_deadline(&k->l->to, &k->c, &why);
        if (d <= now) {
            if (conn_expire(sv, k, why, now)) continue;
            if (k->draining) {
                if (k->linger_until < sv->next_timeout) sv->next_timeout = k->linger_until;
                continue;
            }
            d = svc_deadline(&k->l->to, &k->c, &why);
        }
        if (d < sv->next_timeout) sv->next_timeout = d;
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
    while (sv->nconns) {
        struct conn *k = sv->open[sv->nconns - 1];
        /* Read what is waiting first: closing over unread data would be a reset. */
        svc_drain(&sv->host, &k->c, now);
        conn_release(sv, k, now, false);
    }
    fprintf(stderr, "synack serve: closing %" PRIu32 " connection(s)\n",
            open_connections(sv->stack));
}

static void print_status(struct serve *sv)
{
    pthread_mutex_lock(&sv->g->print);
    status(sv, stderr, false);
    (void)fflush(stderr); /* diagnostics: nowhere to report their own failure */
    pthread_mutex_unlock(&sv->g->print);
}

/* Asks the other queues to act (queue 0, after a signal). */
static void tell_queues(struct serve_group *g, unsigned what)
{
    for (unsigned i = 1; i < g->n; i++) {
        atomic_fetch_or(&g->ctl[i], what);
        uint64_t one = 1;
        /* EAGAIN is a full counter: the queue is woken all the same. */
        ssize_t w = write(g->q[i]->ctl_fd, &one, sizeof one);
        (void)w;
    }
}

static void serve_signal(void *ctx, int signo, uint64_t now)
{
    struct serve *sv = ctx;
    if (signo == SIGUSR1) {
        print_status(sv);
        tell_queues(sv->g, CTL_STATUS);
    } else if (!sv->stopping) {
        start_shutdown(sv, now);
        tell_queues(sv->g, CTL_STOP);
    } else {
        sv->stop_deadline = now; /* a second signal: stop waiting */
        tell_queues(sv->g, CTL_STOP_NOW);
    }
}

/* Another queue's eventfd: what queue 0 asked for. */
static void serve_ctl(void *ctx, int fd, uint32_t events, uint64_t now)
{
    struct serve *sv = ctx;
    (void)events;
    uint64_t n;
    if (fd != sv->ctl_fd || read(fd, &n, sizeof n) != (ssize_t)sizeof n) return;
    unsigned what = atomic_exchange(&sv->g->ctl[sv->queue], 0u);
    if (what & CTL_STATUS) print_status(sv);
    if ((what & (CTL_STOP | CTL_STOP_NOW)) && !sv->stopping) start_shutdown(sv, now);
    if (what & CTL_STOP_NOW) sv->stop_deadline = now;
}

static uint64_t serve_deadline(void *ctx)
{
    struct serve *sv = ctx;
    uint64_t d = UINT64_MAX;
    if (sv->stopping) d = sv->stop_deadline;
    if (sv->next_timeout < d) d = sv->next_timeout; /* with the lingering closes' ends */
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

/* The fault injector around this queue's device, seeded by --seed and the queue's number. */
static int setup_faults(struct serve *sv)
{
    if (!sv->faults_spec) return 0;
    struct synack_faults_config fc;
    memset(&fc, 0, sizeof fc);
    const char *bad = NULL;
    if (synack_faults_parse(sv->faults_spec, &fc, &bad) < 0) {
        fprintf(stderr, "synack serve: bad --faults at '%s'\n", bad ? bad : sv->faults_spec);
        return -1;
    }
    fc.seed = sv->seed + sv->queue;
    fc.inbound = fc.outbound = true;
    synack_dev *f = synack_faults_wrap(sv->side.dev, &fc);
    if (!f) return -1;
    if (sv->live || sv->web) {
        f->trace = serve_trace;
        f->trace_ctx = sv;
    }
    sv->side.dev = f;
    return 0;
}

/* The 4-tuples one queue's stack can know at once: its sockets (listeners, connections,
 * TIME-WAIT sockets), its request records (half-open connections) and its TIME-WAIT records
 * (src/entry/stack.c sizes its 4-tuple hash so). --steer cpu's flow map holds as many for
 * every queue (tools/synack/steer.c). */
static uint64_t stack_flows(const struct serve *sv)
{
    struct synack_config cfg;
    synack_config_default(&cfg);
    uint64_t socks = sv->max_sockets ? sv->max_sockets : SERVE_SOCKETS;
    return socks + cfg.max_half_open + cfg.max_time_wait;
}

/* One queue, its device already open: its tables, live views, stack, listeners and loop.
 * shared_key: the Fast Open key of every queue, or NULL (one queue: the stack draws its own).
 * 0, or -1 with a message. */
static int setup_queue(struct serve *sv, const uint8_t *shared_key)
{
    sv->conns = calloc(SERVE_SOCKETS, sizeof(struct conn *));
    sv->open = calloc(SERVE_SOCKETS, sizeof(struct conn *));
    if (!sv->conns || !sv->open) return -1;
    if (sv->trace) sv->live = live_trace_new(stderr, "kernel", false);
    for (int i = 0; i < sv->nls; i++) {
        if (sv->ls[i].ops != &svc_http || sv->web) continue;
        struct live_web_opts lo = {.max_viewers = (uint32_t)sv->live_viewers,
                                   .max_conns = (uint32_t)sv->live_conns,
                                   .msl_us = sv->msl_us ? sv->msl_us : 30000000ull};
        sv->web = live_web_new(&lo);
        if (!sv->web) return -1;
    }
    if (setup_faults(sv) < 0) return -1;

    struct synack_config cfg;
    synack_config_default(&cfg);
    cfg.name = "synack";
    tun_side_config(&sv->side, &cfg);
    cfg.mtu = sv->side.dev->mtu;
    cfg.max_sockets = sv->max_sockets ? sv->max_sockets : SERVE_SOCKETS;
    if (sv->msl_us) cfg.msl_us = sv->msl_us;
    if (sv->cc) cfg.cc = sv->cc;
    cfg.rcvbuf = sv->rcvbuf ? sv->rcvbuf : SERVE_RCVBUF;
    /* --mem-max is for all queues: each queue's stack gets its share (tcp/tcp_mem.c). */
    uint64_t mem =
        sv->mem_max ? sv->mem_max : (uint64_t)SERVE_MEM_PER_CONN * (uint64_t)sv->max_conns;
    cfg.mem_max = mem / (uint64_t)(sv->nqueues > 0 ? sv->nqueues : 1);
    /* The loop feeds a batch, runs the services, then flushes: an echo or a FIN then
     * carries the ACK of what it answers (one datagram, not a pure ACK and then it). */
    cfg.defer_output = true;
    if (shared_key) {
        /* A Fast Open cookie outlives its connection: the client's next one comes from
         * another port, so maybe to another queue, and must find the same key there. The
         * ISN and SYN-cookie secrets stay each stack's own: they are about one 4-tuple,
         * and a 4-tuple always reaches the same queue. */
        cfg.fastopen_key_set = true;
        memcpy(cfg.fastopen_key, shared_key, sizeof cfg.fastopen_key);
    }
    if (sv->live || sv->web) {
        cfg.trace = serve_trace;
        cfg.trace_ctx = sv;
    }
    int err;
    sv->stack = synack_stack_new(&cfg, &err);
    if (!sv->stack) {
        fprintf(stderr, "synack serve: %s\n", synack_strerror(err));
        return -1;
    }
    /* The device reads in-order payload straight into its connection's receive ring (the
     * loop hands each datagram to the stack before the next read). Not through the capture
     * tap or the fault injector, which hand on whole datagrams, some of them later. With
     * the live views (--trace, an HTTP service) the stack copies each one whole for its
     * trace events. */
    if (sv->side.dev == sv->side.tun) synack_tun_rx_hint(sv->side.tun, sv->stack);
    sv->scratch = malloc(SVC_SCRATCH);
    sv->chargen = malloc(SVC_CHARGEN_PERIOD + SVC_CHARGEN_CHUNK);
    if (!sv->scratch || !sv->chargen) return -1;
    svc_chargen_fill(sv->chargen, SVC_CHARGEN_PERIOD + SVC_CHARGEN_CHUNK);
    sv->host = (struct svc_host){.stack = sv->stack,
                                 .status = status,
                                 .status_ctx = sv,
                                 .live = sv->web,
                                 .scratch = sv->scratch,
                                 .scratch_len = SVC_SCRATCH,
                                 .chargen = sv->chargen};
    for (int i = 0; i < sv->nls; i++) {
        struct listener *l = &sv->ls[i];
        l->sd = synack_socket(sv->stack);
        int r = l->sd < 0 ? l->sd : synack_bind(sv->stack, l->sd, SYNACK_ADDR_ANY, l->port);
        /* The HTTP service takes TCP Fast Open (RFC 7413): a client with our cookie may put its
         * request in the SYN, and the answer starts a round trip sooner. At most 64 such
         * connections wait for their handshake's ACK at once (RFC 7413 §5.1). */
        if (r >= 0 && l->ops == &svc_http)
            r = synack_setopt(sv->stack, l->sd, SYNACK_OPT_FASTOPEN, 64);
        if (r >= 0) r = synack_listen(sv->stack, l->sd, 128);
        if (r < 0) {
            fprintf(stderr, "synack serve: %s on port %u: %s\n", l->ops->name, l->port,
                    synack_strerror(r));
            return -1;
        }
    }
    static const int sigs[] = {SIGINT, SIGTERM, SIGUSR1, SIGHUP, 0};
    /* Queue 0 takes the signals (this runs on the main thread before any other starts, so
     * the threads inherit the blocked mask); the others listen to their eventfd. */
    if (loop_open(&sv->loop, sv->stack, sv->side.dev, synack_tun_fd(sv->side.tun),
                  sv->queue == 0 ? sigs : NULL) < 0)
        return -1;
    sv->loop.use_uring = sv->io_uring;
    sv->loop.busy_us = (uint64_t)sv->busy_poll;
    /* Each queue says which loop it runs (io_uring is set up, or refused, per thread). */
    if (sv->nqueues > 1)
        snprintf(sv->who, sizeof sv->who, "synack serve: queue %u", sv->queue);
    else
        snprintf(sv->who, sizeof sv->who, "synack serve");
    sv->loop.announce = sv->who;
    if (sv->queue > 0) {
        sv->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (sv->ctl_fd < 0 || loop_watch(&sv->loop, sv->ctl_fd, EPOLLIN) < 0) {
            perror("synack serve: eventfd");
            return -1;
        }
    }
    sv->started_at = sv->last_pcap_flush = loop_now();
    sv->next_timeout = UINT64_MAX;
    return 0;
}

static void free_queue(struct serve *sv)
{
    loop_close(&sv->loop);
    if (sv->ctl_fd >= 0) close(sv->ctl_fd);
    if (sv->conns) {
        for (int i = 0; i < SERVE_SOCKETS; i++) {
            if (!sv->conns[i]) continue;
            sv->conns[i]->c.ops->free(&sv->conns[i]->c);
            free(sv->conns[i]);
        }
    }
    free(sv->conns);
    free(sv->open);
    free(sv->scratch);
    free(sv->chargen);
    live_trace_free(sv->live);
    if (sv->stack) synack_stack_free(sv->stack);
    tun_side_close(&sv->side);
    live_web_free(sv->web);
    free(sv);
}

static const struct loop_ops serve_ops = {
    .app = serve_app, .on_signal = serve_signal, .deadline = serve_deadline, .done = serve_done};
static const struct loop_ops queue_ops = {
    .app = serve_app, .on_fd = serve_ctl, .deadline = serve_deadline, .done = serve_done};

static void *queue_thread(void *arg)
{
    struct serve *sv = arg;
    int r = loop_run(&sv->loop, &queue_ops, sv);
    if (r != 0 && !sv->stopping) {
        /* The kernel would go on steering this queue's flows to a descriptor nobody reads:
         * the whole server stops instead, as if told to (queue 0 reads SIGTERM from its
         * signalfd; every thread has it blocked), and exits 1 when the threads are joined. */
        fprintf(stderr, "synack serve: queue %u failed; stopping\n", sv->queue);
        kill(getpid(), SIGTERM);
    }
    return r != 0 ? (void *)sv : NULL; /* non-NULL: this queue failed */
}

/* The CPUs this process may run on, in order, into cpus; their count. */
static unsigned allowed_cpus(int *cpus, unsigned cap)
{
    cpu_set_t set;
    unsigned n = 0;
    if (sched_getaffinity(0, sizeof set, &set) < 0) return 0;
    for (int c = 0; c < CPU_SETSIZE && n < cap; c++)
        if (CPU_ISSET(c, &set)) cpus[n++] = c;
    return n;
}

/* --steer cpu: queue i on CPU i, which must be allowed (the steering program's answer, the
 * sending CPU, picks queue cpu mod N in the kernel). cpus[0..n) becomes 0..n-1. 0, or -1 with
 * a message. */
static int steer_cpus(int *cpus, unsigned ncpus, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        bool allowed = false;
        for (unsigned k = 0; k < ncpus; k++) allowed = allowed || cpus[k] == (int)i;
        if (!allowed) {
            fprintf(stderr,
                    "synack serve: --steer cpu with %u queues needs CPUs 0-%u; CPU %u is "
                    "not allowed\n",
                    n, n - 1, i);
            return -1;
        }
    }
    for (unsigned i = 0; i < n; i++) cpus[i] = (int)i;
    return 0;
}

/* serve's startup line: the device, the addresses, the services, the queues. Written whole:
 * stderr is unbuffered, and a reader (a test waiting for the start) must not see its first
 * words without the rest. */
static void startup_line(const struct serve *sv, const struct serve_group *g, const char *steer_say)
{
    char addrs[256];
    char *line = NULL;
    size_t line_len = 0;
    FILE *f = open_memstream(&line, &line_len);
    if (!f) f = stderr;
    fprintf(f, "synack serve: %s %s (MTU %u); %s;",
            synack_tun_created(sv->side.tun) ? "created" : "attached to",
            synack_tun_name(sv->side.tun), sv->side.dev->mtu,
            tun_side_describe(&sv->side, false, addrs, sizeof addrs));
    for (int i = 0; i < sv->nls; i++) fprintf(f, " %s %u", sv->ls[i].ops->name, sv->ls[i].port);
    fprintf(f, "%s", sv->faults_spec ? " (with faults)" : "");
    if (sv->steer_cpu) {
        fprintf(f, "; %u queues on CPUs 0-%u, steered by CPU %s", g->n, g->n - 1, steer_say);
    } else if (g->n > 1 && sv->no_pin) {
        fprintf(f, "; %u queues, not pinned", g->n);
    } else if (g->n > 1) {
        fprintf(f, "; %u queues on CPUs", g->n);
        for (unsigned i = 0; i < g->n; i++) fprintf(f, "%s%d", i ? "," : " ", g->q[i]->cpu);
    }
    fputc('\n', f);
    if (f != stderr) {
        if (fclose(f) == 0) fputs(line, stderr);
        free(line);
    }
}

/* Queue i's thread on the allowed CPUs in turn: one queue per core, so that no two stacks
 * share a core's caches or wait for each other's wake-ups. */
static void pin_attr(pthread_attr_t *a, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_attr_setaffinity_np(a, sizeof set, &set);
}

int synack_cmd_serve(int argc, char **argv)
{
    struct serve *sv = calloc(1, sizeof *sv);
    if (!sv) return 1;
    sv->ctl_fd = -1;
    sv->cpu = -1;
    sv->steer_est = -1;
    int pr = parse(argc, argv, sv);
    if (pr) {
        free(sv);
        return pr == 1 ? 0 : pr;
    }
    int rc = 1;
    unsigned started = 1; /* queues whose loop runs (queue 0's on this thread) */
    struct serve_group *g = calloc(1, sizeof *g);
    if (!g) {
        free(sv);
        return 1;
    }
    pthread_mutex_init(&g->print, NULL);
    g->n = (unsigned)sv->nqueues;
    g->q[0] = sv;
    sv->g = g;
    /* The other queues: the same options, nothing else yet. */
    for (unsigned i = 1; i < g->n; i++) {
        struct serve *q = malloc(sizeof *q);
        if (!q) goto out;
        *q = *sv;
        q->queue = i;
        g->q[i] = q;
    }
    /* The faults are drawn per datagram: on a super-segment they would hit 40 segments at
     * once. */
    sv->side.offload = !sv->no_offload && !sv->faults_spec;
    if (tun_side_open(&sv->side, "synack serve") < 0) goto out;
    for (unsigned i = 1; i < g->n; i++) {
        struct tun_side *side = &g->q[i]->side;
        side->tun = side->dev = sv->side.more[i];
        sv->side.more[i] = NULL;
        /* what tun_side_open decided for queue 0 (the families) holds for all */
        side->v4 = sv->side.v4;
        side->v6 = sv->side.v6;
    }
    int cpus[CPU_SETSIZE];
    /* --no-pin: no CPU each, so -1 and no affinity set (docs/performance.md, "Past one
     * core": a queue pinned away from the client's CPU pays a wake-up across CPUs for each
     * datagram, when the client is a process of this machine). */
    unsigned ncpus = g->n > 1 && !sv->no_pin ? allowed_cpus(cpus, CPU_SETSIZE) : 0;
    if (sv->steer_cpu && steer_cpus(cpus, ncpus, g->n) < 0) goto out;
    uint8_t key[16];
    if (g->n > 1 && getrandom(key, sizeof key, 0) != (ssize_t)sizeof key) {
        perror("synack serve: getrandom");
        goto out;
    }
    for (unsigned i = 0; i < g->n; i++) {
        if (ncpus) g->q[i]->cpu = cpus[i % ncpus];
        if (setup_queue(g->q[i], g->n > 1 ? key : NULL) < 0) goto out;
    }

    char steer_say[96] = "";
    int est = -1;
    if (sv->steer_cpu && steer_set(synack_tun_fd(sv->side.tun),
                                   sv->steer_flows ? (uint32_t)sv->steer_flows
                                                   : steer_map_entries(stack_flows(sv) * g->n),
                                   steer_say, sizeof steer_say, &est) < 0)
        goto out;
    for (unsigned i = 0; i < g->n; i++) g->q[i]->steer_est = est;

    startup_line(sv, g, steer_say);
    char om[128];
    if (sv->side.offload)
        synack_tun_offload_str(sv->side.tun, om, sizeof om);
    else
        snprintf(om, sizeof om, "none (%s)", sv->faults_spec ? "--faults" : "--no-offload");
    fprintf(stderr, "synack serve: offload: %s\n", om);
    (void)fflush(stderr); /* diagnostics: nowhere to report their own failure */

    for (; started < g->n; started++) {
        struct serve *q = g->q[started];
        pthread_attr_t a;
        pthread_attr_init(&a);
        if (q->cpu >= 0) pin_attr(&a, q->cpu);
        int e = pthread_create(&q->thread, &a, queue_thread, q);
        pthread_attr_destroy(&a);
        if (e) {
            fprintf(stderr, "synack serve: cannot start queue %u: %s\n", started, strerror(e));
            break;
        }
    }
    if (sv->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(sv->cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    if (started == g->n && loop_run(&sv->loop, &serve_ops, sv) == 0) rc = 0;
    /* Queue 0 is done (or failed): the others close their connections too, each within its
     * own bound (a queue already closing is not hurried), and end. */
    g->n = started;
    tell_queues(g, sv->stopping ? CTL_STOP : CTL_STOP_NOW);
    for (unsigned i = 1; i < started; i++) {
        void *r;
        pthread_join(g->q[i]->thread, &r);
        if (r) rc = 1;
    }
    for (unsigned i = 0; g->n > 1 && i < started; i++) {
        struct serve *q = g->q[i];
        uint64_t accepted = 0;
        for (int k = 0; k < q->nls; k++) accepted += q->ls[k].accepted;
        char where[32] = "not pinned";
        if (q->cpu >= 0) snprintf(where, sizeof where, "cpu %d", q->cpu);
        fprintf(stderr,
                "synack serve: queue %u (%s): %" PRIu64 " connections accepted, %" PRIu64
                " datagrams in, %" PRIu64 " out, %" PRIu64 " wake-ups, %" PRIu64
                " reads that found nothing\n",
                i, where, accepted, q->loop.in_packets, q->loop.out_packets, q->loop.wakeups,
                q->loop.reads_empty);
    }
    /* --busy-poll: how often the spin found a datagram before the loop would have slept,
     * and how often it ran out (or met another descriptor): that it ran, and what it won. */
    for (unsigned i = 0; sv->busy_poll && i < started; i++)
        fprintf(stderr,
                "synack serve: queue %u: busy-poll: %" PRIu64 " spins found a datagram, %" PRIu64
                " ran out\n",
                i, g->q[i]->loop.busy_hits, g->q[i]->loop.busy_misses);
    fprintf(stderr, "synack serve: stopped\n");

out:
    if (sv->steer_cpu && sv->side.tun) {
        /* A persistent device outlives us: it goes back to the kernel's own selection. */
        steer_clear(synack_tun_fd(sv->side.tun));
    }
    if (sv->steer_est >= 0) close(sv->steer_est); /* the queues share it: closed once */
    for (unsigned i = 0; i < SYNACK_TUN_MAX_QUEUES; i++)
        if (g->q[i]) free_queue(g->q[i]);
    pthread_mutex_destroy(&g->print);
    free(g);
    return rc;
}
