/*
 * tcp/tcp_req.c - half-open passive connections as small request records (Linux's
 * request_sock): a SYN to a listener with room makes a struct tcp_req (stack.h, at most
 * 256 bytes, from a pool allocated with the stack), not a socket. The record sends and
 * repeats the SYN-ACK, answers what arrives as RFC 9293 §3.10.7.4 says a passive
 * SYN-RECEIVED connection does, and, when the handshake's ACK comes, becomes a socket
 * (promotion: tcp_child_new, the same door a SYN cookie's ACK goes through), which the ACK
 * then establishes in tcp_input. A flood of SYNs thus costs records, never socket slots or
 * rings; each record ends with its SYN-ACK retries (cfg.synack_retries, ~63 s).
 *
 * A request is traced as the SYN-RECEIVED child it stands for: LISTEN -> SYN-RECEIVED when
 * it is made, SYN-RECEIVED -> CLOSED when it goes; the promoted socket's first traced
 * change is SYN-RECEIVED -> ESTABLISHED. Its sd, in traces and for synack_getinfo, is
 * max_sockets + its index.
 */
#include <string.h>

#include "tcp/ip_out.h"
#include "tcp/stack.h"
#include "tcp/tcp_in.h"

/* RFC 7323 §5.5: TS.Recent older than 24 days is invalid (as tcp_check.c). */
#define REQ_PAWS_IDLE_US (24ull * 86400 * 1000000)

static const struct sock *listener_of(const struct synack_stack *st, const struct tcp_req *rq)
{
    return rq->listener >= 0 && (uint32_t)rq->listener < st->nsocks ? &st->socks[rq->listener]
                                                                    : NULL;
}

static void req_drop(struct synack_stack *st, const struct tcp_req *rq, uint64_t now, int reason,
                     const struct tcp_seg *seg)
{
    stack_drop(st, now, reason, NULL, 0, seg->s, tcp_req_sd(st, rq));
}

static struct synack_trace_event req_event(const struct synack_stack *st, const struct tcp_req *rq,
                                           int kind, uint64_t now)
{
    struct synack_trace_event ev = {.kind = kind,
                                    .now = now,
                                    .sd = tcp_req_sd(st, rq),
                                    .local_addr = rq->laddr,
                                    .local_port = rq->ct.key.lport,
                                    .remote_addr = rq->raddr,
                                    .remote_port = rq->ct.key.rport};
    return ev;
}

static void trace_state(struct synack_stack *st, const struct tcp_req *rq, uint64_t now,
                        int old_state, int new_state)
{
    if (!stack_tracing(st)) return;
    struct synack_trace_event ev = req_event(st, rq, SYNACK_TRACE_STATE, now);
    ev.old_state = old_state;
    ev.new_state = new_state;
    stack_trace(st, &ev);
}

/* The window our SYN-ACK offers: the buffer the connection will get, never scaled in a SYN
 * (RFC 7323 §2.2). */
static uint32_t req_window(const struct synack_stack *st, const struct tcp_req *rq)
{
    const struct sock *l = listener_of(st, rq);
    uint32_t buf = l ? l->rcvbuf : st->cfg.rcvbuf;
    return buf < 65535 ? buf : 65535;
}

/* The MSS we advertise (as tcb_defaults computes it for a socket). */
static uint16_t req_rcv_mss(const struct synack_stack *st, const struct tcp_req *rq)
{
    const struct sock *l = listener_of(st, rq);
    return tcp_rcv_mss_for(st, &rq->laddr, l ? l->tcb.user_mss : 0);
}

/* The retransmission timeout after `backoff` timeouts (RFC 6298 §5.5), as
 * tcp_rto_backed_off for a socket that has no RTT sample. */
static uint64_t req_rto(const struct synack_stack *st, const struct tcp_req *rq)
{
    uint32_t shift = rq->backoff > 20 ? 20 : rq->backoff;
    uint64_t rto = st->cfg.rto_initial_us << shift;
    return rto > st->cfg.rto_max_us ? st->cfg.rto_max_us : rto;
}

static void req_header(const struct tcp_req *rq, uint16_t flags, struct synack_tcp_hdr *h)
{
    memset(h, 0, sizeof *h);
    h->sport = rq->ct.key.lport;
    h->dport = rq->ct.key.rport;
    h->flags = flags;
    h->ack = rq->irs + 1;
}

/* <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> with the options tcp_send_segment offers on a
 * SYN-ACK: MSS, and what the peer's SYN offered of window scale, SACK and timestamps. */
static void send_synack(struct synack_stack *st, struct tcp_req *rq, uint64_t now,
                        const struct tcp_fo_reply *fo)
{
    struct synack_tcp_hdr h;
    /* An ECN-setup SYN-ACK carries ECE alone (RFC 3168 §6.1.1). */
    req_header(rq, SYNACK_TCP_SYN | SYNACK_TCP_ACK | (rq->ecn_ok ? SYNACK_TCP_ECE : 0), &h);
    h.seq = rq->iss;
    h.window = (uint16_t)req_window(st, rq);
    h.opts.has_mss = true;
    h.opts.mss = req_rcv_mss(st, rq);
    if (rq->wscale_ok) {
        h.opts.has_wscale = true;
        h.opts.wscale = rq->rcv_wscale;
    }
    h.opts.sack_permitted = rq->sack_ok;
    if (rq->ts_ok) {
        h.opts.has_ts = true;
        h.opts.ts_val = (uint32_t)(now / 1000) + rq->ts_offset;
        h.opts.ts_ecr = rq->ts_recent;
    }
    /* TCP Fast Open (RFC 7413 §4.2.2): the first SYN-ACK carries the cookie the client
     * asked for (or a fresh one for a bad cookie); its retransmissions do not, as Linux's. */
    if (fo && fo->kind) {
        h.opts.fo_kind = fo->kind;
        h.opts.fo_len = fo->len;
        memcpy(h.opts.fo_cookie, fo->cookie, fo->len);
    }
    bool again = rq->synacks > 0;
    if (!again) {
        /* The handshake's round trip is the first RTT sample (RFC 6298 §2.2). */
        rq->rtt_timing = true;
        rq->rtt_start = now;
    } else {
        rq->rtt_timing = false; /* Karn: a SYN-ACK sent twice gives no sample */
    }
    /* If the output queue has no room, the retransmission timer sends it again. */
    const struct sock *l = listener_of(st, rq);
    (void)ip_output_tcp(st, now, tcp_req_sd(st, rq), &h, &rq->laddr, &rq->raddr, NULL, 0, 0,
                        (again ? IP_OUT_RETRANSMIT : 0u) |
                            IP_OUT_TOS(l ? sock_ds(l, rq->laddr.family) : 0));
    if (rq->synacks < UINT8_MAX) rq->synacks++;
}

/* <SEQ=ISS+1><ACK=RCV.NXT><CTL=ACK>: where we are, for an unacceptable segment. */
static void send_ack(struct synack_stack *st, struct tcp_req *rq, uint64_t now)
{
    struct synack_tcp_hdr h;
    req_header(rq, SYNACK_TCP_ACK, &h);
    h.seq = rq->iss + 1;
    /* The SYN-ACK's window, in the units the peer now reads it in (RFC 7323 §2.2). */
    h.window = (uint16_t)(req_window(st, rq) >> (rq->wscale_ok ? rq->rcv_wscale : 0));
    if (rq->ts_ok) {
        h.opts.has_ts = true;
        h.opts.ts_val = (uint32_t)(now / 1000) + rq->ts_offset;
        h.opts.ts_ecr = rq->ts_recent;
    }
    (void)ip_output_tcp(st, now, tcp_req_sd(st, rq), &h, &rq->laddr, &rq->raddr, NULL, 0, 0, 0);
}

/* The ACK for an unacceptable segment, rate-limited as oow_ack in tcp_check.c. */
static void oow_ack(struct synack_stack *st, struct tcp_req *rq, uint64_t now,
                    const struct tcp_seg *seg)
{
    if ((seg->len == 0 || (seg->flags & SYNACK_TCP_SYN)) &&
        tcp_oow_rate_limited(st, &rq->last_oow_ack_time, now, true))
        return;
    send_ack(st, rq, now);
}

/* The request leaves every table and returns to the pool; traced as the child's end unless
 * it became a socket. */
static void req_free(struct synack_stack *st, struct tcp_req *rq, uint64_t now, bool traced)
{
    struct sock *l = sock_of(st, rq->listener);
    if (traced) trace_state(st, rq, now, SYNACK_SYN_RECEIVED, SYNACK_CLOSED);
    conntab_remove(&st->ct, &rq->ct);
    timer_heap_remove(&st->timers, &rq->timer);
    if (l) {
        fifo_unlink(&l->reqs, &rq->node);
        if (l->n_syn > 0) l->n_syn--;
    }
    rq->in_use = false;
    fifo_push(&st->free_reqs, &rq->node);
}

bool tcp_req_open(struct synack_stack *st, struct sock *lsk, uint64_t now,
                  const struct tcp_seg *seg, const uint32_t *isn, const struct tcp_fo_reply *fo)
{
    struct fifo_node *x = fifo_pop(&st->free_reqs);
    if (!x) return false;
    struct tcp_req *rq = container_of(x, struct tcp_req, node);
    int32_t idx = rq->idx;
    memset(rq, 0, sizeof *rq);
    rq->idx = idx;
    rq->ct.owner = OWNER_REQ;
    timer_node_init(&rq->timer);
    rq->timer.owner = OWNER_REQ;
    rq->in_use = true;
    rq->listener = lsk->idx;
    rq->laddr = seg->s->dst;
    rq->raddr = seg->s->src;
    struct ct_key k = {.lport = seg->s->tcp.dport, .rport = seg->s->tcp.sport};
    memcpy(k.laddr, rq->laddr.bytes, 16);
    memcpy(k.raddr, rq->raddr.bytes, 16);
    struct tcp_peer_opts o = tcp_peer_opts_of(st, seg);
    rq->peer_mss = o.mss;
    rq->wscale_ok = o.wscale_ok;
    rq->snd_wscale = o.wscale;
    /* The smallest shift that lets the whole buffer be advertised (as tcb_defaults). */
    rq->rcv_wscale = o.wscale_ok ? tcp_rcv_wscale_for(lsk->rcvbuf) : 0;
    rq->sack_ok = o.sack_ok;
    rq->ts_ok = o.ts_ok;
    rq->ecn_ok = tcp_ecn_accepts(st, lsk) && tcp_ecn_setup_syn(seg->flags);
    rq->ts_recent = o.ts_val;
    rq->ts_recent_time = now;
    rq->ts_offset = (uint32_t)stack_random(st);
    rq->peer_wnd = seg->s->tcp.window;
    rq->irs = seg->seq;
    /* Data or FIN on the SYN is not taken: we do not acknowledge it, so the peer sends it
     * again after the handshake (RFC 9293 allows queueing; not queueing bounds what a
     * half-open connection can hold). */
    rq->iss = isn ? *isn : tcp_choose_isn_for(st, &rq->laddr, k.lport, &rq->raddr, k.rport, now);
    conntab_insert(&st->ct, &rq->ct, &k);
    fifo_push(&lsk->reqs, &rq->node);
    lsk->n_syn++;
    st->stats.conn_opened_passive++;
    trace_state(st, rq, now, SYNACK_LISTEN, SYNACK_SYN_RECEIVED);
    send_synack(st, rq, now, fo);
    timer_heap_set(&st->timers, &rq->timer, now + req_rto(st, rq));
    return true;
}

/* The handshake's ACK: the request becomes a socket in SYN-RECEIVED, which tcp_input then
 * establishes with this very segment (its data and FIN taken as in any ESTABLISHED). */
static void promote(struct synack_stack *st, struct tcp_req *rq, uint64_t now,
                    const struct tcp_seg *seg)
{
    struct sock *l = sock_of(st, rq->listener);
    struct tcp_child p;
    memset(&p, 0, sizeof p);
    p.laddr = rq->laddr;
    p.lport = rq->ct.key.lport;
    p.raddr = rq->raddr;
    p.rport = rq->ct.key.rport;
    p.iss = rq->iss;
    p.irs = rq->irs;
    p.snd_wnd = rq->peer_wnd; /* the SYN's, never scaled (RFC 7323 §2.2) */
    p.opts.mss = rq->peer_mss;
    p.opts.wscale_ok = rq->wscale_ok;
    p.opts.wscale = rq->snd_wscale;
    p.opts.sack_ok = rq->sack_ok;
    p.ecn_ok = rq->ecn_ok;
    p.opts.ts_ok = rq->ts_ok;
    p.opts.ts_val = rq->ts_recent;
    p.rcv_wscale = rq->rcv_wscale;
    p.has_ts_offset = true;
    p.ts_offset = rq->ts_offset;
    p.ts_recent_time = rq->ts_recent_time;
    p.replaces = &rq->ct; /* the socket takes the request's place in the hash */
    struct sock *c = l ? tcp_child_new(st, l, now, &p) : NULL;
    if (!c) {
        /* No socket: as a cookie's ACK without room. A bare ACK is reset and its request
         * goes with it; with data or a FIN the request stays, and the client's
         * retransmission may find a socket. */
        tcp_no_room_for(st, l, now, seg);
        if (seg->dlen == 0 && !(seg->flags & SYNACK_TCP_FIN)) req_free(st, rq, now, true);
        return;
    }
    struct tcb *t = &c->tcb;
    /* The request traced LISTEN -> SYN-RECEIVED already: this is no change of state. */
    t->state = SYNACK_SYN_RECEIVED;
    t->rtt_timing = rq->rtt_timing;
    t->rtt_seq = rq->iss;
    t->rtt_start = rq->rtt_start;
    t->syn_retransmitted = rq->syn_retransmitted;
    t->rtx_count = rq->backoff;
    t->t_rtx = rq->timer.pos >= 0 ? rq->timer.deadline : 0;
    t->last_oow_ack_time = rq->last_oow_ack_time;
    t->segs_out = rq->synacks;
    t->retransmits = rq->backoff;
    t->segs_in = 1;
    req_free(st, rq, now, false);
    tcp_input(st, c, now, seg);
}

void tcp_req_input(struct synack_stack *st, struct tcp_req *rq, uint64_t now,
                   const struct tcp_seg *seg)
{
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    uint16_t flags = seg->flags;
    uint32_t rcv_nxt = rq->irs + 1;

    /* The peer's SYN again: our SYN-ACK was lost, send it again; a SYN,ACK acknowledging
     * ours goes on as in a socket (tcp_check.c), which establishes it. */
    if ((flags & SYNACK_TCP_SYN) && seg->seq == rq->irs && !(flags & SYNACK_TCP_RST)) {
        if (!(flags & SYNACK_TCP_ACK)) {
            /* Rate-limited like any answer to a repeated segment: a spoofer that knows the
             * SYN it sent cannot make us send SYN-ACKs to its victim at line rate (Linux's
             * tcp_check_req). Our own retransmission timer still sends them. */
            if (!tcp_oow_rate_limited(st, &rq->last_oow_ack_time, now, true))
                send_synack(st, rq, now, NULL);
        } else if (seg->ack == rq->iss + 1) {
            promote(st, rq, now, seg);
        } else {
            req_drop(st, rq, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
            tcp_send_rst_for(st, now, seg);
        }
        return;
    }
    /* PAWS (RFC 7323 §5.3), as in a socket. */
    if (rq->ts_ok && o->has_ts && !(flags & SYNACK_TCP_RST) &&
        now - rq->ts_recent_time <= REQ_PAWS_IDLE_US && (int32_t)(o->ts_val - rq->ts_recent) < 0) {
        req_drop(st, rq, now, SYNACK_DROP_TCP_NOT_ACCEPTABLE, seg);
        oow_ack(st, rq, now, seg);
        return;
    }
    /* First: is the segment in the window our SYN-ACK offered? */
    if (!tcp_seq_acceptable(rcv_nxt, rcv_nxt + req_window(st, rq), seg->seq, seg->len)) {
        bool rst = flags & SYNACK_TCP_RST;
        req_drop(st, rq, now, rst ? SYNACK_DROP_TCP_RST_INVALID : SYNACK_DROP_TCP_NOT_ACCEPTABLE,
                 seg);
        if (!rst) oow_ack(st, rq, now, seg);
        return;
    }
    /* Second: RST (RFC 5961 §3.2). Exactly RCV.NXT: the half-open connection goes and the
     * listener stays (back to LISTEN); elsewhere in the window: a challenge ACK. */
    if (flags & SYNACK_TCP_RST) {
        if (seg->seq != rcv_nxt) {
            req_drop(st, rq, now, SYNACK_DROP_TCP_RST_CHALLENGED, seg);
            if (tcp_challenge_allowed(st, &rq->last_oow_ack_time, now, tcp_req_sd(st, rq)))
                send_ack(st, rq, now);
            return;
        }
        st->stats.conn_reset++;
        req_free(st, rq, now, true);
        return;
    }
    /* Fourth: a SYN in the window (one before RCV.NXT is trimmed away, as in a socket):
     * "return this connection to the LISTEN state" (RFC 9293; RFC 5961 §4 for a passive
     * child). */
    if ((flags & SYNACK_TCP_SYN) && !seq_lt(seg->seq, rcv_nxt)) {
        req_drop(st, rq, now, SYNACK_DROP_TCP_SYN_CHALLENGED, seg);
        req_free(st, rq, now, true);
        return;
    }
    /* Fifth: the ACK. SND.UNA < SEG.ACK =< SND.NXT is exactly ISS + 1. */
    if (!(flags & SYNACK_TCP_ACK)) {
        req_drop(st, rq, now, SYNACK_DROP_TCP_NO_ACK, seg);
        return;
    }
    if (seg->ack != rq->iss + 1) {
        /* <SEQ=SEG.ACK><CTL=RST> */
        req_drop(st, rq, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
        tcp_send_rst_for(st, now, seg);
        return;
    }
    promote(st, rq, now, seg);
}

void tcp_req_timer(struct synack_stack *st, struct tcp_req *rq, uint64_t now)
{
    if (stack_tracing(st)) {
        struct synack_trace_event ev = req_event(st, rq, SYNACK_TRACE_TIMER, now);
        ev.timer = SYNACK_TIMER_CONN;
        stack_trace(st, &ev);
    }
    st->stats.rto_timeouts++;
    if (rq->backoff < UINT16_MAX) rq->backoff++;
    if (rq->backoff > st->cfg.synack_retries) {
        /* The handshake gives up: the half-open connection simply goes. */
        req_free(st, rq, now, true);
        return;
    }
    rq->syn_retransmitted = true;
    st->stats.retransmits++;
    timer_heap_set(&st->timers, &rq->timer, now + req_rto(st, rq));
    send_synack(st, rq, now, NULL);
}

void tcp_req_icmp_error(struct synack_stack *st, struct tcp_req *rq, uint64_t now)
{
    /* RFC 1122 §4.2.3.9: a hard error during the handshake ends a passive attempt (the
     * listener stays), as for a SYN-RECEIVED socket. */
    req_free(st, rq, now, true);
}

void tcp_req_abort_all(struct synack_stack *st, struct sock *lsk, uint64_t now)
{
    /* RFC 9293 §3.10.5 ABORT in SYN-RECEIVED: <SEQ=SND.NXT><CTL=RST>, with the ACK that
     * lets the peer's RFC 5961 check place it exactly (as tcp_send_rst). */
    while (lsk->reqs.head) {
        struct tcp_req *rq = container_of(lsk->reqs.head, struct tcp_req, node);
        struct synack_tcp_hdr h;
        req_header(rq, SYNACK_TCP_RST | SYNACK_TCP_ACK, &h);
        h.seq = rq->iss + 1;
        (void)ip_output_tcp(st, now, tcp_req_sd(st, rq), &h, &rq->laddr, &rq->raddr, NULL, 0, 0, 0);
        req_free(st, rq, now, true);
    }
}

const struct tcp_req *tcp_req_of_sd(const struct synack_stack *st, int sd)
{
    if (sd < (int)st->nsocks) return NULL;
    uint32_t i = (uint32_t)sd - st->nsocks;
    if (i >= st->nreqs || !st->reqs[i].in_use) return NULL;
    return &st->reqs[i];
}

void tcp_req_info(const struct synack_stack *st, const struct tcp_req *rq,
                  struct synack_sockinfo *info)
{
    memset(info, 0, sizeof *info);
    info->state = SYNACK_SYN_RECEIVED;
    info->local.addr = rq->laddr;
    info->local.port = rq->ct.key.lport;
    info->remote.addr = rq->raddr;
    info->remote.port = rq->ct.key.rport;
    info->iss = rq->iss;
    info->irs = rq->irs;
    info->snd_una = rq->iss;
    info->snd_nxt = rq->iss + 1;
    info->snd_wnd = rq->peer_wnd;
    const struct sock *l = listener_of(st, rq);
    info->snd_mss = tcp_mss_from_peer(rq->peer_mss, tcp_rcv_mss_for(st, &rq->laddr, 0),
                                      l ? l->tcb.user_mss : 0, rq->ts_ok);
    info->rcv_nxt = rq->irs + 1;
    info->rcv_wnd = req_window(st, rq);
    info->rcv_mss = req_rcv_mss(st, rq);
    info->rto_us = req_rto(st, rq);
    info->segs_out = rq->synacks;
    info->retransmits = rq->backoff;
    info->pmtu = st->cfg.mtu;
    info->snd_wscale = rq->wscale_ok ? rq->snd_wscale : 0;
    info->rcv_wscale = rq->rcv_wscale;
    info->sack_ok = rq->sack_ok;
    info->ts_ok = rq->ts_ok;
    info->ecn_ok = rq->ecn_ok;
}
