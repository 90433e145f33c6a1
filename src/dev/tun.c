/*
 * dev/tun.c - a Linux TUN device behind the synack device ops: open or create it
 * (IFF_TUN | IFF_NO_PI, non-blocking), read (dev/tun_read.c) and write one IP datagram (IPv4
 * or IPv6) per call, and configure the kernel's side of it (its addresses, link up) over
 * rtnetlink (RFC 3549), so that no `ip` command is run. Only the devices (this file and
 * dev/tun_read.c) and tools/ touch the operating system (docs/architecture.md).
 */
#include "synack/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dev/tun_fd.h"
#include "dev/tun_read.h"
#include "dev/vnet.h"
#include "wire/wire.h"

struct tun_dev {
    struct synack_dev dev;
    int fd;
    bool created;
    char name[IFNAMSIZ];
    struct synack_tun_stats stats;
    unsigned offload;      /* SYNACK_TUN_OFFLOAD_* in use */
    char offload_why[64];  /* why not more, when the kernel refused */
    synack_stack *hint_st; /* whose receive hint each read asks for (synack_tun_rx_hint) */
};

static const struct synack_dev_ops tun_ops, tun_vnet_ops;
static void tun_free(synack_dev *d);

static struct tun_dev *as_tun(const synack_dev *d)
{
    return d && (d->ops == &tun_ops || d->ops == &tun_vnet_ops) ? (struct tun_dev *)d : NULL;
}

/* Copy an interface name into a request, cut to IFNAMSIZ - 1 bytes; the caller has cleared
 * the request, so the name stays terminated (memcpy of the measured length: strncpy's
 * truncation is what gcc's -Wstringop-truncation rightly warns of in a release build). */
static void ifr_set_name(struct ifreq *ifr, const char *name)
{
    memcpy(ifr->ifr_name, name, strnlen(name, IFNAMSIZ - 1));
}

/* The interface's index, 0 when there is none (ioctl, so that it works without root). */
static int if_index(const char *name)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return 0;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr_set_name(&ifr, name);
    int r = ioctl(s, SIOCGIFINDEX, &ifr);
    close(s);
    return r < 0 ? 0 : ifr.ifr_ifindex;
}

int synack_tun_mtu(const char *ifname)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return SYNACK_ESYS;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr_set_name(&ifr, ifname);
    int r = ioctl(s, SIOCGIFMTU, &ifr);
    int e = errno;
    close(s);
    errno = e;
    return r < 0 ? SYNACK_ESYS : ifr.ifr_mtu;
}

static int tun_offload_setup(struct tun_dev *t);

/* One descriptor of the device with the given TUNSETIFF flags (IFF_TUN | IFF_NO_PI, and
 * IFF_MULTI_QUEUE for a queue of a multi-queue device), and IFF_VNET_HDR's offloads when
 * offload is true. */
static synack_dev *tun_open_flags(const char *name, short flags, bool offload, int *err)
{
    int dummy;
    if (!err) err = &dummy;
    if (!name || strlen(name) >= IFNAMSIZ) {
        *err = SYNACK_EINVAL;
        return NULL;
    }
    struct tun_dev *t = calloc(1, sizeof *t);
    if (!t) {
        *err = SYNACK_ENOMEM;
        return NULL;
    }
    bool existed = name[0] && if_index(name) > 0;
    t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0) goto fail;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    /* IFF_NO_PI: no 4-byte protocol header before each datagram. Both directions tell IPv4
     * from IPv6 by the version nibble: the kernel on our writes, synack_input on our reads. */
    ifr.ifr_flags = (short)(flags | (offload ? IFF_VNET_HDR : 0));
    ifr_set_name(&ifr, name);
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
        /* A kernel without IFF_VNET_HDR (before 2.6.27) refuses the flag: plain TUN. */
        if (!(ifr.ifr_flags & IFF_VNET_HDR) || errno != EINVAL) goto fail;
        ifr.ifr_flags &= (short)~IFF_VNET_HDR;
        if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) goto fail;
        snprintf(t->offload_why, sizeof t->offload_why, "IFF_VNET_HDR refused");
    }
    memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
    t->name[IFNAMSIZ - 1] = 0;
    t->created = !existed;
    int mtu = synack_tun_mtu(t->name);
    /* A TUN device starts at 1500; anything outside IPv4's range means a broken ioctl. */
    t->dev.mtu = (uint16_t)(mtu >= 68 && mtu <= 65535 ? mtu : 1500);
    t->dev.ops = &tun_ops;
    t->dev.name = t->name;
    if (ifr.ifr_flags & IFF_VNET_HDR) tun_offload_setup(t);
    return &t->dev;
fail:;
    int e = errno;
    if (t->fd >= 0) close(t->fd);
    free(t);
    errno = e;
    *err = SYNACK_ESYS;
    return NULL;
}

synack_dev *synack_tun_open(const char *name, int *err)
{
    return tun_open_flags(name, IFF_TUN | IFF_NO_PI, false, err);
}

synack_dev *synack_tun_open_offload(const char *name, bool offload, int *err)
{
    return tun_open_flags(name, IFF_TUN | IFF_NO_PI, offload, err);
}

int synack_tun_open_queues(const char *name, unsigned n, bool offload, synack_dev **devs, int *err)
{
    int dummy;
    if (!err) err = &dummy;
    if (!devs || n == 0 || n > SYNACK_TUN_MAX_QUEUES) {
        *err = SYNACK_EINVAL;
        return -1;
    }
    /* Every descriptor is attached with IFF_MULTI_QUEUE, the first one too: the kernel makes
     * the device multi-queue at its creation and refuses a second queue on a single-queue
     * one (EINVAL). The later queues name the device the first one got, so that "" (let the
     * kernel pick tunN) works. The kernel then spreads the flows it sends over the queues by
     * their flow hash, and remembers each flow's queue from what we write on it
     * (drivers/net/tun.c, tun_automq_select_queue and tun_flow_update), so a connection's
     * datagrams always reach the descriptor its stack answers on. The offloads (IFF_VNET_HDR,
     * TUNSETOFFLOAD) are the device's: each queue asks for the same. */
    for (unsigned i = 0; i < n; i++) {
        const char *nm = i ? ((struct tun_dev *)devs[0])->name : name;
        devs[i] = tun_open_flags(nm, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, offload, err);
        if (!devs[i]) {
            int e = errno;
            for (unsigned j = 0; j < i; j++) tun_free(devs[j]);
            errno = e;
            return -1;
        }
        /* Only the first queue's open can create the device. */
        if (i) ((struct tun_dev *)devs[i])->created = false;
    }
    return 0;
}

static int tun_send(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len)
{
    (void)now;
    struct tun_dev *t = (struct tun_dev *)d;
    ssize_t n = write(t->fd, pkt, len);
    if (n < 0) {
        /* A full queue or a link that is down loses the datagram, as a wire would; TCP
         * retransmits. The caller sees the code, the counter keeps it. */
        t->stats.tx_dropped++;
        return errno == EAGAIN || errno == ENOBUFS ? SYNACK_ENOBUFS : SYNACK_ESYS;
    }
    t->stats.tx_packets++;
    t->stats.tx_bytes += (uint64_t)n;
    return 0;
}

static int tun_recv(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
    (void)now;
    struct tun_dev *t = (struct tun_dev *)d;
    return tun_read_datagram(t->fd, false, t->hint_st, buf, cap, &d->rx_flags, &t->stats);
}

static void tun_free(synack_dev *d)
{
    struct tun_dev *t = (struct tun_dev *)d;
    if (t->fd >= 0) close(t->fd);
    free(t);
}

static const struct synack_dev_ops tun_ops = {
    .send = tun_send, .recv = tun_recv, .next_deadline = NULL, .free = tun_free};

/* ---- IFF_VNET_HDR: offloads ------------------------------------------------------------------
 * Each read and write starts with a struct virtio_net_hdr (dev/vnet.c). With it the kernel
 * takes super-segments from us (TSO: it splits them only if it forwards them; a local
 * socket takes a 64 KiB one whole), and with TUNSETOFFLOAD it hands us its own: a local
 * socket's TSO output and GRO-merged input arrive as one datagram of up to 64 KiB, with a
 * partial checksum. The TUN path costs per datagram, not per byte (issue 12: ~400,000
 * datagrams/s per direction per core), so fewer, larger datagrams are the way to speed. */

/* The virtio_net_hdr of a datagram the stack built (vnet_tx_hdr), a refusal counted as a
 * drop: what send_gso and synack_tun_tx_raw both do first. */
static int tx_hdr(struct tun_dev *t, const uint8_t *pkt, size_t len, uint32_t gso_size,
                  struct vnet_hdr *vh, uint16_t *csum, size_t *thl)
{
    if (vnet_tx_hdr(pkt, len, gso_size, vh, csum, thl) < 0) {
        t->stats.tx_dropped++;
        return SYNACK_EINVAL;
    }
    return 0;
}

/* Counts the write of a datagram of len bytes (res: what the write returned, bytes or
 * -errno), for send_gso and for a loop that writes the descriptor itself
 * (synack_tun_tx_done) alike. 0, or the code send() returns. */
static int tx_counted(struct tun_dev *t, long res, size_t len, bool gso)
{
    if (res < 0) {
        t->stats.tx_dropped++;
        return res == -EAGAIN || res == -ENOBUFS ? SYNACK_ENOBUFS : SYNACK_ESYS;
    }
    t->stats.tx_packets++;
    t->stats.tx_bytes += len;
    if (gso) t->stats.tx_gso++;
    return 0;
}

static int tun_send_vnet_gso(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len,
                             uint32_t gso_size)
{
    (void)now;
    struct tun_dev *t = (struct tun_dev *)d;
    struct vnet_hdr vh;
    uint16_t csum;
    size_t thl;
    if (tx_hdr(t, pkt, len, gso_size, &vh, &csum, &thl) < 0) return SYNACK_EINVAL;
    uint8_t hdr[VNET_HDR_LEN];
    vnet_emit(hdr, &vh);
    /* The IP and TCP headers go from a copy whose checksum field holds the pseudo-header
     * sum the partial checksum wants; the payload from where the stack put it. */
    uint8_t head[60 + 60];
    struct iovec iov[3] = {{hdr, sizeof hdr}, {(void *)pkt, len}, {NULL, 0}};
    int niov = 2;
    if (thl && thl <= sizeof head) {
        memcpy(head, pkt, thl);
        wire_put16(head + vh.csum_start + vh.csum_offset, csum);
        iov[1] = (struct iovec){head, thl};
        iov[2] = (struct iovec){(void *)(pkt + thl), len - thl};
        niov = 3;
    } else if (thl) {
        vh.flags = 0; /* no room for the copy: the complete checksum goes as it is */
        vnet_emit(hdr, &vh);
    }
    ssize_t n = writev(t->fd, iov, niov);
    return tx_counted(t, n < 0 ? -(long)errno : (long)n, len, vh.gso_type != VNET_GSO_NONE);
}

static int tun_send_vnet(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len)
{
    return tun_send_vnet_gso(d, now, pkt, len, 0);
}

static int tun_recv_vnet(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
    (void)now;
    struct tun_dev *t = (struct tun_dev *)d;
    return tun_read_datagram(t->fd, true, t->hint_st, buf, cap, &d->rx_flags, &t->stats);
}

static const struct synack_dev_ops tun_vnet_ops = {.send = tun_send_vnet,
                                                   .recv = tun_recv_vnet,
                                                   .next_deadline = NULL,
                                                   .free = tun_free,
                                                   .send_gso = tun_send_vnet_gso};

/* With IFF_VNET_HDR granted: the header's size, then what we take from the kernel, step by
 * step down as it refuses (TSO needs the checksum offload; TSO6 may be missing). Whatever
 * it grants, our writes may carry super-segments: TUNSETOFFLOAD is about what the kernel
 * sends us. */
static int tun_offload_setup(struct tun_dev *t)
{
    /* Every read and write now has the header, whatever else is granted. */
    t->dev.ops = &tun_vnet_ops;
    t->dev.tso_max = 65535;
    t->offload = SYNACK_TUN_OFFLOAD_VNET | SYNACK_TUN_OFFLOAD_TSO_OUT;
    /* The size struct virtio_net_hdr has by default: said, in case another opener of a
     * persistent device changed it. */
    int sz = VNET_HDR_LEN;
    if (ioctl(t->fd, TUNSETVNETHDRSZ, &sz) < 0) {
        snprintf(t->offload_why, sizeof t->offload_why, "TUNSETVNETHDRSZ: %s", strerror(errno));
        return -1;
    }
    static const struct {
        unsigned tun, ours;
    } steps[] = {
        {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
         SYNACK_TUN_OFFLOAD_CSUM | SYNACK_TUN_OFFLOAD_TSO4 | SYNACK_TUN_OFFLOAD_TSO6},
        {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
         SYNACK_TUN_OFFLOAD_CSUM | SYNACK_TUN_OFFLOAD_TSO4 | SYNACK_TUN_OFFLOAD_TSO6},
        {TUN_F_CSUM | TUN_F_TSO4, SYNACK_TUN_OFFLOAD_CSUM | SYNACK_TUN_OFFLOAD_TSO4},
        {TUN_F_CSUM, SYNACK_TUN_OFFLOAD_CSUM},
        {0, 0},
    };
    int first_errno = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)steps[i].tun) == 0) {
            t->offload |= steps[i].ours;
            if (i > 1)
                snprintf(t->offload_why, sizeof t->offload_why, "TUNSETOFFLOAD: %s",
                         strerror(first_errno));
            return 0;
        }
        if (!first_errno) first_errno = errno;
    }
    snprintf(t->offload_why, sizeof t->offload_why, "TUNSETOFFLOAD: %s", strerror(first_errno));
    return -1;
}

int synack_tun_csum_complete(uint8_t *pkt, size_t len)
{
    return vnet_csum_complete(pkt, len) < 0 ? SYNACK_EINVAL : 0;
}

unsigned synack_tun_offload(const synack_dev *d)
{
    struct tun_dev *t = as_tun(d);
    return t ? t->offload : 0;
}

const char *synack_tun_offload_str(const synack_dev *d, char *buf, size_t cap)
{
    struct tun_dev *t = as_tun(d);
    unsigned o = t ? t->offload : 0;
    if (!cap) return buf;
    if (!(o & SYNACK_TUN_OFFLOAD_VNET)) {
        snprintf(buf, cap, "none (%s)",
                 !t                  ? "not a TUN device"
                 : t->offload_why[0] ? t->offload_why
                                     : "not asked for");
        return buf;
    }
    snprintf(buf, cap, "%s%s%s%s%s%s%s", o & SYNACK_TUN_OFFLOAD_CSUM ? "csum " : "",
             o & SYNACK_TUN_OFFLOAD_TSO4 ? "tso4 " : "", o & SYNACK_TUN_OFFLOAD_TSO6 ? "tso6 " : "",
             o & SYNACK_TUN_OFFLOAD_TSO_OUT ? "tso-out" : "", t->offload_why[0] ? " (" : "",
             t->offload_why, t->offload_why[0] ? ")" : "");
    return buf;
}

int synack_tun_rx_hint(synack_dev *d, synack_stack *s)
{
    struct tun_dev *t = as_tun(d);
    if (!t) return SYNACK_EINVAL;
    t->hint_st = s;
    return 0;
}

int synack_tun_fd(const synack_dev *d)
{
    struct tun_dev *t = as_tun(d);
    return t ? t->fd : -1;
}

const char *synack_tun_name(const synack_dev *d)
{
    struct tun_dev *t = as_tun(d);
    return t ? t->name : NULL;
}

bool synack_tun_created(const synack_dev *d)
{
    struct tun_dev *t = as_tun(d);
    return t && t->created;
}

void synack_tun_get_stats(const synack_dev *d, struct synack_tun_stats *st)
{
    struct tun_dev *t = as_tun(d);
    if (!st) return;
    if (t)
        *st = t->stats;
    else
        memset(st, 0, sizeof *st);
}

/* ---- rtnetlink ---------------------------------------------------------------------------- */

struct nl_req {
    struct nlmsghdr nh;
    union {
        struct ifinfomsg ifi;
        struct ifaddrmsg ifa;
    } u;
    char attrs[96];
};

static void nl_attr(struct nl_req *r, uint16_t type, const void *data, uint16_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Sends one request and waits for its acknowledgement: 0 or -errno. */
static int nl_talk(int fd, struct nl_req *r, uint32_t seq)
{
    r->nh.nlmsg_seq = seq;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
        return -errno;
    char buf[4096];
    for (int tries = 0; tries < 16; tries++) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != seq) continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                return e->error; /* 0 is the acknowledgement */
            }
        }
    }
    return -EIO;
}

/* The interface's index and a route netlink socket to configure it (a 2 s answer timeout):
 * the socket, or -1 with *sys_errno set. */
static int nl_open(const char *ifname, int *index, int *sys_errno)
{
    *index = if_index(ifname);
    if (*index <= 0) {
        *sys_errno = ENODEV;
        return -1;
    }
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
        *sys_errno = errno;
        return -1;
    }
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

int synack_tun_configure(const char *ifname, uint32_t host_addr, uint8_t prefix, int *sys_errno)
{
    int dummy;
    if (!sys_errno) sys_errno = &dummy;
    *sys_errno = 0;
    if (!ifname || prefix > 32) return SYNACK_EINVAL;
    int index;
    int fd = nl_open(ifname, &index, sys_errno);
    if (fd < 0) return SYNACK_ESYS;
    int r = 0;
    struct nl_req req;
    if (host_addr) {
        /* RTM_NEWADDR with NLM_F_REPLACE: an address already there is not an error. The
         * kernel adds the on-link route for the prefix, so the stack's address is reached
         * through this interface. */
        memset(&req, 0, sizeof req);
        req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
        req.nh.nlmsg_type = RTM_NEWADDR;
        req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
        req.u.ifa.ifa_family = AF_INET;
        req.u.ifa.ifa_prefixlen = prefix;
        req.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
        req.u.ifa.ifa_index = (unsigned)index;
        uint32_t be = htonl(host_addr);
        nl_attr(&req, IFA_LOCAL, &be, sizeof be);
        nl_attr(&req, IFA_ADDRESS, &be, sizeof be);
        r = nl_talk(fd, &req, 1);
    }
    /* First no IPv6 link-local address (IN6_ADDR_GEN_MODE_NONE), so that the kernel sends
     * no router solicitations and MLD reports down an IPv4-only link; then the link up, in
     * a second message, since the kernel applies IFLA_AF_SPEC after a flags change, when
     * the address would already exist. A kernel without IPv6 refuses the first: ignored. */
    for (int step = 0; r == 0 && step < 2; step++) {
        memset(&req, 0, sizeof req);
        req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
        req.nh.nlmsg_type = RTM_NEWLINK;
        req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        req.u.ifi.ifi_family = AF_UNSPEC;
        req.u.ifi.ifi_index = index;
        if (step == 0) {
            /* IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE: u8 } } */
            struct rtattr *spec = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
            spec->rta_type = IFLA_AF_SPEC;
            struct rtattr *inet6 = (struct rtattr *)RTA_DATA(spec);
            inet6->rta_type = AF_INET6;
            struct rtattr *mode = (struct rtattr *)RTA_DATA(inet6);
            mode->rta_type = IFLA_INET6_ADDR_GEN_MODE;
            mode->rta_len = (unsigned short)RTA_LENGTH(1);
            *(uint8_t *)RTA_DATA(mode) = IN6_ADDR_GEN_MODE_NONE;
            inet6->rta_len = (unsigned short)RTA_LENGTH(RTA_ALIGN(mode->rta_len));
            spec->rta_len = (unsigned short)RTA_LENGTH(inet6->rta_len);
            req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(spec->rta_len);
        } else {
            req.u.ifi.ifi_flags = IFF_UP;
            req.u.ifi.ifi_change = IFF_UP;
        }
        r = nl_talk(fd, &req, 2 + (uint32_t)step);
        if (step == 0 && r != -EPERM && r != -ENODEV) r = 0;
    }
    close(fd);
    if (r < 0) {
        *sys_errno = -r;
        return SYNACK_ESYS;
    }
    return 0;
}

int synack_tun_add_addr(const char *ifname, const struct synack_addr *host, uint8_t prefix,
                        int *sys_errno)
{
    int dummy;
    if (!sys_errno) sys_errno = &dummy;
    *sys_errno = 0;
    struct synack_addr a;
    if (!ifname || !host || !synack_addr_canon(host, &a) || synack_addr_is_any(&a))
        return SYNACK_EINVAL;
    bool v6 = a.family == SYNACK_AF_INET6;
    if (prefix > (v6 ? 128 : 32)) return SYNACK_EINVAL;
    if (!v6) return synack_tun_configure(ifname, synack_addr_to_v4(&a), prefix, sys_errno);
    int index;
    int fd = nl_open(ifname, &index, sys_errno);
    if (fd < 0) return SYNACK_ESYS;
    /* RTM_NEWADDR, AF_INET6, as for IPv4 (NLM_F_REPLACE: an address already there is not
     * an error; the kernel adds the on-link route for the prefix). IFA_F_NODAD: duplicate
     * address detection (RFC 4862 §5.4) would keep the address tentative, unusable as a
     * source, for a second or more; on a point-to-point TUN there is nobody to collide with
     * and no neighbour discovery at all (Linux marks a TUN's neighbours NUD_NOARP and joins
     * no solicited-node group on an IFF_NOARP device), so the address is usable at once. The
     * flag goes both in the header's byte and in IFA_FLAGS, which newer kernels read first. */
    struct nl_req req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    req.nh.nlmsg_type = RTM_NEWADDR;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    req.u.ifa.ifa_family = AF_INET6;
    req.u.ifa.ifa_prefixlen = prefix;
    req.u.ifa.ifa_flags = IFA_F_NODAD;
    req.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    req.u.ifa.ifa_index = (unsigned)index;
    nl_attr(&req, IFA_LOCAL, a.bytes, 16);
    nl_attr(&req, IFA_ADDRESS, a.bytes, 16);
    uint32_t flags = IFA_F_NODAD;
    nl_attr(&req, IFA_FLAGS, &flags, sizeof flags);
    int r = nl_talk(fd, &req, 1);
    close(fd);
    if (r < 0) {
        *sys_errno = -r;
        return SYNACK_ESYS;
    }
    return 0;
}

/* ---- raw I/O: an event loop that reads and writes the descriptor itself ----------------------
 * io_uring (tools/synack/loop_uring.c) posts its reads and writes on synack_tun_fd() without
 * calling recv() or send(); these do the rest of their job (the virtio_net_hdr, its checks,
 * the counters), so that the two paths agree on what a datagram is. */

size_t synack_tun_hdr_len(const synack_dev *d)
{
    struct tun_dev *t = as_tun(d);
    return t && (t->offload & SYNACK_TUN_OFFLOAD_VNET) ? VNET_HDR_LEN : 0;
}

int synack_tun_rx_raw(synack_dev *d, uint8_t *raw, size_t n, uint8_t **pkt)
{
    struct tun_dev *t = as_tun(d);
    if (!t) return 0;
    d->rx_flags = 0;
    size_t hl = synack_tun_hdr_len(d);
    if (n <= hl || n - hl > 65535) {
        /* Nothing behind the header, or more than an IP datagram holds: no kernel sends it. */
        t->stats.rx_errors++;
        return 0;
    }
    size_t len = n - hl;
    if (hl) {
        struct vnet_hdr vh;
        struct vnet_rx rx;
        vnet_parse(raw, &vh);
        if (vnet_rx_check(&vh, raw + hl, len, &rx) < 0) {
            t->stats.rx_errors++; /* as tun_recv_vnet: dropped like a mangled frame */
            return 0;
        }
        d->rx_flags =
            (rx.csum_ok ? SYNACK_DEV_RX_CSUM_OK : 0u) | (rx.merged ? SYNACK_DEV_RX_MERGED : 0u);
        if (rx.merged) t->stats.rx_gso++;
    }
    t->stats.rx_packets++;
    t->stats.rx_bytes += len;
    *pkt = raw + hl;
    return (int)len;
}

int synack_tun_tx_raw(synack_dev *d, uint8_t *buf, size_t len, uint32_t gso_size)
{
    struct tun_dev *t = as_tun(d);
    if (!t) return SYNACK_EINVAL;
    size_t hl = synack_tun_hdr_len(d);
    if (!hl) return gso_size ? SYNACK_EMSGSIZE : (int)len;
    uint8_t *pkt = buf + hl;
    struct vnet_hdr vh;
    uint16_t csum;
    size_t thl;
    if (tx_hdr(t, pkt, len, gso_size, &vh, &csum, &thl) < 0) return SYNACK_EINVAL;
    /* The caller's copy is ours to change: the partial checksum's field takes the
     * pseudo-header sum in place (send_gso writes it into a copy of the headers). */
    if (thl) wire_put16(pkt + vh.csum_start + vh.csum_offset, csum);
    vnet_emit(buf, &vh);
    return (int)(hl + len);
}

int synack_tun_tx_done(synack_dev *d, long res, const uint8_t *buf, size_t len)
{
    struct tun_dev *t = as_tun(d);
    if (!t || !buf) return SYNACK_EINVAL;
    /* A GSO header is what tx_gso counts, as send_gso counts it: a datagram given a
     * gso_size whose payload fits in one segment went without one (vnet_tx_hdr). */
    bool gso = false;
    if (synack_tun_hdr_len(d)) {
        struct vnet_hdr vh;
        vnet_parse(buf, &vh);
        gso = vh.gso_type != VNET_GSO_NONE;
    }
    return tx_counted(t, res, len, gso);
}

synack_dev *tun_dev_over_fd(int fd, bool vnet)
{
    struct tun_dev *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->fd = fd;
    snprintf(t->name, sizeof t->name, "fd%d", fd);
    t->dev.mtu = 1500;
    t->dev.name = t->name;
    t->dev.ops = &tun_ops;
    if (vnet) {
        /* What tun_offload_setup leaves when the kernel grants everything. */
        t->dev.ops = &tun_vnet_ops;
        t->dev.tso_max = 65535;
        t->offload = SYNACK_TUN_OFFLOAD_VNET | SYNACK_TUN_OFFLOAD_TSO_OUT;
    }
    return &t->dev;
}
