/*
 * reqsk_test.c - half-open connections cost little (the security issue): a SYN-RECEIVED
 * entry is a small request record (at most 256 bytes), not a socket; its rings come when
 * the connection is established, and it expires with the SYN-ACK retries (~63 s). The
 * request answers as RFC 9293 §3.10.7.4 says a passive SYN-RECEIVED connection does, and
 * becomes a socket (is promoted) when the handshake's ACK arrives.
 */
#include "tcp_fixture.h"

#define SYN SYNACK_TCP_SYN
#define ACK SYNACK_TCP_ACK
#define RST SYNACK_TCP_RST
#define FIN SYNACK_TCP_FIN
#define PSH SYNACK_TCP_PSH

static struct synack_stats stats_of(const struct tcpf *f)
{
    struct synack_stats s;
    synack_get_stats(f->st, &s);
    return s;
}

/* Sockets in use, counted from the stats (every state). */
static uint32_t sockets_in_use(const struct tcpf *f)
{
    struct synack_stats s = stats_of(f);
    uint32_t n = 0;
    for (int i = 0; i <= SYNACK_TIME_WAIT; i++) n += s.sockets_by_state[i];
    return n - s.half_open;
}

TEST(flood_of_1000_syns_makes_1000_small_requests_and_no_socket)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.max_sockets = 8; /* a thousand half-open connections fit beside 8 sockets */
    f.cfg.max_backlog = 1000;
    f.cfg.max_half_open = 1000;
    tcpf_start(&f);
    f.lport = TCPF_SRV_PORT;
    f.lsd = synack_socket(f.st);
    ASSERT_EQ(synack_bind(f.st, f.lsd, SYNACK_ADDR_ANY, TCPF_SRV_PORT), 0);
    ASSERT_EQ(synack_listen(f.st, f.lsd, 1000), 0);
    for (int i = 0; i < 1000; i++) {
        f.pport = (uint16_t)(10000 + i);
        send_syn(&f, SYN, 7000u * (uint32_t)i, 0);
        ASSERT(recv_seg(&f, f.now, NULL));
        ASSERT_EQ(f.seg.tcp.flags, SYN | ACK);
        ASSERT_EQ(f.seg.tcp.ack, 7000u * (uint32_t)i + 1);
    }
    struct synack_stats s = stats_of(&f);
    ASSERT_EQ(s.syn_cookies_sent, 0); /* every one remembered, none by a cookie */
    ASSERT_EQ(s.half_open, 1000);
    ASSERT_EQ(s.sockets_by_state[SYNACK_SYN_RECEIVED], 1000);
    ASSERT(s.half_open_record > 0 && s.half_open_record <= 256);
    fprintf(stderr, "    a half-open connection costs %u bytes\n", s.half_open_record);
    ASSERT_EQ(s.ring_bytes, 0);
    ASSERT_EQ(sockets_in_use(&f), 1); /* the listener */
    /* All 7 other slots are free for the application. */
    for (int i = 0; i < 7; i++) ASSERT(synack_socket(f.st) >= 0);
    ASSERT_EQ(synack_socket(f.st), SYNACK_EMFILE);
    /* The 1001st SYN finds the queue full: a cookie, and nothing kept. */
    f.pport = 20000;
    send_syn(&f, SYN, 1, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYN | ACK);
    s = stats_of(&f);
    ASSERT_EQ(s.syn_cookies_sent, 1);
    ASSERT_EQ(s.half_open, 1000);
    tcpf_free(&f);
}

TEST(no_free_request_means_a_cookie)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.max_half_open = 2;
    conn_in_listen(&f); /* backlog 8: room in the queue, but only 2 records */
    for (int i = 0; i < 3; i++) {
        f.pport = (uint16_t)(30000 + i);
        send_syn(&f, SYN, 100, 0);
        ASSERT(recv_seg(&f, f.now, NULL));
        ASSERT_EQ(f.seg.tcp.flags, SYN | ACK);
    }
    struct synack_stats s = stats_of(&f);
    ASSERT_EQ(s.half_open, 2);
    ASSERT_EQ(s.syn_cookies_sent, 1);
    tcpf_free(&f);
}

/* The request's descriptor answers synack_getinfo as a SYN-RECEIVED socket would. */
TEST(request_descriptor_reports_syn_received)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_syn_received(&f);
    ASSERT(f.sd >= (int)f.cfg.max_sockets); /* a request, not a socket slot */
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.state, SYNACK_SYN_RECEIVED);
    ASSERT_EQ(synack_addr_to_v4(&in.local.addr), TCPF_LOCAL);
    ASSERT_EQ(in.local.port, TCPF_SRV_PORT);
    ASSERT_EQ(synack_addr_to_v4(&in.remote.addr), TCPF_PEER);
    ASSERT_EQ(in.remote.port, TCPF_PEER_PORT);
    ASSERT_EQ(in.iss, f.iss);
    ASSERT_EQ(in.irs, f.irs);
    ASSERT_EQ(in.snd_una, f.iss);
    ASSERT_EQ(in.snd_nxt, f.iss + 1);
    ASSERT_EQ(in.rcv_nxt, f.irs + 1);
    ASSERT_EQ(in.snd_wnd, TCPF_PEER_WIN);
    ASSERT_EQ(in.rcv_wnd, TCPF_RCVBUF);
    ASSERT_EQ(in.snd_mss, 1460);
    /* Not a socket the user may use. */
    ASSERT_EQ(synack_close(f.st, f.sd, f.now), SYNACK_EBADF);
    ASSERT_EQ(stats_of(&f).half_open, 1);
    ASSERT_EQ(sockets_in_use(&f), 1);
    tcpf_free(&f);
}

TEST(request_expires_after_the_synack_retries)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_syn_received(&f);
    uint64_t t = f.now;
    /* SYN-ACKs again at +1, +3, +7, +15, +31 s (backoff from the 1 s initial RTO). */
    const uint64_t at[] = {1, 3, 7, 15, 31};
    for (int i = 0; i < 5; i++) {
        recv_nothing(&f, t + at[i] * 1000000 - 1);
        EXPECT_SEG_AT(&f, t + at[i] * 1000000, SYN | ACK, f.iss, f.rcv_nxt, 0);
    }
    recv_nothing(&f, t + 63000000 - 1);
    EXPECT_STATE(&f, SYNACK_SYN_RECEIVED);
    recv_nothing(&f, t + 63000000); /* gone, silently */
    ASSERT_EQ(tcpf_find_conn(&f), -1);
    ASSERT_EQ(stats_of(&f).half_open, 0);
    EXPECT_STATE_SD(&f, f.lsd, SYNACK_LISTEN);
    ASSERT_EQ(synack_next_deadline(f.st), UINT64_MAX);
    tcpf_free(&f);
}

TEST(retransmitted_syn_gets_the_synack_again)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_syn_received(&f);
    f.now += 500000;
    send_syn(&f, SYN, f.irs, 0);
    EXPECT_SEG(&f, SYN | ACK, f.iss, f.irs + 1, 0);
    ASSERT(f.seg.tcp.opts.has_mss);
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_SYN_RECEIVED);
    ASSERT_EQ(stats_of(&f).half_open, 1);
    tcpf_free(&f);
}

TEST(handshake_promotes_with_options_and_takes_the_data_of_the_third_segment)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.rcvbuf = 1 << 20; /* window scale 5 */
    conn_in_listen(&f);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1400;
    o.has_wscale = true;
    o.wscale = 7;
    o.sack_permitted = true;
    o.has_ts = true;
    o.ts_val = 5000;
    send_seg(&f, f.now, SYN, f.irs, 0, 1000, NULL, 0, &o);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYN | ACK);
    f.iss = f.seg.tcp.seq;
    ASSERT_EQ(f.seg.tcp.window, 65535); /* min(rcvbuf, 65535), unscaled in a SYN */
    ASSERT(f.seg.tcp.opts.has_mss);
    ASSERT(f.seg.tcp.opts.has_wscale);
    ASSERT_EQ(f.seg.tcp.opts.wscale, 5);
    ASSERT(f.seg.tcp.opts.sack_permitted);
    ASSERT(f.seg.tcp.opts.has_ts);
    ASSERT_EQ(f.seg.tcp.opts.ts_ecr, 5000);
    uint32_t our_ts = f.seg.tcp.opts.ts_val;
    ASSERT_EQ(sockets_in_use(&f), 1);
    /* The third segment carries data. */
    f.now += 10000;
    memset(&o, 0, sizeof o);
    o.has_ts = true;
    o.ts_val = 5010;
    o.ts_ecr = our_ts;
    f.snd_nxt = f.iss + 1;
    f.rcv_nxt = f.irs + 1;
    send_seg(&f, f.now, PSH | ACK, f.rcv_nxt, f.snd_nxt, 1000, (const uint8_t *)"hello", 5, &o);
    ASSERT_EQ(stats_of(&f).half_open, 0);
    ASSERT_EQ(sockets_in_use(&f), 2);
    int c = synack_accept(f.st, f.lsd, NULL);
    ASSERT(c >= 0 && c < (int)f.cfg.max_sockets);
    f.sd = c;
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(in.iss, f.iss);
    ASSERT_EQ(in.irs, f.irs);
    ASSERT_EQ(in.snd_wscale, 7);
    ASSERT_EQ(in.rcv_wscale, 5);
    ASSERT(in.sack_ok);
    ASSERT(in.ts_ok);
    ASSERT_EQ(in.snd_mss, 1400 - 12);
    ASSERT_EQ(in.snd_wnd, 1000u << 7); /* the third segment's window is scaled */
    ASSERT_EQ(in.srtt_us, 10000);      /* the handshake's round trip */
    char b[16];
    ASSERT_EQ(synack_recv(f.st, c, f.now, b, sizeof b), 5);
    ASSERT(memcmp(b, "hello", 5) == 0);
    /* Its ACK (delayed: the buffer starts at 64 KiB of its 1 MiB, auto-tuning, and reading
     * five bytes opens that window too little to say so at once) echoes the peer's
     * timestamp and continues our clock. */
    EXPECT_NOTHING(&f);
    EXPECT_SEG_AT(&f, f.now + 40000, ACK, f.snd_nxt, f.rcv_nxt + 5, 0);
    ASSERT(f.seg.tcp.opts.has_ts);
    ASSERT_EQ(f.seg.tcp.opts.ts_ecr, 5010);
    ASSERT((int32_t)(f.seg.tcp.opts.ts_val - our_ts) >= 10);
    tcpf_free(&f);
}

TEST(rst_at_rcv_nxt_removes_the_request_and_another_draws_a_challenge)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_syn_received(&f);
    send_ctl(&f, RST, f.rcv_nxt + 100, 0);
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0); /* RFC 5961 §3.2 */
    EXPECT_NOTHING(&f);
    ASSERT_EQ(stats_of(&f).half_open, 1);
    send_ctl(&f, RST, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(stats_of(&f).half_open, 0);
    ASSERT_EQ(tcpf_find_conn(&f), -1);
    EXPECT_STATE_SD(&f, f.lsd, SYNACK_LISTEN);
    ASSERT_EQ(synack_next_deadline(f.st), UINT64_MAX);
    tcpf_free(&f);
}

TEST(listener_close_resets_its_requests)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_listen(&f);
    uint32_t iss[2];
    for (int i = 0; i < 2; i++) {
        f.pport = (uint16_t)(TCPF_PEER_PORT + i);
        send_syn(&f, SYN, f.irs + 1000u * (uint32_t)i, 0);
        ASSERT(recv_seg(&f, f.now, NULL));
        iss[i] = f.seg.tcp.seq;
    }
    ASSERT_EQ(stats_of(&f).half_open, 2);
    ASSERT_EQ(synack_close(f.st, f.lsd, f.now), 0);
    for (int i = 0; i < 2; i++) {
        f.pport = (uint16_t)(TCPF_PEER_PORT + i);
        f.iss = iss[i];
        EXPECT_SEG(&f, RST | ACK, iss[i] + 1, f.irs + 1000u * (uint32_t)i + 1, 0);
    }
    EXPECT_NOTHING(&f);
    ASSERT_EQ(stats_of(&f).half_open, 0);
    ASSERT_EQ(synack_next_deadline(f.st), UINT64_MAX);
    tcpf_free(&f);
}

/* The handshake's ACK finds no socket free: as a cookie's ACK without room, a bare ACK is
 * reset (its client must not believe in a connection that does not exist); an ACK with
 * data is dropped and the request kept, so the client's retransmission may find room. */
TEST(promotion_without_a_free_socket)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.max_sockets = 2;
    conn_in_syn_received(&f);
    int other = synack_socket(f.st);
    ASSERT(other >= 0);
    f.now += TCPF_STEP;
    send_data(&f, PSH | ACK, f.rcv_nxt, f.snd_nxt, 10);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(stats_of(&f).half_open, 1);
    EXPECT_STATE(&f, SYNACK_SYN_RECEIVED);
    send_ctl(&f, ACK, f.rcv_nxt, f.snd_nxt);
    EXPECT_SEG(&f, RST, f.snd_nxt, 0, 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(stats_of(&f).half_open, 0);
    ASSERT_EQ(synack_close(f.st, other, f.now), 0);
    tcpf_free(&f);
}

TEST(icmp_error_removes_the_request)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_syn_received(&f);
    /* Port unreachable quoting our SYN-ACK. */
    uint8_t quoted[60];
    struct synack_ipv4_hdr qip = {
        .ttl = 64, .proto = SYNACK_IPPROTO_TCP, .src = TCPF_LOCAL, .dst = TCPF_PEER};
    struct synack_tcp_hdr qh;
    memset(&qh, 0, sizeof qh);
    qh.sport = f.lport;
    qh.dport = f.pport;
    qh.seq = f.iss;
    qh.ack = f.rcv_nxt;
    qh.flags = SYN | ACK;
    size_t qn = wire_segment_emit(quoted, sizeof quoted, &qip, &qh, NULL, 0);
    ASSERT(qn > 0);
    uint8_t icmp[128], pkt[256];
    size_t in = wire_icmp_emit_error(icmp, sizeof icmp, SYNACK_ICMP_UNREACH, 3, 0, quoted, 28);
    ASSERT(in > 0);
    struct synack_ipv4_hdr ip = {
        .ttl = 64, .proto = SYNACK_IPPROTO_ICMP, .src = TCPF_PEER, .dst = TCPF_LOCAL};
    memcpy(pkt + WIRE_IPV4_HDR_LEN, icmp, in);
    size_t n = wire_ipv4_emit(pkt, sizeof pkt, &ip, in) + in;
    synack_input(f.st, f.now, pkt, n);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(stats_of(&f).half_open, 0);
    ASSERT_EQ(tcpf_find_conn(&f), -1);
    tcpf_free(&f);
}

/* A spoofer that knows the SYN it sent could replay it at line rate and have the stack
 * send a SYN-ACK to its victim for each copy: repeated SYNs are answered at most once per
 * oow_ack_interval_us (Linux's tcp_check_req), the retransmission timer aside. */
TEST(repeated_syns_to_a_half_open_entry_are_answered_at_a_bounded_rate)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_syn_received(&f);
    int synacks = 0;
    for (int i = 0; i < 100; i++) {
        f.now += 1000; /* 100 copies in 100 ms */
        send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
        while (recv_seg(&f, f.now, NULL))
            if (f.seg.tcp.flags == (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) synacks++;
    }
    ASSERT_EQ(synacks, 1);
    tcpf_free(&f);
}

TEST_MAIN()
