/*
 * tcp/tcp_fast.c - header prediction: a short path through SEGMENT ARRIVES (RFC 9293
 * §3.10.7.4) for the two common segments of an ESTABLISHED connection, the next in-order
 * data and a pure ACK of new data (Van Jacobson's header prediction, "4.4BSD" tcp_input;
 * Linux's tcp_rcv_established fast path).
 *
 * The general path checks, in the RFC's order: the sequence number (First, with PAWS of
 * RFC 7323 §5 and the trim to the window), RST (Second), SYN (Fourth), the ACK field
 * (Fifth), URG (Sixth), the text (Seventh) and FIN (Eighth). A segment that the prediction
 * below accepts passes the first four without effect but two (the peer is alive:
 * last_rcv_time and the keepalive probes), needs no trim, and has no URG and no FIN: those
 * steps are skipped, and what is left is the ACK step (tcp_ack_step, shared with the
 * general path, so that congestion control, RACK, the RTT sample and the window update are
 * the same code) and, for data, the in-order append to the receive ring (tcp_take_data,
 * with its delayed-ACK and quick-ACK rules). Data may acknowledge new data too (a
 * request/response exchange). Everything else takes the general path. The
 * result is the same either way, which tests/unit/hp_test.c checks segment by segment
 * against cfg.no_header_prediction.
 */
#include "tcp/stack.h"
#include "tcp/tcp_in.h"

/* The options of the segment are none, or the timestamps alone (RFC 7323 Appendix A's
 * NOP NOP TS, 12 bytes), exactly as the connection agreed: with timestamps on, every
 * segment carries them (§3.2); a segment without, or with any other option, goes the
 * general way. */
static bool options_predicted(const struct tcb *t, const struct synack_tcp_hdr *h)
{
    const struct synack_tcp_opts *o = &h->opts;
    if (o->has_mss || o->has_wscale || o->sack_permitted || o->sack_count || o->fo_kind)
        return false;
    if (t->ts_ok) return o->has_ts && h->hdr_len == 32;
    return !o->has_ts && h->hdr_len == 20;
}

enum tcp_verdict tcp_fast_input(struct synack_stack *st, struct sock *sk, uint64_t now,
                                const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    const struct synack_tcp_hdr *h = &seg->s->tcp;
    /* Flags exactly ACK, or ACK and PSH: no SYN, FIN, RST, URG, ECE or CWR. */
    if ((seg->flags & (uint16_t)~SYNACK_TCP_PSH) != SYNACK_TCP_ACK) return TCP_SLOW;
    /* First: SEG.SEQ = RCV.NXT, acceptable whatever the window for a segment without
     * text; one with text must fit what was offered (no trim) and the ring (no cut in
     * tcp_take_data). RCV.WND = 0 takes no text at all: the general path. */
    if (seg->seq != t->rcv_nxt) return TCP_SLOW;
    if (seg->dlen > 0 &&
        (seg->dlen > tcp_rcv_wnd_offered(t) || seg->dlen > t->rcv.cap - t->rcv.len))
        return TCP_SLOW;
    if (!options_predicted(t, h)) return TCP_SLOW;
    /* PAWS (RFC 7323 §5.3): TSval not older than TS.Recent. The general path's exception
     * for a TS.Recent older than 24 days (§5.5) only accepts more; this is accepted by both. */
    if (t->ts_ok && (int32_t)(h->opts.ts_val - t->ts_recent) < 0) return TCP_SLOW;
    /* Fifth, the part that needs no recovery logic: SND.UNA <= SEG.ACK <= SND.NXT, and no
     * loss recovery, F-RTO, tail loss probe, SACK scoreboard, reassembly queue or
     * out-of-order FIN in play. A duplicate ACK (no text, SEG.ACK = SND.UNA), which counts
     * towards fast retransmit, goes the general way. Van Jacobson's prediction (and Linux's
     * pred_flags) also asks for the window unchanged, because their short path leaves the
     * window update out; here the ACK step, window update included, is the general one, so
     * a moving window (every ACK of a bulk receiver that reads) does not stop the
     * prediction. */
    if (seq_lt(seg->ack, t->snd_una) || seq_gt(seg->ack, t->snd_nxt) || t->snd_nxt != t->snd_max)
        return TCP_SLOW;
    if (t->in_recovery || t->rto_recovery || t->frto || t->tlp_active || t->sacked.n ||
        t->reass.n || t->ooo_fin)
        return TCP_SLOW;
    if (seg->dlen == 0 && seg->ack == t->snd_una) return TCP_SLOW;
    /* Text nobody will read is answered with a reset (tcp_text_step): the general path. */
    if (seg->dlen > 0 && !sk->user_open && sk->parent < 0) return TCP_SLOW;

    /* What tcp_check_segment does for an acceptable segment: the peer is alive. */
    t->last_rcv_time = now;
    t->keep_probes = 0;
    tcp_ecn_segment_in(st, t, seg); /* a CE mark (RFC 3168 §6.1.3), as tcp_input's */
    enum tcp_verdict v = tcp_ack_step(st, sk, now, seg);
    if (v != TCP_GO) return v;
    /* Seventh: the text, in order, into the ring. (The ack step cannot have left
     * ESTABLISHED: that needs our FIN acknowledged, and ESTABLISHED has not sent one.) */
    if (seg->dlen > 0) tcp_take_data(st, sk, now, seg->seq, seg->data, seg->dlen, seg);
    return TCP_GO;
}
