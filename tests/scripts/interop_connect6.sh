#!/usr/bin/env bash
# interop_connect6.sh - `synack connect` (synack as the client) to a kernel socat server over
# IPv6, in a network namespace of its own (interop_common.bash, lib/ipv6.bash), data both ways:
#   synack closes first  stdin ends: synack's FIN; the server (cat) ends and closes after it
#   kernel closes first  the server sends a file and exits; synack's stdin ends after that
# Each run is captured (connect --pcap) and checked with tshark as interop_connect.sh does
# for IPv4: SYN / SYN-ACK / ACK and FIN / ACK / FIN / ACK with the right numbers, the right
# side first, no RST, nothing malformed, the TCP checksums right over IPv6's pseudo-header.
# Then the address options: IPv6 only (--addr fd00:9::2/64 --host-addr fd00:9::1/64: the
# device gets that and no IPv4 address), an IPv6 HOST with --no-ipv6 (a usage error), a
# second --addr of one family (a usage error); and a refused connection (exit 1).
source "$(dirname "$0")/interop_common.bash"
source "$(dirname "$0")/lib/ipv6.bash"
need socat tshark

head -c 300000 /dev/urandom >"$WORK/up"
head -c 500000 /dev/urandom >"$WORK/down"
PORT=8080
CONNECT=(ip netns exec "$NS" timeout 30 "$SYNACK" connect --tun tun0 -v)
# listen6 ARGS...: socat on [::]:PORT (tun0 and its addresses come and go with each connect)
listen6() {
    ip netns exec "$NS" timeout 30 socat "TCP6-LISTEN:$PORT,reuseaddr" "$@" &
    PIDS+=($!)
    for _ in $(seq 50); do inns ss -ltn | grep -q ":$PORT " && return 0; sleep 0.1; done
    fail "socat did not listen on port $PORT"
}

# --- synack closes first -----------------------------------------------------------------------
listen6 EXEC:cat
"${CONNECT[@]}" --pcap "$WORK/first.pcap" "$HOST6" "$PORT" <"$WORK/up" >"$WORK/got1" 2>"$WORK/c1.log"
rc=$?
cat "$WORK/c1.log"
[ $rc = 0 ] || fail "connect (synack closes first) exited $rc"
grep -q "connected to \[$HOST6\]:$PORT" "$WORK/c1.log" || fail "connect -v did not name [$HOST6]:$PORT"
cmp "$WORK/up" "$WORK/got1" || fail "synack closes first: data not echoed byte-exact"
check_close "$WORK/first.pcap" "$STACK6"

# --- the kernel closes first -------------------------------------------------------------------
listen6 SYSTEM:"head -c 300000 >$WORK/got_up; cat $WORK/down"
(cat "$WORK/up"; sleep 1) | "${CONNECT[@]}" --pcap "$WORK/second.pcap" "$HOST6" "$PORT" \
    >"$WORK/got2" 2>"$WORK/c2.log"
rc=${PIPESTATUS[1]}
cat "$WORK/c2.log"
[ "$rc" = 0 ] || fail "connect (kernel closes first) exited $rc"
cmp "$WORK/down" "$WORK/got2" || fail "kernel closes first: data down not byte-exact"
cmp "$WORK/up" "$WORK/got_up" || fail "kernel closes first: data up not byte-exact"
check_close "$WORK/second.pcap" "$HOST6"

# --- IPv6 only, other addresses ------------------------------------------------------------------
listen6 EXEC:cat
(cat "$WORK/up"; sleep 0.5; inns ip -o addr show dev tun0 >"$WORK/addrs") |
    "${CONNECT[@]}" --addr fd00:9::2/64 --host-addr fd00:9::1/64 fd00:9::1 "$PORT" \
        >"$WORK/got3" 2>"$WORK/c3.log"
rc=${PIPESTATUS[1]}
cat "$WORK/c3.log"
[ "$rc" = 0 ] || fail "connect (IPv6 only, fd00:9::/64) exited $rc"
cmp "$WORK/up" "$WORK/got3" || fail "IPv6 only: data not echoed byte-exact"
grep -q "inet6 fd00:9::1/64" "$WORK/addrs" || fail "tun0 lacked fd00:9::1/64: $(cat "$WORK/addrs")"
grep -q "inet " "$WORK/addrs" && fail "tun0 had an IPv4 address with only IPv6 given: $(cat "$WORK/addrs")"
echo "ok   IPv6 only on fd00:9::/64: byte-exact, and tun0 had no IPv4 address"

# --- usage errors and refusal ------------------------------------------------------------------
out=$("${CONNECT[@]}" --no-ipv6 "$HOST6" "$PORT" </dev/null 2>&1)
rc=$?
[ $rc = 2 ] || fail "an IPv6 HOST with --no-ipv6 exited $rc: $out"
out=$("${CONNECT[@]}" --addr fd00:9::2/64 --addr fd00:8::2/64 "$HOST6" "$PORT" </dev/null 2>&1)
rc=$?
[ $rc = 2 ] || fail "--addr twice for IPv6 exited $rc: $out"
echo "$out" | grep -q "once per family" || fail "--addr twice said: $out"
out=$("${CONNECT[@]}" "$HOST6" 9 </dev/null 2>&1)
rc=$?
[ $rc = 1 ] || fail "connect to a closed IPv6 port exited $rc"
echo "$out" | grep -q "\[$HOST6\]:9: cannot connect: connection refused" ||
    fail "connect to a closed port said: $out"
echo "ok   usage errors exit 2; refused: exit 1, '$out'"
echo "PASS"
