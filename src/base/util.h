/*
 * base/util.h - the small integer helpers every layer uses: one min and one max.
 */
#ifndef SYNACK_BASE_UTIL_H
#define SYNACK_BASE_UTIL_H

#include <stdint.h>

static inline uint32_t u32_min(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}
static inline uint32_t u32_max(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}
static inline uint64_t u64_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

#endif
