/*
 * wire/icmp6.c - parse and emit ICMPv6 messages (RFC 4443): echo request/reply, and the
 * error messages that quote the datagram which caused them (destination unreachable,
 * packet too big, time exceeded, parameter problem), from which TCP learns which
 * connection they concern and, for packet too big, the path MTU (RFC 8201).
 */
#include <string.h>

#include "wire/wire.h"

#define ICMP6_HDR_LEN   8
#define QUOTE_TRANSPORT 8 /* ports and sequence number: the first 8 bytes of TCP */
/* RFC 4443 §2.4(c): the error, in its IPv6 datagram, must not exceed the minimum MTU. */
#define ICMP6_MAX_QUOTE (WIRE_IPV6_MIN_MTU - WIRE_IPV6_HDR_LEN - ICMP6_HDR_LEN)

/*
 * Fills out->quote_ip from the quoted datagram when it starts with an IPv6 header, walks
 * its extension headers (without judging them: the quote is our own datagram, or what a
 * router made of it), and sets has_quote only when 8 bytes of the upper layer follow;
 * without them the error cannot be matched to a connection. The quote is usually shorter
 * than the payload length it states (RFC 4443 §2.4(c) truncates it), so the walk ends at
 * whichever is shorter.
 */
static void icmp6_parse_quote(const uint8_t *q, size_t len, struct synack_icmp6 *out)
{
    if (len < WIRE_IPV6_HDR_LEN || q[0] >> 4 != 6) return;
    struct synack_ipv6_hdr *ip = &out->quote_ip;
    wire_ipv6_fields(q, ip);
    size_t end = WIRE_IPV6_HDR_LEN + (size_t)ip->payload_len;
    if (end > len) end = len;
    if (wire_ipv6_walk(q, end, false, ip) != 0) return;
    size_t off = ip->upper_offset;
    if (end - off < QUOTE_TRANSPORT) return;
    /* Ports are the first 4 bytes of TCP and UDP alike; the next 4 are TCP's sequence
     * number (RFC 9293 §3.1): the caller checks quote_ip.next_header. */
    out->quote_sport = wire_get16(q + off);
    out->quote_dport = wire_get16(q + off + 2);
    out->quote_seq = wire_get32(q + off + 4);
    out->has_quote = true;
}

/* The message's body after the type, code and checksum, by type (RFC 4443 §3, §4). */
static void icmp6_parse_body(const uint8_t *buf, struct synack_icmp6 *out)
{
    switch (out->type) {
    case SYNACK_ICMP6_ECHO_REQUEST:
    case SYNACK_ICMP6_ECHO_REPLY:
        out->id = wire_get16(buf + 4);
        out->seq = wire_get16(buf + 6);
        break;
    case SYNACK_ICMP6_PACKET_TOO_BIG:
        out->mtu = wire_get32(buf + 4); /* RFC 4443 §3.2 */
        icmp6_parse_quote(out->data, out->data_len, out);
        break;
    case SYNACK_ICMP6_PARAM_PROBLEM:
        out->pointer = wire_get32(buf + 4); /* RFC 4443 §3.4 */
        icmp6_parse_quote(out->data, out->data_len, out);
        break;
    case SYNACK_ICMP6_UNREACH:
    case SYNACK_ICMP6_TIME_EXCEEDED:
        icmp6_parse_quote(out->data, out->data_len, out); /* the second word is unused */
        break;
    default:
        break;
    }
}

/*
 * Returns 0, SYNACK_DROP_ICMP6_TRUNCATED (under 8 bytes) or SYNACK_DROP_ICMP6_CHECKSUM.
 * RFC 4443 §2.3: unlike ICMP for IPv4, the checksum also covers the IPv6 pseudo-header
 * (RFC 8200 §8.1) with Next Header 58, so src and dst are needed to verify it. Any type
 * parses: RFC 4443 §2.4(a)/(b) leave unknown errors to the upper layer and unknown
 * informational messages to be discarded, both the caller's decision.
 */
int wire_icmp6_parse(const uint8_t *buf, size_t len, const uint8_t src[16], const uint8_t dst[16],
                     struct synack_icmp6 *out)
{
    memset(out, 0, sizeof(*out));
    if (len < ICMP6_HDR_LEN) return SYNACK_DROP_ICMP6_TRUNCATED;
    if ((uint64_t)len > 0xffffffffu)
        return SYNACK_DROP_ICMP6_CHECKSUM; /* no pseudo-header can say it */
    uint32_t sum = wire_pseudo_sum6(src, dst, SYNACK_IPPROTO_ICMPV6, (uint32_t)len);
    if (wire_csum_fold(wire_csum_add(sum, buf, len)) != 0) return SYNACK_DROP_ICMP6_CHECKSUM;
    out->type = buf[0];
    out->code = buf[1];
    out->checksum = wire_get16(buf + 2);
    out->data = buf + ICMP6_HDR_LEN;
    out->data_len = len - ICMP6_HDR_LEN;
    icmp6_parse_body(buf, out);
    return 0;
}

/* Writes type, code, the second word and the checksum of a message of len bytes whose body
 * is already in place. */
static size_t icmp6_finish(uint8_t *buf, size_t len, const uint8_t src[16], const uint8_t dst[16],
                           uint8_t type, uint8_t code, uint32_t word)
{
    buf[0] = type;
    buf[1] = code;
    wire_put16(buf + 2, 0);
    wire_put32(buf + 4, word);
    uint32_t sum = wire_pseudo_sum6(src, dst, SYNACK_IPPROTO_ICMPV6, (uint32_t)len);
    wire_put16(buf + 2, wire_csum_fold(wire_csum_add(sum, buf, len)));
    return len;
}

/* RFC 4443 §4.1 and §4.2: identifier, sequence number and data; a reply echoes all three.
 * Returns 0 when cap is too small or the message would not fit a 16-bit payload length. */
size_t wire_icmp6_emit_echo(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
                            uint8_t type, uint16_t id, uint16_t seq, const uint8_t *data,
                            size_t data_len)
{
    if (cap < ICMP6_HDR_LEN || data_len > cap - ICMP6_HDR_LEN) return 0;
    if (data_len > 0xffffu - ICMP6_HDR_LEN) return 0;
    if (data_len) memmove(buf + ICMP6_HDR_LEN, data, data_len);
    uint32_t word = (uint32_t)id << 16 | seq;
    return icmp6_finish(buf, ICMP6_HDR_LEN + data_len, src, dst, type, 0, word);
}

/* RFC 4443 §2.4(c): as much of the invoking datagram as fits, the whole error message in
 * a datagram of at most 1280 bytes (and within cap). param is the MTU (§3.2) or the
 * pointer (§3.4); §3.1 and §3.3 leave the word unused, to be sent as 0. */
size_t wire_icmp6_emit_error(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
                             uint8_t type, uint8_t code, uint32_t param, const uint8_t *quote,
                             size_t quote_len)
{
    if (cap < ICMP6_HDR_LEN) return 0;
    size_t n = quote_len < ICMP6_MAX_QUOTE ? quote_len : ICMP6_MAX_QUOTE;
    if (n > cap - ICMP6_HDR_LEN) n = cap - ICMP6_HDR_LEN;
    if (quote) memmove(buf + ICMP6_HDR_LEN, quote, n); /* n may be 0 */
    return icmp6_finish(buf, ICMP6_HDR_LEN + n, src, dst, type, code, param);
}
