/*
 * zc_frags_test.c - a send given as an array of buffers (synack_sendv, Linux's sendmsg
 * iovec) and the limit of fragments per segment for zero-copy data (cfg.zc_max_frags,
 * Linux's MAX_SKB_FRAGS): copied, the elements are one stream; zero-copy, each element
 * stays where it is and is one fragment, one id and one notice per call, and no segment,
 * first transmission or retransmission, carries more fragments than the limit (the
 * figures of Linux's zerocopy/maxfrags.pkt).
 */
#include "tcp_fixture.h"

#define MS 1000ull

static void zc_on(struct tcpf *f)
{
    ASSERT_EQ(synack_setopt(f->st, f->sd, SYNACK_OPT_ZEROCOPY, 1), 0);
}

/* n one-byte elements, each its own buffer (bytes[i] = base + i). */
static long send_bytes(struct tcpf *f, uint8_t *bytes, int n, uint8_t base, unsigned flags)
{
    struct synack_iov iov[256];
    ASSERT(n <= 256);
    for (int i = 0; i < n; i++) {
        /* Every other byte of the array: elements never adjacent in memory. */
        iov[i] = (struct synack_iov){.base = &bytes[2 * i], .len = 1};
        bytes[2 * i] = (uint8_t)(base + i);
    }
    return synack_sendv(f->st, f->sd, f->now, iov, n, flags);
}

static void expect_data(struct tcpf *f, uint32_t seq, uint32_t len, bool psh, uint8_t first)
{
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.seq, seq);
    ASSERT_EQ(f->seg.payload_len, len);
    ASSERT_EQ((f->seg.tcp.flags & SYNACK_TCP_PSH) != 0, psh);
    for (uint32_t i = 0; i < len; i++) ASSERT_EQ(f->seg.payload[i], (uint8_t)(first + i));
}

static void ack_to(struct tcpf *f, uint32_t ack)
{
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, ack);
}

static void expect_zc_notice(struct tcpf *f, uint32_t lo, uint32_t hi)
{
    struct synack_notice n;
    ASSERT_EQ(synack_next_notice(f->st, f->sd, &n), 1);
    ASSERT_EQ(n.kind, SYNACK_NOTICE_ZEROCOPY);
    ASSERT_EQ(n.lo, lo);
    ASSERT_EQ(n.hi, hi);
    ASSERT(!n.copied);
}

static void start(struct tcpf *f, uint32_t max_frags)
{
    tcpf_config(f);
    f->cfg.zc_max_frags = max_frags;
    conn_in_established(f);
    zc_on(f);
}

TEST(copied_elements_are_one_stream_whatever_the_limit)
{
    struct tcpf f;
    start(&f, 17);
    static uint8_t b[1024];
    ASSERT_EQ(send_bytes(&f, b, 18, 1, 0), 18);
    expect_data(&f, f.iss + 1, 18, true, 1);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(synack_next_notice(f.st, f.sd, NULL), 0);
    tcpf_free(&f);
}

TEST(eighteen_zerocopy_elements_go_as_17_and_1_both_pushed)
{
    struct tcpf f;
    start(&f, 17);
    static uint8_t b[1024];
    ASSERT_EQ(send_bytes(&f, b, 18, 1, SYNACK_SEND_ZEROCOPY), 18);
    ASSERT_EQ(tcpf_info(&f).zerocopy_pending, 1); /* one send, eighteen fragments */
    /* By reference: a byte changed before the segment is built is the byte that goes. */
    b[2 * 5] = 99;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.seq, f.iss + 1);
    ASSERT_EQ(f.seg.payload_len, 17);
    ASSERT(f.seg.tcp.flags & SYNACK_TCP_PSH);
    ASSERT_EQ(f.seg.payload[4], 5);
    ASSERT_EQ(f.seg.payload[5], 99);
    ASSERT_EQ(f.seg.payload[16], 17);
    /* The last byte is short and a short segment is unacknowledged (Nagle, Minshall's
     * variant, as Linux holds its last buffer): it goes with the ACK. */
    EXPECT_NOTHING(&f);
    ack_to(&f, f.iss + 18);
    ASSERT_EQ(synack_next_notice(f.st, f.sd, NULL), 0); /* one byte of the send still out */
    expect_data(&f, f.iss + 18, 1, true, 18);
    ack_to(&f, f.iss + 19);
    expect_zc_notice(&f, 0, 0);
    ASSERT_EQ(tcpf_info(&f).zerocopy_pending, 0);
    tcpf_free(&f);
}

TEST(sixty_four_elements_go_as_17_17_17_13)
{
    struct tcpf f;
    start(&f, 17);
    static uint8_t b[1024];
    ASSERT_EQ(send_bytes(&f, b, 64, 0, SYNACK_SEND_ZEROCOPY), 64);
    uint32_t s = f.iss + 1;
    expect_data(&f, s, 17, true, 0);
    expect_data(&f, s + 17, 17, true, 17);
    expect_data(&f, s + 34, 17, true, 34);
    EXPECT_NOTHING(&f); /* the short tail waits for Nagle */
    ack_to(&f, s + 51);
    expect_data(&f, s + 51, 13, true, 51);
    ack_to(&f, s + 64);
    expect_zc_notice(&f, 0, 0);
    tcpf_free(&f);
}

TEST(no_limit_by_default)
{
    struct tcpf f;
    start(&f, 0);
    static uint8_t b[1024];
    ASSERT_EQ(send_bytes(&f, b, 64, 0, SYNACK_SEND_ZEROCOPY), 64);
    expect_data(&f, f.iss + 1, 64, true, 0);
    tcpf_free(&f);
}

TEST(a_retransmission_keeps_the_limit)
{
    struct tcpf f;
    start(&f, 4);
    static uint8_t b[1024];
    ASSERT_EQ(send_bytes(&f, b, 6, 10, SYNACK_SEND_ZEROCOPY), 6);
    expect_data(&f, f.iss + 1, 4, true, 10);
    /* Nothing acknowledged: the RTO resends the first four fragments, not six bytes. */
    f.now += tcpf_info(&f).rto_us;
    expect_data(&f, f.iss + 1, 4, true, 10);
    ack_to(&f, f.iss + 5);
    expect_data(&f, f.iss + 5, 2, true, 14);
    ack_to(&f, f.iss + 7);
    expect_zc_notice(&f, 0, 0);
    tcpf_free(&f);
}

TEST(copied_bytes_before_the_fragments_count_as_one)
{
    struct tcpf f;
    start(&f, 4);
    static uint8_t b[1024];
    static const uint8_t ten[10] = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109};
    /* Both queued before the stack builds a segment: ten copied bytes (one fragment) and
     * four zero-copy ones (four more): the segment stops after the third. */
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, ten, sizeof ten), 10);
    ASSERT_EQ(send_bytes(&f, b, 4, 110, SYNACK_SEND_ZEROCOPY), 4);
    expect_data(&f, f.iss + 1, 13, true, 100);
    EXPECT_NOTHING(&f);
    ack_to(&f, f.iss + 14);
    expect_data(&f, f.iss + 14, 1, true, 113);
    ack_to(&f, f.iss + 15);
    expect_zc_notice(&f, 0, 0);
    tcpf_free(&f);
}

TEST(large_elements_are_cut_by_the_mss_not_by_the_limit)
{
    struct tcpf f;
    start(&f, 17);
    static uint8_t big[3][2000];
    struct synack_iov iov[3];
    for (int i = 0; i < 3; i++) {
        memset(big[i], 'a' + i, sizeof big[i]);
        iov[i] = (struct synack_iov){.base = big[i], .len = sizeof big[i]};
    }
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, iov, 3, SYNACK_SEND_ZEROCOPY), 6000);
    uint32_t got = 0;
    while (recv_seg(&f, f.now, NULL)) {
        ASSERT(f.seg.payload_len <= 1460);
        for (uint32_t i = 0; i < f.seg.payload_len; i++)
            ASSERT_EQ(f.seg.payload[i], (uint8_t)('a' + (got + i) / 2000));
        got += f.seg.payload_len;
    }
    ASSERT_EQ(got, 6000);
    ack_to(&f, f.iss + 6001);
    expect_zc_notice(&f, 0, 0);
    tcpf_free(&f);
}

TEST(a_partial_take_stops_inside_an_element)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.zc_max_frags = 17;
    f.cfg.sndbuf = 2500;
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t a[2000], c[2000];
    struct synack_iov iov[2] = {{.base = a, .len = sizeof a}, {.base = c, .len = sizeof c}};
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, iov, 2, SYNACK_SEND_ZEROCOPY), 2500);
    ASSERT_EQ(tcpf_info(&f).snd_queued, 2500);
    ASSERT_EQ(tcpf_info(&f).zerocopy_pending, 1);
    tcpf_free(&f);
}

TEST(bad_arguments)
{
    struct tcpf f;
    start(&f, 17);
    static uint8_t b[4];
    struct synack_iov iov[1] = {{.base = b, .len = 4}};
    struct synack_iov null_base[1] = {{.base = NULL, .len = 4}};
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, iov, -1, 0), SYNACK_EINVAL);
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, iov, SYNACK_IOV_MAX + 1, 0), SYNACK_EINVAL);
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, NULL, 1, 0), SYNACK_EFAULT);
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, null_base, 1, 0), SYNACK_EFAULT);
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, iov, 0, 0), 0);
    ASSERT_EQ(synack_sendv(f.st, f.sd + 1, f.now, iov, 1, 0), SYNACK_EBADF);
    tcpf_free(&f);
}

TEST_MAIN()
