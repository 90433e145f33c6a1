/*
 * bench_sim.c - synack's benchmarks on the simulated link: goodput on the virtual clock
 * (what the protocol achieves: clean and lossy links, retransmissions), and the real CPU
 * cost of the stack (bytes per second through two stacks in one process, connections per
 * second). Prints a table; writes the same figures as JSON to the path in argv[1].
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tcp/stack.h"
#include "transfer.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct row {
    const char *name;
    double value;
    const char *unit;
};

static struct row rows[32];
static int nrows;

static void add(const char *name, double value, const char *unit)
{
    rows[nrows++] = (struct row){name, value, unit};
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
 * the same time over 100 Mbit/s with a 20 ms RTT, the mean of three seeds per direction. */
static double square_root(double x)
{
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 60; i++) r = (r + x / r) / 2;
    return r;
}

static void mathis_case(double loss, const char *cc)
{
    const uint64_t bytes = 16u << 20;
    double sum[2] = {0, 0};
    uint32_t mss = 0;
    bool ok = true;
    for (uint64_t seed = 21; seed < 24; seed++) {
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
        uint64_t b[2] = {bytes, bytes};
        struct transfer_result r = transfer_run(&n, seed, b, 7200ull * 1000000);
        ok = ok && r.ok;
        for (int d = 0; d < 2; d++)
            sum[d] += (double)bytes * 8 / ((double)(r.dir_done_us[d] - r.first_data_us) / 1e6);
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
        add(name, ok ? sum[d] / 3 / 1e6 : 0, "Mbit/s");
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
    synack_bind(n.st[1], lsd, 0, 80);
    synack_listen(n.st[1], lsd, 128);
    const int count = 20000;
    int done = 0;
    double t0 = wall();
    for (int i = 0; i < count; i++) {
        int sd = synack_socket(n.st[0]);
        if (sd < 0) break;
        synack_connect(n.st[0], sd, n.now, SIM_B_ADDR, 80);
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

int main(int argc, char **argv)
{
    printf("synack benchmarks (simulated link; virtual-clock goodput, real CPU cost)\n\n");
    transfer_case("clean 100 Mbit/s, RTT 20 ms, 64 MiB", 100000000, 10000, 0, 64u << 20, 0, 1);
    transfer_case("clean 1 Gbit/s, RTT 2 ms, 256 MiB", 1000000000, 1000, 0, 256u << 20, 0, 2);
    transfer_case("5% loss 100 Mbit/s, RTT 20 ms, 16 MiB each way", 100000000, 10000, 0.05,
                  16u << 20, 16u << 20, 3);
    transfer_case("1% loss 100 Mbit/s, RTT 20 ms, 16 MiB", 100000000, 10000, 0.01, 16u << 20, 0, 4);
    mathis_case(0.01, "newreno");
    mathis_case(0.01, "cubic");
    mathis_case(0.05, "newreno");
    mathis_case(0.05, "cubic");
    connections_case();
    add("memory per connection (socket + default rings)",
        (double)sizeof(struct sock) + 2.0 * 256 * 1024, "bytes");
    add("memory per TIME-WAIT entry (rings released)", (double)sizeof(struct sock), "bytes");
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
