#!/usr/bin/env bash
# The demo's ladder, golden: `synack demo` is deterministic for a seed (virtual clock, seeded
# ISN secrets, ports and link faults), so its whole output is compared with the files in
# tests/data/. After an intended change of the ladder or of the stack's behaviour, refresh
# them with: synack demo --no-color [ARGS] > tests/data/NAME.golden
set -euo pipefail
synack="${SYNACK:?SYNACK is the path of the synack binary}"
data="${SYNACK_SRC:?}/tests/data"
pass=0
fail=0
check() {
    local name=$1
    shift
    if diff -u "$data/$name.golden" <("$synack" demo --no-color "$@"); then
        pass=$((pass + 1))
    else
        echo "FAIL: synack demo $* differs from tests/data/$name.golden"
        fail=$((fail + 1))
    fi
}
check demo_default
check demo_loss02_seed7 --loss 0.2 --seed 7
check demo_absolute_seed3 --absolute --seed 3
check demo_ipv6 --ipv6
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
