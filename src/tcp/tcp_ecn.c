/*
 * tcp/tcp_ecn.c - Explicit Congestion Notification (RFC 3168): a router that would drop a
 * datagram to signal congestion may instead mark it CE ("congestion experienced") when
 * both ends said they understand the mark. The receiver echoes the mark back with ECE on
 * its ACKs until the sender says, with CWR, that it has reduced its window; the sender
 * reduces at most once per round trip, as for a loss, but nothing has to be sent again.
 *
 * The handshake (§6.1.1): the active side's SYN carries ECE and CWR ("ECN-setup SYN"); a
 * passive side that agrees answers with ECE alone ("ECN-setup SYN-ACK"); anything else
 * leaves the connection without ECN. Then only new data goes out ECN-capable, ECT(0)
 * (§6.1.5: never retransmissions, never SYNs, pure ACKs or window probes, whose loss is
 * not a congestion signal the sender could act on). As Linux does, a retransmitted SYN no
 * longer asks (§6.1.1.1: a path that drops ECN-setup SYNs should not cost the connection),
 * and a CE mark makes the receiver acknowledge at once, so that the sender learns of it a
 * delayed-ACK interval sooner.
 */
#include "tcp/stack.h"
#include "tcp/tcp_in.h"

#define ECN_NOT_ECT 0
#define ECN_ECT0    2
#define ECN_CE      3

bool tcp_ecn_wanted(const struct synack_stack *st, const struct sock *sk)
{
    if (sk->ecn_opt >= 0) return sk->ecn_opt == 1;
    return st->cfg.ecn == 1;
}

bool tcp_ecn_accepts(const struct synack_stack *st, const struct sock *lsk)
{
    if (lsk->ecn_opt >= 0) return lsk->ecn_opt == 1;
    return st->cfg.ecn != 0;
}

bool tcp_ecn_setup_syn(uint16_t flags)
{
    return (flags & (SYNACK_TCP_ECE | SYNACK_TCP_CWR)) == (SYNACK_TCP_ECE | SYNACK_TCP_CWR);
}

void tcp_ecn_synack_in(struct tcb *t, uint16_t flags)
{
    /* §6.1.1: only a SYN-ACK with ECE and without CWR agrees; one with both is a peer
     * that reflected our flags without understanding them. */
    t->ecn_ok = t->ecn_asked && (flags & (SYNACK_TCP_ECE | SYNACK_TCP_CWR)) == SYNACK_TCP_ECE;
}

static uint8_t ip_ecn_field(const struct synack_segment *s)
{
    return s->family == SYNACK_AF_INET6 ? (uint8_t)(s->ip6.traffic_class & 3)
                                        : (uint8_t)(s->ip.tos & 3);
}

void tcp_ecn_segment_in(struct synack_stack *st, struct tcb *t, const struct tcp_seg *seg)
{
    if (!t->ecn_ok) return;
    /* §6.1.3: CWR says the sender has reacted: stop echoing. A CE mark on this very
     * segment starts the echo again. */
    if (seg->flags & SYNACK_TCP_CWR) t->ecn_ece_pending = false;
    if (ip_ecn_field(seg->s) == ECN_CE) {
        st->stats.ecn_ce_received++;
        t->ecn_ece_pending = true;
        t->ack_now = true;
    }
}

void tcp_ecn_ack_in(struct synack_stack *st, struct tcb *t, const struct tcp_seg *seg)
{
    t->ecn_cut_now = false;
    if (!t->ecn_ok || !(seg->flags & SYNACK_TCP_ACK)) return;
    /* §6.1.2: at most one reduction per window of data: ECEs for data sent before the
     * last reduction are the same congestion. The window ends when an ACK covers its edge;
     * the edge is then forgotten, on every ACK, so that it cannot fall 2^31 behind and
     * look ahead again (RFC 9293 §3.4: comparisons hold within 2^31). */
    if (t->ecn_reduced && seq_gt(seg->ack, t->ecn_high)) t->ecn_reduced = false;
    if (!(seg->flags & SYNACK_TCP_ECE)) return;
    if (seq_lt(seg->ack, t->snd_una)) return; /* an old ACK says nothing new */
    if (t->ecn_reduced) return;
    if (t->in_recovery) return;
    uint32_t ss = t->cc->ssthresh(t);
    t->ssthresh = ss;
    t->cwnd = ss;
    t->ecn_reduced = true;
    t->ecn_cut_now = true;
    t->ecn_high = t->snd_max;
    t->ecn_cwr_pending = true;
    st->stats.ecn_reductions++;
}

uint16_t tcp_ecn_out(struct tcb *t, uint16_t flags, uint32_t len, bool retransmit, bool *ect)
{
    *ect = false;
    if (flags & SYNACK_TCP_SYN) {
        if (t->state == SYNACK_SYN_SENT) {
            /* Our SYN: the first asks, a retransmission does not (§6.1.1.1). */
            t->ecn_asked = t->ecn_asked && !retransmit;
            if (t->ecn_asked) flags |= SYNACK_TCP_ECE | SYNACK_TCP_CWR;
        } else if (t->ecn_ok) {
            flags |= SYNACK_TCP_ECE; /* an ECN-setup SYN-ACK */
        }
        return flags;
    }
    if (!t->ecn_ok || (flags & SYNACK_TCP_RST)) return flags;
    if (t->ecn_ece_pending) flags |= SYNACK_TCP_ECE;
    if (len > 0 && !retransmit && !t->force_push) {
        *ect = true;
        if (t->ecn_cwr_pending) {
            flags |= SYNACK_TCP_CWR;
            t->ecn_cwr_pending = false;
        }
    }
    return flags;
}
