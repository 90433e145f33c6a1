/*
 * table/outq.h - the datagrams the stack has queued for the device: a fixed FIFO of
 * MTU-sized slots, allocated with the stack. The machine builds a datagram in place in the
 * next free slot and commits it; synack_output() hands them out in order.
 */
#ifndef SYNACK_TABLE_OUTQ_H
#define SYNACK_TABLE_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outq {
    uint8_t *buf;
    uint32_t *len;
    uint32_t first, count, cap, slot_size;
};

/* cap slots of slot_size bytes. 0 or SYNACK_ENOMEM. */
int outq_init(struct outq *q, uint32_t cap, uint32_t slot_size);
void outq_free(struct outq *q);
static inline bool outq_full(const struct outq *q)
{
    return q->count >= q->cap;
}
/* The next free slot (slot_size bytes) to build a datagram in, or NULL when full. */
uint8_t *outq_reserve(struct outq *q);
/* The datagram built in the reserved slot is len bytes: it joins the queue. */
void outq_commit(struct outq *q, uint32_t len);
/* Copies the oldest datagram into buf and dequeues it: its length, 0 when the queue is
 * empty, SYNACK_EMSGSIZE when cap is too small (it stays queued). */
int outq_pop(struct outq *q, uint8_t *buf, size_t cap);
/* The oldest datagram in place (its length; 0 when the queue is empty), and its removal:
 * the device may send straight from the slot, one copy fewer. */
uint32_t outq_peek(const struct outq *q, const uint8_t **pkt);
void outq_drop(struct outq *q);

#endif
