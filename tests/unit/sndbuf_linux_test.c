/*
 * sndbuf_linux_test.c - Linux's send-buffer accounting (cfg.sndbuf_linux, tcp/tcp_sndbuf.c):
 * a write fills buffers of Linux's size goal (tcp/tcp_tso.c), opens a new one while the
 * bytes plus 832 per buffer are below sndbuf and the unsent bytes below the low-water mark,
 * and the socket is writable when a third of sndbuf is free. The figures are Linux 6.18's
 * for the same exchanges (packetdrill against the kernel: notsent_lowat/notsent-lowat-
 * setsockopt.pkt takes 26000 of 59000 with a 16000-byte goal, tests/packetdrill/
 * sockopts-buffers-reuseaddr.pkt 42000 of 50000 with a 40000-byte buffer).
 */
#include "tcp_fixture.h"

static uint8_t buf[131072];

/* Established with a peer MSS of 1000 and its window of 65535: Linux's size goal is then
 * 32 segments (half the window), and the initial window lets 10 segments go at once. */
static void setup(struct tcpf *f, bool linux_rule)
{
    tcpf_config(f);
    f->cfg.sndbuf_linux = linux_rule;
    f->peer_mss = 1000;
    conn_in_established(f);
}

static long write_n(struct tcpf *f, uint32_t n)
{
    ASSERT(n <= sizeof buf);
    return synack_send(f->st, f->sd, f->now, buf, n);
}

/* Sends what the stack has to send; the segments' bytes. */
static uint32_t drain(struct tcpf *f)
{
    uint32_t n = 0;
    while (recv_seg(f, f->now, NULL)) n += f->seg.payload_len;
    return n;
}

static bool writable(struct tcpf *f)
{
    return (synack_events(f->st, f->sd) & SYNACK_EV_WRITABLE) != 0;
}

TEST(notsent_lowat_is_checked_per_buffer_and_the_first_buffer_goes_at_once)
{
    struct tcpf f;
    setup(&f, true);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_NOTSENT_LOWAT, 4000), 0);
    /* A buffer of 32000 fills; 10000 of it go at once (cwnd), the 22000 left are filled up
     * to 32000 again; 32000 unsent is above the mark: no third buffer. */
    ASSERT_EQ(write_n(&f, 100000), 42000);
    ASSERT_EQ(write_n(&f, 1000), SYNACK_EAGAIN);
    ASSERT_EQ(drain(&f), 10000u);
    ASSERT(!writable(&f));
    tcpf_free(&f);
}

TEST(synack_rule_takes_what_the_ring_holds_below_the_mark)
{
    /* The same write without cfg.sndbuf_linux: the mark is checked once, when the write
     * starts, and the ring of 65536 bytes takes the rest. */
    struct tcpf f;
    setup(&f, false);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_NOTSENT_LOWAT, 4000), 0);
    ASSERT_EQ(write_n(&f, 100000), 65536);
    tcpf_free(&f);
}

TEST(the_last_buffer_may_go_past_sndbuf_each_buffer_charged_832_bytes_more)
{
    struct tcpf f;
    setup(&f, true);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SNDBUF, 50000), 0);
    /* 42000 in two buffers (and the part sent) charge 43664: a third buffer opens, and
     * then 74000 + 3 x 832 is past 50000. */
    ASSERT_EQ(write_n(&f, 100000), 74000);
    ASSERT_EQ(write_n(&f, 1), SYNACK_EAGAIN);
    ASSERT(!writable(&f));
    /* The buffers keep where the write cut them: after an ACK lets 12000 more go, the
     * last buffer, [42000, 74000), is still full, and the charge past 50000. */
    ASSERT_EQ(drain(&f), 10000u);
    f.now += 10 * TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 10000);
    ASSERT_EQ(drain(&f), 12000u);
    ASSERT_EQ(write_n(&f, 1), SYNACK_EAGAIN);
    tcpf_free(&f);

    setup(&f, true);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SNDBUF, 40000), 0);
    ASSERT_EQ(write_n(&f, 100000), 42000); /* 43664 charged: no third buffer */
    tcpf_free(&f);
}

TEST(writable_when_a_third_of_the_buffer_is_free)
{
    struct tcpf f;
    setup(&f, true);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SNDBUF, 50000), 0);
    ASSERT_EQ(write_n(&f, 20000), 20000);
    ASSERT_EQ(drain(&f), 10000u);
    /* 10000 sent and 10000 unsent, one buffer each: 21664 charged, 28336 free. */
    ASSERT(writable(&f));
    /* The unsent buffer grows (no new one): 31664 charged, 18336 free >= 15832. */
    ASSERT_EQ(write_n(&f, 10000), 10000);
    ASSERT(writable(&f));
    /* 35664 charged, 14336 free < 17832: not writable, though a write is still taken. */
    ASSERT_EQ(write_n(&f, 4000), 4000);
    ASSERT(!writable(&f));
    ASSERT_EQ(write_n(&f, 1000), 1000);
    /* The peer acknowledges the 10000 sent: 25000 unsent charged 25832, writable again. */
    f.now += 10 * TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 10000);
    ASSERT(writable(&f));
    tcpf_free(&f);
}

TEST(synack_rule_is_writable_while_the_ring_has_room)
{
    struct tcpf f;
    setup(&f, false);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SNDBUF, 50000), 0);
    ASSERT_EQ(write_n(&f, 34000), 34000);
    ASSERT(writable(&f));
    tcpf_free(&f);
}

/* 10000 bytes in flight (the initial window, one buffer), then a buffer of 15664 bytes:
 * 10832 charged. */
static void window_full(struct tcpf *f)
{
    setup(f, true);
    ASSERT_EQ(write_n(f, 10000), 10000);
    ASSERT_EQ(drain(f), 10000u);
    ASSERT_EQ(synack_setopt(f->st, f->sd, SYNACK_OPT_SNDBUF, 15664), 0);
}

TEST(a_record_end_closes_its_buffer)
{
    /* MSG_EOR: the next write opens a buffer of its own (Linux's tcp_skb_can_collapse_to),
     * which 10000 + 4000 + 2 x 832 charged does not allow; without the record's end the
     * write fills the unsent buffer, which needs no room. */
    struct tcpf f;
    window_full(&f);
    ASSERT_EQ(synack_send_flags(f.st, f.sd, f.now, buf, 4000, SYNACK_SEND_EOR), 4000);
    ASSERT_EQ(write_n(&f, 1000), SYNACK_EAGAIN);
    tcpf_free(&f);

    window_full(&f);
    ASSERT_EQ(write_n(&f, 4000), 4000);
    ASSERT_EQ(write_n(&f, 1000), 1000);
    tcpf_free(&f);
}

/* A write that the stack's memory limit (cfg.mem_max, tcp/tcp_mem.c) cuts short, then a
 * write once memory is back: the queue is the one a write of the short write's bytes alone
 * leaves. Linux's tcp_sendmsg_locked, when sk_wmem_schedule fails mid-write, gives up at
 * wait_for_space, removes the empty buffer it may have opened (tcp_remove_empty_skb) and
 * returns what it copied: its last buffer is the one that holds the last byte copied, and
 * the next write fills it. Another socket's send ring (queued before its handshake) holds
 * the memory and its abort gives it back. Returns what the two writes took. */
static uint32_t short_then_fill(bool limited, uint32_t *first)
{
    static uint8_t hold[150000];
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.sndbuf_linux = true;
    f.cfg.mem_max = 18000u + sizeof hold + 4096u;
    f.peer_mss = 1000;
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_SNDBUF, 50000), 0);
    /* The initial window's 10000 bytes go; the ring has grown to 18000 bytes for them (9000,
     * then twice that). */
    ASSERT_EQ(write_n(&f, 9000), 9000);
    ASSERT_EQ(write_n(&f, 1000), 1000);
    ASSERT_EQ(drain(&f), 10000u);
    int h = synack_socket(f.st);
    ASSERT(h >= 0);
    ASSERT_EQ(synack_setopt(f.st, h, SYNACK_OPT_SNDBUF, 1u << 20), 0);
    ASSERT_EQ(synack_connect(f.st, h, f.now, synack_addr_v4(TCPF_PEER), 4242), SYNACK_EINPROGRESS);
    uint32_t held = limited ? (uint32_t)sizeof hold : 0;
    if (held) ASSERT_EQ(synack_send(f.st, h, f.now, hold, held), (long)held);
    long a = write_n(&f, limited ? 100000 : 8000);
    ASSERT(a > 0);
    *first = (uint32_t)a;
    ASSERT_EQ(synack_abort(f.st, h, f.now), 0);
    long b = write_n(&f, 100000);
    printf("     %s: %ld then %ld\n", limited ? "cut by the limit" : "plain", a, b);
    ASSERT(b > 0);
    tcpf_free(&f);
    return (uint32_t)a + (uint32_t)b;
}

TEST(a_write_cut_short_by_the_memory_limit_leaves_its_last_buffer_for_the_next)
{
    uint32_t first;
    uint32_t plain = short_then_fill(false, &first);
    ASSERT_EQ(first, 8000u);
    uint32_t cut = short_then_fill(true, &first);
    ASSERT_EQ(first, 8000u); /* what the ring of 18000 had room for */
    ASSERT_EQ(cut, plain);
}

TEST_MAIN()
