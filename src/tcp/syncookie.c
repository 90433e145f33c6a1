/*
 * tcp/syncookie.c - SYN cookies (RFC 4987 §3.6): when a listener's queue is full, answer a
 * SYN without keeping any state, encoding what the connection needs into our ISN, and
 * rebuild the connection from the peer's ACK if it returns the cookie.
 *
 * Why: a SYN flood fills the SYN queue with half-open connections from forged sources,
 * and real clients find no room. With cookies the queue can be full and a real client (one
 * that receives our SYN-ACK, as a forger does not) still gets in.
 *
 * The cookie is the ISN of the SYN-ACK:
 *
 *     ISN = (SipHash(key, 4-tuple, time slot, peer's ISN) & ~7) | MSS index
 *
 * with a time slot of 2^26 µs (about 67 s); the ACK is accepted for the current and the
 * previous slot. Only the MSS survives (3 bits, the largest table entry not above the
 * peer's); window scaling, SACK and timestamps are not offered on a cookie SYN-ACK, as
 * their negotiation cannot be remembered without state.
 */
#include <string.h>

#include "tcp/stack.h"
#include "base/siphash.h"
#include "tcp/tcp.h"
#include "wire/wire.h"

static const uint16_t cookie_mss[8] = {216, 536, 1024, 1200, 1360, 1400, 1440, 1460};

static uint32_t cookie_hash(const struct synack_stack *st, const struct tcp_seg *seg, uint32_t slot,
                            uint32_t irs)
{
    uint8_t msg[20];
    wire_put32(msg, seg->s->ip.dst);
    wire_put16(msg + 4, seg->s->tcp.dport);
    wire_put32(msg + 6, seg->s->ip.src);
    wire_put16(msg + 10, seg->s->tcp.sport);
    wire_put32(msg + 12, slot);
    wire_put32(msg + 16, irs);
    return (uint32_t)siphash24(st->cookie_key, msg, sizeof msg);
}

static uint32_t time_slot(uint64_t now)
{
    return (uint32_t)(now >> 26);
}

uint32_t tcp_syncookie_make(const struct synack_stack *st, const struct tcp_seg *seg, uint64_t now,
                            uint16_t *mss)
{
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    uint32_t peer = o->has_mss ? o->mss : 536;
    uint32_t link = (uint32_t)st->cfg.mtu - 40;
    if (peer > link) peer = link;
    uint32_t idx = 0;
    for (uint32_t i = 0; i < 8; i++)
        if (cookie_mss[i] <= peer) idx = i;
    *mss = cookie_mss[idx];
    return (cookie_hash(st, seg, time_slot(now), seg->seq) & ~7u) | idx;
}

bool tcp_syncookie_check(const struct synack_stack *st, const struct tcp_seg *seg, uint64_t now,
                         uint16_t *mss)
{
    uint32_t cookie = seg->ack - 1, irs = seg->seq - 1;
    uint32_t slot = time_slot(now);
    for (uint32_t age = 0; age < 2; age++) {
        if ((cookie_hash(st, seg, slot - age, irs) & ~7u) == (cookie & ~7u)) {
            *mss = cookie_mss[cookie & 7];
            return true;
        }
    }
    return false;
}
