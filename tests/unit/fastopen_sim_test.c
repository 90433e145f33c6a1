/*
 * fastopen_sim_test.c - TCP Fast Open (RFC 7413) between two synack stacks on the
 * simulated link: the first connection gets a cookie, the second carries its request in
 * the SYN and the server reads it at accept, before the handshake's ACK arrives; with the
 * SYN with data lost, the bare SYN's retransmission still delivers it.
 */
#include <string.h>

#include "simnet.h"
#include "test.h"

#define MS  1000ull
#define SEC 1000000ull

/* The SYNs side 0 sent, with their payload: how many carried data. */
static int syn_data_seen;
static bool count_syn_data(struct simnet *n, int from, const struct synack_segment *s)
{
    (void)n;
    if (from == 0 && (s->tcp.flags & SYNACK_TCP_SYN) && s->payload_len > 0) syn_data_seen++;
    return false;
}

static bool drop_syn_with_data(struct simnet *n, int from, const struct synack_segment *s)
{
    (void)n;
    return from == 0 && (s->tcp.flags & SYNACK_TCP_SYN) && s->payload_len > 0;
}

static bool accepted(struct simnet *n, void *ctx)
{
    int *sd = ctx;
    if (*sd < 0) *sd = synack_accept(n->st[1], sd[1], NULL);
    return *sd >= 0;
}

static bool established(struct simnet *n, void *ctx)
{
    int sd = *(int *)ctx;
    return simnet_state(n, 0, sd) == SYNACK_ESTABLISHED;
}

/* One request over Fast Open: returns the server's connection, with the request read. */
static void request(struct simnet *n, int lsd, const char *req, bool expect_in_syn)
{
    int c = synack_socket(n->st[0]);
    ASSERT(c >= 0);
    long r = synack_connect_data(n->st[0], c, n->now, SIM_B_ADDR, 80, req, strlen(req));
    if (expect_in_syn) {
        ASSERT_EQ(r, (long)strlen(req));
    } else {
        ASSERT_EQ(r, SYNACK_EINPROGRESS);
        ASSERT(simnet_run_until(n, n->now + 10 * SEC, established, &c));
        ASSERT_EQ(synack_send(n->st[0], c, n->now, req, strlen(req)), (long)strlen(req));
    }
    int a[2] = {-1, lsd};
    ASSERT(simnet_run_until(n, n->now + 10 * SEC, accepted, a));
    simnet_run_to(n, n->now + 50 * MS);
    char buf[256];
    ASSERT_EQ(synack_recv(n->st[1], a[0], n->now, buf, sizeof buf), (long)strlen(req));
    ASSERT_MEM_EQ(buf, req, strlen(req));
    struct synack_sockinfo si, ci;
    ASSERT_EQ(synack_getinfo(n->st[1], a[0], &si), 0);
    ASSERT_EQ(synack_getinfo(n->st[0], c, &ci), 0);
    ASSERT_EQ(si.syn_data, expect_in_syn);
    ASSERT_EQ(ci.state, SYNACK_ESTABLISHED);
    ASSERT_EQ(synack_close(n->st[0], c, n->now), 0);
    ASSERT_EQ(synack_close(n->st[1], a[0], n->now), 0);
    simnet_run_to(n, n->now + SEC);
}

TEST(fastopen_cookie_then_request_in_syn)
{
    struct simnet n;
    simnet_init(&n, 7);
    n.drop = count_syn_data;
    syn_data_seen = 0;
    int l = synack_socket(n.st[1]);
    ASSERT_EQ(synack_bind(n.st[1], l, SYNACK_ADDR_ANY, 80), 0);
    ASSERT_EQ(synack_listen(n.st[1], l, 8), 0);
    ASSERT_EQ(synack_setopt(n.st[1], l, SYNACK_OPT_FASTOPEN, 16), 0);
    request(&n, l, "GET / HTTP/1.0\r\n\r\n", false); /* the cookie comes back */
    ASSERT_EQ(syn_data_seen, 0);
    request(&n, l, "GET /again HTTP/1.0\r\n\r\n", true);
    ASSERT_EQ(syn_data_seen, 1);
    struct synack_stats s;
    synack_get_stats(n.st[1], &s);
    ASSERT_EQ(s.tfo_passive, 1);
    ASSERT_EQ(s.tfo_cookie_reqs, 1);
    synack_get_stats(n.st[0], &s);
    ASSERT_EQ(s.tfo_active, 1);
    simnet_free(&n);
}

/* The SYN with data is lost: the retransmitted SYN is bare, and the data follows the
 * handshake (RFC 7413 §4.2.1); the server's connection is an ordinary one. */
TEST(fastopen_syn_with_data_lost)
{
    struct simnet n;
    simnet_init(&n, 8);
    int l = synack_socket(n.st[1]);
    ASSERT_EQ(synack_bind(n.st[1], l, SYNACK_ADDR_ANY, 80), 0);
    ASSERT_EQ(synack_listen(n.st[1], l, 8), 0);
    ASSERT_EQ(synack_setopt(n.st[1], l, SYNACK_OPT_FASTOPEN, 16), 0);
    request(&n, l, "first", false);
    n.drop = drop_syn_with_data;
    int c = synack_socket(n.st[0]);
    ASSERT_EQ(synack_connect_data(n.st[0], c, n.now, SIM_B_ADDR, 80, "hello", 5), 5);
    int a[2] = {-1, l};
    ASSERT(simnet_run_until(&n, n.now + 10 * SEC, accepted, a));
    simnet_run_to(&n, n.now + 50 * MS);
    char buf[16];
    ASSERT_EQ(synack_recv(n.st[1], a[0], n.now, buf, sizeof buf), 5);
    ASSERT_MEM_EQ(buf, "hello", 5);
    ASSERT_EQ(n.drop_count[0], 1);
    struct synack_sockinfo ci;
    ASSERT_EQ(synack_getinfo(n.st[0], c, &ci), 0);
    ASSERT(!ci.syn_data);
    simnet_free(&n);
}

TEST_MAIN()
