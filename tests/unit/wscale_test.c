/*
 * wscale_test.c - the receive window scale chosen for a buffer (tcp_rcv_wscale_for,
 * tcp/tcp_conn.c): the smallest shift that brings the buffer within 16 bits, at most 14
 * (RFC 7323 §2.2, §2.3), checked against the definition itself at every power of two, its
 * neighbours, and seeded random sizes.
 */
#include "tcp/tcp.h"
#include "test.h"

/* The definition: the least ws <= 14 with (rcvbuf >> ws) <= 65535. */
static uint8_t wscale_by_definition(uint32_t rcvbuf)
{
    uint8_t ws = 0;
    while (ws < 14 && (rcvbuf >> ws) > 65535) ws++;
    return ws;
}

TEST(wscale_is_the_least_shift_within_16_bits)
{
    ASSERT_EQ(tcp_rcv_wscale_for(0), 0);
    for (uint32_t b = 0; b < 32; b++) {
        uint32_t p = 1u << b;
        uint32_t near[] = {p - 1, p, p + 1};
        for (int i = 0; i < 3; i++)
            ASSERT_EQ(tcp_rcv_wscale_for(near[i]), wscale_by_definition(near[i]));
    }
    ASSERT_EQ(tcp_rcv_wscale_for(UINT32_MAX), 14);
    ASSERT_EQ(tcp_rcv_wscale_for(65535), 0);
    ASSERT_EQ(tcp_rcv_wscale_for(65536), 1);
    uint64_t seed = 0x5ca1e;
    test_seed(seed);
    for (int i = 0; i < 100000; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint32_t b = (uint32_t)(seed >> 32) >> (seed & 31);
        ASSERT_EQ(tcp_rcv_wscale_for(b), wscale_by_definition(b));
    }
}

TEST_MAIN()
