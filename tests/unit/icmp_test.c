/*
 * icmp_test.c - ICMP at the stack's edge (RFC 792, RFC 1122 §3.2.2 and §4.2.3.9, RFC 5927):
 * echo requests are answered; a destination-unreachable error quoting our SYN fails the
 * connect with a clear error; one quoting a sequence number we never sent is ignored and
 * counted (stats.icmp_out_of_window, Linux's TcpExtOutOfWindowIcmps).
 */
#include "synack/synack.h"
#include "test.h"
#include "wire/wire.h"

#define US     0x0a000001u
#define PEER   0x0a000002u
#define ROUTER 0x0a0000feu

static synack_stack *new_stack(void)
{
    struct synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = synack_addr_v4(US);
    cfg.isn_secret_set = true;
    cfg.seed = 7;
    int err;
    synack_stack *s = synack_stack_new(&cfg, &err);
    ASSERT(s != NULL);
    return s;
}

/* An IPv4 datagram from src carrying an ICMP message (already built in icmp/n). */
static size_t wrap_ip(uint8_t *out, uint32_t src, const uint8_t *icmp, size_t n)
{
    struct synack_ipv4_hdr ip = {.ttl = 64, .proto = SYNACK_IPPROTO_ICMP, .src = src, .dst = US};
    memcpy(out + WIRE_IPV4_HDR_LEN, icmp, n);
    return wire_ipv4_emit(out, 2048, &ip, n) + n;
}

TEST(echo_request_gets_a_reply_with_the_same_id_seq_and_data)
{
    synack_stack *s = new_stack();
    uint8_t icmp[64], pkt[2048], out[2048];
    size_t n = wire_icmp_emit_echo(icmp, sizeof icmp, SYNACK_ICMP_ECHO_REQUEST, 0x1234, 7,
                                   (const uint8_t *)"ping data", 9);
    size_t len = wrap_ip(pkt, PEER, icmp, n);
    ASSERT_EQ(synack_input(s, 1000, pkt, len), 0);
    int r = synack_output(s, 1000, out, sizeof out);
    ASSERT(r > 0);
    struct synack_ipv4_hdr ip;
    const uint8_t *p;
    size_t plen;
    ASSERT_EQ(wire_ipv4_parse(out, (size_t)r, &ip, &p, &plen), 0);
    ASSERT_EQ(ip.dst, PEER);
    ASSERT_EQ(ip.proto, SYNACK_IPPROTO_ICMP);
    struct synack_icmp m;
    ASSERT_EQ(wire_icmp_parse(p, plen, &m), 0);
    ASSERT_EQ(m.type, SYNACK_ICMP_ECHO_REPLY);
    ASSERT_EQ(m.id, 0x1234);
    ASSERT_EQ(m.seq, 7);
    ASSERT_EQ(m.data_len, 9);
    ASSERT_MEM_EQ(m.data, "ping data", 9);
    synack_stack_free(s);
}

/* An echo request whose reply could not go, too big for our link (synack never fragments)
 * or with the output queue full, is dropped by name and counted, as every datagram the
 * stack does not act on (and as over IPv6). */
TEST(echo_request_that_cannot_be_answered_is_dropped_by_name)
{
    synack_stack *s = new_stack();
    static uint8_t icmp[1600], pkt[2048], data[1560];
    memset(data, 'x', sizeof data);
    size_t n =
        wire_icmp_emit_echo(icmp, sizeof icmp, SYNACK_ICMP_ECHO_REQUEST, 1, 1, data, sizeof data);
    size_t len = wrap_ip(pkt, PEER, icmp, n);
    ASSERT_EQ(synack_input(s, 1000, pkt, len), SYNACK_EMSGSIZE);
    struct synack_stats st;
    synack_get_stats(s, &st);
    ASSERT_EQ(st.drop_by_reason[SYNACK_DROP_LINK_MTU], 1);
    ASSERT_EQ(st.icmp_out, 0);
    synack_stack_free(s);
}

/* Connects to PEER:80 and answers the SYN with an unreachable error of the given code;
 * quote_seq_delta moves the quoted sequence number away from what we sent. Returns the
 * socket's error (0 if none). */
static int unreachable_oow(uint8_t code, uint32_t quote_seq_delta, uint64_t *oow)
{
    synack_stack *s = new_stack();
    int sd = synack_socket(s);
    ASSERT_EQ(synack_connect(s, sd, 1000, synack_addr_v4(PEER), 80), SYNACK_EINPROGRESS);
    uint8_t syn[2048], icmp[2048], pkt[2048];
    int n = synack_output(s, 1000, syn, sizeof syn);
    ASSERT(n > 0);
    /* Quote the IP header and the first 8 bytes of TCP: ports and sequence number. */
    wire_put32(syn + WIRE_IPV4_HDR_LEN + 4,
               wire_get32(syn + WIRE_IPV4_HDR_LEN + 4) + quote_seq_delta);
    size_t m = wire_icmp_emit_error(icmp, sizeof icmp, SYNACK_ICMP_UNREACH, code, 0, syn, 28);
    ASSERT(m > 0);
    size_t len = wrap_ip(pkt, ROUTER, icmp, m);
    synack_input(s, 2000, pkt, len);
    int err = synack_socket_error(s, sd);
    struct synack_stats st;
    synack_get_stats(s, &st);
    *oow = st.icmp_out_of_window;
    synack_stack_free(s);
    return err;
}

static int unreachable(uint8_t code, uint32_t quote_seq_delta)
{
    uint64_t oow;
    int err = unreachable_oow(code, quote_seq_delta, &oow);
    ASSERT_EQ(oow, quote_seq_delta ? 1u : 0u);
    return err;
}

TEST(host_unreachable_fails_a_connecting_socket)
{
    ASSERT_EQ(unreachable(1, 0), SYNACK_EHOSTUNREACH);
}

TEST(port_unreachable_fails_a_connecting_socket_as_refused)
{
    ASSERT_EQ(unreachable(3, 0), SYNACK_ECONNREFUSED);
}

TEST(network_unreachable_fails_a_connecting_socket)
{
    ASSERT_EQ(unreachable(0, 0), SYNACK_ENETUNREACH);
}

TEST(unreachable_quoting_a_sequence_number_never_sent_is_ignored)
{
    /* RFC 5927 §4.1: an off-path attacker must guess an in-flight sequence number. */
    ASSERT_EQ(unreachable(1, 100000), 0);
}

TEST_MAIN()
