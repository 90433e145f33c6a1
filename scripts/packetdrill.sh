#!/bin/sh
# scripts/packetdrill.sh - runs every tests/packetdrill/*.pkt through packetdrill with
# synack's plug-in (libsynack_packetdrill.so from the build directory), prints PASS or
# FAIL per script and a last line "N passed, N failed". Exit 0 when all pass.
#
#   sh scripts/packetdrill.sh BUILD_DIR /path/to/packetdrill [SCRIPT.pkt ...]
#
# packetdrill is not a Debian package and is not part of this repository: build it from
# github.com/google/packetdrill (docs/packetdrill.md). Without it this script says so and
# exits 0, so that `make packetdrill` is harmless on a machine that lacks it.
# Environment: PACKETDRILL_ARGS  extra packetdrill options (e.g. --verbose)
#              SYNACK_PACKETDRILL_TRACE=1|FILE  the plug-in traces every stack event
#              PACKETDRILL_TIMEOUT  seconds per script (120)
set -u

build=${1:-build}
pd=${2:-}
[ $# -ge 2 ] && shift 2 || shift $#
here=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "$pd" ]; then
    echo "packetdrill: no binary given (PACKETDRILL=/path/to/packetdrill); nothing run."
    echo "packetdrill: see docs/packetdrill.md for how to build it."
    exit 0
fi
if [ ! -x "$pd" ]; then
    echo "packetdrill: '$pd' is not an executable" >&2
    exit 2
fi
so=$(cd "$build" 2>/dev/null && pwd)/libsynack_packetdrill.so
if [ ! -f "$so" ]; then
    echo "packetdrill: $so is missing (it is built only without sanitizers)" >&2
    exit 2
fi

if [ $# -gt 0 ]; then
    scripts="$*"
else
    scripts=$(ls "$here"/tests/packetdrill/*.pkt)
fi
to=""
command -v timeout >/dev/null 2>&1 && to="timeout ${PACKETDRILL_TIMEOUT:-120}"

pass=0
fail=0
log=$(mktemp)
for f in $scripts; do
    f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
    name=$(basename "$f")
    # packetdrill resolves a script's relative paths from its own directory.
    # shellcheck disable=SC2086
    if (cd "$(dirname "$f")" && $to "$pd" --so_filename="$so" ${PACKETDRILL_ARGS:-} "$f") \
        >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "PASS $name"
    else
        fail=$((fail + 1))
        echo "FAIL $name"
        sed 's/^/    /' "$log"
    fi
done
rm -f "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
