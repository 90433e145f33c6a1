/*
 * fuzz/fuzz_stack.c - libFuzzer target for the whole stack: arbitrary datagrams, at
 * arbitrary times, against a stack with a listener and an active connection, while the
 * application accepts, reads, writes, shuts down and closes as the input says.
 *
 * The input is a series of records: [actions][time step in ms][length, 2 bytes][bytes].
 * To let the fuzzer past the checksums and addresses into the TCP machine, a record that
 * parses as IPv4 + TCP is readdressed to the stack (10.0.0.2 -> 10.0.0.1) and its checksums
 * recomputed before it is input. Whatever comes in: no crash, no sanitizer report, no hang,
 * and everything the stack sends parses as a well-formed datagram with good checksums.
 *
 *   make fuzz    (or: build-fuzz/fuzz_stack -max_total_time=60)
 */
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define US_ADDR   0x0a000001u
#define PEER_ADDR 0x0a000002u

static void fix_up(uint8_t *pkt, size_t len)
{
    if (len < 40 || (pkt[0] >> 4) != 4) return;
    size_t ihl = (size_t)(pkt[0] & 15) * 4;
    if (ihl < 20 || ihl > len) return;
    size_t total = wire_get16(pkt + 2);
    if (total < ihl || total > len) total = len;
    wire_put16(pkt + 2, (uint16_t)total);
    wire_put32(pkt + 12, PEER_ADDR);
    wire_put32(pkt + 16, US_ADDR);
    pkt[6] &= 0x40; /* keep DF, no fragments */
    pkt[7] = 0;
    wire_put16(pkt + 10, 0);
    wire_put16(pkt + 10, wire_csum_fold(wire_csum_add(0, pkt, ihl)));
    if (pkt[9] == SYNACK_IPPROTO_TCP && total - ihl >= 20) {
        uint8_t *tcp = pkt + ihl;
        size_t tlen = total - ihl;
        wire_put16(tcp + 16, 0);
        uint32_t sum = wire_pseudo_sum(PEER_ADDR, US_ADDR, SYNACK_IPPROTO_TCP, (uint16_t)tlen);
        wire_put16(tcp + 16, wire_csum_fold(wire_csum_add(sum, tcp, tlen)));
    }
}

static void drain(synack_stack *s, uint64_t now)
{
    static uint8_t out[65536];
    int n;
    for (int i = 0; i < 100000 && (n = synack_output(s, now, out, sizeof out)) > 0; i++) {
        struct synack_ipv4_hdr ip;
        const uint8_t *p;
        size_t plen;
        /* What we send is always well-formed: a broken emitter is a bug, whatever came in. */
        if (wire_ipv4_parse(out, (size_t)n, &ip, &p, &plen) != 0) abort();
        if (ip.proto == SYNACK_IPPROTO_TCP) {
            struct synack_segment seg;
            if (wire_segment_parse(out, (size_t)n, true, &seg) != 0) abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = US_ADDR;
    cfg.isn_secret_set = true;
    cfg.seed = 1;
    cfg.max_sockets = 32;
    cfg.sndbuf = cfg.rcvbuf = 8192;
    cfg.max_backlog = 4;
    cfg.out_queue = 64;
    int err;
    synack_stack *s = synack_stack_new(&cfg, &err);
    if (!s) abort();
    uint64_t now = 1000;
    int l = synack_socket(s);
    synack_bind(s, l, 0, 80);
    synack_listen(s, l, 4);
    int c = synack_socket(s);
    synack_bind(s, c, 0, 40000);
    synack_connect(s, c, now, PEER_ADDR, 80);
    int socks[32];
    int nsocks = 0;
    socks[nsocks++] = c;
    static uint8_t pkt[65536], buf[4096];
    memset(buf, 'x', sizeof buf);
    size_t off = 0;
    while (off + 4 <= size) {
        uint8_t act = data[off], step = data[off + 1];
        size_t len = wire_get16(data + off + 2);
        off += 4;
        if (len > size - off) len = size - off;
        memcpy(pkt, data + off, len);
        off += len;
        now += (uint64_t)step * 1000;
        fix_up(pkt, len);
        synack_input(s, now, pkt, len);
        synack_poll(s, now);
        int a = synack_accept(s, l, NULL);
        if (a >= 0 && nsocks < 32) socks[nsocks++] = a;
        for (int i = 0; i < nsocks; i++) {
            int sd = socks[i];
            if (sd < 0) continue;
            if (act & 1) synack_send(s, sd, now, buf, (size_t)(act >> 4) * 250 + 1);
            if (act & 2) synack_recv(s, sd, now, buf, sizeof buf);
            if ((act & 4) && i == (act >> 5) % nsocks) synack_shutdown(s, sd, now, SYNACK_SHUT_WR);
            if ((act & 8) && i == (act >> 4) % nsocks) {
                synack_close(s, sd, now);
                socks[i] = -1;
            }
        }
        drain(s, now);
    }
    /* Let every timer run out: retransmissions give up, TIME-WAIT ends. */
    for (int i = 0; i < 64 && synack_next_deadline(s) != UINT64_MAX; i++) {
        now = synack_next_deadline(s);
        synack_poll(s, now);
        drain(s, now);
    }
    synack_stack_free(s);
    return 0;
}
