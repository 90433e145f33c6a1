/*
 * sockopt_test.c - the socket options real programs use, with Linux's semantics: buffer
 * sizes at any time, SO_REUSEADDR's rule, corking (TCP_CORK, MSG_MORE) and record
 * boundaries (MSG_EOR), TCP_NOTSENT_LOWAT, TCP_INQ and the connection's tcp_info, each on
 * the tcp fixture (a scripted peer, an integer clock).
 */
#include "tcp_fixture.h"

#define MS 1000ull

static long getopt_of(struct tcpf *f, int sd, int opt)
{
    long v = -12345;
    ASSERT_EQ(synack_getopt(f->st, sd, opt, &v), 0);
    return v;
}

/* Queues n bytes of a known pattern (byte i of the stream is (off + i) % 251). */
static long send_pattern(struct tcpf *f, uint32_t off, uint32_t n)
{
    static uint8_t buf[1 << 17];
    if (n > sizeof buf) n = sizeof buf;
    for (uint32_t i = 0; i < n; i++) buf[i] = (uint8_t)((off + i) % 251);
    return synack_send(f->st, f->sd, f->now, buf, n);
}

static void expect_pattern(const struct tcpf *f, uint32_t off)
{
    for (uint32_t i = 0; i < f->seg.payload_len; i++) {
        if (f->seg.payload[i] != (uint8_t)((off + i) % 251)) {
            fprintf(stderr, "    byte %u of the segment: %u, expected %u\n", i, f->seg.payload[i],
                    (off + i) % 251);
            test_fail_at(__FILE__, __LINE__);
        }
    }
}

/* ---- SO_SNDBUF / SO_RCVBUF at any time ------------------------------------------------ */

TEST(sndbuf_grows_on_a_live_connection_and_keeps_the_queued_data)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.sndbuf = 16384;
    conn_in_established(&f);
    ASSERT_EQ(send_pattern(&f, 0, 20000), 16384);
    ASSERT_EQ(send_pattern(&f, 16384, 100), SYNACK_EAGAIN);
    ASSERT(!(synack_events(f.st, f.sd) & SYNACK_EV_WRITABLE));
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SNDBUF, 32768), 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_SNDBUF), 32768);
    ASSERT(synack_events(f.st, f.sd) & SYNACK_EV_WRITABLE);
    ASSERT_EQ(send_pattern(&f, 16384, 20000), 16384);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.snd_queued, 32768);
    /* The stream is intact across the resize: the peer gets bytes 0.. in order. */
    uint32_t off = 0;
    while (recv_seg(&f, f.now, NULL)) {
        ASSERT_EQ(f.seg.tcp.seq, f.iss + 1 + off);
        expect_pattern(&f, off);
        off += (uint32_t)f.seg.payload_len;
    }
    ASSERT(off >= 10 * 1000); /* the initial window's worth, at least */
    tcpf_free(&f);
}

TEST(sndbuf_shrinks_only_down_to_what_is_queued)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.sndbuf = 32768;
    conn_in_established(&f);
    ASSERT_EQ(send_pattern(&f, 0, 10000), 10000);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SNDBUF, 4096), 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_SNDBUF), 4096);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.snd_queued, 10000);
    /* Nothing more is taken until what is queued is below the new size. */
    ASSERT_EQ(send_pattern(&f, 10000, 100), SYNACK_EAGAIN);
    ASSERT(!(synack_events(f.st, f.sd) & SYNACK_EV_WRITABLE));
    uint32_t off = 0;
    while (recv_seg(&f, f.now, NULL)) {
        expect_pattern(&f, off);
        off += (uint32_t)f.seg.payload_len;
    }
    ASSERT_EQ(off, 10000);
    f.now += 10 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.iss + 1 + 10000);
    ASSERT(synack_events(f.st, f.sd) & SYNACK_EV_WRITABLE);
    ASSERT_EQ(send_pattern(&f, 10000, 10000), 4096);
    tcpf_free(&f);
}

TEST(buffer_sizes_below_linux_minimum_are_raised_to_it)
{
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    int sd = synack_socket(f.st);
    ASSERT_EQ(synack_setopt(f.st, sd, SYNACK_OPT_SNDBUF, 100), 0);
    ASSERT_EQ(getopt_of(&f, sd, SYNACK_OPT_SNDBUF), SYNACK_SNDBUF_MIN);
    ASSERT_EQ(synack_setopt(f.st, sd, SYNACK_OPT_RCVBUF, 0), 0);
    ASSERT_EQ(getopt_of(&f, sd, SYNACK_OPT_RCVBUF), SYNACK_RCVBUF_MIN);
    ASSERT_EQ(synack_setopt(f.st, sd, SYNACK_OPT_RCVBUF, -1), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, sd, SYNACK_OPT_SNDBUF, 1L << 31), SYNACK_EINVAL);
    tcpf_free(&f);
}

TEST(rcvbuf_grown_on_a_live_connection_opens_the_window_up_to_the_scale_reach)
{
    /* 8 KiB: the SYN offered no scaling worth having (shift 0), so however large the
     * buffer becomes, the window stays at most 65535 (RFC 7323 §2.2: fixed at the SYN). */
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_RCVBUF, 200000), 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_RCVBUF), 200000);
    f.now += MS;
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 1000);
    f.rcv_nxt += 1000;
    f.now += 100 * MS;
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    ASSERT_EQ(f.seg.tcp.window, 65535);
    /* And the peer may fill it: 60000 more bytes are all taken. */
    for (int i = 0; i < 40; i++) {
        send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt, 1500);
        f.rcv_nxt += 1500;
    }
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.rcv_nxt, f.rcv_nxt);
    ASSERT_EQ(in.rcv_queued, 61000);
    tcpf_free(&f);
}

TEST(rcvbuf_shrunk_on_a_live_connection_keeps_the_window_already_offered)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    uint32_t offered = tcpf_info(&f).rcv_wnd;
    ASSERT_EQ(offered, TCPF_RCVBUF);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_RCVBUF, 2000), 0);
    /* The peer sends all it was offered: every byte is kept (a window is not taken back). */
    uint32_t sent = 0;
    while (sent < offered) {
        uint32_t n = offered - sent < 1000 ? offered - sent : 1000;
        send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt, n);
        f.rcv_nxt += n;
        sent += n;
    }
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.rcv_nxt, f.rcv_nxt);
    ASSERT_EQ(in.rcv_queued, offered);
    /* Once read, the window offered is the new, smaller buffer's. */
    static uint8_t buf[16384];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), (long)offered);
    f.now += 100 * MS;
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 10);
    f.rcv_nxt += 10;
    f.now += 100 * MS;
    /* The ACK of all this; the window it states is within the new buffer. */
    struct synack_segment s;
    uint16_t win = 0;
    while (recv_seg(&f, f.now, &s)) win = s.tcp.window;
    ASSERT(win > 0 && win <= 2000);
    tcpf_free(&f);
}

TEST(listener_buffer_sizes_set_after_listen_are_its_childrens)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_listen(&f);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_RCVBUF, 4000), 0);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_SNDBUF, 5000), 0);
    send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(f.seg.tcp.window, 4000);
    f.iss = f.seg.tcp.seq;
    f.snd_nxt = f.iss + 1;
    f.rcv_nxt = f.irs + 1;
    f.now += MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_RCVBUF), 4000);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_SNDBUF), 5000);
    ASSERT_EQ(send_pattern(&f, 0, 10000), 5000);
    tcpf_free(&f);
}

/* ---- SO_REUSEADDR --------------------------------------------------------------------- */

TEST(reuseaddr_binds_while_a_connection_of_a_closed_listener_holds_the_port)
{
    /* Linux's rule: with SO_REUSEADDR on both, only a LISTEN socket on the port conflicts
     * (a server restarted while its old connections live on). */
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    f.lport = TCPF_SRV_PORT;
    f.pport = TCPF_PEER_PORT;
    f.lsd = synack_socket(f.st);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_REUSEADDR, 1), 0);
    ASSERT_EQ(synack_bind(f.st, f.lsd, SYNACK_ADDR_ANY, TCPF_SRV_PORT), 0);
    ASSERT_EQ(synack_listen(f.st, f.lsd, 8), 0);
    send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    f.snd_nxt = f.iss + 1;
    f.rcv_nxt = f.irs + 1;
    f.now += MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_REUSEADDR), 1); /* inherited */

    /* While the listener lives, a second one cannot bind, with or without the option. */
    int a = synack_socket(f.st);
    ASSERT_EQ(synack_setopt(f.st, a, SYNACK_OPT_REUSEADDR, 1), 0);
    ASSERT_EQ(synack_bind(f.st, a, SYNACK_ADDR_ANY, TCPF_SRV_PORT), SYNACK_EADDRINUSE);
    ASSERT_EQ(synack_close(f.st, f.lsd, f.now), 0);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    /* Listener gone, the connection lives: with the option the port is free again... */
    ASSERT_EQ(synack_bind(f.st, a, SYNACK_ADDR_ANY, TCPF_SRV_PORT), 0);
    ASSERT_EQ(synack_listen(f.st, a, 8), 0);
    /* ...without it, not. */
    int b = synack_socket(f.st);
    ASSERT_EQ(synack_bind(f.st, b, SYNACK_ADDR_ANY, TCPF_SRV_PORT), SYNACK_EADDRINUSE);
    /* And a third with the option conflicts with the new listener. */
    int c = synack_socket(f.st);
    ASSERT_EQ(synack_setopt(f.st, c, SYNACK_OPT_REUSEADDR, 1), 0);
    ASSERT_EQ(synack_bind(f.st, c, SYNACK_ADDR_ANY, TCPF_SRV_PORT), SYNACK_EADDRINUSE);
    tcpf_free(&f);
}

TEST(reuseaddr_bound_sockets_conflict_again_when_both_listen)
{
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    int a = synack_socket(f.st), b = synack_socket(f.st);
    ASSERT_EQ(synack_setopt(f.st, a, SYNACK_OPT_REUSEADDR, 1), 0);
    ASSERT_EQ(synack_setopt(f.st, b, SYNACK_OPT_REUSEADDR, 1), 0);
    ASSERT_EQ(synack_bind(f.st, a, SYNACK_ADDR_ANY, 8080), 0);
    ASSERT_EQ(synack_bind(f.st, b, SYNACK_ADDR_ANY, 8080), 0);
    ASSERT_EQ(synack_listen(f.st, a, 8), 0);
    ASSERT_EQ(synack_listen(f.st, b, 8), SYNACK_EADDRINUSE);
    tcpf_free(&f);
}

/* ---- TCP_CORK, SYNACK_SEND_MORE, SYNACK_SEND_EOR ------------------------------------------ */

#define PEER_MSS 1460u

static void send_bytes(struct tcpf *f, uint32_t n, unsigned flags, long expect)
{
    static uint8_t buf[8192];
    memset(buf, 'x', sizeof buf);
    ASSERT_EQ(synack_send_flags(f->st, f->sd, f->now, buf, n, flags), expect);
}

TEST(cork_holds_partial_segments_until_uncorked)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_CORK, 1), 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_CORK), 1);
    send_bytes(&f, 40, 0, 40);
    EXPECT_NOTHING(&f);
    f.now += 50 * MS;
    send_bytes(&f, 40, 0, 40);
    EXPECT_NOTHING(&f);
    f.now += 10 * MS;
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_CORK, 0), 0);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 80);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

TEST(cork_lets_full_segments_go_and_holds_the_tail)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_CORK, 1), 0);
    send_bytes(&f, 3000, 0, 3000);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, PEER_MSS);
    /* The end of the burst: PSH, as Linux's two-segment TSO packet (tcp_push.c). */
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt + PEER_MSS, f.rcv_nxt, PEER_MSS);
    EXPECT_NOTHING(&f);
    /* The ACK of both does not lift the cork. */
    f.now += 10 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 2 * PEER_MSS);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_CORK, 0), 0);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt + 2 * PEER_MSS, f.rcv_nxt, 80);
    tcpf_free(&f);
}

TEST(cork_lets_a_partial_segment_go_after_200_ms)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_CORK, 1), 0);
    send_bytes(&f, 40, 0, 40);
    uint64_t t0 = f.now;
    EXPECT_NOTHING(&f);
    recv_nothing(&f, t0 + 199 * MS);
    EXPECT_SEG_AT(&f, t0 + 200 * MS, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 40);
    tcpf_free(&f);
}

TEST(nodelay_pushes_what_a_cork_holds)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_CORK, 1), 0);
    send_bytes(&f, 40, 0, 40);
    send_bytes(&f, 40, 0, 40);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_NODELAY, 1), 0);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 80);
    tcpf_free(&f);
}

TEST(send_more_holds_until_a_send_without_it)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_NODELAY, 1), 0); /* MORE wins over it */
    send_bytes(&f, 40, SYNACK_SEND_MORE, 40);
    EXPECT_NOTHING(&f);
    f.now += 5 * MS;
    send_bytes(&f, 100, SYNACK_SEND_MORE, 100);
    EXPECT_NOTHING(&f);
    f.now += 5 * MS;
    send_bytes(&f, 20, 0, 20);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 160);
    ASSERT_EQ(synack_send_flags(f.st, f.sd, f.now, "x", 1, 0x80), SYNACK_EINVAL);
    tcpf_free(&f);
}

TEST(send_more_tail_goes_when_new_data_is_acknowledged_without_psh)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    send_bytes(&f, 3000, SYNACK_SEND_MORE, 3000);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, PEER_MSS);
    /* The end of the burst: PSH, as Linux's two-segment TSO packet (tcp_push.c). */
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt + PEER_MSS, f.rcv_nxt, PEER_MSS);
    EXPECT_NOTHING(&f);
    f.now += 10 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + PEER_MSS);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt + 2 * PEER_MSS, f.rcv_nxt, 80);
    tcpf_free(&f);
}

TEST(send_more_with_nothing_in_flight_goes_after_200_ms)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    send_bytes(&f, 40, SYNACK_SEND_MORE, 40);
    uint64_t t0 = f.now;
    EXPECT_NOTHING(&f);
    recv_nothing(&f, t0 + 199 * MS);
    /* Forced out by the timer, with PSH (Linux: tcp_write_wakeup). */
    EXPECT_SEG_AT(&f, t0 + 200 * MS, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 40);
    tcpf_free(&f);
}

TEST(nodelay_pushes_what_send_more_holds_without_psh)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    send_bytes(&f, 40, SYNACK_SEND_MORE, 40);
    send_bytes(&f, 40, SYNACK_SEND_MORE, 40);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_NODELAY, 1), 0);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 80);
    tcpf_free(&f);
}

TEST(eor_ends_a_record_that_later_data_never_joins)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    send_bytes(&f, 1000, SYNACK_SEND_EOR, 1000);
    send_bytes(&f, 3000, 0, 3000);
    uint32_t s = f.snd_nxt;
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s, f.rcv_nxt, 1000);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, s + 1000, f.rcv_nxt, PEER_MSS);
    /* The end of the burst: PSH, as Linux's two-segment TSO packet (tcp_push.c). */
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s + 1000 + PEER_MSS, f.rcv_nxt, PEER_MSS);
    /* The short tail waits for the ACK of the short record end, as Nagle (Minshall) says. */
    EXPECT_NOTHING(&f);
    f.now += 10 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, s + 1000);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s + 1000 + 2 * PEER_MSS, f.rcv_nxt, 80);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

TEST(eor_records_wait_for_their_ack_at_most_eor_max_at_a_time)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    for (int i = 0; i < SYNACK_EOR_MAX; i++) send_bytes(&f, 1, SYNACK_SEND_EOR, 1);
    send_bytes(&f, 1, SYNACK_SEND_EOR, SYNACK_EAGAIN);
    send_bytes(&f, 1, 0, 1); /* without the flag there is room */
    uint32_t s = f.snd_nxt;
    /* Every record its own segment; the last one (with the unflagged byte) waits for
     * Nagle, the segment before it... each record end goes at once. */
    for (uint32_t i = 0; i < SYNACK_EOR_MAX; i++)
        EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s + i, f.rcv_nxt, 1);
    EXPECT_NOTHING(&f);
    f.now += 10 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, s + SYNACK_EOR_MAX);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s + SYNACK_EOR_MAX, f.rcv_nxt, 1);
    send_bytes(&f, 1, SYNACK_SEND_EOR, 1);
    tcpf_free(&f);
}

/* ---- TCP_NOTSENT_LOWAT, TCP_INQ ------------------------------------------------------- */

/* Takes every segment the stack sends now; returns the bytes of data. */
static uint32_t drain(struct tcpf *f)
{
    uint32_t n = 0;
    while (recv_seg(f, f->now, NULL)) n += f->seg.payload_len;
    return n;
}

static bool writable_reported(struct tcpf *f)
{
    int sd;
    unsigned ev;
    bool w = false;
    while (synack_next_event(f->st, &sd, &ev) == 1)
        if (sd == f->sd) w = (ev & SYNACK_EV_WRITABLE) != 0;
    return w;
}

TEST(notsent_lowat_bounds_the_unsent_bytes_and_writable_follows_it)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_NOTSENT_LOWAT), 0);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_NOTSENT_LOWAT, 4000), 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_NOTSENT_LOWAT), 4000);
    ASSERT_EQ(send_pattern(&f, 0, 30000), 30000); /* under the mark: all of it is taken */
    uint32_t sent = drain(&f);
    ASSERT(30000 - sent >= 4000);
    ASSERT(!(synack_events(f.st, f.sd) & SYNACK_EV_WRITABLE));
    ASSERT_EQ(send_pattern(&f, 0, 100), SYNACK_EAGAIN);
    (void)writable_reported(&f);
    /* ACKs let more go; once fewer than 4000 bytes are unsent the socket is writable. */
    bool became = false;
    for (int i = 0; i < 20 && !became; i++) {
        f.now += 10 * MS;
        send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + sent);
        sent += drain(&f);
        bool w = (synack_events(f.st, f.sd) & SYNACK_EV_WRITABLE) != 0;
        ASSERT_EQ(w, 30000 - sent < 4000);
        became = w;
    }
    ASSERT(became);
    ASSERT(writable_reported(&f));
    ASSERT(send_pattern(&f, 0, 100) > 0);
    /* 0 turns it off. */
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_NOTSENT_LOWAT, 0), 0);
    ASSERT(synack_events(f.st, f.sd) & SYNACK_EV_WRITABLE);
    tcpf_free(&f);
}

TEST(notsent_lowat_of_a_listener_is_its_childrens)
{
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    f.lport = TCPF_SRV_PORT;
    f.pport = TCPF_PEER_PORT;
    f.lsd = synack_socket(f.st);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_NOTSENT_LOWAT, 1234), 0);
    ASSERT_EQ(synack_bind(f.st, f.lsd, SYNACK_ADDR_ANY, TCPF_SRV_PORT), 0);
    ASSERT_EQ(synack_listen(f.st, f.lsd, 8), 0);
    send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.now += MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.irs + 1, f.seg.tcp.seq + 1);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_NOTSENT_LOWAT), 1234);
    tcpf_free(&f);
}

TEST(inq_is_the_bytes_ready_to_read)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_INQ), 0);
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 1000);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_INQ), 1000);
    char buf[300];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), 300);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_INQ), 700);
    /* Out-of-order data is not ready. */
    send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt + 2000, f.snd_nxt, 500);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_INQ), 700);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_INQ, 1), SYNACK_EINVAL);
    tcpf_free(&f);
}

/* ---- tcp_info ------------------------------------------------------------------------- */

TEST(getinfo_reports_linux_tcp_info_fields)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.ca_state, SYNACK_CA_OPEN);
    ASSERT_EQ(in.ato_us, 40000);
    ASSERT_EQ(in.reordering, 3);
    ASSERT_EQ(in.rcv_space, TCPF_RCVBUF);
    ASSERT_EQ(in.advmss, 1460);
    ASSERT_EQ(in.min_rtt_us, 1000); /* the handshake's round trip: one fixture step */
    ASSERT_EQ(in.unacked, 0);
    ASSERT_EQ(send_pattern(&f, 0, 3000), 3000);
    in = tcpf_info(&f);
    ASSERT_EQ(in.notsent_bytes, 3000);
    ASSERT_EQ(drain(&f), 3000);
    in = tcpf_info(&f);
    ASSERT_EQ(in.unacked, 3);
    ASSERT_EQ(in.notsent_bytes, 0);
    ASSERT_EQ(in.bytes_retrans, 0);
    /* Nothing comes back: the retransmission timer (200 ms after a 1 ms RTT) resends. */
    uint64_t t0 = f.now;
    EXPECT_SEG_AT(&f, t0 + 200 * MS, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, PEER_MSS);
    in = tcpf_info(&f);
    ASSERT_EQ(in.ca_state, SYNACK_CA_LOSS);
    ASSERT_EQ(in.backoff, 1);
    ASSERT_EQ(in.rto_timeouts, 1);
    ASSERT_EQ(in.bytes_retrans, PEER_MSS);
    ASSERT_EQ(in.retransmits, 1);
    /* The ACK of everything: the connection is open again. */
    f.now += 5 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 3000);
    in = tcpf_info(&f);
    ASSERT_EQ(in.ca_state, SYNACK_CA_OPEN);
    ASSERT_EQ(in.unacked, 0);
    ASSERT_EQ(in.backoff, 0);
    tcpf_free(&f);
}

/* ---- timestamps off, congestion control per socket ------------------------------------ */

TEST(no_timestamps_config_offers_none_and_ignores_the_peers)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.no_timestamps = true;
    f.peer_ts = true;
    f.peer_tsval = 777;
    conn_in_listen(&f);
    send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT(!f.seg.tcp.opts.has_ts);
    ASSERT(f.seg.tcp.opts.has_mss);
    f.now += MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.irs + 1, f.seg.tcp.seq + 1);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    ASSERT_EQ(tcpf_info(&f).ts_ok, false);
    tcpf_free(&f);

    /* And the default offers them. */
    tcpf_config(&f);
    tcpf_start(&f);
    int sd = synack_socket(f.st);
    ASSERT_EQ(synack_connect(f.st, sd, f.now, synack_addr_v4(TCPF_PEER), 80), SYNACK_EINPROGRESS);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT(f.seg.tcp.opts.has_ts);
    tcpf_free(&f);
}

TEST(no_timestamps_active_syn_has_no_timestamp_option)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.no_timestamps = true;
    tcpf_start(&f);
    int sd = synack_socket(f.st);
    ASSERT_EQ(synack_connect(f.st, sd, f.now, synack_addr_v4(TCPF_PEER), 80), SYNACK_EINPROGRESS);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT(!f.seg.tcp.opts.has_ts);
    ASSERT(f.seg.tcp.opts.sack_permitted);
    tcpf_free(&f);
}

/* A peer SYN offering every option (MSS, window scale 7, SACK, timestamps). */
static void send_full_syn(struct tcpf *f)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = f->peer_mss;
    o.has_wscale = true;
    o.wscale = 7;
    o.sack_permitted = true;
    o.has_ts = true;
    o.ts_val = 1000;
    send_seg(f, f->now, SYNACK_TCP_SYN, f->irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
}

TEST(no_sack_and_no_window_scaling_switches_as_linux_sysctls)
{
    /* cfg.no_sack: the SYN-ACK answers a full SYN without SACK-permitted, keeps the rest,
     * and the connection sends no SACK blocks. */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.no_sack = true;
    conn_in_listen(&f);
    send_full_syn(&f);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT(!f.seg.tcp.opts.sack_permitted);
    ASSERT(f.seg.tcp.opts.has_wscale);
    ASSERT(f.seg.tcp.opts.has_ts);
    f.iss = f.seg.tcp.seq;
    f.now += MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.irs + 1, f.iss + 1);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT(!in.sack_ok);
    ASSERT(in.ts_ok);
    ASSERT_EQ(in.snd_wscale, 7);
    tcpf_free(&f);

    /* cfg.no_window_scaling: no window scale option, both shifts 0, SACK kept. */
    tcpf_config(&f);
    f.cfg.no_window_scaling = true;
    conn_in_listen(&f);
    send_full_syn(&f);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT(!f.seg.tcp.opts.has_wscale);
    ASSERT(f.seg.tcp.opts.sack_permitted);
    f.iss = f.seg.tcp.seq;
    f.now += MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.irs + 1, f.iss + 1);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    in = tcpf_info(&f);
    ASSERT(in.sack_ok);
    ASSERT_EQ(in.snd_wscale, 0);
    ASSERT_EQ(in.rcv_wscale, 0);
    tcpf_free(&f);

    /* SYN cookies (no request record free) follow the switches too. */
    tcpf_config(&f);
    f.cfg.no_sack = true;
    f.cfg.no_window_scaling = true;
    f.cfg.max_half_open = 0;
    conn_in_listen(&f);
    send_full_syn(&f);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT(!f.seg.tcp.opts.sack_permitted);
    ASSERT(!f.seg.tcp.opts.has_wscale);
    ASSERT(f.seg.tcp.opts.has_ts);
    tcpf_free(&f);

    /* At run time, for active opens: the SYN offers neither; switched back, both. */
    tcpf_config(&f);
    tcpf_start(&f);
    ASSERT_EQ(synack_set_sack(f.st, false), 0);
    ASSERT_EQ(synack_set_window_scaling(f.st, false), 0);
    int sd = synack_socket(f.st);
    ASSERT_EQ(synack_connect(f.st, sd, f.now, synack_addr_v4(TCPF_PEER), 80), SYNACK_EINPROGRESS);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT(!f.seg.tcp.opts.sack_permitted);
    ASSERT(!f.seg.tcp.opts.has_wscale);
    ASSERT(f.seg.tcp.opts.has_ts);
    ASSERT_EQ(synack_set_sack(f.st, true), 0);
    ASSERT_EQ(synack_set_window_scaling(f.st, true), 0);
    sd = synack_socket(f.st);
    ASSERT_EQ(synack_connect(f.st, sd, f.now, synack_addr_v4(TCPF_PEER), 81), SYNACK_EINPROGRESS);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT(f.seg.tcp.opts.sack_permitted);
    ASSERT(f.seg.tcp.opts.has_wscale);
    ASSERT_EQ(synack_set_sack(NULL, true), SYNACK_EINVAL);
    tcpf_free(&f);
}

TEST(congestion_control_per_socket_inherited_and_switched_live)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_listen(&f);
    /* CUBIC is the default (RFC 9438, as Linux). */
    ASSERT_EQ(getopt_of(&f, f.lsd, SYNACK_OPT_CONGESTION), SYNACK_CC_CUBIC);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_CONGESTION, 7), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_CONGESTION, SYNACK_CC_NEWRENO), 0);
    ASSERT_EQ(getopt_of(&f, f.lsd, SYNACK_OPT_CONGESTION), SYNACK_CC_NEWRENO);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_CONGESTION, SYNACK_CC_CUBIC), 0);
    send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    f.snd_nxt = f.iss + 1;
    f.rcv_nxt = f.irs + 1;
    f.now += MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_CONGESTION), SYNACK_CC_CUBIC);
    uint32_t cwnd = tcpf_info(&f).cwnd;
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_CONGESTION, SYNACK_CC_NEWRENO), 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_CONGESTION), SYNACK_CC_NEWRENO);
    ASSERT_EQ(tcpf_info(&f).cwnd, cwnd);
    /* It still sends. */
    ASSERT_EQ(send_pattern(&f, 0, 100), 100);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 100);
    tcpf_free(&f);
}

TEST(syncnt_limits_the_syn_retransmissions_of_one_socket)
{
    /* Linux's TCP_SYNCNT: one retransmission (at the initial RTO, 1 s), then the next
     * timeout (2 s later, backed off) ends the connect with ETIMEDOUT. */
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    f.sd = synack_socket(f.st);
    ASSERT(f.sd >= 0);
    long v = 0;
    ASSERT_EQ(synack_getopt(f.st, f.sd, SYNACK_OPT_SYNCNT, &v), 0);
    ASSERT_EQ(v, (long)f.cfg.syn_retries);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SYNCNT, 0), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SYNCNT, 128), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SYNCNT, 1), 0);
    ASSERT_EQ(synack_getopt(f.st, f.sd, SYNACK_OPT_SYNCNT, &v), 0);
    ASSERT_EQ(v, 1);
    ASSERT_EQ(synack_connect(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT),
              SYNACK_EINPROGRESS);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT(recv_seg(&f, f.now + 1000 * MS, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    recv_nothing_at(&f, f.now + 2999 * MS, __FILE__, __LINE__);
    recv_nothing_at(&f, f.now + 3001 * MS, __FILE__, __LINE__);
    ASSERT_EQ(synack_socket_error(f.st, f.sd), SYNACK_ETIMEDOUT);
    tcpf_free(&f);
}

/* SYNACK_OPT_TOS (Linux's IP_TOS, IPV6_TCLASS for TCP): the DS field's upper six bits of
 * every datagram of the socket, the SYN-ACK of a listener's half-open connections and its
 * children's; the two ECN bits stay the stack's (RFC 3168 §5: Linux masks them too). */
TEST(tos_sets_the_ds_field_of_a_sockets_datagrams_and_a_listeners_childrens)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_listen(&f);
    ASSERT_EQ(getopt_of(&f, f.lsd, SYNACK_OPT_TOS), 0);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_TOS, 256), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_TOS, -1), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_TOS, 0x2b), 0);
    ASSERT_EQ(getopt_of(&f, f.lsd, SYNACK_OPT_TOS), 0x28);
    send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(f.seg.ip.tos, 0x28);
    f.iss = f.seg.tcp.seq;
    f.snd_nxt = f.iss + 1;
    f.rcv_nxt = f.irs + 1;
    f.now += MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    ASSERT_EQ(getopt_of(&f, f.sd, SYNACK_OPT_TOS), 0x28);
    ASSERT_EQ(send_pattern(&f, 0, 100), 100);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.ip.tos, 0x28);
    f.snd_nxt += 100;
    /* Changed on the live connection: its next datagram. */
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_TOS, 0x10), 0);
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 10);
    f.rcv_nxt += 10;
    ASSERT(recv_seg(&f, f.now + f.cfg.delack_us, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.rcv_nxt);
    ASSERT_EQ(f.seg.ip.tos, 0x10);
    tcpf_free(&f);
}

/* SYNACK_OPT_FREEBIND (Linux's IP_FREEBIND): bind() takes an address that is not (yet) the
 * stack's, as Linux's inet_bind does with the option set; such a socket hears nothing until
 * synack_set_addr() makes the address the stack's, and a connect() from it is EINVAL until
 * then, as Linux's route lookup refuses a source that is not local. */
TEST(freebind_binds_an_address_before_the_stack_has_it)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.addr = synack_addr_v4(0x0a000009); /* 10.0.0.9: the fixture's 10.0.0.1 comes later */
    tcpf_start(&f);
    f.lport = TCPF_SRV_PORT;
    f.pport = TCPF_PEER_PORT;
    int plain = synack_socket(f.st);
    ASSERT(plain >= 0);
    ASSERT_EQ(synack_bind(f.st, plain, synack_addr_v4(TCPF_LOCAL), 81), SYNACK_EADDRNOTAVAIL);
    ASSERT_EQ(getopt_of(&f, plain, SYNACK_OPT_FREEBIND), 0);
    ASSERT_EQ(synack_setopt(f.st, plain, SYNACK_OPT_FREEBIND, 2), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, plain, SYNACK_OPT_FREEBIND, 1), 0);
    ASSERT_EQ(getopt_of(&f, plain, SYNACK_OPT_FREEBIND), 1);
    ASSERT_EQ(synack_bind(f.st, plain, synack_addr_v4(TCPF_LOCAL), 81), 0);
    /* Not the stack's address yet: no route from it (Linux: EINVAL). */
    ASSERT_EQ(synack_connect(f.st, plain, f.now, synack_addr_v4(TCPF_PEER), 9), SYNACK_EINVAL);

    f.lsd = synack_socket(f.st);
    ASSERT(f.lsd >= 0);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_FREEBIND, 1), 0);
    ASSERT_EQ(synack_bind(f.st, f.lsd, synack_addr_v4(TCPF_LOCAL), TCPF_SRV_PORT), 0);
    ASSERT_EQ(synack_listen(f.st, f.lsd, 8), 0);
    /* A SYN to 10.0.0.1 is not for this stack yet: no answer. */
    send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    recv_nothing_at(&f, f.now, __FILE__, __LINE__);
    /* The address arrives (as a DHCP lease or a failover would bring it): the listener
     * bound ahead of it answers, from it. */
    ASSERT_EQ(synack_set_addr(f.st, synack_addr_v4(TCPF_LOCAL), 33), SYNACK_EINVAL);
    ASSERT_EQ(synack_set_addr(f.st, synack_addr_v4(0), 24), SYNACK_EINVAL);
    ASSERT_EQ(synack_set_addr(f.st, synack_addr_v4(TCPF_LOCAL), 24), 0);
    f.now += MS;
    send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(f.seg.ip.src, TCPF_LOCAL);
    /* And the socket bound ahead may now connect from it. */
    ASSERT_EQ(synack_connect(f.st, plain, f.now, synack_addr_v4(TCPF_PEER), 9), SYNACK_EINPROGRESS);
    /* The old address is no longer the stack's: bind() there needs the option now. */
    int late = synack_socket(f.st);
    ASSERT(late >= 0);
    ASSERT_EQ(synack_bind(f.st, late, synack_addr_v4(0x0a000009), 82), SYNACK_EADDRNOTAVAIL);
    tcpf_free(&f);
}

TEST_MAIN()
