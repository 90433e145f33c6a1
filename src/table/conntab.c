/*
 * table/conntab.c - the 4-tuple hash of table/conntab.h. Buckets are chosen by SipHash-1-3
 * under the stack's key (base/siphash.h): every segment that arrives is hashed once, so
 * the lighter variant, still keyed, is what a hash table needs. Chains are linked by pool
 * references (conntab.h); a reference becomes a node with one multiply.
 */
#include "table/conntab.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/siphash.h"
#include "synack/synack.h"

/* How many buckets an entry gets is the caller's choice (the stack: two for each socket and
 * half-open request, so that a lookup that misses, a SYN's, compares half a key on the mean
 * at most when every slot is in use, as before; one for each TIME-WAIT record, whose 4 bytes are
 * part of what issue 12 allows a record: docs/performance.md, "TIME-WAIT entries"). The
 * hash is keyed: a peer cannot lengthen chains at will. */
int conntab_init(struct conntab *ct, uint32_t buckets, const uint8_t key[16])
{
    memset(ct->pool, 0, sizeof ct->pool);
    memset(ct->count, 0, sizeof ct->count);
    ct->buckets = NULL;
    if (buckets > CT_BUCKETS_MAX) return SYNACK_ENOMEM;
    uint32_t nb = 16;
    while (nb < buckets) nb <<= 1;
    ct->buckets = malloc((size_t)nb * sizeof *ct->buckets);
    if (!ct->buckets) return SYNACK_ENOMEM;
    memset(ct->buckets, 0xff, (size_t)nb * sizeof *ct->buckets); /* CT_NIL */
    ct->mask = nb - 1;
    ct->memo[0].valid = ct->memo[1].valid = false;
    ct->recent = 0;
    ct->hashes = 0;
    memcpy(ct->key, key, sizeof ct->key);
    return 0;
}

void conntab_free(struct conntab *ct)
{
    free(ct->buckets);
    ct->buckets = NULL;
}

int conntab_pool(struct conntab *ct, unsigned owner, struct ct_node *first, size_t stride,
                 uint32_t count)
{
    if (owner >= CT_POOLS || count > CT_POOL_MAX || (count && (!first || !stride)))
        return SYNACK_EINVAL;
    ct->pool[owner].base = (char *)first;
    ct->pool[owner].stride = stride;
    ct->count[owner] = count;
    return 0;
}

/* A reference's node: its pool's array, the index times the pool's stride. */
static inline struct ct_node *node_at(const struct conntab *ct, uint32_t ref)
{
    const struct ct_pool *p = &ct->pool[ref >> 30];
    return (struct ct_node *)(p->base + (size_t)(ref & CT_POOL_MAX) * p->stride);
}

/* A node's reference: its pool (the owner field) and its place in it. Only when a node is
 * entered, not on the lookups of the packet path. */
static uint32_t ref_of(const struct conntab *ct, const struct ct_node *node)
{
    const struct ct_pool *p = &ct->pool[node->owner];
    size_t i = (size_t)((const char *)node - p->base) / p->stride;
    assert(node->owner < CT_POOLS && (const char *)node >= p->base && i < ct->count[node->owner] &&
           node_at(ct, (uint32_t)node->owner << 30 | (uint32_t)i) == node);
    return (uint32_t)node->owner << 30 | (uint32_t)i;
}

/* The 12 bytes every IPv4-mapped address begins with (::ffff:0:0/96, RFC 4291 §2.5.5.2). */
static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static uint32_t hash_bucket(struct conntab *ct, const struct ct_key *k)
{
    /* Two IPv4 ends (the common case): only the 12 bytes that vary are hashed, the two
     * IPv4 addresses and the ports, which SipHash takes in two rounds of compression
     * instead of five. The bucket is still a keyed function of the whole key, since the
     * prefixes it leaves out are the same for every such key, and a key of another
     * length (an IPv6 end) is hashed as its 36 bytes. */
    ct->hashes++;
    if (memcmp(k->laddr, v4_prefix, 12) == 0 && memcmp(k->raddr, v4_prefix, 12) == 0) {
        uint8_t b[12];
        memcpy(b, k->laddr + 12, 4);
        memcpy(b + 4, k->raddr + 12, 4);
        memcpy(b + 8, &k->lport, 2);
        memcpy(b + 10, &k->rport, 2);
        return (uint32_t)siphash13(ct->key, b, sizeof b) & ct->mask;
    }
    /* The key has no padding (two 16-byte arrays and two 16-bit ports): hashing and
     * comparing its bytes is hashing and comparing its fields. */
    return (uint32_t)siphash13(ct->key, k, sizeof *k) & ct->mask;
}

/* The ports first, as one 32-bit word: the keys of a chain or of the memo that differ
 * mostly differ there (one local port, many remote ones), and are told apart by one
 * compare; then the addresses as four 64-bit words without a branch (the key has no
 * padding: its bytes are its fields). */
static inline bool same(const struct ct_key *a, const struct ct_key *b)
{
    uint32_t xp, yp;
    memcpy(&xp, &a->lport, sizeof xp);
    memcpy(&yp, &b->lport, sizeof yp);
    if (xp != yp) return false;
    uint64_t x[4], y[4];
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
}

/* The bucket of k, from the memo of the last two keys hashed when it is one of them (see
 * struct conntab): a SipHash of 12 or 36 bytes spared for a compare or two. A key hashed
 * anew takes the place of the one used less recently. */
static inline uint32_t bucket(struct conntab *ct, const struct ct_key *k)
{
    unsigned r = ct->recent;
    if (ct->memo[r].valid && same(&ct->memo[r].key, k)) return ct->memo[r].bucket;
    if (ct->memo[r ^ 1].valid && same(&ct->memo[r ^ 1].key, k)) {
        ct->recent = (uint8_t)(r ^ 1);
        return ct->memo[r ^ 1].bucket;
    }
    uint32_t b = hash_bucket(ct, k);
    ct->memo[r ^ 1].key = *k;
    ct->memo[r ^ 1].bucket = b;
    ct->memo[r ^ 1].valid = true;
    ct->recent = (uint8_t)(r ^ 1);
    return b;
}

void conntab_insert(struct conntab *ct, struct ct_node *node, const struct ct_key *k)
{
    if (node->hashed) return;
    node->key = *k;
    uint32_t b = bucket(ct, k);
    node->bucket = b;
    node->next = ct->buckets[b];
    ct->buckets[b] = ref_of(ct, node);
    node->hashed = true;
}

/* The link that refers to node in its chain (its bucket's head or its predecessor's next),
 * or NULL. */
static uint32_t *link_to(struct conntab *ct, const struct ct_node *node)
{
    for (uint32_t *pp = &ct->buckets[node->bucket]; *pp != CT_NIL; pp = &node_at(ct, *pp)->next)
        if (node_at(ct, *pp) == node) return pp;
    return NULL;
}

void conntab_remove(struct conntab *ct, struct ct_node *node)
{
    if (!node->hashed) return;
    uint32_t *pp = link_to(ct, node);
    if (pp) *pp = node->next;
    node->next = CT_NIL;
    node->hashed = false;
}

void conntab_replace(struct conntab *ct, struct ct_node *old, struct ct_node *node)
{
    if (!old->hashed) {
        conntab_insert(ct, node, &old->key);
        return;
    }
    uint32_t *pp = link_to(ct, old);
    if (pp) {
        node->key = old->key;
        node->bucket = old->bucket;
        node->next = old->next;
        node->hashed = true;
        *pp = ref_of(ct, node);
    }
    old->next = CT_NIL;
    old->hashed = false;
}

struct ct_node *conntab_lookup(struct conntab *ct, const struct ct_key *k)
{
    for (uint32_t r = ct->buckets[bucket(ct, k)]; r != CT_NIL;) {
        struct ct_node *n = node_at(ct, r);
        if (same(&n->key, k)) return n;
        r = n->next;
    }
    return NULL;
}

void conntab_chains(const struct conntab *ct, struct conntab_chains *out)
{
    memset(out, 0, sizeof *out);
    out->buckets = (uint64_t)ct->mask + 1;
    for (uint64_t b = 0; b < out->buckets; b++) {
        uint64_t len = 0;
        for (uint32_t r = ct->buckets[b]; r != CT_NIL; r = node_at(ct, r)->next) len++;
        out->nodes += len;
        out->probes += len * (len + 1) / 2;
        out->used += len > 0;
        if (len > out->longest) out->longest = len;
    }
}
