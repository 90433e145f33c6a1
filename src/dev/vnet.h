/*
 * dev/vnet.h - the virtio_net_hdr that precedes every datagram on a TUN device opened with
 * IFF_VNET_HDR (Linux's include/uapi/linux/virtio_net.h; the virtio 1.x specification,
 * §5.1.6 "Device Operation"): pure parse and emit, the checks a received header must pass
 * against the datagram behind it, and the header for a datagram the stack built. No I/O.
 */
#ifndef SYNACK_DEV_VNET_H
#define SYNACK_DEV_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct virtio_net_hdr without the mergeable-buffers count: what TUNSETVNETHDRSZ 10 asks. */
#define VNET_HDR_LEN 10

#define VNET_F_NEEDS_CSUM 1 /* the checksum is partial: csum_start, csum_offset say where */
#define VNET_F_DATA_VALID 2 /* the kernel checked the checksum */

#define VNET_GSO_NONE  0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_TCPV6 4
#define VNET_GSO_ECN   0x80 /* a super-segment carrying CWR: only the first part keeps it */

struct vnet_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;     /* bytes of IP and TCP header */
    uint16_t gso_size;    /* payload bytes per segment the super-segment splits into */
    uint16_t csum_start;  /* where the partial checksum's sum starts */
    uint16_t csum_offset; /* where, from csum_start, the checksum field is */
};

/* In the host's byte order, as Linux's TUN uses it unless TUNSETVNETLE/BE says otherwise. */
void vnet_parse(const uint8_t *p, struct vnet_hdr *h);
void vnet_emit(uint8_t *p, const struct vnet_hdr *h);

/* What a received header says about the datagram of len bytes behind it. */
struct vnet_rx {
    bool csum_ok; /* the TCP checksum need not be checked: valid, or partial from the kernel */
    bool merged;  /* a GRO/TSO super-segment: several wire segments of gso_size bytes */
};

/* Checks header h against the datagram pkt[0..len) and, for a partial checksum at an
 * unexpected place, completes it in pkt. 0, or -1 for a header no kernel sends (the datagram
 * is then dropped by the device): a partial checksum outside the datagram, a super-segment
 * of gso_size 0 or of the other IP version, hdr_len past the datagram, an unknown gso_type. */
int vnet_rx_check(const struct vnet_hdr *h, uint8_t *pkt, size_t len, struct vnet_rx *out);

/* The header for a datagram the stack built (its checksums complete): gso_size 0 for one
 * wire segment, else the payload per segment of a TCP super-segment. A TCP datagram goes
 * with a partial checksum (VNET_F_NEEDS_CSUM), whose field must then hold the pseudo-header
 * sum: *csum_field is that value (to be written with wire_put16 at h->csum_start +
 * h->csum_offset), and *tcp_hlen the bytes up to the end of the TCP header.
 * Anything else goes as it is (flags 0, *tcp_hlen 0). -1 for a super-segment that is no TCP
 * datagram of this form or whose gso_size is 0. */
int vnet_tx_hdr(const uint8_t *pkt, size_t len, uint32_t gso_size, struct vnet_hdr *h,
                uint16_t *csum_field, size_t *tcp_hlen);

/* Writes the complete TCP checksum of a plain TCP datagram (one whose checksum was left
 * partial, or not checked) in place: what the wire would carry, for a capture. 0, or -1
 * when pkt is no such datagram. */
int vnet_csum_complete(uint8_t *pkt, size_t len);

#endif
