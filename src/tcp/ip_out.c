/*
 * tcp/ip_out.c - IPv4 and IPv6 output: the datagram around a segment the machine built, or
 * around an ICMP message, placed straight into the output queue (table/outq.h) and traced.
 * IPv4: a 20-byte header with DF set, TTL 64. IPv6: a 40-byte header without extension
 * headers, hop limit 64, and a flow label per connection (below).
 *
 * Every datagram synack sends is atomic (DF set, never fragmented: path MTU discovery,
 * tcp_pmtu.c, keeps segments small enough) and carries IP ID 0. RFC 6864 §4.1 gives the ID
 * of an atomic datagram no meaning, and any counter behind it would leak: a stack-wide
 * counter tells an off-path observer how many datagrams went to others, which is how
 * CVE-2016-5696's kind of attack learns whether a spoofed guess drew a reply (RFC 7739
 * §3). Zero leaks nothing and costs nothing; a per-connection random start would do too,
 * but it buys nothing for atomic datagrams. Linux sends ID 0 in the same case for
 * datagrams without a connected socket. The one exception is a socket whose
 * SYNACK_OPT_MTU_DISCOVER asks for no DF: its datagrams are not atomic, and carry that
 * per-connection counter from a keyed hash of the 4-tuple (below).
 */
#include <string.h>

#include "base/siphash.h"
#include "tcp/ip_out.h"
#include "tcp/stack.h"
#include "tcp/tcp_zc.h"
#include "wire/wire.h"

/* RFC 1122 §4.2.3.10: a TCP OPEN to a broadcast or multicast address is an error, and no
 * prefix, not even one of length 0 that takes in every address, makes it a neighbour. The
 * same goes for loopback (RFC 4291 §2.5.3; RFC 1122 §3.2.1.3(g)), which never leaves the
 * host, and for IPv4's reserved 240/4, which the input path refuses as a source. An
 * IPv4 subnet's own broadcast address (host bits all ones) counts as broadcast, except on
 * a /31 (RFC 3021 §2.1) or /32, which have none. */
static bool unicast_peer(const struct synack_stack *st, const struct synack_addr *a)
{
    if (a->family != SYNACK_AF_INET)
        return !synack_addr_is_multicast(a) && !synack_addr_is_loopback(a);
    uint32_t v = wire_addr_v4(a);
    /* 224/4 (multicast), 127/8 (loopback), 240/4 and 255.255.255.255 (reserved). */
    if ((v >> 28) == 0xe || (v >> 24) == 127) return false;
    if ((v >> 28) == 0xf) return false;
    if (st->cfg.prefix_len < 31) {
        uint32_t host = 0xffffffffu >> st->cfg.prefix_len;
        if ((v & host) == host) return false;
    }
    return true;
}

bool ip_on_link(const struct synack_stack *st, const struct synack_addr *addr)
{
    if (!unicast_peer(st, addr)) return false;
    const struct synack_addr *own =
        addr->family == SYNACK_AF_INET6 ? &st->cfg.addr6 : &st->cfg.addr;
    uint8_t p =
        addr->family == SYNACK_AF_INET6 ? st->cfg.prefix6_len : (uint8_t)(96 + st->cfg.prefix_len);
    if (!own->family || own->family != addr->family) return false;
    /* IPv4 (every connect() of an IPv4 client): the mapped prefix, then the prefix_len
     * bits of the address as one masked word; the same test as the loop below. */
    if (addr->family == SYNACK_AF_INET) {
        /* The top len bits set: a 64-bit shift, defined for len 0 (no bits) and 32. */
        uint32_t len = st->cfg.prefix_len < 32 ? st->cfg.prefix_len : 32;
        uint32_t mask = (uint32_t)(0xffffffff00000000ull >> len);
        return memcmp(addr->bytes, own->bytes, 12) == 0 &&
               ((wire_addr_v4(addr) ^ wire_addr_v4(own)) & mask) == 0;
    }
    /* The first p bits of the two 16-byte forms agree (IPv4: 96 bits of the mapped
     * prefix, then the IPv4 prefix). */
    for (unsigned i = 0; i < 16 && p > 0; i++, p = p >= 8 ? (uint8_t)(p - 8) : 0) {
        uint8_t mask = p >= 8 ? 0xff : (uint8_t)(0xff << (8 - p));
        if ((addr->bytes[i] ^ own->bytes[i]) & mask) return false;
    }
    return true;
}

/* RFC 6437 §3: the flow label of a connection's datagrams is a keyed hash of its 4-tuple,
 * the same for each of its datagrams and unpredictable to others (RFC 7098 relies on it for
 * load balancing, RFC 6437 §6 on its unpredictability); 20 bits, and never 0, which would
 * say the datagram belongs to no flow. Computed, not stored: a segment needs no state for
 * it, not even a reset to a port without a connection. */
static uint32_t flow_label(const struct synack_stack *st, const struct synack_addr *src,
                           const struct synack_addr *dst, const struct synack_tcp_hdr *h)
{
    uint32_t f =
        (uint32_t)siphash_tuple_addr(st->flow_key, src, h->sport, dst, h->dport) & 0xfffffu;
    return f ? f : 1;
}

/* The IPv4 ID and fragment field of a segment's datagram, for the general form and the
 * short form alike: DF and ID 0 (atomic: see above), unless the socket's
 * SYNACK_OPT_MTU_DISCOVER drops DF (Linux's ip_dont_fragment). Then the datagram is not
 * atomic, so its ID must be unique for the pair within a datagram's lifetime (RFC 6864
 * §4.1): a count of the connection's datagrams' parts (sock.ip_id, which tcp_send_segment
 * advances) from a keyed hash of its 4-tuple, as Linux's per-socket counter (RFC 7739
 * §5.1), unpredictable off-path. s's ports are set. */
static inline void ip4_id_frag(const struct synack_stack *st, const struct sock *sk,
                               const struct synack_addr *src, const struct synack_addr *dst,
                               struct wire_seg4 *s)
{
    s->id = 0;
    s->frag = 0x4000;
    if (sk && !sock_pmtu_df(sk)) {
        s->frag = 0;
        uint64_t k = siphash_tuple_addr(st->flow_key, src, s->sport, dst, s->dport);
        s->id = (uint16_t)((k >> 32) + sk->ip_id);
    }
}

/* The IP header goes before the segment at slot (IPv4 or IPv6 by the addresses' family);
 * returns the datagram's length, 0 when it does not fit. */
static size_t emit_ip(struct synack_stack *st, uint8_t *slot, size_t cap, size_t hl,
                      const struct synack_addr *src, const struct synack_addr *dst,
                      const struct synack_tcp_hdr *h, uint32_t plen, uint8_t ecn,
                      const struct sock *sk)
{
    if (src->family == SYNACK_AF_INET6) {
        struct synack_ipv6_hdr ip = {
            .hop_limit = 64, .traffic_class = ecn, .flow_label = flow_label(st, src, dst, h)};
        memcpy(ip.src, src->bytes, 16);
        memcpy(ip.dst, dst->bytes, 16);
        return wire_segment_emit6_csum(slot, cap, &ip, h, slot + hl, plen, st->cfg.csum_offload);
    }
    /* IPv4: the options block in its place, then the short form around it (wire/seg4.c,
     * the bytes of wire_segment_emit_csum). */
    size_t olen = hl - WIRE_IPV4_HDR_LEN - WIRE_TCP_HDR_LEN;
    if (olen > WIRE_TCP_MAX_OPTS) return 0;
    if (olen) wire_tcp_emit_opts(slot + WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN, olen, &h->opts);
    struct wire_seg4 s = {.src = wire_addr_v4(src),
                          .dst = wire_addr_v4(dst),
                          .tos = ecn,
                          .ttl = 64,
                          .sport = h->sport,
                          .dport = h->dport,
                          .seq = h->seq,
                          .ack = h->ack,
                          .flags = h->flags,
                          .window = h->window,
                          .urg = h->urg,
                          .opts_len = (uint8_t)olen};
    ip4_id_frag(st, sk, src, dst, &s);
    return wire_seg4_emit(slot, cap, &s, plen, st->cfg.csum_offload);
}

/* The trace event of a segment sent: apart from the queueing below, which every segment
 * takes, since only a traced stack gets here. */
static void trace_seg_out(struct synack_stack *st, uint64_t now, int sd, uint8_t *slot, size_t n,
                          bool retransmit, const struct synack_addr *src, uint16_t sport,
                          const struct synack_addr *dst, uint16_t dport)
{
    struct synack_trace_event ev = {.kind = SYNACK_TRACE_SEG_OUT,
                                    .now = now,
                                    .sd = sd,
                                    .retransmit = retransmit,
                                    .pkt = slot,
                                    .pkt_len = (uint32_t)n,
                                    .local_addr = *src,
                                    .local_port = sport,
                                    .remote_addr = *dst,
                                    .remote_port = dport};
    if (wire_segment_parse(slot, n, false, &ev.seg) == 0) ev.has_seg = true;
    stack_trace(st, &ev);
}

/* Room in the output queue for a segment of hl header bytes and plen payload bytes, with
 * the payload in its place: straight from the ring, or the buffer of a zero-copy send, at
 * stream offset off. A super-segment (gso) may be as large as the device splits
 * (cfg.tso_max), anything else one MTU. NULL with *err set when it cannot be had. */
static inline uint8_t *tcp_slot(struct synack_stack *st, const struct sock *sk, size_t hl,
                                uint32_t off, uint32_t plen, uint32_t gso, int *err)
{
    size_t cap = gso ? st->outq.max_len : st->outq.slot_size;
    if (hl + plen > cap) {
        *err = SYNACK_EMSGSIZE;
        return NULL;
    }
    uint8_t *slot = outq_reserve_len(&st->outq, (uint32_t)(hl + plen));
    if (!slot) {
        st->stats.out_queue_full++;
        *err = SYNACK_ENOBUFS;
        return NULL;
    }
    if (plen) tcp_snd_peek(sk, off, slot + hl, plen);
    return slot;
}

/* A datagram of n bytes built at slot joins the output queue, counted. */
static inline void tcp_queued(struct synack_stack *st, size_t n, uint32_t gso, uint16_t flags)
{
    if (gso) st->stats.tso_out++;
    outq_commit_gso(&st->outq, (uint32_t)n, gso);
    st->stats.ip_out++;
    st->stats.tcp_out++;
    if (flags & SYNACK_TCP_RST) st->stats.rst_out++;
}

int ip_output_tcp(struct synack_stack *st, uint64_t now, int sd, const struct synack_tcp_hdr *h,
                  const struct synack_addr *src, const struct synack_addr *dst,
                  const struct sock *sk, uint32_t off, uint32_t plen, unsigned out)
{
    bool retransmit = (out & IP_OUT_RETRANSMIT) != 0;
    /* The ECN field: ECT(0), binary 10, for an ECN-capable segment (RFC 3168 §5, §6.1.5);
     * the rest of the DS field (RFC 2474 §3) is the socket's for this IP version (sock_ds),
     * or what the caller names for a datagram sent without a socket. */
    uint8_t ecn = (uint8_t)(((out & IP_OUT_ECT) ? 2u : 0u) | ((out >> 8) & 0xfcu) |
                            (sk ? sock_ds(sk, src->family) & 0xfcu : 0u));
    size_t iphl = src->family == SYNACK_AF_INET6 ? WIRE_IPV6_HDR_LEN : WIRE_IPV4_HDR_LEN;
    size_t hl = iphl + WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&h->opts);
    uint32_t gso = out >> 16;
    int err = 0;
    uint8_t *slot = tcp_slot(st, sk, hl, off, plen, gso, &err);
    if (!slot) return err;
    size_t n = emit_ip(st, slot, hl + plen, hl, src, dst, h, plen, ecn, sk);
    if (n == 0) return SYNACK_EMSGSIZE;
    tcp_queued(st, n, gso, h->flags);
    if (stack_tracing(st))
        trace_seg_out(st, now, sd, slot, n, retransmit, src, h->sport, dst, h->dport);
    return 0;
}

int ip_output_tcp4(struct synack_stack *st, uint64_t now, const struct sock *sk,
                   struct wire_seg4 *s, uint32_t off, uint32_t plen, unsigned out)
{
    /* The IPv4 header of emit_ip: TTL 64, the DS field of ip_output_tcp (the socket's
     * SYNACK_OPT_TOS, ECT(0) when asked), the ID and DF of ip4_id_frag. */
    s->tos = (uint8_t)(((out & IP_OUT_ECT) ? 2u : 0u) | (sk->tos & 0xfcu));
    s->ttl = 64;
    ip4_id_frag(st, sk, &sk->tcb.laddr, &sk->tcb.raddr, s);
    size_t hl = WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN + (s->has_ts ? 12u : 0u);
    uint32_t gso = out >> 16;
    int err = 0;
    uint8_t *slot = tcp_slot(st, sk, hl, off, plen, gso, &err);
    if (!slot) return err;
    size_t n = wire_seg4_emit(slot, hl + plen, s, plen, st->cfg.csum_offload);
    if (n == 0) return SYNACK_EMSGSIZE;
    tcp_queued(st, n, gso, s->flags);
    if (stack_tracing(st))
        trace_seg_out(st, now, sk->idx, slot, n, (out & IP_OUT_RETRANSMIT) != 0, &sk->tcb.laddr,
                      s->sport, &sk->tcb.raddr, s->dport);
    return 0;
}

uint8_t *ip_output_slot(struct synack_stack *st)
{
    uint8_t *slot = outq_reserve(&st->outq);
    if (!slot) st->stats.out_queue_full++;
    return slot;
}

void ip_output_built(struct synack_stack *st, uint64_t now, uint8_t *slot, size_t len)
{
    outq_commit(&st->outq, (uint32_t)len);
    st->stats.ip_out++;
    if (stack_tracing(st)) {
        struct synack_trace_event ev = {.kind = SYNACK_TRACE_PKT_OUT,
                                        .now = now,
                                        .sd = -1,
                                        .pkt = slot,
                                        .pkt_len = (uint32_t)len};
        stack_trace(st, &ev);
    }
}
