/*
 * addr_test.c - the one address type of both IP versions (synack/addr.h, base/addr.c):
 * parsing the text forms a user types (RFC 4291 §2.2, brackets as in RFC 3986 §3.2.2),
 * printing them as RFC 5952 says, the canonical form (IPv4 as ::ffff:a.b.c.d, RFC 4291
 * §2.5.5.2), equality and "any". Written against the header's promises, not the code.
 */
#include "synack/addr.h"
#include "synack/synack.h"
#include "test.h"

static struct synack_addr parse_ok(const char *text)
{
    struct synack_addr a;
    memset(&a, 0xee, sizeof a);
    int r = synack_addr_parse(text, &a);
    if (r != 0) fprintf(stderr, "    synack_addr_parse(\"%s\") = %d\n", text, r);
    ASSERT_EQ(r, 0);
    return a;
}

/* The text of a, with a buffer of the documented size. */
static const char *str(const struct synack_addr *a, char buf[SYNACK_ADDR_STRLEN])
{
    return synack_addr_str(a, buf, SYNACK_ADDR_STRLEN);
}

/* text parses, and prints back as want (RFC 5952's one form). */
static void round_trip(const char *text, const char *want)
{
    char buf[SYNACK_ADDR_STRLEN];
    struct synack_addr a = parse_ok(text);
    ASSERT_STR_EQ(str(&a, buf), want);
    /* What it printed parses to the same address. */
    struct synack_addr b = parse_ok(buf);
    ASSERT(synack_addr_eq(&a, &b));
}

TEST(parse_ipv4)
{
    struct synack_addr a = parse_ok("10.0.0.1");
    ASSERT_EQ(a.family, SYNACK_AF_INET);
    ASSERT_EQ(synack_addr_to_v4(&a), 0x0a000001);
    static const uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 1};
    ASSERT_MEM_EQ(a.bytes, mapped, 16);
    ASSERT(synack_addr_is_v4(&a));
    ASSERT(!synack_addr_is_any(&a));
    struct synack_addr v = synack_addr_v4(0x0a000001);
    ASSERT(synack_addr_eq(&a, &v));
    ASSERT_MEM_EQ(&a, &v, sizeof a);
}

TEST(parse_ipv6_forms)
{
    static const uint8_t want[16] = {0xfd, 0x00, 0x00, 0x07, [15] = 2};
    const char *forms[] = {
        "fd00:7::2",          "FD00:7::2",   "fd00:0007:0000:0000:0000:0000:0000:0002",
        "fd00:7:0:0:0:0:0:2", "[fd00:7::2]", "fd00:7::0.0.0.2"};
    for (unsigned i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct synack_addr a = parse_ok(forms[i]);
        ASSERT_EQ(a.family, SYNACK_AF_INET6);
        ASSERT_MEM_EQ(a.bytes, want, 16);
        ASSERT_EQ(synack_addr_to_v4(&a), 0);
        ASSERT(!synack_addr_is_v4(&a));
    }
}

TEST(parse_mapped_and_unspecified)
{
    /* ::ffff:a.b.c.d is the IPv4 address itself: one spelling for each address. */
    struct synack_addr m = parse_ok("::ffff:10.0.0.2");
    ASSERT_EQ(m.family, SYNACK_AF_INET);
    ASSERT_EQ(synack_addr_to_v4(&m), 0x0a000002);
    struct synack_addr m2 = parse_ok("::FFFF:a00:2");
    ASSERT_MEM_EQ(&m, &m2, sizeof m);
    /* :: is "any" of both families; 0.0.0.0 is any IPv4 address only. */
    struct synack_addr any = parse_ok("::");
    ASSERT_EQ(any.family, SYNACK_AF_UNSPEC);
    ASSERT(synack_addr_is_any(&any));
    struct synack_addr all = SYNACK_ADDR_ANY;
    ASSERT(synack_addr_eq(&any, &all));
    struct synack_addr z = parse_ok("0.0.0.0");
    ASSERT_EQ(z.family, SYNACK_AF_INET);
    ASSERT(synack_addr_is_any(&z));
    ASSERT(!synack_addr_eq(&z, &any));
    struct synack_addr zb = parse_ok("[::]");
    ASSERT(synack_addr_eq(&zb, &any));
    /* Not mapped: the IPv4-compatible form (deprecated, RFC 4291 §2.5.5.1) and the
     * translated prefix ::ffff:0:a.b.c.d are IPv6 addresses. */
    ASSERT_EQ(parse_ok("::10.0.0.2").family, SYNACK_AF_INET6);
    ASSERT_EQ(parse_ok("::ffff:0:10.0.0.2").family, SYNACK_AF_INET6);
    ASSERT_EQ(parse_ok("::1").family, SYNACK_AF_INET6);
}

TEST(parse_rejects_bad_text)
{
    const char *bad[] = {"", "[", "]", "[]", "[fd00::1", "fd00::1]", "[[fd00::1]]", "fd00:::1",
                         "fd00::1::2", "1:2:3:4:5:6:7:8:9", "12345::1", "g::1", "10.0.0",
                         "10.0.0.256", "10.0.0.1.", " 10.0.0.1", "10.0.0.1 ", "fd00::1 ",
                         "fe80::1%eth0", "fd00::1/64", "10.0.0.1:80", "[fd00::1]:80", "localhost",
                         "0x0a000001",
                         /* brackets hold only IPv6 (RFC 3986 §3.2.2's IP-literal) */
                         "[10.0.0.1]",
                         /* longer than any address, in brackets: must not overrun */
                         "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]",
                         "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255x]"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct synack_addr a = synack_addr_v4(0x01020304);
        int r = synack_addr_parse(bad[i], &a);
        if (r != SYNACK_EINVAL) fprintf(stderr, "    \"%s\" parsed (%d)\n", bad[i], r);
        ASSERT_EQ(r, SYNACK_EINVAL);
        /* A failed parse leaves the output alone. */
        ASSERT_EQ(synack_addr_to_v4(&a), 0x01020304);
    }
    /* The longest legal text, in brackets, still parses. */
    parse_ok("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]");
}

TEST(str_follows_rfc_5952)
{
    round_trip("2001:DB8::1", "2001:db8::1");                             /* §4.3 lower case */
    round_trip("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"); /* §4.1, §4.2.1 */
    round_trip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"); /* §4.2.2: one 0 field stays */
    round_trip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"); /* §4.2.3: the first of equal runs */
    round_trip("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");       /* §4.2.3: the longest run */
    round_trip("fd00:7:0:0:0:0:0:2", "fd00:7::2");
    round_trip("::1", "::1");
    round_trip("1::", "1::");
    round_trip("::ffff:10.0.0.2", "10.0.0.2"); /* mapped: the IPv4 address it is */
    round_trip("10.0.0.1", "10.0.0.1");
    round_trip("0.0.0.0", "0.0.0.0");
    round_trip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
               "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    char buf[SYNACK_ADDR_STRLEN];
    struct synack_addr any = SYNACK_ADDR_ANY;
    ASSERT_STR_EQ(str(&any, buf), "*");
    /* the longest text of all fits the documented size */
    struct synack_addr l;
    static const uint8_t b[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
    l = synack_addr_v6(b);
    ASSERT_STR_EQ(str(&l, buf), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
}

TEST(str_with_a_small_buffer_is_empty_never_overrun)
{
    struct synack_addr a = parse_ok("fd00:7::2");
    char buf[8];
    memset(buf, 'x', sizeof buf);
    synack_addr_str(&a, buf, 4);
    ASSERT_EQ(buf[0], '\0');
    ASSERT_EQ(buf[4], 'x'); /* nothing written past cap */
    memset(buf, 'x', sizeof buf);
    ASSERT(synack_addr_str(&a, buf, 0) == buf);
    ASSERT_EQ(buf[0], 'x'); /* cap 0: not a byte */
    struct synack_addr any = SYNACK_ADDR_ANY;
    memset(buf, 'x', sizeof buf);
    synack_addr_str(&any, buf, 1);
    ASSERT_EQ(buf[0], '\0');
    ASSERT_EQ(buf[1], 'x');
    struct synack_addr v4 = synack_addr_v4(0x0a000001);
    memset(buf, 'x', sizeof buf);
    synack_addr_str(&v4, buf, 8); /* "10.0.0.1" needs 9 */
    ASSERT_EQ(buf[0], '\0');
}

TEST(canon_gives_one_form_and_refuses_non_addresses)
{
    struct synack_addr out;
    /* A zeroed struct with the IPv4 family set reads as 0.0.0.0. */
    struct synack_addr z4 = {.family = SYNACK_AF_INET};
    ASSERT(synack_addr_canon(&z4, &out));
    struct synack_addr any4 = synack_addr_v4(0);
    ASSERT_MEM_EQ(&out, &any4, sizeof out);
    /* IPv4 family with bytes that are not IPv4-mapped: no address. */
    struct synack_addr bad4 = {.family = SYNACK_AF_INET, .bytes = {0xfd, [15] = 1}};
    ASSERT(!synack_addr_canon(&bad4, &out));
    /* IPv6 family holding a mapped address: the IPv4 address. */
    struct synack_addr m6 = {.family = SYNACK_AF_INET6,
                             .bytes = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 2}};
    ASSERT(synack_addr_canon(&m6, &out));
    ASSERT_EQ(out.family, SYNACK_AF_INET);
    ASSERT_EQ(synack_addr_to_v4(&out), 0x0a000002);
    /* IPv6 family, all zero: "any" of both families. */
    struct synack_addr z6 = {.family = SYNACK_AF_INET6};
    ASSERT(synack_addr_canon(&z6, &out));
    ASSERT_EQ(out.family, SYNACK_AF_UNSPEC);
    /* UNSPEC with bytes: no address. Unknown families: none. */
    struct synack_addr u = {.family = SYNACK_AF_UNSPEC, .bytes = {[15] = 1}};
    ASSERT(!synack_addr_canon(&u, &out));
    for (int f = 1; f < 256; f++) {
        if (f == SYNACK_AF_INET || f == SYNACK_AF_INET6) continue;
        struct synack_addr x = {.family = (uint8_t)f};
        ASSERT(!synack_addr_canon(&x, &out));
    }
    /* Canonical input comes back unchanged. */
    struct synack_addr a6 = parse_ok("fd00::1");
    ASSERT(synack_addr_canon(&a6, &out));
    ASSERT_MEM_EQ(&out, &a6, sizeof out);
}

TEST(eq_compares_canonical_forms)
{
    struct synack_addr a = synack_addr_v4(0x0a000002);
    struct synack_addr m6 = {.family = SYNACK_AF_INET6,
                             .bytes = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 2}};
    ASSERT(synack_addr_eq(&a, &m6));
    ASSERT(synack_addr_eq(&m6, &a));
    struct synack_addr b = synack_addr_v4(0x0a000003);
    ASSERT(!synack_addr_eq(&a, &b));
    struct synack_addr x = parse_ok("fd00::1"), y = parse_ok("fd00::2");
    ASSERT(!synack_addr_eq(&x, &y));
    ASSERT(synack_addr_eq(&x, &x));
    /* any of both families, 0.0.0.0 and :: */
    struct synack_addr any = SYNACK_ADDR_ANY, z6 = {.family = SYNACK_AF_INET6};
    struct synack_addr z4 = synack_addr_v4(0);
    ASSERT(synack_addr_eq(&any, &z6));
    ASSERT(!synack_addr_eq(&any, &z4));
    ASSERT(!synack_addr_eq(&z4, &z6));
    /* Something that is no address equals nothing, not even itself. */
    struct synack_addr bad = {.family = 9};
    ASSERT(!synack_addr_eq(&bad, &bad));
}

TEST(is_any_and_to_v4)
{
    struct synack_addr any = SYNACK_ADDR_ANY, z6 = {.family = SYNACK_AF_INET6};
    struct synack_addr z4 = synack_addr_v4(0);
    ASSERT(synack_addr_is_any(&any));
    ASSERT(synack_addr_is_any(&z6));
    ASSERT(synack_addr_is_any(&z4));
    struct synack_addr a = parse_ok("::1"), b = synack_addr_v4(1);
    ASSERT(!synack_addr_is_any(&a));
    ASSERT(!synack_addr_is_any(&b));
    ASSERT_EQ(synack_addr_to_v4(&any), 0);
    ASSERT_EQ(synack_addr_to_v4(&a), 0);
    ASSERT_EQ(synack_addr_to_v4(&b), 1);
    static const uint8_t zero[16];
    struct synack_addr v = synack_addr_v6(zero);
    ASSERT_EQ(v.family, SYNACK_AF_UNSPEC);
    ASSERT_MEM_EQ(&v, &any, sizeof v);
}

TEST(multicast_and_loopback_of_both_families)
{
    static const struct {
        const char *text;
        bool multicast, loopback;
    } cases[] = {
        {"224.0.0.1", true, false},
        {"239.255.255.255", true, false},
        {"223.255.255.255", false, false},
        {"127.0.0.1", false, true},
        {"127.255.0.9", false, true},
        {"10.0.0.1", false, false},
        {"ff02::1", true, false},
        {"ff00::", true, false},
        {"::1", false, true},
        {"fd00::1", false, false},
        {"fe80::1", false, false},
        {"::ffff:127.0.0.1", false, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct synack_addr a;
        ASSERT_EQ(synack_addr_parse(cases[i].text, &a), 0);
        ASSERT_EQ(synack_addr_is_multicast(&a), cases[i].multicast);
        ASSERT_EQ(synack_addr_is_loopback(&a), cases[i].loopback);
    }
}

TEST_MAIN()
