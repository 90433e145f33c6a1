/*
 * tcp/ip_out.c - IPv4 output: the datagram around a segment the machine built, or around
 * an ICMP message, placed straight into the output queue (table/outq.h) and traced. A
 * 20-byte header with DF set, TTL 64.
 *
 * Every datagram synack sends is atomic (DF set, never fragmented: path MTU discovery,
 * tcp_pmtu.c, keeps segments small enough) and carries IP ID 0. RFC 6864 §4.1 gives the ID
 * of an atomic datagram no meaning, and any counter behind it would leak: a stack-wide
 * counter tells an off-path observer how many datagrams went to others, which is how
 * CVE-2016-5696's kind of attack learns whether a spoofed guess drew a reply (RFC 7739
 * §3). Zero leaks nothing and costs nothing; a per-connection random start would do too,
 * but it buys nothing for atomic datagrams. Linux sends ID 0 in the same case for
 * datagrams without a connected socket.
 */
#include <string.h>

#include "tcp/ip_out.h"
#include "tcp/stack.h"
#include "wire/wire.h"

bool ip_on_link(const struct synack_stack *st, uint32_t addr)
{
    uint8_t p = st->cfg.prefix_len;
    uint32_t mask = p == 0 ? 0 : 0xffffffffu << (32 - p);
    return (addr & mask) == (st->cfg.addr & mask);
}

int ip_output_tcp(struct synack_stack *st, uint64_t now, int sd, const struct synack_tcp_hdr *h,
                  uint32_t src, uint32_t dst, const struct ring *r, uint32_t off, uint32_t plen,
                  bool retransmit)
{
    uint8_t *slot = outq_reserve(&st->outq);
    if (!slot) {
        st->stats.out_queue_full++;
        return SYNACK_ENOBUFS;
    }
    size_t hl = WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&h->opts);
    if (hl + plen > st->outq.slot_size) return SYNACK_EMSGSIZE;
    /* The payload goes straight from the ring into its place in the datagram. */
    if (plen) ring_peek(r, off, slot + hl, plen);
    struct synack_ipv4_hdr ip = {.ttl = 64,
                                 .proto = SYNACK_IPPROTO_TCP,
                                 .src = src,
                                 .dst = dst,
                                 .id = 0, /* atomic: see below */
                                 .frag = 0x4000};
    size_t n = wire_segment_emit(slot, st->outq.slot_size, &ip, h, slot + hl, plen);
    if (n == 0) return SYNACK_EMSGSIZE;
    outq_commit(&st->outq, (uint32_t)n);
    st->stats.ip_out++;
    st->stats.tcp_out++;
    if (h->flags & SYNACK_TCP_RST) st->stats.rst_out++;
    if (stack_tracing(st)) {
        struct synack_trace_event ev = {.kind = SYNACK_TRACE_SEG_OUT,
                                        .now = now,
                                        .sd = sd,
                                        .retransmit = retransmit,
                                        .pkt = slot,
                                        .pkt_len = (uint32_t)n,
                                        .local_addr = src,
                                        .local_port = h->sport,
                                        .remote_addr = dst,
                                        .remote_port = h->dport};
        if (wire_segment_parse(slot, n, false, &ev.seg) == 0) ev.has_seg = true;
        stack_trace(st, &ev);
    }
    return 0;
}

uint8_t *ip_output_slot(struct synack_stack *st)
{
    uint8_t *slot = outq_reserve(&st->outq);
    if (!slot) st->stats.out_queue_full++;
    return slot;
}

void ip_output_built(struct synack_stack *st, uint64_t now, uint8_t *slot, size_t len)
{
    outq_commit(&st->outq, (uint32_t)len);
    st->stats.ip_out++;
    if (stack_tracing(st)) {
        struct synack_trace_event ev = {.kind = SYNACK_TRACE_PKT_OUT,
                                        .now = now,
                                        .sd = -1,
                                        .pkt = slot,
                                        .pkt_len = (uint32_t)len};
        stack_trace(st, &ev);
    }
}
