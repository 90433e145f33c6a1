/*
 * base/reass.c - the sorted, bounded list of out-of-order sequence ranges (see reass.h).
 */
#include "base/reass.h"

#include "base/seq.h"

static void reass_remove(struct reass *q, int i)
{
    for (int j = i; j + 1 < q->n; j++) {
        q->left[j] = q->left[j + 1];
        q->right[j] = q->right[j + 1];
        q->touched[j] = q->touched[j + 1];
    }
    q->n--;
}

int reass_add(struct reass *q, uint32_t l, uint32_t r)
{
    if (!seq_lt(l, r)) return 0;
    int i = 0;
    while (i < q->n && seq_lt(q->right[i], l)) i++;
    /* i is the first range that ends at or after l: overlap or adjacency merges. */
    if (i < q->n && seq_leq(q->left[i], r)) {
        q->left[i] = seq_min(q->left[i], l);
        q->right[i] = seq_max(q->right[i], r);
        while (i + 1 < q->n && seq_leq(q->left[i + 1], q->right[i])) {
            q->right[i] = seq_max(q->right[i], q->right[i + 1]);
            reass_remove(q, i + 1);
        }
        q->touched[i] = ++q->tick;
        return 0;
    }
    if (q->n == REASS_MAX) return -1;
    for (int j = q->n; j > i; j--) {
        q->left[j] = q->left[j - 1];
        q->right[j] = q->right[j - 1];
        q->touched[j] = q->touched[j - 1];
    }
    q->left[i] = l;
    q->right[i] = r;
    q->touched[i] = ++q->tick;
    q->n++;
    return 0;
}

uint32_t reass_advance(struct reass *q, uint32_t rcv_nxt)
{
    while (q->n > 0 && seq_leq(q->left[0], rcv_nxt)) {
        rcv_nxt = seq_max(rcv_nxt, q->right[0]);
        reass_remove(q, 0);
    }
    return rcv_nxt;
}

int reass_sack_blocks(const struct reass *q, uint32_t *left, uint32_t *right, int max)
{
    /* A selection of the max youngest: the list is at most REASS_MAX long and max at most
     * 4, so a pass per block is cheaper than keeping the ranges in two orders. Ages are
     * taken from the count, so that its wrap changes nothing. */
    uint32_t taken = 0;
    int k = 0;
    while (k < max && k < q->n) {
        int best = 0;
        while (taken & (1u << best)) best++; /* k < n: some range is not taken yet */
        for (int i = best + 1; i < q->n; i++) {
            if (taken & (1u << i)) continue;
            if (q->tick - q->touched[i] < q->tick - q->touched[best]) best = i;
        }
        taken |= 1u << best;
        left[k] = q->left[best];
        right[k] = q->right[best];
        k++;
    }
    return k;
}

void reass_trim_below(struct reass *q, uint32_t seq)
{
    while (q->n > 0 && seq_leq(q->right[0], seq)) reass_remove(q, 0);
    if (q->n > 0 && seq_lt(q->left[0], seq)) q->left[0] = seq;
}

void reass_trim_above(struct reass *q, uint32_t seq)
{
    while (q->n > 0 && seq_geq(q->left[q->n - 1], seq)) q->n--;
    if (q->n > 0 && seq_gt(q->right[q->n - 1], seq)) q->right[q->n - 1] = seq;
}

uint32_t reass_bytes(const struct reass *q)
{
    uint32_t b = 0;
    for (int i = 0; i < q->n; i++) b += q->right[i] - q->left[i];
    return b;
}
