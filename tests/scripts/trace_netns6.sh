#!/usr/bin/env bash
# trace_netns6.sh - `synack trace` on IPv6 captures this test makes itself: Linux talking to
# Linux over a veth pair between two network namespaces that the test creates (and deletes by
# name on exit, also on failure), tcpdump capturing on one end. Four connections:
#   normal      a transfer and the 4-way close
#   reset       the server closes at once; data the client sends later draws an RST
#   lossy       2 MB while the receiver's INPUT drops every 50th segment (2%, ip6tables
#               statistic in nth mode, so the count is the same each run): retransmissions,
#               dup ACKs, SACK (LOSSY_BYTES sets another size)
#   exthdr      a transfer whose every segment from the client carries a destination-options
#               extension header (IPV6_DSTOPTS, set by a python3 client; left out without it)
# synack's reconstruction (connections, how each ended, the endpoints as tshark writes them)
# and its annotations are compared with tshark's own analysis (tcp.analysis.*) of the same
# capture, by tests/scripts/lib/trace_compare.sh, as trace_netns.sh does for IPv4.
#
# Only unique local addresses (fd00::/8) inside the namespaces are ever used.
# Skips (exit 77) when not root or a tool is missing. KEEP=dir keeps the captures there.
# shellcheck disable=SC2317 # cleanup runs from the trap, the checks' functions through check
set -u

skip() {
    echo "SKIP: $*"
    exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for t in ip ip6tables tcpdump tshark socat timeout; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
done
SYNACK=${SYNACK:-}
[ -x "$SYNACK" ] || skip "SYNACK (the synack binary) not set"
"$SYNACK" trace --help >/dev/null 2>&1 || skip "this synack has no trace subcommand"

# shellcheck source=tests/scripts/lib/netns_pair.sh
. "$(dirname "$0")/lib/netns_pair.sh"
# All of IPv6: the filter "tcp" looks at the fixed header's next header only and would miss
# TCP behind extension headers (and "protochain" compiles to a loop the kernel refuses);
# neighbour discovery and the like are counted by synack as other IPv6.
CAPTURE_FILTER=ip6
netns_pair tr6
A=fd00:99::1
B=fd00:99::2
inA sysctl -qw net.ipv6.conf.all.disable_ipv6=0 >/dev/null 2>&1
inB sysctl -qw net.ipv6.conf.all.disable_ipv6=0 >/dev/null 2>&1
# nodad: usable at once, no duplicate address detection to wait for
inA ip -6 addr add $A/64 dev veth-a nodad || skip "no IPv6 in this kernel"
inB ip -6 addr add $B/64 dev veth-b nodad
inA ip link set lo up
inB ip link set lo up
inA ip link set veth-a up
inB ip link set veth-b up
# Segments as on a real link rather than 64 KB GSO super-packets, when ethtool is here.
if command -v ethtool >/dev/null 2>&1; then
    inA ethtool -K veth-a tso off gso off gro off >/dev/null 2>&1
    inB ethtool -K veth-b tso off gso off gro off >/dev/null 2>&1
fi
# the pair passes TCP over IPv6: a listener on B, one connection from A
inB timeout 10 socat -u TCP6-LISTEN:5000,reuseaddr OPEN:/dev/null &
ok=0
for _ in $(seq 1 50); do
    if inA timeout 2 socat -u OPEN:/dev/null "TCP6:[$B]:5000" 2>/dev/null; then
        ok=1
        break
    fi
    sleep 0.1
done
[ $ok = 1 ] || {
    echo "FAIL: the veth pair does not pass TCP over IPv6"
    exit 1
}

# ---- the captures ---------------------------------------------------------------------------
make_normal() {
    inB timeout 20 socat -u TCP6-LISTEN:5001,reuseaddr OPEN:/dev/null &
    wait_listen 5001
    capture_start "$WORK/normal.pcap"
    head -c "${NORMAL_BYTES:-20000}" /dev/zero | inA timeout 20 socat -u - "TCP6:[$B]:5001"
    # the server's FIN answered: the client's last ACK is sent
    wait_tcp_state A time-wait "( dport = :5001 )"
    capture_stop
}

make_reset() {
    # the server closes at once; the client, which does not read, sends data once the server
    # has closed its socket (its process gone: a condition, not a time) to a socket that no
    # longer exists: the server's kernel answers with an RST
    inB timeout 20 socat -t 0 TCP6-LISTEN:5002,reuseaddr SYSTEM:"exit 0" &
    local server=$!
    wait_listen 5002
    capture_start "$WORK/reset.pcap"
    (
        wait_gone "$server"
        printf 'hello\n'
        sleep 0.3
    ) | inA timeout 20 socat -u - "TCP6:[$B]:5002"
    capture_stop
}

LOSS_RULE=(INPUT -p tcp --dport 5004 -m statistic --mode nth --every 50 --packet 3 -j DROP)
make_lossy() {
    inB timeout 30 socat -u TCP6-LISTEN:5004,reuseaddr OPEN:/dev/null &
    wait_listen 5004
    inB ip6tables -A "${LOSS_RULE[@]}"
    capture_start "$WORK/lossy.pcap"
    head -c "${LOSSY_BYTES:-2000000}" /dev/zero | inA timeout 30 socat -u - "TCP6:[$B]:5004"
    wait_tcp_state A time-wait "( dport = :5004 )"
    capture_stop
    inB ip6tables -D "${LOSS_RULE[@]}"
}

# A destination-options header of 8 bytes (a PadN option of 4) on every segment the client
# sends (RFC 8200 §4.6; Linux adds the socket's IPV6_DSTOPTS to TCP segments too).
make_exthdr() {
    inB timeout 20 socat -u TCP6-LISTEN:5005,reuseaddr OPEN:/dev/null &
    wait_listen 5005
    capture_start "$WORK/exthdr.pcap"
    inA timeout 20 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.connect((sys.argv[1], 5005))
s.sendall(bytes(30000))
s.close()' "$B"
    wait_tcp_state A time-wait "( dport = :5005 )"
    capture_stop
}

CAPS="normal reset lossy"
make_normal
make_reset
make_lossy
if command -v python3 >/dev/null 2>&1; then
    make_exthdr
    CAPS="$CAPS exthdr"
else
    echo "note: no python3, the extension-header capture is left out"
fi

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
# shellcheck source=/dev/null
. "$(dirname "$0")/lib/trace_compare.sh"

for c in $CAPS; do
    "$SYNACK" trace "$WORK/$c.pcap" --no-color >"$WORK/$c.txt" 2>&1
done
echo "--- normal"
head -30 "$WORK/normal.txt"
echo "--- reset"
cat "$WORK/reset.txt"

check "normal: one connection, 4-way close" \
    grep -q "4-way close (client first)" "$WORK/normal.txt"
check "normal: phases" \
    sh -c "grep -q '3-way handshake' '$WORK/normal.txt' && grep -q 'TIME-WAIT: client waits' '$WORK/normal.txt'"
check "normal: analysed as TCP/IPv6" \
    grep -qE "packets \(EN10MB\), [0-9]+ TCP/IPv6 in 1 connection" "$WORK/normal.txt"
check "reset: closed by RST" grep -q "reset by server" "$WORK/reset.txt"
check "lossy: retransmissions seen" grep -q "retransmission" "$WORK/lossy.txt"
if [ -f "$WORK/exthdr.pcap" ]; then
    check "exthdr: tshark sees the destination options" \
        sh -c "tshark -r '$WORK/exthdr.pcap' -Y ipv6.dstopts 2>/dev/null | grep -q ."
    check "exthdr: analysed, 4-way close" grep -q "4-way close (client first)" "$WORK/exthdr.txt"
fi

# the endpoints as tshark writes them (RFC 5952), with the port after brackets
endpoints_agree() { # name
    local src dst sport dport want
    IFS=$'\t' read -r src sport dst dport < <(tshark -r "$WORK/$1.pcap" -Y tcp -T fields \
        -E separator=/t -e ipv6.src -e tcp.srcport -e ipv6.dst -e tcp.dstport 2>/dev/null | head -1)
    want="[$src]:$sport → [$dst]:$dport"
    echo "  $1: tshark's first packet $want"
    grep -qF "connection 1: $want" "$WORK/$1.txt"
}
for c in $CAPS; do
    check "$c: endpoints written as tshark writes them" endpoints_agree "$c"
done

# the same connections as tshark's tcp.stream
for c in $CAPS; do
    n_tshark=$(tshark -r "$WORK/$c.pcap" -T fields -e tcp.stream 2>/dev/null | sort -u | grep -c .)
    n_synack=$("$SYNACK" trace "$WORK/$c.pcap" --tsv | cut -f2 | sort -u | grep -c .)
    check "$c: $n_synack connection(s), tshark $n_tshark" \
        sh -c "[ '$n_tshark' = '$n_synack' ] && [ '$n_synack' -ge 1 ]"
done

# the phases synack names, against tshark's tcp.completeness (1 SYN, 2 SYN-ACK, 4 ACK, 8 data,
# 16 FIN, 32 RST) of the same connection
phases_agree() { # name
    local txt="$WORK/$1.txt" c hs fin rst
    c=$(tshark -2 -r "$WORK/$1.pcap" -Y tcp -T fields -e tcp.completeness 2>/dev/null | tail -1)
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
for c in $CAPS; do
    check "$c: phases (handshake, close, reset) as tshark's tcp.completeness" phases_agree "$c"
done

echo "annotations, synack against tshark (packet, field) pairs:"
for c in $CAPS; do
    check "$c: annotations agree with tshark" trace_compare "$WORK/$c.pcap" "$c" "$WORK"
done
exit $fail
