/*
 * tcp/isn.c - initial sequence numbers, RFC 6528 §3:
 *
 *     ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 *
 * M is a timer that ticks every 4 microseconds (RFC 9293 §3.4.1's clock), F is SipHash-2-4
 * keyed with the stack's secret. Why: a new connection on a port pair that was used before
 * must start its sequence space far from the old one's, so that stray segments of the old
 * connection are not taken for the new one (the clock makes ISNs of one pair rise with
 * time), and an off-path attacker who cannot read our traffic must not be able to guess
 * the ISN (the keyed hash makes each pair's offset secret). The seed document's point:
 * a predictable ISN, like 0 or a global counter, fails both.
 */
#include "tcp/tcp.h"

#include "tcp/stack.h"
#include "base/siphash.h"

uint32_t tcp_isn(const uint8_t secret[16], const struct synack_addr *laddr, uint16_t lport,
                 const struct synack_addr *raddr, uint16_t rport, uint64_t now_us)
{
    /* Over IPv6 F hashes the 16-byte addresses; an IPv4 4-tuple hashes as it always did. */
    uint32_t f = (uint32_t)siphash_tuple_addr(secret, laddr, lport, raddr, rport);
    uint32_t m = (uint32_t)(now_us / 4);
    return m + f;
}

uint32_t tcp_choose_isn_for(const struct synack_stack *st, const struct synack_addr *laddr,
                            uint16_t lport, const struct synack_addr *raddr, uint16_t rport,
                            uint64_t now_us)
{
    if (st->cfg.isn_fixed) return st->cfg.isn_fixed_value; /* tests: wraparound */
    return tcp_isn(st->secret, laddr, lport, raddr, rport, now_us);
}

uint32_t tcp_choose_isn(const struct synack_stack *st, const struct tcb *t, uint64_t now_us)
{
    return tcp_choose_isn_for(st, &t->laddr, t->lport, &t->raddr, t->rport, now_us);
}
