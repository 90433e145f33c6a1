#!/usr/bin/env bash
# interop_connect_fastopen.sh - `synack connect --fastopen` (synack as the TCP Fast Open
# client, RFC 7413 §4.2.1) against a kernel server with net.ipv4.tcp_fastopen=3 in the
# namespace and TCP_FASTOPEN set on its listener (a small Python echo server: socat sets its
# socket options on the accepted socket, too late for this one). One run, two connections (--count 2) sharing the stack's cookie cache:
#   first   no cookie cached yet: the SYN carries an empty Fast Open option (a cookie
#           request, §4.1.1) and no data; the kernel's SYN-ACK brings a cookie
#   second  the SYN carries the cookie and the request itself; the kernel's SYN-ACK
#           acknowledges that data (ISN + 1 + its length, §4.2.2)
# Both echoed byte-exact; the capture (connect --pcap) checked with tshark. In a network
# namespace of its own (interop_common.bash).
source "$(dirname "$0")/interop_common.bash"
need python3 tshark

inns sysctl -qw net.ipv4.tcp_fastopen=3 || skip "cannot set net.ipv4.tcp_fastopen"
PORT=8080
printf 'hello over TCP Fast Open, %s\n' "$$" >"$WORK/msg"
# Echoes each of two connections until its FIN, then closes it.
ip netns exec "$NS" timeout 30 python3 - "$HOST" "$PORT" <<'PY' &
import socket, sys
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
l.bind(("0.0.0.0", int(sys.argv[2])))  # tun0 comes with synack
l.listen(4)
for _ in range(2):
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
ip netns exec "$NS" timeout 30 "$SYNACK" connect --tun tun0 -v --fastopen --count 2 \
    --pcap "$WORK/tfo.pcap" "$HOST" "$PORT" <"$WORK/msg" >"$WORK/got" 2>"$WORK/c.log"
rc=$?
cat "$WORK/c.log"
[ $rc = 0 ] || fail "connect --fastopen --count 2 exited $rc"
cat "$WORK/msg" "$WORK/msg" | cmp - "$WORK/got" || fail "the two echoes are not byte-exact"
grep -q "no cookie for .* yet, the SYN asks for one" "$WORK/c.log" || fail "first connect: no word of the cookie request"
grep -q "cookie is cached, the SYN carries $(wc -c <"$WORK/msg") bytes" "$WORK/c.log" ||
    fail "second connect: no word of the data in the SYN"
check_capture "$WORK/tfo.pcap"
tshark -r "$WORK/tfo.pcap" -Y 'tcp.flags.syn == 1' -T fields -e ip.src -e tcp.flags.ack \
    -e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e tcp.options.tfo.request -e tcp.options.tfo.cookie \
    2>/dev/null >"$WORK/syns.txt"
cat "$WORK/syns.txt"
len=$(wc -c <"$WORK/msg")
awk -F'\t' -v host="$HOST" -v stack="$STACK" -v len="$len" '
    function on(x) { return x == "1" || x == "True" }
    $1 == stack && !on($2) { n++; sseq[n] = $3; slen[n] = $5
                             if (n == 1 && ($6 == "" || $5 != 0)) { print "first SYN: no bare cookie request"; exit 1 }
                             if (n == 2 && ($7 == "" || $5 != len)) { print "second SYN: cookie " $7 ", " $5 " bytes, want " len; exit 1 } }
    $1 == host && on($2) { m++
                           if (m == 1 && $7 == "") { print "the first SYN-ACK carries no cookie"; exit 1 }
                           if (m == 2 && (sseq[2] + 1 + len) % 4294967296 != $4 + 0) {
                               print "the second SYN-ACK acks " $4 ", want " sseq[2] + 1 + len; exit 1 } }
    END { if (n != 2 || m != 2) { print "want 2 SYNs and 2 SYN-ACKs, got " n " and " m; exit 1 }
          print "first SYN: cookie request, no data; second SYN: the cookie and " len " bytes, acknowledged by the SYN-ACK" }
' "$WORK/syns.txt" || fail "Fast Open not seen in the capture"
echo "PASS"
