/*
 * tcp/tcp_in.c - SEGMENT ARRIVES (RFC 9293 §3.10.7), step by step.
 *
 * Call order: tcp_demux() finds the socket, then one of
 *   tcp_input_closed()  §3.10.7.1  no connection: answer with a reset
 *   tcp_input_listen()  §3.10.7.2  a SYN makes a child in SYN-RECEIVED
 *   tcp_input()         §3.10.7.3  SYN-SENT, and §3.10.7.4 every other state, in the
 *                       RFC's order: sequence check, RST, SYN, ACK, URG, text, FIN.
 * RFC 5961 hardens the RST, SYN and ACK steps; RFC 1337 keeps TIME-WAIT from being
 * assassinated by a reset; RFC 5681 and RFC 6582 drive loss recovery from the ACK step.
 * Every discarded segment leaves with a named drop reason.
 */
#include <string.h>

#include "core/stack.h"
#include "ip/ip.h"
#include "tcp/tcp.h"

static uint32_t u32min(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static void drop(struct synack_stack *st, struct sock *sk, uint64_t now, int reason,
                 const struct tcp_seg *seg)
{
    stack_drop(st, now, reason, NULL, 0, seg->s, sk ? sk->idx : -1);
}

/* ---- §3.10.7.1 CLOSED ------------------------------------------------------------------ */

void tcp_input_closed(struct synack_stack *st, uint64_t now, const struct tcp_seg *seg)
{
    /* "An incoming segment containing a RST is discarded. An incoming segment not
     * containing a RST causes a RST to be sent in response." */
    drop(st, NULL, now, SYNACK_DROP_TCP_NO_SOCKET, seg);
    tcp_send_rst_for(st, now, seg);
}

/* ---- options of a SYN (RFC 9293 §3.7.1, RFC 7323, RFC 2018) --------------------------- */

static void syn_options(struct synack_stack *st, struct tcb *t, const struct tcp_seg *seg,
                        bool we_offered)
{
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    /* MUST-15: without an MSS option, assume 536 (RFC 9293 §3.7.1). A tiny MSS would make
     * us send a flood of tiny segments; 64 is the floor (Linux uses 48). */
    uint32_t mss = o->has_mss ? o->mss : 536;
    uint32_t link = (uint32_t)st->cfg.mtu - 40;
    if (mss > link) mss = link;
    if (t->user_mss && mss > t->user_mss) mss = t->user_mss;
    if (mss < 64) mss = 64;
    t->wscale_ok = o->has_wscale && we_offered;
    if (t->wscale_ok) {
        /* RFC 7323 §2.3: a shift above 14 is treated as 14. */
        t->snd_wscale = o->wscale > 14 ? 14 : o->wscale;
    } else {
        t->snd_wscale = 0;
        t->rcv_wscale = 0;
    }
    t->sack_ok = o->sack_permitted && we_offered;
    t->ts_ok = o->has_ts && we_offered;
    if (t->ts_ok) {
        t->ts_recent = o->ts_val;
        /* Every segment will carry the 12-byte timestamp option (10 + 2 NOPs). */
        mss -= 12;
    }
    t->snd_mss = (uint16_t)mss;
    t->cc->init(t);
}

/* ---- §3.10.7.2 LISTEN ------------------------------------------------------------------ */

/* A connection born from listener lsk for segment seg, with the listener's options, its
 * rings set up and the ISNs and windows left to the caller. NULL (dropped) when full. */
static struct sock *new_child(struct synack_stack *st, struct sock *lsk, uint64_t now,
                              const struct tcp_seg *seg)
{
    struct sock *c = sock_alloc(st);
    if (!c) {
        drop(st, lsk, now, SYNACK_DROP_TCP_BACKLOG_FULL, seg);
        return NULL;
    }
    struct tcb *t = &c->tcb;
    t->laddr = seg->s->ip.dst;
    t->lport = seg->s->tcp.dport;
    t->raddr = seg->s->ip.src;
    t->rport = seg->s->tcp.sport;
    t->passive = true;
    c->bound = true;
    c->parent = lsk->idx;
    c->sndbuf = lsk->sndbuf;
    c->rcvbuf = lsk->rcvbuf;
    c->linger = lsk->linger;
    t->nodelay = lsk->tcb.nodelay;
    t->keepalive = lsk->tcb.keepalive;
    t->keep_idle_us = lsk->tcb.keep_idle_us;
    t->keep_intvl_us = lsk->tcb.keep_intvl_us;
    t->keep_cnt = lsk->tcb.keep_cnt;
    t->user_mss = lsk->tcb.user_mss;
    if (tcb_setup(st, c) < 0) {
        sock_release(st, c);
        drop(st, lsk, now, SYNACK_DROP_TCP_BACKLOG_FULL, seg);
        return NULL;
    }
    t->last_rcv_time = now;
    return c;
}

/* Sequence state of a new child: our ISN iss, the peer's irs (RCV.NXT = irs + 1), the
 * peer's window from its SYN (never scaled there, RFC 7323 §2.2); then SYN-RECEIVED. */
static void child_start(struct synack_stack *st, struct sock *lsk, struct sock *c, uint64_t now,
                        uint32_t iss, uint32_t irs, uint16_t wnd)
{
    struct tcb *t = &c->tcb;
    t->irs = irs;
    t->rcv_nxt = irs + 1;
    t->rcv_adv = t->rcv_nxt;
    t->iss = iss;
    t->snd_una = t->snd_nxt = t->snd_max = iss;
    t->snd_buf_seq = iss + 1;
    t->snd_small_end = iss;
    t->recover = iss;
    t->snd_wnd = wnd;
    t->max_snd_wnd = wnd;
    t->snd_wl1 = irs;
    t->snd_wl2 = iss;
    ctab_insert(st, c);
    lsk->n_syn++;
    st->stats.conn_opened_passive++;
    t->state = SYNACK_LISTEN;
    tcp_set_state(st, c, now, SYNACK_SYN_RECEIVED);
}

/* The listener's queue is full: answer with a SYN cookie and keep nothing. */
static void send_cookie(struct synack_stack *st, struct sock *lsk, uint64_t now,
                        const struct tcp_seg *seg)
{
    uint16_t mss;
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = seg->s->tcp.dport;
    h.dport = seg->s->tcp.sport;
    h.seq = tcp_syncookie_make(st, seg, now, &mss);
    h.ack = seg->seq + 1;
    h.flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK;
    h.window = (uint16_t)(lsk->rcvbuf < 65535 ? lsk->rcvbuf : 65535);
    h.opts.has_mss = true;
    h.opts.mss = mss;
    if (ip_output_tcp(st, now, lsk->idx, &h, seg->s->ip.dst, seg->s->ip.src, NULL, 0, 0, false) ==
        0)
        st->stats.syn_cookies_sent++;
}

/* An ACK that returns a valid cookie: the connection is rebuilt and the ACK processed as
 * in SYN-RECEIVED (it completes the handshake and may carry data). */
static bool accept_cookie(struct synack_stack *st, struct sock *lsk, uint64_t now,
                          const struct tcp_seg *seg)
{
    uint16_t mss;
    if ((seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST | SYNACK_TCP_FIN)) ||
        lsk->n_acc >= lsk->backlog || !tcp_syncookie_check(st, seg, now, &mss))
        return false;
    struct sock *c = new_child(st, lsk, now, seg);
    if (!c) return true;
    struct tcb *t = &c->tcb;
    /* Only the MSS was remembered; no window scaling, SACK or timestamps. */
    uint32_t link = (uint32_t)st->cfg.mtu - 40;
    t->snd_mss = (uint16_t)(mss < link ? mss : link);
    if (t->user_mss && t->snd_mss > t->user_mss) t->snd_mss = t->user_mss;
    t->wscale_ok = t->sack_ok = t->ts_ok = false;
    t->snd_wscale = t->rcv_wscale = 0;
    t->cc->init(t);
    child_start(st, lsk, c, now, seg->ack - 1, seg->seq - 1, seg->s->tcp.window);
    t->snd_nxt = t->snd_max = t->iss + 1; /* the SYN-ACK that carried the cookie */
    t->rcv_adv = t->rcv_nxt + (c->rcvbuf < 65535 ? c->rcvbuf : 65535); /* and its window */
    st->stats.syn_cookies_accepted++;
    tcp_input(st, c, now, seg);
    return true;
}

void tcp_input_listen(struct synack_stack *st, struct sock *lsk, uint64_t now,
                      const struct tcp_seg *seg, const uint32_t *isn)
{
    /* First: "An incoming RST segment could not be valid ... ignore it." */
    if (seg->flags & SYNACK_TCP_RST) {
        drop(st, lsk, now, SYNACK_DROP_TCP_LISTEN_BAD, seg);
        return;
    }
    /* Second: an ACK to a listener is from some old or forged connection:
     * <SEQ=SEG.ACK><CTL=RST>; unless it returns one of our SYN cookies. */
    if (seg->flags & SYNACK_TCP_ACK) {
        if (accept_cookie(st, lsk, now, seg)) return;
        drop(st, lsk, now, SYNACK_DROP_TCP_LISTEN_BAD, seg);
        tcp_send_rst_for(st, now, seg);
        return;
    }
    if (!(seg->flags & SYNACK_TCP_SYN)) {
        drop(st, lsk, now, SYNACK_DROP_TCP_LISTEN_BAD, seg);
        return;
    }
    /* Third: a SYN. Flags are tested by masking, so ECE/CWR (an ECN-setup SYN, RFC 3168
     * §6.1.1), PSH or URG beside it change nothing: we answer without ECN. */
    if (lsk->n_syn + lsk->n_acc >= lsk->backlog) {
        /* Half-open connections fill the queue (a SYN flood, or a burst): a cookie keeps
         * real clients coming in. With the accept queue itself full there is no room
         * for them either; no reset: the client's retransmission tries again. */
        if (lsk->n_acc < lsk->backlog)
            send_cookie(st, lsk, now, seg);
        else
            drop(st, lsk, now, SYNACK_DROP_TCP_BACKLOG_FULL, seg);
        return;
    }
    struct sock *c = new_child(st, lsk, now, seg);
    if (!c) return;
    struct tcb *t = &c->tcb;
    syn_options(st, t, seg, true);
    /* Data or FIN on the SYN is not taken: we do not acknowledge it, so the peer sends
     * it again after the handshake (RFC 9293 allows queueing; not queueing bounds what a
     * half-open connection can hold). */
    child_start(st, lsk, c, now, isn ? *isn : tcp_choose_isn(st, t, now), seg->seq,
                seg->s->tcp.window);
    tcp_send_syn(st, c, now);
}

/* ---- §3.10.7.3 SYN-SENT ---------------------------------------------------------------- */

static void establish(struct synack_stack *st, struct sock *sk, uint64_t now,
                      const struct tcp_seg *seg, bool syn_seg);
static void process_fin(struct synack_stack *st, struct sock *sk, uint64_t now);
static void take_data(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t seq,
                      const uint8_t *data, uint32_t n, const struct tcp_seg *seg);

static void input_syn_sent(struct synack_stack *st, struct sock *sk, uint64_t now,
                           const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    bool ack_ok = false;
    /* First: the ACK, if any, must acknowledge our SYN: ISS < SEG.ACK =< SND.NXT. */
    if (seg->flags & SYNACK_TCP_ACK) {
        if (seq_leq(seg->ack, t->iss) || seq_gt(seg->ack, t->snd_max)) {
            drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
            if (!(seg->flags & SYNACK_TCP_RST)) tcp_send_rst_for(st, now, seg);
            return;
        }
        ack_ok = true;
    }
    /* Second: a reset is believed only with an acceptable ACK: "connection refused". */
    if (seg->flags & SYNACK_TCP_RST) {
        if (ack_ok) {
            tcp_done(st, sk, now, SYNACK_ECONNREFUSED);
        } else {
            drop(st, sk, now, SYNACK_DROP_TCP_RST_INVALID, seg);
        }
        return;
    }
    /* Fourth: the SYN. */
    if (!(seg->flags & SYNACK_TCP_SYN)) {
        drop(st, sk, now, SYNACK_DROP_TCP_NOT_ACCEPTABLE, seg);
        return;
    }
    t->irs = seg->seq;
    t->rcv_nxt = seg->seq + 1;
    t->rcv_adv = t->rcv_nxt;
    syn_options(st, t, seg, true);
    if (ack_ok) {
        /* SYN,ACK: our SYN is acknowledged, we are ESTABLISHED and answer with the third
         * segment of the handshake, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
        establish(st, sk, now, seg, true);
        /* "If there are other controls or text in the segment, then continue processing
         * at the sixth step": text and a FIN riding on the SYN,ACK are taken. */
        if (seg->dlen > 0) take_data(st, sk, now, seg->seq + 1, seg->data, seg->dlen, seg);
        if ((seg->flags & SYNACK_TCP_FIN) && t->rcv_nxt == seg->seq + 1 + seg->dlen)
            process_fin(st, sk, now);
        t->ack_now = true;
        tcp_output(st, sk, now);
    } else {
        /* A SYN without ACK: simultaneous open (RFC 9293 Figure 8). Answer
         * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> from SYN-RECEIVED. */
        t->snd_wnd = seg->s->tcp.window;
        t->max_snd_wnd = t->snd_wnd;
        t->snd_wl1 = seg->seq;
        t->snd_wl2 = t->iss;
        t->passive = false;
        tcp_set_state(st, sk, now, SYNACK_SYN_RECEIVED);
        tcp_send_syn(st, sk, now);
    }
}

/* Our SYN is acknowledged by seg: the connection is ESTABLISHED. */
static void establish(struct synack_stack *st, struct sock *sk, uint64_t now,
                      const struct tcp_seg *seg, bool syn_seg)
{
    struct tcb *t = &sk->tcb;
    t->snd_una = seg->ack;
    if (seq_lt(t->snd_nxt, t->snd_una)) t->snd_nxt = t->snd_una;
    /* RFC 7323 §2.2: the window of a SYN segment is not scaled; afterwards it is. */
    t->snd_wnd = (uint32_t)seg->s->tcp.window << (syn_seg ? 0 : t->snd_wscale);
    if (t->snd_wnd > t->max_snd_wnd) t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = seg->seq;
    t->snd_wl2 = seg->ack;
    /* The handshake's round trip is a sample, unless the SYN was sent twice (Karn). */
    if (!t->syn_retransmitted && t->rtt_timing) {
        tcp_rtt_sample(t, now - t->rtt_start, st->cfg.rto_min_us, st->cfg.rto_max_us);
    } else if (t->syn_retransmitted && !t->rtt_valid) {
        /* RFC 6298 §5.7: after a lost SYN, data starts with a 3-second RTO. */
        if (t->rto < 3000000) t->rto = 3000000;
    }
    t->rtt_timing = false;
    t->rtx_count = 0;
    t->t_rtx = 0;
    st->stats.conn_established++;
    if (sk->parent >= 0) {
        /* A passive child moves from the SYN queue to the accept queue. */
        struct sock *l = sock_of(st, sk->parent);
        l->n_syn--;
        l->n_acc++;
        sk->acc_next = -1;
        if (l->acc_tail >= 0)
            sock_of(st, l->acc_tail)->acc_next = sk->idx;
        else
            l->acc_head = sk->idx;
        l->acc_tail = sk->idx;
    }
    /* The user closed the write side during the handshake: the FIN now follows. */
    tcp_set_state(st, sk, now, t->fin_queued ? SYNACK_FIN_WAIT_1 : SYNACK_ESTABLISHED);
}

/* ---- §3.10.7.4 helpers ----------------------------------------------------------------- */

static void challenge_ack(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    /* RFC 5961 §7: limit challenge ACKs per second, stack-wide, so that they cannot be
     * used to amplify or to probe. */
    if (now - st->chal_window_start >= 1000000 || st->chal_window_start == 0) {
        st->chal_window_start = now ? now : 1;
        st->chal_count = 0;
    }
    if (st->chal_count >= st->cfg.challenge_ack_limit) {
        stack_drop(st, now, SYNACK_DROP_TCP_CHALLENGE_LIMIT, NULL, 0, NULL, sk->idx);
        return;
    }
    st->chal_count++;
    st->stats.challenge_acks++;
    tcp_send_ack(st, sk, now);
}

/* RFC 9293 §3.10.7.4 First: the four cases of segment acceptability. */
static bool seq_acceptable(const struct tcb *t, uint32_t seq, uint32_t len)
{
    uint32_t wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    if (len == 0) {
        /* A segment without text at the window's right edge is taken too: it carries an
         * ACK and a window we must not ignore. A peer that filled our window sends its
         * pure ACKs with SEG.SEQ = RCV.NXT + RCV.WND; dropping them would stop our sender
         * until our reader drained, and our reader may be waiting for our sender (an echo):
         * a deadlock. RFC 9293 asks for "special allowance ... to accept valid ACKs" at a
         * zero window; Linux's tcp_sequence() accepts the edge likewise. */
        return seq_leq(t->rcv_nxt, seq) && seq_leq(seq, t->rcv_nxt + wnd);
    }
    /* RCV.WND = 0: no text is acceptable, "but special allowance should be made to accept
     * valid ACKs, URGs, and RSTs": at RCV.NXT the segment goes on with its text trimmed. */
    if (wnd == 0) return seq == t->rcv_nxt;
    return seq_in(seq, t->rcv_nxt, t->rcv_nxt + wnd) ||
           seq_in(seq + len - 1, t->rcv_nxt, t->rcv_nxt + wnd);
}

static bool our_fin_acked(const struct tcb *t)
{
    return t->fin_queued && seq_gt(t->snd_una, t->snd_buf_seq + t->snd.len);
}

/* New data acknowledged: SND.UNA advances, the send ring gives back space, RTT is sampled
 * and the congestion window grows or recovery progresses. */
static void ack_advance(struct synack_stack *st, struct sock *sk, uint64_t now,
                        const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    uint32_t acked = seg->ack - t->snd_una;
    uint32_t data_acked = 0;
    if (seq_gt(seg->ack, t->snd_buf_seq)) {
        data_acked = u32min(seg->ack - t->snd_buf_seq, t->snd.len);
        ring_consume(&t->snd, data_acked);
        t->snd_buf_seq += data_acked;
    }
    t->snd_una = seg->ack;
    if (seq_lt(t->snd_nxt, t->snd_una)) t->snd_nxt = t->snd_una;
    t->bytes_acked += data_acked;

    if (t->rtt_timing && seq_gt(seg->ack, t->rtt_seq)) {
        tcp_rtt_sample(t, now - t->rtt_start, st->cfg.rto_min_us, st->cfg.rto_max_us);
        t->rtt_timing = false;
    }
    t->rtx_count = 0;
    t->persist_shift = 0;
    t->t_persist = 0;

    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    if (t->in_recovery && t->undo_ok && o->has_ts && (int32_t)(o->ts_ecr - t->undo_ts) < 0) {
        /* Eifel detection (RFC 3522 §2): the first ACK of the retransmitted data echoes a
         * timestamp older than the retransmission, so the original arrived: it was
         * reordered, not lost. Response (RFC 4015): restore the window and leave recovery. */
        t->cwnd = t->cwnd > t->undo_cwnd ? t->cwnd : t->undo_cwnd;
        t->ssthresh = t->ssthresh > t->undo_ssthresh ? t->ssthresh : t->undo_ssthresh;
        t->in_recovery = t->sack_recovery = false;
        t->dupacks = 0;
        st->stats.spurious_retransmits++;
    }
    t->undo_ok = false;
    if (t->in_recovery && t->sack_recovery) {
        /* RFC 6675: the pipe, not cwnd inflation, paces recovery; it ends when everything
         * outstanding at its start is acknowledged, with cwnd = ssthresh. */
        if (seq_geq(seg->ack, t->recover)) {
            t->in_recovery = t->sack_recovery = false;
            t->cwnd = t->ssthresh;
            t->dupacks = 0;
        }
        if (seq_lt(t->high_rxt, t->snd_una)) t->high_rxt = t->snd_una;
    } else if (t->in_recovery) {
        if (seq_geq(seg->ack, t->recover)) {
            /* Full acknowledgment (RFC 6582 §3.2 step 3): leave recovery with
             * cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). */
            uint32_t flight = tcp_flight(t);
            uint32_t w = (flight > t->snd_mss ? flight : t->snd_mss) + t->snd_mss;
            t->cwnd = u32min(t->ssthresh, w);
            t->in_recovery = false;
            t->dupacks = 0;
        } else {
            /* Partial acknowledgment (step 4): retransmit the next hole, deflate cwnd by
             * what was acknowledged, add one SMSS back if at least one was. */
            tcp_retransmit_head(st, sk, now);
            t->cwnd = t->cwnd > acked ? t->cwnd - acked : t->snd_mss;
            if (acked >= t->snd_mss) t->cwnd += t->snd_mss;
            tcp_rtx_arm(st, t, now);
        }
    } else {
        t->dupacks = 0;
        t->cc->on_ack(t, acked, now);
    }
    /* RFC 6298 §5.2 and §5.3: stop the timer when all is acknowledged, else restart it. */
    if (t->snd_una == t->snd_max)
        t->t_rtx = 0;
    else
        tcp_rtx_arm(st, t, now);
    sock_notify(st, sk);
}

static void enter_recovery(struct synack_stack *st, struct sock *sk, uint64_t now);

/* RFC 5681 §2 duplicate ACK: nothing new acknowledged, data outstanding, no data, no
 * SYN/FIN, same window. Three start fast retransmit and NewReno recovery (RFC 6582). */
static void dup_ack(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->dupacks++;
    if (t->in_recovery) {
        /* NewReno: each dup ACK means a segment has left the network. */
        if (!t->sack_recovery) t->cwnd += t->snd_mss;
        return;
    }
    if (t->dupacks != 3) return;
    /* RFC 6582 §3.2 step 1: only if this loss is past the last recovery point. */
    if (!seq_gt(t->snd_una, t->recover) && t->recover != t->iss) {
        return;
    }
    enter_recovery(st, sk, now);
}

/* Fast retransmit: the first unacknowledged segment is lost. With SACK information the
 * recovery of RFC 6675 repairs every lost hole within a round trip (tcp_sack.c); without,
 * NewReno (RFC 6582) one per round trip. */
static void enter_recovery(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->undo_ok = t->ts_ok;
    t->undo_cwnd = t->cwnd;
    t->undo_ssthresh = t->ssthresh;
    t->undo_ts = tcp_ts_now(t, now);
    t->ssthresh = t->cc->ssthresh(t);
    st->stats.fast_retransmits++;
    t->dupacks = 0;
    if (t->sack_ok && t->sacked.n > 0) {
        t->recover = t->snd_max;
        t->in_recovery = t->sack_recovery = true;
        t->high_rxt = t->snd_una;
        t->cwnd = t->ssthresh;
        tcp_rtx_arm(st, t, now);
        tcp_output(st, sk, now);
        return;
    }
    t->recover = t->snd_max;
    t->in_recovery = true;
    tcp_retransmit_head(st, sk, now);
    t->cwnd = t->ssthresh + 3 * (uint32_t)t->snd_mss;
    tcp_rtx_arm(st, t, now);
}

static void process_fin(struct synack_stack *st, struct sock *sk, uint64_t now)
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
        if (our_fin_acked(t))
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
    sock_notify(st, sk);
}

/* Seventh step: segment text, in order or parked for reassembly. */
static void take_data(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t seq,
                      const uint8_t *data, uint32_t n, const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    uint32_t space = t->rcv.cap - t->rcv.len;
    uint32_t off = seq - t->rcv_nxt;
    if (off >= space) {
        drop(st, sk, now, SYNACK_DROP_TCP_NOT_ACCEPTABLE, seg);
        t->ack_now = true;
        return;
    }
    if (n > space - off) n = space - off; /* never beyond the ring, whatever was advertised */
    if (off == 0) {
        ring_write_at(&t->rcv, t->rcv.len, data, n);
        bool had_holes = t->reass.n > 0;
        uint32_t nxt = reass_advance(&t->reass, t->rcv_nxt + n);
        t->rcv.len += nxt - t->rcv_nxt;
        t->bytes_received += n;
        t->rcv_nxt = nxt;
        /* RFC 5681 §4.2: ACK at once when a segment fills a hole; otherwise at least every
         * second full-sized segment, or within the delayed-ACK time (RFC 9293 §3.8.6.3). */
        if (had_holes) {
            t->ack_now = true;
        } else if (++t->segs_unacked >= 2) {
            t->ack_now = true;
        } else if (!t->t_delack) {
            t->t_delack = now + st->cfg.delack_us;
        }
        sock_notify(st, sk);
    } else {
        if (reass_add(&t->reass, seq, seq + n) < 0) {
            drop(st, sk, now, SYNACK_DROP_TCP_REASS_FULL, seg);
        } else {
            ring_write_at(&t->rcv, t->rcv.len + off, data, n);
        }
        /* An out-of-order segment draws an immediate duplicate ACK (RFC 5681 §4.2). */
        t->ack_now = true;
    }
}

/* ---- §3.10.7.4 the synchronized states ------------------------------------------------- */

void tcp_input(struct synack_stack *st, struct sock *sk, uint64_t now, const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    uint16_t flags = seg->flags;

    if (t->state == SYNACK_CLOSED || t->state == SYNACK_LISTEN) {
        tcp_input_closed(st, now, seg);
        return;
    }
    if (t->state == SYNACK_SYN_SENT) {
        input_syn_sent(st, sk, now, seg);
        timer_update(st, sk);
        sock_notify(st, sk);
        return;
    }
    t->last_rcv_time = now;
    t->keep_probes = 0;

    /* SYN-RECEIVED and the peer's SYN again: either its retransmission (our SYN-ACK was
     * lost: send it again) or, in a simultaneous open, the peer's SYN,ACK that
     * acknowledges ours (RFC 9293 Figure 8, line 6: we are ESTABLISHED). */
    if (t->state == SYNACK_SYN_RECEIVED && (flags & SYNACK_TCP_SYN) && seg->seq == t->irs &&
        !(flags & SYNACK_TCP_RST)) {
        if ((flags & SYNACK_TCP_ACK) && seq_gt(seg->ack, t->snd_una) &&
            seq_leq(seg->ack, t->snd_max)) {
            establish(st, sk, now, seg, true);
            t->ack_now = true;
            tcp_output(st, sk, now);
        } else if (!(flags & SYNACK_TCP_ACK)) {
            t->ack_now = true;
            tcp_output(st, sk, now); /* SYN-RECEIVED output is the SYN,ACK */
        } else {
            drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
            tcp_send_rst_for(st, now, seg);
        }
        return;
    }

    /* PAWS (RFC 7323 §5.3): a timestamp older than the last one seen in order is from an
     * old duplicate; treat the segment as not acceptable. */
    if (t->ts_ok && o->has_ts && !(flags & SYNACK_TCP_RST) &&
        (int32_t)(o->ts_val - t->ts_recent) < 0) {
        drop(st, sk, now, SYNACK_DROP_TCP_NOT_ACCEPTABLE, seg);
        tcp_send_ack(st, sk, now);
        return;
    }

    /* First: is the segment in the window? If not, an ACK says where we are (unless it
     * is a reset), and it is dropped. In TIME-WAIT this is how a retransmitted FIN is
     * answered, and it restarts the 2*MSL wait (RFC 9293 §3.10.7.4, Eighth). */
    if (!seq_acceptable(t, seg->seq, seg->len)) {
        drop(st, sk, now,
             (flags & SYNACK_TCP_RST) ? SYNACK_DROP_TCP_RST_INVALID
                                      : SYNACK_DROP_TCP_NOT_ACCEPTABLE,
             seg);
        if (!(flags & SYNACK_TCP_RST)) {
            if (t->state == SYNACK_TIME_WAIT && (flags & SYNACK_TCP_FIN))
                t->t_tw = now + 2 * st->cfg.msl_us;
            tcp_send_ack(st, sk, now);
        }
        timer_update(st, sk);
        return;
    }
    /* Trim to the window: what precedes RCV.NXT was received already; what lies beyond
     * the right edge is not taken. */
    uint32_t seq = seg->seq;
    const uint8_t *data = seg->data;
    uint32_t dlen = seg->dlen;
    bool syn = flags & SYNACK_TCP_SYN, fin = flags & SYNACK_TCP_FIN;
    if (seq_lt(seq, t->rcv_nxt)) {
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
    uint32_t wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    uint32_t right = t->rcv_nxt + wnd;
    if (seq_gt(seq + dlen, right)) {
        dlen = seq_gt(right, seq) ? right - seq : 0;
        fin = false;
        t->ack_now = true; /* text beyond the window was dropped: say where we are */
    }

    /* Second: RST (RFC 5961 §3.2). Exactly RCV.NXT resets; anywhere else in the window
     * draws a challenge ACK, since a blind attacker has to guess the exact number. */
    if (flags & SYNACK_TCP_RST) {
        if (t->state == SYNACK_TIME_WAIT) {
            /* RFC 1337: a reset must not cut TIME-WAIT short ("TIME-WAIT assassination"),
             * or an old duplicate could be accepted by a new incarnation. */
            drop(st, sk, now, SYNACK_DROP_TCP_TIME_WAIT, seg);
            return;
        }
        if (seg->seq != t->rcv_nxt) {
            drop(st, sk, now, SYNACK_DROP_TCP_RST_CHALLENGED, seg);
            challenge_ack(st, sk, now);
            return;
        }
        st->stats.conn_reset++;
        switch (t->state) {
        case SYNACK_SYN_RECEIVED:
            /* Passive: the child goes away and the listener stays (back to LISTEN);
             * active (simultaneous open): "connection refused". */
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
        return;
    }

    /* Fourth: a SYN in a synchronized state (RFC 5961 §4): challenge ACK, whatever its
     * sequence number. The peer, if it really restarted, answers with a reset that has
     * the exact sequence number. */
    if (syn) {
        if (t->state == SYNACK_SYN_RECEIVED && t->passive) {
            /* "return this connection to the LISTEN state" */
            drop(st, sk, now, SYNACK_DROP_TCP_SYN_CHALLENGED, seg);
            tcp_done(st, sk, now, 0);
            return;
        }
        drop(st, sk, now, SYNACK_DROP_TCP_SYN_CHALLENGED, seg);
        challenge_ack(st, sk, now);
        return;
    }

    /* Fifth: the ACK field. */
    if (!(flags & SYNACK_TCP_ACK)) {
        drop(st, sk, now, SYNACK_DROP_TCP_NO_ACK, seg);
        return;
    }
    if (t->state == SYNACK_SYN_RECEIVED) {
        if (seq_gt(seg->ack, t->snd_una) && seq_leq(seg->ack, t->snd_max)) {
            establish(st, sk, now, seg, false);
        } else {
            /* <SEQ=SEG.ACK><CTL=RST> */
            drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
            tcp_send_rst_for(st, now, seg);
            return;
        }
    }
    /* RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]. An ACK for
     * data never sent draws an ACK (challenge, rate-limited); so does one too old: "MUST
     * be discarded and an ACK sent back" (RFC 9293 §3.10.7.4 Fifth). */
    if (seq_gt(seg->ack, t->snd_max)) {
        drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
        challenge_ack(st, sk, now);
        return;
    }
    if (seq_lt(seg->ack, t->snd_una - t->max_snd_wnd)) {
        drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
        challenge_ack(st, sk, now);
        return;
    }
    uint32_t new_wnd = (uint32_t)seg->s->tcp.window << t->snd_wscale;
    if (t->sack_ok && o->sack_count > 0)
        tcp_sack_on_ack(t, o, seq_gt(seg->ack, t->snd_una) ? seg->ack : t->snd_una);
    else if (t->sacked.n > 0)
        reass_trim_below(&t->sacked, seq_gt(seg->ack, t->snd_una) ? seg->ack : t->snd_una);
    if (seq_gt(seg->ack, t->snd_una)) {
        ack_advance(st, sk, now, seg);
    } else if (seg->ack == t->snd_una && t->snd_una != t->snd_max && seg->dlen == 0 &&
               !(flags & (SYNACK_TCP_SYN | SYNACK_TCP_FIN)) && new_wnd == t->snd_wnd) {
        dup_ack(st, sk, now);
    }
    /* RFC 6675 §5 (b): enough SACKed data above SND.UNA starts recovery too. */
    if (!t->in_recovery && tcp_sack_should_recover(t) &&
        (seq_gt(t->snd_una, t->recover) || t->recover == t->iss))
        enter_recovery(st, sk, now);
    /* Window update, only from a segment newer than the last one used (RFC 9293
     * §3.10.7.4: SND.WL1 < SEG.SEQ, or equal and SND.WL2 =< SEG.ACK). */
    if (seq_lt(t->snd_wl1, seg->seq) || (t->snd_wl1 == seg->seq && seq_leq(t->snd_wl2, seg->ack))) {
        if (new_wnd > t->snd_wnd) {
            t->t_persist = 0;
            t->persist_shift = 0;
        }
        t->snd_wnd = new_wnd;
        if (new_wnd > t->max_snd_wnd) t->max_snd_wnd = new_wnd;
        t->snd_wl1 = seg->seq;
        t->snd_wl2 = seg->ack;
    }
    /* Timestamps (RFC 7323 §4.3): remember the peer's clock from in-order segments. */
    if (t->ts_ok && o->has_ts && seq_leq(seg->seq, t->rcv_nxt)) t->ts_recent = o->ts_val;

    switch (t->state) {
    case SYNACK_FIN_WAIT_1:
        if (our_fin_acked(t)) {
            tcp_set_state(st, sk, now, SYNACK_FIN_WAIT_2);
            /* An orphaned FIN-WAIT-2 waits at most 2*MSL for the peer's FIN, so a peer
             * that never closes cannot hold the entry forever (Linux: tcp_fin_timeout). */
            if (!sk->user_open) t->t_tw = now + 2 * st->cfg.msl_us;
        }
        break;
    case SYNACK_CLOSING:
        if (our_fin_acked(t)) {
            tcp_enter_time_wait(st, sk, now);
            return;
        }
        break;
    case SYNACK_LAST_ACK:
        if (our_fin_acked(t)) {
            tcp_done(st, sk, now, 0);
            return;
        }
        break;
    default:
        break;
    }

    /* Sixth: URG. The urgent pointer is ignored; urgent bytes are ordinary data here
     * (RFC 6093 recommends against using urgent data). */

    /* Seventh: segment text, in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 only. */
    if (dlen > 0) {
        bool open_rcv = t->state == SYNACK_ESTABLISHED || t->state == SYNACK_FIN_WAIT_1 ||
                        t->state == SYNACK_FIN_WAIT_2;
        if (!open_rcv || t->fin_rcvd) {
            drop(st, sk, now, SYNACK_DROP_TCP_AFTER_CLOSE, seg);
        } else if ((!sk->user_open && sk->parent < 0) || sk->shut_rd) {
            /* Nobody will read this: tell the peer at once with a reset rather than
             * acknowledge data that is thrown away (RFC 1122 §4.2.2.13, as Linux does). */
            drop(st, sk, now, SYNACK_DROP_TCP_AFTER_CLOSE, seg);
            tcp_send_rst(st, sk, now);
            tcp_done(st, sk, now, SYNACK_ECONNABORTED);
            return;
        } else {
            take_data(st, sk, now, seq, data, dlen, seg);
        }
    }

    /* Eighth: FIN. In order, it ends the peer's stream; beyond a hole it waits. */
    if (fin && t->state != SYNACK_TIME_WAIT && !t->fin_rcvd) {
        uint32_t fin_seq = seq + dlen;
        if (fin_seq == t->rcv_nxt) {
            process_fin(st, sk, now);
        } else if (seq_gt(fin_seq, t->rcv_nxt)) {
            t->ooo_fin = true;
            t->ooo_fin_seq = fin_seq;
            t->ack_now = true;
        }
    } else if (fin && t->state == SYNACK_TIME_WAIT) {
        t->ack_now = true;
        t->t_tw = now + 2 * st->cfg.msl_us;
    }
    if (t->ooo_fin && t->ooo_fin_seq == t->rcv_nxt && !t->fin_rcvd) process_fin(st, sk, now);

    if (t->state != SYNACK_CLOSED) {
        tcp_output(st, sk, now);
        timer_update(st, sk);
    }
    sock_notify(st, sk);
}

/* ---- TIME-WAIT and a new SYN ------------------------------------------------------------ */

bool tcp_time_wait_accepts_syn(struct synack_stack *st, struct sock *sk, uint64_t now,
                               const struct tcp_seg *seg, uint32_t *isn)
{
    struct tcb *t = &sk->tcb;
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    /* RFC 9293 §3.10.7.4 (note on TIME-WAIT) and RFC 6191: a new SYN may reopen the pair
     * when it cannot be confused with the old connection: its sequence number is above
     * the old RCV.NXT, or, with timestamps, its timestamp is newer than the last seen. */
    bool ok = seq_gt(seg->seq, t->rcv_nxt);
    if (t->ts_ok && o->has_ts) ok = (int32_t)(o->ts_val - t->ts_recent) > 0;
    if (!ok) return false;
    /* The new ISN starts beyond anything the old connection may still have in flight. */
    *isn = t->snd_nxt + 65535 + 2;
    tcp_done(st, sk, now, 0); /* frees the entry, or unhashes it if the user holds it */
    return true;
}

void tcp_icmp_error(struct synack_stack *st, struct sock *sk, uint64_t now, int err)
{
    struct tcb *t = &sk->tcb;
    /* RFC 1122 §4.2.3.9 and RFC 5461: a hard error during the handshake fails the
     * connection attempt; once synchronized, ICMP errors are only reported, never fatal. */
    if (t->state == SYNACK_SYN_SENT)
        tcp_done(st, sk, now, err);
    else if (t->state == SYNACK_SYN_RECEIVED && t->passive)
        tcp_done(st, sk, now, 0);
}
