/*
 * table/timer_heap.c - the binary min-heap of table/timer_heap.h.
 */
#include "table/timer_heap.h"

#include <stdlib.h>

#include "synack/synack.h"

int timer_heap_init(struct timer_heap *h, uint32_t cap)
{
    h->a = malloc((size_t)(cap ? cap : 1) * sizeof(struct timer_node *));
    h->n = 0;
    h->cap = cap;
    return h->a ? 0 : SYNACK_ENOMEM;
}

void timer_heap_free(struct timer_heap *h)
{
    free(h->a);
    h->a = NULL;
    h->n = h->cap = 0;
}

static void swap(struct timer_heap *h, uint32_t i, uint32_t j)
{
    struct timer_node *x = h->a[i], *y = h->a[j];
    h->a[i] = y;
    h->a[j] = x;
    y->pos = (int32_t)i;
    x->pos = (int32_t)j;
}

static void sift_up(struct timer_heap *h, uint32_t i)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->a[p]->deadline <= h->a[i]->deadline) break;
        swap(h, i, p);
        i = p;
    }
}

static void sift_down(struct timer_heap *h, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->a[l]->deadline < h->a[m]->deadline) m = l;
        if (r < h->n && h->a[r]->deadline < h->a[m]->deadline) m = r;
        if (m == i) break;
        swap(h, i, m);
        i = m;
    }
}

void timer_heap_remove(struct timer_heap *h, struct timer_node *x)
{
    if (x->pos < 0) return;
    uint32_t i = (uint32_t)x->pos;
    uint32_t last = --h->n;
    if (i != last) {
        swap(h, i, last);
        sift_down(h, i);
        sift_up(h, i);
    }
    x->pos = -1;
}

void timer_heap_move(struct timer_heap *h, struct timer_node *x, uint64_t deadline)
{
    if (deadline == 0) {
        timer_heap_remove(h, x);
        return;
    }
    x->deadline = deadline;
    if (x->pos < 0) {
        /* The heap has one slot per socket, so it cannot be full. */
        if (h->n >= h->cap) return;
        uint32_t i = h->n++;
        h->a[i] = x;
        x->pos = (int32_t)i;
        sift_up(h, i);
    } else {
        sift_down(h, (uint32_t)x->pos);
        sift_up(h, (uint32_t)x->pos);
    }
}
