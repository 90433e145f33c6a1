/*
 * base/siphash.c - SipHash-2-4, written from the paper's description: 2 compression rounds
 * per 8-byte word, 4 finalization rounds, 128-bit key, 64-bit output; and SipHash-1-3, the
 * same with 1 and 3 rounds.
 */
#include "base/siphash.h"

#include <string.h>

static uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static uint64_t load64_le(const uint8_t *p)
{
    /* One load where the host is little-endian (the paper's byte order), else bytes. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
#endif
}

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = rotl(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = rotl(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = rotl(v2, 32);                                                                         \
    } while (0)

/* SipHash-c-d: c compression rounds per word, d finalization rounds. Inlined with constant
 * counts into each variant, so the loops of rounds unroll. */
static inline uint64_t siphash_cd(const uint8_t key[16], const void *data, size_t len, int c, int d)
{
    const uint8_t *in = data;
    uint64_t k0 = load64_le(key), k1 = load64_le(key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
    uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
    uint64_t v3 = k1 ^ 0x7465646279746573ULL;
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load64_le(in + i);
        v3 ^= m;
        for (int r = 0; r < c; r++) SIPROUND;
        v0 ^= m;
    }
    /* The last word carries the remaining bytes and the message length mod 256. */
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++) b |= (uint64_t)in[full + i] << (8 * i);
    v3 ^= b;
    for (int r = 0; r < c; r++) SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    for (int r = 0; r < d; r++) SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len)
{
    return siphash_cd(key, data, len, 2, 4);
}

uint64_t siphash13(const uint8_t key[16], const void *data, size_t len)
{
    return siphash_cd(key, data, len, 1, 3);
}

uint64_t siphash_tuple(const uint8_t key[16], uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport)
{
    uint8_t msg[12];
    /* Network byte order, so that the hash of a tuple is the same on every host. */
    const uint32_t words[2] = {laddr, raddr};
    const uint16_t ports[2] = {lport, rport};
    for (size_t w = 0; w < 2; w++) {
        uint8_t *p = msg + 6 * w;
        p[0] = (uint8_t)(words[w] >> 24);
        p[1] = (uint8_t)(words[w] >> 16);
        p[2] = (uint8_t)(words[w] >> 8);
        p[3] = (uint8_t)words[w];
        p[4] = (uint8_t)(ports[w] >> 8);
        p[5] = (uint8_t)ports[w];
    }
    return siphash24(key, msg, sizeof msg);
}

uint64_t siphash_tuple_addr(const uint8_t key[16], const struct synack_addr *laddr, uint16_t lport,
                            const struct synack_addr *raddr, uint16_t rport)
{
    if (synack_addr_is_v4(laddr) && synack_addr_is_v4(raddr))
        return siphash_tuple(key, synack_addr_to_v4(laddr), lport, synack_addr_to_v4(raddr), rport);
    uint8_t msg[36];
    memcpy(msg, laddr->bytes, 16);
    msg[16] = (uint8_t)(lport >> 8);
    msg[17] = (uint8_t)lport;
    memcpy(msg + 18, raddr->bytes, 16);
    msg[34] = (uint8_t)(rport >> 8);
    msg[35] = (uint8_t)rport;
    return siphash24(key, msg, sizeof msg);
}
