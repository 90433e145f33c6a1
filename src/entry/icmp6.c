/*
 * entry/icmp6.c - ICMPv6 (RFC 4443): answer echo requests (ping -6), pass the errors that
 * quote one of our TCP segments to its connection (packet too big to path MTU discovery,
 * RFC 8201; unreachable, time exceeded and parameter problem as errors, RFC 1122 §4.2.3.9
 * as for IPv4), and send the errors IPv6 input asks for, within §2.4's rules. Neighbour
 * discovery and multicast listener messages are counted and ignored: on a point-to-point
 * TUN device there are no neighbours to find.
 */
#include <string.h>

#include "entry/ip.h"
#include "tcp/ip_out.h"
#include "tcp/stack.h"
#include "wire/wire.h"

#define ICMP6_ERR_BURST    10    /* errors that may go at once (RFC 4443 §2.4(f)) */
#define ICMP6_ERR_INTERVAL 10000 /* µs per error after the burst: 100 per second */
#define ICMP6_MIN_MTU      1280  /* RFC 8200 §5: an error never exceeds it (§2.4(c)) */

/* Unreachable codes (RFC 4443 §3.1). */
#define UNREACH_NO_ROUTE 0
#define UNREACH_PORT     4
#define UNREACH_REJECT   6

static void trace_pkt_in(struct synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len)
{
    if (!stack_tracing(st)) return;
    struct synack_trace_event ev = {
        .kind = SYNACK_TRACE_PKT_IN, .now = now, .sd = -1, .pkt = pkt, .pkt_len = (uint32_t)len};
    stack_trace(st, &ev);
}

/* The IPv6 header of a message from us to dst, hop limit 64 (RFC 8200 §3 leaves it to the
 * node; Linux's default), no flow label: ICMPv6 belongs to no flow. */
static size_t emit_header(struct synack_stack *st, uint8_t *slot, const uint8_t dst[16],
                          size_t payload_len)
{
    struct synack_ipv6_hdr h = {.next_header = SYNACK_IPPROTO_ICMPV6, .hop_limit = 64};
    memcpy(h.src, st->cfg.addr6.bytes, 16);
    memcpy(h.dst, dst, 16);
    return wire_ipv6_emit(slot, WIRE_IPV6_HDR_LEN, &h, payload_len);
}

static bool addr6_quote_is_ours(const struct synack_stack *st, const uint8_t a[16])
{
    return memcmp(a, st->cfg.addr6.bytes, 16) == 0;
}

/* RFC 4443 §2.4(f): a token bucket over the whole stack, so that a flood of bad datagrams
 * cannot turn the stack into a flood of errors. */
static bool error_allowed(struct synack_stack *st, uint64_t now)
{
    if (!st->icmp6_err_started) {
        st->icmp6_err_started = true;
        st->icmp6_err_tokens = ICMP6_ERR_BURST;
        st->icmp6_err_time = now;
    }
    if (now > st->icmp6_err_time) {
        uint64_t earned = (now - st->icmp6_err_time) / ICMP6_ERR_INTERVAL;
        uint64_t t = st->icmp6_err_tokens + earned;
        st->icmp6_err_tokens = t > ICMP6_ERR_BURST ? ICMP6_ERR_BURST : (uint32_t)t;
        st->icmp6_err_time += earned * ICMP6_ERR_INTERVAL;
    }
    if (st->icmp6_err_tokens == 0) return false;
    st->icmp6_err_tokens--;
    return true;
}

/* RFC 4443 §2.4(e): no error about an ICMPv6 error message (types below 128), found by
 * walking the invoking datagram's extension headers leniently. */
static bool is_icmp6_error(const uint8_t *pkt, size_t len)
{
    struct synack_ipv6_hdr h;
    wire_ipv6_fields(pkt, &h);
    size_t end = WIRE_IPV6_HDR_LEN + (size_t)h.payload_len;
    if (end > len) end = len;
    if (wire_ipv6_walk(pkt, end, false, &h) != 0) return false;
    return h.next_header == SYNACK_IPPROTO_ICMPV6 && h.upper_offset < end &&
           pkt[h.upper_offset] < 128;
}

void icmp6_send_error(struct synack_stack *st, uint64_t now, uint8_t type, uint8_t code,
                      uint32_t param, const uint8_t *pkt, size_t len)
{
    if (len < WIRE_IPV6_HDR_LEN || st->cfg.addr6.family != SYNACK_AF_INET6) return;
    const uint8_t *src = pkt + 8, *dst = pkt + 24;
    struct synack_addr from = synack_addr_v6(src);
    /* §2.4(e): not to a multicast destination, nor to a source that names no single
     * node (unspecified, multicast, IPv4-mapped). */
    if (dst[0] == 0xff || from.family != SYNACK_AF_INET6 || src[0] == 0xff) return;
    if (is_icmp6_error(pkt, len)) return;
    if (!error_allowed(st, now)) {
        st->stats.icmp_errors_limited++;
        return;
    }
    uint8_t *slot = ip_output_slot(st);
    if (!slot) return;
    size_t cap = st->outq.slot_size < ICMP6_MIN_MTU ? st->outq.slot_size : ICMP6_MIN_MTU;
    size_t n = wire_icmp6_emit_error(slot + WIRE_IPV6_HDR_LEN, cap - WIRE_IPV6_HDR_LEN,
                                     st->cfg.addr6.bytes, src, type, code, param, pkt, len);
    if (n == 0) return;
    emit_header(st, slot, src, n);
    st->stats.icmp_out++;
    st->stats.icmp_errors_out++;
    ip_output_built(st, now, slot, WIRE_IPV6_HDR_LEN + n);
}

/* The error an unreachable code means (RFC 4443 §3.1): nobody at the port, a route that
 * rejects, no route, or a host out of reach. (Linux's icmpv6_err_convert gives EACCES for
 * codes 1, 5 and 6, administratively prohibited and policy; synack has no EACCES and
 * reports them as EHOSTUNREACH, 1 and 5, and ECONNREFUSED, 6.) */
static int unreach_error(uint8_t code)
{
    switch (code) {
    case UNREACH_PORT:
        return SYNACK_ECONNREFUSED;
    case UNREACH_NO_ROUTE:
        return SYNACK_ENETUNREACH;
    case UNREACH_REJECT:
        return SYNACK_ECONNREFUSED;
    default:
        return SYNACK_EHOSTUNREACH;
    }
}

int icmp6_input(struct synack_stack *st, uint64_t now, const struct synack_ipv6_hdr *ip,
                const uint8_t *payload, size_t plen, const uint8_t *pkt, size_t len)
{
    struct synack_icmp6 m;
    st->stats.icmp_in++;
    trace_pkt_in(st, now, pkt, len);
    int r = wire_icmp6_parse(payload, plen, ip->src, ip->dst, &m);
    if (r != 0) {
        stack_drop(st, now, r, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    if (m.type == SYNACK_ICMP6_ECHO_REQUEST) {
        /* RFC 4443 §4.2: the reply carries the request's identifier, sequence and data,
         * all of it (icmp_reply_slot: or the request is dropped by name). */
        int err;
        uint8_t *slot =
            icmp_reply_slot(st, now, WIRE_IPV6_HDR_LEN + 8 + m.data_len, pkt, len, &err);
        if (!slot) return err;
        size_t n = wire_icmp6_emit_echo(
            slot + WIRE_IPV6_HDR_LEN, st->outq.slot_size - WIRE_IPV6_HDR_LEN, st->cfg.addr6.bytes,
            ip->src, SYNACK_ICMP6_ECHO_REPLY, m.id, m.seq, m.data, m.data_len);
        emit_header(st, slot, ip->src, n);
        st->stats.icmp_out++;
        ip_output_built(st, now, slot, WIRE_IPV6_HDR_LEN + n);
        return 0;
    }
    bool error = m.type == SYNACK_ICMP6_UNREACH || m.type == SYNACK_ICMP6_PACKET_TOO_BIG ||
                 m.type == SYNACK_ICMP6_TIME_EXCEEDED || m.type == SYNACK_ICMP6_PARAM_PROBLEM;
    if (error && m.has_quote && m.quote_ip.next_header == SYNACK_IPPROTO_TCP &&
        addr6_quote_is_ours(st, m.quote_ip.src)) {
        struct icmp_report rep = {.src = synack_addr_v6(m.quote_ip.src),
                                  .dst = synack_addr_v6(m.quote_ip.dst),
                                  .sport = m.quote_sport,
                                  .dport = m.quote_dport,
                                  .seq = m.quote_seq,
                                  .too_big = m.type == SYNACK_ICMP6_PACKET_TOO_BIG,
                                  .mtu = m.mtu,
                                  .quoted_len = WIRE_IPV6_HDR_LEN + m.quote_ip.payload_len};
        if (m.type == SYNACK_ICMP6_UNREACH)
            rep.err = unreach_error(m.code);
        else if (m.type == SYNACK_ICMP6_PARAM_PROBLEM)
            rep.err = SYNACK_EPROTO; /* our own datagram was refused: Linux's EPROTO */
        else
            rep.err = SYNACK_EHOSTUNREACH; /* time exceeded: a loop or a too-short hop limit */
        icmp_report_to_tcp(st, now, &rep, pkt, len);
        return 0;
    }
    /* Echo replies, neighbour discovery, multicast listener messages, errors about
     * someone else's datagrams: nothing to do. */
    stack_drop(st, now, SYNACK_DROP_ICMP6_TYPE, pkt, (uint32_t)len, NULL, -1);
    return 0;
}
