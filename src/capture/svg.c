/*
 * capture/svg.c - one connection's kept records as SVG pictures: the ladder (the rows the
 * terminal ladder lays out, drawn by its SVG output, trace/ladder_svg.c: two lanes, a slanted
 * arrow per segment, states at the sides) and the time-sequence graph in the style of
 * Stevens' and tcptrace's (data segments as vertical bars of their sequence range against
 * time, the ACK line, the line of ACK + receive window, retransmissions in red, SACK blocks).
 *
 * The SVG is self-contained (no fonts, scripts or links outside it), so the HTML report can
 * inline it as it is.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "capture/analyze.h"
#include "capture/report.h"
#include "trace/ladder_row.h"
#include "trace/text.h"
#include "wire/wire.h"

#define COL_SYN  "#1a7f37"
#define COL_FIN  "#0550ae"
#define COL_RST  "#cf222e"
#define COL_DATA "#24292f"

/* Relative-number bases per direction, as the terminal ladder computes them: each side's
 * first sequence number seen (its ISN when the SYN is there). */
void tr_rel_bases(const struct tr_conn *c, bool absolute, uint32_t base[2])
{
    bool have[2] = {false, false};
    base[0] = base[1] = 0;
    if (absolute) return;
    for (uint32_t i = 0; i < c->nrecs && !(have[0] && have[1]); i++) {
        const struct tr_rec *r = &c->recs[i];
        if (!have[r->dir]) {
            base[r->dir] = r->seq;
            have[r->dir] = true;
        }
        if ((r->flags & SYNACK_TCP_ACK) && !have[1 - r->dir]) {
            base[1 - r->dir] = r->ack - ((r->flags & SYNACK_TCP_SYN) ? 1u : 0u);
            have[1 - r->dir] = true;
        }
    }
}

/* The ladder: the rows the terminal ladder lays out (tr_ladder_rec into a synack_ladder),
 * drawn by the ladder's SVG output (trace/ladder_svg.c), stacked under the headings. */
struct svg_rows {
    FILE *m;
    int y;
};

static void svg_row(void *ctx, const struct ladder_row *r, uint64_t t0)
{
    struct svg_rows *s = ctx;
    fprintf(s->m, "<g transform=\"translate(0 %d)\">", s->y);
    s->y += ladder_svg_row(s->m, r, t0);
    fputs("</g>\n", s->m);
}

int tr_svg_ladder(FILE *f, const struct tr_conn *c, bool absolute, uint32_t max_rows)
{
    uint32_t n = c->nrecs < max_rows ? c->nrecs : max_rows;
    char *buf = NULL;
    size_t len = 0;
    struct svg_rows s = {.m = open_memstream(&buf, &len), .y = LADDER_SVG_HEAD};
    if (!s.m) return -1;
    synack_ladder *l = tr_ladder_new(NULL, c, absolute, false, svg_row, &s);
    if (!l) {
        (void)fclose(s.m); /* failing anyway: nothing more to report */
        free(buf);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) tr_ladder_rec(l, c, &c->recs[i]);
    if (c->pkts > n) {
        char note[96];
        snprintf(note, sizeof note, "… %" PRIu64 " more segments not drawn", c->pkts - n);
        synack_ladder_note(l, n ? c->recs[n - 1].t : 0, note);
    }
    synack_ladder_finish(l);
    char left[112], right[112];
    ladder_headings(l, left, right, sizeof left);
    synack_ladder_free(l);
    bool failed = ferror(s.m) != 0;
    if (fclose(s.m) != 0 || failed) {
        free(buf);
        return -1;
    }
    const int H = s.y + 10;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"12\">\n",
            LADDER_SVG_W, H, LADDER_SVG_W, H);
    fprintf(f, "<title>ladder of connection %" PRIu32 "</title>\n", c->id);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", LADDER_SVG_W, H);
    ladder_svg_head(f, left, right);
    size_t put = fwrite(buf, 1, len, f);
    free(buf);
    if (put != len) return -1;
    fputs("</svg>\n", f);
    return ferror(f) ? -1 : 0;
}

/* ---- the time-sequence graph -------------------------------------------------------------- */

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about n ticks over span. */
static double tick_step(double span, int n)
{
    if (span <= 0) return 1;
    double raw = span / n;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void fmt_bytes(double v, char *buf, size_t cap)
{
    if (v >= 1e6)
        snprintf(buf, cap, "%.4gM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, cap, "%.4gk", v / 1e3);
    else
        snprintf(buf, cap, "%.4g", v);
}

int tr_svg_seq(FILE *f, const struct tr_conn *c)
{
    const int W = 960, H = 560, ML = 80, MR = 20, MT = 40, MB = 60;
    const int PW = W - ML - MR, PH = H - MT - MB;
    /* the data sender: the side that sent more payload */
    const int d = c->d[1].bytes > c->d[0].bytes ? 1 : 0;
    uint32_t base[2];
    tr_rel_bases(c, false, base);
    uint64_t t0 = c->nrecs ? c->recs[0].t : 0, t1 = t0;
    double ymax = 1;
    for (uint32_t i = 0; i < c->nrecs; i++) {
        const struct tr_rec *r = &c->recs[i];
        if (r->t > t1) t1 = r->t;
        if (r->dir == d) {
            double top = (double)(uint32_t)(r->seq - base[d] + r->len);
            if (top > ymax && top < 4e9) ymax = top;
        } else if (r->flags & SYNACK_TCP_ACK) {
            double top = (double)(uint32_t)(r->ack - base[d]) + r->win;
            if (top > ymax && top < 4e9) ymax = top;
        }
    }
    double tspan = (double)(t1 - t0) / 1e6;
    if (tspan <= 0) tspan = 1e-3;
    ymax *= 1.05;
#define X(t) (ML + (double)((t)-t0) / 1e6 / tspan * PW)
#define Y(v) (MT + PH - (double)(v) / ymax * PH)
    char ea[TR_ENDPOINT_STRLEN], eb[TR_ENDPOINT_STRLEN];
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
            W, H, W, H);
    fprintf(f, "<title>time-sequence graph of connection %" PRIu32 "</title>\n", c->id);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, H);
    fprintf(f, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-weight=\"bold\">", W / 2);
    fprintf(f, "sequence numbers sent by %s %s to %s %s</text>\n", tr_side_name(c, d),
            tr_endpoint_str(&c->addr[d], c->port[d], ea, sizeof ea), tr_side_name(c, 1 - d),
            tr_endpoint_str(&c->addr[1 - d], c->port[1 - d], eb, sizeof eb));
    /* axes and grid */
    fprintf(f,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
            "stroke=\"#8c959f\"/>\n",
            ML, MT, PW, PH);
    double ts = tick_step(tspan, 8);
    /* Integer tick counters (CERT FLP30-C): a double stepped by += drifts and may miss
     * or repeat the last tick. */
    for (int i = 0; i * ts <= tspan * 1.0001; i++) {
        double v = i * ts;
        double x = ML + v / tspan * PW;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eaeef2\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#57606a\">%.4g</text>\n",
                x, MT, x, MT + PH, x, MT + PH + 16, tspan < 1 ? v * 1000 : v);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#57606a\">time (%s)</text>\n",
            ML + PW / 2, H - 18, tspan < 1 ? "ms" : "s");
    double ys = tick_step(ymax, 8);
    for (int i = 0; i * ys <= ymax; i++) {
        double v = i * ys;
        char lab[32];
        fmt_bytes(v, lab, sizeof lab);
        double y = Y(v);
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eaeef2\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#57606a\">%s</text>\n",
                ML, y, ML + PW, y, ML - 6, y + 4, lab);
    }
    fprintf(f,
            "<text transform=\"translate(18 %d) rotate(-90)\" text-anchor=\"middle\" "
            "fill=\"#57606a\">relative sequence number (bytes)</text>\n",
            MT + PH / 2);
    /* the ACK line and the window line, as steps */
    for (int pass = 0; pass < 2; pass++) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" points=\"",
                pass == 0 ? "#2da44e" : "#bf8700");
        bool first = true;
        double lasty = 0;
        for (uint32_t i = 0; i < c->nrecs; i++) {
            const struct tr_rec *r = &c->recs[i];
            if (r->dir == d || !(r->flags & SYNACK_TCP_ACK)) continue;
            double v = (double)(uint32_t)(r->ack - base[d]) + (pass ? r->win : 0);
            if (v > ymax) v = ymax;
            double x = X(r->t), y = Y(v);
            if (!first) fprintf(f, "%.1f,%.1f ", x, lasty);
            fprintf(f, "%.1f,%.1f ", x, y);
            first = false;
            lasty = y;
        }
        if (!first) fprintf(f, "%.1f,%.1f", (double)(ML + PW), lasty);
        fputs("\"/>\n", f);
    }
    /* SACK blocks: what the receiver holds above the ACK */
    for (uint32_t i = 0; i < c->nrecs; i++) {
        const struct tr_rec *r = &c->recs[i];
        if (r->dir == d) continue;
        for (int k = 0; k < r->nsack; k++) {
            double x = X(r->t);
            fprintf(f,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8250df\" "
                    "stroke-width=\"2\" opacity=\"0.7\"/>\n",
                    x + 2, Y((uint32_t)(r->sack[k][0] - base[d])), x + 2,
                    Y((uint32_t)(r->sack[k][1] - base[d])));
        }
    }
    /* the segments: a bar over the bytes each one carries, ticks at its ends */
    for (uint32_t i = 0; i < c->nrecs; i++) {
        const struct tr_rec *r = &c->recs[i];
        if (r->dir != d) continue;
        uint32_t lo = r->seq - base[d];
        uint32_t hi = lo + r->len + ((r->flags & (SYNACK_TCP_SYN | SYNACK_TCP_FIN)) ? 1u : 0u);
        if (hi == lo) continue; /* a pure ACK carries no sequence space */
        bool rtx = r->ann & (TR_ANN_ANY_RTX | TR_ANN(OUT_OF_ORDER));
        const char *col = rtx                           ? COL_RST
                          : (r->flags & SYNACK_TCP_SYN) ? COL_SYN
                          : (r->flags & SYNACK_TCP_FIN) ? COL_FIN
                                                        : COL_DATA;
        double x = X(r->t), ya = Y(lo), yb = Y(hi);
        fprintf(f,
                "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fh4M%.1f %.1fh4\" stroke=\"%s\" "
                "stroke-width=\"1.3\"><title>frame %" PRIu64 " seq %" PRIu32 " len %" PRIu32
                "%s</title></path>\n",
                x, ya, yb, x - 2, ya, x - 2, yb, col, r->frame, lo, r->len,
                rtx ? " retransmitted" : "");
        if (rtx)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"10\">R</text>\n", x + 3,
                    yb - 2, COL_RST);
    }
    /* legend */
    static const struct {
        const char *col, *text;
    } legend[] = {{COL_DATA, "data segment"},
                  {COL_RST, "retransmission / out-of-order"},
                  {"#2da44e", "ACK"},
                  {"#bf8700", "ACK + receive window"},
                  {"#8250df", "SACK block"}};
    int lx = ML + 10;
    for (size_t i = 0; i < sizeof legend / sizeof legend[0]; i++) {
        fprintf(f,
                "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%d\" fill=\"#24292f\">%s</text>\n",
                lx, MT + 10, legend[i].col, lx + 18, MT + 15, legend[i].text);
        lx += 30 + (int)strlen(legend[i].text) * 7;
    }
    if (c->recs_dropped)
        fprintf(f,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#6e7781\">the first %" PRIu32
                " of %" PRIu64 " segments</text>\n",
                ML + PW - 6, MT + PH - 8, c->nrecs, c->pkts);
    fputs("</svg>\n", f);
#undef X
#undef Y
    return ferror(f) ? -1 : 0;
}
