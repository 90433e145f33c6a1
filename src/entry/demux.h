/*
 * entry/demux.h - from a parsed segment to the connection it belongs to.
 */
#ifndef SYNACK_ENTRY_DEMUX_H
#define SYNACK_ENTRY_DEMUX_H

#include <stddef.h>
#include <stdint.h>

#include "synack/packet.h"

struct synack_stack;

/* The TCP segment of an IPv4 or IPv6 datagram that passed its network layer: seg has the IP
 * header, family and addresses set, tcp/tlen is the IP payload. Parses it (checksum over
 * the family's pseudo-header), drops it by name when it is bad, else hands it to
 * tcp_demux. */
int tcp_segment_in(struct synack_stack *st, uint64_t now, struct synack_segment *seg,
                   const uint8_t *tcp, size_t tlen, const uint8_t *pkt, size_t len);

#endif
