/*
 * hp_test.c - header prediction (tcp/tcp_fast.c) against the general path of SEGMENT
 * ARRIVES (RFC 9293 §3.10.7.4): two stacks, identical but for cfg.no_header_prediction,
 * are driven through the same seeded random exchanges with a scripted peer, and every
 * datagram they send, their sockinfo, their counters and what the application reads must
 * be the same byte for byte after every step.
 *
 * The peer's segments are drawn around the predicted case, so that the short path is taken
 * often and each of its conditions is met and broken: SEG.SEQ at RCV.NXT, before it, after
 * it, beyond the window; SEG.ACK below SND.UNA, at it, inside the flight, beyond SND.NXT;
 * the window unchanged or changed; TSval newer, equal or older than TS.Recent (PAWS, RFC
 * 7323 §5), and near the 2^31 turn; flags ACK, ACK+PSH, or with FIN, RST, SYN, URG, ECE,
 * CWR, or no ACK; SACK blocks; odd sizes; sequence numbers that wrap at 2^32 (the peer's
 * ISS close below it). The application sends, reads, shuts down, and time moves, so that
 * delayed ACKs, retransmissions and recovery come into it too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "synack/synack.h"
#include "tcp_fixture.h"
#include "test.h"
#include "wire/wire.h"

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: the test's own seeded generator. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
/* RFC 9293 §3.4 sequence comparisons, for the test's own bookkeeping. */
static bool hp_seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}
static uint32_t rnd(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(rng_next(s) % n) : 0;
}

/* One run's choices that both stacks share. */
struct hp_opts {
    bool ts, sack, wscale, ecn;
    uint32_t rcvbuf;
};

/* The peer's view, kept from the fast stack's output (the two must agree anyway). */
struct peer {
    uint32_t ts_val; /* its timestamp clock */
    uint16_t win;    /* the window it advertises, unscaled */
    uint8_t wscale;  /* the shift it offered */
};

static void hp_config(struct tcpf *f, const struct hp_opts *o, bool slow)
{
    tcpf_config(f);
    f->cfg.rcvbuf = o->rcvbuf;
    f->cfg.no_header_prediction = slow;
    /* Quick-ACK and delayed ACKs both on: the data path must keep both rules. */
    f->cfg.no_quickack = false;
}

/* The handshake with the options of this run: passive, as conn_in_established, by hand so
 * that the peer's SYN may offer timestamps, SACK and window scaling. */
static void hp_open(struct tcpf *f, const struct hp_opts *o, uint32_t irs, uint32_t tsval)
{
    f->irs = irs;
    conn_in_listen(f);
    struct synack_tcp_opts so;
    memset(&so, 0, sizeof so);
    so.has_mss = true;
    so.mss = 1460;
    so.sack_permitted = o->sack;
    so.has_wscale = o->wscale;
    so.wscale = 2;
    so.has_ts = o->ts;
    so.ts_val = tsval;
    /* ECN asked for (RFC 3168 §6.1.1): the stack accepts by default. */
    uint16_t syn = SYNACK_TCP_SYN | (o->ecn ? SYNACK_TCP_ECE | SYNACK_TCP_CWR : 0);
    send_seg(f, f->now, syn, f->irs, 0, 65535, NULL, 0, &so);
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK),
              SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    f->iss = f->seg.tcp.seq;
    f->snd_nxt = f->iss + 1;
    f->rcv_nxt = f->irs + 1;
    f->now += TCPF_STEP;
    struct synack_tcp_opts ao;
    memset(&ao, 0, sizeof ao);
    ao.has_ts = o->ts;
    ao.ts_val = tsval + 1;
    ao.ts_ecr = f->seg.tcp.opts.ts_val;
    send_seg(f, f->now, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt, 16384, NULL, 0, &ao);
    struct synack_endpoint ep;
    f->sd = synack_accept(f->st, f->lsd, &ep);
    ASSERT(f->sd >= 0);
    EXPECT_STATE(f, SYNACK_ESTABLISHED);
}

/* The connection's descriptor: the user's, or after close() the orphan's, found by its
 * ports (the socket lives on until it is done); -1 when it is gone. */
static int hp_conn(const struct tcpf *f)
{
    return f->sd >= 0 ? f->sd : tcpf_find_conn(f);
}

/* Everything observable after a step: the datagrams (compared as they come), sockinfo,
 * the stack's counters, the next deadline. */
static void hp_compare_state(struct tcpf *a, struct tcpf *b, int step)
{
    struct synack_sockinfo ia, ib;
    memset(&ia, 0, sizeof ia);
    memset(&ib, 0, sizeof ib);
    int ra = synack_getinfo(a->st, hp_conn(a), &ia);
    int rb = synack_getinfo(b->st, hp_conn(b), &ib);
    if (ra != rb || memcmp(&ia, &ib, sizeof ia) != 0) {
        fprintf(stderr,
                "    step %d: sockinfo differs (fast/general): state %d/%d rcv_nxt %u/%u "
                "snd_una %u/%u snd_wnd %u/%u cwnd %u/%u\n",
                step, ia.state, ib.state, ia.rcv_nxt, ib.rcv_nxt, ia.snd_una, ib.snd_una,
                ia.snd_wnd, ib.snd_wnd, ia.cwnd, ib.cwnd);
        test_fail_at(__FILE__, __LINE__);
    }
    struct synack_stats sa, sb;
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    synack_get_stats(a->st, &sa);
    synack_get_stats(b->st, &sb);
    if (memcmp(&sa, &sb, sizeof sa) != 0) {
        fprintf(stderr,
                "    step %d: counters differ (fast/general): drops %llu/%llu tcp_out "
                "%llu/%llu challenge %llu/%llu\n",
                step, (unsigned long long)sa.drops, (unsigned long long)sb.drops,
                (unsigned long long)sa.tcp_out, (unsigned long long)sb.tcp_out,
                (unsigned long long)sa.challenge_acks, (unsigned long long)sb.challenge_acks);
        test_fail_at(__FILE__, __LINE__);
    }
    ASSERT_EQ(synack_next_deadline(a->st), synack_next_deadline(b->st));
}

/* Takes what both stacks send now, datagram by datagram, and compares them byte for byte.
 * Returns how many there were. */
static int hp_drain(struct tcpf *a, struct tcpf *b, uint64_t now, int step)
{
    synack_poll(a->st, now);
    synack_poll(b->st, now);
    a->now = b->now = now;
    int count = 0;
    for (;;) {
        uint8_t db[2048];
        int na = synack_output(a->st, now, a->rx, sizeof a->rx);
        int nb = synack_output(b->st, now, db, sizeof db);
        if (na != nb || (na > 0 && memcmp(a->rx, db, (size_t)na) != 0)) {
            fprintf(stderr, "    step %d: datagram %d differs (fast %d bytes, general %d)\n", step,
                    count, na, nb);
            if (na > 0 && wire_segment_parse(a->rx, (size_t)na, true, &a->seg) == 0)
                tcpf_print_seg(a, "fast    ", a->seg.tcp.flags, a->seg.tcp.seq, a->seg.tcp.ack,
                               a->seg.payload_len);
            if (nb > 0 && wire_segment_parse(db, (size_t)nb, true, &b->seg) == 0)
                tcpf_print_seg(b, "general ", b->seg.tcp.flags, b->seg.tcp.seq, b->seg.tcp.ack,
                               b->seg.payload_len);
            test_fail_at(__FILE__, __LINE__);
        }
        if (na <= 0) break;
        count++;
    }
    return count;
}

/* Counts the peer segments that met the prediction's conditions as the test knows them, so
 * that a run which never reached the short path cannot pass for a comparison of it. */
struct hp_count {
    uint64_t segs, predicted_data, predicted_ack;
};

/* The peer's next segment, drawn around the predicted case. */
static void hp_peer_segment(struct tcpf *a, struct tcpf *b, struct peer *p, const struct hp_opts *o,
                            uint64_t *rs, struct hp_count *c)
{
    struct synack_sockinfo in;
    memset(&in, 0, sizeof in);
    if (synack_getinfo(a->st, hp_conn(a), &in) != 0) return;
    uint16_t flags = SYNACK_TCP_ACK;
    uint32_t r = rnd(rs, 100);
    if (r < 40)
        flags |= SYNACK_TCP_PSH;
    else if (r < 43)
        flags |= SYNACK_TCP_FIN;
    else if (r < 45)
        flags |= SYNACK_TCP_URG;
    else if (r < 46 && rnd(rs, 4) == 0)
        flags = SYNACK_TCP_RST | (rnd(rs, 2) ? SYNACK_TCP_ACK : 0);
    else if (r < 47)
        flags |= SYNACK_TCP_SYN;
    else if (r < 49)
        flags |= rnd(rs, 2) ? SYNACK_TCP_ECE : SYNACK_TCP_CWR;
    else if (r < 50)
        flags = 0;
    /* Text: none about half the time, else odd sizes and full ones. */
    uint32_t dlen = 0;
    r = rnd(rs, 10);
    if (r >= 5) dlen = r < 8 ? 1 + rnd(rs, 1460) : 1460 - (o->ts ? 12 : 0);
    /* SEG.SEQ: mostly RCV.NXT. */
    uint32_t seq = in.rcv_nxt;
    r = rnd(rs, 100);
    if (r < 8)
        seq -= 1 + rnd(rs, 3000);
    else if (r < 16)
        seq += 1 + rnd(rs, 3000);
    else if (r < 18)
        seq += in.rcv_wnd - rnd(rs, 3);
    else if (r < 19)
        seq = (uint32_t)rng_next(rs);
    /* SEG.ACK: mostly inside [SND.UNA, SND.NXT]. */
    uint32_t flight = in.snd_nxt - in.snd_una;
    uint32_t ack = in.snd_una + (flight ? rnd(rs, flight + 1) : 0);
    r = rnd(rs, 100);
    if (r < 30)
        ack = in.snd_nxt;
    else if (r < 45)
        ack = in.snd_una;
    else if (r < 50)
        ack = in.snd_una - 1 - rnd(rs, 70000);
    else if (r < 54)
        ack = in.snd_nxt + 1 + rnd(rs, 3000);
    /* The window: mostly unchanged. */
    r = rnd(rs, 100);
    if (r < 8)
        p->win = (uint16_t)rnd(rs, 65536);
    else if (r < 10)
        p->win = 0;
    else if (r < 12)
        p->win = (uint16_t)(p->win + 1);
    /* Timestamps: mostly newer, sometimes equal, older, missing, or across the 2^31 turn. */
    struct synack_tcp_opts so;
    memset(&so, 0, sizeof so);
    bool has_opts = false;
    if (o->ts) {
        r = rnd(rs, 100);
        so.has_ts = r >= 3;
        if (r < 70)
            p->ts_val += rnd(rs, 5);
        else if (r < 85)
            so.ts_val = 0; /* set below: older */
        else if (r < 88)
            p->ts_val += 0x7fffffffu + rnd(rs, 3);
        so.ts_val = (r >= 70 && r < 85) ? p->ts_val - 1 - rnd(rs, 1000) : p->ts_val;
        so.ts_ecr = in.ts_ok ? 1 : 0;
        has_opts = true;
    }
    if (o->sack && rnd(rs, 100) < 6) {
        so.sack_count = 1;
        so.sack[0].left = in.snd_una + rnd(rs, 3000);
        so.sack[0].right = so.sack[0].left + 1 + rnd(rs, 1460);
        has_opts = true;
    }
    if (rnd(rs, 200) == 0) {
        so.has_mss = true; /* an MSS option outside a SYN: ignored, but not predicted */
        so.mss = 1000;
        has_opts = true;
    }
    a->peer_tos = b->peer_tos = rnd(rs, 50) == 0 ? 3 : 0; /* sometimes CE */
    uint8_t data[1460];
    for (uint32_t i = 0; i < dlen; i++) data[i] = (uint8_t)(seq + i);
    bool hp_flags = (flags & (uint16_t)~SYNACK_TCP_PSH) == SYNACK_TCP_ACK;
    bool hp_opts = !so.sack_count && !so.has_mss && so.has_ts == o->ts;
    bool ack_in = !hp_seq_gt(in.snd_una, ack) && !hp_seq_gt(ack, in.snd_nxt);
    if (in.state == SYNACK_ESTABLISHED && hp_flags && hp_opts && seq == in.rcv_nxt && ack_in) {
        if (dlen == 0 && ack != in.snd_una) c->predicted_ack++;
        if (dlen > 0) c->predicted_data++;
    }
    c->segs++;
    uint64_t t = a->now;
    send_seg(a, t, flags, seq, ack, p->win, data, dlen, has_opts ? &so : NULL);
    send_seg(b, t, flags, seq, ack, p->win, data, dlen, has_opts ? &so : NULL);
}

static void hp_run(uint64_t seed, struct hp_count *c)
{
    uint64_t rs = seed;
    test_seed(seed);
    struct hp_opts o;
    o.ts = rnd(&rs, 4) != 0;
    o.sack = rnd(&rs, 3) != 0;
    o.wscale = rnd(&rs, 2) != 0;
    o.ecn = rnd(&rs, 3) == 0;
    o.rcvbuf = rnd(&rs, 2) ? 8192 : 65536 + rnd(&rs, 100000);
    /* The peer's ISS close below 2^32 in half the runs: its sequence numbers wrap. */
    uint32_t irs = rnd(&rs, 2) ? 0xffffffffu - rnd(&rs, 200000) : (uint32_t)rng_next(&rs);
    uint32_t tsval = rnd(&rs, 4) == 0 ? 0x7fffff00u + rnd(&rs, 512) : (uint32_t)rng_next(&rs);
    struct tcpf a, b;
    hp_config(&a, &o, false);
    hp_config(&b, &o, true);
    test_seed(seed); /* tcpf_config set the fixture's; this run is named by its own */
    hp_open(&a, &o, irs, tsval);
    hp_open(&b, &o, irs, tsval);
    struct peer p = {.ts_val = tsval + 1, .win = 16384, .wscale = 2};
    int step = 0;
    hp_drain(&a, &b, a.now, step);
    hp_compare_state(&a, &b, step);
    uint8_t out[4000];
    for (int i = 0; i < 3000; i++) {
        out[i] = (uint8_t)(seed + (uint64_t)i);
    }
    for (step = 1; step <= 300; step++) {
        uint32_t r = rnd(&rs, 100);
        uint64_t now = a.now;
        if (r < 55) {
            hp_peer_segment(&a, &b, &p, &o, &rs, c);
        } else if (r < 70) {
            size_t n = 1 + rnd(&rs, 3000);
            long sa = synack_send(a.st, a.sd, now, out, n);
            long sb = synack_send(b.st, b.sd, now, out, n);
            ASSERT_EQ(sa, sb);
        } else if (r < 82) {
            uint8_t ba[4000], bb[4000];
            size_t n = 1 + rnd(&rs, sizeof ba);
            long ra = synack_recv(a.st, a.sd, now, ba, n);
            long rb = synack_recv(b.st, b.sd, now, bb, n);
            ASSERT_EQ(ra, rb);
            if (ra > 0) ASSERT_MEM_EQ(ba, bb, (size_t)ra);
        } else if (r < 99 || a.sd < 0) {
            now += rnd(&rs, 4) == 0 ? rnd(&rs, 1000000) : rnd(&rs, 50000);
        } else if (rnd(&rs, 3) == 0) {
            /* close(): an orphan whose data nobody will read (RFC 1122 §4.2.2.13). */
            ASSERT_EQ(synack_close(a.st, a.sd, now), synack_close(b.st, b.sd, now));
            a.sd = b.sd = -1;
        } else {
            int how = (int)rnd(&rs, 3);
            ASSERT_EQ(synack_shutdown(a.st, a.sd, now, how), synack_shutdown(b.st, b.sd, now, how));
        }
        hp_drain(&a, &b, now, step);
        hp_compare_state(&a, &b, step);
        if (tcpf_state_of(&a, hp_conn(&a)) == SYNACK_CLOSED) break;
    }
    tcpf_free(&a);
    tcpf_free(&b);
}

TEST(fast_and_general_paths_agree)
{
    struct hp_count c = {0, 0, 0};
    uint64_t seeds = 1000;
    const char *e = getenv("HP_SEEDS");
    if (e) seeds = strtoull(e, NULL, 10);
    for (uint64_t s = 1; s <= seeds; s++) hp_run(0x4850000000ull + s, &c);
    printf("    %llu peer segments, %llu predicted pure ACKs, %llu predicted data\n",
           (unsigned long long)c.segs, (unsigned long long)c.predicted_ack,
           (unsigned long long)c.predicted_data);
    /* The short path must have been exercised, both kinds, many times. */
    ASSERT(c.predicted_ack > 4000);
    ASSERT(c.predicted_data > 8000);
}

TEST_MAIN()
