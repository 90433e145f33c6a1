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
};

struct loop {
    synack_stack *stack;
    synack_dev *dev; /* the outermost device: faults(tap(tun)) */
    int dev_fd;
    int ep, sig_fd;
    sigset_t old_mask;
    bool mask_set;
    uint64_t wakeups, batches_full, in_packets, out_packets, out_errors;
};

/* Blocks the given signals (0-terminated list) and routes them to a signalfd; makes the
 * epoll set with dev_fd in it. Returns 0, or -1 with a message printed. */
int loop_open(struct loop *l, synack_stack *s, synack_dev *dev, int dev_fd, const int *signals);
int loop_watch(struct loop *l, int fd, uint32_t events);
int loop_unwatch(struct loop *l, int fd);
/* Runs until ops->done() says so. Returns 0, or -1 when epoll failed. */
int loop_run(struct loop *l, const struct loop_ops *ops, void *ctx);
void loop_close(struct loop *l);

/* ---- the capture tap: a device that writes every datagram both ways into a pcap file ---- */
synack_dev *tap_wrap(synack_dev *inner, synack_pcap_writer *w);

/* The TUN side that `serve` and `connect` share: the device, the stack's and the kernel's
 * addresses, and the capture tap. */
struct tun_side {
    const char *tun_name, *pcap_path;
    uint32_t addr, host_addr; /* defaults 10.7.0.2/24 and 10.7.0.1/24 */
    uint8_t prefix, host_prefix;
    synack_dev *tun; /* the TUN device itself */
    synack_dev *dev; /* what the stack talks to: tun, in the tap with --pcap */
    synack_pcap_writer *pcap;
};
void tun_side_defaults(struct tun_side *s);
/* --tun, --addr, --host-addr, --pcap: 1 when opt is one of them with a good value, 0 when
 * it is none of them, -1 when its value is bad. */
int tun_side_option(struct tun_side *s, const char *opt, const char *val);
/* Opens or creates the device, configures the kernel's side (a device we may not configure
 * is used as it is, with a note), opens the capture. Messages start with who. 0 or -1. */
int tun_side_open(struct tun_side *s, const char *who);
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

/* Formats "a.b.c.d" into buf (16 bytes) from host byte order. */
const char *ip_str(uint32_t addr, char *buf);
/* Parses "a.b.c.d[/n]"; 0, or -1. prefix is left alone when there is no "/n". */
int parse_addr_prefix(const char *s, uint32_t *addr, uint8_t *prefix);

/* Prints the stack's counters (segments, retransmissions, drops by reason, sockets by state)
 * as "name value" lines, or as one JSON object when json. */
void print_stats(FILE *f, const synack_stack *s, bool json);
/* The same JSON object's members without its braces, for a caller that adds its own. */
void print_stats_members(FILE *f, const synack_stack *s);

#endif
