/*
 * tcp/tcp_info.c - the counters of Linux's struct tcp_info that synack_getinfo() reports and
 * the stack keeps for nothing else: packets delivered, and the lost and retransmitted
 * packets still outstanding, in Linux's units (segments, not bytes).
 *
 * Linux counts skbs; synack counts bytes. A range of bytes is counted as the segments it
 * took: its length in SND.MSS, rounded up, which is what Linux's pcount is for the segments
 * synack sends (a super-segment, cfg.tso_max, counts as the SND.MSS parts the device cuts
 * it into, as Linux's pcount for a TSO skb).
 *
 * The delivery rate (tcpi_delivery_rate; draft-cheng-iccrg-delivery-rate-estimation, as
 * Linux's tcp_rate.c computes it): each record of RACK's map keeps, from its send, the
 * packets delivered by then and when the last delivery and the send phase were; an ACK
 * takes the most recently sent record it delivers, and its sample is the packets delivered
 * since that send over the longer of the send phase and the ACK phase.
 */
#include "tcp/stack.h"

static uint32_t segs_of(const struct tcb *t, uint64_t bytes)
{
    uint32_t mss = t->snd_mss ? t->snd_mss : 1;
    return (uint32_t)((bytes + mss - 1) / mss);
}

/* ---- The delivery rate (Linux's tcp_rate.c) ------------------------------------------ */

static uint32_t age_of(uint64_t now, uint64_t then)
{
    uint64_t d = now > then ? now - then : 0;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

void tcp_rate_on_send(struct tcb *t, struct tcp_xrec *x, uint64_t now, bool empty)
{
    /* tcp_rate_skb_sent: the first send with nothing in flight starts the send phase and
     * the ACK phase afresh; then every packet keeps the connection's state at its send. */
    struct tcp_rate *r = &t->rate;
    if (empty) r->first_sent_time = r->delivered_time = now;
    x->dlv = t->delivered;
    x->dlv_age = age_of(now, r->delivered_time);
    x->first_age = age_of(now, r->first_sent_time);
    if (r->app_limited)
        x->flags |= TCP_XR_APP_LIMITED;
    else
        x->flags &= (uint8_t)~TCP_XR_APP_LIMITED;
}

void tcp_rate_ack_start(struct tcb *t, uint64_t now)
{
    t->rate.ack_now = now;
    t->rate.p_has = false;
}

void tcp_rate_on_delivered(struct tcb *t, const struct tcp_xrec *x, uint32_t end)
{
    /* tcp_rate_skb_delivered: of what one ACK delivers, the most recently sent packet (the
     * latest send, the order within its microsecond, then the higher end: RFC 8985 §6.2's
     * RACK_sent_after) gives the sample; the send phase runs from the first send time the
     * packet saw to its own send, which becomes the connection's first send time. */
    struct tcp_rate *r = &t->rate;
    if (r->p_has &&
        (x->ts < r->p_ts || (x->ts == r->p_ts && (x->ord < r->p_ord ||
                                                  (x->ord == r->p_ord && !seq_gt(end, r->p_end))))))
        return;
    r->p_has = true;
    r->p_ts = x->ts;
    r->p_ord = x->ord;
    r->p_end = end;
    r->p_dlv = x->dlv;
    r->p_dlv_time = x->ts - x->dlv_age;
    r->p_first_sent = x->ts - x->first_age;
    r->p_app_limited = x->flags & TCP_XR_APP_LIMITED;
    r->p_rxt = x->flags & TCP_XR_EVER_RXT;
    r->first_sent_time = x->ts;
}

/* tcp_rate_gen, after the ACK's deliveries are counted (t->delivered). */
static void rate_gen(struct tcb *t, bool delivered)
{
    struct tcp_rate *r = &t->rate;
    uint64_t now = r->ack_now;
    if (r->app_limited && (int32_t)(t->delivered - r->app_limited) > 0) r->app_limited = 0;
    if (delivered) r->delivered_time = now;
    if (!r->p_has) return;
    r->p_has = false;
    uint32_t n = t->delivered - r->p_dlv;
    uint64_t snd_us = r->p_ts - r->p_first_sent;
    uint64_t ack_us = now > r->p_dlv_time ? now - r->p_dlv_time : 0;
    uint64_t us = snd_us > ack_us ? snd_us : ack_us;
    /* Shorter than the path's minimum RTT: ACK compression or a stale sample; none. */
    if (n == 0 || us == 0 || us < t->min_rtt) return;
    /* An app-limited sample says less than the path can carry: it replaces the last only
     * when it is higher (n / us >= rate_delivered / rate_interval_us). */
    if (!r->p_app_limited ||
        (uint64_t)n * r->rate_interval_us >= (uint64_t)r->rate_delivered * us) {
        r->rate_delivered = n;
        r->rate_interval_us = us;
        r->rate_app_limited = r->p_app_limited;
    }
}

uint64_t tcp_rate_read(const struct tcb *t, bool *app_limited)
{
    /* tcp_get_info: rate_delivered packets of mss_cache bytes over rate_interval_us. */
    const struct tcp_rate *r = &t->rate;
    *app_limited = r->rate_app_limited;
    if (!r->rate_delivered || !r->rate_interval_us) return 0;
    return (uint64_t)r->rate_delivered * t->snd_mss * 1000000u / r->rate_interval_us;
}

void tcp_info_on_ack(struct tcb *t, uint32_t una0, uint32_t sacked0)
{
    /* tcpi_delivered (Linux's tp->delivered, RFC 9293 has no such counter): the packets
     * newly acknowledged or SACKed by this ACK. What SND.UNA passes that was SACKed before
     * was counted then, and leaves the SACKed bytes now, so the two changes add up. The
     * FIN's sequence number is not data: it counts only as a packet of its own. */
    uint32_t d = tcp_sack_delivered(t, t->snd_una - una0, sacked0);
    uint32_t data_end = tcp_data_end(t);
    bool fin = t->fin_queued && seq_gt(t->snd_una, data_end) && seq_leq(una0, data_end);
    if (fin && d > 1)
        t->delivered += segs_of(t, (uint64_t)d - 1);
    else if (fin)
        t->delivered++;
    else if (d > 0)
        t->delivered += segs_of(t, d);
    rate_gen(t, d > 0 || fin);
}

void tcp_info_outstanding(const struct tcb *t, uint32_t *lost, uint32_t *retrans)
{
    /* tcpi_lost and tcpi_retrans (Linux's lost_out, retrans_out): packets not SACKed that
     * are deemed lost (by RACK, or a timeout), and those sent again whose copy is still in
     * flight. The FIN's sequence number is not data. */
    uint32_t data_end = tcp_data_end(t);
    *lost = *retrans = 0;
    if (!t->xr) return; /* no map taken yet (xr_n is 0 then too) */
    for (int i = 0; i < t->xr_n; i++) {
        const struct tcp_xrec *x = &t->xr[i];
        if (x->flags & TCP_XR_SACKED) continue;
        uint32_t s = i == 0 ? t->snd_una : t->xr[i - 1].end;
        uint32_t e = seq_lt(data_end, x->end) ? data_end : x->end;
        if (seq_lt(s, t->snd_una)) s = t->snd_una;
        if (!seq_lt(s, e)) continue;
        if (x->flags & TCP_XR_LOST) *lost += segs_of(t, e - s);
        if (x->flags & TCP_XR_RXT) *retrans += segs_of(t, e - s);
    }
}

/* ---- Linux's chronographs (tcp_chrono_start/stop, tcp_get_info_chrono_stats) ----------- */

/* The running one stops, its time is kept, and type runs from now. */
static void chrono_set(struct tcb *t, uint64_t now, uint8_t type)
{
    if (t->chrono_type && now > t->chrono_start)
        t->chrono_us[t->chrono_type - 1] += now - t->chrono_start;
    t->chrono_start = now;
    t->chrono_type = type;
}

/* A limit only takes over from a lesser state: busy < rwnd-limited < sndbuf-limited. */
static void chrono_start(struct tcb *t, uint64_t now, uint8_t type)
{
    if (type > t->chrono_type) chrono_set(t, now, type);
}

/* The end of type: nothing at all to send (none), or back to busy. */
static void chrono_stop(struct sock *sk, uint64_t now, uint8_t type)
{
    struct tcb *t = &sk->tcb;
    if (t->snd_una == t->snd_max && tcp_snd_queued(t) == 0)
        chrono_set(t, now, 0);
    else if (type == t->chrono_type)
        chrono_set(t, now, TCP_CHRONO_BUSY);
}

void tcp_info_on_queue(struct tcb *t, uint64_t now, uint32_t taken, bool buffer_full)
{
    /* tcp_rate_check_app_limited, as Linux calls it for each write: less than a segment
     * was waiting to be sent before this one, the congestion window has room and every
     * packet deemed lost has been sent again: the application is the limit, until the
     * packets delivered pass those delivered or in flight now. (Linux also asks that its
     * qdisc and device queues be empty; synack's output queue is the caller's to drain.) */
    uint32_t notsent = tcp_notsent(t);
    uint32_t before = notsent > taken ? notsent - taken : 0;
    uint32_t mss = t->snd_mss ? t->snd_mss : 536;
    /* The map is walked only then: a bulk writer keeps a segment or more unsent and pays
     * nothing here per write. */
    if (before < mss) {
        uint32_t pipe = segs_of(t, t->xr ? tcp_rack_pipe(t) : tcp_flight(t));
        uint32_t lost, retrans;
        tcp_info_outstanding(t, &lost, &retrans);
        if (pipe < t->cwnd / mss && lost <= retrans) {
            uint32_t al = t->delivered + pipe;
            t->rate.app_limited = al ? al : 1;
        }
    }
    /* Linux starts busy when its write queue gets its first skb. */
    chrono_start(t, now, TCP_CHRONO_BUSY);
    if (buffer_full) t->snd_nospace = true;
}

void tcp_info_on_output(struct sock *sk, uint64_t now, uint32_t seg_max, bool cwnd_full, bool sent)
{
    struct tcb *t = &sk->tcb;
    if (!t->chrono_type) return;
    /* The next segment held back by the peer's window, not by cwnd (which Linux's
     * tcp_write_xmit tests first); data sent with cwnd to spare. */
    uint32_t data_end = tcp_data_end(t);
    uint32_t left = seq_lt(t->snd_nxt, data_end) ? data_end - t->snd_nxt : 0;
    uint32_t fl = tcp_flight(t);
    uint32_t wnd_left = t->snd_wnd > fl ? t->snd_wnd - fl : 0;
    bool rwnd_limited = left > 0 && !cwnd_full && wnd_left < (left < seg_max ? left : seg_max);
    bool sent_cwnd_room = sent && !cwnd_full;
    /* Everything acknowledged and nothing queued: not busy (tcp_clean_rtx_queue). */
    if (t->snd_una == t->snd_max && tcp_snd_queued(t) == 0) chrono_set(t, now, 0);
    /* The buffer is writable again once half of what it holds is free (Linux's
     * sk_stream_min_wspace; tcp_check_space then stops the chronograph). */
    if (t->snd_nospace && tcp_snd_room(sk) >= tcp_snd_queued(t) / 2) {
        t->snd_nospace = false;
        chrono_stop(sk, now, TCP_CHRONO_SNDBUF_LIMITED);
    }
    if (!t->chrono_type) return;
    /* tcp_write_xmit: the next segment did not fit in the peer's window. */
    if (rwnd_limited)
        chrono_start(t, now, TCP_CHRONO_RWND_LIMITED);
    else
        chrono_stop(sk, now, TCP_CHRONO_RWND_LIMITED);
    /* tcp_cwnd_validate: data just went, the congestion window was not the limit, nothing
     * is left unsent and the application found the buffer full: the buffer is the limit. */
    bool synced = t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT;
    if (sent_cwnd_room && synced && t->snd_nospace && tcp_notsent(t) == 0)
        chrono_start(t, now, TCP_CHRONO_SNDBUF_LIMITED);
}

void tcp_chrono_read(const struct tcb *t, uint64_t now, uint64_t out[TCP_CHRONO_N])
{
    for (int i = 0; i < TCP_CHRONO_N; i++) out[i] = t->chrono_us[i];
    if (t->chrono_type && now > t->chrono_start) out[t->chrono_type - 1] += now - t->chrono_start;
}
