/*
 * reentry_test.c - the trace callback runs in the middle of protocol processing; a call
 * from it back into the stack (to abort the connection it just saw, say) would change the
 * tables under the code that called it. Such calls are refused with SYNACK_EBUSY and change
 * nothing; reading calls (events, info, stats) stay allowed.
 */
#include "synack/trace.h"
#include "tcp_fixture.h"

struct reentry {
    synack_stack *st;
    int calls, busy, info_ok;
};

static void meddle(void *ctx, const struct synack_trace_event *ev)
{
    struct reentry *r = ctx;
    if (!r->st || ev->kind != SYNACK_TRACE_SEG_IN || ev->sd < 0) return;
    r->calls++;
    int rc[9];
    uint8_t buf[64];
    rc[0] = synack_abort(r->st, ev->sd, ev->now);
    rc[1] = synack_close(r->st, ev->sd, ev->now);
    rc[2] = (int)synack_send(r->st, ev->sd, ev->now, "x", 1);
    rc[3] = (int)synack_recv(r->st, ev->sd, ev->now, buf, sizeof buf);
    rc[4] = synack_input(r->st, ev->now, buf, 0);
    rc[5] = synack_output(r->st, ev->now, buf, sizeof buf);
    rc[6] = synack_poll(r->st, ev->now);
    rc[7] = synack_socket(r->st);
    rc[8] = synack_setopt(r->st, ev->sd, SYNACK_OPT_NODELAY, 1);
    for (int i = 0; i < 9; i++) r->busy += rc[i] == SYNACK_EBUSY;
    struct synack_sockinfo in;
    if (synack_getinfo(r->st, ev->sd, &in) == 0) r->info_ok++;
}

TEST(calls_from_the_trace_callback_are_refused_with_ebusy)
{
    struct tcpf f;
    tcpf_config(&f);
    static struct reentry r;
    f.cfg.trace = meddle;
    f.cfg.trace_ctx = &r;
    conn_in_established(&f);
    r.st = f.st;
    f.now += 1000;
    send_data(&f, SYNACK_TCP_ACK | SYNACK_TCP_PSH, f.rcv_nxt, f.snd_nxt, 5);
    ASSERT_EQ(r.calls, 1);
    ASSERT_EQ(r.busy, 9);
    ASSERT_EQ(r.info_ok, 1);
    /* Nothing was aborted: the data is there and the connection lives. */
    EXPECT_STATE(&f, SYNACK_ESTABLISHED);
    r.st = NULL;
    uint8_t b[8];
    ASSERT_EQ(synack_recv(f.st, f.sd, f.now, b, sizeof b), 5);
    tcpf_free(&f);
}

TEST_MAIN()
