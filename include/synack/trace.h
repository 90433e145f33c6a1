/*
 * synack/trace.h - the event stream, and its consumers: the ladder renderer, the pcap
 * writer and the capture reader behind `synack trace`.
 *
 * A stack (and a simulated link) calls the configured synack_trace_fn with one event for
 * every segment in and out, every state change, every timer that fires and every drop,
 * with a named reason. Consumers only read events; nothing in an event stays valid after
 * the callback returns. The callback runs in the middle of the stack's work: it may read
 * (synack_getinfo, synack_events, synack_get_stats) but a call that would change the stack
 * (input, output, poll, the socket calls, synack_next_event) returns SYNACK_EBUSY.
 */
#ifndef SYNACK_TRACE_H
#define SYNACK_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/drop.h"
#include "synack/packet.h"

#ifdef __cplusplus
extern "C" {
#endif

enum synack_trace_kind {
    SYNACK_TRACE_SEG_OUT = 1, /* the stack queued a datagram (seg parsed, pkt the bytes) */
    SYNACK_TRACE_SEG_IN,      /* a datagram arrived and parsed as TCP (seg, pkt) */
    SYNACK_TRACE_STATE,       /* a connection changed state (old_state -> new_state) */
    SYNACK_TRACE_TIMER,       /* a timer fired (timer) */
    SYNACK_TRACE_DROP,        /* a datagram was dropped (reason; seg/pkt when it parsed) */
    SYNACK_TRACE_LINK,        /* a link event from dev/sim or faults: link_event, and seg
                               * when the datagram parses as TCP */
    SYNACK_TRACE_PKT_OUT,     /* a non-TCP datagram sent (ICMP): pkt only */
    SYNACK_TRACE_PKT_IN,      /* a non-TCP datagram received: pkt only */
};

enum synack_timer_kind {
    SYNACK_TIMER_RTX = 1,   /* retransmission (RFC 6298) */
    SYNACK_TIMER_PERSIST,   /* zero-window probe (RFC 9293 §3.8.6.1) */
    SYNACK_TIMER_DELACK,    /* delayed ACK (RFC 9293 §3.8.6.3) */
    SYNACK_TIMER_TIME_WAIT, /* 2*MSL (RFC 9293 §3.4.2) */
    SYNACK_TIMER_KEEPALIVE, /* RFC 1122 §4.2.3.6 */
    SYNACK_TIMER_CONN,      /* handshake give-up */
    SYNACK_TIMER_TLP,       /* tail loss probe (RFC 8985 §7) */
    SYNACK_TIMER_REO,       /* RACK's reordering timer (RFC 8985 §6.2) */
};
const char *synack_timer_name(int timer);

enum synack_link_event {
    SYNACK_LINK_LOST = 1, /* the link dropped it (loss) */
    SYNACK_LINK_DUPLICATED,
    SYNACK_LINK_REORDERED, /* held back so that later packets pass it */
    SYNACK_LINK_CORRUPTED,
    SYNACK_LINK_QUEUE_DROP, /* the bottleneck queue was full */
    SYNACK_LINK_CE_MARKED,  /* an ECN-capable datagram marked CE (congestion experienced) */
};

struct synack_trace_event {
    enum synack_trace_kind kind;
    uint64_t now;    /* microseconds, the caller's clock */
    const char *who; /* the stack's or link's name for renderers ("client", ...) */
    int sd;          /* socket descriptor, -1 when none */
    /* The connection the event belongs to, from this stack's side (STATE, TIMER, and
     * SEG_* too); remote is the unspecified address, port 0, for a listening socket. */
    struct synack_addr local_addr, remote_addr;
    uint16_t local_port, remote_port;
    /* SEG_IN / SEG_OUT / DROP (when it parsed) */
    bool has_seg;
    struct synack_segment seg;
    bool retransmit;    /* SEG_OUT: this sequence space was sent before */
    const uint8_t *pkt; /* the whole IPv4 or IPv6 datagram, for pcap writers */
    uint32_t pkt_len;
    /* STATE */
    int old_state, new_state;
    /* TIMER */
    int timer;
    /* DROP */
    int reason;
    /* LINK */
    int link_event;
    /* SEG_OUT made from a capture by `synack trace`: its analysis marks, drawn with the
     * arrow ("dup ack #2", "zero window"); NULL otherwise. */
    const char *annotation;
};

/* ---- the ladder renderer ----------------------------------------------------------------
 * Draws events as a ladder diagram: one column per endpoint, an arrow per segment with its
 * flags, seq/ack (relative to each side's ISN unless absolute), length and window, states
 * entered in each column, times on the left. Lost segments and retransmissions are marked. */
struct synack_ladder_opts {
    bool absolute;         /* real sequence numbers rather than relative */
    bool color;            /* ANSI colour */
    bool show_timers;      /* timer events as lines of their own */
    bool show_drops;       /* drops inside the stacks as lines of their own */
    int width;             /* total width in columns; 0 = 100 */
    const char *left_name; /* headings, e.g. "client" */
    const char *right_name;
    /* A state entered by the receiver of a segment at the same instant shares the segment's
     * line (captures: the receiver's change is inferred at the time its input was seen).
     * Off: such a state gets a line of its own. */
    bool receiver_states_inline;
};
typedef struct synack_ladder synack_ladder;
/* left/right: the endpoints drawn in the left and right columns, either family;
 * SYNACK_ADDR_ANY with port 0: learnt from the first event of a connection. */
synack_ladder *synack_ladder_new(FILE *out, const struct synack_ladder_opts *opts,
                                 struct synack_addr left_addr, uint16_t left_port,
                                 struct synack_addr right_addr, uint16_t right_port);
/* Feed every event (a synack_trace_fn: ctx is the ladder). Events of other connections are
 * ignored. */
void synack_ladder_event(void *ladder, const struct synack_trace_event *ev);
/* A line of text across the middle at time now, in order with the events around it, e.g. a
 * phase: "3-way handshake". */
void synack_ladder_note(synack_ladder *l, uint64_t now, const char *text);
/* Flushes what is pending. */
void synack_ladder_finish(synack_ladder *l);
void synack_ladder_free(synack_ladder *l);

/* ---- the pcap writer (DLT_RAW: each record is one IPv4 or IPv6 datagram) ---------------- */
typedef struct synack_pcap_writer synack_pcap_writer;
synack_pcap_writer *synack_pcap_open(const char *path, int *err);
/* A synack_trace_fn: writes SEG_OUT and PKT_OUT datagrams (each packet once, as sent);
 * ctx is the writer. */
void synack_pcap_event(void *writer, const struct synack_trace_event *ev);
int synack_pcap_write(synack_pcap_writer *w, uint64_t now, const uint8_t *pkt, uint32_t len);
/* Pushes buffered records to the file (a long-running `serve --pcap` calls it now and then).
 * Returns 0, or SYNACK_ESYS when a write failed since the file was opened. */
int synack_pcap_flush(synack_pcap_writer *w);
void synack_pcap_close(synack_pcap_writer *w);

/* ---- `synack trace`: read a capture and draw its connections (issue 6) ----------------- */
struct synack_trace_opts {
    int conn; /* 0 = all, else the 1-based connection number */
    bool absolute;
    bool color;
    const char *html_path;        /* write a self-contained HTML report */
    const char *svg_seq_path;     /* time-sequence graph */
    const char *svg_ladder_path;  /* ladder as SVG */
    uint32_t max_ladder_segments; /* per connection in the terminal ladder; 0 = default
                                   * (100 for each connection; all with conn set) */
    bool tsv;   /* instead of ladders: one line per TCP packet, "frame<TAB>connection<TAB>
                 * annotations" with tshark's tcp.analysis field names, for comparison */
    bool quiet; /* no terminal output but the summary (with html/svg outputs) */
};
/* Returns 0, or a negative SYNACK_E* code with a message printed to err. */
int synack_trace_file(const char *path, const struct synack_trace_opts *opts, FILE *out, FILE *err);

#ifdef __cplusplus
}
#endif
#endif
