/*
 * tw_order_test.c - TIME-WAIT records are expired from the head of a list kept in order of
 * expiry, not of compaction. A socket the user held in TIME-WAIT and
 * closes later becomes a record whose wait ends before that of records made meanwhile:
 * it must still end at its own 2*MSL.
 */
#include "tcp_fixture.h"

#define SYN SYNACK_TCP_SYN
#define ACK SYNACK_TCP_ACK
#define FIN SYNACK_TCP_FIN

static void counts(struct tcpf *f, uint32_t *socks, uint32_t *recs)
{
    struct synack_stats s;
    synack_get_stats(f->st, &s);
    *recs = s.time_wait_records;
    *socks = s.sockets_by_state[SYNACK_TIME_WAIT] - s.time_wait_records;
}

/* A new passive connection from pport, we close first (shutdown or close), the peer's FIN:
 * TIME-WAIT. Returns its descriptor. */
static int to_time_wait(struct tcpf *f, uint16_t pport, uint32_t irs, bool close_it)
{
    f->pport = pport;
    f->irs = irs;
    f->now += TCPF_STEP;
    send_syn(f, SYN, f->irs, 0);
    ASSERT(recv_seg(f, f->now, NULL));
    f->iss = f->seg.tcp.seq;
    f->snd_nxt = f->iss + 1;
    f->rcv_nxt = f->irs + 1;
    send_ctl(f, ACK, f->rcv_nxt, f->snd_nxt);
    int sd = synack_accept(f->st, f->lsd, NULL);
    ASSERT(sd >= 0);
    if (close_it)
        ASSERT_EQ(synack_close(f->st, sd, f->now), 0);
    else
        ASSERT_EQ(synack_shutdown(f->st, sd, f->now, SYNACK_SHUT_WR), 0);
    EXPECT_SEG(f, FIN | ACK, f->snd_nxt, f->rcv_nxt, 0);
    f->snd_nxt++;
    f->now += TCPF_STEP;
    send_ctl(f, FIN | ACK, f->rcv_nxt, f->snd_nxt);
    f->rcv_nxt++;
    EXPECT_SEG(f, ACK, f->snd_nxt, f->rcv_nxt, 0);
    return sd;
}

TEST(tw_record_expiry_order)
{
    struct tcpf f;
    tcpf_config(&f);
    conn_in_listen(&f);
    /* A: the user keeps it in TIME-WAIT. */
    int a = to_time_wait(&f, 40001, 1000000, false);
    uint64_t a_entered = f.now;
    /* B, one second later: closed, a record at once. */
    f.now += 1000000;
    (void)to_time_wait(&f, 40002, 5000000, true);
    uint64_t b_entered = f.now;
    /* The user closes A two seconds later: a record too, whose wait ends first. */
    f.now += 1000000;
    ASSERT_EQ(synack_close(f.st, a, f.now), 0);
    uint32_t socks, recs;
    counts(&f, &socks, &recs);
    ASSERT_EQ(recs, 2);
    /* The stack's next deadline must be A's end. */
    fprintf(stderr, "    next deadline %llu, A ends %llu, B ends %llu\n",
            (unsigned long long)synack_next_deadline(f.st),
            (unsigned long long)(a_entered + 2 * f.cfg.msl_us),
            (unsigned long long)(b_entered + 2 * f.cfg.msl_us));
    ASSERT(synack_next_deadline(f.st) <= a_entered + 2 * f.cfg.msl_us);
    /* Just after A's end, before B's: A is over, B is not. */
    uint64_t t = a_entered + 2 * f.cfg.msl_us + 1000;
    ASSERT(t < b_entered + 2 * f.cfg.msl_us);
    f.now = t;
    synack_poll(f.st, t);
    counts(&f, &socks, &recs);
    fprintf(stderr, "    at A's end + 1 ms: %u record(s)\n", recs);
    ASSERT_EQ(recs, 1);
    tcpf_free(&f);
}

TEST_MAIN()
