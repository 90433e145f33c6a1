/*
 * dev/vnet.c - the virtio_net_hdr of dev/vnet.h: parse, emit, the checks of a received
 * header, and the header of a datagram the stack built. Pure: no I/O, no allocation.
 *
 * The kernel fills the header of what it hands us (Linux's virtio_net_hdr_from_skb): a
 * super-segment (TSO from a local socket, or GRO-merged input) has gso_type TCPV4/TCPV6 and
 * gso_size, the MSS of its wire segments; a checksum left for the device to finish has
 * VNET_F_NEEDS_CSUM, and then the field at csum_start + csum_offset holds only the sum of
 * the pseudo-header (RFC 9293 §3.1), as a NIC with checksum offload would receive it. We
 * never trust it to be sane: every offset is checked against the datagram's length.
 */
#include "dev/vnet.h"

#include <string.h>

#include "wire/wire.h"

static uint16_t get_h16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static void put_h16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

void vnet_parse(const uint8_t *p, struct vnet_hdr *h)
{
    h->flags = p[0];
    h->gso_type = p[1];
    h->hdr_len = get_h16(p + 2);
    h->gso_size = get_h16(p + 4);
    h->csum_start = get_h16(p + 6);
    h->csum_offset = get_h16(p + 8);
}

void vnet_emit(uint8_t *p, const struct vnet_hdr *h)
{
    p[0] = h->flags;
    p[1] = h->gso_type;
    put_h16(p + 2, h->hdr_len);
    put_h16(p + 4, h->gso_size);
    put_h16(p + 6, h->csum_start);
    put_h16(p + 8, h->csum_offset);
}

/* Where the TCP header of a plain datagram starts (IPv4 with its options, IPv6 with TCP as
 * the first next header), 0 when it is no such datagram or the TCP header is not all there;
 * *thl is the TCP header's length. */
static size_t tcp_at(const uint8_t *pkt, size_t len, int *version, size_t *thl)
{
    size_t off;
    *version = len ? pkt[0] >> 4 : 0;
    if (*version == 4) {
        if (len < WIRE_IPV4_HDR_LEN || pkt[9] != SYNACK_IPPROTO_TCP) return 0;
        off = (size_t)(pkt[0] & 0xf) * 4;
        if (off < WIRE_IPV4_HDR_LEN) return 0;
    } else if (*version == 6) {
        if (len < WIRE_IPV6_HDR_LEN || pkt[6] != SYNACK_IPPROTO_TCP) return 0;
        off = WIRE_IPV6_HDR_LEN;
    } else {
        return 0;
    }
    if (len < off + WIRE_TCP_HDR_LEN) return 0;
    *thl = (size_t)(pkt[off + 12] >> 4) * 4;
    if (*thl < WIRE_TCP_HDR_LEN || len < off + *thl) return 0;
    return off;
}

int vnet_rx_check(const struct vnet_hdr *h, uint8_t *pkt, size_t len, struct vnet_rx *out)
{
    memset(out, 0, sizeof *out);
    int version;
    size_t thl = 0;
    size_t l4 = tcp_at(pkt, len, &version, &thl);
    if (h->hdr_len > len) return -1;
    uint8_t gso = h->gso_type & (uint8_t)~VNET_GSO_ECN;
    if (gso != VNET_GSO_NONE) {
        /* A super-segment is TCP of the version it says, split at gso_size > 0. The stack
         * takes it as the one large segment it is (its window and ring bound what is
         * kept, whatever its size); the flag is for counting. */
        int want = gso == VNET_GSO_TCPV4 ? 4 : gso == VNET_GSO_TCPV6 ? 6 : 0;
        if (!want || want != version || l4 == 0 || h->gso_size == 0) return -1;
        out->merged = true;
    }
    if (h->flags & VNET_F_NEEDS_CSUM) {
        size_t start = h->csum_start, field = start + h->csum_offset;
        if (start >= len || field + 2 > len) return -1;
        if (l4 && start == l4 && h->csum_offset == 16) {
            /* The usual case: the TCP checksum of a segment a local socket sent, holding
             * the pseudo-header sum. The kernel made these bytes and trusts them, and so do
             * we: nothing crossed a wire that could have changed them. Not completing it
             * saves a pass over the data; a capture shows the partial value, as tcpdump on
             * the sending host does. */
            out->csum_ok = true;
            return 0;
        }
        /* Anywhere else (another protocol, extension headers): finish it as the device
         * would, the sum from csum_start to the end, and let the stack check it. */
        /* The field joined the sum with its partial value; the result replaces it. */
        wire_put16(pkt + field, wire_csum_fold(wire_csum_add(0, pkt + start, len - start)));
        return 0;
    }
    if (h->flags & VNET_F_DATA_VALID) out->csum_ok = true;
    return 0;
}

int vnet_tx_hdr(const uint8_t *pkt, size_t len, uint32_t gso_size, struct vnet_hdr *h,
                uint16_t *csum_field, size_t *tcp_hlen)
{
    memset(h, 0, sizeof *h);
    *csum_field = 0;
    *tcp_hlen = 0;
    int version;
    size_t thl = 0;
    size_t l4 = tcp_at(pkt, len, &version, &thl);
    if (l4 == 0) return gso_size ? -1 : 0; /* ICMP and the like go as they are */
    if (gso_size > 0xffff) return -1;
    /* The pseudo-header's sum (RFC 9293 §3.1; RFC 8200 §8.1), with the length of the whole
     * TCP segment, as Linux's tcp_v4_send_check leaves it for a device: when the kernel
     * splits the super-segment (forwarding it), its GSO code corrects the length per part. */
    uint32_t tcp_len = (uint32_t)(len - l4);
    uint32_t sum;
    if (version == 4)
        sum = wire_csum_add(0, pkt + 12, 8);
    else
        sum = wire_csum_add(0, pkt + 8, 32);
    sum += SYNACK_IPPROTO_TCP + (tcp_len >> 16) + (tcp_len & 0xffff);
    *csum_field = (uint16_t)~wire_csum_fold(sum); /* folded, not complemented */
    *tcp_hlen = l4 + thl;
    /* Partial: the kernel never checks a checksum it was told to finish (a local socket
     * takes the data as CHECKSUM_PARTIAL), and when it forwards, its GSO code computes each
     * part's. A complete checksum would cost the kernel a pass over a 64 KiB super-segment. */
    h->flags = VNET_F_NEEDS_CSUM;
    h->csum_start = (uint16_t)l4;
    h->csum_offset = 16;
    h->hdr_len = (uint16_t)(l4 + thl);
    if (gso_size && len - l4 - thl > gso_size) {
        h->gso_type = version == 4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6;
        /* CWR on a super-segment: the kernel's GSO keeps it on the first part only. */
        if (pkt[l4 + 13] & 0x80) h->gso_type |= VNET_GSO_ECN;
        h->gso_size = (uint16_t)gso_size;
    }
    return 0;
}

int vnet_csum_complete(uint8_t *pkt, size_t len)
{
    int version;
    size_t thl = 0;
    size_t l4 = tcp_at(pkt, len, &version, &thl);
    if (l4 == 0) return -1;
    uint32_t tcp_len = (uint32_t)(len - l4);
    uint32_t sum = version == 4 ? wire_csum_add(0, pkt + 12, 8) : wire_csum_add(0, pkt + 8, 32);
    sum += SYNACK_IPPROTO_TCP + (tcp_len >> 16) + (tcp_len & 0xffff);
    wire_put16(pkt + l4 + 16, 0);
    wire_put16(pkt + l4 + 16, wire_csum_fold(wire_csum_add(sum, pkt + l4, tcp_len)));
    return 0;
}
