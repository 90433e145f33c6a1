/*
 * tcp/tcp_pmtu.c - Path MTU: every datagram leaves with DF set (ip_out.c; unless the
 * socket's SYNACK_OPT_MTU_DISCOVER says otherwise, and then the errors below are ignored
 * with DONT, INTERFACE and OMIT, as Linux's TCP ignores them), so a router
 * whose next hop is narrower drops it and says so with an ICMP "fragmentation needed"
 * carrying that hop's MTU (RFC 1191). The connection believes the report only when it
 * quotes a sequence number in flight (RFC 5927 §4.1, checked in entry/icmp.c) and the MTU
 * is below the one in use (§7.2); it is then clamped to a floor, the MSS shrinks to fit
 * (keeping room for the timestamp option), and what was in flight, sent at the old size
 * and so dropped, is sent again at once. That is not congestion: cwnd and ssthresh stay
 * (RFC 1191 §6.5; Linux's tcp_simple_retransmit).
 *
 * A path that drops large datagrams without a word (a filtered ICMP: a black hole) shows
 * as repeated timeouts of segments larger than it carries. As Linux does with tcp_mtu_probing=1
 * (RFC 4821 §7.7 fallback, not its probing), the MSS then falls back: at the third consecutive
 * timeout (Linux's tcp_retries1) to at most Linux's tcp_base_mss of 1024 bytes, then by halves at
 * each further timeout, never below the floor. The choices:
 *   - the floor is Linux's min_pmtu, 552 bytes (an MSS of 512): RFC 1191's 68 would let a
 *     forged error force 28-byte segments (RFC 5927 §7.1);
 *   - three timeouts in a row before the first step, as Linux: a segment lost twice on a
 *     working path is not rare enough to shrink every segment after it;
 *   - over IPv6 the floor is 1280, the minimum every IPv6 link carries (RFC 8200 §5): a
 *     packet-too-big below it lowers nothing (RFC 8201 §4, without the fragment header of
 *     RFC 2460 that RFC 8021 deprecated);
 *   - nothing raises the path MTU again (Linux probes upwards every 10 minutes): a
 *     connection keeps the smaller size until it ends.
 */
#include <string.h>

#include "tcp/stack.h"
#include "wire/wire.h"

#define PMTU_FLOOR    552  /* Linux: net.ipv4.route.min_pmtu */
#define PMTU_FLOOR6   1280 /* RFC 8200 §5 */
#define BLACKHOLE_MSS 1024 /* Linux: net.ipv4.tcp_base_mss */
#define BLACKHOLE_RTO 3    /* consecutive timeouts before a fallback (tcp_retries1) */

static uint32_t pmtu_floor(const struct tcb *t)
{
    return t->laddr.family == SYNACK_AF_INET6 ? PMTU_FLOOR6 : PMTU_FLOOR;
}

uint16_t tcp_pmtu(const struct synack_stack *st, const struct tcb *t)
{
    return t->pmtu ? t->pmtu : st->cfg.mtu;
}

uint32_t tcp_pmtu_mss(const struct synack_stack *st, const struct tcb *t)
{
    return (uint32_t)tcp_pmtu(st, t) - tcp_ip_hdrs(&t->laddr);
}

/* Bytes of TCP options every data segment carries (RFC 7323: 10 + 2 NOPs). */
static uint32_t opt_room(const struct tcb *t)
{
    return t->ts_ok ? 12u : 0u;
}

static bool synchronized(const struct tcb *t)
{
    return t->state != SYNACK_SYN_SENT && t->state != SYNACK_LISTEN && t->state != SYNACK_CLOSED;
}

/* RFC 1191 §7: the plateaus, for a router that reports no MTU: the largest one below the
 * quoted datagram's length. */
static uint32_t plateau_below(uint32_t len)
{
    static const uint16_t plateaus[] = {65535, 32000, 17914, 8166, 4352, 2002,
                                        1492,  1006,  508,   296,  68};
    for (unsigned i = 0; i < sizeof plateaus / sizeof plateaus[0]; i++)
        if (plateaus[i] < len) return plateaus[i];
    return 68;
}

/* Sets the path MTU and fits the MSS under it (it never grows here: the peer's MSS option
 * and the user's limit still hold). Returns true when the MSS shrank. Before the
 * handshake's options are known (SYN-SENT) only the MTU is kept: tcp_open.c takes it into
 * the MSS when the SYN,ACK arrives. */
static bool set_pmtu(struct synack_stack *st, struct tcb *t, uint32_t mtu)
{
    t->pmtu = (uint16_t)mtu;
    if (!synchronized(t) && t->state != SYNACK_SYN_RECEIVED) return false;
    uint32_t mss = mtu - tcp_ip_hdrs(&t->laddr) - opt_room(t);
    if (mss >= t->snd_mss) return false;
    t->snd_mss = (uint16_t)mss;
    return true;
}

/* Everything in flight was sent at the old size: send it again now, from SND.UNA. */
static void resend_flight(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    if (!synchronized(t) || t->snd_una == t->snd_max) return;
    t->snd_nxt = t->snd_una;
    t->rtt_timing = false; /* Karn: the resent data gives no sample */
    tcp_output(st, sk, now);
}

/* The options of our first SYN, as tcp_send_segment builds them for an active open: MSS,
 * window scale, SACK-permitted, timestamps as the configuration offers them, and the Fast
 * Open option it carried. */
static uint32_t syn_opts_len(const struct synack_stack *st, const struct tcb *t)
{
    struct synack_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = true;
    o.has_wscale = !st->cfg.no_window_scaling;
    o.sack_permitted = !st->cfg.no_sack;
    o.has_ts = !st->cfg.no_timestamps;
    o.fo_kind = t->fo_kind;
    o.fo_len = t->fo_len;
    return (uint32_t)wire_tcp_opts_len(&o);
}

/* SYN-SENT and a narrower path: the MSS we offer follows it (Linux's advmss, from the
 * route the report lowered; the peer's segments often take the same path back), and a SYN
 * whose data no longer fits goes again at once without it, as every SYN sent again (Linux's
 * tcp_simple_retransmit of a SYN with data). What must fit is the SYN's data and its
 * options (up to 40 bytes), not the data alone. It was not lost: no timeout is counted and
 * no 3-second RTO follows (RFC 6298 §5.7 is for a SYN that went unanswered); Karn holds. */
static void syn_sent_narrower(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    uint32_t mss = tcp_pmtu_mss(st, t);
    if (mss < t->rcv_mss) t->rcv_mss = (uint16_t)mss;
    /* Only while the SYN in flight is the one with data (SND.NXT past ISS + 1): a SYN sent
     * again carries none and fits every path, so a report quoting it is forged, and each
     * would otherwise make us send a SYN. */
    if (!seq_gt(t->snd_nxt, t->iss + 1) || t->syn_data_len + syn_opts_len(st, t) <= mss) return;
    st->stats.retransmits++;
    t->retransmits++;
    tcp_send_syn(st, sk, now);
}

void tcp_pmtu_frag_needed(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t mtu,
                          uint32_t quoted_len)
{
    struct tcb *t = &sk->tcb;
    uint32_t cur = tcp_pmtu(st, t);
    /* SYNACK_OPT_MTU_DISCOVER: DONT lets routers fragment (Linux's tcp_v4_mtu_reduced
     * skips it), INTERFACE and OMIT keep the device's MTU (ip_sk_accept_pmtu). */
    int mode = sock_pmtudisc(sk);
    if (mode == SYNACK_PMTUDISC_DONT || mode == SYNACK_PMTUDISC_INTERFACE ||
        mode == SYNACK_PMTUDISC_OMIT) {
        st->stats.pmtu_ignored++;
        return;
    }
    if (mtu == 0) mtu = plateau_below(quoted_len ? quoted_len : cur);
    if (mtu < pmtu_floor(t)) mtu = pmtu_floor(t);
    /* RFC 5927 §7.2: a report not below the MTU in use says nothing new (or is forged). */
    if (mtu >= cur) {
        st->stats.pmtu_ignored++;
        return;
    }
    st->stats.pmtu_lowered++;
    if (set_pmtu(st, t, mtu))
        resend_flight(st, sk, now);
    else if (t->state == SYNACK_SYN_SENT)
        syn_sent_narrower(st, sk, now);
}

void tcp_pmtu_on_rto(struct synack_stack *st, struct tcb *t)
{
    if (t->rtx_count < BLACKHOLE_RTO) return;
    /* The segment that timed out again and again is the first unacknowledged one: at most
     * an MSS of what is in flight. Any size above the path's can fall into a black hole, not
     * only a full-size one (a lone 1336-byte response on a 1500-byte MSS over a 1280-byte
     * path is lost for ever just the same), so the test is below: whether the smaller MSS
     * would make that segment smaller. A small segment lost again and again (one shorter
     * than the fallback) is not helped by a smaller MSS; it keeps the one it has, as
     * Linux's tcp_mtu_probing also leaves alone a segment that already fits its probe. */
    uint32_t flight = tcp_sent_unacked(t, NULL);
    uint32_t lost = flight < t->snd_mss ? flight : t->snd_mss;
    uint32_t opts = opt_room(t);
    uint32_t hdrs = tcp_ip_hdrs(&t->laddr);
    uint32_t floor_mss = pmtu_floor(t) - hdrs - opts;
    if (t->snd_mss <= floor_mss) return;
    /* The first step caps the MSS at the base (Linux enables its search there); each
     * later one halves it. */
    uint32_t mss = t->rtx_count == BLACKHOLE_RTO ? BLACKHOLE_MSS : t->snd_mss / 2;
    if (mss >= t->snd_mss) return;
    if (mss < floor_mss) mss = floor_mss;
    if (lost <= mss) return;
    st->stats.pmtu_blackholes++;
    set_pmtu(st, t, mss + hdrs + opts);
}

int tcp_soft_error(const struct tcb *t)
{
    return t->soft_error && t->snd_una == t->soft_error_una ? t->soft_error : 0;
}

int tcp_timeout_error(const struct tcb *t)
{
    int e = tcp_soft_error(t);
    return e ? e : SYNACK_ETIMEDOUT;
}
