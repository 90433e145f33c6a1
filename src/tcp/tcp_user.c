/*
 * tcp/tcp_user.c - the user calls of RFC 9293 §3.10.1-6 (OPEN, SEND, RECEIVE, CLOSE,
 * ABORT) as the machine sees them, and the bookkeeping every path shares: setting up a
 * TCB, changing state, and ending a connection.
 */
#include <string.h>

#include "core/stack.h"
#include "tcp/tcp.h"

int tcb_setup(struct synack_stack *st, struct sock *sk)
{
    struct tcb *t = &sk->tcb;
    if (!t->snd.buf && ring_init(&t->snd, sk->sndbuf) < 0) return SYNACK_ENOMEM;
    /* The smallest window scale that lets the whole receive ring be advertised
     * (RFC 7323 §2.3, at most 14). */
    t->rcv_wscale = 0;
    while (t->rcv_wscale < 14 && (sk->rcvbuf >> t->rcv_wscale) > 65535) t->rcv_wscale++;
    /* The ring has 2^scale bytes more than the window it offers: a scaled window field
     * rounds the right edge up (so that it never moves left), and what that rounding
     * promises must still fit (RFC 7323 §2.4). */
    if (!t->rcv.buf && ring_init(&t->rcv, sk->rcvbuf + (1u << t->rcv_wscale)) < 0) {
        ring_free(&t->snd);
        return SYNACK_ENOMEM;
    }
    t->cc = st->cc;
    uint32_t link_mss = (uint32_t)st->cfg.mtu - 40;
    t->rcv_mss = (uint16_t)(t->user_mss && t->user_mss < link_mss ? t->user_mss : link_mss);
    t->snd_mss = 536;
    t->ts_offset = (uint32_t)stack_random(st);
    tcp_rtt_init(t, st->cfg.rto_initial_us);
    t->cc->init(t);
    memset(&t->reass, 0, sizeof t->reass);
    return 0;
}

void tcp_set_state(struct synack_stack *st, struct sock *sk, uint64_t now, int state)
{
    int old = sk->tcb.state;
    if (old == state) return;
    sk->tcb.state = state;
    if (state == SYNACK_ESTABLISHED || (old < SYNACK_ESTABLISHED && state > SYNACK_ESTABLISHED))
        sk->connected_reported = true;
    if (state == SYNACK_ESTABLISHED && sk->tcb.keepalive)
        sk->tcb.t_keep = now + sk->tcb.keep_idle_us;
    stack_trace_state(st, sk, now, old, state);
    sock_notify(st, sk);
}

static void unlink_from_listener(struct synack_stack *st, struct sock *sk)
{
    struct sock *l = sock_of(st, sk->parent);
    sk->parent = -1;
    if (!l || !l->in_use) return;
    /* In the accept queue? Unlink it; otherwise it was counted as a SYN-queue entry. */
    int32_t prev = -1;
    for (int32_t i = l->acc_head; i >= 0; prev = i, i = st->socks[i].acc_next) {
        if (i != sk->idx) continue;
        if (prev >= 0)
            st->socks[prev].acc_next = sk->acc_next;
        else
            l->acc_head = sk->acc_next;
        if (l->acc_tail == sk->idx) l->acc_tail = prev;
        l->n_acc--;
        sk->acc_next = -1;
        return;
    }
    if (l->n_syn > 0) l->n_syn--;
}

void tcp_done(struct synack_stack *st, struct sock *sk, uint64_t now, int error)
{
    struct tcb *t = &sk->tcb;
    if (error) sk->error = error;
    t->t_rtx = t->t_persist = t->t_delack = t->t_tw = t->t_keep = 0;
    tcp_set_state(st, sk, now, SYNACK_CLOSED);
    if (sk->hashed) ctab_remove(st, sk);
    if (sk->in_tw) tw_remove(st, sk);
    if (sk->parent >= 0) unlink_from_listener(st, sk);
    ring_free(&t->snd);
    /* Unread data stays readable after a clean close; after an error it is gone. */
    if (error || !sk->user_open) ring_free(&t->rcv);
    timer_update(st, sk);
    sock_notify(st, sk);
    sock_maybe_free(st, sk);
}

int tcp_user_connect(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    int r = tcb_setup(st, sk);
    if (r < 0) return r;
    t->iss = tcp_choose_isn(st, t, now);
    t->snd_una = t->snd_nxt = t->snd_max = t->iss;
    t->snd_buf_seq = t->iss + 1;
    t->snd_small_end = t->iss;
    t->recover = t->iss;
    t->passive = false;
    t->last_rcv_time = now;
    ctab_insert(st, sk);
    st->stats.conn_opened_active++;
    tcp_set_state(st, sk, now, SYNACK_SYN_SENT);
    tcp_send_syn(st, sk, now);
    return SYNACK_EINPROGRESS;
}

long tcp_user_send(struct synack_stack *st, struct sock *sk, uint64_t now, const void *buf,
                   size_t len)
{
    struct tcb *t = &sk->tcb;
    if (sk->error) return sk->error;
    if (t->fin_queued || sk->shut_wr) return SYNACK_EPIPE;
    switch (t->state) {
    case SYNACK_SYN_SENT:
    case SYNACK_SYN_RECEIVED:
        /* RFC 9293 §3.10.2: data may be queued before the connection is established. */
    case SYNACK_ESTABLISHED:
    case SYNACK_CLOSE_WAIT:
        break;
    case SYNACK_CLOSED:
    case SYNACK_LISTEN:
        return SYNACK_ENOTCONN;
    default:
        return SYNACK_EPIPE;
    }
    if (len > UINT32_MAX) len = UINT32_MAX;
    uint32_t n = ring_write(&t->snd, buf, (uint32_t)len);
    if (n == 0) return len == 0 ? 0 : SYNACK_EAGAIN;
    tcp_output(st, sk, now);
    return (long)n;
}

long tcp_user_recv(struct synack_stack *st, struct sock *sk, uint64_t now, void *buf, size_t len)
{
    struct tcb *t = &sk->tcb;
    if (t->rcv.buf && t->rcv.len > 0) {
        uint32_t adv = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
        uint32_t n = ring_read(&t->rcv, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
        /* Window update (RFC 9293 §3.8.6.2.2 with §3.8.6.3): when the window the peer was
         * last told has run low (under two segments, or an eighth of the ring) and reading
         * opens it by at least min(half the ring, two segments), say so at once rather than
         * wait for the peer's probe. Otherwise the next ACK carries the news. */
        uint32_t after = tcp_rcv_window(t);
        uint32_t step = t->rcv.cap / 2 < 2u * t->rcv_mss ? t->rcv.cap / 2 : 2u * t->rcv_mss;
        bool synced = t->state == SYNACK_ESTABLISHED || t->state == SYNACK_FIN_WAIT_1 ||
                      t->state == SYNACK_FIN_WAIT_2;
        bool low = adv < 2u * t->rcv_mss || adv < t->rcv.cap / 8;
        if (synced && !t->fin_rcvd && low && after > adv && after - adv >= step) {
            t->ack_now = true;
            tcp_output(st, sk, now);
        }
        sock_notify(st, sk);
        return (long)n;
    }
    if (sk->error) return sk->error;
    if (t->fin_rcvd || sk->shut_rd) return 0;
    switch (t->state) {
    case SYNACK_CLOSED:
        return sk->connected_reported ? 0 : SYNACK_ENOTCONN;
    case SYNACK_LISTEN:
        return SYNACK_ENOTCONN;
    default:
        return SYNACK_EAGAIN;
    }
}

int tcp_user_shutdown_wr(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* RFC 9293 §3.10.4 CLOSE: the FIN is queued behind the data already sent. */
    switch (t->state) {
    case SYNACK_SYN_SENT:
        tcp_done(st, sk, now, 0);
        return 0;
    case SYNACK_SYN_RECEIVED:
        t->fin_queued = true; /* FIN-WAIT-1 once ESTABLISHED */
        return 0;
    case SYNACK_ESTABLISHED:
        t->fin_queued = true;
        tcp_set_state(st, sk, now, SYNACK_FIN_WAIT_1);
        break;
    case SYNACK_CLOSE_WAIT:
        t->fin_queued = true;
        tcp_set_state(st, sk, now, SYNACK_LAST_ACK);
        break;
    default:
        return 0; /* already closing: "error: connection closing" is not an error here */
    }
    tcp_output(st, sk, now);
    return 0;
}

void tcp_user_abort(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* RFC 9293 §3.10.5: in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2 and CLOSE-WAIT the
     * peer is told with a reset; elsewhere the TCB just goes. */
    switch (t->state) {
    case SYNACK_SYN_RECEIVED:
    case SYNACK_ESTABLISHED:
    case SYNACK_FIN_WAIT_1:
    case SYNACK_FIN_WAIT_2:
    case SYNACK_CLOSE_WAIT:
        tcp_send_rst(st, sk, now);
        break;
    default:
        break;
    }
    tcp_done(st, sk, now, 0);
}

int tcp_user_close(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* Closing with unread data loses it: tell the peer with a reset (RFC 2525 §2.17,
     * as Linux does), and an SO_LINGER of 0 asks for exactly that. */
    if ((t->rcv.buf && t->rcv.len > 0 && t->state != SYNACK_TIME_WAIT) || sk->linger == 0) {
        tcp_user_abort(st, sk, now);
        return 0;
    }
    return tcp_user_shutdown_wr(st, sk, now);
}
