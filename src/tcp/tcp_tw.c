/*
 * tcp/tcp_tw.c - compact TIME-WAIT entries: when a connection the user has closed enters
 * TIME-WAIT, its socket (about 1.5 KB) and rings go back and a record of 104 bytes
 * (struct tw_rec, stack.h) takes its place in the 4-tuple hash for the 2*MSL wait, as
 * Linux's inet_timewait_sock does. A socket the user still holds stays a socket.
 *
 * What TIME-WAIT must still do (RFC 9293 §3.10.7.4 and the notes on TIME-WAIT): answer a
 * retransmitted FIN with an ACK and restart the 2*MSL wait; ignore a reset (RFC 1337);
 * answer other segments as the state does (an ACK, or nothing), with the same rate limits
 * and PAWS (RFC 7323 §5); let a new SYN reopen the pair when RFC 6191's rules allow it.
 * All but the reopening are done by the machine's own code: a segment for a record loads
 * it into the stack's one scratch socket (never a slot: the descriptor it names is the
 * closed one, for the trace), runs tcp_input() on it and stores back what changed (the
 * timestamp state, the rate limit, a restarted wait). So a record answers exactly as the
 * socket it was would have, and no rule of TIME-WAIT is written twice. Segments to
 * TIME-WAIT are rare; what is common, entering and leaving it, touches only the record.
 *
 * The records are kept in order of expiry, so they need no timer-heap entry: synack_poll
 * expires them from the head, and the head is the one a full table gives up. Every wait is
 * 2*MSL from its start or restart, so a record made as its connection enters TIME-WAIT, or
 * restarted, goes at the end; only a socket the user held in TIME-WAIT and closes later
 * brings an earlier end, and is put in its place walking back from the end (user-driven,
 * and records made since it entered TIME-WAIT are all it can pass).
 *
 * The record keeps its expiry exact, in the stack's microseconds, and the two other times
 * it needs (when TS.Recent was set, when the last ACK to an unacceptable segment went) as
 * 32-bit distances before that expiry, each in the finest unit that holds it
 * (tw_time_put): exact within 35 minutes of it, which with the default 2*MSL of 60 s is
 * every time a record ever keeps.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp/stack.h"
#include "tcp/tcp_in.h"

int tcp_tw_init(struct synack_stack *st)
{
    st->ntwr = st->cfg.max_time_wait;
    st->twr = calloc(st->ntwr ? st->ntwr : 1, sizeof *st->twr);
    st->tw_scratch = calloc(1, sizeof *st->tw_scratch);
    if (!st->twr || !st->tw_scratch) return SYNACK_ENOMEM;
    st->twr_head = st->twr_tail = TW_NONE;
    st->twr_n = 0;
    st->twr_free = CT_NIL;
    /* The free list is linked through the records' ct.next, by pool index as the hash
     * links them (CT_NIL at its end). */
    for (uint32_t i = st->ntwr; i-- > 0;) {
        st->twr[i].ct.owner = OWNER_TW;
        st->twr[i].ct.next = st->twr_free;
        st->twr_free = i;
    }
    return 0;
}

void tcp_tw_free(struct synack_stack *st)
{
    free(st->twr);
    free(st->tw_scratch);
    st->twr = NULL;
    st->tw_scratch = NULL;
}

static uint32_t tw_index(const struct synack_stack *st, const struct tw_rec *tw)
{
    return (uint32_t)(tw - st->twr);
}

static void list_unlink(struct synack_stack *st, struct tw_rec *tw)
{
    if (tw->prev != TW_NONE)
        st->twr[tw->prev].next = tw->next;
    else
        st->twr_head = tw->next;
    if (tw->next != TW_NONE)
        st->twr[tw->next].prev = tw->prev;
    else
        st->twr_tail = tw->prev;
    tw->prev = tw->next = TW_NONE;
}

/* The times a record keeps besides its expiry, as signed distances before it: a
 * non-negative age is that long before, a negative one after (a segment that came after
 * the expiry, before synack_poll ended the record). The unit is the finest of these that
 * holds the distance in 31 bits: microseconds (exact, within 35 minutes), milliseconds
 * (within 24.8 days), seconds (within 68 years, beyond which it is held at 68 years
 * before). Rounded so that the time read back is never later than the one kept: an ACK's
 * rate limit (cfg.oow_ack_interval_us) can then end up to one unit early, never late, and
 * never holds back an answer the socket would have sent; TS.Recent can turn invalid (RFC
 * 7323 §5.5: older than 24 days) up to one unit early, and a TS.Recent that old is in
 * milliseconds or seconds: at worst a second early in 24 days. */
static const uint64_t tw_unit_us[3] = {1, 1000, 1000000};

static int32_t tw_time_put_far(uint64_t expires, uint64_t t, unsigned *unit)
{
    for (unsigned u = 0; u < 3; u++) {
        uint64_t m = tw_unit_us[u];
        if (t <= expires) {
            uint64_t d = expires - t, q = d / m + (d % m != 0); /* rounded up: earlier */
            if (q <= INT32_MAX) {
                *unit = u;
                return (int32_t)q;
            }
        } else {
            uint64_t q = (t - expires) / m; /* rounded down: earlier */
            if (q <= (uint64_t)INT32_MAX + 1) {
                *unit = u;
                return (int32_t)(-(int64_t)q);
            }
        }
    }
    *unit = 2;
    return t <= expires ? INT32_MAX : INT32_MIN;
}

/* The common case inline (a time within 35 minutes before the expiry): no division. */
static inline int32_t tw_time_put(uint64_t expires, uint64_t t, unsigned *unit)
{
    if (t <= expires && expires - t <= INT32_MAX) {
        *unit = 0;
        return (int32_t)(expires - t);
    }
    return tw_time_put_far(expires, t, unit);
}

static uint64_t tw_time_get(uint64_t expires, int32_t age, unsigned unit)
{
    uint64_t m = tw_unit_us[unit < 3 ? unit : 2];
    if (age >= 0) {
        uint64_t d = (uint64_t)age * m;
        return d > expires ? 0 : expires - d;
    }
    uint64_t d = (uint64_t)(-(int64_t)age) * m;
    return d > UINT64_MAX - expires ? UINT64_MAX : expires + d;
}

/* Keeps the connection's two times in tw (its expiry set first: they are kept from it). */
static inline void tw_put_times(const struct synack_stack *st, struct tw_rec *tw, uint64_t now,
                                uint64_t ts_recent_time, uint64_t last_oow_ack_time)
{
    unsigned u;
    tw->ts_recent_age = tw_time_put(tw->expires, ts_recent_time, &u);
    tw->tunits = (uint8_t)(u << TW_TSR_SHIFT);
    /* An ACK that can limit no later one, the interval having passed since (the clock only
     * moves on), is as none: tcp_oow_rate_limited answers alike for both, now and later. */
    if (!last_oow_ack_time || now - last_oow_ack_time >= st->cfg.oow_ack_interval_us) {
        tw->oow_ack_age = 0;
        tw->tunits |= TW_OOW_NONE;
    } else {
        tw->oow_ack_age = tw_time_put(tw->expires, last_oow_ack_time, &u);
        tw->tunits |= (uint8_t)(u << TW_OOW_SHIFT);
    }
}

static uint64_t tw_ts_recent_time(const struct tw_rec *tw)
{
    return tw_time_get(tw->expires, tw->ts_recent_age, (tw->tunits >> TW_TSR_SHIFT) & 3u);
}

static uint64_t tw_last_oow_ack_time(const struct tw_rec *tw)
{
    if (tw->tunits & TW_OOW_NONE) return 0;
    uint64_t t = tw_time_get(tw->expires, tw->oow_ack_age, (tw->tunits >> TW_OOW_SHIFT) & 3u);
    return t ? t : 1; /* 0 is "none" (tcp_oow_rate_limited), 1 the earliest time */
}

/* Puts tw in the list by its expiry: after the last record that ends no later. */
static void list_insert(struct synack_stack *st, struct tw_rec *tw)
{
    uint32_t i = tw_index(st, tw);
    uint32_t after = st->twr_tail;
    while (after != TW_NONE && st->twr[after].expires > tw->expires) after = st->twr[after].prev;
    tw->prev = after;
    tw->next = after == TW_NONE ? st->twr_head : st->twr[after].next;
    if (after != TW_NONE)
        st->twr[after].next = i;
    else
        st->twr_head = i;
    if (tw->next != TW_NONE)
        st->twr[tw->next].prev = i;
    else
        st->twr_tail = i;
}

struct tw_rec *tcp_tw_oldest(struct synack_stack *st)
{
    return st->twr_head == TW_NONE ? NULL : &st->twr[st->twr_head];
}

uint64_t tcp_tw_next_deadline(const struct synack_stack *st)
{
    return st->twr_head == TW_NONE ? UINT64_MAX : st->twr[st->twr_head].expires;
}

bool tcp_tw_port_in_use(const struct synack_stack *st, const struct synack_addr *laddr,
                        uint16_t lport)
{
    /* Linear, as port_in_use: bind() is not on the packet path. */
    for (uint32_t i = st->twr_head; i != TW_NONE; i = st->twr[i].next) {
        const struct tw_rec *tw = &st->twr[i];
        if (tw->ct.key.lport != lport) continue;
        struct synack_addr a = synack_addr_v6(tw->ct.key.laddr);
        if (addr_overlaps(&a, laddr)) return true;
    }
    return false;
}

bool tcp_tw_compact(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* Only an orphan (nobody will read or close it again), not a listener's child still
     * in its queues, with nothing left to send: the ACK of the FIN went out (it stays a
     * socket, and a full TIME-WAIT, if the output queue had no room for it). */
    if (t->state != SYNACK_TIME_WAIT || sk->user_open || sk->parent >= 0 || sk->tw_scratch ||
        t->ack_now || sk->outw.linked || t->rcv.len > 0 || st->twr_free == CT_NIL)
        return false;
    struct tw_rec *tw = &st->twr[st->twr_free];
    st->twr_free = tw->ct.next;
    unsigned owner = tw->ct.owner;
    memset(tw, 0, sizeof *tw);
    tw->ct.owner = owner & 3u;
    tw->ct.next = CT_NIL;
    tw->expires = t->t_tw;
    tw_put_times(st, tw, now, t->ts_recent_time, t->last_oow_ack_time);
    tw->snd_nxt = t->snd_nxt;
    tw->rcv_nxt = t->rcv_nxt;
    tw->rcv_adv = t->rcv_adv;
    tw->ts_recent = t->ts_recent;
    tw->ts_offset = t->ts_offset;
    tw->rcv_cap = t->rcv.cap;
    tw->sd = sk->idx;
    tw->rcv_mss = t->rcv_mss;
    tw->tos = sock_ds(sk, t->laddr.family); /* the record is of one IP version */
    tw->snd_wscale = t->snd_wscale;
    tw->rcv_wscale = t->rcv_wscale;
    tw->flags = (uint8_t)(TW_IN_USE | (t->ts_ok ? TW_TS_OK : 0) | (t->sack_ok ? TW_SACK_OK : 0) |
                          (t->wscale_ok ? TW_WSCALE_OK : 0) | (t->ecn_ok ? TW_ECN_OK : 0));
    /* The record takes the socket's place in the hash (the same key), then the socket
     * goes: out of every table, its slot free, its rings freed. No state change: the
     * connection is still in TIME-WAIT. */
    conntab_replace(&st->ct, &sk->ct, &tw->ct); /* same key and bucket: no hashing */
    sock_release(st, sk);
    list_insert(st, tw);
    st->twr_n++;
    return true;
}

/* The record as a TIME-WAIT socket: what tcp_input() and the timers read of a connection in
 * this state, everything else as a fresh socket has it. */
static struct sock *load(struct synack_stack *st, const struct tw_rec *tw)
{
    struct sock *sk = st->tw_scratch;
    memset(sk, 0, sizeof *sk);
    sk->tw_scratch = true;
    sk->idx = tw->sd;
    sk->in_use = true;
    sk->bound = true;
    sk->parent = -1;
    sk->linger = -1;
    sk->ecn_opt = -1;
    /* its ACKs keep the socket's DS field, as Linux's tw_tos (tw_tclass over IPv6) */
    sk->tos = sk->tclass = tw->tos;
    fifo_init(&sk->acceptq);
    fifo_init(&sk->reqs);
    timer_node_init(&sk->timer);
    sk->sndbuf = st->cfg.sndbuf;
    sk->sndbuf_linux = st->cfg.sndbuf_linux;
    sk->rcvbuf = tw->rcv_cap;
    struct tcb *t = &sk->tcb;
    t->laddr = synack_addr_v6(tw->ct.key.laddr);
    t->raddr = synack_addr_v6(tw->ct.key.raddr);
    t->lport = tw->ct.key.lport;
    t->rport = tw->ct.key.rport;
    tcb_defaults(st, sk);
    t->state = SYNACK_TIME_WAIT;
    t->iss = t->snd_una = t->snd_nxt = t->snd_max = tw->snd_nxt;
    t->snd_buf_seq = tw->snd_nxt;
    t->rcv_nxt = tw->rcv_nxt;
    t->rcv_adv = tw->rcv_adv;
    t->fin_rcvd = true;
    t->ts_recent = tw->ts_recent;
    t->ts_offset = tw->ts_offset;
    t->ts_recent_time = tw_ts_recent_time(tw);
    t->last_oow_ack_time = tw_last_oow_ack_time(tw);
    t->rcv_mss = tw->rcv_mss;
    t->snd_wscale = tw->snd_wscale;
    t->rcv_wscale = tw->rcv_wscale;
    t->ts_ok = tw->flags & TW_TS_OK;
    t->sack_ok = tw->flags & TW_SACK_OK;
    t->wscale_ok = tw->flags & TW_WSCALE_OK;
    t->ecn_ok = tw->flags & TW_ECN_OK;
    t->t_tw = tw->expires;
    (void)ring_init(&t->rcv, tw->rcv_cap); /* its size only: no memory */
    sk->connected_reported = true;
    return sk;
}

/* The scratch socket out of every table it may have been put in. */
static void unload(struct synack_stack *st, struct sock *sk)
{
    timer_heap_remove(&st->timers, &sk->timer);
    fifo_unlink(&st->evq, &sk->evq);
    fifo_unlink(&st->want_out, &sk->outw);
    fifo_unlink(&st->tw, &sk->tw);
    conntab_remove(&st->ct, &sk->ct);
    ring_free(&sk->tcb.snd);
    ring_free(&sk->tcb.rcv);
    tcp_rack_free(&sk->tcb);
}

static void release(struct synack_stack *st, struct tw_rec *tw)
{
    conntab_remove(&st->ct, &tw->ct);
    list_unlink(st, tw);
    tw->flags = 0;
    tw->ct.next = st->twr_free;
    st->twr_free = tw_index(st, tw);
    st->twr_n--;
}

void tcp_tw_done(struct synack_stack *st, struct tw_rec *tw, uint64_t now, bool timer)
{
    if (stack_tracing(st)) {
        /* The trace a TIME-WAIT socket leaves when it ends: its timer if the wait ran out,
         * the change to CLOSED. */
        struct sock *sk = load(st, tw);
        if (timer) {
            struct synack_trace_event ev = sock_trace_event(sk, SYNACK_TRACE_TIMER, now);
            ev.timer = SYNACK_TIMER_TIME_WAIT;
            stack_trace(st, &ev);
        }
        sk->tcb.t_tw = 0;
        tcp_set_state(st, sk, now, SYNACK_CLOSED);
        unload(st, sk);
    }
    release(st, tw);
}

void tcp_tw_expire(struct synack_stack *st, uint64_t now)
{
    struct tw_rec *tw;
    for (uint32_t guard = st->ntwr + 1; guard > 0 && (tw = tcp_tw_oldest(st)) != NULL; guard--) {
        if (tw->expires > now) break;
        tcp_tw_done(st, tw, now, true);
    }
}

bool tcp_tw_accepts_syn(struct synack_stack *st, struct tw_rec *tw, uint64_t now,
                        const struct tcp_seg *seg, uint32_t *isn)
{
    /* The rule of tcp_time_wait_accepts_syn (tcp_open.c), RFC 9293 §3.10.7.4's note and
     * RFC 6191: a sequence number above the old RCV.NXT, or with timestamps on both
     * sides a timestamp newer than the last seen; the new ISN beyond the old SND.NXT. */
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    bool ok = seq_gt(seg->seq, tw->rcv_nxt);
    if ((tw->flags & TW_TS_OK) && o->has_ts) ok = (int32_t)(o->ts_val - tw->ts_recent) > 0;
    if (!ok) return false;
    *isn = tw->snd_nxt + 65535 + 2;
    tcp_tw_done(st, tw, now, false);
    return true;
}

void tcp_tw_input(struct synack_stack *st, struct tw_rec *tw, uint64_t now,
                  const struct tcp_seg *seg)
{
    struct sock *sk = load(st, tw);
    tcp_input(st, sk, now, seg);
    struct tcb *t = &sk->tcb;
    if (t->state != SYNACK_TIME_WAIT) {
        /* Not a path TIME-WAIT takes today; should one end it, the record ends too. */
        unload(st, sk);
        release(st, tw);
        return;
    }
    tw->ts_recent = t->ts_recent;
    tw->rcv_adv = t->rcv_adv;
    if (t->t_tw != tw->expires) {
        /* The 2*MSL wait restarted (a retransmitted FIN): the record moves to its new place
         * (the end, as a restart ends last). */
        tw->expires = t->t_tw;
        list_unlink(st, tw);
        list_insert(st, tw);
    }
    /* After the expiry, which they are kept from. */
    tw_put_times(st, tw, now, t->ts_recent_time, t->last_oow_ack_time);
    unload(st, sk);
}
