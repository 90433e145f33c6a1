/*
 * tcp/tcp_sndbuf.c - Linux's send-buffer accounting (cfg.sndbuf_linux): how much of a
 * write a socket takes, and when it is writable, counted as Linux counts them, so that a
 * program (or a packetdrill script) written against Linux's SO_SNDBUF, TCP_NOTSENT_LOWAT
 * and EPOLLOUT sees the same numbers.
 *
 * RFC 9293 §3.10.2 (SEND) leaves the buffer to the implementation ("if there is
 * insufficient space to remember this buffer, the call is simply returned"). synack's own
 * rule counts bytes: a ring of sndbuf bytes. Linux counts memory (tcp_sendmsg_locked):
 *   - a write fills the last unsent buffer (skb) of the queue up to the size goal
 *     (tcp_tso.c), unless it ends a record (MSG_EOR), then opens new buffers while the
 *     memory charged, bytes plus a fixed overhead per buffer, is below sk_sndbuf
 *     (sk_stream_memory_free) and the unsent bytes are below TCP_NOTSENT_LOWAT
 *     (tcp_stream_memory_free); so the last buffer may go past sk_sndbuf;
 *   - a buffer that fills while it is the first unsent one is sent at once (tcp_push_one)
 *     as far as the windows allow, and what stays behind becomes a buffer of its own that
 *     the rest of the write fills again;
 *   - the socket is writable (EPOLLOUT) when a third of sk_sndbuf is free (the free space
 *     at least half the charge) and the unsent bytes are below half of TCP_NOTSENT_LOWAT
 *     (sk_stream_is_writeable, tcp_stream_memory_free with wake set).
 * The value is Linux's sk_sndbuf, so SO_SNDBUF maps 1:1 (Linux doubles what the user sets;
 * a caller that wants Linux's figure passes twice the user's value). synack user calls do
 * not send, so "sent at once" is what the windows let go now (tcp_output sends it at the
 * next call that carries a clock). The buffers are not kept: the charge counts whole
 * buffers of the size goal in the sent and in the unsent bytes, which is what a bulk write
 * leaves. Not copied: Linux's growth of an unlocked sk_sndbuf with the congestion window
 * (tcp_sndbuf_expand).
 */
#include "tcp/stack.h"

/* What Linux 6.18 charges a buffer beyond its bytes (skb truesize: the sk_buff and its
 * shared info): SO_MEMINFO's wmem_queued is 1832 after a 1000-byte write on that kernel. */
#define SKB_OVERHEAD 832u
/* The ring holds what the rule can admit: under sndbuf bytes, plus the buffer opened last
 * and the rest of a buffer split by the windows, each at most one size goal (< 64 KiB). */
#define RING_SLACK (2u * 65536u)
/* At most this many buffers are counted per call, so that a readiness check stays cheap
 * whatever size goal the peer's MSS and window make: enough for a send buffer of up to
 * 4096 x (goal + 832) bytes, 3.6 MB with the smallest goal of a 64-byte MSS. */
#define TAKE_TURNS 4096

static uint32_t div_up(uint32_t a, uint32_t b)
{
    return a ? (a - 1) / b + 1 : 0;
}

/* Linux's mss_now; RFC 9293 §3.7.1's default before the connection has one. */
static uint32_t snd_mss_of(const struct tcb *t)
{
    return t->snd_mss ? t->snd_mss : 536u;
}

uint32_t tcp_snd_ring_cap(const struct sock *sk)
{
    return sk->sndbuf_linux ? sk->sndbuf + RING_SLACK : sk->sndbuf;
}

/* The queue as Linux would hold it now, by sequence number: its start, where sending has
 * got to, where its last buffer starts, its end; the size goal, and what the windows still
 * let go. synack sends at the next call that carries a clock, Linux at once: what the
 * windows let go counts as sent already (the buffer it ends in split there, as Linux's
 * tso_fragment splits an skb it sends part of). */
struct lq {
    uint32_t mss, goal, base, sent, tail, end, go;
};

static void lq_of(const struct sock *sk, struct lq *q, uint32_t back)
{
    const struct tcb *t = &sk->tcb;
    q->mss = snd_mss_of(t);
    q->goal = tcp_size_goal(t, q->mss);
    q->base = t->snd_buf_seq;
    /* back: the bytes a write queued since (tcp_sndbuf_linux_tail): the queue before it. */
    q->end = tcp_data_end(t) - back;
    q->sent = seq_lt(t->snd_max, q->base)  ? q->base
              : seq_gt(t->snd_max, q->end) ? q->end
                                           : t->snd_max;
    /* The last buffer's start, as the last write left it; unknown: none to fill. */
    q->tail = seq_geq(t->snd_tail, q->base) && seq_leq(t->snd_tail, q->end) ? t->snd_tail : q->end;
    q->go = 0;
    bool open = t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT;
    if (!open || tcp_corked(t)) return;
    uint32_t flight = tcp_flight(t);
    uint32_t wnd = t->snd_wnd > flight ? t->snd_wnd - flight : 0;
    uint32_t cwnd = t->cwnd > flight ? t->cwnd - flight : 0;
    q->go = wnd < cwnd ? wnd : cwnd;
    uint32_t unsent = q->end - q->sent;
    uint32_t s = q->go < unsent ? q->go - q->go % q->mss : unsent;
    q->sent += s;
    q->go -= s;
}

/* The memory charged: every byte, and SKB_OVERHEAD per buffer: the sent part in buffers
 * of the goal, the unsent part up to the last buffer likewise, and the last buffer. */
static uint64_t lq_charge(const struct lq *q)
{
    uint32_t bufs = div_up(q->sent - q->base, q->goal);
    if (seq_lt(q->sent, q->end)) {
        uint32_t head = seq_gt(q->tail, q->sent) ? q->tail - q->sent : 0;
        uint32_t last = q->end - (seq_gt(q->tail, q->sent) ? q->tail : q->sent);
        bufs += div_up(head, q->goal) + div_up(last, q->goal);
    }
    return (uint64_t)(q->end - q->base) + (uint64_t)SKB_OVERHEAD * bufs;
}

/* Room left in the last buffer, if it is unsent and open. */
static uint32_t lq_tail_room(const struct lq *q)
{
    if (!seq_lt(q->sent, q->end)) return 0;
    uint32_t len = q->end - (seq_gt(q->tail, q->sent) ? q->tail : q->sent);
    return len < q->goal ? q->goal - len : 0;
}

bool tcp_sndbuf_linux_writable(const struct sock *sk)
{
    const struct tcb *t = &sk->tcb;
    if (tcp_sndbuf_linux_room(sk) == 0) return false;
    struct lq q;
    lq_of(sk, &q, 0);
    uint64_t charge = lq_charge(&q);
    if (charge >= sk->sndbuf) return false;
    if (t->notsent_lowat && (uint64_t)(q.end - q.sent) * 2 >= t->notsent_lowat) return false;
    return sk->sndbuf - charge >= charge / 2;
}

/* Whether the byte before end ends a record: its buffer takes nothing more. */
static bool ends_record(const struct tcb *t, uint32_t end)
{
    return t->eor_n > 0 && t->eor[t->eor_n - 1] == end;
}

/* What a write of len bytes takes of the queue q (as the last write left it), and where
 * its last buffer starts. */
static uint32_t take_from(const struct sock *sk, struct lq q, uint32_t len, uint32_t *tail)
{
    const struct tcb *t = &sk->tcb;
    /* A buffer that fills while it is the first unsent one goes at once (tcp_push_one) as
     * far as the windows allow: not when older bytes wait unsent. */
    if (seq_lt(q.sent, q.end)) q.go = 0;
    bool closed = ends_record(t, q.end);
    uint32_t took = 0;
    /* Each turn fills the last buffer or opens one charged SKB_OVERHEAD, so the turns are
     * bounded by sndbuf over the overhead; and by TAKE_TURNS whatever the peer's MSS and
     * window make the goal (a send then takes less than Linux's would, never more). */
    for (int turn = 0; turn < TAKE_TURNS && took < len; turn++) {
        uint32_t room = closed ? 0 : lq_tail_room(&q);
        closed = false;
        if (room == 0) {
            if (lq_charge(&q) >= sk->sndbuf) break;
            if (t->notsent_lowat && q.end - q.sent >= t->notsent_lowat) break;
            q.tail = q.end;
            room = q.goal;
        }
        uint32_t n = room < len - took ? room : len - took;
        q.end += n;
        took += n;
        if (took == len) break;
        /* The last buffer is full; sent at once if all that is unsent is in it. */
        if (q.go >= q.mss && !seq_gt(q.tail, q.sent)) {
            uint32_t unsent = q.end - q.sent;
            uint32_t s = q.go < unsent ? q.go - q.go % q.mss : unsent;
            q.sent += s;
            q.go -= s;
        }
    }
    *tail = q.tail;
    return took;
}

uint32_t tcp_sndbuf_linux_take(const struct sock *sk, uint32_t len, uint32_t *tail)
{
    const struct tcb *t = &sk->tcb;
    *tail = t->snd_tail;
    if (!ring_live(&t->snd)) return 0;
    struct lq q;
    lq_of(sk, &q, 0);
    uint32_t ring_room = t->snd.cap > t->snd.len ? t->snd.cap - t->snd.len : 0;
    if (len > ring_room) len = ring_room;
    return take_from(sk, q, len, tail);
}

/* The write has queued took bytes already, fewer than tcp_sndbuf_linux_take planned (a
 * fault in its buffer, or the memory limit): the accounting is replayed on the queue as it
 * was before them, for the bytes taken alone. Linux ends such a write at the copy that
 * fails (tcp_sendmsg_locked: "goto do_error" or "goto wait_for_space"), removes the empty
 * buffer it may have opened for it (tcp_remove_empty_skb) and returns what it copied, so
 * that its last buffer is the one holding the last byte copied, which the next write
 * fills. The queue before the write is the queue now less its last took bytes: a user
 * call sends nothing (tcp_user.c), and the record ends are noted after the take. */
uint32_t tcp_sndbuf_linux_tail(const struct sock *sk, uint32_t took)
{
    uint32_t tail = sk->tcb.snd_tail;
    if (!ring_live(&sk->tcb.snd)) return tail;
    struct lq q;
    lq_of(sk, &q, took);
    (void)take_from(sk, q, took, &tail);
    return tail;
}

uint32_t tcp_sndbuf_linux_room(const struct sock *sk)
{
    uint32_t tail;
    return tcp_sndbuf_linux_take(sk, UINT32_MAX, &tail);
}
