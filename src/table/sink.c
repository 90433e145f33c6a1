/*
 * table/sink.c - the drop and trace sink of table/sink.h.
 */
#include "table/sink.h"

void sink_emit(const struct sink *s, struct synack_trace_event *ev)
{
    if (!s->fn) return;
    ev->who = s->name;
    s->fn(s->ctx, ev);
}

void sink_drop(const struct sink *s, uint64_t now, int reason, const uint8_t *pkt, uint32_t len,
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
        ev.local_addr = seg->ip.dst;
        ev.local_port = seg->tcp.dport;
        ev.remote_addr = seg->ip.src;
        ev.remote_port = seg->tcp.sport;
    }
    sink_emit(s, &ev);
}
