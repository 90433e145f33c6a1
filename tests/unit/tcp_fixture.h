/*
 * tcp_fixture.h - one synack stack against a scripted peer and an integer clock, in the
 * style of smoltcp's socket tests (send!/recv!/recv_nothing!, socket_established()...).
 *
 *   struct tcpf f;
 *   conn_in_established(&f);                       the handshake, done by real segments
 *   send_ctl(&f, SYNACK_TCP_RST, f.rcv_nxt + 100, 0);
 *   EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);   challenge ACK
 *   EXPECT_NOTHING(&f);
 *   EXPECT_STATE(&f, SYNACK_ESTABLISHED);
 *   tcpf_free(&f);
 *
 * The stack is 10.0.0.1 with a fixed ISN secret and seed; the peer is 10.0.0.2 and lives
 * only in the test: send_seg() builds its segments with wire_segment_emit() and feeds them
 * to synack_input(); recv_seg() runs synack_poll() and takes the next datagram from
 * synack_output(), parsed with wire_segment_parse(). Time is f->now (microseconds), moved
 * only by the test. f->iss/f->irs are the two initial sequence numbers; f->snd_nxt and
 * f->rcv_nxt are the stack's SND.NXT and RCV.NXT as the fixtures left them, so a test
 * writes its segments and expectations in the RFC's terms. A failed expectation prints the
 * expected and the received segment side by side (seq/ack also relative to ISS/IRS).
 *
 * Every fixture builds its state by real exchanges from CLOSED and checks, with
 * synack_getinfo(), that it got there.
 */
#ifndef SYNACK_TCP_FIXTURE_H
#define SYNACK_TCP_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "synack/synack.h"
#include "test.h"
#include "wire/wire.h"

#define TCPF_LOCAL     0x0a000001u /* 10.0.0.1, the stack */
#define TCPF_PEER      0x0a000002u /* 10.0.0.2, the scripted peer */
#define TCPF_SEED      0x5eed5eedu
#define TCPF_PEER_ISS  1000000u /* the peer's initial sequence number */
#define TCPF_PEER_PORT 40000
#define TCPF_SRV_PORT  80
#define TCPF_RCVBUF    8192u  /* our receive window: small, so "outside the window" is near */
#define TCPF_PEER_WIN  65535u /* the peer's window (it never offers window scaling) */
#define TCPF_MAX_SOCKS 64
#define TCPF_STEP      1000u /* one millisecond between the fixture's exchanges */

struct tcpf {
    synack_stack *st;
    struct synack_config cfg;
    int lsd;          /* the listener, or -1 */
    int sd;           /* the connection (accepted, connecting, or a SYN-RECEIVED child) */
    uint16_t lport;   /* our port */
    uint16_t pport;   /* the peer's port */
    uint32_t iss;     /* our ISS, read from our SYN or SYN,ACK */
    uint32_t irs;     /* the peer's ISS */
    uint32_t snd_nxt; /* our SND.NXT */
    uint32_t rcv_nxt; /* our RCV.NXT (the peer's next sequence number) */
    uint16_t peer_mss;
    bool peer_ts;        /* the peer's SYNs carry a timestamp option (RFC 7323) */
    uint32_t peer_tsval; /* its TSval */
    uint8_t peer_tos;    /* the IP TOS byte of the peer's segments (its ECN field: RFC 3168) */
    uint64_t now;
    uint8_t rx[2048]; /* the last datagram received from the stack; seg points into it */
    struct synack_segment seg;
};

/* The defaults every fixture uses; a test may change f->cfg between tcpf_config() and a
 * conn_in_*() call (which creates the stack). */
static inline void tcpf_config(struct tcpf *f)
{
    memset(f, 0, sizeof *f);
    synack_config_default(&f->cfg);
    f->cfg.name = "synack";
    f->cfg.addr = synack_addr_v4(TCPF_LOCAL);
    f->cfg.max_sockets = TCPF_MAX_SOCKS;
    f->cfg.rcvbuf = TCPF_RCVBUF;
    f->cfg.sndbuf = 65536;
    f->cfg.isn_secret_set = true;
    for (int i = 0; i < 16; i++) f->cfg.isn_secret[i] = (uint8_t)(0xa0 + i);
    f->cfg.seed = TCPF_SEED;
    /* The states' tests check RFC 9293's delayed-ACK rules; quick-ACK, Linux's heuristic on
     * top of them, has its own tests (reliable_test.c). */
    f->cfg.no_quickack = true;
    f->lsd = f->sd = -1;
    f->irs = TCPF_PEER_ISS;
    f->peer_mss = 1460;
    f->now = 1000000; /* t = 1 s: nothing special about time 0 */
    test_seed(TCPF_SEED);
}

static inline void tcpf_start(struct tcpf *f)
{
    if (f->st) return;
    int err = 0;
    f->st = synack_stack_new(&f->cfg, &err);
    if (!f->st) {
        fprintf(stderr, "    synack_stack_new: %s\n", synack_strerror(err));
        test_fail_at(__FILE__, __LINE__);
    }
}

static inline void tcpf_free(struct tcpf *f)
{
    synack_stack_free(f->st);
    f->st = NULL;
}

/* ---- the peer's segments ---------------------------------------------------------------- */

static inline const char *tcpf_flags(uint16_t flags, char *buf)
{
    return wire_flags_str(flags, buf, 48);
}

/* The peer's IPv4 and TCP headers for one segment of the fixture's connection, no options:
 * for a test that changes a field send_seg does not take (the urgent pointer, the IPv4
 * header's length) before it emits the segment. */
static inline void tcpf_peer_hdrs(const struct tcpf *f, struct synack_ipv4_hdr *ip,
                                  struct synack_tcp_hdr *h, uint16_t flags, uint32_t seq,
                                  uint32_t ack, uint16_t win)
{
    memset(ip, 0, sizeof *ip);
    ip->ttl = 64;
    ip->tos = f->peer_tos;
    ip->proto = SYNACK_IPPROTO_TCP;
    ip->src = TCPF_PEER;
    ip->dst = TCPF_LOCAL;
    memset(h, 0, sizeof *h);
    h->sport = f->pport;
    h->dport = f->lport;
    h->seq = seq;
    h->ack = ack;
    h->flags = flags;
    h->window = win;
}

/* Builds one segment from the peer and feeds it to the stack at time t. Returns what
 * synack_input returned. opts may be NULL (no options). */
static inline int send_seg(struct tcpf *f, uint64_t t, uint16_t flags, uint32_t seq, uint32_t ack,
                           uint16_t win, const uint8_t *payload, size_t plen,
                           const struct synack_tcp_opts *opts)
{
    struct synack_ipv4_hdr ip;
    struct synack_tcp_hdr h;
    tcpf_peer_hdrs(f, &ip, &h, flags, seq, ack, win);
    if (opts) h.opts = *opts;
    uint8_t buf[2048];
    size_t n = wire_segment_emit(buf, sizeof buf, &ip, &h, payload, plen);
    if (n == 0) {
        fprintf(stderr, "    send_seg: wire_segment_emit failed\n");
        test_fail_at(__FILE__, __LINE__);
    }
    f->now = t;
    return synack_input(f->st, t, buf, n);
}

/* A segment without payload, at f->now, with the peer's usual window. */
static inline int send_ctl(struct tcpf *f, uint16_t flags, uint32_t seq, uint32_t ack)
{
    return send_seg(f, f->now, flags, seq, ack, TCPF_PEER_WIN, NULL, 0, NULL);
}

/* n bytes of payload ('a', 'b', ...), at f->now. */
static inline int send_data(struct tcpf *f, uint16_t flags, uint32_t seq, uint32_t ack, size_t n)
{
    uint8_t data[1500];
    if (n > sizeof data) n = sizeof data;
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)('a' + i % 26);
    return send_seg(f, f->now, flags, seq, ack, TCPF_PEER_WIN, data, n, NULL);
}

/* A SYN (or SYN,ACK) with an MSS option, as the fixtures' peer sends it. */
static inline int send_syn(struct tcpf *f, uint16_t flags, uint32_t seq, uint32_t ack)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = f->peer_mss;
    if (f->peer_ts) {
        o.has_ts = true;
        o.ts_val = f->peer_tsval;
    }
    return send_seg(f, f->now, flags, seq, ack, TCPF_PEER_WIN, NULL, 0, &o);
}

/* ---- the stack's segments ---------------------------------------------------------------- */

/* Runs the timers due at t and takes the next datagram the stack sends; false when there
 * is none. The segment is in f->seg (its payload in f->rx). */
static inline bool recv_seg(struct tcpf *f, uint64_t t, struct synack_segment *out)
{
    f->now = t;
    synack_poll(f->st, t);
    int n = synack_output(f->st, t, f->rx, sizeof f->rx);
    if (n <= 0) return false;
    int r = wire_segment_parse(f->rx, (size_t)n, true, &f->seg);
    if (r != 0) {
        fprintf(stderr, "    recv_seg: the stack sent a datagram that does not parse (%d)\n", r);
        test_fail_at(__FILE__, __LINE__);
    }
    if (out) *out = f->seg;
    return true;
}

static inline void tcpf_print_seg(const struct tcpf *f, const char *label, uint16_t flags,
                                  uint32_t seq, uint32_t ack, uint32_t len)
{
    char fb[48];
    fprintf(stderr, "    %s %-12s seq=%u (ISS%+lld) ack=%u (IRS%+lld) len=%u\n", label,
            tcpf_flags(flags, fb), seq, (long long)(int32_t)(seq - f->iss), ack,
            (long long)(int32_t)(ack - f->irs), len);
}

static inline void recv_nothing_at(struct tcpf *f, uint64_t t, const char *file, int line)
{
    if (recv_seg(f, t, NULL)) {
        fprintf(stderr, "    expected no segment at t=%llu us, got one:\n", (unsigned long long)t);
        tcpf_print_seg(f, "got     ", f->seg.tcp.flags, f->seg.tcp.seq, f->seg.tcp.ack,
                       f->seg.payload_len);
        test_fail_at(file, line);
    }
}
#define recv_nothing(f, t) recv_nothing_at((f), (t), __FILE__, __LINE__)
#define EXPECT_NOTHING(f)  recv_nothing_at((f), (f)->now, __FILE__, __LINE__)

/* The next segment must be exactly flags/seq/len, and ack when ACK is among the flags;
 * it must come from our address and port to the peer's. */
static inline void expect_seg_at(struct tcpf *f, uint64_t t, uint16_t flags, uint32_t seq,
                                 uint32_t ack, uint32_t len, const char *file, int line)
{
    if (!recv_seg(f, t, NULL)) {
        fprintf(stderr, "    expected a segment at t=%llu us, got none:\n", (unsigned long long)t);
        tcpf_print_seg(f, "expected", flags, seq, ack, len);
        test_fail_at(file, line);
    }
    const struct synack_segment *s = &f->seg;
    bool ok = s->tcp.flags == flags && s->tcp.seq == seq && s->payload_len == len &&
              (!(flags & SYNACK_TCP_ACK) || s->tcp.ack == ack) && s->ip.src == TCPF_LOCAL &&
              s->ip.dst == TCPF_PEER && s->tcp.sport == f->lport && s->tcp.dport == f->pport;
    if (!ok) {
        fprintf(stderr, "    segment differs (t=%llu us):\n", (unsigned long long)t);
        tcpf_print_seg(f, "expected", flags, seq, ack, len);
        tcpf_print_seg(f, "got     ", s->tcp.flags, s->tcp.seq, s->tcp.ack, s->payload_len);
        if (s->tcp.sport != f->lport || s->tcp.dport != f->pport)
            fprintf(stderr, "    ports %u -> %u, expected %u -> %u\n", s->tcp.sport, s->tcp.dport,
                    f->lport, f->pport);
        test_fail_at(file, line);
    }
}
#define expect_seg(f, flags, seq, ack, len)                                                        \
    expect_seg_at((f), (f)->now, (flags), (seq), (ack), (len), __FILE__, __LINE__)
#define EXPECT_SEG(f, flags, seq, ack, len) expect_seg(f, flags, seq, ack, len)
#define EXPECT_SEG_AT(f, t, flags, seq, ack, len)                                                  \
    expect_seg_at((f), (t), (flags), (seq), (ack), (len), __FILE__, __LINE__)

/* ---- states ---------------------------------------------------------------------------- */

/* The state of descriptor sd; CLOSED when the socket is gone. */
static inline int tcpf_state_of(const struct tcpf *f, int sd)
{
    struct synack_sockinfo in;
    if (sd < 0 || synack_getinfo(f->st, sd, &in) != 0) return SYNACK_CLOSED;
    return in.state;
}

static inline void expect_state_at(const struct tcpf *f, int sd, int state, const char *file,
                                   int line)
{
    int got = tcpf_state_of(f, sd);
    if (got != state) {
        fprintf(stderr, "    state of sd %d: expected %s, got %s\n", sd, synack_state_name(state),
                synack_state_name(got));
        test_fail_at(file, line);
    }
}
#define EXPECT_STATE(f, state)                                                                     \
    (tcpf_follow(f), expect_state_at((f), (f)->sd, (state), __FILE__, __LINE__))
#define EXPECT_STATE_SD(f, sd, state) expect_state_at((f), (sd), (state), __FILE__, __LINE__)

/* The socket (held by the user or not) connected to the peer's port; -1 when none. A
 * half-open connection holds no socket: it is a request record, whose descriptor for
 * synack_getinfo is max_sockets + its index, so the search covers those too. */
static inline int tcpf_find_conn(const struct tcpf *f)
{
    int n = (int)(f->cfg.max_sockets + f->cfg.max_half_open);
    for (int sd = 0; sd < n; sd++) {
        struct synack_sockinfo in;
        if (synack_getinfo(f->st, sd, &in) != 0) continue;
        if (in.state != SYNACK_LISTEN && in.state != SYNACK_CLOSED &&
            synack_addr_to_v4(&in.remote.addr) == TCPF_PEER && in.remote.port == f->pport &&
            in.local.port == f->lport)
            return sd;
    }
    return -1;
}

/* f->sd may name a SYN-RECEIVED request (conn_in_syn_received): when the handshake's ACK
 * completes, the connection becomes a socket with an sd of its own, and the request's
 * descriptor is gone. Follow the connection to it, so that a test's checks after the ACK
 * (EXPECT_STATE, tcpf_info, then accept() == f.sd) see the connection, as they did when
 * a SYN-RECEIVED child was a full socket. */
static inline void tcpf_follow(struct tcpf *f)
{
    if (!f->st || f->sd < (int)f->cfg.max_sockets) return;
    struct synack_sockinfo in;
    if (synack_getinfo(f->st, f->sd, &in) == 0 && in.remote.port == f->pport) return;
    int sd = tcpf_find_conn(f);
    if (sd >= 0) f->sd = sd;
}

static inline struct synack_sockinfo tcpf_info(struct tcpf *f)
{
    tcpf_follow(f);
    struct synack_sockinfo in;
    memset(&in, 0, sizeof in);
    ASSERT_EQ(synack_getinfo(f->st, f->sd, &in), 0);
    return in;
}

/* ---- fixtures: each state reached by real exchanges --------------------------------------- */

/* No socket at all on port 80: a segment there meets RFC 9293 §3.10.7.1 (CLOSED). */
static inline void conn_in_closed(struct tcpf *f)
{
    tcpf_start(f);
    f->lport = TCPF_SRV_PORT;
    f->pport = TCPF_PEER_PORT;
}

static inline void conn_in_listen(struct tcpf *f)
{
    tcpf_start(f);
    f->lport = TCPF_SRV_PORT;
    f->pport = TCPF_PEER_PORT;
    f->lsd = synack_socket(f->st);
    ASSERT(f->lsd >= 0);
    ASSERT_EQ(synack_bind(f->st, f->lsd, SYNACK_ADDR_ANY, TCPF_SRV_PORT), 0);
    ASSERT_EQ(synack_listen(f->st, f->lsd, 8), 0);
    EXPECT_STATE_SD(f, f->lsd, SYNACK_LISTEN);
}

/* Passive: LISTEN, the peer's SYN, our SYN,ACK. */
static inline void conn_in_syn_received(struct tcpf *f)
{
    conn_in_listen(f);
    send_syn(f, SYNACK_TCP_SYN, f->irs, 0);
    ASSERT(recv_seg(f, f->now, NULL));
    f->iss = f->seg.tcp.seq;
    ASSERT_EQ(f->seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(f->seg.tcp.ack, f->irs + 1);
    ASSERT(f->seg.tcp.opts.has_mss);
    EXPECT_NOTHING(f);
    f->snd_nxt = f->iss + 1;
    f->rcv_nxt = f->irs + 1;
    f->sd = tcpf_find_conn(f);
    ASSERT(f->sd >= 0);
    EXPECT_STATE(f, SYNACK_SYN_RECEIVED);
}

/* Passive: SYN-RECEIVED and the peer's ACK; the connection is accepted. */
static inline void conn_in_established(struct tcpf *f)
{
    conn_in_syn_received(f);
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    EXPECT_NOTHING(f);
    struct synack_endpoint peer;
    int sd = synack_accept(f->st, f->lsd, &peer);
    ASSERT(sd >= 0);
    /* The connection is a socket now, not the request conn_in_syn_received found. */
    f->sd = sd;
    ASSERT_EQ(synack_addr_to_v4(&peer.addr), TCPF_PEER);
    ASSERT_EQ(peer.port, f->pport);
    EXPECT_STATE(f, SYNACK_ESTABLISHED);
}

/* One more passive connection on a listening fixture: the peer's handshake from port pport
 * (our SYN-ACK, its ACK; nothing else may answer but data, a reset fails it). Returns the
 * accepted descriptor, or -1, and our ISS in *iss. For tests that hold many at once. */
static inline int tcpf_peer_connect(struct tcpf *f, uint16_t pport, uint32_t *iss)
{
    f->pport = pport;
    send_syn(f, SYNACK_TCP_SYN, f->irs, 0);
    if (!recv_seg(f, f->now, NULL) || f->seg.tcp.flags != (SYNACK_TCP_SYN | SYNACK_TCP_ACK))
        return -1;
    *iss = f->seg.tcp.seq;
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_ACK, f->irs + 1, *iss + 1);
    while (recv_seg(f, f->now, NULL))
        if (f->seg.tcp.flags & SYNACK_TCP_RST) return -1;
    return synack_accept(f->st, f->lsd, NULL);
}

/* Active: connect() sends our SYN. */
static inline void conn_in_syn_sent(struct tcpf *f)
{
    tcpf_start(f);
    f->pport = TCPF_SRV_PORT;
    f->sd = synack_socket(f->st);
    ASSERT(f->sd >= 0);
    ASSERT_EQ(synack_connect(f->st, f->sd, f->now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT),
              SYNACK_EINPROGRESS);
    struct synack_sockinfo in = tcpf_info(f);
    f->lport = in.local.port;
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT(f->seg.tcp.opts.has_mss);
    f->iss = f->seg.tcp.seq;
    ASSERT_EQ(f->iss, in.iss);
    EXPECT_NOTHING(f);
    f->snd_nxt = f->iss + 1;
    EXPECT_STATE(f, SYNACK_SYN_SENT);
}

/* Active: SYN-SENT, the peer's SYN,ACK, our ACK. */
static inline void conn_in_established_active(struct tcpf *f)
{
    conn_in_syn_sent(f);
    f->now += TCPF_STEP;
    send_syn(f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f->irs, f->snd_nxt);
    f->rcv_nxt = f->irs + 1;
    EXPECT_SEG(f, SYNACK_TCP_ACK, f->snd_nxt, f->rcv_nxt, 0);
    EXPECT_NOTHING(f);
    EXPECT_STATE(f, SYNACK_ESTABLISHED);
}

/* Active, simultaneous open (RFC 9293 Figure 8): SYN-SENT and the peer's own SYN. */
static inline void conn_in_syn_received_active(struct tcpf *f)
{
    conn_in_syn_sent(f);
    f->now += TCPF_STEP;
    send_syn(f, SYNACK_TCP_SYN, f->irs, 0);
    f->rcv_nxt = f->irs + 1;
    EXPECT_SEG(f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f->iss, f->rcv_nxt, 0);
    EXPECT_NOTHING(f);
    EXPECT_STATE(f, SYNACK_SYN_RECEIVED);
}

/* ESTABLISHED, the user shuts the write side: our FIN. */
static inline void conn_in_fin_wait_1(struct tcpf *f)
{
    conn_in_established(f);
    f->now += TCPF_STEP;
    ASSERT_EQ(synack_shutdown(f->st, f->sd, f->now, SYNACK_SHUT_WR), 0);
    EXPECT_SEG(f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f->snd_nxt, f->rcv_nxt, 0);
    EXPECT_NOTHING(f);
    f->snd_nxt++;
    EXPECT_STATE(f, SYNACK_FIN_WAIT_1);
}

/* FIN-WAIT-1 and the ACK of our FIN. */
static inline void conn_in_fin_wait_2(struct tcpf *f)
{
    conn_in_fin_wait_1(f);
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    EXPECT_NOTHING(f);
    EXPECT_STATE(f, SYNACK_FIN_WAIT_2);
}

/* ESTABLISHED and the peer's FIN: we ACK it. */
static inline void conn_in_close_wait(struct tcpf *f)
{
    conn_in_established(f);
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    f->rcv_nxt++;
    EXPECT_SEG(f, SYNACK_TCP_ACK, f->snd_nxt, f->rcv_nxt, 0);
    EXPECT_NOTHING(f);
    EXPECT_STATE(f, SYNACK_CLOSE_WAIT);
}

/* CLOSE-WAIT, the user closes its side: our FIN. */
static inline void conn_in_last_ack(struct tcpf *f)
{
    conn_in_close_wait(f);
    f->now += TCPF_STEP;
    ASSERT_EQ(synack_shutdown(f->st, f->sd, f->now, SYNACK_SHUT_WR), 0);
    EXPECT_SEG(f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f->snd_nxt, f->rcv_nxt, 0);
    EXPECT_NOTHING(f);
    f->snd_nxt++;
    EXPECT_STATE(f, SYNACK_LAST_ACK);
}

/* FIN-WAIT-1 and the peer's FIN, which does not acknowledge ours: simultaneous close. */
static inline void conn_in_closing(struct tcpf *f)
{
    conn_in_fin_wait_1(f);
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt - 1);
    f->rcv_nxt++;
    EXPECT_SEG(f, SYNACK_TCP_ACK, f->snd_nxt, f->rcv_nxt, 0);
    EXPECT_NOTHING(f);
    EXPECT_STATE(f, SYNACK_CLOSING);
}

/* FIN-WAIT-2 and the peer's FIN: we ACK it and wait 2*MSL. */
static inline void conn_in_time_wait(struct tcpf *f)
{
    conn_in_fin_wait_2(f);
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    f->rcv_nxt++;
    EXPECT_SEG(f, SYNACK_TCP_ACK, f->snd_nxt, f->rcv_nxt, 0);
    EXPECT_NOTHING(f);
    EXPECT_STATE(f, SYNACK_TIME_WAIT);
}

#endif
