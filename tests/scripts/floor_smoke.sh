#!/usr/bin/env bash
# floor_smoke.sh - bench/floor, the stateless echo responder of `make bench`'s "floor" column
# (issue 12), against the kernel's own TCP client for about a second each, so that the column
# cannot rot: loadgen cps (1 at a time, and 16 concurrent), loadgen pingpong, and the same
# loads through the variants the bench measures (one pass with --vnet --csum-offload
# --writev --napi --busy-us 20, one with 2 queues steered by CPU when there are 2 CPUs).
# Checks that every connection completed: loadgen's JSON shows connections done, no errors
# and no timeouts; the round trips of pingpong came back; the responder's own counters show
# a SYN, a data segment and a FIN answered for every connection the client completed, no bad
# checksum and no write error. The figures are not judged (speed lives in `make bench`).
# Needs root (a namespace and a TUN device); skipped (77) without it. The namespace is
# created here, deleted by name on exit (also on failure), and the processes are ended by
# PID.
set -u
skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*"
    for f in "$WORK"/*.log "$WORK"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -8 "$f"; }; done
    exit 1
}
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TUN devices)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for t in ip timeout python3; do command -v "$t" >/dev/null 2>&1 || skip "$t not installed"; done
BUILD=${SYNACK_BUILD:-build}
for b in floor loadgen; do [ -x "$BUILD/$b" ] || skip "$BUILD/$b not built"; done

NS="synack-floor-$$"
WORK=$(mktemp -d /tmp/synack-floor.XXXXXX)
FLOOR_PID=""
# wait_for and stop_pids, as the benchmarks wait for a server and end what they started.
# shellcheck source=../../scripts/bench_common.bash
. "$(dirname "$0")/../../scripts/bench_common.bash"
fail_setup() { fail "$@"; }
cleanup() {
    [ -n "$FLOOR_PID" ] && stop_pids "$FLOOR_PID"
    ip netns del "$NS" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
inns() { ip netns exec "$NS" "$@"; }
inns ip link set lo up
inns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# The client closes first and keeps TIME-WAIT: several source addresses, as the bench.
inns sysctl -qw net.ipv4.tcp_max_tw_buckets=2000000 net.ipv4.ip_local_port_range="10000 65000"

# run NAME FLOOR-OPTIONS...: the responder with those options, the three loads against it,
# every connection checked; the responder stopped (SIGTERM) and its counters checked.
run() {
    local name=$1
    shift
    # Not through a subshell: $! must be floor itself (ip netns exec execs it).
    ip netns exec "$NS" "$BUILD/floor" --tun tun0 --max-seconds 60 "$@" >"$WORK/$name.log" 2>&1 &
    FLOOR_PID=$!
    wait_for "$WORK/$name.log" "listening" "$FLOOR_PID" "$name: floor"
    inns ip addr add 10.7.0.1/24 dev tun0 || fail "$name: address"
    for i in $(seq 0 3); do inns ip addr add "10.7.0.$((101 + i))/24" dev tun0; done
    inns ip link set tun0 up || fail "$name: link up"
    local src=(--src 10.7.0.101 --nsrc 4 --port 7 --timeout-ms 1000)
    timeout 20 ip netns exec "$NS" "$BUILD/loadgen" cps --conc 1 --seconds 1 --max 200000 \
        "${src[@]}" >"$WORK/$name.cps1" 2>"$WORK/$name.err" || fail "$name: loadgen cps 1"
    timeout 20 ip netns exec "$NS" "$BUILD/loadgen" cps --conc 16 --seconds 1 --max 400000 \
        "${src[@]}" >"$WORK/$name.cps16" 2>>"$WORK/$name.err" || fail "$name: loadgen cps 16"
    timeout 20 ip netns exec "$NS" "$BUILD/loadgen" pingpong --seconds 1 --max 200000 \
        "${src[@]}" >"$WORK/$name.pp" 2>>"$WORK/$name.err" || fail "$name: loadgen pingpong"
    kill -TERM "$FLOOR_PID"
    for _ in $(seq 30); do kill -0 "$FLOOR_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$FLOOR_PID" 2>/dev/null && fail "$name: floor did not stop on SIGTERM"
    wait "$FLOOR_PID" || fail "$name: floor exited with status $?"
    FLOOR_PID=""
    python3 - "$WORK" "$name" <<'PY' || fail "$name: not every connection completed"
import json, re, sys
w, name = sys.argv[1], sys.argv[2]
bad = []
done = 0
for load in ("cps1", "cps16"):
    r = json.load(open(f"{w}/{name}.{load}"))
    print(f"  {name} {load}: {r['done']} connections, {r['value']:.0f}/s, "
          f"{r['errors']} errors, {r['timeouts']} timeouts")
    if r["done"] < 10 or r["errors"] or r["timeouts"]:
        bad.append(f"{load}: {r['done']} done, {r['errors']} errors, {r['timeouts']} timeouts")
    done += r["done"]
p = json.load(open(f"{w}/{name}.pp"))
print(f"  {name} pingpong: {p['n']} round trips, p50 {p['p50_us']} us")
if p["n"] < 100:
    bad.append(f"pingpong: {p['n']} round trips")
q = {k: 0 for k in ("syn", "data", "fin", "bad", "werr")}
for line in open(f"{w}/{name}.log"):
    m = re.search(r"(\d+) SYN, (\d+) data, (\d+) FIN, \d+ unanswered, (\d+) bad checksum, "
                  r"(\d+) write errors", line)
    if m:
        for k, v in zip(("syn", "data", "fin", "bad", "werr"), m.groups()):
            q[k] += int(v)
print(f"  {name} floor: {q}")
# Every completed connection was a SYN, a byte and a FIN answered (and pingpong's one
# connection its SYN and its round trips); retransmissions may only add.
if q["syn"] < done + 1 or q["fin"] < done or q["data"] < done + p["n"]:
    bad.append(f"floor's counters {q} below {done} connections and {p['n']} round trips")
if q["bad"] or q["werr"]:
    bad.append(f"{q['bad']} bad checksums, {q['werr']} write errors")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
}

run plain
run variants --vnet --csum-offload --writev --napi --busy-us 20
if [ "$(nproc)" -ge 2 ]; then
    run queues --queues 2 --steer cpu
fi
echo "PASS: the stateless responder answered every connection of the kernel's client"
