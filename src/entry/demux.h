/*
 * entry/demux.h - from a parsed segment to the connection it belongs to.
 */
#ifndef SYNACK_ENTRY_DEMUX_H
#define SYNACK_ENTRY_DEMUX_H

#include <stdint.h>

#include "synack/packet.h"

struct synack_stack;

/* Finds the connection (exact 4-tuple, then a listener on the port, else "closed") and
 * runs the machine on the segment. Returns 0 or a negative code for a dropped segment. */
int tcp_demux(struct synack_stack *st, uint64_t now, const struct synack_segment *seg,
              const uint8_t *pkt, uint32_t len);

#endif
