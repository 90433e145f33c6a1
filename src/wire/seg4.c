/*
 * wire/seg4.c - the short form of one IPv4 datagram carrying one TCP segment: the headers
 * written field by field, and both checksums summed from the fields' values rather than
 * read back from the bytes; only the payload, and an options block other than the
 * timestamps, are summed as bytes. The timestamps alone (RFC 7323 Appendix A's NOP NOP TS,
 * every segment of a connection after its handshake but those that report SACK blocks)
 * are written here; any other options block (a SYN's, SACK blocks) is written in place
 * before by wire_tcp_emit_opts.
 *
 * The bytes are those wire_segment_emit_csum writes for the same fields (segment.c):
 * seg4_test checks the two against each other on random fields, options and payloads.
 * The general emitter stays the one for IPv6.
 */
#include "wire/wire.h"

/* RFC 1071 §2: the one's-complement sum of 16-bit words does not depend on the order they
 * are added in, and carries may be folded back at the end. A 32-bit value v is hi * 2^16 +
 * lo, and 2^16 = 1 (mod 0xffff), so v itself stands for its two words: the fields are
 * added as 32-bit values into 64 bits and folded once. */
static inline uint32_t fold64(uint64_t acc)
{
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
}

/* A few bytes of payload (a request, an answer, a keepalive's byte) summed as big-endian
 * words here: the general sum's setup costs more than they do. */
static inline uint64_t sum_short(const uint8_t *p, size_t n)
{
    uint64_t sum = 0;
    size_t i = 0;
    for (; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < n) sum += (uint32_t)p[i] << 8; /* the odd byte padded with zero (RFC 1071 §1) */
    return sum;
}

size_t wire_seg4_emit(uint8_t *buf, size_t cap, const struct wire_seg4 *s, size_t plen,
                      bool partial)
{
    size_t thl = WIRE_TCP_HDR_LEN + (s->has_ts ? 12u : s->opts_len);
    size_t tlen = thl + plen;
    /* The limits of wire_segment_emit_csum: the datagram in cap and in IPv4's 16-bit total
     * length. */
    if (tlen > 0xffffu - WIRE_IPV4_HDR_LEN || cap < WIRE_IPV4_HDR_LEN + tlen ||
        (!s->has_ts && (s->opts_len > WIRE_TCP_MAX_OPTS || (s->opts_len & 3))))
        return 0;
    uint8_t *ip = buf, *tcp = buf + WIRE_IPV4_HDR_LEN;
    uint16_t total = (uint16_t)(WIRE_IPV4_HDR_LEN + tlen);

    /* RFC 791 §3.1: version 4, IHL 5, no options; the header checksum over its ten words
     * (the checksum field itself zero), as wire_ipv4_emit computes it. */
    ip[0] = 0x45;
    ip[1] = s->tos;
    wire_put16(ip + 2, total);
    wire_put16(ip + 4, s->id);
    wire_put16(ip + 6, s->frag);
    ip[8] = s->ttl;
    ip[9] = SYNACK_IPPROTO_TCP;
    wire_put32(ip + 12, s->src);
    wire_put32(ip + 16, s->dst);
    uint64_t addrs = (uint64_t)s->src + s->dst;
    uint64_t ipsum = (0x45u << 8 | s->tos) + (uint64_t)total + s->id + s->frag +
                     ((uint32_t)s->ttl << 8 | SYNACK_IPPROTO_TCP) + addrs;
    wire_put16(ip + 10, wire_csum_fold(fold64(ipsum)));

    /* RFC 9293 §3.1: the fixed header; the data offset and the AE bit share byte 12. */
    uint16_t off_flags = (uint16_t)((thl / 4) << 12 | (s->flags & 0x1ffu));
    wire_put16(tcp, s->sport);
    wire_put16(tcp + 2, s->dport);
    wire_put32(tcp + 4, s->seq);
    wire_put32(tcp + 8, s->ack);
    wire_put16(tcp + 12, off_flags);
    wire_put16(tcp + 14, s->window);
    wire_put16(tcp + 18, s->urg);
    uint64_t sum = ((uint32_t)s->sport << 16 | s->dport) + (uint64_t)s->seq + s->ack +
                   ((uint32_t)off_flags << 16 | s->window) + s->urg;
    if (s->has_ts) {
        tcp[20] = 1; /* NOP */
        tcp[21] = 1; /* NOP */
        tcp[22] = 8; /* kind: timestamps */
        tcp[23] = 10;
        wire_put32(tcp + 24, s->ts_val);
        wire_put32(tcp + 28, s->ts_ecr);
        sum += 0x0101080au + (uint64_t)s->ts_val + s->ts_ecr;
    } else {
        /* An options block already in place: whole 32-bit words (its length a multiple
         * of 4). */
        for (size_t i = 0; i < s->opts_len; i += 4) sum += wire_get32(tcp + 20 + i);
    }
    /* The pseudo-header (RFC 9293 §3.1: addresses, zero and protocol, TCP length). */
    uint64_t pseudo = addrs + SYNACK_IPPROTO_TCP + tlen;
    if (partial) {
        /* The pseudo-header's sum, folded and not complemented, for the device to finish
         * (wire_tcp_emit_csum). */
        wire_put16(tcp + 16, (uint16_t)~wire_csum_fold(fold64(pseudo)));
        return total;
    }
    sum += pseudo;
    /* The header's length is a multiple of 4, so the payload's words line up with the
     * header's (RFC 1071 §2: a sum in pieces, each but the last of even length). */
    if (plen < 16)
        sum += sum_short(tcp + thl, plen);
    else
        sum += wire_csum_add(0, tcp + thl, plen);
    wire_put16(tcp + 16, wire_csum_fold(fold64(sum)));
    return total;
}
