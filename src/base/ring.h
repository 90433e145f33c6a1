/*
 * base/ring.h - a fixed-size byte ring: the send buffer (unacknowledged + unsent data) and
 * the receive buffer (in-order data not yet read, with out-of-order data parked beyond it
 * at its offset, see reass.h). Sized when the connection is set up; SO_SNDBUF/SO_RCVBUF on a
 * live connection resize it (ring_resize), never below what it holds.
 */
#ifndef SYNACK_BASE_RING_H
#define SYNACK_BASE_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
    uint8_t *buf;
    uint32_t cap;
    uint32_t head; /* index of the first byte */
    uint32_t len;  /* bytes held from head */
};

int ring_init(struct ring *r, uint32_t cap); /* 0 or SYNACK_ENOMEM */
void ring_free(struct ring *r);
/* Moves the ring to a buffer of cap bytes, keeping its first min(old cap, cap) bytes from
 * head (the bytes held and, for a receive ring, data parked beyond them): the caller
 * makes sure nothing it needs lies past the new end. 0, or SYNACK_ENOMEM (unchanged). */
int ring_resize(struct ring *r, uint32_t cap);
static inline uint32_t ring_free_space(const struct ring *r)
{
    return r->cap - r->len;
}
/* Appends up to n bytes; returns how many fit. */
uint32_t ring_write(struct ring *r, const void *data, uint32_t n);
/* Writes n bytes at offset off from head without changing len (off + n <= cap). */
void ring_write_at(struct ring *r, uint32_t off, const void *data, uint32_t n);
/* Copies n bytes starting at offset off from head (off + n <= cap). */
void ring_peek(const struct ring *r, uint32_t off, void *out, uint32_t n);
/* Drops n bytes from the head (n <= len). */
void ring_consume(struct ring *r, uint32_t n);
/* Reads and consumes up to n bytes; returns how many. */
uint32_t ring_read(struct ring *r, void *out, uint32_t n);

#endif
