/*
 * psh_test.c - where the PSH bit goes in a burst (tcp/tcp_push.c): on the segment that
 * empties the send queue, and, as Linux's TSO/GSO packets carry it, on the last segment of
 * each group of tcp_tso_segs() segments and of the burst the windows let go.
 */
#include "tcp_fixture.h"

#define MS  1000ull
#define MSS 1460u

static void write_n(struct tcpf *f, uint32_t n)
{
    static uint8_t buf[32768];
    memset(buf, 'x', sizeof buf);
    ASSERT(n <= sizeof buf);
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, buf, n), (long)n);
}

/* A passive connection whose handshake took rtt_ms (the SYN-ACK's RTT sample). */
static void established_after(struct tcpf *f, uint64_t rtt_ms)
{
    conn_in_syn_received(f);
    f->now += rtt_ms * MS;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    struct synack_endpoint peer;
    f->sd = synack_accept(f->st, f->lsd, &peer);
    ASSERT(f->sd >= 0);
    EXPECT_STATE(f, SYNACK_ESTABLISHED);
}

TEST(a_100ms_path_pushes_every_second_segment_as_linux_two_segment_tso_packets)
{
    /* Linux's pacing rate here is 2 x 10 x 1460 B / 100 ms = 292 kB/s, 285 bytes per
     * millisecond: less than a segment, so its TSO packets have the minimum, 2 segments,
     * and each carries PSH on its last (slow_start/slow-start-ack-per-1pkt.pkt). */
    struct tcpf f;
    tcpf_config(&f);
    established_after(&f, 100);
    write_n(&f, 30000);
    uint32_t s = f.snd_nxt;
    for (uint32_t i = 0; i < 10; i++) {
        uint16_t fl = SYNACK_TCP_ACK | (i % 2 == 1 ? SYNACK_TCP_PSH : 0);
        EXPECT_SEG(&f, fl, s + i * MSS, f.rcv_nxt, MSS);
    }
    EXPECT_NOTHING(&f); /* cwnd: 10 segments */
    /* One segment ACKed in slow start: two go, one TSO packet, PSH on the second. */
    f.now += 100 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, s + MSS);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, s + 10 * MSS, f.rcv_nxt, MSS);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s + 11 * MSS, f.rcv_nxt, MSS);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

TEST(a_1ms_path_sends_the_window_as_one_tso_packet_with_psh_at_its_end)
{
    /* A minimum RTT of 1 ms lets Linux's packet grow by 64 KiB >> 1: the whole window of
     * 10 segments is one packet, PSH on its last segment only. */
    struct tcpf f;
    tcpf_config(&f);
    established_after(&f, 1);
    write_n(&f, 30000);
    uint32_t s = f.snd_nxt;
    for (uint32_t i = 0; i < 10; i++) {
        uint16_t fl = SYNACK_TCP_ACK | (i == 9 ? SYNACK_TCP_PSH : 0);
        EXPECT_SEG(&f, fl, s + i * MSS, f.rcv_nxt, MSS);
    }
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

TEST(a_short_write_is_a_two_segment_packet_then_its_tail_each_ending_in_psh)
{
    struct tcpf f;
    tcpf_config(&f);
    established_after(&f, 100);
    /* 2.5 segments: one packet of two, then the tail, which empties the queue. */
    write_n(&f, 2 * MSS + 500);
    uint32_t s = f.snd_nxt;
    EXPECT_SEG(&f, SYNACK_TCP_ACK, s, f.rcv_nxt, MSS);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s + MSS, f.rcv_nxt, MSS);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s + 2 * MSS, f.rcv_nxt, 500);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

TEST_MAIN()
