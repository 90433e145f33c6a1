/*
 * dev/tun_fd.h - a TUN device over a descriptor its caller opened, for tests: the device's
 * write paths and counters (dev/tun.c) driven on any datagram descriptor, a socketpair
 * standing for /dev/net/tun, with no interface made and no privilege needed.
 */
#ifndef SYNACK_DEV_TUN_FD_H
#define SYNACK_DEV_TUN_FD_H

#include <stdbool.h>

#include "synack/tun.h"

/* A device that reads and writes fd (the device owns it from now: synack_dev_free closes
 * it), each datagram behind a struct virtio_net_hdr when vnet, as with IFF_VNET_HDR and
 * the offloads granted. NULL when out of memory. */
synack_dev *tun_dev_over_fd(int fd, bool vnet);

#endif
