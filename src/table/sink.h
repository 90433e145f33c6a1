/*
 * table/sink.h - where events and drops go: every layer that discards something calls
 * sink_drop() with a named reason (synack/drop.h), which counts it and, when the user set
 * a trace callback, delivers it as a trace event. The sink calls only that callback.
 */
#ifndef SYNACK_TABLE_SINK_H
#define SYNACK_TABLE_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "synack/synack.h"
#include "synack/trace.h"

struct sink {
    synack_trace_fn fn;
    void *ctx;
    const char *name;           /* the stack's name, stamped on every event */
    struct synack_stats *stats; /* drop counters */
    int depth;                  /* > 0 while the callback runs (the stack refuses calls) */
};

static inline bool sink_on(const struct sink *s)
{
    return s->fn != 0;
}
/* Delivers ev (its `who` is set here). */
void sink_emit(struct sink *s, struct synack_trace_event *ev);
/* Counts a drop by reason and traces it; seg (when the datagram parsed) names the 4-tuple,
 * sd the socket (-1 for none). */
void sink_drop(struct sink *s, uint64_t now, int reason, const uint8_t *pkt, uint32_t len,
               const struct synack_segment *seg, int sd);

#endif
