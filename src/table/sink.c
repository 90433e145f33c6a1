/*
 * table/sink.c - the drop and trace sink of table/sink.h.
 */
#include "table/sink.h"

void sink_emit(struct sink *s, struct synack_trace_event *ev)
{
    if (!s->fn) return;
    ev->who = s->name;
    /* The callback runs in the middle of protocol processing: while it does, the entry
     * points refuse calls (SYNACK_EBUSY) rather than change the tables under the code that
     * called it (entry/stack.c, entry/socket.c). */
    s->depth++;
    s->fn(s->ctx, ev);
    s->depth--;
}

void sink_drop(struct sink *s, uint64_t now, int reason, const uint8_t *pkt, uint32_t len,
               const struct synack_segment *seg, int sd)
{
    s->stats->drops++;
    if (reason >= 0 && reason < 64) s->stats->drop_by_reason[reason]++;
    if (!sink_on(s)) return;
    struct synack_trace_event ev = {.kind = SYNACK_TRACE_DROP,
                                    .now = now,
                                    .sd = sd,
                                    .reason = reason,
                                    .pkt = pkt,
                                    .pkt_len = len};
    if (seg) {
        ev.has_seg = true;
        ev.seg = *seg;
        ev.local_addr = seg->dst;
        ev.local_port = seg->tcp.dport;
        ev.remote_addr = seg->src;
        ev.remote_port = seg->tcp.sport;
    }
    sink_emit(s, &ev);
}
