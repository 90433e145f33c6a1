/*
 * tcp/tcp_timer.c - what happens when a connection's time comes: retransmission (RFC 6298
 * §5), persist (zero-window probes, RFC 9293 §3.8.6.1), delayed ACK (§3.8.6.3), keepalive
 * (RFC 1122 §4.2.3.6) and the end of TIME-WAIT (why it exists: tcp/tcp_conn.c).
 */
#include "tcp/stack.h"

void tcp_rtx_arm(struct synack_stack *st, struct tcb *t, uint64_t now)
{
    t->t_rtx = now + tcp_rto_backed_off(t, st->cfg.rto_max_us);
}

/* RFC 8985 §7.2: a probe may be scheduled with data (or our FIN) outstanding in a
 * synchronized state, SACK in use, outside fast recovery and RTO recovery, with nothing
 * SACKed or duplicate-ACKed yet, and no probe already in flight. */
static bool tlp_allowed(const struct tcb *t)
{
    /* Nothing outstanding is the common case (every ACK that covers all that was sent ends
     * here): tested first. The states as one mask, not five compares. */
    const unsigned states = 1u << SYNACK_ESTABLISHED | 1u << SYNACK_CLOSE_WAIT |
                            1u << SYNACK_FIN_WAIT_1 | 1u << SYNACK_CLOSING | 1u << SYNACK_LAST_ACK;
    if (t->snd_una == t->snd_max || !(states >> (unsigned)t->state & 1u)) return false;
    return t->sack_ok && t->snd_nxt == t->snd_max && !t->in_recovery &&
           seq_geq(t->snd_una, t->recover) && t->rtx_count == 0 && t->sacked.n == 0 &&
           t->dupacks == 0 && !t->tlp_active && !t->t_rack && !t->frto;
}

#define TLP_MIN_PTO_US   10000u  /* 10 ms */
#define TLP_WC_DELACK_US 200000u /* WCDelAckT, RFC 8985 §7.2: the peer's longest ACK delay */

void tcp_tlp_arm(struct tcb *t, uint64_t now)
{
    t->t_tlp = 0;
    if (!tlp_allowed(t)) return;
    /* PTO = max(2 SRTT, 10 ms), and one segment in flight may wait for the peer's delayed
     * ACK: WCDelAckT more (RFC 8985 §7.2). Without an RTT sample, 1 s flat (as Linux's
     * TCP_TIMEOUT_INIT). Never later than the RTO would fire (the probe then goes in its
     * place, and the RTO is armed again after it). */
    uint64_t pto = 1000000;
    if (t->rtt_valid) {
        pto = 2 * t->srtt > TLP_MIN_PTO_US ? 2 * t->srtt : TLP_MIN_PTO_US;
        if (tcp_flight(t) <= t->snd_mss) pto += TLP_WC_DELACK_US;
    }
    uint64_t at = now + pto;
    if (t->t_rtx && at > t->t_rtx) at = t->t_rtx;
    t->t_tlp = at;
}

static void trace_timer(struct synack_stack *st, struct sock *sk, uint64_t now, int kind)
{
    if (!stack_tracing(st)) return;
    struct synack_trace_event ev = sock_trace_event(sk, SYNACK_TRACE_TIMER, now);
    ev.timer = kind;
    stack_trace(st, &ev);
}

/* RFC 5482: data, or a zero-window probe, that has made no progress for longer than the
 * user timeout ends the connection, whoever holds it. */
static bool user_timed_out(const struct tcb *t, uint64_t now)
{
    return t->user_timeout_us && t->stall_since && now - t->stall_since >= t->user_timeout_us;
}

/* An orphan (closed by its user) whose peer holds up its data, when no socket slot is free.
 * At its persist or retransmission timer such an orphan is reset, as Linux's probe and
 * retransmission timers reset an orphan when it is out of resources (tcp_out_of_resources):
 * otherwise a receiver that answers every probe and opens its window a byte at a time, or
 * acknowledges each retransmission a byte further, keeps it for as long as its unsent data
 * lasts at a byte a timeout (hours for 64 KiB), each ACK being progress that no retry count
 * sees, and enough of them hold every slot: new connections are refused while nobody is
 * left to read or write on these. Memory is not the trigger here, unlike Linux's: a close
 * at the memory limit still ends gracefully (the copy of what zero-copy sends hold, tcp_zc.c,
 * is made past cfg.mem_max for it), and what orphans hold is bounded by the slots. */
static bool orphan_out_of_resources(const struct synack_stack *st, const struct sock *sk)
{
    return !sk->user_open && sk->parent < 0 && st->free_socks.n == 0;
}

static void give_up(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    tcp_send_rst(st, sk, now);
    tcp_done(st, sk, now, tcp_timeout_error(&sk->tcb));
}

static void rtx_timeout(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    /* How long this timeout waited (before the backoff moves on): whether the peer was
     * heard from meanwhile. */
    uint64_t waited = tcp_rto_backed_off(t, st->cfg.rto_max_us);
    t->t_rtx = 0;
    t->rtx_count++;
    st->stats.rto_timeouts++;
    t->rto_timeouts++;
    if (t->state == SYNACK_SYN_SENT || t->state == SYNACK_SYN_RECEIVED) {
        uint32_t retries = t->passive       ? st->cfg.synack_retries
                           : t->syn_retries ? t->syn_retries
                                            : st->cfg.syn_retries;
        if (t->rtx_count > retries) {
            /* The handshake gives up: connect() fails with "timed out"; a half-open
             * passive child simply goes away. */
            tcp_done(st, sk, now, t->passive ? 0 : tcp_timeout_error(t));
            return;
        }
        t->syn_retransmitted = true;
        st->stats.retransmits++;
        t->retransmits++;
        tcp_rtx_arm(st, t, now);
        tcp_send_syn(st, sk, now);
        return;
    }
    if (t->snd_una == t->snd_max) return; /* nothing outstanding any more */
    if (user_timed_out(t, now) || orphan_out_of_resources(st, sk)) {
        give_up(st, sk, now);
        return;
    }
    /* A zero window with data outstanding: the retransmission is the window probe, and
     * RFC 1122 §4.2.2.17 keeps probing for as long as the peer answers. So, as Linux does,
     * the connection is given up only when the peer fell silent for this timeout, or
     * when nobody holds it any more (the persist timer's rule for orphans). */
    bool zero_wnd = t->snd_wnd == 0;
    bool orphan = !sk->user_open && sk->parent < 0;
    bool heard = now - t->last_rcv_time <= waited;
    if (t->rtx_count > st->cfg.data_retries && (!zero_wnd || orphan || !heard)) {
        give_up(st, sk, now);
        return;
    }
    /* Full-size segments lost again and again: maybe a Path MTU black hole (tcp_pmtu.c). */
    tcp_pmtu_on_rto(st, t);
    /* F-RTO (RFC 5682 §2.1 step 1): unless this is RTO recovery already (a timeout again
     * before SND.UNA reached recover), only the first unacknowledged segment is resent and
     * the next ACKs (tcp_ack.c) tell whether the timeout was spurious. */
    bool frto = !(t->rto_recovery && seq_lt(t->snd_una, t->recover)) && t->snd_nxt == t->snd_max;
    /* The window before the reduction, to undo it if the timeout proves spurious (F-RTO,
     * or D-SACKs for everything resent). A timeout during fast recovery keeps the one
     * saved when that began. */
    if (t->rtx_count == 1 && !t->in_recovery) {
        t->undo_cwnd = t->cwnd;
        t->undo_ssthresh = t->ssthresh;
        t->undo_dsack = true;
        t->undo_marker = t->snd_una;
        t->undo_retrans = 0;
    }
    /* RFC 5681 §3.1: on the first timeout of this data, ssthresh = max(FlightSize/2,
     * 2*SMSS) (equation 4); cwnd is the loss window, one segment. RFC 6582 §4: recovery
     * ends and recover remembers the highest sequence number sent. */
    /* A timeout while fast recovery is repairing the same window is the same congestion
     * event: the recovery already set ssthresh for it, and PRR has brought cwnd down to
     * it, so computing it again would cut the window a second time for one loss (Linux's
     * tcp_enter_loss keeps it then too). */
    bool same_event = t->in_recovery && seq_lt(t->snd_una, t->recover);
    if (t->rtx_count == 1 && !same_event) t->ssthresh = t->cc->ssthresh(t);
    t->cwnd = t->snd_mss;
    t->in_recovery = t->sack_recovery = false;
    t->rto_recovery = true;
    t->dupacks = 0;
    t->tlp_active = false;
    t->t_tlp = 0;
    /* The scoreboard is dropped: everything outstanding is lost (RFC 8985 §6.3), and
     * go-back-N resends from SND.UNA (RFC 6675 §5.1 allows keeping the scoreboard; after a
     * timeout the peer may have reneged anyway, RFC 2018 §8). */
    t->sacked.n = 0;
    tcp_rack_on_rto(t);
    t->recover = t->snd_max;
    t->rtt_timing = false;   /* Karn */
    tcp_rtx_arm(st, t, now); /* §5.5, §5.6: backed off */
    t->frto = 0;
    t->frto_new = 0;
    if (frto) {
        t->frto = 1;
        tcp_retransmit_head(st, sk, now);
        return;
    }
    /* Go back: resend from the first unacknowledged byte (§5.4). */
    t->snd_nxt = t->snd_una;
    tcp_output(st, sk, now);
    /* The peer's window is closed (or shrank under the first segment): tcp_output sends
     * nothing, the persist timer waits for an empty flight, and the connection would
     * stall until the peer happens to update its window. Resend the head of the queue
     * regardless: at a zero window it is the probe RFC 9293 §3.8.6.1 asks for, and its
     * ACK brings the window back. */
    if (t->snd_nxt == t->snd_una) tcp_retransmit_head(st, sk, now);
}

/* RFC 8985 §7.3: the probe. New data if there is some and the peer's window takes it,
 * sent whatever cwnd says; else the last segment sent again. Either way the RTO, not the
 * PTO, is armed again, and one probe is all an episode gets: its ACK (tcp_ack.c) either
 * repairs a lone tail loss or SACKs the probe, which shows the holes below it lost. */
static void tlp_timeout(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->t_tlp = 0;
    if (!tlp_allowed(t)) return;
    uint32_t max0 = t->snd_max;
    uint32_t data_end = tcp_data_end(t);
    uint32_t flight = tcp_flight(t);
    bool sent = false, retrans = false;
    if (seq_lt(t->snd_nxt, data_end) && t->snd_wnd > flight) {
        bool push0 = t->force_push;
        t->tlp_probe = true;
        t->force_push = true; /* Nagle would hold a short probe */
        tcp_output(st, sk, now);
        t->tlp_probe = false;
        sent = t->snd_max != max0;
        if (!sent) t->force_push = push0;
    }
    if (!sent) {
        sent = tcp_retransmit_last(st, sk, now);
        retrans = true;
    }
    if (!sent) return;
    t->tlp_active = true;
    t->tlp_retrans = retrans;
    t->tlp_loss_seen = false;
    t->tlp_high = t->snd_max;
    t->tlp_seq = retrans ? t->tlp_seq : max0; /* tcp_retransmit_last sets it */
    st->stats.tlp_probes++;
    tcp_rtx_arm(st, t, now);
}

/* RFC 8985 §6.3: RACK's reordering timer. A segment that was waiting out the reordering
 * window is lost now: recovery starts (or goes on) and resends it. */
static void rack_timeout(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->t_rack = 0;
    if (t->snd_una == t->snd_max || t->frto) return;
    if (!tcp_rack_detect_loss(t, now)) return;
    st->stats.rack_reo_timeouts++;
    if (!t->in_recovery && seq_geq(t->snd_una, t->recover)) {
        tcp_enter_recovery(st, sk, now);
        /* PRR (RFC 6937) starts with nothing delivered: the forced first retransmission. */
        if (t->sack_recovery) tcp_prr_on_ack(t, 0, false, true);
    }
    tcp_output(st, sk, now);
}

static void persist_timeout(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->t_persist = 0;
    if (orphan_out_of_resources(st, sk)) {
        give_up(st, sk, now);
        return;
    }
    uint32_t flight = tcp_flight(t);
    uint32_t usable = t->snd_wnd > flight ? t->snd_wnd - flight : 0;
    if (usable > 0) {
        /* The window is open but too small for the sender-side SWS rule: after a while
         * send what fits (the "override timeout" of RFC 9293 §3.8.6.2.1). */
        t->force_push = true;
    } else {
        /* RFC 1122 §4.2.2.17: probe a zero window for as long as the peer answers. But
         * a connection the application has closed is held only by the peer's refusal to
         * open its window: after as many probes as data retries it is aborted, so that a
         * peer cannot pin closed connections for ever (Linux: tcp_orphan_retries). */
        uint32_t limit = st->cfg.data_retries;
        if (limit > 16) limit = 16;
        if (!sk->user_open && sk->parent < 0 && t->persist_shift >= limit) {
            give_up(st, sk, now);
            return;
        }
        /* And whoever holds it: a peer that stopped answering the probes is gone (as
         * Linux counts icsk_probes_out, reset by any ACK), and the user timeout bounds a
         * peer that answers but never opens its window (RFC 5482). */
        if (t->last_probe_time && t->last_rcv_time < t->last_probe_time)
            t->probes_unanswered++;
        else
            t->probes_unanswered = 0;
        if (t->probes_unanswered >= limit || user_timed_out(t, now)) {
            give_up(st, sk, now);
            return;
        }
        t->last_probe_time = now;
        tcp_send_probe(st, sk, now);
        if (t->persist_shift < 16) t->persist_shift++;
    }
    tcp_output(st, sk, now);
}

/* The states keepalive runs in: Linux's tcp_keepalive_timer runs in every state but
 * CLOSE, LISTEN and SYN-SENT (TIME-WAIT is a separate minisocket there, and SYN-RECEIVED a
 * request sock); with our FIN outstanding (FIN-WAIT-1, CLOSING, LAST-ACK) it only re-arms,
 * by the rule below, so these are the states where it probes. FIN-WAIT-2 matters most: a
 * peer that vanished before its FIN would hold a half-closed connection for ever. */
bool tcp_keepalive_state(int state)
{
    return state == SYNACK_ESTABLISHED || state == SYNACK_CLOSE_WAIT ||
           state == SYNACK_FIN_WAIT_1 || state == SYNACK_FIN_WAIT_2;
}

static void keepalive_timeout(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    t->t_keep = 0;
    if (!t->keepalive || !tcp_keepalive_state(t->state)) return;
    if (t->snd_una != t->snd_max) {
        /* Data (or our FIN) outstanding: the retransmission timer watches the peer, not
         * keepalive; look again an idle time later (Linux: packets_out, "resched"). */
        t->t_keep = now + t->keep_idle_us;
        return;
    }
    uint64_t idle_until = t->last_rcv_time + t->keep_idle_us;
    if (t->keep_probes == 0 && now < idle_until) {
        t->t_keep = idle_until;
        return;
    }
    if (t->keep_probes >= t->keep_cnt) {
        tcp_send_rst(st, sk, now);
        tcp_done(st, sk, now, SYNACK_ETIMEDOUT);
        return;
    }
    t->keep_probes++;
    tcp_send_probe(st, sk, now);
    t->t_keep = now + t->keep_intvl_us;
}

void tcp_timers(struct synack_stack *st, struct sock *sk, uint64_t now)
{
    struct tcb *t = &sk->tcb;
    if (t->t_tw && t->t_tw <= now) {
        t->t_tw = 0;
        trace_timer(st, sk, now, SYNACK_TIMER_TIME_WAIT);
        /* TIME-WAIT over (or an orphaned FIN-WAIT-2 gave up): CLOSED. */
        tcp_done(st, sk, now, 0);
        return;
    }
    if (t->t_tlp && t->t_tlp <= now) {
        trace_timer(st, sk, now, SYNACK_TIMER_TLP);
        tlp_timeout(st, sk, now);
    }
    if (t->t_rack && t->t_rack <= now) {
        trace_timer(st, sk, now, SYNACK_TIMER_REO);
        rack_timeout(st, sk, now);
    }
    if (t->t_rtx && t->t_rtx <= now) {
        trace_timer(st, sk, now,
                    t->state <= SYNACK_SYN_RECEIVED ? SYNACK_TIMER_CONN : SYNACK_TIMER_RTX);
        rtx_timeout(st, sk, now);
        if (!sk->in_use || t->state == SYNACK_CLOSED) return;
    }
    if (t->t_persist && t->t_persist <= now) {
        trace_timer(st, sk, now, SYNACK_TIMER_PERSIST);
        persist_timeout(st, sk, now);
        if (!sk->in_use || t->state == SYNACK_CLOSED) return;
    }
    if (t->t_delack && t->t_delack <= now) {
        t->t_delack = 0;
        /* No reply carried the ACK in time: not interactive after all (Linux's
         * tcp_delack_timer_handler leaves pingpong mode). */
        t->pingpong = false;
        trace_timer(st, sk, now, SYNACK_TIMER_DELACK);
        t->ack_now = true;
        tcp_output(st, sk, now);
    }
    if (t->t_keep && t->t_keep <= now) {
        trace_timer(st, sk, now, SYNACK_TIMER_KEEPALIVE);
        keepalive_timeout(st, sk, now);
    }
    /* Idle rings give their memory back (tcp_conn.c); no segment, so not traced. */
    if (t->t_idle && t->t_idle <= now && sk->in_use) tcp_rings_idle(sk, now);
}
