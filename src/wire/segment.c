/*
 * wire/segment.c - one IPv4 or IPv6 datagram carrying one TCP segment, parsed or emitted in
 * one call: the path every segment in and out of the stack takes (docs/architecture.md:
 * dev -> entry -> wire).
 */
#include <string.h>

#include "wire/wire.h"

/* synack_addr_v4's result (::ffff:a.b.c.d, include/synack/addr.h), written in place: this
 * runs for every IPv4 segment received, and a call into the library per address returning
 * the struct was most of its cost. */
static void addr_v4_into(struct synack_addr *a, uint32_t v)
{
    memset(a, 0, sizeof *a);
    a->family = SYNACK_AF_INET;
    a->bytes[10] = a->bytes[11] = 0xff;
    wire_put32(a->bytes + 12, v);
}

void wire_segment_addrs4(struct synack_segment *s)
{
    s->family = SYNACK_AF_INET;
    addr_v4_into(&s->src, s->ip.src);
    addr_v4_into(&s->dst, s->ip.dst);
}

void wire_segment_addrs6(struct synack_segment *s)
{
    s->family = SYNACK_AF_INET6;
    s->src = synack_addr_v6(s->ip6.src);
    s->dst = synack_addr_v6(s->ip6.dst);
}

uint32_t wire_pseudo_sum_addr(const struct synack_addr *src, const struct synack_addr *dst,
                              uint8_t proto)
{
    if (synack_addr_is_v4(src))
        return wire_pseudo_sum(wire_addr_v4(src), wire_addr_v4(dst), proto, 0);
    return wire_pseudo_sum6(src->bytes, dst->bytes, proto, 0);
}

/*
 * Returns 0, any wire_ipv4_parse, wire_ipv6_parse or wire_tcp_parse reason,
 * SYNACK_DROP_IP_PROTO when the datagram is not TCP, or SYNACK_DROP_IP_VERSION when it is
 * neither version. The IPv4 header checksum is always verified (it is never offloaded into
 * captures in practice, and is cheap); verify only governs the TCP checksum. On error out
 * holds whatever had been parsed (out->ip or out->ip6 once that header passed).
 */
int wire_segment_parse(const uint8_t *pkt, size_t len, bool verify, struct synack_segment *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *ip_payload;
    size_t ip_plen;
    uint32_t pseudo;
    int r;
    if (len >= 1 && pkt[0] >> 4 == 6) {
        r = wire_ipv6_parse(pkt, len, &out->ip6, &ip_payload, &ip_plen);
        if (r) return r;
        wire_segment_addrs6(out);
        if (out->ip6.next_header != SYNACK_IPPROTO_TCP) return SYNACK_DROP_IP_PROTO;
        pseudo = wire_pseudo_sum6(out->ip6.src, out->ip6.dst, SYNACK_IPPROTO_TCP, 0);
    } else {
        r = wire_ipv4_parse(pkt, len, &out->ip, &ip_payload, &ip_plen);
        if (r) return r;
        wire_segment_addrs4(out);
        if (out->ip.proto != SYNACK_IPPROTO_TCP) return SYNACK_DROP_IP_PROTO;
        pseudo = wire_pseudo_sum(out->ip.src, out->ip.dst, SYNACK_IPPROTO_TCP, 0);
    }
    const uint8_t *payload;
    size_t plen;
    r = wire_tcp_parse_ph(ip_payload, ip_plen, pseudo, verify, &out->tcp, &payload, &plen);
    if (r) return r;
    out->payload = payload;
    out->payload_len = (uint32_t)plen;
    return 0;
}

/* Emits the TCP segment first (its checksum needs only the addresses), then the IPv4
 * header before it. ip->proto is forced to TCP. Returns 0 when cap is too small. */
size_t wire_segment_emit(uint8_t *buf, size_t cap, const struct synack_ipv4_hdr *ip,
                         const struct synack_tcp_hdr *tcp, const uint8_t *payload, size_t plen)
{
    return wire_segment_emit_csum(buf, cap, ip, tcp, payload, plen, false);
}

size_t wire_segment_emit_csum(uint8_t *buf, size_t cap, const struct synack_ipv4_hdr *ip,
                              const struct synack_tcp_hdr *tcp, const uint8_t *payload, size_t plen,
                              bool partial)
{
    /* Both limits are checked before anything is written: a refused emit leaves buf as
     * it was. */
    size_t tcp_max = 0xffffu - WIRE_IPV4_HDR_LEN;
    size_t thlen = WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&tcp->opts);
    if (cap < WIRE_IPV4_HDR_LEN || plen > tcp_max - thlen) return 0;
    uint32_t pseudo = wire_pseudo_sum(ip->src, ip->dst, SYNACK_IPPROTO_TCP, 0);
    size_t tlen = wire_tcp_emit_csum(buf + WIRE_IPV4_HDR_LEN, cap - WIRE_IPV4_HDR_LEN, pseudo, tcp,
                                     payload, plen, partial);
    if (tlen == 0) return 0;
    struct synack_ipv4_hdr h = *ip;
    h.proto = SYNACK_IPPROTO_TCP;
    wire_ipv4_emit(buf, cap, &h, tlen); /* cannot fail: cap and length checked above */
    return WIRE_IPV4_HDR_LEN + tlen;
}

/* The same over IPv6: a 40-byte header without extension headers (next_header is forced to
 * TCP), the checksum over RFC 8200 §8.1's pseudo-header. Returns 0 when cap is too small or
 * the segment exceeds IPv6's 16-bit payload length (no jumbograms). */
size_t wire_segment_emit6(uint8_t *buf, size_t cap, const struct synack_ipv6_hdr *ip,
                          const struct synack_tcp_hdr *tcp, const uint8_t *payload, size_t plen)
{
    return wire_segment_emit6_csum(buf, cap, ip, tcp, payload, plen, false);
}

size_t wire_segment_emit6_csum(uint8_t *buf, size_t cap, const struct synack_ipv6_hdr *ip,
                               const struct synack_tcp_hdr *tcp, const uint8_t *payload,
                               size_t plen, bool partial)
{
    size_t thlen = WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&tcp->opts);
    if (cap < WIRE_IPV6_HDR_LEN || plen > 0xffffu - thlen) return 0;
    uint32_t pseudo = wire_pseudo_sum6(ip->src, ip->dst, SYNACK_IPPROTO_TCP, 0);
    size_t tlen = wire_tcp_emit_csum(buf + WIRE_IPV6_HDR_LEN, cap - WIRE_IPV6_HDR_LEN, pseudo, tcp,
                                     payload, plen, partial);
    if (tlen == 0) return 0;
    struct synack_ipv6_hdr h = *ip;
    h.next_header = SYNACK_IPPROTO_TCP;
    wire_ipv6_emit(buf, cap, &h, tlen); /* cannot fail: cap and length checked above */
    return WIRE_IPV6_HDR_LEN + tlen;
}
