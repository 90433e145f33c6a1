/*
 * capture/trace_file.c - `synack trace`: reads a capture once, in order, reconstructs its TCP
 * connections and draws them (synack_trace_file in synack/trace.h).
 *
 * One pass, streaming: each packet is decoded, analysed and forgotten; what stays is per
 * connection (a summary, and at most a bounded number of records for the pictures). With a
 * connection chosen (--conn N) its ladder is drawn as the packets come, with no limit.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "synack/trace.h"
#include "capture/analyze.h"
#include "capture/capture.h"
#include "capture/report.h"
#include "trace/ladder_row.h"
#include "trace/text.h"

#define DEFAULT_LADDER_SEGS 100u  /* per connection when all are drawn */
#define LADDER_CONNS        200u  /* connections drawn when all are asked for */
#define PICTURE_RECS        5000u /* records kept for the SVG/HTML pictures */
#define HTML_CONNS          100u  /* connections with pictures in the HTML page */

/* A side's address in the form the ladder's events carry (synack/addr.h). */
static struct synack_addr ladder_addr(const struct tr_conn *c, int side)
{
    return c->addr[side].family == 6 ? synack_addr_v6(c->addr[side].b)
                                     : synack_addr_v4(tr_addr_v4(&c->addr[side]));
}

synack_ladder *tr_ladder_new(FILE *out, const struct tr_conn *c, bool absolute, bool color,
                             ladder_row_fn fn, void *ctx)
{
    struct synack_ladder_opts o = {.absolute = absolute,
                                   .color = color,
                                   .left_name = tr_side_name(c, 0),
                                   .right_name = tr_side_name(c, 1),
                                   .receiver_states_inline = true};
    synack_ladder *l = fn ? ladder_new_rows(&o, ladder_addr(c, 0), c->port[0], ladder_addr(c, 1),
                                            c->port[1], fn, ctx)
                          : synack_ladder_new(out, &o, ladder_addr(c, 0), c->port[0],
                                              ladder_addr(c, 1), c->port[1]);
    return l;
}

synack_ladder *tr_ladder_open(FILE *out, const struct tr_conn *c, bool absolute, bool color)
{
    char a[TR_ENDPOINT_STRLEN], b[TR_ENDPOINT_STRLEN];
    fprintf(out, "\n%sconnection %" PRIu32 "%s: %s → %s  (states inferred from the capture)\n",
            color ? "\033[1m" : "", c->id, color ? "\033[0m" : "",
            tr_endpoint_str(&c->addr[0], c->port[0], a, sizeof a),
            tr_endpoint_str(&c->addr[1], c->port[1], b, sizeof b));
    return tr_ladder_new(out, c, absolute, color, NULL, NULL);
}

void tr_ladder_rec(synack_ladder *l, const struct tr_conn *c, const struct tr_rec *r)
{
    const int s = r->dir, d = 1 - r->dir;
    if (r->phase) synack_ladder_note(l, r->t, tr_phase_name(r->phase));
    struct synack_trace_event ev = {0};
    ev.now = r->t;
    ev.sd = -1;
    ev.who = tr_side_name(c, s);
    ev.local_addr = ladder_addr(c, s);
    ev.local_port = c->port[s];
    ev.remote_addr = ladder_addr(c, d);
    ev.remote_port = c->port[d];
    if (r->state_tx >= 0) {
        ev.kind = SYNACK_TRACE_STATE;
        ev.new_state = r->state_tx;
        synack_ladder_event(l, &ev);
    }
    ev.kind = SYNACK_TRACE_SEG_OUT;
    ev.has_seg = true;
    struct synack_segment *g = &ev.seg;
    g->src = ladder_addr(c, s);
    g->dst = ladder_addr(c, d);
    g->family = g->src.family;
    g->ip.proto = SYNACK_IPPROTO_TCP;
    g->tcp.sport = c->port[s];
    g->tcp.dport = c->port[d];
    g->tcp.seq = r->seq;
    g->tcp.ack = r->ack;
    g->tcp.flags = r->flags;
    g->tcp.window = r->raw_win;
    g->tcp.opts.has_mss = r->has_mss;
    g->tcp.opts.mss = r->mss;
    g->tcp.opts.sack_permitted = r->sack_ok;
    g->tcp.opts.has_ts = r->has_ts;
    g->tcp.opts.has_wscale = r->has_ws;
    g->tcp.opts.wscale = r->ws;
    g->tcp.opts.sack_count = r->nsack;
    for (int i = 0; i < r->nsack; i++) {
        g->tcp.opts.sack[i].left = r->sack[i][0];
        g->tcp.opts.sack[i].right = r->sack[i][1];
    }
    g->payload_len = r->len;
    ev.retransmit = r->ann & TR_ANN(RETRANSMISSION);
    char ann[160];
    tr_ann_str(r->ann, r->dup_num, true, ann, sizeof ann);
    if (r->truncated && r->len) {
        size_t n = strlen(ann);
        snprintf(ann + n, sizeof ann - n, "%scaptured in part", n ? ", " : "");
    }
    ev.annotation = ann[0] ? ann : NULL;
    synack_ladder_event(l, &ev);
    if (r->state_rx >= 0) {
        struct synack_trace_event st = {0};
        st.kind = SYNACK_TRACE_STATE;
        st.now = r->t;
        st.sd = -1;
        st.who = tr_side_name(c, d);
        st.local_addr = ladder_addr(c, d);
        st.local_port = c->port[d];
        st.remote_addr = ladder_addr(c, s);
        st.remote_port = c->port[s];
        st.new_state = r->state_rx;
        synack_ladder_event(l, &st);
    }
    if (r->time_wait) {
        char note[96];
        if (r->time_wait == 3)
            snprintf(note, sizeof note, "TIME-WAIT: both wait 2×MSL (RFC 9293 §3.4.2)");
        else
            snprintf(note, sizeof note, "TIME-WAIT: %s waits 2×MSL (RFC 9293 §3.4.2)",
                     tr_side_name(c, r->time_wait == 1 ? 0 : 1));
        synack_ladder_note(l, r->t, note);
    }
}

const char *tr_ann_counts_str(const struct tr_conn *c, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int b = 0; b < TR_ANN_COUNT; b++) {
        if (!c->ann_count[b]) continue;
        int w = snprintf(buf + n, cap - n, "%s%" PRIu64 " %s", n ? ", " : "", c->ann_count[b],
                         tr_ann_name(b));
        if (w < 0 || (size_t)w >= cap - n) break;
        n += (size_t)w;
    }
    if (!n) snprintf(buf, cap, "none");
    return buf;
}

static void fmt_rtt(const struct tr_conn *c, char *buf, size_t cap)
{
    if (c->have_hs_rtt)
        snprintf(buf, cap, "%.3f", (double)c->hs_rtt / 1000.0);
    else if (c->rtt_samples)
        snprintf(buf, cap, "%.3f", (double)c->rtt_sum / (double)c->rtt_samples / 1000.0);
    else
        snprintf(buf, cap, "-");
}

void tr_print_table(FILE *out, const tr_analyzer *a, uint32_t only)
{
    fprintf(out, "%4s  %-45s %7s %10s %10s %10s %8s %5s  %s\n", "#", "client → server", "pkts",
            "bytes →", "bytes ←", "duration s", "rtt ms", "rtx", "how it ended");
    for (size_t i = 0; i < tr_conn_count(a); i++) {
        const struct tr_conn *c = tr_conn_get(a, i);
        if (only && c->id != only) continue;
        char ea[TR_ENDPOINT_STRLEN], eb[TR_ENDPOINT_STRLEN], ends[2 * TR_ENDPOINT_STRLEN + 8];
        char rtt[24], closing[64];
        snprintf(ends, sizeof ends, "%s → %s",
                 tr_endpoint_str(&c->addr[0], c->port[0], ea, sizeof ea),
                 tr_endpoint_str(&c->addr[1], c->port[1], eb, sizeof eb));
        fmt_rtt(c, rtt, sizeof rtt);
        uint64_t rtx = c->ann_count[TR_ANN_BIT_RETRANSMISSION] +
                       c->ann_count[TR_ANN_BIT_FAST_RETRANSMISSION] +
                       c->ann_count[TR_ANN_BIT_SPURIOUS_RETRANSMISSION];
        /* "→" is 3 bytes and one column: pad by columns, not bytes */
        int pad = 45 - ladder_text_cols(ends);
        fprintf(out,
                "%4" PRIu32 "  %s%*s %7" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10.3f %8s %5" PRIu64
                "  %s\n",
                c->id, ends, pad > 0 ? pad : 0, "", c->pkts, c->d[0].bytes, c->d[1].bytes,
                (double)(c->last_t - c->first_t) / 1e6, rtt, rtx,
                tr_conn_close_str(c, closing, sizeof closing));
    }
}

const char *tr_summary_tcp_str(const struct tr_summary *s, char *buf, size_t cap)
{
    if (s->tcp6 && s->tcp4)
        snprintf(buf, cap, "%" PRIu64 " TCP/IPv4, %" PRIu64 " TCP/IPv6", s->tcp4, s->tcp6);
    else if (s->tcp6)
        snprintf(buf, cap, "%" PRIu64 " TCP/IPv6", s->tcp6);
    else
        snprintf(buf, cap, "%" PRIu64 " TCP/IPv4", s->tcp4);
    return buf;
}

static void print_conn_footer(FILE *out, const struct tr_conn *c)
{
    char buf[512];
    fprintf(out, "annotations: %s\n", tr_ann_counts_str(c, buf, sizeof buf));
}

/* Writes one SVG of the chosen connection (or the first one) to path. */
static int write_svg(const char *path, const tr_analyzer *a, uint32_t id, bool seq, bool absolute,
                     uint32_t max_rows, FILE *err)
{
    const struct tr_conn *c = tr_conn_get(a, id ? id - 1 : 0);
    if (!c) {
        fprintf(err, "synack trace: no connection to draw in %s\n", path);
        return SYNACK_EINVAL;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(err, "synack trace: cannot write %s\n", path);
        return SYNACK_ESYS;
    }
    int r = seq ? tr_svg_seq(f, c) : tr_svg_ladder(f, c, absolute, max_rows);
    if (fclose(f) != 0 || r != 0) {
        fprintf(err, "synack trace: error writing %s\n", path);
        return SYNACK_ESYS;
    }
    return 0;
}

int synack_trace_file(const char *path, const struct synack_trace_opts *opts, FILE *out, FILE *err)
{
    struct synack_trace_opts o = {0};
    if (opts) o = *opts;
    if (!path || !out || !err) return SYNACK_EINVAL;
    char msg[512];
    tr_capture *cap = tr_capture_open(path, msg, sizeof msg);
    if (!cap) {
        fprintf(err, "synack trace: %s\n", msg);
        return SYNACK_EINVAL;
    }
    const bool pictures = o.html_path || o.svg_seq_path || o.svg_ladder_path;
    const bool stream = o.conn != 0 && !o.tsv && !o.quiet;
    uint32_t ladder_max =
        o.max_ladder_segments ? o.max_ladder_segments : (o.conn ? UINT32_MAX : DEFAULT_LADDER_SEGS);
    struct tr_analyzer_opts ao = {0};
    if (o.conn) {
        ao.keep_conn = (uint32_t)o.conn;
        ao.keep_recs = pictures ? PICTURE_RECS : 0;
    } else {
        ao.keep_conns = pictures ? HTML_CONNS : LADDER_CONNS;
        ao.keep_recs = (o.tsv || o.quiet) ? 0 : ladder_max;
        if (pictures && ao.keep_recs < PICTURE_RECS) ao.keep_recs = PICTURE_RECS;
    }
    tr_analyzer *a = tr_analyzer_new(&ao);
    if (!a) {
        tr_capture_close(cap);
        return SYNACK_ENOMEM;
    }
    struct tr_summary sum = {.path = path, .link = tr_capture_link_name(cap)};
    synack_ladder *live = NULL;
    uint64_t live_drawn = 0, live_skipped = 0;
    struct tr_packet p;
    int r;
    char readerr[512] = "";
    while ((r = tr_capture_next(cap, &p, msg, sizeof msg)) == 1) {
        sum.frames++;
        if (p.truncated) sum.snapped++;
        switch (p.kind) {
        case TR_PKT_TCP4:
            sum.tcp4++;
            break;
        case TR_PKT_TCP6:
            sum.tcp6++;
            break;
        case TR_PKT_IPV4_OTHER:
            sum.ipv4_other++;
            continue;
        case TR_PKT_IPV6_OTHER:
            sum.ipv6_other++;
            continue;
        case TR_PKT_NOT_IP:
            sum.not_ip++;
            continue;
        case TR_PKT_TRUNCATED:
            sum.truncated_hdr++;
            continue;
        default:
            sum.bad++;
            continue;
        }
        struct tr_rec rec;
        struct tr_conn *c = tr_analyze(a, &p, &rec);
        if (!c) continue;
        if (o.tsv) {
            fprintf(out, "%" PRIu64 "\t%" PRIu32 "\t", p.frame, c->id);
            const char *sep = "";
            /* tshark flags a fast or spurious retransmission as a retransmission too */
            if (rec.ann & TR_ANN_ANY_RTX) rec.ann |= TR_ANN(RETRANSMISSION);
            for (int b = 0; b < TR_ANN_COUNT; b++) {
                if (!(rec.ann & (1u << b))) continue;
                fprintf(out, "%s%s", sep, tr_ann_field(b));
                sep = ",";
            }
            fputc('\n', out);
            continue;
        }
        if (stream && c->id == (uint32_t)o.conn) {
            if (!live) live = tr_ladder_open(out, c, o.absolute, o.color);
            if (live && live_drawn < ladder_max) {
                tr_ladder_rec(live, c, &rec);
                live_drawn++;
            } else {
                live_skipped++;
            }
        }
    }
    if (r < 0) {
        snprintf(readerr, sizeof readerr, "%s", msg);
        sum.read_error = readerr;
    }
    sum.untracked = tr_untracked_packets(a);
    if (live) {
        if (live_skipped) {
            char note[96];
            snprintf(note, sizeof note, "… %" PRIu64 " more segments not drawn", live_skipped);
            synack_ladder_note(live, tr_conn_get(a, (size_t)o.conn - 1)->last_t, note);
        }
        synack_ladder_finish(live);
        synack_ladder_free(live);
        print_conn_footer(out, tr_conn_get(a, (size_t)o.conn - 1));
    }
    int rc = 0;
    if (o.conn && (size_t)o.conn > tr_conn_count(a)) {
        fprintf(err, "synack trace: %s has no connection %d (it has %zu)\n", path, o.conn,
                tr_conn_count(a));
        rc = SYNACK_EINVAL;
    }
    if (!o.tsv && rc == 0) {
        if (!o.conn && !o.quiet) {
            for (size_t i = 0; i < tr_conn_count(a) && i < ao.keep_conns; i++) {
                const struct tr_conn *c = tr_conn_get(a, i);
                synack_ladder *l = tr_ladder_open(out, c, o.absolute, o.color);
                if (!l) break;
                uint32_t n = c->nrecs < ladder_max ? c->nrecs : ladder_max;
                for (uint32_t k = 0; k < n; k++) tr_ladder_rec(l, c, &c->recs[k]);
                uint64_t more = c->pkts - n;
                if (more) {
                    char note[128];
                    snprintf(note, sizeof note,
                             "… %" PRIu64 " more segments (--conn %" PRIu32 " draws all)", more,
                             c->id);
                    synack_ladder_note(l, c->last_t, note);
                }
                synack_ladder_finish(l);
                synack_ladder_free(l);
                print_conn_footer(out, c);
            }
            if (tr_conn_count(a) > ao.keep_conns)
                fprintf(out, "\n(ladders of the first %u connections; --conn N draws any)\n",
                        (unsigned)ao.keep_conns);
        }
        char tcp[64];
        tr_summary_tcp_str(&sum, tcp, sizeof tcp);
        fprintf(out, "\n%s: %" PRIu64 " packets (%s), %s in %zu connection%s", path, sum.frames,
                sum.link, tcp, tr_conn_count(a), tr_conn_count(a) == 1 ? "" : "s");
        if (sum.ipv4_other) fprintf(out, ", %" PRIu64 " other IPv4", sum.ipv4_other);
        if (sum.ipv6_other) fprintf(out, ", %" PRIu64 " other IPv6", sum.ipv6_other);
        if (sum.not_ip) fprintf(out, ", %" PRIu64 " not IP", sum.not_ip);
        if (sum.snapped) fprintf(out, ", %" PRIu64 " cut by the snaplen", sum.snapped);
        if (sum.truncated_hdr + sum.bad)
            fprintf(out, ", %" PRIu64 " unreadable", sum.truncated_hdr + sum.bad);
        if (sum.untracked) fprintf(out, ", %" PRIu64 " beyond the connection limit", sum.untracked);
        fputs("\n", out);
        tr_print_table(out, a, (uint32_t)o.conn);
        if (sum.read_error)
            fprintf(err, "synack trace: %s: the capture ends early: %s\n", path, sum.read_error);
    }
    if (rc == 0 && o.svg_ladder_path)
        rc = write_svg(o.svg_ladder_path, a, (uint32_t)o.conn, false, o.absolute,
                       o.max_ladder_segments ? o.max_ladder_segments : 400, err);
    if (rc == 0 && o.svg_seq_path)
        rc = write_svg(o.svg_seq_path, a, (uint32_t)o.conn, true, o.absolute, 0, err);
    if (rc == 0 && o.html_path) {
        FILE *f = fopen(o.html_path, "w");
        if (!f) {
            fprintf(err, "synack trace: cannot write %s\n", o.html_path);
            rc = SYNACK_ESYS;
        } else {
            int w = tr_html(f, &sum, a, o.absolute,
                            o.max_ladder_segments ? o.max_ladder_segments : 400);
            if (fclose(f) != 0 || w != 0) {
                fprintf(err, "synack trace: error writing %s\n", o.html_path);
                rc = SYNACK_ESYS;
            }
        }
    }
    tr_analyzer_free(a);
    tr_capture_close(cap);
    return rc;
}
