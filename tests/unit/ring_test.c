/*
 * ring_test.c - the byte ring (base/ring.c) against a flat model: appends, writes parked
 * beyond the bytes held (a receive ring's out-of-order data), peeks and consumes, through
 * its growth; and a ring that holds nothing, parked bytes included, starts again at the
 * front of its memory, so that a connection that keeps draining its ring works in a few
 * cache-hot lines instead of walking the whole buffer.
 */
#include "base/ring.h"
#include "test.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

TEST(drained_ring_starts_again_at_the_front)
{
    struct ring r;
    ring_init(&r, 1u << 20);
    uint8_t in[1500], out[1500];
    for (int i = 0; i < 1500; i++) in[i] = (uint8_t)(i * 7);
    for (int round = 0; round < 100; round++) {
        ASSERT_EQ(ring_write(&r, in, 1500), 1500u);
        ASSERT_EQ(ring_read(&r, out, 1000), 1000u);
        ASSERT_EQ(ring_read(&r, out + 1000, 500), 500u);
        ASSERT_MEM_EQ(out, in, 1500);
        /* Empty: the next byte goes where the first one went. */
        ASSERT_EQ(r.head, 0u);
    }
    ring_free(&r);
}

TEST(parked_bytes_keep_the_ring_where_it_is)
{
    struct ring r;
    ring_init(&r, 1u << 16);
    uint8_t a[100], b[50], out[50];
    memset(a, 'a', sizeof a);
    for (int i = 0; i < 50; i++) b[i] = (uint8_t)i;
    ASSERT_EQ(ring_write(&r, a, 100), 100u);
    /* 50 bytes parked 200 bytes beyond the 100 held (a segment beyond a hole). */
    ASSERT_EQ(ring_write_at(&r, 300, b, 50), 0);
    ring_consume(&r, 100);
    ASSERT_EQ(r.len, 0u);
    /* The hole is filled: the parked bytes are where they were put, 200 bytes on. */
    uint8_t fill[200];
    memset(fill, 'f', sizeof fill);
    ASSERT_EQ(ring_write(&r, fill, 200), 200u);
    r.len += 50; /* reassembly makes the parked bytes in order */
    ring_peek(&r, 200, out, 50);
    ASSERT_MEM_EQ(out, b, 50);
    ring_consume(&r, 250);
    ASSERT_EQ(r.head, 0u);
    ring_free(&r);
}

/* Random appends, parked writes, consumes and peeks against a flat model of the bytes from
 * the head (held and parked), through growth from 2 KiB to the cap. */
TEST(ring_matches_a_flat_model)
{
    uint64_t seed = 0x7269u;
    test_seed(seed);
    const uint32_t cap = 1u << 16;
    /* def[i]: the model's byte i was written (a hole between parked bytes holds anything). */
    static uint8_t model[1u << 16], def[1u << 16], tmp[1u << 16];
    struct ring r;
    ring_init(&r, cap);
    uint32_t len = 0, ext = 0; /* ext: bytes from the head that the model defines */
    uint8_t v = 1;
    for (int step = 0; step < 20000; step++) {
        uint32_t op = (uint32_t)(rng_next(&seed) % 4);
        if (op == 0) { /* append */
            uint32_t n = (uint32_t)(rng_next(&seed) % 3000);
            for (uint32_t i = 0; i < n; i++) tmp[i] = v++;
            uint32_t w = ring_write(&r, tmp, n);
            ASSERT_EQ(w, n <= cap - len ? n : cap - len);
            memcpy(model + len, tmp, w);
            memset(def + len, 1, w);
            len += w;
            if (len > ext) ext = len;
        } else if (op == 1 && len < cap) { /* park beyond len */
            uint32_t off = len + (uint32_t)(rng_next(&seed) % (cap - len));
            uint32_t n = (uint32_t)(rng_next(&seed) % 1500);
            if (n > cap - off) n = cap - off;
            for (uint32_t i = 0; i < n; i++) tmp[i] = v++;
            ASSERT_EQ(ring_write_at(&r, off, tmp, n), 0);
            memcpy(model + off, tmp, n);
            memset(def + off, 1, n);
            if (off + n > ext) ext = off + n;
        } else if (op == 2) { /* consume */
            uint32_t n = len ? (uint32_t)(rng_next(&seed) % (len + 1)) : 0;
            if (rng_next(&seed) % 8 == 0) n = len;
            ring_consume(&r, n);
            memmove(model, model + n, ext - n);
            memmove(def, def + n, ext - n);
            memset(def + ext - n, 0, n);
            len -= n;
            ext -= n;
        } else if (ext) { /* peek what the model defines, parked bytes included */
            ring_peek(&r, 0, tmp, ext);
            for (uint32_t i = 0; i < ext; i++)
                if (def[i]) ASSERT_EQ(tmp[i], model[i]);
        }
        ASSERT_EQ(r.len, len);
    }
    ring_free(&r);
}

/* A ring with a cache takes its first buffer from the cache and gives its buffer back to
 * it, up to the cache's bound; past the bound, buffers go back to the allocator. */
TEST(first_buffers_come_from_and_go_back_to_the_cache)
{
    struct ring_cache c;
    ASSERT_EQ(ring_cache_init(&c, 2), 0);
    struct ring r[3];
    uint8_t b[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, out[10];
    for (int i = 0; i < 3; i++) ring_init_cached(&r[i], 1u << 16, &c);
    for (int i = 0; i < 3; i++) ASSERT_EQ(ring_write(&r[i], b, 10), 10u);
    uint8_t *first = r[0].buf;
    ASSERT_EQ(c.n, 0u);
    ring_release(&r[0]); /* holds 10 bytes: stays */
    ASSERT(r[0].buf == first);
    uint8_t *second = r[1].buf;
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(ring_read(&r[i], out, 10), 10u);
        ASSERT_MEM_EQ(out, b, 10);
        ring_release(&r[i]);
    }
    ASSERT_EQ(c.n, 2u); /* the bound: the third went back to the allocator */
    /* The next first allocations take them again, most recently given back first. */
    struct ring q;
    ring_init_cached(&q, 1u << 16, &c);
    ASSERT_EQ(ring_write(&q, b, 10), 10u);
    ASSERT_EQ(c.n, 1u);
    ASSERT(q.buf == second);
    /* Grown past the first size, its first buffer goes back to the cache. */
    static uint8_t big[5000];
    ASSERT_EQ(ring_write(&q, big, 5000), 5000u);
    ASSERT_EQ(c.n, 2u);
    ASSERT(q.size > RING_MIN_SIZE);
    ring_free(&q); /* not a first-size buffer: to the allocator */
    ASSERT_EQ(c.n, 2u);
    ring_cache_free(&c);
    ASSERT_EQ(c.n, 0u);
}

TEST_MAIN()
