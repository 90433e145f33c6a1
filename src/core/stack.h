/*
 * core/stack.h - the stack instance and the socket table, shared by core/, ip/ and tcp/.
 *
 * Everything mutable hangs off struct synack_stack: there is no global state, so any
 * number of stacks live in one process. Memory is sized once, from the config, when the
 * stack is made: the socket table, the connection hash, the timer heap and the output
 * queue; each connection's rings when it is set up. No allocation per packet.
 */
#ifndef SYNACK_CORE_STACK_H
#define SYNACK_CORE_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "synack/synack.h"
#include "synack/trace.h"
#include "tcp/tcp.h"

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

    /* Listener: SYN-RECEIVED children count against the backlog, established ones wait in
     * the accept queue (a FIFO through acc_next). Children point back through parent. */
    int32_t parent;
    int32_t acc_head, acc_tail, acc_next;
    uint32_t backlog, n_syn, n_acc;

    /* Connection hash chain (4-tuple), timer heap position, readiness and output lists. */
    int32_t h_next;
    bool hashed;
    int32_t heap_pos; /* -1 when not in the heap */
    uint64_t deadline;
    bool in_evq;
    int32_t evq_next;
    unsigned ev_reported;
    bool in_outlist;
    int32_t out_next;
    int32_t tw_next, tw_prev; /* TIME-WAIT FIFO, oldest first */
    bool in_tw;
};

struct synack_stack {
    struct synack_config cfg;
    uint8_t secret[16];
    uint8_t hash_key[16];
    uint8_t cookie_key[16]; /* SYN cookies (tcp/syncookie.c) */
    uint64_t rng;

    struct sock *socks;
    uint32_t nsocks;
    int32_t free_head;

    int32_t *buckets;
    uint32_t bucket_mask;

    int32_t *heap;
    uint32_t heap_n;

    int32_t evq_head, evq_tail;
    int32_t out_head;
    int32_t tw_head, tw_tail;
    uint32_t tw_count;

    /* Output queue: out_cap slots of slot_size bytes, a FIFO of datagrams. */
    uint8_t *out_buf;
    uint32_t *out_len;
    uint32_t out_first, out_count, out_cap, slot_size;

    uint64_t chal_window_start;
    uint32_t chal_count;
    uint16_t next_ephemeral;
    uint16_t ip_id;
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

/* socket table (socktab.c) */
struct sock *sock_alloc(struct synack_stack *st);
void sock_release(struct synack_stack *st, struct sock *sk);
/* Frees the socket if nothing holds it any more (not the user, not a listener's queue). */
void sock_maybe_free(struct synack_stack *st, struct sock *sk);
void ctab_insert(struct synack_stack *st, struct sock *sk);
void ctab_remove(struct synack_stack *st, struct sock *sk);
struct sock *ctab_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                         uint16_t rport);
bool port_in_use(struct synack_stack *st, uint32_t laddr, uint16_t lport, bool reuse);
void tw_add(struct synack_stack *st, struct sock *sk);
void tw_remove(struct synack_stack *st, struct sock *sk);

/* timers (timer_heap.c): keep the socket's heap entry at tcb_next_deadline(). */
void timer_update(struct synack_stack *st, struct sock *sk);
void timer_remove(struct synack_stack *st, struct sock *sk);

/* readiness (events.c) */
void sock_notify(struct synack_stack *st, struct sock *sk);
unsigned sock_events(const struct synack_stack *st, const struct sock *sk);
/* the socket has more to send once the output queue drains */
void sock_want_output(struct synack_stack *st, struct sock *sk);

/* output queue (outq.c): a slot to build a datagram in, committed when complete. */
uint8_t *outq_reserve(struct synack_stack *st);
void outq_commit(struct synack_stack *st, uint32_t len);
bool outq_full(const struct synack_stack *st);

/* trace (stack.c) */
static inline bool stack_tracing(const struct synack_stack *st)
{
    return st->cfg.trace != NULL;
}
void stack_trace(struct synack_stack *st, struct synack_trace_event *ev);
void stack_drop(struct synack_stack *st, uint64_t now, int reason, const uint8_t *pkt, uint32_t len,
                const struct synack_segment *seg, int sd);
void stack_trace_state(struct synack_stack *st, struct sock *sk, uint64_t now, int old_state,
                       int new_state);
uint64_t stack_random(struct synack_stack *st);

#endif
