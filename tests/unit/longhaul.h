/*
 * longhaul.h - one long, fast, one-way transfer over a simnet link, with chosen data
 * segments dropped at chosen stream offsets, for the sequence-wrap tests.
 *
 * The stream is made of 4 KiB blocks, each starting with its 64-bit block number and
 * continuing with a slice of a fixed random pattern chosen by that number; the receiver
 * compares every byte it reads with the block it must be (memcmp), so any wrong, lost,
 * duplicated or misplaced byte fails the check, at the cost of a copy per block rather
 * than a hash per byte (the test runs under ASan).
 *
 * The drop filter follows A's data segments by their 64-bit stream offset (unwrapped from
 * the 32-bit sequence number) and drops, once each, the first transmission of the segment
 * holding each offset in drop_at[]; retransmissions of it pass.
 */
#ifndef SYNACK_LONGHAUL_H
#define SYNACK_LONGHAUL_H

#include "simnet.h"

#define LH_BLOCK    4096u
#define LH_SLICES   251u
#define LH_MAXDROPS 64

struct longhaul {
    uint64_t bytes;                /* to move from A to B */
    uint64_t drop_at[LH_MAXDROPS]; /* stream offsets whose segment is dropped (ascending) */
    int ndrops;
    /* results */
    int dropped;          /* segments the filter dropped */
    uint64_t received;    /* bytes B read, all checked */
    bool ok;              /* every byte right and all of them there */
    uint64_t mismatch_at; /* the first wrong byte's offset, when !ok */
    uint64_t start_us, done_us;
    int rcv_sd; /* B's connection, still open */
    /* the filter's state */
    bool seq_known;
    uint32_t isn; /* the stream's first data sequence number */
    uint64_t hi;  /* highest stream offset seen sent */
    int next_drop;
};

static struct longhaul *lh_cur;
static uint8_t lh_pattern[LH_BLOCK + LH_SLICES * 16];

static inline void lh_block(uint64_t b, uint8_t *out)
{
    memcpy(out, lh_pattern + (b % LH_SLICES) * 16, LH_BLOCK);
    memcpy(out, &b, sizeof b);
}

static bool lh_drop(struct simnet *n, int from, const struct synack_segment *s)
{
    (void)n;
    struct longhaul *h = lh_cur;
    if (from != 0 || s->payload_len == 0 || !h->seq_known) return false;
    /* Unwrap: data is within 2^31 of the highest offset sent. */
    uint32_t hi_seq = h->isn + (uint32_t)h->hi;
    uint64_t off = h->hi + (uint64_t)(int64_t)(int32_t)(s->tcp.seq - hi_seq);
    uint64_t end = off + s->payload_len;
    bool fresh = end > h->hi;
    if (fresh) h->hi = end;
    if (fresh && h->next_drop < h->ndrops && off <= h->drop_at[h->next_drop] &&
        h->drop_at[h->next_drop] < end) {
        h->next_drop++;
        h->dropped++;
        return true;
    }
    return false;
}

/* Connects A to B (port 7), moves h->bytes, checks them. */
static inline void longhaul_run(struct simnet *n, struct longhaul *h, uint64_t limit_us)
{
    uint64_t x = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < sizeof lh_pattern; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        lh_pattern[i] = (uint8_t)(x >> 24);
    }
    lh_cur = h;
    n->drop = lh_drop;
    int lsd = synack_socket(n->st[1]);
    synack_bind(n->st[1], lsd, SYNACK_ADDR_ANY, 7);
    synack_listen(n->st[1], lsd, 8);
    int csd = synack_socket(n->st[0]), ssd = -1;
    synack_connect(n->st[0], csd, n->now, SIM_B_ADDR, 7);
    static uint8_t out[16 * LH_BLOCK], in[65536], want[LH_BLOCK];
    uint64_t sent = 0, gen = 0; /* bytes taken by the stack; bytes generated into out */
    size_t out_off = 0, out_len = 0;
    uint64_t want_block = UINT64_MAX;
    h->start_us = n->now;
    bool bad = false;
    while (n->now <= limit_us && !bad) {
        if (ssd < 0) ssd = synack_accept(n->st[1], lsd, NULL);
        bool progress = false;
        if (!h->seq_known && simnet_state(n, 0, csd) == SYNACK_ESTABLISHED) {
            struct synack_sockinfo si;
            synack_getinfo(n->st[0], csd, &si);
            h->isn = si.iss + 1;
            h->seq_known = true;
        }
        if (h->seq_known) {
            while (sent < h->bytes) {
                if (out_off == out_len) {
                    out_len = 0;
                    for (int k = 0; k < 16 && gen < h->bytes; k++) {
                        lh_block(gen / LH_BLOCK, out + out_len);
                        uint64_t left = h->bytes - gen;
                        uint32_t l = left < LH_BLOCK ? (uint32_t)left : LH_BLOCK;
                        out_len += l;
                        gen += l;
                    }
                    out_off = 0;
                }
                long w = synack_send(n->st[0], csd, n->now, out + out_off, out_len - out_off);
                if (w <= 0) break;
                out_off += (size_t)w;
                sent += (uint64_t)w;
                progress = true;
            }
        }
        long got;
        while (ssd >= 0 && (got = synack_recv(n->st[1], ssd, n->now, in, sizeof in)) > 0) {
            for (long i = 0; i < got && !bad;) {
                uint64_t off = h->received + (uint64_t)i;
                uint64_t b = off / LH_BLOCK;
                uint32_t at = (uint32_t)(off % LH_BLOCK);
                if (b != want_block) {
                    lh_block(b, want);
                    want_block = b;
                }
                uint32_t l = LH_BLOCK - at;
                if ((long)l > got - i) l = (uint32_t)(got - i);
                if (memcmp(in + i, want + at, l) != 0) {
                    for (uint32_t j = 0; j < l; j++)
                        if (in[i + j] != want[at + j]) {
                            h->mismatch_at = off + j;
                            break;
                        }
                    bad = true;
                }
                i += l;
            }
            h->received += (uint64_t)got;
            progress = true;
        }
        if (h->received >= h->bytes) break;
        if (progress) continue;
        if (!simnet_step(n)) break;
    }
    h->done_us = n->now;
    h->rcv_sd = ssd;
    h->ok = !bad && h->received == h->bytes;
}

/* The link of the long tests: 40 Gbit/s, 1 ms each way, jumbo frames (so that a few GB
 * take few segments: the tests run under ASan), 4 MiB windows. */
/* iss: the sender's initial sequence number (0: the stack's own, RFC 6528). */
static inline void longhaul_net(struct simnet *n, uint64_t seed, uint16_t mtu, uint32_t iss)
{
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, seed);
        c[i].mtu = mtu;
        c[i].sndbuf = c[i].rcvbuf = 4u << 20;
    }
    if (iss) {
        c[0].isn_fixed = true;
        c[0].isn_fixed_value = iss;
    }
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.mtu = mtu;
    lc.delay_us = 1000;
    lc.bandwidth_bps = 40000000000ull; /* 40 Gbit/s: BDP 10 MB > the 4 MiB window */
    simnet_init_with(n, c, &lc, seed);
}

static inline void longhaul_report(struct simnet *n, struct longhaul *h)
{
    struct synack_stats s;
    synack_get_stats(n->st[0], &s);
    printf("     %llu bytes (%.2f GiB), %d losses, %llu fast retransmits, %llu RTOs, "
           "%llu retransmitted segments, virtual time %.3f s\n",
           (unsigned long long)h->received, (double)h->received / (1u << 30), h->dropped,
           (unsigned long long)s.fast_retransmits, (unsigned long long)s.rto_timeouts,
           (unsigned long long)s.retransmits, (double)(h->done_us - h->start_us) / 1e6);
    if (!h->ok)
        printf("     NOT byte-exact: first wrong byte at %llu\n",
               (unsigned long long)h->mismatch_at);
}

#endif
