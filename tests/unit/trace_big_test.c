/*
 * trace_big_test.c - `synack trace` on a capture of 1 million packets, generated here: it is
 * read in one streaming pass, and memory is bounded by the connections, not the packets.
 *
 * The capture: 100 connections of 10,000 packets each (handshake, data segments and ACKs,
 * a loss and its retransmission now and then, a close), interleaved as a busy host's capture
 * would be. SYNACK_BIG_PACKETS sets another size (the default is the 1,000,000; it
 * takes a few seconds even under AddressSanitizer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "synack/synack.h"
#include "synack/trace.h"
#include "test.h"
#include "capture/analyze.h"
#include "capture/capture.h"
#include "wire/wire.h"

#define CONNS 100u

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

struct gen {
    synack_pcap_writer *w;
    uint64_t t;
    uint64_t written;
};

static void emit(struct gen *g, uint32_t conn, bool from_client, uint16_t flags, uint32_t seq,
                 uint32_t ack, uint32_t len)
{
    static const uint8_t payload[1448];
    uint8_t buf[1600];
    struct synack_ipv4_hdr ip = {.ttl = 64, .proto = SYNACK_IPPROTO_TCP, .frag = 0x4000};
    uint32_t cli = 0x0a630001u, srv = 0x0a630002u;
    ip.src = from_client ? cli : srv;
    ip.dst = from_client ? srv : cli;
    struct synack_tcp_hdr h = {.seq = seq, .ack = ack, .flags = flags, .window = 1000};
    uint16_t cport = (uint16_t)(20000 + conn);
    h.sport = from_client ? cport : 443;
    h.dport = from_client ? 443 : cport;
    /* only the first 96 bytes of each datagram are written, as with tcpdump -s 96: lengths
     * come from the IP header, and the file is 110 MB instead of 1.5 GB */
    size_t n = wire_segment_emit(buf, sizeof buf, &ip, &h, payload, len);
    ASSERT(n > 0);
    g->t += 7;
    ASSERT_EQ(synack_pcap_write(g->w, g->t, buf, (uint32_t)(n < 96 ? n : 96)), 0);
    g->written++;
}

/* Writes about `packets` packets. */
static void generate(const char *path, uint64_t packets)
{
    int err;
    struct gen g = {synack_pcap_open(path, &err), 1700000000000000ull, 0};
    ASSERT(g.w != NULL);
    uint64_t per = packets / CONNS;
    uint32_t seq[CONNS], ack[CONNS];
    for (uint32_t c = 0; c < CONNS; c++) {
        seq[c] = 1000u * c;
        ack[c] = 500000u + c;
        emit(&g, c, true, SYNACK_TCP_SYN, seq[c]++, 0, 0);
        emit(&g, c, false, SYNACK_TCP_SYN | SYNACK_TCP_ACK, ack[c]++, seq[c], 0);
        emit(&g, c, true, SYNACK_TCP_ACK, seq[c], ack[c], 0);
    }
    /* rounds: each connection sends a data segment, the server acknowledges every other */
    for (uint64_t i = 0; g.written + 2 * CONNS < packets && i < per; i++) {
        for (uint32_t c = 0; c < CONNS; c++) {
            if (i % 97 == 50) /* a retransmission of the previous segment */
                emit(&g, c, true, SYNACK_TCP_ACK, seq[c] - 1448, ack[c], 1448);
            emit(&g, c, true, SYNACK_TCP_ACK | SYNACK_TCP_PSH, seq[c], ack[c], 1448);
            seq[c] += 1448;
            if (i % 2) emit(&g, c, false, SYNACK_TCP_ACK, ack[c], seq[c], 0);
        }
    }
    for (uint32_t c = 0; c < CONNS; c++) {
        emit(&g, c, true, SYNACK_TCP_FIN | SYNACK_TCP_ACK, seq[c], ack[c], 0);
        emit(&g, c, false, SYNACK_TCP_FIN | SYNACK_TCP_ACK, ack[c], seq[c] + 1, 0);
    }
    synack_pcap_close(g.w);
}

TEST(big_capture_is_streamed_in_bounded_memory)
{
    const char *env = getenv("SYNACK_BIG_PACKETS");
    uint64_t packets = env ? strtoull(env, NULL, 10) : 1000000u;
    char path[128];
    snprintf(path, sizeof path, "/tmp/synack-big-%d.pcap", (int)getpid());
    double t0 = now_s();
    generate(path, packets);
    double t1 = now_s();

    /* the analyser alone, as synack trace drives it: its memory after all packets */
    char err[256];
    tr_capture *cap = tr_capture_open(path, err, sizeof err);
    if (!cap && strstr(err, "without libpcap")) {
        unlink(path);
        TEST_SKIP("built without libpcap");
    }
    ASSERT(cap != NULL);
    struct tr_analyzer_opts ao = {.keep_recs = 100, .keep_conns = 200};
    tr_analyzer *a = tr_analyzer_new(&ao);
    struct tr_packet p;
    struct tr_rec rec;
    uint64_t n = 0, rtx = 0;
    size_t mem_at_10k = 0;
    int r;
    while ((r = tr_capture_next(cap, &p, err, sizeof err)) == 1) {
        ASSERT_EQ(p.kind, TR_PKT_TCP4);
        struct tr_conn *c = tr_analyze(a, &p, &rec);
        ASSERT(c != NULL);
        if (rec.ann & (TR_ANN_ANY_RTX | TR_ANN(OUT_OF_ORDER))) rtx++;
        if (++n == 10000) mem_at_10k = tr_analyzer_mem(a);
    }
    ASSERT_EQ(r, 0);
    ASSERT(n >= packets * 99 / 100);
    ASSERT_EQ(tr_conn_count(a), CONNS);
    ASSERT(rtx >= CONNS * (n / CONNS / 2 / 97)); /* the planted retransmissions are found */
    /* memory: the same after a million packets as after ten thousand */
    size_t mem = tr_analyzer_mem(a);
    fprintf(stderr, "    %llu packets: analyser memory %zu bytes (%zu after 10k)\n",
            (unsigned long long)n, mem, mem_at_10k);
    ASSERT(mem <= mem_at_10k + 64 * 1024);
    tr_analyzer_free(a);
    tr_capture_close(cap);
    double t2 = now_s();

    /* the whole command: ladders of every connection (100 segments each) and the table */
    long rss0 = max_rss_kb();
    FILE *out = fopen("/dev/null", "w");
    ASSERT_EQ(synack_trace_file(path, NULL, out, stderr), 0);
    fclose(out);
    long rss1 = max_rss_kb();
    double t3 = now_s();
    fprintf(stderr, "    generate %.2f s, analyse %.2f s, synack trace %.2f s; peak RSS +%ld KiB\n",
            t1 - t0, t2 - t1, t3 - t2, rss1 - rss0);
    /* the records of 100 connections x 100 segments, tables and buffers: tens of MB at most,
     * while holding every packet's record would be a hundred MB more */
    ASSERT(rss1 - rss0 < 64 * 1024);
    unlink(path);
}

TEST_MAIN()
