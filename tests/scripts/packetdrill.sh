#!/bin/bash
# tests/scripts/packetdrill.sh - ctest wrapper for tests/packetdrill/*.pkt.
#
# Skipped (exit 77) unless PACKETDRILL points to a packetdrill binary. ctest runs the
# sanitizer build, where the plug-in is not built (packetdrill dlopens it with
# RTLD_DEEPBIND, which ASan refuses), so this test builds a plain libsynack_packetdrill.so
# of its own in a temporary directory and runs the scripts against it, each in packetdrill's
# ipv4, ipv4-mapped-ipv6 and ipv6 modes where it allows (scripts/packetdrill.sh): the
# counts per mode are printed, and any failure fails the test. The modes run side by side
# and each script is bounded (PACKETDRILL_TIMEOUT, 60 s): about 40 s after the build.
set -u
src=${SYNACK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

if [ -z "${PACKETDRILL:-}" ]; then
    echo "SKIP: set PACKETDRILL=/path/to/packetdrill to run tests/packetdrill (docs/packetdrill.md)"
    exit 77
fi
if [ ! -x "$PACKETDRILL" ]; then
    echo "SKIP: PACKETDRILL=$PACKETDRILL is not an executable"
    exit 77
fi
if ! command -v cmake >/dev/null 2>&1; then
    echo "SKIP: cmake is needed to build the plug-in without sanitizers"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Not the caller's CC flags: ASan's from the environment would defeat the purpose.
if ! env -u CFLAGS -u LDFLAGS cmake -S "$src" -B "$tmp" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSYNACK_SANITIZE=OFF >"$tmp/cmake.log" 2>&1 ||
    ! cmake --build "$tmp" --target synack_packetdrill synack_pd_preload \
        -j "$(nproc 2>/dev/null || echo 2)" >>"$tmp/cmake.log" 2>&1; then
    cat "$tmp/cmake.log"
    echo "FAIL: could not build libsynack_packetdrill.so"
    exit 1
fi
sh "$src/scripts/packetdrill.sh" "$tmp" "$PACKETDRILL"
