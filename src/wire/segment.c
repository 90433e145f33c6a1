/*
 * wire/segment.c - one IPv4 datagram carrying one TCP segment, parsed or emitted in one
 * call: the path every segment in and out of the stack takes (docs/architecture.md: dev -> entry -> wire).
 */
#include <string.h>

#include "wire/wire.h"

/*
 * Returns 0, any wire_ipv4_parse or wire_tcp_parse reason, or SYNACK_DROP_IP_PROTO when the
 * datagram is not TCP. The IPv4 header checksum is always verified (it is never offloaded
 * into captures in practice, and is cheap); verify only governs the TCP checksum. On error
 * out holds whatever had been parsed (out->ip once the IPv4 header passed).
 */
int wire_segment_parse(const uint8_t *pkt, size_t len, bool verify, struct synack_segment *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *ip_payload;
    size_t ip_plen;
    int r = wire_ipv4_parse(pkt, len, &out->ip, &ip_payload, &ip_plen);
    if (r) return r;
    if (out->ip.proto != SYNACK_IPPROTO_TCP) return SYNACK_DROP_IP_PROTO;
    const uint8_t *payload;
    size_t plen;
    r = wire_tcp_parse(ip_payload, ip_plen, out->ip.src, out->ip.dst, verify, &out->tcp, &payload,
                       &plen);
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
    /* Both limits are checked before anything is written: a refused emit leaves buf as
     * it was. */
    size_t tcp_max = 0xffffu - WIRE_IPV4_HDR_LEN;
    size_t thlen = WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&tcp->opts);
    if (cap < WIRE_IPV4_HDR_LEN || plen > tcp_max - thlen) return 0;
    size_t tlen = wire_tcp_emit(buf + WIRE_IPV4_HDR_LEN, cap - WIRE_IPV4_HDR_LEN, ip->src, ip->dst,
                                tcp, payload, plen);
    if (tlen == 0) return 0;
    struct synack_ipv4_hdr h = *ip;
    h.proto = SYNACK_IPPROTO_TCP;
    wire_ipv4_emit(buf, cap, &h, tlen); /* cannot fail: cap and length checked above */
    return WIRE_IPV4_HDR_LEN + tlen;
}
