/*
 * output_next_test.c - synack_output_next(): the next datagram where the stack built it, the
 * same bytes synack_output() copies, dequeued as it is handed out, with its gso_size.
 */
#include "tcp_fixture.h"

/* Two SYNs from two ports: two SYN-ACKs queued. */
static void two_synacks(struct tcpf *f)
{
    tcpf_config(f);
    conn_in_listen(f);
    for (int i = 0; i < 2; i++) {
        f->pport = (uint16_t)(TCPF_PEER_PORT + i);
        send_syn(f, SYNACK_TCP_SYN, f->irs, 0);
    }
}

TEST(output_next_is_output_without_the_copy)
{
    /* The same two stacks (one seed, one clock): one hands out, the other copies. */
    static struct tcpf a, b;
    two_synacks(&a);
    two_synacks(&b);
    for (int i = 0; i < 2; i++) {
        const uint8_t *p = NULL;
        uint32_t gso = 99;
        int n = synack_output_next(a.st, a.now, &p, &gso);
        ASSERT(n > 40);
        ASSERT_EQ(gso, 0); /* one wire segment: no device split */
        uint8_t buf[2048];
        ASSERT_EQ(synack_output(b.st, b.now, buf, sizeof buf), n);
        ASSERT(memcmp(buf, p, (size_t)n) == 0);
        struct synack_segment s;
        ASSERT_EQ(wire_segment_parse(p, (size_t)n, true, &s), 0);
        ASSERT_EQ(s.tcp.dport, TCPF_PEER_PORT + i);
    }
    const uint8_t *p = NULL;
    uint32_t gso = 0;
    ASSERT_EQ(synack_output_next(a.st, a.now, &p, &gso), 0); /* both were dequeued */
    ASSERT_EQ(synack_output_next(NULL, a.now, &p, &gso), SYNACK_EINVAL);
    ASSERT_EQ(synack_output_next(a.st, a.now, NULL, &gso), SYNACK_EINVAL);
    tcpf_free(&a);
    tcpf_free(&b);
}

TEST_MAIN()
