/*
 * entry/ip.c - IPv4 input (RFC 791, RFC 1122 §3.2.1): parse and verify (wire/), accept only
 * datagrams addressed to us from a sane source, then hand TCP to the demultiplexer
 * (entry/demux.c) and ICMP to entry/icmp.c. Fragments are dropped with a named reason:
 * synack does not reassemble, and advertises an MSS that keeps peers from needing to
 * fragment. Output is the machine's (tcp/ip_out.c).
 */
#include "entry/ip.h"

#include <string.h>

#include "tcp/stack.h"
#include "entry/demux.h"
#include "wire/wire.h"

static bool source_invalid(const struct synack_stack *st, uint32_t src, uint32_t own)
{
    /* RFC 1122 §3.2.1.3: a source that is 0, broadcast, multicast (224/4), class E, or
     * loopback from outside is not a host that can be answered (all ones is in class E's
     * range, 224/4 and 240/4 are everything from 0xe0000000 up). Our own address as source
     * would be a spoof from outside (or a loop). */
    if (src == 0 || src >= 0xe0000000u || (src >> 24) == 127 || src == own) return true;
    /* §3.2.1.3 (d)-(e): a directed broadcast "MUST NOT be used as a source address". The
     * one a host knows is its own subnet's: host bits all ones, on a prefix shorter than
     * /31 (RFC 3021 §2.1: a /31 has none), as connect() refuses it as a peer. */
    if (st->cfg.prefix_len < 31) {
        uint32_t host = 0xffffffffu >> st->cfg.prefix_len;
        if (((src ^ own) & ~host) == 0 && (src & host) == host) return true;
    }
    return false;
}

int ip_input(struct synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len)
{
    /* Parsed straight into the segment TCP will be given (no copy of the header on the
     * way). Not cleared whole (240 bytes, a rep stos per datagram, 2% of a lifecycle's
     * time): the addresses and the TCP header are written whole below (the header by
     * wire_tcp_parse_ph, its options cleared there first), the payload after the parse;
     * only the IPv6 header, unused here, is cleared. */
    struct synack_segment seg;
    const struct synack_ipv4_hdr *ip = &seg.ip;
    const uint8_t *payload;
    size_t plen;
    st->stats.ip_in++;
    int r = wire_ipv4_parse(pkt, len, &seg.ip, &payload, &plen);
    if (r != 0) {
        stack_drop(st, now, r, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    /* A stack without IPv4 has no address here: everything is for someone else. */
    uint32_t own = wire_addr_v4(&st->cfg.addr);
    if (!st->cfg.addr.family || ip->dst != own) {
        stack_drop(st, now, SYNACK_DROP_IP_NOT_FOR_US, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    if (source_invalid(st, ip->src, own)) {
        stack_drop(st, now, SYNACK_DROP_IP_SRC_INVALID, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    switch (ip->proto) {
    case SYNACK_IPPROTO_TCP:
        memset(&seg.ip6, 0, sizeof seg.ip6);
        seg.payload = NULL;
        seg.payload_len = 0;
        wire_segment_addrs4(&seg);
        return tcp_segment_in(st, now, &seg, payload, plen, pkt, len);
    case SYNACK_IPPROTO_ICMP:
        return icmp_input(st, now, ip, payload, plen, pkt, len);
    default:
        stack_drop(st, now, SYNACK_DROP_IP_PROTO, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
}
