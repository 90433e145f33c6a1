/*
 * tcp/tcp_tso.c - the size of the buffers Linux cuts a write into (its "size goal"), which
 * decides how much of a burst Linux sends as one TSO packet and how it counts a send
 * buffer (tcp_sndbuf.c).
 *
 * RFC 9293 leaves both to the sender: it says what may be sent (§3.8.6, the windows; RFC
 * 5681 the congestion window), not how a burst is grouped. synack copies Linux's choice so
 * that a peer, or a packetdrill script written for Linux, sees the same packets. Linux
 * (tcp_xmit_size_goal) makes each skb of a write at most half the largest window the peer
 * has offered (tcp_bound_to_half_wnd: a sender that fills only half a window at a time
 * leaves the peer room to acknowledge the first half, the same reasoning as RFC 9293
 * §3.8.6.2.1's SWS rule of half the largest window), in whole segments, and at most one
 * GSO packet (64 KiB less the headers); never less than one segment. Retransmissions keep
 * the boundaries the first transmission had: record ends (MSG_EOR) and the limit of
 * fragments per segment of zero-copy data (cfg.zc_max_frags, tcp_zc.c).
 */
#include <stddef.h>

#include "table/fifo.h"
#include "tcp/stack.h"
#include "tcp/tcp_zc.h"

/* Linux's gso_max_size (64 KiB) less MAX_TCP_HEADER and one byte (sk_setup_caps), as
 * tcp_push.c's TSO_MAX_BYTES. */
#define SIZE_GOAL_MAX (65536u - 321u)
/* tcp_bound_to_half_wnd(): below TCP_MSS_DEFAULT (536) the whole window is the bound, and
 * the bound is never under 68 bytes less the TCP header (RFC 791's minimum datagram). */
#define HALF_WND_FLOOR 536u

uint32_t tcp_size_goal(const struct tcb *t, uint32_t mss)
{
    if (mss == 0) mss = 1;
    uint32_t goal = SIZE_GOAL_MAX;
    uint32_t w = t->max_snd_wnd;
    if (w > 0) {
        uint32_t cut = w > HALF_WND_FLOOR ? w / 2 : w;
        if (goal > cut) goal = cut;
    }
    uint32_t segs = goal / mss;
    return segs > 1 ? segs * mss : mss;
}

/* Linux never merges two buffers into one retransmission when the first ends a record
 * (MSG_EOR: tcp_skb_can_collapse, tcp_can_collapse), and the buffer that ends a record
 * ended a write, so it carries PSH (tcp_mark_push) each time it goes. RFC 9293 leaves the
 * repacketization of a retransmission to the sender (§3.8.1 allows more or less data than
 * was first sent); this keeps records apart as the first transmission did. */
uint32_t tcp_rexmit_clip(struct tcb *t, uint32_t seq, uint32_t len, uint16_t *flags)
{
    uint32_t end;
    if (len > 0 && tcp_eor_after(t, seq, &end) && seq_leq(end, seq + len)) {
        len = end - seq;
        *flags |= SYNACK_TCP_PSH;
    }
    /* Nor does it carry more fragments than cfg.zc_max_frags (tcp_zc.c), and the buffer
     * Linux filled to its last fragment was pushed, so its retransmission carries PSH too. */
    bool cut;
    len = tcp_zc_frag_clip(container_of(t, struct sock, tcb), seq, len, &cut);
    if (cut) *flags |= SYNACK_TCP_PSH;
    return len;
}

uint32_t tcp_rexmit_last_start(struct tcb *t, uint32_t seq, uint32_t end)
{
    uint32_t e;
    /* The last record end inside (seq, end): the last segment starts after it. */
    while (seq_lt(seq, end) && tcp_eor_after(t, seq, &e) && seq_lt(e, end)) seq = e;
    /* And it carries no more fragments than the limit allows (tcp_zc.c). */
    return tcp_zc_frag_tail(container_of(t, struct sock, tcb), seq, end);
}

/* A connection born from a Fast Open SYN sends data before the handshake's ACK (RFC 7413
 * §4.2.2). Linux's child counts the window and the congestion window from ISS + 1, as if
 * its SYN-ACK were acknowledged (tcp_create_openreq_child: the request, not the child,
 * owns the SYN-ACK and its retransmission), so the client's window of 10000 bytes takes
 * 10000 bytes of data. RFC 9293 takes SND.WND from the handshake's ACK (§3.10.7.4), so
 * before it the window a Fast Open server sends into has no left edge in the RFC (the
 * peer's SYN acknowledges nothing); this takes Linux's. The SYN-ACK's one sequence number
 * is what the send loop leaves out of the flight. */
uint32_t tcp_tfo_syn_in_flight(const struct tcb *t)
{
    return t->state == SYNACK_SYN_RECEIVED && t->tfo_child && t->snd_una == t->iss &&
                   seq_gt(t->snd_nxt, t->iss)
               ? 1u
               : 0u;
}
