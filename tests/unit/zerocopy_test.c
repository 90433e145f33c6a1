/*
 * zerocopy_test.c - zero-copy sends (SYNACK_SEND_ZEROCOPY, Linux's MSG_ZEROCOPY) and
 * transmit timestamps (SYNACK_OPT_TIMESTAMPING, Linux's SO_TIMESTAMPING) on the tcp fixture:
 * the buffer is read for every transmission and released only by the cumulative ACK (not by
 * SACK), completions are coalesced into ranges of ids, copied before the connection is
 * established, released on reset and close, right across a sequence wrap; the limits; the
 * timestamps' moments, order, keys and clock.
 */
#include "tcp_fixture.h"

#define MS 1000ull

static void zc_on(struct tcpf *f)
{
    ASSERT_EQ(synack_setopt(f->st, f->sd, SYNACK_OPT_ZEROCOPY, 1), 0);
}

static long zc_send(struct tcpf *f, const uint8_t *buf, size_t n)
{
    return synack_send_flags(f->st, f->sd, f->now, buf, n, SYNACK_SEND_ZEROCOPY);
}

static void fill(uint8_t *buf, size_t n, uint8_t base)
{
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(base + i * 7);
}

/* The next segment carries exactly want[0..len). */
static void expect_payload(struct tcpf *f, uint32_t seq, const uint8_t *want, uint32_t len)
{
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.seq, seq);
    ASSERT_EQ(f->seg.payload_len, len);
    ASSERT_MEM_EQ(f->seg.payload, want, len);
}

static bool notice(struct tcpf *f, struct synack_notice *n)
{
    int r = synack_next_notice(f->st, f->sd, n);
    ASSERT(r == 0 || r == 1);
    return r == 1;
}

static void expect_zc_notice(struct tcpf *f, uint32_t lo, uint32_t hi, bool copied)
{
    struct synack_notice n;
    ASSERT(notice(f, &n));
    ASSERT_EQ(n.kind, SYNACK_NOTICE_ZEROCOPY);
    ASSERT_EQ(n.lo, lo);
    ASSERT_EQ(n.hi, hi);
    ASSERT_EQ(n.copied, copied);
}

static void ack_to(struct tcpf *f, uint32_t ack)
{
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, ack);
}

/* The peer takes and acknowledges everything queued, a window at a time. */
static void deliver_all(struct tcpf *f)
{
    for (int round = 0; round < 100; round++) {
        while (recv_seg(f, f->now, NULL)) {
        }
        struct synack_sockinfo in = tcpf_info(f);
        if (in.snd_queued == 0) return;
        ack_to(f, in.snd_nxt);
    }
    ASSERT(!"the queue never drained");
}

TEST(completion_after_the_ack_of_every_byte_and_not_before)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t buf[3000];
    fill(buf, sizeof buf, 1);
    ASSERT_EQ(zc_send(&f, buf, sizeof buf), 3000);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.snd_queued, 3000);
    ASSERT_EQ(in.zerocopy_pending, 1);
    expect_payload(&f, f.iss + 1, buf, 1460);
    expect_payload(&f, f.iss + 1461, buf + 1460, 1460);
    expect_payload(&f, f.iss + 2921, buf + 2920, 80);
    ASSERT(!(synack_events(f.st, f.sd) & SYNACK_EV_NOTICE));
    ack_to(&f, f.iss + 2921); /* all but the last 80 bytes */
    ASSERT(!notice(&f, NULL));
    ASSERT(!(synack_events(f.st, f.sd) & SYNACK_EV_NOTICE));
    /* Drain the readiness edge of the partial ACK first. */
    int sd;
    unsigned ev;
    while (synack_next_event(f.st, &sd, &ev)) {
    }
    ack_to(&f, f.iss + 3001);
    ASSERT_EQ(synack_next_event(f.st, &sd, &ev), 1);
    ASSERT_EQ(sd, f.sd);
    ASSERT(ev & SYNACK_EV_NOTICE);
    expect_zc_notice(&f, 0, 0, false);
    ASSERT(!notice(&f, NULL));
    ASSERT(!(synack_events(f.st, f.sd) & SYNACK_EV_NOTICE));
    in = tcpf_info(&f);
    ASSERT_EQ(in.zerocopy_pending, 0);
    ASSERT_EQ(in.notices, 1);
    struct synack_stats s;
    synack_get_stats(f.st, &s);
    ASSERT_EQ(s.zerocopy_sends, 1);
    ASSERT_EQ(s.zerocopy_copied, 0);
    tcpf_free(&f);
}

TEST(retransmission_reads_the_callers_buffer)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t buf[1000];
    fill(buf, sizeof buf, 3);
    ASSERT_EQ(zc_send(&f, buf, sizeof buf), 1000);
    expect_payload(&f, f.iss + 1, buf, 1000);
    /* The stack holds no copy: what the buffer holds when it retransmits is what goes
     * (an application must not do this; the test does, to see where the bytes come from). */
    fill(buf, sizeof buf, 99);
    struct synack_sockinfo in = tcpf_info(&f);
    f.now += in.rto_us;
    expect_payload(&f, f.iss + 1, buf, 1000);
    ack_to(&f, f.iss + 1001);
    expect_zc_notice(&f, 0, 0, false);
    tcpf_free(&f);
}

TEST(consecutive_completions_are_coalesced_into_one_range)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t a[100], b[200], c[300], d[400];
    ASSERT_EQ(zc_send(&f, a, sizeof a), 100);
    ASSERT_EQ(zc_send(&f, b, sizeof b), 200);
    ASSERT_EQ(zc_send(&f, c, sizeof c), 300);
    while (recv_seg(&f, f.now, NULL)) {
    }
    ack_to(&f, f.iss + 1 + 300); /* a and b */
    ack_to(&f, f.iss + 1 + 600); /* c */
    ASSERT_EQ(zc_send(&f, d, sizeof d), 400);
    while (recv_seg(&f, f.now, NULL)) {
    }
    ack_to(&f, f.iss + 1 + 1000); /* d, while [0, 2] is still unread: it grows */
    expect_zc_notice(&f, 0, 3, false);
    ASSERT(!notice(&f, NULL));
    tcpf_free(&f);
}

TEST(ring_data_and_zerocopy_data_interleave_in_order)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t want[4000], z1[700], z2[900];
    fill(want, sizeof want, 5);
    /* 500 copied, 700 zero-copy, 300 copied, 900 zero-copy, 100 copied. */
    memcpy(z1, want + 500, 700);
    memcpy(z2, want + 1500, 900);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, want, 500), 500);
    ASSERT_EQ(zc_send(&f, z1, 700), 700);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, want + 1200, 300), 300);
    ASSERT_EQ(zc_send(&f, z2, 900), 900);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, want + 2400, 100), 100);
    expect_payload(&f, f.iss + 1, want, 1460);
    expect_payload(&f, f.iss + 1461, want + 1460, 1040);
    /* An ACK in the middle of the first zero-copy send: it is not done; then the rest of
     * the data is lost and sent again from where each byte lives. */
    ack_to(&f, f.iss + 1 + 800);
    ASSERT(!notice(&f, NULL));
    struct synack_sockinfo in = tcpf_info(&f);
    f.now += in.rto_us;
    expect_payload(&f, f.iss + 801, want + 800, 1460);
    ack_to(&f, f.iss + 1 + 1500); /* z1 done, z2 not */
    expect_zc_notice(&f, 0, 0, false);
    ASSERT(!notice(&f, NULL));
    while (recv_seg(&f, f.now, NULL)) {
    }
    ack_to(&f, f.iss + 1 + 2500);
    expect_zc_notice(&f, 1, 1, false);
    in = tcpf_info(&f);
    ASSERT_EQ(in.snd_queued, 0);
    tcpf_free(&f);
}

TEST(sack_does_not_release_only_the_cumulative_ack_does)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_listen(&f);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1000;
    o.sack_permitted = true;
    send_seg(&f, f.now, SYNACK_TCP_SYN, f.irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    f.snd_nxt = f.iss + 1;
    f.rcv_nxt = f.irs + 1;
    ack_to(&f, f.iss + 1);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    zc_on(&f);
    static uint8_t buf[4000];
    fill(buf, sizeof buf, 9);
    ASSERT_EQ(zc_send(&f, buf, sizeof buf), 4000);
    for (int i = 0; i < 4; i++) expect_payload(&f, f.iss + 1 + 1000u * i, buf + 1000 * i, 1000);
    /* The first segment is lost; the peer holds the other three. */
    memset(&o, 0, sizeof o);
    o.sack_count = 1;
    o.sack[0].left = f.iss + 1001;
    o.sack[0].right = f.iss + 4001;
    f.now += TCPF_STEP;
    send_seg(&f, f.now, SYNACK_TCP_ACK, f.rcv_nxt, f.iss + 1, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT(!notice(&f, NULL));
    /* A retransmission of the hole comes from the buffer, whenever it goes. */
    struct synack_sockinfo in = tcpf_info(&f);
    f.now += in.rto_us;
    expect_payload(&f, f.iss + 1, buf, 1000);
    ASSERT(!notice(&f, NULL));
    ack_to(&f, f.iss + 4001);
    expect_zc_notice(&f, 0, 0, false);
    tcpf_free(&f);
}

TEST(sequence_wrap_inside_a_zerocopy_send)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.isn_fixed = true;
    f.cfg.isn_fixed_value = 0xffffffffu - 1500u;
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t buf[3000];
    fill(buf, sizeof buf, 11);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, 1000), 1000);
    ASSERT_EQ(zc_send(&f, buf + 1000, 2000), 2000); /* bytes 1000..2999 cross 2^32 at 1500 */
    expect_payload(&f, f.iss + 1, buf, 1460);
    expect_payload(&f, f.iss + 1461, buf + 1460, 1460);
    expect_payload(&f, f.iss + 2921, buf + 2920, 80);
    ack_to(&f, f.iss + 1 + 1600); /* past the wrap, inside the send */
    ASSERT(!notice(&f, NULL));
    struct synack_sockinfo in = tcpf_info(&f);
    f.now += in.rto_us;
    expect_payload(&f, f.iss + 1601, buf + 1600, 1400);
    ack_to(&f, f.iss + 3001);
    expect_zc_notice(&f, 0, 0, false);
    tcpf_free(&f);
}

TEST(a_reset_releases_every_buffer_and_reports_it)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t a[500], b[500];
    ASSERT_EQ(zc_send(&f, a, sizeof a), 500);
    ASSERT_EQ(zc_send(&f, b, sizeof b), 500);
    while (recv_seg(&f, f.now, NULL)) {
    }
    f.now += TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_RST, f.rcv_nxt, 0);
    EXPECT_STATE(&f, SYNACK_CLOSED);
    ASSERT(synack_events(f.st, f.sd) & SYNACK_EV_NOTICE);
    expect_zc_notice(&f, 0, 1, false);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.zerocopy_pending, 0);
    ASSERT_EQ(synack_close(f.st, f.sd, f.now), 0);
    tcpf_free(&f);
}

TEST(close_copies_what_zerocopy_sends_hold)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t want[1200], z[600];
    fill(want, sizeof want, 21);
    memcpy(z, want + 300, 600);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, want, 300), 300);
    ASSERT_EQ(zc_send(&f, z, 600), 600);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, want + 900, 300), 300);
    expect_payload(&f, f.iss + 1, want, 1200);
    ASSERT_EQ(synack_close(f.st, f.sd, f.now), 0);
    memset(z, 0xee, sizeof z); /* the application reuses its buffer at once */
    EXPECT_SEG(&f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f.iss + 1201, f.rcv_nxt, 0);
    /* Everything is lost: the retransmission still carries the bytes sent. */
    f.now += 200 * MS;
    expect_payload(&f, f.iss + 1, want, 1200);
    tcpf_free(&f);
}

TEST(close_at_the_memory_limit_still_copies_and_closes_gracefully)
{
    /* The stack's rings are held to 8 KiB (cfg.mem_max) and 20,000 bytes are lent by
     * zero-copy sends when the application closes: the copy needs more ring memory than
     * the limit allows. Close must neither fail nor abort for it (the application cannot
     * release anything else, and a graceful close was asked for): the copy is made past
     * the limit, as Linux forces the memory a FIN needs (sk_forced_mem_schedule), and the
     * stream ends with every byte and a FIN, no reset. */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.mem_max = 8192;
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t want[20300], z[20000];
    fill(want, sizeof want, 41);
    memcpy(z, want + 300, sizeof z);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, want, 300), 300);
    ASSERT_EQ(zc_send(&f, z, sizeof z), (long)sizeof z);
    while (recv_seg(&f, f.now, NULL)) {
    }
    struct synack_stats s;
    synack_get_stats(f.st, &s);
    uint64_t refused = s.mem_refused;
    ASSERT_EQ(synack_close(f.st, f.sd, f.now), 0);
    memset(z, 0xee, sizeof z); /* the application reuses its buffer at once */
    synack_get_stats(f.st, &s);
    ASSERT_EQ(s.mem_refused, refused); /* the copy was not refused */
    EXPECT_STATE(&f, SYNACK_FIN_WAIT_1);
    /* Nothing was acknowledged: the retransmissions carry the bytes from the copy, then
     * the FIN; never a reset. */
    uint32_t got = 0;
    bool fin = false;
    for (int round = 0; round < 50 && !fin; round++) {
        f.now += 300 * MS;
        while (recv_seg(&f, f.now, NULL)) {
            ASSERT((f.seg.tcp.flags & SYNACK_TCP_RST) == 0);
            uint32_t off = f.seg.tcp.seq - (f.iss + 1);
            if (f.seg.payload_len > 0) {
                ASSERT(off + f.seg.payload_len <= sizeof want);
                ASSERT_MEM_EQ(f.seg.payload, want + off, f.seg.payload_len);
                if (off == got) got += f.seg.payload_len;
            }
            if ((f.seg.tcp.flags & SYNACK_TCP_FIN) && off + f.seg.payload_len == sizeof want)
                fin = got == sizeof want;
        }
        if (got > 0) ack_to(&f, f.iss + 1 + got);
    }
    ASSERT_EQ(got, sizeof want);
    ASSERT(fin);
    ack_to(&f, f.iss + 1 + (uint32_t)sizeof want + 1);
    EXPECT_STATE(&f, SYNACK_FIN_WAIT_2);
    tcpf_free(&f);
}

TEST(copied_before_the_connection_is_established)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_syn_sent(&f);
    zc_on(&f);
    static uint8_t buf[800];
    fill(buf, sizeof buf, 31);
    ASSERT_EQ(zc_send(&f, buf, sizeof buf), 800);
    memset(buf, 0, sizeof buf); /* copied: the buffer is the application's again */
    f.now += TCPF_STEP;
    send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 1);
    f.rcv_nxt = f.irs + 1;
    ASSERT(recv_seg(&f, f.now, NULL));
    if (f.seg.payload_len == 0) ASSERT(recv_seg(&f, f.now, NULL)); /* the handshake's ACK */
    ASSERT_EQ(f.seg.payload_len, 800);
    fill(buf, sizeof buf, 31);
    ASSERT_MEM_EQ(f.seg.payload, buf, 800);
    ack_to(&f, f.iss + 801);
    expect_zc_notice(&f, 0, 0, true);
    struct synack_stats s;
    synack_get_stats(f.st, &s);
    ASSERT_EQ(s.zerocopy_copied, 1);
    tcpf_free(&f);
}

TEST(without_the_option_the_flag_is_an_ordinary_send)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    static uint8_t buf[100];
    ASSERT_EQ(zc_send(&f, buf, sizeof buf), 100);
    while (recv_seg(&f, f.now, NULL)) {
    }
    ack_to(&f, f.iss + 101);
    ASSERT(!notice(&f, NULL));
    ASSERT_EQ(synack_send_flags(f.st, f.sd, f.now, buf, 1, 0x80), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_ZEROCOPY, 2), SYNACK_EINVAL);
    tcpf_free(&f);
}

TEST(limits_count_against_the_send_buffer_and_the_outstanding_sends)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.sndbuf = 16384;
    conn_in_established(&f);
    zc_on(&f);
    static uint8_t big[20000], one[1];
    ASSERT_EQ(zc_send(&f, big, sizeof big), 16384);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, one, 1), SYNACK_EAGAIN);
    ASSERT(!(synack_events(f.st, f.sd) & SYNACK_EV_WRITABLE));
    deliver_all(&f);
    expect_zc_notice(&f, 0, 0, false);
    /* SYNACK_ZEROCOPY_MAX sends outstanding (a limit of the number, not of bytes). */
    for (int i = 0; i < SYNACK_ZEROCOPY_MAX; i++) ASSERT_EQ(zc_send(&f, one, 1), 1);
    ASSERT_EQ(zc_send(&f, one, 1), SYNACK_ENOBUFS);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, one, 1), 1); /* a copy still goes */
    deliver_all(&f);
    /* Done, but unread: coalesced into one notice, so 63 more may go. */
    expect_zc_notice(&f, 1, SYNACK_ZEROCOPY_MAX, false);
    ASSERT_EQ(zc_send(&f, one, 1), 1);
    tcpf_free(&f);
}

TEST(fast_open_syn_data_sent_zerocopy_is_copied_and_reported)
{
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    f.pport = TCPF_SRV_PORT;
    /* No cookie needed (Linux's tcp_fastopen 0x4): the SYN carries the data at once. */
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_CLIENT | SYNACK_TFO_CLIENT_NO_COOKIE), 0);
    f.sd = synack_socket(f.st);
    zc_on(&f);
    static uint8_t buf[500];
    fill(buf, sizeof buf, 41);
    struct synack_addr peer = synack_addr_v4(TCPF_PEER);
    ASSERT_EQ(synack_connect_data_flags(f.st, f.sd, f.now, peer, TCPF_SRV_PORT, buf, 500, 0x1),
              SYNACK_EINVAL);
    ASSERT_EQ(synack_connect_data_flags(f.st, f.sd, f.now, peer, TCPF_SRV_PORT, buf, 500,
                                        SYNACK_SEND_ZEROCOPY),
              500);
    memset(buf, 0, sizeof buf); /* copied: not established */
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(f.seg.payload_len, 500);
    fill(buf, sizeof buf, 41);
    ASSERT_MEM_EQ(f.seg.payload, buf, 500);
    f.iss = f.seg.tcp.seq;
    ASSERT(!notice(&f, NULL));
    f.now += TCPF_STEP;
    send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 501);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    expect_zc_notice(&f, 0, 0, true);
    tcpf_free(&f);
}

/* ---- transmit timestamps ------------------------------------------------------------- */

static void expect_ts(struct tcpf *f, int which, uint32_t key, uint64_t when)
{
    struct synack_notice n;
    ASSERT(notice(f, &n));
    ASSERT_EQ(n.kind, SYNACK_NOTICE_TSTAMP);
    ASSERT_EQ(n.tstamp, which);
    ASSERT_EQ(n.key, key);
    ASSERT_EQ(n.time_us, when);
}

#define TS_ALL                                                                                     \
    (SYNACK_TS_TX_SCHED | SYNACK_TS_TX_SOFTWARE | SYNACK_TS_TX_ACK | SYNACK_TS_OPT_ID | 0x10)

TEST(timestamps_of_each_send_in_order_with_byte_counter_keys)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_listen(&f);
    /* OPT_ID needs a connection to count from (Linux: EINVAL on CLOSE and LISTEN). */
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_TIMESTAMPING, TS_ALL), SYNACK_EINVAL);
    tcpf_free(&f);
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_TIMESTAMPING, 1L << 20), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_TIMESTAMPING, 0x10000), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_TIMESTAMPING, TS_ALL), 0);
    static uint8_t buf[2000];
    uint64_t t0 = f.now;
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, 1000), 1000);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, 1000), 1000);
    ASSERT(!notice(&f, NULL)); /* nothing built yet: a user call never sends */
    while (recv_seg(&f, f.now, NULL)) {
    }
    expect_ts(&f, SYNACK_TSTAMP_SCHED, 999, t0);
    expect_ts(&f, SYNACK_TSTAMP_SND, 999, t0);
    expect_ts(&f, SYNACK_TSTAMP_SCHED, 1999, t0);
    expect_ts(&f, SYNACK_TSTAMP_SND, 1999, t0);
    ASSERT(!notice(&f, NULL));
    ack_to(&f, f.iss + 1000); /* not yet the first send's last byte */
    ASSERT(!notice(&f, NULL));
    ack_to(&f, f.iss + 1001);
    expect_ts(&f, SYNACK_TSTAMP_ACK, 999, f.now);
    ack_to(&f, f.iss + 2001);
    expect_ts(&f, SYNACK_TSTAMP_ACK, 1999, f.now);
    ASSERT(!notice(&f, NULL));
    tcpf_free(&f);
}

TEST(timestamp_of_a_send_whose_last_byte_waits_for_the_window)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_TIMESTAMPING, TS_ALL), 0);
    static uint8_t buf[20000];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, sizeof buf), 20000);
    while (recv_seg(&f, f.now, NULL)) {
    }
    ASSERT(!notice(&f, NULL)); /* the initial window holds 10 segments, not 20000 bytes */
    struct synack_sockinfo in = tcpf_info(&f);
    ack_to(&f, in.snd_nxt);
    uint64_t t1 = f.now;
    while (recv_seg(&f, f.now, NULL)) {
    }
    expect_ts(&f, SYNACK_TSTAMP_SCHED, 19999, t1);
    expect_ts(&f, SYNACK_TSTAMP_SND, 19999, t1);
    ASSERT(!notice(&f, NULL));
    tcpf_free(&f);
}

TEST(timestamps_without_opt_id_have_key_zero_and_only_the_moments_asked)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_TIMESTAMPING, SYNACK_TS_TX_ACK), 0);
    static uint8_t buf[10];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, 10), 10);
    while (recv_seg(&f, f.now, NULL)) {
    }
    ASSERT(!notice(&f, NULL));
    ack_to(&f, f.iss + 11);
    expect_ts(&f, SYNACK_TSTAMP_ACK, 0, f.now);
    tcpf_free(&f);
}

TEST_MAIN()
