/*
 * user_calls_test.c - user calls change state; only the calls that carry `now`
 * (synack_output, synack_poll, synack_input) build segments (docs/architecture.md).
 *
 * The bug this pins: synack_setopt(NODELAY) used to run the output path with now = 0, so
 * a segment Nagle had held went out stamped with a timestamp a whole uptime in the past
 * (a PAWS-checking peer drops it) and started an RTT measurement at time 0, whose sample
 * then blew SRTT up to the uptime (seen: 3.4 ms -> 12.5 s, and the RTO to its maximum).
 */
#include "tcp_fixture.h"

/* ESTABLISHED with timestamps (the peer offered them in its SYN). */
static void established_with_ts(struct tcpf *f)
{
    tcpf_config(f);
    f->peer_ts = true;
    f->peer_tsval = 5000;
    conn_in_established(f);
    ASSERT(tcpf_info(f).ts_ok);
}

/* The peer's ACK, with a timestamp echoing ecr. */
static void peer_ack_ts(struct tcpf *f, uint32_t ack, uint32_t ecr)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = true;
    o.ts_val = ++f->peer_tsval;
    o.ts_ecr = ecr;
    send_seg(f, f->now, SYNACK_TCP_ACK, f->rcv_nxt, ack, TCPF_PEER_WIN, NULL, 0, &o);
}

TEST(setopt_nodelay_releases_held_data_with_the_clock_of_the_next_output)
{
    struct tcpf f;
    established_with_ts(&f);
    f.now = 100ull * 1000000; /* a long uptime: time 0 is far in the past */

    /* A short segment goes out and is not acknowledged: Nagle holds the next one. */
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, "a", 1), 1);
    struct synack_segment a;
    ASSERT(recv_seg(&f, f.now, &a));
    ASSERT_EQ(a.payload_len, 1u);
    uint32_t ts_a = a.tcp.opts.ts_val;

    f.now += 1000;
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, "b", 1), 1);
    EXPECT_NOTHING(&f); /* held by Nagle behind the unacknowledged short segment */

    f.now += 10000;
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_NODELAY, 1), 0);
    /* The held byte goes out at the next output, stamped with that call's clock. */
    f.now += 5000;
    struct synack_segment b;
    ASSERT(recv_seg(&f, f.now, &b));
    ASSERT_EQ(b.payload_len, 1u);
    ASSERT(b.tcp.opts.has_ts);
    uint32_t expect_ts = ts_a + (uint32_t)((f.now - 100ull * 1000000) / 1000);
    ASSERT_EQ(b.tcp.opts.ts_val, expect_ts);

    /* Both bytes are acknowledged 20 ms later: the RTT estimate stays near 20 ms. */
    f.now += 20000;
    peer_ack_ts(&f, b.tcp.seq + 1, b.tcp.opts.ts_val);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT(in.srtt_us < 1000000);
    ASSERT(in.rto_us < 5000000);
    tcpf_free(&f);
}

TEST(user_calls_queue_nothing_until_an_output_call)
{
    /* send(), shutdown() and a window-opening recv() change state and mark the socket;
     * the segments appear only when synack_output() runs, with its clock. */
    struct tcpf f;
    established_with_ts(&f);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, "xyz", 3), 3);
    ASSERT_EQ(synack_shutdown(f.st, f.sd, f.now, SYNACK_SHUT_WR), 0);
    /* The next deadline says "now": there is output to build. */
    ASSERT_EQ(synack_next_deadline(f.st), 0u);
    f.now += 7000;
    struct synack_segment s;
    ASSERT(recv_seg(&f, f.now, &s));
    ASSERT_EQ(s.payload_len, 3u);
    ASSERT(s.tcp.flags & SYNACK_TCP_FIN);
    EXPECT_STATE(&f, SYNACK_FIN_WAIT_1);
    tcpf_free(&f);
}

/* A NULL buffer with a length is SYNACK_EFAULT (Linux's EFAULT for write, send, read, recv:
 * issue 13) where bytes would be copied, and nothing is queued or consumed; a length of 0
 * with NULL is no error. */
TEST(null_buffer_is_efault_and_changes_nothing)
{
    struct tcpf f;
    established_with_ts(&f);
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 10);
    f.rcv_nxt += 10;
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, NULL, 5), SYNACK_EFAULT);
    ASSERT_EQ(synack_send_flags(f.st, f.sd, f.now, NULL, 5, SYNACK_SEND_MORE), SYNACK_EFAULT);
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, NULL, 5), SYNACK_EFAULT);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, NULL, 0), 0);
    ASSERT_EQ(tcpf_info(&f).snd_queued, 0);
    char buf[16];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), 10);
    /* A Fast Open connect reads its buffer only for the SYN's data: without a cookie the
     * SYN asks for one and reads nothing, so a NULL buffer is not yet a fault (as Linux's
     * tcp_sendmsg_fastopen; fastopen_test has the cases with a cookie). */
    int sd = synack_socket(f.st);
    ASSERT(sd >= 0);
    ASSERT_EQ(synack_connect_data(f.st, sd, f.now, synack_addr_v4(TCPF_PEER), 80, NULL, 5),
              SYNACK_EINPROGRESS);
    ASSERT(strcmp(synack_strerror(SYNACK_EFAULT), synack_strerror(-1000)) != 0);
    tcpf_free(&f);
}

TEST_MAIN()
