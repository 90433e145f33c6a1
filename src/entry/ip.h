/*
 * entry/ip.h - IPv4 and ICMP input: check and dispatch arriving datagrams (TCP to the
 * demultiplexer, ICMP to entry/icmp.c).
 */
#ifndef SYNACK_ENTRY_IP_H
#define SYNACK_ENTRY_IP_H

#include <stddef.h>
#include <stdint.h>

#include "synack/packet.h"

struct synack_stack;

int ip_input(struct synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len);
int icmp_input(struct synack_stack *st, uint64_t now, const struct synack_ipv4_hdr *ip,
               const uint8_t *payload, size_t plen, const uint8_t *pkt, size_t len);

#endif
