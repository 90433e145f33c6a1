/*
 * reass_test.c - the out-of-order range list (base/reass.c) and the SACK blocks a receiver
 * reports from it. RFC 2018 §4: the first block holds the segment that arrived last, and
 * the rest repeat the most recently reported blocks, so that a block survives the loss of
 * a few ACKs; blocks are never listed in sequence order for their own sake.
 */
#include "base/reass.h"
#include "test.h"

/* Five holes' worth of ranges, added from the lowest up: 1000 apart, 100 long. */
static void five_ranges(struct reass *q)
{
    *q = (struct reass){0};
    for (uint32_t i = 1; i <= 5; i++) ASSERT_EQ(reass_add(q, i * 1000, i * 1000 + 100), 0);
    ASSERT_EQ(q->n, 5);
}

TEST(sack_blocks_latest_first_then_the_most_recent)
{
    struct reass q;
    five_ranges(&q);
    uint32_t l[4], r[4];
    /* Arrival order 1..5: the blocks are 5, 4, 3 (then 2 with room for four). */
    ASSERT_EQ(reass_sack_blocks(&q, l, r, 3), 3);
    ASSERT_EQ(l[0], 5000u);
    ASSERT_EQ(l[1], 4000u);
    ASSERT_EQ(l[2], 3000u);
    ASSERT_EQ(reass_sack_blocks(&q, l, r, 4), 4);
    ASSERT_EQ(l[3], 2000u);
}

TEST(sack_blocks_a_range_that_grows_moves_to_the_front)
{
    struct reass q;
    five_ranges(&q);
    uint32_t l[3], r[3];
    /* A segment extends range 2: it is first; 5 and 4, the latest before it, follow. */
    ASSERT_EQ(reass_add(&q, 2100, 2200), 0);
    ASSERT_EQ(reass_sack_blocks(&q, l, r, 3), 3);
    ASSERT_EQ(l[0], 2000u);
    ASSERT_EQ(r[0], 2200u);
    ASSERT_EQ(l[1], 5000u);
    ASSERT_EQ(l[2], 4000u);
}

TEST(sack_blocks_merged_ranges_keep_their_recency)
{
    struct reass q;
    five_ranges(&q);
    uint32_t l[3], r[3];
    ASSERT_EQ(reass_add(&q, 1100, 2000), 0); /* fills between 1 and 2: one range */
    ASSERT_EQ(q.n, 4);
    ASSERT_EQ(reass_add(&q, 4100, 4200), 0); /* then 4 grows */
    ASSERT_EQ(reass_sack_blocks(&q, l, r, 3), 3);
    ASSERT_EQ(l[0], 4000u);
    ASSERT_EQ(l[1], 1000u);
    ASSERT_EQ(r[1], 2100u);
    ASSERT_EQ(l[2], 5000u);
}

TEST(sack_blocks_after_the_front_ranges_are_delivered)
{
    struct reass q;
    five_ranges(&q);
    uint32_t l[3], r[3];
    ASSERT_EQ(reass_add(&q, 3100, 3200), 0); /* 3 the latest */
    /* RCV.NXT reaches 2100: ranges 1 and 2 go; 3, 5, 4 remain in recency order. */
    ASSERT_EQ(reass_advance(&q, 2000), 2100u);
    ASSERT_EQ(q.n, 3);
    ASSERT_EQ(reass_sack_blocks(&q, l, r, 3), 3);
    ASSERT_EQ(l[0], 3000u);
    ASSERT_EQ(l[1], 5000u);
    ASSERT_EQ(l[2], 4000u);
    reass_trim_below(&q, 3050);
    ASSERT_EQ(reass_sack_blocks(&q, l, r, 1), 1);
    ASSERT_EQ(l[0], 3050u);
}

TEST(ranges_stay_bounded_whatever_the_peer_sends)
{
    struct reass q = {0};
    for (uint32_t i = 0; i < REASS_MAX; i++) ASSERT_EQ(reass_add(&q, i * 10, i * 10 + 5), 0);
    ASSERT_EQ(reass_add(&q, 1000, 1005), -1);
    ASSERT_EQ(q.n, REASS_MAX);
    uint32_t l[4], r[4];
    ASSERT_EQ(reass_sack_blocks(&q, l, r, 4), 4);
    ASSERT_EQ(l[0], (REASS_MAX - 1) * 10u);
    ASSERT_EQ(l[3], (REASS_MAX - 4) * 10u);
    /* Overlapping everything: one range, and it is the one reported. */
    ASSERT_EQ(reass_add(&q, 0, 1000), 0);
    ASSERT_EQ(q.n, 1);
    ASSERT_EQ(reass_sack_blocks(&q, l, r, 4), 1);
    ASSERT_EQ(r[0], 1000u);
}

TEST_MAIN()
