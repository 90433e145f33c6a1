/*
 * slow_start_test.c - how much one ACK grows cwnd in slow start (cfg.slow_start_limit):
 * by at most L = 2 segments by default (RFC 3465 §2.2's appropriate byte counting), by
 * everything it newly acknowledges with the limit off (0, Linux's tcp_slow_start), and
 * then never past ssthresh, the rest of the ACK counted by congestion avoidance; what an
 * ACK delivers is then counted as Linux counts it (segments newly SACKed or cumulatively
 * acknowledged and not reported before by a SACK or a duplicate ACK).
 */
#include "tcp/tcp.h"
#include "tcp_fixture.h"
#include "test.h"

/* An established passive connection that has sent its initial window of 10 segments;
 * the peer then acknowledges the first four with one ACK. Returns the growth of cwnd in
 * segments. */
static uint32_t growth_of_ack_of_4(const char *cc, uint32_t limit)
{
    static struct tcpf f;
    tcpf_config(&f);
    f.cfg.cc = cc;
    f.cfg.slow_start_limit = limit;
    conn_in_established(&f);
    static uint8_t data[20 * 1460];
    memset(data, 'x', sizeof data);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, data, sizeof data), (long)sizeof data);
    struct synack_sockinfo in = tcpf_info(&f);
    uint32_t mss = in.snd_mss;
    ASSERT_EQ(mss, 1460);
    uint32_t cwnd0 = in.cwnd;
    ASSERT_EQ(cwnd0, 10 * mss); /* RFC 6928 */
    int n = 0;
    while (recv_seg(&f, f.now, NULL)) {
        ASSERT_EQ(f.seg.payload_len, mss);
        n++;
    }
    ASSERT_EQ(n, 10);
    f.now += 10 * TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 4 * mss);
    in = tcpf_info(&f);
    ASSERT_EQ(in.snd_una, f.snd_nxt + 4 * mss);
    ASSERT(in.cwnd < in.ssthresh); /* still in the initial slow start */
    ASSERT_EQ((in.cwnd - cwnd0) % mss, 0);
    uint32_t g = (in.cwnd - cwnd0) / mss;
    printf("     %s, limit %u: an ACK of 4 segments grew cwnd by %u\n", cc, limit, g);
    tcpf_free(&f);
    return g;
}

TEST(ack_of_4_segments_grows_cwnd_by_2_by_default)
{
    struct synack_config d;
    synack_config_default(&d);
    ASSERT_EQ(d.slow_start_limit, 2);
    ASSERT_EQ(growth_of_ack_of_4("cubic", d.slow_start_limit), 2);
    ASSERT_EQ(growth_of_ack_of_4("newreno", d.slow_start_limit), 2);
}

TEST(ack_of_4_segments_grows_cwnd_by_4_without_limit)
{
    ASSERT_EQ(growth_of_ack_of_4("cubic", 0), 4);
    ASSERT_EQ(growth_of_ack_of_4("newreno", 0), 4);
    /* A limit of 3 segments is a limit too. */
    ASSERT_EQ(growth_of_ack_of_4("newreno", 3), 3);
}

/* The initial window of 10 segments out, the second and third segments arrive before the
 * first (two duplicate ACKs, with SACK blocks when sack, each releasing one new segment by
 * limited transmit, RFC 3042), then the first: one ACK covers three segments, two of which
 * the duplicate ACKs already reported. Returns cwnd's growth on that ACK, in segments. */
static uint32_t growth_after_reordering(bool sack, uint32_t limit)
{
    static struct tcpf f;
    tcpf_config(&f);
    f.cfg.slow_start_limit = limit;
    conn_in_listen(&f);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1460;
    o.sack_permitted = sack;
    send_seg(&f, f.now, SYNACK_TCP_SYN, f.irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    f.snd_nxt = f.iss + 1;
    f.rcv_nxt = f.irs + 1;
    f.now += TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.sack_ok, sack);
    uint32_t mss = in.snd_mss, base = f.snd_nxt;
    static uint8_t data[15 * 1460];
    memset(data, 'x', sizeof data);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, data, sizeof data), (long)sizeof data);
    int n = 0;
    while (recv_seg(&f, f.now, NULL)) n++;
    ASSERT_EQ(n, 10);
    for (int d = 1; d <= 2; d++) {
        f.now += 10 * TCPF_STEP;
        memset(&o, 0, sizeof o);
        if (sack) {
            o.sack_count = 1;
            o.sack[0].left = base + mss;
            o.sack[0].right = base + (uint32_t)(1 + d) * mss;
        }
        send_seg(&f, f.now, SYNACK_TCP_ACK, f.rcv_nxt, base, TCPF_PEER_WIN, NULL, 0, &o);
        ASSERT(recv_seg(&f, f.now, NULL)); /* limited transmit's new segment */
        ASSERT_EQ(f.seg.tcp.seq, base + (uint32_t)(9 + d) * mss);
        EXPECT_NOTHING(&f);
    }
    in = tcpf_info(&f);
    uint32_t cwnd0 = in.cwnd;
    ASSERT_EQ(cwnd0, 10 * mss);
    f.now += 10 * TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, base + 3 * mss);
    in = tcpf_info(&f);
    ASSERT_EQ(in.snd_una, base + 3 * mss);
    ASSERT(in.cwnd >= cwnd0);
    ASSERT_EQ((in.cwnd - cwnd0) % mss, 0);
    uint32_t g = (in.cwnd - cwnd0) / mss;
    printf("     %s, limit %u: the ACK of 3 segments after 2 duplicate ACKs grew cwnd by %u\n",
           sack ? "SACK" : "no SACK", limit, g);
    tcpf_free(&f);
    return g;
}

TEST(without_limit_growth_counts_only_segments_newly_delivered)
{
    /* Linux counts what each ACK delivers (tp->delivered): a SACKed segment when its SACK
     * arrives, and without SACK one segment per duplicate ACK (tcp_add_reno_sack), so the
     * cumulative ACK delivers only the first segment (packetdrill's limited_transmit
     * scripts: "slow start cwnd from 10 to 11"). */
    ASSERT_EQ(growth_after_reordering(true, 0), 1);
    ASSERT_EQ(growth_after_reordering(false, 0), 1);
    /* RFC 3465 counts the bytes the cumulative ACK covers, at most L of them. */
    ASSERT_EQ(growth_after_reordering(true, 2), 2);
    ASSERT_EQ(growth_after_reordering(false, 2), 2);
}

/* A later slow start (after a loss, ssthresh set) on the tcb itself: cwnd 10 segments,
 * ssthresh 11, an ACK of 4 segments. Without the limit cwnd stops at ssthresh and the 3
 * segments left go to congestion avoidance's count, as Linux's tcp_slow_start returns them
 * to tcp_cong_avoid_ai. */
TEST(slow_start_without_limit_stops_at_ssthresh)
{
    const uint32_t mss = 1000;
    struct tcb t;
    memset(&t, 0, sizeof t);
    t.snd_mss = mss;
    const struct tcp_cc_ops *reno = tcp_cc_find("newreno");
    reno->init(&t);
    t.ssthresh = 11 * mss;
    t.ss_limit = 0;
    reno->on_ack(&t, 4 * mss, 1000000);
    ASSERT_EQ(t.cwnd, 11 * mss);
    ASSERT_EQ(t.bytes_acked_ca, 3 * mss);
    /* Enough left over for a whole window: congestion avoidance's one segment. */
    memset(&t, 0, sizeof t);
    t.snd_mss = mss;
    reno->init(&t);
    t.cwnd = 4 * mss;
    t.ssthresh = 5 * mss;
    reno->on_ack(&t, 10 * mss, 1000000);
    ASSERT_EQ(t.cwnd, 6 * mss);
    ASSERT_EQ(t.bytes_acked_ca, 4 * mss);
    /* CUBIC: the window reaches ssthresh exactly and its epoch begins with the rest. */
    memset(&t, 0, sizeof t);
    t.snd_mss = mss;
    tcp_cc_cubic.init(&t);
    t.ssthresh = 11 * mss;
    tcp_cc_cubic.on_ack(&t, 4 * mss, 1000000);
    ASSERT(t.cwnd >= 11 * mss && t.cwnd < 12 * mss);
    /* With the default limit the same ACK grows it by two segments. */
    memset(&t, 0, sizeof t);
    t.snd_mss = mss;
    reno->init(&t);
    t.ssthresh = 20 * mss;
    t.ss_limit = 2;
    reno->on_ack(&t, 4 * mss, 1000000);
    ASSERT_EQ(t.cwnd, 12 * mss);
}

TEST_MAIN()
