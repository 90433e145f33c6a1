/*
 * fuzz/fuzz_wire6.c - libFuzzer target for the wire layer's IPv6 parsers.
 *
 * The input is an IPv6 datagram. wire_ipv6_parse runs on it, and on what it finds: TCP
 * (wire_tcp_parse_ph with the IPv6 pseudo-header, verified and not) or ICMPv6
 * (wire_icmp6_parse, on a copy whose checksum is fixed first, so that the fuzzer reaches
 * the message bodies and quotes without having to forge checksums). The input is also
 * parsed as a bare ICMPv6 message and walked as an ICMPv6 quote. Whatever the bytes, none
 * may read out of bounds (ASan) or misbehave (UBSan); the results must be consistent
 * (offsets within the input, pointers within the datagram); and whatever parses is
 * emitted again and must parse back to the same fields.
 *
 *   cmake -S . -B build-fuzz -DSYNACK_FUZZ=ON -DCMAKE_C_COMPILER=clang && \
 *   cmake --build build-fuzz --target fuzz_wire6 && build-fuzz/fuzz_wire6
 */
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static const uint8_t FUZZ_SRC[16] = {0xfd, 0, 0, 7, 0, 1, [15] = 1};
static const uint8_t FUZZ_DST[16] = {0xfd, 0, 0, 7, 0, 2, [15] = 1};

/* Every field the TCP emitter owns survives emit and a verified re-parse. */
static void tcp_round_trip(const struct synack_ipv6_hdr *ip, const struct synack_tcp_hdr *t,
                           const uint8_t *payload, size_t plen)
{
    static uint8_t out[2 * 65536];
    uint32_t ph = wire_pseudo_sum6(ip->src, ip->dst, SYNACK_IPPROTO_TCP, 0);
    size_t n = wire_tcp_emit_ph(out + WIRE_IPV6_HDR_LEN, sizeof(out) - WIRE_IPV6_HDR_LEN, ph, t,
                                payload, plen);
    size_t want = WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&t->opts) + plen;
    if (want > 0xffff) {
        CHECK(n == 0);
        return;
    }
    CHECK(n == want);
    CHECK(wire_ipv6_emit(out, sizeof(out), ip, n) == WIRE_IPV6_HDR_LEN);

    struct synack_ipv6_hdr rip;
    const uint8_t *pl;
    size_t pn;
    CHECK(wire_ipv6_parse(out, WIRE_IPV6_HDR_LEN + n, &rip, &pl, &pn) == 0);
    CHECK(rip.next_header == SYNACK_IPPROTO_TCP && rip.ext_count == 0);
    CHECK(rip.traffic_class == ip->traffic_class && rip.flow_label == ip->flow_label);
    CHECK(rip.hop_limit == ip->hop_limit);
    CHECK(memcmp(rip.src, ip->src, 16) == 0 && memcmp(rip.dst, ip->dst, 16) == 0);
    struct synack_tcp_hdr r;
    const uint8_t *rp;
    size_t rn;
    CHECK(wire_tcp_parse_ph(pl, pn, ph, true, &r, &rp, &rn) == 0);
    CHECK(r.sport == t->sport && r.dport == t->dport && r.seq == t->seq && r.ack == t->ack);
    CHECK(r.flags == t->flags && r.window == t->window && r.urg == t->urg);
    CHECK(r.opts.has_mss == t->opts.has_mss && r.opts.mss == t->opts.mss);
    CHECK(r.opts.has_ts == t->opts.has_ts && r.opts.ts_val == t->opts.ts_val);
    CHECK(r.opts.sack_count <= t->opts.sack_count);
    CHECK(rn == plen && (plen == 0 || memcmp(rp, payload, plen) == 0));
}

static void check_tcp(const struct synack_ipv6_hdr *ip, const uint8_t *seg, size_t len)
{
    struct synack_tcp_hdr t;
    const uint8_t *pl;
    size_t pn;
    uint32_t ph = wire_pseudo_sum6(ip->src, ip->dst, SYNACK_IPPROTO_TCP, 0);
    int verified = wire_tcp_parse_ph(seg, len, ph, true, &t, &pl, &pn);
    if (wire_tcp_parse_ph(seg, len, ph, false, &t, &pl, &pn) != 0) {
        CHECK(verified != 0);
        return;
    }
    CHECK(pl == seg + t.hdr_len && t.hdr_len + pn == len);
    tcp_round_trip(ip, &t, pl, pn);
}

/* An ICMPv6 message that parsed: its fields are consistent, and emitting it again (echo
 * or error, by type) gives a message that parses to the same. */
static void icmp6_round_trip(const struct synack_icmp6 *m, const uint8_t *msg, size_t len)
{
    CHECK(m->data == msg + 8 && m->data_len == len - 8);
    if (m->has_quote) CHECK(m->quote_ip.upper_offset + 8u <= m->data_len);
    static uint8_t out[65536 + 8];
    struct synack_icmp6 r;
    if (m->type == SYNACK_ICMP6_ECHO_REQUEST || m->type == SYNACK_ICMP6_ECHO_REPLY) {
        size_t n = wire_icmp6_emit_echo(out, sizeof(out), FUZZ_SRC, FUZZ_DST, m->type, m->id,
                                        m->seq, m->data, m->data_len);
        CHECK(n == len);
        CHECK(wire_icmp6_parse(out, n, FUZZ_SRC, FUZZ_DST, &r) == 0);
        CHECK(r.id == m->id && r.seq == m->seq && r.data_len == m->data_len);
        return;
    }
    if (m->type >= 128) return;
    uint32_t word = m->type == SYNACK_ICMP6_PACKET_TOO_BIG ? m->mtu : m->pointer;
    size_t n = wire_icmp6_emit_error(out, sizeof(out), FUZZ_SRC, FUZZ_DST, m->type, m->code, word,
                                     m->data, m->data_len);
    CHECK(n >= 8 && n <= WIRE_IPV6_MIN_MTU - WIRE_IPV6_HDR_LEN && n <= len);
    CHECK(wire_icmp6_parse(out, n, FUZZ_SRC, FUZZ_DST, &r) == 0);
    CHECK(r.type == m->type && r.code == m->code && r.mtu == m->mtu && r.pointer == m->pointer);
    if (n == len) CHECK(r.has_quote == m->has_quote && r.quote_seq == m->quote_seq);
}

/* Parses a copy of the message with its checksum made right, then checks it. */
static void check_icmp6(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
                        size_t len)
{
    struct synack_icmp6 m;
    (void)wire_icmp6_parse(msg, len, src, dst, &m);
    if (len < 8 || len > 0xffff) return;
    uint8_t *copy = malloc(len);
    if (!copy) return;
    memcpy(copy, msg, len);
    wire_put16(copy + 2, 0);
    uint32_t sum = wire_pseudo_sum6(src, dst, SYNACK_IPPROTO_ICMPV6, (uint32_t)len);
    wire_put16(copy + 2, wire_csum_fold(wire_csum_add(sum, copy, len)));
    CHECK(wire_icmp6_parse(copy, len, src, dst, &m) == 0);
    icmp6_round_trip(&m, copy, len);
    free(copy);
}

static void check_ipv6(const uint8_t *data, size_t size)
{
    struct synack_ipv6_hdr h;
    const uint8_t *pl;
    size_t pn;
    int r = wire_ipv6_parse(data, size, &h, &pl, &pn);
    if (r != 0) {
        if (h.pp_send) {
            CHECK(h.pp_code <= 2);
            CHECK(h.pp_pointer < WIRE_IPV6_HDR_LEN + (size_t)h.payload_len);
        }
        return;
    }
    CHECK(!h.pp_send);
    CHECK(h.ext_count <= WIRE_IPV6_MAX_EXT);
    CHECK(h.upper_offset >= WIRE_IPV6_HDR_LEN && h.nh_pointer < h.upper_offset);
    CHECK(pl == data + h.upper_offset);
    CHECK(h.upper_offset + pn == WIRE_IPV6_HDR_LEN + (size_t)h.payload_len);
    CHECK(!h.has_fragment || (h.frag_offset == 0 && !h.frag_more));
    if (h.next_header == SYNACK_IPPROTO_TCP) check_tcp(&h, pl, pn);
    if (h.next_header == SYNACK_IPPROTO_ICMPV6) check_icmp6(h.src, h.dst, pl, pn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_ipv6(data, size);

    /* The input as a bare ICMPv6 message, as is (checksum verified). */
    struct synack_icmp6 m;
    if (wire_icmp6_parse(data, size, FUZZ_SRC, FUZZ_DST, &m) == 0)
        CHECK(m.data == data + 8 && m.data_len == size - 8);

    /* The input walked as an ICMPv6 quote would be: lenient, bounded by the input. */
    if (size >= WIRE_IPV6_HDR_LEN) {
        struct synack_ipv6_hdr q;
        wire_ipv6_fields(data, &q);
        if (wire_ipv6_walk(data, size, false, &q) == 0)
            CHECK(q.upper_offset <= size && q.ext_count <= WIRE_IPV6_MAX_EXT);
    }
    return 0;
}
