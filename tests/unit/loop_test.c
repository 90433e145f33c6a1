/*
 * loop_test.c - the event loop of `synack serve` and `connect` (tools/synack/loop.c, compiled
 * in here: the tool is not a library): how many device reads it spends per answer, that it
 * still hears its other descriptors while the device keeps it busy, and when it hands over
 * to serve --io-uring's ring.
 *
 * The loop's device is a fake one in front of a second synack stack, the client: what the
 * loop writes is handed to the client at once and the client's answer queued for the loop's
 * next read, before the write returns, as a kernel client on the same CPU does it (its TCP
 * runs inside serve's write to the TUN device; docs/performance.md). The loop's stack runs an
 * echo service. Counts, not times, are asserted; the clock is the loop's own.
 */
#include "test.h"

#include <sys/eventfd.h>

#include "../../tools/synack/loop.c"
/* loop_run's io_uring branch: without SYNACK_HAVE_LIBURING here, the stub that refuses (the
 * io_uring loop itself needs a TUN descriptor: tests/scripts/serve_uring.sh runs it). */
#include "../../tools/synack/loop_uring.c"

#define SRV_ADDR 0x0a000001u /* 10.0.0.1: the loop's stack */
#define CLI_ADDR 0x0a000002u /* 10.0.0.2: the client */
#define PORT     7
#define QCAP     64

struct fake {
    struct synack_dev dev;
    synack_stack *client;
    int csd;
    /* datagrams waiting for the loop's reads */
    uint8_t q[QCAP][2048];
    size_t qlen[QCAP];
    unsigned head, n;
    /* a datagram read again and again, forever (junk_reads counts them) */
    const uint8_t *junk;
    size_t junk_len;
    /* after each of the loop's writes, the next hide_each reads find nothing even when a
     * datagram is queued: the client's answer comes a little after the write returns */
    unsigned hide_each, hide;
    /* what the loop did */
    uint64_t reads, reads_empty, sends, reads_at_first_send;
    /* the client's ping-pong: bytes sent, echoes received, rounds wanted */
    unsigned sent, rounds, want_rounds;
    bool heard_fd;     /* on_fd was called */
    unsigned heard;    /* times on_fd was called */
    synack_stack *srv; /* the loop's stack */
    int srv_sd;        /* its echo connection */
    int lsd;
};

static void fake_push(struct fake *f, const uint8_t *p, size_t len)
{
    ASSERT(f->n < QCAP && len <= sizeof f->q[0]);
    unsigned i = (f->head + f->n++) % QCAP;
    memcpy(f->q[i], p, len);
    f->qlen[i] = len;
}

/* Everything the client has to send, into the loop's queue. */
static void client_flush(struct fake *f, uint64_t now)
{
    const uint8_t *pkt;
    uint32_t gso;
    int n;
    while ((n = synack_output_next(f->client, now, &pkt, &gso)) > 0) fake_push(f, pkt, (size_t)n);
}

static int fake_recv(synack_dev *d, uint64_t now, uint8_t *buf, size_t cap)
{
    (void)now;
    struct fake *f = (struct fake *)d;
    f->reads++;
    if (f->junk) {
        if (f->reads > 1000000) return 0; /* a bound: the test fails below */
        memcpy(buf, f->junk, f->junk_len);
        return (int)f->junk_len;
    }
    if (!f->n || f->hide) {
        if (f->hide) f->hide--;
        f->reads_empty++;
        return 0;
    }
    size_t len = f->qlen[f->head];
    ASSERT(len <= cap);
    memcpy(buf, f->q[f->head], len);
    f->head = (f->head + 1) % QCAP;
    f->n--;
    return (int)len;
}

/* The client runs inside the loop's write: takes the datagram, reads the echo, sends the
 * next byte, and its datagrams are queued before this returns. */
static int fake_send(synack_dev *d, uint64_t now, const uint8_t *pkt, size_t len)
{
    struct fake *f = (struct fake *)d;
    if (!f->sends++) f->reads_at_first_send = f->reads;
    f->hide = f->hide_each;
    synack_input(f->client, now, pkt, len);
    synack_poll(f->client, now);
    uint8_t b[16];
    if (synack_recv(f->client, f->csd, now, b, sizeof b) == 1) f->rounds++;
    /* the next byte once the last came back (ENOTCONN until the handshake is done) */
    if (f->sent == f->rounds && f->sent < f->want_rounds &&
        synack_send(f->client, f->csd, now, "p", 1) == 1)
        f->sent++;
    client_flush(f, now);
    return 0;
}

static void fake_free(synack_dev *d)
{
    (void)d;
}

static const struct synack_dev_ops fake_ops = {
    .send = fake_send, .recv = fake_recv, .free = fake_free};

static synack_stack *stack_at(uint32_t addr)
{
    struct synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = synack_addr_v4(addr);
    cfg.max_sockets = 16;
    cfg.defer_output = true; /* as serve runs it */
    int err;
    synack_stack *s = synack_stack_new(&cfg, &err);
    ASSERT(s);
    return s;
}

/* The loop's application: an echo service on one connection. */
static void echo_app(void *ctx, uint64_t now)
{
    struct fake *f = ctx;
    if (f->srv_sd < 0) f->srv_sd = synack_accept(f->srv, f->lsd, NULL);
    if (f->srv_sd < 0) return;
    uint8_t b[64];
    int n = synack_recv(f->srv, f->srv_sd, now, b, sizeof b);
    if (n > 0) ASSERT_EQ(synack_send(f->srv, f->srv_sd, now, b, (size_t)n), n);
}

static bool done_first_send(void *ctx)
{
    return ((struct fake *)ctx)->sends > 0;
}

static bool done_rounds(void *ctx)
{
    struct fake *f = ctx;
    return f->rounds >= f->want_rounds || f->reads > 100000;
}

static bool done_heard(void *ctx)
{
    struct fake *f = ctx;
    return f->heard_fd || f->reads > 1000000;
}

static void heard(void *ctx, int fd, uint32_t events, uint64_t now)
{
    (void)fd, (void)events, (void)now;
    ((struct fake *)ctx)->heard_fd = true;
}

/* The loop's stack listening, the client's SYN queued; an eventfd that is always readable
 * stands for the device's descriptor, so that epoll never sleeps in a test. */
static void setup(struct fake *f, struct loop *l, synack_stack **srv, int *efd)
{
    memset(f, 0, sizeof *f);
    f->dev.ops = &fake_ops;
    f->dev.mtu = 1500;
    f->dev.name = "fake";
    f->srv_sd = -1;
    *srv = stack_at(SRV_ADDR);
    f->srv = *srv;
    f->lsd = synack_socket(*srv);
    ASSERT_EQ(synack_bind(*srv, f->lsd, synack_addr_v4(0), PORT), 0);
    ASSERT_EQ(synack_listen(*srv, f->lsd, 8), 0);
    f->client = stack_at(CLI_ADDR);
    f->csd = synack_socket(f->client);
    uint64_t now = loop_now();
    ASSERT_EQ(synack_connect(f->client, f->csd, now, synack_addr_v4(SRV_ADDR), PORT),
              SYNACK_EINPROGRESS);
    client_flush(f, now);
    ASSERT_EQ(f->n, 1u); /* the SYN */
    *efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT(*efd >= 0);
    ASSERT_EQ(loop_open(l, *srv, &f->dev, *efd, NULL), 0);
}

static void teardown(struct fake *f, struct loop *l, synack_stack *srv, int efd)
{
    loop_close(l);
    close(efd);
    synack_stack_free(srv);
    synack_stack_free(f->client);
}

/* One datagram waiting (a SYN): the answer (the SYN-ACK) is written after one read, not
 * after a second read that finds the device empty. */
TEST(one_datagram_is_answered_before_the_next_read)
{
    static struct fake f;
    struct loop l;
    synack_stack *srv;
    int efd;
    setup(&f, &l, &srv, &efd);
    struct loop_ops ops = {.app = echo_app, .done = done_first_send};
    ASSERT_EQ(loop_run(&l, &ops, &f), 0);
    ASSERT_EQ(f.sends, 1u);
    ASSERT_EQ(f.reads_at_first_send, 1u);
    ASSERT_EQ(f.reads_empty, 0u);
    teardown(&f, &l, srv, efd);
}

/* A ping-pong whose client answers inside the loop's write: one read per datagram, almost
 * never one that finds the device empty (only when the loop drains it once after
 * LOOP_STREAK batches of one, to catch a burst). Before, every answer cost a read that found
 * nothing, and an epoll_wait. */
TEST(ping_pong_reads_each_datagram_once)
{
    static struct fake f;
    struct loop l;
    synack_stack *srv;
    int efd;
    setup(&f, &l, &srv, &efd);
    f.want_rounds = 200;
    struct loop_ops ops = {.app = echo_app, .done = done_rounds};
    ASSERT_EQ(loop_run(&l, &ops, &f), 0);
    ASSERT_EQ(f.rounds, 200u);
    uint64_t datagrams = f.reads - f.reads_empty;
    if (f.reads_empty * 4 > f.rounds || f.reads > datagrams + f.rounds / 4)
        fprintf(stderr,
                "    reads %" PRIu64 ", empty %" PRIu64 ", datagrams %" PRIu64
                ", rounds %u, epoll waits %" PRIu64 "\n",
                f.reads, f.reads_empty, datagrams, f.rounds, l.wakeups);
    ASSERT(f.reads_empty * 4 <= f.rounds);
    teardown(&f, &l, srv, efd);
}

/* serve --busy-poll: a client whose answer comes a little after the loop's write (here: 3
 * reads later). Without busy polling every answer costs the loop an epoll wait or more (it
 * would sleep there on a real device); with it, the loop looks at the device without
 * waiting (busy_wait: the test's descriptor is always readable) and reads again, and never
 * goes to the wait that sleeps. */
TEST(busy_poll_reads_again_before_it_would_sleep)
{
    static struct fake f;
    struct loop l;
    synack_stack *srv;
    int efd;
    struct loop_ops ops = {.app = echo_app, .done = done_rounds};
    setup(&f, &l, &srv, &efd);
    f.want_rounds = 200;
    f.hide_each = 3;
    ASSERT_EQ(loop_run(&l, &ops, &f), 0);
    ASSERT_EQ(f.rounds, 200u);
    uint64_t waits_plain = l.wakeups;
    ASSERT(waits_plain >= f.rounds); /* at least one wait per answer */
    ASSERT_EQ(l.busy_hits, 0u);
    teardown(&f, &l, srv, efd);

    setup(&f, &l, &srv, &efd);
    f.want_rounds = 200;
    f.hide_each = 3;
    l.busy_us = 1000000; /* bounded by the stack's next deadline too */
    ASSERT_EQ(loop_run(&l, &ops, &f), 0);
    ASSERT_EQ(f.rounds, 200u);
    if (l.wakeups * 4 > f.rounds || l.busy_hits * 2 < f.rounds)
        fprintf(stderr,
                "    epoll waits %" PRIu64 " (%" PRIu64 " without), busy hits %" PRIu64
                ", misses %" PRIu64 "\n",
                l.wakeups, waits_plain, l.busy_hits, l.busy_misses);
    ASSERT(l.wakeups * 4 <= f.rounds);
    ASSERT(l.busy_hits * 2 >= f.rounds);
    teardown(&f, &l, srv, efd);
}

/* serve --busy-poll with another descriptor ready (a signal, queue 0's eventfd, a viewer):
 * the spin finds the device and that descriptor ready together, and must leave the latter
 * to the wait that hears it at once, not keep spinning on the device until LOOP_LOOK_US
 * has passed (the outside review's remark: under sustained traffic a SIGTERM waited). */
static unsigned rounds_at_heard;
static void heard_round(void *ctx, int fd, uint32_t events, uint64_t now)
{
    (void)fd, (void)events, (void)now;
    struct fake *f = ctx;
    if (!f->heard_fd) rounds_at_heard = f->rounds;
    f->heard_fd = true;
}

TEST(busy_poll_leaves_another_ready_descriptor_to_the_wait)
{
    static struct fake f;
    struct loop l;
    synack_stack *srv;
    int efd;
    struct loop_ops ops = {.app = echo_app, .on_fd = heard_round, .done = done_rounds};
    setup(&f, &l, &srv, &efd);
    f.want_rounds = 200;
    f.hide_each = 3;
    l.busy_us = 1000000;
    int other = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT(other >= 0);
    ASSERT_EQ(loop_watch(&l, other, EPOLLIN), 0);
    rounds_at_heard = UINT32_MAX;
    ASSERT_EQ(loop_run(&l, &ops, &f), 0);
    ASSERT_EQ(f.rounds, 200u);
    if (!f.heard_fd || rounds_at_heard > 2)
        fprintf(stderr, "    heard %d, at round %u, busy hits %" PRIu64 "\n", f.heard_fd,
                rounds_at_heard, l.busy_hits);
    ASSERT(f.heard_fd);
    ASSERT(rounds_at_heard <= 2);
    close(other);
    teardown(&f, &l, srv, efd);
}

/* The batch sizes: one datagram that emptied the device means one at a time; more, until
 * dry; a read that found nothing changes nothing; LOOP_STREAK batches of one that never found
 * the device dry drain it once. */
TEST(batch_size_follows_the_traffic)
{
    struct loop l;
    memset(&l, 0, sizeof l);
    l.want = LOOP_BATCH;
    loop_batch_next(&l, 5); /* 5 of 64, then dry */
    ASSERT_EQ(l.want, (unsigned)LOOP_BATCH);
    loop_batch_next(&l, 1); /* one, then dry: request and answer */
    ASSERT_EQ(l.want, 1u);
    loop_batch_next(&l, 0);
    ASSERT_EQ(l.want, 1u);
    for (int i = 0; i < LOOP_STREAK - 1; i++) {
        loop_batch_next(&l, 1); /* one of one: maybe more behind it */
        ASSERT_EQ(l.want, 1u);
    }
    loop_batch_next(&l, 0); /* dry: the streak starts again */
    for (int i = 0; i < LOOP_STREAK - 1; i++) loop_batch_next(&l, 1);
    ASSERT_EQ(l.want, 1u);
    loop_batch_next(&l, 1);
    ASSERT_EQ(l.want, (unsigned)LOOP_BATCH);
    loop_batch_next(&l, LOOP_BATCH); /* full: stays */
    ASSERT_EQ(l.want, (unsigned)LOOP_BATCH);
}

/* serve --io-uring's hand-over, epoll's side (loop.c's epoll_run with a ring to go back to):
 * a ping-pong, one datagram per answer, never hands over; a device that keeps the loop
 * busy with batches hands over to the ring (LOOP_SWITCH) within LOOP_SWITCH_WINDOW turns
 * once the batches are full. */
TEST(epoll_hands_over_to_the_ring_only_for_batches)
{
    static struct fake f;
    struct loop l;
    synack_stack *srv;
    int efd;
    uint8_t *buf = malloc(LOOP_BUF);
    ASSERT(buf);
    setup(&f, &l, &srv, &efd);
    l.uring_live = (struct loop_uring *)&f; /* a ring to go back to; never touched here */
    f.want_rounds = 200;
    struct loop_ops ops = {.app = echo_app, .done = done_rounds};
    ASSERT_EQ(epoll_run(&l, &ops, &f, buf), 0);
    ASSERT_EQ(f.rounds, 200u);
    teardown(&f, &l, srv, efd);

    setup(&f, &l, &srv, &efd);
    l.uring_live = (struct loop_uring *)&f;
    static uint8_t junk[40] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 9};
    f.junk = junk;
    f.junk_len = sizeof junk;
    ops = (struct loop_ops){.app = echo_app, .done = done_heard};
    ASSERT_EQ(epoll_run(&l, &ops, &f, buf), LOOP_SWITCH);
    /* batches of one until LOOP_STREAK of them, then full ones: at most a window of each */
    ASSERT(f.reads <= (uint64_t)LOOP_SWITCH_WINDOW * (1 + LOOP_BATCH));
    teardown(&f, &l, srv, efd);
    free(buf);
}

/* A device that never runs dry (here a datagram for another address, dropped, forever): the
 * loop still looks at its other descriptors (signals, serve's eventfd, the HTTP viewers). */
TEST(other_descriptors_are_heard_while_the_device_is_busy)
{
    static struct fake f;
    struct loop l;
    synack_stack *srv;
    int efd;
    setup(&f, &l, &srv, &efd);
    static uint8_t junk[40] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 9};
    f.junk = junk;
    f.junk_len = sizeof junk;
    int other = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT(other >= 0);
    ASSERT_EQ(loop_watch(&l, other, EPOLLIN), 0);
    struct loop_ops ops = {.app = echo_app, .on_fd = heard, .done = done_heard};
    ASSERT_EQ(loop_run(&l, &ops, &f), 0);
    ASSERT(f.heard_fd);
    ASSERT(f.reads <= 1000000);
    close(other);
    teardown(&f, &l, srv, efd);
}

/* A tool whose descriptors carry data (connect's stdin: one read per readiness) has them
 * looked at after every batch, not once a millisecond, even while the device is busy. */
static bool done_heard_often(void *ctx)
{
    struct fake *f = ctx;
    return f->heard >= 100 || f->reads > 1000000;
}

static void heard_count(void *ctx, int fd, uint32_t events, uint64_t now)
{
    (void)fd, (void)events, (void)now;
    ((struct fake *)ctx)->heard++;
}

TEST(data_descriptors_are_heard_after_every_batch)
{
    static struct fake f;
    struct loop l;
    synack_stack *srv;
    int efd;
    setup(&f, &l, &srv, &efd);
    static uint8_t junk[40] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 9};
    f.junk = junk;
    f.junk_len = sizeof junk;
    int other = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT(other >= 0);
    ASSERT_EQ(loop_watch(&l, other, EPOLLIN), 0);
    struct loop_ops ops = {
        .app = echo_app, .on_fd = heard_count, .done = done_heard_often, .data_fds = true};
    ASSERT_EQ(loop_run(&l, &ops, &f), 0);
    ASSERT_EQ(f.heard, 100u);
    /* one batch of one datagram per look (the streak's drains read LOOP_BATCH) */
    ASSERT(f.reads <= 100u * LOOP_BATCH);
    close(other);
    teardown(&f, &l, srv, efd);
}

TEST_MAIN()
