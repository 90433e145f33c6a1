#!/usr/bin/env bash
# interop_pmtud6.sh - Path MTU discovery for IPv6 (RFC 8201) against a real Linux router, as
# interop_pmtud.sh does for IPv4: the kernel's curl fetches 16 MiB from `synack serve --http`
# over IPv6 through a namespace that forwards between synack's TUN device (MTU 1500) and a
# veth link of MTU 1280 (IPv6's minimum, RFC 8200 §5) toward the client.
#
#   client ns (curl)               router ns = the test's ns ($NS)          synack
#   vc fd00:8::2/64, MTU 1500 == vr fd00:8::1/64, MTU 1280 | tun0 fd00:7::1 == fd00:7::2
#
# The client's link says 1500, so its SYN offers an MSS of 1440 and only PMTUD can keep
# synack's datagrams within 1280: synack sends 1500-byte datagrams, an IPv6 router never
# fragments (RFC 8200 §5), so it answers ICMPv6 Packet Too Big with MTU 1280 (RFC 4443 §3.2),
# synack lowers its MSS and resends. The body must arrive byte-exact, the capture on tun0
# must show the Packet Too Big and synack's datagrams shrinking to fit, and synack's counters
# must show the path MTU lowered. Then a black hole (the router's Packet Too Big dropped by
# ip6tables): synack falls back to a smaller MSS and the transfer completes. Both namespaces
# are removed by name on exit; only fd00:7::/64 and fd00:8::/64 inside them are used.
source "$(dirname "$0")/interop_common.bash"
source "$(dirname "$0")/lib/ipv6.bash"
need curl tcpdump tshark ping

NSC="synack-pmtud6-c-$$"
trap 'ip netns del "$NSC" 2>/dev/null; cleanup' EXIT
ip netns add "$NSC" || fail "cannot create the client namespace"
inc() { ip netns exec "$NSC" "$@"; }

# --no-offload: the capture on tun0 must show each segment as the router gets it (a
# super-segment is split by the router's kernel at synack's MSS, out of the capture's sight).
start_serve --http 80 --no-offload
serve_has_ipv6
inns ip link set tun0 mtu 1500 2>/dev/null
inns sysctl -qw net.ipv6.conf.all.forwarding=1 || fail "cannot enable IPv6 forwarding in the router"
ip link add vr netns "$NS" type veth peer name vc netns "$NSC" || fail "cannot create the veth pair"
inns ip link set vr mtu 1280 up
inns ip -6 addr add fd00:8::1/64 dev vr nodad
inc sysctl -qw net.ipv6.conf.all.disable_ipv6=0
inc ip link set lo up
inc ip link set vc mtu 1500 up
inc ip -6 addr add fd00:8::2/64 dev vc nodad
inc ip -6 route add fd00:7::/64 via fd00:8::1
ok=""
for _ in $(seq 30); do
    inns timeout 2 ping -6 -c1 -W1 fd00:8::2 >/dev/null 2>&1 && ok=1 && break
    sleep 0.1
done
[ -n "$ok" ] || fail "the router cannot reach the client"

# The capture: headers only (enough for a Packet Too Big's MTU), on the router's side of tun0.
ip netns exec "$NS" tcpdump -i tun0 -s 160 -U -w "$WORK/tun.pcap" 2>"$WORK/tcpdump.log" &
PIDS+=("$!")
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.log" && break; sleep 0.1; done

N=$((16 << 20))
t0=$(date +%s.%N)
inc timeout 60 curl -6 -sS -o "$WORK/body" "http://[$STACK6]/bytes/$N" || fail "curl -6 failed"
t1=$(date +%s.%N)
[ "$(wc -c <"$WORK/body")" = "$N" ] || fail "got $(wc -c <"$WORK/body") bytes, not $N"
cmp <(bytes_pattern "$N") "$WORK/body" || fail "the body is not the /bytes pattern"
echo "16 MiB over IPv6 through the 1280-byte hop, byte-exact, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 16 * 1.048576 / (b - a) }') MB/s"

stats=$(stats6)
lowered=$(stat_of pmtu_lowered "$stats")
ignored=$(stat_of pmtu_ignored "$stats")
[ "${lowered:-0}" -ge 1 ] || fail "synack never lowered a path MTU: $stats"
echo "synack: path MTU lowered $lowered time(s), $ignored later report(s) ignored"

sleep 0.5
kill "${PIDS[-1]}" 2>/dev/null
wait "${PIDS[-1]}" 2>/dev/null
# Per frame (first occurrence of each field: a Packet Too Big quotes the datagram it refused,
# whose own headers come after): ICMPv6 type/code/MTU, IPv6 source, IPv6 payload length, TCP
# payload length, the client's port. Only the transfer's connection counts (the /stats fetch
# after it is a new connection, which learns the path afresh).
tshark -r "$WORK/tun.pcap" -E occurrence=f -T fields -e icmpv6.type -e icmpv6.code \
    -e icmpv6.mtu -e ipv6.src -e ipv6.plen -e tcp.len -e tcp.dstport \
    -Y "icmpv6.type == 2 or (ipv6.src == $STACK6 and tcp.len > 0)" \
    >"$WORK/frames" 2>"$WORK/tshark.err" || fail "tshark: $(cat "$WORK/tshark.err")"
port=$(awk -F'\t' '$1 == "" { n[$7] += $6 } END { for (p in n) if (n[p] > m) { m = n[p]; b = p } print b }' \
    "$WORK/frames")
awk -F'\t' -v port="$port" '
    $1 == 2 { if (!n_ptb) { mtu = $3; first = data } n_ptb++ }
    $1 == "" && $7 == port { len[++data] = $6; if ($5 + 40 > 1280) { big++; if (n_ptb) big_after++ } }
    END {
        for (i = 1; i <= first; i++) if (len[i] > before) before = len[i]
        for (i = int(data / 2); i <= data; i++) if (len[i] > tail) tail = len[i]
        printf "%d %d %d %d %d %d %d\n", n_ptb, mtu, data, big, big_after, before, tail
    }
' "$WORK/frames" >"$WORK/summary"
read -r n_ptb mtu data big big_after mss_before mss_tail <"$WORK/summary"
echo "capture: $data data segments from synack, $n_ptb Packet Too Big (MTU $mtu)," \
    "$big over 1280 bytes ($big_after after the first); largest payload $mss_before" \
    "before the first Packet Too Big, $mss_tail in the second half of the transfer"
[ "$n_ptb" -ge 1 ] || fail "the router sent no Packet Too Big"
[ "$mtu" = 1280 ] || fail "the router reported MTU $mtu, not 1280"
# 1280 - 40 (IPv6) - 20 (TCP) = 1220 bytes of payload at most, less with options
[ "$mss_before" -gt 1220 ] || fail "synack never tried segments larger than the path ($mss_before)"
[ "$mss_tail" -le 1220 ] || fail "synack still sends $mss_tail-byte segments late in the transfer"
# What was queued for the device when the error came may still go out at the old size, a
# window's worth at most; everything after that fits.
[ "$big_after" -le 64 ] || fail "$big_after datagrams over 1280 bytes after the first Packet Too Big"

# A black hole: the router's Packet Too Big messages are filtered (as a misconfigured firewall
# does). A new connection starts at the full size again, times out twice, falls back to a
# smaller MSS (tcp_pmtu.c, as Linux's tcp_mtu_probing=1) and completes.
if command -v ip6tables >/dev/null 2>&1 &&
    inns ip6tables -A OUTPUT -p icmpv6 --icmpv6-type packet-too-big -j DROP 2>/dev/null; then
    N=$((4 << 20))
    inc timeout 60 curl -6 -sS -o "$WORK/body" "http://[$STACK6]/bytes/$N" ||
        fail "black hole: curl -6 failed"
    cmp <(bytes_pattern "$N") "$WORK/body" || fail "black hole: the body is not the /bytes pattern"
    # A reply of one segment, shorter than the MSS but longer than the path (the /stats
    # page, ~1.3 kB), fetched through the hole: it too must fall back, not be resent at its
    # size until the client gives up.
    t0=$(date +%s.%N)
    inc timeout 20 curl -6 -sS -o "$WORK/stats" "http://[$STACK6]/stats" ||
        fail "black hole: /stats (one segment under the MSS) did not come through"
    t1=$(date +%s.%N)
    grep -q '"pmtu_blackholes"' "$WORK/stats" || fail "black hole: /stats is not the JSON"
    echo "black hole: the $(wc -c <"$WORK/stats")-byte /stats reply came through in" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
    stats=$(stats6) # from the router's side of tun0: no hole there
    holes=$(stat_of pmtu_blackholes "$stats")
    [ "${holes:-0}" -ge 1 ] || fail "black hole: synack never fell back to a smaller MSS: $stats"
    echo "black hole: 4 MiB byte-exact after $holes fallback(s) to a smaller MSS"
else
    echo "black hole: skipped (no ip6tables in the router namespace)"
fi

stop_serve
echo "PASS"
