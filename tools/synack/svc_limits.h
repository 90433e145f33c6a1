/*
 * tools/synack/svc_limits.h - the pure part of `serve`'s defence against connections that
 * hold a slot and do nothing (slowloris, idle or non-reading peers): each connection's next
 * timeout from its phase (svc.h), and which connection to evict when a service is full.
 * No I/O and no clock of its own, so that tests/unit/svc_limits_test.c drives it directly.
 *
 *   phase      deadline                             on expiry
 *   HEAD       phase_since + header timeout         HTTP 408, then close (a byte a second
 *                                                   does not extend it: nginx's
 *                                                   client_header_timeout)
 *   IDLE       phase_since + idle timeout           close (kept-alive connection unused)
 *   RESPONSE   last_progress + idle timeout         abort: the peer stopped reading (a zero
 *                                                   window the stack would probe forever)
 *   STREAM     last_progress + idle timeout         close; abort when output is stuck (busy)
 *   CLOSING    none here (the lingering close has its own bound)
 *
 * Eviction, when a new connection finds its service (or the whole server) at its limit: the
 * victim is a lingering close first, else the connection that has waited longest for a request
 * head (HEAD or IDLE, by phase_since: the oldest slowloris goes first, and a fresh client, whose
 * head comes at once, is never the oldest), else the stream connection idle longest (at least
 * SVC_EVICT_MIN_IDLE_US). A connection sending a response or moving data is never evicted;
 * when there is no victim the new connection is refused (closed at once).
 */
#ifndef SYNACK_TOOLS_SVC_LIMITS_H
#define SYNACK_TOOLS_SVC_LIMITS_H

#include <stdint.h>

#include "svc.h"

#define SVC_EVICT_MIN_IDLE_US 1000000ull /* a stream connection idle this long may be evicted */

/* A service's timeouts, microseconds; 0 = none. */
struct svc_timeouts {
    uint64_t header_us; /* whole request head (HTTP) */
    uint64_t idle_us;   /* no progress, or kept alive with no request */
};

enum svc_expiry {
    SVC_EXPIRE_NONE = 0,
    SVC_EXPIRE_HEADER, /* answer 408 (HTTP) and close */
    SVC_EXPIRE_IDLE,   /* close gracefully */
    SVC_EXPIRE_STALL,  /* output made no progress: abort */
};

/* The connection's next deadline (UINT64_MAX for none) and what expires then. */
uint64_t svc_deadline(const struct svc_timeouts *t, const struct svc_conn *c, enum svc_expiry *why);

/* -1 when c must not be evicted; else its rank (lower goes first) with *age_key (lower, i.e.
 * older, goes first within a rank). */
int svc_evict_rank(const struct svc_conn *c, uint64_t now, uint64_t *age_key);

/* True when a (rank ra, key ka) is a better victim than b (rank rb, key kb); rb < 0: none. */
static inline int svc_evict_better(int ra, uint64_t ka, int rb, uint64_t kb)
{
    return ra >= 0 && (rb < 0 || ra < rb || (ra == rb && ka < kb));
}

#endif
