/*
 * tcp/tcp_zc.c - the send queue beyond the ring: zero-copy sends, transmit timestamps and
 * the notice queue that reports them (Linux's MSG_ZEROCOPY, SO_TIMESTAMPING and error
 * queue, as described in Linux's Documentation/networking/msg_zerocopy.rst and
 * timestamping.rst; TCP itself is unchanged by either).
 *
 * The data a connection has queued runs from snd_buf_seq. Most of it is in the send ring;
 * a zero-copy send's bytes stay in the caller's buffer, and the records here say where in
 * the sequence they lie. Reading the queue (tcp_snd_peek, for every segment built, first
 * transmission or retransmission) walks the records: a byte inside a record comes from its
 * buffer, any other from the ring, at its offset less the zero-copy bytes before it. So
 * ring data and zero-copy data interleave in the order they were sent, and offsets are
 * differences of sequence numbers, right across the wrap. A buffer is held until the
 * cumulative ACK passes its last byte: a SACKed byte may still be reneged (RFC 2018 §8),
 * so SACK frees nothing. Then its send is reported done with Linux's semantics: a 32-bit
 * id per send, consecutive ids coalesced into one notice [lo, hi].
 *
 * Bounds: zero-copy bytes count against the send buffer like copied ones; at most
 * SYNACK_ZEROCOPY_MAX sends may be outstanding or reported and not yet read (Linux
 * charges both to optmem); timestamp requests and notices are bounded too. The state is
 * allocated on the first zero-copy send or timestamp request and freed with the slot.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp/stack.h"
#include "tcp/tcp_zc.h"

static struct tcp_zc *zc_get(const struct synack_stack *st, struct sock *sk)
{
    if (!sk->zc) {
        sk->zc = calloc(1, sizeof *sk->zc);
        if (sk->zc) sk->zc->max_frags = st->cfg.zc_max_frags;
    }
    return sk->zc;
}

/* Room for one more record: the array doubles up to TCP_ZC_REC_MAX. */
static bool rec_room(struct tcp_zc *z)
{
    if (z->rec_n < z->rec_cap) return true;
    if (z->rec_cap >= TCP_ZC_REC_MAX) return false;
    uint32_t cap = z->rec_cap ? 2u * z->rec_cap : 16u;
    if (cap > TCP_ZC_REC_MAX) cap = TCP_ZC_REC_MAX;
    struct tcp_zc_rec *r = realloc(z->rec, cap * sizeof *r);
    if (!r) return false;
    z->rec = r;
    z->rec_cap = (uint16_t)cap;
    return true;
}

/* Record i is the last of its send (the records of one send are consecutive). */
static bool rec_last_of_send(const struct tcp_zc *z, uint16_t i)
{
    return i + 1u >= z->rec_n || z->rec[i + 1u].id != z->rec[i].id;
}

/* ---- the notice queue ----------------------------------------------------------------- */

static struct synack_notice *note_at(struct tcp_zc *z, uint32_t i)
{
    return &z->note[(z->note_head + i) % TCP_NOTE_MAX];
}

static void note_queued(struct synack_stack *st, struct sock *sk, struct tcp_zc *z)
{
    z->notices++;
    sock_notify(st, sk);
}

/* A zero-copy send is done. Coalesced into the newest notice when that one ends just
 * before it and says the same about copying (Linux's skb_zerocopy_notify_extend, which
 * also keeps the range under 2^32 ids). */
static void note_zc(struct synack_stack *st, struct sock *sk, struct tcp_zc *z, uint32_t id,
                    bool copied)
{
    if (z->note_n > 0) {
        struct synack_notice *tail = note_at(z, z->note_n - 1u);
        if (tail->kind == SYNACK_NOTICE_ZEROCOPY && tail->copied == copied && tail->hi + 1u == id &&
            tail->hi - tail->lo < UINT32_MAX - 1u) {
            tail->hi = id;
            note_queued(st, sk, z);
            return;
        }
    }
    /* Room is certain: zero-copy notices and sends outstanding are SYNACK_ZEROCOPY_MAX at
     * most together (tcp_snd_take), timestamp notices TCP_TS_MAX. */
    struct synack_notice *n = note_at(z, z->note_n++);
    *n = (struct synack_notice){
        .kind = SYNACK_NOTICE_ZEROCOPY, .lo = id, .hi = id, .copied = copied};
    z->note_zc++;
    note_queued(st, sk, z);
}

static void note_ts(struct synack_stack *st, struct sock *sk, struct tcp_zc *z, int which,
                    uint32_t last, uint64_t now)
{
    if (z->note_n - z->note_zc >= TCP_TS_MAX) {
        st->stats.tstamps_dropped++;
        return;
    }
    struct synack_notice *n = note_at(z, z->note_n++);
    /* OPT_ID: the key counts bytes from where it started (Linux: the last byte's sequence
     * number less sk_tskey, which was SND.UNA when the option was set). */
    uint32_t key = (sk->ts_flags & SYNACK_TS_OPT_ID) ? last - sk->ts_key_base : 0;
    *n = (struct synack_notice){
        .kind = SYNACK_NOTICE_TSTAMP, .tstamp = which, .key = key, .time_us = now};
    note_queued(st, sk, z);
}

int tcp_zc_next_notice(struct synack_stack *st, struct sock *sk, struct synack_notice *out)
{
    struct tcp_zc *z = sk->zc;
    if (!tcp_zc_has_notice(z)) return 0;
    struct synack_notice *n = note_at(z, 0);
    if (out) *out = *n;
    if (n->kind == SYNACK_NOTICE_ZEROCOPY) z->note_zc--;
    z->note_head = (uint16_t)((z->note_head + 1u) % TCP_NOTE_MAX);
    z->note_n--;
    sock_notify(st, sk);
    return 1;
}

/* ---- taking data ---------------------------------------------------------------------- */

static void ts_request(struct synack_stack *st, struct sock *sk, struct tcp_zc *z, uint32_t last)
{
    uint8_t want = (uint8_t)(((sk->ts_flags & SYNACK_TS_TX_SCHED) ? TCP_TS_SCHED : 0u) |
                             ((sk->ts_flags & SYNACK_TS_TX_SOFTWARE) ? TCP_TS_SND : 0u) |
                             ((sk->ts_flags & SYNACK_TS_TX_ACK) ? TCP_TS_ACK : 0u));
    if (!want) return;
    if (z->ts_n == TCP_TS_MAX) {
        st->stats.tstamps_dropped++;
        return;
    }
    z->ts[z->ts_n++] = (struct tcp_ts_rec){.last = last, .pending = want};
}

long tcp_snd_take(struct synack_stack *st, struct sock *sk, const void *buf, uint32_t want,
                  unsigned flags)
{
    struct synack_iov one = {.base = buf, .len = want};
    return tcp_snd_takev(st, sk, &one, 1, want, flags);
}

long tcp_snd_takev(struct synack_stack *st, struct sock *sk, const struct synack_iov *iov,
                   int iovcnt, uint32_t want, unsigned flags)
{
    struct tcb *t = &sk->tcb;
    /* As Linux, MSG_ZEROCOPY without SO_ZEROCOPY is an ordinary send. */
    bool zc = (flags & SYNACK_SEND_ZEROCOPY) && sk->zerocopy;
    bool ts = (sk->ts_flags & (SYNACK_TS_TX_SCHED | SYNACK_TS_TX_SOFTWARE | SYNACK_TS_TX_ACK));
    if (want == 0) return 0;
    struct tcp_zc *z = NULL;
    if (zc || ts) {
        z = zc_get(st, sk);
        if (!z) return SYNACK_ENOMEM;
        if (zc && z->sends + z->note_zc >= SYNACK_ZEROCOPY_MAX) return SYNACK_ENOBUFS;
        if (zc && !rec_room(z)) return SYNACK_ENOBUFS;
    }
    uint32_t seq = tcp_data_end(t);
    uint32_t n = 0;
    /* Before the connection is established the bytes are copied (Linux's MSG_ZEROCOPY
     * waits for the connection, or copies a Fast Open SYN's data): the notice says so. */
    bool by_ref = zc && (t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT);
    for (int i = 0; i < iovcnt && n < want; i++) {
        uint32_t k = iov[i].len < want - n ? (uint32_t)iov[i].len : want - n;
        if (k == 0) continue;
        if (by_ref) {
            /* Each element is a record of its own, one fragment (cfg.zc_max_frags). */
            if (!rec_room(z)) break; /* room for the first was made above */
            z->rec[z->rec_n++] = (struct tcp_zc_rec){
                .p = (const uint8_t *)iov[i].base, .seq = seq + n, .len = k, .id = z->next_id};
            n += k;
            continue;
        }
        uint32_t w = ring_write(&t->snd, iov[i].base, k);
        n += w;
        if (w < k) break;
    }
    if (n == 0) return 0;
    if (by_ref) {
        t->snd_zc_held += n;
        st->stats.zerocopy_sends++;
    } else if (zc) {
        st->stats.zerocopy_copied++;
        z->rec[z->rec_n++] = (struct tcp_zc_rec){.p = NULL, .seq = seq, .len = n, .id = z->next_id};
    }
    if (zc) {
        z->next_id++;
        z->sends++;
    }
    if (ts) ts_request(st, sk, z, seq + n - 1u);
    return (long)n;
}

/* ---- reading and acknowledging -------------------------------------------------------- */

void tcp_snd_peek(const struct sock *sk, uint32_t off, uint8_t *out, uint32_t n)
{
    const struct tcb *t = &sk->tcb;
    const struct tcp_zc *z = sk->zc;
    if (!z || t->snd_zc_held == 0) {
        ring_peek(&t->snd, off, out, n);
        return;
    }
    uint32_t held_before = 0; /* zero-copy bytes before off: the ring does not hold them */
    uint16_t i = 0;
    while (n > 0) {
        /* The first record holding a buffer that ends after off. */
        uint32_t ro = 0;
        for (; i < z->rec_n; i++) {
            const struct tcp_zc_rec *r = &z->rec[i];
            if (!r->p) continue;
            ro = r->seq - t->snd_buf_seq;
            if (ro + r->len > off) break;
            held_before += r->len;
        }
        uint32_t k;
        if (i < z->rec_n && ro <= off) {
            const struct tcp_zc_rec *r = &z->rec[i];
            k = ro + r->len - off;
            if (k > n) k = n;
            memcpy(out, r->p + (off - ro), k);
        } else {
            k = i < z->rec_n ? ro - off : n;
            if (k > n) k = n;
            ring_peek(&t->snd, off - held_before, out, k);
        }
        out += k;
        off += k;
        n -= k;
    }
}

void tcp_snd_consume(struct synack_stack *st, struct sock *sk, uint32_t n, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    struct tcp_zc *z = sk->zc;
    uint32_t ring_n = n;
    if (z) {
        /* The records wholly acknowledged are done, in order of their ids; a partly
         * acknowledged one keeps its tail. */
        uint16_t done = 0;
        for (uint16_t i = 0; i < z->rec_n; i++) {
            struct tcp_zc_rec *r = &z->rec[i];
            uint32_t ro = r->seq - t->snd_buf_seq;
            if (ro >= n) break;
            uint32_t k = n - ro < r->len ? n - ro : r->len;
            if (r->p) {
                ring_n -= k;
                t->snd_zc_held -= k;
                r->p += k;
            }
            r->seq += k;
            r->len -= k;
            if (r->len > 0) break;
            if (rec_last_of_send(z, i)) {
                note_zc(st, sk, z, r->id, r->p == NULL);
                z->sends--;
            }
            done++;
        }
        if (done) {
            memmove(z->rec, z->rec + done, (size_t)(z->rec_n - done) * sizeof z->rec[0]);
            z->rec_n = (uint16_t)(z->rec_n - done);
        }
        /* The ACK timestamp of each send whose last byte is now acknowledged (Linux's
         * tcp_ack_tstamp); one never sent cannot be acknowledged, so nothing else waits. */
        uint32_t end = t->snd_buf_seq + n;
        uint16_t k = 0;
        while (k < z->ts_n && seq_lt(z->ts[k].last, end)) {
            if (z->ts[k].pending & TCP_TS_ACK)
                note_ts(st, sk, z, SYNACK_TSTAMP_ACK, z->ts[k].last, now);
            k++;
        }
        if (k) {
            memmove(z->ts, z->ts + k, (size_t)(z->ts_n - k) * sizeof z->ts[0]);
            z->ts_n = (uint16_t)(z->ts_n - k);
        }
    }
    ring_consume(&t->snd, ring_n);
    t->snd_buf_seq += n;
}

void tcp_tstamp_on_send(struct synack_stack *st, struct sock *sk, uint32_t seq, uint32_t len,
                        uint64_t now)
{
    struct tcp_zc *z = sk->zc;
    if (!z || len == 0) return;
    for (uint16_t i = 0; i < z->ts_n; i++) {
        struct tcp_ts_rec *r = &z->ts[i];
        if (seq_lt(r->last, seq)) continue;
        if (seq_geq(r->last, seq + len)) break;
        /* The segment with the send's last byte is queued and, synack's output queue being
         * what the device drains, handed over in the same step: SCHED, then SND (Linux's
         * order), once, on its first transmission. */
        if (r->pending & TCP_TS_SCHED) note_ts(st, sk, z, SYNACK_TSTAMP_SCHED, r->last, now);
        if (r->pending & TCP_TS_SND) note_ts(st, sk, z, SYNACK_TSTAMP_SND, r->last, now);
        r->pending &= (uint8_t) ~(TCP_TS_SCHED | TCP_TS_SND);
    }
}

/* ---- fragments per segment (cfg.zc_max_frags) -------------------------------------------- */

/* The end of the fragment that starts at offset pos of the queued data (from snd_buf_seq),
 * at most end: a record read by reference is one fragment, and so is a run of ring bytes
 * between two (Linux's copied bytes share a page fragment). *i walks the records, which
 * are in sequence order, so a walk along a segment is one pass. */
static uint32_t frag_end(const struct tcb *t, const struct tcp_zc *z, uint32_t pos, uint32_t end,
                         uint16_t *i)
{
    for (; *i < z->rec_n; (*i)++) {
        const struct tcp_zc_rec *r = &z->rec[*i];
        if (!r->p) continue;
        uint32_t ro = r->seq - t->snd_buf_seq;
        if (ro + r->len <= pos) continue;
        uint32_t e = ro <= pos ? ro + r->len : ro; /* inside the record, or the ring before it */
        return e < end ? e : end;
    }
    return end;
}

static bool frags_limited(const struct sock *sk)
{
    return sk->zc && sk->zc->max_frags > 0 && sk->tcb.snd_zc_held > 0;
}

uint32_t tcp_zc_frag_clip(const struct sock *sk, uint32_t seq, uint32_t len, bool *cut)
{
    *cut = false;
    if (!frags_limited(sk) || len == 0) return len;
    const struct tcb *t = &sk->tcb;
    const struct tcp_zc *z = sk->zc;
    uint32_t off = seq - t->snd_buf_seq, end = off + len, pos = off;
    uint32_t total = tcp_snd_queued(t), k = 0;
    uint16_t i = 0;
    /* pos: where the k-th fragment from seq ends, whole. */
    for (; k < z->max_frags && pos < end; k++) pos = frag_end(t, z, pos, total, &i);
    /* Linux starts a new skb when the last one has no fragment left, and pushes the full
     * one (tcp_sendmsg_locked: tcp_mark_push): so a segment ends, with PSH, where its
     * fragments run out and more data follows, also when something else (the windows, a
     * retransmission's SND.MAX) would have ended it there. */
    *cut = k == z->max_frags && pos <= end && pos < total;
    return pos < end ? pos - off : len;
}

uint32_t tcp_zc_frag_tail(const struct sock *sk, uint32_t seq, uint32_t end)
{
    if (!frags_limited(sk) || !seq_lt(seq, end)) return seq;
    const struct tcb *t = &sk->tcb;
    const struct tcp_zc *z = sk->zc;
    uint32_t off = seq - t->snd_buf_seq, e = end - t->snd_buf_seq, pos = off, n = 0;
    uint16_t i = 0;
    while (pos < e) {
        pos = frag_end(t, z, pos, e, &i);
        n++;
    }
    if (n <= z->max_frags) return seq;
    /* Skip the first n - max fragments: the rest is the tail. */
    pos = off;
    i = 0;
    for (uint32_t k = 0; k < n - z->max_frags; k++) pos = frag_end(t, z, pos, e, &i);
    return t->snd_buf_seq + pos;
}

/* ---- the end -------------------------------------------------------------------------- */

void tcp_zc_end(struct synack_stack *st, struct sock *sk)
{
    struct tcp_zc *z = sk->zc;
    if (!z) return;
    /* As Linux, whose notification fires when the last segment holding the buffer is
     * freed: a reset, an abort or a timeout ends the use of every buffer, and the
     * application learns it may reuse them. */
    for (uint16_t i = 0; i < z->rec_n; i++)
        if (rec_last_of_send(z, i)) note_zc(st, sk, z, z->rec[i].id, z->rec[i].p == NULL);
    z->rec_n = 0;
    z->sends = 0;
    z->ts_n = 0;
    sk->tcb.snd_zc_held = 0;
}

int tcp_zc_detach(struct synack_stack *st, struct sock *sk)
{
    (void)st;
    struct tcp_zc *z = sk->zc;
    struct tcb *t = &sk->tcb;
    if (!z) return 0;
    if (t->snd_zc_held > 0) {
        uint32_t total = tcp_snd_queued(t);
        uint8_t *tmp = malloc(total);
        if (!tmp) return SYNACK_ENOMEM;
        /* The stack's limit (cfg.mem_max, tcp_mem.c) does not refuse this copy: a close
         * that failed for it would leave the application nothing to release, and one that
         * aborted would lose a stream it asked to end gracefully. So the ring grows past
         * the limit, counted (pressure holds other growth back until it is given back), as
         * Linux's tcp_send_fin forces the memory of its FIN (sk_forced_mem_schedule). The
         * excess is bounded: the bytes lent were already within this socket's send
         * buffer. Only the allocator itself can still refuse it. */
        struct ring_cache *c = t->snd.cache;
        bool was_forced = c && c->forced;
        if (c) c->forced = true;
        int e = (t->snd.cap < total && ring_resize(&t->snd, total) < 0) ||
                        ring_reserve(&t->snd, total) < 0
                    ? SYNACK_ENOMEM
                    : 0;
        if (c) c->forced = was_forced;
        if (e < 0) {
            free(tmp);
            return e;
        }
        tcp_snd_peek(sk, 0, tmp, total);
        ring_consume(&t->snd, t->snd.len);
        (void)ring_write(&t->snd, tmp, total); /* fits: reserved above */
        free(tmp);
        t->snd_zc_held = 0;
    }
    /* Nobody will read a notice: the sends are forgotten, not reported. */
    z->rec_n = 0;
    z->sends = 0;
    z->ts_n = 0;
    return 0;
}

void tcp_zc_free(struct sock *sk)
{
    if (sk->zc) free(sk->zc->rec);
    free(sk->zc);
    sk->zc = NULL;
    sk->tcb.snd_zc_held = 0;
}
