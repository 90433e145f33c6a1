/*
 * capture/html.c - the `synack trace --html` report: one self-contained page (inline CSS and
 * SVG, no script, no external resource) with the capture's summary, the table of connections
 * and, per connection with kept records, its summary, ladder, state timeline, time-sequence
 * graph and annotated segments.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "synack/synack.h"
#include "capture/analyze.h"
#include "capture/report.h"
#include "trace/text.h"

#define MAX_ANNOTATED_ROWS 300 /* annotated segments listed per connection */

static const char *const CSS =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;"
    "color:#24292f;background:#fff;max-width:1100px}"
    "h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin-top:36px;"
    "border-bottom:1px solid #d0d7de;padding-bottom:4px}"
    "table{border-collapse:collapse;font-size:13px;margin:8px 0}"
    "th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left}"
    "th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code,.mono{font-family:ui-monospace,monospace}"
    "details{margin:10px 0}summary{cursor:pointer;font-weight:600}"
    ".svg{overflow-x:auto;border:1px solid #d0d7de;margin-top:6px}"
    ".muted{color:#57606a}.ann{color:#bc4c00}";

static void conn_endpoints(const struct tr_conn *c, char *buf, size_t cap)
{
    char a[TR_ENDPOINT_STRLEN], b[TR_ENDPOINT_STRLEN];
    snprintf(buf, cap, "%s %s → %s %s", tr_side_name(c, 0),
             tr_endpoint_str(&c->addr[0], c->port[0], a, sizeof a), tr_side_name(c, 1),
             tr_endpoint_str(&c->addr[1], c->port[1], b, sizeof b));
}

static void rtt_str(const struct tr_conn *c, char *buf, size_t cap)
{
    if (c->have_hs_rtt)
        snprintf(buf, cap, "%.3f ms (handshake)", (double)c->hs_rtt / 1000.0);
    else if (c->rtt_samples)
        snprintf(buf, cap, "%.3f ms (data, at the capture point)",
                 (double)c->rtt_sum / (double)c->rtt_samples / 1000.0);
    else
        snprintf(buf, cap, "-");
}

static void table(FILE *f, const tr_analyzer *a)
{
    fputs("<table><tr><th>#</th><th>client → server</th><th>packets</th><th>bytes →</th>"
          "<th>bytes ←</th><th>duration</th><th>RTT</th><th>retransmissions</th>"
          "<th>annotations</th><th>how it ended</th></tr>\n",
          f);
    for (size_t i = 0; i < tr_conn_count(a); i++) {
        const struct tr_conn *c = tr_conn_get(a, i);
        char ends[2 * TR_ENDPOINT_STRLEN + 48], rtt[64], how[64], anns[512];
        conn_endpoints(c, ends, sizeof ends);
        rtt_str(c, rtt, sizeof rtt);
        uint64_t rtx = c->ann_count[TR_ANN_BIT_RETRANSMISSION] +
                       c->ann_count[TR_ANN_BIT_FAST_RETRANSMISSION] +
                       c->ann_count[TR_ANN_BIT_SPURIOUS_RETRANSMISSION];
        fprintf(f, "<tr><td class=\"n\">");
        if (c->nrecs)
            fprintf(f, "<a href=\"#c%" PRIu32 "\">%" PRIu32 "</a>", c->id, c->id);
        else
            fprintf(f, "%" PRIu32, c->id);
        fprintf(f, "</td><td class=\"mono\">");
        text_xml_escape(f, ends);
        fprintf(f,
                "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
                "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%.3f s</td><td>",
                c->pkts, c->d[0].bytes, c->d[1].bytes, (double)(c->last_t - c->first_t) / 1e6);
        text_xml_escape(f, rtt);
        fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"ann\">", rtx);
        text_xml_escape(f, tr_ann_counts_str(c, anns, sizeof anns));
        fputs("</td><td>", f);
        text_xml_escape(f, tr_conn_close_str(c, how, sizeof how));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* Each state change of either side, in order: the state timeline of RFC 9293 §3.3.2. */
static void states(FILE *f, const struct tr_conn *c)
{
    fprintf(f, "<table><tr><th>time ms</th><th>frame</th><th>%s</th><th>%s</th></tr>\n",
            tr_side_name(c, 0), tr_side_name(c, 1));
    uint64_t t0 = c->nrecs ? c->recs[0].t : 0;
    for (uint32_t i = 0; i < c->nrecs; i++) {
        const struct tr_rec *r = &c->recs[i];
        int st[2] = {-1, -1};
        if (r->state_tx >= 0) st[r->dir] = r->state_tx;
        if (r->state_rx >= 0) st[1 - r->dir] = r->state_rx;
        if (st[0] < 0 && st[1] < 0) continue;
        fprintf(f, "<tr><td class=\"n\">%.3f</td><td class=\"n\">%" PRIu64 "</td>",
                (double)(r->t - t0) / 1000.0, r->frame);
        for (int s = 0; s < 2; s++)
            fprintf(f, "<td>%s</td>", st[s] >= 0 ? synack_state_name(st[s]) : "");
        fputs("</tr>\n", f);
    }
    fputs("</table><p class=\"muted\">States are inferred from what each side sent and "
          "received at the capture point; the end of TIME-WAIT (2×MSL later) is never in a "
          "capture.</p>\n",
          f);
}

static void annotated(FILE *f, const struct tr_conn *c)
{
    uint32_t rows = 0, base[2];
    uint64_t t0 = c->nrecs ? c->recs[0].t : 0;
    tr_rel_bases(c, false, base);
    for (uint32_t i = 0; i < c->nrecs && rows < MAX_ANNOTATED_ROWS; i++) {
        const struct tr_rec *r = &c->recs[i];
        if (!r->ann) continue;
        if (!rows)
            fputs("<table><tr><th>frame</th><th>time ms</th><th>from</th><th>seq</th>"
                  "<th>len</th><th>annotation</th></tr>\n",
                  f);
        char ann[200];
        tr_ann_str(r->ann, r->dup_num, false, ann, sizeof ann);
        if (!ann[0]) snprintf(ann, sizeof ann, "RST");
        fprintf(f,
                "<tr><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%.3f</td><td>%s</td>"
                "<td class=\"n\">%" PRIu32 "</td><td class=\"n\">%" PRIu32
                "</td><td class=\"ann\">",
                r->frame, (double)(r->t - t0) / 1000.0, tr_side_name(c, r->dir),
                r->seq - base[r->dir], r->len);
        text_xml_escape(f, ann);
        fputs("</td></tr>\n", f);
        rows++;
    }
    if (rows)
        fputs("</table>\n", f);
    else
        fputs("<p class=\"muted\">No annotation.</p>\n", f);
}

int tr_html(FILE *f, const struct tr_summary *s, const tr_analyzer *a, bool absolute,
            uint32_t max_rows)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
          "synack trace: ",
          f);
    text_xml_escape(f, s->path);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>synack trace</h1>\n", CSS);
    fputs("<p><code>", f);
    text_xml_escape(f, s->path);
    fprintf(f, "</code>: %" PRIu64 " packets (link type ", s->frames);
    text_xml_escape(f, s->link);
    char tcp[64];
    fprintf(f, "), %s in %zu connection%s", tr_summary_tcp_str(s, tcp, sizeof tcp),
            tr_conn_count(a), tr_conn_count(a) == 1 ? "" : "s");
    if (s->ipv4_other + s->ipv6_other + s->not_ip)
        fprintf(f, ", %" PRIu64 " not TCP", s->ipv4_other + s->ipv6_other + s->not_ip);
    if (s->snapped) fprintf(f, ", %" PRIu64 " cut by the snaplen", s->snapped);
    fputs(".", f);
    if (s->read_error) {
        fputs(" The capture ends early: ", f);
        text_xml_escape(f, s->read_error);
    }
    fputs("</p>\n<h2>Connections</h2>\n", f);
    table(f, a);
    for (size_t i = 0; i < tr_conn_count(a); i++) {
        const struct tr_conn *c = tr_conn_get(a, i);
        if (!c->nrecs) continue;
        char ends[2 * TR_ENDPOINT_STRLEN + 48], rtt[64], how[64], anns[512];
        conn_endpoints(c, ends, sizeof ends);
        fprintf(f, "<section id=\"c%" PRIu32 "\">\n<h2>Connection %" PRIu32 ": ", c->id, c->id);
        text_xml_escape(f, ends);
        fputs("</h2>\n<p>", f);
        rtt_str(c, rtt, sizeof rtt);
        fprintf(f,
                "%" PRIu64 " packets in %.3f s; %" PRIu64 " bytes from the %s, %" PRIu64
                " from the %s; RTT ",
                c->pkts, (double)(c->last_t - c->first_t) / 1e6, c->d[0].bytes, tr_side_name(c, 0),
                c->d[1].bytes, tr_side_name(c, 1));
        text_xml_escape(f, rtt);
        fputs("; ended: ", f);
        text_xml_escape(f, tr_conn_close_str(c, how, sizeof how));
        fputs(".<br><span class=\"ann\">Annotations: ", f);
        text_xml_escape(f, tr_ann_counts_str(c, anns, sizeof anns));
        fputs("</span></p>\n", f);
        fputs("<details open><summary>Ladder</summary><div class=\"svg\">\n", f);
        tr_svg_ladder(f, c, absolute, max_rows);
        fputs("</div></details>\n<details open><summary>State timeline</summary>\n", f);
        states(f, c);
        fputs("</details>\n<details open><summary>Time-sequence graph</summary>"
              "<div class=\"svg\">\n",
              f);
        tr_svg_seq(f, c);
        fputs("</div></details>\n<details><summary>Annotated segments</summary>\n", f);
        annotated(f, c);
        fputs("</details>\n</section>\n", f);
    }
    fputs("<p class=\"muted\">Drawn by synack from the capture alone; annotations follow the "
          "definitions of Wireshark's TCP analysis.</p>\n</body>\n</html>\n",
          f);
    return ferror(f) ? -1 : 0;
}
