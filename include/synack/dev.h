/*
 * synack/dev.h - link devices behind one small ops struct, and the pump that joins a
 * device to a stack.
 *
 *   sim    an in-memory point-to-point link: MTU, one-way delay, bandwidth, a bounded
 *          bottleneck queue, and (through faults) seeded loss, duplication, reordering,
 *          corruption and jitter. Two stacks in one process talk over it.
 *   faults a seeded fault injector that wraps any device, the sim link or a TUN device.
 *   tun    a Linux TUN device (IFF_TUN | IFF_NO_PI, and IFF_VNET_HDR with its offloads when
 *          asked), see synack/tun.h.
 *
 * Devices, like stacks, take `now` from the caller and never read a clock.
 */
#ifndef SYNACK_DEV_H
#define SYNACK_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h"
#include "synack/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct synack_dev synack_dev;

struct synack_dev_ops {
    /* Takes one IPv4 datagram for transmission. 0, or a negative SYNACK_E* code. */
    int (*send)(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len);
    /* The next received datagram due at or before now: its length, 0 when none. */
    int (*recv)(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap);
    /* When recv() will next have something (simulated devices); UINT64_MAX if unknown. */
    uint64_t (*next_deadline)(const synack_dev *d);
    void (*free)(synack_dev *d);
    /* Optional (NULL: the device splits nothing): takes one datagram, which may be a TCP
     * super-segment of up to dev->tso_max bytes for the device to split into segments of
     * gso_size payload bytes (TSO); gso_size 0 is send(). */
    int (*send_gso)(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len, uint32_t gso_size);
    /* Optional (NULL: recv() only): recv() without the copy, for a device whose received
     * datagrams already lie whole in its own memory (a ring the "hardware" wrote, as
     * netmap's or AF_XDP's). *pkt is the datagram in that memory, valid until the next
     * recv() or recv_zc() on this device (sending does not move it); its length, 0 when
     * none. Sets rx_flags as recv() does. */
    int (*recv_zc)(synack_dev *d, uint64_t now, const uint8_t **pkt);
};

/* What a device's last recv() knew of its datagram (synack_dev.rx_flags); the flags of
 * synack_input_flags() (synack.h) have the same values. */
#define SYNACK_DEV_RX_CSUM_OK SYNACK_INPUT_CSUM_OK
#define SYNACK_DEV_RX_MERGED  SYNACK_INPUT_MERGED
#define SYNACK_DEV_RX_PLACED  SYNACK_INPUT_PLACED

struct synack_dev {
    const struct synack_dev_ops *ops;
    uint16_t mtu;
    const char *name;
    synack_trace_fn trace; /* link events (loss, duplication, ...) */
    void *trace_ctx;
    /* The largest datagram send_gso() takes and splits (TSO); 0: only MTU-sized ones. The
     * stack is told through synack_config.tso_max. */
    uint32_t tso_max;
    /* Set by recv(): SYNACK_DEV_RX_* of the datagram it returned, for synack_input_flags(). */
    unsigned rx_flags;
};

static inline int synack_dev_send(synack_dev *d, uint64_t now, const uint8_t *p, size_t n)
{
    return d->ops->send(d, now, p, n);
}
/* A datagram the stack built with its gso_size (synack_output_gso): a super-segment goes to
 * send_gso(), anything else to send(). SYNACK_EMSGSIZE for a super-segment on a device that
 * cannot split it (the stack builds none unless told the device can). */
static inline int synack_dev_send_gso(synack_dev *d, uint64_t now, const uint8_t *p, size_t n,
                                      uint32_t gso_size)
{
    if (!gso_size) return d->ops->send(d, now, p, n);
    if (!d->ops->send_gso) return SYNACK_EMSGSIZE;
    return d->ops->send_gso(d, now, p, n, gso_size);
}
static inline int synack_dev_recv(synack_dev *d, uint64_t now, uint8_t *b, size_t cap)
{
    return d->ops->recv(d, now, b, cap);
}
static inline uint64_t synack_dev_next_deadline(const synack_dev *d)
{
    return d->ops->next_deadline ? d->ops->next_deadline(d) : UINT64_MAX;
}
void synack_dev_free(synack_dev *d);

/* ---- faults --------------------------------------------------------------------------- */
struct synack_faults_config {
    double loss;         /* probability a datagram is dropped */
    double dup;          /* ... is delivered twice */
    double reorder;      /* ... is held back by reorder_us so that later ones pass it */
    double corrupt;      /* ... has one random bit flipped */
    double ce;           /* ... if ECN-capable (ECT), is marked CE instead of being lost
                          * (RFC 3168 §5: what an AQM router does) */
    uint64_t delay_us;   /* fixed extra delay for every datagram */
    uint64_t jitter_us;  /* uniform extra delay 0..jitter_us (may reorder too) */
    uint64_t reorder_us; /* hold-back for reordered datagrams; 0 = 2 ms + delay */
    uint64_t seed;
    bool inbound;      /* apply to what the inner device receives */
    bool outbound;     /* apply to what is sent through the wrapper */
    uint32_t max_held; /* datagrams held for delay at once; 0 = 4096 */
};
/* Parses "loss=0.03,dup=0.01,reorder=0.1,corrupt=0.005,ce=0.01,delay=5ms,jitter=1ms" into cfg
 * (fields not named keep their value). 0, or SYNACK_EINVAL with the bad word in *bad. */
int synack_faults_parse(const char *spec, struct synack_faults_config *cfg, const char **bad);
/* Wraps inner; the wrapper owns inner and frees it. NULL on allocation failure. */
synack_dev *synack_faults_wrap(synack_dev *inner, const struct synack_faults_config *cfg);

/* ---- sim ------------------------------------------------------------------------------ */
struct synack_sim_config {
    uint16_t mtu;                       /* larger datagrams are dropped (LINK_MTU) */
    uint64_t delay_us;                  /* one-way propagation delay */
    uint64_t bandwidth_bps;             /* serialization rate, 0 = infinite */
    uint32_t queue_limit;               /* bottleneck queue, datagrams per direction; 0 = 1000 */
    struct synack_faults_config faults; /* applied to both directions, seeded */
    const char *name[2];                /* names of the two ends, for trace events */
};
void synack_sim_config_default(struct synack_sim_config *cfg);

typedef struct synack_sim_link synack_sim_link;
synack_sim_link *synack_sim_link_new(const struct synack_sim_config *cfg);
/* End 0 or 1 of the link: what one end sends, the other receives. Owned by the link. */
synack_dev *synack_sim_end(synack_sim_link *l, int end);
void synack_sim_set_trace(synack_sim_link *l, synack_trace_fn fn, void *ctx);
void synack_sim_link_free(synack_sim_link *l);

/* ---- the pump -------------------------------------------------------------------------- */
/* Moves every datagram the device has for now into the stack (in place where the device has
 * recv_zc), runs due timers, and moves everything the stack queued to the device (from the
 * stack's output queue, without a copy). Returns datagrams moved, or a negative code. */
int synack_pump(synack_stack *s, synack_dev *d, uint64_t now);

/* Drives n stacks, each on its own device, at time now until nothing more happens at now;
 * returns the next time anything is due (a timer or a datagram), UINT64_MAX for never. */
uint64_t synack_sim_step(synack_stack **stacks, synack_dev **devs, int n, uint64_t now);

#ifdef __cplusplus
}
#endif
#endif
