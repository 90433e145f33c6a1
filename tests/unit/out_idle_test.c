/*
 * out_idle_test.c - tcp_output's short path for nothing to send (tcp/tcp_out.c,
 * output_idle) against its send loop: two worlds, identical but for the stacks'
 * out_no_idle_path, each two stacks on a simulated link with the seeded fault injector
 * (loss, duplication, reordering, delay), are driven through the same seeded random
 * connections (connects, writes of every size, reads, shutdowns, closes, aborts, Nagle and
 * corks switched), and every datagram they send, every state change and every socket's
 * sockinfo (cwnd, the chronographs, the flight, the timers' effects) must be the same
 * after every step.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "synack/dev.h"
#include "synack/trace.h"
#include "tcp/stack.h"
#include "test.h"

#define NSOCK  32
#define PORT   80
#define STEPS  3000
#define A_ADDR 0x0a000001u
#define B_ADDR 0x0a000002u

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: the test's own seeded generator. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(rng_next(s) % n) : 0;
}

/* FNV-1a over what the stacks report: datagrams sent and state changes, with their time. */
struct digest {
    uint64_t h;
    uint64_t segs;
};

static void mix(struct digest *d, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) d->h = (d->h ^ b[i]) * 0x100000001b3ull;
}

static void on_event(void *ctx, const struct synack_trace_event *ev)
{
    struct digest *d = ctx;
    mix(d, &ev->kind, sizeof ev->kind);
    mix(d, &ev->now, sizeof ev->now);
    mix(d, &ev->sd, sizeof ev->sd);
    if (ev->kind == SYNACK_TRACE_STATE) {
        mix(d, &ev->old_state, sizeof ev->old_state);
        mix(d, &ev->new_state, sizeof ev->new_state);
    }
    if (ev->pkt && ev->pkt_len) {
        mix(d, ev->pkt, ev->pkt_len);
        d->segs++;
    }
}

struct world {
    synack_sim_link *link;
    synack_stack *st[2];
    synack_dev *dev[2];
    struct digest dig;
    int lsd;
    int sd[2][NSOCK]; /* the application's descriptors on each side, -1 for none */
};

static void world_init(struct world *w, uint64_t seed, bool general)
{
    memset(w, 0, sizeof *w);
    w->dig.h = 0xcbf29ce484222325ull;
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 2000 + (uint32_t)(seed % 5) * 3000;
    lc.bandwidth_bps = seed % 2 ? 100000000ull : 0;
    lc.faults.loss = seed % 4 == 1 ? 0.08 : 0.02;
    lc.faults.dup = 0.01;
    lc.faults.reorder = 0.02;
    lc.faults.jitter_us = seed % 3 ? 0 : 500;
    lc.faults.seed = seed;
    w->link = synack_sim_link_new(&lc);
    ASSERT(w->link != NULL);
    for (int i = 0; i < 2; i++) {
        struct synack_config c;
        synack_config_default(&c);
        c.name = i ? "B" : "A";
        c.addr = synack_addr_v4(i ? B_ADDR : A_ADDR);
        c.seed = seed * 2 + (uint64_t)i;
        c.isn_secret_set = true;
        c.max_sockets = 3 * NSOCK;
        c.sndbuf = 16384 << (seed % 3);
        c.rcvbuf = 8192 << (seed % 4);
        c.no_sack = seed % 7 == 3;
        c.no_timestamps = seed % 5 == 2;
        c.delack_us = seed % 2 ? 40000 : 0;
        /* A queue that fills within a burst now and then. */
        c.out_queue = seed % 3 == 0 ? 1 + (uint32_t)(seed % 2) : 512;
        c.trace = on_event;
        c.trace_ctx = &w->dig;
        int err = 0;
        w->st[i] = synack_stack_new(&c, &err);
        ASSERT(w->st[i] != NULL);
        w->st[i]->out_no_idle_path = general;
        w->dev[i] = synack_sim_end(w->link, i);
    }
    w->lsd = synack_socket(w->st[1]);
    ASSERT_EQ(synack_bind(w->st[1], w->lsd, SYNACK_ADDR_ANY, PORT), 0);
    ASSERT_EQ(synack_listen(w->st[1], w->lsd, 64), 0);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < NSOCK; k++) w->sd[i][k] = -1;
}

static void world_free(struct world *w)
{
    synack_sim_link_free(w->link);
    synack_stack_free(w->st[0]);
    synack_stack_free(w->st[1]);
}

/* One application action drawn from r (the same draw in both worlds), its results mixed
 * into the digest so that a difference in what a call returns shows too. */
static void act(struct world *w, uint64_t *r, uint64_t now)
{
    static uint8_t buf[70000];
    uint32_t what = rnd(r, 100), side = rnd(r, 2), k = rnd(r, NSOCK);
    synack_stack *st = w->st[side];
    int *sd = &w->sd[side][k];
    long res = 0;
    if (what < 8 && side == 0 && *sd < 0) {
        *sd = synack_socket(st);
        if (*sd >= 0) res = synack_connect(st, *sd, now, synack_addr_v4(B_ADDR), PORT);
    } else if (what < 16 && side == 1 && *sd < 0) {
        *sd = synack_accept(st, w->lsd, NULL);
        res = *sd;
    } else if (*sd < 0) {
        return;
    } else if (what < 50) {
        /* Writes of every size: a byte, under and over one MSS, bulk. */
        uint32_t sizes[] = {1, 2, 100, 536, 1447, 1448, 1449, 3000, 20000, 65000};
        uint32_t n = sizes[rnd(r, 10)];
        memset(buf, (int)(what + k), n);
        res = synack_send(st, *sd, now, buf, n);
    } else if (what < 80) {
        res = synack_recv(st, *sd, now, buf, 1 + rnd(r, sizeof buf - 1));
    } else if (what < 85) {
        long on = (long)rnd(r, 2);
        res = synack_setopt(st, *sd, rnd(r, 2) ? SYNACK_OPT_NODELAY : SYNACK_OPT_CORK, on);
    } else if (what < 90) {
        res = synack_shutdown(st, *sd, now, SYNACK_SHUT_WR);
    } else if (what < 98) {
        res = synack_close(st, *sd, now);
        *sd = -1;
    } else {
        res = synack_abort(st, *sd, now);
        *sd = -1;
    }
    /* Half the connections with a user timeout (RFC 5482), which reads how long the
     * connection has stalled. */
    if (what < 16 && *sd >= 0 && rnd(r, 2))
        (void)synack_setopt(st, *sd, SYNACK_OPT_USER_TIMEOUT, 100 + (long)rnd(r, 900));
    mix(&w->dig, &res, sizeof res);
}

/* Every descriptor's sockinfo in both worlds. */
static void compare(struct world *a, struct world *b, uint64_t now, uint64_t seed, int step)
{
    ASSERT_EQ(a->dig.segs, b->dig.segs);
    if (a->dig.h != b->dig.h) {
        printf("    seed %llu: the datagrams or states differ by step %d\n",
               (unsigned long long)seed, step);
        ASSERT_EQ(a->dig.h, b->dig.h);
    }
    for (int i = 0; i < 2; i++) {
        /* And what the short path sets that only later segments would show: cwnd's use
         * (RFC 7661), the stall (RFC 5482), the chronographs, the persist timer, the
         * timer-heap entry. */
        ASSERT_EQ(a->st[i]->nsocks, b->st[i]->nsocks);
        for (uint32_t j = 0; j < a->st[i]->nsocks; j++) {
            const struct sock *x = &a->st[i]->socks[j], *y = &b->st[i]->socks[j];
            ASSERT_EQ(x->in_use, y->in_use);
            if (!x->in_use) continue;
            const struct tcb *p = &x->tcb, *q = &y->tcb;
            bool same = p->state == q->state && p->cwnd == q->cwnd &&
                        p->cwnd_limited == q->cwnd_limited && p->max_flight == q->max_flight &&
                        p->cwnd_usage_seq == q->cwnd_usage_seq &&
                        p->stall_since == q->stall_since && p->t_persist == q->t_persist &&
                        p->chrono_type == q->chrono_type && p->chrono_start == q->chrono_start &&
                        memcmp(p->chrono_us, q->chrono_us, sizeof p->chrono_us) == 0 &&
                        p->snd_nxt == q->snd_nxt && p->snd_max == q->snd_max &&
                        p->lsndtime == q->lsndtime && p->ack_now == q->ack_now &&
                        x->timer.pos == y->timer.pos && x->timer.deadline == y->timer.deadline;
            if (!same) {
                printf("    seed %llu: stack %d socket %u's state differs at step %d\n",
                       (unsigned long long)seed, i, j, step);
                ASSERT(0);
            }
        }
        for (int sd = 0; sd < 3 * NSOCK; sd++) {
            struct synack_sockinfo x, y;
            memset(&x, 0, sizeof x);
            memset(&y, 0, sizeof y);
            int rx = synack_getinfo_at(a->st[i], sd, now, &x);
            int ry = synack_getinfo_at(b->st[i], sd, now, &y);
            ASSERT_EQ(rx, ry);
            if (memcmp(&x, &y, sizeof x) != 0) {
                printf("    seed %llu: stack %d socket %d's sockinfo differs at step %d\n",
                       (unsigned long long)seed, i, sd, step);
                ASSERT(0);
            }
        }
    }
}

static uint64_t run(uint64_t seed)
{
    struct world a, b;
    world_init(&a, seed, false);
    world_init(&b, seed, true);
    uint64_t ra = seed ^ 0x5a5a, rb = ra, now = 1000;
    for (int step = 0; step < STEPS; step++) {
        uint32_t n = rnd(&ra, 4);
        (void)rnd(&rb, 4);
        for (uint32_t j = 0; j < n; j++) {
            act(&a, &ra, now);
            act(&b, &rb, now);
        }
        uint64_t na = synack_sim_step(a.st, a.dev, 2, now);
        uint64_t nb = synack_sim_step(b.st, b.dev, 2, now);
        ASSERT_EQ(na, nb);
        compare(&a, &b, now, seed, step);
        /* To the next deadline, or a random moment before it (timers fire, delayed ACKs
         * go, a cork's 200 ms pass). */
        uint64_t dt = 1 + rnd(&ra, 30000);
        (void)rnd(&rb, 30000);
        now = na > now && na - now < dt ? na : now + dt;
    }
    uint64_t segs = a.dig.segs;
    world_free(&a);
    world_free(&b);
    return segs;
}

TEST(idle_path_and_send_loop_agree)
{
    uint64_t segs = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        test_seed(seed);
        segs += run(seed);
    }
    /* The runs carried traffic. */
    ASSERT(segs > 10000);
}

TEST_MAIN()
