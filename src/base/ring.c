/*
 * base/ring.c - the byte ring behind every send and receive buffer: its memory is taken
 * as bytes are stored (doubling up to what the ring may hold) and given back when idle.
 */
#include "base/ring.h"

#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"

int ring_cache_init(struct ring_cache *c, uint32_t cap)
{
    c->held = c->max = c->press_on = c->press_off = 0;
    c->pressure = c->forced = false;
    c->pressure_entries = c->refused = 0;
    c->n = 0;
    c->cap = cap;
    c->bufs = cap ? malloc(cap * sizeof *c->bufs) : NULL;
    if (cap && !c->bufs) {
        c->cap = 0;
        return SYNACK_ENOMEM;
    }
    return 0;
}

void ring_cache_free(struct ring_cache *c)
{
    while (c->n > 0) free(c->bufs[--c->n]);
    free(c->bufs);
    c->bufs = NULL;
    c->cap = 0;
}

int ring_init_cached(struct ring *r, uint32_t cap, struct ring_cache *cache)
{
    r->buf = NULL;
    r->size = 0;
    r->cap = cap;
    r->head = 0;
    r->len = 0;
    r->ext = 0;
    r->cache = cache;
    return 0;
}

int ring_init(struct ring *r, uint32_t cap)
{
    return ring_init_cached(r, cap, NULL);
}

void ring_cache_limit(struct ring_cache *c, uint64_t max)
{
    c->max = max;
    c->press_on = max - max / 4;
    c->press_off = max / 2;
}

/* held changed: pressure is entered at press_on and left at press_off (hysteresis, so that
 * a stack near the threshold does not flap in and out of it). */
static void account(struct ring_cache *c)
{
    if (!c->max) return;
    if (!c->pressure && c->held >= c->press_on) {
        c->pressure = true;
        c->pressure_entries++;
    } else if (c->pressure && c->held <= c->press_off) {
        c->pressure = false;
    }
}

/* A buffer of size bytes for a ring that holds old bytes now: a spare first buffer from
 * the cache when it is that size. NULL when the stack's limit forbids it: a larger buffer
 * must fit beside the old one, which is held until its bytes are copied (ring_cache). */
static uint8_t *buf_get(struct ring *r, uint32_t size, uint32_t old)
{
    struct ring_cache *c = r->cache;
    if (c && c->max && !c->forced && size > old && c->held + size > c->max) {
        c->refused++;
        return NULL;
    }
    uint8_t *b;
    if (size == RING_MIN_SIZE && c && c->n > 0)
        b = c->bufs[--c->n];
    else
        b = malloc(size);
    if (b && c) {
        c->held += size;
        account(c);
    }
    return b;
}

/* Gives a buffer back: a first-size one to the cache while it has room. */
static void buf_put(struct ring *r, uint8_t *buf, uint32_t size)
{
    struct ring_cache *c = r->cache;
    if (!buf) return;
    if (c) {
        c->held -= size;
        account(c);
    }
    if (size == RING_MIN_SIZE && c && c->n < c->cap)
        c->bufs[c->n++] = buf;
    else
        free(buf);
}

void ring_free(struct ring *r)
{
    buf_put(r, r->buf, r->size);
    r->buf = NULL;
    r->size = r->cap = r->head = r->len = r->ext = 0;
}

void ring_release(struct ring *r)
{
    if (r->len) return;
    buf_put(r, r->buf, r->size);
    r->buf = NULL;
    r->size = r->head = r->ext = 0;
}

/* Moves what is stored to a buffer of size bytes, from its index 0: the first min(old
 * size, size) bytes from head. */
static int move_to(struct ring *r, uint32_t size)
{
    uint8_t *nb = buf_get(r, size, r->size);
    if (!nb) return SYNACK_ENOMEM;
    if (r->buf) ring_peek(r, 0, nb, r->size < size ? r->size : size);
    buf_put(r, r->buf, r->size);
    r->buf = nb;
    r->size = size;
    r->head = 0;
    if (r->ext > size) r->ext = size;
    return 0;
}

uint32_t ring_grow_size(const struct ring *r, uint32_t n)
{
    if (n <= r->size) return r->size;
    /* Doubling: a ring that grows to S bytes has copied fewer than S bytes on the way. */
    uint64_t want = r->size ? 2ull * r->size : RING_MIN_SIZE;
    if (want < n) want = n;
    if (want > r->cap) want = r->cap;
    return (uint32_t)want;
}

int ring_reserve(struct ring *r, uint32_t n)
{
    if (n <= r->size) return 0;
    if (n > r->cap) return SYNACK_EINVAL;
    return move_to(r, ring_grow_size(r, n));
}

int ring_resize(struct ring *r, uint32_t cap)
{
    if (cap < r->len) return SYNACK_EINVAL;
    if (cap == 0) {
        ring_free(r);
        return 0;
    }
    if (r->size > cap) {
        int e = move_to(r, cap);
        if (e < 0) return e;
    }
    r->cap = cap;
    return 0;
}

/* Where byte off of the ring lies in its buffer: (head + off) mod size, without a 64-bit
 * division in the common case (off within the buffer), for every payload byte stored,
 * read or consumed. */
static inline uint32_t ring_pos(const struct ring *r, uint64_t off)
{
    uint64_t x = r->head + off;
    if (x >= r->size) {
        x -= r->size;
        if (x >= r->size) x %= r->size;
    }
    return (uint32_t)x;
}

int ring_write_at(struct ring *r, uint32_t off, const void *data, uint32_t n)
{
    if (n == 0) return 0;
    int e = ring_reserve(r, off + n);
    if (e < 0) return e;
    uint32_t pos = ring_pos(r, off);
    uint32_t first = r->size - pos < n ? r->size - pos : n;
    /* Bytes a device read straight into their place (ring_span_at, the receive hint of
     * entry/rxhint.c) are already there: only the extent changes. */
    if (r->buf + pos != (const uint8_t *)data || first != n) {
        memcpy(r->buf + pos, data, first);
        /* The wrapped rest, when there is one (a call of memcpy for nothing is a dozen
         * instructions on every small write). */
        if (first < n) memcpy(r->buf, (const uint8_t *)data + first, n - first);
    }
    if (off + n > r->ext) r->ext = off + n;
    return 0;
}

uint32_t ring_trim(struct ring *r, uint32_t ext)
{
    if (ext < r->len) ext = r->len;
    if (ext < r->ext) r->ext = ext;
    uint32_t before = r->size;
    if (r->ext == 0) {
        ring_release(r);
        return before - r->size;
    }
    /* The size the ring would have reached by doubling to hold ext bytes (ring_reserve). */
    uint64_t want = RING_MIN_SIZE;
    while (want < r->ext) want *= 2;
    if (want > r->cap) want = r->cap;
    if (want >= r->size || move_to(r, (uint32_t)want) < 0) return 0;
    return before - r->size;
}

uint32_t ring_span_at(const struct ring *r, uint32_t off, uint8_t **p)
{
    *p = NULL;
    if (!r->buf || off >= r->size) return 0;
    uint32_t pos = ring_pos(r, off);
    uint32_t to_end = r->size - pos, held = r->size - off;
    *p = r->buf + pos;
    return to_end < held ? to_end : held;
}

uint32_t ring_write(struct ring *r, const void *data, uint32_t n)
{
    if (n > ring_free_space(r)) n = ring_free_space(r);
    if (n == 0) return 0;
    /* Short of memory for all of it: what fits in the memory there is. */
    if (ring_reserve(r, r->len + n) < 0) n = r->size - r->len;
    if (n == 0) return 0;
    (void)ring_write_at(r, r->len, data, n);
    r->len += n;
    return n;
}

void ring_peek(const struct ring *r, uint32_t off, void *out, uint32_t n)
{
    if (n == 0) return;
    uint32_t pos = ring_pos(r, off);
    uint32_t first = r->size - pos < n ? r->size - pos : n;
    memcpy(out, r->buf + pos, first);
    if (first < n) memcpy((uint8_t *)out + first, r->buf, n - first);
}

void ring_consume(struct ring *r, uint32_t n)
{
    if (n > r->len) n = r->len;
    r->len -= n;
    r->ext = r->ext > n ? r->ext - n : 0;
    if (r->ext < r->len) r->ext = r->len; /* len grown by the caller over parked bytes */
    /* Nothing held or parked: start again at the front (see ring.h). */
    if (r->ext == 0)
        r->head = 0;
    else
        r->head = ring_pos(r, n);
}

uint32_t ring_read(struct ring *r, void *out, uint32_t n)
{
    if (n > r->len) n = r->len;
    ring_peek(r, 0, out, n);
    ring_consume(r, n);
    return n;
}
