/*
 * review_test.c - what a hostile outside review of the stack found it mishandled, one case
 * per finding, each written to fail before its fix: the datagrams or calls that showed it,
 * and what RFC says the stack must do instead.
 */
#include <string.h>

#include "test.h"
#include "synack/synack.h"
#include "wire/wire.h"

#define US4   0x0a000001u /* 10.0.0.1/24 */
#define PORT  80
#define PPORT 40000

static synack_stack *stack4(uint8_t prefix_len)
{
    struct synack_config c;
    synack_config_default(&c);
    c.addr = synack_addr_v4(US4);
    c.prefix_len = prefix_len;
    c.isn_secret_set = true;
    c.seed = 0x5eed;
    int err = 0;
    synack_stack *st = synack_stack_new(&c, &err);
    ASSERT(st != NULL);
    int l = synack_socket(st);
    ASSERT_EQ(synack_bind(st, l, SYNACK_ADDR_ANY, PORT), 0);
    ASSERT_EQ(synack_listen(st, l, 8), 0);
    return st;
}

static uint64_t drops_of(synack_stack *st, int reason)
{
    struct synack_stats s;
    synack_get_stats(st, &s);
    return s.drop_by_reason[reason];
}

/* A SYN from src to our port, given to the stack. */
static int syn_from(synack_stack *st, uint32_t src)
{
    uint8_t pkt[128];
    struct synack_ipv4_hdr ip = {
        .ttl = 64, .proto = SYNACK_IPPROTO_TCP, .frag = 0x4000, .src = src, .dst = US4};
    struct synack_tcp_hdr th;
    memset(&th, 0, sizeof th);
    th.sport = PPORT;
    th.dport = PORT;
    th.seq = 1000;
    th.flags = SYNACK_TCP_SYN;
    th.window = 65535;
    size_t n = wire_segment_emit(pkt, sizeof pkt, &ip, &th, NULL, 0);
    ASSERT(n > 0);
    return synack_input(st, 1000000, pkt, n);
}

/* An ICMP echo request from src. */
static int ping_from(synack_stack *st, uint32_t src)
{
    uint8_t pkt[128];
    size_t m = wire_icmp_emit_echo(pkt + 20, sizeof pkt - 20, SYNACK_ICMP_ECHO_REQUEST, 7, 1,
                                   NULL, 0);
    ASSERT(m > 0);
    struct synack_ipv4_hdr ip = {.ttl = 64, .proto = SYNACK_IPPROTO_ICMP, .src = src, .dst = US4};
    ASSERT_EQ(wire_ipv4_emit(pkt, sizeof pkt, &ip, m), 20);
    return synack_input(st, 1000000, pkt, 20 + m);
}

static int out_len(synack_stack *st)
{
    uint8_t buf[2048];
    return synack_output(st, 1000000, buf, sizeof buf);
}

/* RFC 1122 §3.2.1.3: a directed broadcast address ({<Network-number>, -1}, and the
 * subnet-directed one) "MUST NOT be used as a source address", and "a host MUST silently
 * discard an incoming datagram containing an IP source address that is invalid by the
 * rules of this section". The one directed broadcast a host knows is its own subnet's
 * (host bits all ones, on prefixes shorter than /31: RFC 3021 §2.1), which connect()
 * already refuses as a peer. Answered, a forged SYN or echo request from it sends the
 * SYN-ACK or echo reply to every host of the link (a reflector for a smurf-like flood),
 * and a SYN-ACK's request record is held for it. */
TEST(a_datagram_from_our_subnets_broadcast_address_is_dropped)
{
    synack_stack *st = stack4(24);
    const uint32_t bcast = 0x0a0000ffu; /* 10.0.0.255 */
    ASSERT(syn_from(st, bcast) < 0);
    ASSERT_EQ(out_len(st), 0);
    ASSERT_EQ(drops_of(st, SYNACK_DROP_IP_SRC_INVALID), 1);
    ASSERT(ping_from(st, bcast) < 0);
    ASSERT_EQ(out_len(st), 0);
    ASSERT_EQ(drops_of(st, SYNACK_DROP_IP_SRC_INVALID), 2);
    struct synack_stats s;
    synack_get_stats(st, &s);
    ASSERT_EQ(s.half_open, 0);
    /* A host of the subnet, and an address with all host bits set in another network
     * (a unicast host there, as far as we can know), are answered. */
    ASSERT_EQ(syn_from(st, 0x0a000002u), 0);
    ASSERT(out_len(st) > 0);
    ASSERT_EQ(syn_from(st, 0x0a0001ffu), 0);
    ASSERT(out_len(st) > 0);
    synack_stack_free(st);
    /* A /31 (RFC 3021) and a /32 have no broadcast address: x.x.x.1 and x.x.x.0 are peers. */
    st = stack4(31);
    ASSERT_EQ(syn_from(st, 0x0a000000u), 0);
    ASSERT(out_len(st) > 0);
    synack_stack_free(st);
    st = stack4(32);
    ASSERT_EQ(syn_from(st, 0x0a0000ffu), 0);
    ASSERT(out_len(st) > 0);
    synack_stack_free(st);
}

TEST_MAIN()
