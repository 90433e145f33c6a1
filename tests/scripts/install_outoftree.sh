#!/bin/bash
# The installed library is usable out of tree: `cmake --install` into a temporary prefix,
# then examples/echo_over_sim.c is built against that prefix twice, once with
# `cc $(pkg-config --cflags --libs synack)` and once by a tiny CMake project with
# find_package(synack REQUIRED) and synack::synack, and each binary must run and exit 0.
# A sanitizer build (SYNACK_SANITIZE=ON) installs instrumented libraries, so the programs
# built out of tree are linked with -fsanitize=address,undefined too.
set -u
src="${SYNACK_SRC:?SYNACK_SRC is the source tree}"
build="${SYNACK_BUILD:?SYNACK_BUILD is the build tree}"

cache="$build/CMakeCache.txt"
cachevar() { sed -n "s/^$1:[A-Z]*=//p" "$cache" 2>/dev/null | head -n1; }

# The compiler the build used (a sanitized library wants its own compiler's runtime).
cc_bin="$(cachevar CMAKE_C_COMPILER)"
[ -n "$cc_bin" ] && [ -x "$cc_bin" ] || cc_bin="$(command -v cc || true)"
for tool in pkg-config cmake; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done
[ -n "$cc_bin" ] || { echo "SKIP: cc is missing"; exit 77; }

san_flags=""
case "$(cachevar SYNACK_SANITIZE)" in
ON | on | TRUE | true | 1 | YES | yes) san_flags="-fsanitize=address,undefined" ;;
esac

tmp="$(mktemp -d "${TMPDIR:-/tmp}/synack-install.XXXXXX")" || exit 1
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

fail() { echo "FAIL: $*"; exit 1; }

echo "== cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "cmake --install"; }

libdir="$(dirname "$(find "$prefix" -name synack.pc -path '*/pkgconfig/*' | head -n1)")"
[ -f "$libdir/synack.pc" ] || fail "no synack.pc under $prefix"
libdir="$(dirname "$libdir")"
for f in "$prefix/include/synack/synack.h" "$prefix/include/synack/dev.h" \
    "$libdir/libsynack.a" "$libdir/libsynack-trace.a" "$libdir/libsynack.so.0" \
    "$libdir/libsynack-trace.so.0" "$libdir/pkgconfig/synack-trace.pc" \
    "$libdir/cmake/synack/synackConfig.cmake" "$libdir/cmake/synack/synackConfigVersion.cmake" \
    "$prefix/bin/synack" "$prefix/share/man/man1/synack.1"; do
    [ -e "$f" ] || fail "not installed: ${f#"$prefix"/}"
done
# Only the public headers.
extra="$(find "$prefix/include" -type f ! -path "$prefix/include/synack/*.h")"
[ -z "$extra" ] || fail "installed headers outside include/synack/*.h: $extra"
echo "installed: $(cd "$prefix" && find . -type f -o -type l | sort | tr '\n' ' ')"
# libsynack (the stack and its devices) needs nothing but libc; only libsynack-trace may
# bring libpcap and libm (readelf comes with binutils, like the compiler).
if command -v readelf >/dev/null 2>&1; then
    needed="$(readelf -d "$libdir/libsynack.so.0" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
        tr '\n' ' ')"
    echo "libsynack.so.0 needs: $needed"
    # A sanitizer build also needs the sanitizers' runtimes.
    [ "$(echo "$needed" | tr ' ' '\n' | grep -cv '^libc\.so\|^libasan\.so\|^libubsan\.so\|^$')" = 0 ] ||
        fail "libsynack.so.0 needs more than libc: $needed"
fi

run() { # name binary: runs it, requires exit 0
    local out rc
    out="$(LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$2" 2>&1)"
    rc=$?
    printf '%s\n' "$out" | sed "s/^/  $1: /" | tail -n 5
    [ $rc -eq 0 ] || fail "$1 exited $rc"
}

echo "== pkg-config (flags: ${san_flags:-none})"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
pc_cflags="$(pkg-config --cflags synack)" || fail "pkg-config --cflags synack"
pc_libs="$(pkg-config --libs synack)" || fail "pkg-config --libs synack"
pkg-config --exists synack-trace || fail "pkg-config synack-trace"
[ "$(pkg-config --modversion synack)" = "$(pkg-config --modversion synack-trace)" ] ||
    fail "synack and synack-trace versions differ"
echo "  cflags: $pc_cflags  libs: $pc_libs"
# shellcheck disable=SC2086
"$cc_bin" $san_flags -o "$tmp/echo_pc" "$src/examples/echo_over_sim.c" $pc_cflags $pc_libs ||
    fail "cc with pkg-config"
run pkg-config "$tmp/echo_pc"

echo "== find_package(synack)"
mkdir -p "$tmp/proj"
cp "$src/examples/echo_over_sim.c" "$tmp/proj/"
cat >"$tmp/proj/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(synack_consumer C)
find_package(synack 0.1 REQUIRED)
add_executable(echo_over_sim echo_over_sim.c)
target_link_libraries(echo_over_sim PRIVATE synack::synack)
foreach(t synack::trace synack::synack_shared synack::trace_shared)
  if(NOT TARGET ${t})
    message(FATAL_ERROR "find_package(synack) gave no ${t}")
  endif()
endforeach()
EOF
if ! { cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc_bin" -DCMAKE_C_FLAGS="$san_flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$san_flags" && cmake --build "$tmp/proj/build"; } \
    >"$tmp/proj.log" 2>&1; then
    cat "$tmp/proj.log"
    fail "find_package project"
fi
run find_package "$tmp/proj/build/echo_over_sim"

echo "PASS"
