/*
 * core/stack.c - the stack instance: config defaults, creation, the device-side entry
 * points (input, output, poll, next deadline), trace delivery and counters.
 */
#include "core/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/splitmix.h"
#include "ip/ip.h"

void synack_config_default(struct synack_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->name = "synack";
    cfg->addr = 0x0a000001; /* 10.0.0.1 */
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
    cfg->data_retries = 15;
    cfg->delack_us = 40000;
    cfg->challenge_ack_limit = 1000;
    cfg->ephemeral_lo = 49152; /* RFC 6335 §6 dynamic ports */
    cfg->ephemeral_hi = 65535;
    cfg->cc = "newreno";
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

uint64_t stack_random(struct synack_stack *st)
{
    return splitmix64(&st->rng);
}

synack_stack *synack_stack_new(const struct synack_config *cfg, int *err)
{
    int e = 0;
    if (err) *err = 0;
    if (!cfg || cfg->mtu < 68 || cfg->max_sockets == 0 || cfg->max_sockets > (1u << 24) ||
        cfg->sndbuf == 0 || cfg->rcvbuf == 0 || cfg->prefix_len > 32 || cfg->ephemeral_lo == 0 ||
        cfg->ephemeral_lo > cfg->ephemeral_hi || cfg->rto_min_us == 0 ||
        cfg->rto_min_us > cfg->rto_max_us || cfg->out_queue == 0 || cfg->sndbuf > (1u << 30) ||
        cfg->rcvbuf > (1u << 30)) {
        if (err) *err = SYNACK_EINVAL;
        return NULL;
    }
    const struct tcp_cc_ops *cc = tcp_cc_find(cfg->cc ? cfg->cc : "newreno");
    if (!cc) {
        if (err) *err = SYNACK_EINVAL;
        return NULL;
    }
    struct synack_stack *st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->cfg = *cfg;
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
    /* The hash key is derived, so a seeded stack is reproducible, yet unknown to peers
     * that do not know the secret (hash flooding, the peer is not trusted). */
    for (int i = 0; i < 16; i++) {
        st->hash_key[i] = (uint8_t)(st->secret[i] ^ 0x5c);
        st->cookie_key[i] = (uint8_t)(st->secret[i] ^ 0x36);
    }

    st->nsocks = cfg->max_sockets;
    st->socks = calloc(st->nsocks, sizeof *st->socks);
    uint32_t nb = 16;
    while (nb < 2 * st->nsocks) nb <<= 1;
    st->bucket_mask = nb - 1;
    st->buckets = malloc(nb * sizeof *st->buckets);
    st->heap = malloc(st->nsocks * sizeof *st->heap);
    st->slot_size = cfg->mtu;
    st->out_cap = cfg->out_queue;
    st->out_buf = malloc((size_t)st->out_cap * st->slot_size);
    st->out_len = calloc(st->out_cap, sizeof *st->out_len);
    if (!st->socks || !st->buckets || !st->heap || !st->out_buf || !st->out_len) {
        synack_stack_free(st);
        goto nomem;
    }
    for (uint32_t i = 0; i < nb; i++) st->buckets[i] = -1;
    st->free_head = -1;
    for (uint32_t i = st->nsocks; i-- > 0;) {
        st->socks[i].idx = (int32_t)i;
        st->socks[i].h_next = st->free_head; /* the free list reuses the hash link */
        st->socks[i].heap_pos = -1;
        st->free_head = (int32_t)i;
    }
    st->evq_head = st->evq_tail = st->out_head = -1;
    st->tw_head = st->tw_tail = -1;
    uint32_t span = (uint32_t)cfg->ephemeral_hi - cfg->ephemeral_lo + 1;
    st->next_ephemeral = (uint16_t)(cfg->ephemeral_lo + stack_random(st) % span);
    st->ip_id = (uint16_t)stack_random(st);
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
        }
    }
    free(st->socks);
    free(st->buckets);
    free(st->heap);
    free(st->out_buf);
    free(st->out_len);
    free(st);
}

int synack_input(synack_stack *st, uint64_t now, const uint8_t *pkt, size_t len)
{
    if (!st || (!pkt && len)) return SYNACK_EINVAL;
    return ip_input(st, now, pkt, len);
}

int synack_output(synack_stack *st, uint64_t now, uint8_t *buf, size_t cap)
{
    if (!st || !buf) return SYNACK_EINVAL;
    /* Refill from the connections that stopped because the queue was full. */
    while (st->out_count < st->out_cap && st->out_head >= 0) {
        struct sock *sk = sock_of(st, st->out_head);
        st->out_head = sk->out_next;
        sk->in_outlist = false;
        if (sk->in_use) tcp_output(st, sk, now);
    }
    if (st->out_count == 0) return 0;
    uint32_t len = st->out_len[st->out_first];
    if (len > cap) return SYNACK_EMSGSIZE;
    memcpy(buf, st->out_buf + (size_t)st->out_first * st->slot_size, len);
    st->out_first = (st->out_first + 1) % st->out_cap;
    st->out_count--;
    return (int)len;
}

int synack_poll(synack_stack *st, uint64_t now)
{
    if (!st) return SYNACK_EINVAL;
    /* Each expired socket runs its timers; its deadline is recomputed afterwards, so a
     * bounded number of iterations per expired entry. */
    uint32_t guard = st->nsocks * 4 + 16;
    while (st->heap_n > 0 && guard-- > 0) {
        struct sock *sk = sock_of(st, st->heap[0]);
        if (sk->deadline > now) break;
        timer_remove(st, sk);
        tcp_timers(st, sk, now);
        if (sk->in_use) timer_update(st, sk);
    }
    return 0;
}

uint64_t synack_next_deadline(const synack_stack *st)
{
    if (!st || st->heap_n == 0) return UINT64_MAX;
    return st->socks[st->heap[0]].deadline;
}

void stack_trace(struct synack_stack *st, struct synack_trace_event *ev)
{
    if (!st->cfg.trace) return;
    ev->who = st->cfg.name;
    st->cfg.trace(st->cfg.trace_ctx, ev);
}

void stack_drop(struct synack_stack *st, uint64_t now, int reason, const uint8_t *pkt, uint32_t len,
                const struct synack_segment *seg, int sd)
{
    st->stats.drops++;
    if (reason >= 0 && reason < 64) st->stats.drop_by_reason[reason]++;
    if (!stack_tracing(st)) return;
    struct synack_trace_event ev = {.kind = SYNACK_TRACE_DROP,
                                    .now = now,
                                    .sd = sd,
                                    .reason = reason,
                                    .pkt = pkt,
                                    .pkt_len = len};
    if (seg) {
        ev.has_seg = true;
        ev.seg = *seg;
        ev.local_addr = seg->ip.dst;
        ev.local_port = seg->tcp.dport;
        ev.remote_addr = seg->ip.src;
        ev.remote_port = seg->tcp.sport;
    }
    stack_trace(st, &ev);
}

void stack_trace_state(struct synack_stack *st, struct sock *sk, uint64_t now, int old_state,
                       int new_state)
{
    if (!stack_tracing(st)) return;
    struct synack_trace_event ev = {.kind = SYNACK_TRACE_STATE,
                                    .now = now,
                                    .sd = sk->idx,
                                    .old_state = old_state,
                                    .new_state = new_state,
                                    .local_addr = sk->tcb.laddr,
                                    .local_port = sk->tcb.lport,
                                    .remote_addr = sk->tcb.raddr,
                                    .remote_port = sk->tcb.rport};
    stack_trace(st, &ev);
}

void synack_get_stats(const synack_stack *st, struct synack_stats *out)
{
    *out = st->stats;
    memset(out->sockets_by_state, 0, sizeof out->sockets_by_state);
    for (uint32_t i = 0; i < st->nsocks; i++) {
        const struct sock *sk = &st->socks[i];
        if (sk->in_use && sk->tcb.state >= 0 && sk->tcb.state <= SYNACK_TIME_WAIT)
            out->sockets_by_state[sk->tcb.state]++;
    }
}
