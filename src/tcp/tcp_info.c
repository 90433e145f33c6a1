/*
 * tcp/tcp_info.c - the counters of Linux's struct tcp_info that synack_getinfo() reports and
 * the stack keeps for nothing else: packets delivered, and the lost and retransmitted
 * packets still outstanding, in Linux's units (segments, not bytes).
 *
 * Linux counts skbs; synack counts bytes. A range of bytes is counted as the segments it
 * took: its length in SND.MSS, rounded up, which is what Linux's pcount is for the segments
 * synack sends (a super-segment, cfg.tso_max, counts as the SND.MSS parts the device cuts
 * it into, as Linux's pcount for a TSO skb).
 */
#include "tcp/stack.h"

static uint32_t segs_of(const struct tcb *t, uint64_t bytes)
{
    uint32_t mss = t->snd_mss ? t->snd_mss : 1;
    return (uint32_t)((bytes + mss - 1) / mss);
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
}

void tcp_info_outstanding(const struct tcb *t, uint32_t *lost, uint32_t *retrans)
{
    /* tcpi_lost and tcpi_retrans (Linux's lost_out, retrans_out): packets not SACKed that
     * are deemed lost (by RACK, or a timeout), and those sent again whose copy is still in
     * flight. The FIN's sequence number is not data. */
    uint32_t data_end = tcp_data_end(t);
    *lost = *retrans = 0;
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

void tcp_info_on_queue(struct tcb *t, uint64_t now, bool buffer_full)
{
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
