/*
 * tcp/tcp_urg.c - the receive side's urgent pointer (RFC 9293 §3.8.5): where the urgent
 * data the peer announced ends (RCV.UP), and how much the application has still to read up
 * to it.
 *
 * RFC 9293 §3.10.7.4's sixth step: "If the URG bit is set, RCV.UP <- max(RCV.UP, SEG.UP),
 * and signal the user that the remote side has urgent data if the urgent pointer (RCV.UP)
 * is in advance of the data consumed." SEG.UP is SEG.SEQ plus the urgent pointer, which
 * points to the octet after the urgent data (MUST-31). MUST-33 asks that the application
 * can learn how much urgent data remains to be read: synack_sockinfo.rcv_urgent. The
 * urgent bytes stay in the stream, in order (RFC 6093 §6: in-line, as a new application
 * should expect them); nothing else changes with them.
 */
#include "tcp/stack.h"
#include "tcp/tcp.h"

/* The sequence number of the next byte the application reads: the receive ring's first
 * (RCV.NXT counts the peer's FIN too). */
static uint32_t read_seq(const struct tcb *t)
{
    return t->rcv_nxt - t->rcv.len - (t->fin_rcvd ? 1u : 0u);
}

void tcp_urg_rcvd(struct tcb *t, uint32_t seg_seq, uint16_t urg_ptr)
{
    uint32_t up = seg_seq + urg_ptr;
    /* A pointer into data already read announces nothing (a stale retransmission). */
    if (!seq_gt(up, read_seq(t))) return;
    if (!t->urg_valid || seq_gt(up, t->rcv_up)) {
        t->rcv_up = up;
        t->urg_valid = true;
    }
}

/* The application read past RCV.UP: the urgent data is over, and the mark with it (Linux
 * clears tp->urg_data when copied_seq passes it). Kept, RCV.UP would be compared with
 * sequence numbers 2^31 bytes on, where it reads as far ahead again: 2 GiB of urgent data
 * announced, and a new SEG.UP "behind" it ignored (RFC 9293 §3.10.7.4's max()). */
void tcp_urg_read(struct tcb *t)
{
    if (t->urg_valid && !seq_gt(t->rcv_up, read_seq(t))) t->urg_valid = false;
}

uint32_t tcp_urg_pending(const struct tcb *t)
{
    uint32_t read = read_seq(t);
    return t->urg_valid && seq_gt(t->rcv_up, read) ? t->rcv_up - read : 0;
}
