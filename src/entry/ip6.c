/*
 * entry/ip6.c - IPv6 input (RFC 8200): parse and verify (wire/ walks the extension headers
 * with the §4 rules), accept only datagrams addressed to our IPv6 address from a source that
 * can be answered, hand TCP to the demultiplexer (entry/demux.c, the same one IPv4 uses) and
 * ICMPv6 to entry/icmp6.c. Where RFC 8200 asks for an ICMPv6 Parameter Problem, it is sent
 * from here (icmp6_send_error, rate-limited). Fragments are dropped with a named reason:
 * TCP never needs them, since synack's MSS keeps peers within the path MTU.
 */
#include <string.h>

#include "entry/demux.h"
#include "entry/ip.h"
#include "tcp/stack.h"
#include "wire/wire.h"

static bool addr6_is_ours(const struct synack_stack *st, const uint8_t a[16])
{
    return st->cfg.addr6.family == SYNACK_AF_INET6 && memcmp(a, st->cfg.addr6.bytes, 16) == 0;
}

/* A source we could never answer, or one that claims to be us: unspecified (RFC 4291
 * §2.5.2: never a source of a datagram that needs an answer), multicast (§2.7), loopback
 * (§2.5.3, never from a link), IPv4-mapped (RFC 4291 §2.5.5.2: not on the wire; Linux drops
 * them too, a way around IPv4 filters), or our own address. */
static bool source_invalid6(const struct synack_stack *st, const uint8_t src[16])
{
    struct synack_addr a = synack_addr_v6(src);
    if (a.family != SYNACK_AF_INET6) return true; /* :: or ::ffff:a.b.c.d */
    if (synack_addr_is_multicast(&a) || synack_addr_is_loopback(&a)) return true;
    return addr6_is_ours(st, src);
}

int ip6_input(struct synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len)
{
    struct synack_ipv6_hdr ip;
    const uint8_t *payload;
    size_t plen;
    st->stats.ip_in++;
    int r = wire_ipv6_parse(pkt, len, &ip, &payload, &plen);
    if (r != 0) {
        /* RFC 8200 §4: some refusals are answered with a Parameter Problem; only ones
         * addressed to us (never to a multicast group) from a source we can answer. */
        if (ip.pp_send && addr6_is_ours(st, ip.dst) && !source_invalid6(st, ip.src))
            icmp6_send_error(st, now, SYNACK_ICMP6_PARAM_PROBLEM, ip.pp_code, ip.pp_pointer, pkt,
                             len);
        stack_drop(st, now, r, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    if (!addr6_is_ours(st, ip.dst)) {
        stack_drop(st, now, SYNACK_DROP_IP_NOT_FOR_US, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    if (source_invalid6(st, ip.src)) {
        stack_drop(st, now, SYNACK_DROP_IP_SRC_INVALID, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    switch (ip.next_header) {
    case SYNACK_IPPROTO_TCP: {
        struct synack_segment seg;
        memset(&seg, 0, sizeof seg);
        seg.ip6 = ip;
        wire_segment_addrs6(&seg);
        return tcp_segment_in(st, now, &seg, payload, plen, pkt, len);
    }
    case SYNACK_IPPROTO_ICMPV6:
        return icmp6_input(st, now, &ip, payload, plen, pkt, len);
    case SYNACK_IPPROTO_NONE:
        /* No Next Header (RFC 8200 §4.7): nothing follows, nothing to answer. */
        stack_drop(st, now, SYNACK_DROP_IP_PROTO, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    default:
        /* RFC 8200 §4: a Next Header the node does not recognize: discard, and answer with
         * a Parameter Problem, code 1, pointing at the byte that named it. */
        icmp6_send_error(st, now, SYNACK_ICMP6_PARAM_PROBLEM, 1, ip.nh_pointer, pkt, len);
        stack_drop(st, now, SYNACK_DROP_IP_PROTO, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
}
