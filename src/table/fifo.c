/*
 * table/fifo.c - the intrusive queue of table/fifo.h.
 */
#include "table/fifo.h"

void fifo_push(struct fifo *q, struct fifo_node *x)
{
    if (x->linked) return;
    x->linked = true;
    x->next = NULL;
    x->prev = q->tail;
    if (q->tail)
        q->tail->next = x;
    else
        q->head = x;
    q->tail = x;
    q->n++;
}

void fifo_push_front(struct fifo *q, struct fifo_node *x)
{
    if (x->linked) return;
    x->linked = true;
    x->prev = NULL;
    x->next = q->head;
    if (q->head)
        q->head->prev = x;
    else
        q->tail = x;
    q->head = x;
    q->n++;
}

void fifo_unlink(struct fifo *q, struct fifo_node *x)
{
    if (!x->linked) return;
    if (x->prev)
        x->prev->next = x->next;
    else
        q->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        q->tail = x->prev;
    x->prev = x->next = NULL;
    x->linked = false;
    q->n--;
}

struct fifo_node *fifo_pop(struct fifo *q)
{
    struct fifo_node *x = q->head;
    if (x) fifo_unlink(q, x);
    return x;
}
