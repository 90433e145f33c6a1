#!/usr/bin/env bash
# interop_stream.sh - the kernel's socat and nc against synack serve's stream services on a
# TUN device, in a network namespace of its own (interop_common.bash):
#   - echo (RFC 862): 16 MiB of random data comes back byte-exact
#   - discard (RFC 863): 64 MiB are swallowed (and counted by the stack)
#   - chargen (RFC 864): nc reads a stream of the RFC's 72-character rotating lines
# The throughput each saw is printed.
source "$(dirname "$0")/interop_common.bash"
need socat nc head

start_serve --echo 7 --discard 9 --chargen 19 --http 80
head -c $((16 << 20)) /dev/urandom >"$WORK/data"

t0=$(date +%s.%N)
inns timeout 60 socat -b 65536 -t 10 - "TCP:$STACK:7" <"$WORK/data" >"$WORK/echoed" ||
    fail "echo: socat failed"
t1=$(date +%s.%N)
cmp "$WORK/data" "$WORK/echoed" || fail "echo: 16 MiB did not come back byte-exact"
echo "echo: 16 MiB byte-exact, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 16 * 1.048576 / (b - a) }') MB/s each way"

before=$(stats_json | sed -n 's/.*"segments_in":\([0-9]*\).*/\1/p')
t0=$(date +%s.%N)
head -c $((64 << 20)) /dev/zero | inns timeout 60 socat -u -b 65536 - "TCP:$STACK:9" ||
    fail "discard: socat failed"
t1=$(date +%s.%N)
after=$(stats_json | sed -n 's/.*"segments_in":\([0-9]*\).*/\1/p')
# 64 MiB in segments of at most 1460 bytes, at least 45964 of them; with offloads (serve's
# default) the kernel's super-segments of up to 64 KiB, at least 1025.
min=45964
grep -q "^synack serve: offload: csum" "$WORK/serve.log" && min=1025
[ $((after - before)) -ge $min ] || fail "discard: only $((after - before)) segments arrived"
echo "discard: 64 MiB swallowed, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 64 * 1.048576 / (b - a) }') MB/s"

inns timeout 10 nc "$STACK" 19 </dev/null | head -c 740000 >"$WORK/chargen"
[ "$(wc -c <"$WORK/chargen")" = 740000 ] || fail "chargen: short stream"
awk 'BEGIN { for (l = 0; l < 10000; l++) { s = ""; for (c = 0; c < 72; c++)
     s = s sprintf("%c", 32 + (l + c) % 95); printf "%s\r\n", s } }' >"$WORK/chargen.want"
cmp "$WORK/chargen" "$WORK/chargen.want" || fail "chargen: not the RFC 864 pattern"
echo "chargen: 10000 lines of the RFC 864 pattern"

stop_serve
echo "PASS"
