/*
 * synack/addr.h - one address type for both IP versions: a family and 16 bytes. An IPv4
 * address is kept in its IPv4-mapped IPv6 form, ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), so that
 * every address of either family has exactly one 16-byte spelling and a connection's
 * 4-tuple is compared, hashed and stored the same way whatever its family.
 *
 * The unspecified address ("any"): family SYNACK_AF_UNSPEC with all bytes zero binds to
 * both families, as Linux's :: does for an AF_INET6 socket; synack_addr_v4(0) (0.0.0.0)
 * binds to IPv4 only.
 */
#ifndef SYNACK_ADDR_H
#define SYNACK_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_AF_UNSPEC 0
#define SYNACK_AF_INET   4
#define SYNACK_AF_INET6  6

struct synack_addr {
    uint8_t family;    /* SYNACK_AF_INET, SYNACK_AF_INET6, or SYNACK_AF_UNSPEC (any) */
    uint8_t bytes[16]; /* network byte order; IPv4 as ::ffff:a.b.c.d */
};

/* The unspecified address of both families, for synack_bind. */
#define SYNACK_ADDR_ANY ((struct synack_addr){0})

/* Longest text an address takes, with its terminating NUL (INET6_ADDRSTRLEN). */
#define SYNACK_ADDR_STRLEN 46

/* The IPv4 address a (host byte order: 10.0.0.1 is 0x0a000001); 0 is 0.0.0.0, any IPv4. */
struct synack_addr synack_addr_v4(uint32_t a);
/* The IPv6 address in b (network byte order). An IPv4-mapped one becomes that IPv4
 * address (family SYNACK_AF_INET); :: becomes the unspecified address of both families. */
struct synack_addr synack_addr_v6(const uint8_t b[16]);
/* The IPv4 address of a in host byte order, 0 when a is not IPv4. */
uint32_t synack_addr_to_v4(const struct synack_addr *a);
bool synack_addr_is_v4(const struct synack_addr *a);
/* true for the unspecified address of either family (UNSPEC, 0.0.0.0 or ::). */
bool synack_addr_is_any(const struct synack_addr *a);
/* Multicast (IPv4 224/4, RFC 1112; IPv6 ff00::/8, RFC 4291 §2.7) and loopback (IPv4
 * 127/8; IPv6 ::1, RFC 4291 §2.5.3): addresses that name no single host on a link. */
bool synack_addr_is_multicast(const struct synack_addr *a);
bool synack_addr_is_loopback(const struct synack_addr *a);
/* Same family and bytes (after the canonical form above). */
bool synack_addr_eq(const struct synack_addr *a, const struct synack_addr *b);
/* "10.0.0.1" or "fd00:7::2" (also "[fd00:7::2]"): 0, or SYNACK_EINVAL. */
int synack_addr_parse(const char *text, struct synack_addr *out);
/* The address as text in buf (at least SYNACK_ADDR_STRLEN bytes make room for any):
 * "10.0.0.1", "fd00:7::2" (RFC 5952), "*" for the unspecified address of both families.
 * Returns buf. */
const char *synack_addr_str(const struct synack_addr *a, char *buf, size_t cap);
/* The canonical form of a (the rules above): what the API stores of any address it is
 * given. Returns false for an address that is no address: an IPv4 family with bytes that
 * are not IPv4-mapped, or an unknown family. */
bool synack_addr_canon(const struct synack_addr *a, struct synack_addr *out);

#ifdef __cplusplus
}
#endif
#endif
