/*
 * synack/synack.h - the stack instance and its non-blocking socket API.
 *
 * Call order, for an application that drives one stack:
 *
 *   synack_stack *s = synack_stack_new(&cfg, &err);
 *   loop:
 *     synack_input(s, now, pkt, len)         for each datagram the device received
 *     synack_poll(s, now)                    runs expired timers
 *     while ((n = synack_output(s, now, buf, sizeof buf)) > 0) device_send(buf, n)
 *     sockets: synack_accept / synack_send / synack_recv / synack_next_event ...
 *     sleep until min(synack_next_deadline(s), the device has input)
 *
 * Time: every entry point takes `now` in microseconds on a clock the caller chooses
 * (virtual in tests, monotonic in tools). The stack never reads a clock itself, never
 * sleeps and does no I/O: it queues datagrams and the caller drains them.
 *
 * Errors: functions return a negative SYNACK_E* code on failure; synack_strerror() names it.
 */
#ifndef SYNACK_SYNACK_H
#define SYNACK_SYNACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/addr.h"
#include "synack/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors: one table, negative codes ---------------------------------------------- */
#define SYNACK_ERRORS(X)                                                                           \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(EAGAIN, -3, "operation would block")                                                         \
    X(EBADF, -4, "not an open socket")                                                             \
    X(EADDRINUSE, -5, "address already in use")                                                    \
    X(ECONNREFUSED, -6, "connection refused")                                                      \
    X(ECONNRESET, -7, "connection reset by peer")                                                  \
    X(ETIMEDOUT, -8, "connection timed out")                                                       \
    X(ENOTCONN, -9, "socket is not connected")                                                     \
    X(EISCONN, -10, "socket is already connected")                                                 \
    X(EALREADY, -11, "operation already in progress")                                              \
    X(EPIPE, -12, "socket is shut down for sending")                                               \
    X(EMFILE, -13, "socket table is full")                                                         \
    X(ENOBUFS, -14, "no buffer space available")                                                   \
    X(EMSGSIZE, -15, "buffer too small for the datagram")                                          \
    X(ENOPROTOOPT, -16, "option not supported")                                                    \
    X(EHOSTUNREACH, -17, "host unreachable")                                                       \
    X(ENETUNREACH, -18, "network unreachable")                                                     \
    X(EADDRNOTAVAIL, -19, "address not available")                                                 \
    X(ECONNABORTED, -20, "connection aborted")                                                     \
    X(EINPROGRESS, -21, "connection in progress")                                                  \
    X(EOPNOTSUPP, -22, "operation not supported in this state")                                    \
    X(ESYS, -23, "an operating-system call failed (see errno)")                                    \
    X(EPROTO, -24, "protocol error")                                                               \
    X(EBUSY, -25, "called from the stack's own trace callback")                                    \
    X(EAFNOSUPPORT, -26, "address family not configured on this stack")                            \
    X(EFAULT, -27, "bad address: a NULL buffer with a length")

enum synack_error {
#define SYNACK_ERR_ENUM(name, code, text) SYNACK_##name = (code),
    SYNACK_OK = 0,
    SYNACK_ERRORS(SYNACK_ERR_ENUM)
#undef SYNACK_ERR_ENUM
};

/* A short English sentence for any value a synack function returned. */
const char *synack_strerror(int err);

/* ---- TCP states, named as in RFC 9293 §3.3.2 -------------------------------------------- */
enum synack_state {
    SYNACK_CLOSED = 0,
    SYNACK_LISTEN,
    SYNACK_SYN_SENT,
    SYNACK_SYN_RECEIVED,
    SYNACK_ESTABLISHED,
    SYNACK_FIN_WAIT_1,
    SYNACK_FIN_WAIT_2,
    SYNACK_CLOSE_WAIT,
    SYNACK_CLOSING,
    SYNACK_LAST_ACK,
    SYNACK_TIME_WAIT,
};
/* "SYN-SENT", "TIME-WAIT", ... as the RFC writes them. */
const char *synack_state_name(int state);

/* ---- configuration -------------------------------------------------------------------- */
typedef struct synack_stack synack_stack;
struct synack_trace_event;
typedef void (*synack_trace_fn)(void *ctx, const struct synack_trace_event *ev);

struct synack_config {
    const char *name; /* this stack's name in trace events ("client", "server") */
    /* Our IPv4 address (synack_addr_v4(0x0a000001) is 10.0.0.1) and its on-link network;
     * other destinations are unreachable. family SYNACK_AF_UNSPEC: no IPv4. */
    struct synack_addr addr;
    uint8_t prefix_len;
    /* Our IPv6 address and on-link prefix (RFC 8200), beside or instead of the IPv4 one;
     * family SYNACK_AF_UNSPEC (the default): no IPv6. Needs an MTU of at least 1280
     * (RFC 8200 §5). */
    struct synack_addr addr6;
    uint8_t prefix6_len;
    uint16_t mtu;         /* IP datagram size limit of the device, 68..65535 (IPv6: 1280..65535) */
    uint32_t max_sockets; /* socket table size, TIME-WAIT entries included */
    uint32_t sndbuf;      /* default send ring size per socket, bytes */
    uint32_t rcvbuf;      /* default receive ring size per socket, bytes */
    uint32_t max_backlog; /* upper bound on any listen backlog (SYN + accept queues) */
    uint32_t max_time_wait; /* at most this many TIME-WAIT entries; the oldest is reused */
    uint32_t out_queue;     /* datagrams the stack may hold for the device */
    uint64_t msl_us;        /* Maximum Segment Lifetime; TIME-WAIT lasts 2*MSL (RFC 9293 §3.4.2) */
    uint64_t rto_initial_us, rto_min_us, rto_max_us; /* RFC 6298 */
    uint32_t syn_retries;  /* SYN retransmissions before connect() gives up */
    uint32_t data_retries; /* data/FIN retransmissions before "timed out" */
    uint64_t delack_us;    /* delayed-ACK timer (RFC 9293 §3.8.6.3: under 500 ms) */
    /* Challenge ACKs per second, per stack (RFC 5961 §7), beyond the limit per connection
     * (oow_ack_interval_us). UINT32_MAX, the default: no stack-wide budget, as Linux since
     * 6.0 (tcp_challenge_ack_limit INT_MAX), for a hostile peer's own connections could
     * spend it all and silence everyone else's. */
    uint32_t challenge_ack_limit;
    uint16_t ephemeral_lo, ephemeral_hi; /* local ports for connect() without bind() */
    bool isn_secret_set;                 /* use isn_secret rather than one drawn from getrandom() */
    uint8_t isn_secret[16];              /* RFC 6528 secret key, for reproducible tests */
    uint64_t seed; /* seeds ephemeral-port choice; 0 draws one from getrandom() */
    /* Tests only: every connection starts at isn_fixed_value (e.g. just below 2^32, to
     * cross the wraparound) instead of the RFC 6528 ISN. */
    bool isn_fixed;
    uint32_t isn_fixed_value;
    const char *cc;        /* congestion control: "cubic" (default) or "newreno" */
    synack_trace_fn trace; /* the event stream (synack/trace.h); NULL for none */
    void *trace_ctx;
    /* At most one ACK per this interval, per connection, answers out-of-window or
     * PAWS-rejected segments without data (Linux's tcp_invalid_ratelimit); 0: no limit.
     * Keeps two stacks out of an ACK war. */
    uint64_t oow_ack_interval_us;
    /* SYN-ACK retransmissions before a half-open connection is given up (Linux's
     * tcp_synack_retries: 5, about 63 s with the 1 s initial RTO). */
    uint32_t synack_retries;
    /* Half-open connections (SYN-RECEIVED) the stack remembers, over all listeners: each is
     * a small request record (at most 256 bytes, no socket slot, no rings), allocated with
     * the stack. When none is free, or a listener's backlog is full, a SYN is answered by
     * a SYN cookie and nothing is kept. Default 1024; 0 keeps none (cookies only). */
    uint32_t max_half_open;
    /* Offer and accept no timestamp option (RFC 7323), as Linux's tcp_timestamps=0: SYNs and
     * SYN-ACKs go without it, and a peer's is ignored. SYN cookies then keep only the MSS. */
    bool no_timestamps;
    /* Likewise for SACK (RFC 2018, Linux's tcp_sack=0) and window scaling (RFC 7323 §2,
     * tcp_window_scaling=0: windows up to 65535 bytes). */
    bool no_sack, no_window_scaling;
    /* Explicit Congestion Notification (RFC 3168), as Linux's tcp_ecn: 0 never; 1 ask for
     * it on active opens and accept it on passive ones; 2 (the default) accept it when a
     * peer asks. SYNACK_OPT_ECN changes one socket's choice. */
    uint8_t ecn;
    /* No quick-ACK (Linux's quick-ACK mode, on by default): the first data segments of a
     * connection, and the first after an idle RTO, are then acknowledged by the delayed-ACK
     * rules only (RFC 9293 §3.8.6.3, RFC 5681 §4.2). */
    bool no_quickack;
    /* What a received segment makes the stack send (its ACK, data a window opened, the
     * answer to a FIN), and what user calls asked for, is built by the next synack_output,
     * not inside synack_input or synack_poll, so that what the application sends or closes in
     * between rides in the same segment. For an event loop that feeds a batch of input, runs the
     * application, then flushes: one segment where there would be a pure ACK and then the answer.
     * Segments beyond a hole (or duplicates) are still answered inside synack_input, one
     * ACK each (RFC 5681 §4.2). Off by default. */
    bool defer_output;
    /* No header prediction (tcp/tcp_fast.c): every segment takes the general steps of
     * SEGMENT ARRIVES (RFC 9293 §3.10.7.4). The result is the same either way; the flag is
     * for tests that compare the two paths, and for measuring what the short one saves. */
    bool no_header_prediction;
    /* TCP Fast Open (RFC 7413), Linux's tcp_fastopen bits (SYNACK_TFO_*, below); default
     * SYNACK_TFO_CLIENT | SYNACK_TFO_SERVER: synack_connect_data() and
     * SYNACK_OPT_FASTOPEN_CONNECT may carry data in the SYN, and a listener given
     * SYNACK_OPT_FASTOPEN accepts it. synack_set_fastopen() changes it at run time. */
    uint32_t fastopen;
    /* The server's cookie key (Linux's tcp_fastopen_key): SipHash-2-4 over the client's and
     * the server's address (RFC 7413 §4.1.2). Unless set, drawn from the stack's secret;
     * synack_set_fastopen_key() replaces it at run time. */
    bool fastopen_key_set;
    uint8_t fastopen_key[16];
    /* Servers whose cookie (and MSS) a client remembers, RFC 7413 §4.1.3; the least
     * recently used goes first. Default 64; 0 remembers none. */
    uint32_t fastopen_cache;
    /* The largest IP datagram the device splits into MTU-sized segments itself (TSO: a TUN
     * device with IFF_VNET_HDR, synack_dev.tso_max); 0, the default, when it splits nothing.
     * Above the MTU, new data then goes in super-segments of whole MSS-sized parts, up to
     * this size (at most 65535), which the device cuts at the MSS the stack chose
     * (synack_output_gso). Retransmissions stay one MSS. */
    uint32_t tso_max;
    /* The device finishes the TCP checksum of every segment the stack sends (a TUN device
     * with IFF_VNET_HDR: Linux's CHECKSUM_PARTIAL): the field then holds the pseudo-header's
     * sum only (RFC 9293 §3.1), as in a capture taken on a Linux sender with checksum
     * offload, and the stack saves a pass over every byte sent. Default false. */
    bool csum_offload;
    /* Count the send buffer as Linux does (its sk_sndbuf, SO_SNDBUF's value doubled): a
     * send fills buffers of Linux's size goal (whole segments in half the peer's largest
     * window) and opens a new one while the bytes queued plus a per-buffer overhead are
     * below sndbuf and the unsent bytes below SYNACK_OPT_NOTSENT_LOWAT, so one send may
     * take a little more than sndbuf; SYNACK_EV_WRITABLE when a third is free and the unsent
     * bytes are below half the low-water mark. Default false: the send ring holds sndbuf
     * bytes and is writable while it has room. */
    bool sndbuf_linux;
    /* The RTO's floor on the variance term, as Linux's tcp_set_rto: RTO = SRTT +
     * max(4·RTTVAR, rto_min), so a 10 ms path times out at 210 ms. Default false: RFC
     * 6298 §2.4's clamp of the whole RTO, RTO = max(rto_min, SRTT + 4·RTTVAR) (200 ms). */
    bool rto_min_on_var;
    /* Slow start's growth per ACK, in segments (RFC 3465 §2.2's limit L): an ACK adds what
     * it newly acknowledges to cwnd, but at most this many segments. Default 2, RFC 3465's
     * L = 2 (RFC 5681 §3.1 asks for 1: one SMSS per ACK). 0 means no limit, as Linux's
     * tcp_slow_start: an ACK adds all it acknowledges, cwnd stops at ssthresh and the rest
     * counts towards congestion avoidance. */
    uint32_t slow_start_limit;
    /* An RTT sample from every ACK that advances SND.UNA over data sent only once, as Linux
     * takes (tcp_clean_rtx_queue: from the send time of the oldest byte newly covered), for
     * the RTO estimator and so for the packet size that follows SRTT. RFC 6298 §3 asks for
     * at least one sample per round trip and allows more; Karn's rule holds (no sample when
     * the ACK covers data sent twice). Default false: one timed segment per round trip. */
    bool rtt_every_ack;
    /* The initial slow start ends as Linux's CUBIC ends it (HyStart's delay test,
     * bictcp's hystart_update) instead of by RFC 9406's HyStart++: once cwnd is 16
     * segments, a round whose smallest RTT over its first 8 samples and after exceeds the
     * connection's minimum RTT by an eighth of it (4 to 16 ms) ends slow start at once,
     * ssthresh = cwnd, with no Conservative Slow Start. Default false (RFC 9406). */
    bool hystart_linux;
    /* The most fragments one segment may carry, for zero-copy data (Linux's MAX_SKB_FRAGS,
     * 17): each element of a zero-copy synack_sendv stays in the caller's buffer and is one
     * fragment, a whole zero-copy synack_send_flags buffer is one, and a run of copied bytes
     * between them is one. A segment (or a super-segment for cfg.tso_max) that would carry
     * more ends after the last fragment that fits, with PSH, as Linux's skb that runs out
     * of fragments (tcp_sendmsg_locked's tcp_mark_push); retransmissions keep the limit.
     * RFC 9293 leaves the grouping of data into segments to the sender (§3.8.6). Linux
     * counts pages, so an element that crosses a page boundary is two of its fragments,
     * and merges adjacent ones in one page; synack counts elements. 0, the default: no
     * limit. */
    uint32_t zc_max_frags;
    /* RACK.rtt as Linux takes it (tcp_rack_advance): the RTT of the last range an ACK
     * delivers, in sequence order (SACKed ranges first, then the cumulative ACK), instead
     * of RFC 8985 §6.2's RTT of the most recently sent one. They differ when an ACK covers a
     * retransmission and, above it, data sent once before it: Linux then takes the longer
     * RTT of the older data, and deems fewer segments lost. Default false (RFC 8985). */
    bool rack_rtt_seq;
    /* The most memory, in bytes, all connections' send and receive rings may hold together
     * (out-of-order data waiting for reassembly is parked in the receive rings), as Linux's
     * tcp_mem: a peer that grows one connection's window and then sends data behind a hole
     * makes it hold its whole receive buffer, and with many connections the sum, not each,
     * is what must be bounded. At three quarters of it the stack is under pressure
     * (stats.mem_pressure, until it falls to half): receive buffers stop growing by
     * auto-tuning (a window once offered is never taken back, RFC 9293 §3.8.6). At the limit
     * a ring cannot grow: in-order data that needs memory makes the stack give up
     * out-of-order data, the highest first, of the connections holding the most (RFC 2018
     * §8 allows it; their senders send it again), other data is dropped as lost
     * (tcp-no-memory), and a send finds no room (SYNACK_EAGAIN). 0, the default: the sum of
     * what every socket's rings may hold with the configured sizes (max_sockets × (sndbuf +
     * rcvbuf + 144 KiB, the send ring's Linux accounting and the window's rounding)), so
     * that only buffers set larger per socket (SYNACK_OPT_RCVBUF/SNDBUF) can meet it. */
    uint64_t mem_max;
    /* The receive hint (synack_tun_rx_hint, synack/tun.h; entry/rxhint.c) is offered only
     * after an in-order segment that carried at least this many payload bytes: a bulk
     * receiver's segments are full, and for the small ones of a request/response exchange
     * the hint's checks cost more than the copy they save (about 400 instructions against
     * a copy of a few bytes, docs/performance.md, "Third pass"). Default 536, RFC 9293
     * §3.7.1's default MSS (or a full segment of a peer whose MSS option is smaller); 0:
     * after any in-order data. */
    uint32_t rx_hint_min;
};

/* Linux's tcp_fastopen bits (cfg.fastopen, synack_set_fastopen). */
#define SYNACK_TFO_CLIENT           0x1u   /* a client may put data in its SYN */
#define SYNACK_TFO_SERVER           0x2u   /* listeners with SYNACK_OPT_FASTOPEN take it */
#define SYNACK_TFO_CLIENT_NO_COOKIE 0x4u   /* data in the SYN without a cookie */
#define SYNACK_TFO_SERVER_NO_COOKIE 0x200u /* data in a SYN accepted without a cookie */
#define SYNACK_TFO_SERVER_ALL       0x400u /* every listener; its queue limit is bits 16-31 */

/* Fills cfg with the defaults: 10.0.0.1/24 and no IPv6, MTU 1500, 1024 sockets, 256 KiB rings,
 * backlog 128, MSL 30 s, RTO 1 s / 200 ms / 60 s, 6 SYN and 15 data retries, 40 ms
 * delayed ACK, no stack-wide budget of challenge ACKs (UINT32_MAX), ephemeral ports
 * 49152-65535, CUBIC, one ACK per 500 ms per connection to unacceptable segments and
 * challenges (oow_ack_interval_us), 5 SYN-ACK retries, 1024 half-open connections, slow
 * start growing by at most 2 segments per ACK. */
void synack_config_default(struct synack_config *cfg);

/* Returns a stack, or NULL with *err set (SYNACK_EINVAL, SYNACK_ENOMEM, SYNACK_ESYS). */
synack_stack *synack_stack_new(const struct synack_config *cfg, int *err);
void synack_stack_free(synack_stack *s);

/* ---- the device side -------------------------------------------------------------------- */

/* One IPv4 or IPv6 datagram from the device (the version nibble says which). Returns 0, or a
 * negative code for a datagram that was dropped (it is also counted and traced with its reason).
 * Never keeps a pointer to pkt. */
int synack_input(synack_stack *s, uint64_t now, const uint8_t *pkt, size_t len);

/* What the device knew of a datagram it received (synack_input_flags): its TCP checksum was
 * checked by the device or is a partial one from the host itself (Linux's CHECKSUM_PARTIAL
 * across a TUN device with IFF_VNET_HDR), so it need not be checked again; it is a
 * super-segment merged from several wire segments (GRO), counted in stats.merged_in. */
#define SYNACK_INPUT_CSUM_OK 0x1u
#define SYNACK_INPUT_MERGED  0x2u
/* Set only by a device the stack gave its receive hint (synack_tun_rx_hint, synack/tun.h):
 * pkt holds the datagram's IP and TCP headers, and its TCP payload (len minus those) was
 * read straight into the place the hint named, the receive ring of the connection that took
 * the last in-order segment, at its RCV.NXT. The stack checks that the hint still holds and
 * the headers are what it expected, then keeps the bytes where they are (no copy); a
 * datagram that does not fit the hint is dropped (input-placed-stale). Bytes past the
 * headers in pkt are not read. */
#define SYNACK_INPUT_PLACED 0x4u
/* synack_input() with what the device knew (SYNACK_INPUT_*). */
int synack_input_flags(synack_stack *s, uint64_t now, const uint8_t *pkt, size_t len,
                       unsigned flags);

/* Copies the next datagram the stack wants sent into buf. Returns its length, 0 when there
 * is none, SYNACK_EMSGSIZE when cap is smaller than the datagram (it stays queued). */
int synack_output(synack_stack *s, uint64_t now, uint8_t *buf, size_t cap);
/* synack_output() that also says how the device is to split the datagram: *gso_size 0 for
 * one wire segment, else the TCP payload bytes per segment of a super-segment (only with
 * cfg.tso_max set), for synack_dev_send_gso(). */
int synack_output_gso(synack_stack *s, uint64_t now, uint8_t *buf, size_t cap, uint32_t *gso_size);
/* synack_output_gso() without the copy: *pkt points at the datagram where the stack built
 * it, valid until the next call into the stack (hand it to the device first). */
int synack_output_next(synack_stack *s, uint64_t now, const uint8_t **pkt, uint32_t *gso_size);

/* Runs the timers due at or before now. Returns 0. */
int synack_poll(synack_stack *s, uint64_t now);

/* When the stack next needs synack_poll(); UINT64_MAX when no timer is armed. */
uint64_t synack_next_deadline(const synack_stack *s);

/* ---- sockets -------------------------------------------------------------------------- */
struct synack_endpoint {
    struct synack_addr addr; /* synack/addr.h: either family */
    uint16_t port;
};

/* Returns a socket descriptor >= 0, or SYNACK_EMFILE / SYNACK_ENOMEM. */
int synack_socket(synack_stack *s);
/* addr: one of the stack's addresses (any address with SYNACK_OPT_FREEBIND set), or an
 * unspecified one: SYNACK_AF_UNSPEC (a zeroed struct) or :: takes both families,
 * synack_addr_v4(0) IPv4 only. port 0 = an ephemeral port. EADDRINUSE, EADDRNOTAVAIL,
 * EINVAL, EBADF. */
int synack_bind(synack_stack *s, int sd, struct synack_addr addr, uint16_t port);
/* Makes addr the stack's address of its family, with its on-link prefix (IPv4 0..32, IPv6
 * 0..128), as an interface's address is changed while sockets live: sockets bound ahead of
 * it (SYNACK_OPT_FREEBIND) start to hear it; connections on the old address keep it and
 * hear nothing more, ending by their timers, as on Linux when an address is removed.
 * EINVAL for an unspecified, multicast or otherwise invalid address, EBUSY from a callback. */
int synack_set_addr(synack_stack *s, struct synack_addr addr, uint8_t prefix_len);
/* backlog is clamped to the config's max_backlog. EINVAL (also for a socket that was a
 * connection, as Linux), EBADF, EADDRINUSE. */
int synack_listen(synack_stack *s, int sd, int backlog);
/* A new connected socket, or EAGAIN when none is ready; peer may be NULL. A connection
 * reset while it waited is returned too, as Linux does: closed, with the data that came
 * before the reset readable and the reset reported by its calls. */
int synack_accept(synack_stack *s, int sd, struct synack_endpoint *peer);
/* Starts the active open (sends the SYN) and returns SYNACK_EINPROGRESS; the socket becomes
 * SYNACK_EV_CONNECTED, or SYNACK_EV_ERROR with ECONNREFUSED/ETIMEDOUT/EHOSTUNREACH.
 * The local address is the stack's address of addr's family (or the bound one).
 * EISCONN, EALREADY, EADDRINUSE, ENETUNREACH, EAFNOSUPPORT (no address of that family),
 * EINVAL (bound to the other family), EBADF. */
int synack_connect(synack_stack *s, int sd, uint64_t now, struct synack_addr addr, uint16_t port);
/* Queues up to len bytes; returns how many were taken (maybe fewer), EAGAIN when the send
 * ring is full, EPIPE after shutdown/close, ENOTCONN before the handshake, or the error
 * that ended the connection (ECONNRESET, ETIMEDOUT). */
long synack_send(synack_stack *s, int sd, uint64_t now, const void *buf, size_t len);
/* synack_send with flags (Linux's send() flags):
 *   SYNACK_SEND_MORE  more data follows at once (MSG_MORE): a partial segment waits for it,
 *                     as under SYNACK_OPT_CORK, until a send without the flag, an ACK of
 *                     new data, or about an RTO (at least 200 ms) later; full segments go.
 *   SYNACK_SEND_EOR   the data ends a record (MSG_EOR): nothing sent after it shares a
 *                     segment with it. It takes effect when the whole buffer was taken
 *                     (a partial take ends no record: send the rest with the flag again);
 *                     at most SYNACK_EOR_MAX records may be waiting for their ACK, beyond
 *                     that the call returns EAGAIN and takes nothing. */
#define SYNACK_SEND_MORE 0x1u
#define SYNACK_SEND_EOR  0x2u
#define SYNACK_EOR_MAX   16
/*   SYNACK_SEND_ZEROCOPY  (Linux's MSG_ZEROCOPY, on a socket with SYNACK_OPT_ZEROCOPY set;
 *                     without it the flag is ignored, as Linux does): the stack keeps a
 *                     pointer to buf instead of copying it, and reads the bytes from there
 *                     each time it builds a segment (the first time and every
 *                     retransmission). buf must stay valid and unchanged until a
 *                     SYNACK_NOTICE_ZEROCOPY notice covers the send's id: each such send that
 *                     takes bytes gets the next id of a 32-bit counter of the socket (from
 *                     0), and its notice comes once every byte it took is acknowledged, or
 *                     when the connection ends (reset, abort, timeout). Its bytes count
 *                     against the send buffer like copied ones. Before the connection is
 *                     established the bytes are copied (the notice says so: copied). At
 *                     most SYNACK_ZEROCOPY_MAX sends may be outstanding or waiting in the
 *                     notice queue (Linux's optmem): beyond, SYNACK_ENOBUFS. synack_close
 *                     copies what zero-copy sends still hold into the send ring (past
 *                     cfg.mem_max if need be: a close never fails for the stack's limit):
 *                     the buffers are free once it returns. */
#define SYNACK_SEND_ZEROCOPY 0x4u
#define SYNACK_ZEROCOPY_MAX  64
long synack_send_flags(synack_stack *s, int sd, uint64_t now, const void *buf, size_t len,
                       unsigned flags);
/* One buffer of a gathered send (synack_sendv; POSIX's struct iovec). */
struct synack_iov {
    const void *base;
    size_t len;
};
/* The most elements synack_sendv takes (Linux's UIO_MAXIOV). */
#define SYNACK_IOV_MAX 1024
/* synack_send_flags over iovcnt buffers, in order (Linux's sendmsg with an iovec): the
 * same flags, errors and partial takes (a take may stop inside an element). Copied, the
 * elements are one stream of bytes. With SYNACK_SEND_ZEROCOPY each element stays where it
 * is, to be read by reference as synack_send_flags's buffer is, and is one fragment for
 * cfg.zc_max_frags; the call is one send, with one id and one notice, once every byte it
 * took is acknowledged. EINVAL for iovcnt outside 0..SYNACK_IOV_MAX. An element with a
 * NULL base and bytes is where the copy faults, as Linux's tcp_sendmsg: the bytes before it
 * are taken and counted (a short write), SYNACK_EFAULT only when there are none (a Fast
 * Open SYN's data is the first element with bytes alone: when that element is NULL the SYN
 * goes without data, as synack_connect_data's with a NULL buffer). */
long synack_sendv(synack_stack *s, int sd, uint64_t now, const struct synack_iov *iov, int iovcnt,
                  unsigned flags);
/* TCP Fast Open's connect (RFC 7413 §4.2.1; Linux's sendto with MSG_FASTOPEN): starts the
 * active open as synack_connect does, with data for the SYN. When the stack's client side
 * is on (SYNACK_TFO_CLIENT) and a cookie from this server is cached (or
 * SYNACK_TFO_CLIENT_NO_COOKIE), the SYN carries the cookie and up to the server's MSS less
 * 40 bytes of buf: returns how many bytes it took (the rest goes with synack_send once
 * connected; what the SYN-ACK does not acknowledge is sent again after it). Otherwise the
 * SYN asks for a cookie (when the client side is on), takes nothing and the call returns
 * SYNACK_EINPROGRESS. A socket already in SYN-SENT by SYNACK_OPT_FASTOPEN_CONNECT (its SYN
 * not yet sent) takes its data here too, as does its first synack_send or synack_sendv.
 * A NULL buf with a cached cookie is where the copy into the SYN faults: as Linux's
 * tcp_send_syn_data, the SYN goes without data and asks for a cookie again, and the call
 * returns SYNACK_EINPROGRESS (a send once connected faults, SYNACK_EFAULT). Errors as
 * synack_connect, and EOPNOTSUPP when the stack's client side is off (as Linux). */
long synack_connect_data(synack_stack *s, int sd, uint64_t now, struct synack_addr addr,
                         uint16_t port, const void *buf, size_t len);
/* synack_connect_data with SYNACK_SEND_ZEROCOPY (Linux's sendto with MSG_FASTOPEN |
 * MSG_ZEROCOPY): the SYN's data is copied, as the connection is not established, and the
 * send gets an id whose notice says so once the data is acknowledged. */
long synack_connect_data_flags(synack_stack *s, int sd, uint64_t now, struct synack_addr addr,
                               uint16_t port, const void *buf, size_t len, unsigned flags);
/* The stack's tcp_fastopen bits, at run time (SYNACK_TFO_*). 0 or EINVAL. */
int synack_set_fastopen(synack_stack *s, uint32_t flags);
/* cfg.no_timestamps at run time (Linux's tcp_timestamps): connections opened from now on
 * offer (on) or refuse the timestamp option. 0 or EINVAL. */
int synack_set_timestamps(synack_stack *s, bool on);
/* cfg.no_sack and cfg.no_window_scaling at run time (Linux's tcp_sack, tcp_window_scaling),
 * for connections opened from now on. 0 or EINVAL. */
int synack_set_sack(synack_stack *s, bool on);
int synack_set_window_scaling(synack_stack *s, bool on);
/* cfg.ecn at run time (Linux's tcp_ecn: 0, 1 or 2): handshakes from now on follow it, unless
 * a socket's SYNACK_OPT_ECN says otherwise. 0 or EINVAL. */
int synack_set_ecn(synack_stack *s, unsigned mode);
/* The server's cookie key and, if backup is not NULL, a second key whose cookies are still
 * accepted (RFC 7413 §4.1.2: rotate by passing the old key as the backup). Cookies already
 * handed out with a key that is neither stop being valid. 0 or EINVAL. */
int synack_set_fastopen_key(synack_stack *s, const uint8_t key[16], const uint8_t *backup);
/* A socket's own cookie key (and backup), as Linux's TCP_FASTOPEN_KEY on a socket: once it
 * listens, its cookies are made and checked with this key instead of the stack's. It may be
 * set before or after synack_listen; a socket without one uses the stack's key.
 * 0, SYNACK_EBADF or SYNACK_EINVAL. */
int synack_set_socket_fastopen_key(synack_stack *s, int sd, const uint8_t key[16],
                                   const uint8_t *backup);
/* The cookie a server with this key gives the client at caddr when it is saddr (RFC 7413
 * §4.1.2, as Linux computes it: SipHash-2-4 over the two addresses, 4 + 4 bytes for IPv4,
 * 16 + 16 for IPv6, the result little-endian). Writes 8 bytes. */
void synack_fastopen_cookie(const uint8_t key[16], const struct synack_addr *caddr,
                            const struct synack_addr *saddr, uint8_t cookie[8]);
/* Copies in-order data; returns the count, 0 at end of stream (the peer's FIN), EAGAIN when
 * nothing is ready, or the error that ended the connection. */
long synack_recv(synack_stack *s, int sd, uint64_t now, void *buf, size_t len);
/* As synack_recv, but up to len in-order bytes are dropped instead of copied (Linux's recv
 * with MSG_TRUNC on a TCP socket): a consumer that only counts what it receives, as the
 * discard service (RFC 863), pays no copy. The window opens and auto-tuning counts them
 * as if they had been read. Returns the count dropped, 0 at end of stream, EAGAIN or the
 * error, as synack_recv. */
long synack_recv_discard(synack_stack *s, int sd, uint64_t now, size_t len);
#define SYNACK_SHUT_RD   1
#define SYNACK_SHUT_WR   2
#define SYNACK_SHUT_RDWR 3
/* Half-close: SHUT_WR sends a FIN once queued data is out (RFC 9293 §3.10.4). */
int synack_shutdown(synack_stack *s, int sd, uint64_t now, int how);
/* Releases the descriptor. The connection closes gracefully in the background (FIN, and
 * TIME-WAIT where it applies); unread received data makes it an abort, as Linux does. */
int synack_close(synack_stack *s, int sd, uint64_t now);
/* Sends an RST and frees the connection at once (RFC 9293 §3.10.5 ABORT). */
int synack_abort(synack_stack *s, int sd, uint64_t now);

/* Readiness. */
#define SYNACK_EV_READABLE  0x01u /* data, end of stream, or a connection to accept */
#define SYNACK_EV_WRITABLE  0x02u /* send ring has room */
#define SYNACK_EV_CONNECTED 0x04u /* the handshake completed */
#define SYNACK_EV_CLOSED    0x08u /* the connection is over (fully closed, reset or failed) */
#define SYNACK_EV_ERROR     0x10u /* synack_socket_error() has the reason */
#define SYNACK_EV_NOTICE    0x20u /* synack_next_notice() has one (zero-copy, timestamps) */
/* The socket's current readiness (a level, not an edge). */
unsigned synack_events(const synack_stack *s, int sd);
/* Takes the next socket whose readiness changed since it was last reported (an edge queue,
 * each socket at most once). Returns 1 with *sd and *events set, 0 when none changed. */
int synack_next_event(synack_stack *s, int *sd, unsigned *events);
/* The error that ended or failed the connection (negative), or 0; reading clears it. */
int synack_socket_error(synack_stack *s, int sd);

/* Notices: what Linux puts on a socket's error queue (MSG_ERRQUEUE) for zero-copy sends
 * and transmit timestamps. A socket with notices waiting reports SYNACK_EV_NOTICE. */
#define SYNACK_NOTICE_ZEROCOPY 1 /* zero-copy sends lo..hi are done: their buffers are free */
#define SYNACK_NOTICE_TSTAMP   2 /* a transmit timestamp of one send (SYNACK_OPT_TIMESTAMPING) */
/* Which moment a timestamp reports (Linux's SCM_TSTAMP_*): the segment with the send's last
 * byte was queued for the device (SCHED) and handed to it (SND: both when synack_output can
 * return it, synack builds and queues in one step), or that byte was acknowledged (ACK). */
#define SYNACK_TSTAMP_SND   0
#define SYNACK_TSTAMP_SCHED 1
#define SYNACK_TSTAMP_ACK   2
struct synack_notice {
    int kind; /* SYNACK_NOTICE_* */
    /* ZEROCOPY: the sends with ids lo..hi (modulo 2^32; consecutive completions are
     * coalesced into one notice, as Linux's) are done. copied: the stack copied their
     * bytes (Linux's SO_EE_CODE_ZEROCOPY_COPIED); notices differing in it are not merged. */
    uint32_t lo, hi;
    bool copied;
    /* TSTAMP: which moment (SYNACK_TSTAMP_*), the send's key (with SYNACK_TS_OPT_ID the
     * offset of its last byte from where counting started, Linux's OPT_ID counter; else 0),
     * and when, on the stack's clock (the now of the call that did it). */
    int tstamp;
    uint32_t key;
    uint64_t time_us;
};
/* Takes the oldest notice of the socket: 1 with *n filled, 0 when there is none. */
int synack_next_notice(synack_stack *s, int sd, struct synack_notice *n);

/* Socket options. */
enum synack_opt {
    SYNACK_OPT_NODELAY = 1, /* 1 = Nagle off */
    /* Buffer sizes in bytes, at any time: on a connection the ring grows at once (data
     * kept) and shrinks no further than what it holds, the rest as it drains; a listener's
     * are its children's. Values below SYNACK_SNDBUF_MIN / SYNACK_RCVBUF_MIN are raised
     * to them. The window scale is fixed by the SYN (RFC 7323 §2.2): a receive buffer
     * beyond its reach is advertised as 65535 << scale at most. */
    SYNACK_OPT_SNDBUF,
    SYNACK_OPT_RCVBUF,
    /* Linux's rule: bind over TIME-WAIT entries and over sockets that are not listening and
     * set it too (a restarted server's old connections, which inherit it from their
     * listener); a LISTEN socket on the port still conflicts. */
    SYNACK_OPT_REUSEADDR,
    SYNACK_OPT_LINGER,    /* -1 off; 0 close() aborts; >0 accepted, as Linux (seconds) */
    SYNACK_OPT_MAXSEG,    /* clamp our MSS */
    SYNACK_OPT_KEEPALIVE, /* 1 = on (RFC 1122 §4.2.3.6) */
    SYNACK_OPT_KEEPIDLE,  /* seconds */
    SYNACK_OPT_KEEPINTVL, /* seconds */
    SYNACK_OPT_KEEPCNT,
    /* RFC 5482, Linux's TCP_USER_TIMEOUT: milliseconds that sent data (or a zero-window
     * probe) may go without progress before the connection is given up with ETIMEDOUT;
     * 0 (the default) leaves it to the retry counts. */
    SYNACK_OPT_USER_TIMEOUT,
    /* Linux's TCP_CORK: 1 holds partial segments (full ones go) until it is set to 0,
     * or about an RTO (at least 200 ms, Linux's ceiling) has passed with nothing in
     * flight. Setting SYNACK_OPT_NODELAY to 1 pushes what is held once. */
    SYNACK_OPT_CORK,
    /* Linux's TCP_NOTSENT_LOWAT, bytes: the socket takes data (and is SYNACK_EV_WRITABLE)
     * only while fewer than this many queued bytes are not yet sent; 0 (the default):
     * no limit but the buffer. */
    SYNACK_OPT_NOTSENT_LOWAT,
    /* Read only: the bytes ready to be read now (Linux's TCP_INQ hint, SIOCINQ). */
    SYNACK_OPT_INQ,
    /* Congestion control of this socket (Linux's TCP_CONGESTION): SYNACK_CC_NEWRENO or
     * SYNACK_CC_CUBIC; the default is the config's. On a live connection the algorithm's
     * own state starts afresh, the window and threshold stay. Inherited from a listener. */
    SYNACK_OPT_CONGESTION,
    /* Explicit Congestion Notification (RFC 3168) for this socket: 1 asks for it on connect
     * and, on a listener, accepts it from peers that ask; 0 neither. The default is the
     * config's (cfg.ecn). Read only once connected: whether it was agreed (also
     * synack_sockinfo.ecn_ok). */
    SYNACK_OPT_ECN,
    /* TCP Fast Open on a listener (RFC 7413 §4.2.2, Linux's TCP_FASTOPEN): the most
     * connections born from a SYN with data that may wait for their handshake's ACK at
     * once (its queue limit, RFC 7413 §5.1); 0 turns it off. Needs SYNACK_TFO_SERVER. */
    SYNACK_OPT_FASTOPEN,
    /* Linux's TCP_FASTOPEN_CONNECT: 1 makes synack_connect wait for the first send when a
     * cookie for the server is cached (it returns 0 and sends nothing), so that the SYN
     * carries the cookie and that send's data; without a cookie it sends the SYN asking for
     * one at once, as usual. EOPNOTSUPP when the stack's client side is off (as Linux). */
    SYNACK_OPT_FASTOPEN_CONNECT,
    /* Linux's TCP_SYNCNT: how many times this socket's SYN is sent again before connect
     * gives up (1..127); reads back the stack's cfg.syn_retries until set. */
    SYNACK_OPT_SYNCNT,
    /* Linux's SO_ZEROCOPY: 1 lets sends with SYNACK_SEND_ZEROCOPY use the caller's buffer.
     * Inherited from a listener. */
    SYNACK_OPT_ZEROCOPY,
    /* Linux's SO_TIMESTAMPING for transmit timestamps, its bit values (SYNACK_TS_*): each
     * send made while a TX bit is set asks for a SYNACK_NOTICE_TSTAMP of that moment for
     * its last byte. SYNACK_TS_OPT_ID keys them by a byte counter that starts at SND.UNA
     * when the bit is first set (EINVAL on a socket not connected, as Linux); other bits
     * Linux knows are accepted and ignored (the plug-in validates them). */
    SYNACK_OPT_TIMESTAMPING,
    /* Linux's IP_TOS (IPV6_TCLASS over IPv6): the DS field of the socket's datagrams, 0 to
     * 255; its two ECN bits are the stack's (RFC 3168 §5), as Linux keeps them for TCP, so
     * they read back as 0. A listener's is its SYN-ACKs' and its children's. Sets the
     * values of both IP versions (SYNACK_OPT_IP_TOS, SYNACK_OPT_IPV6_TCLASS); reads the
     * one of the connection's version, IPv4's before it has one. */
    SYNACK_OPT_TOS,
    /* Linux's IP_MTU_DISCOVER (IPV6_MTU_DISCOVER) for TCP, one of SYNACK_PMTUDISC_*: with
     * WANT (the default) and DO datagrams carry DF and a fragmentation-needed (packet too
     * big) error lowers the MSS (RFC 1191); DONT, PROBE, INTERFACE and OMIT send IPv4
     * without DF (each datagram with an ID of its own, RFC 6864 §4.1), and DONT, INTERFACE
     * and OMIT ignore those errors. A listener's is its children's (its SYN-ACKs keep DF).
     * Sets both IP versions' (SYNACK_OPT_IP_/IPV6_MTU_DISCOVER); reads as SYNACK_OPT_TOS. */
    SYNACK_OPT_MTU_DISCOVER,
    /* Linux's IP_FREEBIND (either family): 1 lets synack_bind() take an address that is not
     * the stack's (yet); the socket hears it once synack_set_addr() makes it so, and may
     * connect from it only then. */
    SYNACK_OPT_FREEBIND,
    /* SYNACK_OPT_TOS and SYNACK_OPT_MTU_DISCOVER for one IP version, as Linux keeps one of
     * each per version: the IP_ ones for IPv4 datagrams (Linux's IP_TOS and IP_MTU_DISCOVER,
     * which on an AF_INET6 socket rule its IPv4-mapped connections), the IPV6_ ones for
     * IPv6 datagrams (IPV6_TCLASS, IPV6_MTU_DISCOVER). */
    SYNACK_OPT_IP_TOS,
    SYNACK_OPT_IPV6_TCLASS,
    SYNACK_OPT_IP_MTU_DISCOVER,
    SYNACK_OPT_IPV6_MTU_DISCOVER,
    /* Linux's sk_write_pending, for a caller that emulates a blocking send waiting for the
     * handshake (the packetdrill plug-in): 1 makes the ACK of the SYN-ACK that completes
     * this socket's active open wait up to 200 ms (Linux's TCP_DELACK_MAX) for the waiting
     * writer's data to carry it, as Linux's tcp_rcv_synsent_state_process; data queued by
     * then goes at once with it. The handshake consumes it (reads 0 after). 0 or 1. */
    SYNACK_OPT_WRITE_PENDING,
};
#define SYNACK_TS_TX_SOFTWARE 0x2u     /* SOF_TIMESTAMPING_TX_SOFTWARE: handed to the device */
#define SYNACK_TS_OPT_ID      0x80u    /* SOF_TIMESTAMPING_OPT_ID: a byte counter as the key */
#define SYNACK_TS_TX_SCHED    0x100u   /* SOF_TIMESTAMPING_TX_SCHED: queued for the device */
#define SYNACK_TS_TX_ACK      0x200u   /* SOF_TIMESTAMPING_TX_ACK: the last byte acknowledged */
#define SYNACK_TS_KNOWN       0x3ffffu /* every bit Linux 6.x defines (SOF_TIMESTAMPING_MASK) */
#define SYNACK_CC_NEWRENO     0
#define SYNACK_CC_CUBIC       1
/* SYNACK_OPT_MTU_DISCOVER's values, Linux's IP_PMTUDISC_*. */
#define SYNACK_PMTUDISC_DONT      0
#define SYNACK_PMTUDISC_WANT      1
#define SYNACK_PMTUDISC_DO        2
#define SYNACK_PMTUDISC_PROBE     3
#define SYNACK_PMTUDISC_INTERFACE 4
#define SYNACK_PMTUDISC_OMIT      5
/* Linux's SOCK_MIN_SNDBUF (4608) and SOCK_MIN_RCVBUF (2304), halved: Linux doubles the
 * value it is given for its bookkeeping, synack takes the bytes themselves. */
#define SYNACK_SNDBUF_MIN 2304
#define SYNACK_RCVBUF_MIN 1152
int synack_setopt(synack_stack *s, int sd, int opt, long value);
int synack_getopt(synack_stack *s, int sd, int opt, long *value);

/* What one socket knows, for tools and tests (the RFC's names). */
struct synack_sockinfo {
    int state;
    struct synack_endpoint local, remote;
    uint32_t iss, irs;
    uint32_t snd_una, snd_nxt, snd_wnd, snd_mss;
    uint32_t rcv_nxt, rcv_wnd, rcv_mss;
    uint32_t cwnd, ssthresh;
    uint64_t srtt_us, rttvar_us, rto_us;
    uint64_t bytes_sent, bytes_acked, bytes_received;
    uint64_t segs_out, segs_in, retransmits;
    uint32_t snd_queued, rcv_queued; /* bytes in the rings */
    /* Bytes the application has still to read up to the end of the urgent data the peer
     * announced (RCV.UP, RFC 9293 §3.8.5: MUST-33), perhaps more than have arrived; 0 when
     * none is pending. The urgent bytes themselves stay in the stream (RFC 6093 §6). */
    uint32_t rcv_urgent;
    uint8_t snd_wscale, rcv_wscale;
    bool sack_ok, ts_ok;
    /* The last ICMP error reported for the connection while synchronized (RFC 1122
     * §4.2.3.9: a soft error, never fatal), e.g. SYNACK_EHOSTUNREACH; 0 when none, or once
     * data it concerned has since been acknowledged. It becomes the connection's error if
     * the connection then times out (as Linux's sk_err_soft). */
    int soft_error;
    uint32_t pmtu; /* the path MTU the connection uses (RFC 1191, RFC 4821) */

    /* What Linux's struct tcp_info reports, as far as synack knows it (0 where it does not
     * track a quantity yet, marked so). Segment counts are in send MSS units. */
    uint8_t ca_state;   /* SYNACK_CA_*: Linux's tcpi_ca_state */
    uint8_t backoff;    /* consecutive retransmission timeouts (RTO exponent) */
    uint8_t probes;     /* zero-window or keepalive probes unanswered */
    uint32_t ato_us;    /* the delayed-ACK timeout */
    uint32_t unacked;   /* segments in flight (SND.NXT - SND.UNA) */
    uint32_t sacked;    /* segments the peer reported holding beyond SND.UNA (SACK) */
    uint32_t lost;      /* segments deemed lost and not SACKed (RACK, timeouts) */
    uint32_t retrans;   /* segments sent again whose copy is still in flight */
    uint32_t delivered; /* segments delivered (ACKed or SACKed), the SYN counted */
    /* When (the caller's clock, µs; 0: never) data was last sent, data last received (the
     * handshake's end before any), and a segment last received: Linux's tcpi_last_*. */
    uint64_t last_data_sent_us, last_data_recv_us, last_recv_us;
    uint32_t reordering;    /* reordering degree, segments: 3 (RFC 5681's DupThresh) or more */
    uint32_t rcv_space;     /* the receive buffer in use, auto-tuned up to SYNACK_OPT_RCVBUF */
    uint32_t advmss;        /* the MSS we advertised */
    uint64_t min_rtt_us;    /* the smallest RTT sample; 0 before the first */
    uint64_t bytes_retrans; /* bytes of data sent again */
    uint32_t notsent_bytes; /* queued and never sent */
    /* The delivery rate (bytes per second; 0 before the first sample): Linux's
     * tcpi_delivery_rate, the packets of SND.MSS delivered between the send of the most
     * recently sent packet an ACK delivered and that ACK, over the longer of its send and
     * ACK phases (draft-cheng-iccrg-delivery-rate-estimation). A sample taken while the
     * application left the congestion window unused replaces the last only when higher;
     * delivery_rate_app_limited says the one reported was such a sample (Linux's
     * tcpi_delivery_rate_app_limited). */
    uint64_t delivery_rate;
    bool delivery_rate_app_limited;
    /* Linux's chronographs (tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited), µs:
     * the time with data to send (from the first byte queued until all is acknowledged),
     * of which the time the peer's window held the next segment back, and the time all was
     * sent with room in the congestion window while a send found the buffer full (until
     * half of what it holds is free again). busy_time_us includes the other two. */
    uint64_t busy_time_us;
    uint64_t rwnd_limited_us;
    uint64_t sndbuf_limited_us;
    uint32_t dsack_dups;   /* D-SACK blocks received (RFC 2883) */
    uint32_t reord_seen;   /* ACKs that delivered data below data delivered before */
    uint32_t rto_timeouts; /* retransmission timeouts of this connection */
    bool ecn_ok;           /* ECN was agreed in the handshake (RFC 3168 §6.1.1) */
    /* TCP Fast Open (RFC 7413): the SYN's data was acknowledged by the SYN-ACK (a client),
     * or the connection was born from a SYN with data and a valid cookie (a server): Linux's
     * TCPI_OPT_SYN_DATA. */
    bool syn_data;
    /* Notices (synack_next_notice) queued since the socket was made: a count that only
     * grows, so that a poller can tell a new one from one it has seen (Linux wakes an
     * EPOLLET waiter with EPOLLERR for each). And zero-copy sends still holding a buffer. */
    uint32_t notices, zerocopy_pending;
    /* Memory the connection's rings hold now (bytes, the stack's cfg.mem_max counts it),
     * and the out-of-order bytes given up under memory pressure (reneged, RFC 2018 §8;
     * counted modulo 2^32). */
    uint32_t snd_mem, rcv_mem;
    uint64_t ooo_pruned;
};
/* ca_state values (Linux's TCP_CA_*): what the sender is doing about congestion. */
#define SYNACK_CA_OPEN     0
#define SYNACK_CA_DISORDER 1 /* duplicate ACKs seen, not yet in recovery */
#define SYNACK_CA_CWR      2 /* the window was reduced for an ECN echo (RFC 3168 §6.1.2) */
#define SYNACK_CA_RECOVERY 3 /* fast recovery (NewReno or SACK) */
#define SYNACK_CA_LOSS     4 /* after a retransmission timeout */
/* sd may also name a half-open connection, which holds no socket: a request descriptor,
 * max_sockets + the index of its record (the sd of its trace events). It reports state
 * SYN-RECEIVED, the endpoints, ISS/IRS, windows and options; it stops being valid when the
 * connection is established (accept returns a socket's own sd) or goes. */
int synack_getinfo(const synack_stack *s, int sd, struct synack_sockinfo *info);
/* synack_getinfo with the caller's clock: the times that run while nothing happens (busy,
 * rwnd-limited, sndbuf-limited) are counted up to now. synack_getinfo counts them up to the
 * clock of the stack's last call. */
int synack_getinfo_at(const synack_stack *s, int sd, uint64_t now, struct synack_sockinfo *info);

/* Stack-wide counters. */
struct synack_stats {
    uint64_t ip_in, ip_out, tcp_in, tcp_out, icmp_in, icmp_out;
    uint64_t retransmits, fast_retransmits, rto_timeouts;
    uint64_t rst_out, rst_in, challenge_acks;
    uint64_t conn_opened_active, conn_opened_passive, conn_established, conn_reset;
    uint64_t out_queue_full;
    uint64_t drops; /* all drops; drop_by_reason has the split */
    uint64_t drop_by_reason[64];
    uint32_t sockets_by_state[11];
    uint64_t syn_cookies_sent, syn_cookies_accepted; /* SYN flood defence, RFC 4987 §3.6 */
    uint64_t spurious_retransmits; /* fast retransmissions undone (Eifel, RFC 3522) */
    /* Path MTU (RFC 1191, RFC 5927, RFC 4821): fragmentation-needed errors that lowered a
     * connection's path MTU, those ignored (an MTU not below the current one), and
     * fallbacks to a smaller MSS after repeated timeouts of full-size segments. */
    uint64_t pmtu_lowered, pmtu_ignored, pmtu_blackholes;
    uint64_t icmp_soft_errors; /* ICMP errors recorded as soft errors (RFC 1122 §4.2.3.9) */
    /* ICMP errors about a connection of ours ignored because the TCP sequence number they
     * quote is not in flight (RFC 5927 §4.1; Linux's TcpExtOutOfWindowIcmps). */
    uint64_t icmp_out_of_window;
    /* SYN cookies that were checked and failed (checked only shortly after an overflow);
     * SYNs answered by a cookie because no request record was free (max_half_open); cookie
     * ACKs that could
     * not be given a socket (reset when they carry nothing, dropped when the client will
     * send again). */
    uint64_t syn_cookies_failed, syn_cookies_table_full, syn_cookies_no_room;
    /* Handshakes completed (a half-open entry's ACK, or a cookie's) that found no socket
     * free: reset when the ACK was bare, dropped when it carried data (the client resends). */
    uint64_t handshakes_no_room;
    uint64_t ring_bytes; /* send and receive rings allocated now, all connections */
    /* Segments that arrived with URG set: the urgent pointer is ignored and the bytes stay
     * in the stream, in order (RFC 6093 §6: new applications should not use it). */
    uint64_t urgent_in;
    /* Half-open connections now (request records in use; also counted in
     * sockets_by_state[SYNACK_SYN_RECEIVED]) and the size of one record in bytes. */
    uint32_t half_open, half_open_record;
    /* TIME-WAIT entries that are compact records (the user had closed the socket; also
     * counted in sockets_by_state[SYNACK_TIME_WAIT]) and the size of one in bytes. */
    uint32_t time_wait_records, time_wait_record;
    uint64_t tlp_probes; /* tail loss probes sent (RFC 8985 §7) */
    /* ICMPv6 errors sent (parameter problem, RFC 8200 §4) and those the rate limit held
     * back (RFC 4443 §2.4(f)). */
    uint64_t icmp_errors_out, icmp_errors_limited;
    /* ECN (RFC 3168): segments that arrived marked CE (congestion experienced), and window
     * reductions made for an ECE from the peer (one per round trip at most). */
    uint64_t ecn_ce_received, ecn_reductions;
    /* Loss detection (RFC 8985 RACK, RFC 2883 D-SACK, RFC 5682 F-RTO): times RACK's
     * reordering timer found data lost; D-SACK blocks received; recoveries undone because
     * D-SACKs reported every retransmission (RFC 3708); timeouts found spurious by F-RTO. */
    uint64_t rack_reo_timeouts, dsacks_in, dsack_undos, spurious_rtos;
    /* Slow starts ended by HyStart++ (RFC 9406) on a rise in the round-trip time. */
    uint64_t hystart_exits;
    /* TCP Fast Open (RFC 7413): connections born from a SYN with data and a valid cookie,
     * SYNs that asked for a cookie, SYNs whose cookie was invalid, SYNs with a cookie
     * that fell back to the 3-way handshake for want of room (the queue limit, a socket);
     * as a client: SYNs sent with data, and those whose data the SYN-ACK did not
     * acknowledge. */
    uint64_t tfo_passive, tfo_cookie_reqs, tfo_cookie_invalid, tfo_fallbacks;
    uint64_t tfo_active, tfo_active_failed;
    /* Super-segments: received merged by the device (SYNACK_INPUT_MERGED, GRO), and built
     * for the device to split (cfg.tso_max, TSO); each is one datagram in ip_in/ip_out. */
    uint64_t merged_in, tso_out;
    /* Datagrams whose payload a device read into its place in the receive ring
     * (SYNACK_INPUT_PLACED): the copy into the ring they did not need. */
    uint64_t placed_in;
    /* Zero-copy sends (SYNACK_SEND_ZEROCOPY) whose bytes stayed in the caller's buffer, and
     * those the stack copied; timestamp notices lost to a full notice queue. */
    uint64_t zerocopy_sends, zerocopy_copied, tstamps_dropped;
    /* The stack-wide memory bound (cfg.mem_max): bytes the rings hold now (counted as each
     * buffer is taken and given back; ring_bytes is the same sum, walked), the limit in
     * force, whether the stack is under pressure now, times it entered pressure, ring
     * buffers refused for the limit, and out-of-order data given up: prunes (one per
     * connection trimmed) and bytes. */
    uint64_t mem_held, mem_max;
    uint32_t mem_pressure;
    uint64_t mem_pressure_entries, mem_refused, mem_prunes, mem_pruned_bytes;
};
void synack_get_stats(const synack_stack *st, struct synack_stats *out);

#ifdef __cplusplus
}
#endif
#endif
