#!/usr/bin/env bash
# interop_connect.sh - `synack connect` (synack as the client) against a kernel socat server,
# in a network namespace of its own (interop_common.bash), data both ways:
#   synack closes first  stdin ends: synack's FIN; the server (cat) ends and closes after it
#   kernel closes first  the server sends a file and exits; synack's stdin ends after that
# Each run is captured (connect --pcap) and the capture checked with tshark: SYN / SYN-ACK /
# ACK with the right numbers (ACK = ISN + 1 both ways), FIN / ACK / FIN / ACK with the right
# numbers (each FIN acknowledged at its sequence number + 1) and the expected side first, no
# RST; and nothing malformed. Refused connections fail with a message and a non-zero status.
source "$(dirname "$0")/interop_common.bash"
need socat tshark

head -c 300000 /dev/urandom >"$WORK/up"
head -c 500000 /dev/urandom >"$WORK/down"
PORT=8080
CONNECT=(ip netns exec "$NS" timeout 30 "$SYNACK" connect --tun tun0 -v)

# check_close FILE FIRST: the capture passes check_capture; handshake and close numbers in the capture; FIRST is the address
# that must send the first FIN.
check_close() {
    check_capture "$1"
    awk -F'\t' '$7 != "" { OFS = "\t"; print $6, $7, $8, $9, $10, $11, $12, $13 }' \
        "$WORK/fields" >"$WORK/segs"
    awk -v first="$2" -F'\t' '
    function bad(m) { print "capture: " m; err = 1; exit 1 }
    { src = $1; syn = $2 == "1" || $2 == "True"; ack = $3 == "1" || $3 == "True"
      fin = $4 == "1" || $4 == "True"; rst = $5 == "1" || $5 == "True"
      seq = $6 + 0; an = $7 + 0; len = $8 + 0 }
    rst { bad("RST from " src) }
    syn && !ack { if (a != "") bad("second SYN"); a = src; isn_a = seq; next }
    syn && ack { if (src == a || an != (isn_a + 1) % 4294967296) bad("SYN-ACK acks " an ", want ISN+1 = " isn_a + 1)
                 b = src; isn_b = seq; next }
    !hs && src == a && ack { if (seq != isn_a + 1 || an != (isn_b + 1) % 4294967296) bad("third ACK seq/ack " seq "/" an)
                             hs = 1 }
    fin && closer == "" { closer = src; fin1 = (seq + len) % 4294967296 }
    closer != "" && src != closer && ack && an == (fin1 + 1) % 4294967296 { acked1 = 1 }
    fin && closer != "" && src != closer { if (an != (fin1 + 1) % 4294967296) bad("second FIN acks " an ", want " fin1 + 1)
                                           fin2 = (seq + len) % 4294967296; have2 = 1 }
    have2 && src == closer && ack && an == (fin2 + 1) % 4294967296 { if (seq != (fin1 + 1) % 4294967296) bad("last ACK seq " seq); last = 1 }
    END { if (err) exit 1
          if (!hs) { print "capture: no complete 3-way handshake"; exit 1 }
          if (closer != first) { print "capture: first FIN from " closer ", want " first; exit 1 }
          if (!acked1 || !have2 || !last) { print "capture: close incomplete (ack " acked1 ", fin " have2 ", last ack " last ")"; exit 1 }
          print "capture: SYN/SYN-ACK/ACK and FIN/ACK/FIN/ACK numbers right, " first " closed first" }
    ' "$WORK/segs" || fail "$1: see above"
}

# --- synack closes first: the server echoes what it reads and closes after synack's FIN ----
ip netns exec "$NS" timeout 30 socat "TCP-LISTEN:$PORT,reuseaddr" EXEC:cat &
PIDS+=($!)
for _ in $(seq 50); do inns ss -ltn | grep -q ":$PORT " && break; sleep 0.1; done
"${CONNECT[@]}" --pcap "$WORK/first.pcap" "$HOST" "$PORT" <"$WORK/up" >"$WORK/got1" 2>"$WORK/c1.log"
rc=$?
cat "$WORK/c1.log"
[ $rc = 0 ] || fail "connect (synack closes first) exited $rc"
cmp "$WORK/up" "$WORK/got1" || fail "synack closes first: data not echoed byte-exact"
check_close "$WORK/first.pcap" "$STACK"

# --- the kernel closes first: the server takes 300000 bytes, sends 500000 and exits ---------
ip netns exec "$NS" timeout 30 socat "TCP-LISTEN:$PORT,reuseaddr" \
    SYSTEM:"head -c 300000 >$WORK/got_up; cat $WORK/down" &
PIDS+=($!)
for _ in $(seq 50); do inns ss -ltn | grep -q ":$PORT " && break; sleep 0.1; done
# stdin stays open a second after the data, so the kernel's FIN comes first
(cat "$WORK/up"; sleep 1) | "${CONNECT[@]}" --pcap "$WORK/second.pcap" "$HOST" "$PORT" \
    >"$WORK/got2" 2>"$WORK/c2.log"
rc=${PIPESTATUS[1]}
cat "$WORK/c2.log"
[ "$rc" = 0 ] || fail "connect (kernel closes first) exited $rc"
cmp "$WORK/down" "$WORK/got2" || fail "kernel closes first: data down not byte-exact"
cmp "$WORK/up" "$WORK/got_up" || fail "kernel closes first: data up not byte-exact"
check_close "$WORK/second.pcap" "$HOST"

# --- refused: nobody listens ---------------------------------------------------------------
out=$("${CONNECT[@]}" "$HOST" 9 </dev/null 2>&1)
rc=$?
[ $rc != 0 ] || fail "connect to a closed port exited 0"
echo "$out" | grep -q "refused" || fail "connect to a closed port said: $out"
echo "refused: exit $rc, '$out'"
echo "PASS"
