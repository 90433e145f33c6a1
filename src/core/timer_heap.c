/*
 * core/timer_heap.c - every connection's timers in one binary min-heap keyed by its
 * earliest deadline (tcb_next_deadline): O(log n) to arm, move or cancel, O(1) to find
 * the next deadline. A connection holds at most one entry, however many timers it runs.
 */
#include "core/stack.h"

static void heap_swap(struct synack_stack *st, uint32_t a, uint32_t b)
{
    int32_t x = st->heap[a], y = st->heap[b];
    st->heap[a] = y;
    st->heap[b] = x;
    st->socks[y].heap_pos = (int32_t)a;
    st->socks[x].heap_pos = (int32_t)b;
}

static uint64_t key(const struct synack_stack *st, uint32_t i)
{
    return st->socks[st->heap[i]].deadline;
}

static void sift_up(struct synack_stack *st, uint32_t i)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (key(st, p) <= key(st, i)) break;
        heap_swap(st, i, p);
        i = p;
    }
}

static void sift_down(struct synack_stack *st, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < st->heap_n && key(st, l) < key(st, m)) m = l;
        if (r < st->heap_n && key(st, r) < key(st, m)) m = r;
        if (m == i) break;
        heap_swap(st, i, m);
        i = m;
    }
}

void timer_remove(struct synack_stack *st, struct sock *sk)
{
    if (sk->heap_pos < 0) return;
    uint32_t i = (uint32_t)sk->heap_pos;
    uint32_t last = --st->heap_n;
    if (i != last) {
        heap_swap(st, i, last);
        sift_down(st, i);
        sift_up(st, i);
    }
    sk->heap_pos = -1;
}

void timer_update(struct synack_stack *st, struct sock *sk)
{
    uint64_t d = sk->in_use ? tcb_next_deadline(&sk->tcb) : 0;
    if (d == 0) {
        timer_remove(st, sk);
        return;
    }
    sk->deadline = d;
    if (sk->heap_pos < 0) {
        uint32_t i = st->heap_n++;
        st->heap[i] = sk->idx;
        sk->heap_pos = (int32_t)i;
        sift_up(st, i);
    } else {
        sift_down(st, (uint32_t)sk->heap_pos);
        sift_up(st, (uint32_t)sk->heap_pos);
    }
}
