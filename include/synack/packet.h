/*
 * synack/packet.h - parsed IPv4, IPv6, TCP, ICMP and ICMPv6 headers, as the wire layer produces
 * them and as the trace stream shows them. Plain structs in host byte order; no behaviour.
 */
#ifndef SYNACK_PACKET_H
#define SYNACK_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/addr.h"

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

/* IPv6 Next Header values (RFC 8200 §4): the extension headers the parser walks, the
 * ones it stops at (AH 51, ESP 50 and No Next Header 59 end the walk like any upper layer),
 * and ICMPv6 (RFC 4443). */
#define SYNACK_IPPROTO_HOPOPTS  0
#define SYNACK_IPPROTO_ROUTING  43
#define SYNACK_IPPROTO_FRAGMENT 44
#define SYNACK_IPPROTO_ESP      50
#define SYNACK_IPPROTO_AH       51
#define SYNACK_IPPROTO_ICMPV6   58
#define SYNACK_IPPROTO_NONE     59
#define SYNACK_IPPROTO_DSTOPTS  60

#define SYNACK_TCP_MAX_SACK 4
/* TCP Fast Open's option (RFC 7413 §4.1.1), and the experimental kind 254 with the magic
 * 0xF989 (RFC 6994) that clients used before kind 34 was assigned. */
#define SYNACK_TCP_FO            34
#define SYNACK_TCP_FO_EXP        254
#define SYNACK_TCP_FO_EXP_MAGIC  0xF989
#define SYNACK_TCP_FO_COOKIE_MAX 16

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
    /* TCP Fast Open: fo_kind is SYNACK_TCP_FO or SYNACK_TCP_FO_EXP when the option is
     * present (0 otherwise); fo_len 0 is a cookie request, else 4 to 16 bytes of cookie. */
    uint8_t fo_kind, fo_len;
    uint8_t fo_cookie[SYNACK_TCP_FO_COOKIE_MAX];
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

/* IPv6 (RFC 8200 §3) and what the walk over its extension headers (§4) found. */
struct synack_ipv6_hdr {
    uint8_t traffic_class;
    uint32_t flow_label;  /* 20 bits */
    uint16_t payload_len; /* bytes after the fixed 40-byte header, extension headers included */
    uint8_t next_header;  /* the upper-layer protocol after the extension headers (TCP 6,
                           * ICMPv6 58, or where the walk stopped: AH, ESP, 59, unknown);
                           * emitting writes it into the fixed header */
    uint8_t hop_limit;
    uint8_t src[16], dst[16]; /* network byte order, as on the wire */
    /* What the walk found. */
    uint32_t upper_offset; /* bytes from the IPv6 header to the upper-layer header */
    uint32_t nh_pointer;   /* offset of the Next Header byte that named next_header (6 with
                            * no extension headers): a Parameter Problem code 1 points here */
    uint8_t ext_count;     /* extension headers walked */
    bool has_fragment;     /* a Fragment header (§4.5) was present */
    bool frag_more;        /* its M flag */
    uint16_t frag_offset;  /* its offset, in 8-byte units */
    uint32_t frag_id;      /* its Identification */
    /* When the parse refused the datagram and RFC 8200 asks the receiver to answer with an
     * ICMPv6 Parameter Problem (RFC 4443 §3.4): pp_send is set, pp_code is its code (0
     * erroneous header field, 1 unrecognized Next Header, 2 unrecognized option) and
     * pp_pointer the offset in the datagram of the byte at fault. */
    bool pp_send;
    uint8_t pp_code;
    uint32_t pp_pointer;
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

/* One IPv4 or IPv6 + TCP packet, parsed. payload points into the packet it was parsed
 * from. family says which header is filled: ip (SYNACK_AF_INET) or ip6 (SYNACK_AF_INET6);
 * src and dst are its addresses in the one form of both (synack/addr.h). */
struct synack_segment {
    uint8_t family;
    struct synack_addr src, dst;
    struct synack_ipv4_hdr ip;
    struct synack_ipv6_hdr ip6;
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

/* ICMPv6 (RFC 4443): echo request/reply, and the errors that quote the offending datagram. */
#define SYNACK_ICMP6_UNREACH        1
#define SYNACK_ICMP6_PACKET_TOO_BIG 2
#define SYNACK_ICMP6_TIME_EXCEEDED  3
#define SYNACK_ICMP6_PARAM_PROBLEM  4
#define SYNACK_ICMP6_ECHO_REQUEST   128
#define SYNACK_ICMP6_ECHO_REPLY     129

struct synack_icmp6 {
    uint8_t type, code;
    uint16_t checksum;
    uint16_t id, seq;    /* echo request/reply */
    uint32_t mtu;        /* packet too big (RFC 4443 §3.2) */
    uint32_t pointer;    /* parameter problem (RFC 4443 §3.4) */
    const uint8_t *data; /* echo: the data; errors: the quoted datagram */
    size_t data_len;
    /* Errors: the quoted IPv6 header (with quote_ip.next_header and upper_offset found by
     * walking its extension headers) and the first 8 bytes of its TCP header, when present. */
    bool has_quote;
    struct synack_ipv6_hdr quote_ip;
    uint16_t quote_sport, quote_dport;
    uint32_t quote_seq;
};

#ifdef __cplusplus
}
#endif
#endif
