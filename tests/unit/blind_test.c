/*
 * blind_test.c - an off-path attacker learns nothing (the CVE-2016-5696 class).
 *
 * The attacker has a connection of its own to the stack, and can spoof segments that
 * claim to come from a victim's 4-tuple. It may count what the stack sends it: challenge
 * ACKs on its own connection, the IP IDs of what it receives, ping replies. None of those
 * may change with whether a spoofed guess fell in the victim's window.
 */
#include "tcp_fixture.h"
#include "transfer.h"

/* The IPv4 header of the last datagram the fixture received (f->rx). */
static uint16_t rx_ip_id(const struct tcpf *f)
{
    return (uint16_t)(f->rx[4] << 8 | f->rx[5]);
}
static bool rx_df(const struct tcpf *f)
{
    return (f->rx[6] & 0x40) != 0;
}

TEST(ip_ids_leak_nothing_across_connections)
{
    /* RFC 6864 §4.1: the ID field of an atomic datagram (DF set, not a fragment) has no
     * meaning; a shared counter would tell an observer how much the stack sent to others
     * (RFC 7739 §3). Every datagram synack sends is atomic and carries ID 0. */
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(synack_send(f.st, f.sd, f.now, "abc", 3), 3);
        struct synack_segment s;
        ASSERT(recv_seg(&f, f.now, &s));
        ASSERT(rx_df(&f));
        ASSERT_EQ(rx_ip_id(&f), 0);
        f.now += 1000;
        send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, s.tcp.seq + 3);
    }
    tcpf_free(&f);
}

TEST(ping_replies_are_atomic_with_id_zero)
{
    struct tcpf f;
    tcpf_config(&f);
    tcpf_start(&f);
    uint8_t icmp[64], pkt[128];
    size_t n = wire_icmp_emit_echo(icmp, sizeof icmp, SYNACK_ICMP_ECHO_REQUEST, 7, 1,
                                   (const uint8_t *)"ping", 4);
    struct synack_ipv4_hdr ip = {
        .ttl = 64, .proto = SYNACK_IPPROTO_ICMP, .src = TCPF_PEER, .dst = TCPF_LOCAL, .id = 99};
    memcpy(pkt + WIRE_IPV4_HDR_LEN, icmp, n);
    size_t m = wire_ipv4_emit(pkt, sizeof pkt, &ip, n) + n; /* the header before the payload */
    ASSERT_EQ(synack_input(f.st, f.now, pkt, m), 0);
    int r = synack_output(f.st, f.now, f.rx, sizeof f.rx);
    ASSERT(r > 20);
    ASSERT(rx_df(&f));
    ASSERT_EQ(rx_ip_id(&f), 0);
    tcpf_free(&f);
}

/* ---- challenge ACKs as a side channel ------------------------------------------------ */

struct conn {
    uint16_t pport;
    uint32_t iss, rcv_nxt; /* our ISS and RCV.NXT for this connection */
};

/* A second (or third) connection from the peer, from port pport, accepted. */
static struct conn open_conn(struct tcpf *f, uint16_t pport, uint32_t irs)
{
    struct conn c = {.pport = pport, .rcv_nxt = irs + 1};
    f->pport = pport;
    send_syn(f, SYNACK_TCP_SYN, irs, 0);
    ASSERT(recv_seg(f, f->now, NULL));
    c.iss = f->seg.tcp.seq;
    f->now += 1000;
    send_ctl(f, SYNACK_TCP_ACK, irs + 1, c.iss + 1);
    ASSERT(synack_accept(f->st, f->lsd, NULL) >= 0);
    while (recv_seg(f, f->now, NULL)) {
    }
    return c;
}

static void spoof_rst(struct tcpf *f, const struct conn *c, uint32_t seq)
{
    f->pport = c->pport;
    send_seg(f, f->now, SYNACK_TCP_RST, seq, 0, TCPF_PEER_WIN, NULL, 0, NULL);
}

TEST(challenge_acks_tell_an_off_path_attacker_nothing)
{
    /* CVE-2016-5696: with one stack-wide budget of challenge ACKs per second, an attacker
     * that spends the whole budget on connections of its own receives one ACK fewer when
     * its spoofed RST fell in the victim's window (the victim's challenge ACK used one).
     * Here the attacker holds 80 connections, more than the stack-wide budget (limit 40:
     * 20 to 59 a second), so that the per-connection limit (one per 500 ms) is not what
     * stops it: it probes one RST on each and counts the challenge ACKs. With a fixed
     * budget the count would be 40 after a miss and 39 after a hit, every time; drawn at
     * random each second (RFC 5961 §10, Linux since 4.7) it varies by far more than the one
     * ACK a hit costs, and hits and misses give the same range of counts. */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.challenge_ack_limit = 40;
    f.cfg.max_sockets = 256;
    conn_in_established(&f);
    struct conn victim = {.pport = TCPF_PEER_PORT, .iss = f.iss, .rcv_nxt = f.rcv_nxt};
    static struct conn mine[80];
    for (int i = 0; i < 80; i++) mine[i] = open_conn(&f, (uint16_t)(41000 + i), 5000000);
    enum { ROUNDS = 30 };
    int hit[ROUNDS], miss[ROUNDS];
    for (int r = 0; r < 2 * ROUNDS; r++) {
        f.now += 1100000; /* a fresh second, and past every per-connection interval */
        bool in_window = r % 2 == 0;
        spoof_rst(&f, &victim, victim.rcv_nxt + (in_window ? 100 : 0x40000000u));
        for (int i = 0; i < 80; i++) spoof_rst(&f, &mine[i], mine[i].rcv_nxt + 1);
        int acks = 0;
        while (recv_seg(&f, f.now, NULL))
            if (f.seg.tcp.dport != TCPF_PEER_PORT) acks++;
        ASSERT(acks >= 19 && acks <= 59);
        (in_window ? hit : miss)[r / 2] = acks;
    }
    int hit_lo = 99, hit_hi = 0, miss_lo = 99, miss_hi = 0;
    for (int r = 0; r < ROUNDS; r++) {
        if (hit[r] < hit_lo) hit_lo = hit[r];
        if (hit[r] > hit_hi) hit_hi = hit[r];
        if (miss[r] < miss_lo) miss_lo = miss[r];
        if (miss[r] > miss_hi) miss_hi = miss[r];
    }
    printf("    challenge ACKs seen after a hit: %d..%d, after a miss: %d..%d\n", hit_lo, hit_hi,
           miss_lo, miss_hi);
    /* The count varies by much more than one, and the two ranges overlap. */
    ASSERT(hit_hi - hit_lo >= 10 && miss_hi - miss_lo >= 10);
    ASSERT(hit_lo < miss_hi && miss_lo < hit_hi);
    f.pport = TCPF_PEER_PORT;
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

TEST(challenge_acks_are_limited_per_connection)
{
    /* One connection cannot drain the stack's budget: at most one challenge ACK per
     * oow_ack_interval_us, however many in-window RSTs it receives. */
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    struct conn c = {.pport = TCPF_PEER_PORT, .iss = f.iss, .rcv_nxt = f.rcv_nxt};
    for (int r = 0; r < 5; r++) {
        f.now += f.cfg.oow_ack_interval_us;
        for (int i = 0; i < 100; i++) spoof_rst(&f, &c, c.rcv_nxt + 1 + (uint32_t)i);
        int acks = 0;
        while (recv_seg(&f, f.now, NULL)) acks++;
        ASSERT_EQ(acks, 1);
    }
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

TEST(a_peer_with_many_connections_cannot_silence_the_challenge_acks_of_others)
{
    /* A stack-wide budget of challenge ACKs is a shared resource a hostile peer can spend:
     * with 1,600 connections of its own, an in-window RST on each every second draws one
     * challenge ACK each (the per-connection limit allows it), and with a budget of 1,000
     * a second (drawn between 500 and 1,500) nothing is left for the victim's peer, who
     * restarted and sends a SYN into the old connection: RFC 5961 §4's challenge ACK, which
     * its RST answers to clear the dead connection, never comes. Linux since 6.0 has no
     * stack-wide budget by default (tcp_challenge_ack_limit INT_MAX), the per-connection
     * limit alone bounding what a flood draws; so does synack's default. */
    enum { MINE = 1600 };
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.max_sockets = MINE + 8;
    f.cfg.max_backlog = MINE + 8;
    conn_in_established(&f);
    struct conn victim = {.pport = TCPF_PEER_PORT, .iss = f.iss, .rcv_nxt = f.rcv_nxt};
    static struct conn mine[MINE];
    for (int i = 0; i < MINE; i++) mine[i] = open_conn(&f, (uint16_t)(20000 + i), 7000000);
    int victim_acks = 0;
    for (int r = 0; r < 3; r++) {
        f.now += 1100000; /* a fresh second, past every per-connection interval */
        int acks = 0;
        for (int i = 0; i < MINE; i++) {
            spoof_rst(&f, &mine[i], mine[i].rcv_nxt + 1);
            while (recv_seg(&f, f.now, NULL)) acks++;
        }
        /* The victim's peer restarted: a SYN with a new ISN lands in the old window. */
        f.pport = victim.pport;
        send_syn(&f, SYNACK_TCP_SYN, victim.rcv_nxt + 1000, 0);
        int before = victim_acks;
        while (recv_seg(&f, f.now, NULL))
            if (f.seg.tcp.dport == victim.pport && f.seg.tcp.flags == SYNACK_TCP_ACK &&
                f.seg.tcp.ack == victim.rcv_nxt)
                victim_acks++;
        printf("     second %d: %d challenge ACKs to the attacker's connections, %d to the "
               "victim's\n",
               r, acks, victim_acks - before);
        ASSERT_EQ(victim_acks - before, 1);
        ASSERT_EQ(acks, MINE); /* each one's own limit allowed one */
    }
    tcpf_free(&f);
}

/* ---- blind injection into a live transfer ------------------------------------------- */

#define INJECTIONS 10000

static uint64_t inject_rng(struct simnet *n)
{
    n->user = n->user * 6364136223846793005ull + 1442695040888963407ull;
    return n->user >> 17;
}

/* Called for every segment a stack sends: an off-path attacker who knows the 4-tuple (not
 * the sequence numbers) forges segments as if from that sender, at random sequence and
 * acknowledgment numbers: resets, SYNs, SYN,ACKs, FINs and data. */
static bool inject(struct simnet *n, int from, const struct synack_segment *seg)
{
    /* The transfer is live once data flows (a SYN to a connection in SYN-SENT would be a
     * simultaneous open, RFC 9293 Figure 8: a different test). */
    if (seg->payload_len == 0) return false;
    for (int k = 0; k < 3 && n->user_n < INJECTIONS; k++) {
        static const uint16_t kinds[] = {SYNACK_TCP_RST,
                                         SYNACK_TCP_RST | SYNACK_TCP_ACK,
                                         SYNACK_TCP_SYN,
                                         SYNACK_TCP_SYN | SYNACK_TCP_ACK,
                                         SYNACK_TCP_FIN | SYNACK_TCP_ACK,
                                         SYNACK_TCP_ACK | SYNACK_TCP_PSH};
        struct synack_ipv4_hdr ip = {
            .ttl = 64, .proto = SYNACK_IPPROTO_TCP, .src = seg->ip.src, .dst = seg->ip.dst};
        struct synack_tcp_hdr h;
        memset(&h, 0, sizeof h);
        h.sport = seg->tcp.sport;
        h.dport = seg->tcp.dport;
        h.flags = kinds[inject_rng(n) % 6];
        h.seq = (uint32_t)inject_rng(n);
        h.ack = (uint32_t)inject_rng(n);
        h.window = (uint16_t)inject_rng(n);
        uint8_t data[64], pkt[256];
        size_t dl = (h.flags & SYNACK_TCP_PSH) ? 1 + inject_rng(n) % sizeof data : 0;
        for (size_t i = 0; i < dl; i++) data[i] = (uint8_t)inject_rng(n);
        size_t len = wire_segment_emit(pkt, sizeof pkt, &ip, &h, data, dl);
        if (len) synack_input(n->st[1 - from], n->now, pkt, len);
        n->user_n++;
    }
    return false; /* the real segment goes on */
}

TEST(ten_thousand_blind_injections_leave_a_transfer_byte_exact)
{
    struct simnet n;
    uint64_t seed = 11;
    simnet_init(&n, seed);
    n.user = seed;
    n.drop = inject;
    const uint64_t bytes[2] = {3u << 20, 3u << 20};
    struct transfer_result r = transfer_run(&n, seed, bytes, 600ull * 1000000);
    printf("    %d injections; %llu and %llu bytes received, byte-exact %s, closed %s\n", n.user_n,
           (unsigned long long)r.received[1], (unsigned long long)r.received[0],
           r.ok ? "yes" : "no", r.closed ? "yes" : "no");
    ASSERT_EQ(n.user_n, INJECTIONS);
    ASSERT(r.ok);
    ASSERT(r.closed);
    struct synack_stats st[2];
    synack_get_stats(n.st[0], &st[0]);
    synack_get_stats(n.st[1], &st[1]);
    ASSERT_EQ(st[0].conn_reset + st[1].conn_reset, 0);
    simnet_free(&n);
}

TEST_MAIN()
