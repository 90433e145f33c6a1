/*
 * table/outq.c - the output queue of table/outq.h: a byte ring of contiguous datagrams.
 */
#include "table/outq.h"

#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"

int outq_init(struct outq *q, uint32_t cap, uint32_t slot_size, uint32_t max_len)
{
    memset(q, 0, sizeof *q);
    if (max_len < slot_size) max_len = slot_size;
    uint64_t bytes = (uint64_t)cap * slot_size;
    if (bytes < 4ull * max_len) bytes = 4ull * max_len;
    if (bytes > UINT32_MAX) return SYNACK_ENOMEM;
    q->bytes = (uint32_t)bytes;
    q->buf = malloc(q->bytes);
    q->off = calloc(cap, sizeof *q->off);
    q->len = calloc(cap, sizeof *q->len);
    q->gso = calloc(cap, sizeof *q->gso);
    q->cap = cap;
    q->slot_size = slot_size;
    q->max_len = max_len;
    if (!q->buf || !q->off || !q->len || !q->gso) {
        outq_free(q);
        return SYNACK_ENOMEM;
    }
    return 0;
}

void outq_free(struct outq *q)
{
    free(q->buf);
    free(q->off);
    free(q->len);
    free(q->gso);
    q->buf = NULL;
    q->off = q->len = q->gso = NULL;
}

/* Index i of the datagram slots, less than 2 * cap (first and count are each at most cap),
 * brought into [0, cap): a compare instead of a division, several times a datagram. */
static inline uint32_t wrap(const struct outq *q, uint32_t i)
{
    return i >= q->cap ? i - q->cap : i;
}

/* Where a datagram of need bytes can go at the tail, or UINT32_MAX. The live datagrams run
 * from off[first] to the end of the last one, either in one stretch or wrapped (the last
 * starts before the first). */
static uint32_t tail_for(const struct outq *q, uint32_t need)
{
    if (q->count >= q->cap || need > q->bytes) return UINT32_MAX;
    if (q->count == 0) return 0;
    uint32_t last = wrap(q, q->first + q->count - 1);
    uint32_t head = q->off[q->first];
    uint32_t tail = q->off[last] + q->len[last];
    if (q->off[last] >= head) { /* one stretch: room after it, or at the front */
        if (q->bytes - tail >= need) return tail;
        return head >= need ? 0 : UINT32_MAX;
    }
    return head - tail >= need ? tail : UINT32_MAX; /* wrapped: room between */
}

bool outq_full_slow(const struct outq *q)
{
    return tail_for(q, q->slot_size) == UINT32_MAX;
}

uint8_t *outq_reserve_len_slow(struct outq *q, uint32_t need)
{
    if (need > q->max_len) return NULL;
    uint32_t at = tail_for(q, need);
    if (at == UINT32_MAX) return NULL;
    q->off[wrap(q, q->first + q->count)] = at;
    return q->buf + at;
}

uint8_t *outq_reserve(struct outq *q)
{
    return outq_reserve_len(q, q->slot_size);
}

void outq_commit_gso(struct outq *q, uint32_t len, uint32_t gso)
{
    uint32_t slot = wrap(q, q->first + q->count);
    q->len[slot] = len;
    q->gso[slot] = gso;
    q->count++;
}

void outq_commit(struct outq *q, uint32_t len)
{
    outq_commit_gso(q, len, 0);
}

int outq_pop(struct outq *q, uint8_t *buf, size_t cap, uint32_t *gso)
{
    if (q->count == 0) return 0;
    uint32_t len = q->len[q->first];
    if (len > cap) return SYNACK_EMSGSIZE;
    memcpy(buf, q->buf + q->off[q->first], len);
    if (gso) *gso = q->gso[q->first];
    q->first = wrap(q, q->first + 1);
    q->count--;
    return (int)len;
}

int outq_next(struct outq *q, const uint8_t **pkt, uint32_t *gso)
{
    if (q->count == 0) return 0;
    uint32_t len = q->len[q->first];
    *pkt = q->buf + q->off[q->first];
    *gso = q->gso[q->first];
    q->first = wrap(q, q->first + 1);
    q->count--;
    return (int)len;
}
