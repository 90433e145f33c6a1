#!/usr/bin/env bash
# interop_offload.sh - synack serve on a TUN device with IFF_VNET_HDR and the kernel's
# offloads (checksum, TSO4, TSO6), against the kernel's socat and curl, in a network
# namespace of its own (interop_common.bash, lib/ipv6.bash):
#   - serve says which offload mode is in use ("offload: csum tso4 tso6 tso-out");
#   - echo: 64 MiB of random data each way at once over IPv4, and 64 MiB over IPv6, come
#     back byte-exact;
#   - super-segments went both ways: the stack took the kernel's (merged_in, the device's
#     "super-segments rx") and built its own (tso_out, "super-segments tx");
#   - a capture (--pcap) of a transfer with offloads: tshark finds every checksum good (the
#     tap writes the checksums the device completes), and frames larger than the MTU;
#   - the receive hint: the device read in-order payload straight into the receive ring
#     (placed_in, the device's "read into the ring"), and the echoes above came back
#     byte-exact all the same;
#   - the fallback: --no-offload says "offload: none (--no-offload)", moves 16 MiB
#     byte-exact, with no super-segment either way (and the hint's payloads, whose
#     checksums the stack sums over the two pieces).
# The throughput each saw is printed.
source "$(dirname "$0")/interop_common.bash"
source "$(dirname "$0")/lib/ipv6.bash"
need socat curl head tshark

mbps() { awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN { printf "%.1f", m * 1.048576 / (b - a) }'; }
# echo_check ADDR MIB: MIB of random data through the echo service, byte-exact.
echo_check() {
    local addr=$1 mib=$2 t0 t1
    head -c $((mib << 20)) /dev/urandom >"$WORK/data"
    t0=$(date +%s.%N)
    inns timeout 120 socat -b 262144 -t 10 - "$addr" <"$WORK/data" >"$WORK/echoed" ||
        fail "echo to $addr: socat failed"
    t1=$(date +%s.%N)
    cmp "$WORK/data" "$WORK/echoed" || fail "echo to $addr: $mib MiB did not come back byte-exact"
    echo "echo to $addr: $mib MiB byte-exact, $(mbps "$t0" "$t1" "$mib") MB/s each way"
}
# tun_line: serve's "tun rx ... super-segments rx N tx M" line, after SIGUSR1.
tun_line() {
    kill -USR1 "$SERVE_PID"
    sleep 0.5
    grep "^tun rx" "$WORK/serve.log" | tail -1
}

start_serve --echo 7 --http 80
serve_has_ipv6
grep -q "^synack serve: offload: csum tso4 tso6 tso-out" "$WORK/serve.log" ||
    fail "serve did not turn the offloads on: $(grep offload "$WORK/serve.log")"
echo "$(grep "offload:" "$WORK/serve.log")"

echo_check "TCP4:$STACK:7" 64
echo_check "TCP6:[$STACK6]:7" 64

s=$(stats_json)
merged=$(stat_of merged_in "$s")
tso=$(stat_of tso_out "$s")
[ "${merged:-0}" -gt 0 ] || fail "the stack took no merged super-segment from the kernel"
[ "${tso:-0}" -gt 0 ] || fail "the stack built no super-segment"
line=$(tun_line)
rx=$(echo "$line" | sed -n 's/.*super-segments rx \([0-9]*\) tx \([0-9]*\).*/\1/p')
tx=$(echo "$line" | sed -n 's/.*super-segments rx \([0-9]*\) tx \([0-9]*\).*/\2/p')
[ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] || fail "the device saw no super-segments: $line"
# 128 MiB each way went in far fewer datagrams than MSS-sized segments would need (92,000
# per 128 MiB each way): the super-segments carried most of it.
echo "super-segments: stack merged_in $merged, tso_out $tso; device $line"
placed=$(stat_of placed_in "$s")
[ "${placed:-0}" -gt 0 ] || fail "no payload was read into a receive ring (placed_in 0)"
echo "$line" | grep -q "read into the ring [1-9]" || fail "the device placed nothing: $line"
echo "receive hint: placed_in $placed"
stop_serve

# --- a capture with offloads --------------------------------------------------------------------
start_serve --http 80 --pcap "$WORK/off.pcap"
inns timeout 60 curl -s -o "$WORK/bytes" "http://$STACK/bytes/4000000" || fail "curl failed"
cmp "$WORK/bytes" <(bytes_pattern 4000000) || fail "/bytes/4000000 not byte-exact"
stop_serve
check_capture "$WORK/off.pcap"
big=$(awk -F'\t' '$13 > 1500' "$WORK/fields" | wc -l)
[ "$big" -gt 0 ] || fail "no super-segment in the capture"
echo "capture: $big TCP segments larger than the MTU"

# --- the fallback -----------------------------------------------------------------------------
start_serve --echo 7 --http 80 --no-offload
grep -q "^synack serve: offload: none (--no-offload)" "$WORK/serve.log" ||
    fail "serve with --no-offload: $(grep offload "$WORK/serve.log")"
echo_check "TCP4:$STACK:7" 16
s=$(stats_json)
[ "$(stat_of merged_in "$s")" = 0 ] && [ "$(stat_of tso_out "$s")" = 0 ] ||
    fail "super-segments without offloads: $s"
line=$(tun_line)
echo "$line" | grep -q "super-segments rx 0 tx 0" || fail "the plain device saw super-segments: $line"
[ "$(stat_of placed_in "$s")" -gt 0 ] || fail "plain device: no payload read into a ring: $s"
echo "fallback: plain TUN, 16 MiB byte-exact, no super-segment"
stop_serve
echo "PASS"
