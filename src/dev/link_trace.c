/*
 * dev/link_trace.c - the one place a link event becomes a trace event (see link_trace.h).
 */
#include "dev/link_trace.h"

#include "wire/wire.h"

void dev_link_event(synack_trace_fn fn, void *ctx, const char *who, uint64_t now, int what,
                    const uint8_t *pkt, size_t len)
{
    if (!fn) return;
    struct synack_trace_event ev = {.kind = SYNACK_TRACE_LINK,
                                    .now = now,
                                    .sd = -1,
                                    .who = who,
                                    .link_event = what,
                                    .pkt = pkt,
                                    .pkt_len = (uint32_t)len};
    if (wire_segment_parse(pkt, len, false, &ev.seg) == 0) {
        ev.has_seg = true;
        ev.local_addr = ev.seg.src;
        ev.local_port = ev.seg.tcp.sport;
        ev.remote_addr = ev.seg.dst;
        ev.remote_port = ev.seg.tcp.dport;
    }
    fn(ctx, &ev);
}
