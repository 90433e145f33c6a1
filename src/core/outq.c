/*
 * core/outq.c - the datagrams the stack has queued for the device: a fixed FIFO of
 * MTU-sized slots, allocated with the stack. The machine builds a datagram in place in the
 * next free slot and commits it; synack_output() hands them out in order.
 */
#include "core/stack.h"

bool outq_full(const struct synack_stack *st)
{
    return st->out_count >= st->out_cap;
}

uint8_t *outq_reserve(struct synack_stack *st)
{
    if (outq_full(st)) return NULL;
    uint32_t slot = (st->out_first + st->out_count) % st->out_cap;
    return st->out_buf + (size_t)slot * st->slot_size;
}

void outq_commit(struct synack_stack *st, uint32_t len)
{
    uint32_t slot = (st->out_first + st->out_count) % st->out_cap;
    st->out_len[slot] = len;
    st->out_count++;
}
