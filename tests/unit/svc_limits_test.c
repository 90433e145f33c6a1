/*
 * svc_limits_test.c - the timeouts and the eviction order of `synack serve`'s connections
 * (tools/synack/svc_limits.c, compiled in here: the tool is not a library).
 */
#include "test.h"

#include "../../tools/synack/svc_limits.c"

#define S 1000000ull /* one second in microseconds */

static const struct svc_timeouts http = {.header_us = 10 * S, .idle_us = 30 * S};

static struct svc_conn conn(enum svc_phase p, uint64_t since, uint64_t progress)
{
    struct svc_conn c;
    memset(&c, 0, sizeof c);
    c.phase = p;
    c.phase_since = since;
    c.last_progress = progress;
    return c;
}

TEST(header_timeout_counts_from_the_start_of_the_head)
{
    /* Accepted at 100 s; a byte a second comes and is progress, but the head is still due
     * at 110 s: a trickle does not extend the header timeout. */
    struct svc_conn c = conn(SVC_PHASE_HEAD, 100 * S, 100 * S);
    enum svc_expiry why;
    for (uint64_t t = 101; t < 110; t++) {
        c.last_progress = t * S;
        svc_set_phase(&c, SVC_PHASE_HEAD, t * S); /* what the HTTP service does per byte */
        ASSERT_EQ(svc_deadline(&http, &c, &why), 110 * S);
        ASSERT_EQ(why, SVC_EXPIRE_HEADER);
    }
}

TEST(kept_alive_idle_then_a_new_head)
{
    /* A response was queued at 50 s: idle until 80 s. */
    struct svc_conn c = conn(SVC_PHASE_RESPONSE, 40 * S, 50 * S);
    svc_set_phase(&c, SVC_PHASE_IDLE, 50 * S);
    enum svc_expiry why;
    ASSERT_EQ(svc_deadline(&http, &c, &why), 80 * S);
    ASSERT_EQ(why, SVC_EXPIRE_IDLE);
    /* The next head's first byte at 70 s: the header timeout runs from there. */
    svc_set_phase(&c, SVC_PHASE_HEAD, 70 * S);
    ASSERT_EQ(svc_deadline(&http, &c, &why), 80 * S);
    ASSERT_EQ(why, SVC_EXPIRE_HEADER);
    svc_set_phase(&c, SVC_PHASE_HEAD, 75 * S);
    ASSERT_EQ(c.phase_since, 70 * S);
}

TEST(response_stalls_without_progress)
{
    /* A response the peer stopped reading (a zero window): due 30 s after the last byte
     * was queued, however long ago the response began. */
    struct svc_conn c = conn(SVC_PHASE_RESPONSE, 10 * S, 500 * S);
    enum svc_expiry why;
    ASSERT_EQ(svc_deadline(&http, &c, &why), 530 * S);
    ASSERT_EQ(why, SVC_EXPIRE_STALL);
}

TEST(stream_idle_or_stalled)
{
    const struct svc_timeouts echo = {.idle_us = 300 * S};
    struct svc_conn c = conn(SVC_PHASE_STREAM, 0, 20 * S);
    enum svc_expiry why;
    ASSERT_EQ(svc_deadline(&echo, &c, &why), 320 * S);
    ASSERT_EQ(why, SVC_EXPIRE_IDLE);
    c.busy = true; /* output waiting and nothing moving: the peer does not read */
    ASSERT_EQ(svc_deadline(&echo, &c, &why), 320 * S);
    ASSERT_EQ(why, SVC_EXPIRE_STALL);
    /* the header timeout is HTTP's only */
    c.busy = false;
    const struct svc_timeouts both = {.header_us = 1 * S, .idle_us = 300 * S};
    ASSERT_EQ(svc_deadline(&both, &c, &why), 320 * S);
}

TEST(zero_means_none_and_closing_has_none)
{
    const struct svc_timeouts none = {0};
    enum svc_expiry why;
    for (int p = SVC_PHASE_STREAM; p <= SVC_PHASE_CLOSING; p++) {
        struct svc_conn c = conn((enum svc_phase)p, 5 * S, 5 * S);
        ASSERT_EQ(svc_deadline(&none, &c, &why), UINT64_MAX);
        ASSERT_EQ(why, SVC_EXPIRE_NONE);
    }
    struct svc_conn c = conn(SVC_PHASE_CLOSING, 5 * S, 5 * S);
    ASSERT_EQ(svc_deadline(&http, &c, &why), UINT64_MAX);
    /* no overflow near the end of time */
    c = conn(SVC_PHASE_HEAD, UINT64_MAX - 5, 0);
    ASSERT_EQ(svc_deadline(&http, &c, &why), UINT64_MAX);
}

/* The victim among cs[0..n) as cmd_serve.c picks it: the index, or -1. */
static int victim(const struct svc_conn *cs, int n, uint64_t now)
{
    int best = -1, best_rank = -1;
    uint64_t best_key = 0, key = 0;
    for (int i = 0; i < n; i++) {
        int r = svc_evict_rank(&cs[i], now, &key);
        if (svc_evict_better(r, key, best_rank, best_key)) best = i, best_rank = r, best_key = key;
    }
    return best;
}

TEST(eviction_prefers_closing_then_the_oldest_waiting_for_a_head)
{
    uint64_t now = 100 * S;
    struct svc_conn cs[] = {
        conn(SVC_PHASE_RESPONSE, 1 * S, 1 * S), /* sending (stalled, but not ours to judge) */
        conn(SVC_PHASE_HEAD, 60 * S, 99 * S),   /* a trickle since 60 s */
        conn(SVC_PHASE_IDLE, 50 * S, 50 * S),   /* kept alive since 50 s */
        conn(SVC_PHASE_HEAD, 99 * S, 99 * S),   /* a fresh client's head */
        conn(SVC_PHASE_STREAM, 0, 0),           /* an idle echo: after all of those */
        conn(SVC_PHASE_CLOSING, 90 * S, 90 * S),
    };
    ASSERT_EQ(victim(cs, 6, now), 5);
    ASSERT_EQ(victim(cs, 5, now), 2); /* the oldest wait for a head: kept alive since 50 s */
    cs[2].phase = SVC_PHASE_RESPONSE;
    ASSERT_EQ(victim(cs, 5, now), 1); /* then the trickle since 60 s, not the fresh head */
    cs[1].phase = cs[3].phase = SVC_PHASE_RESPONSE;
    ASSERT_EQ(victim(cs, 5, now), 4);
}

TEST(never_evicted_busy_sending_or_recently_active)
{
    uint64_t now = 100 * S;
    struct svc_conn cs[] = {
        conn(SVC_PHASE_RESPONSE, 1 * S, 1 * S),
        conn(SVC_PHASE_STREAM, 0, now - SVC_EVICT_MIN_IDLE_US + 1), /* active just now */
        conn(SVC_PHASE_STREAM, 0, 0),                               /* idle, but busy */
    };
    cs[2].busy = true;
    ASSERT_EQ(victim(cs, 3, now), -1);
    cs[1].last_progress = now - SVC_EVICT_MIN_IDLE_US;
    ASSERT_EQ(victim(cs, 3, now), 1);
}

TEST_MAIN()
