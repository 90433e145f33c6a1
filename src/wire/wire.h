/*
 * wire/wire.h - pure parse and emit of IPv4, IPv6, TCP, ICMP and ICMPv6 headers, options
 * and checksums.
 *
 * No state, no allocation, no I/O. Parsers check every length once and then fill a plain
 * struct (synack/packet.h), so nothing after a successful parse can read out of bounds.
 * They return 0 or a SYNACK_DROP_* reason (synack/drop.h): the caller counts and traces
 * the drop by that name. Emitters return the bytes written, or 0 when cap is too small.
 * Multi-byte fields are big-endian on the wire and host order in the structs.
 */
#ifndef SYNACK_WIRE_H
#define SYNACK_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "synack/packet.h"
#include "synack/drop.h"

#define WIRE_IPV4_HDR_LEN 20
#define WIRE_TCP_HDR_LEN  20
#define WIRE_TCP_MAX_OPTS 40
#define WIRE_IPV6_HDR_LEN 40
/* The longest extension-header chain the IPv6 parser walks (RFC 8200 §4.1 allows each
 * header once, Destination Options twice: 6 in a legal order; 8 leaves room for AH-less
 * oddities and refuses the chains built only to exhaust a receiver, RFC 7112). */
#define WIRE_IPV6_MAX_EXT 8
/* IPv6's minimum link MTU (RFC 8200 §5): no ICMPv6 error may exceed it (RFC 4443 §2.4(c)). */
#define WIRE_IPV6_MIN_MTU 1280

/* ---- byte order helpers (unaligned-safe) ----
 * One load or store through memcpy and a byte swap on a little-endian host: written byte by
 * byte, a header's run of fields came out of the compiler as a byte-wise shuffle into wide
 * registers (over 100 instructions for a TCP header), since every byte stored may alias the
 * fields still to be read. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WIRE_BE16(v) __builtin_bswap16(v)
#define WIRE_BE32(v) __builtin_bswap32(v)
#else
#define WIRE_BE16(v) (v)
#define WIRE_BE32(v) (v)
#endif
static inline uint16_t wire_get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return (uint16_t)WIRE_BE16(v);
}
static inline uint32_t wire_get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return (uint32_t)WIRE_BE32(v);
}
/* An IPv4 address as synack_addr_to_v4 gives it (0 for another family), inline: the
 * per-segment paths (the input's address checks, the header and pseudo-header built) ask
 * for it several times a segment, and a call into the library is most of its cost. */
static inline uint32_t wire_addr_v4(const struct synack_addr *a)
{
    return a->family == SYNACK_AF_INET ? wire_get32(a->bytes + 12) : 0;
}
static inline void wire_put16(uint8_t *p, uint16_t v)
{
    uint16_t w = (uint16_t)WIRE_BE16(v);
    memcpy(p, &w, 2);
}
static inline void wire_put32(uint8_t *p, uint32_t v)
{
    uint32_t w = (uint32_t)WIRE_BE32(v);
    memcpy(p, &w, 4);
}

/* ---- the Internet checksum (RFC 1071) ---- */
/* Adds len bytes to a running 32-bit sum (odd lengths padded with a zero byte). */
uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len);
/* Folds and complements: the value to store in a checksum field. RFC 1071 §4.1: fold the
 * carries into 16 bits, then complement. A datagram whose sum (checksum field included)
 * folds to 0xffff verifies, so verifiers test fold(...) == 0. Inline: every segment in and
 * out ends two sums with it. */
static inline uint16_t wire_csum_fold(uint32_t sum)
{
    /* Two folds are always enough for 32 bits: the first leaves at most 0x1fffe, the
     * second at most 0xffff. */
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}
/* RFC 1624: the checksum field hc after one 16-bit (or 32-bit) word it covers changed from
 * old to new, without summing the data again. */
uint16_t wire_csum_update16(uint16_t hc, uint16_t old, uint16_t new_);
uint16_t wire_csum_update32(uint16_t hc, uint32_t old, uint32_t new_);
/* The TCP/UDP pseudo-header sum (RFC 9293 §3.1): src, dst, zero, proto, length. */
uint32_t wire_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
/* The IPv6 pseudo-header sum (RFC 8200 §8.1): src, dst, the 32-bit upper-layer length,
 * three zero bytes and the Next Header value. */
uint32_t wire_pseudo_sum6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
                          uint32_t len);

/* The fields of the 20-byte fixed IPv4 header at buf (at least 20 bytes), decoded as they
 * are, without any check: the one decode that the parser, the ICMP quote reader and the
 * capture reader share. */
void wire_ipv4_fields(const uint8_t *buf, struct synack_ipv4_hdr *out);
/* ---- IPv4 (RFC 791) ----
 * Checks: buffer holds 20 bytes, version 4, IHL >= 5 and within the buffer, total length
 * >= IHL*4 and <= the buffer (trailing link padding is ignored), header checksum. Options
 * are skipped. A fragment (MF set or offset != 0) is refused with SYNACK_DROP_IP_FRAGMENT:
 * synack does not reassemble. On success *payload and *plen are the bytes after the header,
 * up to total length. */
int wire_ipv4_parse(const uint8_t *buf, size_t len, struct synack_ipv4_hdr *out,
                    const uint8_t **payload, size_t *plen);
/* Writes a 20-byte header (no options) for payload_len bytes of payload, computing the
 * checksum; h->hdr_len, total_len and checksum are ignored and filled in the output. */
size_t wire_ipv4_emit(uint8_t *buf, size_t cap, const struct synack_ipv4_hdr *h,
                      size_t payload_len);

/* ---- IPv6 (RFC 8200) ----
 * The fields of the fixed 40-byte header at buf (at least 40 bytes), decoded without any
 * check; next_header is the fixed header's own, and the walk results are zeroed. */
void wire_ipv6_fields(const uint8_t *buf, struct synack_ipv6_hdr *out);
/* Checks: 40 bytes (IP6_TRUNCATED), version 6 (IP6_VERSION), payload length within the
 * buffer (IP6_PAYLOAD_LEN; trailing link padding is ignored); then walks the extension
 * headers (ipv6.c lists the reasons and the RFC 8200 §4 rules). On success *payload and
 * *plen are the upper-layer bytes (from out->upper_offset to the end of the payload
 * length), and out->next_header their protocol. Whenever the fixed header was read, out
 * holds it, and on a drop out->pp_* say whether and how to answer with a Parameter
 * Problem. A non-atomic fragment returns IP6_FRAGMENT with the fragment fields filled and
 * next_header/upper_offset naming what follows the Fragment header; an atomic fragment
 * (offset 0, M clear, RFC 6946) parses like an unfragmented datagram. After any other
 * drop, next_header is still the fixed header's own. */
int wire_ipv6_parse(const uint8_t *buf, size_t len, struct synack_ipv6_hdr *out,
                    const uint8_t **payload, size_t *plen);
/* The extension-header walk of wire_ipv6_parse on the datagram at pkt, end >= 40 bytes
 * long, from the fixed header's Next Header: fills h->next_header, nh_pointer,
 * upper_offset, ext_count, the fragment fields and on a drop pp_*. strict judges options
 * and Routing headers (RFC 8200 §4.2, §4.4); without it (an ICMPv6 quote) headers are only
 * skipped and just a non-first fragment stops the walk. */
int wire_ipv6_walk(const uint8_t *pkt, size_t end, bool strict, struct synack_ipv6_hdr *h);
/* Writes the 40-byte header without extension headers: version 6, traffic class, flow
 * label, payload_len, h->next_header, hop limit, src, dst. Returns 0 when cap is under 40
 * bytes or payload_len does not fit the 16-bit field (synack sends no jumbograms). */
size_t wire_ipv6_emit(uint8_t *buf, size_t cap, const struct synack_ipv6_hdr *h,
                      size_t payload_len);

/* ---- TCP (RFC 9293 §3.1, options RFC 9293 §3.2, RFC 7323, RFC 2018) ----
 * seg/len is the TCP segment (the IPv4 payload). Checks: 20 bytes, data offset >= 5 and
 * within len, and, when verify is set, the checksum with the pseudo-header of src/dst.
 * Options never drop the segment (as Linux): a known option with the wrong length (MSS
 * must be 4 long, WS 3, SACK-permitted 2, TS 10, SACK 2+8n) is ignored, a length byte
 * below 2 or past the end stops the parsing, unknown options are skipped by their length
 * (tcp_opts.c has the cases). */
int wire_tcp_parse(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst, bool verify,
                   struct synack_tcp_hdr *out, const uint8_t **payload, size_t *plen);
/* The same, for any network layer: pseudo is the pseudo-header sum with a length of zero,
 * wire_pseudo_sum(src, dst, SYNACK_IPPROTO_TCP, 0) or wire_pseudo_sum6(src, dst,
 * SYNACK_IPPROTO_TCP, 0), to which the segment's own length is added. A connection can
 * compute it once. Segments longer than 65535 bytes fail the checksum (no jumbograms). */
int wire_tcp_parse_ph(const uint8_t *seg, size_t len, uint32_t pseudo, bool verify,
                      struct synack_tcp_hdr *out, const uint8_t **payload, size_t *plen);
/* The TCP checksum of a segment in two pieces, its header (hlen bytes, even) and its payload
 * elsewhere, with pseudo as for wire_tcp_parse_ph: true when it verifies. */
bool wire_tcp_csum_ok2(uint32_t pseudo, const uint8_t *hdr, size_t hlen, const uint8_t *data,
                       size_t dlen);
/* Parses only an options block (used by wire_tcp_parse). */
int wire_tcp_parse_opts(const uint8_t *p, size_t len, struct synack_tcp_opts *o);
/* Bytes the options in o take on the wire, padded to a multiple of 4. */
size_t wire_tcp_opts_len(const struct synack_tcp_opts *o);
/* Writes the options in o (the layout of wire_tcp_opts_len: MSS, SACK-permitted + TS,
 * SACK blocks, WS, NOP-aligned; SACK blocks that do not fit in 40 bytes are left off from
 * the end). Returns the bytes written (0 for none, or when cap is too small). */
size_t wire_tcp_emit_opts(uint8_t *buf, size_t cap, const struct synack_tcp_opts *o);
/* Writes header, options (those whose flags are set in h->opts, padded with NOP/EOL to a
 * multiple of 4) and payload; computes the checksum with the pseudo-header. h->hdr_len and
 * h->checksum are ignored. Returns the segment length. */
size_t wire_tcp_emit(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
                     const struct synack_tcp_hdr *h, const uint8_t *payload, size_t plen);
/* The same with pseudo as for wire_tcp_parse_ph (the length is added here). */
size_t wire_tcp_emit_ph(uint8_t *buf, size_t cap, uint32_t pseudo, const struct synack_tcp_hdr *h,
                        const uint8_t *payload, size_t plen);

/* The same; partial leaves the checksum to the device (Linux's CHECKSUM_PARTIAL, a TUN
 * device with IFF_VNET_HDR): the field holds the folded pseudo-header sum, length included,
 * not complemented, and the bytes are not summed at all. */
size_t wire_tcp_emit_csum(uint8_t *buf, size_t cap, uint32_t pseudo, const struct synack_tcp_hdr *h,
                          const uint8_t *payload, size_t plen, bool partial);

/* A whole IPv4+TCP or IPv6+TCP datagram in one call (the version nibble says which). */
int wire_segment_parse(const uint8_t *pkt, size_t len, bool verify, struct synack_segment *out);
/* IPv4: ip fields used are tos, ttl, id, frag, src, dst. */
size_t wire_segment_emit(uint8_t *buf, size_t cap, const struct synack_ipv4_hdr *ip,
                         const struct synack_tcp_hdr *tcp, const uint8_t *payload, size_t plen);
/* IPv6: ip fields used are traffic_class, flow_label, hop_limit, src, dst. */
size_t wire_segment_emit6(uint8_t *buf, size_t cap, const struct synack_ipv6_hdr *ip,
                          const struct synack_tcp_hdr *tcp, const uint8_t *payload, size_t plen);
/* Both, with the TCP checksum left to the device when partial (wire_tcp_emit_csum). */
size_t wire_segment_emit_csum(uint8_t *buf, size_t cap, const struct synack_ipv4_hdr *ip,
                              const struct synack_tcp_hdr *tcp, const uint8_t *payload, size_t plen,
                              bool partial);
size_t wire_segment_emit6_csum(uint8_t *buf, size_t cap, const struct synack_ipv6_hdr *ip,
                               const struct synack_tcp_hdr *tcp, const uint8_t *payload,
                               size_t plen, bool partial);
/* The short form (seg4.c): an IPv4 datagram of one TCP segment, without IP options; the
 * fields in host order. The options: has_ts, the timestamps alone (NOP NOP TS), written by
 * wire_seg4_emit; else opts_len bytes (a multiple of 4, at most 40; 0: none) already at
 * buf + 40, as wire_tcp_emit_opts writes them. */
struct wire_seg4 {
    uint32_t src, dst;
    uint8_t tos, ttl;
    uint16_t id, frag;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags, window, urg;
    bool has_ts;
    uint8_t opts_len;
    uint32_t ts_val, ts_ecr;
};
/* Writes s around the plen bytes of payload already at buf + 20 + 20 + the options' length,
 * both checksums computed (the TCP one left to the device when partial, as
 * wire_tcp_emit_csum): the bytes wire_segment_emit_csum writes for the same fields.
 * Returns the datagram's length, 0 when it does not fit cap or IPv4's 16-bit length (or
 * opts_len is no multiple of 4 up to 40). */
size_t wire_seg4_emit(uint8_t *buf, size_t cap, const struct wire_seg4 *s, size_t plen,
                      bool partial);
/* Sets s->family, s->src and s->dst from s->ip (addrs4) or s->ip6 (addrs6). */
void wire_segment_addrs4(struct synack_segment *s);
void wire_segment_addrs6(struct synack_segment *s);
/* The pseudo-header sum (length zero) of either family, for wire_tcp_parse_ph/emit_ph. */
uint32_t wire_pseudo_sum_addr(const struct synack_addr *src, const struct synack_addr *dst,
                              uint8_t proto);

/* ---- ICMP (RFC 792) ----
 * Checks length >= 8 and the checksum. Echo: id, seq, data. Destination unreachable and
 * time exceeded: the quoted IPv4 header (parsed without checksum or total-length checks,
 * since routers may alter them) and, if at least 8 bytes of it follow, the TCP ports and
 * sequence number. */
int wire_icmp_parse(const uint8_t *buf, size_t len, struct synack_icmp *out);
/* Echo reply or request: type, code, id, seq, data/data_len. */
size_t wire_icmp_emit_echo(uint8_t *buf, size_t cap, uint8_t type, uint16_t id, uint16_t seq,
                           const uint8_t *data, size_t data_len);
/* An error (e.g. type 3 code 3 port unreachable) quoting up to the first 28 bytes... as
 * RFC 1122 §3.2.2 asks: the IP header plus at least 8 bytes of the offending datagram. */
size_t wire_icmp_emit_error(uint8_t *buf, size_t cap, uint8_t type, uint8_t code, uint16_t mtu,
                            const uint8_t *quote, size_t quote_len);

/* ---- ICMPv6 (RFC 4443) ----
 * buf/len is the ICMPv6 message (the IPv6 upper-layer bytes), src/dst the addresses of the
 * IPv6 header that carried it. Checks length >= 8 (ICMP6_TRUNCATED) and the checksum over
 * the pseudo-header (RFC 4443 §2.3, ICMP6_CHECKSUM). Any type parses; the caller decides
 * which it handles (RFC 4443 §2.4(a)/(b)). Echo: id, seq, data. Packet too big: mtu.
 * Parameter problem: pointer. Errors (types below 128): the quoted IPv6 header, its
 * extension headers walked without judging their options, and, if at least 8 bytes of the
 * upper layer follow, the TCP ports and sequence number. */
int wire_icmp6_parse(const uint8_t *buf, size_t len, const uint8_t src[16], const uint8_t dst[16],
                     struct synack_icmp6 *out);
/* Echo request or reply (RFC 4443 §4.1/§4.2): type, id, seq, data/data_len (may already
 * sit at buf + 8). The checksum covers the pseudo-header of src/dst. */
size_t wire_icmp6_emit_echo(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
                            uint8_t type, uint16_t id, uint16_t seq, const uint8_t *data,
                            size_t data_len);
/* An error message: type, code, param (the MTU of a packet too big, the pointer of a
 * parameter problem, 0 otherwise) and as much of the invoking datagram as fits in an
 * IPv6 datagram of 1280 bytes (RFC 4443 §2.4(c)): at most 1280 - 40 - 8 = 1232 bytes of
 * quote, fewer when cap is smaller. Returns the message length, 0 when cap < 8. */
size_t wire_icmp6_emit_error(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
                             uint8_t type, uint8_t code, uint32_t param, const uint8_t *quote,
                             size_t quote_len);

/* "SYN,ACK", "FIN,PSH,ACK", ... into buf (at least 40 bytes); returns buf. */
const char *wire_flags_str(uint16_t flags, char *buf, size_t cap);

#endif
