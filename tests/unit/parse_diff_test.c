/*
 * parse_diff_test.c - the input parsers' short forms held to the definitions: the TCP
 * header parse with its checksum summed as 32-bit header words (wire/tcp.c) and the IPv4
 * parse (wire/ipv4.c) and the options' common layouts read without the loop
 * (wire/tcp_opts.c) against reference parsers written here from RFC 9293 §3.1-§3.2, RFC 791
 * §3.1 and RFC 1071 §1 byte by byte, on seeded random and adversarial datagrams: every
 * verdict (the drop reason named) and every field the same. And IPv4 input's test of the
 * source address (entry/ip.c) against RFC 1122 §3.2.1.3's list, through a stack; and the
 * demultiplexer's choice of listener (entry/demux.c, one walk of the port's listeners)
 * against the order of preference it documents.
 */
#include <stdlib.h>

#include "synack/synack.h"
#include "test.h"
#include "wire/wire.h"

static uint64_t rng;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* RFC 1071 §1 as it reads: 16-bit big-endian words, an odd byte padded, carries folded. */
static uint16_t ref_sum(uint64_t acc, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1) acc += (uint32_t)p[len - 1] << 8;
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)acc;
}

/* RFC 9293 §3.1, in the order wire_tcp_parse_ph documents. */
static int ref_tcp(const uint8_t *p, size_t len, uint32_t pseudo, bool verify,
                   struct synack_tcp_hdr *h, size_t *dlen)
{
    if (len < 20) return SYNACK_DROP_TCP_TRUNCATED;
    size_t hl = (size_t)(p[12] >> 4) * 4;
    if (hl < 20 || hl > len) return SYNACK_DROP_TCP_HDR_LEN;
    if (verify) {
        if (len > 0xffff) return SYNACK_DROP_TCP_CHECKSUM;
        uint64_t acc = (uint64_t)pseudo + (len >> 16) + (len & 0xffff);
        if (ref_sum(acc, p, len) != 0xffff) return SYNACK_DROP_TCP_CHECKSUM;
    }
    memset(h, 0, sizeof *h);
    wire_tcp_parse_opts(p + 20, hl - 20, &h->opts);
    h->sport = (uint16_t)(p[0] << 8 | p[1]);
    h->dport = (uint16_t)(p[2] << 8 | p[3]);
    h->seq = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    h->ack = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
    h->hdr_len = (uint8_t)hl;
    h->flags = (uint16_t)((p[12] & 1) << 8 | p[13]);
    h->window = (uint16_t)(p[14] << 8 | p[15]);
    h->checksum = (uint16_t)(p[16] << 8 | p[17]);
    h->urg = (uint16_t)(p[18] << 8 | p[19]);
    *dlen = len - hl;
    return 0;
}

static void same_tcp(const struct synack_tcp_hdr *a, const struct synack_tcp_hdr *b)
{
    ASSERT_EQ(a->sport, b->sport);
    ASSERT_EQ(a->dport, b->dport);
    ASSERT_EQ(a->seq, b->seq);
    ASSERT_EQ(a->ack, b->ack);
    ASSERT_EQ(a->hdr_len, b->hdr_len);
    ASSERT_EQ(a->flags, b->flags);
    ASSERT_EQ(a->window, b->window);
    ASSERT_EQ(a->checksum, b->checksum);
    ASSERT_EQ(a->urg, b->urg);
    ASSERT(memcmp(&a->opts, &b->opts, sizeof a->opts) == 0);
}

/* A random segment: random bytes, a data offset valid or not, the options often the
 * common layouts, the checksum right for the pseudo-header more often than not, then
 * sometimes one bit flipped anywhere. */
static size_t make_tcp(uint8_t *p, size_t cap, uint32_t pseudo)
{
    size_t len;
    uint64_t k = next() % 16;
    if (k < 8)
        len = 20 + next() % 48; /* the headers of a lifecycle: short data */
    else if (k < 12)
        len = next() % 80;
    else if (k < 15)
        len = next() % 1600;
    else
        len = next() % cap;
    for (size_t i = 0; i < len; i++) p[i] = (uint8_t)next();
    if (len >= 20) {
        uint64_t d = next() % 8;
        size_t hl = d < 2 ? 20 : d < 4 ? 32 : d < 7 ? 20 + 4 * (next() % 11) : 4 * (next() % 16);
        p[12] = (uint8_t)(hl / 4 << 4 | (p[12] & 0x0f));
        if (hl == 32 && len >= 32 && next() % 2) {
            p[20] = 1, p[21] = 1, p[22] = 8, p[23] = 10; /* NOP NOP TS */
        }
        if (next() % 4) {
            p[16] = p[17] = 0;
            uint64_t acc = (uint64_t)pseudo + (len >> 16) + (len & 0xffff);
            uint16_t c = (uint16_t)~ref_sum(acc, p, len);
            p[16] = (uint8_t)(c >> 8), p[17] = (uint8_t)c;
        }
    }
    if (len && next() % 5 == 0) p[next() % len] ^= (uint8_t)(1u << (next() % 8));
    return len;
}

TEST(tcp_parse_matches_reference)
{
    const uint64_t seed = 7001;
    test_seed(seed);
    rng = seed;
    static uint8_t buf[70000];
    int ok = 0, csum_bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t pk = next() % 8;
        uint32_t pseudo = pk == 0   ? 0xffffffffu
                          : pk == 1 ? 0
                          : pk < 5  ? (uint32_t)(next() % 0x5fffb) /* an IPv4 one's range */
                                    : (uint32_t)next();
        size_t cap = i % 1000 == 0 ? sizeof buf : 2000;
        size_t len = make_tcp(buf, cap, pseudo);
        bool verify = next() % 8 != 0;
        struct synack_tcp_hdr a, b;
        memset(&a, 0xa5, sizeof a);
        const uint8_t *pl = NULL;
        size_t pn = 0, rn = 0;
        int r = wire_tcp_parse_ph(buf, len, pseudo, verify, &a, &pl, &pn);
        int e = ref_tcp(buf, len, pseudo, verify, &b, &rn);
        ASSERT_EQ(r, e);
        if (r != 0) {
            csum_bad += r == SYNACK_DROP_TCP_CHECKSUM;
            continue;
        }
        ok++;
        same_tcp(&a, &b);
        ASSERT(pl == buf + b.hdr_len);
        ASSERT_EQ(pn, rn);
    }
    /* The draw reaches both verdicts often. */
    ASSERT(ok > 50000);
    ASSERT(csum_bad > 20000);
}

TEST(tcp_parse_checksum_edges)
{
    /* All-ones and all-zeros segments, every header length, pseudo sums at the extremes:
     * the carries the 64-bit total keeps and the folds. */
    static uint8_t buf[2048];
    const uint32_t pseudos[] = {0, 1, 0xffff, 0x10000, 0x5fffa, 0xfffffffeu, 0xffffffffu};
    for (int fill = 0; fill < 2; fill++)
        for (size_t len = 20; len < sizeof buf; len += len < 100 ? 1 : 97)
            for (size_t hl = 20; hl <= 60 && hl <= len; hl += 4)
                for (size_t q = 0; q < sizeof pseudos / sizeof pseudos[0]; q++) {
                    memset(buf, fill ? 0xff : 0, len);
                    buf[12] = (uint8_t)(hl / 4 << 4 | (buf[12] & 0x0f));
                    for (int fix = 0; fix < 2; fix++) {
                        if (fix) {
                            buf[16] = buf[17] = 0;
                            uint64_t acc = (uint64_t)pseudos[q] + len;
                            uint16_t c = (uint16_t)~ref_sum(acc, buf, len);
                            buf[16] = (uint8_t)(c >> 8), buf[17] = (uint8_t)c;
                        }
                        struct synack_tcp_hdr a, b;
                        const uint8_t *pl;
                        size_t pn, rn;
                        int r = wire_tcp_parse_ph(buf, len, pseudos[q], true, &a, &pl, &pn);
                        ASSERT_EQ(r, ref_tcp(buf, len, pseudos[q], true, &b, &rn));
                        if (fix) ASSERT_EQ(r, 0);
                        if (r == 0) same_tcp(&a, &b);
                    }
                }
}

/* RFC 791 §3.1, in the order wire_ipv4_parse documents. */
static int ref_ipv4(const uint8_t *p, size_t len, struct synack_ipv4_hdr *h, size_t *plen)
{
    if (len < 20) return SYNACK_DROP_IP_TRUNCATED;
    if (p[0] >> 4 != 4) return SYNACK_DROP_IP_VERSION;
    size_t hl = (size_t)(p[0] & 0x0f) * 4;
    if (hl < 20 || hl > len) return SYNACK_DROP_IP_HDR_LEN;
    size_t total = (size_t)(p[2] << 8 | p[3]);
    if (total < hl) return SYNACK_DROP_IP_TOTAL_LEN;
    if (total > len) return SYNACK_DROP_IP_TRUNCATED;
    if (ref_sum(0, p, hl) != 0xffff) return SYNACK_DROP_IP_CHECKSUM;
    uint16_t frag = (uint16_t)(p[6] << 8 | p[7]);
    if (frag & 0x3fff) return SYNACK_DROP_IP_FRAGMENT;
    h->hdr_len = (uint8_t)hl;
    h->tos = p[1];
    h->total_len = (uint16_t)total;
    h->id = (uint16_t)(p[4] << 8 | p[5]);
    h->frag = frag;
    h->ttl = p[8];
    h->proto = p[9];
    h->checksum = (uint16_t)(p[10] << 8 | p[11]);
    h->src = (uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 | (uint32_t)p[14] << 8 | p[15];
    h->dst = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
    *plen = total - hl;
    return 0;
}

TEST(ipv4_parse_matches_reference)
{
    /* Random datagrams: the version, IHL, total length, fragment word and checksum each
     * right more often than not, one bit flipped now and then, link padding past the total,
     * lengths cut anywhere. */
    const uint64_t seed = 7002;
    test_seed(seed);
    rng = seed;
    static uint8_t buf[2048];
    int ok = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = next() % 4 ? 20 + next() % 100 : next() % 1600;
        for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)next();
        if (len >= 20) {
            uint64_t d = next() % 8;
            size_t hl = d < 5 ? 20 : d < 7 ? 20 + 4 * (next() % 11) : 4 * (next() % 16);
            buf[0] = (uint8_t)((next() % 8 ? 4 : next() % 16) << 4 | hl / 4);
            size_t total = next() % 4 ? len - next() % 3 : next() % 0x10000;
            if (total > 0xffff) total = 0xffff;
            buf[2] = (uint8_t)(total >> 8), buf[3] = (uint8_t)total;
            if (next() % 4) buf[6] = (uint8_t)(buf[6] & (next() % 2 ? 0x40 : 0xff)), buf[7] = 0;
            if (next() % 4 && hl <= len) {
                buf[10] = buf[11] = 0;
                uint16_t c = (uint16_t)~ref_sum(0, buf, hl);
                buf[10] = (uint8_t)(c >> 8), buf[11] = (uint8_t)c;
            }
        }
        if (len && next() % 5 == 0) buf[next() % len] ^= (uint8_t)(1u << (next() % 8));
        struct synack_ipv4_hdr a, b;
        memset(&a, 0xa5, sizeof a);
        memset(&b, 0xa5, sizeof b);
        const uint8_t *pl = NULL;
        size_t pn = 0, rn = 0;
        int r = wire_ipv4_parse(buf, len, &a, &pl, &pn);
        ASSERT_EQ(r, ref_ipv4(buf, len, &b, &rn));
        if (r != 0) continue;
        ok++;
        ASSERT(memcmp(&a, &b, sizeof a) == 0);
        ASSERT(pl == buf + b.hdr_len);
        ASSERT_EQ(pn, rn);
        /* wire_ipv4_fields reads the same fields without the checks. */
        struct synack_ipv4_hdr f;
        memset(&f, 0xa5, sizeof f);
        wire_ipv4_fields(buf, &f);
        ASSERT(memcmp(&f, &b, sizeof f) == 0);
    }
    ASSERT(ok > 20000);
}

/* RFC 9293 §3.2 and the rules wire/tcp_opts.c documents, as a plain loop over the block:
 * the reference the short forms of common layouts are held to. */
static void ref_opts(const uint8_t *p, size_t len, struct synack_tcp_opts *o)
{
    memset(o, 0, sizeof *o);
    size_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == 0) break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (len - i < 2) break;
        size_t olen = p[i + 1];
        if (olen < 2 || olen > len - i) break;
        const uint8_t *d = p + i + 2;
        if (kind == 2 && olen == 4) {
            o->has_mss = true;
            o->mss = (uint16_t)(d[0] << 8 | d[1]);
        } else if (kind == 3 && olen == 3) {
            o->has_wscale = true;
            o->wscale = d[0];
        } else if (kind == 4 && olen == 2) {
            o->sack_permitted = true;
        } else if (kind == 8 && olen == 10) {
            o->has_ts = true;
            o->ts_val = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
            o->ts_ecr = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
        } else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0) {
            size_t n = (olen - 2) / 8;
            if (n > SYNACK_TCP_MAX_SACK) n = SYNACK_TCP_MAX_SACK;
            for (size_t b = 0; b < n; b++) {
                const uint8_t *q = d + 8 * b;
                o->sack[b].left =
                    (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
                o->sack[b].right =
                    (uint32_t)q[4] << 24 | (uint32_t)q[5] << 16 | (uint32_t)q[6] << 8 | q[7];
            }
            o->sack_count = (uint8_t)n;
        } else if (kind == SYNACK_TCP_FO || kind == SYNACK_TCP_FO_EXP) {
            size_t base = kind == SYNACK_TCP_FO ? 2 : 4;
            bool ok = olen >= base &&
                      (kind == SYNACK_TCP_FO || (d[0] << 8 | d[1]) == SYNACK_TCP_FO_EXP_MAGIC);
            size_t clen = olen - base;
            if (ok &&
                (clen == 0 || (clen >= 4 && clen <= SYNACK_TCP_FO_COOKIE_MAX && !(clen & 1)))) {
                o->fo_kind = kind;
                o->fo_len = (uint8_t)clen;
                memcpy(o->fo_cookie, p + i + base, clen);
            }
        }
        i += olen;
    }
}

TEST(tcp_opts_match_reference)
{
    /* The two layouts read without the loop (NOP NOP TS; a SYN's MSS, SACK-permitted, TS,
     * NOP, WS) and their neighbours: each kind or length byte changed, the block one byte
     * shorter or longer, random blocks of every length to 40. */
    const uint64_t seed = 7003;
    test_seed(seed);
    rng = seed;
    static const uint8_t syn[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2,
                                    3, 4, 5,    6,    7, 8, 1, 3,  3, 7};
    static const uint8_t ts[12] = {1, 1, 8, 10, 9, 8, 7, 6, 5, 4, 3, 2};
    uint8_t b[48];
    int fast_syn = 0, fast_ts = 0;
    for (int i = 0; i < 300000; i++) {
        uint64_t k = next() % 4;
        size_t len;
        for (size_t j = 0; j < sizeof b; j++) b[j] = (uint8_t)next();
        if (k == 0) {
            memcpy(b, syn, sizeof syn);
            b[2] = (uint8_t)next(), b[3] = (uint8_t)next(), b[19] = (uint8_t)next();
            for (int j = 8; j < 16; j++) b[j] = (uint8_t)next();
            len = next() % 4 ? 20 : 16 + next() % 25;
            /* Past the layout, an option that would change a field (or not fit). */
            if (next() % 2)
                b[20] = 2, b[21] = 4;
            else if (next() % 2)
                b[20] = 3, b[21] = 3;
        } else if (k == 1) {
            memcpy(b, ts, sizeof ts);
            len = next() % 4 ? 12 : 8 + next() % 33;
            if (next() % 2)
                b[12] = 2, b[13] = 4;
            else if (next() % 2)
                b[12] = 4, b[13] = 2;
        } else {
            len = next() % 41;
        }
        /* One of the layout bytes changed, now and then, to a value that means something. */
        if (k < 2 && next() % 3 == 0) {
            static const uint8_t vals[] = {0, 1, 2, 3, 4, 5, 8, 10, 34, 254};
            b[next() % (k == 0 ? 20 : 12)] = vals[next() % sizeof vals];
        }
        bool is_syn = len == 20 && memcmp(b, syn, 2) == 0 && memcmp(b + 4, syn + 4, 4) == 0 &&
                      memcmp(b + 16, syn + 16, 3) == 0;
        bool is_ts = len == 12 && memcmp(b, ts, 4) == 0;
        fast_syn += is_syn;
        fast_ts += is_ts;
        struct synack_tcp_opts a, r;
        memset(&a, 0xa5, sizeof a);
        ASSERT_EQ(wire_tcp_parse_opts(b, len, &a), 0);
        ref_opts(b, len, &r);
        ASSERT(memcmp(&a, &r, sizeof a) == 0);
    }
    ASSERT(fast_syn > 30000);
    ASSERT(fast_ts > 30000);
}

/* RFC 1122 §3.2.1.3 as it lists them: 0, all ones, class D (multicast) and E, loopback, our
 * own address, and our subnet's directed broadcast (host bits all ones on a prefix shorter
 * than /31, RFC 3021 §2.1). */
static bool ref_src_invalid(uint32_t src, uint32_t own, int prefix)
{
    if (src == 0 || src == 0xffffffffu) return true;
    if (src >> 28 == 0xe || src >> 28 == 0xf) return true;
    if (src >> 24 == 127) return true;
    if (src == own) return true;
    if (prefix < 31) {
        uint32_t host = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
        if ((src & ~host) == (own & ~host) && (src & host) == host) return true;
    }
    return false;
}

TEST(ipv4_source_check_matches_rfc1122)
{
    /* SYNs from seeded random sources and from the edges of every class, to stacks on
     * several prefixes: each is dropped as an invalid source exactly when the list says. */
    const uint64_t seed = 7004;
    test_seed(seed);
    rng = seed;
    const uint32_t own = 0x0a0a0a21u; /* 10.10.10.33 */
    const int prefixes[] = {0, 1, 8, 16, 24, 27, 30, 31, 32};
    for (size_t q = 0; q < sizeof prefixes / sizeof prefixes[0]; q++) {
        struct synack_config c;
        synack_config_default(&c);
        c.addr = synack_addr_v4(own);
        c.prefix_len = (uint8_t)prefixes[q];
        c.seed = seed;
        int err = 0;
        synack_stack *st = synack_stack_new(&c, &err);
        ASSERT(st != NULL);
        uint32_t host = prefixes[q] == 0 ? 0xffffffffu : (1u << (32 - prefixes[q])) - 1;
        for (int i = 0; i < 3000; i++) {
            uint32_t src;
            switch (i < 2000 ? 9 : next() % 9) {
            case 0:
                src = 0;
                break;
            case 1:
                src = 0xffffffffu;
                break;
            case 2:
                src = 0xe0000000u + (uint32_t)(next() % 3) - 1;
                break; /* 224/4's edge */
            case 3:
                src = 0xf0000000u + (uint32_t)(next() % 3) - 1;
                break; /* 240/4's */
            case 4:
                src = ((uint32_t)(126 + next() % 3) << 24) | (uint32_t)(next() & 0xffffff);
                break;
            case 5:
                src = own + (uint32_t)(next() % 3) - 1;
                break;
            case 6:
                src = (own | host) + (uint32_t)(next() % 3) - 1;
                break; /* the broadcast */
            case 7:
                src = (own & ~host) + (uint32_t)(next() % 3) - 1;
                break;
            default:
                src = (uint32_t)next();
                break;
            }
            uint8_t pkt[64];
            struct synack_ipv4_hdr ip = {
                .ttl = 64, .proto = SYNACK_IPPROTO_TCP, .src = src, .dst = own};
            struct synack_tcp_hdr th;
            memset(&th, 0, sizeof th);
            th.sport = 40000;
            th.dport = 80; /* nobody listens: a valid source draws a reset or nothing */
            th.seq = 1;
            th.flags = SYNACK_TCP_ACK;
            th.ack = 2;
            size_t n = wire_segment_emit(pkt, sizeof pkt, &ip, &th, NULL, 0);
            ASSERT(n > 0);
            struct synack_stats b, a;
            synack_get_stats(st, &b);
            synack_input(st, 1000000, pkt, n);
            synack_get_stats(st, &a);
            uint8_t out[256];
            while (synack_output(st, 1000000, out, sizeof out) > 0) {
            }
            uint64_t d = a.drop_by_reason[SYNACK_DROP_IP_SRC_INVALID] -
                         b.drop_by_reason[SYNACK_DROP_IP_SRC_INVALID];
            ASSERT_EQ(d, ref_src_invalid(src, own, prefixes[q]) ? 1u : 0u);
        }
        synack_stack_free(st);
    }
}

/* The segment th from 10.0.0.9 to own (IPv4) or from fd00::9 to own6 (IPv6). */
static size_t peer_emit(uint8_t *pkt, size_t cap, bool v6, uint32_t own,
                        const struct synack_addr *own6, const struct synack_tcp_hdr *th)
{
    if (!v6) {
        struct synack_ipv4_hdr ip = {
            .ttl = 64, .proto = SYNACK_IPPROTO_TCP, .src = 0x0a000009u, .dst = own};
        return wire_segment_emit(pkt, cap, &ip, th, NULL, 0);
    }
    struct synack_ipv6_hdr ip;
    memset(&ip, 0, sizeof ip);
    static const uint8_t peer[16] = {0xfd, [15] = 9};
    memcpy(ip.src, peer, 16);
    memcpy(ip.dst, own6->bytes, 16);
    ip.next_header = SYNACK_IPPROTO_TCP;
    ip.hop_limit = 64;
    return wire_segment_emit6(pkt, cap, &ip, th, NULL, 0);
}

/* A SYN from 10.0.0.9:40000 to own:80 (IPv4) or from fd00::9 to own6 (IPv6); which of the
 * listeners l[] answered it, found by the connection it queued. */
static int who_took(synack_stack *st, const int *l, int nl, bool v6, uint32_t own,
                    const struct synack_addr *own6, uint32_t iss)
{
    uint8_t pkt[128];
    struct synack_tcp_hdr th;
    memset(&th, 0, sizeof th);
    th.sport = 40000;
    th.dport = 80;
    th.seq = iss;
    th.flags = SYNACK_TCP_SYN;
    th.window = 65535;
    size_t n;
    n = peer_emit(pkt, sizeof pkt, v6, own, own6, &th);
    ASSERT(n > 0);
    ASSERT_EQ(synack_input(st, 1000000, pkt, n), 0);
    uint8_t out[256];
    long m = synack_output(st, 1000000, out, sizeof out);
    ASSERT(m > 0);
    /* Complete the handshake so that the child reaches its listener's accept queue. */
    struct synack_segment seg;
    ASSERT_EQ(wire_segment_parse(out, (size_t)m, true, &seg), 0);
    th.flags = SYNACK_TCP_ACK;
    th.seq = iss + 1;
    th.ack = seg.tcp.seq + 1;
    n = peer_emit(pkt, sizeof pkt, v6, own, own6, &th);
    ASSERT_EQ(synack_input(st, 1000000, pkt, n), 0);
    int took = -1;
    for (int i = 0; i < nl && took < 0; i++) {
        struct synack_endpoint ep;
        int c = synack_accept(st, l[i], &ep);
        if (c >= 0) {
            synack_abort(st, c, 1000000);
            took = i;
        }
    }
    /* Whatever was answered (the reset of an ACK nobody took, the abort's) goes. */
    while (synack_output(st, 1000000, out, sizeof out) > 0) {
    }
    return took;
}

TEST(listener_choice_most_specific_first)
{
    /* Listeners on the stack's own address, on 0.0.0.0, on the unspecified address of both
     * families and on the own IPv6 address, on one port, every subset entered in every order
     * (those that overlap one already listening are refused): an IPv4 SYN goes to the own
     * address's, else 0.0.0.0's, else the unspecified one's; an IPv6 SYN to the own IPv6
     * address's, else the unspecified one's. */
    const uint32_t own = 0x0a000001u;
    static const uint8_t own6b[16] = {0xfd, [15] = 1};
    const struct synack_addr own6 = synack_addr_v6(own6b);
    const struct synack_addr addrs[4] = {synack_addr_v4(own), synack_addr_v4(0), SYNACK_ADDR_ANY,
                                         own6};
    static const int perms[24][4] = {
        {0, 1, 2, 3}, {0, 1, 3, 2}, {0, 2, 1, 3}, {0, 2, 3, 1}, {0, 3, 1, 2}, {0, 3, 2, 1},
        {1, 0, 2, 3}, {1, 0, 3, 2}, {1, 2, 0, 3}, {1, 2, 3, 0}, {1, 3, 0, 2}, {1, 3, 2, 0},
        {2, 0, 1, 3}, {2, 0, 3, 1}, {2, 1, 0, 3}, {2, 1, 3, 0}, {2, 3, 0, 1}, {2, 3, 1, 0},
        {3, 0, 1, 2}, {3, 0, 2, 1}, {3, 1, 0, 2}, {3, 1, 2, 0}, {3, 2, 0, 1}, {3, 2, 1, 0}};
    uint32_t iss = 100;
    int combos = 0;
    for (int mask = 1; mask < 16; mask++)
        for (int p = 0; p < 24; p++) {
            struct synack_config c;
            synack_config_default(&c);
            c.addr = synack_addr_v4(own);
            c.prefix_len = 24;
            c.addr6 = own6;
            c.seed = 7005;
            int err = 0;
            synack_stack *st = synack_stack_new(&c, &err);
            ASSERT(st != NULL);
            int l[4], which[4], nl = 0;
            for (int k = 0; k < 4; k++) {
                int a = perms[p][k];
                if (!(mask & (1 << a))) continue;
                int sd = synack_socket(st);
                ASSERT(sd >= 0);
                ASSERT_EQ(synack_setopt(st, sd, SYNACK_OPT_REUSEADDR, 1), 0);
                ASSERT_EQ(synack_bind(st, sd, addrs[a], 80), 0);
                l[nl] = sd;
                which[nl++] = a;
            }
            /* A listen that overlaps one already listening is refused (EADDRINUSE, as
             * Linux without SO_REUSEPORT): that socket drops out of the set. */
            int present = 0, kept = 0;
            for (int k = 0; k < nl; k++) {
                if (synack_listen(st, l[k], 8) == 0) {
                    present |= 1 << which[k];
                    l[kept] = l[k];
                    which[kept++] = which[k];
                } else {
                    ASSERT_EQ(synack_close(st, l[k], 1000000), 0);
                }
            }
            nl = kept;
            combos += nl > 1;
            /* The expected: the first of the preference order present. */
            int want4 = present & 1 ? 0 : present & 2 ? 1 : present & 4 ? 2 : -1;
            int want6 = present & 8 ? 3 : present & 4 ? 2 : -1;
            int got4 = who_took(st, l, nl, false, own, &own6, iss++);
            ASSERT_EQ(got4 >= 0 ? which[got4] : -1, want4);
            int got6 = who_took(st, l, nl, true, own, &own6, iss++);
            ASSERT_EQ(got6 >= 0 ? which[got6] : -1, want6);
            synack_stack_free(st);
        }
    ASSERT(combos > 0); /* two listeners of the port at once (own4 or 0.0.0.0 with own6) */
}

TEST_MAIN()
