/*
 * sendv_fault_test.c - a vector send whose elements turn bad part-way: what synack_sendv
 * takes and answers, as Linux's tcp_sendmsg_locked does for writev/sendmsg.
 *
 * Linux copies the elements in order; when the copy of one faults (a NULL base with a
 * length), it returns the bytes already copied, a short write, and says EFAULT only when
 * nothing was copied (tcp_sendmsg_locked: "do_error: if (copied) goto out"). The room and
 * the state come before the copy, so the copy's fault is only reached where bytes move.
 */
#include "tcp_fixture.h"

/* The payload of every segment the stack sends now, appended to out; how many bytes. */
static size_t drain_payload(struct tcpf *f, uint8_t *out, size_t cap)
{
    size_t n = 0;
    struct synack_segment s;
    while (recv_seg(f, f->now, &s)) {
        ASSERT(n + s.payload_len <= cap);
        memcpy(out + n, s.payload, s.payload_len);
        n += s.payload_len;
    }
    return n;
}

/* Good bytes, then a NULL element, then more good bytes: the good bytes before the NULL are
 * queued and their count returned; the next call, which starts at the NULL element, says
 * EFAULT and queues nothing. The bytes on the wire are exactly the first element's. */
static void short_write_case(unsigned flags)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    if (flags & SYNACK_SEND_ZEROCOPY)
        ASSERT_EQ(synack_setopt(f.st, f.sd, SYNACK_OPT_ZEROCOPY, 1), 0);
    static uint8_t a[300], c[40];
    for (size_t i = 0; i < sizeof a; i++) a[i] = (uint8_t)(i * 7 + 1);
    memset(c, 0xcc, sizeof c);
    struct synack_iov iov[4] = {{.base = a, .len = 200},
                                {.base = a + 200, .len = 100},
                                {.base = NULL, .len = 50},
                                {.base = c, .len = sizeof c}};
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, iov, 4, flags), 300);
    ASSERT_EQ(tcpf_info(&f).snd_queued, 300);
    /* What a caller's loop does next (the plug-in's, libc's writev wrappers): the rest. */
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, iov + 2, 2, flags), SYNACK_EFAULT);
    ASSERT_EQ(tcpf_info(&f).snd_queued, 300);
    static uint8_t wire[4096];
    ASSERT_EQ(drain_payload(&f, wire, sizeof wire), 300u);
    ASSERT(memcmp(wire, a, sizeof a) == 0);
    tcpf_free(&f);
}

TEST(null_element_after_good_bytes_is_a_short_write)
{
    short_write_case(0);
}

/* The same with the caller's buffer taken by reference (SYNACK_OPT_ZEROCOPY). */
TEST(null_element_after_good_bytes_is_a_short_write_zerocopy)
{
    short_write_case(SYNACK_SEND_ZEROCOPY);
}

/* Empty elements before the NULL one add nothing: with no good byte before it, EFAULT. */
TEST(null_element_first_with_bytes_is_efault)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_established(&f);
    static uint8_t a[10];
    struct synack_iov iov[3] = {
        {.base = a, .len = 0}, {.base = NULL, .len = 0}, {.base = NULL, .len = 8}};
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, iov, 3, 0), SYNACK_EFAULT);
    ASSERT_EQ(tcpf_info(&f).snd_queued, 0);
    /* A NULL element of length 0 between good ones is no fault (nothing is copied from it). */
    struct synack_iov ok[3] = {
        {.base = a, .len = 4}, {.base = NULL, .len = 0}, {.base = a, .len = 6}};
    ASSERT_EQ(synack_sendv(f.st, f.sd, f.now, ok, 3, 0), 10);
    tcpf_free(&f);
}

/* The room runs out before the NULL element: the count the room allows, no EFAULT (the copy
 * never reaches the bad element); once room opens, the next call faults at it. */
TEST(room_ends_before_the_null_element)
{
    struct tcpf f;
    tcpf_config(&f);
    f.cfg.sndbuf = 4096;
    conn_in_established(&f);
    static uint8_t a[6000];
    struct synack_iov iov[2] = {{.base = a, .len = sizeof a}, {.base = NULL, .len = 10}};
    long q = synack_sendv(f.st, f.sd, f.now, iov, 2, 0);
    ASSERT(q > 0 && q < (long)sizeof a);
    tcpf_free(&f);
}

TEST_MAIN()
