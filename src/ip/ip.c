/*
 * ip/ip.c - IPv4 input and output (RFC 791, RFC 1122 §3.2.1).
 *
 * Input: parse and verify (wire/), accept only datagrams addressed to us from a sane
 * source, then hand TCP to the demultiplexer and ICMP to icmp.c. Fragments are dropped
 * with a named reason: synack does not reassemble, and advertises an MSS that keeps peers
 * from needing to fragment. Output: a 20-byte header with DF set (RFC 1191 path MTU
 * discovery is the peer's concern on our single link), TTL 64.
 */
#include "ip/ip.h"

#include <string.h>

#include "core/stack.h"
#include "tcp/tcp_demux.h"
#include "wire/wire.h"

bool ip_on_link(const struct synack_stack *st, uint32_t addr)
{
    uint8_t p = st->cfg.prefix_len;
    uint32_t mask = p == 0 ? 0 : 0xffffffffu << (32 - p);
    return (addr & mask) == (st->cfg.addr & mask);
}

static bool source_invalid(const struct synack_stack *st, uint32_t src)
{
    /* RFC 1122 §3.2.1.3: a source that is 0, broadcast, multicast (224/4), class E, or
     * loopback from outside is not a host that can be answered. Our own address as
     * source would be a spoof from outside (or a loop). */
    if (src == 0 || src == 0xffffffffu) return true;
    if ((src >> 28) == 0xe || (src >> 28) == 0xf) return true;
    if ((src >> 24) == 127) return true;
    if (src == st->cfg.addr) return true;
    return false;
}

int ip_input(struct synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len)
{
    struct synack_ipv4_hdr ip;
    const uint8_t *payload;
    size_t plen;
    st->stats.ip_in++;
    int r = wire_ipv4_parse(pkt, len, &ip, &payload, &plen);
    if (r != 0) {
        stack_drop(st, now, r, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    if (ip.dst != st->cfg.addr) {
        stack_drop(st, now, SYNACK_DROP_IP_NOT_FOR_US, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    if (source_invalid(st, ip.src)) {
        stack_drop(st, now, SYNACK_DROP_IP_SRC_INVALID, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    switch (ip.proto) {
    case SYNACK_IPPROTO_TCP: {
        struct synack_segment seg;
        seg.ip = ip;
        const uint8_t *data;
        size_t dlen;
        r = wire_tcp_parse(payload, plen, ip.src, ip.dst, true, &seg.tcp, &data, &dlen);
        if (r != 0) {
            stack_drop(st, now, r, pkt, (uint32_t)len, NULL, -1);
            return SYNACK_EPROTO;
        }
        seg.payload = data;
        seg.payload_len = (uint32_t)dlen;
        st->stats.tcp_in++;
        return tcp_demux(st, now, &seg, pkt, (uint32_t)len);
    }
    case SYNACK_IPPROTO_ICMP:
        return icmp_input(st, now, &ip, payload, plen, pkt, len);
    default:
        stack_drop(st, now, SYNACK_DROP_IP_PROTO, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
}

int ip_output_tcp(struct synack_stack *st, uint64_t now, int sd, const struct synack_tcp_hdr *h,
                  uint32_t src, uint32_t dst, const struct ring *r, uint32_t off, uint32_t plen,
                  bool retransmit)
{
    uint8_t *slot = outq_reserve(st);
    if (!slot) {
        st->stats.out_queue_full++;
        return SYNACK_ENOBUFS;
    }
    size_t hl = WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&h->opts);
    if (hl + plen > st->slot_size) return SYNACK_EMSGSIZE;
    /* The payload goes straight from the ring into its place in the datagram. */
    if (plen) ring_peek(r, off, slot + hl, plen);
    struct synack_ipv4_hdr ip = {.ttl = 64,
                                 .proto = SYNACK_IPPROTO_TCP,
                                 .src = src,
                                 .dst = dst,
                                 .id = st->ip_id++,
                                 .frag = 0x4000};
    size_t n = wire_segment_emit(slot, st->slot_size, &ip, h, slot + hl, plen);
    if (n == 0) return SYNACK_EMSGSIZE;
    outq_commit(st, (uint32_t)n);
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

int ip_output_raw(struct synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len)
{
    uint8_t *slot = outq_reserve(st);
    if (!slot) {
        st->stats.out_queue_full++;
        return SYNACK_ENOBUFS;
    }
    if (len > st->slot_size) return SYNACK_EMSGSIZE;
    memcpy(slot, pkt, len);
    outq_commit(st, (uint32_t)len);
    st->stats.ip_out++;
    if (stack_tracing(st)) {
        struct synack_trace_event ev = {.kind = SYNACK_TRACE_PKT_OUT,
                                        .now = now,
                                        .sd = -1,
                                        .pkt = slot,
                                        .pkt_len = (uint32_t)len};
        stack_trace(st, &ev);
    }
    return 0;
}
