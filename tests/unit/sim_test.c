/*
 * sim_test.c - two stacks over the simulated link: the connection's life when the link
 * loses exactly the segment that hurts (the SYN, the SYN-ACK, the third ACK, a FIN), the
 * simultaneous open and close of RFC 9293 Figures 8 and 13, half-close, TIME-WAIT's exact
 * length, refusal, and the ISN's properties (RFC 6528).
 */
#include "simnet.h"
#include "base/siphash.h"
#include "tcp/tcp.h"
#include "test.h"

#define MS  1000ull
#define SEC 1000000ull

/* A listening server on port 7 at B and a client socket at A; returns the client sd. */
static int start_pair(struct simnet *n, int *lsd)
{
    *lsd = synack_socket(n->st[1]);
    ASSERT_EQ(synack_bind(n->st[1], *lsd, SYNACK_ADDR_ANY, 7), 0);
    ASSERT_EQ(synack_listen(n->st[1], *lsd, 8), 0);
    int c = synack_socket(n->st[0]);
    ASSERT(c >= 0);
    ASSERT_EQ(synack_connect(n->st[0], c, n->now, SIM_B_ADDR, 7), SYNACK_EINPROGRESS);
    return c;
}

struct accept_ctx {
    int lsd, sd, csd;
};

static bool both_established(struct simnet *n, void *ctx)
{
    struct accept_ctx *a = ctx;
    if (a->sd < 0) a->sd = synack_accept(n->st[1], a->lsd, NULL);
    return a->sd >= 0 && simnet_state(n, 0, a->csd) == SYNACK_ESTABLISHED &&
           simnet_state(n, 1, a->sd) == SYNACK_ESTABLISHED;
}

static bool nth_with_flags(struct simnet *n, int side, int from, const struct synack_segment *s,
                           uint16_t flags, int nth)
{
    if (from != side || s->tcp.flags != flags) return false;
    return ++n->user_n == nth;
}

/* ---- the 3-way handshake when one of its segments is lost ------------------------------ */

static bool drop_first_syn(struct simnet *n, int from, const struct synack_segment *s)
{
    return nth_with_flags(n, 0, from, s, SYNACK_TCP_SYN, 1);
}

TEST(handshake_syn_lost)
{
    struct simnet n;
    simnet_init(&n, 1);
    n.drop = drop_first_syn;
    struct accept_ctx a = {.sd = -1};
    a.csd = start_pair(&n, &a.lsd);
    ASSERT(simnet_run_until(&n, 10 * SEC, both_established, &a));
    ASSERT_EQ(n.drop_count[0], 1);
    /* The SYN is sent again after the initial RTO of 1 s (RFC 6298 §2.1), then one round
     * trip of 2 ms completes the handshake. */
    ASSERT_EQ(simnet_state_time(&n, 0, SYNACK_ESTABLISHED) / MS, 1000 + 2);
    simnet_free(&n);
}

static bool drop_first_syn_ack(struct simnet *n, int from, const struct synack_segment *s)
{
    return nth_with_flags(n, 1, from, s, SYNACK_TCP_SYN | SYNACK_TCP_ACK, 1);
}

TEST(handshake_syn_ack_lost)
{
    struct simnet n;
    simnet_init(&n, 2);
    n.drop = drop_first_syn_ack;
    struct accept_ctx a = {.sd = -1};
    a.csd = start_pair(&n, &a.lsd);
    ASSERT(simnet_run_until(&n, 10 * SEC, both_established, &a));
    ASSERT_EQ(n.drop_count[1], 1);
    /* Both sides time out after 1 s and the SYN-ACK arrives one way-trip later. */
    uint64_t t = simnet_state_time(&n, 0, SYNACK_ESTABLISHED);
    ASSERT(t >= 1000 * MS && t <= 1004 * MS);
    simnet_free(&n);
}

static bool drop_first_pure_ack_from_a(struct simnet *n, int from, const struct synack_segment *s)
{
    return nth_with_flags(n, 0, from, s, SYNACK_TCP_ACK, 1) && s->payload_len == 0;
}

TEST(handshake_final_ack_lost)
{
    struct simnet n;
    simnet_init(&n, 3);
    n.drop = drop_first_pure_ack_from_a;
    struct accept_ctx a = {.sd = -1};
    a.csd = start_pair(&n, &a.lsd);
    ASSERT(simnet_run_until(&n, 10 * SEC, both_established, &a));
    ASSERT_EQ(n.drop_count[0], 1);
    /* The client is ESTABLISHED after one round trip; the server only when its SYN-ACK,
     * retransmitted at 1 s, draws the client's ACK again. */
    ASSERT_EQ(simnet_state_time(&n, 0, SYNACK_ESTABLISHED) / MS, 2);
    uint64_t t = simnet_state_time(&n, 1, SYNACK_ESTABLISHED);
    ASSERT(t > 1000 * MS && t < 1010 * MS);
    simnet_free(&n);
}

/* ---- closing ----------------------------------------------------------------------------- */

struct close_ctx {
    struct accept_ctx a;
    bool server_closed;
};

/* The server closes as soon as it sees the client's FIN (end of stream). */
static bool all_closed(struct simnet *n, void *ctx)
{
    struct close_ctx *c = ctx;
    char buf[64];
    if (!c->server_closed && c->a.sd >= 0 &&
        synack_recv(n->st[1], c->a.sd, n->now, buf, sizeof buf) == 0) {
        synack_close(n->st[1], c->a.sd, n->now);
        c->server_closed = true;
    }
    struct synack_stats s0, s1;
    synack_get_stats(n->st[0], &s0);
    synack_get_stats(n->st[1], &s1);
    uint32_t open0 = 0, open1 = 0;
    for (int i = 1; i <= SYNACK_TIME_WAIT; i++) {
        if (i != SYNACK_LISTEN) open0 += s0.sockets_by_state[i];
        if (i != SYNACK_LISTEN) open1 += s1.sockets_by_state[i];
    }
    return c->server_closed && open0 == 0 && open1 == 0;
}

static void run_close(struct simnet *n, struct close_ctx *c)
{
    c->a.sd = -1;
    c->a.csd = start_pair(n, &c->a.lsd);
    ASSERT(simnet_run_until(n, 10 * SEC, both_established, &c->a));
    ASSERT_EQ(synack_close(n->st[0], c->a.csd, n->now), 0);
    ASSERT(simnet_run_until(n, n->now + 200 * SEC, all_closed, c));
}

static bool drop_first_fin_from_a(struct simnet *n, int from, const struct synack_segment *s)
{
    return from == 0 && (s->tcp.flags & SYNACK_TCP_FIN) && ++n->user_n == 1;
}

TEST(fin_lost_client_to_server)
{
    struct simnet n;
    simnet_init(&n, 4);
    n.drop = drop_first_fin_from_a;
    struct close_ctx c = {0};
    run_close(&n, &c);
    ASSERT_EQ(n.drop_count[0], 1);
    /* The 4-way close completed on both sides: the client through TIME-WAIT, the server
     * through CLOSE-WAIT and LAST-ACK. */
    ASSERT(simnet_saw_state(&n, 0, SYNACK_FIN_WAIT_2));
    ASSERT(simnet_saw_state(&n, 0, SYNACK_TIME_WAIT));
    ASSERT(simnet_saw_state(&n, 1, SYNACK_CLOSE_WAIT));
    ASSERT(simnet_saw_state(&n, 1, SYNACK_LAST_ACK));
    simnet_free(&n);
}

static bool drop_first_fin_from_b(struct simnet *n, int from, const struct synack_segment *s)
{
    return from == 1 && (s->tcp.flags & SYNACK_TCP_FIN) && ++n->user_n == 1;
}

TEST(fin_lost_server_to_client)
{
    struct simnet n;
    simnet_init(&n, 5);
    n.drop = drop_first_fin_from_b;
    struct close_ctx c = {0};
    run_close(&n, &c);
    ASSERT_EQ(n.drop_count[1], 1);
    ASSERT(simnet_saw_state(&n, 0, SYNACK_TIME_WAIT));
    ASSERT(simnet_saw_state(&n, 1, SYNACK_LAST_ACK));
    /* TIME-WAIT starts only when the retransmitted FIN arrives, after the server's RTO. */
    ASSERT(simnet_state_time(&n, 0, SYNACK_TIME_WAIT) >
           simnet_state_time(&n, 1, SYNACK_LAST_ACK) + 200 * MS);
    simnet_free(&n);
}

static bool drop_last_ack(struct simnet *n, int from, const struct synack_segment *s)
{
    /* The client's ACK of the server's FIN: the ACK that ends the 4-way close. */
    if (from != 0 || s->tcp.flags != SYNACK_TCP_ACK || s->payload_len) return false;
    /* The client is in TIME-WAIT: asked of the stack's counts, since the client closed its
     * socket and the entry is a compact record with no descriptor (tcp/tcp_tw.c). */
    struct synack_stats st;
    synack_get_stats(n->st[0], &st);
    if (st.sockets_by_state[SYNACK_TIME_WAIT] > 0) return ++n->user_n == 1;
    return false;
}

TEST(time_wait_answers_retransmitted_fin)
{
    struct simnet n;
    simnet_init(&n, 6);
    n.drop = drop_last_ack;
    struct close_ctx c = {0};
    run_close(&n, &c);
    ASSERT_EQ(n.drop_count[0], 1);
    /* The lost last ACK: the server's FIN came again and TIME-WAIT answered it, so the
     * server closed cleanly, not by a reset (RFC 9293 §3.6). */
    struct synack_stats s1;
    synack_get_stats(n.st[1], &s1);
    ASSERT_EQ(s1.rst_in, 0);
    ASSERT(simnet_saw_state(&n, 1, SYNACK_CLOSED));
    simnet_free(&n);
}

TEST(time_wait_lasts_exactly_2msl)
{
    struct simnet n;
    simnet_init(&n, 7);
    struct close_ctx c = {0};
    run_close(&n, &c);
    uint64_t tw = simnet_state_time(&n, 0, SYNACK_TIME_WAIT);
    uint64_t closed = UINT64_MAX;
    for (int i = 0; i < n.nstates; i++)
        if (n.states[i].side == 0 && n.states[i].old_state == SYNACK_TIME_WAIT)
            closed = n.states[i].t;
    ASSERT(tw != UINT64_MAX);
    /* Default MSL 30 s: TIME-WAIT is 60 s to the microsecond on the virtual clock. */
    ASSERT_EQ(closed - tw, 2 * 30 * SEC);
    simnet_free(&n);
}

/* ---- simultaneous open and close ------------------------------------------------------- */

TEST(simultaneous_open)
{
    struct simnet n;
    simnet_init(&n, 8);
    /* RFC 9293 Figure 8: each side sends a SYN to the other's port at the same time. */
    int a = synack_socket(n.st[0]), b = synack_socket(n.st[1]);
    ASSERT_EQ(synack_bind(n.st[0], a, SYNACK_ADDR_ANY, 5000), 0);
    ASSERT_EQ(synack_bind(n.st[1], b, SYNACK_ADDR_ANY, 6000), 0);
    ASSERT_EQ(synack_connect(n.st[0], a, 0, SIM_B_ADDR, 6000), SYNACK_EINPROGRESS);
    ASSERT_EQ(synack_connect(n.st[1], b, 0, SIM_A_ADDR, 5000), SYNACK_EINPROGRESS);
    simnet_run_to(&n, 100 * MS);
    ASSERT_EQ(simnet_state(&n, 0, a), SYNACK_ESTABLISHED);
    ASSERT_EQ(simnet_state(&n, 1, b), SYNACK_ESTABLISHED);
    ASSERT(simnet_saw_state(&n, 0, SYNACK_SYN_RECEIVED));
    ASSERT(simnet_saw_state(&n, 1, SYNACK_SYN_RECEIVED));
    /* And data flows. */
    ASSERT_EQ(synack_send(n.st[0], a, n.now, "ping", 4), 4);
    simnet_run_to(&n, n.now + 100 * MS);
    char buf[8];
    ASSERT_EQ(synack_recv(n.st[1], b, n.now, buf, sizeof buf), 4);
    ASSERT_MEM_EQ(buf, "ping", 4);
    simnet_free(&n);
}

TEST(simultaneous_close)
{
    struct simnet n;
    simnet_init(&n, 9);
    struct accept_ctx a = {.sd = -1};
    a.csd = start_pair(&n, &a.lsd);
    ASSERT(simnet_run_until(&n, 10 * SEC, both_established, &a));
    /* RFC 9293 Figure 13: both close at once; each FIN crosses the other. */
    ASSERT_EQ(synack_close(n.st[0], a.csd, n.now), 0);
    ASSERT_EQ(synack_close(n.st[1], a.sd, n.now), 0);
    simnet_run_to(&n, n.now + 200 * SEC);
    for (int side = 0; side < 2; side++) {
        ASSERT(simnet_saw_state(&n, side, SYNACK_FIN_WAIT_1));
        ASSERT(simnet_saw_state(&n, side, SYNACK_CLOSING));
        ASSERT(simnet_saw_state(&n, side, SYNACK_TIME_WAIT));
        ASSERT(!simnet_saw_state(&n, side, SYNACK_FIN_WAIT_2));
    }
    simnet_free(&n);
}

/* ---- half-close: one side is done sending, the other goes on -------------------------- */

TEST(half_close_with_data_flowing_back)
{
    struct simnet n;
    simnet_init(&n, 10);
    struct accept_ctx a = {.sd = -1};
    a.csd = start_pair(&n, &a.lsd);
    ASSERT(simnet_run_until(&n, 10 * SEC, both_established, &a));
    ASSERT_EQ(synack_send(n.st[0], a.csd, n.now, "request", 7), 7);
    ASSERT_EQ(synack_shutdown(n.st[0], a.csd, n.now, SYNACK_SHUT_WR), 0);
    simnet_run_to(&n, n.now + 50 * MS);
    ASSERT_EQ(simnet_state(&n, 0, a.csd), SYNACK_FIN_WAIT_2);
    ASSERT_EQ(simnet_state(&n, 1, a.sd), SYNACK_CLOSE_WAIT);
    char buf[4096];
    ASSERT_EQ(synack_recv(n.st[1], a.sd, n.now, buf, sizeof buf), 7);
    ASSERT_EQ(synack_recv(n.st[1], a.sd, n.now, buf, sizeof buf), 0); /* end of stream */
    /* The server, in CLOSE-WAIT, still sends 300 000 bytes; the client still reads. */
    uint64_t sent = 0, got = 0;
    uint8_t out[4096];
    for (int round = 0; round < 100000 && got < 300000; round++) {
        while (sent < 300000) {
            for (int i = 0; i < (int)sizeof out; i++) out[i] = (uint8_t)((sent + (uint64_t)i) * 13);
            size_t want = 300000 - sent < sizeof out ? 300000 - sent : sizeof out;
            long w = synack_send(n.st[1], a.sd, n.now, out, want);
            if (w <= 0) break;
            sent += (uint64_t)w;
        }
        long r;
        while ((r = synack_recv(n.st[0], a.csd, n.now, buf, sizeof buf)) > 0) {
            for (long i = 0; i < r; i++)
                ASSERT_EQ((uint8_t)buf[i], (uint8_t)((got + (uint64_t)i) * 13));
            got += (uint64_t)r;
        }
        if (!simnet_step(&n)) break;
    }
    ASSERT_EQ(got, 300000);
    ASSERT_EQ(synack_close(n.st[1], a.sd, n.now), 0);
    simnet_run_to(&n, n.now + 50 * MS);
    ASSERT_EQ(synack_recv(n.st[0], a.csd, n.now, buf, sizeof buf), 0);
    ASSERT_EQ(simnet_state(&n, 0, a.csd), SYNACK_TIME_WAIT);
    simnet_free(&n);
}

/* ---- refused, and the ISN ---------------------------------------------------------------- */

TEST(connect_to_closed_port_is_refused)
{
    struct simnet n;
    simnet_init(&n, 11);
    int c = synack_socket(n.st[0]);
    ASSERT_EQ(synack_connect(n.st[0], c, 0, SIM_B_ADDR, 9999), SYNACK_EINPROGRESS);
    simnet_run_to(&n, 100 * MS);
    ASSERT(synack_events(n.st[0], c) & SYNACK_EV_ERROR);
    ASSERT_EQ(synack_socket_error(n.st[0], c), SYNACK_ECONNREFUSED);
    ASSERT_EQ(simnet_state(&n, 0, c), SYNACK_CLOSED);
    simnet_free(&n);
}

TEST(isn_differs_across_port_pairs_and_rises_with_time)
{
    uint8_t key[16];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)(i * 17 + 3);
    struct synack_addr la = SIM_A_ADDR, ra = SIM_B_ADDR;
    uint32_t a = tcp_isn(key, &la, 50000, &ra, 80, 0);
    uint32_t b = tcp_isn(key, &la, 50001, &ra, 80, 0);
    uint32_t c = tcp_isn(key, &la, 50000, &ra, 81, 0);
    ASSERT_NE(a, b);
    ASSERT_NE(a, c);
    ASSERT_NE(b, c);
    /* For one pair the ISN follows the 4 µs clock (RFC 6528 §3, RFC 9293 §3.4.1). */
    ASSERT_EQ(tcp_isn(key, &la, 50000, &ra, 80, 4000) - a, 1000);
    ASSERT_EQ(tcp_isn(key, &la, 50000, &ra, 80, 1000000) - a, 250000);
    /* Another secret, another offset: the ISN is not guessable without the key. */
    key[0] ^= 1;
    ASSERT_NE(tcp_isn(key, &la, 50000, &ra, 80, 0), a);
    /* And on the wire: two connections from different ports have unrelated ISNs. */
    struct simnet n;
    simnet_init(&n, 12);
    int lsd;
    int c1 = start_pair(&n, &lsd);
    int c2 = synack_socket(n.st[0]);
    ASSERT_EQ(synack_connect(n.st[0], c2, 0, SIM_B_ADDR, 7), SYNACK_EINPROGRESS);
    struct synack_sockinfo i1, i2;
    synack_getinfo(n.st[0], c1, &i1);
    synack_getinfo(n.st[0], c2, &i2);
    ASSERT_NE(i1.local.port, i2.local.port);
    ASSERT(i2.iss - i1.iss > 1000 && i1.iss - i2.iss > 1000);
    simnet_free(&n);
}

TEST(siphash_paper_test_vectors)
{
    /* SipHash-2-4 reference vectors (Aumasson and Bernstein, appendix A): key 00..0f,
     * message 00..(len-1). */
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++) msg[i] = (uint8_t)i;
    ASSERT_EQ(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
    ASSERT_EQ(siphash24(key, msg, 1), 0x74f839c593dc67fdull);
    ASSERT_EQ(siphash24(key, msg, 8), 0x93f5f5799a932462ull);
    ASSERT_EQ(siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
    ASSERT_EQ(siphash24(key, msg, 63), 0x958a324ceb064572ull);
}

TEST_MAIN()
