/*
 * tcp/tcp_sack.c - SACK-based loss recovery, RFC 6675 (conservative), on top of the
 * NewReno machinery of tcp_ack.c, with RACK (RFC 8985, tcp_rack.c) deciding what is lost.
 *
 * When the peer reports what it holds beyond SND.UNA (RFC 2018 SACK blocks), the sender
 * keeps those ranges (the scoreboard), and during recovery it sends as long as the data it
 * believes is still in the network (the "pipe") is below cwnd, choosing first the holes
 * that are lost (RACK: a segment sent later was delivered more than a reordering window
 * ago), then new data. NewReno repairs one hole per round trip; this repairs all of them in
 * one, which is what a window that overshot a bottleneck queue in slow start needs. PRR
 * (RFC 6937) sets the window during recovery.
 */
#include "base/util.h"
#include "tcp/stack.h"
#include "tcp/tcp.h"

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

uint32_t tcp_sack_bytes(const struct tcb *t)
{
    /* RACK's map keeps every SACKed range; the scoreboard keeps REASS_MAX of them. */
    if (t->xr) return tcp_rack_sacked_bytes(t);
    uint32_t b = 0;
    for (int i = 0; i < t->sacked.n; i++) b += t->sacked.right[i] - t->sacked.left[i];
    return b;
}

uint32_t tcp_sack_delivered(const struct tcb *t, uint32_t acked, uint32_t sacked0)
{
    /* What SND.UNA passes that was SACKed before was counted when the SACK came, and it
     * leaves the SACKed bytes now, so the two changes add up (RFC 6937's DeliveredData). */
    int64_t d = (int64_t)acked + (int64_t)tcp_sack_bytes(t) - (int64_t)sacked0;
    return d > 0 ? (uint32_t)d : 0;
}

uint32_t tcp_sack_unsacked_flight(const struct tcb *t, uint32_t flight)
{
    /* Before recovery starts (and between recoveries) a SACKed segment has left the
     * network as surely as an acknowledged one, and the ACK that reported it is the ACK
     * clock's tick: RFC 3042 lets a duplicate ACK release one new segment for it, but an
     * ACK that carries data is no duplicate (RFC 5681 §2), and a two-way transfer would
     * then sit on a window it does not use until RACK or the reordering timer starts
     * recovery. So what counts against cwnd is the flight less what is SACKed: RFC 6675's
     * pipe without its loss marks (data RACK deems lost starts recovery at once), as Linux
     * counts in every state (tcp_packets_in_flight). Not after a timeout (the scoreboard is
     * gone and go-back-N resends from SND.UNA), during F-RTO, or in NewReno recovery. */
    if (!t->sack_ok || t->in_recovery || t->rto_recovery || t->frto) return flight;
    uint32_t sacked = tcp_sack_bytes(t);
    return flight > sacked ? flight - sacked : 0;
}

int tcp_dsack_block(const struct synack_tcp_opts *o, uint32_t ack)
{
    /* RFC 2883 §4: a D-SACK is the first block; it lies at or below the cumulative ACK
     * (data received twice before it), or inside the second block (a duplicate above it). */
    if (o->sack_count == 0) return -1;
    uint32_t l = o->sack[0].left, r = o->sack[0].right;
    if (!seq_lt(l, r)) return -1;
    if (seq_leq(r, ack)) return 0;
    if (o->sack_count > 1 && seq_geq(l, o->sack[1].left) && seq_leq(r, o->sack[1].right)) return 0;
    return -1;
}

/* Proportional Rate Reduction, RFC 9937 §6 (which obsoletes RFC 6937). While pipe is above
 * ssthresh, the sending follows the deliveries in the proportion ssthresh / RecoverFS, so
 * that the reduction is spread over the round trip and the flight arrives at ssthresh when
 * it ends; below ssthresh (heavy loss), a reduction bound lets the flight climb back
 * towards it:
 *   - the conservative bound, MAX(prr_delivered - prr_out, DeliveredData): packet
 *     conservation, and at least what this ACK delivered (RFC 6937's PRR-CRB had only the
 *     first term, so an ACK reporting two segments after the sends had caught up with the
 *     deliveries let one go; Linux's tcp_cwnd_reduction takes the MAX too);
 *   - plus 1 SMSS (RFC 6937's PRR-SSRB) on a "safe" ACK, one that advances SND.UNA and
 *     marks nothing newly lost, as Linux does since 2015.
 * RecoverFS is the RFC's snd.nxt - snd.una at the start (Linux uses the cwnd before the
 * loss). sndcnt is counted in whole segments, as the RFC's examples count (and Linux, in
 * packets): a segment goes when CEIL(prr_delivered * ssthresh / RecoverFS) reaches one more
 * segment than prr_out; bytes would hold each send back by up to one segment's worth of
 * deliveries. The window that results is cwnd = pipe + sndcnt, which tcp_output's RFC 6675
 * loop then fills (NextSeg chooses what: holes, new data). */
void tcp_prr_on_ack(struct tcb *t, uint32_t delivered, bool safe_ack, bool entering)
{
    uint32_t mss = t->snd_mss;
    /* RFC 9937: an ACK that delivers nothing (a window update, a duplicate, the peer's
     * data) changes nothing, as in Linux's tcp_cwnd_reduction. Computed anyway, pipe alone
     * is the window, 0 once all that is out is lost or SACKed and what was sent has caught
     * up with what was delivered, and the lost data waits for the RTO. Recovery's start
     * (tcp_enter_recovery, the RACK timer) sets it even so. */
    if (delivered == 0 && !entering) return;
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
        /* On the ACK that starts recovery the forced retransmission (tcp_enter_recovery)
         * is RFC 9937's "prr_out is 0" send and was this ACK's DeliveredData's due: it is
         * counted in prr_out already, so the MAX would send one more. */
        uint32_t limit = banked > delivered || entering ? banked : delivered;
        if (safe_ack) limit += mss;
        sndcnt = u32_min(t->ssthresh - pipe, limit);
    }
    /* RFC 9937's "prr_out is 0 and sndcnt is 0": the episode's first retransmission is
     * forced. It is counted in prr_out once it went; when it found no room (the output
     * queue full), this keeps the window that lets it go, rather than pipe alone, which
     * may be 0 and would leave the repair to the RTO. */
    if (t->prr_out == 0 && sndcnt == 0) sndcnt = mss;
    t->cwnd = pipe + sndcnt;
}

bool tcp_sack_should_recover(const struct tcb *t)
{
    /* RFC 8985 §6.2: recovery starts when RACK has marked data lost (RFC 6675 §5 (b)'s
     * "DupThresh segments SACKed above SND.UNA" is RACK's rule with a zero window). */
    return t->sack_ok && tcp_rack_any_lost(t);
}

uint32_t tcp_sack_pipe(const struct tcb *t)
{
    return tcp_rack_pipe(t);
}

bool tcp_sack_next_hole(const struct tcb *t, uint32_t *seq, uint32_t *len)
{
    /* RFC 6675 §4 NextSeg: rule (1), the first range deemed lost (by RACK) and not sent again
     * since. Rule (3), a hole not deemed lost, is left out, as Linux leaves it out: with
     * RACK it would resend the very segments the reordering window waits for, and the
     * reordering timer marks them lost when they really are. */
    return tcp_rack_next_lost(t, seq, len);
}
