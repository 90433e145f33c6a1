/*
 * hystart_test.c - slow start with HyStart++ (RFC 9406) on the simulated link: a bulk
 * transfer into a bottleneck with a deep queue. Standard slow start doubles the window
 * every round trip until the queue overflows; HyStart++ sees the round's minimum RTT rise
 * (the queue building) and moves to Conservative Slow Start and then congestion avoidance
 * before any loss. For NewReno and CUBIC alike.
 */
#include "test.h"
#include "transfer.h"

static void bulk_into_deep_queue(const char *cc)
{
    /* 10 Mbit/s, 20 ms RTT: a bandwidth-delay product of 17 segments, a queue of 1000:
     * slow start would reach a window of 1,000 segments and lose hundreds of them; the
     * transfer (4 MiB, about 2,900 segments) is long enough to get there. */
    uint64_t seed = 11;
    test_seed(seed);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 10000;
    lc.bandwidth_bps = 10000000;
    lc.queue_limit = 1000;
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, seed);
        c[i].sndbuf = c[i].rcvbuf = 4u << 20;
        c[i].cc = cc;
    }
    static struct simnet n;
    simnet_init_with(&n, c, &lc, seed);
    uint64_t bytes[2] = {4u << 20, 0};
    struct transfer_result r = transfer_run(&n, seed, bytes, 600ull * 1000000);
    ASSERT(r.ok);
    struct synack_stats s;
    synack_get_stats(n.st[0], &s);
    printf("     %s: %.2f s, HyStart++ exits %llu, retransmissions %llu, timeouts %llu\n", cc,
           (double)(r.done_us - r.first_data_us) / 1e6, (unsigned long long)s.hystart_exits,
           (unsigned long long)s.retransmits, (unsigned long long)s.rto_timeouts);
    ASSERT_EQ(s.hystart_exits, 1);
    ASSERT_EQ(s.retransmits, 0);
    ASSERT_EQ(s.rto_timeouts, 0);
    simnet_free(&n);
}

TEST(hystart_ends_slow_start_before_loss_newreno)
{
    bulk_into_deep_queue("newreno");
}

TEST(hystart_ends_slow_start_before_loss_cubic)
{
    bulk_into_deep_queue("cubic");
}

TEST_MAIN()
