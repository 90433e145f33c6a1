/*
 * table/conntab.c - the 4-tuple hash of table/conntab.h. Buckets are chosen by SipHash-1-3
 * under the stack's key (base/siphash.h): every segment that arrives is hashed once, so
 * the lighter variant, still keyed, is what a hash table needs.
 */
#include "table/conntab.h"

#include <stdlib.h>
#include <string.h>

#include "base/siphash.h"
#include "synack/synack.h"

int conntab_init(struct conntab *ct, uint32_t entries, const uint8_t key[16])
{
    uint32_t nb = 16;
    while (nb < 2 * entries) nb <<= 1;
    ct->buckets = calloc(nb, sizeof(struct ct_node *));
    if (!ct->buckets) return SYNACK_ENOMEM;
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
    ct->buckets[b] = node;
    node->hashed = true;
}

void conntab_remove(struct conntab *ct, struct ct_node *node)
{
    if (!node->hashed) return;
    struct ct_node **pp = &ct->buckets[node->bucket];
    while (*pp) {
        if (*pp == node) {
            *pp = node->next;
            break;
        }
        pp = &(*pp)->next;
    }
    node->next = NULL;
    node->hashed = false;
}

void conntab_replace(struct conntab *ct, struct ct_node *old, struct ct_node *node)
{
    if (!old->hashed) {
        conntab_insert(ct, node, &old->key);
        return;
    }
    for (struct ct_node **pp = &ct->buckets[old->bucket]; *pp; pp = &(*pp)->next) {
        if (*pp == old) {
            node->key = old->key;
            node->bucket = old->bucket;
            node->next = old->next;
            node->hashed = true;
            *pp = node;
            break;
        }
    }
    old->next = NULL;
    old->hashed = false;
}

struct ct_node *conntab_lookup(struct conntab *ct, const struct ct_key *k)
{
    for (struct ct_node *n = ct->buckets[bucket(ct, k)]; n; n = n->next)
        if (same(&n->key, k)) return n;
    return NULL;
}
