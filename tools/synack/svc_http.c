/*
 * tools/synack/svc_http.c - the small HTTP/1.1 server of `serve` (RFC 9110, RFC 9112):
 *
 *   GET /          a status page: the stack's counters, as text
 *   GET /stats     the same counters as one JSON object
 *   GET /bytes/N   N bytes of the deterministic pattern of http_parse.h
 *   GET /live      the live page (live_page.c): each connection drawn as a ladder as it runs
 *   GET /events    the events behind it (Server-Sent Events; ?conn=N: one connection), sent
 *                  without blocking from a ring a slow reader falls behind (live_web.h)
 *   GET /live/rows?conn=N, /live/seq.svg?conn=N  a connection's kept rows, its graph
 *   HEAD           any of these without the body
 *
 * Persistent connections are the default in HTTP/1.1 (RFC 9112 §9.3), and requests may be
 * pipelined: they are answered one at a time, in order. An HTTP/1.0 request, or one with
 * `Connection: close`, is answered and then the server closes first (RFC 9112 §9.6), so synack
 * does the active close and holds TIME-WAIT. A malformed request gets 400 (or 414, 431, 501,
 * 505) and the connection closes: after a framing error nothing later on it can be trusted.
 * Request heads are limited to HTTP_MAX_REQUEST bytes; request bodies are not accepted.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "live_web.h"
#include "svc.h"

#define BODY_CHUNK 16384
#define BYTES_MAX  (1ull << 40) /* /bytes/N above this is refused with 400 */

struct http_state {
    char req[HTTP_MAX_REQUEST];
    size_t req_len;
    /* the response in progress: head (and small body) in memory, then a pattern body */
    char *head;
    size_t head_len, head_off;
    uint64_t body_off, body_len; /* pattern bytes still to send */
    bool responding, close_after;
    int viewer; /* after the head, the response is the event stream of this viewer; or -1 */
    struct live_web *live;
    uint32_t requests;
    uint8_t chunk[BODY_CHUNK];
};

static int http_open(struct svc_conn *c)
{
    struct http_state *s = calloc(1, sizeof(struct http_state));
    c->priv = s;
    c->phase = SVC_PHASE_HEAD; /* the first request head is due from the accept on */
    if (s) s->viewer = -1;
    return s ? 0 : -1;
}

static void http_free(struct svc_conn *c)
{
    struct http_state *s = c->priv;
    if (s && s->viewer >= 0) live_viewer_close(s->live, s->viewer);
    if (s) free(s->head);
    free(s);
    c->priv = NULL;
}

/* Out of memory while building a response: none is sent, and the connection closes as if
 * it had been answered with close_after. */
static void respond_failed(struct http_state *s)
{
    free(s->head);
    s->head = NULL;
    s->head_len = s->head_off = 0;
    s->body_off = s->body_len = 0;
    s->close_after = true;
    s->responding = true;
    s->requests++;
}

/* conn=N of a query, 0 when absent */
static uint32_t query_conn(const char *t)
{
    const char *q = strstr(t, "conn=");
    if (!q || (q[-1] != '?' && q[-1] != '&')) return 0;
    unsigned long v = strtoul(q + 5, NULL, 10);
    return v > UINT32_MAX ? 0 : (uint32_t)v;
}

/* GET /live, /live/rows, /live/seq.svg and /events (live_web.h) into b, with status and type;
 * false when the path is none of them (or the live view is off). /events makes the
 * connection a viewer (s->viewer): its body is then the event stream. */
static bool live_route(const struct svc_host *h, const struct svc_conn *c, struct http_state *s,
                       const char *t, size_t path_len, bool head_only, FILE *b, int *status,
                       const char **type, uint64_t now)
{
    if (!h->live) return false;
    if (path_len == 5 && !strncmp(t, "/live", 5)) {
        *type = "text/html; charset=utf-8";
        live_page(b, "live", NULL);
    } else if (path_len == 10 && !strncmp(t, "/live/rows", 10)) {
        *type = "application/json";
        if (live_web_rows_json(h->live, query_conn(t), b) < 0) {
            *status = 404;
            fputs("{\"error\":\"no such connection kept\"}\n", b);
        }
    } else if (path_len == 13 && !strncmp(t, "/live/seq.svg", 13)) {
        *type = "image/svg+xml";
        if (live_web_seq_svg(h->live, query_conn(t), b) < 0) {
            *status = 404;
            *type = "text/plain; charset=utf-8";
            fputs("no such connection kept\n", b);
        }
    } else if (path_len == 7 && !strncmp(t, "/events", 7) && !head_only) {
        s->live = h->live;
        s->viewer = live_viewer_open(h->live, h->stack, c->sd, query_conn(t), now);
        if (s->viewer < 0) {
            *status = 503;
            fputs("too many viewers of /events (--live-viewers)\n", b);
        } else {
            *type = "text/event-stream";
        }
    } else {
        return false;
    }
    return true;
}

/* Builds the response to one request (or to a parse error, status > 0 then). */
static void respond(const struct svc_host *h, struct svc_conn *c, struct http_state *s,
                    const struct http_request *rq, int status, uint64_t now)
{
    bool stream = false;
    char *body = NULL;
    size_t body_len = 0;
    FILE *b = open_memstream(&body, &body_len);
    if (!b) {
        respond_failed(s);
        return;
    }
    const char *type = "text/plain; charset=utf-8";
    uint64_t pattern_len = 0;
    bool head_only = rq && rq->method == HTTP_HEAD;
    if (!rq && status == 0) status = 500; /* without a request the caller gives a status */
    if (status == 0) {
        const char *t = rq->target;
        size_t path_len = strcspn(t, "?#");
        status = 200;
        if (path_len == 1) {
            h->status(h->status_ctx, b, false);
        } else if (path_len == 6 && !strncmp(t, "/stats", 6)) {
            type = "application/json";
            h->status(h->status_ctx, b, true);
        } else if (live_route(h, c, s, t, path_len, head_only, b, &status, &type, now)) {
            stream = s->viewer >= 0;
        } else if (path_len > 7 && !strncmp(t, "/bytes/", 7)) {
            uint64_t n = 0;
            bool ok = path_len - 7 <= 13;
            for (size_t i = 7; i < path_len && ok; i++) {
                if (t[i] < '0' || t[i] > '9')
                    ok = false;
                else
                    n = n * 10 + (uint64_t)(t[i] - '0');
            }
            if (!ok || n > BYTES_MAX) {
                status = 400;
                fprintf(b, "/bytes/N takes a decimal N up to %llu\n", BYTES_MAX);
            } else {
                type = "application/octet-stream";
                pattern_len = n;
            }
        } else {
            status = 404;
            fprintf(b, "not found: try /, /stats, /bytes/N%s\n",
                    h->live ? ", /live or /events" : "");
        }
    } else {
        fprintf(b, "%d %s\n", status, http_reason(status));
    }
    /* A failed write to a memory stream (ENOMEM) sets its error indicator. */
    bool b_failed = ferror(b) != 0;
    if (fclose(b) != 0 || b_failed) {
        free(body);
        respond_failed(s);
        return;
    }
    uint64_t content_length = pattern_len ? pattern_len : body_len;
    bool close_after = !rq || status >= 400 || rq->conn_close || rq->minor == 0 || stream;
    /* A 404 on a well-formed request keeps the connection: nothing is wrong with its framing. */
    if (rq && status == 404 && !rq->conn_close && rq->minor == 1) close_after = false;
    char *head = NULL;
    size_t head_len = 0;
    FILE *f = open_memstream(&head, &head_len);
    if (!f) {
        free(body);
        respond_failed(s);
        return;
    }
    if (stream) /* no length: the body ends when the connection does (RFC 9112 §6.3) */
        fprintf(f, "HTTP/1.1 200 OK\r\n"
                   "Server: synack\r\n"
                   "Content-Type: text/event-stream\r\n"
                   "Cache-Control: no-store\r\n"
                   "Connection: close\r\n"
                   "\r\n");
    else
        fprintf(f,
                "HTTP/1.1 %d %s\r\n"
                "Server: synack\r\n"
                "Content-Type: %s\r\n"
                "Content-Length: %" PRIu64 "\r\n"
                "%s"
                "\r\n",
                status, http_reason(status), type, content_length,
                close_after ? "Connection: close\r\n" : "");
    /* Short writes are seen by ferror() below. */
    if (!head_only && !pattern_len && !stream) (void)fwrite(body, 1, body_len, f);
    /* The head and the start of the body go in one send, so that a small response is one
     * segment: a head sent alone would make Nagle's algorithm (RFC 1122 §4.2.3.4) hold the
     * body until the head's ACK, which the client's delayed ACK holds back ~40 ms. */
    uint64_t first = 0;
    if (!head_only && pattern_len) {
        first = pattern_len < BODY_CHUNK ? pattern_len : BODY_CHUNK;
        http_bytes_pattern(0, s->chunk, (size_t)first);
        (void)fwrite(s->chunk, 1, (size_t)first, f);
    }
    bool f_failed = ferror(f) != 0;
    free(body);
    if (fclose(f) != 0 || f_failed) {
        free(head);
        respond_failed(s);
        return;
    }
    free(s->head);
    s->head = head;
    s->head_len = head_len;
    s->head_off = 0;
    s->body_off = first;
    s->body_len = head_only ? 0 : pattern_len;
    s->close_after = close_after;
    s->responding = true;
    s->requests++;
}

/* Sends what it can of the response; true when all of it is queued. */
static bool send_response(const struct svc_host *h, struct svc_conn *c, struct http_state *s,
                          uint64_t now, bool *failed)
{
    while (s->head_off < s->head_len) {
        long w =
            synack_send(h->stack, c->sd, now, s->head + s->head_off, s->head_len - s->head_off);
        if (w == SYNACK_EAGAIN) return false;
        if (w < 0) {
            *failed = true;
            return false;
        }
        s->head_off += (size_t)w;
        c->bytes_out += (uint64_t)w;
    }
    while (s->body_off < s->body_len) {
        uint64_t left = s->body_len - s->body_off;
        size_t n = left < BODY_CHUNK ? (size_t)left : BODY_CHUNK;
        http_bytes_pattern(s->body_off, s->chunk, n);
        long w = synack_send(h->stack, c->sd, now, s->chunk, n);
        if (w == SYNACK_EAGAIN) return false;
        if (w < 0) {
            *failed = true;
            return false;
        }
        s->body_off += (uint64_t)w;
        c->bytes_out += (uint64_t)w;
        if ((size_t)w < n) return false;
    }
    return true;
}

/* The body of GET /events: whatever the viewer's window takes now; the rest of the request
 * side is read and dropped, and the client's FIN ends it. Called every loop iteration. */
static enum svc_result event_stream(const struct svc_host *h, struct svc_conn *c,
                                    struct http_state *s, uint64_t now)
{
    uint8_t junk[512];
    for (int i = 0; i < 64; i++) {
        long r = synack_recv(h->stack, c->sd, now, junk, sizeof junk);
        if (r == 0) return SVC_DONE;
        if (r == SYNACK_EAGAIN) break;
        if (r < 0) return SVC_ABORT;
        c->bytes_in += (uint64_t)r;
    }
    long w = live_viewer_io(h->live, s->viewer, h->stack, now);
    if (w < 0) return SVC_ABORT;
    c->bytes_out += (uint64_t)w;
    c->busy = true;
    return SVC_MORE;
}

static enum svc_result http_io(const struct svc_host *h, struct svc_conn *c, uint64_t now)
{
    struct http_state *s = c->priv;
    for (int guard = 0; guard < 4096; guard++) {
        if (s->responding) {
            bool failed = false;
            svc_set_phase(c, SVC_PHASE_RESPONSE, now);
            if (!send_response(h, c, s, now, &failed)) {
                if (failed) return SVC_ABORT;
                c->busy = true;
                return SVC_MORE;
            }
            if (s->viewer >= 0) return event_stream(h, c, s, now);
            s->responding = false;
            free(s->head);
            s->head = NULL;
            if (s->close_after) {
                c->busy = false;
                return SVC_DONE; /* the server closes first: FIN after the last byte */
            }
        }
        c->busy = false;
        struct http_request rq;
        int n = http_parse_request(s->req, s->req_len, &rq);
        if (n > 0) {
            /* We read no bodies; a request announcing one cannot be framed, so 400 + close. */
            respond(h, c, s, &rq, rq.has_body ? 400 : 0, now);
            memmove(s->req, s->req + n, s->req_len - (size_t)n);
            s->req_len -= (size_t)n;
            continue;
        }
        if (n < 0) {
            respond(h, c, s, NULL, -n, now);
            s->req_len = 0;
            continue;
        }
        /* Waiting for a head: kept alive with nothing yet (idle timeout), or a head begun,
         * or the first one (header timeout, counted from its first byte or the accept). */
        svc_set_phase(c, s->req_len || !s->requests ? SVC_PHASE_HEAD : SVC_PHASE_IDLE, now);
        if (c->peer_eof) return SVC_DONE; /* the client closed between requests */
        long r = synack_recv(h->stack, c->sd, now, s->req + s->req_len, sizeof s->req - s->req_len);
        if (r > 0) {
            s->req_len += (size_t)r;
            c->bytes_in += (uint64_t)r;
            continue;
        }
        if (r == 0) {
            c->peer_eof = true;
            continue;
        }
        return r == SYNACK_EAGAIN ? SVC_MORE : SVC_ABORT;
    }
    c->busy = true; /* a long pipeline: come back next iteration */
    return SVC_MORE;
}

/* The whole head did not come in time: 408 (RFC 9110 §15.5.9) and close; what was read of
 * the head is dropped. The next io call sends it. */
static void http_header_timeout(const struct svc_host *h, struct svc_conn *c, uint64_t now)
{
    struct http_state *s = c->priv;
    respond(h, c, s, NULL, 408, now);
    s->req_len = 0;
    svc_set_phase(c, SVC_PHASE_RESPONSE, now);
    c->busy = true;
}

const struct svc_ops svc_http = {.name = "http",
                                 .open = http_open,
                                 .io = http_io,
                                 .free = http_free,
                                 .header_timeout = http_header_timeout};
