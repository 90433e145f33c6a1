/*
 * table/outq.c - the output queue of table/outq.h.
 */
#include "table/outq.h"

#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"

int outq_init(struct outq *q, uint32_t cap, uint32_t slot_size)
{
    memset(q, 0, sizeof *q);
    q->buf = malloc((size_t)cap * slot_size);
    q->len = calloc(cap, sizeof *q->len);
    q->cap = cap;
    q->slot_size = slot_size;
    if (!q->buf || !q->len) {
        outq_free(q);
        return SYNACK_ENOMEM;
    }
    return 0;
}

void outq_free(struct outq *q)
{
    free(q->buf);
    free(q->len);
    q->buf = NULL;
    q->len = NULL;
}

uint8_t *outq_reserve(struct outq *q)
{
    if (outq_full(q)) return NULL;
    uint32_t slot = (q->first + q->count) % q->cap;
    return q->buf + (size_t)slot * q->slot_size;
}

void outq_commit(struct outq *q, uint32_t len)
{
    uint32_t slot = (q->first + q->count) % q->cap;
    q->len[slot] = len;
    q->count++;
}

uint32_t outq_peek(const struct outq *q, const uint8_t **pkt)
{
    if (q->count == 0) return 0;
    *pkt = q->buf + (size_t)q->first * q->slot_size;
    return q->len[q->first];
}

void outq_drop(struct outq *q)
{
    if (q->count == 0) return;
    q->first = (q->first + 1) % q->cap;
    q->count--;
}

int outq_pop(struct outq *q, uint8_t *buf, size_t cap)
{
    if (q->count == 0) return 0;
    uint32_t len = q->len[q->first];
    if (len > cap) return SYNACK_EMSGSIZE;
    memcpy(buf, q->buf + (size_t)q->first * q->slot_size, len);
    q->first = (q->first + 1) % q->cap;
    q->count--;
    return (int)len;
}
