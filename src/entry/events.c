/*
 * entry/events.c - readiness: what a socket is ready for (a level computed from its
 * state), and the reports of the sockets whose readiness may have changed since last
 * reported (the machine queues them, tcp/sock.c), so that an application with many
 * sockets does not scan them all.
 */
#include "tcp/stack.h"
#include "entry/events.h"
#include "tcp/tcp_zc.h"

/* Called after every recv and send and for every report (four times in a request/response
 * round trip of serve), so the tests that decide nothing in the common case are skipped: the
 * send room only when sending is possible at all, the memory wait only when there is room. */
unsigned sock_events(const struct synack_stack *st, const struct sock *sk)
{
    if (!sk->in_use) return 0;
    const struct tcb *t = &sk->tcb;
    const int s = t->state;
    if (s == SYNACK_LISTEN) return sk->acceptq.n > 0 ? SYNACK_EV_READABLE : 0;
    unsigned ev = 0;
    if (sk->error) ev |= SYNACK_EV_ERROR | SYNACK_EV_CLOSED | SYNACK_EV_READABLE;
    if (tcp_zc_has_notice(sk->zc)) ev |= SYNACK_EV_NOTICE;
    bool synced = s >= SYNACK_ESTABLISHED && s != SYNACK_TIME_WAIT;
    if (sk->connected_reported || synced) ev |= SYNACK_EV_CONNECTED;
    if (t->rcv.len > 0 || t->fin_rcvd || sk->shut_rd) ev |= SYNACK_EV_READABLE;
    if ((s == SYNACK_ESTABLISHED || s == SYNACK_CLOSE_WAIT) && !t->fin_queued && !sk->shut_wr) {
        bool room = sk->sndbuf_linux ? tcp_sndbuf_linux_writable(sk) : tcp_snd_room(sk) > 0;
        if (room && sk->snd_mem_wait && !tcp_snd_mem_ok(st, sk)) room = false; /* tcp_mem.c */
        if (room) ev |= SYNACK_EV_WRITABLE;
    }
    if ((s == SYNACK_CLOSED && sk->connected_reported) || s == SYNACK_TIME_WAIT)
        ev |= SYNACK_EV_CLOSED;
    return ev;
}

int synack_next_event(synack_stack *st, int *sd, unsigned *events)
{
    if (stack_busy(st)) return SYNACK_EBUSY;
    tcp_mem_wake(st);
    struct fifo_node *x;
    while ((x = fifo_pop(&st->evq)) != NULL) {
        struct sock *sk = container_of(x, struct sock, evq);
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
