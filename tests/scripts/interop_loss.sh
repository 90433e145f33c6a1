#!/usr/bin/env bash
# interop_loss.sh - 16 MiB each way through synack's echo service stay byte-exact when 3% of
# what synack sends is lost: iptables' statistic match drops it at the kernel's INPUT from the
# TUN device (this kernel has no netem; a drop in the kernel's own OUTPUT would not be a loss
# to its TCP, which would just retry the send). So synack's retransmissions (RFC 6298, RFC
# 5681/6582 fast retransmit and recovery) are what recovers, against the kernel's SACKs and
# duplicate ACKs. In a network namespace of its own (interop_common.bash).
source "$(dirname "$0")/interop_common.bash"
need socat iptables

inns iptables -A INPUT -i tun0 -p tcp -m statistic --mode random --probability 0.03 -j DROP ||
    skip "iptables statistic match unavailable"
# --no-offload: one loss is one segment (a dropped super-segment would be 40 at once).
start_serve --echo 7 --http 80 --no-offload
head -c $((16 << 20)) /dev/urandom >"$WORK/data"
t0=$(date +%s.%N)
inns timeout 60 socat -b 65536 -t 30 - "TCP:$STACK:7" <"$WORK/data" >"$WORK/echoed" ||
    fail "echo: socat failed"
t1=$(date +%s.%N)
cmp "$WORK/data" "$WORK/echoed" || fail "16 MiB did not come back byte-exact under 3% loss"
dropped=$(inns iptables -L INPUT -v -n -x | awk '/statistic/ { print $1 }')
js=$(stats_json)
retx=$(echo "$js" | sed -n 's/.*"retransmits":\([0-9]*\).*/\1/p')
fast=$(echo "$js" | sed -n 's/.*"fast_retransmits":\([0-9]*\).*/\1/p')
rto=$(echo "$js" | sed -n 's/.*"rto_timeouts":\([0-9]*\).*/\1/p')
[ "${dropped:-0}" -gt 100 ] || fail "iptables dropped only ${dropped:-0} packets"
[ "${retx:-0}" -gt 0 ] || fail "synack retransmitted nothing"
echo "echo under 3% loss: 16 MiB each way byte-exact, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 16 * 1.048576 / (b - a) }') MB/s;" \
    "$dropped dropped by iptables, synack retransmitted $retx (fast $fast, timeouts $rto)"
stop_serve
echo "PASS"
