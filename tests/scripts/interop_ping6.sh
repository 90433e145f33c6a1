#!/usr/bin/env bash
# interop_ping6.sh - the kernel's ping -6 gets ICMPv6 echo replies from synack (RFC 4443
# §4.2) on a TUN device, in a network namespace of its own (interop_common.bash,
# lib/ipv6.bash): small and full-sized (a 1500-byte datagram, the device's MTU) requests,
# each answered with its data; ping over IPv4 at the same time; a request too big for the
# link, which the kernel fragments (RFC 8200 §4.5), is not answered and synack counts the
# fragments as dropped (ip6-fragment); SIGUSR1 prints the counters.
source "$(dirname "$0")/interop_common.bash"
source "$(dirname "$0")/lib/ipv6.bash"
need ping

start_serve --echo 7
serve_has_ipv6
out=$(inns timeout 10 ping -6 -c 5 -i 0.2 -W 2 -s 1000 "$STACK6") || fail "ping -6 failed: $out"
echo "$out" | grep -q " 5 received" || fail "not all pings answered: $out"
echo "$out" | tail -1
# 1452 bytes of data + 8 of ICMPv6 + 40 of IPv6 = 1500; -p: a pattern the reply must echo
out=$(inns timeout 10 ping -6 -c 3 -i 0.2 -W 2 -s 1452 -p a5 "$STACK6") || fail "ping -6 -s 1452: $out"
echo "$out" | grep -q " 3 received" || fail "full-sized pings not all answered: $out"
echo "$out" | grep -qi "wrong data\|DUP" && fail "full-sized replies wrong: $out"
echo "ok   1500-byte ICMPv6 echo requests answered"
# both families at once
inns timeout 10 ping -4 -c 5 -i 0.2 -W 2 "$STACK" >"$WORK/ping4" &
p4=$!
PIDS+=("$p4")
out=$(inns timeout 10 ping -6 -c 5 -i 0.2 -W 2 "$STACK6") || fail "ping -6 beside ping -4: $out"
wait "$p4" || fail "ping -4 beside ping -6: $(cat "$WORK/ping4")"
echo "ok   ping -4 and ping -6 together"
# too big for the link: the kernel sends two fragments, synack answers neither
inns timeout 5 ping -6 -c 1 -W 2 -s 2000 "$STACK6" >/dev/null 2>&1 && fail "a fragmented ping was answered"
kill -USR1 "$SERVE_PID"
for _ in $(seq 50); do grep -q "^drop ip6-fragment" "$WORK/serve.log" && break; sleep 0.1; done
grep -q "^drop ip6-fragment  *[1-9]" "$WORK/serve.log" || fail "no ip6-fragment drop counted"
# 5 + 3 + 5 replies over IPv6 and 5 over IPv4
grep -q "^icmp_out  *18$" "$WORK/serve.log" || fail "SIGUSR1 did not print icmp_out 18"
echo "ok   fragments dropped and counted, $(grep "^drop ip6-fragment" "$WORK/serve.log" | tail -1)"
stop_serve
echo "PASS"
