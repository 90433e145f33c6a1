/*
 * dev/sim.c - the simulated link: two ends, each direction a FIFO with one-way delay,
 * a serialization rate and a bounded bottleneck queue (drop-tail), so that congestion
 * control has a real bottleneck to find. Loss, duplication, reordering and corruption
 * come from dev/faults.c, wrapped around each end with its own seed.
 *
 * Packets are held in one buffer per direction, allocated once: nothing is allocated per
 * packet. Since every packet of one direction sees the same delay, the FIFO order is the
 * delivery order. Each datagram lies whole in that buffer (an entry never wraps round its
 * end), so the receiving end can hand it to the stack where it lies (recv_zc), as a
 * device whose hardware wrote it into a ring would: the link still carries every byte
 * (copied in by send), but not a second time out. A queue that empties starts again at
 * the front of its buffer, so that a link with little in flight works in a few
 * cache-hot pages instead of walking its whole buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "dev/link_trace.h"
#include "synack/dev.h"

/* One direction's FIFO of entries: a header (when due, the length) and the datagram,
 * padded to 16 bytes so that every header and datagram starts aligned. Live entries run
 * from head to tail; when the tail reaches the end of the buffer without room for the
 * next entry it goes on at the front (a SKIP header marks the rest of the end unused, if
 * there is room for one). held: the bytes of the entry recv_zc handed out, still in the
 * queue's memory until the next take. */
struct sim_dir {
    uint8_t *buf;
    uint32_t cap, head, tail, count, held;
    bool wrapped;        /* the tail went on at the front: live bytes are head..cap, 0..tail */
    uint64_t tx_free_at; /* when the transmitter finishes what it has */
};

struct entry_hdr {
    uint64_t due;
    uint32_t len; /* SKIP: the entry is the rest of the buffer, go on at the front */
    uint32_t pad;
};
#define ENTRY_HDR ((uint32_t)sizeof(struct entry_hdr))
#define SKIP      UINT32_MAX

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

static uint32_t entry_size(size_t len)
{
    return (uint32_t)((ENTRY_HDR + len + 15) & ~(size_t)15);
}

/* Where an entry of need bytes goes, or UINT32_MAX when the queue has no room for it. */
static uint32_t dir_room(const struct sim_dir *d, uint32_t need)
{
    if (d->wrapped) return d->head - d->tail >= need ? d->tail : UINT32_MAX;
    if (d->cap - d->tail >= need) return d->tail;
    /* At the front, without reaching the oldest entry (or the one handed out). */
    return d->head >= need ? 0 : UINT32_MAX;
}

/* The oldest live entry past the one handed out (count > 0). */
static const struct entry_hdr *dir_first(const struct sim_dir *d)
{
    uint32_t at = d->head + d->held;
    if (d->cap - at >= ENTRY_HDR) {
        const struct entry_hdr *h = (const struct entry_hdr *)(d->buf + at);
        if (h->len != SKIP) return h;
    }
    return (const struct entry_hdr *)d->buf; /* it went on at the front */
}

/* Gives back the entry recv_zc handed out, and with it a SKIP behind it. */
static void dir_release(struct sim_dir *d)
{
    if (!d->held) return;
    d->head += d->held;
    d->held = 0;
    if (d->count == 0) {
        /* Empty: the next entry goes to the front, where the last ones were (cache-hot). */
        d->head = d->tail = 0;
        d->wrapped = false;
    }
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
        /* Rounded up as tx is: rounded down, a fast link's full-sized packet took 0 us and
         * its queue none (every packet sent behind another was dropped). */
        uint64_t per_mtu =
            ((uint64_t)l->cfg.mtu * 8 * 1000000 + l->cfg.bandwidth_bps - 1) / l->cfg.bandwidth_bps;
        /* Drop-tail: the bottleneck queue holds queue_limit full-sized packets. */
        if (start - now > per_mtu * l->cfg.queue_limit) {
            link_event(l, e->idx, now, SYNACK_LINK_QUEUE_DROP, pkt, len);
            return 0;
        }
    }
    uint32_t need = entry_size(len);
    uint32_t at = dir_room(d, need);
    if (at == UINT32_MAX) {
        link_event(l, e->idx, now, SYNACK_LINK_QUEUE_DROP, pkt, len);
        return 0;
    }
    if (at < d->tail) { /* on at the front: the rest of the end is unused */
        if (d->cap - d->tail >= ENTRY_HDR) ((struct entry_hdr *)(d->buf + d->tail))->len = SKIP;
        d->wrapped = true;
    }
    d->tx_free_at = start + tx;
    struct entry_hdr *h = (struct entry_hdr *)(d->buf + at);
    h->due = d->tx_free_at + l->cfg.delay_us;
    h->len = (uint32_t)len;
    memcpy(h + 1, pkt, len); /* the bytes on the wire */
    d->tail = at + need;
    d->count++;
    return 0;
}

static uint64_t head_due(const struct sim_dir *d)
{
    return d->count == 0 ? UINT64_MAX : dir_first(d)->due;
}

/* Takes the oldest entry if it is due: its header, the entry's place made head. Inline in
 * both receives: every pump asks until the queue is empty, so a lifecycle of the bench
 * makes 18 takes for its 8 datagrams, and the call cost as much as an empty take. */
static inline __attribute__((always_inline)) const struct entry_hdr *dir_take(struct sim_dir *d,
                                                                              uint64_t now)
{
    dir_release(d);
    if (head_due(d) > now) return NULL;
    const struct entry_hdr *h = dir_first(d);
    if ((const uint8_t *)h == d->buf && d->head != 0) {
        d->head = 0; /* past the SKIP at the end */
        d->wrapped = false;
    }
    return h;
}

static int sim_recv(synack_dev *dev, uint64_t now, uint8_t *buf, size_t cap)
{
    struct sim_end *e = (struct sim_end *)dev;
    struct sim_dir *d = &e->link->dir[1 - e->idx];
    const struct entry_hdr *h = dir_take(d, now);
    if (!h) return 0;
    if (h->len > cap) return SYNACK_EMSGSIZE;
    uint32_t len = h->len;
    memcpy(buf, h + 1, len);
    d->held = entry_size(len);
    d->count--;
    dir_release(d);
    return (int)len;
}

/* recv() in place: the datagram stays in the queue's buffer until the next take. */
static int sim_recv_zc(synack_dev *dev, uint64_t now, const uint8_t **pkt)
{
    struct sim_end *e = (struct sim_end *)dev;
    struct sim_dir *d = &e->link->dir[1 - e->idx];
    const struct entry_hdr *h = dir_take(d, now);
    if (!h) return 0;
    *pkt = (const uint8_t *)(h + 1);
    d->held = entry_size(h->len);
    d->count--;
    return (int)h->len;
}

static uint64_t sim_next_deadline(const synack_dev *dev)
{
    const struct sim_end *e = (const struct sim_end *)dev;
    return head_due(&e->link->dir[1 - e->idx]);
}

static const struct synack_dev_ops sim_ops = {.send = sim_send,
                                              .recv = sim_recv,
                                              .next_deadline = sim_next_deadline,
                                              .free = NULL,
                                              .recv_zc = sim_recv_zc};

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
    if (cap > (1u << 31)) cap = 1u << 31; /* at most 2 GiB */
    for (int i = 0; i < 2; i++) {
        /* The queue takes all its memory now (the pages are touched only as used). */
        l->dir[i].cap = (uint32_t)cap;
        l->dir[i].buf = malloc(cap);
        int r = l->dir[i].buf ? 0 : -1;
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
        free(l->dir[i].buf);
    }
    free(l);
}
