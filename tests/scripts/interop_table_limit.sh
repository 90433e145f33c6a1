#!/usr/bin/env bash
# interop_table_limit.sh - a full socket table seen from the kernel's side: `synack serve
# --http 80 --max-sockets 16` (the listener and 15 connections), and a small client
# (compiled here with cc) that opens 48 connections from the kernel and holds them, then
# sends `GET /` on each. Every connection must end one of two honest ways:
#   - refused: connect() fails, or the connection is reset / closed before an answer
#     (a SYN costs no socket: a half-open request record, or a SYN cookie when those run
#     out; the handshake's bare ACK that can get no socket is reset: the client learns at
#     once);
#   - answered: the request gets `HTTP/1.1 200`.
# A phantom - a connection the client believes established, on which the request gets
# neither an answer nor a reset within 5 s - fails the test. Then every connection is
# closed and the server takes new ones again; the cookie counters say what happened.
source "$(dirname "$0")/interop_common.bash"
need cc curl

TABLE=16
CONNS=$((3 * TABLE))

cat >"$WORK/client.c" <<'EOF'
/* client ADDR PORT N: opens N connections (each connect bounded by 3 s), holds them all,
 * sends GET / on every established one, and waits at most 5 s for each to be answered or
 * to fail. Prints one line: answered refused reset closed phantom. */
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

enum { PENDING, ANSWERED, REFUSED, RESET, CLOSED };

static long long ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 4) return 2;
    signal(SIGPIPE, SIG_IGN);
    int n = atoi(argv[3]);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) return 2;
    int *fd = calloc((size_t)n, sizeof *fd), *st = calloc((size_t)n, sizeof *st);
    char (*buf)[16] = calloc((size_t)n, sizeof *buf);
    int *got = calloc((size_t)n, sizeof *got);
    if (!fd || !st || !buf || !got) return 2;
    for (int i = 0; i < n; i++) {
        fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd[i] < 0) return 2;
        st[i] = PENDING;
        if (connect(fd[i], (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
            st[i] = REFUSED;
            continue;
        }
        struct pollfd p = {.fd = fd[i], .events = POLLOUT};
        int err = 0;
        socklen_t l = sizeof err;
        if (poll(&p, 1, 3000) != 1 || getsockopt(fd[i], SOL_SOCKET, SO_ERROR, &err, &l) < 0 ||
            err)
            st[i] = REFUSED;
    }
    static const char req[] = "GET / HTTP/1.1\r\nHost: synack\r\n\r\n";
    for (int i = 0; i < n; i++) {
        if (st[i] != PENDING) continue;
        ssize_t w = send(fd[i], req, sizeof req - 1, MSG_NOSIGNAL);
        if (w != (ssize_t)(sizeof req - 1)) st[i] = RESET;
    }
    long long end = ms() + 5000;
    for (;;) {
        struct pollfd *p = calloc((size_t)n, sizeof *p);
        int np = 0;
        for (int i = 0; i < n; i++) {
            p[i].fd = st[i] == PENDING ? fd[i] : -1;
            p[i].events = POLLIN;
            np += st[i] == PENDING;
        }
        long long left = end - ms();
        if (np == 0 || left <= 0) {
            free(p);
            break;
        }
        poll(p, (nfds_t)n, (int)left);
        for (int i = 0; i < n; i++) {
            if (st[i] != PENDING || !p[i].revents) continue;
            ssize_t r = recv(fd[i], buf[i] + got[i], sizeof buf[i] - 1 - (size_t)got[i], 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r < 0) {
                st[i] = RESET;
                continue;
            }
            if (r == 0) {
                st[i] = CLOSED;
                continue;
            }
            got[i] += (int)r;
            buf[i][got[i]] = 0;
            if (got[i] >= 12) st[i] = strncmp(buf[i], "HTTP/1.1 200", 12) ? CLOSED : ANSWERED;
        }
        free(p);
    }
    int c[5] = {0};
    for (int i = 0; i < n; i++) c[st[i]]++;
    /* Hold them until told to close (stdin at EOF), so the table stays full meanwhile. */
    printf("%d %d %d %d %d\n", c[ANSWERED], c[REFUSED], c[RESET], c[CLOSED], c[PENDING]);
    fflush(stdout);
    char x;
    while (read(0, &x, 1) > 0) {}
    for (int i = 0; i < n; i++) close(fd[i]);
    return 0;
}
EOF
cc -O1 -Wall -Wextra -o "$WORK/client" "$WORK/client.c" || fail "cannot compile the client"

"$SYNACK" serve --help | grep -q -- --max-sockets || skip "serve has no --max-sockets"
start_serve --http 80 --max-sockets "$TABLE" --msl 1
inns timeout 10 curl -sSf -o /dev/null "http://$STACK/" || fail "GET / failed before the test"

# The client holds its connections until its stdin closes: a FIFO kept open by this shell.
mkfifo "$WORK/hold"
inns timeout 60 "$WORK/client" "$STACK" 80 "$CONNS" <"$WORK/hold" >"$WORK/client.out" &
CLIENT_PID=$!
PIDS+=("$CLIENT_PID")
exec 3>"$WORK/hold"
for _ in $(seq 300); do
    [ -s "$WORK/client.out" ] && break
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 0.1
done
[ -s "$WORK/client.out" ] || fail "the client printed nothing"
read -r answered refused reset closed phantom <"$WORK/client.out"
echo "$CONNS connections into a table of $TABLE: answered $answered, refused $refused," \
    "reset $reset, closed before an answer $closed, phantom $phantom"
[ $((answered + refused + reset + closed + phantom)) = "$CONNS" ] || fail "counts do not add up"
[ "$phantom" = 0 ] || fail "$phantom connection(s) established but neither answered nor reset"
# The listener holds one slot: the other TABLE-1 connections get in, the rest are refused.
[ "$answered" = $((TABLE - 1)) ] || fail "$answered connections answered, want $((TABLE - 1))"
exec 3>&-
wait "$CLIENT_PID" || fail "the client failed"

# The table empties (the client closes first: no TIME-WAIT on synack's side) and takes
# new connections again.
ok=""
for _ in $(seq 50); do
    if inns timeout 5 curl -sSf -o /dev/null "http://$STACK/" 2>/dev/null; then
        ok=1
        break
    fi
    sleep 0.1
done
[ -n "$ok" ] || fail "serve takes no new connection after the client closed"
js=$(stats_json) || fail "/stats failed"
field() { echo "$js" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
echo "handshakes that found no socket: $(field handshakes_no_room); cookies: sent" \
    "$(field syn_cookies_sent), accepted $(field syn_cookies_accepted), failed" \
    "$(field syn_cookies_failed), table_full $(field syn_cookies_table_full)," \
    "no_room $(field syn_cookies_no_room)"
[ "$(field handshakes_no_room)" -ge 1 ] || fail "no handshake met a full table: $js"

stop_serve
echo "PASS"
