# scripts/progress.bash - the progress line of the long-running scripts (sourced by
# scripts/bench.sh and scripts/mathis_real.sh, not run): one place for its format.
#
# The sourcing script sets T_START (date +%s at its start), STEP (0) and TOTAL (the number
# of steps), and may set PROGRESS_TAG, a word put before each step in a log ("mathis: ").
# progress TEXT counts a step and shows it on stderr: rewritten in place on a terminal, one
# line per step otherwise (a log, or bench.sh capturing a sub-script).
# shellcheck shell=bash
progress() {
    STEP=$((STEP + 1))
    local el=$(($(date +%s) - T_START))
    if [ -t 2 ]; then
        printf '\r\033[K[%3d/%d %3ds] %s' "$STEP" "$TOTAL" "$el" "$*" >&2
    else
        printf '[%3d/%d %3ds] %s%s\n' "$STEP" "$TOTAL" "$el" "${PROGRESS_TAG:-}" "$*" >&2
    fi
}
