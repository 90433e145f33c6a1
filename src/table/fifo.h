/*
 * table/fifo.h - an intrusive first-in first-out queue with O(1) unlink: the accept queue
 * of a listener, its list of half-open requests, the TIME-WAIT list (oldest first), the
 * readiness queue, the sockets that want output, the free socket slots and the free
 * request records are each one of these. The node lives inside the queued object; the
 * queue never allocates and knows nothing of what it queues.
 */
#ifndef SYNACK_TABLE_FIFO_H
#define SYNACK_TABLE_FIFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fifo_node {
    struct fifo_node *prev, *next;
    bool linked;
};

struct fifo {
    struct fifo_node *head, *tail;
    uint32_t n;
};

/* The address of the object that holds node `ptr` as member `member`. */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void fifo_init(struct fifo *q)
{
    q->head = q->tail = NULL;
    q->n = 0;
}
/* Appends x; nothing when x is already linked (a node is in one queue at most). */
void fifo_push(struct fifo *q, struct fifo_node *x);
/* Puts x first, to be taken next: a stack's push (the free socket slots, so that the slot
 * freed last, still in the cache, is the next one used). Nothing when x is linked. */
void fifo_push_front(struct fifo *q, struct fifo_node *x);
/* Takes the oldest node, or NULL. */
struct fifo_node *fifo_pop(struct fifo *q);
/* Takes x out of q; nothing when it is not linked. */
void fifo_unlink(struct fifo *q, struct fifo_node *x);

#endif
