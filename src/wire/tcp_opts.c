/*
 * wire/tcp_opts.c - parse and emit the TCP options block (RFC 9293 §3.2): MSS (RFC 9293
 * §3.7.1), window scale and timestamps (RFC 7323 §2, §3), SACK-permitted and SACK blocks
 * (RFC 2018 §2, §3), TCP Fast Open (RFC 7413 §4.1.1, and the experimental kind 254 with
 * its magic, RFC 6994).
 *
 * The wire layer reports what the peer sent; it does not judge whether an option belongs
 * on this segment (WS or MSS on a non-SYN) or whether a value is sane (WS > 14): those are
 * the TCP machine's decisions (RFC 7323 §2.2, §2.3), made where the state is known.
 */
#include <string.h>

#include "wire/wire.h"

enum {
    OPT_EOL = 0,
    OPT_NOP = 1,
    OPT_MSS = 2,
    OPT_WS = 3,
    OPT_SACK_PERM = 4,
    OPT_SACK = 5,
    OPT_TS = 8,
    OPT_FO = SYNACK_TCP_FO,
    OPT_EXP = SYNACK_TCP_FO_EXP,
};

enum {
    OPT_MSS_LEN = 4,
    OPT_WS_LEN = 3,
    OPT_SACK_PERM_LEN = 2,
    OPT_TS_LEN = 10,
    OPT_SACK_BASE = 2,
    OPT_SACK_BLOCK = 8,
};

/*
 * RFC 9293 §3.2: an option is either a single kind byte (EOL, NOP) or kind, length (which
 * counts the kind and length bytes) and data. RFC 1122 §4.2.2.5 (MUST-68) asks us to skip
 * options we do not know by their length. For a malformed option RFC 9293 §3.1 (MUST-7)
 * only asks that we "be prepared to handle an illegal option length", suggesting a reset;
 * the procedure is left to us, and we do what Linux's tcp_parse_options does: the segment
 * is never dropped for its options (a reset or a drop would let one mangled option, from a
 * middlebox or a buggy sender, kill or stall a connection for ever). Case by case:
 *   - unknown kind: skipped by its length;
 *   - known kind with the wrong length (MSS not 4, WS not 3, SACK-permitted not 2, TS not
 *     10, SACK not 8*n+2 with n >= 1): that option is ignored, skipped by its length, and
 *     parsing goes on (RFC 9293 §3.2, RFC 7323 §2.2/§3.2, RFC 2018 §2/§3 fix the lengths);
 *   - length byte 0 or 1 (would loop or step backwards), length past the end of the
 *     block, or no room for the length byte: parsing stops; what was read before stays;
 *   - EOL: the rest is padding, whatever it holds.
 * On a SYN, the one place where options change the connection, an ignored option means
 * "not offered": MSS falls back to 536 (MUST-15), and WS, SACK-permitted and TS are not
 * echoed in our SYN,ACK, so neither side uses them (each takes effect only when both
 * SYNs carry it, RFC 7323 §1.3, RFC 2018 §2). The connection is slower, not confused.
 * When an option repeats, the last one wins. o is cleared first. Returns 0 (the int is
 * kept so that callers need not change should a check ever drop again).
 */
int wire_tcp_parse_opts(const uint8_t *p, size_t len, struct synack_tcp_opts *o)
{
    memset(o, 0, sizeof(*o));
    /* The block of nearly every segment after the handshake: NOP NOP TS, RFC 7323 Appendix
     * A's layout, which Linux sends and tests for first as well (tcp_fast_parse_options).
     * It reads as the loop below would read it, without the loop. */
    if (len == 12 &&
        wire_get32(p) == (uint32_t)(OPT_NOP << 24 | OPT_NOP << 16 | OPT_TS << 8 | OPT_TS_LEN)) {
        o->has_ts = true;
        o->ts_val = wire_get32(p + 4);
        o->ts_ecr = wire_get32(p + 8);
        return 0;
    }
    /* The block of a SYN from synack (wire_tcp_emit_opts) and from Linux: MSS,
     * SACK-permitted, timestamps, NOP, window scale, 20 bytes. The loop below would read
     * each of the five with its right length and set the same fields. */
    if (len == 20 && wire_get16(p) == (uint16_t)(OPT_MSS << 8 | OPT_MSS_LEN) &&
        wire_get32(p + 4) ==
            (uint32_t)(OPT_SACK_PERM << 24 | OPT_SACK_PERM_LEN << 16 | OPT_TS << 8 | OPT_TS_LEN) &&
        (wire_get32(p + 16) >> 8) == (uint32_t)(OPT_NOP << 16 | OPT_WS << 8 | OPT_WS_LEN)) {
        o->has_mss = true;
        o->mss = wire_get16(p + 2);
        o->sack_permitted = true;
        o->has_ts = true;
        o->ts_val = wire_get32(p + 8);
        o->ts_ecr = wire_get32(p + 12);
        o->has_wscale = true;
        o->wscale = p[19];
        return 0;
    }
    size_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == OPT_EOL) break; /* the rest is padding, whatever it holds */
        if (kind == OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2) break; /* no room for the length byte */
        size_t olen = p[i + 1];
        if (olen < 2 || olen > len - i) break; /* "silly" or partial: stop here */
        const uint8_t *d = p + i + 2;
        switch (kind) {
        case OPT_MSS:
            if (olen != OPT_MSS_LEN) break;
            o->has_mss = true;
            o->mss = wire_get16(d);
            break;
        case OPT_WS:
            if (olen != OPT_WS_LEN) break;
            /* Kept as received: RFC 7323 §2.3 has the receiver log and clamp a shift
             * above 14, which is the TCP layer's business. */
            o->has_wscale = true;
            o->wscale = d[0];
            break;
        case OPT_SACK_PERM:
            if (olen != OPT_SACK_PERM_LEN) break;
            o->sack_permitted = true;
            break;
        case OPT_TS:
            if (olen != OPT_TS_LEN) break;
            o->has_ts = true;
            o->ts_val = wire_get32(d);
            o->ts_ecr = wire_get32(d + 4);
            break;
        case OPT_SACK: {
            if (olen < OPT_SACK_BASE + OPT_SACK_BLOCK ||
                (olen - OPT_SACK_BASE) % OPT_SACK_BLOCK != 0)
                break;
            /* 40 option bytes hold at most 4 blocks (RFC 2018 §3); a longer block list
             * can only come from a caller parsing a longer buffer: keep the first 4. */
            size_t n = (olen - OPT_SACK_BASE) / OPT_SACK_BLOCK;
            if (n > SYNACK_TCP_MAX_SACK) n = SYNACK_TCP_MAX_SACK;
            for (size_t b = 0; b < n; b++) {
                o->sack[b].left = wire_get32(d + b * OPT_SACK_BLOCK);
                o->sack[b].right = wire_get32(d + b * OPT_SACK_BLOCK + 4);
            }
            o->sack_count = (uint8_t)n;
            break;
        }
        case OPT_FO:
        case OPT_EXP: {
            /* RFC 7413 §4.1.1: empty (a cookie request) or a cookie of 4 to 16 bytes (an
             * even count, as Linux takes them); kind 254 only with TFO's magic (RFC 6994
             * §3: other experiments share the kind). Anything else is ignored. */
            size_t base = kind == OPT_FO ? 2 : 4;
            if (olen < base || (kind == OPT_EXP && wire_get16(d) != SYNACK_TCP_FO_EXP_MAGIC)) break;
            size_t clen = olen - base;
            if (clen != 0 && (clen < 4 || clen > SYNACK_TCP_FO_COOKIE_MAX || (clen & 1))) break;
            o->fo_kind = kind;
            o->fo_len = (uint8_t)clen;
            memcpy(o->fo_cookie, p + i + base, clen);
            break;
        }
        default: /* unknown: skipped by its length (RFC 1122 §4.2.2.5) */
            break;
        }
        i += olen;
    }
    return 0;
}

/* The layout, 4-byte aligned word by word so that no padding is needed at the end:
 *   MSS                      4
 *   SACK_PERM + TS           12   (or NOP NOP TS = 12, or NOP NOP SACK_PERM = 4)
 *   NOP NOP SACK 8n+2        4+8n
 *   NOP WS                   4
 *   FO (34) or EXP (254)     2+c or 4+c, NOPs after it to the next word
 * This is Linux's order for a SYN (MSS, SACK_PERM, TS, NOP, WS, with the SACK blocks
 * between, Fast Open last), and RFC 7323 Appendix A's recommended NOP-aligned TS for data
 * segments. */
static size_t opts_fo_len(const struct synack_tcp_opts *o)
{
    if (o->fo_kind != OPT_FO && o->fo_kind != OPT_EXP) return 0;
    size_t n = (o->fo_kind == OPT_FO ? 2u : 4u) + o->fo_len;
    return (n + 3) & ~(size_t)3;
}

static size_t opts_base_len(const struct synack_tcp_opts *o)
{
    size_t n = opts_fo_len(o);
    if (o->has_mss) n += 4;
    if (o->has_ts)
        n += 12;
    else if (o->sack_permitted)
        n += 4;
    if (o->has_wscale) n += 4;
    return n;
}

/* SACK blocks that fit after the other options in 40 bytes, dropping from the end: the
 * first block is the most recent one (RFC 2018 §4), the one worth keeping. */
static size_t opts_sack_fit(const struct synack_tcp_opts *o, size_t base)
{
    size_t n = o->sack_count;
    if (n > SYNACK_TCP_MAX_SACK) n = SYNACK_TCP_MAX_SACK;
    size_t room = base < WIRE_TCP_MAX_OPTS ? WIRE_TCP_MAX_OPTS - base : 0;
    while (n > 0 && 4 + OPT_SACK_BLOCK * n > room) n--;
    return n;
}

size_t wire_tcp_opts_len(const struct synack_tcp_opts *o)
{
    /* Timestamps alone (or SACK-permitted alone): the options of a segment after the
     * handshake, asked for several times a segment (its size, the header, the checksum). */
    if (!o->has_mss && !o->has_wscale && o->sack_count == 0 && o->fo_kind == 0)
        return o->has_ts ? 12 : o->sack_permitted ? 4 : 0;
    size_t base = opts_base_len(o);
    size_t n = opts_sack_fit(o, base);
    return base + (n ? 4 + OPT_SACK_BLOCK * n : 0);
}

size_t wire_tcp_emit_opts(uint8_t *buf, size_t cap, const struct synack_tcp_opts *o)
{
    size_t need = wire_tcp_opts_len(o);
    if (cap < need || need > WIRE_TCP_MAX_OPTS || o->fo_len > SYNACK_TCP_FO_COOKIE_MAX) return 0;
    uint8_t *p = buf;
    if (o->has_mss) {
        p[0] = OPT_MSS;
        p[1] = OPT_MSS_LEN;
        wire_put16(p + 2, o->mss);
        p += 4;
    }
    if (o->has_ts) {
        if (o->sack_permitted) {
            p[0] = OPT_SACK_PERM;
            p[1] = OPT_SACK_PERM_LEN;
        } else {
            p[0] = OPT_NOP;
            p[1] = OPT_NOP;
        }
        p[2] = OPT_TS;
        p[3] = OPT_TS_LEN;
        wire_put32(p + 4, o->ts_val);
        wire_put32(p + 8, o->ts_ecr);
        p += 12;
    } else if (o->sack_permitted) {
        p[0] = OPT_NOP;
        p[1] = OPT_NOP;
        p[2] = OPT_SACK_PERM;
        p[3] = OPT_SACK_PERM_LEN;
        p += 4;
    }
    size_t nsack = o->sack_count ? opts_sack_fit(o, opts_base_len(o)) : 0;
    if (nsack) {
        p[0] = OPT_NOP;
        p[1] = OPT_NOP;
        p[2] = OPT_SACK;
        p[3] = (uint8_t)(OPT_SACK_BASE + OPT_SACK_BLOCK * nsack);
        p += 4;
        for (size_t b = 0; b < nsack; b++) {
            wire_put32(p, o->sack[b].left);
            wire_put32(p + 4, o->sack[b].right);
            p += OPT_SACK_BLOCK;
        }
    }
    if (o->has_wscale) {
        p[0] = OPT_NOP;
        p[1] = OPT_WS;
        p[2] = OPT_WS_LEN;
        p[3] = o->wscale;
        p += 4;
    }
    size_t fo = opts_fo_len(o);
    if (fo) {
        size_t base = o->fo_kind == OPT_FO ? 2 : 4;
        p[0] = o->fo_kind;
        p[1] = (uint8_t)(base + o->fo_len);
        if (base == 4) wire_put16(p + 2, SYNACK_TCP_FO_EXP_MAGIC);
        memcpy(p + base, o->fo_cookie, o->fo_len);
        for (size_t k = base + o->fo_len; k < fo; k++) p[k] = OPT_NOP;
        p += fo;
    }
    return (size_t)(p - buf);
}
