/*
 * seqwrap_recover_test.c - item 2 of the correctness issue: recover (RFC 6582) must not
 * outlive its meaning. A loss, then more than 2^31 bytes without one, then another: the
 * second must be repaired by fast retransmit. Its own program (and ctest) so that ctest -j
 * runs it beside the 4.5 GB transfer of seqwrap_test.
 */
#include "test.h"
#include "longhaul.h"

#define SEC 1000000ull
#define MB  1000000ull

TEST(fast_retransmit_after_2gib_without_loss)
{
    /* Item 2: one loss, then more than 2^31 bytes without one, then another. recover
     * (RFC 6582) was set at the first; compared with SND.UNA 2.3 GB later the sequence
     * arithmetic flips, and fast retransmit must start all the same. */
    struct simnet n;
    longhaul_net(&n, 72, 9000, 0);
    static struct longhaul h;
    memset(&h, 0, sizeof h);
    h.bytes = 2600 * MB;
    h.drop_at[h.ndrops++] = 100 * MB;
    h.drop_at[h.ndrops++] = 2450 * MB;
    longhaul_run(&n, &h, 3600 * SEC);
    longhaul_report(&n, &h);
    struct synack_stats s;
    synack_get_stats(n.st[0], &s);
    ASSERT(h.ok);
    ASSERT_EQ(h.dropped, 2);
    ASSERT_EQ(s.rto_timeouts, 0);
    ASSERT_EQ(s.fast_retransmits, 2);
    simnet_free(&n);
}

TEST_MAIN()
