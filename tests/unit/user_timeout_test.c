/*
 * user_timeout_test.c - no peer can hold a connection for ever: a peer that vanishes behind
 * a zero window is given up after the probes go unanswered, even while the application
 * holds the socket; SYNACK_OPT_USER_TIMEOUT (RFC 5482 semantics, Linux's TCP_USER_TIMEOUT)
 * bounds how long data, or a zero-window probe, may wait without progress. The
 * application then reads ETIMEDOUT.
 */
#include "tcp_fixture.h"

#define SEC 1000000ull

/* Runs the stack's timers up to `until`, answering every segment it sends with `answer`
 * (when not NULL): the peer's reply, built from the segment it got. */
typedef void (*answer_fn)(struct tcpf *f);

static int run_until(struct tcpf *f, uint64_t until, answer_fn answer)
{
    int sent = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t d = synack_next_deadline(f->st);
        if (d == UINT64_MAX || d > until) break;
        if (!recv_seg(f, d > f->now ? d : f->now, NULL)) continue;
        sent++;
        if (f->seg.tcp.flags & SYNACK_TCP_RST) return sent; /* f->now is when it went */
        if (answer) answer(f);
    }
    f->now = until > f->now ? until : f->now;
    synack_poll(f->st, f->now);
    return sent;
}

/* The peer acknowledges everything up to SND.UNA (no more) and says "window zero". */
static void zero_window_ack(struct tcpf *f)
{
    uint32_t una = f->seg.payload_len > 0 ? f->seg.tcp.seq : f->seg.tcp.seq + 1;
    send_seg(f, f->now, SYNACK_TCP_ACK, f->rcv_nxt, una, 0, NULL, 0, NULL);
}

/* ESTABLISHED; the peer takes 100 bytes and closes its window; 100 more wait behind it. */
static void behind_zero_window(struct tcpf *f)
{
    tcpf_config(f);
    conn_in_established(f);
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, "0123456789", 10), 10);
    ASSERT(recv_seg(f, f->now, NULL));
    f->now += 1000;
    send_seg(f, f->now, SYNACK_TCP_ACK, f->rcv_nxt, f->seg.tcp.seq + 10, 0, NULL, 0, NULL);
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, "abcdefghij", 10), 10);
    EXPECT_NOTHING(f);
}

TEST(zero_window_peer_that_vanishes_is_aborted_while_the_app_holds_it)
{
    struct tcpf f;
    behind_zero_window(&f);
    /* The peer is gone: the probes go unanswered. */
    run_until(&f, f.now + 3600 * SEC, NULL);
    EXPECT_STATE(&f, SYNACK_CLOSED);
    char buf[8];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), SYNACK_ETIMEDOUT);
    tcpf_free(&f);
}

TEST(zero_window_peer_that_answers_is_probed_for_ever_by_default)
{
    /* RFC 1122 §4.2.2.17: probing goes on for as long as the peer answers (as Linux). */
    struct tcpf f;
    behind_zero_window(&f);
    int probes = run_until(&f, f.now + 3600 * SEC, zero_window_ack);
    ASSERT(probes > 20);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    tcpf_free(&f);
}

TEST(user_timeout_aborts_a_connection_held_by_a_zero_window)
{
    struct tcpf f;
    behind_zero_window(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_USER_TIMEOUT, 30000), 0);
    long v = 0;
    ASSERT_EQ(synack_getopt(f.st, f.sd, SYNACK_OPT_USER_TIMEOUT, &v), 0);
    ASSERT_EQ(v, 30000);
    uint64_t start = f.now;
    run_until(&f, f.now + 20 * SEC, zero_window_ack);
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    run_until(&f, start + 3600 * SEC, zero_window_ack);
    EXPECT_STATE(&f, SYNACK_CLOSED);
    /* At the first probe past 30 s without progress (probes are at most 60 s apart). */
    ASSERT(f.now - start >= 30 * SEC && f.now - start <= 95 * SEC);
    char buf[8];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), SYNACK_ETIMEDOUT);
    tcpf_free(&f);
}

TEST(user_timeout_bounds_retransmissions_of_unacknowledged_data)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_USER_TIMEOUT, 3000), 0);
    uint64_t start = f.now;
    ASSERT_EQ(synack_send(f.st, f.sd, f.now, "hello", 5), 5);
    run_until(&f, f.now + 600 * SEC, NULL);
    EXPECT_STATE(&f, SYNACK_CLOSED);
    /* Given up at the first timeout past 3 s, long before 15 retries (minutes). */
    ASSERT(f.now - start >= 3 * SEC && f.now - start < 8 * SEC);
    char buf[8];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, buf, sizeof buf), SYNACK_ETIMEDOUT);
    tcpf_free(&f);
}

TEST(user_timeout_is_checked)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_USER_TIMEOUT, -1), SYNACK_EINVAL);
    ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_USER_TIMEOUT, 0), 0); /* off */
    tcpf_free(&f);
}

TEST_MAIN()
