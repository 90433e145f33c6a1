/*
 * tools/synack/http_parse.c - parses an HTTP/1.x request head (RFC 9112) strictly enough
 * that nothing a client sends is misread, and generates the /bytes/N pattern (http_parse.h).
 */
#include "http_parse.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2: token characters. */
static bool tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The end of the line starting at p (the LF), or NULL when there is none before end. */
static const char *line_end(const char *p, const char *end)
{
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    return lf;
}

/* Case-insensitive: does the comma-separated list v[0..n) contain token t? (RFC 9110 §7.6.1) */
static bool list_has(const char *v, size_t n, const char *t)
{
    size_t tl = strlen(t);
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        size_t s = i;
        while (i < n && v[i] != ',') i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e - s == tl && strncasecmp(v + s, t, tl) == 0) return true;
    }
    return false;
}

static int parse_request_line(const char *p, const char *eol, struct http_request *req)
{
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    if (!sp1 || sp1 == p) return -400;
    for (const char *q = p; q < sp1; q++)
        if (!tchar((unsigned char)*q)) return -400;
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', (size_t)(eol - t));
    if (!sp2 || sp2 == t) return -400;
    const char *ver = sp2 + 1;
    size_t vlen = (size_t)(eol - ver);
    /* HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive. */
    if (vlen != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[6] != '.' || ver[5] < '0' ||
        ver[5] > '9' || ver[7] < '0' || ver[7] > '9')
        return -400;
    if (ver[5] != '1') return -505;
    req->minor = ver[7] - '0';
    if (req->minor > 1) req->minor = 1; /* a later 1.x is answered as 1.1 (RFC 9110 §2.5) */
    size_t mlen = (size_t)(sp1 - p);
    size_t tlen = (size_t)(sp2 - t);
    for (const char *q = t; q < sp2; q++)
        if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f) return -400;
    /* origin-form only (RFC 9112 §3.2.1); we are no proxy. */
    if (t[0] != '/') return -400;
    if (mlen == 3 && memcmp(p, "GET", 3) == 0)
        req->method = HTTP_GET;
    else if (mlen == 4 && memcmp(p, "HEAD", 4) == 0)
        req->method = HTTP_HEAD;
    else
        return -501; /* RFC 9110 §9.1: an unrecognized method gets 501 */
    if (tlen > HTTP_MAX_TARGET) return -414;
    memcpy(req->target, t, tlen);
    req->target[tlen] = 0;
    return 0;
}

static int parse_field(const char *p, const char *eol, struct http_request *req)
{
    /* RFC 9112 §5.2: obs-fold is rejected with 400 (we are no proxy to rewrite it). */
    if (*p == ' ' || *p == '\t') return -400;
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (!colon || colon == p) return -400;
    /* field-name is a token; whitespace before the colon MUST get 400 (RFC 9112 §5.1). */
    for (const char *q = p; q < colon; q++)
        if (!tchar((unsigned char)*q)) return -400;
    const char *v = colon + 1;
    const char *ve = eol;
    while (v < ve && (*v == ' ' || *v == '\t')) v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    for (const char *q = v; q < ve; q++) {
        unsigned char c = (unsigned char)*q;
        if ((c < 0x20 && c != '\t') || c == 0x7f) return -400; /* CR, NUL, controls */
    }
    size_t nlen = (size_t)(colon - p), vlen = (size_t)(ve - v);
    if (nlen == 4 && strncasecmp(p, "host", 4) == 0) {
        req->hosts++;
    } else if (nlen == 10 && strncasecmp(p, "connection", 10) == 0) {
        if (list_has(v, vlen, "close")) req->conn_close = true;
        if (list_has(v, vlen, "keep-alive")) req->conn_keep_alive = true;
    } else if (nlen == 14 && strncasecmp(p, "content-length", 14) == 0) {
        if (vlen == 0) return -400;
        bool nonzero = false;
        for (const char *q = v; q < ve; q++) {
            if (*q < '0' || *q > '9') return -400; /* lists too: we read no bodies anyway */
            if (*q != '0') nonzero = true;
        }
        if (nonzero) req->has_body = true;
    } else if (nlen == 17 && strncasecmp(p, "transfer-encoding", 17) == 0) {
        req->has_body = true;
    }
    return 0;
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
    memset(req, 0, sizeof *req);
    const char *p = buf, *end = buf + (len > HTTP_MAX_REQUEST ? HTTP_MAX_REQUEST : len);
    /* RFC 9112 §2.2: at least one empty line before the request-line SHOULD be ignored. */
    for (int skipped = 0; skipped < 4 && p < end; skipped++) {
        if (*p == '\n')
            p++;
        else if (*p == '\r' && p + 1 < end && p[1] == '\n')
            p += 2;
        else
            break;
    }
    bool first = true;
    for (;;) {
        const char *lf = line_end(p, end);
        if (!lf) return len >= HTTP_MAX_REQUEST ? -431 : 0;
        /* Lines end in CRLF; a bare LF is accepted (RFC 9112 §2.2 MAY). A bare CR inside a
         * line is rejected below (a control character). */
        const char *eol = lf > p && lf[-1] == '\r' ? lf - 1 : lf;
        for (const char *q = p; q < eol; q++)
            if (*q == '\0' || *q == '\r') return -400;
        if (first) {
            if (eol == p) return -400;
            int r = parse_request_line(p, eol, req);
            if (r < 0) return r;
            first = false;
        } else if (eol == p) {
            /* The empty line: the head is complete. */
            if (req->minor == 1 && req->hosts != 1) return -400; /* RFC 9112 §3.2 MUST */
            if (req->hosts > 1) return -400;
            return (int)(lf + 1 - buf);
        } else {
            int r = parse_field(p, eol, req);
            if (r < 0) return r;
        }
        p = lf + 1;
    }
}

/* 48 bytes of a pattern line, not a C string: no NUL. */
static const uint8_t pattern_tail[48] = " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST\n";

void http_bytes_pattern(uint64_t offset, uint8_t *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    while (n > 0) {
        uint64_t line = offset / 64 * 64;
        unsigned col = (unsigned)(offset % 64);
        uint8_t l[64];
        for (int i = 0; i < 16; i++) l[i] = (uint8_t)hex[(line >> (60 - 4 * i)) & 15];
        // NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes of a line, not a C string
        memcpy(l + 16, pattern_tail, 48);
        size_t take = 64 - col < n ? 64 - col : n;
        memcpy(out, l + col, take);
        out += take;
        n -= take;
        offset += take;
    }
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}
