/*
 * dev/tun_read.h - one read of a TUN device's next datagram (dev/tun_read.c): plain or
 * behind a virtio_net_hdr, and with the stack's receive hint its payload read straight
 * into the receive ring. Apart from the device so that a test can drive it on any
 * datagram descriptor (a socketpair standing for /dev/net/tun).
 */
#ifndef SYNACK_DEV_TUN_READ_H
#define SYNACK_DEV_TUN_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "synack/tun.h"

/* Reads the next datagram from fd (non-blocking) into buf (cap bytes); with vnet each one
 * comes behind a struct virtio_net_hdr (dev/vnet.h). With st (a stack, or NULL) its receive
 * hint is asked for first (entry/rxhint.h) and, when the datagram is the one it expects,
 * the payload is left where it names and SYNACK_DEV_RX_PLACED is set in *rx_flags (buf then
 * holds the headers only). Returns the datagram's length, 0 when there is none; *rx_flags
 * gets SYNACK_DEV_RX_*. Datagrams that cannot be handed on (truncated, a virtio_net_hdr no
 * kernel sends) are counted in stats->rx_errors and skipped, at most 64 per call. */
int tun_read_datagram(int fd, bool vnet, synack_stack *st, uint8_t *buf, size_t cap,
                      unsigned *rx_flags, struct synack_tun_stats *stats);

#endif
