/*
 * trace/ladder.c - draws trace events as a text ladder diagram, one connection, two columns.
 *
 * Layout (width 100 by default):
 *
 *     time ms  client 10.0.0.1:49152                                   server 10.0.0.2:7
 *       0.000       SYN-SENT │── SYN seq=0 len=0 win=65535 <mss 1460> ──────────▶│
 *       5.000                │◀──────────── SYN,ACK seq=0 ack=1 len=0 win=65535 ──│ SYN-RECEIVED
 *
 * A segment is drawn once, at its SEG_OUT, from the column of the endpoint that sent it;
 * SEG_IN is ignored so that a demo tracing both stacks does not draw everything twice. A state
 * entered is written in its endpoint's column; it shares the line of a segment that the same
 * side sent at the same instant, since that is one step of RFC 9293 §3.10's event processing.
 *
 * Sequence numbers are relative to each side's ISN (taken from its SYN, or from the first
 * number seen when the SYN is not in the stream, as Wireshark does); windows are shown in
 * bytes, scaled once both SYNs carried the window-scale option (RFC 7323 §2.2: never on SYNs).
 *
 * Streaming with bounded memory: a link reports a loss (or duplication...) in a LINK event
 * after the SEG_OUT of the datagram, possibly after a burst of other segments left the stack's
 * queue. So up to LADDER_HOLD lines are held back, as records, and a LINK event marks the most
 * recent held segment it matches; the oldest line is printed when the hold is full, and
 * synack_ladder_finish() prints the rest.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "synack/trace.h"
#include "trace/ladder_row.h"
#include "trace/text.h"
#include "wire/wire.h"

#define LADDER_HOLD 64 /* lines held for LINK marks: more than a burst of queued segments */
#define LADDER_TIME 12 /* "%10.3f" and two spaces */
#define LADDER_COL  14 /* each state column: "SYN-RECEIVED" and a margin */

enum { SIDE_LEFT = 0, SIDE_RIGHT = 1 };

enum {
    MARK_LOST = LADDER_MARK_LOST,
    MARK_QDROP = LADDER_MARK_QDROP,
    MARK_DUP = LADDER_MARK_DUP,
    MARK_REORDER = LADDER_MARK_REORDER,
    MARK_CORRUPT = LADDER_MARK_CORRUPT,
};

struct synack_ladder {
    FILE *out;
    struct synack_ladder_opts opts;
    int width, mid;
    struct synack_addr addr[2];
    uint16_t port[2];
    bool known[2];
    char who[2][32];
    bool header_done;
    bool have_t0;
    uint64_t t0;
    /* per side's sequence space */
    bool have_base[2];
    uint32_t base[2];
    bool syn_seen[2];
    bool has_ws[2];
    uint8_t ws[2];
    struct ladder_row hold[LADDER_HOLD];
    int head, count;
    ladder_row_fn row_fn; /* rows go there instead of out */
    void *row_ctx;
};

static synack_ladder *ladder_alloc(FILE *out, const struct synack_ladder_opts *opts,
                                   struct synack_addr left_addr, uint16_t left_port,
                                   struct synack_addr right_addr, uint16_t right_port)
{
    synack_ladder *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->out = out;
    if (opts) l->opts = *opts;
    l->width = l->opts.width > 0 ? l->opts.width : 100;
    if (l->width < 80) l->width = 80;
    if (l->width > 400) l->width = 400;
    l->mid = l->width - LADDER_TIME - 2 * LADDER_COL - 2;
    l->addr[SIDE_LEFT] = left_addr;
    l->port[SIDE_LEFT] = left_port;
    l->addr[SIDE_RIGHT] = right_addr;
    l->port[SIDE_RIGHT] = right_port;
    /* The unspecified address (SYNACK_ADDR_ANY) with port 0 means "learn it from the first
     * event of a connection". */
    l->known[SIDE_LEFT] = left_addr.family || left_port;
    l->known[SIDE_RIGHT] = right_addr.family || right_port;
    if (l->opts.left_name) snprintf(l->who[SIDE_LEFT], sizeof l->who[0], "%s", l->opts.left_name);
    if (l->opts.right_name)
        snprintf(l->who[SIDE_RIGHT], sizeof l->who[0], "%s", l->opts.right_name);
    return l;
}

synack_ladder *synack_ladder_new(FILE *out, const struct synack_ladder_opts *opts,
                                 struct synack_addr left_addr, uint16_t left_port,
                                 struct synack_addr right_addr, uint16_t right_port)
{
    if (!out) return NULL;
    return ladder_alloc(out, opts, left_addr, left_port, right_addr, right_port);
}

synack_ladder *ladder_new_rows(const struct synack_ladder_opts *opts, struct synack_addr left_addr,
                               uint16_t left_port, struct synack_addr right_addr,
                               uint16_t right_port, ladder_row_fn fn, void *ctx)
{
    synack_ladder *l = ladder_alloc(NULL, opts, left_addr, left_port, right_addr, right_port);
    if (l) ladder_set_row_sink(l, fn, ctx);
    return l;
}

void ladder_set_row_sink(synack_ladder *l, ladder_row_fn fn, void *ctx)
{
    l->row_fn = fn;
    l->row_ctx = ctx;
}

/* ---- output ------------------------------------------------------------------------------ */

static const char *const C_STATE = "\033[1m";
static const char *const C_SYN = "\033[32m";
static const char *const C_FIN = "\033[34m";
static const char *const C_RST = "\033[31m";
static const char *const C_MARK = "\033[33m";
static const char *const C_DIM = "\033[2m";

void ladder_headings(synack_ladder *l, char *left, char *right, size_t cap)
{
    for (int s = 0; s < 2; s++) {
        char *dst = s == SIDE_LEFT ? left : right;
        char ep[64];
        ladder_endpoint_str(&l->addr[s], l->port[s], ep, sizeof ep);
        const char *name = l->who[s][0] ? l->who[s] : (s == SIDE_LEFT ? "left" : "right");
        snprintf(dst, cap, "%s %s", name, ep);
    }
}

static void emit_header(synack_ladder *l)
{
    char left[112] = "", right[112] = ""; /* both filled by ladder_headings */
    ladder_headings(l, left, right, sizeof left);
    int pad = l->width - LADDER_TIME - (int)strlen(left) - (int)strlen(right);
    if (pad < 1) pad = 1;
    fprintf(l->out, "%*s  %s%*s%s\n", LADDER_TIME - 2, "time ms", left, pad, "", right);
    l->header_done = true;
}

static const char *seg_color(uint16_t flags)
{
    if (flags & SYNACK_TCP_RST) return C_RST;
    if (flags & SYNACK_TCP_SYN) return C_SYN;
    if (flags & SYNACK_TCP_FIN) return C_FIN;
    return NULL;
}

/* Splits text into lines of at most cap columns, at token boundaries (a token longer than cap
 * gets a line of its own). Returns the number of lines written to lines[]. */
static int wrap_tokens(const char *text, int cap, char lines[][LADDER_TEXT], int max_lines)
{
    int n = 0;
    lines[0][0] = 0;
    int cols = 0;
    const char *p = text;
    while (*p && n < max_lines) {
        const char *end = strchr(p, LADDER_TOK);
        size_t tlen = end ? (size_t)(end - p) : strlen(p);
        char tok[LADDER_TEXT];
        if (tlen >= sizeof tok) tlen = sizeof tok - 1;
        memcpy(tok, p, tlen);
        tok[tlen] = 0;
        int tcols = ladder_text_cols(tok);
        if (cols > 0 && cols + 1 + tcols > cap) {
            if (++n >= max_lines) break;
            lines[n][0] = 0;
            cols = 0;
        }
        size_t have = strlen(lines[n]);
        snprintf(lines[n] + have, LADDER_TEXT - have, "%s%s", cols ? " " : "", tok);
        cols += (cols ? 1 : 0) + tcols;
        p = end ? end + 1 : p + tlen;
    }
    return n < max_lines ? n + 1 : max_lines;
}

/* Writes one label line's words: marks, "(...)" possibly of several words, in the mark
 * colour, the rest in col. */
static void put_label(struct ladder_buf *b, const char *line, const char *col, bool color)
{
    const char *p = line;
    bool in_mark = false;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        char word[LADDER_TEXT];
        if (n >= sizeof word) n = sizeof word - 1;
        memcpy(word, p, n);
        word[n] = 0;
        if (word[0] == '(') in_mark = true;
        ladder_buf_put(b, word, color ? (in_mark ? C_MARK : col) : NULL);
        if (n && word[n - 1] == ')') in_mark = false;
        if (sp) ladder_buf_put(b, " ", NULL);
        p = sp ? sp + 1 : p + n;
    }
}

/* The columns left of the middle: time (or blanks) and the left state. */
static void put_left(synack_ladder *l, struct ladder_buf *b, const struct ladder_row *ln,
                     bool first)
{
    if (first) {
        char t[32];
        uint64_t dt = ln->now - l->t0;
        snprintf(t, sizeof t, "%6" PRIu64 ".%03" PRIu64, dt / 1000, dt % 1000);
        ladder_buf_printf(b, NULL, "%*s  ", LADDER_TIME - 2, t);
    } else {
        ladder_buf_pad(b, LADDER_TIME);
    }
    if (first && ln->state[SIDE_LEFT] >= 0) {
        const char *name = synack_state_name(ln->state[SIDE_LEFT]);
        ladder_buf_pad(b, LADDER_TIME + LADDER_COL - 1 - (int)strlen(name));
        ladder_buf_put(b, name, l->opts.color ? C_STATE : NULL);
    }
    ladder_buf_pad(b, LADDER_TIME + LADDER_COL);
    ladder_buf_put(b, "│", NULL);
}

static void put_right(synack_ladder *l, struct ladder_buf *b, const struct ladder_row *ln,
                      bool first)
{
    ladder_buf_pad(b, LADDER_TIME + LADDER_COL + 1 + l->mid);
    ladder_buf_put(b, "│", NULL);
    if (first && ln->state[SIDE_RIGHT] >= 0) {
        ladder_buf_put(b, " ", NULL);
        ladder_buf_put(b, synack_state_name(ln->state[SIDE_RIGHT]), l->opts.color ? C_STATE : NULL);
    }
}

static void print_line(synack_ladder *l, const struct ladder_row *ln)
{
    if (!l->header_done) emit_header(l);
    bool color = l->opts.color;
    const int mid0 = LADDER_TIME + LADDER_COL + 1; /* first column of the middle */
    const bool lost = ln->marks & (MARK_LOST | MARK_QDROP);
    const char *lost_word = ln->marks & MARK_QDROP ? "queue drop" : "lost";
    /* room for text on the arrow line: "── " text " " shaft(>=1) "▶", or with a loss
     * "── " text " " shaft "✗ lost" and a gap of 4 so the arrow visibly stops short */
    int lost_cols = 2 + (int)strlen(lost_word) + 4;
    int cap = l->mid - 6 - (lost ? lost_cols : 0);
    char text[LADDER_TEXT];
    snprintf(text, sizeof text, "%s", ln->text);
    if (ln->has_seg) {
        /* link marks join the label as tokens */
        static const struct {
            unsigned bit;
            const char *word;
        } marks[] = {{MARK_DUP, "(duplicated)"},
                     {MARK_REORDER, "(reordered)"},
                     {MARK_CORRUPT, "(corrupted)"}};
        for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
            if (!(ln->marks & marks[i].bit)) continue;
            size_t have = strlen(text);
            snprintf(text + have, sizeof text - have, "%c%s", LADDER_TOK, marks[i].word);
        }
    }
    char lines[6][LADDER_TEXT];
    int wrap = !ln->note ? cap : ln->side < 0 ? l->mid - 8 : l->mid - 4;
    int nlines = text[0] ? wrap_tokens(text, wrap, lines, 6) : 0;
    if (nlines == 0) {
        lines[0][0] = 0;
        nlines = 1;
    }
    for (int i = 0; i < nlines; i++) {
        struct ladder_buf b;
        ladder_buf_init(&b);
        put_left(l, &b, ln, i == 0);
        int tcols = ladder_text_cols(lines[i]);
        const char *col = color ? seg_color(ln->flags) : NULL;
        if (ln->note && ln->side < 0) {
            /* a phase: centred, between dots */
            int dots = (l->mid - tcols - 2) / 2;
            int pairs = dots / 2;
            ladder_buf_pad(&b, mid0 + (dots - pairs * 2));
            ladder_buf_repeat(&b, " ·", pairs, color ? C_DIM : NULL);
            ladder_buf_put(&b, " ", NULL);
            ladder_buf_put(&b, lines[i], color ? C_STATE : NULL);
            ladder_buf_put(&b, " ", NULL);
            ladder_buf_repeat(&b, "· ", pairs, color ? C_DIM : NULL);
        } else if (ln->note) {
            /* a note sits against its side's line, dimmed */
            if (ln->side == SIDE_LEFT) {
                ladder_buf_pad(&b, mid0 + 1);
            } else {
                ladder_buf_pad(&b, mid0 + l->mid - 1 - tcols);
            }
            ladder_buf_put(&b, lines[i], color ? C_DIM : NULL);
        } else if (ln->has_seg && i == 0) {
            int fill = l->mid - tcols - 5 - (lost ? lost_cols : 0);
            if (fill < 1) fill = 1;
            if (ln->side == SIDE_LEFT) {
                ladder_buf_put(&b, "── ", col);
                put_label(&b, lines[i], col, color);
                ladder_buf_put(&b, " ", col);
                ladder_buf_repeat(&b, "─", fill, col);
                if (lost) {
                    ladder_buf_put(&b, "✗ ", color ? C_MARK : NULL);
                    ladder_buf_put(&b, lost_word, color ? C_MARK : NULL);
                } else {
                    ladder_buf_put(&b, "▶", col);
                }
            } else {
                if (lost) {
                    ladder_buf_pad(&b, mid0 + 5);
                    ladder_buf_put(&b, lost_word, color ? C_MARK : NULL);
                    ladder_buf_put(&b, " ✗", color ? C_MARK : NULL);
                } else {
                    ladder_buf_put(&b, "◀", col);
                }
                ladder_buf_repeat(&b, "─", fill, col);
                ladder_buf_put(&b, " ", col);
                put_label(&b, lines[i], col, color);
                ladder_buf_put(&b, " ──", col);
            }
        } else if (ln->has_seg) {
            /* continuation of a label: under the text of the arrow line */
            if (ln->side == SIDE_LEFT)
                ladder_buf_pad(&b, mid0 + 3);
            else
                ladder_buf_pad(&b, mid0 + l->mid - 3 - tcols);
            put_label(&b, lines[i], col, color);
        }
        put_right(l, &b, ln, i == 0);
        fprintf(l->out, "%s\n", b.s);
    }
}

static void flush_one(synack_ladder *l)
{
    if (l->count == 0) return;
    if (l->row_fn)
        l->row_fn(l->row_ctx, &l->hold[l->head], l->t0);
    else if (l->out)
        print_line(l, &l->hold[l->head]);
    l->head = (l->head + 1) % LADDER_HOLD;
    l->count--;
}

static struct ladder_row *newest(synack_ladder *l)
{
    if (l->count == 0) return NULL;
    return &l->hold[(l->head + l->count - 1) % LADDER_HOLD];
}

static struct ladder_row *push(synack_ladder *l, uint64_t now, int side)
{
    if (l->count == LADDER_HOLD) flush_one(l);
    struct ladder_row *ln = &l->hold[(l->head + l->count) % LADDER_HOLD];
    l->count++;
    memset(ln, 0, sizeof *ln);
    ln->now = now;
    ln->side = side;
    ln->state[0] = ln->state[1] = -1;
    if (!l->have_t0) {
        l->have_t0 = true;
        l->t0 = now;
    }
    return ln;
}

/* ---- which connection, which side -------------------------------------------------------- */

static bool is_side(const synack_ladder *l, int s, const struct synack_addr *addr, uint16_t port)
{
    return l->known[s] && synack_addr_eq(&l->addr[s], addr) && l->port[s] == port;
}

static void learn(synack_ladder *l, int s, const struct synack_addr *addr, uint16_t port,
                  const char *who)
{
    l->known[s] = true;
    l->addr[s] = *addr;
    l->port[s] = port;
    if (!l->who[s][0] && who) snprintf(l->who[s], sizeof l->who[s], "%s", who);
}

/* The side that sent a segment src -> dst, or -1 when it is not this connection's. Learns
 * unknown endpoints: the first segment's sender becomes the left column, unless the right one
 * is known already (a listener's LISTEN came first). */
static int seg_side(synack_ladder *l, const struct synack_addr *src, uint16_t sport,
                    const struct synack_addr *dst, uint16_t dport, const char *who)
{
    if (!l->known[SIDE_LEFT] || !l->known[SIDE_RIGHT]) {
        if (!l->known[SIDE_LEFT] && !l->known[SIDE_RIGHT]) {
            learn(l, SIDE_LEFT, src, sport, who);
            learn(l, SIDE_RIGHT, dst, dport, NULL);
        } else if (!l->known[SIDE_LEFT]) {
            if (is_side(l, SIDE_RIGHT, dst, dport))
                learn(l, SIDE_LEFT, src, sport, who);
            else if (is_side(l, SIDE_RIGHT, src, sport))
                learn(l, SIDE_LEFT, dst, dport, NULL);
        } else {
            if (is_side(l, SIDE_LEFT, src, sport))
                learn(l, SIDE_RIGHT, dst, dport, NULL);
            else if (is_side(l, SIDE_LEFT, dst, dport))
                learn(l, SIDE_RIGHT, src, sport, who);
        }
    }
    if (is_side(l, SIDE_LEFT, src, sport) && is_side(l, SIDE_RIGHT, dst, dport)) {
        if (!l->who[SIDE_LEFT][0] && who) snprintf(l->who[0], sizeof l->who[0], "%s", who);
        return SIDE_LEFT;
    }
    if (is_side(l, SIDE_RIGHT, src, sport) && is_side(l, SIDE_LEFT, dst, dport)) {
        if (!l->who[SIDE_RIGHT][0] && who) snprintf(l->who[1], sizeof l->who[1], "%s", who);
        return SIDE_RIGHT;
    }
    return -1;
}

/* The side of a STATE/TIMER event, from the stack's own view of the connection. A listener's
 * remote is the unspecified address, port 0, and belongs to whichever column has its local
 * endpoint. */
static int local_side(synack_ladder *l, const struct synack_trace_event *ev)
{
    bool listener = ev->remote_addr.family == SYNACK_AF_UNSPEC && ev->remote_port == 0;
    if (listener) {
        for (int s = 0; s < 2; s++)
            if (is_side(l, s, &ev->local_addr, ev->local_port)) return s;
        if (!l->known[SIDE_RIGHT] && !l->known[SIDE_LEFT]) {
            /* a server listens before anything else happens: it is the right column */
            learn(l, SIDE_RIGHT, &ev->local_addr, ev->local_port, ev->who);
            return SIDE_RIGHT;
        }
        return -1;
    }
    return seg_side(l, &ev->local_addr, ev->local_port, &ev->remote_addr, ev->remote_port, ev->who);
}

/* ---- labels ------------------------------------------------------------------------------ */

static void tok_add(char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tok_add(char *text, const char *fmt, ...)
{
    size_t have = strlen(text);
    if (have + 2 >= LADDER_TEXT) return;
    if (have) text[have++] = LADDER_TOK;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + have, LADDER_TEXT - have, fmt, ap);
    va_end(ap);
}

static uint32_t rel(const synack_ladder *l, int s, uint32_t v)
{
    return l->opts.absolute || !l->have_base[s] ? v : v - l->base[s];
}

/* Updates the ISN and window-scale knowledge of side s from its segment, then writes the
 * label tokens. */
static void seg_label(synack_ladder *l, int s, const struct synack_segment *seg, bool retransmit,
                      char *text)
{
    const struct synack_tcp_hdr *h = &seg->tcp;
    int o = 1 - s;
    if (h->flags & SYNACK_TCP_SYN) {
        if (!l->syn_seen[s] || !l->have_base[s] || l->base[s] != h->seq) {
            /* a new ISN (also a reuse of the 4-tuple): a new sequence space */
            l->base[s] = h->seq;
            l->have_base[s] = true;
            l->syn_seen[s] = true;
            l->has_ws[s] = h->opts.has_wscale;
            l->ws[s] = h->opts.has_wscale ? h->opts.wscale : 0;
        }
    } else if (!l->have_base[s]) {
        l->base[s] = h->seq;
        l->have_base[s] = true;
    }
    if ((h->flags & SYNACK_TCP_ACK) && !l->have_base[o]) {
        l->base[o] = h->ack - ((h->flags & SYNACK_TCP_SYN) ? 1 : 0);
        l->have_base[o] = true;
    }
    char fl[48];
    wire_flags_str(h->flags, fl, sizeof fl);
    text[0] = 0;
    tok_add(text, "%s", fl[0] ? fl : "none");
    tok_add(text, "seq=%" PRIu32, rel(l, s, h->seq));
    if (h->flags & SYNACK_TCP_ACK) tok_add(text, "ack=%" PRIu32, rel(l, o, h->ack));
    tok_add(text, "len=%" PRIu32, seg->payload_len);
    /* RFC 7323 §2.2: the window field of a SYN is never scaled; others are, once both SYNs
     * carried the option. */
    uint64_t win = h->window;
    if (!(h->flags & SYNACK_TCP_SYN) && l->syn_seen[0] && l->syn_seen[1] && l->has_ws[0] &&
        l->has_ws[1])
        win <<= (l->ws[s] > 14 ? 14 : l->ws[s]);
    tok_add(text, "win=%" PRIu64, win);
    char opts[LADDER_TEXT];
    ladder_opts_str(&h->opts, (h->flags & SYNACK_TCP_SYN) != 0,
                    l->opts.absolute || !l->have_base[o] ? 0 : l->base[o], opts, sizeof opts);
    if (opts[0]) tok_add(text, "%s", opts);
    if (retransmit) tok_add(text, "(retransmission)");
}

/* ---- the event entry point ----------------------------------------------------------------- */

static void on_state(synack_ladder *l, const struct synack_trace_event *ev)
{
    int s = local_side(l, ev);
    if (s < 0) return;
    struct ladder_row *n = newest(l);
    /* the same side at the same instant shares the line; the other side only when asked
     * (a capture infers the receiver's change at the capture time of what it received) */
    if (n && n->now == ev->now && n->state[s] < 0 && !n->note &&
        (n->side == s || (l->opts.receiver_states_inline && n->has_seg))) {
        n->state[s] = ev->new_state;
        return;
    }
    struct ladder_row *ln = push(l, ev->now, s);
    ln->state[s] = ev->new_state;
}

static void on_seg_out(synack_ladder *l, const struct synack_trace_event *ev)
{
    const struct synack_segment *seg = &ev->seg;
    int s = seg_side(l, &seg->src, seg->tcp.sport, &seg->dst, seg->tcp.dport, ev->who);
    if (s < 0) return;
    struct ladder_row *ln = newest(l);
    if (!(ln && ln->now == ev->now && ln->side == s && !ln->has_seg && !ln->note &&
          ln->state[1 - s] < 0))
        ln = push(l, ev->now, s);
    ln->has_seg = true;
    ln->flags = seg->tcp.flags;
    ln->seq = seg->tcp.seq;
    ln->ack = seg->tcp.ack;
    ln->len = seg->payload_len;
    ln->sport = seg->tcp.sport;
    ln->dport = seg->tcp.dport;
    seg_label(l, s, seg, ev->retransmit, ln->text);
    if (ev->annotation && ev->annotation[0]) tok_add(ln->text, "(%s)", ev->annotation);
}

static void on_link(synack_ladder *l, const struct synack_trace_event *ev)
{
    const struct synack_segment *seg = &ev->seg;
    int s = seg_side(l, &seg->src, seg->tcp.sport, &seg->dst, seg->tcp.dport, NULL);
    if (s < 0) return;
    unsigned bit = 0;
    const char *word = "link event";
    switch (ev->link_event) {
    case SYNACK_LINK_LOST:
        bit = MARK_LOST, word = "lost";
        break;
    case SYNACK_LINK_QUEUE_DROP:
        bit = MARK_QDROP, word = "queue drop";
        break;
    case SYNACK_LINK_DUPLICATED:
        bit = MARK_DUP, word = "duplicated";
        break;
    case SYNACK_LINK_REORDERED:
        bit = MARK_REORDER, word = "reordered";
        break;
    case SYNACK_LINK_CORRUPTED:
        bit = MARK_CORRUPT, word = "corrupted";
        break;
    default:
        return;
    }
    for (int i = l->count - 1; i >= 0; i--) {
        struct ladder_row *ln = &l->hold[(l->head + i) % LADDER_HOLD];
        if (ln->has_seg && ln->side == s && ln->seq == seg->tcp.seq && ln->ack == seg->tcp.ack &&
            ln->flags == seg->tcp.flags && ln->len == seg->payload_len &&
            ln->sport == seg->tcp.sport && ln->dport == seg->tcp.dport) {
            ln->marks |= bit;
            return;
        }
    }
    /* the segment's line is out already: say it on a line of its own */
    char fl[48];
    wire_flags_str(seg->tcp.flags, fl, sizeof fl);
    struct ladder_row *ln = push(l, ev->now, s);
    ln->note = true;
    snprintf(ln->text, sizeof ln->text, "link:%c%s%c%s%cseq=%" PRIu32, LADDER_TOK, word, LADDER_TOK,
             fl, LADDER_TOK, rel(l, s, seg->tcp.seq));
}

void synack_ladder_event(void *ctx, const struct synack_trace_event *ev)
{
    synack_ladder *l = ctx;
    if (!l || !ev) return;
    switch (ev->kind) {
    case SYNACK_TRACE_SEG_OUT:
        if (ev->has_seg) on_seg_out(l, ev);
        break;
    case SYNACK_TRACE_STATE:
        on_state(l, ev);
        break;
    case SYNACK_TRACE_LINK:
        if (ev->has_seg) on_link(l, ev);
        break;
    case SYNACK_TRACE_TIMER:
        if (l->opts.show_timers) {
            int s = local_side(l, ev);
            if (s < 0) return;
            struct ladder_row *ln = push(l, ev->now, s);
            ln->note = true;
            snprintf(ln->text, sizeof ln->text, "timer:%c%s", LADDER_TOK,
                     synack_timer_name(ev->timer));
        }
        break;
    case SYNACK_TRACE_DROP:
        if (l->opts.show_drops) {
            int s;
            char what[64] = "";
            if (ev->has_seg) {
                /* dropped by the receiver: the segment's destination */
                const struct synack_segment *seg = &ev->seg;
                int from = seg_side(l, &seg->src, seg->tcp.sport, &seg->dst, seg->tcp.dport, NULL);
                if (from < 0) return;
                s = 1 - from;
                char fl[48];
                wire_flags_str(seg->tcp.flags, fl, sizeof fl);
                snprintf(what, sizeof what, "%c%s%cseq=%" PRIu32, LADDER_TOK, fl, LADDER_TOK,
                         rel(l, from, seg->tcp.seq));
            } else {
                s = -1;
                for (int i = 0; i < 2; i++)
                    if (l->known[i] && synack_addr_eq(&l->addr[i], &ev->local_addr)) s = i;
                if (s < 0) return;
            }
            struct ladder_row *ln = push(l, ev->now, s);
            ln->note = true;
            snprintf(ln->text, sizeof ln->text, "dropped:%c%s%s", LADDER_TOK,
                     synack_drop_name(ev->reason), what);
        }
        break;
    default:
        break; /* SEG_IN: drawn at its SEG_OUT; PKT_*: not TCP */
    }
}

void synack_ladder_note(synack_ladder *l, uint64_t now, const char *text)
{
    if (!l || !text) return;
    struct ladder_row *ln = push(l, now, -1);
    ln->note = true;
    snprintf(ln->text, sizeof ln->text, "%s", text);
    /* one line when it fits between the dots; else words, wrapped like a label */
    if (ladder_text_cols(ln->text) > l->mid - 8)
        for (char *p = ln->text; *p; p++)
            if (*p == ' ') *p = LADDER_TOK;
}

void synack_ladder_finish(synack_ladder *l)
{
    if (!l) return;
    while (l->count) flush_one(l);
    if (l->out)
        (void)fflush(l->out); /* void by API: the caller owns l->out and may check ferror() */
}

void synack_ladder_free(synack_ladder *l)
{
    free(l);
}
