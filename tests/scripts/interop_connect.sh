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
source "$(dirname "$0")/lib/capture.bash" # check_close
need socat tshark

head -c 300000 /dev/urandom >"$WORK/up"
head -c 500000 /dev/urandom >"$WORK/down"
PORT=8080
CONNECT=(ip netns exec "$NS" timeout 30 "$SYNACK" connect --tun tun0 -v)


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
