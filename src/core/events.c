/*
 * core/events.c - readiness: what a socket is ready for (a level computed from its
 * state), and the queue of sockets whose readiness changed since it was last reported,
 * so that an application with many sockets does not scan them all.
 */
#include "core/stack.h"

unsigned sock_events(const struct synack_stack *st, const struct sock *sk)
{
    (void)st;
    unsigned ev = 0;
    const struct tcb *t = &sk->tcb;
    if (!sk->in_use) return 0;
    if (t->state == SYNACK_LISTEN) {
        if (sk->acc_head >= 0) ev |= SYNACK_EV_READABLE;
        return ev;
    }
    if (sk->error) ev |= SYNACK_EV_ERROR | SYNACK_EV_CLOSED | SYNACK_EV_READABLE;
    bool synced = t->state >= SYNACK_ESTABLISHED && t->state != SYNACK_TIME_WAIT;
    if (sk->connected_reported || synced) ev |= SYNACK_EV_CONNECTED;
    if (t->rcv.buf && t->rcv.len > 0) ev |= SYNACK_EV_READABLE;
    if (t->fin_rcvd || sk->shut_rd) ev |= SYNACK_EV_READABLE;
    bool can_send = (t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT) &&
                    !t->fin_queued && !sk->shut_wr;
    if (can_send && t->snd.buf && ring_free_space(&t->snd) > 0) ev |= SYNACK_EV_WRITABLE;
    if (t->state == SYNACK_CLOSED && sk->connected_reported) ev |= SYNACK_EV_CLOSED;
    if (t->state == SYNACK_TIME_WAIT) ev |= SYNACK_EV_CLOSED;
    return ev;
}

void sock_notify(struct synack_stack *st, struct sock *sk)
{
    if (!sk->in_use) return;
    /* A listener's child is reported through its listener until accepted. */
    if (sk->parent >= 0) sk = sock_of(st, sk->parent);
    if (!sk || !sk->user_open) return;
    if (sock_events(st, sk) == sk->ev_reported || sk->in_evq) return;
    sk->in_evq = true;
    sk->evq_next = -1;
    if (st->evq_tail >= 0)
        st->socks[st->evq_tail].evq_next = sk->idx;
    else
        st->evq_head = sk->idx;
    st->evq_tail = sk->idx;
}

int synack_next_event(synack_stack *st, int *sd, unsigned *events)
{
    while (st->evq_head >= 0) {
        struct sock *sk = &st->socks[st->evq_head];
        st->evq_head = sk->evq_next;
        if (st->evq_head < 0) st->evq_tail = -1;
        sk->in_evq = false;
        sk->evq_next = -1;
        if (!sk->in_use || !sk->user_open) continue;
        unsigned ev = sock_events(st, sk);
        if (ev == sk->ev_reported) continue;
        sk->ev_reported = ev;
        if (sd) *sd = sk->idx;
        if (events) *events = ev;
        return 1;
    }
    return 0;
}

unsigned synack_events(const synack_stack *st, int sd)
{
    if (!st || sd < 0 || (uint32_t)sd >= st->nsocks) return 0;
    const struct sock *sk = &st->socks[sd];
    if (!sk->in_use || !sk->user_open) return 0;
    return sock_events(st, sk);
}

void sock_want_output(struct synack_stack *st, struct sock *sk)
{
    if (sk->in_outlist) return;
    sk->in_outlist = true;
    sk->out_next = st->out_head;
    st->out_head = sk->idx;
}
