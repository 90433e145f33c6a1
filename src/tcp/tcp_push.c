/*
 * tcp/tcp_push.c - where the PSH bit goes inside a burst of full segments: Linux's choice,
 * which synack copies so that a receiver (and a packetdrill script written for Linux) sees
 * the same segments.
 *
 * RFC 9293 §3.9.1 (SEND) leaves PSH to the sender ("the push flag", MAY-16: a sender may
 * set it on any segment; RFC 1122 §4.2.2.2 adds that the last segment of a write SHOULD
 * carry it when nothing follows). synack sets it on the segment that empties the send queue
 * (tcp_out.c); Linux also sets it on the last segment of every TSO/GSO packet of more than
 * one segment (__tcp_transmit_skb: "force a PSH flag on all (GSO) packets to expedite GRO
 * flush at receiver"), so that a bulk sender's bursts end in PSH. Over a device that splits
 * super-segments (cfg.tso_max) each of those is one datagram, PSH on its last part as GSO
 * puts it; otherwise the send loop cuts its bursts where Linux's would be cut: into packets of
 * tcp_tso_segs() segments (Linux's tcp_tso_autosize(): about a millisecond of the pacing
 * rate, at least two segments, but never more than Linux's size goal, tcp_tso.c), and at
 * the end of what the windows let go at once.
 */
#include "tcp/stack.h"

/* Linux's defaults: sk_pacing_shift 10 (a packet of about 1 ms of the pacing rate),
 * tcp_tso_rtt_log 9 (small min RTTs allow larger packets), tcp_min_tso_segs 2, pacing
 * ratios 200% in slow start and 120% after, and a GSO packet of at most 64 KiB less
 * MAX_TCP_HEADER + 1 (sk_setup_caps). */
#define TSO_PACING_SHIFT 10
#define TSO_RTT_LOG      9
#define TSO_MIN_SEGS     2
#define TSO_MAX_BYTES    (65536u - 321u)

uint32_t tcp_tso_segs(const struct tcb *t)
{
    return tcp_tso_segs_at(t, tcp_flight(t));
}

uint32_t tcp_tso_segs_at(const struct tcb *t, uint32_t flight)
{
    uint64_t mss = t->snd_mss ? t->snd_mss : 1;
    uint64_t cwnd_segs = t->cwnd / mss, out_segs = (flight + mss - 1) / mss;
    uint64_t segs = cwnd_segs > out_segs ? cwnd_segs : out_segs;
    /* tcp_update_pacing_rate(): the congestion window per smoothed RTT, doubled in slow
     * start (below half ssthresh), 1.2 times after; unlimited before an RTT sample. */
    uint64_t ratio = t->cwnd < t->ssthresh / 2 ? 200 : 120;
    uint64_t bytes = TSO_MAX_BYTES;
    if (t->srtt > 0) {
        uint64_t rate = mss * segs * ratio * 10000u / t->srtt; /* bytes per second */
        bytes = rate >> TSO_PACING_SHIFT;
    }
    /* A small minimum RTT earns a bigger packet: 64 KiB >> (min_rtt_us >> 9). */
    uint64_t r = t->min_rtt > 0 ? t->min_rtt >> TSO_RTT_LOG : UINT64_MAX;
    if (r < 32) bytes += TSO_MAX_BYTES >> r;
    if (bytes > TSO_MAX_BYTES) bytes = TSO_MAX_BYTES;
    uint64_t n = bytes / mss;
    /* And no packet holds more than one of the buffers Linux cut the write into: half the
     * peer's largest window (tcp_tso.c). A goal of one segment still ends in PSH every
     * second one: Linux then pushes each buffer that takes the data written past half the
     * window since its last push (forced_push in tcp_sendmsg). */
    uint64_t goal = tcp_size_goal(t, (uint32_t)mss) / mss;
    if (n > goal) n = goal;
    return n < TSO_MIN_SEGS ? TSO_MIN_SEGS : (uint32_t)n;
}
