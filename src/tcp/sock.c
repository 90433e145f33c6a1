/*
 * tcp/sock.c - the sockets in the tables: slots from the free list, the 4-tuple hash, the
 * port checks of bind() and connect(), and the marks a socket leaves for the entry points
 * (readiness changed, output to build, next deadline). The tables themselves (src/table/)
 * know nothing of sockets; this file is where a socket meets them.
 */
#include <string.h>

#include "tcp/stack.h"
#include "tcp/tcp_zc.h"

struct sock *sock_alloc(struct synack_stack *st)
{
    struct fifo_node *n = fifo_pop(&st->free_socks);
    if (!n) return NULL;
    struct sock *sk = container_of(n, struct sock, slot);
    int32_t idx = sk->idx;
    /* A released slot is in no table (sock_release took it out of each): start afresh. */
    memset(sk, 0, sizeof *sk);
    sk->idx = idx;
    sk->in_use = true;
    sk->parent = -1;
    fifo_init(&sk->acceptq);
    fifo_init(&sk->reqs);
    timer_node_init(&sk->timer);
    sk->linger = -1;
    sk->ecn_opt = -1;
    sk->sndbuf = st->cfg.sndbuf;
    sk->sndbuf_linux = st->cfg.sndbuf_linux;
    sk->rcvbuf = st->cfg.rcvbuf;
    sk->tcb.state = SYNACK_CLOSED;
    return sk;
}

void sock_release(struct synack_stack *st, struct sock *sk)
{
    /* The scratch socket a TIME-WAIT record is loaded into is no slot (tcp/tcp_tw.c). */
    if (!sk->in_use || sk->tw_scratch) return;
    sock_unhash(st, sk);
    fifo_unlink(&st->tw, &sk->tw);
    fifo_unlink(&st->evq, &sk->evq);
    fifo_unlink(&st->want_out, &sk->outw);
    tcp_mem_forget(st, sk);
    timer_heap_remove(&st->timers, &sk->timer);
    ring_free(&sk->tcb.snd);
    ring_free(&sk->tcb.rcv);
    tcp_rack_free(&sk->tcb);
    tcp_zc_free(sk);
    sk->in_use = false;
    sk->user_open = false;
    /* Last in, first out: the next socket made takes this slot, whose 1.9 KB the
     * connection just ending brought into the cache (first in, first out, a slot came back
     * after every other free one had been used, its lines long gone from the cache, and
     * clearing it cost a miss per line). */
    fifo_push_front(&st->free_socks, &sk->slot);
}

void sock_maybe_free(struct synack_stack *st, struct sock *sk)
{
    if (!sk->in_use || sk->user_open || sk->parent >= 0) return;
    if (sk->tcb.state != SYNACK_CLOSED) return;
    sock_release(st, sk);
}

static struct ct_key ct_key_of(const struct synack_addr *laddr, uint16_t lport,
                               const struct synack_addr *raddr, uint16_t rport)
{
    struct ct_key k = {.lport = lport, .rport = rport};
    memcpy(k.laddr, laddr->bytes, 16);
    memcpy(k.raddr, raddr->bytes, 16);
    return k;
}

void sock_hash(struct synack_stack *st, struct sock *sk)
{
    const struct tcb *t = &sk->tcb;
    struct ct_key k = ct_key_of(&t->laddr, t->lport, &t->raddr, t->rport);
    conntab_insert(&st->ct, &sk->ct, &k);
    /* A listener (its remote end unspecified, port 0) is found by its port too. */
    if (t->rport == 0) lsntab_insert(&st->lsn, &sk->lsn, t->lport);
}

void sock_unhash(struct synack_stack *st, struct sock *sk)
{
    conntab_remove(&st->ct, &sk->ct);
    lsntab_remove(&st->lsn, &sk->lsn);
}

struct sock *listener_lookup(struct synack_stack *st, const struct synack_addr *laddr,
                             uint16_t port)
{
    /* The bytes, as the 4-tuple hash compares them (its key has no family). */
    for (struct lsn_node *n = lsntab_first(&st->lsn, port); n; n = lsntab_next(n->next, port)) {
        struct sock *sk = container_of(n, struct sock, lsn);
        if (memcmp(sk->tcb.laddr.bytes, laddr->bytes, 16) == 0) return sk;
    }
    return NULL;
}

struct ct_node *conn_lookup(struct synack_stack *st, const struct synack_addr *laddr,
                            uint16_t lport, const struct synack_addr *raddr, uint16_t rport)
{
    struct ct_key k = ct_key_of(laddr, lport, raddr, rport);
    return conntab_lookup(&st->ct, &k);
}

struct sock *sock_lookup(struct synack_stack *st, const struct synack_addr *laddr, uint16_t lport,
                         const struct synack_addr *raddr, uint16_t rport)
{
    struct ct_node *n = conn_lookup(st, laddr, lport, raddr, rport);
    /* A half-open connection's request is no socket. */
    return n && n->owner == OWNER_SOCK ? container_of(n, struct sock, ct) : NULL;
}

bool addr_overlaps(const struct synack_addr *a, const struct synack_addr *b)
{
    /* The unspecified address of both families covers every address; 0.0.0.0 covers every
     * IPv4 address; otherwise only the same address. */
    if (a->family == SYNACK_AF_UNSPEC || b->family == SYNACK_AF_UNSPEC) return true;
    if (a->family != b->family) return false;
    if (synack_addr_is_any(a) || synack_addr_is_any(b)) return true;
    return memcmp(a->bytes, b->bytes, 16) == 0;
}

bool port_in_use(struct synack_stack *st, const struct synack_addr *laddr, uint16_t lport,
                 bool reuse)
{
    /* A bind() conflicts with any socket on the port. With SO_REUSEADDR (RFC 9293 §3.4.2
     * leaves reuse to the implementation) Linux's rule: no conflict with a TIME-WAIT
     * entry, nor with any socket that is not listening and asked for the option too (the
     * connections of a server's earlier listener, which inherit it): only a LISTEN socket
     * holds the port. Linear, but bind() is not on the packet path. */
    for (uint32_t i = 0; i < st->nsocks; i++) {
        const struct sock *sk = &st->socks[i];
        if (!sk->in_use || !sk->bound || sk->tcb.lport != lport) continue;
        if (!addr_overlaps(&sk->tcb.laddr, laddr)) continue;
        if (reuse && sk->tcb.state == SYNACK_TIME_WAIT) continue;
        if (reuse && sk->reuseaddr && sk->tcb.state != SYNACK_LISTEN) continue;
        return true;
    }
    /* TIME-WAIT entries that are records (tcp/tcp_tw.c) hold their port as the sockets
     * they were did. */
    return !reuse && tcp_tw_port_in_use(st, laddr, lport);
}

bool port_has_listener(struct synack_stack *st, const struct synack_addr *laddr, uint16_t lport)
{
    for (uint32_t i = 0; i < st->nsocks; i++) {
        const struct sock *sk = &st->socks[i];
        if (!sk->in_use || sk->tcb.state != SYNACK_LISTEN || sk->tcb.lport != lport) continue;
        if (addr_overlaps(&sk->tcb.laddr, laddr)) return true;
    }
    return false;
}

void sock_notify(struct synack_stack *st, struct sock *sk)
{
    if (!sk->in_use) return;
    /* A listener's child is reported through its listener until accepted. */
    if (sk->parent >= 0) sk = sock_of(st, sk->parent);
    if (!sk || !sk->user_open) return;
    fifo_push(&st->evq, &sk->evq);
}

void sock_want_output(struct synack_stack *st, struct sock *sk)
{
    if (sk->in_use) fifo_push(&st->want_out, &sk->outw);
}
