/*
 * trace/ladder_row.h - the rows of a ladder diagram, as the ladder (trace/ladder.c) lays them
 * out from trace events: one row per segment (its sender, flags, relative seq/ack, length,
 * window, options and marks), per state entered, per note or phase. The layout is computed
 * once, in ladder.c; the rows are then drawn by one of two outputs: the terminal text of
 * ladder.c itself, or SVG (ladder_svg.c), which `synack trace --html`/`--svg-ladder`, the
 * live page of `synack serve` and `synack demo --html` all use.
 */
#ifndef SYNACK_TRACE_LADDER_ROW_H
#define SYNACK_TRACE_LADDER_ROW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/trace.h"

#define LADDER_TEXT 240    /* label tokens of one row */
#define LADDER_TOK  '\x1f' /* separates the tokens of a label, which may contain spaces */

enum {
    LADDER_MARK_LOST = 1u << 0,
    LADDER_MARK_QDROP = 1u << 1,
    LADDER_MARK_DUP = 1u << 2,
    LADDER_MARK_REORDER = 1u << 3,
    LADDER_MARK_CORRUPT = 1u << 4,
};

struct ladder_row {
    uint64_t now;
    int side;     /* the sender of the segment, or the side of a note or state; -1: a phase */
    int state[2]; /* the state each side entered, or -1 */
    bool has_seg;
    bool note; /* text is a note (timer, drop, unmatched link event, phase), not a segment */
    unsigned marks;
    uint16_t flags;
    /* the segment's identity, to match a later LINK event */
    uint32_t seq, ack, len;
    uint16_t sport, dport;
    /* tokens separated by LADDER_TOK: for a segment "SYN" "seq=0" ... "<mss 1460,...>" and
     * annotations in parentheses "(retransmission)" */
    char text[LADDER_TEXT];
};

/* Rows go to fn instead of the terminal, as they leave the ladder's hold (t0: the time of the
 * ladder's first row, for relative times). */
typedef void (*ladder_row_fn)(void *ctx, const struct ladder_row *r, uint64_t t0);
void ladder_set_row_sink(synack_ladder *l, ladder_row_fn fn, void *ctx);
/* synack_ladder_new without a FILE: rows go to fn only. */
synack_ladder *ladder_new_rows(const struct synack_ladder_opts *opts, struct synack_addr left_addr,
                               uint16_t left_port, struct synack_addr right_addr,
                               uint16_t right_port, ladder_row_fn fn, void *ctx);
/* The endpoints' headings ("client 10.0.0.1:49152"), as the terminal header writes them. */
void ladder_headings(synack_ladder *l, char *left, char *right, size_t cap);

/* ---- the SVG output (ladder_svg.c) -------------------------------------------------------- */
#define LADDER_SVG_W    960 /* width of the picture */
#define LADDER_SVG_HEAD 56  /* height of the headings */
/* The headings, drawn from y = 0 to LADDER_SVG_HEAD. */
void ladder_svg_head(FILE *f, const char *left, const char *right);
/* One row drawn from y = 0 down, its lanes included, so that rows stack by translation.
 * Returns its height. t0: the ladder's first time (the row shows now - t0 in ms). */
int ladder_svg_row(FILE *f, const struct ladder_row *r, uint64_t t0);
/* The height ladder_svg_row will take. */
int ladder_svg_row_height(const struct ladder_row *r);
/* Writes s escaped for a JSON string (without the quotes). */
void ladder_json_escape(FILE *f, const char *s);

#endif
