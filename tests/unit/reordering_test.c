/*
 * reordering_test.c - the reordering degree synack reports (synack_sockinfo.reordering,
 * Linux's tcpi_reordering) and the count of ACKs that showed reordering (reord_seen): data
 * sent once and delivered below the highest sequence delivered before it was overtaken by
 * (that highest byte - its lowest byte) / MSS segments; the degree is the largest seen, at
 * least DupThresh's 3 (RFC 5681). The figures are those of Linux's sack-shift-sacked and
 * cubic-rack-reo-timeout scripts (tcp_check_sack_reordering).
 */
#include "tcp_fixture.h"

#define MSS 1000u

static void established_sack(struct tcpf *f)
{
    tcpf_config(f);
    conn_in_listen(f);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = MSS;
    o.sack_permitted = true;
    send_seg(f, f->now, SYNACK_TCP_SYN, f->irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT(recv_seg(f, f->now, NULL));
    f->iss = f->seg.tcp.seq;
    f->snd_nxt = f->iss + 1;
    f->rcv_nxt = f->irs + 1;
    f->now += 100000;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    struct synack_endpoint peer;
    f->sd = synack_accept(f->st, f->lsd, &peer);
    ASSERT(f->sd >= 0);
    static const uint8_t d[10 * MSS];
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, d, sizeof d), (long)sizeof d);
    while (recv_seg(f, f->now, NULL)) {
    }
}

/* An ACK of SND.UNA + ack (bytes past our first data byte) with SACK blocks given the
 * same way, [l, r) pairs, step µs after the last; what the stack sends in answer is taken
 * and ignored. The first comes one round trip (RTT, 100 ms) after the data, the others at
 * the same instant, as in the scripts: RACK's reordering timer has no time to fire. */
#define RTT 100000u
static void sack(struct tcpf *f, uint64_t step, uint32_t ack, int n, const uint32_t *b)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.sack_count = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        o.sack[i].left = f->snd_nxt + b[2 * i];
        o.sack[i].right = f->snd_nxt + b[2 * i + 1];
    }
    f->now += step;
    send_seg(f, f->now, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt + ack, TCPF_PEER_WIN, NULL, 0, &o);
    while (recv_seg(f, f->now, NULL)) {
    }
}

TEST(reordering_degree_from_sacks)
{
    /* sack-shift-sacked-7-3-4-8-9-fack: 7000:8000 SACKed, then 3000:4000, overtaken by 5
     * segments; then 4000:5000, by 4, which does not raise the degree. */
    struct tcpf f;
    established_sack(&f);
    ASSERT_EQ(tcpf_info(&f).reordering, 3u);
    sack(&f, RTT, 0, 1, (const uint32_t[]){7000, 8000});
    ASSERT_EQ(tcpf_info(&f).reordering, 3u);
    ASSERT_EQ(tcpf_info(&f).reord_seen, 0u);
    sack(&f, 0, 0, 2, (const uint32_t[]){3000, 4000, 7000, 8000});
    ASSERT_EQ(tcpf_info(&f).reordering, 5u);
    ASSERT_EQ(tcpf_info(&f).reord_seen, 1u);
    sack(&f, 0, 0, 2, (const uint32_t[]){3000, 5000, 7000, 8000});
    ASSERT_EQ(tcpf_info(&f).reordering, 5u);
    ASSERT_EQ(tcpf_info(&f).reord_seen, 2u);
    tcpf_free(&f);
}

TEST(reordering_degree_from_a_cumulative_ack)
{
    /* cubic-rack-reo-timeout-retrans-failed-incoming-data: 9000:10000 and 3000:4000 SACKed
     * (7), then an ACK of everything: 0:3000, never SACKed, arrived last, overtaken by
     * all 10. */
    struct tcpf f;
    established_sack(&f);
    sack(&f, RTT, 0, 1, (const uint32_t[]){9000, 10000});
    sack(&f, 0, 0, 2, (const uint32_t[]){3000, 4000, 9000, 10000});
    ASSERT_EQ(tcpf_info(&f).reordering, 7u);
    sack(&f, 0, 10000, 0, NULL);
    ASSERT_EQ(tcpf_info(&f).reordering, 10u);
    ASSERT_EQ(tcpf_info(&f).reord_seen, 2u);
    tcpf_free(&f);
}

TEST(reordering_none_in_order)
{
    /* ACKs in order: no reordering, the degree stays at DupThresh. */
    struct tcpf f;
    established_sack(&f);
    for (uint32_t a = 2000; a <= 10000; a += 2000) sack(&f, a == 2000 ? RTT : 1000, a, 0, NULL);
    ASSERT_EQ(tcpf_info(&f).reordering, 3u);
    ASSERT_EQ(tcpf_info(&f).reord_seen, 0u);
    tcpf_free(&f);
}

TEST_MAIN()
