/*
 * entry/icmp.c - ICMP (RFC 792): answer echo requests (ping), and pass destination
 * unreachable errors that quote one of our TCP segments to its connection (RFC 1122
 * §4.2.3.9). Other types are counted and ignored.
 */
#include <string.h>

#include "tcp/stack.h"
#include "entry/ip.h"
#include "tcp/ip_out.h"
#include "wire/wire.h"

#define ICMP_CODE_FRAG_NEEDED 4 /* unreachable: fragmentation needed and DF set */

int icmp_input(struct synack_stack *st, uint64_t now, const struct synack_ipv4_hdr *ip,
               const uint8_t *payload, size_t plen, const uint8_t *pkt, size_t len)
{
    struct synack_icmp m;
    st->stats.icmp_in++;
    if (stack_tracing(st)) {
        struct synack_trace_event ev = {.kind = SYNACK_TRACE_PKT_IN,
                                        .now = now,
                                        .sd = -1,
                                        .pkt = pkt,
                                        .pkt_len = (uint32_t)len};
        stack_trace(st, &ev);
    }
    int r = wire_icmp_parse(payload, plen, &m);
    if (r != 0) {
        stack_drop(st, now, r, pkt, (uint32_t)len, NULL, -1);
        return SYNACK_EPROTO;
    }
    if (m.type == SYNACK_ICMP_ECHO_REQUEST) {
        /* The reply carries the request's identifier, sequence and data (RFC 792). */
        int err;
        uint8_t *slot =
            icmp_reply_slot(st, now, WIRE_IPV4_HDR_LEN + 8 + m.data_len, pkt, len, &err);
        if (!slot) return err;
        size_t n =
            wire_icmp_emit_echo(slot + WIRE_IPV4_HDR_LEN, st->outq.slot_size - WIRE_IPV4_HDR_LEN,
                                SYNACK_ICMP_ECHO_REPLY, m.id, m.seq, m.data, m.data_len);
        struct synack_ipv4_hdr oh = {.ttl = 64,
                                     .proto = SYNACK_IPPROTO_ICMP,
                                     .src = synack_addr_to_v4(&st->cfg.addr),
                                     .dst = ip->src,
                                     .frag = 0x4000, /* DF: atomic, ID 0 (tcp/ip_out.c) */
                                     .id = 0};
        wire_ipv4_emit(slot, st->outq.slot_size, &oh, n);
        st->stats.icmp_out++;
        ip_output_built(st, now, slot, n + WIRE_IPV4_HDR_LEN);
        return 0;
    }
    if (m.type == SYNACK_ICMP_UNREACH && m.has_quote && m.quote_ip.proto == SYNACK_IPPROTO_TCP &&
        st->cfg.addr.family && m.quote_ip.src == synack_addr_to_v4(&st->cfg.addr)) {
        /* Code 4, fragmentation needed and DF set: Path MTU discovery (RFC 1191), never an
         * error of the connection, not even during the handshake. Codes 2 and 3 (protocol,
         * port unreachable) mean nobody is there; 0, 1 and the rest mean the host or
         * network cannot be reached. */
        int err = (m.code == 2 || m.code == 3) ? SYNACK_ECONNREFUSED : SYNACK_EHOSTUNREACH;
        if (m.code == 0) err = SYNACK_ENETUNREACH;
        struct icmp_report rep = {.src = synack_addr_v4(m.quote_ip.src),
                                  .dst = synack_addr_v4(m.quote_ip.dst),
                                  .sport = m.quote_sport,
                                  .dport = m.quote_dport,
                                  .seq = m.quote_seq,
                                  .too_big = m.code == ICMP_CODE_FRAG_NEEDED,
                                  .mtu = m.mtu,
                                  .quoted_len = m.quote_ip.total_len,
                                  .err = err};
        icmp_report_to_tcp(st, now, &rep, pkt, len);
        return 0;
    }
    stack_drop(st, now, SYNACK_DROP_ICMP_TYPE, pkt, (uint32_t)len, NULL, -1);
    return 0;
}

uint8_t *icmp_reply_slot(struct synack_stack *st, uint64_t now, size_t need, const uint8_t *pkt,
                         size_t len, int *err)
{
    if (need > st->outq.slot_size) {
        stack_drop(st, now, SYNACK_DROP_LINK_MTU, pkt, (uint32_t)len, NULL, -1);
        *err = SYNACK_EMSGSIZE;
        return NULL;
    }
    uint8_t *slot = ip_output_slot(st);
    if (!slot) {
        stack_drop(st, now, SYNACK_DROP_OUT_QUEUE_FULL, pkt, (uint32_t)len, NULL, -1);
        *err = SYNACK_ENOBUFS;
    }
    return slot;
}

void icmp_report_to_tcp(struct synack_stack *st, uint64_t now, const struct icmp_report *r,
                        const uint8_t *pkt, size_t len)
{
    /* An error not acted on is dropped under its own protocol's name: an ICMPv6 message
     * that says nothing true counts where the other ICMPv6 messages not acted on count. */
    int ignored = r->src.family == SYNACK_AF_INET6 ? SYNACK_DROP_ICMP6_TYPE : SYNACK_DROP_ICMP_TYPE;
    struct ct_node *n = conn_lookup(st, &r->src, r->sport, &r->dst, r->dport);
    if (n && n->owner == OWNER_REQ) {
        /* A half-open connection: the quote must be our SYN-ACK (RFC 5927 §4.1); a
         * too-big error changes nothing before there is data to send. */
        struct tcp_req *rq = container_of(n, struct tcp_req, ct);
        if (r->seq != rq->iss && r->seq != rq->iss + 1) {
            st->stats.icmp_out_of_window++;
            stack_drop(st, now, ignored, pkt, (uint32_t)len, NULL, tcp_req_sd(st, rq));
            return;
        }
        if (!r->too_big) tcp_req_icmp_error(st, rq, now);
        return;
    }
    /* A TIME-WAIT record has nothing in flight: no quote can be believed (below, a socket
     * in TIME-WAIT has SND.UNA = SND.MAX), so the error is ignored as for that socket. */
    if (n && n->owner == OWNER_TW) {
        stack_drop(st, now, ignored, pkt, (uint32_t)len, NULL,
                   container_of(n, struct tw_rec, ct)->sd);
        return;
    }
    struct sock *sk = n ? container_of(n, struct sock, ct) : NULL;
    if (!sk) {
        /* About no connection of ours (gone since, or never ours): nothing to act on, and
         * like every datagram the stack does not act on, dropped by name and counted. */
        stack_drop(st, now, ignored, pkt, (uint32_t)len, NULL, -1);
        return;
    }
    /* RFC 5927 §4.1: believe the error only if it quotes a sequence number we have sent and
     * not had acknowledged, which an off-path attacker must guess. */
    struct tcb *t = &sk->tcb;
    if (!seq_in(r->seq, t->snd_una, t->snd_max)) {
        st->stats.icmp_out_of_window++; /* Linux's TcpExtOutOfWindowIcmps */
        stack_drop(st, now, ignored, pkt, (uint32_t)len, NULL, sk->idx);
        return;
    }
    if (r->too_big) {
        tcp_pmtu_frag_needed(st, sk, now, r->mtu, r->quoted_len);
        return;
    }
    tcp_icmp_error(st, sk, now, r->err);
}
