/*
 * table/conntab.h - the connection table: the 4-tuple hash that finds the connection of an
 * arriving segment in O(1). The hash is keyed (SipHash-1-3 with a per-stack key), so a peer
 * cannot aim many tuples at one bucket. A listener is entered with a zero remote end.
 * Nodes live inside the sockets (and the request records of half-open connections, and the
 * TIME-WAIT records); the table holds only bucket heads. A node carries its owner's kind
 * (two bits) that its owner sets, so that whoever finds a node knows what holds it; the
 * table reads it only as the pool the node is in.
 *
 * Chains are linked by 32-bit references, not pointers: a reference is a pool (the owner
 * kind, two bits) and an index in it (30 bits), and each pool is an array the stack
 * registers once (conntab_pool). A bucket head is then 4 bytes and so is a node's link,
 * which is what lets a TIME-WAIT record, buckets counted, stay within issue 12's 128
 * bytes (docs/performance.md, "TIME-WAIT entries").
 */
#ifndef SYNACK_TABLE_CONNTAB_H
#define SYNACK_TABLE_CONNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Addresses as 16 bytes in network byte order, IPv4 in its IPv4-mapped form (synack/addr.h):
 * the family is in the bytes, so one key and one compare serve both. */
struct ct_key {
    uint8_t laddr[16], raddr[16];
    uint16_t lport, rport;
};

_Static_assert(sizeof(struct ct_key) == 36, "the key is hashed and compared as its bytes");

/* The end of a chain: no pool has index 2^30 - 1 of pool 3 (pools are 0 to 2). */
#define CT_NIL         UINT32_MAX
#define CT_POOLS       3u
#define CT_POOL_MAX    ((1u << 30) - 1) /* entries a pool may have */
#define CT_BUCKETS_MAX (1u << 29)       /* what the node's bucket field holds */

struct ct_node {
    struct ct_key key;
    uint32_t next;        /* the next node of its chain (a reference), CT_NIL at its end */
    uint32_t bucket : 29; /* while hashed: its bucket, so that removal need not hash again */
    uint32_t hashed : 1;
    uint32_t owner : 2; /* what holds this node, set by the owner: its pool (conntab_pool) */
};

_Static_assert(sizeof(struct ct_node) == 44, "a node is its key and two 32-bit words");

/* An array of nodes' holders: the first node and the distance between two (16 bytes, so
 * that a reference's pool is found with a shift). */
struct ct_pool {
    char *base;
    size_t stride;
};

struct conntab {
    uint32_t *buckets; /* references (CT_NIL: empty) */
    struct ct_pool pool[CT_POOLS];
    uint32_t count[CT_POOLS]; /* each pool's holders, for the checks of ref_of */
    uint32_t mask;
    uint8_t key[16];
    /* The last two keys hashed and their buckets (memo[recent] the more recently used). The
     * segments of one connection tend to come one after another (a handshake's SYN and the
     * request entered for it, a burst of data, a close), and each would hash the same
     * 4-tuple again; a stack's segments also alternate between the connection that closes
     * and the one that opens (the last ACK of one after the next one's SYN), which two
     * entries hold. A hit costs a compare of the key. The bucket is a pure function of the
     * key under a key that never changes, so the memo is never stale. */
    struct {
        struct ct_key key;
        uint32_t bucket;
        bool valid;
    } memo[2];
    uint8_t recent;
    uint64_t hashes; /* SipHash computations, for tests of the memo */
};

/* At least `buckets` buckets (a power of two, at least 16; the caller chooses how many an
 * entry gets). 0 or SYNACK_ENOMEM (also beyond CT_BUCKETS_MAX). */
int conntab_init(struct conntab *ct, uint32_t buckets, const uint8_t key[16]);
void conntab_free(struct conntab *ct);
/* Registers pool `owner` (0 to CT_POOLS - 1): count holders of a node, the first node at
 * first, each next one stride bytes on. Every node entered must be in the pool its owner
 * field names. 0, or SYNACK_EINVAL for a bad pool or more than CT_POOL_MAX holders. */
int conntab_pool(struct conntab *ct, unsigned owner, struct ct_node *first, size_t stride,
                 uint32_t count);
/* Enters node under key k; nothing when it is already hashed. */
void conntab_insert(struct conntab *ct, struct ct_node *node, const struct ct_key *k);
void conntab_remove(struct conntab *ct, struct ct_node *node);
/* node takes old's place: its key, its bucket, its link in the chain, without hashing
 * again (a half-open request promoted to a socket, a socket become a TIME-WAIT record);
 * old is then not hashed. When old is not hashed, node is entered under old's key. */
void conntab_replace(struct conntab *ct, struct ct_node *old, struct ct_node *node);
struct ct_node *conntab_lookup(struct conntab *ct, const struct ct_key *k);

/* The chains as they are (for the bench and tests; walks every bucket): the nodes hashed,
 * the longest chain, the buckets in use, the buckets in all, and the keys a lookup of
 * every node in turn compares (probes / nodes: the mean of a hit; nodes / buckets: of a
 * miss). */
struct conntab_chains {
    uint64_t nodes, longest, used, buckets, probes;
};
void conntab_chains(const struct conntab *ct, struct conntab_chains *out);

#endif
