/*
 * dev/sim.c - the simulated link: two ends, each direction a FIFO with one-way delay,
 * a serialization rate and a bounded bottleneck queue (drop-tail), so that congestion
 * control has a real bottleneck to find. Loss, duplication, reordering and corruption
 * come from dev/faults.c, wrapped around each end with its own seed.
 *
 * Packets are held in a byte ring per direction, allocated once: nothing is allocated
 * per packet. Since every packet of one direction sees the same delay, the FIFO order
 * is the delivery order.
 */
#include <stdlib.h>
#include <string.h>

#include "dev/link_trace.h"
#include "base/ring.h"
#include "synack/dev.h"

struct sim_dir {
    struct ring q;       /* entries: due (8 bytes), length (4), the datagram */
    uint64_t tx_free_at; /* when the transmitter finishes what it has */
    uint32_t count;
};

struct sim_end {
    struct synack_dev dev;
    struct synack_sim_link *link;
    int idx;
};

struct synack_sim_link {
    struct synack_sim_config cfg;
    struct sim_dir dir[2]; /* dir[i]: sent by end i */
    struct sim_end end[2];
    synack_dev *outer[2]; /* the faults wrapper around each end */
    synack_trace_fn trace;
    void *trace_ctx;
};

void synack_sim_config_default(struct synack_sim_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mtu = 1500;
    cfg->delay_us = 1000;
    cfg->queue_limit = 1000;
    cfg->faults.inbound = false;
    cfg->faults.outbound = true;
    cfg->name[0] = "link0";
    cfg->name[1] = "link1";
}

#define ENTRY_HDR 12 /* due (8), length (4) */

static size_t entry_size(size_t len)
{
    return ENTRY_HDR + len;
}

static void link_event(struct synack_sim_link *l, int end, uint64_t now, int what,
                       const uint8_t *pkt, size_t len)
{
    dev_link_event(l->trace, l->trace_ctx, l->cfg.name[end], now, what, pkt, len);
}

static int sim_send(synack_dev *dev, uint64_t now, const uint8_t *pkt, size_t len)
{
    struct sim_end *e = (struct sim_end *)dev;
    struct synack_sim_link *l = e->link;
    struct sim_dir *d = &l->dir[e->idx];
    if (len > l->cfg.mtu) {
        link_event(l, e->idx, now, SYNACK_LINK_QUEUE_DROP, pkt, len);
        return 0;
    }
    uint64_t start = d->tx_free_at > now ? d->tx_free_at : now;
    uint64_t tx = 0;
    if (l->cfg.bandwidth_bps) {
        tx = ((uint64_t)len * 8 * 1000000 + l->cfg.bandwidth_bps - 1) / l->cfg.bandwidth_bps;
        uint64_t per_mtu = ((uint64_t)l->cfg.mtu * 8 * 1000000) / l->cfg.bandwidth_bps;
        /* Drop-tail: the bottleneck queue holds queue_limit full-sized packets. */
        if (start - now > per_mtu * l->cfg.queue_limit) {
            link_event(l, e->idx, now, SYNACK_LINK_QUEUE_DROP, pkt, len);
            return 0;
        }
    }
    size_t need = entry_size(len);
    if (need > ring_free_space(&d->q)) {
        link_event(l, e->idx, now, SYNACK_LINK_QUEUE_DROP, pkt, len);
        return 0;
    }
    d->tx_free_at = start + tx;
    uint64_t due = d->tx_free_at + l->cfg.delay_us;
    uint8_t hdr[ENTRY_HDR];
    memcpy(hdr, &due, 8);
    uint32_t len32 = (uint32_t)len;
    memcpy(hdr + 8, &len32, 4);
    ring_write(&d->q, hdr, ENTRY_HDR);
    ring_write(&d->q, pkt, len32);
    d->count++;
    return 0;
}

static uint64_t head_due(const struct sim_dir *d)
{
    if (d->count == 0) return UINT64_MAX;
    uint64_t due;
    ring_peek(&d->q, 0, &due, 8);
    return due;
}

static int sim_recv(synack_dev *dev, uint64_t now, uint8_t *buf, size_t cap)
{
    struct sim_end *e = (struct sim_end *)dev;
    struct sim_dir *d = &e->link->dir[1 - e->idx];
    if (head_due(d) > now) return 0;
    uint8_t hdr[ENTRY_HDR];
    ring_peek(&d->q, 0, hdr, ENTRY_HDR);
    uint32_t len;
    memcpy(&len, hdr + 8, 4);
    if (len > cap) return SYNACK_EMSGSIZE;
    ring_peek(&d->q, ENTRY_HDR, buf, len);
    ring_consume(&d->q, (uint32_t)entry_size(len));
    d->count--;
    return (int)len;
}

static uint64_t sim_next_deadline(const synack_dev *dev)
{
    const struct sim_end *e = (const struct sim_end *)dev;
    return head_due(&e->link->dir[1 - e->idx]);
}

static const struct synack_dev_ops sim_ops = {
    .send = sim_send, .recv = sim_recv, .next_deadline = sim_next_deadline, .free = NULL};

synack_sim_link *synack_sim_link_new(const struct synack_sim_config *cfg)
{
    struct synack_sim_link *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->cfg = *cfg;
    if (!l->cfg.mtu) l->cfg.mtu = 1500;
    if (!l->cfg.queue_limit) l->cfg.queue_limit = 1000;
    if (!l->cfg.name[0]) l->cfg.name[0] = "link0";
    if (!l->cfg.name[1]) l->cfg.name[1] = "link1";
    /* Room for the bottleneck queue, plus what is on the wire (bandwidth x delay), plus
     * slack for an unlimited-rate link whose windows put many packets in flight. */
    size_t bdp =
        cfg->bandwidth_bps ? (size_t)(cfg->delay_us * cfg->bandwidth_bps / 8000000) * 2 : 0;
    size_t cap = (size_t)l->cfg.queue_limit * entry_size(l->cfg.mtu) + bdp + (8u << 20);
    if (cap > (1u << 31)) cap = 1u << 31; /* a ring is at most 2 GiB */
    for (int i = 0; i < 2; i++) {
        /* The queue takes all its memory now: a datagram is written in two parts that
         * must not be split by a failed allocation. */
        int r = ring_init(&l->dir[i].q, (uint32_t)cap);
        if (r == 0) r = ring_reserve(&l->dir[i].q, (uint32_t)cap);
        l->end[i].dev.ops = &sim_ops;
        l->end[i].dev.mtu = l->cfg.mtu;
        l->end[i].dev.name = l->cfg.name[i];
        l->end[i].link = l;
        l->end[i].idx = i;
        if (r < 0) {
            synack_sim_link_free(l);
            return NULL;
        }
    }
    const struct synack_faults_config *f = &cfg->faults;
    bool faulty = f->loss > 0 || f->dup > 0 || f->reorder > 0 || f->corrupt > 0 || f->ce > 0 ||
                  f->delay_us > 0 || f->jitter_us > 0;
    for (int i = 0; i < 2; i++) {
        if (!faulty) {
            l->outer[i] = &l->end[i].dev;
            continue;
        }
        struct synack_faults_config fc = *f;
        /* Each direction its own stream of faults, both from the one seed. */
        fc.seed = f->seed * 2 + (uint64_t)i + 1;
        fc.outbound = true;
        fc.inbound = false;
        l->outer[i] = synack_faults_wrap(&l->end[i].dev, &fc);
        if (!l->outer[i]) {
            synack_sim_link_free(l);
            return NULL;
        }
    }
    return l;
}

synack_dev *synack_sim_end(synack_sim_link *l, int end)
{
    return l->outer[end & 1];
}

void synack_sim_set_trace(synack_sim_link *l, synack_trace_fn fn, void *ctx)
{
    l->trace = fn;
    l->trace_ctx = ctx;
    for (int i = 0; i < 2; i++) {
        if (!l->outer[i]) continue;
        l->outer[i]->trace = fn;
        l->outer[i]->trace_ctx = ctx;
        l->outer[i]->name = l->cfg.name[i];
    }
}

void synack_sim_link_free(synack_sim_link *l)
{
    if (!l) return;
    for (int i = 0; i < 2; i++) {
        if (l->outer[i] && l->outer[i] != &l->end[i].dev) synack_dev_free(l->outer[i]);
        ring_free(&l->dir[i].q);
    }
    free(l);
}
