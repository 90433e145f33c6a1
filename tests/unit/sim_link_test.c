/*
 * sim_link_test.c - the simulated link's queue on its own, without stacks: datagrams come
 * out whole, in order, when due, through recv() (a copy) and recv_zc() (in place in the
 * link's memory); a datagram handed out in place is not overwritten by what is sent after
 * it; an emptied queue starts again at the front of its memory, so that a link with little
 * in flight keeps its bytes in a few cache-hot pages.
 */
#include "synack/dev.h"
#include "test.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Datagram number i's byte k: different in every datagram and every position. */
static uint8_t pat(uint32_t i, uint32_t k)
{
    return (uint8_t)(i * 7 + k * 13 + (k >> 8));
}

static synack_sim_link *new_link(uint16_t mtu, uint64_t delay, uint32_t queue_limit)
{
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.mtu = mtu;
    lc.delay_us = delay;
    lc.queue_limit = queue_limit;
    return synack_sim_link_new(&lc);
}

/* A datagram taken from end 1, in place when zc: its length, 0 when none. */
static int take(synack_dev *d, uint64_t now, bool zc, uint8_t *buf, size_t cap, const uint8_t **at)
{
    if (zc) {
        const uint8_t *p = NULL;
        int n = d->ops->recv_zc(d, now, &p);
        *at = p;
        return n;
    }
    *at = buf;
    return synack_dev_recv(d, now, buf, cap);
}

/* Random sizes sent and taken in random bursts, by copy and in place alternately: every
 * datagram comes out once, whole, in order, and not before its delay. */
TEST(fifo_order_bytes_and_delay_under_random_bursts)
{
    uint64_t seed = 0x51a1u;
    test_seed(seed);
    synack_sim_link *l = new_link(9000, 5, 64);
    ASSERT(l != NULL);
    synack_dev *a = synack_sim_end(l, 0), *b = synack_sim_end(l, 1);
    ASSERT(b->ops->recv_zc != NULL);
    static uint8_t pkt[9000], buf[9000];
    uint32_t sent = 0, got = 0, lens[4096];
    uint64_t due[4096];
    uint64_t now = 0;
    for (int round = 0; round < 3000; round++) {
        uint32_t burst = (uint32_t)(rng_next(&seed) % 12);
        for (uint32_t j = 0; j < burst && sent - got < 4096; j++) {
            uint32_t len = 1 + (uint32_t)(rng_next(&seed) % 9000);
            for (uint32_t k = 0; k < len; k++) pkt[k] = pat(sent, k);
            ASSERT_EQ(synack_dev_send(a, now, pkt, len), 0);
            lens[sent % 4096] = len;
            due[sent % 4096] = now + 5;
            sent++;
        }
        now += rng_next(&seed) % 4;
        uint32_t want = (uint32_t)(rng_next(&seed) % 16);
        for (uint32_t j = 0; j < want; j++) {
            const uint8_t *at;
            int n = take(b, now, (got + (uint32_t)round) % 2 == 0, buf, sizeof buf, &at);
            if (n == 0) {
                ASSERT(got == sent || due[got % 4096] > now);
                break;
            }
            ASSERT(got < sent);
            ASSERT(due[got % 4096] <= now);
            ASSERT_EQ((uint32_t)n, lens[got % 4096]);
            for (uint32_t k = 0; k < (uint32_t)n; k++) ASSERT_EQ(at[k], pat(got, k));
            got++;
        }
    }
    ASSERT(got > 1000);
    synack_sim_link_free(l);
}

/* A datagram handed out in place stays as it was while the queue is filled after it, up
 * to what the queue refuses; the next take releases it. */
TEST(in_place_datagram_survives_later_sends)
{
    synack_sim_link *l = new_link(1500, 0, 16);
    ASSERT(l != NULL);
    synack_dev *a = synack_sim_end(l, 0), *b = synack_sim_end(l, 1);
    static uint8_t pkt[1500];
    for (uint32_t k = 0; k < 1500; k++) pkt[k] = pat(0, k);
    ASSERT_EQ(synack_dev_send(a, 0, pkt, 1500), 0);
    const uint8_t *p = NULL;
    ASSERT_EQ(b->ops->recv_zc(b, 0, &p), 1500);
    uint32_t i = 1;
    /* Far more than the queue holds: the surplus is dropped at the tail. */
    for (; i < 20000; i++) {
        for (uint32_t k = 0; k < 1500; k++) pkt[k] = pat(i, k);
        (void)synack_dev_send(a, 0, pkt, 1500);
    }
    for (uint32_t k = 0; k < 1500; k++) ASSERT_EQ(p[k], pat(0, k));
    /* What was queued behind it comes out in order. */
    const uint8_t *q = NULL;
    ASSERT_EQ(b->ops->recv_zc(b, 0, &q), 1500);
    ASSERT_EQ(q[0], pat(1, 0));
    synack_sim_link_free(l);
}

/* A queue that empties starts again at the front of its memory: one datagram at a time
 * through an idle link is always at the same place. */
TEST(emptied_queue_starts_again_at_the_front)
{
    synack_sim_link *l = new_link(1500, 0, 1000);
    ASSERT(l != NULL);
    synack_dev *a = synack_sim_end(l, 0), *b = synack_sim_end(l, 1);
    static uint8_t pkt[1500];
    const uint8_t *first = NULL;
    for (uint32_t i = 0; i < 1000; i++) {
        for (uint32_t k = 0; k < 1500; k++) pkt[k] = pat(i, k);
        ASSERT_EQ(synack_dev_send(a, i, pkt, 1500), 0);
        const uint8_t *p = NULL;
        ASSERT_EQ(b->ops->recv_zc(b, i, &p), 1500);
        ASSERT_EQ(p[1499], pat(i, 1499));
        if (i == 0) first = p;
        ASSERT(p == first);
        ASSERT_EQ(b->ops->recv_zc(b, i, &p), 0);
    }
    synack_sim_link_free(l);
}

TEST_MAIN()
