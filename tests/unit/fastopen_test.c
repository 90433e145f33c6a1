/*
 * fastopen_test.c - TCP Fast Open (RFC 7413): the cookie as Linux computes it, the option
 * on the wire (kind 34, §4.1.1, and the experimental kind 254 with its magic), and, on the
 * tcp fixture's scripted peer, every path of a server's and a client's cookie: a request,
 * a valid cookie with data, an invalid one, each fallback to the 3-way handshake.
 */
#include <string.h>

#include "tcp_fixture.h"
#include "test.h"
#include "wire/wire.h"

/* The key packetdrill's defaults.sh sets: a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4. */
static const uint8_t pd_key[16] = {0xa1, 0xa1, 0xa1, 0xa1, 0xb2, 0xb2, 0xb2, 0xb2,
                                   0xc3, 0xc3, 0xc3, 0xc3, 0xd4, 0xd4, 0xd4, 0xd4};

static void hex8(const uint8_t c[8], char out[17])
{
    for (int i = 0; i < 8; i++) snprintf(out + 2 * i, 3, "%02x", c[i]);
}

/* The values packetdrill's run_all.py passes as TFO_COOKIE for Linux's suite. */
TEST(cookie_matches_linux_ipv4)
{
    struct synack_addr c, s;
    ASSERT_EQ(synack_addr_parse("192.0.2.1", &c), 0);
    ASSERT_EQ(synack_addr_parse("192.168.0.1", &s), 0);
    uint8_t ck[8];
    char hex[17];
    synack_fastopen_cookie(pd_key, &c, &s, ck);
    hex8(ck, hex);
    ASSERT_STR_EQ(hex, "3021b9d889017eeb");
}

TEST(cookie_matches_linux_ipv6)
{
    struct synack_addr c, s;
    ASSERT_EQ(synack_addr_parse("fd3d:fa7b:d17d::1", &c), 0);
    ASSERT_EQ(synack_addr_parse("fd3d:a0b:17d6::1", &s), 0);
    uint8_t ck[8];
    char hex[17];
    synack_fastopen_cookie(pd_key, &c, &s, ck);
    hex8(ck, hex);
    ASSERT_STR_EQ(hex, "c1d1e9742a47a9bc");
}

/* The option round trip: a request (no cookie) and a cookie, in both kinds, on a SYN with
 * every other option, in Linux's order (MSS, SACK-permitted, TS, NOP, WS, then FO). */
TEST(wire_fastopen_option_round_trip)
{
    for (int kind = 0; kind < 2; kind++) {
        for (int len = 0; len <= 16; len += 4) {
            struct synack_tcp_opts o, back;
            memset(&o, 0, sizeof o);
            o.has_mss = true;
            o.mss = 1460;
            o.sack_permitted = true;
            o.has_ts = true;
            o.ts_val = 7;
            o.has_wscale = true;
            o.wscale = 8;
            o.fo_kind = kind ? SYNACK_TCP_FO_EXP : SYNACK_TCP_FO;
            o.fo_len = (uint8_t)len;
            for (int i = 0; i < len; i++) o.fo_cookie[i] = (uint8_t)(0x10 + i);
            uint8_t buf[40];
            size_t n = wire_tcp_emit_opts(buf, sizeof buf, &o);
            ASSERT(n > 0 && n % 4 == 0);
            ASSERT_EQ(n, wire_tcp_opts_len(&o));
            ASSERT_EQ(buf[20], kind ? 254 : 34);
            ASSERT_EQ(wire_tcp_parse_opts(buf, n, &back), 0);
            ASSERT_EQ(back.fo_kind, o.fo_kind);
            ASSERT_EQ(back.fo_len, o.fo_len);
            ASSERT(memcmp(back.fo_cookie, o.fo_cookie, (size_t)len) == 0);
            ASSERT(back.has_mss && back.has_ts && back.has_wscale && back.sack_permitted);
        }
    }
}

/* RFC 7413 §4.1.1: a cookie is 4 to 16 bytes; the experimental kind needs its magic. */
TEST(wire_fastopen_option_malformed_ignored)
{
    struct synack_tcp_opts o;
    const uint8_t odd[] = {34, 5, 1, 2, 3, 1};                    /* a 3-byte cookie */
    const uint8_t short_ck[] = {34, 4, 1, 2};                     /* 2 bytes: below the minimum */
    const uint8_t bad_magic[] = {254, 8, 0x12, 0x34, 1, 2, 3, 4}; /* another experiment */
    const uint8_t exp_req[] = {254, 4, 0xf9, 0x89};
    ASSERT_EQ(wire_tcp_parse_opts(odd, sizeof odd, &o), 0);
    ASSERT_EQ(o.fo_kind, 0);
    ASSERT_EQ(wire_tcp_parse_opts(short_ck, sizeof short_ck, &o), 0);
    ASSERT_EQ(o.fo_kind, 0);
    ASSERT_EQ(wire_tcp_parse_opts(bad_magic, sizeof bad_magic, &o), 0);
    ASSERT_EQ(o.fo_kind, 0);
    ASSERT_EQ(wire_tcp_parse_opts(exp_req, sizeof exp_req, &o), 0);
    ASSERT_EQ(o.fo_kind, SYNACK_TCP_FO_EXP);
    ASSERT_EQ(o.fo_len, 0);
}

/* ---- the server, on the fixture's scripted peer ------------------------------------------ */

static const uint8_t fx_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* A listener with Fast Open (queue limit qlen, 0: none) and a known key. */
static void tfo_listen(struct tcpf *f, long qlen)
{
    tcpf_config(f);
    f->cfg.fastopen_key_set = true;
    memcpy(f->cfg.fastopen_key, fx_key, 16);
    conn_in_listen(f);
    f->irs = TCPF_PEER_ISS;
    f->peer_mss = 1460;
    if (qlen) ASSERT_EQ(synack_setopt(f->st, f->lsd, SYNACK_OPT_FASTOPEN, qlen), 0);
}

static void peer_cookie(const uint8_t key[16], uint8_t ck[8])
{
    struct synack_addr c = synack_addr_v4(TCPF_PEER), s = synack_addr_v4(TCPF_LOCAL);
    synack_fastopen_cookie(key, &c, &s, ck);
}

/* The peer's SYN with a Fast Open option (kind; cookie of len bytes, or a request) and
 * n bytes of data. */
static void tfo_syn(struct tcpf *f, uint8_t kind, const uint8_t *cookie, uint8_t len, size_t n)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = f->peer_mss;
    o.fo_kind = kind;
    o.fo_len = len;
    if (len) memcpy(o.fo_cookie, cookie, len);
    uint8_t data[1500];
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)('a' + i % 26);
    send_seg(f, f->now, SYNACK_TCP_SYN, f->irs, 0, TCPF_PEER_WIN, data, n, &o);
}

/* RFC 7413 §4.2.2: an empty option asks for a cookie; the SYN-ACK carries it, in the kind
 * the client used, and the SYN's data is not acknowledged. */
TEST(listen_fastopen_cookie_request_gets_cookie)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    for (int k = 0; k < 2; k++) {
        uint8_t kind = k ? SYNACK_TCP_FO_EXP : SYNACK_TCP_FO;
        f.pport = (uint16_t)(TCPF_PEER_PORT + k);
        tfo_syn(&f, kind, NULL, 0, 10);
        ASSERT(recv_seg(&f, f.now, NULL));
        ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
        ASSERT_EQ(f.seg.tcp.ack, f.irs + 1);
        ASSERT_EQ(f.seg.tcp.opts.fo_kind, kind);
        ASSERT_EQ(f.seg.tcp.opts.fo_len, 8);
        uint8_t want[8];
        peer_cookie(fx_key, want);
        ASSERT_MEM_EQ(f.seg.tcp.opts.fo_cookie, want, 8);
        EXPECT_NOTHING(&f);
        ASSERT_EQ(synack_accept(f.st, f.lsd, NULL), SYNACK_EAGAIN);
    }
    struct synack_stats s;
    synack_get_stats(f.st, &s);
    ASSERT_EQ(s.tfo_cookie_reqs, 2);
    tcpf_free(&f);
}

/* A valid cookie with data: the connection is born at once, the SYN-ACK acknowledges the
 * data, accept returns it before the handshake's ACK with the data readable, and it may
 * send at once (RFC 7413 §4.2.2). */
TEST(listen_fastopen_valid_cookie_born_at_once)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 11);
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, 0);
    f.iss = f.seg.tcp.seq;
    EXPECT_NOTHING(&f);
    int sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(sd >= 0);
    f.sd = sd;
    EXPECT_STATE(&f, SYNACK_SYN_RECEIVED);
    ASSERT(tcpf_info(&f).syn_data);
    char buf[64];
    ASSERT_EQ(synack_recv(f.st, sd, f.now, buf, sizeof buf), 10);
    ASSERT_MEM_EQ(buf, "abcdefghij", 10);
    ASSERT_EQ(synack_send(f.st, sd, f.now, "hello", 5), 5);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 1, f.irs + 11, 5);
    f.now += TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.irs + 11, f.iss + 6);
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    ASSERT_EQ(tcpf_info(&f).snd_una, f.iss + 6);
    struct synack_stats s;
    synack_get_stats(f.st, &s);
    ASSERT_EQ(s.tfo_passive, 1);
    tcpf_free(&f);
}

/* ECN (RFC 3168 §6.1.1) is agreed on a connection born from a SYN with data as on any
 * other: its SYN-ACK carries ECE when the SYN asked with ECE and CWR (Linux does the same). */
TEST(listen_fastopen_born_connection_agrees_to_ecn)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = f.peer_mss;
    o.fo_kind = SYNACK_TCP_FO;
    o.fo_len = 8;
    memcpy(o.fo_cookie, ck, 8);
    send_seg(&f, f.now, SYNACK_TCP_SYN | SYNACK_TCP_ECE | SYNACK_TCP_CWR, f.irs, 0, TCPF_PEER_WIN,
             (const uint8_t *)"0123456789", 10, &o);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK | SYNACK_TCP_ECE);
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 11);
    int sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(sd >= 0);
    f.sd = sd;
    ASSERT(tcpf_info(&f).ecn_ok);
    tcpf_free(&f);
}

/* An invalid cookie: the 3-way handshake, and a fresh cookie in the SYN-ACK. */
TEST(listen_fastopen_invalid_cookie_falls_back)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    const uint8_t bad[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    tfo_syn(&f, SYNACK_TCP_FO, bad, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 1);
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, SYNACK_TCP_FO);
    uint8_t want[8];
    peer_cookie(fx_key, want);
    ASSERT_MEM_EQ(f.seg.tcp.opts.fo_cookie, want, 8);
    ASSERT_EQ(synack_accept(f.st, f.lsd, NULL), SYNACK_EAGAIN);
    f.iss = f.seg.tcp.seq;
    f.now += TCPF_STEP;
    send_data(&f, SYNACK_TCP_ACK, f.irs + 1, f.iss + 1, 10);
    int sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(sd >= 0);
    f.sd = sd;
    ASSERT(!tcpf_info(&f).syn_data);
    tcpf_free(&f);
}

/* RFC 7413 §5.1: the queue limit bounds the connections waiting for their handshake's ACK;
 * beyond it a valid cookie gets the 3-way handshake. */
TEST(listen_fastopen_queue_full_falls_back)
{
    struct tcpf f;
    tfo_listen(&f, 1);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 11);
    f.pport = TCPF_PEER_PORT + 1;
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 1);
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, 0);
    struct synack_stats s;
    synack_get_stats(f.st, &s);
    ASSERT_EQ(s.tfo_fallbacks, 1);
    tcpf_free(&f);
}

/* A listener without Fast Open ignores the option and the data. */
TEST(listen_without_fastopen_ignores_cookie)
{
    struct tcpf f;
    tfo_listen(&f, 0);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 1);
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, 0);
    tcpf_free(&f);
}

/* SYNACK_TFO_SERVER_ALL (Linux's 0x400): every listener takes Fast Open without
 * SYNACK_OPT_FASTOPEN, with the queue limit of the flags' bits 16-31. A limit of 1: the
 * first SYN with data is born at once, the second, while the first child is still in
 * SYN-RECEIVED, falls back to the 3-way handshake. */
TEST(listen_fastopen_server_all_bit_gives_every_listener_the_flags_queue_limit)
{
    struct tcpf f;
    tfo_listen(&f, 0);
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_SERVER | SYNACK_TFO_SERVER_ALL | (1u << 16)), 0);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 11);
    /* A second client (another port), the same cookie (it depends on the addresses). */
    f.pport++;
    f.irs += 100000;
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 1);
    struct synack_stats st;
    synack_get_stats(f.st, &st);
    ASSERT_EQ(st.tfo_passive, 1);
    ASSERT_EQ(st.tfo_fallbacks, 1);
    tcpf_free(&f);
}

/* SYNACK_TFO_SERVER off: no listener takes Fast Open, whatever its option says. */
TEST(listen_fastopen_server_bit_off_ignores_cookie)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_CLIENT), 0);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 1);
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, 0);
    tcpf_free(&f);
}

/* RFC 7413 §4.1.2: with the old key as the backup, its cookies stay valid, and the SYN-ACK
 * hands out one of the new key. */
TEST(listen_fastopen_backup_key_accepted)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    uint8_t nkey[16];
    for (int i = 0; i < 16; i++) nkey[i] = (uint8_t)(0x40 + i);
    ASSERT_EQ(synack_set_fastopen_key(f.st, nkey, fx_key), 0);
    uint8_t old[8], fresh[8];
    peer_cookie(fx_key, old);
    peer_cookie(nkey, fresh);
    tfo_syn(&f, SYNACK_TCP_FO, old, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 11);
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, SYNACK_TCP_FO);
    ASSERT_MEM_EQ(f.seg.tcp.opts.fo_cookie, fresh, 8);
    /* Without the backup, the old cookie is refused. */
    ASSERT_EQ(synack_set_fastopen_key(f.st, nkey, NULL), 0);
    f.pport = TCPF_PEER_PORT + 1;
    tfo_syn(&f, SYNACK_TCP_FO, old, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 1);
    tcpf_free(&f);
}

/* A listener's own key (Linux's TCP_FASTOPEN_KEY on a socket) makes and checks its
 * cookies; the stack's key no longer does for it. */
TEST(listen_fastopen_socket_key_is_the_listeners)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    uint8_t lkey[16];
    for (int i = 0; i < 16; i++) lkey[i] = (uint8_t)(0xa0 + i);
    ASSERT_EQ(synack_set_socket_fastopen_key(f.st, f.lsd, lkey, NULL), 0);
    ASSERT_EQ(synack_set_socket_fastopen_key(f.st, 999, lkey, NULL), SYNACK_EBADF);
    uint8_t mine[8], stacks[8];
    peer_cookie(lkey, mine);
    peer_cookie(fx_key, stacks);
    /* A request gets the listener's cookie. */
    tfo_syn(&f, SYNACK_TCP_FO, NULL, 0, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.opts.fo_len, 8);
    ASSERT_MEM_EQ(f.seg.tcp.opts.fo_cookie, mine, 8);
    /* The stack's cookie is refused (and the listener's handed out). */
    f.pport = TCPF_PEER_PORT + 1;
    tfo_syn(&f, SYNACK_TCP_FO, stacks, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 1);
    ASSERT_MEM_EQ(f.seg.tcp.opts.fo_cookie, mine, 8);
    /* The listener's is taken with its data. */
    f.pport = TCPF_PEER_PORT + 2;
    tfo_syn(&f, SYNACK_TCP_FO, mine, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 11);
    tcpf_free(&f);
}

/* SYNACK_TFO_SERVER_NO_COOKIE: data in a SYN without any option is taken. */
TEST(listen_fastopen_no_cookie_mode_takes_data)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_SERVER | SYNACK_TFO_SERVER_NO_COOKIE), 0);
    tfo_syn(&f, 0, NULL, 0, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 11);
    tcpf_free(&f);
}

/* A connection born at once that is reset before accept leaves the queue, and its slot in
 * the Fast Open queue is free again. */
TEST(listen_fastopen_child_reset_frees_queue)
{
    struct tcpf f;
    tfo_listen(&f, 1);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    send_ctl(&f, SYNACK_TCP_RST, f.irs + 11, 0);
    f.pport = TCPF_PEER_PORT + 1;
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.ack, f.irs + 11);
    tcpf_free(&f);
}

/* ---- the client ---------------------------------------------------------------------------- */

static void tfo_client(struct tcpf *f)
{
    tcpf_config(f);
    tcpf_start(f);
    f->pport = TCPF_SRV_PORT;
    f->irs = TCPF_PEER_ISS;
}

/* connect with data and no cookie: the SYN asks for one and carries nothing. */
static void client_learns_cookie(struct tcpf *f, const uint8_t ck[8], uint16_t server_mss)
{
    f->sd = synack_socket(f->st);
    ASSERT(f->sd >= 0);
    char data[2000];
    memset(data, 'x', sizeof data);
    ASSERT_EQ(synack_connect_data(f->st, f->sd, f->now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT,
                                  data, 1000),
              SYNACK_EINPROGRESS);
    f->lport = tcpf_info(f).local.port;
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(f->seg.payload_len, 0);
    ASSERT_EQ(f->seg.tcp.opts.fo_kind, SYNACK_TCP_FO);
    ASSERT_EQ(f->seg.tcp.opts.fo_len, 0);
    f->iss = f->seg.tcp.seq;
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = server_mss;
    o.fo_kind = SYNACK_TCP_FO;
    o.fo_len = 8;
    memcpy(o.fo_cookie, ck, 8);
    f->now += TCPF_STEP;
    send_seg(f, f->now, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f->irs, f->iss + 1, TCPF_PEER_WIN, NULL, 0,
             &o);
    EXPECT_SEG(f, SYNACK_TCP_ACK, f->iss + 1, f->irs + 1, 0);
    EXPECT_STATE(f, SYNACK_ESTABLISHED);
    ASSERT(!tcpf_info(f).syn_data);
    ASSERT_EQ(synack_abort(f->st, f->sd, f->now), 0);
    (void)recv_seg(f, f->now, NULL); /* the reset */
}

/* RFC 7413 §4.2.1: with a cookie cached, the SYN carries it and data, at most the server's
 * MSS less 40 bytes; the SYN-ACK that acknowledges it all makes syn_data true. */
TEST(connect_fastopen_cookie_then_data_in_syn)
{
    struct tcpf f;
    tfo_client(&f);
    const uint8_t ck[8] = {0xab, 0xcd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
    client_learns_cookie(&f, ck, 940);
    f.sd = synack_socket(f.st);
    char data[2000];
    memset(data, 'y', sizeof data);
    long n = synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data,
                                 sizeof data);
    ASSERT_EQ(n, 900);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(f.seg.payload_len, 900);
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, SYNACK_TCP_FO);
    ASSERT_MEM_EQ(f.seg.tcp.opts.fo_cookie, ck, 8);
    f.iss = f.seg.tcp.seq;
    f.now += TCPF_STEP;
    send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 901);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.iss + 901, f.irs + 1, 0);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    ASSERT(tcpf_info(&f).syn_data);
    ASSERT_EQ(tcpf_info(&f).snd_queued, 0);
    tcpf_free(&f);
}

/* A SYN-ACK that acknowledges only the SYN: the data goes again at once. */
TEST(connect_fastopen_data_not_acked_sent_again)
{
    struct tcpf f;
    tfo_client(&f);
    const uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    client_learns_cookie(&f, ck, 1460);
    f.sd = synack_socket(f.st);
    char data[100];
    memset(data, 'z', sizeof data);
    ASSERT_EQ(
        synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data, 100),
        100);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.payload_len, 100);
    f.iss = f.seg.tcp.seq;
    f.now += TCPF_STEP;
    send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 1);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 1, f.irs + 1, 100);
    EXPECT_NOTHING(&f);
    ASSERT(!tcpf_info(&f).syn_data);
    f.now += TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.irs + 1, f.iss + 101);
    ASSERT_EQ(tcpf_info(&f).snd_una, f.iss + 101);
    tcpf_free(&f);
}

/* A cookie in the SYN-ACK of a SYN that carried no Fast Open option (data without a
 * cookie, SYNACK_TFO_CLIENT_NO_COOKIE) was not asked for: it is not cached (Linux's
 * tcp_rcv_fastopen_synack ignores an unsolicited cookie); the server's MSS is. */
TEST(connect_fastopen_unsolicited_cookie_not_cached)
{
    struct tcpf f;
    tfo_client(&f);
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_CLIENT | SYNACK_TFO_CLIENT_NO_COOKIE), 0);
    f.sd = synack_socket(f.st);
    char data[2000];
    memset(data, 'u', sizeof data);
    ASSERT_EQ(
        synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data, 100),
        100);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, 0);
    f.iss = f.seg.tcp.seq;
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.mss = 940;
    o.fo_kind = SYNACK_TCP_FO;
    o.fo_len = 8;
    memcpy(o.fo_cookie, "\xab\xcd\x12\x34\xab\xcd\x12\x34", 8);
    f.now += TCPF_STEP;
    send_seg(&f, f.now, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 101, TCPF_PEER_WIN, NULL, 0,
             &o);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.iss + 101, f.irs + 1, 0);
    ASSERT_EQ(synack_abort(f.st, f.sd, f.now), 0);
    (void)recv_seg(&f, f.now, NULL); /* the reset */
    /* With cookies required again, the next SYN asks for one and carries nothing. */
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_CLIENT), 0);
    f.sd = synack_socket(f.st);
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data,
                                  1000),
              SYNACK_EINPROGRESS);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.payload_len, 0);
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, SYNACK_TCP_FO);
    ASSERT_EQ(f.seg.tcp.opts.fo_len, 0);
    ASSERT_EQ(synack_abort(f.st, f.sd, f.now), 0);
    (void)recv_seg(&f, f.now, NULL);
    /* The MSS was remembered: data without a cookie is sized by it (940 - 40). */
    ASSERT_EQ(synack_set_fastopen(f.st, SYNACK_TFO_CLIENT | SYNACK_TFO_CLIENT_NO_COOKIE), 0);
    f.sd = synack_socket(f.st);
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data,
                                  sizeof data),
              900);
    tcpf_free(&f);
}

/* With more queued behind the SYN's data, what the SYN-ACK did not acknowledge goes again
 * as the segment it was (Linux resends its SYN-data skb as it is, with PSH), and the rest
 * follows in full segments. */
TEST(connect_fastopen_data_not_acked_resent_as_it_was)
{
    struct tcpf f;
    tfo_client(&f);
    const uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    client_learns_cookie(&f, ck, 1460);
    f.sd = synack_socket(f.st);
    static char data[6000];
    memset(data, 'z', sizeof data);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_NODELAY, 1), 0);
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data,
                                  sizeof data),
              1420);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, data + 1420, sizeof data - 1420),
              (long)sizeof data - 1420);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.payload_len, 1420);
    f.iss = f.seg.tcp.seq;
    f.now += TCPF_STEP;
    struct synack_tcp_opts so;
    memset(&so, 0, sizeof so);
    so.has_mss = true;
    so.mss = 1460;
    so.sack_permitted = true;
    send_seg(&f, f.now, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 1, TCPF_PEER_WIN, NULL, 0,
             &so);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 1, f.irs + 1, 1420);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.seq, f.iss + 1421);
    ASSERT_EQ(f.seg.payload_len, 1460);
    while (recv_seg(&f, f.now, NULL)) {
    }
    /* Everything after it is SACKed: it is lost, and goes a third time as it was, with its
     * PSH (Linux retransmits the skb). */
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.sack_count = 1;
    o.sack[0].left = f.iss + 1421;
    o.sack[0].right = f.iss + 6001;
    f.now += TCPF_STEP;
    send_seg(&f, f.now, SYNACK_TCP_ACK, f.irs + 1, f.iss + 1, TCPF_PEER_WIN, NULL, 0, &o);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 1, f.irs + 1, 1420);
    tcpf_free(&f);
}

/* The SYN's data the SYN-ACK did not cover is a retransmission (Linux marks it lost and
 * sends it again): tcpi_retrans counts its segments, in the peer's MSS, until they are
 * acknowledged. */
TEST(connect_fastopen_data_not_acked_counts_as_retransmitted)
{
    struct tcpf f;
    tfo_client(&f);
    const uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    client_learns_cookie(&f, ck, 1460);
    f.sd = synack_socket(f.st);
    static char data[1420];
    memset(data, 'r', sizeof data);
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data,
                                  sizeof data),
              1420);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    f.now += TCPF_STEP;
    f.peer_mss = 1000;
    send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 101);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.iss + 101, f.irs + 1, 1000);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 1101, f.irs + 1, 320);
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.unacked, 2);
    ASSERT_EQ(in.retrans, 2);
    f.now += TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.irs + 1, f.iss + 1421);
    in = tcpf_info(&f);
    ASSERT_EQ(in.unacked, 0);
    ASSERT_EQ(in.retrans, 0);
    tcpf_free(&f);
}

/* The SYN's own data, sent again after the SYN-ACK, is no writer that waited for the
 * handshake (Linux's sk_write_pending): the connection is not a reply-in-kind exchange
 * (pingpong), so the first data received is acknowledged at once (quick-ACK). */
TEST(connect_fastopen_resent_syn_data_is_no_pending_write)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.no_quickack = false; /* the fixture's default is off; this is about it */
    tcpf_start(&f);
    f.pport = TCPF_SRV_PORT;
    f.irs = TCPF_PEER_ISS;
    const uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    client_learns_cookie(&f, ck, 1460);
    f.sd = synack_socket(f.st);
    static char data[5000];
    memset(data, 'p', sizeof data);
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, data,
                                  sizeof data),
              1420);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    f.now += 50000;
    send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 1);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 1, f.irs + 1, 1420);
    /* The rest of the application's data goes right after: new data, but no reply. */
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, data, 1000), 1000);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 1421, f.irs + 1, 1000);
    f.now += 50000;
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.irs + 1, f.iss + 2421, 100);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.iss + 2421, f.irs + 101, 0);
    tcpf_free(&f);
}

/* The SYN's retransmission goes without data and option (as Linux); the data follows the
 * handshake. */
TEST(connect_fastopen_syn_timeout_retransmits_bare_syn)
{
    struct tcpf f;
    tfo_client(&f);
    const uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    client_learns_cookie(&f, ck, 1460);
    f.sd = synack_socket(f.st);
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT,
                                  "0123456789", 10),
              10);
    f.lport = tcpf_info(&f).local.port;
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.payload_len, 10);
    f.iss = f.seg.tcp.seq;
    ASSERT(recv_seg(&f, f.now + 1000000, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(f.seg.tcp.seq, f.iss);
    ASSERT_EQ(f.seg.payload_len, 0);
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, 0);
    f.now += TCPF_STEP;
    send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 1);
    EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 1, f.irs + 1, 10);
    tcpf_free(&f);
}

/* SYNACK_OPT_FASTOPEN_CONNECT: with a cookie, connect returns 0 and sends nothing; the
 * first send builds the SYN with its data. */
TEST(connect_fastopen_connect_option_defers_syn)
{
    struct tcpf f;
    tfo_client(&f);
    const uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    client_learns_cookie(&f, ck, 1460);
    f.sd = synack_socket(f.st);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_FASTOPEN_CONNECT, 1), 0);
    ASSERT_EQ(synack_connect(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT), 0);
    f.lport = tcpf_info(&f).local.port;
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_SYN_SENT);
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, "hello", 5), 5);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(f.seg.payload_len, 5);
    ASSERT_MEM_EQ(f.seg.payload, "hello", 5);
    ASSERT_EQ(f.seg.tcp.opts.fo_len, 8);
    tcpf_free(&f);
}

/* The SYN with its cookie cached, whose data is a NULL buffer: it goes without data and asks
 * for a cookie again, an empty option (Linux's tcp_send_syn_data: the copy into the SYN
 * faults, "goto fallback", cookie.len = 0); nothing was taken, so SYNACK_EINPROGRESS, as a
 * non-blocking Linux send returns. The connection completes, and a NULL buffer then faults
 * where a copy would be made, as any send's. */
static void expect_syn_asking_again(struct tcpf *f)
{
    f->lport = tcpf_info(f).local.port;
    ASSERT(recv_seg(f, f->now, NULL));
    ASSERT_EQ(f->seg.tcp.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(f->seg.payload_len, 0);
    ASSERT_EQ(f->seg.tcp.opts.fo_kind, SYNACK_TCP_FO);
    ASSERT_EQ(f->seg.tcp.opts.fo_len, 0);
    EXPECT_NOTHING(f);
    f->iss = f->seg.tcp.seq;
    f->now += TCPF_STEP;
    send_syn(f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f->irs, f->iss + 1);
    EXPECT_SEG(f, SYNACK_TCP_ACK, f->iss + 1, f->irs + 1, 0);
    EXPECT_STATE(f, SYNACK_ESTABLISHED);
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, NULL, 100), SYNACK_EFAULT);
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, "hello", 5), 5);
    EXPECT_SEG(f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f->iss + 1, f->irs + 1, 5);
    ASSERT_EQ(synack_abort(f->st, f->sd, f->now), 0);
    (void)recv_seg(f, f->now, NULL); /* the reset */
}

TEST(connect_fastopen_null_buffer_sends_the_syn_without_data_first)
{
    struct tcpf f;
    tfo_client(&f);
    const uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    client_learns_cookie(&f, ck, 1460);
    /* synack_connect_data (sendto with MSG_FASTOPEN). */
    f.sd = synack_socket(f.st);
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, NULL,
                                  1000),
              SYNACK_EINPROGRESS);
    expect_syn_asking_again(&f);
    /* SYNACK_OPT_FASTOPEN_CONNECT's first send: synack_send, then synack_sendv whose first
     * element with bytes is NULL. */
    for (int v = 0; v < 2; v++) {
        f.sd = synack_socket(f.st);
        ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_FASTOPEN_CONNECT, 1), 0);
        ASSERT_EQ(synack_connect(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT), 0);
        EXPECT_NOTHING(&f);
        struct synack_iov bad[2] = {{.base = NULL, .len = 0}, {.base = NULL, .len = 5}};
        long r = v ? synack_sendv(f.st, f.sd, f.now, bad, 2, 0)
                   : synack_send(f.st, f.sd, f.now, NULL, 100);
        ASSERT_EQ(r, SYNACK_EINPROGRESS);
        expect_syn_asking_again(&f);
    }
    tcpf_free(&f);
}

/* SYNACK_OPT_WRITE_PENDING (Linux's sk_write_pending): a blocking writer waits for the
 * handshake, as Linux's tcp_sendmsg_fastopen does in __inet_stream_connect, so the SYN-ACK's
 * ACK waits up to 200 ms (TCP_DELACK_MAX) for the writer's data to carry it
 * (tcp_rcv_synsent_state_process); a writer whose buffer then faults sends nothing, and the
 * ACK goes when the timer fires. With data queued it rides on the data at once. */
TEST(connect_write_pending_delays_the_handshake_ack)
{
    struct tcpf f;
    tfo_client(&f);
    const uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    client_learns_cookie(&f, ck, 1460);
    for (int data = 0; data < 2; data++) {
        f.sd = synack_socket(f.st);
        ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT,
                                      NULL, 1000),
                  SYNACK_EINPROGRESS);
        ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_WRITE_PENDING, 1), 0);
        long v = -1;
        ASSERT_EQ(synack_getopt(f.st, f.sd, SYNACK_OPT_WRITE_PENDING, &v), 0);
        ASSERT_EQ(v, 1);
        f.lport = tcpf_info(&f).local.port;
        ASSERT(recv_seg(&f, f.now, NULL));
        ASSERT_EQ(f.seg.payload_len, 0);
        f.iss = f.seg.tcp.seq;
        f.now += TCPF_STEP;
        send_syn(&f, SYNACK_TCP_SYN | SYNACK_TCP_ACK, f.irs, f.iss + 1);
        EXPECT_STATE(&f, SYNACK_ESTABLISHED);
        if (data) {
            /* The writer's data goes, and carries the ACK. */
            ASSERT_EQ(synack_send(f.st, f.sd, f.now, "hello", 5), 5);
            EXPECT_SEG(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.iss + 1, f.irs + 1, 5);
            EXPECT_NOTHING(&f);
        } else {
            ASSERT_EQ(synack_send(f.st, f.sd, f.now, NULL, 100), SYNACK_EFAULT);
            EXPECT_NOTHING(&f);
            ASSERT_EQ(synack_next_deadline(f.st), f.now + 200000);
            recv_nothing(&f, f.now + 199999);
            f.now += 200000;
            EXPECT_SEG(&f, SYNACK_TCP_ACK, f.iss + 1, f.irs + 1, 0);
        }
        /* Read once: the handshake consumed it. */
        ASSERT_EQ(synack_getopt(f.st, f.sd, SYNACK_OPT_WRITE_PENDING, &v), 0);
        ASSERT_EQ(v, 0);
        ASSERT_EQ(synack_abort(f.st, f.sd, f.now), 0);
        (void)recv_seg(&f, f.now, NULL);
    }
    /* 0 or 1. */
    int s = synack_socket(f.st);
    ASSERT_EQ(synack_setopt(f.st, s, SYNACK_OPT_WRITE_PENDING, 2), SYNACK_EINVAL);
    tcpf_free(&f);
}

/* No cookie cached: the SYN asks for one and reads no data, so a NULL buffer is never
 * touched; SYNACK_EINPROGRESS as with a valid one. */
TEST(connect_fastopen_null_buffer_without_a_cookie_asks_for_one)
{
    struct tcpf f;
    tfo_client(&f);
    f.sd = synack_socket(f.st);
    ASSERT_EQ(synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, NULL,
                                  1000),
              SYNACK_EINPROGRESS);
    expect_syn_asking_again(&f);
    tcpf_free(&f);
}

/* SYNACK_TFO_CLIENT off: connect_data and FASTOPEN_CONNECT are refused (as Linux), and
 * nothing is sent. */
TEST(connect_fastopen_client_bit_off_refused)
{
    struct tcpf f;
    tfo_client(&f);
    ASSERT_EQ(synack_set_fastopen(f.st, 0), 0);
    f.sd = synack_socket(f.st);
    ASSERT_EQ(
        synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, "x", 1),
        SYNACK_EOPNOTSUPP);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_FASTOPEN_CONNECT, 1), SYNACK_EOPNOTSUPP);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

/* A reset before accept leaves the connection born from a SYN with data in the accept
 * queue: its data is read, then the reset (as Linux). */
TEST(listen_fastopen_reset_before_accept_keeps_data)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    send_ctl(&f, SYNACK_TCP_RST | SYNACK_TCP_ACK, f.irs + 11, f.iss + 1);
    int sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(sd >= 0);
    char buf[64];
    ASSERT_EQ(synack_recv(f.st, sd, f.now, buf, sizeof buf), 10);
    ASSERT_EQ(synack_recv(f.st, sd, f.now, buf, sizeof buf), SYNACK_ECONNRESET);
    ASSERT_EQ(synack_close(f.st, sd, f.now), 0);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

/* A reset after accept, still in SYN-RECEIVED: the data stays readable, and calls report
 * the reset (Linux's reset-close-with-unread-data). */
TEST(listen_fastopen_reset_after_accept_reports_it)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    int sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(sd >= 0);
    send_ctl(&f, SYNACK_TCP_RST | SYNACK_TCP_ACK, f.irs + 11, f.iss + 1);
    ASSERT_EQ(synack_send(f.st, sd, f.now, "x", 1), SYNACK_ECONNRESET);
    char buf[64];
    ASSERT_EQ(synack_recv(f.st, sd, f.now, buf, sizeof buf), 10);
    ASSERT_EQ(synack_recv(f.st, sd, f.now, buf, sizeof buf), SYNACK_ECONNRESET);
    ASSERT_EQ(synack_close(f.st, sd, f.now), 0);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

/* An ICMP host unreachable quoting the SYN-ACK of a connection born from a SYN with data
 * (RFC 1122 §4.2.3.9: a hard error before the connection is synchronized) ends it, but as
 * Linux's Fast Open child it stays in the accept queue (tcp_done on a child its request
 * still holds): accept returns it, the SYN's data is read, then the error (Linux's
 * fastopen/server/icmp-before-accept.pkt). An error quoting a sequence number not in
 * flight is ignored and counted. */
TEST(listen_fastopen_icmp_before_accept_keeps_the_child)
{
    struct tcpf f;
    tfo_listen(&f, 4);
    uint8_t ck[8];
    peer_cookie(fx_key, ck);
    tfo_syn(&f, SYNACK_TCP_FO, ck, 8, 10);
    ASSERT(recv_seg(&f, f.now, NULL));
    f.iss = f.seg.tcp.seq;
    uint8_t synack[28], icmp[64], pkt[128];
    memcpy(synack, f.rx, sizeof synack); /* the IP header and the first 8 bytes of TCP */
    struct synack_ipv4_hdr ip = {
        .ttl = 64, .proto = SYNACK_IPPROTO_ICMP, .src = 0x0a0000feu, .dst = TCPF_LOCAL};
    /* First a quote out of the window: ignored. */
    wire_put32(synack + 24, f.iss + 5000);
    size_t m = wire_icmp_emit_error(icmp, sizeof icmp, SYNACK_ICMP_UNREACH, 1, 0, synack, 28);
    ASSERT(m > 0);
    memcpy(pkt + WIRE_IPV4_HDR_LEN, icmp, m);
    size_t len = wire_ipv4_emit(pkt, sizeof pkt, &ip, m) + m;
    synack_input(f.st, f.now, pkt, len);
    struct synack_stats s;
    synack_get_stats(f.st, &s);
    ASSERT_EQ(s.icmp_out_of_window, 1);
    /* Then the SYN-ACK's own. */
    wire_put32(synack + 24, f.iss);
    m = wire_icmp_emit_error(icmp, sizeof icmp, SYNACK_ICMP_UNREACH, 1, 0, synack, 28);
    memcpy(pkt + WIRE_IPV4_HDR_LEN, icmp, m);
    len = wire_ipv4_emit(pkt, sizeof pkt, &ip, m) + m;
    synack_input(f.st, f.now, pkt, len);
    int sd = synack_accept(f.st, f.lsd, NULL);
    ASSERT(sd >= 0);
    f.sd = sd;
    EXPECT_STATE(&f, SYNACK_CLOSED);
    char buf[64];
    ASSERT_EQ(synack_recv(f.st, sd, f.now, buf, sizeof buf), 10);
    ASSERT_EQ(synack_recv(f.st, sd, f.now, buf, sizeof buf), SYNACK_EHOSTUNREACH);
    ASSERT_EQ(synack_close(f.st, sd, f.now), 0);
    /* Off the tables: the handshake's ACK now draws a reset. */
    f.now += TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_ACK, f.irs + 11, f.iss + 1);
    EXPECT_SEG(&f, SYNACK_TCP_RST, f.iss + 1, 0, 0);
    tcpf_free(&f);
}

/* The cookie cache is bounded: with room for one server, a second one pushes the first
 * out, and its next SYN asks for a cookie again. */
TEST(connect_fastopen_cache_bounded)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.fastopen_cache = 1;
    f.cfg.prefix_len = 16;
    tcpf_start(&f);
    f.pport = TCPF_SRV_PORT;
    f.irs = TCPF_PEER_ISS;
    const uint8_t ck[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    client_learns_cookie(&f, ck, 1460);
    /* Another server answers a request with a cookie too. */
    int sd = synack_socket(f.st);
    ASSERT_EQ(
        synack_connect_data(f.st, sd, f.now, synack_addr_v4(TCPF_PEER + 1), TCPF_SRV_PORT, "x", 1),
        SYNACK_EINPROGRESS);
    ASSERT(recv_seg(&f, f.now, NULL));
    ASSERT_EQ(f.seg.tcp.opts.fo_kind, SYNACK_TCP_FO);
    /* The first server's cookie is still there until the second answers. */
    f.sd = synack_socket(f.st);
    ASSERT_EQ(
        synack_connect_data(f.st, f.sd, f.now, synack_addr_v4(TCPF_PEER), TCPF_SRV_PORT, "x", 1),
        1);
    tcpf_free(&f);
}

TEST_MAIN()
