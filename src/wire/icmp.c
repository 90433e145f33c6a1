/*
 * wire/icmp.c - parse and emit ICMP messages (RFC 792): echo request/reply, and the error
 * messages that quote the datagram which caused them (destination unreachable, time
 * exceeded, parameter problem), from which TCP learns which connection they concern.
 */
#include <string.h>

#include "wire/wire.h"

#define ICMP_HDR_LEN     8
#define ICMP_PARAM_PROB  12
#define ICMP_CODE_FRAG   4 /* unreachable: fragmentation needed and DF set */
#define QUOTE_TRANSPORT  8 /* RFC 792: "Internet Header + 64 bits of Data Datagram" */
#define IPV4_OFFSET_MASK 0x1fffu

/*
 * Fills the quoted datagram's IPv4 header into out->quote_ip when it looks like one, and
 * sets has_quote only when the 8 transport bytes RFC 792 promises follow it (RFC 1122
 * §3.2.2): without them the error cannot be matched to a connection, so there is nothing
 * to act on. The quoted header is deliberately not checked for checksum or total length:
 * routers decrement TTL and may quote a datagram after altering it (RFC 1812 §4.3.2.3),
 * and the quote is usually shorter than the total length it states.
 */
static void icmp_parse_quote(const uint8_t *q, size_t len, struct synack_icmp *out)
{
    if (len < WIRE_IPV4_HDR_LEN || q[0] >> 4 != 4) return;
    size_t hlen = (size_t)(q[0] & 0x0f) * 4;
    if (hlen < WIRE_IPV4_HDR_LEN || hlen > len) return;
    struct synack_ipv4_hdr *ip = &out->quote_ip;
    wire_ipv4_fields(q, ip);
    /* A non-first fragment's data is not the start of a transport header. */
    if (ip->frag & IPV4_OFFSET_MASK) return;
    if (len - hlen < QUOTE_TRANSPORT) return;
    /* Ports are the first 4 bytes of TCP and UDP alike; the 4 after them are TCP's
     * sequence number (RFC 9293 §3.1), meaningless for other protocols: the caller checks
     * quote_ip.proto. */
    out->quote_sport = wire_get16(q + hlen);
    out->quote_dport = wire_get16(q + hlen + 2);
    out->quote_seq = wire_get32(q + hlen + 4);
    out->has_quote = true;
}

/*
 * Returns 0, SYNACK_DROP_ICMP_TRUNCATED (under 8 bytes) or SYNACK_DROP_ICMP_CHECKSUM
 * (RFC 792: the checksum covers the whole ICMP message). Any type parses: data/data_len
 * are the bytes after the 8-byte header, and the IP layer decides which types it handles.
 */
int wire_icmp_parse(const uint8_t *buf, size_t len, struct synack_icmp *out)
{
    memset(out, 0, sizeof(*out));
    if (len < ICMP_HDR_LEN) return SYNACK_DROP_ICMP_TRUNCATED;
    if (wire_csum_fold(wire_csum_add(0, buf, len)) != 0) return SYNACK_DROP_ICMP_CHECKSUM;
    out->type = buf[0];
    out->code = buf[1];
    out->checksum = wire_get16(buf + 2);
    out->data = buf + ICMP_HDR_LEN;
    out->data_len = len - ICMP_HDR_LEN;
    switch (out->type) {
    case SYNACK_ICMP_ECHO_REQUEST:
    case SYNACK_ICMP_ECHO_REPLY:
        out->id = wire_get16(buf + 4);
        out->seq = wire_get16(buf + 6);
        break;
    case SYNACK_ICMP_UNREACH:
        /* RFC 1191 §4: the next-hop MTU in the low 16 bits of the unused word. */
        if (out->code == ICMP_CODE_FRAG) out->mtu = wire_get16(buf + 6);
        icmp_parse_quote(out->data, out->data_len, out);
        break;
    case SYNACK_ICMP_TIME_EXCEEDED:
    case ICMP_PARAM_PROB:
        icmp_parse_quote(out->data, out->data_len, out);
        break;
    default:
        break;
    }
    return 0;
}

/* RFC 792 "Echo or Echo Reply Message". data may already sit at buf + 8 (moved, not
 * copied). Returns 0 when cap is too small. */
size_t wire_icmp_emit_echo(uint8_t *buf, size_t cap, uint8_t type, uint16_t id, uint16_t seq,
                           const uint8_t *data, size_t data_len)
{
    if (cap < ICMP_HDR_LEN || data_len > cap - ICMP_HDR_LEN) return 0;
    if (data_len) memmove(buf + ICMP_HDR_LEN, data, data_len);
    buf[0] = type;
    buf[1] = 0;
    wire_put16(buf + 2, 0);
    wire_put16(buf + 4, id);
    wire_put16(buf + 6, seq);
    size_t len = ICMP_HDR_LEN + data_len;
    wire_put16(buf + 2, wire_csum_fold(wire_csum_add(0, buf, len)));
    return len;
}

/*
 * An error message quoting the offending datagram's IPv4 header (options included) and the
 * first 8 bytes of its data, which is what RFC 792 specifies and RFC 1122 §3.2.2 requires
 * as a minimum; quote_len bounds it. When the quote does not start with a sane IPv4
 * header, its first 28 bytes are quoted. mtu goes in the low half of the second word
 * (RFC 1191 §4); pass 0 for every other error, where that word is unused and zero.
 */
size_t wire_icmp_emit_error(uint8_t *buf, size_t cap, uint8_t type, uint8_t code, uint16_t mtu,
                            const uint8_t *quote, size_t quote_len)
{
    size_t n = WIRE_IPV4_HDR_LEN + QUOTE_TRANSPORT;
    if (quote_len >= WIRE_IPV4_HDR_LEN && quote[0] >> 4 == 4 && (quote[0] & 0x0f) >= 5)
        n = (size_t)(quote[0] & 0x0f) * 4 + QUOTE_TRANSPORT;
    if (n > quote_len) n = quote_len;
    if (cap < ICMP_HDR_LEN || n > cap - ICMP_HDR_LEN) return 0;
    if (n) memmove(buf + ICMP_HDR_LEN, quote, n);
    buf[0] = type;
    buf[1] = code;
    wire_put16(buf + 2, 0);
    wire_put16(buf + 4, 0);
    wire_put16(buf + 6, mtu);
    size_t len = ICMP_HDR_LEN + n;
    wire_put16(buf + 2, wire_csum_fold(wire_csum_add(0, buf, len)));
    return len;
}
