/*
 * tcp/tcp_user.c - the user calls of RFC 9293 §3.10.1-6 (OPEN, SEND, RECEIVE, CLOSE,
 * ABORT) as the machine sees them. A user call changes state and marks the socket as
 * wanting output (sock_want_output); it never builds a segment, because it carries no
 * clock a segment could be stamped with: the next call that carries `now` (synack_output,
 * synack_poll, synack_input) builds it. The one exception is ABORT's reset, which carries
 * no timestamp and starts no RTT measurement, so it goes out at once.
 */
#include <string.h>

#include "tcp/stack.h"
#include "tcp/tcp.h"
#include "tcp/tcp_zc.h"

int tcp_user_connect(struct synack_stack *st, struct sock *sk, uint64_t now, bool fastopen)
{
    struct tcb *t = &sk->tcb;
    int r = tcb_setup(st, sk);
    if (r == 0) r = tcb_rings(st, sk);
    if (r < 0) return r;
    t->iss = tcp_choose_isn(st, t, now);
    t->snd_una = t->snd_nxt = t->snd_max = t->iss;
    t->snd_buf_seq = t->iss + 1;
    t->snd_small_end = t->iss;
    t->recover = t->iss;
    t->passive = false;
    t->ecn_asked = tcp_ecn_wanted(st, sk); /* RFC 3168 §6.1.1: the SYN asks */
    t->last_rcv_time = now;
    sock_hash(st, sk);
    st->stats.conn_opened_active++;
    tcp_set_state(st, sk, now, SYNACK_SYN_SENT);
    /* TCP Fast Open (RFC 7413 §4.2.1): with a cookie at hand the SYN waits for its data
     * (tcp_user_syn_data); without one it asks for a cookie. */
    if (fastopen && tcp_fastopen_connect(st, sk, now)) {
        t->tfo_defer = true;
        return 0;
    }
    sock_want_output(st, sk); /* SYN-SENT output is the SYN (tcp_output) */
    return SYNACK_EINPROGRESS;
}

long tcp_user_syn_data(struct synack_stack *st, struct sock *sk, const void *buf, size_t len,
                       unsigned flags)
{
    struct tcb *t = &sk->tcb;
    uint32_t room = tcp_fastopen_syn_space(st, sk);
    uint32_t free = tcp_snd_room(sk);
    if (room > free) room = free;
    if (!buf && len && room) {
        /* The copy into the SYN faults: Linux's tcp_send_syn_data falls back to a SYN
         * without data that asks for a cookie again (cookie.len = 0: the empty option,
         * RFC 7413 §4.1.1), and its send, having copied nothing, returns EINPROGRESS when
         * non-blocking; the fault itself comes at the copy a send makes once connected. */
        t->fo_len = 0;
        t->syn_data_len = 0;
        t->tfo_defer = false;
        sock_want_output(st, sk);
        return SYNACK_EINPROGRESS;
    }
    /* A zero-copy send is copied here (not established) but gets its id (tcp_zc.c). */
    long took = tcp_snd_take(st, sk, buf, (uint32_t)(len < room ? len : room), flags);
    if (took < 0) return took;
    uint32_t n = (uint32_t)took;
    t->syn_data_len = n;
    t->tfo_defer = false;
    sock_want_output(st, sk); /* the SYN, with the data */
    return (long)n;
}

/* A ring bigger than its buffer asks for (SO_SNDBUF/SO_RCVBUF lowered on a live
 * connection, and more was held then) shrinks once what it holds allows. The receive
 * ring needs its buffer plus the slack of its window scale, and never less than what it
 * holds and was promised (tcp_rcv_ring_need: RFC 9293 §3.8.6, a window is not taken
 * back). */
static void rings_settle(struct sock *sk)
{
    struct tcb *t = &sk->tcb;
    uint32_t snd_cap = tcp_snd_ring_cap(sk);
    if (ring_live(&t->snd) && t->snd.cap > snd_cap && t->snd.len <= snd_cap)
        (void)ring_resize(&t->snd, snd_cap); /* no memory: stays as it was */
    /* The need is at least rcv_tuned plus 2^rcv_wscale (tcp_rcv_slack is never less), so a
     * ring no bigger than that has nothing to give back: that test first, as this runs on
     * every recv and send. */
    if (ring_live(&t->rcv) &&
        (uint64_t)t->rcv.cap > (uint64_t)t->rcv_tuned + (1u << t->rcv_wscale)) {
        uint32_t need = tcp_rcv_ring_need(sk);
        if (t->rcv.cap > need) (void)ring_resize(&t->rcv, need);
    }
}

int tcp_user_set_buf(struct synack_stack *st, struct sock *sk, bool snd, uint32_t bytes)
{
    struct tcb *t = &sk->tcb;
    uint32_t old = snd ? sk->sndbuf : t->rcv_tuned;
    bool old_set = sk->rcvbuf_set;
    uint32_t old_rcvbuf = sk->rcvbuf;
    if (snd) {
        sk->sndbuf = bytes;
    } else {
        /* The user's size is the size: no auto-tuning from now on (as Linux does). */
        sk->rcvbuf = bytes;
        sk->rcvbuf_set = true;
    }
    /* Before the rings exist (a fresh socket, a listener, whose children inherit the size)
     * the size is all there is; the window scale a SYN offers is chosen from it. */
    struct ring *r = snd ? &t->snd : &t->rcv;
    if (!ring_live(r)) return 0;
    if (!snd) t->rcv_tuned = bytes;
    /* A live connection: grow now (what is queued stays), shrink down to what is held;
     * the rest of a shrink waits for the ring to drain (rings_settle). The window scale
     * stays the one the SYN carried (RFC 7323 §2.2): a receive buffer beyond its reach is
     * advertised as 65535 << scale at most (tcp_out.c). Growing takes no memory: the
     * ring takes it as bytes are stored (base/ring.h). */
    uint32_t snd_cap = tcp_snd_ring_cap(sk);
    uint32_t cap = snd ? (snd_cap > t->snd.len ? snd_cap : t->snd.len) : tcp_rcv_ring_need(sk);
    if (cap != r->cap && ring_resize(r, cap) < 0) {
        if (snd) {
            sk->sndbuf = old;
        } else {
            t->rcv_tuned = old;
            sk->rcvbuf = old_rcvbuf;
            sk->rcvbuf_set = old_set;
        }
        return SYNACK_ENOMEM;
    }
    /* More room may make the socket writable, or open the window: a later ACK says so. */
    sock_notify(st, sk);
    return 0;
}

/* Bytes the application may still queue: the buffer's size less what it holds. */
uint32_t tcp_notsent(const struct tcb *t)
{
    uint32_t end = tcp_data_end(t);
    return ring_live(&t->snd) && seq_gt(end, t->snd_max) ? end - t->snd_max : 0;
}

uint32_t tcp_snd_room(const struct sock *sk)
{
    const struct tcb *t = &sk->tcb;
    if (!ring_live(&t->snd)) return 0;
    if (sk->sndbuf_linux) return tcp_sndbuf_linux_room(sk);
    if (t->notsent_lowat && tcp_notsent(t) >= t->notsent_lowat) return 0;
    uint32_t lim = sk->sndbuf < t->snd.cap ? sk->sndbuf : t->snd.cap;
    return lim > tcp_snd_queued(t) ? lim - tcp_snd_queued(t) : 0;
}

/* Forgets the record ends the peer has acknowledged. */
static void eor_prune(struct tcb *t)
{
    uint8_t k = 0;
    while (k < t->eor_n && seq_leq(t->eor[k], t->snd_una)) k++;
    if (k == 0) return;
    memmove(t->eor, t->eor + k, (size_t)(t->eor_n - k) * sizeof t->eor[0]);
    t->eor_n = (uint8_t)(t->eor_n - k);
}

bool tcp_eor_after(struct tcb *t, uint32_t seq, uint32_t *end)
{
    eor_prune(t);
    for (uint8_t i = 0; i < t->eor_n; i++) {
        if (seq_gt(t->eor[i], seq)) {
            *end = t->eor[i];
            return true;
        }
    }
    return false;
}

long tcp_user_send(struct synack_stack *st, struct sock *sk, uint64_t now, const void *buf,
                   size_t len, unsigned flags)
{
    struct synack_iov one = {.base = buf, .len = len};
    return tcp_user_sendv(st, sk, now, &one, 1, flags);
}

long tcp_user_sendv(struct synack_stack *st, struct sock *sk, uint64_t now,
                    const struct synack_iov *iov, int iovcnt, unsigned flags)
{
    struct tcb *t = &sk->tcb;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len = iov[i].len > SIZE_MAX - len ? SIZE_MAX : len + iov[i].len;
    if (sk->error) return sk->error;
    if (t->fin_queued || sk->shut_wr) return SYNACK_EPIPE;
    switch (t->state) {
    case SYNACK_SYN_SENT:
    case SYNACK_SYN_RECEIVED:
        /* RFC 9293 §3.10.2: data may be queued before the connection is established. */
    case SYNACK_ESTABLISHED:
    case SYNACK_CLOSE_WAIT:
        break;
    case SYNACK_CLOSED:
    case SYNACK_LISTEN:
        return SYNACK_ENOTCONN;
    default:
        return SYNACK_EPIPE;
    }
    if (len > UINT32_MAX) len = UINT32_MAX;
    rings_settle(sk);
    bool eor = (flags & SYNACK_SEND_EOR) != 0;
    if (eor) {
        eor_prune(t);
        if (t->eor_n == SYNACK_EOR_MAX) return SYNACK_EAGAIN;
    }
    /* Linux's accounting also says where this write's last buffer starts, which the next
     * write fills (tcp_sndbuf.c). */
    uint32_t tail = t->snd_tail;
    uint32_t room =
        sk->sndbuf_linux ? tcp_sndbuf_linux_take(sk, (uint32_t)len, &tail) : tcp_snd_room(sk);
    /* A NULL base among the bytes about to be taken: the bytes before it are taken (a
     * short write), and SYNACK_EFAULT only when there are none. Only here, after the state
     * and the room, as Linux's tcp_sendmsg_locked faults at the copy and then returns what
     * it copied if anything ("do_error: if (copied) goto out"); a send that could take
     * nothing says what it would with a valid buffer. */
    uint32_t want = (uint32_t)(len < room ? len : room);
    bool fault = false;
    for (size_t i = 0, at = 0; i < (size_t)iovcnt && at < want; at += iov[i++].len) {
        if (iov[i].base || !iov[i].len) continue;
        if (at == 0) return SYNACK_EFAULT;
        want = (uint32_t)at;
        fault = true;
        break;
    }
    /* Into the ring, or by reference for a zero-copy send (tcp_zc.c). */
    long took = tcp_snd_takev(st, sk, iov, iovcnt, want, flags);
    if (took < 0) return took;
    uint32_t n = (uint32_t)took;
    /* Short of what was planned (a fault above, the memory limit, the zero-copy records):
     * Linux's buffers are filled up to where the copy stopped, and the next write fills
     * the last one; where it starts is the accounting's for the bytes taken, not for the
     * whole write, whose last buffer may lie beyond them (tcp_sndbuf.c). */
    if (sk->sndbuf_linux && n > 0 && n < (len < room ? len : room))
        tail = tcp_sndbuf_linux_tail(sk, n);
    sk->snd_mem_wait = false;
    if (n < want && !tcp_snd_mem_ok(st, sk)) tcp_mem_wait(st, sk); /* tcp_mem.c */
    /* tcp_info's busy and sndbuf-limited times; a write cut short by its own bad element
     * was not limited by the buffer. */
    if (len > 0) tcp_info_on_queue(t, now, n, n < len && !(fault && n == want));
    if (n == 0) return len == 0 ? 0 : SYNACK_EAGAIN;
    t->snd_tail = tail;
    /* MSG_MORE holds what this call queued; a send without it lets everything go (Linux:
     * tcp_push with TCP_NAGLE_CORK for this push only). */
    t->more = (flags & SYNACK_SEND_MORE) != 0;
    t->more_una = t->snd_una;
    if (eor && n == len) {
        uint32_t end = tcp_data_end(t);
        if (t->eor_n == 0 || t->eor[t->eor_n - 1] != end) t->eor[t->eor_n++] = end;
    }
    sock_want_output(st, sk);
    return (long)n;
}

long tcp_user_recv(struct synack_stack *st, struct sock *sk, uint64_t now, void *buf, size_t len)
{
    struct tcb *t = &sk->tcb;
    if (t->rcv.len > 0) {
        uint32_t adv = tcp_rcv_wnd_offered(t);
        uint32_t want = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len, n;
        if (buf) {
            n = ring_read(&t->rcv, buf, want);
        } else { /* synack_recv_discard: the bytes go without a copy */
            n = want < t->rcv.len ? want : t->rcv.len;
            ring_consume(&t->rcv, n);
        }
        tcp_urg_read(t);
        rings_settle(sk);
        tcp_rcv_autotune(st, sk, now);
        if (!t->t_idle) {
            tcp_rings_idle_arm(t, now);
            if (t->t_idle) timer_update(st, sk);
        }
        /* Window update (RFC 9293 §3.8.6.2.2 with §3.8.6.3): when the window the peer was
         * last told has run low (under two segments, or an eighth of the largest buffer the
         * connection may have, so that a buffer still growing by auto-tuning counts as low)
         * and reading opens it by at least min(half the ring, two segments), say so at once
         * rather than wait for the peer's probe, if it at least doubles (Linux's
         * tcp_cleanup_rbuf: "lots" means "at least twice"; a smaller gain is news the next
         * ACK carries, and an update that is not needed costs the peer a segment). */
        uint32_t after = tcp_rcv_window(t);
        uint32_t step = t->rcv.cap / 2 < 2u * t->rcv_mss ? t->rcv.cap / 2 : 2u * t->rcv_mss;
        bool synced = t->state == SYNACK_ESTABLISHED || t->state == SYNACK_FIN_WAIT_1 ||
                      t->state == SYNACK_FIN_WAIT_2;
        bool low = adv < 2u * t->rcv_mss || adv < sk->rcvbuf / 8;
        if (synced && !t->fin_rcvd && low && after > adv && after - adv >= step &&
            after / 2 >= adv) {
            t->ack_now = true;
            sock_want_output(st, sk);
        }
        /* No sock_notify: what reading changed (less or nothing readable) is the caller's
         * own doing, recorded as seen by synack_recv's sock_seen (entry/socket.c) right
         * after; a report queued here was popped and found unchanged every time. */
        return (long)n;
    }
    if (sk->error) return sk->error;
    if (t->fin_rcvd || sk->shut_rd) return 0;
    switch (t->state) {
    case SYNACK_CLOSED:
        return sk->connected_reported ? 0 : SYNACK_ENOTCONN;
    case SYNACK_LISTEN:
        return SYNACK_ENOTCONN;
    default:
        return SYNACK_EAGAIN;
    }
}

int tcp_user_shutdown_wr(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* RFC 9293 §3.10.4 CLOSE: the FIN is queued behind the data already sent. */
    switch (t->state) {
    case SYNACK_SYN_SENT:
        tcp_done(st, sk, now, 0);
        return 0;
    case SYNACK_SYN_RECEIVED:
        t->fin_queued = true; /* FIN-WAIT-1 once ESTABLISHED */
        return 0;
    case SYNACK_ESTABLISHED:
        t->fin_queued = true;
        tcp_set_state(st, sk, now, SYNACK_FIN_WAIT_1);
        break;
    case SYNACK_CLOSE_WAIT:
        t->fin_queued = true;
        tcp_set_state(st, sk, now, SYNACK_LAST_ACK);
        break;
    default:
        return 0; /* already closing: "error: connection closing" is not an error here */
    }
    sock_want_output(st, sk);
    return 0;
}

void tcp_user_abort(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* RFC 9293 §3.10.5: in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2 and CLOSE-WAIT the
     * peer is told with a reset; elsewhere the TCB just goes. */
    switch (t->state) {
    case SYNACK_SYN_RECEIVED:
    case SYNACK_ESTABLISHED:
    case SYNACK_FIN_WAIT_1:
    case SYNACK_FIN_WAIT_2:
    case SYNACK_CLOSE_WAIT:
        /* At once: a reset carries no timestamp and starts no RTT measurement. */
        tcp_send_rst(st, sk, now);
        break;
    default:
        break;
    }
    tcp_done(st, sk, now, 0);
}

int tcp_user_close(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    int r = 0;
    if (t->state == SYNACK_LISTEN) {
        /* Children not yet accepted, and its half-open requests, are aborted with the
         * listener. */
        sk->user_open = false;
        for (uint32_t i = 0; i < st->nsocks; i++) {
            struct sock *c = &st->socks[i];
            if (c->in_use && c->parent == sk->idx) tcp_user_abort(st, c, now);
        }
        tcp_req_abort_all(st, sk, now);
        tcp_done(st, sk, now, 0);
        return 0;
    }
    /* Closing with unread data loses it: tell the peer with a reset (RFC 2525 §2.17,
     * as Linux does), and an SO_LINGER of 0 asks for exactly that. */
    if ((t->rcv.len > 0 && t->state != SYNACK_TIME_WAIT) || sk->linger == 0)
        tcp_user_abort(st, sk, now);
    else if (t->state != SYNACK_CLOSED)
        r = tcp_user_shutdown_wr(st, sk, now);
    /* From here on the connection is an orphan: nobody reads what arrives. */
    sk->user_open = false;
    if (!sk->in_use) return r;
    if (t->state == SYNACK_TIME_WAIT || t->state == SYNACK_CLOSED) ring_free(&t->rcv);
    tcp_orphan_fin_wait_2(st, sk, now);
    timer_update(st, sk);
    sock_maybe_free(st, sk);
    /* Closed in TIME-WAIT: the entry becomes a compact record (tcp/tcp_tw.c). */
    if (sk->in_use) (void)tcp_tw_compact(st, sk, now);
    return r;
}
