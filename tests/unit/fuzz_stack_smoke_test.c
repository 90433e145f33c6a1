/*
 * fuzz_stack_smoke_test.c - runs the libFuzzer target fuzz/fuzz_stack.c under ctest on
 * seeded random inputs (and mutations of a valid segment), so that every `make test`
 * exercises it under ASan+UBSan even where clang's libFuzzer is not used. `make fuzz` does
 * the real, coverage-guided search.
 */
#include "../../fuzz/fuzz_stack.c"
#include "test.h"

static uint64_t smoke_rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

TEST(fuzz_stack_random_inputs)
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
        size_t len = smoke_rng(&seed) % sizeof in;
        for (size_t i = 0; i < len; i++) in[i] = (uint8_t)smoke_rng(&seed);
        if (iter % 2 == 0 && len > sizeof syn + 4) {
            /* records of mutated SYN/ACK/data segments */
            for (size_t off = 0; off + 4 + sizeof syn <= len; off += 4 + sizeof syn) {
                in[off + 2] = 0;
                in[off + 3] = sizeof syn;
                memcpy(in + off + 4, syn, sizeof syn);
                in[off + 4 + 20 + 13] = (uint8_t)smoke_rng(&seed); /* flags */
                in[off + 4 + (smoke_rng(&seed) % sizeof syn)] ^= (uint8_t)smoke_rng(&seed);
            }
        }
        LLVMFuzzerTestOneInput(in, len);
    }
}

TEST_MAIN()
