/*
 * base/reass.h - out-of-order reassembly bookkeeping (RFC 9293 §3.10.7.4, seventh step:
 * segments beyond RCV.NXT are kept and delivered when the hole fills).
 *
 * The same structure keeps a sender's SACK scoreboard (tcp_sack.c): the ranges the peer
 * reported holding beyond SND.UNA (RFC 2018, RFC 6675).
 *
 * The bytes themselves are parked in the receive ring at their offset from RCV.NXT; this
 * structure only remembers which sequence ranges beyond RCV.NXT are filled, as at most
 * REASS_MAX disjoint, sorted [left, right) ranges. A segment that would need one more range
 * is dropped (bounded memory whatever the peer sends); the peer retransmits it.
 */
#ifndef SYNACK_BASE_REASS_H
#define SYNACK_BASE_REASS_H

#include <stdbool.h>
#include <stdint.h>

#define REASS_MAX 16

struct reass {
    uint32_t left[REASS_MAX], right[REASS_MAX];
    /* When each range was last added to or merged, on the list's own count of additions:
     * the SACK blocks go out latest first (RFC 2018 §4). Ages are taken modulo 2^32, so
     * they are exact for every range touched within the last 2^32 additions; an older one
     * (its hole open while four billion segments arrived) may be listed out of order, which
     * changes only the order of the blocks, never what they say. */
    uint32_t touched[REASS_MAX];
    uint32_t tick;
    uint8_t n;
};

/* Records [l, r) as held. Returns 0, or -1 when it needs a new range and all are taken. */
int reass_add(struct reass *q, uint32_t l, uint32_t r);
/* Removes the ranges that now start at or before rcv_nxt and returns the new RCV.NXT. */
uint32_t reass_advance(struct reass *q, uint32_t rcv_nxt);
/* Forgets everything below seq (a range straddling it is cut at seq). */
void reass_trim_below(struct reass *q, uint32_t seq);
/* Forgets everything at or above seq (a range straddling it is cut at seq): out-of-order
 * data given up under memory pressure, the highest first. */
void reass_trim_above(struct reass *q, uint32_t seq);
/* Bytes held in all ranges. */
uint32_t reass_bytes(const struct reass *q);
/* Up to max SACK blocks, the range touched last first and the rest from the most recently
 * touched down (RFC 2018 §4), as Linux keeps its list. Returns the count. */
int reass_sack_blocks(const struct reass *q, uint32_t *left, uint32_t *right, int max);

#endif
