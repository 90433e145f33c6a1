/*
 * table/outq.h - the datagrams the stack has queued for the device: a FIFO of at most cap
 * datagrams in one byte ring, allocated with the stack. The machine builds a datagram in
 * place at the ring's tail and commits it; synack_output() hands them out in order.
 *
 * Why bytes, not MTU-sized slots: a TCP super-segment for a device that splits it (TSO,
 * cfg.tso_max) is up to 64 KiB, and slots that size would take 32 MiB for the default 512
 * datagrams. The ring has the room the slots had (cap × MTU), or four of the largest
 * datagrams if that is more; each datagram is contiguous (a datagram that does not fit
 * before the end starts again at the front), so it is built and handed out in one piece.
 */
#ifndef SYNACK_TABLE_OUTQ_H
#define SYNACK_TABLE_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outq {
    uint8_t *buf;
    uint32_t *off, *len, *gso; /* per datagram: where, how long, its gso_size (0: none) */
    uint32_t first, count, cap;
    uint32_t slot_size; /* the MTU: what outq_reserve() guarantees */
    uint32_t max_len;   /* the largest datagram, slot_size or the TSO limit */
    uint32_t bytes;     /* the ring's size */
};

/* At most cap datagrams of slot_size bytes, and (max_len > slot_size) some of up to max_len.
 * 0 or SYNACK_ENOMEM. */
int outq_init(struct outq *q, uint32_t cap, uint32_t slot_size, uint32_t max_len);
void outq_free(struct outq *q);
bool outq_full_slow(const struct outq *q);
uint8_t *outq_reserve_len_slow(struct outq *q, uint32_t need);
/* No room for another datagram of slot_size bytes. The send loop asks before every segment
 * and mostly finds the queue empty (the device drained it since the last call): that case
 * inline, the rest in outq.c. */
static inline bool outq_full(const struct outq *q)
{
    if (q->count == 0 && q->cap > 0 && q->slot_size <= q->bytes) return false;
    return outq_full_slow(q);
}
/* Room to build a datagram of slot_size bytes at the tail, or NULL when full. */
uint8_t *outq_reserve(struct outq *q);
/* Room for one of need bytes (at most max_len), or NULL when there is none now. An empty
 * queue's first datagram goes at the front of the ring (as outq.c's tail_for says), inline. */
static inline uint8_t *outq_reserve_len(struct outq *q, uint32_t need)
{
    if (q->count == 0 && q->cap > 0 && need <= q->max_len && need <= q->bytes) {
        q->off[q->first] = 0;
        return q->buf;
    }
    return outq_reserve_len_slow(q, need);
}
/* The datagram built at the last reserved place is len bytes (no more than reserved), to be
 * split by the device at gso payload bytes (0: not a super-segment): it joins the queue. */
void outq_commit(struct outq *q, uint32_t len);
void outq_commit_gso(struct outq *q, uint32_t len, uint32_t gso);
/* Copies the oldest datagram into buf and dequeues it: its length, 0 when the queue is
 * empty, SYNACK_EMSGSIZE when cap is too small (it stays queued); *gso its gso_size. */
int outq_pop(struct outq *q, uint8_t *buf, size_t cap, uint32_t *gso);

/* Dequeues the oldest datagram without copying it: *pkt points at it in the ring, valid until
 * the next outq_reserve. Its length, 0 when the queue is empty. */
int outq_next(struct outq *q, const uint8_t **pkt, uint32_t *gso);

#endif
