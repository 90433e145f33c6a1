/*
 * core/socktab.c - the socket table: slots from a free list, the 4-tuple hash that finds
 * a connection for an arriving segment in O(1) (a keyed hash, so a peer cannot aim many
 * tuples at one bucket), and the FIFO of TIME-WAIT entries that bounds how many there are.
 */
#include "core/stack.h"

#include <string.h>

#include "tcp/siphash.h"

struct sock *sock_alloc(struct synack_stack *st)
{
    if (st->free_head < 0) return NULL;
    struct sock *sk = &st->socks[st->free_head];
    st->free_head = sk->h_next;
    int32_t idx = sk->idx;
    struct ring snd = sk->tcb.snd, rcv = sk->tcb.rcv;
    /* A released slot may still be linked in the readiness or output list (they are
     * unlinked lazily); keep those links so that the lists stay whole. */
    bool in_evq = sk->in_evq, in_outlist = sk->in_outlist;
    int32_t evq_next = sk->evq_next, out_next = sk->out_next;
    memset(sk, 0, sizeof *sk);
    sk->in_evq = in_evq;
    sk->evq_next = evq_next;
    sk->in_outlist = in_outlist;
    sk->out_next = out_next;
    sk->tcb.snd = snd; /* freed rings have buf NULL; kept so that nothing leaks */
    sk->tcb.rcv = rcv;
    sk->idx = idx;
    sk->in_use = true;
    sk->parent = -1;
    sk->acc_head = sk->acc_tail = sk->acc_next = -1;
    sk->h_next = -1;
    sk->heap_pos = -1;
    sk->tw_next = sk->tw_prev = -1;
    sk->linger = -1;
    sk->sndbuf = st->cfg.sndbuf;
    sk->rcvbuf = st->cfg.rcvbuf;
    sk->tcb.state = SYNACK_CLOSED;
    return sk;
}

void sock_release(struct synack_stack *st, struct sock *sk)
{
    if (!sk->in_use) return;
    if (sk->hashed) ctab_remove(st, sk);
    if (sk->in_tw) tw_remove(st, sk);
    timer_remove(st, sk);
    ring_free(&sk->tcb.snd);
    ring_free(&sk->tcb.rcv);
    /* Unlink from the readiness and output lists lazily: the lists skip free slots. */
    sk->in_use = false;
    sk->user_open = false;
    sk->h_next = st->free_head;
    st->free_head = sk->idx;
}

void sock_maybe_free(struct synack_stack *st, struct sock *sk)
{
    if (!sk->in_use || sk->user_open || sk->parent >= 0) return;
    if (sk->tcb.state != SYNACK_CLOSED) return;
    sock_release(st, sk);
}

static uint32_t tuple_hash(const struct synack_stack *st, uint32_t laddr, uint16_t lport,
                           uint32_t raddr, uint16_t rport)
{
    return (uint32_t)siphash_tuple(st->hash_key, laddr, lport, raddr, rport) & st->bucket_mask;
}

void ctab_insert(struct synack_stack *st, struct sock *sk)
{
    if (sk->hashed) return;
    const struct tcb *t = &sk->tcb;
    uint32_t b = tuple_hash(st, t->laddr, t->lport, t->raddr, t->rport);
    sk->h_next = st->buckets[b];
    st->buckets[b] = sk->idx;
    sk->hashed = true;
}

void ctab_remove(struct synack_stack *st, struct sock *sk)
{
    if (!sk->hashed) return;
    const struct tcb *t = &sk->tcb;
    uint32_t b = tuple_hash(st, t->laddr, t->lport, t->raddr, t->rport);
    int32_t *pp = &st->buckets[b];
    while (*pp >= 0) {
        if (*pp == sk->idx) {
            *pp = sk->h_next;
            break;
        }
        pp = &st->socks[*pp].h_next;
    }
    sk->h_next = -1;
    sk->hashed = false;
}

struct sock *ctab_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                         uint16_t rport)
{
    uint32_t b = tuple_hash(st, laddr, lport, raddr, rport);
    for (int32_t i = st->buckets[b]; i >= 0; i = st->socks[i].h_next) {
        const struct tcb *t = &st->socks[i].tcb;
        if (t->lport == lport && t->rport == rport && t->laddr == laddr && t->raddr == raddr)
            return &st->socks[i];
    }
    return NULL;
}

bool port_in_use(struct synack_stack *st, uint32_t laddr, uint16_t lport, bool reuse)
{
    /* A bind() conflicts with any socket on the port, except TIME-WAIT entries when the
     * caller asked for SO_REUSEADDR (RFC 9293 §3.4.2 leaves reuse to the implementation;
     * this is the Berkeley rule). Linear, but bind() is not on the packet path. */
    for (uint32_t i = 0; i < st->nsocks; i++) {
        const struct sock *sk = &st->socks[i];
        if (!sk->in_use || !sk->bound || sk->tcb.lport != lport) continue;
        if (sk->tcb.laddr != laddr && sk->tcb.laddr != 0 && laddr != 0) continue;
        if (reuse && sk->tcb.state == SYNACK_TIME_WAIT) continue;
        return true;
    }
    return false;
}

void tw_add(struct synack_stack *st, struct sock *sk)
{
    if (sk->in_tw) return;
    /* Bounded TIME-WAIT: at the limit the oldest entry goes first, as Linux does when
     * tcp_max_tw_buckets is reached. */
    while (st->tw_count >= st->cfg.max_time_wait && st->tw_head >= 0) {
        struct sock *old = sock_of(st, st->tw_head);
        tw_remove(st, old);
        old->tcb.state = SYNACK_CLOSED;
        sock_maybe_free(st, old);
    }
    sk->in_tw = true;
    sk->tw_next = -1;
    sk->tw_prev = st->tw_tail;
    if (st->tw_tail >= 0)
        st->socks[st->tw_tail].tw_next = sk->idx;
    else
        st->tw_head = sk->idx;
    st->tw_tail = sk->idx;
    st->tw_count++;
}

void tw_remove(struct synack_stack *st, struct sock *sk)
{
    if (!sk->in_tw) return;
    if (sk->tw_prev >= 0)
        st->socks[sk->tw_prev].tw_next = sk->tw_next;
    else
        st->tw_head = sk->tw_next;
    if (sk->tw_next >= 0)
        st->socks[sk->tw_next].tw_prev = sk->tw_prev;
    else
        st->tw_tail = sk->tw_prev;
    sk->in_tw = false;
    sk->tw_next = sk->tw_prev = -1;
    st->tw_count--;
}
