/*
 * tcp/cc_cubic.c - CUBIC congestion control, RFC 9438, behind struct tcp_cc_ops.
 *
 * After a loss the window grows along a cubic curve of the time since the loss, centred on
 * the window where the loss happened (W_max): fast while far below it, flat near it, then
 * probing beyond. So its growth depends on time, not on the round-trip time, and a long,
 * fat path is refilled faster than Reno's one segment per round trip. Where Reno would be
 * faster (short RTTs, small windows), CUBIC follows Reno's estimate instead (§4.3).
 *
 *   W_cubic(t) = C (t - K)^3 + W_max,   K = cbrt(W_max (1 - beta) / C)    (§4.2, eq. 1, 2)
 *   on loss: ssthresh = cwnd * beta, W_max = cwnd (fast convergence, §4.7)  (§4.6)
 *   C = 0.4, beta = 0.7, alpha_cubic = 3 (1 - beta) / (1 + beta), 1 past cwnd_prior (§4.3, §5)
 *
 * Windows here are in bytes and times in microseconds; slow start is Reno's (RFC 5681),
 * and loss recovery is the machine's (NewReno or SACK), as for every algorithm.
 */
#include <string.h>

#include "tcp/tcp.h"

#define CUBIC_C    0.4
#define CUBIC_BETA 0.7

/* The algorithm's private state in the TCB's cc_state words. */
struct cubic {
    uint64_t epoch_start; /* µs of the first ACK after the last congestion event; 0 = none */
    uint32_t w_max;       /* bytes: the window at the last congestion event */
    uint32_t w_last_max;  /* the one before (fast convergence) */
    uint32_t w_est;       /* bytes: Reno's window over the same time (§4.3) */
    uint32_t cwnd_prior;  /* bytes: cwnd when ssthresh was last set (§4.3's alpha switch) */
    uint32_t acked;       /* bytes acknowledged not yet turned into growth */
};

_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcb *)0)->cc_state), "cc_state too small");

static struct cubic *state(struct tcb *t)
{
    return (struct cubic *)(void *)t->cc_state;
}

static void cubic_init(struct tcb *t)
{
    uint32_t mss = t->snd_mss ? t->snd_mss : 536;
    t->cwnd = 10 * mss; /* RFC 6928 */
    t->ssthresh = UINT32_MAX / 2;
    memset(t->cc_state, 0, sizeof t->cc_state);
    tcp_hystart_init(t);
}

/* The cube root of x >= 0 by Newton's method: libsynack needs nothing but libc, and K is
 * computed once per congestion event, so a few dozen iterations cost nothing. */
static double cube_root(double x)
{
    if (x <= 0) return 0;
    double r = x > 1 ? x / 3 + 1 : 1;
    for (int i = 0; i < 200; i++) {
        double next = r - (r * r * r - x) / (3 * r * r);
        double d = next - r;
        r = next;
        if (d < 1e-12 * r && d > -1e-12 * r) break;
    }
    return r;
}

/* W_cubic(t) in bytes, t in µs since the epoch started (RFC 9438 eq. 1). */
double tcp_cubic_window(uint32_t w_max, uint32_t mss, uint64_t t_us)
{
    double wmax = (double)w_max / mss; /* segments */
    double k = cube_root(wmax * (1 - CUBIC_BETA) / CUBIC_C);
    double t = (double)t_us / 1e6 - k;
    return (CUBIC_C * t * t * t + wmax) * mss;
}

static void cubic_on_ack(struct tcb *t, uint32_t acked, uint64_t now)
{
    struct cubic *c = state(t);
    uint32_t mss = t->snd_mss;
    if (t->cwnd < t->ssthresh) {
        /* Slow start, as Reno (RFC 9438 §4.10), with byte counting L = 2 SMSS by default,
         * and HyStart++ (RFC 9438 §4.10 allows it; cc_hystart.c). Without a limit what
         * crosses ssthresh goes on to the cubic curve, as in Linux's bictcp_cong_avoid. */
        acked = tcp_slow_start(t, acked);
        if (acked == 0) return;
    }
    if (c->epoch_start == 0) {
        c->epoch_start = now ? now : 1;
        if (c->w_max < t->cwnd) c->w_max = t->cwnd; /* no loss yet: start on the plateau */
        c->w_est = t->cwnd;
        c->acked = 0;
    }
    /* Reno's estimate over the same acknowledgments (§4.3): alpha_cubic segments per
     * window, alpha_cubic = 3 (1 - beta) / (1 + beta) so that AIMD(alpha_cubic, 0.7) takes
     * as long as Reno's AIMD(1, 0.5) to climb back to the window of the loss; once W_est
     * has reached cwnd_prior (the window when ssthresh was set), alpha_cubic is 1 (a
     * SHOULD of §4.3), Reno's own rate from there on. */
    double alpha = c->w_est >= c->cwnd_prior ? 1.0 : 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA);
    c->w_est += (uint32_t)(alpha * mss * acked / t->cwnd + 0.5); /* rounded: no drift */
    uint64_t t_us = now - c->epoch_start;
    if (tcp_cubic_window(c->w_max, mss, t_us) < c->w_est) {
        /* The Reno-friendly region (§4.3): "cwnd SHOULD be set to W_est at each reception
         * of a new ACK". Approached by a share of the difference per ACK, as the cubic
         * target below is, cwnd would trail W_est by about alpha_cubic segments. */
        if (c->w_est > t->cwnd) t->cwnd = c->w_est;
        c->acked = 0;
        return;
    }
    /* The concave and convex regions (§4.4, §4.5): the target one RTT ahead, grown towards
     * by (target - cwnd) / cwnd per ACK. */
    uint64_t rtt = t->srtt ? t->srtt : 100000;
    double target = tcp_cubic_window(c->w_max, mss, t_us + rtt);
    if (target > 1.5 * t->cwnd) target = 1.5 * t->cwnd; /* §4.2: at most 50% a round trip */
    if (target > t->cwnd) {
        c->acked += acked;
        uint32_t inc = (uint32_t)((target - t->cwnd) * c->acked / t->cwnd);
        if (inc > 0) {
            t->cwnd += inc;
            c->acked = 0;
        }
    }
}

static uint32_t cubic_ssthresh(struct tcb *t)
{
    struct cubic *c = state(t);
    uint32_t cwnd = t->cwnd;
    /* Fast convergence (§4.7): a flow whose W_max keeps falling releases bandwidth. */
    if (cwnd < c->w_last_max)
        c->w_max = (uint32_t)(cwnd * (1 + CUBIC_BETA) / 2);
    else
        c->w_max = cwnd;
    c->w_last_max = cwnd;
    c->cwnd_prior = cwnd;
    c->epoch_start = 0;
    uint32_t ss = (uint32_t)(cwnd * CUBIC_BETA);
    uint32_t floor = 2 * (uint32_t)t->snd_mss;
    return ss > floor ? ss : floor;
}

/* After idle the window starts again from the restart window (tcp_cwnd_restart_check):
 * the cubic curve of the old epoch no longer applies, a new one starts at the next ACK
 * in congestion avoidance. */
static void cubic_restart(struct tcb *t)
{
    struct cubic *c = state(t);
    c->epoch_start = 0;
    c->acked = 0;
}

const struct tcp_cc_ops tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .ssthresh = cubic_ssthresh,
    .restart = cubic_restart,
};
