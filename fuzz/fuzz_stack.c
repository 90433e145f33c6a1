/*
 * fuzz/fuzz_stack.c - libFuzzer target for the whole stack: two stacks on the simulated link
 * (src/dev/sim.c) with a connection set up, and the input as a script of what happens next.
 *
 * Stack A (10.0.0.1 and fd00::1) and stack B (10.0.0.2 and fd00::2) are dual-stack and both
 * listen on port 80 of both families; before the script runs, A connects to B and B
 * accepts, so the script starts from ESTABLISHED. B's rings share a small stack-wide limit
 * (cfg.mem_max, FS_MEM_MAX), checked after every op with its account. The input is:
 *
 *   [setup byte] [op] [op] ...
 *
 * setup: bit 0 CUBIC (else NewReno), bit 1 a 10 ms link (else 1 ms), bit 2 a 10 Mbit/s
 * bottleneck (else infinite), bit 3 Nagle off on the first connection, bit 4 the world's
 * family is IPv6 (else IPv4): the first connection's, and that of the segments injected
 * where there is no connection, bit 5 the stacks trace (every segment event is checked: its
 * connection's addresses are of the segment's family), bit 6 Linux's choices on both stacks
 * (cfg.sndbuf_linux, slow_start_limit 0, rtt_every_ack, rto_min_on_var, hystart_linux),
 * bit 7 a 256 KiB receive buffer that auto-tuning grows from 64 KiB. Each op is one byte,
 * low 4 bits the operation, bit 4 the side (0 = A, 1 = B), bits 5-7 an argument `x` (which
 * socket, mostly), followed by the operation's own bytes (0 when the input has run out):
 *
 *   0 STEP     [t]           the clock advances (t+1) * 100 us; the link and timers run
 *   1 SLEEP    [t]           the clock advances t * 50 ms (RTO, delayed ACK, keepalive, 2MSL)
 *   2 SEND     [n]           send (n*64)+1 bytes on socket x of side
 *   3 RECV     [n]           recv up to (n*64)+1 bytes (n odd: synack_recv_discard)
 *   4 SHUTDOWN               shutdown(x % 3 + 1)
 *   5 CLOSE                  close socket x
 *   6 ABORT                  abort socket x
 *   7 CONNECT  [p]           a new socket of side connects to the other side, port 80 + p%3
 *                            (80 listens, the others are closed), over the world's family,
 *                            or the other one when p's bit 7 is set
 *   8 ACCEPT                 accept on side's listener
 *   9 SETOPT   [o][v]        setopt(o) = v on socket x; the ring sizes (SO_SNDBUF, SO_RCVBUF)
 *                            are set to v*64 bytes (at most FS_BUF_MAX), a live connection's
 *                            rings resized
 *   10 INJECT  [f][s:2][a:2][w:2][o][n]
 *                            a spoofed TCP segment into side, from the peer of socket x
 *                            (its 4-tuple reversed, its family): flags f (+ bit 8 from x), SEQ =
 *                            socket's RCV.NXT + s (signed), ACK = its SND.UNA + a (signed),
 *                            window w, options by the bits of o (MSS, WS, SACK-permitted,
 *                            TS, SACK blocks around SND.UNA), n*8 bytes of payload
 *   11 RAW     [n][bytes]    n bytes as a datagram into side, readdressed from the peer and
 *                            with checksums fixed when it parses as IPv4 (+TCP); starting
 *                            with version 6, readdressed, its payload length set to the rest,
 *                            and the TCP or ICMPv6 checksum fixed where the extension-header
 *                            walk finds one (extension headers, fragments, echo requests)
 *   12 MANGLE  [o][m]        the next datagram side sends has byte o xored with m (m=0: 0x80),
 *                            with checksums then fixed when x is odd
 *   13 DROP                  the next x+1 datagrams side sends are lost
 *   14 ICMP    [t]           an ICMP error into side quoting socket x's last segment:
 *                            unreachable (port, host, frag-needed MTU 576+t*4), time exceeded;
 *                            on an IPv6 connection an ICMPv6 error: unreachable (port, address),
 *                            packet too big (MTU 1000+t*4, the 1280 floor below), time
 *                            exceeded, parameter problem
 *   15 NEXT                  the clock jumps to the next deadline (a timer or the link)
 *
 * After every step of the clock and every op, for every socket of both stacks:
 * SND.UNA <= SND.NXT, SND.NXT - SND.UNA <= bytes in the send ring + 2 (SYN, FIN), the rings
 * within their size, the receive window within the ring, cwnd at least one byte once
 * synchronized, the RTO within [rto_min, rto_max] (RFC 6298 §2.4, §2.5); and every datagram a stack
 * sends is well-formed with good checksums, from its own address of the datagram's family, no
 * larger than the link's MTU (an ICMPv6 error no larger than 1280 bytes, RFC 4443 §2.4(c)), an IPv6
 * segment with a flow label (RFC 6437), whatever came in. At the end every socket is closed, the
 * clock runs until both stacks are idle, and they are freed: LeakSanitizer sees any leak.
 *
 *   make fuzz    (or: build-fuzz/fuzz_stack fuzz/corpus/fuzz_stack)
 */
#include <stdlib.h>
#include <string.h>

#include "synack/dev.h"
#include "synack/synack.h"
#include "synack/trace.h"
#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

#define FS_ADDR_A    0x0a000001u
#define FS_ADDR_B    0x0a000002u
#define FS_MTU       1500
#define FS_PORT      80
#define FS_SOCKETS   16
#define FS_HALF_OPEN 8 /* request records: a few SYNs fill them, then cookies answer */
#define FS_TIME_WAIT 4 /* TIME-WAIT entries, sockets and records (cfg.max_time_wait) */
#define FS_RING      8192
#define FS_BUF_MAX   16320         /* SO_SNDBUF / SO_RCVBUF from SETOPT: 255 * 64 at most */
#define FS_RCV_BIG   (256u * 1024) /* setup bit 7: the receive buffer auto-tuning grows */
#define FS_SND_SLACK (2u * 65536)  /* cfg.sndbuf_linux: one send may fill a buffer past sndbuf */
/* Stack B's cfg.mem_max: a few connections' rings fill it, so that its pressure, the
 * refusals at the limit and the reclaim of out-of-order data (tcp/tcp_mem.c) are fuzzed;
 * A keeps the default. */
#define FS_MEM_MAX  (40u * 1024)
#define FS_MAX_OPS  2000
#define FS_MAX_RUNS 3000 /* sim steps per op, a bound against a stack that never settles */

struct fs_world;

/* Each side's device: the sim link's end, with a hook that checks and may drop or mangle
 * what the stack sends. */
struct fs_dev {
    struct synack_dev dev;
    synack_dev *inner;
    struct fs_world *w;
    int side;
};

struct fs_world {
    synack_stack *st[2];
    synack_sim_link *link;
    struct fs_dev dev[2];
    uint64_t now;
    int listener[2];
    int sds[2][FS_SOCKETS]; /* the application's sockets on each side, -1 when closed */
    int nsd[2];
    int drop[2]; /* datagrams still to drop */
    bool mangle[2], mangle_fix[2];
    uint16_t mangle_off[2];
    uint8_t mangle_xor[2];
    bool v6;                   /* the world's family (setup bit 4) */
    uint32_t snd_max, rcv_max; /* the largest the rings may hold (setup bits 6, 7) */
};

struct fs_input {
    const uint8_t *p;
    size_t n, off;
};

static uint8_t fs_u8(struct fs_input *in)
{
    return in->off < in->n ? in->p[in->off++] : 0;
}

static uint16_t fs_u16(struct fs_input *in)
{
    uint16_t hi = fs_u8(in);
    return (uint16_t)(hi << 8 | fs_u8(in));
}

static uint32_t fs_addr(int side)
{
    return side ? FS_ADDR_B : FS_ADDR_A;
}

/* Side's IPv6 address: fd00::1 for A, fd00::2 for B. */
static struct synack_addr fs_addr6(int side)
{
    uint8_t b[16] = {0xfd, 0x00};
    b[15] = (uint8_t)(side + 1);
    return synack_addr_v6(b);
}

static struct synack_addr fs_addr_of(int side, bool v6)
{
    return v6 ? fs_addr6(side) : synack_addr_v4(fs_addr(side));
}

/* Fixes the upper-layer checksum (TCP or ICMPv6, wherever the extension-header walk finds
 * it) of the IPv6 datagram pkt[0..len), whose payload length it sets to the rest. */
static void fs_fix_checksums6(uint8_t *pkt, size_t len)
{
    if (len < WIRE_IPV6_HDR_LEN || len - WIRE_IPV6_HDR_LEN > 0xffff) return;
    wire_put16(pkt + 4, (uint16_t)(len - WIRE_IPV6_HDR_LEN));
    struct synack_ipv6_hdr h;
    wire_ipv6_fields(pkt, &h);
    if (wire_ipv6_walk(pkt, len, false, &h) != 0) return;
    size_t off = h.upper_offset, n = len - off;
    size_t at = h.next_header == SYNACK_IPPROTO_TCP      ? 16
                : h.next_header == SYNACK_IPPROTO_ICMPV6 ? 2
                                                         : 0;
    if (!at || n < at + 2) return;
    wire_put16(pkt + off + at, 0);
    uint32_t sum = wire_pseudo_sum6(pkt + 8, pkt + 24, h.next_header, (uint32_t)n);
    wire_put16(pkt + off + at, wire_csum_fold(wire_csum_add(sum, pkt + off, n)));
}

/* Fixes the IPv4 header checksum and, for TCP, the TCP checksum of pkt[0..len). */
static void fs_fix_checksums(uint8_t *pkt, size_t len)
{
    if (len >= 1 && (pkt[0] >> 4) == 6) {
        fs_fix_checksums6(pkt, len);
        return;
    }
    if (len < 20 || (pkt[0] >> 4) != 4) return;
    size_t ihl = (size_t)(pkt[0] & 15) * 4;
    if (ihl < 20 || ihl > len) return;
    size_t total = wire_get16(pkt + 2);
    if (total < ihl || total > len) return;
    wire_put16(pkt + 10, 0);
    wire_put16(pkt + 10, wire_csum_fold(wire_csum_add(0, pkt, ihl)));
    if (pkt[9] == SYNACK_IPPROTO_TCP && total - ihl >= 20) {
        uint8_t *tcp = pkt + ihl;
        size_t tlen = total - ihl;
        wire_put16(tcp + 16, 0);
        uint32_t sum = wire_pseudo_sum(wire_get32(pkt + 12), wire_get32(pkt + 16),
                                       SYNACK_IPPROTO_TCP, (uint16_t)tlen);
        wire_put16(tcp + 16, wire_csum_fold(wire_csum_add(sum, tcp, tlen)));
    }
}

static int fs_dev_send(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len)
{
    struct fs_dev *fd = (struct fs_dev *)d;
    struct fs_world *w = fd->w;
    int side = fd->side;
    /* What a stack sends is always well-formed: a broken emitter is a bug, whatever came in. */
    CHECK(len <= FS_MTU);
    if (len >= 1 && pkt[0] >> 4 == 6) {
        struct synack_ipv6_hdr ip;
        const uint8_t *pl;
        size_t plen;
        CHECK(wire_ipv6_parse(pkt, len, &ip, &pl, &plen) == 0);
        CHECK(ip.ext_count == 0 && ip.hop_limit == 64);
        struct synack_addr own = fs_addr6(side);
        CHECK(memcmp(ip.src, own.bytes, 16) == 0);
        if (ip.next_header == SYNACK_IPPROTO_TCP) {
            struct synack_segment seg;
            CHECK(wire_segment_parse(pkt, len, true, &seg) == 0);
            CHECK(ip.flow_label != 0);
        } else {
            struct synack_icmp6 ic;
            CHECK(ip.next_header == SYNACK_IPPROTO_ICMPV6);
            CHECK(wire_icmp6_parse(pl, plen, ip.src, ip.dst, &ic) == 0);
            if (ic.type < 128) CHECK(len <= WIRE_IPV6_MIN_MTU);
        }
    } else {
        struct synack_ipv4_hdr ip;
        const uint8_t *pl;
        size_t plen;
        CHECK(wire_ipv4_parse(pkt, len, &ip, &pl, &plen) == 0);
        CHECK(ip.src == fs_addr(side));
        if (ip.proto == SYNACK_IPPROTO_TCP) {
            struct synack_segment seg;
            CHECK(wire_segment_parse(pkt, len, true, &seg) == 0);
        } else if (ip.proto == SYNACK_IPPROTO_ICMP) {
            struct synack_icmp ic;
            CHECK(wire_icmp_parse(pl, plen, &ic) == 0);
        }
    }
    if (w->drop[side] > 0) {
        w->drop[side]--;
        return 0;
    }
    if (w->mangle[side]) {
        static uint8_t copy[65536];
        w->mangle[side] = false;
        memcpy(copy, pkt, len);
        copy[w->mangle_off[side] % len] ^= w->mangle_xor[side];
        if (w->mangle_fix[side]) fs_fix_checksums(copy, len);
        return synack_dev_send(fd->inner, now, copy, len);
    }
    return synack_dev_send(fd->inner, now, pkt, len);
}

static int fs_dev_recv(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
    return synack_dev_recv(((struct fs_dev *)d)->inner, now, buf, cap);
}

static uint64_t fs_dev_deadline(const synack_dev *d)
{
    return synack_dev_next_deadline(((const struct fs_dev *)d)->inner);
}

static const struct synack_dev_ops fs_dev_ops = {
    .send = fs_dev_send, .recv = fs_dev_recv, .next_deadline = fs_dev_deadline, .free = NULL};

/* The trace stream, when setup asks for it: a segment event names its connection by
 * addresses of the segment's own family, and carries its datagram. */
static void fs_trace(void *ctx, const struct synack_trace_event *ev)
{
    (void)ctx;
    if ((ev->kind != SYNACK_TRACE_SEG_IN && ev->kind != SYNACK_TRACE_SEG_OUT) || !ev->has_seg)
        return;
    CHECK(ev->pkt && ev->pkt_len > 0);
    CHECK(ev->seg.family == ev->local_addr.family && ev->seg.family == ev->remote_addr.family);
    CHECK(ev->local_port && ev->remote_port);
}

static void fs_check(struct fs_world *w)
{
    for (int side = 0; side < 2; side++) {
        for (int sd = 0; sd < FS_SOCKETS; sd++) {
            struct synack_sockinfo in;
            if (synack_getinfo(w->st[side], sd, &in) != 0) continue;
            CHECK(in.state >= SYNACK_CLOSED && in.state <= SYNACK_TIME_WAIT);
            CHECK(in.snd_queued <= w->snd_max && in.rcv_queued <= w->rcv_max);
            if (in.state <= SYNACK_LISTEN) continue;
            uint32_t flight = in.snd_nxt - in.snd_una;
            CHECK((int32_t)flight >= 0); /* SND.UNA <= SND.NXT */
            CHECK(flight <= in.snd_queued + 2);
            CHECK(in.rcv_wnd <= w->rcv_max);
            /* RFC 6298 §2.4, §2.5: the RTO (before backoff) within its bounds, whatever
             * the samples; and a synchronized connection's window never empty. */
            CHECK(in.rto_us >= 200000 && in.rto_us <= 60000000);
            if (in.state >= SYNACK_ESTABLISHED) CHECK(in.cwnd > 0);
        }
        struct synack_stats st;
        synack_get_stats(w->st[side], &st);
        uint32_t socks = 0;
        for (int i = 0; i < 11; i++) socks += st.sockets_by_state[i];
        /* A half-open connection is a request record, not a socket, but it is counted in
         * sockets_by_state[SYN-RECEIVED] too (synack.h), and a compact TIME-WAIT record
         * (tcp/tcp_tw.c) in sockets_by_state[TIME-WAIT]: the slots are the rest. With every
         * slot taken (sockets the application holds, reset children kept for accept) one
         * record more is no leak. */
        uint32_t records = st.half_open + st.time_wait_records;
        CHECK(records <= socks && socks - records <= FS_SOCKETS);
        CHECK(st.time_wait_records <= FS_TIME_WAIT);
        CHECK(st.half_open <= FS_HALF_OPEN);
        /* The memory account is exact (the rings' sizes, walked) and B's within its limit. */
        CHECK(st.mem_held == st.ring_bytes);
        if (side == 1) CHECK(st.mem_held <= FS_MEM_MAX);
    }
}

/* Runs the link and both stacks from now to until (inclusive). */
static void fs_run(struct fs_world *w, uint64_t until)
{
    synack_dev *devs[2] = {&w->dev[0].dev, &w->dev[1].dev};
    for (int i = 0; i < FS_MAX_RUNS; i++) {
        uint64_t next = synack_sim_step(w->st, devs, 2, w->now);
        fs_check(w);
        if (next > until) break;
        w->now = next;
    }
    if (w->now < until) {
        w->now = until;
        synack_sim_step(w->st, devs, 2, w->now);
        fs_check(w);
    }
}

static uint64_t fs_next_deadline(struct fs_world *w)
{
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < 2; i++) {
        uint64_t a = synack_next_deadline(w->st[i]);
        uint64_t b = synack_dev_next_deadline(&w->dev[i].dev);
        if (a < next) next = a;
        if (b < next) next = b;
    }
    return next;
}

static void fs_add_sd(struct fs_world *w, int side, int sd)
{
    if (sd < 0) return;
    for (int i = 0; i < w->nsd[side]; i++)
        if (w->sds[side][i] < 0) {
            w->sds[side][i] = sd;
            return;
        }
    if (w->nsd[side] < FS_SOCKETS)
        w->sds[side][w->nsd[side]++] = sd;
    else
        synack_close(w->st[side], sd, w->now);
}

/* Socket number x of side, or -1. */
static int *fs_sd(struct fs_world *w, int side, int x)
{
    if (w->nsd[side] == 0) return NULL;
    int *sd = &w->sds[side][x % w->nsd[side]];
    return *sd >= 0 ? sd : NULL;
}

static bool fs_setup(struct fs_world *w, uint8_t setup)
{
    memset(w, 0, sizeof *w);
    w->v6 = setup & 16;
    w->snd_max = FS_BUF_MAX + (setup & 64 ? FS_SND_SLACK : 0);
    /* The ring holds the buffer plus the slack of its window scale (at most 2^14). */
    w->rcv_max = (setup & 128 ? FS_RCV_BIG : FS_BUF_MAX) + (1u << 14);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = setup & 2 ? 10000 : 1000;
    lc.bandwidth_bps = setup & 4 ? 10000000 : 0;
    lc.queue_limit = 64;
    w->link = synack_sim_link_new(&lc);
    if (!w->link) return false;
    for (int side = 0; side < 2; side++) {
        struct synack_config cfg;
        synack_config_default(&cfg);
        cfg.name = side ? "B" : "A";
        cfg.addr = synack_addr_v4(fs_addr(side));
        cfg.addr6 = fs_addr6(side);
        cfg.prefix6_len = 64;
        cfg.max_sockets = FS_SOCKETS;
        cfg.sndbuf = cfg.rcvbuf = FS_RING;
        cfg.max_backlog = 4;
        cfg.max_half_open = FS_HALF_OPEN;
        cfg.max_time_wait = FS_TIME_WAIT;
        cfg.out_queue = 64;
        cfg.msl_us = 1000000;
        cfg.syn_retries = 3;
        cfg.data_retries = 4;
        cfg.isn_secret_set = true;
        cfg.isn_secret[0] = (uint8_t)(side + 1);
        cfg.seed = (uint64_t)side + 1;
        cfg.cc = setup & 1 ? "cubic" : "newreno";
        if (setup & 32) cfg.trace = fs_trace;
        if (setup & 64) {
            cfg.sndbuf_linux = true;
            cfg.slow_start_limit = 0;
            cfg.rtt_every_ack = true;
            cfg.rto_min_on_var = true;
            cfg.hystart_linux = true;
        }
        if (setup & 128) cfg.rcvbuf = FS_RCV_BIG;
        if (side == 1) cfg.mem_max = FS_MEM_MAX;
        int err;
        w->st[side] = synack_stack_new(&cfg, &err);
        if (!w->st[side]) return false;
        w->dev[side] =
            (struct fs_dev){.inner = synack_sim_end(w->link, side), .w = w, .side = side};
        w->dev[side].dev = (struct synack_dev){.ops = &fs_dev_ops, .mtu = FS_MTU, .name = cfg.name};
        w->listener[side] = synack_socket(w->st[side]);
        if (synack_bind(w->st[side], w->listener[side], SYNACK_ADDR_ANY, FS_PORT) != 0)
            return false;
        if (synack_listen(w->st[side], w->listener[side], 4) != 0) return false;
    }
    w->now = 1000000;
    int c = synack_socket(w->st[0]);
    if (setup & 8) synack_setopt(w->st[0], c, SYNACK_OPT_NODELAY, 1);
    if (synack_connect(w->st[0], c, w->now, fs_addr_of(1, w->v6), FS_PORT) != SYNACK_EINPROGRESS)
        return false;
    fs_add_sd(w, 0, c);
    fs_run(w, w->now + 100000);
    int a = synack_accept(w->st[1], w->listener[1], NULL);
    if (a < 0 || !(synack_events(w->st[0], c) & SYNACK_EV_CONNECTED)) return false;
    fs_add_sd(w, 1, a);
    return true;
}

/* A spoofed segment into side, as if from the peer of socket sd. */
static void fs_inject(struct fs_world *w, int side, int sd, uint16_t flags9, struct fs_input *in)
{
    static uint8_t pkt[2048], payload[2048];
    struct synack_sockinfo si;
    uint8_t f = fs_u8(in);
    int16_t ds = (int16_t)fs_u16(in), da = (int16_t)fs_u16(in);
    uint16_t win = fs_u16(in);
    uint8_t o = fs_u8(in), n = fs_u8(in);
    struct synack_tcp_hdr th = {0};
    struct synack_addr src, dst;
    if (sd >= 0 && synack_getinfo(w->st[side], sd, &si) == 0 && si.remote.port) {
        src = si.remote.addr;
        dst = si.local.addr;
        th.sport = si.remote.port;
        th.dport = si.local.port;
        th.seq = si.rcv_nxt + (uint32_t)(int32_t)ds;
        th.ack = si.snd_una + (uint32_t)(int32_t)da;
    } else {
        /* no connection: a segment to the listener from a port of the input's choosing */
        src = fs_addr_of(!side, w->v6);
        dst = fs_addr_of(side, w->v6);
        th.sport = (uint16_t)(1024 + (uint16_t)ds);
        th.dport = FS_PORT;
        th.seq = (uint32_t)(int32_t)ds * 65537u;
        th.ack = (uint32_t)(int32_t)da * 65537u;
        si.snd_una = th.ack;
    }
    th.flags = (uint16_t)(flags9 | f);
    th.window = win;
    th.opts.has_mss = o & 1;
    th.opts.mss = (uint16_t)(win % 1460 + 1);
    th.opts.has_wscale = o & 2;
    th.opts.wscale = (uint8_t)(n % 16);
    th.opts.sack_permitted = o & 4;
    th.opts.has_ts = o & 8;
    th.opts.ts_val = (uint32_t)(w->now / 1000) + (uint32_t)(int32_t)ds;
    th.opts.ts_ecr = (uint32_t)(w->now / 1000) - (uint32_t)da;
    th.opts.sack_count = (uint8_t)((o >> 4) % (SYNACK_TCP_MAX_SACK + 1));
    for (int i = 0; i < th.opts.sack_count; i++) {
        th.opts.sack[i].left = si.snd_una + (uint32_t)(i * 1000) + (uint32_t)(o & 0x80 ? 0 : 500);
        th.opts.sack[i].right = th.opts.sack[i].left + 500u + (uint32_t)n * 8u;
    }
    size_t plen = (size_t)n * 8;
    memset(payload, 'i', plen);
    size_t len;
    if (src.family == SYNACK_AF_INET6) {
        struct synack_ipv6_hdr ip6 = {.hop_limit = 64, .flow_label = ds & 0xfffff};
        memcpy(ip6.src, src.bytes, 16);
        memcpy(ip6.dst, dst.bytes, 16);
        len = wire_segment_emit6(pkt, sizeof pkt, &ip6, &th, payload, plen);
    } else {
        struct synack_ipv4_hdr ip = {.ttl = 64, .proto = SYNACK_IPPROTO_TCP, .frag = 0x4000};
        ip.src = synack_addr_to_v4(&src);
        ip.dst = synack_addr_to_v4(&dst);
        len = wire_segment_emit(pkt, sizeof pkt, &ip, &th, payload, plen);
    }
    if (len) synack_input(w->st[side], w->now, pkt, len);
}

/* An ICMP error into side quoting the last segment socket sd could have sent. */
/* An ICMPv6 error into side quoting what socket si's last segment could have been: its IPv6
 * header (whose payload length says the segment was longer, as a router's truncated quote
 * does) and TCP header. */
static void fs_icmp6(struct fs_world *w, int side, const struct synack_sockinfo *si, uint8_t x,
                     uint8_t t)
{
    static const uint8_t kinds[5][2] = {{SYNACK_ICMP6_UNREACH, 4},
                                        {SYNACK_ICMP6_UNREACH, 3},
                                        {SYNACK_ICMP6_PACKET_TOO_BIG, 0},
                                        {SYNACK_ICMP6_TIME_EXCEEDED, 0},
                                        {SYNACK_ICMP6_PARAM_PROBLEM, 0}};
    const uint8_t *k = kinds[x % 5];
    uint8_t quote[80], pkt[256];
    struct synack_ipv6_hdr ip = {.hop_limit = 64};
    memcpy(ip.src, si->local.addr.bytes, 16);
    memcpy(ip.dst, si->remote.addr.bytes, 16);
    struct synack_tcp_hdr th = {0};
    th.sport = si->local.port;
    th.dport = si->remote.port;
    th.seq = si->snd_una + (uint32_t)(t & 0xf0);
    th.ack = si->rcv_nxt;
    th.flags = SYNACK_TCP_ACK;
    size_t qlen = wire_segment_emit6(quote, sizeof quote, &ip, &th, NULL, 0);
    if (!qlen) return;
    wire_put16(quote + 4, (uint16_t)(20 + (t & 0x0f) * 100));
    uint32_t param = k[0] == SYNACK_ICMP6_PACKET_TOO_BIG ? 1000u + t * 4u : t;
    const uint8_t *from = si->remote.addr.bytes; /* as if from the peer, or a router */
    size_t ilen = wire_icmp6_emit_error(pkt + WIRE_IPV6_HDR_LEN, sizeof pkt - WIRE_IPV6_HDR_LEN,
                                        from, si->local.addr.bytes, k[0], k[1], param, quote, qlen);
    if (!ilen) return;
    struct synack_ipv6_hdr oip = {.hop_limit = 64, .next_header = SYNACK_IPPROTO_ICMPV6};
    memcpy(oip.src, from, 16);
    memcpy(oip.dst, si->local.addr.bytes, 16);
    if (wire_ipv6_emit(pkt, sizeof pkt, &oip, ilen) == WIRE_IPV6_HDR_LEN)
        synack_input(w->st[side], w->now, pkt, WIRE_IPV6_HDR_LEN + ilen);
}

static void fs_icmp(struct fs_world *w, int side, int sd, uint8_t x, uint8_t t)
{
    struct synack_sockinfo si;
    if (sd < 0 || synack_getinfo(w->st[side], sd, &si) != 0 || !si.remote.port) return;
    if (si.local.addr.family == SYNACK_AF_INET6) {
        fs_icmp6(w, side, &si, x, t);
        return;
    }
    static const uint8_t kinds[4][2] = {{3, 3}, {3, 1}, {3, 4}, {11, 0}};
    const uint8_t *k = kinds[x % 4];
    uint8_t quote[40], pkt[128];
    struct synack_ipv4_hdr ip = {.ttl = 64, .proto = SYNACK_IPPROTO_TCP, .frag = 0x4000};
    ip.src = synack_addr_to_v4(&si.local.addr);
    ip.dst = synack_addr_to_v4(&si.remote.addr);
    struct synack_tcp_hdr th = {0};
    th.sport = si.local.port;
    th.dport = si.remote.port;
    th.seq = si.snd_una + (uint32_t)(t & 0xf0);
    th.ack = si.rcv_nxt;
    th.flags = SYNACK_TCP_ACK;
    size_t qlen = wire_segment_emit(quote, sizeof quote, &ip, &th, NULL, 0);
    if (!qlen) return;
    size_t ilen = wire_icmp_emit_error(pkt + 20, sizeof pkt - 20, k[0], k[1],
                                       (uint16_t)(576 + t * 4), quote, qlen);
    if (!ilen) return;
    struct synack_ipv4_hdr oip = {.ttl = 64, .proto = SYNACK_IPPROTO_ICMP};
    oip.src = synack_addr_to_v4(&si.remote.addr); /* as if from the peer, or a router */
    oip.dst = synack_addr_to_v4(&si.local.addr);
    oip.total_len = (uint16_t)(20 + ilen);
    size_t hl = wire_ipv4_emit(pkt, sizeof pkt, &oip, ilen);
    if (hl == 20) synack_input(w->st[side], w->now, pkt, 20 + ilen);
}

static void fs_raw(struct fs_world *w, int side, struct fs_input *in)
{
    static uint8_t pkt[256];
    size_t n = fs_u8(in);
    if (n > in->n - in->off) n = in->n - in->off;
    memcpy(pkt, in->p + in->off, n);
    in->off += n;
    if (n >= 20 && (pkt[0] >> 4) == 4) {
        size_t ihl = (size_t)(pkt[0] & 15) * 4;
        if (ihl >= 20 && ihl <= n) {
            wire_put16(pkt + 2, (uint16_t)n);
            wire_put32(pkt + 12, fs_addr(!side));
            wire_put32(pkt + 16, fs_addr(side));
            fs_fix_checksums(pkt, n);
        }
    } else if (n >= WIRE_IPV6_HDR_LEN && (pkt[0] >> 4) == 6) {
        /* From the peer to side, unless the input asks (hop limit 0xff) to keep its own
         * addresses: invalid sources and other destinations are paths too. */
        if (pkt[7] != 0xff) {
            memcpy(pkt + 8, fs_addr6(!side).bytes, 16);
            memcpy(pkt + 24, fs_addr6(side).bytes, 16);
        }
        fs_fix_checksums6(pkt, n);
    }
    synack_input(w->st[side], w->now, pkt, n);
}

static void fs_op(struct fs_world *w, struct fs_input *in)
{
    static uint8_t buf[16384];
    uint8_t b = fs_u8(in);
    int op = b & 15, side = (b >> 4) & 1, x = b >> 5;
    synack_stack *s = w->st[side];
    int *sdp = fs_sd(w, side, x);
    int sd = sdp ? *sdp : -1;
    switch (op) {
    case 0:
        fs_run(w, w->now + ((uint64_t)fs_u8(in) + 1) * 100);
        break;
    case 1:
        fs_run(w, w->now + (uint64_t)fs_u8(in) * 50000);
        break;
    case 2: {
        uint8_t v = fs_u8(in);
        size_t n = (size_t)v * 64 + 1;
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)('a' + i % 26);
        if (sd >= 0) {
            /* Odd sizes from side 0 are zero-copy sends with transmit timestamps: buf is
             * static, so the lent bytes stay valid whatever the stack does with them. */
            unsigned flags = 0;
            if ((v & 1) && side == 0) {
                (void)synack_setopt(s, sd, SYNACK_OPT_ZEROCOPY, 1);
                (void)synack_setopt(s, sd, SYNACK_OPT_TIMESTAMPING,
                                    SYNACK_TS_TX_SCHED | SYNACK_TS_TX_SOFTWARE | SYNACK_TS_TX_ACK |
                                        SYNACK_TS_OPT_ID);
                flags = SYNACK_SEND_ZEROCOPY;
            }
            long r = synack_send_flags(s, sd, w->now, buf, n, flags);
            CHECK(r <= (long)n);
        }
        break;
    }
    case 3: {
        uint8_t v = fs_u8(in);
        size_t n = (size_t)v * 64 + 1;
        if (sd >= 0) {
            long r =
                v & 1 ? synack_recv_discard(s, sd, w->now, n) : synack_recv(s, sd, w->now, buf, n);
            CHECK(r <= (long)n);
            /* Notices come in order: zero-copy ids never go backwards. */
            struct synack_notice nt;
            while (synack_next_notice(s, sd, &nt) == 1)
                CHECK(nt.kind != SYNACK_NOTICE_ZEROCOPY || nt.hi - nt.lo < 1u << 20);
        }
        break;
    }
    case 4:
        if (sd >= 0) synack_shutdown(s, sd, w->now, x % 3 + 1);
        break;
    case 5:
        if (sd >= 0) {
            CHECK(synack_close(s, sd, w->now) == 0);
            *sdp = -1;
        }
        break;
    case 6:
        if (sd >= 0) {
            synack_abort(s, sd, w->now);
            *sdp = -1;
        }
        break;
    case 7: {
        uint8_t p = fs_u8(in);
        int c = synack_socket(s);
        if (c >= 0) {
            synack_connect(s, c, w->now, fs_addr_of(!side, w->v6 != (p >> 7)),
                           (uint16_t)(FS_PORT + p % 3));
            fs_add_sd(w, side, c);
        }
        break;
    }
    case 8:
        fs_add_sd(w, side, synack_accept(s, w->listener[side], NULL));
        break;
    case 9: {
        int o = fs_u8(in) % 10 + 1;
        long v = fs_u8(in);
        if (o == SYNACK_OPT_SNDBUF || o == SYNACK_OPT_RCVBUF) v *= 64;
        if (sd >= 0) synack_setopt(s, sd, o, v);
        break;
    }
    case 10:
        fs_inject(w, side, sd, (uint16_t)((x & 1) << 8), in);
        break;
    case 11:
        fs_raw(w, side, in);
        break;
    case 12:
        w->mangle[side] = true;
        w->mangle_fix[side] = x & 1;
        w->mangle_off[side] = fs_u8(in);
        w->mangle_xor[side] = fs_u8(in);
        if (!w->mangle_xor[side]) w->mangle_xor[side] = 0x80;
        break;
    case 13:
        w->drop[side] = x + 1;
        break;
    case 14:
        fs_icmp(w, side, sd, (uint8_t)x, fs_u8(in));
        break;
    default: {
        uint64_t next = fs_next_deadline(w);
        if (next != UINT64_MAX && next > w->now) fs_run(w, next);
        break;
    }
    }
    fs_check(w);
}

static void fs_teardown(struct fs_world *w)
{
    w->drop[0] = w->drop[1] = 0;
    w->mangle[0] = w->mangle[1] = false;
    for (int side = 0; side < 2; side++) {
        if (!w->st[side]) continue;
        for (int i = 0; i < w->nsd[side]; i++)
            if (w->sds[side][i] >= 0) synack_close(w->st[side], w->sds[side][i], w->now);
        synack_close(w->st[side], w->listener[side], w->now);
    }
    /* Let every timer run out: retransmissions give up, TIME-WAIT ends. */
    if (w->st[0] && w->st[1]) {
        for (int i = 0; i < 200; i++) {
            uint64_t next = fs_next_deadline(w);
            if (next == UINT64_MAX) break;
            fs_run(w, next > w->now ? next : w->now + 1);
        }
    }
    for (int side = 0; side < 2; side++) synack_stack_free(w->st[side]);
    synack_sim_link_free(w->link);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fs_world w;
    struct fs_input in = {.p = data, .n = size, .off = 0};
    bool ok = fs_setup(&w, fs_u8(&in));
    if (ok)
        for (int i = 0; i < FS_MAX_OPS && in.off < in.n; i++) fs_op(&w, &in);
    fs_teardown(&w);
    CHECK(ok); /* the setup is the same for every input and must work */
    return 0;
}
