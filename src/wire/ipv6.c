/*
 * wire/ipv6.c - parse and emit the IPv6 header (RFC 8200 §3) and walk its extension
 * headers (RFC 8200 §4).
 *
 * Like the IPv4 parser, this is the first code that touches a datagram from the link: it
 * checks every length before it reads a field and trusts nothing the header says beyond
 * the buffer it was given. The walk is bounded (WIRE_IPV6_MAX_EXT headers), judges the
 * options of the Hop-by-Hop and Destination Options headers by the rules of §4.2, refuses
 * a Routing header it would have to act on (§4.4), and reports a Fragment header (§4.5):
 * synack does not reassemble. Where RFC 8200 tells the receiver to answer with an ICMPv6
 * Parameter Problem, the parser does not send it (wire/ has no state and does no I/O): it
 * fills the header's pp_* fields, and the caller sends it.
 */
#include <string.h>

#include "wire/wire.h"

#define OPT_PAD1         0 /* RFC 8200 §4.2: a single byte of padding, no length */
#define OPT_PADN         1 /* RFC 8200 §4.2: padding, with a length */
#define OPT_ROUTER_ALERT 5 /* RFC 2711: Hop-by-Hop, as in Linux's MLD reports */

#define FRAG_OFFSET_SHIFT 3
#define FRAG_MORE         0x0001u

#define PP_HEADER_FIELD 0 /* RFC 4443 §3.4: erroneous header field encountered */
#define PP_NEXT_HEADER  1 /* unrecognized Next Header type encountered */
#define PP_OPTION       2 /* unrecognized IPv6 option encountered */

void wire_ipv6_fields(const uint8_t *buf, struct synack_ipv6_hdr *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t w = wire_get32(buf);
    out->traffic_class = (uint8_t)(w >> 20);
    out->flow_label = w & 0xfffffu;
    out->payload_len = wire_get16(buf + 4);
    out->next_header = buf[6];
    out->hop_limit = buf[7];
    memcpy(out->src, buf + 8, 16);
    memcpy(out->dst, buf + 24, 16);
    out->upper_offset = WIRE_IPV6_HDR_LEN;
    out->nh_pointer = 6;
}

/* Records that the receiver should answer with a Parameter Problem (RFC 4443 §3.4). */
static int param_problem(struct synack_ipv6_hdr *h, uint8_t code, size_t pointer, int reason)
{
    h->pp_send = true;
    h->pp_code = code;
    h->pp_pointer = (uint32_t)pointer;
    return reason;
}

/*
 * RFC 8200 §4.2: an unrecognized option's action is in the two high-order bits of its type:
 *   00  skip over it and continue processing the header;
 *   01  discard the packet;
 *   10  discard it and send a Parameter Problem, code 2, pointing at the option's type,
 *       whatever the destination;
 *   11  the same, but only if the destination was not a multicast address.
 * at is the option's offset in the datagram.
 */
static int unknown_option(const uint8_t *pkt, size_t at, struct synack_ipv6_hdr *h)
{
    switch (pkt[at] >> 6) {
    case 0:
        return 0;
    case 1:
        return SYNACK_DROP_IP6_OPTION;
    case 2:
        return param_problem(h, PP_OPTION, at, SYNACK_DROP_IP6_OPTION);
    default:
        if (h->dst[0] == 0xff) return SYNACK_DROP_IP6_OPTION; /* ff00::/8 (RFC 4291 §2.7) */
        return param_problem(h, PP_OPTION, at, SYNACK_DROP_IP6_OPTION);
    }
}

/*
 * The TLV-encoded options of a Hop-by-Hop or Destination Options header (RFC 8200 §4.2)
 * at pkt + off, hlen bytes long. Pad1 is one byte; every other option is type, length and
 * that many bytes of data, which must end within the header (IP6_OPTION_LEN otherwise, as
 * Linux drops it). synack acts on no option: it recognizes Pad1, PadN and Router Alert and
 * passes over them, and handles every other one by its type's high-order bits.
 */
static int ext_options(const uint8_t *pkt, size_t off, size_t hlen, struct synack_ipv6_hdr *h)
{
    size_t end = off + hlen;
    for (size_t i = off + 2; i < end;) {
        if (pkt[i] == OPT_PAD1) {
            i++;
            continue;
        }
        if (end - i < 2 || (size_t)pkt[i + 1] > end - i - 2) return SYNACK_DROP_IP6_OPTION_LEN;
        if (pkt[i] != OPT_PADN && pkt[i] != OPT_ROUTER_ALERT) {
            int r = unknown_option(pkt, i, h);
            if (r) return r;
        }
        i += 2 + (size_t)pkt[i + 1];
    }
    return 0;
}

/* RFC 8200 §4.4: a Routing header with Segments Left 0 is ignored, and the packet processed
 * as if it were absent. Otherwise the receiver would have to act on it, and synack knows
 * no routing type (type 0 is deprecated and to be treated as unknown, RFC 5095 §3): such a
 * packet is discarded with a Parameter Problem, code 0, pointing at the Routing Type. */
static int ext_routing(const uint8_t *pkt, size_t off, struct synack_ipv6_hdr *h)
{
    if (pkt[off + 3] == 0) return 0;
    return param_problem(h, PP_HEADER_FIELD, off + 2, SYNACK_DROP_IP6_ROUTING);
}

/* RFC 8200 §4.5: the Fragment header is recorded. A fragment that is the whole datagram
 * (offset 0, M clear: an "atomic fragment") is processed as if unfragmented (RFC 6946 §4);
 * any other is refused, since synack does not reassemble. In a quote (strict unset) only
 * a non-first fragment stops the walk: a first fragment still starts with the upper layer. */
static int ext_fragment(const uint8_t *pkt, size_t off, bool strict, struct synack_ipv6_hdr *h)
{
    uint16_t w = wire_get16(pkt + off + 2);
    h->has_fragment = true;
    h->frag_offset = (uint16_t)(w >> FRAG_OFFSET_SHIFT);
    h->frag_more = (w & FRAG_MORE) != 0;
    h->frag_id = wire_get32(pkt + off + 4);
    if (h->frag_offset != 0 || (strict && h->frag_more)) return SYNACK_DROP_IP6_FRAGMENT;
    return 0;
}

static bool is_extension(uint8_t nh)
{
    return nh == SYNACK_IPPROTO_HOPOPTS || nh == SYNACK_IPPROTO_ROUTING ||
           nh == SYNACK_IPPROTO_FRAGMENT || nh == SYNACK_IPPROTO_DSTOPTS;
}

/* The length of the extension header nh at pkt + off: 8 for a Fragment header (§4.5), and
 * for the others (Hdr Ext Len + 1) 8-octet units (§4.3, §4.4, §4.6). */
static size_t ext_len(const uint8_t *pkt, size_t off, uint8_t nh)
{
    if (nh == SYNACK_IPPROTO_FRAGMENT) return 8;
    return ((size_t)pkt[off + 1] + 1) * 8;
}

static int ext_check(const uint8_t *pkt, size_t off, size_t hlen, uint8_t nh, bool strict,
                     struct synack_ipv6_hdr *h)
{
    switch (nh) {
    case SYNACK_IPPROTO_FRAGMENT:
        return ext_fragment(pkt, off, strict, h);
    case SYNACK_IPPROTO_ROUTING:
        return strict ? ext_routing(pkt, off, h) : 0;
    default:
        return strict ? ext_options(pkt, off, hlen, h) : 0;
    }
}

static void walk_result(struct synack_ipv6_hdr *h, uint8_t nh, size_t nh_pointer, size_t off)
{
    h->next_header = nh;
    h->nh_pointer = (uint32_t)nh_pointer;
    h->upper_offset = (uint32_t)off;
}

/*
 * Walks the extension headers of the datagram at pkt, end bytes long (40 + payload length,
 * or a quote's length), starting from the fixed header's Next Header. Every extension
 * header is at least 8 bytes and must end by end (IP6_EXT_TRUNCATED). At most
 * WIRE_IPV6_MAX_EXT are walked (IP6_EXT_CHAIN). A Hop-by-Hop header anywhere but first
 * is refused (RFC 8200 §4.1) with a Parameter Problem code 1 at the Next Header that named
 * it, as Linux does. The walk stops at the first protocol that is not one of the four
 * headers it knows: TCP, ICMPv6, No Next Header, AH, ESP or anything else, which is then
 * the caller's to accept or refuse. strict judges options and Routing headers; a quote in
 * an ICMPv6 error is walked without it (it only has to be found, not obeyed).
 */
int wire_ipv6_walk(const uint8_t *pkt, size_t end, bool strict, struct synack_ipv6_hdr *h)
{
    uint8_t nh = pkt[6];
    size_t nh_pointer = 6, off = WIRE_IPV6_HDR_LEN;
    h->ext_count = 0;
    while (is_extension(nh)) {
        if (nh == SYNACK_IPPROTO_HOPOPTS && off != WIRE_IPV6_HDR_LEN) {
            if (!strict) return SYNACK_DROP_IP6_EXT_ORDER;
            return param_problem(h, PP_NEXT_HEADER, nh_pointer, SYNACK_DROP_IP6_EXT_ORDER);
        }
        if (h->ext_count >= WIRE_IPV6_MAX_EXT) return SYNACK_DROP_IP6_EXT_CHAIN;
        if (end - off < 8) return SYNACK_DROP_IP6_EXT_TRUNCATED;
        size_t hlen = ext_len(pkt, off, nh);
        if (hlen > end - off) return SYNACK_DROP_IP6_EXT_TRUNCATED;
        int r = ext_check(pkt, off, hlen, nh, strict, h);
        h->ext_count++;
        if (r) {
            /* A refused fragment still says what it carries, for the trace. */
            if (r == SYNACK_DROP_IP6_FRAGMENT) walk_result(h, pkt[off], off, off + hlen);
            return r;
        }
        nh = pkt[off];
        nh_pointer = off;
        off += hlen;
    }
    walk_result(h, nh, nh_pointer, off);
    return 0;
}

/*
 * Checks, in this order (the first that fails names the drop):
 *   fewer than 40 bytes                         SYNACK_DROP_IP6_TRUNCATED
 *   version != 6                                SYNACK_DROP_IP6_VERSION
 *   40 + payload length beyond the buffer       SYNACK_DROP_IP6_PAYLOAD_LEN
 *   the extension headers (wire_ipv6_walk):     IP6_EXT_ORDER, IP6_EXT_CHAIN,
 *       IP6_EXT_TRUNCATED, IP6_OPTION_LEN, IP6_OPTION, IP6_ROUTING, IP6_FRAGMENT
 * Bytes past the payload length are link padding and ignored (RFC 8200 §3 "Payload
 * Length"). A payload length of 0 announcing a Jumbo Payload option (RFC 2675) is not
 * supported: its Hop-by-Hop header lies past the payload, so it is IP6_EXT_TRUNCATED.
 * There is no header checksum in IPv6 (RFC 8200 §1): the upper layers cover the
 * addresses with their pseudo-header (§8.1).
 */
int wire_ipv6_parse(const uint8_t *buf, size_t len, struct synack_ipv6_hdr *out,
                    const uint8_t **payload, size_t *plen)
{
    memset(out, 0, sizeof(*out));
    if (len < WIRE_IPV6_HDR_LEN) return SYNACK_DROP_IP6_TRUNCATED;
    if (buf[0] >> 4 != 6) return SYNACK_DROP_IP6_VERSION;
    wire_ipv6_fields(buf, out);
    size_t end = WIRE_IPV6_HDR_LEN + (size_t)out->payload_len;
    if (end > len) return SYNACK_DROP_IP6_PAYLOAD_LEN;
    int r = wire_ipv6_walk(buf, end, true, out);
    if (r) return r;
    *payload = buf + out->upper_offset;
    *plen = end - out->upper_offset;
    return 0;
}

/* A 40-byte header without extension headers: synack sends none (RFC 8200 §4: they are
 * optional). The version is 6 whatever h says. */
size_t wire_ipv6_emit(uint8_t *buf, size_t cap, const struct synack_ipv6_hdr *h, size_t payload_len)
{
    if (cap < WIRE_IPV6_HDR_LEN || payload_len > 0xffffu) return 0;
    wire_put32(buf, 6u << 28 | (uint32_t)h->traffic_class << 20 | (h->flow_label & 0xfffffu));
    wire_put16(buf + 4, (uint16_t)payload_len);
    buf[6] = h->next_header;
    buf[7] = h->hop_limit;
    memcpy(buf + 8, h->src, 16);
    memcpy(buf + 24, h->dst, 16);
    return WIRE_IPV6_HDR_LEN;
}
