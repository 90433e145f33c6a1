/*
 * output_peek_test.c - synack_output_peek() and synack_output_done(): the next datagram in
 * place, the same bytes synack_output() would copy, kept until done, then the next one.
 */
#include "tcp_fixture.h"

TEST(output_peek_is_output_without_the_copy)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_listen(&f);
    const uint8_t *p = NULL, *q = NULL;
    ASSERT_EQ(synack_output_peek(f.st, f.now, &p), 0); /* nothing queued */
    /* Two SYNs from two ports: two SYN-ACKs queued. */
    for (int i = 0; i < 2; i++) {
        f.pport = (uint16_t)(TCPF_PEER_PORT + i);
        send_syn(&f, SYNACK_TCP_SYN, f.irs, 0);
    }
    int n = synack_output_peek(f.st, f.now, &p);
    ASSERT(n > 40);
    /* Not dequeued by peeking: the same datagram again, and synack_output copies it. */
    ASSERT_EQ(synack_output_peek(f.st, f.now, &q), n);
    ASSERT(p == q);
    uint8_t copy[2048];
    memcpy(copy, p, (size_t)n);
    uint8_t buf[2048];
    ASSERT_EQ(synack_output(f.st, f.now, buf, sizeof buf), n);
    ASSERT(memcmp(buf, copy, (size_t)n) == 0);
    struct synack_segment s;
    ASSERT_EQ(wire_segment_parse(copy, (size_t)n, true, &s), 0);
    ASSERT_EQ(s.tcp.dport, TCPF_PEER_PORT);
    /* The second: peeked, done, and the queue is empty. */
    n = synack_output_peek(f.st, f.now, &p);
    ASSERT(n > 40);
    ASSERT_EQ(wire_segment_parse(p, (size_t)n, true, &s), 0);
    ASSERT_EQ(s.tcp.dport, TCPF_PEER_PORT + 1);
    synack_output_done(f.st);
    ASSERT_EQ(synack_output_peek(f.st, f.now, &p), 0);
    ASSERT_EQ(synack_output(f.st, f.now, buf, sizeof buf), 0);
    tcpf_free(&f);
}

TEST_MAIN()
