/*
 * wire/tcp.c - parse and emit the TCP header (RFC 9293 §3.1), with its checksum over the
 * pseudo-header; the options block itself is tcp_opts.c's job.
 *
 * The _ph functions do the work for any network layer: they take the pseudo-header sum
 * with a zero length (IPv4's, RFC 9293 §3.1, or IPv6's, RFC 8200 §8.1) and add the
 * segment's length themselves, which is the one field the two pseudo-headers share in
 * meaning. wire_tcp_parse and wire_tcp_emit are their IPv4 forms.
 */
#include <string.h>

#include "wire/wire.h"

/* Adds a segment length to a pseudo-header sum as RFC 8200 §8.1 does (two 16-bit words);
 * under 65536 that is IPv4's single word too. The 64-bit fold keeps every carry. */
static uint32_t add_len(uint32_t pseudo, size_t len)
{
    uint64_t acc = (uint64_t)pseudo + (len >> 16 & 0xffffu) + (len & 0xffffu);
    while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
}

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
int wire_tcp_parse_ph(const uint8_t *seg, size_t len, uint32_t pseudo, bool verify,
                      struct synack_tcp_hdr *out, const uint8_t **payload, size_t *plen)
{
    if (len < WIRE_TCP_HDR_LEN) return SYNACK_DROP_TCP_TRUNCATED;
    size_t hlen = (size_t)(seg[12] >> 4) * 4;
    /* RFC 9293 §3.1 "Data Offset": the header is at least 5 words and cannot extend past
     * the segment. */
    if (hlen < WIRE_TCP_HDR_LEN || hlen > len) return SYNACK_DROP_TCP_HDR_LEN;
    /* The fixed header's five 32-bit words, read once: the fields come from them, and the
     * checksum adds them as they are. */
    uint32_t w0 = wire_get32(seg), w1 = wire_get32(seg + 4), w2 = wire_get32(seg + 8),
             w3 = wire_get32(seg + 12), w4 = wire_get32(seg + 16);
    if (verify) {
        /* RFC 9293 §3.1 "Checksum" (MUST-2, MUST-3): over the pseudo-header, header and
         * data. A TCP length beyond 16 bits cannot come from IPv4 nor from IPv6 without
         * jumbograms, which synack does not take, and simply fails. The header (a multiple
         * of 4 bytes, at most 60) is summed as big-endian 32-bit words in a 64-bit total
         * that cannot overflow: 2^16 is 1 modulo 0xffff, so a 32-bit word adds what its two
         * 16-bit halves add (RFC 1071 §2). The data follows at an even offset; a short
         * header costs no call, no loop set-up and no tail. The total is positive (the
         * length is in it), so its fold is 0 only where the 16-bit sum of the general form
         * is too: the same verdict for every segment. */
        if (len > 0xffffu) return SYNACK_DROP_TCP_CHECKSUM;
        uint64_t acc = (uint64_t)pseudo + len + w0 + w1 + w2 + w3 + w4;
        if (hlen == WIRE_TCP_HDR_LEN + 12) /* the timestamps alone: RFC 7323 Appendix A */
            acc += (uint64_t)wire_get32(seg + 20) + wire_get32(seg + 24) + wire_get32(seg + 28);
        else
            for (size_t i = WIRE_TCP_HDR_LEN; i < hlen; i += 4) acc += wire_get32(seg + i);
        /* A few bytes of data (a request, an answer, a keepalive's one) as 16-bit words, the
         * odd last one padded (RFC 1071 §1); more through the general sum. */
        size_t dlen = len - hlen;
        if (dlen < 8) {
            for (size_t i = hlen; i + 1 < len; i += 2) acc += wire_get16(seg + i);
            if (dlen & 1) acc += (uint32_t)seg[len - 1] << 8;
        }
        acc = (acc & 0xffffffffu) + (acc >> 32);
        uint32_t sum = (uint32_t)((acc & 0xffffffffu) + (acc >> 32));
        if (dlen >= 8) sum = wire_csum_add(sum, seg + hlen, dlen);
        if (wire_csum_fold(sum) != 0) return SYNACK_DROP_TCP_CHECKSUM;
    }
    int r = wire_tcp_parse_opts(seg + WIRE_TCP_HDR_LEN, hlen - WIRE_TCP_HDR_LEN, &out->opts);
    if (r) return r;

    out->sport = (uint16_t)(w0 >> 16);
    out->dport = (uint16_t)w0;
    out->seq = w1;
    out->ack = w2;
    out->hdr_len = (uint8_t)hlen;
    /* Nine control bits: byte 13, plus the low bit of byte 12 (AE, formerly NS: RFC 3540,
     * RFC 9293 §3.1 lists it as reserved; the accurate-ECN drafts name it AE). */
    out->flags = (uint16_t)(w3 >> 16 & 0x1ffu);
    out->window = (uint16_t)w3;
    out->checksum = (uint16_t)(w4 >> 16);
    out->urg = (uint16_t)w4;
    *payload = seg + hlen;
    *plen = len - hlen;
    return 0;
}

bool wire_tcp_csum_ok2(uint32_t pseudo, const uint8_t *hdr, size_t hlen, const uint8_t *data,
                       size_t dlen)
{
    /* RFC 1071 §2: the sum of 16-bit words is the same in pieces as whole, when each piece
     * but the last has an even length (a TCP header's is a multiple of 4). */
    size_t len = hlen + dlen;
    if (len > 0xffffu || (hlen & 1)) return false;
    uint32_t sum = wire_csum_add(add_len(pseudo, len), hdr, hlen);
    return wire_csum_fold(wire_csum_add(sum, data, dlen)) == 0;
}

int wire_tcp_parse(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst, bool verify,
                   struct synack_tcp_hdr *out, const uint8_t **payload, size_t *plen)
{
    uint32_t pseudo = wire_pseudo_sum(src, dst, SYNACK_IPPROTO_TCP, 0);
    return wire_tcp_parse_ph(seg, len, pseudo, verify, out, payload, plen);
}

/* Returns 0 when cap is too small or the segment would not fit a 16-bit length (IPv4's
 * total length, IPv6's payload length). payload may already sit in buf (it is moved, not
 * copied), or be NULL when plen is 0. */
size_t wire_tcp_emit_ph(uint8_t *buf, size_t cap, uint32_t pseudo, const struct synack_tcp_hdr *h,
                        const uint8_t *payload, size_t plen)
{
    return wire_tcp_emit_csum(buf, cap, pseudo, h, payload, plen, false);
}

size_t wire_tcp_emit_csum(uint8_t *buf, size_t cap, uint32_t pseudo, const struct synack_tcp_hdr *h,
                          const uint8_t *payload, size_t plen, bool partial)
{
    size_t olen = wire_tcp_opts_len(&h->opts);
    size_t hlen = WIRE_TCP_HDR_LEN + olen;
    if (olen > WIRE_TCP_MAX_OPTS || cap < hlen || plen > cap - hlen || plen > 0xffffu - hlen)
        return 0;
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
    if (partial) /* the pseudo-header's sum, folded, for the device to finish */
        wire_put16(buf + 16, (uint16_t)~wire_csum_fold(add_len(pseudo, len)));
    else
        wire_put16(buf + 16, wire_csum_fold(wire_csum_add(add_len(pseudo, len), buf, len)));
    return len;
}

size_t wire_tcp_emit(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
                     const struct synack_tcp_hdr *h, const uint8_t *payload, size_t plen)
{
    uint32_t pseudo = wire_pseudo_sum(src, dst, SYNACK_IPPROTO_TCP, 0);
    return wire_tcp_emit_ph(buf, cap, pseudo, h, payload, plen);
}
