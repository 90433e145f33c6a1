/*
 * wire6_test.c - the IPv6 side of the wire layer (src/wire/ipv6.c, icmp6.c, the IPv6
 * pseudo-header and the family-neutral TCP checksum). Three kinds of test, as wire_test.c:
 *   - packets captured from Linux, checked field by field and re-emitted byte for byte;
 *   - handmade extension-header chains for every rule of RFC 8200 §4 the parser applies;
 *   - every truncation of every packet, each parsed from a buffer of exactly that length
 *     so that ASan catches any read past the end, and checksum round trips.
 */
#include <stdlib.h>

#include "test.h"
#include "wire/wire.h"

/* ---- captured packets --------------------------------------------------------------------
 * Taken with tcpdump (link layer stripped) on Linux 6.18 in three network namespaces:
 * a (fd00:7:1::1) -- r (fd00:7:1::2 | fd00:7:2::2, forwarding) -- b (fd00:7:2::1), the r-b
 * link with an MTU of 1280, DAD off, checksum offload off on every veth (ethtool -K tx off)
 * so that every checksum is final. Captured on a's veth: the MLD report Linux sends when
 * the link comes up (a real Hop-by-Hop header), `ping -6 -s 16` a -> b, `ping -6 -t 1`
 * (time exceeded from r), `ping -6 -s 1400 -M do` (packet too big from r), socat sending
 * "hello, synack\n" a -> b port 5555, and a connection to closed port 5556. */

/* fe80::3c19:73ff:fe60:669d > ff02::16: HBH (rtalert: 0x0000) (padn), ICMP6 multicast listener
 * report v2, 1 group record [gaddr ff02::1:ff60:669d to_ex] */
static const uint8_t cap6_mld[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x3c, 0x19, 0x73, 0xff, 0xfe, 0x60, 0x66, 0x9d, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00,
    0x8f, 0x00, 0xf4, 0xf4, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x60, 0x66, 0x9d,
};
/* fd00:7:1::1 > fd00:7:2::1: ICMP6 echo request, id 31485, seq 1, 16 bytes of data (flowlabel
 * 0x13fcf, hlim 64) */
static const uint8_t cap6_echo_req[] = {
    0x60, 0x01, 0x3f, 0xcf, 0x00, 0x18, 0x3a, 0x40, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0xae, 0xfd, 0x7a, 0xfd, 0x00, 0x01,
    0x02, 0xa3, 0x0c, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x8e, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* fd00:7:2::1 > fd00:7:1::1: ICMP6 echo reply, id 31485, seq 1 (flowlabel 0x6b8d7, hlim 63) */
static const uint8_t cap6_echo_rep[] = {
    0x60, 0x06, 0xb8, 0xd7, 0x00, 0x18, 0x3a, 0x3f, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x81, 0x00, 0xad, 0xfd, 0x7a, 0xfd, 0x00, 0x01,
    0x02, 0xa3, 0x0c, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x8e, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* fd00:7:1::2 > fd00:7:1::1: ICMP6 time exceeded in-transit, quoting the echo request fd00:7:1::1 >
 * fd00:7:2::1 id 31489 (hlim 1) whole */
static const uint8_t cap6_time_exceeded[] = {
    0x60, 0x0a, 0x14, 0x9f, 0x00, 0x70, 0x3a, 0x40, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x28, 0xa9, 0x00, 0x00, 0x00, 0x00,
    0x60, 0x01, 0x3f, 0xcf, 0x00, 0x40, 0x3a, 0x01, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0xfb, 0xe3, 0x7b, 0x01, 0x00, 0x01,
    0x02, 0xa3, 0x0c, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xa9, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};
/* fd00:7:1::1.60158 > fd00:7:2::1.5555: [S] seq 1099355853, win 64660, [mss 1220,sackOK,TS val
 * 4158533967 ecr 0,nop,wscale 10] (flowlabel 0x28343, hlim 64) */
static const uint8_t cap6_syn[] = {
    0x60, 0x02, 0x83, 0x43, 0x00, 0x28, 0x06, 0x40, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xea, 0xfe, 0x15, 0xb3, 0x41, 0x86, 0xd6, 0xcd,
    0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfc, 0x94, 0x10, 0x10, 0x00, 0x00, 0x02, 0x04, 0x04, 0xc4,
    0x04, 0x02, 0x08, 0x0a, 0xf7, 0xde, 0x31, 0x4f, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};
/* fd00:7:2::1.5555 > fd00:7:1::1.60158: [S.] seq 306288450, ack 1099355854, win 65232, [mss
 * 1220,sackOK,TS val 640549866 ecr 4158533967,nop,wscale 10] (flowlabel 0x98271, hlim 63) */
static const uint8_t cap6_synack[] = {
    0x60, 0x09, 0x82, 0x71, 0x00, 0x28, 0x06, 0x3f, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x15, 0xb3, 0xea, 0xfe, 0x12, 0x41, 0x97, 0x42,
    0x41, 0x86, 0xd6, 0xce, 0xa0, 0x12, 0xfe, 0xd0, 0x3a, 0x27, 0x00, 0x00, 0x02, 0x04, 0x04, 0xc4,
    0x04, 0x02, 0x08, 0x0a, 0x26, 0x2e, 0x03, 0xea, 0xf7, 0xde, 0x31, 0x4f, 0x01, 0x03, 0x03, 0x0a,
};
/* fd00:7:1::1.60158 > fd00:7:2::1.5555: [P.] seq 1:15, ack 1, win 64, [nop,nop,TS val 4158533967
 * ecr 640549866], "hello, synack\n" */
static const uint8_t cap6_data[] = {
    0x60, 0x02, 0x83, 0x43, 0x00, 0x2e, 0x06, 0x40, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xea, 0xfe, 0x15, 0xb3, 0x41,
    0x86, 0xd6, 0xce, 0x12, 0x41, 0x97, 0x43, 0x80, 0x18, 0x00, 0x40, 0xbc, 0x33, 0x00, 0x00,
    0x01, 0x01, 0x08, 0x0a, 0xf7, 0xde, 0x31, 0x4f, 0x26, 0x2e, 0x03, 0xea, 0x68, 0x65, 0x6c,
    0x6c, 0x6f, 0x2c, 0x20, 0x73, 0x79, 0x6e, 0x61, 0x63, 0x6b, 0x0a,
};
/* fd00:7:2::1.5556 > fd00:7:1::1.39066: [R.] seq 0, ack 2115694544, win 0 (closed port; flowlabel
 * 0x129b0, hlim 63) */
static const uint8_t cap6_rst[] = {
    0x60, 0x01, 0x29, 0xb0, 0x00, 0x14, 0x06, 0x3f, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x02, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x15, 0xb4, 0x98, 0x9a, 0x00,
    0x00, 0x00, 0x00, 0x7e, 0x1a, 0xef, 0xd0, 0x50, 0x14, 0x00, 0x00, 0x99, 0x82, 0x00, 0x00,
};
/* fd00:7:1::2 > fd00:7:1::1: ICMP6 packet too big, mtu 1280, quoting the first 1232 bytes of a
 * 1448-byte echo request fd00:7:1::1 > fd00:7:2::1 id 31492: the whole error is 1280 bytes (RFC
 * 4443 §2.4(c)) */
static const uint8_t cap6_too_big[] = {
    0x60, 0x01, 0x17, 0x7d, 0x04, 0xd8, 0x3a, 0x40, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0xf9, 0x46, 0x00, 0x00, 0x05, 0x00,
    0x60, 0x01, 0x3f, 0xcf, 0x05, 0x80, 0x3a, 0x40, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0xbe, 0x2f, 0x7b, 0x04, 0x00, 0x01,
    0x02, 0xa3, 0x0c, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xcb, 0xd0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
    0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
    0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
    0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
    0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
    0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
    0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
    0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
    0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
    0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
    0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
    0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
    0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
};

static const uint8_t ADDR_A[16] = {0xfd, 0, 0, 7, 0, 1, [15] = 1}; /* fd00:7:1::1 */
static const uint8_t ADDR_B[16] = {0xfd, 0, 0, 7, 0, 2, [15] = 1}; /* fd00:7:2::1 */
static const uint8_t ADDR_R[16] = {0xfd, 0, 0, 7, 0, 1, [15] = 2}; /* fd00:7:1::2 */
static const uint8_t ALL_NODES[16] = {0xff, 0x02, [15] = 1};       /* ff02::1 */

struct capture {
    const char *name;
    const uint8_t *p;
    size_t n;
};
#define CAP(x)                                                                                     \
    {                                                                                              \
#x, x, sizeof(x)                                                                           \
    }
static const struct capture captures[] = {
    CAP(cap6_mld),           CAP(cap6_echo_req), CAP(cap6_echo_rep),
    CAP(cap6_time_exceeded), CAP(cap6_syn),      CAP(cap6_synack),
    CAP(cap6_data),          CAP(cap6_rst),      CAP(cap6_too_big),
};
#define NCAPTURES (sizeof(captures) / sizeof(captures[0]))

/* ---- helpers ----------------------------------------------------------------------------- */

/* A heap copy of exactly n bytes, so that ASan reports any read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (!d) abort();
    if (n) memcpy(d, p, n);
    return d;
}

/* The IPv6 parse of a buffer of exactly n bytes (a heap copy): returns the verdict, fills h
 * and the upper-layer offset and length (or leaves them at ~0 on a drop). */
static int parse6(const uint8_t *p, size_t n, struct synack_ipv6_hdr *h, size_t *off, size_t *plen)
{
    uint8_t *d = dup_exact(p, n);
    const uint8_t *pl = NULL;
    size_t pn = (size_t)-1;
    int r = wire_ipv6_parse(d, n, h, &pl, &pn);
    *off = pl ? (size_t)(pl - d) : (size_t)-1;
    *plen = pn;
    free(d);
    return r;
}

/* A datagram under construction: extension headers are chained by patching the previous
 * Next Header byte (at nh_at), as RFC 8200 §4 lays them out. */
struct dgram {
    uint8_t b[4096];
    size_t len, nh_at;
};

static void dg_start(struct dgram *g, const uint8_t src[16], const uint8_t dst[16])
{
    memset(g, 0, sizeof(*g));
    g->b[0] = 0x60;
    g->b[7] = 64;
    memcpy(g->b + 8, src, 16);
    memcpy(g->b + 24, dst, 16);
    g->len = 40;
    g->nh_at = 6;
}

/* Appends an extension header of type nh: bytes (n, a multiple of 8) whose first byte, the
 * Next Header, is patched by the next dg_ext or dg_end. */
static void dg_ext(struct dgram *g, uint8_t nh, const uint8_t *bytes, size_t n)
{
    ASSERT(g->len + n <= sizeof(g->b));
    g->b[g->nh_at] = nh;
    memcpy(g->b + g->len, bytes, n);
    g->nh_at = g->len;
    g->len += n;
}

/* Closes the chain with the upper-layer protocol and its bytes; sets the payload length. */
static size_t dg_end(struct dgram *g, uint8_t proto, const uint8_t *upper, size_t n)
{
    ASSERT(g->len + n <= sizeof(g->b));
    g->b[g->nh_at] = proto;
    if (n) memcpy(g->b + g->len, upper, n);
    g->len += n;
    wire_put16(g->b + 4, (uint16_t)(g->len - 40));
    return g->len;
}

/* The captured SYN's TCP segment behind the extension headers in g: its checksum still
 * holds, since the pseudo-header names the same addresses and length (RFC 8200 §8.1). */
static size_t dg_end_syn(struct dgram *g)
{
    return dg_end(g, SYNACK_IPPROTO_TCP, cap6_syn + 40, sizeof(cap6_syn) - 40);
}

/* An 8-byte Destination Options (or Hop-by-Hop) header holding one option of type t with
 * 4 bytes of data: type, len 4, data, then PadN would not fit, so it is exactly 8 bytes. */
static void opt_header(uint8_t out[8], uint8_t t)
{
    const uint8_t h[8] = {0, 0, t, 4, 0xde, 0xad, 0xbe, 0xef};
    memcpy(out, h, 8);
}

static void check_syn_tcp(const uint8_t *seg, size_t n, const uint8_t src[16],
                          const uint8_t dst[16])
{
    struct synack_tcp_hdr t;
    const uint8_t *pl;
    size_t pn;
    uint32_t ph = wire_pseudo_sum6(src, dst, SYNACK_IPPROTO_TCP, 0);
    ASSERT_EQ(wire_tcp_parse_ph(seg, n, ph, true, &t, &pl, &pn), 0);
    ASSERT_EQ(t.sport, 60158);
    ASSERT_EQ(t.seq, 1099355853u);
    ASSERT_EQ(pn, 0);
}

/* ---- the pseudo-header ------------------------------------------------------------------- */

TEST(pseudo_sum6_is_rfc8200_layout)
{
    /* RFC 8200 §8.1, summed as 16-bit words by hand: the addresses, the 32-bit length in
     * two words, then zero, zero, zero-and-Next-Header. */
    uint8_t ph[40] = {0};
    memcpy(ph, ADDR_A, 16);
    memcpy(ph + 16, ADDR_B, 16);
    wire_put32(ph + 32, 0x00012345u);
    ph[39] = SYNACK_IPPROTO_TCP;
    uint16_t want = wire_csum_fold(wire_csum_add(0, ph, sizeof ph));
    ASSERT_EQ(wire_csum_fold(wire_pseudo_sum6(ADDR_A, ADDR_B, SYNACK_IPPROTO_TCP, 0x12345u)), want);
    /* A length added afterwards is the same as a length given. */
    uint32_t zero = wire_pseudo_sum6(ADDR_A, ADDR_B, SYNACK_IPPROTO_TCP, 0);
    ASSERT_EQ(wire_csum_fold(zero + 0x1234u),
              wire_csum_fold(wire_pseudo_sum6(ADDR_A, ADDR_B, SYNACK_IPPROTO_TCP, 0x1234u)));
    /* All ones everywhere: the fold keeps every carry. */
    uint8_t ff[16];
    memset(ff, 0xff, sizeof ff);
    memset(ph, 0xff, 32);
    wire_put32(ph + 32, 0xffffffffu);
    ph[39] = 0xff;
    ASSERT_EQ(wire_csum_fold(wire_pseudo_sum6(ff, ff, 0xff, 0xffffffffu)),
              wire_csum_fold(wire_csum_add(0, ph, sizeof ph)));
}

TEST(tcp_ph_ipv4_form_unchanged)
{
    /* wire_tcp_parse/emit are wire_tcp_*_ph with IPv4's pseudo-header. */
    struct synack_tcp_hdr h = {
        .sport = 1, .dport = 2, .seq = 3, .flags = SYNACK_TCP_SYN, .window = 100};
    h.opts.has_mss = true;
    h.opts.mss = 1460;
    uint8_t a[64], b[64];
    size_t na = wire_tcp_emit(a, sizeof a, 0x0a000001u, 0x0a000002u, &h, NULL, 0);
    uint32_t ph = wire_pseudo_sum(0x0a000001u, 0x0a000002u, SYNACK_IPPROTO_TCP, 0);
    size_t nb = wire_tcp_emit_ph(b, sizeof b, ph, &h, NULL, 0);
    ASSERT_EQ(na, 24);
    ASSERT_EQ(na, nb);
    ASSERT_MEM_EQ(a, b, na);
    struct synack_tcp_hdr t;
    const uint8_t *pl;
    size_t pn;
    ASSERT_EQ(wire_tcp_parse(a, na, 0x0a000001u, 0x0a000002u, true, &t, &pl, &pn), 0);
    ASSERT_EQ(wire_tcp_parse_ph(a, na, ph, true, &t, &pl, &pn), 0);
}

/* ---- captured TCP ------------------------------------------------------------------------ */

TEST(captured_syn)
{
    struct synack_ipv6_hdr h;
    size_t off, plen;
    ASSERT_EQ(parse6(cap6_syn, sizeof cap6_syn, &h, &off, &plen), 0);
    ASSERT_EQ(h.traffic_class, 0);
    ASSERT_EQ(h.flow_label, 0x28343);
    ASSERT_EQ(h.payload_len, 40);
    ASSERT_EQ(h.next_header, SYNACK_IPPROTO_TCP);
    ASSERT_EQ(h.hop_limit, 64);
    ASSERT_MEM_EQ(h.src, ADDR_A, 16);
    ASSERT_MEM_EQ(h.dst, ADDR_B, 16);
    ASSERT_EQ(h.upper_offset, 40);
    ASSERT_EQ(h.nh_pointer, 6);
    ASSERT_EQ(h.ext_count, 0);
    ASSERT(!h.has_fragment);
    ASSERT(!h.pp_send);
    ASSERT_EQ(off, 40);
    ASSERT_EQ(plen, 40);

    struct synack_tcp_hdr t;
    const uint8_t *pl;
    size_t pn;
    uint32_t ph = wire_pseudo_sum6(h.src, h.dst, SYNACK_IPPROTO_TCP, 0);
    ASSERT_EQ(wire_tcp_parse_ph(cap6_syn + 40, 40, ph, true, &t, &pl, &pn), 0);
    ASSERT_EQ(t.sport, 60158);
    ASSERT_EQ(t.dport, 5555);
    ASSERT_EQ(t.seq, 1099355853u);
    ASSERT_EQ(t.ack, 0);
    ASSERT_EQ(t.hdr_len, 40);
    ASSERT_EQ(t.flags, SYNACK_TCP_SYN);
    ASSERT_EQ(t.window, 64660);
    ASSERT_EQ(t.checksum, 0x1010);
    ASSERT_EQ(t.urg, 0);
    ASSERT(t.opts.has_mss);
    ASSERT_EQ(t.opts.mss, 1220); /* 1280 - 40 - 20: the route's MTU was already known */
    ASSERT(t.opts.sack_permitted);
    ASSERT(t.opts.has_ts);
    ASSERT_EQ(t.opts.ts_val, 4158533967u);
    ASSERT_EQ(t.opts.ts_ecr, 0);
    ASSERT(t.opts.has_wscale);
    ASSERT_EQ(t.opts.wscale, 10);
    ASSERT_EQ(t.opts.sack_count, 0);
    ASSERT_EQ(pn, 0);
}

TEST(captured_syn_ack_data_rst)
{
    struct synack_ipv6_hdr h;
    size_t off, plen;
    struct synack_tcp_hdr t;
    const uint8_t *pl;
    size_t pn;

    ASSERT_EQ(parse6(cap6_synack, sizeof cap6_synack, &h, &off, &plen), 0);
    ASSERT_EQ(h.flow_label, 0x98271);
    ASSERT_EQ(h.hop_limit, 63);
    ASSERT_MEM_EQ(h.src, ADDR_B, 16);
    ASSERT_MEM_EQ(h.dst, ADDR_A, 16);
    uint32_t ph = wire_pseudo_sum6(ADDR_B, ADDR_A, SYNACK_IPPROTO_TCP, 0);
    ASSERT_EQ(wire_tcp_parse_ph(cap6_synack + 40, plen, ph, true, &t, &pl, &pn), 0);
    ASSERT_EQ(t.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
    ASSERT_EQ(t.seq, 306288450u);
    ASSERT_EQ(t.ack, 1099355854u);
    ASSERT_EQ(t.window, 65232);
    ASSERT_EQ(t.opts.mss, 1220);
    ASSERT_EQ(t.opts.ts_val, 640549866u);
    ASSERT_EQ(t.opts.ts_ecr, 4158533967u);

    ASSERT_EQ(parse6(cap6_data, sizeof cap6_data, &h, &off, &plen), 0);
    ASSERT_EQ(plen, 46);
    ph = wire_pseudo_sum6(ADDR_A, ADDR_B, SYNACK_IPPROTO_TCP, 0);
    ASSERT_EQ(wire_tcp_parse_ph(cap6_data + 40, plen, ph, true, &t, &pl, &pn), 0);
    ASSERT_EQ(t.flags, SYNACK_TCP_PSH | SYNACK_TCP_ACK);
    ASSERT_EQ(t.seq, 1099355854u);
    ASSERT_EQ(pn, 14);
    ASSERT_MEM_EQ(pl, "hello, synack\n", 14);

    ASSERT_EQ(parse6(cap6_rst, sizeof cap6_rst, &h, &off, &plen), 0);
    ASSERT_EQ(plen, 20);
    ph = wire_pseudo_sum6(ADDR_B, ADDR_A, SYNACK_IPPROTO_TCP, 0);
    ASSERT_EQ(wire_tcp_parse_ph(cap6_rst + 40, plen, ph, true, &t, &pl, &pn), 0);
    ASSERT_EQ(t.flags, SYNACK_TCP_RST | SYNACK_TCP_ACK);
    ASSERT_EQ(t.sport, 5556);
    ASSERT_EQ(t.ack, 2115694544u);
    ASSERT_EQ(t.window, 0);
}

TEST(captured_tcp_reemit_byte_for_byte)
{
    /* IPv6 header and TCP segment written back from what was parsed: our option layout is
     * Linux's, and the checksum is the one Linux computed over the IPv6 pseudo-header. */
    const struct capture tcp[] = {CAP(cap6_syn), CAP(cap6_synack), CAP(cap6_data), CAP(cap6_rst)};
    for (size_t i = 0; i < sizeof tcp / sizeof tcp[0]; i++) {
        struct synack_ipv6_hdr h;
        const uint8_t *pl;
        size_t pn;
        ASSERT_EQ(wire_ipv6_parse(tcp[i].p, tcp[i].n, &h, &pl, &pn), 0);
        struct synack_tcp_hdr t;
        const uint8_t *data;
        size_t dn;
        uint32_t ph = wire_pseudo_sum6(h.src, h.dst, SYNACK_IPPROTO_TCP, 0);
        ASSERT_EQ(wire_tcp_parse_ph(pl, pn, ph, true, &t, &data, &dn), 0);
        uint8_t out[256];
        size_t tn = wire_tcp_emit_ph(out + 40, sizeof out - 40, ph, &t, data, dn);
        ASSERT_EQ(wire_ipv6_emit(out, sizeof out, &h, tn), 40);
        if (40 + tn != tcp[i].n || memcmp(out, tcp[i].p, tcp[i].n) != 0)
            fprintf(stderr, "    capture %s differs\n", tcp[i].name);
        ASSERT_EQ(40 + tn, tcp[i].n);
        ASSERT_MEM_EQ(out, tcp[i].p, tcp[i].n);
    }
}

TEST(tcp_checksum_covers_ipv6_addresses)
{
    /* RFC 8200 §8.1: a segment delivered with another address fails its checksum. */
    struct synack_tcp_hdr t;
    const uint8_t *pl;
    size_t pn;
    uint32_t wrong = wire_pseudo_sum6(ADDR_R, ADDR_B, SYNACK_IPPROTO_TCP, 0);
    ASSERT_EQ(wire_tcp_parse_ph(cap6_syn + 40, 40, wrong, true, &t, &pl, &pn),
              SYNACK_DROP_TCP_CHECKSUM);
    ASSERT_EQ(wire_tcp_parse_ph(cap6_syn + 40, 40, wrong, false, &t, &pl, &pn), 0);
    /* IPv4's pseudo-header of any address does not verify an IPv6 segment either. */
    ASSERT_EQ(wire_tcp_parse(cap6_syn + 40, 40, 0x0a000001u, 0x0a000002u, true, &t, &pl, &pn),
              SYNACK_DROP_TCP_CHECKSUM);
}

TEST(tcp6_checksum_round_trip_with_payload)
{
    /* Every payload length from 0 to 300 (odd ones included), emitted and verified. */
    uint8_t data[300], out[400];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + 1);
    uint32_t ph = wire_pseudo_sum6(ADDR_A, ADDR_B, SYNACK_IPPROTO_TCP, 0);
    for (size_t n = 0; n <= sizeof data; n++) {
        struct synack_tcp_hdr h = {.sport = 40000,
                                   .dport = 80,
                                   .seq = 0xfffffff0u,
                                   .ack = 12345,
                                   .flags = SYNACK_TCP_ACK | SYNACK_TCP_PSH,
                                   .window = 502};
        h.opts.has_ts = true;
        h.opts.ts_val = (uint32_t)n;
        size_t len = wire_tcp_emit_ph(out, sizeof out, ph, &h, data, n);
        ASSERT_EQ(len, 32 + n);
        struct synack_tcp_hdr t;
        const uint8_t *pl;
        size_t pn;
        ASSERT_EQ(wire_tcp_parse_ph(out, len, ph, true, &t, &pl, &pn), 0);
        ASSERT_EQ(pn, n);
        ASSERT_EQ(t.opts.ts_val, n);
        out[len - 1] ^= 0x01; /* any flipped bit fails */
        ASSERT_EQ(wire_tcp_parse_ph(out, len, ph, true, &t, &pl, &pn), SYNACK_DROP_TCP_CHECKSUM);
    }
}

/* ---- captured ICMPv6 --------------------------------------------------------------------- */

TEST(captured_echo_request_and_reply)
{
    struct synack_ipv6_hdr h;
    const uint8_t *pl;
    size_t pn;
    struct synack_icmp6 m;
    ASSERT_EQ(wire_ipv6_parse(cap6_echo_req, sizeof cap6_echo_req, &h, &pl, &pn), 0);
    ASSERT_EQ(h.next_header, SYNACK_IPPROTO_ICMPV6);
    ASSERT_EQ(h.flow_label, 0x13fcf);
    ASSERT_EQ(pn, 24);
    ASSERT_EQ(wire_icmp6_parse(pl, pn, h.src, h.dst, &m), 0);
    ASSERT_EQ(m.type, SYNACK_ICMP6_ECHO_REQUEST);
    ASSERT_EQ(m.code, 0);
    ASSERT_EQ(m.checksum, 0xaefd);
    ASSERT_EQ(m.id, 31485);
    ASSERT_EQ(m.seq, 1);
    ASSERT_EQ(m.data_len, 16);
    ASSERT(m.data == pl + 8);
    ASSERT(!m.has_quote);

    /* The reply Linux sent is what we would send: same id, seq and data, addresses swapped
     * (RFC 4443 §4.2), byte for byte. */
    uint8_t out[64];
    size_t n = wire_icmp6_emit_echo(out, sizeof out, h.dst, h.src, SYNACK_ICMP6_ECHO_REPLY, m.id,
                                    m.seq, m.data, m.data_len);
    ASSERT_EQ(n, 24);
    ASSERT_MEM_EQ(out, cap6_echo_rep + 40, 24);

    struct synack_ipv6_hdr r;
    ASSERT_EQ(wire_ipv6_parse(cap6_echo_rep, sizeof cap6_echo_rep, &r, &pl, &pn), 0);
    ASSERT_EQ(r.hop_limit, 63);
    ASSERT_EQ(wire_icmp6_parse(pl, pn, r.src, r.dst, &m), 0);
    ASSERT_EQ(m.type, SYNACK_ICMP6_ECHO_REPLY);
    ASSERT_EQ(m.id, 31485);
    /* The reply's IPv6 header, re-emitted. */
    ASSERT_EQ(wire_ipv6_emit(out, sizeof out, &r, pn), 40);
    ASSERT_MEM_EQ(out, cap6_echo_rep, 40);
}

TEST(captured_time_exceeded_quotes_the_request)
{
    struct synack_ipv6_hdr h;
    const uint8_t *pl;
    size_t pn;
    struct synack_icmp6 m;
    ASSERT_EQ(wire_ipv6_parse(cap6_time_exceeded, sizeof cap6_time_exceeded, &h, &pl, &pn), 0);
    ASSERT_MEM_EQ(h.src, ADDR_R, 16);
    ASSERT_EQ(wire_icmp6_parse(pl, pn, h.src, h.dst, &m), 0);
    ASSERT_EQ(m.type, SYNACK_ICMP6_TIME_EXCEEDED);
    ASSERT_EQ(m.code, 0); /* hop limit exceeded in transit */
    ASSERT_EQ(m.data_len, 104);
    ASSERT(m.has_quote);
    ASSERT_MEM_EQ(m.quote_ip.src, ADDR_A, 16);
    ASSERT_MEM_EQ(m.quote_ip.dst, ADDR_B, 16);
    ASSERT_EQ(m.quote_ip.hop_limit, 1);
    ASSERT_EQ(m.quote_ip.payload_len, 64);
    ASSERT_EQ(m.quote_ip.next_header, SYNACK_IPPROTO_ICMPV6);
    ASSERT_EQ(m.quote_ip.upper_offset, 40);
    /* The first 8 bytes of the quoted ICMPv6 echo: type and code, checksum, id, seq. */
    ASSERT_EQ(m.quote_sport, SYNACK_ICMP6_ECHO_REQUEST << 8);
    ASSERT_EQ(m.quote_seq >> 16, 31489);
}

TEST(captured_packet_too_big)
{
    struct synack_ipv6_hdr h;
    const uint8_t *pl;
    size_t pn;
    struct synack_icmp6 m;
    ASSERT_EQ(sizeof cap6_too_big, WIRE_IPV6_MIN_MTU);
    ASSERT_EQ(wire_ipv6_parse(cap6_too_big, sizeof cap6_too_big, &h, &pl, &pn), 0);
    ASSERT_EQ(wire_icmp6_parse(pl, pn, h.src, h.dst, &m), 0);
    ASSERT_EQ(m.type, SYNACK_ICMP6_PACKET_TOO_BIG);
    ASSERT_EQ(m.code, 0);
    ASSERT_EQ(m.mtu, 1280);
    ASSERT_EQ(m.data_len, 1232);
    ASSERT(m.has_quote);
    ASSERT_EQ(m.quote_ip.payload_len, 1408); /* more than was quoted */
    ASSERT_EQ(m.quote_ip.next_header, SYNACK_IPPROTO_ICMPV6);
    ASSERT_MEM_EQ(m.quote_ip.dst, ADDR_B, 16);

    /* Our error quoting the same 1448-byte datagram is Linux's, byte for byte: the quote
     * cut at 1232 bytes so that the error's datagram is 1280 (RFC 4443 §2.4(c)). The tail
     * of the original datagram past the quote is not in the capture; any bytes will do. */
    uint8_t invoking[1448], out[1500];
    memcpy(invoking, m.data, m.data_len);
    memset(invoking + m.data_len, 0xa5, sizeof invoking - m.data_len);
    size_t n = wire_icmp6_emit_error(out, sizeof out, h.src, h.dst, SYNACK_ICMP6_PACKET_TOO_BIG, 0,
                                     1280, invoking, sizeof invoking);
    ASSERT_EQ(n, 1240);
    ASSERT_MEM_EQ(out, pl, 1240);
    ASSERT_EQ(wire_ipv6_emit(out, sizeof out, &h, n), 40);
    ASSERT_MEM_EQ(out, cap6_too_big, 40);
}

TEST(captured_mld_report_has_hop_by_hop)
{
    /* Linux's MLDv2 report: Hop-by-Hop with Router Alert (RFC 2711) and a 2-byte PadN. */
    struct synack_ipv6_hdr h;
    size_t off, plen;
    ASSERT_EQ(parse6(cap6_mld, sizeof cap6_mld, &h, &off, &plen), 0);
    ASSERT_EQ(h.hop_limit, 1);
    ASSERT_EQ(h.ext_count, 1);
    ASSERT_EQ(h.next_header, SYNACK_IPPROTO_ICMPV6);
    ASSERT_EQ(h.nh_pointer, 40);
    ASSERT_EQ(h.upper_offset, 48);
    ASSERT_EQ(off, 48);
    ASSERT_EQ(plen, 28);
    ASSERT_EQ(h.dst[0], 0xff);
    struct synack_icmp6 m;
    ASSERT_EQ(wire_icmp6_parse(cap6_mld + 48, 28, h.src, h.dst, &m), 0);
    ASSERT_EQ(m.type, 143); /* Version 2 Multicast Listener Report (RFC 3810 §5.2) */
    ASSERT(!m.has_quote);
}

/* ---- every truncation -------------------------------------------------------------------- */

TEST(captured_every_truncation_fails)
{
    for (size_t i = 0; i < NCAPTURES; i++) {
        for (size_t len = 0; len < captures[i].n; len++) {
            struct synack_ipv6_hdr h;
            size_t off, plen;
            int r = parse6(captures[i].p, len, &h, &off, &plen);
            if (r == 0) fprintf(stderr, "    capture %s len %zu parsed\n", captures[i].name, len);
            ASSERT_EQ(r, len < 40 ? SYNACK_DROP_IP6_TRUNCATED : SYNACK_DROP_IP6_PAYLOAD_LEN);
        }
    }
}

TEST(captured_every_shorter_payload_length_is_safe)
{
    /* The payload length cut to every smaller value, the buffer cut with it: the walk and
     * the upper-layer parsers must stay inside, whatever they conclude. */
    for (size_t i = 0; i < NCAPTURES; i++) {
        size_t full = captures[i].n - 40;
        for (size_t k = 0; k < full; k++) {
            uint8_t *d = dup_exact(captures[i].p, 40 + k);
            wire_put16(d + 4, (uint16_t)k);
            struct synack_ipv6_hdr h;
            const uint8_t *pl;
            size_t pn;
            int r = wire_ipv6_parse(d, 40 + k, &h, &pl, &pn);
            if (r == 0) {
                ASSERT(pl >= d + 40 && pl + pn == d + 40 + k);
                struct synack_icmp6 m;
                struct synack_tcp_hdr t;
                const uint8_t *tp;
                size_t tn;
                (void)wire_icmp6_parse(pl, pn, h.src, h.dst, &m);
                uint32_t ph = wire_pseudo_sum6(h.src, h.dst, SYNACK_IPPROTO_TCP, 0);
                (void)wire_tcp_parse_ph(pl, pn, ph, true, &t, &tp, &tn);
            } else {
                ASSERT_EQ(r, SYNACK_DROP_IP6_EXT_TRUNCATED); /* only the MLD's HBH */
            }
            free(d);
        }
    }
}

TEST(icmp6_every_truncation)
{
    /* Each ICMPv6 message cut anywhere: under 8 bytes it is truncated; otherwise the
     * checksum fails (a cut never keeps the sum, for these), and nothing is read past
     * the end. The quote alone, cut anywhere, parses only with 48 bytes. */
    const struct capture icmp[] = {CAP(cap6_echo_req), CAP(cap6_time_exceeded), CAP(cap6_too_big)};
    for (size_t i = 0; i < sizeof icmp / sizeof icmp[0]; i++) {
        const uint8_t *msg = icmp[i].p + 40;
        size_t n = icmp[i].n - 40;
        for (size_t len = 0; len < n; len++) {
            uint8_t *d = dup_exact(msg, len);
            struct synack_icmp6 m;
            int r = wire_icmp6_parse(d, len, icmp[i].p + 8, icmp[i].p + 24, &m);
            free(d);
            ASSERT_EQ(r, len < 8 ? SYNACK_DROP_ICMP6_TRUNCATED : SYNACK_DROP_ICMP6_CHECKSUM);
        }
    }
    /* A time exceeded whose quote is cut to every length, with a correct checksum. */
    for (size_t q = 0; q <= 104; q++) {
        uint8_t buf[200];
        size_t n =
            wire_icmp6_emit_error(buf, sizeof buf, ADDR_R, ADDR_A, SYNACK_ICMP6_TIME_EXCEEDED, 0, 0,
                                  cap6_time_exceeded + 48, q);
        ASSERT_EQ(n, 8 + q);
        uint8_t *d = dup_exact(buf, n);
        struct synack_icmp6 m;
        ASSERT_EQ(wire_icmp6_parse(d, n, ADDR_R, ADDR_A, &m), 0);
        ASSERT_EQ(m.has_quote, q >= 48);
        if (q >= 40) ASSERT_EQ(m.quote_ip.hop_limit, 1);
        free(d);
    }
}

/* ---- the fixed header -------------------------------------------------------------------- */

TEST(ip6_truncated_version_payload_length)
{
    struct synack_ipv6_hdr h;
    size_t off, plen;
    ASSERT_EQ(parse6(cap6_syn, 39, &h, &off, &plen), SYNACK_DROP_IP6_TRUNCATED);
    ASSERT_EQ(parse6(cap6_syn, 0, &h, &off, &plen), SYNACK_DROP_IP6_TRUNCATED);

    uint8_t p[sizeof cap6_syn];
    memcpy(p, cap6_syn, sizeof p);
    p[0] = 0x45;
    ASSERT_EQ(parse6(p, sizeof p, &h, &off, &plen), SYNACK_DROP_IP6_VERSION);
    p[0] = 0x70;
    ASSERT_EQ(parse6(p, sizeof p, &h, &off, &plen), SYNACK_DROP_IP6_VERSION);

    /* A payload length one byte past the buffer. */
    memcpy(p, cap6_syn, sizeof p);
    wire_put16(p + 4, 41);
    ASSERT_EQ(parse6(p, sizeof p, &h, &off, &plen), SYNACK_DROP_IP6_PAYLOAD_LEN);
    wire_put16(p + 4, 0xffff);
    ASSERT_EQ(parse6(p, sizeof p, &h, &off, &plen), SYNACK_DROP_IP6_PAYLOAD_LEN);
    /* A shorter one cuts the upper layer (whose checksum then fails). */
    wire_put16(p + 4, 30);
    ASSERT_EQ(parse6(p, sizeof p, &h, &off, &plen), 0);
    ASSERT_EQ(plen, 30);
}

TEST(ip6_trailing_link_padding_ignored)
{
    uint8_t p[sizeof cap6_rst + 14];
    memcpy(p, cap6_rst, sizeof cap6_rst);
    memset(p + sizeof cap6_rst, 0xee, 14);
    struct synack_ipv6_hdr h;
    size_t off, plen;
    ASSERT_EQ(parse6(p, sizeof p, &h, &off, &plen), 0);
    ASSERT_EQ(plen, 20);
    struct synack_tcp_hdr t;
    const uint8_t *pl;
    size_t pn;
    uint32_t ph = wire_pseudo_sum6(h.src, h.dst, SYNACK_IPPROTO_TCP, 0);
    ASSERT_EQ(wire_tcp_parse_ph(p + off, plen, ph, true, &t, &pl, &pn), 0);
}

TEST(ip6_emit_round_trip)
{
    struct synack_ipv6_hdr h = {.traffic_class = 0xb8,
                                .flow_label = 0xabcde,
                                .next_header = SYNACK_IPPROTO_TCP,
                                .hop_limit = 255};
    memcpy(h.src, ADDR_A, 16);
    memcpy(h.dst, ADDR_B, 16);
    uint8_t buf[40 + 100] = {0};
    ASSERT_EQ(wire_ipv6_emit(buf, 39, &h, 100), 0);
    ASSERT_EQ(wire_ipv6_emit(buf, sizeof buf, &h, 0x10000), 0);
    ASSERT_EQ(wire_ipv6_emit(buf, sizeof buf, &h, 100), 40);
    ASSERT_EQ(buf[0], 0x6b); /* version 6, then the traffic class across the nibbles */
    ASSERT_EQ(buf[1], 0x8a);
    ASSERT_EQ(buf[2], 0xbc);
    ASSERT_EQ(buf[3], 0xde);
    struct synack_ipv6_hdr r;
    size_t off, plen;
    ASSERT_EQ(parse6(buf, sizeof buf, &r, &off, &plen), 0);
    ASSERT_EQ(r.traffic_class, 0xb8);
    ASSERT_EQ(r.flow_label, 0xabcde);
    ASSERT_EQ(r.payload_len, 100);
    ASSERT_EQ(r.next_header, SYNACK_IPPROTO_TCP);
    ASSERT_EQ(r.hop_limit, 255);
    ASSERT_MEM_EQ(r.src, ADDR_A, 16);
    ASSERT_MEM_EQ(r.dst, ADDR_B, 16);
    ASSERT_EQ(plen, 100);
    /* A flow label wider than 20 bits does not spill into the traffic class. */
    h.flow_label = 0xfffffff;
    h.traffic_class = 0;
    ASSERT_EQ(wire_ipv6_emit(buf, sizeof buf, &h, 0), 40);
    ASSERT_EQ(buf[0], 0x60);
    ASSERT_EQ(buf[1], 0x0f);
}

/* ---- extension headers (RFC 8200 §4) ----------------------------------------------------- */

TEST(ext_hop_by_hop_padn_and_pad1)
{
    struct dgram g;
    struct synack_ipv6_hdr h;
    size_t off, plen;
    /* PadN of 4 data bytes: 2 + 6 = 8 bytes of header. */
    const uint8_t padn[8] = {0, 0, 1, 4, 0, 0, 0, 0};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_HOPOPTS, padn, sizeof padn);
    size_t n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), 0);
    ASSERT_EQ(h.ext_count, 1);
    ASSERT_EQ(h.next_header, SYNACK_IPPROTO_TCP);
    ASSERT_EQ(h.nh_pointer, 40);
    ASSERT_EQ(h.upper_offset, 48);
    ASSERT_EQ(off, 48);
    ASSERT_EQ(plen, 40);
    check_syn_tcp(g.b + off, plen, ADDR_A, ADDR_B);

    /* Six Pad1s, then a 16-byte header (Hdr Ext Len 1): Pad1, and PadN of 11 to the end. */
    const uint8_t pad1[8] = {0};
    const uint8_t mixed[16] = {0, 1, 0, 1, 11};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_HOPOPTS, pad1, sizeof pad1);
    dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, mixed, sizeof mixed);
    n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), 0);
    ASSERT_EQ(h.ext_count, 2);
    ASSERT_EQ(h.nh_pointer, 48);
    ASSERT_EQ(off, 64);
    check_syn_tcp(g.b + off, plen, ADDR_A, ADDR_B);
}

TEST(ext_option_overruns_header)
{
    /* PadN claiming 5 bytes where 4 remain; an option type as the header's last byte. */
    struct dgram g;
    struct synack_ipv6_hdr h;
    size_t off, plen;
    const uint8_t over[8] = {0, 0, 1, 5, 0, 0, 0, 0};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_HOPOPTS, over, sizeof over);
    size_t n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), SYNACK_DROP_IP6_OPTION_LEN);
    ASSERT(!h.pp_send);
    const uint8_t last[8] = {0, 0, 0, 0, 0, 0, 0, 0x1e};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, last, sizeof last);
    n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), SYNACK_DROP_IP6_OPTION_LEN);
}

/* One unknown option of type t in a Destination Options header (after a Hop-by-Hop one, so
 * that the pointer is not trivially 42) to dst; returns the verdict. */
static int unknown_option_verdict(uint8_t t, const uint8_t dst[16], struct synack_ipv6_hdr *h)
{
    struct dgram g;
    const uint8_t padn[8] = {0, 0, 1, 4, 0, 0, 0, 0};
    uint8_t opt[8];
    opt_header(opt, t);
    dg_start(&g, ADDR_A, dst);
    dg_ext(&g, SYNACK_IPPROTO_HOPOPTS, padn, sizeof padn);
    dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, opt, sizeof opt);
    size_t n = dg_end_syn(&g);
    size_t off, plen;
    return parse6(g.b, n, h, &off, &plen);
}

TEST(ext_unknown_option_by_high_order_bits)
{
    struct synack_ipv6_hdr h;
    /* 00: skipped. */
    ASSERT_EQ(unknown_option_verdict(0x1e, ADDR_B, &h), 0);
    ASSERT_EQ(h.ext_count, 2);
    ASSERT_EQ(h.next_header, SYNACK_IPPROTO_TCP);
    ASSERT(!h.pp_send);
    /* 01: discarded, silently. */
    ASSERT_EQ(unknown_option_verdict(0x5e, ADDR_B, &h), SYNACK_DROP_IP6_OPTION);
    ASSERT(!h.pp_send);
    /* 10: discarded with a Parameter Problem code 2 at the option's type byte (40 + 8 +
     * 2), to unicast and multicast alike. */
    ASSERT_EQ(unknown_option_verdict(0x9e, ADDR_B, &h), SYNACK_DROP_IP6_OPTION);
    ASSERT(h.pp_send);
    ASSERT_EQ(h.pp_code, 2);
    ASSERT_EQ(h.pp_pointer, 50);
    ASSERT_MEM_EQ(h.src, ADDR_A, 16); /* the fixed header is there to answer to */
    ASSERT_EQ(unknown_option_verdict(0x9e, ALL_NODES, &h), SYNACK_DROP_IP6_OPTION);
    ASSERT(h.pp_send);
    /* 11: the same, but not when the destination was multicast. */
    ASSERT_EQ(unknown_option_verdict(0xde, ADDR_B, &h), SYNACK_DROP_IP6_OPTION);
    ASSERT(h.pp_send);
    ASSERT_EQ(h.pp_code, 2);
    ASSERT_EQ(h.pp_pointer, 50);
    ASSERT_EQ(unknown_option_verdict(0xde, ALL_NODES, &h), SYNACK_DROP_IP6_OPTION);
    ASSERT(!h.pp_send);
    /* Jumbo Payload (0xc2, RFC 2675) is not supported, so it is unknown: class 11. */
    ASSERT_EQ(unknown_option_verdict(0xc2, ADDR_B, &h), SYNACK_DROP_IP6_OPTION);
    ASSERT(h.pp_send);
}

TEST(ext_unknown_option_after_known_ones)
{
    /* The verdict points at the unknown option, wherever it is in the header. */
    struct dgram g;
    struct synack_ipv6_hdr h;
    size_t off, plen;
    const uint8_t opts[16] = {0, 1, 5, 2, 0, 0, 0, 1, 1, 0, 0x1f, 0, 0x80, 1, 0, 0};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, opts, sizeof opts);
    size_t n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), SYNACK_DROP_IP6_OPTION);
    ASSERT(h.pp_send);
    ASSERT_EQ(h.pp_pointer, 40 + 12);
}

TEST(ext_routing_header)
{
    struct dgram g;
    struct synack_ipv6_hdr h;
    size_t off, plen;
    /* Type 0 (RFC 5095: deprecated, treated as unknown) with one address, Segments Left 1:
     * Parameter Problem code 0 at the Routing Type (RFC 8200 §4.4). */
    uint8_t rh0[24] = {0, 2, 0, 1};
    memcpy(rh0 + 8, ADDR_R, 16);
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_ROUTING, rh0, sizeof rh0);
    size_t n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), SYNACK_DROP_IP6_ROUTING);
    ASSERT(h.pp_send);
    ASSERT_EQ(h.pp_code, 0);
    ASSERT_EQ(h.pp_pointer, 42);
    /* Segments Left 0: ignored, whatever the type (here 4, a Segment Routing Header). */
    rh0[2] = 4;
    rh0[3] = 0;
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_ROUTING, rh0, sizeof rh0);
    n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), 0);
    ASSERT_EQ(off, 64);
    ASSERT_EQ(h.next_header, SYNACK_IPPROTO_TCP);
    check_syn_tcp(g.b + off, plen, ADDR_A, ADDR_B);
}

TEST(ext_fragment_header)
{
    struct dgram g;
    struct synack_ipv6_hdr h;
    size_t off, plen;
    /* A first fragment (offset 0, M set), identification 0x12345678: refused by name. */
    const uint8_t first[8] = {0, 0, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_FRAGMENT, first, sizeof first);
    size_t n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), SYNACK_DROP_IP6_FRAGMENT);
    ASSERT(h.has_fragment);
    ASSERT(h.frag_more);
    ASSERT_EQ(h.frag_offset, 0);
    ASSERT_EQ(h.frag_id, 0x12345678u);
    ASSERT_EQ(h.next_header, SYNACK_IPPROTO_TCP); /* what the fragments carry */
    ASSERT_EQ(h.upper_offset, 48);
    ASSERT(!h.pp_send);
    /* A later fragment (offset 185 units = 1480 bytes, M clear). */
    const uint8_t last[8] = {0, 0, 0x05, 0xc8, 0, 0, 0, 9};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_FRAGMENT, last, sizeof last);
    n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), SYNACK_DROP_IP6_FRAGMENT);
    ASSERT_EQ(h.frag_offset, 185);
    ASSERT(!h.frag_more);
    ASSERT_EQ(h.frag_id, 9);
    /* An atomic fragment (offset 0, M clear) is the whole datagram (RFC 6946 §4). The
     * reserved bits are ignored on receipt (RFC 8200 §4.5). */
    const uint8_t atomic[8] = {0, 0xff, 0x00, 0x06, 0, 0, 0, 7};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_FRAGMENT, atomic, sizeof atomic);
    n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), 0);
    ASSERT(h.has_fragment);
    ASSERT(!h.frag_more);
    ASSERT_EQ(h.frag_id, 7);
    ASSERT_EQ(off, 48);
    check_syn_tcp(g.b + off, plen, ADDR_A, ADDR_B);
}

TEST(ext_hop_by_hop_only_first)
{
    /* RFC 8200 §4.1: Hop-by-Hop only right after the IPv6 header. Elsewhere: Parameter
     * Problem code 1 at the Next Header byte that named it (Linux does the same). */
    struct dgram g;
    struct synack_ipv6_hdr h;
    size_t off, plen;
    const uint8_t padn[8] = {0, 0, 1, 4, 0, 0, 0, 0};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, padn, sizeof padn);
    dg_ext(&g, SYNACK_IPPROTO_HOPOPTS, padn, sizeof padn);
    size_t n = dg_end_syn(&g);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), SYNACK_DROP_IP6_EXT_ORDER);
    ASSERT(h.pp_send);
    ASSERT_EQ(h.pp_code, 1);
    ASSERT_EQ(h.pp_pointer, 40);
}

TEST(ext_chain_limit)
{
    const uint8_t padn[8] = {0, 0, 1, 4, 0, 0, 0, 0};
    for (int count = 1; count <= WIRE_IPV6_MAX_EXT + 2; count++) {
        struct dgram g;
        struct synack_ipv6_hdr h;
        size_t off, plen;
        dg_start(&g, ADDR_A, ADDR_B);
        for (int i = 0; i < count; i++) dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, padn, sizeof padn);
        size_t n = dg_end_syn(&g);
        int r = parse6(g.b, n, &h, &off, &plen);
        if (count <= WIRE_IPV6_MAX_EXT) {
            ASSERT_EQ(r, 0);
            ASSERT_EQ(h.ext_count, count);
            ASSERT_EQ(off, 40 + 8 * (size_t)count);
            check_syn_tcp(g.b + off, plen, ADDR_A, ADDR_B);
        } else {
            ASSERT_EQ(r, SYNACK_DROP_IP6_EXT_CHAIN);
            ASSERT(!h.pp_send);
        }
    }
}

TEST(ext_walk_stops_at_other_protocols)
{
    /* AH, ESP, No Next Header and an unknown value end the walk and are reported as the
     * upper protocol, with the pointer to the Next Header byte that named them (for a
     * Parameter Problem code 1, RFC 4443 §3.4, should the caller refuse them). */
    const uint8_t protos[] = {SYNACK_IPPROTO_AH, SYNACK_IPPROTO_ESP, SYNACK_IPPROTO_NONE, 253,
                              SYNACK_IPPROTO_ICMPV6};
    const uint8_t padn[8] = {0, 0, 1, 4, 0, 0, 0, 0};
    const uint8_t body[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    for (size_t i = 0; i < sizeof protos; i++) {
        struct dgram g;
        struct synack_ipv6_hdr h;
        size_t off, plen;
        dg_start(&g, ADDR_A, ADDR_B);
        dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, padn, sizeof padn);
        size_t n = dg_end(&g, protos[i], body, sizeof body);
        ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), 0);
        ASSERT_EQ(h.next_header, protos[i]);
        ASSERT_EQ(h.nh_pointer, 40);
        ASSERT_EQ(off, 48);
        ASSERT_EQ(plen, sizeof body);
    }
}

TEST(ext_header_past_payload_length)
{
    struct dgram g;
    struct synack_ipv6_hdr h;
    size_t off, plen;
    /* Hdr Ext Len 1 (16 bytes) with only 8 in the payload. */
    const uint8_t longer[8] = {0, 1, 1, 4, 0, 0, 0, 0};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_HOPOPTS, longer, sizeof longer);
    size_t n = dg_end(&g, SYNACK_IPPROTO_NONE, NULL, 0);
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), SYNACK_DROP_IP6_EXT_TRUNCATED);
    /* ... even though the buffer goes on: the payload length is the end. */
    uint8_t p[80] = {0};
    memcpy(p, g.b, n);
    ASSERT_EQ(parse6(p, sizeof p, &h, &off, &plen), SYNACK_DROP_IP6_EXT_TRUNCATED);
    /* Next Header says Hop-by-Hop, and the payload is empty (a Jumbo Payload would say
     * so: RFC 2675, unsupported). */
    dg_start(&g, ADDR_A, ADDR_B);
    g.b[6] = SYNACK_IPPROTO_HOPOPTS;
    ASSERT_EQ(parse6(g.b, 40, &h, &off, &plen), SYNACK_DROP_IP6_EXT_TRUNCATED);
    /* A Fragment header cut short. */
    dg_start(&g, ADDR_A, ADDR_B);
    g.b[6] = SYNACK_IPPROTO_FRAGMENT;
    wire_put16(g.b + 4, 7);
    ASSERT_EQ(parse6(g.b, 47, &h, &off, &plen), SYNACK_DROP_IP6_EXT_TRUNCATED);
}

TEST(ext_chains_every_truncation)
{
    /* A long legal chain (Hop-by-Hop, Destination Options, Routing with Segments Left 0,
     * atomic Fragment, Destination Options, then the SYN), cut at every byte, in the buffer
     * and in the payload length: a named drop every time, never a read past the end. */
    struct dgram g;
    const uint8_t hbh[8] = {0, 0, 5, 2, 0, 0, 1, 0};
    const uint8_t dst1[16] = {0, 1, 0x1e, 2, 0, 0, 1, 8};
    uint8_t rh[24] = {0, 2, 0, 0};
    const uint8_t frag[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    const uint8_t dst2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_HOPOPTS, hbh, sizeof hbh);
    dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, dst1, sizeof dst1);
    dg_ext(&g, SYNACK_IPPROTO_ROUTING, rh, sizeof rh);
    dg_ext(&g, SYNACK_IPPROTO_FRAGMENT, frag, sizeof frag);
    dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, dst2, sizeof dst2);
    size_t n = dg_end_syn(&g);
    struct synack_ipv6_hdr h;
    size_t off, plen;
    ASSERT_EQ(parse6(g.b, n, &h, &off, &plen), 0);
    ASSERT_EQ(h.ext_count, 5);
    ASSERT_EQ(off, 40 + 64);
    check_syn_tcp(g.b + off, plen, ADDR_A, ADDR_B);
    for (size_t len = 0; len < n; len++) {
        int r = parse6(g.b, len, &h, &off, &plen);
        ASSERT_EQ(r, len < 40 ? SYNACK_DROP_IP6_TRUNCATED : SYNACK_DROP_IP6_PAYLOAD_LEN);
    }
    for (size_t k = 0; k < 64; k++) {
        uint8_t *d = dup_exact(g.b, 40 + k);
        wire_put16(d + 4, (uint16_t)k);
        struct synack_ipv6_hdr hh;
        const uint8_t *pl;
        size_t pn;
        int r = wire_ipv6_parse(d, 40 + k, &hh, &pl, &pn);
        free(d);
        ASSERT_EQ(r, SYNACK_DROP_IP6_EXT_TRUNCATED);
    }
}

/* ---- ICMPv6 ------------------------------------------------------------------------------ */

TEST(icmp6_truncated_and_bad_checksum)
{
    struct synack_icmp6 m;
    const uint8_t *msg = cap6_echo_req + 40;
    ASSERT_EQ(wire_icmp6_parse(msg, 7, ADDR_A, ADDR_B, &m), SYNACK_DROP_ICMP6_TRUNCATED);
    ASSERT_EQ(wire_icmp6_parse(msg, 24, ADDR_A, ADDR_B, &m), 0);
    /* The pseudo-header covers the addresses (RFC 4443 §2.3). */
    ASSERT_EQ(wire_icmp6_parse(msg, 24, ADDR_B, ADDR_A, &m), 0); /* the sum is symmetric */
    ASSERT_EQ(wire_icmp6_parse(msg, 24, ADDR_R, ADDR_B, &m), SYNACK_DROP_ICMP6_CHECKSUM);
    uint8_t p[24];
    memcpy(p, msg, sizeof p);
    p[20] ^= 0x40;
    ASSERT_EQ(wire_icmp6_parse(p, sizeof p, ADDR_A, ADDR_B, &m), SYNACK_DROP_ICMP6_CHECKSUM);
}

TEST(icmp6_echo_round_trip)
{
    uint8_t buf[128], data[50];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(0xf0 + i);
    for (size_t n = 0; n <= sizeof data; n++) {
        size_t len = wire_icmp6_emit_echo(buf, sizeof buf, ADDR_A, ADDR_B,
                                          SYNACK_ICMP6_ECHO_REQUEST, 0xbeef, (uint16_t)n, data, n);
        ASSERT_EQ(len, 8 + n);
        struct synack_icmp6 m;
        ASSERT_EQ(wire_icmp6_parse(buf, len, ADDR_A, ADDR_B, &m), 0);
        ASSERT_EQ(m.type, SYNACK_ICMP6_ECHO_REQUEST);
        ASSERT_EQ(m.id, 0xbeef);
        ASSERT_EQ(m.seq, n);
        ASSERT_EQ(m.data_len, n);
        ASSERT(n == 0 || memcmp(m.data, data, n) == 0);
    }
    ASSERT_EQ(wire_icmp6_emit_echo(buf, 7, ADDR_A, ADDR_B, 128, 1, 1, NULL, 0), 0);
    ASSERT_EQ(wire_icmp6_emit_echo(buf, 20, ADDR_A, ADDR_B, 128, 1, 1, data, 13), 0);
    /* The data may already sit in place. */
    memcpy(buf + 8, "ping", 4);
    ASSERT_EQ(wire_icmp6_emit_echo(buf, sizeof buf, ADDR_A, ADDR_B, 129, 2, 3, buf + 8, 4), 12);
    ASSERT_MEM_EQ(buf + 8, "ping", 4);
}

TEST(icmp6_error_round_trips_and_1280_bound)
{
    uint8_t big[2000], buf[2048];
    memcpy(big, cap6_syn, sizeof cap6_syn);
    for (size_t i = sizeof cap6_syn; i < sizeof big; i++) big[i] = (uint8_t)i;
    wire_put16(big + 4, (uint16_t)(sizeof big - 40)); /* a SYN with 1880 bytes of data */
    /* Parameter problem: code and pointer survive; the quote gives the TCP ports. */
    size_t n = wire_icmp6_emit_error(buf, sizeof buf, ADDR_B, ADDR_A, SYNACK_ICMP6_PARAM_PROBLEM, 2,
                                     50, big, sizeof big);
    ASSERT_EQ(n, 1240);
    ASSERT_EQ(40 + n, WIRE_IPV6_MIN_MTU);
    struct synack_icmp6 m;
    ASSERT_EQ(wire_icmp6_parse(buf, n, ADDR_B, ADDR_A, &m), 0);
    ASSERT_EQ(m.type, SYNACK_ICMP6_PARAM_PROBLEM);
    ASSERT_EQ(m.code, 2);
    ASSERT_EQ(m.pointer, 50);
    ASSERT(m.has_quote);
    ASSERT_EQ(m.quote_ip.next_header, SYNACK_IPPROTO_TCP);
    ASSERT_EQ(m.quote_sport, 60158);
    ASSERT_EQ(m.quote_dport, 5555);
    ASSERT_EQ(m.quote_seq, 1099355853u);
    /* Packet too big: a 32-bit MTU. */
    n = wire_icmp6_emit_error(buf, sizeof buf, ADDR_R, ADDR_A, SYNACK_ICMP6_PACKET_TOO_BIG, 0,
                              0x00012345u, cap6_syn, sizeof cap6_syn);
    ASSERT_EQ(n, 8 + sizeof cap6_syn);
    ASSERT_EQ(wire_icmp6_parse(buf, n, ADDR_R, ADDR_A, &m), 0);
    ASSERT_EQ(m.mtu, 0x12345u);
    ASSERT(m.has_quote);
    /* Destination unreachable, code 4 (port unreachable): the second word is zero. */
    n = wire_icmp6_emit_error(buf, sizeof buf, ADDR_B, ADDR_A, SYNACK_ICMP6_UNREACH, 4, 0, cap6_syn,
                              sizeof cap6_syn);
    ASSERT_EQ(wire_get32(buf + 4), 0);
    ASSERT_EQ(wire_icmp6_parse(buf, n, ADDR_B, ADDR_A, &m), 0);
    ASSERT_EQ(m.type, SYNACK_ICMP6_UNREACH);
    ASSERT_EQ(m.code, 4);
    ASSERT(m.has_quote);
    ASSERT_EQ(m.quote_dport, 5555);
    /* A small cap cuts the quote further; under 8 bytes there is no message. */
    ASSERT_EQ(wire_icmp6_emit_error(buf, 60, ADDR_B, ADDR_A, 1, 4, 0, big, sizeof big), 60);
    ASSERT_EQ(wire_icmp6_parse(buf, 60, ADDR_B, ADDR_A, &m), 0);
    ASSERT(m.has_quote); /* 52 bytes of quote: 40 + 12, ports and sequence present */
    ASSERT_EQ(wire_icmp6_emit_error(buf, 55, ADDR_B, ADDR_A, 1, 4, 0, big, sizeof big), 55);
    ASSERT_EQ(wire_icmp6_parse(buf, 55, ADDR_B, ADDR_A, &m), 0);
    ASSERT(!m.has_quote); /* 40 + 7: the sequence number is cut */
    ASSERT_EQ(wire_icmp6_emit_error(buf, 7, ADDR_B, ADDR_A, 1, 4, 0, big, sizeof big), 0);
}

TEST(icmp6_quote_walks_extension_headers)
{
    /* A quoted datagram with a Destination Options header and a first fragment: the TCP
     * ports are found behind them. A non-first fragment has no TCP header to find. */
    struct dgram g;
    const uint8_t opt[8] = {0, 0, 0x9e, 4, 0, 0, 0, 0}; /* unknown, class 10: not judged */
    const uint8_t first[8] = {0, 0, 0, 1, 0, 0, 0, 5};
    dg_start(&g, ADDR_A, ADDR_B);
    dg_ext(&g, SYNACK_IPPROTO_DSTOPTS, opt, sizeof opt);
    dg_ext(&g, SYNACK_IPPROTO_FRAGMENT, first, sizeof first);
    size_t n = dg_end_syn(&g);
    uint8_t buf[256];
    size_t len = wire_icmp6_emit_error(buf, sizeof buf, ADDR_B, ADDR_A, SYNACK_ICMP6_TIME_EXCEEDED,
                                       1, 0, g.b, n);
    struct synack_icmp6 m;
    ASSERT_EQ(wire_icmp6_parse(buf, len, ADDR_B, ADDR_A, &m), 0);
    ASSERT(m.has_quote);
    ASSERT_EQ(m.quote_ip.ext_count, 2);
    ASSERT(m.quote_ip.has_fragment);
    ASSERT_EQ(m.quote_ip.upper_offset, 56);
    ASSERT_EQ(m.quote_sport, 60158);

    g.b[56 - 8 + 2] = 0x01; /* fragment offset 32 */
    len = wire_icmp6_emit_error(buf, sizeof buf, ADDR_B, ADDR_A, SYNACK_ICMP6_TIME_EXCEEDED, 1, 0,
                                g.b, n);
    ASSERT_EQ(wire_icmp6_parse(buf, len, ADDR_B, ADDR_A, &m), 0);
    ASSERT(!m.has_quote);

    /* A quote that is not IPv6 at all (an IPv4 header) gives no quote. */
    uint8_t v4[48] = {0x45};
    len = wire_icmp6_emit_error(buf, sizeof buf, ADDR_B, ADDR_A, SYNACK_ICMP6_UNREACH, 0, 0, v4,
                                sizeof v4);
    ASSERT_EQ(wire_icmp6_parse(buf, len, ADDR_B, ADDR_A, &m), 0);
    ASSERT(!m.has_quote);
}

TEST(drop_names_of_ipv6)
{
    ASSERT_STR_EQ(synack_drop_name(SYNACK_DROP_IP6_TRUNCATED), "ip6-truncated");
    ASSERT_STR_EQ(synack_drop_name(SYNACK_DROP_IP6_FRAGMENT), "ip6-fragment");
    ASSERT_STR_EQ(synack_drop_name(SYNACK_DROP_ICMP6_TYPE), "icmp6-type-ignored");
    /* Reasons added since are appended: the IPv6 ones keep their numbers too. */
    ASSERT_EQ(SYNACK_DROP_ICMP6_TYPE, 48);
    ASSERT_EQ(SYNACK_DROP_TCP_NO_MEMORY, 49);
    ASSERT_EQ(SYNACK_DROP_INPUT_PLACED_STALE, SYNACK_DROP_COUNT - 1);
    ASSERT_STR_EQ(synack_drop_name(SYNACK_DROP_INPUT_PLACED_STALE), "input-placed-stale");
    ASSERT(SYNACK_DROP_COUNT <= 64); /* synack_stats.drop_by_reason has 64 slots */
    /* The reasons that existed before IPv6 kept their numbers. */
    ASSERT_EQ(SYNACK_DROP_LINK_MTU, 35);
}

TEST_MAIN()
