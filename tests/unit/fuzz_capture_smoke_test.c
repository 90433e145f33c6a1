/*
 * fuzz_capture_smoke_test.c - the fuzz/fuzz_capture.c target on its seed corpus and seeded
 * mutations under ctest (fuzz_smoke.h); skipped when synack was built without libpcap.
 */
#include "../../fuzz/fuzz_capture.c"

/* NULL when captures can be read here, else why not. */
static const char *capture_unavailable(void)
{
    char err[256] = "";
    tr_capture *c = tr_capture_open("/nonexistent/synack-fuzz-probe.pcap", err, sizeof err);
    tr_capture_close(c);
    return strstr(err, "without libpcap") ? "synack was built without libpcap" : NULL;
}

#define FUZZ_TARGET          "fuzz_capture"
#define FUZZ_SMOKE_MUTATIONS 5000
#define FUZZ_SMOKE_RANDOM    500
#define FUZZ_SMOKE_SKIP()    capture_unavailable()
#include "fuzz_smoke.h"
