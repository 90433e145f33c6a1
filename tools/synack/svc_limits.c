/*
 * tools/synack/svc_limits.c - timeouts and eviction order of `serve`'s connections (see
 * svc_limits.h).
 */
#include "svc_limits.h"

static uint64_t after(uint64_t t, uint64_t d)
{
    return t > UINT64_MAX - d ? UINT64_MAX : t + d;
}

uint64_t svc_deadline(const struct svc_timeouts *t, const struct svc_conn *c, enum svc_expiry *why)
{
    *why = SVC_EXPIRE_NONE;
    uint64_t d = UINT64_MAX;
    switch (c->phase) {
    case SVC_PHASE_HEAD:
        if (t->header_us) d = after(c->phase_since, t->header_us), *why = SVC_EXPIRE_HEADER;
        break;
    case SVC_PHASE_IDLE:
        if (t->idle_us) d = after(c->phase_since, t->idle_us), *why = SVC_EXPIRE_IDLE;
        break;
    case SVC_PHASE_RESPONSE:
        if (t->idle_us) d = after(c->last_progress, t->idle_us), *why = SVC_EXPIRE_STALL;
        break;
    case SVC_PHASE_STREAM:
        if (t->idle_us) {
            d = after(c->last_progress, t->idle_us);
            *why = c->busy ? SVC_EXPIRE_STALL : SVC_EXPIRE_IDLE;
        }
        break;
    case SVC_PHASE_CLOSING:
        break;
    }
    return d;
}

int svc_evict_rank(const struct svc_conn *c, uint64_t now, uint64_t *age_key)
{
    switch (c->phase) {
    case SVC_PHASE_CLOSING:
        *age_key = c->phase_since;
        return 0;
    case SVC_PHASE_HEAD:
    case SVC_PHASE_IDLE:
        *age_key = c->phase_since;
        return 1;
    case SVC_PHASE_STREAM:
        if (c->busy || now < c->last_progress + SVC_EVICT_MIN_IDLE_US) return -1;
        *age_key = c->last_progress;
        return 2;
    case SVC_PHASE_RESPONSE:
        break;
    }
    return -1;
}
