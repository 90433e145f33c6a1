#!/usr/bin/env bash
# interop_connect_ecn.sh - `synack connect --ecn` (synack asking for ECN on an active open,
# RFC 3168 §6.1.1) against a kernel server with net.ipv4.tcp_ecn=1 in the namespace: the
# other half of the negotiation interop_ecn checks (there the kernel asks and synack
# accepts). synack's SYN carries ECE and CWR, the kernel's SYN-ACK ECE alone, and then
# both sides' data goes ECT(0) (§6.1.5); 256 KiB echoed byte-exact. The capture (connect
# --pcap) checked with tshark. In a network namespace of its own (interop_common.bash).
source "$(dirname "$0")/interop_common.bash"
need python3 tshark

inns sysctl -qw net.ipv4.tcp_ecn=1 || skip "cannot set net.ipv4.tcp_ecn"
PORT=8081
head -c 262144 /dev/urandom >"$WORK/msg"
# Echoes one connection until its FIN, then closes it.
ip netns exec "$NS" timeout 30 python3 - "$PORT" <<'PY' &
import socket, sys
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))  # tun0 comes with synack
l.listen(4)
c, _ = l.accept()
while True:
    b = c.recv(65536)
    if not b:
        break
    c.sendall(b)
c.close()
PY
PIDS+=($!)
for _ in $(seq 50); do inns ss -ltn | grep -q ":$PORT " && break; sleep 0.1; done
ip netns exec "$NS" timeout 30 "$SYNACK" connect --tun tun0 -v --ecn --pcap "$WORK/ecn.pcap" \
    "$HOST" "$PORT" <"$WORK/msg" >"$WORK/got" 2>"$WORK/c.log"
rc=$?
cat "$WORK/c.log"
[ $rc = 0 ] || fail "connect --ecn exited $rc"
cmp "$WORK/msg" "$WORK/got" || fail "the echo is not byte-exact"
check_capture "$WORK/ecn.pcap"
tshark -r "$WORK/ecn.pcap" -Y tcp -T fields -e ip.src -e tcp.flags.syn -e tcp.flags.ack \
    -e tcp.flags.ece -e tcp.flags.cwr -e ip.dsfield.ecn -e tcp.len 2>/dev/null >"$WORK/ecn.txt"
awk -F'\t' -v host="$HOST" -v stack="$STACK" '
    function on(x) { return x == "1" || x == "True" }
    $1 == stack && on($2) && !on($3) { syn++; if (on($4) && on($5)) ecn_syn++ }
    $1 == host && on($2) && on($3) { synack++; if (on($4) && !on($5)) ece_synack++ }
    $1 == stack && !on($2) && $7 > 0 { sdata++; if ($6 == 2) sect++ }
    $1 == host && !on($2) && $7 > 0 { hdata++; if ($6 == 2) hect++ }
    END { printf "synack: %d SYN (%d ECN-setup), %d data segments (%d ECT(0)); kernel: %d SYN-ACK (%d with ECE alone), %d data segments (%d ECT(0))\n",
                 syn, ecn_syn, sdata, sect, synack, ece_synack, hdata, hect
          if (syn != 1 || ecn_syn != 1) { print "synack did not ask for ECN in its SYN"; exit 1 }
          if (synack != 1 || ece_synack != 1) { print "the kernel did not agree in its SYN-ACK"; exit 1 }
          if (sdata == 0 || sect != sdata) { print "synack data not all ECT(0)"; exit 1 }
          if (hdata == 0 || hect == 0) { print "no ECT(0) data from the kernel"; exit 1 } }
' "$WORK/ecn.txt" || fail "ECN not agreed as RFC 3168 says"
echo "PASS"
