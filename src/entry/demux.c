/*
 * entry/demux.c - where every arriving TCP segment starts: sanity checks that do not
 * need a connection, the 4-tuple lookup (a socket, or the request record of a half-open
 * connection: the hash node's owner byte says which), TIME-WAIT reuse by a new SYN, then
 * the listener or the CLOSED-state reply (RFC 9293 §3.10.7.1).
 */
#include "entry/demux.h"

#include <string.h>

#include "tcp/stack.h"
#include "wire/wire.h"

/* A listener on the port: bound to the address, to the unspecified address of its family
 * (0.0.0.0 for IPv4), or to that of both (the hash keys a listener with an unspecified
 * remote end), in that order of preference. Only looked up when no connection matched: not
 * on the data path. */
static struct sock *find_listener(struct synack_stack *st, const struct synack_addr *addr,
                                  uint16_t port)
{
    /* In the listeners by port (table/lsntab.h), not the 4-tuple hash: no hashing. One walk
     * of the port's chain keeps the first listener of each kind, as three lookups in turn
     * (listener_lookup) would find them, compared as bytes as the hash compares them. */
    static const uint8_t any[16];
    static const uint8_t any4[16] = {[10] = 0xff, [11] = 0xff}; /* ::ffff:0.0.0.0 */
    bool v4 = addr->family == SYNACK_AF_INET;
    struct sock *exact = NULL, *l4 = NULL, *l0 = NULL;
    for (struct lsn_node *n = lsntab_first(&st->lsn, port); n; n = lsntab_next(n->next, port)) {
        struct sock *sk = container_of(n, struct sock, lsn);
        const uint8_t *b = sk->tcb.laddr.bytes;
        if (memcmp(b, addr->bytes, 16) == 0) {
            exact = sk;
            break;
        }
        if (!l4 && v4 && memcmp(b, any4, 16) == 0) l4 = sk;
        if (!l0 && memcmp(b, any, 16) == 0) l0 = sk;
    }
    struct sock *l = exact ? exact : l4 ? l4 : l0;
    return l && l->tcb.state == SYNACK_LISTEN ? l : NULL;
}

static inline __attribute__((always_inline)) int tcp_demux(struct synack_stack *st, uint64_t now,
                                                           const struct synack_segment *s,
                                                           const uint8_t *pkt, uint32_t len);

int tcp_segment_in(struct synack_stack *st, uint64_t now, struct synack_segment *seg,
                   const uint8_t *tcp, size_t tlen, const uint8_t *pkt, size_t len)
{
    const uint8_t *data;
    size_t dlen;
    /* An IPv4 segment's pseudo-header from the header's two words, as wire_pseudo_sum
     * adds them (its addresses were written from these: wire_segment_addrs4), without the
     * two calls of the general form that every segment would pay. */
    uint32_t pseudo = seg->family == SYNACK_AF_INET
                          ? (seg->ip.src >> 16) + (seg->ip.src & 0xffffu) + (seg->ip.dst >> 16) +
                                (seg->ip.dst & 0xffffu) + SYNACK_IPPROTO_TCP
                          : wire_pseudo_sum_addr(&seg->src, &seg->dst, SYNACK_IPPROTO_TCP);
    /* A checksum the device checked, or a partial one the host made (its own data, which
     * crossed no wire: dev/vnet.c), is not checked again. */
    bool verify = !(st->in_flags & SYNACK_INPUT_CSUM_OK);
    int r;
    if (st->in_placed) {
        /* The payload lies where the receive hint put it (entry/rxhint.c), the header here:
         * the header alone is parsed, and the checksum summed over the two pieces. */
        size_t hl = tlen > st->in_placed_len ? tlen - st->in_placed_len : 0;
        r = wire_tcp_parse_ph(tcp, hl, pseudo, false, &seg->tcp, &data, &dlen);
        if (r == 0 && dlen != 0) r = SYNACK_DROP_TCP_HDR_LEN;
        if (r == 0 && verify &&
            !wire_tcp_csum_ok2(pseudo, tcp, hl, st->in_placed, st->in_placed_len))
            r = SYNACK_DROP_TCP_CHECKSUM;
        data = st->in_placed;
        dlen = st->in_placed_len;
    } else {
        r = wire_tcp_parse_ph(tcp, tlen, pseudo, verify, &seg->tcp, &data, &dlen);
    }
    if (r != 0) {
        stack_drop(st, now, r, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    seg->payload = data;
    seg->payload_len = (uint32_t)dlen;
    st->stats.tcp_in++;
    return tcp_demux(st, now, seg, pkt, (uint32_t)len);
}

/* Finds the connection (exact 4-tuple, then a listener on the port, else "closed") and
 * runs the machine on the segment. Returns 0 or a negative code for a dropped segment.
 * File-local, so that its one caller takes it inline: no call, no arguments spilled, on
 * every segment. */
static inline __attribute__((always_inline)) int tcp_demux(struct synack_stack *st, uint64_t now,
                                                           const struct synack_segment *s,
                                                           const uint8_t *pkt, uint32_t len)
{
    const struct synack_tcp_hdr *h = &s->tcp;
    struct tcp_seg seg = {.s = s,
                          .seq = h->seq,
                          .ack = h->ack,
                          .flags = h->flags,
                          .data = s->payload,
                          .dlen = s->payload_len};
    seg.len =
        seg.dlen + ((h->flags & SYNACK_TCP_SYN) ? 1 : 0) + ((h->flags & SYNACK_TCP_FIN) ? 1 : 0);

    if (h->sport == 0 || h->dport == 0) {
        stack_drop(st, now, SYNACK_DROP_TCP_BAD_PORT, pkt, len, s, -1);
        return SYNACK_EPROTO;
    }
    /* SYN and RST together ask for two opposite things; no stack sends it, scanners do. */
    if ((h->flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST)) == (SYNACK_TCP_SYN | SYNACK_TCP_RST)) {
        stack_drop(st, now, SYNACK_DROP_TCP_BAD_FLAGS, pkt, len, s, -1);
        return SYNACK_EPROTO;
    }
    if (h->flags & SYNACK_TCP_RST) st->stats.rst_in++;

    struct ct_node *n = conn_lookup(st, &s->dst, h->dport, &s->src, h->sport);
    struct tcp_req *rq = n && n->owner == OWNER_REQ ? container_of(n, struct tcp_req, ct) : NULL;
    struct sock *sk = n && n->owner == OWNER_SOCK ? container_of(n, struct sock, ct) : NULL;
    struct tw_rec *tw = n && n->owner == OWNER_TW ? container_of(n, struct tw_rec, ct) : NULL;
    if (stack_tracing(st)) {
        struct synack_trace_event ev = {.kind = SYNACK_TRACE_SEG_IN,
                                        .now = now,
                                        .sd = sk   ? sk->idx
                                              : rq ? tcp_req_sd(st, rq)
                                              : tw ? tw->sd
                                                   : -1,
                                        .has_seg = true,
                                        .seg = *s,
                                        .pkt = pkt,
                                        .pkt_len = len,
                                        .local_addr = s->dst,
                                        .local_port = h->dport,
                                        .remote_addr = s->src,
                                        .remote_port = h->sport};
        stack_trace(st, &ev);
    }
    if (rq) {
        /* A half-open connection: its request record answers (tcp/tcp_req.c). */
        tcp_req_input(st, rq, now, &seg);
        return 0;
    }
    struct sock *l = NULL;
    uint32_t reopen_isn;
    bool reopen = false;
    if (tw) {
        /* A TIME-WAIT entry that is a record (tcp/tcp_tw.c): the same rules as a socket in
         * TIME-WAIT below, the SYN that may reopen the pair first. */
        if ((h->flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK | SYNACK_TCP_RST)) == SYNACK_TCP_SYN) {
            l = find_listener(st, &s->dst, h->dport);
            reopen = l && tcp_tw_accepts_syn(st, tw, now, &seg, &reopen_isn);
        }
        if (!reopen) {
            tcp_tw_input(st, tw, now, &seg);
            return 0;
        }
    }
    if (sk) {
        /* Only a listener can take the SYN that reopens a TIME-WAIT pair; without one,
         * TIME-WAIT stays its 2*MSL (RFC 9293 §3.6.1, MUST-13) and answers with an ACK. */
        if (sk->tcb.state == SYNACK_TIME_WAIT &&
            (h->flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK | SYNACK_TCP_RST)) == SYNACK_TCP_SYN) {
            l = find_listener(st, &s->dst, h->dport);
            reopen = l && tcp_time_wait_accepts_syn(st, sk, now, &seg, &reopen_isn);
        }
        if (!reopen) {
            sk->tcb.segs_in++;
            tcp_input(st, sk, now, &seg);
            return 0;
        }
    }
    if (!l) l = find_listener(st, &s->dst, h->dport);
    if (l) {
        tcp_input_listen(st, l, now, &seg, reopen ? &reopen_isn : NULL);
        return 0;
    }
    tcp_input_closed(st, now, &seg);
    return 0;
}
