/*
 * tools/synack/loop.c - the event loop of `serve` and `connect` (see loop.h): epoll over the
 * device, a signalfd and the tool's descriptors, with the stack's next deadline as the timeout;
 * the capture tap; the live ladder trace; counters and address helpers they share.
 *
 * Why batches: every wakeup costs a system call or two, and a burst from the kernel's TCP
 * (a window's worth of segments) is best fed to the stack as a whole, so its ACKs can be
 * coalesced by the delayed-ACK rule (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2) and its output
 * flushed once.
 *
 * Why batches of one: in a request/answer exchange (a connection's handshake, a ping-pong)
 * one datagram comes per answer, and reading on until the device is empty costs a read that
 * finds nothing before every answer; an epoll_wait before every read costs another. A batch
 * that emptied the device after one datagram makes the next batch one datagram, answered
 * before the next read; that read, right after our write, usually finds the kernel client's
 * next datagram (docs/performance.md: the client runs inside our write on this CPU). So a
 * round trip is one read and one write, as for lwIP, and the loop sleeps in epoll only when a
 * read found nothing.
 */
#include "loop.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "synack/tun.h"

#define LOOP_BUF 65536

uint64_t loop_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int loop_open(struct loop *l, synack_stack *s, synack_dev *dev, int dev_fd, const int *signals)
{
    memset(l, 0, sizeof *l);
    l->stack = s;
    l->dev = dev;
    l->dev_fd = dev_fd;
    l->sig_fd = -1;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->ep < 0) {
        perror("epoll_create1");
        return -1;
    }
    if (!signals) {
        /* Another thread of the process takes the signals (serve's other queues). */
        return loop_watch(l, dev_fd, EPOLLIN);
    }
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; signals[i]; i++) sigaddset(&set, signals[i]);
    /* Blocked, the signals wait in the signalfd: handled in the loop like any input, so no
     * handler runs in the middle of the stack and no global flag is needed. */
    if (sigprocmask(SIG_BLOCK, &set, &l->old_mask) < 0) {
        perror("sigprocmask");
        return -1;
    }
    l->mask_set = true;
    l->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (l->sig_fd < 0) {
        perror("signalfd");
        return -1;
    }
    if (loop_watch(l, l->sig_fd, EPOLLIN) < 0 || loop_watch(l, dev_fd, EPOLLIN) < 0) return -1;
    return 0;
}

int loop_watch(struct loop *l, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) return -1;
    return 0;
}

int loop_unwatch(struct loop *l, int fd)
{
    return epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
}

void loop_close(struct loop *l)
{
    if (!l->stack) return; /* never opened */
    if (l->sig_fd >= 0) close(l->sig_fd);
    if (l->ep >= 0) close(l->ep);
    if (l->mask_set) sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
    l->sig_fd = l->ep = -1;
    l->mask_set = false;
}

static void flush_output(struct loop *l, uint64_t now, uint8_t *buf)
{
    (void)buf;
    int n;
    uint32_t gso;
    const uint8_t *pkt;
    /* Straight from the stack's queue to the device: no copy in between. */
    while ((n = synack_output_next(l->stack, now, &pkt, &gso)) > 0) {
        if (synack_dev_send_gso(l->dev, now, pkt, (size_t)n, gso) < 0) l->out_errors++;
        l->out_packets++;
    }
}

uint64_t loop_deadline(const struct loop *l, const struct loop_ops *ops, void *ctx)
{
    uint64_t deadline = synack_next_deadline(l->stack);
    uint64_t d = synack_dev_next_deadline(l->dev);
    if (d < deadline) deadline = d;
    if (ops->deadline) {
        d = ops->deadline(ctx);
        if (d < deadline) deadline = d;
    }
    return deadline;
}

/* The wait in epoll: for the device when it ran dry (and every other descriptor), with the
 * earliest deadline as its timeout; a look without waiting (timeout 0) when the device may
 * still have input. -1 when epoll failed. */
static int loop_wait(struct loop *l, const struct loop_ops *ops, void *ctx, uint64_t now,
                     bool look_only)
{
    int timeout = 0;
    if (!look_only) {
        uint64_t deadline = loop_deadline(l, ops, ctx);
        if (deadline <= now)
            timeout = 0; /* a timer is due */
        else if (deadline == UINT64_MAX)
            timeout = -1;
        else {
            /* Rounded up: waking a little late costs nothing; early would spin. */
            uint64_t ms = (deadline - now + 999) / 1000;
            timeout = ms > 60000 ? 60000 : (int)ms;
        }
    }
    struct epoll_event evs[16];
    int n = epoll_wait(l->ep, evs, 16, timeout);
    l->wakeups++;
    if (n < 0) {
        if (errno == EINTR) return 0;
        perror("epoll_wait");
        return -1;
    }
    now = loop_now();
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == l->sig_fd) {
            struct signalfd_siginfo si;
            while (read(l->sig_fd, &si, sizeof si) == (ssize_t)sizeof si)
                if (ops->on_signal) ops->on_signal(ctx, (int)si.ssi_signo, now);
        } else if (fd != l->dev_fd && ops->on_fd) {
            ops->on_fd(ctx, fd, evs[i].events, now);
        }
    }
    return 0;
}

void loop_batch_next(struct loop *l, unsigned got)
{
    if (got == 0) {
        l->streak = 0; /* nothing came: the size that fitted the last datagrams still fits */
    } else if (got < l->want) {
        /* The device ran dry: one datagram means request and answer, in turn. */
        l->want = got == 1 ? 1 : LOOP_BATCH;
        l->streak = 0;
    } else if (l->want < LOOP_BATCH && ++l->streak >= LOOP_STREAK) {
        /* One at a time and the device never ran dry: maybe a burst, so drain it once
         * (a request/answer exchange comes back to one at a time after it). */
        l->want = LOOP_BATCH;
        l->streak = 0;
    }
}

int loop_look(struct loop *l, const struct loop_ops *ops, void *ctx)
{
    return loop_wait(l, ops, ctx, loop_now(), true);
}

/* serve --busy-poll: the device found empty and the loop about to sleep, it looks at the
 * epoll set without waiting, again and again, for up to l->busy_us µs, never past the next
 * deadline. On this path the kernel client's answer often comes a few µs after our write
 * returns (when it runs on another CPU, or after a switch on ours); finding it then instead
 * of sleeping saves the wake-up (docs/performance.md, "The floor": 0.7-1.0 µs of a pinned
 * ping-pong round trip for the stateless responder), at the price of the CPU spent
 * spinning. True when the device has a datagram; false when the spin ran out, or another
 * descriptor is ready (loop_wait then hears it at once). */
static bool busy_wait(struct loop *l, uint64_t now, uint64_t deadline)
{
    uint64_t until = now + l->busy_us;
    if (deadline < until) until = deadline;
    struct epoll_event evs[16];
    while (loop_now() < until) {
        int n = epoll_wait(l->ep, evs, 16, 0);
        bool dev = false, other = false;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == l->dev_fd)
                dev = true;
            else
                other = true;
        }
        /* A signal or another descriptor ready, with the device or not: loop_wait hears it
         * at once (and the device with it), rather than the spin finding the device again
         * and again while a SIGTERM waits. */
        if (other) break;
        if (dev) {
            l->busy_hits++;
            return true;
        }
    }
    l->busy_misses++;
    return false;
}

/* The epoll loop. With a ring to go back to (l->uring_live), it hands over to it once the
 * traffic comes in batches (LOOP_SWITCH): of LOOP_SWITCH_WINDOW turns that read something,
 * LOOP_SWITCH_BURSTY read more than one datagram. */
static int epoll_run(struct loop *l, const struct loop_ops *ops, void *ctx, uint8_t *buf)
{
    int rc = 0;
    unsigned turns = 0, bursty = 0;
    if (!l->want) l->want = 1;    /* until the traffic says otherwise (loop_batch_next) */
    uint64_t looked = loop_now(); /* when epoll last looked at the other descriptors */
    for (;;) {
        uint64_t now = loop_now();
        unsigned got = 0, want = l->want;
        for (; got < want; got++) {
            l->dev->rx_flags = 0;
            int n = synack_dev_recv(l->dev, now, buf, LOOP_BUF);
            l->reads++;
            if (n <= 0) {
                l->reads_empty++;
                break;
            }
            synack_input_flags(l->stack, now, buf, (size_t)n, l->dev->rx_flags);
        }
        l->in_packets += got;
        if (got == LOOP_BATCH) l->batches_full++;
        loop_batch_next(l, got);
        uint64_t out_before = l->out_packets;
        synack_poll(l->stack, now);
        if (ops->app) ops->app(ctx, now);
        flush_output(l, now, buf);
        if (ops->done && ops->done(ctx)) break;
        if (l->uring_live && got) {
            bursty += got > 1;
            if (++turns == LOOP_SWITCH_WINDOW) {
                if (bursty >= LOOP_SWITCH_BURSTY) return LOOP_SWITCH;
                turns = bursty = 0;
            }
        }

        /* Read again at once, without asking epoll, when the device may have more: the batch
         * stopped before the device ran dry, or we just wrote and the answer may be there
         * already (a kernel client on this CPU runs inside our write(): its TCP takes the
         * segment, wakes the client, and the client's next segment is queued for us before
         * the write returns). Epoll is asked only when a read found nothing, and, to hear
         * signals and the other descriptors, at least every LOOP_LOOK_US (after every batch
         * when those descriptors carry data: ops->data_fds). */
        bool more = got == want || l->out_packets != out_before;
        if (more && !ops->data_fds && now - looked < LOOP_LOOK_US) continue;
        if (!more && l->busy_us && !ops->data_fds && busy_wait(l, now, loop_deadline(l, ops, ctx)))
            continue;
        if (loop_wait(l, ops, ctx, now, more) < 0) {
            rc = -1;
            break;
        }
        looked = now;
    }
    return rc;
}

int loop_run(struct loop *l, const struct loop_ops *ops, void *ctx)
{
    uint8_t *buf = malloc(LOOP_BUF);
    if (!buf) return -1;
    int r;
    if (l->use_uring) {
        /* The ring while datagrams come in batches, epoll while they come one per answer
         * (docs/performance.md, "io_uring": there the epoll loop is never woken, and the
         * ring's wait always is); each hands over to the other (LOOP_SWITCH). */
        const char *why = "";
        for (;;) {
            r = loop_uring_run(l, ops, ctx, &why);
            if (r != LOOP_SWITCH) break;
            l->switches++;
            r = epoll_run(l, ops, ctx, buf);
            if (r != LOOP_SWITCH) break;
            l->switches++;
        }
        if (r == LOOP_URING_REFUSED) {
            int e = errno;
            if (l->announce)
                fprintf(stderr, "%s: loop: epoll (io_uring refused: %s: %s)\n", l->announce, why,
                        strerror(e));
            r = epoll_run(l, ops, ctx, buf);
        }
        if (l->uring_live && l->announce)
            fprintf(stderr, "%s: loop: %" PRIu64 " hand-overs between io_uring and epoll\n",
                    l->announce, l->switches);
        loop_uring_free(l);
    } else {
        if (l->announce) fprintf(stderr, "%s: loop: epoll\n", l->announce);
        r = epoll_run(l, ops, ctx, buf);
    }
    free(buf);
    return r;
}

/* ---- the capture tap ------------------------------------------------------------------------ */

struct tap_dev {
    struct synack_dev dev;
    synack_dev *inner;
    synack_pcap_writer *w;
    uint8_t *copy; /* with offloads: a datagram with its checksum completed, for the file */
};

/* What goes in the file: with offloads the stack leaves TCP checksums to the device, and
 * the capture shows them complete, as on the wire (the datagram itself is not touched). */
static void tap_write(struct tap_dev *t, uint64_t now, const uint8_t *pkt, size_t len)
{
    if (t->copy && len <= 65535) {
        memcpy(t->copy, pkt, len);
        synack_tun_csum_complete(t->copy, len); /* not TCP: written as it is */
        pkt = t->copy;
    }
    synack_pcap_write(t->w, now, pkt, (uint32_t)len);
}

static int tap_send(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len)
{
    struct tap_dev *t = (struct tap_dev *)d;
    tap_write(t, now, pkt, len);
    return synack_dev_send(t->inner, now, pkt, len);
}

/* A super-segment is captured as it went to the device, one large frame (as tcpdump shows
 * what a socket hands a device with TSO). */
static int tap_send_gso(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len,
                        uint32_t gso_size)
{
    struct tap_dev *t = (struct tap_dev *)d;
    tap_write(t, now, pkt, len);
    return synack_dev_send_gso(t->inner, now, pkt, len, gso_size);
}

static int tap_recv(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
    struct tap_dev *t = (struct tap_dev *)d;
    t->inner->rx_flags = 0;
    int n = synack_dev_recv(t->inner, now, buf, cap);
    d->rx_flags = t->inner->rx_flags;
    /* A partial checksum from the kernel is completed in place: the stack does not check
     * it (SYNACK_DEV_RX_CSUM_OK), the capture shows what the wire would carry. */
    if (n > 0 && (d->rx_flags & SYNACK_DEV_RX_CSUM_OK)) synack_tun_csum_complete(buf, (size_t)n);
    if (n > 0) synack_pcap_write(t->w, now, buf, (uint32_t)n);
    return n;
}

static uint64_t tap_next_deadline(const synack_dev *d)
{
    return synack_dev_next_deadline(((const struct tap_dev *)d)->inner);
}

static void tap_free(synack_dev *d)
{
    struct tap_dev *t = (struct tap_dev *)d;
    synack_dev_free(t->inner);
    free(t->copy);
    free(t);
}

static const struct synack_dev_ops tap_ops = {.send = tap_send,
                                              .recv = tap_recv,
                                              .next_deadline = tap_next_deadline,
                                              .free = tap_free,
                                              .send_gso = tap_send_gso};

synack_dev *tap_wrap(synack_dev *inner, synack_pcap_writer *w)
{
    struct tap_dev *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->dev.ops = &tap_ops;
    t->dev.mtu = inner->mtu;
    t->dev.name = inner->name;
    t->dev.tso_max = inner->tso_max;
    t->inner = inner;
    t->w = w;
    if (inner->tso_max) { /* the stack's checksums are partial then (tun_side_config) */
        t->copy = malloc(65535);
        if (!t->copy) {
            free(t);
            return NULL;
        }
    }
    return &t->dev;
}

/* ---- the live trace -------------------------------------------------------------------------- */

#define LIVE_MAX 256 /* connections drawn at once; more are not traced */

struct live_conn {
    bool used;
    struct synack_addr raddr;
    uint16_t rport, lport;
    synack_ladder *ladder;
};

struct live_trace {
    FILE *out;
    const char *peer_name;
    bool synack_left;
    struct live_conn conns[LIVE_MAX];
};

struct live_trace *live_trace_new(FILE *out, const char *peer_name, bool synack_left)
{
    struct live_trace *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->out = out;
    t->peer_name = peer_name;
    t->synack_left = synack_left;
    return t;
}

static struct live_conn *live_find(struct live_trace *t, const struct synack_addr *raddr,
                                   uint16_t rport, uint16_t lport)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        struct live_conn *c = &t->conns[i];
        if (c->used && synack_addr_eq(&c->raddr, raddr) && c->rport == rport && c->lport == lport)
            return c;
    }
    return NULL;
}

static struct live_conn *live_add(struct live_trace *t, struct synack_addr laddr, uint16_t lport,
                                  struct synack_addr raddr, uint16_t rport)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        struct live_conn *c = &t->conns[i];
        if (c->used) continue;
        struct synack_ladder_opts o = {.left_name = t->synack_left ? "synack" : t->peer_name,
                                       .right_name = t->synack_left ? t->peer_name : "synack",
                                       .show_drops = true};
        c->ladder = t->synack_left ? synack_ladder_new(t->out, &o, laddr, lport, raddr, rport)
                                   : synack_ladder_new(t->out, &o, raddr, rport, laddr, lport);
        if (!c->ladder) return NULL;
        c->used = true;
        c->raddr = raddr;
        c->rport = rport;
        c->lport = lport;
        return c;
    }
    return NULL;
}

static void live_end(struct live_conn *c)
{
    synack_ladder_finish(c->ladder);
    synack_ladder_free(c->ladder);
    memset(c, 0, sizeof *c);
}

void live_trace_event(void *ctx, const struct synack_trace_event *ev)
{
    struct live_trace *t = ctx;
    struct synack_addr laddr, raddr;
    uint16_t lport, rport;
    if (ev->has_seg && (ev->kind == SYNACK_TRACE_SEG_IN || ev->kind == SYNACK_TRACE_DROP)) {
        laddr = ev->seg.dst, lport = ev->seg.tcp.dport;
        raddr = ev->seg.src, rport = ev->seg.tcp.sport;
    } else if (ev->has_seg) { /* SEG_OUT, LINK of what we sent */
        laddr = ev->seg.src, lport = ev->seg.tcp.sport;
        raddr = ev->seg.dst, rport = ev->seg.tcp.dport;
    } else if (ev->kind == SYNACK_TRACE_STATE || ev->kind == SYNACK_TRACE_TIMER) {
        laddr = ev->local_addr, lport = ev->local_port;
        raddr = ev->remote_addr, rport = ev->remote_port;
    } else {
        return; /* ICMP and the like: not a connection */
    }
    struct live_conn *c = live_find(t, &raddr, rport, lport);
    if (!c && ev->kind == SYNACK_TRACE_LINK) { /* inbound faults: the far end sent it */
        c = live_find(t, &laddr, lport, rport);
        if (c) {
            synack_ladder_event(c->ladder, ev);
            return;
        }
    }
    if (!c) {
        /* A new connection starts with a SYN (ours or the peer's) or its first state. */
        bool syn = ev->has_seg && (ev->seg.tcp.flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK |
                                                        SYNACK_TCP_RST)) == SYNACK_TCP_SYN;
        bool first_state =
            ev->kind == SYNACK_TRACE_STATE && raddr.family &&
            (ev->new_state == SYNACK_SYN_SENT || ev->new_state == SYNACK_SYN_RECEIVED);
        if (!(syn && ev->kind != SYNACK_TRACE_DROP) && !first_state) return;
        c = live_add(t, laddr, lport, raddr, rport);
        if (!c) return;
    }
    if (ev->kind == SYNACK_TRACE_SEG_IN) {
        /* The ladder draws a segment at its sender's SEG_OUT; the kernel's segments are only
         * ever seen arriving here, so draw them as sent by the peer. */
        struct synack_trace_event e = *ev;
        e.kind = SYNACK_TRACE_SEG_OUT;
        e.who = t->peer_name;
        e.retransmit = false;
        synack_ladder_event(c->ladder, &e);
        return;
    }
    synack_ladder_event(c->ladder, ev);
    if (ev->kind == SYNACK_TRACE_STATE && ev->new_state == SYNACK_CLOSED) live_end(c);
}

void live_trace_flush(struct live_trace *t)
{
    if (!t) return;
    for (int i = 0; i < LIVE_MAX; i++)
        if (t->conns[i].used) synack_ladder_finish(t->conns[i].ladder);
}

void live_trace_free(struct live_trace *t)
{
    if (!t) return;
    for (int i = 0; i < LIVE_MAX; i++)
        if (t->conns[i].used) live_end(&t->conns[i]);
    free(t);
}

/* ---- helpers ----------------------------------------------------------------------------------
 */

int parse_addr_prefix(const char *s, struct synack_addr *addr, uint8_t *prefix)
{
    /* The address by synack_addr_parse (inet_pton: nothing may follow it), the prefix by
     * strtoul, not sscanf("%u"), which cannot report an overflowing field (CERT ERR34-C). */
    char text[SYNACK_ADDR_STRLEN + 2];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof text) return -1;
    memcpy(text, s, n);
    text[n] = 0;
    struct synack_addr a;
    if (synack_addr_parse(text, &a) < 0 || synack_addr_is_any(&a)) return -1;
    if (slash) {
        const char *p = slash + 1;
        char *end;
        if (*p < '0' || *p > '9') return -1;
        unsigned long len = strtoul(p, &end, 10);
        if (len > (a.family == SYNACK_AF_INET6 ? 128u : 32u) || *end) return -1;
        if (prefix) *prefix = (uint8_t)len;
    }
    *addr = a;
    return 0;
}

const char *endpoint_str(const struct synack_addr *a, uint16_t port, char *buf, size_t cap)
{
    char t[SYNACK_ADDR_STRLEN];
    synack_addr_str(a, t, sizeof t);
    if (a->family == SYNACK_AF_INET6)
        snprintf(buf, cap, "[%s]:%u", t, port);
    else
        snprintf(buf, cap, "%s:%u", t, port);
    return buf;
}

static void stats_out(FILE *f, const synack_stack *s, bool json, bool braces)
{
    struct synack_stats st;
    synack_get_stats(s, &st);
    struct {
        const char *name;
        uint64_t v;
    } c[] = {
        {"ip_in", st.ip_in},
        {"ip_out", st.ip_out},
        {"segments_in", st.tcp_in},
        {"segments_out", st.tcp_out},
        {"icmp_in", st.icmp_in},
        {"icmp_out", st.icmp_out},
        {"retransmits", st.retransmits},
        {"fast_retransmits", st.fast_retransmits},
        {"rto_timeouts", st.rto_timeouts},
        {"rst_in", st.rst_in},
        {"rst_out", st.rst_out},
        {"challenge_acks", st.challenge_acks},
        {"conn_opened_active", st.conn_opened_active},
        {"conn_opened_passive", st.conn_opened_passive},
        {"conn_established", st.conn_established},
        {"conn_reset", st.conn_reset},
        {"out_queue_full", st.out_queue_full},
        {"drops", st.drops},
        {"pmtu_lowered", st.pmtu_lowered},
        {"pmtu_ignored", st.pmtu_ignored},
        {"pmtu_blackholes", st.pmtu_blackholes},
        {"icmp_soft_errors", st.icmp_soft_errors},
        {"syn_cookies_sent", st.syn_cookies_sent},
        {"syn_cookies_accepted", st.syn_cookies_accepted},
        {"syn_cookies_failed", st.syn_cookies_failed},
        {"syn_cookies_table_full", st.syn_cookies_table_full},
        {"syn_cookies_no_room", st.syn_cookies_no_room},
        {"handshakes_no_room", st.handshakes_no_room},
        {"spurious_retransmits", st.spurious_retransmits},
        {"urgent_in", st.urgent_in},
        {"tlp_probes", st.tlp_probes},
        {"icmp_errors_out", st.icmp_errors_out},
        {"icmp_errors_limited", st.icmp_errors_limited},
        {"ecn_ce_received", st.ecn_ce_received},
        {"ecn_reductions", st.ecn_reductions},
        {"tfo_passive", st.tfo_passive},
        {"tfo_cookie_reqs", st.tfo_cookie_reqs},
        {"tfo_cookie_invalid", st.tfo_cookie_invalid},
        {"tfo_fallbacks", st.tfo_fallbacks},
        {"merged_in", st.merged_in},
        {"placed_in", st.placed_in},
        {"tso_out", st.tso_out},
        {"mem_held", st.mem_held},
        {"mem_max", st.mem_max},
        {"mem_pressure", st.mem_pressure},
        {"mem_pressure_entries", st.mem_pressure_entries},
        {"mem_refused", st.mem_refused},
        {"mem_prunes", st.mem_prunes},
        {"mem_pruned_bytes", st.mem_pruned_bytes},
    };
    size_t nc = sizeof c / sizeof c[0];
    if (json && braces) fputs("{", f);
    for (size_t i = 0; i < nc; i++) {
        if (json)
            fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", c[i].name, c[i].v);
        else
            fprintf(f, "%-22s %" PRIu64 "\n", c[i].name, c[i].v);
    }
    if (json) fputs(",\"drops_by_reason\":{", f);
    bool first = true;
    _Static_assert(SYNACK_DROP_COUNT <= sizeof st.drop_by_reason / sizeof st.drop_by_reason[0],
                   "drop_by_reason has a slot for every reason");
    for (int r = 1; r < SYNACK_DROP_COUNT; r++) {
        if (!st.drop_by_reason[r]) continue;
        if (json)
            fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", synack_drop_name(r),
                    st.drop_by_reason[r]);
        else
            fprintf(f, "drop %-17s %" PRIu64 "\n", synack_drop_name(r), st.drop_by_reason[r]);
        first = false;
    }
    if (json) fputs("},\"sockets_by_state\":{", f);
    first = true;
    for (int i = 0; i <= SYNACK_TIME_WAIT; i++) {
        if (json)
            fprintf(f, "%s\"%s\":%" PRIu32, first ? "" : ",", synack_state_name(i),
                    st.sockets_by_state[i]);
        else if (st.sockets_by_state[i])
            fprintf(f, "state %-16s %" PRIu32 "\n", synack_state_name(i), st.sockets_by_state[i]);
        first = false;
    }
    if (json) fputs(braces ? "}}\n" : "}", f);
}

void print_stats(FILE *f, const synack_stack *s, bool json)
{
    stats_out(f, s, json, true);
}

void print_stats_members(FILE *f, const synack_stack *s)
{
    stats_out(f, s, true, false);
}

void tun_side_defaults(struct tun_side *s)
{
    memset(s, 0, sizeof *s);
    s->v4.addr = synack_addr_v4(0x0a070002u); /* 10.7.0.2 */
    s->v4.host = synack_addr_v4(0x0a070001u); /* 10.7.0.1 */
    s->v4.prefix = s->v4.host_prefix = 24;
    /* fd00:7::2 and fd00:7::1: a unique local prefix (RFC 4193), never routed beyond a site */
    static const uint8_t ula[16] = {0xfd, 0x00, 0x00, 0x07};
    uint8_t b[16];
    memcpy(b, ula, 16);
    b[15] = 2;
    s->v6.addr = synack_addr_v6(b);
    b[15] = 1;
    s->v6.host = synack_addr_v6(b);
    s->v6.prefix = s->v6.host_prefix = 64;
}

static int addr_option(struct tun_side *s, const char *who, const char *opt, const char *val,
                       bool host)
{
    struct synack_addr a;
    uint8_t prefix = 0xff; /* not given */
    if (parse_addr_prefix(val, &a, &prefix) < 0) return -1;
    bool v6 = a.family == SYNACK_AF_INET6;
    struct tun_family *f = v6 ? &s->v6 : &s->v4;
    bool *given = host ? &f->host_given : &f->addr_given;
    if (*given) {
        fprintf(stderr, "%s: %s is given twice for %s (once per family)\n", who, opt,
                v6 ? "IPv6" : "IPv4");
        return -1;
    }
    *given = true;
    if (host) {
        f->host = a;
        if (prefix != 0xff) f->host_prefix = prefix;
    } else {
        f->addr = a;
        if (prefix != 0xff) f->prefix = prefix;
    }
    return 0;
}

int tun_side_option(struct tun_side *s, const char *who, const char *opt, const char *val)
{
    if (!strcmp(opt, "--tun")) {
        s->tun_name = val;
    } else if (!strcmp(opt, "--addr")) {
        if (addr_option(s, who, opt, val, false) < 0) return -1;
    } else if (!strcmp(opt, "--host-addr")) {
        if (addr_option(s, who, opt, val, true) < 0) return -1;
    } else if (!strcmp(opt, "--pcap")) {
        s->pcap_path = val;
    } else {
        return 0;
    }
    return 1;
}

int tun_side_flag(struct tun_side *s, const char *opt)
{
    if (!strcmp(opt, "--no-ipv4"))
        s->no_v4 = true;
    else if (!strcmp(opt, "--no-ipv6"))
        s->no_v6 = true;
    else
        return 0;
    return 1;
}

/* a and b agree in their first n bits */
static bool same_prefix(const struct synack_addr *a, const struct synack_addr *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned byte = i / 8, bit = 7 - i % 8;
        if (((a->bytes[byte] ^ b->bytes[byte]) >> bit) & 1) return false;
    }
    return true;
}

int tun_side_finish(struct tun_side *s, const char *who)
{
    bool any4 = s->v4.addr_given || s->v4.host_given;
    bool any6 = s->v6.addr_given || s->v6.host_given;
    /* No address given: both families, the defaults. Addresses given: the families they name
     * (so a command line from before IPv6, `--addr 10.7.1.2/24 --host-addr 10.7.1.1/24`,
     * means what it meant, and does not put a second fd00:7::/64 beside another device's). */
    s->v4.on = (any4 || !any6) && !s->no_v4;
    s->v6.on = (any6 || !any4) && !s->no_v6;
    if ((any4 && s->no_v4) || (any6 && s->no_v6)) {
        fprintf(stderr, "%s: an address is given for a family turned off\n", who);
        return -1;
    }
    if (!s->v4.on && !s->v6.on) {
        fprintf(stderr, "%s: both IPv4 and IPv6 are turned off\n", who);
        return -1;
    }
    struct tun_family *fs[2] = {&s->v4, &s->v6};
    for (int i = 0; i < 2; i++) {
        struct tun_family *f = fs[i];
        if (!f->on) continue;
        /* The stack answers only on-link destinations (it has no router): the kernel's
         * address must be inside the stack's prefix, and not the stack's own. */
        unsigned base = f == &s->v4 ? 96 : 0; /* IPv4 sits in the last 32 of the 128 bits */
        char a[SYNACK_ADDR_STRLEN], h[SYNACK_ADDR_STRLEN];
        synack_addr_str(&f->addr, a, sizeof a);
        synack_addr_str(&f->host, h, sizeof h);
        if (synack_addr_eq(&f->addr, &f->host)) {
            fprintf(stderr, "%s: the stack and the kernel both have %s\n", who, a);
            return -1;
        }
        if (!same_prefix(&f->addr, &f->host, base + f->prefix)) {
            fprintf(stderr, "%s: the kernel's %s is not on the stack's network %s/%u\n", who, h, a,
                    f->prefix);
            return -1;
        }
    }
    return 0;
}

/* The kernel refused an IPv6 address: EACCES is net.ipv6.conf.IF.disable_ipv6, EAFNOSUPPORT a
 * kernel without IPv6. */
static bool ipv6_unavailable(int e)
{
    return e == EACCES || e == EAFNOSUPPORT || e == EPROTONOSUPPORT;
}

int tun_side_open(struct tun_side *s, const char *who)
{
    int err;
    if (s->nqueues > 1) {
        synack_dev *q[SYNACK_TUN_MAX_QUEUES];
        if (synack_tun_open_queues(s->tun_name, s->nqueues, s->offload, q, &err) == 0) {
            s->tun = q[0];
            for (unsigned i = 1; i < s->nqueues; i++) s->more[i] = q[i];
        } else {
            s->tun = NULL;
        }
    } else {
        s->tun = synack_tun_open_offload(s->tun_name, s->offload, &err);
    }
    if (!s->tun) {
        int e = errno;
        fprintf(stderr, "%s: cannot open TUN device %s: %s%s\n", who, s->tun_name,
                err == SYNACK_ESYS ? strerror(e) : synack_strerror(err),
                e == EPERM ? " (creating one needs CAP_NET_ADMIN; or make a persistent one with "
                             "`ip tuntap add dev IF mode tun user $USER`)"
                : e == EINVAL && s->nqueues > 1
                    ? " (an existing device must be multi-queue: `ip tuntap add dev IF mode tun "
                      "multi_queue`)"
                    : "");
        return -1;
    }
    const char *ifname = synack_tun_name(s->tun);
    bool given6 = s->v6.addr_given || s->v6.host_given;
    if (s->v6.on && s->tun->mtu < 1280) {
        /* RFC 8200 §5: every IPv6 link carries 1280-byte packets. */
        fprintf(stderr, "%s: %s has MTU %u, under IPv6's minimum of 1280; %s\n", who, ifname,
                s->tun->mtu, given6 ? "cannot run IPv6" : "IPv4 only");
        if (given6 || !s->v4.on) return -1;
        s->v6.on = false;
    }
    int sys = 0;
    uint32_t host4 = s->v4.on ? synack_addr_to_v4(&s->v4.host) : 0;
    int r = synack_tun_configure(ifname, host4, s->v4.host_prefix, &sys);
    if (r == 0 && s->v6.on) {
        r = synack_tun_add_addr(ifname, &s->v6.host, s->v6.host_prefix, &sys);
        if (r < 0 && ipv6_unavailable(sys) && !given6 && s->v4.on) {
            fprintf(stderr, "%s: the kernel has no IPv6 on %s (%s); IPv4 only\n", who, ifname,
                    strerror(sys));
            s->v6.on = false;
            r = 0;
        }
    }
    if (r < 0) {
        if (sys == EPERM && !synack_tun_created(s->tun)) {
            fprintf(stderr, "%s: not allowed to configure %s (%s); using it as it is\n", who,
                    ifname, strerror(sys));
        } else {
            fprintf(stderr, "%s: cannot configure %s: %s%s\n", who, ifname, strerror(sys),
                    ipv6_unavailable(sys) ? " (IPv6 is off on it: net.ipv6.conf.*.disable_ipv6)"
                                          : "");
            return -1;
        }
    }
    s->dev = s->tun;
    if (s->pcap_path) {
        s->pcap = synack_pcap_open(s->pcap_path, &err);
        if (!s->pcap) {
            fprintf(stderr, "%s: %s: %s\n", who, s->pcap_path, synack_strerror(err));
            return -1;
        }
        synack_dev *t = tap_wrap(s->dev, s->pcap);
        if (!t) return -1;
        s->dev = t;
    }
    return 0;
}

void tun_side_config(const struct tun_side *s, struct synack_config *cfg)
{
    memset(&cfg->addr, 0, sizeof cfg->addr);
    memset(&cfg->addr6, 0, sizeof cfg->addr6);
    if (s->v4.on) {
        cfg->addr = s->v4.addr;
        cfg->prefix_len = s->v4.prefix;
    }
    if (s->v6.on) {
        cfg->addr6 = s->v6.addr;
        cfg->prefix6_len = s->v6.prefix;
    }
    /* What the chain in front of the stack splits: a wrapper that does not say (the fault
     * injector) splits nothing. */
    cfg->tso_max = s->dev ? s->dev->tso_max : 0;
    /* The device finishes our checksums when it takes super-segments: both are its
     * virtio_net_hdr (VIRTIO_NET_HDR_F_NEEDS_CSUM). */
    cfg->csum_offload = cfg->tso_max > 0;
}

const char *tun_side_describe(const struct tun_side *s, bool stack_first, char *buf, size_t cap)
{
    char a[SYNACK_ADDR_STRLEN];
    size_t n = 0;
    const struct tun_family *fs[2] = {&s->v4, &s->v6};
    if (cap) buf[0] = 0;
    for (int k = 0; k < 2; k++) {
        bool stack = stack_first ? k == 0 : k == 1;
        for (int i = -1; i < 2 && n < cap; i++) {
            int w;
            if (i < 0) {
                w = snprintf(buf + n, cap - n, "%s%s", k ? ", " : "",
                             stack ? (stack_first ? "stack" : "synack") : "kernel");
            } else {
                if (!fs[i]->on) continue;
                const struct synack_addr *x = stack ? &fs[i]->addr : &fs[i]->host;
                w = snprintf(buf + n, cap - n, " %s/%u", synack_addr_str(x, a, sizeof a),
                             (unsigned)(stack ? fs[i]->prefix : fs[i]->host_prefix));
            }
            if (w > 0) n += (size_t)w;
        }
    }
    return buf;
}

void tun_side_close(struct tun_side *s)
{
    /* Each wrapper owns what it wraps, so freeing the outermost frees the TUN too. */
    if (s->dev)
        synack_dev_free(s->dev);
    else if (s->tun)
        synack_dev_free(s->tun);
    if (s->pcap) synack_pcap_close(s->pcap);
    for (unsigned i = 1; i < SYNACK_TUN_MAX_QUEUES; i++) {
        if (s->more[i]) synack_dev_free(s->more[i]);
        s->more[i] = NULL;
    }
    s->dev = s->tun = NULL;
    s->pcap = NULL;
}
