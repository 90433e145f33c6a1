/*
 * entry/rxhint.h - the receive hint: where the next in-order payload of the connection that
 * took the last one would go (its receive ring's free memory at RCV.NXT) and the headers it
 * should come behind, so that a device reads it there and the stack keeps it uncopied
 * (SYNACK_INPUT_PLACED). See entry/rxhint.c.
 */
#ifndef SYNACK_ENTRY_RXHINT_H
#define SYNACK_ENTRY_RXHINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h"

struct rx_hint {
    uint32_t hdr_len;  /* IP and TCP header bytes the segment is expected to have */
    uint8_t *span;     /* where its payload goes: the ring's memory at RCV.NXT, one piece */
    uint32_t span_len; /* and how much of it there is */
    uint8_t version;   /* 4 or 6 */
    uint8_t laddr[16], raddr[16]; /* network order; IPv4 in the last 4 bytes */
    uint16_t lport, rport;
    uint32_t seq; /* RCV.NXT */
};

/* The hint for the next datagram, armed until the next synack_input_flags(); false when
 * there is none (no connection took an in-order segment, it holds out-of-order data, it
 * cannot take more text, or its ring has no memory free at RCV.NXT). */
bool rxhint_get(synack_stack *st, struct rx_hint *h);
/* Whether the headers at hdr (hdr_len bytes of them readable) of a datagram of len bytes
 * are those the hint expects, with a payload that fits its room. Pure. */
bool rxhint_match(const struct rx_hint *h, const uint8_t *hdr, size_t len);
/* For synack_input_flags with SYNACK_INPUT_PLACED: 0 when the hint armed by the last
 * rxhint_get still holds and *pkt's headers are the expected ones; the payload's place is
 * then set for this datagram (st->in_placed), and on a traced stack *pkt becomes a whole
 * copy of the datagram for the trace events. Else the drop reason. Disarms the hint. */
int rxhint_take(synack_stack *st, const uint8_t **pkt, size_t len);

#endif
