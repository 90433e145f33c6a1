#!/usr/bin/env bash
# bench_smoke.sh - `make bench` in miniature (issue 12: the bench is not part of make test,
# a smoke run of it is): scripts/bench.sh with one round of 0.3 s runs on a few rows, so that
# a change that breaks the bench (a peer that no longer builds or starts, a row that no longer
# parses, a namespace left behind) fails here and not in the next long run. It checks:
#   - bench.sh ends with status 0 and prints the table, the targets and the in-process rows;
#   - bench/results.json (written to a temporary file here) parses, and every peer measured
#     something in each row asked for: synack on TUN, lwIP on TUN (built by the bench from
#     Debian's liblwip-dev) and Linux over veth, connections/s and bulk server->client, and
#     the floor (bench/floor.c) connections/s;
#   - the lossy row ran for synack and Linux (1% loss, iptables and the fault injector);
#   - the plot was written;
#   - no namespace the bench made is left (it removes them by name, also on failure).
# The figures themselves are not judged: 0.3 s runs under ASan on a busy machine say nothing
# about speed; targets are met in `make bench` only. Needs root (namespaces, TUN, iptables);
# skipped (77) without it.
set -u
skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*"
    [ -f "${WORK:-/nonexistent}/out.txt" ] && tail -40 "$WORK/out.txt"
    exit 1
}
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, TUN devices, iptables)"
for t in ip iptables python3 pkg-config timeout; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
pkg-config --exists lwip || skip "liblwip-dev not installed (make deps)"
SRC=${SYNACK_SRC:?SYNACK_SRC not set}
BUILD=${SYNACK_BUILD:?SYNACK_BUILD not set}
for b in synack loadgen kserve bench_sim floor; do [ -x "$BUILD/$b" ] || fail "$BUILD/$b not built"; done

WORK=$(mktemp -d /tmp/synack-bench-smoke.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# The bench's namespaces end in the run id it is given, so that only this run's are checked:
# another bench running beside it (a developer's make bench) has namespaces of its own.
RUN_ID="smoke$$"
ours() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^synack-bench-.*-$RUN_ID\$" | sort; }
ours >"$WORK/ns.before"

BENCH_RUN_ID="$RUN_ID" BENCH_ROUNDS=1 BENCH_SECONDS=0.3 BENCH_METRICS="cps1 bulk_s2c" BENCH_LOSS="1" \
    BENCH_SIM_CASES=connections BENCH_JSON="$WORK/r.json" BENCH_SVG="$WORK/r.svg" \
    timeout 300 bash "$SRC/scripts/bench.sh" "$BUILD" >"$WORK/out.txt" 2>&1 ||
    fail "bench.sh ended with status $?"

ours >"$WORK/ns.after"
left=$(comm -13 "$WORK/ns.before" "$WORK/ns.after")
[ -z "$left" ] || fail "namespaces left behind: $left"

grep -q "conn/s, 1 at a time" "$WORK/out.txt" || fail "no conn/s row in the table"
grep -q "Targets of issues 12 and 13" "$WORK/out.txt" || fail "no targets in the table"
grep -q "connections opened and closed per second" "$WORK/out.txt" || fail "no in-process row"
[ -s "$WORK/r.svg" ] || fail "no plot written"

python3 - "$WORK/r.json" <<'PY' || fail "results.json is not what the bench should write"
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
if d["meta"].get("tun_skipped") or d["meta"].get("lwip_skipped"):
    bad.append("a peer was skipped: %s %s" % (d["meta"].get("tun_skipped"), d["meta"].get("lwip_skipped")))
rows = {(r["key"], r["pin"]): r for r in d["tun"]}
for key in ("cps1", "s2c"):
    for pin in ("unpinned", "pinned"):
        r = rows.get((key, pin))
        if r is None:
            bad.append("no row %s %s" % (key, pin))
            continue
        # the floor (bench/floor.c) answers echo only: the connections/s rows
        for peer in ("synack", "lwip", "linux") + (("floor",) if key == "cps1" else ()):
            p = r["peers"].get(peer)
            if not p or not p.get("median") or p["median"] <= 0:
                bad.append("%s %s: %s measured nothing" % (key, pin, peer))
lossy = d.get("lossy") or []
if len(lossy) != 2:
    bad.append("%d lossy rows, not 2 (1%% each way)" % len(lossy))
for r in lossy:
    for peer in ("synack", "linux"):
        p = r["peers"].get(peer)
        if not p or not p.get("median") or p["median"] <= 0:
            bad.append("%s: %s measured nothing" % (r["metric"], peer))
if not any(r["name"].startswith("connections opened") and r["median"] > 0 for r in d["in_process"]):
    bad.append("no in-process figure")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
echo "PASS: bench.sh's table, results.json (every peer in every row asked for) and plot; no namespace left"
