#!/usr/bin/env bash
# interop_http6.sh - `synack serve --http` over IPv6 against the kernel's curl, in a network
# namespace of its own (interop_common.bash; tun0 with both families, lib/ipv6.bash):
#   - curl -6: the status page (it names fd00:7::2/64), /stats, a 404;
#   - /bytes/10000000 once, 20 times on one kept-alive connection, and 20 times on new
#     connections with `Connection: close` (synack closes first): every body sha256-checked;
#     then only TIME-WAIT is left, and it expires (--msl 1);
#   - the same 200 MB over IPv4 and over IPv6 in one run, for the throughput of each;
#   - a second serve with --pcap --trace: the capture passes tshark (IPv6, TCP and ICMPv6
#     checksums, nothing malformed) and holds IPv6 TCP and an echo reply to ping -6; --trace
#     draws the IPv6 connection's ladder; /events (the live web view) shows the IPv6 client
#     as [fd00:7::1]:port, read over IPv6 itself; SIGTERM exits 0.
source "$(dirname "$0")/interop_common.bash"
source "$(dirname "$0")/lib/ipv6.bash"
need curl tshark ping

N=10000000
want=$(bytes_pattern "$N" | sha256sum | cut -d' ' -f1)
URL="http://[$STACK6]"

start_serve --http 80 --msl 1
serve_has_ipv6

# --- the status page, /stats, 404 ----------------------------------------------------------
page=$(inns timeout 10 curl -6 -sS "$URL/") || fail "curl -6 / failed"
echo "$page" | grep -q "synack serve on tun0: .*$STACK6/64" || fail "status page: $page"
stats=$(stats6)
[ "$(stat_of conn_established "$stats")" -ge 1 ] || fail "/stats over IPv6: $stats"
code=$(inns timeout 10 curl -6 -s -o /dev/null -w '%{http_code}' "$URL/nothing")
[ "$code" = 404 ] || fail "/nothing gave $code"
echo "ok   status page, /stats and 404 over IPv6"

# --- /bytes/10000000, sha256-checked --------------------------------------------------------
sum_of() { sha256sum "$1" | cut -d' ' -f1; }
inns timeout 30 curl -6 -sS -o "$WORK/b" "$URL/bytes/$N" || fail "curl -6 /bytes/$N failed"
[ "$(sum_of "$WORK/b")" = "$want" ] || fail "/bytes/$N over IPv6: wrong body"
echo "ok   /bytes/$N over IPv6, sha256 right"

args=()
for i in $(seq 20); do args+=(-o "$WORK/k$i" "$URL/bytes/$N"); done
out=$(inns timeout 120 curl -6 -sS -w '%{num_connects}\n' "${args[@]}") || fail "kept-alive curl failed"
conns=$(echo "$out" | awk '{ s += $1 } END { print s }')
[ "$conns" = 1 ] || fail "20 requests took $conns connections, want 1 (keep-alive)"
for i in $(seq 20); do
    [ "$(sum_of "$WORK/k$i")" = "$want" ] || fail "kept-alive body $i is wrong"
done
rm -f "$WORK"/k*
echo "ok   20 x /bytes/$N on one IPv6 connection, each sha256 right"

for i in $(seq 20); do
    inns timeout 30 curl -6 -sS -H 'Connection: close' -o "$WORK/c" "$URL/bytes/$N" ||
        fail "curl $i (Connection: close) failed"
    [ "$(sum_of "$WORK/c")" = "$want" ] || fail "body $i (Connection: close) is wrong"
done
echo "ok   20 x /bytes/$N on new IPv6 connections, synack closing first, each sha256 right"
# synack closed those first: TIME-WAIT (2 * MSL = 2 s) holds them, then nothing is left
stats=$(stats6)
echo "$stats" | grep -q '"TIME-WAIT":[1-9]' || fail "no TIME-WAIT after synack's closes: $stats"
sleep 3
stats=$(inns timeout 10 curl -6 -s -H 'Connection: close' "$URL/stats")
tw=$(echo "$stats" | sed -n 's/.*"TIME-WAIT":\([0-9]*\).*/\1/p')
[ "${tw:-9}" -le 1 ] || fail "TIME-WAIT did not expire: $stats"
echo "ok   TIME-WAIT held, then expired"

# --- throughput of each family in the same run ----------------------------------------------
BIG=200000000
r4=$(inns timeout 60 curl -4 -sS -o /dev/null -w '%{size_download} %{speed_download}' \
    "http://$STACK/bytes/$BIG") || fail "curl -4 /bytes/$BIG failed"
r6=$(inns timeout 60 curl -6 -sS -o /dev/null -w '%{size_download} %{speed_download}' \
    "$URL/bytes/$BIG") || fail "curl -6 /bytes/$BIG failed"
if [ "${r4%% *}" != "$BIG" ] || [ "${r6%% *}" != "$BIG" ]; then fail "short transfers: '$r4' '$r6'"; fi
echo "$r4 $r6" | awk '{ printf "throughput: /bytes/%d over IPv4 %.0f MB/s, over IPv6 %.0f MB/s\n", $1, $2 / 1e6, $4 / 1e6 }'
stop_serve

# --- the capture, the ladder and the live view, over IPv6 -----------------------------------
start_serve --http 80 --pcap "$WORK/serve.pcap" --trace --msl 1
serve_has_ipv6
inns timeout 6 curl -6 -sN "$URL/events" >"$WORK/events.txt" 2>&1 &
EVPID=$!
PIDS+=("$EVPID")
sleep 1
port=$(inns timeout 10 curl -6 -s -o "$WORK/b" -w '%{local_port}' "$URL/bytes/100000") ||
    fail "curl -6 /bytes/100000 failed"
cmp <(bytes_pattern 100000) "$WORK/b" || fail "/bytes/100000 is not the pattern"
inns timeout 10 ping -6 -c 3 -i 0.2 -W 2 "$STACK6" >"$WORK/ping.txt" || fail "ping -6: $(cat "$WORK/ping.txt")"
wait "$EVPID"
grep -q "\"client\":\"\[$HOST6\]:$port\"" "$WORK/events.txt" ||
    fail "/events does not show the IPv6 client [$HOST6]:$port: $(head -c 600 "$WORK/events.txt")"
grep -q "^event: row" "$WORK/events.txt" || fail "/events drew no ladder rows"
echo "ok   /events (read over IPv6) shows [$HOST6]:$port and its ladder"
stop_serve
grep -q "$HOST6" "$WORK/serve.log" || fail "--trace drew no ladder naming $HOST6"
grep -q "SYN" "$WORK/serve.log" || fail "--trace drew no SYN"
echo "ok   --trace drew the IPv6 ladder"
check_capture6 "$WORK/serve.pcap"
n6=$(awk -F'\t' '$2 == 6 && $4 != ""' "$WORK/fields" | wc -l)
# 100,000 bytes are 70 full-sized segments, or, with serve's offloads (TSO and GRO across
# the device: the capture holds super-segments as they crossed it), a few of up to 64 KiB.
min6=50
grep -q "^synack serve: offload: csum" "$WORK/serve.log" && min6=10
[ "$n6" -gt $min6 ] || fail "only $n6 IPv6 TCP packets in the capture"
awk -F'\t' '$2 == 6 && $3 == "'"$STACK6"'" && $11 == 129' "$WORK/fields" | grep -q . ||
    fail "no ICMPv6 echo reply from $STACK6 in the capture"
echo "ok   the capture: $n6 IPv6 TCP packets and synack's echo replies"
echo "PASS"
