#!/usr/bin/env bash
# interop_pmtud.sh - Path MTU discovery (RFC 1191) against a real Linux router: the
# kernel's curl fetches 16 MiB from `synack serve --http` through a namespace that forwards
# between synack's TUN device (MTU 1500) and a veth link of MTU 1280 toward the client.
#
#   client ns (curl)            router ns = the test's ns ($NS)          synack
#   vc 10.8.0.2/24, MTU 1500 == vr 10.8.0.1/24, MTU 1280 | tun0 10.7.0.1 == 10.7.0.2
#
# The client's link end says 1500, so its SYN offers an MSS of 1460 and nothing but Path
# MTU discovery can keep synack's segments under 1280: synack sends 1500-byte datagrams
# with DF, the router cannot forward them and answers "fragmentation needed, MTU 1280",
# synack lowers its MSS and resends. The body must arrive byte-exact, the capture on tun0
# must show the router's errors and synack's datagrams shrinking to fit, and synack's
# counters must show the path MTU lowered. Both namespaces are removed by name on exit.
source "$(dirname "$0")/interop_common.bash"
need curl tcpdump tshark

NSC="synack-pmtud-c-$$"
trap 'ip netns del "$NSC" 2>/dev/null; cleanup' EXIT
ip netns add "$NSC" || fail "cannot create the client namespace"
inc() { ip netns exec "$NSC" "$@"; }

# --no-offload: the capture on tun0 must show each segment as the router gets it (a
# super-segment is split by the router's kernel at synack's MSS, out of the capture's sight).
start_serve --http 80 --no-offload
inns ip link set tun0 mtu 1500 2>/dev/null
inns sysctl -qw net.ipv4.ip_forward=1 || fail "cannot enable forwarding in the router"
ip link add vr netns "$NS" type veth peer name vc netns "$NSC" || fail "cannot create the veth pair"
inns ip addr add 10.8.0.1/24 dev vr
inns ip link set vr mtu 1280 up
inc ip link set lo up
inc ip addr add 10.8.0.2/24 dev vc
inc ip link set vc mtu 1500 up
inc ip route add 10.7.0.0/24 via 10.8.0.1
inc sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
inns timeout 5 ping -c1 -W2 10.8.0.2 >/dev/null || fail "router cannot reach the client"

# The capture: headers only, on the router's side of the TUN device.
ip netns exec "$NS" tcpdump -i tun0 -s 96 -U -w "$WORK/tun.pcap" 2>"$WORK/tcpdump.log" &
PIDS+=("$!")
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.log" && break; sleep 0.1; done

N=$((16 << 20))
t0=$(date +%s.%N)
inc timeout 60 curl -sS -o "$WORK/body" "http://$STACK/bytes/$N" || fail "curl failed"
t1=$(date +%s.%N)
[ "$(wc -c <"$WORK/body")" = "$N" ] || fail "got $(wc -c <"$WORK/body") bytes, not $N"
cmp <(bytes_pattern "$N") "$WORK/body" || fail "the body is not the /bytes pattern"
echo "16 MiB through the 1280-byte hop, byte-exact, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 16 * 1.048576 / (b - a) }') MB/s"

stats=$(stats_json)
lowered=$(echo "$stats" | sed -n 's/.*"pmtu_lowered":\([0-9]*\).*/\1/p')
ignored=$(echo "$stats" | sed -n 's/.*"pmtu_ignored":\([0-9]*\).*/\1/p')
[ "${lowered:-0}" -ge 1 ] || fail "synack never lowered a path MTU: $stats"
echo "synack: path MTU lowered $lowered time(s), $ignored later report(s) ignored"

sleep 0.5
kill "${PIDS[-1]}" 2>/dev/null
wait "${PIDS[-1]}" 2>/dev/null
# Per frame: ICMP type/code/MTU, IP source, IP total length, TCP payload length, and the
# client's port: only the transfer's connection counts (the /stats fetches after it are
# new connections, which learn the path afresh).
tshark -r "$WORK/tun.pcap" -T fields -e icmp.type -e icmp.code -e icmp.mtu -e ip.src \
    -e ip.len -e tcp.len -e tcp.dstport -Y "icmp or (ip.src == $STACK and tcp.len > 0)" \
    >"$WORK/frames" 2>"$WORK/tshark.err" || fail "tshark: $(cat "$WORK/tshark.err")"
port=$(awk -F'\t' '$1 == "" { n[$7] += $6 } END { for (p in n) if (n[p] > m) { m = n[p]; b = p } print b }' \
    "$WORK/frames")
awk -F'\t' -v port="$port" '
    $1 == 3 && $2 == 4 { if (!n_icmp) { mtu = $3; first = data } n_icmp++ }
    $1 == "" && $7 == port { len[++data] = $6; if ($5 > 1280) { big++; if (n_icmp) big_after++ } }
    END {
        for (i = 1; i <= first; i++) if (len[i] > before) before = len[i]
        for (i = int(data / 2); i <= data; i++) if (len[i] > tail) tail = len[i]
        printf "%d %d %d %d %d %d %d\n", n_icmp, mtu, data, big, big_after, before, tail
    }
' "$WORK/frames" >"$WORK/summary"
read -r n_icmp mtu data big big_after mss_before mss_tail <"$WORK/summary"
echo "capture: $data data segments from synack, $n_icmp fragmentation-needed (MTU $mtu)," \
    "$big over 1280 bytes ($big_after after the first error); largest payload $mss_before" \
    "before the first error, $mss_tail in the second half of the transfer"
[ "$n_icmp" -ge 1 ] || fail "the router sent no fragmentation-needed message"
[ "$mtu" = 1280 ] || fail "the router reported MTU $mtu, not 1280"
[ "$mss_before" -gt 1240 ] || fail "synack never tried segments larger than the path ($mss_before)"
[ "$mss_tail" -le 1240 ] || fail "synack still sends $mss_tail-byte segments late in the transfer"
# What was already queued for the device when the error came may still go out at the old
# size, a window's worth at most; everything after that fits.
[ "$big_after" -le 64 ] || fail "$big_after datagrams over 1280 bytes after the first error"

# A black hole: the router's errors are filtered (as a misconfigured firewall does). A new
# connection starts at the full size again, times out twice, falls back to an MSS of 1024
# (tcp_pmtu.c, as Linux's tcp_mtu_probing=1) and completes.
if command -v iptables >/dev/null 2>&1 &&
    inns iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP 2>/dev/null; then
    N=$((4 << 20))
    inc timeout 60 curl -sS -o "$WORK/body" "http://$STACK/bytes/$N" || fail "black hole: curl failed"
    cmp <(bytes_pattern "$N") "$WORK/body" || fail "black hole: the body is not the /bytes pattern"
    stats=$(stats_json)
    holes=$(echo "$stats" | sed -n 's/.*"pmtu_blackholes":\([0-9]*\).*/\1/p')
    [ "${holes:-0}" -ge 1 ] || fail "black hole: synack never fell back to a smaller MSS"
    echo "black hole: 4 MiB byte-exact after $holes fallback(s) to a smaller MSS"
else
    echo "black hole: skipped (no iptables in the router namespace)"
fi

stop_serve
echo "PASS"
