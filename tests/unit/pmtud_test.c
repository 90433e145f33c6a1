/*
 * pmtud_test.c - Path MTU discovery (RFC 1191) with RFC 5927's checks, black-hole detection
 * (RFC 4821, as Linux's tcp_mtu_probing=1) and ICMP soft errors (RFC 1122 §4.2.3.9), one
 * stack against the scripted peer of tcp_fixture.h.
 *
 * A router (10.0.0.254) answers one of our segments with "fragmentation needed" (type 3,
 * code 4) quoting its IP header and first 8 TCP bytes, as RFC 792 asks.
 */
#include "tcp_fixture.h"

#define ROUTER 0x0a0000feu
#define QUOTE  28 /* IP header + 8 bytes of TCP: ports and sequence number */

/* An ICMP destination-unreachable of the given code from ROUTER, quoting the datagram q
 * (at least QUOTE bytes), whose quoted sequence number is moved by seq_delta. */
static int icmp_unreach(struct tcpf *f, const uint8_t *q, uint8_t code, uint16_t mtu,
                        uint32_t seq_delta)
{
    uint8_t quote[QUOTE], icmp[128], pkt[256];
    memcpy(quote, q, QUOTE);
    wire_put32(quote + WIRE_IPV4_HDR_LEN + 4,
               wire_get32(quote + WIRE_IPV4_HDR_LEN + 4) + seq_delta);
    size_t m =
        wire_icmp_emit_error(icmp, sizeof icmp, SYNACK_ICMP_UNREACH, code, mtu, quote, QUOTE);
    ASSERT(m > 0);
    struct synack_ipv4_hdr ip = {
        .ttl = 64, .proto = SYNACK_IPPROTO_ICMP, .src = ROUTER, .dst = TCPF_LOCAL};
    memcpy(pkt + WIRE_IPV4_HDR_LEN, icmp, m);
    size_t n = wire_ipv4_emit(pkt, sizeof pkt, &ip, m) + m;
    return synack_input(f->st, f->now, pkt, n);
}

static int frag_needed(struct tcpf *f, const uint8_t *q, uint16_t mtu)
{
    return icmp_unreach(f, q, 4, mtu, 0);
}

static struct synack_stats stats(const struct tcpf *f)
{
    struct synack_stats s;
    synack_get_stats(f->st, &s);
    return s;
}

/* ESTABLISHED (passive), then the user writes n bytes and the stack sends them in
 * segments of mss; the first datagram is kept in first[]. */
static void established_with_flight(struct tcpf *f, uint32_t n, uint32_t mss, uint8_t *first)
{
    conn_in_established(f);
    ASSERT_EQ(tcpf_info(f).snd_mss, mss);
    static uint8_t data[65536];
    for (uint32_t i = 0; i < n; i++) data[i] = (uint8_t)i;
    f->now += TCPF_STEP;
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, data, n), (long)n);
    for (uint32_t off = 0; off < n; off += mss) {
        uint32_t len = n - off < mss ? n - off : mss;
        uint16_t fl = SYNACK_TCP_ACK | (off + len == n ? SYNACK_TCP_PSH : 0);
        EXPECT_SEG(f, fl, f->snd_nxt + off, f->rcv_nxt, len);
        if (off == 0) memcpy(first, f->rx, QUOTE);
    }
    EXPECT_NOTHING(f);
}

/* The stack resends [snd_nxt, snd_nxt + n) now, in segments of mss. */
static void expect_resent(struct tcpf *f, uint32_t n, uint32_t mss)
{
    for (uint32_t off = 0; off < n; off += mss) {
        uint32_t len = n - off < mss ? n - off : mss;
        uint16_t fl = SYNACK_TCP_ACK | (off + len == n ? SYNACK_TCP_PSH : 0);
        EXPECT_SEG(f, fl, f->snd_nxt + off, f->rcv_nxt, len);
    }
    EXPECT_NOTHING(f);
}

TEST(frag_needed_quoting_data_in_flight_lowers_the_mss_and_resends_at_once)
{
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 4 * 1460, 1460, first);
    struct synack_sockinfo before = tcpf_info(&f);
    f.now += TCPF_STEP;
    ASSERT_EQ(frag_needed(&f, first, 1280), 0);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.snd_mss, 1240);
    ASSERT_EQ(in.pmtu, 1280);
    /* Not congestion (RFC 1191 §6.5, Linux tcp_simple_retransmit): the window stays. */
    ASSERT_EQ(in.cwnd, before.cwnd);
    ASSERT_EQ(in.ssthresh, before.ssthresh);
    ASSERT_EQ(in.soft_error, 0);
    /* The quoted segment (and all sent at the old size) are gone: resent at once. */
    expect_resent(&f, 4 * 1460, 1240);
    ASSERT_EQ(stats(&f).pmtu_lowered, 1);
    /* A second error for the same flight reports no smaller MTU: ignored. */
    ASSERT_EQ(frag_needed(&f, first, 1280), 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(stats(&f).pmtu_ignored, 1);
    /* Everything acknowledged: the connection goes on at the new size. */
    f.now += TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 4 * 1460);
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

TEST(frag_needed_keeps_room_for_the_timestamp_option)
{
    struct tcpf f;
    tcpf_config(&f);
    f.peer_ts = true;
    f.peer_tsval = 77;
    uint8_t first[QUOTE];
    established_with_flight(&f, 2 * 1448, 1448, first);
    ASSERT_EQ(frag_needed(&f, first, 1280), 0);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1280 - 40 - 12);
    expect_resent(&f, 2 * 1448, 1228);
    tcpf_free(&f);
}

TEST(frag_needed_quoting_a_sequence_number_not_in_flight_is_ignored)
{
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 2 * 1460, 1460, first);
    /* RFC 5927 §4.1: beyond SND.MAX, or already acknowledged. */
    ASSERT_EQ(icmp_unreach(&f, first, 4, 1280, 100000), 0);
    ASSERT_EQ(icmp_unreach(&f, first, 4, 1280, (uint32_t)-5000), 0);
    /* SND.MAX itself was never sent as data (a pure ACK carries it): not in flight. */
    ASSERT_EQ(icmp_unreach(&f, first, 4, 1280, 2 * 1460), 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1460);
    ASSERT_EQ(tcpf_info(&f).pmtu, 1500);
    ASSERT_EQ(stats(&f).pmtu_lowered, 0);
    tcpf_free(&f);
}

TEST(frag_needed_with_an_mtu_not_below_the_current_one_is_ignored)
{
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 2 * 1460, 1460, first);
    ASSERT_EQ(frag_needed(&f, first, 1500), 0);
    ASSERT_EQ(frag_needed(&f, first, 9000), 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1460);
    ASSERT_EQ(stats(&f).pmtu_ignored, 2);
    /* Lowered once, a larger report never raises it again. */
    ASSERT_EQ(frag_needed(&f, first, 1280), 0);
    expect_resent(&f, 2 * 1460, 1240);
    ASSERT_EQ(frag_needed(&f, first, 1400), 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1240);
    tcpf_free(&f);
}

TEST(frag_needed_with_a_tiny_mtu_is_clamped_to_the_floor)
{
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 2 * 1460, 1460, first);
    /* Linux's min_pmtu: 552 bytes, an MSS of 512. */
    ASSERT_EQ(frag_needed(&f, first, 68), 0);
    ASSERT_EQ(tcpf_info(&f).pmtu, 552);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 512);
    expect_resent(&f, 2 * 1460, 512);
    /* At the floor, nothing lower is believed. */
    ASSERT_EQ(frag_needed(&f, first, 300), 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 512);
    tcpf_free(&f);
}

TEST(frag_needed_without_an_mtu_takes_the_next_plateau)
{
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 2 * 1460, 1460, first);
    /* RFC 1191 §5 and §7: an old router says 0; the quoted datagram was 1500 bytes, the
     * next plateau below is 1492. */
    ASSERT_EQ(frag_needed(&f, first, 0), 0);
    ASSERT_EQ(tcpf_info(&f).pmtu, 1492);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1452);
    expect_resent(&f, 2 * 1460, 1452);
    tcpf_free(&f);
}

TEST(frag_needed_in_syn_sent_does_not_fail_connect)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_syn_sent(&f);
    uint8_t syn[QUOTE];
    memcpy(syn, f.rx, QUOTE);
    f.now += TCPF_STEP;
    ASSERT_EQ(frag_needed(&f, syn, 1280), 0);
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_SYN_SENT);
    ASSERT_EQ(synack_socket_error(f.st, f.sd), 0);
    /* The handshake completes, and the MSS fits the path the router reported. */
    send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.snd_nxt);
    f.rcv_nxt = f.irs + 1;
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1240);
    tcpf_free(&f);
}

/* A SYN with data (TCP Fast Open) too big for the path: the router's report sends the SYN
 * again at once, without its data (as every SYN sent again), offering an MSS that fits the
 * path as Linux's advmss from the route; the data follows the handshake in segments that
 * fit (Linux's tcp_simple_retransmit of a SYN with data). */
TEST(frag_needed_for_a_syn_with_data_sends_the_syn_again_at_once)
{
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    f.pport = TCPF_SRV_PORT;
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_CLIENT | SYNACK_TFO_CLIENT_NO_COOKIE), 0);
    f.sd = synack_socket(f.st);
    static uint8_t data[1000];
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data,
                                  sizeof data),
              1000);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.payload_len, 1000);
    f.iss = f.seg.tcp.seq;
    uint8_t syn[QUOTE];
    memcpy(syn, f.rx, QUOTE);
    f.now += TCPF_STEP;
    ASSERT_EQ(frag_needed(&f, syn, 800), 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(f.seg.tcp.seq, f.iss);
    ASSERT_EQ(f.seg.payload_len, 0);
    ASSERT(f.seg.tcp.opts.has_mss);
    ASSERT_EQ(f.seg.tcp.opts.mss, 760);
    EXPECT_NOTHING(&f);
    f.now += TCPF_STEP;
    f.peer_mss = 1040;
    send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 1);
    f.rcv_nxt = f.irs + 1;
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.iss + 1, f.rcv_nxt, 760);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 761, f.rcv_nxt, 240);
    tcpf_free(&f);
}

/* The same when the data alone would fit the path's MSS but the SYN does not: a SYN carries
 * its options (MSS, SACK-permitted, timestamps, window scale: 20 bytes here) on top of its
 * data, so a 1000-byte SYN is a datagram of 1060 bytes, which a 1050-byte path drops. It is
 * sent again at once without its data, as a larger one is (Linux compares the data with
 * tcp_current_mss, which takes the options off), not after a whole RTO. */
TEST(frag_needed_for_a_syn_whose_options_no_longer_fit_sends_it_again_at_once)
{
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    f.pport = TCPF_SRV_PORT;
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_CLIENT | SYNACK_TFO_CLIENT_NO_COOKIE), 0);
    f.sd = synack_socket(f.st);
    static uint8_t data[1000];
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data,
                                  sizeof data),
              1000);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.payload_len, 1000);
    ASSERT(f.seg.ip.total_len > 1050); /* the SYN does not fit a path of 1050 bytes */
    f.iss = f.seg.tcp.seq;
    uint8_t syn[QUOTE];
    memcpy(syn, f.rx, QUOTE);
    f.now += TCPF_STEP;
    ASSERT_EQ(frag_needed(&f, syn, 1050), 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(f.seg.tcp.seq, f.iss);
    ASSERT_EQ(f.seg.payload_len, 0);
    ASSERT(f.seg.ip.total_len <= 1050);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

/* Once the SYN went again without its data, a further report quoting the SYN changes the
 * MSS offered but sends nothing: the SYN in flight carries no data and fits any path (a
 * router cannot have dropped it for its size), so only a forged report could ask, and each
 * one would make us send a SYN. */
TEST(frag_needed_again_after_the_syn_went_without_data_sends_nothing)
{
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    f.pport = TCPF_SRV_PORT;
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_CLIENT | SYNACK_TFO_CLIENT_NO_COOKIE), 0);
    f.sd = synack_socket(f.st);
    static uint8_t data[1000];
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data,
                                  sizeof data),
              1000);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.payload_len, 1000);
    uint8_t syn[QUOTE];
    memcpy(syn, f.rx, QUOTE);
    f.now += TCPF_STEP;
    ASSERT_EQ(frag_needed(&f, syn, 800), 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(f.seg.payload_len, 0);
    for (uint16_t mtu = 790; mtu >= 700; mtu -= 10) {
        f.now += TCPF_STEP;
        ASSERT_EQ(frag_needed(&f, syn, mtu), 0);
        EXPECT_NOTHING(&f);
    }
    tcpf_free(&f);
}

/* The peer receives what the path lets through (datagrams of at most path_mtu bytes; the
 * rest vanish, no ICMP: a black hole) and acknowledges in order. Runs until everything
 * the user wrote is acknowledged or the time runs out; returns the bytes delivered and the
 * largest payload delivered after the first one that got through. */
static uint32_t run_black_hole(struct tcpf *f, uint32_t path_mtu, uint32_t total, uint64_t until,
                               uint32_t *max_after)
{
    uint32_t delivered = 0;
    *max_after = 0;
    while (f->now < until && delivered < total) {
        bool got = recv_seg(f, f->now, NULL);
        if (!got) {
            uint64_t d = synack_next_deadline(f->st);
            if (d == UINT64_MAX || d > until) break;
            f->now = d > f->now ? d : f->now;
            continue;
        }
        uint32_t len = f->seg.payload_len;
        if (f->seg.ip.total_len > path_mtu) continue; /* lost in the hole */
        if (f->seg.tcp.seq == f->snd_nxt + delivered && len > 0) {
            delivered += len;
            if (len > *max_after) *max_after = len;
        }
        send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt + delivered);
    }
    return delivered;
}

TEST(black_hole_repeated_timeouts_of_full_size_segments_lower_the_mss)
{
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    uint32_t total = 40000;
    established_with_flight(&f, 10 * 1460, 1460, first);
    /* The rest of what the user writes waits for the window. */
    static uint8_t more[40000 - 10 * 1460];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, more, sizeof more), (long)sizeof more);
    uint32_t max_after = 0;
    /* The path carries 1100-byte datagrams and says nothing about larger ones. */
    uint32_t got = run_black_hole(&f, 1100, total, f.now + 30000000, &max_after);
    ASSERT_EQ(got, total);
    struct synack_sockinfo in = tcpf_info(&f);
    /* Linux's tcp_base_mss: 1024 bytes of payload. */
    ASSERT_EQ(in.snd_mss, 1024);
    ASSERT_EQ(max_after, 1024);
    ASSERT_EQ(stats(&f).pmtu_blackholes, 1);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

TEST(black_hole_detection_halves_again_down_to_the_floor)
{
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 4 * 1460, 1460, first);
    uint32_t max_after = 0;
    /* A path of 600 bytes: 1460, then 1024, then 512. */
    uint32_t got = run_black_hole(&f, 600, 4 * 1460, f.now + 60000000, &max_after);
    ASSERT_EQ(got, 4 * 1460);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 512);
    ASSERT_EQ(stats(&f).pmtu_blackholes, 2);
    tcpf_free(&f);
}

TEST(black_hole_catches_a_lone_segment_shorter_than_the_mss_but_longer_than_the_path)
{
    /* A response of 1300 bytes, one segment below the 1460-byte MSS: over a 1100-byte path
     * it is lost at every retransmission, so it must fall back as a full-size one would
     * (found by interop_pmtud6: a 1336-byte /stats reply through a filtered 1280 hop). */
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 1300, 1460, first);
    uint32_t max_after = 0;
    uint32_t got = run_black_hole(&f, 1100, 1300, f.now + 30000000, &max_after);
    ASSERT_EQ(got, 1300);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1024);
    ASSERT_EQ(stats(&f).pmtu_blackholes, 1);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

TEST(black_hole_leaves_the_mss_alone_when_the_lost_segment_is_small)
{
    /* 500 bytes lost again and again: no smaller MSS would change that segment, so the
     * MSS stays (the loss is something other than the path's size). */
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 500, 1460, first);
    uint32_t max_after = 0;
    uint32_t got = run_black_hole(&f, 400, 500, f.now + 10000000, &max_after);
    ASSERT_EQ(got, 0);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1460);
    ASSERT_EQ(stats(&f).pmtu_blackholes, 0);
    tcpf_free(&f);
}

TEST(icmp_errors_once_synchronized_are_soft_errors_reported_not_fatal)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.data_retries = 3;
    uint8_t first[QUOTE];
    established_with_flight(&f, 1000, 1460, first);
    f.now += TCPF_STEP;
    /* Host unreachable, quoting our data: RFC 1122 §4.2.3.9, not a reason to abort. */
    ASSERT_EQ(icmp_unreach(&f, first, 1, 0, 0), 0);
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    ASSERT_EQ(synack_socket_error(f.st, f.sd), 0);
    ASSERT_EQ(tcpf_info(&f).soft_error, SYNACK_EHOSTUNREACH);
    ASSERT_EQ(stats(&f).icmp_soft_errors, 1);
    /* The data it concerned is acknowledged: the error is history. */
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt + 1000);
    f.snd_nxt += 1000;
    ASSERT_EQ(tcpf_info(&f).soft_error, 0);
    /* Again, and this time the connection times out: the soft error is the reason. */
    uint8_t data[100] = {0};
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, data, sizeof data), 100);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt, f.rcv_nxt, 100);
    memcpy(first, f.rx, QUOTE);
    ASSERT_EQ(icmp_unreach(&f, first, 0, 0, 0), 0);
    ASSERT_EQ(tcpf_info(&f).soft_error, SYNACK_ENETUNREACH);
    for (int i = 0; i < 100 && tcpf_state_of(&f, f.sd) != SYNACK_CLOSED; i++) {
        uint64_t d = synack_next_deadline(f.st);
        ASSERT(d != UINT64_MAX);
        while (recv_seg(&f, d, NULL)) {
        }
    }
    EXPECT_STATE(&f, SYNACK_CLOSED);
    ASSERT_EQ(synack_socket_error(f.st, f.sd), SYNACK_ENETUNREACH);
    tcpf_free(&f);
}

TEST(a_connection_timing_out_without_a_soft_error_reports_timed_out)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.data_retries = 2;
    uint8_t first[QUOTE];
    established_with_flight(&f, 100, 1460, first);
    for (int i = 0; i < 100 && tcpf_state_of(&f, f.sd) != SYNACK_CLOSED; i++) {
        uint64_t d = synack_next_deadline(f.st);
        ASSERT(d != UINT64_MAX);
        while (recv_seg(&f, d, NULL)) {
        }
    }
    EXPECT_STATE(&f, SYNACK_CLOSED);
    ASSERT_EQ(synack_socket_error(f.st, f.sd), SYNACK_ETIMEDOUT);
    tcpf_free(&f);
}

/* SYNACK_OPT_MTU_DISCOVER, Linux's IP_MTU_DISCOVER for TCP (ip_dont_fragment,
 * ip_sk_accept_pmtu, tcp_v4_mtu_reduced): WANT (the default) and DO send with DF and take
 * fragmentation-needed; DONT sends without DF, so routers fragment, and ignores the errors;
 * PROBE, INTERFACE and OMIT send without DF too, and INTERFACE and OMIT ignore the errors
 * (the device's MTU is the connection's). A datagram without DF is not atomic (RFC 6864
 * §4.1): its ID is unique among the connection's. */
TEST(mtu_discover_dont_sends_without_df_and_ignores_frag_needed)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_listen(&f);
    long v = -1;
    ASSERT_EQ(synack_getopt(f.st, f.lsd, SYNACK_OPT_MTU_DISCOVER, &v), 0);
    ASSERT_EQ(v, SYNACK_PMTUDISC_WANT);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_MTU_DISCOVER, 6), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.lsd, SYNACK_OPT_MTU_DISCOVER, SYNACK_PMTUDISC_DONT), 0);
    ASSERT_EQ(synack_getopt(f.st, f.lsd, SYNACK_OPT_MTU_DISCOVER, &v), 0);
    ASSERT_EQ(v, SYNACK_PMTUDISC_DONT);
    /* A listener's is its children's. */
    send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    f.now += TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.irs + 1, f.iss + 1);
    int sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(sd >= 0);
    ASSERT_EQ(synack_getopt(f.st, sd, SYNACK_OPT_MTU_DISCOVER, &v), 0);
    ASSERT_EQ(v, SYNACK_PMTUDISC_DONT);
    tcpf_free(&f);

    /* Set on a live connection: its datagrams go without DF, their IDs distinct. */
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 4 * 1460, 1460, first);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_MTU_DISCOVER, SYNACK_PMTUDISC_DONT), 0);
    static uint8_t data[3000];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, data, 2 * 1460), 2 * 1460);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt + 4 * 1460, f.rcv_nxt, 1460);
    uint16_t id0 = f.seg.ip.id;
    ASSERT_EQ(f.seg.ip.frag & 0x4000, 0);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.snd_nxt + 5 * 1460, f.rcv_nxt, 1460);
    ASSERT_EQ(f.seg.ip.frag & 0x4000, 0);
    ASSERT(f.seg.ip.id != id0);
    /* A fragmentation-needed error changes nothing: the router may fragment. */
    f.now += TCPF_STEP;
    ASSERT_EQ(frag_needed(&f, first, 1280), 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1460);
    ASSERT_EQ(stats(&f).pmtu_lowered, 0);
    ASSERT_EQ(stats(&f).pmtu_ignored, 1);
    /* Back to DO: DF again, and the next error is taken. */
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_MTU_DISCOVER, SYNACK_PMTUDISC_DO), 0);
    ASSERT_EQ(frag_needed(&f, first, 1280), 0);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1240);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.ip.frag & 0x4000, 0x4000);
    ASSERT_EQ(f.seg.ip.id, 0);
    tcpf_free(&f);
}

/* INTERFACE: without DF, and the errors ignored (Linux's ip_sk_accept_pmtu). */
TEST(mtu_discover_interface_ignores_frag_needed)
{
    struct tcpf f;
    tcpf_config(&f);
    uint8_t first[QUOTE];
    established_with_flight(&f, 4 * 1460, 1460, first);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_MTU_DISCOVER, SYNACK_PMTUDISC_INTERFACE), 0);
    f.now += TCPF_STEP;
    ASSERT_EQ(frag_needed(&f, first, 1280), 0);
    EXPECT_NOTHING(&f);
    ASSERT_EQ(tcpf_info(&f).snd_mss, 1460);
    ASSERT_EQ(stats(&f).pmtu_lowered, 0);
    tcpf_free(&f);
}

TEST_MAIN()
