/*
 * rtt_every_ack_test.c - the RTT samples the retransmission timer's estimator takes: one
 * timed segment per round trip by default (RFC 6298 §3's minimum), or one from every ACK
 * of data sent only once with cfg.rtt_every_ack (RFC 6298 §3 allows more; Linux's
 * tcp_clean_rtx_queue takes them so), from the oldest byte it newly covers, or else from
 * the first range it newly SACKs; never from data sent twice (Karn's rule). The figures are
 * those of Linux's notsent_lowat scripts: ACKs 10, 20 and 30 ms after their data make
 * Linux's SRTT 13.6 ms, where one sample per round trip leaves it at 10 ms.
 */
#include "tcp_fixture.h"

#define MS 1000ull

/* Passive open over a 10 ms handshake, the peer's MSS 1000, SACK offered when sack. */
static void established(struct tcpf *f, bool sack)
{
    conn_in_listen(f);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1000;
    o.sack_permitted = sack;
    send_seg(f, f->now, SYNACK_TCP_SYN, f->irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    f->iss = f->seg.tcp.seq;
    f->snd_nxt = f->iss + 1;
    f->rcv_nxt = f->irs + 1;
    f->now += 10 * MS;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    struct synack_endpoint peer;
    f->sd = synack_accept(f->st, f->lsd, &peer);
    ASSERT(f->sd >= 0);
    EXPECT_STATE(f, SYNACK_ESTABLISHED);
    ASSERT_EQ(tcpf_info(f).srtt_us, 10 * MS);
}

/* Takes every segment the stack sends now; returns how many bytes they carried. */
static uint32_t drain(struct tcpf *f)
{
    uint32_t n = 0;
    while (recv_seg(f, f->now, NULL)) n += f->seg.payload_len;
    return n;
}

/* 10000 bytes at once, then ACKs of 2000 more each 10 ms, each covering data sent 10 ms
 * longer ago than the one before: samples of 10, 20 and 30 ms. Returns the SRTT. */
static uint64_t srtt_after_three_acks(bool every_ack)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.rtt_every_ack = every_ack;
    established(&f, false);
    static const uint8_t d[10000];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, d, sizeof d), (long)sizeof d);
    uint32_t base = f.snd_nxt;
    ASSERT(drain(&f) > 0);
    for (uint32_t k = 1; k <= 3; k++) {
        f.now += 10 * MS;
        send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, base + 2000 * k);
        drain(&f);
    }
    uint64_t srtt = tcpf_info(&f).srtt_us;
    tcpf_free(&f);
    return srtt;
}

TEST(rtt_one_timed_segment_per_round_trip_by_default)
{
    /* The first segment is timed (10 ms); the segments the first ACK lets go are timed next
     * and never acknowledged here: SRTT stays at 10 ms. */
    ASSERT_EQ(srtt_after_three_acks(false), 10 * MS);
}

TEST(rtt_every_ack_samples_as_linux)
{
    /* 10, 10, 20, 30 ms with RFC 6298 §2.3's gains: 10, 11.25, 13.59375 ms. */
    ASSERT_EQ(srtt_after_three_acks(true), 13593);
}

TEST(rtt_every_ack_keeps_karns_rule)
{
    /* Three segments, the first retransmitted by the RTO, then one ACK for all: it covers
     * data sent twice, so it gives no sample, though the rest was sent once. */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.rtt_every_ack = true;
    established(&f, false);
    static const uint8_t d[3000];
    uint64_t sent = f.now;
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, d, sizeof d), (long)sizeof d);
    ASSERT_EQ(drain(&f), 3000u);
    uint64_t rto = tcpf_info(&f).rto_us;
    EXPECT_SEG_AT(&f, sent + rto, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 1000);
    f.now += 5 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 3000);
    ASSERT_EQ(tcpf_info(&f).srtt_us, 10 * MS);
    tcpf_free(&f);
}

TEST(rtt_every_ack_samples_a_sack)
{
    /* A duplicate ACK that SACKs the second segment 30 ms after it went: a sample of 30 ms
     * (SRTT 7/8·10 + 1/8·30 = 12.5 ms), though SND.UNA does not move; RFC 6298 §3 asks
     * only that it be data sent once, which the SACK names. */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.rtt_every_ack = true;
    established(&f, true);
    static const uint8_t d[3000];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, d, sizeof d), (long)sizeof d);
    ASSERT_EQ(drain(&f), 3000u);
    f.now += 30 * MS;
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.sack_count = 1;
    o.sack[0].left = f.snd_nxt + 1000;
    o.sack[0].right = f.snd_nxt + 2000;
    send_seg(&f, f.now, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT_EQ(tcpf_info(&f).srtt_us, 12500);
    tcpf_free(&f);
}

TEST(rtt_ack_at_a_record_edge_samples_nothing_beyond_it)
{
    /* 1000 bytes at t, 1000 more at t + 5 ms (two send records), then an ACK of the first
     * alone at t + 10 ms: the sample is 10 ms. The record that starts at SEG.ACK had
     * nothing delivered: counted, it gave min_RTT and RACK.rtt a false 5 ms. */
    for (int every = 0; every <= 1; every++) {
        struct tcpf f;
        tcpf_config(&f);
        f.cfg.rtt_every_ack = every;
        established(&f, false);
        static const uint8_t d[1000];
        ASSERT_EQ(synack_send(f.st, f.sd, f.now, d, sizeof d), (long)sizeof d);
        ASSERT_EQ(drain(&f), 1000u);
        f.now += 5 * MS;
        ASSERT_EQ(synack_send(f.st, f.sd, f.now, d, sizeof d), (long)sizeof d);
        ASSERT_EQ(drain(&f), 1000u);
        f.now += 5 * MS;
        send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 1000);
        struct synack_sockinfo i = tcpf_info(&f);
        ASSERT_EQ(i.min_rtt_us, 10 * MS);
        ASSERT_EQ(i.srtt_us, 10 * MS);
        tcpf_free(&f);
    }
}

TEST_MAIN()
