/*
 * tcp/tcp.h - the TCP connection machine (RFC 9293 §3.10): the transmission control
 * block and the functions the entry points (src/entry/) call.
 *
 * Call order: entry/demux.c demultiplexes an arriving segment to a socket and calls
 * tcp_input_listen() (LISTEN), tcp_input() (every other state) or tcp_input_closed() (no
 * socket); a half-open connection is a request record (tcp_req_input(), stack.h). User calls go
 * through tcp_user_*(): they change state and mark the socket as wanting output, never build a
 * segment. Timers: entry/stack.c calls tcp_timers() when the socket's deadline (tcb_next_deadline)
 * has passed. Segments are built by tcp_output(), which decides what to send now and queues it
 * through ip_output_tcp(), only from the calls that carry a clock. Nothing here does I/O.
 */
#ifndef SYNACK_TCP_TCP_H
#define SYNACK_TCP_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "synack/synack.h"
#include "base/reass.h"
#include "base/ring.h"
#include "base/seq.h"

struct synack_stack;
struct sock;

/* Congestion control behind a small interface (RFC 5681 today, CUBIC RFC 9438 next). The
 * loss-recovery logic (fast retransmit, NewReno partial ACKs, RFC 6582) stays in the
 * machine; an algorithm only decides how cwnd grows and what ssthresh becomes on loss. */
struct tcb;
struct tcp_cc_ops {
    const char *name;
    void (*init)(struct tcb *t);
    /* acked bytes newly acknowledged, outside recovery. */
    void (*on_ack)(struct tcb *t, uint32_t acked, uint64_t now);
    /* A loss was detected: returns the new ssthresh. */
    uint32_t (*ssthresh)(struct tcb *t);
    /* Optional: the window restarts after an idle period (tcp_cwnd_restart). */
    void (*restart)(struct tcb *t);
};
const struct tcp_cc_ops *tcp_cc_find(const char *name);
/* Congestion window validation and restart, for every algorithm (cc_newreno.c). */
void tcp_cwnd_restart_check(struct tcb *t, uint64_t now);
void tcp_cwnd_validate(struct tcb *t, bool cwnd_full);
bool tcp_cwnd_limited(const struct tcb *t);
/* The bytes an ACK of acked new bytes lets cwnd grow for: acked, or without a slow-start
 * limit what it newly delivered as Linux counts it (sacked0: the SACKed bytes before the
 * ACK; dupacks: the duplicate ACKs before it). */
uint32_t tcp_cc_acked(const struct tcb *t, uint32_t acked, uint32_t sacked0, uint32_t dupacks);
/* Slow start (RFC 5681 §3.1, RFC 3465) with HyStart++ (RFC 9406) in the initial one
 * (cc_hystart.c): cwnd grows for acked bytes newly acknowledged; returns the bytes left for
 * congestion avoidance (only without a limit, cfg.slow_start_limit 0, when cwnd reached
 * ssthresh). */
void tcp_hystart_init(struct tcb *t);
uint32_t tcp_slow_start(struct tcb *t, uint32_t acked);
extern const struct tcp_cc_ops tcp_cc_cubic;
/* CUBIC's window curve W_cubic(t) in bytes (RFC 9438 eq. 1), for tests. */
double tcp_cubic_window(uint32_t w_max, uint32_t mss, uint64_t t_us);

/* One record of the transmission map (tcp_rack.c): a range of sequence space from the end
 * of the previous record (SND.UNA for the first) to end, last sent at ts. */
struct tcp_xrec {
    uint64_t ts;
    uint32_t end;
    uint8_t flags;
    uint16_t ord; /* the order of sending within one microsecond (tcp_rack.c) */
    /* The delivery rate's snapshot at its send (tcp_info.c, Linux's skb->tx): the packets
     * delivered then (C.delivered), and how long before ts the last delivery (or the start
     * of the flight) was and the send phase began (µs, at most UINT32_MAX). */
    uint32_t dlv, dlv_age, first_age;
};
#define TCP_XR_SACKED   1u /* the peer holds all of it */
#define TCP_XR_LOST     2u /* deemed lost (RACK, or a timeout) */
#define TCP_XR_RXT      4u /* sent again, and that copy not deemed lost (in flight) */
#define TCP_XR_EVER_RXT 8u /* sent more than once */
/* SACKed before a retransmission timeout dropped the SACK marks (tcp_rack_on_rto): the peer
 * reported holding it, so its cumulative ACK later is no reordering and no RTT sample. */
#define TCP_XR_WAS_SACKED 16u
/* Sent while the application left the congestion window unused (tcp_info.c's rate). */
#define TCP_XR_APP_LIMITED 32u
/* The map's size: at most one record per KiB of send buffer (a record per segment in flight
 * and more), within these bounds; it starts at TCP_XMAP_START records and doubles as a
 * window of data in flight needs more, as the rings do (base/ring.h). */
#define TCP_XMAP_MIN   64
#define TCP_XMAP_MAX   8192
#define TCP_XMAP_START 16
/* Spare maps of the first size (TCP_XMAP_START records, 512 bytes) a stack keeps, so that a
 * request/response connection's map, taken at its first send and given back at its end,
 * costs no malloc and free (struct tcp_xr_spares: 32 KiB at most). */
#define TCP_XR_SPARES 64
struct tcp_xr_spares {
    struct tcp_xrec *buf[TCP_XR_SPARES];
    uint32_t n;
};

#define TCP_XR_DIRTY 16
/* RACK's state (RFC 8985 §6.1). */
struct tcp_rack {
    uint64_t xmit_ts, rtt; /* RACK.xmit_ts, RACK.rtt */
    uint16_t xmit_ord;     /* with xmit_ts: the order of sending */
    uint32_t end_seq;      /* RACK.end_seq */
    uint32_t fack;         /* RACK.fack: the highest sequence delivered */
    uint32_t dsack_round;  /* RACK.dsack_round (valid while dsack_round_on) */
    bool has, has_fack, reord, dsack_round_on;
    uint8_t reo_mult, reo_persist; /* RACK.reo_wnd_mult, RACK.reo_wnd_persist */
    uint64_t sample;  /* the smallest RTT of data sent once that this ACK delivered; 0 none */
    uint64_t ack_rtt; /* cfg.rtt_every_ack's sample from this ACK (tcp_rack.c), 0 none */
    bool ack_rxt;     /* this ACK cumulatively covers data sent more than once */
    uint32_t sacked;  /* bytes of the map's SACKed records */
    /* The map's unSACKed bytes by mark, kept as the marks change (tcp_rack.c's acct), so
     * that the pipe (RFC 6675 §4) and the questions "anything lost?" and "anything lost and
     * not sent again?" cost O(1) per ACK, as Linux's packets_out, lost_out and retrans_out:
     * not deemed lost, deemed lost, sent again and in flight, deemed lost and not sent again
     * (rack.una: the SND.UNA they count from). */
    uint32_t out, lost, rxt, lost_unsent;
    uint32_t una; /* the SND.UNA they count from: SND.UNA moved another way, they are recounted */
    /* The record boundaries (sequence numbers) where two neighbours may have become
     * mergeable since the last coalescing (tcp_rack.c's coalesce looks only there), or
     * dirty_all when more than TCP_XR_DIRTY were. */
    uint32_t dirty[TCP_XR_DIRTY];
    uint8_t ndirty;
    bool dirty_all;
    uint32_t reordering; /* Linux's reordering degree, segments (0: not raised, 3) */
    uint32_t reord_seen; /* ACKs that showed reordering (Linux's tcpi_reord_seen) */
    uint64_t ord_now;    /* the microsecond ord counts in */
    /* The send time of a retransmission still outstanding that a merge of records
     * (compact) dated later, 0 none: tcp_rack_oldest_rxt may not answer later than it. */
    uint64_t rxt_floor;
    uint16_t ord;
    bool ord_bump; /* the last send was a retransmission: new data after it is later */
    bool rtt_seq;  /* cfg.rack_rtt_seq: RACK.rtt as Linux takes it (tcp_rack.c) */
};

/* The delivery rate (tcp_info.c; draft-cheng-iccrg-delivery-rate-estimation, Linux's
 * tcp_rate.c), kept for tcpi_delivery_rate alone. */
struct tcp_rate {
    uint64_t delivered_time, first_sent_time; /* C.delivered_time, C.first_sent_time */
    uint32_t app_limited; /* C.app_limited: app-limited until delivered passes it; 0 not */
    /* This ACK's sample (P: the most recently sent packet it delivered), taken while RACK
     * walks what the ACK delivered (tcp_rack.c) and ended by tcp_info_on_ack. */
    uint64_t ack_now, p_ts, p_dlv_time, p_first_sent;
    uint32_t p_dlv, p_end;
    uint16_t p_ord;
    bool p_has, p_app_limited, p_rxt;
    /* The sample reported: packets over µs, and whether it was app-limited. */
    uint32_t rate_delivered;
    uint64_t rate_interval_us;
    bool rate_app_limited;
};

/* A windowed minimum of the RTT (rtt.c): the best sample of the window and the best of its
 * later parts, each with the time it was taken. */
struct tcp_minrtt {
    uint64_t v[3], at[3];
    bool any;
};

/* HyStart++'s state (RFC 9406 §4.2, cc_hystart.c). */
struct tcp_hystart {
    uint64_t last_min, cur_min; /* lastRoundMinRTT, currentRoundMinRTT (µs) */
    uint64_t css_base;          /* cssBaselineMinRtt */
    uint32_t window_end;        /* the round ends when SND.UNA reaches it */
    uint16_t samples;           /* rttSampleCount */
    uint8_t css_rounds;
    bool started, css, done;
    bool linux_delay; /* cfg.hystart_linux: Linux's HyStart delay test instead of RFC 9406 */
    uint32_t exits;   /* times slow start gave way to CSS */
};

struct tcb {
    int state;
    struct synack_addr laddr, raddr; /* synack/addr.h: IPv4 as IPv4-mapped */
    uint16_t lport, rport;
    bool passive; /* born from a listener (RFC 9293 §3.10.7.4, SYN-RECEIVED RST) */

    /* Send sequence space (RFC 9293 §3.3.1). snd_max is the highest ever sent: after a
     * retransmission timeout snd_nxt goes back to snd_una and climbs again. */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
    uint32_t max_snd_wnd;
    uint32_t snd_buf_seq; /* sequence number of the send ring's first byte */
    /* Bytes queued by zero-copy sends and held in the caller's buffers, not in the ring
     * (tcp_zc.c): the data queued runs from snd_buf_seq for snd.len + snd_zc_held bytes. */
    uint32_t snd_zc_held;
    uint16_t snd_mss; /* largest payload we put in one segment */
    uint8_t snd_wscale, rcv_wscale;
    bool wscale_ok, sack_ok, ts_ok;
    /* ECN (tcp_ecn.c, RFC 3168): asked for in our SYN, agreed, an ECE to echo until the
     * peer's CWR, a CWR to send with the next new data, and the window of data whose ECEs
     * the last reduction answered (ecn_high: SND.MAX then). */
    bool ecn_asked, ecn_ok, ecn_ece_pending, ecn_cwr_pending, ecn_reduced;
    /* The ACK being processed carried the ECE that reduced the window: it does not grow it
     * again (a mark counts as a loss, RFC 3168 §6.1.2, and a loss's ACK grows nothing). */
    bool ecn_cut_now;
    uint32_t ecn_high;
    bool fin_queued;        /* the user closed the write side: a FIN follows the data */
    bool force_push;        /* the persist timer fired: send a short segment once */
    uint32_t snd_small_end; /* end of the last short segment sent (Nagle, Minshall) */
    uint32_t ts_recent, ts_offset;
    uint64_t ts_recent_time; /* when TS.Recent was last set (RFC 7323 §5.5: it expires) */

    /* Receive sequence space. rcv_adv is the right edge we last advertised: it never moves
     * left (RFC 9293 §3.8.6: the window must not shrink). */
    uint32_t irs, rcv_nxt, rcv_adv;
    /* D-SACK (RFC 2883): a duplicate range received, reported once, as the first SACK
     * block of the next segment we send. */
    bool dsack_pending;
    uint32_t dsack_l, dsack_r;
    uint16_t rcv_mss; /* what we advertised */
    bool fin_rcvd;    /* the peer's FIN was processed: end of stream */
    bool ooo_fin;     /* a FIN arrived beyond a hole, at ooo_fin_seq */
    uint32_t ooo_fin_seq;
    /* RCV.UP (tcp_urg.c): where the urgent data the peer announced ends, once it did. */
    bool urg_valid;
    uint32_t rcv_up;
    struct reass reass;

    /* The rings (tcp_conn.c) take memory as they are used and give it back after
     * TCP_RING_IDLE_US with nothing in them (t_idle). The send ring may hold sndbuf bytes;
     * the receive ring rcv_tuned bytes plus the window scale's slack, rcv_tuned growing by
     * receive-buffer auto-tuning (Linux's dynamic right-sizing, tcp_rcv_autotune) from
     * TCP_RCV_INITIAL up to rcvbuf, or rcvbuf from the start when SO_RCVBUF was set. Each
     * measurement lasts a round trip from rcvq_time: rcvq_seq is where the application's
     * reading stood then, rcvq_space the most it has read in one round trip. */
    struct ring snd, rcv;
    uint32_t rcv_tuned;
    uint32_t rcvq_space, rcvq_seq;
    /* Out-of-order bytes given up under memory pressure (tcp_mem.c), modulo 2^32: here, in
     * what was padding before rcvq_time, the socket stays its size. */
    uint32_t ooo_pruned;
    uint64_t rcvq_time;
    bool rcvq_on;

    /* Timers: absolute deadlines in microseconds, 0 when off (one enum, one place). */
    uint64_t t_rtx, t_persist, t_delack, t_tw, t_keep;
    uint64_t t_idle;    /* the rings' memory goes back if nothing has happened since */
    uint64_t t_tlp;     /* the tail loss probe's timeout, PTO (RFC 8985 §7.2) */
    uint64_t t_rack;    /* RACK's reordering timer (RFC 8985 §6.2 step 5) */
    uint32_t rtx_count; /* consecutive timeouts of the same data (backoff exponent) */
    uint32_t persist_shift;
    uint32_t keep_probes;
    uint64_t last_rcv_time;     /* for keepalive idleness */
    uint64_t last_oow_ack_time; /* the last ACK to an unacceptable segment (rate limit) */

    /* RTT estimation (RFC 6298). */
    uint64_t srtt, rttvar, rto;
    bool rtt_valid;
    bool rtt_timing; /* rtt_seq/rtt_start time one segment (Karn's rule) */
    uint32_t rtt_seq;
    uint64_t rtt_start;
    bool syn_retransmitted; /* RFC 6298 §5.7: a 3 s RTO after a lost SYN */

    /* Congestion control (RFC 5681) and NewReno recovery (RFC 6582). */
    const struct tcp_cc_ops *cc;
    uint32_t cwnd, ssthresh, bytes_acked_ca;
    uint32_t dupacks, recover;
    bool in_recovery;
    /* Limited transmit (RFC 3042): bytes sent beyond cwnd on the first two duplicate ACKs
     * of this episode, left out of ssthresh's FlightSize (RFC 5681 §3.2 step 2). */
    uint32_t lt_sent;
    /* Eifel (RFC 3522, RFC 4015): the window before a fast retransmission's reduction and
     * the timestamp it went out with, to undo the reduction if it proves spurious. */
    bool undo_ok;
    uint32_t undo_cwnd, undo_ssthresh, undo_ts;
    /* SACK-based recovery (RFC 6675, tcp_sack.c): what the peer reported holding beyond
     * SND.UNA. What was resent in this recovery (RFC 6675's HighRxt) is in RACK's map. */
    bool sack_recovery;
    struct reass sacked;
    /* Proportional Rate Reduction (RFC 6937, tcp_sack.c): bytes delivered to the peer and
     * bytes sent since SACK recovery began, and the flight when it began. */
    uint32_t prr_delivered, prr_out, recover_fs;
    /* RACK (RFC 8985 §6, tcp_rack.c): when each range in flight was last sent (xr, xr_n
     * records, allocated with the rings), and the state of §6.1. t_rack is the reordering
     * timer. */
    struct tcp_xrec *xr;
    uint16_t xr_n, xr_cap, xr_max; /* records used, allocated, and the most it may have */
    /* Records the cumulative ACK dropped from the front: xr is that far into its memory
     * (tcp_rack.c moves the start instead of the records; reserve takes the room back). */
    uint16_t xr_head;
    struct tcp_xr_spares *xr_spares; /* its stack's spare maps (tcb_defaults), or NULL */
    struct tcp_rack rack;
    struct tcp_rate rate; /* tcpi_delivery_rate (tcp_info.c) */
    /* An RTO recovery runs from a timeout until SND.UNA reaches recover (RFC 5682 §2.1). */
    bool rto_recovery;
    /* F-RTO (RFC 5682 §2.1, tcp_timer.c and tcp_ack.c): 1 waits for the first ACK after the
     * timeout's retransmission, 2 for the second; frto_new is how many new segments step 2b
     * may still send whatever cwnd says. */
    uint8_t frto, frto_new;
    /* Undo by D-SACK (RFC 3708 §3, RFC 2883 §4): from undo_marker (SND.UNA when the episode
     * began), the segments retransmitted that no D-SACK has reported yet; when D-SACKs
     * account for every one, the reduction was for nothing and is undone. */
    bool undo_dsack;
    uint32_t undo_marker;
    int32_t undo_retrans;
    /* Tail loss probe (RFC 8985 §7): an episode runs from a probe until SEG.ACK reaches
     * tlp_high (TLP.end_seq, SND.MAX after the probe); the probe began at tlp_seq. */
    bool tlp_active, tlp_retrans, tlp_loss_seen;
    bool tlp_probe; /* tcp_output: the next new segment is the probe (cwnd and Nagle off) */
    bool fin_alone; /* our FIN went in a segment of its own: the last segment to probe with */
    /* Linux's chronographs for tcp_info (tcp_info.c): which runs (TCP_CHRONO_*, 0: none)
     * since when, the time each has run before, and whether a send found the buffer full
     * since it was last writable (Linux's SOCK_NOSPACE). */
    uint8_t chrono_type;
    bool snd_nospace;
    uint64_t chrono_start, chrono_us[3];
    uint32_t tlp_seq, tlp_high;
    uint64_t cc_state[4]; /* private to the algorithm (aligned for its own struct) */
    struct tcp_hystart hs;
    uint32_t ss_limit; /* cfg.slow_start_limit: slow start's growth per ACK, segments (0: all) */
    /* Congestion window validation (cc_newreno.c): when a segment last went out, the largest
     * flight of the current window of data, whether cwnd was what limited it, and the
     * sequence number ending that window (Linux: lsndtime, max_packets_out,
     * is_cwnd_limited, cwnd_usage_seq). */
    uint64_t lsndtime;
    uint32_t max_flight, cwnd_usage_seq;
    bool cwnd_limited;

    /* ACK generation (RFC 9293 §3.8.6.3, RFC 5681 §4.2). quickack: segments still to be
     * acknowledged at once (tcp_text.c, Linux's quick-ACK mode); last_data_time: when
     * data last arrived in order. */
    bool ack_now;
    uint32_t segs_unacked;
    uint8_t quickack;
    /* Linux's pingpong (interactive) mode: we sent data within a delayed-ACK time of
     * receiving, so ACKs may ride on the replies and quick-ACK is off (tcp_text.c); the
     * delayed-ACK timer firing ends it (tcp_timer.c). */
    bool pingpong;
    /* An active open whose SYN-ACK found more data queued to send (Linux's write_pending:
     * it delays the handshake's ACK and starts its delayed-ACK clock then). */
    bool est_write_pending;
    /* SYNACK_OPT_WRITE_PENDING: a writer waits for the handshake (Linux's sk_write_pending
     * while tcp_sendmsg waits to connect): the SYN-ACK's ACK is delayed (tcp_open.c). */
    bool writer_waits;
    uint64_t last_data_time;

    /* Options set by the user. */
    bool nodelay, keepalive;
    /* Corking (TCP_CORK, and a send with SYNACK_SEND_MORE that nothing was acknowledged
     * since: more_una was SND.UNA then) and record ends (SYNACK_SEND_EOR): the sequence
     * numbers where records end, oldest first, until acknowledged. */
    bool cork, more;
    bool cork_pushed; /* TCP_NODELAY set while corked: the cork holds nothing (Linux's
                       * sticky TCP_NAGLE_PUSH) until set again */
    uint32_t more_una;
    uint32_t notsent_lowat; /* TCP_NOTSENT_LOWAT (SYNACK_OPT_NOTSENT_LOWAT); 0 = off */
    uint8_t eor_n;
    uint32_t eor[SYNACK_EOR_MAX];
    /* Linux's send-buffer accounting (tcp_sndbuf.c): where the send queue's last buffer
     * starts, which the next write fills up to the size goal. */
    uint32_t snd_tail;
    uint64_t keep_idle_us, keep_intvl_us;
    uint32_t keep_cnt;
    uint64_t user_timeout_us; /* RFC 5482 (SYNACK_OPT_USER_TIMEOUT); 0 = off */
    uint8_t syn_retries;      /* SYNACK_OPT_SYNCNT; 0 = the stack's cfg.syn_retries */
    /* Since when data or a FIN has waited without progress (nothing newly acknowledged,
     * the window not opened); 0 when nothing waits. The user timeout counts from it. */
    uint64_t stall_since;
    /* Zero-window probes: when the last one went, and how many in a row went unanswered. */
    uint64_t last_probe_time;
    uint32_t probes_unanswered;
    uint16_t user_mss;

    /* Counters for synack_getinfo. */
    uint64_t bytes_sent, bytes_acked, bytes_received, segs_out, segs_in, retransmits;
    /* A super-segment went (cfg.tso_max): the peer's ACKs may each cover many segments. */
    bool tso_used;
    uint64_t bytes_retrans, min_rtt; /* min_rtt: minrtt's windowed minimum (rtt.c) */
    struct tcp_minrtt minrtt;
    uint32_t rto_timeouts;
    uint32_t dsacks_in; /* D-SACK blocks received (RFC 2883) */
    uint32_t delivered; /* packets delivered, Linux's tcpi_delivered (tcp_info.c) */
    uint64_t est_time;  /* when the connection was established (tcpi_last_data_recv's start) */
    uint64_t syn_time;  /* when our first SYN went (the TSvals a SYN,ACK may echo) */

    /* Path MTU (tcp_pmtu.c): the datagram size this connection believes the path carries
     * (0: the device's MTU until something lowers it), and the last ICMP soft error
     * (RFC 1122 §4.2.3.9), current while SND.UNA is still soft_error_una. */
    uint16_t pmtu;
    int soft_error;
    uint32_t soft_error_una;

    /* TCP Fast Open (RFC 7413, tcp_fastopen.c). The option our SYN or SYN-ACK carries on
     * its first transmission (fo_kind 0: none; fo_len 0: a cookie request), the bytes of
     * data our SYN carries, whether a FASTOPEN_CONNECT socket waits for its first send to
     * build the SYN, whether a passive connection was born from a SYN with data (it may
     * send and be read before the handshake's ACK, §4.2.2), and Linux's
     * TCPI_OPT_SYN_DATA (syn_data: our SYN's data acknowledged, or a TFO-born child). */
    uint8_t fo_kind, fo_len;
    uint8_t fo_cookie[SYNACK_TCP_FO_COOKIE_MAX];
    uint16_t tfo_mss; /* the server MSS the cookie cache had for our SYN's data */
    uint32_t syn_data_len;
    bool tfo_used, tfo_defer, tfo_child, syn_data;
};

/* The machine's view of one arriving segment, after parsing. */
struct tcp_seg {
    const struct synack_segment *s;
    uint32_t seq, ack, len; /* len counts SYN and FIN, as SEG.LEN does */
    uint16_t flags;
    const uint8_t *data;
    uint32_t dlen;
};

uint32_t tcp_isn(const uint8_t secret[16], const struct synack_addr *laddr, uint16_t lport,
                 const struct synack_addr *raddr, uint16_t rport, uint64_t now_us);
/* The ISN for a new connection of this stack: tcp_isn() with the stack's secret. */
uint32_t tcp_choose_isn(const struct synack_stack *st, const struct tcb *t, uint64_t now_us);
uint32_t tcp_choose_isn_for(const struct synack_stack *st, const struct synack_addr *laddr,
                            uint16_t lport, const struct synack_addr *raddr, uint16_t rport,
                            uint64_t now_us);

/* The sequence number after the last byte the application has queued. */
static inline uint32_t tcp_data_end(const struct tcb *t)
{
    return t->snd_buf_seq + t->snd.len + t->snd_zc_held;
}
/* The bytes queued from snd_buf_seq: in the ring, or held in zero-copy sends' buffers. */
static inline uint32_t tcp_snd_queued(const struct tcb *t)
{
    return t->snd.len + t->snd_zc_held;
}
/* The data sent and not yet acknowledged, [SND.UNA, *end) (the FIN left out): its length. */
static inline uint32_t tcp_sent_unacked(const struct tcb *t, uint32_t *end)
{
    uint32_t data_end = tcp_data_end(t);
    uint32_t sent_end = seq_lt(t->snd_max, data_end) ? t->snd_max : data_end;
    if (end) *end = sent_end;
    return seq_lt(t->snd_una, sent_end) ? sent_end - t->snd_una : 0;
}

/* RCV.WND as the peer was last told it: from RCV.NXT to the right edge we advertised. */
static inline uint32_t tcp_rcv_wnd_offered(const struct tcb *t)
{
    return seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
}

/* D-SACK (RFC 2883 §4): [l, r) arrived again; the next ACK says so (the latest
 * duplicate wins: each is reported at most once, none need be). */
static inline void tcp_dsack_set(struct tcb *t, uint32_t l, uint32_t r)
{
    if (!t->sack_ok || !seq_lt(l, r)) return;
    t->dsack_pending = true;
    t->dsack_l = l;
    t->dsack_r = r;
    t->ack_now = true; /* a duplicate is answered at once (Linux: quick ACK) */
}

/* The timestamp clock (RFC 7323 §5.4): milliseconds plus a per-connection offset. */
static inline uint32_t tcp_ts_now(const struct tcb *t, uint64_t now)
{
    return (uint32_t)(now / 1000) + t->ts_offset;
}

/* Arrival (tcp_in.c). */
void tcp_input_closed(struct synack_stack *st, uint64_t now, const struct tcp_seg *seg);
/* isn: NULL for a fresh ISN (RFC 6528), or the one a reopened TIME-WAIT pair must use. */
void tcp_input_listen(struct synack_stack *st, struct sock *lsk, uint64_t now,
                      const struct tcp_seg *seg, const uint32_t *isn);
void tcp_input(struct synack_stack *st, struct sock *sk, uint64_t now, const struct tcp_seg *seg);
/* TIME-WAIT may let a new SYN reopen the pair (RFC 9293 §3.10.7.4 note, RFC 6191): true
 * when the TIME-WAIT entry was released and the SYN should go to a listener. */
bool tcp_time_wait_accepts_syn(struct synack_stack *st, struct sock *sk, uint64_t now,
                               const struct tcp_seg *seg, uint32_t *isn);
/* An ICMP error quoted one of our segments (RFC 1122 §4.2.3.9). */
void tcp_icmp_error(struct synack_stack *st, struct sock *sk, uint64_t now, int err);

/* Path MTU (tcp_pmtu.c): RFC 1191 discovery with RFC 5927's checks, RFC 4821 black-hole
 * detection, and ICMP soft errors. */
uint16_t tcp_pmtu(const struct synack_stack *st, const struct tcb *t);
/* The largest MSS the path allows, before options: the path MTU less 40 bytes of headers. */
uint32_t tcp_pmtu_mss(const struct synack_stack *st, const struct tcb *t);
/* A fragmentation-needed error (ICMP type 3 code 4) quoted a segment in flight; mtu is the
 * next-hop MTU it reported (0 from an old router), quoted_len the quoted datagram's total
 * length. */
void tcp_pmtu_frag_needed(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t mtu,
                          uint32_t quoted_len);
/* A retransmission timeout of data is being handled: after repeated timeouts of full-size
 * segments, fall back to a smaller MSS (black-hole detection). */
void tcp_pmtu_on_rto(struct synack_stack *st, struct tcb *t);
/* The current soft error (0 when none), and the error a connection that timed out reports:
 * the soft error if there is one, else SYNACK_ETIMEDOUT. */
int tcp_soft_error(const struct tcb *t);
int tcp_timeout_error(const struct tcb *t);

/* Output (tcp_out.c). */
void tcp_output(struct synack_stack *st, struct sock *sk, uint64_t now);
/* tcp_output without its last step, the timer-heap entry's re-arm, for a caller that
 * re-arms it itself right after (tcp_input's one exit): true when tcp_output would have
 * re-armed it. */
bool tcp_output_untimed(struct synack_stack *st, struct sock *sk, uint64_t now);
void tcp_send_syn(struct synack_stack *st, struct sock *sk, uint64_t now);
void tcp_send_ack(struct synack_stack *st, struct sock *sk, uint64_t now);
/* An ACK whose seq is SND.UNA - 1: answers nothing, makes the peer state its window
 * (zero-window probe, keepalive). */
void tcp_send_probe(struct synack_stack *st, struct sock *sk, uint64_t now);
void tcp_send_rst_for(struct synack_stack *st, uint64_t now, const struct tcp_seg *seg);
void tcp_send_rst(struct synack_stack *st, struct sock *sk, uint64_t now);
uint32_t tcp_retransmit_head(struct synack_stack *st, struct sock *sk, uint64_t now);
/* Resends the first range RACK deemed lost (NextSeg rule 1), whatever the pipe says;
 * returns the bytes resent. */
uint32_t tcp_retransmit_lost(struct synack_stack *st, struct sock *sk, uint64_t now);
/* Resends the last segment sent (the tail loss probe's second choice); false if none. */
bool tcp_retransmit_last(struct synack_stack *st, struct sock *sk, uint64_t now);
int tcp_send_segment(struct synack_stack *st, struct sock *sk, uint64_t now, uint32_t seq,
                     uint32_t len, uint16_t flags, bool retransmit);
uint32_t tcp_rcv_window(const struct tcb *t);
uint32_t tcp_flight(const struct tcb *t);
/* The segments in one of Linux's TSO packets now (tcp_push.c): the send loop puts PSH on
 * the last segment of each such group of two or more, as Linux's GSO packets carry it. */
uint32_t tcp_tso_segs(const struct tcb *t);
/* The same for a flight of this many bytes, as the send loop had before its first segment. */
uint32_t tcp_tso_segs_at(const struct tcb *t, uint32_t flight);
/* Linux's size goal (tcp_tso.c): the most one buffer of a write holds, and so the most one
 * TSO packet carries: whole segments of mss in half the peer's largest window, at most 64 KiB
 * less the headers, at least one segment. */
uint32_t tcp_size_goal(const struct tcb *t, uint32_t mss);
/* A retransmission of len bytes from seq stops at the first record end (SYNACK_SEND_EOR)
 * it reaches, with PSH (tcp_tso.c): its new length. */
uint32_t tcp_rexmit_clip(struct tcb *t, uint32_t seq, uint32_t len, uint16_t *flags);
/* Where the last segment of [seq, end) starts when records may not share it. */
uint32_t tcp_rexmit_last_start(struct tcb *t, uint32_t seq, uint32_t end);
/* 1 while a Fast Open child's SYN-ACK is unacknowledged: the send loop leaves it out of
 * the flight, as Linux's child counts its windows from ISS + 1 (tcp_tso.c). */
uint32_t tcp_tfo_syn_in_flight(const struct tcb *t);
/* Linux's tcp_info counters (tcp_info.c): what an ACK delivered, given SND.UNA and the
 * SACKed bytes before it; the lost and retransmitted packets outstanding. */
void tcp_info_on_ack(struct tcb *t, uint32_t una0, uint32_t sacked0);
void tcp_info_outstanding(const struct tcb *t, uint32_t *lost, uint32_t *retrans);
/* The delivery rate (tcp_info.c): a record of RACK's map (re)sent now (empty: nothing was
 * in flight before it), a record an ACK newly delivers, the start of each ACK's sample, and
 * the rate reported (bytes per second; whether its sample was app-limited). */
void tcp_rate_on_send(struct tcb *t, struct tcp_xrec *x, uint64_t now, bool empty);
void tcp_rate_on_delivered(struct tcb *t, const struct tcp_xrec *x, uint32_t end);
void tcp_rate_ack_start(struct tcb *t, uint64_t now);
uint64_t tcp_rate_read(const struct tcb *t, bool *app_limited);
/* Linux's chronographs (tcp_info.c), in the order that lets a later one take over from an
 * earlier one: busy, limited by the peer's window, limited by the send buffer. */
#define TCP_CHRONO_BUSY           1
#define TCP_CHRONO_RWND_LIMITED   2
#define TCP_CHRONO_SNDBUF_LIMITED 3
#define TCP_CHRONO_N              3
/* A send took bytes (taken of them; busy starts, the delivery rate asks whether the
 * application is the limit), and whether the buffer refused some of them. */
void tcp_info_on_queue(struct tcb *t, uint64_t now, uint32_t taken, bool buffer_full);
/* After the send loop (segments of seg_max bytes; the congestion window full or not, data
 * sent or not): what the ACKs since made of the queue (all acknowledged, the buffer
 * writable again), and whether the peer's window or the buffer is now the limit. */
void tcp_info_on_output(struct sock *sk, uint64_t now, uint32_t seg_max, bool cwnd_full, bool sent);
/* The time each chronograph has run, up to now. */
void tcp_chrono_read(const struct tcb *t, uint64_t now, uint64_t out[TCP_CHRONO_N]);

/* SYN cookies (syncookie.c, RFC 4987 §3.6): what a cookie remembers of the peer's SYN.
 * The MSS always; window scaling and SACK permitted when the peer offered timestamps (they
 * ride in the low bits of our TSval). */
struct tcp_syncookie {
    uint16_t mss;
    bool ts_ok, sack_ok, wscale_ok, ecn_ok;
    uint8_t snd_wscale;
    uint32_t tsval; /* our SYN-ACK's TSval (made), or its echo (checked) */
};
/* The ISN for a stateless SYN-ACK, and what it carries; ecn: the listener agrees to ECN
 * if the SYN asks (kept only with timestamps, as the other options). */
uint32_t tcp_syncookie_make(const struct synack_stack *st, const struct tcp_seg *seg, uint64_t now,
                            bool ecn, struct tcp_syncookie *c);
/* The check of the ACK that returns one; true with what it carried. */
bool tcp_syncookie_check(const struct synack_stack *st, const struct tcp_seg *seg, uint64_t now,
                         struct tcp_syncookie *c);
/* How long after the last cookie sent an ACK may still return one (µs). */
uint64_t tcp_syncookie_lifetime(void);
/* The timestamp offset of a cookie connection: hashed from its 4-tuple, so that the ACK's
 * check finds the same one without state. */
uint32_t tcp_syncookie_ts_offset(const struct synack_stack *st, const struct tcp_seg *seg);
/* The smallest window shift that lets a receive buffer of rcvbuf bytes be advertised
 * (RFC 7323 §2.3, at most 14). */
uint8_t tcp_rcv_wscale_for(uint32_t rcvbuf);
/* The MSS we advertise (RFC 9293 §3.7.1): what the device's MTU carries, or the user's
 * smaller SYNACK_OPT_MAXSEG. */
uint16_t tcp_rcv_mss_for(const struct synack_stack *st, const struct synack_addr *local,
                         uint16_t user_mss);
/* Bytes of the IP and TCP headers without options: 40 over IPv4, 60 over IPv6. */
static inline uint32_t tcp_ip_hdrs(const struct synack_addr *a)
{
    return a->family == SYNACK_AF_INET6 ? 60u : 40u;
}
/* The send MSS assumed when the peer's SYN carries no MSS option (RFC 9293 §3.7.1,
 * MUST-15): the datagram every host of the family takes (576 bytes, RFC 791; IPv6's 1280,
 * RFC 8200 §5) less the headers: 536 over IPv4, 1220 over IPv6. */
static inline uint16_t tcp_default_mss(const struct synack_addr *peer)
{
    return (uint16_t)((peer->family == SYNACK_AF_INET6 ? 1280u : 576u) - tcp_ip_hdrs(peer));
}

/* ECN (tcp_ecn.c, RFC 3168). Whether a socket asks for it on connect, and a listener
 * accepts it (SYNACK_OPT_ECN, else cfg.ecn). */
bool tcp_ecn_wanted(const struct synack_stack *st, const struct sock *sk);
bool tcp_ecn_accepts(const struct synack_stack *st, const struct sock *lsk);
/* A SYN with ECE and CWR: the peer asks for ECN (§6.1.1). */
bool tcp_ecn_setup_syn(uint16_t flags);
/* Our SYN was answered by a SYN-ACK with these flags: ECN is agreed or not. */
void tcp_ecn_synack_in(struct tcb *t, uint16_t flags);
/* An acceptable segment: its CE mark (ECE to echo) or CWR (stop echoing). */
void tcp_ecn_segment_in(struct synack_stack *st, struct tcb *t, const struct tcp_seg *seg);
/* An acceptable ACK (RFC 5961 §5.2, checked by the caller): with ECE the window is
 * reduced, once per window of data (§6.1.2). */
void tcp_ecn_ack_in(struct synack_stack *st, struct tcb *t, const struct tcp_seg *seg);
/* The flags a segment goes out with (ECE/CWR added), and *ect whether its datagram is
 * ECN-capable, ECT(0). */
uint16_t tcp_ecn_out(struct tcb *t, uint16_t flags, uint32_t len, bool retransmit, bool *ect);

/* Fast retransmit and the start of recovery (tcp_ack.c): SACK recovery (RFC 6675) when RACK
 * has marked data lost, else NewReno (RFC 6582). */
void tcp_enter_recovery(struct synack_stack *st, struct sock *sk, uint64_t now);

/* SACK-based recovery (tcp_sack.c, RFC 6675). */
void tcp_sack_on_ack(struct tcb *t, const struct synack_tcp_opts *o, uint32_t ack);
bool tcp_sack_should_recover(const struct tcb *t);
uint32_t tcp_sack_pipe(const struct tcb *t);
/* SACKed bytes on the scoreboard (RFC 6937's SACKd). */
uint32_t tcp_sack_bytes(const struct tcb *t);
/* The bytes an ACK newly delivered (RFC 6937's DeliveredData): the acked bytes SND.UNA
 * advanced by, plus the change of the SACKed bytes from sacked0, at least 0. */
uint32_t tcp_sack_delivered(const struct tcb *t, uint32_t acked, uint32_t sacked0);
/* Outside SACK recovery: the flight less what the peer has SACKed (tcp_sack.c). */
uint32_t tcp_sack_unsacked_flight(const struct tcb *t, uint32_t flight);
/* The D-SACK block of an ACK (RFC 2883 §4): the first block, when it lies at or below SEG.ACK
 * or inside the second. Its index (0), or -1 when there is none. */
int tcp_dsack_block(const struct synack_tcp_opts *o, uint32_t ack);
/* PRR (RFC 9937) on an ACK during SACK recovery: delivered bytes, whether this ACK
 * advanced SND.UNA without marking anything newly lost, and whether it is the ACK that
 * started recovery (its forced retransmission sent already). Sets cwnd = pipe + sndcnt. */
void tcp_prr_on_ack(struct tcb *t, uint32_t delivered, bool safe_ack, bool entering);
/* NextSeg's retransmission (RFC 6675 §4): rule (1), the first range deemed lost. */
bool tcp_sack_next_hole(const struct tcb *t, uint32_t *seq, uint32_t *len);

/* RACK (tcp_rack.c, RFC 8985 §6). The transmission map is allocated with the rings
 * (0 or SYNACK_ENOMEM) and freed with the send ring. */
int tcp_rack_alloc(struct tcb *t, uint32_t sndbuf);
/* A map of the first size goes to t->xr_spares while they have room, any other to the
 * allocator. */
void tcp_rack_free(struct tcb *t);
/* The spare maps back to the allocator (the stack's end, after its sockets'). */
void tcp_rack_spares_free(struct tcp_xr_spares *sp);
/* [seq, seq + len) (a FIN counting one) went out at now. */
void tcp_rack_on_send(struct tcb *t, uint32_t seq, uint32_t len, uint64_t now, bool retransmit);
/* An ACK arrived (before SND.UNA moves to ack): marks what its SACK blocks (but the D-SACK
 * one, index dsack_block or -1) cover, drops what ack covers, and updates RACK (§6.2 steps 1-3)
 * and rack.sample. */
void tcp_rack_on_ack(struct tcb *t, const struct synack_tcp_opts *o, uint32_t ack, uint64_t now,
                     int dsack_block);
/* A D-SACK arrived (RFC 8985 §6.2 step 4). */
void tcp_rack_dsack(struct tcb *t);
/* A fast or RTO recovery ended (RFC 8985 §6.2 step 4, RACK.reo_wnd_persist). */
void tcp_rack_recovery_done(struct tcb *t);
uint64_t tcp_rack_reo_wnd(const struct tcb *t);
/* §6.2 step 5: marks what is lost, arms (or stops) t_rack; true when something newly was. */
bool tcp_rack_detect_loss(struct tcb *t, uint64_t now);
/* A retransmission timeout: everything outstanding is lost, nothing SACKed. */
void tcp_rack_on_rto(struct tcb *t);
/* A spurious timeout (F-RTO): nothing is lost after all. */
void tcp_rack_unmark_lost(struct tcb *t);
bool tcp_rack_is_lost(const struct tcb *t, uint32_t seq);
bool tcp_rack_any_lost(const struct tcb *t);
uint64_t tcp_rack_oldest_rxt(const struct tcb *t, uint64_t now);
uint32_t tcp_rack_pipe(const struct tcb *t);
/* The counts the map keeps (rack.out, lost, rxt, lost_unsent, sacked) equal a recount of its
 * records: for the differential test. */
bool tcp_rack_counts_ok(const struct tcb *t);
/* SACKed bytes as the map knows them (more ranges than the scoreboard keeps). */
uint32_t tcp_rack_sacked_bytes(const struct tcb *t);
bool tcp_rack_next_lost(const struct tcb *t, uint32_t *seq, uint32_t *len);

void tcp_enter_time_wait(struct synack_stack *st, struct sock *sk, uint64_t now);

/* TCP Fast Open (tcp_fastopen.c, RFC 7413). */
/* What the SYN-ACK of a 3-way handshake carries: a cookie (kind 34 or 254), or nothing. */
struct tcp_fo_reply {
    uint8_t kind, len;
    uint8_t cookie[8];
};
/* LISTEN and a SYN with room in the listener's queue (RFC 7413 §4.2.2): true when a
 * connection was born from it at once (its data taken, its SYN-ACK sent); otherwise the
 * 3-way handshake goes on as usual and *reply says what its SYN-ACK carries. */
bool tcp_fastopen_syn(struct synack_stack *st, struct sock *lsk, uint64_t now,
                      const struct tcp_seg *seg, const uint32_t *isn, struct tcp_fo_reply *reply);
/* A passive connection born from a SYN with data leaves SYN-RECEIVED (established or
 * gone): its listener's Fast Open queue has room again. */
void tcp_fastopen_child_left(struct synack_stack *st, struct sock *sk);
/* connect(): decides what the SYN carries (RFC 7413 §4.2.1): a cookie from the cache, a
 * cookie request, or nothing. True when the SYN may carry data (a cookie is cached, or
 * SYNACK_TFO_CLIENT_NO_COOKIE). */
bool tcp_fastopen_connect(struct synack_stack *st, struct sock *sk, uint64_t now);
/* The most data our SYN may carry: the server's MSS (cached, else ours), the path's and
 * the user's, less 40 bytes of option space, as Linux sends it. */
uint32_t tcp_fastopen_syn_space(const struct synack_stack *st, const struct sock *sk);
/* The SYN-ACK of a connection whose SYN used Fast Open: the cookie cache learns the
 * server's MSS and cookie (or that it answers none); the SYN's data that the SYN-ACK does
 * not acknowledge is sent again at once. Called before the move to ESTABLISHED. */
void tcp_fastopen_synack(struct synack_stack *st, struct sock *sk, uint64_t now,
                         const struct tcp_seg *seg);

/* Timers (tcp_timer.c). */
void tcp_timers(struct synack_stack *st, struct sock *sk, uint64_t now);
/* An orphan whose peer holds up its data while the stack is short of slots or memory is
 * reset and ended (tcp_timer.c says when): true when it was. */
bool tcp_orphan_reclaim(struct synack_stack *st, struct sock *sk, uint64_t now);
/* The earliest armed deadline, 0 when none. A deadline of 0 is "not armed": less one, it
 * wraps to the largest value, so that a plain minimum (no branch per timer: this runs after
 * every segment) skips it, and 0 comes back out when nothing is armed. Inline, as is
 * timer_update() (tcp/stack.h) around it: it runs about 19 times a connection's lifecycle,
 * and the calls cost as much as the minimum. */
static inline uint64_t tcb_min_armed(uint64_t a, uint64_t b)
{
    return a - 1 < b - 1 ? a : b;
}
static inline uint64_t tcb_next_deadline(const struct tcb *t)
{
    uint64_t a = tcb_min_armed(t->t_rtx, t->t_persist), b = tcb_min_armed(t->t_delack, t->t_tw);
    uint64_t c = tcb_min_armed(t->t_keep, t->t_tlp), d = tcb_min_armed(t->t_idle, t->t_rack);
    return tcb_min_armed(tcb_min_armed(a, b), tcb_min_armed(c, d));
}
/* Keepalive runs in this state (ESTABLISHED, CLOSE-WAIT, FIN-WAIT-1, FIN-WAIT-2). */
bool tcp_keepalive_state(int state);
void tcp_rtx_arm(struct synack_stack *st, struct tcb *t, uint64_t now);
/* Starts (or restarts) the tail loss probe's timer when RFC 8985 §7.2 allows a probe,
 * else stops it. */
void tcp_tlp_arm(struct tcb *t, uint64_t now);

/* RTT (rtt.c, RFC 6298). */
void tcp_rtt_init(struct tcb *t, uint64_t initial_rto);
/* An RTT sample: SRTT, RTTVAR and the RTO within the stack's bounds (cfg's rto_min_us,
 * rto_max_us and rto_min_on_var). */
void tcp_rtt_sample(struct tcb *t, uint64_t rtt_us, const struct synack_config *cfg);
/* An RTT sample for the windowed minimum (RACK's min_RTT, RFC 8985 §6.2), taken at now. */
void tcp_min_rtt_sample(struct tcb *t, uint64_t rtt_us, uint64_t now);
uint64_t tcp_rto_backed_off(const struct tcb *t, uint64_t rto_max);

/* User calls (tcp_user.c, RFC 9293 §3.10.1-6). */
/* fastopen: TCP Fast Open may be used (RFC 7413): returns 0 instead of EINPROGRESS when
 * the SYN waits for its data (tfo_defer), which tcp_user_syn_data gives it. */
int tcp_user_connect(struct synack_stack *st, struct sock *sk, uint64_t now, bool fastopen);
/* A SYN waiting for its data (tfo_defer) takes what fits and goes: how many bytes. */
long tcp_user_syn_data(struct synack_stack *st, struct sock *sk, const void *buf, size_t len,
                       unsigned flags);
long tcp_user_send(struct synack_stack *st, struct sock *sk, uint64_t now, const void *buf,
                   size_t len, unsigned flags);
/* tcp_user_send over iovcnt buffers (synack_sendv): one send, one zero-copy id. */
long tcp_user_sendv(struct synack_stack *st, struct sock *sk, uint64_t now,
                    const struct synack_iov *iov, int iovcnt, unsigned flags);
/* The urgent pointer (tcp_urg.c, RFC 9293 §3.8.5): a segment with URG arrived; the bytes
 * the application has still to read up to RCV.UP (0: none pending). */
void tcp_urg_rcvd(struct tcb *t, uint32_t seg_seq, uint16_t urg_ptr);
uint32_t tcp_urg_pending(const struct tcb *t);
void tcp_urg_read(struct tcb *t);
/* The first record end (SYNACK_SEND_EOR) after seq, if one is queued. */
bool tcp_eor_after(struct tcb *t, uint32_t seq, uint32_t *end);
/* A partial segment waits: TCP_CORK, or SYNACK_SEND_MORE and nothing acknowledged since. */
static inline bool tcp_corked(const struct tcb *t)
{
    return (t->cork && !t->cork_pushed) || (t->more && t->snd_una == t->more_una);
}
/* Reads up to len in-order bytes into buf, or drops them when buf is NULL (synack_recv and
 * synack_recv_discard). */
long tcp_user_recv(struct synack_stack *st, struct sock *sk, uint64_t now, void *buf, size_t len);
int tcp_user_shutdown_wr(struct synack_stack *st, struct sock *sk, uint64_t now);
int tcp_user_close(struct synack_stack *st, struct sock *sk, uint64_t now);
void tcp_user_abort(struct synack_stack *st, struct sock *sk, uint64_t now);
/* SO_SNDBUF (snd) or SO_RCVBUF at any time: the size, and the ring resized when the
 * connection has one. 0 or SYNACK_ENOMEM. */
int tcp_user_set_buf(struct synack_stack *st, struct sock *sk, bool snd, uint32_t bytes);
/* Bytes the application may still queue for sending: the buffer's room, none while the
 * unsent bytes reach TCP_NOTSENT_LOWAT. */
uint32_t tcp_snd_room(const struct sock *sk);
/* Bytes queued and never sent (beyond SND.MAX: Linux's write_seq - snd_nxt). */
uint32_t tcp_notsent(const struct tcb *t);
/* Linux's send-buffer accounting (tcp_sndbuf.c, cfg.sndbuf_linux): what a write may
 * queue now, and whether the socket is writable (Linux's sk_stream_is_writeable). */
uint32_t tcp_sndbuf_linux_room(const struct sock *sk);
/* What a write of len bytes takes now, and where its last buffer starts (for snd_tail). */
uint32_t tcp_sndbuf_linux_take(const struct sock *sk, uint32_t len, uint32_t *tail);
/* Where the last buffer starts after a write that queued only its last took bytes of what
 * tcp_sndbuf_linux_take planned (a short write). */
uint32_t tcp_sndbuf_linux_tail(const struct sock *sk, uint32_t took);
bool tcp_sndbuf_linux_writable(const struct sock *sk);
/* The send ring's size for a send buffer of sndbuf bytes. */
uint32_t tcp_snd_ring_cap(const struct sock *sk);

/* The doors of a connection's life (tcp_conn.c). Change state (traced, readiness
 * updated): the only way a state changes after birth. */
void tcp_set_state(struct synack_stack *st, struct sock *sk, uint64_t now, int state);
/* The connection is over: error (0 for a clean close) is reported to the user, timers stop,
 * and the socket is freed if the user no longer holds it. */
void tcp_done(struct synack_stack *st, struct sock *sk, uint64_t now, int error);
/* tcp_done for a connection reset whose user will still look at it, as Linux keeps it: a
 * child still in its listener's accept queue stays queued, closed, for accept to return;
 * the data it received stays readable; then calls report error. */
void tcp_done_keep(struct synack_stack *st, struct sock *sk, uint64_t now, int error);
/* Initialise a TCB's defaults for a new connection (no memory is allocated), with a random
 * timestamp offset; tcb_defaults leaves the offset to the caller. */
int tcb_setup(struct synack_stack *st, struct sock *sk);
void tcb_defaults(struct synack_stack *st, struct sock *sk);
/* Sets up its send and receive rings (once): at connect(), and for a passive connection
 * only when it is established, so that a half-open one costs its slot and nothing more.
 * No memory is taken until bytes are stored (base/ring.h). 0. */
int tcb_rings(struct synack_stack *st, struct sock *sk);
/* The receive buffer a connection starts with when SO_RCVBUF was not set (Linux starts
 * near 64 KiB too, tcp_rmem[1] halved), and how long a ring must hold nothing, with no
 * segment in or out, before its memory goes back. */
#define TCP_RCV_INITIAL  65536u
#define TCP_RING_IDLE_US 1000000ull
/* How long the SYN-ACK's ACK waits for a waiting writer's data (SYNACK_OPT_WRITE_PENDING):
 * Linux's TCP_DELACK_MAX, HZ/5. */
#define TCP_SYNACK_DELACK_US 200000ull
/* The receive ring's slack beyond the buffer: one unit of the window scale (see tcb_rings). */
uint32_t tcp_rcv_slack(const struct sock *sk);
/* What the receive ring must be able to hold: the buffer in use plus the slack, and never
 * less than what it holds and was promised (RFC 9293 §3.8.6). */
uint32_t tcp_rcv_ring_need(const struct sock *sk);
/* Receive-buffer auto-tuning, after the application read up to copied_seq: see tcp_conn.c.
 * It holds while the stack is under memory pressure (tcp_mem.c). */
void tcp_rcv_autotune(struct synack_stack *st, struct sock *sk, uint64_t now);
/* The stack-wide bound on ring memory (tcp_mem.c, cfg.mem_max): the limit a config asks
 * for (its default when 0), whether the stack is under pressure now, and the reclaim made
 * when in-order data finds no memory: out-of-order data of other connections given up,
 * the highest first, from those holding the most, until want more bytes fit. True when
 * they fit. */
uint64_t tcp_mem_max_for(const struct synack_config *cfg);
bool tcp_mem_pressure(const struct synack_stack *st);
/* Whether sk's send ring can take a byte now: room in the memory it holds, or the limit
 * lets it grow. */
bool tcp_snd_mem_ok(const struct synack_stack *st, const struct sock *sk);
/* A send of sk took less than it was allowed because memory ran out: sk is not writable
 * until tcp_snd_mem_ok, and is reported when it is again. */
void tcp_mem_wait(struct synack_stack *st, struct sock *sk);
/* Reports the sockets waiting for memory that may send again (synack_next_event). */
void tcp_mem_wake(struct synack_stack *st);
bool tcp_mem_reclaim(struct synack_stack *st, const struct sock *self, uint32_t want);
/* sk's reassembly may have changed (tcp_take_data): it joins the list of the sockets
 * holding out-of-order data, or leaves it. */
void tcp_mem_ooo_note(struct synack_stack *st, struct sock *sk);
/* sk's slot is freed (sock_release): out of tcp_mem.c's lists. */
void tcp_mem_forget(struct synack_stack *st, struct sock *sk);
/* Arms t_idle when a ring holds memory and nothing else; and its expiry. */
void tcp_rings_idle_arm(struct tcb *t, uint64_t now);
void tcp_rings_idle(struct sock *sk, uint64_t now);
/* A passive child is established: it joins its listener's accept queue. */
void accept_queue_push(struct synack_stack *st, struct sock *child);
/* The oldest established child (now the application's), or NULL. */
struct sock *accept_queue_pop(struct synack_stack *st, struct sock *listener);
/* A FIN-WAIT-2 nobody holds waits at most 2*MSL for the peer's FIN. */
void tcp_orphan_fin_wait_2(struct synack_stack *st, struct sock *sk, uint64_t now);

#endif
