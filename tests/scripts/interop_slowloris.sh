#!/usr/bin/env bash
# interop_slowloris.sh - `synack serve` keeps serving while slow clients try to hold every
# connection slot (interop_common.bash: its own namespace, a TUN device, cleanup on exit).
# The load is tests/scripts/lib/slowloris.c, compiled here: one process, poll() over all its
# connections, bounded in count and time, stopping by itself.
#   1. a mix of 400 connections sending a request head one byte a second and 200 sending
#      nothing, each reopened a second after the server closes it, against an HTTP service
#      limited to 200 connections: fresh curls are answered within seconds (the oldest
#      connection waiting for its head is evicted for each), and echo, a service of its
#      own, answers too
#   2. the timeouts, without reconnecting: 50 trickling heads get 408 after the header
#      timeout (3 s); 50 kept-alive connections are closed after the idle timeout (4 s);
#      20 silent echo connections after theirs (5 s); a client that stops reading a
#      large response is reset after 4 s without progress
#   3. the counters (evictions, each timeout) in /stats and in SIGUSR1's dump
#   4. (with tshark) TCP keepalive: a silent echo connection under keepalive=1 is probed
# The whole test takes about 30 s.
# SLOWLORIS_LIMITS replaces serve's limit options (to watch a server without them fail).
source "$(dirname "$0")/interop_common.bash"
need curl nc
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip "no C compiler for the load helper"
"$CC" -O2 -o "$WORK/slowloris" "$(dirname "$0")/lib/slowloris.c" 2>"$WORK/cc.log" ||
    skip "cannot compile the load helper: $(cat "$WORK/cc.log")"

LIMITS=${SLOWLORIS_LIMITS-"--max-conns-per-service 200 --header-timeout 3 --http-idle-timeout 4 --echo 7,idle-timeout=5 --keepalive"}
# shellcheck disable=SC2086 # LIMITS is a list of options
start_serve --http 80 --msl 1 $LIMITS
URL="http://$STACK"

# load NAME PORT N SECONDS MODE RECONNECT: the helper in the background, its summary in
# $WORK/NAME.
load() {
    local name=$1
    shift
    ip netns exec "$NS" "$WORK/slowloris" "$STACK" "$@" >"$WORK/$name" 2>&1 &
    PIDS+=($!)
}
# field NAME KEY: a number from the helper's summary line
field() { sed -n "s/.* $2 \([0-9.]*\).*/\1/p; s/^$2 \([0-9.]*\).*/\1/p" "$WORK/$1" | head -1; }
# counter SERVICE KEY: a number from /stats' "serve" member, e.g. counter http:80 evicted
counter() {
    echo "$JS" | sed -n "s/.*\"$1\":{\([^}]*\)}.*/\1/p" | tr ',' '\n' |
        sed -n "s/^\"$2\":\([0-9]*\)$/\1/p"
}
# fresh LABEL: one curl on a new connection must get 200 within 5 s; its time in $T
fresh() {
    local out
    out=$(inns timeout 10 curl -sS -m 5 -o /dev/null -w '%{http_code} %{time_total}' \
        "$URL/" 2>&1)
    [ "${out%% *}" = 200 ] || fail "$1: a fresh curl got '$out'"
    T=${out##* }
}

# --- 1. 600 slow connections against 200 slots ------------------------------------------------
load trickle 80 400 12 trickle 1
load idle 80 200 12 idle 1
sleep 3
times=()
for i in $(seq 5); do
    fresh "attack, curl $i"
    times+=("$T")
    sleep 1.2
done
JS=$(stats_json)
open=$(counter http:80 conns)
echo "during the attack: http holds $open connections (limit 200), evicted $(counter http:80 evicted)"
[ "${open:-0}" -ge 150 ] || fail "the attack did not fill the service: $open connections"
got=$(echo "still here" | inns timeout 5 nc -q 1 "$STACK" 7)
[ "$got" = "still here" ] || fail "echo did not answer during the attack: '$got'"
wait "${PIDS[-1]}" "${PIDS[-2]}"
echo "trickle: $(cat "$WORK/trickle")"
echo "idle:    $(cat "$WORK/idle")"
echo "5 fresh curls during the attack: ${times[*]} s"
[ "$(field trickle closed)" -gt 100 ] || fail "the trickling connections were not evicted"

# --- 2. the timeouts ---------------------------------------------------------------------------
sleep 1
JS=$(stats_json)
h408=$(counter http:80 header_timeouts)
hidle=$(counter http:80 idle_timeouts)
eidle=$(counter echo:7 idle_timeouts)
stall=$(counter http:80 stall_timeouts)
load head 80 50 7 trickle 0
load keep 80 50 7 keep 0
load quiet 7 20 7.5 idle 0
load stall 80 1 7 stall 0
sleep 1
fresh "timeouts"
wait "${PIDS[-1]}" "${PIDS[-2]}" "${PIDS[-3]}" "${PIDS[-4]}"
for n in head keep quiet; do echo "$n: $(cat "$WORK/$n")"; done
[ "$(field head got408)" = 50 ] || fail "50 slow heads should have got 408: $(cat "$WORK/head")"
awk '$16 < 2.5 || $18 > 4.5 { exit 1 }' "$WORK/head" || fail "408 not after 3 s"
[ "$(field keep closed)" = 50 ] || fail "50 idle kept-alive connections should be closed"
awk '$16 < 3.5 || $18 > 5.5 { exit 1 }' "$WORK/keep" || fail "idle close not after 4 s"
[ "$(field quiet closed)" = 20 ] || fail "20 idle echo connections should be closed"
awk '$16 < 4.5 || $18 > 6.5 { exit 1 }' "$WORK/quiet" || fail "echo idle close not after 5 s"

# --- 3. counters --------------------------------------------------------------------------------
JS=$(stats_json)
d408=$(($(counter http:80 header_timeouts) - h408))
didle=$(($(counter http:80 idle_timeouts) - hidle))
decho=$(($(counter echo:7 idle_timeouts) - eidle))
dstall=$(($(counter http:80 stall_timeouts) - stall))
echo "counters: header_timeouts +$d408, idle_timeouts +$didle, echo idle_timeouts +$decho," \
    "stall_timeouts +$dstall, evicted $(counter http:80 evicted)," \
    "refused_service_limit $(counter http:80 refused_service_limit)"
[ "$d408" -ge 50 ] || fail "header_timeouts moved by $d408"
[ "$didle" -ge 50 ] || fail "idle_timeouts moved by $didle"
[ "$decho" -ge 20 ] || fail "echo's idle_timeouts moved by $decho"
[ "$dstall" -ge 1 ] || fail "a client not reading was not reset (stall_timeouts $dstall)"
kill -USR1 "$SERVE_PID"
sleep 0.5
grep -q "^service http .*evicted [1-9].*timeouts: header [1-9]" "$WORK/serve.log" ||
    fail "SIGUSR1's dump has no limit counters"

stop_serve

# --- 4. TCP keepalive on a service --------------------------------------------------------------
# A silent echo connection under keepalive=1: synack probes it after 1 s (seen in a capture).
if command -v tshark >/dev/null 2>&1; then
    start_serve --echo 7,keepalive=1 --pcap "$WORK/ka.pcap"
    (sleep 2.5) | inns timeout 5 nc -q 1 "$STACK" 7 >/dev/null
    stop_serve
    probes=$(tshark -r "$WORK/ka.pcap" -Y 'tcp.analysis.keep_alive && ip.src == 10.7.0.2' \
        2>/dev/null | wc -l)
    [ "$probes" -ge 1 ] || fail "no keepalive probe from synack within 2.5 s of silence"
    echo "keepalive=1: $probes probe(s) in 2.5 s of silence"
fi
echo "PASS"
