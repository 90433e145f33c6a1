/*
 * fuzz_smoke.h - runs a libFuzzer target (fuzz/fuzz_*.c, included before this header)
 * under ctest on seeded random inputs and on mutations of a valid SYN, so that every
 * `make test` exercises it under ASan+UBSan even where clang's libFuzzer is not used.
 * `make fuzz` does the real, coverage-guided search.
 */
#ifndef SYNACK_FUZZ_SMOKE_H
#define SYNACK_FUZZ_SMOKE_H

#include "base/splitmix.h"
#include "test.h"

TEST(fuzz_target_random_inputs)
{
    static uint8_t in[4096];
    /* A SYN from 10.0.0.2:80 to 10.0.0.1 to start mutations from (options MSS, SACK-OK). */
    static const uint8_t syn[] = {0x45, 0, 0,    48, 0,  1, 0x40, 0,    64,   6,    0,    0,
                                  10,   0, 0,    2,  10, 0, 0,    1,    0,    80,   0x9c, 0x40,
                                  0,    0, 0x10, 0,  0,  0, 0,    0,    0x70, 0x12, 0xff, 0xff,
                                  0,    0, 0,    0,  2,  4, 5,    0xb4, 4,    2,    1,    1};
    uint64_t seed = 12345;
    test_seed(seed);
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = splitmix64(&seed) % sizeof in;
        for (size_t i = 0; i < len; i++) in[i] = (uint8_t)splitmix64(&seed);
        if (iter % 2 == 0 && len > sizeof syn + 4) {
            /* Records of mutated SYN/ACK/data segments (the stack target's record format:
             * actions, time step, length, bytes). */
            for (size_t off = 0; off + 4 + sizeof syn <= len; off += 4 + sizeof syn) {
                in[off + 2] = 0;
                in[off + 3] = sizeof syn;
                memcpy(in + off + 4, syn, sizeof syn);
                in[off + 4 + 20 + 13] = (uint8_t)splitmix64(&seed); /* flags */
                in[off + 4 + (splitmix64(&seed) % sizeof syn)] ^= (uint8_t)splitmix64(&seed);
            }
        }
        LLVMFuzzerTestOneInput(in, len);
    }
}

TEST_MAIN()

#endif
