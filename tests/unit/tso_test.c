/*
 * tso_test.c - super-segments through the stack (cfg.tso_max, cfg.csum_offload,
 * synack_output_gso, synack_input_flags): A's device takes super-segments and either splits
 * them as a TSO device or the kernel's GSO would (every part one MSS, the header repeated,
 * PSH and FIN on the last part only, CWR on the first only) or hands them to B whole, as a
 * GRO-merged datagram. Checked: bulk transfers byte-exact with loss, what went to the
 * device (whole multiples of the MSS, each part within the MTU, flags in their place), that
 * B takes merged segments and acknowledges them at once, and that a hostile 64 KiB segment
 * beyond B's window is trimmed to it. Runs over IPv6 too (SIMNET_FAMILY=6).
 */
#include "dev/vnet.h"
#include "test.h"
#include "transfer.h"

struct gso_ctx {
    bool merged;       /* hand super-segments to B whole instead of splitting them */
    int supers, parts; /* super-segments A sent, and the parts they were split into */
    int bad_part;      /* a part over the MTU, or PSH/FIN/CWR out of place, or a bad gso */
    uint32_t max_payload;
    uint64_t drop_every; /* drop every Nth part (0: none) */
    uint64_t drop_from;  /* from the drop_from-th part on, everything for 3 s (a blackout) */
    uint64_t blackout_until;
    uint64_t nparts_seen;
    bool have_high;
    uint32_t high;     /* the end of the highest sequence A sent */
    int rexmit_supers; /* super-segments starting below it: a retransmission of many MSS */
    int supers_no_psh; /* super-segments without PSH (Linux sets it on every GSO packet) */
};
/* One device pair per test at a time: the context the device callbacks reach. */
static struct gso_ctx gctx;
static struct synack_dev_ops gso_ops, merged_rx_ops;

/* Whether the next wire segment from A is lost: every drop_every-th, and all of them in
 * the blackout. */
static bool lost(uint64_t now)
{
    uint64_t k = ++gctx.nparts_seen;
    if (gctx.drop_from && k == gctx.drop_from) gctx.blackout_until = now + 3000000;
    if (now < gctx.blackout_until) return true;
    return gctx.drop_every && k % gctx.drop_every == 0;
}

static int gso_send(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len, uint32_t gso)
{
    struct synack_segment seg;
    if (wire_segment_parse(pkt, len, false, &seg) != 0 || gso == 0) {
        gctx.bad_part++;
        return SYNACK_EINVAL;
    }
    gctx.supers++;
    if (!(seg.tcp.flags & SYNACK_TCP_PSH)) gctx.supers_no_psh++;
    if (seg.payload_len > gctx.max_payload) gctx.max_payload = seg.payload_len;
    if (gctx.have_high && (int32_t)(seg.tcp.seq - gctx.high) < 0) gctx.rexmit_supers++;
    uint32_t end = seg.tcp.seq + seg.payload_len;
    if (!gctx.have_high || (int32_t)(end - gctx.high) > 0) gctx.high = end;
    gctx.have_high = true;
    size_t hl = len - seg.payload_len;
    if (seg.payload_len <= gso || hl + gso > 1500) gctx.bad_part++;
    if (gctx.merged) { /* whole, its checksum finished as the device would */
        static uint8_t whole[65535];
        memcpy(whole, pkt, len);
        if (vnet_csum_complete(whole, len) < 0) gctx.bad_part++;
        return simnet_filter_send(d, now, whole, len);
    }
    /* What a TSO device or Linux's GSO does (tcp_gso_segment): the header again for each
     * part, the sequence number advanced, PSH and FIN kept for the last part, CWR for the
     * first; each part's checksums computed anew (the stack's may be partial). */
    uint8_t part[1500];
    for (uint32_t off = 0; off < seg.payload_len; off += gso) {
        uint32_t n = seg.payload_len - off < gso ? seg.payload_len - off : gso;
        struct synack_tcp_hdr h = seg.tcp;
        h.seq = seg.tcp.seq + off;
        bool last = off + n == seg.payload_len;
        if (!last) h.flags &= (uint16_t) ~(SYNACK_TCP_PSH | SYNACK_TCP_FIN);
        if (off) h.flags &= (uint16_t)~SYNACK_TCP_CWR;
        size_t m = seg.family == SYNACK_AF_INET6
                       ? wire_segment_emit6(part, sizeof part, &seg.ip6, &h, seg.payload + off, n)
                       : wire_segment_emit(part, sizeof part, &seg.ip, &h, seg.payload + off, n);
        if (m == 0) {
            gctx.bad_part++;
            continue;
        }
        gctx.parts++;
        if (lost(now)) continue;
        simnet_filter_send(d, now, part, m);
    }
    return 0;
}

/* One segment: the device finishes the checksum the stack left partial. */
static int csum_send(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len)
{
    uint8_t one[1500];
    if (len > sizeof one) {
        gctx.bad_part++;
        return SYNACK_EMSGSIZE;
    }
    memcpy(one, pkt, len);
    vnet_csum_complete(one, len); /* not TCP: as it is */
    if (lost(now)) return 0;
    return simnet_filter_send(d, now, one, len);
}

static int merged_recv(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
    int n = simnet_filter_recv(d, now, buf, cap);
    /* More than the MTU can only be a merge. */
    d->rx_flags = n > 1500 ? SYNACK_DEV_RX_MERGED : 0;
    return n;
}

/* A with super-segments for its device (and checksums left to it), B plain; the link
 * carries 64 KiB datagrams when they go whole. */
static void tso_net(struct simnet *n, uint64_t seed, bool merged, uint32_t b_rcvbuf)
{
    memset(&gctx, 0, sizeof gctx);
    gctx.merged = merged;
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) simnet_config(&c[i], i, seed);
    c[0].tso_max = 65535;
    c[0].csum_offload = true;
    c[0].sndbuf = 1u << 20;
    c[1].rcvbuf = b_rcvbuf;
    /* A small window is the hostile-segment case, which injects a segment without the
     * timestamp option (RFC 7323 §3.2 would have it dropped). */
    if (b_rcvbuf < 65536) c[0].no_timestamps = c[1].no_timestamps = true;
    struct synack_sim_config l;
    synack_sim_config_default(&l);
    l.delay_us = 1000;
    l.mtu = merged ? 65535 : 1500;
    l.queue_limit = 4000;
    simnet_init_with(n, c, &l, seed);
    gso_ops = simnet_filter_ops;
    gso_ops.send_gso = gso_send;
    gso_ops.send = csum_send;
    n->filt[0].dev.ops = &gso_ops;
    n->filt[0].dev.tso_max = 65535;
    merged_rx_ops = simnet_filter_ops;
    merged_rx_ops.recv = merged_recv;
    n->filt[1].dev.ops = &merged_rx_ops;
}

TEST(tso_bulk_split_byte_exact)
{
    struct simnet n;
    test_seed(11);
    tso_net(&n, 11, false, 1u << 20);
    uint64_t bytes[2] = {8u << 20, 64u << 10};
    struct transfer_result r = transfer_run(&n, 11, bytes, 120000000);
    ASSERT(r.ok);
    ASSERT_EQ(gctx.bad_part, 0);
    struct synack_stats a;
    synack_get_stats(n.st[0], &a);
    ASSERT(a.tso_out > 0);
    ASSERT_EQ((long long)a.tso_out, (long long)gctx.supers);
    /* Super-segments of many segments went: more parts than super-segments, and the
     * largest carried at least 20 segments. */
    ASSERT(gctx.parts > 5 * gctx.supers);
    ASSERT(gctx.max_payload >= 20 * sim_mss());
    ASSERT_EQ((long long)a.retransmits, 0);
    /* Each super-segment ends in PSH, as each of Linux's GSO packets does (its last part,
     * once split): a receiver's GRO flushes there. */
    ASSERT_EQ(gctx.supers_no_psh, 0);
    simnet_free(&n);
}

TEST(tso_bulk_with_loss_recovers)
{
    struct simnet n;
    test_seed(12);
    tso_net(&n, 12, false, 1u << 20);
    gctx.drop_every = 97;  /* parts of super-segments lost: SACK, RACK, retransmissions */
    gctx.drop_from = 1500; /* and a blackout of 3 s: retransmission timeouts */
    uint64_t bytes[2] = {4u << 20, 0};
    struct transfer_result r = transfer_run(&n, 12, bytes, 600000000);
    ASSERT(r.ok);
    ASSERT_EQ(gctx.bad_part, 0);
    struct synack_stats a;
    synack_get_stats(n.st[0], &a);
    ASSERT(a.tso_out > 0);
    ASSERT(a.retransmits > 0);
    ASSERT(a.rto_timeouts > 0);
    /* Retransmissions, after the timeout too, go one MSS at a time: no super-segment
     * starts below the highest sequence already sent. */
    ASSERT_EQ(gctx.rexmit_supers, 0);
    simnet_free(&n);
}

TEST(merged_segments_taken_and_acked_at_once)
{
    struct simnet n;
    test_seed(13);
    tso_net(&n, 13, true, 1u << 20);
    uint64_t bytes[2] = {8u << 20, 0};
    struct transfer_result r = transfer_run(&n, 13, bytes, 120000000);
    ASSERT(r.ok);
    struct synack_stats b;
    synack_get_stats(n.st[1], &b);
    ASSERT(b.merged_in > 0);
    /* One ACK per merged segment at least (each holds two full-sized segments and more:
     * RFC 5681 §4.2), not one per two of them. */
    ASSERT(b.tcp_out >= b.merged_in);
    simnet_free(&n);
}

TEST(hostile_large_segment_trimmed_to_window)
{
    struct simnet n;
    test_seed(14);
    tso_net(&n, 14, true, 16384);
    int lsd = synack_socket(n.st[1]);
    synack_bind(n.st[1], lsd, SYNACK_ADDR_ANY, 7);
    synack_listen(n.st[1], lsd, 8);
    int sd = synack_socket(n.st[0]);
    synack_connect(n.st[0], sd, n.now, SIM_B_ADDR, 7);
    simnet_run_to(&n, n.now + 20000);
    int bsd = synack_accept(n.st[1], lsd, NULL);
    ASSERT(bsd >= 0);
    struct synack_sockinfo ai, bi;
    ASSERT_EQ(synack_getinfo(n.st[0], sd, &ai), 0);
    ASSERT_EQ(synack_getinfo(n.st[1], bsd, &bi), 0);
    /* 64,000 bytes at B's RCV.NXT, as if merged by a device: far past its 16 KiB window. */
    static uint8_t pkt[65535], payload[64000];
    memset(payload, 'x', sizeof payload);
    struct synack_tcp_hdr h = {.sport = ai.local.port,
                               .dport = ai.remote.port,
                               .seq = bi.rcv_nxt,
                               .ack = bi.snd_nxt,
                               .flags = SYNACK_TCP_ACK,
                               .window = 1000};
    size_t m;
    if (simnet_ipv6()) {
        struct synack_ipv6_hdr ip = {.hop_limit = 64};
        memcpy(ip.src, SIM_A_ADDR.bytes, 16);
        memcpy(ip.dst, SIM_B_ADDR.bytes, 16);
        m = wire_segment_emit6(pkt, sizeof pkt, &ip, &h, payload, sizeof payload);
    } else {
        struct synack_ipv4_hdr ip = {.ttl = 64, .src = 0x0a000001u, .dst = 0x0a000002u};
        m = wire_segment_emit(pkt, sizeof pkt, &ip, &h, payload, sizeof payload);
    }
    ASSERT(m > 64000);
    synack_input_flags(n.st[1], n.now, pkt, m, SYNACK_INPUT_MERGED | SYNACK_INPUT_CSUM_OK);
    ASSERT_EQ(synack_getinfo(n.st[1], bsd, &bi), 0);
    /* Kept: what the window offered, no more. */
    ASSERT(bi.rcv_queued <= 16384 + 1024);
    ASSERT(bi.rcv_queued > 0);
    static uint8_t buf[65536];
    long got = synack_recv(n.st[1], bsd, n.now, buf, sizeof buf);
    ASSERT_EQ(got, (long)bi.rcv_queued);
    simnet_free(&n);
}

TEST_MAIN()
