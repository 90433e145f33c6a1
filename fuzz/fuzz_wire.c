/*
 * fuzz/fuzz_wire.c - libFuzzer target for the wire layer's parsers.
 *
 * Every parser runs on every input: wire_segment_parse (checksums verified and not),
 * wire_ipv4_parse, wire_tcp_parse, wire_tcp_parse_opts, wire_icmp_parse. Whatever the bytes,
 * none may read out of bounds (ASan) or misbehave (UBSan). And whenever an input parses as
 * a TCP segment, it is emitted again and re-parsed with verify on: every field the emitter
 * owns must survive, the only permitted loss being SACK blocks dropped from the end when
 * our option layout no longer fits them in 40 bytes (RFC 2018 §3).
 *
 *   cmake -S . -B build-fuzz -DSYNACK_FUZZ=ON -DCMAKE_C_COMPILER=clang && \
 *   cmake --build build-fuzz --target fuzz_wire && build-fuzz/fuzz_wire
 */
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static void round_trip(const struct synack_segment *s)
{
    /* Twice the largest datagram: the emitted header may be a few bytes longer than the
     * parsed one (our layout NOP-aligns what a peer may pack tightly). */
    static uint8_t out[2 * 65536];
    size_t n = wire_segment_emit(out, sizeof(out), &s->ip, &s->tcp, s->payload, s->payload_len);
    size_t tcp_len = WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&s->tcp.opts) + s->payload_len;
    if (WIRE_IPV4_HDR_LEN + tcp_len > 0xffff) {
        CHECK(n == 0); /* refused only because it would not fit IPv4's length field */
        return;
    }
    CHECK(n == WIRE_IPV4_HDR_LEN + tcp_len);

    struct synack_segment r;
    CHECK(wire_segment_parse(out, n, true, &r) == 0);
    CHECK(r.ip.tos == s->ip.tos);
    CHECK(r.ip.ttl == s->ip.ttl);
    CHECK(r.ip.id == s->ip.id);
    CHECK(r.ip.frag == s->ip.frag);
    CHECK(r.ip.src == s->ip.src);
    CHECK(r.ip.dst == s->ip.dst);
    CHECK(r.ip.proto == SYNACK_IPPROTO_TCP);
    CHECK(r.ip.hdr_len == WIRE_IPV4_HDR_LEN); /* options are not re-emitted */
    CHECK(r.tcp.sport == s->tcp.sport);
    CHECK(r.tcp.dport == s->tcp.dport);
    CHECK(r.tcp.seq == s->tcp.seq);
    CHECK(r.tcp.ack == s->tcp.ack);
    CHECK(r.tcp.flags == s->tcp.flags);
    CHECK(r.tcp.window == s->tcp.window);
    CHECK(r.tcp.urg == s->tcp.urg);

    const struct synack_tcp_opts *a = &s->tcp.opts, *b = &r.tcp.opts;
    CHECK(b->has_mss == a->has_mss && b->mss == a->mss);
    CHECK(b->has_wscale == a->has_wscale && b->wscale == a->wscale);
    CHECK(b->sack_permitted == a->sack_permitted);
    CHECK(b->has_ts == a->has_ts && b->ts_val == a->ts_val && b->ts_ecr == a->ts_ecr);
    CHECK(b->sack_count <= a->sack_count);
    for (size_t i = 0; i < b->sack_count; i++)
        CHECK(b->sack[i].left == a->sack[i].left && b->sack[i].right == a->sack[i].right);
    /* And a second trip changes nothing more: the layout is a fixed point. */
    CHECK(wire_tcp_opts_len(b) == r.tcp.hdr_len - (size_t)WIRE_TCP_HDR_LEN);

    CHECK(r.payload_len == s->payload_len);
    CHECK(r.payload_len == 0 || memcmp(r.payload, s->payload, r.payload_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct synack_segment s;
    if (wire_segment_parse(data, size, true, &s) == 0) {
        /* A verified parse is also an unverified one, with the same result. */
        struct synack_segment u;
        CHECK(wire_segment_parse(data, size, false, &u) == 0);
        CHECK(u.tcp.seq == s.tcp.seq && u.tcp.ack == s.tcp.ack && u.tcp.flags == s.tcp.flags);
        CHECK(u.tcp.hdr_len == s.tcp.hdr_len && u.payload_len == s.payload_len);
    }
    if (wire_segment_parse(data, size, false, &s) == 0) {
        CHECK(s.payload >= data && s.payload + s.payload_len <= data + size);
        round_trip(&s);
    }

    struct synack_ipv4_hdr ip;
    const uint8_t *pl;
    size_t pn;
    if (wire_ipv4_parse(data, size, &ip, &pl, &pn) == 0)
        CHECK(pl >= data && pl + pn <= data + size && ip.hdr_len + pn == ip.total_len);

    /* The input as a bare TCP segment, and as a bare options block. */
    struct synack_tcp_hdr th;
    if (wire_tcp_parse(data, size, 0x0a000001u, 0x0a000002u, false, &th, &pl, &pn) == 0)
        CHECK(pl == data + th.hdr_len && th.hdr_len + pn == size);
    (void)wire_tcp_parse(data, size, 0x0a000001u, 0x0a000002u, true, &th, &pl, &pn);
    struct synack_tcp_opts o;
    if (wire_tcp_parse_opts(data, size, &o) == 0) CHECK(o.sack_count <= SYNACK_TCP_MAX_SACK);

    struct synack_icmp ic;
    if (wire_icmp_parse(data, size, &ic) == 0) {
        CHECK(ic.data == data + 8 && ic.data_len == size - 8);
        if (ic.has_quote) CHECK(ic.quote_ip.hdr_len + 8u <= ic.data_len);
    }

    char flags[40];
    (void)wire_flags_str((uint16_t)(size ? data[0] << 8 | data[size - 1] : 0), flags,
                         sizeof(flags));
    return 0;
}
