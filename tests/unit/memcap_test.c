/*
 * memcap_test.c - the stack-wide memory bound (cfg.mem_max, tcp/tcp_mem.c) against the
 * review's attack: a peer grows its connections' receive windows (the server reads), then
 * keeps one hole open in each stream while it sends everything the window allows behind
 * it. Without a bound every connection holds its whole grown window of out-of-order data;
 * with one the total stays within it, the right edge of each window never moves left (RFC
 * 9293 §3.8.6, RFC 7323 §2.4), and once the hole fills every connection still completes
 * byte for byte: the sender (synack too) sends again what the receiver gave up after
 * SACKing it (reneging, RFC 2018 §8; RFC 6675 §5.1). Beside it: a send ring stops at the
 * limit with SYNACK_EAGAIN and loses nothing, auto-tuning holds under pressure, and the base
 * pieces (the ring's account and trim, reassembly's trim from the top). Two stacks over the
 * simulated link, the integer clock; the hole is the test's drop filter.
 */
#include "test.h"
#include "simnet.h"
#include "tcp/stack.h"
#include "base/ring.h"
#include "base/seq.h"

#define MS  1000ull
#define SEC 1000000ull

#define NCONN      5           /* four under attack and a late one */
#define LATE       (NCONN - 1) /* opens at LATE_AT, while the holes are open, and has none */
#define TOTAL      (12u << 20) /* bytes each attacked connection carries */
#define LATE_TOTAL (3u << 19)  /* bytes the late one carries: 1.5 MiB */
#define HOLE       (6u << 20)  /* the stream offset of the segment held back */
#define LATE_AT    (2 * SEC)

static uint8_t pat(int c, uint64_t i)
{
    return (uint8_t)(((i + (uint64_t)c * 7919u) * 2654435761u) >> 13);
}

struct atk {
    struct simnet n;
    int lsd, lsd2, a[NCONN], b[NCONN];
    uint16_t aport[NCONN];
    uint32_t iss[NCONN];
    uint64_t sent[NCONN], got[NCONN];
    bool edge_known[NCONN];
    uint32_t edge[NCONN];
    uint64_t release;     /* the hole is held back until then */
    uint64_t late_done;   /* when the late connection had all its bytes */
    uint32_t late_queued; /* the most B held of them unread (it reads after release) */
    uint64_t held_hi;     /* B's ring memory, the most seen (its own account) */
    uint64_t ooo_hi;      /* B's out-of-order bytes held at once, the most seen */
    int violations;
    bool bad;
};

/* A's segments that carry the byte at HOLE of a connection, until release. */
static bool hole_drop(struct simnet *n, int from, const struct synack_segment *seg)
{
    struct atk *k = (struct atk *)((char *)n - offsetof(struct atk, n));
    if (from != 0 || seg->payload_len == 0 || n->now >= k->release) return false;
    for (int c = 0; c < LATE; c++) {
        if (!k->iss[c] || seg->tcp.sport != k->aport[c]) continue;
        uint32_t off = seg->tcp.seq - (k->iss[c] + 1);
        return off <= HOLE && HOLE - off < seg->payload_len;
    }
    return false;
}

static void atk_init(struct atk *k, uint64_t seed, uint64_t mem_max)
{
    memset(k, 0, sizeof *k);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 25 * MS; /* a 50 ms round trip at 1 Gbit/s: 6 MB in flight */
    lc.bandwidth_bps = 1000000000;
    lc.queue_limit = 10000;
    struct synack_config c[2];
    simnet_config(&c[0], 0, seed);
    simnet_config(&c[1], 1, seed);
    c[0].sndbuf = 16u << 20;
    c[1].rcvbuf = 4u << 20; /* serve's default --rcvbuf */
    c[1].mem_max = mem_max;
    c[0].max_sockets = c[1].max_sockets = 16;
    simnet_init_with(&k->n, c, &lc, seed);
    k->n.drop = hole_drop;
    k->release = UINT64_MAX;
    k->lsd = synack_socket(k->n.st[1]);
    ASSERT_EQ(synack_bind(k->n.st[1], k->lsd, SYNACK_ADDR_ANY, 9), 0);
    ASSERT_EQ(synack_listen(k->n.st[1], k->lsd, 16), 0);
    /* The late connection's own port: a 2 MiB buffer from the start (SO_RCVBUF), and an
     * application that reads nothing until the holes are released, so that its in-order
     * data needs memory the attacked connections' out-of-order data holds. */
    k->lsd2 = synack_socket(k->n.st[1]);
    ASSERT_EQ(synack_setopt(k->n.st[1], k->lsd2, SYNACK_OPT_RCVBUF, 2l << 20), 0);
    ASSERT_EQ(synack_bind(k->n.st[1], k->lsd2, SYNACK_ADDR_ANY, 10), 0);
    ASSERT_EQ(synack_listen(k->n.st[1], k->lsd2, 16), 0);
    for (int i = 0; i < NCONN; i++) {
        k->a[i] = -1;
        k->b[i] = -1;
    }
}

static void atk_connect(struct atk *k, int i)
{
    k->a[i] = synack_socket(k->n.st[0]);
    synack_connect(k->n.st[0], k->a[i], k->n.now, SIM_B_ADDR, i == LATE ? 10 : 9);
    struct synack_sockinfo in;
    ASSERT_EQ(synack_getinfo(k->n.st[0], k->a[i], &in), 0);
    k->aport[i] = in.local.port;
}

/* The invariants, at every event: B's account is exact and within its limit; each
 * window's right edge never moves left. */
static void atk_check(struct atk *k, uint64_t limit)
{
    synack_stack *b = k->n.st[1];
    struct synack_stats s;
    synack_get_stats(b, &s);
    if (s.mem_held != s.ring_bytes && k->violations++ < 5)
        fprintf(stderr, "    account %llu, rings %llu\n", (unsigned long long)s.mem_held,
                (unsigned long long)s.ring_bytes);
    if (limit && s.mem_held > limit && k->violations++ < 5)
        fprintf(stderr, "    B holds %llu, limit %llu\n", (unsigned long long)s.mem_held,
                (unsigned long long)limit);
    if (s.mem_held > k->held_hi) k->held_hi = s.mem_held;
    uint64_t ooo = 0;
    for (int c = 0; c < NCONN; c++) {
        if (k->b[c] < 0) continue;
        struct sock *sk = sock_of(b, k->b[c]);
        ooo += reass_bytes(&sk->tcb.reass);
        struct synack_sockinfo in;
        ASSERT_EQ(synack_getinfo(b, k->b[c], &in), 0);
        if (in.state != SYNACK_ESTABLISHED) continue;
        uint32_t edge = in.rcv_nxt + in.rcv_wnd;
        if (k->edge_known[c] && seq_lt(edge, k->edge[c]) && k->violations++ < 5)
            fprintf(stderr, "    conn %d: right edge moved left: %u after %u\n", c, edge,
                    k->edge[c]);
        if (!k->edge_known[c] || seq_gt(edge, k->edge[c])) k->edge[c] = edge;
        k->edge_known[c] = true;
    }
    if (ooo > k->ooo_hi) k->ooo_hi = ooo;
}

/* Runs until every connection delivered TOTAL bytes (B reads all it can, checking each)
 * or the clock reaches until. */
static void atk_run(struct atk *k, uint64_t limit, uint64_t until)
{
    static uint8_t buf[65536];
    while (k->n.now <= until && !k->bad) {
        bool progress = false, done = true;
        for (int c = 0; c < NCONN; c++) {
            uint64_t total = c == LATE ? LATE_TOTAL : TOTAL;
            if (k->a[c] < 0) {
                if (c != LATE || k->n.now >= LATE_AT) atk_connect(k, c);
                if (k->a[c] < 0) {
                    done = false;
                    continue;
                }
            }
            if (k->b[c] < 0) {
                struct synack_endpoint peer;
                int sd = synack_accept(k->n.st[1], c == LATE ? k->lsd2 : k->lsd, &peer);
                if (sd >= 0) {
                    for (int j = 0; j < NCONN; j++)
                        if (peer.port == k->aport[j]) k->b[j] = sd;
                }
            }
            if (!k->iss[c] && (synack_events(k->n.st[0], k->a[c]) & SYNACK_EV_CONNECTED)) {
                struct synack_sockinfo in;
                ASSERT_EQ(synack_getinfo(k->n.st[0], k->a[c], &in), 0);
                k->iss[c] = in.iss;
            }
            while (k->iss[c] && k->sent[c] < total) {
                uint64_t n = total - k->sent[c] < sizeof buf ? total - k->sent[c] : sizeof buf;
                for (uint64_t i = 0; i < n; i++) buf[i] = pat(c, k->sent[c] + i);
                long w = synack_send(k->n.st[0], k->a[c], k->n.now, buf, (size_t)n);
                if (w <= 0) break;
                k->sent[c] += (uint64_t)w;
                progress = true;
            }
            long r;
            if (c == LATE && k->b[c] >= 0) {
                struct synack_sockinfo in;
                ASSERT_EQ(synack_getinfo(k->n.st[1], k->b[c], &in), 0);
                if (in.rcv_queued > k->late_queued) k->late_queued = in.rcv_queued;
                if (k->n.now < k->release) {
                    done = false;
                    continue;
                }
            }
            while (k->b[c] >= 0 &&
                   (r = synack_recv(k->n.st[1], k->b[c], k->n.now, buf, sizeof buf)) > 0) {
                for (long i = 0; i < r && !k->bad; i++)
                    if (buf[i] != pat(c, k->got[c] + (uint64_t)i)) {
                        fprintf(stderr, "    conn %d: byte %llu differs\n", c,
                                (unsigned long long)(k->got[c] + (uint64_t)i));
                        k->bad = true;
                    }
                k->got[c] += (uint64_t)r;
                progress = true;
            }
            if (k->got[c] < total) done = false;
            if (c == LATE && k->got[c] == total && !k->late_done) k->late_done = k->n.now;
        }
        atk_check(k, limit);
        if (done) return;
        if (progress) continue;
        if (!simnet_step(&k->n)) return;
    }
}

/* The attack with B's limit mem_max (0: the default); returns B's peak ring memory. */
static uint64_t attack(uint64_t seed, uint64_t mem_max, struct synack_stats *out)
{
    struct atk *k = calloc(1, sizeof *k);
    ASSERT(k != NULL);
    atk_init(k, seed, mem_max);
    /* The hole opens at once (its byte is sent well after the windows have grown) and
     * stays for 3 s: the sender fills each window behind it and waits. */
    k->release = 3 * SEC;
    atk_run(k, mem_max, 120 * SEC);
    ASSERT(!k->bad);
    ASSERT_EQ(k->violations, 0);
    for (int c = 0; c < LATE; c++) ASSERT_EQ(k->got[c], TOTAL);
    ASSERT_EQ(k->got[LATE], LATE_TOTAL);
    /* The late connection did not wait for the holes: all its data was held, in order,
     * before they were released, in memory the attacked connections' out-of-order data
     * gave up. */
    ASSERT_EQ(k->late_queued, LATE_TOTAL);
    /* Idle rings give their memory back (t_idle): the account returns to zero. */
    simnet_run_to(&k->n, k->n.now + 3 * SEC);
    atk_check(k, mem_max);
    ASSERT_EQ(k->violations, 0);
    synack_get_stats(k->n.st[1], out);
    uint64_t hi = k->held_hi;
    printf("     mem_max %llu: B held at most %llu ring bytes, %llu out of order at once; "
           "%llu prunes (%llu bytes), %llu pressure entries, %llu refused; done at %.2f s, the "
           "late one at %.2f s\n",
           (unsigned long long)out->mem_max, (unsigned long long)hi, (unsigned long long)k->ooo_hi,
           (unsigned long long)out->mem_prunes, (unsigned long long)out->mem_pruned_bytes,
           (unsigned long long)out->mem_pressure_entries, (unsigned long long)out->mem_refused,
           (double)k->n.now / 1e6, (double)k->late_done / 1e6);
    simnet_free(&k->n);
    free(k);
    return hi;
}

TEST(hole_attack_held_within_mem_max_and_every_connection_completes)
{
    uint64_t seed = 7;
    test_seed(seed);
    struct synack_stats s;
    /* Unbounded (the default limit is far above): each connection holds its grown
     * window of out-of-order data, several MiB. */
    uint64_t unbounded = attack(seed, 0, &s);
    ASSERT(unbounded > (uint64_t)LATE * (2u << 20));
    ASSERT_EQ(s.mem_prunes, 0);
    /* Bounded at 4 MiB for the four: never more held, data was given up and sent again. */
    uint64_t limit = 4u << 20;
    uint64_t bounded = attack(seed, limit, &s);
    ASSERT(bounded <= limit);
    ASSERT(s.mem_pressure_entries > 0);
    ASSERT(s.mem_refused > 0);
    /* Out-of-order data was given up after being SACKed (reneging, RFC 2018 §8), and the
     * sender, synack too, sent it again: every byte arrived above. */
    ASSERT(s.mem_prunes > 0);
    ASSERT(s.mem_pruned_bytes > 0);
    ASSERT_EQ(s.mem_held, 0);
}

TEST(send_ring_stops_at_the_limit_with_eagain_and_loses_nothing)
{
    /* A may queue 4 MiB per socket but hold 256 KiB in all: a writer whose peer does not
     * read yet fills the limit, then sees SYNACK_EAGAIN with room left in its ring; once
     * the peer reads, the stream completes byte for byte. */
    struct simnet n;
    struct synack_config c[2];
    simnet_config(&c[0], 0, 11);
    simnet_config(&c[1], 1, 11);
    c[0].sndbuf = 4u << 20;
    c[0].mem_max = 256u << 10;
    c[0].max_sockets = c[1].max_sockets = 8;
    test_seed(11);
    simnet_init_with(&n, c, NULL, 11);
    int lsd = synack_socket(n.st[1]);
    ASSERT_EQ(synack_bind(n.st[1], lsd, SYNACK_ADDR_ANY, 9), 0);
    ASSERT_EQ(synack_listen(n.st[1], lsd, 8), 0);
    int a = synack_socket(n.st[0]);
    synack_connect(n.st[0], a, n.now, SIM_B_ADDR, 9);
    simnet_run_to(&n, 100 * MS);
    int b = synack_accept(n.st[1], lsd, NULL);
    ASSERT(b >= 0);
    static uint8_t buf[65536];
    const uint64_t total = 2u << 20;
    uint64_t sent = 0, got = 0;
    long w = 0;
    /* B reads nothing for a second: A fills what its limit allows. */
    while (n.now < 1 * SEC) {
        while (sent < total) {
            uint64_t k = total - sent < sizeof buf ? total - sent : sizeof buf;
            for (uint64_t i = 0; i < k; i++) buf[i] = pat(0, sent + i);
            w = synack_send(n.st[0], a, n.now, buf, (size_t)k);
            if (w <= 0) break;
            sent += (uint64_t)w;
        }
        if (!simnet_step(&n)) break;
    }
    ASSERT_EQ(w, SYNACK_EAGAIN);
    struct synack_stats s;
    synack_get_stats(n.st[0], &s);
    struct synack_sockinfo in;
    ASSERT_EQ(synack_getinfo(n.st[0], a, &in), 0);
    printf("     A queued %llu bytes, its ring %u bytes, held %llu of %llu; %llu refused\n",
           (unsigned long long)sent, in.snd_mem, (unsigned long long)s.mem_held,
           (unsigned long long)s.mem_max, (unsigned long long)s.mem_refused);
    ASSERT(s.mem_held <= (256u << 10));
    ASSERT(s.mem_refused > 0);
    ASSERT(in.snd_queued < (1u << 20)); /* far from the ring's 4 MiB: the limit held it */
    ASSERT(sent < total);
    /* B reads: everything arrives, in order, nothing lost. */
    while (got < total && n.now < 60 * SEC) {
        while (sent < total) {
            uint64_t k = total - sent < sizeof buf ? total - sent : sizeof buf;
            for (uint64_t i = 0; i < k; i++) buf[i] = pat(0, sent + i);
            w = synack_send(n.st[0], a, n.now, buf, (size_t)k);
            if (w <= 0) break;
            sent += (uint64_t)w;
        }
        long r;
        while ((r = synack_recv(n.st[1], b, n.now, buf, sizeof buf)) > 0) {
            for (long i = 0; i < r; i++) ASSERT_EQ(buf[i], pat(0, got + (uint64_t)i));
            got += (uint64_t)r;
        }
        synack_get_stats(n.st[0], &s);
        ASSERT(s.mem_held <= (256u << 10));
        if (!simnet_step(&n)) break;
    }
    ASSERT_EQ(got, total);
    simnet_free(&n);
}

/* Drains A's events; returns those last reported for sd (0 when none was). */
static unsigned events_for(synack_stack *st, int sd)
{
    unsigned got = 0, ev;
    int s;
    while (synack_next_event(st, &s, &ev) > 0)
        if (s == sd) got = ev | 0x80000000u;
    return got;
}

TEST(a_writer_refused_memory_is_not_writable_and_is_told_when_memory_comes_back)
{
    /* An event-driven writer must learn when it may write again (Linux's write-space
     * callback, sk_stream_write_space): a1 and a2 on A share a 256 KiB limit, B reads
     * neither. a2's send that finds no memory returns SYNACK_EAGAIN with room left in its
     * ring by the socket's own limit; WRITABLE must then be off, and once a1 is aborted and
     * its memory comes back, an event must say a2 is WRITABLE again, and a send take bytes. */
    struct simnet n;
    struct synack_config c[2];
    simnet_config(&c[0], 0, 12);
    simnet_config(&c[1], 1, 12);
    c[0].sndbuf = 4u << 20;
    c[0].mem_max = 256u << 10;
    c[1].rcvbuf = 16u << 10; /* B's window closes early: A's rings stay full */
    c[0].max_sockets = c[1].max_sockets = 8;
    test_seed(12);
    simnet_init_with(&n, c, NULL, 12);
    int lsd = synack_socket(n.st[1]);
    ASSERT_EQ(synack_bind(n.st[1], lsd, SYNACK_ADDR_ANY, 9), 0);
    ASSERT_EQ(synack_listen(n.st[1], lsd, 8), 0);
    int a[2];
    for (int i = 0; i < 2; i++) {
        a[i] = synack_socket(n.st[0]);
        synack_connect(n.st[0], a[i], n.now, SIM_B_ADDR, 9);
    }
    simnet_run_to(&n, 100 * MS);
    for (int i = 0; i < 2; i++) ASSERT(synack_accept(n.st[1], lsd, NULL) >= 0);
    static uint8_t buf[65536];
    memset(buf, 'x', sizeof buf);
    /* a1 first, then a2, each until the stack's limit stops it. */
    long w = 0;
    for (int i = 0; i < 2; i++) {
        uint64_t until = n.now + 1 * SEC;
        for (int k = 0; k < 2000 && n.now < until; k++) {
            while ((w = synack_send(n.st[0], a[i], n.now, buf, sizeof buf)) > 0) {
            }
            if (!simnet_step(&n)) break;
        }
        ASSERT_EQ(w, SYNACK_EAGAIN);
    }
    struct synack_stats s;
    synack_get_stats(n.st[0], &s);
    ASSERT(s.mem_refused > 0);
    struct synack_sockinfo in;
    ASSERT_EQ(synack_getinfo(n.st[0], a[1], &in), 0);
    printf("     a2's ring %u bytes, queued %u; held %llu of %llu\n", in.snd_mem, in.snd_queued,
           (unsigned long long)s.mem_held, (unsigned long long)s.mem_max);
    ASSERT(in.snd_queued < (4u << 20)); /* its own limit left room: memory stopped it */
    (void)events_for(n.st[0], a[1]);
    ASSERT((synack_events(n.st[0], a[1]) & SYNACK_EV_WRITABLE) == 0);
    /* a1 goes: its memory comes back, and a2 is told. */
    ASSERT_EQ(synack_abort(n.st[0], a[0], n.now), 0);
    simnet_step(&n);
    unsigned ev = events_for(n.st[0], a[1]);
    ASSERT(ev & 0x80000000u);
    ASSERT(ev & SYNACK_EV_WRITABLE);
    ASSERT(synack_send(n.st[0], a[1], n.now, buf, sizeof buf) > 0);
    simnet_free(&n);
}

/* B's bulk connection's receive buffer (rcv_space) at its largest over an 8 MiB transfer
 * that B reads as it comes, with hogs beside it when hog: two connections whose
 * application reads nothing, their in-order data holding B above pressure's threshold. */
static uint32_t bulk_space_hi(bool hog, uint64_t *pressure_entries)
{
    struct simnet n;
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 10 * MS;
    lc.bandwidth_bps = 100000000;
    struct synack_config c[2];
    simnet_config(&c[0], 0, 5);
    simnet_config(&c[1], 1, 5);
    c[0].sndbuf = 1u << 20;
    c[1].rcvbuf = 4u << 20;
    c[1].mem_max = 640u << 10; /* pressure from 480 KiB */
    c[0].max_sockets = c[1].max_sockets = 8;
    test_seed(5);
    simnet_init_with(&n, c, &lc, 5);
    int lsd = synack_socket(n.st[1]), lsd2 = synack_socket(n.st[1]);
    ASSERT_EQ(synack_bind(n.st[1], lsd, SYNACK_ADDR_ANY, 9), 0);
    ASSERT_EQ(synack_listen(n.st[1], lsd, 8), 0);
    ASSERT_EQ(synack_setopt(n.st[1], lsd2, SYNACK_OPT_RCVBUF, 1l << 20), 0);
    ASSERT_EQ(synack_bind(n.st[1], lsd2, SYNACK_ADDR_ANY, 10), 0);
    ASSERT_EQ(synack_listen(n.st[1], lsd2, 8), 0);
    static uint8_t buf[65536];
    if (hog) {
        /* Two of them: one ring alone grows only while three times its size fits (it
         * doubles beside its old buffer), so about half the limit; two reach 512 KiB. */
        memset(buf, 'h', sizeof buf);
        for (int j = 0; j < 2; j++) {
            int h = synack_socket(n.st[0]);
            synack_connect(n.st[0], h, n.now, SIM_B_ADDR, 10);
            simnet_run_to(&n, n.now + 100 * MS);
            for (int i = 0; i < 6; i++) ASSERT(synack_send(n.st[0], h, n.now, buf, sizeof buf) > 0);
            simnet_run_to(&n, n.now + 1 * SEC);
        }
        struct synack_stats s;
        synack_get_stats(n.st[1], &s);
        ASSERT(s.mem_pressure);
    }
    int a = synack_socket(n.st[0]);
    synack_connect(n.st[0], a, n.now, SIM_B_ADDR, 9);
    int b = -1;
    uint64_t sent = 0, got = 0, total = 8u << 20;
    uint32_t hi = 0;
    uint64_t until = n.now + 60 * SEC;
    while (got < total && n.now < until) {
        if (b < 0) b = synack_accept(n.st[1], lsd, NULL);
        while ((synack_events(n.st[0], a) & SYNACK_EV_CONNECTED) && sent < total) {
            uint64_t k = total - sent < sizeof buf ? total - sent : sizeof buf;
            for (uint64_t i = 0; i < k; i++) buf[i] = pat(1, sent + i);
            long w = synack_send(n.st[0], a, n.now, buf, (size_t)k);
            if (w <= 0) break;
            sent += (uint64_t)w;
        }
        long r;
        while (b >= 0 && (r = synack_recv(n.st[1], b, n.now, buf, sizeof buf)) > 0) {
            for (long i = 0; i < r; i++) ASSERT_EQ(buf[i], pat(1, got + (uint64_t)i));
            got += (uint64_t)r;
        }
        if (b >= 0) {
            struct synack_sockinfo in;
            ASSERT_EQ(synack_getinfo(n.st[1], b, &in), 0);
            if (in.rcv_space > hi) hi = in.rcv_space;
        }
        if (!simnet_step(&n)) break;
    }
    ASSERT_EQ(got, total);
    struct synack_stats s;
    synack_get_stats(n.st[1], &s);
    *pressure_entries = s.mem_pressure_entries;
    simnet_free(&n);
    return hi;
}

TEST(autotuning_holds_under_pressure)
{
    uint64_t pe;
    /* Alone, the buffer grows by auto-tuning well past its first 64 KiB. */
    uint32_t alone = bulk_space_hi(false, &pe);
    ASSERT(alone > 65536);
    /* Beside hogs that keep the stack under pressure it holds at 64 KiB (Linux's
     * tcp_rcv_space_adjust under tcp_memory_pressure), and the transfer still completes. */
    uint32_t pressed = bulk_space_hi(true, &pe);
    printf("     receive buffer at most %u alone, %u under pressure\n", alone, pressed);
    ASSERT_EQ(pressed, 65536);
    ASSERT(pe > 0);
}

TEST(ring_trim_gives_memory_back_and_the_account_follows)
{
    struct ring_cache c;
    ASSERT_EQ(ring_cache_init(&c, 4), 0);
    ring_cache_limit(&c, 64u << 10);
    struct ring r;
    ring_init_cached(&r, 1u << 20, &c);
    static uint8_t d[40000];
    /* Out-of-order bytes parked at 30000: the ring takes 60000 bytes at once, past
     * pressure's three quarters of the limit. */
    ASSERT_EQ(ring_write_at(&r, 30000, d, 30000), 0);
    ASSERT_EQ(r.size, 60000);
    ASSERT_EQ(c.held, 60000);
    ASSERT(c.pressure);
    ASSERT_EQ(c.pressure_entries, 1);
    /* No more: a larger buffer would pass the limit. */
    ASSERT(ring_write_at(&r, 70000, d, 100) < 0);
    ASSERT_EQ(c.refused, 1);
    ASSERT_EQ(c.held, 60000);
    /* In-order bytes, then the parked ones given up: the ring shrinks to what is held. */
    ASSERT_EQ(ring_write(&r, d, 3000), 3000);
    ASSERT_EQ(ring_trim(&r, 0), 60000 - 4096);
    ASSERT_EQ(r.size, 4096);
    ASSERT_EQ(c.held, 4096);
    ASSERT(!c.pressure);
    ring_consume(&r, 3000);
    ASSERT_EQ(ring_trim(&r, 0), 4096);
    ASSERT_EQ(c.held, 0);
    ring_free(&r);
    ring_cache_free(&c);
}

TEST(reass_trim_above_cuts_the_highest_first)
{
    struct reass q;
    memset(&q, 0, sizeof q);
    ASSERT_EQ(reass_add(&q, 100, 200), 0);
    ASSERT_EQ(reass_add(&q, 300, 400), 0);
    reass_trim_above(&q, 350);
    ASSERT_EQ(q.n, 2);
    ASSERT_EQ(q.right[1], 350);
    reass_trim_above(&q, 300);
    ASSERT_EQ(q.n, 1);
    reass_trim_above(&q, 50);
    ASSERT_EQ(q.n, 0);
}

TEST_MAIN()
