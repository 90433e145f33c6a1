/*
 * wire_test.c - the wire layer (src/wire): checksums, IPv4, TCP and its options, ICMP and
 * flag names. Three kinds of test:
 *   - packets captured from Linux 6.x, checked field by field and re-emitted byte for byte;
 *   - round trips of every option combination through emit and parse;
 *   - every malformed form the parsers name a drop reason for, and every truncation of a
 *     valid packet, each parsed from a buffer of exactly that length so that ASan catches
 *     any read past the end.
 */
#include <stdlib.h>

#include "test.h"
#include "wire/wire.h"

/* ---- captured packets --------------------------------------------------------------------
 * Taken with tcpdump on one end of a veth pair between two network namespaces (10.9.0.1 the
 * client, 10.9.0.2 the server), link layer stripped: socat sent "hello, synack\n" and
 * closed, then connected to a closed port. Checksum offload was turned off on both ends
 * (ethtool -K tx off), so every checksum here is final. On lo that cannot be turned off:
 * Linux leaves the TCP checksum field holding only the pseudo-header sum (CHECKSUM_PARTIAL),
 * which cap_lo_syn shows. */

/* 10.9.0.1.46456 > 10.9.0.2.5555: [S] seq 3550100174, win 64240,
 * [mss 1460,sackOK,TS val 222637894 ecr 0,nop,wscale 10] */
static const uint8_t cap_syn[] = {
    0x45, 0x00, 0x00, 0x3c, 0x5e, 0x59, 0x40, 0x00, 0x40, 0x06, 0xc8, 0x4e, 0x0a, 0x09, 0x00,
    0x01, 0x0a, 0x09, 0x00, 0x02, 0xb5, 0x78, 0x15, 0xb3, 0xd3, 0x9a, 0x3a, 0xce, 0x00, 0x00,
    0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x22, 0xd8, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04,
    0x02, 0x08, 0x0a, 0x0d, 0x45, 0x2f, 0x46, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};
/* 10.9.0.2.5555 > 10.9.0.1.46456: [S.] seq 2837807437, ack 3550100175, win 65160,
 * [mss 1460,sackOK,TS val 3979084905 ecr 222637894,nop,wscale 10] */
static const uint8_t cap_synack[] = {
    0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x26, 0xa8, 0x0a, 0x09, 0x00,
    0x02, 0x0a, 0x09, 0x00, 0x01, 0x15, 0xb3, 0xb5, 0x78, 0xa9, 0x25, 0x81, 0x4d, 0xd3, 0x9a,
    0x3a, 0xcf, 0xa0, 0x12, 0xfe, 0x88, 0x03, 0x26, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04,
    0x02, 0x08, 0x0a, 0xed, 0x2c, 0x04, 0x69, 0x0d, 0x45, 0x2f, 0x46, 0x01, 0x03, 0x03, 0x0a,
};
/* 10.9.0.1.46456 > 10.9.0.2.5555: [P.] seq 1:15, ack 1, win 63,
 * [nop,nop,TS val 222637894 ecr 3979084905], "hello, synack\n" */
static const uint8_t cap_data[] = {
    0x45, 0x00, 0x00, 0x42, 0x5e, 0x5b, 0x40, 0x00, 0x40, 0x06, 0xc8, 0x46, 0x0a, 0x09,
    0x00, 0x01, 0x0a, 0x09, 0x00, 0x02, 0xb5, 0x78, 0x15, 0xb3, 0xd3, 0x9a, 0x3a, 0xcf,
    0xa9, 0x25, 0x81, 0x4e, 0x80, 0x18, 0x00, 0x3f, 0x85, 0xdb, 0x00, 0x00, 0x01, 0x01,
    0x08, 0x0a, 0x0d, 0x45, 0x2f, 0x46, 0xed, 0x2c, 0x04, 0x69, 0x68, 0x65, 0x6c, 0x6c,
    0x6f, 0x2c, 0x20, 0x73, 0x79, 0x6e, 0x61, 0x63, 0x6b, 0x0a,
};
/* 10.9.0.1.46456 > 10.9.0.2.5555: [F.] seq 15, ack 1, win 63,
 * [nop,nop,TS val 222637894 ecr 3979084905] */
static const uint8_t cap_fin[] = {
    0x45, 0x00, 0x00, 0x34, 0x5e, 0x5c, 0x40, 0x00, 0x40, 0x06, 0xc8, 0x53, 0x0a,
    0x09, 0x00, 0x01, 0x0a, 0x09, 0x00, 0x02, 0xb5, 0x78, 0x15, 0xb3, 0xd3, 0x9a,
    0x3a, 0xdd, 0xa9, 0x25, 0x81, 0x4e, 0x80, 0x11, 0x00, 0x3f, 0x30, 0x30, 0x00,
    0x00, 0x01, 0x01, 0x08, 0x0a, 0x0d, 0x45, 0x2f, 0x46, 0xed, 0x2c, 0x04, 0x69,
};
/* 10.9.0.2.5556 > 10.9.0.1.57784: [R.] seq 0, ack 2615494350, win 0 (closed port) */
static const uint8_t cap_rst[] = {
    0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x26, 0xbc, 0x0a, 0x09,
    0x00, 0x02, 0x0a, 0x09, 0x00, 0x01, 0x15, 0xb4, 0xe1, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x9b, 0xe5, 0x46, 0xce, 0x50, 0x14, 0x00, 0x00, 0xc1, 0x9b, 0x00, 0x00,
};
/* On lo: 127.0.0.1.43604 > 127.0.0.1.5555: [S] seq 2300949093, win 65495,
 * [mss 65495,sackOK,TS val 1865513902 ecr 0,nop,wscale 10]; TCP checksum field 0xfe30 is
 * the partial (pseudo-header) sum, not the checksum. */
static const uint8_t cap_lo_syn[] = {
    0x45, 0x00, 0x00, 0x3c, 0xd7, 0x75, 0x40, 0x00, 0x40, 0x06, 0x65, 0x44, 0x7f, 0x00, 0x00,
    0x01, 0x7f, 0x00, 0x00, 0x01, 0xaa, 0x54, 0x15, 0xb3, 0x89, 0x25, 0xb2, 0x65, 0x00, 0x00,
    0x00, 0x00, 0xa0, 0x02, 0xff, 0xd7, 0xfe, 0x30, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04,
    0x02, 0x08, 0x0a, 0x6f, 0x31, 0x7b, 0xae, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};
/* 10.9.0.2 > 10.9.0.1: ICMP port 5557 unreachable, quoting the UDP datagram
 * 10.9.0.1.37369 > 10.9.0.2.5557 "hi" (id 65001, DF) whole. */
static const uint8_t cap_icmp_unreach[] = {
    0x45, 0xc0, 0x00, 0x3a, 0x18, 0x16, 0x00, 0x00, 0x40, 0x01, 0x4d, 0xd9, 0x0a, 0x09, 0x00,
    0x02, 0x0a, 0x09, 0x00, 0x01, 0x03, 0x03, 0x11, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
    0x00, 0x1e, 0xfd, 0xe9, 0x40, 0x00, 0x40, 0x11, 0x28, 0xd1, 0x0a, 0x09, 0x00, 0x01, 0x0a,
    0x09, 0x00, 0x02, 0x91, 0xf9, 0x15, 0xb5, 0x00, 0x0a, 0xdb, 0xad, 0x68, 0x69,
};

#define CLIENT    0x0a090001u /* 10.9.0.1 */
#define SERVER    0x0a090002u /* 10.9.0.2 */
#define LOCALHOST 0x7f000001u

/* ---- helpers ----------------------------------------------------------------------------- */

/* A heap copy of exactly n bytes, so that ASan reports any read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (!d) abort();
    if (n) memcpy(d, p, n);
    return d;
}

/* After editing a header field, recompute the checksums so that the test reaches the check
 * it means to, not an earlier one. */
static void fix_ip_csum(uint8_t *pkt)
{
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    wire_put16(pkt + 10, 0);
    wire_put16(pkt + 10, wire_csum_fold(wire_csum_add(0, pkt, ihl)));
}

static void fix_tcp_csum(uint8_t *pkt)
{
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    size_t tlen = wire_get16(pkt + 2) - ihl;
    uint8_t *t = pkt + ihl;
    wire_put16(t + 16, 0);
    uint32_t sum = wire_pseudo_sum(wire_get32(pkt + 12), wire_get32(pkt + 16), SYNACK_IPPROTO_TCP,
                                   (uint16_t)tlen);
    wire_put16(t + 16, wire_csum_fold(wire_csum_add(sum, t, tlen)));
}

/* A client->server ACK segment with the raw options block given (a multiple of 4 bytes)
 * and correct checksums; returns its length. */
static size_t build_with_opts(uint8_t *buf, const uint8_t *opts, size_t optlen)
{
    ASSERT_EQ(optlen % 4, 0);
    ASSERT(optlen <= WIRE_TCP_MAX_OPTS);
    struct synack_ipv4_hdr ip = {.ttl = 64, .id = 7, .frag = 0x4000, .src = CLIENT, .dst = SERVER};
    struct synack_tcp_hdr tcp = {
        .sport = 1000, .dport = 2000, .seq = 1, .ack = 2, .flags = SYNACK_TCP_ACK, .window = 100};
    size_t n = wire_segment_emit(buf, 100, &ip, &tcp, NULL, 0);
    ASSERT_EQ(n, 40);
    memcpy(buf + 40, opts, optlen);
    buf[20 + 12] = (uint8_t)((20 + optlen) / 4 << 4);
    wire_put16(buf + 2, (uint16_t)(40 + optlen));
    fix_ip_csum(buf);
    fix_tcp_csum(buf);
    return 40 + optlen;
}

/* Parses opts (a multiple of 4 bytes) inside a whole segment and returns the result. */
static int parse_with_opts(const uint8_t *opts, size_t optlen, struct synack_segment *s)
{
    uint8_t buf[100];
    size_t n = build_with_opts(buf, opts, optlen);
    uint8_t *d = dup_exact(buf, n);
    int r = wire_segment_parse(d, n, true, s);
    free(d);
    return r;
}

/* ---- checksum (RFC 1071) ----------------------------------------------------------------- */

TEST(checksum_rfc1071_example)
{
    /* RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 2ddf0, which folds to ddf2. */
    const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    uint32_t sum = wire_csum_add(0, b, sizeof(b));
    /* The running sum is only defined up to its one's-complement value (carries may be
     * folded at any time, RFC 1071 §2(B)): equal to 0x2ddf0 modulo 0xffff. */
    ASSERT_EQ(sum % 0xffff, 0x2ddf0 % 0xffff);
    ASSERT_EQ(wire_csum_fold(sum), (uint16_t)~0xddf2);
}

TEST(ipv4_header_checksum_from_fields_verifies)
{
    /* wire_ipv4_emit sums the header from its fields: every header it writes, whatever
     * the fields, must sum over its 20 bytes to 0xffff (RFC 791 §3.1, RFC 1071 §1). */
    uint64_t seed = 0x1b4;
    test_seed(seed);
    for (int i = 0; i < 20000; i++) {
        uint64_t r = seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t q = seed = seed * 6364136223846793005u + 1442695040888963407u;
        struct synack_ipv4_hdr h = {.tos = (uint8_t)r,
                                    .id = (uint16_t)(r >> 8),
                                    .frag = (uint16_t)(r >> 24),
                                    .ttl = (uint8_t)(r >> 40),
                                    .proto = (uint8_t)(r >> 48),
                                    .src = (uint32_t)q,
                                    .dst = (uint32_t)(q >> 32)};
        if (i % 7 == 0) h.src = h.dst = 0xffffffffu; /* sums with many carries */
        if (i % 11 == 0) h.src = h.dst = 0;
        uint8_t b[WIRE_IPV4_HDR_LEN];
        size_t plen = (size_t)(r >> 56) * 200;
        ASSERT_EQ(wire_ipv4_emit(b, sizeof b, &h, plen), WIRE_IPV4_HDR_LEN);
        ASSERT_EQ(wire_csum_fold(wire_csum_add(0, b, sizeof b)), 0);
        ASSERT_EQ(wire_get16(b + 2), WIRE_IPV4_HDR_LEN + plen);
    }
    /* And the parser's sum over a header without options: what the emitter wrote is taken,
     * and any one bit flipped in TTL, protocol, checksum or addresses is not (a one-bit
     * change moves a one's-complement sum by a power of two, never by a multiple of
     * 0xffff). */
    for (int i = 0; i < 20000; i++) {
        uint64_t r = seed = seed * 6364136223846793005u + 1442695040888963407u;
        struct synack_ipv4_hdr h = {.tos = (uint8_t)r,
                                    .id = (uint16_t)(r >> 8),
                                    .frag = 0x4000,
                                    .ttl = (uint8_t)(r >> 24),
                                    .proto = (uint8_t)(r >> 32),
                                    .src = (uint32_t)(r >> 3),
                                    .dst = (uint32_t)(r >> 29)};
        uint8_t b[WIRE_IPV4_HDR_LEN];
        ASSERT_EQ(wire_ipv4_emit(b, sizeof b, &h, 0), WIRE_IPV4_HDR_LEN);
        struct synack_ipv4_hdr got;
        const uint8_t *pl;
        size_t pn;
        ASSERT_EQ(wire_ipv4_parse(b, sizeof b, &got, &pl, &pn), 0);
        ASSERT_EQ(got.src, h.src);
        ASSERT_EQ(got.dst, h.dst);
        unsigned bit = (unsigned)(r >> 40) % 96; /* bytes 8..19 */
        b[8 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ASSERT_EQ(wire_ipv4_parse(b, sizeof b, &got, &pl, &pn), SYNACK_DROP_IP_CHECKSUM);
    }
}

TEST(checksum_odd_length_pads_with_zero)
{
    const uint8_t b[] = {0x12, 0x34, 0x56};
    ASSERT_EQ(wire_csum_add(0, b, 3), 0x1234 + 0x5600);
    ASSERT_EQ(wire_csum_add(0, NULL, 0), 0);
}

TEST(checksum_chained_equals_one_shot)
{
    uint8_t b[1001];
    for (size_t i = 0; i < sizeof(b); i++) b[i] = (uint8_t)(i * 7 + 3);
    uint32_t one = wire_csum_add(0, b, sizeof(b));
    uint32_t two = wire_csum_add(wire_csum_add(0, b, 500), b + 500, sizeof(b) - 500);
    ASSERT_EQ(wire_csum_fold(one), wire_csum_fold(two));
}

TEST(checksum_large_buffer_carries)
{
    /* 64 KiB of 0xff: every word is 0xffff, so the one's-complement sum is 0xffff and the
     * checksum 0, however the carries were collected. */
    static uint8_t b[65536];
    memset(b, 0xff, sizeof(b));
    ASSERT_EQ(wire_csum_fold(wire_csum_add(0xffffffffu, b, sizeof(b))), 0);
}

/* RFC 1071 §1 word by word, big-endian, as the definition reads: the reference the wide
 * sum is held to. */
static uint16_t csum_reference(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    for (size_t i = 0; i + 1 < len; i += 2) acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1) acc += (uint32_t)p[len - 1] << 8;
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

TEST(checksum_wide_matches_reference)
{
    /* Every length 0..300 at every alignment 0..7 (the wide loop's rounds of 32 and 8
     * bytes, and every tail), bytes from a seeded generator, a random running sum. */
    const uint64_t seed = 1071;
    test_seed(seed);
    static uint8_t buf[320];
    uint64_t x = seed;
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = round == 1 ? 0xff : (uint8_t)x;
        }
        for (size_t align = 0; align < 8; align++)
            for (size_t len = 0; len <= 300; len++) {
                uint32_t start = round == 3 ? 0xffffffffu : (uint32_t)(x >> 40);
                ASSERT_EQ(wire_csum_fold(wire_csum_add(start, buf + align, len)),
                          csum_reference(start, buf + align, len));
            }
    }
}

TEST(checksum_long_runs_match_reference)
{
    /* Lengths past the vector loop's threshold (256 bytes, 64 a round) up to a 64 KiB
     * super-segment, at every alignment 0..7, random bytes and all 0xff (every carry), a
     * random running sum: the 256-bit loop and the scalar tail it leaves. */
    const uint64_t seed = 1072;
    test_seed(seed);
    static uint8_t buf[65536 + 8];
    uint64_t x = seed;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = round == 1 ? 0xff : (uint8_t)x;
        }
        for (int k = 0; k < 400; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t len = k < 200 ? 250 + (size_t)k : (size_t)(x % 65537);
            size_t align = (size_t)(x >> 20) % 8;
            uint32_t start = round == 2 ? 0xffffffffu : (uint32_t)(x >> 40);
            ASSERT_EQ(wire_csum_fold(wire_csum_add(start, buf + align, len)),
                      csum_reference(start, buf + align, len));
        }
    }
}

TEST(checksum_incremental_update)
{
    /* RFC 1624 §3: changing a covered word and updating the checksum gives the checksum of
     * the changed data. Compared as one's-complement values (0x0000 and 0xffff are both
     * zero): for all-zero data eqn. 3 gives 0x0000 where summing gives 0xffff, a case a
     * TCP or IP header, never all zero, cannot meet (RFC 1624 §3). */
    const uint64_t seed = 1624;
    test_seed(seed);
    uint64_t x = seed;
    uint8_t b[40];
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof b; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            b[i] = round % 3 == 0 ? 0 : (uint8_t)x;
        }
        uint16_t hc = wire_csum_fold(wire_csum_add(0, b, sizeof b));
        size_t at = (size_t)(x % 18) * 2;
        uint16_t old16 = wire_get16(b + at), new16 = (uint16_t)(round % 5 == 0 ? 0 : x >> 20);
        wire_put16(b + at, new16);
        ASSERT_EQ(wire_csum_update16(hc, old16, new16) % 0xffff,
                  wire_csum_fold(wire_csum_add(0, b, sizeof b)) % 0xffff);
        hc = wire_csum_fold(wire_csum_add(0, b, sizeof b));
        uint32_t old32 = wire_get32(b + at), new32 = (uint32_t)(x >> 11);
        wire_put32(b + at, new32);
        ASSERT_EQ(wire_csum_update32(hc, old32, new32) % 0xffff,
                  wire_csum_fold(wire_csum_add(0, b, sizeof b)) % 0xffff);
    }
}

TEST(checksum_pseudo_header)
{
    /* 10.9.0.1 -> 10.9.0.2, TCP, 40 bytes: 0a09+0001+0a09+0002+0006+0028 */
    ASSERT_EQ(wire_pseudo_sum(CLIENT, SERVER, 6, 40), 0x0a09 + 1 + 0x0a09 + 2 + 6 + 40);
}

/* ---- captured packets, field by field ---------------------------------------------------- */

TEST(captured_syn)
{
    struct synack_segment s;
    memset(&s, 0xa5, sizeof s); /* whatever was there before */
    ASSERT_EQ(wire_segment_parse(cap_syn, sizeof(cap_syn), true, &s), 0);
    /* The segment's addresses are synack_addr_v4's, every byte (they are hashed and
     * compared as bytes). */
    struct synack_addr want_src = synack_addr_v4(s.ip.src), want_dst = synack_addr_v4(s.ip.dst);
    ASSERT_MEM_EQ(&s.src, &want_src, sizeof want_src);
    ASSERT_MEM_EQ(&s.dst, &want_dst, sizeof want_dst);
    ASSERT_EQ(s.ip.hdr_len, 20);
    ASSERT_EQ(s.ip.tos, 0);
    ASSERT_EQ(s.ip.ttl, 64);
    ASSERT_EQ(s.ip.proto, SYNACK_IPPROTO_TCP);
    ASSERT_EQ(s.ip.total_len, 60);
    ASSERT_EQ(s.ip.id, 24153);
    ASSERT_EQ(s.ip.frag, 0x4000); /* DF */
    ASSERT_EQ(s.ip.checksum, 0xc84e);
    ASSERT_EQ(s.ip.src, CLIENT);
    ASSERT_EQ(s.ip.dst, SERVER);
    ASSERT_EQ(s.tcp.sport, 46456);
    ASSERT_EQ(s.tcp.dport, 5555);
    ASSERT_EQ(s.tcp.seq, 3550100174u);
    ASSERT_EQ(s.tcp.ack, 0);
    ASSERT_EQ(s.tcp.hdr_len, 40);
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(s.tcp.window, 64240);
    ASSERT_EQ(s.tcp.checksum, 0x22d8);
    ASSERT_EQ(s.tcp.urg, 0);
    ASSERT(s.tcp.opts.has_mss);
    ASSERT_EQ(s.tcp.opts.mss, 1460);
    ASSERT(s.tcp.opts.sack_permitted);
    ASSERT(s.tcp.opts.has_ts);
    ASSERT_EQ(s.tcp.opts.ts_val, 222637894u);
    ASSERT_EQ(s.tcp.opts.ts_ecr, 0);
    ASSERT(s.tcp.opts.has_wscale);
    ASSERT_EQ(s.tcp.opts.wscale, 10);
    ASSERT_EQ(s.tcp.opts.sack_count, 0);
    ASSERT_EQ(s.payload_len, 0);
    ASSERT(s.payload == cap_syn + 60);
}

TEST(captured_syn_ack)
{
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(cap_synack, sizeof(cap_synack), true, &s), 0);
    ASSERT_EQ(s.ip.id, 0); /* Linux: DF set, so no id needed (RFC 6864) */
    ASSERT_EQ(s.ip.frag, 0x4000);
    ASSERT_EQ(s.ip.src, SERVER);
    ASSERT_EQ(s.ip.dst, CLIENT);
    ASSERT_EQ(s.tcp.sport, 5555);
    ASSERT_EQ(s.tcp.dport, 46456);
    ASSERT_EQ(s.tcp.seq, 2837807437u);
    ASSERT_EQ(s.tcp.ack, 3550100175u);
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(s.tcp.window, 65160);
    ASSERT_EQ(s.tcp.checksum, 0x0326);
    ASSERT_EQ(s.tcp.hdr_len, 40);
    ASSERT(s.tcp.opts.has_mss);
    ASSERT_EQ(s.tcp.opts.mss, 1460);
    ASSERT(s.tcp.opts.sack_permitted);
    ASSERT(s.tcp.opts.has_ts);
    ASSERT_EQ(s.tcp.opts.ts_val, 3979084905u);
    ASSERT_EQ(s.tcp.opts.ts_ecr, 222637894u);
    ASSERT(s.tcp.opts.has_wscale);
    ASSERT_EQ(s.tcp.opts.wscale, 10);
    ASSERT_EQ(s.payload_len, 0);
}

TEST(captured_data)
{
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(cap_data, sizeof(cap_data), true, &s), 0);
    ASSERT_EQ(s.ip.total_len, 66);
    ASSERT_EQ(s.ip.id, 0x5e5b);
    ASSERT_EQ(s.tcp.sport, 46456);
    ASSERT_EQ(s.tcp.dport, 5555);
    ASSERT_EQ(s.tcp.seq, 3550100175u);
    ASSERT_EQ(s.tcp.ack, 2837807438u);
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_PSH | SYNACK_TCP_ACK);
    ASSERT_EQ(s.tcp.window, 63);
    ASSERT_EQ(s.tcp.checksum, 0x85db);
    ASSERT_EQ(s.tcp.hdr_len, 32);
    ASSERT(!s.tcp.opts.has_mss);
    ASSERT(!s.tcp.opts.has_wscale);
    ASSERT(!s.tcp.opts.sack_permitted);
    ASSERT(s.tcp.opts.has_ts);
    ASSERT_EQ(s.tcp.opts.ts_val, 222637894u);
    ASSERT_EQ(s.tcp.opts.ts_ecr, 3979084905u);
    ASSERT_EQ(s.payload_len, 14);
    ASSERT_MEM_EQ(s.payload, "hello, synack\n", 14);
}

TEST(captured_fin)
{
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(cap_fin, sizeof(cap_fin), true, &s), 0);
    ASSERT_EQ(s.tcp.seq, 3550100189u);
    ASSERT_EQ(s.tcp.ack, 2837807438u);
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_FIN | SYNACK_TCP_ACK);
    ASSERT_EQ(s.tcp.window, 63);
    ASSERT_EQ(s.tcp.checksum, 0x3030);
    ASSERT(s.tcp.opts.has_ts);
    ASSERT_EQ(s.tcp.opts.ts_val, 222637894u);
    ASSERT_EQ(s.tcp.opts.ts_ecr, 3979084905u);
    ASSERT_EQ(s.payload_len, 0);
}

TEST(captured_rst_from_closed_port)
{
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(cap_rst, sizeof(cap_rst), true, &s), 0);
    ASSERT_EQ(s.ip.total_len, 40);
    ASSERT_EQ(s.ip.src, SERVER);
    ASSERT_EQ(s.tcp.sport, 5556);
    ASSERT_EQ(s.tcp.dport, 57784);
    /* RFC 9293 §3.5.2 (group 1): no ACK on the SYN, so seq 0 and ack = SEG.SEQ + 1. */
    ASSERT_EQ(s.tcp.seq, 0);
    ASSERT_EQ(s.tcp.ack, 2615494350u);
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_RST | SYNACK_TCP_ACK);
    ASSERT_EQ(s.tcp.window, 0);
    ASSERT_EQ(s.tcp.hdr_len, 20);
    ASSERT_EQ(s.tcp.checksum, 0xc19b);
    struct synack_tcp_opts none;
    memset(&none, 0, sizeof(none));
    ASSERT_MEM_EQ(&s.tcp.opts, &none, sizeof(none));
    ASSERT_EQ(s.payload_len, 0);
}

TEST(captured_lo_partial_checksum_needs_verify_off)
{
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(cap_lo_syn, sizeof(cap_lo_syn), true, &s),
              SYNACK_DROP_TCP_CHECKSUM);
    ASSERT_EQ(wire_segment_parse(cap_lo_syn, sizeof(cap_lo_syn), false, &s), 0);
    ASSERT_EQ(s.ip.src, LOCALHOST);
    ASSERT_EQ(s.ip.dst, LOCALHOST);
    ASSERT_EQ(s.tcp.sport, 43604);
    ASSERT_EQ(s.tcp.dport, 5555);
    ASSERT_EQ(s.tcp.seq, 2300949093u);
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(s.tcp.window, 65495);
    ASSERT_EQ(s.tcp.opts.mss, 65495);
    ASSERT_EQ(s.tcp.opts.ts_val, 1865513902u);
    ASSERT_EQ(s.tcp.opts.wscale, 10);
    /* The field holds the folded pseudo-header sum, uncomplemented: what the NIC would
     * have started from. */
    uint32_t ps = wire_pseudo_sum(LOCALHOST, LOCALHOST, 6, 40);
    ASSERT_EQ(s.tcp.checksum, (uint16_t)~wire_csum_fold(ps));
}

static const struct {
    const char *name;
    const uint8_t *p;
    size_t n;
} captures[] = {
    {"syn", cap_syn, sizeof(cap_syn)},    {"syn-ack", cap_synack, sizeof(cap_synack)},
    {"data", cap_data, sizeof(cap_data)}, {"fin", cap_fin, sizeof(cap_fin)},
    {"rst", cap_rst, sizeof(cap_rst)},
};
#define NCAPTURES (sizeof(captures) / sizeof(captures[0]))

TEST(captured_reemit_byte_for_byte)
{
    /* Our option layout is Linux's, so what we parse we write back identically. */
    for (size_t i = 0; i < NCAPTURES; i++) {
        struct synack_segment s;
        ASSERT_EQ(wire_segment_parse(captures[i].p, captures[i].n, true, &s), 0);
        uint8_t out[128];
        size_t n = wire_segment_emit(out, sizeof(out), &s.ip, &s.tcp, s.payload, s.payload_len);
        if (n != captures[i].n || memcmp(out, captures[i].p, n) != 0)
            fprintf(stderr, "    capture %s differs\n", captures[i].name);
        ASSERT_EQ(n, captures[i].n);
        ASSERT_MEM_EQ(out, captures[i].p, n);
        ASSERT_EQ(wire_tcp_opts_len(&s.tcp.opts), s.tcp.hdr_len - 20u);
    }
}

TEST(captured_every_truncation_fails)
{
    for (size_t i = 0; i < NCAPTURES; i++) {
        for (size_t len = 0; len < captures[i].n; len++) {
            uint8_t *d = dup_exact(captures[i].p, len);
            struct synack_segment s;
            int on = wire_segment_parse(d, len, true, &s);
            int off = wire_segment_parse(d, len, false, &s);
            struct synack_ipv4_hdr ip;
            const uint8_t *pl;
            size_t pn;
            int ipr = wire_ipv4_parse(d, len, &ip, &pl, &pn);
            free(d);
            if (on == 0 || off == 0 || ipr == 0)
                fprintf(stderr, "    capture %s len %zu parsed\n", captures[i].name, len);
            ASSERT_NE(on, 0);
            ASSERT_NE(off, 0);
            ASSERT_NE(ipr, 0);
            /* Under 20 bytes, or fewer than the total length the header claims. */
            ASSERT_EQ(on, SYNACK_DROP_IP_TRUNCATED);
        }
        /* The TCP segment alone, cut anywhere inside its header, fails too. */
        const uint8_t *tcp = captures[i].p + 20;
        size_t hlen = (size_t)(tcp[12] >> 4) * 4;
        for (size_t len = 0; len < hlen; len++) {
            uint8_t *d = dup_exact(tcp, len);
            struct synack_tcp_hdr h;
            const uint8_t *pl;
            size_t pn;
            int r = wire_tcp_parse(d, len, 0, 0, false, &h, &pl, &pn);
            free(d);
            ASSERT_EQ(r, len < 20 ? SYNACK_DROP_TCP_TRUNCATED : SYNACK_DROP_TCP_HDR_LEN);
        }
    }
}

TEST(captured_trailing_link_padding_ignored)
{
    /* An Ethernet frame pads a 40-byte datagram to 46 bytes of payload: the bytes past
     * total length are not part of the segment and must not break its checksum. */
    uint8_t pkt[sizeof(cap_rst) + 6];
    memcpy(pkt, cap_rst, sizeof(cap_rst));
    memset(pkt + sizeof(cap_rst), 0xaa, 6);
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(pkt, sizeof(pkt), true, &s), 0);
    ASSERT_EQ(s.payload_len, 0);
    ASSERT_EQ(s.tcp.ack, 2615494350u);
}

/* ---- IPv4 (RFC 791) ---------------------------------------------------------------------- */

static int parse_edited(const uint8_t *pkt, size_t n)
{
    uint8_t *d = dup_exact(pkt, n);
    struct synack_segment s;
    int r = wire_segment_parse(d, n, true, &s);
    free(d);
    return r;
}

TEST(ip_bad_version)
{
    uint8_t p[sizeof(cap_syn)];
    memcpy(p, cap_syn, sizeof(p));
    p[0] = 0x55; /* version 5 (ST, RFC 1819: never used), IHL 5 */
    fix_ip_csum(p);
    ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_IP_VERSION);
    /* Version 6 goes to the IPv6 parser, which finds no IPv6 header here. */
    p[0] = 0x65;
    fix_ip_csum(p);
    ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_IP6_PAYLOAD_LEN);
}

TEST(ip_ihl_below_five)
{
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        uint8_t p[sizeof(cap_syn)];
        memcpy(p, cap_syn, sizeof(p));
        p[0] = (uint8_t)(0x40 | ihl);
        ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_IP_HDR_LEN);
    }
}

TEST(ip_ihl_beyond_buffer)
{
    /* IHL 15 = 60 bytes of header in a 40-byte datagram. */
    uint8_t p[sizeof(cap_rst)];
    memcpy(p, cap_rst, sizeof(p));
    p[0] = 0x4f;
    ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_IP_HDR_LEN);
    /* And a 20-byte buffer whose header claims 24. */
    p[0] = 0x46;
    ASSERT_EQ(parse_edited(p, 20), SYNACK_DROP_IP_HDR_LEN);
}

TEST(ip_total_length_below_header)
{
    uint8_t p[sizeof(cap_rst)];
    memcpy(p, cap_rst, sizeof(p));
    wire_put16(p + 2, 19);
    fix_ip_csum(p);
    ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_IP_TOTAL_LEN);
}

TEST(ip_total_length_beyond_buffer)
{
    uint8_t p[sizeof(cap_rst)];
    memcpy(p, cap_rst, sizeof(p));
    wire_put16(p + 2, 41);
    fix_ip_csum(p);
    ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_IP_TRUNCATED);
}

TEST(ip_total_length_shorter_than_buffer_cuts_segment)
{
    /* total length 20 in a 40-byte buffer: the IPv4 payload is empty, so TCP is short. */
    uint8_t p[sizeof(cap_rst)];
    memcpy(p, cap_rst, sizeof(p));
    wire_put16(p + 2, 20);
    fix_ip_csum(p);
    ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_TCP_TRUNCATED);
}

TEST(ip_bad_checksum)
{
    for (size_t byte = 0; byte < 20; byte++) {
        if (byte == 0 || byte == 2 || byte == 3) continue; /* length checks come first */
        uint8_t p[sizeof(cap_syn)];
        memcpy(p, cap_syn, sizeof(p));
        p[byte] ^= 0x10;
        ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_IP_CHECKSUM);
    }
}

TEST(ip_fragments_refused)
{
    const uint16_t frags[] = {0x2000 /* MF, first fragment */, 0x0001 /* offset 8 */, 0x2005,
                              0x1fff, 0x6000 /* DF + MF */};
    for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
        uint8_t p[sizeof(cap_syn)];
        memcpy(p, cap_syn, sizeof(p));
        wire_put16(p + 6, frags[i]);
        fix_ip_csum(p);
        ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_IP_FRAGMENT);
    }
    /* DF alone, or no flags at all, is a whole datagram. */
    uint8_t p[sizeof(cap_syn)];
    memcpy(p, cap_syn, sizeof(p));
    wire_put16(p + 6, 0);
    fix_ip_csum(p);
    ASSERT_EQ(parse_edited(p, sizeof(p)), 0);
}

TEST(ip_options_skipped)
{
    /* The RST with a 4-byte IPv4 option (NOP NOP NOP EOL) inserted: IHL 6. */
    uint8_t p[sizeof(cap_rst) + 4];
    memcpy(p, cap_rst, 20);
    memcpy(p + 20, "\x01\x01\x01\x00", 4);
    memcpy(p + 24, cap_rst + 20, sizeof(cap_rst) - 20);
    p[0] = 0x46;
    wire_put16(p + 2, (uint16_t)sizeof(p));
    fix_ip_csum(p);
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(p, sizeof(p), true, &s), 0);
    ASSERT_EQ(s.ip.hdr_len, 24);
    ASSERT_EQ(s.ip.total_len, 44);
    ASSERT_EQ(s.tcp.sport, 5556);
    ASSERT_EQ(s.tcp.ack, 2615494350u);
}

TEST(ip_not_tcp)
{
    uint8_t p[sizeof(cap_rst)];
    memcpy(p, cap_rst, sizeof(p));
    p[9] = 17;
    fix_ip_csum(p);
    ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_IP_PROTO);
    struct synack_ipv4_hdr ip;
    const uint8_t *pl;
    size_t pn;
    ASSERT_EQ(wire_ipv4_parse(p, sizeof(p), &ip, &pl, &pn), 0);
    ASSERT_EQ(ip.proto, 17);
    ASSERT(pl == p + 20);
    ASSERT_EQ(pn, 20);
}

TEST(ip_emit_round_trip)
{
    struct synack_ipv4_hdr h = {.tos = 0x10,
                                .ttl = 3,
                                .proto = 1,
                                .id = 0xbeef,
                                .frag = 0x4000,
                                .src = 0xc0a80001u,
                                .dst = 0x08080808u};
    uint8_t buf[20 + 100];
    memset(buf, 0, sizeof(buf));
    ASSERT_EQ(wire_ipv4_emit(buf, 19, &h, 100), 0);
    ASSERT_EQ(wire_ipv4_emit(buf, sizeof(buf), &h, 65535 - 19), 0);
    ASSERT_EQ(wire_ipv4_emit(buf, sizeof(buf), &h, 100), 20);
    struct synack_ipv4_hdr o;
    const uint8_t *pl;
    size_t pn;
    ASSERT_EQ(wire_ipv4_parse(buf, sizeof(buf), &o, &pl, &pn), 0);
    ASSERT_EQ(o.hdr_len, 20);
    ASSERT_EQ(o.total_len, 120);
    ASSERT_EQ(o.tos, 0x10);
    ASSERT_EQ(o.ttl, 3);
    ASSERT_EQ(o.proto, 1);
    ASSERT_EQ(o.id, 0xbeef);
    ASSERT_EQ(o.frag, 0x4000);
    ASSERT_EQ(o.src, 0xc0a80001u);
    ASSERT_EQ(o.dst, 0x08080808u);
    ASSERT_EQ(pn, 100);
}

/* ---- TCP header (RFC 9293 §3.1) ---------------------------------------------------------- */

TEST(tcp_data_offset_below_five)
{
    for (uint8_t off = 0; off < 5; off++) {
        uint8_t p[sizeof(cap_rst)];
        memcpy(p, cap_rst, sizeof(p));
        p[20 + 12] = (uint8_t)(off << 4);
        fix_tcp_csum(p);
        ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_TCP_HDR_LEN);
    }
}

TEST(tcp_data_offset_beyond_segment)
{
    /* The SYN's segment is 40 bytes; a data offset of 11 words (44 bytes) or 15 overruns. */
    for (uint8_t off = 11; off <= 15; off++) {
        uint8_t p[sizeof(cap_syn)];
        memcpy(p, cap_syn, sizeof(p));
        p[20 + 12] = (uint8_t)(off << 4);
        fix_tcp_csum(p);
        ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_TCP_HDR_LEN);
    }
}

TEST(tcp_bad_checksum)
{
    /* Every single-bit flip of the data segment is caught, header and payload alike. */
    for (size_t byte = 20; byte < sizeof(cap_data); byte++) {
        uint8_t p[sizeof(cap_data)];
        memcpy(p, cap_data, sizeof(p));
        p[byte] ^= 0x01;
        ASSERT_EQ(parse_edited(p, sizeof(p)), SYNACK_DROP_TCP_CHECKSUM);
        struct synack_segment s;
        /* Without verify, only a flip that breaks an option is noticed. */
        ASSERT_NE(wire_segment_parse(p, sizeof(p), false, &s), SYNACK_DROP_TCP_CHECKSUM);
    }
}

TEST(tcp_checksum_covers_pseudo_header)
{
    /* The same segment claimed to come from another address fails (RFC 9293 §3.1). */
    const uint8_t *seg = cap_data + 20;
    size_t n = sizeof(cap_data) - 20;
    struct synack_tcp_hdr h;
    const uint8_t *pl;
    size_t pn;
    ASSERT_EQ(wire_tcp_parse(seg, n, CLIENT, SERVER, true, &h, &pl, &pn), 0);
    ASSERT_EQ(wire_tcp_parse(seg, n, CLIENT + 1, SERVER, true, &h, &pl, &pn),
              SYNACK_DROP_TCP_CHECKSUM);
    ASSERT_EQ(wire_tcp_parse(seg, n, SERVER, CLIENT, true, &h, &pl, &pn), 0); /* swap: same sum */
    ASSERT_EQ(wire_tcp_parse(seg, n, CLIENT, SERVER + 1, false, &h, &pl, &pn), 0);
    ASSERT_EQ(pn, 14);
}

TEST(tcp_nine_flag_bits)
{
    struct synack_ipv4_hdr ip = {.ttl = 64, .src = CLIENT, .dst = SERVER};
    for (uint16_t flags = 0; flags <= 0x1ff; flags++) {
        struct synack_tcp_hdr t = {.sport = 1, .dport = 2, .flags = flags, .window = 1};
        uint8_t buf[64];
        size_t n = wire_segment_emit(buf, sizeof(buf), &ip, &t, NULL, 0);
        ASSERT_EQ(n, 40);
        ASSERT_EQ(buf[20 + 12], 0x50 | (flags >> 8));
        ASSERT_EQ(buf[20 + 13], flags & 0xff);
        struct synack_segment s;
        ASSERT_EQ(wire_segment_parse(buf, n, true, &s), 0);
        ASSERT_EQ(s.tcp.flags, flags);
    }
    /* The three reserved bits of byte 12 are not flags. */
    uint8_t p[sizeof(cap_rst)];
    memcpy(p, cap_rst, sizeof(p));
    p[20 + 12] |= 0x0f;
    fix_tcp_csum(p);
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(p, sizeof(p), true, &s), 0);
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_AE | SYNACK_TCP_RST | SYNACK_TCP_ACK);
}

TEST(tcp_emit_cap_too_small)
{
    struct synack_ipv4_hdr ip = {.ttl = 64, .src = CLIENT, .dst = SERVER};
    struct synack_tcp_hdr t = {.sport = 1, .dport = 2, .flags = SYNACK_TCP_ACK};
    t.opts.has_ts = true;
    const uint8_t payload[5] = "abcde";
    size_t full = 20 + 20 + 12 + 5;
    for (size_t cap = 0; cap < full; cap++) {
        uint8_t *b = malloc(cap ? cap : 1);
        ASSERT(b);
        size_t n = wire_segment_emit(b, cap, &ip, &t, payload, 5);
        free(b);
        ASSERT_EQ(n, 0);
    }
    uint8_t *b = malloc(full);
    ASSERT(b);
    size_t n = wire_segment_emit(b, full, &ip, &t, payload, 5);
    free(b);
    ASSERT_EQ(n, full);
}

TEST(tcp_emit_too_long_for_ipv4)
{
    static uint8_t buf[70000];
    static uint8_t payload[65536];
    struct synack_ipv4_hdr ip = {.ttl = 64, .src = CLIENT, .dst = SERVER};
    struct synack_tcp_hdr t = {.sport = 1, .dport = 2, .flags = SYNACK_TCP_ACK};
    ASSERT_EQ(wire_segment_emit(buf, sizeof(buf), &ip, &t, payload, 65535 - 40), 65535);
    ASSERT_EQ(wire_segment_emit(buf, sizeof(buf), &ip, &t, payload, 65535 - 39), 0);
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(buf, 65535, true, &s), 0);
    ASSERT_EQ(s.payload_len, 65535 - 40);
}

TEST(tcp_emit_payload_in_place)
{
    /* The payload may already sit where it belongs in buf. */
    struct synack_ipv4_hdr ip = {.ttl = 64, .src = CLIENT, .dst = SERVER};
    struct synack_tcp_hdr t = {.sport = 1, .dport = 2, .flags = SYNACK_TCP_ACK};
    t.opts.has_ts = true;
    uint8_t buf[128];
    memcpy(buf + 52, "in place", 8);
    ASSERT_EQ(wire_segment_emit(buf, sizeof(buf), &ip, &t, buf + 52, 8), 60);
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(buf, 60, true, &s), 0);
    ASSERT_MEM_EQ(s.payload, "in place", 8);
}

/* ---- TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018) ------------------------------------- */

/* Malformed options keep the segment (Linux's tcp_parse_options; RFC 9293 MUST-7 leaves
 * the procedure open). Each case: the bytes, and whether an MSS of 1460 placed before the
 * bad option and a TS placed after it are still reported. */
struct bad_opt {
    const char *what;
    uint8_t bytes[20];
    size_t len;    /* a multiple of 4 */
    bool ts_after; /* parsing went on past the bad option */
};

/* A known option with a wrong length (but one that is >= 2 and fits): that option is
 * ignored, skipped by its length, and the rest is read. */
TEST(tcp_option_wrong_length_of_known_option_is_ignored)
{
    const struct bad_opt bad[] = {
        {"MSS len 3", {2, 4, 5, 0xb4, 2, 3, 5, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 20, true},
        {"WS len 2", {2, 4, 5, 0xb4, 1, 1, 3, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 20, true},
        {"WS len 4", {2, 4, 5, 0xb4, 3, 4, 7, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 20, true},
        {"SACK-permitted len 4",
         {2, 4, 5, 0xb4, 4, 4, 0, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2},
         20,
         true},
        {"SACK len 2 (no block)",
         {2, 4, 5, 0xb4, 1, 1, 5, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2},
         20,
         true},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct synack_segment s;
        int r = parse_with_opts(bad[i].bytes, bad[i].len, &s);
        if (r != 0) fprintf(stderr, "    %s: %d\n", bad[i].what, r);
        ASSERT_EQ(r, 0);
        ASSERT(s.tcp.opts.has_mss);
        ASSERT_EQ(s.tcp.opts.mss, 1460);
        ASSERT(!s.tcp.opts.has_wscale);
        ASSERT(!s.tcp.opts.sack_permitted);
        ASSERT_EQ(s.tcp.opts.sack_count, 0);
        ASSERT(s.tcp.opts.has_ts);
        ASSERT_EQ(s.tcp.opts.ts_val, 1);
        ASSERT_EQ(s.tcp.opts.ts_ecr, 2);
    }
    /* A wrong-length MSS, TS or SACK alone: not reported, the segment parses. */
    const struct bad_opt alone[] = {
        {"MSS len 5", {2, 5, 5, 0xb4, 0, 1, 1, 1}, 8, false},
        {"TS len 9", {1, 1, 8, 9, 0, 0, 0, 1, 0, 0, 0, 0}, 12, false},
        {"TS len 11", {8, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1}, 12, false},
        {"SACK len 11", {1, 5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0}, 12, false},
    };
    for (size_t i = 0; i < sizeof(alone) / sizeof(alone[0]); i++) {
        struct synack_segment s;
        int r = parse_with_opts(alone[i].bytes, alone[i].len, &s);
        if (r != 0) fprintf(stderr, "    %s: %d\n", alone[i].what, r);
        ASSERT_EQ(r, 0);
        ASSERT(!s.tcp.opts.has_mss && !s.tcp.opts.has_ts && s.tcp.opts.sack_count == 0);
    }
}

/* A length byte of 0 or 1 (which would loop or step backwards), a length past the end of
 * the options, or no room for the length byte: parsing stops there; what was read before
 * is kept, and so is the segment. */
TEST(tcp_option_bad_length_byte_or_truncated_stops_parsing)
{
    const struct bad_opt bad[] = {
        {"unknown len 0", {2, 4, 5, 0xb4, 30, 0, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 20, false},
        {"unknown len 1", {2, 4, 5, 0xb4, 30, 1, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 20, false},
        {"TS len 0", {2, 4, 5, 0xb4, 8, 0, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 20, false},
        {"MSS len 1", {2, 4, 5, 0xb4, 2, 1, 1, 1}, 8, false},
        {"TS past the end", {2, 4, 5, 0xb4, 1, 1, 8, 10}, 8, false},
        {"unknown past the end", {2, 4, 5, 0xb4, 30, 6, 0, 0}, 8, false},
        {"SACK past the end", {2, 4, 5, 0xb4, 1, 1, 5, 10, 0, 0, 0, 1}, 12, false},
        {"length byte missing", {2, 4, 5, 0xb4, 1, 1, 1, 30}, 8, false},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct synack_segment s;
        int r = parse_with_opts(bad[i].bytes, bad[i].len, &s);
        if (r != 0) fprintf(stderr, "    %s: %d\n", bad[i].what, r);
        ASSERT_EQ(r, 0);
        ASSERT(s.tcp.opts.has_mss);
        ASSERT_EQ(s.tcp.opts.mss, 1460);
        ASSERT(!s.tcp.opts.has_ts);
        ASSERT_EQ(s.tcp.opts.sack_count, 0);
        /* The options parser alone, from a buffer of exactly that length. */
        uint8_t *d = dup_exact(bad[i].bytes, bad[i].len);
        struct synack_tcp_opts o;
        r = wire_tcp_parse_opts(d, bad[i].len, &o);
        free(d);
        ASSERT_EQ(r, 0);
        ASSERT(o.has_mss && !o.has_ts);
    }
}

TEST(tcp_option_unknown_skipped)
{
    /* RFC 1122 §4.2.2.5: an experimental option (kind 254, RFC 6994) of 6 bytes, and a
     * 2-byte kind 99, are skipped by their length; the MSS after them is read. */
    const uint8_t opts[] = {254, 6, 0xf9, 0x89, 0, 0, 99, 2, 2, 4, 0x05, 0xb4};
    struct synack_segment s;
    ASSERT_EQ(parse_with_opts(opts, sizeof(opts), &s), 0);
    ASSERT(s.tcp.opts.has_mss);
    ASSERT_EQ(s.tcp.opts.mss, 1460);
    ASSERT(!s.tcp.opts.has_ts);
    ASSERT_EQ(s.tcp.hdr_len, 32);
}

TEST(tcp_option_eol_ends_options)
{
    /* After EOL the rest is padding, even if it would not parse as options. */
    const uint8_t opts[] = {2, 4, 0x02, 0x18, 0, 2, 0, 30};
    struct synack_segment s;
    ASSERT_EQ(parse_with_opts(opts, sizeof(opts), &s), 0);
    ASSERT(s.tcp.opts.has_mss);
    ASSERT_EQ(s.tcp.opts.mss, 536);
    const uint8_t eol_first[] = {0, 2, 4, 5, 0xb4, 0, 0, 0};
    ASSERT_EQ(parse_with_opts(eol_first, sizeof(eol_first), &s), 0);
    ASSERT(!s.tcp.opts.has_mss);
}

TEST(tcp_option_wscale_above_14_kept)
{
    /* RFC 7323 §2.3: the receiver clamps to 14 (and may log); that is the TCP layer's job. */
    const uint8_t ws[] = {15, 255};
    for (size_t i = 0; i < 2; i++) {
        const uint8_t opts[] = {1, 3, 3, ws[i]};
        struct synack_segment s;
        ASSERT_EQ(parse_with_opts(opts, sizeof(opts), &s), 0);
        ASSERT(s.tcp.opts.has_wscale);
        ASSERT_EQ(s.tcp.opts.wscale, ws[i]);
    }
}

TEST(tcp_option_repeated_last_wins)
{
    const uint8_t opts[] = {2, 4, 0x02, 0x00, 2, 4, 0x05, 0xb4};
    struct synack_segment s;
    ASSERT_EQ(parse_with_opts(opts, sizeof(opts), &s), 0);
    ASSERT_EQ(s.tcp.opts.mss, 1460);
}

TEST(tcp_option_sack_blocks)
{
    /* NOP NOP SACK with 4 blocks: the most the 40 option bytes hold. */
    uint8_t opts[36] = {1, 1, 5, 34};
    for (int b = 0; b < 8; b++) wire_put32(opts + 4 + 4 * b, 1000u * (uint32_t)(b + 1));
    struct synack_segment s;
    ASSERT_EQ(parse_with_opts(opts, sizeof(opts), &s), 0);
    ASSERT_EQ(s.tcp.opts.sack_count, 4);
    for (int b = 0; b < 4; b++) {
        ASSERT_EQ(s.tcp.opts.sack[b].left, 1000u * (uint32_t)(2 * b + 1));
        ASSERT_EQ(s.tcp.opts.sack[b].right, 1000u * (uint32_t)(2 * b + 2));
    }
}

TEST(tcp_option_more_than_four_sack_blocks_keeps_first_four)
{
    /* Only possible from a block longer than a TCP header allows: 5 blocks, 42 bytes. */
    uint8_t opts[42] = {5, 42};
    for (int w = 0; w < 10; w++) wire_put32(opts + 2 + 4 * w, (uint32_t)(w + 1));
    uint8_t *d = dup_exact(opts, sizeof(opts));
    struct synack_tcp_opts o;
    int r = wire_tcp_parse_opts(d, sizeof(opts), &o);
    free(d);
    ASSERT_EQ(r, 0);
    ASSERT_EQ(o.sack_count, 4);
    ASSERT_EQ(o.sack[0].left, 1);
    ASSERT_EQ(o.sack[3].right, 8);
}

TEST(tcp_option_empty_and_nops)
{
    struct synack_tcp_opts o;
    ASSERT_EQ(wire_tcp_parse_opts(NULL, 0, &o), 0);
    ASSERT(!o.has_mss && !o.has_ts && !o.has_wscale && !o.sack_permitted && !o.sack_count);
    const uint8_t nops[] = {1, 1, 1, 1, 1, 1, 1, 1};
    ASSERT_EQ(wire_tcp_parse_opts(nops, sizeof(nops), &o), 0);
    ASSERT(!o.has_mss && !o.has_ts);
}

/* Every combination of MSS, WS, SACK-permitted, TS and 0..4 SACK blocks, with payloads of
 * 0, 1 (odd: checksum padding) and 1000 bytes: emitted, parsed with verify, compared. */
TEST(tcp_option_round_trip_every_combination)
{
    static uint8_t payload[1000];
    for (size_t i = 0; i < sizeof(payload); i++) payload[i] = (uint8_t)(i ^ 0x5a);
    const size_t plens[] = {0, 1, 1000};
    int combos = 0;
    for (unsigned mask = 0; mask < 16; mask++) {
        for (uint8_t nsack = 0; nsack <= SYNACK_TCP_MAX_SACK; nsack++) {
            for (size_t pi = 0; pi < 3; pi++) {
                struct synack_tcp_hdr t;
                memset(&t, 0, sizeof(t));
                t.sport = 49152;
                t.dport = 80;
                t.seq = 0xfffffff0u;
                t.ack = 0x12345678u;
                t.flags = SYNACK_TCP_ACK | (mask & 1 ? SYNACK_TCP_SYN : 0);
                t.window = 0xffff;
                t.urg = 0;
                t.opts.has_mss = mask & 1;
                t.opts.mss = 1460;
                t.opts.has_wscale = (mask & 2) != 0;
                t.opts.wscale = 7;
                t.opts.sack_permitted = (mask & 4) != 0;
                t.opts.has_ts = (mask & 8) != 0;
                t.opts.ts_val = 0xdeadbeefu;
                t.opts.ts_ecr = 0x01020304u;
                t.opts.sack_count = nsack;
                for (uint32_t b = 0; b < SYNACK_TCP_MAX_SACK; b++) {
                    t.opts.sack[b].left = 100000u * (b + 1);
                    t.opts.sack[b].right = 100000u * (b + 1) + 1448;
                }
                /* What fits after the other options in 40 bytes (RFC 2018 §3). */
                size_t base = (t.opts.has_mss ? 4 : 0) + (t.opts.has_wscale ? 4 : 0) +
                              (t.opts.has_ts           ? 12
                               : t.opts.sack_permitted ? 4
                                                       : 0);
                size_t fit = nsack;
                while (fit > 0 && base + 4 + 8 * fit > 40) fit--;
                size_t olen = base + (fit ? 4 + 8 * fit : 0);
                ASSERT_EQ(wire_tcp_opts_len(&t.opts), olen);

                struct synack_ipv4_hdr ip = {.tos = 0,
                                             .ttl = 64,
                                             .id = (uint16_t)combos,
                                             .frag = 0x4000,
                                             .src = CLIENT,
                                             .dst = SERVER};
                uint8_t buf[20 + 60 + 1000];
                size_t n = wire_segment_emit(buf, sizeof(buf), &ip, &t, payload, plens[pi]);
                ASSERT_EQ(n, 20 + 20 + olen + plens[pi]);
                ASSERT_EQ((buf[20 + 12] >> 4) * 4, 20 + olen);
                uint8_t *d = dup_exact(buf, n);
                struct synack_segment s;
                int r = wire_segment_parse(d, n, true, &s);
                if (r)
                    fprintf(stderr, "    mask %u sack %u plen %zu: %d\n", mask, nsack, plens[pi],
                            r);
                ASSERT_EQ(r, 0);
                ASSERT_EQ(s.ip.id, (uint16_t)combos);
                ASSERT_EQ(s.tcp.sport, 49152);
                ASSERT_EQ(s.tcp.dport, 80);
                ASSERT_EQ(s.tcp.seq, 0xfffffff0u);
                ASSERT_EQ(s.tcp.ack, 0x12345678u);
                ASSERT_EQ(s.tcp.flags, t.flags);
                ASSERT_EQ(s.tcp.window, 0xffff);
                ASSERT_EQ(s.tcp.hdr_len, 20 + olen);
                ASSERT_EQ(s.tcp.opts.has_mss, t.opts.has_mss);
                ASSERT_EQ(s.tcp.opts.mss, t.opts.has_mss ? 1460 : 0);
                ASSERT_EQ(s.tcp.opts.has_wscale, t.opts.has_wscale);
                ASSERT_EQ(s.tcp.opts.wscale, t.opts.has_wscale ? 7 : 0);
                ASSERT_EQ(s.tcp.opts.sack_permitted, t.opts.sack_permitted);
                ASSERT_EQ(s.tcp.opts.has_ts, t.opts.has_ts);
                ASSERT_EQ(s.tcp.opts.ts_val, t.opts.has_ts ? 0xdeadbeefu : 0);
                ASSERT_EQ(s.tcp.opts.ts_ecr, t.opts.has_ts ? 0x01020304u : 0);
                ASSERT_EQ(s.tcp.opts.sack_count, fit);
                for (size_t b = 0; b < fit; b++) {
                    ASSERT_EQ(s.tcp.opts.sack[b].left, t.opts.sack[b].left);
                    ASSERT_EQ(s.tcp.opts.sack[b].right, t.opts.sack[b].right);
                }
                ASSERT_EQ(s.payload_len, plens[pi]);
                if (plens[pi]) ASSERT_MEM_EQ(s.payload, payload, plens[pi]);
                free(d);
                combos++;
            }
        }
    }
    ASSERT_EQ(combos, 16 * 5 * 3);
}

TEST(tcp_option_sack_blocks_dropped_from_the_end)
{
    /* TS (12) + WS (4) leave 24 bytes: NOP NOP SACK with 2 blocks (20); blocks 3 and 4 go. */
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof(o));
    o.has_ts = o.has_wscale = true;
    o.sack_count = 4;
    for (uint32_t b = 0; b < 4; b++) o.sack[b].left = o.sack[b].right = b + 1;
    ASSERT_EQ(wire_tcp_opts_len(&o), 12 + 20 + 4);
    uint8_t buf[40];
    ASSERT_EQ(wire_tcp_emit_opts(buf, sizeof(buf), &o), 36);
    struct synack_tcp_opts back;
    ASSERT_EQ(wire_tcp_parse_opts(buf, 36, &back), 0);
    ASSERT_EQ(back.sack_count, 2);
    ASSERT_EQ(back.sack[0].left, 1);
    ASSERT_EQ(back.sack[1].left, 2);
    /* TS alone leaves room for 3 (Linux's usual most), nothing else for 4. */
    o.has_wscale = false;
    ASSERT_EQ(wire_tcp_opts_len(&o), 12 + 28);
    o.has_ts = false;
    ASSERT_EQ(wire_tcp_opts_len(&o), 36);
    /* A count above the maximum is treated as the maximum, never read past sack[]. */
    o.sack_count = 200;
    ASSERT_EQ(wire_tcp_opts_len(&o), 36);
    ASSERT_EQ(wire_tcp_emit_opts(buf, sizeof(buf), &o), 36);
    ASSERT_EQ(wire_tcp_emit_opts(buf, 35, &o), 0);
}

TEST(tcp_option_syn_layout_is_linux)
{
    /* MSS, SACK_PERM, TS, NOP, WS: the bytes of the captured SYN's options. */
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof(o));
    o.has_mss = o.sack_permitted = o.has_ts = o.has_wscale = true;
    o.mss = 1460;
    o.ts_val = 222637894u;
    o.wscale = 10;
    uint8_t buf[40];
    ASSERT_EQ(wire_tcp_emit_opts(buf, sizeof(buf), &o), 20);
    ASSERT_MEM_EQ(buf, cap_syn + 40, 20);
}

/* ---- ICMP (RFC 792) ---------------------------------------------------------------------- */

TEST(icmp_echo_round_trip)
{
    const uint8_t data[] = "synack ping"; /* 12 bytes with the NUL; also try odd 11 */
    for (size_t dl = 11; dl <= 12; dl++) {
        uint8_t buf[64];
        size_t n =
            wire_icmp_emit_echo(buf, sizeof(buf), SYNACK_ICMP_ECHO_REQUEST, 0x1234, 7, data, dl);
        ASSERT_EQ(n, 8 + dl);
        uint8_t *d = dup_exact(buf, n);
        struct synack_icmp ic;
        ASSERT_EQ(wire_icmp_parse(d, n, &ic), 0);
        ASSERT_EQ(ic.type, SYNACK_ICMP_ECHO_REQUEST);
        ASSERT_EQ(ic.code, 0);
        ASSERT_EQ(ic.id, 0x1234);
        ASSERT_EQ(ic.seq, 7);
        ASSERT_EQ(ic.data_len, dl);
        ASSERT_MEM_EQ(ic.data, data, dl);
        ASSERT(!ic.has_quote);
        /* The reply, built from the request's own bytes in place (RFC 792: "the data
         * received in the echo message must be returned"). */
        n = wire_icmp_emit_echo(d, n, SYNACK_ICMP_ECHO_REPLY, ic.id, ic.seq, d + 8, dl);
        ASSERT_EQ(n, 8 + dl);
        ASSERT_EQ(wire_icmp_parse(d, n, &ic), 0);
        ASSERT_EQ(ic.type, SYNACK_ICMP_ECHO_REPLY);
        ASSERT_MEM_EQ(ic.data, data, dl);
        free(d);
        ASSERT_EQ(wire_icmp_emit_echo(buf, 8 + dl - 1, 8, 1, 1, data, dl), 0);
    }
}

TEST(icmp_truncated_and_bad_checksum)
{
    uint8_t buf[32];
    size_t n = wire_icmp_emit_echo(buf, sizeof(buf), 8, 1, 2, (const uint8_t *)"abcd", 4);
    struct synack_icmp ic;
    for (size_t len = 0; len < 8; len++) {
        uint8_t *d = dup_exact(buf, len);
        int r = wire_icmp_parse(d, len, &ic);
        free(d);
        ASSERT_EQ(r, SYNACK_DROP_ICMP_TRUNCATED);
    }
    for (size_t byte = 0; byte < n; byte++) {
        uint8_t p[32];
        memcpy(p, buf, n);
        p[byte] ^= 0x80;
        ASSERT_EQ(wire_icmp_parse(p, n, &ic), SYNACK_DROP_ICMP_CHECKSUM);
    }
}

TEST(icmp_port_unreachable_quotes_tcp)
{
    /* As a router or host would answer our SYN: type 3 code 3, quoting its IPv4 header and
     * the first 8 bytes of TCP (RFC 1122 §3.2.2). */
    uint8_t buf[128];
    size_t n =
        wire_icmp_emit_error(buf, sizeof(buf), SYNACK_ICMP_UNREACH, 3, 0, cap_syn, sizeof(cap_syn));
    ASSERT_EQ(n, 8 + 28);
    ASSERT_MEM_EQ(buf + 8, cap_syn, 28);
    uint8_t *d = dup_exact(buf, n);
    struct synack_icmp ic;
    ASSERT_EQ(wire_icmp_parse(d, n, &ic), 0);
    ASSERT_EQ(ic.type, SYNACK_ICMP_UNREACH);
    ASSERT_EQ(ic.code, 3);
    ASSERT_EQ(ic.mtu, 0);
    ASSERT_EQ(ic.data_len, 28);
    ASSERT(ic.has_quote);
    ASSERT_EQ(ic.quote_ip.proto, SYNACK_IPPROTO_TCP);
    ASSERT_EQ(ic.quote_ip.src, CLIENT);
    ASSERT_EQ(ic.quote_ip.dst, SERVER);
    ASSERT_EQ(ic.quote_ip.total_len, 60); /* as stated, though only 28 are quoted */
    ASSERT_EQ(ic.quote_ip.id, 24153);
    ASSERT_EQ(ic.quote_sport, 46456);
    ASSERT_EQ(ic.quote_dport, 5555);
    ASSERT_EQ(ic.quote_seq, 3550100174u);
    free(d);
}

TEST(icmp_frag_needed_carries_mtu)
{
    uint8_t buf[128];
    size_t n = wire_icmp_emit_error(buf, sizeof(buf), SYNACK_ICMP_UNREACH, 4, 1280, cap_data,
                                    sizeof(cap_data));
    struct synack_icmp ic;
    ASSERT_EQ(wire_icmp_parse(buf, n, &ic), 0);
    ASSERT_EQ(ic.mtu, 1280);
    ASSERT(ic.has_quote);
    ASSERT_EQ(ic.quote_seq, 3550100175u);
}

TEST(icmp_time_exceeded_quotes_tcp)
{
    uint8_t buf[128];
    size_t n = wire_icmp_emit_error(buf, sizeof(buf), SYNACK_ICMP_TIME_EXCEEDED, 0, 0, cap_synack,
                                    sizeof(cap_synack));
    struct synack_icmp ic;
    ASSERT_EQ(wire_icmp_parse(buf, n, &ic), 0);
    ASSERT(ic.has_quote);
    ASSERT_EQ(ic.quote_sport, 5555);
    ASSERT_EQ(ic.quote_dport, 46456);
    ASSERT_EQ(ic.quote_seq, 2837807437u);
}

TEST(icmp_short_quote)
{
    /* Quotes of 0..27 bytes: the message is valid, but carries no usable quote. From 20
     * bytes on the quoted IPv4 header itself is still read. */
    for (size_t q = 0; q < 28; q++) {
        uint8_t buf[64];
        size_t n = wire_icmp_emit_error(buf, sizeof(buf), SYNACK_ICMP_UNREACH, 3, 0, cap_syn, q);
        ASSERT_EQ(n, 8 + q);
        uint8_t *d = dup_exact(buf, n);
        struct synack_icmp ic;
        int r = wire_icmp_parse(d, n, &ic);
        free(d);
        ASSERT_EQ(r, 0);
        ASSERT(!ic.has_quote);
        ASSERT_EQ(ic.quote_sport, 0);
        ASSERT_EQ(ic.quote_ip.src, q >= 20 ? CLIENT : 0);
    }
    /* A quote that is not IPv4, or whose IHL runs past the quote, is no quote. */
    uint8_t bad[28];
    memcpy(bad, cap_syn, 28);
    bad[0] = 0x60;
    uint8_t buf[64];
    struct synack_icmp ic;
    size_t n = wire_icmp_emit_error(buf, sizeof(buf), 3, 3, 0, bad, sizeof(bad));
    ASSERT_EQ(wire_icmp_parse(buf, n, &ic), 0);
    ASSERT(!ic.has_quote);
    bad[0] = 0x48; /* 32-byte header: emits all 28, parser sees IHL past the quote */
    n = wire_icmp_emit_error(buf, sizeof(buf), 3, 3, 0, bad, sizeof(bad));
    ASSERT_EQ(n, 8 + 28);
    ASSERT_EQ(wire_icmp_parse(buf, n, &ic), 0);
    ASSERT(!ic.has_quote);
    /* A non-first fragment's data is not a TCP header. */
    memcpy(bad, cap_syn, 28);
    wire_put16(bad + 6, 0x0010);
    n = wire_icmp_emit_error(buf, sizeof(buf), 3, 3, 0, bad, sizeof(bad));
    ASSERT_EQ(wire_icmp_parse(buf, n, &ic), 0);
    ASSERT(!ic.has_quote);
    ASSERT_EQ(ic.quote_ip.frag, 0x0010);
}

TEST(icmp_emit_error_quotes_ip_options)
{
    /* A 24-byte header (with options) is quoted whole, plus 8 bytes. */
    uint8_t dgram[60];
    memcpy(dgram, cap_syn, 20);
    memcpy(dgram + 20, "\x01\x01\x01\x00", 4);
    memcpy(dgram + 24, cap_syn + 20, 36);
    dgram[0] = 0x46;
    uint8_t buf[128];
    size_t n = wire_icmp_emit_error(buf, sizeof(buf), 3, 3, 0, dgram, sizeof(dgram));
    ASSERT_EQ(n, 8 + 32);
    struct synack_icmp ic;
    ASSERT_EQ(wire_icmp_parse(buf, n, &ic), 0);
    ASSERT(ic.has_quote);
    ASSERT_EQ(ic.quote_ip.hdr_len, 24);
    ASSERT_EQ(ic.quote_sport, 46456);
    ASSERT_EQ(ic.quote_seq, 3550100174u);
    ASSERT_EQ(wire_icmp_emit_error(buf, 8 + 31, 3, 3, 0, dgram, sizeof(dgram)), 0);
}

TEST(icmp_captured_udp_port_unreachable)
{
    /* Linux quotes the whole offending datagram (up to 576 bytes in all). */
    const uint8_t *icmp = cap_icmp_unreach + 20;
    size_t n = sizeof(cap_icmp_unreach) - 20;
    struct synack_ipv4_hdr ip;
    const uint8_t *pl;
    size_t pn;
    ASSERT_EQ(wire_ipv4_parse(cap_icmp_unreach, sizeof(cap_icmp_unreach), &ip, &pl, &pn), 0);
    ASSERT_EQ(ip.proto, SYNACK_IPPROTO_ICMP);
    ASSERT_EQ(ip.tos, 0xc0);
    ASSERT(pl == icmp);
    ASSERT_EQ(pn, n);
    struct synack_icmp ic;
    ASSERT_EQ(wire_icmp_parse(icmp, n, &ic), 0);
    ASSERT_EQ(ic.type, SYNACK_ICMP_UNREACH);
    ASSERT_EQ(ic.code, 3);
    ASSERT_EQ(ic.checksum, 0x112d);
    ASSERT_EQ(ic.data_len, 30);
    ASSERT(ic.has_quote);
    ASSERT_EQ(ic.quote_ip.proto, 17);
    ASSERT_EQ(ic.quote_ip.id, 65001);
    ASSERT_EQ(ic.quote_ip.src, CLIENT);
    ASSERT_EQ(ic.quote_ip.dst, SERVER);
    ASSERT_EQ(ic.quote_sport, 37369);
    ASSERT_EQ(ic.quote_dport, 5557);
    for (size_t len = 0; len < n; len++) {
        uint8_t *d = dup_exact(icmp, len);
        int r = wire_icmp_parse(d, len, &ic);
        free(d);
        ASSERT_NE(r, 0);
    }
}

/* ---- flag names -------------------------------------------------------------------------- */

TEST(flags_str)
{
    char buf[40];
    ASSERT_STR_EQ(wire_flags_str(0, buf, sizeof(buf)), "none");
    ASSERT_STR_EQ(wire_flags_str(SYNACK_TCP_SYN, buf, sizeof(buf)), "SYN");
    ASSERT_STR_EQ(wire_flags_str(SYNACK_TCP_SYN | SYNACK_TCP_ACK, buf, sizeof(buf)), "SYN,ACK");
    ASSERT_STR_EQ(
        wire_flags_str(SYNACK_TCP_FIN | SYNACK_TCP_PSH | SYNACK_TCP_ACK, buf, sizeof(buf)),
        "FIN,PSH,ACK");
    ASSERT_STR_EQ(wire_flags_str(SYNACK_TCP_RST | SYNACK_TCP_ACK, buf, sizeof(buf)), "RST,ACK");
    ASSERT_STR_EQ(wire_flags_str(0x1ff, buf, sizeof(buf)), "FIN,SYN,RST,PSH,ACK,URG,ECE,CWR,AE");
    ASSERT_STR_EQ(
        wire_flags_str(SYNACK_TCP_SYN | SYNACK_TCP_ECE | SYNACK_TCP_CWR, buf, sizeof(buf)),
        "SYN,ECE,CWR");
    /* Bits above the nine are not flags. */
    ASSERT_STR_EQ(wire_flags_str(0xfe00, buf, sizeof(buf)), "none");
    /* A short buffer truncates and stays terminated. */
    char small[6];
    ASSERT_STR_EQ(wire_flags_str(SYNACK_TCP_SYN | SYNACK_TCP_ACK, small, sizeof(small)), "SYN,A");
    ASSERT(wire_flags_str(SYNACK_TCP_SYN, small, 0) == small);
}

TEST_MAIN()
