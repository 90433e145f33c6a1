/*
 * slowloris.c - a bounded slow-client load for tests/scripts/interop_slowloris.sh (compiled
 * by the test; not part of the build). It keeps N TCP connections to ADDR:PORT for SECONDS
 * seconds, all in one process with poll(), and stops by itself:
 *
 *   trickle  each connection sends a request head one byte per second, never finishing it
 *   idle     each connection sends nothing
 *   keep     each connection sends one whole request, reads the response, then idles
 *   stall    each connection asks for a gigabyte and reads nothing (its window closes)
 *
 * With RECONNECT 1 a connection the server closed is opened again a second later (what an
 * attacker does); with 0 it stays closed. At the end one line of counters on stdout:
 * connects, established, closed by the server (FIN or RST), 408 responses seen, and the
 * lifetimes of the server-closed connections (from the connection's establishment, or in
 * keep mode from the end of the response) as min/median/max seconds.
 *
 * usage: slowloris ADDR PORT N SECONDS trickle|idle|keep|stall RECONNECT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS     4000
#define CONNECTS_TICK 100 /* new connections per 100 ms at most */
#define TRICKLE       "GET / HTTP/1.1\r\nHost: 10.7.0.2\r\nX-Slow: "
#define KEEP_REQUEST  "GET /nowhere HTTP/1.1\r\nHost: 10.7.0.2\r\n\r\n"
#define STALL_REQUEST "GET /bytes/1000000000 HTTP/1.1\r\nHost: 10.7.0.2\r\n\r\n"
#define MAX_LIFETIMES 100000

enum { FREE, CONNECTING, OPEN };

struct slot {
    int fd, state;
    double next_send, next_connect, since;
    size_t sent;
    int responded;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double lifetimes[MAX_LIFETIMES];
static size_t nlife;

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: slowloris ADDR PORT N SECONDS trickle|idle|keep|stall RECONNECT\n");
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) return 2;
    int n = atoi(argv[3]);
    double seconds = atof(argv[4]);
    const char *mode = argv[5];
    int reconnect = atoi(argv[6]);
    if (n < 1 || n > MAX_CONNS || seconds <= 0 || seconds > 120) return 2;
    int trickle = !strcmp(mode, "trickle"), keep = !strcmp(mode, "keep");
    int stall = !strcmp(mode, "stall");
    if (!trickle && !keep && !stall && strcmp(mode, "idle")) return 2;
    signal(SIGPIPE, SIG_IGN);

    static struct slot s[MAX_CONNS];
    static struct pollfd p[MAX_CONNS];
    unsigned long connects = 0, established = 0, closed = 0, resets = 0, got408 = 0, failed = 0;
    double t0 = now_s(), end = t0 + seconds, tick = t0;
    int tick_connects = 0;
    for (int i = 0; i < n; i++) s[i] = (struct slot){.fd = -1, .state = FREE};

    for (double t = t0; t < end; t = now_s()) {
        if (t >= tick + 0.1) {
            tick = t;
            tick_connects = 0;
        }
        for (int i = 0; i < n; i++) {
            struct slot *c = &s[i];
            if (c->state == FREE && t >= c->next_connect && tick_connects < CONNECTS_TICK) {
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                tick_connects++;
                if (fd < 0) {
                    failed++;
                    c->next_connect = t + 1;
                    continue;
                }
                int small = 16384;
                if (stall) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
                connects++;
                if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
                    close(fd);
                    failed++;
                    c->next_connect = t + 1;
                    continue;
                }
                *c = (struct slot){.fd = fd, .state = CONNECTING, .since = t};
            }
            if (c->state == OPEN && trickle && t >= c->next_send) {
                char b = TRICKLE[c->sent < sizeof TRICKLE - 1 ? c->sent : 0];
                if (c->sent >= sizeof TRICKLE - 1) b = 'a';
                if (send(c->fd, &b, 1, MSG_NOSIGNAL) == 1) c->sent++;
                c->next_send = t + 1;
            }
        }
        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = s[i].fd,
                                   .events = s[i].state == CONNECTING ? POLLOUT
                                             : stall                  ? 0
                                                                      : POLLIN};
        if (poll(p, (nfds_t)n, 50) < 0 && errno != EINTR) return 1;
        t = now_s();
        for (int i = 0; i < n; i++) {
            struct slot *c = &s[i];
            if (c->fd < 0 || !p[i].revents) continue;
            int gone = 0;
            if (c->state == CONNECTING) {
                int err = 0;
                socklen_t l = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) {
                    failed++;
                    close(c->fd);
                    *c = (struct slot){.fd = -1, .state = FREE, .next_connect = t + 1};
                    continue;
                }
                established++;
                c->state = OPEN;
                c->since = t;
                c->next_send = t;
                if (keep) send(c->fd, KEEP_REQUEST, sizeof KEEP_REQUEST - 1, MSG_NOSIGNAL);
                if (stall) send(c->fd, STALL_REQUEST, sizeof STALL_REQUEST - 1, MSG_NOSIGNAL);
                continue;
            }
            char buf[4096];
            ssize_t r = recv(c->fd, buf, sizeof buf, 0);
            if (r > 0) {
                if (r >= 12 && !memcmp(buf, "HTTP/1.1 408", 12)) got408++;
                if (keep && !c->responded) {
                    c->responded = 1;
                    c->since = t; /* idle from here */
                }
            } else if (r == 0) {
                gone = 1;
            } else if (errno != EAGAIN && errno != EINTR) {
                gone = 1;
                if (errno == ECONNRESET) resets++;
            }
            if (gone) {
                closed++;
                if (nlife < MAX_LIFETIMES) lifetimes[nlife++] = t - c->since;
                close(c->fd);
                *c = (struct slot){.fd = -1, .state = reconnect ? FREE : -1, .next_connect = t + 1};
            }
        }
    }
    int open = 0;
    for (int i = 0; i < n; i++) {
        if (s[i].state == OPEN) open++;
        if (s[i].fd >= 0) close(s[i].fd);
    }
    qsort(lifetimes, nlife, sizeof lifetimes[0], cmp_double);
    printf("connects %lu established %lu failed %lu closed %lu resets %lu got408 %lu open %d "
           "lifetime %.2f %.2f %.2f\n",
           connects, established, failed, closed, resets, got408, open, nlife ? lifetimes[0] : 0.0,
           nlife ? lifetimes[nlife / 2] : 0.0, nlife ? lifetimes[nlife - 1] : 0.0);
    return 0;
}
