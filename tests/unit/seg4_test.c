/*
 * seg4_test.c - the short form of an IPv4 + TCP datagram (wire/seg4.c, the header of every
 * segment after a handshake that reports no SACK blocks) against the general emitter
 * (wire_segment_emit_csum) on seeded random fields and payloads: the same bytes, byte for
 * byte, or the same refusal.
 *
 * The fields are drawn whole (all 16 flag bits, every TOS, TTL, ID and fragment word, any
 * addresses and ports), and also at the values whose sums carry most (all ones) or least
 * (all zeros); payloads of every length up to 40 bytes (the short sum), odd and even, and
 * longer ones up to IPv4's limit (the general sum); with and without the timestamps; with
 * the TCP checksum finished or left to the device (partial); caps that fit exactly, one
 * short, and past IPv4's 16-bit total length. And any other options block (a SYN's, SACK
 * blocks, a Fast Open cookie) written in place by wire_tcp_emit_opts, which the short form
 * then sums as bytes.
 */
#include <string.h>

#include "test.h"
#include "wire/wire.h"

static uint64_t next(uint64_t *s)
{
    /* splitmix64: the test's own seeded generator. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Random fields; one draw in eight all ones, one in eight all zeros. */
static struct wire_seg4 draw(uint64_t *s)
{
    uint64_t a = next(s), b = next(s), c = next(s), d = next(s);
    struct wire_seg4 f = {.src = (uint32_t)a,
                          .dst = (uint32_t)(a >> 32),
                          .tos = (uint8_t)b,
                          .ttl = (uint8_t)(b >> 8),
                          .id = (uint16_t)(b >> 16),
                          .frag = (uint16_t)(b >> 32),
                          .sport = (uint16_t)(b >> 48),
                          .dport = (uint16_t)c,
                          .seq = (uint32_t)(c >> 16),
                          .ack = (uint32_t)d,
                          .flags = (uint16_t)(d >> 32),
                          .window = (uint16_t)(d >> 48),
                          .urg = (uint16_t)(c >> 48),
                          .has_ts = (a >> 7) & 1,
                          .ts_val = (uint32_t)next(s),
                          .ts_ecr = (uint32_t)next(s)};
    switch (next(s) % 8) {
    case 0:
        memset(&f, 0xff, sizeof f);
        f.has_ts = (b & 1) != 0;
        break;
    case 1:
        memset(&f, 0, sizeof f);
        f.has_ts = (b & 1) != 0;
        break;
    default:
        break;
    }
    f.opts_len = 0; /* the timestamps or nothing; seg4_options_in_place sets its own */
    return f;
}

/* The general emitter's view of the same datagram; o, when given, is the options block
 * the short form found in place. */
static size_t general(uint8_t *buf, size_t cap, const struct wire_seg4 *f,
                      const struct synack_tcp_opts *o, size_t plen, bool partial)
{
    struct synack_ipv4_hdr ip = {.tos = f->tos,
                                 .ttl = f->ttl,
                                 .id = f->id,
                                 .frag = f->frag,
                                 .proto = SYNACK_IPPROTO_TCP,
                                 .src = f->src,
                                 .dst = f->dst};
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = f->sport;
    h.dport = f->dport;
    h.seq = f->seq;
    h.ack = f->ack;
    h.flags = f->flags;
    h.window = f->window;
    h.urg = f->urg;
    if (o) {
        h.opts = *o;
    } else {
        h.opts.has_ts = f->has_ts;
        h.opts.ts_val = f->ts_val;
        h.opts.ts_ecr = f->ts_ecr;
    }
    size_t hl = WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN + wire_tcp_opts_len(&h.opts);
    return wire_segment_emit_csum(buf, cap, &ip, &h, buf + hl, plen, partial);
}

static size_t plen_draw(uint64_t *s)
{
    uint64_t r = next(s);
    switch (r % 10) {
    case 0:
        return 1448;
    case 1:
        return (size_t)(r >> 8) % 65536; /* up to past IPv4's limit */
    case 2:
        return 16 + (size_t)(r >> 8) % 300;
    default:
        return (size_t)(r >> 8) % 41; /* the short sum, odd and even */
    }
}

TEST(seg4_same_bytes_as_the_general_emitter)
{
    uint64_t seed = 0x5e64;
    test_seed(seed);
    uint64_t s = seed;
    /* The test's buffers (a test program is no library: statics are allowed). */
    static uint8_t fast[65536 + 64], slow[65536 + 64];
    size_t big = sizeof fast;
    int emitted = 0, refused = 0;
    for (int i = 0; i < 30000; i++) {
        struct wire_seg4 f = draw(&s);
        size_t plen = plen_draw(&s);
        bool partial = next(&s) % 4 == 0;
        size_t hl = WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN + (f.has_ts ? 12u : 0u);
        /* The cap: exact, one short, or roomy. */
        size_t cap = hl + plen;
        uint64_t k = next(&s) % 8;
        if (k == 0 && cap > 0) cap--;
        if (k == 1) cap += 7;
        if (cap > big) cap = big;
        /* The same payload (and the same bytes around it) in both buffers. */
        for (size_t j = 0; j < cap; j++) fast[j] = (uint8_t)next(&s);
        memcpy(slow, fast, cap);
        size_t a = wire_seg4_emit(fast, cap, &f, plen, partial);
        size_t b = general(slow, cap, &f, NULL, plen, partial);
        ASSERT_EQ(a, b);
        ASSERT_MEM_EQ(fast, slow, cap);
        if (a) {
            emitted++;
            /* A finished one that is no fragment verifies and parses back to its fields. */
            if (!partial && (f.frag & 0x3fff) == 0) {
                struct synack_segment seg;
                ASSERT_EQ(wire_segment_parse(fast, a, true, &seg), 0);
                ASSERT_EQ(seg.tcp.seq, f.seq);
                ASSERT_EQ(seg.tcp.window, f.window);
                ASSERT_EQ(seg.payload_len, plen);
            }
        } else {
            refused++;
        }
    }
    /* Both kinds were met. */
    ASSERT(emitted > 20000);
    ASSERT(refused > 1000);
}

/* Random options as a SYN, a SYN-ACK or a segment reporting SACK blocks carries them. */
static struct synack_tcp_opts opts_draw(uint64_t *s)
{
    uint64_t r = next(s);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = r & 1;
    o.mss = (uint16_t)(r >> 8);
    o.has_wscale = (r >> 1) & 1;
    o.wscale = (uint8_t)(r >> 24);
    o.sack_permitted = (r >> 2) & 1;
    o.has_ts = (r >> 3) & 1;
    o.ts_val = (uint32_t)next(s);
    o.ts_ecr = (uint32_t)next(s);
    o.sack_count = (uint8_t)((r >> 32) % (SYNACK_TCP_MAX_SACK + 1));
    for (int i = 0; i < SYNACK_TCP_MAX_SACK; i++) {
        o.sack[i].left = (uint32_t)next(s);
        o.sack[i].right = (uint32_t)next(s);
    }
    if ((r >> 40) % 4 == 0) {
        o.fo_kind = (r >> 42) & 1 ? SYNACK_TCP_FO : SYNACK_TCP_FO_EXP;
        o.fo_len = (uint8_t)((r >> 44) % 5 == 0 ? 0 : 4 + (r >> 48) % 13);
        for (int i = 0; i < SYNACK_TCP_FO_COOKIE_MAX; i++) o.fo_cookie[i] = (uint8_t)next(s);
    }
    return o;
}

TEST(seg4_options_in_place_same_bytes_as_the_general_emitter)
{
    uint64_t seed = 0x0b7;
    test_seed(seed);
    uint64_t s = seed;
    static uint8_t fast[4096], slow[4096];
    int emitted = 0, with_sack = 0, with_fo = 0;
    for (int i = 0; i < 30000; i++) {
        struct wire_seg4 f = draw(&s);
        struct synack_tcp_opts o = opts_draw(&s);
        size_t olen = wire_tcp_opts_len(&o);
        if (olen > WIRE_TCP_MAX_OPTS) continue; /* no block the stack builds */
        f.has_ts = false;
        f.opts_len = (uint8_t)olen;
        size_t plen = plen_draw(&s) % 2000;
        bool partial = next(&s) % 4 == 0;
        size_t cap = WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN + olen + plen;
        if (next(&s) % 8 == 0) cap--;
        for (size_t j = 0; j < cap; j++) fast[j] = (uint8_t)next(&s);
        memcpy(slow, fast, cap);
        /* As ip_output_tcp does: the block first, in its place. */
        if (olen) wire_tcp_emit_opts(fast + WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN, olen, &o);
        size_t a = wire_seg4_emit(fast, cap, &f, plen, partial);
        size_t b = general(slow, cap, &f, &o, plen, partial);
        ASSERT_EQ(a, b);
        if (a) {
            ASSERT_MEM_EQ(fast, slow, a);
            emitted++;
            with_sack += o.sack_count > 0;
            with_fo += o.fo_kind != 0;
        }
    }
    ASSERT(emitted > 15000);
    ASSERT(with_sack > 5000);
    ASSERT(with_fo > 2000);
}

TEST(seg4_refusal_leaves_the_buffer)
{
    /* Too long for IPv4's total length, or a cap one short: nothing written. */
    struct wire_seg4 f = {.src = 0x0a000001, .dst = 0x0a000002, .has_ts = true};
    uint8_t buf[128];
    memset(buf, 0xa5, sizeof buf);
    ASSERT_EQ(wire_seg4_emit(buf, 20 + 32 + 10 - 1, &f, 10, false), 0);
    ASSERT_EQ(wire_seg4_emit(buf, sizeof buf, &f, 65535 - 20 - 32 + 1, false), 0);
    for (size_t i = 0; i < sizeof buf; i++) ASSERT_EQ(buf[i], 0xa5);
    /* The longest that fits IPv4 is taken. */
    size_t plen = 65535 - 20 - 32;
    static uint8_t big[65535];
    ASSERT_EQ(wire_seg4_emit(big, sizeof big, &f, plen, false), 65535);
}

TEST_MAIN()
