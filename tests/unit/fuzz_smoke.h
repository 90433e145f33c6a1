/*
 * fuzz_smoke.h - runs a libFuzzer target (fuzz/fuzz_*.c, included before this header) under
 * ctest, so that every `make test` exercises it under ASan+UBSan even where clang's libFuzzer
 * is not used; `make fuzz` does the real, coverage-guided search.
 *
 * Define FUZZ_TARGET ("fuzz_stack", ...) before including. The tests run, in order:
 *   - the target's seed corpus, fuzz/corpus/<target>/ (there must be one);
 *   - the crash inputs kept as regression tests, tests/data/fuzz/<target>/ (if any);
 *   - FUZZ_SMOKE_MUTATIONS (3000) seeded random mutations of the seeds: bit flips, random
 *     bytes, inserted and deleted runs, copied chunks, truncation, splices of two seeds;
 *   - FUZZ_SMOKE_RANDOM (300) inputs of random bytes.
 * A slow target (fuzz_stack) defines smaller counts, a fast one larger, for a few seconds each.
 * A target that cannot run here (fuzz_capture without libpcap) defines FUZZ_SMOKE_SKIP() as an
 * expression that returns a reason to skip, or NULL.
 * Paths are taken from $SYNACK_SRC (ctest sets it), else the current directory.
 */
#ifndef SYNACK_FUZZ_SMOKE_H
#define SYNACK_FUZZ_SMOKE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/splitmix.h"
#include "test.h"

#ifndef FUZZ_TARGET
#error "define FUZZ_TARGET before including fuzz_smoke.h"
#endif
#ifndef FUZZ_SMOKE_MUTATIONS
#define FUZZ_SMOKE_MUTATIONS 3000
#endif
#ifndef FUZZ_SMOKE_RANDOM
#define FUZZ_SMOKE_RANDOM 300
#endif
#ifndef FUZZ_SMOKE_SKIP
#define FUZZ_SMOKE_SKIP() ((const char *)NULL)
#endif

#define FUZZ_SMOKE_MAX_FILES 64
#define FUZZ_SMOKE_MAX_LEN   8192

struct fuzz_smoke_file {
    uint8_t *data;
    size_t len;
};

/* Test program state, not the library's. */
static struct fuzz_smoke_file fuzz_seeds[FUZZ_SMOKE_MAX_FILES];
static int fuzz_nseeds;

/* Reads every regular file of dir (sorted by name) into files; returns how many. */
static int fuzz_smoke_load(const char *sub, struct fuzz_smoke_file *files, int max)
{
    const char *src = getenv("SYNACK_SRC");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s/%s", src ? src : ".", sub, FUZZ_TARGET);
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) return 0;
    int count = 0;
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        FILE *f = names[i]->d_name[0] == '.' ? NULL : fopen(path, "rb");
        free(names[i]);
        if (!f) continue;
        uint8_t *buf = malloc(FUZZ_SMOKE_MAX_LEN);
        size_t len = buf ? fread(buf, 1, FUZZ_SMOKE_MAX_LEN, f) : 0;
        fclose(f);
        if (!buf) continue;
        if (count < max) {
            files[count].data = buf;
            files[count].len = len;
            count++;
        } else {
            free(buf);
        }
    }
    free(names);
    return count;
}

static void fuzz_smoke_free(struct fuzz_smoke_file *files, int n)
{
    for (int i = 0; i < n; i++) free(files[i].data);
}

static void fuzz_smoke_run(const uint8_t *data, size_t len)
{
    /* A copy of exactly len bytes, so that ASan sees any read past the input's end. */
    uint8_t *copy = malloc(len ? len : 1);
    ASSERT(copy != NULL);
    if (len) memcpy(copy, data, len);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
}

static void fuzz_smoke_skip_if_needed(void)
{
    const char *why = FUZZ_SMOKE_SKIP();
    if (why) TEST_SKIP(why);
}

TEST(fuzz_seed_corpus)
{
    fuzz_smoke_skip_if_needed();
    fuzz_nseeds = fuzz_smoke_load("fuzz/corpus", fuzz_seeds, FUZZ_SMOKE_MAX_FILES);
    ASSERT(fuzz_nseeds > 0); /* every target has a committed seed corpus */
    for (int i = 0; i < fuzz_nseeds; i++) fuzz_smoke_run(fuzz_seeds[i].data, fuzz_seeds[i].len);
}

TEST(fuzz_crash_regressions)
{
    fuzz_smoke_skip_if_needed();
    struct fuzz_smoke_file files[FUZZ_SMOKE_MAX_FILES];
    int n = fuzz_smoke_load("tests/data/fuzz", files, FUZZ_SMOKE_MAX_FILES);
    for (int i = 0; i < n; i++) fuzz_smoke_run(files[i].data, files[i].len);
    fuzz_smoke_free(files, n);
}

/* One libFuzzer-like mutation of buf[0..*len) in place (cap bytes of room). */
static void fuzz_smoke_mutate(uint8_t *buf, size_t *len, size_t cap, uint64_t *rng)
{
    size_t n = *len;
    uint64_t r = splitmix64(rng);
    switch (r % 8) {
    case 0: /* flip a bit */
        if (n) buf[splitmix64(rng) % n] ^= (uint8_t)(1u << (splitmix64(rng) % 8));
        break;
    case 1: /* a random byte */
        if (n) buf[splitmix64(rng) % n] = (uint8_t)splitmix64(rng);
        break;
    case 2: /* an interesting byte: 0, 1, 0x7f, 0x80, 0xff */
        if (n) {
            static const uint8_t v[] = {0, 1, 0x7f, 0x80, 0xff};
            buf[splitmix64(rng) % n] = v[splitmix64(rng) % sizeof v];
        }
        break;
    case 3: { /* insert a run of random bytes */
        size_t k = 1 + splitmix64(rng) % 16, at = n ? splitmix64(rng) % (n + 1) : 0;
        if (n + k > cap) break;
        memmove(buf + at + k, buf + at, n - at);
        for (size_t i = 0; i < k; i++) buf[at + i] = (uint8_t)splitmix64(rng);
        *len = n + k;
        break;
    }
    case 4: { /* delete a run */
        if (!n) break;
        size_t at = splitmix64(rng) % n, k = 1 + splitmix64(rng) % 16;
        if (k > n - at) k = n - at;
        memmove(buf + at, buf + at + k, n - at - k);
        *len = n - k;
        break;
    }
    case 5: { /* copy a chunk over another place */
        if (n < 2) break;
        size_t from = splitmix64(rng) % n, to = splitmix64(rng) % n;
        size_t k = 1 + splitmix64(rng) % 32;
        if (k > n - from) k = n - from;
        if (k > n - to) k = n - to;
        memmove(buf + to, buf + from, k);
        break;
    }
    case 6: /* truncate */
        if (n) *len = splitmix64(rng) % n;
        break;
    default: { /* splice: the tail of another seed from a random point */
        const struct fuzz_smoke_file *o = &fuzz_seeds[splitmix64(rng) % (uint64_t)fuzz_nseeds];
        if (!o->len) break;
        size_t at = n ? splitmix64(rng) % n : 0, from = splitmix64(rng) % o->len;
        size_t k = o->len - from;
        if (at + k > cap) k = cap - at;
        memcpy(buf + at, o->data + from, k);
        *len = at + k;
        break;
    }
    }
}

TEST(fuzz_seed_mutations)
{
    fuzz_smoke_skip_if_needed();
    if (!fuzz_nseeds)
        fuzz_nseeds = fuzz_smoke_load("fuzz/corpus", fuzz_seeds, FUZZ_SMOKE_MAX_FILES);
    ASSERT(fuzz_nseeds > 0);
    static uint8_t in[FUZZ_SMOKE_MAX_LEN + 64];
    uint64_t seed = 12345;
    test_seed(seed);
    for (int iter = 0; iter < FUZZ_SMOKE_MUTATIONS; iter++) {
        const struct fuzz_smoke_file *f = &fuzz_seeds[splitmix64(&seed) % (uint64_t)fuzz_nseeds];
        size_t len = f->len;
        memcpy(in, f->data, len);
        int k = 1 + (int)(splitmix64(&seed) % 8);
        for (int m = 0; m < k; m++) fuzz_smoke_mutate(in, &len, FUZZ_SMOKE_MAX_LEN, &seed);
        fuzz_smoke_run(in, len);
    }
}

TEST(fuzz_random_inputs)
{
    fuzz_smoke_skip_if_needed();
    static uint8_t in[2048];
    uint64_t seed = 54321;
    test_seed(seed);
    for (int iter = 0; iter < FUZZ_SMOKE_RANDOM; iter++) {
        size_t len = splitmix64(&seed) % sizeof in;
        for (size_t i = 0; i < len; i++) in[i] = (uint8_t)splitmix64(&seed);
        fuzz_smoke_run(in, len);
    }
    fuzz_smoke_free(fuzz_seeds, fuzz_nseeds);
    fuzz_nseeds = 0;
}

TEST_MAIN()

#endif
