/*
 * tools/synack/loop.h - the event loop that `serve` and `connect` share: one stack on one
 * device (a TUN device, maybe wrapped by the fault injector and the capture tap), epoll on the
 * device's descriptor, a signalfd and the tool's own descriptors, the stack's next deadline as
 * the timeout; input read in batches, output flushed in batches. Also the live trace (a ladder
 * per connection on stderr) and the capture tap (every datagram both ways into a pcap file).
 */
#ifndef SYNACK_TOOLS_LOOP_H
#define SYNACK_TOOLS_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/dev.h"
#include "synack/synack.h"
#include "synack/trace.h"
#include "synack/tun.h"

/* Microseconds on CLOCK_MONOTONIC: the `now` every stack call takes. */
uint64_t loop_now(void);

struct loop_ops {
    /* After each batch of input and the timers: the application moves its data. */
    void (*app)(void *ctx, uint64_t now);
    /* A signal the loop was asked to catch arrived. */
    void (*on_signal)(void *ctx, int signo, uint64_t now);
    /* A descriptor added with loop_watch() is ready. */
    void (*on_fd)(void *ctx, int fd, uint32_t events, uint64_t now);
    /* The application's own next deadline (a shutdown bound), UINT64_MAX for none. */
    uint64_t (*deadline)(void *ctx);
    /* True ends the loop (checked after output is flushed). */
    bool (*done)(void *ctx);
    /* The tool's descriptors carry its data (connect's stdin), not only control: epoll looks
     * at them after every batch, as it looks at the device, instead of every LOOP_LOOK_US. */
    bool data_fds;
};

/* Datagrams read at most before the stack's output is flushed and timers run. A batch
 * seldom fills the stack's output queue (cfg.out_queue, 512 datagrams), but it can (with
 * cfg.defer_output a datagram's answer may be several segments): a full queue is counted
 * (out_queue_full) and the socket sends the rest on a later flush. */
#define LOOP_BATCH 64
/* Batches of one in a row that never found the device dry before the loop drains it once. */
#define LOOP_STREAK 8
/* While the device keeps the loop busy, epoll still looks at the signals and the other
 * descriptors at least this often (µs). */
#define LOOP_LOOK_US 1000

struct loop {
    synack_stack *stack;
    synack_dev *dev; /* the outermost device: faults(tap(tun)) */
    int dev_fd;
    int ep, sig_fd;
    sigset_t old_mask;
    bool mask_set;
    uint64_t wakeups, batches_full, in_packets, out_packets, out_errors;
    uint64_t reads, reads_empty; /* device reads, and those that found nothing */
    /* The next batch's size (loop_batch_next): 1 while datagrams come one per answer, so
     * that each is answered before the next read and no read is spent finding the device
     * empty; LOOP_BATCH otherwise, read until the device runs dry. */
    unsigned want, streak;
    /* `serve --io-uring`: loop_run runs loop_uring_run (loop_uring.c) while datagrams come
     * in batches and the epoll loop while they come one per answer, and falls back to the
     * epoll loop where the kernel refuses the ring. announce: loop_run says which loop runs,
     * on stderr, after who (NULL: says nothing), and at the end how often they handed over. */
    bool use_uring;
    const char *announce;
    /* Set by loop_uring_run while it runs: the ring's task-work mode, and whether the
     * writes' buffers are registered (WRITE_FIXED). */
    const char *uring_mode;
    bool uring_fixed;
    /* The ring between its turns (loop_uring.c), kept while the epoll loop runs a stretch
     * of one-datagram-per-answer traffic; NULL without one. switches: hand-overs between
     * the two loops. */
    struct loop_uring *uring_live;
    uint64_t switches;
    /* `serve --busy-poll US`: when a read found the device empty and the loop would sleep,
     * it looks at the epoll set without waiting for up to busy_us µs first (never past the
     * next deadline). busy_hits: spins that found the device readable; busy_misses: spins
     * that ran out (or met another descriptor) and went on to the wait. */
    uint64_t busy_us, busy_hits, busy_misses;
};

/* Blocks the given signals (0-terminated list) and routes them to a signalfd; makes the
 * epoll set with dev_fd in it. signals NULL: no signalfd, the mask left alone (a loop on a
 * thread whose process takes its signals elsewhere). Returns 0, or -1 with a message printed. */
int loop_open(struct loop *l, synack_stack *s, synack_dev *dev, int dev_fd, const int *signals);
int loop_watch(struct loop *l, int fd, uint32_t events);
int loop_unwatch(struct loop *l, int fd);
/* The size of the next batch after one that read got datagrams (of l->want asked): a batch
 * that ran the device dry after one datagram means one at a time; after more, until dry; a
 * batch of one that filled keeps one at a time, until LOOP_STREAK of them in a row. */
void loop_batch_next(struct loop *l, unsigned got);
/* Runs until ops->done() says so: reads a batch, runs the timers and ops->app, flushes the
 * output, and reads again at once while the device may have more (see loop.c); waits in
 * epoll only when a read found nothing. Returns 0, or -1 when epoll failed. */
int loop_run(struct loop *l, const struct loop_ops *ops, void *ctx);
void loop_close(struct loop *l);
/* Looks at the epoll set without waiting and hands what is ready to ops (signals, the tool's
 * descriptors): the io_uring loop calls it when its poll of the set fires. 0, or -1. */
int loop_look(struct loop *l, const struct loop_ops *ops, void *ctx);
/* The earliest deadline of the stack, the device and the application (ops->deadline): when
 * either loop must wake at the latest. */
uint64_t loop_deadline(const struct loop *l, const struct loop_ops *ops, void *ctx);
/* The io_uring loop (loop_uring.c): what loop_run does, on a ring. Returns 0 or -1 as
 * loop_run, or LOOP_URING_REFUSED with *why (and errno) saying why it cannot run here;
 * the epoll set is then as loop_open made it. */
#define LOOP_URING_REFUSED 1
/* Returned by either loop when the other should run (`--io-uring` only): of
 * LOOP_SWITCH_WINDOW turns that read something, at least LOOP_SWITCH_BURSTY read several
 * datagrams (epoll hands over to the ring), or none did and none wrote more than one (the
 * ring hands over to epoll). */
#define LOOP_SWITCH        2
#define LOOP_SWITCH_WINDOW 16
#define LOOP_SWITCH_BURSTY 8
int loop_uring_run(struct loop *l, const struct loop_ops *ops, void *ctx, const char **why);
/* Frees the ring loop_uring_run keeps between its turns (l->uring_live), if any. */
void loop_uring_free(struct loop *l);

/* ---- the capture tap: a device that writes every datagram both ways into a pcap file ---- */
synack_dev *tap_wrap(synack_dev *inner, synack_pcap_writer *w);

/* One address family of the TUN side: the stack's address and the kernel's, each with its
 * prefix. */
struct tun_family {
    bool on;
    struct synack_addr addr, host;
    uint8_t prefix, host_prefix;
    bool addr_given, host_given; /* --addr / --host-addr of this family */
};

/* The TUN side that `serve` and `connect` share: the device, the stack's and the kernel's
 * addresses of both families, and the capture tap. Defaults (docs/interop.md): IPv4 synack
 * 10.7.0.2/24, kernel 10.7.0.1/24; IPv6 synack fd00:7::2/64, kernel fd00:7::1/64 (a unique
 * local prefix, RFC 4193). Without --addr/--host-addr both families run; with them, only the
 * families they name; --no-ipv4 / --no-ipv6 turn one off. */
struct tun_side {
    const char *tun_name, *pcap_path;
    struct tun_family v4, v6;
    bool no_v4, no_v6;
    /* Open the device with IFF_VNET_HDR and its offloads (synack_tun_open_offload): serve
     * does unless --no-offload or --faults; connect does not. */
    bool offload;
    /* --queues N (serve): the device is multi-queue, opened N times; tun is queue 0 and
     * more[1..N-1] the others, until their owner takes them (and sets them NULL) */
    unsigned nqueues;
    synack_dev *more[SYNACK_TUN_MAX_QUEUES];
    synack_dev *tun; /* the TUN device itself */
    synack_dev *dev; /* what the stack talks to: tun, in the tap with --pcap */
    synack_pcap_writer *pcap;
};
void tun_side_defaults(struct tun_side *s);
/* --tun, --addr, --host-addr, --pcap: 1 when opt is one of them with a good value, 0 when
 * it is none of them, -1 when its value is bad (a message is printed, starting with who). */
int tun_side_option(struct tun_side *s, const char *who, const char *opt, const char *val);
/* --no-ipv4, --no-ipv6 (no value): 1 when opt is one of them, else 0. */
int tun_side_flag(struct tun_side *s, const char *opt);
/* After the options: decides which families run and checks that each family's two
 * addresses share the stack's prefix. 0, or -1 with a message. */
int tun_side_finish(struct tun_side *s, const char *who);
/* Opens or creates the device, configures the kernel's side (a device we may not configure
 * is used as it is, with a note), opens the capture. A default IPv6 the kernel refuses
 * (disabled on the device, or a device MTU under 1280) is turned off with a note; an IPv6
 * address given is an error then. Messages start with who. 0 or -1. */
int tun_side_open(struct tun_side *s, const char *who);
/* The stack's addresses of the families that run, into its config, and the largest
 * super-segment the device splits (cfg.tso_max, 0 without offloads). */
void tun_side_config(const struct tun_side *s, struct synack_config *cfg);
/* "kernel 10.7.0.1/24 fd00:7::1/64, synack 10.7.0.2/24 fd00:7::2/64" into buf; stack_first:
 * "stack 10.7.0.2/24 fd00:7::2/64, kernel 10.7.0.1/24 fd00:7::1/64" (the status page's order
 * since before IPv6). Returns buf. */
const char *tun_side_describe(const struct tun_side *s, bool stack_first, char *buf, size_t cap);
/* Frees the device chain (s->dev and what it wraps, or the bare TUN) and closes the capture. */
void tun_side_close(struct tun_side *s);

/* ---- the live trace: one ladder per connection, on out ------------------------------------ */
struct live_trace;
/* peer_name: the column of the far end ("kernel"); the stack's own column is "synack". */
struct live_trace *live_trace_new(FILE *out, const char *peer_name, bool synack_left);
/* A synack_trace_fn (ctx is the live_trace). */
void live_trace_event(void *ctx, const struct synack_trace_event *ev);
/* Prints what the ladders hold back (called once per loop iteration, so it is live). */
void live_trace_flush(struct live_trace *t);
void live_trace_free(struct live_trace *t);

/* Parses "ADDR[/n]" of either family ("10.7.0.2/24", "fd00:7::2/64", "[fd00:7::2]/64");
 * 0, or -1. prefix is left alone when there is no "/n". */
int parse_addr_prefix(const char *s, struct synack_addr *addr, uint8_t *prefix);

/* "10.7.0.1:80" or "[fd00:7::1]:80" (RFC 3986 §3.2.2's brackets) into buf; returns buf.
 * ENDPOINT_STRLEN bytes hold any. */
#define ENDPOINT_STRLEN (SYNACK_ADDR_STRLEN + 8)
const char *endpoint_str(const struct synack_addr *a, uint16_t port, char *buf, size_t cap);

/* Prints the stack's counters (segments, retransmissions, drops by reason, sockets by state)
 * as "name value" lines, or as one JSON object when json. */
void print_stats(FILE *f, const synack_stack *s, bool json);
/* The same JSON object's members without its braces, for a caller that adds its own. */
void print_stats_members(FILE *f, const synack_stack *s);

#endif
