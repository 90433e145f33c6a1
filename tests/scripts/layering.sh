#!/usr/bin/env bash
# layering.sh - the sources of src/ keep to the layers that src/layers.txt declares: no file
# includes a header of, or calls into, a layer it may not use (scripts/check-layers.sh says
# how). The checker is first shown to catch what it must, on fixture trees of
# tests/data/layering/ (see its README) compiled here, and to pass a clean one; only then is
# its verdict on the real tree believed.
#
# Reading a failure of the real tree: each line is one forbidden edge, e.g.
#   layering: src/table/timer_heap.c calls tcb_next_deadline (defined in src/tcp/tcp_timer.c; table may not use tcp)
# Move the code to a layer both sides may use, or pass it down as an argument or a callback.
# A folder of src/ missing from layers.txt, or declared there but absent, fails too: the
# declaration and the tree must agree. The objects checked are those of the build directory,
# so a stale object of a moved file is skipped with a note (rebuild from clean if in doubt).
set -euo pipefail
src="${SYNACK_SRC:?SYNACK_SRC is the source directory}"
build="${SYNACK_BUILD:?SYNACK_BUILD is the build directory}"
check="$src/scripts/check-layers.sh"
layers="$src/src/layers.txt"
data="$src/tests/data/layering"
command -v nm >/dev/null || { echo "skipped: nm (binutils) is missing"; exit 77; }
command -v cc >/dev/null || { echo "skipped: cc is missing"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# Lays the named fixture trees one over the other into $tmp/NAME, gives it an empty folder
# for each declared layer the fixture has no file in (so that only what the fixture is about
# can fail), and compiles each .c of it twice, as CMake would for two targets built from the
# same sources (the library and the packetdrill plug-in), into $tmp/NAME/build.
make_tree() {
    local name=$1 part folder rel target
    shift
    mkdir -p "$tmp/$name"
    for part in "$@"; do
        cp -R "$data/$part/." "$tmp/$name/"
    done
    awk '{ sub(/#.*/, "") } NF >= 2 { print $2 }' "$layers" | while read -r folder; do
        mkdir -p "$tmp/$name/src/$folder"
    done
    (cd "$tmp/$name" && find src -name '*.c') | while read -r rel; do
        for target in fixture fixture_again; do
            mkdir -p "$(dirname "$tmp/$name/build/CMakeFiles/$target.dir/$rel")"
            cc -std=c11 -c -I "$tmp/$name/src" -I "$tmp/$name/include" \
                -o "$tmp/$name/build/CMakeFiles/$target.dir/$rel.o" "$tmp/$name/$rel"
        done
    done
}

# Runs the checker on fixture NAME; sets $status and $out.
run_check() {
    status=0
    out=$(bash "$check" "$layers" "$tmp/$1/src" "$tmp/$1/build" 2>&1) || status=$?
}

ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# The clean fixture: every edge allowed.
make_tree clean clean
run_check clean
if [ "$status" -eq 0 ] && grep -q 'no upward edge' <<< "$out"; then
    ok "the clean fixture passes: $out"
else
    bad "the clean fixture does not pass (exit $status):"
    echo "$out"
fi

# The bad fixture: exactly two upward edges, one only an include sees and one only the
# symbols see, each named with its file.
make_tree bad clean bad
run_check bad
want_include='layering: src/base/bad_include.c includes tcp/tcp_fake.h (base may not use tcp)'
want_call='layering: src/wire/bad_call.c calls fake_table_lookup (defined in src/table/fake_table.c; wire may not use table)'
if [ "$status" -eq 1 ] && grep -qxF "$want_include" <<< "$out" && grep -qxF "$want_call" <<< "$out" &&
    grep -q '^layering: 2 violations' <<< "$out"; then
    ok "the bad fixture fails with its two upward edges"
else
    bad "the bad fixture is not caught as it should be (exit $status, want 1 and the lines"
    echo "  $want_include"
    echo "  $want_call"
    echo "and nothing else):"
    echo "$out"
fi

# A folder no layer declares: its files are outside the rule, which is itself a failure.
make_tree undeclared clean undeclared
run_check undeclared
if [ "$status" -eq 1 ] && grep -q '^layering: src/stray/ (1 files) is in no layer' <<< "$out"; then
    ok "an undeclared folder fails"
else
    bad "an undeclared folder is not caught (exit $status):"
    echo "$out"
fi

# The real tree, against the objects of this build. It fails, rather than skips, while src/
# is not yet laid out in the declared folders: the layout is what this test is for.
if [ "$fail" -ne 0 ]; then
    echo "the checker itself is wrong; the real tree was not checked"
else
    status=0
    out=$(bash "$check" "$layers" "$src/src" "$build" 2>&1) || status=$?
    echo "$out"
    if [ "$status" -eq 0 ]; then
        ok "the real tree keeps to src/layers.txt"
    else
        bad "the real tree breaks src/layers.txt (exit $status); see the lines above"
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
