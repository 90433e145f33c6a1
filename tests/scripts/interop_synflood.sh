#!/usr/bin/env bash
# interop_synflood.sh - a SYN flood from forged sources against `synack serve --http 80`,
# while the kernel's curl keeps connecting (RFC 4987 §3.6, SYN cookies):
#   - hping3 sends SYNs from random source addresses, one per 100 us (hping3's pacing gives
#     ~6,000/s here), into synack's TUN device from before curl's first connection until
#     its last is done (bounded: 1,000,000 SYNs, 240 s), so that every curl meets the flood
#     however slowly a loaded machine runs them. The namespace has no default route and no link but lo and tun0:
#     synack's SYN-ACKs to the forged sources go back into the namespace's kernel, which has
#     no route for them (and does not forward) and drops them.
#   - meanwhile curl makes 300 connections for / one after another (--max-time 3 each;
#     bounded: 180 s in all); >= 99% must succeed. time_connect p50/p99 are printed. The
#     first starts once synack answers SYNs with cookies (/stats), not after a fixed sleep.
#   - serve's peak resident memory (VmHWM) stays under a bound: 64 MB, or 192 MB with ASan,
#     whose freed-memory quarantine is cut to 1 MB here (its default 256 MB would measure
#     ASan, not serve: the live view's per-connection state is freed and made again for
#     every forged SYN, bounded by --live-conns).
#   - syn_cookies_sent and syn_cookies_accepted moved (/stats).
#   - tcpdump on tun0 records the SYNs and SYN-ACKs of curl's address (10.7.0.1); tshark
#     checks that every SYN-ACK to it carried window scale and SACK-permitted: the cookie
#     connections keep their options (the kernel offers timestamps, which carry them).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
source "$(dirname "$0")/interop_common.bash"
need curl hping3 tcpdump tshark

FLOOD_SYNS=1000000
FLOOD_SECONDS=240
CURLS=300
CURL_SECONDS=180
if grep -qa __asan_init "$SYNACK"; then MEM_LIMIT_KB=$((192 * 1024)); else MEM_LIMIT_KB=$((64 * 1024)); fi

start_serve --http 80 --msl 1
URL="http://$STACK"

# --- the namespace is closed: nothing synack answers to a forged source can leave it ------
inns sysctl -qw net.ipv4.ip_forward=0 || fail "cannot turn forwarding off"
links=$(inns ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' ')
[ "$links" = "lo tun0 " ] || fail "the namespace has links other than lo and tun0: $links"
routes=$(inns ip -4 route show table all | grep -v '^local \|^broadcast ')
[ "$routes" = "10.7.0.0/24 dev tun0 proto kernel scope link src $HOST " ] ||
    [ "$routes" = "10.7.0.0/24 dev tun0 proto kernel scope link src $HOST" ] ||
    fail "the namespace has routes other than the on-link 10.7.0.0/24: $routes"
echo "namespace: links $links; routes: $routes"

inns timeout 10 curl -sSf -o /dev/null "$URL/" || fail "GET / failed before the flood"
field() { echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
js0=$(stats_json) || fail "/stats failed before the flood"
hwm0=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVE_PID/status")

# --- capture: SYNs and SYN-ACKs of curl's address only, bounded in count and time --------
ip netns exec "$NS" timeout $((FLOOD_SECONDS + 30)) tcpdump -i tun0 -n -U --immediate-mode -B 32768 -c 5000 -w "$WORK/syn.pcap" \
    "host $HOST and tcp port 80 and tcp[tcpflags] & tcp-syn != 0" 2>"$WORK/tcpdump.err" &
PIDS+=("$!")
for _ in $(seq 50); do
    grep -q "listening on" "$WORK/tcpdump.err" && break
    sleep 0.1
done
grep -q "listening on" "$WORK/tcpdump.err" || fail "tcpdump did not start: $(cat "$WORK/tcpdump.err")"

# --- the flood -----------------------------------------------------------------------------
# Not through inns: $! must be timeout's own PID, which passes a SIGTERM on to hping3 (and
# hping3 then prints its count).
ip netns exec "$NS" timeout "$FLOOD_SECONDS" hping3 -q -S --rand-source -p 80 -i u100 \
    -c "$FLOOD_SYNS" "$STACK" >"$WORK/hping.out" 2>&1 &
HPING_PID=$!
PIDS+=("$HPING_PID")
# The flood lasts at least 5 s (about 50,000 SYNs at hping3's pace), however fast the curls
# below are done on a quiet machine: the check of its count must not depend on their speed.
flood_min_end=$(($(date +%s) + 5))
# The flood is on once synack answers with cookies: its SYN queue is full of forged
# half-open connections (bounded: 30 s).
cookies0=$(field "$js0" syn_cookies_sent)
cookies=$cookies0
t_end=$(($(date +%s) + 30))
while [ "$(date +%s)" -lt "$t_end" ]; do
    cookies=$(field "$(stats_json)" syn_cookies_sent)
    [ "${cookies:-0}" -gt "$cookies0" ] && break
    kill -0 "$HPING_PID" 2>/dev/null || fail "hping3 ended: $(cat "$WORK/hping.out")"
    sleep 0.5
done
[ "${cookies:-0}" -gt "$cookies0" ] || fail "no SYN cookie sent after 30 s of flood"

# --- curl, one connection after another, during the flood (bounded: 300, and 180 s) -------
t_end=$(($(date +%s) + CURL_SECONDS))
during=0
for _ in $(seq "$CURLS"); do
    [ "$(date +%s)" -lt "$t_end" ] || break
    kill -0 "$HPING_PID" 2>/dev/null && during=$((during + 1))
    inns curl -s -o /dev/null --max-time 3 -w '%{http_code} %{time_connect}\n' "$URL/" \
        >>"$WORK/curl.out" 2>/dev/null || echo "fail -" >>"$WORK/curl.out"
done
while [ "$(date +%s)" -lt "$flood_min_end" ] && kill -0 "$HPING_PID" 2>/dev/null; do
    sleep 0.2
done
kill -0 "$HPING_PID" 2>/dev/null && kill -TERM "$HPING_PID" # the curls are done: so is the flood
wait "$HPING_PID"
hping_rc=$?
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$WORK/hping.out")
echo "hping3: ${sent:-?} forged SYNs sent (exit $hping_rc); $during of $CURLS curls ran during the flood"
[ "${sent:-0}" -ge 10000 ] || fail "hping3 sent ${sent:-no} SYNs: $(cat "$WORK/hping.out")"
[ "$during" -ge $((CURLS / 2)) ] || fail "only $during curls ran during the flood"

total=$(grep -c . "$WORK/curl.out")
ok=$(awk '$1 == 200' "$WORK/curl.out" | wc -l)
read -r p50 p99 < <(awk '$1 == 200 { print $2 * 1000 }' "$WORK/curl.out" | sort -n |
    awk '{ v[NR] = $1 } END { i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5)
        if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1; printf "%.2f %.2f\n", v[i50], v[i99] }')
echo "curl: $ok of $total succeeded ($(awk -v a="$ok" -v b="$total" 'BEGIN { printf "%.1f", 100 * a / b }')%);" \
    "time_connect p50 ${p50} ms, p99 ${p99} ms"
[ "$total" = "$CURLS" ] || fail "only $total of $CURLS curls ran within $CURL_SECONDS s"
[ $((ok * 100)) -ge $((total * 99)) ] || fail "only $ok of $total curls succeeded during the flood"

# --- memory and counters -------------------------------------------------------------------
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVE_PID/status")
echo "serve VmHWM: $((hwm0 / 1024)) MB before the flood, $((hwm / 1024)) MB peak (bound $((MEM_LIMIT_KB / 1024)) MB)"
[ "$hwm" -le "$MEM_LIMIT_KB" ] || fail "serve's peak memory $hwm kB is over $MEM_LIMIT_KB kB"
js=$(stats_json) || fail "/stats failed after the flood"
for c in syn_cookies_sent syn_cookies_accepted syn_cookies_failed syn_cookies_table_full syn_cookies_no_room; do
    printf '%s %s -> %s; ' "$c" "$(field "$js0" "$c")" "$(field "$js" "$c")"
done
echo
cs=$(($(field "$js" syn_cookies_sent) - $(field "$js0" syn_cookies_sent)))
ca=$(($(field "$js" syn_cookies_accepted) - $(field "$js0" syn_cookies_accepted)))
[ "$cs" -ge $((sent / 2)) ] || fail "only $cs SYN cookies sent for $sent forged SYNs"
# The forged half-open connections hold the SYN queue for the whole flood: curl's
# connections during it come in by cookie.
[ "$ca" -ge $((during * 9 / 10)) ] || fail "only $ca cookies accepted for $during curls in the flood"

# --- options of the SYN-ACKs to curl -------------------------------------------------------
sleep 1
for p in "${PIDS[@]}"; do [ "$p" = "$SERVE_PID" ] || kill "$p" 2>/dev/null; done
for _ in $(seq 30); do
    grep -q "dropped by kernel" "$WORK/tcpdump.err" && break
    sleep 0.1
done
echo "tcpdump: $(grep -h "captured\|dropped" "$WORK/tcpdump.err" | tr '\n' ' ')"
tshark -r "$WORK/syn.pcap" -T fields -e ip.src -e ip.dst -e tcp.flags.ack \
    -e tcp.options.wscale.shift -e tcp.options.sack_perm -e tcp.options.timestamp.tsval \
    >"$WORK/syn.fields" 2>"$WORK/tshark.err" || fail "tshark: $(cat "$WORK/tshark.err")"
synacks=$(awk -F'\t' -v s="$STACK" -v h="$HOST" '$1 == s && $2 == h && $3 == 1' "$WORK/syn.fields" | wc -l)
full=$(awk -F'\t' -v s="$STACK" -v h="$HOST" '$1 == s && $2 == h && $3 == 1 && $4 != "" && $5 != "" && $6 != ""' \
    "$WORK/syn.fields" | wc -l)
syns=$(awk -F'\t' -v h="$HOST" '$1 == h && $3 == 0 && $4 != "" && $5 != "" && $6 != ""' "$WORK/syn.fields" | wc -l)
echo "capture: curl sent $syns SYNs offering wscale+SACK+timestamps; $full of $synacks SYN-ACKs to" \
    "$HOST carry wscale+SACK-permitted+timestamps"
# Under the flood tcpdump may lose a few packets ("dropped by kernel"): those are allowed for.
lost=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$WORK/tcpdump.err")
[ $((synacks + ${lost:-0})) -ge "$ok" ] ||
    fail "only $synacks SYN-ACKs to $HOST captured (tcpdump lost ${lost:-0}) for $ok connections"
[ "$full" = "$synacks" ] || fail "$((synacks - full)) SYN-ACKs to $HOST lack wscale or SACK-permitted"

stop_serve
echo "PASS"
