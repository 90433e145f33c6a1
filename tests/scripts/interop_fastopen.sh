#!/usr/bin/env bash
# interop_fastopen.sh - TCP Fast Open (RFC 7413) between the kernel's curl and synack's HTTP
# service. With net.ipv4.tcp_fastopen=1 (the client bit) in the namespace, curl
# --tcp-fastopen's first connection asks for a cookie (the option without one in its SYN,
# §4.1.1) and synack's SYN-ACK gives one; the kernel caches it, so the second connection's
# SYN carries the cookie and the HTTP request itself, and synack's SYN-ACK acknowledges that
# data (§4.2.2): the answer starts one round trip sooner. Checked in the capture with tshark,
# and the bodies byte-exact. In a network namespace of its own (interop_common.bash).
source "$(dirname "$0")/interop_common.bash"
need curl tshark

inns sysctl -qw net.ipv4.tcp_fastopen=1 || skip "cannot set net.ipv4.tcp_fastopen"
start_serve --http 80 --pcap "$WORK/tfo.pcap"
want=$(bytes_pattern 100000 | sha256sum | cut -d' ' -f1)
for i in 1 2 3; do
    got=$(inns timeout 20 curl -sS --tcp-fastopen "http://$STACK/bytes/100000" | sha256sum |
        cut -d' ' -f1)
    [ "$got" = "$want" ] || fail "request $i with --tcp-fastopen: sha256 $got"
done
stats=$(stats_json)
stop_serve
check_capture "$WORK/tfo.pcap"
tshark -r "$WORK/tfo.pcap" -Y 'tcp.flags.syn == 1' -T fields -e ip.src -e tcp.flags.ack \
    -e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e tcp.options.tfo.request -e tcp.options.tfo.cookie \
    2>/dev/null >"$WORK/syns.txt"
cat "$WORK/syns.txt"
awk -F'\t' -v host="$HOST" -v stack="$STACK" '
    function on(x) { return x == "1" || x == "True" }
    $1 == host && !on($2) { n++; sseq = $3; slen = $5
                            if ($6 != "") req++; if ($7 != "" && $5 > 0) data++ }
    $1 == stack && on($2) { if ($7 != "") cookie++
                            # the SYN-ACK of a SYN with data acknowledges the data too (§4.2.2)
                            if (slen > 0) { if ((sseq + 1 + slen) % 4294967296 != $4 + 0) {
                                                print "a SYN-ACK acks " $4 ", want " sseq + 1 + slen; exit 1 }
                                            acked++ } }
    END {
        if (n < 3) { print "fewer than 3 SYNs from curl"; exit 1 }
        if (req < 1) { print "no cookie request (an empty Fast Open option) in a SYN"; exit 1 }
        if (cookie < 1) { print "no SYN-ACK carried a cookie"; exit 1 }
        if (data < 2 || acked < 2) { print "SYNs with cookie and data " data ", acknowledged " acked; exit 1 }
        printf "cookie requests %d, SYN-ACKs with a cookie %d, SYNs with cookie and data %d, " \
               "each acknowledged with its data by the SYN-ACK\n", req, cookie, data
    }
' "$WORK/syns.txt" || fail "Fast Open not seen"
passive=$(echo "$stats" | grep -o '"tfo_passive": *[0-9]*' | grep -o '[0-9]*$')
echo "synack: ${passive:-?} connections born from a SYN with data"
echo "PASS"
