/*
 * fuzz/fuzz_placed.c - libFuzzer target for the receive hint's path (entry/rxhint.c,
 * dev/tun_read.c, SYNACK_INPUT_PLACED): a hostile peer's datagrams read by the device
 * straight into the receive ring's free memory, checked against the same stack fed the
 * same datagrams whole.
 *
 * Two stacks with the same configuration and seed, P and W, each with one accepted
 * connection from the same scripted peer (10.0.0.2:40000 to 10.0.0.1:80, or over IPv6). Every
 * datagram the input describes is written to two SOCK_SEQPACKET socketpairs standing for TUN
 * devices: P's device reads it with the hint (tun_read_datagram given the stack: the
 * payload may land in the ring before any check), W's without (the ordinary copy). The
 * hint must change where bytes are copied, nothing else, so after every op:
 *   - both stacks sent byte for byte the same datagrams (ACKs, windows, resets, data);
 *   - synack_recv returns the same bytes from both, and, while the peer sent only its
 *     stream's bytes (pat() at their offset) or a change the TCP checksum catches, those
 *     bytes are exactly the stream's: no byte the checksum, window or header checks
 *     rejected, and none a guess left in the ring, ever becomes readable;
 *   - both connections have the same state, RCV.NXT and bytes to read.
 * AddressSanitizer sees a payload read from a ring freed or moved in between (a close, a
 * resize, TIME-WAIT, the idle timer); a traced P reads every event's datagram whole.
 *
 * The input is [setup] [op] [op] ...; setup: bit 0 the peer's timestamps (RFC 7323), bit
 * 1 a virtio_net_hdr before each datagram, bit 2 P traces, bits 3-4 the receive buffer
 * (4, 16, 64 or 256 KiB), bit 5 IPv6 (fd00::2 to fd00::1; m2's bits 5, 6 then do nothing
 * and m's bit 2 makes the payload length lie). Each op is a byte, low 3 bits the operation, the
 * rest `x`, and its own bytes (0 when the input ran out):
 *
 *   0 SEG   [f][s:2][n:2][m][m2]  a segment: flags f, SEQ = W's RCV.NXT + s (signed),
 *                                 ACK = W's SND.NXT - (x & 3), n bytes (at most 65000) of
 *                                 the stream at SEQ; m: bit 0 a payload (or header) byte
 *                                 changed after the checksum, 1 the data offset one word
 *                                 larger, 2 the IPv4 total length +-(m2 & 15), 3 no
 *                                 timestamp (or one without setup bit 0), 4 the TCP checksum
 *                                 left partial (VNET_F_NEEDS_CSUM, a local sender's), 5
 *                                 VNET_F_DATA_VALID, 6 a hostile virtio_net_hdr (hdr_len,
 *                                 csum_start/offset, gso_type/size from the next 8 bytes),
 *                                 7 the urgent pointer from the next 2 bytes;
 *                                 m2: bit 4 another source port, bit 5 an IPv4 option
 *                                 (the header 24 bytes), bit 6 a fragment's flag, bit 7 a
 *                                 window of 0
 *   1 RECV  [n]                   both read up to n*256+1 bytes (x odd: recv_discard)
 *   2 RCVBUF [v]                  SO_RCVBUF = v*512 on both (the ring resized)
 *   3 SHUT                        x 0-3: shutdown(x+1)... x 4: close, 5+: abort
 *   4 STEP  [t]                   the clock advances t*10 ms (x > 3: t seconds)
 *   5 SEND  [n]                   both send n*64+1 bytes
 *   6 SPLIT                       the next datagram is written twice to P's device and
 *                                 read twice (a duplicate arriving behind the hint)
 *   7 SEG2  [n:2]                 n % 4096 + 1 bytes in order on a second connection (from
 *                                 port 40002), read at once: the hint moves to it and back
 *
 *   make fuzz    (or: build-fuzz/fuzz_placed fuzz/corpus/fuzz_placed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev/tun_read.h"
#include "dev/vnet.h"
#include "synack/synack.h"
#include "synack/tun.h"
#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

#define FP_LOCAL  0x0a000001u
#define FP_PEER   0x0a000002u
#define FP_PORT   80
#define FP_PPORT  40000
#define FP_ISS    1000000u
#define FP_PPORT2 40002
#define FP_ISS2   3000000000u
#define FP_BIG    65536
#define FP_OPS    400
#define FP_DGRAM  (FP_BIG + VNET_HDR_LEN + 64)
#define FP_OUTMAX 256

struct fp_in {
    const uint8_t *p;
    size_t n, off;
};

static uint8_t u8(struct fp_in *in)
{
    return in->off < in->n ? in->p[in->off++] : 0;
}

static uint16_t u16(struct fp_in *in)
{
    uint16_t hi = u8(in);
    return (uint16_t)(hi << 8 | u8(in));
}

/* The peer's stream: the byte at offset i from its first data byte. */
static uint8_t pat(uint32_t i)
{
    return (uint8_t)(i * 7 + (i >> 8) * 13 + 1);
}

/* fd00::1 (the stacks) and fd00::2 (the peer). */
static struct synack_addr fp_addr6(uint8_t last)
{
    uint8_t b[16] = {0xfd, 0x00};
    b[15] = last;
    return synack_addr_v6(b);
}
static struct synack_addr fp_local6(void)
{
    return fp_addr6(1);
}
static struct synack_addr fp_peer6(void)
{
    return fp_addr6(2);
}

struct fp_side {
    synack_stack *st;
    int sd, sd2, lsd; /* sd2: the second connection */
    int fd[2];        /* fd[0] the device's end, fd[1] the kernel's */
    struct synack_tun_stats ts;
};

struct fp_world {
    struct fp_side s[2]; /* 0: P (hinted), 1: W (whole) */
    bool vnet, ts, v6;
    uint32_t tsval;
    uint64_t now;
    uint32_t base;    /* the peer's first data sequence number */
    uint32_t readoff; /* stream offset of the next byte read */
    uint32_t sent2;   /* bytes the peer sent in order on the second connection */
    bool pattern;     /* what is read must be pat(): no trusted lie was sent */
    bool closed;      /* the application closed or aborted the connection */
};

static uint8_t g_dgram[FP_DGRAM];
static uint8_t g_buf[FP_BIG + 64];
static uint8_t g_out[2][FP_BIG];
static uint8_t g_payload[FP_BIG];

/* A traced P: every event's datagram is read whole (ASan sees a short or freed one). */
static void on_event(void *ctx, const struct synack_trace_event *ev)
{
    unsigned *sum = ctx;
    for (uint32_t i = 0; ev->pkt && i < ev->pkt_len; i++) *sum += ev->pkt[i];
    if (ev->has_seg)
        for (uint32_t i = 0; i < ev->seg.payload_len; i++) *sum += ev->seg.payload[i];
}

static unsigned g_trace_sum;

/* Everything both stacks want to send, compared datagram by datagram. */
static void drain(struct fp_world *w)
{
    for (int k = 0; k < FP_OUTMAX; k++) {
        synack_poll(w->s[0].st, w->now);
        synack_poll(w->s[1].st, w->now);
        int a = synack_output(w->s[0].st, w->now, g_out[0], sizeof g_out[0]);
        int b = synack_output(w->s[1].st, w->now, g_out[1], sizeof g_out[1]);
        CHECK(a == b);
        if (a <= 0) return;
        CHECK(memcmp(g_out[0], g_out[1], (size_t)a) == 0);
    }
}

static void compare(struct fp_world *w)
{
    struct synack_sockinfo a, b;
    int ra = synack_getinfo(w->s[0].st, w->s[0].sd, &a);
    int rb = synack_getinfo(w->s[1].st, w->s[1].sd, &b);
    CHECK(ra == rb);
    if (ra != 0) return;
    CHECK(a.state == b.state);
    CHECK(a.rcv_nxt == b.rcv_nxt);
    CHECK(a.rcv_wnd == b.rcv_wnd);
}

/* The peer's datagram, over IPv4 or IPv6 (setup bit 5). */
static size_t emit(const struct fp_world *w, uint8_t *p, size_t cap, const struct synack_tcp_hdr *h,
                   const uint8_t *payload, size_t n)
{
    if (w->v6) {
        struct synack_ipv6_hdr ip;
        memset(&ip, 0, sizeof ip);
        ip.hop_limit = 64;
        ip.next_header = SYNACK_IPPROTO_TCP;
        memcpy(ip.src, fp_peer6().bytes, 16);
        memcpy(ip.dst, fp_local6().bytes, 16);
        return wire_segment_emit6(p, cap, &ip, h, payload, n);
    }
    struct synack_ipv4_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.ttl = 64;
    ip.proto = SYNACK_IPPROTO_TCP;
    ip.src = FP_PEER;
    ip.dst = FP_LOCAL;
    return wire_segment_emit(p, cap, &ip, h, payload, n);
}

/* The peer's segment, as the op describes it; written to both devices (twice to P's when
 * dup), then each device reads and its stack takes what it read. */
static void seg_op(struct fp_world *w, struct fp_in *in, uint8_t x, bool dup)
{
    struct synack_sockinfo info;
    memset(&info, 0, sizeof info);
    (void)synack_getinfo(w->s[1].st, w->s[1].sd, &info);
    uint8_t f = u8(in);
    int16_t s = (int16_t)u16(in);
    uint32_t n = u16(in);
    uint8_t m = u8(in), m2 = u8(in);
    if (n > 65000) n = 65000;
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = (m2 & 0x10) ? FP_PPORT + 1 : FP_PPORT;
    h.dport = FP_PORT;
    h.seq = info.rcv_nxt ? info.rcv_nxt + (uint32_t)(int32_t)s : w->base + (uint32_t)(int32_t)s;
    h.ack = info.snd_nxt - (x & 3u);
    h.flags = f;
    h.window = (m2 & 0x80) ? 0 : 65535;
    if (w->ts != !!(m & 8)) {
        h.opts.has_ts = true;
        h.opts.ts_val = ++w->tsval;
    }
    if (m & 0x80) h.urg = u16(in);
    struct vnet_hdr hv;
    memset(&hv, 0, sizeof hv);
    uint8_t hostile[8];
    for (int i = 0; i < 8; i++) hostile[i] = u8(in);
    for (uint32_t i = 0; i < n; i++) g_payload[i] = pat(h.seq - w->base + i);
    size_t off = w->vnet ? VNET_HDR_LEN : 0;
    uint8_t *p = g_dgram + off;
    size_t len = emit(w, p, FP_DGRAM - off, &h, g_payload, n);
    CHECK(len > 0);
    size_t ihl = w->v6 ? 40 : 20;
    size_t thl = (size_t)(p[ihl + 12] >> 4) * 4;
    bool partial = w->vnet && (m & 0x10);
    bool valid = w->vnet && (m & 0x20);
    bool lie = false;
    if (partial) synack_tun_csum_complete(p, len), wire_put16(p + ihl + 16, 0x1234);
    if ((m2 & 0x20) && !w->v6) {
        /* An IPv4 option (a NOP word): the header 24 bytes, checksums made right again. */
        memmove(p + 24, p + 20, len - 20);
        memset(p + 20, 1, 4);
        p[0] = 0x46;
        len += 4;
        wire_put16(p + 2, (uint16_t)len);
        wire_put16(p + 10, 0);
        wire_put16(p + 10, wire_csum_fold(wire_csum_add(0, p, 24)));
    }
    if (!w->v6) ihl = (size_t)(p[0] & 15) * 4;
    if ((m2 & 0x40) && !w->v6) {
        wire_put16(p + 6, 0x2000); /* more fragments */
        wire_put16(p + 10, 0);
        wire_put16(p + 10, wire_csum_fold(wire_csum_add(0, p, ihl)));
    }
    if (m & 1) {
        p[len > ihl + thl ? ihl + thl + (n / 2) : ihl + 4] ^= 0x40;
        lie = true;
    }
    if (m & 2) {
        p[ihl + 12] = (uint8_t)(p[ihl + 12] + 0x10);
        lie = true;
    }
    if ((m & 4) && w->v6) {
        /* The payload length lies (IPv6 has no header checksum to make right). */
        int d = (m2 & 8) ? -(int)(m2 & 7) - 1 : (int)(m2 & 7) + 1;
        wire_put16(p + 4, (uint16_t)(wire_get16(p + 4) + d));
        lie = true;
    } else if (m & 4) {
        int d = (m2 & 8) ? -(int)(m2 & 7) - 1 : (int)(m2 & 7) + 1;
        wire_put16(p + 2, (uint16_t)(wire_get16(p + 2) + d));
        wire_put16(p + 10, 0);
        wire_put16(p + 10, wire_csum_fold(wire_csum_add(0, p, ihl)));
        lie = true;
    }
    if (w->vnet) {
        hv.hdr_len = (uint16_t)(ihl + thl);
        if (partial) {
            hv.flags |= VNET_F_NEEDS_CSUM;
            hv.csum_start = (uint16_t)ihl;
            hv.csum_offset = 16;
        }
        if (valid) hv.flags |= VNET_F_DATA_VALID;
        if (m & 0x40) {
            hv.flags = hostile[0] & 3;
            hv.gso_type = hostile[1];
            hv.hdr_len = (uint16_t)(hostile[2] << 8 | hostile[3]);
            hv.gso_size = hostile[4];
            hv.csum_start = hostile[5];
            hv.csum_offset = (uint16_t)(hostile[6] << 8 | hostile[7]);
        }
        vnet_emit(g_dgram, &hv);
        /* A checksum the device vouches for, over bytes that lie: what is read may then
         * differ from the stream, in both stacks alike (the kernel never does this). */
        if (lie && (hv.flags & (VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID))) w->pattern = false;
    }
    for (int k = 0; k < 2; k++) {
        int copies = k == 0 && dup ? 2 : 1;
        for (int c = 0; c < copies; c++)
            CHECK(write(w->s[k].fd[1], g_dgram, len + off) == (ssize_t)(len + off));
    }
    for (int k = 0; k < 2; k++) {
        int copies = k == 0 && dup ? 2 : 1;
        for (int c = 0; c < copies; c++) {
            unsigned flags = 0;
            int r = tun_read_datagram(w->s[k].fd[0], w->vnet, k == 0 ? w->s[0].st : NULL, g_buf,
                                      sizeof g_buf, &flags, &w->s[k].ts);
            if (r > 0) synack_input_flags(w->s[k].st, w->now, g_buf, (size_t)r, flags);
        }
        /* W takes the duplicate whole, so that both saw the same datagrams. */
        if (k == 1 && dup) {
            CHECK(write(w->s[1].fd[1], g_dgram, len + off) == (ssize_t)(len + off));
            unsigned flags = 0;
            int r = tun_read_datagram(w->s[1].fd[0], w->vnet, NULL, g_buf, sizeof g_buf, &flags,
                                      &w->s[1].ts);
            if (r > 0) synack_input_flags(w->s[1].st, w->now, g_buf, (size_t)r, flags);
        }
    }
}

/* In-order data on the second connection: the hint moves to it, and back with the next
 * in-order segment of the first; read at once from both stacks and compared. */
static void seg2_op(struct fp_world *w, struct fp_in *in)
{
    uint32_t n = u16(in) % 4096u + 1u;
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    struct synack_sockinfo info;
    if (synack_getinfo(w->s[1].st, w->s[1].sd2, &info) != 0) return;
    h.sport = FP_PPORT2;
    h.dport = FP_PORT;
    h.seq = FP_ISS2 + 1 + w->sent2;
    h.ack = info.snd_nxt;
    h.flags = SYNACK_TCP_ACK;
    h.window = 65535;
    if (w->ts) {
        h.opts.has_ts = true;
        h.opts.ts_val = ++w->tsval;
    }
    for (uint32_t i = 0; i < n; i++) g_payload[i] = pat(w->sent2 + i);
    size_t off = w->vnet ? VNET_HDR_LEN : 0;
    size_t len = emit(w, g_dgram + off, FP_DGRAM - off, &h, g_payload, n);
    CHECK(len > 0);
    if (w->vnet) {
        struct vnet_hdr hv;
        memset(&hv, 0, sizeof hv);
        hv.hdr_len = (uint16_t)(len - n);
        vnet_emit(g_dgram, &hv);
    }
    for (int k = 0; k < 2; k++) {
        CHECK(write(w->s[k].fd[1], g_dgram, len + off) == (ssize_t)(len + off));
        unsigned flags = 0;
        int r = tun_read_datagram(w->s[k].fd[0], w->vnet, k == 0 ? w->s[0].st : NULL, g_buf,
                                  sizeof g_buf, &flags, &w->s[k].ts);
        if (r > 0) synack_input_flags(w->s[k].st, w->now, g_buf, (size_t)r, flags);
    }
    static uint8_t a[FP_BIG], b[FP_BIG];
    long ra = synack_recv(w->s[0].st, w->s[0].sd2, w->now, a, sizeof a);
    long rb = synack_recv(w->s[1].st, w->s[1].sd2, w->now, b, sizeof b);
    CHECK(ra == rb);
    if (ra > 0) {
        CHECK(memcmp(a, b, (size_t)ra) == 0);
        for (long i = 0; i < ra; i++) CHECK(a[i] == pat(w->sent2 + (uint32_t)i));
        w->sent2 += (uint32_t)ra;
    }
}

static void recv_op(struct fp_world *w, uint32_t max, bool discard)
{
    static uint8_t a[FP_BIG], b[FP_BIG];
    long ra, rb;
    if (discard) {
        ra = synack_recv_discard(w->s[0].st, w->s[0].sd, w->now, max);
        rb = synack_recv_discard(w->s[1].st, w->s[1].sd, w->now, max);
        CHECK(ra == rb);
    } else {
        ra = synack_recv(w->s[0].st, w->s[0].sd, w->now, a, max);
        rb = synack_recv(w->s[1].st, w->s[1].sd, w->now, b, max);
        CHECK(ra == rb);
        if (ra > 0) {
            CHECK(memcmp(a, b, (size_t)ra) == 0);
            for (long i = 0; w->pattern && i < ra; i++)
                CHECK(a[i] == pat(w->readoff + (uint32_t)i));
        }
    }
    if (ra > 0) w->readoff += (uint32_t)ra;
}

/* A connection from the peer's port sport, ISS iss, accepted by both stacks alike (c 0:
 * the one the ops play with, 1: the second, which only takes in-order data). */
static void handshake(struct fp_world *w, uint16_t sport, uint32_t iss, int c)
{
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = sport;
    h.dport = FP_PORT;
    h.seq = iss;
    h.flags = SYNACK_TCP_SYN;
    h.window = 65535;
    h.opts.has_mss = true;
    h.opts.mss = 1460;
    if (w->ts) {
        h.opts.has_ts = true;
        h.opts.ts_val = ++w->tsval;
    }
    size_t n = emit(w, g_dgram, sizeof g_dgram, &h, NULL, 0);
    for (int k = 0; k < 2; k++) synack_input(w->s[k].st, w->now, g_dgram, n);
    int a = synack_output(w->s[0].st, w->now, g_out[0], sizeof g_out[0]);
    int b = synack_output(w->s[1].st, w->now, g_out[1], sizeof g_out[1]);
    CHECK(a > 0 && a == b && memcmp(g_out[0], g_out[1], (size_t)a) == 0);
    struct synack_segment sa;
    CHECK(wire_segment_parse(g_out[0], (size_t)a, true, &sa) == 0);
    w->now += 1000;
    memset(&h.opts, 0, sizeof h.opts);
    if (w->ts) {
        h.opts.has_ts = true;
        h.opts.ts_val = ++w->tsval;
        h.opts.ts_ecr = sa.tcp.opts.ts_val;
    }
    h.seq = iss + 1;
    h.ack = sa.tcp.seq + 1;
    h.flags = SYNACK_TCP_ACK;
    n = emit(w, g_dgram, sizeof g_dgram, &h, NULL, 0);
    for (int k = 0; k < 2; k++) {
        synack_input(w->s[k].st, w->now, g_dgram, n);
        struct synack_endpoint peer;
        int sd = synack_accept(w->s[k].st, w->s[k].lsd, &peer);
        CHECK(sd >= 0);
        if (c == 0)
            w->s[k].sd = sd;
        else
            w->s[k].sd2 = sd;
    }
}

static bool setup(struct fp_world *w, uint8_t su)
{
    static const uint32_t rcvbufs[4] = {4096, 16384, 65536, 262144};
    for (int k = 0; k < 2; k++) {
        struct synack_config cfg;
        synack_config_default(&cfg);
        cfg.name = "fuzz";
        cfg.addr = synack_addr_v4(FP_LOCAL);
        cfg.addr6 = fp_local6();
        cfg.max_sockets = 8;
        cfg.rcvbuf = rcvbufs[(su >> 3) & 3];
        cfg.sndbuf = 65536;
        cfg.isn_secret_set = true;
        for (int i = 0; i < 16; i++) cfg.isn_secret[i] = (uint8_t)(0xa0 + i);
        cfg.seed = 0x5eed;
        if (k == 0 && (su & 4)) {
            cfg.trace = on_event;
            cfg.trace_ctx = &g_trace_sum;
        }
        int err = 0;
        struct fp_side *s = &w->s[k];
        s->st = synack_stack_new(&cfg, &err);
        CHECK(s->st);
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, s->fd) == 0);
        int sz = 1 << 20;
        setsockopt(s->fd[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
        setsockopt(s->fd[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
        s->lsd = synack_socket(s->st);
        CHECK(s->lsd >= 0);
        CHECK(synack_bind(s->st, s->lsd, SYNACK_ADDR_ANY, FP_PORT) == 0);
        CHECK(synack_listen(s->st, s->lsd, 4) == 0);
    }
    handshake(w, FP_PPORT, FP_ISS, 0);
    handshake(w, FP_PPORT2, FP_ISS2, 1);
    w->base = FP_ISS + 1;
    drain(w);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct fp_in in = {data, size, 0};
    struct fp_world w;
    memset(&w, 0, sizeof w);
    uint8_t su = u8(&in);
    w.ts = su & 1;
    w.vnet = su & 2;
    w.v6 = su & 0x20;
    w.now = 1000000;
    w.pattern = true;
    setup(&w, su);
    bool dup = false;
    for (int ops = 0; ops < FP_OPS && in.off < in.n; ops++) {
        uint8_t op = u8(&in);
        uint8_t x = op >> 3;
        switch (op & 7) {
        case 0:
            seg_op(&w, &in, x, dup);
            dup = false;
            break;
        case 1:
            recv_op(&w, (uint32_t)u8(&in) * 256u + 1u, x & 1);
            break;
        case 2: {
            long v = (long)u8(&in) * 512;
            for (int k = 0; k < 2; k++)
                (void)synack_setopt(w.s[k].st, w.s[k].sd, SYNACK_OPT_RCVBUF, v);
            break;
        }
        case 3:
            if (x < 4 && ((x % 3) + 1) & SYNACK_SHUT_RD) {
                /* SHUT_RD throws away what was queued: the stream's next byte read is past it. */
                struct synack_sockinfo si;
                if (synack_getinfo(w.s[1].st, w.s[1].sd, &si) == 0) w.readoff += si.rcv_queued;
            }
            for (int k = 0; k < 2; k++) {
                if (x < 4)
                    (void)synack_shutdown(w.s[k].st, w.s[k].sd, w.now, (int)(x % 3) + 1);
                else if (x == 4)
                    (void)synack_close(w.s[k].st, w.s[k].sd, w.now);
                else
                    (void)synack_abort(w.s[k].st, w.s[k].sd, w.now);
            }
            if (x >= 4) w.closed = true;
            break;
        case 4: {
            uint64_t t = u8(&in);
            w.now += x > 3 ? t * 1000000u : t * 10000u;
            break;
        }
        case 5: {
            static uint8_t buf[255 * 64 + 1];
            uint32_t n = (uint32_t)u8(&in) * 64u + 1u;
            memset(buf, 'x', n);
            long a = synack_send(w.s[0].st, w.s[0].sd, w.now, buf, n);
            long b = synack_send(w.s[1].st, w.s[1].sd, w.now, buf, n);
            CHECK(a == b);
            break;
        }
        case 6:
            dup = true;
            break;
        default:
            seg2_op(&w, &in);
            break;
        }
        drain(&w);
        if (!w.closed) compare(&w);
    }
    if (getenv("FP_STATS")) {
        /* For a reader checking that the inputs reach the placed path at all. */
        struct synack_stats sp;
        synack_get_stats(w.s[0].st, &sp);
        fprintf(stderr, "placed %llu hint-missed %llu stale %llu\n",
                (unsigned long long)sp.placed_in, (unsigned long long)w.s[0].ts.rx_hint_missed,
                (unsigned long long)sp.drop_by_reason[SYNACK_DROP_INPUT_PLACED_STALE]);
    }
    for (int k = 0; k < 2; k++) {
        close(w.s[k].fd[0]);
        close(w.s[k].fd[1]);
        synack_stack_free(w.s[k].st);
    }
    return 0;
}
