/*
 * hunt_test.c - what an outside tester attacking synack as a hostile peer and a hostile user
 * found (session 7's hunt), one test each: each failed before its fix. Deterministic: the
 * integer clock of the stacks, seeded links, the seed printed on failure.
 */
#include <stdio.h>

#include "test.h"
#include "transfer.h"

/* Two stacks on a link of the given MTU moving a few KB each way, every byte checked. */
static struct transfer_result small_mtu_transfer(uint16_t mtu, bool timestamps, uint64_t seed)
{
    test_seed(seed);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.mtu = mtu;
    lc.delay_us = 1000;
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, seed);
        c[i].mtu = mtu;
        c[i].no_timestamps = !timestamps;
        c[i].msl_us = 1000000;
    }
    struct simnet n;
    simnet_init_with(&n, c, &lc, seed);
    uint64_t bytes[2] = {5000, 3000};
    struct transfer_result r = transfer_run(&n, seed, bytes, 600ull * 1000000);
    if (!r.ok || !r.closed)
        fprintf(stderr, "    mtu %u, timestamps %d: received %llu/%llu and %llu/%llu, states %d %d\n",
                mtu, timestamps, (unsigned long long)r.received[1], (unsigned long long)bytes[0],
                (unsigned long long)r.received[0], (unsigned long long)bytes[1], r.state[0],
                r.state[1]);
    simnet_free(&n);
    return r;
}

/* cfg.mtu may be as small as IPv4's 68 (RFC 791). The MSS floor of 64 that keeps a peer's
 * tiny MSS option from making us send a flood of tiny segments was applied after the link's
 * own limit, so on a device of an MTU below 104 every data segment was larger than the
 * device carries: refused by the output queue (EMSGSIZE) again and again, no byte ever
 * sent, no timeout, the connection ESTABLISHED for ever. */
TEST(a_device_mtu_below_104_still_carries_every_byte)
{
    if (simnet_ipv6()) TEST_SKIP("IPv4's minimum MTU; IPv6 needs 1280");
    static const uint16_t mtus[] = {68, 76, 100, 103, 104, 120};
    for (size_t i = 0; i < sizeof mtus / sizeof mtus[0]; i++) {
        for (int ts = 0; ts < 2; ts++) {
            struct transfer_result r = small_mtu_transfer(mtus[i], ts, 7 + i);
            ASSERT(r.ok);
            ASSERT(r.closed);
        }
    }
}

TEST_MAIN()
