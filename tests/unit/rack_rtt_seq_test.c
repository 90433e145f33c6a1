/*
 * rack_rtt_seq_test.c - RACK.rtt taken from the most recently sent segment an ACK delivers
 * (RFC 8985 §6.2, the default) or, with cfg.rack_rtt_seq, from the last one in sequence
 * order (Linux's tcp_rack_advance), on the tcp fixture with the figures of Linux's
 * fast_recovery/prr-ss-ack-below-snd_una-cubic.pkt: ten segments on a 10 ms path, 1, 4 and
 * 8 lost, 1 sent again and acknowledged 12 ms later together with 4 (sent once, 22 ms
 * before). RFC 8985's RACK.rtt is the retransmission's 12 ms, Linux's the 22 ms of segment
 * 4. With the shorter one segment 10 (sent 22 ms before, not SACKed) is deemed lost too,
 * five segments in all where Linux has four, and recovery (PRR, RFC 6937) sends two
 * segments on that ACK where Linux sends the script's three, 4001:7001.
 */
#include "tcp_fixture.h"

#define MS 1000ull

static uint32_t base; /* the sequence number of the first byte of data */

static void open_conn(struct tcpf *f, bool rtt_seq)
{
    tcpf_config(f);
    f->cfg.cc = "cubic";
    f->cfg.rack_rtt_seq = rtt_seq;
    f->cfg.sndbuf = 1 << 20;
    /* The rest of the plug-in's Linux configuration (docs/packetdrill.md). */
    f->cfg.slow_start_limit = 0;
    f->cfg.rtt_every_ack = true;
    f->cfg.rto_min_on_var = true;
    f->cfg.hystart_linux = true;
    f->cfg.sndbuf_linux = true;
    f->cfg.no_quickack = false;
    conn_in_listen(f);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1000;
    o.sack_permitted = true;
    send_seg(f, f->now, SYNACK_TCP_SYN, f->irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    f->iss = f->seg.tcp.seq;
    f->snd_nxt = f->iss + 1;
    f->rcv_nxt = f->irs + 1;
    f->sd = tcpf_find_conn(f);
    f->now += 10 * MS; /* a 10 ms path */
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    tcpf_follow(f);
    ASSERT_EQ(synack_accept(f->st, f->lsd, NULL), f->sd);
    ASSERT(tcpf_info(f).sack_ok);
    base = f->iss + 1;
}

/* An ACK of data offset ack (from base) with SACK blocks [l, r) (offsets, in pairs). */
static void ack_sack(struct tcpf *f, uint32_t ack, int nblocks, const uint32_t *lr)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.sack_count = (uint8_t)nblocks;
    for (int i = 0; i < nblocks; i++) {
        o.sack[i].left = base + lr[2 * i];
        o.sack[i].right = base + lr[2 * i + 1];
    }
    send_seg(f, f->now, SYNACK_TCP_ACK, f->rcv_nxt, base + ack, TCPF_PEER_WIN, NULL, 0, &o);
}

/* The data segments the stack sends now, as offsets from base (each 1000 bytes). */
static int take(struct tcpf *f, uint32_t *offs, int max)
{
    int n = 0;
    while (recv_seg(f, f->now, NULL)) {
        if (f->seg.payload_len == 0) continue;
        ASSERT_EQ(f->seg.payload_len, 1000);
        ASSERT(n < max);
        offs[n++] = f->seg.tcp.seq - base;
    }
    return n;
}

/* The script up to the ACK of 4001: returns the segments that ACK lets go. */
static int to_the_ack_of_4001(struct tcpf *f, uint32_t *offs)
{
    static uint8_t buf[10000];
    uint32_t got[16];
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, buf, sizeof buf), 10000);
    ASSERT_EQ(take(f, got, 16), 10);
    f->now += 10 * MS;
    ack_sack(f, 0, 1, (const uint32_t[]){1000, 2000});
    ack_sack(f, 0, 1, (const uint32_t[]){1000, 3000});
    ack_sack(f, 0, 2, (const uint32_t[]){1000, 3000, 8000, 9000});
    ASSERT_EQ(take(f, got, 16), 1);
    ASSERT_EQ(got[0], 0); /* 1:1001 again */
    f->now += 12 * MS;
    ack_sack(f, 4000, 1, (const uint32_t[]){8000, 9000});
    return take(f, offs, 16);
}

TEST(rfc_8985_rtt_of_the_most_recently_sent)
{
    struct tcpf f;
    open_conn(&f, false);
    uint32_t offs[16];
    /* RACK.rtt 12 ms: 4, 5, 6, 7 and 10 are lost; two segments go. */
    ASSERT_EQ(to_the_ack_of_4001(&f, offs), 2);
    ASSERT_EQ(tcpf_info(&f).lost, 5);
    ASSERT_EQ(offs[0], 4000);
    ASSERT_EQ(offs[1], 5000);
    tcpf_free(&f);
}

TEST(linux_rtt_of_the_last_in_sequence_order)
{
    struct tcpf f;
    open_conn(&f, true);
    uint32_t offs[16];
    /* RACK.rtt 22 ms: 4, 5, 6 and 7 are lost; the script's three segments, 4001:7001. */
    ASSERT_EQ(to_the_ack_of_4001(&f, offs), 3);
    ASSERT_EQ(tcpf_info(&f).lost, 4);
    ASSERT_EQ(offs[0], 4000);
    ASSERT_EQ(offs[1], 5000);
    ASSERT_EQ(offs[2], 6000);
    /* The reordered ACK below SND.UNA newly SACKs 5001:7001: two more go, the lost 7001
     * and new data. */
    static uint8_t buf[10000];
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, sizeof buf), 10000);
    f.now += 2 * MS;
    ack_sack(&f, 3000, 1, (const uint32_t[]){5000, 7000});
    ASSERT_EQ(take(&f, offs, 16), 2);
    ASSERT_EQ(offs[0], 7000);
    ASSERT_EQ(offs[1], 10000);
    tcpf_free(&f);
}

TEST_MAIN()
