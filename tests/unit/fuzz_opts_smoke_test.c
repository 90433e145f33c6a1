/*
 * fuzz_opts_smoke_test.c - the fuzz/fuzz_opts.c target on its seed corpus and seeded
 * mutations under ctest (fuzz_smoke.h).
 */
#include "../../fuzz/fuzz_opts.c"
#define FUZZ_TARGET          "fuzz_opts"
#define FUZZ_SMOKE_MUTATIONS 20000
#define FUZZ_SMOKE_RANDOM    2000
#include "fuzz_smoke.h"
