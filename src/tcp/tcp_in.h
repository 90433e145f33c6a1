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
    TCP_SLOW,  /* header prediction (tcp_fast.c) declined: take the general steps */
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

/* What a peer's SYN offered, as a connection keeps it (RFC 9293 §3.7.1, RFC 7323, RFC
 * 2018): only what we offered too counts. */
struct tcp_peer_opts {
    uint16_t mss; /* its MSS option; when none 536, or 1220 over IPv6 (MUST-15) */
    bool wscale_ok, sack_ok, ts_ok;
    uint8_t wscale;  /* its window shift (at most 14) */
    uint32_t ts_val; /* its TSval */
};
struct tcp_peer_opts tcp_peer_opts_of(const struct synack_stack *st, const struct tcp_seg *seg);
/* The MSS we send with: the peer's, bounded by the path's and the user's, at least 64, less
 * the timestamp option's 12 bytes when every segment carries it. */
uint16_t tcp_mss_from_peer(uint32_t peer_mss, uint32_t link_mss, uint16_t user_mss, bool ts_ok);

/* Everything a passive connection is born with: its endpoints, sequence numbers and the
 * options its handshake agreed, whether they come from a request record (tcp_req.c) or
 * from a SYN cookie. */
struct tcp_child {
    struct synack_addr laddr, raddr;
    uint16_t lport, rport;
    uint32_t iss, irs;
    uint32_t snd_wnd; /* the peer's window, in bytes */
    struct tcp_peer_opts opts;
    uint8_t rcv_wscale; /* the shift our SYN-ACK offered */
    bool ecn_ok;        /* our SYN-ACK agreed to ECN (RFC 3168 §6.1.1) */
    bool has_ts_offset; /* else a random one is drawn */
    uint32_t ts_offset;
    uint64_t ts_recent_time;
    /* The request record being promoted, whose place in the 4-tuple hash (the same key)
     * the child takes without hashing again; NULL: the child is hashed. */
    struct ct_node *replaces;
};
struct sock *tcp_child_new(struct synack_stack *st, struct sock *lsk, uint64_t now,
                           const struct tcp_child *p);
/* A child cleared, with the 4-tuple of the segment that makes it (from our side). */
void tcp_child_of(struct tcp_child *p, const struct tcp_seg *seg);
/* The handshake's last ACK finds no socket for its connection: a bare ACK is reset, one
 * with data or a FIN dropped (the client sends it again). */
void tcp_no_room_for(struct synack_stack *st, struct sock *lsk, uint64_t now,
                     const struct tcp_seg *seg);

/* tcp_check.c: first to fourth steps (sequence number, RST, security, SYN). */
enum tcp_verdict tcp_check_segment(struct synack_stack *st, struct sock *sk, uint64_t now,
                                   const struct tcp_seg *seg, struct tcp_rx *rx);
/* An ACK that says where we are, rate-limited (RFC 5961 §7). */
void tcp_challenge_ack(struct synack_stack *st, struct sock *sk, uint64_t now);
/* The rate limits of a challenge ACK: true when one may be sent now (and it is counted);
 * *last_oow is the connection's last out-of-window ACK time, sd names it in drops. */
bool tcp_challenge_allowed(struct synack_stack *st, uint64_t *last_oow, uint64_t now, int sd);
/* The per-connection limit on ACKs that answer unacceptable segments, challenge ACKs and
 * repeated SYN-ACKs (cfg.oow_ack_interval_us; Linux's tcp_oow_rate_limited): true when one
 * went less than an interval ago; otherwise false, and with take the interval starts. */
bool tcp_oow_rate_limited(const struct synack_stack *st, uint64_t *last, uint64_t now, bool take);
/* RFC 9293 §3.10.7.4 First: is a segment (seq, SEG.LEN len) acceptable in the receive
 * window [rcv_nxt, rcv_adv)? */
bool tcp_seq_acceptable(uint32_t rcv_nxt, uint32_t rcv_adv, uint32_t seq, uint32_t len);

/* tcp_fast.c: header prediction for ESTABLISHED, in-order data and pure ACKs; TCP_SLOW
 * (nothing done) for any other segment. */
enum tcp_verdict tcp_fast_input(struct synack_stack *st, struct sock *sk, uint64_t now,
                                const struct tcp_seg *seg);

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
