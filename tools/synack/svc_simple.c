/*
 * tools/synack/svc_simple.c - the three small services of `serve`: echo (RFC 862: "any data
 * received is sent back"), discard (RFC 863: "any data received is thrown away") and chargen
 * (RFC 864: a stream of 72-character lines of rotating printable ASCII, whatever is received
 * thrown away). Each stops reading while its output cannot be sent, so the peer's window
 * closes rather than our memory growing (the flow control TCP exists for).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

/* Throws away what was received without copying it (synack_recv_discard): a copy of every
 * byte into a buffer nobody reads was a third of serve's user-space time while it received
 * a bulk stream (docs/performance.md, "Bulk over TUN"). */
enum svc_result svc_drain(const struct svc_host *h, struct svc_conn *c, uint64_t now)
{
    for (;;) {
        long r = synack_recv_discard(h->stack, c->sd, now, SIZE_MAX);
        if (r > 0) {
            c->bytes_in += (uint64_t)r;
            continue;
        }
        if (r == 0) {
            c->peer_eof = true;
            return SVC_DONE;
        }
        return r == SYNACK_EAGAIN ? SVC_MORE : SVC_ABORT;
    }
}

/* ---- echo ------------------------------------------------------------------------------- */

/* Bytes received and not yet sent back (the send ring was full): the connection's own, taken
 * only then. The common case, everything sent back at once, goes through the host's scratch
 * buffer and allocates nothing per connection (a 64 KiB buffer cleared per connection was
 * the largest cost of serve's connections/s, docs/performance.md). */
struct echo_state {
    size_t len, off;
    uint8_t buf[];
};

static int echo_open(struct svc_conn *c)
{
    c->priv = NULL;
    return 0;
}

/* Sends what is pending; true when all of it went. */
static bool echo_flush(const struct svc_host *h, struct svc_conn *c, uint64_t now, bool *fail)
{
    struct echo_state *e = c->priv;
    while (e && e->off < e->len) {
        long w = synack_send(h->stack, c->sd, now, e->buf + e->off, e->len - e->off);
        if (w == SYNACK_EAGAIN) return false;
        if (w < 0) {
            *fail = true;
            return false;
        }
        e->off += (size_t)w;
        c->bytes_out += (uint64_t)w;
    }
    free(e);
    c->priv = NULL;
    return true;
}

static enum svc_result echo_io(const struct svc_host *h, struct svc_conn *c, uint64_t now)
{
    for (;;) {
        bool fail = false;
        if (!echo_flush(h, c, now, &fail)) {
            if (fail) return SVC_ABORT;
            c->busy = true;
            return SVC_MORE;
        }
        c->busy = false;
        /* Everything came back: after the peer's FIN, our FIN follows the last byte. */
        if (c->peer_eof) return SVC_DONE;
        long r = synack_recv(h->stack, c->sd, now, h->scratch, h->scratch_len);
        if (r == 0) {
            c->peer_eof = true;
            continue;
        }
        if (r < 0) return r == SYNACK_EAGAIN ? SVC_MORE : SVC_ABORT;
        c->bytes_in += (uint64_t)r;
        long w = synack_send(h->stack, c->sd, now, h->scratch, (size_t)r);
        if (w < 0 && w != SYNACK_EAGAIN) return SVC_ABORT;
        if (w < 0) w = 0;
        c->bytes_out += (uint64_t)w;
        if (w < r) {
            /* The rest waits in the connection's own buffer, and no more is read until it
             * has gone: the peer's window closes rather than our memory growing. */
            struct echo_state *e = malloc(sizeof *e + (size_t)(r - w));
            if (!e) return SVC_ABORT;
            e->len = (size_t)(r - w);
            e->off = 0;
            memcpy(e->buf, h->scratch + w, e->len);
            c->priv = e;
        } else if ((size_t)r < h->scratch_len &&
                   !(synack_events(h->stack, c->sd) &
                     (SYNACK_EV_READABLE | SYNACK_EV_CLOSED | SYNACK_EV_ERROR))) {
            /* A short read emptied the ring, and no FIN, error or end waits: the next
             * synack_recv could only say SYNACK_EAGAIN. Asking the level is half its cost
             * (one call of a request/response round trip, docs/performance.md). */
            return SVC_MORE;
        }
    }
}

static void free_priv(struct svc_conn *c)
{
    free(c->priv);
    c->priv = NULL;
}

const struct svc_ops svc_echo = {
    .name = "echo", .open = echo_open, .io = echo_io, .free = free_priv};

/* ---- discard ---------------------------------------------------------------------------- */

static int none_open(struct svc_conn *c)
{
    c->priv = NULL;
    return 0;
}

static void none_free(struct svc_conn *c)
{
    (void)c;
}

const struct svc_ops svc_discard = {
    .name = "discard", .open = none_open, .io = svc_drain, .free = none_free};

/* ---- chargen ---------------------------------------------------------------------------- */

/* RFC 864's pattern: line L starts with printable character (L mod 95) of the 95 from ' '
 * to '~', and each line runs 72 characters on from there, then CR LF. It repeats every 95
 * lines, so the host holds one period and a chunk more (svc_chargen_pattern), and a
 * connection at offset pos sends from pattern + pos mod the period: no state but the count
 * of bytes sent (bytes_out), no allocation and no byte-by-byte refill per connection. */
void svc_chargen_fill(uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t line = i / SVC_CHARGEN_LINE;
        unsigned col = (unsigned)(i % SVC_CHARGEN_LINE);
        if (col < 72)
            out[i] = (uint8_t)(' ' + (line + col) % 95);
        else
            out[i] = col == 72 ? '\r' : '\n';
    }
}

static enum svc_result chargen_io(const struct svc_host *h, struct svc_conn *c, uint64_t now)
{
    enum svc_result r = svc_drain(h, c, now);
    if (r != SVC_MORE) return r; /* the peer closed (or failed): stop the stream */
    for (int rounds = 0; rounds < 64; rounds++) {
        if (!(synack_events(h->stack, c->sd) & SYNACK_EV_WRITABLE)) break;
        size_t off = (size_t)(c->bytes_out % SVC_CHARGEN_PERIOD);
        long w = synack_send(h->stack, c->sd, now, h->chargen + off, SVC_CHARGEN_CHUNK);
        if (w == SYNACK_EAGAIN) break;
        if (w < 0) return SVC_ABORT;
        c->bytes_out += (uint64_t)w;
        if ((size_t)w < SVC_CHARGEN_CHUNK) break;
    }
    c->busy = true; /* an endless stream always has output waiting */
    return SVC_MORE;
}

const struct svc_ops svc_chargen = {
    .name = "chargen", .open = none_open, .io = chargen_io, .free = none_free};
