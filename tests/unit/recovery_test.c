/*
 * recovery_test.c - loss recovery and congestion control against a scripted peer on an
 * integer clock: SACK recovery's first retransmission (RFC 6675 §5 step 4.3), recover
 * after an Eifel undo, Karn's rule for SACK retransmissions (RFC 6298 §3), and the
 * congestion window's validation and restart after idle (RFC 5681 §4.1, RFC 7661).
 *
 * The peer keeps a map of the segments it holds (every segment is one full MSS, so a
 * segment is an index) and answers with a cumulative ACK and SACK blocks built from it.
 */
#include "tcp_fixture.h"

#define MS  1000ull
#define SEC 1000000ull

#define NSEG 256

struct peer {
    struct tcpf f;
    bool ts;         /* timestamps negotiated */
    bool no_sack;    /* the peer's SYN offers no SACK-permitted: RFC 5681's DupThresh alone */
    uint32_t tsval;  /* the peer's clock, always moving on (PAWS) */
    uint32_t ecr;    /* what the next ACK echoes */
    uint32_t base;   /* the sequence number of segment 0 */
    uint32_t mss;    /* the stack's SND.MSS: every segment is this long */
    bool have[NSEG]; /* segments the peer holds */
    int sent[4096];  /* segment indices the stack sent, in order */
    uint32_t sent_ts[4096];
    int nsent;
};

/* The handshake, with SACK permitted (and timestamps when ts) in the peer's SYN. */
static void peer_open(struct peer *p, bool ts, const char *cc)
{
    struct tcpf *f = &p->f;
    tcpf_config(f);
    /* NULL is NewReno: the cases count RFC 6937's and RFC 6675's examples, which halve the
     * window (CUBIC, the default, keeps 0.7 of it: cubic_test.c, and the cases given cc). */
    f->cfg.cc = cc ? cc : "newreno";
    conn_in_listen(f);
    p->ts = ts;
    p->tsval = 100;
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1460;
    o.sack_permitted = !p->no_sack;
    o.has_ts = ts;
    o.ts_val = p->tsval++;
    send_seg(f, f->now, SYNACK_TCP_SYN, f->irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(f->seg.tcp.opts.sack_permitted, !p->no_sack);
    f->iss = f->seg.tcp.seq;
    p->ecr = f->seg.tcp.opts.ts_val;
    f->snd_nxt = f->iss + 1;
    f->rcv_nxt = f->irs + 1;
    f->sd = tcpf_find_conn(f);
    f->now += 1 * MS;
    memset(&o, 0, sizeof o);
    o.has_ts = ts;
    o.ts_val = p->tsval++;
    o.ts_ecr = p->ecr;
    send_seg(f, f->now, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt, TCPF_PEER_WIN, NULL, 0, &o);
    EXPECT_NOTHING(f);
    /* f->sd named the half-open connection's request record; the ACK made it a socket
     * with an sd of its own (tcp/tcp_req.c): follow it. */
    tcpf_follow(f);
    ASSERT_EQ(synack_accept(f->st, f->lsd, NULL), f->sd);
    struct synack_sockinfo in = tcpf_info(f);
    ASSERT_EQ(in.sack_ok, !p->no_sack);
    ASSERT_EQ(in.ts_ok, ts);
    p->base = f->iss + 1;
    p->mss = in.snd_mss;
    memset(p->have, 0, sizeof p->have);
    p->nsent = 0;
}

/* Takes every segment the stack sends at f->now; returns how many. */
static int peer_take(struct peer *p)
{
    int n = 0;
    while (recv_seg(&p->f, p->f.now, NULL)) {
        if (p->f.seg.payload_len == 0) continue;
        uint32_t off = p->f.seg.tcp.seq - p->base;
        ASSERT_EQ(off % p->mss, 0);
        ASSERT(p->nsent < 4096);
        p->sent_ts[p->nsent] = p->f.seg.tcp.opts.ts_val;
        p->sent[p->nsent++] = (int)(off / p->mss);
        n++;
    }
    return n;
}

static uint32_t seg_seq(const struct peer *p, int i)
{
    return p->base + (uint32_t)i * p->mss;
}

/* The peer's ACK for what it holds: cumulative, and up to 4 (3 with timestamps) SACK
 * blocks, the highest first. */
static void peer_ack(struct peer *p)
{
    int cum = 0;
    while (cum < NSEG && p->have[cum]) cum++;
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = p->ts;
    o.ts_val = p->tsval++;
    o.ts_ecr = p->ecr;
    int maxb = p->no_sack ? 0 : p->ts ? 3 : 4;
    for (int i = NSEG - 1; i > cum && o.sack_count < maxb; i--) {
        if (!p->have[i]) continue;
        int r = i + 1, l = i;
        while (l - 1 > cum && p->have[l - 1]) l--;
        o.sack[o.sack_count].left = seg_seq(p, l);
        o.sack[o.sack_count].right = seg_seq(p, r);
        o.sack_count++;
        i = l;
    }
    send_seg(&p->f, p->f.now, SYNACK_TCP_ACK, p->f.rcv_nxt, seg_seq(p, cum), TCPF_PEER_WIN, NULL, 0,
             &o);
}

/* The segment arrives and the peer acknowledges it; the stack's answer is taken. */
static int deliver(struct peer *p, int i)
{
    p->have[i] = true;
    peer_ack(p);
    return peer_take(p);
}

static bool sent_after(const struct peer *p, int from, int idx)
{
    for (int k = from; k < p->nsent; k++)
        if (p->sent[k] == idx) return true;
    return false;
}

static struct synack_stats stats(struct peer *p)
{
    struct synack_stats s;
    synack_get_stats(p->f.st, &s);
    return s;
}

static void write_segs(struct peer *p, int n)
{
    static uint8_t buf[65536];
    memset(buf, 'd', sizeof buf);
    ASSERT_EQ(synack_send(p->f.st, p->f.sd, p->f.now, buf, (size_t)n * p->mss), (long)n * p->mss);
}

/* ---- item 3 -------------------------------------------------------------------------- */

TEST(sack_recovery_sends_first_retransmission_at_once)
{
    /* Ten segments; the first and the tail (4..9) are lost, 1..3 arrive. At the third
     * duplicate ACK cwnd is halved to 5 segments while 6 are still thought in the
     * network, but RFC 6675 §5 (4.3) retransmits the first lost segment regardless. */
    static struct peer p;
    peer_open(&p, false, NULL);
    write_segs(&p, 10);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 1 * MS;
    ASSERT_EQ(deliver(&p, 1), 0);
    ASSERT_EQ(deliver(&p, 2), 0);
    int from = p.nsent;
    deliver(&p, 3);
    ASSERT(sent_after(&p, from, 0));
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    tcpf_free(&p.f);
}

/* ---- item 4 -------------------------------------------------------------------------- */

TEST(eifel_undo_on_partial_ack_lets_a_later_loss_fast_retransmit)
{
    /* Segment 0 is late (reordered), segment 5 is lost. Three duplicate ACKs start
     * recovery; then the original 0 arrives, and the ACK (up to 5, short of recover: a
     * partial ACK) echoes its timestamp: Eifel undoes the reduction and leaves recovery.
     * The loss of 5 must then be repaired by fast retransmit, not wait for the RTO. */
    static struct peer p;
    peer_open(&p, true, NULL);
    write_segs(&p, 20);
    ASSERT_EQ(peer_take(&p), 10);
    uint32_t ts0 = p.sent_ts[0];
    p.f.now += 2 * MS;
    deliver(&p, 1);
    deliver(&p, 2);
    deliver(&p, 3);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    p.f.now += 1 * MS;
    p.have[4] = true;
    p.ecr = ts0; /* the original 0 arrives: its ACK echoes its timestamp */
    deliver(&p, 0);
    ASSERT_EQ(stats(&p).spurious_retransmits, 1);
    p.f.now += 1 * MS;
    int from = p.nsent;
    deliver(&p, 6);
    deliver(&p, 7);
    deliver(&p, 8);
    ASSERT(sent_after(&p, from, 5));
    ASSERT_EQ(stats(&p).fast_retransmits, 2);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    tcpf_free(&p.f);
}

/* ---- item 5 -------------------------------------------------------------------------- */

TEST(karn_no_rtt_sample_across_a_sack_retransmission)
{
    /* Every round trip is 1 ms. Segment 5 is lost, and so is segment 17, the first new
     * segment sent during recovery. The peer's reports of what it holds above 17 (and the
     * resent 5) are held up for 35 ms; then 17 is retransmitted by the SACK recovery loop
     * and everything is acknowledged 1 ms later. That ACK answers the retransmission, not the
     * original sent 36 ms earlier (and the hole at 5, whose repair arrives with it): it is no RTT
     * sample (RFC 6298 §3), and SRTT stays about 1 ms. */
    static struct peer p;
    peer_open(&p, false, NULL);
    write_segs(&p, 40);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 1 * MS;
    for (int i = 0; i < 5; i++) p.have[i] = true;
    peer_ack(&p);
    ASSERT_EQ(peer_take(&p), 7); /* 10..16 */
    p.f.now += 1 * MS;
    deliver(&p, 6);
    deliver(&p, 7);
    deliver(&p, 8); /* recovery: 5 is resent */
    ASSERT(sent_after(&p, 0, 5));
    for (int i = 9; i <= 16; i++) deliver(&p, i); /* new data goes out: 17, 18, ... */
    ASSERT(sent_after(&p, 0, 17));
    int hi = p.sent[p.nsent - 1];
    p.f.now += 35 * MS;
    int from = p.nsent;
    for (int i = 18; i <= hi; i++) deliver(&p, i); /* the resent 5 is still on its way */
    ASSERT(sent_after(&p, from, 17));              /* the SACK loop resent 17 */
    for (int round = 0; round < 10; round++) {
        p.f.now += 1 * MS;
        for (int k = 0; k < p.nsent; k++) p.have[p.sent[k]] = true;
        peer_ack(&p);
        peer_take(&p);
    }
    struct synack_sockinfo in = tcpf_info(&p.f);
    ASSERT_EQ(in.snd_una, in.snd_nxt);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    printf("     SRTT %llu us\n", (unsigned long long)in.srtt_us);
    ASSERT(in.srtt_us < 2 * MS);
    tcpf_free(&p.f);
}

/* ---- item 6 -------------------------------------------------------------------------- */

static void app_limited(const char *cc)
{
    /* 2,000 request/response exchanges of 100 bytes: one small segment in flight at a
     * time. The window was never the limit, so it must not grow (RFC 7661; Linux's
     * tcp_is_cwnd_limited): it stays the initial window. */
    static struct peer p;
    peer_open(&p, false, cc);
    uint8_t req[100];
    memset(req, 'q', sizeof req);
    uint32_t nxt = p.base;
    for (int i = 0; i < 2000; i++) {
        ASSERT_EQ(synack_send(p.f.st, p.f.sd, p.f.now, req, sizeof req), 100);
        ASSERT(recv_seg(&p.f, p.f.now, NULL));
        ASSERT_EQ(p.f.seg.payload_len, 100);
        nxt += 100;
        p.f.now += 1 * MS;
        send_ctl(&p.f, SYNACK_TCP_ACK, p.f.rcv_nxt, nxt);
        EXPECT_NOTHING(&p.f);
        p.f.now += 1 * MS;
    }
    struct synack_sockinfo in = tcpf_info(&p.f);
    printf("     %s: cwnd %u bytes (%u segments) after 2000 exchanges\n", cc, in.cwnd,
           in.cwnd / in.snd_mss);
    ASSERT(in.cwnd <= 10 * in.snd_mss);
    tcpf_free(&p.f);
}

static void idle_restart(const char *cc)
{
    /* A bulk transfer opens the window; after an hour of silence (far more than an RTO)
     * the next 64 KiB write must start again from the restart window, min(IW, cwnd)
     * (RFC 5681 §4.1), not leave as one burst. */
    static struct peer p;
    peer_open(&p, false, cc);
    for (int round = 0; round < 6; round++) {
        write_segs(&p, 40);
        for (int k = 0; k < 20; k++) {
            peer_take(&p);
            p.f.now += 1 * MS;
            for (int j = 0; j < p.nsent; j++) p.have[p.sent[j] % NSEG] = true;
            /* an ACK every other segment, cumulative */
            struct synack_sockinfo in = tcpf_info(&p.f);
            uint32_t una = in.snd_una;
            while (una != in.snd_nxt) {
                uint32_t step = in.snd_nxt - una > 2 * p.mss ? 2 * p.mss : in.snd_nxt - una;
                una += step;
                send_ctl(&p.f, SYNACK_TCP_ACK, p.f.rcv_nxt, una);
            }
        }
        peer_take(&p);
        struct synack_sockinfo in = tcpf_info(&p.f);
        ASSERT_EQ(in.snd_una, in.snd_nxt);
        p.base = in.snd_nxt;
        p.nsent = 0;
        memset(p.have, 0, sizeof p.have);
    }
    struct synack_sockinfo in = tcpf_info(&p.f);
    uint32_t before = in.cwnd;
    ASSERT(before > 10 * in.snd_mss);
    p.f.now += 3600 * SEC;
    write_segs(&p, 44);
    int burst = peer_take(&p);
    in = tcpf_info(&p.f);
    printf("     %s: cwnd %u segments before an hour idle, burst after it %d segments, cwnd %u\n",
           cc, before / in.snd_mss, burst, in.cwnd / in.snd_mss);
    ASSERT(burst <= 10);
    tcpf_free(&p.f);
}

TEST(cwnd_not_grown_when_application_limited_newreno)
{
    app_limited("newreno");
}

TEST(cwnd_not_grown_when_application_limited_cubic)
{
    app_limited("cubic");
}

TEST(cwnd_restarts_after_idle_newreno)
{
    idle_restart("newreno");
}

TEST(cwnd_restarts_after_idle_cubic)
{
    idle_restart("cubic");
}

/* A loss right at the recovery point: recovery ended with SEG.ACK == recover (everything
 * outstanding at its start acknowledged), and the first segment sent after it is lost.
 * RFC 6582 §3.2 step 1 asks SND.UNA to be *past* the previous recovery's end only for
 * acknowledgments that cover it; once SND.UNA has reached recover the next loss is a new
 * one, and RFC 6675 holds SACK recovery back for nothing. It must fast retransmit, not
 * wait for the RTO. */
TEST(loss_right_after_recovery_ends_fast_retransmits)
{
    static struct peer p;
    peer_open(&p, false, NULL);
    write_segs(&p, 44);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 1 * MS;
    deliver(&p, 1);
    deliver(&p, 2);
    deliver(&p, 3);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    /* Limited transmit sent 10 and 11 on the first two duplicate ACKs: recover is 12. */
    for (int i = 4; i < 12; i++) deliver(&p, i);
    p.f.now += 1 * MS;
    /* The retransmitted segment 0 arrives: the ACK reaches recover (segment 12). */
    deliver(&p, 0);
    /* Segment 12, the first after it, is lost; 13..18 arrive (SACKed). */
    p.f.now += 1 * MS;
    int from = p.nsent;
    for (int i = 13; i < 19; i++) deliver(&p, i);
    ASSERT_EQ(stats(&p).fast_retransmits, 2);
    ASSERT(sent_after(&p, from, 12));
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    tcpf_free(&p.f);
}

/* ---- limited transmit (RFC 3042) ------------------------------------------------------ */

/* A first recovery leaves cwnd = ssthresh = 4 segments (8 in flight, halved). */
static void shrink_cwnd_to_4(struct peer *p)
{
    write_segs(p, 8);
    ASSERT_EQ(peer_take(p), 8);
    p->f.now += 1 * MS;
    for (int i = 1; i < 8; i++) deliver(p, i);
    ASSERT_EQ(stats(p).fast_retransmits, 1);
    p->f.now += 1 * MS;
    deliver(p, 0);
    struct synack_sockinfo in = tcpf_info(&p->f);
    ASSERT_EQ(in.snd_una, in.snd_nxt);
    ASSERT_EQ(in.cwnd, 4 * in.snd_mss);
}

TEST(limited_transmit_sends_one_new_segment_per_early_dup_ack)
{
    /* Four segments in flight (cwnd 4), the first lost, the peer's window open and more
     * data queued: the first and second duplicate ACKs each release one new segment (RFC
     * 3042 §2) without changing cwnd; the third starts fast retransmit. */
    static struct peer p;
    peer_open(&p, false, NULL);
    shrink_cwnd_to_4(&p);
    write_segs(&p, 20);
    ASSERT_EQ(peer_take(&p), 4); /* 8..11 */
    uint32_t cwnd = tcpf_info(&p.f).cwnd;
    p.f.now += 1 * MS;
    int from = p.nsent;
    ASSERT_EQ(deliver(&p, 9), 1);
    ASSERT_EQ(p.sent[from], 12);
    ASSERT_EQ(tcpf_info(&p.f).cwnd, cwnd);
    ASSERT_EQ(deliver(&p, 10), 1);
    ASSERT_EQ(p.sent[from + 1], 13);
    ASSERT_EQ(tcpf_info(&p.f).cwnd, cwnd);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    from = p.nsent;
    deliver(&p, 11);
    ASSERT_EQ(stats(&p).fast_retransmits, 2);
    ASSERT(p.nsent > from);
    ASSERT_EQ(p.sent[from], 8);
    /* RFC 5681 §3.2 step 2: ssthresh comes from the flight before limited transmit (4
     * segments: ssthresh 2), not from the 6 in flight after it. */
    ASSERT_EQ(tcpf_info(&p.f).ssthresh, 2 * p.mss);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    tcpf_free(&p.f);
}

/* A peer without SACK (RFC 8985 §6.2 step 4 keeps RFC 5681's rule for it): only duplicate
 * ACKs tell of a loss. The first two each release one new segment (limited transmit, RFC
 * 3042) and nothing is retransmitted; the third (DupThresh, RFC 5681 §3.2 step 2) resends
 * the first unacknowledged segment at once, and its ACK ends the recovery without a
 * timeout. */
TEST(dupthresh_without_sack_retransmits_at_the_third_duplicate_ack)
{
    static struct peer p;
    p.no_sack = true;
    peer_open(&p, false, NULL);
    p.no_sack = false;
    ASSERT(!tcpf_info(&p.f).sack_ok);
    write_segs(&p, 20);
    ASSERT_EQ(peer_take(&p), 10); /* the initial window, RFC 6928 */
    p.f.now += 1 * MS;
    int from = p.nsent;
    ASSERT_EQ(deliver(&p, 1), 1);
    ASSERT_EQ(deliver(&p, 2), 1);
    ASSERT(!sent_after(&p, from, 0));
    ASSERT_EQ(p.sent[from], 10);
    ASSERT_EQ(p.sent[from + 1], 11);
    ASSERT_EQ(stats(&p).fast_retransmits, 0);
    from = p.nsent;
    deliver(&p, 3);
    ASSERT(p.nsent > from);
    ASSERT_EQ(p.sent[from], 0);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    ASSERT_EQ(tcpf_info(&p.f).ca_state, SYNACK_CA_RECOVERY);
    for (int i = 4; i < 12; i++) deliver(&p, i);
    p.f.now += 1 * MS;
    deliver(&p, 0);
    ASSERT_EQ(tcpf_info(&p.f).ca_state, SYNACK_CA_OPEN);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    tcpf_free(&p.f);
}

TEST(sacked_segment_on_a_data_segment_frees_the_window)
{
    /* The same four segments in flight and 8 lost, but the peer is sending too: its SACK
     * of 9 rides on a data segment, which is no duplicate ACK (RFC 5681 §2), so limited
     * transmit (RFC 3042) does not apply. The SACKed segment has left the network all the
     * same, and what counts against cwnd is what is still in it (RFC 6675's pipe; Linux's
     * tcp_packets_in_flight, used in every state): one new segment goes, as it would for
     * a duplicate ACK, rather than the sender waiting with a window it does not use. */
    static struct peer p;
    peer_open(&p, false, NULL);
    shrink_cwnd_to_4(&p);
    write_segs(&p, 20);
    ASSERT_EQ(peer_take(&p), 4); /* 8..11 */
    uint32_t cwnd = tcpf_info(&p.f).cwnd;
    p.f.now += 1 * MS;
    p.have[9] = true;
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.sack_count = 1;
    o.sack[0].left = seg_seq(&p, 9);
    o.sack[0].right = seg_seq(&p, 10);
    static const uint8_t req[100] = {'q'};
    send_seg(&p.f, p.f.now, SYNACK_TCP_ACK | SYNACK_TCP_PSH, p.f.rcv_nxt, seg_seq(&p, 8),
             TCPF_PEER_WIN, req, sizeof req, &o);
    p.f.rcv_nxt += sizeof req;
    int from = p.nsent;
    ASSERT_EQ(peer_take(&p), 1);
    ASSERT_EQ(p.sent[from], 12);
    ASSERT_EQ(tcpf_info(&p.f).cwnd, cwnd);
    ASSERT_EQ(stats(&p).fast_retransmits, 1); /* the one shrink_cwnd_to_4 made */
    tcpf_free(&p.f);
}

/* ---- RFC 6675 NextSeg rule (3) -------------------------------------------------------- */

static void rule3_partial_ack(const char *cc)
{
    /* Ten segments and no more data; 0 and 8 are lost. Recovery resends 0. The hole at
     * 8 has one SACKed segment above it, too few for RFC 6675's IsLost, and there is no new
     * data (rule 2): RFC 6675's rule (3) would retransmit it, the first unSACKed segment
     * above HighRxt below the highest SACKed byte. synack leaves rule (3) out, as Linux
     * does (tcp_sack.c): RACK (RFC 8985 §6.2), whose reordering window is 0 during
     * recovery while no reordering was seen, deems 8 lost as soon as 9, sent after it, is
     * SACKed, and rule (1) resends it. Either way, without it the ACK of the resent 0 is
     * partial, nothing more comes back and the hole at 8 waits for the RTO (the stall
     * issue 13 found with CUBIC). */
    static struct peer p;
    peer_open(&p, false, cc);
    write_segs(&p, 10);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 1 * MS;
    for (int i = 1; i < 8; i++) deliver(&p, i);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    ASSERT(sent_after(&p, 10, 0));
    ASSERT(!sent_after(&p, 10, 8));
    int from = p.nsent;
    deliver(&p, 9);
    ASSERT(sent_after(&p, from, 8));
    p.f.now += 1 * MS;
    deliver(&p, 0); /* partial: up to 8 */
    p.f.now += 1 * MS;
    deliver(&p, 8);
    struct synack_sockinfo in = tcpf_info(&p.f);
    ASSERT_EQ(in.snd_una, in.snd_nxt);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    tcpf_free(&p.f);
}

TEST(nextseg_rule3_repairs_a_hole_after_a_partial_ack_cubic)
{
    rule3_partial_ack("cubic");
}

TEST(nextseg_rule3_repairs_a_hole_after_a_partial_ack_newreno)
{
    rule3_partial_ack("newreno");
}

/* ---- PRR (RFC 6937) --------------------------------------------------------------------- */

/* RFC 6937 §3.1's starting point: bulk data, cwnd = FlightSize = 20 segments (slow start
 * from IW 10, each of 10 ACKs adding one), segments 10..29 in flight, NewReno (ssthresh
 * will be 10 at the loss). Returns the index of the first segment of the flight. */
static int prr_flight_of_20(struct peer *p)
{
    peer_open(p, false, NULL);
    write_segs(p, 44);
    ASSERT_EQ(peer_take(p), 10);
    p->f.now += 1 * MS;
    for (int i = 0; i < 10; i++) ASSERT_EQ(deliver(p, i), 2);
    struct synack_sockinfo in = tcpf_info(&p->f);
    ASSERT_EQ(in.cwnd, 20 * p->mss);
    ASSERT_EQ(in.snd_nxt - in.snd_una, 20 * p->mss);
    return 10;
}

/* What the stack sent on the ACK for segment i: 'N' new data, 'R' retransmission, '.'
 * nothing, or a count followed by the kind ("2R"). */
static void per_ack(struct peer *p, int i, char *out, size_t cap)
{
    int from = p->nsent;
    struct synack_sockinfo in = tcpf_info(&p->f);
    int snd_max_seg = (int)((in.snd_nxt - p->base) / p->mss);
    int n = deliver(p, i);
    bool rexmit = n > 0 && p->sent[from] < snd_max_seg;
    if (n == 0)
        snprintf(out, cap, ".");
    else if (n == 1)
        snprintf(out, cap, "%c", rexmit ? 'R' : 'N');
    else
        snprintf(out, cap, "%d%c", n, rexmit ? 'R' : 'N');
}

TEST(prr_single_loss_spreads_the_reduction_over_the_round_trip)
{
    /* RFC 6937 §3.1, first example: segment 0 of the flight lost, ACKs 1..19 return
     * SACKs of the rest, then 20 and 21 those of the two limited-transmit segments.
     * Limited transmit sends N N, the third ACK the fast retransmit R; then PRR sends
     * on about every other ACK, sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) -
     * prr_out, with ssthresh 10 and RecoverFS the pipe when recovery starts (RFC 9937;
     * RFC 6937 took snd.nxt - snd.una): 22 segments in flight (the two limited-transmit
     * ones included) less the 3 SACKed and segment 0 deemed lost, 18. Counted in whole
     * segments as the RFC's examples count: a send where CEIL(k * 10/18) grows, k the
     * segments delivered since recovery began (k = 1 on ACK 3): ACKs 4, 6, 8, 10, 12, 13,
     * 15, 17, 19. At ACK 21 pipe (22 + 10 sent - 21 SACKed - 1 lost) is down to ssthresh
     * and the reduction bound takes over: sndcnt = ssthresh - pipe, nothing.
     *
     * RFC 6937's RecoverFS of 22 sent on 5, 7, 9, 11, 14, 16, 19, 20, 21 (the RFC's printed
     * table, sends on 5, 7, ..., 15, 18, 19, does not follow from its own pseudocode with
     * either 22 or Linux's prior cwnd 20): one segment fewer by ACK 21, because the
     * SACKed segments in its RecoverFS never come back as deliveries. RFC 6675 (before
     * PRR) sent nothing from ACK 3 until pipe fell below cwnd = 10, then one per ACK: the
     * "half-silent window". */
    static struct peer p;
    int b = prr_flight_of_20(&p);
    char row[22][8], line[256] = "";
    for (int k = 1; k <= 19; k++) per_ack(&p, b + k, row[k], sizeof row[k]);
    per_ack(&p, b + 20, row[20], sizeof row[20]);
    per_ack(&p, b + 21, row[21], sizeof row[21]);
    for (int k = 1; k <= 21; k++) {
        strcat(line, row[k]);
        strcat(line, " ");
    }
    printf("     ack 1..21: %s\n", line);
    ASSERT(strcmp(line, "N N R N . N . N . N . N N . N . N . N . . ") == 0);
    struct synack_sockinfo in = tcpf_info(&p.f);
    ASSERT_EQ(in.ssthresh, 10 * p.mss);
    /* The repaired segment arrives: recovery ends with cwnd = ssthresh, and the flight
     * is what PRR built up: ssthresh. */
    p.f.now += 1 * MS;
    deliver(&p, b);
    in = tcpf_info(&p.f);
    ASSERT_EQ(in.cwnd, 10 * p.mss);
    ASSERT_EQ(in.snd_nxt - in.snd_una, 10 * p.mss);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    tcpf_free(&p.f);
}

TEST(prr_burst_loss_conservative_then_slow_start_bound)
{
    /* RFC 6937 §3.1, second example: segments 0..14 of the flight lost, only 15..19
     * return. Limited transmit sends N N; at ACK 17 three SACKed segments mark all 15
     * lost and pipe (4) is far below ssthresh (10). RFC 6675 would send 7 retransmissions
     * at once; PRR's reduction bound sends as much as was delivered: with duplicate ACKs
     * the conservative bound (PRR-CRB, prr_delivered - prr_out), one R per ACK, as the
     * RFC's PRR-CRB row. Linux takes the slow-start bound (PRR-SSRB, DeliveredData +
     * SMSS) only on an ACK that advances SND.UNA and marks nothing newly lost (RFC 6937
     * leaves the choice): the ACK of the first retransmission sends two. */
    static struct peer p;
    int b = prr_flight_of_20(&p);
    char row[8];
    per_ack(&p, b + 15, row, sizeof row);
    ASSERT(strcmp(row, "N") == 0);
    per_ack(&p, b + 16, row, sizeof row);
    ASSERT(strcmp(row, "N") == 0);
    int from = p.nsent;
    per_ack(&p, b + 17, row, sizeof row);
    ASSERT(strcmp(row, "R") == 0);
    ASSERT_EQ(p.sent[from], b);
    per_ack(&p, b + 18, row, sizeof row);
    ASSERT(strcmp(row, "R") == 0);
    per_ack(&p, b + 19, row, sizeof row);
    ASSERT(strcmp(row, "R") == 0);
    ASSERT_EQ(tcpf_info(&p.f).ssthresh, 10 * p.mss);
    /* The two limited-transmit segments arrive next, before the retransmissions (on a
     * path that keeps order: RACK, RFC 8985 §6.2, would otherwise rightly find them lost
     * once a retransmission sent after them is delivered). Still the conservative bound:
     * one each. */
    per_ack(&p, b + 20, row, sizeof row);
    ASSERT(strcmp(row, "R") == 0);
    per_ack(&p, b + 21, row, sizeof row);
    ASSERT(strcmp(row, "R") == 0);
    /* The first retransmission arrives: SND.UNA advances, nothing newly lost: PRR-SSRB,
     * DeliveredData (1) + 1 segment. */
    p.f.now += 1 * MS;
    from = p.nsent;
    per_ack(&p, b, row, sizeof row);
    ASSERT(strcmp(row, "2R") == 0);
    ASSERT_EQ(p.sent[from], b + 5);
    ASSERT_EQ(p.sent[from + 1], b + 6);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    tcpf_free(&p.f);
}

TEST(prr_conservative_bound_sends_what_the_ack_delivered)
{
    /* Linux's suite, fast_recovery/prr-ss-30pkt-lost-1_4-11_16: 0..3 of ten segments lost,
     * the rest SACKed one per ACK; PRR (CUBIC: ssthresh 7) sends new data on the first two
     * (limited transmit), then the four retransmissions and two more new segments, one per
     * ACK. The cumulative ACK of 0 sends two new (14, 15). Then one ACK SACKs 2 and 3, the
     * retransmissions sent after that of 1: the retransmission of 1 is lost (RACK, RFC
     * 8985 §6.2) and SND.UNA does not move. RFC 9937's conservative bound is
     * MAX(prr_delivered - prr_out, DeliveredData): this ACK delivered two segments, so two
     * go, the retransmission of 1 and 16, where prr_delivered - prr_out alone (RFC 6937's
     * PRR-CRB, 0 here) would send only the retransmission, and with nothing more in flight
     * to draw an ACK the flight would shrink by one. */
    static struct peer p;
    peer_open(&p, false, "cubic");
    write_segs(&p, 20);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 10 * MS;
    const char *want[] = {"N", "N", "R", "R", "R", "R", "N", "N"};
    for (int i = 4; i < 12; i++) {
        char row[8];
        per_ack(&p, i, row, sizeof row);
        printf("     SACK of %d: %s\n", i, row);
        ASSERT(strcmp(row, want[i - 4]) == 0);
        p.f.now += 2 * MS;
    }
    p.f.now += 8 * MS;
    char row[8];
    per_ack(&p, 0, row, sizeof row);
    ASSERT(strcmp(row, "2N") == 0);
    p.f.now += 2 * MS;
    p.have[2] = true;
    int from = p.nsent;
    per_ack(&p, 3, row, sizeof row);
    printf("     SACK of 2 and 3: %s (%d", row, p.nsent > from ? p.sent[from] : -1);
    if (p.nsent > from + 1) printf(" %d", p.sent[from + 1]);
    printf(")\n");
    ASSERT_EQ(p.nsent - from, 2);
    ASSERT_EQ(p.sent[from], 1);
    ASSERT_EQ(p.sent[from + 1], 16);
    tcpf_free(&p.f);
}

/* ---- tail loss probe (RFC 8985 §7) ------------------------------------------------------ */

TEST(tlp_repairs_a_tail_loss_before_the_rto)
{
    /* Ten segments and no more data; the last two (8, 9) are lost, so no duplicate ACK
     * ever comes: only the cumulative ACK of 0..7. Without a probe the repair waits for
     * the RTO (200 ms here, the minimum). With TLP, PTO = max(2 SRTT, 10 ms) after that
     * ACK (two segments in flight: no delayed-ACK allowance) the last segment is resent;
     * its SACK shows 8, sent well before it, lost (RFC 8985 §6: a segment sent later was
     * delivered), and SACK recovery repairs it at once. */
    static struct peer p;
    peer_open(&p, false, NULL);
    write_segs(&p, 10);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 1 * MS;
    for (int i = 0; i < 8; i++) p.have[i] = true;
    peer_ack(&p);
    ASSERT_EQ(peer_take(&p), 0);
    uint64_t acked_at = p.f.now;
    struct synack_sockinfo in = tcpf_info(&p.f);
    ASSERT(in.srtt_us < 5 * MS);
    int from = p.nsent;
    while (p.nsent == from && p.f.now < acked_at + 150 * MS) {
        p.f.now += 1 * MS;
        peer_take(&p);
    }
    printf("     probe %llu ms after the last ACK\n",
           (unsigned long long)((p.f.now - acked_at) / MS));
    ASSERT_EQ(p.nsent, from + 1);
    ASSERT_EQ(p.sent[from], 9);
    ASSERT(p.f.now - acked_at <= 11 * MS);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    p.f.now += 1 * MS;
    from = p.nsent;
    deliver(&p, 9);
    ASSERT(sent_after(&p, from, 8));
    p.f.now += 1 * MS;
    deliver(&p, 8);
    in = tcpf_info(&p.f);
    ASSERT_EQ(in.snd_una, in.snd_nxt);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    ASSERT(p.f.now - acked_at < 200 * MS);
    /* A loss was repaired: the window is reduced once (RFC 8985 §7.4, RFC 5681). */
    ASSERT(in.cwnd < 10 * in.snd_mss);
    tcpf_free(&p.f);
}

/* ---- D-SACK as a receiver (RFC 2883) ---------------------------------------------------- */

/* The stack's answer to what the peer sends now: the last segment it sends at f->now. */
static bool last_ack(struct peer *p)
{
    bool any = false;
    while (recv_seg(&p->f, p->f.now, NULL)) any = true;
    return any;
}

static void expect_blocks(struct peer *p, int n, const uint32_t *lr)
{
    const struct synack_tcp_opts *o = &p->f.seg.tcp.opts;
    ASSERT_EQ(o->sack_count, n);
    for (int i = 0; i < n; i++) {
        ASSERT_EQ(o->sack[i].left - p->f.rcv_nxt, lr[2 * i]);
        ASSERT_EQ(o->sack[i].right - p->f.rcv_nxt, lr[2 * i + 1]);
    }
}

TEST(dsack_reports_duplicate_data_received)
{
    /* The peer's data, offsets from its first byte: the ACK answering a duplicate carries
     * a D-SACK block first (RFC 2883 §4): the duplicated range, below the cumulative ACK
     * for data received before, or inside the out-of-order block, which then follows as
     * the second block (§4 (2)). Each duplicate is reported once. */
    static struct peer p;
    peer_open(&p, false, NULL);
    struct tcpf *f = &p.f;
    uint32_t a = f->snd_nxt, r0 = f->rcv_nxt;
    send_data(f, SYNACK_TCP_ACK, r0, a, 100); /* [0,100) in order */
    f->now += 50 * MS;
    ASSERT(last_ack(&p)); /* the delayed ACK */
    ASSERT_EQ(f->seg.tcp.ack, r0 + 100);
    ASSERT_EQ(f->seg.tcp.opts.sack_count, 0);
    f->now += 1 * MS;
    send_data(f, SYNACK_TCP_ACK, r0, a, 100); /* all of it again */
    ASSERT(last_ack(&p));
    ASSERT_EQ(f->seg.tcp.ack, r0 + 100);
    expect_blocks(&p, 1, (const uint32_t[]){0, 100});
    f->now += 1 * MS;
    send_data(f, SYNACK_TCP_ACK, r0 + 50, a, 100); /* [50,150): half of it again */
    ASSERT(last_ack(&p));
    ASSERT_EQ(f->seg.tcp.ack, r0 + 150);
    expect_blocks(&p, 1, (const uint32_t[]){50, 100});
    f->now += 1 * MS;
    send_data(f, SYNACK_TCP_ACK, r0 + 300, a, 100); /* [300,400) out of order */
    ASSERT(last_ack(&p));
    expect_blocks(&p, 1, (const uint32_t[]){300, 400});
    f->now += 1 * MS;
    send_data(f, SYNACK_TCP_ACK, r0 + 250, a, 100); /* [250,350): [300,350) again */
    ASSERT(last_ack(&p));
    ASSERT_EQ(f->seg.tcp.ack, r0 + 150);
    expect_blocks(&p, 2, (const uint32_t[]){300, 350, 250, 400});
    f->now += 1 * MS;
    send_data(f, SYNACK_TCP_ACK, r0 + 500, a, 100); /* new out-of-order data: no D-SACK */
    ASSERT(last_ack(&p));
    expect_blocks(&p, 2, (const uint32_t[]){500, 600, 250, 400});
    tcpf_free(f);
}

/* ---- RACK (RFC 8985 §6) ------------------------------------------------------------------ */

static struct synack_sockinfo info(struct peer *p)
{
    return tcpf_info(&p->f);
}

/* Runs the clock in steps of step_us up to limit_us later, taking what the stack sends;
 * stops at the first data segment and returns when it came (0: none). */
static uint64_t run_until_sent(struct peer *p, uint64_t step_us, uint64_t limit_us)
{
    uint64_t end = p->f.now + limit_us;
    int from = p->nsent;
    while (p->f.now < end) {
        p->f.now += step_us;
        peer_take(p);
        if (p->nsent > from) return p->f.now;
    }
    return 0;
}

/* An open connection with an RTT of 1 ms measured, segments 0..9 sent at one instant and
 * 0..4 acknowledged; more data queued (20 segments in all). */
static void rack_setup(struct peer *p, bool ts)
{
    peer_open(p, ts, NULL);
    write_segs(p, 20);
    ASSERT_EQ(peer_take(p), 10);
    p->f.now += 1 * MS;
    for (int i = 0; i < 5; i++) p->have[i] = true;
    peer_ack(p);
    peer_take(p); /* new data, sent now */
}

TEST(rack_reordered_segment_within_the_window_is_not_retransmitted)
{
    /* Segment 5 is overtaken by 6 and 7. Two SACKed segments are fewer than DupThresh, and
     * no reordering was seen yet: RACK waits a reordering window, min_RTT / 4 = 250 us
     * (RFC 8985 §6.2 step 4), from when 5 would have been due. It arrives 100 us later:
     * nothing is retransmitted, no recovery, and the reordering is noted. */
    static struct peer p;
    rack_setup(&p, false);
    int from = p.nsent;
    deliver(&p, 6);
    deliver(&p, 7);
    ASSERT(!sent_after(&p, from, 5));
    p.f.now += 100;
    deliver(&p, 5);
    /* Past the window: still nothing resent (the tail loss probe comes later). */
    p.f.now += 500;
    peer_take(&p);
    ASSERT(!sent_after(&p, from, 5));
    ASSERT_EQ(stats(&p).fast_retransmits, 0);
    ASSERT_EQ(stats(&p).retransmits, 0);
    ASSERT_EQ(stats(&p).rack_reo_timeouts, 0);
    tcpf_free(&p.f);
}

TEST(rack_reordering_timer_finds_a_lost_segment)
{
    /* Segment 5 is lost and only 6 is SACKed, and nothing else comes back: no third
     * duplicate ACK will ever arrive, and the tail loss probe is not armed with SACKed data
     * outstanding. RACK's reordering timer marks 5 lost once the window (250 us) passes, at
     * its send time + RACK.rtt + reo_wnd, and recovery resends it, far before the RTO. */
    static struct peer p;
    rack_setup(&p, false);
    uint64_t t0 = p.f.now;
    deliver(&p, 6);
    int from = p.nsent; /* limited transmit may have sent new data */
    ASSERT(!sent_after(&p, 0, 5 + NSEG));
    uint64_t when = run_until_sent(&p, 10, 300 * MS);
    ASSERT(when != 0);
    ASSERT_EQ(p.sent[from], 5);
    printf("     resent %llu us after the SACK\n", (unsigned long long)(when - t0));
    ASSERT(when - t0 >= 250 && when - t0 <= 300);
    ASSERT_EQ(stats(&p).rack_reo_timeouts, 1);
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    tcpf_free(&p.f);
}

TEST(rack_three_sacks_without_reordering_recover_at_once)
{
    /* The DupThresh rule kept inside RACK (RFC 8985 §6.2 step 4): with no reordering seen,
     * three SACKed segments make the window zero, so the third SACK starts recovery at
     * once, as three duplicate ACKs would. */
    static struct peer p;
    rack_setup(&p, false);
    int from = p.nsent;
    deliver(&p, 6);
    deliver(&p, 7);
    ASSERT(!sent_after(&p, from, 5));
    deliver(&p, 8);
    ASSERT(sent_after(&p, from, 5));
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    tcpf_free(&p.f);
}

TEST(rack_partial_cumulative_ack_with_a_sack_is_not_reordering)
{
    /* Segments 0..9 go in one burst (one transmission record); 3 is lost. The receiver
     * delays its ACK for 0..2, and 4 arriving out of order draws the ACK at once: ACK 3
     * with SACK 4. Everything this ACK reports was delivered in sequence order: 0..2 are
     * below 4, newly acknowledged with it, not overtaken by it (RFC 8985 §6.2 step 3
     * compares with RACK.fack as it was before the ACK; Linux: prior_fack). So no
     * reordering is seen, the DupThresh rule stays on, and the third SACK (6) resends 3 at
     * once rather than after a reordering window. */
    static struct peer p;
    peer_open(&p, false, NULL);
    write_segs(&p, 20);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 1 * MS;
    for (int i = 0; i < 3; i++) p.have[i] = true;
    int from = p.nsent;
    deliver(&p, 4);
    deliver(&p, 5);
    ASSERT(!sent_after(&p, from, 3));
    deliver(&p, 6);
    ASSERT(sent_after(&p, from, 3));
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    ASSERT_EQ(stats(&p).rack_reo_timeouts, 0);
    tcpf_free(&p.f);
}

TEST(rack_min_rtt_is_the_minimum_over_a_window)
{
    /* RACK's min_RTT (RFC 8985 §6.2) is the minimum over a recent window of time, not
     * over the connection's life: a path whose delay has grown (a longer route) would
     * otherwise keep the reordering window (min_RTT / 4) and the check of retransmitted
     * data's RTT on a figure that no longer holds. Linux keeps a windowed minimum of 300 s
     * (tcp_min_rtt_wlen). The handshake measures 1 ms; then every second one segment is
     * acknowledged 10 ms after it went. */
    static struct peer p;
    peer_open(&p, false, NULL);
    ASSERT_EQ(info(&p).min_rtt_us, 1000);
    uint64_t t0 = p.f.now;
    int seg = 0;
    while (p.f.now - t0 < 320 * SEC) {
        write_segs(&p, 1);
        ASSERT_EQ(peer_take(&p), 1);
        p.f.now += 10 * MS;
        p.have[seg++ % NSEG] = true;
        if (seg % NSEG == 0) {
            /* The peer's map holds NSEG segments: start it again past them. */
            memset(p.have, 0, sizeof p.have);
            p.base += NSEG * p.mss;
        }
        peer_ack(&p);
        peer_take(&p);
        if (p.f.now - t0 < 290 * SEC) ASSERT_EQ(info(&p).min_rtt_us, 1000);
        p.f.now += 990 * MS;
    }
    ASSERT_EQ(info(&p).min_rtt_us, 10000);
    tcpf_free(&p.f);
}

static void rto_in_recovery_keeps_ssthresh(const char *cc)
{
    /* Segment 5 is lost and SACK recovery starts, setting ssthresh for this loss. Then
     * nothing more comes back (the retransmission, or the ACKs after it, lost too) and the
     * retransmission timer fires while the recovery is under way. That is the same
     * congestion event, already answered: the window collapses to one segment as after any
     * timeout, but ssthresh stays what the recovery set, rather than being cut again from
     * a window PRR has already brought down (Linux's tcp_enter_loss keeps it when the
     * timeout comes in Recovery; RFC 5681 §3.1 keeps it for a second timeout likewise). */
    static struct peer p;
    peer_open(&p, false, cc);
    write_segs(&p, 20);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 1 * MS;
    for (int i = 0; i < 5; i++) p.have[i] = true;
    peer_ack(&p);
    peer_take(&p);
    deliver(&p, 6);
    deliver(&p, 7);
    deliver(&p, 8);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    uint32_t ssthresh = info(&p).ssthresh;
    while (stats(&p).rto_timeouts == 0 && p.f.now < 10 * SEC) {
        p.f.now += 1 * MS;
        peer_take(&p);
    }
    ASSERT_EQ(stats(&p).rto_timeouts, 1);
    struct synack_sockinfo in = info(&p);
    printf("     %s: ssthresh %u segments in recovery, %u after the timeout; cwnd %u\n", cc,
           ssthresh / p.mss, in.ssthresh / p.mss, in.cwnd / p.mss);
    ASSERT_EQ(in.ssthresh, ssthresh);
    ASSERT_EQ(in.cwnd, p.mss);
    tcpf_free(&p.f);
}

TEST(rto_during_recovery_keeps_ssthresh_newreno)
{
    rto_in_recovery_keeps_ssthresh("newreno");
}

TEST(rto_during_recovery_keeps_ssthresh_cubic)
{
    rto_in_recovery_keeps_ssthresh("cubic");
}

TEST(rack_sacked_before_a_timeout_is_not_reordering_when_acknowledged)
{
    /* Segment 5 is lost, 6..8 are SACKed, SACK recovery starts, and then nothing more
     * comes back until the retransmission timer fires. The timeout forgets which segments
     * were SACKed (RFC 6675 §5.1, RFC 2018 §8: the peer may have reneged) and resends from
     * 5. When 5 arrives, the cumulative ACK covers 6..8, sent once and below the highest
     * sequence delivered before (RACK.fack): RFC 8985 §6.2 step 3 would call that
     * reordering, yet the peer only acknowledges what it had reported holding before the
     * timeout. The path never reordered anything: neither RACK.reord nor the reordering
     * count (Linux's tcpi_reord_seen) may change, or every later recovery would wait out
     * a reordering window for nothing (Linux keeps the SACKed marks through a timeout
     * unless the peer reneged, which gives the same result). */
    static struct peer p;
    peer_open(&p, false, NULL);
    write_segs(&p, 20);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 1 * MS;
    for (int i = 0; i < 5; i++) p.have[i] = true;
    peer_ack(&p);
    peer_take(&p);
    deliver(&p, 6);
    deliver(&p, 7);
    deliver(&p, 8);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    while (stats(&p).rto_timeouts == 0 && p.f.now < 10 * SEC) {
        p.f.now += 1 * MS;
        peer_take(&p);
    }
    ASSERT_EQ(stats(&p).rto_timeouts, 1);
    ASSERT_EQ(info(&p).reord_seen, 0);
    p.f.now += 1 * MS;
    deliver(&p, 5);
    struct synack_sockinfo in = info(&p);
    ASSERT_EQ(in.snd_una, seg_seq(&p, 9));
    printf("     after the timeout, 5 arrives: ACK of 9, reord_seen %u\n", in.reord_seen);
    ASSERT_EQ(in.reord_seen, 0);
    tcpf_free(&p.f);
}

/* The timestamp the stack's last transmission of segment i carried. */
static uint32_t sent_tsval(const struct peer *p, int i)
{
    for (int k = p->nsent - 1; k >= 0; k--)
        if (p->sent[k] == i) return p->sent_ts[k];
    ASSERT(false);
    return 0;
}

TEST(eifel_ignores_the_echo_of_an_earlier_episodes_retransmission)
{
    /* Eifel (RFC 3522) calls a recovery spurious when the first ACK that advances SND.UNA
     * echoes a timestamp older than the recovery's retransmission: the original arrived.
     * RFC 3522 retransmits at SND.UNA; with SACK a retransmission of the episode before may
     * still be in flight below this one's. Segment 0 is lost: recovery 1 (recover = 12),
     * whose PRR sends 12, 13, 14, 15; 12 and 14 are lost too. 13's SACK, 5 ms later, shows
     * 12 (and 0's retransmission) lost: both are resent within recovery 1. 5 ms later the
     * ACK of 0 ends recovery 1 (SND.UNA = 12 = recover) and SACKs 15: 14, sent before the
     * copy of 0 that just arrived, is lost (RACK), and recovery 2 begins. Then 12's
     * retransmission arrives: its ACK echoes that retransmission's timestamp, 5 ms older
     * than recovery 2's, yet nothing arrived that was not sent again. The loss was real and
     * the reduction stays (Linux compares with retrans_stamp, the oldest retransmission
     * still outstanding). */
    static struct peer p;
    peer_open(&p, true, NULL);
    write_segs(&p, 40);
    ASSERT_EQ(peer_take(&p), 10);
    p.f.now += 5 * MS;
    p.ecr = sent_tsval(&p, 1);
    for (int i = 1; i <= 3; i++) deliver(&p, i);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    for (int i = 4; i <= 11; i++) deliver(&p, i);
    ASSERT(sent_after(&p, 0, 15));
    uint32_t ssthresh = info(&p).ssthresh;
    p.f.now += 5 * MS;
    int from = p.nsent;
    deliver(&p, 13);
    ASSERT(sent_after(&p, from, 12)); /* 12 resent in recovery 1 */
    p.f.now += 5 * MS;
    p.have[15] = true;
    p.ecr = sent_tsval(&p, 0);
    from = p.nsent;
    deliver(&p, 0);
    ASSERT_EQ(info(&p).snd_una, seg_seq(&p, 12));
    ASSERT(sent_after(&p, from, 14));
    ASSERT_EQ(stats(&p).fast_retransmits, 2);
    p.f.now += 5 * MS;
    p.ecr = sent_tsval(&p, 12);
    deliver(&p, 12);
    struct synack_sockinfo in = info(&p);
    ASSERT_EQ(in.snd_una, seg_seq(&p, 14));
    printf("     ACK of 12's retransmission in recovery 2: %llu spurious, ssthresh %u -> %u\n",
           (unsigned long long)stats(&p).spurious_retransmits, ssthresh / p.mss,
           in.ssthresh / p.mss);
    ASSERT_EQ(stats(&p).spurious_retransmits, 0);
    ASSERT_EQ(stats(&p).fast_retransmits, 2);
    ASSERT(in.ssthresh < ssthresh);
    tcpf_free(&p.f);
}

TEST(rack_lost_retransmission_is_resent_without_rto)
{
    /* Segment 5 is lost, and so is its fast retransmission. New data sent after that
     * retransmission is SACKed: RACK sees the retransmission was sent before a segment
     * that was delivered, marks it lost again (RFC 8985 §6.2: "lost retransmissions"), and
     * it goes a third time, before the RTO. RFC 6675 alone would wait for the RTO. */
    static struct peer p;
    rack_setup(&p, false);
    int from = p.nsent;
    deliver(&p, 6);
    deliver(&p, 7);
    deliver(&p, 8);
    ASSERT(sent_after(&p, from, 5));
    int first = p.nsent;
    p.f.now += 1 * MS;
    for (int i = 9; i < 15; i++) deliver(&p, i);
    int after = p.nsent;
    ASSERT(after > first);
    /* The segments sent after the retransmission arrive; it did not. */
    p.f.now += 1 * MS;
    for (int k = first; k < after; k++)
        if (p.sent[k] != 5) deliver(&p, p.sent[k]);
    if (!sent_after(&p, after, 5)) run_until_sent(&p, 50, 100 * MS);
    ASSERT(sent_after(&p, after, 5));
    ASSERT_EQ(stats(&p).rto_timeouts, 0);
    tcpf_free(&p.f);
}

/* The peer's ACK, with a D-SACK block for segments [l, r) first (RFC 2883 §4). */
static void peer_ack_dsack(struct peer *p, int l, int r)
{
    int cum = 0;
    while (cum < NSEG && p->have[cum]) cum++;
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = p->ts;
    o.ts_val = p->tsval++;
    o.ts_ecr = p->ecr;
    o.sack[0].left = seg_seq(p, l);
    o.sack[0].right = seg_seq(p, r);
    o.sack_count = 1;
    send_seg(&p->f, p->f.now, SYNACK_TCP_ACK, p->f.rcv_nxt, seg_seq(p, cum), TCPF_PEER_WIN, NULL, 0,
             &o);
    peer_take(p);
}

TEST(dsack_of_every_retransmission_undoes_the_reduction)
{
    /* Without timestamps (so Eifel cannot tell): segment 5 is delayed past three SACKs,
     * so it is fast retransmitted and the window halved. Then the original arrives, and
     * then the retransmission, which the peer reports with a D-SACK: every retransmission
     * of the episode was unnecessary (RFC 3708 §3), the window before it is restored. */
    static struct peer p;
    rack_setup(&p, false);
    uint32_t cwnd0 = info(&p).cwnd;
    deliver(&p, 6);
    deliver(&p, 7);
    deliver(&p, 8);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    ASSERT(info(&p).ssthresh < cwnd0);
    /* A round trip later the original arrives, with everything sent up to then. */
    p.f.now += 1 * MS;
    for (int k = 0; k < p.nsent; k++) p.have[p.sent[k]] = true;
    peer_ack(&p);
    peer_take(&p);
    ASSERT_EQ(stats(&p).retransmits, 1);
    p.f.now += 100;
    peer_ack_dsack(&p, 5, 6); /* the retransmission, received twice */
    struct synack_sockinfo in = info(&p);
    printf("     cwnd %u before, %u after the undo; ssthresh %u\n", cwnd0 / p.mss, in.cwnd / p.mss,
           in.ssthresh / p.mss);
    ASSERT_EQ(stats(&p).dsacks_in, 1);
    ASSERT_EQ(stats(&p).dsack_undos, 1);
    ASSERT(in.cwnd >= cwnd0);
    ASSERT(in.ssthresh >= cwnd0);
    ASSERT_EQ(in.dsack_dups, 1);
    tcpf_free(&p.f);
}

TEST(dsack_widens_the_reordering_window)
{
    /* After a D-SACK showed a retransmission was spurious, the path is known to reorder
     * (RFC 8985 §6.2 steps 3 and 4): three SACKs above a hole no longer mean it is lost at
     * once; RACK waits 2 x min_RTT / 4 (the multiplier grew by one), and the late segment
     * that arrives within it is not resent. */
    static struct peer p;
    rack_setup(&p, false);
    deliver(&p, 6);
    deliver(&p, 7);
    deliver(&p, 8);
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    p.f.now += 1 * MS;
    for (int k = 0; k < p.nsent; k++) p.have[p.sent[k]] = true;
    peer_ack(&p);
    peer_take(&p);
    p.f.now += 100;
    peer_ack_dsack(&p, 5, 6);
    ASSERT_EQ(stats(&p).dsack_undos, 1);
    /* All is delivered; the next flight: its first segment is late, the three after it
     * arrive. */
    p.f.now += 1 * MS;
    for (int k = 0; k < p.nsent; k++) p.have[p.sent[k]] = true;
    peer_ack(&p);
    int first = p.nsent;
    write_segs(&p, 20);
    peer_take(&p);
    ASSERT(p.nsent - first >= 4);
    int late = p.sent[first];
    p.f.now += 1 * MS;
    int from = p.nsent;
    for (int k = first + 1; k < first + 4; k++) deliver(&p, p.sent[k]);
    ASSERT(!sent_after(&p, from, late));
    p.f.now += 300; /* more than min_RTT / 4 (250 us), less than twice it */
    deliver(&p, late);
    ASSERT(!sent_after(&p, from, late));
    ASSERT_EQ(stats(&p).fast_retransmits, 1);
    tcpf_free(&p.f);
}

/* ---- F-RTO (RFC 5682) ------------------------------------------------------------------- */

/* Ten segments in flight and more queued; no ACK comes back until the retransmission
 * timer has fired once. Returns with the timeout's retransmission taken. */
static void frto_setup(struct peer *p)
{
    peer_open(p, false, NULL);
    write_segs(p, 30);
    ASSERT_EQ(peer_take(p), 10);
    /* The tail loss probe goes first (RFC 8985 §7), unanswered too. */
    int from = p->nsent;
    while (stats(p).rto_timeouts == 0 && p->f.now < 10 * SEC) {
        from = p->nsent;
        p->f.now += 1 * MS;
        peer_take(p);
    }
    ASSERT_EQ(stats(p).tlp_probes, 1);
    ASSERT_EQ(stats(p).rto_timeouts, 1);
    /* F-RTO step 1 (RFC 5682 §2.1): the first unacknowledged segment only. */
    ASSERT_EQ(p->nsent, from + 1);
    ASSERT_EQ(p->sent[from], 0);
}

TEST(frto_spurious_timeout_is_undone)
{
    /* The ACKs were only late. The first (for 0 and 1) advances SND.UNA: two new segments
     * go, not a retransmission (step 2b). The second advances it again: segments sent
     * before the timeout and never resent are arriving, so the timeout was spurious (step
     * 3b): the window is restored and nothing of 2..9 is sent again. */
    static struct peer p;
    frto_setup(&p);
    uint32_t cwnd_rto = info(&p).cwnd;
    p.have[0] = p.have[1] = true;
    int from = p.nsent;
    peer_ack(&p);
    peer_take(&p);
    /* (The probe was new data, 10.) */
    ASSERT_EQ(p.nsent, from + 2);
    ASSERT_EQ(p.sent[from], 11);
    ASSERT_EQ(p.sent[from + 1], 12);
    p.have[2] = p.have[3] = true;
    peer_ack(&p);
    peer_take(&p);
    for (int i = 4; i < 13; i++) deliver(&p, i);
    for (int k = from; k < p.nsent; k++) ASSERT(p.sent[k] >= 10);
    struct synack_sockinfo in = info(&p);
    printf("     cwnd %u segments after the timeout, %u after the undo\n", cwnd_rto / p.mss,
           in.cwnd / p.mss);
    ASSERT_EQ(stats(&p).spurious_rtos, 1);
    ASSERT(in.cwnd >= 10 * p.mss);
    ASSERT_EQ(stats(&p).retransmits, 1); /* the timeout's (the probe was new data) */
    tcpf_free(&p.f);
}

TEST(frto_genuine_timeout_goes_back)
{
    /* All ten were lost. The retransmitted 0 arrives: SND.UNA advances, two new segments
     * go (step 2b). They arrive too, but 1 is still missing: the next ACK is a duplicate
     * (it SACKs the new data), so the loss was real (step 3a): cwnd at most 3 segments and
     * the retransmissions go on from 1, in slow start. */
    static struct peer p;
    frto_setup(&p);
    int from = p.nsent;
    deliver(&p, 0);
    ASSERT_EQ(p.nsent, from + 2);
    ASSERT_EQ(p.sent[from], 11); /* (the probe was new data, 10) */
    from = p.nsent;
    deliver(&p, 11);
    ASSERT(p.nsent > from);
    ASSERT_EQ(p.sent[from], 1);
    ASSERT(info(&p).cwnd <= 3 * p.mss);
    ASSERT_EQ(stats(&p).spurious_rtos, 0);
    for (int i = 1; i < 11; i++) deliver(&p, i);
    deliver(&p, 12);
    ASSERT_EQ(stats(&p).rto_timeouts, 1);
    ASSERT_EQ(stats(&p).spurious_rtos, 0);
    tcpf_free(&p.f);
}

TEST_MAIN()
