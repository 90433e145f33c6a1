/*
 * trace_analyze_test.c - connection reconstruction and annotations on scripted captures: each
 * test plays the packets a capture would hold, in order, with their capture times, and checks
 * the connection, the inferred states (RFC 9293 §3.3.2), the phases and the annotations
 * (defined as Wireshark's TCP analysis defines them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "test.h"
#include "capture/analyze.h"

#define C   0 /* the client sends */
#define S   1 /* the server sends */
#define SYN SYNACK_TCP_SYN
#define ACK SYNACK_TCP_ACK
#define FIN SYNACK_TCP_FIN
#define RST SYNACK_TCP_RST
#define PSH SYNACK_TCP_PSH

struct play {
    tr_analyzer *a;
    uint64_t frame;
    uint16_t cport;
    bool v6; /* the packets are TCP/IPv6 between fd00:7::1 and fd00:7::2 */
    struct tr_rec last;
    struct tr_conn *conn;
};

static void play_init(struct play *p, uint32_t keep)
{
    memset(p, 0, sizeof *p);
    struct tr_analyzer_opts o = {.keep_recs = keep, .keep_conns = 8};
    p->a = tr_analyzer_new(&o);
    ASSERT(p->a != NULL);
    p->cport = 40000;
}

/* One packet at time t ms (fractions allowed via us). */
static struct tr_rec *pkt_us(struct play *p, uint64_t t_us, int from, uint16_t flags, uint32_t seq,
                             uint32_t ack, uint32_t len, uint16_t win)
{
    struct tr_packet k;
    memset(&k, 0, sizeof k);
    k.frame = ++p->frame;
    k.ts_us = 1000000000ull + t_us;
    k.kind = TR_PKT_TCP4;
    k.seg.ip.src = from == C ? 0x0a630001u : 0x0a630002u;
    k.seg.ip.dst = from == C ? 0x0a630002u : 0x0a630001u;
    if (p->v6) {
        /* the IPv4 addresses' bytes at the start, so that only the family tells them apart */
        static const uint8_t a6[2][16] = {{0x0a, 0x63, 0, 1}, {0x0a, 0x63, 0, 2}};
        k.kind = TR_PKT_TCP6;
        k.seg.ip.src = k.seg.ip.dst = 0;
        memcpy(k.src6, a6[from == C ? 0 : 1], 16);
        memcpy(k.dst6, a6[from == C ? 1 : 0], 16);
    }
    k.seg.tcp.sport = from == C ? p->cport : 80;
    k.seg.tcp.dport = from == C ? 80 : p->cport;
    k.seg.tcp.flags = flags;
    k.seg.tcp.seq = seq;
    k.seg.tcp.ack = ack;
    k.seg.tcp.window = win;
    k.seg.payload_len = len;
    if (flags & SYN) {
        k.seg.tcp.opts.has_mss = true;
        k.seg.tcp.opts.mss = 1460;
        k.seg.tcp.opts.has_wscale = true;
        k.seg.tcp.opts.wscale = 0;
    }
    p->conn = tr_analyze(p->a, &k, &p->last);
    ASSERT(p->conn != NULL);
    return &p->last;
}

static struct tr_rec *pkt(struct play *p, uint64_t t_ms, int from, uint16_t flags, uint32_t seq,
                          uint32_t ack, uint32_t len, uint16_t win)
{
    return pkt_us(p, t_ms * 1000, from, flags, seq, ack, len, win);
}

/* Client ISN 100, server ISN 500, handshake at 0/10/20 ms (RTT 20 ms at the client). */
static void handshake(struct play *p)
{
    struct tr_rec *r = pkt(p, 0, C, SYN, 100, 0, 0, 8192);
    ASSERT_EQ(r->phase, TR_PHASE_HANDSHAKE);
    ASSERT_EQ(r->state_tx, SYNACK_SYN_SENT);
    r = pkt(p, 10, S, SYN | ACK, 500, 101, 0, 8192);
    ASSERT_EQ(r->state_tx, SYNACK_SYN_RECEIVED);
    r = pkt(p, 20, C, ACK, 101, 501, 0, 8192);
    ASSERT_EQ(r->state_tx, SYNACK_ESTABLISHED);
    ASSERT_EQ(r->state_rx, SYNACK_ESTABLISHED);
    ASSERT_EQ(r->ann, 0);
}

static bool has(const struct tr_rec *r, uint32_t bit)
{
    return (r->ann & bit) != 0;
}

TEST(analyze_handshake_data_and_4way_close)
{
    struct play p;
    play_init(&p, 100);
    handshake(&p);
    struct tr_rec *r = pkt(&p, 30, C, PSH | ACK, 101, 501, 100, 8192);
    ASSERT_EQ(r->phase, TR_PHASE_DATA);
    r = pkt(&p, 40, S, ACK, 501, 201, 0, 8192);
    ASSERT_EQ(r->ann, 0);
    /* the client closes first (RFC 9293 §3.6 figure 12) */
    r = pkt(&p, 50, C, FIN | ACK, 201, 501, 0, 8192);
    ASSERT_EQ(r->phase, TR_PHASE_CLOSE);
    ASSERT_EQ(r->state_tx, SYNACK_FIN_WAIT_1);
    ASSERT_EQ(r->state_rx, -1); /* the server's CLOSE-WAIT shows when it acknowledges */
    r = pkt(&p, 60, S, ACK, 501, 202, 0, 8192);
    ASSERT_EQ(r->state_tx, SYNACK_CLOSE_WAIT);
    ASSERT_EQ(r->state_rx, SYNACK_FIN_WAIT_2);
    r = pkt(&p, 70, S, FIN | ACK, 501, 202, 0, 8192);
    ASSERT_EQ(r->state_tx, SYNACK_LAST_ACK);
    r = pkt(&p, 80, C, ACK, 202, 502, 0, 8192);
    ASSERT_EQ(r->state_tx, SYNACK_TIME_WAIT);
    ASSERT_EQ(r->state_rx, SYNACK_CLOSED);
    ASSERT_EQ(r->time_wait, 1u << C);
    struct tr_conn *c = p.conn;
    ASSERT(c->handshake_seen && c->closed);
    ASSERT(c->have_hs_rtt);
    ASSERT_EQ(c->hs_rtt, 20000);
    ASSERT_EQ(c->pkts, 9);
    ASSERT_EQ(c->d[0].bytes, 100);
    ASSERT_EQ(c->nrecs, 9);
    char buf[64];
    ASSERT_STR_EQ(tr_conn_close_str(c, buf, sizeof buf), "4-way close (client first)");
    ASSERT_EQ(tr_conn_count(p.a), 1);
    tr_analyzer_free(p.a);
}

TEST(analyze_simultaneous_close_goes_through_closing)
{
    struct play p;
    play_init(&p, 100);
    handshake(&p);
    /* both FINs cross (RFC 9293 §3.6 figure 13) */
    struct tr_rec *r = pkt(&p, 30, C, FIN | ACK, 101, 501, 0, 8192);
    ASSERT_EQ(r->state_tx, SYNACK_FIN_WAIT_1);
    r = pkt(&p, 31, S, FIN | ACK, 501, 101, 0, 8192);
    ASSERT_EQ(r->phase, TR_PHASE_SIMUL_CLOSE);
    ASSERT_EQ(r->state_tx, SYNACK_FIN_WAIT_1);
    /* the client acknowledges the server's FIN before its own is: CLOSING */
    r = pkt(&p, 40, C, ACK, 102, 502, 0, 8192);
    ASSERT_EQ(r->state_tx, SYNACK_CLOSING);
    /* the server's FIN is acknowledged; whether it had the client's FIN already, the capture
     * cannot tell (the two ACKs cross): FIN-WAIT-2 until it acknowledges that FIN */
    ASSERT_EQ(r->state_rx, SYNACK_FIN_WAIT_2);
    r = pkt(&p, 41, S, ACK, 502, 102, 0, 8192);
    ASSERT_EQ(r->state_tx, SYNACK_TIME_WAIT);
    ASSERT_EQ(r->state_rx, SYNACK_TIME_WAIT); /* the client's FIN acknowledged */
    ASSERT(p.conn->time_wait[0] && p.conn->time_wait[1]);
    char buf[64];
    ASSERT_STR_EQ(tr_conn_close_str(p.conn, buf, sizeof buf), "simultaneous close");
    tr_analyzer_free(p.a);
}

TEST(analyze_rst_and_refused)
{
    struct play p;
    play_init(&p, 0);
    handshake(&p);
    struct tr_rec *r = pkt(&p, 30, S, RST | ACK, 501, 101, 0, 0);
    ASSERT_EQ(r->phase, TR_PHASE_RESET);
    ASSERT(has(r, TR_ANN(RST)));
    ASSERT(!has(r, TR_ANN(ZERO_WINDOW))); /* an RST's window means nothing */
    ASSERT_EQ(r->state_tx, SYNACK_CLOSED);
    ASSERT_EQ(r->state_rx, SYNACK_CLOSED);
    char buf[64];
    ASSERT_STR_EQ(tr_conn_close_str(p.conn, buf, sizeof buf), "reset by server");
    /* another port: a SYN answered by an RST */
    p.cport = 40001;
    pkt(&p, 100, C, SYN, 900, 0, 0, 8192);
    pkt(&p, 101, S, RST | ACK, 0, 901, 0, 0);
    ASSERT_STR_EQ(tr_conn_close_str(p.conn, buf, sizeof buf), "refused (RST to the SYN)");
    p.cport = 40002;
    pkt(&p, 200, C, SYN, 900, 0, 0, 8192);
    ASSERT_STR_EQ(tr_conn_close_str(p.conn, buf, sizeof buf), "no answer to the SYN");
    ASSERT_EQ(tr_conn_count(p.a), 3);
    tr_analyzer_free(p.a);
}

TEST(analyze_reuse_of_a_4tuple_is_a_new_connection)
{
    struct play p;
    play_init(&p, 0);
    handshake(&p);
    pkt(&p, 30, C, FIN | ACK, 101, 501, 0, 8192);
    pkt(&p, 31, S, FIN | ACK, 501, 102, 0, 8192);
    pkt(&p, 32, C, ACK, 102, 502, 0, 8192);
    struct tr_conn *first = p.conn;
    ASSERT(first->closed);
    /* a late retransmitted ACK is still the first connection's */
    pkt(&p, 40, C, ACK, 102, 502, 0, 8192);
    ASSERT(p.conn == first);
    /* the same ports again, a new ISN: TIME-WAIT reuse (RFC 9293 §3.6.1) */
    struct tr_rec *r = pkt(&p, 1000, C, SYN, 7000, 0, 0, 8192);
    ASSERT(p.conn != first);
    ASSERT_EQ(p.conn->id, 2);
    ASSERT(has(r, TR_ANN(REUSED_PORTS)));
    ASSERT(!has(r, TR_ANN(RETRANSMISSION)));
    r = pkt(&p, 1010, S, SYN | ACK, 9000, 7001, 0, 8192);
    ASSERT_EQ(p.conn->id, 2);
    ASSERT_EQ(r->state_tx, SYNACK_SYN_RECEIVED);
    /* a retransmitted SYN (same ISN) stays in its connection */
    p.cport = 40005;
    pkt(&p, 2000, C, SYN, 1, 0, 0, 8192);
    r = pkt(&p, 3000, C, SYN, 1, 0, 0, 8192);
    ASSERT(has(r, TR_ANN(RETRANSMISSION)));
    ASSERT_EQ(tr_conn_count(p.a), 3);
    tr_analyzer_free(p.a);
}

TEST(analyze_retransmission_and_spurious)
{
    struct play p;
    play_init(&p, 0);
    handshake(&p);
    pkt(&p, 30, C, ACK, 101, 501, 1000, 8192);
    pkt(&p, 31, C, ACK, 1101, 501, 1000, 8192);
    /* the RTO fires: the first one again, 200 ms later */
    struct tr_rec *r = pkt(&p, 231, C, ACK, 101, 501, 1000, 8192);
    ASSERT_EQ(r->ann, TR_ANN(RETRANSMISSION));
    pkt(&p, 240, S, ACK, 501, 2101, 0, 8192);
    /* again, although it was acknowledged: spurious */
    r = pkt(&p, 450, C, ACK, 101, 501, 1000, 8192);
    ASSERT_EQ(r->ann, TR_ANN(SPURIOUS_RETRANSMISSION));
    tr_analyzer_free(p.a);
}

TEST(analyze_dup_acks_then_fast_retransmission)
{
    struct play p;
    play_init(&p, 0);
    handshake(&p);
    /* segments 1..4 of 1000 bytes; the first is lost before the capture point? no: lost after
     * it, so the capture holds it and the receiver's dup ACKs */
    for (uint32_t i = 0; i < 4; i++) pkt(&p, 30 + i, C, ACK, 101 + i * 1000, 501, 1000, 8192);
    struct tr_rec *r = pkt(&p, 40, S, ACK, 501, 101, 0, 8192);
    ASSERT(has(r, TR_ANN(DUP_ACK)));
    ASSERT_EQ(r->dup_num, 1);
    r = pkt(&p, 41, S, ACK, 501, 101, 0, 8192);
    ASSERT_EQ(r->dup_num, 2);
    r = pkt(&p, 42, S, ACK, 501, 101, 0, 8192);
    ASSERT_EQ(r->dup_num, 3);
    /* RFC 5681 §3.2: the sender retransmits on the third dup ACK */
    r = pkt(&p, 43, C, ACK, 101, 501, 1000, 8192);
    ASSERT_EQ(r->ann, TR_ANN(FAST_RETRANSMISSION));
    /* the ACK that covers all: not a dup */
    r = pkt(&p, 53, S, ACK, 501, 4101, 0, 8192);
    ASSERT_EQ(r->ann, 0);
    ASSERT_EQ(p.conn->ann_count[TR_ANN_BIT_DUP_ACK], 3);
    tr_analyzer_free(p.a);
}

TEST(analyze_gap_out_of_order_and_acked_unseen)
{
    struct play p;
    play_init(&p, 0);
    handshake(&p); /* handshake RTT 20 ms: the out-of-order threshold */
    pkt(&p, 30, C, ACK, 101, 501, 1000, 8192);
    /* 1101..2101 not in the capture */
    struct tr_rec *r = pkt(&p, 31, C, ACK, 2101, 501, 1000, 8192);
    ASSERT_EQ(r->ann, TR_ANN(LOST_SEGMENT));
    /* the missing one shows up 2 ms later: reordered, not retransmitted */
    r = pkt(&p, 33, C, ACK, 1101, 501, 1000, 8192);
    ASSERT_EQ(r->ann, TR_ANN(OUT_OF_ORDER));
    /* the server acknowledges bytes the capture never saw */
    r = pkt(&p, 40, S, ACK, 501, 5101, 0, 8192);
    ASSERT(has(r, TR_ANN(ACK_UNSEEN)));
    tr_analyzer_free(p.a);
}

TEST(analyze_windows_zero_probe_full_update)
{
    struct play p;
    play_init(&p, 0);
    handshake(&p);
    /* the server's window is 3000; the client fills it */
    pkt(&p, 30, S, ACK, 501, 101, 0, 3000);
    pkt(&p, 31, C, ACK, 101, 501, 1000, 8192);
    pkt(&p, 32, C, ACK, 1101, 501, 1000, 8192);
    struct tr_rec *r = pkt(&p, 33, C, ACK, 2101, 501, 1000, 8192);
    ASSERT(has(r, TR_ANN(WINDOW_FULL)));
    /* the application does not read: zero window */
    r = pkt(&p, 40, S, ACK, 501, 3101, 0, 0);
    ASSERT(has(r, TR_ANN(ZERO_WINDOW)));
    /* the persist timer's probe: one byte at the edge (RFC 9293 §3.8.6.1) */
    r = pkt(&p, 240, C, ACK, 3101, 501, 1, 8192);
    ASSERT(has(r, TR_ANN(ZERO_WINDOW_PROBE)));
    /* the window opens: an update (same ACK, new window) */
    r = pkt(&p, 300, S, ACK, 501, 3101, 0, 4000);
    ASSERT_EQ(r->ann, TR_ANN(WINDOW_UPDATE));
    tr_analyzer_free(p.a);
}

TEST(analyze_keep_alive_and_its_ack)
{
    struct play p;
    play_init(&p, 0);
    handshake(&p);
    pkt(&p, 30, C, ACK, 101, 501, 10, 8192);
    pkt(&p, 40, S, ACK, 501, 111, 0, 8192);
    /* two hours later: seq = next - 1, no data (RFC 1122 §4.2.3.6) */
    struct tr_rec *r = pkt(&p, 7200040, C, ACK, 110, 501, 0, 8192);
    ASSERT_EQ(r->ann, TR_ANN(KEEP_ALIVE));
    r = pkt(&p, 7200050, S, ACK, 501, 111, 0, 8192);
    ASSERT_EQ(r->ann, TR_ANN(KEEP_ALIVE_ACK));
    tr_analyzer_free(p.a);
}

TEST(analyze_window_scale_from_both_syns)
{
    struct play p;
    play_init(&p, 0);
    struct tr_packet k;
    memset(&k, 0, sizeof k);
    k.kind = TR_PKT_TCP4;
    k.seg.ip.src = 1;
    k.seg.ip.dst = 2;
    k.seg.tcp.sport = 1000;
    k.seg.tcp.dport = 2000;
    k.seg.tcp.flags = SYN;
    k.seg.tcp.window = 65535;
    k.seg.tcp.opts.has_wscale = true;
    k.seg.tcp.opts.wscale = 7;
    struct tr_rec r;
    tr_analyze(p.a, &k, &r);
    ASSERT_EQ(r.win, 65535); /* a SYN's window is never scaled (RFC 7323 §2.2) */
    k.seg.ip.src = 2;
    k.seg.ip.dst = 1;
    k.seg.tcp.sport = 2000;
    k.seg.tcp.dport = 1000;
    k.seg.tcp.flags = SYN | ACK;
    k.seg.tcp.ack = 1;
    k.seg.tcp.opts.wscale = 2;
    tr_analyze(p.a, &k, &r);
    k.seg.ip.src = 1;
    k.seg.ip.dst = 2;
    k.seg.tcp.sport = 1000;
    k.seg.tcp.dport = 2000;
    k.seg.tcp.flags = ACK;
    k.seg.tcp.seq = 1;
    k.seg.tcp.window = 100;
    memset(&k.seg.tcp.opts, 0, sizeof k.seg.tcp.opts);
    tr_analyze(p.a, &k, &r);
    ASSERT_EQ(r.win, 100u << 7);
    tr_analyzer_free(p.a);
}

TEST(analyze_memory_is_bounded_by_connections_not_packets)
{
    struct play p;
    play_init(&p, 50);
    handshake(&p);
    size_t after_one = tr_analyzer_mem(p.a);
    uint32_t seq = 101;
    for (uint64_t i = 0; i < 200000; i++) {
        pkt_us(&p, 30000 + i * 10, C, ACK, seq, 501, 1000, 8192);
        seq += 1000;
        if (i % 2) pkt_us(&p, 30000 + i * 10 + 5, S, ACK, 501, seq, 0, 8192);
    }
    ASSERT_EQ(p.conn->nrecs, 50);          /* only the kept records */
    ASSERT(p.conn->recs_dropped > 200000); /* the rest counted */
    ASSERT(tr_analyzer_mem(p.a) < after_one + 50 * sizeof(struct tr_rec) + 4096);
    tr_analyzer_free(p.a);
}

TEST(analyze_many_connections_hash_and_numbering)
{
    struct play p;
    play_init(&p, 4);
    for (uint32_t i = 0; i < 5000; i++) {
        p.cport = (uint16_t)(10000 + i);
        pkt(&p, i, C, SYN, i, 0, 0, 8192);
    }
    for (uint32_t i = 0; i < 5000; i++) {
        p.cport = (uint16_t)(10000 + i);
        pkt(&p, 6000 + i, S, SYN | ACK, 77, i + 1, 0, 8192);
        ASSERT_EQ(p.conn->id, i + 1);
    }
    ASSERT_EQ(tr_conn_count(p.a), 5000);
    ASSERT_EQ(tr_conn_get(p.a, 4999)->port[0], 14999);
    /* records kept for the first keep_conns connections only */
    ASSERT_EQ(tr_conn_get(p.a, 0)->nrecs, 2);
    ASSERT_EQ(tr_conn_get(p.a, 100)->nrecs, 0);
    tr_analyzer_free(p.a);
}

TEST(analyze_connection_limit_counts_the_rest)
{
    struct tr_analyzer_opts o = {.max_conns = 2};
    tr_analyzer *a = tr_analyzer_new(&o);
    struct tr_packet k;
    memset(&k, 0, sizeof k);
    k.kind = TR_PKT_TCP4;
    k.seg.ip.src = 1;
    k.seg.ip.dst = 2;
    k.seg.tcp.flags = SYN;
    struct tr_rec r;
    for (uint16_t port = 1; port <= 5; port++) {
        k.seg.tcp.sport = port;
        k.seg.tcp.dport = 80;
        struct tr_conn *c = tr_analyze(a, &k, &r);
        ASSERT(port <= 2 ? c != NULL : c == NULL);
    }
    ASSERT_EQ(tr_untracked_packets(a), 3);
    tr_analyzer_free(a);
}

TEST(analyze_survives_any_segment_sequence)
{
    /* random flags, numbers, windows and options on a few 4-tuples, as a hostile or broken
     * capture could hold: no crash, no undefined behaviour (UBSan), consistent counts */
    uint64_t x = 42;
    test_seed(x);
    struct tr_analyzer_opts o = {.keep_recs = 64, .keep_conns = 4, .max_conns = 50};
    tr_analyzer *a = tr_analyzer_new(&o);
    uint64_t tracked = 0;
    for (int i = 0; i < 200000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t r = x >> 11;
        struct tr_packet k;
        memset(&k, 0, sizeof k);
        k.frame = (uint64_t)i + 1;
        k.ts_us = (uint64_t)i * (r % 3 ? 10 : 100000);
        k.kind = TR_PKT_TCP4;
        bool fwd = r & 1;
        uint16_t port = (uint16_t)(1000 + (r >> 1) % 8);
        k.seg.ip.src = fwd ? 1 : 2;
        k.seg.ip.dst = fwd ? 2 : 1;
        k.seg.tcp.sport = fwd ? port : 80;
        k.seg.tcp.dport = fwd ? 80 : port;
        k.seg.tcp.flags = (uint16_t)((r >> 4) & 0x1ff);
        /* numbers near each other often, anywhere sometimes (wrap-around included) */
        uint32_t base = (r >> 13) % 4 ? 0xfffff000u : (uint32_t)(r >> 20);
        k.seg.tcp.seq = base + (uint32_t)((r >> 24) % 9000);
        k.seg.tcp.ack = base + (uint32_t)((r >> 36) % 9000);
        k.seg.tcp.window = (uint16_t)((r >> 40) % 3 ? 1000 : 0);
        k.seg.payload_len = (uint32_t)((r >> 44) % 3 ? (r >> 46) % 1500 : 0);
        k.seg.tcp.opts.has_wscale = (r >> 50) & 1;
        k.seg.tcp.opts.wscale = (uint8_t)((r >> 51) % 20); /* beyond RFC 7323's 14 too */
        k.seg.tcp.opts.sack_count = (uint8_t)((r >> 56) % 5);
        struct tr_rec rec;
        if (tr_analyze(a, &k, &rec)) tracked++;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < tr_conn_count(a); i++) {
        const struct tr_conn *c = tr_conn_get(a, i);
        sum += c->pkts;
        ASSERT(c->nrecs <= 64);
        char buf[64];
        tr_conn_close_str(c, buf, sizeof buf);
    }
    ASSERT_EQ(sum, tracked);
    ASSERT_EQ(tracked + tr_untracked_packets(a), 200000);
    tr_analyzer_free(a);
}

TEST(analyze_names)
{
    ASSERT_STR_EQ(tr_ann_field(TR_ANN_BIT_DUP_ACK), "duplicate_ack");
    ASSERT_STR_EQ(tr_ann_name(TR_ANN_BIT_LOST_SEGMENT), "previous segment not captured");
    char buf[128];
    tr_ann_str(TR_ANN(DUP_ACK) | TR_ANN(WINDOW_FULL) | TR_ANN(RETRANSMISSION), 2, true, buf,
               sizeof buf);
    ASSERT_STR_EQ(buf, "dup ack #2, window full");
    ASSERT_STR_EQ(tr_phase_name(TR_PHASE_CLOSE), "4-way close");
    ASSERT_STR_EQ(tr_phase_name(TR_PHASE_HANDSHAKE), "3-way handshake");
}

/* A transfer with every kind of event, as a script to play over either family. */
static void play_script(struct play *p)
{
    handshake(p);
    for (uint32_t i = 0; i < 5; i++) pkt(p, 30, C, ACK, 101 + i * 100, 501, 100, 8192);
    pkt(p, 40, S, ACK, 501, 201, 0, 8192);
    for (int i = 0; i < 3; i++) pkt(p, 41, S, ACK, 501, 201, 0, 8192); /* dup acks */
    pkt(p, 42, C, ACK, 201, 501, 100, 8192);                           /* fast rtx */
    pkt(p, 50, S, ACK, 501, 601, 0, 0);                                /* zero window */
    pkt(p, 60, S, ACK, 501, 601, 0, 8192);                             /* window update */
    pkt(p, 900, C, ACK, 600, 501, 0, 8192);                            /* keep-alive */
    pkt(p, 910, S, ACK, 501, 601, 0, 8192);                            /* its ack */
    pkt(p, 1000, C, ACK, 801, 501, 100, 8192);                         /* a gap */
    pkt(p, 1500, C, ACK, 601, 501, 100, 8192);                         /* retransmission */
    pkt(p, 1600, S, RST | ACK, 501, 901, 0, 0);
}

TEST(analyze_ipv6_is_analysed_as_ipv4)
{
    struct play p4, p6;
    play_init(&p4, 100);
    play_init(&p6, 100);
    p6.v6 = true;
    play_script(&p4);
    play_script(&p6);
    struct tr_conn *c4 = tr_conn_get(p4.a, 0), *c6 = tr_conn_get(p6.a, 0);
    ASSERT_EQ(tr_conn_count(p6.a), 1);
    ASSERT_EQ(c6->addr[0].family, 6);
    ASSERT_EQ(c4->addr[0].family, 4);
    ASSERT_EQ(tr_addr_v4(&c4->addr[0]), 0x0a630001u);
    ASSERT_EQ(tr_addr_v4(&c6->addr[0]), 0);
    ASSERT_EQ(c6->port[0], 40000);
    ASSERT_EQ(c6->nrecs, c4->nrecs);
    for (uint32_t i = 0; i < c4->nrecs; i++)
        ASSERT(memcmp(&c4->recs[i], &c6->recs[i], sizeof c4->recs[i]) == 0);
    ASSERT(memcmp(c4->ann_count, c6->ann_count, sizeof c4->ann_count) == 0);
    ASSERT(c6->ann_count[TR_ANN_BIT_FAST_RETRANSMISSION] == 1);
    ASSERT(c6->ann_count[TR_ANN_BIT_DUP_ACK] == 3);
    ASSERT(c6->ann_count[TR_ANN_BIT_ZERO_WINDOW] == 1);
    ASSERT(c6->ann_count[TR_ANN_BIT_WINDOW_UPDATE] == 1);
    ASSERT(c6->ann_count[TR_ANN_BIT_KEEP_ALIVE] == 1);
    ASSERT(c6->ann_count[TR_ANN_BIT_KEEP_ALIVE_ACK] == 1);
    ASSERT(c6->ann_count[TR_ANN_BIT_LOST_SEGMENT] == 1);
    ASSERT(c6->ann_count[TR_ANN_BIT_RETRANSMISSION] == 1);
    ASSERT(c6->ann_count[TR_ANN_BIT_RST] == 1);
    ASSERT_EQ(c6->rst_by, 1);
    ASSERT(c6->have_hs_rtt && c6->hs_rtt == c4->hs_rtt);
    tr_analyzer_free(p4.a);
    tr_analyzer_free(p6.a);
}

TEST(analyze_families_are_never_one_connection)
{
    /* the same ports, and addresses whose first bytes are the same: two connections */
    struct play p;
    play_init(&p, 10);
    pkt(&p, 0, C, SYN, 100, 0, 0, 8192);
    p.v6 = true;
    pkt(&p, 1, C, SYN, 100, 0, 0, 8192);
    pkt(&p, 2, S, SYN | ACK, 500, 101, 0, 8192);
    p.v6 = false;
    pkt(&p, 3, S, SYN | ACK, 700, 101, 0, 8192);
    ASSERT_EQ(tr_conn_count(p.a), 2);
    ASSERT_EQ(tr_conn_get(p.a, 0)->pkts, 2);
    ASSERT_EQ(tr_conn_get(p.a, 1)->pkts, 2);
    ASSERT_EQ(tr_conn_get(p.a, 1)->addr[1].family, 6);
    tr_analyzer_free(p.a);
}

static const char *addr6_str(const char *hex, char *buf, size_t cap, uint16_t port)
{
    struct tr_addr a = {.family = 6};
    for (int i = 0; i < 16; i++) {
        unsigned v;
        ASSERT(sscanf(hex + 2 * i, "%2x", &v) == 1);
        a.b[i] = (uint8_t)v;
    }
    return port ? tr_endpoint_str(&a, port, buf, cap) : tr_addr_str(&a, buf, cap);
}

TEST(analyze_ipv6_addresses_are_written_as_rfc_5952_says)
{
    static const char *const cases[][2] = {
        {"fd000007000000000000000000000001", "fd00:7::1"},
        {"00000000000000000000000000000001", "::1"},
        {"00000000000000000000000000000000", "::"},
        {"fe800000000000000000000000000000", "fe80::"},
        {"20010db8000000000001000000000001", "2001:db8::1:0:0:1"},    /* the first of equals */
        {"20010db8000100000001000100010001", "2001:db8:1:0:1:1:1:1"}, /* one 0: not :: */
        {"20010db800000000000100000000abcd", "2001:db8::1:0:0:abcd"},
        {"20010db8000000010000000000000001", "2001:db8:0:1::1"},  /* the longest run */
        {"00000000000000000000ffff0a630001", "::ffff:10.99.0.1"}, /* IPv4-mapped */
        {"fd00abcdef0123450000000000000000", "fd00:abcd:ef01:2345::"},
    };
    char buf[TR_ENDPOINT_STRLEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        addr6_str(cases[i][0], buf, sizeof buf, 0);
        if (strcmp(buf, cases[i][1]) != 0) fprintf(stderr, "    %s: got %s\n", cases[i][1], buf);
        ASSERT(strcmp(buf, cases[i][1]) == 0);
    }
    ASSERT(strcmp(addr6_str("fd000007000000000000000000000001", buf, sizeof buf, 8080),
                  "[fd00:7::1]:8080") == 0);
    /* the longest string there is fits */
    addr6_str("ffffffffffffffffffffffffffffffff", buf, sizeof buf, 65535);
    ASSERT(strcmp(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535") == 0);
    struct tr_addr v4 = {.family = 4, .b = {10, 99, 0, 1}};
    ASSERT(strcmp(tr_endpoint_str(&v4, 80, buf, sizeof buf), "10.99.0.1:80") == 0);
    /* cut short, never overflowing */
    char tiny[8];
    addr6_str("20010db8000000000001000000000001", tiny, sizeof tiny, 0);
    ASSERT(strlen(tiny) < sizeof tiny);
}

TEST_MAIN()
