/*
 * base/splitmix.h - splitmix64, the small seeded generator behind everything synack draws
 * that needs spread but not secrecy (ephemeral ports, timestamp offsets, the fault
 * injector's dice). Secrets (ISNs) come from SipHash with a getrandom() key instead.
 */
#ifndef SYNACK_BASE_SPLITMIX_H
#define SYNACK_BASE_SPLITMIX_H

#include <stdint.h>

static inline uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif
