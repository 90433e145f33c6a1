/*
 * dev/faults.c - a seeded fault injector that wraps any device: loss, duplication,
 * reordering, corruption, CE marks (ECN), fixed delay and jitter, each drawn from one PRNG
 * stream, so
 * that a seed names one exact run. Outbound faults apply to what is sent through the
 * wrapper, inbound ones to what the inner device receives. Delayed datagrams wait in a
 * heap ordered by due time (then by arrival, so equal delays keep their order), sized
 * once: when it is full a datagram passes without delay rather than be held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/splitmix.h"
#include "dev/link_trace.h"
#include "synack/dev.h"
#include "synack/tun.h"
#include "wire/wire.h"

struct held {
    uint64_t due, order;
    uint32_t len;
    bool inbound;
    uint8_t *data;
};

struct faults_dev {
    struct synack_dev dev;
    synack_dev *inner;
    struct synack_faults_config cfg;
    uint64_t rng;
    struct held *heap;
    uint32_t n, max;
    uint64_t order;
    uint8_t *slots; /* max slots of slot_size bytes */
    uint32_t *free_slots;
    uint32_t n_free;
    uint32_t slot_size;
    /* A received datagram chosen for duplication is returned twice. */
    uint8_t *dup_buf;
    uint32_t dup_len;
};

static uint64_t next_rand(struct faults_dev *f)
{
    return splitmix64(&f->rng);
}

/* A uniform double in [0, 1). */
static double uniform(struct faults_dev *f)
{
    return (double)(next_rand(f) >> 11) * 0x1.0p-53;
}

static void event(struct faults_dev *f, uint64_t now, int what, const uint8_t *pkt, size_t len)
{
    dev_link_event(f->dev.trace, f->dev.trace_ctx, f->dev.name, now, what, pkt, len);
}

static bool held_before(const struct held *a, const struct held *b)
{
    return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void heap_push(struct faults_dev *f, struct held h)
{
    uint32_t i = f->n++;
    f->heap[i] = h;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!held_before(&f->heap[i], &f->heap[p])) break;
        struct held t = f->heap[i];
        f->heap[i] = f->heap[p];
        f->heap[p] = t;
        i = p;
    }
}

static struct held heap_pop(struct faults_dev *f)
{
    struct held top = f->heap[0];
    f->heap[0] = f->heap[--f->n];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < f->n && held_before(&f->heap[l], &f->heap[m])) m = l;
        if (r < f->n && held_before(&f->heap[r], &f->heap[m])) m = r;
        if (m == i) break;
        struct held t = f->heap[i];
        f->heap[i] = f->heap[m];
        f->heap[m] = t;
        i = m;
    }
    return top;
}

/* Extra delay for one datagram: the fixed delay, jitter, and the reorder hold-back. */
static uint64_t draw_delay(struct faults_dev *f, uint64_t now, const uint8_t *pkt, size_t len)
{
    uint64_t d = f->cfg.delay_us;
    if (f->cfg.jitter_us) d += next_rand(f) % (f->cfg.jitter_us + 1);
    if (f->cfg.reorder > 0 && uniform(f) < f->cfg.reorder) {
        d += f->cfg.reorder_us ? f->cfg.reorder_us : 2000 + f->cfg.delay_us;
        event(f, now, SYNACK_LINK_REORDERED, pkt, len);
    }
    return d;
}

/* Holds a copy for delay us; false when there is no room (then it goes at once). */
static bool hold(struct faults_dev *f, uint64_t now, uint64_t delay, const uint8_t *pkt, size_t len,
                 bool inbound)
{
    if (f->n_free == 0 || len > f->slot_size) return false;
    uint32_t slot = f->free_slots[--f->n_free];
    uint8_t *data = f->slots + (size_t)slot * f->slot_size;
    memcpy(data, pkt, len);
    heap_push(f, (struct held){.due = now + delay,
                               .order = f->order++,
                               .len = (uint32_t)len,
                               .inbound = inbound,
                               .data = data});
    return true;
}

static void release_slot(struct faults_dev *f, const uint8_t *data)
{
    f->free_slots[f->n_free++] = (uint32_t)((size_t)(data - f->slots) / f->slot_size);
}

/* Marks an ECN-capable datagram CE, "congestion experienced" (RFC 3168 §5: the ECN field's
 * 11), as a router's active queue management does instead of dropping it. Not-ECT
 * datagrams (00) are left alone: they would have been dropped, and this stage only marks.
 * IPv4's header checksum is updated for the change; IPv6 has none. Returns true when it
 * marked. */
static bool mark_ce(uint8_t *pkt, size_t len)
{
    if (len >= 20 && pkt[0] >> 4 == 4) {
        if ((pkt[1] & 3) == 0) return false;
        /* As a router does (RFC 1624 §3, RFC 3168 §5): the checksum is updated for the one
         * word that changed, not computed again, so that a datagram damaged before (the
         * corruption stage) stays detectably damaged. */
        uint16_t old = wire_get16(pkt);
        pkt[1] |= 3;
        wire_put16(pkt + 10, wire_csum_update16(wire_get16(pkt + 10), old, wire_get16(pkt)));
        return true;
    }
    if (len >= 40 && pkt[0] >> 4 == 6) {
        /* The traffic class straddles bytes 0 and 1; its two low bits are the ECN field. */
        if (((pkt[1] >> 4) & 3) == 0) return false;
        pkt[1] |= 0x30;
        return true;
    }
    return false;
}

/* One outbound datagram through the fault stages: dropped, or sent (now or later) once or
 * twice, maybe with a bit flipped. */
static void apply_outbound(struct faults_dev *f, uint64_t now, const uint8_t *pkt, size_t len)
{
    if (f->cfg.loss > 0 && uniform(f) < f->cfg.loss) {
        event(f, now, SYNACK_LINK_LOST, pkt, len);
        return;
    }
    uint8_t copy[65535];
    if (f->cfg.corrupt > 0 && uniform(f) < f->cfg.corrupt && len > 0 && len <= sizeof copy) {
        memcpy(copy, pkt, len);
        uint64_t bit = next_rand(f) % (len * 8);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        event(f, now, SYNACK_LINK_CORRUPTED, pkt, len);
        pkt = copy;
    }
    if (f->cfg.ce > 0 && uniform(f) < f->cfg.ce && len <= sizeof copy) {
        if (pkt != copy) memcpy(copy, pkt, len);
        if (mark_ce(copy, len)) event(f, now, SYNACK_LINK_CE_MARKED, copy, len);
        pkt = copy;
    }
    int copies = 1;
    if (f->cfg.dup > 0 && uniform(f) < f->cfg.dup) {
        copies = 2;
        event(f, now, SYNACK_LINK_DUPLICATED, pkt, len);
    }
    for (int c = 0; c < copies; c++) {
        uint64_t d = draw_delay(f, now, pkt, len);
        if (d > 0 && hold(f, now, d, pkt, len, false)) continue;
        synack_dev_send(f->inner, now, pkt, len);
    }
}

static void flush_due(struct faults_dev *f, uint64_t now)
{
    while (f->n > 0 && f->heap[0].due <= now && !f->heap[0].inbound) {
        struct held h = heap_pop(f);
        synack_dev_send(f->inner, now, h.data, h.len);
        release_slot(f, h.data);
    }
}

static int faults_send(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len)
{
    struct faults_dev *f = (struct faults_dev *)d;
    flush_due(f, now);
    if (!f->cfg.outbound) return synack_dev_send(f->inner, now, pkt, len);
    apply_outbound(f, now, pkt, len);
    return 0;
}

static int faults_recv(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
    struct faults_dev *f = (struct faults_dev *)d;
    flush_due(f, now);
    /* What comes out of here has a complete checksum (below), so only MERGED is passed on. */
    d->rx_flags = 0;
    if (f->dup_len) {
        uint32_t n = f->dup_len;
        if (n > cap) return SYNACK_EMSGSIZE;
        memcpy(buf, f->dup_buf, n);
        f->dup_len = 0;
        return (int)n;
    }
    if (f->n > 0 && f->heap[0].due <= now && f->heap[0].inbound) {
        struct held h = heap_pop(f);
        if (h.len > cap) return SYNACK_EMSGSIZE;
        memcpy(buf, h.data, h.len);
        release_slot(f, h.data);
        return (int)h.len;
    }
    for (int tries = 0; tries < 64; tries++) {
        f->inner->rx_flags = 0;
        int n = synack_dev_recv(f->inner, now, buf, cap);
        if (n <= 0) return n;
        /* An offloading device's datagram from the host may carry a partial TCP checksum
         * that the stack is told not to check (SYNACK_DEV_RX_CSUM_OK). The injector makes it
         * whole first: a bit it corrupts must be caught as on a wire, and a datagram it holds
         * back or duplicates is handed over later, when the flag is long gone. One it cannot
         * complete keeps the flag only if it is passed on untouched. */
        unsigned fl = f->inner->rx_flags;
        if ((fl & SYNACK_DEV_RX_CSUM_OK) && synack_tun_csum_complete(buf, (size_t)n) == 0)
            fl &= ~(unsigned)SYNACK_DEV_RX_CSUM_OK;
        if (!f->cfg.inbound) {
            d->rx_flags = fl;
            return n;
        }
        if (fl & SYNACK_DEV_RX_CSUM_OK) { /* not completed: no fault may touch it */
            d->rx_flags = fl;
            return n;
        }
        d->rx_flags = fl & SYNACK_DEV_RX_MERGED;
        /* Run it through the stages; if it comes out undelayed, hand it over now. */
        if (f->cfg.loss > 0 && uniform(f) < f->cfg.loss) {
            event(f, now, SYNACK_LINK_LOST, buf, (size_t)n);
            continue;
        }
        if (f->cfg.corrupt > 0 && uniform(f) < f->cfg.corrupt) {
            uint64_t bit = next_rand(f) % ((uint64_t)n * 8);
            event(f, now, SYNACK_LINK_CORRUPTED, buf, (size_t)n);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        if (f->cfg.ce > 0 && uniform(f) < f->cfg.ce && mark_ce(buf, (size_t)n))
            event(f, now, SYNACK_LINK_CE_MARKED, buf, (size_t)n);
        if (f->cfg.dup > 0 && uniform(f) < f->cfg.dup && (uint32_t)n <= f->slot_size) {
            event(f, now, SYNACK_LINK_DUPLICATED, buf, (size_t)n);
            memcpy(f->dup_buf, buf, (size_t)n);
            f->dup_len = (uint32_t)n;
        }
        uint64_t delay = draw_delay(f, now, buf, (size_t)n);
        if (delay > 0 && hold(f, now, delay, buf, (size_t)n, true)) continue;
        return n;
    }
    return 0;
}

static uint64_t faults_next_deadline(const synack_dev *d)
{
    const struct faults_dev *f = (const struct faults_dev *)d;
    uint64_t a = synack_dev_next_deadline(f->inner);
    if (f->dup_len) return 0;
    if (f->n > 0 && f->heap[0].due < a) a = f->heap[0].due;
    return a;
}

static void faults_free(synack_dev *d)
{
    struct faults_dev *f = (struct faults_dev *)d;
    if (f->inner && f->inner->ops->free) synack_dev_free(f->inner);
    free(f->heap);
    free(f->slots);
    free(f->free_slots);
    free(f->dup_buf);
    free(f);
}

static const struct synack_dev_ops faults_ops = {.send = faults_send,
                                                 .recv = faults_recv,
                                                 .next_deadline = faults_next_deadline,
                                                 .free = faults_free};

synack_dev *synack_faults_wrap(synack_dev *inner, const struct synack_faults_config *cfg)
{
    struct faults_dev *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->dev.ops = &faults_ops;
    f->dev.mtu = inner->mtu;
    f->dev.name = inner->name;
    f->inner = inner;
    f->cfg = *cfg;
    f->rng = cfg->seed ? cfg->seed : 1;
    f->max = cfg->max_held ? cfg->max_held : 4096;
    f->slot_size = inner->mtu ? inner->mtu : 65535;
    f->heap = calloc(f->max, sizeof *f->heap);
    f->slots = malloc((size_t)f->max * f->slot_size);
    f->free_slots = malloc(f->max * sizeof *f->free_slots);
    f->dup_buf = malloc(f->slot_size);
    if (!f->heap || !f->slots || !f->free_slots || !f->dup_buf) {
        f->inner = NULL;
        faults_free(&f->dev);
        return NULL;
    }
    for (uint32_t i = 0; i < f->max; i++) f->free_slots[i] = f->max - 1 - i;
    f->n_free = f->max;
    return &f->dev;
}

static int parse_duration(const char *v, uint64_t *us)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || x < 0) return -1;
    if (*end == 0 || strcmp(end, "ms") == 0)
        *us = (uint64_t)(x * 1000);
    else if (strcmp(end, "us") == 0)
        *us = (uint64_t)x;
    else if (strcmp(end, "s") == 0)
        *us = (uint64_t)(x * 1000000);
    else
        return -1;
    return 0;
}

int synack_faults_parse(const char *spec, struct synack_faults_config *cfg, const char **bad)
{
    char buf[256];
    size_t len = spec ? strlen(spec) : sizeof buf;
    if (len >= sizeof buf) return SYNACK_EINVAL;
    memcpy(buf, spec, len + 1);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) goto fail;
        *eq = 0;
        const char *k = tok, *v = eq + 1;
        char *end;
        if (!strcmp(k, "loss") || !strcmp(k, "dup") || !strcmp(k, "reorder") ||
            !strcmp(k, "corrupt") || !strcmp(k, "ce")) {
            double p = strtod(v, &end);
            if (end == v || *end || p < 0 || p > 1) goto fail;
            if (!strcmp(k, "loss"))
                cfg->loss = p;
            else if (!strcmp(k, "dup"))
                cfg->dup = p;
            else if (!strcmp(k, "reorder"))
                cfg->reorder = p;
            else if (!strcmp(k, "ce"))
                cfg->ce = p;
            else
                cfg->corrupt = p;
        } else if (!strcmp(k, "delay")) {
            if (parse_duration(v, &cfg->delay_us) < 0) goto fail;
        } else if (!strcmp(k, "jitter")) {
            if (parse_duration(v, &cfg->jitter_us) < 0) goto fail;
        } else if (!strcmp(k, "reorder_delay")) {
            if (parse_duration(v, &cfg->reorder_us) < 0) goto fail;
        } else if (!strcmp(k, "seed")) {
            cfg->seed = strtoull(v, &end, 10);
            if (end == v || *end) goto fail;
        } else {
            goto fail;
        }
        continue;
    fail:
        if (bad) *bad = spec + (tok - buf);
        return SYNACK_EINVAL;
    }
    return 0;
}
