#!/usr/bin/env bash
# No writable global or static state in libsynack (docs/architecture.md: "No global mutable state",
# so any number of stacks live in one process). Checks the library's symbol table for any
# object in a writable data section (.data, .bss, their .rel/.local variants, TLS); the
# read-only-after-relocation .data.rel.ro (const tables of function pointers) is allowed.
# The check is first run on an object that has such state, to show it would be caught.
set -euo pipefail
lib="${SYNACK_LIB:?SYNACK_LIB is the path of libsynack.a}"
command -v objdump >/dev/null || { echo "skipped: objdump (binutils) missing"; exit 77; }

writable_symbols() {
    # objdump -t: "value flags section size name"; section names are the 4th-from-last
    # field family; keep object symbols (not section symbols, flag 'd') in writable sections.
    objdump -t "$1" | awk '
        /\.(data|bss|tdata|tbss)/ && !/\.data\.rel\.ro/ && !/ d  / {
            name = $NF
            if (name ~ /^(__asan|__ubsan|___asan|__odr_asan|__sancov|\.L)/) next
            print
        }'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/bad.c" <<'C'
int global_counter;
static int hidden = 1;
int *bump(void) { hidden++; return &global_counter; }
C
cc -c -fPIC -o "$tmp/bad.o" "$tmp/bad.c"
if [ -z "$(writable_symbols "$tmp/bad.o")" ]; then
    echo "FAIL: the check does not see the globals of a known-bad object"
    exit 1
fi

found=$(writable_symbols "$lib")
if [ -n "$found" ]; then
    echo "FAIL: writable global or static data in $lib:"
    echo "$found"
    exit 1
fi
echo "ok: no writable global or static data in $(basename "$lib")"
echo "1 passed, 0 failed"
