/*
 * dev/dev.c - what every device shares: freeing through its ops, and the pump that joins
 * a device to a stack (and the step that drives several stacks on a virtual clock).
 */
#include "synack/dev.h"

#include <stdlib.h>

void synack_dev_free(synack_dev *d)
{
    if (d && d->ops->free) d->ops->free(d);
}

/* The largest IP datagram (a super-segment too). */
#define PUMP_BUF 65535
/* A bound on the datagrams moved by one pump call in one direction: a device that always
 * has input cannot keep the caller in here for ever. */
#define PUMP_MAX 100000

int synack_pump(synack_stack *s, synack_dev *d, uint64_t now)
{
    uint8_t buf[PUMP_BUF];
    int moved = 0;
    for (int i = 0; i < PUMP_MAX; i++) {
        d->rx_flags = 0;
        /* In place where the device offers it: the stack reads the datagram where the
         * device holds it (valid until the next take), and copies what it keeps. */
        const uint8_t *pkt = buf;
        int n = d->ops->recv_zc ? d->ops->recv_zc(d, now, &pkt)
                                : synack_dev_recv(d, now, buf, sizeof buf);
        if (n <= 0) break;
        synack_input_flags(s, now, pkt, (size_t)n, d->rx_flags);
        moved++;
    }
    synack_poll(s, now);
    /* Each datagram goes to the device straight from the stack's output queue. */
    for (int i = 0; i < PUMP_MAX; i++) {
        /* From the stack's queue to the device without a copy: the device is done with it
         * before the next call into the stack. */
        uint32_t gso;
        const uint8_t *pkt;
        int n = synack_output_next(s, now, &pkt, &gso);
        if (n <= 0) break;
        synack_dev_send_gso(d, now, pkt, (size_t)n, gso);
        moved++;
    }
    return moved;
}

uint64_t synack_sim_step(synack_stack **stacks, synack_dev **devs, int n, uint64_t now)
{
    /* Run everything due at now until it settles: a datagram delivered with zero delay
     * may make the other stack answer at the same instant. Bounded rounds. */
    for (int round = 0; round < 1000; round++) {
        int moved = 0;
        for (int i = 0; i < n; i++) moved += synack_pump(stacks[i], devs[i], now);
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < n; i++) {
            uint64_t a = synack_next_deadline(stacks[i]);
            uint64_t b = synack_dev_next_deadline(devs[i]);
            if (a < next) next = a;
            if (b < next) next = b;
        }
        if (next > now) return next;
        if (moved == 0 && round > 2) return now + 1;
    }
    return now + 1;
}
