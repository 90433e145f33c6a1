/*
 * synack/packet.h - parsed IPv4, TCP and ICMP headers, as the wire layer produces them
 * and as the trace stream shows them. Plain structs in host byte order; no behaviour.
 */
#ifndef SYNACK_PACKET_H
#define SYNACK_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TCP control bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR, RFC 3540 for AE). */
#define SYNACK_TCP_FIN 0x001u
#define SYNACK_TCP_SYN 0x002u
#define SYNACK_TCP_RST 0x004u
#define SYNACK_TCP_PSH 0x008u
#define SYNACK_TCP_ACK 0x010u
#define SYNACK_TCP_URG 0x020u
#define SYNACK_TCP_ECE 0x040u
#define SYNACK_TCP_CWR 0x080u
#define SYNACK_TCP_AE  0x100u

#define SYNACK_IPPROTO_ICMP 1
#define SYNACK_IPPROTO_TCP  6

#define SYNACK_TCP_MAX_SACK 4

/* TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018). A has_ flag says the option was
 * present; emitting writes exactly the options whose flag is set. */
struct synack_tcp_opts {
    bool has_mss;
    bool has_wscale;
    bool sack_permitted;
    bool has_ts;
    uint16_t mss;
    uint8_t wscale;
    uint8_t sack_count; /* SACK blocks present (0 = no SACK option) */
    uint32_t ts_val, ts_ecr;
    struct {
        uint32_t left, right;
    } sack[SYNACK_TCP_MAX_SACK];
};

struct synack_ipv4_hdr {
    uint8_t hdr_len; /* bytes, IHL*4 */
    uint8_t tos;
    uint8_t ttl;
    uint8_t proto;
    uint16_t total_len; /* bytes, header included */
    uint16_t id;
    uint16_t frag; /* flags (DF 0x4000, MF 0x2000) and offset in 8-byte units */
    uint16_t checksum;
    uint32_t src, dst; /* host byte order: 10.0.0.1 is 0x0a000001 */
};

struct synack_tcp_hdr {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t hdr_len; /* bytes, data offset*4 */
    uint16_t flags;  /* SYNACK_TCP_* */
    uint16_t window; /* as on the wire, before window scaling */
    uint16_t checksum;
    uint16_t urg;
    struct synack_tcp_opts opts;
};

/* One IPv4 + TCP packet, parsed. payload points into the packet it was parsed from. */
struct synack_segment {
    struct synack_ipv4_hdr ip;
    struct synack_tcp_hdr tcp;
    const uint8_t *payload;
    uint32_t payload_len;
};

/* ICMP (RFC 792): echo request/reply, and errors that quote the offending datagram. */
#define SYNACK_ICMP_ECHO_REPLY    0
#define SYNACK_ICMP_UNREACH       3
#define SYNACK_ICMP_ECHO_REQUEST  8
#define SYNACK_ICMP_TIME_EXCEEDED 11

struct synack_icmp {
    uint8_t type, code;
    uint16_t checksum;
    uint16_t id, seq;    /* echo request/reply */
    uint16_t mtu;        /* unreachable, code 4 (fragmentation needed) */
    const uint8_t *data; /* echo: the data; errors: the quoted datagram */
    size_t data_len;
    /* Errors: the quoted IPv4 header and the first 8 bytes of its TCP header, when present. */
    bool has_quote;
    struct synack_ipv4_hdr quote_ip;
    uint16_t quote_sport, quote_dport;
    uint32_t quote_seq;
};

#ifdef __cplusplus
}
#endif
#endif
