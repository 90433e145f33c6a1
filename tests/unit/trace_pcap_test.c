/*
 * trace_pcap_test.c - the pcap writer: the file header and every record read back byte by
 * byte, the trace-event sink writing each sent datagram once, and (when installed) tshark and
 * libpcap reading the file with no malformed packet and no bad checksum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synack/synack.h"
#include "synack/trace.h"
#include "test.h"
#include "wire/wire.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t make_seg(uint8_t *buf, size_t cap, uint16_t flags, uint32_t seq, uint32_t ack,
                       const char *data)
{
    struct synack_ipv4_hdr ip = {.ttl = 64, .proto = SYNACK_IPPROTO_TCP, .id = 1, .frag = 0x4000};
    ip.src = 0x0a000001u;
    ip.dst = 0x0a000002u;
    struct synack_tcp_hdr tcp = {.sport = 49152, .dport = 7, .seq = seq, .ack = ack};
    tcp.flags = flags;
    tcp.window = 65535;
    if (flags & SYNACK_TCP_SYN) {
        tcp.opts.has_mss = true;
        tcp.opts.mss = 1460;
        tcp.opts.has_wscale = true;
        tcp.opts.wscale = 7;
        tcp.opts.sack_permitted = true;
    }
    size_t plen = data ? strlen(data) : 0;
    return wire_segment_emit(buf, cap, &ip, &tcp, (const uint8_t *)data, plen);
}

static char *tmp_path(const char *name)
{
    static char path[256]; /* test program, not the library */
    snprintf(path, sizeof path, "/tmp/synack-%s-%d.pcap", name, (int)getpid());
    return path;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ASSERT(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    ASSERT(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Three datagrams: the file is the 24-byte header, then 16 + len bytes per record. */
static void write_three(const char *path, uint8_t pkts[3][128], size_t lens[3])
{
    int err = 1;
    synack_pcap_writer *w = synack_pcap_open(path, &err);
    ASSERT(w != NULL);
    ASSERT_EQ(err, 0);
    lens[0] = make_seg(pkts[0], 128, SYNACK_TCP_SYN, 1000, 0, NULL);
    lens[1] = make_seg(pkts[1], 128, SYNACK_TCP_ACK, 1001, 5001, NULL);
    lens[2] = make_seg(pkts[2], 128, SYNACK_TCP_PSH | SYNACK_TCP_ACK, 1001, 5001, "hello\n");
    ASSERT(lens[0] > 40 && lens[1] == 40 && lens[2] == 46);
    ASSERT_EQ(synack_pcap_write(w, 0, pkts[0], (uint32_t)lens[0]), 0);
    ASSERT_EQ(synack_pcap_write(w, 1500000, pkts[1], (uint32_t)lens[1]), 0);
    ASSERT_EQ(synack_pcap_write(w, 3000001, pkts[2], (uint32_t)lens[2]), 0);
    ASSERT_EQ(synack_pcap_flush(w), 0);
    synack_pcap_close(w);
}

TEST(pcap_header_and_records_read_back)
{
    const char *path = tmp_path("hdr");
    uint8_t pkts[3][128];
    size_t lens[3];
    write_three(path, pkts, lens);
    size_t len;
    uint8_t *f = slurp(path, &len);
    ASSERT_EQ(len, 24 + 3 * 16 + lens[0] + lens[1] + lens[2]);
    static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0,   0, 0, 0,
                                    0,    0,    0,    0,    0, 0, 4, 0, 101, 0, 0, 0};
    ASSERT_MEM_EQ(f, hdr, 24); /* magic (µs, little-endian), 2.4, snaplen 262144, LINKTYPE_RAW */
    const uint64_t times[3] = {0, 1500000, 3000001};
    size_t off = 24;
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(le32(f + off), times[i] / 1000000);
        ASSERT_EQ(le32(f + off + 4), times[i] % 1000000);
        ASSERT_EQ(le32(f + off + 8), lens[i]);  /* captured */
        ASSERT_EQ(le32(f + off + 12), lens[i]); /* on the wire */
        ASSERT_MEM_EQ(f + off + 16, pkts[i], lens[i]);
        struct synack_segment seg;
        ASSERT_EQ(wire_segment_parse(f + off + 16, lens[i], true, &seg), 0);
        off += 16 + lens[i];
    }
    free(f);
    unlink(path);
}

TEST(pcap_event_sink_writes_each_sent_datagram_once)
{
    const char *path = tmp_path("sink");
    int err;
    synack_pcap_writer *w = synack_pcap_open(path, &err);
    ASSERT(w != NULL);
    uint8_t pkt[128];
    size_t n = make_seg(pkt, sizeof pkt, SYNACK_TCP_SYN, 1, 0, NULL);
    struct synack_trace_event ev = {.kind = SYNACK_TRACE_SEG_OUT, .now = 42, .pkt = pkt};
    ev.pkt_len = (uint32_t)n;
    synack_pcap_event(w, &ev); /* written */
    ev.kind = SYNACK_TRACE_SEG_IN;
    synack_pcap_event(w, &ev); /* the same datagram arriving: not again */
    ev.kind = SYNACK_TRACE_STATE;
    synack_pcap_event(w, &ev);
    ev.kind = SYNACK_TRACE_PKT_OUT; /* an ICMP datagram sent: written */
    synack_pcap_event(w, &ev);
    ev.kind = SYNACK_TRACE_SEG_OUT;
    ev.pkt = NULL;
    synack_pcap_event(w, &ev); /* no bytes: nothing */
    synack_pcap_event(NULL, &ev);
    synack_pcap_close(w);
    size_t len;
    uint8_t *f = slurp(path, &len);
    ASSERT_EQ(len, 24 + 2 * (16 + n));
    free(f);
    unlink(path);
}

TEST(pcap_open_fails_cleanly)
{
    int err = 0;
    ASSERT(synack_pcap_open("/nonexistent-dir/x.pcap", &err) == NULL);
    ASSERT_EQ(err, SYNACK_ESYS);
    ASSERT(synack_pcap_open(NULL, &err) == NULL);
    ASSERT_EQ(err, SYNACK_EINVAL);
    ASSERT_EQ(synack_pcap_write(NULL, 0, NULL, 0), SYNACK_EINVAL);
    synack_pcap_close(NULL);
}

TEST(pcap_tshark_reads_it_with_no_malformed_packet)
{
    if (system("command -v tshark >/dev/null 2>&1") != 0) TEST_SKIP("tshark not installed");
    const char *path = tmp_path("tshark");
    uint8_t pkts[3][128];
    size_t lens[3];
    write_three(path, pkts, lens);
    char cmd[1024];
    /* every packet, one line each: frame number, protocols, checksum verdicts */
    snprintf(cmd, sizeof cmd,
             "tshark -r %s -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -T fields "
             "-e frame.number -e frame.protocols -e ip.checksum.status -e tcp.checksum.status "
             "-e _ws.malformed 2>/dev/null",
             path);
    FILE *p = popen(cmd, "r");
    ASSERT(p != NULL);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, p)) {
        fprintf(stderr, "    tshark: %s", line);
        ASSERT(strstr(line, "raw:ip:tcp") != NULL);
        ASSERT(strstr(line, "Malformed") == NULL);
        /* ip.checksum.status and tcp.checksum.status: 1 is "Good" */
        ASSERT(strstr(line, "\t1\t1") != NULL);
        n++;
    }
    ASSERT_EQ(pclose(p), 0);
    ASSERT_EQ(n, 3);
    snprintf(cmd, sizeof cmd,
             "tshark -r %s -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -Y "
             "'_ws.malformed || _ws.expert.severity >= \"error\" || ip.checksum.status == "
             "\"Bad\" || tcp.checksum.status == \"Bad\"' 2>&1 | grep -vc '^Running as user'",
             path);
    p = popen(cmd, "r");
    ASSERT(fgets(line, sizeof line, p) != NULL);
    pclose(p);
    ASSERT_EQ(atoi(line), 0);
    unlink(path);
}

TEST_MAIN()
