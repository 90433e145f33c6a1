/*
 * bench_sim.c - synack's benchmarks on the simulated link: goodput on the virtual clock
 * (what the protocol achieves: clean and lossy links, retransmissions), and the real CPU
 * cost of the stack (bytes per second through two stacks in one process, connections per
 * second). Prints a table; writes the same figures as JSON to the path in argv[1].
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tcp/stack.h"
#include "transfer.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A row keeps its own copy of the name: callers build names in buffers they reuse. */
struct row {
    char name[128];
    double value;
    const char *unit;
};

static struct row rows[96];
static int nrows;

static void add(const char *name, double value, const char *unit)
{
    if (nrows < (int)(sizeof rows / sizeof rows[0])) {
        struct row *r = &rows[nrows++];
        snprintf(r->name, sizeof r->name, "%s", name);
        r->value = value;
        r->unit = unit;
    }
    printf("  %-52s %14.2f %s\n", name, value, unit);
    fflush(stdout);
}

static void transfer_case(const char *label, uint64_t bw, uint64_t delay_us, double loss,
                          uint64_t each_way_a, uint64_t each_way_b, uint64_t seed)
{
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = delay_us;
    lc.bandwidth_bps = bw;
    lc.faults.loss = loss;
    lc.faults.seed = seed;
    struct synack_config c[2];
    simnet_config(&c[0], 0, seed);
    simnet_config(&c[1], 1, seed);
    for (int i = 0; i < 2; i++) c[i].sndbuf = c[i].rcvbuf = 4u << 20;
    struct simnet n;
    simnet_init_with(&n, c, &lc, seed);
    uint64_t bytes[2] = {each_way_a, each_way_b};
    double t0 = wall();
    struct transfer_result r = transfer_run(&n, seed, bytes, 7200ull * 1000000);
    double t1 = wall();
    struct synack_stats s0, s1;
    synack_get_stats(n.st[0], &s0);
    synack_get_stats(n.st[1], &s1);
    char name[128];
    double secs = (double)(r.done_us - r.first_data_us) / 1e6;
    snprintf(name, sizeof name, "%s: goodput (virtual clock)", label);
    add(name, r.ok ? (double)each_way_a * 8 / secs / 1e6 : 0, "Mbit/s");
    snprintf(name, sizeof name, "%s: retransmitted segments", label);
    add(name, (double)(s0.retransmits + s1.retransmits), "segments");
    snprintf(name, sizeof name, "%s: segments sent", label);
    add(name, (double)(s0.tcp_out + s1.tcp_out), "segments");
    snprintf(name, sizeof name, "%s: CPU throughput, both stacks", label);
    add(name, (double)(each_way_a + each_way_b) * 8 / (t1 - t0) / 1e6, "Mbit/s");
    if (!r.ok) printf("  (transfer FAILED)\n");
    simnet_free(&n);
}

/* Goodput under random loss in both directions against the Mathis bound for a Reno-like
 * sender, MSS / RTT * 1.22 / sqrt(p) (Mathis, Semke, Mahdavi, Ott 1997): 16 MiB each way at
 * the same time over 100 Mbit/s with a 20 ms RTT, the mean over seeds 21-23 per direction.
 * BENCH_SIM_SEEDS="FIRST-LAST" runs other seeds (say 1-20), so that a change to loss
 * recovery is not judged on three seeds alone. */
static double square_root(double x)
{
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 60; i++) r = (r + x / r) / 2;
    return r;
}

/* BENCH_SIM_DIAG=2: where each sender's time goes (docs/performance.md, "Lossy paths in the
 * simulator"), from the state of its TCB between the simulator's events, while it has
 * data queued or in flight: open (no recovery) or in SACK or NewReno recovery or RTO
 * recovery, with the reordering timer armed, the mean cwnd, pipe and ssthresh in
 * segments, the share of time with ssthresh at its floor of 2 segments, the recoveries and
 * their mean length, the mean SRTT, and how much cwnd grew per round trip spent open. */
struct acct {
    struct tcb *t;
    double total, open, rec, rto, reo_open, reo_rec, cwnd, pipe, ssth, ssth_t, floor, srtt, rtts;
    double grown, rec_len;
    uint32_t last_cwnd, recs;
    uint64_t rec_start;
    bool was_rec;
};

static struct tcb *acct_tcb(synack_stack *s)
{
    struct synack_stack *st = (struct synack_stack *)s;
    for (uint32_t i = 0; i < st->nsocks; i++) {
        struct sock *sk = &st->socks[i];
        if (sk->in_use && sk->tcb.state == SYNACK_ESTABLISHED) return &sk->tcb;
    }
    return NULL;
}

static void acct_step(struct simnet *n, uint64_t ran_at)
{
    struct acct *a = n->on_step_ctx;
    double dt = (double)(n->now - ran_at);
    for (int i = 0; i < 2; i++, a++) {
        if (!a->t) a->t = acct_tcb(n->st[i]);
        struct tcb *t = a->t;
        if (!t || (t->snd_una == t->snd_max && tcp_snd_queued(t) == 0)) continue;
        double mss = t->snd_mss;
        bool rec = t->in_recovery;
        a->total += dt;
        if (t->rto_recovery || t->frto)
            a->rto += dt;
        else if (rec)
            a->rec += dt;
        else
            a->open += dt;
        if (t->t_rack) *(rec ? &a->reo_rec : &a->reo_open) += dt;
        a->cwnd += dt * t->cwnd / mss;
        a->pipe += dt * (t->xr ? tcp_rack_pipe(t) : t->snd_max - t->snd_una) / mss;
        if (t->ssthresh < UINT32_MAX / 2) { /* not before the first loss */
            a->ssth += dt * t->ssthresh / mss;
            a->ssth_t += dt;
        }
        if (t->ssthresh <= 2 * mss) a->floor += dt;
        a->srtt += dt * (double)t->srtt;
        bool open = !rec && !t->rto_recovery && !t->frto;
        if (open && t->srtt) a->rtts += dt / (double)t->srtt;
        if (open && t->cwnd >= t->ssthresh && t->cwnd > a->last_cwnd && a->last_cwnd)
            a->grown += (t->cwnd - a->last_cwnd) / mss;
        a->last_cwnd = t->cwnd;
        if (rec && !a->was_rec) {
            a->recs++;
            a->rec_start = ran_at;
        }
        if (!rec && a->was_rec) a->rec_len += (double)(ran_at - a->rec_start);
        a->was_rec = rec;
    }
}

static void acct_print(const struct acct *a, uint64_t seed)
{
    for (int i = 0; i < 2; i++, a++) {
        double T = a->total > 0 ? a->total : 1;
        fprintf(stderr,
                "    seed %llu stack %d: open %.1f%% recovery %.1f%% rto %.1f%%, reordering timer "
                "armed %.1f%% open %.1f%% in recovery; cwnd %.2f pipe %.2f ssthresh %.2f "
                "(at 2 segments %.1f%%); %u recoveries of %.1f ms; srtt %.2f ms; CA growth "
                "%.2f segments per open round trip\n",
                (unsigned long long)seed, i, 100 * a->open / T, 100 * a->rec / T, 100 * a->rto / T,
                100 * a->reo_open / T, 100 * a->reo_rec / T, a->cwnd / T, a->pipe / T,
                a->ssth_t > 0 ? a->ssth / a->ssth_t : 0, 100 * a->floor / T, a->recs,
                a->recs ? a->rec_len / a->recs / 1000 : 0, a->srtt / T / 1000,
                a->rtts > 0 ? a->grown / a->rtts : 0);
    }
}

static void mathis_seeds(uint64_t *first, uint64_t *last)
{
    *first = 21;
    *last = 23;
    const char *e = getenv("BENCH_SIM_SEEDS");
    unsigned long long a, b;
    if (e && sscanf(e, "%llu-%llu", &a, &b) == 2 && a >= 1 && a <= b && b - a < 1000) {
        *first = a;
        *last = b;
    }
}

static void mathis_case(double loss, const char *cc)
{
    const uint64_t bytes = 16u << 20;
    double sum[2] = {0, 0};
    uint32_t mss = 0;
    bool ok = true;
    uint64_t first, last;
    mathis_seeds(&first, &last);
    for (uint64_t seed = first; seed <= last; seed++) {
        struct synack_sim_config lc;
        synack_sim_config_default(&lc);
        lc.delay_us = 10000;
        lc.bandwidth_bps = 100000000;
        lc.faults.loss = loss;
        lc.faults.seed = seed;
        struct synack_config c[2];
        for (int i = 0; i < 2; i++) {
            simnet_config(&c[i], i, seed);
            c[i].sndbuf = c[i].rcvbuf = 4u << 20;
            c[i].cc = cc;
        }
        static struct simnet n;
        simnet_init_with(&n, c, &lc, seed);
        struct acct acct[2];
        memset(acct, 0, sizeof acct);
        const char *diag = getenv("BENCH_SIM_DIAG");
        if (diag && strcmp(diag, "2") == 0) {
            n.on_step = acct_step;
            n.on_step_ctx = acct;
        }
        uint64_t b[2] = {bytes, bytes};
        struct transfer_result r = transfer_run(&n, seed, b, 7200ull * 1000000);
        if (n.on_step) acct_print(acct, seed);
        ok = ok && r.ok;
        for (int d = 0; d < 2; d++)
            sum[d] += (double)bytes * 8 / ((double)(r.dir_done_us[d] - r.first_data_us) / 1e6);
        if (getenv("BENCH_SIM_DIAG")) {
            for (int i = 0; i < 2; i++) {
                struct synack_stats s;
                synack_get_stats(n.st[i], &s);
                fprintf(stderr,
                        "    seed %llu stack %d: %.2f Mbit/s rtx %llu fast %llu rto %llu tlp %llu "
                        "spur %llu reo_to %llu dsack %llu undo %llu spur_rto %llu\n",
                        (unsigned long long)seed, i,
                        (double)bytes * 8 / ((double)(r.dir_done_us[i] - r.first_data_us) / 1e6) /
                            1e6,
                        (unsigned long long)s.retransmits, (unsigned long long)s.fast_retransmits,
                        (unsigned long long)s.rto_timeouts, (unsigned long long)s.tlp_probes,
                        (unsigned long long)s.spurious_retransmits,
                        (unsigned long long)s.rack_reo_timeouts, (unsigned long long)s.dsacks_in,
                        (unsigned long long)s.dsack_undos, (unsigned long long)s.spurious_rtos);
            }
        }
        struct synack_sockinfo in;
        if (synack_getinfo(n.st[1], 0, &in) == 0 && in.snd_mss) mss = in.snd_mss;
        simnet_free(&n);
    }
    if (!mss) mss = 1448;
    char name[128];
    const char *dir[2] = {"client to server", "server to client"};
    for (int d = 0; d < 2; d++) {
        snprintf(name, sizeof name, "%g%% loss both ways, RTT 20 ms, %s: goodput %s", loss * 100,
                 cc, dir[d]);
        add(name, ok ? sum[d] / (double)(last - first + 1) / 1e6 : 0, "Mbit/s");
    }
    snprintf(name, sizeof name, "%g%% loss: Mathis bound MSS/RTT*1.22/sqrt(p)", loss * 100);
    if (strcmp(cc, "newreno") == 0)
        add(name, mss * 8 / 0.020 * 1.22 / square_root(loss) / 1e6, "Mbit/s");
    if (!ok) printf("  (transfer FAILED)\n");
}

static void connections_case(void)
{
    /* Open and close connections one after another on a zero-delay link: handshake,
     * a request byte, the 4-way close; TIME-WAIT entries are recycled at the limit. */
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 0;
    struct synack_config c[2];
    simnet_config(&c[0], 0, 1);
    simnet_config(&c[1], 1, 1);
    for (int i = 0; i < 2; i++) c[i].sndbuf = c[i].rcvbuf = 16384;
    struct simnet n;
    simnet_init_with(&n, c, &lc, 1);
    int lsd = synack_socket(n.st[1]);
    synack_bind(n.st[1], lsd, SYNACK_ADDR_ANY, 80);
    synack_listen(n.st[1], lsd, 128);
    const int count = 20000;
    int done = 0;
    /* The address once: SIM_B_ADDR reads the environment (simnet.h), which is not the
     * stack's cost. */
    const struct synack_addr b_addr = SIM_B_ADDR;
    double t0 = wall();
    for (int i = 0; i < count; i++) {
        int sd = synack_socket(n.st[0]);
        if (sd < 0) break;
        synack_connect(n.st[0], sd, n.now, b_addr, 80);
        for (int k = 0; k < 50; k++) {
            synack_dev *devs[2] = {&n.filt[0].dev, &n.filt[1].dev};
            synack_sim_step(n.st, devs, 2, n.now);
            int a = synack_accept(n.st[1], lsd, NULL);
            if (a >= 0) {
                synack_close(n.st[1], a, n.now);
            }
            if (synack_events(n.st[0], sd) & SYNACK_EV_CONNECTED) {
                synack_close(n.st[0], sd, n.now);
                done++;
                break;
            }
            n.now += 1;
        }
        n.now += 10;
    }
    double t1 = wall();
    add("connections opened and closed per second (CPU)", done / (t1 - t0), "conn/s");
    simnet_free(&n);
}

/* ---- many concurrent connections: memory and the connection rate ------------------------

   Two stacks in this process on a zero-delay simulated link, without tracing: A the
   clients, B the servers. k background connections are opened (to four server ports, so
   that one client address has ports enough: 25,000 a port out of A's 1024-65535), and
   each carries a 100-byte request and answer; then the clock moves on two seconds and
   they sit idle, established. Both ends are in this process, so every memory figure
   counts both sockets and all four rings of a connection. Memory is counted two ways:
   the allocator's bytes in use (glibc mallinfo2: arena + mmap), and the process's
   resident set (/proc/self/statm). Then lifecycles run one after another to port 80, a
   port of their own (its ephemeral ports as free at every k): connect, a 1-byte request,
   a 1-byte answer, the server closes, the client closes, TIME-WAIT entered (recycled at
   cfg.max_time_wait), after a 0.2 s warm-up, three runs of 1 s. Each k gets max_sockets = k + 4096,
   what a user would configure: free slots are reused oldest first, so a table sized far beyond use
   would hand each lifecycle a cold slot. Rates are in CPU time of this thread
   (CLOCK_THREAD_CPUTIME_ID), so that other work on the machine weighs less. */

#define MANY_PORTS 4
#define MANY_MAX   100000u

static double heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return (double)m.uordblks + (double)m.hblkhd;
}

static double rss(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    fclose(f);
    return (double)res * (double)sysconf(_SC_PAGESIZE);
}

/* The 4-tuple hash's chains in a stack (conntab_chains): how many keys a lookup compares,
 * for a hit on the mean and at worst, and for a miss on the mean (the load factor). */
static void print_chains(const char *what, const synack_stack *st)
{
    struct conntab_chains c;
    conntab_chains(&st->ct, &c);
    printf("    (4-tuple hash, %s: %llu entries in %llu buckets, load %.2f; a hit compares "
           "%.2f keys on the mean, %llu at most; a miss %.2f)\n",
           what, (unsigned long long)c.nodes, (unsigned long long)c.buckets,
           (double)c.nodes / (double)c.buckets, c.nodes ? (double)c.probes / (double)c.nodes : 0,
           (unsigned long long)c.longest, (double)c.nodes / (double)c.buckets);
}

struct many {
    synack_stack *st[2];
    synack_sim_link *link;
    synack_dev *dev[2];
    uint64_t now;
    int lsd[MANY_PORTS], lsd80;
    struct synack_addr b_addr; /* SIM_B_ADDR, read once (it asks the environment) */
};

static void many_step(struct many *m)
{
    synack_sim_step(m->st, m->dev, 2, m->now);
    m->now += 1;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool many_init(struct many *m, uint32_t k)
{
    memset(m, 0, sizeof *m);
    m->b_addr = SIM_B_ADDR;
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 0;
    m->link = synack_sim_link_new(&lc);
    for (int i = 0; i < 2; i++) {
        struct synack_config c;
        synack_config_default(&c);
        c.name = i ? "B" : "A";
        c.addr = i ? SIM_B_ADDR : SIM_A_ADDR;
        c.seed = 7 + (uint64_t)i;
        c.isn_secret_set = true;
        c.max_sockets = k + 4096; /* the connections, the lifecycle's, TIME-WAIT */
        c.max_half_open = 4096;
        c.max_backlog = 4096;
        c.ephemeral_lo = 1024;
        c.out_queue = 4096;
        int err;
        m->st[i] = synack_stack_new(&c, &err);
        m->dev[i] = synack_sim_end(m->link, i);
        if (!m->st[i] || !m->dev[i]) return false;
    }
    for (int p = 0; p <= MANY_PORTS; p++) {
        int l = synack_socket(m->st[1]);
        synack_bind(m->st[1], l, SYNACK_ADDR_ANY, (uint16_t)(p < MANY_PORTS ? 5001 + p : 80));
        synack_listen(m->st[1], l, 4096);
        if (p < MANY_PORTS)
            m->lsd[p] = l;
        else
            m->lsd80 = l;
    }
    return true;
}

static void many_free(struct many *m)
{
    synack_sim_link_free(m->link);
    synack_stack_free(m->st[0]);
    synack_stack_free(m->st[1]);
}

/* Opens k connections in batches; each carries a 100-byte request and answer. */
static uint32_t many_open(struct many *m, uint32_t k)
{
    const uint32_t batch = 512;
    static int cli[512], srv[512];
    uint8_t msg[100], buf[256];
    memset(msg, 'r', sizeof msg);
    uint32_t open = 0;
    while (open < k) {
        uint32_t b = k - open < batch ? k - open : batch;
        for (uint32_t j = 0; j < b; j++) {
            cli[j] = synack_socket(m->st[0]);
            synack_connect(m->st[0], cli[j], m->now, m->b_addr,
                           (uint16_t)(5001 + (open + j) % MANY_PORTS));
            synack_send(m->st[0], cli[j], m->now, msg, sizeof msg);
        }
        uint32_t acc = 0, answered = 0, done = 0;
        for (int s = 0; s < 2000 && done < b; s++) {
            many_step(m);
            for (int p = 0; p < MANY_PORTS; p++) {
                int a;
                while (acc < b && (a = synack_accept(m->st[1], m->lsd[p], NULL)) >= 0)
                    srv[acc++] = a;
            }
            for (; answered < acc; answered++) {
                if (synack_recv(m->st[1], srv[answered], m->now, buf, sizeof buf) != 100) break;
                synack_send(m->st[1], srv[answered], m->now, msg, sizeof msg);
            }
            while (done < b && synack_recv(m->st[0], cli[done], m->now, buf, sizeof buf) == 100)
                done++;
        }
        if (done < b) {
            printf("  (only %u of %u connections opened)\n", open + done, k);
            return open + done;
        }
        open += b;
    }
    return open;
}

/* One lifecycle: connect, a 1-byte request, a 1-byte answer, the server closes, the client
 * closes. Returns 1 if the answer came, 0 if not, -1 without a socket. */
static int lifecycle(struct many *m)
{
    uint8_t b = 'x', buf[8];
    int sd = synack_socket(m->st[0]);
    if (sd < 0) return -1;
    synack_connect(m->st[0], sd, m->now, m->b_addr, 80);
    synack_send(m->st[0], sd, m->now, &b, 1);
    int a = -1;
    bool answered = false, ok = false;
    for (int k = 0; k < 50 && !ok; k++) {
        many_step(m);
        if (a < 0) a = synack_accept(m->st[1], m->lsd80, NULL);
        if (a >= 0 && !answered && synack_recv(m->st[1], a, m->now, buf, sizeof buf) == 1) {
            synack_send(m->st[1], a, m->now, &b, 1);
            synack_close(m->st[1], a, m->now);
            answered = true;
        }
        ok = synack_recv(m->st[0], sd, m->now, buf, sizeof buf) == 1;
    }
    synack_close(m->st[0], sd, m->now);
    if (a >= 0 && !answered) synack_close(m->st[1], a, m->now);
    m->now += 10;
    return ok;
}

/* Exactly n lifecycles, untimed: for callgrind, whose instruction count over this function
 * (--toggle-collect=many_lifecycles_n) divided by n is the instructions per lifecycle. */
__attribute__((noinline)) static int many_lifecycles_n(struct many *m, int n)
{
    int done = 0;
    for (int i = 0; i < n; i++) {
        int r = lifecycle(m);
        if (r < 0) break;
        done += r;
    }
    /* The closes finish, TIME-WAIT entered. */
    for (int k = 0; k < 10; k++) many_step(m);
    return done;
}

/* One lifecycle after another for about `secs` of CPU: connections per second. */
static double many_lifecycles(struct many *m, double secs)
{
    int done = 0;
    double t0 = cpu(), t1 = t0;
    while (t1 - t0 < secs) {
        for (int i = 0; i < 1000; i++) {
            int r = lifecycle(m);
            if (r < 0) return 0;
            done += r;
        }
        t1 = cpu();
    }
    /* The closes finish, TIME-WAIT entered. */
    for (int k = 0; k < 10; k++) many_step(m);
    return done / (t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double many_case(uint32_t k)
{
    char name[128];
    double heap0 = heap_in_use(), rss0 = rss();
    struct many m;
    if (!many_init(&m, k)) {
        printf("  (no memory for %u connections)\n", k);
        return 0;
    }
    double heap1 = heap_in_use();
    uint32_t open = many_open(&m, k);
    double heap_busy = heap_in_use(), rss_busy = rss();
    struct synack_stats s[2];
    synack_get_stats(m.st[0], &s[0]);
    synack_get_stats(m.st[1], &s[1]);
    double rings_busy = (double)(s[0].ring_bytes + s[1].ring_bytes);
    /* Idle: the delayed ACKs go (40 ms), then two seconds with nothing in or out, and
     * the rings give their memory back. The allocator keeps freed memory for reuse:
     * malloc_trim hands it to the system, so that the resident set shows what is held. */
    m.now += 100000;
    many_step(&m);
    m.now += 2000000;
    many_step(&m);
    double heap_idle = heap_in_use();
    malloc_trim(0);
    double rss_idle = rss();
    synack_get_stats(m.st[0], &s[0]);
    synack_get_stats(m.st[1], &s[1]);
    double rings_idle = (double)(s[0].ring_bytes + s[1].ring_bytes);
    if (k == MANY_MAX) {
        add("memory per connection, established and idle (allocator, both ends)",
            (heap_idle - heap0) / open, "bytes");
        add("memory per connection, after a 100 B request/answer (allocator)",
            (heap_busy - heap0) / open, "bytes");
        add("  of which rings when idle (per connection, both ends)", rings_idle / open, "bytes");
        add("  of which rings after the request/answer", rings_busy / open, "bytes");
        add("  of which the stacks (slots and tables for 104,096 sockets each)",
            (heap1 - heap0) / open, "bytes");
        add("process memory (RSS) with 100,000 connections idle (after malloc_trim)",
            rss_idle / (1 << 20), "MiB");
        add("process memory (RSS) with 100,000 connections busy", rss_busy / (1 << 20), "MiB");
        printf("    (RSS before the stacks: %.0f MiB)\n", rss0 / (1 << 20));
        print_chains("server at 100,000 connections", m.st[1]);
    }
    /* BENCH_SIM_LIFECYCLES=N: N lifecycles after 1,000 of warm-up, untimed, for callgrind. */
    const char *nl = getenv("BENCH_SIM_LIFECYCLES");
    if (nl) {
        for (int i = 0; i < 1000; i++) (void)lifecycle(&m);
        int n = atoi(nl), done = many_lifecycles_n(&m, n);
        printf("  %d of %d lifecycles answered with %u connections open\n", done, n, k);
        many_free(&m);
        return done == n ? 1 : 0;
    }
    /* A warm-up first: the memory malloc_trim gave back is faulted in again. */
    (void)many_lifecycles(&m, 0.2);
    double r[3];
    for (int i = 0; i < 3; i++) r[i] = many_lifecycles(&m, 1.0);
    qsort(r, 3, sizeof r[0], cmp_double);
    snprintf(name, sizeof name, "lifecycles/s with %u connections open (CPU, median of 3)", k);
    add(name, r[1], "conn/s");
    printf("    (min %.0f, max %.0f)\n", r[0], r[2]);
    many_free(&m);
    return r[1];
}

/* ---- bulk through two stacks: the CPU cost of the datapath ------------------------------

   One connection, A to B, on a zero-delay link of unlimited rate at the given MTU, both
   rings 4 MiB: `total` bytes sent and read, so that the time is the two stacks' (and the
   simulated link's) and not the benchmark's. The bytes follow a pattern of period
   BULK_PERIOD (a prime, so that no segment boundary lines up with it) and are checked
   with memcmp against it, at memcpy's speed. Bit/s of payload in CPU time of this thread. */

#define BULK_PERIOD 65521u

static uint8_t bulk_pat[BULK_PERIOD + 65536];

__attribute__((noinline)) static double bulk_case(uint16_t mtu, uint64_t total)
{
    for (size_t i = 0; i < sizeof bulk_pat; i++)
        bulk_pat[i] = (uint8_t)((i % BULK_PERIOD) * 131 + 7);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 0;
    lc.mtu = mtu;
    /* Without tracing or the tests' filter: what is timed is the stacks and the link. */
    struct simnet n;
    memset(&n, 0, sizeof n);
    n.link = synack_sim_link_new(&lc);
    synack_dev *devs[2];
    for (int i = 0; i < 2; i++) {
        struct synack_config c;
        simnet_config(&c, i, 5);
        c.sndbuf = c.rcvbuf = 4u << 20;
        c.mtu = mtu;
        int err;
        n.st[i] = synack_stack_new(&c, &err);
        devs[i] = synack_sim_end(n.link, i);
        if (!n.st[i] || !devs[i]) {
            printf("  (no stack: %s)\n", synack_strerror(err));
            return 0;
        }
    }
    int lsd = synack_socket(n.st[1]);
    synack_bind(n.st[1], lsd, SYNACK_ADDR_ANY, 9);
    synack_listen(n.st[1], lsd, 8);
    int sd = synack_socket(n.st[0]), a = -1;
    synack_connect(n.st[0], sd, n.now, SIM_B_ADDR, 9);
    static uint8_t buf[1 << 20];
    uint64_t sent = 0, got = 0;
    bool bad = false;
    double t0 = cpu();
    for (uint64_t iter = 0; iter < 100000000ull && got < total && !bad; iter++) {
        if (a < 0) a = synack_accept(n.st[1], lsd, NULL);
        while (sent < total) {
            uint64_t left = total - sent;
            size_t want = left < 65536 ? (size_t)left : 65536;
            long w = synack_send(n.st[0], sd, n.now, bulk_pat + sent % BULK_PERIOD, want);
            if (w <= 0) break;
            sent += (uint64_t)w;
        }
        long r;
        while (a >= 0 && (r = synack_recv(n.st[1], a, n.now, buf, sizeof buf)) > 0) {
            for (long off = 0; off < r && !bad;) {
                long run = (long)(BULK_PERIOD - (got + (uint64_t)off) % BULK_PERIOD);
                if (run > r - off) run = r - off;
                bad = memcmp(buf + off, bulk_pat + (got + (uint64_t)off) % BULK_PERIOD,
                             (size_t)run) != 0;
                off += run;
            }
            got += (uint64_t)r;
        }
        n.now = synack_sim_step(n.st, devs, 2, n.now);
    }
    double t1 = cpu();
    if (bad || got < total)
        printf("  (bulk at MTU %u FAILED: %llu of %llu bytes%s)\n", mtu, (unsigned long long)got,
               (unsigned long long)total, bad ? ", corrupted" : "");
    synack_sim_link_free(n.link);
    synack_stack_free(n.st[0]);
    synack_stack_free(n.st[1]);
    return bad ? 0 : (double)got * 8 / (t1 - t0) / 1e9;
}

static void bulk_rows(void)
{
    char name[128];
    const uint16_t mtus[2] = {1500, 65535};
    /* BENCH_SIM_BULK_MTU=N: that MTU's row only; BENCH_SIM_BULK_RUNS=1: one run, not three
     * (for callgrind: instructions per byte are the count over bulk_case divided by the
     * bytes). */
    const char *only_mtu = getenv("BENCH_SIM_BULK_MTU");
    const char *runs_s = getenv("BENCH_SIM_BULK_RUNS");
    int runs = runs_s && atoi(runs_s) >= 1 && atoi(runs_s) <= 3 ? atoi(runs_s) : 3;
    for (int i = 0; i < 2; i++) {
        if (only_mtu && atoi(only_mtu) != mtus[i]) continue;
        double r[3];
        /* BENCH_SIM_BULK_MB: fewer bytes (for a profiler that runs 50 times slower). */
        const char *mb = getenv("BENCH_SIM_BULK_MB");
        uint64_t total = (mb ? strtoull(mb, NULL, 10) : 512) << 20;
        r[0] = bulk_case(mtus[i], total);
        for (int k = 1; k < 3; k++) r[k] = k < runs ? bulk_case(mtus[i], total) : r[0];
        qsort(r, 3, sizeof r[0], cmp_double);
        snprintf(name, sizeof name, "bulk A to B, MTU %u, through two stacks (CPU, median of 3)",
                 mtus[i]);
        add(name, r[1], "Gbit/s");
        printf("    (min %.2f, max %.2f)\n", r[0], r[2]);
    }
}

/* ---- memory per TIME-WAIT entry -----------------------------------------------------------

   Measured, not computed: two stacks alike but for cfg.max_time_wait (0 and TW_N), the
   allocator's bytes in use (mallinfo2) of each, the difference per entry: the record pool
   and its share of the 4-tuple hash (4-byte bucket heads, at least one per entry the
   config allows, a power of two: here 32,768 against 2,048, 6.1 bytes an entry). Then the entries
   are made for real: TW_N lifecycles where the server closes first, each ending with the server's
   entry in TIME-WAIT as a record (its user had closed it), and the server stack's count of
   TIME-WAIT entries and sockets in use must say so. Somewhat fewer than TW_N remain: the client's
   ports come round again now and then (RFC 6056's random increments over 64,511 ports) and such a
   SYN reopens its pair's entry (RFC 6191). */

#define TW_N 20000u

static void time_wait_rows(void)
{
    double h[2];
    synack_stack *st[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        struct synack_config c;
        synack_config_default(&c);
        c.addr = SIM_B_ADDR;
        c.max_sockets = 1024;
        c.max_time_wait = i ? TW_N : 0;
        double before = heap_in_use();
        int err;
        st[i] = synack_stack_new(&c, &err);
        h[i] = heap_in_use() - before;
    }
    synack_stack_free(st[0]);
    synack_stack_free(st[1]);
    /* The record alone is what a TIME-WAIT socket's 1,520 bytes were (its hash buckets not
     * counted); the allocator's figure adds the entry's share of the 4-tuple hash. */
    add("memory per TIME-WAIT entry: the record (sizeof struct tw_rec)",
        (double)sizeof(struct tw_rec), "bytes");
    add("memory per TIME-WAIT entry with its hash buckets (allocator, per entry)",
        (h[1] - h[0]) / TW_N, "bytes");

    struct many m;
    if (!many_init(&m, 0)) return;
    synack_stack_free(m.st[1]);
    struct synack_config c;
    synack_config_default(&c);
    c.name = "B";
    c.addr = SIM_B_ADDR;
    c.seed = 8;
    c.isn_secret_set = true;
    c.max_sockets = 4096;
    c.max_time_wait = TW_N;
    int err;
    m.st[1] = synack_stack_new(&c, &err);
    if (!m.st[1]) return;
    int l = synack_socket(m.st[1]);
    synack_bind(m.st[1], l, SYNACK_ADDR_ANY, 80);
    synack_listen(m.st[1], l, 4096);
    m.lsd80 = l;
    uint8_t b = 'x', buf[8];
    for (uint32_t i = 0; i < TW_N; i++) {
        int sd = synack_socket(m.st[0]);
        if (sd < 0) break;
        synack_connect(m.st[0], sd, m.now, m.b_addr, 80);
        synack_send(m.st[0], sd, m.now, &b, 1);
        int a = -1;
        bool answered = false;
        for (int k = 0; k < 50; k++) {
            many_step(&m);
            if (a < 0) a = synack_accept(m.st[1], l, NULL);
            if (a >= 0 && !answered && synack_recv(m.st[1], a, m.now, buf, sizeof buf) == 1) {
                synack_send(m.st[1], a, m.now, &b, 1);
                synack_close(m.st[1], a, m.now);
                answered = true;
            }
            if (synack_recv(m.st[0], sd, m.now, buf, sizeof buf) == 1) break;
        }
        synack_close(m.st[0], sd, m.now);
        if (a >= 0 && !answered) synack_close(m.st[1], a, m.now);
        m.now += 10;
    }
    for (int k = 0; k < 10; k++) many_step(&m);
    struct synack_stats s;
    synack_get_stats(m.st[1], &s);
    uint32_t in_use = 0;
    for (int i = 0; i <= SYNACK_TIME_WAIT; i++) in_use += s.sockets_by_state[i];
    printf("    (server: %u TIME-WAIT entries, %u of them records of %u bytes; %u sockets in "
           "use besides)\n",
           s.sockets_by_state[SYNACK_TIME_WAIT], s.time_wait_records, s.time_wait_record,
           in_use - s.sockets_by_state[SYNACK_TIME_WAIT]);
    add("TIME-WAIT entries that are compact records after 20,000 server-closed lifecycles",
        s.time_wait_records, "entries");
    print_chains("server with them", m.st[1]);
    many_free(&m);
}

/* BENCH_SIM_CASES (a list of words: transfer, loss, mathis, connections, bulk, many,
 * timewait) runs only those cases, for profiling one of them; all run by default.
 * BENCH_SIM_ONLY=loss is "loss mathis": the lossy rows and the Mathis comparison (issue 13),
 * a minute instead of several, for quick iteration on loss recovery. */
static bool want(const char *what)
{
    const char *c = getenv("BENCH_SIM_CASES");
    const char *only = getenv("BENCH_SIM_ONLY");
    if (only && strcmp(only, "loss") == 0) c = "loss mathis";
    return !c || strstr(c, what) != NULL;
}

int main(int argc, char **argv)
{
    printf("synack benchmarks (simulated link; virtual-clock goodput, real CPU cost)\n\n");
    if (want("transfer")) {
        transfer_case("clean 100 Mbit/s, RTT 20 ms, 64 MiB", 100000000, 10000, 0, 64u << 20, 0, 1);
        transfer_case("clean 1 Gbit/s, RTT 2 ms, 256 MiB", 1000000000, 1000, 0, 256u << 20, 0, 2);
    }
    if (want("loss")) {
        transfer_case("5% loss 100 Mbit/s, RTT 20 ms, 16 MiB each way", 100000000, 10000, 0.05,
                      16u << 20, 16u << 20, 3);
        transfer_case("1% loss 100 Mbit/s, RTT 20 ms, 16 MiB", 100000000, 10000, 0.01, 16u << 20, 0,
                      4);
    }
    if (want("mathis")) {
        mathis_case(0.01, "newreno");
        mathis_case(0.01, "cubic");
        mathis_case(0.05, "newreno");
        mathis_case(0.05, "cubic");
    }
    if (want("bulk")) bulk_rows();
    if (want("connections")) connections_case();
    if (want("many")) {
        double at100 = many_case(100);
        if (!getenv("BENCH_SIM_ONLY100")) {
            (void)many_case(10000);
            double at100k = many_case(MANY_MAX);
            add("lifecycles/s at 100,000 open / at 100 (target >= 0.8)", at100 ? at100k / at100 : 0,
                "ratio");
        }
    }
    add("memory per connection, default rings reserved up front (before rings grew with use)",
        (double)sizeof(struct sock) + 2.0 * 256 * 1024, "bytes");
    if (want("many") || want("timewait")) time_wait_rows();
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        if (!f) {
            perror(argv[1]);
            return 1;
        }
        fprintf(f, "[\n");
        for (int i = 0; i < nrows; i++)
            fprintf(f, "  {\"name\": \"%s\", \"value\": %.3f, \"unit\": \"%s\"}%s\n", rows[i].name,
                    rows[i].value, rows[i].unit, i + 1 < nrows ? "," : "");
        fprintf(f, "]\n");
        fclose(f);
        printf("\nJSON: %s\n", argv[1]);
    }
    return 0;
}
