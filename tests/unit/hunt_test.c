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

#define DRIP_CONNS 3

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

/* A server at its socket limit whose application closed its connections (the peer read
 * too slowly: serve's idle timeout, its eviction of the oldest when full) leaves them to
 * the stack as orphans that still hold their unsent data. A receiver that answers every
 * segment and opens its window one byte at a time makes each orphan send one byte per
 * persist timeout (RFC 9293 §3.8.6.2.1's override, about 200 ms): 64 KiB take hours, and
 * every ACK is progress, so no retry count runs out. The orphans held every slot: a new
 * client's handshake found no socket and was reset, for hours. Linux resets an orphan at
 * its probe timer when it is out of resources (tcp_out_of_resources: too many orphans, or
 * memory), which this peer's dozens of orphans would meet: an orphan stalled behind such
 * a window when no slot is free gives way, and a connection its application still holds
 * does not. */
TEST(orphans_dripped_a_byte_at_a_time_do_not_lock_out_new_clients)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.max_sockets = 1 + DRIP_CONNS; /* the listener and the orphans: the table is full */
    f.cfg.sndbuf = 65536;
    conn_in_listen(&f);
    uint32_t iss[DRIP_CONNS], hi[DRIP_CONNS];
    static uint8_t data[60000];
    for (int i = 0; i < DRIP_CONNS; i++) {
        int sd = drip_connect(&f, (uint16_t)(TCPF_PEER_PORT + i), &iss[i]);
        ASSERT(sd >= 0);
        ASSERT_EQ(synack_send(f.st, sd, f.now, data, sizeof data), (long)sizeof data);
        hi[i] = iss[i] + 1;
        while (recv_seg(&f, f.now, NULL)) {
            uint32_t e = f.seg.tcp.seq + f.seg.payload_len;
            if (seq_gt(e, hi[i])) hi[i] = e;
        }
        /* All that came is acknowledged, the window closed; then the application gives up
         * on the connection, but for the first, which it keeps. */
        send_seg(&f, f.now, SYNACK_TCP_ACK, f.irs + 1, hi[i], 0, NULL, 0, NULL);
        if (i > 0) ASSERT_EQ(synack_close(f.st, sd, f.now), 0);
    }
    /* Ten minutes of the drip: every segment is acknowledged 10 ms later with a window of
     * one byte. */
    uint64_t end = f.now + 600ull * 1000000;
    int resets[DRIP_CONNS] = {0};
    while (f.now < end) {
        uint64_t d = synack_next_deadline(f.st);
        if (d == UINT64_MAX || d > end) break;
        if (d > f.now) f.now = d;
        while (recv_seg(&f, f.now, NULL)) {
            int i = f.seg.tcp.dport - TCPF_PEER_PORT;
            ASSERT(i >= 0 && i < DRIP_CONNS);
            if (f.seg.tcp.flags & SYNACK_TCP_RST) {
                resets[i]++;
                continue;
            }
            uint32_t e =
                f.seg.tcp.seq + f.seg.payload_len + ((f.seg.tcp.flags & SYNACK_TCP_FIN) ? 1u : 0u);
            if (seq_gt(e, hi[i])) hi[i] = e;
            f.pport = (uint16_t)(TCPF_PEER_PORT + i);
            send_seg(&f, f.now + 10000, SYNACK_TCP_ACK, f.irs + 1, hi[i], 1, NULL, 0, NULL);
        }
    }
    /* A new client gets in. */
    uint32_t iss_new;
    int sd = drip_connect(&f, TCPF_PEER_PORT + 100, &iss_new);
    if (sd < 0)
        fprintf(stderr,
                "    after 10 minutes of the drip the new client was refused (%d, %d resets)\n",
                resets[1], resets[2]);
    ASSERT(sd >= 0);
    /* The orphans gave way; the connection its application holds is probed for as long as
     * its peer answers (RFC 1122 §4.2.2.17), full table or not. */
    ASSERT(resets[1] + resets[2] >= 1);
    ASSERT_EQ(resets[0], 0);
    tcpf_free(&f);
}

TEST_MAIN()
