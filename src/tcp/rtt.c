/*
 * tcp/rtt.c - the retransmission timeout, RFC 6298:
 *
 *   first sample R:   SRTT = R, RTTVAR = R/2
 *   later samples:    RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|,  SRTT = 7/8 SRTT + 1/8 R
 *   RTO = SRTT + max(G, 4 RTTVAR), clamped to [rto_min, rto_max]
 *
 * G, the clock granularity, is 1 µs here: the caller's clock. Samples come only from
 * segments sent once (Karn's rule, §3), which tcp_out.c and tcp_in.c enforce. Backoff
 * (§5.5) doubles the RTO for each consecutive timeout, without touching SRTT.
 */
#include "tcp/tcp.h"

void tcp_rtt_init(struct tcb *t, uint64_t initial_rto)
{
    t->srtt = 0;
    t->rttvar = 0;
    t->rto = initial_rto; /* RFC 6298 §2.1: 1 second */
    t->rtt_valid = false;
}

void tcp_rtt_sample(struct tcb *t, uint64_t r, uint64_t rto_min, uint64_t rto_max)
{
    if (r == 0) r = 1;
    if (!t->min_rtt || r < t->min_rtt) t->min_rtt = r;
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
    uint64_t rto = t->srtt + (k > 1 ? k : 1);
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
