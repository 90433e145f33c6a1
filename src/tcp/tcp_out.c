/*
 * tcp/tcp_out.c - what the machine sends and when: segment building (header, options,
 * window), the send decision (peer window, congestion window, Nagle and sender-side silly
 * window avoidance), pure ACKs, probes and resets.
 *
 * tcp_output() is the one place that decides to send data; everything else (arrival,
 * timers, user calls) changes state and calls it.
 */
#include <string.h>

#include "tcp/stack.h"
#include "tcp/tcp_zc.h"
#include "tcp/ip_out.h"
#include "tcp/tcp.h"
#include "wire/wire.h"

uint32_t tcp_flight(const struct tcb *t)
{
    return t->snd_nxt - t->snd_una;
}

static uint32_t u32min(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* The window to advertise, in bytes, as a window field with this shift carries it: a
 * multiple of 2^shift, so that the edge the peer computes is exactly the edge we mean.
 *
 * The receive ring (tcb_setup) holds the receive buffer plus 2^rcv_wscale bytes of slack,
 * and everything in [RCV.NXT, RCV.NXT + free) fits in it, free being the ring's space
 * behind the unread bytes. Three rules, in this order of strength:
 *   - never promise space the ring does not have: the edge stays within RCV.NXT + free,
 *     so that whatever arrives inside an advertised window can be kept;
 *   - never move the right edge left (RFC 9293 §3.8.6);
 *   - the window itself is the buffer's free space rounded DOWN to the scale's unit (RFC
 *     7323 §2.3: SEG.WND = RCV.WND >> Rcv.Wind.Shift), and moves only by receiver-side
 *     silly window avoidance steps (RFC 9293 §3.8.6.2.2).
 * When rounding down would move the edge left, the field is rounded up instead, which
 * keeps the old edge and goes past it by less than one unit: the slack holds that. But
 * each such rounding lands past the edge by up to a unit, and with segments that are no
 * multiple of the unit the next one does again, so the edge could creep without bound
 * while the reader is stopped. Where rounding up would pass the ring's end, the window is
 * rounded down after all: the edge retracts by less than one unit, the case RFC 7323 §2.4
 * foresees ("a retracted window can be offered", which senders must accept). Bytes the
 * peer sent up to the old edge still fit, since that edge was within the ring, and
 * rcv_adv keeps the highest edge ever advertised, so they are still taken. With the
 * reader stopped the window thus reaches exactly zero when the peer fills it.
 *
 * Inline in its callers (the short form's send asks it for every segment of a lifecycle
 * but the SYNs): the call and its spills cost a fifth of the computation. */
static inline __attribute__((always_inline)) uint32_t rcv_window_shifted(const struct tcb *t,
                                                                         unsigned shift)
{
    if (!ring_live(&t->rcv)) return 0;
    uint32_t unit = 1u << shift;
    uint32_t slack = 1u << t->rcv_wscale;
    uint32_t free = t->rcv.cap - t->rcv.len;
    uint32_t space = free > slack ? free - slack : 0;
    uint32_t cur = tcp_rcv_wnd_offered(t);
    uint32_t max = (uint32_t)65535 << shift;
    if (space > max) space = max;
    /* Receiver-side silly window avoidance (RFC 9293 §3.8.6.2.2): move the right edge
     * only by at least min(buffer/2, MSS). */
    uint32_t step = u32min((t->rcv.cap - slack) / 2, t->rcv_mss);
    uint32_t want = space > cur && space - cur >= step ? space : cur;
    uint32_t wnd = want & ~(unit - 1);
    if (wnd >= cur) return wnd;
    uint32_t up = (uint32_t)(((uint64_t)cur + unit - 1) & ~(uint64_t)(unit - 1));
    if (up <= free && up <= max) return up;
    return u32min(free, max) & ~(unit - 1);
}

static inline uint32_t rcv_window(const struct tcb *t)
{
    return rcv_window_shifted(t, t->rcv_wscale);
}

uint32_t tcp_rcv_window(const struct tcb *t)
{
    return rcv_window(t);
}

static inline uint32_t tcp_seg_max(const struct tcb *t);

/* The short form (wire/seg4.c) serves a segment over IPv4 that is no SYN and reports no
 * SACK blocks: its only option is the timestamps, or none. Everything else (a SYN's options,
 * SACK blocks and their fit, IPv6) goes through the general header below. */
static bool hdr_short(const struct tcb *t, uint16_t flags)
{
    if ((flags & SYNACK_TCP_SYN) || t->laddr.family != SYNACK_AF_INET) return false;
    return !(t->sack_ok && (t->reass.n > 0 || t->dsack_pending) && !(flags & SYNACK_TCP_RST));
}

/* The fields of the general header's else-branch below, as the short form takes them: the
 * same window, acknowledgment and timestamps (RFC 7323 §3.2: on every segment once agreed,
 * a reset included). */
static int send_short(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t seq,
                      uint32_t len, uint16_t flags, uint32_t off, unsigned out, uint16_t *window)
{
    const struct tcb *t = &sk->tcb;
    struct wire_seg4 s = {.src = wire_addr_v4(&t->laddr),
                          .dst = wire_addr_v4(&t->raddr),
                          .sport = t->lport,
                          .dport = t->rport,
                          .seq = seq,
                          .ack = (flags & SYNACK_TCP_ACK) ? t->rcv_nxt : 0,
                          .flags = flags,
                          .window = (uint16_t)(rcv_window(t) >> t->rcv_wscale),
                          .has_ts = t->ts_ok};
    if (t->ts_ok) {
        s.ts_val = tcp_ts_now(t, now);
        s.ts_ecr = t->ts_recent;
    }
    *window = s.window;
    return ip_output_tcp4(st, now, sk, &s, off, len, out);
}

/* The general header: any segment, either family. */
static int send_general(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t seq,
                        uint32_t len, uint16_t flags, bool retransmit, uint32_t gso, uint32_t off,
                        unsigned out, uint16_t *window)
{
    struct tcb *t = &sk->tcb;
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = t->lport;
    h.dport = t->rport;
    h.seq = seq;
    h.flags = flags;
    if (flags & SYNACK_TCP_ACK) h.ack = t->rcv_nxt;
    if (flags & SYNACK_TCP_SYN) {
        /* RFC 7323 §2.2: the window in a SYN is never scaled. */
        /* A passive connection has no rings before it is established (tcb_rings): its
         * SYN-ACK offers the buffer it will get. */
        h.window =
            (uint16_t)u32min(ring_live(&t->rcv) ? rcv_window_shifted(t, 0) : sk->rcvbuf, 65535);
        h.opts.has_mss = true;
        h.opts.mss = t->rcv_mss;
        bool active = t->state == SYNACK_SYN_SENT;
        /* On a SYN-ACK, offer only what the peer's SYN offered (RFC 7323 §1.3, RFC 2018). */
        if ((active && !st->cfg.no_window_scaling) || t->wscale_ok) {
            h.opts.has_wscale = true;
            h.opts.wscale = t->rcv_wscale;
        }
        if ((active && !st->cfg.no_sack) || t->sack_ok) h.opts.sack_permitted = true;
        if ((active && !st->cfg.no_timestamps) || t->ts_ok) {
            h.opts.has_ts = true;
            h.opts.ts_val = tcp_ts_now(t, now);
            h.opts.ts_ecr = active ? 0 : t->ts_recent;
        }
        if (!(flags & SYNACK_TCP_ACK)) h.ack = 0;
        /* TCP Fast Open (RFC 7413 §4.1.1): the cookie or cookie request of a SYN, or the
         * cookie of a SYN-ACK, on its first transmission only (as Linux: a SYN sent again
         * goes without data and option, so that a path that drops them lets it through). */
        if (t->fo_kind && !retransmit) {
            h.opts.fo_kind = t->fo_kind;
            h.opts.fo_len = t->fo_len;
            memcpy(h.opts.fo_cookie, t->fo_cookie, t->fo_len);
        }
    } else {
        /* Exact: the window is a multiple of the unit and at most 65535 units. */
        h.window = (uint16_t)(rcv_window(t) >> t->rcv_wscale);
        /* Timestamps go on every segment once agreed (RFC 7323 §3.2), and on a reset too,
         * which §3.2 allows ("MAY be sent in an <RST> segment") and Linux does. */
        if (t->ts_ok) {
            h.opts.has_ts = true;
            h.opts.ts_val = tcp_ts_now(t, now);
            h.opts.ts_ecr = t->ts_recent;
        }
        bool dsack = t->dsack_pending;
        if (t->sack_ok && (t->reass.n > 0 || dsack) && !(flags & SYNACK_TCP_RST)) {
            uint32_t l[SYNACK_TCP_MAX_SACK], r[SYNACK_TCP_MAX_SACK];
            /* With timestamps there is room for 3 blocks in 40 bytes of options. A D-SACK
             * goes first (RFC 2883 §4); the block holding it, if any, is the reassembly's
             * most recent and so comes second. */
            int d = dsack ? 1 : 0;
            if (dsack) {
                l[0] = t->dsack_l;
                r[0] = t->dsack_r;
            }
            int k = d + reass_sack_blocks(&t->reass, l + d, r + d, (t->ts_ok ? 3 : 4) - d);
            for (int i = 0; i < k; i++) {
                h.opts.sack[i].left = l[i];
                h.opts.sack[i].right = r[i];
            }
            h.opts.sack_count = (uint8_t)k;
            /* The blocks may not all fit beside a full-size segment (its MSS leaves room for
             * the timestamp option only): report fewer. The device's slot bounds the
             * datagram (the IP header is the family's); the peer's MSS bounds the data and
             * the options together (RFC 6691 §2, RFC 9293 §3.7.1), which matters where
             * tcp_seg_max's floor keeps 64 bytes of data beside a small MSS. */
            uint32_t part = gso ? gso : len, mss_room = t->snd_mss + (t->ts_ok ? 12u : 0u);
            while (
                h.opts.sack_count > 0 &&
                (tcp_ip_hdrs(&t->laddr) + wire_tcp_opts_len(&h.opts) + part > st->outq.slot_size ||
                 wire_tcp_opts_len(&h.opts) + part > mss_room))
                h.opts.sack_count--;
        }
    }
    *window = h.window;
    return ip_output_tcp(st, now, sk->idx, &h, &t->laddr, &t->raddr, sk, off, len, out);
}

int tcp_send_segment(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t seq,
                     uint32_t len, uint16_t flags, bool retransmit)
{
    struct tcb *t = &sk->tcb;
    /* More than one segment's payload is a super-segment for a device that splits it
     * (tcp_tso_max): each part carries what one segment may (tcp_seg_max, the options
     * below included), the device repeating the header and putting PSH and FIN on the last
     * part only. */
    uint32_t part = tcp_seg_max(t);
    uint32_t gso = st->cfg.tso_max && len > part ? part : 0;
    bool ect;
    flags = tcp_ecn_out(t, flags, len, retransmit, &ect);
    /* The data of a SYN (TCP Fast Open) follows the SYN's own sequence number. */
    uint32_t off = len ? seq + ((flags & SYNACK_TCP_SYN) ? 1u : 0u) - t->snd_buf_seq : 0;
    unsigned out =
        (retransmit ? IP_OUT_RETRANSMIT : 0u) | (ect ? IP_OUT_ECT : 0u) | IP_OUT_GSO(gso);
    uint16_t window;
    int r = hdr_short(t, flags)
                ? send_short(st, sk, now, seq, len, flags, off, out, &window)
                : send_general(st, sk, now, seq, len, flags, retransmit, gso, off, out, &window);
    if (r < 0) return r;
    if (sk->zc) tcp_tstamp_on_send(st, sk, t->snd_buf_seq + off, len, now); /* tcp_zc.c */
    t->segs_out++;
    /* The next datagram's IPv4 ID past each part a device makes of this one (ip_out.c). */
    sk->ip_id = (uint16_t)(sk->ip_id + (gso ? (len + gso - 1) / gso : 1u));
    if (len) t->bytes_sent += len;
    if (gso) t->tso_used = true;
    /* RACK's transmission map (RFC 8985 §6.1): when this data (or FIN) went. */
    if (!(flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST)))
        tcp_rack_on_send(t, seq, len + ((flags & SYNACK_TCP_FIN) ? 1u : 0u), now, retransmit);
    if (retransmit && len && t->undo_dsack) {
        uint32_t mss = t->snd_mss ? t->snd_mss : 1;
        t->undo_retrans += (int32_t)((len + mss - 1) / mss); /* for the D-SACK undo */
    }
    if (retransmit && !(flags & SYNACK_TCP_SYN)) {
        /* Every retransmission of data or a FIN is counted here, once, and ends the RTT
         * measurement: an ACK that covers it is no sample (Karn, RFC 6298 §3). A SYN's
         * repetitions are counted by its timer. */
        t->bytes_retrans += len;
        t->retransmits++;
        st->stats.retransmits++;
        t->rtt_timing = false;
    }
    if (flags & SYNACK_TCP_ACK) {
        /* Any segment carrying an ACK satisfies a pending or delayed one, and reported
         * the D-SACK (once: if the options had no room for it, it is forgotten). */
        t->ack_now = false;
        if (!(flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST))) t->dsack_pending = false;
        t->segs_unacked = 0;
        t->t_delack = 0;
        if (!(flags & SYNACK_TCP_SYN)) {
            uint32_t edge = t->rcv_nxt + ((uint32_t)window << t->rcv_wscale);
            if (seq_gt(edge, t->rcv_adv)) t->rcv_adv = edge;
        }
    }
    if (flags & SYNACK_TCP_SYN) {
        uint32_t edge = t->rcv_nxt + window;
        if (seq_gt(edge, t->rcv_adv) || t->rcv_adv == 0) t->rcv_adv = edge;
    }
    return 0;
}

void tcp_send_syn(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    uint16_t flags = SYNACK_TCP_SYN;
    if (t->state == SYNACK_SYN_RECEIVED) flags |= SYNACK_TCP_ACK;
    bool again = seq_gt(t->snd_max, t->iss);
    if (!again) {
        /* The handshake's round trip is the first RTT sample (RFC 6298 §2.2). */
        t->rtt_timing = true;
        t->rtt_seq = t->iss;
        t->rtt_start = now;
        t->syn_time = now;
    } else {
        t->rtt_timing = false; /* Karn: a SYN sent twice gives no sample */
    }
    /* TCP Fast Open (RFC 7413 §4.2.1): the first SYN carries the data put aside for it. */
    uint32_t dlen = !again && t->state == SYNACK_SYN_SENT ? t->syn_data_len : 0;
    if (dlen > t->snd.len) dlen = t->snd.len;
    /* If the output queue has no room, the retransmission timer sends it again. */
    (void)tcp_send_segment(st, sk, now, t->iss, dlen, flags, again);
    t->snd_nxt = t->iss + 1 + dlen;
    if (seq_gt(t->snd_nxt, t->snd_max)) t->snd_max = t->snd_nxt;
    if (!t->t_rtx) tcp_rtx_arm(st, t, now);
    timer_update(st, sk);
}

void tcp_send_ack(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* A pure ACK carries SND.MAX, not SND.NXT: while retransmitting after a timeout
     * SND.NXT is back in the old sequence space, and a receiver that already has those
     * bytes would find the ACK "not acceptable" (RFC 9293 §3.10.7.4), drop it and answer
     * with an ACK of its own, which might meet the same fate (the BSD rule). */
    /* Only a full output queue is worth trying again when it drains; any other failure
     * would be marked again at every call and keep synack_next_deadline() at 0. */
    if (tcp_send_segment(st, sk, now, t->snd_max, 0, SYNACK_TCP_ACK, false) == SYNACK_ENOBUFS) {
        t->ack_now = true;
        sock_want_output(st, sk);
    }
}

void tcp_send_probe(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* SEG.SEQ = SND.UNA - 1 is outside the receiver's window, so it answers with an ACK
     * stating its current window (RFC 9293 §3.8.6.1; the keepalive form, RFC 1122
     * §4.2.3.6). It carries no data and so cannot be taken as new data. */
    tcp_send_segment(st, sk, now, t->snd_una - 1, 0, SYNACK_TCP_ACK, false);
}

void tcp_send_rst(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>; the ACK lets the peer's RFC 5961
     * check place it exactly. SND.NXT is taken as the highest sequence number sent
     * (SND.MAX): after a timeout SND.NXT is rolled back into sequence space the peer may
     * already have received, and a reset there is not at its RCV.NXT, so the peer drops
     * it or at best answers with a challenge ACK (RFC 5961 §3.2). Linux never rolls
     * SND.NXT back, so its resets carry the same number. */
    tcp_send_segment(st, sk, now, t->snd_max, 0, SYNACK_TCP_RST | SYNACK_TCP_ACK, false);
}

void tcp_send_rst_for(struct synack_stack *st, uint64_t now, const struct tcp_seg *seg)
{
    /* RFC 9293 §3.10.7.1: never answer a reset with a reset. If the offending segment
     * has an ACK, the reset takes its sequence number from the ACK field:
     *   <SEQ=SEG.ACK><CTL=RST>
     * otherwise the reset has sequence number zero and acknowledges the segment:
     *   <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
    if (seg->flags & SYNACK_TCP_RST) return;
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = seg->s->tcp.dport;
    h.dport = seg->s->tcp.sport;
    if (seg->flags & SYNACK_TCP_ACK) {
        h.seq = seg->ack;
        h.flags = SYNACK_TCP_RST;
    } else {
        h.seq = 0;
        h.ack = seg->seq + seg->len;
        h.flags = SYNACK_TCP_RST | SYNACK_TCP_ACK;
    }
    ip_output_tcp(st, now, -1, &h, &seg->s->dst, &seg->s->src, NULL, 0, 0, 0);
}

/* The most payload one segment may carry now: the send MSS (which already allows for the
 * timestamp option) less the room the SACK blocks we report take (RFC 2018 §3: the MSS
 * counts data only, so the segment must shrink). */
static uint32_t seg_max_sack(const struct tcb *t)
{
    uint32_t m = t->snd_mss;
    uint32_t max_blocks = t->ts_ok ? 3u : 4u;
    uint32_t n = t->reass.n + (t->dsack_pending ? 1u : 0u);
    uint32_t k = n < max_blocks ? n : max_blocks;
    uint32_t sack_bytes = (2 + 8 * k + 2 + 3) & ~3u; /* two NOPs, kind, length, blocks */
    /* Never above SND.MSS (RFC 6691): the floor of 64 only holds SACK from starving the
     * payload of a large MSS. Where the floor wins, send_general reports fewer blocks, so
     * that the data and the options stay within the peer's MSS. */
    uint32_t floor = m < 64 ? m : 64;
    return m > sack_bytes + floor ? m - sack_bytes : floor;
}

/* Asked about 14 times a lifecycle, nearly always with no SACK block to report: that test
 * inline, the blocks' room out of line. */
static inline uint32_t tcp_seg_max(const struct tcb *t)
{
    if (t->sack_ok && (t->reass.n > 0 || t->dsack_pending)) return seg_max_sack(t);
    return t->snd_mss;
}

/* Resends the first unacknowledged segment (fast retransmit, NewReno partial ACK): never
 * more than was sent before, since bytes beyond SND.MAX are new data, not a
 * retransmission, and SND.MAX does not move here. Returns the bytes of data resent. */
uint32_t tcp_retransmit_head(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    uint32_t data_end = tcp_data_end(t);
    uint32_t len = u32min(tcp_sent_unacked(t, NULL), tcp_seg_max(t));
    uint16_t flags = SYNACK_TCP_ACK;
    len = tcp_rexmit_clip(t, t->snd_una, len, &flags);
    if (len > 0 && t->snd_una + len == data_end) flags |= SYNACK_TCP_PSH; /* as it first went */
    if (t->fin_queued && t->snd_una + len == data_end && seq_gt(t->snd_max, data_end))
        flags |= SYNACK_TCP_FIN;
    if (len == 0 && !(flags & SYNACK_TCP_FIN)) return 0;
    if (tcp_send_segment(st, sk, now, t->snd_una, len, flags, true) < 0) return 0;
    return len;
}

bool tcp_retransmit_last(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    uint32_t data_end = tcp_data_end(t), sent_end;
    uint32_t len = u32min(tcp_sent_unacked(t, &sent_end), tcp_seg_max(t));
    uint32_t seq = tcp_rexmit_last_start(t, sent_end - len, sent_end);
    len = sent_end - seq;
    uint16_t flags = SYNACK_TCP_ACK;
    /* The last segment sent was our FIN alone (RFC 8985 §7.3: the probe is the last
     * segment; Linux's last skb is that FIN): it goes again without the data before it. */
    if (t->fin_alone && t->fin_queued && seq_gt(t->snd_max, data_end)) {
        seq = data_end;
        len = 0;
    }
    if (len > 0 && seq + len == data_end) flags |= SYNACK_TCP_PSH; /* as it first went */
    (void)tcp_rexmit_clip(t, seq, len, &flags);                    /* PSH on a record's end */
    if (t->fin_queued && seq + len == data_end && seq_gt(t->snd_max, data_end))
        flags |= SYNACK_TCP_FIN;
    if (len == 0 && !(flags & SYNACK_TCP_FIN)) return false;
    if (tcp_send_segment(st, sk, now, seq, len, flags, true) < 0) return false;
    t->tlp_seq = seq;
    return true;
}

uint32_t tcp_retransmit_lost(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    uint32_t seq, len;
    if (!tcp_sack_next_hole(t, &seq, &len)) return 0;
    uint16_t flags = SYNACK_TCP_ACK;
    len = tcp_rexmit_clip(t, seq, u32min(len, tcp_seg_max(t)), &flags);
    if (tcp_send_segment(st, sk, now, seq, len, flags, true) < 0) return 0;
    return len;
}

/* The most new data one datagram may carry: one segment, or, when the device splits
 * super-segments (cfg.tso_max), as many whole segments as fit in tso_max with the headers
 * (at most 44 of 1448 bytes in 65535). A super-segment is N segments to everything that
 * counts bytes (cwnd, the pipe, the windows, RACK's map), and its parts go on the wire
 * exactly as N segments built one by one would, but for PSH and FIN, on the last only. */
static uint32_t tcp_tso_max(const struct synack_stack *st, const struct tcb *t, uint32_t seg_max)
{
    /* The IP and TCP headers with the largest options (40 bytes). */
    uint32_t hdrs = tcp_ip_hdrs(&t->laddr) + 40;
    if (!st->cfg.tso_max || st->cfg.tso_max <= hdrs + seg_max) return seg_max;
    uint32_t n = (st->cfg.tso_max - hdrs) / seg_max;
    return n * seg_max;
}

/* SACK recovery's retransmissions (RFC 6675 §5 step C) while the pipe leaves room for a
 * segment: the holes NextSeg's rule (1) returns. */
static void sack_rexmit(struct synack_stack *st, struct sock *sk, uint64_t now, bool sack_rec,
                        uint32_t seg_max)
{
    struct tcb *t = &sk->tcb;
    for (int guard = 0; sack_rec && guard < 100000; guard++) {
        uint32_t hole, hole_len;
        if (outq_full(&st->outq)) {
            sock_want_output(st, sk);
            break;
        }
        if (tcp_sack_pipe(t) + seg_max > t->cwnd || !tcp_sack_next_hole(t, &hole, &hole_len)) break;
        uint16_t flags = SYNACK_TCP_ACK;
        uint32_t len = tcp_rexmit_clip(t, hole, u32min(hole_len, seg_max), &flags);
        if (tcp_send_segment(st, sk, now, hole, len, flags, true) < 0) break;
        t->prr_out += len; /* the map marks the hole sent again (C.2's HighRxt) */
    }
}

/* What the send loop below and its epilogue do when there is nothing to send (the loop's
 * first pass ends at "len == 0 && !fin"): about half of tcp_output's calls in a
 * connection's lifecycle (after the ACK of what was sent, or with only an ACK to send).
 * Taken only where the first pass would find, with no output queue full, no new data, no
 * FIN to send and none waiting, and none of the cases that move cwnd for one segment
 * (limited transmit's duplicate ACKs, recovery, a tail loss probe, F-RTO's new segments):
 * then cwnd's use is the flight's, which tcp_cwnd_validate and the chronographs read, the
 * connection stalls only while something is unacknowledged (RFC 5482), and the persist
 * timer has nothing to wait for. out_idle_test holds it to the loop. */
static bool output_idle(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t data_end)
{
    struct tcb *t = &sk->tcb;
    if (t->in_recovery || t->dupacks || t->tlp_probe || t->frto_new || st->out_no_idle_path)
        return false;
    if (seq_lt(t->snd_nxt, data_end) || (t->fin_queued && seq_leq(t->snd_nxt, data_end)))
        return false;
    if (outq_full(&st->outq)) return false;
    uint32_t seg_max = tcp_seg_max(t);
    uint32_t in_net = tcp_sack_unsacked_flight(t, tcp_flight(t) - tcp_tfo_syn_in_flight(t));
    bool cwnd_full = (t->cwnd > in_net ? t->cwnd - in_net : 0) < seg_max;
    tcp_cwnd_validate(t, cwnd_full);
    tcp_info_on_output(sk, now, seg_max, cwnd_full, false);
    if (t->snd_una == t->snd_max)
        t->stall_since = 0;
    else if (!t->stall_since)
        t->stall_since = now;
    if (t->ack_now) tcp_send_ack(st, sk, now);
    return true;
}

bool tcp_output_untimed(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    switch (t->state) {
    case SYNACK_CLOSED:
    case SYNACK_LISTEN:
        return false;
    case SYNACK_SYN_SENT:
        /* The SYN of a connect() that no call carrying a clock has built yet (a Fast Open
         * connect waits for its first send: SYNACK_OPT_FASTOPEN_CONNECT). */
        if (t->snd_max == t->iss && !t->tfo_defer) tcp_send_syn(st, sk, now);
        return false;
    case SYNACK_SYN_RECEIVED:
        if (t->ack_now) {
            t->ack_now = false;
            tcp_send_syn(st, sk, now);
        }
        /* A connection born from a SYN with data may send before the handshake's ACK
         * (RFC 7413 §4.2.2), once its SYN-ACK is out. */
        if (!t->tfo_child || !seq_gt(t->snd_max, t->iss)) return false;
        break;
    case SYNACK_TIME_WAIT:
        if (t->ack_now) tcp_send_ack(st, sk, now);
        return false;
    default:
        break;
    }

    uint32_t data_end = tcp_data_end(t);
    if (output_idle(st, sk, now, data_end)) return true;
    uint32_t seg_max = tcp_seg_max(t);
    uint32_t burst_max = tcp_tso_max(st, t, seg_max);
    bool sack_rec = t->in_recovery && t->sack_recovery;
    uint64_t segs_before = t->segs_out;
    /* SACK recovery (RFC 6675 §5 step C): while the pipe leaves room for a segment,
     * retransmit the next lost hole (NextSeg rule 1); when none is left, send new data
     * below (rule 2). */
    sack_rexmit(st, sk, now, sack_rec, seg_max);
    if (seq_lt(t->snd_nxt, data_end)) tcp_cwnd_restart_check(t, now);
    bool cwnd_full = false, new_data = false;
    /* Segments in the current TSO-sized group (tcp_push.c), and the group's size, as the
     * flight before the loop gives it. The size (five divisions) is computed when first
     * read: only where a segment of new data has another behind it, which a lifecycle's
     * one-segment request and answer never have (0 stands for not yet: it is at least 2). */
    uint32_t tso_n = 0, tso_segs = 0, tso_flight = tcp_flight(t);
    for (int guard = 0; guard < 100000; guard++) {
        if (outq_full(&st->outq)) {
            sock_want_output(st, sk);
            break;
        }
        uint32_t avail = seq_lt(t->snd_nxt, data_end) ? data_end - t->snd_nxt : 0;
        /* The peer's window limits sequence space in flight; cwnd limits what is in the
         * network, which in SACK recovery is the pipe (RFC 6675 §4). */
        uint32_t flight = tcp_flight(t);
        /* A Fast Open child sending before the handshake's ACK: its SYN-ACK is not data in
         * flight (tcp_tso.c). */
        flight -= tcp_tfo_syn_in_flight(t);
        uint32_t in_net = sack_rec ? tcp_sack_pipe(t) : tcp_sack_unsacked_flight(t, flight);
        uint32_t wnd_room = t->snd_wnd > flight ? t->snd_wnd - flight : 0;
        uint32_t cwnd = t->cwnd;
        /* Limited transmit (RFC 3042 §2): the first and second duplicate ACKs each let one
         * new segment go beyond cwnd (FlightSize at most cwnd + 2 SMSS), cwnd unchanged,
         * so that a small window still gets the three duplicate ACKs fast retransmit
         * needs. Only new data: not while going back after a timeout. */
        bool lt = !t->in_recovery && t->dupacks > 0 && t->dupacks < 3 && t->snd_nxt == t->snd_max;
        /* With SACK the SACKed segments already make that room (tcp_sack.c). */
        bool sacked_room = !sack_rec && in_net < flight;
        if (sacked_room) lt = false;
        if (lt) cwnd += t->dupacks * (uint32_t)t->snd_mss;
        /* The tail loss probe (tcp_timer.c) goes whatever cwnd says (RFC 8985 §7.3). */
        if (t->tlp_probe && cwnd < in_net + seg_max) cwnd = in_net + seg_max;
        /* So do F-RTO's two new segments (RFC 5682 §2.1 step 2b). */
        bool frto_new = t->frto_new > 0 && t->snd_nxt == t->snd_max;
        if (frto_new && cwnd < in_net + seg_max) cwnd = in_net + seg_max;
        uint32_t cwnd_room = cwnd > in_net ? cwnd - in_net : 0;
        cwnd_full = cwnd_room < seg_max;
        uint32_t usable = u32min(wnd_room, cwnd_room);
        /* Super-segments carry new data only: going back after a timeout (SND.NXT below
         * SND.MAX) resends one MSS at a time, as every other retransmission, and never
         * past SND.MAX into new data (Linux resends its segments as they were sent: a Fast
         * Open SYN's data of MSS - 40 bytes goes again as such). */
        bool going_back = seq_lt(t->snd_nxt, t->snd_max);
        uint32_t lim = going_back ? u32min(seg_max, t->snd_max - t->snd_nxt) : burst_max;
        uint32_t len = u32min(u32min(avail, lim), usable);
        /* A super-segment is whole segments: a shorter tail goes next, on its own, through
         * the Nagle rules below, as it would have without one. */
        if (len > seg_max) len -= len % seg_max;
        /* No segment crosses the end of a record (SYNACK_SEND_EOR, Linux's MSG_EOR). */
        uint32_t rec_end;
        bool at_eor = false;
        /* Only a socket with record ends queued asks (tcp_eor_after prunes and finds nothing
         * without one): the test of a count instead of a call per segment. */
        if (len > 0 && t->eor_n > 0 && tcp_eor_after(t, t->snd_nxt, &rec_end) &&
            seq_leq(rec_end, t->snd_nxt + len)) {
            len = rec_end - t->snd_nxt;
            at_eor = true;
        }
        /* Nor carries more zero-copy fragments than cfg.zc_max_frags (tcp_zc.c): the end of
         * the last that fits is pushed and goes as a record's end does. */
        bool frag_cut = false;
        /* Only a socket that made zero-copy sends has a fragment limit: the test of one
         * pointer instead of a call per segment. */
        if (sk->zc) len = tcp_zc_frag_clip(sk, t->snd_nxt, len, &frag_cut);
        at_eor = at_eor || frag_cut;
        /* The FIN goes with (or after) the last byte of data, once the peer's window has
         * room for that last byte's sequence number. */
        bool fin = false;
        if (t->fin_queued && len == avail && seq_leq(t->snd_nxt, data_end)) {
            /* The FIN goes with (or after) the last byte of data, once the peer's window
             * covers its sequence number too; a zero window holds it (persist probes). */
            uint32_t end = t->snd_nxt + len + 1;
            fin = end - t->snd_una <= t->snd_wnd;
        }
        if (len == 0 && !fin) break;
        if (len > 0 && len < seg_max && !fin && !t->force_push && !going_back) {
            /* Nagle (RFC 896, RFC 9293 §3.7.4) and sender-side SWS avoidance
             * (§3.8.6.2.1), never for a retransmission: a short segment goes only when it empties
             * the queue and no other short segment is unacknowledged (Minshall's variant, as Linux
             * does: the tail of a bulk write is not held for a round trip), or Nagle is off, or
             * when it fills at least half the largest window the peer has offered. */
            bool empties = t->snd_nxt + len == data_end;
            bool nagle_ok = t->nodelay || flight == 0 || seq_leq(t->snd_small_end, t->snd_una);
            bool half_wnd = t->max_snd_wnd > 0 && len >= t->max_snd_wnd / 2;
            /* The end of a record with more queued behind it goes (Linux pushes every
             * skb but the last). A cork (TCP_CORK, SYNACK_SEND_MORE) holds the rest until
             * it is lifted or the persist timer forces it out (Linux's 200 ms ceiling). */
            bool record_done = at_eor && !empties;
            if (!record_done && (tcp_corked(t) || (!(empties && nagle_ok) && !half_wnd))) break;
        }
        uint16_t flags = SYNACK_TCP_ACK;
        /* PSH on the segment that empties the queue (unless more was announced,
         * SYNACK_SEND_MORE), on the end of a record, and on what the persist timer forces
         * out (as Linux's tcp_write_wakeup); not on a tail loss probe's new segment, which
         * Linux sends with its buffer's flags (tcp_push.c). */
        bool forced = t->force_push && !t->tlp_probe;
        if (len > 0 && ((t->snd_nxt + len == data_end && !t->more) || at_eor || forced))
            flags |= SYNACK_TCP_PSH;
        /* And on the last of each group of two or more segments that Linux would have
         * sent as one TSO packet: a group ends at tso_segs segments or where this burst
         * stops, because the windows hold the next full segment back (or the queue's short
         * tail waits for Nagle, a cork or MSG_MORE, which Linux's split point also leaves
         * behind). */
        if (len > seg_max) {
            /* A super-segment for a device that splits it (cfg.tso_max) is one of Linux's
             * GSO packets: PSH on every one (__tcp_transmit_skb), which the split keeps on
             * its last part. It is its own group. */
            flags |= SYNACK_TCP_PSH;
            tso_n = 0;
        } else if (len > 0) {
            uint32_t rest = avail - len, room = usable - len;
            bool tail_goes = rest < seg_max && rest <= room && !tcp_corked(t) &&
                             (t->nodelay || seq_leq(t->snd_small_end, t->snd_una));
            bool next_goes =
                !at_eor && rest > 0 && ((rest >= seg_max && room >= seg_max) || tail_goes);
            tso_n++;
            bool group_ends = !next_goes;
            if (!group_ends) {
                if (!tso_segs) tso_segs = tcp_tso_segs_at(t, tso_flight);
                group_ends = tso_n >= tso_segs;
            }
            if (group_ends) {
                if (tso_n >= 2) flags |= SYNACK_TCP_PSH;
                tso_n = 0;
            }
        }
        if (fin) flags |= SYNACK_TCP_FIN;
        bool rexmit = seq_lt(t->snd_nxt, t->snd_max);
        int r = tcp_send_segment(st, sk, now, t->snd_nxt, len, flags, rexmit);
        if (r < 0) {
            /* Only a full output queue is worth retrying when it drains. */
            if (r == SYNACK_ENOBUFS) sock_want_output(st, sk);
            break;
        }
        t->force_push = false;
        if (frto_new) t->frto_new--;
        if ((lt || sacked_room) && flight + len > t->cwnd) t->lt_sent += len;
        if (sack_rec) t->prr_out += len; /* RFC 6937: all data sent in recovery */
        if (!rexmit && !t->tlp_probe) new_data = true;
        /* New data within a delayed-ACK time of the last data received is a reply: Linux's
         * tcp_event_data_sent enters pingpong mode (its threshold is 1). Its delayed-ACK
         * clock starts with the first data received, or with a handshake whose ACK it
         * delayed because more data was waiting to go (write_pending). */
        uint64_t lrcv = t->last_data_time      ? t->last_data_time
                        : t->est_write_pending ? t->est_time
                                               : 0;
        if (!rexmit && len > 0 && lrcv && now - lrcv < st->cfg.delack_us) t->pingpong = true;
        t->tlp_probe = false;
        /* Minshall's mark is new data's, as Linux's snd_sml (tcp_minshall_update in its
         * send loop; a retransmission does not move it). */
        if (!rexmit && len > 0 && len < seg_max) t->snd_small_end = t->snd_nxt + len;
        if (!rexmit && !t->rtt_timing && len > 0 && !t->in_recovery) {
            /* Time one segment per round trip (RFC 6298 §3; Karn: never a retransmitted
             * one). Not during recovery: the ACK covering new data sent now also covers
             * the holes being retransmitted below it, and Linux takes no sample from an
             * ACK of retransmitted data (FLAG_RETRANS_DATA_ACKED). */
            t->rtt_timing = true;
            t->rtt_seq = t->snd_nxt;
            t->rtt_start = now;
        }
        if (fin && !rexmit) t->fin_alone = len == 0;
        t->snd_nxt += len + (fin ? 1 : 0);
        if (seq_gt(t->snd_nxt, t->snd_max)) t->snd_max = t->snd_nxt;
        if (!t->t_rtx) tcp_rtx_arm(st, t, now);
        t->t_persist = 0;
        if (fin) break;
    }

    /* RFC 6675 NextSeg (3), a hole not deemed lost, is not sent: RACK's reordering timer
     * marks such a hole lost when it is (tcp_sack.c), and then rule (1) sends it. */
    if (t->segs_out != segs_before) t->lsndtime = now;
    /* RFC 8985 §7.2: (re)start the probe timer after sending new data. */
    if (new_data) tcp_tlp_arm(t, now);
    tcp_cwnd_validate(t, cwnd_full);
    tcp_info_on_output(sk, now, seg_max, cwnd_full, t->segs_out != segs_before);

    /* Nothing in flight to bring an ACK back, yet data waits: the persist timer probes the
     * window (RFC 9293 §3.8.6.1) or, for a small usable window, pushes after a while. */
    uint32_t pending = seq_lt(t->snd_nxt, data_end) ? data_end - t->snd_nxt : 0;
    bool fin_waits =
        t->fin_queued && seq_leq(t->snd_nxt, data_end) && !seq_gt(t->snd_max, data_end);
    /* What waits for the peer, for the user timeout (RFC 5482). */
    if (pending == 0 && !fin_waits && t->snd_una == t->snd_max)
        t->stall_since = 0;
    else if (!t->stall_since)
        t->stall_since = now;
    if ((pending > 0 || fin_waits) && t->snd_una == t->snd_max && !t->t_persist) {
        /* Backed off like the retransmission timer, and bounded by the same maximum. */
        uint64_t d = tcp_rto_backed_off(t, st->cfg.rto_max_us)
                     << (t->persist_shift < 16 ? t->persist_shift : 16);
        t->t_persist = now + (d < st->cfg.rto_max_us ? d : st->cfg.rto_max_us);
    }
    if (t->ack_now) tcp_send_ack(st, sk, now);
    return true;
}

void tcp_output(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    /* The states that return early leave the entry as it was (a SYN sent re-arms it in
     * tcp_send_syn); the others re-arm it for the timers the send loop set. */
    if (tcp_output_untimed(st, sk, now)) timer_update(st, sk);
}
