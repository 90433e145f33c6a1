/*
 * wire/checksum.c - the Internet checksum (RFC 1071) and the pseudo-header sums of IPv4
 * (RFC 9293 §3.1) and IPv6 (RFC 8200 §8.1). Every other wire file computes and verifies
 * checksums through these functions and wire_csum_fold (wire.h, inline: it ends every sum
 * of every segment in and out), so there is one implementation of the one's-complement
 * arithmetic.
 */
#include <string.h>

#include "wire/wire.h"

/*
 * RFC 1071 §2(A)/(B): the one's-complement sum is independent of byte order as long as the
 * data is summed in 16-bit words, and carries out of the top may be added back at any
 * time. So the sum is taken the fast way RFC 1071 §2(C) and §4 describe: the data is
 * loaded in 64-bit words of the host's byte order, four independent accumulators (so that
 * the additions of one round do not wait for each other) each add a word and its carry
 * back in (end-around carry: 2^64 = 1 (mod 0xffff)), and the total is folded to 16 bits.
 * On a little-endian host those 16 bits are the sum of byte-swapped words, which §2(B)
 * says is the byte-swapped sum: one swap at the end makes it the sum of big-endian words
 * that the pseudo-header functions and the callers' chained sums use.
 *
 * A chained sum (header, then payload) is only right if every piece but the last has an
 * even length: an odd piece is padded with a zero byte here (RFC 1071 §1), which would
 * misalign the next piece. Loads go through memcpy, so data may have any alignment.
 */
static inline uint64_t add_carry(uint64_t a, uint64_t b)
{
    uint64_t s = a + b;
    return s + (s < b); /* the carry out of bit 63, added back at the bottom */
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CSUM_AVX2 1
/* The same sum, 64 bytes a round in 256-bit registers, for the long runs of a payload (a
 * third of bulk's time at MTU 65535 was the 64-bit loop below). Each 64-bit lane of a load
 * is split into its two 32-bit words, each added into a 64-bit lane of its own, which
 * cannot carry out before 2^32 rounds (every word < 2^32): no end-around carry inside the
 * loop. A 32-bit
 * word is w_hi * 2^16 + w_lo = w_hi + w_lo (mod 0xffff), so the plain sum of the host-order
 * 32-bit words is the one's-complement sum of the host-order 16-bit words (RFC 1071
 * §2(A)-(C)), folded with the scalar accumulators below. Only where the CPU has AVX2
 * (asked at run time); n is a multiple of 64. */
__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t *p, size_t n)
{
    typedef uint64_t v4 __attribute__((vector_size(32)));
    const v4 m = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    v4 lo0 = {0, 0, 0, 0}, hi0 = lo0, lo1 = lo0, hi1 = lo0;
    for (size_t i = 0; i < n; i += 64) {
        v4 a, b;
        memcpy(&a, p + i, 32);
        memcpy(&b, p + i + 32, 32);
        lo0 += a & m;
        hi0 += a >> 32;
        lo1 += b & m;
        hi1 += b >> 32;
    }
    v4 t = lo0 + hi0 + lo1 + hi1; /* each lane < 4 * 2^32 * n / 64 */
    uint64_t r = 0;
    for (int k = 0; k < 4; k++) {
        uint64_t s = r + t[k];
        r = s + (s < t[k]);
    }
    return r;
}
#endif

/* The 16-bit one's-complement sum of len bytes as host-order words (not complemented). */
static uint16_t sum16_host(const uint8_t *p, size_t len)
{
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#ifdef CSUM_AVX2
    if (len >= 256 && __builtin_cpu_supports("avx2")) {
        size_t n = len & ~(size_t)63;
        a2 = sum_avx2(p, n);
        p += n;
        len -= n;
    }
#endif
    while (len >= 32) {
        uint64_t w[4];
        memcpy(w, p, 32);
        a0 = add_carry(a0, w[0]);
        a1 = add_carry(a1, w[1]);
        a2 = add_carry(a2, w[2]);
        a3 = add_carry(a3, w[3]);
        p += 32;
        len -= 32;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        a0 = add_carry(a0, w);
        p += 8;
        len -= 8;
    }
    /* The last 0..7 bytes, padded with zeros after them in memory order into one word:
     * zero bytes add nothing, and an odd last byte lands where RFC 1071 §1 pads it. */
    if (len) {
        /* Fixed-size pieces (4, 2, 1 bytes) placed at their offsets: no call to a
         * variable-length memcpy for a few bytes. */
        uint64_t w = 0;
        size_t at = 0;
        if (len & 4) {
            uint32_t v;
            memcpy(&v, p, 4);
            w = v;
            at = 4;
        }
        if (len & 2) {
            uint16_t v;
            memcpy(&v, p + at, 2);
            uint8_t b[8] = {0};
            memcpy(b, &w, 8);
            memcpy(b + at, &v, 2);
            memcpy(&w, b, 8);
            at += 2;
        }
        if (len & 1) {
            uint8_t b[8];
            memcpy(b, &w, 8);
            b[at] = p[at];
            memcpy(&w, b, 8);
        }
        a1 = add_carry(a1, w);
    }
    uint64_t acc = add_carry(add_carry(a0, a1), add_carry(a2, a3));
    acc = (acc & 0xffffffffu) + (acc >> 32); /* 64 -> 33 bits */
    acc = (acc & 0xffffffffu) + (acc >> 32); /* -> 32 */
    acc = (acc & 0xffffu) + (acc >> 16);     /* -> 17 */
    acc = (acc & 0xffffu) + (acc >> 16);     /* -> 16 */
    return (uint16_t)acc;
}

uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len)
{
    uint16_t s = len ? sum16_host(data, len) : 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = (uint16_t)(s >> 8 | s << 8);
#endif
    uint64_t acc = (uint64_t)sum + s;
    return (uint32_t)((acc & 0xffffffffu) + (acc >> 32));
}

/* RFC 1624 §3, eqn. 3: when a 16-bit word of the covered data changes from old to new, the
 * stored checksum hc becomes ~(~hc + ~old + new), computed without the data. (Eqn. 2 of
 * RFC 1141, hc + old - new, can give 0x0000 for a sum that must be 0xffff's equal; eqn. 3
 * cannot.) */
uint16_t wire_csum_update16(uint16_t hc, uint16_t old, uint16_t new_)
{
    uint32_t sum = (uint16_t)~hc;
    sum += (uint16_t)~old;
    sum += new_;
    return wire_csum_fold(sum);
}

/* The same for a 32-bit field (a sequence or acknowledgment number, an address): its two
 * 16-bit halves are two words of the sum. */
uint16_t wire_csum_update32(uint16_t hc, uint32_t old, uint32_t new_)
{
    uint32_t sum = (uint16_t)~hc;
    sum += (uint16_t) ~(old >> 16);
    sum += (uint16_t)~old;
    sum += new_ >> 16;
    sum += new_ & 0xffffu;
    return wire_csum_fold(sum);
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
