/*
 * recovery_sim_test.c - loss recovery between two synack stacks on the simulated link, the
 * undo paths that recovery_test.c drives from a scripted peer: D-SACK (RFC 2883, RFC 3708)
 * undoing fast retransmissions that reordering made spurious, with RACK's reordering window
 * widened by them (RFC 8985 §6.2), and F-RTO (RFC 5682) finding a timeout spurious when
 * the ACKs were only held up. Each transfer is checked byte for byte (transfer.h).
 */
#include "test.h"
#include "transfer.h"

#define MS  1000ull
#define SEC 1000000ull

static struct synack_stats stats_of(struct simnet *n, int side)
{
    struct synack_stats s;
    synack_get_stats(n->st[side], &s);
    return s;
}

/* A reordering link that loses nothing, without timestamps (so Eifel, RFC 3522, cannot
 * tell a spurious retransmission from its echo): a segment held back 15 ms, longer than
 * RACK's first reordering window (min_RTT / 4 = 5 ms), is deemed lost and sent again
 * before it arrives. The receiver reports the copy with a D-SACK; the sender counts it,
 * undoes the reduction when every retransmission of the episode was spurious, and widens
 * its reordering window. */
TEST(dsack_undoes_fast_retransmissions_that_reordering_made_spurious)
{
    uint64_t seed = 11;
    test_seed(seed);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 10 * MS;
    lc.bandwidth_bps = 20000000;
    lc.faults.reorder = 0.005;
    lc.faults.reorder_us = 15 * MS;
    lc.faults.seed = seed;
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, seed);
        c[i].no_timestamps = true;
        c[i].sndbuf = c[i].rcvbuf = 1u << 20;
        c[i].msl_us = 1 * SEC;
    }
    struct simnet n;
    simnet_init_with(&n, c, &lc, seed);
    uint64_t bytes[2] = {8u << 20, 0};
    struct transfer_result r = transfer_run(&n, seed, bytes, 600 * SEC);
    ASSERT(r.ok);
    struct synack_stats a = stats_of(&n, 0);
    printf("     %llu retransmissions (%llu fast), %llu D-SACKs in, %llu undone, %llu "
           "timeouts\n",
           (unsigned long long)a.retransmits, (unsigned long long)a.fast_retransmits,
           (unsigned long long)a.dsacks_in, (unsigned long long)a.dsack_undos,
           (unsigned long long)a.rto_timeouts);
    ASSERT(a.fast_retransmits > 0); /* reordering looked like loss at first */
    ASSERT(a.dsacks_in > 0);        /* the receiver said so (RFC 2883) */
    ASSERT(a.dsack_undos > 0);      /* and the sender undid it (RFC 3708) */
    simnet_free(&n);
}

/* A delay spike on the ACK path: from 150 ms into the transfer, the receiver's ACKs are held
 * for 400 ms, then all go at once, in order. Nothing was lost; the sender's retransmission
 * timer fires in the meantime all the same. The first ACK after the timeout covers data sent
 * before it but not all of it ("recover"), so F-RTO sends new data rather than going back
 * (step 2b); the next covers more, so the timeout was spurious (step 3b) and the window
 * before it comes back. (An ACK that covered all of it would say nothing: step 2a.) */
static uint64_t hold_acks(struct simnet *n, int from, const struct synack_segment *s)
{
    if (from != 1 || s->payload_len > 0 || (s->tcp.flags & SYNACK_TCP_SYN)) return 0;
    if (n->now < 150 * MS || n->now >= 550 * MS) return 0;
    return 550 * MS;
}

TEST(frto_finds_a_timeout_spurious_after_a_delay_spike)
{
    uint64_t seed = 12;
    test_seed(seed);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 10 * MS;
    lc.bandwidth_bps = 20000000;
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, seed);
        c[i].sndbuf = c[i].rcvbuf = 1u << 20;
        c[i].msl_us = 1 * SEC;
    }
    struct simnet n;
    simnet_init_with(&n, c, &lc, seed);
    n.hold = hold_acks;
    uint64_t bytes[2] = {4u << 20, 0};
    struct transfer_result r = transfer_run(&n, seed, bytes, 600 * SEC);
    ASSERT(r.ok);
    struct synack_stats a = stats_of(&n, 0);
    printf("     %d ACKs held, %llu timeouts, %llu found spurious, %llu retransmissions\n",
           n.held_total[1], (unsigned long long)a.rto_timeouts, (unsigned long long)a.spurious_rtos,
           (unsigned long long)a.retransmits);
    ASSERT(n.held_total[1] > 0);
    ASSERT_EQ(a.rto_timeouts, 1);
    ASSERT_EQ(a.spurious_rtos, 1);
    simnet_free(&n);
}

TEST_MAIN()
