/*
 * tcp_info_test.c - the counters synack_getinfo() reports in Linux's units (tcp/tcp_info.c):
 * packets delivered, lost and retransmitted, as Linux's tcpi_delivered, tcpi_lost and
 * tcpi_retrans count them, and the bytes received in order (tcpi_bytes_received).
 */
#include "tcp_fixture.h"

#define MS  1000ull
#define MSS 1460u

static struct synack_sockinfo info_of(const struct tcpf *f)
{
    struct synack_sockinfo in;
    ASSERT_EQ(synack_getinfo(f->st, f->sd, &in), 0);
    return in;
}

static void write_n(struct tcpf *f, uint32_t n)
{
    static uint8_t buf[16384];
    memset(buf, 'x', sizeof buf);
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, buf, n), (long)n);
}

TEST(the_handshake_delivers_one_packet_and_each_acked_segment_one_more)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_syn_received(&f);
    ASSERT_EQ(info_of(&f).delivered, 0u); /* the SYN-ACK is not acknowledged yet */
    f.now += 10 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
    struct synack_endpoint peer;
    f.sd = synack_accept(f.st, f.lsd, &peer);
    ASSERT(f.sd >= 0);
    ASSERT_EQ(info_of(&f).delivered, 1u);
    write_n(&f, 3 * MSS);
    for (int i = 0; i < 3; i++) ASSERT(recv_seg(&f, f.now, NULL));
    f.now += 10 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 2 * MSS);
    ASSERT_EQ(info_of(&f).delivered, 3u);
    /* A short segment is a packet too. */
    write_n(&f, 100);
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 3 * MSS + 100);
    ASSERT_EQ(info_of(&f).delivered, 5u);
    tcpf_free(&f);
}

TEST(a_timeout_marks_the_flight_lost_and_its_retransmission_in_flight)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    write_n(&f, 2 * MSS);
    for (int i = 0; i < 2; i++) ASSERT(recv_seg(&f, f.now, NULL));
    struct synack_sockinfo in = info_of(&f);
    ASSERT_EQ(in.unacked, 2u);
    ASSERT_EQ(in.lost, 0u);
    ASSERT_EQ(in.retrans, 0u);
    /* The retransmission timer (RFC 6298 §5.4): the first segment goes again. As Linux's
     * tcp_enter_loss, everything unacknowledged is deemed lost, the copy is in flight. */
    uint64_t rto = in.rto_us;
    ASSERT(recv_seg(&f, f.now + rto, NULL));
    ASSERT_EQ(f.seg.tcp.seq, f.snd_nxt);
    in = info_of(&f);
    ASSERT_EQ(in.lost, 2u);
    ASSERT_EQ(in.retrans, 1u);
    /* Its ACK: the second segment, still deemed lost, goes again at once (go-back-N). */
    f.now += rto + 10 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + MSS);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.seq, f.snd_nxt + MSS);
    in = info_of(&f);
    ASSERT_EQ(in.lost, 1u);
    ASSERT_EQ(in.retrans, 1u);
    ASSERT_EQ(in.delivered, 2u);
    /* And its ACK: nothing outstanding. */
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 2 * MSS);
    in = info_of(&f);
    ASSERT_EQ(in.lost, 0u);
    ASSERT_EQ(in.retrans, 0u);
    ASSERT_EQ(in.delivered, 3u);
    tcpf_free(&f);
}

TEST(bytes_received_counts_what_a_filled_hole_releases)
{
    /* Linux's tcpi_bytes_received is RCV.NXT's advance: a segment that fills a hole brings
     * the bytes parked behind it in too. 100 bytes out of order, then the 100 before them. */
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    uint64_t before = info_of(&f).bytes_received;
    send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt + 100, f.snd_nxt, 100);
    ASSERT_EQ(info_of(&f).bytes_received, before);
    send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt, 100);
    ASSERT_EQ(info_of(&f).bytes_received, before + 200);
    tcpf_free(&f);
}

static struct synack_sockinfo info_at(const struct tcpf *f, uint64_t now)
{
    struct synack_sockinfo in;
    ASSERT_EQ(synack_getinfo_at(f->st, f->sd, now, &in), 0);
    return in;
}

/* Linux's chronographs (tcp_chrono_*), in µs: busy from the first byte queued until all is
 * acknowledged; within it, limited by the peer's window while the next segment does not fit
 * in it. A zero window from the handshake on: the time is the window's, and the busy time
 * the whole of it; a window that opens ends the limit, the acknowledgment of everything
 * ends busy. */
TEST(rwnd_limited_and_busy_time_as_linux_chronographs)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(info_at(&f, f.now).busy_time_us, 0u);
    uint64_t t0 = f.now;
    /* The peer closes its window, then we have data. */
    send_seg(&f, f.now, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt, 0, NULL, 0, NULL);
    write_n(&f, 1000);
    EXPECT_NOTHING(&f);
    struct synack_sockinfo in = info_at(&f, t0 + 100 * MS);
    ASSERT_EQ(in.rwnd_limited_us, 100 * MS);
    ASSERT_EQ(in.busy_time_us, 100 * MS);
    ASSERT_EQ(in.sndbuf_limited_us, 0u);
    /* It opens: the segment goes, the limit ends; busy goes on until the ACK. */
    f.now = t0 + 200 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.payload_len, 1000);
    in = info_at(&f, t0 + 230 * MS);
    ASSERT_EQ(in.rwnd_limited_us, 200 * MS);
    ASSERT_EQ(in.busy_time_us, 230 * MS);
    f.now = t0 + 250 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 1000);
    in = info_at(&f, t0 + 900 * MS);
    ASSERT_EQ(in.rwnd_limited_us, 200 * MS);
    ASSERT_EQ(in.busy_time_us, 250 * MS);
    tcpf_free(&f);
}

/* Limited by the send buffer: everything queued was sent, the congestion window had room,
 * and a send found the buffer full (Linux's SOCK_NOSPACE), until the buffer is writable
 * again (half of what it holds free, Linux's sk_stream_min_wspace). */
TEST(sndbuf_limited_time_as_linux_chronograph)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SNDBUF, 4 * MSS), 0);
    long sndbuf = 0;
    ASSERT_EQ(synack_getopt(f.st, f.sd, SYNACK_OPT_SNDBUF, &sndbuf), 0);
    uint64_t t0 = f.now;
    static uint8_t buf[65536];
    long took = synack_send(f.st, f.sd, f.now, buf, sizeof buf);
    ASSERT(took > 0 && took < (long)sizeof buf);
    uint32_t sent = 0;
    while (recv_seg(&f, f.now, NULL)) sent += f.seg.payload_len;
    ASSERT_EQ(sent, (uint32_t)took);
    struct synack_sockinfo in = info_at(&f, t0 + 20 * MS);
    ASSERT_EQ(in.sndbuf_limited_us, 20 * MS);
    ASSERT_EQ(in.busy_time_us, 20 * MS);
    ASSERT_EQ(in.rwnd_limited_us, 0u);
    /* Everything is acknowledged: writable, and no longer busy. */
    f.now = t0 + 20 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + sent);
    in = info_at(&f, t0 + 50 * MS);
    ASSERT_EQ(in.sndbuf_limited_us, 20 * MS);
    ASSERT_EQ(in.busy_time_us, 20 * MS);
    tcpf_free(&f);
}

/* tcpi_delivery_rate as Linux samples it (tcp_rate.c; draft-cheng-iccrg-delivery-rate-
 * estimation): on each ACK, the packets delivered since the most recently sent packet it
 * delivered was sent, over the longer of that packet's send phase and its ACK phase, in
 * bytes per second of SND.MSS; a sample taken while the application left the window unused
 * (app-limited) replaces the last only when it is higher. */
TEST(delivery_rate_from_each_ack_and_app_limited_samples_only_when_higher)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    struct synack_sockinfo in = info_of(&f);
    ASSERT_EQ(in.delivery_rate, 0u);
    uint64_t mss = in.snd_mss;
    uint32_t d0 = in.delivered; /* the handshake's packet */
    /* Four segments at t0, nothing in flight before: their send phase starts at t0. The
     * write leaves the window unused, so the samples are app-limited. */
    f.now += 100 * MS;
    uint64_t t0 = f.now;
    write_n(&f, (uint32_t)(4 * mss));
    for (int i = 0; i < 4; i++) ASSERT(recv_seg(&f, f.now, NULL));
    /* The first two acknowledged 50 ms later: 2 packets in 50 ms. */
    f.now = t0 + 50 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + (uint32_t)(2 * mss));
    in = info_of(&f);
    ASSERT_EQ(in.delivered, d0 + 2);
    ASSERT_EQ(in.delivery_rate, 2 * mss * 1000000 / (50 * MS));
    ASSERT(in.delivery_rate_app_limited);
    /* The other two at 60 ms: 4 packets since t0, in 60 ms; higher, so kept although
     * app-limited. */
    f.now = t0 + 60 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + (uint32_t)(4 * mss));
    f.snd_nxt += (uint32_t)(4 * mss);
    in = info_of(&f);
    ASSERT_EQ(in.delivery_rate, 4 * mss * 1000000 / (60 * MS));
    /* One segment a second later, acknowledged after 100 ms: 1 packet in 100 ms, an
     * app-limited sample lower than the last, which stays. */
    f.now += 1000 * MS;
    write_n(&f, (uint32_t)mss);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.now += 100 * MS;
    f.snd_nxt += (uint32_t)mss;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
    in = info_of(&f);
    ASSERT_EQ(in.delivered, d0 + 5);
    ASSERT_EQ(in.delivery_rate, 4 * mss * 1000000 / (60 * MS));
    tcpf_free(&f);
}

TEST_MAIN()
