#!/usr/bin/env bash
# interop_http.sh - the kernel's curl against `synack serve --http` on a TUN device, in a
# network namespace of its own (interop_common.bash):
#   - GET / (status page) and /stats (JSON); HEAD; 404; 400 for a malformed request
#   - /bytes/10000000, sha256 checked against the documented pattern, 200 times in a row on
#     one kept-alive connection, then 200 times each on a new connection with
#     `Connection: close` (synack closes first and holds TIME-WAIT): all succeed, and
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

# --- /bytes/10000000, 200 times on one connection and 200 times on new connections ------
# Every body goes to one stream whose sha256 must be that of the documented pattern 200
# times over: each of the 400 responses is checked byte for byte, in order.
want=$(for i in $(seq 200); do bytes_pattern 10000000; done | sha256sum | cut -d' ' -f1)
for i in $(seq 200); do printf 'url = "%s/bytes/10000000"\noutput = "-"\n' "$URL"; done >"$WORK/urls"
for mode in keep-alive close; do
    hdr=()
    [ $mode = close ] && hdr=(-H 'Connection: close')
    t0=$(date +%s.%N)
    got=$(inns timeout 300 curl -sS "${hdr[@]}" -K "$WORK/urls" \
        -w '%{stderr}%{http_code} %{num_connects} %{size_download}\n' 2>"$WORK/$mode" |
        sha256sum | cut -d' ' -f1)
    t1=$(date +%s.%N)
    ok=$(awk '$1 == 200 && $3 == 10000000' "$WORK/$mode" | wc -l)
    conns=$(awk '{ s += $2 } END { print s }' "$WORK/$mode")
    [ "$ok" = 200 ] || fail "$mode: $ok of 200 requests for /bytes/10000000 succeeded"
    [ "$got" = "$want" ] || fail "$mode: the 200 bodies' sha256 is $got, want $want"
    if [ $mode = keep-alive ]; then
        [ "$conns" = 1 ] || fail "keep-alive: $conns connections were opened, not 1"
    else
        [ "$conns" = 200 ] || fail "close: $conns connections were opened, not 200"
    fi
    echo "/bytes/10000000 x200 ($mode, $conns connection(s)): sha256 ok," \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f MB/s, %.1f requests/s", 2000 / (b - a), 200 / (b - a) }')"
done

# Left over: TIME-WAIT (synack closed first), and the connection asking for /stats.
js=$(stats_json)
tw=$(echo "$js" | sed -n 's/.*"TIME-WAIT":\([0-9]*\).*/\1/p')
others=$(echo "$js" | sed 's/.*"sockets_by_state":{//' | tr ',' '\n' |
    grep -v '"LISTEN"\|"TIME-WAIT"\|"CLOSED"\|"ESTABLISHED":[01]\b' | grep -v ':0' | tr '\n' ' ')
# The earliest of the 200 closed connections have already left TIME-WAIT (2*MSL = 2 s), the
# latest are still in it: synack closed first.
[ "${tw:-0}" -ge 1 ] || fail "expected TIME-WAIT connections after the close run, stats: $js"
[ -z "$others" ] || fail "connections left in other states: $others"
sleep 3 # 2*MSL with --msl 1
tw=$(stats_json | sed -n 's/.*"TIME-WAIT":\([0-9]*\).*/\1/p')
[ "$tw" = 0 ] || fail "TIME-WAIT did not expire: $tw left"
echo "afterwards: only TIME-WAIT connections, expired after 2*MSL"

stop_serve
echo "PASS"
