/*
 * capture/analyze.h - reconstructs TCP connections from captured segments: groups them by
 * 4-tuple, IPv4 or IPv6 (a new SYN after the close starts a new connection), infers the RFC
 * 9293 state of each endpoint from what it sent and received, names the phases, and annotates
 * segments the way Wireshark's expert info does (retransmission, dup ack, zero window, ...),
 * computed here.
 *
 * Streaming: one call per packet, in capture order; memory grows with the connections, not
 * with the packets (each connection keeps at most `keep` packet records for drawing).
 */
#ifndef SYNACK_CAPTURE_ANALYZE_H
#define SYNACK_CAPTURE_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"

/* Annotations: name, the tshark field (tcp.analysis.<field>) that means the same. */
#define TR_ANNOTATIONS(X)                                                                          \
    X(RETRANSMISSION, "retransmission", "retransmission")                                          \
    X(FAST_RETRANSMISSION, "fast retransmission", "fast_retransmission")                           \
    X(SPURIOUS_RETRANSMISSION, "spurious retransmission", "spurious_retransmission")               \
    X(OUT_OF_ORDER, "out-of-order", "out_of_order")                                                \
    X(LOST_SEGMENT, "previous segment not captured", "lost_segment")                               \
    X(ACK_UNSEEN, "ACKed unseen segment", "ack_lost_segment")                                      \
    X(DUP_ACK, "dup ack", "duplicate_ack")                                                         \
    X(ZERO_WINDOW, "zero window", "zero_window")                                                   \
    X(ZERO_WINDOW_PROBE, "zero window probe", "zero_window_probe")                                 \
    X(WINDOW_FULL, "window full", "window_full")                                                   \
    X(WINDOW_UPDATE, "window update", "window_update")                                             \
    X(KEEP_ALIVE, "keep-alive", "keep_alive")                                                      \
    X(KEEP_ALIVE_ACK, "keep-alive ack", "keep_alive_ack")                                          \
    X(RST, "RST", "reset")                                                                         \
    X(REUSED_PORTS, "4-tuple reused", "reused_ports")

enum tr_ann_bit {
#define TR_ANN_BIT(name, text, field) TR_ANN_BIT_##name,
    TR_ANNOTATIONS(TR_ANN_BIT) TR_ANN_COUNT
#undef TR_ANN_BIT
};
#define TR_ANN(name) (1u << TR_ANN_BIT_##name)
/* any of the retransmission kinds */
#define TR_ANN_ANY_RTX                                                                             \
    (TR_ANN(RETRANSMISSION) | TR_ANN(FAST_RETRANSMISSION) | TR_ANN(SPURIOUS_RETRANSMISSION))

const char *tr_ann_name(int bit);
const char *tr_ann_field(int bit);
/* "dup ack #2, window full" for the bits of ann (dup_num for the dup ack's number). */
const char *tr_ann_str(uint32_t ann, uint32_t dup_num, bool skip_plain_rtx, char *buf, size_t cap);

/* Phase names drawn across a ladder before a segment. */
enum tr_phase {
    TR_PHASE_NONE = 0,
    TR_PHASE_HANDSHAKE,   /* "3-way handshake" */
    TR_PHASE_SIMUL_OPEN,  /* "simultaneous open" */
    TR_PHASE_DATA,        /* "data transfer" */
    TR_PHASE_CLOSE,       /* "4-way close" */
    TR_PHASE_SIMUL_CLOSE, /* "simultaneous close" */
    TR_PHASE_RESET,       /* "reset" */
};
const char *tr_phase_name(int phase);

/* One captured segment of a connection, as drawn. Sequence numbers are absolute. */
struct tr_rec {
    uint64_t t; /* capture time, µs */
    uint64_t frame;
    uint32_t seq, ack, len; /* len: payload bytes (from the IP header) */
    uint32_t win;           /* the window in bytes, scaled when the scale is known */
    uint32_t ann;           /* TR_ANN bits */
    uint32_t dup_num;       /* with DUP_ACK: the how-manyth duplicate */
    uint16_t flags;
    uint16_t raw_win;
    uint8_t dir;       /* 0: sent by endpoint 0 (the client), 1: by endpoint 1 */
    int8_t state_tx;   /* state the sender entered by sending this, or -1 */
    int8_t state_rx;   /* state the receiver entered on receiving it, or -1 */
    uint8_t phase;     /* tr_phase starting with this segment */
    uint8_t time_wait; /* bit 0/1: the client/server entered TIME-WAIT with it */
    bool truncated;
    /* options worth drawing (SYN: mss, sackOK, ts, ws; any: SACK blocks) */
    bool has_mss, sack_ok, has_ts, has_ws;
    uint8_t ws;
    uint16_t mss;
    uint8_t nsack;
    uint32_t sack[SYNACK_TCP_MAX_SACK][2];
};

struct tr_dir {
    bool seen;
    bool syn; /* a SYN seen from this side (isn valid) */
    uint32_t isn;
    int ws;         /* window scale this side announced, -1: none */
    bool have_next; /* next expected sequence number */
    uint32_t next;
    uint64_t next_time; /* when next last advanced */
    bool have_ack;      /* last-seen acknowledgment number */
    uint32_t ack;
    uint64_t ack_time; /* when the last ACK from this side was seen */
    bool have_win;
    uint32_t win;     /* last window, bytes */
    uint32_t dupacks; /* duplicate ACKs in a row */
    bool last_keepalive;
    bool fin; /* a FIN seen: fin_seq is its sequence number */
    uint32_t fin_seq;
    bool fin_acked;
    bool acked_peer_fin; /* this side has acknowledged the peer's FIN */
    /* summary */
    uint64_t pkts, bytes, rtx_bytes;
    uint64_t first_t, last_t;
    /* one timed segment for RTT samples (Karn: never a retransmitted one) */
    bool timing;
    uint32_t timed_end;
    uint64_t timed_t;
};

/* An address of either family. IPv4's is in b[0..3], network byte order, the rest 0. */
struct tr_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t b[16];
};
/* The longest endpoint string, "[ffff:...:255.255.255.255]:65535" and its 0. */
#define TR_ENDPOINT_STRLEN 56
/* The source and destination addresses of an analysable packet (TR_PKT_TCP4 or _TCP6). */
void tr_packet_addrs(const struct tr_packet *p, struct tr_addr *src, struct tr_addr *dst);
/* An IPv4 address in host byte order (0 for IPv6). */
uint32_t tr_addr_v4(const struct tr_addr *a);
/* "10.0.0.1" or "fd00:7::1" (RFC 5952: lower case, the longest run of two or more zero
 * groups compressed, the first of equals; ::ffff:0:0/96 and ::/96 as dotted quads, as
 * inet_ntop and tshark write them). Returns buf. */
const char *tr_addr_str(const struct tr_addr *a, char *buf, size_t cap);
/* The address in the stack's one address type (synack/addr.h); an IPv6 one keeps its
 * family even when IPv4-mapped, so that it prints as the capture spelled it. */
struct synack_addr tr_addr_to(const struct tr_addr *a);
/* "10.0.0.1:80" or "[fd00:7::1]:8080" (RFC 5952 §6). Returns buf. */
const char *tr_endpoint_str(const struct tr_addr *a, uint16_t port, char *buf, size_t cap);

struct tr_conn {
    uint32_t id;            /* 1-based, in order of first packet */
    struct tr_addr addr[2]; /* endpoint 0: the client (sent the first SYN), else the first
                             * packet's sender */
    uint16_t port[2];
    bool handshake_seen; /* SYN from endpoint 0 */
    struct tr_dir d[2];
    int8_t state[2]; /* inferred, -1 unknown */
    bool closed;     /* both FINs acked or an RST: a new SYN opens a new connection */
    int first_fin;   /* endpoint that sent the first FIN, -1 */
    int rst_by;      /* endpoint that sent the first RST, -1 */
    bool simul_close;
    bool data_phase;
    bool time_wait[2];
    uint64_t first_t, last_t;
    uint64_t pkts;
    uint64_t ann_count[TR_ANN_COUNT];
    /* RTT: the handshake's (SYN to the ACK of the SYN-ACK), and data samples */
    uint64_t syn_t;
    bool have_hs_rtt;
    uint64_t hs_rtt;
    uint64_t rtt_samples, rtt_sum, rtt_min, rtt_max;
    /* records kept for drawing */
    struct tr_rec *recs;
    uint32_t nrecs, caprecs;
    uint64_t recs_dropped;
    bool keep;             /* records are kept for this connection */
    struct tr_conn *hnext; /* hash chain */
    void *user;            /* the caller's (a live ladder) */
};

struct tr_analyzer_opts {
    uint32_t keep_recs; /* records kept per connection (0 = none) */
    uint32_t keep_conn; /* keep records only for this connection id; 0 = for each of the first
                         * keep_conns connections */
    uint32_t keep_conns;
    uint32_t max_conns; /* connections tracked; later ones are counted, not analysed */
};

typedef struct tr_analyzer tr_analyzer;
tr_analyzer *tr_analyzer_new(const struct tr_analyzer_opts *o);
void tr_analyzer_free(tr_analyzer *a);
/* Analyses one TCP packet (p->kind == TR_PKT_TCP4 or TR_PKT_TCP6). Returns its connection and fills
 * rec, or NULL when the connection table is full. */
struct tr_conn *tr_analyze(tr_analyzer *a, const struct tr_packet *p, struct tr_rec *rec);
/* Connections in order of id (valid until tr_analyzer_free). */
size_t tr_conn_count(const tr_analyzer *a);
struct tr_conn *tr_conn_get(const tr_analyzer *a, size_t i);
uint64_t tr_untracked_packets(const tr_analyzer *a);
/* Bytes allocated by the analyzer now (connections, hash, records): tests bound it. */
size_t tr_analyzer_mem(const tr_analyzer *a);

/* "4-way close (client first)", "reset by server", "open at end of capture", ... */
const char *tr_conn_close_str(const struct tr_conn *c, char *buf, size_t cap);
/* "client"/"server" when the handshake was seen, else "A"/"B". */
const char *tr_side_name(const struct tr_conn *c, int side);

#endif
