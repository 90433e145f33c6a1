/*
 * bench/bench_zerocopy.c - what zero-copy sends (SYNACK_SEND_ZEROCOPY) save: two synack
 * stacks over the simulated link (1 Gbit/s, 2 ms RTT, no loss), one bulk transfer, the sender
 * writing the same data with synack_send (copied into the send ring) or with zero-copy sends
 * from 64 chunks of 64 KiB it reuses as their completions come back. The two modes run
 * interleaved, rounds times each (argv[1], default 5; argv[2] MiB per run, default 256), and
 * the table gives the median CPU throughput of each (bytes per second of this process's CPU
 * time, both stacks) and their ratio; the receiver checks a sample of every read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simnet.h"

#define CHUNK  (64u << 10)
#define CHUNKS 64u

/* The process's CPU time: on a loaded machine wall time measures the neighbours too. */
static double cpu_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The stream repeats the buffer (CHUNKS * CHUNK bytes), so that the application's cost is
 * the same in both modes and small: the buffer is filled once. */
static uint8_t byte_at(uint64_t i)
{
    return (uint8_t)(((i % (CHUNKS * CHUNK)) * 2654435761u) >> 24);
}

struct run {
    struct simnet n;
    int c, lsd, srv;
    bool zc;
    uint8_t *buf; /* CHUNKS chunks: the stream is this buffer, over and over */
    uint64_t total, queued, received;
    uint32_t chunk_off;          /* bytes of the current chunk queued */
    uint32_t ids_done;           /* zero-copy sends reported done */
    uint32_t id_chunk[1u << 16]; /* the chunk each send's bytes lie in, by id mod 2^16 */
    uint32_t busy[CHUNKS];       /* zero-copy sends not yet done per chunk */
    uint32_t next_id;
    bool bad;
};

static void receive(struct run *r)
{
    if (r->srv < 0) r->srv = synack_accept(r->n.st[1], r->lsd, NULL);
    if (r->srv < 0) return;
    static uint8_t tmp[1 << 16];
    long got;
    while ((got = synack_recv(r->n.st[1], r->srv, r->n.now, tmp, sizeof tmp)) > 0) {
        for (long i = 0; i < got; i += 4093) /* a sample of every read: cheap, still exact */
            if (tmp[i] != byte_at(r->received + (uint64_t)i)) r->bad = true;
        r->received += (uint64_t)got;
    }
}

static void send_more(struct run *r)
{
    struct synack_notice nt;
    while (synack_next_notice(r->n.st[0], r->c, &nt) == 1) {
        for (uint32_t id = nt.lo;; id++) {
            r->busy[r->id_chunk[id & 0xffffu]]--;
            r->ids_done++;
            if (id == nt.hi) break;
        }
    }
    while (r->queued < r->total) {
        uint32_t k = (uint32_t)(r->queued / CHUNK) % CHUNKS;
        /* A chunk is lent again only when its previous round of sends is done (an
         * application would refill it then). */
        if (r->zc && r->chunk_off == 0 && r->busy[k]) return;
        uint32_t want = CHUNK - r->chunk_off;
        const uint8_t *p = r->buf + k * CHUNK + r->chunk_off;
        long n = synack_send_flags(r->n.st[0], r->c, r->n.now, p, want,
                                   r->zc ? SYNACK_SEND_ZEROCOPY : 0u);
        if (n == SYNACK_EAGAIN || n == SYNACK_ENOBUFS) return;
        if (n <= 0) {
            r->bad = true;
            return;
        }
        if (r->zc) {
            r->id_chunk[r->next_id++ & 0xffffu] = k;
            r->busy[k]++;
        }
        r->queued += (uint64_t)n;
        r->chunk_off = (r->chunk_off + (uint32_t)n) % CHUNK;
    }
}

static bool established(struct simnet *n, void *ctx)
{
    return simnet_state(n, 0, *(int *)ctx) == SYNACK_ESTABLISHED;
}

/* One transfer; returns its throughput per CPU second in Gbit/s, 0 on failure. */
static double one(bool zc, uint64_t mib, uint64_t seed)
{
    static struct run r;
    memset(&r, 0, sizeof r);
    r.zc = zc;
    r.total = mib << 20;
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 1000;
    lc.bandwidth_bps = 1000000000;
    lc.faults.seed = seed;
    struct synack_config c[2];
    simnet_config(&c[0], 0, seed);
    simnet_config(&c[1], 1, seed);
    for (int i = 0; i < 2; i++) c[i].sndbuf = c[i].rcvbuf = 4u << 20;
    simnet_init_with(&r.n, c, &lc, seed);
    r.buf = malloc(CHUNKS * CHUNK);
    for (uint32_t i = 0; r.buf && i < CHUNKS * CHUNK; i++) r.buf[i] = byte_at(i);
    r.srv = -1;
    r.lsd = synack_socket(r.n.st[1]);
    synack_bind(r.n.st[1], r.lsd, SYNACK_ADDR_ANY, 80);
    synack_listen(r.n.st[1], r.lsd, 4);
    r.c = synack_socket(r.n.st[0]);
    synack_setopt(r.n.st[0], r.c, SYNACK_OPT_ZEROCOPY, 1);
    synack_connect(r.n.st[0], r.c, r.n.now, SIM_B_ADDR, 80);
    simnet_run_until(&r.n, r.n.now + 10000000, established, &r.c);
    double t0 = cpu_time();
    /* Bounded: a gigabit link moves 256 MiB in about 2 s of virtual time. */
    uint64_t limit = r.n.now + 600ull * 1000000;
    while (!r.bad && r.received < r.total && r.n.now < limit) {
        receive(&r);
        send_more(&r);
        if (!simnet_step(&r.n)) {
            receive(&r);
            send_more(&r);
            if (!simnet_step(&r.n)) break;
        }
    }
    double t1 = cpu_time();
    bool ok = !r.bad && r.received == r.total && (!zc || r.ids_done > 0);
    free(r.buf);
    simnet_free(&r.n);
    return ok ? (double)r.total * 8 / (t1 - t0) / 1e9 : 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    uint64_t mib = argc > 2 ? (uint64_t)atoll(argv[2]) : 256;
    if (rounds < 1 || rounds > 100 || mib < 1 || mib > 4096) {
        fprintf(stderr, "usage: bench_zerocopy [ROUNDS 1-100] [MIB 1-4096]\n");
        return 2;
    }
    double copy[100], zc[100];
    for (int i = 0; i < rounds; i++) {
        /* Interleaved, the order alternating, so that the machine's load falls on both. */
        if (i % 2) {
            zc[i] = one(true, mib, (uint64_t)i + 1);
            copy[i] = one(false, mib, (uint64_t)i + 1);
        } else {
            copy[i] = one(false, mib, (uint64_t)i + 1);
            zc[i] = one(true, mib, (uint64_t)i + 1);
        }
        printf("  round %d: copy %.2f Gbit/s, zero-copy %.2f Gbit/s\n", i + 1, copy[i], zc[i]);
        if (copy[i] == 0 || zc[i] == 0) {
            fprintf(stderr, "bench_zerocopy: a transfer failed\n");
            return 1;
        }
    }
    qsort(copy, (size_t)rounds, sizeof copy[0], cmp);
    qsort(zc, (size_t)rounds, sizeof zc[0], cmp);
    double mc = copy[rounds / 2], mz = zc[rounds / 2];
    printf("%llu MiB over the simulated link (1 Gbit/s, RTT 2 ms), median of %d, CPU throughput "
           "of both stacks:\n",
           (unsigned long long)mib, rounds);
    printf("  synack_send (copied)       %6.2f Gbit/s  (min %.2f, max %.2f)\n", mc, copy[0],
           copy[rounds - 1]);
    printf("  SYNACK_SEND_ZEROCOPY       %6.2f Gbit/s  (min %.2f, max %.2f)\n", mz, zc[0],
           zc[rounds - 1]);
    printf("  zero-copy / copy           %6.2f\n", mz / mc);
    return 0;
}
