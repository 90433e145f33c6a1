#!/usr/bin/env bash
# trace_netns.sh - `synack trace` on captures this test makes itself: Linux talking to Linux
# over a veth pair between two network namespaces that the test creates (and deletes on exit,
# also on failure), tcpdump capturing on one end. Four connections:
#   normal      a transfer and the 4-way close
#   reset       the server closes at once; data the client sends later draws an RST
#   simul       both ends close while the path drops everything, so their FINs cross when it
#               heals: a simultaneous close (RFC 9293 §3.6, CLOSING)
#   lossy       2 MB while the receiver's INPUT drops every 25th segment (iptables statistic,
#               nth mode, so the count is the same each run): retransmissions, dup ACKs, SACK
#               (LOSSY_BYTES sets another size)
# synack's reconstruction (connections, how each ended) and its annotations are compared
# with tshark's own analysis (tcp.analysis.*) of the same capture.
#
# Only addresses inside the namespaces (10.99.0.0/24 on the veth pair) are ever used.
# Skips (exit 77) when not root or a tool is missing. KEEP=dir keeps the captures there.
set -u

skip() {
    echo "SKIP: $*"
    exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for t in ip iptables tcpdump tshark socat timeout; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
done
SYNACK=${SYNACK:-}
[ -x "$SYNACK" ] || skip "SYNACK (the synack binary) not set"
"$SYNACK" trace --help >/dev/null 2>&1 || skip "this synack has no trace subcommand"

# shellcheck source=tests/scripts/lib/netns_pair.sh
. "$(dirname "$0")/lib/netns_pair.sh"
CAPTURE_FILTER=tcp # the IPv4 captures: TCP only
netns_pair tr
A=10.99.0.1
B=10.99.0.2
inA ip addr add $A/24 dev veth-a
inB ip addr add $B/24 dev veth-b
inA ip link set lo up
inB ip link set lo up
inA ip link set veth-a up
inB ip link set veth-b up
# Segments as on a real link rather than 64 KB GSO super-packets, when ethtool is here.
if command -v ethtool >/dev/null 2>&1; then
    inA ethtool -K veth-a tso off gso off gro off >/dev/null 2>&1
    inB ethtool -K veth-b tso off gso off gro off >/dev/null 2>&1
fi
# the pair passes TCP (ping may not be installed): a listener on B, one connection from A
inB timeout 10 socat -u TCP-LISTEN:5000,reuseaddr OPEN:/dev/null &
ok=0
for _ in $(seq 1 50); do
    if inA timeout 2 socat -u OPEN:/dev/null TCP:$B:5000 2>/dev/null; then ok=1; break; fi
    sleep 0.1
done
[ $ok = 1 ] || { echo "FAIL: the veth pair does not pass TCP"; exit 1; }

# ---- the captures ---------------------------------------------------------------------------
make_normal() {
    inB timeout 20 socat -u TCP-LISTEN:5001,reuseaddr OPEN:/dev/null &
    wait_listen 5001
    capture_start "$WORK/normal.pcap"
    head -c 20000 /dev/zero | inA timeout 20 socat -u - TCP:$B:5001
    # the server's FIN answered: the client's last ACK is sent
    wait_tcp_state A time-wait "( dport = :5001 )"
    capture_stop
}

make_reset() {
    # the server closes at once; the client, which does not read, sends data once the server
    # has closed its socket (its process gone: a condition, not a time) to a socket that no
    # longer exists: the server's kernel answers with an RST
    # (RFC 9293 §3.10.7.1 for the closed socket, Linux's tcp_rcv_state_process)
    inB timeout 20 socat -t 0 TCP-LISTEN:5002,reuseaddr SYSTEM:"exit 0" &
    local server=$!
    wait_listen 5002
    capture_start "$WORK/reset.pcap"
    (wait_gone "$server"; printf 'hello\n'; sleep 0.3) | inA timeout 20 socat -u - TCP:$B:5002
    capture_stop
}

make_simul() {
    # both sides close while each side's INPUT drops the other's segments, so both FINs are
    # sent before either arrives, and cross on retransmission when the path heals. Each step
    # waits for its condition (the connection up, both FINs sent), never for a fixed time: a
    # loaded machine stretches any schedule. Each side closes when its file appears
    # (bounded: 20 s).
    # shellcheck disable=SC2016 # the script's own $1 and $i
    printf '%s\n' 'i=0; while [ ! -e "$1" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done' \
        >"$WORK/wait-file.sh"
    inB timeout 30 socat TCP-LISTEN:5003,reuseaddr SYSTEM:"sh $WORK/wait-file.sh $WORK/close-b" &
    wait_listen 5003
    capture_start "$WORK/simul.pcap"
    sh "$WORK/wait-file.sh" "$WORK/close-a" | inA timeout 30 socat -t 5 - TCP:$B:5003 >/dev/null &
    local client=$!
    wait_tcp_state A established "( dport = :5003 )"
    wait_tcp_state B established "( sport = :5003 )"
    inA iptables -A INPUT -p tcp -s $B -j DROP
    inB iptables -A INPUT -p tcp -s $A -j DROP
    touch "$WORK/close-a" "$WORK/close-b"
    # each FIN sent and not acknowledged (dropped at the other side)
    wait_tcp_state A fin-wait-1 "( dport = :5003 )"
    wait_tcp_state B fin-wait-1 "( sport = :5003 )"
    inA iptables -D INPUT -p tcp -s $B -j DROP
    inB iptables -D INPUT -p tcp -s $A -j DROP
    wait "$client"
    # both through CLOSING to TIME-WAIT: the crossing FINs and their ACKs are all sent
    wait_tcp_state A time-wait "( dport = :5003 )"
    wait_tcp_state B time-wait "( sport = :5003 )"
    capture_stop
}

make_lossy() {
    inB timeout 30 socat -u TCP-LISTEN:5004,reuseaddr OPEN:/dev/null &
    wait_listen 5004
    inB iptables -A INPUT -p tcp --dport 5004 -m statistic --mode nth --every 25 --packet 3 -j DROP
    capture_start "$WORK/lossy.pcap"
    head -c "${LOSSY_BYTES:-2000000}" /dev/zero | inA timeout 30 socat -u - TCP:$B:5004
    wait_tcp_state A time-wait "( dport = :5004 )"
    capture_stop
    inB iptables -D INPUT -p tcp --dport 5004 -m statistic --mode nth --every 25 --packet 3 -j DROP
}

make_normal
make_reset
make_simul
make_lossy

# ---- checks ------------------------------------------------------------------------------------
fail=0
check() { # description, command...
    local what=$1
    shift
    if "$@"; then
        echo "ok   $what"
    else
        echo "FAIL $what"
        fail=1
    fi
}

# the comparison with tshark: trace_compare
. "$(dirname "$0")/lib/trace_compare.sh"

for c in normal reset simul lossy; do
    "$SYNACK" trace "$WORK/$c.pcap" --no-color >"$WORK/$c.txt" 2>&1
done
echo "--- normal"; cat "$WORK/normal.txt" | head -30
echo "--- simul"; cat "$WORK/simul.txt" | head -60

check "normal: one connection, 4-way close" \
    grep -q "4-way close (client first)" "$WORK/normal.txt"
check "normal: phases" \
    sh -c "grep -q '3-way handshake' '$WORK/normal.txt' && grep -q 'TIME-WAIT: client waits' '$WORK/normal.txt'"
check "reset: closed by RST" grep -q "reset by server" "$WORK/reset.txt"
check "simul: simultaneous close, CLOSING inferred" \
    sh -c "grep -q 'simultaneous close' '$WORK/simul.txt' && grep -q 'CLOSING' '$WORK/simul.txt'"
check "lossy: retransmissions seen" grep -q "retransmission" "$WORK/lossy.txt"

# the same connections as tshark's tcp.stream
for c in normal reset simul lossy; do
    n_tshark=$(tshark -r "$WORK/$c.pcap" -T fields -e tcp.stream 2>/dev/null | sort -u | grep -c .)
    n_synack=$("$SYNACK" trace "$WORK/$c.pcap" --tsv | cut -f2 | sort -u | grep -c .)
    check "$c: $n_synack connection(s), tshark $n_tshark" [ "$n_tshark" = "$n_synack" -a "$n_synack" -ge 1 ]
done

# the phases synack names, against tshark's tcp.completeness (1 SYN, 2 SYN-ACK, 4 ACK, 8 data,
# 16 FIN, 32 RST) of the same connection
phases_agree() { # name
    local txt="$WORK/$1.txt" c hs fin rst
    c=$(tshark -2 -r "$WORK/$1.pcap" -T fields -e tcp.completeness 2>/dev/null | tail -1)
    c=${c//[^0-9]/}
    [ -n "$c" ] || return 1
    hs=$((c & 7)) fin=$((c & 16)) rst=$((c & 32))
    echo "  $1: tcp.completeness $c"
    { [ "$hs" = 7 ] && grep -q "3-way handshake" "$txt"; } ||
        { [ "$hs" != 7 ] && ! grep -q "3-way handshake" "$txt"; } || return 1
    { [ "$fin" != 0 ] && grep -qE "4-way close|simultaneous close" "$txt"; } ||
        { [ "$fin" = 0 ] && ! grep -qE "4-way close|simultaneous close" "$txt"; } || return 1
    { [ "$rst" != 0 ] && grep -q "· reset ·" "$txt"; } ||
        { [ "$rst" = 0 ] && ! grep -q "· reset ·" "$txt"; } || return 1
}
for c in normal reset simul lossy; do
    check "$c: phases (handshake, close, reset) as tshark's tcp.completeness" phases_agree "$c"
done

echo "annotations, synack against tshark (packet, field) pairs:"
for c in normal reset simul lossy; do
    check "$c: annotations agree with tshark" trace_compare "$WORK/$c.pcap" "$c" "$WORK"
done
exit $fail
