/*
 * table/timer_heap.h - every connection's timers in one binary min-heap keyed by its
 * earliest deadline: O(log n) to arm, move or cancel, O(1) to find the next deadline. A
 * connection holds at most one entry however many timers it runs; the machine computes
 * that deadline and hands it over (the heap never asks a connection anything). A node's
 * owner-kind byte says what holds it (a socket, a half-open request), for whoever pops it.
 */
#ifndef SYNACK_TABLE_TIMER_HEAP_H
#define SYNACK_TABLE_TIMER_HEAP_H

#include <stdint.h>

struct timer_node {
    uint64_t deadline;
    int32_t pos;   /* index in the heap, -1 when not in it */
    uint8_t owner; /* what holds this node, set by the owner; the heap only carries it */
};

struct timer_heap {
    struct timer_node **a;
    uint32_t n, cap;
};

/* Room for cap entries. 0 or SYNACK_ENOMEM. */
int timer_heap_init(struct timer_heap *h, uint32_t cap);
void timer_heap_free(struct timer_heap *h);
static inline void timer_node_init(struct timer_node *x)
{
    x->deadline = 0;
    x->pos = -1;
}
/* timer_heap_set's work when the entry moves, enters or leaves. */
void timer_heap_move(struct timer_heap *h, struct timer_node *x, uint64_t deadline);
/* Arms x at deadline (absolute microseconds), or takes it out when deadline is 0. Re-armed
 * at the deadline it has (most re-arms after a segment in or out), the heap is already in
 * order around it and nothing moves: that test inline, the rest in timer_heap_move. */
static inline void timer_heap_set(struct timer_heap *h, struct timer_node *x, uint64_t deadline)
{
    if (deadline != 0 && x->pos >= 0 && x->deadline == deadline) return;
    timer_heap_move(h, x, deadline);
}
void timer_heap_remove(struct timer_heap *h, struct timer_node *x);
/* The entry with the earliest deadline, or NULL. */
static inline struct timer_node *timer_heap_first(const struct timer_heap *h)
{
    return h->n ? h->a[0] : 0;
}

#endif
