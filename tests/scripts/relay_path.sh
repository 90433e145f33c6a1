#!/usr/bin/env bash
# relay_path.sh - bench/relay, the path of the real-path Mathis rows (scripts/mathis_real.sh):
# two network namespaces made here, a TUN device in each, joined by the relay through synack's
# fault injector. Checks that it forwards and delays (ping across sees at least the two
# 10 ms delays and loses nothing), that loss is drawn where it is asked for (--faults-ab
# loss=1: every echo request lost, nothing comes back, the other direction untouched), and
# that the kernel's TCP crosses a lossy delayed path byte-exact with the loss drawn near the
# rate asked (5%, counted by the relay, read = lost + written + still held).
# Skips (77) without root, TUN, the tools or the relay binary. The namespaces are deleted by
# name and the processes ended by PID on exit, also on failure.
set -u
skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*"
    for f in "$WORK"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done
    exit 1
}
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TUN devices)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for t in ip ping socat timeout cmp awk; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
done
RELAY=${SYNACK_BUILD:-build}/relay
[ -x "$RELAY" ] || skip "$RELAY not built"

SEED=${SEED:-$$}
echo "seed $SEED"
A="synack-relay-a-$$"
B="synack-relay-b-$$"
WORK=$(mktemp -d /tmp/synack-relay.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    ip netns del "$A" 2>/dev/null
    ip netns del "$B" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for ns in "$A" "$B"; do
    ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1
done

RELAY_PID=""
start_relay() { # tag relay-options...
    local tag=$1
    shift
    "$RELAY" --ns-a "$A" --tun-a ra --addr-a 10.7.1.1/24 --ns-b "$B" --tun-b rb \
        --addr-b 10.7.1.2/24 --seed "$SEED" --max-seconds 120 "$@" >"$WORK/$tag.json" \
        2>"$WORK/$tag.err" &
    RELAY_PID=$!
    PIDS+=("$RELAY_PID")
    for _ in $(seq 100); do
        grep -q "^relay: up" "$WORK/$tag.err" && return 0
        kill -0 "$RELAY_PID" 2>/dev/null || fail "relay ($tag) exited: $(cat "$WORK/$tag.err")"
        sleep 0.1
    done
    fail "relay ($tag) did not come up"
}
stop_relay() { # waits for its JSON line
    kill -TERM "$RELAY_PID"
    wait "$RELAY_PID" 2>/dev/null
}
field() { # file dir key: a count from the relay's JSON line
    sed -n "s/.*\"$2\":{[^}]*\"$3\":\([0-9]*\).*/\1/p" "$1"
}

# 1. Forwards and delays: 10 ms each way, no loss.
start_relay delay --faults delay=10ms
out=$(ip netns exec "$A" ping -n -c 10 -i 0.05 -W 2 10.7.1.2 2>&1)
echo "$out" | tail -2
rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
[ "${rx:-0}" = 10 ] || fail "ping through the relay: ${rx:-0} of 10 answered"
min=$(echo "$out" | awk -F'[/ =]+' '/^rtt/ { print $6 }')
awk -v m="$min" 'BEGIN { exit !(m >= 20.0 && m < 500) }' ||
    fail "RTT $min ms through a 10 ms + 10 ms path (expected 20 ms or a little more)"
stop_relay
if ! [ "$(field "$WORK/delay.json" ab read)" = 10 ] ||
    ! [ "$(field "$WORK/delay.json" ab written)" = 10 ] ||
    ! [ "$(field "$WORK/delay.json" ba written)" = 10 ]; then
    fail "counts: $(cat "$WORK/delay.json")"
fi
echo "forwards and delays: RTT min $min ms"

# 2. Loss where it is asked for: all of A -> B, none of B -> A.
start_relay oneway --faults-ab loss=1
ip netns exec "$A" ping -n -c 5 -i 0.05 -W 1 10.7.1.2 >/dev/null 2>&1 &&
    fail "ping answered through a path that loses everything from A to B"
stop_relay
ab_read=$(field "$WORK/oneway.json" ab read)
if ! [ "${ab_read:-0}" -ge 5 ] || ! [ "$(field "$WORK/oneway.json" ab lost)" = "$ab_read" ] ||
    ! [ "$(field "$WORK/oneway.json" ab written)" = 0 ] ||
    ! [ "$(field "$WORK/oneway.json" ba read)" = 0 ]; then
    fail "counts: $(cat "$WORK/oneway.json")"
fi
echo "loss only A -> B: $ab_read of $ab_read lost"

# 3. The kernel's TCP across 5% loss both ways, 2 ms each way: byte-exact, loss drawn near 5%.
start_relay lossy --faults loss=0.05,delay=2ms
head -c $((2 << 20)) /dev/urandom >"$WORK/data"
ip netns exec "$B" timeout 90 socat -u TCP-LISTEN:5001,reuseaddr "OPEN:$WORK/recv,creat,trunc" \
    2>"$WORK/socat-l.err" &
LPID=$!
PIDS+=("$LPID")
for _ in $(seq 50); do
    ip netns exec "$B" ss -ltn 2>/dev/null | grep -q ':5001 ' && break
    sleep 0.1
done
ip netns exec "$A" timeout 90 socat -u "OPEN:$WORK/data" TCP:10.7.1.2:5001 2>"$WORK/socat-c.err" ||
    fail "socat through the lossy relay failed (seed $SEED)"
wait "$LPID" || fail "the receiving socat failed (seed $SEED)"
cmp -s "$WORK/data" "$WORK/recv" || fail "2 MiB did not arrive byte-exact (seed $SEED)"
stop_relay
read_ab=$(field "$WORK/lossy.json" ab read)
lost_ab=$(field "$WORK/lossy.json" ab lost)
written_ab=$(field "$WORK/lossy.json" ab written)
[ "${read_ab:-0}" -ge 1000 ] || fail "only ${read_ab:-0} datagrams A -> B for 2 MiB"
[ $((read_ab - lost_ab - written_ab)) -ge 0 ] || fail "counts: $(cat "$WORK/lossy.json")"
# 5% of at least 1,000 draws: 2%..10% is more than 4 standard deviations either side.
awk -v l="$lost_ab" -v r="$read_ab" 'BEGIN { exit !(l / r >= 0.02 && l / r <= 0.10) }' ||
    fail "lost $lost_ab of $read_ab A -> B, asked 5% (seed $SEED)"
echo "2 MiB byte-exact across 5% loss both ways: $lost_ab of $read_ab lost A -> B"
echo "PASS"
