/*
 * hunt_test.c - what an outside tester attacking synack as a hostile peer and a hostile user
 * found (session 7's hunt), one test each: each failed before its fix. Deterministic: the
 * integer clock of the stacks, seeded links, the seed printed on failure.
 */
#include <stdio.h>

#include "test.h"
#include "transfer.h"

/* cfg.mtu may be as small as IPv4's 68 (RFC 791). The MSS floor of 64 that keeps a peer's
 * tiny MSS option from making us send a flood of tiny segments was applied after the link's
 * own limit, so on a device of an MTU below 104 every data segment was larger than the
 * device carries: refused by the output queue (EMSGSIZE) again and again, no byte ever
 * sent, no timeout, the connection ESTABLISHED for ever. */
TEST(a_device_mtu_below_104_still_carries_every_byte)
{
    if (simnet_ipv6()) TEST_SKIP("IPv4's minimum MTU; IPv6 needs 1280");
    static const uint16_t mtus[] = {68, 76, 100, 103, 104, 120};
    for (size_t i = 0; i < sizeof mtus / sizeof mtus[0]; i++) {
        for (int ts = 0; ts < 2; ts++) {
            struct transfer_result r = transfer_small_mtu(mtus[i], ts, 0, 7 + i);
            ASSERT(r.ok);
            ASSERT(r.closed);
        }
    }
}

/* ---- orphans held by a receiver that opens its window a byte at a time ---------------- */

#include "base/seq.h"
#include "tcp_fixture.h"

#define DRIP_MAX 4

enum drip_kind {
    DRIP_HELD_WINDOW,   /* the application keeps it; the peer opens its window a byte a time */
    DRIP_ORPHAN_WINDOW, /* closed by the application; the same peer */
    DRIP_ORPHAN_ACKS,   /* closed; the window wide open, each burst acknowledged a byte further */
};

/* A stack whose every socket slot is the listener's or one of n connections of the kinds
 * given, each with 60,000 bytes to send, against a peer that keeps them all alive for ten
 * minutes; then a new client tries. Returns whether it got in; resets[i] counts the
 * resets connection i sent. */
static bool drip_lockout(const enum drip_kind *kind, int n, int *resets)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.max_sockets = 1 + (uint32_t)n; /* the listener and the connections: full */
    f.cfg.sndbuf = 65536;
    conn_in_listen(&f);
    uint32_t iss[DRIP_MAX], hi[DRIP_MAX], acked[DRIP_MAX];
    static uint8_t data[60000];
    for (int i = 0; i < n; i++) {
        resets[i] = 0;
        int sd = tcpf_peer_connect(&f, (uint16_t)(TCPF_PEER_PORT + i), &iss[i]);
        ASSERT(sd >= 0);
        ASSERT_EQ(synack_send(f.st, sd, f.now, data, sizeof data), (long)sizeof data);
        hi[i] = acked[i] = iss[i] + 1;
        while (recv_seg(&f, f.now, NULL)) {
            uint32_t e = f.seg.tcp.seq + f.seg.payload_len;
            if (seq_gt(e, hi[i])) hi[i] = e;
        }
        if (kind[i] != DRIP_ORPHAN_ACKS) {
            /* All that came is acknowledged and the window closed. */
            send_seg(&f, f.now, SYNACK_TCP_ACK, f.irs + 1, hi[i], 0, NULL, 0, NULL);
            acked[i] = hi[i];
        }
        if (kind[i] != DRIP_HELD_WINDOW) ASSERT_EQ(synack_close(f.st, sd, f.now), 0);
    }
    /* Ten minutes: every segment is answered 10 ms later, by an ACK of all that came and a
     * window of one byte, or by an ACK of one byte more and a window wide open. */
    uint64_t end = f.now + 600ull * 1000000;
    while (f.now < end) {
        uint64_t d = synack_next_deadline(f.st);
        if (d == UINT64_MAX || d > end) break;
        if (d > f.now) f.now = d;
        bool answer[DRIP_MAX] = {false};
        while (recv_seg(&f, f.now, NULL)) {
            int i = f.seg.tcp.dport - TCPF_PEER_PORT;
            ASSERT(i >= 0 && i < n);
            if (f.seg.tcp.flags & SYNACK_TCP_RST) {
                resets[i]++;
                continue;
            }
            uint32_t e =
                f.seg.tcp.seq + f.seg.payload_len + ((f.seg.tcp.flags & SYNACK_TCP_FIN) ? 1u : 0u);
            if (seq_gt(e, hi[i])) hi[i] = e;
            answer[i] = true;
        }
        for (int i = 0; i < n; i++) {
            if (!answer[i]) continue;
            f.pport = (uint16_t)(TCPF_PEER_PORT + i);
            bool acks = kind[i] == DRIP_ORPHAN_ACKS;
            if (acks && seq_lt(acked[i], hi[i])) acked[i]++;
            if (!acks) acked[i] = hi[i];
            send_seg(&f, f.now + 10000, SYNACK_TCP_ACK, f.irs + 1, acked[i], acks ? 65535 : 1, NULL,
                     0, NULL);
        }
    }
    uint32_t iss_new;
    bool in = tcpf_peer_connect(&f, TCPF_PEER_PORT + 100, &iss_new) >= 0;
    tcpf_free(&f);
    return in;
}

/* A server at its socket limit whose application closed its connections (the peer read
 * too slowly: serve's idle timeout, its eviction of the oldest when full) leaves them to
 * the stack as orphans that still hold their unsent data. A receiver that answers every
 * segment and opens its window one byte at a time makes each orphan send one byte per
 * persist timeout (RFC 9293 §3.8.6.2.1's override, about 200 ms): 60,000 bytes took 2.7
 * hours, and every ACK is progress, so no retry count runs out. The orphans held every
 * slot: a new client's handshake found no socket and was reset, for hours. Linux resets an
 * orphan at its probe timer when it is out of resources (tcp_out_of_resources: too many
 * orphans, or memory), which this peer's dozens of orphans would meet: an orphan stalled
 * behind such a window when no slot is free gives way, and a connection its application
 * still holds does not. */
TEST(orphans_dripped_a_byte_at_a_time_do_not_lock_out_new_clients)
{
    const enum drip_kind kind[3] = {DRIP_HELD_WINDOW, DRIP_ORPHAN_WINDOW, DRIP_ORPHAN_WINDOW};
    int resets[3];
    bool in = drip_lockout(kind, 3, resets);
    if (!in)
        fprintf(stderr,
                "    after 10 minutes of the drip the new client was refused (%d, %d resets)\n",
                resets[1], resets[2]);
    ASSERT(in);
    /* The orphans gave way; the connection its application holds is probed for as long as
     * its peer answers (RFC 1122 §4.2.2.17), full table or not. */
    ASSERT(resets[1] + resets[2] >= 1);
    ASSERT_EQ(resets[0], 0);
}

/* The same lockout through the retransmission timer: the window wide open, the peer
 * acknowledges one byte more of each burst (60,000 bytes took 3.5 hours), and each ACK
 * resets the retry count. Linux's retransmission timer resets an orphan out of resources
 * too (tcp_write_timeout). */
TEST(orphans_acknowledged_a_byte_at_a_time_do_not_lock_out_new_clients)
{
    const enum drip_kind kind[2] = {DRIP_HELD_WINDOW, DRIP_ORPHAN_ACKS};
    int resets[2];
    bool in = drip_lockout(kind, 2, resets);
    if (!in) fprintf(stderr, "    the new client was refused (%d resets)\n", resets[1]);
    ASSERT(in);
    ASSERT_EQ(resets[1], 1);
    ASSERT_EQ(resets[0], 0);
}

/* ---- a hostile but consistent peer -------------------------------------------------------
 *
 * Every byte the peer sends at a sequence number is that number's byte of one fixed stream,
 * and its FIN is at one fixed place; everything else is drawn at random: which ranges, in
 * which order, twice or not, beyond the window or behind RCV.NXT, the ACK field (old, ahead
 * of what was sent, anywhere), SACK blocks that lie, timestamps that go back, windows from
 * zero up, URG, a SYN in the window, no ACK bit. Our application meanwhile reads and writes
 * at random, shuts its side down, and changes the buffer sizes of the live connection. The
 * stack must hand the application exactly the stream, in order, then its end; every byte it
 * sends at a sequence number must be the byte the application wrote there; it must never
 * reset the connection nor acknowledge beyond the peer's FIN; and once its output is
 * drained, its next deadline must lie ahead (no spin). Passive and active opens, the ISN
 * near the wrap, with and without timestamps and SACK, small receive buffers, deferred
 * output, Linux's send-buffer accounting, a small cfg.mem_max, the general path alone, and
 * a peer MSS of 64 with a 64 KiB send buffer (segments of 52 bytes on a RACK map of at
 * most 64 records, merged under the lying SACK blocks). */

static uint64_t liar_rs;

static uint32_t liar_rnd(void)
{
    liar_rs ^= liar_rs << 13;
    liar_rs ^= liar_rs >> 7;
    liar_rs ^= liar_rs << 17;
    return (uint32_t)(liar_rs >> 11);
}

static uint32_t liar_rn(uint32_t n)
{
    return n ? liar_rnd() % n : 0;
}

/* The peer's stream (dir 0) and our application's (dir 1), byte by offset. */
static uint8_t liar_byte(uint64_t seed, int dir, uint32_t off)
{
    uint64_t z = off * 0x9e3779b97f4a7c15ull + seed * 2 + (uint64_t)dir;
    z ^= z >> 29;
    z *= 0xbf58476d1ce4e5b9ull;
    return (uint8_t)(z >> 40);
}

struct liar {
    struct tcpf f;
    uint64_t seed;
    uint32_t end;        /* the peer's stream length; its FIN at IRS + 1 + end */
    uint32_t read;       /* bytes our application read */
    bool eof, shut;      /* it read the end; it shut its side down */
    uint32_t written;    /* bytes our application wrote */
    uint32_t peer_acked; /* the highest ACK we sent, an offset into the peer's stream */
    uint32_t st_max;     /* the highest offset we sent up to */
    uint32_t tsval;
    bool ts, sack;
    bool small_mss; /* the peer's MSS option says 64: RACK's map at its record limit */
    bool bad;
};

#define LIAR_FAIL(L, ...)                                                                          \
    do {                                                                                           \
        fprintf(stderr, "    seed %llu: ", (unsigned long long)(L)->seed);                         \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        (L)->bad = true;                                                                           \
    } while (0)

/* Everything the stack sends, checked. */
static void liar_drain(struct liar *L)
{
    struct tcpf *f = &L->f;
    while (!L->bad && recv_seg(f, f->now, NULL)) {
        const struct synack_segment *s = &f->seg;
        if (s->tcp.flags & SYNACK_TCP_SYN) continue; /* a new connection (RFC 6191 reopen) */
        if (s->tcp.flags & SYNACK_TCP_RST) {
            LIAR_FAIL(L, "the stack reset the connection");
            return;
        }
        if (s->tcp.flags & SYNACK_TCP_ACK) {
            uint32_t a = s->tcp.ack - (f->irs + 1);
            if (a > L->end + 1) LIAR_FAIL(L, "ACK beyond the peer's FIN: %u > %u", a, L->end + 1);
            if (seq_gt(a, L->peer_acked)) L->peer_acked = a;
        }
        uint32_t off = s->tcp.seq - (f->iss + 1);
        for (uint32_t i = 0; i < s->payload_len && !L->bad; i++)
            if (off + i >= L->written || s->payload[i] != liar_byte(L->seed, 1, off + i))
                LIAR_FAIL(L, "the stack sent a wrong byte at offset %u (%u written)", off + i,
                          L->written);
        if (seq_gt(off + s->payload_len, L->st_max)) L->st_max = off + s->payload_len;
    }
    uint64_t d = synack_next_deadline(f->st);
    if (!L->bad && d <= f->now)
        LIAR_FAIL(L, "output drained, yet the next deadline %llu is not after now %llu",
                  (unsigned long long)d, (unsigned long long)f->now);
}

/* Our application reads what is there; true at the end of the stream or an error. */
static bool liar_read(struct liar *L, size_t chunk)
{
    struct tcpf *f = &L->f;
    uint8_t buf[8192];
    long r;
    while ((r = synack_recv(f->st, f->sd, f->now, buf, chunk)) > 0) {
        for (long i = 0; i < r && !L->bad; i++)
            if (buf[i] != liar_byte(L->seed, 0, L->read + (uint32_t)i))
                LIAR_FAIL(L, "the application read a wrong byte at offset %u",
                          L->read + (uint32_t)i);
        L->read += (uint32_t)r;
        if (L->read > L->end) LIAR_FAIL(L, "read beyond the FIN");
        if (L->bad) return true;
    }
    if (r == 0) {
        if (L->read != L->end) LIAR_FAIL(L, "end of stream after %u of %u bytes", L->read, L->end);
        L->eof = true;
    }
    return r != SYNACK_EAGAIN;
}

static void liar_app(struct liar *L)
{
    struct tcpf *f = &L->f;
    if (liar_rn(3) == 0) liar_read(L, 1 + liar_rn(8192));
    if (liar_rn(200) == 0)
        synack_setopt(f->st, f->sd, liar_rn(2) ? SYNACK_OPT_RCVBUF : SYNACK_OPT_SNDBUF,
                      (long)liar_rn(70000));
    if (liar_rn(2000) == 0) {
        synack_shutdown(f->st, f->sd, f->now, SYNACK_SHUT_WR);
        L->shut = true;
    }
    if (!L->shut && liar_rn(4) == 0 && L->written < 300000) {
        uint8_t buf[3000];
        uint32_t n = 1 + liar_rn(sizeof buf);
        for (uint32_t i = 0; i < n; i++) buf[i] = liar_byte(L->seed, 1, L->written + i);
        long w = synack_send(f->st, f->sd, f->now, buf, n);
        if (w > 0) L->written += (uint32_t)w;
    }
}

/* One segment from the peer: its stream's bytes at its offset, all else at random. */
static void liar_segment(struct liar *L)
{
    struct tcpf *f = &L->f;
    int64_t o = (int64_t)L->peer_acked + (int64_t)liar_rn(16000) - 3000;
    if (o < 0) o = 0;
    if (o > L->end) o = L->end;
    uint32_t len = liar_rn(4) == 0 ? liar_rn(60) : liar_rn(1461);
    if (o + len > L->end) len = L->end - (uint32_t)o;
    uint16_t flags = SYNACK_TCP_ACK;
    if (o + len == L->end && liar_rn(2)) flags |= SYNACK_TCP_FIN;
    if (liar_rn(3) == 0) flags |= SYNACK_TCP_PSH;
    if (liar_rn(20) == 0) flags &= (uint16_t)~SYNACK_TCP_ACK;
    if (liar_rn(40) == 0) flags |= SYNACK_TCP_SYN;
    uint32_t ackoff = L->st_max;
    switch (liar_rn(6)) {
    case 0:
        ackoff = liar_rn(L->st_max + 1);
        break;
    case 1:
        ackoff = L->st_max + liar_rn(3000);
        break;
    case 2:
        ackoff = liar_rnd();
        break;
    default:
        break;
    }
    uint16_t win = (uint16_t)(liar_rn(5) == 0 ? liar_rn(100) : 20000 + liar_rn(45000));
    struct synack_ipv4_hdr ip;
    struct synack_tcp_hdr h;
    tcpf_peer_hdrs(f, &ip, &h, flags, f->irs + 1 + (uint32_t)o, f->iss + 1 + ackoff, win);
    if (flags & SYNACK_TCP_SYN) h.seq--; /* a SYN's text follows its own number */
    if (liar_rn(10) == 0) {
        h.flags |= SYNACK_TCP_URG;
        h.urg = (uint16_t)liar_rn(3000);
    }
    if (L->ts) {
        h.opts.has_ts = true;
        L->tsval += liar_rn(10) == 0 ? 0 : 1 + liar_rn(5);
        h.opts.ts_val = liar_rn(15) == 0 ? L->tsval - liar_rn(1000) : L->tsval;
        h.opts.ts_ecr = liar_rnd();
    }
    if (L->sack && liar_rn(2)) {
        int k = 1 + (int)liar_rn(L->ts ? 3 : 4);
        for (int i = 0; i < k; i++) {
            uint32_t a = liar_rn(L->st_max + 2000), b = a + liar_rn(5000);
            if (liar_rn(8) == 0) {
                a = liar_rnd();
                b = a + liar_rn(100000);
            }
            h.opts.sack[i].left = f->iss + 1 + a;
            h.opts.sack[i].right = f->iss + 1 + b;
        }
        h.opts.sack_count = (uint8_t)k;
    }
    uint8_t data[1500], pkt[2048];
    for (uint32_t i = 0; i < len; i++) data[i] = liar_byte(L->seed, 0, (uint32_t)o + i);
    size_t n = wire_segment_emit(pkt, sizeof pkt, &ip, &h, data, len);
    ASSERT(n > 0);
    synack_input(f->st, f->now, pkt, n);
}

static void liar_open(struct liar *L, bool active)
{
    struct tcpf *f = &L->f;
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = L->small_mss ? 64 : 1460;
    o.sack_permitted = L->sack;
    if (L->ts) {
        o.has_ts = true;
        o.ts_val = L->tsval = 1000;
    }
    if (!active) {
        conn_in_listen(f);
        send_seg(f, f->now, SYNACK_TCP_SYN, f->irs, 0, 65535, NULL, 0, &o);
        ASSERT(recv_seg(f, f->now, NULL));
        f->iss = f->seg.tcp.seq;
        uint32_t tsecr = f->seg.tcp.opts.ts_val;
        memset(&o, 0, sizeof o);
        if (L->ts) {
            o.has_ts = true;
            o.ts_val = ++L->tsval;
            o.ts_ecr = tsecr;
        }
        f->now += TCPF_STEP;
        send_seg(f, f->now, SYNACK_TCP_ACK, f->irs + 1, f->iss + 1, 65535, NULL, 0, &o);
        f->sd = synack_accept(f->st, f->lsd, NULL);
        ASSERT(f->sd >= 0);
        return;
    }
    conn_in_syn_sent(f);
    if (L->ts) o.ts_ecr = f->seg.tcp.opts.ts_val;
    /* The SYN,ACK may carry the stream's first bytes (RFC 9293 §3.10.7.3). */
    uint8_t data[1000];
    uint32_t k = liar_rn(2) ? liar_rn(sizeof data) : 0;
    for (uint32_t i = 0; i < k; i++) data[i] = liar_byte(L->seed, 0, i);
    f->now += TCPF_STEP;
    send_seg(f, f->now, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f->irs, f->iss + 1, 65535, data, k, &o);
    liar_drain(L);
}

static bool liar_run(uint64_t seed)
{
    static struct liar L;
    memset(&L, 0, sizeof L);
    liar_rs = seed * 0x2545F4914F6CDD1Dull + 1;
    L.seed = seed;
    L.ts = seed % 2;
    L.sack = (seed / 2) % 2;
    L.end = 20000 + liar_rn(200000);
    struct tcpf *f = &L.f;
    tcpf_config(f);
    L.small_mss = seed % 8 == 5;
    f->cfg.sndbuf = L.small_mss ? 65536 : 16384;
    f->cfg.rcvbuf = seed % 5 == 0 ? 1000 : seed % 19 == 0 ? 536 : seed % 23 == 0 ? 65536 : 8192;
    f->cfg.defer_output = seed % 7 == 0;
    f->cfg.sndbuf_linux = seed % 11 == 0;
    if (seed % 13 == 0) f->cfg.mem_max = 20000 + liar_rn(30000);
    f->cfg.no_header_prediction = seed % 17 == 0;
    f->cfg.no_quickack = seed % 29 != 0;
    f->irs = seed % 3 == 0 ? 0xffffffffu - (uint32_t)seed * 1000 : 1000000u * (uint32_t)seed;
    test_seed(seed);
    liar_open(&L, seed % 4 == 3);
    for (int step = 0; step < 20000 && !L.bad && !L.eof; step++) {
        uint32_t r = liar_rn(200);
        if (r < 50) f->now += liar_rn(5000);
        if (r == 50) f->now += liar_rn(3000000);
        if (tcpf_state_of(f, f->sd) == SYNACK_CLOSED) break;
        liar_segment(&L);
        liar_drain(&L);
        liar_app(&L);
        liar_drain(&L);
    }
    /* The end: the rest of the stream in order with its FIN, and everything read. A
     * connection already closed (a SYN reopened its TIME-WAIT, RFC 6191) keeps what it
     * received readable. */
    for (int k = 0; k < 1000 && !L.bad && !L.eof; k++) {
        if (tcpf_state_of(f, f->sd) != SYNACK_CLOSED) {
            uint32_t o = L.peer_acked, len = L.end - o > 1000 ? 1000 : L.end - o;
            uint16_t fl = (uint16_t)(SYNACK_TCP_ACK | (o + len == L.end ? SYNACK_TCP_FIN : 0));
            struct synack_ipv4_hdr ip;
            struct synack_tcp_hdr h;
            tcpf_peer_hdrs(f, &ip, &h, fl, f->irs + 1 + o, f->iss + 1 + L.st_max, 65535);
            if (L.ts) {
                h.opts.has_ts = true;
                h.opts.ts_val = ++L.tsval;
            }
            uint8_t data[1000], pkt[2048];
            for (uint32_t i = 0; i < len; i++) data[i] = liar_byte(seed, 0, o + i);
            size_t n = wire_segment_emit(pkt, sizeof pkt, &ip, &h, data, len);
            synack_input(f->st, f->now, pkt, n);
            f->now += TCPF_STEP;
            liar_drain(&L);
        }
        if (liar_read(&L, 8192) && !L.eof && !L.bad) LIAR_FAIL(&L, "a read failed");
    }
    if (!L.bad && !L.eof)
        LIAR_FAIL(&L, "no end of stream: read %u of %u, state %s", L.read, L.end,
                  synack_state_name(tcpf_state_of(f, f->sd)));
    tcpf_free(f);
    return !L.bad;
}

TEST(a_consistent_liar_gets_every_byte_delivered_exactly_both_ways)
{
    const char *e = getenv("HUNT_LIAR_SEEDS");
    unsigned n = e ? (unsigned)atoi(e) : 60;
    unsigned failed = 0;
    for (unsigned seed = 1; seed <= n; seed++)
        if (!liar_run(seed)) failed++;
    ASSERT_EQ(failed, 0u);
}

/* ---- the API used wrongly ------------------------------------------------------------------
 *
 * Two stacks with live traffic over a lossy, reordering link; on each, three calls a step
 * drawn at random from the whole API, on descriptors drawn from those it returned (closed or
 * not), small numbers and absurd ones: bind, listen, accept, connect and connect with data
 * on anything, sends of every kind (zero-copy from a buffer that stays valid, gathered with
 * NULL elements), reads, shutdown with any value, close and abort twice, every option with
 * odd values, notices, events, the stack-wide switches (timestamps, SACK, window scaling,
 * ECN, Fast Open and its keys) at any moment, and, in a second mode, the stack's own address
 * changed under its connections. A canary connection on its own port, which the random calls
 * never name, moves a seeded stream that must arrive byte-exact (in the first mode); the
 * stacks are freed with everything open, for LeakSanitizer; ASan and UBSan watch the rest. */

static uint8_t abuse_zc[1 << 17]; /* zero-copy sends lend it; never changed or freed */

struct abuse {
    struct simnet n;
    int known[2][64], nknown[2];
    int canary[2][2];
    bool addr_games;
};

static void abuse_call(struct abuse *A, int s)
{
    synack_stack *st = A->n.st[s];
    uint64_t now = A->n.now;
    int sd;
    switch (liar_rn(6)) {
    case 0:
        sd = (int)liar_rn(80) - 5;
        break;
    case 1:
        sd = liar_rn(2) ? -1 : 1 << 20;
        break;
    default:
        sd = A->nknown[s] ? A->known[s][liar_rn((uint32_t)A->nknown[s])] : 0;
        break;
    }
    if (sd >= 0 && (sd == A->canary[s][0] || sd == A->canary[s][1])) return;
    uint8_t buf[5000];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)i;
    struct synack_addr peer = sim_addr(1 - s);
    uint16_t port = (uint16_t)(8 + liar_rn(20)); /* never the canary's 7 */
    long v;
    int x;
    switch (liar_rn(30)) {
    case 0:
        x = synack_socket(st);
        if (x >= 0 && A->nknown[s] < 64) A->known[s][A->nknown[s]++] = x;
        break;
    case 1:
        synack_bind(st, sd, liar_rn(3) ? SYNACK_ADDR_ANY : sim_addr(s), port);
        break;
    case 2:
        synack_listen(st, sd, (int)liar_rn(20) - 2);
        break;
    case 3:
        x = synack_accept(st, sd, NULL);
        if (x >= 0 && A->nknown[s] < 64) A->known[s][A->nknown[s]++] = x;
        break;
    case 4:
        synack_connect(st, sd, now, peer, port);
        break;
    case 5:
        synack_send(st, sd, now, buf, liar_rn(sizeof buf));
        break;
    case 6:
        synack_send_flags(st, sd, now, abuse_zc + liar_rn(1000), liar_rn(100000), liar_rn(8));
        break;
    case 7: {
        struct synack_iov iov[5];
        int k = (int)liar_rn(6);
        for (int i = 0; i < k; i++) {
            iov[i].base = liar_rn(6) ? buf + liar_rn(100) : NULL;
            iov[i].len = liar_rn(1000);
        }
        synack_sendv(st, sd, now, iov, k, liar_rn(8));
        break;
    }
    case 8:
        synack_recv(st, sd, now, buf, liar_rn(sizeof buf));
        break;
    case 9:
        synack_recv_discard(st, sd, now, liar_rn(100000));
        break;
    case 10:
        synack_shutdown(st, sd, now, (int)liar_rn(5) - 1);
        break;
    case 11:
        synack_close(st, sd, now);
        break;
    case 12:
        synack_abort(st, sd, now);
        break;
    case 13:
        synack_setopt(st, sd, (int)liar_rn(40),
                      liar_rn(3) ? (long)liar_rn(100) : (long)liar_rnd() - (1L << 30));
        break;
    case 14:
        synack_getopt(st, sd, (int)liar_rn(40), &v);
        break;
    case 15: {
        struct synack_notice no;
        synack_next_notice(st, sd, &no);
        break;
    }
    case 16: {
        int e;
        unsigned ev;
        while (synack_next_event(st, &e, &ev) > 0 && liar_rn(5)) {
        }
        break;
    }
    case 17:
        synack_socket_error(st, sd);
        break;
    case 18: {
        struct synack_sockinfo si;
        synack_getinfo_at(st, sd, now, &si);
        break;
    }
    case 19:
        synack_connect_data(st, sd, now, peer, port, buf, liar_rn(2000));
        break;
    case 20:
        synack_set_timestamps(st, liar_rn(2));
        break;
    case 21:
        synack_set_sack(st, liar_rn(2));
        break;
    case 22:
        synack_set_window_scaling(st, liar_rn(2));
        break;
    case 23:
        synack_set_ecn(st, liar_rn(4));
        break;
    case 24:
        synack_set_fastopen(st, liar_rnd());
        break;
    case 25: {
        uint8_t k[16];
        for (int i = 0; i < 16; i++) k[i] = (uint8_t)liar_rnd();
        synack_set_fastopen_key(st, k, liar_rn(2) ? k : NULL);
        break;
    }
    case 26: {
        uint8_t k[16] = {1};
        synack_set_socket_fastopen_key(st, sd, k, NULL);
        break;
    }
    case 27:
        if (A->addr_games)
            synack_set_addr(st, liar_rn(2) ? sim_addr(s) : synack_addr_v4(0x0a000000u + liar_rn(8)),
                            (uint8_t)liar_rn(33));
        break;
    case 28:
        synack_setopt(st, sd, SYNACK_OPT_ZEROCOPY, 1);
        break;
    default:
        synack_poll(st, now);
        break;
    }
}

static bool abuse_run(uint64_t seed, bool addr_games)
{
    liar_rs = seed * 0x9E3779B97F4A7C15ull + 7;
    test_seed(seed);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 2000;
    lc.faults.loss = 0.02;
    lc.faults.reorder = 0.02;
    lc.faults.dup = 0.01;
    lc.faults.seed = seed;
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, seed);
        c[i].max_sockets = 24;
        c[i].max_time_wait = 4;
        c[i].max_half_open = 4;
        c[i].sndbuf = c[i].rcvbuf = 32768;
        c[i].msl_us = 2000000;
        c[i].mem_max = 400000;
    }
    static struct abuse A;
    memset(&A, 0, sizeof A);
    A.addr_games = addr_games;
    simnet_init_with(&A.n, c, &lc, seed);
    struct simnet *n = &A.n;
    int lsd = synack_socket(n->st[1]);
    synack_bind(n->st[1], lsd, SYNACK_ADDR_ANY, 7);
    synack_listen(n->st[1], lsd, 4);
    int csd = synack_socket(n->st[0]), ssd = -1;
    synack_connect(n->st[0], csd, n->now, sim_addr(1), 7);
    uint64_t sent = 0, got = 0;
    bool ok = true;
    uint8_t out[3000], in[8192];
    for (int step = 0; step < 4000 && ok; step++) {
        if (ssd < 0) ssd = synack_accept(n->st[1], lsd, NULL);
        A.canary[0][0] = csd;
        A.canary[0][1] = -1;
        A.canary[1][0] = lsd;
        A.canary[1][1] = ssd;
        for (int k = 0; k < 3; k++) abuse_call(&A, (int)liar_rn(2));
        if (liar_rn(2)) {
            uint32_t m = liar_rn(sizeof out);
            for (uint32_t i = 0; i < m; i++) out[i] = transfer_byte(seed, 0, sent + i);
            long w = synack_send(n->st[0], csd, n->now, out, m);
            if (w > 0) sent += (uint64_t)w;
        }
        long r;
        while (ssd >= 0 && (r = synack_recv(n->st[1], ssd, n->now, in, sizeof in)) > 0) {
            for (long i = 0; i < r && ok; i++) {
                if (in[i] == transfer_byte(seed, 0, got + (uint64_t)i) || addr_games) continue;
                fprintf(stderr, "    seed %llu: canary byte %llu wrong\n", (unsigned long long)seed,
                        (unsigned long long)(got + (uint64_t)i));
                ok = false;
            }
            got += (uint64_t)r;
        }
        if (!simnet_step(n)) n->now += 1000;
    }
    /* Without address games the canary moved a real stream. */
    if (!addr_games && got < 100000) {
        fprintf(stderr, "    seed %llu: the canary moved only %llu bytes\n",
                (unsigned long long)seed, (unsigned long long)got);
        ok = false;
    }
    simnet_free(n); /* with everything open */
    return ok;
}

TEST(the_api_used_wrongly_at_random_breaks_nothing)
{
    const char *e = getenv("HUNT_ABUSE_SEEDS");
    unsigned n = e ? (unsigned)atoi(e) : 6;
    for (unsigned seed = 1; seed <= n; seed++) {
        ASSERT(abuse_run(seed, false));
        ASSERT(abuse_run(seed + 100000, true));
    }
}

TEST_MAIN()

/* ---- the peer's MSS bounds data and options together ---------------------------------- */

/* The peer's MSS option counts the data and the TCP options of a segment together (RFC 6691
 * §2, RFC 9293 §3.7.1: the sender reduces its data by the options it sends). With a small
 * MSS and SACK blocks to report, the floor of 64 data bytes that keeps SACK from starving the
 * payload of a large MSS sent 64 bytes beside 40 of options, 104 against the peer's 88: the
 * blocks must give way (fewer reported), never the MSS. */
TEST(no_segment_exceeds_the_peers_mss_with_sack_blocks_beside_its_data)
{
    static const uint16_t mss[] = {88, 100, 120, 536};
    for (size_t m = 0; m < sizeof mss / sizeof mss[0]; m++) {
        struct tcpf f;
        tcpf_config(&f);
        f.cfg.rcvbuf = 65536;
        conn_in_listen(&f);
        struct synack_tcp_opts o;
        memset(&o, 0, sizeof o);
        o.has_mss = true;
        o.mss = mss[m];
        o.sack_permitted = true;
        o.has_ts = true;
        o.ts_val = 5000;
        send_seg(&f, f.now, SYNACK_TCP_SYN, f.irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
        ASSERT(recv_seg(&f, f.now, NULL));
        ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
        ASSERT(f.seg.tcp.opts.has_ts);
        uint32_t iss = f.seg.tcp.seq, ecr = f.seg.tcp.opts.ts_val;
        memset(&o, 0, sizeof o);
        o.has_ts = true;
        o.ts_val = 5001;
        o.ts_ecr = ecr;
        f.now += TCPF_STEP;
        send_seg(&f, f.now, SYNACK_TCP_ACK, f.irs + 1, iss + 1, TCPF_PEER_WIN, NULL, 0, &o);
        int sd = synack_accept(f.st, f.lsd, NULL);
        ASSERT(sd >= 0);
        /* Three islands of the peer's data above a hole: our ACKs report three blocks. */
        uint8_t d[40];
        memset(d, 'p', sizeof d);
        for (uint32_t k = 0; k < 3; k++) {
            f.now += TCPF_STEP;
            send_seg(&f, f.now, SYNACK_TCP_ACK, f.irs + 1 + 100 + 200 * k, iss + 1, TCPF_PEER_WIN,
                     d, sizeof d, &o);
        }
        uint8_t out[3000];
        memset(out, 's', sizeof out);
        ASSERT_EQ(synack_send(f.st, sd, f.now, out, sizeof out), (long)sizeof out);
        int segs = 0, data_segs = 0;
        while (recv_seg(&f, f.now, NULL) && segs < 200) {
            segs++;
            size_t used = wire_tcp_opts_len(&f.seg.tcp.opts) + f.seg.payload_len;
            if (used > mss[m])
                fprintf(stderr, "    mss %u: %u data bytes and %zu of options (%u SACK blocks)\n",
                        mss[m], f.seg.payload_len, wire_tcp_opts_len(&f.seg.tcp.opts),
                        f.seg.tcp.opts.sack_count);
            ASSERT(used <= mss[m]);
            if (f.seg.payload_len) data_segs++;
        }
        ASSERT(data_segs > 0);
        tcpf_free(&f);
    }
}
