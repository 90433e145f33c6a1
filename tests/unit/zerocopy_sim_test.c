/*
 * zerocopy_sim_test.c - zero-copy sends between two synack stacks over a hostile simulated
 * link (loss, duplication, reordering, corruption; seeded): the sender queues a 2 MiB
 * buffer in zero-copy sends and poisons each part of it as soon as its completion says it
 * is free. The receiver must still get every byte exactly, which fails if the stack read a
 * buffer after reporting it done (a retransmission from freed memory) or completed a send
 * before the peer had all of it; every id is reported exactly once, in order.
 */
#include <string.h>

#include "simnet.h"
#include "test.h"

#define MS        1000ull
#define SEC       1000000ull
#define TOTAL     (2u << 20)
#define CHUNK     20000u
#define MAX_SENDS 4096
#define ZC_POISON 0xee

static uint8_t expect_byte(uint32_t i)
{
    return (uint8_t)(i * 2654435761u >> 24);
}

struct zc_run {
    struct simnet n;
    int c, lsd, srv;
    uint8_t *buf;            /* the sender's buffer, lent to the stack */
    uint32_t queued;         /* bytes handed over so far */
    uint32_t off[MAX_SENDS]; /* each send's range in buf */
    uint32_t len[MAX_SENDS];
    uint32_t nsends, ndone; /* sends made, and reported done (ids 0..ndone-1) */
    uint32_t received;      /* bytes the receiver read */
    bool bad;
};

static void receiver(struct zc_run *r)
{
    if (r->srv < 0) r->srv = synack_accept(r->n.st[1], r->lsd, NULL);
    if (r->srv < 0) return;
    uint8_t tmp[16384];
    long got;
    while ((got = synack_recv(r->n.st[1], r->srv, r->n.now, tmp, sizeof tmp)) > 0) {
        for (long i = 0; i < got; i++) {
            if (tmp[i] != expect_byte(r->received + (uint32_t)i)) {
                fprintf(stderr, "    byte %u differs: %u, expected %u\n", r->received + (uint32_t)i,
                        tmp[i], expect_byte(r->received + (uint32_t)i));
                r->bad = true;
                return;
            }
        }
        r->received += (uint32_t)got;
    }
}

static void sender(struct zc_run *r)
{
    struct synack_notice nt;
    while (synack_next_notice(r->n.st[0], r->c, &nt) == 1) {
        /* Ids come in order and each once; the peer holds every byte of those sends. */
        if (nt.kind != SYNACK_NOTICE_ZEROCOPY || nt.lo != r->ndone || nt.hi < nt.lo ||
            nt.hi >= r->nsends || nt.copied) {
            fprintf(stderr, "    notice kind %d [%u, %u] copied %d after %u done of %u\n", nt.kind,
                    nt.lo, nt.hi, nt.copied, r->ndone, r->nsends);
            r->bad = true;
            return;
        }
        struct synack_sockinfo peer;
        ASSERT_EQ(synack_getinfo(r->n.st[1], r->srv, &peer), 0);
        uint32_t end = r->off[nt.hi] + r->len[nt.hi];
        uint32_t has = peer.rcv_nxt - peer.irs - 1; /* in order at the peer (no FIN yet) */
        if (has < end) {
            fprintf(stderr, "    send %u done at byte %u, the peer has %u\n", nt.hi, end, has);
            r->bad = true;
            return;
        }
        for (uint32_t k = nt.lo; k <= nt.hi; k++) memset(r->buf + r->off[k], ZC_POISON, r->len[k]);
        r->ndone = nt.hi + 1;
    }
    while (r->queued < TOTAL && r->nsends < MAX_SENDS) {
        uint32_t want = TOTAL - r->queued < CHUNK ? TOTAL - r->queued : CHUNK;
        long n = synack_send_flags(r->n.st[0], r->c, r->n.now, r->buf + r->queued, want,
                                   SYNACK_SEND_ZEROCOPY);
        if (n == SYNACK_EAGAIN || n == SYNACK_ENOBUFS) break;
        ASSERT(n > 0);
        r->off[r->nsends] = r->queued;
        r->len[r->nsends] = (uint32_t)n;
        r->nsends++;
        r->queued += (uint32_t)n;
    }
}

static bool step_apps(struct simnet *n, void *ctx)
{
    struct zc_run *r = ctx;
    (void)n;
    receiver(r);
    if (r->srv >= 0) sender(r);
    return r->bad || (r->received == TOTAL && r->ndone == r->nsends && r->queued == TOTAL);
}

static bool established(struct simnet *n, void *ctx)
{
    int sd = *(int *)ctx;
    return simnet_state(n, 0, sd) == SYNACK_ESTABLISHED;
}

TEST(zerocopy_2mib_over_a_hostile_link_buffers_poisoned_on_completion)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        test_seed(seed);
        static struct zc_run r;
        memset(&r, 0, sizeof r);
        struct synack_sim_config lc;
        synack_sim_config_default(&lc);
        lc.delay_us = 10 * MS;
        lc.bandwidth_bps = 100000000;
        lc.faults.loss = 0.05;
        lc.faults.dup = 0.02;
        lc.faults.reorder = 0.02;
        lc.faults.corrupt = 0.005;
        lc.faults.seed = seed;
        struct synack_config c[2];
        simnet_config(&c[0], 0, seed);
        simnet_config(&c[1], 1, seed);
        c[0].sndbuf = c[1].rcvbuf = 1u << 20;
        simnet_init_with(&r.n, c, &lc, seed);
        r.buf = malloc(TOTAL);
        ASSERT(r.buf != NULL);
        for (uint32_t i = 0; i < TOTAL; i++) r.buf[i] = expect_byte(i);
        r.srv = -1;
        r.lsd = synack_socket(r.n.st[1]);
        ASSERT_EQ(synack_bind(r.n.st[1], r.lsd, SYNACK_ADDR_ANY, 80), 0);
        ASSERT_EQ(synack_listen(r.n.st[1], r.lsd, 4), 0);
        r.c = synack_socket(r.n.st[0]);
        ASSERT_EQ(synack_setopt(r.n.st[0], r.c, SYNACK_OPT_ZEROCOPY, 1), 0);
        ASSERT_EQ(synack_connect(r.n.st[0], r.c, r.n.now, SIM_B_ADDR, 80), SYNACK_EINPROGRESS);
        ASSERT(simnet_run_until(&r.n, r.n.now + 30 * SEC, established, &r.c));
        /* Bound: 2 MiB at 5% loss takes seconds of virtual time; an hour means stuck. The
         * applications act before each step, so that what they queue is sent in it. */
        uint64_t limit = r.n.now + 3600 * SEC;
        bool done = false;
        while (!(done = step_apps(&r.n, &r)) && r.n.now < limit) {
            if (!simnet_step(&r.n) && !step_apps(&r.n, &r) && !simnet_step(&r.n)) break;
        }
        ASSERT(!r.bad);
        ASSERT(done);
        ASSERT_EQ(r.received, TOTAL);
        ASSERT_EQ(r.ndone, r.nsends);
        struct synack_stats s;
        synack_get_stats(r.n.st[0], &s);
        ASSERT_EQ(s.zerocopy_sends, r.nsends);
        ASSERT(s.retransmits > 0); /* the link did lose data: buffers were read again */
        printf("     seed %llu: %u zero-copy sends, %llu retransmissions, %.1f s virtual\n",
               (unsigned long long)seed, r.nsends, (unsigned long long)s.retransmits,
               r.n.now / 1e6);
        free(r.buf);
        simnet_free(&r.n);
    }
}

TEST_MAIN()
