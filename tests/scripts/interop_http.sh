#!/usr/bin/env bash
# interop_http.sh - the kernel's curl against `synack serve --http` on a TUN device, in a
# network namespace of its own (interop_common.bash):
#   - GET / (status page) and /stats (JSON); HEAD; 404; 400 for a malformed request
#   - /bytes/10000000, sha256 checked against the documented pattern, with keep-alive and on
#     new connections; the throughput curl saw is printed
#   - 200 requests on one kept-alive connection, then 200 requests each on a new connection
#     with `Connection: close` (synack closes first and holds TIME-WAIT): all succeed, and
#     afterwards no connection is left but TIME-WAIT ones, which expire (--msl 1: 2 s)
#   - SIGTERM: serve closes and exits 0
source "$(dirname "$0")/interop_common.bash"
need curl

start_serve --http 80 --msl 1
URL="http://$STACK"

# --- pages --------------------------------------------------------------------------------
page=$(inns timeout 10 curl -sS -f "$URL/") || fail "GET / failed"
echo "$page" | grep -q "segments_in" || fail "status page has no counters: $page"
stats_json | grep -q '"sockets_by_state":{' || fail "/stats is not the JSON expected"
code=$(inns timeout 10 curl -s -o /dev/null -w '%{http_code}' "$URL/nowhere")
[ "$code" = 404 ] || fail "GET /nowhere gave $code, not 404"
head=$(inns timeout 10 curl -sS -I "$URL/bytes/12345") || fail "HEAD failed"
echo "$head" | grep -qi '^content-length: 12345' || fail "HEAD has no Content-Length 12345: $head"
if command -v nc >/dev/null 2>&1; then
    bad=$(printf 'GET /\r\n\r\n' | inns timeout 5 nc -q 2 "$STACK" 80 2>/dev/null | head -1)
    case "$bad" in "HTTP/1.1 400"*) ;; *) fail "a malformed request got '$bad', not 400" ;; esac
    old=$(printf 'GET /bytes/5 HTTP/1.0\r\n\r\n' | inns timeout 5 nc -q 2 "$STACK" 80 | tail -c 5)
    [ "$old" = "00000" ] || fail "HTTP/1.0 request: body '$old'"
fi

# --- 10 MB bodies, sha256 checked -----------------------------------------------------------
want=$(bytes_pattern 10000000 | sha256sum | cut -d' ' -f1)
for mode in keep-alive close; do
    hdr=()
    [ $mode = close ] && hdr=(-H 'Connection: close')
    : >"$WORK/speeds"
    for i in 1 2 3; do
        inns timeout 30 curl -sS "${hdr[@]}" -o "$WORK/body" -w '%{speed_download}\n' \
            "$URL/bytes/10000000" >>"$WORK/speeds" || fail "GET /bytes/10000000 ($mode) failed"
        got=$(sha256sum <"$WORK/body" | cut -d' ' -f1)
        [ "$got" = "$want" ] || fail "/bytes/10000000 ($mode): sha256 $got, want $want"
    done
    echo "/bytes/10000000 x3 ($mode): sha256 ok, curl saw $(awk '{ s += $1 } END { printf "%.1f", s / NR / 1e6 }' "$WORK/speeds") MB/s"
done

# --- 200 requests on one connection, then 200 on new connections -------------------------
for i in $(seq 200); do printf 'url = "%s/bytes/%d"\noutput = "/dev/null"\n' "$URL" $((1000 + i)); done >"$WORK/urls"
t0=$(date +%s.%N)
inns timeout 60 curl -sS -K "$WORK/urls" -w '%{http_code} %{num_connects} %{size_download}\n' \
    >"$WORK/keepalive" || fail "keep-alive run failed"
t1=$(date +%s.%N)
ok=$(awk '$1 == 200 && $3 == 1000 + NR' "$WORK/keepalive" | wc -l)
conns=$(awk '{ s += $2 } END { print s }' "$WORK/keepalive")
[ "$ok" = 200 ] || fail "keep-alive: $ok of 200 requests succeeded"
[ "$conns" = 1 ] || fail "keep-alive: $conns connections were opened, not 1"
echo "200 requests on one connection: all ok, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 200 / (b - a) }') requests/s"

t0=$(date +%s.%N)
inns timeout 60 curl -sS -H 'Connection: close' -K "$WORK/urls" \
    -w '%{http_code} %{num_connects} %{size_download}\n' >"$WORK/close" || fail "new-connection run failed"
t1=$(date +%s.%N)
ok=$(awk '$1 == 200 && $2 == 1 && $3 == 1000 + NR' "$WORK/close" | wc -l)
[ "$ok" = 200 ] || fail "new connections: $ok of 200 requests succeeded on a fresh connection"
echo "200 requests on new connections: all ok, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 200 / (b - a) }') connections/s"

# Left over: TIME-WAIT (synack closed first), and the connection asking for /stats.
js=$(stats_json)
tw=$(echo "$js" | sed -n 's/.*"TIME-WAIT":\([0-9]*\).*/\1/p')
others=$(echo "$js" | sed 's/.*"sockets_by_state":{//' | tr ',' '\n' |
    grep -v '"LISTEN"\|"TIME-WAIT"\|"CLOSED"\|"ESTABLISHED":[01]\b' | grep -v ':0' | tr '\n' ' ')
[ "${tw:-0}" -ge 200 ] || fail "expected >= 200 TIME-WAIT connections, stats: $js"
[ -z "$others" ] || fail "connections left in other states: $others"
sleep 3 # 2*MSL with --msl 1
tw=$(stats_json | sed -n 's/.*"TIME-WAIT":\([0-9]*\).*/\1/p')
[ "$tw" = 0 ] || fail "TIME-WAIT did not expire: $tw left"
echo "afterwards: only TIME-WAIT connections, expired after 2*MSL"

stop_serve
echo "PASS"
