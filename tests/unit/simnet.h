/*
 * simnet.h - two synack stacks on one simulated link, for the sim tests.
 *
 * Stack A is the client at 10.0.0.1, stack B the server at 10.0.0.2; with SIMNET_FAMILY=6 in
 * the environment both stacks also have an IPv6 address (fd00::1 and fd00::2) and the
 * connections go over IPv6 (ctest runs the sim tests both ways). Each side's device is
 * the sim link's end wrapped in a filter that can drop chosen segments ("lose the first
 * SYN-ACK"), so a test can make one exact thing happen. Time is virtual: simnet_run_until()
 * steps the clock from event to event until a condition holds or a time limit passes. State
 * changes of both stacks are recorded with their times, for assertions.
 */
#ifndef SYNACK_SIMNET_H
#define SYNACK_SIMNET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/dev.h"
#include "synack/synack.h"
#include "synack/trace.h"
#include "wire/wire.h"

/* The family the sim tests run over: SIMNET_FAMILY=6 in the environment asks for IPv6. */
static inline bool simnet_ipv6(void)
{
    const char *f = getenv("SIMNET_FAMILY");
    return f && !strcmp(f, "6");
}

/* Side 0's (A's) or side 1's (B's) address in the family of this run. */
static inline struct synack_addr sim_addr(int side)
{
    struct synack_addr a;
    if (simnet_ipv6()) {
        synack_addr_parse(side == 0 ? "fd00::1" : "fd00::2", &a);
        return a;
    }
    return synack_addr_v4(side == 0 ? 0x0a000001u : 0x0a000002u);
}
#define SIM_A_ADDR sim_addr(0)
#define SIM_B_ADDR sim_addr(1)

/* A full-size segment's payload on the default 1500-byte MTU with the timestamp option:
 * 1448 bytes over IPv4, 1428 over IPv6 (a 40-byte IPv6 header, RFC 8200 §3). */
static inline uint32_t sim_mss(void)
{
    return simnet_ipv6() ? 1500 - 40 - 20 - 12 : 1500 - 20 - 20 - 12;
}

struct simnet;
/* Return true to drop the segment that side `from` (0 = A, 1 = B) is sending. */
typedef bool (*simnet_drop_fn)(struct simnet *n, int from, const struct synack_segment *seg);
/* Return when (µs) the segment side `from` is sending may enter the link, or 0 for now: a
 * delay spike on one direction. Held segments keep their order (one behind another is
 * held at least as long), at most SIMNET_HOLD_MAX per side (more are sent at once). */
typedef uint64_t (*simnet_hold_fn)(struct simnet *n, int from, const struct synack_segment *seg);
#define SIMNET_HOLD_MAX 64

struct simnet_filter {
    struct synack_dev dev;
    synack_dev *inner;
    struct simnet *net;
    int side;
};

struct simnet_state {
    int side;
    int old_state, new_state;
    uint64_t t;
    uint16_t lport;
};

struct simnet_seg {
    uint64_t t;
    int side; /* who sent it */
    uint32_t seq, ack, len;
    uint16_t flags, win;
    bool retransmit;
    uint8_t nsack;   /* SACK blocks it carried */
    uint32_t ip_len; /* the whole datagram's length */
};

#define SIMNET_MAX_SEGS 4096

struct simnet {
    synack_stack *st[2];
    synack_sim_link *link;
    struct simnet_filter filt[2];
    uint64_t now;
    simnet_drop_fn drop;
    simnet_hold_fn hold;
    struct {
        uint64_t at;
        uint32_t len;
        uint8_t pkt[1600];
    } held[2][SIMNET_HOLD_MAX];
    int nheld[2], held_total[2];
    int drop_count[2];      /* segments dropped by the filter, per side */
    int wrong_family;       /* segments sent over the other IP version than the run's */
    int sent_flags[2][512]; /* flags of each TCP segment sent, per side (first 512) */
    int nsent[2];
    struct simnet_state states[512];
    int nstates;
    struct simnet_seg segs[SIMNET_MAX_SEGS]; /* segments the stacks sent (the first ones) */
    int nsegs;
    uint64_t user; /* for the test's drop function */
    int user_n;
    /* Called after each step with the time the step ran at (n->now is the next event's):
     * the stacks' state holds from then until n->now (bench_sim's time accounting). */
    void (*on_step)(struct simnet *n, uint64_t ran_at);
    void *on_step_ctx;
};

/* The held segments whose time has come go into the link, in order. */
static void simnet_filter_release(struct simnet_filter *f, uint64_t now)
{
    struct simnet *n = f->net;
    int s = f->side, k = 0;
    while (k < n->nheld[s] && n->held[s][k].at <= now) {
        (void)synack_dev_send(f->inner, now, n->held[s][k].pkt, n->held[s][k].len);
        k++;
    }
    if (k == 0) return;
    memmove(&n->held[s][0], &n->held[s][k], (size_t)(n->nheld[s] - k) * sizeof n->held[s][0]);
    n->nheld[s] -= k;
}

static int simnet_filter_send(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len)
{
    struct simnet_filter *f = (struct simnet_filter *)d;
    struct simnet *n = f->net;
    simnet_filter_release(f, now);
    struct synack_segment seg;
    if (wire_segment_parse(pkt, len, false, &seg) == 0) {
        if (n->nsent[f->side] < 512) n->sent_flags[f->side][n->nsent[f->side]++] = seg.tcp.flags;
        if (n->drop && n->drop(n, f->side, &seg)) {
            n->drop_count[f->side]++;
            return 0;
        }
        uint64_t at = n->hold ? n->hold(n, f->side, &seg) : 0;
        int s = f->side;
        if (n->nheld[s] > 0 && at < n->held[s][n->nheld[s] - 1].at)
            at = n->held[s][n->nheld[s] - 1].at; /* behind one held: no overtaking */
        if (at > now && n->nheld[s] < SIMNET_HOLD_MAX && len <= sizeof n->held[s][0].pkt) {
            n->held[s][n->nheld[s]].at = at;
            n->held[s][n->nheld[s]].len = (uint32_t)len;
            memcpy(n->held[s][n->nheld[s]].pkt, pkt, len);
            n->nheld[s]++;
            n->held_total[s]++;
            return 0;
        }
    }
    return synack_dev_send(f->inner, now, pkt, len);
}

static int simnet_filter_recv(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
    struct simnet_filter *f = (struct simnet_filter *)d;
    simnet_filter_release(f, now);
    return synack_dev_recv(f->inner, now, buf, cap);
}

static uint64_t simnet_filter_deadline(const synack_dev *d)
{
    const struct simnet_filter *f = (const struct simnet_filter *)d;
    uint64_t t = synack_dev_next_deadline(f->inner);
    const struct simnet *n = f->net;
    if (n->nheld[f->side] > 0 && n->held[f->side][0].at < t) t = n->held[f->side][0].at;
    return t;
}

static const struct synack_dev_ops simnet_filter_ops = {.send = simnet_filter_send,
                                                        .recv = simnet_filter_recv,
                                                        .next_deadline = simnet_filter_deadline,
                                                        .free = NULL};

static void simnet_trace(void *ctx, const struct synack_trace_event *ev)
{
    struct simnet *n = ctx;
    /* Every segment must be of the family the run asked for: a test that thinks it runs
     * over IPv6 while its connection went over IPv4 would prove nothing. */
    if (ev->kind == SYNACK_TRACE_SEG_OUT && ev->has_seg &&
        ev->seg.family != (simnet_ipv6() ? SYNACK_AF_INET6 : SYNACK_AF_INET))
        n->wrong_family++;
    if (ev->kind == SYNACK_TRACE_SEG_OUT && ev->has_seg && n->nsegs < SIMNET_MAX_SEGS) {
        n->segs[n->nsegs++] = (struct simnet_seg){.t = ev->now,
                                                  .side = strcmp(ev->who, "A") == 0 ? 0 : 1,
                                                  .seq = ev->seg.tcp.seq,
                                                  .ack = ev->seg.tcp.ack,
                                                  .len = ev->seg.payload_len,
                                                  .flags = ev->seg.tcp.flags,
                                                  .win = ev->seg.tcp.window,
                                                  .retransmit = ev->retransmit,
                                                  .nsack = ev->seg.tcp.opts.sack_count,
                                                  .ip_len = ev->pkt_len};
        return;
    }
    if (ev->kind != SYNACK_TRACE_STATE || n->nstates >= 512) return;
    n->states[n->nstates++] = (struct simnet_state){.side = strcmp(ev->who, "A") == 0 ? 0 : 1,
                                                    .old_state = ev->old_state,
                                                    .new_state = ev->new_state,
                                                    .t = ev->now,
                                                    .lport = ev->local_port};
}

static inline void simnet_config(struct synack_config *c, int side, uint64_t seed)
{
    synack_config_default(c);
    c->name = side == 0 ? "A" : "B";
    c->addr = synack_addr_v4(side == 0 ? 0x0a000001u : 0x0a000002u);
    if (simnet_ipv6()) {
        c->addr6 = sim_addr(side);
        c->prefix6_len = 64;
    }
    c->isn_secret_set = true;
    for (int i = 0; i < 16; i++)
        c->isn_secret[i] = (uint8_t)(seed * 31 + (uint64_t)i * 7 + (uint64_t)side);
    c->seed = seed * 2 + (uint64_t)side + 1;
}

/* cfgs may be NULL for defaults; lc may be NULL for a clean 1 ms link. */
static inline void simnet_init_with(struct simnet *n, struct synack_config *cfgs,
                                    const struct synack_sim_config *lc, uint64_t seed)
{
    memset(n, 0, sizeof *n);
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        if (cfgs)
            c[i] = cfgs[i];
        else
            simnet_config(&c[i], i, seed);
        c[i].trace = simnet_trace;
        c[i].trace_ctx = n;
        int err;
        n->st[i] = synack_stack_new(&c[i], &err);
    }
    struct synack_sim_config l;
    if (lc)
        l = *lc;
    else {
        synack_sim_config_default(&l);
        l.delay_us = 1000;
    }
    n->link = synack_sim_link_new(&l);
    for (int i = 0; i < 2; i++) {
        n->filt[i].dev.ops = &simnet_filter_ops;
        n->filt[i].dev.mtu = l.mtu ? l.mtu : 1500;
        n->filt[i].inner = synack_sim_end(n->link, i);
        n->filt[i].net = n;
        n->filt[i].side = i;
    }
}

static inline void simnet_init(struct simnet *n, uint64_t seed)
{
    simnet_init_with(n, NULL, NULL, seed);
}

static inline void simnet_free(struct simnet *n)
{
    if (n->wrong_family) {
        fprintf(stderr, "    %d segments went over the other IP version than SIMNET_FAMILY asks\n",
                n->wrong_family);
        exit(1);
    }
    synack_sim_link_free(n->link);
    synack_stack_free(n->st[0]);
    synack_stack_free(n->st[1]);
}

/* Runs everything due at n->now, then advances to the next event; returns false when
 * nothing is scheduled any more. */
static inline bool simnet_step(struct simnet *n)
{
    synack_dev *devs[2] = {&n->filt[0].dev, &n->filt[1].dev};
    uint64_t next = synack_sim_step(n->st, devs, 2, n->now);
    if (next == UINT64_MAX) return false;
    uint64_t ran_at = n->now;
    n->now = next;
    if (n->on_step) n->on_step(n, ran_at);
    return true;
}

/* Steps until cond(n, ctx) holds (checked at every event) or the clock passes limit. */
static inline bool simnet_run_until(struct simnet *n, uint64_t limit,
                                    bool (*cond)(struct simnet *, void *), void *ctx)
{
    for (uint64_t i = 0; i < 100000000ull; i++) {
        synack_dev *devs[2] = {&n->filt[0].dev, &n->filt[1].dev};
        uint64_t next = synack_sim_step(n->st, devs, 2, n->now);
        if (cond && cond(n, ctx)) return true;
        if (next == UINT64_MAX || next > limit) {
            if (next != UINT64_MAX && n->now < limit) n->now = limit;
            return cond ? cond(n, ctx) : true;
        }
        n->now = next;
    }
    return false;
}

/* Runs the clock forward to t, handling whatever happens on the way. */
static inline void simnet_run_to(struct simnet *n, uint64_t t)
{
    simnet_run_until(n, t, NULL, NULL);
}

static inline int simnet_state(struct simnet *n, int side, int sd)
{
    struct synack_sockinfo si;
    if (synack_getinfo(n->st[side], sd, &si) < 0) return -1;
    return si.state;
}

/* The time side entered state (the first time), or UINT64_MAX. */
static inline uint64_t simnet_state_time(struct simnet *n, int side, int state)
{
    for (int i = 0; i < n->nstates; i++)
        if (n->states[i].side == side && n->states[i].new_state == state) return n->states[i].t;
    return UINT64_MAX;
}

static inline bool simnet_saw_state(struct simnet *n, int side, int state)
{
    return simnet_state_time(n, side, state) != UINT64_MAX;
}

#endif
