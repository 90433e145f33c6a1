/*
 * table/lsntab.h - the listeners by local port: a small table that the demux asks which
 * listeners a SYN's port has, without hashing the 4-tuple three times (a specific address,
 * 0.0.0.0, the unspecified address of both families) in the connection hash.
 *
 * Its entries are made only by the stack's own user (listen()), never by a peer, so a plain
 * multiplicative hash of the port is enough: a peer can only ask, and a port's chain holds
 * only the listeners the user made that share its bucket. Nodes are intrusive, as in every
 * table here; the table never asks a socket anything.
 */
#ifndef SYNACK_TABLE_LSNTAB_H
#define SYNACK_TABLE_LSNTAB_H

#include <stdbool.h>
#include <stdint.h>

struct lsn_node {
    struct lsn_node *next;
    uint16_t port;
    bool in; /* in the table */
};

#define LSNTAB_BUCKETS 256u

struct lsntab {
    struct lsn_node *b[LSNTAB_BUCKETS];
};

/* Fibonacci hashing of the 16-bit port into 8 bits: nearby ports land apart. */
static inline uint32_t lsntab_bucket(uint16_t port)
{
    return ((uint32_t)port * 40503u >> 8) & (LSNTAB_BUCKETS - 1);
}

/* Enters node under port; nothing when it is in already. */
void lsntab_insert(struct lsntab *t, struct lsn_node *node, uint16_t port);
/* Takes node out; nothing when it is not in. */
void lsntab_remove(struct lsntab *t, struct lsn_node *node);

/* The first node entered under port, or NULL; lsntab_next gives the others. */
static inline struct lsn_node *lsntab_next(struct lsn_node *n, uint16_t port)
{
    while (n && n->port != port) n = n->next;
    return n;
}
static inline struct lsn_node *lsntab_first(const struct lsntab *t, uint16_t port)
{
    return lsntab_next(t->b[lsntab_bucket(port)], port);
}

#endif
