/*
 * capture/capture.h - reads capture files (pcap, pcapng through libpcap) and turns each record
 * into a TCP segment over IPv4 or IPv6, whatever the link layer: Ethernet (with VLAN tags), raw
 * IP, Linux cooked (SLL, SLL2), BSD loopback. Truncated records (a snaplen) keep their headers;
 * payload lengths come from the IP header.
 */
#ifndef SYNACK_CAPTURE_CAPTURE_H
#define SYNACK_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/packet.h"

/* The link layers we decode (not libpcap's DLT numbers, which differ between platforms). */
enum tr_link {
    TR_LINK_UNKNOWN = 0,
    TR_LINK_ETHERNET,
    TR_LINK_RAW,  /* an IPv4 or IPv6 datagram, version from its first nibble */
    TR_LINK_IPV4, /* LINKTYPE_IPV4: IPv4 only */
    TR_LINK_SLL,  /* Linux cooked v1: 16-byte header, protocol at 14 */
    TR_LINK_SLL2, /* Linux cooked v2: 20-byte header, protocol at 0 */
    TR_LINK_NULL, /* BSD loopback: 4-byte family in the capturing host's byte order */
    TR_LINK_LOOP, /* OpenBSD loopback: 4-byte family in network byte order */
};
const char *tr_link_name(enum tr_link link);

enum tr_pkt_kind {
    TR_PKT_TCP4 = 1,   /* seg is valid */
    TR_PKT_IPV4_OTHER, /* IPv4 but not TCP (or a non-first fragment) */
    TR_PKT_TCP6,       /* seg is valid, its addresses in src6/dst6 (seg.ip's are 0) */
    TR_PKT_IPV6_OTHER, /* IPv6 but not TCP, or a fragment, or ESP */
    TR_PKT_NOT_IP,     /* ARP, LLDP, ... */
    TR_PKT_TRUNCATED,  /* too short to hold the IP and TCP headers */
    TR_PKT_BAD,        /* headers that cannot be right (version, lengths) */
};

struct tr_packet {
    uint64_t frame;   /* 1-based record number, as tshark counts frames */
    uint64_t ts_us;   /* capture time, microseconds since the epoch */
    uint32_t caplen;  /* bytes in the file */
    uint32_t origlen; /* bytes on the wire */
    enum tr_pkt_kind kind;
    bool truncated;            /* the record holds less than the datagram */
    bool opts_cut;             /* the TCP options were cut by the snaplen and are not parsed */
    struct synack_segment seg; /* payload points to payload_captured bytes (maybe fewer
                                * than seg.payload_len) */
    uint32_t payload_captured;
    uint8_t src6[16], dst6[16]; /* TR_PKT_TCP6: the addresses, network byte order */
};

/* Decodes one record of a link type into p (frame, ts_us, caplen and origlen are set by the
 * caller). Returns p->kind. Never reads past caplen. */
enum tr_pkt_kind tr_decode(enum tr_link link, const uint8_t *data, uint32_t caplen,
                           uint32_t origlen, struct tr_packet *p);
/* The same for a bare IPv4 datagram of which caplen bytes were captured and origlen sent. */
enum tr_pkt_kind tr_decode_ipv4(const uint8_t *ip, uint32_t caplen, uint32_t origlen,
                                struct tr_packet *p);
/* The same for a bare IPv6 datagram: the extension headers (hop-by-hop, routing, destination
 * options, fragment, AH, ...) are walked, at most TR_IPV6_MAX_EXT of them. A fragment (other
 * than an atomic one, RFC 6946) holds no TCP segment whole: it counts as other IPv6. */
#define TR_IPV6_MAX_EXT 8
enum tr_pkt_kind tr_decode_ipv6(const uint8_t *ip, uint32_t caplen, uint32_t origlen,
                                struct tr_packet *p);

typedef struct tr_capture tr_capture;
/* Opens a capture; NULL with a message in err when it cannot be read. */
tr_capture *tr_capture_open(const char *path, char *err, size_t errcap);
/* The next record: 1 with p filled, 0 at the end, -1 with a message in err (a record cut
 * short at the end of the file is reported this way after the records before it). */
int tr_capture_next(tr_capture *c, struct tr_packet *p, char *err, size_t errcap);
enum tr_link tr_capture_link(const tr_capture *c);
/* libpcap's name of the link type, e.g. "EN10MB" */
const char *tr_capture_link_name(const tr_capture *c);
void tr_capture_close(tr_capture *c);

#endif
