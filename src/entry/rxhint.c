/*
 * entry/rxhint.c - the receive hint (synack_tun_rx_hint, SYNACK_INPUT_PLACED): header
 * prediction turned towards the device. A bulk receiver's next segment is nearly always the
 * next in-order one of the connection that took the last (RFC 9293 §3.10.7.4 leaves the
 * order of the checks free; Van Jacobson's header prediction, RFC 1323's era, relies on the
 * same), so the stack names where its payload would go, the receive ring's free memory at
 * RCV.NXT, and the headers it would come behind. A device that reads with readv puts the
 * headers in its buffer and the payload there; the stack then checks that the guess held
 * and runs the datagram through the ordinary path, whose copy into the ring finds the bytes
 * already in place (base/ring.c). Nothing is trusted: the bytes sit beyond RCV.NXT in memory
 * the ring does not count as held until the text step takes them, so a segment that fails
 * any check (checksum, PAWS, window) leaves nothing readable.
 */
#include "entry/rxhint.h"

#include <stdlib.h>
#include <string.h>

#include "tcp/stack.h"
#include "wire/wire.h"

/* The hint for the connection that took the last in-order segment, if it can take more. */
static bool hint_compute(struct synack_stack *st, struct rx_hint *h)
{
    struct sock *sk = sock_of(st, st->rx_last_sd);
    if (!sk || !sk->in_use) return false;
    struct tcb *t = &sk->tcb;
    if (t->state != SYNACK_ESTABLISHED && t->state != SYNACK_FIN_WAIT_1 &&
        t->state != SYNACK_FIN_WAIT_2)
        return false;
    /* Out-of-order data parked beyond RCV.NXT lies where the payload would go. */
    if (t->fin_rcvd || t->reass.n > 0 || !ring_live(&t->rcv) || t->rcv.ext > t->rcv.len)
        return false;
    uint8_t *p;
    uint32_t room = ring_span_at(&t->rcv, t->rcv.len, &p);
    uint32_t space = t->rcv.cap - t->rcv.len;
    if (room > space) room = space;
    /* Room for less than a full-sized segment is not worth the device's extra pieces (the
     * ring grows, and goes back to its start, as the ordinary path fills and drains it). */
    if (room < (t->rcv_mss ? t->rcv_mss : 536u)) return false;
    bool v4 = synack_addr_is_v4(&t->raddr);
    h->version = v4 ? 4 : 6;
    /* The options a data segment of this connection carries: the timestamp when agreed
     * (RFC 7323 §3.2, NOP NOP TS as every stack sends it); SACK blocks only while we send
     * it data out of order, which a bulk receiver does not. */
    h->hdr_len =
        (v4 ? WIRE_IPV4_HDR_LEN : WIRE_IPV6_HDR_LEN) + WIRE_TCP_HDR_LEN + (t->ts_ok ? 12u : 0u);
    memcpy(h->laddr, t->laddr.bytes, 16);
    memcpy(h->raddr, t->raddr.bytes, 16);
    h->lport = t->lport;
    h->rport = t->rport;
    h->seq = t->rcv_nxt;
    h->span = p;
    h->span_len = room;
    return true;
}

bool rxhint_get(synack_stack *st, struct rx_hint *h)
{
    st->rx_hint.armed = hint_compute(st, h);
    if (st->rx_hint.armed) {
        st->rx_hint.span = h->span;
        st->rx_hint.span_len = h->span_len;
        st->rx_hint.hdr_len = h->hdr_len;
    }
    return st->rx_hint.armed;
}

bool rxhint_match(const struct rx_hint *h, const uint8_t *p, size_t len)
{
    if (len <= h->hdr_len || len - h->hdr_len > h->span_len || len > 0xffff + WIRE_IPV6_HDR_LEN)
        return false;
    size_t ihl;
    if (h->version == 4) {
        /* No IP options, not a fragment, TCP, exactly len bytes (no link padding), ours. */
        if (p[0] != 0x45 || wire_get16(p + 2) != len || p[9] != SYNACK_IPPROTO_TCP ||
            (wire_get16(p + 6) & 0x3fff) != 0 || memcmp(p + 12, h->raddr + 12, 4) != 0 ||
            memcmp(p + 16, h->laddr + 12, 4) != 0)
            return false;
        ihl = WIRE_IPV4_HDR_LEN;
    } else {
        /* TCP the first next header (no extension headers), exactly len bytes, ours. */
        if (p[0] >> 4 != 6 || p[6] != SYNACK_IPPROTO_TCP ||
            (size_t)wire_get16(p + 4) + WIRE_IPV6_HDR_LEN != len ||
            memcmp(p + 8, h->raddr, 16) != 0 || memcmp(p + 24, h->laddr, 16) != 0)
            return false;
        ihl = WIRE_IPV6_HDR_LEN;
    }
    const uint8_t *t = p + ihl;
    /* The connection's ports, RCV.NXT, the header length predicted, and ACK without SYN,
     * RST or URG: a segment that changes the connection's state or asks for more than
     * text takes the ordinary path (it still may: only its payload's place differs). */
    uint8_t fl = t[13];
    return wire_get16(t) == h->rport && wire_get16(t + 2) == h->lport &&
           wire_get32(t + 4) == h->seq && (size_t)(t[12] >> 4) * 4 == h->hdr_len - ihl &&
           (fl & SYNACK_TCP_ACK) && !(fl & (SYNACK_TCP_SYN | SYNACK_TCP_RST | SYNACK_TCP_URG));
}

/* synack_input_flags with SYNACK_INPUT_PLACED: the hint handed out must still hold (same
 * connection, same place, nothing changed in between) and the headers be the expected
 * ones; then the payload is read where the device put it. */
int rxhint_take(struct synack_stack *st, const uint8_t **pkt, size_t len)
{
    bool armed = st->rx_hint.armed;
    st->rx_hint.armed = false;
    struct rx_hint h;
    if (!armed || !hint_compute(st, &h) || h.span != st->rx_hint.span ||
        h.hdr_len != st->rx_hint.hdr_len || h.span_len < st->rx_hint.span_len ||
        !rxhint_match(&h, *pkt, len))
        return SYNACK_DROP_INPUT_PLACED_STALE;
    st->in_placed = h.span;
    st->in_placed_len = (uint32_t)(len - h.hdr_len);
    if (stack_tracing(st)) {
        /* Trace events (a segment in, a drop) carry the whole datagram, for captures and
         * the live view: a traced stack pays the copy the hint saves, into a buffer of its
         * own, and still takes the payload where it lies. */
        if (!st->in_whole) st->in_whole = malloc(0xffff + WIRE_IPV6_HDR_LEN);
        if (!st->in_whole) return SYNACK_DROP_TCP_NO_MEMORY;
        memcpy(st->in_whole, *pkt, h.hdr_len);
        memcpy(st->in_whole + h.hdr_len, h.span, st->in_placed_len);
        *pkt = st->in_whole;
    }
    return 0;
}
