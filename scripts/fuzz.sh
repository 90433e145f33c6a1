#!/bin/sh
# make fuzz: runs each libFuzzer target of the build (build-fuzz/fuzz_*) for FUZZ_SECONDS
# (600; FUZZ_SECONDS=60 make fuzz for a short run) from its seed corpus fuzz/corpus/<target>/,
# copied into a working corpus build-fuzz/corpus/<target>/ that grows from run to run (the
# seeds in the tree are never written). FUZZ_TARGETS="fuzz_wire fuzz_http" runs only those.
# Crash, leak and timeout inputs land in build-fuzz/crashes/<target>/. At the end, a table:
# executions, coverage (cov: edges, ft: features, from libFuzzer's final stats), corpus size,
# and the crash files per target. Exits 1 if any target found a crash.
set -u
build="${1:-build-fuzz}"
secs="${FUZZ_SECONDS:-600}"
src=$(cd "$(dirname "$0")/.." && pwd)
targets="${FUZZ_TARGETS:-}"
if [ -z "$targets" ]; then
    for f in "$build"/fuzz_*; do
        [ -x "$f" ] && [ -f "$f" ] && targets="$targets $(basename "$f")"
    done
fi
[ -n "$targets" ] || { echo "fuzz: no fuzz targets in $build (make fuzz builds them)"; exit 1; }

summary="$build/fuzz-summary.txt"
printf '%-14s %10s %8s %8s %8s  %s\n' target execs cov ft corpus crashes >"$summary"
failed=0
for name in $targets; do
    bin="$build/$name"
    corpus="$build/corpus/$name"
    crashes="$build/crashes/$name"
    log="$build/$name.log"
    mkdir -p "$corpus" "$crashes"
    [ -d "$src/fuzz/corpus/$name" ] && cp -n "$src/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
    echo "== $name: $secs s, corpus $corpus (log $log)"
    # -fork is not used: one process per target, so the final stats are its own.
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
        "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1
    rc=$?
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # the last status line (DONE, or the last pulse/NEW before a crash) has cov and ft
    last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1)
    [ -n "$done_line" ] && last=$done_line
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    [ -n "$execs" ] || execs=$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
    ncorp=$(find "$corpus" -type f | wc -l)
    found=$(find "$crashes" -type f | wc -l)
    printf '%-14s %10s %8s %8s %8s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
        "$ncorp" "$found" >>"$summary"
    if [ "$found" -gt 0 ] || [ "$rc" -ne 0 ]; then
        failed=1
        echo "   $name: exit $rc; crash inputs:"
        find "$crashes" -type f | sed 's/^/     /'
        grep -E 'ERROR: |SUMMARY: |runtime error' "$log" | head -5 | sed 's/^/     /'
    fi
done
echo
echo "== fuzz summary ($secs s per target)"
cat "$summary"
exit $failed
