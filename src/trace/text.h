/*
 * trace/text.h - small text helpers shared by the trace renderers: a line buffer that counts
 * display columns (UTF-8 box-drawing characters take one column, ANSI colour none), and the
 * printable forms of endpoints and TCP options.
 */
#ifndef SYNACK_TRACE_TEXT_H
#define SYNACK_TRACE_TEXT_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/packet.h"
#include "synack/trace.h"

#define LADDER_BUF 2048

/* One output line. Writes past the end are cut, never overflow. */
struct ladder_buf {
    char s[LADDER_BUF];
    size_t n;
    int cols; /* display columns written so far */
};

void ladder_buf_init(struct ladder_buf *b);
/* Appends text; with a colour (an ANSI SGR sequence), wraps it in that colour and a reset. */
void ladder_buf_put(struct ladder_buf *b, const char *text, const char *color);
void ladder_buf_repeat(struct ladder_buf *b, const char *text, int times, const char *color);
/* Appends spaces up to display column col (nothing when already there). */
void ladder_buf_pad(struct ladder_buf *b, int col);
void ladder_buf_printf(struct ladder_buf *b, const char *color, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Display columns of a UTF-8 string without escape sequences: one per code point. */
int ladder_text_cols(const char *s);

/* Writes s with XML's special characters escaped (&lt; &gt; &amp; &quot; &#39;): for the
 * SVG and HTML outputs. */
void text_xml_escape(FILE *f, const char *s);

/* "10.0.0.1:49152", "[fd00:7::2]:80". Returns buf. */
const char *ladder_endpoint_str(const struct synack_addr *addr, uint16_t port, char *buf,
                                size_t cap);

/* The options worth showing on a ladder: on a SYN "<mss 1460,sackOK,ts,ws 7>", on other
 * segments the SACK blocks "<sack 1449-2897>" (relative to sack_base). Empty string when
 * there is nothing to show. Returns buf. */
const char *ladder_opts_str(const struct synack_tcp_opts *o, bool syn, uint32_t sack_base,
                            char *buf, size_t cap);

#endif
