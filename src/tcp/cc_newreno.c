/*
 * tcp/cc_newreno.c - congestion control algorithms behind struct tcp_cc_ops.
 *
 * NewReno's window growth is RFC 5681's: slow start adds up to one SMSS per ACK while
 * cwnd < ssthresh (§3.1, with RFC 3465's byte counting limited to L = 2 SMSS), congestion
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
}

static void newreno_on_ack(struct tcb *t, uint32_t acked, uint64_t now)
{
    (void)now;
    uint32_t mss = t->snd_mss;
    if (t->cwnd < t->ssthresh) {
        /* Appropriate byte counting with L = 2 SMSS (RFC 3465 §2.2): a receiver that
         * delays its ACKs (one per two segments) does not halve slow start's growth. */
        t->cwnd += acked < 2 * mss ? acked : 2 * mss;
        return;
    }
    t->bytes_acked_ca += acked;
    if (t->bytes_acked_ca >= t->cwnd) {
        t->bytes_acked_ca -= t->cwnd;
        t->cwnd += mss;
    }
}

static uint32_t newreno_ssthresh(struct tcb *t)
{
    uint32_t flight = t->snd_max - t->snd_una;
    uint32_t half = flight / 2;
    uint32_t floor = 2 * (uint32_t)t->snd_mss;
    t->bytes_acked_ca = 0;
    return half > floor ? half : floor;
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
