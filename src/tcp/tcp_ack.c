/*
 * tcp/tcp_ack.c - SEGMENT ARRIVES, fifth step (RFC 9293 §3.10.7.4): the ACK field. An
 * acceptable ACK advances SND.UNA, frees the send ring, samples the RTT (RFC 6298) and
 * grows the congestion window; duplicate ACKs and SACK information drive loss recovery
 * (RFC 5681, RFC 6582 NewReno, RFC 6675 SACK, Eifel undo RFC 3522/4015); the send window
 * is updated by the SND.WL1/WL2 rule; our FIN being acknowledged moves the closing states.
 * RFC 5961 §5 hardens it against blind injection.
 */
#include "base/util.h"
#include "tcp/stack.h"
#include "tcp/tcp_in.h"
#include "tcp/tcp_zc.h"

bool tcp_our_fin_acked(const struct tcb *t)
{
    return t->fin_queued && seq_gt(t->snd_una, tcp_data_end(t));
}

/* New data acknowledged: SND.UNA advances, the send ring gives back space, RTT is sampled
 * and the congestion window grows or recovery progresses. */
static void ack_advance(struct synack_stack *st, struct sock *sk, uint64_t now,
                        const struct tcp_seg *seg, uint32_t sacked0)
{
    struct tcb *t = &sk->tcb;
    uint32_t acked = seg->ack - t->snd_una;
    uint32_t data_acked = 0;
    if (seq_gt(seg->ack, t->snd_buf_seq)) {
        data_acked = u32_min(seg->ack - t->snd_buf_seq, tcp_snd_queued(t));
        tcp_snd_consume(st, sk, data_acked, now); /* the ring, zero-copy sends (tcp_zc.c) */
    }
    t->snd_una = seg->ack;
    if (seq_lt(t->snd_nxt, t->snd_una)) t->snd_nxt = t->snd_una;
    t->bytes_acked += data_acked;

    if (st->cfg.rtt_every_ack && t->xr) {
        t->rtt_timing = false; /* sampled from the send records instead (tcp_ack_step) */
    } else if (t->rtt_timing && seq_gt(seg->ack, t->rtt_seq)) {
        tcp_rtt_sample(t, now - t->rtt_start, &st->cfg);
        tcp_min_rtt_sample(t, now - t->rtt_start, now);
        t->rtt_timing = false;
    }
    t->rtx_count = 0;
    t->persist_shift = 0;
    t->t_persist = 0;
    t->stall_since = now; /* progress: tcp_output clears it when nothing waits */

    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    if (t->in_recovery && t->undo_ok && o->has_ts && (int32_t)(o->ts_ecr - t->undo_ts) < 0) {
        /* Eifel detection (RFC 3522 §2): the first ACK of the retransmitted data echoes a
         * timestamp older than the retransmission, so the original arrived: it was
         * reordered, not lost. Response (RFC 4015): restore the window and leave recovery. */
        t->cwnd = t->cwnd > t->undo_cwnd ? t->cwnd : t->undo_cwnd;
        t->ssthresh = t->ssthresh > t->undo_ssthresh ? t->ssthresh : t->undo_ssthresh;
        t->in_recovery = t->sack_recovery = false;
        t->dupacks = 0;
        /* There was no loss, so recover (SND.MAX when recovery began) marks nothing: left
         * there, a real loss later in the same flight (this ACK may be partial) could not
         * start fast retransmit (RFC 6582 §3.2 step 1) and would wait for the RTO. RFC 4015
         * does not say; Linux returns to the Open state, where any loss is repaired. */
        t->recover = t->snd_una;
        t->undo_dsack = false;
        st->stats.spurious_retransmits++;
        tcp_rack_recovery_done(t);
    }
    t->undo_ok = false;
    if (t->rto_recovery && seq_geq(t->snd_una, t->recover)) {
        t->rto_recovery = false;
        tcp_rack_recovery_done(t);
    }
    if (t->in_recovery && t->sack_recovery) {
        /* RFC 6675: the pipe, not cwnd inflation, paces recovery; it ends when everything
         * outstanding at its start is acknowledged, with cwnd = ssthresh. */
        if (seq_geq(seg->ack, t->recover)) {
            t->in_recovery = t->sack_recovery = false;
            t->cwnd = t->ssthresh;
            t->dupacks = 0;
            tcp_rack_recovery_done(t);
        }
    } else if (t->in_recovery) {
        if (seq_geq(seg->ack, t->recover)) {
            /* Full acknowledgment (RFC 6582 §3.2 step 3): leave recovery with
             * cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). */
            uint32_t flight = tcp_flight(t);
            uint32_t w = (flight > t->snd_mss ? flight : t->snd_mss) + t->snd_mss;
            t->cwnd = u32_min(t->ssthresh, w);
            t->in_recovery = false;
            t->dupacks = 0;
            tcp_rack_recovery_done(t);
        } else {
            /* Partial acknowledgment (step 4): retransmit the next hole, deflate cwnd by
             * what was acknowledged, add one SMSS back if at least one was. */
            tcp_retransmit_head(st, sk, now);
            t->cwnd = t->cwnd > acked ? t->cwnd - acked : t->snd_mss;
            if (acked >= t->snd_mss) t->cwnd += t->snd_mss;
            tcp_rtx_arm(st, t, now);
        }
    } else {
        uint32_t grow_by = tcp_cc_acked(t, acked, sacked0, t->dupacks);
        t->dupacks = 0;
        t->lt_sent = 0;
        /* Grow only a window that was used (cc_newreno.c, tcp_cwnd_limited), and not on
         * the ACK whose ECE just reduced it (tcp_ecn.c). */
        uint32_t hs_exits = t->hs.exits;
        if (tcp_cwnd_limited(t) && !t->ecn_cut_now) t->cc->on_ack(t, grow_by, now);
        if (t->hs.exits != hs_exits) st->stats.hystart_exits++;
    }
    /* RFC 6582 §3.2 step 1 asks whether the cumulative ACK covers recover (here SND.MAX
     * at the loss, an exclusive edge: covered once SND.UNA reaches it), a comparison that
     * holds only within 2^31 (RFC 9293 §3.4): left alone, recover would fall more than
     * 2^31 behind after 2 GiB without a loss and look ahead again, switching fast
     * retransmit off for the next 2 GiB. Once SND.UNA has reached it, recover has done its
     * work and is dragged along with SND.UNA, where "SND.UNA >= recover" keeps holding. */
    if (!t->in_recovery && seq_geq(t->snd_una, t->recover)) t->recover = t->snd_una;
    /* Nagle's "a short segment is unacknowledged" (tcp_out.c) compares snd_small_end with
     * SND.UNA: dragged likewise, so that 2 GiB of full-size segments cannot turn it round. */
    if (seq_lt(t->snd_small_end, t->snd_una)) t->snd_small_end = t->snd_una;
    /* RFC 6298 §5.2 and §5.3: stop the timer when all is acknowledged, else restart it. */
    if (t->snd_una == t->snd_max)
        t->t_rtx = 0;
    else
        tcp_rtx_arm(st, t, now);
}

/* RFC 5681 §2 duplicate ACK: nothing new acknowledged, data outstanding, no data, no
 * SYN/FIN, same window. Three start fast retransmit and NewReno recovery (RFC 6582). */
static void dup_ack(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->dupacks++;
    if (t->dupacks == 1) t->lt_sent = 0; /* a new episode: limited transmit starts afresh */
    if (t->in_recovery) {
        /* NewReno: each dup ACK means a segment has left the network (RFC 6582 §3.2 step
         * 3). Bounded by what could be in flight (ssthresh of new data beside the flight):
         * a peer repeating duplicate ACKs cannot grow, or wrap, the window without end. */
        uint32_t cap = t->ssthresh + tcp_flight(t);
        if (!t->sack_recovery && t->cwnd < cap) t->cwnd += t->snd_mss;
        return;
    }
    if (t->dupacks != 3) return;
    /* With SACK information RACK decides what is lost (RFC 8985 §6.2; with no reordering
     * seen, DupThresh SACKed segments give a zero reordering window, the same result). */
    if (t->sack_ok && t->sacked.n > 0) return;
    /* RFC 6582 §3.2 step 1: only if the cumulative ACK covers the last recovery point. */
    if (seq_lt(t->snd_una, t->recover)) return;
    tcp_enter_recovery(st, sk, now);
}

/* Fast retransmit: the first unacknowledged segment is lost. With SACK information the
 * recovery of RFC 6675 repairs every lost hole within a round trip (tcp_sack.c); without,
 * NewReno (RFC 6582) one per round trip. */
void tcp_enter_recovery(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* A new episode: its retransmissions are counted for the D-SACK undo (RFC 3708). */
    t->undo_dsack = true;
    t->undo_marker = t->snd_una;
    t->undo_retrans = 0;
    t->undo_ok = t->ts_ok;
    t->undo_cwnd = t->cwnd;
    t->undo_ssthresh = t->ssthresh;
    /* Eifel's RetransmitTS (RFC 3522 §3.2): RFC 3522 retransmits at SND.UNA, but with SACK
     * a retransmission of the episode before may still be in flight below this one's, and
     * the first ACK to advance SND.UNA may be its: echoing its time, older than now, it
     * would call this episode spurious. So the oldest retransmission outstanding counts
     * (Linux's retrans_stamp). */
    t->undo_ts = tcp_ts_now(t, tcp_rack_oldest_rxt(t, now));
    t->ssthresh = t->cc->ssthresh(t);
    t->lt_sent = 0;
    t->t_tlp = 0;
    if (t->tlp_active) t->tlp_loss_seen = true; /* the episode's loss gets this response */
    st->stats.fast_retransmits++;
    t->dupacks = 0;
    if (t->sack_ok && tcp_rack_any_lost(t)) {
        t->recover = t->snd_max;
        t->in_recovery = t->sack_recovery = true;
        /* PRR (RFC 6937 §3), not cwnd = ssthresh, takes the window down: tcp_ack_step
         * runs it on this ACK too, after this, and tcp_input's exit sends what it allows. */
        t->prr_delivered = 0;
        /* RFC 9937 initializes RecoverFS to the pipe (RFC 6675 §4), where RFC 6937 took
         * FlightSize (SND.NXT - SND.UNA): what is SACKed or deemed lost at the start will
         * not come back as deliveries during the recovery, so counting it made the sends
         * fall short of ssthresh by the end (under random loss, by the SACKed segments'
         * share of every recovery). Taken before the first retransmission below. */
        t->recover_fs = tcp_sack_pipe(t);
        /* RFC 6675 §5 (4.3): the first segment presumed lost is retransmitted at once,
         * whatever the pipe (Linux likewise forces it past PRR's sndcnt): just after the
         * loss the pipe is usually above ssthresh (more so when the tail of the flight is
         * lost too), and waiting for room could leave the repair to the RTO. */
        t->prr_out = tcp_retransmit_lost(st, sk, now);
        tcp_rtx_arm(st, t, now);
        return;
    }
    t->recover = t->snd_max;
    t->in_recovery = true;
    tcp_retransmit_head(st, sk, now);
    t->cwnd = t->ssthresh + 3 * (uint32_t)t->snd_mss;
    tcp_rtx_arm(st, t, now);
}

/* The ACK of a tail loss probe (RFC 8985 §7.4). The probe was sent at least a PTO after
 * everything below it: once it is SACKed, RACK (tcp_rack.c) finds the holes below it lost
 * (a segment sent later, by more than the reordering window, was delivered), and SACK
 * recovery starts at once. The episode ends when SEG.ACK covers the probe: if
 * the probe was a retransmission, no D-SACK said the original had arrived, and no
 * recovery already answered the loss, the probe repaired a loss, and the window is
 * reduced as for any loss (§7.4.2; Linux: tcp_process_tlp_ack, CWR). */
static void tlp_on_ack(struct tcb *t, const struct synack_tcp_opts *o, uint32_t ack,
                       int dsack_block)
{
    if (!t->tlp_active) return;
    if (seq_lt(ack, t->tlp_high)) return;
    /* D-SACK (RFC 2883): the probe's data arrived twice. */
    bool dsack = dsack_block == 0 && seq_gt(o->sack[0].right, t->tlp_seq);
    if (t->tlp_retrans && !dsack && !t->tlp_loss_seen && !t->in_recovery) {
        t->ssthresh = t->cc->ssthresh(t);
        if (t->cwnd > t->ssthresh) t->cwnd = t->ssthresh;
    }
    t->tlp_active = false;
}

/* The reduction of the window proved unnecessary: restore what it was before (RFC 4015
 * §3's response, as Linux's undo does), and end the recovery that made it. */
static void undo_reduction(struct synack_stack *st, struct tcb *t)
{
    t->cwnd = t->cwnd > t->undo_cwnd ? t->cwnd : t->undo_cwnd;
    t->ssthresh = t->ssthresh > t->undo_ssthresh ? t->ssthresh : t->undo_ssthresh;
    if (t->in_recovery) {
        t->in_recovery = t->sack_recovery = false;
        t->dupacks = 0;
        t->recover = t->snd_una; /* as after an Eifel undo (ack_advance) */
        tcp_rack_recovery_done(t);
    }
    t->undo_dsack = false;
    t->undo_ok = false;
    st->stats.spurious_retransmits++;
}

/* A D-SACK arrived for [l, r) (RFC 2883): RACK widens its reordering window (RFC 8985 §6.2
 * step 4), and each retransmission of the current episode it reports was unnecessary. When
 * D-SACKs have reported every one, the episode was spurious and its reduction is undone
 * (RFC 3708 §3 detection; Linux's undo_retrans). */
static void dsack_on_ack(struct synack_stack *st, struct tcb *t, uint32_t l, uint32_t r)
{
    st->stats.dsacks_in++;
    t->dsacks_in++;
    tcp_rack_dsack(t);
    if (!t->undo_dsack || t->undo_retrans <= 0) return;
    if (seq_lt(l, t->undo_marker) || seq_gt(r, t->snd_max)) return;
    uint32_t mss = t->snd_mss ? t->snd_mss : 1;
    t->undo_retrans -= (int32_t)((r - l + mss - 1) / mss);
    if (t->undo_retrans <= 0) {
        st->stats.dsack_undos++;
        undo_reduction(st, t);
    }
}

/* F-RTO (RFC 5682 §2.1): the timeout resent only the first unacknowledged segment and kept
 * SND.NXT at SND.MAX (tcp_timer.c). The first ACK after it that advances SND.UNA, but not
 * to recover, lets two new segments go (step 2b); if the second ACK advances SND.UNA too,
 * segments sent before the timeout, never resent, are arriving: the timeout was spurious
 * (step 3b) and the window reduction is undone. A duplicate ACK at either step, or the
 * first ACK covering everything, means a real loss: go back and resend in slow start, the
 * conventional RTO recovery (steps 2a, 3a). */
static void frto_go_back(struct tcb *t)
{
    t->frto = 0;
    t->frto_new = 0;
    if (seq_lt(t->snd_una, t->snd_max)) t->snd_nxt = t->snd_una;
    t->rtt_timing = false;
}

static void frto_on_ack(struct synack_stack *st, struct tcb *t, uint32_t una0)
{
    bool advanced = t->snd_una != una0;
    if (t->frto == 1) {
        bool can_send = seq_lt(t->snd_max, tcp_data_end(t)) && t->snd_wnd > tcp_flight(t);
        if (!advanced || seq_geq(t->snd_una, t->recover) || !can_send) {
            frto_go_back(t);
            return;
        }
        t->frto = 2;
        t->frto_new = 2;
        return;
    }
    if (advanced) {
        st->stats.spurious_rtos++;
        t->frto = 0;
        t->frto_new = 0;
        t->rto_recovery = false;
        tcp_rack_unmark_lost(t);
        undo_reduction(st, t);
        t->recover = t->snd_una;
        return;
    }
    if (t->cwnd > 3 * (uint32_t)t->snd_mss) t->cwnd = 3 * (uint32_t)t->snd_mss;
    frto_go_back(t);
}

enum tcp_verdict tcp_ack_step(struct synack_stack *st, struct sock *sk, uint64_t now,
                              const struct tcp_seg *seg)
{
    struct tcb *t = &sk->tcb;
    const struct synack_tcp_opts *o = &seg->s->tcp.opts;
    uint16_t flags = seg->flags;
    /* Fifth: the ACK field. */
    if (!(flags & SYNACK_TCP_ACK)) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_NO_ACK, seg);
        return TCP_STOP;
    }
    if (t->state == SYNACK_SYN_RECEIVED) {
        if (seq_gt(seg->ack, t->snd_una) && seq_leq(seg->ack, t->snd_max)) {
            if (!tcp_establish(st, sk, now, seg, false)) return TCP_GONE;
        } else {
            /* <SEQ=SEG.ACK><CTL=RST> */
            tcp_drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
            tcp_send_rst_for(st, now, seg);
            return TCP_STOP;
        }
    }
    /* RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]. An ACK for
     * data never sent draws an ACK (challenge, rate-limited); so does one too old: "MUST
     * be discarded and an ACK sent back" (RFC 9293 §3.10.7.4 Fifth). */
    if (seq_gt(seg->ack, t->snd_max)) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
        tcp_challenge_ack(st, sk, now);
        return TCP_STOP;
    }
    if (seq_lt(seg->ack, t->snd_una - t->max_snd_wnd)) {
        tcp_drop(st, sk, now, SYNACK_DROP_TCP_ACK_INVALID, seg);
        tcp_challenge_ack(st, sk, now);
        return TCP_STOP;
    }
    /* ECN (RFC 3168 §6.1.2): an ECE on an acceptable ACK, before this ACK's data counts;
     * never on one RFC 5961 refused above, which a blind attacker could forge. */
    tcp_ecn_ack_in(st, t, seg);
    uint32_t new_wnd = (uint32_t)seg->s->tcp.window << t->snd_wscale;
    /* For PRR (RFC 6937): what this ACK delivers (the change in SND.UNA plus the change in
     * SACKed bytes) and whether it marks data newly lost. */
    uint32_t una0 = t->snd_una, sacked0 = tcp_sack_bytes(t);
    uint32_t ack = seq_gt(seg->ack, t->snd_una) ? seg->ack : t->snd_una;
    int dsack = t->sack_ok ? tcp_dsack_block(o, seg->ack) : -1;
    if (t->sack_ok && o->sack_count > 0)
        tcp_sack_on_ack(t, o, ack);
    else if (t->sacked.n > 0)
        reass_trim_below(&t->sacked, ack);
    /* RACK (RFC 8985 §6.2 steps 1-3): what this ACK delivered, and when it was sent. */
    tcp_rack_on_ack(t, o, ack, now, dsack);
    /* cfg.rtt_every_ack: RFC 6298 §3 allows more than one sample per round trip, and every
     * ACK of data sent once gives one, as on Linux (its min_RTT sample is taken there). */
    if (st->cfg.rtt_every_ack && t->rack.ack_rtt) tcp_rtt_sample(t, t->rack.ack_rtt, &st->cfg);
    if (dsack >= 0) dsack_on_ack(st, t, o->sack[0].left, o->sack[0].right);
    if (seq_gt(seg->ack, t->snd_una)) {
        ack_advance(st, sk, now, seg, sacked0);
    } else if (seg->ack == t->snd_una && t->snd_una != t->snd_max && seg->dlen == 0 &&
               !(flags & (SYNACK_TCP_SYN | SYNACK_TCP_FIN)) && new_wnd == t->snd_wnd) {
        dup_ack(st, sk, now);
    }
    if (t->frto && (t->snd_una != una0 || seg->ack == t->snd_una)) frto_on_ack(st, t, una0);
    tlp_on_ack(t, o, seg->ack, dsack);
    /* RFC 8985 §6.2 steps 4 and 5: mark what is lost now, arm the reordering timer for what
     * may be soon; marked data starts SACK recovery (RFC 6675 §5 (b)). */
    bool newly_lost = false;
    bool entering = false;
    if (t->xr_n == 0) {
        /* No send record left (the usual ACK of a request or an answer acknowledges all):
         * tcp_rack_detect_loss would only stop the reordering timer, and with nothing
         * marked lost tcp_sack_should_recover is false. */
        t->t_rack = 0;
    } else {
        newly_lost = tcp_rack_detect_loss(t, now);
        if (!t->in_recovery && !t->frto && tcp_sack_should_recover(t) &&
            seq_geq(t->snd_una, t->recover)) {
            tcp_enter_recovery(st, sk, now);
            entering = true;
        }
    }
    if (t->in_recovery && t->sack_recovery) {
        tcp_prr_on_ack(t, tcp_sack_delivered(t, t->snd_una - una0, sacked0),
                       t->snd_una != una0 && !newly_lost, entering);
    }
    tcp_info_on_ack(t, una0, sacked0); /* tcpi_delivered */
    /* RFC 8985 §7.2: restart the probe timer on an ACK of new data; stop it once a probe
     * is no longer allowed (SACKs, duplicate ACKs, recovery, all acknowledged). */
    if (t->snd_una != una0 || t->t_tlp) tcp_tlp_arm(t, now);
    /* Window update (RFC 9293 §3.10.7.4): "If SND.UNA =< SEG.ACK =< SND.NXT, the send
     * window should be updated", and only from a segment newer than the last one used
     * (SND.WL1 < SEG.SEQ, or equal and SND.WL2 =< SEG.ACK). An ACK below SND.UNA (here,
     * after ack_advance, SND.UNA is SEG.ACK for a new one) carries an older window, even
     * with a newer SEG.SEQ; Linux skips it too (tcp_ack's old_ack path). SEG.ACK above
     * SND.MAX was refused above. */
    if (seq_geq(seg->ack, t->snd_una) &&
        (seq_lt(t->snd_wl1, seg->seq) ||
         (t->snd_wl1 == seg->seq && seq_leq(t->snd_wl2, seg->ack)))) {
        if (new_wnd > t->snd_wnd) {
            t->t_persist = 0;
            t->persist_shift = 0;
            if (t->stall_since) t->stall_since = now; /* the window opened: progress */
        }
        t->snd_wnd = new_wnd;
        if (new_wnd > t->max_snd_wnd) t->max_snd_wnd = new_wnd;
        t->snd_wl1 = seg->seq;
        t->snd_wl2 = seg->ack;
    }
    /* Timestamps (RFC 7323 §4.3): remember the peer's clock from in-order segments. */
    if (t->ts_ok && o->has_ts && seq_leq(seg->seq, t->rcv_nxt)) {
        t->ts_recent = o->ts_val;
        t->ts_recent_time = now;
    }

    switch (t->state) {
    case SYNACK_FIN_WAIT_1:
        if (tcp_our_fin_acked(t)) {
            tcp_set_state(st, sk, now, SYNACK_FIN_WAIT_2);
            tcp_orphan_fin_wait_2(st, sk, now);
        }
        break;
    case SYNACK_CLOSING:
        if (tcp_our_fin_acked(t)) {
            tcp_enter_time_wait(st, sk, now);
            return TCP_STOP;
        }
        break;
    case SYNACK_LAST_ACK:
        if (tcp_our_fin_acked(t)) {
            tcp_done(st, sk, now, 0);
            return TCP_GONE;
        }
        break;
    default:
        break;
    }
    return TCP_GO;
}
