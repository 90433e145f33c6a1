/*
 * http_parse_test.c - the request-head parser and the /bytes/N pattern of `synack serve`'s
 * HTTP server (tools/synack/http_parse.c, compiled in here: the tool is not a library).
 */
#include "test.h"

#include "../../tools/synack/http_parse.c"

static int parse(const char *s, struct http_request *r)
{
    return http_parse_request(s, strlen(s), r);
}

TEST(get_http11_with_host)
{
    struct http_request r;
    const char *s = "GET /bytes/10?x=1 HTTP/1.1\r\nHost: 10.7.0.2\r\nUser-Agent: t\r\n\r\nGET";
    ASSERT_EQ(parse(s, &r), (int)(strstr(s, "\r\n\r\n") + 4 - s));
    ASSERT_EQ(r.method, HTTP_GET);
    ASSERT_STR_EQ(r.target, "/bytes/10?x=1");
    ASSERT_EQ(r.minor, 1);
    ASSERT(!r.conn_close);
    ASSERT(!r.has_body);
}

TEST(incomplete_head_needs_more)
{
    struct http_request r;
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n", &r), 0);
    ASSERT_EQ(parse("GET / HT", &r), 0);
    ASSERT_EQ(parse("", &r), 0);
}

TEST(bare_lf_and_leading_empty_line_accepted)
{
    struct http_request r;
    ASSERT(parse("\r\nHEAD / HTTP/1.0\n\n", &r) > 0); /* RFC 9112 §2.2 */
    ASSERT_EQ(r.method, HTTP_HEAD);
    ASSERT_EQ(r.minor, 0);
}

TEST(connection_tokens)
{
    struct http_request r;
    ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", &r) > 0);
    ASSERT(r.conn_close);
    ASSERT(r.conn_keep_alive);
    ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n", &r) > 0);
    ASSERT(!r.conn_close);
}

TEST(http11_needs_exactly_one_host)
{
    struct http_request r;
    ASSERT_EQ(parse("GET / HTTP/1.1\r\n\r\n", &r), -400);
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &r), -400);
    ASSERT(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0);
}

TEST(malformed_requests)
{
    struct http_request r;
    ASSERT_EQ(parse("GET /\r\n\r\n", &r), -400);
    ASSERT_EQ(parse("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    ASSERT_EQ(parse("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
    ASSERT_EQ(parse("GET / http/1.1\r\nHost: x\r\n\r\n", &r), -400);
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n", &r), -400); /* RFC 9112 §5.1 */
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", &r), -400);
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", &r), -400);
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nNo-colon\r\n\r\n", &r), -400);
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", &r), -400);
    ASSERT_EQ(parse("\r\n\r\n", &r), 0); /* empty lines before a request are skipped */
    ASSERT_EQ(parse("\r\n\r\n\r\n\r\n\r\n", &r), -400); /* but not for ever */
    const char nul[] = "GET / HTTP/1.1\r\nHost: \0x\r\n\r\n";
    ASSERT_EQ(http_parse_request(nul, sizeof nul - 1, &r), -400);
}

TEST(status_codes_for_method_version_target)
{
    struct http_request r;
    ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\n\r\n", &r), -501);
    ASSERT_EQ(parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n", &r), -505);
    char big[600];
    snprintf(big, sizeof big, "GET /%0300d HTTP/1.1\r\nHost: x\r\n\r\n", 0);
    ASSERT_EQ(parse(big, &r), -414);
}

TEST(bodies_are_announced)
{
    struct http_request r;
    ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", &r) > 0);
    ASSERT(!r.has_body);
    ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", &r) > 0);
    ASSERT(r.has_body);
    ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", &r) > 0);
    ASSERT(r.has_body);
}

TEST(head_larger_than_the_limit_is_431)
{
    static char buf[HTTP_MAX_REQUEST + 100];
    struct http_request r;
    int n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: x\r\n");
    while (n < (int)sizeof buf - 10) n += snprintf(buf + n, sizeof buf - (size_t)n, "X-A: b\r\n");
    ASSERT_EQ(http_parse_request(buf, (size_t)n, &r), -431);
    ASSERT_EQ(http_parse_request(buf, HTTP_MAX_REQUEST, &r), -431);
    ASSERT_EQ(http_parse_request(buf, HTTP_MAX_REQUEST - 1, &r), 0);
}

TEST(bytes_pattern_lines)
{
    uint8_t b[200];
    http_bytes_pattern(0, b, sizeof b);
    ASSERT_MEM_EQ(b, "0000000000000000 abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST\n", 64);
    ASSERT_MEM_EQ(b + 64, "0000000000000040 abcdefghij", 27);
    ASSERT_MEM_EQ(b + 128, "0000000000000080 ", 17);
    /* any offset gives the same bytes as the whole stream */
    for (uint64_t off = 0; off < 150; off += 7) {
        uint8_t c[50];
        http_bytes_pattern(off, c, sizeof c);
        ASSERT_MEM_EQ(c, b + off, sizeof c);
    }
    uint8_t d[64];
    http_bytes_pattern(0x123456789c0ull, d, 16);
    ASSERT_MEM_EQ(d, "00000123456789c0", 16);
}

TEST_MAIN()
