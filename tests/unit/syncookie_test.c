/*
 * syncookie_test.c - SYN cookies (RFC 4987 §3.6): a listener whose queue is full of
 * half-open connections (a SYN flood) still lets a real client in, without keeping state
 * for the SYNs it answers; an ACK with a wrong cookie is reset; the cookie carries the MSS.
 */
#include "synack/synack.h"
#include "test.h"
#include "wire/wire.h"

#define US   0x0a000001u
#define PEER 0x0a000002u

struct seg_out {
    struct synack_segment s;
    uint8_t buf[2048];
};

static void send_tcp(synack_stack *st, uint64_t now, uint16_t sport, uint16_t flags, uint32_t seq,
                     uint32_t ack, const char *data, uint16_t mss)
{
    uint8_t pkt[2048];
    struct synack_ipv4_hdr ip = {.ttl = 64, .src = PEER, .dst = US};
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = sport;
    h.dport = 80;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    h.window = 65535;
    if (mss) {
        h.opts.has_mss = true;
        h.opts.mss = mss;
        h.opts.sack_permitted = true;
    }
    size_t dl = data ? strlen(data) : 0;
    size_t n = wire_segment_emit(pkt, sizeof pkt, &ip, &h, (const uint8_t *)data, dl);
    ASSERT(n > 0);
    synack_input(st, now, pkt, n);
}

static bool recv_tcp(synack_stack *st, uint64_t now, struct seg_out *o)
{
    int n = synack_output(st, now, o->buf, sizeof o->buf);
    if (n <= 0) return false;
    ASSERT_EQ(wire_segment_parse(o->buf, (size_t)n, true, &o->s), 0);
    return true;
}

TEST(syn_flood_fills_the_queue_and_a_real_client_still_gets_in)
{
    struct synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = US;
    cfg.isn_secret_set = true;
    cfg.seed = 3;
    int err;
    synack_stack *st = synack_stack_new(&cfg, &err);
    int l = synack_socket(st);
    ASSERT_EQ(synack_bind(st, l, 0, 80), 0);
    ASSERT_EQ(synack_listen(st, l, 4), 0);
    uint64_t now = 1000000;
    struct seg_out o;
    /* The flood: 100 SYNs from forged sources that never answer. */
    for (uint16_t p = 0; p < 100; p++) {
        send_tcp(st, now, (uint16_t)(20000 + p), SYNACK_TCP_SYN, 1000u * p, 0, NULL, 1460);
        ASSERT(recv_tcp(st, now, &o)); /* every SYN is answered ... */
        ASSERT_EQ(o.s.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
        ASSERT_EQ(o.s.tcp.ack, 1000u * p + 1);
    }
    struct synack_stats s;
    synack_get_stats(st, &s);
    /* ... but only 4 are remembered (the backlog); 96 got cookies and cost nothing. */
    ASSERT_EQ(s.sockets_by_state[SYNACK_SYN_RECEIVED], 4);
    ASSERT_EQ(s.syn_cookies_sent, 96);
    /* A real client: its SYN is answered with a cookie carrying its MSS (1400 -> 1400). */
    send_tcp(st, now, 40000, SYNACK_TCP_SYN, 5555, 0, NULL, 1400);
    ASSERT(recv_tcp(st, now, &o));
    ASSERT_EQ(o.s.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT(o.s.tcp.opts.has_mss);
    ASSERT_EQ(o.s.tcp.opts.mss, 1400);
    ASSERT(!o.s.tcp.opts.has_wscale && !o.s.tcp.opts.sack_permitted && !o.s.tcp.opts.has_ts);
    uint32_t cookie = o.s.tcp.seq;
    /* It completes the handshake (with data, 30 s later: still within the cookie's life). */
    now += 30000000;
    send_tcp(st, now, 40000, SYNACK_TCP_ACK | SYNACK_TCP_PSH, 5556, cookie + 1,
             "GET / HTTP/1.1\r\n\r\n", 0);
    struct synack_endpoint peer;
    int c = synack_accept(st, l, &peer);
    ASSERT(c >= 0);
    ASSERT_EQ(peer.port, 40000);
    struct synack_sockinfo si;
    ASSERT_EQ(synack_getinfo(st, c, &si), 0);
    ASSERT_EQ(si.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(si.iss, cookie);
    ASSERT_EQ(si.snd_mss, 1400);
    char buf[64];
    ASSERT_EQ(synack_recv(st, c, now, buf, sizeof buf), 18);
    synack_get_stats(st, &s);
    ASSERT_EQ(s.syn_cookies_accepted, 1);
    /* A forged ACK (a cookie for another port) is reset, as any ACK to a listener. */
    while (recv_tcp(st, now, &o)) {
    }
    send_tcp(st, now, 40001, SYNACK_TCP_ACK, 7777, cookie + 1, NULL, 0);
    ASSERT(recv_tcp(st, now, &o));
    ASSERT_EQ(o.s.tcp.flags, SYNACK_TCP_RST);
    ASSERT_EQ(o.s.tcp.seq, cookie + 1);
    /* And a cookie expires: two time slots (2 x 2^26 us) later it is refused. */
    send_tcp(st, now + 200000000, 40000, SYNACK_TCP_ACK, 5556, cookie + 1, NULL, 0);
    ASSERT(recv_tcp(st, now + 200000000, &o));
    synack_get_stats(st, &s);
    ASSERT_EQ(s.syn_cookies_accepted, 1);
    synack_stack_free(st);
}

TEST_MAIN()
