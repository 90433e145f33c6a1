/*
 * tools/synack/live_web.h - watching TCP live: what `synack serve`'s HTTP service shows at
 * GET /live (the page, live_page.c) and streams at GET /events (Server-Sent Events).
 *
 * The stack's trace stream is the source. The trace callback only reads: each TCP datagram
 * of a connection goes through that connection's capture analyser (the one `synack trace`
 * uses: both sides' states, phases, retransmissions and the other annotations) and is laid
 * out by the ladder (trace/ladder.c) into rows; the stack's drops (with their reason), link
 * events and TIME-WAIT are added to the same ladder. Rows leave the ladder when the loop
 * flushes it (live_web_flush), into a fixed ring of events and a bounded history per
 * connection; each viewer has a cursor into the ring and writes through synack's own
 * non-blocking send: a viewer that reads slowly falls behind the ring and loses events
 * (counted, and told to it), and nothing waits for it. Memory is fixed by the options: the
 * ring, at most max_viewers viewers, at most max_conns connections kept for display (the
 * longest closed, else the longest quiet, is forgotten to make room).
 */
#ifndef SYNACK_TOOLS_LIVE_WEB_H
#define SYNACK_TOOLS_LIVE_WEB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"
#include "synack/trace.h"

#define LIVE_DEFAULT_VIEWERS 4
#define LIVE_DEFAULT_CONNS   64
#define LIVE_MAX_VIEWERS     64
#define LIVE_MAX_CONNS       1024

struct live_web_opts {
    uint32_t max_viewers; /* 0: /events is refused (503) */
    uint32_t max_conns;   /* connections kept for display */
    uint64_t msl_us;      /* the stack's MSL, for the TIME-WAIT countdown */
};

struct live_web;
struct live_web *live_web_new(const struct live_web_opts *o);
void live_web_free(struct live_web *w);
/* A synack_trace_fn (ctx is the live_web): reads the event, never calls the stack. */
void live_web_event(void *ctx, const struct synack_trace_event *ev);
/* Moves what the ladders hold into the ring (once per loop iteration). */
void live_web_flush(struct live_web *w, uint64_t now);

/* A viewer of /events (conn 0: all, else that connection only) on socket sd: its slot, or -1
 * when max_viewers are watching. The viewer's own connection is muted (its segments would
 * draw themselves for ever). */
int live_viewer_open(struct live_web *w, synack_stack *s, int sd, uint32_t conn, uint64_t now);
/* Writes what it can without blocking. Returns bytes queued (>= 0), or a negative
 * SYNACK_E* code when the socket failed. */
long live_viewer_io(struct live_web *w, int v, synack_stack *s, uint64_t now);
void live_viewer_close(struct live_web *w, int v);

/* GET /live/rows?conn=N: the rows kept, as JSON; GET /live/seq.svg?conn=N: the time-sequence
 * graph. Return 0, or -1 when there is no such connection. */
int live_web_rows_json(struct live_web *w, uint32_t conn, FILE *f);
int live_web_seq_svg(struct live_web *w, uint32_t conn, FILE *f);
/* The "live" member of /stats (without braces around it). */
void live_web_stats_json(const struct live_web *w, FILE *f);

/* The page: mode "live" (subscribes to /events), or "demo" with data the JSON object that
 * cmd_demo.c writes (a title, the headings and the rows). */
void live_page(FILE *f, const char *mode, const char *data);

#endif
