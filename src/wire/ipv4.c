/*
 * wire/ipv4.c - parse and emit the IPv4 header (RFC 791 §3.1).
 *
 * The parser is the first thing that touches a datagram from the link, so it checks every
 * length before it reads a field and never trusts the header's own claims beyond the
 * buffer it was given. synack does not reassemble (nor send) fragments: a fragment is
 * refused by name, and options are skipped, never interpreted (RFC 1122 §3.2.1.8 lets a
 * host ignore the options it does not implement).
 */
#include "wire/wire.h"

#define IPV4_MF          0x2000u
#define IPV4_OFFSET_MASK 0x1fffu

/* The fields without the checks, for ICMP's quote and the capture reader (the parse below
 * takes them from the words it has read). */
void wire_ipv4_fields(const uint8_t *buf, struct synack_ipv4_hdr *out)
{
    out->hdr_len = (uint8_t)((buf[0] & 0x0f) * 4);
    out->tos = buf[1];
    out->total_len = wire_get16(buf + 2);
    out->id = wire_get16(buf + 4);
    out->frag = wire_get16(buf + 6);
    out->ttl = buf[8];
    out->proto = buf[9];
    out->checksum = wire_get16(buf + 10);
    out->src = wire_get32(buf + 12);
    out->dst = wire_get32(buf + 16);
}

/*
 * Checks, in this order (the first that fails names the drop):
 *   fewer than 20 bytes                      SYNACK_DROP_IP_TRUNCATED
 *   version != 4                             SYNACK_DROP_IP_VERSION
 *   IHL < 5, or IHL*4 beyond the buffer      SYNACK_DROP_IP_HDR_LEN
 *   total length < IHL*4                     SYNACK_DROP_IP_TOTAL_LEN
 *   total length beyond the buffer           SYNACK_DROP_IP_TRUNCATED (the link cut it)
 *   header checksum                          SYNACK_DROP_IP_CHECKSUM
 *   MF set or fragment offset != 0           SYNACK_DROP_IP_FRAGMENT
 * The checksum comes before the fragment test so that a corrupted header is reported as
 * corrupted, not as whatever its damaged flags happen to say.
 */
int wire_ipv4_parse(const uint8_t *buf, size_t len, struct synack_ipv4_hdr *out,
                    const uint8_t **payload, size_t *plen)
{
    if (len < WIRE_IPV4_HDR_LEN) return SYNACK_DROP_IP_TRUNCATED;
    /* The fixed header's five 32-bit words, read once: the checks, the fields and the
     * checksum all come from them. */
    uint32_t w0 = wire_get32(buf), w1 = wire_get32(buf + 4), w2 = wire_get32(buf + 8),
             w3 = wire_get32(buf + 12), w4 = wire_get32(buf + 16);
    if (w0 >> 28 != 4) return SYNACK_DROP_IP_VERSION;
    size_t hlen = (size_t)(w0 >> 24 & 0x0f) * 4;
    /* RFC 791 §3.1: "the minimum value for a correct header is 5". */
    if (hlen < WIRE_IPV4_HDR_LEN || hlen > len) return SYNACK_DROP_IP_HDR_LEN;
    size_t total = w0 & 0xffffu;
    if (total < hlen) return SYNACK_DROP_IP_TOTAL_LEN;
    /* Bytes past total length are link padding (Ethernet pads to 60 bytes): ignored. */
    if (total > len) return SYNACK_DROP_IP_TRUNCATED;
    /* RFC 791 §3.1 "Header Checksum": the sum over the header, options included, as its
     * 32-bit words: 2^16 is 1 modulo 0xffff, so a 32-bit word adds what its two 16-bit
     * halves add (RFC 1071 §2), and the 64-bit total (at most 15 words) folds to 32 bits
     * in two steps. The same sum as wire_csum_add's, without its general loop. */
    uint64_t w = (uint64_t)w0 + w1 + w2 + w3 + w4;
    for (size_t i = WIRE_IPV4_HDR_LEN; i < hlen; i += 4) w += wire_get32(buf + i);
    w = (w & 0xffffffffu) + (w >> 32);
    uint32_t hsum = (uint32_t)((w & 0xffffffffu) + (w >> 32));
    if (wire_csum_fold(hsum) != 0) return SYNACK_DROP_IP_CHECKSUM;
    uint16_t frag = (uint16_t)w1;
    if ((frag & IPV4_MF) || (frag & IPV4_OFFSET_MASK)) return SYNACK_DROP_IP_FRAGMENT;

    out->hdr_len = (uint8_t)hlen;
    out->tos = (uint8_t)(w0 >> 16);
    out->total_len = (uint16_t)total;
    out->id = (uint16_t)(w1 >> 16);
    out->frag = frag;
    out->ttl = (uint8_t)(w2 >> 24);
    out->proto = (uint8_t)(w2 >> 16);
    out->checksum = (uint16_t)w2;
    out->src = w3;
    out->dst = w4;
    *payload = buf + hlen;
    *plen = total - hlen;
    return 0;
}

/* A 20-byte header without options: synack has no option it needs to send. Returns 0
 * when cap is under 20 bytes or the datagram would exceed the 16-bit total length. */
size_t wire_ipv4_emit(uint8_t *buf, size_t cap, const struct synack_ipv4_hdr *h, size_t payload_len)
{
    if (cap < WIRE_IPV4_HDR_LEN || payload_len > 0xffffu - WIRE_IPV4_HDR_LEN) return 0;
    buf[0] = 0x45; /* version 4, IHL 5 */
    buf[1] = h->tos;
    wire_put16(buf + 2, (uint16_t)(WIRE_IPV4_HDR_LEN + payload_len));
    wire_put16(buf + 4, h->id);
    wire_put16(buf + 6, h->frag);
    buf[8] = h->ttl;
    buf[9] = h->proto;
    wire_put32(buf + 12, h->src);
    wire_put32(buf + 16, h->dst);
    /* The header checksum (RFC 791 §3.1) summed from the fields, as the nine 16-bit words
     * they make (the checksum's own word counted as 0): the same one's-complement sum as
     * over the 20 bytes (RFC 1071 §2: any grouping gives it), without reading them back.
     * Nine words of at most 0xffff cannot overflow 32 bits; wire_csum_fold folds. */
    uint32_t sum = (0x45u << 8 | h->tos) + (uint32_t)(WIRE_IPV4_HDR_LEN + payload_len) + h->id +
                   h->frag + ((uint32_t)h->ttl << 8 | h->proto) + (h->src >> 16) +
                   (h->src & 0xffffu) + (h->dst >> 16) + (h->dst & 0xffffu);
    wire_put16(buf + 10, wire_csum_fold(sum));
    return WIRE_IPV4_HDR_LEN;
}
