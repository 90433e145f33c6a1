/*
 * base/ring.c - the fixed-size byte ring behind every send and receive buffer.
 */
#include "base/ring.h"

#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"

int ring_init(struct ring *r, uint32_t cap)
{
    r->buf = malloc(cap ? cap : 1);
    if (!r->buf) return SYNACK_ENOMEM;
    r->cap = cap;
    r->head = 0;
    r->len = 0;
    return 0;
}

void ring_free(struct ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->head = r->len = 0;
}

int ring_resize(struct ring *r, uint32_t cap)
{
    if (cap < r->len) return SYNACK_EINVAL;
    if (cap == r->cap) return 0;
    uint8_t *nb = malloc(cap ? cap : 1);
    if (!nb) return SYNACK_ENOMEM;
    if (r->buf) ring_peek(r, 0, nb, r->cap < cap ? r->cap : cap);
    free(r->buf);
    r->buf = nb;
    r->cap = cap;
    r->head = 0;
    return 0;
}

void ring_write_at(struct ring *r, uint32_t off, const void *data, uint32_t n)
{
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(r->buf + pos, data, first);
    memcpy(r->buf, (const uint8_t *)data + first, n - first);
}

uint32_t ring_write(struct ring *r, const void *data, uint32_t n)
{
    if (n > ring_free_space(r)) n = ring_free_space(r);
    if (n == 0) return 0;
    ring_write_at(r, r->len, data, n);
    r->len += n;
    return n;
}

void ring_peek(const struct ring *r, uint32_t off, void *out, uint32_t n)
{
    if (n == 0) return;
    uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(out, r->buf + pos, first);
    memcpy((uint8_t *)out + first, r->buf, n - first);
}

void ring_consume(struct ring *r, uint32_t n)
{
    if (n > r->len) n = r->len;
    r->head = (uint32_t)(((uint64_t)r->head + n) % (r->cap ? r->cap : 1));
    r->len -= n;
}

uint32_t ring_read(struct ring *r, void *out, uint32_t n)
{
    if (n > r->len) n = r->len;
    ring_peek(r, 0, out, n);
    ring_consume(r, n);
    return n;
}
