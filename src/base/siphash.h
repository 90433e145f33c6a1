/*
 * base/siphash.h - SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed PRF behind the
 * initial sequence numbers (RFC 6528) and the connection hash table's bucket choice.
 */
#ifndef SYNACK_BASE_SIPHASH_H
#define SYNACK_BASE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#include "synack/addr.h"

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
/* SipHash-1-3: one compression round per word and three at the end, for hash tables
 * (the choice of Linux's hsiphash and of Rust's HashMap): a keyed hash whose output a
 * peer never sees, where flooding one bucket needs the key; about twice as fast. The
 * ISNs and cookies, which the peer sees, keep SipHash-2-4. */
uint64_t siphash13(const uint8_t key[16], const void *data, size_t len);
/* SipHash-2-4 of a connection's 4-tuple, in network byte order. */
uint64_t siphash_tuple(const uint8_t key[16], uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport);
/* The same for addresses of either family: an IPv4 pair hashes exactly as siphash_tuple
 * does (so IPv4 ISNs and cookies are what they always were); anything else hashes the two
 * 16-byte addresses and the ports, 36 bytes in network byte order. */
uint64_t siphash_tuple_addr(const uint8_t key[16], const struct synack_addr *laddr, uint16_t lport,
                            const struct synack_addr *raddr, uint16_t rport);

#endif
