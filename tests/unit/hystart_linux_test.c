/*
 * hystart_linux_test.c - the end of the initial slow start with cfg.hystart_linux, Linux's
 * HyStart delay test (tcp_cubic.c), beside RFC 9406's HyStart++ (the default), on the
 * scripted peer. The path of Linux's cubic-hystart-delay scripts: a 200 ms handshake, then
 * ACKs of two segments each, 1 ms apart, whose RTT is 200 ms for the first window and then
 * 240 ms, 40 ms above the minimum where the threshold is min(200/8, 16) = 16 ms. Linux's
 * test judges a round from its 9th sample (once cwnd is 16 segments) and ends slow start at
 * once, ssthresh = cwnd; HyStart++ compares rounds and moves to Conservative Slow Start,
 * leaving ssthresh where it was. A new minimum RTT (Linux's min-rtt-jumps-downward) is not
 * a rise.
 */
#include "tcp/tcp.h"
#include "tcp_fixture.h"

#define MS   1000ull
#define MSS  1000u
#define SEGS 200u

struct path {
    struct tcpf f;
    uint64_t sent[SEGS]; /* when segment i (bytes base + i·MSS ...) went */
    uint32_t base, acked, sent_n;
};

static void drain(struct path *p)
{
    while (recv_seg(&p->f, p->f.now, NULL)) {
        uint32_t off = p->f.seg.tcp.seq - p->base;
        for (uint32_t b = 0; b < p->f.seg.payload_len; b += MSS)
            if ((off + b) / MSS < SEGS) p->sent[(off + b) / MSS] = p->f.now;
        uint32_t end = (off + p->f.seg.payload_len) / MSS;
        if (end > p->sent_n) p->sent_n = end;
    }
}

static void start(struct path *p, bool linux_delay)
{
    memset(p, 0, sizeof *p);
    struct tcpf *f = &p->f;
    tcpf_config(f);
    f->cfg.hystart_linux = linux_delay;
    f->cfg.sndbuf = SEGS * MSS;
    f->cfg.cc = "cubic";
    f->peer_mss = MSS;
    conn_in_syn_received(f);
    f->now += 200 * MS;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    struct synack_endpoint peer;
    f->sd = synack_accept(f->st, f->lsd, &peer);
    ASSERT(f->sd >= 0);
    static const uint8_t d[SEGS * MSS];
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, d, sizeof d), (long)sizeof d);
    p->base = f->snd_nxt;
    drain(p);
    ASSERT_EQ(p->sent_n, 10u);
}

/* The next two segments acknowledged, rtt after the first of them went (and at least 1 ms
 * after the previous ACK). */
static void ack_two(struct path *p, uint64_t rtt)
{
    uint64_t t = p->sent[p->acked] + rtt;
    if (t < p->f.now + MS) t = p->f.now + MS;
    p->f.now = t;
    p->acked += 2;
    ASSERT(p->acked <= p->sent_n);
    send_ctl(&p->f, SYNACK_TCP_ACK, p->f.rcv_nxt, p->base + p->acked * MSS);
    drain(p);
}

static bool ss_ended(struct path *p)
{
    return tcpf_info(&p->f).ssthresh < UINT32_MAX / 2;
}

/* The first window at 200 ms, then ACKs at rtt_ms; returns how many of those came before
 * slow start ended (0 if it did not within n). */
static uint32_t acks_until_exit(struct path *p, uint64_t rtt_ms, uint32_t n)
{
    for (int i = 0; i < 5; i++) ack_two(p, 200 * MS);
    ASSERT(!ss_ended(p));
    for (uint32_t i = 1; i <= n; i++) {
        uint32_t cwnd = tcpf_info(&p->f).cwnd;
        ack_two(p, rtt_ms * MS);
        if (ss_ended(p)) {
            /* Linux's exit: ssthresh is the window before this ACK, which grew nothing. */
            struct synack_sockinfo in = tcpf_info(&p->f);
            ASSERT_EQ(in.ssthresh, cwnd);
            ASSERT_EQ(in.cwnd, cwnd);
            return i;
        }
    }
    return 0;
}

TEST(hystart_linux_ends_slow_start_on_a_delay_rise)
{
    struct path p;
    start(&p, true);
    /* cwnd reaches 16 segments at the 4th ACK of the first window: a round starts there
     * (end: SND.NXT then, 22001), with 2 samples of 200 ms. Its 6 more at 240 ms make 8;
     * the ACK past 22001 starts the next round, whose 9th sample is the 15th ACK at 240 ms:
     * its minimum, 240 ms, is above 200 + 16 ms. */
    ASSERT_EQ(acks_until_exit(&p, 240, 40), 15u);
    /* Congestion avoidance from there: the window no longer doubles. */
    uint32_t cwnd = tcpf_info(&p.f).cwnd;
    for (int i = 0; i < 10; i++) ack_two(&p, 240 * MS);
    ASSERT(tcpf_info(&p.f).cwnd < cwnd + 4 * MSS);
    tcpf_free(&p.f);
}

TEST(hystart_linux_ignores_a_rise_below_the_threshold)
{
    struct path p;
    start(&p, true);
    /* 215 ms: 15 ms above the minimum, under min(200/8, 16) = 16 ms. */
    ASSERT_EQ(acks_until_exit(&p, 215, 40), 0u);
    tcpf_free(&p.f);
}

/* Linux's hystart_update on a bare tcb: one ACK of two segments per call, its RTT sample
 * and the connection's minimum RTT as RACK (tcp_rack.c) would have left them. */
static void bare_ack(struct tcb *t, uint64_t rtt, uint64_t min_rtt)
{
    t->rack.sample = rtt;
    t->min_rtt = min_rtt;
    t->snd_una += 2 * MSS;
    t->snd_nxt += 4 * MSS;
    tcp_slow_start(t, 2 * MSS);
}

static void bare_start(struct tcb *t)
{
    memset(t, 0, sizeof *t);
    t->snd_mss = MSS;
    tcp_hystart_init(t);
    t->hs.linux_delay = true;
    t->cwnd = 20 * MSS;
    t->ssthresh = UINT32_MAX;
    t->snd_una = 1;
    t->snd_nxt = 20 * MSS + 1;
}

TEST(hystart_linux_new_minimum_is_no_rise)
{
    /* Linux's min-rtt-jumps-downward: a round of 240 ms samples over a minimum of 200 ms
     * whose 9th sample, 100 ms, is a new minimum: the round's minimum and the connection's
     * fall together, and slow start goes on (before Linux's fix of June 2020 the round's
     * minimum counted its first 8 samples only, and 240 ms against 100 ms ended it). */
    struct tcb t;
    bare_start(&t);
    for (int i = 0; i < 8; i++) bare_ack(&t, 240 * MS, 200 * MS);
    ASSERT(t.ssthresh == UINT32_MAX);
    bare_ack(&t, 100 * MS, 100 * MS);
    ASSERT(t.ssthresh == UINT32_MAX);
    ASSERT_EQ(t.cwnd, 38 * MSS);
    /* The same round with a 9th sample of 240 ms ends it, at the window before that ACK. */
    bare_start(&t);
    for (int i = 0; i < 8; i++) bare_ack(&t, 240 * MS, 200 * MS);
    bare_ack(&t, 240 * MS, 200 * MS);
    ASSERT_EQ(t.ssthresh, 36 * MSS);
    ASSERT_EQ(t.cwnd, 36 * MSS);
}

TEST(hystart_rfc9406_by_default_keeps_ssthresh)
{
    /* The same rise under HyStart++: Conservative Slow Start, and ssthresh is not set
     * until CSS_ROUNDS rounds have passed. */
    struct path p;
    start(&p, false);
    ASSERT_EQ(acks_until_exit(&p, 240, 20), 0u);
    struct synack_stats s;
    synack_get_stats(p.f.st, &s);
    ASSERT_EQ(s.hystart_exits, 1u);
    tcpf_free(&p.f);
}

TEST_MAIN()
