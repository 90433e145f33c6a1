/*
 * capture/analyze.c - connection reconstruction, inferred states, phases and annotations for
 * `synack trace` (see analyze.h).
 *
 * The annotations follow the definitions in the Wireshark User's Guide, "TCP Analysis", so
 * that the two can be compared on the same capture; they are computed from these per-direction
 * facts: the next expected sequence number (highest seq + len, SYN and FIN counting one, RFC
 * 9293 §3.4), the last-seen acknowledgment number and window, and a run of duplicate ACKs.
 *
 * States are inferred from evidence at the capture point (RFC 9293 §3.3.2, figure 5): a change
 * the RFC ties to sending (CLOSED -> SYN-SENT, -> SYN-RECEIVED with the SYN,ACK, SYN-SENT ->
 * ESTABLISHED with the ACK of the SYN,ACK, -> FIN-WAIT-1 / LAST-ACK with a FIN) is placed at
 * that segment; one tied to receiving (the ACK of a SYN or a FIN, a FIN, an RST) at the
 * capture time of what was received. The 2*MSL end of TIME-WAIT is never in a capture.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "base/seq.h"
#include "capture/analyze.h"
#include "trace/text.h"

#define OOO_DEFAULT_US 3000u  /* Wireshark's out-of-order threshold without an RTT */
#define FAST_RTX_US    20000u /* a fast retransmission follows the dup ACKs within 20 ms */

struct tr_analyzer {
    struct tr_analyzer_opts o;
    struct tr_conn **conns; /* by id - 1 */
    size_t nconns, capconns;
    struct tr_conn **hash; /* the newest connection of each 4-tuple */
    size_t nbuckets;
    uint64_t untracked;
    size_t mem;
};

const char *tr_ann_name(int bit)
{
    static const char *const names[] = {
#define TR_ANN_NAME(name, text, field) text,
        TR_ANNOTATIONS(TR_ANN_NAME)
#undef TR_ANN_NAME
    };
    return bit >= 0 && bit < TR_ANN_COUNT ? names[bit] : "?";
}

const char *tr_ann_field(int bit)
{
    static const char *const fields[] = {
#define TR_ANN_FIELD(name, text, field) field,
        TR_ANNOTATIONS(TR_ANN_FIELD)
#undef TR_ANN_FIELD
    };
    return bit >= 0 && bit < TR_ANN_COUNT ? fields[bit] : "?";
}

const char *tr_ann_str(uint32_t ann, uint32_t dup_num, bool skip_plain_rtx, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int b = 0; b < TR_ANN_COUNT; b++) {
        if (!(ann & (1u << b))) continue;
        if (skip_plain_rtx && b == TR_ANN_BIT_RETRANSMISSION) continue;
        if (b == TR_ANN_BIT_RST) continue; /* the flags say it */
        int w;
        if (b == TR_ANN_BIT_DUP_ACK)
            w = snprintf(buf + n, cap - n, "%sdup ack #%u", n ? ", " : "", (unsigned)dup_num);
        else
            w = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", tr_ann_name(b));
        if (w < 0 || (size_t)w >= cap - n) break;
        n += (size_t)w;
    }
    return buf;
}

const char *tr_phase_name(int phase)
{
    switch (phase) {
    case TR_PHASE_HANDSHAKE:
        return "3-way handshake";
    case TR_PHASE_SIMUL_OPEN:
        return "simultaneous open";
    case TR_PHASE_DATA:
        return "data transfer";
    case TR_PHASE_CLOSE:
        return "4-way close";
    case TR_PHASE_SIMUL_CLOSE:
        return "simultaneous close";
    case TR_PHASE_RESET:
        return "reset";
    }
    return "";
}

const char *tr_side_name(const struct tr_conn *c, int side)
{
    if (c->handshake_seen) return side == 0 ? "client" : "server";
    return side == 0 ? "A" : "B";
}

const char *tr_conn_close_str(const struct tr_conn *c, char *buf, size_t cap)
{
    if (c->rst_by >= 0) {
        bool refused = c->d[c->rst_by].pkts == 1 && !c->d[1 - c->rst_by].fin && c->rst_by == 1 &&
                       c->state[0] >= 0 && !c->d[0].have_ack;
        if (refused)
            snprintf(buf, cap, "refused (RST to the SYN)");
        else
            snprintf(buf, cap, "reset by %s", tr_side_name(c, c->rst_by));
    } else if (c->d[0].fin_acked && c->d[1].fin_acked) {
        if (c->simul_close)
            snprintf(buf, cap, "simultaneous close");
        else
            snprintf(buf, cap, "4-way close (%s first)", tr_side_name(c, c->first_fin));
    } else if (c->d[0].fin || c->d[1].fin) {
        int s = c->d[0].fin ? 0 : 1;
        if (c->d[0].fin && c->d[1].fin)
            snprintf(buf, cap, "closing at end of capture");
        else
            snprintf(buf, cap, "half-closed by %s", tr_side_name(c, s));
    } else if (c->d[0].syn && !c->d[1].seen) {
        snprintf(buf, cap, "no answer to the SYN");
    } else {
        snprintf(buf, cap, "open at end of capture");
    }
    return buf;
}

tr_analyzer *tr_analyzer_new(const struct tr_analyzer_opts *o)
{
    tr_analyzer *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    if (o) a->o = *o;
    if (!a->o.max_conns) a->o.max_conns = 1000000;
    a->nbuckets = 1024;
    a->hash = calloc(a->nbuckets, sizeof(struct tr_conn *));
    if (!a->hash) {
        free(a);
        return NULL;
    }
    a->mem = sizeof *a + a->nbuckets * sizeof(struct tr_conn *);
    return a;
}

void tr_analyzer_free(tr_analyzer *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nconns; i++) {
        free(a->conns[i]->recs);
        free(a->conns[i]);
    }
    free(a->conns);
    free(a->hash);
    free(a);
}

size_t tr_conn_count(const tr_analyzer *a)
{
    return a->nconns;
}
struct tr_conn *tr_conn_get(const tr_analyzer *a, size_t i)
{
    return i < a->nconns ? a->conns[i] : NULL;
}
uint64_t tr_untracked_packets(const tr_analyzer *a)
{
    return a->untracked;
}
size_t tr_analyzer_mem(const tr_analyzer *a)
{
    return a->mem;
}

void tr_packet_addrs(const struct tr_packet *p, struct tr_addr *src, struct tr_addr *dst)
{
    memset(src, 0, sizeof *src);
    memset(dst, 0, sizeof *dst);
    if (p->kind == TR_PKT_TCP6) {
        src->family = dst->family = 6;
        memcpy(src->b, p->src6, 16);
        memcpy(dst->b, p->dst6, 16);
        return;
    }
    src->family = dst->family = 4;
    for (int i = 0; i < 4; i++) {
        src->b[i] = (uint8_t)(p->seg.ip.src >> (24 - 8 * i));
        dst->b[i] = (uint8_t)(p->seg.ip.dst >> (24 - 8 * i));
    }
}

uint32_t tr_addr_v4(const struct tr_addr *a)
{
    if (a->family != 4) return 0;
    return (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 | a->b[3];
}

/* The capture's address in the stack's one address type: an IPv6 address keeps its family
 * even when IPv4-mapped, so that it prints as the capture spelled it (RFC 5952 §5). */
struct synack_addr tr_addr_to(const struct tr_addr *a)
{
    if (a->family != 6) return synack_addr_v4(tr_addr_v4(a));
    struct synack_addr r = {.family = SYNACK_AF_INET6};
    memcpy(r.bytes, a->b, 16);
    return r;
}

const char *tr_addr_str(const struct tr_addr *a, char *buf, size_t cap)
{
    struct synack_addr x = tr_addr_to(a);
    return synack_addr_str(&x, buf, cap);
}

const char *tr_endpoint_str(const struct tr_addr *a, uint16_t port, char *buf, size_t cap)
{
    struct synack_addr x = tr_addr_to(a);
    return ladder_endpoint_str(&x, port, buf, cap);
}

static bool addr_eq(const struct tr_addr *x, const struct tr_addr *y)
{
    return x->family == y->family && memcmp(x->b, y->b, sizeof x->b) == 0;
}

/* FNV-1a over the 4-tuple, the same for both directions. */
static size_t tuple_hash(const struct tr_addr *a1, uint16_t p1, const struct tr_addr *a2,
                         uint16_t p2)
{
    int c = memcmp(a1->b, a2->b, sizeof a1->b);
    if (c > 0 || (c == 0 && p1 > p2)) {
        const struct tr_addr *ta = a1;
        a1 = a2;
        a2 = ta;
        uint16_t tp = p1;
        p1 = p2;
        p2 = tp;
    }
    uint8_t k[37];
    k[0] = a1->family;
    memcpy(k + 1, a1->b, 16);
    memcpy(k + 17, a2->b, 16);
    memcpy(k + 33, &p1, 2);
    memcpy(k + 35, &p2, 2);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof k; i++) h = (h ^ k[i]) * 1099511628211ull;
    return (size_t)(h ^ h >> 29);
}

static int conn_dir(const struct tr_conn *c, const struct tr_addr *src, uint16_t sport,
                    const struct tr_addr *dst, uint16_t dport)
{
    if (addr_eq(&c->addr[0], src) && c->port[0] == sport && addr_eq(&c->addr[1], dst) &&
        c->port[1] == dport)
        return 0;
    if (addr_eq(&c->addr[1], src) && c->port[1] == sport && addr_eq(&c->addr[0], dst) &&
        c->port[0] == dport)
        return 1;
    return -1;
}

static void rehash(tr_analyzer *a)
{
    size_t nb = a->nbuckets * 2;
    if (nb <= a->nbuckets) return; /* it would overflow: chains just get longer */
    struct tr_conn **h = calloc(nb, sizeof(struct tr_conn *));
    if (!h) return; /* chains just get longer */
    for (size_t i = 0; i < a->nbuckets; i++) {
        for (struct tr_conn *c = a->hash[i], *next; c; c = next) {
            next = c->hnext;
            size_t b = tuple_hash(&c->addr[0], c->port[0], &c->addr[1], c->port[1]) & (nb - 1);
            c->hnext = h[b];
            h[b] = c;
        }
    }
    a->mem += (nb - a->nbuckets) * sizeof(struct tr_conn *);
    free(a->hash);
    a->hash = h;
    a->nbuckets = nb;
}

/* Takes the connection out of the hash (a newer one of the same 4-tuple replaces it). */
static void unhash(tr_analyzer *a, struct tr_conn *c)
{
    size_t b = tuple_hash(&c->addr[0], c->port[0], &c->addr[1], c->port[1]) & (a->nbuckets - 1);
    for (struct tr_conn **pp = &a->hash[b]; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            c->hnext = NULL;
            return;
        }
    }
}

static struct tr_conn *new_conn(tr_analyzer *a, const struct synack_segment *s,
                                const struct tr_addr *src, const struct tr_addr *dst, uint64_t t)
{
    if (a->nconns >= a->o.max_conns) return NULL;
    if (a->nconns == a->capconns) {
        size_t nc = a->capconns ? a->capconns * 2 : 64;
        struct tr_conn **v = realloc(a->conns, nc * sizeof(struct tr_conn *));
        if (!v) return NULL;
        a->mem += (nc - a->capconns) * sizeof(struct tr_conn *);
        a->conns = v;
        a->capconns = nc;
    }
    struct tr_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    a->mem += sizeof *c;
    c->id = (uint32_t)a->nconns + 1;
    /* endpoint 0 is the client: the sender of a SYN without ACK; a SYN,ACK's receiver;
     * otherwise the first packet's sender */
    bool swap =
        (s->tcp.flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) == (SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    c->addr[swap] = *src;
    c->port[swap] = s->tcp.sport;
    c->addr[!swap] = *dst;
    c->port[!swap] = s->tcp.dport;
    c->state[0] = c->state[1] = -1;
    c->first_fin = c->rst_by = -1;
    c->d[0].ws = c->d[1].ws = -1;
    c->first_t = t;
    c->keep =
        a->o.keep_recs && (a->o.keep_conn ? c->id == a->o.keep_conn : c->id <= a->o.keep_conns);
    a->conns[a->nconns++] = c;
    if (a->nconns > a->nbuckets) rehash(a);
    size_t b = tuple_hash(&c->addr[0], c->port[0], &c->addr[1], c->port[1]) & (a->nbuckets - 1);
    c->hnext = a->hash[b];
    a->hash[b] = c;
    return c;
}

static struct tr_conn *find_conn(tr_analyzer *a, const struct synack_segment *s,
                                 const struct tr_addr *src, const struct tr_addr *dst)
{
    size_t b = tuple_hash(src, s->tcp.sport, dst, s->tcp.dport) & (a->nbuckets - 1);
    for (struct tr_conn *c = a->hash[b]; c; c = c->hnext)
        if (conn_dir(c, src, s->tcp.sport, dst, s->tcp.dport) >= 0) return c;
    return NULL;
}

static void keep_rec(tr_analyzer *a, struct tr_conn *c, const struct tr_rec *r)
{
    if (!c->keep) return;
    if (c->nrecs == c->caprecs) {
        if (c->caprecs >= a->o.keep_recs) {
            c->recs_dropped++;
            return;
        }
        uint32_t nc = c->caprecs ? c->caprecs * 2 : 16;
        if (nc > a->o.keep_recs) nc = a->o.keep_recs;
        struct tr_rec *v = realloc(c->recs, nc * sizeof *v);
        if (!v) {
            c->recs_dropped++;
            return;
        }
        a->mem += (nc - c->caprecs) * sizeof *v;
        c->recs = v;
        c->caprecs = nc;
    }
    c->recs[c->nrecs++] = *r;
}

static void set_state(struct tr_conn *c, int side, int st, int8_t *slot)
{
    if (c->state[side] == st) return;
    c->state[side] = (int8_t)st;
    *slot = (int8_t)st;
}

/* The window in bytes: RFC 7323 §2.2, scaled when both SYNs carried the option and the
 * segment is not a SYN; unscaled when the SYNs were not captured (the scale is unknown). */
static uint32_t scaled_window(const struct tr_conn *c, int dir, const struct synack_tcp_hdr *h)
{
    if (h->flags & SYNACK_TCP_SYN) return h->window;
    if (c->d[0].syn && c->d[1].syn && c->d[0].ws >= 0 && c->d[1].ws >= 0)
        return (uint32_t)h->window << (c->d[dir].ws > 14 ? 14 : c->d[dir].ws);
    return h->window;
}

struct tr_conn *tr_analyze(tr_analyzer *a, const struct tr_packet *p, struct tr_rec *rec)
{
    const struct synack_segment *s = &p->seg;
    const struct synack_tcp_hdr *h = &s->tcp;
    const uint16_t fl = h->flags;
    const bool syn = fl & SYNACK_TCP_SYN, fin = fl & SYNACK_TCP_FIN, rst = fl & SYNACK_TCP_RST;
    const bool ackf = fl & SYNACK_TCP_ACK;
    const uint64_t t = p->ts_us;
    uint32_t reused = 0;
    struct tr_addr src, dst;
    tr_packet_addrs(p, &src, &dst);

    struct tr_conn *c = find_conn(a, s, &src, &dst);
    if (c && syn) {
        /* A new SYN on a finished 4-tuple, or with another ISN than the one this side
         * used, is a new connection (the reuse TIME-WAIT allows, RFC 9293 §3.6.1). */
        int d = conn_dir(c, &src, h->sport, &dst, h->dport);
        bool other_isn = c->d[d].syn && c->d[d].isn != h->seq;
        if (c->closed || (other_isn && !ackf) || (other_isn && c->d[d].fin)) {
            unhash(a, c);
            c = NULL;
            reused = TR_ANN(REUSED_PORTS);
        }
    }
    if (!c) c = new_conn(a, s, &src, &dst, t);
    if (!c) {
        a->untracked++;
        return NULL;
    }
    const int dir = conn_dir(c, &src, h->sport, &dst, h->dport);
    struct tr_dir *f = &c->d[dir], *r = &c->d[1 - dir];
    if (dir == 0 && syn && !ackf) c->handshake_seen = true;

    memset(rec, 0, sizeof *rec);
    rec->t = t;
    rec->frame = p->frame;
    rec->seq = h->seq;
    rec->ack = h->ack;
    rec->len = s->payload_len;
    rec->flags = fl;
    rec->raw_win = h->window;
    rec->dir = (uint8_t)dir;
    rec->state_tx = rec->state_rx = -1;
    rec->truncated = p->truncated;
    if (syn) {
        rec->has_mss = h->opts.has_mss;
        rec->mss = h->opts.mss;
        rec->sack_ok = h->opts.sack_permitted;
        rec->has_ts = h->opts.has_ts;
        rec->has_ws = h->opts.has_wscale;
        rec->ws = h->opts.wscale;
    }
    rec->nsack =
        h->opts.sack_count > SYNACK_TCP_MAX_SACK ? SYNACK_TCP_MAX_SACK : h->opts.sack_count;
    for (int i = 0; i < rec->nsack; i++) {
        rec->sack[i][0] = h->opts.sack[i].left;
        rec->sack[i][1] = h->opts.sack[i].right;
    }

    /* ---- the sequence space of this side ---- */
    if (syn && (!f->syn || f->isn != h->seq)) {
        f->syn = true;
        f->isn = h->seq;
        f->ws = h->opts.has_wscale ? h->opts.wscale : -1;
        f->have_next = false;
        f->fin = f->fin_acked = false;
    }
    const uint32_t seglen = s->payload_len + (syn ? 1u : 0u) + (fin ? 1u : 0u);
    const uint32_t win = scaled_window(c, dir, h);
    uint32_t ann = reused;

    /* ---- annotations, in the User's Guide's terms ---- */
    if (rst) ann |= TR_ANN(RST);
    if (h->window == 0 && !(fl & (SYNACK_TCP_SYN | SYNACK_TCP_FIN | SYNACK_TCP_RST)))
        ann |= TR_ANN(ZERO_WINDOW);
    /* a gap: this segment starts after the next expected byte */
    if (f->have_next && seq_gt(h->seq, f->next) && !rst) ann |= TR_ANN(LOST_SEGMENT);
    /* keep-alive: 0 or 1 byte at next - 1 (RFC 9293 §3.8.4) */
    bool keepalive = f->have_next && s->payload_len <= 1 && h->seq == f->next - 1 &&
                     !(fl & (SYNACK_TCP_SYN | SYNACK_TCP_FIN | SYNACK_TCP_RST));
    if (keepalive) ann |= TR_ANN(KEEP_ALIVE);
    /* zero window probe: one byte at next into a closed window (RFC 9293 §3.8.6.1) */
    if (!keepalive && f->have_next && s->payload_len == 1 && h->seq == f->next && r->have_win &&
        r->win == 0)
        ann |= TR_ANN(ZERO_WINDOW_PROBE);
    /* window full: the data reaches the right edge of the peer's window */
    if (s->payload_len > 0 && r->have_win && r->have_ack &&
        !(fl & (SYNACK_TCP_SYN | SYNACK_TCP_FIN | SYNACK_TCP_RST)) &&
        h->seq + s->payload_len == r->ack + r->win)
        ann |= TR_ANN(WINDOW_FULL);
    const bool pure_ack =
        s->payload_len == 0 && ackf && !(fl & (SYNACK_TCP_SYN | SYNACK_TCP_FIN | SYNACK_TCP_RST));
    if (pure_ack && f->have_win && win == f->win && win != 0 && f->have_next && h->seq == f->next &&
        f->have_ack && h->ack == f->ack && r->last_keepalive) {
        ann |= TR_ANN(KEEP_ALIVE_ACK);
    } else if (pure_ack && f->have_win && win != f->win && win != 0 && f->have_next &&
               h->seq == f->next && f->have_ack && h->ack == f->ack) {
        ann |= TR_ANN(WINDOW_UPDATE);
    } else if (pure_ack && f->have_win && win == f->win && win != 0 && f->have_next &&
               h->seq == f->next && f->have_ack && h->ack == f->ack) {
        /* RFC 5681 §2's duplicate acknowledgment, as a capture can tell it */
        f->dupacks++;
        ann |= TR_ANN(DUP_ACK);
        rec->dup_num = f->dupacks;
    }
    if (ackf && !rst && r->have_next && seq_gt(h->ack, r->next)) ann |= TR_ANN(ACK_UNSEEN);
    /* retransmission kinds: data (or SYN/FIN) that starts before the next expected byte */
    if (!keepalive && seglen > 0 && !rst && f->have_next && seq_lt(h->seq, f->next)) {
        uint64_t ooo_us = c->have_hs_rtt ? c->hs_rtt : OOO_DEFAULT_US;
        if (r->dupacks >= 2 && r->have_ack && r->ack == h->seq && t - r->ack_time < FAST_RTX_US) {
            ann |= TR_ANN(FAST_RETRANSMISSION);
        } else if (t - f->next_time < ooo_us && f->next != h->seq + seglen) {
            ann |= TR_ANN(OUT_OF_ORDER);
        } else if (s->payload_len > 0 && r->have_ack && seq_leq(h->seq + seglen, r->ack)) {
            ann |= TR_ANN(SPURIOUS_RETRANSMISSION);
        } else {
            ann |= TR_ANN(RETRANSMISSION);
        }
    }
    rec->ann = ann;
    rec->win = win;

    /* ---- what this side has sent and acknowledged ---- */
    if (!keepalive && !rst && (!f->have_next || seq_gt(h->seq + seglen, f->next))) {
        f->next = h->seq + seglen;
        f->have_next = true;
        f->next_time = t;
    }
    if (ackf && !rst) {
        if (!f->have_ack || f->ack != h->ack) f->dupacks = 0;
        f->ack_time = t; /* the last ACK seen, for the fast-retransmission window */
        f->ack = h->ack;
        f->have_ack = true;
    }
    if (!rst) {
        f->win = win;
        f->have_win = true;
    }
    f->last_keepalive = keepalive;
    if (!f->seen) f->first_t = t;
    f->seen = true;
    f->last_t = t;
    f->pkts++;
    f->bytes += s->payload_len;
    if (ann & TR_ANN_ANY_RTX) f->rtx_bytes += s->payload_len;
    c->last_t = t;
    c->pkts++;
    for (int b = 0; b < TR_ANN_COUNT; b++)
        if (ann & (1u << b)) c->ann_count[b]++;

    /* ---- RTT: the handshake's, and one timed data segment at a time per side ---- */
    if (syn && !ackf && dir == 0 && !(ann & TR_ANN_ANY_RTX)) c->syn_t = t;
    if (!c->have_hs_rtt && dir == 0 && !syn && ackf && r->syn && h->ack == r->isn + 1 && c->syn_t) {
        c->hs_rtt = t - c->syn_t;
        c->have_hs_rtt = true;
    }
    if (f->timing && (ann & TR_ANN_ANY_RTX) && seq_lt(h->seq, f->timed_end))
        f->timing = false; /* Karn's rule (RFC 6298 §3) */
    if (!f->timing && s->payload_len > 0 && !(ann & (TR_ANN_ANY_RTX | TR_ANN(OUT_OF_ORDER)))) {
        f->timing = true;
        f->timed_end = h->seq + s->payload_len;
        f->timed_t = t;
    }
    if (ackf && r->timing && seq_geq(h->ack, r->timed_end)) {
        uint64_t sample = t - r->timed_t;
        r->timing = false;
        if (!c->rtt_samples || sample < c->rtt_min) c->rtt_min = sample;
        if (sample > c->rtt_max) c->rtt_max = sample;
        c->rtt_sum += sample;
        c->rtt_samples++;
    }

    /* ---- phases and inferred states ---- */
    const int me = dir, peer = 1 - dir;
    if (syn && !ackf && !(ann & TR_ANN_ANY_RTX)) {
        rec->phase = c->state[peer] == SYNACK_SYN_SENT ? TR_PHASE_SIMUL_OPEN : TR_PHASE_HANDSHAKE;
    }
    if (rst && c->rst_by < 0) {
        c->rst_by = me;
        rec->phase = TR_PHASE_RESET;
    }
    if (fin && !f->fin && !rst) {
        if (c->first_fin < 0) {
            c->first_fin = me;
            rec->phase = TR_PHASE_CLOSE;
        } else if (!r->fin_acked && !(ackf && r->fin && seq_gt(h->ack, r->fin_seq))) {
            /* the peer's FIN is out and not acknowledged by this one: both closed at once
             * (RFC 9293 §3.6, figure 13) */
            c->simul_close = true;
            rec->phase = TR_PHASE_SIMUL_CLOSE;
        }
    }
    if (s->payload_len > 0 && !c->data_phase && c->first_fin < 0 && c->rst_by < 0) {
        c->data_phase = true;
        if (!rec->phase && c->handshake_seen) rec->phase = TR_PHASE_DATA;
    }
    /* the sender's changes: by sending (RFC 9293 §3.10.4 CLOSE, §3.10.7.3 SYN-SENT) */
    if (rst) {
        set_state(c, me, SYNACK_CLOSED, &rec->state_tx);
    } else if (syn && !ackf) {
        set_state(c, me, SYNACK_SYN_SENT, &rec->state_tx);
    } else if (syn && ackf) {
        set_state(c, me, SYNACK_SYN_RECEIVED, &rec->state_tx);
    } else if (ackf && c->state[me] == SYNACK_SYN_SENT && r->syn && seq_gt(h->ack, r->isn)) {
        set_state(c, me, SYNACK_ESTABLISHED, &rec->state_tx);
    }
    if (!rst && ackf && r->fin && !f->acked_peer_fin && seq_gt(h->ack, r->fin_seq)) {
        /* The first ACK of the peer's FIN is the evidence that this side processed it
         * (§3.10.7.4, eighth step): it is then in CLOSE-WAIT, CLOSING or TIME-WAIT. Placing
         * the change at the FIN's capture instead would be wrong when the FIN was lost after
         * the capture point, as in a simultaneous close. */
        f->acked_peer_fin = true;
        int st = c->state[me];
        if (st == SYNACK_FIN_WAIT_1)
            set_state(c, me, SYNACK_CLOSING, &rec->state_tx);
        else if (st == SYNACK_FIN_WAIT_2)
            set_state(c, me, SYNACK_TIME_WAIT, &rec->state_tx);
        else if (st == SYNACK_ESTABLISHED || st == SYNACK_SYN_RECEIVED || st < 0)
            set_state(c, me, SYNACK_CLOSE_WAIT, &rec->state_tx);
    }
    if (fin && !f->fin && !rst) {
        int st = c->state[me];
        if (st == SYNACK_CLOSE_WAIT)
            set_state(c, me, SYNACK_LAST_ACK, &rec->state_tx);
        else if (st == SYNACK_ESTABLISHED || st == SYNACK_SYN_RECEIVED || st < 0)
            set_state(c, me, SYNACK_FIN_WAIT_1, &rec->state_tx);
    }
    if (fin && !f->fin) {
        f->fin = true;
        f->fin_seq = h->seq + s->payload_len;
    }
    if (c->state[me] == SYNACK_TIME_WAIT && !c->time_wait[me]) {
        c->time_wait[me] = true;
        rec->time_wait |= (uint8_t)(1u << me);
    }
    /* the receiver's changes: by receiving an ACK of its SYN or FIN, or an RST */
    if (rst) {
        if (c->state[peer] >= 0 || r->seen) set_state(c, peer, SYNACK_CLOSED, &rec->state_rx);
        c->closed = true;
    } else {
        int st = c->state[peer];
        if (ackf && st == SYNACK_SYN_RECEIVED && r->syn && seq_gt(h->ack, r->isn))
            set_state(c, peer, SYNACK_ESTABLISHED, &rec->state_rx);
        if (ackf && r->fin && !r->fin_acked && seq_gt(h->ack, r->fin_seq)) {
            r->fin_acked = true;
            st = c->state[peer];
            if (st == SYNACK_FIN_WAIT_1)
                set_state(c, peer, SYNACK_FIN_WAIT_2, &rec->state_rx);
            else if (st == SYNACK_CLOSING)
                set_state(c, peer, SYNACK_TIME_WAIT, &rec->state_rx);
            else if (st == SYNACK_LAST_ACK)
                set_state(c, peer, SYNACK_CLOSED, &rec->state_rx);
        }
        if (c->state[peer] == SYNACK_TIME_WAIT && !c->time_wait[peer]) {
            c->time_wait[peer] = true;
            rec->time_wait |= (uint8_t)(1u << peer);
        }
        if (c->d[0].fin_acked && c->d[1].fin_acked) c->closed = true;
    }
    keep_rec(a, c, rec);
    return c;
}
