/*
 * bench/floor.c - the floor of `make bench`'s TUN rows: a stateless TCP echo responder on a
 * TUN device, the least user-space work any TCP server could do on this path (issue 12).
 *
 * IT IS NOT A TCP. It keeps no connection state at all: no retransmission, no windows, no
 * reassembly, no timers, no TIME-WAIT. Each datagram read from the device is answered from
 * that datagram alone (RFC 9293's segment formats, none of its state machine):
 *   - a SYN gets a SYN-ACK: the ISN from the 4-tuple (RFC 6528 §3: a clock plus a keyed
 *     function of the 4-tuple), an MSS option only (RFC 9293 §3.7.1), so the peer turns on
 *     no timestamps, SACK or window scaling;
 *   - a segment with data gets one segment echoing it, with SEG.SEQ = the peer's SEG.ACK and
 *     SEG.ACK = its SEG.SEQ + SEG.LEN (a FIN with it: FIN too, SEG.ACK one more);
 *   - a FIN gets FIN+ACK;
 *   - a bare ACK, a RST, anything not TCP over IPv4, gets nothing.
 * A lost answer is never sent again (the peer's retransmission is answered again instead),
 * and a peer that sends more than one segment before reading would get its data echoed out
 * of order of nothing: it exists only as the floor of the measurement, what the kernel's
 * side of a TUN round trip costs when the server costs (nearly) nothing. `make bench` runs
 * it as the column "floor" beside lwIP and synack (loadgen's cps and pingpong loads: connect,
 * 1 byte each way, close; 1 byte there and back), and tests/scripts/floor_smoke.sh checks
 * that every connection completes against it.
 *
 * The I/O is the best of `synack serve`'s epoll loop (tools/synack/loop.c) in its batch-of-one
 * mode: read the device (non-blocking) and answer at once, read again right after the write
 * (the kernel client runs inside our write and has usually queued its next datagram before
 * the write returns), sleep in poll() only when a read found the device empty. A burst costs
 * the same read and write per datagram as serve's batches of 64 do. Variants, to find what
 * lowers the floor for every server (docs/performance.md, "The floor"):
 *   --writev       answers with writev(2) in two pieces (headers | payload, or virtio_net_hdr
 *                  | datagram), as serve's device does, instead of one write(2)
 *   --vnet         IFF_VNET_HDR: a struct virtio_net_hdr before each datagram both ways; on
 *                  ours VIRTIO_NET_HDR_F_DATA_VALID, so the kernel skips verifying our TCP
 *                  checksum (we still compute it, so the datagram is right on any wire)
 *   --csum-offload with --vnet, TUNSETOFFLOAD(TUN_F_CSUM): the kernel's TCP leaves its
 *                  checksums partial (NEEDS_CSUM) on what it sends us, as serve asks
 *   --napi         IFF_NAPI: the kernel takes our writes through a NAPI poll (and GRO)
 *   --busy-us N    after a read finds the device empty, read again for up to N µs before
 *                  sleeping in poll() (0: sleep at once)
 *   --wscale S     offers window scaling (RFC 7323) on the SYN-ACK, and --ip-ids counts IP
 *                  IDs without DF at TTL 255: the two ways lwIP's segments differ from ours
 *   --thread       queue 0 on a thread of its own (by default the main thread runs it, as
 *                  serve's; the process is then single-threaded with one queue)
 *   --queues N     IFF_MULTI_QUEUE, N descriptors, one thread each, thread i pinned to CPU i
 *                  (mod the CPUs) unless --no-pin, as `synack serve --queues N`; --steer cpu
 *                  sets the per-CPU steering program (r0 = get_smp_processor_id(); exit): a
 *                  stateless responder needs no flow map, any queue can answer any datagram
 *
 *   floor --tun IF [--mtu M] [--queues N [--no-pin] [--steer cpu]] [--writev] [--vnet
 *         [--csum-offload]] [--napi] [--busy-us N] [--wscale S] [--ip-ids] [--thread]
 *         [--max-seconds S]
 *
 * It creates IF (root, or CAP_NET_ADMIN) and prints "floor: ... listening" once every queue is
 * attached; the caller gives the kernel's side its address and sets the link up. It answers
 * for whatever address the kernel sends to. Runs until SIGINT/SIGTERM or --max-seconds (600);
 * at exit prints per-queue counts and the process's CPU time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUES 16
#define BUF_LEN    (65536 + 64)
#define VNET_LEN   ((size_t)sizeof(struct virtio_net_hdr))

struct opts {
    const char *tun;
    unsigned queues;
    bool no_pin, steer_cpu, writev, vnet, csum_offload, napi;
    int wscale;      /* --wscale S: the window scale offered on the SYN-ACK (-1: none) */
    bool ip_ids;     /* --ip-ids: IP IDs counted, no DF, TTL 255 (as lwIP's), not ID 0 with DF */
    bool own_thread; /* --thread: queue 0 on a thread of its own, not the main thread */
    long busy_us;
    double max_s;
    uint16_t mss;
    uint64_t key[2]; /* the ISN's secret (RFC 6528 §3) */
};

struct queue {
    const struct opts *o;
    unsigned idx;
    int fd;
    pthread_t th;
    /* counters: this queue's thread only */
    uint64_t rx, tx, syn, data, fin, ignored, bad, write_err, sleeps, busy_hits;
    uint16_t ip_id; /* --ip-ids */
};

/* The only state shared between the threads: whether to stop, and when they started. */
static volatile sig_atomic_t stop;
static double t_start;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the wire ---------------------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The one's complement sum of RFC 1071, unfolded, over len bytes (big-endian words). */
static uint64_t sum16(const uint8_t *p, size_t len, uint64_t acc)
{
    while (len >= 2) {
        acc += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len) acc += (uint32_t)p[0] << 8;
    return acc;
}

static uint16_t fold(uint64_t acc)
{
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)acc;
}

/* The TCP checksum's sum (RFC 9293 §3.1: the pseudo-header of RFC 791's addresses, the
 * protocol and the TCP length, then the segment) over a datagram whose IP header is ihl
 * bytes. */
static uint64_t tcp_sum(const uint8_t *ip, size_t ihl, size_t tcp_len)
{
    uint64_t acc = sum16(ip + 12, 8, 0) + 6u + tcp_len;
    return sum16(ip + ihl, tcp_len, acc);
}

/* A SipHash-free keyed mix of the 4-tuple: the ISN needs to be unguessable to an off-path
 * attacker (RFC 6528 §3), not a MAC; this is splitmix64's finaliser over the tuple and a
 * secret from getrandom(). */
static uint32_t isn_of(const struct opts *o, const uint8_t *ip, const uint8_t *tcp)
{
    uint64_t x = o->key[0] ^ ((uint64_t)get32(ip + 12) << 32 | get32(ip + 16));
    x ^= (uint64_t)get32(tcp) * 0x9e3779b97f4a7c15u ^ o->key[1];
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    x ^= x >> 31;
    /* RFC 6528 §3's M: a timer ticking every 4 µs, so that a 4-tuple used again starts
     * beyond where its last incarnation's sequence numbers were. */
    return (uint32_t)x + (uint32_t)(mono_us() / 4);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* The answer to the IPv4 datagram at pkt (n bytes), built in place: its length, or 0 for no
 * answer. The answer's IP header is 20 bytes, its TCP header 20 (24 for the SYN-ACK's MSS),
 * the payload moved behind them where the datagram's headers had another length. */
static size_t answer(struct queue *q, uint8_t *pkt, size_t n, bool csum_ok)
{
    if (n < 40 || pkt[0] >> 4 != 4 || pkt[9] != 6) return 0;
    size_t ihl = (size_t)(pkt[0] & 15) * 4, tot = get16(pkt + 2);
    /* A fragment's TCP header may be elsewhere (RFC 791 §3.2): not ours to answer. */
    if (ihl < 20 || tot > n || tot < ihl + 20 || (get16(pkt + 6) & 0x3fff)) return 0;
    uint8_t *tcp = pkt + ihl;
    size_t thl = (size_t)(tcp[12] >> 4) * 4, tcp_len = tot - ihl;
    if (thl < 20 || thl > tcp_len) return 0;
    /* The peer's checksum, unless the device vouched for it (virtio_net_hdr): a real TCP
     * verifies it (RFC 9293 §3.1), so the floor does. */
    if (!csum_ok && fold(tcp_sum(pkt, ihl, tcp_len)) != 0xffff) {
        q->bad++;
        return 0;
    }
    uint8_t fl = tcp[13];
    uint32_t seq = get32(tcp + 4), ack = get32(tcp + 8);
    size_t len = tcp_len - thl;
    uint8_t out_fl;
    uint32_t out_seq, out_ack;
    size_t out_thl = 20;
    if (fl & F_RST) return 0;
    if (fl & F_SYN) {
        if (fl & F_ACK) return 0; /* a SYN-ACK: we never connect */
        out_fl = F_SYN | F_ACK;
        out_seq = isn_of(q->o, pkt, tcp);
        out_ack = seq + 1;
        out_thl = q->o->wscale >= 0 ? 28 : 24;
        len = 0; /* data on a SYN (TFO) is not echoed: not offered, not taken */
        q->syn++;
    } else if (!(fl & F_ACK)) {
        return 0; /* RFC 9293 §3.10.7.4: no ACK, drop */
    } else if (len || (fl & F_FIN)) {
        out_fl = (uint8_t)(F_ACK | (len ? F_PSH : 0) | (fl & F_FIN));
        out_seq = ack; /* where the peer expects our next byte */
        out_ack = seq + (uint32_t)len + ((fl & F_FIN) ? 1u : 0u);
        if (len) q->data++;
        if (fl & F_FIN) q->fin++;
    } else {
        return 0; /* a bare ACK: nothing to answer */
    }
    /* The payload behind our headers, then the headers over the old ones. */
    size_t out_tot = 20 + out_thl + len;
    if (len && ihl + thl != 20 + out_thl) memmove(pkt + 20 + out_thl, tcp + thl, len);
    uint8_t saddr[4], daddr[4];
    uint16_t sport = get16(tcp), dport = get16(tcp + 2);
    memcpy(saddr, pkt + 12, 4);
    memcpy(daddr, pkt + 16, 4);
    uint8_t *ip = pkt;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)out_tot);
    if (q->o->ip_ids) {
        put16(ip + 4, q->ip_id++);
        put16(ip + 6, 0);
        ip[8] = 255;
    } else {
        put16(ip + 4, 0);      /* ID 0 with DF: an atomic datagram (RFC 6864 §4.1) */
        put16(ip + 6, 0x4000); /* DF */
        ip[8] = 64;
    }
    ip[9] = 6;
    put16(ip + 10, 0);
    memcpy(ip + 12, daddr, 4);
    memcpy(ip + 16, saddr, 4);
    put16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
    uint8_t *t = ip + 20;
    put16(t, dport);
    put16(t + 2, sport);
    put32(t + 4, out_seq);
    put32(t + 8, out_ack);
    t[12] = (uint8_t)(out_thl / 4 << 4);
    t[13] = out_fl;
    /* The window: never enforced, nothing is ever buffered. A SYN's is never scaled
     * (RFC 7323 §2.2). */
    int ws = q->o->wscale;
    put16(t + 14, (uint16_t)(ws > 0 && !(out_fl & F_SYN) ? 65535 >> ws : 65535));
    put16(t + 16, 0);
    put16(t + 18, 0);
    if (out_fl & F_SYN) { /* MSS (kind 2, length 4), RFC 9293 §3.2 */
        t[20] = 2;
        t[21] = 4;
        put16(t + 22, q->o->mss);
        if (ws >= 0) { /* NOP, window scale (kind 3, length 3), RFC 7323 §2.2 */
            t[24] = 1;
            t[25] = 3;
            t[26] = 3;
            t[27] = (uint8_t)ws;
        }
    }
    put16(t + 16, (uint16_t)~fold(tcp_sum(ip, 20, out_tot - 20)));
    return out_tot;
}

/* ---- the device -------------------------------------------------------------------------- */

static int tun_open(const struct opts *o, const char *name, char *got)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    int fl = IFF_TUN | IFF_NO_PI;
    if (o->queues > 1) fl |= IFF_MULTI_QUEUE;
    if (o->vnet) fl |= IFF_VNET_HDR;
    if (o->napi) fl |= IFF_NAPI;
    ifr.ifr_flags = (short)fl;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) goto fail;
    if (o->vnet) {
        int sz = (int)VNET_LEN;
        if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) goto fail;
        /* Without TUN_F_CSUM the kernel completes every checksum before it hands us a
         * datagram; with it, its TCP leaves them partial (the device "offloads" them). */
        if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(o->csum_offload ? TUN_F_CSUM : 0)) < 0)
            goto fail;
    }
    if (got) snprintf(got, IFNAMSIZ, "%s", ifr.ifr_name);
    return fd;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

/* The per-CPU steering program, r0 = bpf_get_smp_processor_id(); exit: the kernel takes
 * its answer modulo the queues (drivers/net/tun.c, tun_ebpf_select_queue). */
static int steer_per_cpu(int fd)
{
    struct bpf_insn p[2] = {
        {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_smp_processor_id},
        {.code = BPF_JMP | BPF_EXIT},
    };
    union bpf_attr at;
    memset(&at, 0, sizeof at);
    at.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    at.insn_cnt = 2;
    at.insns = (uint64_t)(uintptr_t)p;
    at.license = (uint64_t)(uintptr_t) "GPL";
    int pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &at, sizeof at);
    if (pfd < 0) return -1;
    int r = ioctl(fd, TUNSETSTEERINGEBPF, &pfd);
    int e = errno;
    close(pfd);
    errno = e;
    return r;
}

/* ---- the loop ---------------------------------------------------------------------------- */

static void send_answer(struct queue *q, uint8_t *buf, size_t off, size_t len)
{
    const struct opts *o = q->o;
    ssize_t w;
    if (o->vnet) {
        /* The header sits right before the datagram (its room was read into): one piece. */
        struct virtio_net_hdr *vh = (struct virtio_net_hdr *)(buf + off - VNET_LEN);
        memset(vh, 0, VNET_LEN);
        vh->flags = VIRTIO_NET_HDR_F_DATA_VALID;
        vh->gso_type = VIRTIO_NET_HDR_GSO_NONE;
        if (o->writev) {
            struct iovec iov[2] = {{vh, VNET_LEN}, {buf + off, len}};
            w = writev(q->fd, iov, 2);
        } else {
            w = write(q->fd, vh, VNET_LEN + len);
        }
    } else if (o->writev) {
        size_t h = len > 44 ? 40 : len; /* the headers, then the payload */
        struct iovec iov[2] = {{buf + off, h}, {buf + off + h, len - h}};
        w = writev(q->fd, iov, len > h ? 2 : 1);
    } else {
        w = write(q->fd, buf + off, len);
    }
    if (w < 0)
        q->write_err++; /* a full queue: the peer retransmits, and is answered then */
    else
        q->tx++;
}

static void *queue_run(void *arg)
{
    struct queue *q = arg;
    const struct opts *o = q->o;
    uint8_t *buf = malloc(BUF_LEN);
    if (!buf) return NULL;
    size_t off = o->vnet ? VNET_LEN : 0; /* where the datagram starts in buf */
    for (;;) {
        ssize_t n = read(q->fd, buf, BUF_LEN);
        if (n > (ssize_t)off) {
            q->rx++;
            bool ok = false;
            if (o->vnet) {
                const struct virtio_net_hdr *vh = (const struct virtio_net_hdr *)buf;
                /* NEEDS_CSUM: the kernel left the sum partial for us; DATA_VALID: checked */
                ok = vh->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID);
            }
            size_t len = answer(q, buf + off, (size_t)n - off, ok);
            if (len)
                send_answer(q, buf, off, len);
            else
                q->ignored++;
            /* A device that never runs dry (a flood) must not keep the stop flag and
             * --max-seconds from being looked at: every 4,096 datagrams. */
            if ((q->rx & 4095) == 0 && (stop || mono_s() - t_start > o->max_s)) break;
            continue; /* read again at once: the client ran inside our write */
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) break;
        if (stop || mono_s() - t_start > o->max_s) break;
        if (o->busy_us > 0) {
            /* Bounded: at most busy_us of reads before the sleep below. */
            uint64_t until = mono_us() + (uint64_t)o->busy_us;
            bool got = false;
            while (mono_us() < until) {
                struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
                if (poll(&pfd, 1, 0) > 0) {
                    got = true;
                    break;
                }
            }
            if (got) {
                q->busy_hits++;
                continue;
            }
        }
        q->sleeps++;
        struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
        poll(&pfd, 1, 200); /* 200 ms: the stop flag and --max-seconds are looked at */
    }
    free(buf);
    return NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: floor --tun IF [--mtu M] [--queues N [--no-pin] [--steer cpu]] "
                    "[--writev] [--vnet [--csum-offload]] [--napi] [--busy-us N] "
                    "[--wscale S] [--ip-ids] [--thread] [--max-seconds S]\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct opts o = {.queues = 1, .max_s = 600, .mss = 1460, .wscale = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--no-pin"))
            o.no_pin = true;
        else if (!strcmp(a, "--writev"))
            o.writev = true;
        else if (!strcmp(a, "--vnet"))
            o.vnet = true;
        else if (!strcmp(a, "--csum-offload"))
            o.csum_offload = true;
        else if (!strcmp(a, "--napi"))
            o.napi = true;
        else if (!strcmp(a, "--ip-ids"))
            o.ip_ids = true;
        else if (!strcmp(a, "--thread"))
            o.own_thread = true;
        else if (!v)
            return usage();
        else if (!strcmp(a, "--tun"))
            o.tun = v, i++;
        else if (!strcmp(a, "--steer")) {
            if (strcmp(v, "cpu")) return usage();
            o.steer_cpu = true, i++;
        } else if (!strcmp(a, "--queues")) {
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > MAX_QUEUES) return usage();
            o.queues = (unsigned)n, i++;
        } else if (!strcmp(a, "--busy-us")) {
            o.busy_us = strtol(v, &end, 10);
            if (*end || o.busy_us < 0 || o.busy_us > 1000000) return usage();
            i++;
        } else if (!strcmp(a, "--wscale")) {
            long w = strtol(v, &end, 10);
            if (*end || w < 0 || w > 14) return usage();
            o.wscale = (int)w, i++;
        } else if (!strcmp(a, "--mtu")) {
            long m = strtol(v, &end, 10);
            if (*end || m < 68 || m > 65535) return usage();
            o.mss = (uint16_t)(m - 40), i++;
        } else if (!strcmp(a, "--max-seconds")) {
            o.max_s = strtod(v, &end);
            if (*end || !(o.max_s > 0 && o.max_s <= 86400)) return usage();
            i++;
        } else
            return usage();
    }
    if (!o.tun || strlen(o.tun) >= IFNAMSIZ || (o.csum_offload && !o.vnet) ||
        (o.steer_cpu && o.queues < 2))
        return usage();
    if (getrandom(o.key, sizeof o.key, 0) != (ssize_t)sizeof o.key) {
        perror("floor: getrandom");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    static struct queue qs[MAX_QUEUES];
    char name[IFNAMSIZ];
    snprintf(name, sizeof name, "%s", o.tun);
    for (unsigned i = 0; i < o.queues; i++) {
        qs[i] = (struct queue){.o = &o, .idx = i};
        qs[i].fd = tun_open(&o, name, name);
        if (qs[i].fd < 0) {
            fprintf(stderr, "floor: cannot attach queue %u of %s: %s\n", i, name, strerror(errno));
            return 1;
        }
    }
    if (o.steer_cpu && steer_per_cpu(qs[0].fd) < 0) {
        fprintf(stderr, "floor: --steer cpu: %s\n", strerror(errno));
        return 1;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1) ncpu = 1;
    printf("floor: stateless echo on %s, %u queue%s%s%s%s%s%s%s, busy %ld us, listening\n", name,
           o.queues, o.queues > 1 ? "s" : "",
           o.queues > 1 ? (o.no_pin ? " not pinned" : " pinned") : "",
           o.steer_cpu ? " steered by CPU" : "", o.writev ? ", writev" : ", write",
           o.vnet ? ", vnet (DATA_VALID)" : "", o.csum_offload ? ", csum offload" : "",
           o.napi ? ", napi" : "", o.busy_us);
    fflush(stdout);
    t_start = mono_s();
    /* Queue 0 runs on the main thread, as serve's: a process of one thread takes its
     * descriptors without the reference counting a shared descriptor table costs in every
     * read and write (the kernel's fdget); --thread puts it on a thread of its own. */
    unsigned first = o.own_thread ? 0 : 1, started = o.queues;
    for (unsigned i = 0; i < o.queues; i++) {
        if (i >= first && pthread_create(&qs[i].th, NULL, queue_run, &qs[i]) != 0) {
            fprintf(stderr, "floor: pthread_create failed\n");
            stop = 1;
            started = i;
            break;
        }
        if (o.queues > 1 && !o.no_pin) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET((size_t)(i % (unsigned)ncpu), &set);
            pthread_setaffinity_np(i >= first ? qs[i].th : pthread_self(), sizeof set, &set);
        }
    }
    if (!o.own_thread && started == o.queues) queue_run(&qs[0]);
    for (unsigned i = first; i < started; i++) pthread_join(qs[i].th, NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    for (unsigned i = 0; i < o.queues; i++) {
        struct queue *q = &qs[i];
        printf("floor: queue %u: %llu read, %llu written, %llu SYN, %llu data, %llu FIN, "
               "%llu unanswered, %llu bad checksum, %llu write errors, %llu sleeps, "
               "%llu busy-poll hits\n",
               i, (unsigned long long)q->rx, (unsigned long long)q->tx, (unsigned long long)q->syn,
               (unsigned long long)q->data, (unsigned long long)q->fin,
               (unsigned long long)q->ignored, (unsigned long long)q->bad,
               (unsigned long long)q->write_err, (unsigned long long)q->sleeps,
               (unsigned long long)q->busy_hits);
        close(q->fd);
    }
    printf("floor: stopped; CPU %.3f s (user %.3f, system %.3f)\n", cpu,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    return 0;
}
