/*
 * tcp/cc_newreno.c - congestion control algorithms behind struct tcp_cc_ops.
 *
 * NewReno's window growth is RFC 5681's: slow start adds up to one SMSS per ACK while
 * cwnd < ssthresh (§3.1, with RFC 3465's byte counting limited to L = 2 SMSS by default,
 * cfg.slow_start_limit; cc_hystart.c), congestion
 * avoidance adds one SMSS per window's worth of acknowledged bytes. On loss ssthresh is
 * max(FlightSize / 2, 2 * SMSS) (equation 4). The initial window is 10 segments, RFC 6928.
 * Fast retransmit and recovery live in tcp_in.c (they are loss recovery, not growth), so
 * CUBIC (RFC 9438) only has to provide these three functions.
 */
#include <string.h>

#include "tcp/tcp.h"

static void newreno_init(struct tcb *t)
{
    uint32_t mss = t->snd_mss ? t->snd_mss : 536;
    t->cwnd = 10 * mss; /* RFC 6928 */
    t->ssthresh = UINT32_MAX / 2;
    t->bytes_acked_ca = 0;
    tcp_hystart_init(t);
}

static void newreno_on_ack(struct tcb *t, uint32_t acked, uint64_t now)
{
    (void)now;
    uint32_t mss = t->snd_mss;
    if (t->cwnd < t->ssthresh) {
        /* Appropriate byte counting with L = 2 SMSS (RFC 3465 §2.2): a receiver that
         * delays its ACKs (one per two segments) does not halve slow start's growth.
         * HyStart++ may end it early (cc_hystart.c). Without a limit (cfg.slow_start_limit
         * 0, Linux's rule) what crosses ssthresh is counted below, as Linux's
         * tcp_reno_cong_avoid does. */
        acked = tcp_slow_start(t, acked);
        if (acked == 0) return;
    }
    t->bytes_acked_ca += acked;
    if (t->bytes_acked_ca >= t->cwnd) {
        t->bytes_acked_ca -= t->cwnd;
        t->cwnd += mss;
    }
}

static uint32_t newreno_ssthresh(struct tcb *t)
{
    /* RFC 5681 §3.2 step 2: data sent by limited transmit is not counted. */
    uint32_t flight = t->snd_max - t->snd_una;
    flight -= flight > t->lt_sent ? t->lt_sent : flight;
    uint32_t half = flight / 2;
    uint32_t floor = 2 * (uint32_t)t->snd_mss;
    t->bytes_acked_ca = 0;
    return half > floor ? half : floor;
}

/* ---- congestion window validation, for every algorithm --------------------------------- */

/* RFC 5681 §4.1: a connection that has sent nothing for longer than an RTO no longer
 * knows the path, and starts again from the restart window RW = min(IW, cwnd) rather than
 * sending a whole old window as one burst. Linux (tcp_cwnd_restart) instead halves cwnd
 * once per RTO of idleness down to RW; this follows the RFC. Where the RFC is silent,
 * ssthresh keeps the memory of the old window as Linux does: max(ssthresh, 3/4 cwnd). */
void tcp_cwnd_restart_check(struct tcb *t, uint64_t now)
{
    if (t->snd_una != t->snd_max || t->lsndtime == 0 || now - t->lsndtime <= t->rto) return;
    uint32_t iw = 10 * (uint32_t)t->snd_mss; /* RFC 6928, as init */
    if (t->cwnd <= iw) return;
    uint32_t three_q = t->cwnd / 4 * 3;
    if (t->ssthresh < three_q) t->ssthresh = three_q;
    t->cwnd = iw;
    t->bytes_acked_ca = 0;
    if (t->cc->restart) t->cc->restart(t);
}

/* After each round of sending: remembers the largest flight of the current window of data
 * and whether cwnd (not the application or the peer's window) was what stopped it, the
 * bookkeeping of Linux's tcp_cwnd_validate. cwnd_full: another full segment would not fit
 * in cwnd. */
void tcp_cwnd_validate(struct tcb *t, bool cwnd_full)
{
    uint32_t flight = t->snd_nxt - t->snd_una;
    if (!seq_lt(t->snd_una, t->cwnd_usage_seq) || cwnd_full ||
        (!t->cwnd_limited && flight > t->max_flight)) {
        t->cwnd_limited = cwnd_full;
        t->max_flight = flight;
        t->cwnd_usage_seq = t->snd_nxt;
    }
}

/* Whether an ACK may grow cwnd (RFC 7661 §4.3's idea, Linux's tcp_is_cwnd_limited): a
 * window the sender did not use was never tested against the path. In slow start up to
 * twice the largest recent flight (cwnd doubles per round trip anyway); in congestion
 * avoidance only when cwnd was the limit. */
bool tcp_cwnd_limited(const struct tcb *t)
{
    if (t->cwnd < t->ssthresh) return (uint64_t)t->cwnd < 2 * (uint64_t)t->max_flight;
    return t->cwnd_limited;
}

/* What an ACK that advanced SND.UNA by acked bytes counts for growth. With RFC 3465's limit
 * (cfg.slow_start_limit > 0) the bytes it acknowledges, as always. Without one, what it
 * newly delivered, Linux's tp->delivered (the acked_sacked of tcp_cong_control): a segment
 * a SACK block reported was delivered when the SACK came, and without SACK each duplicate
 * ACK stood for one segment delivered (tcp_add_reno_sack), so the cumulative ACK that
 * follows delivers the rest and at least one segment (tcp_remove_reno_sacks). Growing by
 * all acked would count those segments twice: the limited_transmit scripts expect cwnd to
 * grow by one segment, not three, when a reordered first segment arrives. */
uint32_t tcp_cc_acked(const struct tcb *t, uint32_t acked, uint32_t sacked0, uint32_t dupacks)
{
    if (t->ss_limit) return acked;
    if (t->sack_ok) return tcp_sack_delivered(t, acked, sacked0);
    uint64_t reported = (uint64_t)dupacks * t->snd_mss;
    if (acked > reported) return acked - (uint32_t)reported;
    return acked < t->snd_mss ? acked : t->snd_mss;
}

static const struct tcp_cc_ops newreno = {
    .name = "newreno",
    .init = newreno_init,
    .on_ack = newreno_on_ack,
    .ssthresh = newreno_ssthresh,
};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
    if (!name || strcmp(name, "newreno") == 0 || strcmp(name, "reno") == 0) return &newreno;
    if (strcmp(name, "cubic") == 0) return &tcp_cc_cubic;
    return NULL;
}
