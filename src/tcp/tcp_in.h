/*
 * tcp/tcp_in.h - the parts of SEGMENT ARRIVES (RFC 9293 §3.10.7), shared by the files that
 * implement its steps. tcp_in.c runs them in order and applies their after-effects once.
 */
#ifndef SYNACK_TCP_TCP_IN_H
#define SYNACK_TCP_TCP_IN_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/stack.h"

/* What a step says about the segment. The one exit in tcp_input() acts on it. */
enum tcp_verdict {
    TCP_GO,    /* go on to the next step (after the last: send what it made possible) */
    TCP_REPLY, /* fully handled: send what it made possible (an ACK, data) */
    TCP_STOP,  /* dropped or handled with its own answer: nothing more is sent */
    TCP_GONE,  /* the connection ended (tcp_done ran and unhooked it) */
};

/* The segment as the steps after the sequence check see it: trimmed to the window. */
struct tcp_rx {
    uint32_t seq;
    const uint8_t *data;
    uint32_t dlen;
    bool syn, fin;
};

/* tcp_open.c: CLOSED, LISTEN, SYN-SENT (§3.10.7.1-3) and the move to ESTABLISHED. */
enum tcp_verdict tcp_input_syn_sent(struct synack_stack *st, struct sock *sk, uint64_t now,
                                    const struct tcp_seg *seg);
/* false when the connection could not be given its rings and was reset (tcp_done ran). */
bool tcp_establish(struct synack_stack *st, struct sock *sk, uint64_t now,
                   const struct tcp_seg *seg, bool syn_seg);

/* tcp_check.c: first to fourth steps (sequence number, RST, security, SYN). */
enum tcp_verdict tcp_check_segment(struct synack_stack *st, struct sock *sk, uint64_t now,
                                   const struct tcp_seg *seg, struct tcp_rx *rx);
/* An ACK that says where we are, rate-limited (RFC 5961 §7). */
void tcp_challenge_ack(struct synack_stack *st, struct sock *sk, uint64_t now);

/* tcp_ack.c: the fifth step, the ACK field. */
enum tcp_verdict tcp_ack_step(struct synack_stack *st, struct sock *sk, uint64_t now,
                              const struct tcp_seg *seg);
bool tcp_our_fin_acked(const struct tcb *t);

/* tcp_text.c: sixth to eighth steps (URG, text, FIN). */
enum tcp_verdict tcp_text_step(struct synack_stack *st, struct sock *sk, uint64_t now,
                               const struct tcp_seg *seg, const struct tcp_rx *rx);
void tcp_take_data(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t seq,
                   const uint8_t *data, uint32_t n, const struct tcp_seg *seg);
void tcp_process_fin(struct synack_stack *st, struct sock *sk, uint64_t now);

/* A dropped segment, with its reason (counted and traced). */
static inline void tcp_drop(struct synack_stack *st, struct sock *sk, uint64_t now, int reason,
                            const struct tcp_seg *seg)
{
    stack_drop(st, now, reason, NULL, 0, seg->s, sk ? sk->idx : -1);
}

#endif
