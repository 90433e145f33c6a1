/*
 * tcp/ip_out.h - IPv4 and IPv6 output for the one interface: build outgoing datagrams in the
 * output queue.
 */
#ifndef SYNACK_TCP_IP_OUT_H
#define SYNACK_TCP_IP_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/packet.h"

struct synack_stack;
struct sock;

/* What ip_output_tcp is told beside the segment: it sends sequence space again (traced as a
 * retransmission), and its datagram is ECN-capable, ECT(0) (RFC 3168 §5). */
#define IP_OUT_RETRANSMIT 0x1u
#define IP_OUT_ECT        0x2u
/* The DS field's upper six bits (SYNACK_OPT_TOS) for a datagram sent without its socket (a
 * listener's SYN-ACK): bits 8-15; a socket's own come from sk. */
#define IP_OUT_TOS(tos) (((unsigned)(tos)&0xfcu) << 8)
/* A super-segment (cfg.tso_max) the device splits at gso payload bytes: its bits 16-31. */
#define IP_OUT_GSO(gso) ((unsigned)(gso) << 16)
/* Builds IPv4 + TCP or IPv6 + TCP, as src's family says (h, with plen payload bytes copied
 * from the data sk has queued, at offset off from its snd_buf_seq: tcp_snd_peek) in the
 * output queue. 0, SYNACK_ENOBUFS when the queue is full. */
int ip_output_tcp(struct synack_stack *st, uint64_t now, int sd, const struct synack_tcp_hdr *h,
                  const struct synack_addr *src, const struct synack_addr *dst,
                  const struct sock *sk, uint32_t off, uint32_t plen, unsigned out);
/* The same for a connection's IPv4 segment in the short form (wire/seg4.c: the timestamps
 * or no option): s holds the TCP fields and the addresses, its IPv4 header fields are set
 * here as ip_output_tcp sets them. The same datagram, counters and trace event. */
struct wire_seg4;
int ip_output_tcp4(struct synack_stack *st, uint64_t now, const struct sock *sk,
                   struct wire_seg4 *s, uint32_t off, uint32_t plen, unsigned out);
/* A datagram built in place: the next output-queue slot (outq.slot_size bytes), or NULL
 * when the queue is full (counted); then ip_output_built() queues and traces its len
 * bytes. */
uint8_t *ip_output_slot(struct synack_stack *st);
void ip_output_built(struct synack_stack *st, uint64_t now, uint8_t *slot, size_t len);
/* true when addr is on our network (a destination we can reach on the link): a unicast
 * address of a configured family within its prefix; never multicast, broadcast or loopback. */
bool ip_on_link(const struct synack_stack *st, const struct synack_addr *addr);

#endif
