/*
 * test.h - the tiny test harness every unit test program (tests/unit/NAME_test.c) uses.
 *
 *   TEST(listen_syn_sends_syn_ack) { ...; ASSERT_EQ(a, b); }
 *   int main(void) { return test_main(); }   -- or TEST_MAIN()
 *
 * Tests register themselves; test_main() runs them all (or those named in $TEST_FILTER),
 * prints one line per test and a summary, and returns non-zero on any failure. An
 * assertion prints both values, the expression and the line, and the seed when the test set
 * one with test_seed(). A test that cannot run here calls TEST_SKIP("why"): when no test
 * failed and every test skipped, the program exits 77, which ctest reports as skipped.
 */
#ifndef SYNACK_TEST_H
#define SYNACK_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
struct test_case {
    const char *name;
    test_fn fn;
};

#define TEST_MAX 1024
struct test_registry {
    struct test_case cases[TEST_MAX];
    int count;
    jmp_buf jmp;
    int skipped_now;
    uint64_t seed;
    int has_seed;
};
/* The one registry of a test program. Tests are programs, not the library: the "no
 * writable globals" rule is for libsynack. */
static struct test_registry test_reg;

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void test_register_##name(void)                            \
    {                                                                                              \
        if (test_reg.count < TEST_MAX)                                                             \
            test_reg.cases[test_reg.count++] = (struct test_case){#name, test_##name};             \
    }                                                                                              \
    static void test_##name(void)

static inline void test_seed(uint64_t seed)
{
    test_reg.seed = seed;
    test_reg.has_seed = 1;
}

static inline void test_fail_at(const char *file, int line)
{
    if (test_reg.has_seed) fprintf(stderr, "    (seed %" PRIu64 ")\n", test_reg.seed);
    fprintf(stderr, "    at %s:%d\n", file, line);
    longjmp(test_reg.jmp, 1);
}

#define TEST_SKIP(why)                                                                             \
    do {                                                                                           \
        fprintf(stderr, "    skipped: %s\n", why);                                                 \
        test_reg.skipped_now = 1;                                                                  \
        longjmp(test_reg.jmp, 2);                                                                  \
    } while (0)

#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "    ASSERT(%s) failed\n", #cond);                                     \
            test_fail_at(__FILE__, __LINE__);                                                      \
        }                                                                                          \
    } while (0)

#define ASSERT_EQ(a, b)                                                                            \
    do {                                                                                           \
        long long test_a_ = (long long)(a), test_b_ = (long long)(b);                              \
        if (test_a_ != test_b_) {                                                                  \
            fprintf(stderr, "    ASSERT_EQ(%s, %s): %lld != %lld (0x%llx != 0x%llx)\n", #a, #b,    \
                    test_a_, test_b_, (unsigned long long)test_a_, (unsigned long long)test_b_);   \
            test_fail_at(__FILE__, __LINE__);                                                      \
        }                                                                                          \
    } while (0)

#define ASSERT_NE(a, b)                                                                            \
    do {                                                                                           \
        long long test_a_ = (long long)(a), test_b_ = (long long)(b);                              \
        if (test_a_ == test_b_) {                                                                  \
            fprintf(stderr, "    ASSERT_NE(%s, %s): both %lld\n", #a, #b, test_a_);                \
            test_fail_at(__FILE__, __LINE__);                                                      \
        }                                                                                          \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *test_a_ = (a), *test_b_ = (b);                                                 \
        if (strcmp(test_a_, test_b_) != 0) {                                                       \
            fprintf(stderr, "    ASSERT_STR_EQ(%s, %s):\n      \"%s\"\n   != \"%s\"\n", #a, #b,    \
                    test_a_, test_b_);                                                             \
            test_fail_at(__FILE__, __LINE__);                                                      \
        }                                                                                          \
    } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                                     \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0) {                                                          \
            fprintf(stderr, "    ASSERT_MEM_EQ(%s, %s, %s) failed\n", #a, #b, #n);                 \
            test_fail_at(__FILE__, __LINE__);                                                      \
        }                                                                                          \
    } while (0)

static inline int test_main(void)
{
    const char *filter = getenv("TEST_FILTER");
    /* volatile: they live across setjmp/longjmp. */
    volatile int failed = 0, passed = 0, skipped = 0;
    for (volatile int i = 0; i < test_reg.count; i++) {
        struct test_case *t = &test_reg.cases[i];
        if (filter && !strstr(t->name, filter)) continue;
        test_reg.has_seed = 0;
        test_reg.skipped_now = 0;
        int r = setjmp(test_reg.jmp);
        if (r == 0) {
            t->fn();
            printf("ok   %s\n", t->name);
            passed++;
        } else if (r == 2) {
            printf("skip %s\n", t->name);
            skipped++;
        } else {
            printf("FAIL %s\n", t->name);
            failed++;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    if (failed) return 1;
    if (passed == 0 && skipped > 0) return 77;
    return 0;
}

#define TEST_MAIN()                                                                                \
    int main(void)                                                                                 \
    {                                                                                              \
        return test_main();                                                                        \
    }

#endif
