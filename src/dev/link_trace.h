/*
 * dev/link_trace.h - how a link (the sim link, the fault injector) reports what it did to
 * a datagram (lost, duplicated, reordered, corrupted, queue drop) on the trace stream.
 */
#ifndef SYNACK_DEV_LINK_TRACE_H
#define SYNACK_DEV_LINK_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h"
#include "synack/trace.h"

/* Calls fn (if set) with a SYNACK_TRACE_LINK event; the datagram is parsed when it is TCP,
 * so that renderers can tell which segment it was. */
void dev_link_event(synack_trace_fn fn, void *ctx, const char *who, uint64_t now, int what,
                    const uint8_t *pkt, size_t len);

#endif
