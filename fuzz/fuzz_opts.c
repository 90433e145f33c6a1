/*
 * fuzz/fuzz_opts.c - libFuzzer target for the TCP options block: wire_tcp_parse_opts and
 * wire_tcp_emit_opts.
 *
 * Parse: whatever the bytes, no read out of bounds (ASan), no undefined behaviour (UBSan),
 * at most SYNACK_TCP_MAX_SACK blocks. Round trip: when the parse succeeds, emitting what was
 * parsed and parsing that again gives the same struct, except for SACK blocks left off the
 * end when our layout no longer fits them in 40 bytes (RFC 2018 §3); the emitted block is
 * wire_tcp_opts_len() bytes, a multiple of 4, at most 40, and a fixed point (emit(parse(e))
 * == e). Emit: the first bytes, read as a struct synack_tcp_opts, are emitted and parsed
 * back the same way.
 *
 *   make fuzz    (or: build-fuzz/fuzz_opts fuzz/corpus/fuzz_opts)
 */
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

/* b, parsed from what a was emitted as: equal to a but for SACK blocks dropped off the end. */
static void same_opts(const struct synack_tcp_opts *a, const struct synack_tcp_opts *b)
{
    CHECK(b->has_mss == a->has_mss && (!a->has_mss || b->mss == a->mss));
    CHECK(b->has_wscale == a->has_wscale && (!a->has_wscale || b->wscale == a->wscale));
    CHECK(b->sack_permitted == a->sack_permitted);
    CHECK(b->has_ts == a->has_ts);
    CHECK(!a->has_ts || (b->ts_val == a->ts_val && b->ts_ecr == a->ts_ecr));
    CHECK(b->sack_count <= a->sack_count);
    for (size_t i = 0; i < b->sack_count; i++)
        CHECK(b->sack[i].left == a->sack[i].left && b->sack[i].right == a->sack[i].right);
}

/* Emits o, checks the block's shape, parses it back into r; returns the emitted length. */
static size_t emit_parse(const struct synack_tcp_opts *o, uint8_t *out, struct synack_tcp_opts *r)
{
    size_t want = wire_tcp_opts_len(o);
    CHECK(want <= WIRE_TCP_MAX_OPTS && want % 4 == 0);
    CHECK(wire_tcp_emit_opts(out, want ? want - 1 : 0, o) == 0 || want == 0); /* cap too small */
    size_t n = wire_tcp_emit_opts(out, WIRE_TCP_MAX_OPTS, o);
    CHECK(n == want);
    CHECK(wire_tcp_parse_opts(out, n, r) == 0);
    same_opts(o, r);
    /* Only SACK blocks that do not fit are lost: when all of them fit, nothing is. */
    size_t o_sack = o->sack_count > SYNACK_TCP_MAX_SACK ? SYNACK_TCP_MAX_SACK : o->sack_count;
    if (r->sack_count < o_sack)
        CHECK(n + (r->sack_count ? 8u : 12u) > WIRE_TCP_MAX_OPTS);
    else
        CHECK(r->sack_count == o_sack);
    /* A fixed point: emitting what was parsed gives the same bytes. */
    uint8_t again[WIRE_TCP_MAX_OPTS];
    struct synack_tcp_opts r2;
    CHECK(wire_tcp_emit_opts(again, sizeof again, r) == n && memcmp(again, out, n) == 0);
    CHECK(wire_tcp_parse_opts(again, n, &r2) == 0 && memcmp(&r2, r, sizeof r2) == 0);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t out[WIRE_TCP_MAX_OPTS];
    struct synack_tcp_opts a, b;

    /* The input as an options block, as a peer sent it (any length; a header holds 40). */
    if (wire_tcp_parse_opts(data, size, &a) == 0) {
        CHECK(a.sack_count <= SYNACK_TCP_MAX_SACK);
        emit_parse(&a, out, &b);
    }
    /* The same bytes, one option cut off the end at a time: never past the end. */
    for (size_t cut = 1; cut <= 3 && cut <= size; cut++)
        (void)wire_tcp_parse_opts(data, size - cut, &a);

    /* The input as the fields of a struct to emit (what our TCP machine asks for). */
    if (size >= 16) {
        memset(&a, 0, sizeof a);
        a.has_mss = data[0] & 1;
        a.has_wscale = data[0] & 2;
        a.sack_permitted = data[0] & 4;
        a.has_ts = data[0] & 8;
        a.sack_count = (uint8_t)((data[0] >> 4) % (SYNACK_TCP_MAX_SACK + 1));
        a.mss = wire_get16(data + 1);
        a.wscale = data[3];
        a.ts_val = wire_get32(data + 4);
        a.ts_ecr = wire_get32(data + 8);
        for (size_t i = 0; i < a.sack_count; i++) {
            size_t at = 12 + i * 8;
            a.sack[i].left = at + 4 <= size ? wire_get32(data + at) : (uint32_t)i;
            a.sack[i].right = at + 8 <= size ? wire_get32(data + at + 4) : (uint32_t)i + 1;
        }
        emit_parse(&a, out, &b);
    }
    return 0;
}
