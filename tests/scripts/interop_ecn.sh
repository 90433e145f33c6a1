#!/usr/bin/env bash
# interop_ecn.sh - ECN (RFC 3168) between the kernel and synack. With net.ipv4.tcp_ecn=1 in
# the namespace the kernel asks for ECN in its SYN (ECE and CWR set, §6.1.1); synack accepts
# by default (cfg.ecn 2, as Linux's own default), so its SYN-ACK carries ECE alone, and both
# sides' data goes ECT(0). Then synack's fault injector marks 2% of the ECN-capable datagrams
# CE (`--faults ce=0.02`, both ways, as an AQM router would instead of dropping): the kernel
# echoes ECE, synack reduces and answers with CWR; synack echoes the marks it receives. The
# transfer is byte-exact and nothing was lost, so nothing had to be sent again for it.
# Checked in the capture with tshark. In a network namespace of its own
# (interop_common.bash).
source "$(dirname "$0")/interop_common.bash"
need curl tshark socat

inns sysctl -qw net.ipv4.tcp_ecn=1 || skip "cannot set net.ipv4.tcp_ecn"
start_serve --http 80 --discard 9 --faults ce=0.02 --seed 5 --pcap "$WORK/ecn.pcap"
want=$(bytes_pattern 4000000 | sha256sum | cut -d' ' -f1)
got=$(inns timeout 30 curl -sS "http://$STACK/bytes/4000000" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "/bytes/4000000 with ECN: sha256 $got"
# And data the other way, to the discard service: the kernel's segments go ECT too.
head -c 1000000 /dev/zero | inns timeout 30 socat -u - "TCP:$STACK:9" ||
    fail "1 MB to the discard service"
stats=$(stats_json)
stop_serve
check_capture "$WORK/ecn.pcap"
# The pcap holds what synack sent and received (before the injector's marks on what it
# sends, after them on what it receives).
tshark -r "$WORK/ecn.pcap" -Y tcp -T fields -e ip.src -e tcp.flags.syn -e tcp.flags.ack \
    -e tcp.flags.ece -e tcp.flags.cwr -e ip.dsfield.ecn -e tcp.len 2>/dev/null >"$WORK/ecn.txt"
awk -F'\t' -v host="$HOST" -v stack="$STACK" '
    function on(x) { return x == "1" || x == "True" }
    $1 == host && on($2) && !on($3) { syn++; if (on($4) && on($5)) ecn_syn++ }
    $1 == stack && on($2) && on($3) { synack++; if (on($4) && !on($5)) ece_synack++ }
    $1 == stack && !on($2) && $7 > 0 { sdata++; if ($6 == "2") sect++ }
    $1 == stack && on($5) { scwr++ }
    $1 == host && on($4) && !on($2) { hece++ }
    $1 == host && !on($2) && $7 > 0 { hdata++; if ($6 == "2" || $6 == "3") hect++ }
    END {
        printf "ECN-setup SYN %d, ECN-setup SYN-ACK %d; synack data %d (ECT(0) %d), CWR %d; " \
               "kernel data %d (ECT %d), kernel ACKs with ECE %d\n",
               ecn_syn, ece_synack, sdata, sect, scwr, hdata, hect, hece
        if (syn < 2 || ecn_syn != syn) { print "not every SYN of the kernel asks for ECN"; exit 1 }
        if (synack != syn || ece_synack != synack) { print "a SYN-ACK does not agree"; exit 1 }
        if (sect * 10 < sdata * 9) { print "synack data mostly not ECT(0)"; exit 1 }
        if (hdata && hect * 10 < hdata * 9) { print "kernel data mostly not ECT"; exit 1 }
        if (hece == 0) { print "the kernel never echoed a CE mark (ECE)"; exit 1 }
        if (scwr == 0) { print "synack never answered an ECE with CWR"; exit 1 }
    }
' "$WORK/ecn.txt" || fail "ECN wrong"
reductions=$(echo "$stats" | grep -o '"ecn_reductions": *[0-9]*' | grep -o '[0-9]*$')
ce=$(echo "$stats" | grep -o '"ecn_ce_received": *[0-9]*' | grep -o '[0-9]*$')
echo "synack: $reductions window reductions for ECE, $ce CE marks received"
[ "${reductions:-0}" -gt 0 ] || fail "no ECN window reduction in synack's stats: $stats"
echo "PASS"
