/*
 * eor_rexmit_test.c - records (SYNACK_SEND_EOR, Linux's MSG_EOR) stay apart when their
 * bytes are sent again: a retransmission ends at the first record end it reaches, with PSH
 * as that record's last segment first carried (Linux never collapses an skb marked EOR
 * into its neighbour, tcp_can_collapse/tcp_skb_can_collapse; eor/no-coalesce-retrans.pkt).
 */
#include "tcp_fixture.h"

#define MS 1000ull

static void record(struct tcpf *f, uint32_t n)
{
    static uint8_t buf[2000];
    ASSERT(n <= sizeof buf);
    ASSERT_EQ(synack_send_flags(f->st, f->sd, f->now, buf, n, SYNACK_SEND_EOR), (long)n);
}

/* Three records of 400 bytes, sent as three segments, none acknowledged. */
static uint32_t three_records(struct tcpf *f)
{
    tcpf_config(f);
    conn_in_established(f);
    ASSERT_EQ(synack_setopt(f->st, f->sd, SYNACK_OPT_NODELAY, 1), 0); /* all three at once */
    uint32_t s = f->snd_nxt;
    for (int i = 0; i < 3; i++) record(f, 400);
    for (uint32_t i = 0; i < 3; i++)
        EXPECT_SEG(f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, s + i * 400, f->rcv_nxt, 400);
    EXPECT_NOTHING(f);
    return s;
}

TEST(retransmissions_resend_one_record_at_a_time)
{
    struct tcpf f;
    uint32_t s = three_records(&f);
    /* Whatever timer fires first (the tail loss probe resends the last record, RFC 8985
     * §7.3; the retransmission timeout the first, RFC 6298 §5.4), each retransmission is
     * one record with its PSH, never 1200 bytes across them. */
    uint64_t t = f.now;
    int seen = 0;
    for (int i = 0; i < 4 && seen < 3; i++) {
        t += 400 * MS;
        while (recv_seg(&f, t, NULL)) {
            uint32_t off = f.seg.tcp.seq - s;
            ASSERT_EQ(f.seg.payload_len, 400u);
            ASSERT_EQ(off % 400, 0u);
            ASSERT((f.seg.tcp.flags & SYNACK_TCP_PSH) != 0);
            seen++;
        }
    }
    ASSERT(seen > 0);
    tcpf_free(&f);
}

TEST_MAIN()
