/*
 * tools/synack/cmd_trace.c - `synack trace FILE`: reads a capture and draws its TCP
 * connections (issue 6). This file parses the options; synack_trace_file() does the work.
 *
 * argv[0] is the subcommand's name ("trace"); options and the file follow in any order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synack/synack.h"
#include "synack/trace.h"

int synack_cmd_trace(int argc, char **argv);

static void usage(FILE *f)
{
    fputs("usage: synack trace FILE [options]\n"
          "\n"
          "Draws every TCP connection of a capture (pcap or pcapng; Ethernet, raw IP, Linux\n"
          "cooked SLL/SLL2 or loopback) as a ladder diagram, with inferred RFC 9293 states,\n"
          "phases and annotations (retransmission, dup ack, zero window, ...), and a table.\n"
          "\n"
          "  --conn N           only connection N (numbered in order of first packet); its\n"
          "                     whole ladder is drawn\n"
          "  --absolute         real sequence numbers, not relative to each side's ISN\n"
          "  --max-segments N   segments drawn per connection (default 100, all with --conn;\n"
          "                     0 = all)\n"
          "  --html FILE        a self-contained HTML report: table, ladders, states, graphs\n"
          "  --svg-seq FILE     time-sequence graph of connection N (default 1) as SVG\n"
          "  --svg-ladder FILE  ladder of connection N (default 1) as SVG\n"
          "  --color, --no-color  ANSI colour (default: on a terminal)\n"
          "  --tsv              one line per TCP packet: frame, connection, annotations\n"
          "                     (tshark's tcp.analysis field names)\n"
          "  --quiet            only the table (with --html/--svg-*)\n"
          "  --help             this text\n",
          f);
}

/* The value of an option that takes one, or NULL with a message. */
static const char *value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "synack trace: %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static int parse_uint(const char *s, const char *what, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || s[0] == '-' || v > max) {
        fprintf(stderr, "synack trace: %s: not a number from 0 to %lu: %s\n", what, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int synack_cmd_trace(int argc, char **argv)
{
    struct synack_trace_opts o = {0};
    const char *file = NULL;
    const char *term = getenv("TERM");
    o.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !(term && !strcmp(term, "dumb"));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        unsigned long v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--conn")) {
            const char *s = value(argc, argv, &i);
            if (!s || parse_uint(s, "--conn", 0x7fffffff, &v) != 0) return 2;
            if (v == 0) {
                fprintf(stderr, "synack trace: --conn counts from 1\n");
                return 2;
            }
            o.conn = (int)v;
        } else if (!strcmp(a, "--max-segments")) {
            const char *s = value(argc, argv, &i);
            if (!s || parse_uint(s, "--max-segments", 0xffffffffu, &v) != 0) return 2;
            o.max_ladder_segments = v ? (uint32_t)v : UINT32_MAX;
        } else if (!strcmp(a, "--absolute")) {
            o.absolute = true;
        } else if (!strcmp(a, "--html")) {
            if (!(o.html_path = value(argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--svg-seq")) {
            if (!(o.svg_seq_path = value(argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--svg-ladder")) {
            if (!(o.svg_ladder_path = value(argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--color") || !strcmp(a, "--colour")) {
            o.color = true;
        } else if (!strcmp(a, "--no-color") || !strcmp(a, "--no-colour")) {
            o.color = false;
        } else if (!strcmp(a, "--tsv")) {
            o.tsv = true;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o.quiet = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "synack trace: unknown option %s (see synack trace --help)\n", a);
            return 2;
        } else if (file) {
            fprintf(stderr, "synack trace: one capture at a time (%s and %s)\n", file, a);
            return 2;
        } else {
            file = a;
        }
    }
    if (!file) {
        usage(stderr);
        return 2;
    }
    int r = synack_trace_file(file, &o, stdout, stderr);
    bool flushed = fflush(stdout) == 0; /* a full disk under `> file` is a failure too */
    return r == 0 && flushed ? 0 : 1;
}
