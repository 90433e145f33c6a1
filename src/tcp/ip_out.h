/*
 * tcp/ip_out.h - IPv4 output for the one interface: build outgoing datagrams in the output
 * queue.
 */
#ifndef SYNACK_TCP_IP_OUT_H
#define SYNACK_TCP_IP_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/packet.h"

struct synack_stack;
struct ring;

/* Builds IPv4 + TCP (h, with plen payload bytes copied from ring r at offset off) in the
 * output queue. 0, SYNACK_ENOBUFS when the queue is full. */
int ip_output_tcp(struct synack_stack *st, uint64_t now, int sd, const struct synack_tcp_hdr *h,
                  uint32_t src, uint32_t dst, const struct ring *r, uint32_t off, uint32_t plen,
                  bool retransmit);
/* Queues an already-built datagram (ICMP). 0 or SYNACK_ENOBUFS. */
int ip_output_raw(struct synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len);
/* true when addr is on our network (a destination we can reach on the link). */
bool ip_on_link(const struct synack_stack *st, uint32_t addr);

#endif
