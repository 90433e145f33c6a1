#!/usr/bin/env bash
# make bench: every comparison of issue 12 in one run, interleaved, medians of 3 rounds.
#  - in-process: bench/bench_sim (two synack stacks over the simulated link), once per round;
#  - over TUN and veth (root only): the kernel's clients (bench/loadgen) against synack serve
#    on TUN, against lwIP on TUN (bench/lwip/lwip_tun.c, built here from Debian's
#    liblwip-dev) and against Linux over veth (bench/kserve), each in network namespaces made
#    here and removed by name on exit, also on failure. Unpinned, then all pinned to vCPU 0.
#  - the floor (bench/floor.c, root only): a stateless TCP echo responder on TUN, no TCP at
#    all, the least any server could do on this path; its columns "floor" (1 queue: the
#    cps1, cps64, cps64pc and pingpong rows), "floor 2q" and "floor 2q steered" (--queues 2,
#    and with --steer cpu: the cps64 and cps64pc rows), and each target's ratio at the floor
#    beside synack's, so that a target no server can reach on this path says so.
#    BENCH_FLOOR=0 leaves them out; BENCH_FLOOR_ARGS="--vnet" adds options to every floor;
#    BENCH_FLOOR_VARIANT="--writev" adds the column "floor variant", a 1-queue floor with
#    those options, in the same interleaved rounds (a variant against the plain floor).
#   BENCH_PEERS="floor floorv lwip"  starts only the TUN servers named (of synack synack2q
#                    synack2qs synackbase lwip floor floor2q floor2qs floorv linux), for quick
#                    work on a few columns; Linux also runs for the lossy rows when they run
# Writes bench/results.json and bench/results.svg and prints one table (scripts/bench_report.py).
# Bounded: each load-generator run stops by itself after BENCH_SECONDS and has a timeout.
#   BENCH_QUICK=1    0.5 s per run instead of 3 (about 1 minute instead of 6)
#   BENCH_ROUNDS=N   rounds (3); BENCH_SECONDS=S seconds per run
#   BENCH_KEEP=DIR   keeps the raw results and the servers' logs there
#   BENCH_METRICS=  the rows to run, a subset of "cps1 cps64 cps64pc pingpong bulk_c2s bulk_s2c"
#                    (cps64pc: 64 concurrent from one client per vCPU, each pinned to its own,
#                    in the unpinned pass only; where `serve --queues 2 --steer cpu` runs)
#   BENCH_LOSS="1 3" the per-segment loss rates (percent) of the lossy-path rows (issue 13);
#                    "" skips them
#   BENCH_LOSS_CC=cubic  the kernel's congestion control on the lossy rows (synack's default)
#   BENCH_BASE=PATH  also a `synack serve` from another build (the tree before a change), as
#                    the column "synack base" of the same interleaved rounds: before/after
#                    in one run, under the same load
#   BENCH_SERVE_ARGS="--io-uring"  more `synack serve` options for the synack columns (not
#                    the lossy rows'), and BENCH_BASE_ARGS for the "synack base" column: with
#                    BENCH_BASE=build/synack, the same binary with and without an option,
#                    interleaved
#   BENCH_ONLY=loss  only the lossy rows: the lossy paths against Linux, and bench_sim's lossy
#                    and Mathis rows (BENCH_SIM_ONLY=loss), for quick work on loss recovery
#   BENCH_MATHIS=1   also the Mathis bound on a real path (scripts/mathis_real.sh, root only):
#                    Linux-to-Linux (CUBIC, Reno) and synack both ways behind bench/relay, 20 ms
#                    RTT and 1%/5% loss both ways, BENCH_ROUNDS rounds of BENCH_MATHIS_SECONDS
#                    (10; 3 with BENCH_QUICK) per row: about 4.5 minutes (1.5 quick);
#                    BENCH_MATHIS_LOSS="1 5" the levels (percent)
# The lossy-path rows: bulk both ways with P% of the datagrams lost at each receiver's input,
# offloads off (one loss is one segment), synack against Linux-to-Linux in the same run. Over
# veth, iptables' statistic match in both namespaces' INPUT; towards synack, its own seeded
# fault injector (serve --faults loss=P, both ways: what it drops on the way out is lost on
# the wire for synack's TCP, as the kernel's INPUT drop is for the kernel's). Every kernel
# socket of these rows runs CUBIC, synack's default (loadgen and kserve --cc): otherwise they
# take the host's default, which may be another algorithm (BBR on our machine, which does not
# back off on random loss), and Linux-to-Linux would be measured with another congestion
# control than synack's.
# Addresses: 10.7.0.0/24 inside the bench's own namespaces only; nothing else is touched.
set -u
build="${1:-build}"
cd "$(dirname "$0")/.." || exit 1
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac

QUICK=${BENCH_QUICK:-0}
# Every namespace this run creates ends in RUN, so that a caller (bench_smoke) can tell its own
# from those of another bench running beside it; the process id unless the caller names it.
RUN=${BENCH_RUN_ID:-$$}
ONLY=${BENCH_ONLY:-}
ROUNDS=${BENCH_ROUNDS:-3}
if [ "$QUICK" = 1 ]; then SECS=${BENCH_SECONDS:-0.5}; else SECS=${BENCH_SECONDS:-3}; fi
OUT_JSON=${BENCH_JSON:-bench/results.json}
OUT_SVG=${BENCH_SVG:-bench/results.svg}
NCPU=$(nproc 2>/dev/null || echo 1)
T_START=$(date +%s)

WORK=$(mktemp -d /tmp/synack-bench.XXXXXX)
NSS=()  # namespaces made here, deleted by name
PIDS=() # processes started here, ended by PID
# shellcheck source=scripts/bench_common.bash
. scripts/bench_common.bash # the working directory is the top of the tree (above)
cleanup() {
    local ns
    stop_pids "${PIDS[@]}"
    for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [ -n "${BENCH_KEEP:-}" ]; then mkdir -p "$BENCH_KEEP" && cp -r "$WORK"/. "$BENCH_KEEP"/; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo; echo "bench: interrupted" >&2; exit 130' INT TERM

# A progress line: rewritten in place on a terminal, one line per step otherwise.
STEP=0
TOTAL=1

# ---- what can run ----------------------------------------------------------------------------
[ -x "$build/bench_sim" ] || { echo "bench: $build/bench_sim missing (make build)" >&2; exit 1; }
TUN_SKIP=""
if [ "$(id -u)" != 0 ]; then
    TUN_SKIP="not root (network namespaces and TUN devices need root; run make bench as root)"
elif [ ! -c /dev/net/tun ]; then
    TUN_SKIP="no /dev/net/tun"
else
    for t in ip taskset timeout; do
        command -v "$t" >/dev/null 2>&1 || { TUN_SKIP="$t not installed (make deps)"; break; }
    done
fi
for t in loadgen kserve synack; do
    [ -n "$TUN_SKIP" ] || [ -x "$build/$t" ] || TUN_SKIP="$build/$t missing"
done
FLOOR=${BENCH_FLOOR:-1}
[ -x "$build/floor" ] || FLOOR=0
LWIP_SKIP=""
if [ -z "$TUN_SKIP" ]; then
    if ! pkg-config --exists lwip 2>/dev/null; then
        LWIP_SKIP="liblwip-dev not installed (make deps)"
    else
        # -isystem: lwIP's own headers are not held to our warning flags; our glue is.
        LWIP_CFLAGS=$(pkg-config --cflags-only-I lwip | sed 's/-I/-isystem /g')
        # shellcheck disable=SC2086,SC2046 # word splitting of the flag lists is intended
        if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes $LWIP_CFLAGS bench/lwip/lwip_tun.c \
            -o "$build/lwip_tun" $(pkg-config --libs lwip) 2>"$WORK/lwip_cc.log"; then
            LWIP_SKIP="bench/lwip/lwip_tun.c does not build: $(head -c 300 "$WORK/lwip_cc.log")"
        fi
    fi
fi
QUEUES=0
if [ -z "$TUN_SKIP" ] && "$build/synack" serve --help 2>&1 | grep -q -- '--queues'; then QUEUES=1; fi
# serve --queues 2 --steer cpu (each connection to the queue of the CPU that sent its SYN): its own
# column, for the row whose clients are one per vCPU
STEER=0
if [ "$QUEUES" = 1 ] && [ "$NCPU" -ge 2 ] && "$build/synack" serve --help 2>&1 | grep -q -- '--steer cpu'; then
    STEER=1
fi

# ---- namespaces and servers ----------------------------------------------------------------
TARGETS=()
declare -A CLIENT_NS SERVER_PID
SRC_BASE=10.7.0.101
NSRC=16
PORT_ECHO=7 PORT_DISCARD=9 PORT_CHARGEN=19
MAX_S=$((900 + ROUNDS * 200)) # the servers' own bound, should this script die unseen

fail_setup() {
    echo "bench: setup failed: $*" >&2
    exit 1
}

newns() { # name: a namespace with lo up and no IPv6 (router solicitations would be noise)
    ip netns add "$1" || fail_setup "cannot create namespace $1"
    NSS+=("$1")
    ip netns exec "$1" ip link set lo up
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# The client's side, where the client closes first and keeps TIME-WAIT: many source addresses,
# a wide port range, and TIME-WAIT buckets enough that the kernel never drops one (else it
# answers the server's FIN with RST).
client_side() { # ns dev
    ip netns exec "$1" sysctl -qw net.ipv4.tcp_max_tw_buckets=2000000 \
        net.ipv4.ip_local_port_range="10000 65000" || fail_setup "sysctl in $1"
    local i
    for i in $(seq 0 $((NSRC - 1))); do
        ip netns exec "$1" ip addr add "10.7.0.$((101 + i))/24" dev "$2" || fail_setup "address in $1"
    done
}

start_synack() { # target-name queues [binary [more serve options]]
    local ns="synack-bench-$1-$RUN" extra=() bin=${3:-$build/synack}
    [ "$2" -gt 1 ] && extra=(--queues "$2")
    extra+=("${@:4}")
    local more
    if [ "$1" = synackbase ]; then more=${BENCH_BASE_ARGS:-}; else more=${BENCH_SERVE_ARGS:-}; fi
    # shellcheck disable=SC2206 # a list of words, as on a command line
    [ -n "$more" ] && extra+=($more)
    newns "$ns"
    # not through a subshell: $! must be synack itself (ip netns exec execs it)
    ip netns exec "$ns" "$bin" serve --tun tun0 --echo $PORT_ECHO --discard $PORT_DISCARD \
        --chargen $PORT_CHARGEN --max-conns 1500 --max-conns-per-service 1500 "${extra[@]}" \
        >"$WORK/$1.log" 2>&1 &
    SERVER_PID[$1]=$!
    PIDS+=($!)
    wait_for "$WORK/$1.log" "^synack serve: created\|^synack serve: attached" $! "synack serve"
    client_side "$ns" tun0
    CLIENT_NS[$1]=$ns
    TARGETS+=("$1")
}

start_lwip() {
    local ns="synack-bench-lwip-$RUN"
    newns "$ns"
    ip netns exec "$ns" ip tuntap add dev tun0 mode tun || fail_setup "tuntap in $ns"
    ip netns exec "$ns" ip addr add 10.7.0.1/24 dev tun0
    ip netns exec "$ns" ip link set tun0 up
    ip netns exec "$ns" "$build/lwip_tun" --tun tun0 --addr 10.7.0.2 --echo $PORT_ECHO \
        --discard $PORT_DISCARD --chargen $PORT_CHARGEN --max-seconds $MAX_S \
        >"$WORK/lwip.log" 2>&1 &
    SERVER_PID[lwip]=$!
    PIDS+=($!)
    wait_for "$WORK/lwip.log" "listening" $! "lwip_tun"
    client_side "$ns" tun0
    CLIENT_NS[lwip]=$ns
    TARGETS+=(lwip)
}

# The floor: bench/floor creates its TUN device (multi-queue with --queues) and says
# "listening"; the kernel's side gets its addresses here.
start_floor() { # target-name [floor options]
    local ns="synack-bench-$1-$RUN" name=$1 more=()
    shift
    # shellcheck disable=SC2206 # a list of words, as on a command line
    [ -n "${BENCH_FLOOR_ARGS:-}" ] && more=($BENCH_FLOOR_ARGS)
    newns "$ns"
    ip netns exec "$ns" "$build/floor" --tun tun0 --max-seconds $MAX_S "$@" "${more[@]}" \
        >"$WORK/$name.log" 2>&1 &
    SERVER_PID[$name]=$!
    PIDS+=($!)
    wait_for "$WORK/$name.log" "listening" $! "floor"
    ip netns exec "$ns" ip addr add 10.7.0.1/24 dev tun0 || fail_setup "address in $ns"
    ip netns exec "$ns" ip link set tun0 up || fail_setup "link in $ns"
    client_side "$ns" tun0
    CLIENT_NS[$name]=$ns
    TARGETS+=("$name")
}

# Whether a server is wanted (BENCH_PEERS, all by default).
wanted() { # target-name
    [ -z "${BENCH_PEERS:-}" ] && return 0
    case " $BENCH_PEERS " in *" $1 "*) return 0 ;; esac
    return 1
}

# Which rows a target runs: the floor only answers echo (no discard, no chargen: no bulk
# rows), and its 2-queue columns only the 2-queue rows.
runs_metric() { # target metric
    case $1 in
    floor | floorv) case $2 in cps1 | cps64 | cps64pc | pingpong) return 0 ;; *) return 1 ;; esac ;;
    floor2q*) case $2 in cps64 | cps64pc) return 0 ;; *) return 1 ;; esac ;;
    esac
    return 0
}

start_linux() {
    local c="synack-bench-linux-c-$RUN" s="synack-bench-linux-s-$RUN"
    newns "$c"
    newns "$s"
    ip netns exec "$c" ip link add veth-c type veth peer name veth-s || fail_setup "no veth"
    ip netns exec "$c" ip link set veth-s netns "$s"
    ip netns exec "$c" ip addr add 10.7.0.1/24 dev veth-c
    ip netns exec "$s" ip addr add 10.7.0.2/24 dev veth-s
    ip netns exec "$c" ip link set veth-c up
    ip netns exec "$s" ip link set veth-s up
    ip netns exec "$s" "$build/kserve" --echo $PORT_ECHO --discard $PORT_DISCARD \
        --chargen $PORT_CHARGEN --max-seconds $MAX_S >"$WORK/linux.log" 2>&1 &
    SERVER_PID[linux]=$!
    PIDS+=($!)
    wait_for "$WORK/linux.log" "listening" $! "kserve"
    client_side "$c" veth-c
    CLIENT_NS[linux]=$c
    TARGETS+=(linux)
}

pin_servers() { # cpu-list
    local t tid i
    for t in "${TARGETS[@]}"; do
        if [[ $t = synack2q* || $t = floor2q* ]] && [ "$1" = "0-$((NCPU - 1))" ]; then
            # serve --queues (and floor --queues) pins queue i's thread to CPU i (mod the CPUs): put that back
            # after the pinned rounds rather than let every thread float over all CPUs.
            # Its threads in the order they were made: queue 0 (the main thread) first.
            i=0
            for tid in $(for d in /proc/"${SERVER_PID[$t]}"/task/*; do echo "${d##*/}"; done |
                sort -n); do
                taskset -p -c $((i % NCPU)) "$tid" >/dev/null 2>&1
                i=$((i + 1))
            done
            continue
        fi
        taskset -a -p -c "$1" "${SERVER_PID[$t]}" >/dev/null 2>&1
    done
}

# ---- the runs ----------------------------------------------------------------------------------
# BENCH_METRICS="cps1 cps64 pingpong" (or "bulk_c2s bulk_s2c") runs only those rows, for
# iterating on one part, and BENCH_SIM=0 skips the in-process bench_sim; the default is all.
read -r -a METRICS <<<"${BENCH_METRICS:-cps1 cps64 cps64pc pingpong bulk_c2s bulk_s2c}"
loadgen_args() { # metric
    local src=(--src "$SRC_BASE" --nsrc "$NSRC" --seconds "$SECS")
    case $1 in
    cps1) echo cps --conc 1 --port $PORT_ECHO "${src[@]}" --max 1000000 ;;
    cps64) echo cps --conc 64 --port $PORT_ECHO "${src[@]}" --max 1000000 ;;
    pingpong) echo pingpong --port $PORT_ECHO "${src[@]}" --max 200000 ;;
    bulk_c2s) echo send --port $PORT_DISCARD "${src[@]}" ;;
    bulk_s2c) echo recv --port $PORT_CHARGEN "${src[@]}" ;;
    esac
}

RUNS="$WORK/runs.jsonl"
: >"$RUNS"
# cps64pc: one loadgen per vCPU, pinned to it, 64 connections between them, each with its own
# share of the source addresses; the figure is their sum. What a server with a queue per CPU
# meets when its clients are spread over the CPUs (serve --steer cpu keeps each on its own).
cps_per_cpu() { # namespace
    local i pids=() n=$NCPU per=$((64 / NCPU)) nsrc=$((NSRC / NCPU))
    [ "$nsrc" -ge 1 ] || nsrc=1
    for i in $(seq 0 $((n - 1))); do
        # shellcheck disable=SC2046
        timeout "$(awk -v s="$SECS" 'BEGIN { print int(s * 2 + 15) }')" \
            ip netns exec "$1" taskset -c "$i" "$build/loadgen" cps --conc "$per" --port $PORT_ECHO \
            --src "10.7.0.$((101 + i * nsrc))" --nsrc "$nsrc" --seconds "$SECS" --max 1000000 \
            >"$WORK/pc.$i" 2>>"$WORK/lg.err" &
        pids+=($!)
    done
    wait "${pids[@]}" || return 1
    python3 - "$WORK" "$n" <<'PY'
import json, sys
rs = [json.load(open(f"{sys.argv[1]}/pc.{i}")) for i in range(int(sys.argv[2]))]
s = lambda k: sum(r[k] for r in rs)
print(json.dumps({"mode": "cps", "conc": s("conc"), "value": round(s("value"), 1),
                  "unit": "conn/s", "done": s("done"), "errors": s("errors"),
                  "timeouts": s("timeouts"), "seconds": max(r["seconds"] for r in rs),
                  "clients": [r["value"] for r in rs]}))
PY
}
# The server's CPU so far: "ns utime stime": its threads' time on a CPU (schedstat, ns) and
# the process's user and system time (clock ticks). Across a run, divided by the connections
# or round trips done: what the server spent on each, and how much of it in the kernel (its
# system calls, and the kernel client's TCP that runs inside its writes to the TUN device).
server_cpu() { # pid
    local ns=0 f v
    for f in /proc/"$1"/task/*/schedstat; do
        read -r v _ <"$f" 2>/dev/null && ns=$((ns + v))
    done
    echo "$ns $(sed 's/.*) //' /proc/"$1"/stat 2>/dev/null | awk '{ print $12, $13 }')"
}

run_one() { # round pin target metric
    local r=$1 pin=$2 t=$3 m=$4 out wrap=() rc
    [ "$pin" = pinned ] && wrap=(taskset -c 0)
    progress "round $r/$ROUNDS, $pin: $m against $t"
    # the 1-minute load average as the run starts: a sign of other work on the machine
    local load1 cpu0 cpu1 pid=${SERVER_PID[$t]}
    load1=$(cut -d' ' -f1 /proc/loadavg)
    read -r -a cpu0 <<<"$(server_cpu "$pid")"
    : >"$WORK/lg.err"
    if [ "$m" = cps64pc ]; then
        # a client per vCPU: not with everything pinned to one
        [ "$pin" = pinned ] && return 0
        out=$(cps_per_cpu "${CLIENT_NS[$t]}")
    else
        # shellcheck disable=SC2046 # loadgen_args is a list of words
        out=$(timeout "$(awk -v s="$SECS" 'BEGIN { print int(s * 2 + 15) }')" \
            ip netns exec "${CLIENT_NS[$t]}" "${wrap[@]}" "$build/loadgen" $(loadgen_args "$m") \
            2>"$WORK/lg.err")
    fi
    rc=$?
    read -r -a cpu1 <<<"$(server_cpu "$pid")"
    if [ $rc = 0 ] && [ -n "$out" ]; then
        local cpu=null
        [ ${#cpu0[@]} = 3 ] && [ ${#cpu1[@]} = 3 ] &&
            cpu=$(printf '{"ns":%d,"utime":%d,"stime":%d,"hz":%d}' $((cpu1[0] - cpu0[0])) \
                $((cpu1[1] - cpu0[1])) $((cpu1[2] - cpu0[2])) "$(getconf CLK_TCK)")
        printf '{"round":%d,"pin":"%s","target":"%s","metric":"%s","load1":%s,"result":%s,"server_cpu":%s}\n' \
            "$r" "$pin" "$t" "$m" "$load1" "$out" "$cpu" >>"$RUNS"
    else
        local err
        err=$(head -c 200 "$WORK/lg.err" | tr -d '"\\\n')
        [ $rc = 124 ] && err="timed out; $err"
        printf '{"round":%d,"pin":"%s","target":"%s","metric":"%s","result":null,"error":"%s"}\n' \
            "$r" "$pin" "$t" "$m" "$err" >>"$RUNS"
    fi
    # let the server's last closes (LAST-ACK) finish before the next run
    case $m in cps*) sleep 0.2 ;; esac
}

# ---- lossy paths (issue 13): synack with its injector, Linux with iptables ----------------
LOSS_LEVELS=${BENCH_LOSS-1 3}
LOSSY_METRICS=(bulk_c2s bulk_s2c)
declare -A LOSSY_NS
LOSSY_CC=${BENCH_LOSS_CC:-cubic}
start_lossy() { # level%
    local p ns="synack-bench-loss$1-$RUN"
    p=$(awk -v l="$1" 'BEGIN { printf "%.4f", l / 100 }')
    newns "$ns"
    ip netns exec "$ns" "$build/synack" serve --tun tun0 --echo $PORT_ECHO --discard $PORT_DISCARD \
        --chargen $PORT_CHARGEN --faults "loss=$p" --seed "$1" >"$WORK/synack-loss$1.log" 2>&1 &
    SERVER_PID[synack-loss$1]=$!
    PIDS+=($!)
    wait_for "$WORK/synack-loss$1.log" "^synack serve: created" $! "synack serve (loss $1%)"
    client_side "$ns" tun0
    LOSSY_NS[$1]=$ns
}
linux_loss() { # level% on|off: iptables at both namespaces' INPUT, offloads off
    local c=${CLIENT_NS[linux]} s="synack-bench-linux-s-$RUN" p op
    p=$(awk -v l="$1" 'BEGIN { printf "%.4f", l / 100 }')
    [ "$2" = on ] && op=-A || op=-D
    ip netns exec "$c" iptables "$op" INPUT -p tcp -m statistic --mode random \
        --probability "$p" -j DROP
    ip netns exec "$s" iptables "$op" INPUT -p tcp -m statistic --mode random \
        --probability "$p" -j DROP
}
run_lossy() { # round target level metric
    local r=$1 t=$2 l=$3 m=$4 ns out rc load1
    [ "$t" = linux ] && ns=${CLIENT_NS[linux]} || ns=${LOSSY_NS[$l]}
    progress "round $r/$ROUNDS, loss $l%: $m against $t"
    load1=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2046 # loadgen_args is a list of words
    out=$(timeout "$(awk -v s="$SECS" 'BEGIN { print int(s * 2 + 15) }')" \
        ip netns exec "$ns" "$build/loadgen" $(loadgen_args "$m") --cc "$LOSSY_CC" 2>"$WORK/lg.err")
    rc=$?
    if [ $rc = 0 ] && [ -n "$out" ]; then
        printf '{"round":%d,"pin":"loss%s","target":"%s","metric":"%s","load1":%s,"result":%s}\n' \
            "$r" "$l" "$t" "$m" "$load1" "$out" >>"$RUNS"
    else
        printf '{"round":%d,"pin":"loss%s","target":"%s","metric":"%s","result":null,"error":"%s"}\n' \
            "$r" "$l" "$t" "$m" "$(head -c 200 "$WORK/lg.err" | tr -d '"\\\n')" >>"$RUNS"
    fi
}

uptime >"$WORK/load_start"
if [ -z "$TUN_SKIP" ]; then
    if [ "$ONLY" != loss ]; then
        wanted synack && start_synack synack 1
        [ "$QUEUES" = 1 ] && wanted synack2q && start_synack synack2q 2
        [ "$STEER" = 1 ] && wanted synack2qs && start_synack synack2qs 2 "$build/synack" --steer cpu
        [ -n "${BENCH_BASE:-}" ] && wanted synackbase && start_synack synackbase 1 "$BENCH_BASE"
        [ -z "$LWIP_SKIP" ] && wanted lwip && start_lwip
        if [ "$FLOOR" = 1 ]; then
            wanted floor && start_floor floor
            if [ "$NCPU" -ge 2 ]; then
                wanted floor2q && start_floor floor2q --queues 2
                wanted floor2qs && start_floor floor2qs --queues 2 --steer cpu
            fi
            # shellcheck disable=SC2086 # a list of words, as on a command line
            [ -n "${BENCH_FLOOR_VARIANT:-}" ] && wanted floorv &&
                start_floor floorv $BENCH_FLOOR_VARIANT
        fi
    fi
    # Linux's namespaces also serve the lossy rows
    if wanted linux || [ -n "$LOSS_LEVELS" ]; then start_linux; fi
    if [ -n "$LOSS_LEVELS" ] && command -v iptables >/dev/null && command -v ethtool >/dev/null; then
        for l in $LOSS_LEVELS; do start_lossy "$l"; done
    else
        LOSS_LEVELS=""
    fi
fi
NLOSS=$(echo "$LOSS_LEVELS" | wc -w)
# Only the lossy rows: the clean ones run against no target (Linux's namespaces stay, for
# the lossy comparison).
CLEAN_TARGETS=("${TARGETS[@]}")
[ "$ONLY" = loss ] && CLEAN_TARGETS=()
NCLEAN=0
for t in "${CLEAN_TARGETS[@]}"; do
    for m in "${METRICS[@]}"; do runs_metric "$t" "$m" && NCLEAN=$((NCLEAN + 2)); done
done
TOTAL=$((ROUNDS * (1 + NCLEAN + NLOSS * 2 * ${#LOSSY_METRICS[@]})))

for r in $(seq "$ROUNDS"); do
    if [ "${BENCH_SIM:-1}" != 0 ]; then
        progress "round $r/$ROUNDS: in-process (bench_sim)"
        BENCH_SIM_ONLY=$ONLY "$build/bench_sim" >"$WORK/sim.$r.txt" 2>&1 ||
            echo "bench: bench_sim failed (round $r)" >&2
    fi
    [ ${#CLEAN_TARGETS[@]} -gt 0 ] || continue
    for pin in unpinned pinned; do
        if [ "$pin" = pinned ]; then pin_servers 0; else pin_servers "0-$((NCPU - 1))"; fi
        for m in "${METRICS[@]}"; do
            # interleaved: each metric against every target in turn, the order rotated by round
            n=${#TARGETS[@]}
            for k in $(seq 0 $((n - 1))); do
                t=${TARGETS[$(((k + r) % n))]}
                runs_metric "$t" "$m" && run_one "$r" "$pin" "$t" "$m"
            done
        done
    done
done
# The lossy paths, after the clean ones: the same rounds, synack and Linux interleaved.
if [ -n "$LOSS_LEVELS" ]; then
    # One loss is one segment: no TSO/GSO super-segments, no GRO merging, on the veth pair
    # (synack's lossy servers run without offloads: serve --faults). Only now: the clean rows
    # compare against Linux with its offloads, as synack has its own (serve's TSO and GRO).
    ip netns exec "${CLIENT_NS[linux]}" ethtool -K veth-c tso off gso off gro off >/dev/null 2>&1
    ip netns exec "synack-bench-linux-s-$RUN" ethtool -K veth-s tso off gso off gro off \
        >/dev/null 2>&1
    # CUBIC on both Linux ends, as synack's: loadgen sets it on its sockets (run_lossy), and
    # kserve is started again with it on its listeners (a namespace's default can only be
    # one of the host's allowed algorithms). Only now: the clean rows keep the default.
    kill -TERM "${SERVER_PID[linux]}" 2>/dev/null
    wait "${SERVER_PID[linux]}" 2>/dev/null
    ip netns exec "synack-bench-linux-s-$RUN" "$build/kserve" --echo $PORT_ECHO \
        --discard $PORT_DISCARD --chargen $PORT_CHARGEN --max-seconds $MAX_S --cc "$LOSSY_CC" \
        >"$WORK/linux-lossy.log" 2>&1 &
    SERVER_PID[linux]=$!
    PIDS+=($!)
    wait_for "$WORK/linux-lossy.log" "listening" $! "kserve (lossy rows)"
    pin_servers "0-$((NCPU - 1))"
    for r in $(seq "$ROUNDS"); do
        for l in $LOSS_LEVELS; do
            for m in "${LOSSY_METRICS[@]}"; do
                run_lossy "$r" synack "$l" "$m"
                linux_loss "$l" on
                run_lossy "$r" linux "$l" "$m"
                linux_loss "$l" off
            done
        done
    done
fi
# The Mathis bound on a real path (issue 13), opt-in: its own namespaces, relay and servers
# (scripts/mathis_real.sh), its runs and summary into $WORK (mathis_runs.jsonl, mathis.json).
if [ "${BENCH_MATHIS:-0}" = 1 ] && [ -z "$TUN_SKIP" ]; then
    if [ "$QUICK" = 1 ]; then msecs=${BENCH_MATHIS_SECONDS:-3}; else msecs=${BENCH_MATHIS_SECONDS:-10}; fi
    MATHIS_RUNS=$ROUNDS MATHIS_SECONDS=$msecs MATHIS_LOSS=${BENCH_MATHIS_LOSS:-1 5} \
        MATHIS_OUT="$WORK" bash scripts/mathis_real.sh "$build" >"$WORK/mathis.txt" ||
        echo "bench: scripts/mathis_real.sh failed or skipped: $(tail -3 "$WORK/mathis.txt")" >&2
fi
[ -t 2 ] && printf '\r\033[K' >&2
uptime >"$WORK/load_end"

# synack's own counters after the run (SIGUSR1 prints them into its log), for the JSON
for t in "${TARGETS[@]}"; do
    case $t in synack*) kill -USR1 "${SERVER_PID[$t]}" 2>/dev/null ;; esac
done
for l in $LOSS_LEVELS; do kill -USR1 "${SERVER_PID[synack-loss$l]}" 2>/dev/null; done
sleep 0.3

python3 scripts/bench_report.py --work "$WORK" --json "$OUT_JSON" --svg "$OUT_SVG" \
    --seconds "$SECS" --rounds "$ROUNDS" --ncpu "$NCPU" --elapsed $(($(date +%s) - T_START)) \
    --tun-skip "$TUN_SKIP" --lwip-skip "$LWIP_SKIP" --queues "$QUEUES" --loss "$LOSS_LEVELS" \
    --targets "${TARGETS[*]}"
