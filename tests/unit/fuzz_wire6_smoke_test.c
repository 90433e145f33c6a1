/*
 * fuzz_wire6_smoke_test.c - the fuzz/fuzz_wire6.c target on its seed corpus and seeded
 * mutations under ctest (fuzz_smoke.h).
 */
#include "../../fuzz/fuzz_wire6.c"
#define FUZZ_TARGET          "fuzz_wire6"
#define FUZZ_SMOKE_MUTATIONS 20000
#define FUZZ_SMOKE_RANDOM    2000
#include "fuzz_smoke.h"
