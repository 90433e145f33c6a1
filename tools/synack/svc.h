/*
 * tools/synack/svc.h - the services `synack serve` offers on synack sockets: echo (RFC 862),
 * discard (RFC 863), chargen (RFC 864) and a small HTTP/1.1 server. Each is a set of
 * callbacks over one accepted connection; cmd_serve.c accepts, calls them when the socket's
 * readiness changes (or every loop iteration while they have output waiting), and closes.
 */
#ifndef SYNACK_TOOLS_SVC_H
#define SYNACK_TOOLS_SVC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

/* What a service sees of the server. */
struct svc_host {
    synack_stack *stack;
    /* Writes the status page (text) or the same counters as JSON into f. */
    void (*status)(void *ctx, FILE *f, bool json);
    void *status_ctx;
    /* GET /live, /events, /live/rows, /live/seq.svg (live_web.h); NULL: not offered */
    struct live_web *live;
    /* One per host (per queue: never shared between threads): where echo turns bytes
     * around, SVC_SCRATCH bytes; and chargen's pattern, SVC_CHARGEN_PERIOD +
     * SVC_CHARGEN_CHUNK bytes of it (svc_chargen_fill). */
    uint8_t *scratch;
    size_t scratch_len;
    const uint8_t *chargen;
};

#define SVC_SCRATCH        65536
#define SVC_CHARGEN_LINE   74 /* 72 characters and CR LF (RFC 864) */
#define SVC_CHARGEN_PERIOD ((size_t)SVC_CHARGEN_LINE * 95)
#define SVC_CHARGEN_CHUNK  ((size_t)65536)
/* n bytes of RFC 864's stream from its start into out. */
void svc_chargen_fill(uint8_t *out, size_t n);

/* Where a connection is, for its timeouts and for eviction (svc_limits.c). */
enum svc_phase {
    SVC_PHASE_STREAM = 0, /* echo, discard, chargen: idle timeout on no progress */
    SVC_PHASE_HEAD,       /* HTTP: waiting for a (whole) request head: header timeout */
    SVC_PHASE_IDLE,       /* HTTP: kept alive between requests: idle timeout */
    SVC_PHASE_RESPONSE,   /* HTTP: sending a response: times out when it makes no progress */
    SVC_PHASE_CLOSING,    /* our FIN is out, the lingering close is reading the rest */
};

struct svc_conn {
    int sd;
    const struct svc_ops *ops;
    bool busy;     /* output is waiting for room in the send ring: call io every iteration */
    bool peer_eof; /* the peer's FIN was read */
    uint64_t bytes_in, bytes_out;
    enum svc_phase phase;
    uint64_t phase_since;   /* when the phase began (svc_set_phase) */
    uint64_t last_progress; /* when a byte was last read or queued (set by the server) */
    void *priv;
};

/* Enters phase p; phase_since moves only when the phase changes, so that a request head
 * trickling in byte by byte keeps the time its first byte came (or the connection opened). */
static inline void svc_set_phase(struct svc_conn *c, enum svc_phase p, uint64_t now)
{
    if (c->phase != p) {
        c->phase = p;
        c->phase_since = now;
    }
}

enum svc_result {
    SVC_MORE = 0,   /* call again when the socket is ready */
    SVC_DONE = 1,   /* finished: the server closes gracefully (FIN after queued data) */
    SVC_ABORT = -1, /* the connection failed (reset, timed out): release it */
};

struct svc_ops {
    const char *name;
    /* 0, or -1 when out of memory (the connection is then refused with a close). */
    int (*open)(struct svc_conn *c);
    enum svc_result (*io)(const struct svc_host *h, struct svc_conn *c, uint64_t now);
    void (*free)(struct svc_conn *c);
    /* The header timeout fired (SVC_PHASE_HEAD): queue a final answer (HTTP's 408) that the
     * next io call sends before it returns SVC_DONE. NULL: the server just closes. */
    void (*header_timeout)(const struct svc_host *h, struct svc_conn *c, uint64_t now);
};

extern const struct svc_ops svc_echo, svc_discard, svc_chargen, svc_http;

/* Reads and drops everything that is waiting; SVC_DONE at the peer's FIN, SVC_ABORT on an
 * error, else SVC_MORE. Shared by discard, chargen and the lingering close. */
enum svc_result svc_drain(const struct svc_host *h, struct svc_conn *c, uint64_t now);

#endif
