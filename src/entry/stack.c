/*
 * entry/stack.c - the stack instance: config defaults, creation, the device-side entry
 * points (input, output, poll, next deadline) and counters.
 *
 * These are the calls that carry `now`, and so the only ones that build segments: user
 * calls (entry/socket.c) change state and mark a socket as wanting output; the marks are
 * served here, with this call's clock, before anything else (docs/architecture.md).
 */
#include "tcp/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/siphash.h"
#include "entry/ip.h"
#include "entry/rxhint.h"
#include "tcp/tcp_zc.h"

void synack_config_default(struct synack_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->name = "synack";
    cfg->addr = synack_addr_v4(0x0a000001); /* 10.0.0.1 */
    cfg->prefix_len = 24;
    cfg->mtu = 1500;
    cfg->max_sockets = 1024;
    cfg->sndbuf = 256 * 1024;
    cfg->rcvbuf = 256 * 1024;
    cfg->max_backlog = 128;
    cfg->max_time_wait = 512;
    cfg->out_queue = 512;
    cfg->msl_us = 30ull * 1000000; /* 2*MSL = 60 s, like Linux's TCP_TIMEWAIT_LEN */
    cfg->rto_initial_us = 1000000; /* RFC 6298 §2.1 */
    cfg->rto_min_us = 200000;      /* Linux's TCP_RTO_MIN; RFC 6298 §2.4 says 1 s SHOULD */
    cfg->rto_max_us = 60ull * 1000000;
    cfg->syn_retries = 6;
    cfg->synack_retries = 5;
    cfg->max_half_open = 1024;
    cfg->data_retries = 15;
    cfg->delack_us = 40000;
    cfg->challenge_ack_limit = UINT32_MAX; /* no stack-wide budget: tcp_check.c */
    cfg->ephemeral_lo = 49152;             /* RFC 6335 §6 dynamic ports */
    cfg->ephemeral_hi = 65535;
    cfg->cc = "cubic"; /* RFC 9438; Linux's default too. NewReno per stack or socket. */
    /* Linux's tcp_invalid_ratelimit, HZ/2 */
    cfg->oow_ack_interval_us = 500000;
    cfg->ecn = 2; /* accept ECN when asked, as Linux's default tcp_ecn=2 */
    cfg->fastopen = SYNACK_TFO_CLIENT | SYNACK_TFO_SERVER;
    cfg->fastopen_cache = 64;
    cfg->rx_hint_min = 536;    /* RFC 9293 §3.7.1's default MSS: the hint for bulk receivers */
    cfg->slow_start_limit = 2; /* RFC 3465 §2.2's L */
}

static int get_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return SYNACK_ESYS;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* An IPv6 address that can name this host on a link: not multicast (RFC 4291 §2.7: it
 * names a group, and no datagram may come from it) nor loopback (§2.5.3: never on a
 * link). IPv6 input refuses both as sources, so a stack holding one could send, but
 * every answer to it would be dropped. */
static bool addr6_unicast(const struct synack_addr *a)
{
    return !synack_addr_is_multicast(a) && !synack_addr_is_loopback(a);
}

/* The config's addresses: each of its own family (or absent), at least one, not
 * unspecified, IPv6 a unicast address, and IPv6 only over a link that carries its minimum
 * MTU (RFC 8200 §5). */
static bool addrs_valid(const struct synack_config *cfg)
{
    const struct synack_addr *a4 = &cfg->addr, *a6 = &cfg->addr6;
    if (!a4->family && !a6->family) return false;
    struct synack_addr c;
    if (a4->family &&
        (!synack_addr_canon(a4, &c) || c.family != SYNACK_AF_INET || synack_addr_is_any(&c)))
        return false;
    if (a6->family &&
        (!synack_addr_canon(a6, &c) || c.family != SYNACK_AF_INET6 || synack_addr_is_any(&c) ||
         !addr6_unicast(&c) || cfg->mtu < 1280 || cfg->prefix6_len > 128))
        return false;
    return cfg->prefix_len <= 32;
}

/* 16 bytes of key named label, from the stack's secret: two SipHash-2-4 outputs. */
static void derive_key(const uint8_t secret[16], const char *label, uint8_t out[16])
{
    char msg[32];
    size_t n = strlen(label);
    if (n > sizeof msg - 2) n = sizeof msg - 2; /* labels are short names */
    memcpy(msg, label, n + 1);                  /* its NUL too: overwritten by the half below */
    for (int half = 0; half < 2; half++) {
        msg[n] = (char)half;
        uint64_t h = siphash24(secret, msg, n + 1);
        for (int i = 0; i < 8; i++) out[8 * half + i] = (uint8_t)(h >> (8 * i));
    }
}

synack_stack *synack_stack_new(const struct synack_config *cfg, int *err)
{
    int e = 0;
    if (err) *err = 0;
    if (!cfg || !addrs_valid(cfg) || cfg->mtu < 68 || cfg->max_sockets == 0 ||
        cfg->max_sockets > (1u << 24) || cfg->sndbuf == 0 || cfg->rcvbuf == 0 ||
        cfg->ephemeral_lo == 0 || cfg->ephemeral_lo > cfg->ephemeral_hi || cfg->rto_min_us == 0 ||
        cfg->rto_min_us > cfg->rto_max_us || cfg->out_queue == 0 || cfg->sndbuf > (1u << 30) ||
        cfg->rcvbuf > (1u << 30) || cfg->tso_max > 65535) {
        if (err) *err = SYNACK_EINVAL;
        return NULL;
    }
    const struct tcp_cc_ops *cc = tcp_cc_find(cfg->cc ? cfg->cc : "cubic");
    if (!cc) {
        if (err) *err = SYNACK_EINVAL;
        return NULL;
    }
    struct synack_stack *st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->cfg = *cfg;
    /* Kept in the canonical form (synack/addr.h), so that every compare is of bytes. */
    if (cfg->addr.family) synack_addr_canon(&cfg->addr, &st->cfg.addr);
    if (cfg->addr6.family) synack_addr_canon(&cfg->addr6, &st->cfg.addr6);
    st->cc = cc;
    if (cfg->isn_secret_set) {
        memcpy(st->secret, cfg->isn_secret, 16);
    } else if ((e = get_random(st->secret, 16)) != 0) {
        free(st);
        if (err) *err = e;
        return NULL;
    }
    if (cfg->seed) {
        st->rng = cfg->seed;
    } else if ((e = get_random(&st->rng, sizeof st->rng)) != 0) {
        free(st);
        if (err) *err = e;
        return NULL;
    }
    /* The other keys are derived from the secret, so that a seeded stack is reproducible,
     * yet unknown to peers that do not know it (hash flooding, forged cookies: the peer is
     * not trusted): each is SipHash-2-4 of the secret over its own name, so that learning
     * one key (a Fast Open key set by the user, say) tells nothing of the others. */
    derive_key(st->secret, "conntab", st->hash_key);
    derive_key(st->secret, "syncookie", st->cookie_key);
    derive_key(st->secret, "flowlabel", st->flow_key);
    /* TCP Fast Open's cookie key (RFC 7413 §4.1.2), unless the config gives one. */
    if (cfg->fastopen_key_set)
        memcpy(st->tfo_key, cfg->fastopen_key, 16);
    else
        derive_key(st->secret, "fastopen", st->tfo_key);
    st->tfo_flags = cfg->fastopen;

    st->nsocks = cfg->max_sockets;
    st->socks = calloc(st->nsocks, sizeof *st->socks);
    /* Half-open connections are request records (tcp/tcp_req.c), each with its places in
     * the 4-tuple hash and the timer heap. */
    st->nreqs = cfg->max_half_open;
    st->reqs = calloc(st->nreqs ? st->nreqs : 1, sizeof *st->reqs);
    uint32_t entries = st->nsocks + st->nreqs;
    /* TIME-WAIT records (tcp/tcp_tw.c) are in the 4-tuple hash too, not in the heap: two
     * buckets for each socket and request, one for each record (table/conntab.c says why). */
    uint64_t buckets = 2ull * entries + cfg->max_time_wait;
    uint32_t hashed = buckets > UINT32_MAX ? UINT32_MAX : (uint32_t)buckets;
    /* The client's Fast Open cookie cache (RFC 7413 §4.1.3), bounded by the config. */
    st->tfo_ncache = cfg->fastopen_cache;
    st->tfo_cache = calloc(st->tfo_ncache ? st->tfo_ncache : 1, sizeof *st->tfo_cache);
    if (!st->socks || !st->reqs || !st->tfo_cache || tcp_tw_init(st) < 0 ||
        conntab_init(&st->ct, hashed, st->hash_key) < 0 ||
        conntab_pool(&st->ct, OWNER_SOCK, &st->socks[0].ct, sizeof *st->socks, st->nsocks) < 0 ||
        conntab_pool(&st->ct, OWNER_REQ, &st->reqs[0].ct, sizeof *st->reqs, st->nreqs) < 0 ||
        conntab_pool(&st->ct, OWNER_TW, &st->twr[0].ct, sizeof *st->twr, st->ntwr) < 0 ||
        timer_heap_init(&st->timers, entries) < 0 ||
        outq_init(&st->outq, cfg->out_queue, cfg->mtu, cfg->tso_max) < 0 ||
        ring_cache_init(&st->ring_cache, RING_CACHE_MAX) < 0) {
        synack_stack_free(st);
        goto nomem;
    }
    ring_cache_limit(&st->ring_cache, tcp_mem_max_for(cfg));
    fifo_init(&st->free_socks);
    fifo_init(&st->evq);
    fifo_init(&st->want_out);
    fifo_init(&st->tw);
    for (uint32_t i = 0; i < st->nsocks; i++) {
        st->socks[i].idx = (int32_t)i;
        timer_node_init(&st->socks[i].timer);
        fifo_push(&st->free_socks, &st->socks[i].slot);
    }
    fifo_init(&st->free_reqs);
    for (uint32_t i = 0; i < st->nreqs; i++) {
        struct tcp_req *rq = &st->reqs[i];
        rq->idx = (int32_t)i;
        rq->ct.owner = OWNER_REQ;
        timer_node_init(&rq->timer);
        rq->timer.owner = OWNER_REQ;
        fifo_push(&st->free_reqs, &rq->node);
    }
    st->sink = (struct sink){
        .fn = cfg->trace, .ctx = cfg->trace_ctx, .name = cfg->name, .stats = &st->stats};
    for (int i = 0; i < 16; i++) {
        st->port_key[i] = (uint8_t)stack_random(st);
        st->port_key2[i] = (uint8_t)stack_random(st);
    }
    return st;
nomem:
    if (err) *err = SYNACK_ENOMEM;
    return NULL;
}

void synack_stack_free(synack_stack *st)
{
    if (!st) return;
    if (st->socks) {
        for (uint32_t i = 0; i < st->nsocks; i++) {
            ring_free(&st->socks[i].tcb.snd);
            ring_free(&st->socks[i].tcb.rcv);
            tcp_rack_free(&st->socks[i].tcb);
            tcp_zc_free(&st->socks[i]);
        }
    }
    tcp_rack_spares_free(&st->xr_spares); /* after the sockets', which give theirs back */
    free(st->socks);
    free(st->reqs);
    free(st->tfo_cache);
    tcp_tw_free(st);
    conntab_free(&st->ct);
    timer_heap_free(&st->timers);
    outq_free(&st->outq);
    free(st->in_whole);
    ring_cache_free(&st->ring_cache); /* after the rings, which give their buffers back */
    free(st);
}

/* Builds what user calls asked for since the last call that carried a clock. A socket
 * that stops because the output queue is full stays marked (tcp_output marks it again). */
static void build_wanted_output_slow(struct synack_stack *st, uint64_t now)
{
    uint32_t n = st->want_out.n;
    while (n-- > 0 && !outq_full(&st->outq)) {
        struct fifo_node *x = fifo_pop(&st->want_out);
        if (!x) break;
        struct sock *sk = container_of(x, struct sock, outw);
        if (sk->in_use) tcp_output(st, sk, now);
    }
}

/* Every call that carries a clock starts here, and most find nothing wanted: that test is
 * made where it is called, the loop only when there is work. */
static inline void build_wanted_output(struct synack_stack *st, uint64_t now)
{
    st->now = now;
    if (st->want_out.n > 0) build_wanted_output_slow(st, now);
}

int synack_input(synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len)
{
    return synack_input_flags(st, now, pkt, len, 0);
}

int synack_set_addr(synack_stack *st, struct synack_addr addr, uint8_t prefix_len)
{
    if (!st) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    /* The same rules as the config's at synack_stack_new, checked on a copy. */
    struct synack_config c = st->cfg;
    struct synack_addr a;
    if (!synack_addr_canon(&addr, &a) || synack_addr_is_any(&a)) return SYNACK_EINVAL;
    if (a.family == SYNACK_AF_INET) {
        if (prefix_len > 32 || synack_addr_is_multicast(&a)) return SYNACK_EINVAL;
        c.addr = a;
        c.prefix_len = prefix_len;
    } else {
        c.addr6 = a;
        c.prefix6_len = prefix_len;
    }
    if (!addrs_valid(&c)) return SYNACK_EINVAL;
    /* Nothing else is derived from the address: input (ip.c, ip6.c), bind and connect
     * (socket.c), on-link tests and ICMP read it from the config each time. */
    st->cfg.addr = c.addr;
    st->cfg.prefix_len = c.prefix_len;
    st->cfg.addr6 = c.addr6;
    st->cfg.prefix6_len = c.prefix6_len;
    return 0;
}

int synack_input_flags(synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len,
                       unsigned flags)
{
    if (!st || (!pkt && len)) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    /* With cfg.defer_output the wanted output waits for synack_output: building it here
     * would send, before the application's turn, the ACK an earlier datagram of the same
     * batch deferred. */
    if (st->cfg.defer_output)
        st->now = now;
    else
        build_wanted_output(st, now);
    /* For this datagram only: read where the TCP checksum is checked (entry/demux.c). */
    st->in_flags = flags;
    if (flags & SYNACK_INPUT_MERGED) st->stats.merged_in++;
    /* A payload a device read into the place the receive hint named (entry/rxhint.c): only
     * while the hint still holds; pkt has no payload to fall back on otherwise. */
    if (flags & SYNACK_INPUT_PLACED) {
        int why = rxhint_take(st, &pkt, len);
        if (why != 0) {
            stack_drop(st, now, why, NULL, 0, NULL, -1);
            st->in_flags = 0;
            st->in_placed = NULL;
            st->in_placed_len = 0;
            return SYNACK_EPROTO;
        }
        st->stats.placed_in++;
    } else {
        st->rx_hint.armed = false; /* a hint is for the next datagram only */
    }
    /* The version nibble says which network layer reads the datagram (RFC 8200 §3). */
    int r =
        len >= 1 && pkt[0] >> 4 == 6 ? ip6_input(st, now, pkt, len) : ip_input(st, now, pkt, len);
    st->in_flags = 0;
    st->in_placed = NULL;
    st->in_placed_len = 0;
    return r;
}

int synack_output(synack_stack *st, uint64_t now, uint8_t *buf, size_t cap)
{
    uint32_t gso; /* not wanted: a stack without cfg.tso_max builds no super-segment */
    return synack_output_gso(st, now, buf, cap, &gso);
}

int synack_output_next(synack_stack *st, uint64_t now, const uint8_t **pkt, uint32_t *gso_size)
{
    if (!st || !pkt || !gso_size) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    build_wanted_output(st, now);
    *gso_size = 0;
    return outq_next(&st->outq, pkt, gso_size);
}

int synack_output_gso(synack_stack *st, uint64_t now, uint8_t *buf, size_t cap, uint32_t *gso_size)
{
    if (!st || !buf || !gso_size) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    build_wanted_output(st, now);
    *gso_size = 0;
    return outq_pop(&st->outq, buf, cap, gso_size);
}

int synack_poll(synack_stack *st, uint64_t now)
{
    if (!st) return SYNACK_EINVAL;
    if (stack_busy(st)) return SYNACK_EBUSY;
    /* cfg.defer_output: left for synack_output, as in synack_input (an event loop polls
     * before the application's turn). */
    if (st->cfg.defer_output)
        st->now = now;
    else
        build_wanted_output(st, now);
    /* Each expired socket runs its timers; its deadline is recomputed afterwards, so a
     * bounded number of iterations per expired entry. A half-open connection's request
     * (the node's owner byte) repeats its SYN-ACK or ends (tcp/tcp_req.c). */
    uint32_t guard = (st->nsocks + st->nreqs) * 4 + 16;
    struct timer_node *x;
    while ((x = timer_heap_first(&st->timers)) != NULL && guard-- > 0) {
        if (x->deadline > now) break;
        timer_heap_remove(&st->timers, x);
        if (x->owner == OWNER_REQ) {
            tcp_req_timer(st, container_of(x, struct tcp_req, timer), now);
            continue;
        }
        struct sock *sk = container_of(x, struct sock, timer);
        tcp_timers(st, sk, now);
        if (sk->in_use) timer_update(st, sk);
    }
    /* TIME-WAIT records whose 2*MSL ran out (they keep their own order of expiry). */
    tcp_tw_expire(st, now);
    return 0;
}

uint64_t synack_next_deadline(const synack_stack *st)
{
    if (!st) return UINT64_MAX;
    /* Output a user call asked for is due at once: an event loop that sleeps until this
     * deadline then builds it with the clock of its next call. */
    if (st->want_out.n > 0) return 0;
    const struct timer_node *x = timer_heap_first(&st->timers);
    uint64_t tw = tcp_tw_next_deadline(st);
    return x && x->deadline < tw ? x->deadline : tw;
}

void synack_get_stats(const synack_stack *st, struct synack_stats *out)
{
    *out = st->stats;
    memset(out->sockets_by_state, 0, sizeof out->sockets_by_state);
    for (uint32_t i = 0; i < st->nsocks; i++) {
        const struct sock *sk = &st->socks[i];
        if (sk->in_use && sk->tcb.state >= 0 && sk->tcb.state <= SYNACK_TIME_WAIT)
            out->sockets_by_state[sk->tcb.state]++;
        out->ring_bytes += (uint64_t)sk->tcb.snd.size + sk->tcb.rcv.size;
    }
    out->mem_held = st->ring_cache.held;
    out->mem_max = st->ring_cache.max;
    out->mem_pressure = st->ring_cache.pressure;
    out->mem_pressure_entries = st->ring_cache.pressure_entries;
    out->mem_refused = st->ring_cache.refused;
    /* Half-open connections are SYN-RECEIVED, though no socket holds them. */
    out->half_open = st->nreqs - st->free_reqs.n;
    out->sockets_by_state[SYNACK_SYN_RECEIVED] += out->half_open;
    out->half_open_record = (uint32_t)sizeof(struct tcp_req);
    /* TIME-WAIT entries that are records (no socket holds them) are in TIME-WAIT too. */
    out->sockets_by_state[SYNACK_TIME_WAIT] += st->twr_n;
    out->time_wait_records = st->twr_n;
    out->time_wait_record = (uint32_t)sizeof(struct tw_rec);
}
