/*
 * pd_errqueue.c - Linux's socket error queue over synack's notices, for the packetdrill
 * plug-in: MSG_ZEROCOPY completions and SO_TIMESTAMPING's transmit timestamps as
 * recvmsg(MSG_ERRQUEUE) returns them (Documentation/networking/msg_zerocopy.rst and
 * timestamping.rst in Linux's tree).
 *
 * Zero-copy: packetdrill frees the buffer of a send() as soon as the call returns, so the
 * plug-in cannot lend it to the stack. It copies it once into a block of its own and hands
 * that to synack with SYNACK_SEND_ZEROCOPY: the library then uses the block by reference,
 * as it would an application's buffer, and reports when it is done. Because the plug-in
 * did copy, every completion says SO_EE_CODE_ZEROCOPY_COPIED, which is also what Linux says
 * over packetdrill's tun device (it copies there). Completions come in the order of the
 * sends (the cumulative ACK, or the end of the connection, releases them), so the blocks
 * wait in a FIFO, one entry per send, and a notice [lo, hi] frees hi - lo + 1 of them.
 */
#include "pd_errqueue.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pd_zc_block {
    unsigned refs; /* the sends using it, and the call while it runs */
    uint8_t data[];
};

struct pd_zc_ref {
    struct pd_zc_block *b;
};

struct pd_eq {
    struct pd_zc_ref *fifo; /* one entry per zero-copy send not yet reported */
    size_t head, n, cap;
    struct pd_zc_block *cur; /* the block of the call under way */
};

static void block_put(struct pd_zc_block *b)
{
    if (b && --b->refs == 0) free(b);
}

static struct pd_eq *eq_get(struct pd_eq **eq)
{
    if (!*eq) *eq = calloc(1, sizeof **eq);
    return *eq;
}

/* Room for one more block in the FIFO of sends the stack holds; false when out of memory. */
static bool eq_reserve(struct pd_eq *eq)
{
    if (!eq) return true;
    if (eq->n < eq->cap) return true;
    if (eq->cap == 0) eq->n = eq->head = 0; /* nothing held yet: nothing to move */
    size_t cap = eq->cap ? eq->cap * 2 : 16;
    struct pd_zc_ref *f = malloc(cap * sizeof *f);
    if (!f) return false;
    for (size_t i = 0; i < eq->n && eq->cap > 0; i++) f[i] = eq->fifo[(eq->head + i) % eq->cap];
    free(eq->fifo);
    eq->fifo = f;
    eq->head = 0;
    eq->cap = cap;
    return true;
}

bool pd_eq_zc_begin_iov(struct pd_eq **eqp, synack_stack *st, int sd, struct synack_iov *iov, int n,
                        unsigned *sflags)
{
    long on = 0;
    size_t len = 0;
    for (int i = 0; i < n; i++) len += iov[i].len;
    if (synack_getopt(st, sd, SYNACK_OPT_ZEROCOPY, &on) < 0 || !on || len == 0) return true;
    struct pd_eq *eq = eq_get(eqp);
    /* Room in the FIFO first: once the stack has taken the block, pd_eq_zc_took must not
     * fail, or a later completion would free another send's block the stack still reads. */
    if (!eq || !eq_reserve(eq)) return false;
    struct pd_zc_block *b = malloc(sizeof *b + len);
    if (!b) return false;
    b->refs = 1;
    /* One block for the call; each element keeps its place in it, and stays an element of
     * its own for the stack (one fragment each, cfg.zc_max_frags). */
    for (size_t off = 0, i = 0; i < (size_t)n; i++) {
        /* A NULL element stays NULL: the stack takes the bytes before it and faults there,
         * as Linux's pinning of the caller's pages does (nothing after it is read). */
        if (iov[i].len && !iov[i].base) break;
        if (iov[i].len) memcpy(b->data + off, iov[i].base, iov[i].len);
        iov[i].base = b->data + off;
        off += iov[i].len;
    }
    eq->cur = b;
    *sflags |= SYNACK_SEND_ZEROCOPY;
    return true;
}

const void *pd_eq_zc_begin(struct pd_eq **eqp, synack_stack *st, int sd, const void *buf,
                           size_t len, unsigned *sflags)
{
    struct synack_iov one = {.base = buf, .len = len};
    return pd_eq_zc_begin_iov(eqp, st, sd, &one, 1, sflags) ? one.base : NULL;
}

bool pd_eq_zc_reserve(struct pd_eq *eq)
{
    return eq_reserve(eq);
}

void pd_eq_zc_took(struct pd_eq *eq)
{
    if (!eq || !eq->cur || eq->n == eq->cap) return; /* eq_reserve made room before */
    eq->cur->refs++;
    eq->fifo[(eq->head + eq->n++) % eq->cap].b = eq->cur;
}

void pd_eq_zc_end(struct pd_eq *eq)
{
    if (!eq) return;
    block_put(eq->cur);
    eq->cur = NULL;
}

/* Sends lo..hi are done: their blocks may go. */
static void zc_done(struct pd_eq *eq, uint32_t lo, uint32_t hi)
{
    uint64_t k = (uint64_t)(hi - lo) + 1u;
    while (eq && k-- > 0 && eq->n > 0) {
        block_put(eq->fifo[eq->head].b);
        eq->head = (eq->head + 1) % eq->cap;
        eq->n--;
    }
}

void pd_eq_free(struct pd_eq *eq)
{
    if (!eq) return;
    zc_done(eq, 0, UINT32_MAX);
    block_put(eq->cur);
    free(eq->fifo);
    free(eq);
}

bool pd_eq_new_notice(synack_stack *st, int sd, uint32_t *seen)
{
    struct synack_sockinfo in;
    if (synack_getinfo(st, sd, &in) < 0 || in.notices == *seen) return false;
    *seen = in.notices;
    return true;
}

/* Linux's SOF_TIMESTAMPING_OPT_ID_TCP, OPT_RX_FILTER and the mask of every flag (6.12). */
#define PD_TS_OPT_ID_TCP    (1 << 16)
#define PD_TS_OPT_RX_FILTER (1 << 17)
#define PD_TS_MASK          ((1 << 18) - 1)

int pd_eq_timestamping_value(const void *val, socklen_t len, long *v)
{
    /* sock_set_timestamping(): an int, or struct so_timestamping with a PHC to bind. */
    struct so_timestamping ts = {0};
    if (!val) return EFAULT;
    if (len >= (socklen_t)sizeof ts)
        memcpy(&ts, val, sizeof ts);
    else if (len >= (socklen_t)sizeof ts.flags)
        memcpy(&ts.flags, val, sizeof ts.flags);
    else
        return EINVAL;
    int f = ts.flags;
    if (f & ~PD_TS_MASK) return EINVAL;
    if ((f & PD_TS_OPT_ID_TCP) && !(f & SOF_TIMESTAMPING_OPT_ID)) return EINVAL;
    if ((f & SOF_TIMESTAMPING_RX_SOFTWARE) && (f & PD_TS_OPT_RX_FILTER)) return EINVAL;
    /* Binding to a PTP hardware clock needs a device that has one: synack's has none. */
    if (f & SOF_TIMESTAMPING_BIND_PHC) return EINVAL;
    *v = f;
    return 0;
}

/* One control message into msg's buffer; false when it does not fit (MSG_CTRUNC). */
static bool put_cmsg(struct msghdr *msg, size_t *used, int level, int type, const void *data,
                     size_t len)
{
    if (!msg->msg_control || *used + CMSG_SPACE(len) > msg->msg_controllen) {
        msg->msg_flags |= MSG_CTRUNC;
        return false;
    }
    struct cmsghdr *c = (struct cmsghdr *)((char *)msg->msg_control + *used);
    memset(c, 0, CMSG_SPACE(len));
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(len);
    memcpy(CMSG_DATA(c), data, len);
    *used += CMSG_SPACE(len);
    return true;
}

ssize_t pd_eq_recvmsg(struct pd_eq **eqp, synack_stack *st, int sd, int domain, struct msghdr *msg,
                      int flags)
{
    struct synack_notice n;
    int r = synack_next_notice(st, sd, &n);
    if (r <= 0) {
        errno = r == 0 ? EAGAIN : EBADF;
        return -1;
    }
    size_t room = msg->msg_controllen;
    size_t used = 0;
    msg->msg_controllen = room;
    msg->msg_flags = MSG_ERRQUEUE;
    long tsflags = 0;
    (void)synack_getopt(st, sd, SYNACK_OPT_TIMESTAMPING, &tsflags);
    /* The offending address beside the error (ip_recv_error's errhdr): none here. */
    struct {
        struct sock_extended_err ee;
        union {
            struct sockaddr_in v4;
            struct sockaddr_in6 v6;
        } offender;
    } e;
    memset(&e, 0, sizeof e);
    ssize_t got = 0;
    if (n.kind == SYNACK_NOTICE_ZEROCOPY) {
        e.ee.ee_origin = SO_EE_ORIGIN_ZEROCOPY;
        e.ee.ee_info = n.lo;
        e.ee.ee_data = n.hi;
        /* The plug-in copied packetdrill's buffer (see above): always "copied". */
        e.ee.ee_code = SO_EE_CODE_ZEROCOPY_COPIED;
        zc_done(*eqp, n.lo, n.hi);
    } else {
        /* Linux loops the segment back with the timestamp (its payload unless
         * OPT_TSONLY); the plug-in has no copy of it to give, so the data is reported as
         * truncated to nothing, which is what the suite's scripts ask for. */
        struct scm_timestamping ts;
        memset(&ts, 0, sizeof ts);
        if (tsflags & SOF_TIMESTAMPING_SOFTWARE) {
            ts.ts[0].tv_sec = (time_t)(n.time_us / 1000000u);
            ts.ts[0].tv_nsec = (long)(n.time_us % 1000000u) * 1000;
        }
        put_cmsg(msg, &used, SOL_SOCKET, SCM_TIMESTAMPING, &ts, sizeof ts);
        e.ee.ee_errno = ENOMSG;
        e.ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
        e.ee.ee_info = (uint32_t)n.tstamp; /* SCM_TSTAMP_SND, _SCHED, _ACK: the same values */
        e.ee.ee_data = n.key;
        if (!(tsflags & SOF_TIMESTAMPING_OPT_TSONLY)) msg->msg_flags |= MSG_TRUNC;
    }
    size_t elen = sizeof e.ee + (domain == AF_INET6 ? sizeof e.offender.v6 : sizeof e.offender.v4);
    if (domain == AF_INET6) {
        e.offender.v6.sin6_family = AF_UNSPEC;
        put_cmsg(msg, &used, SOL_IPV6, IPV6_RECVERR, &e, elen);
    } else {
        e.offender.v4.sin_family = AF_UNSPEC;
        put_cmsg(msg, &used, SOL_IP, IP_RECVERR, &e, elen);
    }
    msg->msg_controllen = used;
    msg->msg_namelen = 0;
    (void)flags;
    return got;
}
