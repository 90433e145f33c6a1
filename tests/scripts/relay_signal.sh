#!/usr/bin/env bash
# relay_signal.sh - bench/relay ends promptly on SIGTERM even when the signal comes between
# its loop's test of the stop flag and its sleep in ppoll: the window in which a handler
# that only sets a flag loses the wake-up, so that the relay sleeps on until its next
# datagram or --max-seconds (scripts/mathis_real.sh's stop_relay then waits up to
# 600 + RUNS * 300 s). gdb stops the relay at its ppoll call, with the path idle, and
# resumes it with SIGTERM: the signal arrives exactly there. The relay must exit within a
# few seconds of a --max-seconds of 60.
# Skips (77) without root, TUN, gdb or the relay binary. Two network namespaces made here
# are deleted by name, and the processes started here ended by PID, on exit, also on
# failure.
set -u
skip() {
    echo "SKIP: $*"
    exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TUN devices)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for t in ip gdb timeout; do command -v "$t" >/dev/null 2>&1 || skip "$t not installed"; done
RELAY=${SYNACK_BUILD:-build}/relay
[ -x "$RELAY" ] || skip "$RELAY not built"

A="synack-rsig-a-$$"
B="synack-rsig-b-$$"
WORK=$(mktemp -d /tmp/synack-rsig.XXXXXX)
GDB_PID=""
cleanup() {
    if [ -n "$GDB_PID" ]; then
        kill "$GDB_PID" 2>/dev/null
        for _ in $(seq 30); do kill -0 "$GDB_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$GDB_PID" 2>/dev/null
    fi
    ip netns del "$A" 2>/dev/null
    ip netns del "$B" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for ns in "$A" "$B"; do
    ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1
done

# At the first ppoll (both devices up, nothing to move): resume with SIGTERM, then let the
# relay run to its end. timeout bounds the whole run well past --max-seconds.
# LeakSanitizer cannot run under ptrace: off for an ASan build's relay.
start=$(date +%s%N)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 timeout 90 gdb -batch -nx -q \
    -ex 'set pagination off' -ex 'set breakpoint pending on' \
    -ex 'handle SIGTERM nostop noprint pass' \
    -ex 'break ppoll' -ex 'run' -ex 'delete' -ex 'signal SIGTERM' \
    --args "$RELAY" --ns-a "$A" --tun-a ra --addr-a 10.7.1.1/24 --ns-b "$B" --tun-b rb \
    --addr-b 10.7.1.2/24 --max-seconds 60 >"$WORK/gdb.out" 2>&1 &
GDB_PID=$!
wait "$GDB_PID"
GDB_PID=""
ms=$((($(date +%s%N) - start) / 1000000))
grep -q "^relay: up" "$WORK/gdb.out" || {
    echo "FAIL: the relay did not come up under gdb"
    tail -20 "$WORK/gdb.out"
    exit 1
}
grep -q "^Breakpoint 1.*ppoll" "$WORK/gdb.out" || {
    echo "FAIL: gdb did not stop the relay at ppoll"
    tail -20 "$WORK/gdb.out"
    exit 1
}
grep -q '"seconds":' "$WORK/gdb.out" || {
    echo "FAIL: the relay printed no summary"
    tail -20 "$WORK/gdb.out"
    exit 1
}
secs=$(sed -n 's/.*"seconds":\([0-9]*\)\..*/\1/p' "$WORK/gdb.out")
echo "relay ran ${secs} s by its own count, $ms ms under gdb (SIGTERM at its first ppoll;" \
    "--max-seconds 60)"
if [ -z "$secs" ] || [ "$secs" -ge 20 ] || [ "$ms" -gt 40000 ]; then
    echo "FAIL: SIGTERM between the stop test and ppoll was lost: the relay slept on"
    exit 1
fi
echo "PASS"
