/*
 * entry/socket.c - the non-blocking socket API of synack/synack.h: descriptors, binding
 * and port choice, listen/accept queues, and the checks that precede the TCP user calls
 * (tcp/tcp_user.c), which do the protocol work.
 */
#include <string.h>

#include "base/siphash.h"
#include "tcp/stack.h"
#include "tcp/tcp_zc.h"
#include "entry/events.h"
#include "entry/ip.h"
#include "tcp/ip_out.h"

/* A descriptor the application holds, or NULL. */
static struct sock *user_sock(struct synack_stack *st, int sd)
{
    if (!st || sd < 0 || (uint32_t)sd >= st->nsocks) return NULL;
    struct sock *sk = &st->socks[sd];
    return sk->in_use && sk->user_open ? sk : NULL;
}

/* The application just looked at this socket (recv, send, accept): what it saw counts as
 * reported. Otherwise a level it consumed and that rose again before the next
 * synack_next_event() (the ring emptied by recv, then new data) would equal the last report
 * and be skipped: a lost wakeup. Edge semantics as epoll's EPOLLET: an event means "changed
 * since you last looked". */
static void sock_seen(struct synack_stack *st, struct sock *sk)
{
    if (sk->in_use && sk->user_open) sk->ev_reported = sock_events(st, sk);
}

int synack_socket(synack_stack *st)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    if (!st) return SYNACK_EINVAL;
    struct sock *sk = sock_alloc(st);
    if (!sk) return SYNACK_EMFILE;
    sk->user_open = true;
    return sk->idx;
}

/* Whether a connection holds the 4-tuple: a socket, or a TIME-WAIT record, which holds it
 * as the socket it was did (a half-open request does not, as before records existed). One
 * hash lookup for both. */
static bool tuple_taken(struct synack_stack *st, const struct synack_addr *laddr, uint16_t lport,
                        const struct synack_addr *raddr, uint16_t rport)
{
    struct ct_node *n = conn_lookup(st, laddr, lport, raddr, rport);
    return n && (n->owner == OWNER_SOCK || n->owner == OWNER_TW);
}

/* The TIME-WAIT record (tcp/tcp_tw.c) of a 4-tuple, or NULL: it holds the tuple as a
 * socket in TIME-WAIT does. */
static struct tw_rec *tw_lookup(struct synack_stack *st, const struct synack_addr *laddr,
                                uint16_t lport, const struct synack_addr *raddr, uint16_t rport)
{
    struct ct_node *n = conn_lookup(st, laddr, lport, raddr, rport);
    return n && n->owner == OWNER_TW ? container_of(n, struct tw_rec, ct) : NULL;
}

/* A listener that takes the SYNs for laddr:port: bound to laddr, to 0.0.0.0 (IPv4), or to
 * the unspecified address of both families, the three the demux asks (entry/demux.c). */
static bool port_listened(struct synack_stack *st, const struct synack_addr *laddr, uint16_t port)
{
    static const struct synack_addr any;
    if (listener_lookup(st, laddr, port)) return true;
    if (laddr->family == SYNACK_AF_INET) {
        struct synack_addr any4 = synack_addr_v4(0);
        if (listener_lookup(st, &any4, port)) return true;
    }
    return listener_lookup(st, &any, port) != NULL;
}

/* RFC 6056 §3.3.4, double-hash port selection: the search for a free port starts at an
 * offset that is a keyed hash of (local address, remote address, remote port), so the ports
 * a host uses towards one destination say nothing of those it uses towards another; a
 * small table of counters, indexed by a second keyed hash, moves the start on after each
 * use. Each use moves it by a random 1 to 8 (the random increments of §3.3.5, as Linux
 * does since 2022), so that even towards one destination the next port cannot be
 * extrapolated from the last. For bind() with port 0 the remote end is zero. */
static int pick_ephemeral(struct synack_stack *st, const struct synack_addr *laddr,
                          const struct synack_addr *raddr, uint16_t rport, uint16_t *port)
{
    uint32_t span = (uint32_t)st->cfg.ephemeral_hi - st->cfg.ephemeral_lo + 1;
    /* Both hashes are functions of the destination under keys fixed at creation: those of
     * the last destination are kept (two SipHash-2-4 a connect() spared for a compare). */
    struct port_memo *m = &st->port_memo;
    if (!m->valid || m->rport != rport || memcmp(&m->laddr, laddr, sizeof *laddr) != 0 ||
        memcmp(&m->raddr, raddr, sizeof *raddr) != 0) {
        m->offset = (uint32_t)siphash_tuple_addr(st->port_key, laddr, 0, raddr, rport);
        m->index =
            (uint32_t)siphash_tuple_addr(st->port_key2, laddr, 0, raddr, rport) % SYNACK_PORT_TABLE;
        m->laddr = *laddr;
        m->raddr = *raddr;
        m->rport = rport;
        m->valid = true;
    }
    uint32_t offset = m->offset, index = m->index;
    uint32_t start = offset + st->port_table[index];
    bool connecting = rport != 0;
    for (uint32_t tries = 0; tries < span; tries++) {
        uint16_t p = (uint16_t)(st->cfg.ephemeral_lo + (start + tries) % span);
        /* For connect() only the whole 4-tuple must be unique (RFC 6056 §2.1), on a port
         * no listener holds (as Linux, which takes no bound port): a wildcard listener's
         * too, or the connection would take the SYNs its peer's port sends it. */
        if (connecting ? !tuple_taken(st, laddr, p, raddr, rport) && !port_listened(st, laddr, p)
                       : !port_in_use(st, laddr, p, false)) {
            st->port_table[index] += tries + 1 + (uint32_t)(stack_random(st) % 8);
            *port = p;
            return 0;
        }
    }
    return SYNACK_EADDRINUSE;
}

/* One of our own addresses, of either family. */
static bool addr_is_ours(const struct synack_stack *st, const struct synack_addr *a)
{
    return (st->cfg.addr.family && synack_addr_eq(a, &st->cfg.addr)) ||
           (st->cfg.addr6.family && synack_addr_eq(a, &st->cfg.addr6));
}

int synack_bind(synack_stack *st, int sd, struct synack_addr addr, uint16_t port)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    if (sk->bound || sk->tcb.state != SYNACK_CLOSED) return SYNACK_EINVAL;
    struct synack_addr a;
    if (!synack_addr_canon(&addr, &a)) return SYNACK_EINVAL;
    /* 0.0.0.0 on a stack without IPv4 could never receive anything. */
    /* With SYNACK_OPT_FREEBIND any specific address, as Linux's inet_bind with IP_FREEBIND
     * (inet_addr_valid_or_nonlocal): the socket hears it once it is the stack's. */
    if (synack_addr_is_any(&a) ? a.family == SYNACK_AF_INET && !st->cfg.addr.family
                               : !addr_is_ours(st, &a) && !sk->freebind)
        return SYNACK_EADDRNOTAVAIL;
    /* No remote end yet; for an IPv4 address 0.0.0.0, so that the port is what it always
     * was for the same key (RFC 6056's hash over IPv4 is unchanged). */
    struct synack_addr none = a.family == SYNACK_AF_INET ? synack_addr_v4(0) : SYNACK_ADDR_ANY;
    if (port == 0) {
        int r = pick_ephemeral(st, &a, &none, 0, &port);
        if (r < 0) return r;
    } else if (port_in_use(st, &a, port, sk->reuseaddr)) {
        return SYNACK_EADDRINUSE;
    }
    sk->tcb.laddr = a;
    sk->tcb.lport = port;
    sk->bound = true;
    return 0;
}

int synack_listen(synack_stack *st, int sd, int backlog)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    if (sk->tcb.state == SYNACK_LISTEN) return 0;
    if (sk->tcb.state != SYNACK_CLOSED || !sk->bound) return SYNACK_EINVAL;
    /* A connection that ended (one accepted after a reset among them) is no socket to
     * listen on: it still holds its error, its data and its TCB. Linux's inet_listen
     * refuses every socket that is not SS_UNCONNECTED the same way. */
    if (sk->connected_reported || sk->tcb.passive) return SYNACK_EINVAL;
    if (port_has_listener(st, &sk->tcb.laddr, sk->tcb.lport)) return SYNACK_EADDRINUSE;
    if (backlog <= 0) backlog = 1;
    if ((uint32_t)backlog > st->cfg.max_backlog) backlog = (int)st->cfg.max_backlog;
    sk->backlog = (uint32_t)backlog;
    memset(&sk->tcb.raddr, 0, sizeof sk->tcb.raddr); /* a listener's remote end: unspecified */
    sk->tcb.rport = 0;
    sock_hash(st, sk);
    /* listen() carries no clock: the state change is stamped with the latest one seen. */
    tcp_set_state(st, sk, st->now, SYNACK_LISTEN);
    return 0;
}

int synack_accept(synack_stack *st, int sd, struct synack_endpoint *peer)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *l = user_sock(st, sd);
    if (!l) return SYNACK_EBADF;
    if (l->tcb.state != SYNACK_LISTEN) return SYNACK_EINVAL;
    struct sock *c = accept_queue_pop(st, l);
    if (!c) return SYNACK_EAGAIN;
    c->user_open = true;
    c->ev_reported = 0;
    if (peer) {
        peer->addr = c->tcb.raddr;
        peer->port = c->tcb.rport;
    }
    sock_seen(st, l);
    sock_notify(st, c);
    return c->idx;
}

/* connect() and its Fast Open forms: the checks, the local end, then OPEN. */
static int do_connect(struct synack_stack *st, struct sock *sk, uint64_t now,
                      struct synack_addr addr, uint16_t port, bool fastopen)
{
    switch (sk->tcb.state) {
    case SYNACK_CLOSED:
        break;
    case SYNACK_SYN_SENT:
    case SYNACK_SYN_RECEIVED:
        return SYNACK_EALREADY;
    case SYNACK_LISTEN:
        return SYNACK_EINVAL;
    default:
        return SYNACK_EISCONN;
    }
    if (sk->connected_reported || sk->error) return SYNACK_EISCONN;
    struct synack_addr ra;
    if (!synack_addr_canon(&addr, &ra) || synack_addr_is_any(&ra) || port == 0)
        return SYNACK_EINVAL;
    /* The local address: the stack's own of the destination's family, which a socket bound
     * to a specific address must be. */
    const struct synack_addr *own = ra.family == SYNACK_AF_INET6 ? &st->cfg.addr6 : &st->cfg.addr;
    if (!own->family) return SYNACK_EAFNOSUPPORT;
    if (sk->bound && !synack_addr_is_any(&sk->tcb.laddr) && !synack_addr_eq(&sk->tcb.laddr, own))
        return SYNACK_EINVAL;
    if (sk->bound && sk->tcb.laddr.family == SYNACK_AF_INET && ra.family != SYNACK_AF_INET)
        return SYNACK_EINVAL; /* bound to 0.0.0.0: IPv4 only */
    if (!ip_on_link(st, &ra) || addr_is_ours(st, &ra)) return SYNACK_ENETUNREACH;
    struct synack_addr laddr = *own;
    if (!sk->bound) {
        uint16_t p;
        int r = pick_ephemeral(st, &laddr, &ra, port, &p);
        if (r < 0) return r;
        sk->tcb.lport = p;
        sk->bound = true;
    } else if (sock_lookup(st, &laddr, sk->tcb.lport, &ra, port)) {
        struct sock *old = sock_lookup(st, &laddr, sk->tcb.lport, &ra, port);
        /* Reusing a pair still in TIME-WAIT needs SO_REUSEADDR; then the old entry goes
         * (our ISN clock has moved on since, RFC 6528). */
        if (old->tcb.state != SYNACK_TIME_WAIT || !sk->reuseaddr) return SYNACK_EADDRINUSE;
        tcp_done(st, old, now, 0);
    } else if (tw_lookup(st, &laddr, sk->tcb.lport, &ra, port)) {
        /* The same for a TIME-WAIT entry that is a record. */
        if (!sk->reuseaddr) return SYNACK_EADDRINUSE;
        tcp_tw_done(st, tw_lookup(st, &laddr, sk->tcb.lport, &ra, port), now, false);
    }
    sk->tcb.laddr = laddr;
    sk->tcb.raddr = ra;
    sk->tcb.rport = port;
    return tcp_user_connect(st, sk, now, fastopen);
}

int synack_connect(synack_stack *st, int sd, uint64_t now, struct synack_addr addr, uint16_t port)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    return do_connect(st, sk, now, addr, port, sk->tfo_connect);
}

long synack_connect_data(synack_stack *st, int sd, uint64_t now, struct synack_addr addr,
                         uint16_t port, const void *buf, size_t len)
{
    return synack_connect_data_flags(st, sd, now, addr, port, buf, len, 0);
}

long synack_connect_data_flags(synack_stack *st, int sd, uint64_t now, struct synack_addr addr,
                               uint16_t port, const void *buf, size_t len, unsigned flags)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    /* A NULL buffer faults only at the copy into the SYN, after the SYN is decided
     * (tcp_user_syn_data), as Linux's tcp_sendmsg_fastopen. */
    if (flags & ~(unsigned)SYNACK_SEND_ZEROCOPY) return SYNACK_EINVAL;
    /* As Linux: EOPNOTSUPP when the stack's client side is off. */
    if (!(st->tfo_flags & SYNACK_TFO_CLIENT)) return SYNACK_EOPNOTSUPP;
    /* A SYNACK_OPT_FASTOPEN_CONNECT socket whose SYN waits: the data is for it. */
    if (!sk->tcb.tfo_defer) {
        int r = do_connect(st, sk, now, addr, port, true);
        if (r != 0) return r;
    }
    long n = tcp_user_syn_data(st, sk, buf, len, flags);
    sock_seen(st, sk);
    return n;
}

int synack_set_fastopen(synack_stack *st, uint32_t flags)
{
    if (!st) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    st->tfo_flags = flags;
    return 0;
}

int synack_set_timestamps(synack_stack *st, bool on)
{
    if (!st) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    st->cfg.no_timestamps = !on;
    return 0;
}

int synack_set_sack(synack_stack *st, bool on)
{
    if (!st) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    st->cfg.no_sack = !on;
    return 0;
}

int synack_set_window_scaling(synack_stack *st, bool on)
{
    if (!st) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    st->cfg.no_window_scaling = !on;
    return 0;
}

int synack_set_ecn(synack_stack *st, unsigned mode)
{
    if (!st || mode > 2) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    st->cfg.ecn = (uint8_t)mode;
    return 0;
}

int synack_set_fastopen_key(synack_stack *st, const uint8_t key[16], const uint8_t *backup)
{
    if (!st || !key) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    memcpy(st->tfo_key, key, 16);
    st->tfo_has_backup = backup != NULL;
    if (backup) memcpy(st->tfo_backup, backup, 16);
    return 0;
}

int synack_set_socket_fastopen_key(synack_stack *st, int sd, const uint8_t key[16],
                                   const uint8_t *backup)
{
    if (!st || !key) return SYNACK_EINVAL;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    memcpy(sk->tfo_key, key, 16);
    sk->tfo_has_key = true;
    sk->tfo_has_key_backup = backup != NULL;
    if (backup) memcpy(sk->tfo_key_backup, backup, 16);
    return 0;
}

long synack_send(synack_stack *st, int sd, uint64_t now, const void *buf, size_t len)
{
    return synack_send_flags(st, sd, now, buf, len, 0);
}

long synack_send_flags(synack_stack *st, int sd, uint64_t now, const void *buf, size_t len,
                       unsigned flags)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    if (flags & ~(SYNACK_SEND_MORE | SYNACK_SEND_EOR | SYNACK_SEND_ZEROCOPY)) return SYNACK_EINVAL;
    /* A NULL buffer is SYNACK_EFAULT only where bytes would be taken from it (Linux faults
     * at the copy, after the state and the room: tcp_user_sendv); the SYN's data below
     * then goes without data (tcp_user_syn_data). */
    /* SYNACK_OPT_FASTOPEN_CONNECT: the first send is the SYN's data (RFC 7413 §4.2.1). */
    long r = sk->tcb.tfo_defer ? tcp_user_syn_data(st, sk, buf, len, flags)
                               : tcp_user_send(st, sk, now, buf, len, flags);
    sock_seen(st, sk);
    return r;
}

long synack_sendv(synack_stack *st, int sd, uint64_t now, const struct synack_iov *iov, int iovcnt,
                  unsigned flags)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    if (iovcnt < 0 || iovcnt > SYNACK_IOV_MAX) return SYNACK_EINVAL;
    if (!iov && iovcnt > 0) return SYNACK_EFAULT;
    if (flags & ~(SYNACK_SEND_MORE | SYNACK_SEND_EOR | SYNACK_SEND_ZEROCOPY)) return SYNACK_EINVAL;
    /* A SYN waiting for its data (SYNACK_OPT_FASTOPEN_CONNECT) takes it from the first
     * element with bytes; the rest is a partial take's rest, sent once connected. An
     * element with a NULL base: SYNACK_EFAULT where its bytes would be taken
     * (tcp_user_sendv), as for synack_send_flags; the SYN's data is taken from that first
     * element alone, so only its base matters here (Linux's tcp_send_syn_data returns
     * what it copied before a fault, and sends the SYN without data when that is
     * nothing). */
    int first = 0;
    while (first < iovcnt && iov[first].len == 0) first++;
    long r = sk->tcb.tfo_defer && first < iovcnt
                 ? tcp_user_syn_data(st, sk, iov[first].base, iov[first].len, flags)
                 : tcp_user_sendv(st, sk, now, iov, iovcnt, flags);
    sock_seen(st, sk);
    return r;
}

long synack_recv(synack_stack *st, int sd, uint64_t now, void *buf, size_t len)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    /* Linux: EFAULT when the copy faults, so only when there are bytes to copy; with none,
     * what a valid buffer gets (EAGAIN, 0 after the FIN, the error). */
    if (!buf && len && sk->tcb.rcv.len > 0) return SYNACK_EFAULT;
    long r = tcp_user_recv(st, sk, now, buf, len);
    sock_seen(st, sk);
    return r;
}

long synack_recv_discard(synack_stack *st, int sd, uint64_t now, size_t len)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    long r = tcp_user_recv(st, sk, now, NULL, len); /* NULL: dropped, not copied */
    sock_seen(st, sk);
    return r;
}

int synack_shutdown(synack_stack *st, int sd, uint64_t now, int how)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    if (how < SYNACK_SHUT_RD || how > SYNACK_SHUT_RDWR) return SYNACK_EINVAL;
    int s = sk->tcb.state;
    if (s == SYNACK_CLOSED || s == SYNACK_LISTEN) return SYNACK_ENOTCONN;
    if (how & SYNACK_SHUT_RD) {
        sk->shut_rd = true;
        ring_consume(&sk->tcb.rcv, sk->tcb.rcv.len);
        tcp_urg_read(&sk->tcb);
    }
    int r = 0;
    if (how & SYNACK_SHUT_WR) {
        sk->shut_wr = true;
        r = tcp_user_shutdown_wr(st, sk, now);
    }
    sock_notify(st, sk);
    return r;
}

int synack_close(synack_stack *st, int sd, uint64_t now)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    if (sk->tcb.state == SYNACK_CLOSED) {
        sk->user_open = false;
        sock_release(st, sk);
        return 0;
    }
    /* The descriptor goes, and with it the only way to learn that a zero-copy buffer is
     * free: what such sends still hold is copied now; without memory for it the
     * connection is aborted rather than left reading a buffer its owner may reuse. */
    if (tcp_zc_detach(st, sk) < 0) {
        sk->user_open = false;
        tcp_user_abort(st, sk, now); /* as synack_abort; never a listener (nothing lent) */
        if (sk->in_use) sock_release(st, sk);
        return 0;
    }
    return tcp_user_close(st, sk, now);
}

int synack_abort(synack_stack *st, int sd, uint64_t now)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    if (sk->tcb.state == SYNACK_LISTEN) return synack_close(st, sd, now);
    sk->user_open = false;
    tcp_user_abort(st, sk, now);
    if (sk->in_use) sock_release(st, sk);
    return 0;
}

int synack_socket_error(synack_stack *st, int sd)
{
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    int e = sk->error;
    sk->error = 0;
    return e;
}

int synack_next_notice(synack_stack *st, int sd, struct synack_notice *n)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    return tcp_zc_next_notice(st, sk, n);
}

/* Linux's sock_set_timestamping for the bits synack uses (SO_TIMESTAMPING). */
#define TS_OPT_ID_TCP 0x10000L /* SOF_TIMESTAMPING_OPT_ID_TCP: count from the data's end */
static int set_timestamping(struct sock *sk, long v)
{
    if (v < 0 || (unsigned long)v & ~(unsigned long)SYNACK_TS_KNOWN) return SYNACK_EINVAL;
    if ((v & TS_OPT_ID_TCP) && !(v & SYNACK_TS_OPT_ID)) return SYNACK_EINVAL;
    struct tcb *t = &sk->tcb;
    if ((v & SYNACK_TS_OPT_ID) && !(sk->ts_flags & SYNACK_TS_OPT_ID)) {
        /* The counter starts at SND.UNA (with OPT_ID_TCP: after the data queued), and only
         * a connection has one. */
        if (t->state == SYNACK_CLOSED || t->state == SYNACK_LISTEN) return SYNACK_EINVAL;
        sk->ts_key_base = (v & TS_OPT_ID_TCP) ? tcp_data_end(t) : t->snd_una;
    }
    sk->ts_flags = (uint32_t)v;
    return 0;
}

int synack_setopt(synack_stack *st, int sd, int opt, long v)
{
    if (st && stack_busy(st)) return SYNACK_EBUSY;
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    struct tcb *t = &sk->tcb;
    switch (opt) {
    case SYNACK_OPT_NODELAY:
        t->nodelay = v != 0;
        /* Data Nagle held may go now: the next call that carries a clock sends it. As
         * Linux (TCP_NAGLE_PUSH), that pushes what a cork or SYNACK_SEND_MORE holds, once. */
        if (t->nodelay) {
            t->more_una = t->snd_una - 1; /* the hold of SYNACK_SEND_MORE lapses */
            t->cork_pushed = t->cork;
            sock_want_output(st, sk);
        }
        return 0;
    case SYNACK_OPT_NOTSENT_LOWAT:
        if (v < 0 || v > (long)UINT32_MAX) return SYNACK_EINVAL;
        t->notsent_lowat = (uint32_t)v;
        sock_notify(st, sk); /* writable may have changed either way */
        return 0;
    case SYNACK_OPT_INQ:
        return SYNACK_EINVAL; /* read only */
    case SYNACK_OPT_ECN:
        /* Decided by the handshake (RFC 3168 §6.1.1): too late once it is under way. */
        if (v != 0 && v != 1) return SYNACK_EINVAL;
        if (t->state != SYNACK_CLOSED && t->state != SYNACK_LISTEN) return SYNACK_EISCONN;
        sk->ecn_opt = (int8_t)v;
        return 0;
    case SYNACK_OPT_FASTOPEN:
        /* RFC 7413 §5.1's queue limit, before or after listen() (Linux's TCP_FASTOPEN). */
        if (v < 0 || v > (long)UINT32_MAX) return SYNACK_EINVAL;
        sk->tfo_qlen = (uint32_t)v;
        return 0;
    case SYNACK_OPT_ZEROCOPY:
        if (v != 0 && v != 1) return SYNACK_EINVAL;
        sk->zerocopy = v != 0;
        return 0;
    case SYNACK_OPT_TIMESTAMPING:
        return set_timestamping(sk, v);
    case SYNACK_OPT_WRITE_PENDING:
        if (v != 0 && v != 1) return SYNACK_EINVAL;
        t->writer_waits = v != 0;
        return 0;
    case SYNACK_OPT_FASTOPEN_CONNECT:
        if (v != 0 && v != 1) return SYNACK_EINVAL;
        if (v && !(st->tfo_flags & SYNACK_TFO_CLIENT)) return SYNACK_EOPNOTSUPP;
        if (t->state != SYNACK_CLOSED) return SYNACK_EISCONN; /* Linux: before connect */
        sk->tfo_connect = v != 0;
        return 0;
    case SYNACK_OPT_MTU_DISCOVER:
    case SYNACK_OPT_IP_MTU_DISCOVER:
    case SYNACK_OPT_IPV6_MTU_DISCOVER:
        if (v < SYNACK_PMTUDISC_DONT || v > SYNACK_PMTUDISC_OMIT) return SYNACK_EINVAL;
        /* One per IP version, as Linux's inet->pmtudisc and np->pmtudisc. */
        if (opt != SYNACK_OPT_IPV6_MTU_DISCOVER)
            sk->pmtudisc_x = (uint8_t)(v ^ SYNACK_PMTUDISC_WANT);
        if (opt != SYNACK_OPT_IP_MTU_DISCOVER)
            sk->pmtudisc6_x = (uint8_t)(v ^ SYNACK_PMTUDISC_WANT);
        return 0;
    case SYNACK_OPT_FREEBIND:
        if (v != 0 && v != 1) return SYNACK_EINVAL;
        sk->freebind = v != 0;
        return 0;
    case SYNACK_OPT_TOS:
    case SYNACK_OPT_IP_TOS:
    case SYNACK_OPT_IPV6_TCLASS:
        /* Linux's do_ip_setsockopt: an int of 0-255 (a byte, for IP_TOS); TCP keeps the
         * ECN bits to itself (INET_ECN_MASK). One per IP version, as Linux's inet->tos
         * (an IPv4-mapped connection's too) and np->tclass. */
        if (v < 0 || v > 255) return SYNACK_EINVAL;
        if (opt != SYNACK_OPT_IPV6_TCLASS) sk->tos = (uint8_t)(v & 0xfc);
        if (opt != SYNACK_OPT_IP_TOS) sk->tclass = (uint8_t)(v & 0xfc);
        return 0;
    case SYNACK_OPT_CONGESTION: {
        if (v != SYNACK_CC_NEWRENO && v != SYNACK_CC_CUBIC) return SYNACK_EINVAL;
        const struct tcp_cc_ops *cc = tcp_cc_find(v == SYNACK_CC_CUBIC ? "cubic" : "newreno");
        if (!cc) return SYNACK_EINVAL;
        sk->cc = cc;
        if (t->cc && t->cc != cc && t->state != SYNACK_CLOSED && t->state != SYNACK_LISTEN) {
            /* As Linux's tcp_reinit_congestion_control: the new algorithm starts its own
             * state, the connection keeps its window. */
            uint32_t cwnd = t->cwnd, ssthresh = t->ssthresh;
            t->cc = cc;
            cc->init(t);
            t->cwnd = cwnd;
            t->ssthresh = ssthresh;
        } else {
            t->cc = cc;
        }
        return 0;
    }
    case SYNACK_OPT_CORK:
        t->cork = v != 0;
        t->cork_pushed = false;
        /* Uncorked: what waited goes, as Nagle allows. */
        if (!t->cork) sock_want_output(st, sk);
        return 0;
    case SYNACK_OPT_SNDBUF:
    case SYNACK_OPT_RCVBUF: {
        /* At any time. Below the minimum is raised to it, as Linux does (its SOCK_MIN_SNDBUF
         * and SOCK_MIN_RCVBUF, halved: Linux doubles what it is given, synack takes bytes). */
        if (v < 0 || v > (1L << 30)) return SYNACK_EINVAL;
        bool snd = opt == SYNACK_OPT_SNDBUF;
        long min = snd ? SYNACK_SNDBUF_MIN : SYNACK_RCVBUF_MIN;
        return tcp_user_set_buf(st, sk, snd, (uint32_t)(v < min ? min : v));
    }
    case SYNACK_OPT_REUSEADDR:
        sk->reuseaddr = v != 0;
        return 0;
    case SYNACK_OPT_LINGER:
        sk->linger = v < 0 ? -1 : (int32_t)(v > 100000 ? 100000 : v);
        return 0;
    case SYNACK_OPT_MAXSEG:
        if (v < 64 || v > 65495) return SYNACK_EINVAL;
        t->user_mss = (uint16_t)v;
        return 0;
    case SYNACK_OPT_KEEPALIVE:
        t->keepalive = v != 0;
        if (!t->keep_idle_us) t->keep_idle_us = 7200ull * 1000000; /* RFC 1122: 2 hours */
        if (!t->keep_intvl_us) t->keep_intvl_us = 75ull * 1000000;
        if (!t->keep_cnt) t->keep_cnt = 9;
        if (t->keepalive && tcp_keepalive_state(t->state))
            t->t_keep = t->last_rcv_time + t->keep_idle_us;
        if (!t->keepalive) t->t_keep = 0;
        timer_update(st, sk);
        return 0;
    case SYNACK_OPT_KEEPIDLE:
    case SYNACK_OPT_KEEPINTVL:
        if (v < 1 || v > 32767) return SYNACK_EINVAL;
        if (opt == SYNACK_OPT_KEEPINTVL) {
            /* As Linux: the next interval uses it; a probe already timed keeps its time. */
            t->keep_intvl_us = (uint64_t)v * 1000000;
            return 0;
        }
        t->keep_idle_us = (uint64_t)v * 1000000;
        /* On a live keepalive the new idle time applies at once, counted from the last
         * acceptable segment (Linux: tcp_sock_set_keepidle_locked); a deadline already
         * past fires at the next call that carries a clock. While probes are out, their
         * interval governs. */
        if (t->keepalive && tcp_keepalive_state(t->state) && t->keep_probes == 0) {
            t->t_keep = t->last_rcv_time + t->keep_idle_us;
            timer_update(st, sk);
        }
        return 0;
    case SYNACK_OPT_USER_TIMEOUT:
        if (v < 0 || v > 86400000L) return SYNACK_EINVAL;
        t->user_timeout_us = (uint64_t)v * 1000;
        return 0;
    case SYNACK_OPT_SYNCNT:
        if (v < 1 || v > 127) return SYNACK_EINVAL; /* Linux's MAX_TCP_SYNCNT */
        t->syn_retries = (uint8_t)v;
        return 0;
    case SYNACK_OPT_KEEPCNT:
        if (v < 1 || v > 127) return SYNACK_EINVAL;
        t->keep_cnt = (uint32_t)v;
        return 0;
    }
    return SYNACK_ENOPROTOOPT;
}

int synack_getopt(synack_stack *st, int sd, int opt, long *v)
{
    struct sock *sk = user_sock(st, sd);
    if (!sk) return SYNACK_EBADF;
    if (!v) return SYNACK_EINVAL;
    const struct tcb *t = &sk->tcb;
    switch (opt) {
    case SYNACK_OPT_NODELAY:
        *v = t->nodelay;
        return 0;
    case SYNACK_OPT_CORK:
        *v = t->cork;
        return 0;
    case SYNACK_OPT_NOTSENT_LOWAT:
        *v = t->notsent_lowat;
        return 0;
    case SYNACK_OPT_ECN:
        if (t->state == SYNACK_CLOSED || t->state == SYNACK_LISTEN)
            *v = t->state == SYNACK_LISTEN ? tcp_ecn_accepts(st, sk) : tcp_ecn_wanted(st, sk);
        else
            *v = t->ecn_ok;
        return 0;
    case SYNACK_OPT_CONGESTION: {
        const struct tcp_cc_ops *cc = sk->cc ? sk->cc : (t->cc ? t->cc : st->cc);
        *v = cc == tcp_cc_find("cubic") ? SYNACK_CC_CUBIC : SYNACK_CC_NEWRENO;
        return 0;
    }
    case SYNACK_OPT_INQ:
        *v = !sk->shut_rd ? t->rcv.len : 0;
        return 0;
    case SYNACK_OPT_TOS: /* the connection's IP version's; IPv4's before it has one */
        *v = sock_ds(sk, t->laddr.family);
        return 0;
    case SYNACK_OPT_IP_TOS:
        *v = sk->tos;
        return 0;
    case SYNACK_OPT_IPV6_TCLASS:
        *v = sk->tclass;
        return 0;
    case SYNACK_OPT_FREEBIND:
        *v = sk->freebind;
        return 0;
    case SYNACK_OPT_MTU_DISCOVER: /* the connection's IP version's, as SYNACK_OPT_TOS */
        *v = sock_pmtudisc(sk);
        return 0;
    case SYNACK_OPT_IP_MTU_DISCOVER:
        *v = sk->pmtudisc_x ^ SYNACK_PMTUDISC_WANT;
        return 0;
    case SYNACK_OPT_IPV6_MTU_DISCOVER:
        *v = sk->pmtudisc6_x ^ SYNACK_PMTUDISC_WANT;
        return 0;
    case SYNACK_OPT_SNDBUF:
        *v = sk->sndbuf;
        return 0;
    case SYNACK_OPT_RCVBUF:
        *v = sk->rcvbuf;
        return 0;
    case SYNACK_OPT_REUSEADDR:
        *v = sk->reuseaddr;
        return 0;
    case SYNACK_OPT_LINGER:
        *v = sk->linger;
        return 0;
    case SYNACK_OPT_MAXSEG:
        *v = ring_live(&t->snd) ? t->snd_mss : (t->user_mss ? t->user_mss : st->cfg.mtu - 40);
        return 0;
    case SYNACK_OPT_KEEPALIVE:
        *v = t->keepalive;
        return 0;
    case SYNACK_OPT_KEEPIDLE:
        *v = (long)(t->keep_idle_us / 1000000);
        return 0;
    case SYNACK_OPT_KEEPINTVL:
        *v = (long)(t->keep_intvl_us / 1000000);
        return 0;
    case SYNACK_OPT_KEEPCNT:
        *v = t->keep_cnt;
        return 0;
    case SYNACK_OPT_USER_TIMEOUT:
        *v = (long)(t->user_timeout_us / 1000);
        return 0;
    case SYNACK_OPT_SYNCNT:
        *v = t->syn_retries ? t->syn_retries : (long)st->cfg.syn_retries;
        return 0;
    case SYNACK_OPT_FASTOPEN:
        *v = (long)sk->tfo_qlen;
        return 0;
    case SYNACK_OPT_FASTOPEN_CONNECT:
        *v = sk->tfo_connect;
        return 0;
    case SYNACK_OPT_WRITE_PENDING:
        *v = t->writer_waits;
        return 0;
    case SYNACK_OPT_ZEROCOPY:
        *v = sk->zerocopy;
        return 0;
    case SYNACK_OPT_TIMESTAMPING:
        *v = (long)sk->ts_flags;
        return 0;
    }
    return SYNACK_ENOPROTOOPT;
}

int synack_getinfo(const synack_stack *st, int sd, struct synack_sockinfo *info)
{
    return synack_getinfo_at(st, sd, st ? st->now : 0, info);
}

int synack_getinfo_at(const synack_stack *st, int sd, uint64_t now, struct synack_sockinfo *info)
{
    if (!st || sd < 0 || !info) return SYNACK_EINVAL;
    if ((uint32_t)sd >= st->nsocks) {
        /* A request descriptor: a half-open connection (tcp/tcp_req.c). */
        if ((uint32_t)sd - st->nsocks >= st->nreqs) return SYNACK_EINVAL;
        const struct tcp_req *rq = tcp_req_of_sd(st, sd);
        if (!rq) return SYNACK_EBADF;
        tcp_req_info(st, rq, info);
        return 0;
    }
    const struct sock *sk = &st->socks[sd];
    if (!sk->in_use) return SYNACK_EBADF;
    const struct tcb *t = &sk->tcb;
    memset(info, 0, sizeof *info);
    info->state = t->state;
    info->local.addr = t->laddr;
    info->local.port = t->lport;
    info->remote.addr = t->raddr;
    info->remote.port = t->rport;
    info->iss = t->iss;
    info->irs = t->irs;
    info->ecn_ok = t->ecn_ok;
    info->snd_una = t->snd_una;
    info->snd_nxt = t->snd_nxt;
    info->snd_wnd = t->snd_wnd;
    info->snd_mss = t->snd_mss;
    info->rcv_nxt = t->rcv_nxt;
    info->rcv_wnd = tcp_rcv_wnd_offered(t);
    info->rcv_mss = t->rcv_mss;
    info->cwnd = t->cwnd;
    info->ssthresh = t->ssthresh;
    info->srtt_us = t->srtt;
    info->rttvar_us = t->rttvar;
    info->rto_us = t->rto;
    info->bytes_sent = t->bytes_sent;
    info->bytes_acked = t->bytes_acked;
    info->bytes_received = t->bytes_received;
    info->segs_out = t->segs_out;
    info->segs_in = t->segs_in;
    info->retransmits = t->retransmits;
    info->soft_error = tcp_soft_error(t);
    info->pmtu = tcp_pmtu(st, t);
    info->snd_queued = tcp_snd_queued(t);
    if (sk->zc) {
        info->notices = sk->zc->notices;
        info->zerocopy_pending = sk->zc->sends;
    }
    info->rcv_queued = t->rcv.len;
    info->rcv_urgent = tcp_urg_pending(t);
    info->snd_wscale = t->snd_wscale;
    info->rcv_wscale = t->rcv_wscale;
    info->sack_ok = t->sack_ok;
    info->ts_ok = t->ts_ok;
    /* Linux's tcp_info. */
    info->ca_state = t->in_recovery ? SYNACK_CA_RECOVERY
                     : t->rtx_count ? SYNACK_CA_LOSS
                     /* Linux's CWR: until the window that drew the echo is ACKed */
                     : t->ecn_reduced && seq_lt(t->snd_una, t->ecn_high) ? SYNACK_CA_CWR
                     : t->dupacks > 0                                    ? SYNACK_CA_DISORDER
                                                                         : SYNACK_CA_OPEN;
    info->backoff = (uint8_t)(t->rtx_count < 255 ? t->rtx_count : 255);
    uint32_t probes = t->probes_unanswered > t->keep_probes ? t->probes_unanswered : t->keep_probes;
    info->probes = (uint8_t)(probes < 255 ? probes : 255);
    info->ato_us = (uint32_t)st->cfg.delack_us;
    uint32_t mss = t->snd_mss ? t->snd_mss : 1;
    info->unacked = (tcp_flight(t) + mss - 1) / mss;
    info->sacked = (reass_bytes(&t->sacked) + mss - 1) / mss;
    info->reordering = t->rack.reordering ? t->rack.reordering : 3; /* tcp_rack.c */
    info->reord_seen = t->rack.reord_seen;
    /* The receive buffer in use: auto-tuned up to SYNACK_OPT_RCVBUF (tcp_rcv_autotune). */
    info->rcv_space = ring_live(&t->rcv) ? t->rcv_tuned : sk->rcvbuf;
    info->snd_mem = t->snd.size;
    info->rcv_mem = t->rcv.size;
    info->ooo_pruned = t->ooo_pruned;
    info->advmss = t->rcv_mss;
    info->min_rtt_us = t->min_rtt;
    info->bytes_retrans = t->bytes_retrans;
    info->notsent_bytes = tcp_notsent(t);
    info->rto_timeouts = t->rto_timeouts;
    info->dsack_dups = t->dsacks_in;
    info->syn_data = t->syn_data;
    info->delivered = t->delivered;
    info->last_data_sent_us = t->lsndtime;
    info->last_data_recv_us = t->last_data_time ? t->last_data_time : t->est_time;
    info->last_recv_us = t->last_rcv_time;
    tcp_info_outstanding(t, &info->lost, &info->retrans);
    uint64_t ch[TCP_CHRONO_N];
    tcp_chrono_read(t, now, ch);
    info->busy_time_us = ch[0] + ch[1] + ch[2];
    info->rwnd_limited_us = ch[TCP_CHRONO_RWND_LIMITED - 1];
    info->sndbuf_limited_us = ch[TCP_CHRONO_SNDBUF_LIMITED - 1];
    info->delivery_rate = tcp_rate_read(t, &info->delivery_rate_app_limited);
    return 0;
}
