/*
 * renege_test.c - a sender facing a receiver that reneges (RFC 2018 §8): the peer SACKs
 * data, then gives it up (as synack's own receiver does under memory pressure, tcp_mem.c)
 * and acknowledges only what it holds in order. The sender must not have freed the SACKed
 * bytes (they leave the send ring only when SND.UNA passes them, RFC 6675 §5.1, RFC 2018
 * §8) and must send them again, byte for byte, until the stream completes. One stack
 * against the scripted peer of tcp_fixture.h, the integer clock.
 */
#include "test.h"
#include "tcp_fixture.h"

#define MS   1000ull
#define NSEG 10

static uint8_t pat(uint32_t i)
{
    return (uint8_t)((i * 2654435761u) >> 11);
}

/* The handshake as a server, SACK permitted by the peer; the stack's MSS. */
static uint32_t open_sack(struct tcpf *f)
{
    tcpf_config(f);
    f->cfg.cc = "newreno";
    conn_in_listen(f);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 1460;
    o.sack_permitted = true;
    send_seg(f, f->now, SYNACK_TCP_SYN, f->irs, 0, TCPF_PEER_WIN, NULL, 0, &o);
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT(f->seg.tcp.opts.sack_permitted);
    f->iss = f->seg.tcp.seq;
    f->snd_nxt = f->iss + 1;
    f->rcv_nxt = f->irs + 1;
    f->sd = tcpf_find_conn(f);
    f->now += 1 * MS;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    EXPECT_NOTHING(f);
    tcpf_follow(f);
    ASSERT_EQ(synack_accept(f->st, f->lsd, NULL), f->sd);
    struct synack_sockinfo in = tcpf_info(f);
    ASSERT(in.sack_ok);
    return in.snd_mss;
}

/* Takes what the stack sends now, checking every byte against the stream; marks the
 * segments seen. Returns how many carried data. */
static int take(struct tcpf *f, uint32_t base, uint32_t mss, int *times_sent)
{
    int n = 0;
    while (recv_seg(f, f->now, NULL)) {
        if (f->seg.payload_len == 0) continue;
        uint32_t off = f->seg.tcp.seq - base;
        ASSERT_EQ(off % mss, 0);
        ASSERT(off / mss < NSEG);
        for (uint32_t i = 0; i < f->seg.payload_len; i++)
            ASSERT_EQ(f->seg.payload[i], pat(off + i));
        times_sent[off / mss]++;
        n++;
    }
    return n;
}

TEST(sender_resends_what_a_reneging_peer_had_sacked)
{
    struct tcpf f;
    uint32_t mss = open_sack(&f);
    uint32_t base = f.iss + 1;
    static uint8_t buf[NSEG * 1500];
    for (uint32_t i = 0; i < NSEG * mss; i++) buf[i] = pat(i);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, buf, (size_t)NSEG * mss), (long)NSEG * mss);
    int sent[NSEG] = {0};
    ASSERT_EQ(take(&f, base, mss, sent), NSEG); /* the initial window: all ten */

    /* Segment 0 is lost; the peer SACKs 1..9 (three ACKs, as each arrives): SACK
     * recovery resends segment 0 (RFC 6675 §5). */
    static const int upto[3] = {4, 7, NSEG};
    for (int j = 0; j < 3; j++) {
        struct synack_tcp_opts o;
        memset(&o, 0, sizeof o);
        o.sack_count = 1;
        o.sack[0].left = base + mss;
        o.sack[0].right = base + (uint32_t)upto[j] * mss;
        f.now += 1 * MS;
        send_seg(&f, f.now, SYNACK_TCP_ACK, f.rcv_nxt, base, TCPF_PEER_WIN, NULL, 0, &o);
        take(&f, base, mss, sent);
    }
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.sacked, NSEG - 1);
    for (int i = 0; i < 10 && sent[0] < 2; i++) {
        f.now += 50 * MS;
        take(&f, base, mss, sent);
    }
    ASSERT_EQ(sent[0], 2);

    /* The peer reneges: it gave up 1..9 and acknowledges segment 0 alone, with no SACK
     * block. From now on it keeps only what arrives in order. */
    int cum = 1;
    f.now += 1 * MS;
    send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, base + mss);
    take(&f, base, mss, sent);
    for (int step = 0; step < 2000 && cum < NSEG; step++) {
        f.now += 10 * MS;
        int before[NSEG];
        memcpy(before, sent, sizeof before);
        take(&f, base, mss, sent);
        /* What arrived in order is acknowledged cumulatively; anything beyond is dropped. */
        bool moved = false;
        while (cum < NSEG && sent[cum] > before[cum]) {
            cum++;
            moved = true;
        }
        if (moved) send_ctl(&f, SYNACK_TCP_ACK, f.rcv_nxt, base + (uint32_t)cum * mss);
    }
    ASSERT_EQ(cum, NSEG);
    /* Every reneged segment went out again, its bytes intact (checked in take). */
    for (int i = 1; i < NSEG; i++) ASSERT(sent[i] >= 2);
    in = tcpf_info(&f);
    ASSERT_EQ(in.snd_una, base + NSEG * mss);
    ASSERT_EQ(in.snd_queued, 0);
    tcpf_free(&f);
}

TEST_MAIN()
