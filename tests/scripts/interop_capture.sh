#!/usr/bin/env bash
# interop_capture.sh - one run of every service at once under `serve --pcap --trace`, in a
# network namespace of its own (interop_common.bash): HTTP (pages, a body, a malformed
# request), echo, discard, chargen and ping. The whole capture, both directions, passes
# tshark with no malformed packet and no bad checksum; the live trace on stderr draws the
# connections' ladders (handshake, states); SIGUSR1 prints the counters; SIGTERM with a
# connection still open closes it with a FIN exchange and exits 0.
source "$(dirname "$0")/interop_common.bash"
need curl socat nc tshark ping

start_serve --echo 7 --discard 9 --chargen 19 --http 80 --pcap "$WORK/all.pcap" --trace
inns timeout 10 curl -sS -o /dev/null "http://$STACK/" || fail "GET / failed"
inns timeout 10 curl -sS -o /dev/null "http://$STACK/bytes/300000" "http://$STACK/stats" ||
    fail "GET /bytes failed"
printf 'NOT HTTP\r\n\r\n' | inns timeout 5 nc -q 1 "$STACK" 80 >/dev/null
head -c 200000 /dev/urandom >"$WORK/data"
inns timeout 20 socat -t 5 - "TCP:$STACK:7" <"$WORK/data" >"$WORK/echoed" || fail "echo failed"
cmp "$WORK/data" "$WORK/echoed" || fail "echo not byte-exact"
head -c 500000 /dev/zero | inns timeout 20 socat -u - "TCP:$STACK:9" || fail "discard failed"
inns timeout 5 nc "$STACK" 19 </dev/null | head -c 100000 >/dev/null
inns timeout 10 ping -c 2 -i 0.2 -W 2 "$STACK" >/dev/null || fail "ping failed"
# A connection left open when SIGTERM comes: serve closes it (its FIN), the kernel answers.
ip netns exec "$NS" timeout 30 socat -u "TCP:$STACK:7" - </dev/null >/dev/null 2>&1 &
SOCAT_PID=$!
PIDS+=("$SOCAT_PID")
sleep 0.5
kill -USR1 "$SERVE_PID"
sleep 0.3
grep -q "^segments_in " "$WORK/serve.log" || fail "SIGUSR1 printed no counters"
grep -q "ESTABLISHED" "$WORK/serve.log" || fail "SIGUSR1 shows no open connection"
stop_serve
grep -q "closing 1 connection" "$WORK/serve.log" || fail "serve did not close the open connection"
grep -q "SYN" "$WORK/serve.log" || fail "--trace drew no SYN"
grep -q "TIME-WAIT\|LAST-ACK" "$WORK/serve.log" || fail "--trace showed no closing state"
check_capture "$WORK/all.pcap"
fins=$(awk -F'\t' '$9 == "1" || $9 == "True"' "$WORK/fields" | wc -l)
echo "trace: $(grep -c '│' "$WORK/serve.log") ladder lines; capture: $fins FINs"
echo "PASS"
