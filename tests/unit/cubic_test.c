/*
 * cubic_test.c - CUBIC (RFC 9438) behind the congestion-control interface: the window
 * curve and its constants, the multiplicative decrease, and whole transfers over lossy
 * simulated links with `cc = "cubic"`.
 */
#include <math.h>

#include "tcp/tcp.h"
#include "test.h"
#include "transfer.h"

TEST(cubic_window_curve_follows_rfc9438)
{
    /* W_max = 100 segments: K = cbrt(100 * (1 - 0.7) / 0.4) = cbrt(75) = 4.217 s. */
    const uint32_t mss = 1000, wmax = 100 * mss;
    double k = cbrt(75.0);
    /* At t = 0 the curve starts at beta * W_max (the window just after the decrease). */
    ASSERT(fabs(tcp_cubic_window(wmax, mss, 0) - 70.0 * mss) < 1);
    /* At t = K it reaches W_max, flat there ... */
    ASSERT(fabs(tcp_cubic_window(wmax, mss, (uint64_t)(k * 1e6)) - wmax) < 1);
    /* ... and beyond it grows as C (t - K)^3: one second past K, 0.4 segments more. */
    ASSERT(fabs(tcp_cubic_window(wmax, mss, (uint64_t)((k + 1) * 1e6)) - (wmax + 0.4 * mss)) < 1);
    ASSERT(fabs(tcp_cubic_window(wmax, mss, (uint64_t)((k + 10) * 1e6)) - (wmax + 400.0 * mss)) <
           1);
}

TEST(cubic_decrease_is_beta_0_7)
{
    struct tcb t;
    memset(&t, 0, sizeof t);
    t.snd_mss = 1000;
    tcp_cc_cubic.init(&t);
    ASSERT_EQ(t.cwnd, 10000); /* initial window 10 (RFC 6928) */
    t.cwnd = 100000;
    ASSERT_EQ(tcp_cc_cubic.ssthresh(&t), 70000);
    /* Fast convergence: a second loss below the last W_max remembers less (§4.7). */
    t.cwnd = 80000;
    ASSERT_EQ(tcp_cc_cubic.ssthresh(&t), 56000);
    ASSERT(tcp_cc_find("cubic") == &tcp_cc_cubic);
    ASSERT(tcp_cc_find("bbr") == NULL);
}

static double run(const char *cc, double loss, uint64_t seed, uint64_t *rtx)
{
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 20000; /* 40 ms round trip */
    lc.bandwidth_bps = 100000000;
    lc.faults.loss = loss;
    lc.faults.seed = seed;
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, seed);
        c[i].cc = cc;
        c[i].sndbuf = c[i].rcvbuf = 4u << 20;
        c[i].msl_us = 1000000;
    }
    struct simnet n;
    simnet_init_with(&n, c, &lc, seed);
    uint64_t bytes[2] = {16u << 20, 0};
    struct transfer_result r = transfer_run(&n, seed, bytes, 3600ull * 1000000);
    ASSERT(r.ok);
    ASSERT(r.closed);
    struct synack_stats s;
    synack_get_stats(n.st[0], &s);
    *rtx = s.retransmits;
    double mbit = (double)bytes[0] * 8 / ((double)(r.done_us - r.first_data_us) / 1e6) / 1e6;
    simnet_free(&n);
    return mbit;
}

TEST(cubic_transfers_are_byte_exact_and_reported_beside_newreno)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        test_seed(seed);
        uint64_t rc, rn;
        double cubic = run("cubic", 0.001, seed, &rc);
        double reno = run("newreno", 0.001, seed, &rn);
        printf("     seed %llu, 100 Mbit/s, 40 ms, 0.1%% loss, 16 MiB: cubic %.1f Mbit/s (%llu "
               "retransmissions), newreno %.1f Mbit/s (%llu)\n",
               (unsigned long long)seed, cubic, (unsigned long long)rc, reno,
               (unsigned long long)rn);
    }
}

/* A congestion event at cwnd = 10 segments with a 20 ms RTT, then congestion avoidance with
 * one ACK of one segment every 2 ms: K = cbrt(10 * 0.3 / 0.4) = 1.96 s, so for the next
 * seconds W_cubic(t) stays below Reno's estimate W_est and CUBIC is in the Reno-friendly
 * region (RFC 9438 §4.3). Beside the stack, the test keeps W_est by the RFC's formula,
 * W_est += alpha_cubic * segments_acked / cwnd, with alpha_cubic = 3 (1 - 0.7) / (1 + 0.7)
 * until W_est reaches cwnd_prior (10 segments) and 1 from then on. Returns the largest
 * difference between cwnd and that W_est over `acks` ACKs; *w_est_end is W_est at the end. */
static double friendly_gap(int acks, double *w_est_end)
{
    struct tcb t;
    memset(&t, 0, sizeof t);
    t.snd_mss = 1000;
    tcp_cc_cubic.init(&t);
    t.srtt = 20000;
    t.cwnd = 10000;
    t.ssthresh = tcp_cc_cubic.ssthresh(&t);
    ASSERT_EQ(t.ssthresh, 7000);
    t.cwnd = t.ssthresh; /* the end of recovery (RFC 6675, RFC 9937) */
    double w_est = t.cwnd, worst = 0;
    uint64_t now = 1000000;
    for (int i = 0; i < acks; i++) {
        double alpha = w_est >= 10000 ? 1.0 : 3 * (1 - 0.7) / (1 + 0.7);
        w_est += alpha * 1000 * 1000 / t.cwnd;
        now += 2000;
        tcp_cc_cubic.on_ack(&t, 1000, now);
        double gap = fabs((double)t.cwnd - w_est);
        if (gap > worst) worst = gap;
    }
    *w_est_end = w_est;
    return worst;
}

TEST(cubic_reno_friendly_region_sets_cwnd_to_w_est)
{
    /* §4.3: in the Reno-friendly region "cwnd SHOULD be set to W_est at each reception of
     * a new ACK". Growing only part of the way towards W_est on each ACK (as towards the
     * cubic target) leaves cwnd half a segment behind it for as long as the region lasts.
     * 40 ACKs: about 3 windows, W_est from 7,000 to about 9,500, all below cwnd_prior. The
     * tolerance is the rounding of each ACK's share to whole bytes. */
    double w_est;
    double gap = friendly_gap(40, &w_est);
    ASSERT(w_est < 10000);
    ASSERT(gap <= 16);
}

TEST(cubic_alpha_becomes_1_once_w_est_reaches_cwnd_prior)
{
    /* §4.3: "Once W_est has grown to reach the cwnd at the time of most recently setting
     * ssthresh -- that is, W_est >= cwnd_prior -- the sender SHOULD set alpha_cubic to 1 to
     * ensure that it can achieve the same congestion window increment rate as Reno". 120
     * ACKs take W_est past 10 segments (after about 55) and on at one segment a window to
     * about 15,000, where alpha_cubic 0.529 throughout would give about 12,700. */
    double w_est;
    double gap = friendly_gap(120, &w_est);
    ASSERT(w_est > 14000);
    ASSERT(gap <= 16);
}

TEST_MAIN()
