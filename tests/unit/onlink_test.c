/*
 * onlink_test.c - which IPv4 peers connect() takes as on the link (tcp/ip_out.c,
 * ip_on_link): for every prefix length 0..32 and every bit of the address flipped, the
 * peer is on the link exactly when the bit lies outside the prefix, unless it is the
 * subnet's broadcast address (host bits all ones, on prefixes shorter than /31, RFC 3021
 * §2.1); anything else is SYNACK_ENETUNREACH.
 */
#include "test.h"
#include "synack/synack.h"

#define OWN 0x0a010205u /* 10.1.2.5 */

TEST(ipv4_peers_on_the_link_by_prefix_length)
{
    for (uint32_t len = 0; len <= 32; len++) {
        struct synack_config c;
        synack_config_default(&c);
        c.addr = synack_addr_v4(OWN);
        c.prefix_len = (uint8_t)len;
        c.seed = 1;
        int err = 0;
        synack_stack *st = synack_stack_new(&c, &err);
        ASSERT(st != NULL);
        uint32_t host = len < 32 ? 0xffffffffu >> len : 0;
        for (uint32_t bit = 0; bit < 32; bit++) {
            uint32_t peer = OWN ^ (0x80000000u >> bit);
            bool broadcast = len < 31 && (peer & host) == host;
            bool want = bit >= len && !broadcast;
            int sd = synack_socket(st);
            ASSERT(sd >= 0);
            int r = synack_connect(st, sd, 1000, synack_addr_v4(peer), 80);
            if (r != (want ? SYNACK_EINPROGRESS : SYNACK_ENETUNREACH))
                fprintf(stderr, "    /%u, bit %u flipped: %d\n", len, bit, r);
            ASSERT_EQ(r, want ? SYNACK_EINPROGRESS : SYNACK_ENETUNREACH);
            synack_close(st, sd, 1000);
        }
        synack_stack_free(st);
    }
}

TEST_MAIN()
