#!/usr/bin/env bash
# interop_ping.sh - the kernel's ping gets echo replies from synack (RFC 792) on a TUN
# device, in a network namespace of its own (interop_common.bash); and the counters go out on
# SIGUSR1.
source "$(dirname "$0")/interop_common.bash"
need ping

start_serve --echo 7
out=$(inns timeout 10 ping -c 5 -i 0.2 -W 2 -s 1000 "$STACK") || fail "ping failed: $out"
echo "$out" | grep -q " 5 received" || fail "not all pings answered: $out"
echo "$out" | tail -1
kill -USR1 "$SERVE_PID"
for _ in $(seq 50); do grep -q "^icmp_out  *5$" "$WORK/serve.log" && break; sleep 0.1; done
grep -q "^icmp_out  *5$" "$WORK/serve.log" || fail "SIGUSR1 did not print icmp_out 5"
stop_serve
echo "PASS"
