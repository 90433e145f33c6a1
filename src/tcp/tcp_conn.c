/*
 * tcp/tcp_conn.c - the doors of a connection's life. Every connection is set up by
 * tcb_setup(), changes state only through tcp_set_state() (which traces and notifies),
 * enters TIME-WAIT through tcp_enter_time_wait(), and ends only through tcp_done(), which
 * unhooks it from the demux, the timer heap, the TIME-WAIT list and its listener's queues.
 * A listener's accept queue is kept here too: pushed when a child is established, popped
 * by accept, unlinked when a child ends first.
 *
 * Why TIME-WAIT exists (RFC 9293 §3.4.2, §3.6): the side that closes first waits 2*MSL
 * before the port pair may be used again. One reason is its last ACK: if that ACK is lost
 * the peer retransmits its FIN, and only a TCB still in TIME-WAIT can answer it; without
 * one the answer would be a reset and the peer would see an error for a clean close. The
 * other reason is old duplicates: a segment of this connection still wandering in the
 * network must die (MSL) before a new connection on the same four numbers could take it
 * for its own. TIME-WAIT is the price of reliability at the end, and the ISN clock
 * (isn.c) is its partner at the start.
 */
#include <string.h>

#include "tcp/stack.h"
#include "tcp/tcp_zc.h"

uint16_t tcp_rcv_mss_for(const struct synack_stack *st, const struct synack_addr *local,
                         uint16_t user_mss)
{
    uint32_t link_mss = (uint32_t)st->cfg.mtu - tcp_ip_hdrs(local);
    return (uint16_t)(user_mss && user_mss < link_mss ? user_mss : link_mss);
}

/* The least shift ws <= 14 that brings the buffer within the 16-bit window field (RFC 7323
 * §2.2; 14 is §2.3's limit): rcvbuf >> ws <= 65535 when the buffer has at most 16 + ws
 * significant bits. Asked for on every segment sent (tcp_rcv_slack), so counted from the
 * highest set bit rather than by a loop of up to 14 shifts. */
uint8_t tcp_rcv_wscale_for(uint32_t rcvbuf)
{
    if (rcvbuf <= 65535) return 0;
    unsigned bits = 32u - (unsigned)__builtin_clz(rcvbuf);
    return (uint8_t)(bits - 16 < 14 ? bits - 16 : 14);
}

uint32_t tcp_rcv_slack(const struct sock *sk)
{
    /* The scale tcb_setup chose from the buffer's maximum, whether or not the peer agreed
     * to scaling (or the one a listener's SYN-ACK offered, if its buffer has shrunk since),
     * and never less than the buffer's maximum needs now. */
    uint8_t ws = tcp_rcv_wscale_for(sk->rcvbuf);
    return 1u << (sk->tcb.rcv_wscale > ws ? sk->tcb.rcv_wscale : ws);
}

uint32_t tcp_rcv_ring_need(const struct sock *sk)
{
    const struct tcb *t = &sk->tcb;
    uint32_t want = t->rcv_tuned + tcp_rcv_slack(sk);
    uint32_t held = t->rcv.len + tcp_rcv_wnd_offered(t);
    return want > held ? want : held;
}

int tcb_rings(struct synack_stack *st, struct sock *sk)
{
    struct tcb *t = &sk->tcb;
    /* The send ring may hold sndbuf bytes and takes memory as the application queues them
     * (base/ring.h): a connection is charged for what it sends, not for what it may. */
    if (!ring_live(&t->snd)) (void)ring_init_cached(&t->snd, tcp_snd_ring_cap(sk), &st->ring_cache);
    if (ring_live(&t->rcv)) return 0;
    /* The receive buffer starts at TCP_RCV_INITIAL and grows with what the application
     * reads (tcp_rcv_autotune); SO_RCVBUF set by the user fixes it, as on Linux. The
     * window scale was chosen from the maximum (tcb_defaults), so the buffer can grow into
     * it without the scale changing (RFC 7323 §2.2: the scale is fixed at the SYN). */
    t->rcv_tuned = sk->rcvbuf_set || sk->rcvbuf < TCP_RCV_INITIAL ? sk->rcvbuf : TCP_RCV_INITIAL;
    uint32_t init_space = 10u * t->rcv_mss; /* an initial window's worth (RFC 6928) */
    t->rcvq_space = init_space < t->rcv_tuned ? init_space : t->rcv_tuned;
    t->rcvq_on = false;
    /* The ring has 2^scale bytes more than the window it offers: when rounding the
     * scaled window field down would move the right edge left, tcp_out.c rounds it up,
     * and what that promises must still fit (RFC 7323 §2.4). The advertised edge never
     * passes the ring's end. */
    (void)ring_init_cached(&t->rcv, t->rcv_tuned + tcp_rcv_slack(sk), &st->ring_cache);
    return 0;
}

/* Receive-buffer auto-tuning (dynamic right-sizing, as Linux's tcp_rcv_space_adjust):
 * once a round trip, what the application read in it is compared with the most it read in
 * any; when it is more, the buffer becomes twice that plus sixteen segments (the sender's
 * window keeps growing while the measurement lags a round trip behind it), up to rcvbuf.
 * A receiver that reads what arrives thus offers a window of about two round trips of its
 * reading rate, and one that does not read never grows. The buffer only grows: a window
 * once offered is never taken back (RFC 9293 §3.8.6), and memory follows use anyway, since
 * the ring takes memory as data arrives and gives it back when idle. Called after each
 * read by the application. Under the stack's memory pressure it measures but does not grow. */
void tcp_rcv_autotune(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    uint32_t copied_seq = t->rcv_nxt - t->rcv.len; /* the next byte the application reads */
    if (!t->rcvq_on) {
        t->rcvq_on = true;
        t->rcvq_seq = copied_seq;
        t->rcvq_time = now;
        return;
    }
    /* The round trip is SRTT. Without a sample (the handshake's was lost to Karn's rule,
     * and a receiver that sends nothing gets no other) the RTO stands in: a longer
     * measurement, so a larger buffer, still within rcvbuf. */
    if (now - t->rcvq_time < (t->rtt_valid ? t->srtt : t->rto)) return;
    uint32_t copied = copied_seq - t->rcvq_seq;
    if (copied > t->rcvq_space) {
        t->rcvq_space = copied;
        uint64_t want = 2ull * copied + 16ull * t->rcv_mss;
        if (want > sk->rcvbuf) want = sk->rcvbuf;
        /* Under memory pressure the buffer holds where it is (Linux's tcp_rcv_space_adjust
         * stops growing sk_rcvbuf under tcp_memory_pressure): the window already offered
         * stays, it only stops growing (tcp_mem.c). */
        if (!sk->rcvbuf_set && want > t->rcv_tuned && !tcp_mem_pressure(st)) {
            t->rcv_tuned = (uint32_t)want;
            /* Growing what the ring may hold takes no memory, so it cannot fail. */
            (void)ring_resize(&t->rcv, tcp_rcv_ring_need(sk));
        }
    }
    t->rcvq_seq = copied_seq;
    t->rcvq_time = now;
}

/* A ring whose memory may go back: it has some and holds nothing (for the receive ring,
 * nothing parked beyond the in-order bytes either). */
static bool snd_releasable(const struct tcb *t)
{
    return t->snd.buf && t->snd.len == 0;
}
static bool rcv_releasable(const struct tcb *t)
{
    return t->rcv.buf && t->rcv.len == 0 && t->reass.n == 0;
}

void tcp_rings_idle_arm(struct tcb *t, uint64_t now)
{
    if (!t->t_idle && (snd_releasable(t) || rcv_releasable(t))) t->t_idle = now + TCP_RING_IDLE_US;
}

/* The idle timer: when no segment came in or went out for TCP_RING_IDLE_US, an empty ring
 * gives its memory back; it takes it again, from RING_MIN_SIZE, when next used. So 100,000
 * quiet connections cost their sockets and nothing more, while a busy one keeps the memory
 * it uses and allocates nothing per segment. The timer is lazy, like a keepalive: activity
 * does not touch it, it looks at the last activity when it fires. */
void tcp_rings_idle(struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->t_idle = 0;
    uint64_t last = t->last_rcv_time > t->lsndtime ? t->last_rcv_time : t->lsndtime;
    if (last + TCP_RING_IDLE_US > now) {
        tcp_rings_idle_arm(t, last);
        return;
    }
    if (snd_releasable(t)) {
        ring_release(&t->snd);
        /* RACK's transmission map (tcp_rack.c) goes with the send ring's memory when
         * nothing is in flight; the next segment sent takes it again. */
        if (t->snd_una == t->snd_max) tcp_rack_free(t);
    }
    if (rcv_releasable(t)) ring_release(&t->rcv);
}

int tcb_setup(struct synack_stack *st, struct sock *sk)
{
    tcb_defaults(st, sk);
    sk->tcb.ts_offset = (uint32_t)stack_random(st);
    return 0;
}

void tcb_defaults(struct synack_stack *st, struct sock *sk)
{
    struct tcb *t = &sk->tcb;
    /* The smallest window scale that lets the whole receive buffer be advertised
     * (RFC 7323 §2.3, at most 14). */
    t->rcv_wscale = tcp_rcv_wscale_for(sk->rcvbuf);
    t->cc = sk->cc ? sk->cc : st->cc;
    t->hs.linux_delay = st->cfg.hystart_linux;
    t->rack.rtt_seq = st->cfg.rack_rtt_seq;
    t->xr_spares = &st->xr_spares;
    t->rcv_mss = tcp_rcv_mss_for(st, &t->laddr, t->user_mss);
    t->snd_mss = 536;
    tcp_rtt_init(t, st->cfg.rto_initial_us);
    t->ss_limit = st->cfg.slow_start_limit;
    t->cc->init(t);
    memset(&t->reass, 0, sizeof t->reass);
}

static void trace_state(struct synack_stack *st, struct sock *sk, uint64_t now, int old_state,
                        int new_state)
{
    if (!stack_tracing(st)) return;
    struct synack_trace_event ev = sock_trace_event(sk, SYNACK_TRACE_STATE, now);
    ev.old_state = old_state;
    ev.new_state = new_state;
    stack_trace(st, &ev);
}

void tcp_set_state(struct synack_stack *st, struct sock *sk, uint64_t now, int state)
{
    int old = sk->tcb.state;
    if (old == state) return;
    sk->tcb.state = state;
    if (state == SYNACK_ESTABLISHED || (old < SYNACK_ESTABLISHED && state > SYNACK_ESTABLISHED))
        sk->connected_reported = true;
    if (state == SYNACK_ESTABLISHED && sk->tcb.keepalive)
        sk->tcb.t_keep = now + sk->tcb.keep_idle_us;
    trace_state(st, sk, now, old, state);
    sock_notify(st, sk);
}

/* ---- the accept queue ------------------------------------------------------------------ */

void accept_queue_push(struct synack_stack *st, struct sock *c)
{
    struct sock *l = sock_of(st, c->parent);
    if (!l) return;
    /* The child moves from the SYN queue to the accept queue. */
    if (l->n_syn > 0) l->n_syn--;
    fifo_push(&l->acceptq, &c->acc);
    sock_notify(st, l);
}

struct sock *accept_queue_pop(struct synack_stack *st, struct sock *l)
{
    struct fifo_node *x = fifo_pop(&l->acceptq);
    if (!x) return NULL;
    struct sock *c = container_of(x, struct sock, acc);
    c->parent = -1;
    return c;
}

/* The child ends before it is accepted: out of its listener's queues. */
static void accept_queue_unlink(struct synack_stack *st, struct sock *c)
{
    struct sock *l = sock_of(st, c->parent);
    c->parent = -1;
    if (!l || !l->in_use) return;
    if (c->acc.linked)
        fifo_unlink(&l->acceptq, &c->acc);
    else if (l->n_syn > 0)
        l->n_syn--;
}

/* ---- TIME-WAIT and the end ------------------------------------------------------------- */

void tcp_enter_time_wait(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    tcp_set_state(st, sk, now, SYNACK_TIME_WAIT);
    t->t_rtx = t->t_persist = t->t_keep = t->t_tlp = 0;
    t->t_tw = now + 2 * st->cfg.msl_us;
    ring_free(&t->snd); /* nothing is sent from TIME-WAIT but ACKs */
    /* Nothing more can arrive to be read: an empty receive ring's memory goes now, and a
     * TIME-WAIT entry costs its socket alone. */
    if (rcv_releasable(t)) ring_release(&t->rcv);
    if (!t->rcv.buf) t->t_idle = 0;
    tcp_rack_free(t);
    /* Bounded TIME-WAIT: at the limit the oldest entry ends first, as Linux does when
     * tcp_max_tw_buckets is reached. It ends through the one door, so that it leaves the
     * demux too and cannot answer its 4-tuple as a CLOSED entry. */
    while (st->tw.n + st->twr_n >= st->cfg.max_time_wait && (st->tw.head || st->twr_n)) {
        /* The older of the oldest socket and the oldest record (tcp/tcp_tw.c), by when
         * their waits end. */
        struct sock *old = st->tw.head ? container_of(st->tw.head, struct sock, tw) : NULL;
        struct tw_rec *rec = tcp_tw_oldest(st);
        if (rec && (!old || rec->expires <= old->tcb.t_tw))
            tcp_tw_done(st, rec, now, false);
        else if (old)
            tcp_done(st, old, now, 0);
        else
            break; /* the counts and the lists disagree: never, but never loop on it */
    }
    fifo_push(&st->tw, &sk->tw);
    /* No timer_update here: every caller is a step of SEGMENT ARRIVES (the FIN, or the ACK
     * of ours in CLOSING), and tcp_input's one exit re-arms the heap entry, or the socket
     * becomes a compact record (tcp_tw.c) and leaves the heap: an entry set here was taken
     * out again in the same call. */
}

void tcp_orphan_fin_wait_2(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    /* An orphaned FIN-WAIT-2 waits at most 2*MSL for the peer's FIN, so a peer that never
     * closes cannot hold the entry for ever (Linux: tcp_fin_timeout). */
    struct tcb *t = &sk->tcb;
    if (t->state == SYNACK_FIN_WAIT_2 && !sk->user_open && !t->t_tw) {
        t->t_tw = now + 2 * st->cfg.msl_us;
        timer_update(st, sk);
    }
}

void tcp_done(struct synack_stack *st, struct sock *sk, uint64_t now, int error)
{
    struct tcb *t = &sk->tcb;
    if (error) sk->error = error;
    t->t_rtx = t->t_persist = t->t_delack = t->t_tw = t->t_keep = t->t_tlp = t->t_idle = 0;
    tcp_set_state(st, sk, now, SYNACK_CLOSED);
    sock_unhash(st, sk);
    fifo_unlink(&st->tw, &sk->tw);
    fifo_unlink(&st->want_out, &sk->outw);
    if (sk->parent >= 0) accept_queue_unlink(st, sk);
    if (sk->tfo_counted_by) tcp_fastopen_child_left(st, sk);
    tcp_zc_end(st, sk); /* zero-copy buffers are released and reported (tcp_zc.c) */
    ring_free(&t->snd);
    tcp_rack_free(t);
    /* Unread data stays readable after a clean close; after an error it is gone. */
    if (error || !sk->user_open) ring_free(&t->rcv);
    timer_update(st, sk);
    sock_notify(st, sk);
    sock_maybe_free(st, sk);
}

void tcp_done_keep(struct synack_stack *st, struct sock *sk, uint64_t now, int error)
{
    /* The connection ends through the one door, tcp_done, as a clean close would (which
     * keeps the received data for a socket the user holds); then it is put back where the
     * application will find it, with the error it will be told. Linux's reset child is the
     * accept queue's until accepted (inet_csk_accept returns it in TCP_CLOSE), and a
     * listener's close or the user's frees it as any closed socket. */
    int32_t parent = sk->parent;
    bool user_open = sk->user_open;
    sk->parent = -1;
    sk->user_open = true;
    tcp_done(st, sk, now, 0);
    sk->parent = parent;
    sk->user_open = user_open;
    sk->error = error;
    sock_notify(st, sk);
}
