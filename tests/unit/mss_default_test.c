/*
 * mss_default_test.c - the send MSS assumed when the peer's SYN carries no MSS option,
 * per family: "TCP implementations MUST assume a default send MSS of 536 (576 - 40) for
 * IPv4 or 1220 (1280 - 60) for IPv6" (RFC 9293 §3.7.1, MUST-15). Passive open, active open
 * and a SYN-cookie connection, over IPv6 against a scripted peer; IPv4's 536 beside.
 * (Found by running tests/packetdrill/mss.pkt in packetdrill's ipv6 mode.)
 */
#include "synack/synack.h"
#include "test.h"
#include "wire/wire.h"

#define PEER_PORT 40000
#define PEER_ISS  5000u

struct peer {
    synack_stack *st;
    struct synack_addr us, them;
    uint64_t now;
};

static synack_stack *new_stack(struct peer *p, bool v6, uint32_t max_half_open)
{
    struct synack_config cfg;
    synack_config_default(&cfg);
    cfg.name = "mss";
    cfg.isn_secret_set = true;
    cfg.seed = 11;
    if (max_half_open) cfg.max_half_open = max_half_open;
    if (v6) {
        ASSERT_EQ(synack_addr_parse("fd00::1", &cfg.addr6), 0);
        cfg.prefix6_len = 64;
        ASSERT_EQ(synack_addr_parse("fd00::2", &p->them), 0);
        p->us = cfg.addr6;
    } else {
        cfg.addr = synack_addr_v4(0x0a000001u);
        cfg.prefix_len = 24;
        p->them = synack_addr_v4(0x0a000002u);
        p->us = cfg.addr;
    }
    int err = 0;
    p->st = synack_stack_new(&cfg, &err);
    ASSERT(p->st != NULL);
    p->now = 1000000;
    return p->st;
}

/* One segment from the peer, without any option. */
static void send_plain(struct peer *p, uint16_t sport, uint16_t dport, uint16_t flags, uint32_t seq,
                       uint32_t ack)
{
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = sport;
    h.dport = dport;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    h.window = 65535;
    uint8_t pkt[256];
    size_t n;
    if (p->them.family == SYNACK_AF_INET6) {
        struct synack_ipv6_hdr ip;
        memset(&ip, 0, sizeof ip);
        ip.hop_limit = 64;
        memcpy(ip.src, p->them.bytes, 16);
        memcpy(ip.dst, p->us.bytes, 16);
        n = wire_segment_emit6(pkt, sizeof pkt, &ip, &h, NULL, 0);
    } else {
        struct synack_ipv4_hdr ip;
        memset(&ip, 0, sizeof ip);
        ip.ttl = 64;
        ip.proto = SYNACK_IPPROTO_TCP;
        ip.src = synack_addr_to_v4(&p->them);
        ip.dst = synack_addr_to_v4(&p->us);
        n = wire_segment_emit(pkt, sizeof pkt, &ip, &h, NULL, 0);
    }
    ASSERT(n > 0);
    synack_input(p->st, p->now, pkt, n);
}

/* The next segment the stack sends (false when none). */
static bool recv_one(struct peer *p, struct synack_segment *s, uint8_t *buf, size_t cap)
{
    int n = synack_output(p->st, p->now, buf, cap);
    if (n <= 0) return false;
    ASSERT_EQ(wire_segment_parse(buf, (size_t)n, true, s), 0);
    return true;
}

/* A passive open from a peer whose SYN has no options; the connection's send MSS. */
static uint32_t passive_mss(bool v6)
{
    struct peer p;
    new_stack(&p, v6, 0);
    int l = synack_socket(p.st);
    ASSERT_EQ(synack_bind(p.st, l, SYNACK_ADDR_ANY, 80), 0);
    ASSERT_EQ(synack_listen(p.st, l, 4), 0);
    send_plain(&p, PEER_PORT, 80, SYNACK_TCP_SYN, PEER_ISS, 0);
    struct synack_segment s;
    uint8_t buf[2048];
    ASSERT(recv_one(&p, &s, buf, sizeof buf));
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    send_plain(&p, PEER_PORT, 80, SYNACK_TCP_ACK, PEER_ISS + 1, s.tcp.seq + 1);
    int c = synack_accept(p.st, l, NULL);
    ASSERT(c >= 0);
    struct synack_sockinfo info;
    ASSERT_EQ(synack_getinfo(p.st, c, &info), 0);
    ASSERT_EQ(info.state, SYNACK_ESTABLISHED);
    synack_stack_free(p.st);
    return info.snd_mss;
}

TEST(passive_ipv4_without_mss_option_assumes_536)
{
    ASSERT_EQ(passive_mss(false), 536);
}

TEST(passive_ipv6_without_mss_option_assumes_1220)
{
    ASSERT_EQ(passive_mss(true), 1220);
}

/* Our SYN answered by a SYN-ACK without options. */
TEST(active_ipv6_without_mss_option_assumes_1220)
{
    struct peer p;
    new_stack(&p, true, 0);
    int c = synack_socket(p.st);
    ASSERT_EQ(synack_connect(p.st, c, p.now, p.them, 80), SYNACK_EINPROGRESS);
    struct synack_segment s;
    uint8_t buf[2048];
    ASSERT(recv_one(&p, &s, buf, sizeof buf));
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_SYN);
    send_plain(&p, 80, s.tcp.sport, SYNACK_TCP_SYN | SYNACK_TCP_ACK, PEER_ISS, s.tcp.seq + 1);
    struct synack_sockinfo info;
    ASSERT_EQ(synack_getinfo(p.st, c, &info), 0);
    ASSERT_EQ(info.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(info.snd_mss, 1220);
    synack_stack_free(p.st);
}

/* With no request record free the SYN is answered by a cookie, which keeps the MSS as one
 * of eight values: 1220 is kept as the largest not above it (1200), never as IPv4's 536. */
TEST(cookie_ipv6_without_mss_option_keeps_about_1220)
{
    struct peer p;
    new_stack(&p, true, 1);
    int l = synack_socket(p.st);
    ASSERT_EQ(synack_bind(p.st, l, SYNACK_ADDR_ANY, 80), 0);
    ASSERT_EQ(synack_listen(p.st, l, 4), 0);
    struct synack_segment s;
    uint8_t buf[2048];
    /* The one request record goes to a peer that never completes. */
    send_plain(&p, PEER_PORT + 1, 80, SYNACK_TCP_SYN, PEER_ISS, 0);
    ASSERT(recv_one(&p, &s, buf, sizeof buf));
    send_plain(&p, PEER_PORT, 80, SYNACK_TCP_SYN, PEER_ISS, 0);
    ASSERT(recv_one(&p, &s, buf, sizeof buf));
    ASSERT_EQ(s.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    struct synack_stats st;
    synack_get_stats(p.st, &st);
    ASSERT_EQ(st.syn_cookies_sent, 1);
    send_plain(&p, PEER_PORT, 80, SYNACK_TCP_ACK, PEER_ISS + 1, s.tcp.seq + 1);
    int c = synack_accept(p.st, l, NULL);
    ASSERT(c >= 0);
    struct synack_sockinfo info;
    ASSERT_EQ(synack_getinfo(p.st, c, &info), 0);
    ASSERT_EQ(info.snd_mss, 1200);
    synack_stack_free(p.st);
}

TEST_MAIN()
