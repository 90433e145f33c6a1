/*
 * tools/synack/live_web.c - the events behind GET /live and GET /events (see live_web.h).
 */
#include "live_web.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture/analyze.h"
#include "capture/capture.h"
#include "capture/report.h"
#include "trace/ladder_row.h"

#define LIVE_RING      2048        /* events kept for the viewers */
#define LIVE_ROWS_KEPT 200         /* rows of a connection kept for a page that opens it later */
#define LIVE_RECS      1000        /* segments kept for its time-sequence graph */
#define LIVE_VBUF      8192        /* one formatted event */
#define LIVE_PING_US   10000000ull /* a comment when nothing happened for this long */
#define LINUX_TW_US    60000000ull /* Linux's TIME-WAIT (TCP_TIMEWAIT_LEN) */

enum { EV_ROW = 1, EV_CONN };

struct live_web;
struct lw_conn {
    struct live_web *w;
    bool used, open, muted;
    uint32_t id;
    struct synack_addr raddr;
    uint16_t rport, lport;
    int us;       /* synack's side in the analyser's connection (0 or 1), -1 unknown */
    int us_state; /* synack's own state, from the stack */
    tr_analyzer *an;
    struct tr_conn *tc;
    synack_ladder *ladder;
    uint64_t frames, first, last, closed_at;
    uint64_t tw_until; /* a TIME-WAIT's end (0: none) */
    int tw_side;
    uint64_t t0;
    struct ladder_row *rows;
    uint32_t nrows, caprows;
    uint64_t rows_total, muted_rows;
};

struct lw_event {
    uint64_t seq;
    uint32_t conn;
    uint8_t kind;
    uint32_t row_no;
    uint64_t t0;
    struct ladder_row row;
};

struct lw_viewer {
    bool used, hello;
    int sd;
    uint32_t filter;
    uint64_t cursor, dropped, dropped_told, last_write;
    size_t len, off;
    char buf[LIVE_VBUF];
};

struct live_web {
    struct live_web_opts o;
    struct lw_conn *conns;
    uint32_t next_id;
    struct lw_event *ring;
    uint64_t head; /* the sequence number of the next event */
    struct lw_viewer *viewers;
    uint64_t now, start;
    /* counters for /stats */
    uint64_t events, dropped, conns_seen, conns_forgotten, viewers_refused;
};

struct live_web *live_web_new(const struct live_web_opts *o)
{
    struct live_web *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->o = *o;
    if (w->o.max_conns < 1) w->o.max_conns = 1;
    w->conns = calloc(w->o.max_conns, sizeof *w->conns);
    w->ring = calloc(LIVE_RING, sizeof *w->ring);
    w->viewers = calloc(w->o.max_viewers ? w->o.max_viewers : 1, sizeof *w->viewers);
    if (!w->conns || !w->ring || !w->viewers) {
        live_web_free(w);
        return NULL;
    }
    return w;
}

static void conn_forget(struct lw_conn *c)
{
    synack_ladder_free(c->ladder);
    tr_analyzer_free(c->an);
    free(c->rows);
    memset(c, 0, sizeof *c);
}

void live_web_free(struct live_web *w)
{
    if (!w) return;
    for (uint32_t i = 0; w->conns && i < w->o.max_conns; i++)
        if (w->conns[i].used) conn_forget(&w->conns[i]);
    free(w->conns);
    free(w->ring);
    free(w->viewers);
    free(w);
}

static struct lw_event *push(struct live_web *w, uint32_t conn, uint8_t kind)
{
    struct lw_event *e = &w->ring[w->head % LIVE_RING];
    e->seq = w->head++;
    e->conn = conn;
    e->kind = kind;
    w->events++;
    return e;
}

static struct lw_conn *by_id(struct live_web *w, uint32_t id)
{
    for (uint32_t i = 0; id && i < w->o.max_conns; i++)
        if (w->conns[i].used && w->conns[i].id == id) return &w->conns[i];
    return NULL;
}

static struct lw_conn *find(struct live_web *w, const struct synack_addr *raddr, uint16_t rport,
                            uint16_t lport)
{
    for (uint32_t i = 0; i < w->o.max_conns; i++) {
        struct lw_conn *c = &w->conns[i];
        if (c->used && synack_addr_eq(&c->raddr, raddr) && c->rport == rport && c->lport == lport)
            return c;
    }
    return NULL;
}

/* A slot for a new connection: a free one, else the one closed longest ago, else the one
 * quiet longest (never a viewer's own). */
static struct lw_conn *slot(struct live_web *w)
{
    struct lw_conn *best = NULL;
    for (uint32_t i = 0; i < w->o.max_conns; i++) {
        struct lw_conn *c = &w->conns[i];
        if (!c->used) return c;
        if (c->muted && c->open) continue;
        if (!best || (!c->open && best->open) ||
            (c->open == best->open &&
             (c->open ? c->last < best->last : c->closed_at < best->closed_at)))
            best = c;
    }
    if (best) {
        w->conns_forgotten++;
        push(w, best->id, EV_CONN); /* told as gone */
        conn_forget(best);
    }
    return best;
}

/* ---- rows ---------------------------------------------------------------------------------- */

/* The ladder's sink: a row is kept (the first LIVE_ROWS_KEPT) and goes into the ring. */
static void on_row(void *ctx, const struct ladder_row *r, uint64_t t0)
{
    struct lw_conn *c = ctx;
    c->t0 = t0;
    if (c->nrows < LIVE_ROWS_KEPT) {
        if (c->nrows == c->caprows) {
            uint32_t cap = c->caprows ? c->caprows * 2 : 16;
            if (cap > LIVE_ROWS_KEPT) cap = LIVE_ROWS_KEPT;
            struct ladder_row *n = realloc(c->rows, cap * sizeof *n);
            if (n) {
                c->rows = n;
                c->caprows = cap;
            }
        }
        if (c->nrows < c->caprows) c->rows[c->nrows++] = *r;
    }
    uint32_t no = (uint32_t)c->rows_total++;
    if (c->muted) {
        c->muted_rows++;
        return;
    }
    struct lw_event *e = push(c->w, c->id, EV_ROW);
    e->row_no = no;
    e->t0 = t0;
    e->row = *r;
}

static void conn_changed(struct live_web *w, struct lw_conn *c)
{
    if (!c->muted) push(w, c->id, EV_CONN);
}

/* ---- the trace callback -----------------------------------------------------------------------
 */

static struct lw_conn *conn_new(struct live_web *w, const struct synack_addr *raddr, uint16_t rport,
                                uint16_t lport, uint64_t now)
{
    struct lw_conn *c = slot(w);
    if (!c) return NULL;
    struct tr_analyzer_opts ao = {.keep_recs = LIVE_RECS, .keep_conns = 4, .max_conns = 4};
    c->an = tr_analyzer_new(&ao);
    if (!c->an) return NULL;
    c->w = w;
    c->used = c->open = true;
    c->id = ++w->next_id;
    c->raddr = *raddr;
    c->rport = rport;
    c->lport = lport;
    c->us = -1;
    c->us_state = -1;
    c->first = c->last = now;
    w->conns_seen++;
    return c;
}

static void seg(struct live_web *w, struct lw_conn *c, const struct synack_trace_event *ev)
{
    struct tr_packet p;
    memset(&p, 0, sizeof p);
    enum tr_pkt_kind kind = ev->seg.family == SYNACK_AF_INET6
                                ? tr_decode_ipv6(ev->pkt, ev->pkt_len, ev->pkt_len, &p)
                                : tr_decode_ipv4(ev->pkt, ev->pkt_len, ev->pkt_len, &p);
    if (kind != TR_PKT_TCP4 && kind != TR_PKT_TCP6) return;
    p.frame = ++c->frames;
    p.ts_us = ev->now;
    p.caplen = p.origlen = ev->pkt_len;
    struct tr_rec rec;
    struct tr_conn *tc = tr_analyze(c->an, &p, &rec);
    if (!tc) return;
    int before[2] = {c->tc ? c->tc->state[0] : -1, c->tc ? c->tc->state[1] : -1};
    if (tc != c->tc) {
        /* the first segment, or the 4-tuple reused: a new ladder */
        c->tc = tc;
        /* synack's side: the one that is not the peer's endpoint */
        struct synack_addr a0 = tr_addr_to(&tc->addr[0]);
        c->us = synack_addr_eq(&a0, &c->raddr) && tc->port[0] == c->rport ? 1 : 0;
        synack_ladder_free(c->ladder);
        c->ladder = tr_ladder_new(NULL, tc, false, false, on_row, c);
        before[0] = before[1] = -1;
    }
    if (c->ladder) tr_ladder_rec(c->ladder, tc, &rec);
    /* the kernel's TIME-WAIT (inferred): Linux holds it 60 s */
    int k = c->us == 0 ? 1 : 0; /* the kernel's side (c->us is 0 or 1 once tc is set) */
    if (tc->state[k] == SYNACK_TIME_WAIT && before[k] != SYNACK_TIME_WAIT) {
        c->tw_until = ev->now + LINUX_TW_US;
        c->tw_side = k;
    }
    if (tc->state[0] != before[0] || tc->state[1] != before[1]) conn_changed(w, c);
}

void live_web_event(void *ctx, const struct synack_trace_event *ev)
{
    struct live_web *w = ctx;
    struct synack_addr raddr;
    uint16_t lport, rport;
    if (ev->has_seg && (ev->kind == SYNACK_TRACE_SEG_IN || ev->kind == SYNACK_TRACE_DROP)) {
        lport = ev->seg.tcp.dport;
        raddr = ev->seg.src, rport = ev->seg.tcp.sport;
    } else if (ev->has_seg) { /* SEG_OUT, LINK of what we sent */
        lport = ev->seg.tcp.sport;
        raddr = ev->seg.dst, rport = ev->seg.tcp.dport;
    } else if (ev->kind == SYNACK_TRACE_STATE) {
        lport = ev->local_port;
        raddr = ev->remote_addr, rport = ev->remote_port;
    } else {
        return; /* ICMP, timers, drops before parsing: not a connection's row */
    }
    w->now = ev->now;
    if (!w->start) w->start = ev->now;
    struct lw_conn *c = find(w, &raddr, rport, lport);
    if (!c && ev->kind == SYNACK_TRACE_LINK) /* inbound faults: the far end sent it */
        c = find(w, &ev->seg.dst, ev->seg.tcp.dport, ev->seg.tcp.sport);
    if (!c) {
        /* A connection starts with the peer's SYN (or ours) */
        bool syn = ev->has_seg &&
                   (ev->kind == SYNACK_TRACE_SEG_IN || ev->kind == SYNACK_TRACE_SEG_OUT) &&
                   (ev->seg.tcp.flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK | SYNACK_TCP_RST)) ==
                       SYNACK_TCP_SYN;
        if (!syn) return;
        c = conn_new(w, &raddr, rport, lport, ev->now);
        if (!c) return;
        conn_changed(w, c);
    }
    c->last = ev->now;
    switch (ev->kind) {
    case SYNACK_TRACE_SEG_IN:
    case SYNACK_TRACE_SEG_OUT:
        if (ev->pkt) seg(w, c, ev);
        break;
    case SYNACK_TRACE_DROP:
    case SYNACK_TRACE_LINK:
        if (c->ladder) synack_ladder_event(c->ladder, ev);
        break;
    case SYNACK_TRACE_STATE:
        c->us_state = ev->new_state;
        if (ev->new_state == SYNACK_TIME_WAIT) {
            c->tw_until = ev->now + 2 * w->o.msl_us;
            c->tw_side = c->us;
        }
        if (ev->new_state == SYNACK_CLOSED) {
            c->open = false;
            c->closed_at = ev->now;
            if (c->tw_until && c->tw_side == c->us && c->ladder) {
                synack_ladder_note(c->ladder, ev->now, "TIME-WAIT over: synack is CLOSED");
                c->tw_until = 0;
            }
        }
        conn_changed(w, c);
        break;
    default:
        break;
    }
}

void live_web_flush(struct live_web *w, uint64_t now)
{
    w->now = now;
    for (uint32_t i = 0; i < w->o.max_conns; i++) {
        struct lw_conn *c = &w->conns[i];
        if (!c->used) continue;
        if (c->ladder) synack_ladder_finish(c->ladder);
        /* the kernel's side never tells us it left TIME-WAIT: the connection is closed for
         * display when synack's side is and the kernel's TIME-WAIT ran out */
        if (c->open && c->us_state == SYNACK_CLOSED && (!c->tw_until || now >= c->tw_until)) {
            c->open = false;
            c->closed_at = now;
            conn_changed(w, c);
        }
    }
}

/* ---- JSON -------------------------------------------------------------------------------------
 */

static const char *state_str(int st)
{
    return st >= 0 ? synack_state_name(st) : "";
}

static void conn_json(struct live_web *w, const struct lw_conn *c, FILE *f)
{
    char a[TR_ENDPOINT_STRLEN] = "", b[TR_ENDPOINT_STRLEN] = "";
    int st[2] = {-1, -1};
    if (c->tc) {
        tr_endpoint_str(&c->tc->addr[0], c->tc->port[0], a, sizeof a);
        tr_endpoint_str(&c->tc->addr[1], c->tc->port[1], b, sizeof b);
        st[0] = c->tc->state[0];
        st[1] = c->tc->state[1];
        if (c->us >= 0 && c->us_state >= 0) st[c->us] = c->us_state; /* the stack's own */
    }
    fprintf(f,
            "{\"id\":%" PRIu32 ",\"client\":\"%s\",\"server\":\"%s\",\"us\":%d,"
            "\"st\":[\"%s\",\"%s\"],\"open\":%s,\"muted\":%s,\"rows\":%" PRIu64
            ",\"age_ms\":%" PRIu64,
            c->id, a, b, c->us, state_str(st[0]), state_str(st[1]), c->open ? "true" : "false",
            c->muted ? "true" : "false", c->rows_total, (w->now - c->first) / 1000);
    if (c->tw_until && c->tw_until > w->now && c->tw_side >= 0)
        fprintf(f, ",\"tw_side\":%d,\"tw_left_ms\":%" PRIu64 ",\"tw_of_ms\":%" PRIu64, c->tw_side,
                (c->tw_until - w->now) / 1000,
                (uint64_t)(c->tw_side == c->us ? 2 * w->o.msl_us : LINUX_TW_US) / 1000);
    fputs("}", f);
}

/* {"i":N,"h":H,"svg":"..."} of one row */
static void row_json(const struct ladder_row *r, uint32_t no, uint64_t t0, FILE *f)
{
    char svg[4096];
    FILE *m = fmemopen(svg, sizeof svg, "w");
    int h = 0;
    if (m) {
        h = ladder_svg_row(m, r, t0);
        if (fclose(m) != 0) svg[0] = 0;
    } else {
        svg[0] = 0;
    }
    svg[sizeof svg - 1] = 0;
    fprintf(f, "{\"i\":%" PRIu32 ",\"h\":%d,\"svg\":\"", no, h);
    ladder_json_escape(f, svg);
    fputs("\"}", f);
}

static void head_json(const struct lw_conn *c, FILE *f)
{
    char left[112] = "", right[112] = "", svg[2048] = "";
    if (c->ladder) ladder_headings(c->ladder, left, right, sizeof left);
    FILE *m = fmemopen(svg, sizeof svg, "w");
    if (m) {
        ladder_svg_head(m, left, right);
        if (fclose(m) != 0) svg[0] = 0;
    }
    svg[sizeof svg - 1] = 0;
    fputs("\"head\":\"", f);
    ladder_json_escape(f, svg);
    fputs("\"", f);
}

int live_web_rows_json(struct live_web *w, uint32_t conn, FILE *f)
{
    struct lw_conn *c = by_id(w, conn);
    if (!c) return -1;
    fputs("{\"conn\":", f);
    conn_json(w, c, f);
    fputs(",", f);
    head_json(c, f);
    fprintf(f, ",\"not_kept\":%" PRIu64 ",\"muted_rows\":%" PRIu64 ",\"rows\":[",
            c->rows_total - c->nrows, c->muted_rows);
    for (uint32_t i = 0; i < c->nrows; i++) {
        if (i) fputs(",\n", f);
        row_json(&c->rows[i], i, c->t0, f);
    }
    fputs("]}\n", f);
    return 0;
}

int live_web_seq_svg(struct live_web *w, uint32_t conn, FILE *f)
{
    struct lw_conn *c = by_id(w, conn);
    if (!c || !c->tc) return -1;
    return tr_svg_seq(f, c->tc);
}

void live_web_stats_json(const struct live_web *w, FILE *f)
{
    uint32_t viewers = 0, conns = 0;
    for (uint32_t i = 0; i < w->o.max_viewers; i++) viewers += w->viewers[i].used;
    for (uint32_t i = 0; i < w->o.max_conns; i++) conns += w->conns[i].used;
    fprintf(f,
            "\"live\":{\"viewers\":%" PRIu32 ",\"max_viewers\":%" PRIu32
            ",\"viewers_refused\":%" PRIu64 ",\"conns_kept\":%" PRIu32 ",\"max_conns\":%" PRIu32
            ",\"conns_seen\":%" PRIu64 ",\"conns_forgotten\":%" PRIu64 ",\"events\":%" PRIu64
            ",\"ring\":%d,\"dropped\":%" PRIu64 "}",
            viewers, w->o.max_viewers, w->viewers_refused, conns, w->o.max_conns, w->conns_seen,
            w->conns_forgotten, w->events, LIVE_RING, w->dropped);
}

/* ---- viewers ----------------------------------------------------------------------------------
 */

int live_viewer_open(struct live_web *w, synack_stack *s, int sd, uint32_t conn, uint64_t now)
{
    for (uint32_t i = 0; i < w->o.max_viewers; i++) {
        struct lw_viewer *v = &w->viewers[i];
        if (v->used) continue;
        memset(v, 0, sizeof *v);
        v->used = true;
        v->sd = sd;
        v->filter = conn;
        v->cursor = w->head;
        v->last_write = now;
        struct synack_sockinfo si;
        if (synack_getinfo(s, sd, &si) == 0) {
            struct lw_conn *c = find(w, &si.remote.addr, si.remote.port, si.local.port);
            if (c) {
                c->muted = true;
                push(w, c->id, EV_CONN); /* once more, to say it is muted */
            }
        }
        return (int)i;
    }
    w->viewers_refused++;
    return -1;
}

void live_viewer_close(struct live_web *w, int v)
{
    if (v >= 0 && (uint32_t)v < w->o.max_viewers) w->viewers[v].used = false;
}

/* A viewer that fell behind the ring loses what it missed: counted at once, also while its
 * window is closed, so that the counter moves while it does not read. */
static void catch_up(struct live_web *w, struct lw_viewer *v)
{
    uint64_t oldest = w->head > LIVE_RING ? w->head - LIVE_RING : 0;
    if (v->cursor < oldest) {
        v->dropped += oldest - v->cursor;
        w->dropped += oldest - v->cursor;
        v->cursor = oldest;
    }
}

/* Formats the viewer's next event into its buffer; false when there is none. */
static bool next_event(struct live_web *w, struct lw_viewer *v, uint64_t now)
{
    FILE *f = fmemopen(v->buf, sizeof v->buf, "w");
    if (!f) return false;
    bool any = true;
    if (!v->hello) {
        v->hello = true;
        fprintf(f, "retry: 2000\nevent: hello\ndata: {\"ring\":%d,\"conns\":[", LIVE_RING);
        bool first = true;
        for (uint32_t i = 0; i < w->o.max_conns; i++) {
            const struct lw_conn *c = &w->conns[i];
            if (!c->used || (v->filter && c->id != v->filter)) continue;
            if (!first) fputs(",", f);
            conn_json(w, c, f);
            first = false;
        }
        fputs("]}\n\n", f);
    } else if (v->dropped != v->dropped_told) {
        v->dropped_told = v->dropped;
        fprintf(f, "event: dropped\ndata: {\"dropped\":%" PRIu64 "}\n\n", v->dropped);
    } else if (v->cursor < w->head) {
        const struct lw_event *e = &w->ring[v->cursor++ % LIVE_RING];
        const struct lw_conn *c = by_id(w, e->conn);
        if (v->filter && e->conn != v->filter) {
            any = true; /* nothing written: an empty event is skipped below */
        } else if (e->kind == EV_ROW) {
            fprintf(f, "event: row\ndata: {\"c\":%" PRIu32 ",\"row\":", e->conn);
            row_json(&e->row, e->row_no, e->t0, f);
            fputs("}\n\n", f);
        } else if (!c) {
            fprintf(f, "event: gone\ndata: {\"id\":%" PRIu32 "}\n\n", e->conn);
        } else {
            fputs("event: conn\ndata: ", f);
            conn_json(w, c, f);
            fputs("\n\n", f);
        }
    } else if (now - v->last_write >= LIVE_PING_US) {
        fputs(": ping\n\n", f);
    } else {
        any = false;
    }
    long n = ftell(f);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad || n < 0 || (size_t)n >= sizeof v->buf) n = 0; /* too long */
    v->len = (size_t)n;
    v->off = 0;
    return any;
}

long live_viewer_io(struct live_web *w, int vi, synack_stack *s, uint64_t now)
{
    if (vi < 0 || (uint32_t)vi >= w->o.max_viewers) return SYNACK_EINVAL;
    struct lw_viewer *v = &w->viewers[vi];
    long sent = 0;
    for (int guard = 0; guard < 4096; guard++) {
        catch_up(w, v);
        if (v->off < v->len) {
            long r = synack_send(s, v->sd, now, v->buf + v->off, v->len - v->off);
            if (r == SYNACK_EAGAIN) return sent; /* its window is full: it will lose events */
            if (r < 0) return r;
            v->off += (size_t)r;
            sent += r;
            v->last_write = now;
            if (v->off < v->len) return sent;
            continue;
        }
        if (!next_event(w, v, now)) break;
    }
    return sent;
}
