/*
 * trace_file_test.c - `synack trace` end to end on a capture the test writes with synack's own
 * pcap writer: the terminal output against a golden file (ladders, phases, inferred states,
 * annotations, the table), --conn, --absolute, --tsv, and the SVG and HTML files (complete,
 * self-contained: no script, no external resource).
 *
 * SYNACK_UPDATE_GOLDEN=1 rewrites the golden file instead of comparing (review the diff).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synack/synack.h"
#include "synack/trace.h"
#include "test.h"
#include "wire/wire.h"

#define CLI 0x0a630001u /* 10.99.0.1 */
#define SRV 0x0a630002u /* 10.99.0.2 */
#define SYN SYNACK_TCP_SYN
#define ACK SYNACK_TCP_ACK
#define FIN SYNACK_TCP_FIN
#define RST SYNACK_TCP_RST
#define PSH SYNACK_TCP_PSH

struct cap {
    synack_pcap_writer *w;
    uint16_t cport;
};

static void seg(struct cap *c, uint64_t t_us, bool from_client, uint16_t flags, uint32_t seq,
                uint32_t ack, uint32_t len, uint16_t win, uint32_t sack_l, uint32_t sack_r)
{
    static uint8_t payload[1460];
    uint8_t buf[1600];
    struct synack_ipv4_hdr ip = {.ttl = 64, .proto = SYNACK_IPPROTO_TCP, .frag = 0x4000};
    ip.src = from_client ? CLI : SRV;
    ip.dst = from_client ? SRV : CLI;
    struct synack_tcp_hdr h = {.seq = seq, .ack = ack, .flags = flags, .window = win};
    h.sport = from_client ? c->cport : 80;
    h.dport = from_client ? 80 : c->cport;
    if (flags & SYN) {
        h.opts.has_mss = true;
        h.opts.mss = 1460;
        h.opts.sack_permitted = true;
        h.opts.has_wscale = true;
        h.opts.wscale = 2;
    }
    if (sack_r) {
        h.opts.sack_count = 1;
        h.opts.sack[0].left = sack_l;
        h.opts.sack[0].right = sack_r;
    }
    size_t n = wire_segment_emit(buf, sizeof buf, &ip, &h, payload, len);
    ASSERT(n > 0);
    ASSERT_EQ(synack_pcap_write(c->w, 1700000000000000ull + t_us, buf, (uint32_t)n), 0);
}

#define MS 1000u

/* Three connections: a transfer with a loss recovered by fast retransmission and a 4-way
 * close; a SYN refused with an RST; the first 4-tuple used again. */
static void write_capture(const char *path)
{
    int err;
    struct cap c = {synack_pcap_open(path, &err), 40000};
    ASSERT(c.w != NULL);
    const uint32_t ci = 1000, si = 5000;
    seg(&c, 0, true, SYN, ci, 0, 0, 64240, 0, 0);
    seg(&c, 10 * MS, false, SYN | ACK, si, ci + 1, 0, 65160, 0, 0);
    seg(&c, 20 * MS, true, ACK, ci + 1, si + 1, 0, 16000, 0, 0);
    for (uint32_t i = 0; i < 5; i++)
        seg(&c, 21 * MS + i * 100, true, ACK, ci + 1 + i * 1000, si + 1, 1000, 16000, 0, 0);
    /* the second segment was lost after the capture point: the server SACKs the rest */
    seg(&c, 31 * MS, false, ACK, si + 1, ci + 1001, 0, 16000, 0, 0);
    for (uint32_t i = 0; i < 3; i++)
        seg(&c, 31 * MS + 200 + i * 100, false, ACK, si + 1, ci + 1001, 0, 16000, ci + 2001,
            ci + 3001 + i * 1000);
    seg(&c, 32 * MS, true, ACK, ci + 1001, si + 1, 1000, 16000, 0, 0);
    seg(&c, 42 * MS, false, ACK, si + 1, ci + 5001, 0, 16000, 0, 0);
    seg(&c, 43 * MS, false, ACK, si + 1, ci + 5001, 0, 16250, 0, 0); /* window update */
    seg(&c, 50 * MS, true, FIN | ACK, ci + 5001, si + 1, 0, 16000, 0, 0);
    seg(&c, 60 * MS, false, ACK, si + 1, ci + 5002, 0, 16250, 0, 0);
    seg(&c, 61 * MS, false, FIN | ACK, si + 1, ci + 5002, 0, 16250, 0, 0);
    seg(&c, 71 * MS, true, ACK, ci + 5002, si + 2, 0, 16000, 0, 0);
    /* refused */
    c.cport = 40001;
    seg(&c, 100 * MS, true, SYN, 77, 0, 0, 64240, 0, 0);
    seg(&c, 110 * MS, false, RST | ACK, 0, 78, 0, 0, 0, 0);
    /* the first 4-tuple again, after its TIME-WAIT would have ended */
    c.cport = 40000;
    seg(&c, 61000 * MS, true, SYN, 9000, 0, 0, 64240, 0, 0);
    seg(&c, 61010 * MS, false, SYN | ACK, 3000, 9001, 0, 65160, 0, 0);
    seg(&c, 61020 * MS, true, ACK, 9001, 3001, 0, 16000, 0, 0);
    seg(&c, 61030 * MS, true, RST | ACK, 9001, 3001, 0, 0, 0, 0);
    synack_pcap_close(c.w);
}

static char dir_buf[128]; /* test program state */

/* A fresh directory to work in, so that the file names in the output are the same each run. */
static void enter_tmpdir(void)
{
    snprintf(dir_buf, sizeof dir_buf, "/tmp/synack-trace-file-XXXXXX");
    ASSERT(mkdtemp(dir_buf) != NULL);
    ASSERT_EQ(chdir(dir_buf), 0);
}

static void leave_tmpdir(void)
{
    if (system("rm -f capture.pcap out.html seq.svg ladder.svg") != 0) return;
    if (chdir("/") == 0) rmdir(dir_buf);
}

static char *run(const struct synack_trace_opts *o, int *rc)
{
    char *buf = NULL, *ebuf = NULL;
    size_t len = 0, elen = 0;
    FILE *out = open_memstream(&buf, &len), *err = open_memstream(&ebuf, &elen);
    *rc = synack_trace_file("capture.pcap", o, out, err);
    fclose(out);
    fclose(err);
    if (elen) fprintf(stderr, "    stderr: %s", ebuf);
    free(ebuf);
    return buf;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, out);
    fclose(f);
    fclose(out);
    return buf;
}

static void check_golden(const char *name, const char *text)
{
    const char *src = getenv("SYNACK_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/%s", src ? src : ".", name);
    if (getenv("SYNACK_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        ASSERT(f != NULL);
        fputs(text, f);
        fclose(f);
        return;
    }
    char *want = read_all(path);
    if (!want) fprintf(stderr, "    cannot read %s (SYNACK_SRC?)\n", path);
    ASSERT(want != NULL);
    if (strcmp(want, text) != 0) fprintf(stderr, "    %s differs; got:\n%s\n", path, text);
    ASSERT(strcmp(want, text) == 0);
    free(want);
}

static bool have_pcap(void)
{
    char *buf = NULL, *ebuf = NULL;
    size_t len = 0, elen = 0;
    FILE *out = open_memstream(&buf, &len), *err = open_memstream(&ebuf, &elen);
    int rc = synack_trace_file("capture.pcap", NULL, out, err);
    fclose(out);
    fclose(err);
    bool ok = !(rc != 0 && strstr(ebuf, "without libpcap"));
    free(buf);
    free(ebuf);
    return ok;
}

#define SETUP()                                                                                    \
    enter_tmpdir();                                                                                \
    write_capture("capture.pcap");                                                                 \
    if (!have_pcap()) {                                                                            \
        leave_tmpdir();                                                                            \
        TEST_SKIP("built without libpcap");                                                        \
    }

TEST(trace_file_golden_terminal_output)
{
    SETUP();
    int rc;
    char *text = run(NULL, &rc);
    ASSERT_EQ(rc, 0);
    check_golden("trace_capture.txt", text);
    /* what the golden file must show, whatever its layout */
    ASSERT(strstr(text, "3-way handshake") != NULL);
    ASSERT(strstr(text, "4-way close") != NULL);
    ASSERT(strstr(text, "TIME-WAIT: client waits 2×MSL") != NULL);
    ASSERT(strstr(text, "(fast retransmission)") != NULL);
    ASSERT(strstr(text, "dup ack #3") != NULL);
    ASSERT(strstr(text, "window update") != NULL);
    ASSERT(strstr(text, "<sack 2001-5001>") != NULL);
    ASSERT(strstr(text, "refused (RST to the SYN)") != NULL);
    ASSERT(strstr(text, "4-tuple reused") != NULL);
    ASSERT(strstr(text, "4-way close (client first)") != NULL);
    free(text);
    leave_tmpdir();
}

TEST(trace_file_one_connection_absolute_and_color)
{
    SETUP();
    struct synack_trace_opts o = {.conn = 1, .absolute = true, .color = true};
    int rc;
    char *text = run(&o, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT(strstr(text, "connection 1") != NULL);
    ASSERT(strstr(text, "connection 2:") == NULL);
    ASSERT(strstr(text, "seq=1000\033") != NULL); /* the ISN itself, then a colour reset */
    ASSERT(strstr(text, "\033[32m") != NULL);     /* SYN green */
    free(text);
    o.conn = 9;
    text = run(&o, &rc);
    ASSERT_EQ(rc, SYNACK_EINVAL); /* there is no connection 9 */
    free(text);
    leave_tmpdir();
}

TEST(trace_file_segment_limit_says_how_many_were_left_out)
{
    SETUP();
    struct synack_trace_opts o = {.max_ladder_segments = 4};
    int rc;
    char *text = run(&o, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT(strstr(text, "… 15 more segments (--conn 1 draws all)") != NULL);
    free(text);
    leave_tmpdir();
}

TEST(trace_file_tsv_uses_tshark_field_names)
{
    SETUP();
    struct synack_trace_opts o = {.tsv = true};
    int rc;
    char *text = run(&o, &rc);
    ASSERT_EQ(rc, 0);
    /* frame 13 is the fast retransmission: tshark flags it as a retransmission too */
    ASSERT(strstr(text, "\n13\t1\tretransmission,fast_retransmission\n") != NULL);
    ASSERT(strstr(text, "\n12\t1\tduplicate_ack\n") != NULL);
    ASSERT(strstr(text, "\n15\t1\twindow_update\n") != NULL);
    ASSERT(strstr(text, "\n21\t2\treset\n") != NULL);
    ASSERT(strstr(text, "\n22\t3\treused_ports\n") != NULL);
    free(text);
    leave_tmpdir();
}

/* Checks an SVG or HTML file: complete, and nothing loaded from elsewhere. */
static void check_self_contained(const char *path, const char *first, const char *last)
{
    char *s = read_all(path);
    ASSERT(s != NULL);
    ASSERT(strstr(s, first) != NULL);
    size_t n = strlen(s);
    ASSERT(n > strlen(last));
    ASSERT(strstr(s + n - strlen(last) - 2, last) != NULL);
    ASSERT(strstr(s, "<script") == NULL);
    /* the only URL is the SVG namespace */
    for (const char *p = s; (p = strstr(p, "http")) != NULL; p++)
        ASSERT(strncmp(p, "http://www.w3.org/2000/svg", 26) == 0);
    ASSERT(strstr(s, "src=") == NULL);
    free(s);
}

TEST(trace_file_svg_and_html)
{
    SETUP();
    struct synack_trace_opts o = {.quiet = true,
                                  .html_path = "out.html",
                                  .svg_seq_path = "seq.svg",
                                  .svg_ladder_path = "ladder.svg"};
    int rc;
    char *text = run(&o, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT(strstr(text, "ladder") == NULL || strstr(text, "│") == NULL); /* no ladders */
    free(text);
    check_self_contained("seq.svg", "<svg", "</svg>");
    check_self_contained("ladder.svg", "<svg", "</svg>");
    check_self_contained("out.html", "<!DOCTYPE html>", "</html>");
    char *html = read_all("out.html");
    ASSERT(strstr(html, "Connection 1:") != NULL);
    ASSERT(strstr(html, "Connection 3:") != NULL);
    ASSERT(strstr(html, "State timeline") != NULL);
    ASSERT(strstr(html, "Time-sequence graph") != NULL);
    ASSERT(strstr(html, "TIME-WAIT") != NULL);
    ASSERT(strstr(html, "&lt;") == NULL || strstr(html, "<mss") == NULL); /* escaped */
    free(html);
    char *seq = read_all("seq.svg");
    ASSERT(strstr(seq, "#8250df") != NULL);               /* a SACK block */
    ASSERT(strstr(seq, "retransmitted</title>") != NULL); /* the retransmission marked */
    free(seq);
    leave_tmpdir();
}

/* Captures of Linux talking to Linux (tcpdump on a veth pair, Ethernet link type): an echo
 * with the 4-way close, a simultaneous close, a close by RST; and over IPv6 (linux6: made by
 * trace_netns6.sh, a close by RST and a transfer whose client sends a destination-options
 * header on each segment, cut by a 104-byte snaplen, and neighbour discovery between them).
 * Their drawings are golden. */
TEST(trace_file_golden_linux_captures)
{
    const char *src = getenv("SYNACK_SRC");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/data", src ? src : ".");
    static const char *const names[] = {"linux_echo", "linux_simul_close", "linux_reset", "linux6"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char cwd[1024];
        ASSERT(getcwd(cwd, sizeof cwd) != NULL);
        ASSERT_EQ(chdir(dir), 0);
        char pcap[128], golden[128];
        snprintf(pcap, sizeof pcap, "%s.pcap", names[i]);
        snprintf(golden, sizeof golden, "%s.txt", names[i]);
        char *buf = NULL, *ebuf = NULL;
        size_t len = 0, elen = 0;
        FILE *out = open_memstream(&buf, &len), *err = open_memstream(&ebuf, &elen);
        int rc = synack_trace_file(pcap, NULL, out, err);
        fclose(out);
        fclose(err);
        ASSERT_EQ(chdir(cwd), 0);
        if (rc != 0 && strstr(ebuf, "without libpcap")) TEST_SKIP("built without libpcap");
        ASSERT_EQ(rc, 0);
        check_golden(golden, buf);
        free(buf);
        free(ebuf);
    }
}

/* linux6.pcap through every output: the IPv6 endpoints as tshark writes them, annotations. */
TEST(trace_file_ipv6_capture_every_output)
{
    const char *src = getenv("SYNACK_SRC");
    char pcap[1024];
    snprintf(pcap, sizeof pcap, "%s/tests/data/linux6.pcap", src ? src : ".");
    enter_tmpdir();
    struct synack_trace_opts o = {0};
    char *buf = NULL, *ebuf = NULL;
    size_t len = 0, elen = 0;
    FILE *out = open_memstream(&buf, &len), *err = open_memstream(&ebuf, &elen);
    int rc = synack_trace_file(pcap, &o, out, err);
    fclose(out);
    fclose(err);
    if (rc != 0 && strstr(ebuf, "without libpcap")) {
        leave_tmpdir();
        TEST_SKIP("built without libpcap");
    }
    ASSERT_EQ(rc, 0);
    ASSERT(strstr(buf, "connection 2: [fd00:99::1]:33376 → [fd00:99::2]:5005") != NULL);
    ASSERT(strstr(buf, "client [fd00:99::1]:33376") != NULL);
    ASSERT(strstr(buf, "58 TCP/IPv6 in 2 connections, 5 other IPv6") != NULL);
    ASSERT(strstr(buf, "reset by server") != NULL);
    ASSERT(strstr(buf, "4-way close (client first)") != NULL);
    ASSERT(strstr(buf, "(retransmission)") != NULL);
    free(buf);
    free(ebuf);
    /* --tsv: tshark's frame numbers, the other IPv6 packets counted among them */
    o.tsv = true;
    out = open_memstream(&buf, &len);
    err = open_memstream(&ebuf, &elen);
    ASSERT_EQ(synack_trace_file(pcap, &o, out, err), 0);
    fclose(out);
    fclose(err);
    ASSERT(strstr(buf, "\n7\t1\treset\n") != NULL);
    ASSERT(strstr(buf, "\n8\t") == NULL); /* neighbour discovery: not TCP */
    ASSERT(strstr(buf, "\n60\t2\tretransmission\n") != NULL);
    free(buf);
    free(ebuf);
    struct synack_trace_opts p = {.quiet = true,
                                  .conn = 2,
                                  .html_path = "out.html",
                                  .svg_seq_path = "seq.svg",
                                  .svg_ladder_path = "ladder.svg"};
    out = open_memstream(&buf, &len);
    err = open_memstream(&ebuf, &elen);
    ASSERT_EQ(synack_trace_file(pcap, &p, out, err), 0);
    fclose(out);
    fclose(err);
    free(buf);
    free(ebuf);
    check_self_contained("seq.svg", "<svg", "</svg>");
    check_self_contained("ladder.svg", "<svg", "</svg>");
    check_self_contained("out.html", "<!DOCTYPE html>", "</html>");
    char *svg = read_all("ladder.svg");
    ASSERT(strstr(svg, "client [fd00:99::1]:33376") != NULL);
    ASSERT(strstr(svg, "server [fd00:99::2]:5005") != NULL);
    free(svg);
    svg = read_all("seq.svg");
    ASSERT(strstr(svg, "[fd00:99::1]:33376") != NULL);
    ASSERT(strstr(svg, "retransmitted</title>") != NULL);
    free(svg);
    char *html = read_all("out.html");
    ASSERT(strstr(html, "58 TCP/IPv6 in 2 connections") != NULL);
    ASSERT(strstr(html, "Connection 2:") != NULL);
    ASSERT(strstr(html, "[fd00:99::2]:5005") != NULL);
    ASSERT(strstr(html, "State timeline") != NULL);
    free(html);
    leave_tmpdir();
}

TEST(trace_file_draws_any_capture)
{
    /* random segments on a few 4-tuples, through every output: no crash, no UB, files
     * complete */
    enter_tmpdir();
    int err;
    struct cap c = {synack_pcap_open("capture.pcap", &err), 40000};
    ASSERT(c.w != NULL);
    uint64_t x = 7;
    test_seed(x);
    for (int i = 0; i < 3000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t r = x >> 11;
        c.cport = (uint16_t)(40000 + r % 3);
        uint16_t flags = (uint16_t)((r >> 3) & 0x3f);
        uint32_t base = (r >> 10) % 4 ? 0xffffff00u : (uint32_t)(r >> 12);
        seg(&c, (uint64_t)i * ((r >> 20) % 2 ? 100 : 50000), (r >> 21) & 1, flags,
            base + (uint32_t)((r >> 22) % 5000), base + (uint32_t)((r >> 34) % 5000),
            (uint32_t)((r >> 46) % 3 ? 0 : (r >> 48) % 1460), (uint16_t)(r >> 30),
            (r >> 60) & 1 ? base : 0, (r >> 60) & 1 ? base + 100 : 0);
    }
    synack_pcap_close(c.w);
    if (!have_pcap()) {
        leave_tmpdir();
        TEST_SKIP("built without libpcap");
    }
    struct synack_trace_opts o = {.color = true,
                                  .html_path = "out.html",
                                  .svg_seq_path = "seq.svg",
                                  .svg_ladder_path = "ladder.svg"};
    int rc;
    char *text = run(&o, &rc);
    ASSERT_EQ(rc, 0);
    free(text);
    check_self_contained("seq.svg", "<svg", "</svg>");
    check_self_contained("ladder.svg", "<svg", "</svg>");
    check_self_contained("out.html", "<!DOCTYPE html>", "</html>");
    o.conn = 2;
    o.color = false;
    o.absolute = true;
    text = run(&o, &rc);
    ASSERT_EQ(rc, 0);
    free(text);
    leave_tmpdir();
}

TEST(trace_file_errors)
{
    char *ebuf = NULL;
    size_t elen = 0;
    FILE *err = open_memstream(&ebuf, &elen);
    ASSERT(synack_trace_file("/nonexistent/none.pcap", NULL, stdout, err) < 0);
    ASSERT_EQ(synack_trace_file(NULL, NULL, stdout, err), SYNACK_EINVAL);
    fclose(err);
    ASSERT(strstr(ebuf, "synack trace:") != NULL);
    free(ebuf);
}

TEST_MAIN()
