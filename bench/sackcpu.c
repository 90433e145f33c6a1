/*
 * bench/sackcpu.c - the sender's work per ACK against the data in flight: a connection's
 * transmission map (tcp/tcp_rack.c) with N segments in flight, fed ACKs of one kind, the
 * way tcp_ack_step and tcp_output use it (SACK scoreboard, RACK's marking and loss
 * detection, the pipe, the next hole, one segment sent for each ACK).
 *
 *   sackcpu KIND N [ROUNDS]      KIND: plain, seq (4 SACK blocks as a recovery sends them),
 *                                rand (4 SACK blocks at random places, seeded)
 *
 * It prints the ACKs fed and the nanoseconds per ACK (wall clock, the build of each round's
 * flight not counted). For instructions per ACK, run it under callgrind with
 * --toggle-collect=feed and divide the count by the ACKs (scripts/sackcpu.sh does both).
 * This drives the RACK layer directly, not through packets: the parse, the checksum and the
 * output queue cost the same for every ACK and are left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcp/stack.h"
#include "tcp/tcp.h"

#define MSS  1448u
#define ISS  1000000u
#define ACKS 1000 /* ACKs per round (fewer when the flight is too short for them) */
#define SEED 0x5ac6c0deu

enum kind { PLAIN, SEQ, RAND };

struct bench {
    struct tcb *t;
    uint64_t now;
    uint32_t n;   /* segments in flight at the start of a round */
    uint32_t rng; /* xorshift32 */
    /* A hash of what was sent and of the pipe after each ACK: equal for equal behaviour. */
    uint64_t trace;
};

static void mix(struct bench *b, uint64_t v)
{
    b->trace = (b->trace ^ v) * 0x100000001b3ull;
}

static uint32_t rnd(struct bench *b)
{
    uint32_t x = b->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return b->rng = x;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A fresh flight of n segments, each sent 1 µs after the previous one (a record each, as
 * a flight paced out by one segment per tcp_output call is), then 50 ms of round trip. */
static void build(struct bench *b)
{
    struct tcb *t = b->t;
    tcp_rack_free(t);
    memset(t, 0, sizeof *t);
    t->snd_una = t->snd_max = t->snd_buf_seq = ISS;
    t->snd.len = 0x40000000u; /* plenty queued: the map's records are all data */
    t->sack_ok = true;
    t->snd_mss = MSS;
    t->min_rtt = 50000;
    if (tcp_rack_alloc(t, (b->n + ACKS + 64) * 2048u) < 0) {
        fprintf(stderr, "sackcpu: no memory\n");
        exit(1);
    }
    b->now = 1000000;
    for (uint32_t i = 0; i < b->n; i++) {
        tcp_rack_on_send(t, t->snd_max, MSS, b->now++, false);
        t->snd_max += MSS;
    }
    b->now += 50000;
}

static uint32_t seg(uint32_t i)
{
    return ISS + i * MSS;
}

/* One ACK as tcp_ack_step takes it, and the segment tcp_output sends for it. */
static void ack_one(struct bench *b, const struct synack_tcp_opts *o, uint32_t ack)
{
    struct tcb *t = b->t;
    tcp_sack_on_ack(t, o, ack);
    tcp_rack_on_ack(t, o, ack, b->now, -1);
    if (seq_gt(ack, t->snd_una)) t->snd_una = ack;
    (void)tcp_rack_detect_loss(t, b->now);
    (void)tcp_sack_should_recover(t);
    uint32_t s, l;
    /* Out of recovery (the plain ACKs) tcp_output asks neither the pipe nor the next hole;
     * in it, PRR asks the pipe, and tcp_output the pipe and the next hole for each segment. */
    bool rec = o->sack_count > 0;
    if (rec) (void)tcp_sack_pipe(t);
    if (rec && tcp_sack_pipe(t) < UINT32_MAX && tcp_sack_next_hole(t, &s, &l)) {
        tcp_rack_on_send(t, s, l < MSS ? l : MSS, b->now, true);
        mix(b, (uint64_t)s << 32 | l);
    } else {
        tcp_rack_on_send(t, t->snd_max, MSS, b->now, false);
        t->snd_max += MSS;
        mix(b, t->snd_max);
    }
    if (rec) mix(b, tcp_sack_pipe(t)); /* as tcp_output asks it again */
    b->now += 1;
}

/* The ACKs of one round; what callgrind counts (--toggle-collect=feed). */
__attribute__((noinline)) static uint32_t feed(struct bench *b, enum kind k, uint32_t acks)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    for (uint32_t j = 0; j < acks; j++) {
        uint32_t ack = b->t->snd_una;
        o.sack_count = 0;
        if (k == PLAIN) {
            ack += MSS;
        } else if (k == SEQ) {
            /* Segments 0, 2, 4 and 6 lost; the ACKs of 1, 3, 5, 7, 8, 9 ... each SACK one more
             * segment, the newest block first (RFC 2018 §4). */
            uint32_t top = 8 + j; /* SACKed: 1, 3, 5, [7, top) */
            o.sack_count = 4;
            o.sack[0].left = seg(7);
            o.sack[0].right = seg(top);
            for (int i = 1; i < 4; i++) {
                o.sack[i].left = seg((uint32_t)(7 - 2 * i));
                o.sack[i].right = seg((uint32_t)(8 - 2 * i));
            }
        } else {
            /* Four blocks of one to three segments anywhere in what is in flight. */
            uint32_t segs = (b->t->snd_max - b->t->snd_una) / MSS;
            o.sack_count = 4;
            for (int i = 0; i < 4; i++) {
                uint32_t a = 1 + rnd(b) % (segs - 4), w = 1 + rnd(b) % 3;
                o.sack[i].left = ack + a * MSS;
                o.sack[i].right = ack + (a + w) * MSS;
            }
        }
        ack_one(b, &o, ack);
    }
    return acks;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sackcpu plain|seq|rand N [ROUNDS]\n");
        return 2;
    }
    enum kind k = strcmp(argv[1], "plain") == 0 ? PLAIN : strcmp(argv[1], "seq") == 0 ? SEQ : RAND;
    struct bench b = {.n = (uint32_t)strtoul(argv[2], NULL, 10), .rng = SEED};
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (b.n < 16 || rounds < 1) return 2;
    b.t = calloc(1, sizeof *b.t);
    if (!b.t) return 1;
    uint32_t acks = ACKS;
    if (k == SEQ && acks > b.n - 9) acks = b.n - 9; /* the SACKed block stays below SND.MAX */
    uint64_t fed = 0;
    double secs = 0;
    for (int r = 0; r < rounds; r++) {
        build(&b);
        double t0 = wall();
        fed += feed(&b, k, acks);
        secs += wall() - t0;
    }
    printf("%s N=%u acks=%llu ns/ack=%.0f records=%u trace=%016llx seed=%#x\n", argv[1], b.n,
           (unsigned long long)fed, secs * 1e9 / (double)fed, b.t->xr_n,
           (unsigned long long)b.trace, SEED);
    tcp_rack_free(b.t);
    free(b.t);
    return 0;
}
