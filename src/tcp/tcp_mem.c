/*
 * tcp/tcp_mem.c - the stack-wide bound on the memory the connections' rings hold
 * (cfg.mem_max, as Linux's tcp_mem): its default, pressure, and the reclaim of out-of-order
 * data when in-order data finds no memory.
 *
 * The account itself is kept where memory is taken and given back (base/ring.c, struct
 * ring_cache): the limit holds for every buffer, send or receive, whoever asks. This file
 * decides what gives way at the limit. Out-of-order data parked in a receive ring is the
 * one kind the stack may throw away: it was never acknowledged cumulatively, and RFC 2018
 * §8 lets a receiver discard data it has SACKed (reneging); the sender keeps everything
 * until SND.UNA passes it and sends it again after its timeout (RFC 6675 §5.1). In-order
 * data was acknowledged and cannot be dropped; unsent data is the application's and is
 * refused at the send (SYNACK_EAGAIN) rather than lost. So when in-order data needs memory
 * the limit forbids, the connections holding out-of-order data give it up, the oldest
 * holder first and, within one, the highest bytes first (the data furthest from filling its
 * hole is worth the least, as Linux's tcp_prune_ofo_queue takes from the tail), half a ring
 * at a time, until the data fits. They are found on a list of their own, so that the cost
 * of a reclaim is what it frees, whatever the number of sockets. Out-of-order data that
 * finds no memory is dropped as lost and reclaims nothing: a peer sending beyond holes
 * cannot make the stack throw away other connections' data.
 */
#include "tcp/stack.h"

#include "base/seq.h"

uint64_t tcp_mem_max_for(const struct synack_config *cfg)
{
    if (cfg->mem_max) return cfg->mem_max;
    /* What every socket's rings could hold with the configured sizes: the send ring with
     * Linux's accounting slack (tcp_sndbuf.c, 128 KiB) and the receive ring with the
     * window scale's rounding (at most 2^14): the per-connection limits already bounded
     * this much, so the default changes nothing a config did not already allow. */
    return (uint64_t)cfg->max_sockets *
           ((uint64_t)cfg->sndbuf + cfg->rcvbuf + 2ull * 65536u + (1ull << 14));
}

bool tcp_mem_pressure(const struct synack_stack *st)
{
    return st->ring_cache.pressure;
}

/* Gives up v's out-of-order data above half its ring (all of it when the in-order bytes
 * fill that half), and the memory that frees. Returns the bytes of memory given back;
 * when that is 0, v holds no out-of-order data any more. */
static uint32_t prune_one(struct synack_stack *st, struct sock *v)
{
    struct tcb *t = &v->tcb;
    uint32_t half = t->rcv.size / 2;
    uint32_t limit = half > t->rcv.len ? t->rcv_nxt + (half - t->rcv.len) : t->rcv_nxt;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t before = reass_bytes(&t->reass);
        reass_trim_above(&t->reass, limit);
        uint32_t pruned = before - reass_bytes(&t->reass);
        /* A FIN beyond what is given up would end the stream before its bytes: it is
         * forgotten with them, and comes again with their retransmission. */
        if (t->ooo_fin && seq_gt(t->ooo_fin_seq, limit)) t->ooo_fin = false;
        uint32_t ext = t->rcv.len;
        if (t->reass.n > 0) ext += t->reass.right[t->reass.n - 1] - t->rcv_nxt;
        uint32_t freed = ring_trim(&t->rcv, ext);
        if (pruned) {
            t->ooo_pruned += pruned;
            st->stats.mem_prunes++;
            st->stats.mem_pruned_bytes += pruned;
        }
        if (freed || t->reass.n == 0) return freed;
        /* The ring could not shrink for what stayed: give up all of it. */
        limit = t->rcv_nxt;
    }
    return 0;
}

/* v holds out-of-order data the reclaim could take. */
static bool holds_ooo(const struct sock *v)
{
    return v->in_use && v->tcb.reass.n > 0 && v->tcb.rcv.buf;
}

void tcp_mem_ooo_note(struct synack_stack *st, struct sock *sk)
{
    if (sk->tw_scratch) return; /* loaded from a TIME-WAIT record: never holds any */
    if (holds_ooo(sk))
        fifo_push(&st->mem_ooo, &sk->mem_ooo); /* nothing when it is there already */
    else
        fifo_unlink(&st->mem_ooo, &sk->mem_ooo);
}

void tcp_mem_forget(struct synack_stack *st, struct sock *sk)
{
    fifo_unlink(&st->mem_ooo, &sk->mem_ooo);
    fifo_unlink(&st->mem_wait, &sk->mem_wait);
}

/* The oldest holder of out-of-order data other than self. Entries that hold none any more
 * (their reassembly emptied by a path that did not say so, their ring freed at the
 * connection's end) are forgotten on the way, each once. */
static struct sock *victim(struct synack_stack *st, const struct sock *self)
{
    struct fifo_node *x = st->mem_ooo.head;
    while (x) {
        struct fifo_node *next = x->next;
        struct sock *sk = container_of(x, struct sock, mem_ooo);
        st->mem_reclaim_visits++;
        if (!holds_ooo(sk))
            fifo_unlink(&st->mem_ooo, x);
        else if (sk != self)
            return sk;
        x = next;
    }
    return NULL;
}

bool tcp_mem_reclaim(struct synack_stack *st, const struct sock *self, uint32_t want)
{
    struct ring_cache *c = &st->ring_cache;
    if (!c->max) return false; /* no limit: the allocator itself failed */
    if (c->held + want <= c->max) return true;
    st->mem_reclaims++;
    /* A growing ring's old buffer is held while it copies (base/ring.c): it needs its own
     * size and the new one within the limit, whatever others give up. When even that does
     * not fit, giving up others' data would only destroy it: a peer whose connection holds
     * a third of the limit would otherwise wipe every other connection's out-of-order data
     * with each in-order segment it sends. */
    if (self && (uint64_t)self->tcb.rcv.size + want > c->max) return false;
    /* The victims come from the list of the sockets holding out-of-order data, never from
     * a walk of the slots: a peer that keeps the stack at its limit makes every in-order
     * segment reclaim, and with 100,000 slots a walk each would be its weapon. The oldest
     * holder goes first: a hole that real loss opened is filled within a round trip and
     * its socket leaves the list, so the data that has waited longest for its hole is the
     * likeliest to be a peer's hoard, and the least likely to be needed soon. A victim
     * that still holds some after its prune keeps its place, so that the next prune takes
     * from it again (half of what is left) before anyone else's: a hoarder sent to the end
     * would keep half its hoard while others paid. Each round frees memory or empties a
     * reassembly, so it ends. */
    while (c->held + want > c->max) {
        struct sock *v = victim(st, self);
        if (!v) return false;
        (void)prune_one(st, v);
        if (!holds_ooo(v)) fifo_unlink(&st->mem_ooo, &v->mem_ooo);
    }
    return true;
}

/* ---- writers waiting for memory -------------------------------------------------------
 * A send refused for memory returns SYNACK_EAGAIN while the socket's own buffer still has
 * room, so WRITABLE, a level computed from that room, would stay on and an application
 * that waits for its next WRITABLE event would wait forever. As Linux's write-space
 * callback (sk_stream_write_space) wakes a writer when memory comes back, a socket refused
 * memory is not writable until it can take a byte, and is reported when it can: by its own
 * input (ACKed bytes leave room in its ring) or, when other connections give memory back,
 * by tcp_mem_wake, which looks at the waiting sockets only when the memory held has
 * fallen since it last looked. */

bool tcp_snd_mem_ok(const struct synack_stack *st, const struct sock *sk)
{
    const struct ring *r = &sk->tcb.snd;
    const struct ring_cache *c = &st->ring_cache;
    if (!c->max || r->len < r->size) return true;
    return c->held + ring_grow_size(r, r->len + 1) <= c->max;
}

void tcp_mem_wait(struct synack_stack *st, struct sock *sk)
{
    sk->snd_mem_wait = true;
    st->mem_waiters = true;
    fifo_push(&st->mem_wait, &sk->mem_wait);
    if (st->ring_cache.held > st->mem_wait_held) st->mem_wait_held = st->ring_cache.held;
    sock_notify(st, sk); /* WRITABLE goes off: reported, so that its return is news */
}

void tcp_mem_wake(struct synack_stack *st)
{
    if (!st->mem_waiters || st->ring_cache.held >= st->mem_wait_held) return;
    /* The waiting sockets are on their own list: a wake-up looks at them, not at every
     * slot. One whose wait ended otherwise (its next send took bytes) leaves it here. */
    struct fifo_node *x = st->mem_wait.head;
    while (x) {
        struct fifo_node *next = x->next;
        struct sock *sk = container_of(x, struct sock, mem_wait);
        st->mem_wake_visits++;
        if (!sk->in_use || !sk->snd_mem_wait) {
            fifo_unlink(&st->mem_wait, x);
        } else if (tcp_snd_mem_ok(st, sk)) {
            sk->snd_mem_wait = false;
            fifo_unlink(&st->mem_wait, x);
            sock_notify(st, sk);
        }
        x = next;
    }
    st->mem_waiters = st->mem_wait.n > 0;
    st->mem_wait_held = st->ring_cache.held;
}
