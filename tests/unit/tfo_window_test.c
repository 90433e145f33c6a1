/*
 * tfo_window_test.c - a connection born from a Fast Open SYN sends before the handshake's
 * ACK (RFC 7413 §4.2.2) as Linux's child does: its window and congestion window count from
 * ISS + 1, so the client's window of 10000 bytes takes 10000 bytes, in packets of half
 * that window (tcp/tcp_tso.c; fastopen/server/opt34/simple3.pkt).
 */
#include "tcp_fixture.h"

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

TEST(a_fast_open_child_fills_the_peers_window_before_the_handshake_ack)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.fastopen_key_set = true;
    memcpy(f.cfg.fastopen_key, key, 16);
    conn_in_listen(&f);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_FASTOPEN, 4), 0);
    struct synack_addr c = synack_addr_v4(TCPF_PEER), s = synack_addr_v4(TCPF_LOCAL);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1000;
    o.fo_kind = SYNACK_TCP_FO;
    o.fo_len = 8;
    synack_fastopen_cookie(key, &c, &s, o.fo_cookie);
    uint8_t data[100];
    memset(data, 'a', sizeof data);
    send_seg(&f, f.now, SYNACK_TCP_SYN, f.irs, 0, 10000, data, sizeof data, &o);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    f.iss = f.seg.tcp.seq;
    f.rcv_nxt = f.irs + 1 + sizeof data;
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    EXPECT_STATE(&f, SYNACK_SYN_RECEIVED);
    static uint8_t buf[15000];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, sizeof buf), (long)sizeof buf);
    /* Ten segments (the initial window, and all of the peer's 10000 bytes), in two packets
     * of five: PSH on the fifth and the tenth. */
    for (uint32_t i = 0; i < 10; i++) {
        uint16_t fl = SYNACK_TCP_ACK | (i % 5 == 4 ? SYNACK_TCP_PSH : 0);
        EXPECT_SEG(&f, fl, f.iss + 1 + i * 1000, f.rcv_nxt, 1000);
    }
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

TEST_MAIN()
