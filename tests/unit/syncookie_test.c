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
    cfg.addr = synack_addr_v4(US);
    cfg.isn_secret_set = true;
    cfg.seed = 3;
    int err;
    synack_stack *st = synack_stack_new(&cfg, &err);
    int l = synack_socket(st);
    ASSERT_EQ(synack_bind(st, l, SYNACK_ADDR_ANY, 80), 0);
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
    /* The MSS option is ours (the link's 1460): the peer's 1400 rides in the cookie. */
    ASSERT(o.s.tcp.opts.has_mss);
    ASSERT_EQ(o.s.tcp.opts.mss, 1460);
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

/* ---- SYN cookies done fully (the security issue) ------------------------------------------ */

static synack_stack *cookie_stack_n(uint32_t max_sockets, uint32_t max_half_open)
{
    struct synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = synack_addr_v4(US);
    cfg.isn_secret_set = true;
    cfg.seed = 5;
    cfg.rcvbuf = 1 << 20; /* window scale 5 */
    if (max_sockets) cfg.max_sockets = max_sockets;
    if (max_half_open) cfg.max_half_open = max_half_open;
    int err;
    synack_stack *st = synack_stack_new(&cfg, &err);
    ASSERT(st != NULL);
    return st;
}

static synack_stack *cookie_stack(uint32_t max_sockets)
{
    return cookie_stack_n(max_sockets, 0);
}

static int listener(synack_stack *st, int backlog)
{
    int l = synack_socket(st);
    ASSERT_EQ(synack_bind(st, l, SYNACK_ADDR_ANY, 80), 0);
    ASSERT_EQ(synack_listen(st, l, backlog), 0);
    return l;
}

static void send_with(synack_stack *st, uint64_t now, uint16_t sport, uint16_t flags, uint32_t seq,
                      uint32_t ack, const char *data, const struct synack_tcp_opts *o)
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
    h.window = 1000;
    if (o) h.opts = *o;
    size_t dl = data ? strlen(data) : 0;
    size_t n = wire_segment_emit(pkt, sizeof pkt, &ip, &h, (const uint8_t *)data, dl);
    ASSERT(n > 0);
    synack_input(st, now, pkt, n);
}

static void drain(synack_stack *st, uint64_t now)
{
    struct seg_out o;
    while (recv_tcp(st, now, &o)) {
    }
}

/* Overflows a backlog-1 listener: one half-open connection that never answers fills its
 * SYN queue, and the next SYN is answered by a cookie. */
static void overflow(synack_stack *st, uint64_t now)
{
    send_tcp(st, now, 20000, SYNACK_TCP_SYN, 1, 0, NULL, 1460);
    send_tcp(st, now, 20001, SYNACK_TCP_SYN, 1, 0, NULL, 1460);
    drain(st, now);
}

static struct synack_tcp_opts full_syn_opts(uint32_t tsval)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1460;
    o.has_wscale = true;
    o.wscale = 7;
    o.sack_permitted = true;
    o.has_ts = true;
    o.ts_val = tsval;
    return o;
}

TEST(cookie_connection_keeps_window_scale_sack_and_timestamps)
{
    synack_stack *st = cookie_stack(0);
    int l = listener(st, 1);
    uint64_t now = 5000000;
    overflow(st, now);
    struct synack_tcp_opts o = full_syn_opts(777);
    send_with(st, now, 41000, SYNACK_TCP_SYN, 9000, 0, NULL, &o);
    struct seg_out sa;
    ASSERT(recv_tcp(st, now, &sa));
    ASSERT_EQ(sa.s.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    /* The cookie SYN-ACK offers what a normal one does (as Linux encodes it). */
    ASSERT(sa.s.tcp.opts.has_wscale);
    ASSERT(sa.s.tcp.opts.sack_permitted);
    ASSERT(sa.s.tcp.opts.has_ts);
    ASSERT_EQ(sa.s.tcp.opts.ts_ecr, 777u);
    struct synack_stats s;
    synack_get_stats(st, &s);
    ASSERT_EQ(s.syn_cookies_sent, 2); /* the overflow's and this one */
    /* The client's ACK echoes our timestamp: the options come back out of it. */
    now += 20000;
    struct synack_tcp_opts a;
    memset(&a, 0, sizeof a);
    a.has_ts = true;
    a.ts_val = 778;
    a.ts_ecr = sa.s.tcp.opts.ts_val;
    send_with(st, now, 41000, SYNACK_TCP_ACK, 9001, sa.s.tcp.seq + 1, NULL, &a);
    int c = synack_accept(st, l, NULL);
    ASSERT(c >= 0);
    struct synack_sockinfo si;
    ASSERT_EQ(synack_getinfo(st, c, &si), 0);
    ASSERT_EQ(si.state, SYNACK_ESTABLISHED);
    ASSERT(si.sack_ok);
    ASSERT(si.ts_ok);
    ASSERT_EQ(si.snd_wscale, 7);
    ASSERT_EQ(si.rcv_wscale, sa.s.tcp.opts.wscale);
    /* The first data segment's timestamp is not older than the cookie's (the peer's PAWS). */
    ASSERT_EQ(synack_send(st, c, now, "x", 1), 1);
    struct seg_out d;
    ASSERT(recv_tcp(st, now, &d));
    ASSERT(d.s.tcp.opts.has_ts);
    ASSERT((int32_t)(d.s.tcp.opts.ts_val - sa.s.tcp.opts.ts_val) >= 0);
    synack_stack_free(st);
}

TEST(cookie_mss_index_is_inside_the_mac)
{
    synack_stack *st = cookie_stack(0);
    int l = listener(st, 1);
    uint64_t now = 5000000;
    overflow(st, now);
    send_tcp(st, now, 41001, SYNACK_TCP_SYN, 9000, 0, NULL, 536);
    struct seg_out sa;
    ASSERT(recv_tcp(st, now, &sa));
    uint32_t cookie = sa.s.tcp.seq;
    /* The same cookie with another MSS index in its low bits: refused, and reset. */
    for (uint32_t idx = 0; idx < 8; idx++) {
        uint32_t forged = (cookie & ~7u) | idx;
        if (forged == cookie) continue;
        send_tcp(st, now, 41001, SYNACK_TCP_ACK, 9001, forged + 1, NULL, 0);
        struct seg_out r;
        ASSERT(recv_tcp(st, now, &r));
        ASSERT_EQ(r.s.tcp.flags, SYNACK_TCP_RST);
        ASSERT(synack_accept(st, l, NULL) < 0);
    }
    /* The true one works. */
    send_tcp(st, now, 41001, SYNACK_TCP_ACK, 9001, cookie + 1, NULL, 0);
    ASSERT(synack_accept(st, l, NULL) >= 0);
    synack_stack_free(st);
}

TEST(cookie_ack_with_data_and_fin_opens_the_connection)
{
    synack_stack *st = cookie_stack(0);
    int l = listener(st, 1);
    uint64_t now = 5000000;
    overflow(st, now);
    send_tcp(st, now, 41002, SYNACK_TCP_SYN, 9000, 0, NULL, 1460);
    struct seg_out sa;
    ASSERT(recv_tcp(st, now, &sa));
    send_tcp(st, now, 41002, SYNACK_TCP_ACK | SYNACK_TCP_FIN, 9001, sa.s.tcp.seq + 1, "bye", 0);
    int c = synack_accept(st, l, NULL);
    ASSERT(c >= 0);
    char buf[16];
    ASSERT_EQ(synack_recv(st, c, now, buf, sizeof buf), 3);
    ASSERT_EQ(synack_recv(st, c, now, buf, sizeof buf), 0); /* and the FIN */
    struct synack_sockinfo si;
    ASSERT_EQ(synack_getinfo(st, c, &si), 0);
    ASSERT_EQ(si.state, SYNACK_CLOSE_WAIT);
    synack_stack_free(st);
}

TEST(cookies_are_checked_only_after_a_recent_overflow)
{
    synack_stack *st = cookie_stack(0);
    listener(st, 1);
    uint64_t now = 5000000;
    struct synack_stats s;
    /* No overflow yet: an ACK to the listener is reset without checking a cookie. */
    send_tcp(st, now, 41003, SYNACK_TCP_ACK, 1, 12345, NULL, 0);
    drain(st, now);
    synack_get_stats(st, &s);
    ASSERT_EQ(s.syn_cookies_failed, 0);
    /* After an overflow, a bad cookie is checked (and fails). */
    overflow(st, now);
    send_tcp(st, now, 41003, SYNACK_TCP_ACK, 1, 12345, NULL, 0);
    drain(st, now);
    synack_get_stats(st, &s);
    ASSERT_EQ(s.syn_cookies_failed, 1);
    /* Three minutes without an overflow: no check again. */
    now += 180000000;
    send_tcp(st, now, 41003, SYNACK_TCP_ACK, 1, 12345, NULL, 0);
    drain(st, now);
    synack_get_stats(st, &s);
    ASSERT_EQ(s.syn_cookies_failed, 1);
    synack_stack_free(st);
}

TEST(full_socket_table_answers_a_syn_with_a_cookie)
{
    /* Half-open connections hold small request records, not socket slots (tcp/tcp_req.c),
     * so the table that fills up is the records': 3 of them, taken by 3 half-open
     * connections; the 4th SYN finds none. The 4 socket slots hold the listener and 3
     * sockets of the application, so that the cookie's ACK finds no socket either. (Before
     * request records, the 3 half-open children filled the slots themselves.) */
    synack_stack *st = cookie_stack_n(4, 3);
    int l = listener(st, 16);
    int held[3];
    for (int i = 0; i < 3; i++) ASSERT((held[i] = synack_socket(st)) >= 0);
    uint64_t now = 5000000;
    for (uint16_t p = 0; p < 3; p++) {
        send_tcp(st, now, (uint16_t)(30000 + p), SYNACK_TCP_SYN, 100u * p, 0, NULL, 1460);
        drain(st, now);
    }
    send_tcp(st, now, 41004, SYNACK_TCP_SYN, 7000, 0, NULL, 1460);
    struct seg_out sa;
    ASSERT(recv_tcp(st, now, &sa));
    ASSERT_EQ(sa.s.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    struct synack_stats s;
    synack_get_stats(st, &s);
    ASSERT_EQ(s.syn_cookies_sent, 1);
    /* Its pure ACK cannot be given a socket either: the client must not believe in a
     * connection that does not exist, so it is reset at once. */
    send_tcp(st, now, 41004, SYNACK_TCP_ACK, 7001, sa.s.tcp.seq + 1, NULL, 0);
    struct seg_out r;
    ASSERT(recv_tcp(st, now, &r));
    ASSERT_EQ(r.s.tcp.flags, SYNACK_TCP_RST);
    /* An ACK carrying data is dropped silently instead: the client sends the data again,
     * and once a slot is free the same cookie ACK opens the connection. */
    send_tcp(st, now, 41005, SYNACK_TCP_SYN, 8000, 0, NULL, 1460);
    ASSERT(recv_tcp(st, now, &sa));
    send_tcp(st, now, 41005, SYNACK_TCP_ACK | SYNACK_TCP_PSH, 8001, sa.s.tcp.seq + 1, "hi", 0);
    ASSERT(!recv_tcp(st, now, &r));
    /* A slot is free: the application closes a socket (a half-open connection that ends
     * frees a request record, not a slot). */
    ASSERT_EQ(synack_close(st, held[0], now), 0);
    drain(st, now);
    send_tcp(st, now + 1000, 41005, SYNACK_TCP_ACK | SYNACK_TCP_PSH, 8001, sa.s.tcp.seq + 1, "hi",
             0);
    int c = synack_accept(st, l, NULL);
    ASSERT(c >= 0);
    char buf[8];
    ASSERT_EQ(synack_recv(st, c, now, buf, sizeof buf), 2);
    synack_stack_free(st);
}

TEST(half_open_entries_hold_no_rings_and_expire_with_the_syn_ack_retries)
{
    /* A flood of half-open connections costs their slots and nothing more: the rings are
     * set up when the connection is established, and take memory when used; and a
     * half-open entry goes when its
     * SYN-ACK retransmissions run out (synack_retries, 5: about 63 s, as Linux). */
    synack_stack *st = cookie_stack(0);
    int l = listener(st, 64);
    uint64_t now = 5000000;
    for (uint16_t p = 0; p < 50; p++) {
        send_tcp(st, now, (uint16_t)(30000 + p), SYNACK_TCP_SYN, 100u * p, 0, NULL, 1460);
        drain(st, now);
    }
    struct synack_stats s;
    synack_get_stats(st, &s);
    ASSERT_EQ(s.sockets_by_state[SYNACK_SYN_RECEIVED], 50);
    ASSERT_EQ(s.ring_bytes, 0);
    /* One completes: its rings now exist, and take memory once data is queued. */
    struct seg_out sa;
    send_tcp(st, now, 41010, SYNACK_TCP_SYN, 500, 0, NULL, 1460);
    ASSERT(recv_tcp(st, now, &sa));
    ASSERT(sa.s.tcp.window > 0);
    send_tcp(st, now, 41010, SYNACK_TCP_ACK, 501, sa.s.tcp.seq + 1, NULL, 0);
    int c = synack_accept(st, l, NULL);
    ASSERT(c >= 0);
    synack_get_stats(st, &s);
    ASSERT_EQ(s.ring_bytes, 0);
    ASSERT_EQ(synack_send(st, c, now, "x", 1), 1);
    synack_get_stats(st, &s);
    ASSERT(s.ring_bytes > 0);
    drain(st, now);
    /* The others: SYN-ACKs at +1, +3, +7, +15, +31 s, then gone at +63 s. */
    int synacks = 0;
    for (uint64_t t = now; t <= now + 62000000; t += 100000) {
        synack_poll(st, t);
        struct seg_out o;
        while (recv_tcp(st, t, &o))
            if (o.s.tcp.dport == 30000) synacks++;
    }
    ASSERT_EQ(synacks, 5);
    synack_get_stats(st, &s);
    ASSERT_EQ(s.sockets_by_state[SYNACK_SYN_RECEIVED], 50);
    synack_poll(st, now + 64000000);
    drain(st, now + 64000000);
    synack_get_stats(st, &s);
    ASSERT_EQ(s.sockets_by_state[SYNACK_SYN_RECEIVED], 0);
    synack_stack_free(st);
}

TEST_MAIN()
