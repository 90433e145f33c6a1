/*
 * defer_output_test.c - cfg.defer_output: what a received segment makes the stack send is
 * built by the next synack_output/synack_poll, after the application had its turn, so an
 * answer or a FIN rides on the ACK instead of following a pure ACK (one segment where there
 * were two: `synack serve`'s loop, docs/performance.md). Segments that call for an immediate
 * ACK on their own (out of order: RFC 5681 §4.2's duplicate ACKs) are still answered one by
 * one. Without the option, the stack answers inside synack_input, as before.
 */
#include "tcp_fixture.h"

#define PA (SYNACK_TCP_PSH | SYNACK_TCP_ACK)

/* As the kernel's client does it: the handshake's ACK and a one-byte request arrive together,
 * before the application accepts; the timers run; then it reads the byte and sends one back
 * before the stack's output is taken (serve's loop, tools/synack/loop.c). */
static void request_and_answer(struct tcpf *f)
{
    conn_in_syn_received(f);
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    send_data(f, PA, f->rcv_nxt, f->snd_nxt, 1);
    f->rcv_nxt++;
    ASSERT_EQ(synack_poll(f->st, f->now), 0); /* the timers run before the application's turn */
    struct synack_endpoint peer;
    f->sd = synack_accept(f->st, f->lsd, &peer);
    ASSERT(f->sd >= 0);
    uint8_t b[16];
    ASSERT_EQ(synack_recv(f->st, f->sd, f->now, b, sizeof b), 1);
    ASSERT_EQ(synack_send(f->st, f->sd, f->now, b, 1), 1);
}

TEST(deferred_the_answer_rides_on_the_ack)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.defer_output = true;
    request_and_answer(&f);
    EXPECT_SEG(&f, PA, f.snd_nxt, f.rcv_nxt, 1);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

/* The peer closes; the timers run; the application reads the end of the stream and closes
 * too, before the stack's output is taken. */
static void fin_and_close(struct tcpf *f)
{
    conn_in_established(f);
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f->rcv_nxt, f->snd_nxt);
    f->rcv_nxt++;
    ASSERT_EQ(synack_poll(f->st, f->now), 0);
    uint8_t b[16];
    ASSERT_EQ(synack_recv(f->st, f->sd, f->now, b, sizeof b), 0); /* end of stream */
    ASSERT_EQ(synack_close(f->st, f->sd, f->now), 0);
}

TEST(deferred_the_fin_rides_on_the_ack_of_the_peers_fin)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.defer_output = true;
    fin_and_close(&f);
    EXPECT_SEG(&f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_LAST_ACK);
    tcpf_free(&f);
}

TEST(not_deferred_a_pure_ack_then_the_fin)
{
    /* The default: a FIN is acknowledged at once, inside synack_input, before the
     * application could close. */
    struct tcpf f;
    tcpf_config(&f);
    fin_and_close(&f);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_SEG(&f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

TEST(deferred_out_of_order_segments_each_get_their_duplicate_ack)
{
    /* Two segments beyond a hole, fed before any output is taken: two duplicate ACKs, as
     * the peer's fast retransmit counts them (RFC 5681 §3.2, §4.2). */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.defer_output = true;
    conn_in_established(&f);
    f.now += TCPF_STEP;
    send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt + 100, f.snd_nxt, 100);
    send_data(&f, SYNACK_TCP_ACK, f.rcv_nxt + 200, f.snd_nxt, 100);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    tcpf_free(&f);
}

TEST(deferred_output_is_due_at_once)
{
    /* A deferred ACK makes the next deadline 0, so an event loop that sleeps until it
     * flushes first; synack_poll leaves it for synack_output, which builds it. */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.defer_output = true;
    conn_in_established(&f);
    f.now += TCPF_STEP;
    send_ctl(&f, SYNACK_TCP_FIN | SYNACK_TCP_ACK, f.rcv_nxt, f.snd_nxt);
    f.rcv_nxt++;
    ASSERT_EQ(synack_next_deadline(f.st), 0);
    ASSERT_EQ(synack_poll(f.st, f.now), 0);
    ASSERT_EQ(synack_next_deadline(f.st), 0);
    EXPECT_SEG(&f, SYNACK_TCP_ACK, f.snd_nxt, f.rcv_nxt, 0);
    EXPECT_NOTHING(&f);
    EXPECT_STATE(&f, SYNACK_CLOSE_WAIT);
    tcpf_free(&f);
}

TEST_MAIN()
