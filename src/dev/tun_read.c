/*
 * dev/tun_read.c - the read side of a TUN device: one datagram per readv, behind its
 * virtio_net_hdr with IFF_VNET_HDR, and the receive hint's read.
 *
 * The hint (entry/rxhint.c) saves the second copy of every received byte (issue 12,
 * docs/performance.md "Bulk over TUN"): the kernel copies the datagram out of the device
 * once, and without the hint the stack copies its payload again into the receive ring.
 * With it the readv's pieces are [the virtio_net_hdr][buf: exactly the headers the stack
 * expects][the ring's free memory at RCV.NXT][buf again, after the room the ring's piece
 * would take there]; the kernel fills them in order, so a datagram that is not the expected
 * one (another connection, other options, a payload beyond the room) is made whole by
 * copying the ring's piece back behind its headers, which costs one copy, as before. The
 * bytes the read left in the ring lie beyond what it holds, so nothing becomes readable
 * before the stack has checked the segment and its text step takes them.
 */
#include "dev/tun_read.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dev/vnet.h"
#include "entry/rxhint.h"
#include "wire/wire.h"

int tun_read_datagram(int fd, bool vnet, synack_stack *st, uint8_t *buf, size_t cap,
                      unsigned *rx_flags, struct synack_tun_stats *stats)
{
    uint8_t hdr[VNET_HDR_LEN];
    size_t vlen = vnet ? VNET_HDR_LEN : 0;
    *rx_flags = 0;
    for (int i = 0; i < 64; i++) {
        struct rx_hint h;
        bool hinted = st && rxhint_get(st, &h) && h.hdr_len < cap;
        size_t room = 0;
        struct iovec iov[4];
        int niov = 0;
        if (vnet) iov[niov++] = (struct iovec){hdr, VNET_HDR_LEN};
        if (hinted) {
            room = h.span_len < cap - h.hdr_len ? h.span_len : cap - h.hdr_len;
            iov[niov++] = (struct iovec){buf, h.hdr_len};
            iov[niov++] = (struct iovec){h.span, room};
            iov[niov++] = (struct iovec){buf + h.hdr_len + room, cap - h.hdr_len - room};
        } else {
            iov[niov++] = (struct iovec){buf, cap};
        }
        ssize_t n = readv(fd, iov, niov);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) stats->rx_errors++;
            return 0;
        }
        /* The kernel may say how long a datagram larger than the buffer was, not what it
         * copied (tun_put_user returns the total). Never handed on as if whole. */
        size_t len = (size_t)n > vlen ? (size_t)n - vlen : 0;
        if (len > cap || (size_t)n < vlen || len == 0) {
            stats->rx_errors++;
            continue;
        }
        struct vnet_hdr vh;
        if (vnet) vnet_parse(hdr, &vh);
        bool placed = false;
        if (hinted && len > h.hdr_len) {
            size_t plen = len - h.hdr_len;
            size_t l4 = h.version == 4 ? WIRE_IPV4_HDR_LEN : WIRE_IPV6_HDR_LEN;
            /* A partial checksum anywhere but TCP's field is completed over the whole
             * datagram (dev/vnet.c), which must be whole for it. */
            bool partial_elsewhere = vnet && (vh.flags & VNET_F_NEEDS_CSUM) &&
                                     !(vh.csum_start == l4 && vh.csum_offset == 16);
            placed = plen <= room && !partial_elsewhere && rxhint_match(&h, buf, len);
            if (!placed) {
                memcpy(buf + h.hdr_len, h.span, plen < room ? plen : room);
                stats->rx_hint_missed++;
            }
        }
        struct vnet_rx rx = {0};
        /* Placed, the checks read the headers only (the one case that reads on, a partial
         * checksum elsewhere, was made whole above). */
        if (vnet && vnet_rx_check(&vh, buf, len, &rx) < 0) {
            /* No kernel sends this; dropped as a wire would drop a mangled frame. */
            stats->rx_errors++;
            continue;
        }
        *rx_flags = (rx.csum_ok ? SYNACK_DEV_RX_CSUM_OK : 0u) |
                    (rx.merged ? SYNACK_DEV_RX_MERGED : 0u) | (placed ? SYNACK_DEV_RX_PLACED : 0u);
        stats->rx_packets++;
        stats->rx_bytes += len;
        if (rx.merged) stats->rx_gso++;
        if (placed) stats->rx_placed++;
        return (int)len;
    }
    return 0;
}
