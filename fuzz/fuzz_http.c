/*
 * fuzz/fuzz_http.c - libFuzzer target for `synack serve`'s HTTP/1.1 request-head parser
 * (tools/synack/http_parse.c, compiled in: the tool is not a library).
 *
 * Whatever the bytes: no read out of bounds, no undefined behaviour, and a result that is
 * one of those documented (the head's length, 0 for "more", -400/-414/-431/-501/-505).
 * For a complete head of length r: r <= len and r <= HTTP_MAX_REQUEST, it ends in LF, the
 * request is GET or HEAD, HTTP/1.0 or 1.1, with a NUL-terminated origin-form target of at
 * most HTTP_MAX_TARGET bytes and at most one Host (exactly one for 1.1); parsing only its r
 * bytes gives the same request, and a prefix of it asks for more (0), as a server reading
 * the head in pieces relies on. The /bytes pattern is checked at an offset from the input.
 *
 *   make fuzz    (or: build-fuzz/fuzz_http fuzz/corpus/fuzz_http)
 */
#include <stdlib.h>
#include <string.h>

#include "../tools/synack/http_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static void check_pattern(const uint8_t *data, size_t size)
{
    if (size < 10) return;
    uint64_t off = 0;
    for (int i = 0; i < 8; i++) off = off << 8 | data[i];
    off >>= 8; /* keep offset + n far from wrapping */
    size_t n = (size_t)(data[8] << 1 | (data[9] & 1));
    uint8_t out[512];
    http_bytes_pattern(off, out, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t o = off + i;
        unsigned col = (unsigned)(o % 64);
        if (col == 63)
            CHECK(out[i] == '\n');
        else if (col == 16)
            CHECK(out[i] == ' ');
        else if (col < 16)
            CHECK((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f'));
        else
            CHECK((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= 'A' && out[i] <= 'T'));
    }
    /* Any piece of the pattern equals the same bytes cut out of a longer run. */
    if (n > 2) {
        uint8_t part[512];
        http_bytes_pattern(off + 1, part, n - 2);
        CHECK(memcmp(part, out + 1, n - 2) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct http_request req, again;
    int r = http_parse_request(buf, size, &req);
    CHECK(r >= 0 || r == -400 || r == -414 || r == -431 || r == -501 || r == -505);
    if (r < 0) CHECK(http_reason(-r) != NULL && strcmp(http_reason(-r), "Error") != 0);
    if (r == 0) CHECK(size < HTTP_MAX_REQUEST);
    if (r > 0) {
        size_t n = (size_t)r;
        CHECK(n <= size && n <= HTTP_MAX_REQUEST && buf[n - 1] == '\n');
        CHECK(req.method == HTTP_GET || req.method == HTTP_HEAD);
        CHECK(req.minor == 0 || req.minor == 1);
        size_t tlen = strnlen(req.target, sizeof req.target);
        CHECK(tlen >= 1 && tlen <= HTTP_MAX_TARGET && req.target[0] == '/');
        CHECK(req.hosts <= 1 && (req.minor == 0 || req.hosts == 1));
        /* The head alone parses the same; anything after it is not looked at. */
        CHECK(http_parse_request(buf, n, &again) == r);
        CHECK(memcmp(&again, &req, sizeof req) == 0);
        /* A piece of a complete head is never judged, only waited for. */
        CHECK(http_parse_request(buf, n - 1, &again) == 0);
        CHECK(http_parse_request(buf, n / 2, &again) == 0);
    }
    check_pattern(data, size);
    return 0;
}
