/*
 * tcp/cc_hystart.c - slow start with HyStart++ (RFC 9406), for every congestion control
 * algorithm (cc_newreno.c, cc_cubic.c).
 *
 * Standard slow start doubles the window each round trip until a loss: by then it has
 * overfilled the bottleneck's queue by up to a whole window, and the losses that follow
 * cost a long recovery. HyStart++ watches the smallest RTT of each round (RFC 9406 §4.2):
 * when it rises by more than RttThresh over the previous round's, the queue is building,
 * and slow start gives way to Conservative Slow Start (CSS), which grows the window by a
 * quarter of slow start's pace. If the RTT falls back below the level that ended slow start
 * the rise was noise and slow start resumes; after CSS_ROUNDS rounds of CSS, congestion
 * avoidance begins (ssthresh = cwnd). A loss at any time ends both as it always does.
 *
 * As RFC 9406 §4.3 recommends, only the initial slow start uses it (ssthresh still at its
 * initial, arbitrarily high value); later slow starts stop at the ssthresh a loss set. The
 * RTT samples come from RACK's transmission map (tcp_rack.c): one per ACK that delivers
 * data sent once. The window grows by at most L = 2 SMSS per ACK by default (RFC 3465, as
 * before: the stack does not pace, and RFC 9406 §4.2 asks for a limit then);
 * cfg.slow_start_limit sets L, and 0 grows it by all an ACK covers, as Linux does.
 * cfg.hystart_linux puts Linux's older HyStart delay test in HyStart++'s place
 * (hystart_linux_exit).
 */
#include "tcp/tcp.h"

#define HS_MIN_RTT_THRESH_US 4000u  /* MIN_RTT_THRESH, 4 ms */
#define HS_MAX_RTT_THRESH_US 16000u /* MAX_RTT_THRESH, 16 ms */
#define HS_MIN_RTT_DIVISOR   8u     /* MIN_RTT_DIVISOR */
#define HS_N_RTT_SAMPLE      8u     /* N_RTT_SAMPLE */
#define HS_CSS_GROWTH_DIV    4u     /* CSS_GROWTH_DIVISOR */
#define HS_CSS_ROUNDS        5u     /* CSS_ROUNDS */
#define HS_INFINITY          UINT64_MAX

void tcp_hystart_init(struct tcb *t)
{
    struct tcp_hystart *h = &t->hs;
    h->last_min = h->cur_min = h->css_base = HS_INFINITY;
    h->samples = 0;
    h->css_rounds = 0;
    h->started = h->css = h->done = false;
}

/* The initial slow start: ssthresh as tcb setup left it. */
static bool initial(const struct tcb *t)
{
    return t->ssthresh >= UINT32_MAX / 2;
}

/* Adds inc to cwnd; returns the part of acked that slow start did not use. With a limit L
 * (RFC 3465 §2.2) the growth is inc whatever ssthresh is, as it always was here (RFC 5681
 * §3.1 leaves the step that crosses ssthresh to the implementation) and nothing is left.
 * Without one (cfg.slow_start_limit = 0) it is Linux's tcp_slow_start: cwnd stops at
 * ssthresh, and what the ACK covers beyond that goes to congestion avoidance, so that one
 * large ACK does not overshoot the window a loss chose. */
static uint32_t grow(struct tcb *t, uint32_t inc, uint32_t acked)
{
    if (t->ss_limit) {
        t->cwnd += inc;
        return 0;
    }
    uint32_t room = t->ssthresh > t->cwnd ? t->ssthresh - t->cwnd : 0;
    if (inc <= room) {
        t->cwnd += inc;
        return 0;
    }
    t->cwnd += room;
    return acked > room ? acked - room : 0;
}

/* Linux's HyStart delay test (tcp_cubic.c's hystart_update; Ha and Rhee's HyStart), for
 * cfg.hystart_linux, on an ACK in the initial slow start; true when it ends slow start.
 * Where RFC 9406 compares a round's minimum RTT with the previous round's and then slows
 * down for CSS_ROUNDS rounds, Linux compares it with the connection's minimum RTT and
 * leaves slow start at once (ssthresh = cwnd). It looks only once cwnd is 16 segments
 * (hystart_low_window), takes the round's minimum over its first 8 samples and every one
 * after (so a new minimum RTT is never mistaken for a rise), and judges from the 9th. Ending
 * slow start early is always allowed (RFC 5681 §3.1 leaves ssthresh's first value to the
 * sender). Linux's other test, the ACK train, is not copied. */
#define HS_LINUX_LOW_WINDOW 16u
static bool hystart_linux_exit(struct tcb *t)
{
    struct tcp_hystart *h = &t->hs;
    uint64_t rtt = t->rack.sample;
    if (!rtt || t->cwnd < HS_LINUX_LOW_WINDOW * t->snd_mss) return false;
    if (!h->started || seq_gt(t->snd_una, h->window_end)) {
        h->started = true;
        h->window_end = t->snd_nxt;
        h->cur_min = HS_INFINITY;
        h->samples = 0;
    }
    if (rtt < h->cur_min) h->cur_min = rtt;
    if (h->samples < HS_N_RTT_SAMPLE) {
        h->samples++;
        return false;
    }
    uint64_t thresh = t->min_rtt / HS_MIN_RTT_DIVISOR;
    if (thresh > HS_MAX_RTT_THRESH_US) thresh = HS_MAX_RTT_THRESH_US;
    if (thresh < HS_MIN_RTT_THRESH_US) thresh = HS_MIN_RTT_THRESH_US;
    if (h->cur_min <= t->min_rtt + thresh) return false;
    h->done = true;
    h->exits++;
    t->ssthresh = t->cwnd;
    return true;
}

uint32_t tcp_slow_start(struct tcb *t, uint32_t acked)
{
    uint32_t mss = t->snd_mss;
    /* RFC 3465 §2.2, L = 2 by default: an ACK grows cwnd by at most two segments, as one ACK
     * per second segment would. A receiver that gets super-segments (our TSO, merged by its
     * GRO or taken whole) acknowledges each at once, one ACK for up to 44 segments: L would
     * then slow slow start twentyfold, so it counts what the ACK covers, as Linux does.
     * ss_limit = 0 is Linux's rule for every ACK: no limit. */
    uint64_t limit = t->ss_limit ? (uint64_t)t->ss_limit * mss : UINT64_MAX;
    uint32_t inc = acked <= limit || t->tso_used ? acked : (uint32_t)limit;
    struct tcp_hystart *h = &t->hs;
    if (h->done || !initial(t)) return grow(t, inc, acked);
    if (h->linux_delay) {
        if (hystart_linux_exit(t)) return t->ss_limit ? 0 : acked;
        return grow(t, inc, acked);
    }
    /* RFC 9406 §4.2: a round ends when the data sent at its start is acknowledged. */
    if (!h->started || seq_geq(t->snd_una, h->window_end)) {
        h->started = true;
        h->window_end = t->snd_nxt;
        h->last_min = h->cur_min;
        h->cur_min = HS_INFINITY;
        h->samples = 0;
        if (h->css && ++h->css_rounds >= HS_CSS_ROUNDS) {
            /* CSS is over: congestion avoidance from the window reached. */
            t->ssthresh = t->cwnd;
            h->css = false;
            h->done = true;
            return grow(t, inc / HS_CSS_GROWTH_DIV, acked);
        }
    }
    uint64_t rtt = t->rack.sample;
    if (rtt) {
        if (rtt < h->cur_min) h->cur_min = rtt;
        if (h->samples < UINT16_MAX) h->samples++;
    }
    if (h->samples >= HS_N_RTT_SAMPLE && h->cur_min != HS_INFINITY) {
        if (!h->css && h->last_min != HS_INFINITY) {
            uint64_t thresh = h->last_min / HS_MIN_RTT_DIVISOR;
            if (thresh > HS_MAX_RTT_THRESH_US) thresh = HS_MAX_RTT_THRESH_US;
            if (thresh < HS_MIN_RTT_THRESH_US) thresh = HS_MIN_RTT_THRESH_US;
            if (h->cur_min >= h->last_min + thresh) {
                h->css = true;
                h->css_base = h->cur_min;
                h->css_rounds = 0;
                h->exits++;
            }
        } else if (h->css && h->cur_min < h->css_base) {
            /* The rise was spurious: back to slow start (§4.2). */
            h->css = false;
            h->css_base = HS_INFINITY;
        }
    }
    return grow(t, h->css ? inc / HS_CSS_GROWTH_DIV : inc, acked);
}
