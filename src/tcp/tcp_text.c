/*
 * tcp/tcp_text.c - SEGMENT ARRIVES, sixth to eighth steps (RFC 9293 §3.10.7.4): URG (the
 * pointer is ignored and urgent bytes stay in the stream, RFC 6093), the segment text (in
 * order into the receive ring, or parked at its offset for reassembly), and the FIN.
 * Acknowledgment generation follows RFC 9293 §3.8.6.3 and RFC 5681 §4.2.
 */
#include "tcp/stack.h"
#include "tcp/tcp_in.h"

void tcp_process_fin(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->rcv_nxt++;
    t->fin_rcvd = true;
    t->ooo_fin = false;
    t->ack_now = true; /* a FIN is acknowledged at once */
    switch (t->state) {
    case SYNACK_SYN_RECEIVED:
    case SYNACK_ESTABLISHED:
        tcp_set_state(st, sk, now, SYNACK_CLOSE_WAIT);
        break;
    case SYNACK_FIN_WAIT_1:
        if (tcp_our_fin_acked(t))
            tcp_enter_time_wait(st, sk, now);
        else
            tcp_set_state(st, sk, now, SYNACK_CLOSING);
        break;
    case SYNACK_FIN_WAIT_2:
        tcp_enter_time_wait(st, sk, now);
        break;
    default:
        break;
    }
}

/* Seventh step: segment text, in order or parked for reassembly. */
void tcp_take_data(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t seq,
                   const uint8_t *data, uint32_t n, const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    uint32_t space = t->rcv.cap - t->rcv.len;
    uint32_t off = seq - t->rcv_nxt;
    if (off >= space) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_NOT_ACCEPTABLE, seg);
        t->ack_now = true;
        return;
    }
    if (n > space - off) n = space - off; /* never beyond the ring, whatever was advertised */
    /* The ring takes its memory as data arrives (base/ring.h). Without it the segment is
     * dropped, as if lost, and the peer sends it again; in-order data first makes other
     * connections give up out-of-order data when the stack's limit was what refused it
     * (tcp_mem.c). */
    uint32_t at = t->rcv.len + off;
    int e = ring_write_at(&t->rcv, at, data, n);
    if (e < 0 && off == 0 && tcp_mem_reclaim(st, sk, ring_grow_size(&t->rcv, at + n)))
        e = ring_write_at(&t->rcv, at, data, n);
    if (e < 0) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_NO_MEMORY, seg);
        return;
    }
    if (off == 0) {
        /* The next in-order segment will most likely be this connection's too: the receive
         * hint (entry/rxhint.c) names its place in the ring, when this one was a bulk
         * receiver's: cfg.rx_hint_min bytes, or a full segment of a peer whose MSS option
         * (what snd_mss follows) is smaller; after a small one no hint is offered. */
        uint32_t bulk = st->cfg.rx_hint_min < t->snd_mss ? st->cfg.rx_hint_min : t->snd_mss;
        st->rx_last_sd = n >= bulk ? sk->idx : -1;
        bool had_holes = t->reass.n > 0;
        uint32_t nxt = reass_advance(&t->reass, t->rcv_nxt + n);
        t->rcv.len += nxt - t->rcv_nxt;
        /* RCV.NXT's advance, with what a filled hole released (Linux's bytes_received). */
        t->bytes_received += nxt - t->rcv_nxt;
        t->rcv_nxt = nxt;
        /* Quick-ACK, as Linux's quick-ACK mode: the first segments of a connection, and the
         * first after the peer was silent for longer than an RTO, are acknowledged at once,
         * so that a sender in slow start (or restarting after idle, RFC 5681 §4.1) gets its
         * window going without waiting for our delayed-ACK timer. RFC 9293 §3.8.6.3 allows
         * acknowledging sooner than it asks; Linux takes rcvbuf / (2 RMSS) such ACKs, at
         * most 16 (TCP_MAX_QUICKACKS). Off with cfg.no_quickack. */
        if (!st->cfg.no_quickack && (t->last_data_time == 0 || now - t->last_data_time > t->rto)) {
            uint32_t q = t->rcv.cap / (2 * (uint32_t)(t->rcv_mss ? t->rcv_mss : 536));
            q = q < 2 ? 2 : q > 16 ? 16 : q;
            if (q > t->quickack) t->quickack = (uint8_t)q;
        }
        t->last_data_time = now;
        /* RFC 5681 §4.2: ACK at once when a segment fills a hole; otherwise at least every
         * second full-sized segment, or within the delayed-ACK time (RFC 9293 §3.8.6.3). */
        if (t->quickack > 0 && !t->pingpong) {
            t->quickack--;
            t->ack_now = true;
        } else if (had_holes || n > t->rcv_mss || ++t->segs_unacked >= 2) {
            /* More than one MSS in one segment is a merge of several (the device's GRO,
             * SYNACK_INPUT_MERGED): it holds the "second full-sized segment" already, and
             * Linux too acknowledges it at once (__tcp_ack_snd_check). */
            t->ack_now = true;
        } else if (!t->t_delack) {
            t->t_delack = now + st->cfg.delack_us;
        }
    } else {
        /* Out-of-order text held already: the first overlap is reported (RFC 2883 §4). */
        for (int i = 0; i < t->reass.n; i++) {
            uint32_t l = seq_max(seq, t->reass.left[i]);
            uint32_t r = seq_lt(seq + n, t->reass.right[i]) ? seq + n : t->reass.right[i];
            if (seq_lt(l, r)) {
                tcp_dsack_set(t, l, r);
                break;
            }
        }
        /* Written already; without a range to remember it by, it is as if not. */
        if (reass_add(&t->reass, seq, seq + n) < 0)
            tcp_drop(st, sk, now, SYNACK_DROP_TCP_REASS_FULL, seg);
        /* An out-of-order segment draws an immediate duplicate ACK (RFC 5681 §4.2). */
        t->ack_now = true;
    }
    /* What the reclaim at the limit may take (tcp_mem.c); in order and without holes, the
     * common case, costs no call. */
    if (t->reass.n > 0 || sk->mem_ooo.linked) tcp_mem_ooo_note(st, sk);
}

enum tcp_verdict tcp_text_step(struct synack_stack *st, struct sock *sk, uint64_t now,
                               const struct tcp_seg *seg, const struct tcp_rx *rx)
{
    struct tcb *t = &sk->tcb;
    /* Sixth: URG. RCV.UP moves on (tcp_urg.c: the application can learn how much urgent
     * data is left to read) and the urgent bytes are ordinary data, in order (RFC 6093
     * §6: in-line; new applications should not use urgent data). Counted. */
    if (seg->flags & SYNACK_TCP_URG) {
        st->stats.urgent_in++;
        if (!t->fin_rcvd) tcp_urg_rcvd(t, seg->seq, seg->s->tcp.urg);
    }

    /* Seventh: segment text, in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 only. */
    if (rx->dlen > 0) {
        bool open_rcv = t->state == SYNACK_ESTABLISHED || t->state == SYNACK_FIN_WAIT_1 ||
                        t->state == SYNACK_FIN_WAIT_2;
        if (!open_rcv || t->fin_rcvd) {
            tcp_drop(st, sk, now, SYNACK_DROP_TCP_AFTER_CLOSE, seg);
        } else if (!sk->user_open && sk->parent < 0) {
            /* Nobody will read this: tell the peer at once with a reset rather than
             * acknowledge data that is thrown away (RFC 1122 §4.2.2.13, as Linux does).
             * After shutdown(SHUT_RD) the socket is still open: Linux acknowledges and
             * queues such data, and read() returns it (RFC 9293 has no SHUT_RD), so
             * synack takes it too. The reset answers the segment, <SEQ=SEG.ACK><CTL=RST>
             * as Linux's tcp_v4_send_reset: SEG.ACK is the peer's RCV.NXT, which its RFC
             * 5961 check wants, even when our FIN is still on its way. */
            tcp_drop(st, sk, now, SYNACK_DROP_TCP_AFTER_CLOSE, seg);
            tcp_send_rst_for(st, now, seg);
            tcp_done(st, sk, now, SYNACK_ECONNABORTED);
            return TCP_GONE;
        } else {
            tcp_take_data(st, sk, now, rx->seq, rx->data, rx->dlen, seg);
        }
    }

    /* Eighth: FIN. In order, it ends the peer's stream; beyond a hole it waits. */
    if (rx->fin && t->state != SYNACK_TIME_WAIT && !t->fin_rcvd) {
        uint32_t fin_seq = rx->seq + rx->dlen;
        if (fin_seq == t->rcv_nxt) {
            tcp_process_fin(st, sk, now);
        } else if (seq_gt(fin_seq, t->rcv_nxt)) {
            t->ooo_fin = true;
            t->ooo_fin_seq = fin_seq;
            t->ack_now = true;
        }
    } else if (rx->fin && t->state == SYNACK_TIME_WAIT) {
        t->ack_now = true;
        t->t_tw = now + 2 * st->cfg.msl_us;
    }
    if (t->ooo_fin && t->ooo_fin_seq == t->rcv_nxt && !t->fin_rcvd) tcp_process_fin(st, sk, now);
    return TCP_GO;
}
