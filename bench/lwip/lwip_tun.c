/*
 * bench/lwip/lwip_tun.c - the lwIP peer of `make bench`: Debian's liblwip (2.1.3, built with
 * the lwipopts.h it ships) on a TUN device, serving echo (RFC 862), discard (RFC 863) and
 * chargen (RFC 864) through lwIP's raw TCP API, like synack serve does over its own API.
 *
 * One thread drives lwIP the way a NO_SYS port does: read the device, hand each packet to
 * ip4_input, run lwIP's timers when due, sleep in poll() until the next packet or timer.
 * tcpip_init() is never called, so no second thread and no core lock are involved (the
 * library's core-locking check only applies once a tcpip thread exists); the comparison is
 * one single-threaded stack against another.
 *
 *   lwip_tun --tun IF [--addr A] [--echo P] [--discard P] [--chargen P] [--max-seconds S]
 *
 * IF must exist (ip tuntap add ... mode tun); the kernel side's address is the caller's job.
 * Runs until SIGINT/SIGTERM or --max-seconds (600).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lwip/init.h"
#include "lwip/ip4.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#define LINE  74 /* chargen: 72 characters, CR, LF */
#define CYCLE (95 * LINE)
#define CHUNK 16384
#define BATCH 64 /* packets read per wake-up at most */

enum kind { K_ECHO, K_DISCARD, K_CHARGEN };

struct conn {
    enum kind kind;
    struct pbuf *pend; /* echo: received, not yet written back (from offset off) */
    u16_t off;
    int fin;   /* the peer's FIN came: close once pend is written */
    u64_t pos; /* chargen: offset in the endless stream */
};

static volatile sig_atomic_t stop;
static int tun_fd = -1;
static char pattern[CYCLE + CHUNK];
static unsigned long conns_open, conns_accepted, write_errors;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* ---- the device --------------------------------------------------------------------------- */

static err_t tun_output(struct netif *nif, struct pbuf *p, const ip4_addr_t *dst)
{
    (void)nif;
    (void)dst;
    struct iovec iov[16];
    int n = 0;
    for (struct pbuf *q = p; q && n < 16; q = q->next) {
        iov[n].iov_base = q->payload;
        iov[n++].iov_len = q->len;
    }
    if (writev(tun_fd, iov, n) < 0) write_errors++; /* a full queue: TCP retransmits */
    return ERR_OK;
}

#if LWIP_IPV6
static err_t tun_output6(struct netif *nif, struct pbuf *p, const ip6_addr_t *dst)
{
    (void)nif;
    (void)p;
    (void)dst;
    return ERR_OK; /* IPv4 only: IPv6 is off in the bench's namespaces */
}
#endif

static err_t tun_netif_init(struct netif *nif)
{
    nif->name[0] = 't';
    nif->name[1] = 'u';
    nif->mtu = 1500;
    nif->output = tun_output;
#if LWIP_IPV6
    nif->output_ip6 = tun_output6;
#endif
    nif->flags = 0; /* point to point: no ARP, no broadcast */
    return ERR_OK;
}

static int tun_attach(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- the services --------------------------------------------------------------------------- */

static void conn_free(struct tcp_pcb *pcb, struct conn *c)
{
    if (pcb) {
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL); /* lwIP's default then drops what still comes and acks a FIN */
        tcp_sent(pcb, NULL);
        tcp_err(pcb, NULL);
    }
    if (c->pend) pbuf_free(c->pend);
    free(c);
    conns_open--;
}

static void conn_close(struct tcp_pcb *pcb, struct conn *c)
{
    conn_free(pcb, c);
    if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
}

/* echo: writes back as much of pend as the send buffer takes; only what is written back is
 * acknowledged to the window (tcp_recved), so a peer that sends faster than it reads is
 * slowed by TCP's own flow control. */
static void echo_flush(struct tcp_pcb *pcb, struct conn *c)
{
    static char tmp[CHUNK];
    while (c->pend) {
        u16_t left = (u16_t)(c->pend->tot_len - c->off);
        u16_t n = tcp_sndbuf(pcb);
        if (n > left) n = left;
        if (n > sizeof tmp) n = sizeof tmp;
        if (n == 0) break;
        pbuf_copy_partial(c->pend, tmp, n, c->off);
        if (tcp_write(pcb, tmp, n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
        tcp_recved(pcb, n);
        c->off = (u16_t)(c->off + n);
        if (c->off == c->pend->tot_len) {
            pbuf_free(c->pend);
            c->pend = NULL;
            c->off = 0;
        }
    }
    tcp_output(pcb);
}

static void chargen_fill(struct tcp_pcb *pcb, struct conn *c)
{
    for (;;) {
        u16_t n = tcp_sndbuf(pcb);
        if (n > CHUNK) n = CHUNK;
        if (n == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN) break;
        if (tcp_write(pcb, pattern + c->pos % CYCLE, n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
        c->pos += n;
    }
    tcp_output(pcb);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn *c = arg;
    if (!c) { /* not ours any more */
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (err != ERR_OK || !p) { /* the peer's FIN */
        if (p) pbuf_free(p);
        c->fin = 1;
        if (!c->pend) conn_close(pcb, c);
        return ERR_OK;
    }
    if (c->kind != K_ECHO) {
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }
    if (c->pend) {
        pbuf_cat(c->pend, p);
    } else {
        c->pend = p;
        c->off = 0;
    }
    echo_flush(pcb, c);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)len;
    struct conn *c = arg;
    if (!c) return ERR_OK;
    if (c->kind == K_CHARGEN) chargen_fill(pcb, c);
    if (c->kind == K_ECHO) {
        echo_flush(pcb, c);
        if (c->fin && !c->pend) conn_close(pcb, c);
    }
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    (void)err;
    struct conn *c = arg;
    if (c) conn_free(NULL, c); /* the pcb is already gone (reset or aborted) */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    if (err != ERR_OK || !pcb) return ERR_VAL;
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    c->kind = (enum kind)(intptr_t)arg;
    conns_open++;
    conns_accepted++;
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    if (c->kind == K_CHARGEN) chargen_fill(pcb, c);
    return ERR_OK;
}

static int listen_on(long port, enum kind k)
{
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (!pcb || tcp_bind(pcb, IP4_ADDR_ANY, (u16_t)port) != ERR_OK) return -1;
    struct tcp_pcb *l = tcp_listen_with_backlog(pcb, 255);
    if (!l) return -1;
    tcp_arg(l, (void *)(intptr_t)k);
    tcp_accept(l, on_accept);
    return 0;
}

/* ---- the loop ------------------------------------------------------------------------------ */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *tun = NULL, *addr = "10.7.0.2";
    long ports[3] = {0, 0, 0};
    double max_s = 600;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--tun"))
            tun = v;
        else if (!strcmp(a, "--addr"))
            addr = v;
        else if (!strcmp(a, "--echo"))
            ports[K_ECHO] = strtol(v, NULL, 10);
        else if (!strcmp(a, "--discard"))
            ports[K_DISCARD] = strtol(v, NULL, 10);
        else if (!strcmp(a, "--chargen"))
            ports[K_CHARGEN] = strtol(v, NULL, 10);
        else if (!strcmp(a, "--max-seconds"))
            max_s = strtod(v, NULL);
        else
            tun = NULL, i = argc;
    }
    if (!tun || argc % 2 == 0) {
        fprintf(stderr, "usage: lwip_tun --tun IF [--addr A] [--echo P] [--discard P] "
                        "[--chargen P] [--max-seconds S]\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof pattern; i++) {
        size_t line = (i / LINE) % 95, col = i % LINE;
        pattern[i] = col < 72 ? (char)(' ' + (line + col) % 95) : col == 72 ? '\r' : '\n';
    }
    tun_fd = tun_attach(tun);
    if (tun_fd < 0) {
        fprintf(stderr, "lwip_tun: cannot attach to %s: %s\n", tun, strerror(errno));
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    lwip_init();
    ip4_addr_t ip, mask, gw;
    if (!ip4addr_aton(addr, &ip)) return 2;
    IP4_ADDR(&mask, 255, 255, 255, 0);
    ip4_addr_set_zero(&gw);
    static struct netif nif;
    if (!netif_add(&nif, &ip, &mask, &gw, NULL, tun_netif_init, ip4_input)) return 1;
    netif_set_default(&nif);
    netif_set_link_up(&nif);
    netif_set_up(&nif);
    for (int k = 0; k < 3; k++)
        if (ports[k] > 0 && ports[k] < 65536 && listen_on(ports[k], (enum kind)k) < 0) {
            fprintf(stderr, "lwip_tun: cannot listen on port %ld\n", ports[k]);
            return 1;
        }
    printf("lwip_tun: lwIP %s on %s, %s, listening\n", LWIP_VERSION_STRING, tun, addr);
    fflush(stdout);

    static char buf[65536];
    double t0 = mono_s();
    while (!stop && mono_s() - t0 < max_s) {
        u32_t sleep_ms = sys_timeouts_sleeptime();
        struct pollfd pfd = {.fd = tun_fd, .events = POLLIN};
        poll(&pfd, 1, sleep_ms > 200 ? 200 : (int)sleep_ms);
        for (int k = 0; k < BATCH; k++) {
            ssize_t n = read(tun_fd, buf, sizeof buf);
            if (n <= 0) break;
            struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
            if (!p) break;
            memcpy(p->payload, buf, (size_t)n);
            if (nif.input(p, &nif) != ERR_OK) pbuf_free(p);
        }
        sys_check_timeouts();
    }
    printf("lwip_tun: stopped; %lu connections accepted, %lu open, %lu device write errors\n",
           conns_accepted, conns_open, write_errors);
    return 0;
}
