#!/usr/bin/env bash
# lint_quick.sh - the quick part of `make lint` that `make test` runs: cppcheck over src/
# (a few seconds), with the options and PENDING_FIXES of scripts/lint.sh and the
# compile_commands.json of the build under test. clang-tidy (~80 s at -j2) and scan-build
# (~150 s, a fresh build) are left to `make lint`. Skipped (77) when cppcheck is missing.
set -euo pipefail
src="${SYNACK_SRC:?SYNACK_SRC is the source directory}"
build="${SYNACK_BUILD:?SYNACK_BUILD is the build directory}"
exec bash "$src/scripts/lint.sh" --quick "$build"
