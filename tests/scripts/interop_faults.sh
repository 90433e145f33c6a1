#!/usr/bin/env bash
# interop_faults.sh - synack's own seeded fault injector wrapped around the TUN device (the
# same wrapper dev/sim uses), both ways: `serve --faults loss=0.03,dup=0.01,reorder=0.1,
# delay=5ms --seed N`. So the kernel's TCP also recovers from loss, duplication and reordering
# of what synack sends, and synack from those of what the kernel sends. Random data through
# echo stays byte-exact both ways. In a network namespace of its own (interop_common.bash).
#
# Size: 16 MiB each way by default (MIB=N for less, to iterate faster). It takes about a
# minute: synack's sender has no reordering detection yet (RFC 8985 RACK, RFC 3708 DSACK
# undo), so 10% reordering makes it halve its window often (~0.25 MB/s here).
source "$(dirname "$0")/interop_common.bash"
need socat

SEED=${SEED:-$$}
echo "seed $SEED"
start_serve --echo 7 --http 80 --faults loss=0.03,dup=0.01,reorder=0.1,delay=5ms --seed "$SEED"
MIB=${MIB:-16}
head -c $((MIB << 20)) /dev/urandom >"$WORK/data"
t0=$(date +%s.%N)
inns timeout $((20 + MIB * 15)) socat -b 65536 -t 30 - "TCP:$STACK:7" <"$WORK/data" >"$WORK/echoed" ||
    fail "echo: socat failed (seed $SEED)"
t1=$(date +%s.%N)
cmp "$WORK/data" "$WORK/echoed" || fail "$MIB MiB did not come back byte-exact (seed $SEED)"
js=$(inns timeout 20 curl -s --retry 3 "http://$STACK/stats")
retx=$(echo "$js" | sed -n 's/.*"retransmits":\([0-9]*\).*/\1/p')
echo "echo under faults: $MIB MiB each way byte-exact, $(awk -v a="$t0" -v b="$t1" -v m="$MIB" 'BEGIN { printf "%.2f", m * 1.048576 / (b - a) }') MB/s; synack retransmitted ${retx:-?}"
stop_serve
echo "PASS"
