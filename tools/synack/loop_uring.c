/*
 * tools/synack/loop_uring.c - the event loop of loop.c on io_uring (`serve --io-uring`): the
 * same stack calls in the same order, with the device's reads kept posted in the kernel and
 * the writes submitted in the system call that waits for the next completion.
 *
 * Why: in a request/answer exchange over TUN (a handshake, a ping-pong) the epoll loop pays
 * a write for the answer, then a read that finds nothing and an epoll_wait that sleeps, then
 * the read that takes the next datagram (docs/performance.md, "Second pass"). Here a round
 * trip is one io_uring_enter: it issues the queued writes (a kernel client on this CPU runs
 * its TCP inside them), then sleeps until the multishot read posted on the device completes
 * into one of our provided buffers, with the stack's next deadline as its timeout (the
 * caller owns time: the loop asks the stack, as loop.c does, to the microsecond instead of
 * epoll's millisecond).
 *
 * What the kernel must have: IORING_OP_READ_MULTISHOT (Linux 6.7) and provided buffer rings
 * (5.19). Where the ring is refused (io_uring_disabled, EPERM in a container, ENOSYS, an
 * older kernel, a build without liburing) loop_run falls back to the epoll loop and says so.
 *
 * The tool's other descriptors (the signalfd, a queue's eventfd, the status page) stay in
 * loop.c's epoll set; the ring polls that set's descriptor (a multishot poll) and lets
 * loop_look dispatch what is ready.
 *
 * Why it hands over to epoll: in a request/answer exchange one datagram at a time, the epoll
 * loop is never woken (the kernel client runs inside its write and the next read finds the
 * answer), while the ring's wait always is, through the read's poll callback and task work:
 * ~1 µs more per round trip on this VM (docs/performance.md, "io_uring"). So after
 * LOOP_SWITCH_WINDOW turns of one datagram in and at most one out, the read and the poll
 * are cancelled and loop.c's epoll loop runs, the ring kept, until datagrams come in
 * batches again.
 */
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "synack/tun.h"

#ifdef SYNACK_HAVE_LIBURING
#include <liburing.h>
#include <sys/mman.h>

/* Linux 6.7's IORING_OP_READ_MULTISHOT: liburing 2.3 (Debian 12) predates it, and the
 * opcode's number is ABI (include/uapi/linux/io_uring.h, after IORING_OP_SENDMSG_ZC). */
#define OP_READ_MULTISHOT 49
/* Buffer group of the device's reads. */
#define BGID 0
/* Registered files: the device and loop.c's epoll set. */
#define FILE_DEV 0
#define FILE_EP  1
/* What a completion is for: the low byte of user_data; a write's slot above it. */
enum { UD_READ = 1, UD_WRITE = 2, UD_POLL = 3, UD_TIMER = 4, UD_TIMER_UPDATE = 5, UD_CANCEL = 6 };
/* Writes in flight at once, and the bytes of their copies. A super-segment takes 64 KiB;
 * when the arena or the slots run out, the rest waits in the stack's output queue for the
 * next turn (the writes complete inside io_uring_enter, so that turn comes at once). */
#define TX_SLOTS     256
#define TX_ARENA     (1u << 20)
#define RING_ENTRIES 512

struct tx_slot {
    const uint8_t *buf; /* what synack_tun_tx_raw filled: synack_tun_tx_done reads its header */
    uint32_t len;
};

struct loop_uring {
    struct io_uring ring;
    bool ring_up;
    unsigned setup_flags;
    int dev_fd;
    size_t hdr_len;
    /* The provided buffers of the device's reads: nbufs of bufsz bytes each. */
    struct io_uring_buf_ring *br;
    size_t br_bytes;
    uint8_t *bufs;
    unsigned nbufs, bufsz;
    bool br_registered;
    /* The copies of the datagrams being written (synack_output_next's pointer lives only
     * until the next stack call; a write's data must live until it completes). */
    uint8_t *arena;
    bool arena_fixed; /* registered: WRITE_FIXED, no page pinning per write */
    size_t arena_used;
    struct tx_slot slots[TX_SLOTS];
    unsigned free_slot[TX_SLOTS], nfree, inflight;
    /* The standing timer: an absolute IORING_OP_TIMEOUT at the earliest deadline it was
     * armed for (UINT64_MAX: none armed), of generation timer_gen (user_data above the
     * byte), its time kept here until the kernel reads it at submission. */
    uint64_t timer_at;
    uint64_t timer_gen;
    struct __kernel_timespec timer_ts;
    /* The multishot read and poll are posted (until their last completion). */
    bool read_live, poll_live;
};

static const char *setup_name(unsigned f)
{
    if (f & IORING_SETUP_DEFER_TASKRUN) return "single-issuer defer-taskrun";
    if (f & IORING_SETUP_SINGLE_ISSUER) return "single-issuer coop-taskrun";
    if (f & IORING_SETUP_COOP_TASKRUN) return "coop-taskrun";
    return "plain";
}

/* The ring with the cheapest task-work mode this kernel grants: DEFER_TASKRUN runs the
 * completions' work only when we wait (6.1), so a datagram arriving while the stack runs
 * does not interrupt it; COOP_TASKRUN (5.19) at least without an IPI. The ring is made on
 * the thread that runs the loop (SINGLE_ISSUER binds it to its creator). */
static int ring_init(struct loop_uring *u)
{
    static const unsigned tries[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int r = -ENOSYS;
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        struct io_uring_params p;
        memset(&p, 0, sizeof p);
        p.flags = tries[i];
        r = io_uring_queue_init_params(RING_ENTRIES, &u->ring, &p);
        if (r == 0) {
            u->ring_up = true;
            u->setup_flags = tries[i];
            return 0;
        }
        if (r != -EINVAL) break; /* EPERM, ENOSYS, ENOMEM: no flag helps */
    }
    return r;
}

static void uring_free(struct loop_uring *u)
{
    if (u->ring_up) {
        if (u->br_registered) io_uring_unregister_buf_ring(&u->ring, BGID);
        io_uring_queue_exit(&u->ring);
    }
    if (u->br) munmap(u->br, u->br_bytes);
    free(u->bufs);
    free(u->arena);
    free(u);
}

static struct io_uring_sqe *sqe_get(struct loop_uring *u);

static void post_read(struct loop_uring *u)
{
    struct io_uring_sqe *sqe = sqe_get(u);
    /* A multishot read: one completion per datagram, each into a buffer the kernel picks
     * from the group, until the group runs dry (then it ends and is posted again). */
    io_uring_prep_rw(OP_READ_MULTISHOT, sqe, FILE_DEV, NULL, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    sqe->user_data = UD_READ;
    u->read_live = true;
}

static void post_poll(struct loop_uring *u)
{
    struct io_uring_sqe *sqe = sqe_get(u);
    io_uring_prep_poll_multishot(sqe, FILE_EP, POLLIN);
    sqe->flags |= IOSQE_FIXED_FILE;
    sqe->user_data = UD_POLL;
    u->poll_live = true;
}

static void buf_give(struct loop_uring *u, unsigned bid, int offset)
{
    io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * u->bufsz, u->bufsz, (unsigned short)bid,
                          io_uring_buf_ring_mask(u->nbufs), offset);
}

/* Everything but the ring: buffers, the buffer ring, the registered files and arena. 0, or
 * a negative errno with *why set. */
static int uring_setup(struct loop_uring *u, struct loop *l, const char **why)
{
    u->dev_fd = synack_tun_fd(l->dev);
    if (u->dev_fd < 0) {
        *why = "the device is not a bare TUN device (--pcap or --faults wrap it)";
        return -EINVAL;
    }
    int r = ring_init(u);
    if (r < 0) {
        *why = "io_uring_setup";
        return r;
    }
    struct io_uring_probe *p = io_uring_get_probe_ring(&u->ring);
    bool mshot = p && p->last_op >= OP_READ_MULTISHOT &&
                 (p->ops[OP_READ_MULTISHOT].flags & IO_URING_OP_SUPPORTED);
    if (p) io_uring_free_probe(p);
    if (!mshot) {
        *why = "the kernel has no multishot read (Linux 6.7)";
        return -ENOSYS;
    }
    u->hdr_len = synack_tun_hdr_len(l->dev);
    /* A read holds one datagram: with offloads, a super-segment of up to 64 KiB behind its
     * header; without, one of at most the device's MTU. */
    size_t need = u->hdr_len + (l->dev->tso_max ? 65535u : l->dev->mtu);
    u->bufsz = (unsigned)((need + 63) & ~(size_t)63);
    u->nbufs = l->dev->tso_max ? 32 : 256; /* ~2 MiB, or 256 MTU-sized ones */
    u->bufs = malloc((size_t)u->nbufs * u->bufsz);
    u->arena = malloc(TX_ARENA);
    u->br_bytes = u->nbufs * sizeof(struct io_uring_buf);
    // cppcheck-suppress invalidFunctionArg ; fd -1 is what mmap(2) asks with MAP_ANONYMOUS
    u->br = mmap(NULL, u->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (u->br == MAP_FAILED) u->br = NULL;
    if (!u->bufs || !u->arena || !u->br) {
        *why = "out of memory";
        return -ENOMEM;
    }
    io_uring_buf_ring_init(u->br);
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)u->br;
    reg.ring_entries = u->nbufs;
    reg.bgid = BGID;
    r = io_uring_register_buf_ring(&u->ring, &reg, 0);
    if (r < 0) {
        *why = "provided buffer ring (Linux 5.19)";
        return r;
    }
    u->br_registered = true;
    for (unsigned i = 0; i < u->nbufs; i++) buf_give(u, i, (int)i);
    io_uring_buf_ring_advance(u->br, (int)u->nbufs);
    /* Registered files: no file table lookup and reference count per operation. */
    int files[2] = {u->dev_fd, l->ep};
    r = io_uring_register_files(&u->ring, files, 2);
    if (r < 0) {
        *why = "IORING_REGISTER_FILES";
        return r;
    }
    /* The arena registered once: its pages are pinned once, not at each write. A kernel that
     * refuses (RLIMIT_MEMLOCK on old kernels) gets plain writes. */
    struct iovec iov = {u->arena, TX_ARENA};
    u->arena_fixed = io_uring_register_buffers(&u->ring, &iov, 1) == 0;
    u->timer_at = UINT64_MAX;
    for (unsigned i = 0; i < TX_SLOTS; i++) u->free_slot[i] = TX_SLOTS - 1 - i;
    u->nfree = TX_SLOTS;
    return 0;
}

static struct io_uring_sqe *sqe_get(struct loop_uring *u)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) {
        io_uring_submit(&u->ring); /* the ring is full: what is in it goes now */
        sqe = io_uring_get_sqe(&u->ring);
    }
    return sqe;
}

/* The stack's output into write SQEs, each from a copy in the arena. Returns false when the
 * arena or the slots ran out with output left (the caller then does not wait). */
static bool queue_output(struct loop_uring *u, struct loop *l, uint64_t now)
{
    if (!u->inflight) u->arena_used = 0;
    for (;;) {
        size_t room = TX_ARENA - u->arena_used;
        if (!u->nfree || room < u->hdr_len + 65536 + 64) return false;
        uint8_t *buf = u->arena + u->arena_used;
        uint32_t gso;
        int n = synack_output_gso(l->stack, now, buf + u->hdr_len, room - u->hdr_len, &gso);
        if (n <= 0) return true;
        l->out_packets++;
        int w = synack_tun_tx_raw(l->dev, buf, (size_t)n, gso);
        if (w < 0) {
            l->out_errors++;
            continue;
        }
        struct io_uring_sqe *sqe = sqe_get(u);
        if (u->arena_fixed)
            io_uring_prep_write_fixed(sqe, FILE_DEV, buf, (unsigned)w, 0, 0);
        else
            io_uring_prep_write(sqe, FILE_DEV, buf, (unsigned)w, 0);
        sqe->flags |= IOSQE_FIXED_FILE;
        unsigned slot = u->free_slot[--u->nfree];
        u->slots[slot] = (struct tx_slot){.buf = buf, .len = (uint32_t)n};
        sqe->user_data = UD_WRITE | ((uint64_t)slot << 8);
        u->inflight++;
        u->arena_used += ((size_t)w + 63) & ~(size_t)63;
    }
}

/* The wait's timeout as a request of its own instead of the wait's argument: a timeout
 * argument arms and cancels a high-resolution timer in every io_uring_enter, one per round
 * trip, though the stack's deadline (a retransmission timeout, a delayed ACK, an idle
 * bound) seldom comes. The standing timer is moved only when the deadline comes earlier
 * than it; a deadline that moved later leaves it to fire early once, and be armed again. */
static void timer_arm(struct loop_uring *u, uint64_t deadline)
{
    if (deadline >= u->timer_at) return;
    u->timer_ts.tv_sec = (long long)(deadline / 1000000u);
    u->timer_ts.tv_nsec = (long long)(deadline % 1000000u) * 1000;
    struct io_uring_sqe *sqe = sqe_get(u);
    if (u->timer_at == UINT64_MAX) {
        u->timer_gen++;
        io_uring_prep_timeout(sqe, &u->timer_ts, 0, IORING_TIMEOUT_ABS);
        sqe->user_data = UD_TIMER | (u->timer_gen << 8);
    } else {
        io_uring_prep_timeout_update(sqe, &u->timer_ts, UD_TIMER | (u->timer_gen << 8),
                                     IORING_TIMEOUT_ABS);
        /* Its completion would end the wait: only a failure posts one (the timer fired
         * meanwhile; its own completion says so). */
        sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
        sqe->user_data = UD_TIMER_UPDATE;
    }
    u->timer_at = deadline;
}

void loop_uring_free(struct loop *l)
{
    if (l->uring_live) uring_free(l->uring_live);
    l->uring_live = NULL;
}

/* The hand-over to epoll: the read and the poll are cancelled, and once their last
 * completions (and the writes') are in, the device goes back into the epoll set. */
static void cancel_posted(struct loop_uring *u)
{
    static const uint64_t which[] = {UD_READ, UD_POLL};
    for (size_t i = 0; i < 2; i++) {
        struct io_uring_sqe *sqe = sqe_get(u);
        io_uring_prep_cancel64(sqe, which[i], 0);
        sqe->user_data = UD_CANCEL;
    }
}

int loop_uring_run(struct loop *l, const struct loop_ops *ops, void *ctx, const char **why)
{
    struct loop_uring *u = l->uring_live;
    if (!u) {
        u = calloc(1, sizeof *u);
        if (!u) {
            *why = "out of memory";
            errno = ENOMEM;
            return LOOP_URING_REFUSED;
        }
        int r = uring_setup(u, l, why);
        if (r < 0) {
            /* The epoll loop takes over with everything as it was. */
            errno = -r;
            uring_free(u);
            return LOOP_URING_REFUSED;
        }
        l->uring_live = u;
        l->uring_mode = setup_name(u->setup_flags);
        l->uring_fixed = u->arena_fixed;
        if (l->announce) {
            fprintf(stderr,
                    "%s: loop: io_uring (%s; multishot read into %u provided buffers of %u B; "
                    "registered files%s; epoll while datagrams come one per answer)\n",
                    l->announce, l->uring_mode, u->nbufs, u->bufsz,
                    u->arena_fixed ? " and write buffers" : "");
            (void)fflush(stderr);
        }
    }
    /* The device is the ring's now: epoll keeps only the tool's own descriptors. */
    loop_unwatch(l, l->dev_fd);
    post_read(u);
    post_poll(u);
    int r;
    bool switching = false;
    unsigned turns = 0, calm = 0; /* turns that read something; of them, one per answer */
    int rc = 0;
    unsigned read_errors = 0; /* read completions in a row that failed */
    for (;;) {
        uint64_t now = loop_now();
        unsigned head, seen = 0, given = 0, got = 0;
        bool rearm_read = false, rearm_poll = false, look = false;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(&u->ring, head, cqe)
        {
            seen++;
            unsigned kind = (unsigned)(cqe->user_data & 0xff);
            if (kind == UD_READ) {
                if (!(cqe->flags & IORING_CQE_F_MORE)) {
                    u->read_live = false;
                    rearm_read = !switching;
                }
                if (cqe->res == -EINVAL && !l->reads) {
                    /* The probe said yes but the device says no (a file the kernel cannot
                     * poll for a multishot read): not this mode. */
                    *why = "multishot read refused on the TUN descriptor";
                    errno = EINVAL;
                    rc = LOOP_URING_REFUSED;
                    break;
                }
                if (!(cqe->flags & IORING_CQE_F_BUFFER)) {
                    /* ENOBUFS: the buffers ran out (given back below, the read posted
                     * again). Another error ends the read too; posted again, it would
                     * fail at once, so a run of them ends the loop as epoll's does. */
                    if (cqe->res < 0 && cqe->res != -ENOBUFS && ++read_errors > 1000) {
                        errno = -cqe->res;
                        perror("io_uring read on the TUN device");
                        rc = -1;
                        break;
                    }
                    continue;
                }
                read_errors = 0;
                unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
                l->reads++;
                if (cqe->res > 0 && (unsigned)cqe->res <= u->bufsz) {
                    uint8_t *pkt;
                    int n = synack_tun_rx_raw(l->dev, u->bufs + (size_t)bid * u->bufsz,
                                              (size_t)cqe->res, &pkt);
                    /* The stack copies what it keeps: the buffer goes back at once. */
                    if (n > 0) synack_input_flags(l->stack, now, pkt, (size_t)n, l->dev->rx_flags);
                    got++;
                }
                buf_give(u, bid, (int)given++);
            } else if (kind == UD_WRITE) {
                unsigned slot = (unsigned)(cqe->user_data >> 8);
                if (synack_tun_tx_done(l->dev, cqe->res, u->slots[slot].buf, u->slots[slot].len) <
                    0)
                    l->out_errors++;
                u->free_slot[u->nfree++] = slot;
                u->inflight--;
            } else if (kind == UD_TIMER) {
                if (cqe->user_data >> 8 == u->timer_gen) u->timer_at = UINT64_MAX;
            } else if (kind == UD_POLL) {
                if (!(cqe->flags & IORING_CQE_F_MORE)) {
                    u->poll_live = false;
                    rearm_poll = !switching;
                }
                if (cqe->res > 0) look = true;
            }
        }
        io_uring_cq_advance(&u->ring, seen);
        if (rc) break;
        if (given) io_uring_buf_ring_advance(u->br, (int)given);
        if (rearm_read) post_read(u);
        if (rearm_poll) post_poll(u);
        l->in_packets += got;
        if (got >= LOOP_BATCH) l->batches_full++;
        if (look && loop_look(l, ops, ctx) < 0) {
            rc = -1;
            break;
        }
        synack_poll(l->stack, now);
        if (ops->app) ops->app(ctx, now);
        uint64_t out_before = l->out_packets;
        bool all_out = queue_output(u, l, now);
        if (ops->done && ops->done(ctx)) {
            io_uring_submit(&u->ring); /* the last answers go out */
            break;
        }
        if (got && !switching) {
            calm += got == 1 && l->out_packets - out_before <= 1;
            if (++turns == LOOP_SWITCH_WINDOW) {
                if (calm == LOOP_SWITCH_WINDOW) {
                    switching = true;
                    cancel_posted(u);
                }
                turns = calm = 0;
            }
        }
        if (switching && !u->read_live && !u->poll_live && !u->inflight) {
            io_uring_submit(&u->ring);
            rc = LOOP_SWITCH;
            break;
        }

        /* The wait: the writes just queued go in the same system call; it returns at the
         * first completion (the next datagram, usually) or at the earliest deadline. */
        uint64_t deadline = loop_deadline(l, ops, ctx);
        now = loop_now();
        /* Every write in flight posts a completion (TUN writes complete inside the submit):
         * were they counted as what we wait for, the call would return before the answer
         * came, and a round trip would cost two calls. So one completion more than them:
         * the next datagram, the epoll set, or the timer. */
        unsigned wait_nr = u->inflight + 1;
        if (deadline <= now || !all_out)
            wait_nr = 0; /* a timer is due, or output is left: submit and go on */
        else if (deadline != UINT64_MAX)
            timer_arm(u, deadline);
        l->wakeups++;
        /* Without a wait, still IORING_ENTER_GETEVENTS: with DEFER_TASKRUN the completions
         * of datagrams that arrived meanwhile are posted only then. */
        r = wait_nr ? io_uring_submit_and_wait(&u->ring, wait_nr)
                    : io_uring_submit_and_get_events(&u->ring);
        if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
            errno = -r;
            perror("io_uring_enter");
            rc = -1;
            break;
        }
    }
    loop_watch(l, l->dev_fd, EPOLLIN);
    if (rc == LOOP_URING_REFUSED) loop_uring_free(l);
    return rc;
}

#else

int loop_uring_run(struct loop *l, const struct loop_ops *ops, void *ctx, const char **why)
{
    (void)l, (void)ops, (void)ctx;
    *why = "built without liburing (make deps installs liburing-dev)";
    errno = ENOSYS;
    return LOOP_URING_REFUSED;
}

void loop_uring_free(struct loop *l)
{
    (void)l;
}

#endif
