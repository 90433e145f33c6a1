/*
 * fuzz_wire_smoke_test.c - the fuzz/fuzz_wire.c target on seeded inputs under ctest
 * (fuzz_smoke.h).
 */
#include "../../fuzz/fuzz_wire.c"
#include "fuzz_smoke.h"
