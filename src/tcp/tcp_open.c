/*
 * tcp/tcp_open.c - how connections begin: SEGMENT ARRIVES in CLOSED (§3.10.7.1), LISTEN
 * (§3.10.7.2, with SYN cookies when the queue is full, RFC 4987 §3.6) and SYN-SENT
 * (§3.10.7.3); the options of a SYN; the move to ESTABLISHED; a new SYN reopening a
 * TIME-WAIT pair (RFC 6191); ICMP errors during the handshake (RFC 1122 §4.2.3.9).
 */
#include <string.h>

#include "tcp/ip_out.h"
#include "tcp/stack.h"
#include "tcp/tcp_in.h"

/* ---- §3.10.7.1 CLOSED ------------------------------------------------------------------ */

void tcp_input_closed(struct synack_stack *st, uint64_t now, const struct tcp_seg *seg)
{
    /* "An incoming segment containing a RST is discarded. An incoming segment not
     * containing a RST causes a RST to be sent in response." */
    tcp_drop(st, NULL, now, SYNACK_DROP_TCP_NO_SOCKET, seg);
    tcp_send_rst_for(st, now, seg);
}

/* ---- options of a SYN (RFC 9293 §3.7.1, RFC 7323, RFC 2018) --------------------------- */

uint16_t tcp_mss_from_peer(uint32_t peer_mss, uint32_t link_mss, uint16_t user_mss, bool ts_ok)
{
    /* A tiny MSS option would make us send a flood of tiny segments; 64 is the floor
     * (Linux uses 48). The floor is for the peer's claim only: our own device's limit
     * stands above it, since a segment larger than the device's MTU is never sent at all
     * (cfg.mtu may be as low as IPv4's 68, RFC 791, which leaves 28 bytes). */
    uint32_t mss = peer_mss;
    if (user_mss && mss > user_mss) mss = user_mss;
    if (mss < 64) mss = 64;
    if (mss > link_mss) mss = link_mss;
    /* Every segment will carry the 12-byte timestamp option (10 + 2 NOPs). */
    if (ts_ok) mss -= 12;
    return (uint16_t)mss;
}

struct tcp_peer_opts tcp_peer_opts_of(const struct synack_stack *st, const struct tcp_seg *seg)
{
    /* An option is agreed when both SYNs carry it (RFC 7323 §1.3, RFC 2018 §2): the stack's
     * switches say which we offer (as Linux's tcp_window_scaling, tcp_sack, tcp_timestamps). */
    bool we_ws = !st->cfg.no_window_scaling, we_sack = !st->cfg.no_sack,
         we_ts = !st->cfg.no_timestamps;
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    struct tcp_peer_opts p;
    memset(&p, 0, sizeof p);
    /* MUST-15: without an MSS option, assume 536 over IPv4, 1220 over IPv6 (RFC 9293
     * §3.7.1). */
    p.mss = o->has_mss ? o->mss : tcp_default_mss(&seg->s->src);
    p.wscale_ok = o->has_wscale && we_ws;
    /* RFC 7323 §2.3: a shift above 14 is treated as 14. */
    p.wscale = p.wscale_ok ? (o->wscale > 14 ? 14 : o->wscale) : 0;
    p.sack_ok = o->sack_permitted && we_sack;
    p.ts_ok = o->has_ts && we_ts;
    p.ts_val = o->ts_val;
    return p;
}

/* The TCB takes what the peer's SYN offered (and we agreed to). */
static void tcb_take_options(struct synack_stack *st, struct tcb *t, uint64_t now,
                             const struct tcp_peer_opts *p)
{
    t->wscale_ok = p->wscale_ok;
    if (t->wscale_ok) {
        t->snd_wscale = p->wscale;
    } else {
        t->snd_wscale = 0;
        t->rcv_wscale = 0;
    }
    t->sack_ok = p->sack_ok;
    t->ts_ok = p->ts_ok;
    if (t->ts_ok) {
        t->ts_recent = p->ts_val;
        t->ts_recent_time = now;
    }
    /* The device's MTU, or a path's found smaller. */
    t->snd_mss = tcp_mss_from_peer(p->mss, tcp_pmtu_mss(st, t), t->user_mss, t->ts_ok);
    t->cc->init(t);
}

/* ---- §3.10.7.2 LISTEN ------------------------------------------------------------------ */

/* A passive connection born from listener lsk with what its handshake agreed (p): from a
 * half-open request's ACK (tcp_req.c, promotion) or from a SYN cookie's ACK. The one
 * place a passive socket is made. It is a copy of its listener, in LISTEN (its first
 * change of state is the listener's own LISTEN -> SYN-RECEIVED of RFC 9293; birth is not
 * a change of state, so it is not traced: the caller moves it on), with its SYN-ACK
 * counted as sent (SND.NXT = ISS + 1, and the window that SYN-ACK offered), hashed, and
 * counted in the listener's backlog until it is established. NULL when the socket table
 * is full (the caller decides what that segment gets). No rings yet: tcp_establish. */
struct sock *tcp_child_new(struct synack_stack *st, struct sock *lsk, uint64_t now,
                           const struct tcp_child *p)
{
    struct sock *c = sock_alloc(st);
    if (!c) return NULL;
    struct tcb *t = &c->tcb;
    t->laddr = p->laddr;
    t->lport = p->lport;
    t->raddr = p->raddr;
    t->rport = p->rport;
    t->passive = true;
    c->bound = true;
    c->parent = lsk->idx;
    c->sndbuf = lsk->sndbuf;
    c->rcvbuf = lsk->rcvbuf;
    c->rcvbuf_set = lsk->rcvbuf_set;
    c->linger = lsk->linger;
    c->reuseaddr = lsk->reuseaddr;
    c->cc = lsk->cc;
    c->ecn_opt = lsk->ecn_opt;
    c->tos = lsk->tos; /* IP_TOS and IPV6_TCLASS, as Linux's sk_clone */
    c->tclass = lsk->tclass;
    c->pmtudisc_x = lsk->pmtudisc_x;
    c->pmtudisc6_x = lsk->pmtudisc6_x;
    c->zerocopy = lsk->zerocopy; /* SO_ZEROCOPY and SO_TIMESTAMPING's bits, as Linux's clone */
    c->ts_flags = lsk->ts_flags & ~SYNACK_TS_OPT_ID;
    t->ecn_ok = p->ecn_ok;
    t->nodelay = lsk->tcb.nodelay;
    t->cork = lsk->tcb.cork;
    t->notsent_lowat = lsk->tcb.notsent_lowat;
    t->keepalive = lsk->tcb.keepalive;
    t->keep_idle_us = lsk->tcb.keep_idle_us;
    t->keep_intvl_us = lsk->tcb.keep_intvl_us;
    t->keep_cnt = lsk->tcb.keep_cnt;
    t->user_timeout_us = lsk->tcb.user_timeout_us;
    t->user_mss = lsk->tcb.user_mss;
    tcb_defaults(st, c);
    t->ts_offset = p->has_ts_offset ? p->ts_offset : (uint32_t)stack_random(st);
    t->rcv_wscale = p->rcv_wscale;
    t->last_rcv_time = now;
    tcb_take_options(st, t, now, &p->opts);
    if (t->ts_ok) t->ts_recent_time = p->ts_recent_time;
    t->state = SYNACK_LISTEN;
    /* Sequence state: our ISN iss, the peer's irs (RCV.NXT = irs + 1). */
    t->irs = p->irs;
    t->rcv_nxt = p->irs + 1;
    t->iss = p->iss;
    t->snd_una = p->iss;
    t->snd_nxt = t->snd_max = p->iss + 1; /* the SYN-ACK */
    t->snd_buf_seq = p->iss + 1;
    t->snd_small_end = p->iss;
    t->recover = p->iss;
    t->snd_wnd = p->snd_wnd;
    t->max_snd_wnd = p->snd_wnd;
    t->snd_wl1 = p->irs;
    t->snd_wl2 = p->iss;
    /* The SYN-ACK's window: min(rcvbuf, 65535), never scaled (RFC 7323 §2.2). */
    t->rcv_adv = t->rcv_nxt + (c->rcvbuf < 65535 ? c->rcvbuf : 65535);
    if (p->replaces)
        conntab_replace(&st->ct, p->replaces, &c->ct);
    else
        sock_hash(st, c);
    lsk->n_syn++;
    return c;
}

/* No room for a half-open connection (the listener's queue is full, or no request record
 * is free): answer with a SYN cookie and keep nothing. The listener remembers that it did,
 * so that ACKs are checked for cookies only for as long as one may come back. */
static void send_cookie(struct synack_stack *st, struct sock *lsk, uint64_t now,
                        const struct tcp_seg *seg)
{
    struct tcp_syncookie ck;
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = seg->s->tcp.dport;
    h.dport = seg->s->tcp.sport;
    h.seq = tcp_syncookie_make(st, seg, now, tcp_ecn_accepts(st, lsk), &ck);
    h.ack = seg->seq + 1;
    h.flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK | (ck.ecn_ok ? SYNACK_TCP_ECE : 0);
    /* The window of a SYN is never scaled (RFC 7323 §2.2). */
    h.window = (uint16_t)(lsk->rcvbuf < 65535 ? lsk->rcvbuf : 65535);
    /* Our MSS: the peer's (bucketed) rides in the cookie, for our own sending. */
    h.opts.has_mss = true;
    h.opts.mss = tcp_rcv_mss_for(st, &seg->s->dst, lsk->tcb.user_mss);
    if (ck.wscale_ok) {
        h.opts.has_wscale = true;
        h.opts.wscale = tcp_rcv_wscale_for(lsk->rcvbuf);
    }
    h.opts.sack_permitted = ck.sack_ok;
    if (ck.ts_ok) {
        h.opts.has_ts = true;
        h.opts.ts_val = ck.tsval;
        h.opts.ts_ecr = seg->s->tcp.opts.ts_val;
    }
    lsk->cookies_until = now + tcp_syncookie_lifetime();
    if (ip_output_tcp(st, now, lsk->idx, &h, &seg->s->dst, &seg->s->src, NULL, 0, 0,
                      IP_OUT_TOS(sock_ds(lsk, seg->s->dst.family))) == 0)
        st->stats.syn_cookies_sent++;
}

void tcp_child_of(struct tcp_child *p, const struct tcp_seg *seg)
{
    memset(p, 0, sizeof *p);
    p->laddr = seg->s->dst;
    p->lport = seg->s->tcp.dport;
    p->raddr = seg->s->src;
    p->rport = seg->s->tcp.sport;
}

/* The connection a valid cookie describes: options from the cookie, sequence numbers from
 * the ACK, and the SYN-ACK that carried the cookie counted as sent. NULL without a socket. */
static struct sock *cookie_child(struct synack_stack *st, struct sock *lsk, uint64_t now,
                                 const struct tcp_seg *seg, const struct tcp_syncookie *ck)
{
    struct tcp_child p;
    tcp_child_of(&p, seg);
    p.iss = seg->ack - 1;
    p.irs = seg->seq - 1;
    p.opts.mss = ck->mss;
    p.opts.wscale_ok = ck->wscale_ok;
    p.opts.wscale = ck->wscale_ok ? ck->snd_wscale : 0;
    p.opts.sack_ok = ck->sack_ok;
    p.opts.ts_ok = ck->ts_ok;
    p.opts.ts_val = seg->s->tcp.opts.ts_val;
    p.ecn_ok = ck->ecn_ok;
    p.ts_recent_time = now;
    p.rcv_wscale = tcp_rcv_wscale_for(lsk->rcvbuf);
    /* The ACK's window is scaled already. */
    p.snd_wnd = (uint32_t)seg->s->tcp.window << p.opts.wscale;
    struct sock *c = tcp_child_new(st, lsk, now, &p);
    if (!c) return NULL;
    /* The clock the cookie's TSval was read from goes on (syncookie.c). */
    if (ck->ts_ok) c->tcb.ts_offset = tcp_syncookie_ts_offset(st, seg);
    st->stats.conn_opened_passive++;
    tcp_set_state(st, c, now, SYNACK_SYN_RECEIVED);
    return c;
}

/* An ACK to a listener that may return one of our cookies. True when it was taken care of
 * here; false when it is no cookie (the caller resets it, as any stray ACK). */
static bool accept_cookie(struct synack_stack *st, struct sock *lsk, uint64_t now,
                          const struct tcp_seg *seg)
{
    /* Only for as long as a cookie sent may come back: otherwise a flood of ACKs would
     * each cost a hash, and a forger would have the whole time to guess. */
    if ((seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST)) || now >= lsk->cookies_until) return false;
    struct tcp_syncookie ck;
    if (!tcp_syncookie_check(st, seg, now, &ck)) {
        st->stats.syn_cookies_failed++;
        return false;
    }
    struct sock *c = lsk->acceptq.n < lsk->backlog ? cookie_child(st, lsk, now, seg, &ck) : NULL;
    if (!c) {
        st->stats.syn_cookies_no_room++;
        tcp_no_room_for(st, lsk, now, seg);
        return true;
    }
    st->stats.syn_cookies_accepted++;
    tcp_input(st, c, now, seg);
    return true;
}

void tcp_no_room_for(struct synack_stack *st, struct sock *lsk, uint64_t now,
                     const struct tcp_seg *seg)
{
    /* A real client, and no room for it. With data (or a FIN) in this ACK, it will send
     * again and this same ACK may find room then: drop it silently, as Linux does. A bare
     * ACK is never sent again, and its client would believe in a connection that does
     * not exist: tell it at once. */
    st->stats.handshakes_no_room++;
    tcp_drop(st, lsk, now, SYNACK_DROP_TCP_BACKLOG_FULL, seg);
    if (seg->dlen == 0 && !(seg->flags & SYNACK_TCP_FIN)) tcp_send_rst_for(st, now, seg);
}

void tcp_input_listen(struct synack_stack *st, struct sock *lsk, uint64_t now,
                      const struct tcp_seg *seg, const uint32_t *isn)
{
    /* First: "An incoming RST segment could not be valid ... ignore it." */
    if (seg->flags & SYNACK_TCP_RST) {
        tcp_drop(st, lsk, now, SYNACK_DROP_TCP_LISTEN_BAD, seg);
        return;
    }
    /* Second: an ACK to a listener is from some old or forged connection:
     * <SEQ=SEG.ACK><CTL=RST>; unless it returns one of our SYN cookies. */
    if (seg->flags & SYNACK_TCP_ACK) {
        if (accept_cookie(st, lsk, now, seg)) return;
        tcp_drop(st, lsk, now, SYNACK_DROP_TCP_LISTEN_BAD, seg);
        tcp_send_rst_for(st, now, seg);
        return;
    }
    if (!(seg->flags & SYNACK_TCP_SYN)) {
        tcp_drop(st, lsk, now, SYNACK_DROP_TCP_LISTEN_BAD, seg);
        return;
    }
    /* Third: a SYN. Flags are tested by masking, so PSH or URG beside it change nothing;
     * ECE and CWR together ask for ECN, which the request record or the cookie agrees to
     * if the listener does (tcp_ecn.c, RFC 3168 §6.1.1). */
    if (lsk->n_syn + lsk->acceptq.n >= lsk->backlog) {
        /* Half-open connections fill the queue (a SYN flood, or a burst): a cookie keeps
         * real clients coming in. With the accept queue itself full there is no room
         * for them either; no reset: the client's retransmission tries again. */
        if (lsk->acceptq.n < lsk->backlog)
            send_cookie(st, lsk, now, seg);
        else
            tcp_drop(st, lsk, now, SYNACK_DROP_TCP_BACKLOG_FULL, seg);
        return;
    }
    /* TCP Fast Open (RFC 7413 §4.2.2): a valid cookie with data makes the connection at
     * once; otherwise the SYN-ACK may carry a cookie. */
    struct tcp_fo_reply fo;
    if (tcp_fastopen_syn(st, lsk, now, seg, isn, &fo)) return;
    /* Room: a small request record remembers the half-open connection (tcp_req.c). */
    if (tcp_req_open(st, lsk, now, seg, isn, &fo)) return;
    /* No record free: a cookie answers without keeping anything, and the client gets in
     * as soon as its ACK finds a socket (RFC 4987 §3.6). */
    st->stats.syn_cookies_table_full++;
    send_cookie(st, lsk, now, seg);
}

/* ---- §3.10.7.3 SYN-SENT ---------------------------------------------------------------- */

enum tcp_verdict tcp_input_syn_sent(struct synack_stack *st, struct sock *sk, uint64_t now,
                                    const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    bool ack_ok = false;
    /* First: the ACK, if any, must acknowledge our SYN: ISS < SEG.ACK =< SND.NXT. */
    if (seg->flags & SYNACK_TCP_ACK) {
        if (seq_leq(seg->ack, t->iss) || seq_gt(seg->ack, t->snd_max)) {
            tcp_drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
            if (!(seg->flags & SYNACK_TCP_RST)) tcp_send_rst_for(st, now, seg);
            return TCP_STOP;
        }
        ack_ok = true;
        /* PAWS for an active open, as Linux (tcp_rcv_synsent_state_process; RFC 7323
         * §5.3: the echo returns a TSval we sent): a timestamp echo that is not between
         * our first SYN's TSval and now's answers no SYN of ours, and is refused as a bad
         * ACK is. */
        const struct synack_tcp_opts *o = &seg->s->tcp.opts;
        if (o->has_ts && o->ts_ecr && !st->cfg.no_timestamps &&
            (seq_lt(o->ts_ecr, tcp_ts_now(t, t->syn_time)) ||
             seq_gt(o->ts_ecr, tcp_ts_now(t, now)))) {
            tcp_drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
            if (!(seg->flags & SYNACK_TCP_RST)) tcp_send_rst_for(st, now, seg);
            return TCP_STOP;
        }
    }
    /* Second: a reset is believed only with an acceptable ACK: "connection refused". */
    if (seg->flags & SYNACK_TCP_RST) {
        if (ack_ok) {
            tcp_done(st, sk, now, SYNACK_ECONNREFUSED);
            return TCP_GONE;
        }
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_RST_INVALID, seg);
        return TCP_STOP;
    }
    /* Fourth: the SYN. */
    if (!(seg->flags & SYNACK_TCP_SYN)) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_NOT_ACCEPTABLE, seg);
        return TCP_STOP;
    }
    t->irs = seg->seq;
    t->rcv_nxt = seg->seq + 1;
    t->rcv_adv = t->rcv_nxt;
    struct tcp_peer_opts po = tcp_peer_opts_of(st, seg);
    tcb_take_options(st, t, now, &po);
    if (ack_ok) {
        /* A SYN that used TCP Fast Open: the cookie cache learns from the answer, and the
         * data it does not acknowledge goes again (RFC 7413 §4.2.1). */
        tcp_fastopen_synack(st, sk, now, seg);
        /* SYN,ACK: our SYN is acknowledged, we are ESTABLISHED and answer with the third
         * segment of the handshake, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. Its ECE says
         * whether ECN was agreed (RFC 3168 §6.1.1). */
        tcp_ecn_synack_in(t, seg->flags);
        if (!tcp_establish(st, sk, now, seg, true)) return TCP_GONE;
        /* "If there are other controls or text in the segment, then continue processing
         * at the sixth step": text and a FIN riding on the SYN,ACK are taken. */
        if (seg->dlen > 0) tcp_take_data(st, sk, now, seg->seq + 1, seg->data, seg->dlen, seg);
        if ((seg->flags & SYNACK_TCP_FIN) && t->rcv_nxt == seg->seq + 1 + seg->dlen)
            tcp_process_fin(st, sk, now);
        /* A writer waits for the handshake (SYNACK_OPT_WRITE_PENDING): Linux's
         * tcp_rcv_synsent_state_process saves the ACK for the writer's data for up to
         * TCP_DELACK_MAX (200 ms), a delay RFC 9293 §3.8.6.3 allows (under 0.5 s); data
         * queued now carries it at once, and tcp_output's ACK clears the timer. */
        if (t->writer_waits && !t->fin_rcvd && seg->dlen == 0) {
            t->writer_waits = false;
            t->t_delack = now + TCP_SYNACK_DELACK_US;
        } else {
            t->writer_waits = false;
            t->ack_now = true;
        }
        return TCP_REPLY; /* the one exit sends the ACK */
    }
    /* A SYN without ACK: simultaneous open (RFC 9293 Figure 8). Answer
     * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> from SYN-RECEIVED. */
    t->snd_wnd = seg->s->tcp.window;
    t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = seg->seq;
    t->snd_wl2 = t->iss;
    t->passive = false;
    /* RFC 3168 does not say how a simultaneous open agrees to ECN: it goes without. */
    t->ecn_asked = t->ecn_ok = false;
    tcp_set_state(st, sk, now, SYNACK_SYN_RECEIVED);
    tcp_send_syn(st, sk, now);
    return TCP_STOP;
}

/* Our SYN is acknowledged by seg: the connection is ESTABLISHED. */
bool tcp_establish(struct synack_stack *st, struct sock *sk, uint64_t now,
                   const struct tcp_seg *seg, bool syn_seg)
{
    struct tcb *t = &sk->tcb;
    /* A passive connection gets its rings now (tcb_rings): without memory for them it
     * cannot carry data, and the peer is told at once. */
    if (tcb_rings(st, sk) < 0) {
        tcp_send_rst(st, sk, now);
        tcp_done(st, sk, now, SYNACK_ENOMEM);
        return false;
    }
    /* A connection born from a SYN with data (RFC 7413 §4.2.2) may have sent data before
     * this ACK: what it acknowledges beyond the SYN-ACK is the fifth step's to take (the
     * send ring, RTT, the window), which follows. */
    t->snd_una = t->tfo_child && seq_gt(seg->ack, t->iss + 1) ? t->iss + 1 : seg->ack;
    t->delivered = 1; /* our SYN (or SYN-ACK), with the data it carried: one packet (Linux) */
    t->est_time = now;
    /* Linux's sk_write_pending: a writer that waited for the handshake, i.e. data queued
     * beyond what the SYN itself carried (a Fast Open SYN's data sent again is not one). */
    uint32_t syn_end = t->iss + 1 + t->syn_data_len;
    t->est_write_pending =
        !t->passive && seq_lt(seq_gt(t->snd_una, syn_end) ? t->snd_una : syn_end, tcp_data_end(t));
    if (seq_lt(t->snd_nxt, t->snd_una)) t->snd_nxt = t->snd_una;
    /* RFC 7323 §2.2: the window of a SYN segment is not scaled; afterwards it is. */
    t->snd_wnd = (uint32_t)seg->s->tcp.window << (syn_seg ? 0 : t->snd_wscale);
    if (t->snd_wnd > t->max_snd_wnd) t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = seg->seq;
    t->snd_wl2 = seg->ack;
    /* The handshake's round trip is a sample, unless the SYN was sent twice (Karn). */
    if (!t->syn_retransmitted && t->rtt_timing) {
        tcp_rtt_sample(t, now - t->rtt_start, &st->cfg);
        tcp_min_rtt_sample(t, now - t->rtt_start, now);
    } else if (t->syn_retransmitted && !t->rtt_valid) {
        /* RFC 6298 §5.7: after a lost SYN, data starts with a 3-second RTO. */
        if (t->rto < 3000000) t->rto = 3000000;
    }
    t->rtt_timing = false;
    t->rtx_count = 0;
    t->t_rtx = 0;
    st->stats.conn_established++;
    /* A connection born from a SYN with data (RFC 7413) waits in the accept queue since. */
    if (sk->tfo_counted_by) tcp_fastopen_child_left(st, sk);
    if (sk->parent >= 0 && !sk->acc.linked) accept_queue_push(st, sk);
    /* The user closed the write side during the handshake: the FIN now follows. */
    tcp_set_state(st, sk, now, t->fin_queued ? SYNACK_FIN_WAIT_1 : SYNACK_ESTABLISHED);
    return true;
}

/* ---- TIME-WAIT and a new SYN; ICMP ------------------------------------------------------ */

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
     * connection attempt; once synchronized, ICMP errors are soft: recorded for the user
     * (synack_getinfo, and the error a later timeout reports, as Linux's sk_err_soft),
     * never fatal. */
    if (t->state == SYNACK_SYN_SENT) {
        tcp_done(st, sk, now, err);
    } else if (t->state == SYNACK_SYN_RECEIVED && t->tfo_child && sk->parent >= 0) {
        /* A connection born from a SYN with data (RFC 7413) is already the accept
         * queue's: as Linux's Fast Open child it stays there, closed, with its data and
         * the error to report (tcp_done_keep). */
        tcp_done_keep(st, sk, now, err);
    } else if (t->state == SYNACK_SYN_RECEIVED && t->passive) {
        tcp_done(st, sk, now, 0);
    } else {
        t->soft_error = err;
        t->soft_error_una = t->snd_una;
        st->stats.icmp_soft_errors++;
    }
}
