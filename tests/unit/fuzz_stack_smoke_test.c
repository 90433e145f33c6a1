/*
 * fuzz_stack_smoke_test.c - the fuzz/fuzz_stack.c target on seeded inputs under ctest
 * (fuzz_smoke.h).
 */
#include "../../fuzz/fuzz_stack.c"
#include "fuzz_smoke.h"
