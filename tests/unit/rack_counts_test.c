/*
 * rack_counts_test.c - the counts the transmission map keeps as its marks change
 * (tcp/tcp_rack.c: the unSACKed bytes not deemed lost, deemed lost, sent again, deemed
 * lost and not sent again, and the SACKed bytes) against a recount of its records after
 * every operation, and the answers built on them (RFC 6675 §4's pipe, "anything lost?",
 * NextSeg's first lost range) against the whole-map walks they replace, on seeded random
 * sequences of sends, retransmissions, ACKs with SACK blocks from a hostile receiver (stale,
 * beyond SND.MAX, reversed, overlapping, D-SACKs), loss detection, timeouts and undos, in a
 * map small enough to merge records and in one that grows. The seed is printed on failure.
 */
#include <string.h>

#include "tcp/stack.h"
#include "tcp/tcp.h"
#include "test.h"

#define MSS 1000u
#define ISS 4294000000u /* the sequence space wraps during the run */

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

static uint32_t rec_start(const struct tcb *t, int i)
{
    return i == 0 ? t->snd_una : t->xr[i - 1].end;
}

/* The walks the counts replace, as they were written before them. */
static uint32_t ref_pipe(const struct tcb *t)
{
    uint32_t pipe = 0, data_end = tcp_data_end(t);
    for (int i = 0; i < t->xr_n; i++) {
        const struct tcp_xrec *x = &t->xr[i];
        if (x->flags & TCP_XR_SACKED) continue;
        uint32_t s = rec_start(t, i), e = seq_lt(data_end, x->end) ? data_end : x->end;
        if (!seq_lt(s, e)) continue;
        if (!(x->flags & TCP_XR_LOST)) pipe += e - s;
        if (x->flags & TCP_XR_RXT) pipe += e - s;
    }
    return pipe;
}

static bool ref_any_lost(const struct tcb *t)
{
    for (int i = 0; i < t->xr_n; i++)
        if ((t->xr[i].flags & (TCP_XR_LOST | TCP_XR_SACKED)) == TCP_XR_LOST) return true;
    return false;
}

static bool ref_next_lost(const struct tcb *t, uint32_t *seq, uint32_t *len)
{
    uint32_t data_end = tcp_data_end(t);
    for (int i = 0; i < t->xr_n; i++) {
        uint8_t f = t->xr[i].flags;
        if ((f & (TCP_XR_LOST | TCP_XR_SACKED | TCP_XR_RXT)) != TCP_XR_LOST) continue;
        uint32_t s = rec_start(t, i), e = seq_lt(data_end, t->xr[i].end) ? data_end : t->xr[i].end;
        if (!seq_lt(s, e)) continue;
        *seq = s;
        *len = e - s;
        return true;
    }
    return false;
}

/* After a retransmission the map is coalesced: the old walk over the whole map left no two
 * neighbours sent at the same instant with the same marks, and the walk over the boundaries
 * marked dirty must leave none either. */
static bool none_mergeable(const struct tcb *t)
{
    for (int i = 1; i < t->xr_n; i++) {
        const struct tcp_xrec *a = &t->xr[i - 1], *b = &t->xr[i];
        if (a->ts == b->ts && a->ord == b->ord &&
            (a->flags & ~TCP_XR_APP_LIMITED) == (b->flags & ~TCP_XR_APP_LIMITED))
            return false;
    }
    return true;
}

/* The data queued ends 100 segments beyond SND.MAX, or at the FIN once it went. */
static void set_data_end(struct tcb *t, bool fin)
{
    t->snd_buf_seq = ISS;
    t->snd.len = fin ? t->snd_max - 1 - ISS : t->snd_max + 100 * MSS - ISS;
}

static uint32_t any_seq(const struct tcb *t)
{
    /* Mostly inside [SND.UNA, SND.MAX], sometimes below or beyond (a lying receiver). */
    uint32_t span = t->snd_max - t->snd_una;
    switch (rnd(8)) {
    case 0:
        return t->snd_una - rnd(5 * MSS);
    case 1:
        return t->snd_max + rnd(5 * MSS);
    default:
        return t->snd_una + rnd(span + 1) / 100 * 100;
    }
}

static void run(uint64_t seed, uint32_t sndbuf)
{
    static struct tcb t;
    memset(&t, 0, sizeof t);
    rng = seed * 0x9e3779b97f4a7c15ull + 1;
    test_seed(seed);
    t.snd_una = t.snd_max = ISS;
    t.sack_ok = true;
    t.snd_mss = MSS;
    t.min_rtt = 2000;
    bool fin = false;
    set_data_end(&t, fin);
    ASSERT_EQ(tcp_rack_alloc(&t, sndbuf), 0);
    uint64_t now = 1000000;
    for (int op = 0; op < 600; op++) {
        uint32_t r = rnd(100);
        if (r < 35 && !fin) {
            /* New data, one segment or a burst sent in the same microsecond. */
            uint32_t len = 1 + rnd(3 * MSS);
            if (t.snd_max - t.snd_una + len > 400 * MSS) continue;
            bool last = rnd(150) == 0;
            tcp_rack_on_send(&t, t.snd_max, len + (last ? 1 : 0), now, false);
            t.snd_max += len + (last ? 1 : 0);
            fin = last;
        } else if (r < 50) {
            /* A retransmission: of the first lost range (NextSeg), or of any range. */
            uint32_t s, l;
            if (rnd(3) && tcp_rack_next_lost(&t, &s, &l))
                tcp_rack_on_send(&t, s, l < MSS ? l : MSS, now, true);
            else if (t.snd_max != t.snd_una)
                tcp_rack_on_send(&t, t.snd_una + rnd(t.snd_max - t.snd_una), 1 + rnd(2 * MSS), now,
                                 true);
            if (t.snd_max != t.snd_una) ASSERT(none_mergeable(&t));
        } else if (r < 90) {
            /* An ACK: SND.UNA moves a little, not at all, or back (ignored); up to four
             * blocks, the first sometimes a D-SACK below SEG.ACK. */
            struct synack_tcp_opts o;
            memset(&o, 0, sizeof o);
            uint32_t span = t.snd_max - t.snd_una;
            uint32_t ack = t.snd_una;
            if (rnd(3) == 0) ack += rnd(span < 4 * MSS ? span + 1 : 4 * MSS);
            if (rnd(20) == 0) ack -= rnd(MSS);
            o.sack_count = (uint8_t)rnd(5);
            for (int b = 0; b < o.sack_count; b++) {
                uint32_t l = any_seq(&t), w = 1 + rnd(6 * MSS);
                o.sack[b].left = l;
                o.sack[b].right = rnd(30) ? l + w : l - w; /* reversed sometimes */
            }
            if (o.sack_count > 0 && rnd(6) == 0) {
                o.sack[0].left = ack - 2 * MSS;
                o.sack[0].right = ack - MSS;
            }
            int dsack = tcp_dsack_block(&o, ack);
            tcp_sack_on_ack(&t, &o, ack);
            tcp_rack_on_ack(&t, &o, ack, now, dsack);
            if (seq_gt(ack, t.snd_una)) t.snd_una = ack;
            ASSERT_EQ(t.rack.una, t.snd_una); /* kept, not recounted */
            ASSERT(tcp_rack_counts_ok(&t));
            (void)tcp_rack_detect_loss(&t, now);
        } else if (r < 95) {
            (void)tcp_rack_detect_loss(&t, now); /* the reordering timer */
        } else if (r < 97) {
            tcp_rack_on_rto(&t);
        } else if (r < 98) {
            tcp_rack_unmark_lost(&t);
        }
        set_data_end(&t, fin);
        now += rnd(4) == 0 ? 0 : rnd(3000);
        ASSERT(tcp_rack_counts_ok(&t));
        ASSERT_EQ(tcp_rack_pipe(&t), ref_pipe(&t));
        ASSERT_EQ(tcp_rack_any_lost(&t), ref_any_lost(&t));
        uint32_t s1 = 0, l1 = 0, s2 = 0, l2 = 0;
        bool n1 = tcp_rack_next_lost(&t, &s1, &l1), n2 = ref_next_lost(&t, &s2, &l2);
        ASSERT_EQ(n1, n2);
        ASSERT_EQ(s1, s2);
        ASSERT_EQ(l1, l2);
        if (t.snd_una == t.snd_max && fin) break;
    }
    tcp_rack_free(&t);
}

TEST(counts_match_a_recount_in_a_map_that_merges)
{
    for (uint64_t seed = 1; seed <= 300; seed++) run(seed, 64 * 1024); /* 64 records */
}

TEST(counts_match_a_recount_in_a_map_that_grows)
{
    for (uint64_t seed = 1001; seed <= 1300; seed++) run(seed, 4u << 20);
}

TEST_MAIN()
