/*
 * capture/report.h - the outputs of `synack trace` for reconstructed connections: records drawn
 * on the terminal ladder (as trace events), the SVG ladder, the SVG time-sequence graph and
 * the self-contained HTML page.
 */
#ifndef SYNACK_CAPTURE_REPORT_H
#define SYNACK_CAPTURE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/trace.h"
#include "capture/analyze.h"
#include "trace/ladder_row.h"

/* What the capture held, for headings. */
struct tr_summary {
    const char *path;
    const char *link;
    uint64_t frames, tcp4, tcp6, ipv4_other, ipv6_other, not_ip, truncated_hdr, bad, snapped;
    uint64_t untracked;
    const char *read_error; /* the capture ended early with this error, or NULL */
};

/* "12 TCP/IPv4", "9 TCP/IPv6" or "12 TCP/IPv4, 9 TCP/IPv6". Returns buf. */
const char *tr_summary_tcp_str(const struct tr_summary *s, char *buf, size_t cap);

/* A ladder for connection c printing on out, or with fn its rows go to fn (ladder_row.h). */
synack_ladder *tr_ladder_new(FILE *out, const struct tr_conn *c, bool absolute, bool color,
                             ladder_row_fn fn, void *ctx);
/* A terminal ladder for connection c, its heading printed. */
synack_ladder *tr_ladder_open(FILE *out, const struct tr_conn *c, bool absolute, bool color);
/* Draws one record: its phase, the sender's state, the arrow, the receiver's state. */
void tr_ladder_rec(synack_ladder *l, const struct tr_conn *c, const struct tr_rec *r);

/* One line per connection: number, endpoints, packets, bytes, duration, RTT, close. */
void tr_print_table(FILE *out, const tr_analyzer *a, uint32_t only);
/* "3 retransmission, 1 dup ack" or "none". */
const char *tr_ann_counts_str(const struct tr_conn *c, char *buf, size_t cap);

/* The bases of relative sequence numbers per direction (0 with absolute): each side's first
 * sequence number in the kept records, its ISN when the SYN is there. */
void tr_rel_bases(const struct tr_conn *c, bool absolute, uint32_t base[2]);
/* The SVG pictures of one connection's kept records; 0 or -1 on a write error. */
int tr_svg_ladder(FILE *f, const struct tr_conn *c, bool absolute, uint32_t max_rows);
int tr_svg_seq(FILE *f, const struct tr_conn *c);
/* The HTML report: a summary, the table, and per connection (records kept) the ladder, state
 * timeline and sequence graph. */
int tr_html(FILE *f, const struct tr_summary *s, const tr_analyzer *a, bool absolute,
            uint32_t max_rows);

#endif
