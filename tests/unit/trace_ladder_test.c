/*
 * trace_ladder_test.c - the ladder renderer against golden text: a hand-made event stream of
 * one whole connection (handshake, data with a loss and a retransmission, 4-way close,
 * TIME-WAIT to CLOSED), as the two stacks of `synack demo` would emit it.
 *
 * SYNACK_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing (review the diff).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "synack/trace.h"
#include "test.h"

#define CLI_ADDR synack_addr_v4(0x0a000001u) /* 10.0.0.1 */
#define SRV_ADDR synack_addr_v4(0x0a000002u) /* 10.0.0.2 */
#define CLI_PORT 49152
#define SRV_PORT 7
#define CLI_ISN  1000u
#define SRV_ISN  5000u

typedef void (*sink_fn)(void *, const struct synack_trace_event *);

struct feeder {
    sink_fn fn;
    void *ctx;
};

static void state(struct feeder *f, uint64_t now, bool server, int from, int to, bool listener)
{
    struct synack_trace_event ev = {0};
    ev.kind = SYNACK_TRACE_STATE;
    ev.now = now;
    ev.who = server ? "server" : "client";
    ev.local_addr = server ? SRV_ADDR : CLI_ADDR;
    ev.local_port = server ? SRV_PORT : CLI_PORT;
    if (!listener) {
        ev.remote_addr = server ? CLI_ADDR : SRV_ADDR;
        ev.remote_port = server ? CLI_PORT : SRV_PORT;
    }
    ev.old_state = from;
    ev.new_state = to;
    f->fn(f->ctx, &ev);
}

static void timer(struct feeder *f, uint64_t now, bool server, int kind)
{
    struct synack_trace_event ev = {0};
    ev.kind = SYNACK_TRACE_TIMER;
    ev.now = now;
    ev.who = server ? "server" : "client";
    ev.local_addr = server ? SRV_ADDR : CLI_ADDR;
    ev.local_port = server ? SRV_PORT : CLI_PORT;
    ev.remote_addr = server ? CLI_ADDR : SRV_ADDR;
    ev.remote_port = server ? CLI_PORT : SRV_PORT;
    ev.timer = kind;
    f->fn(f->ctx, &ev);
}

static struct synack_trace_event seg_ev(int kind, uint64_t now, bool server, uint16_t flags,
                                        uint32_t seq, uint32_t ack, uint32_t len, uint16_t win)
{
    struct synack_trace_event ev = {0};
    ev.kind = kind;
    ev.now = now;
    ev.who = server ? "server" : "client";
    ev.has_seg = true;
    ev.local_addr = server ? SRV_ADDR : CLI_ADDR;
    ev.local_port = server ? SRV_PORT : CLI_PORT;
    ev.remote_addr = server ? CLI_ADDR : SRV_ADDR;
    ev.remote_port = server ? CLI_PORT : SRV_PORT;
    ev.seg.family = SYNACK_AF_INET;
    ev.seg.src = ev.local_addr;
    ev.seg.dst = ev.remote_addr;
    ev.seg.ip.src = synack_addr_to_v4(&ev.local_addr);
    ev.seg.ip.dst = synack_addr_to_v4(&ev.remote_addr);
    ev.seg.ip.proto = SYNACK_IPPROTO_TCP;
    ev.seg.tcp.sport = ev.local_port;
    ev.seg.tcp.dport = ev.remote_port;
    ev.seg.tcp.flags = flags;
    ev.seg.tcp.seq = seq;
    ev.seg.tcp.ack = ack;
    ev.seg.tcp.window = win;
    ev.seg.payload_len = len;
    if (flags & SYNACK_TCP_SYN) {
        ev.seg.tcp.opts.has_mss = true;
        ev.seg.tcp.opts.mss = 1460;
        ev.seg.tcp.opts.sack_permitted = true;
        ev.seg.tcp.opts.has_ts = true;
        ev.seg.tcp.opts.has_wscale = true;
        ev.seg.tcp.opts.wscale = 7;
    }
    return ev;
}

/* A segment sent by one side and received by the other `delay` later. */
static void send_seg(struct feeder *f, uint64_t now, bool server, uint16_t flags, uint32_t seq,
                     uint32_t ack, uint32_t len, uint16_t win, bool rtx)
{
    struct synack_trace_event ev =
        seg_ev(SYNACK_TRACE_SEG_OUT, now, server, flags, seq, ack, len, win);
    ev.retransmit = rtx;
    f->fn(f->ctx, &ev);
}

static void recv_seg(struct feeder *f, uint64_t now, bool server, uint16_t flags, uint32_t seq,
                     uint32_t ack, uint32_t len, uint16_t win)
{
    /* the receiver's view: server=true means the server received it */
    struct synack_trace_event ev =
        seg_ev(SYNACK_TRACE_SEG_IN, now, !server, flags, seq, ack, len, win);
    ev.who = server ? "server" : "client";
    f->fn(f->ctx, &ev);
}

static void link_ev(struct feeder *f, uint64_t now, bool server, int what, uint16_t flags,
                    uint32_t seq, uint32_t ack, uint32_t len, uint16_t win)
{
    struct synack_trace_event ev =
        seg_ev(SYNACK_TRACE_LINK, now, server, flags, seq, ack, len, win);
    ev.who = "link";
    ev.link_event = what;
    f->fn(f->ctx, &ev);
}

static void drop(struct feeder *f, uint64_t now, bool server_sent, int reason, uint16_t flags,
                 uint32_t seq, uint32_t ack, uint32_t len, uint16_t win)
{
    struct synack_trace_event ev =
        seg_ev(SYNACK_TRACE_DROP, now, server_sent, flags, seq, ack, len, win);
    ev.who = server_sent ? "client" : "server";
    ev.reason = reason;
    f->fn(f->ctx, &ev);
}

#define A  SYNACK_TCP_ACK
#define P  SYNACK_TCP_PSH
#define S  SYNACK_TCP_SYN
#define F  SYNACK_TCP_FIN
#define MS 1000u

/* The whole life of one connection, one-way delay 5 ms, as two stacks and a lossy link emit
 * it: the client's second data segment is lost and retransmitted by the RTO; the server's
 * echo of it arrives corrupted once and is dropped by the client's checksum; the close is the
 * 4-way close with the client closing first; TIME-WAIT lasts 2 x MSL = 60 s. */
static void demo_connection(struct feeder *f)
{
    uint32_t c = CLI_ISN, s = SRV_ISN;
    state(f, 0, true, SYNACK_CLOSED, SYNACK_LISTEN, true);
    state(f, 0, false, SYNACK_CLOSED, SYNACK_SYN_SENT, false);
    send_seg(f, 0, false, S, c, 0, 0, 65535, false);
    recv_seg(f, 5 * MS, true, S, c, 0, 0, 65535);
    state(f, 5 * MS, true, SYNACK_LISTEN, SYNACK_SYN_RECEIVED, false);
    send_seg(f, 5 * MS, true, S | A, s, c + 1, 0, 65535, false);
    recv_seg(f, 10 * MS, false, S | A, s, c + 1, 0, 65535);
    state(f, 10 * MS, false, SYNACK_SYN_SENT, SYNACK_ESTABLISHED, false);
    send_seg(f, 10 * MS, false, A, c + 1, s + 1, 0, 512, false);
    send_seg(f, 10 * MS, false, P | A, c + 1, s + 1, 100, 512, false);
    /* the second data segment is lost on the link */
    send_seg(f, 10 * MS, false, P | A, c + 101, s + 1, 50, 512, false);
    link_ev(f, 10 * MS, false, SYNACK_LINK_LOST, P | A, c + 101, s + 1, 50, 512);
    recv_seg(f, 15 * MS, true, A, c + 1, s + 1, 0, 512);
    state(f, 15 * MS, true, SYNACK_SYN_RECEIVED, SYNACK_ESTABLISHED, false);
    recv_seg(f, 15 * MS, true, P | A, c + 1, s + 1, 100, 512);
    send_seg(f, 15 * MS, true, P | A, s + 1, c + 101, 100, 512, false);
    link_ev(f, 15 * MS, true, SYNACK_LINK_CORRUPTED, P | A, s + 1, c + 101, 100, 512);
    drop(f, 20 * MS, true, SYNACK_DROP_TCP_CHECKSUM, P | A, s + 1, c + 101, 100, 512);
    /* RTO fires at the client (1 s initial RTO, RFC 6298 §2.1) */
    timer(f, 1010 * MS, false, SYNACK_TIMER_RTX);
    send_seg(f, 1010 * MS, false, P | A, c + 101, s + 1, 50, 512, true);
    recv_seg(f, 1015 * MS, true, P | A, c + 101, s + 1, 50, 512);
    /* the server's RTO for its corrupted echo fires too */
    timer(f, 1015 * MS, true, SYNACK_TIMER_RTX);
    send_seg(f, 1015 * MS, true, P | A, s + 1, c + 151, 150, 512, true);
    link_ev(f, 1015 * MS, true, SYNACK_LINK_DUPLICATED, P | A, s + 1, c + 151, 150, 512);
    recv_seg(f, 1020 * MS, false, P | A, s + 1, c + 151, 150, 512);
    recv_seg(f, 1020 * MS, false, P | A, s + 1, c + 151, 150, 512);
    send_seg(f, 1020 * MS, false, A, c + 151, s + 151, 0, 512, false);
    /* 4-way close, the client first (RFC 9293 §3.6, figure 12) */
    state(f, 1100 * MS, false, SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1, false);
    send_seg(f, 1100 * MS, false, F | A, c + 151, s + 151, 0, 512, false);
    recv_seg(f, 1105 * MS, true, F | A, c + 151, s + 151, 0, 512);
    state(f, 1105 * MS, true, SYNACK_ESTABLISHED, SYNACK_CLOSE_WAIT, false);
    send_seg(f, 1105 * MS, true, A, s + 151, c + 152, 0, 512, false);
    state(f, 1105 * MS, true, SYNACK_CLOSE_WAIT, SYNACK_LAST_ACK, false);
    send_seg(f, 1105 * MS, true, F | A, s + 151, c + 152, 0, 512, false);
    recv_seg(f, 1110 * MS, false, A, s + 151, c + 152, 0, 512);
    state(f, 1110 * MS, false, SYNACK_FIN_WAIT_1, SYNACK_FIN_WAIT_2, false);
    recv_seg(f, 1110 * MS, false, F | A, s + 151, c + 152, 0, 512);
    state(f, 1110 * MS, false, SYNACK_FIN_WAIT_2, SYNACK_TIME_WAIT, false);
    send_seg(f, 1110 * MS, false, A, c + 152, s + 152, 0, 512, false);
    recv_seg(f, 1115 * MS, true, A, c + 152, s + 152, 0, 512);
    state(f, 1115 * MS, true, SYNACK_LAST_ACK, SYNACK_CLOSED, false);
    /* 2 x MSL (RFC 9293 §3.4.2) */
    timer(f, 61110 * MS, false, SYNACK_TIMER_TIME_WAIT);
    state(f, 61110 * MS, false, SYNACK_TIME_WAIT, SYNACK_CLOSED, false);
}

/* Renders demo_connection() into a string. */
static char *render(const struct synack_ladder_opts *opts, struct synack_addr la, uint16_t lp,
                    struct synack_addr ra, uint16_t rp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ASSERT(out != NULL);
    synack_ladder *l = synack_ladder_new(out, opts, la, lp, ra, rp);
    ASSERT(l != NULL);
    struct feeder f = {synack_ladder_event, l};
    demo_connection(&f);
    synack_ladder_finish(l);
    synack_ladder_free(l);
    fclose(out);
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

/* Compares text with tests/data/<name>, or rewrites it when SYNACK_UPDATE_GOLDEN is set. */
static void check_golden(const char *name, const char *text)
{
    const char *src = getenv("SYNACK_SRC");
    if (!src) src = ".";
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/%s", src, name);
    if (getenv("SYNACK_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        ASSERT(f != NULL);
        fputs(text, f);
        fclose(f);
        return;
    }
    char *want = read_all(path);
    if (!want) {
        fprintf(stderr, "    cannot read %s\n", path);
        ASSERT(want != NULL);
    }
    if (strcmp(want, text) != 0) {
        fprintf(stderr, "    %s differs; got:\n%s\n", path, text);
        free(want);
        ASSERT(!"golden text differs");
    }
    free(want);
}

/* Removes ANSI SGR sequences in place. */
static void strip_ansi(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\033' && r[1] == '[') {
            r += 2;
            while (*r && *r != 'm') r++;
            if (*r) r++;
            continue;
        }
        *w++ = *r++;
    }
    *w = 0;
}

static const struct synack_ladder_opts plain_opts = {
    .show_timers = true, .show_drops = true, .left_name = "client", .right_name = "server"};

TEST(ladder_golden_demo_connection)
{
    char *text = render(&plain_opts, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
    ASSERT(strstr(text, "\033[") == NULL); /* plain when color is off */
    check_golden("ladder_demo.txt", text);
    free(text);
}

TEST(ladder_golden_absolute_no_notes)
{
    struct synack_ladder_opts o = {.absolute = true, .left_name = "client", .right_name = "server"};
    char *text = render(&o, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
    check_golden("ladder_demo_absolute.txt", text);
    ASSERT(strstr(text, "seq=1000 ") != NULL);
    ASSERT(strstr(text, "timer") == NULL);
    ASSERT(strstr(text, "dropped") == NULL);
    free(text);
}

TEST(ladder_color_is_plain_text_plus_sgr)
{
    struct synack_ladder_opts o = plain_opts;
    o.color = true;
    char *colored = render(&o, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
    char *plain = render(&plain_opts, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
    ASSERT(strstr(colored, "\033[32m") != NULL); /* SYN green */
    ASSERT(strstr(colored, "\033[34m") != NULL); /* FIN blue */
    ASSERT(strstr(colored, "\033[33m") != NULL); /* lost / retransmission yellow */
    strip_ansi(colored);
    ASSERT_STR_EQ(colored, plain);
    free(colored);
    free(plain);
}

TEST(ladder_learns_endpoints_when_not_given)
{
    /* 0.0.0.0:0 on both sides: the listener becomes the right column, the client the left */
    char *text = render(&plain_opts, SYNACK_ADDR_ANY, 0, SYNACK_ADDR_ANY, 0);
    char *want = render(&plain_opts, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
    ASSERT_STR_EQ(text, want);
    free(text);
    free(want);
}

TEST(ladder_every_line_fits_the_width)
{
    for (int width = 80; width <= 140; width += 20) {
        struct synack_ladder_opts o = plain_opts;
        o.width = width;
        char *text = render(&o, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
        int cols = 0, lines = 0;
        for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
            if (*p == '\n') {
                ASSERT(cols <= width);
                cols = 0;
                lines++;
            } else if ((*p & 0xc0) != 0x80) {
                cols++;
            }
        }
        ASSERT(lines > 20);
        free(text);
    }
}

/* A sink that feeds the ladder with events of a second connection interleaved. */
struct two {
    synack_ladder *l;
};

static void with_noise(void *ctx, const struct synack_trace_event *ev)
{
    struct two *t = ctx;
    synack_ladder_event(t->l, ev);
    struct synack_trace_event other = *ev;
    /* the same event on another client port: another connection */
    if (other.has_seg) {
        if (other.seg.tcp.sport == CLI_PORT) other.seg.tcp.sport = CLI_PORT + 1;
        if (other.seg.tcp.dport == CLI_PORT) other.seg.tcp.dport = CLI_PORT + 1;
    }
    if (other.local_port == CLI_PORT) other.local_port = CLI_PORT + 1;
    if (other.remote_port == CLI_PORT) other.remote_port = CLI_PORT + 1;
    if (other.remote_port == 0 && other.kind == SYNACK_TRACE_STATE) return; /* one listener */
    synack_ladder_event(t->l, &other);
}

TEST(ladder_ignores_other_connections)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    synack_ladder *l = synack_ladder_new(out, &plain_opts, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
    struct two t = {l};
    struct feeder f = {with_noise, &t};
    demo_connection(&f);
    synack_ladder_finish(l);
    synack_ladder_free(l);
    fclose(out);
    char *want = render(&plain_opts, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
    ASSERT_STR_EQ(buf, want);
    free(buf);
    free(want);
}

TEST(ladder_link_event_after_the_line_is_out_gets_its_own_line)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    synack_ladder *l = synack_ladder_new(out, &plain_opts, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
    struct feeder f = {synack_ladder_event, l};
    send_seg(&f, 0, false, S, CLI_ISN, 0, 0, 65535, false);
    /* more lines than the renderer holds back: the SYN's line is printed */
    for (uint32_t i = 0; i < 200; i++)
        send_seg(&f, (i + 1) * MS, false, A, CLI_ISN + 1, SRV_ISN + 1, 0, 512, false);
    link_ev(&f, 300 * MS, false, SYNACK_LINK_LOST, S, CLI_ISN, 0, 0, 65535);
    synack_ladder_finish(l);
    synack_ladder_free(l);
    fclose(out);
    ASSERT(strstr(buf, "link: lost SYN seq=0") != NULL);
    ASSERT(strstr(buf, "✗") == NULL);
    free(buf);
}

TEST(ladder_long_notes_wrap_inside_the_width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    synack_ladder *l = synack_ladder_new(out, &plain_opts, CLI_ADDR, CLI_PORT, SRV_ADDR, SRV_PORT);
    synack_ladder_note(l, 0, "3-way handshake");
    synack_ladder_note(l, 5,
                       "TIME-WAIT: the client holds the port pair for 2*MSL = 60 s, and a "
                       "little longer than one line can hold");
    synack_ladder_finish(l);
    synack_ladder_free(l);
    fclose(out);
    int cols = 0, lines = 0;
    for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
        if (*p == '\n') {
            ASSERT(cols <= 100);
            cols = 0;
            lines++;
        } else if ((*p & 0xc0) != 0x80) {
            cols++;
        }
    }
    ASSERT_EQ(lines, 1 + 1 + 3); /* heading, the phase, the long note on three lines */
    ASSERT(strstr(buf, "· 3-way handshake ·") != NULL);
    ASSERT(strstr(buf, "TIME-WAIT: the client holds") != NULL);
    free(buf);
}

TEST(ladder_null_and_empty_are_harmless)
{
    synack_ladder_event(NULL, NULL);
    synack_ladder_finish(NULL);
    synack_ladder_free(NULL);
    ASSERT(synack_ladder_new(NULL, NULL, SYNACK_ADDR_ANY, 0, SYNACK_ADDR_ANY, 0) == NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    synack_ladder *l = synack_ladder_new(out, NULL, synack_addr_v4(1), 2, synack_addr_v4(3), 4);
    synack_ladder_finish(l);
    synack_ladder_free(l);
    fclose(out);
    ASSERT_EQ(len, 0); /* nothing drawn: not even a heading */
    free(buf);
}

TEST_MAIN()
