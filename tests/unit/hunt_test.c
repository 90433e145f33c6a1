/*
 * hunt_test.c - what an outside tester attacking synack as a hostile peer and a hostile user
 * found (session 7's hunt), one test each: each failed before its fix. Deterministic: the
 * integer clock of the stacks, seeded links, the seed printed on failure.
 */
#include <stdio.h>

#include "test.h"
#include "transfer.h"

/* Two stacks on a link of the given MTU moving a few KB each way, every byte checked. */
static struct transfer_result small_mtu_transfer(uint16_t mtu, bool timestamps, uint64_t seed)
{
    test_seed(seed);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.mtu = mtu;
    lc.delay_us = 1000;
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, seed);
        c[i].mtu = mtu;
        c[i].no_timestamps = !timestamps;
        c[i].msl_us = 1000000;
    }
    struct simnet n;
    simnet_init_with(&n, c, &lc, seed);
    uint64_t bytes[2] = {5000, 3000};
    struct transfer_result r = transfer_run(&n, seed, bytes, 600ull * 1000000);
    if (!r.ok || !r.closed)
        fprintf(stderr,
                "    mtu %u, timestamps %d: received %llu/%llu and %llu/%llu, states %d %d\n", mtu,
                timestamps, (unsigned long long)r.received[1], (unsigned long long)bytes[0],
                (unsigned long long)r.received[0], (unsigned long long)bytes[1], r.state[0],
                r.state[1]);
    simnet_free(&n);
    return r;
}

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
            struct transfer_result r = small_mtu_transfer(mtus[i], ts, 7 + i);
            ASSERT(r.ok);
            ASSERT(r.closed);
        }
    }
}

/* ---- orphans held by a receiver that opens its window a byte at a time ---------------- */

#include "base/seq.h"
#include "tcp_fixture.h"

#define DRIP_MAX 4

/* The peer's handshake on port pport; returns the accepted descriptor and our ISS. */
static int drip_connect(struct tcpf *f, uint16_t pport, uint32_t *iss)
{
    f->pport = pport;
    send_syn(f, SYNACK_TCP_SYN, f->irs, 0);
    if (!recv_seg(f, f->now, NULL) || f->seg.tcp.flags != (SYNACK_TCP_SYN | SYNACK_TCP_ACK))
        return -1;
    *iss = f->seg.tcp.seq;
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_ACK, f->irs + 1, *iss + 1);
    while (recv_seg(f, f->now, NULL)) {
        if (f->seg.tcp.flags & SYNACK_TCP_RST) return -1;
    }
    return synack_accept(f->st, f->lsd, NULL);
}

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
        int sd = drip_connect(&f, (uint16_t)(TCPF_PEER_PORT + i), &iss[i]);
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
    bool in = drip_connect(&f, TCPF_PEER_PORT + 100, &iss_new) >= 0;
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

TEST_MAIN()
