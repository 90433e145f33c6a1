/*
 * outq_test.c - the output queue's inline short cases (table/outq.h: an empty queue has
 * room, and its next datagram goes at the ring's front) against the general ones in
 * table/outq.c, over seeded random sequences of reserves, commits and takes.
 */
#include <string.h>

#include "table/outq.h"
#include "test.h"

/* For every state a random walk reaches (slot counts 1, 2, 3, 7 and 100, the byte ring
 * wrapped at every position, the queue emptied with its first slot anywhere), outq_full
 * and outq_reserve_len answer as outq_full_slow and outq_reserve_len_slow do: the same
 * answer, the same place, the same slot offset written. */
TEST(outq_short_cases_agree_with_the_general_ones)
{
    const uint64_t seed0 = 0x0a7c;
    test_seed(seed0);
    uint64_t x = seed0;
#define OQ_RAND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    const uint32_t caps[] = {1, 2, 3, 7, 100};
    uint32_t empty_checked = 0;
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        struct outq q;
        const uint32_t mtu = 1500, max = c % 2 ? 65535 : mtu;
        ASSERT_EQ(outq_init(&q, caps[c], mtu, max), 0);
        for (int step = 0; step < 40000; step++) {
            ASSERT_EQ(outq_full(&q), outq_full_slow(&q));
            uint32_t r = (uint32_t)(OQ_RAND() % 16);
            /* Lengths at and around the limits as well as anywhere below them. */
            uint32_t need = r == 0   ? max
                            : r == 1 ? max + 1
                            : r == 2 ? 1
                            : r < 5  ? 1 + (uint32_t)(OQ_RAND() % max)
                                     : 1 + (uint32_t)(OQ_RAND() % mtu);
            if (OQ_RAND() % 2) {
                uint32_t slot =
                    q.first + q.count >= q.cap ? q.first + q.count - q.cap : q.first + q.count;
                q.off[slot] = 0xdeadbeef;
                uint8_t *p_slow = outq_reserve_len_slow(&q, need);
                uint32_t off_slow = q.off[slot];
                q.off[slot] = 0xdeadbeef;
                uint8_t *p = outq_reserve_len(&q, need);
                ASSERT(p == p_slow);
                ASSERT_EQ(q.off[slot], off_slow);
                if (q.count == 0) empty_checked++;
                if (p && OQ_RAND() % 4) outq_commit_gso(&q, need, need > mtu ? 1400 : 0);
            } else {
                const uint8_t *pkt;
                uint32_t gso;
                (void)outq_next(&q, &pkt, &gso);
            }
        }
        outq_free(&q);
    }
    /* The short case was reached, often. */
    ASSERT(empty_checked > 1000);
#undef OQ_RAND
}

TEST_MAIN()
