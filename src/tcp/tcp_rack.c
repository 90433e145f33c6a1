/*
 * tcp/tcp_rack.c - RACK, time-based loss detection (RFC 8985 §6), and the per-segment
 * transmission record it needs.
 *
 * The sender remembers, for the sequence space in flight [SND.UNA, SND.MAX), when each part
 * was last sent: a sorted array of records, each a range of sequence space sent at one
 * instant (the segments one call of tcp_output sends at the same `now` share a record, as
 * Linux's timestamp covers a whole TSO burst), with flags: SACKed, deemed lost, retransmitted,
 * SACKed before a timeout dropped the marks.
 * The array is allocated when data is first sent (and freed with the send ring's memory
 * when the connection is idle), TCP_XMAP_START records at first and doubled as a window in
 * flight needs more, up to one record per KiB of send buffer (at least TCP_XMAP_MIN, at most
 * TCP_XMAP_MAX): when it has all it may have and is full, two neighbours are merged, SACKed ones
 * first (their times no longer matter), else those sent closest together in time, keeping
 * the later time, which only makes RACK wait a little longer before it calls them lost. Records are
 * split at the edges of SACK blocks and of retransmissions, so that every record is entirely
 * SACKed or not.
 * Most of what an ACK costs does not grow with the records (issue 12: a receiver's SACKs made
 * all of it do so): the pipe's counts are kept as the marks change, records are found by binary
 * search, neighbours are joined only where a change may have made them joinable, and the records
 * the cumulative ACK drops are skipped, not moved over (docs/performance.md, "The ACK's
 * cost against the data in flight", says what is still linear).
 *
 * RACK (RFC 8985 §6.2): on each ACK, the most recently sent segment that was delivered
 * (RACK.xmit_ts, RACK.end_seq) and its RTT (RACK.rtt) are updated; a segment sent before it
 * that is still not delivered after RACK.rtt plus a reordering window is lost. The window is
 * min_RTT / 4 (RFC 8985 §6.2 step 4), 0 while no reordering has been seen and either recovery
 * is under way or DupThresh segments are SACKed (so that a path without reordering recovers
 * as fast as with three duplicate ACKs), and widened by one quarter of min_RTT for each round
 * trip in which a D-SACK arrived (reset after 16 recoveries without one). A segment that is
 * not yet lost but will be when its window passes arms the reordering timer (t_rack).
 *
 * The records also give an RTT sample on every ACK that delivers data sent once (HyStart++,
 * cc_hystart.c, needs several per round trip); the retransmission timer's estimator (rtt.c)
 * keeps its one timed segment per round trip, unless cfg.rtt_every_ack asks for a sample
 * from every ACK (rack.ack_rtt, as Linux's).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/stack.h"
#include "tcp/tcp.h"

#define DUP_THRESH 3 /* RFC 8985 §6.2 step 4, RFC 5681 §3.2 */
/* A record's flags that RACK reads: the delivery rate's app-limited mark is not one of
 * them, and records that differ only by it merge as if it were not there. */
#define XR_STATE(f) ((uint8_t)((f) & ~TCP_XR_APP_LIMITED))

int tcp_rack_alloc(struct tcb *t, uint32_t sndbuf)
{
    if (t->xr) return 0;
    uint32_t max = sndbuf / 1024;
    if (max < TCP_XMAP_MIN) max = TCP_XMAP_MIN;
    if (max > TCP_XMAP_MAX) max = TCP_XMAP_MAX;
    /* A request/response connection needs a few records, a bulk one many: start small and
     * grow (reserve), so that 100,000 quiet connections do not each hold 4 KiB of map. */
    uint32_t cap = TCP_XMAP_START < max ? TCP_XMAP_START : max;
    /* A map of the first size from the stack's spares when it has one: most connections
     * never need more, and take one and give it back once each. */
    struct tcp_xr_spares *sp = t->xr_spares;
    if (cap == TCP_XMAP_START && sp && sp->n > 0)
        t->xr = sp->buf[--sp->n];
    else
        t->xr = malloc(cap * sizeof *t->xr);
    if (!t->xr) return SYNACK_ENOMEM;
    t->xr_n = 0;
    t->xr_head = 0;
    t->rack.out = t->rack.lost = t->rack.rxt = t->rack.lost_unsent = 0;
    t->rack.una = t->snd_una;
    t->rack.ndirty = 0;
    t->rack.dirty_all = false;
    t->xr_cap = (uint16_t)cap;
    t->xr_max = (uint16_t)max;
    return 0;
}

void tcp_rack_free(struct tcb *t)
{
    struct tcp_xr_spares *sp = t->xr_spares;
    struct tcp_xrec *base = t->xr ? t->xr - t->xr_head : NULL;
    if (base && t->xr_cap == TCP_XMAP_START && sp && sp->n < TCP_XR_SPARES)
        sp->buf[sp->n++] = base;
    else
        free(base);
    t->xr = NULL;
    t->xr_n = t->xr_cap = t->xr_max = t->xr_head = 0;
    t->rack.sacked = 0;
    t->rack.out = t->rack.lost = t->rack.rxt = t->rack.lost_unsent = 0;
    t->t_rack = 0;
}

void tcp_rack_spares_free(struct tcp_xr_spares *sp)
{
    while (sp->n > 0) free(sp->buf[--sp->n]);
}

/* RFC 8985 §6.2: RACK_sent_after. Later in time, or at the same time and further in
 * sequence space. The clock is the caller's, in microseconds, and one call of the stack
 * may send a retransmission after new data within the same microsecond: ord, counted
 * within each microsecond, says which went first (sequence numbers would say the
 * opposite). */
static bool sent_after(uint64_t t1, uint16_t o1, uint32_t end1, const struct tcp_xrec *x)
{
    if (t1 != x->ts) return t1 > x->ts;
    if (o1 != x->ord) return o1 > x->ord;
    return seq_gt(end1, x->end);
}

static uint32_t rec_start(const struct tcb *t, int i)
{
    return i == 0 ? t->snd_una : t->xr[i - 1].end;
}

static uint32_t map_end(const struct tcb *t)
{
    return t->xr_n ? t->xr[t->xr_n - 1].end : t->snd_una;
}

/* The first record that ends after seq, xr_n if none: the one that holds seq when seq is in
 * [SND.UNA, the map's end). A binary search: the records are in sequence order, and their
 * ends, taken from SND.UNA, grow (the map spans less than 2^31). A seq below SND.UNA is
 * far from it the other way and finds none. */
static int find(const struct tcb *t, uint32_t seq)
{
    uint32_t off = seq - t->snd_una;
    int lo = 0, hi = t->xr_n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (t->xr[mid].end - t->snd_una <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* n bytes of a record with flags f join the map's counts (add) or leave them: what RFC 6675
 * §4's pipe and NextSeg need, kept up to date at every change of a record's marks or range
 * rather than recounted on each ACK (a receiver's SACKs would otherwise make every ACK cost
 * the whole flight). The arithmetic is modulo 2^32, so the order of the changes does not
 * matter. */
static void acct_in(struct tcp_rack *k, uint8_t f, uint32_t n, bool add)
{
    if ((f & TCP_XR_SACKED) || n == 0) return;
    uint32_t d = add ? n : 0u - n;
    if (f & TCP_XR_LOST) {
        k->lost += d;
        if (!(f & TCP_XR_RXT)) k->lost_unsent += d;
    } else {
        k->out += d;
    }
    if (f & TCP_XR_RXT) k->rxt += d;
}

static void acct(struct tcb *t, uint8_t f, uint32_t n, bool add)
{
    acct_in(&t->rack, f, n, add);
}

/* The counts from scratch, for the operations that rewrite every record's marks anyway (a
 * timeout, an undo) and for the check below. */
static void recount_into(const struct tcb *t, struct tcp_rack *k)
{
    k->out = k->lost = k->rxt = k->lost_unsent = 0;
    k->una = t->snd_una;
    for (int i = 0; i < t->xr_n; i++)
        acct_in(k, t->xr[i].flags, t->xr[i].end - rec_start(t, i), true);
}

static void recount(struct tcb *t)
{
    recount_into(t, &t->rack);
}

/* The counts are of the map from rack.una, which tcp_rack_on_ack moves with SEG.ACK; SND.UNA
 * also moves without it (the ACK of a SYN a record covers, tcp_open.c), and then the first
 * record is shorter than counted: count again (rare, and once). */
static void sync_una(struct tcb *t)
{
    if (t->rack.una != t->snd_una) recount(t);
}

/* The counts as they are now, for the functions that may not change the map's state: the
 * ones kept, or a recount into *c when SND.UNA moved without them. */
static const struct tcp_rack *counts(const struct tcb *t, struct tcp_rack *c)
{
    if (t->rack.una == t->snd_una) return &t->rack;
    recount_into(t, c);
    return c;
}

bool tcp_rack_counts_ok(const struct tcb *t)
{
    struct tcp_rack c, d;
    recount_into(t, &c);
    uint32_t sacked = 0;
    for (int i = 0; i < t->xr_n; i++)
        if (t->xr[i].flags & TCP_XR_SACKED) sacked += t->xr[i].end - rec_start(t, i);
    const struct tcp_rack *a = counts(t, &d), *b = &c;
    return a->out == b->out && a->lost == b->lost && a->rxt == b->rxt &&
           a->lost_unsent == b->lost_unsent && t->rack.sacked == sacked;
}

/* Two neighbours meeting at seq may have become mergeable (coalesce). */
static void dirty(struct tcb *t, uint32_t seq)
{
    struct tcp_rack *k = &t->rack;
    if (k->dirty_all) return;
    for (int d = 0; d < k->ndirty; d++)
        if (k->dirty[d] == seq) return;
    if (k->ndirty < TCP_XR_DIRTY)
        k->dirty[k->ndirty++] = seq;
    else
        k->dirty_all = true;
}

/* A record's time or marks changed: both its edges. */
static void dirty_rec(struct tcb *t, int i)
{
    dirty(t, rec_start(t, i));
    dirty(t, t->xr[i].end);
}

/* The array is full: merge two neighbours. First choice, two whose times no longer
 * matter: both SACKed, or both lost and waiting to be sent again. Else the two with the
 * same flags sent closest together in time, and as a last resort any two, keeping the
 * later time (RACK then waits a little longer before calling them lost). */
static void compact(struct tcb *t)
{
    int best = -1;
    uint64_t best_cost = UINT64_MAX;
    for (int i = 0; i + 1 < t->xr_n; i++) {
        const struct tcp_xrec *a = &t->xr[i], *b = &t->xr[i + 1];
        uint64_t d = a->ts > b->ts ? a->ts - b->ts : b->ts - a->ts;
        if (XR_STATE(a->flags) != XR_STATE(b->flags))
            d = d / 2 + (UINT64_MAX / 2);
        else if (a->flags & TCP_XR_SACKED || (a->flags & (TCP_XR_LOST | TCP_XR_RXT)) == TCP_XR_LOST)
            d = 0;
        else
            d += 1;
        if (d < best_cost) {
            best_cost = d;
            best = i;
            if (d == 0) break;
        }
    }
    if (best < 0) return;
    struct tcp_xrec *a = &t->xr[best], *b = &t->xr[best + 1];
    /* Unlike flags: the merged range is SACKed or lost only if both were (it stays a
     * candidate for RACK), retransmitted if either was. */
    uint8_t keep =
        (uint8_t)(a->flags & b->flags & (TCP_XR_SACKED | TCP_XR_LOST | TCP_XR_WAS_SACKED));
    uint8_t any = (uint8_t)((a->flags | b->flags) & (TCP_XR_RXT | TCP_XR_EVER_RXT));
    if (!(keep & TCP_XR_SACKED)) {
        if (a->flags & TCP_XR_SACKED) t->rack.sacked -= a->end - rec_start(t, best);
        if (b->flags & TCP_XR_SACKED) t->rack.sacked -= b->end - a->end;
    }
    uint32_t alen = a->end - rec_start(t, best), blen = b->end - a->end;
    acct(t, a->flags, alen, false);
    acct(t, b->flags, blen, false);
    /* The merged range dates from the later send (RACK needs the most recent); if the
     * earlier one was a retransmission still outstanding, its time is kept aside, so that
     * Eifel's RetransmitTS (tcp_rack_oldest_rxt) does not move later with it. */
    const struct tcp_xrec *older = b->ts < a->ts ? b : a;
    if (a->ts != b->ts && (older->flags & (TCP_XR_EVER_RXT | TCP_XR_SACKED)) == TCP_XR_EVER_RXT &&
        (t->rack.rxt_floor == 0 || older->ts < t->rack.rxt_floor))
        t->rack.rxt_floor = older->ts;
    /* The delivery rate's snapshot goes with the time kept (tcp_info.c). */
    uint8_t app = a->flags & TCP_XR_APP_LIMITED;
    if (b->ts > a->ts || (b->ts == a->ts && b->ord > a->ord)) {
        a->ts = b->ts;
        a->ord = b->ord;
        a->dlv = b->dlv;
        a->dlv_age = b->dlv_age;
        a->first_age = b->first_age;
        app = b->flags & TCP_XR_APP_LIMITED;
    }
    a->flags = (uint8_t)(keep | any | app);
    a->end = b->end;
    acct(t, a->flags, alen + blen, true);
    dirty_rec(t, best);
    memmove(&t->xr[best + 1], &t->xr[best + 2], (size_t)(t->xr_n - best - 2) * sizeof *t->xr);
    t->xr_n--;
}

/* Room for n more records. Made before the splits of one operation, so that a merge
 * cannot undo a split the same operation just made. */
static void reserve(struct tcb *t, int n)
{
    /* The room the cumulative ACK left at the front is taken back when the end is reached:
     * the records move down once, which is O(1) per record dropped while the map has room
     * to spare (a full map merges records anyway, compact). */
    if (t->xr_head + t->xr_n + n > t->xr_cap && t->xr_head > 0) {
        struct tcp_xrec *base = t->xr - t->xr_head;
        memmove(base, t->xr, (size_t)t->xr_n * sizeof *t->xr);
        t->xr = base;
        t->xr_head = 0;
    }
    /* Grow first (doubling, so the copies cost O(1) per record over the map's life), then
     * merge neighbours once the map has all it may have, or memory is short. */
    while (t->xr_n + n > t->xr_cap && t->xr_cap < t->xr_max) {
        uint32_t cap = (uint32_t)t->xr_cap * 2;
        if (cap < TCP_XMAP_START) cap = TCP_XMAP_START;
        if (cap > t->xr_max) cap = t->xr_max;
        struct tcp_xrec *x = realloc(t->xr, cap * sizeof *x);
        if (!x) break;
        t->xr = x;
        t->xr_cap = (uint16_t)cap;
    }
    while (t->xr_n + n > t->xr_cap && t->xr_n > 1) compact(t);
}

/* Makes seq a record boundary (when it falls strictly inside one). */
static void split_at(struct tcb *t, uint32_t seq)
{
    if (!seq_lt(t->snd_una, seq) || !seq_lt(seq, map_end(t))) return;
    if (t->xr_head + t->xr_n >= t->xr_cap) return; /* reserve() failed: the boundary is lost */
    int i = find(t, seq);
    if (i >= t->xr_n || rec_start(t, i) == seq) return;
    memmove(&t->xr[i + 1], &t->xr[i], (size_t)(t->xr_n - i) * sizeof *t->xr);
    t->xr_n++;
    t->xr[i].end = seq;
    dirty(t, seq);
}

static bool mergeable(const struct tcp_xrec *a, const struct tcp_xrec *b)
{
    return a->ts == b->ts && a->ord == b->ord && XR_STATE(a->flags) == XR_STATE(b->flags);
}

/* Joins neighbours that were sent at the same instant with the same flags, where some may
 * be: at the boundaries marked dirty since the last time (a change of a record's time or
 * marks dirties both its edges, a split the new edge), or everywhere when too many were.
 * Being sent together with the same marks is an equivalence, so joining at the marked
 * boundaries gives the same records as the walk over the whole map it replaces, without
 * costing the map's length on every retransmission and every loss marked (issue 12). */
static void coalesce(struct tcb *t)
{
    struct tcp_rack *k = &t->rack;
    if (k->dirty_all) {
        int w = 0;
        for (int i = 0; i < t->xr_n; i++) {
            if (w > 0 && mergeable(&t->xr[w - 1], &t->xr[i])) {
                t->xr[w - 1].end = t->xr[i].end;
                continue;
            }
            t->xr[w++] = t->xr[i];
        }
        t->xr_n = (uint16_t)w;
    } else {
        for (int d = 0; d < k->ndirty; d++) {
            int i = find(t, k->dirty[d]);
            if (i <= 0 || i >= t->xr_n || rec_start(t, i) != k->dirty[d]) continue;
            if (!mergeable(&t->xr[i - 1], &t->xr[i])) continue;
            t->xr[i - 1].end = t->xr[i].end;
            memmove(&t->xr[i], &t->xr[i + 1], (size_t)(t->xr_n - i - 1) * sizeof *t->xr);
            t->xr_n--;
        }
    }
    k->ndirty = 0;
    k->dirty_all = false;
}

static void append(struct tcb *t, uint32_t end, uint64_t now, uint16_t ord)
{
    bool empty = t->xr_n == 0;
    uint32_t start = map_end(t);
    if (!empty) {
        struct tcp_xrec *last = &t->xr[t->xr_n - 1];
        if (last->ts == now && last->ord == ord && XR_STATE(last->flags) == 0) {
            acct(t, last->flags, end - start, true);
            last->end = end;
            return;
        }
    }
    acct(t, 0, end - start, true);
    reserve(t, 1);
    t->xr[t->xr_n] = (struct tcp_xrec){.ts = now, .end = end, .flags = 0, .ord = ord};
    tcp_rate_on_send(t, &t->xr[t->xr_n], now, empty);
    t->xr_n++;
}

void tcp_rack_on_send(struct tcb *t, uint32_t seq, uint32_t len, uint64_t now, bool retransmit)
{
    if (len == 0) return;
    /* The map is taken when data is first sent, as the send ring's memory is (base/ring.h):
     * an idle connection holds neither (tcp_rings_idle gives both back). Without it RACK
     * stays silent and the DupThresh rules recover alone. */
    if (!t->xr && tcp_rack_alloc(t, t->snd.cap) < 0) return;
    sync_una(t);
    uint32_t end = seq + len;
    if (seq_lt(seq, t->snd_una)) seq = t->snd_una;
    if (!seq_lt(seq, end)) return;
    uint32_t mend = map_end(t);
    struct tcp_rack *k = &t->rack;
    if (k->ord_now != now) {
        k->ord_now = now;
        k->ord = 0;
        k->ord_bump = false;
    }
    /* A retransmission, and new data after one, come later than what went before in this
     * microsecond; new data after new data is simply further in sequence space. */
    bool again = seq_lt(seq, mend);
    if ((again || k->ord_bump) && k->ord < UINT16_MAX) k->ord++;
    k->ord_bump = again;
    if (again) {
        /* Sent again: every record in [seq, min(end, mend)) now dates from now. */
        uint32_t re = seq_lt(end, mend) ? end : mend;
        reserve(t, 2);
        split_at(t, seq);
        split_at(t, re);
        for (int i = find(t, seq); i < t->xr_n; i++) {
            uint32_t s = rec_start(t, i);
            if (seq_lt(s, seq)) continue;
            if (seq_geq(s, re)) break;
            struct tcp_xrec *r = &t->xr[i];
            acct(t, r->flags, r->end - s, false);
            r->ts = now;
            r->ord = k->ord;
            if (r->flags & TCP_XR_SACKED) k->sacked -= r->end - s;
            r->flags &= (uint8_t) ~(TCP_XR_SACKED | TCP_XR_WAS_SACKED);
            if (retransmit) r->flags |= TCP_XR_RXT | TCP_XR_EVER_RXT;
            acct(t, r->flags, r->end - s, true);
            dirty_rec(t, i);
            tcp_rate_on_send(t, r, now, false);
        }
        coalesce(t);
    }
    if (seq_gt(end, mend)) {
        /* New data (a gap before it would be a bug elsewhere: covered as sent now). */
        append(t, end, now, k->ord);
    }
}

/* RACK.rtt from a range newly delivered (step 2), the most recently sent one (newest)
 * or not. RFC 8985 §6.2 takes the RTT of the most recently sent segment delivered, with
 * RACK.xmit_ts. cfg.rack_rtt_seq takes Linux's instead (tcp_rack_advance, called for each
 * SACKed and then each cumulatively ACKed skb in sequence order, sets rack.rtt_us every
 * time and the send time only when later): the RTT of the last range this ACK delivered,
 * in the order the ranges are processed. When an ACK covers a retransmission and, above
 * it, a segment sent once before it, Linux's RACK.rtt is the older segment's, longer. */
static void rack_rtt_take(struct tcp_rack *k, uint64_t rtt, bool newest)
{
    if (newest || k->rtt_seq) k->rtt = rtt;
}

/* RACK.fack as the ACK being processed found it. */
struct rack_prior {
    uint32_t fack;
    bool has;
};

/* RFC 8985 §6.2 steps 2 and 3 for one range newly delivered (cumulatively ACKed or
 * SACKed): RACK.xmit_ts, RACK.end_seq, RACK.rtt, RACK.fack and reordering. */
static void delivered(struct tcb *t, const struct tcp_xrec *r, uint32_t end,
                      const struct synack_tcp_opts *o, uint64_t now, const struct rack_prior *pr)
{
    struct tcp_rack *k = &t->rack;
    bool rxt = r->flags & TCP_XR_EVER_RXT;
    uint64_t rtt = now > r->ts ? now - r->ts : 0;
    tcp_rate_on_delivered(t, r, end); /* the delivery rate's sample (tcp_info.c) */
    /* Step 3: a segment sent once, delivered below the highest sequence delivered before
     * this ACK (RACK.fack as the ACK found it), was overtaken: the path reorders. Compared
     * with RACK.fack as this ACK moves it, the segments one ACK reports together would
     * look reordered among themselves: an ACK that newly covers 0..2 and SACKs 4 (3 lost,
     * the ACK for 0..2 delayed until 4 forced it) delivered them in sequence order, yet
     * the SACK block is processed first. Linux compares with prior_fack likewise. */
    if (pr->has && seq_lt(end, pr->fack) && !rxt) k->reord = true;
    if (!k->has_fack || seq_gt(end, k->fack)) {
        k->fack = end;
        k->has_fack = true;
    }
    /* Step 2: a retransmitted range counts only if this ACK is for the last transmission:
     * its timestamp echo is not older (RFC 7323), and it was sent at least min_RTT ago. */
    if (rxt) {
        if (t->ts_ok && o->has_ts && (int32_t)(o->ts_ecr - tcp_ts_now(t, r->ts)) < 0) return;
        if (rtt < t->min_rtt) return;
    } else if (rtt > 0 && (k->sample == 0 || rtt < k->sample)) {
        k->sample = rtt; /* an RTT sample of data sent once (HyStart++) */
    }
    if (rtt > 0) tcp_min_rtt_sample(t, rtt, now);
    struct tcp_xrec cur = {.ts = k->xmit_ts, .ord = k->xmit_ord, .end = k->end_seq};
    bool newest = !k->has || sent_after(r->ts, r->ord, end, &cur);
    if (newest) {
        k->xmit_ts = r->ts;
        k->xmit_ord = r->ord;
        k->end_seq = end;
        k->has = true;
    }
    rack_rtt_take(k, rtt, newest);
}

/* The RTO estimator's sample for cfg.rtt_every_ack, as Linux's tcp_clean_rtx_queue takes
 * it: from the oldest range this ACK newly covers that was neither sent twice nor SACKed
 * before (its first_ackt), and none from the cumulative ACK if any range it covers was sent
 * more than once (Karn's rule, RFC 6298 §3; FLAG_RETRANS_DATA_ACKED). A SACKed range gave
 * its sample when its SACK came. */
static void ack_rtt_of(struct tcb *t, const struct tcp_xrec *x, uint64_t now)
{
    if (x->flags & TCP_XR_EVER_RXT)
        t->rack.ack_rxt = true;
    else if (!(x->flags & (TCP_XR_SACKED | TCP_XR_WAS_SACKED)) && t->rack.ack_rtt == 0 &&
             now > x->ts)
        t->rack.ack_rtt = now - x->ts;
}

/* The reordering degree Linux reports (tcp_check_sack_reordering, tcpi_reordering): when an
 * ACK delivers, below the highest sequence delivered before it, data sent once whose lowest
 * byte is low, the path reordered by (fack - low) / MSS segments at least; the degree is the
 * largest seen, from DupThresh's 3 up to Linux's tcp_max_reordering (300). It is reported
 * only: RACK's window (RFC 8985 §6.2) and the DupThresh rules do not use it. */
#define REORDERING_MAX 300u
static void reordering_seen(struct tcb *t, uint32_t low, uint32_t fack)
{
    if (!seq_lt(low, fack)) return;
    uint32_t mss = t->snd_mss ? t->snd_mss : 1;
    uint32_t cur = t->rack.reordering ? t->rack.reordering : DUP_THRESH;
    uint32_t metric = fack - low;
    if (metric > cur * mss) {
        uint32_t deg = (metric + mss - 1) / mss;
        t->rack.reordering = deg < REORDERING_MAX ? deg : REORDERING_MAX;
    }
    t->rack.reord_seen++;
}

void tcp_rack_on_ack(struct tcb *t, const struct synack_tcp_opts *o, uint32_t ack, uint64_t now,
                     int dsack_block)
{
    t->rack.sample = 0;
    t->rack.ack_rtt = 0;
    t->rack.ack_rxt = false;
    tcp_rate_ack_start(t, now);
    if (!t->xr) return;
    sync_una(t);
    uint32_t mend = map_end(t);
    const struct rack_prior pr = {.fack = t->rack.fack, .has = t->rack.has_fack};
    uint64_t sack_rtt = 0;
    uint32_t low = 0; /* the lowest byte of data sent once delivered below pr.fack */
    bool reord = false;
    /* SACK blocks (not the D-SACK one): split at their edges, mark what they cover. */
    for (int b = 0; t->sack_ok && b < o->sack_count; b++) {
        if (b == dsack_block) continue;
        uint32_t l = o->sack[b].left, r = o->sack[b].right;
        if (seq_lt(l, t->snd_una)) l = t->snd_una;
        if (seq_gt(r, mend)) r = mend;
        if (!seq_lt(l, r)) continue;
        reserve(t, 2);
        split_at(t, l);
        split_at(t, r);
        for (int i = find(t, l); i < t->xr_n; i++) {
            uint32_t s = rec_start(t, i);
            if (seq_lt(s, l)) continue;
            if (seq_geq(s, r)) break;
            struct tcp_xrec *x = &t->xr[i];
            if (x->flags & TCP_XR_SACKED) continue;
            /* SACKed again after a timeout: its delivery was counted the first time. */
            if (!(x->flags & TCP_XR_WAS_SACKED)) {
                if (!(x->flags & TCP_XR_EVER_RXT) && sack_rtt == 0 && now > x->ts)
                    sack_rtt = now - x->ts; /* Linux's first_sackt */
                if (!(x->flags & TCP_XR_EVER_RXT) && pr.has && seq_lt(s, pr.fack) &&
                    (!reord || seq_lt(s, low))) {
                    low = s;
                    reord = true;
                }
                delivered(t, x, x->end, o, now, &pr);
            }
            acct(t, x->flags, x->end - s, false);
            dirty_rec(t, i);
            x->flags |= TCP_XR_SACKED;
            t->rack.sacked += x->end - s;
        }
    }
    /* The cumulative ACK: records wholly below it go, after counting as delivered; one
     * straddling it is delivered up to SEG.ACK. */
    if (reord) reordering_seen(t, low, t->rack.fack);
    reord = false;
    if (!seq_gt(ack, t->snd_una)) {
        t->rack.ack_rtt = sack_rtt;
        return;
    }
    t->rack.una = ack; /* the caller moves SND.UNA there (tcp_ack.c) */
    int drop = 0;
    for (; drop < t->xr_n; drop++) {
        struct tcp_xrec *x = &t->xr[drop];
        uint32_t s = rec_start(t, drop);
        /* A record that starts at SEG.ACK had nothing delivered: its send time is no
         * sample (it would give min_RTT and RACK.rtt the time since it went). */
        if (!seq_lt(s, ack)) break;
        ack_rtt_of(t, x, now);
        /* What the peer SACKed, now or before a timeout dropped the mark, was delivered
         * when the SACK came: neither reordering nor a new delivery now. */
        bool was_sacked = x->flags & TCP_XR_WAS_SACKED;
        if (!(x->flags & (TCP_XR_EVER_RXT | TCP_XR_SACKED | TCP_XR_WAS_SACKED)) && pr.has &&
            seq_lt(s, pr.fack) && !reord) {
            low = s; /* records come in sequence order: the first is the lowest */
            reord = true;
        }
        if (seq_gt(x->end, ack)) {
            acct(t, x->flags, ack - s, false);
            if (x->flags & TCP_XR_SACKED)
                t->rack.sacked -= ack - s;
            else if (!was_sacked)
                delivered(t, x, ack, o, now, &pr);
            break;
        }
        acct(t, x->flags, x->end - s, false);
        if (x->flags & TCP_XR_SACKED)
            t->rack.sacked -= x->end - s;
        else if (!was_sacked)
            delivered(t, x, x->end, o, now, &pr);
    }
    /* The records dropped are skipped, not moved over (the map's start moves: each ACK would
     * otherwise move the whole flight's records, issue 12); everything acknowledged (every
     * exchange of a request and its answer) puts the start back at the memory's. */
    if (drop == t->xr_n) {
        t->xr -= t->xr_head;
        t->xr_head = 0;
    } else {
        t->xr += drop;
        t->xr_head = (uint16_t)(t->xr_head + drop);
    }
    t->xr_n = (uint16_t)(t->xr_n - drop);
    if (t->rack.rxt_floor) { /* kept while a retransmission is outstanding (compact) */
        bool any = false;
        for (int i = 0; i < t->xr_n && !any; i++)
            any = (t->xr[i].flags & (TCP_XR_EVER_RXT | TCP_XR_SACKED)) == TCP_XR_EVER_RXT;
        if (!any) t->rack.rxt_floor = 0;
    }
    /* Linux measures the cumulative ACK's reordering up to the highest SACKed byte, or
     * SEG.ACK when nothing SACKed is left. */
    if (reord) reordering_seen(t, low, t->rack.sacked ? t->rack.fack : ack);
    /* Linux's tcp_ack_update_rtt: the cumulative ACK's sample first, else the SACK's. */
    if (t->rack.ack_rxt || t->rack.ack_rtt == 0) t->rack.ack_rtt = sack_rtt;
}

void tcp_rack_dsack(struct tcb *t)
{
    /* RFC 8985 §6.2 step 4: the window grows by one step for each round trip in which a
     * D-SACK arrived (RACK.dsack_round: the SND.NXT of the first), and stays so for the next
     * 16 recoveries. A D-SACK also shows that the network reorders (or delays) segments. */
    struct tcp_rack *k = &t->rack;
    if (k->dsack_round_on && seq_geq(t->snd_una, k->dsack_round)) k->dsack_round_on = false;
    if (!k->dsack_round_on) {
        k->dsack_round_on = true;
        k->dsack_round = t->snd_max;
        if (k->reo_mult < 255) k->reo_mult++;
        k->reo_persist = 16;
    }
    k->reord = true;
}

void tcp_rack_recovery_done(struct tcb *t)
{
    /* RFC 8985 §6.2 step 4: after 16 recoveries without a D-SACK the window shrinks back. */
    struct tcp_rack *k = &t->rack;
    if (k->reo_persist > 0 && --k->reo_persist == 0) k->reo_mult = 1;
}

uint64_t tcp_rack_reo_wnd(const struct tcb *t)
{
    const struct tcp_rack *k = &t->rack;
    if (!k->reord) {
        if (t->in_recovery || t->rto_recovery) return 0;
        if (tcp_sack_bytes(t) >= DUP_THRESH * (uint32_t)t->snd_mss) return 0;
    }
    uint64_t mult = k->reo_mult ? k->reo_mult : 1;
    uint64_t w = mult * t->min_rtt / 4;
    return t->rtt_valid && t->srtt < w ? t->srtt : w;
}

bool tcp_rack_detect_loss(struct tcb *t, uint64_t now)
{
    /* RFC 8985 §6.2 step 5. */
    t->t_rack = 0;
    const struct tcp_rack *k = &t->rack;
    /* Nothing in flight, nothing to mark (the reordering window is not needed). */
    if (!t->xr || !t->sack_ok || !k->has || t->xr_n == 0) return false;
    sync_una(t);
    uint64_t reo = tcp_rack_reo_wnd(t);
    uint64_t timeout = 0;
    bool lost = false;
    for (int i = 0; i < t->xr_n; i++) {
        struct tcp_xrec *x = &t->xr[i];
        if (!sent_after(k->xmit_ts, k->xmit_ord, k->end_seq, x)) {
            /* Data sent once goes out in sequence order: nothing above a record sent
             * once, not before RACK.xmit_ts, was sent before it either (a record sent
             * again was sent later still). */
            if (!(x->flags & TCP_XR_EVER_RXT)) break;
            continue;
        }
        if (x->flags & TCP_XR_SACKED) continue;
        /* Lost and not yet sent again: nothing more to learn about it. */
        if ((x->flags & TCP_XR_LOST) && !(x->flags & TCP_XR_RXT)) continue;
        uint64_t due = x->ts + k->rtt + reo;
        if (due <= now) {
            uint32_t n = x->end - rec_start(t, i);
            acct(t, x->flags, n, false);
            x->flags |= TCP_XR_LOST;
            x->flags &= (uint8_t)~TCP_XR_RXT; /* a lost retransmission: it goes again */
            acct(t, x->flags, n, true);
            dirty_rec(t, i);
            lost = true;
        } else if (due - now > timeout) {
            timeout = due - now;
        }
    }
    if (lost) coalesce(t);
    if (timeout) t->t_rack = now + timeout;
    return lost;
}

void tcp_rack_on_rto(struct tcb *t)
{
    /* RFC 8985 §6.3 and RFC 6675 §5.1: after a timeout everything outstanding is presumed
     * lost and the SACK information is dropped (the peer may have reneged). What was
     * SACKed stays known as such (TCP_XR_WAS_SACKED): when the peer acknowledges it after
     * all, that is no reordering (RFC 8985 §6.2 step 3) and no delivery of its own; Linux
     * keeps the SACKed marks through a timeout unless the peer reneged, to the same end. */
    for (int i = 0; i < t->xr_n; i++) {
        uint8_t f = t->xr[i].flags;
        uint8_t was = (f & (TCP_XR_SACKED | TCP_XR_WAS_SACKED)) ? TCP_XR_WAS_SACKED : 0;
        t->xr[i].flags = (uint8_t)(TCP_XR_LOST | was | (f & TCP_XR_EVER_RXT));
    }
    t->rack.sacked = 0;
    recount(t);
    t->rack.dirty_all = true;
    if (t->xr) coalesce(t);
    t->t_rack = 0;
}

void tcp_rack_unmark_lost(struct tcb *t)
{
    for (int i = 0; i < t->xr_n; i++) t->xr[i].flags &= (uint8_t)~TCP_XR_LOST;
    recount(t);
    t->rack.dirty_all = true;
    if (t->xr) coalesce(t);
}

bool tcp_rack_is_lost(const struct tcb *t, uint32_t seq)
{
    int i = find(t, seq);
    return i < t->xr_n && seq_geq(seq, rec_start(t, i)) && (t->xr[i].flags & TCP_XR_LOST);
}

bool tcp_rack_any_lost(const struct tcb *t)
{
    /* Records are never empty: lost bytes not SACKed are a record deemed lost. */
    struct tcp_rack c;
    return counts(t, &c)->lost > 0;
}

uint64_t tcp_rack_oldest_rxt(const struct tcb *t, uint64_t now)
{
    /* When the oldest retransmission still outstanding went (not SACKed: its copy is known
     * to have arrived), or now if none: an ACK it draws echoes that time, not older. */
    uint64_t oldest = now;
    for (int i = 0; i < t->xr_n; i++) {
        const struct tcp_xrec *x = &t->xr[i];
        if ((x->flags & (TCP_XR_EVER_RXT | TCP_XR_SACKED)) == TCP_XR_EVER_RXT && x->ts < oldest)
            oldest = x->ts;
    }
    /* A merge may have dated the oldest one later (compact): an older floor is the safe
     * answer (an older RetransmitTS calls fewer recoveries spurious, never a real one). */
    if (oldest < now && t->rack.rxt_floor && t->rack.rxt_floor < oldest) oldest = t->rack.rxt_floor;
    return oldest;
}

uint32_t tcp_rack_sacked_bytes(const struct tcb *t)
{
    return t->rack.sacked;
}

uint32_t tcp_rack_pipe(const struct tcb *t)
{
    /* RFC 6675 §4 SetPipe with RACK's marks (Linux: packets_out - sacked_out - lost_out +
     * retrans_out): each unSACKed byte counts once unless it is deemed lost, and once more
     * while a retransmission of it is in flight: the counts kept (acct). The FIN's sequence
     * number is not data: what of the last records lies beyond the data's end (the FIN's one
     * byte) is taken away, walking back from the end. */
    /* Debug builds (the tests') check the counts against a recount at every use. */
    assert(tcp_rack_counts_ok(t));
    struct tcp_rack c;
    const struct tcp_rack *k = counts(t, &c);
    uint32_t pipe = k->out + k->rxt;
    uint32_t data_end = tcp_data_end(t);
    for (int i = t->xr_n - 1; i >= 0 && seq_gt(t->xr[i].end, data_end); i--) {
        const struct tcp_xrec *x = &t->xr[i];
        if (x->flags & TCP_XR_SACKED) continue;
        uint32_t s = rec_start(t, i);
        uint32_t n = x->end - (seq_lt(s, data_end) ? data_end : s);
        if (!(x->flags & TCP_XR_LOST)) pipe -= n;
        if (x->flags & TCP_XR_RXT) pipe -= n;
    }
    return pipe;
}

bool tcp_rack_next_lost(const struct tcb *t, uint32_t *seq, uint32_t *len)
{
    /* RFC 6675 §4 NextSeg rule (1) with RACK's marks: the first range deemed lost and not
     * yet sent again since. None, as the counts say: nothing to look for. */
    struct tcp_rack c;
    if (counts(t, &c)->lost_unsent == 0) return false;
    uint32_t data_end = tcp_data_end(t);
    for (int i = 0; i < t->xr_n; i++) {
        uint8_t f = t->xr[i].flags;
        if ((f & (TCP_XR_LOST | TCP_XR_SACKED | TCP_XR_RXT)) != TCP_XR_LOST) continue;
        uint32_t s = rec_start(t, i), e = seq_lt(data_end, t->xr[i].end) ? data_end : t->xr[i].end;
        if (!seq_lt(s, e)) continue;
        *seq = s;
        *len = e - s;
        return true;
    }
    return false;
}
