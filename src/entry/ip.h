/*
 * entry/ip.h - IPv4 and IPv6 input: check and dispatch arriving datagrams (TCP to the
 * demultiplexer, ICMP to entry/icmp.c, ICMPv6 to entry/icmp6.c).
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
int ip6_input(struct synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len);
int icmp6_input(struct synack_stack *st, uint64_t now, const struct synack_ipv6_hdr *ip,
                const uint8_t *payload, size_t plen, const uint8_t *pkt, size_t len);

/* Sends an ICMPv6 error (RFC 4443) about the datagram pkt to its source, unless the rules
 * of §2.4(e) forbid it (it is an ICMPv6 error itself, or came from or to an address that
 * must not be answered) or the rate limit of §2.4(f) holds it back (counted). */
void icmp6_send_error(struct synack_stack *st, uint64_t now, uint8_t type, uint8_t code,
                      uint32_t param, const uint8_t *pkt, size_t len);

/* The output slot of an echo reply of need bytes (IP header included), or NULL with *err
 * set when it cannot go: too big for our link (synack never fragments) or the output queue
 * full. The request is then dropped by name and counted, as every datagram the stack does
 * not act on. For ICMP and ICMPv6 alike. */
uint8_t *icmp_reply_slot(struct synack_stack *st, uint64_t now, size_t need, const uint8_t *pkt,
                         size_t len, int *err);

/* What an ICMP or ICMPv6 error says about one of our TCP segments: the quoted datagram's
 * addresses (ours first), ports and sequence number, and either the MTU of a hop it was
 * too big for, or the error it means for the connection. */
struct icmp_report {
    struct synack_addr src, dst;
    uint16_t sport, dport;
    uint32_t seq;
    bool too_big;        /* IPv4 fragmentation needed (DF set), IPv6 packet too big */
    uint32_t mtu;        /* too_big: the next hop's MTU (0: not given) */
    uint32_t quoted_len; /* too_big: the length of the datagram that did not fit */
    int err;             /* otherwise: SYNACK_ECONNREFUSED, SYNACK_EHOSTUNREACH, ... */
};
/* Hands the report to its connection or half-open request, if it proves itself (RFC 5927
 * §4.1: it quotes a sequence number in flight); counts and traces a drop otherwise. */
void icmp_report_to_tcp(struct synack_stack *st, uint64_t now, const struct icmp_report *r,
                        const uint8_t *pkt, size_t len);

#endif
