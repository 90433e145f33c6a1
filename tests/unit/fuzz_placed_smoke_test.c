/*
 * fuzz_placed_smoke_test.c - the fuzz/fuzz_placed.c target (the receive hint's path against
 * the whole one) on its seed corpus and seeded mutations under ctest (fuzz_smoke.h).
 */
#include "../../fuzz/fuzz_placed.c"
#define FUZZ_TARGET          "fuzz_placed"
#define FUZZ_SMOKE_MUTATIONS 1000
#define FUZZ_SMOKE_RANDOM    100
#include "fuzz_smoke.h"
