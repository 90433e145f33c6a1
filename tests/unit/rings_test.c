/*
 * rings_test.c - buffer memory that follows use: receive-buffer auto-tuning (the buffer
 * starts at 64 KiB and grows with what the application reads per round trip, up to
 * SYNACK_OPT_RCVBUF, as Linux's dynamic right-sizing), rings that take memory as bytes are
 * stored and give it back when idle, and the rules that must hold meanwhile: the right
 * edge of the advertised window never moves left and always fits the ring (RFC 9293
 * §3.8.6, RFC 7323 §2.4), a receiver that does not read never grows, and SO_RCVBUF set by
 * the user fixes the size. Two stacks over the simulated link, the integer clock.
 */
#include "test.h"
#include "simnet.h"
#include "tcp/stack.h"
#include "base/ring.h"
#include "base/seq.h"

#define MS  1000ull
#define SEC 1000000ull

/* A byte of the stream from A to B. */
static uint8_t pat(uint64_t i)
{
    return (uint8_t)((i * 2654435761u) >> 13);
}

static uint64_t ring_bytes(synack_stack *st)
{
    struct synack_stats s;
    synack_get_stats(st, &s);
    return s.ring_bytes;
}

static struct synack_sockinfo info(synack_stack *st, int sd)
{
    struct synack_sockinfo in;
    ASSERT_EQ(synack_getinfo(st, sd, &in), 0);
    return in;
}

/* A 100 Mbit/s link with a 20 ms round trip (a bandwidth-delay product of 250 kB); B's
 * receive buffer may grow to rcvbuf. */
struct bulk {
    struct simnet n;
    int lsd, a, b;
    uint64_t sent, got;
    bool bad;
    /* The invariants, checked at every event while B's connection is synchronized. */
    bool edge_known;
    uint32_t edge;               /* the highest right edge B advertised: RCV.NXT + RCV.WND */
    uint32_t space_lo, space_hi; /* B's receive buffer: the first and the largest seen */
    uint64_t ring_hi;            /* B's ring memory, the most seen */
    int violations;
};

static void bulk_init(struct bulk *k, uint64_t seed, uint32_t rcvbuf, long so_rcvbuf)
{
    memset(k, 0, sizeof *k);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 10 * MS;
    lc.bandwidth_bps = 100000000;
    struct synack_config c[2];
    simnet_config(&c[0], 0, seed);
    simnet_config(&c[1], 1, seed);
    c[0].sndbuf = 1u << 20;
    c[1].rcvbuf = rcvbuf;
    /* Few sockets: synack_get_stats, called at every event, walks them all. */
    c[0].max_sockets = c[1].max_sockets = 8;
    simnet_init_with(&k->n, c, &lc, seed);
    k->lsd = synack_socket(k->n.st[1]);
    if (so_rcvbuf) ASSERT_EQ(synack_setopt(k->n.st[1], k->lsd, SYNACK_OPT_RCVBUF, so_rcvbuf), 0);
    ASSERT_EQ(synack_bind(k->n.st[1], k->lsd, SYNACK_ADDR_ANY, 7), 0);
    ASSERT_EQ(synack_listen(k->n.st[1], k->lsd, 8), 0);
    k->a = synack_socket(k->n.st[0]);
    synack_connect(k->n.st[0], k->a, k->n.now, SIM_B_ADDR, 7);
    k->b = -1;
    k->space_lo = UINT32_MAX;
}

static void bulk_check(struct bulk *k)
{
    if (k->b < 0) return;
    struct synack_sockinfo in = info(k->n.st[1], k->b);
    if (in.state != SYNACK_ESTABLISHED) return;
    uint32_t edge = in.rcv_nxt + in.rcv_wnd;
    /* RFC 9293 §3.8.6: the right edge never moves left. */
    if (k->edge_known && seq_lt(edge, k->edge)) {
        if (k->violations++ < 5)
            fprintf(stderr, "    B's right edge moved left: %u after %u\n", edge, k->edge);
    }
    if (!k->edge_known || seq_gt(edge, k->edge)) k->edge = edge;
    k->edge_known = true;
    /* What was advertised fits the ring: the bytes held plus the window within the buffer
     * and its one unit of window-scale slack (RFC 7323 §2.4). */
    uint64_t fits = (uint64_t)in.rcv_space + (1u << in.rcv_wscale);
    if ((uint64_t)in.rcv_queued + in.rcv_wnd > fits) {
        if (k->violations++ < 5)
            fprintf(stderr, "    B holds %u and offers %u: more than its ring, %llu\n",
                    in.rcv_queued, in.rcv_wnd, (unsigned long long)fits);
    }
    if (in.rcv_space < k->space_lo) k->space_lo = in.rcv_space;
    if (in.rcv_space < k->space_hi) {
        if (k->violations++ < 5)
            fprintf(stderr, "    B's buffer shrank: %u after %u\n", in.rcv_space, k->space_hi);
    }
    if (in.rcv_space > k->space_hi) k->space_hi = in.rcv_space;
    uint64_t rb = ring_bytes(k->n.st[1]);
    if (rb > k->ring_hi) k->ring_hi = rb;
}

/* Moves `bytes` more from A to B (B reads when `read`), checking every byte and the
 * invariants at every event, until all arrived or the clock reaches limit. */
static void bulk_run(struct bulk *k, uint64_t bytes, bool read, uint64_t limit)
{
    static uint8_t buf[65536];
    uint64_t goal = k->sent + bytes;
    while (k->n.now <= limit && !k->bad) {
        if (k->b < 0) k->b = synack_accept(k->n.st[1], k->lsd, NULL);
        bool progress = false;
        if (synack_events(k->n.st[0], k->a) & SYNACK_EV_CONNECTED) {
            while (k->sent < goal) {
                uint64_t n = goal - k->sent < sizeof buf ? goal - k->sent : sizeof buf;
                for (uint64_t i = 0; i < n; i++) buf[i] = pat(k->sent + i);
                long w = synack_send(k->n.st[0], k->a, k->n.now, buf, (size_t)n);
                if (w <= 0) break;
                k->sent += (uint64_t)w;
                progress = true;
            }
        }
        long r;
        while (read && k->b >= 0 &&
               (r = synack_recv(k->n.st[1], k->b, k->n.now, buf, sizeof buf)) > 0) {
            for (long i = 0; i < r; i++)
                if (buf[i] != pat(k->got + (uint64_t)i)) {
                    fprintf(stderr, "    byte %llu differs\n",
                            (unsigned long long)(k->got + (uint64_t)i));
                    k->bad = true;
                    break;
                }
            k->got += (uint64_t)r;
            progress = true;
        }
        bulk_check(k);
        if (read && k->got >= goal) return;
        if (progress) continue;
        if (!simnet_step(&k->n)) return;
    }
}

/* ---- auto-tuning ------------------------------------------------------------------------ */

TEST(receive_buffer_starts_at_64k_and_grows_to_rcvbuf_in_a_bulk_transfer)
{
    /* A reader that keeps up makes the buffer twice what it reads in a round trip (plus
     * sixteen segments): about twice the path's bandwidth-delay product of 250 kB. With
     * 384 KiB at most, it reaches the maximum within a few round trips. */
    struct bulk k;
    bulk_init(&k, 1, 384u << 10, 0);
    bulk_run(&k, 8u << 20, true, 60 * SEC);
    ASSERT(!k.bad);
    ASSERT_EQ(k.got, 8u << 20);
    ASSERT_EQ(k.violations, 0);
    ASSERT_EQ(k.space_lo, 65536);
    ASSERT_EQ(k.space_hi, 384u << 10);
    /* The ring's memory follows what it holds, not the window: a reader that keeps up
     * leaves little unread, so B's ring stays far below the buffer (out-of-order data
     * would make it grow, never past the buffer and its slack). */
    uint32_t slack = 1u << info(k.n.st[1], k.b).rcv_wscale;
    ASSERT(k.ring_hi > 0);
    ASSERT(k.ring_hi <= (384u << 10) + slack);
    /* The window the sender saw covered the product: the transfer ran near the link's
     * rate (8 MiB at 100 Mbit/s is 0.67 s). */
    printf("     8 MiB in %.2f s of virtual time; B's ring at most %llu bytes\n",
           (double)k.n.now / 1e6, (unsigned long long)k.ring_hi);
    ASSERT(k.n.now < 1 * SEC);
    simnet_free(&k.n);
    /* With 4 MiB allowed, it stops near twice the product instead: memory for what the
     * path needs, not for what the configuration allows. */
    bulk_init(&k, 1, 4u << 20, 0);
    bulk_run(&k, 8u << 20, true, 60 * SEC);
    ASSERT(!k.bad);
    ASSERT_EQ(k.violations, 0);
    printf("     with 4 MiB allowed, the buffer grew to %u bytes\n", k.space_hi);
    ASSERT(k.space_hi >= 400000 && k.space_hi <= 600000);
    ASSERT(k.n.now < 1 * SEC);
    simnet_free(&k.n);
}

TEST(window_edge_never_moves_left_while_the_ring_is_released_and_grows_again)
{
    struct bulk k;
    bulk_init(&k, 2, 1u << 20, 0);
    bulk_run(&k, 4u << 20, true, 60 * SEC);
    ASSERT_EQ(k.got, 4u << 20);
    /* The last window update goes out (a delayed ACK) before the idle period starts. */
    simnet_run_to(&k.n, k.n.now + 200 * MS);
    uint32_t edge = k.edge;
    uint32_t wnd = info(k.n.st[1], k.b).rcv_wnd;
    ASSERT(wnd > 0);
    /* Idle: after a second with nothing in or out, both rings give their memory back. The
     * window offered stays as it was: the ring may still hold it, and takes memory again
     * when data comes. */
    simnet_run_to(&k.n, k.n.now + 1500 * MS);
    ASSERT_EQ(ring_bytes(k.n.st[0]), 0);
    ASSERT_EQ(ring_bytes(k.n.st[1]), 0);
    ASSERT_EQ(info(k.n.st[1], k.b).rcv_wnd, wnd);
    ASSERT_EQ(k.edge, edge);
    /* The sender may fill that window at once, and every byte is taken and intact. */
    bulk_run(&k, 4u << 20, true, k.n.now + 60 * SEC);
    ASSERT(!k.bad);
    ASSERT_EQ(k.got, 8u << 20);
    ASSERT_EQ(k.violations, 0);
    ASSERT(ring_bytes(k.n.st[1]) > 0);
    simnet_free(&k.n);
}

static bool drop_first_synack(struct simnet *n, int from, const struct synack_segment *s)
{
    if (from != 1 || !(s->tcp.flags & SYNACK_TCP_SYN) || n->user) return false;
    n->user = 1;
    return true;
}

TEST(a_receiver_without_a_round_trip_sample_still_auto_tunes)
{
    /* B's SYN-ACK is lost: the handshake gives it no RTT sample (Karn's rule), and B
     * sends no data that could give one. It measures over its RTO instead, coarser but
     * still growing with what the application reads. */
    struct bulk k;
    bulk_init(&k, 8, 4u << 20, 0);
    k.n.drop = drop_first_synack;
    bulk_run(&k, 16u << 20, true, 60 * SEC);
    ASSERT(!k.bad);
    ASSERT_EQ(k.n.user, 1);
    ASSERT_EQ(k.violations, 0);
    ASSERT_EQ(info(k.n.st[1], k.b).srtt_us, 0);
    printf("     the buffer grew to %u bytes\n", k.space_hi);
    ASSERT(k.space_hi > 65536);
    simnet_free(&k.n);
}

TEST(a_receiver_that_never_reads_stays_at_the_initial_buffer)
{
    /* B's application never reads: the window closes at the initial 64 KiB, the buffer
     * never grows however long A pushes (zero-window probes), and neither ring passes
     * what it may hold. */
    struct bulk k;
    bulk_init(&k, 3, 4u << 20, 0);
    bulk_run(&k, 8u << 20, false, 30 * SEC);
    ASSERT_EQ(k.violations, 0);
    struct synack_sockinfo b = info(k.n.st[1], k.b);
    uint32_t slack = 1u << b.rcv_wscale;
    ASSERT_EQ(b.rcv_space, 65536);
    /* Closed, to less than a segment (sender-side silly window avoidance keeps the last
     * crumbs unfilled). */
    ASSERT(b.rcv_wnd < b.rcv_mss);
    ASSERT(b.rcv_queued + b.rcv_wnd <= 65536 + slack);
    ASSERT(b.rcv_queued >= 65536 - b.rcv_mss);
    ASSERT(ring_bytes(k.n.st[1]) <= 65536 + slack);
    /* A holds what B has not taken, up to its send buffer and no further. */
    struct synack_sockinfo a = info(k.n.st[0], k.a);
    ASSERT_EQ(a.snd_queued, 1u << 20);
    ASSERT(ring_bytes(k.n.st[0]) <= 1u << 20);
    ASSERT_EQ(k.sent, (1u << 20) + (uint64_t)b.rcv_queued);
    simnet_free(&k.n);
}

TEST(so_rcvbuf_set_by_the_user_fixes_the_buffer_and_stops_auto_tuning)
{
    /* Set on the listener, inherited: the buffer is the user's from the start... */
    struct bulk k;
    bulk_init(&k, 4, 4u << 20, 1u << 20);
    bulk_run(&k, 4u << 20, true, 60 * SEC);
    ASSERT(!k.bad);
    ASSERT_EQ(k.violations, 0);
    ASSERT_EQ(k.space_lo, 1u << 20);
    ASSERT_EQ(k.space_hi, 1u << 20);
    /* ...and set on a live, auto-tuned connection, it stays what was set however fast
     * the application reads. */
    struct bulk m;
    bulk_init(&m, 5, 4u << 20, 0);
    bulk_run(&m, 1u << 20, true, 60 * SEC);
    uint32_t tuned = info(m.n.st[1], m.b).rcv_space;
    ASSERT(tuned > 65536 && tuned < 1u << 20);
    /* Larger than auto-tuning had reached, smaller than where it would go. */
    long set = (long)tuned + 100000;
    ASSERT_EQ(synack_setopt(m.n.st[1], m.b, SYNACK_OPT_RCVBUF, set), 0);
    m.space_hi = 0;
    m.space_lo = UINT32_MAX;
    bulk_run(&m, 8u << 20, true, m.n.now + 60 * SEC);
    ASSERT(!m.bad);
    ASSERT_EQ(m.violations, 0);
    ASSERT_EQ(m.space_lo, (uint32_t)set);
    ASSERT_EQ(m.space_hi, (uint32_t)set);
    long v = 0;
    ASSERT_EQ(synack_getopt(m.n.st[1], m.b, SYNACK_OPT_RCVBUF, &v), 0);
    ASSERT_EQ(v, set);
    simnet_free(&k.n);
    simnet_free(&m.n);
}

/* ---- memory when idle -------------------------------------------------------------------- */

TEST(an_idle_connection_gives_its_ring_memory_back_and_takes_it_again_when_used)
{
    struct bulk k;
    bulk_init(&k, 6, 256u << 10, 0);
    /* A connection that carried nothing has set up its rings and taken no memory. */
    simnet_run_to(&k.n, 100 * MS);
    k.b = synack_accept(k.n.st[1], k.lsd, NULL);
    ASSERT(k.b >= 0);
    ASSERT_EQ(ring_bytes(k.n.st[0]), 0);
    ASSERT_EQ(ring_bytes(k.n.st[1]), 0);
    /* A request and its answer: a few KiB of ring memory each side (RING_MIN_SIZE). */
    static uint8_t buf[2000];
    memset(buf, 'q', sizeof buf);
    ASSERT_EQ(synack_send(k.n.st[0], k.a, k.n.now, buf, 1000), 1000);
    simnet_run_to(&k.n, k.n.now + 30 * MS);
    ASSERT_EQ(synack_recv(k.n.st[1], k.b, k.n.now, buf, sizeof buf), 1000);
    ASSERT_EQ(synack_send(k.n.st[1], k.b, k.n.now, buf, 1000), 1000);
    simnet_run_to(&k.n, k.n.now + 30 * MS);
    ASSERT_EQ(synack_recv(k.n.st[0], k.a, k.n.now, buf, sizeof buf), 1000);
    uint64_t busy = ring_bytes(k.n.st[0]) + ring_bytes(k.n.st[1]);
    ASSERT(busy > 0 && busy <= 4 * RING_MIN_SIZE);
    /* Not yet idle long enough: kept, for the next request. */
    simnet_run_to(&k.n, k.n.now + 500 * MS);
    ASSERT_EQ(ring_bytes(k.n.st[0]) + ring_bytes(k.n.st[1]), busy);
    /* A second with nothing in or out: gone, on both sides. */
    simnet_run_to(&k.n, k.n.now + 600 * MS);
    ASSERT_EQ(ring_bytes(k.n.st[0]), 0);
    ASSERT_EQ(ring_bytes(k.n.st[1]), 0);
    /* The idle timer does not come back while nothing happens. */
    ASSERT_EQ(synack_next_deadline(k.n.st[0]), UINT64_MAX);
    ASSERT_EQ(synack_next_deadline(k.n.st[1]), UINT64_MAX);
    /* And the connection works as before. */
    ASSERT_EQ(synack_send(k.n.st[0], k.a, k.n.now, "again", 5), 5);
    simnet_run_to(&k.n, k.n.now + 30 * MS);
    ASSERT_EQ(synack_recv(k.n.st[1], k.b, k.n.now, buf, sizeof buf), 5);
    ASSERT(memcmp(buf, "again", 5) == 0);
    ASSERT(ring_bytes(k.n.st[1]) > 0);
    simnet_free(&k.n);
}

TEST(unread_data_keeps_its_ring_while_idle)
{
    struct bulk k;
    bulk_init(&k, 7, 256u << 10, 0);
    simnet_run_to(&k.n, 100 * MS);
    k.b = synack_accept(k.n.st[1], k.lsd, NULL);
    ASSERT_EQ(synack_send(k.n.st[0], k.a, k.n.now, "unread", 6), 6);
    simnet_run_to(&k.n, k.n.now + 5 * SEC);
    /* A's ring is empty (acknowledged) and gone; B's holds what the application has not
     * read, which stays readable. */
    ASSERT_EQ(ring_bytes(k.n.st[0]), 0);
    ASSERT(ring_bytes(k.n.st[1]) > 0);
    char buf[16];
    ASSERT_EQ(synack_recv(k.n.st[1], k.b, k.n.now, buf, sizeof buf), 6);
    ASSERT(memcmp(buf, "unread", 6) == 0);
    /* Read now, it goes after a second of quiet. */
    simnet_run_to(&k.n, k.n.now + 1100 * MS);
    ASSERT_EQ(ring_bytes(k.n.st[1]), 0);
    simnet_free(&k.n);
}

/* RACK's transmission map takes memory as the rings do: a few records for a connection
 * with little in flight, more as a bulk window needs them, and none once idle. */
TEST(rack_map_starts_small_and_grows_with_the_flight)
{
    struct bulk k;
    bulk_init(&k, 9, 1u << 20, 0);
    bulk_run(&k, 4u << 20, true, 60 * SEC);
    ASSERT_EQ(k.got, 4u << 20);
    const struct tcb *ta = &k.n.st[0]->socks[k.a].tcb;
    printf("     after a 4 MiB transfer the sender's map has %u records (at most %u)\n", ta->xr_cap,
           ta->xr_max);
    ASSERT(ta->xr_cap > TCP_XMAP_START);
    ASSERT(ta->xr_cap <= ta->xr_max);
    /* The receiver sent nothing but ACKs: it never took a map. */
    ASSERT(k.n.st[1]->socks[k.b].tcb.xr == NULL);
    /* Idle: given back with the send ring's memory. */
    simnet_run_to(&k.n, k.n.now + 1500 * MS);
    ASSERT(ta->xr == NULL);
    simnet_free(&k.n);
}

TEST_MAIN()
