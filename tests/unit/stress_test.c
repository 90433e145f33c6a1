/*
 * stress_test.c - 16 MiB each way at the same time, over a hostile simulated link: 5%
 * loss, 2% duplication, 2% reordering, 0.5% corruption, 10 ms delay, for many seeds. Every
 * byte is checked; the transfer must finish within a bounded virtual time; afterwards no
 * socket may be left (and LeakSanitizer checks the heap at exit).
 *
 * Seeds: $STRESS_SEEDS as "first-last" (ctest runs several ranges in parallel); 1-50 by
 * default. $STRESS_MIB changes the size (16 by default).
 */
#include <stdio.h>

#include "test.h"
#include "transfer.h"

TEST(hostile_link_16mib_each_way_byte_exact)
{
    unsigned first = 1, last = 50, mib = 16;
    const char *e = getenv("STRESS_SEEDS");
    if (e && sscanf(e, "%u-%u", &first, &last) != 2) TEST_SKIP("bad STRESS_SEEDS");
    e = getenv("STRESS_MIB");
    if (e) mib = (unsigned)atoi(e);
    for (unsigned seed = first; seed <= last; seed++) {
        test_seed(seed);
        struct synack_sim_config lc;
        synack_sim_config_default(&lc);
        lc.delay_us = 10000;
        lc.bandwidth_bps = 100000000;
        lc.faults.loss = 0.05;
        lc.faults.dup = 0.02;
        lc.faults.reorder = 0.02;
        lc.faults.corrupt = 0.005;
        lc.faults.seed = seed;
        struct synack_config c[2];
        simnet_config(&c[0], 0, seed);
        simnet_config(&c[1], 1, seed);
        c[0].sndbuf = c[0].rcvbuf = c[1].sndbuf = c[1].rcvbuf = 1u << 20;
        c[0].msl_us = c[1].msl_us = 1000000; /* a short TIME-WAIT: the test is the data */
        struct simnet n;
        simnet_init_with(&n, c, &lc, seed);
        uint64_t bytes[2] = {(uint64_t)mib << 20, (uint64_t)mib << 20};
        /* Bound: 16 MiB at 5% loss takes minutes of virtual time; an hour means stuck. */
        struct transfer_result r = transfer_run(&n, seed, bytes, 3600ull * 1000000);
        if (!r.ok || !r.closed) {
            fprintf(stderr,
                    "    seed %u: received %llu/%llu and %llu/%llu, mismatch at %llu, "
                    "closed %d (app %d %d, states %d %d), virtual time %.1f s\n",
                    seed, (unsigned long long)r.received[1], (unsigned long long)bytes[0],
                    (unsigned long long)r.received[0], (unsigned long long)bytes[1],
                    (unsigned long long)r.mismatch_at, r.closed, r.closed_by_app[0],
                    r.closed_by_app[1], r.state[0], r.state[1], n.now / 1e6);
        }
        ASSERT(r.ok);
        ASSERT(r.closed);
        printf("     seed %2u: %u MiB each way in %.1f s virtual\n", seed, mib, r.done_us / 1e6);
        simnet_free(&n);
    }
}

TEST_MAIN()
