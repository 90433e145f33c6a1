/*
 * tcp/tcp_fastopen.c - TCP Fast Open (RFC 7413): data in the SYN, delivered before the
 * 3-way handshake ends, for clients that hold a cookie from the server.
 *
 * The server (§4.2.2) keeps no state for its cookies: a cookie is a keyed MAC of the
 * client's address (§4.1.2), made the way Linux makes it (SipHash-2-4 keyed with the
 * stack's 16-byte key over the client's and the server's address, the 64-bit result
 * little-endian), so that a client that holds a cookie from a Linux server with the same key
 * holds one from us, and packetdrill's Linux suite finds the cookies it expects. A SYN with
 * a valid cookie and a listener with room in its Fast Open queue (§5.1: the limit bounds
 * what a flood of valid cookies can hold) makes a connection at once (a socket with rings,
 * not a request record): its data is acknowledged by the SYN-ACK and readable at accept,
 * and it may send before the handshake's ACK. Everything else - no cookie, a cookie request,
 * an invalid cookie, a full queue, no socket - is the usual 3-way handshake, with a fresh
 * cookie in the SYN-ACK where the client asked for one or sent a bad one.
 *
 * The client (§4.2.1) remembers, per server address, the cookie and the MSS of its last
 * SYN-ACK (§4.1.3) in a bounded cache (least recently used entry replaced), puts at most
 * that MSS less 40 bytes of data in its SYN (Linux's room for middleboxes' options), sends
 * again at once what the SYN-ACK does not acknowledge, retransmits the SYN without data and
 * option, and after SYNs with data went unanswered twice in a row stops using Fast Open
 * with that server for a while (§4.1.3.1, as Linux's backoff).
 */
#include <string.h>

#include "base/siphash.h"
#include "tcp/ip_out.h"
#include "tcp/stack.h"
#include "tcp/tcp_zc.h"
#include "tcp/tcp_in.h"

/* ---- cookies (§4.1.2) ----------------------------------------------------------------- */

void synack_fastopen_cookie(const uint8_t key[16], const struct synack_addr *caddr,
                            const struct synack_addr *saddr, uint8_t cookie[8])
{
    /* Linux hashes the two IPv4 addresses (4 + 4 bytes) or the two IPv6 ones (16 + 16),
     * client first, and writes the 64-bit result in little-endian order. */
    uint8_t in[32];
    size_t n;
    if (caddr->family == SYNACK_AF_INET && saddr->family == SYNACK_AF_INET) {
        memcpy(in, caddr->bytes + 12, 4);
        memcpy(in + 4, saddr->bytes + 12, 4);
        n = 8;
    } else {
        memcpy(in, caddr->bytes, 16);
        memcpy(in + 16, saddr->bytes, 16);
        n = 32;
    }
    uint64_t h = siphash24(key, in, n);
    for (int i = 0; i < 8; i++) cookie[i] = (uint8_t)(h >> (8 * i));
}

/* The key a listener's cookies are made with, and its backup (NULL: none): its own when
 * one was set on it (Linux's per-socket context), else the stack's. */
static const uint8_t *listener_key(const struct synack_stack *st, const struct sock *lsk,
                                   const uint8_t **backup)
{
    if (lsk->tfo_has_key) {
        *backup = lsk->tfo_has_key_backup ? lsk->tfo_key_backup : NULL;
        return lsk->tfo_key;
    }
    *backup = st->tfo_has_backup ? st->tfo_backup : NULL;
    return st->tfo_key;
}

/* 1: valid with the key, 2: valid with the backup key (§4.1.2's rotation), 0: invalid. */
static int cookie_check(const struct synack_stack *st, const struct sock *lsk,
                        const struct tcp_seg *seg)
{
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    if (o->fo_len != 8) return 0;
    const uint8_t *backup;
    const uint8_t *key = listener_key(st, lsk, &backup);
    uint8_t want[8];
    synack_fastopen_cookie(key, &seg->s->src, &seg->s->dst, want);
    if (memcmp(want, o->fo_cookie, 8) == 0) return 1;
    if (!backup) return 0;
    synack_fastopen_cookie(backup, &seg->s->src, &seg->s->dst, want);
    return memcmp(want, o->fo_cookie, 8) == 0 ? 2 : 0;
}

/* ---- the server (§4.2.2) -------------------------------------------------------------- */

/* The listener's Fast Open queue limit: its own (SYNACK_OPT_FASTOPEN), or with
 * SYNACK_TFO_SERVER_ALL the one in the upper 16 bits of the flags; 0 when it takes none. */
static uint32_t listener_qlen(const struct synack_stack *st, const struct sock *lsk)
{
    if (!(st->tfo_flags & SYNACK_TFO_SERVER)) return 0;
    if (lsk->tfo_qlen) return lsk->tfo_qlen;
    return (st->tfo_flags & SYNACK_TFO_SERVER_ALL) ? st->tfo_flags >> 16 : 0;
}

/* The connection a SYN with data and a valid cookie makes at once: a socket in
 * SYN-RECEIVED with its rings, its data taken, in its listener's accept queue, its SYN-ACK
 * (acknowledging the data) sent. NULL when no socket or no memory is free. */
static struct sock *born_at_once(struct synack_stack *st, struct sock *lsk, uint64_t now,
                                 const struct tcp_seg *seg, const uint32_t *isn,
                                 const struct tcp_fo_reply *fo)
{
    struct tcp_child p;
    tcp_child_of(&p, seg);
    p.iss = isn ? *isn : tcp_choose_isn_for(st, &p.laddr, p.lport, &p.raddr, p.rport, now);
    p.irs = seg->seq;
    p.snd_wnd = seg->s->tcp.window; /* a SYN's, never scaled (RFC 7323 §2.2) */
    p.opts = tcp_peer_opts_of(st, seg);
    p.rcv_wscale = p.opts.wscale_ok ? tcp_rcv_wscale_for(lsk->rcvbuf) : 0;
    p.ts_recent_time = now;
    /* ECN is agreed as on the other paths to a connection (RFC 3168 §6.1.1). */
    p.ecn_ok = tcp_ecn_accepts(st, lsk) && tcp_ecn_setup_syn(seg->flags);
    struct sock *c = tcp_child_new(st, lsk, now, &p);
    if (!c) return NULL;
    struct tcb *t = &c->tcb;
    if (tcb_rings(st, c) < 0) {
        tcp_done(st, c, now, 0);
        return NULL;
    }
    t->tfo_child = true;
    /* Linux's TCPI_OPT_SYN_DATA (syn_data_acked): the SYN's data was taken; a valid cookie
     * on a SYN without data makes the connection at once too, but reports 0. */
    t->syn_data = seg->dlen > 0;
    t->fo_kind = fo->kind;
    t->fo_len = fo->len;
    memcpy(t->fo_cookie, fo->cookie, fo->len);
    c->tfo_counted_by = lsk->idx + 1;
    lsk->tfo_pending++;
    st->stats.conn_opened_passive++;
    st->stats.tfo_passive++;
    tcp_set_state(st, c, now, SYNACK_SYN_RECEIVED);
    /* The SYN's text is taken as in any synchronized state (RFC 7413 §4.2.2: "the server
     * ... acknowledges the data"); a FIN beside it is not, so the client sends it again. */
    if (seg->dlen > 0) tcp_take_data(st, c, now, seg->seq + 1, seg->data, seg->dlen, seg);
    accept_queue_push(st, c);
    /* Its SYN-ACK is the first (an RTT sample): tcp_child_new counted one as sent. */
    t->snd_nxt = t->snd_max = t->iss;
    tcp_send_syn(st, c, now);
    return c;
}

bool tcp_fastopen_syn(struct synack_stack *st, struct sock *lsk, uint64_t now,
                      const struct tcp_seg *seg, const uint32_t *isn, struct tcp_fo_reply *reply)
{
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    memset(reply, 0, sizeof *reply);
    uint32_t qlen = listener_qlen(st, lsk);
    bool syn_data = seg->dlen > 0;
    /* A listener without Fast Open ignores the option: the client learns nothing and
     * falls back (§4.2.1). */
    if (!qlen || (!syn_data && !o->fo_kind)) return false;
    /* §5.1: the queue limit bounds the connections a flood of SYNs with valid cookies can
     * make; beyond it, the 3-way handshake (and no cookie, as Linux). */
    if (lsk->tfo_pending >= qlen) {
        if (o->fo_len) st->stats.tfo_fallbacks++;
        return false;
    }
    const uint8_t *backup;
    const uint8_t *key = listener_key(st, lsk, &backup);
    int valid = 0;
    if (syn_data && (st->tfo_flags & SYNACK_TFO_SERVER_NO_COOKIE)) {
        valid = 1; /* §4.2.2 "server may accept data without a cookie" when so configured */
    } else if (o->fo_kind && o->fo_len) {
        valid = cookie_check(st, lsk, seg);
        if (!valid) st->stats.tfo_cookie_invalid++;
    } else if (o->fo_kind) {
        st->stats.tfo_cookie_reqs++;
    }
    if (valid) {
        /* A cookie of the backup key is good, and the SYN-ACK hands out the current one. */
        struct tcp_fo_reply fresh;
        memset(&fresh, 0, sizeof fresh);
        if (valid == 2) {
            fresh.kind = o->fo_kind;
            fresh.len = 8;
            synack_fastopen_cookie(key, &seg->s->src, &seg->s->dst, fresh.cookie);
        }
        if (born_at_once(st, lsk, now, seg, isn, &fresh)) return true;
        st->stats.tfo_fallbacks++;
    }
    /* The 3-way handshake, and the SYN-ACK carries a cookie (in the kind the client used)
     * for a request, an invalid cookie, or a valid one that found no room. */
    if (o->fo_kind) {
        reply->kind = o->fo_kind;
        reply->len = 8;
        synack_fastopen_cookie(key, &seg->s->src, &seg->s->dst, reply->cookie);
    }
    return false;
}

void tcp_fastopen_child_left(struct synack_stack *st, struct sock *sk)
{
    struct sock *l = sock_of(st, sk->tfo_counted_by - 1);
    sk->tfo_counted_by = 0;
    if (l && l->in_use && l->tcb.state == SYNACK_LISTEN && l->tfo_pending > 0) l->tfo_pending--;
}

/* ---- the client (§4.2.1) and its cookie cache (§4.1.3) -------------------------------- */

static struct tfo_cache_entry *cache_find(struct synack_stack *st, const struct synack_addr *a,
                                          bool make)
{
    struct tfo_cache_entry *oldest = NULL;
    for (uint32_t i = 0; i < st->tfo_ncache; i++) {
        struct tfo_cache_entry *e = &st->tfo_cache[i];
        if (e->used && synack_addr_eq(&e->addr, a)) {
            e->used = ++st->tfo_clock;
            return e;
        }
        if (!oldest || e->used < oldest->used) oldest = e;
    }
    if (!make || !oldest) return NULL;
    /* Bounded: the least recently used server is forgotten. */
    memset(oldest, 0, sizeof *oldest);
    oldest->addr = *a;
    oldest->used = ++st->tfo_clock;
    return oldest;
}

/* §4.1.3.1: SYNs with data that went unanswered suggest a path that drops them. As Linux,
 * after two in a row Fast Open rests for 60 s, doubled for each further loss. */
static bool syn_loss_backoff(const struct tfo_cache_entry *e, uint64_t now)
{
    if (e->syn_losses <= 1) return false;
    uint32_t shift = e->syn_losses > 10 ? 10 : e->syn_losses;
    return now < e->syn_loss_time + (60000000ull << shift);
}

bool tcp_fastopen_connect(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->fo_kind = 0;
    t->fo_len = 0;
    t->tfo_mss = 0;
    if (!(st->tfo_flags & SYNACK_TFO_CLIENT)) return false;
    struct tfo_cache_entry *e = cache_find(st, &t->raddr, false);
    if (e && syn_loss_backoff(e, now)) return false;
    t->tfo_used = true;
    if (e) t->tfo_mss = e->mss;
    if (e && e->cookie_len) {
        t->fo_kind = e->exp ? SYNACK_TCP_FO_EXP : SYNACK_TCP_FO;
        t->fo_len = e->cookie_len;
        memcpy(t->fo_cookie, e->cookie, e->cookie_len);
        return true;
    }
    /* No cookie: data without one when so configured (no option at all, as Linux), else
     * the SYN asks for one, in the experimental kind if the server answered the other
     * kind's request with nothing. */
    if (st->tfo_flags & SYNACK_TFO_CLIENT_NO_COOKIE) return true;
    t->fo_kind = e && e->try_exp == 1 ? SYNACK_TCP_FO_EXP : SYNACK_TCP_FO;
    return false;
}

uint32_t tcp_fastopen_syn_space(const struct synack_stack *st, const struct sock *sk)
{
    const struct tcb *t = &sk->tcb;
    uint32_t mss = tcp_pmtu_mss(st, t);
    uint32_t server = t->tfo_mss ? t->tfo_mss : t->rcv_mss;
    if (server < mss) mss = server;
    if (t->user_mss && t->user_mss < mss) mss = t->user_mss;
    return mss > 40 ? mss - 40 : 0;
}

/* The SYN's data from ack to end was not taken (§4.2.1): Linux marks its SYN-data segment
 * lost and sends it again as it was, a segment of its own with PSH. It goes into RACK's map
 * as sent with the SYN, so that sending it again is a retransmission (tcpi_retrans), and
 * its end is a record boundary (SYNACK_SEND_EOR's: nothing is sent across it, PSH at it). */
static void syn_data_lost(struct tcb *t, uint32_t ack, uint32_t end)
{
    tcp_rack_on_send(t, ack, end - ack, t->syn_time, false);
    uint8_t i = 0;
    while (i < t->eor_n && seq_lt(t->eor[i], end)) i++;
    if ((i < t->eor_n && t->eor[i] == end) || t->eor_n == SYNACK_EOR_MAX) return;
    memmove(t->eor + i + 1, t->eor + i, (size_t)(t->eor_n - i) * sizeof t->eor[0]);
    t->eor[i] = end;
    t->eor_n++;
}

void tcp_fastopen_synack(struct synack_stack *st, struct sock *sk, uint64_t now,
                         const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    if (!t->tfo_used) return; /* an unsolicited cookie is ignored */
    struct tfo_cache_entry *e = cache_find(st, &t->raddr, true);
    if (e) {
        if (o->has_mss) e->mss = o->mss;
        /* A cookie is taken only when our SYN carried the option (a cookie or a request):
         * one in answer to data sent without a cookie was not asked for (Linux's
         * syn_fastopen), and is ignored; the MSS is still learnt. */
        bool cookie = o->fo_kind && o->fo_len && t->fo_kind;
        if (cookie) {
            e->cookie_len = o->fo_len;
            e->exp = o->fo_kind == SYNACK_TCP_FO_EXP;
            memcpy(e->cookie, o->fo_cookie, o->fo_len);
        }
        bool had_data = t->syn_data_len > 0;
        if (t->syn_retransmitted && had_data && !cookie && !o->fo_kind) {
            /* Only a SYN without data got through: the one with data, or its answer, was
             * lost (§4.1.3.1). */
            if (e->syn_losses < UINT8_MAX) e->syn_losses++;
            e->syn_loss_time = now;
        } else {
            e->syn_losses = 0;
        }
        /* Asked for a cookie and got no option back: a server that knows only the
         * other kind may answer that (Linux's try_exp). */
        if (!t->syn_retransmitted && t->fo_kind && t->fo_len == 0 && !had_data && !o->fo_kind)
            e->try_exp = t->fo_kind == SYNACK_TCP_FO_EXP ? 2 : 1;
    }
    if (!t->syn_data_len) return;
    uint32_t data_end = t->iss + 1 + t->syn_data_len;
    /* What the SYN-ACK acknowledges of the data leaves the send ring (as ack_advance does
     * for any ACK; the move to ESTABLISHED sets SND.UNA). */
    if (seq_gt(seg->ack, t->snd_buf_seq)) {
        uint32_t n = seg->ack - t->snd_buf_seq;
        if (n > tcp_snd_queued(t)) n = tcp_snd_queued(t);
        tcp_snd_consume(st, sk, n, now);
        t->bytes_acked += n;
    }
    if (seg->ack == data_end) {
        t->syn_data = true;
        st->stats.tfo_active++;
    } else {
        /* §4.2.1: the SYN-ACK acknowledges only part (or none) of the data: the rest is
         * sent again at once, after the handshake's ACK (tcp_output from SND.UNA). */
        st->stats.tfo_active_failed++;
        t->snd_nxt = seg->ack;
        syn_data_lost(t, seg->ack, data_end);
    }
}
