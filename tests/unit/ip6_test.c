/*
 * ip6_test.c - the IPv6 paths of the whole stack, one stack against a scripted IPv6 peer and
 * an integer clock: the handshake both ways, which listener takes which family, connect's
 * and bind's errors, SYN cookies over the IPv6 4-tuple, ICMPv6 (echo, packet too big,
 * unreachable), RFC 8200 §4's rules for extension headers and the errors they ask for
 * (RFC 4443 §2.4: never about an error, never to multicast, rate-limited), invalid
 * sources, the config's rules, and every truncation of a segment and of an ICMPv6 message.
 *
 * The stack is 10.0.0.1/24 and fd00::1/64 (MTU 1500); the peer fd00::2 (and 10.0.0.2) lives
 * only here: its datagrams are built with the wire layer (wire_segment_emit6,
 * wire_icmp6_emit_*, wire_ipv6_emit, extension headers laid out by hand) and fed to
 * synack_input; what the stack sends is taken with synack_output and parsed, checksums
 * verified. Time is w.now, moved only by the test.
 */
#include "synack/synack.h"
#include "synack/trace.h"
#include "test.h"
#include "wire/wire.h"

#define US4       0x0a000001u
#define PEER4     0x0a000002u
#define US6       "fd00::1"
#define PEER6     "fd00::2"
#define ROUTER6   "fd00::fe"
#define SRV_PORT  80
#define PEER_PORT 40000
#define PEER_ISS  1000000u
#define MAX_EV    512

struct ev {
    int kind, sd;
    struct synack_addr local, remote;
    uint16_t lport, rport;
    uint8_t seg_family;
    bool has_seg;
};

struct w6 {
    synack_stack *st;
    struct synack_config cfg;
    uint64_t now;
    uint8_t rx[2048]; /* the last datagram the stack sent */
    int rxlen;
    struct synack_segment seg; /* it, parsed, when it was TCP */
    struct ev ev[MAX_EV];
    int nev;
    /* a connection made by established6() */
    int lsd, sd;
    uint16_t pport;
    uint32_t iss, snd_nxt, rcv_nxt;
};

static struct synack_addr A(const char *text) {
    struct synack_addr a;
    ASSERT_EQ(synack_addr_parse(text, &a), 0);
    return a;
}

static void
on_trace(void *ctx, const struct synack_trace_event *e)
{
    struct w6 *w = ctx;
    if (w->nev >= MAX_EV) return;
    w->ev[w->nev++] = (struct ev){.kind = e->kind,
                                  .sd = e->sd,
                                  .local = e->local_addr,
                                  .remote = e->remote_addr,
                                  .lport = e->local_port,
                                  .rport = e->remote_port,
                                  .seg_family = e->seg.family,
                                  .has_seg = e->has_seg};
}

static void w6_config(struct w6 *w)
{
    memset(w, 0, sizeof *w);
    synack_config_default(&w->cfg);
    w->cfg.addr = synack_addr_v4(US4);
    w->cfg.prefix_len = 24;
    w->cfg.addr6 = A(US6);
    w->cfg.prefix6_len = 64;
    w->cfg.max_sockets = 32;
    w->cfg.isn_secret_set = true;
    for (int i = 0; i < 16; i++) w->cfg.isn_secret[i] = (uint8_t)(0x60 + i);
    w->cfg.seed = 0x1b6;
    w->cfg.trace = on_trace;
    w->cfg.trace_ctx = w;
    w->now = 1000000;
    w->lsd = w->sd = -1;
    w->pport = PEER_PORT;
    test_seed(0x1b6);
}

static void w6_start(struct w6 *w)
{
    int err = 0;
    w->st = synack_stack_new(&w->cfg, &err);
    if (!w->st) fprintf(stderr, "    synack_stack_new: %s\n", synack_strerror(err));
    ASSERT(w->st != NULL);
}

static void w6_free(struct w6 *w)
{
    synack_stack_free(w->st);
    w->st = NULL;
}

static struct synack_stats stats(const struct w6 *w)
{
    struct synack_stats s;
    synack_get_stats(w->st, &s);
    return s;
}

static uint64_t drops(const struct w6 *w, int reason)
{
    return stats(w).drop_by_reason[reason];
}

/* ---- the peer's datagrams --------------------------------------------------------------- */

struct pseg {
    struct synack_addr src, dst;
    uint16_t sport, dport, flags, win;
    uint32_t seq, ack;
    const struct synack_tcp_opts *opts;
    const void *data;
    size_t len;
};

/* A TCP segment as a datagram: IPv4 when dst is IPv4, else IPv6 with the 16 bytes of src and
 * dst as they are (so that a test can send from ::, ::ffff:a.b.c.d, a multicast address). */
static size_t build_seg(uint8_t *buf, size_t cap, const struct pseg *p)
{
    struct synack_tcp_hdr h = {.sport = p->sport,
                               .dport = p->dport,
                               .seq = p->seq,
                               .ack = p->ack,
                               .flags = p->flags,
                               .window = p->win ? p->win : 65535};
    if (p->opts) h.opts = *p->opts;
    size_t n;
    if (p->dst.family == SYNACK_AF_INET) {
        struct synack_ipv4_hdr ip = {.ttl = 64,
                                     .proto = SYNACK_IPPROTO_TCP,
                                     .frag = 0x4000,
                                     .src = synack_addr_to_v4(&p->src),
                                     .dst = synack_addr_to_v4(&p->dst)};
        n = wire_segment_emit(buf, cap, &ip, &h, p->data, p->len);
    } else {
        struct synack_ipv6_hdr ip = {.hop_limit = 64, .flow_label = 0x12345};
        memcpy(ip.src, p->src.bytes, 16);
        memcpy(ip.dst, p->dst.bytes, 16);
        n = wire_segment_emit6(buf, cap, &ip, &h, p->data, p->len);
    }
    ASSERT(n > 0);
    return n;
}

static int send_pseg(struct w6 *w, const struct pseg *p)
{
    uint8_t buf[2048];
    size_t n = build_seg(buf, sizeof buf, p);
    return synack_input(w->st, w->now, buf, n);
}

/* From the peer fd00::2, port sport, to fd00::1:80. */
static int peer6(struct w6 *w, uint16_t sport, uint16_t flags, uint32_t seq, uint32_t ack,
                 const struct synack_tcp_opts *o, const void *data, size_t n)
{
    struct pseg p = {.src = A(PEER6),
                     .dst = A(US6),
                     .sport = sport,
                     .dport = SRV_PORT,
                     .flags = flags,
                     .seq = seq,
                     .ack = ack,
                     .opts = o,
                     .data = data,
                     .len = n};
    return send_pseg(w, &p);
}

/* The same from 10.0.0.2 to 10.0.0.1. */
static int peer4(struct w6 *w, uint16_t sport, uint16_t flags, uint32_t seq, uint32_t ack,
                 const struct synack_tcp_opts *o)
{
    struct pseg p = {.src = synack_addr_v4(PEER4),
                     .dst = synack_addr_v4(US4),
                     .sport = sport,
                     .dport = SRV_PORT,
                     .flags = flags,
                     .seq = seq,
                     .ack = ack,
                     .opts = o};
    return send_pseg(w, &p);
}

static int input(struct w6 *w, const uint8_t *pkt, size_t n)
{
    return synack_input(w->st, w->now, pkt, n);
}

/* The fixed IPv6 header from src to dst before payload_len bytes of upper layer starting
 * with next header nh. */
static void ip6_hdr(uint8_t *buf, const char *src, const char *dst, uint8_t nh, size_t payload_len)
{
    struct synack_ipv6_hdr ip = {.hop_limit = 64, .next_header = nh};
    memcpy(ip.src, A(src).bytes, 16);
    memcpy(ip.dst, A(dst).bytes, 16);
    ASSERT_EQ(wire_ipv6_emit(buf, WIRE_IPV6_HDR_LEN, &ip, payload_len), WIRE_IPV6_HDR_LEN);
}

/* An ICMPv6 message from src to dst, already laid out in msg[0..n) with its checksum field
 * to be computed: wrapped in an IPv6 header. */
static size_t wrap_icmp6(uint8_t *out, const char *src, const char *dst, const uint8_t *msg,
                         size_t n)
{
    ip6_hdr(out, src, dst, SYNACK_IPPROTO_ICMPV6, n);
    memcpy(out + WIRE_IPV6_HDR_LEN, msg, n);
    return WIRE_IPV6_HDR_LEN + n;
}

/* An ICMPv6 error of type/code/param from src to us, quoting q[0..qn). */
static size_t icmp6_error(uint8_t *out, const char *src, uint8_t type, uint8_t code, uint32_t param,
                          const uint8_t *q, size_t qn)
{
    uint8_t msg[1400];
    size_t m = wire_icmp6_emit_error(msg, sizeof msg, A(src).bytes, A(US6).bytes, type, code, param,
                                     q, qn);
    ASSERT(m > 0);
    return wrap_icmp6(out, src, US6, msg, m);
}

/* ---- what the stack sends ---------------------------------------------------------------- */

/* Runs the timers due now and takes the next datagram; its length, 0 when none. */
static int w6_out(struct w6 *w)
{
    synack_poll(w->st, w->now);
    w->rxlen = synack_output(w->st, w->now, w->rx, sizeof w->rx);
    ASSERT(w->rxlen >= 0);
    return w->rxlen;
}

/* The next datagram must be a TCP segment with good checksums; it is in w->seg. */
static void expect_tcp_at(struct w6 *w, const char *file, int line)
{
    if (w6_out(w) == 0) {
        fprintf(stderr, "    expected a segment, got none\n");
        test_fail_at(file, line);
    }
    int r = wire_segment_parse(w->rx, (size_t)w->rxlen, true, &w->seg);
    if (r != 0) {
        fprintf(stderr, "    the stack sent a datagram that is no good segment: %s\n",
                synack_drop_name(r));
        test_fail_at(file, line);
    }
}
#define EXPECT_TCP(w) expect_tcp_at((w), __FILE__, __LINE__)

static void expect_nothing_at(struct w6 *w, const char *file, int line)
{
    if (w6_out(w) != 0) {
        char fb[48];
        struct synack_segment s;
        fprintf(stderr, "    expected nothing, got a datagram of %d bytes", w->rxlen);
        if (wire_segment_parse(w->rx, (size_t)w->rxlen, false, &s) == 0)
            fprintf(stderr, " (TCP %s seq=%u ack=%u)", wire_flags_str(s.tcp.flags, fb, sizeof fb),
                    s.tcp.seq, s.tcp.ack);
        fprintf(stderr, "\n");
        test_fail_at(file, line);
    }
}
#define EXPECT_NOTHING(w) expect_nothing_at((w), __FILE__, __LINE__)

/* The segment in w->seg went over IPv6 from us to the peer, hop limit 64. */
static void is_ours6_to(const struct w6 *w, const char *peer)
{
    ASSERT_EQ(w->seg.family, SYNACK_AF_INET6);
    ASSERT_EQ(w->rx[0] >> 4, 6);
    ASSERT_EQ(w->seg.ip6.hop_limit, 64);
    ASSERT_MEM_EQ(w->seg.ip6.src, A(US6).bytes, 16);
    ASSERT_MEM_EQ(w->seg.ip6.dst, A(peer).bytes, 16);
    ASSERT_EQ(w->seg.ip6.next_header, SYNACK_IPPROTO_TCP);
    ASSERT_EQ(w->seg.ip6.ext_count, 0);
    ASSERT_EQ(w->seg.ip6.payload_len, w->rxlen - WIRE_IPV6_HDR_LEN);
}

/* The next datagram is an ICMPv6 message from us to dst; parsed (checksum verified) into m. */
static void expect_icmp6_at(struct w6 *w, const char *dst, struct synack_icmp6 *m, const char *file,
                            int line)
{
    if (w6_out(w) == 0) {
        fprintf(stderr, "    expected an ICMPv6 message, got nothing\n");
        test_fail_at(file, line);
    }
    struct synack_ipv6_hdr ip;
    const uint8_t *p;
    size_t n;
    ASSERT_EQ(wire_ipv6_parse(w->rx, (size_t)w->rxlen, &ip, &p, &n), 0);
    ASSERT_EQ(ip.next_header, SYNACK_IPPROTO_ICMPV6);
    ASSERT_EQ(ip.hop_limit, 64);
    ASSERT_MEM_EQ(ip.src, A(US6).bytes, 16);
    ASSERT_MEM_EQ(ip.dst, A(dst).bytes, 16);
    ASSERT_EQ(wire_icmp6_parse(p, n, ip.src, ip.dst, m), 0);
    /* RFC 4443 §2.4(c): no error message of ours exceeds the minimum MTU. */
    if (m->type < 128) ASSERT(w->rxlen <= WIRE_IPV6_MIN_MTU);
}
#define EXPECT_ICMP6(w, dst, m) expect_icmp6_at((w), (dst), (m), __FILE__, __LINE__)

static int state_of(const struct w6 *w, int sd)
{
    struct synack_sockinfo in;
    if (synack_getinfo(w->st, sd, &in) != 0) return SYNACK_CLOSED;
    return in.state;
}

static int listen_on(struct w6 *w, struct synack_addr a, uint16_t port)
{
    int sd = synack_socket(w->st);
    ASSERT(sd >= 0);
    ASSERT_EQ(synack_bind(w->st, sd, a, port), 0);
    ASSERT_EQ(synack_listen(w->st, sd, 8), 0);
    return sd;
}

/* Passive over IPv6: a listener on any, the peer's SYN (with a timestamp when ts), our
 * SYN-ACK, the peer's ACK, accept. */
static void established6(struct w6 *w, bool ts)
{
    w->lsd = listen_on(w, SYNACK_ADDR_ANY, SRV_PORT);
    struct synack_tcp_opts o = {.has_mss = true, .mss = 1440, .has_ts = ts, .ts_val = 500};
    ASSERT_EQ(peer6(w, w->pport, SYNACK_TCP_SYN, PEER_ISS, 0, &o, NULL, 0), 0);
    EXPECT_TCP(w);
    is_ours6_to(w, PEER6);
    ASSERT_EQ(w->seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    w->iss = w->seg.tcp.seq;
    w->snd_nxt = w->iss + 1;
    w->rcv_nxt = PEER_ISS + 1;
    struct synack_tcp_opts a = {.has_ts = ts, .ts_val = 501, .ts_ecr = w->seg.tcp.opts.ts_val};
    w->now += 1000;
    ASSERT_EQ(peer6(w, w->pport, SYNACK_TCP_ACK, w->rcv_nxt, w->snd_nxt, &a, NULL, 0), 0);
    EXPECT_NOTHING(w);
    struct synack_endpoint peer;
    w->sd = synack_accept(w->st, w->lsd, &peer);
    ASSERT(w->sd >= 0);
    struct synack_addr p6 = A(PEER6);
    ASSERT(synack_addr_eq(&peer.addr, &p6));
    ASSERT_EQ(peer.port, w->pport);
    ASSERT_EQ(state_of(w, w->sd), SYNACK_ESTABLISHED);
}

static struct synack_sockinfo info(const struct w6 *w, int sd)
{
    struct synack_sockinfo in;
    ASSERT_EQ(synack_getinfo(w->st, sd, &in), 0);
    return in;
}

/* ==== the handshake and data ============================================================== */

TEST(passive_open_over_ipv6_to_a_listener_on_any)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int l = listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    struct synack_tcp_opts o = {.has_mss = true, .mss = 1440};
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, &o, NULL, 0), 0);
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(w.seg.tcp.ack, PEER_ISS + 1);
    ASSERT_EQ(w.seg.tcp.sport, SRV_PORT);
    ASSERT_EQ(w.seg.tcp.dport, PEER_PORT);
    /* RFC 8200 §5 and RFC 9293 §3.7.1: 1500 - 40 (IPv6) - 20 (TCP). */
    ASSERT(w.seg.tcp.opts.has_mss);
    ASSERT_EQ(w.seg.tcp.opts.mss, 1440);
    /* RFC 6437: a flow label, and the same one on every segment of the connection. */
    uint32_t label = w.seg.ip6.flow_label;
    ASSERT_NE(label, 0);
    ASSERT_EQ(w.seg.ip6.traffic_class, 0);
    uint32_t iss = w.seg.tcp.seq;
    EXPECT_NOTHING(&w);

    /* The half-open connection reports its IPv6 ends. */
    bool found = false;
    for (int sd = 0; sd < (int)(w.cfg.max_sockets + w.cfg.max_half_open) && !found; sd++) {
        struct synack_sockinfo in;
        if (synack_getinfo(w.st, sd, &in) != 0 || in.state != SYNACK_SYN_RECEIVED) continue;
        struct synack_addr p = A(PEER6), u = A(US6);
        ASSERT(synack_addr_eq(&in.remote.addr, &p));
        ASSERT(synack_addr_eq(&in.local.addr, &u));
        found = true;
    }
    ASSERT(found);

    w.now += 1000;
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, iss + 1, NULL, NULL, 0), 0);
    EXPECT_NOTHING(&w);
    struct synack_endpoint peer;
    int sd = synack_accept(w.st, l, &peer);
    ASSERT(sd >= 0);
    ASSERT_EQ(peer.addr.family, SYNACK_AF_INET6);
    ASSERT_MEM_EQ(peer.addr.bytes, A(PEER6).bytes, 16);
    ASSERT_EQ(peer.port, PEER_PORT);
    struct synack_sockinfo in = info(&w, sd);
    ASSERT_EQ(in.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(in.local.addr.family, SYNACK_AF_INET6);
    ASSERT_MEM_EQ(in.local.addr.bytes, A(US6).bytes, 16);
    ASSERT_EQ(in.local.port, SRV_PORT);
    ASSERT_MEM_EQ(in.remote.addr.bytes, A(PEER6).bytes, 16);
    ASSERT_EQ(in.remote.port, PEER_PORT);
    ASSERT_EQ(in.snd_mss, 1440);
    ASSERT_EQ(in.rcv_mss, 1440);
    ASSERT_EQ(in.pmtu, 1500);

    /* Data from the peer. */
    w.now += 1000;
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_ACK | SYNACK_TCP_PSH, PEER_ISS + 1, iss + 1, NULL,
                    "hello over ipv6", 15),
              0);
    char buf[64];
    ASSERT_EQ(synack_recv(w.st, sd, w.now, buf, sizeof buf), 15);
    ASSERT_MEM_EQ(buf, "hello over ipv6", 15);
    /* The data is acknowledged at once (quick-ACK at the start of a connection), with the
     * same flow label. */
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.ack, PEER_ISS + 16);
    ASSERT_EQ(w.seg.payload_len, 0);
    ASSERT_EQ(w.seg.ip6.flow_label, label);
    /* Data to the peer: the same flow label again. */
    ASSERT_EQ(synack_send(w.st, sd, w.now, "and back", 8), 8);
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.seq, iss + 1);
    ASSERT_EQ(w.seg.tcp.ack, PEER_ISS + 16);
    ASSERT_EQ(w.seg.payload_len, 8);
    ASSERT_MEM_EQ(w.seg.payload, "and back", 8);
    ASSERT_EQ(w.seg.ip6.flow_label, label);
    EXPECT_NOTHING(&w);

    /* Another port pair: another label (a keyed hash of the 4-tuple). */
    w.now += 1000;
    ASSERT_EQ(peer6(&w, PEER_PORT + 1, SYNACK_TCP_SYN, 77, 0, &o, NULL, 0), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.dport, PEER_PORT + 1);
    ASSERT_NE(w.seg.ip6.flow_label, 0);
    ASSERT_NE(w.seg.ip6.flow_label, label);
    EXPECT_NOTHING(&w);

    /* The first connection's close: FIN and its retransmission keep the label too. */
    ASSERT_EQ(synack_shutdown(w.st, sd, w.now, SYNACK_SHUT_WR), 0);
    EXPECT_TCP(&w);
    ASSERT(w.seg.tcp.flags & SYNACK_TCP_FIN);
    ASSERT_EQ(w.seg.ip6.flow_label, label);
    w.now += 5000000;
    EXPECT_TCP(&w);
    ASSERT(w.seg.tcp.flags & SYNACK_TCP_FIN);
    ASSERT_EQ(w.seg.ip6.flow_label, label);

    /* Every trace event of the connections names them by their IPv6 addresses. */
    int segs = 0, states = 0;
    for (int i = 0; i < w.nev; i++) {
        const struct ev *e = &w.ev[i];
        if (e->kind == SYNACK_TRACE_SEG_IN || e->kind == SYNACK_TRACE_SEG_OUT) {
            ASSERT(e->has_seg);
            ASSERT_EQ(e->seg_family, SYNACK_AF_INET6);
            ASSERT_EQ(e->local.family, SYNACK_AF_INET6);
            ASSERT_MEM_EQ(e->local.bytes, A(US6).bytes, 16);
            ASSERT_MEM_EQ(e->remote.bytes, A(PEER6).bytes, 16);
            segs++;
        } else if (e->kind == SYNACK_TRACE_STATE && e->rport != 0) {
            ASSERT_EQ(e->local.family, SYNACK_AF_INET6);
            ASSERT_MEM_EQ(e->local.bytes, A(US6).bytes, 16);
            ASSERT_MEM_EQ(e->remote.bytes, A(PEER6).bytes, 16);
            states++;
        }
    }
    ASSERT(segs >= 8);
    ASSERT(states >= 3);
    w6_free(&w);
}

TEST(ipv4_connections_on_a_dual_stack_keep_the_ipv4_mss)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    struct synack_tcp_opts o = {.has_mss = true, .mss = 1460};
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, &o), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET);
    ASSERT_EQ(w.seg.ip.src, US4);
    ASSERT_EQ(w.seg.ip.dst, PEER4);
    ASSERT_EQ(w.seg.tcp.opts.mss, 1460);
    w6_free(&w);
}

TEST(an_ipv6_stack_on_the_minimum_mtu_advertises_1220)
{
    struct w6 w;
    w6_config(&w);
    w.cfg.mtu = 1280;
    w6_start(&w);
    listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    struct synack_tcp_opts o = {.has_mss = true, .mss = 1440};
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, &o, NULL, 0), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.opts.mss, 1220);
    w6_free(&w);
}

/* ==== which listener takes which family ================================================== */

/* RFC 9293 §3.10.7.1: the reset a segment to no listener draws, over the segment's family. */
static void expect_rst_for_syn6(struct w6 *w, uint32_t seq)
{
    EXPECT_TCP(w);
    is_ours6_to(w, PEER6);
    ASSERT_EQ(w->seg.tcp.flags, SYNACK_TCP_RST | SYNACK_TCP_ACK);
    ASSERT_EQ(w->seg.tcp.seq, 0);
    ASSERT_EQ(w->seg.tcp.ack, seq + 1);
    ASSERT_EQ(w->seg.payload_len, 0);
    ASSERT_NE(w->seg.ip6.flow_label, 0);
    EXPECT_NOTHING(w);
}

TEST(a_listener_on_0_0_0_0_does_not_take_ipv6)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    listen_on(&w, synack_addr_v4(0), SRV_PORT);
    uint64_t before = drops(&w, SYNACK_DROP_TCP_NO_SOCKET);
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL, NULL, 0), 0);
    expect_rst_for_syn6(&w, PEER_ISS);
    ASSERT_EQ(drops(&w, SYNACK_DROP_TCP_NO_SOCKET), before + 1);
    /* With ACK set: <SEQ=SEG.ACK><CTL=RST>. */
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS, 12345, NULL, NULL, 0), 0);
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_RST);
    ASSERT_EQ(w.seg.tcp.seq, 12345);
    /* Data and a FIN count in SEG.LEN. */
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_FIN, 500, 0, NULL, "abc", 3), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_RST | SYNACK_TCP_ACK);
    ASSERT_EQ(w.seg.tcp.ack, 500 + 3 + 1);
    /* A reset is never answered. */
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_RST, 500, 0, NULL, NULL, 0), 0);
    EXPECT_NOTHING(&w);
    /* IPv4 still gets in. */
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    w6_free(&w);
}

TEST(a_listener_on_the_ipv6_address_does_not_take_ipv4)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    listen_on(&w, A(US6), SRV_PORT);
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET);
    ASSERT_EQ(w.seg.ip.src, US4);
    ASSERT_EQ(w.seg.ip.dst, PEER4);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_RST | SYNACK_TCP_ACK);
    ASSERT_EQ(w.seg.tcp.ack, PEER_ISS + 1);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL, NULL, 0), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    is_ours6_to(&w, PEER6);
    w6_free(&w);
}

TEST(a_listener_on_the_ipv4_address_does_not_take_ipv6)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    listen_on(&w, synack_addr_v4(US4), SRV_PORT);
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL, NULL, 0), 0);
    expect_rst_for_syn6(&w, PEER_ISS);
    w6_free(&w);
}

TEST(a_listener_on_any_takes_both_and_the_more_specific_wins)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int any = listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    uint32_t iss4 = w.seg.tcp.seq;
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL, NULL, 0), 0);
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    uint32_t iss6 = w.seg.tcp.seq;
    /* Same ports, same peer ISS, two families: two connections (RFC 6528: the ISN is
     * keyed on the whole 4-tuple, and the two differ). */
    ASSERT_NE(iss4, iss6);
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, iss4 + 1, NULL), 0);
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, iss6 + 1, NULL, NULL, 0), 0);
    EXPECT_NOTHING(&w);
    struct synack_endpoint p1, p2;
    int a = synack_accept(w.st, any, &p1), b = synack_accept(w.st, any, &p2);
    ASSERT(a >= 0 && b >= 0);
    ASSERT_EQ(p1.addr.family, SYNACK_AF_INET);
    ASSERT_EQ(synack_addr_to_v4(&p1.addr), PEER4);
    ASSERT_EQ(p2.addr.family, SYNACK_AF_INET6);
    ASSERT_EQ(info(&w, a).local.addr.family, SYNACK_AF_INET);
    ASSERT_EQ(info(&w, b).local.addr.family, SYNACK_AF_INET6);
    w6_free(&w);
}

/* ==== active open and the errors of connect and bind ======================================== */

TEST(active_open_over_ipv6)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int sd = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, sd, w.now, A(PEER6), SRV_PORT), SYNACK_EINPROGRESS);
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(w.seg.tcp.dport, SRV_PORT);
    ASSERT_EQ(w.seg.tcp.opts.mss, 1440);
    uint32_t label = w.seg.ip6.flow_label;
    ASSERT_NE(label, 0);
    uint16_t lport = w.seg.tcp.sport;
    ASSERT(lport >= w.cfg.ephemeral_lo);
    uint32_t iss = w.seg.tcp.seq;
    struct synack_sockinfo in = info(&w, sd);
    ASSERT_EQ(in.state, SYNACK_SYN_SENT);
    ASSERT_MEM_EQ(in.local.addr.bytes, A(US6).bytes, 16);
    ASSERT_EQ(in.local.port, lport);
    ASSERT_EQ(in.iss, iss);
    EXPECT_NOTHING(&w);
    /* The peer's SYN-ACK from fd00::2:80 to our port. */
    struct synack_tcp_opts o = {.has_mss = true, .mss = 1400};
    struct pseg p = {.src = A(PEER6),
                     .dst = A(US6),
                     .sport = SRV_PORT,
                     .dport = lport,
                     .flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK,
                     .seq = PEER_ISS,
                     .ack = iss + 1,
                     .opts = &o};
    w.now += 1000;
    ASSERT_EQ(send_pseg(&w, &p), 0);
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_ACK);
    ASSERT_EQ(w.seg.tcp.seq, iss + 1);
    ASSERT_EQ(w.seg.tcp.ack, PEER_ISS + 1);
    ASSERT_EQ(w.seg.ip6.flow_label, label);
    in = info(&w, sd);
    ASSERT_EQ(in.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(in.snd_mss, 1400);
    ASSERT(synack_events(w.st, sd) & SYNACK_EV_CONNECTED);
    ASSERT_EQ(synack_send(w.st, sd, w.now, "x", 1), 1);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.payload_len, 1);
    ASSERT_EQ(w.seg.ip6.flow_label, label);
    w6_free(&w);
}

TEST(connect_to_an_ipv4_mapped_address_goes_over_ipv4)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int sd = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, sd, w.now, A("::ffff:10.0.0.2"), SRV_PORT), SYNACK_EINPROGRESS);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET);
    ASSERT_EQ(w.seg.ip.src, US4);
    ASSERT_EQ(w.seg.ip.dst, PEER4);
    ASSERT_EQ(w.seg.tcp.opts.mss, 1460);
    w6_free(&w);
}

TEST(connect_errors_over_ipv6)
{
    struct w6 w;
    w6_config(&w);
    w.cfg.addr6 = (struct synack_addr){0};
    w6_start(&w);
    /* No IPv6 address: that family is not configured here. */
    int sd = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, sd, w.now, A(PEER6), SRV_PORT), SYNACK_EAFNOSUPPORT);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(state_of(&w, sd), SYNACK_CLOSED);
    /* The same socket still connects over IPv4. */
    ASSERT_EQ(synack_connect(w.st, sd, w.now, synack_addr_v4(PEER4), SRV_PORT), SYNACK_EINPROGRESS);
    w6_free(&w);

    w6_config(&w);
    w6_start(&w);
    /* Bound to 0.0.0.0 (IPv4 only), to 10.0.0.1, to fd00::1: only its own family. */
    int s1 = synack_socket(w.st), s2 = synack_socket(w.st), s3 = synack_socket(w.st);
    ASSERT_EQ(synack_bind(w.st, s1, synack_addr_v4(0), 0), 0);
    ASSERT_EQ(synack_connect(w.st, s1, w.now, A(PEER6), SRV_PORT), SYNACK_EINVAL);
    ASSERT_EQ(synack_bind(w.st, s2, synack_addr_v4(US4), 0), 0);
    ASSERT_EQ(synack_connect(w.st, s2, w.now, A(PEER6), SRV_PORT), SYNACK_EINVAL);
    ASSERT_EQ(synack_bind(w.st, s3, A(US6), 0), 0);
    ASSERT_EQ(synack_connect(w.st, s3, w.now, synack_addr_v4(PEER4), SRV_PORT), SYNACK_EINVAL);
    EXPECT_NOTHING(&w);
    /* ...and each still connects within its family, from the port it was bound to. */
    ASSERT_EQ(synack_connect(w.st, s3, w.now, A(PEER6), SRV_PORT), SYNACK_EINPROGRESS);
    uint16_t bound = info(&w, s3).local.port;
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.sport, bound);
    ASSERT_EQ(synack_connect(w.st, s1, w.now, synack_addr_v4(PEER4), SRV_PORT), SYNACK_EINPROGRESS);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET);
    /* A socket bound to any of both families connects over either. */
    int s4 = synack_socket(w.st);
    ASSERT_EQ(synack_bind(w.st, s4, SYNACK_ADDR_ANY, 0), 0);
    ASSERT_EQ(synack_connect(w.st, s4, w.now, A(PEER6), SRV_PORT + 1), SYNACK_EINPROGRESS);
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);

    /* Off our prefix, our own address, multicast, loopback, link-local: no route. */
    const char *unreach[] = {"fd01::2", "fd00:0:0:1::2", US6, "ff02::1", "::1", "fe80::2"};
    for (unsigned i = 0; i < sizeof unreach / sizeof unreach[0]; i++) {
        int s = synack_socket(w.st);
        int r = synack_connect(w.st, s, w.now, A(unreach[i]), SRV_PORT);
        if (r != SYNACK_ENETUNREACH) fprintf(stderr, "    connect to %s: %d\n", unreach[i], r);
        ASSERT_EQ(r, SYNACK_ENETUNREACH);
        synack_close(w.st, s, w.now);
    }
    EXPECT_NOTHING(&w);
    /* Unspecified address, port 0. */
    int s5 = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, s5, w.now, A("::"), SRV_PORT), SYNACK_EINVAL);
    ASSERT_EQ(synack_connect(w.st, s5, w.now, A(PEER6), 0), SYNACK_EINVAL);
    struct synack_addr bogus = {.family = SYNACK_AF_INET, .bytes = {0xfd, [15] = 2}};
    ASSERT_EQ(synack_connect(w.st, s5, w.now, bogus, SRV_PORT), SYNACK_EINVAL);
    EXPECT_NOTHING(&w);
    w6_free(&w);
}

TEST(connect_never_sends_to_multicast_broadcast_or_loopback_whatever_the_prefix)
{
    /* RFC 1122 §4.2.3.10: an OPEN to a broadcast or multicast address is an error, whatever
     * the routing says; a prefix of length 0 makes every address "on the link", and the
     * subnet's broadcast address is on it. Loopback is never on a link (RFC 4291 §2.5.3). */
    struct w6 w;
    w6_config(&w);
    w.cfg.prefix6_len = 0;
    w.cfg.prefix_len = 0;
    w6_start(&w);
    const char *bad[] = {"ff02::1",   "ff0e::1234",      "::1",      "224.0.0.1",
                         "239.1.2.3", "255.255.255.255", "127.0.0.1"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int s = synack_socket(w.st);
        int r = synack_connect(w.st, s, w.now, A(bad[i]), SRV_PORT);
        if (r != SYNACK_ENETUNREACH) fprintf(stderr, "    connect to %s: %d\n", bad[i], r);
        ASSERT_EQ(r, SYNACK_ENETUNREACH);
        synack_close(w.st, s, w.now);
        EXPECT_NOTHING(&w);
    }
    /* A unicast address anywhere is fine with that prefix. */
    int s = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, s, w.now, A("2001:db8::9"), SRV_PORT), SYNACK_EINPROGRESS);
    s = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, s, w.now, A("192.0.2.9"), SRV_PORT), SYNACK_EINPROGRESS);
    w6_free(&w);

    /* On 10.0.0.1/24, 10.0.0.255 is the subnet's broadcast address; on a /31 (RFC 3021)
     * there is none. */
    w6_config(&w);
    w6_start(&w);
    s = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, s, w.now, A("10.0.0.255"), SRV_PORT), SYNACK_ENETUNREACH);
    ASSERT_EQ(synack_connect(w.st, s, w.now, A("10.0.0.254"), SRV_PORT), SYNACK_EINPROGRESS);
    w6_free(&w);
    w6_config(&w);
    w.cfg.addr = synack_addr_v4(0x0a000000);
    w.cfg.prefix_len = 31;
    w6_start(&w);
    s = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, s, w.now, A("10.0.0.1"), SRV_PORT), SYNACK_EINPROGRESS);
    w6_free(&w);
}

TEST(bind_errors_and_addresses_over_ipv6)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int s = synack_socket(w.st);
    /* Not one of ours. */
    ASSERT_EQ(synack_bind(w.st, s, A("fd00::99"), 80), SYNACK_EADDRNOTAVAIL);
    ASSERT_EQ(synack_bind(w.st, s, A("10.0.0.9"), 80), SYNACK_EADDRNOTAVAIL);
    ASSERT_EQ(synack_bind(w.st, s, A("ff02::1"), 80), SYNACK_EADDRNOTAVAIL);
    ASSERT_EQ(synack_bind(w.st, s, A("::1"), 80), SYNACK_EADDRNOTAVAIL);
    struct synack_addr bogus = {.family = 7};
    ASSERT_EQ(synack_bind(w.st, s, bogus, 80), SYNACK_EINVAL);
    /* Our IPv4 address in its mapped IPv6 spelling is our IPv4 address. */
    ASSERT_EQ(synack_bind(w.st, s, A("::ffff:10.0.0.1"), 80), 0);
    ASSERT_EQ(info(&w, s).local.addr.family, SYNACK_AF_INET);
    /* The IPv6 "any" spelled with the IPv6 family is the any of both. */
    int t = synack_socket(w.st);
    struct synack_addr z6 = {.family = SYNACK_AF_INET6};
    ASSERT_EQ(synack_bind(w.st, t, z6, 81), 0);
    ASSERT_EQ(info(&w, t).local.addr.family, SYNACK_AF_UNSPEC);
    w6_free(&w);

    /* An IPv6-only stack: 0.0.0.0 and IPv4 addresses are not available. */
    w6_config(&w);
    w.cfg.addr = (struct synack_addr){0};
    w6_start(&w);
    s = synack_socket(w.st);
    ASSERT_EQ(synack_bind(w.st, s, synack_addr_v4(0), 80), SYNACK_EADDRNOTAVAIL);
    ASSERT_EQ(synack_bind(w.st, s, synack_addr_v4(US4), 80), SYNACK_EADDRNOTAVAIL);
    ASSERT_EQ(synack_connect(w.st, s, w.now, synack_addr_v4(PEER4), 80), SYNACK_EAFNOSUPPORT);
    ASSERT_EQ(synack_bind(w.st, s, SYNACK_ADDR_ANY, 80), 0);
    w6_free(&w);

    /* An IPv4-only stack: IPv6 addresses are not available; any is IPv4's. */
    w6_config(&w);
    w.cfg.addr6 = (struct synack_addr){0};
    w6_start(&w);
    s = synack_socket(w.st);
    ASSERT_EQ(synack_bind(w.st, s, A(US6), 80), SYNACK_EADDRNOTAVAIL);
    ASSERT_EQ(synack_bind(w.st, s, SYNACK_ADDR_ANY, 80), 0);
    w6_free(&w);
}

/* bind(first) then bind(second) on one port: EADDRINUSE or 0, as Linux answers for an
 * AF_INET6 socket without IPV6_V6ONLY (any) and AF_INET sockets. */
static int bind_pair(struct synack_addr first, struct synack_addr second, bool reuse, bool listen1)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int a = synack_socket(w.st), b = synack_socket(w.st);
    if (reuse) {
        ASSERT_EQ(synack_setopt(w.st, a, SYNACK_OPT_REUSEADDR, 1), 0);
        ASSERT_EQ(synack_setopt(w.st, b, SYNACK_OPT_REUSEADDR, 1), 0);
    }
    ASSERT_EQ(synack_bind(w.st, a, first, 80), 0);
    if (listen1) ASSERT_EQ(synack_listen(w.st, a, 4), 0);
    int r = synack_bind(w.st, b, second, 80);
    w6_free(&w);
    return r;
}

TEST(bind_conflicts_between_families_follow_linux)
{
    struct synack_addr any = SYNACK_ADDR_ANY, any4 = synack_addr_v4(0), u4 = synack_addr_v4(US4);
    struct synack_addr u6 = A(US6);
    const int inuse = SYNACK_EADDRINUSE;
    /* any of both covers every address of both families */
    ASSERT_EQ(bind_pair(any, any4, false, false), inuse);
    ASSERT_EQ(bind_pair(any4, any, false, false), inuse);
    ASSERT_EQ(bind_pair(any, u4, false, false), inuse);
    ASSERT_EQ(bind_pair(u4, any, false, false), inuse);
    ASSERT_EQ(bind_pair(any, u6, false, false), inuse);
    ASSERT_EQ(bind_pair(u6, any, false, false), inuse);
    ASSERT_EQ(bind_pair(any, any, false, false), inuse);
    /* 0.0.0.0 covers IPv4 only */
    ASSERT_EQ(bind_pair(any4, u4, false, false), inuse);
    ASSERT_EQ(bind_pair(u4, any4, false, false), inuse);
    ASSERT_EQ(bind_pair(any4, u6, false, false), 0);
    ASSERT_EQ(bind_pair(u6, any4, false, false), 0);
    /* the two specific addresses are apart */
    ASSERT_EQ(bind_pair(u4, u6, false, false), 0);
    ASSERT_EQ(bind_pair(u6, u4, false, false), 0);
    ASSERT_EQ(bind_pair(u6, u6, false, false), inuse);
    /* SO_REUSEADDR on both: no conflict while neither listens... */
    ASSERT_EQ(bind_pair(any, any4, true, false), 0);
    ASSERT_EQ(bind_pair(u6, any, true, false), 0);
    ASSERT_EQ(bind_pair(u6, u6, true, false), 0);
    /* ...but a listener holds its port */
    ASSERT_EQ(bind_pair(any, any4, true, true), inuse);
    ASSERT_EQ(bind_pair(u6, any, true, true), inuse);
    ASSERT_EQ(bind_pair(u6, u6, true, true), inuse);
    ASSERT_EQ(bind_pair(any4, u6, true, true), 0);
}

TEST(two_listeners_of_two_families_on_one_port)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int l4 = listen_on(&w, synack_addr_v4(0), SRV_PORT);
    int l6 = listen_on(&w, A(US6), SRV_PORT);
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL, NULL, 0), 0);
    EXPECT_TCP(&w);
    uint32_t iss6 = w.seg.tcp.seq;
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL), 0);
    EXPECT_TCP(&w);
    uint32_t iss4 = w.seg.tcp.seq;
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, iss6 + 1, NULL, NULL, 0), 0);
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, iss4 + 1, NULL), 0);
    struct synack_endpoint p;
    ASSERT(synack_accept(w.st, l6, &p) >= 0);
    ASSERT_EQ(p.addr.family, SYNACK_AF_INET6);
    ASSERT_EQ(synack_accept(w.st, l6, &p), SYNACK_EAGAIN);
    ASSERT(synack_accept(w.st, l4, &p) >= 0);
    ASSERT_EQ(p.addr.family, SYNACK_AF_INET);
    ASSERT_EQ(synack_accept(w.st, l4, &p), SYNACK_EAGAIN);
    w6_free(&w);
}

/* ==== SYN cookies over the IPv6 4-tuple ===================================================== */

TEST(syn_cookies_over_ipv6)
{
    struct w6 w;
    w6_config(&w);
    w.cfg.max_half_open = 0; /* every SYN is answered with a cookie */
    w6_start(&w);
    int l = listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    struct synack_tcp_opts o = {.has_mss = true, .mss = 1440};
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, &o, NULL, 0), 0);
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(w.seg.tcp.opts.mss, 1440);
    uint32_t label = w.seg.ip6.flow_label;
    uint32_t cookie = w.seg.tcp.seq;
    ASSERT_EQ(stats(&w).syn_cookies_sent, 1);
    ASSERT_EQ(stats(&w).half_open, 0);
    EXPECT_NOTHING(&w);
    w.now += 1000;

    /* The cookie returned by anyone else does not open a connection: another source
     * address, another port, the same numbers over IPv4. Each draws a reset. */
    struct pseg forged = {.src = A("fd00::3"),
                          .dst = A(US6),
                          .sport = PEER_PORT,
                          .dport = SRV_PORT,
                          .flags = SYNACK_TCP_ACK,
                          .seq = PEER_ISS + 1,
                          .ack = cookie + 1};
    ASSERT_EQ(send_pseg(&w, &forged), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_RST);
    ASSERT_EQ(w.seg.tcp.seq, cookie + 1);
    forged.src = A(PEER6);
    forged.sport = PEER_PORT + 1;
    ASSERT_EQ(send_pseg(&w, &forged), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_RST);
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, cookie + 1, NULL), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_RST);
    /* The right source with a wrong sequence number (the cookie's irs) fails too. */
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 2, cookie + 1, NULL, NULL, 0), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_RST);
    ASSERT_EQ(stats(&w).syn_cookies_failed, 4);
    ASSERT_EQ(synack_accept(w.st, l, NULL), SYNACK_EAGAIN);

    /* The real peer's ACK returns it: established. */
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, cookie + 1, NULL, NULL, 0), 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(stats(&w).syn_cookies_accepted, 1);
    struct synack_endpoint p;
    int sd = synack_accept(w.st, l, &p);
    ASSERT(sd >= 0);
    ASSERT_MEM_EQ(p.addr.bytes, A(PEER6).bytes, 16);
    struct synack_sockinfo in = info(&w, sd);
    ASSERT_EQ(in.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(in.iss, cookie);
    ASSERT_EQ(in.snd_mss, 1440);
    ASSERT_EQ(synack_send(w.st, sd, w.now, "cookie", 6), 6);
    EXPECT_TCP(&w);
    is_ours6_to(&w, PEER6);
    ASSERT_EQ(w.seg.tcp.seq, cookie + 1);
    ASSERT_EQ(w.seg.ip6.flow_label, label);
    w6_free(&w);
}

/* ==== ICMPv6 ================================================================================= */

TEST(echo_request_gets_a_reply_with_the_same_id_seq_and_data)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    uint8_t msg[128], pkt[256];
    const char data[] = "ping -6 data, 32 bytes long....";
    size_t m = wire_icmp6_emit_echo(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes,
                                    SYNACK_ICMP6_ECHO_REQUEST, 0xbeef, 42, (const uint8_t *)data,
                                    sizeof data);
    size_t n = wrap_icmp6(pkt, PEER6, US6, msg, m);
    ASSERT_EQ(input(&w, pkt, n), 0);
    struct synack_icmp6 r;
    EXPECT_ICMP6(&w, PEER6, &r);
    ASSERT_EQ(r.type, SYNACK_ICMP6_ECHO_REPLY);
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.id, 0xbeef);
    ASSERT_EQ(r.seq, 42);
    ASSERT_EQ(r.data_len, sizeof data);
    ASSERT_MEM_EQ(r.data, data, sizeof data);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(stats(&w).icmp_in, 1);
    ASSERT_EQ(stats(&w).icmp_out, 1);
    /* An echo reply, a neighbour solicitation: nothing to answer, counted. */
    m = wire_icmp6_emit_echo(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes, SYNACK_ICMP6_ECHO_REPLY,
                             1, 1, NULL, 0);
    n = wrap_icmp6(pkt, PEER6, US6, msg, m);
    ASSERT_EQ(input(&w, pkt, n), 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(drops(&w, SYNACK_DROP_ICMP6_TYPE), 1);
    /* A bad checksum: dropped by name. */
    m = wire_icmp6_emit_echo(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes,
                             SYNACK_ICMP6_ECHO_REQUEST, 1, 1, NULL, 0);
    msg[2] ^= 1;
    n = wrap_icmp6(pkt, PEER6, US6, msg, m);
    ASSERT(input(&w, pkt, n) < 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(drops(&w, SYNACK_DROP_ICMP6_CHECKSUM), 1);
    w6_free(&w);
}

TEST(echo_request_too_big_to_answer_is_dropped_by_name)
{
    /* RFC 4443 §4.2: the reply returns the data entirely; a request whose reply would not
     * fit our MTU cannot be answered (we never fragment), and that is a drop like any. */
    struct w6 w;
    w6_config(&w);
    w.cfg.mtu = 1280;
    w6_start(&w);
    static uint8_t msg[1600], pkt[1700], data[1500];
    memset(data, 'p', sizeof data);
    size_t m = wire_icmp6_emit_echo(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes,
                                    SYNACK_ICMP6_ECHO_REQUEST, 7, 7, data, 1400);
    size_t n = wrap_icmp6(pkt, PEER6, US6, msg, m);
    uint64_t before = stats(&w).drops;
    ASSERT(input(&w, pkt, n) < 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(stats(&w).drops, before + 1);
    ASSERT_EQ(drops(&w, SYNACK_DROP_LINK_MTU), 1);
    /* The largest that fits is answered. */
    m = wire_icmp6_emit_echo(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes,
                             SYNACK_ICMP6_ECHO_REQUEST, 8, 8, data, 1280 - 48);
    n = wrap_icmp6(pkt, PEER6, US6, msg, m);
    ASSERT_EQ(input(&w, pkt, n), 0);
    struct synack_icmp6 r;
    EXPECT_ICMP6(&w, PEER6, &r);
    ASSERT_EQ(r.id, 8);
    ASSERT_EQ(r.data_len, 1280 - 48);
    EXPECT_NOTHING(&w);
    w6_free(&w);
}

TEST(echo_requests_beyond_the_output_queue_are_dropped_by_name)
{
    struct w6 w;
    w6_config(&w);
    w.cfg.out_queue = 4;
    w6_start(&w);
    uint8_t msg[64], pkt[128];
    size_t m = wire_icmp6_emit_echo(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes,
                                    SYNACK_ICMP6_ECHO_REQUEST, 1, 1, NULL, 0);
    size_t n = wrap_icmp6(pkt, PEER6, US6, msg, m);
    for (int i = 0; i < 4; i++) ASSERT_EQ(input(&w, pkt, n), 0);
    uint64_t before = stats(&w).drops;
    ASSERT(input(&w, pkt, n) < 0);
    ASSERT_EQ(stats(&w).drops, before + 1);
    ASSERT_EQ(drops(&w, SYNACK_DROP_OUT_QUEUE_FULL), 1);
    int got = 0;
    while (w6_out(&w) > 0) got++;
    ASSERT_EQ(got, 4);
    w6_free(&w);
}

/* ESTABLISHED over IPv6 with timestamps, then n bytes sent in segments of mss; the first
 * datagram is kept in first[] (*flen bytes). */
static void flight6(struct w6 *w, uint32_t n, uint32_t mss, uint8_t *first, size_t *flen)
{
    established6(w, true);
    ASSERT_EQ(info(w, w->sd).snd_mss, mss);
    static uint8_t data[16384];
    for (uint32_t i = 0; i < n; i++) data[i] = (uint8_t)i;
    w->now += 1000;
    ASSERT_EQ(synack_send(w->st, w->sd, w->now, data, n), (long)n);
    for (uint32_t off = 0; off < n; off += mss) {
        EXPECT_TCP(w);
        ASSERT_EQ(w->seg.tcp.seq, w->snd_nxt + off);
        ASSERT_EQ(w->seg.payload_len, n - off < mss ? n - off : mss);
        ASSERT_EQ((size_t)w->rxlen, WIRE_IPV6_HDR_LEN + 32 + w->seg.payload_len);
        if (off == 0) {
            memcpy(first, w->rx, (size_t)w->rxlen);
            *flen = (size_t)w->rxlen;
        }
    }
    EXPECT_NOTHING(w);
}

TEST(packet_too_big_in_flight_lowers_the_pmtu_to_at_least_1280)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    static uint8_t first[1600], pkt[1600];
    size_t flen = 0;
    /* 1500 - 40 - 20 - 12 (timestamps) = 1428 */
    flight6(&w, 2 * 1428, 1428, first, &flen);
    ASSERT_EQ(flen, 1500);
    struct synack_sockinfo before = info(&w, w.sd);
    /* RFC 8201 §4 (and RFC 8200 §5): an MTU below 1280 is taken as 1280. RFC 4443 §2.4(c):
     * the router quotes as much as fits in 1280 bytes. */
    w.now += 1000;
    size_t n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1000, first, flen);
    ASSERT_EQ(n, 1280);
    ASSERT_EQ(input(&w, pkt, n), 0);
    struct synack_sockinfo in = info(&w, w.sd);
    ASSERT_EQ(in.pmtu, 1280);
    ASSERT_EQ(in.snd_mss, 1280 - 60 - 12);
    ASSERT_EQ(in.cwnd, before.cwnd);
    ASSERT_EQ(in.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(in.soft_error, 0);
    ASSERT_EQ(stats(&w).pmtu_lowered, 1);
    /* The flight, sent at the old size and lost, goes again at once at the new one. */
    uint32_t total = 2 * 1428, mss = 1208;
    for (uint32_t off = 0; off < total; off += mss) {
        EXPECT_TCP(&w);
        is_ours6_to(&w, PEER6);
        ASSERT_EQ(w.seg.tcp.seq, w.snd_nxt + off);
        ASSERT_EQ(w.seg.payload_len, total - off < mss ? total - off : mss);
        ASSERT(w.rxlen <= 1280);
    }
    EXPECT_NOTHING(&w);
    /* The same report again says nothing new. */
    ASSERT_EQ(input(&w, pkt, n), 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(stats(&w).pmtu_ignored, 1);
    w6_free(&w);
}

TEST(packet_too_big_between_1280_and_the_mtu_is_taken_as_it_is)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    static uint8_t first[1600], pkt[1600];
    size_t flen = 0;
    flight6(&w, 1428, 1428, first, &flen);
    size_t n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1400, first, flen);
    ASSERT_EQ(input(&w, pkt, n), 0);
    struct synack_sockinfo in = info(&w, w.sd);
    ASSERT_EQ(in.pmtu, 1400);
    ASSERT_EQ(in.snd_mss, 1400 - 60 - 12);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.rxlen, 1400);
    ASSERT_EQ(w.seg.payload_len, 1328);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.payload_len, 100);
    EXPECT_NOTHING(&w);
    /* A report larger than the MTU in use (or beyond 16 bits) lowers nothing. */
    n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 70000, first, flen);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(info(&w, w.sd).pmtu, 1400);
    EXPECT_NOTHING(&w);
    w6_free(&w);
}

TEST(packet_too_big_quoting_an_unsent_sequence_number_is_ignored_and_counted)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    static uint8_t first[1600], pkt[1600];
    size_t flen = 0;
    flight6(&w, 1428, 1428, first, &flen);
    /* RFC 5927 §4.1: the quote must name a sequence number in flight. */
    uint32_t seq = wire_get32(first + WIRE_IPV6_HDR_LEN + 4);
    wire_put32(first + WIRE_IPV6_HDR_LEN + 4, seq + 100000);
    size_t n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1280, first, flen);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(info(&w, w.sd).pmtu, 1500);
    ASSERT_EQ(info(&w, w.sd).snd_mss, 1428);
    /* counted under the ICMPv6 name, as every ICMPv6 message not acted on */
    ASSERT_EQ(drops(&w, SYNACK_DROP_ICMP6_TYPE), 1);
    ASSERT_EQ(drops(&w, SYNACK_DROP_ICMP_TYPE), 0);
    ASSERT_EQ(stats(&w).pmtu_lowered, 0);
    EXPECT_NOTHING(&w);
    /* One quoting SND.UNA - 1 (acknowledged already) neither. */
    wire_put32(first + WIRE_IPV6_HDR_LEN + 4, seq - 1);
    n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1280, first, flen);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(info(&w, w.sd).pmtu, 1500);
    ASSERT_EQ(drops(&w, SYNACK_DROP_ICMP6_TYPE), 2);
    /* One quoting a datagram that was not ours (another source) neither. */
    wire_put32(first + WIRE_IPV6_HDR_LEN + 4, seq);
    uint8_t q[1600];
    memcpy(q, first, flen);
    memcpy(q + 8, A("fd00::77").bytes, 16);
    n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1280, q, flen);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(info(&w, w.sd).pmtu, 1500);
    ASSERT_EQ(drops(&w, SYNACK_DROP_ICMP6_TYPE), 3);
    /* One for a connection that does not exist (another port): ignored, and still counted
     * (every drop has a named reason), for every kind of error. */
    const uint8_t kinds[][2] = {{SYNACK_ICMP6_PACKET_TOO_BIG, 0},
                                {SYNACK_ICMP6_UNREACH, 4},
                                {SYNACK_ICMP6_TIME_EXCEEDED, 0},
                                {SYNACK_ICMP6_PARAM_PROBLEM, 0}};
    for (unsigned i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        memcpy(q, first, flen);
        wire_put16(q + WIRE_IPV6_HDR_LEN + 2, PEER_PORT + 9);
        uint64_t before = stats(&w).drops;
        n = icmp6_error(pkt, ROUTER6, kinds[i][0], kinds[i][1], 1280, q, flen);
        ASSERT_EQ(input(&w, pkt, n), 0);
        ASSERT_EQ(stats(&w).drops, before + 1);
        ASSERT_EQ(drops(&w, SYNACK_DROP_ICMP6_TYPE), 4 + i);
    }
    ASSERT_EQ(info(&w, w.sd).pmtu, 1500);
    ASSERT_EQ(info(&w, w.sd).state, SYNACK_ESTABLISHED);
    EXPECT_NOTHING(&w);
    w6_free(&w);
}

TEST(an_ipv4_error_about_no_connection_is_counted_too)
{
    /* The path is shared with IPv4 (entry/icmp.c): the same rule, the IPv4 name. */
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    struct pseg q = {.src = synack_addr_v4(US4),
                     .dst = synack_addr_v4(PEER4),
                     .sport = SRV_PORT,
                     .dport = PEER_PORT,
                     .flags = SYNACK_TCP_ACK,
                     .seq = 5};
    uint8_t quote[64], msg[128], pkt[256];
    build_seg(quote, sizeof quote, &q);
    size_t m = wire_icmp_emit_error(msg, sizeof msg, SYNACK_ICMP_UNREACH, 3, 0, quote, 28);
    struct synack_ipv4_hdr ip = {.ttl = 64, .proto = SYNACK_IPPROTO_ICMP, .src = PEER4, .dst = US4};
    memcpy(pkt + WIRE_IPV4_HDR_LEN, msg, m);
    size_t n = wire_ipv4_emit(pkt, sizeof pkt, &ip, m) + m;
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(stats(&w).drops, 1);
    ASSERT_EQ(drops(&w, SYNACK_DROP_ICMP_TYPE), 1);
    EXPECT_NOTHING(&w);
    w6_free(&w);
}

/* connect() to fd00::2:80, then the ICMPv6 error type/code from src quoting our SYN. */
static int syn_sent_then_error(uint8_t type, uint8_t code, int *state)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int sd = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, sd, w.now, A(PEER6), SRV_PORT), SYNACK_EINPROGRESS);
    EXPECT_TCP(&w);
    uint8_t syn[256], pkt[512];
    size_t sn = (size_t)w.rxlen;
    memcpy(syn, w.rx, sn);
    w.now += 1000;
    size_t n = icmp6_error(pkt, PEER6, type, code, 0, syn, sn);
    ASSERT_EQ(input(&w, pkt, n), 0);
    *state = state_of(&w, sd);
    int err = synack_socket_error(w.st, sd);
    w6_free(&w);
    return err;
}

TEST(unreachable_during_syn_sent_fails_the_connect)
{
    int state;
    /* RFC 4443 §3.1 codes; Linux's icmpv6_err_convert. */
    ASSERT_EQ(syn_sent_then_error(SYNACK_ICMP6_UNREACH, 4, &state), SYNACK_ECONNREFUSED);
    ASSERT_EQ(state, SYNACK_CLOSED);
    ASSERT_EQ(syn_sent_then_error(SYNACK_ICMP6_UNREACH, 0, &state), SYNACK_ENETUNREACH);
    ASSERT_EQ(syn_sent_then_error(SYNACK_ICMP6_UNREACH, 3, &state), SYNACK_EHOSTUNREACH);
    ASSERT_EQ(state, SYNACK_CLOSED);
    /* A packet too big says nothing about whether the peer is there. */
    ASSERT_EQ(syn_sent_then_error(SYNACK_ICMP6_PACKET_TOO_BIG, 0, &state), 0);
    ASSERT_EQ(state, SYNACK_SYN_SENT);
}

TEST(unreachable_while_established_is_a_soft_error_only)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    static uint8_t first[1600], pkt[1600];
    size_t flen = 0;
    flight6(&w, 100, 1428, first, &flen);
    /* RFC 1122 §4.2.3.9 (and RFC 5461): once synchronized, not fatal. */
    size_t n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_UNREACH, 3, 0, first, flen);
    ASSERT_EQ(input(&w, pkt, n), 0);
    struct synack_sockinfo in = info(&w, w.sd);
    ASSERT_EQ(in.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(in.soft_error, SYNACK_EHOSTUNREACH);
    ASSERT_EQ(synack_socket_error(w.st, w.sd), 0);
    ASSERT_EQ(stats(&w).icmp_soft_errors, 1);
    /* Port unreachable (code 4) too: the connection exists, a middlebox may lie. */
    n = icmp6_error(pkt, PEER6, SYNACK_ICMP6_UNREACH, 4, 0, first, flen);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(info(&w, w.sd).state, SYNACK_ESTABLISHED);
    /* Time exceeded and parameter problem likewise. */
    n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_TIME_EXCEEDED, 0, 0, first, flen);
    ASSERT_EQ(input(&w, pkt, n), 0);
    n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PARAM_PROBLEM, 0, 7, first, flen);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(info(&w, w.sd).state, SYNACK_ESTABLISHED);
    EXPECT_NOTHING(&w);
    /* The data is acknowledged: the soft error is forgotten, data flows. */
    w.now += 1000;
    ASSERT_EQ(peer6(&w, w.pport, SYNACK_TCP_ACK, w.rcv_nxt, w.snd_nxt + 100, NULL, NULL, 0), 0);
    ASSERT_EQ(info(&w, w.sd).soft_error, 0);
    w6_free(&w);
}

TEST(packet_too_big_in_syn_sent_sets_the_mss_the_syn_ack_then_gets)
{
    /* RFC 8201 §4: the path MTU learnt before the handshake ends holds for the connection. */
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int sd = synack_socket(w.st);
    ASSERT_EQ(synack_connect(w.st, sd, w.now, A(PEER6), SRV_PORT), SYNACK_EINPROGRESS);
    EXPECT_TCP(&w);
    uint8_t syn[256], pkt[512];
    size_t sn = (size_t)w.rxlen;
    memcpy(syn, w.rx, sn);
    uint16_t lport = w.seg.tcp.sport;
    uint32_t iss = w.seg.tcp.seq;
    size_t n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1300, syn, sn);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(state_of(&w, sd), SYNACK_SYN_SENT);
    EXPECT_NOTHING(&w);
    struct synack_tcp_opts o = {.has_mss = true, .mss = 1440};
    struct pseg p = {.src = A(PEER6),
                     .dst = A(US6),
                     .sport = SRV_PORT,
                     .dport = lport,
                     .flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK,
                     .seq = PEER_ISS,
                     .ack = iss + 1,
                     .opts = &o};
    ASSERT_EQ(send_pseg(&w, &p), 0);
    EXPECT_TCP(&w);
    struct synack_sockinfo in = info(&w, sd);
    ASSERT_EQ(in.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(in.pmtu, 1300);
    ASSERT_EQ(in.snd_mss, 1300 - 60);
    static uint8_t data[3000];
    ASSERT_EQ(synack_send(w.st, sd, w.now, data, 1500), 1500);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.rxlen, 1300);
    w6_free(&w);
}

TEST(unreachable_quoting_our_syn_ack_ends_the_half_open_connection)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int l = listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL, NULL, 0), 0);
    EXPECT_TCP(&w);
    uint8_t synack[256], pkt[512];
    size_t sn = (size_t)w.rxlen;
    memcpy(synack, w.rx, sn);
    ASSERT_EQ(stats(&w).half_open, 1);
    /* Quoting another sequence number: ignored (RFC 5927 §4.1), counted. */
    wire_put32(synack + WIRE_IPV6_HDR_LEN + 4, wire_get32(synack + WIRE_IPV6_HDR_LEN + 4) + 9);
    size_t n = icmp6_error(pkt, PEER6, SYNACK_ICMP6_UNREACH, 4, 0, synack, sn);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(stats(&w).half_open, 1);
    ASSERT_EQ(drops(&w, SYNACK_DROP_ICMP6_TYPE), 1);
    /* A packet too big changes nothing before there is data. */
    wire_put32(synack + WIRE_IPV6_HDR_LEN + 4, wire_get32(synack + WIRE_IPV6_HDR_LEN + 4) - 9);
    n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1280, synack, sn);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(stats(&w).half_open, 1);
    /* The right one ends it: nothing to accept, no SYN-ACK again. */
    n = icmp6_error(pkt, PEER6, SYNACK_ICMP6_UNREACH, 4, 0, synack, sn);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(stats(&w).half_open, 0);
    w.now += 10000000;
    EXPECT_NOTHING(&w);
    ASSERT_EQ(synack_accept(w.st, l, NULL), SYNACK_EAGAIN);
    w6_free(&w);
}

TEST(time_wait_over_ipv6_answers_and_ends)
{
    struct w6 w;
    w6_config(&w);
    w.cfg.msl_us = 1000000;
    w6_start(&w);
    established6(&w, false);
    ASSERT_EQ(synack_shutdown(w.st, w.sd, w.now, SYNACK_SHUT_WR), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_FIN | SYNACK_TCP_ACK);
    uint32_t label = w.seg.ip6.flow_label;
    w.now += 1000;
    ASSERT_EQ(peer6(&w, w.pport, SYNACK_TCP_FIN | SYNACK_TCP_ACK, w.rcv_nxt, w.snd_nxt + 1, NULL,
                    NULL, 0),
              0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_ACK);
    ASSERT_EQ(state_of(&w, w.sd), SYNACK_TIME_WAIT);
    /* The FIN again (our ACK was lost): ACKed again from TIME-WAIT, same label. */
    w.now += 1000;
    ASSERT_EQ(peer6(&w, w.pport, SYNACK_TCP_FIN | SYNACK_TCP_ACK, w.rcv_nxt, w.snd_nxt + 1, NULL,
                    NULL, 0),
              0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_ACK);
    ASSERT_EQ(w.seg.tcp.ack, w.rcv_nxt + 1);
    ASSERT_EQ(w.seg.ip6.flow_label, label);
    is_ours6_to(&w, PEER6);
    w.now += 2000001;
    synack_poll(w.st, w.now);
    ASSERT_EQ(stats(&w).sockets_by_state[SYNACK_TIME_WAIT], 0);
    w6_free(&w);
}

/* The same over IPv6 when the user closed the socket first: the entry is a compact record
 * (tcp/tcp_tw.c), its key the IPv6 4-tuple. Its ACKs still go from our address to the
 * peer's, with the socket's traffic class (Linux's tw_tclass), the connection's flow
 * label and its timestamps, and it ends 2*MSL after its last restart: as the socket does
 * when its user holds it (record false), what the ACKs carry compared. */
struct tw6_seen {
    uint32_t seq[2], ack[2], ecr[2], label[2];
    uint8_t tclass[2];
};

static void tw6_scenario(bool record, struct tw6_seen *seen)
{
    struct w6 w;
    w6_config(&w);
    w.cfg.msl_us = 1000000;
    w6_start(&w);
    established6(&w, true);
    ASSERT_EQ(synack_setopt(w.st, w.sd, SYNACK_OPT_IPV6_TCLASS, 0x48), 0);
    w.now += 1000;
    if (record)
        ASSERT_EQ(synack_close(w.st, w.sd, w.now), 0);
    else
        ASSERT_EQ(synack_shutdown(w.st, w.sd, w.now, SYNACK_SHUT_WR), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_FIN | SYNACK_TCP_ACK);
    ASSERT_EQ(w.seg.ip6.traffic_class & 0xfc, 0x48);
    uint32_t label = w.seg.ip6.flow_label, our_ts = w.seg.tcp.opts.ts_val;
    w.now += 1000;
    struct synack_tcp_opts o = {.has_ts = true, .ts_val = 502, .ts_ecr = our_ts};
    ASSERT_EQ(
        peer6(&w, w.pport, SYNACK_TCP_FIN | SYNACK_TCP_ACK, w.rcv_nxt, w.snd_nxt + 1, &o, NULL, 0),
        0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_ACK);
    ASSERT_EQ(stats(&w).time_wait_records, record ? 1u : 0u);
    ASSERT_EQ(stats(&w).sockets_by_state[SYNACK_TIME_WAIT], 1);
    /* The FIN again, later (our ACK was lost), then one with an older timestamp (PAWS,
     * RFC 7323 §5.3): each answered with an ACK. */
    w.now += 300000;
    uint64_t restarted = w.now;
    const uint32_t tsval[2] = {503, 400};
    for (int i = 0; i < 2; i++) {
        o.ts_val = tsval[i];
        ASSERT_EQ(peer6(&w, w.pport, SYNACK_TCP_FIN | SYNACK_TCP_ACK, w.rcv_nxt, w.snd_nxt + 1, &o,
                        NULL, 0),
                  0);
        EXPECT_TCP(&w);
        is_ours6_to(&w, PEER6);
        ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_ACK);
        ASSERT_EQ(w.seg.ip6.flow_label, label);
        ASSERT(w.seg.tcp.opts.has_ts);
        seen->seq[i] = w.seg.tcp.seq;
        seen->ack[i] = w.seg.tcp.ack;
        seen->ecr[i] = w.seg.tcp.opts.ts_ecr;
        seen->label[i] = w.seg.ip6.flow_label;
        seen->tclass[i] = w.seg.ip6.traffic_class;
        w.now += 1000;
    }
    ASSERT_EQ(seen->ack[0], w.rcv_nxt + 1);
    ASSERT_EQ(seen->tclass[0] & 0xfc, 0x48);
    ASSERT_EQ(synack_next_deadline(w.st), restarted + 2000000);
    w.now = restarted + 2000000;
    synack_poll(w.st, w.now);
    ASSERT_EQ(stats(&w).time_wait_records, 0);
    ASSERT_EQ(stats(&w).sockets_by_state[SYNACK_TIME_WAIT], 0);
    w6_free(&w);
}

TEST(time_wait_record_over_ipv6_answers_as_the_socket)
{
    struct tw6_seen sock, rec;
    memset(&sock, 0, sizeof sock);
    memset(&rec, 0, sizeof rec);
    tw6_scenario(false, &sock);
    tw6_scenario(true, &rec);
    ASSERT_MEM_EQ(&rec, &sock, sizeof rec);
}

/* ==== RFC 8200 §4: extension headers, and the errors they ask for ============================ */

/* A SYN from src to dst, port sport, behind the extension headers ext[0..extlen) (whose
 * first byte, each Next Header, is filled by the caller: the last names TCP), with the
 * fixed header's Next Header nh. The TCP checksum is right. */
static size_t syn_behind(uint8_t *pkt, const char *src, const char *dst, uint8_t nh,
                         const uint8_t *ext, size_t extlen, uint16_t sport)
{
    struct synack_tcp_hdr h = {.sport = sport,
                               .dport = SRV_PORT,
                               .seq = PEER_ISS,
                               .flags = SYNACK_TCP_SYN,
                               .window = 65535};
    uint8_t tcp[64];
    uint32_t ph = wire_pseudo_sum6(A(src).bytes, A(dst).bytes, SYNACK_IPPROTO_TCP, 0);
    size_t tn = wire_tcp_emit_ph(tcp, sizeof tcp, ph, &h, NULL, 0);
    ASSERT(tn > 0);
    ip6_hdr(pkt, src, dst, nh, extlen + tn);
    memcpy(pkt + WIRE_IPV6_HDR_LEN, ext, extlen);
    memcpy(pkt + WIRE_IPV6_HDR_LEN + extlen, tcp, tn);
    return WIRE_IPV6_HDR_LEN + extlen + tn;
}

/* A Destination Options header (8 bytes) holding one option of type t, 4 bytes of data,
 * followed by next. */
static void dstopt(uint8_t *ext, uint8_t next, uint8_t t)
{
    const uint8_t e[8] = {next, 0, t, 4, 1, 2, 3, 4};
    memcpy(ext, e, 8);
}

/* The next datagram is a Parameter Problem of code and pointer about pkt[0..n). */
static void expect_param_problem_at(struct w6 *w, const char *to, uint8_t code, uint32_t pointer,
                                    const uint8_t *pkt, size_t n, const char *file, int line)
{
    struct synack_icmp6 m;
    expect_icmp6_at(w, to, &m, file, line);
    if (m.type != SYNACK_ICMP6_PARAM_PROBLEM || m.code != code || m.pointer != pointer) {
        fprintf(stderr,
                "    expected a parameter problem code %u pointer %u, got type %u code %u "
                "pointer %u\n",
                code, pointer, m.type, m.code, m.pointer);
        test_fail_at(file, line);
    }
    /* RFC 4443 §2.4(c): the invoking datagram, as much as fits in 1280 bytes. */
    size_t q = n < 1232 ? n : 1232;
    ASSERT_EQ(m.data_len, q);
    ASSERT_MEM_EQ(m.data, pkt, q);
}
#define EXPECT_PARAM_PROBLEM(w, code, pointer, pkt, n)                                             \
    expect_param_problem_at((w), PEER6, (code), (pointer), (pkt), (n), __FILE__, __LINE__)

TEST(unknown_option_actions_follow_rfc_8200_4_2)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    uint8_t ext[8], pkt[256];
    /* 00: skip over the option, go on: the SYN is answered. */
    dstopt(ext, SYNACK_IPPROTO_TCP, 0x1e);
    size_t n = syn_behind(pkt, PEER6, US6, SYNACK_IPPROTO_DSTOPTS, ext, 8, PEER_PORT);
    ASSERT_EQ(input(&w, pkt, n), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    EXPECT_NOTHING(&w);
    /* 01: discard, silently. */
    dstopt(ext, SYNACK_IPPROTO_TCP, 0x5e);
    n = syn_behind(pkt, PEER6, US6, SYNACK_IPPROTO_DSTOPTS, ext, 8, PEER_PORT + 1);
    ASSERT(input(&w, pkt, n) < 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP6_OPTION), 1);
    /* 10: discard, Parameter Problem code 2 pointing at the option type (40 + 2). */
    dstopt(ext, SYNACK_IPPROTO_TCP, 0x9e);
    n = syn_behind(pkt, PEER6, US6, SYNACK_IPPROTO_DSTOPTS, ext, 8, PEER_PORT + 2);
    ASSERT(input(&w, pkt, n) < 0);
    EXPECT_PARAM_PROBLEM(&w, 2, 42, pkt, n);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP6_OPTION), 2);
    /* 11: the same to a unicast destination. */
    dstopt(ext, SYNACK_IPPROTO_TCP, 0xde);
    n = syn_behind(pkt, PEER6, US6, SYNACK_IPPROTO_DSTOPTS, ext, 8, PEER_PORT + 3);
    ASSERT(input(&w, pkt, n) < 0);
    EXPECT_PARAM_PROBLEM(&w, 2, 42, pkt, n);
    /* In a Hop-by-Hop header, behind Pad1 and PadN: the pointer follows the option. */
    const uint8_t hbh[16] = {SYNACK_IPPROTO_TCP, 1, 0, 1, 2, 0, 0, 0x9e, 2, 0, 0, 1, 0, 0, 0, 0};
    n = syn_behind(pkt, PEER6, US6, SYNACK_IPPROTO_HOPOPTS, hbh, 16, PEER_PORT + 4);
    ASSERT(input(&w, pkt, n) < 0);
    EXPECT_PARAM_PROBLEM(&w, 2, 40 + 7, pkt, n);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(stats(&w).icmp_errors_out, 3);
    w6_free(&w);
}

TEST(unknown_next_header_draws_a_parameter_problem_code_1)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    uint8_t pkt[256];
    /* UDP, which synack does not speak: pointer 6, the fixed header's Next Header. */
    ip6_hdr(pkt, PEER6, US6, 17, 8);
    memset(pkt + 40, 0x11, 8);
    ASSERT(input(&w, pkt, 48) < 0);
    EXPECT_PARAM_PROBLEM(&w, 1, 6, pkt, 48);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP_PROTO), 1);
    /* RFC 4443 §2.4(c): of a datagram larger than the minimum MTU (larger than our own
     * link, even), as much as fits in a 1280-byte error: 1232 bytes of quote. */
    static uint8_t huge[9000];
    ip6_hdr(huge, PEER6, US6, 17, sizeof huge - 40);
    for (size_t i = 40; i < sizeof huge; i++) huge[i] = (uint8_t)i;
    ASSERT(input(&w, huge, sizeof huge) < 0);
    EXPECT_PARAM_PROBLEM(&w, 1, 6, huge, sizeof huge);
    ASSERT_EQ(w.rxlen, 1280);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP_PROTO), 2);
    /* Behind a Destination Options header: the pointer is that header's Next Header. */
    ip6_hdr(pkt, PEER6, US6, SYNACK_IPPROTO_DSTOPTS, 16);
    dstopt(pkt + 40, 17, 0x1e);
    memset(pkt + 48, 0x11, 8);
    ASSERT(input(&w, pkt, 56) < 0);
    EXPECT_PARAM_PROBLEM(&w, 1, 40, pkt, 56);
    /* A Hop-by-Hop header anywhere but first: code 1 at the Next Header naming it. */
    ip6_hdr(pkt, PEER6, US6, SYNACK_IPPROTO_DSTOPTS, 24);
    dstopt(pkt + 40, SYNACK_IPPROTO_HOPOPTS, 0x1e);
    const uint8_t hbh[8] = {SYNACK_IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0};
    memcpy(pkt + 48, hbh, 8);
    memset(pkt + 56, 0, 8);
    ASSERT(input(&w, pkt, 64) < 0);
    EXPECT_PARAM_PROBLEM(&w, 1, 40, pkt, 64);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP6_EXT_ORDER), 1);
    /* No Next Header (59): nothing follows, nothing to answer. */
    ip6_hdr(pkt, PEER6, US6, SYNACK_IPPROTO_NONE, 8);
    ASSERT(input(&w, pkt, 48) < 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP_PROTO), 4);
    /* A Routing header with segments left: code 0 at the Routing Type (40 + 2). */
    ip6_hdr(pkt, PEER6, US6, SYNACK_IPPROTO_ROUTING, 8);
    const uint8_t rh[8] = {SYNACK_IPPROTO_NONE, 0, 0, 1, 0, 0, 0, 0};
    memcpy(pkt + 40, rh, 8);
    ASSERT(input(&w, pkt, 48) < 0);
    EXPECT_PARAM_PROBLEM(&w, 0, 42, pkt, 48);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP6_ROUTING), 1);
    EXPECT_NOTHING(&w);
    w6_free(&w);
}

TEST(fragments_are_dropped_without_a_reply_atomic_ones_processed)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    uint8_t fh[8] = {SYNACK_IPPROTO_TCP, 0, 0, 1 /* M */, 0xca, 0xfe, 0xf0, 0x0d}, pkt[256];
    size_t n = syn_behind(pkt, PEER6, US6, SYNACK_IPPROTO_FRAGMENT, fh, 8, PEER_PORT);
    ASSERT(input(&w, pkt, n) < 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP6_FRAGMENT), 1);
    /* The last fragment of something (offset 8, M clear). */
    fh[2] = 0;
    fh[3] = 8 << 3;
    n = syn_behind(pkt, PEER6, US6, SYNACK_IPPROTO_FRAGMENT, fh, 8, PEER_PORT);
    ASSERT(input(&w, pkt, n) < 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP6_FRAGMENT), 2);
    /* An atomic fragment (offset 0, M clear) is the whole datagram (RFC 6946 §4). */
    fh[3] = 0;
    n = syn_behind(pkt, PEER6, US6, SYNACK_IPPROTO_FRAGMENT, fh, 8, PEER_PORT);
    ASSERT_EQ(input(&w, pkt, n), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(stats(&w).icmp_errors_out, 0);
    w6_free(&w);
}

TEST(no_error_to_multicast_or_unanswerable_sources_nor_about_an_error)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    uint8_t ext[8], pkt[256];
    dstopt(ext, SYNACK_IPPROTO_TCP, 0x9e);
    /* To a multicast group (RFC 4443 §2.4(e.3)); synack joins none: not for us. */
    size_t n = syn_behind(pkt, PEER6, "ff02::1", SYNACK_IPPROTO_DSTOPTS, ext, 8, PEER_PORT);
    ASSERT(input(&w, pkt, n) < 0);
    EXPECT_NOTHING(&w);
    ip6_hdr(pkt, PEER6, "ff02::1", 17, 8);
    ASSERT(input(&w, pkt, 48) < 0);
    EXPECT_NOTHING(&w);
    /* From sources that name no single node (RFC 4443 §2.4(e.6)). */
    const char *srcs[] = {"::", "ff02::2", "::ffff:10.0.0.2", "::1", US6};
    for (unsigned i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
        n = syn_behind(pkt, srcs[i], US6, SYNACK_IPPROTO_DSTOPTS, ext, 8, PEER_PORT);
        ASSERT(input(&w, pkt, n) < 0);
        EXPECT_NOTHING(&w);
        ip6_hdr(pkt, srcs[i], US6, 17, 8);
        ASSERT(input(&w, pkt, 48) < 0);
        EXPECT_NOTHING(&w);
    }
    /* About an ICMPv6 error message (RFC 4443 §2.4(e.1)): an unreachable behind the bad
     * option draws nothing... */
    uint8_t msg[64];
    uint8_t quote[48] = {0x60};
    size_t m = wire_icmp6_emit_error(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes,
                                     SYNACK_ICMP6_UNREACH, 4, 0, quote, sizeof quote);
    dstopt(ext, SYNACK_IPPROTO_ICMPV6, 0x9e);
    ip6_hdr(pkt, PEER6, US6, SYNACK_IPPROTO_DSTOPTS, 8 + m);
    memcpy(pkt + 40, ext, 8);
    memcpy(pkt + 48, msg, m);
    ASSERT(input(&w, pkt, 48 + m) < 0);
    EXPECT_NOTHING(&w);
    /* ...nor does a packet too big, a parameter problem, an unknown error type (< 128). */
    const uint8_t types[] = {SYNACK_ICMP6_PACKET_TOO_BIG, SYNACK_ICMP6_PARAM_PROBLEM, 100, 0};
    for (unsigned i = 0; i < sizeof types; i++) {
        pkt[48] = types[i];
        ASSERT(input(&w, pkt, 48 + m) < 0);
        EXPECT_NOTHING(&w);
    }
    /* An informational message (an echo request) behind it does. */
    m = wire_icmp6_emit_echo(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes,
                             SYNACK_ICMP6_ECHO_REQUEST, 1, 2, NULL, 0);
    ip6_hdr(pkt, PEER6, US6, SYNACK_IPPROTO_DSTOPTS, 8 + m);
    memcpy(pkt + 40, ext, 8);
    memcpy(pkt + 48, msg, m);
    ASSERT(input(&w, pkt, 48 + m) < 0);
    EXPECT_PARAM_PROBLEM(&w, 2, 42, pkt, 48 + m);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(stats(&w).icmp_errors_out, 1);
    ASSERT_EQ(stats(&w).icmp_errors_limited, 0);
    w6_free(&w);
}

TEST(parameter_problems_are_rate_limited_by_a_token_bucket)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    uint8_t pkt[64];
    ip6_hdr(pkt, PEER6, US6, 17, 8);
    memset(pkt + 40, 0, 8);
    /* Count the errors that n bad datagrams at time t draw. */
#define BURST(t, k)                                                                                \
    do {                                                                                           \
        w.now = (t);                                                                               \
        for (int i_ = 0; i_ < (k); i_++) ASSERT(input(&w, pkt, 48) < 0);                           \
        got = 0;                                                                                   \
        while (w6_out(&w) > 0) got++;                                                              \
    } while (0)
    int got;
    uint64_t t0 = w.now;
    BURST(t0, 15); /* RFC 4443 §2.4(f): a burst of 10 */
    ASSERT_EQ(got, 10);
    ASSERT_EQ(stats(&w).icmp_errors_out, 10);
    ASSERT_EQ(stats(&w).icmp_errors_limited, 5);
    BURST(t0 + 9999, 3); /* not yet a token back */
    ASSERT_EQ(got, 0);
    BURST(t0 + 10000, 3); /* one per 10 ms */
    ASSERT_EQ(got, 1);
    BURST(t0 + 29999, 3); /* 19.999 ms more: one, and the 9.999 ms carry over */
    ASSERT_EQ(got, 1);
    BURST(t0 + 30000, 3);
    ASSERT_EQ(got, 1);
    BURST(t0 + 5000000, 20); /* a long quiet: the bucket holds 10, no more */
    ASSERT_EQ(got, 10);
    ASSERT_EQ(stats(&w).icmp_errors_out, 23);
    ASSERT_EQ(stats(&w).icmp_errors_limited, 5 + 3 + 2 + 2 + 2 + 10);
#undef BURST
    /* The limit is for errors: echo replies are not held back. */
    uint8_t msg[16], e[64];
    size_t m = wire_icmp6_emit_echo(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes,
                                    SYNACK_ICMP6_ECHO_REQUEST, 1, 1, NULL, 0);
    size_t n = wrap_icmp6(e, PEER6, US6, msg, m);
    ASSERT_EQ(input(&w, e, n), 0);
    ASSERT(w6_out(&w) > 0);
    w6_free(&w);
}

/* ==== addresses: sources, destinations, families ============================================= */

TEST(invalid_sources_are_dropped)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    const char *srcs[] = {"::", "::1", "ff02::1", "ff05::1:3", "::ffff:10.0.0.2", US6};
    for (unsigned i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
        struct pseg p = {.src = A(srcs[i]),
                         .dst = A(US6),
                         .sport = PEER_PORT,
                         .dport = SRV_PORT,
                         .flags = SYNACK_TCP_SYN,
                         .seq = PEER_ISS};
        ASSERT(send_pseg(&w, &p) < 0);
        EXPECT_NOTHING(&w);
        ASSERT_EQ(drops(&w, SYNACK_DROP_IP_SRC_INVALID), 2 * i + 1);
        /* an echo request from it is not answered either */
        uint8_t msg[16], pkt[64];
        size_t m = wire_icmp6_emit_echo(msg, sizeof msg, A(srcs[i]).bytes, A(US6).bytes,
                                        SYNACK_ICMP6_ECHO_REQUEST, 1, 1, NULL, 0);
        ip6_hdr(pkt, srcs[i], US6, SYNACK_IPPROTO_ICMPV6, m);
        memcpy(pkt + 40, msg, m);
        ASSERT(input(&w, pkt, 40 + m) < 0);
        EXPECT_NOTHING(&w);
        ASSERT_EQ(drops(&w, SYNACK_DROP_IP_SRC_INVALID), 2 * i + 2);
    }
    ASSERT_EQ(stats(&w).half_open, 0);
    /* A link-local or global source is fine. */
    struct pseg ok = {.src = A("fe80::2"),
                      .dst = A(US6),
                      .sport = PEER_PORT,
                      .dport = SRV_PORT,
                      .flags = SYNACK_TCP_SYN,
                      .seq = PEER_ISS};
    ASSERT_EQ(send_pseg(&w, &ok), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    w6_free(&w);
}

TEST(datagrams_for_other_addresses_or_absent_families_are_not_for_us)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    const char *dsts[] = {"fd00::99", "ff02::1", "::ffff:10.0.0.1", "::1", "::"};
    for (unsigned i = 0; i < sizeof dsts / sizeof dsts[0]; i++) {
        struct pseg p = {.src = A(PEER6),
                         .dst = A(dsts[i]),
                         .sport = PEER_PORT,
                         .dport = SRV_PORT,
                         .flags = SYNACK_TCP_SYN,
                         .seq = PEER_ISS};
        /* build over IPv6 even for the mapped destination */
        if (p.dst.family == SYNACK_AF_INET) p.dst.family = SYNACK_AF_INET6;
        ASSERT(send_pseg(&w, &p) < 0);
        EXPECT_NOTHING(&w);
        ASSERT_EQ(drops(&w, SYNACK_DROP_IP_NOT_FOR_US), i + 1);
    }
    w6_free(&w);

    /* An IPv6-only stack drops IPv4; it still speaks IPv6. */
    w6_config(&w);
    w.cfg.addr = (struct synack_addr){0};
    w6_start(&w);
    listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    ASSERT(peer4(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL) < 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP_NOT_FOR_US), 1);
    ASSERT_EQ(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL, NULL, 0), 0);
    EXPECT_TCP(&w);
    w6_free(&w);

    /* An IPv4-only stack drops IPv6, and answers none of it (no parameter problem). */
    w6_config(&w);
    w.cfg.addr6 = (struct synack_addr){0};
    w6_start(&w);
    listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    ASSERT(peer6(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, NULL, NULL, 0) < 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(drops(&w, SYNACK_DROP_IP_NOT_FOR_US), 1);
    uint8_t pkt[64];
    ip6_hdr(pkt, PEER6, US6, 17, 8);
    memset(pkt + 40, 0, 8);
    ASSERT(input(&w, pkt, 48) < 0);
    EXPECT_NOTHING(&w);
    uint8_t ext[8], big[256];
    dstopt(ext, SYNACK_IPPROTO_TCP, 0x9e);
    size_t n = syn_behind(big, PEER6, US6, SYNACK_IPPROTO_DSTOPTS, ext, 8, PEER_PORT);
    ASSERT(input(&w, big, n) < 0);
    EXPECT_NOTHING(&w);
    /* an all-zero destination must not match the absent address */
    ip6_hdr(pkt, PEER6, "::", 17, 8);
    ASSERT(input(&w, pkt, 48) < 0);
    EXPECT_NOTHING(&w);
    ASSERT_EQ(stats(&w).icmp_errors_out, 0);
    w6_free(&w);
}

static int new_stack_err(const struct synack_config *cfg)
{
    int err = 0;
    synack_stack *s = synack_stack_new(cfg, &err);
    synack_stack_free(s);
    return s ? 0 : err;
}

TEST(config_validation_of_the_ipv6_address)
{
    struct w6 w;
    w6_config(&w);
    ASSERT_EQ(new_stack_err(&w.cfg), 0);
    /* RFC 8200 §5: IPv6 needs a link MTU of at least 1280. */
    w.cfg.mtu = 1279;
    ASSERT_EQ(new_stack_err(&w.cfg), SYNACK_EINVAL);
    w.cfg.mtu = 1280;
    ASSERT_EQ(new_stack_err(&w.cfg), 0);
    /* IPv4 alone on a small MTU is fine. */
    w.cfg.mtu = 576;
    w.cfg.addr6 = (struct synack_addr){0};
    ASSERT_EQ(new_stack_err(&w.cfg), 0);

    w6_config(&w);
    struct synack_config good = w.cfg;
    /* The wrong family in either place. */
    w.cfg.addr6 = synack_addr_v4(0x0a000009);
    ASSERT_EQ(new_stack_err(&w.cfg), SYNACK_EINVAL);
    w.cfg = good;
    w.cfg.addr = A("fd00::5");
    ASSERT_EQ(new_stack_err(&w.cfg), SYNACK_EINVAL);
    /* An IPv6 family holding a mapped IPv4 address is no IPv6 address. */
    w.cfg = good;
    w.cfg.addr6 = (struct synack_addr){.family = SYNACK_AF_INET6,
                                       .bytes = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 1}};
    ASSERT_EQ(new_stack_err(&w.cfg), SYNACK_EINVAL);
    /* :: is no address; an unknown family neither; a prefix beyond 128 bits. */
    w.cfg = good;
    w.cfg.addr6 = (struct synack_addr){.family = SYNACK_AF_INET6};
    ASSERT_EQ(new_stack_err(&w.cfg), SYNACK_EINVAL);
    w.cfg = good;
    w.cfg.addr6.family = 5;
    ASSERT_EQ(new_stack_err(&w.cfg), SYNACK_EINVAL);
    w.cfg = good;
    w.cfg.prefix6_len = 129;
    ASSERT_EQ(new_stack_err(&w.cfg), SYNACK_EINVAL);
    /* Our address can be no multicast nor loopback address (RFC 4291 §2.7, §2.5.3): the
     * input path refuses both as sources, so nothing we sent could be answered. */
    const char *never[] = {"ff02::1", "ff05::2", "::1"};
    for (unsigned i = 0; i < sizeof never / sizeof never[0]; i++) {
        w.cfg = good;
        w.cfg.addr6 = A(never[i]);
        if (new_stack_err(&w.cfg) != SYNACK_EINVAL) fprintf(stderr, "    addr6 %s\n", never[i]);
        ASSERT_EQ(new_stack_err(&w.cfg), SYNACK_EINVAL);
    }
    /* A link-local address is an address like any. */
    w.cfg = good;
    w.cfg.addr6 = A("fe80::1");
    ASSERT_EQ(new_stack_err(&w.cfg), 0);
    /* Neither family at all. */
    w.cfg = good;
    w.cfg.addr = w.cfg.addr6 = (struct synack_addr){0};
    ASSERT_EQ(new_stack_err(&w.cfg), SYNACK_EINVAL);
    /* IPv6 alone. */
    w.cfg = good;
    w.cfg.addr = (struct synack_addr){0};
    ASSERT_EQ(new_stack_err(&w.cfg), 0);
}

/* ==== every truncation ======================================================================= */

/* Feeds pkt[0..k) for every k < n, and with fix the payload length said to match; each must
 * be dropped (a negative return), counted once with a named reason, and draw no reply. */
static void every_truncation(struct w6 *w, const uint8_t *pkt, size_t n, bool fix)
{
    static uint8_t cut[2048];
    for (size_t k = 0; k < n; k++) {
        memcpy(cut, pkt, k);
        if (fix && k >= WIRE_IPV6_HDR_LEN) wire_put16(cut + 4, (uint16_t)(k - WIRE_IPV6_HDR_LEN));
        /* an exact-length heap copy, so that ASan sees a read past the end */
        uint8_t *p = malloc(k ? k : 1);
        ASSERT(p != NULL);
        memcpy(p, cut, k);
        struct synack_stats before = stats(w);
        int r = input(w, p, k);
        free(p);
        struct synack_stats after = stats(w);
        if (r >= 0 || after.drops != before.drops + 1) {
            fprintf(stderr,
                    "    truncated to %zu bytes (fix %d): returned %d, drops %llu -> %llu\n", k,
                    fix, r, (unsigned long long)before.drops, (unsigned long long)after.drops);
            test_fail_at(__FILE__, __LINE__);
        }
        ASSERT_EQ(after.drop_by_reason[SYNACK_DROP_NONE], 0);
        EXPECT_NOTHING(w);
    }
}

TEST(every_truncation_of_an_ipv6_segment_is_dropped_by_name)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    established6(&w, true);
    uint8_t pkt[512], data[100];
    memset(data, 'd', sizeof data);
    struct synack_tcp_opts o = {.has_ts = true, .ts_val = 900, .sack_count = 1};
    o.sack[0].left = w.snd_nxt;
    o.sack[0].right = w.snd_nxt;
    struct pseg p = {.src = A(PEER6),
                     .dst = A(US6),
                     .sport = PEER_PORT,
                     .dport = SRV_PORT,
                     .flags = SYNACK_TCP_ACK | SYNACK_TCP_PSH,
                     .seq = w.rcv_nxt,
                     .ack = w.snd_nxt,
                     .opts = &o,
                     .data = data,
                     .len = sizeof data};
    size_t n = build_seg(pkt, sizeof pkt, &p);
    every_truncation(&w, pkt, n, false);
    every_truncation(&w, pkt, n, true);
    /* Behind a Hop-by-Hop and a Destination Options header, too. */
    uint8_t ext[16] = {SYNACK_IPPROTO_DSTOPTS, 0, 1, 4, 0, 0, 0, 0, SYNACK_IPPROTO_TCP, 0, 1, 4};
    uint8_t big[600];
    memcpy(big, pkt, 40);
    big[6] = SYNACK_IPPROTO_HOPOPTS;
    memcpy(big + 40, ext, 16);
    memcpy(big + 56, pkt + 40, n - 40);
    wire_put16(big + 4, (uint16_t)(n - 40 + 16));
    every_truncation(&w, big, n + 16, false);
    every_truncation(&w, big, n + 16, true);
    /* The whole datagram is still good: the data arrives, the connection never moved. */
    ASSERT_EQ(input(&w, pkt, n), 0);
    char buf[200];
    ASSERT_EQ(synack_recv(w.st, w.sd, w.now, buf, sizeof buf), 100);
    ASSERT_EQ(info(&w, w.sd).state, SYNACK_ESTABLISHED);
    w6_free(&w);
}

TEST(every_truncation_of_an_icmpv6_message_is_dropped_by_name)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    static uint8_t first[1600], pkt[1600];
    size_t flen = 0;
    flight6(&w, 1428, 1428, first, &flen);
    /* Echo request. */
    uint8_t msg[128];
    size_t m =
        wire_icmp6_emit_echo(msg, sizeof msg, A(PEER6).bytes, A(US6).bytes,
                             SYNACK_ICMP6_ECHO_REQUEST, 9, 9, (const uint8_t *)"abcdefgh", 8);
    size_t n = wrap_icmp6(pkt, PEER6, US6, msg, m);
    every_truncation(&w, pkt, n, false);
    every_truncation(&w, pkt, n, true);
    /* Packet too big quoting data in flight (cut shorter, for a quicker loop). */
    n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1280, first, 200);
    every_truncation(&w, pkt, n, false);
    every_truncation(&w, pkt, n, true);
    ASSERT_EQ(info(&w, w.sd).pmtu, 1500);
    /* A router may quote less: with the checksum right, a quote without the 8 bytes of TCP
     * cannot be matched to a connection and is ignored, counted. */
    for (size_t q = 0; q < 48; q++) {
        n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1280, first, q);
        uint64_t before = stats(&w).drops;
        input(&w, pkt, n);
        ASSERT_EQ(stats(&w).drops, before + 1);
        EXPECT_NOTHING(&w);
    }
    ASSERT_EQ(info(&w, w.sd).pmtu, 1500);
    /* Exactly the 8 bytes: enough. */
    n = icmp6_error(pkt, ROUTER6, SYNACK_ICMP6_PACKET_TOO_BIG, 0, 1280, first, 48);
    ASSERT_EQ(input(&w, pkt, n), 0);
    ASSERT_EQ(info(&w, w.sd).pmtu, 1280);
    w6_free(&w);
}

/* The DS field and the path MTU discovery mode are one per IP version, as Linux keeps
 * inet->tos and inet->pmtudisc for IPv4 (IP_TOS, IP_MTU_DISCOVER, which on an AF_INET6
 * socket rule its IPv4-mapped connections) apart from np->tclass and np->pmtudisc for IPv6
 * (IPV6_TCLASS, IPV6_MTU_DISCOVER): a dual-stack listener's IPv4 SYN-ACK and connection take
 * SYNACK_OPT_IP_TOS and SYNACK_OPT_IP_MTU_DISCOVER, its IPv6 ones SYNACK_OPT_IPV6_TCLASS and
 * SYNACK_OPT_IPV6_MTU_DISCOVER; SYNACK_OPT_TOS sets both and reads the connection's. */
static long opt_of(struct w6 *w, int sd, int opt)
{
    long v = -1;
    ASSERT_EQ(synack_getopt(w->st, sd, opt, &v), 0);
    return v;
}

TEST(tos_and_mtu_discover_are_one_per_ip_version)
{
    struct w6 w;
    w6_config(&w);
    w6_start(&w);
    int lsd = listen_on(&w, SYNACK_ADDR_ANY, SRV_PORT);
    ASSERT_EQ(synack_setopt(w.st, lsd, SYNACK_OPT_IP_TOS, 0x2b), 0);
    ASSERT_EQ(synack_setopt(w.st, lsd, SYNACK_OPT_IPV6_TCLASS, 0x40), 0);
    ASSERT_EQ(synack_setopt(w.st, lsd, SYNACK_OPT_IPV6_TCLASS, 256), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(w.st, lsd, SYNACK_OPT_IPV6_MTU_DISCOVER, SYNACK_PMTUDISC_DONT), 0);
    ASSERT_EQ(synack_setopt(w.st, lsd, SYNACK_OPT_IP_MTU_DISCOVER, 6), SYNACK_EINVAL);
    ASSERT_EQ(opt_of(&w, lsd, SYNACK_OPT_IP_TOS), 0x28);
    ASSERT_EQ(opt_of(&w, lsd, SYNACK_OPT_IPV6_TCLASS), 0x40);
    ASSERT_EQ(opt_of(&w, lsd, SYNACK_OPT_TOS), 0x28); /* no connection: IPv4's */
    ASSERT_EQ(opt_of(&w, lsd, SYNACK_OPT_IP_MTU_DISCOVER), SYNACK_PMTUDISC_WANT);
    ASSERT_EQ(opt_of(&w, lsd, SYNACK_OPT_IPV6_MTU_DISCOVER), SYNACK_PMTUDISC_DONT);

    struct synack_tcp_opts o = {.has_mss = true, .mss = 1400};
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_SYN, PEER_ISS, 0, &o), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET);
    ASSERT_EQ(w.seg.ip.tos, 0x28);
    uint32_t iss4 = w.seg.tcp.seq;
    ASSERT_EQ(peer6(&w, PEER_PORT + 1, SYNACK_TCP_SYN, PEER_ISS, 0, &o, NULL, 0), 0);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET6);
    ASSERT_EQ(w.seg.ip6.traffic_class, 0x40);
    uint32_t iss6 = w.seg.tcp.seq;
    w.now += 1000;
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, iss4 + 1, NULL), 0);
    ASSERT_EQ(peer6(&w, PEER_PORT + 1, SYNACK_TCP_ACK, PEER_ISS + 1, iss6 + 1, NULL, NULL, 0), 0);
    EXPECT_NOTHING(&w);
    int sd4 = synack_accept(w.st, lsd, NULL), sd6 = synack_accept(w.st, lsd, NULL);
    ASSERT(sd4 >= 0 && sd6 >= 0);

    /* The IPv4 connection: IPv4's values, DF on (WANT) until its own IP_ mode says DONT. */
    ASSERT_EQ(opt_of(&w, sd4, SYNACK_OPT_TOS), 0x28);
    ASSERT_EQ(opt_of(&w, sd4, SYNACK_OPT_MTU_DISCOVER), SYNACK_PMTUDISC_WANT);
    ASSERT_EQ(synack_send(w.st, sd4, w.now, "four", 4), 4);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET);
    ASSERT_EQ(w.seg.ip.tos, 0x28);
    ASSERT(w.seg.ip.frag & 0x4000);
    /* The IPv6 value changed live is not the IPv4 datagrams'; the IPv4 one is. */
    ASSERT_EQ(synack_setopt(w.st, sd4, SYNACK_OPT_IPV6_TCLASS, 0x80), 0);
    ASSERT_EQ(synack_setopt(w.st, sd4, SYNACK_OPT_IPV6_MTU_DISCOVER, SYNACK_PMTUDISC_DO), 0);
    w.now += 1000;
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, iss4 + 5, NULL), 0);
    ASSERT_EQ(synack_send(w.st, sd4, w.now, "more", 4), 4);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.ip.tos, 0x28);
    ASSERT(w.seg.ip.frag & 0x4000);
    ASSERT_EQ(synack_setopt(w.st, sd4, SYNACK_OPT_IP_TOS, 0x10), 0);
    ASSERT_EQ(synack_setopt(w.st, sd4, SYNACK_OPT_IP_MTU_DISCOVER, SYNACK_PMTUDISC_DONT), 0);
    w.now += 1000;
    ASSERT_EQ(peer4(&w, PEER_PORT, SYNACK_TCP_ACK, PEER_ISS + 1, iss4 + 9, NULL), 0);
    ASSERT_EQ(synack_send(w.st, sd4, w.now, "last", 4), 4);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.ip.tos, 0x10);
    ASSERT_EQ(w.seg.ip.frag & 0x4000, 0);

    /* The IPv6 connection: IPv6's values. */
    ASSERT_EQ(opt_of(&w, sd6, SYNACK_OPT_TOS), 0x40);
    ASSERT_EQ(opt_of(&w, sd6, SYNACK_OPT_MTU_DISCOVER), SYNACK_PMTUDISC_DONT);
    ASSERT_EQ(synack_send(w.st, sd6, w.now, "six", 3), 3);
    EXPECT_TCP(&w);
    ASSERT_EQ(w.seg.family, SYNACK_AF_INET6);
    ASSERT_EQ(w.seg.ip6.traffic_class, 0x40);
    /* SYNACK_OPT_TOS sets both versions' values. */
    ASSERT_EQ(synack_setopt(w.st, sd6, SYNACK_OPT_TOS, 0xb8), 0);
    ASSERT_EQ(opt_of(&w, sd6, SYNACK_OPT_IP_TOS), 0xb8);
    ASSERT_EQ(opt_of(&w, sd6, SYNACK_OPT_IPV6_TCLASS), 0xb8);
    w6_free(&w);
}

TEST_MAIN()
