/*
 * urgent_test.c - the receive side's urgent pointer (RFC 9293 §3.8.5, §3.10.7.4 sixth
 * step): RCV.UP is max(RCV.UP, SEG.UP), and synack_sockinfo.rcv_urgent says how many bytes
 * the application still has to read up to it (MUST-33), 0 once it has read past it. The
 * urgent bytes themselves stay in the stream (RFC 6093 §6).
 */
#include "tcp/stack.h"
#include "tcp_fixture.h"

static int send_urg(struct tcpf *f, uint32_t seq, uint16_t up, size_t n)
{
    static uint8_t data[1000];
    /* send_seg has no urgent pointer: the fixture's headers, then the pointer. */
    struct synack_ipv4_hdr ip;
    struct synack_tcp_hdr h;
    tcpf_peer_hdrs(f, &ip, &h, SYNACK_TCP_ACK | SYNACK_TCP_URG, seq, f->snd_nxt, TCPF_PEER_WIN);
    h.urg = up;
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)i;
    uint8_t buf[2048];
    size_t len = wire_segment_emit(buf, sizeof buf, &ip, &h, data, n);
    ASSERT(len > 0);
    return synack_input(f->st, f->now, buf, len);
}

static uint32_t urgent(struct tcpf *f)
{
    return tcpf_info(f).rcv_urgent;
}

static void read_n(struct tcpf *f, size_t n)
{
    uint8_t buf[1000];
    ASSERT_EQ(synack_recv(f->st, f->sd, f->now, buf, n), (long)n);
}

TEST(no_urgent_data_no_mark)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(urgent(&f), 0);
    send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt, 100);
    ASSERT_EQ(urgent(&f), 0);
    tcpf_free(&f);
}

TEST(the_mark_counts_down_as_the_application_reads)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    /* 100 bytes, the urgent pointer 100: the urgent data ends after the last of them. */
    ASSERT_EQ(send_urg(&f, f.rcv_nxt, 100, 100), 0);
    ASSERT_EQ(tcpf_info(&f).rcv_queued, 100); /* the urgent bytes stay in the stream */
    ASSERT_EQ(urgent(&f), 100);
    read_n(&f, 99);
    ASSERT_EQ(urgent(&f), 1);
    read_n(&f, 1);
    ASSERT_EQ(urgent(&f), 0);
    struct synack_stats s;
    synack_get_stats(f.st, &s);
    ASSERT_EQ(s.urgent_in, 1);
    tcpf_free(&f);
}

TEST(the_pointer_only_moves_forward)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    uint32_t s = f.rcv_nxt;
    ASSERT_EQ(send_urg(&f, s, 300, 100), 0); /* urgent data beyond what arrived */
    ASSERT_EQ(urgent(&f), 300);
    ASSERT_EQ(send_urg(&f, s + 100, 50, 100), 0); /* SEG.UP = s + 150: behind RCV.UP */
    ASSERT_EQ(urgent(&f), 300);
    ASSERT_EQ(send_urg(&f, s + 200, 150, 100), 0); /* s + 350: ahead */
    ASSERT_EQ(urgent(&f), 350);
    read_n(&f, 300);
    ASSERT_EQ(urgent(&f), 50);
    tcpf_free(&f);
}

TEST(a_mark_already_read_is_none)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    uint32_t s = f.rcv_nxt;
    send_data(&f, SYNACK_TCP_ACK, s, f.snd_nxt, 100);
    read_n(&f, 100);
    /* A retransmission's stale pointer, or one into data already read. */
    ASSERT_EQ(send_urg(&f, s + 100, 0, 10), 0);
    ASSERT_EQ(urgent(&f), 0);
    tcpf_free(&f);
}

/* The stream moved on by 2^31 bytes, all of them read, since the mark (a long-lived
 * connection whose peer sent one urgent byte near its start, as telnet's or FTP's ABOR
 * does): RCV.NXT and what follows it are moved here rather than by 2 GiB of segments. */
static void skip_half_the_space(struct tcpf *f)
{
    struct tcb *t = &sock_of(f->st, f->sd)->tcb;
    ASSERT_EQ(t->rcv.len, 0);
    uint32_t d = 0x80000000u + 100u;
    t->rcv_nxt += d;
    t->rcv_adv += d;
    t->rcvq_seq += d;
    f->rcv_nxt += d;
}

/* A mark the application read past is over, however far the stream goes on (Linux clears
 * tp->urg_data once copied_seq passes it): compared with sequence arithmetic it would come
 * back 2^31 bytes later as 2 GiB of urgent data still to read, and a new urgent pointer,
 * "behind" the stale RCV.UP, would be ignored. */
TEST(a_mark_read_past_stays_over_after_half_the_sequence_space)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(send_urg(&f, f.rcv_nxt, 10, 10), 0);
    f.rcv_nxt += 10;
    ASSERT_EQ(urgent(&f), 10);
    read_n(&f, 10);
    ASSERT_EQ(urgent(&f), 0);
    skip_half_the_space(&f);
    ASSERT_EQ(urgent(&f), 0);
    ASSERT_EQ(send_urg(&f, f.rcv_nxt, 5, 10), 0);
    ASSERT_EQ(tcpf_info(&f).rcv_queued, 10);
    ASSERT_EQ(urgent(&f), 5);
    tcpf_free(&f);
}

TEST_MAIN()
