/*
 * rack_map_test.c - the transmission map (tcp/tcp_rack.c) at its record limit: when two
 * neighbouring records must be merged to make room, the merged range keeps the later send
 * time (RACK, RFC 8985 §6.2, needs the most recent), but the oldest retransmission still
 * outstanding, Eifel's RetransmitTS (RFC 3522 §3.2, Linux's retrans_stamp), must not move
 * later with it: an ACK echoing the older retransmission's time would then look older than
 * the retransmission and call a real loss spurious. And the stack's spare maps: a map of
 * the first size given back goes to them and the next connection takes it without the
 * allocator; a grown one goes back to the allocator; they hold TCP_XR_SPARES at most.
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

TEST(spare_maps_are_reused_bounded_and_of_the_first_size)
{
    static struct tcp_xr_spares sp;
    static struct tcb t[TCP_XR_SPARES + 1];
    memset(&sp, 0, sizeof sp);
    memset(t, 0, sizeof t);
    for (int i = 0; i <= TCP_XR_SPARES; i++) {
        t[i].snd_una = 1000;
        t[i].xr_spares = &sp;
    }
    /* The first map from the allocator; given back, kept; the next one is the same memory. */
    ASSERT_EQ(tcp_rack_alloc(&t[0], 64 * 1024), 0);
    struct tcp_xrec *first = t[0].xr;
    tcp_rack_on_send(&t[0], 1000, 100, 5000, false);
    tcp_rack_free(&t[0]);
    ASSERT(t[0].xr == NULL);
    ASSERT_EQ(t[0].xr_n, 0);
    ASSERT_EQ(sp.n, 1u);
    ASSERT_EQ(tcp_rack_alloc(&t[1], 64 * 1024), 0);
    ASSERT(t[1].xr == first);
    ASSERT_EQ(sp.n, 0u);
    ASSERT_EQ(t[1].xr_n, 0);
    ASSERT_EQ(t[1].xr_cap, TCP_XMAP_START);
    ASSERT_EQ(t[1].xr_max, TCP_XMAP_MIN);
    /* Grown past the first size (records 1 ms apart, one each): back to the allocator. */
    for (uint32_t i = 0; i < TCP_XMAP_START + 4; i++)
        tcp_rack_on_send(&t[1], 1000 + i * 100, 100, 10000 + i * 1000ull, false);
    ASSERT(t[1].xr_cap > TCP_XMAP_START);
    tcp_rack_free(&t[1]);
    ASSERT_EQ(sp.n, 0u);
    /* At most TCP_XR_SPARES are kept: one more given back goes to the allocator. */
    for (int i = 0; i <= TCP_XR_SPARES; i++) ASSERT_EQ(tcp_rack_alloc(&t[i], 64 * 1024), 0);
    for (int i = 0; i <= TCP_XR_SPARES; i++) tcp_rack_free(&t[i]);
    ASSERT_EQ(sp.n, (uint32_t)TCP_XR_SPARES);
    tcp_rack_spares_free(&sp);
    ASSERT_EQ(sp.n, 0u);
}

TEST_MAIN()
