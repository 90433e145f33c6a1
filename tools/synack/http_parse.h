/*
 * tools/synack/http_parse.h - the pure part of `serve`'s HTTP/1.1 server: the request-head
 * parser (RFC 9112 §2-§3, §5, §9.3) and the deterministic /bytes/N body pattern. No I/O, no
 * allocation, so that a unit test (tests/unit/http_parse_test.c) drives it directly.
 *
 * The /bytes/N pattern: the body is a sequence of 64-byte lines, truncated to N bytes. Line k
 * (k = 0, 1, ...) is its own byte offset k*64 as 16 lower-case hex digits, one space, the 46
 * characters "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST", and a newline. So any byte can
 * be computed from its offset alone, a misplaced segment shows where it belongs, and a shell
 * reproduces it:
 *     awk -v n=N 'BEGIN { for (o = 0; o < n; o += 64)
 *         printf "%016x abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST\n", o }' | head -c N
 */
#ifndef SYNACK_TOOLS_HTTP_PARSE_H
#define SYNACK_TOOLS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_REQUEST 8192 /* request line + header fields; larger gets 431 */
#define HTTP_MAX_TARGET  255  /* longer request-targets get 414 */

enum http_method { HTTP_GET = 1, HTTP_HEAD };

struct http_request {
    enum http_method method;
    char target[HTTP_MAX_TARGET + 1]; /* origin-form, NUL-terminated */
    int minor;                        /* HTTP/1.<minor>: 0 or 1 */
    bool conn_close;                  /* Connection: close */
    bool conn_keep_alive;             /* Connection: keep-alive */
    bool has_body;                    /* Content-Length > 0 or Transfer-Encoding present */
    int hosts;                        /* Host header fields seen */
};

/* Parses the request head at buf[0..len). Returns the head's length (through the empty
 * line) when it is complete and valid; 0 when more bytes are needed; or the negated HTTP
 * status for a bad request: -400 malformed, -414 target too long, -431 head too large,
 * -501 method not implemented, -505 version not supported. */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* Writes n bytes of the /bytes pattern starting at byte offset `offset` into out. */
void http_bytes_pattern(uint64_t offset, uint8_t *out, size_t n);

/* The reason phrase for a status code ("OK", "Bad Request", ...). */
const char *http_reason(int status);

#endif
