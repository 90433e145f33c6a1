/*
 * capture/capture.c - capture files to TCP segments: libpcap reads the records (pcap and
 * pcapng alike), we peel the link layer and parse IPv4 or IPv6 (its extension headers walked)
 * and TCP leniently.
 *
 * Lenient because a capture is evidence, not input to a stack: checksums are not verified
 * (senders offload them, so a capture on the sending host shows garbage there), a record cut
 * by the snaplen keeps whatever headers it has, and the payload length comes from the IP
 * header's total length (RFC 791) or payload length (RFC 8200 §3), not from the bytes
 * captured. A length of 0 is what Linux shows for a TSO/GSO super-segment captured before
 * segmentation: then the length on the wire is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "wire/wire.h"

#ifdef SYNACK_HAVE_PCAP
#include <pcap/pcap.h>
#endif

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100 /* IEEE 802.1Q */
#define ETHERTYPE_QINQ 0x88a8 /* IEEE 802.1ad */

const char *tr_link_name(enum tr_link link)
{
    switch (link) {
    case TR_LINK_ETHERNET:
        return "Ethernet";
    case TR_LINK_RAW:
        return "raw IP";
    case TR_LINK_IPV4:
        return "raw IPv4";
    case TR_LINK_SLL:
        return "Linux cooked (SLL)";
    case TR_LINK_SLL2:
        return "Linux cooked v2 (SLL2)";
    case TR_LINK_NULL:
        return "BSD loopback";
    case TR_LINK_LOOP:
        return "OpenBSD loopback";
    case TR_LINK_UNKNOWN:
        break;
    }
    return "unknown";
}

/* The TCP segment at t: tcap bytes of it captured (the IP layer's padding already cut), tlen
 * bytes long by the IP header. Fills p->seg.tcp and the payload; returns p's kind (ok). */
static enum tr_pkt_kind decode_tcp(const uint8_t *t, uint32_t tcap, uint32_t tlen,
                                   struct tr_packet *p, enum tr_pkt_kind ok)
{
    if (tcap < WIRE_TCP_HDR_LEN) return p->kind = TR_PKT_TRUNCATED;
    struct synack_tcp_hdr *th = &p->seg.tcp;
    th->sport = wire_get16(t);
    th->dport = wire_get16(t + 2);
    th->seq = wire_get32(t + 4);
    th->ack = wire_get32(t + 8);
    th->hdr_len = (uint8_t)((t[12] >> 4) * 4);
    th->flags = (uint16_t)(((t[12] & 1u) << 8) | t[13]);
    th->window = wire_get16(t + 14);
    th->checksum = wire_get16(t + 16);
    th->urg = wire_get16(t + 18);
    if (th->hdr_len < WIRE_TCP_HDR_LEN || tlen < th->hdr_len) return p->kind = TR_PKT_BAD;
    p->opts_cut = false;
    if (tcap >= th->hdr_len) {
        /* options that do not parse are shown as none, the segment still counts */
        if (wire_tcp_parse_opts(t + WIRE_TCP_HDR_LEN, th->hdr_len - WIRE_TCP_HDR_LEN, &th->opts) !=
            0)
            memset(&th->opts, 0, sizeof th->opts);
        p->seg.payload = t + th->hdr_len;
        p->payload_captured = tcap - th->hdr_len;
    } else {
        p->opts_cut = true;
        p->seg.payload = t + tcap;
        p->payload_captured = 0;
    }
    p->seg.payload_len = tlen - th->hdr_len;
    if (p->payload_captured > p->seg.payload_len) p->payload_captured = p->seg.payload_len;
    return p->kind = ok;
}

enum tr_pkt_kind tr_decode_ipv4(const uint8_t *ip, uint32_t caplen, uint32_t origlen,
                                struct tr_packet *p)
{
    p->truncated = caplen < origlen;
    if (caplen < WIRE_IPV4_HDR_LEN) return p->kind = TR_PKT_TRUNCATED;
    if (ip[0] >> 4 != 4) return p->kind = TR_PKT_BAD;
    struct synack_ipv4_hdr *h = &p->seg.ip;
    memset(&p->seg, 0, sizeof p->seg);
    wire_ipv4_fields(ip, h);
    if (h->hdr_len < WIRE_IPV4_HDR_LEN) return p->kind = TR_PKT_BAD;
    if (caplen < h->hdr_len) return p->kind = TR_PKT_TRUNCATED;
    /* the datagram's length: the header says it, unless it is a TSO capture's 0 */
    uint32_t total = h->total_len ? h->total_len : origlen;
    if (total < h->hdr_len) return p->kind = TR_PKT_BAD;
    if (h->proto != SYNACK_IPPROTO_TCP || (h->frag & 0x1fff) != 0)
        return p->kind = TR_PKT_IPV4_OTHER; /* a later fragment holds no TCP header */
    uint32_t tcap = caplen - h->hdr_len;
    if (tcap > total - h->hdr_len) tcap = total - h->hdr_len; /* link padding is not TCP */
    return decode_tcp(ip + h->hdr_len, tcap, total - h->hdr_len, p, TR_PKT_TCP4);
}

/* IPv6 extension headers beyond those synack/packet.h names (SYNACK_IPPROTO_HOPOPTS,
 * _ROUTING, _FRAGMENT, _AH, _DSTOPTS): mobility, HIP and shim6 have the same generic form
 * (IANA "Assigned Internet Protocol Numbers", RFC 7045). */
enum {
    V6_MOBILITY = 135,
    V6_HIP = 139,
    V6_SHIM6 = 140,
};

enum tr_pkt_kind tr_decode_ipv6(const uint8_t *ip, uint32_t caplen, uint32_t origlen,
                                struct tr_packet *p)
{
    p->truncated = caplen < origlen;
    if (caplen < WIRE_IPV6_HDR_LEN) return p->kind = TR_PKT_TRUNCATED;
    if (ip[0] >> 4 != 6) return p->kind = TR_PKT_BAD;
    memset(&p->seg, 0, sizeof p->seg);
    memcpy(p->src6, ip + 8, 16);
    memcpy(p->dst6, ip + 24, 16);
    p->seg.ip.ttl = ip[7]; /* the hop limit */
    /* the datagram's length: the payload length says it, unless it is 0: a jumbogram (RFC
     * 2675) or a TSO capture, and then the wire says it */
    uint32_t plen = wire_get16(ip + 4);
    uint32_t total = plen ? WIRE_IPV6_HDR_LEN + plen : origlen;
    if (total < WIRE_IPV6_HDR_LEN) return p->kind = TR_PKT_BAD;
    uint8_t nh = ip[6];
    uint32_t off = WIRE_IPV6_HDR_LEN;
    for (int n = 0;; n++) {
        if (nh == SYNACK_IPPROTO_TCP) break;
        uint32_t len;
        uint8_t next;
        switch (nh) {
        case SYNACK_IPPROTO_HOPOPTS:
        case SYNACK_IPPROTO_ROUTING:
        case SYNACK_IPPROTO_DSTOPTS:
        case V6_MOBILITY:
        case V6_HIP:
        case V6_SHIM6:
            /* next header, length in 8-octet units not counting the first 8 (RFC 8200 §4.3) */
            if (total - off < 8) return p->kind = TR_PKT_BAD;
            if (caplen - off < 2) return p->kind = TR_PKT_TRUNCATED;
            next = ip[off];
            len = ((uint32_t)ip[off + 1] + 1) * 8;
            break;
        case SYNACK_IPPROTO_AH:
            /* length in 4-octet units, minus 2 (RFC 4302 §2.2) */
            if (total - off < 12) return p->kind = TR_PKT_BAD;
            if (caplen - off < 2) return p->kind = TR_PKT_TRUNCATED;
            next = ip[off];
            len = ((uint32_t)ip[off + 1] + 2) * 4;
            break;
        case SYNACK_IPPROTO_FRAGMENT: {
            /* 8 octets: next header, reserved, offset (13 bits), M (RFC 8200 §4.5) */
            if (total - off < 8) return p->kind = TR_PKT_BAD;
            if (caplen - off < 4) return p->kind = TR_PKT_TRUNCATED;
            uint16_t fo = wire_get16(ip + off + 2);
            /* a fragment holds part of the segment: a later one no TCP header, the first
             * not all of it; an atomic fragment (offset 0, M 0: RFC 6946) is whole */
            if ((fo & 0xfff9) != 0) return p->kind = TR_PKT_IPV6_OTHER;
            next = ip[off];
            len = 8;
            break;
        }
        default: /* UDP, ICMPv6, ESP (encrypted), no next header (59), ... */
            return p->kind = TR_PKT_IPV6_OTHER;
        }
        if (len > total - off) return p->kind = TR_PKT_BAD;
        if (n >= TR_IPV6_MAX_EXT) return p->kind = TR_PKT_IPV6_OTHER; /* too many to follow */
        off += len;
        if (caplen < off) return p->kind = TR_PKT_TRUNCATED;
        nh = next;
    }
    p->seg.ip.proto = SYNACK_IPPROTO_TCP;
    uint32_t tcap = caplen - off;
    if (tcap > total - off) tcap = total - off; /* link padding is not TCP */
    return decode_tcp(ip + off, tcap, total - off, p, TR_PKT_TCP6);
}

/* The network-layer protocol after a link header: IPv4, IPv6 or something else. */
static enum tr_pkt_kind by_ethertype(uint16_t type, const uint8_t *data, uint32_t caplen,
                                     uint32_t origlen, uint32_t off, struct tr_packet *p)
{
    if (caplen < off) return p->kind = TR_PKT_TRUNCATED;
    if (type == ETHERTYPE_IPV4)
        return tr_decode_ipv4(data + off, caplen - off, origlen > off ? origlen - off : 0, p);
    if (type == ETHERTYPE_IPV6)
        return tr_decode_ipv6(data + off, caplen - off, origlen > off ? origlen - off : 0, p);
    return p->kind = TR_PKT_NOT_IP;
}

enum tr_pkt_kind tr_decode(enum tr_link link, const uint8_t *data, uint32_t caplen,
                           uint32_t origlen, struct tr_packet *p)
{
    p->payload_captured = 0;
    p->truncated = caplen < origlen;
    switch (link) {
    case TR_LINK_ETHERNET: {
        if (caplen < 14) return p->kind = TR_PKT_TRUNCATED;
        uint32_t off = 12;
        uint16_t type = wire_get16(data + off);
        /* up to two VLAN tags (802.1ad outer, 802.1Q inner) */
        for (int tags = 0; tags < 2 && (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ); tags++) {
            off += 4;
            if (caplen < off + 2) return p->kind = TR_PKT_TRUNCATED;
            type = wire_get16(data + off);
        }
        return by_ethertype(type, data, caplen, origlen, off + 2, p);
    }
    case TR_LINK_RAW:
        if (caplen < 1) return p->kind = TR_PKT_TRUNCATED;
        if (data[0] >> 4 == 6) return tr_decode_ipv6(data, caplen, origlen, p);
        return tr_decode_ipv4(data, caplen, origlen, p);
    case TR_LINK_IPV4:
        return tr_decode_ipv4(data, caplen, origlen, p);
    case TR_LINK_SLL:
        if (caplen < 16) return p->kind = TR_PKT_TRUNCATED;
        return by_ethertype(wire_get16(data + 14), data, caplen, origlen, 16, p);
    case TR_LINK_SLL2:
        if (caplen < 20) return p->kind = TR_PKT_TRUNCATED;
        return by_ethertype(wire_get16(data), data, caplen, origlen, 20, p);
    case TR_LINK_NULL:
    case TR_LINK_LOOP: {
        if (caplen < 4) return p->kind = TR_PKT_TRUNCATED;
        /* AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 depending on the OS */
        uint32_t be = wire_get32(data);
        uint32_t le = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                      (uint32_t)data[3] << 24;
        uint32_t fam = link == TR_LINK_LOOP ? be : (be < 256 ? be : le);
        if (fam == 2) return tr_decode_ipv4(data + 4, caplen - 4, origlen > 4 ? origlen - 4 : 0, p);
        if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
            return tr_decode_ipv6(data + 4, caplen - 4, origlen > 4 ? origlen - 4 : 0, p);
        return p->kind = TR_PKT_NOT_IP;
    }
    case TR_LINK_UNKNOWN:
        break;
    }
    return p->kind = TR_PKT_NOT_IP;
}

#ifdef SYNACK_HAVE_PCAP

struct tr_capture {
    pcap_t *pcap;
    enum tr_link link;
    int dlt;
    uint64_t frame;
};

static enum tr_link link_of(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB:
        return TR_LINK_ETHERNET;
    case DLT_RAW:
        return TR_LINK_RAW;
#ifdef DLT_IPV4
    case DLT_IPV4:
        return TR_LINK_IPV4;
#endif
    case DLT_LINUX_SLL:
        return TR_LINK_SLL;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
        return TR_LINK_SLL2;
#endif
    case DLT_NULL:
        return TR_LINK_NULL;
    case DLT_LOOP:
        return TR_LINK_LOOP;
    }
    /* LINKTYPE_RAW is 101 in files; libpcap maps it to DLT_RAW, but 12 and 14 are raw IP
     * on some platforms' DLT_RAW too */
    if (dlt == 12 || dlt == 14 || dlt == 101) return TR_LINK_RAW;
    return TR_LINK_UNKNOWN;
}

tr_capture *tr_capture_open(const char *path, char *err, size_t errcap)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
    if (!pc) {
        snprintf(err, errcap, "%s", perr);
        return NULL;
    }
    int dlt = pcap_datalink(pc);
    enum tr_link link = link_of(dlt);
    if (link == TR_LINK_UNKNOWN) {
        const char *name = pcap_datalink_val_to_name(dlt);
        snprintf(err, errcap, "%s: link type %s (%d) is not one synack reads", path,
                 name ? name : "?", dlt);
        pcap_close(pc);
        return NULL;
    }
    tr_capture *c = calloc(1, sizeof *c);
    if (!c) {
        pcap_close(pc);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    c->pcap = pc;
    c->link = link;
    c->dlt = dlt;
    return c;
}

int tr_capture_next(tr_capture *c, struct tr_packet *p, char *err, size_t errcap)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int r = pcap_next_ex(c->pcap, &h, &data);
    if (r == PCAP_ERROR_BREAK) return 0; /* -2: end of file */
    if (r != 1) {
        snprintf(err, errcap, "%s", pcap_geterr(c->pcap));
        return -1;
    }
    memset(p, 0, sizeof *p);
    p->frame = ++c->frame;
    p->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    p->caplen = h->caplen;
    p->origlen = h->len;
    tr_decode(c->link, data, h->caplen, h->len, p);
    return 1;
}

const char *tr_capture_link_name(const tr_capture *c)
{
    const char *n = pcap_datalink_val_to_name(c->dlt);
    return n ? n : tr_link_name(c->link);
}

void tr_capture_close(tr_capture *c)
{
    if (!c) return;
    pcap_close(c->pcap);
    free(c);
}

#else /* no libpcap: the decoders still work, reading files does not */

/* struct tr_capture stays incomplete: no tr_capture is ever made without libpcap. */

tr_capture *tr_capture_open(const char *path, char *err, size_t errcap)
{
    snprintf(err, errcap, "%s: synack was built without libpcap (install libpcap-dev)", path);
    return NULL;
}

int tr_capture_next(tr_capture *c, struct tr_packet *p, char *err, size_t errcap)
{
    (void)c;
    (void)p;
    snprintf(err, errcap, "no libpcap");
    return -1;
}

const char *tr_capture_link_name(const tr_capture *c)
{
    (void)c;
    return "unknown";
}

void tr_capture_close(tr_capture *c)
{
    (void)c;
}

#endif

enum tr_link tr_capture_link(const tr_capture *c)
{
#ifdef SYNACK_HAVE_PCAP
    return c ? c->link : TR_LINK_UNKNOWN;
#else
    (void)c;
    return TR_LINK_UNKNOWN;
#endif
}
