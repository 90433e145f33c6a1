/*
 * wire/wire.h - pure parse and emit of IPv4, TCP and ICMP headers, options and checksums.
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

#include "synack/packet.h"
#include "synack/drop.h"

#define WIRE_IPV4_HDR_LEN 20
#define WIRE_TCP_HDR_LEN  20
#define WIRE_TCP_MAX_OPTS 40

/* ---- byte order helpers (unaligned-safe) ---- */
static inline uint16_t wire_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t wire_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wire_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void wire_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- the Internet checksum (RFC 1071) ---- */
/* Adds len bytes to a running 32-bit sum (odd lengths padded with a zero byte). */
uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len);
/* Folds and complements: the value to store in a checksum field. */
uint16_t wire_csum_fold(uint32_t sum);
/* The TCP/UDP pseudo-header sum (RFC 9293 §3.1): src, dst, zero, proto, length. */
uint32_t wire_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

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

/* ---- TCP (RFC 9293 §3.1, options RFC 9293 §3.2, RFC 7323, RFC 2018) ----
 * seg/len is the TCP segment (the IPv4 payload). Checks: 20 bytes, data offset >= 5 and
 * within len, and, when verify is set, the checksum with the pseudo-header of src/dst.
 * Options never drop the segment (as Linux): a known option with the wrong length (MSS
 * must be 4 long, WS 3, SACK-permitted 2, TS 10, SACK 2+8n) is ignored, a length byte
 * below 2 or past the end stops the parsing, unknown options are skipped by their length
 * (tcp_opts.c has the cases). */
int wire_tcp_parse(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst, bool verify,
                   struct synack_tcp_hdr *out, const uint8_t **payload, size_t *plen);
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

/* A whole IPv4+TCP datagram in one call: ip fields used are tos, ttl, id, frag, src, dst. */
int wire_segment_parse(const uint8_t *pkt, size_t len, bool verify, struct synack_segment *out);
size_t wire_segment_emit(uint8_t *buf, size_t cap, const struct synack_ipv4_hdr *ip,
                         const struct synack_tcp_hdr *tcp, const uint8_t *payload, size_t plen);

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

/* "SYN,ACK", "FIN,PSH,ACK", ... into buf (at least 40 bytes); returns buf. */
const char *wire_flags_str(uint16_t flags, char *buf, size_t cap);

#endif
