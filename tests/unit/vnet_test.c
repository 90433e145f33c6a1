/*
 * vnet_test.c - the virtio_net_hdr of a TUN device with IFF_VNET_HDR (src/dev/vnet.c): parse
 * and emit, what a received header says (a partial checksum taken as it is, one elsewhere
 * completed, DATA_VALID, a GRO-merged super-segment), every hostile header refused (hdr_len
 * past the datagram, gso_size 0, the other IP version, an unknown gso_type, a checksum
 * offset outside the datagram; every truncation of a valid datagram, each from a buffer of
 * exactly that length so that ASan sees any read past it), and the header of what the stack
 * sends (the partial checksum's pseudo-header sum, gso_type and gso_size, ECN for CWR).
 */
#include "dev/vnet.h"
#include "test.h"
#include "wire/wire.h"

/* A TCP datagram of plen payload bytes with a complete checksum, IPv4 or IPv6. */
static size_t make_tcp(uint8_t *buf, size_t cap, bool v6, uint32_t plen, uint16_t flags)
{
    static uint8_t payload[65535];
    for (uint32_t i = 0; i < plen; i++) payload[i] = (uint8_t)(i * 7 + 3);
    struct synack_tcp_hdr h = {
        .sport = 40000, .dport = 80, .seq = 1000, .ack = 2000, .flags = flags, .window = 500};
    h.opts.has_ts = true;
    h.opts.ts_val = 12345;
    if (v6) {
        struct synack_ipv6_hdr ip = {.hop_limit = 64};
        ip.src[0] = 0xfd, ip.src[15] = 1;
        ip.dst[0] = 0xfd, ip.dst[15] = 2;
        return wire_segment_emit6(buf, cap, &ip, &h, payload, plen);
    }
    struct synack_ipv4_hdr ip = {.ttl = 64, .src = 0x0a070001u, .dst = 0x0a070002u};
    return wire_segment_emit(buf, cap, &ip, &h, payload, plen);
}

static bool tcp_csum_ok(const uint8_t *pkt, size_t len)
{
    struct synack_segment s;
    return wire_segment_parse(pkt, len, true, &s) == 0;
}

TEST(parse_emit_round_trip)
{
    struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM,
                         .gso_type = VNET_GSO_TCPV6 | VNET_GSO_ECN,
                         .hdr_len = 86,
                         .gso_size = 1428,
                         .csum_start = 40,
                         .csum_offset = 16};
    uint8_t b[VNET_HDR_LEN];
    vnet_emit(b, &h);
    struct vnet_hdr g;
    vnet_parse(b, &g);
    ASSERT_EQ(g.flags, h.flags);
    ASSERT_EQ(g.gso_type, h.gso_type);
    ASSERT_EQ(g.hdr_len, h.hdr_len);
    ASSERT_EQ(g.gso_size, h.gso_size);
    ASSERT_EQ(g.csum_start, h.csum_start);
    ASSERT_EQ(g.csum_offset, h.csum_offset);
}

/* What the kernel hands us for a local socket's TSO output: a partial checksum (the
 * pseudo-header sum) and gso_type/gso_size. Taken as it is, the bytes untouched, and the
 * stack told not to check it; completing it gives the checksum the wire would carry. */
TEST(rx_partial_checksum_of_merged_segment)
{
    for (int v6 = 0; v6 < 2; v6++) {
        static uint8_t pkt[65535], want[65535];
        size_t len = make_tcp(pkt, sizeof pkt, v6, 40 * 1448, SYNACK_TCP_ACK | SYNACK_TCP_PSH);
        ASSERT(len > 0);
        memcpy(want, pkt, len);
        struct vnet_hdr out;
        uint16_t field;
        size_t thl;
        ASSERT_EQ(vnet_tx_hdr(pkt, len, 1448, &out, &field, &thl), 0);
        size_t l4 = v6 ? 40 : 20;
        wire_put16(pkt + l4 + 16, field); /* as the kernel leaves it */
        ASSERT(!tcp_csum_ok(pkt, len));
        struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM,
                             .gso_type = v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4,
                             .hdr_len = (uint16_t)thl,
                             .gso_size = 1448,
                             .csum_start = (uint16_t)l4,
                             .csum_offset = 16};
        struct vnet_rx rx;
        ASSERT_EQ(vnet_rx_check(&h, pkt, len, &rx), 0);
        ASSERT(rx.csum_ok);
        ASSERT(rx.merged);
        ASSERT_EQ(wire_get16(pkt + l4 + 16), field); /* untouched */
        ASSERT_EQ(vnet_csum_complete(pkt, len), 0);
        ASSERT_EQ(memcmp(pkt, want, len), 0);
        ASSERT(tcp_csum_ok(pkt, len));
    }
}

/* A partial checksum somewhere else (here a UDP datagram's) is finished as a device would:
 * the sum from csum_start to the end, into the field, and left for the stack to check. */
TEST(rx_partial_checksum_elsewhere_is_completed)
{
    uint8_t pkt[20 + 8 + 11];
    memset(pkt, 0, sizeof pkt);
    pkt[0] = 0x45;
    wire_put16(pkt + 2, sizeof pkt);
    pkt[8] = 64;
    pkt[9] = 17;
    wire_put32(pkt + 12, 0x0a070001u);
    wire_put32(pkt + 16, 0x0a070002u);
    wire_put16(pkt + 20, 5353);
    wire_put16(pkt + 22, 53);
    wire_put16(pkt + 24, 19);
    memcpy(pkt + 28, "hello, vnet", 11);
    uint32_t pseudo = wire_pseudo_sum(0x0a070001u, 0x0a070002u, 17, 19);
    wire_put16(pkt + 26, (uint16_t)~wire_csum_fold(pseudo));
    struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM, .csum_start = 20, .csum_offset = 6};
    struct vnet_rx rx;
    ASSERT_EQ(vnet_rx_check(&h, pkt, sizeof pkt, &rx), 0);
    ASSERT(!rx.csum_ok);
    ASSERT(!rx.merged);
    /* The UDP checksum now verifies over the pseudo-header and the datagram. */
    ASSERT_EQ(wire_csum_fold(wire_csum_add(pseudo, pkt + 20, 19)), 0);
}

TEST(rx_data_valid_and_plain)
{
    uint8_t pkt[200];
    size_t len = make_tcp(pkt, sizeof pkt, false, 100, SYNACK_TCP_ACK);
    struct vnet_hdr h = {.flags = VNET_F_DATA_VALID};
    struct vnet_rx rx;
    ASSERT_EQ(vnet_rx_check(&h, pkt, len, &rx), 0);
    ASSERT(rx.csum_ok);
    struct vnet_hdr none = {0};
    ASSERT_EQ(vnet_rx_check(&none, pkt, len, &rx), 0);
    ASSERT(!rx.csum_ok);
    ASSERT(!rx.merged);
}

TEST(rx_hostile_headers_refused)
{
    static uint8_t pkt[8000];
    size_t len = make_tcp(pkt, sizeof pkt, false, 4 * 1448, SYNACK_TCP_ACK);
    struct vnet_hdr good = {.flags = VNET_F_NEEDS_CSUM,
                            .gso_type = VNET_GSO_TCPV4,
                            .hdr_len = 52,
                            .gso_size = 1448,
                            .csum_start = 20,
                            .csum_offset = 16};
    struct vnet_rx rx;
    ASSERT_EQ(vnet_rx_check(&good, pkt, len, &rx), 0);
    struct vnet_hdr h = good;
    h.hdr_len = (uint16_t)(len + 1); /* wrong hdr_len: past the datagram */
    ASSERT_EQ(vnet_rx_check(&h, pkt, len, &rx), -1);
    h = good;
    h.gso_size = 0; /* a super-segment split at 0 bytes */
    ASSERT_EQ(vnet_rx_check(&h, pkt, len, &rx), -1);
    h = good;
    h.gso_type = VNET_GSO_TCPV6; /* the other version */
    ASSERT_EQ(vnet_rx_check(&h, pkt, len, &rx), -1);
    h = good;
    h.gso_type = 3; /* UDP fragmentation offload: not asked for, not known */
    ASSERT_EQ(vnet_rx_check(&h, pkt, len, &rx), -1);
    h = good;
    h.csum_start = (uint16_t)len; /* the checksum's start past the end */
    ASSERT_EQ(vnet_rx_check(&h, pkt, len, &rx), -1);
    h = good;
    h.csum_offset = (uint16_t)(len - 20 - 1); /* its field half outside */
    ASSERT_EQ(vnet_rx_check(&h, pkt, len, &rx), -1);
    h = good;
    h.csum_start = 0xffff;
    h.csum_offset = 0xffff;
    ASSERT_EQ(vnet_rx_check(&h, pkt, len, &rx), -1);
    /* Every truncation, from a buffer of exactly that length: refused or taken, never
     * read past (ASan), and a super-segment never taken without its TCP header. */
    for (size_t n = 0; n <= len; n++) {
        uint8_t *b = malloc(n ? n : 1);
        memcpy(b, pkt, n);
        int r = vnet_rx_check(&good, b, n, &rx);
        if (n < 20 + 32) ASSERT_EQ(r, -1);
        free(b);
    }
}

TEST(tx_header_of_super_segment)
{
    for (int v6 = 0; v6 < 2; v6++) {
        static uint8_t pkt[65535];
        uint32_t mss = v6 ? 1428 : 1448;
        size_t len = make_tcp(pkt, sizeof pkt, v6, 44 * mss,
                              SYNACK_TCP_ACK | SYNACK_TCP_PSH | SYNACK_TCP_CWR);
        ASSERT(len > 0);
        struct vnet_hdr h;
        uint16_t field;
        size_t thl;
        ASSERT_EQ(vnet_tx_hdr(pkt, len, mss, &h, &field, &thl), 0);
        size_t l4 = v6 ? 40 : 20;
        ASSERT_EQ(h.flags, VNET_F_NEEDS_CSUM);
        ASSERT_EQ(h.gso_type, (v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4) | VNET_GSO_ECN);
        ASSERT_EQ(h.gso_size, mss);
        ASSERT_EQ(h.csum_start, l4);
        ASSERT_EQ(h.csum_offset, 16);
        ASSERT_EQ(h.hdr_len, l4 + 32);
        ASSERT_EQ(thl, l4 + 32);
        /* The field the partial checksum wants, finished as the device would, is the
         * complete checksum the stack computed. */
        uint16_t full = wire_get16(pkt + l4 + 16);
        wire_put16(pkt + l4 + 16, field);
        ASSERT_EQ(wire_csum_fold(wire_csum_add(0, pkt + l4, len - l4)), full);
    }
    /* One segment's worth with a gso_size: no super-segment; no gso_size: none either. */
    uint8_t small[200];
    size_t len = make_tcp(small, sizeof small, false, 100, SYNACK_TCP_ACK);
    struct vnet_hdr h;
    uint16_t field;
    size_t thl;
    ASSERT_EQ(vnet_tx_hdr(small, len, 1448, &h, &field, &thl), 0);
    ASSERT_EQ(h.gso_type, VNET_GSO_NONE);
    ASSERT_EQ(h.flags, VNET_F_NEEDS_CSUM);
    ASSERT_EQ(vnet_tx_hdr(small, len, 0, &h, &field, &thl), 0);
    ASSERT_EQ(h.gso_type, VNET_GSO_NONE);
    /* Not TCP: as it is, no partial checksum; a super-segment of it is refused. */
    small[9] = 1;
    ASSERT_EQ(vnet_tx_hdr(small, len, 0, &h, &field, &thl), 0);
    ASSERT_EQ(h.flags, 0);
    ASSERT_EQ(thl, 0);
    ASSERT_EQ(vnet_tx_hdr(small, len, 1448, &h, &field, &thl), -1);
    small[9] = 6;
    ASSERT_EQ(vnet_tx_hdr(small, len, 70000, &h, &field, &thl), -1);
}

TEST_MAIN()
