#!/bin/sh
# make bench: runs the benchmarks of an optimized build; a table on stdout, JSON beside it
# (bench/results.json). Figures on the virtual clock are exact and repeatable; CPU figures
# depend on this machine.
set -e
build="${1:-build}"
"$build/bench_sim" bench/results.json
