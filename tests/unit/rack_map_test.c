/*
 * rack_map_test.c - the transmission map (tcp/tcp_rack.c) at its record limit: when two
 * neighbouring records must be merged to make room, the merged range keeps the later send
 * time (RACK, RFC 8985 §6.2, needs the most recent), but the oldest retransmission still
 * outstanding, Eifel's RetransmitTS (RFC 3522 §3.2, Linux's retrans_stamp), must not move
 * later with it: an ACK echoing the older retransmission's time would then look older than
 * the retransmission and call a real loss spurious.
 */
#include <string.h>

#include "tcp/stack.h"
#include "test.h"

TEST(oldest_retransmission_survives_a_merge_of_its_record)
{
    static struct tcb t;
    memset(&t, 0, sizeof t);
    t.snd_una = 1000;
    ASSERT_EQ(tcp_rack_alloc(&t, 64 * 1024), 0); /* TCP_XMAP_MIN records at most */
    uint64_t now = 1000000;
    /* TCP_XMAP_MIN - 2 segments sent 1 ms apart: a record each. */
    const uint32_t n = TCP_XMAP_MIN - 2;
    for (uint32_t i = 0; i < n; i++)
        tcp_rack_on_send(&t, 1000 + i * 100, 100, now + i * 1000ull, false);
    ASSERT_EQ(t.xr_n, n);
    now += n * 1000ull + 50000;
    /* The first two are sent again 1 us apart: the cheapest pair to merge. */
    tcp_rack_on_send(&t, 1000, 100, now, true);
    tcp_rack_on_send(&t, 1100, 100, now + 1, true);
    ASSERT_EQ(tcp_rack_oldest_rxt(&t, now + 10), now);
    /* New data 2 ms apart: the map full after two, and the third finds no room, so the
     * cheapest neighbours, the two retransmissions, become one record. */
    for (uint32_t k = 0; k < 3; k++) {
        ASSERT_EQ(t.xr_n, n + k);
        tcp_rack_on_send(&t, 1000 + (n + k) * 100, 100, now + 2000 * (k + 1), false);
    }
    ASSERT_EQ(t.xr_n, TCP_XMAP_MIN);
    ASSERT_EQ(t.xr[0].end, 1200u); /* merged */
    ASSERT_EQ(tcp_rack_oldest_rxt(&t, now + 10000), now);
    tcp_rack_free(&t);
}

TEST_MAIN()
