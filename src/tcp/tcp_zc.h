/*
 * tcp/tcp_zc.h - the send queue beyond the ring: zero-copy sends (SYNACK_SEND_ZEROCOPY,
 * Linux's MSG_ZEROCOPY) whose bytes stay in the caller's buffer until acknowledged,
 * per-send transmit timestamps (SYNACK_OPT_TIMESTAMPING, Linux's SO_TIMESTAMPING), and the
 * notice queue that reports both (Linux's error queue). See tcp_zc.c.
 */
#ifndef SYNACK_TCP_TCP_ZC_H
#define SYNACK_TCP_TCP_ZC_H

#include <stdbool.h>
#include <stdint.h>

#include "synack/synack.h"

struct synack_stack;
struct sock;

/* One send that asked for zero-copy, or one element of such a send given as an array
 * (synack_sendv: then several records in a row share its id), in sequence order:
 * [seq, seq + len) of the queued data, read from p (the caller's buffer, advanced as its
 * head is acknowledged) or, when p is NULL, from the send ring (the stack copied it). A
 * record with p is one fragment (cfg.zc_max_frags). The send is done when its last record
 * is wholly acknowledged. */
struct tcp_zc_rec {
    const uint8_t *p;
    uint32_t seq, len;
    uint32_t id;
};

/* One send that asked for transmit timestamps: the sequence number of its last byte and the
 * moments still to report (TCP_TS_* bits). */
struct tcp_ts_rec {
    uint32_t last;
    uint8_t pending;
};
#define TCP_TS_SCHED 1u
#define TCP_TS_SND   2u
#define TCP_TS_ACK   4u

/* Timestamp requests outstanding, and timestamp notices the queue holds, at most (beyond:
 * the request or the notice is dropped and counted, as Linux drops error-queue entries
 * beyond the receive buffer). */
#define TCP_TS_MAX   64
#define TCP_NOTE_MAX (SYNACK_ZEROCOPY_MAX + TCP_TS_MAX)

/* Records at most, over all the sends of a socket (the array grows to this, as they
 * come): a send that would need more takes the elements that fit. */
#define TCP_ZC_REC_MAX 4096

struct tcp_zc {
    struct tcp_zc_rec *rec; /* rec_cap of them, rec_n in use */
    uint16_t rec_cap;
    uint16_t sends;     /* zero-copy sends not yet done */
    uint32_t max_frags; /* cfg.zc_max_frags */
    struct tcp_ts_rec ts[TCP_TS_MAX];
    struct synack_notice note[TCP_NOTE_MAX]; /* a ring of notices, oldest at note_head */
    uint16_t rec_n, ts_n;
    uint16_t note_head, note_n, note_zc; /* note_zc: zero-copy notices among them */
    uint32_t next_id;                    /* the next zero-copy send's id */
    uint32_t notices;                    /* notices queued ever (synack_sockinfo.notices) */
};

/* The application queues up to want bytes of buf (what the send buffer has room for):
 * into the ring, or, for a zero-copy send on a socket that allows it, by reference; and a
 * timestamp request when the socket asks for them. Returns the bytes taken, or
 * SYNACK_ENOBUFS (too many zero-copy sends outstanding) / SYNACK_ENOMEM. */
long tcp_snd_take(struct synack_stack *st, struct sock *sk, const void *buf, uint32_t want,
                  unsigned flags);
/* tcp_snd_take over iovcnt buffers, taken in order up to want bytes in all: one send. */
long tcp_snd_takev(struct synack_stack *st, struct sock *sk, const struct synack_iov *iov,
                   int iovcnt, uint32_t want, unsigned flags);
/* cfg.zc_max_frags: a segment of queued data from seq, len bytes at most, is cut after
 * the last fragment that fits; *cut says whether it was. */
uint32_t tcp_zc_frag_clip(const struct sock *sk, uint32_t seq, uint32_t len, bool *cut);
/* Where the last segment of [seq, end) may start so as to carry no more fragments than
 * cfg.zc_max_frags allows (seq, or later). */
uint32_t tcp_zc_frag_tail(const struct sock *sk, uint32_t seq, uint32_t end);
/* n bytes at the head of the queued data were acknowledged: the ring and the zero-copy
 * sends give them up (snd_buf_seq advances), finished sends and acknowledged timestamps
 * are reported. */
void tcp_snd_consume(struct synack_stack *st, struct sock *sk, uint32_t n, uint64_t now);
/* Copies n queued bytes from offset off (from snd_buf_seq), wherever they are. */
void tcp_snd_peek(const struct sock *sk, uint32_t off, uint8_t *out, uint32_t n);
/* A segment with data [seq, seq + len) went to the output queue at now. */
void tcp_tstamp_on_send(struct synack_stack *st, struct sock *sk, uint32_t seq, uint32_t len,
                        uint64_t now);
/* The connection ended (tcp_done): every zero-copy send is released and reported,
 * timestamps not yet taken are forgotten. */
void tcp_zc_end(struct synack_stack *st, struct sock *sk);
/* The application lets go of the descriptor while data is still queued: what zero-copy
 * sends hold is copied into the ring, so no buffer of the application's is used after the
 * call. 0, or SYNACK_ENOMEM (nothing changed). */
int tcp_zc_detach(struct synack_stack *st, struct sock *sk);
/* The socket's slot is freed. */
void tcp_zc_free(struct sock *sk);
/* Takes the oldest notice: 1, or 0 when none waits. */
int tcp_zc_next_notice(struct synack_stack *st, struct sock *sk, struct synack_notice *n);
static inline bool tcp_zc_has_notice(const struct tcp_zc *z)
{
    return z && z->note_n > 0;
}

#endif
