/*
 * conntab_test.c - the 4-tuple hash (table/conntab.c): lookups find what was entered, IPv4
 * and IPv6 keys alike, through shared buckets; and a node that takes another's place
 * (conntab_replace: a request promoted to a socket, a socket become a TIME-WAIT record)
 * is found under the same key, the old one no more, its neighbours untouched. The memo of
 * the last two keys hashed gives each key the bucket a fresh hash gives it, whatever the
 * order of the keys (repeated, alternated, IPv4 and IPv6), and two connections whose
 * segments alternate are hashed once each. Chains link nodes of three pools (arrays of
 * holders of different sizes, the node inside them) by 32-bit references: insertions and
 * removals anywhere in a chain, and the chains' census.
 */
#include "synack/synack.h"
#include "table/conntab.h"
#include "test.h"

#define N 2000

static struct ct_key key_of(uint32_t i, bool v6)
{
    struct ct_key k;
    memset(&k, 0, sizeof k);
    if (!v6) {
        k.laddr[10] = k.laddr[11] = k.raddr[10] = k.raddr[11] = 0xff;
    } else {
        k.laddr[0] = k.raddr[0] = 0x20;
        k.laddr[1] = k.raddr[1] = 0x01;
    }
    k.laddr[15] = 1;
    k.raddr[12] = (uint8_t)(i >> 8);
    k.raddr[13] = (uint8_t)i;
    k.lport = 80;
    k.rport = (uint16_t)(1024 + i);
    return k;
}

TEST(lookups_and_replacement)
{
    static struct conntab ct;
    static struct ct_node a[N], b[N];
    const uint8_t hk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    /* Few buckets for N keys: long chains, every replacement among neighbours. */
    ASSERT_EQ(conntab_init(&ct, 64, hk), 0);
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    for (uint32_t i = 0; i < N; i++) b[i].owner = 1;
    ASSERT_EQ(conntab_pool(&ct, 0, a, sizeof a[0], N), 0);
    ASSERT_EQ(conntab_pool(&ct, 1, b, sizeof b[0], N), 0);
    for (uint32_t i = 0; i < N; i++) {
        struct ct_key k = key_of(i, i % 2 == 1);
        conntab_insert(&ct, &a[i], &k);
    }
    for (uint32_t i = 0; i < N; i++) {
        struct ct_key k = key_of(i, i % 2 == 1);
        ASSERT(conntab_lookup(&ct, &k) == &a[i]);
    }
    /* Every third node gives its place to b[i]. */
    for (uint32_t i = 0; i < N; i += 3) conntab_replace(&ct, &a[i], &b[i]);
    for (uint32_t i = 0; i < N; i++) {
        struct ct_key k = key_of(i, i % 2 == 1);
        struct ct_node *want = i % 3 == 0 ? &b[i] : &a[i];
        ASSERT(conntab_lookup(&ct, &k) == want);
        ASSERT(want->hashed);
        if (i % 3 == 0) ASSERT(!a[i].hashed);
        ASSERT_MEM_EQ(&want->key, &k, sizeof k);
    }
    /* The old nodes' removal is nothing; the new ones' removal takes the key out. */
    for (uint32_t i = 0; i < N; i += 3) {
        conntab_remove(&ct, &a[i]);
        conntab_remove(&ct, &b[i]);
    }
    for (uint32_t i = 0; i < N; i++) {
        struct ct_key k = key_of(i, i % 2 == 1);
        ASSERT(conntab_lookup(&ct, &k) == (i % 3 == 0 ? NULL : &a[i]));
    }
    conntab_free(&ct);
}

TEST(memo_of_last_key)
{
    static struct conntab ct, fresh;
    static struct ct_node a[64], f;
    const uint8_t hk[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
    ASSERT_EQ(conntab_init(&ct, 1024, hk), 0);
    ASSERT_EQ(conntab_pool(&ct, 0, a, sizeof a[0], 64), 0);
    memset(a, 0, sizeof a);
    /* Each key looked up (a miss, memoized), entered (from the memo), looked up again
     * after its neighbour's lookup moved the memo on, and twice in a row. */
    for (uint32_t i = 0; i < 64; i++) {
        struct ct_key k = key_of(i, i % 3 == 0);
        struct ct_key next = key_of(i + 1, (i + 1) % 3 == 0);
        ASSERT(conntab_lookup(&ct, &k) == NULL);
        conntab_insert(&ct, &a[i], &k);
        ASSERT(conntab_lookup(&ct, &next) == NULL);
        ASSERT(conntab_lookup(&ct, &k) == &a[i]);
        ASSERT(conntab_lookup(&ct, &k) == &a[i]);
        /* The same key in a table that never saw another: its bucket from a fresh hash. */
        ASSERT_EQ(conntab_init(&fresh, 1024, hk), 0);
        ASSERT_EQ(conntab_pool(&fresh, 0, &f, sizeof f, 1), 0);
        memset(&f, 0, sizeof f);
        conntab_insert(&fresh, &f, &k);
        ASSERT_EQ(a[i].bucket, f.bucket);
        conntab_free(&fresh);
    }
    for (uint32_t i = 0; i < 64; i++) {
        struct ct_key k = key_of(i, i % 3 == 0);
        ASSERT(conntab_lookup(&ct, &k) == &a[i]);
    }
    conntab_free(&ct);
}

TEST(memo_holds_two_alternating_keys)
{
    /* A stack's segments alternate between the connection that closes and the one that
     * opens (the last ACK of one lifecycle after the next one's SYN): two keys, each hashed
     * once however often they alternate; a third key evicts the older of the two. */
    static struct conntab ct, fresh;
    static struct ct_node a[3], f;
    const uint8_t hk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    ASSERT_EQ(conntab_init(&ct, 1024, hk), 0);
    ASSERT_EQ(conntab_pool(&ct, 0, a, sizeof a[0], 3), 0);
    memset(a, 0, sizeof a);
    struct ct_key k[3] = {key_of(1, false), key_of(2, false), key_of(3, true)};
    conntab_insert(&ct, &a[0], &k[0]);
    conntab_insert(&ct, &a[1], &k[1]);
    conntab_insert(&ct, &a[2], &k[2]);
    uint64_t h0 = ct.hashes;
    ASSERT_EQ(h0, 3u);
    /* k[1] and k[2] are the memo's: alternated, no hash. */
    for (int i = 0; i < 10; i++) {
        ASSERT(conntab_lookup(&ct, &k[1 + i % 2]) == &a[1 + i % 2]);
    }
    ASSERT_EQ(ct.hashes, h0);
    /* k[0] evicts the older (k[1], last used before the final k[2]); k[2] stays. */
    ASSERT(conntab_lookup(&ct, &k[0]) == &a[0]);
    ASSERT_EQ(ct.hashes, h0 + 1);
    ASSERT(conntab_lookup(&ct, &k[2]) == &a[2]);
    ASSERT_EQ(ct.hashes, h0 + 1);
    ASSERT(conntab_lookup(&ct, &k[1]) == &a[1]);
    ASSERT_EQ(ct.hashes, h0 + 2);
    /* Every bucket the memo gave is the one a fresh table computes. */
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(conntab_init(&fresh, 1024, hk), 0);
        ASSERT_EQ(conntab_pool(&fresh, 0, &f, sizeof f, 1), 0);
        memset(&f, 0, sizeof f);
        conntab_insert(&fresh, &f, &k[i]);
        ASSERT_EQ(a[i].bucket, f.bucket);
        conntab_free(&fresh);
    }
    conntab_free(&ct);
}

/* Holders of three sizes, the node not first in them, as a socket, a request and a
 * TIME-WAIT record hold theirs. */
struct big {
    char before[1000];
    struct ct_node ct;
    char after[3];
};
struct mid {
    uint64_t x;
    struct ct_node ct;
};
struct small {
    struct ct_node ct;
    uint32_t y;
};

#define P 700

TEST(three_pools_share_chains)
{
    static struct conntab ct;
    static struct big bg[P];
    static struct mid md[P];
    static struct small sm[P];
    struct ct_node *node[3 * P];
    const uint8_t hk[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};
    uint64_t seed = 20261130;
    test_seed(seed);
    /* Few buckets for 3 * P keys: chains of about 40, each a mix of the three pools. */
    ASSERT_EQ(conntab_init(&ct, 40, hk), 0);
    ASSERT_EQ(conntab_pool(&ct, 0, &bg[0].ct, sizeof bg[0], P), 0);
    ASSERT_EQ(conntab_pool(&ct, 1, &md[0].ct, sizeof md[0], P), 0);
    ASSERT_EQ(conntab_pool(&ct, 2, &sm[0].ct, sizeof sm[0], P), 0);
    for (uint32_t i = 0; i < P; i++) {
        node[3 * i] = &bg[i].ct;
        node[3 * i + 1] = &md[i].ct;
        node[3 * i + 2] = &sm[i].ct;
        bg[i].ct.owner = 0;
        md[i].ct.owner = 1;
        sm[i].ct.owner = 2;
    }
    for (uint32_t i = 0; i < 3 * P; i++) {
        struct ct_key k = key_of(i, i % 5 == 0);
        conntab_insert(&ct, node[i], &k);
    }
    struct conntab_chains c;
    conntab_chains(&ct, &c);
    ASSERT_EQ(c.nodes, 3u * P);
    ASSERT_EQ(c.buckets, 64u);
    ASSERT(c.longest >= c.nodes / c.buckets && c.used <= c.buckets);
    /* The census against a walk of every key: a hit compares as many keys as its place. */
    uint64_t probes = 0;
    for (uint32_t i = 0; i < 3 * P; i++) {
        uint32_t r = ct.buckets[node[i]->bucket];
        for (uint32_t place = 1; r != CT_NIL; place++) {
            const struct ct_pool *pl = &ct.pool[r >> 30];
            const struct ct_node *n =
                (const struct ct_node *)(pl->base + (size_t)(r & CT_POOL_MAX) * pl->stride);
            if (n == node[i]) {
                probes += place;
                break;
            }
            r = n->next;
        }
        ASSERT(r != CT_NIL);
    }
    ASSERT_EQ(c.probes, probes);
    /* Half of them out, in an order drawn from the seed (heads, middles, ends of chains). */
    bool in[3 * P];
    for (uint32_t i = 0; i < 3 * P; i++) in[i] = true;
    uint64_t r = seed;
    for (uint32_t n = 0; n < 3 * P / 2;) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t i = (uint32_t)(r >> 33) % (3 * P);
        if (!in[i]) continue;
        conntab_remove(&ct, node[i]);
        ASSERT(!node[i]->hashed);
        in[i] = false;
        n++;
    }
    for (uint32_t i = 0; i < 3 * P; i++) {
        struct ct_key k = key_of(i, i % 5 == 0);
        ASSERT(conntab_lookup(&ct, &k) == (in[i] ? node[i] : NULL));
    }
    conntab_chains(&ct, &c);
    ASSERT_EQ(c.nodes, 3u * P - 3u * P / 2);
    /* A TIME-WAIT record takes a socket's place (pool 2 for pool 0) and back in. */
    for (uint32_t i = 0; i < P; i++) {
        if (!in[3 * i] || in[3 * i + 2]) continue;
        conntab_replace(&ct, node[3 * i], node[3 * i + 2]);
        struct ct_key k = key_of(3 * i, (3 * i) % 5 == 0);
        ASSERT(conntab_lookup(&ct, &k) == node[3 * i + 2]);
        ASSERT(!node[3 * i]->hashed);
    }
    conntab_free(&ct);
}

TEST(pool_and_size_limits)
{
    static struct conntab ct;
    static struct ct_node a[2];
    const uint8_t hk[16] = {0};
    ASSERT_EQ(conntab_init(&ct, CT_BUCKETS_MAX + 1u, hk), SYNACK_ENOMEM);
    conntab_free(&ct);
    ASSERT_EQ(conntab_init(&ct, 4, hk), 0);
    ASSERT_EQ(conntab_pool(&ct, CT_POOLS, a, sizeof a[0], 2), SYNACK_EINVAL);
    ASSERT_EQ(conntab_pool(&ct, 0, a, sizeof a[0], CT_POOL_MAX + 1u), SYNACK_EINVAL);
    ASSERT_EQ(conntab_pool(&ct, 0, a, sizeof a[0], CT_POOL_MAX), 0);
    conntab_free(&ct);
}

TEST_MAIN()
