/*
 * tcp/rtt.c - the retransmission timeout, RFC 6298:
 *
 *   first sample R:   SRTT = R, RTTVAR = R/2
 *   later samples:    RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|,  SRTT = 7/8 SRTT + 1/8 R
 *   RTO = SRTT + max(G, 4 RTTVAR), clamped to [rto_min, rto_max]
 *   (or, with cfg.rto_min_on_var, Linux's form: RTO = SRTT + max(4 RTTVAR, rto_min),
 *   clamped to rto_max: the floor is a floor of the variance term, as if G were rto_min)
 *
 * G, the clock granularity, is 1 µs here: the caller's clock. Samples come only from
 * segments sent once (Karn's rule, §3), which tcp_out.c and tcp_in.c enforce. Backoff
 * (§5.5) doubles the RTO for each consecutive timeout, without touching SRTT. Beside it, the
 * minimum RTT over a window of time (RACK's min_RTT, RFC 8985 §6.2).
 */
#include "tcp/tcp.h"

void tcp_rtt_init(struct tcb *t, uint64_t initial_rto)
{
    t->srtt = 0;
    t->rttvar = 0;
    t->rto = initial_rto; /* RFC 6298 §2.1: 1 second */
    t->rtt_valid = false;
}

/* The window of the minimum RTT: Linux's default (tcp_min_rtt_wlen, 300 s). RFC 8985 §6.2
 * asks for the minimum over a recent period without fixing one; a long window keeps the
 * true propagation delay through minutes of queueing, a finite one lets a path that
 * became longer be learnt. */
#define MIN_RTT_WINDOW_US (300ull * 1000000)

/* Kathleen Nichols' windowed minimum (as BBR and Linux's min_rtt use): three samples, the
 * best of the whole window and the best of its later parts, so that when the best expires
 * the next is already known, in constant memory and time. */
/* The runners-up move up one place (the third stays as it was). */
static void minrtt_shift(struct tcp_minrtt *m)
{
    m->v[0] = m->v[1];
    m->at[0] = m->at[1];
    m->v[1] = m->v[2];
    m->at[1] = m->at[2];
}

void tcp_min_rtt_sample(struct tcb *t, uint64_t r, uint64_t now)
{
    struct tcp_minrtt *m = &t->minrtt;
    if (r == 0) r = 1;
    if (!m->any || r <= m->v[0] || now - m->at[2] > MIN_RTT_WINDOW_US) {
        /* A new best, or every sample older than the window: start afresh. */
        for (int i = 0; i < 3; i++) {
            m->v[i] = r;
            m->at[i] = now;
        }
        m->any = true;
    } else {
        if (r <= m->v[1]) {
            m->v[1] = m->v[2] = r;
            m->at[1] = m->at[2] = now;
        } else if (r <= m->v[2]) {
            m->v[2] = r;
            m->at[2] = now;
        }
        if (now - m->at[0] > MIN_RTT_WINDOW_US) {
            /* The best has expired: the runners-up move up, this sample is the third. */
            minrtt_shift(m);
            m->v[2] = r;
            m->at[2] = now;
            if (now - m->at[0] > MIN_RTT_WINDOW_US) minrtt_shift(m);
        } else if (m->at[1] == m->at[0] && now - m->at[0] > MIN_RTT_WINDOW_US / 4) {
            /* A quarter of the window without a second choice: take one. */
            m->v[1] = m->v[2] = r;
            m->at[1] = m->at[2] = now;
        } else if (m->at[2] == m->at[1] && now - m->at[1] > MIN_RTT_WINDOW_US / 2) {
            /* Half of it without a third: likewise. */
            m->v[2] = r;
            m->at[2] = now;
        }
    }
    t->min_rtt = m->v[0];
}

void tcp_rtt_sample(struct tcb *t, uint64_t r, const struct synack_config *cfg)
{
    uint64_t rto_min = cfg->rto_min_us, rto_max = cfg->rto_max_us;
    if (r == 0) r = 1;
    if (!t->rtt_valid) {
        t->srtt = r;
        t->rttvar = r / 2;
        t->rtt_valid = true;
    } else {
        uint64_t diff = t->srtt > r ? t->srtt - r : r - t->srtt;
        t->rttvar = (3 * t->rttvar + diff) / 4;
        t->srtt = (7 * t->srtt + r) / 8;
    }
    uint64_t k = 4 * t->rttvar;
    uint64_t g = cfg->rto_min_on_var ? rto_min : 1; /* G: 1 µs, the caller's clock */
    uint64_t rto = t->srtt + (k > g ? k : g);
    if (rto < rto_min) rto = rto_min; /* §2.4 */
    if (rto > rto_max) rto = rto_max; /* §2.5 */
    t->rto = rto;
}

uint64_t tcp_rto_backed_off(const struct tcb *t, uint64_t rto_max)
{
    uint32_t shift = t->rtx_count > 20 ? 20 : t->rtx_count;
    uint64_t rto = t->rto << shift;
    return rto > rto_max ? rto_max : rto;
}
