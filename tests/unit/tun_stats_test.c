/*
 * tun_stats_test.c - the TUN device's write counters (dev/tun.c) on both of its write paths:
 * send_gso (serve's epoll loop) and synack_tun_tx_raw / synack_tun_tx_done (the io_uring
 * loop, which writes the descriptor itself). tx_gso counts the datagrams written with a GSO
 * header, that the kernel splits; a datagram given a gso_size whose payload fits in one
 * segment goes without one (dev/vnet.c) and must not be counted, on either path. The
 * device runs over a SOCK_SEQPACKET socketpair standing for /dev/net/tun (dev/tun_fd.h): no
 * interface is made, the test reads what the kernel would.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "dev/tun_fd.h"
#include "dev/vnet.h"
#include "synack/dev.h"
#include "wire/wire.h"

#define GSO 1448u

/* A TCP/IPv4 datagram with plen bytes of payload; its length. */
static size_t datagram(uint8_t *buf, size_t cap, size_t plen)
{
    static uint8_t payload[8192];
    for (size_t i = 0; i < plen; i++) payload[i] = (uint8_t)i;
    struct synack_ipv4_hdr ip;
    memset(&ip, 0, sizeof ip);
    ip.ttl = 64;
    ip.proto = SYNACK_IPPROTO_TCP;
    ip.src = 0x0a000001u;
    ip.dst = 0x0a000002u;
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = 80;
    h.dport = 40000;
    h.seq = 1000;
    h.ack = 2000;
    h.flags = SYNACK_TCP_ACK;
    h.window = 65535;
    size_t n = wire_segment_emit(buf, cap, &ip, &h, payload, plen);
    ASSERT(n == 40 + plen);
    return n;
}

struct rig {
    int fd[2]; /* fd[0]: the device's, fd[1]: the kernel's end */
    synack_dev *d;
};

static void rig_open(struct rig *r)
{
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, r->fd), 0);
    int sz = 1 << 20;
    setsockopt(r->fd[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    setsockopt(r->fd[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    r->d = tun_dev_over_fd(r->fd[0], true);
    ASSERT(r->d != NULL);
    ASSERT_EQ(synack_tun_hdr_len(r->d), VNET_HDR_LEN);
}

static void rig_close(struct rig *r)
{
    synack_dev_free(r->d); /* closes fd[0] */
    close(r->fd[1]);
}

/* The kernel's side reads the next datagram: its header's GSO type, and its length. */
static uint8_t kernel_reads(struct rig *r, size_t want_len)
{
    static uint8_t got[70000];
    ssize_t n = read(r->fd[1], got, sizeof got);
    ASSERT(n == (ssize_t)(VNET_HDR_LEN + want_len));
    struct vnet_hdr vh;
    vnet_parse(got, &vh);
    return vh.gso_type;
}

static uint64_t tx_gso(const struct rig *r)
{
    struct synack_tun_stats ts;
    synack_tun_get_stats(r->d, &ts);
    return ts.tx_gso;
}

/* One datagram of plen payload bytes by send_gso; the header's GSO type. */
static uint8_t by_send_gso(struct rig *r, size_t plen)
{
    static uint8_t pkt[70000];
    size_t n = datagram(pkt, sizeof pkt, plen);
    ASSERT_EQ(r->d->ops->send_gso(r->d, 0, pkt, n, GSO), 0);
    return kernel_reads(r, n);
}

/* The same by the io_uring loop's steps: tx_raw, the loop's own write, tx_done. */
static uint8_t by_tx_raw(struct rig *r, size_t plen)
{
    static uint8_t buf[70000];
    size_t n = datagram(buf + VNET_HDR_LEN, sizeof buf - VNET_HDR_LEN, plen);
    int w = synack_tun_tx_raw(r->d, buf, n, GSO);
    ASSERT_EQ(w, (int)(VNET_HDR_LEN + n));
    ssize_t res = write(r->fd[0], buf, (size_t)w);
    ASSERT_EQ(res, w);
    ASSERT_EQ(synack_tun_tx_done(r->d, (long)res, buf, n), 0);
    return kernel_reads(r, n);
}

TEST(tx_gso_counts_only_datagrams_written_with_a_gso_header_on_either_path)
{
    for (int path = 0; path < 2; path++) {
        struct rig r;
        rig_open(&r);
        uint8_t (*send)(struct rig *, size_t) = path ? by_tx_raw : by_send_gso;
        /* One segment's payload, though a gso_size was given: written whole, no GSO
         * header, not counted. */
        ASSERT_EQ(send(&r, 100), VNET_GSO_NONE);
        ASSERT_EQ(tx_gso(&r), 0);
        ASSERT_EQ(send(&r, GSO), VNET_GSO_NONE);
        ASSERT_EQ(tx_gso(&r), 0);
        /* Three segments' worth: a GSO header, counted once. */
        ASSERT_EQ(send(&r, 3 * GSO), VNET_GSO_TCPV4);
        ASSERT_EQ(tx_gso(&r), 1);
        struct synack_tun_stats ts;
        synack_tun_get_stats(r.d, &ts);
        ASSERT_EQ(ts.tx_packets, 3);
        ASSERT_EQ(ts.tx_bytes, 3 * 40 + 100 + GSO + 3 * GSO);
        rig_close(&r);
    }
}

TEST_MAIN()
