/*
 * base/ring.h - a byte ring that takes memory as it is used: the send buffer
 * (unacknowledged + unsent data) and the receive buffer (in-order data not yet read, with
 * out-of-order data parked beyond it at its offset, see reass.h).
 *
 * A ring has two sizes. cap is what it may hold: the send buffer's limit, or the receive
 * buffer a window was computed from; 0 means there is no ring. size is the memory it has
 * now: none until bytes are stored, then doubling (from RING_MIN_SIZE) up to cap as bytes
 * are stored further out, and none again after ring_release. So an idle connection holds
 * no buffer memory, a busy one holds what its traffic needs, and once a ring has reached
 * the size its traffic needs, storing and consuming bytes allocates nothing.
 */
#ifndef SYNACK_BASE_RING_H
#define SYNACK_BASE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first allocation of a ring (or all of it, when cap is smaller): a full-sized segment
 * at MTU 1500 fits. */
#define RING_MIN_SIZE 2048u
/* The spare first buffers a stack keeps (struct ring_cache): 128 KiB at most. */
#define RING_CACHE_MAX 64u

struct ring {
    uint8_t *buf;  /* size bytes, or NULL when size is 0 */
    uint32_t size; /* bytes allocated: 0 <= size <= cap, and len <= size */
    uint32_t cap;  /* bytes the ring may hold; 0: no ring */
    uint32_t head; /* index in buf of the first byte */
    uint32_t len;  /* bytes held from head */
    /* Bytes from head that may hold data: len, or more when bytes were parked beyond len
     * (ring_write_at). When it reaches 0 the ring holds nothing and head goes back to 0,
     * so that a ring drained as fast as it fills keeps to the first lines of its memory. */
    uint32_t ext;
    struct ring_cache *cache; /* where its first buffer comes from and goes back to, or NULL */
};

/* A bounded stack of spare first buffers (RING_MIN_SIZE bytes), one per TCP stack: a ring
 * made with ring_init_cached takes its first buffer from here and gives a first-size buffer
 * back here (at release, free, or when it grows past it), so that a short connection's
 * rings cost no malloc and free. At most cap buffers are kept; the rest go back to the
 * allocator, so the memory it holds is bounded.
 *
 * It also keeps the stack's account of ring memory (cfg.mem_max, as Linux's tcp_mem): held
 * is the sum of the buffers of every ring made with it, counted as each buffer is taken
 * and given back (the spare buffers are not in it: they are bounded apart). A ring may not
 * take a buffer that would bring held past max, counting the old buffer it still holds
 * while its bytes are copied, so that growing never takes the allocation past max; a
 * smaller buffer (a ring that shrinks) is always allowed, though for the moment of its copy
 * it sits beside the old one. Pressure, with hysteresis as
 * tcp_mem's: entered when held reaches press_on, left when it falls to press_off. */
struct ring_cache {
    uint8_t **bufs;
    uint32_t n, cap;
    uint64_t held;                /* bytes in ring buffers now */
    uint64_t max;                 /* the limit on held; 0: none */
    uint64_t press_on, press_off; /* pressure's thresholds (0 with max 0) */
    bool pressure;
    uint64_t pressure_entries; /* times pressure was entered */
    uint64_t refused;          /* buffers refused for the limit */
    /* While set, buffers are taken past max (still counted): for the one growth that must
     * not fail, a close copying what zero-copy sends hold (tcp/tcp_zc.c), as Linux forces
     * the memory a FIN needs (sk_forced_mem_schedule). */
    bool forced;
};

/* Sets the limit and pressure's thresholds (three quarters and half of max). */
void ring_cache_limit(struct ring_cache *c, uint64_t max);

/* A cache of at most cap buffers (none held yet). 0, or SYNACK_ENOMEM. */
int ring_cache_init(struct ring_cache *c, uint32_t cap);
/* Frees the buffers held and the cache. */
void ring_cache_free(struct ring_cache *c);

/* A ring that may hold cap bytes; it takes no memory until bytes are stored. Returns 0. */
int ring_init(struct ring *r, uint32_t cap);
/* The same, its first buffer from (and back to) cache. Returns 0. */
int ring_init_cached(struct ring *r, uint32_t cap, struct ring_cache *cache);
/* Frees the memory; the ring is gone (cap 0). */
void ring_free(struct ring *r);
static inline bool ring_live(const struct ring *r)
{
    return r->cap != 0;
}
/* Gives the memory back while the ring stays (cap kept): only when it holds nothing, and
 * the caller knows that nothing is parked beyond len either. */
void ring_release(struct ring *r);
/* Makes at least n bytes from head storable (n <= cap), keeping every byte stored so far.
 * 0, or SYNACK_ENOMEM (unchanged). */
int ring_reserve(struct ring *r, uint32_t n);
/* The size ring_reserve(r, n) would move the ring to (its size when n already fits). */
uint32_t ring_grow_size(const struct ring *r, uint32_t n);
/* Sets what the ring may hold to cap (never below len), keeping its first min(size, cap)
 * bytes from head (the bytes held and, for a receive ring, data parked beyond them): the
 * caller makes sure nothing it needs lies past the new end. Growing takes no memory.
 * 0, SYNACK_EINVAL (cap < len) or SYNACK_ENOMEM (unchanged). */
int ring_resize(struct ring *r, uint32_t cap);
static inline uint32_t ring_free_space(const struct ring *r)
{
    return r->cap - r->len;
}
/* Forgets bytes parked beyond ext (ext >= len; the caller's reassembly no longer holds
 * them) and gives back the memory the rest no longer needs: the ring moves to the smallest
 * buffer of its doubling sizes that holds ext bytes (none when ext is 0). Returns the bytes
 * of memory given back (0 when the ring stays in its buffer). */
uint32_t ring_trim(struct ring *r, uint32_t ext);
/* Appends up to n bytes; returns how many fit (fewer when memory runs out). */
uint32_t ring_write(struct ring *r, const void *data, uint32_t n);
/* Writes n bytes at offset off from head without changing len (off + n <= cap).
 * 0, or SYNACK_ENOMEM (nothing written). */
int ring_write_at(struct ring *r, uint32_t off, const void *data, uint32_t n);
/* The memory the ring has now at offset off from head, in one piece: *p and its length,
 * up to the end of the buffer or of the memory (0 and NULL when off is beyond it). Bytes
 * written there (by a device's read) become the ring's with ring_write_at(r, off, *p, n),
 * which then copies nothing. */
uint32_t ring_span_at(const struct ring *r, uint32_t off, uint8_t **p);
/* Copies n bytes starting at offset off from head (bytes stored: off + n <= size). */
void ring_peek(const struct ring *r, uint32_t off, void *out, uint32_t n);
/* Drops n bytes from the head (n <= len). */
void ring_consume(struct ring *r, uint32_t n);
/* Reads and consumes up to n bytes; returns how many. */
uint32_t ring_read(struct ring *r, void *out, uint32_t n);

#endif
