#!/usr/bin/env bash
# trace_demo_pcap.sh - `synack trace` on the capture `synack demo --pcap` writes: it draws the
# same segments as the demo's own ladder (flags, relative seq/ack, length, scaled window, in
# the same order), lost and retransmitted ones included; tshark reads the capture with no
# malformed packet; and synack's annotations agree with tshark's analysis of it.
# No root and no network: the demo's two stacks run in one process over a simulated link.
set -u
SYNACK=${SYNACK:-}
[ -x "$SYNACK" ] || { echo "SKIP: SYNACK (the synack binary) not set"; exit 77; }
"$SYNACK" trace --help >/dev/null 2>&1 || { echo "SKIP: no trace subcommand"; exit 77; }
WORK=$(mktemp -d /tmp/synack-trace-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail=0
check() {
    local what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

# the arrow labels of a ladder, in order
labels() {
    grep -o '[A-Z,]* seq=[0-9]*\( ack=[0-9]*\)\?' "$1"
}

for args in "--seed 1" "--seed 7 --loss 0.2" "--seed 3 --loss 0.3 --bytes 20000 --ladder"; do
    name=$(echo "$args" | tr -c 'a-z0-9\n' '_')
    "$SYNACK" demo $args --no-color --pcap "$WORK/$name.pcap" >"$WORK/$name.demo.txt" 2>&1 ||
        { echo "FAIL synack demo $args"; fail=1; continue; }
    "$SYNACK" trace "$WORK/$name.pcap" --no-color --conn 1 >"$WORK/$name.trace.txt" 2>&1 ||
        { echo "FAIL synack trace of demo $args"; cat "$WORK/$name.trace.txt"; fail=1; continue; }
    labels "$WORK/$name.demo.txt" >"$WORK/$name.demo.labels"
    labels "$WORK/$name.trace.txt" >"$WORK/$name.trace.labels"
    check "demo $args: $(wc -l <"$WORK/$name.demo.labels") segments, the same in the trace" \
        diff -u "$WORK/$name.demo.labels" "$WORK/$name.trace.labels"
    check "demo $args: phases and close named" \
        sh -c "grep -q '3-way handshake' '$WORK/$name.trace.txt' && grep -q '4-way close' '$WORK/$name.trace.txt'"
done
echo "--- synack trace of synack demo --seed 7 --loss 0.2"
cat "$WORK/__seed_7___loss_0_2.trace.txt"

if command -v tshark >/dev/null 2>&1; then
    . "$(dirname "$0")/lib/trace_compare.sh"
    for f in "$WORK"/*.pcap; do
        n=$(basename "$f" .pcap)
        bad=$(tshark -r "$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
            -Y '_ws.malformed || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"' \
            2>/dev/null | wc -l)
        check "$n: tshark finds no malformed packet, no bad checksum" [ "$bad" = 0 ]
        check "$n: annotations agree with tshark" trace_compare "$f" "${n:0:8}" "$WORK"
    done
else
    echo "skip tshark comparisons: tshark not installed"
fi
exit $fail
