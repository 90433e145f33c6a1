/*
 * bench/relay.c - a path between two kernels: a TUN device in each of two network
 * namespaces, and every IP datagram read from one written to the other through synack's
 * seeded fault injector (src/dev/faults.c: loss, delay, ...), so that two kernel TCPs, or
 * the kernel and a synack stack routed behind the far namespace, meet the same random loss
 * and round-trip time as two synack stacks on the simulated link (bench/bench_sim.c's
 * Mathis rows). This kernel has no netem; the injector is the one delay line we have, and
 * with it the path is seeded: a seed names one exact sequence of losses per direction.
 *
 *   relay --ns-a NS --tun-a IF --addr-a A/N --ns-b NS --tun-b IF --addr-b A/N
 *         [--faults SPEC] [--faults-ab SPEC] [--faults-ba SPEC] [--seed N] [--max-seconds S]
 *
 * The relay enters namespace A (setns), creates TUN device IF there and gives the kernel's
 * side of it address A/N (link up), then does the same in namespace B. --faults applies to
 * both directions, --faults-ab only to what goes from A to B, --faults-ba only from B to A
 * (each overrides --faults for its direction); each direction draws from its own stream,
 * seeded with --seed N and N + 1. Offloads are never asked for: each datagram the kernel
 * hands a plain TUN device is one segment, so one loss is one segment, as in the simulator.
 * No bandwidth limit and no queue: the delay is a fixed line, the RTT stays the sum of the
 * two directions' delays.
 *
 * It prints "relay: up ..." on stderr once both devices are up, runs until SIGINT/SIGTERM or
 * --max-seconds (600), and on exit prints one JSON object on stdout: per direction, the
 * datagrams read, lost (dropped by the injector), written and refused by the kernel.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "synack/dev.h"
#include "synack/trace.h"
#include "synack/tun.h"

#define RELAY_BUF    65536
#define RELAY_BATCH  256 /* datagrams moved per direction before the other gets its turn */
#define RELAY_MAX_S  600
#define SEED_DEFAULT 1

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One direction: the device it reads, the injector it writes through, and its counts. */
struct dir {
    const char *name;
    synack_dev *in_raw;  /* the TUN device read from (owned by the other direction's out) */
    synack_dev *out;     /* the injector around the TUN device written to */
    synack_dev *out_raw; /* that TUN device itself, for its counters */
    uint64_t read, lost, other_faults;
};

/* The injector's link events: a LOST is a datagram that never reaches the far side. */
static void on_link(void *ctx, const struct synack_trace_event *ev)
{
    struct dir *d = ctx;
    if (ev->kind != SYNACK_TRACE_LINK) return;
    if (ev->link_event == SYNACK_LINK_LOST)
        d->lost++;
    else
        d->other_faults++;
}

static int usage(void)
{
    fprintf(stderr, "usage: relay --ns-a NS --tun-a IF --addr-a A/N --ns-b NS --tun-b IF "
                    "--addr-b A/N\n"
                    "             [--faults SPEC] [--faults-ab SPEC] [--faults-ba SPEC] [--seed N]"
                    " [--max-seconds S]\n");
    return 2;
}

static int parse_prefix(const char *v, uint32_t *addr, uint8_t *prefix)
{
    char buf[64];
    const char *slash = strchr(v, '/');
    if (!slash || (size_t)(slash - v) >= sizeof buf) return -1;
    memcpy(buf, v, (size_t)(slash - v));
    buf[slash - v] = 0;
    struct in_addr a;
    if (inet_pton(AF_INET, buf, &a) != 1) return -1;
    char *end;
    long p = strtol(slash + 1, &end, 10);
    if (*end || p < 1 || p > 32) return -1;
    *addr = ntohl(a.s_addr);
    *prefix = (uint8_t)p;
    return 0;
}

/* Enters network namespace `ns` (a name under /var/run/netns, as `ip netns add` makes). */
static int enter_ns(const char *ns)
{
    char path[256];
    snprintf(path, sizeof path, "/var/run/netns/%s", ns);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "relay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int r = setns(fd, CLONE_NEWNET);
    if (r < 0) fprintf(stderr, "relay: setns %s: %s\n", ns, strerror(errno));
    close(fd);
    return r;
}

/* A plain TUN device `ifname` made in namespace `ns`, its kernel side given addr/prefix. */
static synack_dev *open_side(const char *ns, const char *ifname, uint32_t addr, uint8_t prefix)
{
    if (enter_ns(ns) < 0) return NULL;
    int err = 0;
    synack_dev *d = synack_tun_open(ifname, &err);
    if (!d) {
        fprintf(stderr, "relay: cannot open TUN %s in %s: %s (%s)\n", ifname, ns,
                synack_strerror(err), strerror(errno));
        return NULL;
    }
    int se = 0;
    if (synack_tun_configure(ifname, addr, prefix, &se) < 0) {
        fprintf(stderr, "relay: cannot configure %s in %s: %s\n", ifname, ns, strerror(se));
        synack_dev_free(d);
        return NULL;
    }
    return d;
}

static int faults_for(const char *spec, uint64_t seed, struct synack_faults_config *c)
{
    memset(c, 0, sizeof *c);
    const char *bad = NULL;
    if (spec && synack_faults_parse(spec, c, &bad) < 0) {
        fprintf(stderr, "relay: bad faults at '%s'\n", bad ? bad : spec);
        return -1;
    }
    /* Faults on what is written towards the far kernel only: a datagram passes the
     * injector once. A seed in the spec wins over --seed. */
    c->outbound = true;
    c->inbound = false;
    if (!c->seed) c->seed = seed;
    return 0;
}

/* Moves what direction d has now: the injector's due datagrams (flushed by its send and by
 * the read below), then up to RELAY_BATCH datagrams read from d's source. Returns the
 * number read, or -1 on a device error. */
static int move(struct dir *d, synack_dev *in, uint64_t now, uint8_t *buf)
{
    int moved = 0;
    while (moved < RELAY_BATCH) {
        int n = synack_dev_recv(in, now, buf, RELAY_BUF);
        if (n < 0) {
            fprintf(stderr, "relay: %s: read: %s\n", d->name, synack_strerror(n));
            return -1;
        }
        if (n == 0) break;
        d->read++;
        /* A refused write (the kernel's queue full) is counted by the device and is one
         * more loss the path makes; the relay goes on. */
        (void)synack_dev_send(d->out, now, buf, (size_t)n);
        moved++;
    }
    return moved;
}

static void print_dir(const struct dir *d, const char *sep)
{
    struct synack_tun_stats st;
    synack_tun_get_stats(d->out_raw, &st);
    printf("\"%s\":{\"read\":%llu,\"lost\":%llu,\"other_faults\":%llu,\"written\":%llu,"
           "\"refused\":%llu}%s",
           d->name, (unsigned long long)d->read, (unsigned long long)d->lost,
           (unsigned long long)d->other_faults, (unsigned long long)st.tx_packets,
           (unsigned long long)st.tx_dropped, sep);
}

int main(int argc, char **argv)
{
    const char *ns[2] = {NULL, NULL}, *ifn[2] = {NULL, NULL}, *addr_s[2] = {NULL, NULL};
    const char *spec_both = NULL, *spec_dir[2] = {NULL, NULL};
    unsigned long long seed = SEED_DEFAULT;
    double max_s = RELAY_MAX_S;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) return usage();
        const char *v = argv[++i];
        char *end;
        if (!strcmp(a, "--ns-a"))
            ns[0] = v;
        else if (!strcmp(a, "--ns-b"))
            ns[1] = v;
        else if (!strcmp(a, "--tun-a"))
            ifn[0] = v;
        else if (!strcmp(a, "--tun-b"))
            ifn[1] = v;
        else if (!strcmp(a, "--addr-a"))
            addr_s[0] = v;
        else if (!strcmp(a, "--addr-b"))
            addr_s[1] = v;
        else if (!strcmp(a, "--faults"))
            spec_both = v;
        else if (!strcmp(a, "--faults-ab"))
            spec_dir[0] = v;
        else if (!strcmp(a, "--faults-ba"))
            spec_dir[1] = v;
        else if (!strcmp(a, "--seed")) {
            seed = strtoull(v, &end, 10);
            if (*end || end == v || seed == 0) return usage();
        } else if (!strcmp(a, "--max-seconds")) {
            max_s = strtod(v, &end);
            if (*end || end == v || max_s <= 0) return usage();
        } else
            return usage();
    }
    uint32_t addr[2];
    uint8_t prefix[2];
    for (int s = 0; s < 2; s++) {
        if (!ns[s] || !ifn[s] || !addr_s[s]) return usage();
        if (parse_prefix(addr_s[s], &addr[s], &prefix[s]) < 0) {
            fprintf(stderr, "relay: bad address %s (A.B.C.D/N)\n", addr_s[s]);
            return 2;
        }
    }
    struct synack_faults_config fc[2];
    for (int k = 0; k < 2; k++)
        if (faults_for(spec_dir[k] ? spec_dir[k] : spec_both, seed + (uint64_t)k, &fc[k]) < 0)
            return 2;

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    synack_dev *raw[2];
    for (int s = 0; s < 2; s++) {
        raw[s] = open_side(ns[s], ifn[s], addr[s], prefix[s]);
        if (!raw[s]) {
            if (s == 1) synack_dev_free(raw[0]);
            return 1;
        }
    }
    /* Direction 0 is A to B: it reads A's device and writes through the injector around
     * B's; direction 1 the reverse. Each injector owns the device it wraps. */
    struct dir dir[2] = {{.name = "ab", .in_raw = raw[0], .out_raw = raw[1]},
                         {.name = "ba", .in_raw = raw[1], .out_raw = raw[0]}};
    for (int k = 0; k < 2; k++) {
        dir[k].out = synack_faults_wrap(dir[k].out_raw, &fc[k]);
        if (!dir[k].out) {
            fprintf(stderr, "relay: out of memory\n");
            if (k == 1) synack_dev_free(dir[0].out);
            synack_dev_free(dir[k].out_raw);
            return 1;
        }
        dir[k].out->trace = on_link;
        dir[k].out->trace_ctx = &dir[k];
    }
    fprintf(stderr,
            "relay: up: %s in %s (%s) <-> %s in %s (%s); a->b %.4g loss %.3f ms delay, "
            "b->a %.4g loss %.3f ms delay, seed %llu\n",
            ifn[0], ns[0], addr_s[0], ifn[1], ns[1], addr_s[1], fc[0].loss,
            (double)fc[0].delay_us / 1000, fc[1].loss, (double)fc[1].delay_us / 1000, seed);

    static uint8_t buf[RELAY_BUF];
    struct pollfd pfd[2] = {{.fd = synack_tun_fd(dir[0].in_raw), .events = POLLIN},
                            {.fd = synack_tun_fd(dir[1].in_raw), .events = POLLIN}};
    uint64_t t0 = now_us(), end = t0 + (uint64_t)(max_s * 1e6);
    int rc = 0;
    while (!stop) {
        uint64_t now = now_us();
        if (now >= end) break;
        /* Reading a device through the other direction's injector also flushes that
         * injector's due datagrams (faults_recv), so one call per direction does both:
         * A's reads go through dir 1's injector (which writes to A), B's through dir 0's. */
        int m0 = move(&dir[0], dir[1].out, now, buf);
        int m1 = move(&dir[1], dir[0].out, now, buf);
        if (m0 < 0 || m1 < 0) {
            rc = 1;
            break;
        }
        if (m0 == RELAY_BATCH || m1 == RELAY_BATCH) continue;
        /* Sleep until a device is readable or the next held datagram is due, to the
         * microsecond (ppoll), so that the delay line adds no rounding of its own. */
        uint64_t due = synack_dev_next_deadline(dir[0].out);
        uint64_t due1 = synack_dev_next_deadline(dir[1].out);
        if (due1 < due) due = due1;
        if (end < due) due = end;
        now = now_us();
        if (due <= now) continue;
        uint64_t wait = due - now;
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000u),
                              .tv_nsec = (long)(wait % 1000000u) * 1000};
        if (ppoll(pfd, 2, &ts, NULL) < 0 && errno != EINTR) {
            fprintf(stderr, "relay: ppoll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
    }
    printf("{");
    print_dir(&dir[0], ",");
    print_dir(&dir[1], "");
    printf(",\"seconds\":%.3f}\n", (double)(now_us() - t0) / 1e6);
    fflush(stdout);
    synack_dev_free(dir[0].out);
    synack_dev_free(dir[1].out);
    return rc;
}
