#!/usr/bin/env bash
# interop_ecn.sh - with net.ipv4.tcp_ecn=1 in the namespace the kernel asks for ECN in its SYN
# (ECE and CWR set, RFC 3168 §6.1.1). synack does not implement ECN, so its SYN-ACK must not
# carry ECE: the connection then goes on without ECN (no ECT marks in the kernel's datagrams),
# and it works. Checked in the capture. In a network namespace of its own
# (interop_common.bash).
source "$(dirname "$0")/interop_common.bash"
need curl tshark

inns sysctl -qw net.ipv4.tcp_ecn=1 || skip "cannot set net.ipv4.tcp_ecn"
start_serve --http 80 --pcap "$WORK/ecn.pcap"
want=$(bytes_pattern 1000000 | sha256sum | cut -d' ' -f1)
got=$(inns timeout 20 curl -sS "http://$STACK/bytes/1000000" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "/bytes/1000000 with an ECN-setup SYN: sha256 $got"
stop_serve
check_capture "$WORK/ecn.pcap"
tshark -r "$WORK/ecn.pcap" -Y tcp -T fields -e ip.src -e tcp.flags.syn -e tcp.flags.ack \
    -e tcp.flags.ece -e tcp.flags.cwr -e ip.dsfield.ecn 2>/dev/null >"$WORK/ecn.txt"
awk -F'\t' -v host="$HOST" -v stack="$STACK" '
    function on(x) { return x == "1" || x == "True" }
    $1 == host && on($2) && !on($3) { syn++; if (on($4) && on($5)) ecn_syn++ }
    $1 == stack && on($2) && on($3) { synack++; if (on($4)) ece_synack++ }
    $1 == host && !on($2) && $6 != "0" { ect++ }
    END { if (syn != 1 || ecn_syn != 1) { print "no ECN-setup SYN from the kernel"; exit 1 }
          if (synack != 1 || ece_synack) { print "the SYN-ACK claims ECN"; exit 1 }
          if (ect) { print ect " kernel datagrams carry ECT without ECN agreed"; exit 1 }
          print "ECN-setup SYN answered by a non-ECN SYN-ACK; no ECT marks afterwards" }
' "$WORK/ecn.txt" || fail "ECN negotiation wrong"
echo "PASS"
