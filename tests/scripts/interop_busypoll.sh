#!/usr/bin/env bash
# interop_busypoll.sh - synack serve --busy-poll (the epoll loop looks at the device without
# waiting for up to US µs before it sleeps, tools/synack/loop.c) against the kernel's TCP in
# a network namespace of its own (interop_common.bash), with bench/loadgen as the client for a
# second per load: connections one at a time and 16 at once (connect, 1 byte each way,
# close) and a ping-pong. Every connection completes (no error, no timeout), every round
# trip comes back, the stack sent no RST, and SIGTERM still stops serve at once: the spin is
# bounded and gives way to a signal; and the spin ran (serve's count of its spins at the
# end). Speed is not judged here (docs/performance.md, "The
# floor", for what it does to the round trip).
source "$(dirname "$0")/interop_common.bash"
need python3
LOADGEN=${SYNACK_BUILD:-build}/loadgen
[ -x "$LOADGEN" ] || skip "$LOADGEN not built"

start_serve --echo 7 --busy-poll 50
# The client closes first and keeps TIME-WAIT: several source addresses, as make bench.
inns sysctl -qw net.ipv4.tcp_max_tw_buckets=2000000 net.ipv4.ip_local_port_range="10000 65000"
for i in 0 1 2 3; do inns ip addr add "10.7.0.$((101 + i))/24" dev tun0 || fail "address"; done

src=(--dst "$STACK" --src 10.7.0.101 --nsrc 4 --port 7 --timeout-ms 1000)
timeout 20 ip netns exec "$NS" "$LOADGEN" cps --conc 1 --seconds 1 --max 200000 "${src[@]}" \
    >"$WORK/cps1" 2>"$WORK/lg.err" || fail "loadgen cps 1: $(cat "$WORK/lg.err")"
timeout 20 ip netns exec "$NS" "$LOADGEN" cps --conc 16 --seconds 1 --max 400000 "${src[@]}" \
    >"$WORK/cps16" 2>"$WORK/lg.err" || fail "loadgen cps 16: $(cat "$WORK/lg.err")"
timeout 20 ip netns exec "$NS" "$LOADGEN" pingpong --seconds 1 --max 200000 "${src[@]}" \
    >"$WORK/pp" 2>"$WORK/lg.err" || fail "loadgen pingpong: $(cat "$WORK/lg.err")"
python3 - "$WORK" <<'EOF' || fail "not every connection completed"
import json, sys
w = sys.argv[1]
bad = []
for load in ("cps1", "cps16"):
    r = json.load(open(f"{w}/{load}"))
    print(f"  {load}: {r['done']} connections, {r['value']:.0f}/s, {r['errors']} errors, "
          f"{r['timeouts']} timeouts")
    if r["done"] < 10 or r["errors"] or r["timeouts"]:
        bad.append(load)
p = json.load(open(f"{w}/pp"))
print(f"  pingpong: {p['n']} round trips, p50 {p['p50_us']} us")
if p["n"] < 100:
    bad.append("pingpong")
sys.exit(1 if bad else 0)
EOF
kill -USR1 "$SERVE_PID"
# Its counters once written (bounded: 10 s), not after a fixed sleep a loaded machine overruns.
for _ in $(seq 100); do
    awk '$1 == "rst_out" { found = 1 } END { exit !found }' "$WORK/serve.log" && break
    sleep 0.1
done
rst=$(awk '$1 == "rst_out" { print $2 }' "$WORK/serve.log" | tail -1)
[ "${rst:-x}" = 0 ] || fail "the stack sent ${rst:-an unknown number of} RSTs"
stop_serve
# The spin ran: every passage through it is counted, found a datagram or ran out. Without
# this the test passes with --busy-poll parsed and ignored.
spins=$(sed -n 's/^synack serve: queue 0: busy-poll: \([0-9]*\) spins found a datagram, \([0-9]*\) ran out$/\1 \2/p' \
    "$WORK/serve.log")
read -r hits misses <<<"${spins:-x x}"
[ "$hits" != x ] || fail "serve did not report its busy-poll spins: $(tail -3 "$WORK/serve.log")"
[ $((hits + misses)) -gt 0 ] || fail "the busy-poll spin never ran"
echo "  busy-poll: $hits spins found a datagram, $misses ran out"
echo "PASS: serve --busy-poll 50 answered every connection and round trip, and stopped on SIGTERM"
