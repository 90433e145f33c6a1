#!/usr/bin/env bash
# format_check.sh - every C file git knows is as .clang-format lays it out (`make format`
# applies it). Reports the files that differ; skipped (77) without clang-format or git.
set -uo pipefail
src="${SYNACK_SRC:?SYNACK_SRC is the source directory}"
command -v clang-format >/dev/null || { echo "no clang-format"; exit 77; }
cd "$src" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null) || { echo "not a git checkout"; exit 77; }
[ -n "$files" ] || { echo "no files from git ls-files"; exit 77; }
# One clang-format for all files: it names each file that differs in its warnings.
# shellcheck disable=SC2086
if out=$(clang-format --dry-run --Werror $files 2>&1); then
    echo "$(echo "$files" | wc -l) files formatted"
    exit 0
fi
echo "$out" | grep -o '^[^:]*\.[ch]:' | sort -u | sed 's/:$/: not formatted (make format)/'
exit 1
