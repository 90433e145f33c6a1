/*
 * tcp/stack.h - the stack instance and its sockets, as the TCP machine and the entry
 * points above it see them.
 *
 * Everything mutable hangs off struct synack_stack: there is no global state, so any
 * number of stacks live in one process. Memory is sized once, from the config, when the
 * stack is made: the socket slots, the connection hash, the timer heap and the output
 * queue (the tables of src/table/, which know nothing of sockets: each socket carries its
 * own nodes for them), the pool of request records for half-open connections; each
 * connection's rings when it is established. No allocation per packet. See
 * docs/architecture.md for the layers.
 */
#ifndef SYNACK_TCP_STACK_H
#define SYNACK_TCP_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/splitmix.h"
#include "synack/synack.h"
#include "synack/trace.h"
#include "table/conntab.h"
#include "table/fifo.h"
#include "table/lsntab.h"
#include "table/outq.h"
#include "table/sink.h"
#include "table/timer_heap.h"
#include "tcp/tcp.h"

#define SYNACK_PORT_TABLE 256

/* What holds a node of the 4-tuple hash or of the timer heap (their owner byte): the
 * tables carry it, demux and synack_poll read it. */
enum { OWNER_SOCK = 0, OWNER_REQ = 1, OWNER_TW = 2 };

/* A half-open passive connection (SYN-RECEIVED), as Linux's request_sock: what the
 * handshake needs and nothing more, at most 256 bytes (checked below), from a pool sized
 * by cfg.max_half_open. It answers segments as RFC 9293 §3.10.7.4 says a passive
 * SYN-RECEIVED connection does (tcp/tcp_req.c) and, when the handshake's ACK arrives,
 * becomes a socket (promotion); it never holds a socket slot or rings. Its 4-tuple is
 * its ct node's key. */
struct tcp_req {
    struct ct_node ct;               /* the 4-tuple hash (owner OWNER_REQ) */
    struct timer_node timer;         /* the timer heap: the SYN-ACK's retransmission (OWNER_REQ) */
    struct fifo_node node;           /* its listener's list of requests, or the free list */
    int32_t idx;                     /* in the pool; its descriptor is max_sockets + idx */
    int32_t listener;                /* the listener's sd */
    struct synack_addr laddr, raddr; /* the 4-tuple's addresses (its ports are in ct.key) */
    uint32_t iss, irs;
    uint32_t ts_recent, ts_offset; /* the peer's last TSval; our clock's offset */
    uint64_t ts_recent_time;
    uint64_t rtt_start;         /* the first SYN-ACK went then: the handshake's RTT sample */
    uint64_t last_oow_ack_time; /* the last ACK to an unacceptable segment (rate limit) */
    uint16_t peer_mss;          /* the MSS option of the peer's SYN (MUST-15's default when none) */
    uint16_t peer_wnd;          /* the window of the peer's SYN (never scaled) */
    uint8_t snd_wscale, rcv_wscale;
    bool wscale_ok, sack_ok, ts_ok;
    bool ecn_ok;            /* the SYN asked for ECN and the listener agrees (RFC 3168) */
    bool rtt_timing;        /* no SYN-ACK was sent twice yet (Karn) */
    bool syn_retransmitted; /* the timer sent the SYN-ACK again (RFC 6298 §5.7) */
    bool in_use;
    uint8_t synacks;  /* SYN-ACKs sent */
    uint16_t backoff; /* timeouts so far: the RTO is cfg.rto_initial_us << backoff */
};
_Static_assert(sizeof(struct tcp_req) <= 256, "a half-open connection must stay small");

/* A TIME-WAIT entry whose socket the user has closed (tcp/tcp_tw.c), as Linux's
 * inet_timewait_sock: the socket and its rings are given back when an orphaned connection
 * enters TIME-WAIT, and this record, 104 bytes (at most 128 with its share of the 4-tuple
 * hash's buckets, issue 12; checked below), keeps what the state still needs: the 4-tuple
 * (its ct node's key), SND.NXT and RCV.NXT with the edge we advertised and what the window
 * field is computed from, the timestamp state of RFC 7323 and RFC 6191, the out-of-window
 * ACK rate limit, and its expiry. Records come from a pool of cfg.max_time_wait made with
 * the stack; in use, they are linked oldest first (by pool index), which is also the order
 * of expiry: every record's wait is 2*MSL from its last restart, and a restart moves it to
 * the end. The expiry is kept exact (the stack's microseconds); the two other times are
 * kept as their distance before it in 32 bits (tcp_tw.c: tw_time_put says how exact). */
struct tw_rec {
    struct ct_node ct; /* the 4-tuple hash (owner OWNER_TW); free list when unused */
    uint32_t prev;     /* the TIME-WAIT order, by pool index; TW_NONE at the ends */
    uint64_t expires;  /* 2*MSL after entering TIME-WAIT or its last restart */
    uint32_t next;     /* (prev's pair, apart so that expires needs no padding) */
    uint32_t snd_nxt, rcv_nxt, rcv_adv;
    uint32_t ts_recent, ts_offset;
    uint32_t rcv_cap;      /* the receive ring's size: the window field is computed from it */
    int32_t sd;            /* the socket it was, for the trace */
    int32_t ts_recent_age; /* when TS.Recent was set (RFC 7323 §5.5), before expires */
    int32_t oow_ack_age;   /* the last ACK to an unacceptable segment (rate limit), likewise */
    uint16_t rcv_mss;      /* what we advertised (receiver-side SWS avoidance's step) */
    uint8_t snd_wscale, rcv_wscale;
    uint8_t flags;  /* TW_* below */
    uint8_t tos;    /* the socket's SYNACK_OPT_TOS, for its ACKs (Linux's tw_tos) */
    uint8_t tunits; /* the two ages' units (at TW_TSR_SHIFT, TW_OOW_SHIFT), TW_OOW_NONE */
};
#define TW_NONE      UINT32_MAX
#define TW_TS_OK     0x01u
#define TW_SACK_OK   0x02u
#define TW_WSCALE_OK 0x04u
#define TW_ECN_OK    0x08u
#define TW_IN_USE    0x10u
/* tunits: each age's unit, 0 microseconds, 1 milliseconds, 2 seconds (tcp_tw.c) */
#define TW_TSR_SHIFT 0
#define TW_OOW_SHIFT 2
#define TW_OOW_NONE  0x10u /* no ACK to an unacceptable segment limits the next one */
_Static_assert(sizeof(struct tw_rec) <= 104, "a TIME-WAIT entry must stay small (issue 12)");

struct sock {
    struct tcb tcb;
    int32_t idx;
    bool in_use;
    bool user_open; /* the application holds this descriptor */
    bool bound;
    bool reuseaddr;
    bool freebind; /* SYNACK_OPT_FREEBIND: bind() may take an address not the stack's */
    bool shut_rd, shut_wr;
    bool connected_reported;
    int error;      /* the error that ended the connection, until read */
    int32_t linger; /* -1 off, else seconds (0 = close aborts) */
    uint32_t sndbuf, rcvbuf;
    bool sndbuf_linux; /* cfg.sndbuf_linux: the send buffer counted as Linux (tcp_sndbuf.c) */
    bool rcvbuf_set;   /* SO_RCVBUF was set: no receive-buffer auto-tuning (as Linux) */
    /* A send found no memory under the stack's limit (cfg.mem_max): not writable until its
     * ring has room in the memory it holds or the stack can grow it (tcp_mem.c). */
    bool snd_mem_wait;
    /* Its places in the stack's lists of tcp_mem.c: the sockets holding out-of-order data
     * (what the reclaim at the limit may take), and the writers waiting for memory. */
    struct fifo_node mem_ooo, mem_wait;
    const struct tcp_cc_ops *cc; /* SYNACK_OPT_CONGESTION; NULL: the stack's */
    int8_t ecn_opt;              /* SYNACK_OPT_ECN: 0 or 1; -1: the config's */
    /* The DS field's upper six bits (ip_out.c adds ECN's), one per IP version as Linux's
     * inet->tos and np->tclass: SYNACK_OPT_IP_TOS for IPv4 datagrams (an IPv4-mapped
     * connection's too), SYNACK_OPT_IPV6_TCLASS for IPv6 ones; SYNACK_OPT_TOS sets both.
     * Read them with sock_ds(). */
    uint8_t tos, tclass;
    /* SYNACK_OPT_IP_MTU_DISCOVER and SYNACK_OPT_IPV6_MTU_DISCOVER xor SYNACK_PMTUDISC_WANT,
     * so that a fresh (zeroed) socket has WANT: read them with sock_pmtudisc(). */
    uint8_t pmtudisc_x, pmtudisc6_x;
    /* The IPv4 ID count of a socket whose datagrams go without DF (ip_out.c): advanced by
     * each datagram's parts, as a device splitting a super-segment gives each part the next
     * ID (Linux's ip_select_ident_segs), so that no two overlap (RFC 6864 §4.1). */
    uint16_t ip_id;

    /* Listener: half-open connections (its requests, and a child between its birth and its
     * establishment) count against the backlog (n_syn), established ones wait in the
     * accept queue. Children point back through parent (-1: none). */
    int32_t parent;
    struct fifo acceptq;
    struct fifo reqs; /* its half-open connections (struct tcp_req), oldest first */
    uint32_t backlog, n_syn;
    uint64_t cookies_until; /* ACKs may return a SYN cookie of this listener until then */
    /* TCP Fast Open (RFC 7413 §5.1): a listener's queue limit (SYNACK_OPT_FASTOPEN) and its
     * children born from a SYN with data still in SYN-RECEIVED; such a child's listener
     * (its sd + 1, 0 when not counted). SYNACK_OPT_FASTOPEN_CONNECT on a client. */
    uint32_t tfo_qlen, tfo_pending;
    int32_t tfo_counted_by;
    bool tfo_connect;
    /* A listener's own cookie key and backup (Linux's TCP_FASTOPEN_KEY on a socket, its
     * fastopenq.ctx); without one, the stack's key is used. */
    bool tfo_has_key, tfo_has_key_backup;
    uint8_t tfo_key[16], tfo_key_backup[16];
    /* Zero-copy sends and transmit timestamps (tcp/tcp_zc.c): SYNACK_OPT_ZEROCOPY,
     * SYNACK_OPT_TIMESTAMPING's bits and its OPT_ID counter's start, and their state (the
     * sends that hold a buffer or want a timestamp, the notice queue), allocated on first
     * use. */
    bool zerocopy;
    uint32_t ts_flags, ts_key_base;
    struct tcp_zc *zc;

    /* This socket's places in the tables (src/table/). */
    struct ct_node ct;       /* the 4-tuple hash */
    struct lsn_node lsn;     /* a listener: the listeners by port (sock_hash) */
    struct timer_node timer; /* the timer heap, at tcb_next_deadline() */
    struct fifo_node acc;    /* its listener's accept queue */
    struct fifo_node tw;     /* the TIME-WAIT list */
    struct fifo_node evq;    /* the readiness queue */
    struct fifo_node outw;   /* the sockets with output to build */
    struct fifo_node slot;   /* the free slots */
    unsigned ev_reported;    /* readiness last reported to the application */
    /* The stack's one scratch socket (tcp/tcp_tw.c), never a slot: a TIME-WAIT record is
     * loaded into it to answer a segment with the machine's own code. Never released. */
    bool tw_scratch;
};

/* The client's memory of one server for TCP Fast Open (RFC 7413 §4.1.3, Linux's
 * tcp_metrics entry): its cookie and MSS, which option kind it answers, and its recent
 * losses of SYNs with data. */
struct tfo_cache_entry {
    struct synack_addr addr;
    uint64_t used;          /* the cache's clock when last used; 0: empty */
    uint64_t syn_loss_time; /* the last SYN with data that went unanswered */
    uint16_t mss;           /* the MSS option of its SYN-ACK (0: none seen) */
    uint8_t cookie_len;     /* 0: no cookie yet */
    uint8_t try_exp;        /* 1: ask in kind 254 next, 2: back to kind 34 (as Linux) */
    uint8_t syn_losses;     /* SYNs with data lost in a row */
    bool exp;               /* the cookie came in the experimental kind */
    uint8_t cookie[SYNACK_TCP_FO_COOKIE_MAX];
};

struct synack_stack {
    struct synack_config cfg;
    uint8_t secret[16];
    uint8_t hash_key[16];
    uint8_t cookie_key[16]; /* SYN cookies (tcp/syncookie.c) */
    uint8_t flow_key[16];   /* IPv6 flow labels (tcp/ip_out.c, RFC 6437) */
    uint64_t rng;
    /* The latest clock a call carried: the time stamped on what a call without a clock
     * (synack_listen) records. Never used to build a segment. */
    uint64_t now;
    /* SYNACK_INPUT_* of the datagram synack_input_flags() is reading; 0 otherwise. */
    unsigned in_flags;
    /* For out_idle_test only: tcp_output never takes its short path for nothing to send
     * (tcp_out.c), so that a test can hold the two to the same result. */
    bool out_no_idle_path;
    /* The receive hint (entry/rxhint.c): the socket whose text step last took an in-order
     * segment (tcp_take_data; a slot number checked before use), the hint last handed to a
     * device, and, while synack_input_flags reads a SYNACK_INPUT_PLACED datagram, where its
     * TCP payload lies (in that socket's receive ring, at RCV.NXT) instead of behind its
     * header. */
    int32_t rx_last_sd;
    struct {
        bool armed;
        uint8_t *span;
        uint32_t span_len, hdr_len;
    } rx_hint;
    const uint8_t *in_placed;
    uint32_t in_placed_len;
    /* A traced stack's copy of a placed datagram made whole for its trace events, which
     * carry whole datagrams (entry/rxhint.c): taken at the first such datagram, 64 KiB. */
    uint8_t *in_whole;

    struct sock *socks;
    uint32_t nsocks;
    struct fifo free_socks;
    struct tcp_req *reqs; /* half-open connections (cfg.max_half_open records) */
    uint32_t nreqs;
    struct fifo free_reqs;

    struct conntab ct;
    struct lsntab lsn; /* the listeners again, by port alone (find a SYN's listener) */
    struct timer_heap timers;
    struct fifo evq;      /* sockets whose readiness may have changed */
    struct fifo want_out; /* sockets with output to build at the next call that carries now */
    struct fifo tw;       /* TIME-WAIT entries that are sockets, oldest first */
    /* TIME-WAIT entries that are records (tcp/tcp_tw.c): the pool, its free list (through
     * ct.next), the in-use list oldest first, and the scratch socket records are loaded
     * into. */
    struct tw_rec *twr;
    uint32_t ntwr, twr_n, twr_head, twr_tail;
    uint32_t twr_free; /* the free records, by pool index through ct.next; CT_NIL: none */
    struct sock *tw_scratch;
    struct outq outq;
    /* Spare first ring buffers (base/ring.h), at most RING_CACHE_MAX: a connection's
     * rings take their first memory from here and give it back here. */
    struct ring_cache ring_cache;
    /* Spare RACK maps of the first size (tcp_rack.c), at most TCP_XR_SPARES. */
    struct tcp_xr_spares xr_spares;
    /* Some socket waits for memory (sock.snd_mem_wait); none can get it while the memory
     * held is at least mem_wait_held (what was held when the last of them was refused or
     * looked at), so they are looked at again only once it falls below (tcp_mem_wake). */
    bool mem_waiters;
    uint64_t mem_wait_held;
    /* tcp_mem.c's lists, so that neither the reclaim at the limit nor the wake-up of the
     * writers walks every slot: the sockets that hold out-of-order data, oldest first (a
     * socket joins when its reassembly goes from empty to not, leaves when it is empty
     * again), and the sockets waiting for memory (sock.snd_mem_wait). */
    struct fifo mem_ooo, mem_wait;
    /* What the reclaim at the limit and the wake-up cost (tcp_mem.c): the times in-order
     * data had to reclaim, and the sockets looked at by either. Not in synack_stats: a
     * measure of the code's work that memwalk_test bounds, not of the traffic. */
    uint64_t mem_reclaims, mem_reclaim_visits, mem_wake_visits;
    struct sink sink;

    /* ICMPv6 errors' token bucket (entry/icmp6.c, RFC 4443 §2.4(f)). */
    bool icmp6_err_started;
    uint32_t icmp6_err_tokens;
    uint64_t icmp6_err_time;
    uint64_t chal_window_start;
    uint32_t chal_count, chal_budget; /* challenge ACKs this second, and its random budget */
    /* Ephemeral ports (RFC 6056 §3.3.4, entry/socket.c): two hash keys and the table of
     * per-bucket counters. */
    uint8_t port_key[16], port_key2[16];
    uint32_t port_table[SYNACK_PORT_TABLE];
    /* The last destination's two hashes (offset and table index): a client connects to
     * the same end again and again, and both are fixed for it under fixed keys. */
    struct port_memo {
        struct synack_addr laddr, raddr;
        uint16_t rport;
        bool valid;
        uint32_t offset, index;
    } port_memo;
    const struct tcp_cc_ops *cc;
    /* TCP Fast Open (tcp/tcp_fastopen.c): the tcp_fastopen bits, the server's key and its
     * backup (RFC 7413 §4.1.2), and the client's bounded cookie cache. */
    uint32_t tfo_flags;
    uint8_t tfo_key[16], tfo_backup[16];
    bool tfo_has_backup;
    struct tfo_cache_entry *tfo_cache;
    uint32_t tfo_ncache;
    uint64_t tfo_clock;
    struct synack_stats stats;
};

static inline struct sock *sock_of(struct synack_stack *st, int32_t i)
{
    return i >= 0 && (uint32_t)i < st->nsocks ? &st->socks[i] : NULL;
}
static inline struct sock *sock_from_tcb(struct tcb *t)
{
    return (struct sock *)t;
}
static inline uint64_t stack_random(struct synack_stack *st)
{
    return splitmix64(&st->rng);
}

/* TIME-WAIT records (tcp/tcp_tw.c). */
int tcp_tw_init(struct synack_stack *st);
void tcp_tw_free(struct synack_stack *st);
/* An orphaned socket in TIME-WAIT becomes a record and its slot and rings are freed; false
 * (nothing done) when it cannot be: the user holds it, output is pending, no record. */
bool tcp_tw_compact(struct synack_stack *st, struct sock *sk, uint64_t now);
/* A segment for a record (demux): a SYN that may reopen the pair (RFC 6191) returns true
 * with the new ISN after the record ended; otherwise it is answered as TIME-WAIT does and
 * false is returned. */
bool tcp_tw_accepts_syn(struct synack_stack *st, struct tw_rec *tw, uint64_t now,
                        const struct tcp_seg *seg, uint32_t *isn);
void tcp_tw_input(struct synack_stack *st, struct tw_rec *tw, uint64_t now,
                  const struct tcp_seg *seg);
/* Ends a record: out of the hash and the list, back to the pool (traced as a socket's
 * end when tracing; timer says whether its 2*MSL ran out). */
void tcp_tw_done(struct synack_stack *st, struct tw_rec *tw, uint64_t now, bool timer);
/* Expires records due at now; the earliest expiry (UINT64_MAX: none). */
void tcp_tw_expire(struct synack_stack *st, uint64_t now);
uint64_t tcp_tw_next_deadline(const struct synack_stack *st);
/* The oldest record, or NULL; whether a record holds laddr:lport (bind without reuse). */
struct tw_rec *tcp_tw_oldest(struct synack_stack *st);
bool tcp_tw_port_in_use(const struct synack_stack *st, const struct synack_addr *laddr,
                        uint16_t lport);

/* Socket slots and the tables (tcp/sock.c). */
struct sock *sock_alloc(struct synack_stack *st);
void sock_release(struct synack_stack *st, struct sock *sk);
/* Frees the socket if nothing holds it any more (not the user, not a listener's queue). */
void sock_maybe_free(struct synack_stack *st, struct sock *sk);
/* Enters the socket in the 4-tuple hash under its TCB's addresses and ports. */
void sock_hash(struct synack_stack *st, struct sock *sk);
void sock_unhash(struct synack_stack *st, struct sock *sk);
/* The listener bound to exactly laddr (or the unspecified address given) and port. */
struct sock *listener_lookup(struct synack_stack *st, const struct synack_addr *laddr,
                             uint16_t port);
struct sock *sock_lookup(struct synack_stack *st, const struct synack_addr *laddr, uint16_t lport,
                         const struct synack_addr *raddr, uint16_t rport);
/* Two local addresses that a bind() of the same port would share: equal, or one of them
 * unspecified for the other's family (or for both). */
bool addr_overlaps(const struct synack_addr *a, const struct synack_addr *b);
bool port_in_use(struct synack_stack *st, const struct synack_addr *laddr, uint16_t lport,
                 bool reuse);
/* A LISTEN socket holds this port (on this address or the wildcard): two sockets bound
 * with SO_REUSEADDR may not both listen. */
bool port_has_listener(struct synack_stack *st, const struct synack_addr *laddr, uint16_t lport);
/* Keeps the socket's heap entry at tcb_next_deadline() (out of the heap when none).
 * Inline (with timer_heap_set's test for an unchanged deadline): most of a lifecycle's
 * re-arms leave the deadline where it was. */
static inline void timer_update(struct synack_stack *st, struct sock *sk)
{
    timer_heap_set(&st->timers, &sk->timer, sk->in_use ? tcb_next_deadline(&sk->tcb) : 0);
}
/* The socket's readiness may have changed: queue it (its listener, for a child not yet
 * accepted) for synack_next_event(), which computes and compares. */
void sock_notify(struct synack_stack *st, struct sock *sk);
/* The socket has output to build: the next call that carries now builds it. */
void sock_want_output(struct synack_stack *st, struct sock *sk);

/* Half-open connections (tcp/tcp_req.c). */
/* LISTEN and a SYN, with room in the listener's queue: a request record and its SYN-ACK.
 * false when no record is free (the caller answers with a cookie). isn as for
 * tcp_input_listen. */
bool tcp_req_open(struct synack_stack *st, struct sock *lsk, uint64_t now,
                  const struct tcp_seg *seg, const uint32_t *isn, const struct tcp_fo_reply *fo);
/* SEGMENT ARRIVES for a request (RFC 9293 §3.10.7.4, passive SYN-RECEIVED). */
void tcp_req_input(struct synack_stack *st, struct tcp_req *rq, uint64_t now,
                   const struct tcp_seg *seg);
/* Its timer expired: the SYN-ACK again, or the end after cfg.synack_retries. */
void tcp_req_timer(struct synack_stack *st, struct tcp_req *rq, uint64_t now);
/* A hard ICMP error quoted our SYN-ACK (entry/icmp.c checked it): the request goes. */
void tcp_req_icmp_error(struct synack_stack *st, struct tcp_req *rq, uint64_t now);
/* The listener closes: each request is reset and freed (ABORT in SYN-RECEIVED). */
void tcp_req_abort_all(struct synack_stack *st, struct sock *lsk, uint64_t now);
/* The request of a descriptor (max_sockets + idx), or NULL; and what getinfo reports. */
const struct tcp_req *tcp_req_of_sd(const struct synack_stack *st, int sd);
void tcp_req_info(const struct synack_stack *st, const struct tcp_req *rq,
                  struct synack_sockinfo *info);
static inline int tcp_req_sd(const struct synack_stack *st, const struct tcp_req *rq)
{
    return (int)st->nsocks + rq->idx;
}
/* The request or socket the 4-tuple hash holds for these endpoints. */
struct ct_node *conn_lookup(struct synack_stack *st, const struct synack_addr *laddr,
                            uint16_t lport, const struct synack_addr *raddr, uint16_t rport);

/* Trace and drops, through the sink (table/sink.h). An event about a socket names it and
 * its 4-tuple; the caller fills in the kind's own fields. */
static inline struct synack_trace_event sock_trace_event(const struct sock *sk, int kind,
                                                         uint64_t now)
{
    struct synack_trace_event ev = {.kind = kind,
                                    .now = now,
                                    .sd = sk->idx,
                                    .local_addr = sk->tcb.laddr,
                                    .local_port = sk->tcb.lport,
                                    .remote_addr = sk->tcb.raddr,
                                    .remote_port = sk->tcb.rport};
    return ev;
}
/* True while the trace callback runs: entry points refuse calls with SYNACK_EBUSY. */
static inline bool stack_busy(const struct synack_stack *st)
{
    return st->sink.depth > 0;
}
static inline bool stack_tracing(const struct synack_stack *st)
{
    return sink_on(&st->sink);
}
static inline void stack_trace(struct synack_stack *st, struct synack_trace_event *ev)
{
    sink_emit(&st->sink, ev);
}
static inline void stack_drop(struct synack_stack *st, uint64_t now, int reason, const uint8_t *pkt,
                              uint32_t len, const struct synack_segment *seg, int sd)
{
    sink_drop(&st->sink, now, reason, pkt, len, seg, sd);
}

/* The DS field (its upper six bits) of a socket's datagrams of family (SYNACK_AF_*). */
static inline uint8_t sock_ds(const struct sock *sk, uint8_t family)
{
    return family == SYNACK_AF_INET6 ? sk->tclass : sk->tos;
}
/* A socket's path MTU discovery mode (SYNACK_PMTUDISC_*) for the IP version of its
 * connection: IPv4's when it has none yet. */
static inline int sock_pmtudisc(const struct sock *sk)
{
    return (sk->tcb.laddr.family == SYNACK_AF_INET6 ? sk->pmtudisc6_x : sk->pmtudisc_x) ^
           SYNACK_PMTUDISC_WANT;
}
/* Linux's ip_dont_fragment for TCP: DF with WANT and DO only. */
static inline bool sock_pmtu_df(const struct sock *sk)
{
    int m = sock_pmtudisc(sk);
    return m == SYNACK_PMTUDISC_WANT || m == SYNACK_PMTUDISC_DO;
}

#endif
