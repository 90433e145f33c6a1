/*
 * recv_discard_test.c - synack_recv_discard: in-order bytes dropped without a copy (Linux's
 * recv with MSG_TRUNC on a TCP socket), for consumers that only count, as serve's discard
 * service (RFC 863). It must drop exactly the bytes synack_recv would have returned, report
 * the end of stream and the errors as synack_recv does, and open the window as a read does.
 */
#include "tcp_fixture.h"

/* The bytes go in order: what is dropped is what a read would have returned, and the next
 * read returns what follows. */
TEST(discard_drops_the_next_bytes_in_order)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_recv_discard(f.st, f.sd, f.now, 100), SYNACK_EAGAIN);
    send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt, 1000); /* 'a' + i % 26 */
    ASSERT_EQ(synack_recv_discard(f.st, f.sd, f.now, 10), 10);
    uint8_t buf[8];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, 5), 5);
    for (int i = 0; i < 5; i++) ASSERT_EQ(buf[i], 'a' + (10 + i) % 26);
    /* More asked than there is: what there is. */
    ASSERT_EQ(synack_recv_discard(f.st, f.sd, f.now, 1u << 20), 985);
    ASSERT_EQ(synack_recv_discard(f.st, f.sd, f.now, 1u << 20), SYNACK_EAGAIN);
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), SYNACK_EAGAIN);
    /* The peer's FIN after 300 more bytes: those, then the end of stream. */
    send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt + 1000, f.snd_nxt, 300);
    send_ctl(&f, SYNACK_TCP_ACK | SYNACK_TCP_FIN, f.rcv_nxt + 1300, f.snd_nxt);
    ASSERT_EQ(synack_recv_discard(f.st, f.sd, f.now, 1u << 20), 300);
    ASSERT_EQ(synack_recv_discard(f.st, f.sd, f.now, 1u << 20), 0);
    ASSERT_EQ(synack_recv_discard(f.st, -1, f.now, 1), SYNACK_EBADF);
    tcpf_free(&f);
}

/* Dropping opens the window as reading does: the same window update, at the same moment,
 * as window_test's a_read_sends_a_window_update_only_when_the_window_doubles. */
TEST(discard_sends_the_window_update_a_read_would)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.rcvbuf = 65536;
    conn_in_established(&f);
    uint32_t cap = tcpf_info(&f).rcv_wnd, fill = cap - 7000, sent = 0;
    while (sent < fill) {
        uint32_t n = fill - sent < 1000 ? fill - sent : 1000;
        send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt + sent, f.snd_nxt, n);
        sent += n;
        while (recv_seg(&f, f.now, NULL)) {
        }
    }
    f.now += 100 * 1000; /* past the delayed ACK */
    while (recv_seg(&f, f.now, NULL)) {
    }
    uint32_t adv = (uint32_t)f.seg.tcp.window << tcpf_info(&f).rcv_wscale;
    ASSERT(adv <= 7000 + 1024);
    ASSERT_EQ(synack_recv_discard(f.st, f.sd, f.now, 5000), 5000);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(synack_recv_discard(f.st, f.sd, f.now, 5000), 5000);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_ACK);
    ASSERT((uint32_t)f.seg.tcp.window << tcpf_info(&f).rcv_wscale >= 2 * adv);
    /* And exactly 10,000 bytes went: the rest is still there to read. */
    static uint8_t rest[65536];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, rest, sizeof rest), (long)(fill - 10000));
    tcpf_free(&f);
}

TEST_MAIN()
