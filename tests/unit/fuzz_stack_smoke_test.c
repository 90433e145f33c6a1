/*
 * fuzz_stack_smoke_test.c - the fuzz/fuzz_stack.c target on its seed corpus and seeded
 * mutations under ctest (fuzz_smoke.h).
 */
#include "../../fuzz/fuzz_stack.c"
#define FUZZ_TARGET          "fuzz_stack"
#define FUZZ_SMOKE_MUTATIONS 1000
#define FUZZ_SMOKE_RANDOM    100
#include "fuzz_smoke.h"
