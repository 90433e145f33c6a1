/*
 * table/conntab.h - the connection table: the 4-tuple hash that finds the connection of an
 * arriving segment in O(1). The hash is keyed (SipHash-1-3 with a per-stack key), so a peer
 * cannot aim many tuples at one bucket. A listener is entered with a zero remote end.
 * Nodes live inside the sockets (and the request records of half-open connections); the
 * table holds only bucket heads. A node carries a small owner-kind byte that its owner sets
 * and the table never reads, so that whoever finds a node knows what holds it.
 */
#ifndef SYNACK_TABLE_CONNTAB_H
#define SYNACK_TABLE_CONNTAB_H

#include <stdbool.h>
#include <stdint.h>

/* Addresses as 16 bytes in network byte order, IPv4 in its IPv4-mapped form (synack/addr.h):
 * the family is in the bytes, so one key and one compare serve both. */
struct ct_key {
    uint8_t laddr[16], raddr[16];
    uint16_t lport, rport;
};

_Static_assert(sizeof(struct ct_key) == 36, "the key is hashed and compared as its bytes");

struct ct_node {
    struct ct_key key;
    uint32_t bucket; /* while hashed: its bucket, so that removal need not hash again */
    struct ct_node *next;
    bool hashed;
    uint8_t owner; /* what holds this node, set by the owner; the table only carries it */
};

struct conntab {
    struct ct_node **buckets;
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

/* Room for about `entries` connections (twice as many buckets, a power of two). 0 or
 * SYNACK_ENOMEM. */
int conntab_init(struct conntab *ct, uint32_t entries, const uint8_t key[16]);
void conntab_free(struct conntab *ct);
/* Enters node under key k; nothing when it is already hashed. */
void conntab_insert(struct conntab *ct, struct ct_node *node, const struct ct_key *k);
void conntab_remove(struct conntab *ct, struct ct_node *node);
/* node takes old's place: its key, its bucket, its link in the chain, without hashing
 * again (a half-open request promoted to a socket, a socket become a TIME-WAIT record);
 * old is then not hashed. When old is not hashed, node is entered under old's key. */
void conntab_replace(struct conntab *ct, struct ct_node *old, struct ct_node *node);
struct ct_node *conntab_lookup(struct conntab *ct, const struct ct_key *k);

#endif
