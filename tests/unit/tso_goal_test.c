/*
 * tso_goal_test.c - Linux's size goal (tcp/tcp_tso.c) as the send loop uses it: no TSO
 * packet carries more than half the largest window the peer has offered, in whole
 * segments, so PSH (tcp/tcp_push.c) ends every such group of a burst, as on Linux
 * (fastopen/server/opt34/simple3.pkt: a 10000-byte window, packets of 5000 bytes).
 */
#include "tcp_fixture.h"

#define MS 1000ull

static void established_with(struct tcpf *f, uint16_t win, uint64_t rtt_ms, bool sack);

/* Established after a handshake of rtt_ms with a peer whose MSS is 1000 and whose window
 * is win, in its SYN and its ACK. */
static void established_with_window(struct tcpf *f, uint16_t win, uint64_t rtt_ms)
{
    established_with(f, win, rtt_ms, false);
}

/* The same, the peer offering SACK (RFC 2018) when sack is set: tail loss probes need it. */
static void established_with(struct tcpf *f, uint16_t win, uint64_t rtt_ms, bool sack)
{
    tcpf_config(f);
    f->peer_mss = 1000;
    conn_in_listen(f);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = f->peer_mss;
    o.sack_permitted = sack;
    send_seg(f, f->now, SYNACK_TCP_SYN, f->irs, 0, win, NULL, 0, &o);
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    f->iss = f->seg.tcp.seq;
    f->snd_nxt = f->iss + 1;
    f->rcv_nxt = f->irs + 1;
    send_seg(f, f->now + rtt_ms * MS, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt, win, NULL, 0, NULL);
    struct synack_endpoint peer;
    f->sd = synack_accept(f->st, f->lsd, &peer);
    ASSERT(f->sd >= 0);
    EXPECT_STATE(f, SYNACK_ESTABLISHED);
}

static void write_n(struct tcpf *f, uint32_t n)
{
    static uint8_t buf[65536];
    ASSERT(n <= sizeof buf);
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, buf, n), (long)n);
}

TEST(a_10000_byte_window_cuts_the_burst_into_5000_byte_packets)
{
    /* On a 1 ms path Linux's pacing would let the whole initial window go as one packet
     * (psh_test.c); half the peer's 10000-byte window caps it at 5 segments. */
    struct tcpf f;
    established_with_window(&f, 10000, 1);
    write_n(&f, 15000);
    uint32_t s = f.snd_nxt;
    for (uint32_t i = 0; i < 10; i++) {
        uint16_t fl = SYNACK_TCP_ACK | (i % 5 == 4 ? SYNACK_TCP_PSH : 0);
        EXPECT_SEG(&f, fl, s + i * 1000, f.rcv_nxt, 1000);
    }
    EXPECT_NOTHING(&f); /* the window is full */
    tcpf_free(&f);
}

TEST(a_large_window_leaves_the_packet_to_the_pacing_rate)
{
    /* Half of 65535 is 32 segments, more than the 10 of the initial window: one packet. */
    struct tcpf f;
    established_with_window(&f, 65535, 1);
    write_n(&f, 15000);
    uint32_t s = f.snd_nxt;
    for (uint32_t i = 0; i < 10; i++) {
        uint16_t fl = SYNACK_TCP_ACK | (i == 9 ? SYNACK_TCP_PSH : 0);
        EXPECT_SEG(&f, fl, s + i * 1000, f.rcv_nxt, 1000);
    }
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

TEST(a_window_of_two_segments_still_pushes_every_second_one)
{
    /* Half a 2000-byte window is one segment, Linux's buffer; it still pushes every second
     * one (forced_push: more than half the window written since the last PSH), as
     * timestamping/partial.pkt shows: 988 bytes, then 988 with PSH. */
    struct tcpf f;
    established_with_window(&f, 2000, 1);
    write_n(&f, 3000);
    uint32_t s = f.snd_nxt;
    EXPECT_SEG(&f, SYNACK_TCP_ACK, s, f.rcv_nxt, 1000);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s + 1000, f.rcv_nxt, 1000);
    EXPECT_NOTHING(&f); /* the window is full */
    tcpf_free(&f);
}

TEST(a_tail_loss_probe_of_new_data_has_no_psh_in_the_middle_of_a_write)
{
    /* RFC 8985 §7.3: the probe is a new segment when one waits. Linux sends it from the
     * write's buffer with that buffer's flags, so PSH only at the write's end
     * (shutdown/shutdown-rdwr-send-queue-ack-close.pkt). */
    struct tcpf f;
    established_with(&f, 65535, 10, true);
    write_n(&f, 20000);
    uint32_t s = f.snd_nxt;
    for (uint32_t i = 0; i < 10; i++) ASSERT(recv_seg(&f, f.now, NULL));
    EXPECT_NOTHING(&f);
    uint64_t t = f.now;
    bool got = false;
    for (int i = 0; i < 1000 && !got; i++) {
        t += MS;
        got = recv_seg(&f, t, NULL);
    }
    ASSERT(got);
    ASSERT_EQ(f.seg.tcp.seq, s + 10000);
    ASSERT_EQ(f.seg.payload_len, 1000u);
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_ACK);
    tcpf_free(&f);
}

TEST_MAIN()
