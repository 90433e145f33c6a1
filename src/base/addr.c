/*
 * base/addr.c - the one address type of both IP versions (synack/addr.h): building,
 * comparing, parsing and printing it. IPv4 lives in its IPv4-mapped form (RFC 4291
 * §2.5.5.2) so that the rest of the stack handles 16 bytes whatever the family.
 */
#include "synack/addr.h"

#include <arpa/inet.h>
#include <string.h>

#include "synack/synack.h"

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool bytes_v4mapped(const uint8_t b[16])
{
    return memcmp(b, v4_prefix, sizeof v4_prefix) == 0;
}

static bool bytes_zero(const uint8_t b[16])
{
    static const uint8_t zero[16];
    return memcmp(b, zero, sizeof zero) == 0;
}

struct synack_addr synack_addr_v4(uint32_t a)
{
    struct synack_addr r = {.family = SYNACK_AF_INET};
    memcpy(r.bytes, v4_prefix, sizeof v4_prefix);
    r.bytes[12] = (uint8_t)(a >> 24);
    r.bytes[13] = (uint8_t)(a >> 16);
    r.bytes[14] = (uint8_t)(a >> 8);
    r.bytes[15] = (uint8_t)a;
    return r;
}

struct synack_addr synack_addr_v6(const uint8_t b[16])
{
    struct synack_addr r = {.family = SYNACK_AF_INET6};
    memcpy(r.bytes, b, 16);
    if (bytes_v4mapped(b))
        r.family = SYNACK_AF_INET;
    else if (bytes_zero(b))
        r.family = SYNACK_AF_UNSPEC;
    return r;
}

bool synack_addr_canon(const struct synack_addr *a, struct synack_addr *out)
{
    switch (a->family) {
    case SYNACK_AF_INET:
        /* An IPv4 family with zero bytes is taken for 0.0.0.0, the way a zeroed struct with
         * the family set reads; anything else must be IPv4-mapped. */
        if (bytes_zero(a->bytes)) {
            *out = synack_addr_v4(0);
            return true;
        }
        if (!bytes_v4mapped(a->bytes)) return false;
        *out = *a;
        return true;
    case SYNACK_AF_INET6:
    case SYNACK_AF_UNSPEC:
        if (a->family == SYNACK_AF_UNSPEC && !bytes_zero(a->bytes)) return false;
        *out = synack_addr_v6(a->bytes);
        return true;
    default:
        return false;
    }
}

uint32_t synack_addr_to_v4(const struct synack_addr *a)
{
    if (!synack_addr_is_v4(a)) return 0;
    const uint8_t *b = a->bytes + 12;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

bool synack_addr_is_v4(const struct synack_addr *a)
{
    return a->family == SYNACK_AF_INET;
}

bool synack_addr_is_any(const struct synack_addr *a)
{
    if (a->family == SYNACK_AF_INET) return synack_addr_to_v4(a) == 0;
    return bytes_zero(a->bytes);
}

bool synack_addr_is_multicast(const struct synack_addr *a)
{
    if (a->family == SYNACK_AF_INET) return (synack_addr_to_v4(a) >> 28) == 0xe;
    return a->family == SYNACK_AF_INET6 && a->bytes[0] == 0xff;
}

bool synack_addr_is_loopback(const struct synack_addr *a)
{
    static const uint8_t loopback6[16] = {[15] = 1};
    if (a->family == SYNACK_AF_INET) return (synack_addr_to_v4(a) >> 24) == 127;
    return a->family == SYNACK_AF_INET6 && memcmp(a->bytes, loopback6, 16) == 0;
}

bool synack_addr_eq(const struct synack_addr *a, const struct synack_addr *b)
{
    struct synack_addr x, y;
    if (!synack_addr_canon(a, &x) || !synack_addr_canon(b, &y)) return false;
    return x.family == y.family && memcmp(x.bytes, y.bytes, 16) == 0;
}

int synack_addr_parse(const char *text, struct synack_addr *out)
{
    char buf[SYNACK_ADDR_STRLEN + 2];
    size_t n = strlen(text);
    /* "[fd00::1]", as in a URL (RFC 3986 §3.2.2). */
    if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
        if (n - 2 >= sizeof buf) return SYNACK_EINVAL;
        memcpy(buf, text + 1, n - 2);
        buf[n - 2] = '\0';
        text = buf;
    }
    /* Only IPv6 goes in brackets: RFC 3986 §3.2.2's IP-literal holds an IPv6address (or
     * an IPvFuture, which no stack speaks), never a dotted IPv4 address. */
    struct in_addr a4;
    if (text != buf && inet_pton(AF_INET, text, &a4) == 1) {
        *out = synack_addr_v4(ntohl(a4.s_addr));
        return 0;
    }
    uint8_t a6[16];
    if (inet_pton(AF_INET6, text, a6) == 1) {
        *out = synack_addr_v6(a6);
        return 0;
    }
    return SYNACK_EINVAL;
}

const char *synack_addr_str(const struct synack_addr *a, char *buf, size_t cap)
{
    if (cap == 0) return buf;
    buf[0] = '\0';
    if (a->family == SYNACK_AF_INET) {
        if (!inet_ntop(AF_INET, a->bytes + 12, buf, (socklen_t)cap)) buf[0] = '\0';
    } else if (a->family == SYNACK_AF_UNSPEC && bytes_zero(a->bytes)) {
        if (cap >= 2) memcpy(buf, "*", 2);
    } else if (!inet_ntop(AF_INET6, a->bytes, buf, (socklen_t)cap)) {
        buf[0] = '\0';
    }
    return buf;
}
