/*
 * wire/checksum.c - the Internet checksum (RFC 1071) and the pseudo-header sums of IPv4
 * (RFC 9293 §3.1) and IPv6 (RFC 8200 §8.1). Every other wire file computes and verifies
 * checksums through these four functions, so there is one implementation of the one's-complement
 * arithmetic.
 */
#include "wire/wire.h"

/*
 * RFC 1071 §2(A)/(B): the one's-complement sum is independent of byte order as long as the
 * data is summed in 16-bit words, and carries out of the top may be added back at any
 * time. We sum big-endian words into a 64-bit accumulator (no carry can be lost for any
 * length that fits in memory) and fold the result back into 32 bits: 2^32 = 1 (mod
 * 0xffff), so the end-around-carry fold keeps the sum's value in one's-complement terms.
 *
 * A chained sum (header, then payload) is only right if every piece but the last has an
 * even length: an odd piece is padded with a zero byte here (RFC 1071 §1), which would
 * misalign the next piece.
 */
uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t acc = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2) acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (i < len) acc += (uint32_t)p[i] << 8; /* the odd byte, padded with zero */
    while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
}

/* RFC 1071 §4.1: fold the carries into 16 bits, then complement. A datagram whose sum
 * (checksum field included) folds to 0xffff verifies, so verifiers test fold(...) == 0. */
uint16_t wire_csum_fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

/* RFC 9293 §3.1 (the "pseudo-header"): source address, destination address, a zero byte,
 * the protocol, and the TCP length (header plus data, not counting the pseudo-header).
 * Protecting the addresses this way catches datagrams delivered to the wrong host. */
uint32_t wire_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint32_t sum = 0;
    sum += src >> 16;
    sum += src & 0xffffu;
    sum += dst >> 16;
    sum += dst & 0xffffu;
    sum += proto; /* the zero byte and proto form one 16-bit word */
    sum += len;
    return sum;
}

/* RFC 8200 §8.1: the IPv6 pseudo-header is the source and destination addresses (the final
 * destination, should a Routing header name one, which synack never sends nor follows),
 * the upper-layer packet length as 32 bits, three zero bytes and the Next Header value of
 * the upper-layer protocol. The zero bytes and the protocol form one 32-bit word whose
 * only non-zero 16-bit half is the protocol. The result is folded to 16 bits (not
 * complemented), so that a caller may add a length to it without overflow. */
uint32_t wire_pseudo_sum6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, uint32_t len)
{
    uint32_t sum = wire_csum_add(0, src, 16);
    sum = wire_csum_add(sum, dst, 16);
    uint64_t acc = (uint64_t)sum + (len >> 16) + (len & 0xffffu) + proto;
    while (acc >> 16) acc = (acc & 0xffffu) + (acc >> 16);
    return (uint32_t)acc;
}
