#!/usr/bin/env bash
# Static analysis (make lint; README.md "Static analysis"). Usage:
#
#   scripts/lint.sh [BUILD_DIR] [TOOL...]    TOOL: cppcheck clang-tidy scan-build release
#                                            (default all)
#   scripts/lint.sh --quick BUILD_DIR        cppcheck over src/ only (tests/scripts/lint_quick.sh)
#
# BUILD_DIR (default build-lint) is configured here (Debug, no sanitizers, so that the
# packetdrill plug-in is in it too) for its compile_commands.json: cppcheck and clang-tidy
# see the includes and defines of the real build (SYNACK_HAVE_PCAP, _GNU_SOURCE). scan-build
# builds everything in BUILD_DIR-scan, made afresh each time. release builds everything in
# Release mode (-O3 -DNDEBUG, as `make install` does) with gcc and with clang, in
# BUILD_DIR-rel-gcc and BUILD_DIR-rel-clang: the optimiser's own warnings (gcc's
# -Wstringop-truncation, -Wmaybe-uninitialized) are errors under -Werror, and the Debug and
# RelWithDebInfo builds of make test and make demo do not see them all.
#
# Scope: src/, tools/ and examples/ for cppcheck and clang-tidy (checks: .clang-tidy);
# scan-build analyses every file the build compiles, tests/ and bench/ included. tests/ and
# fuzz/ are otherwise held to compiling with -Werror (make test, make fuzz).
#
# Passing means zero findings. A finding that is not a bug is suppressed where it is, with
# the reason beside it: `// NOLINT(check): why` or `// cppcheck-suppress id ; why`.
# Exits 0 when clean, 1 on findings, 77 (--quick only) when cppcheck is missing.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
JOBS="${JOBS:-2}"

# TEMPORARY: findings in files being reworked on another branch, to be fixed there; each
# entry is PATH:ID (ID: the cppcheck id or clang-tidy check, clang-analyzer-* also drops the
# file from scan-build). Remove an entry with its fix; the list should be empty.
PENDING_FIXES=(
)

# cppcheck: warning, style, performance and portability (all but "information", which is
# about cppcheck's own configuration). Inline suppressions are honoured.
CPPCHECK_OPTS=(--enable=warning,style,performance,portability --inline-suppr --quiet
               --library=posix --error-exitcode=0 -j "$JOBS"
               --template='{file}:{line}:{column}: {severity}: {message} [{id}]')

quick=false
if [ "${1:-}" = "--quick" ]; then
    quick=true
    shift
fi
build="${1:-build-lint}"
[ $# -gt 0 ] && shift
tools=("$@")
[ ${#tools[@]} -eq 0 ] && tools=(cppcheck clang-tidy scan-build release)
case "$build" in /*) ;; *) build="$src/$build" ;; esac

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0

# Drops the findings that PENDING_FIXES lists from the lines on stdin.
filter_pending() {
    local line e path id
    while IFS= read -r line; do
        for e in "${PENDING_FIXES[@]}"; do
            path="${e%%:*}"
            id="${e#*:}"
            if [[ "$line" == "$src/$path:"* || "$line" == "$path:"* ]] &&
                [[ "$line" == *"[$id]" || "$line" == *"[$id,"* || "$line" == *",$id]" ]]; then
                continue 2
            fi
        done
        printf '%s\n' "$line"
    done
}

# Prints the findings in file $2 of tool $1 and says how many there were.
report() {
    local tool="$1" file="$2" n
    n=$(grep -c . "$file")
    if [ "$n" -gt 0 ]; then
        sed "s|^$src/||" "$file"
        status=1
    fi
    echo "lint: $tool: $n finding(s)"
}

configure() {
    if [ ! -f "$build/compile_commands.json" ] || [ "$build/compile_commands.json" -ot "$src/CMakeLists.txt" ]; then
        cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DSYNACK_SANITIZE=OFF \
            -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null || { echo "lint: cmake failed"; exit 1; }
    fi
}

# The files of compile_commands.json under the folders given (relative to the source tree).
db_files() {
    python3 - "$build/compile_commands.json" "$src" "$@" <<'EOF'
import json, os, sys
db, src, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
seen = set()
for e in json.load(open(db)):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    rel = os.path.relpath(f, src)
    if any(rel.startswith(d + "/") for d in dirs) and f not in seen:
        seen.add(f)
        print(f)
EOF
}

run_cppcheck() {
    local filters=() d
    for d in "$@"; do filters+=(--file-filter="$src/$d/*"); done
    cppcheck --version
    cppcheck "${CPPCHECK_OPTS[@]}" --project="$build/compile_commands.json" "${filters[@]}" \
        2>&1 >/dev/null | grep -E '^[^ ].*:[0-9]+:[0-9]+: ' | filter_pending >"$out/cppcheck"
    report cppcheck "$out/cppcheck"
}

if $quick; then
    command -v cppcheck >/dev/null || { echo "skipped: cppcheck is missing"; exit 77; }
    [ -f "$build/compile_commands.json" ] || { echo "lint: no $build/compile_commands.json"; exit 1; }
    run_cppcheck src
    exit $status
fi

for t in "${tools[@]}"; do
    case "$t" in
        cppcheck | clang-tidy) command -v "$t" >/dev/null ||
            { echo "lint: $t is missing (make deps installs it)"; exit 1; } ;;
        scan-build) command -v scan-build >/dev/null ||
            { echo "lint: scan-build is missing (package clang-tools; make deps)"; exit 1; } ;;
        release) for cc in gcc clang; do command -v $cc >/dev/null ||
            { echo "lint: $cc is missing (make deps installs it)"; exit 1; }; done ;;
        *) echo "lint: unknown tool $t"; exit 2 ;;
    esac
done
configure

for t in "${tools[@]}"; do
    start=$(date +%s)
    case "$t" in
        cppcheck)
            run_cppcheck src tools examples
            ;;
        clang-tidy)
            clang-tidy --version | grep -i version
            # One clang-tidy per file, JOBS at a time; the config is .clang-tidy.
            db_files src tools examples |
                xargs -P "$JOBS" -n 1 clang-tidy -p "$build" --quiet >"$out/tidy.raw" 2>/dev/null
            sed 's/\x1b\[[0-9;]*m//g' "$out/tidy.raw" |
                grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): .*\[[A-Za-z0-9.,_-]+\]$' | sort -u |
                filter_pending >"$out/clang-tidy"
            report clang-tidy "$out/clang-tidy"
            ;;
        scan-build)
            echo "scan-build with $(clang --version | head -1)"
            excludes=()
            for e in "${PENDING_FIXES[@]}"; do
                [[ "${e#*:}" == clang-analyzer-* ]] && excludes+=(--exclude "$src/${e%%:*}")
            done
            # The analyzer's default checkers (core, deadcode, unix, nullability, security)
            # and two opt-in ones: float loop counters and POSIX API misuse (e.g. calloc(0)).
            sb=(scan-build --status-bugs -o "$out/scan" -enable-checker security.FloatLoopCounter
                -enable-checker optin.portability.UnixAPI "${excludes[@]}")
            rm -rf "$build-scan"
            "${sb[@]}" cmake -S "$src" -B "$build-scan" -DCMAKE_BUILD_TYPE=Debug \
                -DSYNACK_SANITIZE=OFF >/dev/null
            "${sb[@]}" cmake --build "$build-scan" -j "$JOBS" >"$out/scan.log" 2>&1
            rc=$?
            grep -E '^/.*: warning: ' "$out/scan.log" | sort -u | filter_pending >"$out/scan-build"
            if [ $rc -ne 0 ] && ! grep -q . "$out/scan-build"; then
                tail -20 "$out/scan.log"
                echo "lint: scan-build failed (exit $rc)"
                status=1
            fi
            report scan-build "$out/scan-build"
            ;;
        release)
            : >"$out/release"
            for cc in gcc clang; do
                echo "release build with $($cc --version | head -1)"
                CC=$cc cmake -S "$src" -B "$build-rel-$cc" -DCMAKE_BUILD_TYPE=Release \
                    -DSYNACK_SANITIZE=OFF -DSYNACK_LTO=OFF >/dev/null
                if ! cmake --build "$build-rel-$cc" -j "$JOBS" >"$out/rel-$cc.log" 2>&1; then
                    grep -E '(warning|error):' "$out/rel-$cc.log" | sort -u >>"$out/release"
                    grep -q . "$out/release" || { tail -20 "$out/rel-$cc.log"; status=1; }
                fi
            done
            report release "$out/release"
            ;;
    esac
    echo "lint: $t took $(($(date +%s) - start)) s"
done
[ $status -eq 0 ] && echo "lint: clean" || echo "lint: findings (see above)"
exit $status
