/*
 * reliable_test.c - reliable data transfer: the RFC 6298 timer (formulas, clamps, backoff,
 * Karn's rule, the retry limit), flow control (zero window, persist probes, window
 * updates, a window that never shrinks), sequence-number wraparound, delayed ACKs, Nagle,
 * PSH, and goodput on a clean link.
 */
#include "test.h"
#include "tcp/tcp.h"
#include "transfer.h"

#define MS  1000ull
#define SEC 1000000ull

/* ---- RFC 6298 arithmetic ------------------------------------------------------------------ */

/* The bounds these tests assume: a 200 ms minimum and a 60 s maximum on the whole RTO. */
static const struct synack_config rfc = {.rto_min_us = 200 * MS, .rto_max_us = 60 * SEC};

TEST(rto_follows_rfc6298_formulas)
{
    struct tcb t;
    memset(&t, 0, sizeof t);
    tcp_rtt_init(&t, 1 * SEC);
    ASSERT_EQ(t.rto, 1 * SEC); /* §2.1: 1 s before any sample */
    /* §2.2: first sample R = 100 ms: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR. */
    tcp_rtt_sample(&t, 100 * MS, &rfc);
    ASSERT_EQ(t.srtt, 100 * MS);
    ASSERT_EQ(t.rttvar, 50 * MS);
    ASSERT_EQ(t.rto, 300 * MS);
    /* §2.3: R' = 200 ms: RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms,
     * SRTT = 7/8 * 100 + 1/8 * 200 = 112.5 ms, RTO = 112.5 + 4 * 62.5 = 362.5 ms. */
    tcp_rtt_sample(&t, 200 * MS, &rfc);
    ASSERT_EQ(t.rttvar, 62500);
    ASSERT_EQ(t.srtt, 112500);
    ASSERT_EQ(t.rto, 362500);
}

TEST(rto_is_clamped_to_min_and_max)
{
    struct tcb t;
    memset(&t, 0, sizeof t);
    tcp_rtt_init(&t, 1 * SEC);
    tcp_rtt_sample(&t, 1 * MS, &rfc); /* §2.4: never below the minimum */
    ASSERT_EQ(t.rto, 200 * MS);
    memset(&t, 0, sizeof t);
    tcp_rtt_sample(&t, 100 * SEC, &rfc); /* §2.5: a maximum of 60 s */
    ASSERT_EQ(t.rto, 60 * SEC);
}

TEST(rto_backoff_doubles_and_is_capped)
{
    struct tcb t;
    memset(&t, 0, sizeof t);
    t.rto = 300 * MS;
    for (uint32_t k = 0; k < 8; k++) {
        t.rtx_count = k;
        uint64_t want = (300 * MS) << k;
        ASSERT_EQ(tcp_rto_backed_off(&t, 60 * SEC), want > 60 * SEC ? 60 * SEC : want);
    }
    t.rtx_count = 40; /* no overflow however long it goes on */
    ASSERT_EQ(tcp_rto_backed_off(&t, 60 * SEC), 60 * SEC);
}

/* ---- the timer on the wire --------------------------------------------------------------- */

struct est {
    int lsd, csd, ssd;
};

static bool established(struct simnet *n, void *ctx)
{
    struct est *e = ctx;
    if (e->ssd < 0) e->ssd = synack_accept(n->st[1], e->lsd, NULL);
    return e->ssd >= 0 && simnet_state(n, 0, e->csd) == SYNACK_ESTABLISHED;
}

static void connect_pair(struct simnet *n, struct est *e)
{
    e->lsd = synack_socket(n->st[1]);
    synack_bind(n->st[1], e->lsd, SYNACK_ADDR_ANY, 7);
    synack_listen(n->st[1], e->lsd, 8);
    e->csd = synack_socket(n->st[0]);
    e->ssd = -1;
    synack_connect(n->st[0], e->csd, n->now, SIM_B_ADDR, 7);
    ASSERT(simnet_run_until(n, n->now + 5 * SEC, established, e));
}

static bool drop_first_data_from_a(struct simnet *n, int from, const struct synack_segment *s)
{
    return from == 0 && s->payload_len > 0 && ++n->user_n == 1;
}

TEST(karn_no_rtt_sample_from_a_retransmission)
{
    struct simnet n;
    simnet_init(&n, 21);
    n.drop = drop_first_data_from_a;
    struct est e;
    connect_pair(&n, &e);
    ASSERT_EQ(synack_send(n.st[0], e.csd, n.now, "x", 1), 1);
    simnet_run_to(&n, n.now + 2 * SEC);
    struct synack_sockinfo i;
    synack_getinfo(n.st[0], e.csd, &i);
    ASSERT_EQ(i.retransmits, 1);
    ASSERT_EQ(i.snd_una, i.snd_nxt);
    /* The segment was acknowledged ~200 ms after it was first sent, but that is no RTT
     * sample (which send does the ACK answer?): SRTT stays the handshake's 2 ms. */
    ASSERT(i.srtt_us < 5 * MS);
    simnet_free(&n);
}

static bool drop_all_data_from_a(struct simnet *n, int from, const struct synack_segment *s)
{
    (void)n;
    return from == 0 && s->payload_len > 0;
}

TEST(retry_limit_aborts_with_timed_out)
{
    struct synack_config c[2];
    simnet_config(&c[0], 0, 22);
    simnet_config(&c[1], 1, 22);
    c[0].data_retries = 4;
    struct simnet n;
    simnet_init_with(&n, c, NULL, 22);
    n.drop = drop_all_data_from_a;
    struct est e;
    connect_pair(&n, &e);
    uint64_t t0 = n.now;
    ASSERT_EQ(synack_send(n.st[0], e.csd, n.now, "lost", 4), 4);
    simnet_run_to(&n, n.now + 60 * SEC);
    ASSERT(synack_events(n.st[0], e.csd) & SYNACK_EV_ERROR);
    ASSERT_EQ(synack_socket_error(n.st[0], e.csd), SYNACK_ETIMEDOUT);
    /* First the tail loss probe (RFC 8985 §7.2): with one segment in flight its PTO (2
     * SRTT + 200 ms for the peer's delayed ACK) is past the RTO, so it goes at the RTO's
     * time, 200 ms, in the RTO's place, and the RTO is armed again from it. Then four
     * retransmissions at RTO 200, 400, 800, 1600 ms, the give-up at 3200 ms later. */
    int rtx = 0;
    uint64_t last = 0;
    for (int i = 0; i < n.nsegs; i++)
        if (n.segs[i].side == 0 && n.segs[i].retransmit) {
            if (rtx == 0) ASSERT_EQ(n.segs[i].t - t0, 200 * MS);
            if (rtx > 0) ASSERT_EQ(n.segs[i].t - last, (200 * MS) << (rtx - 1));
            last = n.segs[i].t;
            rtx++;
        }
    ASSERT_EQ(rtx, 5);
    ASSERT(last - t0 == 200 * MS + 200 * MS + 400 * MS + 800 * MS + 1600 * MS);
    struct synack_stats s;
    synack_get_stats(n.st[0], &s);
    ASSERT_EQ(s.tlp_probes, 1);
    ASSERT_EQ(s.rto_timeouts, 5);
    simnet_free(&n);
}

/* ---- flow control --------------------------------------------------------------------------- */

TEST(zero_window_persist_probes_and_resume)
{
    struct synack_config c[2];
    simnet_config(&c[0], 0, 23);
    simnet_config(&c[1], 1, 23);
    c[1].rcvbuf = 16384; /* the server's receive ring: the window it can offer */
    struct simnet n;
    simnet_init_with(&n, c, NULL, 23);
    struct est e;
    connect_pair(&n, &e);
    /* The client writes 100 000 bytes; the server reads nothing for 10 s. */
    static uint8_t data[100000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + 1);
    size_t sent = 0;
    long w = synack_send(n.st[0], e.csd, n.now, data, sizeof data);
    ASSERT(w > 0);
    sent = (size_t)w;
    uint64_t t_stop = n.now;
    simnet_run_to(&n, n.now + 10 * SEC);
    struct synack_sockinfo ci, si;
    synack_getinfo(n.st[0], e.csd, &ci);
    synack_getinfo(n.st[1], e.ssd, &si);
    /* The sender stopped exactly at the window: all 16384 bytes, and nothing more. */
    ASSERT_EQ(si.rcv_queued, 16384);
    ASSERT_EQ(ci.snd_wnd, 0);
    ASSERT_EQ(ci.bytes_acked, 16384);
    /* It probes with SEG.SEQ = SND.UNA - 1, at growing intervals (RFC 9293 §3.8.6.1). */
    uint64_t probes[32];
    int np = 0;
    for (int i = 0; i < n.nsegs && np < 32; i++)
        if (n.segs[i].side == 0 && n.segs[i].t > t_stop && n.segs[i].len == 0 &&
            n.segs[i].seq == ci.snd_una - 1)
            probes[np++] = n.segs[i].t;
    ASSERT(np >= 3);
    for (int i = 2; i < np; i++) ASSERT(probes[i] - probes[i - 1] > probes[i - 1] - probes[i - 2]);
    /* The reader drains; the window opens and the rest arrives intact. */
    static uint8_t got[100000];
    size_t ngot = 0;
    for (int round = 0; round < 1000000 && ngot < sizeof data; round++) {
        long r;
        while ((r = synack_recv(n.st[1], e.ssd, n.now, got + ngot, sizeof got - ngot)) > 0)
            ngot += (size_t)r;
        while (sent < sizeof data &&
               (w = synack_send(n.st[0], e.csd, n.now, data + sent, sizeof data - sent)) > 0)
            sent += (size_t)w;
        if (!simnet_step(&n)) break;
    }
    ASSERT_EQ(ngot, sizeof data);
    ASSERT_MEM_EQ(got, data, sizeof data);
    simnet_free(&n);
}

TEST(advertised_window_never_shrinks)
{
    struct synack_config c[2];
    simnet_config(&c[0], 0, 24);
    simnet_config(&c[1], 1, 24);
    c[1].rcvbuf = 60000; /* under 64 KiB: no window scaling, the field is the window */
    struct simnet n;
    simnet_init_with(&n, c, NULL, 24);
    uint64_t bytes[2] = {400000, 0};
    struct transfer_result r = transfer_run(&n, 24, bytes, 600 * SEC);
    ASSERT(r.ok);
    /* RFC 9293 §3.8.6: the right edge SEG.ACK + SEG.WND the server offers never moves
     * left. */
    uint32_t edge = 0;
    bool first = true;
    for (int i = 0; i < n.nsegs; i++) {
        struct simnet_seg *s = &n.segs[i];
        if (s->side != 1 || !(s->flags & SYNACK_TCP_ACK) || (s->flags & SYNACK_TCP_SYN)) continue;
        uint32_t e = s->ack + s->win;
        if (!first) ASSERT(seq_geq(e, edge));
        edge = e;
        first = false;
    }
    simnet_free(&n);
}

TEST(sequence_numbers_wrap_around)
{
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, 25);
        /* Both ISNs 1000 below 2^32: every seq and ack crosses zero in the first KB. */
        c[i].isn_fixed = true;
        c[i].isn_fixed_value = 0xffffffffu - 1000;
    }
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 2000;
    lc.faults.loss = 0.02;
    lc.faults.reorder = 0.02;
    lc.faults.seed = 25;
    struct simnet n;
    simnet_init_with(&n, c, &lc, 25);
    uint64_t bytes[2] = {1 << 20, 1 << 20};
    struct transfer_result r = transfer_run(&n, 25, bytes, 3600 * SEC);
    ASSERT(r.ok);
    ASSERT(r.closed);
    simnet_free(&n);
}

/* Data flowing both ways through loss: a receiver with a hole reports SACK blocks on its own
 * data segments too, which make room for them (tcp_seg_max): every datagram stays within
 * the MTU, over IPv6's 40-byte header as over IPv4's 20, and such segments do go out. */
TEST(full_size_data_segments_carry_sack_blocks_within_the_mtu)
{
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) simnet_config(&c[i], i, 41);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 2000;
    lc.faults.loss = 0.02;
    lc.faults.seed = 41;
    struct simnet n;
    simnet_init_with(&n, c, &lc, 41);
    uint64_t bytes[2] = {1 << 20, 1 << 20};
    struct transfer_result r = transfer_run(&n, 41, bytes, 600 * SEC);
    ASSERT(r.ok);
    int full_with_sack = 0;
    for (int i = 0; i < n.nsegs; i++) {
        ASSERT(n.segs[i].ip_len <= 1500);
        if (n.segs[i].len + 100 >= sim_mss() && n.segs[i].nsack > 0) full_with_sack++;
    }
    printf("     %d data segments of %u bytes or more carried SACK blocks\n", full_with_sack,
           sim_mss() - 100);
    ASSERT(full_with_sack > 0);
    simnet_free(&n);
}

/* ---- ACKs, Nagle, PSH ------------------------------------------------------------------------ */

TEST(delayed_ack_after_40ms_or_every_second_segment)
{
    /* RFC 9293's rules alone: quick-ACK off (its test follows). */
    struct simnet n;
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, 26);
        c[i].no_quickack = true;
    }
    simnet_init_with(&n, c, NULL, 26);
    struct est e;
    connect_pair(&n, &e);
    simnet_run_to(&n, n.now + 100 * MS);
    int before = n.nsegs;
    /* One small segment: the server's ACK waits for the 40 ms delayed-ACK timer
     * (RFC 9293 §3.8.6.3; RFC 1122 allows up to 500 ms). */
    uint64_t t0 = n.now;
    ASSERT_EQ(synack_send(n.st[0], e.csd, n.now, "a", 1), 1);
    simnet_run_to(&n, n.now + 200 * MS);
    int acks = 0;
    for (int i = before; i < n.nsegs; i++)
        if (n.segs[i].side == 1) {
            ASSERT_EQ(n.segs[i].t - t0, 1 * MS + 40 * MS); /* one way, then the timer */
            acks++;
        }
    ASSERT_EQ(acks, 1);
    /* Two full-sized segments: the ACK goes at once with the second (RFC 5681 §4.2). */
    before = n.nsegs;
    static uint8_t two[2 * 1448];
    size_t two_len = 2 * sim_mss();
    memset(two, 'b', sizeof two);
    t0 = n.now;
    ASSERT_EQ(synack_setopt(n.st[0], e.csd, SYNACK_OPT_NODELAY, 1), 0);
    ASSERT_EQ(synack_send(n.st[0], e.csd, n.now, two, two_len), (long)two_len);
    simnet_run_to(&n, n.now + 200 * MS);
    acks = 0;
    for (int i = before; i < n.nsegs; i++)
        if (n.segs[i].side == 1) {
            ASSERT(n.segs[i].t - t0 < 2 * MS);
            acks++;
        }
    ASSERT_EQ(acks, 1);
    simnet_free(&n);
}

/* When the server's ACK for one small segment sent at t0 went (0: none within 50 ms). */
static uint64_t ack_delay_of_one_segment(struct simnet *n, struct est *e)
{
    int before = n->nsegs;
    uint64_t t0 = n->now;
    ASSERT_EQ(synack_send(n->st[0], e->csd, n->now, "a", 1), 1);
    simnet_run_to(n, t0 + 50 * MS);
    n->now = t0 + 50 * MS; /* (the clock stops where nothing is scheduled) */
    for (int i = before; i < n->nsegs; i++)
        if (n->segs[i].side == 1) return n->segs[i].t - t0;
    return 0;
}

TEST(quickack_at_connection_start_and_after_idle)
{
    /* Linux's quick-ACK mode (on by default): the first data segments of a connection are
     * acknowledged at once, not after the 40 ms delayed-ACK timer; once that allowance is
     * spent (rcvbuf / (2 MSS), at most 16 segments) the delayed-ACK rules apply again, and
     * after the peer was silent for longer than an RTO the allowance is renewed. */
    struct simnet n;
    simnet_init(&n, 27);
    struct est e;
    connect_pair(&n, &e);
    simnet_run_to(&n, n.now + 100 * MS);
    ASSERT_EQ(ack_delay_of_one_segment(&n, &e), 1 * MS); /* one way: at once */
    for (int i = 1; i < 16; i++) ASSERT_EQ(ack_delay_of_one_segment(&n, &e), 1 * MS);
    /* The allowance is spent (the segments came 50 ms apart, within the RTO, so no gap
     * renewed it). */
    ASSERT_EQ(ack_delay_of_one_segment(&n, &e), 1 * MS + 40 * MS);
    /* Idle for 2 s, longer than the RTO: quick again. */
    n.now += 2000 * MS;
    ASSERT_EQ(ack_delay_of_one_segment(&n, &e), 1 * MS);
    simnet_free(&n);
}

static int data_segments(struct simnet *n, int side, int from)
{
    int k = 0;
    for (int i = from; i < n->nsegs; i++)
        if (n->segs[i].side == side && n->segs[i].len > 0) k++;
    return k;
}

TEST(nagle_coalesces_small_writes_and_nodelay_does_not)
{
    struct simnet n;
    simnet_init(&n, 27);
    struct est e;
    connect_pair(&n, &e);
    simnet_run_to(&n, n.now + 100 * MS);
    /* Nagle (RFC 896, RFC 9293 §3.7.4): ten 1-byte writes while the first is unacked
     * make two segments: the first byte, then the other nine together.
     * Each write is followed by the application's loop running the stack for 10 us (user
     * calls only mark the socket; the next call that carries a clock sends). */
    int before = n.nsegs;
    for (int i = 0; i < 10; i++) {
        ASSERT_EQ(synack_send(n.st[0], e.csd, n.now, "n", 1), 1);
        simnet_run_to(&n, n.now + 10);
    }
    simnet_run_to(&n, n.now + 500 * MS);
    ASSERT_EQ(data_segments(&n, 0, before), 2);
    /* TCP_NODELAY: each write goes at the next output. */
    ASSERT_EQ(synack_setopt(n.st[0], e.csd, SYNACK_OPT_NODELAY, 1), 0);
    before = n.nsegs;
    for (int i = 0; i < 10; i++) {
        ASSERT_EQ(synack_send(n.st[0], e.csd, n.now, "d", 1), 1);
        simnet_run_to(&n, n.now + 10);
    }
    simnet_run_to(&n, n.now + 500 * MS);
    ASSERT_EQ(data_segments(&n, 0, before), 10);
    simnet_free(&n);
}

TEST(psh_marks_the_last_segment_of_a_burst)
{
    struct simnet n;
    simnet_init(&n, 28);
    struct est e;
    connect_pair(&n, &e);
    int before = n.nsegs;
    static uint8_t buf[3 * 1448 + 100];
    memset(buf, 'p', sizeof buf);
    ASSERT_EQ(synack_send(n.st[0], e.csd, n.now, buf, sizeof buf), (long)sizeof buf);
    simnet_run_to(&n, n.now + 500 * MS);
    int k = 0;
    for (int i = before; i < n.nsegs; i++) {
        if (n.segs[i].side != 0 || n.segs[i].len == 0) continue;
        k++;
        ASSERT_EQ(!!(n.segs[i].flags & SYNACK_TCP_PSH), k == 4);
    }
    ASSERT_EQ(k, 4);
    simnet_free(&n);
}

/* ---- goodput ------------------------------------------------------------------------------ */

/* One way, 10 x the bandwidth-delay product over a clean link; returns the goodput from the
 * first byte written to the last byte read, and (steady) from the fifth to the last. */
static double goodput_run(uint64_t bw, uint64_t delay_us, uint64_t seed, double *steady)
{
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = delay_us;
    lc.bandwidth_bps = bw;
    struct synack_config c[2];
    simnet_config(&c[0], 0, seed);
    simnet_config(&c[1], 1, seed);
    c[0].sndbuf = c[1].rcvbuf = 4u << 20;
    struct simnet n;
    simnet_init_with(&n, c, &lc, seed);
    uint64_t bdp = bw / 8 * 2 * delay_us / SEC;
    uint64_t bytes[2] = {10 * bdp, 0};
    struct transfer_result r = transfer_run(&n, seed, bytes, 600 * SEC);
    ASSERT(r.ok);
    double all = (double)bytes[0] * 8 / ((double)(r.done_us - r.first_data_us) / 1e6);
    *steady = (double)(bytes[0] - r.fifth_bytes) * 8 / ((double)(r.done_us - r.fifth_us) / 1e6);
    printf("     %3.0f Mbit/s, RTT %2.0f ms, %7llu bytes: goodput %.2f Mbit/s overall (%.1f%%), "
           "%.2f after slow start (%.1f%%)\n",
           bw / 1e6, 2 * delay_us / 1e3, (unsigned long long)bytes[0], all / 1e6, all * 100 / bw,
           *steady / 1e6, *steady * 100 / bw);
    simnet_free(&n);
    return all;
}

TEST(clean_link_goodput_within_10_percent_of_bandwidth)
{
    double steady;
    /* The bound is 90% of the link rate over IPv4; over IPv6 the same share of what the link
     * can carry as payload, whose 20 more header bytes per segment leave a little less. */
    double f = 0.9 * sim_mss() / (1500.0 - 20 - 20 - 12);
    /* A path whose bandwidth-delay product fits the initial window (RFC 6928: 10 segments):
     * the whole transfer, slow start included, runs within 10% of the link rate. */
    double all = goodput_run(10000000, 5 * MS, 29, &steady);
    ASSERT(all >= f * 10000000);
    /* Larger products: slow start costs a few round trips at the start (it must: RFC 5681
     * §3.1), after which the link is filled within 10%. */
    (void)goodput_run(10000000, 10 * MS, 30, &steady);
    ASSERT(steady >= f * 10000000);
    (void)goodput_run(100000000, 10 * MS, 31, &steady);
    ASSERT(steady >= f * 100000000);
}

TEST(closed_connection_behind_a_zero_window_is_aborted)
{
    /* The peer never opens its window after we close: the orphaned connection probes
     * data_retries times, then gives up with a reset instead of living for ever. */
    struct synack_config c[2];
    simnet_config(&c[0], 0, 32);
    simnet_config(&c[1], 1, 32);
    c[1].rcvbuf = 4096;
    c[0].data_retries = 5;
    struct simnet n;
    simnet_init_with(&n, c, NULL, 32);
    struct est e;
    connect_pair(&n, &e);
    static uint8_t data[20000];
    memset(data, 'z', sizeof data);
    ASSERT(synack_send(n.st[0], e.csd, n.now, data, sizeof data) > 4096);
    simnet_run_to(&n, n.now + 2 * SEC);
    struct synack_sockinfo ci;
    synack_getinfo(n.st[0], e.csd, &ci);
    ASSERT_EQ(ci.snd_wnd, 0);
    ASSERT_EQ(synack_close(n.st[0], e.csd, n.now), 0);
    simnet_run_to(&n, n.now + 3600 * SEC);
    struct synack_stats s0;
    synack_get_stats(n.st[0], &s0);
    uint32_t left = 0;
    for (int i = 0; i <= SYNACK_TIME_WAIT; i++) left += s0.sockets_by_state[i];
    ASSERT_EQ(left, 0);
    ASSERT(s0.rst_out >= 1);
    simnet_free(&n);
}

TEST(reordering_is_not_taken_for_loss_eifel_undo)
{
    /* A link that reorders (10% held back 5 ms) but never loses: three duplicate ACKs start
     * fast retransmissions, and the timestamps the ACKs echo show the originals arrived
     * (RFC 3522), so the window reductions are undone (RFC 4015). */
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 5000;
    lc.bandwidth_bps = 100000000;
    lc.faults.reorder = 0.1;
    lc.faults.reorder_us = 5000;
    lc.faults.seed = 33;
    struct simnet n;
    simnet_init_with(&n, NULL, &lc, 33);
    uint64_t bytes[2] = {4u << 20, 0};
    struct transfer_result r = transfer_run(&n, 33, bytes, 600 * SEC);
    ASSERT(r.ok);
    struct synack_stats s;
    synack_get_stats(n.st[0], &s);
    printf("     fast retransmissions %llu, undone as spurious %llu\n",
           (unsigned long long)s.fast_retransmits, (unsigned long long)s.spurious_retransmits);
    ASSERT(s.fast_retransmits > 0);
    ASSERT(s.spurious_retransmits > 0);
    simnet_free(&n);
}

/* The delivery rate (synack_sockinfo.delivery_rate, Linux's tcpi_delivery_rate) of a bulk
 * sender on a clean 10 Mbit/s link: the bottleneck's rate, in payload bytes per second
 * (full segments of SND.MSS), once slow start has filled the path. */
static struct synack_sockinfo info_of(struct simnet *n, int side, int sd)
{
    struct synack_sockinfo in;
    ASSERT_EQ(synack_getinfo(n->st[side], sd, &in), 0);
    return in;
}

/* The client writes and the server reads whatever they can, as transfer_run does, until
 * the clock reaches until. */
static void bulk_until(struct simnet *n, const struct est *e, uint64_t until)
{
    static uint8_t buf[65536];
    for (uint64_t iter = 0; iter < 50000000ull && n->now < until; iter++) {
        bool progress = false;
        while (synack_send(n->st[0], e->csd, n->now, buf, sizeof buf) > 0) progress = true;
        while (synack_recv(n->st[1], e->ssd, n->now, buf, sizeof buf) > 0) progress = true;
        if (!progress && !simnet_step(n)) break;
    }
}

TEST(delivery_rate_of_a_bulk_sender_is_the_bottleneck_rate)
{
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 10 * MS;
    lc.bandwidth_bps = 10000000;
    struct synack_config c[2];
    simnet_config(&c[0], 0, 41);
    simnet_config(&c[1], 1, 41);
    c[0].sndbuf = c[1].rcvbuf = 1u << 20;
    struct simnet n;
    simnet_init_with(&n, c, &lc, 41);
    struct est e;
    connect_pair(&n, &e);
    ASSERT_EQ(info_of(&n, 0, e.csd).delivery_rate, 0u);
    uint64_t until = n.now + 2 * SEC;
    bulk_until(&n, &e, until);
    ASSERT(n.now >= until);
    struct synack_sockinfo in = info_of(&n, 0, e.csd);
    /* The link carries 10e6 / 8 / (MSS + headers) datagrams a second. */
    uint32_t hdrs = 1500 - sim_mss();
    double link = 10000000.0 / 8 / (sim_mss() + hdrs) * in.snd_mss;
    printf("     delivery rate %llu B/s, the link's %.0f B/s (%.1f%%)%s\n",
           (unsigned long long)in.delivery_rate, link, in.delivery_rate * 100 / link,
           in.delivery_rate_app_limited ? ", app-limited" : "");
    ASSERT(in.delivery_rate >= 0.9 * link);
    ASSERT(in.delivery_rate <= 1.02 * link);
    ASSERT(!in.delivery_rate_app_limited);
    simnet_free(&n);
}

/* Every field of Linux's tcp_info that issue 13 lists is filled, not left 0: a bulk sender
 * over a link that loses, duplicates and reorders (so that recovery, SACK, D-SACKs and
 * reordering all happen), sampled as it goes for the fields that say what is outstanding
 * now, and once at the end for the totals. */
TEST(tcp_info_fields_are_all_filled_on_a_lossy_path)
{
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 10 * MS;
    lc.bandwidth_bps = 10000000;
    lc.faults.loss = 0.02;
    lc.faults.dup = 0.01;
    lc.faults.reorder = 0.01;
    lc.faults.reorder_us = 10 * MS; /* about 8 segments overtake it */
    lc.faults.seed = 43;
    struct synack_config c[2];
    simnet_config(&c[0], 0, 43);
    simnet_config(&c[1], 1, 43);
    c[0].sndbuf = c[1].rcvbuf = 1u << 20;
    struct simnet n;
    simnet_init_with(&n, c, &lc, 43);
    struct est e;
    connect_pair(&n, &e);
    static uint8_t buf[65536];
    uint32_t sacked = 0, lost = 0, retrans = 0, unacked = 0;
    bool recovery = false;
    uint64_t until = n.now + 3 * SEC;
    for (uint64_t iter = 0; iter < 50000000ull && n.now < until; iter++) {
        bool progress = false;
        while (synack_send(n.st[0], e.csd, n.now, buf, sizeof buf) > 0) progress = true;
        while (synack_recv(n.st[1], e.ssd, n.now, buf, sizeof buf) > 0) progress = true;
        struct synack_sockinfo in = info_of(&n, 0, e.csd);
        sacked = in.sacked > sacked ? in.sacked : sacked;
        lost = in.lost > lost ? in.lost : lost;
        retrans = in.retrans > retrans ? in.retrans : retrans;
        unacked = in.unacked > unacked ? in.unacked : unacked;
        recovery |= in.ca_state == SYNACK_CA_RECOVERY;
        if (!progress && !simnet_step(&n)) break;
    }
    ASSERT(n.now >= until);
    struct synack_sockinfo s = info_of(&n, 0, e.csd), r = info_of(&n, 1, e.ssd);
    ASSERT_EQ(s.state, SYNACK_ESTABLISHED);
    ASSERT(recovery); /* ca_state */
    ASSERT(s.rto_us > 0 && s.ato_us > 0);
    ASSERT(s.snd_mss > 0 && r.rcv_mss > 0 && s.advmss > 0);
    ASSERT(unacked > 0 && sacked > 0 && lost > 0 && retrans > 0);
    ASSERT(s.srtt_us > 0 && s.rttvar_us > 0 && s.min_rtt_us > 0);
    ASSERT(s.ssthresh > 0 && s.ssthresh < UINT32_MAX / 2 && s.cwnd > 0);
    ASSERT(s.reordering > 3 && s.reord_seen > 0);
    ASSERT(r.rcv_space > 0);
    ASSERT(s.retransmits > 0 && s.bytes_retrans > 0);
    ASSERT(s.bytes_sent > s.bytes_acked && s.bytes_acked > 0 && r.bytes_received > 0);
    ASSERT(s.segs_out > 0 && s.segs_in > 0 && r.segs_in > 0 && r.segs_out > 0);
    ASSERT(s.delivered > 0 && s.delivery_rate > 0);
    ASSERT(s.busy_time_us > 0);
    ASSERT(s.dsack_dups > 0);
    printf("     sender: cwnd %u ssthresh %u srtt %llu us min_rtt %llu us reordering %u "
           "retransmits %llu dsack_dups %u delivery_rate %llu B/s; max sacked %u lost %u "
           "retrans %u\n",
           s.cwnd / s.snd_mss, s.ssthresh / s.snd_mss, (unsigned long long)s.srtt_us,
           (unsigned long long)s.min_rtt_us, s.reordering, (unsigned long long)s.retransmits,
           s.dsack_dups, (unsigned long long)s.delivery_rate, sacked, lost, retrans);
    simnet_free(&n);
}

TEST_MAIN()
