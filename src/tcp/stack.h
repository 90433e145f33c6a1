/*
 * tcp/stack.h - the stack instance and its sockets, as the TCP machine and the entry
 * points above it see them.
 *
 * Everything mutable hangs off struct synack_stack: there is no global state, so any
 * number of stacks live in one process. Memory is sized once, from the config, when the
 * stack is made: the socket slots, the connection hash, the timer heap and the output
 * queue (the tables of src/table/, which know nothing of sockets: each socket carries its
 * own nodes for them); each connection's rings when it is set up. No allocation per
 * packet. See docs/architecture.md for the layers.
 */
#ifndef SYNACK_TCP_STACK_H
#define SYNACK_TCP_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/splitmix.h"
#include "synack/synack.h"
#include "synack/trace.h"
#include "table/conntab.h"
#include "table/fifo.h"
#include "table/outq.h"
#include "table/sink.h"
#include "table/timer_heap.h"
#include "tcp/tcp.h"

#define SYNACK_PORT_TABLE 256

struct sock {
    struct tcb tcb;
    int32_t idx;
    bool in_use;
    bool user_open; /* the application holds this descriptor */
    bool bound;
    bool reuseaddr;
    bool shut_rd, shut_wr;
    bool connected_reported;
    int error;      /* the error that ended the connection, until read */
    int32_t linger; /* -1 off, else seconds (0 = close aborts) */
    uint32_t sndbuf, rcvbuf;

    /* Listener: SYN-RECEIVED children count against the backlog (n_syn), established ones
     * wait in the accept queue. Children point back through parent (-1: none). */
    int32_t parent;
    struct fifo acceptq;
    uint32_t backlog, n_syn;
    uint64_t cookies_until; /* ACKs may return a SYN cookie of this listener until then */

    /* This socket's places in the tables (src/table/). */
    struct ct_node ct;       /* the 4-tuple hash */
    struct timer_node timer; /* the timer heap, at tcb_next_deadline() */
    struct fifo_node acc;    /* its listener's accept queue */
    struct fifo_node tw;     /* the TIME-WAIT list */
    struct fifo_node evq;    /* the readiness queue */
    struct fifo_node outw;   /* the sockets with output to build */
    struct fifo_node slot;   /* the free slots */
    unsigned ev_reported;    /* readiness last reported to the application */
};

struct synack_stack {
    struct synack_config cfg;
    uint8_t secret[16];
    uint8_t hash_key[16];
    uint8_t cookie_key[16]; /* SYN cookies (tcp/syncookie.c) */
    uint64_t rng;
    /* The latest clock a call carried: the time stamped on what a call without a clock
     * (synack_listen) records. Never used to build a segment. */
    uint64_t now;

    struct sock *socks;
    uint32_t nsocks;
    struct fifo free_socks;

    struct conntab ct;
    struct timer_heap timers;
    struct fifo evq;      /* sockets whose readiness may have changed */
    struct fifo want_out; /* sockets with output to build at the next call that carries now */
    struct fifo tw;       /* TIME-WAIT entries, oldest first */
    struct outq outq;
    struct sink sink;

    uint64_t chal_window_start;
    uint32_t chal_count, chal_budget; /* challenge ACKs this second, and its random budget */
    /* Ephemeral ports (RFC 6056 §3.3.4, entry/socket.c): two hash keys and the table of
     * per-bucket counters. */
    uint8_t port_key[16], port_key2[16];
    uint32_t port_table[SYNACK_PORT_TABLE];
    const struct tcp_cc_ops *cc;
    struct synack_stats stats;
};

static inline struct sock *sock_of(struct synack_stack *st, int32_t i)
{
    return i >= 0 && (uint32_t)i < st->nsocks ? &st->socks[i] : NULL;
}
static inline struct sock *sock_from_tcb(struct tcb *t)
{
    return (struct sock *)t;
}
static inline uint64_t stack_random(struct synack_stack *st)
{
    return splitmix64(&st->rng);
}

/* Socket slots and the tables (tcp/sock.c). */
struct sock *sock_alloc(struct synack_stack *st);
void sock_release(struct synack_stack *st, struct sock *sk);
/* Frees the socket if nothing holds it any more (not the user, not a listener's queue). */
void sock_maybe_free(struct synack_stack *st, struct sock *sk);
/* Enters the socket in the 4-tuple hash under its TCB's addresses and ports. */
void sock_hash(struct synack_stack *st, struct sock *sk);
void sock_unhash(struct synack_stack *st, struct sock *sk);
struct sock *sock_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                         uint16_t rport);
bool port_in_use(struct synack_stack *st, uint32_t laddr, uint16_t lport, bool reuse);
/* Keeps the socket's heap entry at tcb_next_deadline() (out of the heap when none). */
void timer_update(struct synack_stack *st, struct sock *sk);
/* The socket's readiness may have changed: queue it (its listener, for a child not yet
 * accepted) for synack_next_event(), which computes and compares. */
void sock_notify(struct synack_stack *st, struct sock *sk);
/* The socket has output to build: the next call that carries now builds it. */
void sock_want_output(struct synack_stack *st, struct sock *sk);

/* Trace and drops, through the sink (table/sink.h). An event about a socket names it and
 * its 4-tuple; the caller fills in the kind's own fields. */
static inline struct synack_trace_event sock_trace_event(const struct sock *sk, int kind,
                                                         uint64_t now)
{
    struct synack_trace_event ev = {.kind = kind,
                                    .now = now,
                                    .sd = sk->idx,
                                    .local_addr = sk->tcb.laddr,
                                    .local_port = sk->tcb.lport,
                                    .remote_addr = sk->tcb.raddr,
                                    .remote_port = sk->tcb.rport};
    return ev;
}
/* True while the trace callback runs: entry points refuse calls with SYNACK_EBUSY. */
static inline bool stack_busy(const struct synack_stack *st)
{
    return st->sink.depth > 0;
}
static inline bool stack_tracing(const struct synack_stack *st)
{
    return sink_on(&st->sink);
}
static inline void stack_trace(struct synack_stack *st, struct synack_trace_event *ev)
{
    sink_emit(&st->sink, ev);
}
static inline void stack_drop(struct synack_stack *st, uint64_t now, int reason, const uint8_t *pkt,
                              uint32_t len, const struct synack_segment *seg, int sd)
{
    sink_drop(&st->sink, now, reason, pkt, len, seg, sd);
}

#endif
