/*
 * trace/ladder_svg.c - the SVG output of the ladder: the rows laid out by trace/ladder.c,
 * each drawn as a self-contained group from y = 0 down with its own piece of the two lanes,
 * so that a picture is its headings and its rows stacked by translation. `synack trace`'s
 * --svg-ladder and --html (capture/svg.c), the live page of `synack serve` (the server sends
 * each row's SVG as it happens) and `synack demo --html` all draw with these functions.
 *
 *     time ms      client 10.0.0.1:49152                 server 10.0.0.2:7
 *       0.000   SYN-SENT │ SYN seq=0 len=0 win=65535 <mss 1460> │
 *                        │──────────────────────────────────────▶│ SYN-RECEIVED
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "synack/synack.h"
#include "trace/ladder_row.h"
#include "trace/text.h"

#define L        250 /* the left lane */
#define R        710 /* the right lane */
#define MID      ((L + R) / 2)
#define FIT      62 /* characters of a label line between the lanes (monospace 12 px) */
#define COL_SYN  "#1a7f37"
#define COL_FIN  "#0550ae"
#define COL_RST  "#cf222e"
#define COL_DATA "#24292f"
#define COL_ACK  "#57606a"
#define COL_MARK "#bc4c00"
#define COL_DIM  "#6e7781"
#define COL_LANE "#8c959f"

static const char *flag_color(uint16_t flags, uint32_t len)
{
    if (flags & SYNACK_TCP_RST) return COL_RST;
    if (flags & SYNACK_TCP_SYN) return COL_SYN;
    if (flags & SYNACK_TCP_FIN) return COL_FIN;
    return len ? COL_DATA : COL_ACK;
}

void ladder_json_escape(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
}

/* The parts of a row's text: the label words, the options ("<...>"), the annotations
 * ("(...)" without the parentheses, joined by ", ", with the link marks other than a loss). */
struct parts {
    char label[LADDER_TEXT], opts[LADDER_TEXT], ann[LADDER_TEXT];
};

static void cat(char *dst, const char *sep, const char *src, size_t n)
{
    size_t have = strlen(dst), seplen = have ? strlen(sep) : 0;
    size_t len = strnlen(src, n);
    if (have + seplen + len + 1 > LADDER_TEXT) return;
    memcpy(dst + have, sep, seplen);
    memcpy(dst + have + seplen, src, len);
    dst[have + seplen + len] = '\0';
}

static void split(const struct ladder_row *r, struct parts *p)
{
    memset(p, 0, sizeof *p);
    const char *s = r->text;
    while (*s) {
        const char *end = strchr(s, LADDER_TOK);
        size_t n = end ? (size_t)(end - s) : strlen(s);
        if (r->has_seg && n >= 2 && s[0] == '(' && s[n - 1] == ')')
            cat(p->ann, ", ", s + 1, n - 2);
        else if (r->has_seg && n >= 2 && s[0] == '<')
            cat(p->opts, " ", s, n);
        else
            cat(p->label, " ", s, n);
        s = end ? end + 1 : s + n;
    }
    if (r->marks & LADDER_MARK_DUP) cat(p->ann, ", ", "duplicated", 10);
    if (r->marks & LADDER_MARK_REORDER) cat(p->ann, ", ", "reordered", 9);
    if (r->marks & LADDER_MARK_CORRUPT) cat(p->ann, ", ", "corrupted", 9);
}

/* y of the arrow's start in a segment row: below one or two lines of label */
static int seg_top(const struct parts *p)
{
    return p->opts[0] && strlen(p->label) + 1 + strlen(p->opts) > FIT ? 32 : 20;
}

int ladder_svg_row_height(const struct ladder_row *r)
{
    if (r->note) return r->side < 0 ? 30 : 22;
    if (!r->has_seg) return 24;
    struct parts p;
    split(r, &p);
    return seg_top(&p) + 22 + (p.ann[0] ? 14 : 0);
}

static void text(FILE *f, int x, int y, const char *anchor, const char *fill, const char *extra,
                 const char *s)
{
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" fill=\"%s\"%s>", x, y, anchor, fill,
            extra);
    text_xml_escape(f, s);
    fputs("</text>", f);
}

static void state_text(FILE *f, int side, int y, int state)
{
    if (state < 0) return;
    text(f, side == 0 ? L - 8 : R + 8, y, side == 0 ? "end" : "start", COL_DATA,
         " font-weight=\"bold\" font-family=\"sans-serif\" class=\"st\"", synack_state_name(state));
}

void ladder_svg_head(FILE *f, const char *left, const char *right)
{
    fputs("<g class=\"head\"><defs><marker id=\"ah\" viewBox=\"0 0 10 10\" refX=\"10\" "
          "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
          "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"context-stroke\"/></marker></defs>",
          f);
    text(f, L, 22, "middle", COL_DATA, " font-weight=\"bold\"", left);
    text(f, R, 22, "middle", COL_DATA, " font-weight=\"bold\"", right);
    text(f, 10, 46, "start", COL_ACK, "", "time ms");
    fprintf(f, "<path d=\"M%d 32V%dM%d 32V%d\" stroke=\"%s\" stroke-width=\"2\"/></g>\n", L,
            LADDER_SVG_HEAD, R, LADDER_SVG_HEAD, COL_LANE);
}

int ladder_svg_row(FILE *f, const struct ladder_row *r, uint64_t t0)
{
    struct parts p;
    split(r, &p);
    int h = ladder_svg_row_height(r);
    const char *kind = r->note ? (r->side < 0 ? "phase" : "note") : r->has_seg ? "seg" : "state";
    fprintf(f, "<g class=\"row %s\">", kind);
    fprintf(f, "<path d=\"M%d 0V%dM%d 0V%d\" stroke=\"%s\" stroke-width=\"2\"/>", L, h, R, h,
            COL_LANE);
    uint64_t dt = r->now >= t0 ? r->now - t0 : 0;
    char t[32];
    snprintf(t, sizeof t, "%" PRIu64 ".%03" PRIu64, dt / 1000, dt % 1000);
    if (r->note && r->side < 0) {
        /* a phase: across the middle, between dashes */
        fprintf(f,
                "<line x1=\"%d\" y1=\"15\" x2=\"%d\" y2=\"15\" stroke=\"#d0d7de\" "
                "stroke-dasharray=\"4 4\"/><rect x=\"%d\" y=\"4\" width=\"%d\" height=\"20\" "
                "fill=\"#ffffff\"/>",
                L, R, MID - (int)strlen(p.label) * 7 / 2 - 6, (int)strlen(p.label) * 7 + 12);
        text(f, MID, 19, "middle", COL_DIM,
             " font-style=\"italic\" font-family=\"sans-serif\" class=\"phase\"", p.label);
        text(f, 10, 19, "start", COL_ACK, "", t);
    } else if (r->note) {
        /* a note against its side's lane */
        text(f, r->side == 0 ? L + 8 : R - 8, 15, r->side == 0 ? "start" : "end", COL_MARK,
             " font-style=\"italic\" font-size=\"11\"", p.label);
        text(f, 10, 15, "start", COL_ACK, "", t);
    } else if (!r->has_seg) {
        state_text(f, 0, 16, r->state[0]);
        state_text(f, 1, 16, r->state[1]);
        text(f, 10, 16, "start", COL_ACK, "", t);
    } else {
        const int top = seg_top(&p);
        const int xs = r->side == 0 ? L : R, xd = r->side == 0 ? R : L;
        const char *col = flag_color(r->flags, r->len);
        const bool lost = r->marks & (LADDER_MARK_LOST | LADDER_MARK_QDROP);
        const bool rtx = strstr(p.ann, "retransmission") != NULL;
        char line[2 * LADDER_TEXT];
        if (top == 20 && p.opts[0])
            snprintf(line, sizeof line, "%s %s", p.label, p.opts);
        else
            snprintf(line, sizeof line, "%s", p.label);
        text(f, MID, 14, "middle", col, " class=\"lbl\"", line);
        if (top > 20) text(f, MID, 27, "middle", col, " font-size=\"11\"", p.opts);
        /* the arrow; a lost one stops short with a cross */
        int x2 = lost ? MID + (xd - xs) / 8 : xd;
        int y2 = lost ? top + 8 : top + 14;
        fprintf(f,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                "stroke-width=\"1.6\"%s%s/>",
                xs, top, x2, y2, col, rtx ? " stroke-dasharray=\"6 3\"" : "",
                lost ? "" : " marker-end=\"url(#ah)\"");
        if (lost) {
            fprintf(f,
                    "<path d=\"M%d %dl8 8m0 -8l-8 8\" stroke=\"%s\" stroke-width=\"2\"/>"
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" fill=\"%s\" class=\"lost\">%s"
                    "</text>",
                    x2 - 4, y2 - 4, COL_MARK, x2 + (xd > xs ? 10 : -10), y2 + 4,
                    xd > xs ? "start" : "end", COL_MARK,
                    r->marks & LADDER_MARK_QDROP ? "queue drop" : "lost");
        }
        if (p.ann[0])
            text(f, MID, top + 30, "middle", COL_MARK, " font-size=\"11\" class=\"ann\"", p.ann);
        state_text(f, r->side, top + 4, r->state[r->side]);
        state_text(f, 1 - r->side, top + 18, r->state[1 - r->side]);
        text(f, 10, top + 4, "start", COL_ACK, "", t);
    }
    fputs("</g>", f);
    return h;
}
