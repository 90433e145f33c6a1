/*
 * blind_test.c - an off-path attacker learns nothing (the CVE-2016-5696 class).
 *
 * The attacker has a connection of its own to the stack, and can spoof segments that
 * claim to come from a victim's 4-tuple. It may count what the stack sends it: challenge
 * ACKs on its own connection, the IP IDs of what it receives, ping replies. None of those
 * may change with whether a spoofed guess fell in the victim's window.
 */
#include "tcp_fixture.h"

/* The IPv4 header of the last datagram the fixture received (f->rx). */
static uint16_t rx_ip_id(const struct tcpf *f)
{
    return (uint16_t)(f->rx[4] << 8 | f->rx[5]);
}
static bool rx_df(const struct tcpf *f)
{
    return (f->rx[6] & 0x40) != 0;
}

TEST(ip_ids_leak_nothing_across_connections)
{
    /* RFC 6864 §4.1: the ID field of an atomic datagram (DF set, not a fragment) has no
     * meaning; a shared counter would tell an observer how much the stack sent to others
     * (RFC 7739 §3). Every datagram synack sends is atomic and carries ID 0. */
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(synack_send(f.st, f.sd, f.now, "abc", 3), 3);
        struct synack_segment s;
        ASSERT(recv_seg(&f, f.now, &s));
        ASSERT(rx_df(&f));
        ASSERT_EQ(rx_ip_id(&f), 0);
        f.now += 1000;
        send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, s.tcp.seq + 3);
    }
    tcpf_free(&f);
}

TEST(ping_replies_are_atomic_with_id_zero)
{
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    uint8_t icmp[64], pkt[128];
    size_t n = wire_icmp_emit_echo(icmp, sizeof icmp, SYNACK_ICMP_ECHO_REQUEST, 7, 1,
                                   (const uint8_t *)"ping", 4);
    struct synack_ipv4_hdr ip = {
        .ttl = 64, .proto = SYNACK_IPPROTO_ICMP, .src = TCPF_PEER, .dst = TCPF_LOCAL, .id = 99};
    memcpy(pkt + WIRE_IPV4_HDR_LEN, icmp, n);
    size_t m = wire_ipv4_emit(pkt, sizeof pkt, &ip, n) + n; /* the header before the payload */
    ASSERT_EQ(synack_input(f.st, f.now, pkt, m), 0);
    int r = synack_output(f.st, f.now, f.rx, sizeof f.rx);
    ASSERT(r > 20);
    ASSERT(rx_df(&f));
    ASSERT_EQ(rx_ip_id(&f), 0);
    tcpf_free(&f);
}

TEST_MAIN()
