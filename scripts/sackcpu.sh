#!/bin/bash
# scripts/sackcpu.sh BUILD - the sender's work per ACK against the segments in flight
# (bench/sackcpu.c): instructions per ACK under callgrind (--toggle-collect=feed, one round)
# and nanoseconds per ACK natively (5 rounds), for each ACK kind and N = 80, 1,280, 5,120,
# 20,000. Noisy on a shared machine: the load average is printed with the table.
set -euo pipefail
build=${1:-build}
bin=$build/sackcpu
[ -x "$bin" ] || { echo "sackcpu.sh: $bin not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-6s %7s %14s %10s\n' kind N 'instr/ACK' 'ns/ACK'
for kind in plain seq rand; do
    for n in ${SACKCPU_N:-80 1280 5120 20000}; do
        valgrind --tool=callgrind --toggle-collect=feed --callgrind-out-file="$tmp/cg" \
            "$bin" "$kind" "$n" 1 >"$tmp/out" 2>"$tmp/err"
        acks=$(sed -n 's/.*acks=\([0-9]*\).*/\1/p' "$tmp/out")
        ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/cg")
        ns=$("$bin" "$kind" "$n" 5 | sed -n 's/.*ns\/ack=\([0-9]*\).*/\1/p')
        printf '%-6s %7s %14s %10s\n' "$kind" "$n" "$((ir / acks))" "$ns"
    done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
