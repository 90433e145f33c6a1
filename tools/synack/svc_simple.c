/*
 * tools/synack/svc_simple.c - the three small services of `serve`: echo (RFC 862: "any data
 * received is sent back"), discard (RFC 863: "any data received is thrown away") and chargen
 * (RFC 864: a stream of 72-character lines of rotating printable ASCII, whatever is received
 * thrown away). Each stops reading while its output cannot be sent, so the peer's window
 * closes rather than our memory growing (the flow control TCP exists for).
 */
#include <stdlib.h>
#include <string.h>

#include "svc.h"

#define ECHO_BUF 65536

enum svc_result svc_drain(const struct svc_host *h, struct svc_conn *c, uint64_t now)
{
    uint8_t buf[16384];
    for (;;) {
        long r = synack_recv(h->stack, c->sd, now, buf, sizeof buf);
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

struct echo_state {
    size_t len, off; /* bytes received and not yet sent back */
    uint8_t buf[ECHO_BUF];
};

static int echo_open(struct svc_conn *c)
{
    c->priv = calloc(1, sizeof(struct echo_state));
    return c->priv ? 0 : -1;
}

static enum svc_result echo_io(const struct svc_host *h, struct svc_conn *c, uint64_t now)
{
    struct echo_state *e = c->priv;
    for (;;) {
        if (e->off < e->len) {
            long w = synack_send(h->stack, c->sd, now, e->buf + e->off, e->len - e->off);
            if (w == SYNACK_EAGAIN) {
                c->busy = true;
                return SVC_MORE;
            }
            if (w < 0) return SVC_ABORT;
            e->off += (size_t)w;
            c->bytes_out += (uint64_t)w;
            continue;
        }
        c->busy = false;
        /* Everything came back: after the peer's FIN, our FIN follows the last byte. */
        if (c->peer_eof) return SVC_DONE;
        long r = synack_recv(h->stack, c->sd, now, e->buf, sizeof e->buf);
        if (r > 0) {
            e->len = (size_t)r;
            e->off = 0;
            c->bytes_in += (uint64_t)r;
            continue;
        }
        if (r == 0) {
            c->peer_eof = true;
            continue;
        }
        return r == SYNACK_EAGAIN ? SVC_MORE : SVC_ABORT;
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

#define CHARGEN_LINE  74                          /* 72 characters and CR LF (RFC 864) */
#define CHARGEN_CYCLE ((size_t)CHARGEN_LINE * 95) /* the pattern repeats after 95 lines */
#define CHARGEN_CHUNK ((size_t)65536)

/* The stream is periodic: one cycle and a chunk more, filled once, and every send is a
 * slice of it at the stream's offset modulo the cycle. As bench/kserve.c does, so that a
 * bulk benchmark measures the stack, not the making of the pattern (filling it byte by byte
 * for each send took three quarters of serve's time at 1 Gbit/s). */
struct chargen_state {
    uint64_t pos; /* offset in the endless stream */
    uint8_t buf[CHARGEN_CYCLE + CHARGEN_CHUNK];
};

/* RFC 864's pattern: line L starts with printable character (L mod 95) of the 95 from ' '
 * to '~', and each line runs 72 characters on from there. */
static void chargen_fill(uint64_t pos, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++, pos++) {
        uint64_t line = pos / CHARGEN_LINE;
        unsigned col = (unsigned)(pos % CHARGEN_LINE);
        if (col < 72)
            out[i] = (uint8_t)(' ' + (line + col) % 95);
        else
            out[i] = col == 72 ? '\r' : '\n';
    }
}

static int chargen_open(struct svc_conn *c)
{
    struct chargen_state *g = malloc(sizeof *g);
    if (!g) return -1;
    g->pos = 0;
    chargen_fill(0, g->buf, sizeof g->buf);
    c->priv = g;
    return 0;
}

static enum svc_result chargen_io(const struct svc_host *h, struct svc_conn *c, uint64_t now)
{
    struct chargen_state *g = c->priv;
    enum svc_result r = svc_drain(h, c, now);
    if (r != SVC_MORE) return r; /* the peer closed (or failed): stop the stream */
    for (int rounds = 0; rounds < 64; rounds++) {
        if (!(synack_events(h->stack, c->sd) & SYNACK_EV_WRITABLE)) break;
        size_t off = (size_t)(g->pos % CHARGEN_CYCLE);
        long w = synack_send(h->stack, c->sd, now, g->buf + off, CHARGEN_CHUNK);
        if (w == SYNACK_EAGAIN) break;
        if (w < 0) return SVC_ABORT;
        g->pos += (uint64_t)w;
        c->bytes_out += (uint64_t)w;
        if ((size_t)w < CHARGEN_CHUNK) break;
    }
    c->busy = true; /* an endless stream always has output waiting */
    return SVC_MORE;
}

const struct svc_ops svc_chargen = {
    .name = "chargen", .open = chargen_open, .io = chargen_io, .free = free_priv};
