/*
 * tw_compact_test.c - TIME-WAIT entries that are compact records (tcp/tcp_tw.c) against
 * TIME-WAIT sockets: each rule of TIME-WAIT, one after another on one connection, sent to
 * two stacks built alike, one whose user still holds the socket (a full TIME-WAIT socket)
 * and one whose user closed it (the entry becomes a record and the socket is given back).
 * Both must send the same datagrams, byte for byte, at the same times, and end at the
 * same time: a retransmitted FIN re-ACKed and the 2*MSL wait restarted (RFC 9293
 * §3.10.7.4), resets ignored (RFC 1337), old duplicates and data answered with an ACK or
 * nothing as the state does, out-of-window ACKs rate limited, PAWS (RFC 7323 §5), a new
 * SYN reopening the pair or not (RFC 6191). With and without timestamps, passive (a
 * listener on the port) and active. Plus the record's size (at most 128 bytes) and the
 * limit of cfg.max_time_wait across sockets and records. The record keeps two times as
 * 32-bit distances from its expiry (tcp_tw.c): the ladder again with clocks about to pass
 * 2^32 microseconds and 2^32 milliseconds and far beyond, with a 2*MSL of 24.5 days (its
 * times then kept in milliseconds), and a TS.Recent that turns older than 24 days while
 * the record waits (RFC 7323 §5.5).
 */
#include "tcp_fixture.h"

#define SYN SYNACK_TCP_SYN
#define ACK SYNACK_TCP_ACK
#define FIN SYNACK_TCP_FIN
#define RST SYNACK_TCP_RST

/* The two stacks: [0] holds its TIME-WAIT socket, [1] closed it. */
struct pair {
    struct tcpf f[2];
    bool ts;
    uint32_t tsval;     /* the peer's clock, moved on with each probe */
    uint8_t last[2048]; /* the last datagram both sent */
    int last_len;
};

static void pair_stats(struct tcpf *f, struct synack_stats *s)
{
    synack_get_stats(f->st, s);
}

/* Everything both stacks send at time t (timers run first): the same datagrams, in the
 * same order. Returns how many. */
static int same_output(struct pair *p, uint64_t t)
{
    int count = 0;
    for (;;) {
        uint8_t out[2][2048];
        int n[2];
        for (int i = 0; i < 2; i++) {
            p->f[i].now = t;
            synack_poll(p->f[i].st, t);
            n[i] = synack_output(p->f[i].st, t, out[i], sizeof out[i]);
        }
        ASSERT_EQ(n[0], n[1]);
        if (n[0] <= 0) break;
        if (memcmp(out[0], out[1], (size_t)n[0]) != 0) {
            for (int i = 0; i < 2; i++) {
                struct synack_segment g;
                if (wire_segment_parse(out[i], (size_t)n[i], false, &g) == 0)
                    fprintf(
                        stderr, "    [%s] flags %#x seq %u ack %u win %u len %u ts %u/%u sack %u\n",
                        i ? "record" : "socket", g.tcp.flags, g.tcp.seq, g.tcp.ack, g.tcp.window,
                        g.payload_len, g.tcp.opts.ts_val, g.tcp.opts.ts_ecr, g.tcp.opts.sack_count);
            }
        }
        ASSERT(memcmp(out[0], out[1], (size_t)n[0]) == 0);
        memcpy(p->last, out[0], (size_t)n[0]);
        p->last_len = n[0];
        count++;
    }
    ASSERT_EQ(synack_next_deadline(p->f[0].st), synack_next_deadline(p->f[1].st));
    return count;
}

/* One segment from the peer to both stacks at time t, with a timestamp if the
 * connection has them; then both must answer alike. Returns how many datagrams each sent. */
static int probe(struct pair *p, uint64_t t, uint16_t flags, uint32_t seq, uint32_t ack,
                 size_t dlen, int ts_delta)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    if (p->ts) {
        p->tsval += 10;
        o.has_ts = true;
        o.ts_val = p->tsval + (uint32_t)ts_delta;
    }
    if (flags & SYN) {
        o.has_mss = true;
        o.mss = 1460;
    }
    uint8_t data[64];
    memset(data, 'x', sizeof data);
    if (dlen > sizeof data) dlen = sizeof data;
    for (int i = 0; i < 2; i++)
        send_seg(&p->f[i], t, flags, seq, ack, TCPF_PEER_WIN, dlen ? data : NULL, dlen, &o);
    return same_output(p, t);
}

/* TIME-WAIT entries of a stack: (sockets, records). */
static void tw_counts(struct tcpf *f, uint32_t *socks, uint32_t *recs)
{
    struct synack_stats s;
    pair_stats(f, &s);
    *recs = s.time_wait_records;
    *socks = s.sockets_by_state[SYNACK_TIME_WAIT] - s.time_wait_records;
}

/* Both stacks to TIME-WAIT by the same exchanges: passive (we close first on an accepted
 * connection: a listener remains on the port) or active (we connected). Then [1]'s user
 * closes its socket: a record, and the socket's slot is free. */
static void pair_to_time_wait_at(struct pair *p, bool passive, bool ts, uint64_t start,
                                 uint64_t msl_us)
{
    memset(p, 0, sizeof *p);
    p->ts = ts;
    p->tsval = 5000;
    for (int i = 0; i < 2; i++) {
        struct tcpf *f = &p->f[i];
        tcpf_config(f);
        if (start) f->now = start;
        if (msl_us) f->cfg.msl_us = msl_us;
        f->cfg.oow_ack_interval_us = 1000; /* rate limits within a short ladder */
        f->peer_ts = ts;
        f->peer_tsval = p->tsval;
        if (passive) {
            conn_in_established(f);
        } else {
            conn_in_syn_sent(f);
            struct synack_tcp_opts o;
            memset(&o, 0, sizeof o);
            o.has_mss = true;
            o.mss = 1460;
            if (ts) {
                o.has_ts = true;
                o.ts_val = p->tsval;
                o.ts_ecr = f->seg.tcp.opts.ts_val;
            }
            send_seg(f, f->now, SYN | ACK, f->irs, f->snd_nxt, TCPF_PEER_WIN, NULL, 0, &o);
            f->rcv_nxt = f->irs + 1;
            ASSERT(recv_seg(f, f->now, NULL));
            EXPECT_STATE(f, SYNACK_ESTABLISHED);
        }
        f->now += TCPF_STEP;
        ASSERT_EQ(synack_shutdown(f->st, f->sd, f->now, SYNACK_SHUT_WR), 0);
        EXPECT_SEG(f, FIN | ACK, f->snd_nxt, f->rcv_nxt, 0);
        f->snd_nxt++;
    }
    /* [1]'s user closes now, before the peer's FIN: an orphan in FIN-WAIT-1, which the
     * FIN below takes to TIME-WAIT; there it becomes a record at once. */
    struct synack_stats before;
    pair_stats(&p->f[1], &before);
    ASSERT_EQ(synack_close(p->f[1].st, p->f[1].sd, p->f[1].now), 0);
    uint64_t t = p->f[0].now + TCPF_STEP;
    ASSERT_EQ(probe(p, t, FIN | ACK, p->f[0].rcv_nxt, p->f[0].snd_nxt, 0, 0), 1);
    for (int i = 0; i < 2; i++) p->f[i].rcv_nxt++;
    EXPECT_STATE(&p->f[0], SYNACK_TIME_WAIT);
    uint32_t socks, recs;
    tw_counts(&p->f[1], &socks, &recs);
    ASSERT_EQ(socks, 0);
    ASSERT_EQ(recs, 1);
    struct synack_stats after;
    pair_stats(&p->f[1], &after);
    ASSERT(after.time_wait_record > 0 && after.time_wait_record <= 128);
    /* No socket holds it: the descriptor is gone and nothing else is in use. */
    struct synack_sockinfo si;
    ASSERT(synack_getinfo(p->f[1].st, p->f[1].sd, &si) < 0);
    uint32_t in_use = 0;
    for (int st = 0; st <= SYNACK_TIME_WAIT; st++) in_use += after.sockets_by_state[st];
    ASSERT_EQ(in_use, (passive ? 1u : 0u) + 1u); /* the listener, and the record */
    (void)before;
    tw_counts(&p->f[0], &socks, &recs);
    ASSERT_EQ(socks, 1);
    ASSERT_EQ(recs, 0);
    ASSERT_EQ(same_output(p, t), 0);
}

static void pair_to_time_wait(struct pair *p, bool passive, bool ts)
{
    pair_to_time_wait_at(p, passive, ts, 0, 0);
}

static void pair_free(struct pair *p)
{
    tcpf_free(&p->f[0]);
    tcpf_free(&p->f[1]);
}

/* Both ended at the same time: [0]'s socket CLOSED, [1]'s record gone. */
static void expect_ended(struct pair *p, bool ended)
{
    uint32_t socks, recs;
    tw_counts(&p->f[1], &socks, &recs);
    ASSERT_EQ(recs, ended ? 0u : 1u);
    EXPECT_STATE(&p->f[0], ended ? SYNACK_CLOSED : SYNACK_TIME_WAIT);
}

/* The ladder: every rule in turn on one entry, then the restarted wait to its end; the
 * clock from start (0: the fixture's), 2*MSL from msl_us (0: the default). */
static void ladder_at(bool passive, bool ts, uint64_t start, uint64_t msl_us)
{
    struct pair p;
    pair_to_time_wait_at(&p, passive, ts, start, msl_us);
    struct tcpf *f = &p.f[0];
    uint32_t rn = f->rcv_nxt, sn = f->snd_nxt;
    uint64_t t = f->now;
    const uint64_t twomsl = 2 * f->cfg.msl_us;
    uint64_t entered = t;
    /* A duplicate ACK: nothing, and no restart. */
    t += 1000000;
    ASSERT_EQ(probe(&p, t, ACK, rn, sn, 0, 0), 0);
    /* An ACK of something never sent: an ACK (rate limited). */
    t += 5000;
    ASSERT_EQ(probe(&p, t, ACK, rn, sn + 1000, 0, 0), 1);
    /* RFC 1337: resets at RCV.NXT, in the window, outside it: ignored. */
    t += 5000;
    ASSERT_EQ(probe(&p, t, RST, rn, 0, 0, 0), 0);
    ASSERT_EQ(probe(&p, t, RST | ACK, rn, sn, 0, 0), 0);
    ASSERT_EQ(probe(&p, t, RST, rn + 100, 0, 0, 0), 0);
    ASSERT_EQ(probe(&p, t, RST, rn + 1000000, 0, 0, 0), 0);
    expect_ended(&p, false);
    /* Data in the window after the FIN, and outside it: as the state answers them. */
    t += 5000;
    (void)probe(&p, t, ACK, rn, sn, 10, 0);
    t += 5000;
    (void)probe(&p, t, ACK, rn + 1000000, sn, 10, 0);
    /* An old duplicate of data before the FIN (a D-SACK where SACK was agreed). */
    t += 5000;
    ASSERT_EQ(probe(&p, t, ACK, rn - 11, sn, 10, 0), 1);
    /* The out-of-window ACK limit: twice at once, one answer. */
    t += 5000;
    ASSERT_EQ(probe(&p, t, ACK, rn + 1000000, sn, 0, 0), 1);
    ASSERT_EQ(probe(&p, t, ACK, rn + 1000000, sn, 0, 0), 0);
    /* A SYN in the window or below RCV.NXT (old): a challenge ACK, the pair not reopened. */
    t += 5000;
    /* (With timestamps, a newer one would reopen the pair whatever the sequence number,
     * RFC 6191: this one is older than TS.Recent.) */
    ASSERT_EQ(probe(&p, t, SYN, rn - 5, 0, 0, ts ? -1000 : 0), 1);
    t += 5000;
    (void)probe(&p, t, SYN | ACK, rn, sn, 0, 0); /* what is sent is the state's; alike */
    if (ts) {
        /* PAWS: a timestamp older than TS.Recent: an ACK, the segment dropped. */
        t += 5000;
        ASSERT_EQ(probe(&p, t, FIN | ACK, rn - 1, sn, 0, -1000), 1);
    }
    expect_ended(&p, false);
    /* The retransmitted FIN: ACKed, and the wait restarts from it. */
    t = entered + twomsl / 2;
    ASSERT_EQ(probe(&p, t, FIN | ACK, rn - 1, sn, 0, 0), 1);
    uint64_t restarted = t;
    ASSERT_EQ(same_output(&p, entered + twomsl), 0);
    expect_ended(&p, false);
    ASSERT_EQ(same_output(&p, restarted + twomsl - 1), 0);
    expect_ended(&p, false);
    ASSERT_EQ(same_output(&p, restarted + twomsl), 0);
    expect_ended(&p, true);
    /* Gone: the 4-tuple is CLOSED and answered by a reset, alike. */
    ASSERT_EQ(probe(&p, restarted + twomsl + 1, ACK, rn, sn, 0, 0), 1);
    pair_free(&p);
}

static void ladder(bool passive, bool ts)
{
    ladder_at(passive, ts, 0, 0);
}

TEST(tw_record_ladder_passive)
{
    ladder(true, false);
}
TEST(tw_record_ladder_passive_timestamps)
{
    ladder(true, true);
}
TEST(tw_record_ladder_active)
{
    ladder(false, false);
}
TEST(tw_record_ladder_active_timestamps)
{
    ladder(false, true);
}

/* The clock about to pass 2^32 microseconds (and 2^32 milliseconds) during the ladder, and
 * far beyond both: the record's times are kept from its 64-bit expiry, so nothing wraps. */
TEST(tw_record_ladder_clock_near_2e32_us)
{
    ladder_at(true, true, (1ull << 32) - 1000000, 0);
    ladder_at(false, false, (1ull << 32) - 1000000, 0);
    ladder_at(true, true, (1ull << 32) + 1000, 0);
}
TEST(tw_record_ladder_clock_near_2e32_ms)
{
    ladder_at(true, true, (1ull << 32) * 1000 - 2000000, 0);
    ladder_at(false, true, (1ull << 32) * 1000 - 31000000, 0);
}
TEST(tw_record_ladder_clock_far)
{
    ladder_at(true, true, (1ull << 62) + 12345, 0);
}

/* A 2*MSL of 24.5 days: the ladder's times lie days before the record's expiry, further
 * than 32 bits of microseconds reach, and are kept in milliseconds. The ladder's
 * rate limit (1 ms) still holds the second of two ACKs sent at once. */
#define LONG_MSL (49ull * 86400 * 1000000 / 4)
TEST(tw_record_ladder_long_msl)
{
    ladder_at(true, true, 0, LONG_MSL);
    ladder_at(false, false, 0, LONG_MSL);
}

/* RFC 7323 §5.5: TS.Recent older than 24 days is invalid, and PAWS no longer drops a
 * segment for an older timestamp. With a 2*MSL of 24.5 days, a record's TS.Recent
 * (set by the FIN that took it to TIME-WAIT) turns that old while it waits: a
 * retransmitted FIN with an old timestamp just before is dropped (an ACK, no restart),
 * just after it is taken (an ACK, and the wait restarts), by the record as by the
 * socket. */
TEST(tw_record_ts_recent_older_than_24_days)
{
    struct pair p;
    pair_to_time_wait_at(&p, true, true, 1ull << 45, LONG_MSL); /* 407 days on */
    struct tcpf *f = &p.f[0];
    uint32_t rn = f->rcv_nxt, sn = f->snd_nxt;
    uint64_t set = f->now; /* the FIN (and TS.Recent) came then */
    uint64_t expires = set + 2 * LONG_MSL;
    const uint64_t day24 = 24ull * 86400 * 1000000;
    ASSERT_EQ(synack_next_deadline(p.f[1].st), expires);
    ASSERT_EQ(probe(&p, set + day24 - 2000000, FIN | ACK, rn - 1, sn, 0, -100000), 1);
    ASSERT_EQ(synack_next_deadline(p.f[1].st), expires);
    expect_ended(&p, false);
    ASSERT_EQ(probe(&p, set + day24 + 2000000, FIN | ACK, rn - 1, sn, 0, -100000), 1);
    ASSERT_EQ(synack_next_deadline(p.f[1].st), set + day24 + 2000000 + 2 * LONG_MSL);
    expect_ended(&p, false);
    pair_free(&p);
}

/* RFC 6191 / RFC 9293 §3.10.7.4: a new SYN with a higher sequence number (or, with
 * timestamps, a newer timestamp) reopens the pair when a listener takes it: the same
 * SYN-ACK (its ISN beyond the old SND.NXT) from both, and the old entry gone in both. */
static void reopen(bool ts, int ts_delta, bool expect_reopen)
{
    struct pair p;
    pair_to_time_wait(&p, true, ts);
    struct tcpf *f = &p.f[0];
    uint64_t t = f->now + 1000000;
    /* With timestamps only the timestamp decides (RFC 6191 §2): an old sequence number
     * with a newer timestamp, or a newer one with an older timestamp. */
    uint32_t seq =
        ts ? (expect_reopen ? f->rcv_nxt - 100 : f->rcv_nxt + 100000) : f->rcv_nxt + 100000;
    ASSERT_EQ(probe(&p, t, SYN, seq, 0, 0, ts_delta), 1);
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(p.last, (size_t)p.last_len, true, &s), 0);
    ASSERT_EQ(s.tcp.flags, expect_reopen ? (SYN | ACK) : ACK);
    /* The new ISN lies beyond the old SND.NXT (RFC 6191's condition for the peer). */
    if (expect_reopen) ASSERT_EQ(s.tcp.seq, f->snd_nxt + 65535 + 2);
    uint32_t socks, recs;
    tw_counts(&p.f[1], &socks, &recs);
    ASSERT_EQ(recs, expect_reopen ? 0u : 1u);
    expect_ended(&p, expect_reopen);
    pair_free(&p);
}

TEST(tw_record_syn_reopens)
{
    reopen(false, 0, true);
}
TEST(tw_record_syn_reopens_newer_timestamp)
{
    reopen(true, 0, true);
}
TEST(tw_record_syn_old_timestamp_does_not_reopen)
{
    reopen(true, -100000, false);
}

/* cfg.max_time_wait bounds sockets and records together; at the limit the oldest ends
 * first (here: records, each connection's user closing it). */
TEST(tw_records_bounded)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.max_time_wait = 3;
    conn_in_listen(&f);
    for (int c = 0; c < 5; c++) {
        f.pport = (uint16_t)(TCPF_PEER_PORT + c);
        f.irs = TCPF_PEER_ISS + (uint32_t)c * 1000000u;
        f.now += TCPF_STEP;
        send_syn(&f, SYN, f.irs, 0);
        ASSERT(recv_seg(&f, f.now, NULL));
        f.iss = f.seg.tcp.seq;
        f.snd_nxt = f.iss + 1;
        f.rcv_nxt = f.irs + 1;
        send_ctl(&f, ACK, f.rcv_nxt, f.snd_nxt);
        int sd = synack_accept(f.st, f.lsd, NULL);
        ASSERT(sd >= 0);
        ASSERT_EQ(synack_close(f.st, sd, f.now), 0);
        EXPECT_SEG(&f, FIN | ACK, f.snd_nxt, f.rcv_nxt, 0);
        f.snd_nxt++;
        f.now += TCPF_STEP;
        send_ctl(&f, FIN | ACK, f.rcv_nxt, f.snd_nxt);
        f.rcv_nxt++;
        EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
        uint32_t socks, recs;
        tw_counts(&f, &socks, &recs);
        ASSERT_EQ(socks, 0);
        ASSERT_EQ(recs, (uint32_t)(c + 1 < 3 ? c + 1 : 3));
    }
    /* The oldest went: the first connection's pair meets no entry (a reset), the last's
     * still has one (an ACK for its retransmitted FIN). */
    send_ctl(&f, FIN | ACK, f.rcv_nxt - 1, f.snd_nxt);
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    f.pport = TCPF_PEER_PORT;
    send_ctl(&f, ACK, TCPF_PEER_ISS + 2, 12345);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT(f.seg.tcp.flags & RST);
    tcpf_free(&f);
}

/* The user closes a socket already in TIME-WAIT: it becomes a record then, which still
 * re-ACKs a retransmitted FIN, restarts the wait from it and ends 2*MSL later. */
TEST(tw_record_after_close_in_time_wait)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    f.now += TCPF_STEP;
    ASSERT_EQ(synack_shutdown(f.st, f.sd, f.now, SYNACK_SHUT_WR), 0);
    EXPECT_SEG(&f, FIN | ACK, f.snd_nxt, f.rcv_nxt, 0);
    f.snd_nxt++;
    f.now += TCPF_STEP;
    send_ctl(&f, FIN | ACK, f.rcv_nxt, f.snd_nxt);
    f.rcv_nxt++;
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_STATE(&f, SYNACK_TIME_WAIT);
    uint32_t socks, recs;
    tw_counts(&f, &socks, &recs);
    ASSERT_EQ(socks, 1);
    ASSERT_EQ(recs, 0);
    ASSERT_EQ(synack_close(f.st, f.sd, f.now), 0);
    tw_counts(&f, &socks, &recs);
    ASSERT_EQ(socks, 0);
    ASSERT_EQ(recs, 1);
    uint64_t entered = f.now;
    f.now += 10 * 1000000;
    send_ctl(&f, FIN | ACK, f.rcv_nxt - 1, f.snd_nxt);
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    uint64_t restarted = f.now;
    ASSERT_EQ(synack_next_deadline(f.st), restarted + 2 * f.cfg.msl_us);
    recv_nothing(&f, entered + 2 * f.cfg.msl_us);
    tw_counts(&f, &socks, &recs);
    ASSERT_EQ(recs, 1);
    recv_nothing(&f, restarted + 2 * f.cfg.msl_us);
    tw_counts(&f, &socks, &recs);
    ASSERT_EQ(recs, 0);
    ASSERT_EQ(synack_next_deadline(f.st), UINT64_MAX);
    tcpf_free(&f);
}

/* A record holds its port as the TIME-WAIT socket did: bind() without SO_REUSEADDR is
 * refused; with it, bind() succeeds and connect() to the same peer ends the old entry
 * (our ISN clock has moved on, RFC 6528) and sends its SYN from that port. */
TEST(tw_record_holds_its_port)
{
    struct pair p;
    pair_to_time_wait(&p, false, false);
    struct tcpf *f = &p.f[1];
    int s2 = synack_socket(f->st);
    ASSERT(s2 >= 0);
    ASSERT_EQ(synack_bind(f->st, s2, synack_addr_v4(TCPF_LOCAL), f->lport), SYNACK_EADDRINUSE);
    ASSERT_EQ(synack_setopt(f->st, s2, SYNACK_OPT_REUSEADDR, 1), 0);
    ASSERT_EQ(synack_bind(f->st, s2, synack_addr_v4(TCPF_LOCAL), f->lport), 0);
    uint32_t socks, recs;
    tw_counts(f, &socks, &recs);
    ASSERT_EQ(recs, 1);
    ASSERT_EQ(synack_connect(f->st, s2, f->now, synack_addr_v4(TCPF_PEER), f->pport),
              SYNACK_EINPROGRESS);
    tw_counts(f, &socks, &recs);
    ASSERT_EQ(recs, 0);
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.flags, SYN);
    ASSERT_EQ(f->seg.tcp.sport, f->lport);
    pair_free(&p);
}

TEST_MAIN()
