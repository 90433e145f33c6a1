/*
 * seqwrap_test.c - long transfers across sequence-number wraparound (RFC 9293 §3.4: the
 * 32-bit space is reused every 4 GiB, and comparisons hold only within 2^31): losses far
 * apart must still be repaired by fast retransmit, never by the retransmission timer.
 */
#include "test.h"
#include "longhaul.h"

#define SEC 1000000ull
#define MB  1000000ull

TEST(long_transfer_over_4gib_every_loss_repaired_by_fast_retransmit)
{
    /* 4.5 GB: SND.UNA wraps twice, one data segment lost every 300 MB. */
    struct simnet n;
    /* An ISS high in the space: the 4.5 GB stream crosses 2^32 twice. */
    longhaul_net(&n, 71, 9000, 4181886655u);
    static struct longhaul h;
    memset(&h, 0, sizeof h);
    h.bytes = 4500 * MB;
    for (uint64_t at = 150 * MB; at < h.bytes && h.ndrops < LH_MAXDROPS; at += 300 * MB)
        h.drop_at[h.ndrops++] = at;
    longhaul_run(&n, &h, 3600 * SEC);
    longhaul_report(&n, &h);
    struct synack_stats s;
    synack_get_stats(n.st[0], &s);
    uint64_t wraps = ((uint64_t)h.isn + h.bytes) >> 32;
    printf("     ISS %u: the sequence space wrapped %llu times\n", h.isn - 1,
           (unsigned long long)wraps);
    ASSERT_EQ(wraps, 2);
    ASSERT(h.ok);
    ASSERT_EQ(h.dropped, h.ndrops);
    ASSERT_EQ(s.fast_retransmits, (uint64_t)h.dropped);
    ASSERT_EQ(s.rto_timeouts, 0);
    /* B's receive buffer was auto-tuned (from 64 KiB, up to its 4 MiB) on the way. */
    struct synack_sockinfo b;
    ASSERT_EQ(synack_getinfo(n.st[1], h.rcv_sd, &b), 0);
    printf("     B's receive buffer: %u bytes\n", b.rcv_space);
    ASSERT(b.rcv_space > 65536 && b.rcv_space <= 4u << 20);
    simnet_free(&n);
}

TEST_MAIN()
