/*
 * faults_offload_test.c - the fault injector over a device that reports
 * SYNACK_DEV_RX_CSUM_OK for a datagram whose TCP checksum is partial (what an IFF_VNET_HDR
 * TUN hands over for the host's own segments: VIRTIO_NET_HDR_F_NEEDS_CSUM, the field holding
 * the pseudo-header sum only). The wrapper completes the checksum, so the SYN is answered as
 * without it, and a bit it then corrupts is caught by the stack's checksum as on a wire.
 */
#include <stdlib.h>

#include "synack/dev.h"
#include "tcp_fixture.h"

struct fake {
    synack_dev dev;
    uint8_t pkt[128];
    int len;
    int sent;
};

static int fake_send(synack_dev *d, uint64_t now, const uint8_t *p, size_t n)
{
    (void)now;
    (void)p;
    (void)n;
    ((struct fake *)d)->sent++;
    return 0;
}
static int fake_recv(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
    (void)now;
    struct fake *f = (struct fake *)d;
    if (f->len == 0 || (size_t)f->len > cap) return 0;
    memcpy(buf, f->pkt, (size_t)f->len);
    int n = f->len;
    f->len = 0;
    d->rx_flags = SYNACK_DEV_RX_CSUM_OK; /* partial checksum from the host: don't check */
    return n;
}
static void fake_free(synack_dev *d)
{
    free(d);
}
static const struct synack_dev_ops fake_ops = {
    .send = fake_send, .recv = fake_recv, .next_deadline = NULL, .free = fake_free};

/* A SYN from 10.0.0.2:40000 to 10.0.0.1:80 whose checksum field holds only the
 * pseudo-header sum (folded, not complemented), as the kernel leaves it. */
static struct fake *fake_with_partial_syn(void)
{
    struct fake *f = calloc(1, sizeof *f);
    f->dev.ops = &fake_ops;
    f->dev.mtu = 1500;
    f->dev.name = "fake";
    struct synack_ipv4_hdr ip = {.ttl = 64, .src = TCPF_PEER, .dst = TCPF_LOCAL, .frag = 0x4000};
    struct synack_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = TCPF_PEER_PORT;
    h.dport = TCPF_SRV_PORT;
    h.seq = TCPF_PEER_ISS;
    h.flags = SYNACK_TCP_SYN;
    h.window = 65535;
    h.opts.has_mss = true;
    h.opts.mss = 1460;
    size_t n = wire_segment_emit(f->pkt, sizeof f->pkt, &ip, &h, NULL, 0);
    ASSERT(n > 0);
    /* Replace the complete checksum with the partial one. */
    size_t l4 = 20;
    uint32_t tcp_len = (uint32_t)(n - l4);
    uint32_t sum = wire_csum_add(0, f->pkt + 12, 8);
    sum += SYNACK_IPPROTO_TCP + tcp_len;
    wire_put16(f->pkt + l4 + 16, (uint16_t)~wire_csum_fold(sum));
    f->len = (int)n;
    return f;
}

static int run(bool wrapped, double corrupt)
{
    struct tcpf t;
    tcpf_config(&t);
    conn_in_listen(&t);
    struct fake *f = fake_with_partial_syn();
    synack_dev *d = &f->dev;
    if (wrapped) {
        struct synack_faults_config fc;
        memset(&fc, 0, sizeof fc);
        fc.inbound = fc.outbound = true;
        fc.corrupt = corrupt;
        fc.seed = 5;
        d = synack_faults_wrap(d, &fc);
        ASSERT(d != NULL);
    }
    synack_pump(t.st, d, t.now);
    int sent = f->sent;
    struct synack_stats s;
    synack_get_stats(t.st, &s);
    fprintf(stderr, "    %s: %d datagram(s) answered, tcp_in %llu\n", wrapped ? "wrapped" : "bare",
            sent, (unsigned long long)s.tcp_in);
    synack_dev_free(d);
    tcpf_free(&t);
    return sent;
}

TEST(partial_csum_bare_device_answers)
{
    ASSERT_EQ(run(false, 0), 1);
}

TEST(partial_csum_through_faults_wrapper_answers)
{
    ASSERT_EQ(run(true, 0), 1);
}

TEST(corruption_after_a_partial_csum_is_still_caught)
{
    /* Every datagram has one bit flipped: the SYN must not be answered. */
    ASSERT_EQ(run(true, 1.0), 0);
}

TEST_MAIN()
