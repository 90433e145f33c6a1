/*
 * rto_test.c - the retransmission timeout's floor (RFC 6298 §2.4) in its two forms:
 * synack's, which clamps the whole RTO at rto_min (RTO = max(rto_min, SRTT + 4·RTTVAR)),
 * and Linux's (cfg.rto_min_on_var), which puts the floor on the variance term, so that
 * RTO = SRTT + max(4·RTTVAR, rto_min) (tcp_set_rto: srtt + max(mdev, tcp_rto_min)). On a
 * 10 ms path the first is 200 ms and the second 210 ms; Linux's scripts time the
 * zero-window probe and the retransmission by the second.
 */
#include "tcp_fixture.h"

#define MS 1000ull

/* Passive open whose handshake took rtt_ms: one RTT sample, SRTT = R and RTTVAR = R/2
 * (RFC 6298 §2.2). */
static void established_after(struct tcpf *f, uint64_t rtt_ms)
{
    conn_in_syn_received(f);
    f->now += rtt_ms * MS;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    EXPECT_NOTHING(f);
    struct synack_endpoint peer;
    f->sd = synack_accept(f->st, f->lsd, &peer);
    ASSERT(f->sd >= 0);
    EXPECT_STATE(f, SYNACK_ESTABLISHED);
}

/* Data sent at once and never acknowledged: returns when its retransmission went. */
static uint64_t retransmission_after(struct tcpf *f)
{
    static const uint8_t d[100];
    uint64_t sent = f->now;
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, d, sizeof d), (long)sizeof d);
    EXPECT_SEG_AT(f, sent, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f->snd_nxt, f->rcv_nxt, 100);
    uint64_t rto = tcpf_info(f).rto_us;
    recv_nothing(f, sent + rto - 1);
    EXPECT_SEG_AT(f, sent + rto, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f->snd_nxt, f->rcv_nxt, 100);
    return rto;
}

TEST(rto_floor_on_the_whole_timeout_by_default)
{
    struct tcpf f;
    tcpf_config(&f);
    established_after(&f, 10);
    struct synack_sockinfo i = tcpf_info(&f);
    ASSERT_EQ(i.srtt_us, 10 * MS);
    /* SRTT + 4·RTTVAR = 30 ms, below the floor: the floor. */
    ASSERT_EQ(i.rto_us, f.cfg.rto_min_us);
    ASSERT_EQ(retransmission_after(&f), 200 * MS);
    tcpf_free(&f);
}

TEST(rto_floor_on_the_variance_as_linux)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.rto_min_on_var = true;
    established_after(&f, 10);
    struct synack_sockinfo i = tcpf_info(&f);
    ASSERT_EQ(i.srtt_us, 10 * MS);
    ASSERT_EQ(i.rto_us, 10 * MS + f.cfg.rto_min_us);
    ASSERT_EQ(retransmission_after(&f), 210 * MS);
    tcpf_free(&f);
}

TEST(rto_variance_above_the_floor_is_rfc_6298s_either_way)
{
    /* A 100 ms handshake: 4·RTTVAR = 200 ms, at the floor; a sample of 300 ms then makes
     * RTTVAR = 3/4·50 + 1/4·200 = 87.5 ms and SRTT = 125 ms: 4·RTTVAR = 350 ms is above the
     * floor, and both forms give SRTT + 4·RTTVAR = 475 ms. */
    for (int linux_form = 0; linux_form <= 1; linux_form++) {
        struct tcpf f;
        tcpf_config(&f);
        f.cfg.rto_min_on_var = linux_form;
        established_after(&f, 100);
        static const uint8_t d[10];
        uint64_t sent = f.now;
        ASSERT_EQ(synack_send(f.st, f.sd, f.now, d, sizeof d), (long)sizeof d);
        EXPECT_SEG_AT(&f, sent, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 10);
        f.snd_nxt += 10;
        f.now = sent + 300 * MS;
        send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
        struct synack_sockinfo i = tcpf_info(&f);
        ASSERT_EQ(i.srtt_us, 125 * MS);
        ASSERT_EQ(i.rto_us, 475 * MS);
        tcpf_free(&f);
    }
}

TEST_MAIN()
