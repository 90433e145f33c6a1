#!/usr/bin/env bash
# scripts/mathis_real.sh - the Mathis bound on a real path (issue 13): the goodput of the
# kernel's own TCP, and of synack beside it, over the path bench_sim's Mathis rows simulate
# (20 ms RTT, random per-segment loss p in both directions), against MSS/RTT*1.22/sqrt(p).
#
# The path: two network namespaces made here, "cl" (the kernel's clients, bench/loadgen) and
# "sv" (the servers), joined by bench/relay: a TUN device in each and synack's seeded fault
# injector between them, delay 10 ms and loss p on each direction (data and ACKs alike, as
# in the simulator), no offloads (one datagram is one segment), no bandwidth limit. In sv the
# kernel's own servers (bench/kserve) answer on 10.7.1.2; `synack serve` runs in sv on its own
# TUN device (tun0, the stack at 10.7.0.2, --no-offload) and sv's kernel routes between the
# relay's device and tun0. So Linux and synack sit behind the same relay, the same faults and
# the same delay line; synack's datagrams cross one more kernel hop (a forward, microseconds).
#
# Rows (MATHIS_ROWS), each a bulk transfer of MATHIS_SECONDS or MATHIS_MAX_MIB, whichever comes
# first (loadgen --seconds/--max), goodput = bytes delivered / time, connect to last byte:
#   linux_cubic      Linux -> Linux, the sender (cl) CUBIC       loadgen send -> kserve discard
#   linux_reno       Linux -> Linux, the sender (cl) Reno        loadgen send -> kserve discard
#   linux_cubic_s2c  Linux -> Linux the other way (sv sends), CUBIC  loadgen recv <- kserve chargen
#   synack_rcv       Linux (CUBIC) -> synack: synack receives    loadgen send -> serve --discard
#   synack_snd       synack (CUBIC, its default) -> Linux        loadgen recv <- serve --chargen
#   synack_snd_newreno  synack NewReno -> Linux (a second serve, --cc newreno, on tun1 at
#                    10.7.2.2)                                   loadgen recv <- serve --chargen
# Rounds (MATHIS_RUNS) interleave the rows, order rotated per round; each round and loss level
# starts a fresh relay with its own seed (MATHIS_SEED + 100*level + round). Before the rows of
# a round, ping (through the same lossy path) measures the RTT seen to each server.
# The kernel's per-destination metrics cache is off (tcp_no_metrics_save), so that no run
# starts with the ssthresh an earlier one left.
#
#   scripts/mathis_real.sh [BUILD_DIR]      (as root; BUILD_DIR: build)
#   MATHIS_LOSS="1 5" MATHIS_RUNS=3 MATHIS_SECONDS=20 MATHIS_MAX_MIB=64 MATHIS_SEED=1
#   MATHIS_ROWS="linux_cubic linux_reno synack_rcv synack_snd" MATHIS_DELAY_MS=10
#   MATHIS_LOSS_ON=data  loss on the data direction only (ACKs never lost), a relay per row
#                    (--faults-ab or --faults-ba), to tell what the ACKs' loss costs; the
#                    default "both" is the simulator's path
#   MATHIS_OUT=DIR   writes DIR/mathis_runs.jsonl (one line per run) and DIR/mathis.json (the
#                    summary: median and range per row, the bound, the ratios); a text table
#                    on stdout in any case
# Exit 77 (skipped) without root, TUN, ip or the binaries; 1 when setup fails.
# Addresses: 10.7.0.0/24, 10.7.1.0/24 and 10.7.2.0/24 inside the namespaces made here only.
set -u
build="${1:-build}"
cd "$(dirname "$0")/.." || exit 1
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac

LOSS=${MATHIS_LOSS:-1 5}
RUNS=${MATHIS_RUNS:-3}
SECS=${MATHIS_SECONDS:-20}
MAX_MIB=${MATHIS_MAX_MIB:-64}
SEED=${MATHIS_SEED:-1}
DELAY_MS=${MATHIS_DELAY_MS:-10}
LOSS_ON=${MATHIS_LOSS_ON:-both}
case $LOSS_ON in both | data) ;; *) echo "mathis_real: MATHIS_LOSS_ON is both or data" >&2; exit 2 ;; esac
read -r -a ROWS <<<"${MATHIS_ROWS:-linux_cubic linux_reno synack_rcv synack_snd}"
T_START=$(date +%s)

skip() {
    echo "mathis_real: SKIP: $*" >&2
    exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TUN devices)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for t in ip timeout ping python3; do command -v "$t" >/dev/null 2>&1 || skip "$t not installed"; done
for t in relay loadgen kserve synack; do [ -x "$build/$t" ] || skip "$build/$t missing (make build)"; done

WORK=$(mktemp -d /tmp/synack-mathis.XXXXXX)
OUT=${MATHIS_OUT:-$WORK}
mkdir -p "$OUT"
CL="synack-mathis-cl-$$"
SV="synack-mathis-sv-$$"
NSS=()
PIDS=()
RELAY_PID=""
# shellcheck source=scripts/bench_common.bash
. scripts/bench_common.bash # the working directory is the top of the tree (above)
cleanup() {
    local ns
    stop_pids "${PIDS[@]}" $RELAY_PID
    for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    [ -n "${MATHIS_KEEP:-}" ] && mkdir -p "$MATHIS_KEEP" && cp -r "$WORK"/. "$MATHIS_KEEP"/
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo; echo "mathis_real: interrupted" >&2; exit 130' INT TERM

fail_setup() {
    echo "mathis_real: setup failed: $*" >&2
    exit 1
}

STEP=0
TOTAL=$(($(echo "$LOSS" | wc -w) * RUNS * (1 + ${#ROWS[@]})))
PROGRESS_TAG="mathis: "

newns() {
    ip netns add "$1" || fail_setup "cannot create namespace $1"
    NSS+=("$1")
    ip netns exec "$1" ip link set lo up
    # No IPv6 (router solicitations would be noise); no cached metrics between runs.
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 net.ipv4.tcp_no_metrics_save=1 ||
        fail_setup "sysctl in $1"
}

# ---- the two ends ----------------------------------------------------------------------
newns "$CL"
newns "$SV"
ip netns exec "$SV" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0 || fail_setup "forwarding in $SV"
MAX_S=$((600 + RUNS * 300))
ip netns exec "$SV" "$build/kserve" --discard 9 --chargen 19 --cc cubic --max-seconds "$MAX_S" \
    >"$WORK/kserve.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/kserve.log" listening $! kserve
ip netns exec "$SV" "$build/synack" serve --tun tun0 --no-offload --no-ipv6 --discard 9 \
    --chargen 19 >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
wait_for "$WORK/serve.log" "^synack serve: created\|^synack serve: attached" $SERVE_PID "synack serve"
ip netns exec "$SV" "$build/synack" serve --tun tun1 --no-offload --no-ipv6 --addr 10.7.2.2/24 \
    --host-addr 10.7.2.1/24 --cc newreno --discard 9 --chargen 19 >"$WORK/serve-newreno.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/serve-newreno.log" "^synack serve: created\|^synack serve: attached" $! \
    "synack serve --cc newreno"

# A relay with DELAY_MS each way and loss p (a fraction) on both directions, or with
# MATHIS_LOSS_ON=data on the direction named only (ab: cl to sv, ba: sv to cl); its TUN devices
# ra (in cl, 10.7.1.1) and rb (in sv, 10.7.1.2); cl reaches synack's 10.7.0.0/24 through it.
start_relay() { # p seed tag [ab|ba]
    local log="$WORK/relay.$3" f=(--faults "loss=$1,delay=${DELAY_MS}ms")
    case ${4:-} in
    ab) f=(--faults-ab "loss=$1,delay=${DELAY_MS}ms" --faults-ba "delay=${DELAY_MS}ms") ;;
    ba) f=(--faults-ab "delay=${DELAY_MS}ms" --faults-ba "loss=$1,delay=${DELAY_MS}ms") ;;
    esac
    "$build/relay" --ns-a "$CL" --tun-a ra --addr-a 10.7.1.1/24 --ns-b "$SV" --tun-b rb \
        --addr-b 10.7.1.2/24 "${f[@]}" --seed "$2" \
        --max-seconds "$MAX_S" >"$log.json" 2>"$log.err" &
    RELAY_PID=$!
    wait_for "$log.err" "^relay: up" $RELAY_PID relay
    ip netns exec "$CL" ip route replace 10.7.0.0/24 dev ra || fail_setup "route in $CL"
    ip netns exec "$CL" ip route replace 10.7.2.0/24 dev ra || fail_setup "route in $CL"
    # Offloads off on both devices (a plain TUN device has no TSO; GSO and GRO too, so that
    # nothing is merged or split on the way).
    ip netns exec "$CL" ethtool -K ra gso off gro off >/dev/null 2>&1
    ip netns exec "$SV" ethtool -K rb gso off gro off >/dev/null 2>&1
}
stop_relay() {
    [ -n "$RELAY_PID" ] || return 0
    kill -TERM "$RELAY_PID" 2>/dev/null
    wait "$RELAY_PID" 2>/dev/null
    RELAY_PID=""
}

# The kernel's TCP counters in a namespace: "OutSegs RetransSegs".
tcp_counts() {
    # shellcheck disable=SC2016 # awk's own variables
    ip netns exec "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
        else print $c["OutSegs"], $c["RetransSegs"] }' /proc/net/snmp
}

RUNS_OUT="$OUT/mathis_runs.jsonl"
: >"$RUNS_OUT"
MAXN=$((MAX_MIB * 16)) # loadgen's --max counts 64 KiB writes/reads

row_mode() { # row: send (cl sends) or recv (sv sends)
    case $1 in linux_cubic_s2c | synack_snd*) echo recv ;; *) echo send ;; esac
}
run_row() { # level p round row
    local l=$1 p=$2 r=$3 row=$4 mode dst port cc snd_ns out rc load1 before after
    case $row in
    linux_cubic) mode=send dst=10.7.1.2 port=9 cc=cubic snd_ns=$CL ;;
    linux_reno) mode=send dst=10.7.1.2 port=9 cc=reno snd_ns=$CL ;;
    linux_cubic_s2c) mode=recv dst=10.7.1.2 port=19 cc=cubic snd_ns=$SV ;;
    synack_rcv) mode=send dst=10.7.0.2 port=9 cc=cubic snd_ns=$CL ;;
    synack_snd) mode=recv dst=10.7.0.2 port=19 cc=cubic snd_ns="" ;;
    synack_snd_newreno) mode=recv dst=10.7.2.2 port=19 cc=cubic snd_ns="" ;;
    *) fail_setup "unknown row $row" ;;
    esac
    progress "loss $l%, round $r/$RUNS: $row"
    load1=$(cut -d' ' -f1 /proc/loadavg)
    before=$([ -n "$snd_ns" ] && tcp_counts "$snd_ns")
    out=$(timeout $((SECS * 3 + 30)) ip netns exec "$CL" "$build/loadgen" "$mode" --dst "$dst" \
        --port "$port" --seconds "$SECS" --max "$MAXN" --cc "$cc" --timeout-ms 60000 \
        2>"$WORK/lg.err")
    rc=$?
    after=$([ -n "$snd_ns" ] && tcp_counts "$snd_ns")
    if [ $rc = 0 ] && [ -n "$out" ]; then
        printf '{"loss_pct":%s,"round":%d,"row":"%s","load1":%s,"tcp_before":"%s","tcp_after":"%s","result":%s}\n' \
            "$l" "$r" "$row" "$load1" "$before" "$after" "$out" >>"$RUNS_OUT"
    else
        local err
        err=$(head -c 200 "$WORK/lg.err" | tr -d '"\\\n')
        [ $rc = 124 ] && err="timed out; $err"
        printf '{"loss_pct":%s,"round":%d,"row":"%s","result":null,"error":"%s"}\n' \
            "$l" "$r" "$row" "$err" >>"$RUNS_OUT"
    fi
}

uptime >"$WORK/load_start"
for l in $LOSS; do
    p=$(awk -v l="$l" 'BEGIN { printf "%.4f", l / 100 }')
    for r in $(seq "$RUNS"); do
        seed=$((SEED + 100 * ${l%%.*} + r))
        if [ "$LOSS_ON" = data ]; then start_relay 0 "$seed" "$l.$r"; else start_relay "$p" "$seed" "$l.$r"; fi
        progress "loss $l%, round $r/$RUNS: the RTT (ping through the path)"
        for dst in 10.7.1.2 10.7.0.2; do
            ip netns exec "$CL" ping -q -n -c 20 -i 0.05 -W 1 "$dst" 2>&1 |
                awk -v l="$l" -v r="$r" -v d="$dst" -F'[/ =]+' '/^rtt|^round-trip/ {
                    printf "{\"loss_pct\":%s,\"round\":%d,\"ping\":\"%s\",\"min_ms\":%s,\"avg_ms\":%s}\n",
                        l, r, d, $6, $7 }' >>"$RUNS_OUT"
        done
        n=${#ROWS[@]}
        if [ "$LOSS_ON" = data ]; then # ping saw the path without loss; a relay per row
            stop_relay
            for k in $(seq 0 $((n - 1))); do
                row=${ROWS[$(((k + r) % n))]}
                if [ "$(row_mode "$row")" = send ]; then d=ab; else d=ba; fi
                start_relay "$p" "$((seed * 16 + k))" "$l.$r.$k" "$d"
                run_row "$l" "$p" "$r" "$row"
                stop_relay
                printf '{"loss_pct":%s,"round":%d,"relay":%s}\n' "$l" "$r" \
                    "$(cat "$WORK/relay.$l.$r.$k.json" 2>/dev/null || echo null)" >>"$RUNS_OUT"
            done
            continue
        fi
        for k in $(seq 0 $((n - 1))); do
            run_row "$l" "$p" "$r" "${ROWS[$(((k + r) % n))]}"
        done
        stop_relay
        printf '{"loss_pct":%s,"round":%d,"relay":%s}\n' "$l" "$r" \
            "$(cat "$WORK/relay.$l.$r.json" 2>/dev/null || echo null)" >>"$RUNS_OUT"
    done
done
uptime >"$WORK/load_end"
[ -t 2 ] && printf '\r\033[K' >&2

python3 - "$RUNS_OUT" "$OUT/mathis.json" "$WORK/load_start" "$WORK/load_end" "$SECS" "$MAX_MIB" \
    "$DELAY_MS" "$(($(date +%s) - T_START))" "$LOSS_ON" <<'PY'
import json, math, statistics, sys
runs_path, out_path, ls, le, secs, max_mib, delay_ms, elapsed, loss_on = sys.argv[1:10]
lines = [json.loads(l) for l in open(runs_path) if l.strip()]
MSS = 1448           # MTU 1500, 20-byte IP and TCP headers, 12 bytes of timestamps (both stacks)
RTT = 2 * float(delay_ms) / 1000
TITLE = {"linux_cubic": "Linux -> Linux, CUBIC", "linux_reno": "Linux -> Linux, Reno",
         "linux_cubic_s2c": "Linux -> Linux, CUBIC (sv sends)",
         "synack_rcv": "Linux CUBIC -> synack (synack receives)",
         "synack_snd": "synack CUBIC -> Linux (synack sends)",
         "synack_snd_newreno": "synack NewReno -> Linux (synack sends)"}
def bound(p, rtt=RTT):
    return MSS * 8 / rtt * 1.22 / math.sqrt(p) / 1e6
def load_of(path):
    try:
        return open(path).read().split("load average:")[-1].strip()
    except OSError:
        return ""
levels = sorted({r["loss_pct"] for r in lines})
rows_seen = [k for k in TITLE if any(r.get("row") == k for r in lines)]
summary = {"mss": MSS, "rtt_ms_nominal": RTT * 1000, "seconds_per_run": float(secs),
           "loss_on": loss_on,
           "max_mib": int(max_mib), "load_start": load_of(ls), "load_end": load_of(le),
           "elapsed_s": int(elapsed), "levels": []}
where = "both ways" if loss_on == "both" else "on the data direction only"
out = [f"The Mathis bound on a real path (bench/relay: {delay_ms} ms each way, loss p {where}, "
       f"no offloads; MSS {MSS}), bulk for {secs} s or {max_mib} MiB; "
       f"median [min-max] of the rounds, Mbit/s",
       f"load average at start: {summary['load_start']}; at end: {summary['load_end']}"]
failures = []
for lv in levels:
    p = lv / 100
    pings = {}
    for r in lines:
        if r.get("loss_pct") == lv and "ping" in r:
            pings.setdefault(r["ping"], []).append(r)
    rtt = {d: {"min_ms": min(x["min_ms"] for x in v),
               "avg_ms": statistics.median(x["avg_ms"] for x in v)} for d, v in pings.items()}
    relays = [r["relay"] for r in lines if r.get("loss_pct") == lv and r.get("relay")]
    real = {}
    for d in ("ab", "ba"):  # over the relays that lost anything that way (all, on "both")
        rd = sum(x[d]["read"] for x in relays if x[d]["lost"])
        lost = sum(x[d]["lost"] for x in relays)
        real[d] = lost / rd if rd else None
    b = bound(p)
    lvl = {"loss_pct": lv, "bound_mbps": b, "rtt_seen": rtt, "loss_seen": real, "rows": {}}
    rt = "; ".join(f"{'Linux' if d == '10.7.1.2' else 'synack'} {v['min_ms']:.2f}/{v['avg_ms']:.2f}"
                   for d, v in rtt.items())
    ls_ = ", ".join(f"{d} {v * 100:.2f}%" for d, v in real.items() if v is not None)
    out.append("")
    out.append(f"{lv:g}% loss: Mathis bound {b:.2f} Mbit/s (RTT 20 ms); RTT seen by ping, "
               f"min/median-avg ms: {rt}; loss drawn: {ls_}")
    for row in rows_seen:
        vals, rtx = [], []
        for r in lines:
            if r.get("loss_pct") != lv or r.get("row") != row:
                continue
            if r.get("result") is None:
                failures.append(f"{lv:g}% {row} round {r['round']}: {r.get('error', '')}")
                continue
            res = r["result"]  # loadgen's gbps has 4 decimals: too coarse here
            vals.append(res["bytes"] * 8 / res["seconds"] / 1e6)
            try:
                o0, r0 = map(int, r["tcp_before"].split())
                o1, r1 = map(int, r["tcp_after"].split())
                if o1 > o0:
                    rtx.append((r1 - r0) / (o1 - o0))
            except (ValueError, KeyError):
                pass
        if not vals:
            continue
        med = statistics.median(vals)
        s = {"median": med, "min": min(vals), "max": max(vals), "n": len(vals),
             "values": vals, "ratio_to_bound": med / b,
             "ratio_to_bound_rtt_seen": None,
             "retrans_fraction": statistics.median(rtx) if rtx else None}
        seen = rtt.get("10.7.0.2" if row.startswith("synack") else "10.7.1.2")
        if seen:
            s["ratio_to_bound_rtt_seen"] = med / bound(p, seen["avg_ms"] / 1000)
        lvl["rows"][row] = s
        extra = f", sender retransmitted {s['retrans_fraction'] * 100:.2f}%" if rtx else ""
        out.append(f"  {TITLE.get(row, row):<42} {med:7.2f} [{min(vals):.2f}-{max(vals):.2f}]"
                   f"  {med / b:.2f}x the bound (n={len(vals)}{extra})")
    for row, peer in (("synack_snd", "linux_cubic"), ("synack_rcv", "linux_cubic"),
                      ("synack_snd_newreno", "linux_reno")):
        s, lin = lvl["rows"].get(row), lvl["rows"].get(peer)
        if s and lin:
            s["ratio_to_" + peer] = s["median"] / lin["median"]
            out.append(f"  {TITLE[row]} / {TITLE[peer]}: {s['ratio_to_' + peer]:.2f}x")
    summary["levels"].append(lvl)
if failures:
    out.append("")
    out.append("Failed runs (left out):")
    out.extend("  " + f for f in failures)
summary["failures"] = failures
summary["text"] = out
json.dump(summary, open(out_path, "w"), indent=1)
print("\n".join(out))
PY
