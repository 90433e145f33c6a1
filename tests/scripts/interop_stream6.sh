#!/usr/bin/env bash
# interop_stream6.sh - the kernel's socat against synack serve's echo and HTTP over IPv6,
# and over both families at once, in a network namespace of its own (interop_common.bash,
# lib/ipv6.bash):
#   - echo: 16 MiB of random data through [fd00:7::2]:7 comes back byte-exact
#   - both at once: 16 MiB echo over IPv4 and 16 MiB echo over IPv6, plus /bytes/10000000
#     fetched by curl -4 and curl -6, all four running together through the one stack; each
#     byte-exact, and /stats counts the connections of both families
# The throughput each saw is printed.
source "$(dirname "$0")/interop_common.bash"
source "$(dirname "$0")/lib/ipv6.bash"
need socat curl head

start_serve --echo 7 --http 80
serve_has_ipv6
head -c $((16 << 20)) /dev/urandom >"$WORK/data"
mbps() { awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN { printf "%.1f", m * 1.048576 / (b - a) }'; }

t0=$(date +%s.%N)
inns timeout 90 socat -b 65536 -t 10 - "TCP6:[$STACK6]:7" <"$WORK/data" >"$WORK/echoed" ||
    fail "echo over IPv6: socat failed"
t1=$(date +%s.%N)
cmp "$WORK/data" "$WORK/echoed" || fail "echo over IPv6: 16 MiB did not come back byte-exact"
echo "echo over IPv6: 16 MiB byte-exact, $(mbps "$t0" "$t1" 16) MB/s each way"

# --- both families at once --------------------------------------------------------------------
N=10000000
head -c $((16 << 20)) /dev/urandom >"$WORK/data4"
t0=$(date +%s.%N)
# Each echo's input stays open after its data until the watcher below has seen both
# connections at once (at most 10 s): with the TUN offloads 16 MiB takes well under the
# watcher's first look, and two transfers that merely ran one after the other would not show
# the stack serving both families together.
hold() { # FILE: its bytes, then wait for $WORK/go
    cat "$1"
    for _ in $(seq 200); do [ -e "$WORK/go" ] && break; sleep 0.05; done
}
inns timeout 120 socat -b 65536 -t 10 - "TCP4:$STACK:7" < <(hold "$WORK/data4") >"$WORK/echo4" &
p1=$!
inns timeout 120 socat -b 65536 -t 10 - "TCP6:[$STACK6]:7" < <(hold "$WORK/data") >"$WORK/echo6" &
p2=$!
inns timeout 120 curl -4 -sS -o "$WORK/http4" "http://$STACK/bytes/$N" &
p3=$!
inns timeout 120 curl -6 -sS -o "$WORK/http6" "http://[$STACK6]/bytes/$N" &
p4=$!
PIDS+=("$p1" "$p2" "$p3" "$p4")
# watch that the four really overlap: while they run, serve holds connections of both families
overlap=""
for _ in $(seq 100); do
    kill -0 "$p1" 2>/dev/null || kill -0 "$p2" 2>/dev/null || break
    kill -USR1 "$SERVE_PID"
    sleep 0.2
    c4=$(grep -c "^conn echo $HOST:" "$WORK/serve.log")
    c6=$(grep -c "^conn echo \[$HOST6\]:" "$WORK/serve.log")
    if [ "$c4" -gt 0 ] && [ "$c6" -gt 0 ]; then overlap=yes; break; fi
done
touch "$WORK/go"
rc=0
for p in "$p1" "$p2" "$p3" "$p4"; do wait "$p" || rc=$?; done
t1=$(date +%s.%N)
[ "$rc" = 0 ] || fail "a transfer of the four failed ($rc)"
cmp "$WORK/data4" "$WORK/echo4" || fail "both at once: the IPv4 echo is not byte-exact"
cmp "$WORK/data" "$WORK/echo6" || fail "both at once: the IPv6 echo is not byte-exact"
cmp <(bytes_pattern "$N") "$WORK/http4" || fail "both at once: the IPv4 /bytes body is wrong"
cmp <(bytes_pattern "$N") "$WORK/http6" || fail "both at once: the IPv6 /bytes body is wrong"
[ -n "$overlap" ] || fail "serve never held an IPv4 and an IPv6 echo connection at once"
echo "both at once: 16 MiB echo over IPv4 and IPv6, /bytes/$N over each, all byte-exact" \
    "($(mbps "$t0" "$t1" $((2 * 16 + 2 * 10))) MB/s together)"
stats=$(stats6)
[ "$(stat_of conn_opened_passive "$stats")" -ge 5 ] || fail "/stats: $stats"

stop_serve
echo "PASS"
