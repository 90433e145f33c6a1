/*
 * tcp/tcp_sack.c - SACK-based loss recovery, RFC 6675 (conservative), on top of the
 * NewReno machinery of tcp_in.c.
 *
 * When the peer reports what it holds beyond SND.UNA (RFC 2018 SACK blocks), the sender
 * keeps those ranges (the scoreboard), and during recovery it sends as long as the data it
 * believes is still in the network (the "pipe") is below cwnd, choosing first the holes
 * that are lost (at least DupThresh segments' worth of SACKed data above them), then new
 * data. NewReno repairs one hole per round trip; this repairs all of them in one, which is
 * what a window that overshot a bottleneck queue in slow start needs.
 */
#include "base/util.h"
#include "tcp/stack.h"
#include "tcp/tcp.h"

#define DUP_THRESH 3 /* RFC 6675 §2 / RFC 5681 §3.2 */

void tcp_sack_on_ack(struct tcb *t, const struct synack_tcp_opts *o, uint32_t ack)
{
    /* Only blocks inside what we sent and did not yet have acknowledged count; the rest
     * is stale or forged (the peer is not trusted) and is ignored. */
    for (int i = 0; i < o->sack_count; i++) {
        uint32_t l = o->sack[i].left, r = o->sack[i].right;
        if (!seq_lt(l, r) || seq_leq(r, ack) || seq_gt(r, t->snd_max)) continue;
        if (seq_lt(l, ack)) l = ack;
        reass_add(&t->sacked, l, r); /* a full board simply forgets the new block */
    }
    reass_trim_below(&t->sacked, ack);
}

/* SACKed bytes at or above seq. */
static uint32_t sacked_above(const struct tcb *t, uint32_t seq)
{
    uint32_t b = 0;
    for (int i = 0; i < t->sacked.n; i++)
        if (seq_geq(t->sacked.left[i], seq)) b += t->sacked.right[i] - t->sacked.left[i];
    return b;
}

static bool is_lost(const struct tcb *t, uint32_t seq)
{
    if (t->has_lost_below && seq_lt(seq, t->lost_below)) return true; /* tcp_ack.c */
    return sacked_above(t, seq) >= DUP_THRESH * (uint32_t)t->snd_mss;
}

uint32_t tcp_sack_bytes(const struct tcb *t)
{
    uint32_t b = 0;
    for (int i = 0; i < t->sacked.n; i++) b += t->sacked.right[i] - t->sacked.left[i];
    return b;
}

uint32_t tcp_sack_lost_edge(const struct tcb *t)
{
    uint32_t lb = t->has_lost_below ? seq_max(t->snd_una, t->lost_below) : t->snd_una;
    uint32_t b = 0;
    for (int i = t->sacked.n - 1; i >= 0; i--) {
        b += t->sacked.right[i] - t->sacked.left[i];
        if (b >= DUP_THRESH * (uint32_t)t->snd_mss) return seq_max(t->sacked.left[i], lb);
    }
    return lb;
}

/* Proportional Rate Reduction, RFC 6937 §3. While pipe is above ssthresh, the sending
 * follows the deliveries in the proportion ssthresh / RecoverFS, so that the reduction is
 * spread over the round trip and the flight arrives at ssthresh when it ends; below
 * ssthresh (heavy loss), a reduction bound lets the flight climb back towards it:
 *   - PRR-CRB, the conservative bound: no more than was delivered (packet conservation);
 *   - PRR-SSRB, the slow-start bound: DeliveredData + 1 SMSS per ACK.
 * RFC 6937 leaves the choice; as Linux (tcp_cwnd_reduction) does since 2015, and as RFC
 * 9937 specifies, SSRB only on an ACK that advances SND.UNA and marks nothing newly lost,
 * CRB on any other. RecoverFS is the RFC's snd.nxt - snd.una at the start (Linux uses the
 * cwnd before the loss). sndcnt is counted in whole segments, as the RFC's examples count
 * (and Linux, in packets): a segment goes when CEIL(prr_delivered * ssthresh / RecoverFS)
 * reaches one more segment than prr_out; bytes would hold each send back by up to one
 * segment's worth of deliveries. The window that results is cwnd = pipe + sndcnt, which
 * tcp_output's RFC 6675 loop then fills (NextSeg chooses what: holes, new data). */
void tcp_prr_on_ack(struct tcb *t, uint32_t delivered, bool safe_ack)
{
    uint32_t mss = t->snd_mss;
    t->prr_delivered += delivered;
    uint32_t pipe = tcp_sack_pipe(t);
    uint32_t sndcnt;
    if (pipe > t->ssthresh) {
        uint64_t fs = t->recover_fs ? t->recover_fs : 1;
        uint64_t unit = (uint64_t)mss * fs;
        uint64_t segs = ((uint64_t)t->prr_delivered * t->ssthresh + unit - 1) / unit;
        uint64_t target = segs * mss;
        sndcnt = target > t->prr_out ? (uint32_t)u64_min(target - t->prr_out, UINT32_MAX / 2) : 0;
    } else {
        uint32_t banked = t->prr_delivered > t->prr_out ? t->prr_delivered - t->prr_out : 0;
        uint32_t limit = banked;
        if (safe_ack) limit = (banked > delivered ? banked : delivered) + mss;
        sndcnt = u32_min(t->ssthresh - pipe, limit);
    }
    t->cwnd = pipe + sndcnt;
}

bool tcp_sack_should_recover(const struct tcb *t)
{
    /* RFC 6675 §5 (b): enough SACKed data above SND.UNA means its first segment is lost,
     * even before three duplicate ACKs were counted. */
    return t->sack_ok && t->sacked.n > 0 && is_lost(t, t->snd_una);
}

uint32_t tcp_sack_pipe(const struct tcb *t)
{
    /* RFC 6675 §4 SetPipe: for each unSACKed byte between SND.UNA and SND.MAX, one if it
     * is not deemed lost (a) and one more if it was retransmitted in this recovery (b):
     * a hole resent by NextSeg rule (3), not yet lost, is in the network twice. */
    uint32_t pipe = 0, seq = t->snd_una;
    for (int i = 0; i <= t->sacked.n; i++) {
        uint32_t end = i < t->sacked.n ? t->sacked.left[i] : t->snd_max;
        if (seq_lt(seq, end)) {
            uint32_t hole = end - seq;
            if (!is_lost(t, seq)) pipe += hole;
            if (seq_gt(t->high_rxt, seq))
                pipe += seq_lt(t->high_rxt, end) ? t->high_rxt - seq : hole;
        }
        if (i < t->sacked.n) seq = seq_max(seq, t->sacked.right[i]);
    }
    return pipe;
}

bool tcp_sack_next_hole(const struct tcb *t, bool lost_only, uint32_t *seq, uint32_t *len)
{
    /* RFC 6675 §4 NextSeg: the first unSACKed byte S above HighRxt and below the highest
     * SACKed byte (1.a, 1.b), lost (1.c) for rule (1); rule (3) drops (1.c). */
    uint32_t from = seq_max(t->snd_una, t->high_rxt);
    for (int i = 0; i < t->sacked.n; i++) {
        uint32_t hs = from, he = t->sacked.left[i];
        if (seq_lt(hs, he) && (!lost_only || is_lost(t, hs))) {
            *seq = hs;
            *len = he - hs;
            return true;
        }
        from = seq_max(from, t->sacked.right[i]);
    }
    return false;
}
