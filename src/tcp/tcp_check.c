/*
 * tcp/tcp_check.c - SEGMENT ARRIVES, first to fourth steps (RFC 9293 §3.10.7.4) in a
 * synchronized state: is the segment acceptable (sequence number, PAWS of RFC 7323 §5), is
 * it a reset (RFC 5961 §3; RFC 1337 in TIME-WAIT), a SYN (RFC 5961 §4)? What passes is
 * trimmed to the receive window for the steps after it.
 */
#include "tcp/stack.h"
#include "tcp/tcp_in.h"

/* RFC 7323 §5.5: TS.Recent older than 24 days is invalid. */
#define TCP_PAWS_IDLE_US (24ull * 86400 * 1000000)

void tcp_challenge_ack(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    if (tcp_challenge_allowed(st, &sk->tcb.last_oow_ack_time, now, sk->idx))
        tcp_send_ack(st, sk, now);
}

bool tcp_oow_rate_limited(const struct synack_stack *st, uint64_t *last, uint64_t now, bool take)
{
    if (*last && now - *last < st->cfg.oow_ack_interval_us) return true;
    if (take) *last = now ? now : 1;
    return false;
}

bool tcp_challenge_allowed(struct synack_stack *st, uint64_t *last_oow, uint64_t now, int sd)
{
    /* RFC 5961 §7 asks for a limit on challenge ACKs, so that they cannot be used to
     * amplify or to probe. A single stack-wide budget is itself a probe (CVE-2016-5696):
     * an attacker that spends it on its own connection sees one ACK fewer when its spoofed
     * guess fell in a victim's window. So, as Linux since 4.7: first a limit per
     * connection (one per oow_ack_interval_us, shared with the other out-of-window ACKs),
     * which keeps any one connection from draining the stack's budget; then, when one is
     * set, the stack-wide budget, drawn at random each second between half and one and a
     * half times challenge_ack_limit, so that what is left of it says nothing. */
    if (tcp_oow_rate_limited(st, last_oow, now, false)) {
        stack_drop(st, now, SYNACK_DROP_TCP_CHALLENGE_LIMIT, NULL, 0, NULL, sd);
        return false;
    }
    /* The stack-wide budget is off by default (UINT32_MAX), as Linux's since 6.0: a peer
     * holding many connections could spend it on its own and leave none for the others'
     * (a restarted peer's SYN then never draws the challenge ACK that clears its dead
     * connection, RFC 5961 §4), and however drawn, a shared budget is something to
     * measure. The limit per connection above bounds what a flood draws. */
    if (st->cfg.challenge_ack_limit == UINT32_MAX) {
        tcp_oow_rate_limited(st, last_oow, now, true);
        st->stats.challenge_acks++;
        return true;
    }
    if (now - st->chal_window_start >= 1000000 || st->chal_window_start == 0) {
        uint32_t limit = st->cfg.challenge_ack_limit;
        st->chal_window_start = now ? now : 1;
        st->chal_count = 0;
        st->chal_budget = limit / 2 + (limit ? (uint32_t)(stack_random(st) % limit) : 0);
    }
    if (st->chal_count >= st->chal_budget) {
        stack_drop(st, now, SYNACK_DROP_TCP_CHALLENGE_LIMIT, NULL, 0, NULL, sd);
        return false;
    }
    tcp_oow_rate_limited(st, last_oow, now, true);
    st->chal_count++;
    st->stats.challenge_acks++;
    return true;
}

/* The ACK that answers an unacceptable segment (RFC 9293 §3.10.7.4 First; PAWS, RFC 7323
 * §5.3), at most one per cfg.oow_ack_interval_us per connection when the segment has no
 * data: otherwise two stacks that each find the other's ACKs unacceptable answer each
 * other for ever (an ACK war), and a flood of bad segments draws a flood of ACKs. The
 * first is always sent. A segment that occupies sequence space (data, or a FIN: TIME-WAIT
 * re-ACKs each retransmitted FIN) is always answered: it cannot be part of an ACK war, and
 * a sender retransmitting what we have needs our ACK. RFC 9293 has no limit; this is
 * Linux's tcp_oow_rate_limited (tcp_invalid_ratelimit, 500 ms). */
/* Text of the segment below RCV.NXT was received before: a D-SACK (RFC 2883) reports it. */
static void dsack_old(struct tcb *t, const struct tcp_seg *seg)
{
    uint32_t l = seg->seq + ((seg->flags & SYNACK_TCP_SYN) ? 1 : 0);
    if (seg->dlen == 0 || !seq_lt(l, t->rcv_nxt)) return;
    uint32_t r = l + seg->dlen;
    tcp_dsack_set(t, l, seq_lt(r, t->rcv_nxt) ? r : t->rcv_nxt);
}

static void oow_ack(struct synack_stack *st, struct sock *sk, uint64_t now,
                    const struct tcp_seg *seg)
{
    if ((seg->len == 0 || (seg->flags & SYNACK_TCP_SYN)) &&
        tcp_oow_rate_limited(st, &sk->tcb.last_oow_ack_time, now, true))
        return;
    dsack_old(&sk->tcb, seg);
    tcp_send_ack(st, sk, now);
}

/* RFC 9293 §3.10.7.4 First: the four cases of segment acceptability. */
bool tcp_seq_acceptable(uint32_t rcv_nxt, uint32_t rcv_adv, uint32_t seq, uint32_t len)
{
    uint32_t wnd = seq_gt(rcv_adv, rcv_nxt) ? rcv_adv - rcv_nxt : 0;
    if (len == 0) {
        /* A segment without text at the window's right edge is taken too: it carries an
         * ACK and a window we must not ignore. A peer that filled our window sends its
         * pure ACKs with SEG.SEQ = RCV.NXT + RCV.WND; dropping them would stop our sender
         * until our reader drained, and our reader may be waiting for our sender (an echo):
         * a deadlock. RFC 9293 asks for "special allowance ... to accept valid ACKs" at a
         * zero window; Linux's tcp_sequence() accepts the edge likewise. */
        return seq_leq(rcv_nxt, seq) && seq_leq(seq, rcv_nxt + wnd);
    }
    /* RCV.WND = 0: no text is acceptable, "but special allowance should be made to accept
     * valid ACKs, URGs, and RSTs": at RCV.NXT the segment goes on with its text trimmed. */
    if (wnd == 0) return seq == rcv_nxt;
    return seq_in(seq, rcv_nxt, rcv_nxt + wnd) || seq_in(seq + len - 1, rcv_nxt, rcv_nxt + wnd);
}

/* SYN-RECEIVED and the peer's SYN again: either its retransmission (our SYN-ACK was lost:
 * send it again) or, in a simultaneous open, the peer's SYN,ACK that acknowledges ours
 * (RFC 9293 Figure 8, line 6: we are ESTABLISHED). */
static enum tcp_verdict syn_received_syn(struct synack_stack *st, struct sock *sk, uint64_t now,
                                         const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    uint16_t flags = seg->flags;
    if ((flags & SYNACK_TCP_ACK) && seq_gt(seg->ack, t->snd_una) && seq_leq(seg->ack, t->snd_max)) {
        if (!tcp_establish(st, sk, now, seg, true)) return TCP_GONE;
        /* Its SYN (at IRS) was received before: the ACK reports it as a duplicate with a
         * D-SACK (RFC 2883 §4), as Linux does for a segment wholly below RCV.NXT. */
        tcp_dsack_set(t, seg->seq, seg->seq + 1);
        t->ack_now = true;
        return TCP_REPLY;
    }
    if (!(flags & SYNACK_TCP_ACK)) {
        t->ack_now = true; /* SYN-RECEIVED output is the SYN,ACK */
        return TCP_REPLY;
    }
    tcp_drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
    tcp_send_rst_for(st, now, seg);
    return TCP_STOP;
}

/* PAWS (RFC 7323 §5.3): a timestamp older than the last one seen in order is from an old
 * duplicate; the segment is not acceptable. Unless TS.Recent is more than 24 days old
 * (§5.5): the peer's clock (at most 1 ms a tick) may have wrapped since, and the test would
 * refuse a live segment; TS.Recent is then invalid, and the segment's timestamp becomes the
 * new one (fifth step). Linux: tcp_paws_check, TCP_PAWS_24DAYS. */
static bool paws_rejects(const struct tcb *t, uint64_t now, const struct tcp_seg *seg)
{
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    bool ts_recent_valid = now - t->ts_recent_time <= TCP_PAWS_IDLE_US;
    return t->ts_ok && o->has_ts && !(seg->flags & SYNACK_TCP_RST) && ts_recent_valid &&
           (int32_t)(o->ts_val - t->ts_recent) < 0;
}

/* Trims an acceptable segment to the window: what precedes RCV.NXT was received already;
 * what lies beyond the right edge is not taken. */
static void trim_to_window(struct tcb *t, const struct tcp_seg *seg, struct tcp_rx *rx)
{
    uint32_t seq = seg->seq;
    const uint8_t *data = seg->data;
    uint32_t dlen = seg->dlen;
    bool syn = seg->flags & SYNACK_TCP_SYN, fin = seg->flags & SYNACK_TCP_FIN;
    if (seq_lt(seq, t->rcv_nxt)) {
        dsack_old(t, seg);
        uint32_t d = t->rcv_nxt - seq;
        if (syn) {
            syn = false;
            seq++;
            d--;
        }
        if (d >= dlen) {
            if (d > dlen && fin) fin = false; /* the FIN was received before */
            seq += dlen;
            data += dlen;
            dlen = 0;
        } else {
            data += d;
            dlen -= d;
            seq += d;
        }
    }
    uint32_t right = t->rcv_nxt + tcp_rcv_wnd_offered(t);
    if (seq_gt(seq + dlen, right)) {
        dlen = seq_gt(right, seq) ? right - seq : 0;
        fin = false;
        t->ack_now = true; /* text beyond the window was dropped: say where we are */
    }
    *rx = (struct tcp_rx){.seq = seq, .data = data, .dlen = dlen, .syn = syn, .fin = fin};
}

/* Second: RST (RFC 5961 §3.2). Exactly RCV.NXT resets; anywhere else in the window draws a
 * challenge ACK, since a blind attacker has to guess the exact number. */
static enum tcp_verdict rst_step(struct synack_stack *st, struct sock *sk, uint64_t now,
                                 const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    if (t->state == SYNACK_TIME_WAIT) {
        /* RFC 1337: a reset must not cut TIME-WAIT short ("TIME-WAIT assassination"), or
         * an old duplicate could be accepted by a new incarnation. */
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_TIME_WAIT, seg);
        return TCP_STOP;
    }
    if (seg->seq != t->rcv_nxt) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_RST_CHALLENGED, seg);
        tcp_challenge_ack(st, sk, now);
        return TCP_STOP;
    }
    st->stats.conn_reset++;
    /* A child waiting in its listener's accept queue (established, or born from a SYN with
     * data, RFC 7413) stays there for accept, as Linux: its data readable, then the reset. */
    if (sk->acc.linked) {
        tcp_done_keep(st, sk, now, SYNACK_ECONNRESET);
        return TCP_GONE;
    }
    switch (t->state) {
    case SYNACK_SYN_RECEIVED:
        /* Born from a SYN with data (RFC 7413) and accepted: its data stays readable. */
        if (t->tfo_child) {
            tcp_done_keep(st, sk, now, SYNACK_ECONNRESET);
            break;
        }
        /* Passive: the child goes away and the listener stays (back to LISTEN); active
         * (simultaneous open): "connection refused". */
        tcp_done(st, sk, now, t->passive ? 0 : SYNACK_ECONNREFUSED);
        break;
    case SYNACK_ESTABLISHED:
    case SYNACK_FIN_WAIT_1:
    case SYNACK_FIN_WAIT_2:
    case SYNACK_CLOSE_WAIT:
        tcp_done(st, sk, now, SYNACK_ECONNRESET);
        break;
    default: /* CLOSING, LAST-ACK: the connection was ending anyway */
        tcp_done(st, sk, now, 0);
        break;
    }
    return TCP_GONE;
}

enum tcp_verdict tcp_check_segment(struct synack_stack *st, struct sock *sk, uint64_t now,
                                   const struct tcp_seg *seg, struct tcp_rx *rx)
{
    struct tcb *t = &sk->tcb;
    uint16_t flags = seg->flags;

    if (t->state == SYNACK_SYN_RECEIVED && (flags & SYNACK_TCP_SYN) && seg->seq == t->irs &&
        !(flags & SYNACK_TCP_RST))
        return syn_received_syn(st, sk, now, seg);

    /* The fourth step, brought forward for the synchronized states (RFC 5961 §4.2): "If
     * the SYN bit is set, irrespective of the sequence number, TCP MUST send an ACK" (a
     * challenge ACK), and the segment goes no further. Checking it after acceptability and
     * trimming would let a SYN at RCV.NXT - 1 lose its SYN to the trim: its data would be
     * delivered, or without the ACK bit the fifth step would drop it silently. An old or
     * PAWS-rejected SYN gets the same challenge ACK, as Linux's tcp_validate_incoming
     * ("syn_challenge") does. SYN-RECEIVED keeps the RFC 9293 order below: a passive child
     * returns to LISTEN. (SYN with RST never gets here: demux drops it.) */
    if ((flags & SYNACK_TCP_SYN) && t->state != SYNACK_SYN_RECEIVED) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_SYN_CHALLENGED, seg);
        tcp_challenge_ack(st, sk, now);
        return TCP_STOP;
    }

    if (paws_rejects(t, now, seg)) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_NOT_ACCEPTABLE, seg);
        oow_ack(st, sk, now, seg);
        return TCP_STOP;
    }

    /* First: is the segment in the window? If not, an ACK says where we are (unless it
     * is a reset), and it is dropped. In TIME-WAIT this is how a retransmitted FIN is
     * answered, and it restarts the 2*MSL wait (RFC 9293 §3.10.7.4, Eighth). */
    if (!tcp_seq_acceptable(t->rcv_nxt, t->rcv_adv, seg->seq, seg->len)) {
        tcp_drop(st, sk, now,
                 (flags & SYNACK_TCP_RST) ? SYNACK_DROP_TCP_RST_INVALID
                                          : SYNACK_DROP_TCP_NOT_ACCEPTABLE,
                 seg);
        if (!(flags & SYNACK_TCP_RST)) {
            if (t->state == SYNACK_TIME_WAIT && (flags & SYNACK_TCP_FIN))
                t->t_tw = now + 2 * st->cfg.msl_us;
            oow_ack(st, sk, now, seg);
        }
        return TCP_STOP;
    }
    trim_to_window(t, seg, rx);

    if (flags & SYNACK_TCP_RST) return rst_step(st, sk, now, seg);

    /* Fourth: a SYN in SYN-RECEIVED (the synchronized states answered it above, RFC 5961
     * §4): a passive child returns to LISTEN; an active one draws a challenge ACK. The
     * peer, if it really restarted, answers with a reset that has the exact sequence
     * number. */
    if (rx->syn) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_SYN_CHALLENGED, seg);
        if (t->state == SYNACK_SYN_RECEIVED && t->passive) {
            /* "return this connection to the LISTEN state" */
            tcp_done(st, sk, now, 0);
            return TCP_GONE;
        }
        tcp_challenge_ack(st, sk, now);
        return TCP_STOP;
    }
    /* The segment is acceptable: the peer is alive. Only now, not on arrival: an
     * unacceptable or spoofed segment must not postpone keepalive (Linux likewise counts
     * idleness from the last segment its checks let through, tcp_ack's rcv_tstamp). */
    t->last_rcv_time = now;
    t->keep_probes = 0;
    return TCP_GO;
}
