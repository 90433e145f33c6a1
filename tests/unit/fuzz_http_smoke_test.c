/*
 * fuzz_http_smoke_test.c - the fuzz/fuzz_http.c target on its seed corpus and seeded
 * mutations under ctest (fuzz_smoke.h).
 */
#include "../../fuzz/fuzz_http.c"
#define FUZZ_TARGET          "fuzz_http"
#define FUZZ_SMOKE_MUTATIONS 20000
#define FUZZ_SMOKE_RANDOM    2000
#include "fuzz_smoke.h"
