# interop_common.bash - what every interop_*.sh test shares (sourced, not a test itself:
# ctest runs tests/scripts/*.sh only). Each test gets its own network namespace,
# synack-<test>-<pid>, where synack runs on a TUN device (tun0: kernel 10.7.0.1/24, synack
# 10.7.0.2/24) and the kernel's tools run beside it. Only addresses inside that namespace are
# used. On exit (success, failure or a signal) the processes the test started are ended by
# their PID and the namespace is deleted by name.
#
# Skips (exit 77) when not root, a tool is missing, or namespaces/TUN are unavailable.
# KEEP=dir keeps the work directory (logs, captures) there.
set -u

skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*"
    # the server's counters and connections, for the diagnosis
    if [ -n "${SERVE_PID:-}" ] && kill -USR1 "$SERVE_PID" 2>/dev/null; then sleep 0.5; fi
    if [ -n "${WORK:-}" ] && [ -f "$WORK/serve.log" ]; then
        echo "--- serve.log (last 40 lines)"
        grep -v "^drop \|^state " "$WORK/serve.log" | tail -40
    fi
    exit 1
}
need() {
    for t in "$@"; do command -v "$t" >/dev/null 2>&1 || skip "$t not installed"; done
}

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TUN devices)"
need ip timeout sha256sum awk cmp
SYNACK=${SYNACK:-}
[ -x "$SYNACK" ] || skip "SYNACK (the synack binary) not set"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

TEST=${TEST:-$(basename "$0" .sh)}
NS="synack-${TEST#interop_}-$$"
HOST=10.7.0.1
STACK=10.7.0.2
WORK=$(mktemp -d "/tmp/synack-$TEST.XXXXXX")
PIDS=()
SERVE_PID=""

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        # bounded: a process that ignores SIGTERM gets SIGKILL after 3 s
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    ip netns del "$NS" 2>/dev/null
    if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/ 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
inns() { ip netns exec "$NS" "$@"; }
inns ip link set lo up
# No IPv6 on the TUN device: the kernel's router solicitations would only be dropped.
inns sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
inns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null

# start_serve ARGS...: synack serve on tun0 in the namespace, waiting until it is up.
start_serve() {
    # The log emptied here, before the fork: the redirection below truncates it only when
    # the child gets to run, and until then the wait below would find the previous serve's
    # "created" line in it (a test that starts serve again, on a loaded machine) and go on
    # before this one is up, its SIGUSR1 handler not yet set.
    : >"$WORK/serve.log"
    # Not through inns: $! must be synack's own PID (ip netns exec execs it).
    ip netns exec "$NS" "$SYNACK" serve --tun tun0 "$@" >"$WORK/serve.log" 2>&1 &
    SERVE_PID=$!
    PIDS+=("$SERVE_PID")
    for _ in $(seq 100); do
        grep -q "^synack serve: created\|^synack serve: attached" "$WORK/serve.log" && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || fail "serve exited: $(cat "$WORK/serve.log")"
        sleep 0.1
    done
    fail "serve did not come up"
}

# stop_serve: SIGTERM, and serve must close its connections and exit 0 within 10 s.
stop_serve() {
    [ -n "$SERVE_PID" ] || return 0
    kill -TERM "$SERVE_PID"
    local rc=""
    for _ in $(seq 100); do
        if ! kill -0 "$SERVE_PID" 2>/dev/null; then
            wait "$SERVE_PID"
            rc=$?
            break
        fi
        sleep 0.1
    done
    [ -n "$rc" ] || fail "serve did not exit within 10 s of SIGTERM"
    [ "$rc" = 0 ] || fail "serve exited with $rc after SIGTERM"
    grep -q "synack serve: stopped" "$WORK/serve.log" || fail "serve did not say it stopped"
    # Its device can outlive it: with --io-uring the ring, which holds the TUN descriptor,
    # is torn down by the kernel after the process has gone. A serve started again before
    # tun0 is gone finds it there (not multi-queue, say): wait for that (bounded: 10 s).
    for _ in $(seq 100); do
        inns ip link show tun0 >/dev/null 2>&1 || break
        sleep 0.1
    done
    inns ip link show tun0 >/dev/null 2>&1 && fail "tun0 is still there 10 s after serve exited"
    SERVE_PID=""
}

# stats_field NAME: a number from the server's /stats JSON (needs curl).
stats_json() { inns timeout 10 curl -s "http://$STACK:${HTTP_PORT:-80}/stats"; }

# The /bytes/N pattern (tools/synack/http_parse.h), for comparison.
bytes_pattern() {
    awk -v n="$1" 'BEGIN { for (o = 0; o < n; o += 64)
        printf "%016x abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST\n", o }' | head -c "$1"
}

# check_capture FILE: tshark reads it all, finds no malformed packet and no bad checksum.
# One tshark pass (its start-up costs seconds); the fields stay in $WORK/fields for further
# checks (IP, TCP and ICMP: payloads are not dissected): number, malformed, ip/tcp/icmp checksum status, then ip.src, tcp.flags.syn, .ack,
# .fin, .reset, tcp.seq_raw, tcp.ack_raw, tcp.len.
check_capture() {
    local f=$1
    [ -s "$f" ] || fail "capture $f is empty"
    local total bad
    # Payloads are decoded as plain data: random bytes on a port tshark associates with some
    # protocol (8080 is HTTP to it) would otherwise be "malformed" that protocol.
    tshark -r "$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -d tcp.port==1-65535,data \
        -T fields -e frame.number -e _ws.malformed -e ip.checksum.status \
        -e tcp.checksum.status -e icmp.checksum.status -e ip.src -e tcp.flags.syn \
        -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset -e tcp.seq_raw -e tcp.ack_raw \
        -e tcp.len -e tcp.checksum >"$WORK/fields" 2>"$WORK/tshark.err" ||
        fail "tshark cannot read $f: $(cat "$WORK/tshark.err")"
    total=$(grep -c . "$WORK/fields")
    [ "$total" -gt 0 ] || fail "tshark read no packets from $f"
    # Status fields print 0 for "Bad" (1 good, 2 unverified); a malformed frame has the field.
    # A TCP checksum of 0xffff where tshark computes 0x0000 is the same value in one's
    # complement (RFC 1624 §3: the kernel's incremental updates write it so now and then),
    # and every receiver takes it: not a bad checksum.
    local is_bad='$2 != "" || $3 == "0" || ($4 == "0" && $14 != "0xffff") || $5 == "0"'
    bad=$(awk -F'\t' "$is_bad" "$WORK/fields" | wc -l)
    if [ "$bad" != 0 ]; then
        # Which frames, and what tshark makes of them: the failure should say.
        awk -F'\t' "$is_bad { print \$1 }" "$WORK/fields" |
            head -3 | while read -r n; do
                tshark -r "$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
                    -Y "frame.number == $n" -V 2>/dev/null | grep -iE "frame [0-9]|checksum|malformed|expert|length" | head -12
            done
        fail "$bad of $total packets in $f are malformed or have a bad checksum"
    fi
    echo "capture: $total packets, none malformed, no bad checksum"
}
