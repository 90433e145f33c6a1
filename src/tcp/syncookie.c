/*
 * tcp/syncookie.c - SYN cookies (RFC 4987 §3.6): when a listener's queue is full (or the
 * socket table is), answer a SYN without keeping any state, encoding what the connection
 * needs into our ISN and timestamp, and rebuild the connection from the peer's ACK if it
 * returns the cookie.
 *
 * Why: a SYN flood fills the SYN queue with half-open connections from forged sources,
 * and real clients find no room. With cookies the queue can be full and a real client (one
 * that receives our SYN-ACK, as a forger does not) still gets in.
 *
 * The cookie is the ISN of the SYN-ACK:
 *
 *     ISN = (SipHash(key, 4-tuple, time slot, peer's ISN, MSS index) & ~7) | MSS index
 *
 * with a time slot of 2^26 µs (about 67 s); the ACK is accepted for the current and the
 * previous slot. The MSS index is inside the MAC: a forger who changes it changes the hash.
 *
 * When the peer offers timestamps, the other options survive too, as Linux keeps them: the
 * low 6 bits of our SYN-ACK's TSval say the peer's window shift (4 bits, 15 = none), SACK
 * permitted (1 bit) and ECN agreed (1 bit, RFC 3168 §6.1.1); the peer echoes
 * the TSval in every ACK (RFC 7323 §3), so the ACK that returns the cookie brings them back.
 * The TSval's clock is the connection's own: now in ms plus an offset hashed from the
 * 4-tuple, rounded down so that it is never ahead of the clock the connection continues
 * with (the peer's PAWS check would otherwise drop our next segments).
 */
#include <string.h>

#include "base/siphash.h"
#include "tcp/stack.h"
#include "tcp/tcp.h"
#include "wire/wire.h"

static const uint16_t cookie_mss[8] = {216, 536, 1024, 1200, 1360, 1400, 1440, 1460};

#define TS_BITS    6
#define TS_MASK    ((1u << TS_BITS) - 1)
#define TS_WS_NONE 0xfu
#define TS_SACK    0x10u
#define TS_ECN     0x20u
#define SLOT_SHIFT 26

static uint32_t cookie_hash(const struct synack_stack *st, const struct tcp_seg *seg, uint32_t slot,
                            uint32_t irs, uint32_t idx)
{
    const struct synack_segment *s = seg->s;
    if (s->family == SYNACK_AF_INET) {
        /* IPv4: the layout cookies always had. */
        uint8_t msg[21];
        wire_put32(msg, s->ip.dst);
        wire_put16(msg + 4, s->tcp.dport);
        wire_put32(msg + 6, s->ip.src);
        wire_put16(msg + 10, s->tcp.sport);
        wire_put32(msg + 12, slot);
        wire_put32(msg + 16, irs);
        msg[20] = (uint8_t)idx;
        return (uint32_t)siphash24(st->cookie_key, msg, sizeof msg);
    }
    /* IPv6: the same fields over the 16-byte addresses. */
    uint8_t msg[45];
    memcpy(msg, s->dst.bytes, 16);
    wire_put16(msg + 16, s->tcp.dport);
    memcpy(msg + 18, s->src.bytes, 16);
    wire_put16(msg + 34, s->tcp.sport);
    wire_put32(msg + 36, slot);
    wire_put32(msg + 40, irs);
    msg[44] = (uint8_t)idx;
    return (uint32_t)siphash24(st->cookie_key, msg, sizeof msg);
}

static uint32_t time_slot(uint64_t now)
{
    return (uint32_t)(now >> SLOT_SHIFT);
}

uint64_t tcp_syncookie_lifetime(void)
{
    return 2ull << SLOT_SHIFT; /* the current and the previous slot */
}

uint32_t tcp_syncookie_ts_offset(const struct synack_stack *st, const struct tcp_seg *seg)
{
    return (uint32_t)siphash_tuple_addr(st->cookie_key, &seg->s->dst, seg->s->tcp.dport,
                                        &seg->s->src, seg->s->tcp.sport);
}

uint32_t tcp_syncookie_make(const struct synack_stack *st, const struct tcp_seg *seg, uint64_t now,
                            bool ecn, struct tcp_syncookie *c)
{
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    /* No MSS option: 536, or 1220 over IPv6 (MUST-15). */
    uint32_t peer = o->has_mss ? o->mss : tcp_default_mss(&seg->s->src);
    uint32_t link = tcp_rcv_mss_for(st, &seg->s->dst, 0); /* what the link carries */
    if (peer > link) peer = link;
    uint32_t idx = 0;
    for (uint32_t i = 0; i < 8; i++)
        if (cookie_mss[i] <= peer) idx = i;
    memset(c, 0, sizeof *c);
    c->mss = cookie_mss[idx];
    c->ts_ok = o->has_ts && !st->cfg.no_timestamps;
    if (c->ts_ok) {
        /* Without timestamps there is nowhere to keep the other options: not offered. */
        c->sack_ok = o->sack_permitted && !st->cfg.no_sack;
        c->wscale_ok = o->has_wscale && !st->cfg.no_window_scaling;
        c->snd_wscale = o->wscale > 14 ? 14 : o->wscale;
        c->ecn_ok = ecn && tcp_ecn_setup_syn(seg->flags);
        uint32_t bits = (c->wscale_ok ? c->snd_wscale : TS_WS_NONE) | (c->sack_ok ? TS_SACK : 0) |
                        (c->ecn_ok ? TS_ECN : 0);
        uint32_t clock = (uint32_t)(now / 1000) + tcp_syncookie_ts_offset(st, seg);
        uint32_t ts = (clock & ~TS_MASK) | bits;
        if ((int32_t)(ts - clock) > 0) ts -= TS_MASK + 1;
        c->tsval = ts;
    }
    return (cookie_hash(st, seg, time_slot(now), seg->seq, idx) & ~7u) | idx;
}

bool tcp_syncookie_check(const struct synack_stack *st, const struct tcp_seg *seg, uint64_t now,
                         struct tcp_syncookie *c)
{
    uint32_t cookie = seg->ack - 1, irs = seg->seq - 1, idx = cookie & 7;
    uint32_t slot = time_slot(now);
    bool ok = false;
    for (uint32_t age = 0; age < 2 && !ok; age++)
        ok = (cookie_hash(st, seg, slot - age, irs, idx) & ~7u) == (cookie & ~7u);
    if (!ok) return false;
    memset(c, 0, sizeof *c);
    c->mss = cookie_mss[idx];
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    if (o->has_ts && !st->cfg.no_timestamps) {
        /* The options come back in the echo of our SYN-ACK's TSval. */
        uint32_t bits = o->ts_ecr & TS_MASK;
        c->ts_ok = true;
        c->tsval = o->ts_ecr;
        c->sack_ok = (bits & TS_SACK) != 0;
        c->ecn_ok = (bits & TS_ECN) != 0;
        c->wscale_ok = (bits & 0xf) != TS_WS_NONE;
        c->snd_wscale = c->wscale_ok ? (uint8_t)((bits & 0xf) > 14 ? 14 : (bits & 0xf)) : 0;
    }
    return true;
}
