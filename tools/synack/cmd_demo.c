/*
 * tools/synack/cmd_demo.c - `synack demo`: two stacks in one process over the simulated
 * link. The client opens a connection to the server's echo port, sends its bytes, reads
 * them back, and closes first; the server closes when it has seen the client's FIN. The
 * whole life of the connection is drawn as a ladder (small transfers) or summed up (large
 * ones). Everything runs on a virtual clock, so the 2*MSL of TIME-WAIT takes no time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "live_web.h"
#include "trace/ladder_row.h"
#include "synack/dev.h"
#include "synack/synack.h"
#include "synack/trace.h"

#define CLIENT_ADDR  0x0a000001u /* 10.0.0.1 */
#define SERVER_ADDR  0x0a000002u /* 10.0.0.2 */
#define CLIENT_ADDR6 "fd00::1"   /* --ipv6: a unique local address (RFC 4193) */
#define SERVER_ADDR6 "fd00::2"
#define ECHO_PORT    7     /* RFC 862 */
#define LADDER_MAX   65536 /* above this many bytes, a summary instead of a ladder */

struct demo_opts {
    uint64_t seed;
    double loss;
    uint64_t bytes;
    bool absolute, ladder_forced, timers, drops, ipv6;
    int color; /* -1 auto */
    const char *pcap;
    const char *html;
    const char *cc;
    uint64_t delay_us, bandwidth_bps, msl_us;
};

#define HTML_ROWS 5000 /* rows in the --html page at most */

struct demo_sink {
    synack_ladder *ladder;
    synack_ladder *rows; /* --html: the same ladder, its rows kept for the page */
    FILE *rows_json;     /* the rows as JSON, one after another */
    uint32_t nrows;
    uint64_t rows_cut;
    synack_pcap_writer *pcap;
    uint64_t link_lost;
};

/* --html: each row the ladder lays out, as the page steps through it (live_page.c) */
static void html_row(void *ctx, const struct ladder_row *r, uint64_t t0)
{
    struct demo_sink *s = ctx;
    if (s->nrows >= HTML_ROWS) {
        s->rows_cut++;
        return;
    }
    char svg[4096] = "";
    FILE *m = fmemopen(svg, sizeof svg, "w");
    int h = 0;
    if (m) {
        h = ladder_svg_row(m, r, t0);
        if (fclose(m) != 0) svg[0] = 0;
    }
    svg[sizeof svg - 1] = 0;
    /* the row in words, for the step's caption */
    char text[LADDER_TEXT + 64];
    size_t n = 0;
    text[0] = 0;
    for (int side = 0; side < 2; side++)
        if (r->state[side] >= 0)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s %s; ",
                                  side ? "server enters" : "client enters",
                                  synack_state_name(r->state[side]));
    if (r->has_seg && n < sizeof text)
        n +=
            (size_t)snprintf(text + n, sizeof text - n, "%s sends ", r->side ? "server" : "client");
    for (const char *p = r->text; *p && n + 1 < sizeof text; p++)
        text[n++] = (char)(*p == LADDER_TOK ? ' ' : *p);
    if (n >= sizeof text) n = sizeof text - 1;
    while (n && (text[n - 1] == ' ' || text[n - 1] == ';')) n--; /* a state alone */
    text[n] = 0;
    if (r->marks & (LADDER_MARK_LOST | LADDER_MARK_QDROP) && n + 12 < sizeof text)
        memcpy(text + n, " — lost", sizeof " — lost"); /* fits: n + 12 < sizeof text */
    fprintf(s->rows_json, "%s{\"i\":%" PRIu32 ",\"h\":%d,\"svg\":\"", s->nrows ? ",\n" : "",
            s->nrows, h);
    ladder_json_escape(s->rows_json, svg);
    fputs("\",\"text\":\"", s->rows_json);
    ladder_json_escape(s->rows_json, text);
    fputs("\"}", s->rows_json);
    s->nrows++;
}

static void note(struct demo_sink *s, uint64_t now, const char *text)
{
    if (s->ladder) synack_ladder_note(s->ladder, now, text);
    if (s->rows) synack_ladder_note(s->rows, now, text);
}

static void sink_event(void *ctx, const struct synack_trace_event *ev)
{
    struct demo_sink *s = ctx;
    if (s->ladder) synack_ladder_event(s->ladder, ev);
    if (s->rows) synack_ladder_event(s->rows, ev);
    if (s->pcap) synack_pcap_event(s->pcap, ev);
    if (ev->kind == SYNACK_TRACE_LINK && ev->link_event == SYNACK_LINK_LOST) s->link_lost++;
}

static void usage(FILE *f)
{
    fputs("usage: synack demo [--seed N] [--loss P] [--bytes N] [--absolute] [--pcap FILE]\n"
          "                   [--html FILE] [--ladder] [--timers] [--drops] [--color|--no-color]\n"
          "                   [--delay MS] [--bandwidth MBIT] [--msl S] [--cc newreno|cubic]\n"
          "                   [--ipv6]\n"
          "\n"
          "Two synack stacks in this process, client 10.0.0.1 and server 10.0.0.2, joined by a\n"
          "simulated link. The client connects to the server's echo port (7), sends N bytes,\n"
          "reads them back and closes; the server closes after the client's FIN. Shown: the\n"
          "3-way handshake, the data and its ACKs, the 4-way close and TIME-WAIT, with each\n"
          "side's state, as a ladder diagram. No root, no network.\n"
          "\n"
          "  --seed N        seeds the link's faults, the stacks' ISN secrets and ports (1)\n"
          "  --loss P        each datagram is lost with probability P, both ways (0)\n"
          "  --bytes N       bytes to echo (a short greeting); above 64 KiB a summary is\n"
          "                  printed instead of the ladder\n"
          "  --ladder        draw the ladder whatever the size\n"
          "  --absolute      real sequence numbers instead of relative ones\n"
          "  --pcap FILE     also write every datagram to FILE (raw IP, for tshark/wireshark)\n"
          "  --html FILE     also write the demo as one page (no external resources) that plays\n"
          "                  the connection step by step: play/pause, next/previous (the arrow\n"
          "                  keys), with the same ladder\n"
          "  --timers        show timer events;  --drops  show segments the stacks dropped\n"
          "  --delay MS      one-way delay of the link (5)\n"
          "  --bandwidth M   link rate in Mbit/s (100)\n"
          "  --msl S         Maximum Segment Lifetime; TIME-WAIT lasts 2*MSL (30)\n"
          "  --cc NAME       congestion control: newreno (default) or cubic\n"
          "  --ipv6          the same over IPv6: client fd00::1, server fd00::2\n",
          f);
}

static int parse(int argc, char **argv, struct demo_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->color = -1;
    o->delay_us = 5000;
    o->bandwidth_bps = 100000000;
    o->msl_us = 30000000;
    o->bytes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--absolute")) {
            o->absolute = true;
        } else if (!strcmp(a, "--ladder")) {
            o->ladder_forced = true;
        } else if (!strcmp(a, "--timers")) {
            o->timers = true;
        } else if (!strcmp(a, "--ipv6")) {
            o->ipv6 = true;
        } else if (!strcmp(a, "--drops")) {
            o->drops = true;
        } else if (!strcmp(a, "--color")) {
            o->color = 1;
        } else if (!strcmp(a, "--no-color")) {
            o->color = 0;
        } else if (v && !strcmp(a, "--seed")) {
            o->seed = strtoull(v, &end, 10);
            i++;
        } else if (v && !strcmp(a, "--loss")) {
            o->loss = strtod(v, &end);
            if (o->loss < 0 || o->loss >= 1) end = (char *)v;
            i++;
        } else if (v && !strcmp(a, "--bytes")) {
            o->bytes = strtoull(v, &end, 10);
            i++;
        } else if (v && !strcmp(a, "--cc")) {
            o->cc = v;
            end = strcmp(v, "newreno") != 0 && strcmp(v, "reno") != 0 && strcmp(v, "cubic") != 0
                      ? (char *)v
                      : (char *)"";
            i++;
        } else if (v && !strcmp(a, "--pcap")) {
            o->pcap = v;
            end = (char *)"";
            i++;
        } else if (v && !strcmp(a, "--html")) {
            o->html = v;
            end = (char *)"";
            i++;
        } else if (v && !strcmp(a, "--delay")) {
            o->delay_us = (uint64_t)(strtod(v, &end) * 1000);
            i++;
        } else if (v && !strcmp(a, "--bandwidth")) {
            o->bandwidth_bps = (uint64_t)(strtod(v, &end) * 1e6);
            i++;
        } else if (v && !strcmp(a, "--msl")) {
            o->msl_us = (uint64_t)(strtod(v, &end) * 1e6);
            i++;
        } else {
            fprintf(stderr, "synack demo: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (end && *end) {
            fprintf(stderr, "synack demo: bad value for %s: '%s'\n", a, v);
            return 2;
        }
    }
    return 0;
}

/* The client's data: a readable greeting for small demos, a seeded pattern for large. */
static uint8_t pattern(uint64_t seed, uint64_t i)
{
    uint64_t z = (i / 8 + seed) * 0x9e3779b97f4a7c15ULL;
    z ^= z >> 29;
    z *= 0xbf58476d1ce4e5b9ULL;
    return (uint8_t)(z >> (8 * (i % 8)));
}

static const char greeting[] = "Hello, TCP!\n";

struct endpoint_app {
    int sd;
    uint64_t sent, received;
    bool closed, eof;
};

/* --html: the page of live_page.c in its demo mode, the rows in it. */
static int write_html(const struct demo_opts *o, struct demo_sink *sink, char **rows_buf,
                      uint64_t total, uint64_t received, bool data_ok, uint64_t rtx)
{
    synack_ladder_finish(sink->rows);
    char left[112], right[112];
    ladder_headings(sink->rows, left, right, sizeof left);
    synack_ladder_free(sink->rows);
    sink->rows = NULL;
    bool failed = ferror(sink->rows_json) != 0;
    if (fclose(sink->rows_json) != 0) failed = true;
    sink->rows_json = NULL;
    char *data = NULL, head[2048] = "";
    size_t data_len = 0;
    FILE *m = fmemopen(head, sizeof head, "w");
    if (m) {
        ladder_svg_head(m, left, right);
        if (fclose(m) != 0) head[0] = 0;
    }
    head[sizeof head - 1] = 0;
    FILE *d = open_memstream(&data, &data_len);
    if (!d || failed) {
        free(*rows_buf);
        if (d) (void)fclose(d); /* failing anyway */
        free(data);
        return -1;
    }
    char loss[32] = "";
    if (o->loss > 0) snprintf(loss, sizeof loss, ", loss %.3g%%", o->loss * 100);
    fprintf(
        d,
        "{\"about\":\"two synack stacks over a simulated link (%.1f ms each way%s, seed %" PRIu64
        ")\",\"title\":\"the client connects to the echo port, sends %" PRIu64
        " bytes, reads them back, and closes first\",",
        o->delay_us / 1000.0, loss, o->seed, total);
    fprintf(d,
            "\"summary\":\"%" PRIu64 " bytes echoed back%s; %" PRIu64
            " datagrams lost on the link, %" PRIu64
            " segments retransmitted; the client held TIME-WAIT for 2*MSL = %.0f s.%s\",",
            received, data_ok ? " intact" : " CORRUPTED", sink->link_lost, rtx, 2 * o->msl_us / 1e6,
            sink->rows_cut ? " (the first rows only)" : "");
    fputs("\"head\":\"", d);
    ladder_json_escape(d, head);
    fputs("\",\"rows\":[", d);
    fputs(*rows_buf ? *rows_buf : "", d);
    fputs("]}", d);
    free(*rows_buf);
    *rows_buf = NULL;
    failed = ferror(d) != 0;
    if (fclose(d) != 0 || failed) {
        free(data);
        return -1;
    }
    FILE *f = fopen(o->html, "w");
    if (!f) {
        fprintf(stderr, "synack demo: %s: cannot write\n", o->html);
        free(data);
        return -1;
    }
    live_page(f, "demo", data);
    free(data);
    failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) {
        fprintf(stderr, "synack demo: %s: write failed\n", o->html);
        return -1;
    }
    return 0;
}

int synack_cmd_demo(int argc, char **argv)
{
    struct demo_opts o;
    int pr = parse(argc, argv, &o);
    if (pr) return pr == 1 ? 0 : pr;
    bool small = o.bytes == 0;
    uint64_t total = small ? sizeof greeting - 1 : o.bytes;
    bool draw = o.ladder_forced || total <= LADDER_MAX;
    bool color = o.color < 0 ? isatty(STDOUT_FILENO) : o.color;

    struct demo_sink sink = {0};
    struct synack_config cc, sc;
    synack_config_default(&cc);
    synack_config_default(&sc);
    cc.name = "client";
    sc.name = "server";
    /* Over IPv6 the stacks have both families (the IPv4 addresses stay), and the connection
     * goes between their IPv6 addresses. */
    struct synack_addr caddr = synack_addr_v4(CLIENT_ADDR), saddr = synack_addr_v4(SERVER_ADDR);
    cc.addr = caddr;
    sc.addr = saddr;
    if (o.ipv6) {
        synack_addr_parse(CLIENT_ADDR6, &caddr);
        synack_addr_parse(SERVER_ADDR6, &saddr);
        cc.addr6 = caddr;
        sc.addr6 = saddr;
        cc.prefix6_len = sc.prefix6_len = 64;
    }
    cc.msl_us = sc.msl_us = o.msl_us;
    if (o.cc) cc.cc = sc.cc = o.cc;
    cc.isn_secret_set = sc.isn_secret_set = true;
    for (int i = 0; i < 16; i++) {
        cc.isn_secret[i] = pattern(o.seed, (uint64_t)i);
        sc.isn_secret[i] = pattern(o.seed + 1, (uint64_t)i);
    }
    cc.seed = o.seed * 2 + 1;
    sc.seed = o.seed * 2 + 2;
    cc.trace = sc.trace = sink_event;
    cc.trace_ctx = sc.trace_ctx = &sink;
    /* Large transfers want rings that cover the bandwidth-delay product. */
    if (!small && total > LADDER_MAX) {
        cc.sndbuf = cc.rcvbuf = sc.sndbuf = sc.rcvbuf = 1u << 20;
    }
    int err;
    synack_stack *client = synack_stack_new(&cc, &err);
    synack_stack *server = synack_stack_new(&sc, &err);
    if (!client || !server) {
        fprintf(stderr, "synack demo: %s\n", synack_strerror(err));
        return 1;
    }
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = o.delay_us;
    lc.bandwidth_bps = o.bandwidth_bps;
    lc.faults.loss = o.loss;
    lc.faults.seed = o.seed;
    lc.name[0] = "client-link";
    lc.name[1] = "server-link";
    synack_sim_link *link = synack_sim_link_new(&lc);
    if (!link) {
        fprintf(stderr, "synack demo: out of memory\n");
        return 1;
    }
    synack_sim_set_trace(link, sink_event, &sink);
    if (o.pcap) {
        sink.pcap = synack_pcap_open(o.pcap, &err);
        if (!sink.pcap) {
            fprintf(stderr, "synack demo: %s: %s\n", o.pcap, synack_strerror(err));
            return 1;
        }
    }

    /* The server listens on the echo port; the client connects from an ephemeral one. */
    int lsd = synack_socket(server);
    synack_bind(server, lsd, saddr, ECHO_PORT);
    struct endpoint_app cl = {.sd = synack_socket(client)};
    struct endpoint_app sv = {.sd = -1};
    synack_bind(client, cl.sd, o.ipv6 ? SYNACK_ADDR_ANY : synack_addr_v4(0), 0);
    struct synack_sockinfo ci;
    synack_getinfo(client, cl.sd, &ci);

    if (draw) {
        char loss[32] = "";
        if (o.loss > 0) snprintf(loss, sizeof loss, ", loss %.3g%%", o.loss * 100);
        printf("synack demo: a TCP connection between two stacks over a simulated link\n"
               "(%s%.1f ms each way%s, seed %" PRIu64 "). The client connects to the echo port,\n"
               "sends %" PRIu64 " bytes, reads them back, and closes first.\n\n",
               o.ipv6 ? "IPv6, " : "", o.delay_us / 1000.0, loss, o.seed, total);
        struct synack_ladder_opts lo = {.absolute = o.absolute,
                                        .color = color,
                                        .show_timers = o.timers,
                                        .show_drops = o.drops,
                                        .left_name = "client",
                                        .right_name = "server"};
        sink.ladder = synack_ladder_new(stdout, &lo, caddr, ci.local.port, saddr, ECHO_PORT);
    }
    char *rows_buf = NULL;
    size_t rows_len = 0;
    if (o.html) {
        /* the same layout as the terminal's ladder, its rows drawn by the SVG output */
        struct synack_ladder_opts lo = {.absolute = o.absolute,
                                        .show_timers = o.timers,
                                        .show_drops = o.drops,
                                        .left_name = "client",
                                        .right_name = "server"};
        sink.rows_json = open_memstream(&rows_buf, &rows_len);
        if (sink.rows_json)
            sink.rows =
                ladder_new_rows(&lo, caddr, ci.local.port, saddr, ECHO_PORT, html_row, &sink);
        if (!sink.rows) {
            fprintf(stderr, "synack demo: out of memory\n");
            return 1;
        }
    }
    synack_listen(server, lsd, 16);

    synack_stack *stacks[2] = {client, server};
    synack_dev *devs[2] = {synack_sim_end(link, 0), synack_sim_end(link, 1)};
    uint64_t now = 0;
    note(&sink, now, "3-way handshake: SYN, SYN-ACK, ACK");
    synack_connect(client, cl.sd, now, saddr, ECHO_PORT);
    bool noted_data = false, noted_tw = false;
    uint8_t buf[65536];
    uint8_t echo[65536];
    size_t echo_len = 0;
    bool data_ok = true;
    struct synack_sockinfo last_ci = ci, last_si;
    memset(&last_si, 0, sizeof last_si);
    uint64_t limit = 3600ull * 1000000 * 4; /* four virtual hours: the demo gives up */
    int client_error = 0;
    uint64_t done_at = 0;

    for (uint64_t iter = 0; iter < 200000000ull && now < limit; iter++) {
        uint64_t next = synack_sim_step(stacks, devs, 2, now);
        bool progress = false;
        /* Client: send, read back, close when all came back. */
        if (cl.sd >= 0 && !cl.closed) {
            unsigned ev = synack_events(client, cl.sd);
            if (ev & SYNACK_EV_ERROR) {
                client_error = synack_socket_error(client, cl.sd);
                synack_close(client, cl.sd, now);
                cl.closed = true;
            } else if (ev & SYNACK_EV_CONNECTED) {
                if (!noted_data && (sink.ladder || sink.rows)) {
                    char text[96];
                    snprintf(text, sizeof text, "data: %" PRIu64 " bytes to the echo port and back",
                             total);
                    note(&sink, now, text);
                    noted_data = true;
                }
                while (cl.sent < total) {
                    size_t n =
                        total - cl.sent < sizeof buf ? (size_t)(total - cl.sent) : sizeof buf;
                    for (size_t i = 0; i < n; i++)
                        buf[i] =
                            small ? (uint8_t)greeting[cl.sent + i] : pattern(o.seed, cl.sent + i);
                    long r = synack_send(client, cl.sd, now, buf, n);
                    if (r <= 0) break;
                    cl.sent += (uint64_t)r;
                    progress = true;
                }
                long r;
                while ((r = synack_recv(client, cl.sd, now, buf, sizeof buf)) > 0) {
                    for (long i = 0; i < r; i++) {
                        uint8_t want = small ? (uint8_t)greeting[cl.received + (uint64_t)i]
                                             : pattern(o.seed, cl.received + (uint64_t)i);
                        if (buf[i] != want) data_ok = false;
                    }
                    cl.received += (uint64_t)r;
                    progress = true;
                }
                synack_getinfo(client, cl.sd, &last_ci);
                if (cl.received >= total) {
                    /* Active close: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT. */
                    note(&sink, now, "4-way close: FIN, ACK, FIN, ACK");
                    synack_close(client, cl.sd, now);
                    cl.closed = true;
                    progress = true;
                }
            }
        }
        /* Server: accept, echo, close after the client's FIN. */
        if (sv.sd < 0) {
            struct synack_endpoint peer;
            int c = synack_accept(server, lsd, &peer);
            if (c >= 0) {
                sv.sd = c;
                progress = true;
            }
        }
        if (sv.sd >= 0 && !sv.closed) {
            for (;;) {
                if (echo_len > 0) {
                    long w = synack_send(server, sv.sd, now, echo, echo_len);
                    if (w <= 0) break;
                    memmove(echo, echo + w, echo_len - (size_t)w);
                    echo_len -= (size_t)w;
                    progress = true;
                    continue;
                }
                long r = synack_recv(server, sv.sd, now, echo, sizeof echo);
                if (r > 0) {
                    echo_len = (size_t)r;
                    sv.received += (uint64_t)r;
                    progress = true;
                    continue;
                }
                if (r != SYNACK_EAGAIN) sv.eof = true; /* 0: the peer's FIN; < 0: an error */
                break;
            }
            synack_getinfo(server, sv.sd, &last_si);
            if (sv.eof && echo_len == 0) {
                /* Passive close: CLOSE-WAIT, then our FIN, LAST-ACK. */
                synack_close(server, sv.sd, now);
                sv.closed = true;
                progress = true;
            }
        }
        if (cl.closed && sv.closed && !done_at && cl.received >= total) done_at = now;
        if (cl.closed && !noted_tw && (sink.ladder || sink.rows)) {
            /* Asked of the stack's counts: the client closed its socket, so its TIME-WAIT
             * entry is a compact record with no descriptor (src/tcp/tcp_tw.c). */
            struct synack_stats cs;
            synack_get_stats(client, &cs);
            if (cs.sockets_by_state[SYNACK_TIME_WAIT] > 0) {
                char text[128];
                snprintf(text, sizeof text,
                         "TIME-WAIT: the client holds the port pair for 2*MSL = %.0f s",
                         2 * o.msl_us / 1e6);
                note(&sink, now, text);
                noted_tw = true;
            }
        }
        if (progress) continue; /* the apps queued something: run the stacks at the same now */
        if (next == UINT64_MAX) break;
        now = next;
    }
    /* Let the ladder show the last segment the link lost, if any, then finish. */
    if (sink.ladder) {
        synack_ladder_finish(sink.ladder);
        synack_ladder_free(sink.ladder);
    }
    struct synack_stats cs, ss;
    synack_get_stats(client, &cs);
    synack_get_stats(server, &ss);
    bool complete = cl.received == total && data_ok && cl.closed && sv.closed;
    if (!draw) {
        double secs = (done_at ? done_at : now) / 1e6;
        printf("synack demo: %" PRIu64 " bytes echoed over a simulated link\n"
               "  (%.1f ms each way, %.0f Mbit/s, loss %.2g%%, seed %" PRIu64 ")\n",
               total, o.delay_us / 1000.0, o.bandwidth_bps / 1e6, o.loss * 100, o.seed);
        printf("  virtual time      %.3f s (to the last FIN; TIME-WAIT then lasts %.0f s)\n", secs,
               2 * o.msl_us / 1e6);
        printf("  goodput           %.2f Mbit/s each way\n", secs > 0 ? total * 8 / secs / 1e6 : 0);
        printf("  segments sent     client %" PRIu64 ", server %" PRIu64 "\n", cs.tcp_out,
               ss.tcp_out);
        printf("  retransmissions   client %" PRIu64 " (fast %" PRIu64 ", timeouts %" PRIu64
               "), server %" PRIu64 " (fast %" PRIu64 ", timeouts %" PRIu64 ")\n",
               cs.retransmits, cs.fast_retransmits, cs.rto_timeouts, ss.retransmits,
               ss.fast_retransmits, ss.rto_timeouts);
        printf("  lost on the link  %" PRIu64 "\n", sink.link_lost);
        printf("  RTT estimate      srtt %.1f ms, rttvar %.1f ms, rto %.0f ms (client)\n",
               last_ci.srtt_us / 1000.0, last_ci.rttvar_us / 1000.0, last_ci.rto_us / 1000.0);
    } else {
        printf("\n%" PRIu64 " bytes sent, %" PRIu64 " echoed back%s; the client closed first and "
               "held TIME-WAIT for 2*MSL = %.0f s.\n",
               cl.sent, cl.received, data_ok ? " intact" : " CORRUPTED", 2 * o.msl_us / 1e6);
        uint64_t rtx = cs.retransmits + ss.retransmits;
        if (rtx > 0)
            printf("%" PRIu64 " datagram%s lost on the link, %" PRIu64
                   " segment%s retransmitted.\n",
                   sink.link_lost, sink.link_lost == 1 ? "" : "s", rtx, rtx == 1 ? "" : "s");
    }
    if (client_error) printf("client: %s\n", synack_strerror(client_error));
    printf("  data check        %s\n", complete ? "OK, byte for byte" : "FAILED");
    if (sink.rows && write_html(&o, &sink, &rows_buf, total, cl.received, data_ok,
                                cs.retransmits + ss.retransmits) < 0)
        complete = false;
    if (sink.pcap) synack_pcap_close(sink.pcap);
    synack_sim_link_free(link);
    synack_stack_free(client);
    synack_stack_free(server);
    return complete ? 0 : 1;
}
