/*
 * rxhint_test.c - the receive hint's read (dev/tun_read.c, entry/rxhint.c): a TUN device's
 * read of the next in-order segment straight into its connection's receive ring, with a
 * SOCK_SEQPACKET socketpair standing for /dev/net/tun (one datagram per read, as the TUN
 * device gives them) and the scripted peer of tcp_fixture.h writing the datagrams.
 *
 * Each case checks what the application reads and what the stack counted: the payload is
 * placed only when the guess held (the connection that took the last in-order segment,
 * its header length, SEG.SEQ = RCV.NXT, a payload within the room), and whatever happens,
 * the bytes read are exactly the peer's in-order bytes, never a guess's leftovers.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev/tun_read.h"
#include "dev/vnet.h"
#include "tcp_fixture.h"

#define BIG 65536

struct rig {
    struct tcpf f;
    int fd[2]; /* fd[0]: the device's end, fd[1]: the kernel's */
    struct synack_tun_stats ts;
    uint8_t buf[BIG];
    uint8_t dgram[BIG + VNET_HDR_LEN];
    uint32_t sent; /* payload bytes the peer sent in order (from f.rcv_nxt's start) */
    uint32_t base; /* the peer's first data sequence number */
    bool peer_ts;  /* plain_data's segments carry a timestamp */
};

static void rig_open(struct rig *r, uint32_t rcvbuf, bool ts)
{
    memset(r, 0, sizeof *r);
    tcpf_config(&r->f);
    /* Any in-order segment arms the hint: these cases test its checks, whatever the size of
     * the segment before (hint_only_after_bulk_segment tests the default, 536). */
    r->f.cfg.rx_hint_min = 0;
    r->f.cfg.rcvbuf = rcvbuf;
    r->f.peer_ts = ts;
    r->f.peer_tsval = 1000;
    conn_in_established(&r->f);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, r->fd), 0);
    int sz = 4 << 20;
    setsockopt(r->fd[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    setsockopt(r->fd[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    r->base = r->f.rcv_nxt;
}

static void rig_close(struct rig *r)
{
    close(r->fd[0]);
    close(r->fd[1]);
    tcpf_free(&r->f);
}

/* The byte at stream offset i: a pattern that differs from one offset to the next. */
static uint8_t pat(uint32_t i)
{
    return (uint8_t)(i * 7 + (i >> 8) * 13 + 1);
}

struct dg {
    uint16_t flags;
    uint32_t seq;
    uint32_t len;       /* payload bytes, pat() from seq - base */
    uint16_t sport;     /* 0: the fixture's peer port */
    bool ts;            /* a timestamp option */
    bool vnet;          /* behind a virtio_net_hdr (with vflags) */
    uint8_t vflags;     /* VNET_F_* */
    bool partial;       /* the TCP checksum left partial (VNET_F_NEEDS_CSUM, as the kernel) */
    bool bad_csum;      /* one payload byte changed after the checksum was computed */
    uint8_t doff_add;   /* words added to the TCP data offset after building (hostile) */
    int16_t totlen_add; /* added to the IPv4 total length after building (hostile) */
    uint16_t hdr_len_v; /* the virtio_net_hdr's hdr_len (0: the real one) */
};

/* Builds the peer's datagram d and writes it to the device's other end. */
static void put(struct rig *r, const struct dg *d)
{
    struct synack_ipv4_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.ttl = 64;
    ip.proto = SYNACK_IPPROTO_TCP;
    ip.src = TCPF_PEER;
    ip.dst = TCPF_LOCAL;
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = d->sport ? d->sport : r->f.pport;
    h.dport = r->f.lport;
    h.seq = d->seq;
    h.ack = r->f.snd_nxt;
    h.flags = d->flags;
    h.window = TCPF_PEER_WIN;
    if (d->ts) {
        h.opts.has_ts = true;
        h.opts.ts_val = ++r->f.peer_tsval;
        h.opts.ts_ecr = 0;
    }
    static uint8_t payload[BIG];
    for (uint32_t i = 0; i < d->len; i++) payload[i] = pat(d->seq - r->base + i);
    size_t off = d->vnet ? VNET_HDR_LEN : 0;
    uint8_t *p = r->dgram + off;
    size_t n = wire_segment_emit(p, BIG, &ip, &h, payload, d->len);
    ASSERT(n > 0);
    size_t thl = (size_t)(p[32] >> 4) * 4;
    if (d->partial) /* the pseudo-header's sum only, as a local sender's TSO leaves it */
        synack_tun_csum_complete(p, n), wire_put16(p + 36, 0x1234);
    if (d->bad_csum) p[20 + thl] ^= 0x40;
    if (d->doff_add) p[32] = (uint8_t)(p[32] + (d->doff_add << 4));
    if (d->totlen_add) {
        wire_put16(p + 2, (uint16_t)(wire_get16(p + 2) + d->totlen_add));
        wire_put16(p + 10, 0);
        wire_put16(p + 10, wire_csum_fold(wire_csum_add(0, p, 20)));
    }
    if (d->vnet) {
        struct vnet_hdr vh = {.flags = d->vflags, .hdr_len = (uint16_t)(20 + thl)};
        if (d->partial) {
            vh.flags |= VNET_F_NEEDS_CSUM;
            vh.csum_start = 20;
            vh.csum_offset = 16;
        }
        if (d->hdr_len_v) vh.hdr_len = d->hdr_len_v;
        vnet_emit(r->dgram, &vh);
    }
    ASSERT_EQ(write(r->fd[1], r->dgram, n + off), (ssize_t)(n + off));
}

/* The device's read and the stack's input, as serve's loop does them: the datagram's
 * length, 0 when the device had none. */
static int pump(struct rig *r, bool vnet)
{
    unsigned flags = 0;
    int n = tun_read_datagram(r->fd[0], vnet, r->f.st, r->buf, sizeof r->buf, &flags, &r->ts);
    if (n > 0) synack_input_flags(r->f.st, r->f.now, r->buf, (size_t)n, flags);
    return n;
}

/* In-order data from the peer (the ordinary path, no device): sets the hint's connection. */
static void plain_data(struct rig *r, uint32_t len)
{
    struct dg d = {.flags = SYNACK_TCP_ACK | SYNACK_TCP_PSH,
                   .seq = r->base + r->sent,
                   .len = len,
                   .ts = r->peer_ts};
    put(r, &d);
    unsigned flags = 0;
    int n = tun_read_datagram(r->fd[0], false, NULL, r->buf, sizeof r->buf, &flags, &r->ts);
    ASSERT(n > 0);
    synack_input_flags(r->f.st, r->f.now, r->buf, (size_t)n, flags);
    r->sent += len;
}

/* Everything the stack has to send (ACKs, window updates), thrown away: the peer of these
 * tests only needs the stack's window to have been advertised. */
static void drain(struct rig *r)
{
    static uint8_t out[BIG];
    synack_poll(r->f.st, r->f.now);
    while (synack_output(r->f.st, r->f.now, out, sizeof out) > 0) {
    }
}

/* Reads up to max bytes from sd and checks each is the peer's byte at that offset. */
static uint32_t read_check(struct rig *r, int sd, uint32_t from, uint32_t max)
{
    static uint8_t out[BIG];
    long got = synack_recv(r->f.st, sd, r->f.now, out, max);
    drain(r);
    if (got < 0) got = 0;
    for (long i = 0; i < got; i++)
        if (out[i] != pat(from + (uint32_t)i)) {
            fprintf(stderr, "    byte %ld (stream offset %u): %u, expected %u\n", i,
                    from + (uint32_t)i, out[i], pat(from + (uint32_t)i));
            test_fail_at(__FILE__, __LINE__);
        }
    return (uint32_t)got;
}

static uint64_t placed(struct rig *r)
{
    struct synack_stats s;
    synack_get_stats(r->f.st, &s);
    return s.placed_in;
}

static uint64_t drops(struct rig *r, int reason)
{
    struct synack_stats s;
    synack_get_stats(r->f.st, &s);
    return s.drop_by_reason[reason];
}

/* The guess holds: the next in-order segment of the connection that took the last one. */
TEST(hint_right_payload_placed)
{
    struct rig r;
    rig_open(&r, 65536, false);
    plain_data(&r, 100);
    ASSERT_EQ(placed(&r), 0);
    struct dg d = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 1000};
    put(&r, &d);
    ASSERT_EQ(pump(&r, false), 40 + 1000);
    r.sent += 1000;
    ASSERT_EQ(placed(&r), 1);
    ASSERT_EQ(r.ts.rx_placed, 1);
    ASSERT_EQ(r.ts.rx_hint_missed, 0);
    ASSERT_EQ(tcpf_info(&r.f).rcv_nxt, r.base + 1100);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 1100);
    /* And again, at the front of the ring it went back to when emptied. */
    d.seq = r.base + r.sent;
    put(&r, &d);
    ASSERT_EQ(pump(&r, false), 1040);
    ASSERT_EQ(placed(&r), 2);
    ASSERT_EQ(read_check(&r, r.f.sd, 1100, BIG), 1000);
    rig_close(&r);
}

/* With timestamps agreed the hint expects their 12 bytes; through a virtio_net_hdr with
 * the partial checksum a local sender leaves, nothing is summed and the bytes are kept. */
TEST(hint_right_vnet_partial_timestamps)
{
    struct rig r;
    rig_open(&r, 65536, true);
    r.peer_ts = true;
    /* The ring takes memory as data comes: a first 30000 bytes the ordinary way, read. */
    plain_data(&r, 30000);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 30000);
    plain_data(&r, 500); /* sets the hint's connection */
    ASSERT_EQ(placed(&r), 0);
    struct dg v = {.flags = SYNACK_TCP_ACK | SYNACK_TCP_PSH,
                   .seq = r.base + r.sent,
                   .len = 29000,
                   .ts = true,
                   .vnet = true,
                   .partial = true};
    put(&r, &v);
    ASSERT_EQ(pump(&r, true), 52 + 29000);
    ASSERT_EQ(placed(&r), 1);
    ASSERT_EQ(r.ts.rx_hint_missed, 0);
    r.sent += 29000;
    ASSERT_EQ(read_check(&r, r.f.sd, 30000, BIG), 29500);
    rig_close(&r);
}

/* A segment of another connection: read in two pieces, made whole by the device, taken by
 * its own connection; the hinted connection's ring shows nothing of it. */
TEST(hint_wrong_tuple_made_whole)
{
    struct rig r;
    rig_open(&r, 65536, false);
    plain_data(&r, 10);
    /* A second connection from the peer's next port. */
    uint16_t p2 = TCPF_PEER_PORT + 1;
    uint16_t p1 = r.f.pport;
    r.f.pport = p2;
    send_syn(&r.f, SYNACK_TCP_SYN, 5000000, 0);
    ASSERT(recv_seg(&r.f, r.f.now, NULL));
    uint32_t iss2 = r.f.seg.tcp.seq;
    send_ctl(&r.f, SYNACK_TCP_ACK, 5000001, iss2 + 1);
    struct synack_endpoint pe;
    int sd2 = synack_accept(r.f.st, r.f.lsd, &pe);
    ASSERT(sd2 >= 0);
    r.f.pport = p1;
    /* Its data, with the pattern of stream offset 0 at its own first byte. */
    uint32_t base1 = r.base;
    r.base = 5000001;
    uint32_t snd1 = r.f.snd_nxt;
    r.f.snd_nxt = iss2 + 1;
    struct dg d = {.flags = SYNACK_TCP_ACK, .seq = 5000001, .len = 1200, .sport = p2};
    put(&r, &d);
    r.base = base1;
    r.f.snd_nxt = snd1;
    ASSERT_EQ(pump(&r, false), 1240);
    ASSERT_EQ(placed(&r), 0);
    ASSERT_EQ(r.ts.rx_hint_missed, 1);
    ASSERT_EQ(read_check(&r, sd2, 0, BIG), 1200);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 10);
    rig_close(&r);
}

/* Options the hint did not expect (a timestamp on a connection without them, or a data
 * offset that lies): the header is longer than the piece for it; made whole, ordinary. */
TEST(hint_wrong_header_length)
{
    struct rig r;
    rig_open(&r, 65536, false);
    plain_data(&r, 10);
    struct dg d = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 700, .ts = true};
    put(&r, &d);
    ASSERT_EQ(pump(&r, false), 52 + 700);
    ASSERT_EQ(placed(&r), 0);
    ASSERT_EQ(r.ts.rx_hint_missed, 1);
    r.sent += 700;
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 710);
    /* A data offset of 6 words over a 5-word header: the stack reads 4 payload bytes as
     * options (an EOL ends them); whatever it makes of them, never a placed payload. */
    struct dg h = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 300, .doff_add = 1};
    put(&r, &h);
    ASSERT_EQ(pump(&r, false), 340);
    ASSERT_EQ(placed(&r), 0);
    ASSERT_EQ(r.ts.rx_hint_missed, 2);
    rig_close(&r);
}

/* Out of order: not placed, parked for reassembly; while it is parked no hint is given (the
 * parked bytes lie where the payload would go); the segment that fills the hole releases
 * both, in order. */
TEST(hint_out_of_order)
{
    struct rig r;
    rig_open(&r, 65536, false);
    plain_data(&r, 10);
    struct dg late = {.flags = SYNACK_TCP_ACK, .seq = r.base + 10 + 800, .len = 900};
    put(&r, &late);
    ASSERT_EQ(pump(&r, false), 940);
    ASSERT_EQ(placed(&r), 0);
    ASSERT_EQ(r.ts.rx_hint_missed, 1);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 10);
    uint64_t missed = r.ts.rx_hint_missed;
    struct dg fill = {.flags = SYNACK_TCP_ACK, .seq = r.base + 10, .len = 800};
    put(&r, &fill);
    ASSERT_EQ(pump(&r, false), 840);
    ASSERT_EQ(placed(&r), 0);
    ASSERT_EQ(r.ts.rx_hint_missed, missed); /* no hint was offered */
    ASSERT_EQ(read_check(&r, r.f.sd, 10, BIG), 1700);
    rig_close(&r);
}

/* The ring's free memory wraps: the hint's room ends at the buffer's end; a payload beyond
 * it is made whole and stored around the wrap; one within it is placed. */
TEST(hint_ring_wrap)
{
    struct rig r;
    rig_open(&r, 8192, false);
    for (int i = 0; i < 4; i++) plain_data(&r, 1500); /* 6000 held: the ring has 8192 */
    ASSERT_EQ(read_check(&r, r.f.sd, 0, 4000), 4000);
    /* head 4000, 2000 held: 2192 bytes of memory to the buffer's end, then 4000 more. */
    struct dg over = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 2500};
    put(&r, &over);
    ASSERT_EQ(pump(&r, false), 2540);
    ASSERT_EQ(placed(&r), 0);
    ASSERT_EQ(r.ts.rx_hint_missed, 1);
    r.sent += 2500;
    /* Past the wrap now: the room is from index 308 to the head. */
    struct dg fit = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 1000};
    put(&r, &fit);
    ASSERT_EQ(pump(&r, false), 1040);
    ASSERT_EQ(placed(&r), 1);
    r.sent += 1000;
    ASSERT_EQ(read_check(&r, r.f.sd, 4000, BIG), 5500);
    rig_close(&r);
}

/* Emptied, the ring's head goes back to 0 and the room is the whole buffer; a payload larger than
 * the free space (the window) is not placed: made whole, trimmed to the window, nothing past it
 * readable. */
TEST(hint_larger_than_free_space)
{
    struct rig r;
    rig_open(&r, 8192, false);
    for (int i = 0; i < 5; i++) plain_data(&r, 1400);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 7000);
    struct dg fit = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 3000};
    put(&r, &fit);
    ASSERT_EQ(pump(&r, false), 3040);
    ASSERT_EQ(placed(&r), 1);
    r.sent += 3000;
    /* 3000 held of 8192: 5192 free; 6000 bytes offered. */
    struct dg big = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 6000};
    put(&r, &big);
    ASSERT_EQ(pump(&r, false), 6040);
    ASSERT_EQ(placed(&r), 1);
    struct synack_sockinfo in = tcpf_info(&r.f);
    uint32_t took = in.rcv_nxt - (r.base + r.sent);
    ASSERT(took > 0 && took <= 5192);
    ASSERT_EQ(read_check(&r, r.f.sd, 7000, BIG), 3000 + took);
    rig_close(&r);
}

/* A bad checksum on a device that does not check it: the pieces are summed before anything
 * is taken; the segment is dropped, its bytes stay beyond RCV.NXT unread, and the good copy
 * that follows is placed over them. */
TEST(hint_bad_checksum)
{
    struct rig r;
    rig_open(&r, 65536, false);
    plain_data(&r, 10);
    uint64_t bad0 = drops(&r, SYNACK_DROP_TCP_CHECKSUM);
    struct dg d = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 1000, .bad_csum = true};
    put(&r, &d);
    ASSERT_EQ(pump(&r, false), 1040);
    ASSERT_EQ(drops(&r, SYNACK_DROP_TCP_CHECKSUM), bad0 + 1);
    ASSERT_EQ(tcpf_info(&r.f).rcv_nxt, r.base + 10);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 10);
    ASSERT_EQ(read_check(&r, r.f.sd, 10, BIG), 0);
    d.bad_csum = false;
    put(&r, &d);
    ASSERT_EQ(pump(&r, false), 1040);
    ASSERT_EQ(placed(&r), 2); /* both were placed; only the good one was taken */
    r.sent += 1000;
    ASSERT_EQ(read_check(&r, r.f.sd, 10, BIG), 1000);
    rig_close(&r);
}

/* FIN with the last data: placed, the data read, the connection in CLOSE-WAIT. RST with a
 * payload: never placed; the ordinary path resets the connection, nothing more readable. */
TEST(hint_fin_and_rst)
{
    struct rig r;
    rig_open(&r, 65536, false);
    plain_data(&r, 10);
    struct dg fin = {.flags = SYNACK_TCP_ACK | SYNACK_TCP_FIN, .seq = r.base + r.sent, .len = 500};
    put(&r, &fin);
    ASSERT_EQ(pump(&r, false), 540);
    ASSERT_EQ(placed(&r), 1);
    EXPECT_STATE(&r.f, SYNACK_CLOSE_WAIT);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 510);
    rig_close(&r);

    rig_open(&r, 65536, false);
    plain_data(&r, 10);
    struct dg rst = {.flags = SYNACK_TCP_ACK | SYNACK_TCP_RST, .seq = r.base + r.sent, .len = 500};
    put(&r, &rst);
    ASSERT_EQ(pump(&r, false), 540);
    ASSERT_EQ(placed(&r), 0);
    ASSERT_EQ(r.ts.rx_hint_missed, 1);
    EXPECT_STATE(&r.f, SYNACK_CLOSED);
    ASSERT(read_check(&r, r.f.sd, 0, BIG) <= 10); /* what came before the reset, at most */
    rig_close(&r);
}

/* Hostile lengths: an IPv4 total length that disagrees with what was read, a
 * virtio_net_hdr whose hdr_len lies past the datagram, and SYNACK_INPUT_PLACED handed to
 * the stack without a hint, or with a length its headers do not match. */
TEST(hint_hostile_lengths)
{
    struct rig r;
    rig_open(&r, 65536, false);
    plain_data(&r, 10);
    struct dg lie = {
        .flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 1000, .totlen_add = -200};
    put(&r, &lie);
    uint64_t bad0 = drops(&r, SYNACK_DROP_TCP_CHECKSUM);
    ASSERT_EQ(pump(&r, false), 1040);
    ASSERT_EQ(placed(&r), 0);
    /* The ordinary path reads the 800 bytes the IP header covers (the rest is link padding
     * to it), which the checksum over all 1000 does not fit. */
    ASSERT_EQ(drops(&r, SYNACK_DROP_TCP_CHECKSUM), bad0 + 1);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 10);
    struct dg grow = {
        .flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 1000, .totlen_add = 200};
    put(&r, &grow);
    ASSERT_EQ(pump(&r, false), 1040);
    ASSERT_EQ(placed(&r), 0);
    ASSERT_EQ(drops(&r, SYNACK_DROP_IP_TRUNCATED), 1);
    ASSERT_EQ(read_check(&r, r.f.sd, 10, BIG), 0);
    uint64_t errs = r.ts.rx_errors;
    struct dg vh = {.flags = SYNACK_TCP_ACK,
                    .seq = r.base + r.sent,
                    .len = 1000,
                    .vnet = true,
                    .hdr_len_v = 60000};
    put(&r, &vh);
    ASSERT_EQ(pump(&r, true), 0);
    ASSERT_EQ(r.ts.rx_errors, errs + 1);
    ASSERT_EQ(placed(&r), 0);
    /* SYNACK_INPUT_PLACED without a hint armed (any other input disarms it): dropped,
     * nothing read from past pkt's headers, nothing readable. */
    send_ctl(&r.f, SYNACK_TCP_ACK, r.base + r.sent, r.f.snd_nxt);
    uint64_t stale = drops(&r, SYNACK_DROP_INPUT_PLACED_STALE);
    static uint8_t hdr[40];
    memcpy(hdr, r.buf, sizeof hdr);
    ASSERT_EQ(synack_input_flags(r.f.st, r.f.now, hdr, 1040, SYNACK_INPUT_PLACED), SYNACK_EPROTO);
    ASSERT_EQ(drops(&r, SYNACK_DROP_INPUT_PLACED_STALE), stale + 1);
    ASSERT_EQ(synack_input_flags(r.f.st, r.f.now, hdr, 10, SYNACK_INPUT_PLACED), SYNACK_EPROTO);
    ASSERT_EQ(drops(&r, SYNACK_DROP_INPUT_PLACED_STALE), stale + 2);
    ASSERT_EQ(read_check(&r, r.f.sd, 10, BIG), 0);
    rig_close(&r);
}

/* A traced stack: its events carry whole datagrams, so a placed one is copied whole for
 * them, and its payload is still taken where it lies. */
struct seen {
    uint32_t base, segs, bad;
};
static void on_event(void *ctx, const struct synack_trace_event *ev)
{
    struct seen *w = ctx;
    if (ev->kind != SYNACK_TRACE_SEG_IN || !ev->has_seg || ev->seg.payload_len == 0) return;
    w->segs++;
    uint32_t hl = ev->pkt_len - ev->seg.payload_len;
    for (uint32_t i = 0; i < ev->seg.payload_len; i++) {
        uint8_t want = pat(ev->seg.tcp.seq - w->base + i);
        if (ev->pkt[hl + i] != want || ev->seg.payload[i] != want) w->bad++;
    }
}

TEST(hint_traced_stack_events_whole)
{
    struct rig r;
    memset(&r, 0, sizeof r);
    struct seen w = {0};
    tcpf_config(&r.f);
    r.f.cfg.rx_hint_min = 0;
    r.f.cfg.rcvbuf = 65536;
    r.f.cfg.trace = on_event;
    r.f.cfg.trace_ctx = &w;
    conn_in_established(&r.f);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, r.fd), 0);
    r.base = w.base = r.f.rcv_nxt;
    plain_data(&r, 100);
    struct dg d = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 1500};
    put(&r, &d);
    ASSERT_EQ(pump(&r, false), 1540);
    ASSERT_EQ(placed(&r), 1);
    r.sent += 1500;
    ASSERT_EQ(w.segs, 2);
    ASSERT_EQ(w.bad, 0);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 1600);
    rig_close(&r);
}

/* With the default cfg.rx_hint_min (536, RFC 9293 §3.7.1's default MSS) the hint follows a
 * bulk receiver only: after a small segment (a request of a request/response exchange) the
 * device reads the next datagram the ordinary way, without the hint's checks, and the bytes
 * are the same; after a full-sized one the hint is offered again. */
TEST(hint_only_after_bulk_segment)
{
    struct rig r;
    memset(&r, 0, sizeof r);
    tcpf_config(&r.f);
    ASSERT_EQ(r.f.cfg.rx_hint_min, 536);
    r.f.cfg.rcvbuf = 65536;
    conn_in_established(&r.f);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, r.fd), 0);
    r.base = r.f.rcv_nxt;
    plain_data(&r, 1);
    struct dg d = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 1000};
    put(&r, &d);
    ASSERT_EQ(pump(&r, false), 40 + 1000);
    r.sent += 1000;
    ASSERT_EQ(placed(&r), 0);
    ASSERT_EQ(r.ts.rx_placed, 0);
    ASSERT_EQ(r.ts.rx_hint_missed, 0); /* none offered, none missed */
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 1001);
    /* That segment carried 1000 bytes: the next one's place is named, and it is placed. */
    d.seq = r.base + r.sent;
    put(&r, &d);
    ASSERT_EQ(pump(&r, false), 40 + 1000);
    r.sent += 1000;
    ASSERT_EQ(placed(&r), 1);
    ASSERT_EQ(r.ts.rx_placed, 1);
    /* 535 bytes: one short of the default; the next is read the ordinary way again. */
    plain_data(&r, 535);
    put(&r, &(struct dg){.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 700});
    ASSERT_EQ(pump(&r, false), 40 + 700);
    r.sent += 700;
    ASSERT_EQ(placed(&r), 1);
    ASSERT_EQ(read_check(&r, r.f.sd, 1001, BIG), 1000 + 535 + 700);
    rig_close(&r);
}

/* A peer whose segments cannot reach the default (its MSS option says 400: a path of MTU 440)
 * is a bulk sender all the same when its segments are full: the threshold is the smaller of
 * cfg.rx_hint_min and the segment size the peer told us. */
TEST(hint_after_full_segment_of_a_small_mss_peer)
{
    struct rig r;
    memset(&r, 0, sizeof r);
    tcpf_config(&r.f);
    r.f.cfg.rcvbuf = 65536;
    r.f.peer_mss = 400;
    conn_in_established(&r.f);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, r.fd), 0);
    r.base = r.f.rcv_nxt;
    plain_data(&r, 400);
    struct dg d = {.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 400};
    put(&r, &d);
    ASSERT_EQ(pump(&r, false), 40 + 400);
    r.sent += 400;
    ASSERT_EQ(placed(&r), 1);
    /* 399 bytes: not a full segment of this peer's; the next one is read the ordinary way. */
    plain_data(&r, 399);
    put(&r, &(struct dg){.flags = SYNACK_TCP_ACK, .seq = r.base + r.sent, .len = 400});
    ASSERT_EQ(pump(&r, false), 40 + 400);
    r.sent += 400;
    ASSERT_EQ(placed(&r), 1);
    ASSERT_EQ(read_check(&r, r.f.sd, 0, BIG), 400 + 400 + 399 + 400);
    rig_close(&r);
}

TEST_MAIN()
