/*
 * correctness_test.c - the correctness issue's items, one test each, against a scripted
 * peer (tcp_fixture.h): SYNs in synchronized states (RFC 5961 §4.2), the send-window
 * update rule (RFC 9293 §3.10.7.4), PAWS expiry (RFC 7323 §5.5), keepalive idleness and
 * states, malformed options, rate-limited out-of-window ACKs, TIME-WAIT eviction, and
 * keepalive options set on a live connection.
 */
#include "tcp_fixture.h"
#include "base/seq.h"

#define SYN SYNACK_TCP_SYN
#define ACK SYNACK_TCP_ACK
#define RST SYNACK_TCP_RST
#define FIN SYNACK_TCP_FIN
#define PSH SYNACK_TCP_PSH
#define W   TCPF_RCVBUF

#define SEC 1000000ull

/* ---- item 8: a SYN in a synchronized state draws a challenge ACK and nothing else ------ */

/* RFC 5961 §4.2: "If the SYN bit is set, irrespective of the sequence number, TCP MUST
 * send an ACK". A SYN without the ACK bit, with data, at RCV.NXT - 1 (so that trimming
 * would take the SYN away and leave acceptable data) must not be dropped silently by the
 * fifth step's "no ACK bit" rule; nor may a SYN far outside the window get anything but
 * the (rate-limited) challenge ACK. */
TEST(established_syn_without_ack_draws_challenge_ack)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    f.now += TCPF_STEP;
    uint8_t d[10] = "0123456789";
    send_seg(&f, f.now, SYN, f.rcv_nxt - 1, 0, TCPF_PEER_WIN, d, sizeof d, NULL);
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    /* Far outside the window, with data: the same challenge ACK (once the per-connection
     * limit of challenge ACKs, RFC 5961 §7, lets another one go). */
    f.now += f.cfg.oow_ack_interval_us;
    send_seg(&f, f.now, SYN, f.rcv_nxt + 5 * W, 0, TCPF_PEER_WIN, d, sizeof d, NULL);
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    struct synack_stats stats;
    synack_get_stats(f.st, &stats);
    ASSERT_EQ(stats.challenge_acks, 2);
    tcpf_free(&f);
}

/* A SYN,ACK with data at RCV.NXT - 1: trimming the SYN would leave data at RCV.NXT, but
 * the SYN makes the whole segment suspect: challenge ACK, no data for the application. */
TEST(established_syn_with_data_at_rcv_nxt_minus_1_delivers_nothing)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    f.now += TCPF_STEP;
    uint8_t d[10] = "0123456789";
    send_seg(&f, f.now, SYN | ACK, f.rcv_nxt - 1, f.snd_nxt, TCPF_PEER_WIN, d, sizeof d, NULL);
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    recv_nothing(&f, f.now + 10 * f.cfg.delack_us);
    uint8_t b[32];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, b, sizeof b), SYNACK_EAGAIN);
    ASSERT_EQ(tcpf_info(&f).rcv_nxt, f.rcv_nxt);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

/* ---- item 9: the send window is updated only by ACKs in [SND.UNA, SND.NXT] ------------- */

/* RFC 9293 §3.10.7.4 Fifth: "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be
 * updated" (with the SND.WL1/WL2 rule). A reordered segment that acknowledges less than
 * SND.UNA carries a window older than the one we have, even when its sequence number is
 * newer: it must not shrink our view of the peer's window. Linux agrees (tcp_ack: an old
 * ACK goes to old_ack, which skips tcp_ack_update_window). */
TEST(established_old_ack_does_not_update_send_window)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, "hello, peer", 11), 11);
    EXPECT_SEG(&f, PSH | ACK, f.snd_nxt, f.rcv_nxt, 11);
    uint32_t old_una = f.snd_nxt;
    f.snd_nxt += 11;
    f.now += TCPF_STEP;
    /* The peer acknowledges our data with 10 bytes of its own (SND.WL1 = RCV.NXT). */
    send_data(&f, PSH | ACK, f.rcv_nxt, f.snd_nxt, 10);
    f.rcv_nxt += 10;
    ASSERT_EQ(tcpf_info(&f).snd_una, f.snd_nxt);
    ASSERT_EQ(tcpf_info(&f).snd_wnd, TCPF_PEER_WIN);
    /* Then a segment with a newer sequence number but an ACK below SND.UNA, and a zero
     * window: its data is taken, its window is not. */
    uint8_t d[10] = "abcdefghij";
    send_seg(&f, f.now, PSH | ACK, f.rcv_nxt, old_una, 0, d, sizeof d, NULL);
    f.rcv_nxt += 10;
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.rcv_nxt, f.rcv_nxt);
    ASSERT_EQ(in.snd_una, f.snd_nxt);
    ASSERT_EQ(in.snd_wnd, TCPF_PEER_WIN);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

/* ---- item 10: TS.Recent expires after 24 days idle (RFC 7323 §5.5) --------------------- */

/* One data segment from the peer with a timestamp option. */
static int send_data_ts(struct tcpf *f, uint32_t seq, uint32_t tsval, size_t n)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = true;
    o.ts_val = tsval;
    uint8_t d[64];
    if (n > sizeof d) n = sizeof d;
    for (size_t i = 0; i < n; i++) d[i] = (uint8_t)('a' + i);
    return send_seg(f, f->now, PSH | ACK, seq, f->snd_nxt, TCPF_PEER_WIN, d, n, &o);
}

/* RFC 7323 §5.5: "If a connection remains idle for more than 24 days, the TS.Recent value
 * must be invalidated": the peer's timestamp clock may have wrapped, and a live segment
 * would otherwise be refused by PAWS for ever. Linux: tcp_paws_check's TCP_PAWS_24DAYS. */
TEST(paws_stops_after_24_days_idle)
{
    struct tcpf f;
    tcpf_config(&f);
    f.peer_ts = true;
    f.peer_tsval = 0x80001000u;
    conn_in_established(&f);
    ASSERT(tcpf_info(&f).ts_ok);
    /* A day later an older timestamp is an old duplicate: ACK, dropped. */
    f.now += 86400 * SEC;
    send_data_ts(&f, f.rcv_nxt, 0x1000u, 10);
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(tcpf_info(&f).rcv_nxt, f.rcv_nxt);
    /* 25 days after TS.Recent was last set, PAWS no longer applies: the data is taken and
     * TS.Recent follows the peer's (wrapped) clock. */
    f.now += 24 * 86400 * SEC;
    send_data_ts(&f, f.rcv_nxt, 0x1000u, 10);
    EXPECT_NOTHING(&f);
    f.rcv_nxt += 10;
    ASSERT_EQ(tcpf_info(&f).rcv_nxt, f.rcv_nxt);
    EXPECT_SEG_AT(&f, f.now + f.cfg.delack_us, ACK, f.snd_nxt, f.rcv_nxt, 0);
    ASSERT(f.seg.tcp.opts.has_ts);
    ASSERT_EQ(f.seg.tcp.opts.ts_ecr, 0x1000u);
    /* And PAWS is back, against the new TS.Recent. */
    send_data_ts(&f, f.rcv_nxt, 0x0800u, 10);
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    ASSERT_EQ(tcpf_info(&f).rcv_nxt, f.rcv_nxt);
    tcpf_free(&f);
}

/* ---- item 11: keepalive idleness and states ------------------------------------------- */

static void keepalive_on(struct tcpf *f, long idle, long intvl, long cnt)
{
    ASSERT_EQ(synack_setopt(f->st, f->sd, SYNACK_OPT_KEEPIDLE, idle), 0);
    ASSERT_EQ(synack_setopt(f->st, f->sd, SYNACK_OPT_KEEPINTVL, intvl), 0);
    ASSERT_EQ(synack_setopt(f->st, f->sd, SYNACK_OPT_KEEPCNT, cnt), 0);
    ASSERT_EQ(synack_setopt(f->st, f->sd, SYNACK_OPT_KEEPALIVE, 1), 0);
}

/* Only an acceptable segment says the peer is alive. An unacceptable one (outside the
 * window, or a blind attacker's) must not postpone the keepalive probe: else anyone who
 * knows the 4-tuple keeps a dead connection open for ever. */
TEST(keepalive_idle_not_reset_by_unacceptable_segment)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    uint64_t t0 = f.now; /* the last acceptable segment: the handshake's ACK */
    keepalive_on(&f, 10, 1, 3);
    f.now = t0 + 5 * SEC;
    send_ctl(&f, ACK, f.rcv_nxt + W + 10, f.snd_nxt); /* outside the window */
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    recv_nothing(&f, t0 + 10 * SEC - 1);
    EXPECT_SEG_AT(&f, t0 + 10 * SEC, ACK, f.snd_nxt - 1, f.rcv_nxt, 0);
    /* The peer answers: an acceptable segment, idleness starts again. */
    f.now = t0 + 10 * SEC + 500;
    send_ctl(&f, ACK, f.rcv_nxt, f.snd_nxt);
    EXPECT_NOTHING(&f);
    recv_nothing(&f, f.now + 10 * SEC - 1);
    EXPECT_SEG_AT(&f, t0 + 20 * SEC + 500, ACK, f.snd_nxt - 1, f.rcv_nxt, 0);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

/* Linux runs keepalive in every synchronized state its socket lives in (not in TIME-WAIT,
 * a separate minisocket): in FIN-WAIT-2 too, where a peer that vanished without its FIN
 * would otherwise hold a half-closed connection the user still owns for ever. */
TEST(keepalive_runs_in_fin_wait_2)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    keepalive_on(&f, 10, 1, 2);
    f.now += TCPF_STEP;
    ASSERT_EQ(synack_shutdown(f.st, f.sd, f.now, SYNACK_SHUT_WR), 0);
    EXPECT_SEG(&f, FIN | ACK, f.snd_nxt, f.rcv_nxt, 0);
    f.snd_nxt++;
    f.now += TCPF_STEP;
    send_ctl(&f, ACK, f.rcv_nxt, f.snd_nxt);
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_FIN_WAIT_2);
    uint64_t t0 = f.now;
    recv_nothing(&f, t0 + 10 * SEC - 1);
    EXPECT_SEG_AT(&f, t0 + 10 * SEC, ACK, f.snd_nxt - 1, f.rcv_nxt, 0);
    EXPECT_SEG_AT(&f, t0 + 11 * SEC, ACK, f.snd_nxt - 1, f.rcv_nxt, 0);
    /* No answer to keep_cnt probes: the connection is dead. */
    EXPECT_SEG_AT(&f, t0 + 12 * SEC, RST | ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_STATE(&f, SYNACK_CLOSED);
    ASSERT_EQ(synack_socket_error(f.st, f.sd), SYNACK_ETIMEDOUT);
    tcpf_free(&f);
}

/* ---- item 16: KEEPIDLE on a live keepalive takes effect at once ----------------------- */

/* Linux (tcp_sock_set_keepidle_locked) re-arms the keepalive timer when TCP_KEEPIDLE
 * changes on a socket with SO_KEEPALIVE on: the new idle time counts from the last
 * segment received. Without it the 2-hour default set by KEEPALIVE stays. */
TEST(keepidle_after_keepalive_rearms_timer)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    uint64_t t0 = f.now;
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_KEEPALIVE, 1), 0);
    f.now += 3 * SEC;
    ASSERT_EQ(synack_poll(f.st, f.now), 0);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_KEEPIDLE, 10), 0);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_KEEPINTVL, 2), 0);
    ASSERT(synack_next_deadline(f.st) <= t0 + 10 * SEC);
    recv_nothing(&f, t0 + 10 * SEC - 1);
    EXPECT_SEG_AT(&f, t0 + 10 * SEC, ACK, f.snd_nxt - 1, f.rcv_nxt, 0);
    EXPECT_SEG_AT(&f, t0 + 12 * SEC, ACK, f.snd_nxt - 1, f.rcv_nxt, 0);
    /* An idle time shorter than the time already idle: the probe goes at once. */
    f.now = t0 + 12 * SEC + 500;
    send_ctl(&f, ACK, f.rcv_nxt, f.snd_nxt);
    EXPECT_NOTHING(&f);
    f.now += 5 * SEC;
    ASSERT_EQ(synack_poll(f.st, f.now), 0);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_KEEPIDLE, 3), 0);
    EXPECT_SEG(&f, ACK, f.snd_nxt - 1, f.rcv_nxt, 0);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

/* ---- item 12: a malformed option does not drop the segment ---------------------------- */

/* Linux's tcp_parse_options stops at a bad length and ignores a wrong-length known option,
 * and the segment goes on; dropping it instead lets a middlebox that mangles one option
 * (or a sender's bug) stall a connection for ever, each retransmission dropped again. */
TEST(malformed_option_keeps_segment)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    f.now += TCPF_STEP;
    /* Header with 8 option bytes: a kind-30 option of length 0, then padding. */
    struct synack_ipv4_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.ttl = 64;
    ip.proto = SYNACK_IPPROTO_TCP;
    ip.src = TCPF_PEER;
    ip.dst = TCPF_LOCAL;
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = f.pport;
    h.dport = f.lport;
    h.seq = f.rcv_nxt;
    h.ack = f.snd_nxt;
    h.flags = PSH | ACK;
    h.window = TCPF_PEER_WIN;
    h.opts.has_mss = true; /* 4 option bytes, rewritten below */
    h.opts.mss = 0;
    uint8_t buf[256];
    size_t n = wire_segment_emit(buf, sizeof buf, &ip, &h, (const uint8_t *)"hello", 5);
    ASSERT(n == 20 + 24 + 5);
    uint8_t *opt = buf + 20 + 20;
    opt[0] = 30; /* unknown kind, length 0 */
    opt[1] = 0;
    opt[2] = 0;
    opt[3] = 0;
    /* Fix the TCP checksum for the new bytes. */
    buf[20 + 16] = buf[20 + 17] = 0;
    uint32_t sum = wire_pseudo_sum(TCPF_PEER, TCPF_LOCAL, SYNACK_IPPROTO_TCP, (uint16_t)(n - 20));
    wire_put16(buf + 20 + 16, wire_csum_fold(wire_csum_add(sum, buf + 20, n - 20)));
    ASSERT_EQ(synack_input(f.st, f.now, buf, n), 0);
    f.rcv_nxt += 5;
    ASSERT_EQ(tcpf_info(&f).rcv_nxt, f.rcv_nxt);
    EXPECT_SEG_AT(&f, f.now + f.cfg.delack_us, ACK, f.snd_nxt, f.rcv_nxt, 0);
    uint8_t b[16];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, b, sizeof b), 5);
    ASSERT(memcmp(b, "hello", 5) == 0);
    tcpf_free(&f);
}

/* ---- item 13: ACKs to out-of-window and PAWS-rejected segments are rate-limited -------- */

/* Counts the segments the stack sends now. */
static int drain(struct tcpf *f)
{
    int n = 0;
    while (recv_seg(f, f->now, NULL)) n++;
    return n;
}

/* RFC 9293 answers every unacceptable segment with an ACK; two stacks that each find the
 * other's ACKs out of window would answer each other for ever (an ACK war), and a flood of
 * bad segments draws a flood of ACKs. Linux (tcp_oow_rate_limited, tcp_invalid_ratelimit)
 * sends at most one such ACK per 500 ms per connection; the first is still sent. Segments
 * with data (and no SYN) are not limited: they cannot be part of an ACK war, and a sender
 * retransmitting data we already have needs each of our ACKs. */
TEST(out_of_window_acks_rate_limited)
{
    struct tcpf f;
    tcpf_config(&f);
    ASSERT_EQ(f.cfg.oow_ack_interval_us, 500000);
    f.peer_ts = true;
    f.peer_tsval = 1000;
    conn_in_established(&f);
    f.now += TCPF_STEP;
    uint64_t t0 = f.now;
    int acks = 0;
    for (int i = 0; i < 10000; i++) {
        f.now = t0 + (uint64_t)i * 100; /* 10,000 segments in one second */
        send_ctl(&f, ACK, f.rcv_nxt + W + 10 + (uint32_t)i, f.snd_nxt);
        acks += drain(&f);
    }
    ASSERT_EQ(acks, 2); /* at t0 and t0 + 500 ms */
    /* PAWS-rejected segments share the same limit. */
    f.now = t0 + 2 * SEC;
    acks = 0;
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_ts = true;
    o.ts_val = 10; /* older than TS.Recent */
    for (int i = 0; i < 1000; i++) {
        send_seg(&f, f.now, ACK, f.rcv_nxt, f.snd_nxt, TCPF_PEER_WIN, NULL, 0, &o);
        acks += drain(&f);
    }
    ASSERT_EQ(acks, 1);
    /* Data below RCV.NXT (a retransmission whose ACK was lost) is always answered. */
    f.now += TCPF_STEP;
    for (int i = 0; i < 3; i++) {
        send_data(&f, PSH | ACK, f.rcv_nxt - 20, f.snd_nxt, 10);
        EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    }
    /* After the interval, a pure out-of-window ACK is answered again. */
    f.now += 500000;
    send_ctl(&f, ACK, f.rcv_nxt + W + 10, f.snd_nxt);
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

/* TIME-WAIT answers each retransmission of the peer's FIN (RFC 9293 §3.10.7.4), even many
 * within 500 ms: a FIN occupies sequence space, so it is not a pure ACK and not limited. */
TEST(time_wait_fin_retransmissions_still_acked)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_time_wait(&f);
    for (int i = 0; i < 3; i++) {
        f.now += 1000;
        send_ctl(&f, FIN | ACK, f.rcv_nxt - 1, f.snd_nxt);
        EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
        EXPECT_NOTHING(&f);
    }
    EXPECT_STATE(&f, SYNACK_TIME_WAIT);
    tcpf_free(&f);
}

/* ---- item 14: an evicted TIME-WAIT entry leaves the demux ----------------------------- */

/* With max_time_wait entries in TIME-WAIT, a new one evicts the oldest (Linux:
 * tcp_max_tw_buckets). When the user still holds the evicted socket it must not stay in
 * the 4-tuple hash as CLOSED, answering its 4-tuple with resets until the user closes it:
 * a new SYN from the same peer port must reach the listener. The eviction ends the entry
 * through tcp_done (tcp_conn.c). */
TEST(time_wait_evicted_entry_leaves_demux)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.max_time_wait = 1;
    conn_in_time_wait(&f); /* A: peer port 40000; the user holds the socket (shutdown) */
    int a_sd = f.sd;
    uint32_t a_rcv_nxt = f.rcv_nxt;
    /* B, from peer port 40001, to TIME-WAIT too: A is evicted. */
    f.pport = TCPF_PEER_PORT + 1;
    f.irs = 3000000;
    f.now += TCPF_STEP;
    send_syn(&f, SYN, f.irs, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYN | ACK);
    f.iss = f.seg.tcp.seq;
    f.snd_nxt = f.iss + 1;
    f.rcv_nxt = f.irs + 1;
    send_ctl(&f, ACK, f.rcv_nxt, f.snd_nxt);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0 && f.sd != a_sd);
    ASSERT_EQ(synack_shutdown(f.st, f.sd, f.now, SYNACK_SHUT_WR), 0);
    EXPECT_SEG(&f, FIN | ACK, f.snd_nxt, f.rcv_nxt, 0);
    f.snd_nxt++;
    send_ctl(&f, FIN | ACK, f.rcv_nxt, f.snd_nxt);
    f.rcv_nxt++;
    EXPECT_SEG(&f, ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_STATE(&f, SYNACK_TIME_WAIT);
    EXPECT_STATE_SD(&f, a_sd, SYNACK_CLOSED); /* evicted, still held by the user */
    /* A new SYN from A's peer port, at a sequence number A's TIME-WAIT would not have
     * taken (below its RCV.NXT): no entry answers it, the listener does. */
    f.pport = TCPF_PEER_PORT;
    f.now += TCPF_STEP;
    send_syn(&f, SYN, a_rcv_nxt - 5000, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYN | ACK);
    ASSERT_EQ(f.seg.tcp.ack, a_rcv_nxt - 5000 + 1);
    EXPECT_NOTHING(&f);
    int c_sd = tcpf_find_conn(&f);
    ASSERT(c_sd >= 0 && c_sd != a_sd);
    EXPECT_STATE_SD(&f, c_sd, SYNACK_SYN_RECEIVED);
    ASSERT_EQ(synack_close(f.st, a_sd, f.now), 0);
    tcpf_free(&f);
}

/* On a tiny MTU (68 is legal, RFC 791) the ACK with timestamps and SACK blocks for three
 * holes would not fit the output slot: it goes with fewer blocks, and a send that cannot
 * succeed is never retried at every call (synack_next_deadline() stuck at 0). */
TEST(tiny_mtu_ack_with_sack_blocks_fits_and_never_spins)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.mtu = 76;
    f.peer_ts = true;
    f.peer_tsval = 500;
    conn_in_listen(&f);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1460;
    o.sack_permitted = true;
    o.has_ts = true;
    o.ts_val = f.peer_tsval;
    send_seg(&f, f.now, SYN, f.irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    f.snd_nxt = f.iss + 1;
    f.rcv_nxt = f.irs + 1;
    memset(&o, 0, sizeof o);
    o.has_ts = true;
    o.ts_val = ++f.peer_tsval;
    o.ts_ecr = f.seg.tcp.opts.ts_val;
    send_seg(&f, f.now, ACK, f.rcv_nxt, f.snd_nxt, TCPF_PEER_WIN, NULL, 0, &o);
    f.sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(f.sd >= 0);
    ASSERT(tcpf_info(&f).sack_ok && tcpf_info(&f).ts_ok);
    /* Three holes: bytes 10-19, 30-39, 50-59 arrive, 0-9, 20-29, 40-49 do not. */
    uint8_t d[10] = "abcdefghij";
    int acks = 0;
    for (uint32_t off = 10; off <= 50; off += 20) {
        o.ts_val = ++f.peer_tsval;
        send_seg(&f, f.now, ACK, f.rcv_nxt + off, f.snd_nxt, TCPF_PEER_WIN, d, sizeof d, &o);
        while (recv_seg(&f, f.now, NULL)) {
            ASSERT_EQ(f.seg.tcp.ack, f.rcv_nxt);
            acks++;
        }
    }
    ASSERT_EQ(acks, 3); /* every out-of-order segment drew its duplicate ACK */
    ASSERT(synack_next_deadline(f.st) != 0);
    tcpf_free(&f);
}

/* NewReno's window inflation (RFC 6582 §3.2 step 3: one SMSS per duplicate ACK) is bounded
 * by what could be in flight: a peer that repeats duplicate ACKs for ever cannot grow the
 * window without end, nor wrap it. */
TEST(duplicate_ack_flood_cannot_inflate_cwnd_without_bound)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    static uint8_t data[8 * 1460];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, data, sizeof data), (long)sizeof data);
    uint32_t una = f.snd_nxt;
    int segs = 0;
    while (recv_seg(&f, f.now, NULL)) segs++;
    ASSERT(segs >= 4);
    for (int i = 0; i < 20000; i++) send_ctl(&f, ACK, f.rcv_nxt, una);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT(in.cwnd <= in.ssthresh + sizeof data + 1460);
    tcpf_free(&f);
}

/* RFC 7323 §3.2: once timestamps are agreed, TSopt "MAY be sent in an <RST> segment";
 * Linux sends it (its TSval the sender's clock now, its TSecr TS.Recent), so that the
 * peer's PAWS check can place the reset (ts_recent/reset_tsval.pkt). */
TEST(an_abort_reset_carries_the_timestamp_option)
{
    struct tcpf f;
    tcpf_config(&f);
    f.peer_ts = true;
    f.peer_tsval = 5000;
    conn_in_established(&f);
    ASSERT(tcpf_info(&f).ts_ok);
    f.now += SEC;
    ASSERT_EQ(synack_abort(f.st, f.sd, f.now), 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_RST | SYNACK_TCP_ACK);
    ASSERT(f.seg.tcp.opts.has_ts);
    ASSERT_EQ(f.seg.tcp.opts.ts_ecr, 5000u);
    tcpf_free(&f);
}

/* Linux's pingpong mode: data sent within a delayed-ACK time of receiving is a reply, so
 * the peer's next data is not quick-ACKed but waits for our next reply or the delayed-ACK
 * timer (RFC 9293 §3.8.6.3 allows either); the timer firing ends the mode. */
TEST(a_prompt_reply_turns_quick_ack_off_until_the_delayed_ack_timer_fires)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.no_quickack = false;
    conn_in_established(&f);
    static uint8_t buf[100];
    f.now += 100 * 1000;
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 100);
    f.rcv_nxt += 100;
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0); /* quick-ACK: the first data */
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), 100);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, 100), 100);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 100);
    f.snd_nxt += 100;
    f.now += 10 * 1000;
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 100);
    f.rcv_nxt += 100;
    EXPECT_NOTHING(&f); /* no quick-ACK: a reply may carry it */
    ASSERT(recv_seg(&f, f.now + f.cfg.delack_us, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.rcv_nxt);
    /* The timer fired: quick-ACK again for the next data. */
    f.now += 200 * 1000;
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 100);
    f.rcv_nxt += 100;
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    tcpf_free(&f);
}

/* shutdown(SHUT_RD) leaves the socket open: data that arrives afterwards is acknowledged
 * and queued, and a read returns it (0 while none is queued), as Linux does
 * (shutdown/shutdown-rd-wr-close.pkt); only a socket nobody can read any more resets. */
TEST(data_after_shut_rd_is_acknowledged_and_readable)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    static uint8_t buf[200];
    ASSERT_EQ(synack_shutdown(f.st, f.sd, f.now, SYNACK_SHUT_RD), 0);
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), 0);
    f.now += 10 * 1000;
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 100);
    f.rcv_nxt += 100;
    ASSERT(recv_seg(&f, f.now + f.cfg.delack_us, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_ACK);
    ASSERT_EQ(f.seg.tcp.ack, f.rcv_nxt);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), 100);
    tcpf_free(&f);
}

/* Before any data was received there is nothing to reply to: data sent just after an
 * active open leaves quick-ACK on (Linux's delayed-ACK clock has not started; nagle/
 * https_client.pkt), so the peer's answer is acknowledged at once. */
TEST(data_sent_right_after_an_active_open_is_no_reply)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.no_quickack = false;
    conn_in_established_active(&f);
    static uint8_t buf[100];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, 100), 100);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 100);
    f.snd_nxt += 100;
    f.now += 10 * 1000;
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 100);
    f.rcv_nxt += 100;
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    tcpf_free(&f);
}

TEST_MAIN()
