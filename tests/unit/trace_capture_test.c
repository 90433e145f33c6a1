/*
 * trace_capture_test.c - reading captures: every link type `synack trace` supports (Ethernet
 * with and without VLAN tags, raw IP as LINKTYPE_RAW and LINKTYPE_IPV4, Linux cooked SLL and
 * SLL2, BSD and OpenBSD loopback), pcapng, nanosecond pcap, records cut by the snaplen, a TSO
 * capture's zero IP length, IPv6 with and without extension headers (and cut anywhere), non-IP
 * frames, a file cut in the middle of a record, and
 * garbage that must not crash the decoder. The files are written by the test itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synack/synack.h"
#include "test.h"
#include "capture/capture.h"
#include "wire/wire.h"

#define CLI 0x0a630001u /* 10.99.0.1 */
#define SRV 0x0a630002u

static char path_buf[256]; /* test program state, not the library's */

static const char *tmp_path(const char *name)
{
    snprintf(path_buf, sizeof path_buf, "/tmp/synack-cap-%s-%d", name, (int)getpid());
    return path_buf;
}

/* A TCP/IPv4 datagram: a data segment of plen bytes with timestamps. */
static size_t make_ip(uint8_t *buf, size_t cap, uint32_t plen)
{
    static uint8_t payload[1500];
    struct synack_ipv4_hdr ip = {.ttl = 64, .proto = SYNACK_IPPROTO_TCP, .frag = 0x4000};
    ip.src = CLI;
    ip.dst = SRV;
    struct synack_tcp_hdr tcp = {.sport = 40000, .dport = 5001, .seq = 1001, .ack = 2001};
    tcp.flags = SYNACK_TCP_ACK | SYNACK_TCP_PSH;
    tcp.window = 502;
    tcp.opts.has_ts = true;
    tcp.opts.ts_val = 7;
    return wire_segment_emit(buf, cap, &ip, &tcp, payload, plen);
}

static void put16(FILE *f, uint16_t v, bool be)
{
    uint8_t b[2] = {(uint8_t)(be ? v >> 8 : v), (uint8_t)(be ? v : v >> 8)};
    fwrite(b, 1, 2, f);
}

static void put32(FILE *f, uint32_t v, bool be)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
    fwrite(b, 1, 4, f);
}

/* A classic pcap with one record: link header + datagram, cut to snap bytes if snap > 0. */
static void write_pcap(const char *path, uint32_t linktype, const uint8_t *lh, size_t lhlen,
                       const uint8_t *ip, size_t iplen, uint32_t snap, bool nano, bool be)
{
    FILE *f = fopen(path, "wb");
    ASSERT(f != NULL);
    put32(f, nano ? 0xa1b23c4du : 0xa1b2c3d4u, be);
    put16(f, 2, be);
    put16(f, 4, be);
    put32(f, 0, be);
    put32(f, 0, be);
    put32(f, snap ? snap : 65535, be);
    put32(f, linktype, be);
    uint32_t len = (uint32_t)(lhlen + iplen);
    uint32_t incl = snap && snap < len ? snap : len;
    put32(f, 1700000000u, be);
    put32(f, nano ? 123456789u : 123456u, be);
    put32(f, incl, be);
    put32(f, len, be);
    uint8_t frame[2048];
    if (lhlen) memcpy(frame, lh, lhlen);
    memcpy(frame + lhlen, ip, iplen);
    fwrite(frame, 1, incl, f);
    fclose(f);
}

static tr_capture *open_or_skip(const char *path)
{
    char err[512];
    tr_capture *c = tr_capture_open(path, err, sizeof err);
    if (!c && strstr(err, "without libpcap")) TEST_SKIP("built without libpcap");
    if (!c) fprintf(stderr, "    %s\n", err);
    ASSERT(c != NULL);
    return c;
}

/* Reads the one record of path and checks it is our data segment. */
static void expect_segment(const char *path, enum tr_link link, uint32_t plen, bool truncated)
{
    tr_capture *c = open_or_skip(path);
    ASSERT_EQ(tr_capture_link(c), link);
    struct tr_packet p;
    char err[256];
    ASSERT_EQ(tr_capture_next(c, &p, err, sizeof err), 1);
    ASSERT_EQ(p.frame, 1);
    ASSERT_EQ(p.ts_us, 1700000000ull * 1000000u + 123456u);
    ASSERT_EQ(p.kind, TR_PKT_TCP4);
    ASSERT_EQ(p.seg.ip.src, CLI);
    ASSERT_EQ(p.seg.ip.dst, SRV);
    ASSERT_EQ(p.seg.tcp.sport, 40000);
    ASSERT_EQ(p.seg.tcp.dport, 5001);
    ASSERT_EQ(p.seg.tcp.seq, 1001);
    ASSERT_EQ(p.seg.tcp.ack, 2001);
    ASSERT_EQ(p.seg.tcp.flags, SYNACK_TCP_ACK | SYNACK_TCP_PSH);
    ASSERT_EQ(p.seg.payload_len, plen); /* from the IP header, even when cut */
    ASSERT_EQ(p.truncated, truncated);
    ASSERT_EQ(tr_capture_next(c, &p, err, sizeof err), 0);
    tr_capture_close(c);
    unlink(path);
}

TEST(capture_ethernet)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 100);
    uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
    write_pcap(tmp_path("eth"), 1, eth, sizeof eth, ip, n, 0, false, false);
    expect_segment(path_buf, TR_LINK_ETHERNET, 100, false);
}

TEST(capture_ethernet_vlan_qinq_big_endian_file)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 10);
    uint8_t eth[22] = {2, 0,    0,    0, 0, 2,    2,    0, 0, 0,    0,
                       1, 0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 7, 0x08, 0x00};
    write_pcap(tmp_path("vlan"), 1, eth, sizeof eth, ip, n, 0, false, true);
    expect_segment(path_buf, TR_LINK_ETHERNET, 10, false);
}

TEST(capture_raw_101_and_ipv4_228)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 5);
    write_pcap(tmp_path("raw"), 101, NULL, 0, ip, n, 0, false, false);
    expect_segment(path_buf, TR_LINK_RAW, 5, false);
    write_pcap(tmp_path("ipv4"), 228, NULL, 0, ip, n, 0, false, false);
    expect_segment(path_buf, TR_LINK_IPV4, 5, false);
}

TEST(capture_linux_sll_and_sll2)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 7);
    uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00};
    write_pcap(tmp_path("sll"), 113, sll, sizeof sll, ip, n, 0, false, false);
    expect_segment(path_buf, TR_LINK_SLL, 7, false);
    uint8_t sll2[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
    write_pcap(tmp_path("sll2"), 276, sll2, sizeof sll2, ip, n, 0, false, false);
    expect_segment(path_buf, TR_LINK_SLL2, 7, false);
}

TEST(capture_bsd_loopback_both_byte_orders_and_openbsd_loop)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 3);
    uint8_t le[4] = {2, 0, 0, 0}, be[4] = {0, 0, 0, 2};
    write_pcap(tmp_path("null-le"), 0, le, 4, ip, n, 0, false, false);
    expect_segment(path_buf, TR_LINK_NULL, 3, false);
    write_pcap(tmp_path("null-be"), 0, be, 4, ip, n, 0, false, false);
    expect_segment(path_buf, TR_LINK_NULL, 3, false);
    write_pcap(tmp_path("loop"), 108, be, 4, ip, n, 0, false, false);
    expect_segment(path_buf, TR_LINK_LOOP, 3, false);
}

TEST(capture_nanosecond_pcap_is_read_in_microseconds)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 1);
    write_pcap(tmp_path("nano"), 101, NULL, 0, ip, n, 0, true, false);
    expect_segment(path_buf, TR_LINK_RAW, 1, false);
}

TEST(capture_snaplen_keeps_headers_and_ip_length)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 1448);
    uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
    /* tcpdump -s 96: Ethernet, IP, TCP with its timestamp option, a little payload */
    write_pcap(tmp_path("snap96"), 1, eth, sizeof eth, ip, n, 96, false, false);
    expect_segment(path_buf, TR_LINK_ETHERNET, 1448, true);
    /* cut inside the TCP options: the segment still counts, options unread */
    write_pcap(tmp_path("snap60"), 1, eth, sizeof eth, ip, n, 14 + 20 + 24, false, false);
    expect_segment(path_buf, TR_LINK_ETHERNET, 1448, true);
    /* cut inside the TCP header: not a segment */
    write_pcap(tmp_path("snap40"), 1, eth, sizeof eth, ip, n, 14 + 20 + 10, false, false);
    tr_capture *c = open_or_skip(path_buf);
    struct tr_packet p;
    char err[256];
    ASSERT_EQ(tr_capture_next(c, &p, err, sizeof err), 1);
    ASSERT_EQ(p.kind, TR_PKT_TRUNCATED);
    tr_capture_close(c);
    unlink(path_buf);
}

TEST(capture_pcapng)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 20);
    uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
    const char *path = tmp_path("ng");
    FILE *f = fopen(path, "wb");
    /* Section Header Block (type 0x0a0d0d0a), byte-order magic, version 1.0, length -1 */
    put32(f, 0x0a0d0d0a, false);
    put32(f, 28, false);
    put32(f, 0x1a2b3c4d, false);
    put16(f, 1, false);
    put16(f, 0, false);
    put32(f, 0xffffffff, false);
    put32(f, 0xffffffff, false);
    put32(f, 28, false);
    /* Interface Description Block: Ethernet, snaplen 0 (none), default µs resolution */
    put32(f, 1, false);
    put32(f, 20, false);
    put16(f, 1, false);
    put16(f, 0, false);
    put32(f, 0, false);
    put32(f, 20, false);
    /* Enhanced Packet Block */
    uint32_t caplen = (uint32_t)(sizeof eth + n), padded = (caplen + 3) & ~3u;
    uint64_t ts = 1700000000ull * 1000000u + 123456u;
    put32(f, 6, false);
    put32(f, 32 + padded, false);
    put32(f, 0, false);
    put32(f, (uint32_t)(ts >> 32), false);
    put32(f, (uint32_t)ts, false);
    put32(f, caplen, false);
    put32(f, caplen, false);
    fwrite(eth, 1, sizeof eth, f);
    fwrite(ip, 1, n, f);
    for (uint32_t i = caplen; i < padded; i++) fputc(0, f);
    put32(f, 32 + padded, false);
    fclose(f);
    expect_segment(path, TR_LINK_ETHERNET, 20, false);
}

TEST(capture_other_kinds_are_counted_not_parsed)
{
    struct tr_packet p;
    memset(&p, 0, sizeof p);
    uint8_t arp[42] = {0};
    arp[12] = 0x08;
    arp[13] = 0x06;
    ASSERT_EQ(tr_decode(TR_LINK_ETHERNET, arp, sizeof arp, sizeof arp, &p), TR_PKT_NOT_IP);
    uint8_t v6[60] = {0x60, 0, 0, 0, 0, 20, 17, 64}; /* UDP */
    ASSERT_EQ(tr_decode(TR_LINK_RAW, v6, sizeof v6, sizeof v6, &p), TR_PKT_IPV6_OTHER);
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 0);
    ip[9] = 17; /* UDP */
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_IPV4_OTHER);
    n = make_ip(ip, sizeof ip, 0);
    ip[6] = 0x00;
    ip[7] = 0x10; /* a later fragment: no TCP header in it */
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_IPV4_OTHER);
    n = make_ip(ip, sizeof ip, 0);
    ip[0] = 0x44; /* IHL 4 */
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_BAD);
}

TEST(capture_tso_zero_total_length_uses_the_wire_length)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 1000);
    ip[2] = ip[3] = 0; /* what Linux shows for a GSO super-segment captured on the sender */
    struct tr_packet p;
    memset(&p, 0, sizeof p);
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, 100, (uint32_t)n, &p), TR_PKT_TCP4);
    ASSERT_EQ(p.seg.payload_len, 1000);
    ASSERT(p.truncated);
}

TEST(capture_file_cut_in_a_record_reports_after_the_good_ones)
{
    uint8_t ip[1600];
    size_t n = make_ip(ip, sizeof ip, 100);
    const char *path = tmp_path("cut");
    write_pcap(path, 101, NULL, 0, ip, n, 0, false, false);
    /* a second record header that promises more than the file holds */
    FILE *f = fopen(path, "ab");
    put32(f, 1700000001u, false);
    put32(f, 0, false);
    put32(f, 500, false);
    put32(f, 500, false);
    fwrite(ip, 1, 10, f);
    fclose(f);
    tr_capture *c = open_or_skip(path);
    struct tr_packet p;
    char err[256];
    ASSERT_EQ(tr_capture_next(c, &p, err, sizeof err), 1);
    ASSERT_EQ(tr_capture_next(c, &p, err, sizeof err), -1);
    ASSERT(strlen(err) > 0);
    tr_capture_close(c);
    unlink(path);
}

TEST(capture_not_a_capture_is_an_error)
{
    const char *path = tmp_path("text");
    FILE *f = fopen(path, "w");
    fputs("this is not a capture file, just some text long enough\n", f);
    fclose(f);
    char err[512] = "";
    tr_capture *c = tr_capture_open(path, err, sizeof err);
    if (!c && strstr(err, "without libpcap")) TEST_SKIP("built without libpcap");
    ASSERT(c == NULL);
    ASSERT(err[0] != 0);
    unlink(path);
    ASSERT(tr_capture_open("/nonexistent/x.pcap", err, sizeof err) == NULL);
}

TEST(capture_decoder_survives_garbage)
{
    /* every link type, every length up to 80, bytes from a fixed LCG: no crash, no read past
     * the end (ASan), and a kind for each */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    test_seed(x);
    uint8_t buf[80];
    for (int round = 0; round < 4000; round++) {
        uint32_t len = (uint32_t)(round % 81);
        for (uint32_t i = 0; i < len; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = (uint8_t)(x >> 56);
        }
        /* often a plausible start, so that the deeper paths run too */
        if (len > 20 && round % 3 == 0) buf[0] = 0x45, buf[9] = 6;
        if (len > 40 && round % 3 == 1) {
            static const uint8_t nh[] = {6, 0, 43, 44, 60, 51};
            buf[0] = 0x60;
            buf[6] = nh[(x >> 8) % sizeof nh];
            if ((x >> 16) & 1) buf[4] = 0;
        }
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
        memcpy(copy, buf, len);
        struct tr_packet p;
        memset(&p, 0, sizeof p);
        enum tr_link link = (enum tr_link)(1 + round % 7);
        enum tr_pkt_kind k = tr_decode(link, copy, len, len + (uint32_t)(round % 3), &p);
        ASSERT(k >= TR_PKT_TCP4 && k <= TR_PKT_BAD);
        if (k == TR_PKT_TCP4 || k == TR_PKT_TCP6) {
            ASSERT(p.payload_captured <= len);
            ASSERT(p.seg.payload >= copy && p.seg.payload + p.payload_captured <= copy + len);
        }
        free(copy);
    }
}

/* ---- IPv6 ---------------------------------------------------------------------------------- */

static const uint8_t SRC6[16] = {0xfd, 0, 0, 7, [15] = 1}; /* fd00:7::1 */
static const uint8_t DST6[16] = {0xfd, 0, 0, 7, [15] = 2}; /* fd00:7::2 */
#define V6_FRAG_OFF(o) ((uint16_t)((o) << 3))
#define V6_FRAG_M      1u

/* A TCP/IPv6 datagram: make_ip's TCP segment (plen bytes of data) behind an IPv6 header and
 * the extension headers named by their next-header values in exts: hop-by-hop, destination
 * options (8 bytes of PadN; 16 when the value is given as 60 + 256), routing (type 4,
 * segments left 0), fragment (frag: offset and M), AH (16 bytes). Returns its length. */
static size_t make_ip6(uint8_t *buf, size_t cap, uint32_t plen, const int *exts, int nexts,
                       uint16_t frag)
{
    uint8_t v4[1600];
    size_t n4 = make_ip(v4, sizeof v4, plen);
    ASSERT(n4 > 20);
    size_t off = 40;
    uint8_t *nh = &buf[6];
    for (int i = 0; i < nexts; i++) {
        int e = exts[i];
        size_t len = e == 51 || e == 60 + 256 ? 16 : 8;
        ASSERT(off + len <= cap);
        memset(buf + off, 0, len);
        *nh = (uint8_t)(e & 255);
        nh = &buf[off];
        if (e == 0 || e == 60 || e == 60 + 256) { /* PadN over the rest */
            buf[off + 1] = (uint8_t)(len / 8 - 1);
            buf[off + 2] = 1;
            buf[off + 3] = (uint8_t)(len - 4);
        } else if (e == 43) {
            buf[off + 2] = 4; /* type 4 (segment routing), segments left 0: ignored */
        } else if (e == 44) {
            buf[off + 2] = (uint8_t)(frag >> 8);
            buf[off + 3] = (uint8_t)frag;
            buf[off + 7] = 42; /* identification */
        } else if (e == 51) {
            buf[off + 1] = 2; /* (2 + 2) * 4 = 16 bytes */
        }
        off += len;
    }
    *nh = SYNACK_IPPROTO_TCP;
    ASSERT(off + n4 - 20 <= cap);
    memcpy(buf + off, v4 + 20, n4 - 20);
    size_t total = off + n4 - 20;
    buf[0] = 0x60;
    buf[1] = buf[2] = buf[3] = 0;
    buf[4] = (uint8_t)((total - 40) >> 8);
    buf[5] = (uint8_t)(total - 40);
    buf[7] = 64;
    memcpy(buf + 8, SRC6, 16);
    memcpy(buf + 24, DST6, 16);
    return total;
}

static void expect_tcp6(const struct tr_packet *p, uint32_t plen)
{
    ASSERT_EQ(p->kind, TR_PKT_TCP6);
    ASSERT(memcmp(p->src6, SRC6, 16) == 0);
    ASSERT(memcmp(p->dst6, DST6, 16) == 0);
    ASSERT_EQ(p->seg.ip.src, 0);
    ASSERT_EQ(p->seg.ip.proto, SYNACK_IPPROTO_TCP);
    ASSERT_EQ(p->seg.tcp.sport, 40000);
    ASSERT_EQ(p->seg.tcp.dport, 5001);
    ASSERT_EQ(p->seg.tcp.seq, 1001);
    ASSERT_EQ(p->seg.tcp.ack, 2001);
    ASSERT_EQ(p->seg.tcp.flags, SYNACK_TCP_ACK | SYNACK_TCP_PSH);
    ASSERT_EQ(p->seg.tcp.window, 502);
    ASSERT_EQ(p->seg.payload_len, plen);
}

TEST(capture_ipv6_tcp_every_link_type)
{
    uint8_t ip[1700], frame[1800];
    size_t n = make_ip6(ip, sizeof ip, 100, NULL, 0, 0);
    ASSERT_EQ(n, 40 + 32 + 100); /* TCP header with timestamps: 32 bytes */
    struct tr_packet p;
    memset(&p, 0, sizeof p);
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_TCP6);
    expect_tcp6(&p, 100);
    ASSERT(p.seg.tcp.opts.has_ts);
    ASSERT_EQ(p.seg.tcp.opts.ts_val, 7);
    ASSERT_EQ(p.payload_captured, 100);
    ASSERT(p.seg.payload == ip + 72);
    ASSERT(!p.truncated && !p.opts_cut);
    /* Ethernet with a VLAN tag */
    static const uint8_t eth[18] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0, 0, 5, 0x86, 0xdd};
    memcpy(frame, eth, sizeof eth);
    memcpy(frame + sizeof eth, ip, n);
    memset(&p, 0, sizeof p);
    ASSERT_EQ(tr_decode(TR_LINK_ETHERNET, frame, (uint32_t)(n + 18), (uint32_t)(n + 18), &p),
              TR_PKT_TCP6);
    expect_tcp6(&p, 100);
    /* Linux cooked v1: protocol at 14 */
    memset(frame, 0, 16);
    frame[14] = 0x86;
    frame[15] = 0xdd;
    memcpy(frame + 16, ip, n);
    memset(&p, 0, sizeof p);
    ASSERT_EQ(tr_decode(TR_LINK_SLL, frame, (uint32_t)(n + 16), (uint32_t)(n + 16), &p),
              TR_PKT_TCP6);
    expect_tcp6(&p, 100);
    /* BSD loopback: AF_INET6 is 30 on macOS (host order, here little-endian), 24 on NetBSD;
     * OpenBSD's loopback: network order */
    static const uint8_t fam[3][4] = {{30, 0, 0, 0}, {0, 0, 0, 24}, {0, 0, 0, 24}};
    static const enum tr_link links[3] = {TR_LINK_NULL, TR_LINK_NULL, TR_LINK_LOOP};
    for (int i = 0; i < 3; i++) {
        memcpy(frame, fam[i], 4);
        memcpy(frame + 4, ip, n);
        memset(&p, 0, sizeof p);
        ASSERT_EQ(tr_decode(links[i], frame, (uint32_t)(n + 4), (uint32_t)(n + 4), &p),
                  TR_PKT_TCP6);
        expect_tcp6(&p, 100);
    }
}

TEST(capture_ipv6_from_a_pcap_file_cut_by_the_snaplen)
{
    uint8_t ip[1700];
    size_t n = make_ip6(ip, sizeof ip, 1000, NULL, 0, 0);
    uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd};
    write_pcap(tmp_path("eth6"), 1, eth, sizeof eth, ip, n, 96, false, false);
    tr_capture *c = open_or_skip(path_buf);
    struct tr_packet p;
    char err[256];
    ASSERT_EQ(tr_capture_next(c, &p, err, sizeof err), 1);
    expect_tcp6(&p, 1000); /* the length from the IPv6 header, not the 96 bytes captured */
    ASSERT(p.truncated);
    ASSERT_EQ(p.payload_captured, 96 - 14 - 40 - 32);
    ASSERT_EQ(tr_capture_next(c, &p, err, sizeof err), 0);
    tr_capture_close(c);
    unlink(path_buf);
}

TEST(capture_ipv6_extension_headers_are_walked)
{
    /* hop-by-hop, routing, destination options of 16 bytes, an atomic fragment (RFC 6946:
     * offset 0, M 0, a whole datagram), AH, destination options: 72 bytes before TCP */
    static const int exts[] = {0, 43, 60 + 256, 44, 51, 60};
    uint8_t ip[1700];
    size_t n = make_ip6(ip, sizeof ip, 50, exts, 6, 0);
    ASSERT_EQ(n, 40 + 64 + 32 + 50);
    struct tr_packet p;
    memset(&p, 0, sizeof p);
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_TCP6);
    expect_tcp6(&p, 50);
    ASSERT(p.seg.payload == ip + 40 + 64 + 32);
    ASSERT_EQ(p.payload_captured, 50);
    /* eight are followed, a ninth is too many: counted, not analysed */
    static const int eight[] = {0, 60, 60, 60, 60, 60, 60, 60};
    static const int nine[] = {0, 60, 60, 60, 60, 60, 60, 60, 60};
    n = make_ip6(ip, sizeof ip, 10, eight, 8, 0);
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_TCP6);
    expect_tcp6(&p, 10);
    n = make_ip6(ip, sizeof ip, 10, nine, 9, 0);
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_IPV6_OTHER);
}

TEST(capture_ipv6_fragments_and_other_protocols_are_other)
{
    static const int frag[] = {44};
    uint8_t ip[1700];
    struct tr_packet p;
    memset(&p, 0, sizeof p);
    /* the first fragment: a TCP header, but not the whole segment */
    size_t n = make_ip6(ip, sizeof ip, 100, frag, 1, V6_FRAG_M);
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_IPV6_OTHER);
    /* a later fragment: no TCP header at all */
    n = make_ip6(ip, sizeof ip, 100, frag, 1, V6_FRAG_OFF(185));
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_IPV6_OTHER);
    n = make_ip6(ip, sizeof ip, 100, frag, 1, V6_FRAG_OFF(185) | V6_FRAG_M);
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_IPV6_OTHER);
    /* UDP, ICMPv6, no next header, ESP (encrypted: nothing to read behind it) */
    static const uint8_t protos[] = {17, 58, 59, 50};
    for (size_t i = 0; i < sizeof protos; i++) {
        n = make_ip6(ip, sizeof ip, 100, NULL, 0, 0);
        ip[6] = protos[i];
        ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_IPV6_OTHER);
    }
    /* UDP behind a hop-by-hop header */
    static const int hbh[] = {0};
    n = make_ip6(ip, sizeof ip, 100, hbh, 1, 0);
    ip[40] = 17;
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_IPV6_OTHER);
}

TEST(capture_ipv6_lengths_bad_padded_and_tso)
{
    static const int dst[] = {60};
    uint8_t ip[1700];
    struct tr_packet p;
    memset(&p, 0, sizeof p);
    /* an extension header longer than the payload length says */
    size_t n = make_ip6(ip, sizeof ip, 0, dst, 1, 0);
    ip[41] = 200;
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_BAD);
    /* a TCP data offset beyond the payload length */
    n = make_ip6(ip, sizeof ip, 0, NULL, 0, 0);
    ip[5] = 24; /* 24 bytes of TCP, the header says 32 */
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, (uint32_t)n, (uint32_t)n, &p), TR_PKT_BAD);
    /* a version 4 datagram in an IPv6 ethertype */
    uint8_t frame[1800] = {[12] = 0x86, [13] = 0xdd};
    n = make_ip6(ip, sizeof ip, 10, NULL, 0, 0);
    memcpy(frame + 14, ip, n);
    frame[14] = 0x45;
    ASSERT_EQ(tr_decode(TR_LINK_ETHERNET, frame, (uint32_t)(n + 14), (uint32_t)(n + 14), &p),
              TR_PKT_BAD);
    /* Ethernet's minimum frame: padding after a short datagram is not payload */
    n = make_ip6(ip, sizeof ip, 2, NULL, 0, 0);
    memset(frame + 14, 0xee, 200);
    memcpy(frame + 14, ip, n);
    ASSERT_EQ(
        tr_decode(TR_LINK_ETHERNET, frame, (uint32_t)(n + 14 + 30), (uint32_t)(n + 14 + 30), &p),
        TR_PKT_TCP6);
    expect_tcp6(&p, 2);
    ASSERT_EQ(p.payload_captured, 2);
    /* a payload length of 0 (a GSO super-segment, or a jumbogram): the wire's length */
    n = make_ip6(ip, sizeof ip, 1000, NULL, 0, 0);
    ip[4] = ip[5] = 0;
    ASSERT_EQ(tr_decode(TR_LINK_RAW, ip, 120, (uint32_t)n, &p), TR_PKT_TCP6);
    expect_tcp6(&p, 1000);
    ASSERT(p.truncated);
}

/* Every cut of a datagram with extension headers, on an exact-size copy (ASan sees any read
 * past the end): truncated until the TCP header is in, then the segment, its length from
 * the IPv6 header, its options parsed only when all there. */
TEST(capture_ipv6_cut_anywhere_reads_nothing_past_the_end)
{
    static const int exts[] = {0, 43, 44, 60 + 256};
    uint8_t ip[1700];
    size_t n = make_ip6(ip, sizeof ip, 30, exts, 4, 0);
    const uint32_t tcp_at = 40 + 40;
    ASSERT_EQ(n, tcp_at + 32 + 30);
    for (uint32_t cut = 0; cut <= n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, ip, cut);
        struct tr_packet p;
        memset(&p, 0, sizeof p);
        enum tr_pkt_kind k = tr_decode(TR_LINK_RAW, copy, cut, (uint32_t)n, &p);
        if (cut < tcp_at + 20) {
            ASSERT_EQ(k, TR_PKT_TRUNCATED);
        } else {
            expect_tcp6(&p, 30);
            ASSERT_EQ(p.truncated, cut < n);
            ASSERT_EQ(p.opts_cut, cut < tcp_at + 32);
            ASSERT_EQ(p.seg.tcp.opts.has_ts, cut >= tcp_at + 32);
            ASSERT_EQ(p.payload_captured, cut >= tcp_at + 32 ? cut - tcp_at - 32 : 0);
        }
        free(copy);
    }
}

TEST_MAIN()
