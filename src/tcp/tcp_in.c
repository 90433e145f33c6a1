/*
 * tcp/tcp_in.c - SEGMENT ARRIVES (RFC 9293 §3.10.7): the order of the steps, and the one
 * exit that applies their after-effects.
 *
 * Call order: entry/demux.c finds the socket, then one of
 *   tcp_input_closed()  §3.10.7.1  no connection: answer with a reset      (tcp_open.c)
 *   tcp_input_listen()  §3.10.7.2  a SYN makes a request in SYN-RECEIVED    (tcp_open.c)
 *   tcp_req_input()     §3.10.7.4  a half-open connection's request record   (tcp_req.c)
 *   tcp_input()         §3.10.7.3  SYN-SENT                                 (tcp_open.c)
 *                       §3.10.7.4  every other state, in the RFC's order:
 *                         first-fourth  sequence, RST, security, SYN     (tcp_check.c)
 *                         fifth         the ACK field                    (tcp_ack.c)
 *                         sixth-eighth  URG, text, FIN                   (tcp_text.c)
 *                       or, for in-order data and pure ACKs in ESTABLISHED, the short
 *                       path of header prediction                        (tcp_fast.c)
 * Each step returns a verdict (tcp_in.h); tcp_input() then does, once, what every path
 * needs: output (ACKs and data the segment made possible), the timer heap entry, and the
 * readiness report. Every discarded segment leaves with a named drop reason.
 */
#include "tcp/stack.h"
#include "tcp/tcp_in.h"

static enum tcp_verdict input_synchronized(struct synack_stack *st, struct sock *sk, uint64_t now,
                                           const struct tcp_seg *seg)
{
    /* Header prediction (tcp_fast.c): the common segment of an established connection
     * skips the steps that cannot apply to it, with the same result. */
    if (sk->tcb.state == SYNACK_ESTABLISHED && !st->cfg.no_header_prediction) {
        enum tcp_verdict f = tcp_fast_input(st, sk, now, seg);
        if (f != TCP_SLOW) return f;
    }
    struct tcp_rx rx;
    enum tcp_verdict v = tcp_check_segment(st, sk, now, seg, &rx);
    if (v != TCP_GO) return v;
    /* ECN (RFC 3168 §6.1.3): an acceptable segment's CE mark or CWR. (An ECE is the ACK
     * step's, once the ACK is found acceptable.) */
    tcp_ecn_segment_in(st, &sk->tcb, seg);
    v = tcp_ack_step(st, sk, now, seg);
    if (v != TCP_GO) return v;
    return tcp_text_step(st, sk, now, seg, &rx);
}

void tcp_input(struct synack_stack *st, struct sock *sk, uint64_t now, const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    if (t->state == SYNACK_CLOSED || t->state == SYNACK_LISTEN) {
        tcp_input_closed(st, now, seg);
        return;
    }
    enum tcp_verdict v = t->state == SYNACK_SYN_SENT ? tcp_input_syn_sent(st, sk, now, seg)
                                                     : input_synchronized(st, sk, now, seg);
    /* The one exit. A connection that ended has been unhooked by tcp_done(). */
    if (v == TCP_GONE || !sk->in_use || t->state == SYNACK_CLOSED) return;
    if (v == TCP_GO || v == TCP_REPLY) {
        /* cfg.defer_output: built by the next synack_output/poll, after the application's
         * turn, so that its answer or FIN carries this ACK. Not beyond a hole or for a
         * duplicate: each of those is answered now, one duplicate ACK per segment as the
         * peer's fast retransmit counts them (RFC 5681 §4.2, RFC 2883). Nor in TIME-WAIT,
         * where the socket may become a compact record just below. */
        if (st->cfg.defer_output && t->reass.n == 0 && !t->dsack_pending &&
            t->state != SYNACK_TIME_WAIT)
            sock_want_output(st, sk);
        else
            (void)tcp_output_untimed(st, sk, now); /* The exit re-arms the timer entry below. */
    }
    /* An orphan that entered TIME-WAIT and sent what it had to becomes a compact record
     * (tcp/tcp_tw.c): its socket and rings go back now. */
    if (t->state == SYNACK_TIME_WAIT && tcp_tw_compact(st, sk, now)) return;
    tcp_rings_idle_arm(t, now); /* an ACK may have emptied the send ring */
    timer_update(st, sk);
    sock_notify(st, sk);
}
