# scripts/bench_common.bash - what the long-running benchmark scripts share (sourced by
# scripts/bench.sh, scripts/mathis_real.sh and tests/scripts/floor_smoke.sh, not run): the
# progress line, the wait for a server to come up, and the end of the processes they started.
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

# wait_for FILE PATTERN PID WHAT: until PATTERN appears in FILE (a server's log says it is up;
# bounded: 10 s), calling the sourcing script's fail_setup if PID exits or time runs out.
wait_for() {
    for _ in $(seq 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || fail_setup "$4 exited: $(tail -5 "$1")"
        sleep 0.1
    done
    fail_setup "$4 did not come up: $(tail -5 "$1")"
}

# stop_pids PID...: SIGTERM to each process the script started, then SIGKILL to any still
# there after 5 s (bounded), by PID only.
stop_pids() {
    local p
    for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
    for p in "$@"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
}
