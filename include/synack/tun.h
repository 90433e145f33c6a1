/*
 * synack/tun.h - a Linux TUN device as a synack device (synack/dev.h), and the rtnetlink
 * calls that give the kernel's side of it an address and bring it up.
 *
 *   int err;
 *   synack_dev *d = synack_tun_open("tun0", &err);   creates the device, or attaches to an
 *                                                     existing (persistent) one
 *   synack_tun_configure("tun0", host_addr, 24, &err) the kernel's IPv4 address, link up
 *   synack_tun_add_addr("tun0", &host6, 64, &err)      and its IPv6 address
 *   epoll on synack_tun_fd(d); synack_pump(stack, d, now) when it is readable
 *
 * The device is IFF_TUN | IFF_NO_PI: each read or write is exactly one IP datagram (IPv4 or
 * IPv6, told apart by its version nibble), with no packet-information header (and, opened
 * with synack_tun_open_offload(), a virtio_net_hdr before it, which the device handles). The
 * descriptor is non-blocking: recv() returns 0 when nothing is waiting, so the caller sleeps in
 * epoll, not in read(). The device's MTU is read once at open time and stored in dev->mtu, so the
 * stack's MSS matches what the link carries.
 *
 * Creating a device needs CAP_NET_ADMIN; attaching to a persistent device made with
 * `ip tuntap add dev tun0 mode tun user U` does not, for user U. Configuring it (address,
 * link up) needs CAP_NET_ADMIN too; synack_tun_configure() reports SYNACK_ESYS with errno
 * EPERM then, and a caller may go on when an administrator configured the device already.
 */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/addr.h"
#include "synack/dev.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens the TUN device `name` (at most 15 characters; "" lets the kernel pick tunN).
 * Returns the device, or NULL with *err set: SYNACK_EINVAL (bad name), SYNACK_ENOMEM,
 * SYNACK_ESYS (errno says why: ENOENT no /dev/net/tun, EPERM not allowed to create it,
 * EBUSY in use by another process, EINVAL a TAP device of that name). */
synack_dev *synack_tun_open(const char *name, int *err);

/* synack_tun_open() asking for offloads, when offload is true: the device is opened with
 * IFF_VNET_HDR, each datagram read or written behind a struct virtio_net_hdr, and
 * TUNSETOFFLOAD asks the kernel for its super-segments (checksum, TSO4, TSO6), falling back
 * step by step as it refuses (synack_tun_offload says what is in use). The device then
 * reads the kernel's super-segments (up to 64 KiB; dev->rx_flags says so and whether the
 * checksum needs checking) and writes the stack's (dev->tso_max, send_gso). A kernel
 * without IFF_VNET_HDR gives a plain device, as synack_tun_open(). */
synack_dev *synack_tun_open_offload(const char *name, bool offload, int *err);

#define SYNACK_TUN_OFFLOAD_VNET    0x01u /* IFF_VNET_HDR: a header on each datagram */
#define SYNACK_TUN_OFFLOAD_CSUM    0x02u /* the kernel may send partial checksums */
#define SYNACK_TUN_OFFLOAD_TSO4    0x04u /* ... and IPv4 TCP super-segments */
#define SYNACK_TUN_OFFLOAD_TSO6    0x08u /* ... and IPv6 TCP super-segments */
#define SYNACK_TUN_OFFLOAD_TSO_OUT 0x10u /* we may write super-segments (dev->tso_max) */
/* The SYNACK_TUN_OFFLOAD_* in use; 0 for a plain device or not a TUN device. */
unsigned synack_tun_offload(const synack_dev *d);
/* The offload mode in words, into buf: "csum tso4 tso6 tso-out", or "none (why)" (not
 * asked for, or what the kernel refused), with what was refused in parentheses. */
const char *synack_tun_offload_str(const synack_dev *d, char *buf, size_t cap);

/* Writes the complete TCP checksum into a TCP datagram (IPv4, or IPv6 without extension
 * headers) whose checksum an offloading device left partial: what a capture should show.
 * 0, or SYNACK_EINVAL when pkt is no such datagram. */
int synack_tun_csum_complete(uint8_t *pkt, size_t len);

/* The most queues synack_tun_open_queues() opens (the kernel allows 256). */
#define SYNACK_TUN_MAX_QUEUES 64

/* Opens n queues of the multi-queue TUN device `name` (IFF_MULTI_QUEUE; created by the first
 * when missing) into devs[0..n-1]: one descriptor each, each its own synack device, to be
 * served by its own stack (one per thread). The kernel gives each flow one queue (by its flow
 * hash, and the queue our replies are written on), so a connection never moves. Returns 0, or
 * -1 with *err set as synack_tun_open() does (SYNACK_EINVAL also for n outside
 * 1..SYNACK_TUN_MAX_QUEUES; errno EINVAL: an existing device that is not multi-queue), and
 * nothing left open. synack_tun_created() is true only for devs[0] of a new device. With
 * offload, each queue asks for the offloads as synack_tun_open_offload() does. */
int synack_tun_open_queues(const char *name, unsigned n, bool offload, synack_dev **devs, int *err);

/* The device's file descriptor, for epoll/poll; -1 when d is not a TUN device. */
int synack_tun_fd(const synack_dev *d);
/* The interface name the kernel gave it. */
const char *synack_tun_name(const synack_dev *d);
/* True when synack_tun_open() created the device (it disappears when closed, unless
 * persistent), false when it attached to one that existed. */
bool synack_tun_created(const synack_dev *d);

struct synack_tun_stats {
    uint64_t rx_packets, rx_bytes; /* datagrams read from the kernel */
    uint64_t tx_packets, tx_bytes; /* datagrams written to the kernel */
    uint64_t tx_dropped;           /* writes the kernel refused (full, link down) */
    uint64_t rx_errors;            /* reads that failed other than EAGAIN, and datagrams
                                    * dropped for a virtio_net_hdr no kernel sends */
    uint64_t rx_gso;               /* super-segments read (the kernel's TSO or GRO) */
    uint64_t tx_gso;               /* super-segments written for the kernel to split */
    uint64_t rx_placed;            /* datagrams whose payload was read into the receive
                                    * ring the stack's hint named (synack_tun_rx_hint) */
    uint64_t rx_hint_missed;       /* hinted reads that were not what the hint expected
                                    * (another connection, a header of another length, more
                                    * payload than the room): made whole again by a copy */
};
void synack_tun_get_stats(const synack_dev *d, struct synack_tun_stats *st);

/* The receive hint (docs/architecture.md, "The path of a received segment"): from now on
 * each read asks stack s where the next in-order payload of the connection that took the
 * last one would go (its receive ring's free memory at RCV.NXT) and what header it expects
 * (IP and TCP, with the options the connection agreed on), and reads the datagram with
 * readv into the caller's buffer for the headers, that place for the payload, and the
 * caller's buffer again for anything beyond. When the headers are the expected ones (the
 * connection's 4-tuple, SEG.SEQ = RCV.NXT, only ACK, PSH or FIN among the flags, the
 * payload within the room), recv() returns the datagram's length with
 * SYNACK_DEV_RX_PLACED in rx_flags: the buffer holds the headers only, and
 * synack_input_flags(s, ...) with those flags keeps the payload where it lies, uncopied.
 * Otherwise the device copies the payload into the buffer behind the headers, and the
 * datagram is an ordinary one. The caller must hand each datagram to s before the next
 * recv(), as serve's loop does, and may not give it to another stack. NULL unbinds. A
 * stack with a trace callback copies each placed datagram whole for its events (the copy
 * the hint saves otherwise). 0, or SYNACK_EINVAL when d is no TUN device. */
int synack_tun_rx_hint(synack_dev *d, synack_stack *s);
/* Raw I/O, for an event loop that reads and writes synack_tun_fd() itself (io_uring) instead
 * of calling recv() and send(); these do the rest of their work, so both paths agree.
 *
 * The bytes before each datagram in such a read or write: the virtio_net_hdr's size with
 * offloads (SYNACK_TUN_OFFLOAD_VNET), else 0. */
size_t synack_tun_hdr_len(const synack_dev *d);
/* n bytes read from the descriptor into raw (the header included): checked as recv() checks
 * them, counted, d->rx_flags set. Returns the datagram's length with *pkt where it starts
 * in raw, or 0 when it is dropped (counted in rx_errors). */
int synack_tun_rx_raw(synack_dev *d, uint8_t *raw, size_t n, uint8_t **pkt);
/* A datagram of len bytes the stack built (gso_size as for send_gso), copied by the caller
 * to buf + synack_tun_hdr_len(d): fills the header before it and, for a partial checksum,
 * the checksum field in place. Returns the bytes to write from buf, or a negative code
 * (SYNACK_EINVAL, SYNACK_EMSGSIZE a super-segment on a device without offloads). */
int synack_tun_tx_raw(synack_dev *d, uint8_t *buf, size_t len, uint32_t gso_size);
/* Counts the write of such a datagram: res is what the write returned (bytes, or -errno),
 * buf what synack_tun_tx_raw filled (still as it left it: its header says whether the
 * kernel was asked to split the datagram, which a gso_size alone does not), len the
 * datagram's length as given to it. 0, or the code send() would have returned. */
int synack_tun_tx_done(synack_dev *d, long res, const uint8_t *buf, size_t len);

/* Over rtnetlink (no `ip` command): gives interface `ifname` the address host_addr/prefix
 * (host byte order) for the kernel's side, replacing it if present, and sets the link up.
 * host_addr 0 only sets the link up. The link gets no IPv6 link-local address (so the kernel
 * sends no router solicitations down it); synack_tun_add_addr() gives it a global one.
 * Returns 0, or a negative code with *sys_errno set to the errno the kernel answered (EPERM
 * without CAP_NET_ADMIN, ENODEV no such interface). */
int synack_tun_configure(const char *ifname, uint32_t host_addr, uint8_t prefix, int *sys_errno);

/* Over rtnetlink: gives interface `ifname` one more address for the kernel's side, host/prefix
 * of either family, replacing it if present; does not touch the link. An IPv4 address is
 * synack_tun_configure()'s (and sets the link up). An IPv6 one is added without duplicate
 * address detection (IFA_F_NODAD), usable at once. Returns 0, SYNACK_EINVAL (no address, a
 * prefix too long for its family), or SYNACK_ESYS with *sys_errno: EPERM (no CAP_NET_ADMIN),
 * ENODEV, EACCES (IPv6 disabled on the interface: net.ipv6.conf.IF.disable_ipv6), EAFNOSUPPORT
 * (a kernel without IPv6). */
int synack_tun_add_addr(const char *ifname, const struct synack_addr *host, uint8_t prefix,
                        int *sys_errno);

/* The interface's MTU (SIOCGIFMTU), or a negative code. */
int synack_tun_mtu(const char *ifname);

#ifdef __cplusplus
}
#endif
#endif
