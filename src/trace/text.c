/*
 * trace/text.c - text helpers of the trace renderers: a column-counting line buffer and the
 * printable forms of endpoints and options (see text.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trace/text.h"

void ladder_buf_init(struct ladder_buf *b)
{
    b->s[0] = 0;
    b->n = 0;
    b->cols = 0;
}

static void raw(struct ladder_buf *b, const char *text)
{
    size_t len = strlen(text);
    if (b->n + len >= sizeof b->s) len = sizeof b->s - 1 - b->n;
    memcpy(b->s + b->n, text, len);
    b->n += len;
    b->s[b->n] = 0;
}

int ladder_text_cols(const char *s)
{
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80) cols++; /* count lead bytes, not continuation bytes */
    return cols;
}

void ladder_buf_put(struct ladder_buf *b, const char *text, const char *color)
{
    if (!text[0]) return;
    if (color) raw(b, color);
    raw(b, text);
    if (color) raw(b, "\033[0m");
    b->cols += ladder_text_cols(text);
}

void ladder_buf_repeat(struct ladder_buf *b, const char *text, int times, const char *color)
{
    if (times <= 0) return;
    if (color) raw(b, color);
    for (int i = 0; i < times; i++) {
        raw(b, text);
        b->cols += ladder_text_cols(text);
    }
    if (color) raw(b, "\033[0m");
}

void ladder_buf_pad(struct ladder_buf *b, int col)
{
    while (b->cols < col && b->n + 1 < sizeof b->s) {
        raw(b, " ");
        b->cols++;
    }
}

void ladder_buf_printf(struct ladder_buf *b, const char *color, const char *fmt, ...)
{
    char tmp[LADDER_BUF];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    ladder_buf_put(b, tmp, color);
}

const char *ladder_endpoint_str(const struct synack_addr *addr, uint16_t port, char *buf,
                                size_t cap)
{
    char a[SYNACK_ADDR_STRLEN];
    synack_addr_str(addr, a, sizeof a);
    /* An IPv6 address in brackets, so that its colons are not taken for the port's (RFC
     * 3986 §3.2.2). */
    if (addr->family == SYNACK_AF_INET6)
        snprintf(buf, cap, "[%s]:%u", a, (unsigned)port);
    else
        snprintf(buf, cap, "%s:%u", a, (unsigned)port);
    return buf;
}

const char *ladder_opts_str(const struct synack_tcp_opts *o, bool syn, uint32_t sack_base,
                            char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (n < cap) {                                                                             \
            int w_ = snprintf(buf + n, cap - n, __VA_ARGS__);                                      \
            if (w_ > 0) n += (size_t)w_;                                                           \
        }                                                                                          \
    } while (0)
    const char *sep = "<";
    if (syn) {
        if (o->has_mss) {
            ADD("%smss %u", sep, (unsigned)o->mss);
            sep = ",";
        }
        if (o->sack_permitted) {
            ADD("%ssackOK", sep);
            sep = ",";
        }
        if (o->has_ts) {
            ADD("%sts", sep);
            sep = ",";
        }
        if (o->has_wscale) {
            ADD("%sws %u", sep, (unsigned)o->wscale);
            sep = ",";
        }
    }
    if (o->sack_count) {
        ADD("%ssack", sep);
        sep = " ";
        for (int i = 0; i < o->sack_count && i < SYNACK_TCP_MAX_SACK; i++) {
            ADD("%s%" PRIu32 "-%" PRIu32, sep, o->sack[i].left - sack_base,
                o->sack[i].right - sack_base);
            sep = ",";
        }
    }
    if (buf[0]) ADD(">");
#undef ADD
    if (n >= cap && cap) buf[cap - 1] = 0;
    return buf;
}

void text_xml_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}
