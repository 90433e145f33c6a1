#!/bin/sh
# make fuzz: runs each libFuzzer target for FUZZ_SECONDS (60) with a corpus in build-fuzz/.
set -e
build="${1:-build-fuzz}"
secs="${FUZZ_SECONDS:-60}"
for f in "$build"/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    mkdir -p "$build/corpus/$name"
    echo "== $name ($secs s)"
    "$f" -max_total_time="$secs" -print_final_stats=1 "$build/corpus/$name" 2>&1 | tail -12
done
