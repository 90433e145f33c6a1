/*
 * wire/tcp.c - parse and emit the TCP header (RFC 9293 §3.1), with its checksum over the
 * pseudo-header; the options block itself is tcp_opts.c's job.
 */
#include <string.h>

#include "wire/wire.h"

/*
 * Checks, in this order:
 *   fewer than 20 bytes                          SYNACK_DROP_TCP_TRUNCATED
 *   data offset < 5, or beyond len               SYNACK_DROP_TCP_HDR_LEN
 *   checksum (only when verify is set)           SYNACK_DROP_TCP_CHECKSUM
 * Malformed options never drop the segment (tcp_opts.c: one is ignored, or it ends the
 * parsing, as in Linux's tcp_parse_options).
 * verify is off for bytes the stack made itself and for captures taken where checksum
 * offload left the field unfinished (Linux on lo stores only the pseudo-header sum).
 */
int wire_tcp_parse(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst, bool verify,
                   struct synack_tcp_hdr *out, const uint8_t **payload, size_t *plen)
{
    if (len < WIRE_TCP_HDR_LEN) return SYNACK_DROP_TCP_TRUNCATED;
    size_t hlen = (size_t)(seg[12] >> 4) * 4;
    /* RFC 9293 §3.1 "Data Offset": the header is at least 5 words and cannot extend past
     * the segment. */
    if (hlen < WIRE_TCP_HDR_LEN || hlen > len) return SYNACK_DROP_TCP_HDR_LEN;
    if (verify) {
        /* RFC 9293 §3.1 "Checksum" (MUST-2, MUST-3): over the pseudo-header, header and
         * data. A TCP length beyond 16 bits cannot come from IPv4 and simply fails. */
        uint32_t sum = wire_pseudo_sum(src, dst, SYNACK_IPPROTO_TCP, (uint16_t)len);
        if (len > 0xffffu || wire_csum_fold(wire_csum_add(sum, seg, len)) != 0)
            return SYNACK_DROP_TCP_CHECKSUM;
    }
    int r = wire_tcp_parse_opts(seg + WIRE_TCP_HDR_LEN, hlen - WIRE_TCP_HDR_LEN, &out->opts);
    if (r) return r;

    out->sport = wire_get16(seg);
    out->dport = wire_get16(seg + 2);
    out->seq = wire_get32(seg + 4);
    out->ack = wire_get32(seg + 8);
    out->hdr_len = (uint8_t)hlen;
    /* Nine control bits: byte 13, plus the low bit of byte 12 (AE, formerly NS: RFC 3540,
     * RFC 9293 §3.1 lists it as reserved; the accurate-ECN drafts name it AE). */
    out->flags = (uint16_t)((seg[12] & 0x01) << 8 | seg[13]);
    out->window = wire_get16(seg + 14);
    out->checksum = wire_get16(seg + 16);
    out->urg = wire_get16(seg + 18);
    *payload = seg + hlen;
    *plen = len - hlen;
    return 0;
}

/* Returns 0 when cap is too small or the segment would not fit IPv4's 16-bit length.
 * payload may already sit in buf (it is moved, not copied), or be NULL when plen is 0. */
size_t wire_tcp_emit(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
                     const struct synack_tcp_hdr *h, const uint8_t *payload, size_t plen)
{
    size_t hlen = WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&h->opts);
    if (cap < hlen || plen > cap - hlen || plen > 0xffffu - hlen) return 0;
    if (plen) memmove(buf + hlen, payload, plen);
    wire_put16(buf, h->sport);
    wire_put16(buf + 2, h->dport);
    wire_put32(buf + 4, h->seq);
    wire_put32(buf + 8, h->ack);
    buf[12] = (uint8_t)(hlen / 4 << 4 | (h->flags >> 8 & 0x01));
    buf[13] = (uint8_t)h->flags;
    wire_put16(buf + 14, h->window);
    wire_put16(buf + 16, 0);
    wire_put16(buf + 18, h->urg);
    wire_tcp_emit_opts(buf + WIRE_TCP_HDR_LEN, hlen - WIRE_TCP_HDR_LEN, &h->opts);
    size_t len = hlen + plen;
    uint32_t sum = wire_pseudo_sum(src, dst, SYNACK_IPPROTO_TCP, (uint16_t)len);
    wire_put16(buf + 16, wire_csum_fold(wire_csum_add(sum, buf, len)));
    return len;
}
