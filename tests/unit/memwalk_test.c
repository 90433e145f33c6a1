/*
 * memwalk_test.c - what the reclaim at the stack's memory limit (cfg.mem_max, tcp/tcp_mem.c)
 * costs, against a peer that keeps the stack at the limit. The reclaim runs once for every
 * in-order segment that finds no memory; if it looked at every socket slot to find one
 * holding out-of-order data, a peer at the limit would make each of its segments cost
 * max_sockets steps (100,000 at the scale target). So the same attack runs on a stack of 64
 * slots and on one of 20,000, and the sockets the reclaim looked at (the stack's
 * mem_reclaim_visits) must be the same few in both, a handful per reclaim. Beside it, the
 * writers waiting for memory: the wake-up after memory comes back looks at the waiting
 * sockets only, not at every slot. Two stacks over the simulated link, the integer clock;
 * the hole is the test's drop filter.
 */
#include "test.h"
#include "simnet.h"
#include "tcp_fixture.h"
#include "tcp/stack.h"

#define MS  1000ull
#define SEC 1000000ull

#define TOTAL   (1u << 20)  /* bytes each connection carries */
#define HOLE    (16u << 10) /* the stream offset of V's segment held back */
#define RELEASE (3 * SEC)   /* the hole is filled, and H's reader starts, then */

enum { V = 0, H = 1, NC = 2 };

static uint8_t pat(int c, uint64_t i)
{
    return (uint8_t)(((i + (uint64_t)c * 7919u) * 2654435761u) >> 13);
}

struct walk {
    struct simnet n;
    int lsd[NC], a[NC], b[NC];
    uint16_t aport[NC];
    uint32_t iss[NC];
    uint64_t sent[NC], got[NC];
    uint64_t max_held;
    bool bad;
};

/* A's segment carrying V's byte at HOLE, until RELEASE: V holds what follows out of order. */
static bool hole_drop(struct simnet *n, int from, const struct synack_segment *seg)
{
    struct walk *w = (struct walk *)((char *)n - offsetof(struct walk, n));
    if (from != 0 || seg->payload_len == 0 || n->now >= RELEASE || !w->iss[V]) return false;
    if (seg->tcp.sport != w->aport[V]) return false;
    uint32_t off = seg->tcp.seq - (w->iss[V] + 1);
    return off <= HOLE && HOLE - off < seg->payload_len;
}

/* V's reader reads at once (its data waits only for the hole); H's reads nothing until
 * RELEASE, so that H's in-order data needs memory V's out-of-order data holds. */
static void walk_run(struct walk *w, uint64_t until)
{
    static uint8_t buf[65536];
    synack_stack *a = w->n.st[0], *b = w->n.st[1];
    while (w->n.now <= until && !w->bad) {
        bool progress = false, done = true;
        for (int c = 0; c < NC; c++) {
            if (w->b[c] < 0) w->b[c] = synack_accept(b, w->lsd[c], NULL);
            if (!w->iss[c] && (synack_events(a, w->a[c]) & SYNACK_EV_CONNECTED)) {
                struct synack_sockinfo in;
                ASSERT_EQ(synack_getinfo(a, w->a[c], &in), 0);
                w->iss[c] = in.iss;
                w->aport[c] = in.local.port;
            }
            while (w->iss[c] && w->sent[c] < TOTAL) {
                uint64_t k = TOTAL - w->sent[c] < sizeof buf ? TOTAL - w->sent[c] : sizeof buf;
                for (uint64_t i = 0; i < k; i++) buf[i] = pat(c, w->sent[c] + i);
                long r = synack_send(a, w->a[c], w->n.now, buf, (size_t)k);
                if (r <= 0) break;
                w->sent[c] += (uint64_t)r;
                progress = true;
            }
            long r;
            while (w->b[c] >= 0 && (c != H || w->n.now >= RELEASE) &&
                   (r = synack_recv(b, w->b[c], w->n.now, buf, sizeof buf)) > 0) {
                for (long i = 0; i < r && !w->bad; i++)
                    if (buf[i] != pat(c, w->got[c] + (uint64_t)i)) {
                        fprintf(stderr, "    conn %d: byte %llu differs\n", c,
                                (unsigned long long)(w->got[c] + (uint64_t)i));
                        w->bad = true;
                    }
                w->got[c] += (uint64_t)r;
                progress = true;
            }
            if (w->got[c] < TOTAL) done = false;
        }
        struct synack_stats s;
        synack_get_stats(b, &s);
        if (s.mem_held > w->max_held) w->max_held = s.mem_held;
        if (done) return;
        if (progress) continue;
        if (!simnet_step(&w->n)) return;
    }
}

struct cost {
    uint64_t reclaims, visits, prunes, refused;
};

/* The attack on a stack B of nsocks slots, its rings bounded to 64 KiB: one ring alone reaches 32
 * KiB of its 64 KiB window (it grows only while three times its size fits), so the peer, sending
 * into the window it was given, meets the limit with every in-order segment beyond. */
static struct cost attack(uint32_t nsocks)
{
    const uint64_t seed = 17;
    test_seed(seed);
    struct walk *w = calloc(1, sizeof *w);
    ASSERT(w != NULL);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 5 * MS;
    lc.bandwidth_bps = 100000000;
    lc.queue_limit = 1000;
    struct synack_config c[2];
    simnet_config(&c[0], 0, seed);
    simnet_config(&c[1], 1, seed);
    c[0].sndbuf = 1u << 20;
    c[0].max_sockets = 16;
    c[1].rcvbuf = 64u << 10;
    c[1].mem_max = 64u << 10;
    c[1].max_sockets = nsocks;
    simnet_init_with(&w->n, c, &lc, seed);
    w->n.drop = hole_drop;
    for (int k = 0; k < NC; k++) {
        w->b[k] = -1;
        w->lsd[k] = synack_socket(w->n.st[1]);
        ASSERT_EQ(synack_bind(w->n.st[1], w->lsd[k], SYNACK_ADDR_ANY, (uint16_t)(9 + k)), 0);
        ASSERT_EQ(synack_listen(w->n.st[1], w->lsd[k], 4), 0);
        w->a[k] = synack_socket(w->n.st[0]);
        synack_connect(w->n.st[0], w->a[k], w->n.now, SIM_B_ADDR, (uint16_t)(9 + k));
    }
    walk_run(w, 120 * SEC);
    ASSERT(!w->bad);
    for (int k = 0; k < NC; k++) ASSERT_EQ(w->got[k], TOTAL);
    ASSERT(w->max_held <= (64u << 10));
    struct synack_stack *b = w->n.st[1];
    struct synack_stats s;
    synack_get_stats(b, &s);
    struct cost r = {.reclaims = b->mem_reclaims,
                     .visits = b->mem_reclaim_visits,
                     .prunes = s.mem_prunes,
                     .refused = s.mem_refused};
    printf("     %u slots: %llu reclaims looked at %llu sockets; %llu prunes, %llu refused, "
           "done at %.2f s\n",
           nsocks, (unsigned long long)r.reclaims, (unsigned long long)r.visits,
           (unsigned long long)r.prunes, (unsigned long long)r.refused, (double)w->n.now / 1e6);
    simnet_free(&w->n);
    free(w);
    return r;
}

TEST(the_reclaim_at_the_limit_costs_what_it_frees_not_the_number_of_slots)
{
    struct cost small = attack(64), large = attack(20000);
    /* The attack happened: H's in-order data met the limit and took V's out-of-order data. */
    ASSERT(small.reclaims > 0);
    ASSERT(small.prunes > 0);
    /* Each reclaim looks at the sockets holding out-of-order data (and at most one that no
     * longer does, or itself), not at every slot: a handful per reclaim or prune, and the
     * same on 20,000 slots as on 64. */
    ASSERT(small.visits <= 3 * (small.reclaims + small.prunes));
    ASSERT(large.visits <= 3 * (large.reclaims + large.prunes));
    ASSERT(large.visits <= small.visits + 3 * (large.reclaims + large.prunes));
}

TEST(a_peer_sending_in_order_at_the_limit_costs_no_walk_of_the_slots)
{
    /* The plainest form: one connection of a 64 KiB window on a stack of 20,000 slots held to
     * 64 KiB, whose application reads nothing. Its ring reaches 32 KiB and can grow no
     * more, so every in-order segment the peer sends into the window it was given meets the
     * limit, and nobody holds out-of-order data to give up. A thousand of them: each is
     * dropped (tcp-no-memory, to be sent again), and each may cost a look or two, never a
     * walk of the slots. */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.max_sockets = 20000;
    f.cfg.rcvbuf = 64u << 10;
    f.cfg.mem_max = 64u << 10;
    conn_in_established(&f);
    uint32_t seq = f.rcv_nxt;
    const size_t mss = 1400;
    int taken = 0;
    while (taken < 100) {
        send_data(&f, SYNACK_TCP_ACK, seq, f.snd_nxt, mss);
        struct synack_sockinfo in = tcpf_info(&f);
        if (in.rcv_nxt == seq) break; /* dropped: the limit */
        seq += (uint32_t)mss;
        taken++;
    }
    ASSERT(taken >= 20); /* about 32 KiB went in before the limit */
    ASSERT(taken < 100);
    struct synack_stack *st = f.st;
    uint64_t r0 = st->mem_reclaims, v0 = st->mem_reclaim_visits;
    for (int i = 0; i < 1000; i++) {
        f.now += TCPF_STEP;
        send_data(&f, SYNACK_TCP_ACK, seq, f.snd_nxt, mss);
    }
    struct synack_sockinfo in = tcpf_info(&f);
    ASSERT_EQ(in.rcv_nxt, seq); /* all dropped */
    uint64_t reclaims = st->mem_reclaims - r0, visits = st->mem_reclaim_visits - v0;
    printf("     1000 in-order segments at the limit: %llu reclaims, %llu sockets looked at\n",
           (unsigned long long)reclaims, (unsigned long long)visits);
    ASSERT_EQ(reclaims, 1000);
    ASSERT(visits <= 2 * reclaims);
    tcpf_free(&f);
}

/* Drains st's events; whether sd was reported WRITABLE among them. */
static bool writable_reported(synack_stack *st, int sd)
{
    bool w = false;
    int s;
    unsigned ev;
    while (synack_next_event(st, &s, &ev) > 0)
        if (s == sd && (ev & SYNACK_EV_WRITABLE)) w = true;
    return w;
}

TEST(the_wake_up_of_writers_waiting_for_memory_looks_at_them_not_at_every_slot)
{
    /* A, of 20,000 slots held to 1 MiB, has sixteen connections that each keep 32 KiB in
     * their send rings (B's window is 16 KiB and B reads nothing), and a writer that filled
     * what was left and waits for memory. Each filler in turn is aborted: its memory comes
     * back and the waiting writers are looked at again (told WRITABLE when their ring can
     * grow; it doubles, so not every time), and the writer writes until it waits again.
     * The wake-ups look at the one waiting socket, never at the 20,000 slots. */
    enum { NF = 16 };
    struct simnet n;
    struct synack_config c[2];
    simnet_config(&c[0], 0, 23);
    simnet_config(&c[1], 1, 23);
    c[0].sndbuf = 4u << 20;
    c[0].mem_max = 1u << 20;
    c[0].max_sockets = 20000;
    c[1].rcvbuf = 16u << 10;
    c[1].max_sockets = 64;
    test_seed(23);
    simnet_init_with(&n, c, NULL, 23);
    synack_stack *a = n.st[0];
    int lsd = synack_socket(n.st[1]);
    ASSERT_EQ(synack_bind(n.st[1], lsd, SYNACK_ADDR_ANY, 9), 0);
    ASSERT_EQ(synack_listen(n.st[1], lsd, 32), 0);
    int f[NF], wr;
    for (int i = 0; i < NF; i++) {
        f[i] = synack_socket(a);
        synack_connect(a, f[i], n.now, SIM_B_ADDR, 9);
    }
    wr = synack_socket(a);
    synack_connect(a, wr, n.now, SIM_B_ADDR, 9);
    simnet_run_to(&n, 100 * MS);
    for (int i = 0; i <= NF; i++) ASSERT(synack_accept(n.st[1], lsd, NULL) >= 0);
    static uint8_t buf[32768];
    memset(buf, 'w', sizeof buf);
    for (int i = 0; i < NF; i++) ASSERT_EQ(synack_send(a, f[i], n.now, buf, sizeof buf), 32768);
    simnet_run_to(&n, n.now + 200 * MS);
    long w;
    while ((w = synack_send(a, wr, n.now, buf, sizeof buf)) > 0) {
    }
    ASSERT_EQ(w, SYNACK_EAGAIN);
    (void)writable_reported(a, wr);
    struct synack_stack *st = a;
    uint64_t v0 = st->mem_wake_visits;
    int woken = 0;
    for (int i = 0; i < NF; i++) {
        ASSERT_EQ(synack_abort(a, f[i], n.now), 0);
        if (writable_reported(a, wr)) woken++;
        while ((w = synack_send(a, wr, n.now, buf, sizeof buf)) > 0) {
        }
        ASSERT_EQ(w, SYNACK_EAGAIN);
    }
    uint64_t visits = st->mem_wake_visits - v0;
    printf("     %d wake-ups of one waiting writer looked at %llu sockets\n", woken,
           (unsigned long long)visits);
    ASSERT(woken >= 1);
    ASSERT(visits <= 2 * NF);
    simnet_free(&n);
}

/* B's lists of tcp_mem.c agree with its sockets: every socket holding out-of-order data
 * is on the list of them, and only sockets in use are on either. Returns the violations. */
static int lists_agree(struct synack_stack *b)
{
    int bad = 0;
    for (uint32_t i = 0; i < b->nsocks; i++) {
        struct sock *sk = &b->socks[i];
        bool holds = sk->in_use && sk->tcb.reass.n > 0 && sk->tcb.rcv.buf;
        if (holds && !sk->mem_ooo.linked) bad++;
        if (!sk->in_use && (sk->mem_ooo.linked || sk->mem_wait.linked)) bad++;
    }
    uint32_t n = 0;
    for (struct fifo_node *x = b->mem_ooo.head; x && n <= b->nsocks; x = x->next) n++;
    if (n != b->mem_ooo.n) bad++;
    return bad;
}

TEST(a_thousand_connections_at_the_limit_under_loss_complete_byte_exact)
{
    /* B holds 1,000 connections in 3 MiB of rings (about 3 KiB each, where each could take
     * 64 KiB), over a link that loses and reorders 2% of datagrams, so that holes come and
     * go everywhere; B's application reads each connection only a quarter of the time.
     * In-order data meets the limit again and again and takes other connections'
     * out-of-order data. Every stream completes byte for byte, B never holds more than its
     * limit, and its lists of tcp_mem.c agree with its sockets throughout. */
    enum { N = 1000 };
    const uint32_t total = 24u << 10;
    const uint64_t seed = 29;
    test_seed(seed);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 2 * MS;
    lc.bandwidth_bps = 1000000000;
    lc.queue_limit = 20000;
    lc.faults.loss = 0.02;
    lc.faults.reorder = 0.02;
    lc.faults.seed = seed;
    struct synack_config c[2];
    simnet_config(&c[0], 0, seed);
    simnet_config(&c[1], 1, seed);
    c[0].max_sockets = N + 16;
    c[1].max_sockets = N + 16;
    c[1].max_backlog = N + 16;
    c[1].max_half_open = N + 16;
    c[1].rcvbuf = 64u << 10;
    c[1].mem_max = 3u << 20;
    struct simnet *n = calloc(1, sizeof *n);
    ASSERT(n != NULL);
    simnet_init_with(n, c, &lc, seed);
    synack_stack *a = n->st[0], *b = n->st[1];
    int lsd = synack_socket(b);
    ASSERT_EQ(synack_bind(b, lsd, SYNACK_ADDR_ANY, 9), 0);
    ASSERT_EQ(synack_listen(b, lsd, N + 16), 0);
    static int as[N], bs[N];
    static uint32_t sent[N], got[N];
    static uint16_t port_of[N];
    for (int i = 0; i < N; i++) {
        as[i] = synack_socket(a);
        bs[i] = -1;
        synack_connect(a, as[i], n->now, SIM_B_ADDR, 9);
        struct synack_sockinfo in;
        ASSERT_EQ(synack_getinfo(a, as[i], &in), 0);
        port_of[i] = in.local.port;
    }
    static uint8_t buf[65536];
    int done = 0, steps = 0, bad = 0;
    uint64_t max_held = 0;
    while (done < N && n->now < 120 * SEC) {
        struct synack_endpoint peer;
        int sd;
        while ((sd = synack_accept(b, lsd, &peer)) >= 0)
            for (int i = 0; i < N; i++)
                if (port_of[i] == peer.port) bs[i] = sd;
        bool progress = false;
        for (int i = 0; i < N; i++) {
            while (sent[i] < total) {
                uint32_t k = total - sent[i] < sizeof buf ? total - sent[i] : sizeof buf;
                for (uint32_t j = 0; j < k; j++) buf[j] = pat(i, sent[i] + j);
                long w = synack_send(a, as[i], n->now, buf, k);
                if (w <= 0) break;
                sent[i] += (uint32_t)w;
                progress = true;
            }
            if (bs[i] < 0 || got[i] == total || ((n->now / (50 * MS)) + (uint64_t)i) % 4) continue;
            long r;
            while ((r = synack_recv(b, bs[i], n->now, buf, sizeof buf)) > 0) {
                for (long j = 0; j < r; j++)
                    if (buf[j] != pat(i, got[i] + (uint64_t)j)) bad++;
                got[i] += (uint32_t)r;
                progress = true;
            }
            if (got[i] == total) done++;
        }
        struct synack_stats s;
        synack_get_stats(b, &s);
        if (s.mem_held > max_held) max_held = s.mem_held;
        if (s.mem_held != s.ring_bytes) bad++;
        if (++steps % 64 == 0) bad += lists_agree(b);
        if (bad) break;
        /* Nothing due (all sent, waiting for the reader's turn): the reader's clock goes on. */
        if (!progress && !simnet_step(n)) n->now += 50 * MS;
    }
    struct synack_stack *bst = b;
    struct synack_stats s;
    synack_get_stats(b, &s);
    printf("     %d of %d streams complete at %.2f s; B held at most %llu of %llu; %llu "
           "reclaims looked at %llu sockets, %llu prunes (%llu bytes), %llu refused\n",
           done, N, (double)n->now / 1e6, (unsigned long long)max_held,
           (unsigned long long)s.mem_max, (unsigned long long)bst->mem_reclaims,
           (unsigned long long)bst->mem_reclaim_visits, (unsigned long long)s.mem_prunes,
           (unsigned long long)s.mem_pruned_bytes, (unsigned long long)s.mem_refused);
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(done, N);
    ASSERT(max_held <= (3u << 20));
    ASSERT(bst->mem_reclaims > 0);
    ASSERT(bst->mem_reclaim_visits <= 3 * (bst->mem_reclaims + s.mem_prunes));
    ASSERT_EQ(lists_agree(b), 0);
    simnet_free(n);
    free(n);
}

/* The scripted peer opens another connection, from port pport; the server's sd, with
 * *rcv_nxt its RCV.NXT (the peer's next sequence number) and *snd_nxt the peer's ACK. */
static int tcpf_open_more(struct tcpf *f, uint16_t pport, uint32_t *rcv_nxt, uint32_t *snd_nxt)
{
    f->pport = pport;
    send_syn(f, SYNACK_TCP_SYN, TCPF_PEER_ISS, 0);
    ASSERT(recv_seg(f, f->now, NULL));
    *snd_nxt = f->seg.tcp.seq + 1;
    *rcv_nxt = TCPF_PEER_ISS + 1;
    f->now += TCPF_STEP;
    send_ctl(f, SYNACK_TCP_ACK, *rcv_nxt, *snd_nxt);
    int sd = synack_accept(f->st, f->lsd, NULL);
    ASSERT(sd >= 0);
    while (recv_seg(f, f->now, NULL)) {
    }
    return sd;
}

/* n segments of 1,400 bytes from the peer on port pport, from seq on. */
static void peer_data(struct tcpf *f, uint16_t pport, uint32_t seq, uint32_t ack, int n)
{
    static uint8_t d[1400];
    f->pport = pport;
    for (int i = 0; i < n; i++)
        send_seg(f, f->now, SYNACK_TCP_ACK, seq + (uint32_t)i * 1400u, ack, TCPF_PEER_WIN, d,
                 sizeof d, NULL);
    while (recv_seg(f, f->now, NULL)) {
    }
}

TEST(the_oldest_hoard_goes_whole_before_a_younger_hole_loses_a_byte)
{
    /* H holds 16.8 KB beyond a hole since long ago; L, later, 2.8 KB beyond a hole of its
     * own (real loss, about to be repaired). Reclaims, each wanting a little more than is
     * free (as in-order data meeting the limit asks), take from H, again and again, until H
     * holds nothing out of order; only then from L. */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.rcvbuf = 64u << 10;
    f.cfg.mem_max = 64u << 10;
    conn_in_established(&f);
    int h = f.sd;
    peer_data(&f, TCPF_PEER_PORT, f.rcv_nxt + 1400, f.snd_nxt, 12);
    f.now += 1000 * TCPF_STEP;
    uint32_t l_nxt, l_ack;
    int l = tcpf_open_more(&f, TCPF_PEER_PORT + 1, &l_nxt, &l_ack);
    peer_data(&f, TCPF_PEER_PORT + 1, l_nxt + 1400, l_ack, 2);
    struct synack_stack *st = f.st;
    struct sock *hs = sock_of(st, h), *ls = sock_of(st, l);
    uint32_t l0 = reass_bytes(&ls->tcb.reass);
    ASSERT_EQ(reass_bytes(&hs->tcb.reass), 12 * 1400);
    ASSERT_EQ(l0, 2 * 1400);
    int rounds = 0;
    while (reass_bytes(&hs->tcb.reass) > 0 && rounds < 20) {
        uint64_t want = st->ring_cache.max - st->ring_cache.held + 1;
        ASSERT(tcp_mem_reclaim(st, NULL, (uint32_t)want));
        rounds++;
        printf("     reclaim %d: H holds %u out of order in a ring of %u, L %u\n", rounds,
               reass_bytes(&hs->tcb.reass), hs->tcb.rcv.size, reass_bytes(&ls->tcb.reass));
        ASSERT_EQ(reass_bytes(&ls->tcb.reass), l0);
    }
    ASSERT_EQ(reass_bytes(&hs->tcb.reass), 0);
    ASSERT(rounds >= 2); /* H gave up its hoard in more than one reclaim */
    /* Then L's turn. */
    uint64_t want = st->ring_cache.max - st->ring_cache.held + 1;
    ASSERT(tcp_mem_reclaim(st, NULL, (uint32_t)want));
    ASSERT(reass_bytes(&ls->tcb.reass) < l0);
    tcpf_free(&f);
}

TEST(a_reclaim_that_cannot_succeed_takes_nothing)
{
    /* X's ring holds 32 KiB of in-order data its reader has not read, under a limit of
     * 64 KiB: it can never double (its old buffer is held while it copies, so 32 + 64 KiB
     * would be needed), whatever others give up. Its peer sends in-order data into the
     * window it was given, again and again; L holds 2.8 KB beyond a hole (real loss). The
     * reclaim must see that no giving up would let X grow, and take nothing from L. */
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.rcvbuf = 64u << 10;
    f.cfg.mem_max = 64u << 10;
    conn_in_established(&f);
    int x = f.sd;
    uint32_t x_ack = f.snd_nxt;
    struct synack_stack *st = f.st;
    struct sock *xs = sock_of(st, x);
    for (int i = 0; i < 40 && xs->tcb.rcv.size < (32u << 10); i++) {
        f.now += TCPF_STEP;
        peer_data(&f, TCPF_PEER_PORT, xs->tcb.rcv_nxt, x_ack, 1);
    }
    ASSERT_EQ(xs->tcb.rcv.size, 32u << 10);
    uint32_t l_nxt, l_ack;
    int l = tcpf_open_more(&f, TCPF_PEER_PORT + 1, &l_nxt, &l_ack);
    peer_data(&f, TCPF_PEER_PORT + 1, l_nxt + 1400, l_ack, 2);
    struct sock *ls = sock_of(st, l);
    ASSERT_EQ(reass_bytes(&ls->tcb.reass), 2 * 1400);
    /* X fills its 32 KiB, then meets the limit with every segment. */
    for (int i = 0; i < 50; i++) {
        f.now += TCPF_STEP;
        peer_data(&f, TCPF_PEER_PORT, xs->tcb.rcv_nxt, x_ack, 1);
    }
    printf("     X holds %u bytes in a ring of %u; L's hole %u bytes; %llu prunes\n",
           xs->tcb.rcv.len, xs->tcb.rcv.size, reass_bytes(&ls->tcb.reass),
           (unsigned long long)st->stats.mem_prunes);
    ASSERT_EQ(xs->tcb.rcv.size, 32u << 10);
    ASSERT_EQ(reass_bytes(&ls->tcb.reass), 2 * 1400);
    ASSERT_EQ(st->stats.mem_prunes, 0);
    tcpf_free(&f);
}

TEST_MAIN()
