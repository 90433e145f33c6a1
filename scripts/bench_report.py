#!/usr/bin/env python3
"""scripts/bench_report.py - the table, bench/results.json and bench/results.svg of make bench.

Reads what scripts/bench.sh collected in its work directory: runs.jsonl (one load-generator
result per line, tagged with round, pinning, target and metric), sim.N.txt (bench_sim's table
of round N) and the load averages. Prints one table: every metric against every peer, the
median of the rounds with min-max beside it, and the ratio against each target of issue 12.
Standard library only.
"""
import argparse
import glob
import json
import os
import re
import statistics
import sys

PEERS = [  # (key, column title)
    ("linux", "Linux/veth"),
    ("lwip", "lwIP/TUN"),
    ("synack", "synack/TUN"),
    ("synack2q", "synack/TUN 2q"),
    ("synack2qs", "synack 2q steered"),  # serve --queues 2 --steer cpu
    ("synackbase", "synack base"),  # BENCH_BASE: another build's serve, for before/after
    # bench/floor.c: a stateless echo responder, no TCP; the least any server could do on TUN
    ("floor", "floor (stateless echo, no TCP)"),
    ("floor2q", "floor 2q"),  # floor --queues 2
    ("floor2qs", "floor 2q steered"),  # floor --queues 2 --steer cpu
    ("floorv", "floor variant"),  # BENCH_FLOOR_VARIANT: a floor with other options
]
PINS = ["unpinned", "pinned"]
# (row key, metric run, field of its result, label, unit, higher is better)
METRICS = [
    ("cps1", "cps1", "value", "conn/s, 1 at a time", "conn/s", True),
    ("cps64", "cps64", "value", "conn/s, 64 concurrent", "conn/s", True),
    # one client per vCPU, pinned to it, 64 connections between them (unpinned pass only)
    ("cps64pc", "cps64pc", "value", "conn/s, 64, client per vCPU", "conn/s", True),
    ("pp50", "pingpong", "p50_us", "ping-pong p50, us", "us", False),
    ("pp99", "pingpong", "p99_us", "ping-pong p99, us", "us", False),
    ("c2s", "bulk_c2s", "gbps", "bulk client->server, Gbit/s", "Gbit/s", True),
    ("s2c", "bulk_s2c", "gbps", "bulk server->client, Gbit/s", "Gbit/s", True),
]
SIM_LINE = re.compile(r"^\s{2}(\S.*?)\s+(-?\d+(?:\.\d+)?)\s+(\S+)\s*$")


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "conn/s" or (unit == "bytes") or abs(v) >= 1000:
        return f"{v:,.0f}"
    if unit == "Gbit/s":
        return f"{v:.2f}"
    return f"{v:.1f}"


def stats(values):
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def noisy(s):
    """The rounds spread by more than 30% of their median: something else competed."""
    return bool(s) and len(s["runs"]) > 1 and s["median"] > 0 and \
        (s["max"] - s["min"]) / s["median"] > 0.3


def cell(s, unit):
    if not s:
        return "-"
    if len(s["runs"]) == 1:
        return fmt(s["median"], unit)
    return f"{fmt(s['median'], unit)} [{fmt(s['min'], unit)}-{fmt(s['max'], unit)}]"


def read_sim(work):
    """{name: {unit, values[]}} in the order of the first round's table."""
    rows = {}
    for path in sorted(glob.glob(os.path.join(work, "sim.*.txt"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = SIM_LINE.match(line.rstrip("\n"))
                if not m:
                    continue
                name, value, unit = m.group(1), float(m.group(2)), m.group(3)
                rows.setdefault(name, {"unit": unit, "values": []})["values"].append(value)
    return rows


def sim_targets(sim):
    """Issue 12's in-process targets, matched to bench_sim's rows by name (it may grow)."""
    out = []
    # The bulk targets are bench_sim's bulk rows (two stacks, no link model: what the stack
    # costs); the "CPU throughput" of a transfer over a modelled link stands in only when a
    # run has no such rows (older bench_sim builds).
    dedicated = any("bulk" in n.lower() and "through two stacks" in n.lower() for n in sim)
    for name, r in sim.items():
        lname, unit, v = name.lower(), r["unit"], statistics.median(r["values"])
        if "before" in lname:  # a figure kept for comparison (the old layout), no target
            continue
        if unit == "MiB" and "100,000 connections" in lname:  # measured at 100,000 already
            out.append((name, v / 1024, "<=", 2.0, "GiB", f"100,000 connections <= 2 GiB "
                        f"({'busy' if 'busy' in lname else 'idle'}, process RSS)"))
            continue
        if unit == "conn/s" and ("lifecycle" in lname or "opened and closed" in lname):
            out.append((name, v, ">=", 1_000_000, "conn/s", "in-process lifecycles/s >= 1,000,000"))
        elif unit in ("Mbit/s", "Gbit/s") and "loss" not in lname and (
                ("bulk" in lname and "through two stacks" in lname) if dedicated
                else ("cpu throughput" in lname or "bulk" in lname)):
            gbps = v / 1000 if unit == "Mbit/s" else v
            big = re.search(r"mtu\s*6553[56]|64\s*kib mtu", lname)
            out.append((name, gbps, ">=", 40.0 if big else 10.0, "Gbit/s",
                        f"in-process bulk >= {'40' if big else '10'} Gbit/s, MTU "
                        f"{'65535' if big else '1500'} ({name.split(':')[0]})"))
        elif unit == "bytes" and "time-wait" in lname:
            out.append((name, v, "<=", 128, "bytes", "TIME-WAIT entry <= 128 B"))
        elif unit == "bytes" and "per connection" in lname and "allocator" not in lname:
            out.append((name, v * 100_000 / 2**30, "<=", 2.0, "GiB",
                        "100,000 connections <= 2 GiB (this row x 100,000)"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--svg", required=True)
    ap.add_argument("--seconds", default="")
    ap.add_argument("--rounds", default="")
    ap.add_argument("--ncpu", default="")
    ap.add_argument("--elapsed", default="")
    ap.add_argument("--tun-skip", default="")
    ap.add_argument("--lwip-skip", default="")
    ap.add_argument("--queues", default="0")
    ap.add_argument("--targets", default="")
    ap.add_argument("--loss", default="", help="the lossy-path levels run, in percent")
    a = ap.parse_args()

    runs = []
    rpath = os.path.join(a.work, "runs.jsonl")
    if os.path.exists(rpath):
        with open(rpath, encoding="utf-8") as f:
            runs = [json.loads(line) for line in f if line.strip()]
    peers = [p for p in PEERS if p[0] in a.targets.split()]

    def load(name):
        try:
            with open(os.path.join(a.work, name), encoding="utf-8") as f:
                return f.read().strip()
        except OSError:
            return ""

    meta = {
        "kernel": os.uname().release,
        "ncpu": a.ncpu,
        "rounds": a.rounds,
        "seconds_per_run": a.seconds,
        "elapsed_s": a.elapsed,
        "load_start": load("load_start"),
        "load_end": load("load_end"),
        "tun_skipped": a.tun_skip or None,
        "lwip_skipped": a.lwip_skip or None,
    }

    # ---- over TUN / veth
    rows = []
    failures = []
    for key, run_metric, field, label, unit, higher in METRICS:
        for pin in PINS:
            row = {"key": key, "metric": label, "pin": pin, "unit": unit,
                   "better": "higher" if higher else "lower", "peers": {}}
            for pk, _ in peers:
                vals, errs = [], 0
                for r in runs:
                    if r["metric"] != run_metric or r["pin"] != pin or r["target"] != pk:
                        continue
                    res = r.get("result")
                    if res is None:
                        failures.append(f"{pk} {run_metric} {pin} round {r['round']}: "
                                        f"{r.get('error', '')}")
                        continue
                    vals.append(res[field])
                    errs += res.get("errors", 0)
                s = stats(vals)
                if s is not None:
                    s["connection_errors"] = errs
                    s["noisy"] = noisy(s)
                row["peers"][pk] = s
            rows.append(row)

    # ---- lossy paths (issue 13): synack against Linux-to-Linux, the same loss, same run
    lossy = []
    for level in a.loss.split():
        for run_metric, label in (("bulk_c2s", "kernel -> server"), ("bulk_s2c", "server -> kernel")):
            row = {"loss_pct": float(level), "metric": f"{level}% loss, bulk {label}, Gbit/s",
                   "run": run_metric, "peers": {}}
            for pk in ("synack", "linux"):
                vals = [r["result"]["gbps"] for r in runs
                        if r["metric"] == run_metric and r["pin"] == f"loss{level}"
                        and r["target"] == pk and r.get("result")]
                for r in runs:
                    if (r["metric"] == run_metric and r["pin"] == f"loss{level}"
                            and r["target"] == pk and r.get("result") is None):
                        failures.append(f"{pk} {run_metric} loss {level}% round {r['round']}: "
                                        f"{r.get('error', '')}")
                row["peers"][pk] = stats(vals)
            lossy.append(row)

    def med(key, pin, peer):
        for row in rows:
            if row["key"] == key and row["pin"] == pin:
                s = row["peers"].get(peer)
                return s["median"] if s else None
        return None

    targets = []

    def target(name, measured, op, goal, unit, basis, floor=None, floor_basis=None):
        ratio = None if measured is None or goal in (None, 0) else measured / goal
        met = None if ratio is None else (ratio >= 1 if op == ">=" else ratio <= 1)
        t = {"target": name, "measured": measured, "op": op, "goal": goal,
             "unit": unit, "basis": basis, "ratio": ratio, "met": met}
        if floor is not None:
            # The same ratio for the stateless responder (bench/floor.c): when even it does
            # not reach the goal, no server on this path can, whatever its TCP costs.
            t["floor_measured"] = floor
            t["floor_basis"] = floor_basis
            t["floor_reaches"] = floor >= goal if op == ">=" else floor <= goal
        targets.append(t)

    def ratio_of(key, pin, a, b):
        x, y = med(key, pin, a), med(key, pin, b)
        return x / y if x and y else None

    def floor_say(f, op, goal, what="floor"):
        """What the floor's ratio says of a target, for the table."""
        if f is None:
            return ""
        reach = f >= goal if op == ">=" else f <= goal
        return f"; {what} {f:.2f}x" + ("" if reach else " (target beyond the floor)")

    tun_ratio = {}  # (key, pin) -> (text, met)
    if not a.tun_skip:
        for pin in PINS:
            for key in ("cps1", "cps64"):
                s, l = med(key, pin, "synack"), med(key, pin, "lwip")
                r = s / l if s and l else None
                f = ratio_of(key, pin, "floor", "lwip")
                target(f"conn/s {key[3:]} at a time ({pin}) >= 1.5x lwIP", r, ">=", 1.5, "x",
                       "synack / lwIP", f, "floor / lwIP")
                tun_ratio[(key, pin)] = (r, ">= 1.5x lwIP", r is not None and r >= 1.5,
                                         floor_say(f, ">=", 1.5))
            for key in ("c2s", "s2c"):
                s, l = med(key, pin, "synack"), med(key, pin, "linux")
                r = s / l if s and l else None
                target(f"bulk {key} ({pin}) >= Linux over veth", r, ">=", 1.0, "x",
                       "synack / Linux")
                tun_ratio[(key, pin)] = (r, ">= 1.0x Linux", r is not None and r >= 1.0, "")
        s, l = med("pp50", "pinned", "synack"), med("pp50", "pinned", "lwip")
        r = s / l if s and l else None
        f = ratio_of("pp50", "pinned", "floor", "lwip")
        target("ping-pong p50 pinned <= 0.8x lwIP", r, "<=", 0.8, "x", "synack / lwIP", f,
               "floor / lwIP")
        tun_ratio[("pp50", "pinned")] = (r, "<= 0.8x lwIP", r is not None and r <= 0.8,
                                         floor_say(f, "<=", 0.8))
        f = ratio_of("pp50", "unpinned", "floor", "lwip")
        if f is not None:  # not a target: what the floor does without pinning
            tun_ratio[("pp50", "unpinned")] = (None, "floor / lwIP", False, f"floor {f:.2f}x")
        if a.queues == "1":
            s2, s1 = med("cps64", "unpinned", "synack2q"), med("cps64", "unpinned", "synack")
            r = s2 / s1 if s2 and s1 else None
            f = ratio_of("cps64", "unpinned", "floor2q", "floor")
            target("2 queues >= 1.7x the conn/s of 1 (64 concurrent)", r, ">=", 1.7, "x",
                   "synack 2q / 1q", f, "floor 2q / floor 1q")
            if f is not None:
                tun_ratio[("cps64", "unpinned")] += (f"; 2q/1q: synack {r:.2f}x"
                                                     if r else "; 2q/1q: synack n/a",
                                                     floor_say(f, ">=", 1.7, "floor"))
            # The clients spread one per vCPU, serve's queues steered by CPU (--steer cpu).
            s2, s1 = med("cps64pc", "unpinned", "synack2qs"), med("cps64pc", "unpinned", "synack")
            if s2 and s1:
                r = s2 / s1
                f = ratio_of("cps64pc", "unpinned", "floor2qs", "floor")
                target("2 queues steered >= 1.7x 1 (64 concurrent, a client per vCPU)", r, ">=",
                       1.7, "x", "synack 2q steered / 1q", f, "floor 2q steered / floor 1q")
                tun_ratio[("cps64pc", "unpinned")] = (r, ">= 1.7x 1q", r >= 1.7,
                                                      floor_say(f, ">=", 1.7))
                l = med("cps64pc", "unpinned", "lwip")
                if l:
                    target("conn/s 64, a client per vCPU, 2 queues steered >= 1.5x lwIP", s2 / l,
                           ">=", 1.5, "x", "synack 2q steered / lwIP")
        else:
            targets.append({"target": "2 queues >= 1.7x the conn/s of 1", "measured": None,
                            "note": "n/a: no --queues yet"})

    for row in lossy:
        s, l = row["peers"].get("synack"), row["peers"].get("linux")
        r = s["median"] / l["median"] if s and l and l["median"] else None
        # synack receives in kernel -> server, sends in server -> kernel
        role = "receiver" if row["run"] == "bulk_c2s" else "sender"
        target(f"issue 13: {row['loss_pct']:g}% loss, synack as {role} >= 0.9x Linux", r, ">=",
               0.9, "x", "synack / Linux")
        row["ratio"] = r

    sim = read_sim(a.work)
    in_process = []
    for name, r in sim.items():
        s = stats(r["values"])
        s.update({"name": name, "unit": r["unit"]})
        in_process.append(s)
    for name, v, op, goal, unit, label in sim_targets(sim):
        target(label, v, op, goal, unit, f'bench_sim "{name}"')

    # ---- the table
    out = []
    out.append("synack make bench: every comparison in one run, interleaved; "
               f"median of {a.rounds} [min-max]")
    out.append(f"Linux {meta['kernel']}, {a.ncpu} vCPUs, {a.seconds} s per run; load average "
               f"at start: {meta['load_start'].split('load average:')[-1].strip()}, "
               f"at end: {meta['load_end'].split('load average:')[-1].strip()}")
    loads = [r["load1"] for r in runs if "load1" in r]
    if loads:
        meta["load1_during_runs"] = {"min": min(loads), "median": statistics.median(loads),
                                     "max": max(loads)}
        out.append(f"1-minute load average as each run started: median "
                   f"{statistics.median(loads):.2f}, range {min(loads):.2f}-{max(loads):.2f} "
                   f"(the bench itself accounts for about 1-2; more means other work competed)")
    out.append("")
    if a.tun_skip:
        out.append(f"Over TUN/veth: SKIPPED: {a.tun_skip}")
    else:
        if a.lwip_skip:
            out.append(f"lwIP: SKIPPED: {a.lwip_skip}")
        cols = [t for _, t in peers]
        w0 = 30
        wcs = [max(25, len(c) + 2) for c in cols]
        out.append("kernel client against".ljust(w0) + "pin       "
                   + "".join(c.rjust(w) for c, w in zip(cols, wcs))
                   + "   target: synack's ratio; the floor's")
        for row in rows:
            line = (row["metric"] if row["pin"] == "unpinned" else "").ljust(w0)
            line += row["pin"].ljust(10)
            for (pk, _), wc in zip(peers, wcs):
                s = row["peers"].get(pk)
                c = cell(s, row["unit"])
                if s and s.get("connection_errors"):
                    c += "*"
                if noisy(s):
                    c += "~"
                line += c.rjust(wc)
            tr = tun_ratio.get((row["key"], row["pin"]))
            if tr and tr[0] is None and tr[1] == "floor / lwIP":
                line += f"   ({tr[3]} lwIP's)"
            elif tr:
                r, goal, met = tr[:3]
                line += f"   {goal}: " + (f"{r:.2f}x {'met' if met else 'NOT met'}"
                                          if r is not None else "n/a") + "".join(tr[3:])
            out.append(line)
        if a.queues != "1":
            out.append("synack, 2 queues against 1".ljust(w0 + 10)
                       + "n/a: no --queues yet (synack serve has no --queues option)")
        if any(noisy(s) for row in rows for s in row["peers"].values()):
            out.append("~ noisy: the rounds spread by more than 30% of the median")
        if any(s and s.get("connection_errors") for row in rows for s in row["peers"].values()):
            out.append("* some connections failed (refused, reset or timed out): see "
                       "connection_errors in the JSON")
        # The servers' own CPU per connection (or round trip): for the floor almost all of
        # it is the kernel's work in its system calls, so it is what any server on the TUN
        # path pays at least (bench.sh's server_cpu; n/a for runs without it).
        cpu_rows = []
        for key, run_metric, per in (("cps1", "cps1", "done"), ("cps64", "cps64", "done"),
                                     ("cps64pc", "cps64pc", "done"),
                                     ("pp50", "pingpong", "n")):
            for pin in PINS:
                cells, any_cpu = [], False
                for pk, _ in peers:
                    us, sys_share = [], []
                    for r in runs:
                        c, res = r.get("server_cpu"), r.get("result")
                        if (r["metric"] != run_metric or r["pin"] != pin or r["target"] != pk
                                or not c or not res or not res.get(per)):
                            continue
                        us.append(c["ns"] / 1000 / res[per])
                        ticks = c["utime"] + c["stime"]
                        if ticks:
                            sys_share.append(c["stime"] / ticks)
                    if us:
                        any_cpu = True
                        sh = (f" {100 * statistics.median(sys_share):.0f}%k"
                              if sys_share else "")
                        cells.append(f"{statistics.median(us):.1f}{sh}")
                    else:
                        cells.append("-")
                    for row in rows:
                        if row["key"] == key and row["pin"] == pin and row["peers"].get(pk):
                            row["peers"][pk]["server_cpu_us"] = (
                                statistics.median(us) if us else None)
                            row["peers"][pk]["server_kernel_share"] = (
                                statistics.median(sys_share) if sys_share else None)
                if any_cpu:
                    label = {"cps1": "per conn, 1 at a time", "cps64": "per conn, 64 concurrent",
                             "cps64pc": "per conn, 64, client/vCPU",
                             "pp50": "per ping-pong round trip"}[key]
                    cpu_rows.append((label, pin, cells))
        if cpu_rows:
            out.append("")
            out.append("The server's own CPU, us per connection or round trip (median of the "
                       "rounds; N%k: its share in the kernel, system time)")
            last = None
            for label, pin, cells in cpu_rows:
                line = (label if label != last else "").ljust(w0) + pin.ljust(10)
                last = label
                line += "".join(c.rjust(w) for c, w in zip(cells, wcs))
                out.append(line)
    if lossy:
        out.append("")
        out.append("Lossy paths (issue 13): per-segment loss at each receiver's input (Linux: "
                   "iptables statistic in both namespaces' INPUT, veth offloads off; synack: its "
                   "fault injector both ways; every kernel socket CUBIC, as synack), bulk for the run's "
                   "seconds")
        for row in lossy:
            line = f"  {row['metric']:<46}"
            for pk, title in (("synack", "synack/TUN"), ("linux", "Linux/veth")):
                line += f" {title} {cell(row['peers'].get(pk), 'Gbit/s'):>22}"
            if row.get("ratio") is not None:
                line += f"   synack/Linux {row['ratio']:.2f}x"
            out.append(line)
    # ---- the Mathis bound on a real path (BENCH_MATHIS=1, scripts/mathis_real.sh's summary)
    mathis = None
    mpath = os.path.join(a.work, "mathis.json")
    if os.path.exists(mpath):
        with open(mpath, encoding="utf-8") as f:
            mathis = json.load(f)
        out.append("")
        out.extend(mathis.get("text", []))  # its failed runs included, and in its JSON
    out.append("")
    out.append(f"In-process (bench_sim: two synack stacks over the simulated link, one core), "
               f"median of {a.rounds} [min-max]")
    for s in in_process:
        out.append(f"  {s['name']:<64} {cell(s, s['unit']):>32} {s['unit']}")
    out.append("")
    out.append("Targets of issues 12 and 13 (ratios of medians, from this run)")
    for t in targets:
        if t.get("note"):
            out.append(f"  {t['target']:<62} {t['note']}")
            continue
        if t["measured"] is None:
            out.append(f"  {t['target']:<62} n/a (not measured)")
            continue
        unit, verdict = t["unit"], "met" if t["met"] else "NOT met"
        if unit == "x":  # a ratio between peers: the ratio is the figure
            fl = ""
            if t.get("floor_measured") is not None:
                fl = (f"; {t['floor_basis']} = {t['floor_measured']:.2f}x"
                      + ("" if t["floor_reaches"] else ": target beyond the floor"))
            out.append(f"  {t['target']:<66} {t['basis']} = {t['measured']:.2f}x"
                       f"  {verdict}{fl}")
            continue
        meas = f"{fmt(t['measured'], unit)} {unit}"
        out.append(f"  {t['target']:<66} {meas:>16}  {t['op']} {fmt(t['goal'], unit)} {unit}: "
                   f"{t['ratio']:.2f} of the goal  {verdict}")
    if failures:
        out.append("")
        out.append("Failed runs (left out of the medians):")
        out.extend("  " + f for f in failures)
    out.append("")
    out.append(f"JSON: {a.json}   plot: {a.svg}   ({a.elapsed} s)")
    print("\n".join(out))

    logs = {}
    for path in glob.glob(os.path.join(a.work, "*.log")):
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [l.rstrip("\n") for l in f if not l.startswith(("drop ", "state "))]
        logs[os.path.basename(path)] = lines[-40:]
    result = {"meta": meta, "peers": [p for p, _ in peers], "tun": rows, "lossy": lossy,
              "in_process": in_process, "mathis_real": mathis, "targets": targets,
              "failures": failures,
              "runs": runs, "server_logs": logs}
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    svg = render_svg(result)
    with open(a.svg, "w", encoding="utf-8") as f:
        f.write(svg)
    return 0


# ---- the plot ---------------------------------------------------------------------------------

COLORS = {"linux": "#4c72b0", "lwip": "#dd8452", "synack": "#55a868", "synack2q": "#8172b3", "synackbase": "#937860",
          "synack2qs": "#da8bc3", "floor": "#8c8c8c", "floor2q": "#b0b0b0", "floor2qs": "#cccccc",
          "floorv": "#6f6f6f"}
NAMES = {k: v.split(" (")[0] for k, v in PEERS}  # short, for the plot


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_svg(res):
    """Small multiples: one panel per metric and pinning (the peers' medians as bars, min-max
    as whiskers), then one panel with each target's progress (1 = met)."""
    pw, ph, cols, pad = 300, 190, 4, 14
    panels = [r for r in res["tun"] if any(r["peers"].values())]
    tgt = [t for t in res["targets"] if t.get("ratio") is not None]
    nrows = (len(panels) + cols - 1) // cols
    th = 40 + 22 * len(tgt)
    width = cols * (pw + pad) + pad
    height = 60 + nrows * (ph + pad) + th + 40
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'font-family="sans-serif" font-size="11">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{pad}" y="22" font-size="15" font-weight="bold">synack make bench: the '
         f'kernel\'s clients against each peer (median of {esc(res["meta"]["rounds"])}, '
         f'whiskers min-max)</text>']
    x = pad
    for i, pk in enumerate(res["peers"]):
        o.append(f'<rect x="{x}" y="32" width="12" height="12" fill="{COLORS[pk]}"/>'
                 f'<text x="{x + 16}" y="42">{esc(NAMES[pk])}</text>')
        x += 130
    if res["meta"].get("tun_skipped"):
        o.append(f'<text x="{pad}" y="70">over TUN/veth skipped: '
                 f'{esc(res["meta"]["tun_skipped"])}</text>')
    for n, row in enumerate(panels):
        px = pad + (n % cols) * (pw + pad)
        py = 56 + (n // cols) * (ph + pad)
        o.append(f'<rect x="{px}" y="{py}" width="{pw}" height="{ph}" fill="#fafafa" '
                 f'stroke="#ccc"/>')
        title = f'{row["metric"].split(" (")[0]}, {row["pin"]}'
        o.append(f'<text x="{px + 6}" y="{py + 14}" font-weight="bold">{esc(title[:48])}</text>')
        o.append(f'<text x="{px + 6}" y="{py + 27}" fill="#555">{esc(row["unit"])}, '
                 f'{"higher" if row["better"] == "higher" else "lower"} is better</text>')
        peers = [(pk, row["peers"].get(pk)) for pk in res["peers"]]
        top = max((s["max"] for _, s in peers if s), default=1) or 1
        base, hmax = py + ph - 22, ph - 76
        bw = (pw - 40) / max(1, len(peers))
        for k, (pk, s) in enumerate(peers):
            bx = px + 20 + k * bw + bw * 0.15
            w = bw * 0.7
            o.append(f'<text x="{bx + w / 2:.1f}" y="{base + 14}" text-anchor="middle" '
                     f'fill="#333">{esc(NAMES[pk])}</text>')
            if not s:
                o.append(f'<text x="{bx + w / 2:.1f}" y="{base - 4}" text-anchor="middle">'
                         f'n/a</text>')
                continue
            h = s["median"] / top * hmax
            o.append(f'<rect x="{bx:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
                     f'fill="{COLORS[pk]}"/>')
            y1, y2 = base - s["min"] / top * hmax, base - s["max"] / top * hmax
            cx = bx + w / 2
            o.append(f'<path d="M{cx:.1f} {y1:.1f}V{y2:.1f}M{cx - 5:.1f} {y1:.1f}h10'
                     f'M{cx - 5:.1f} {y2:.1f}h10" stroke="#222"/>')
            o.append(f'<text x="{cx:.1f}" y="{y2 - 4:.1f}" text-anchor="middle">'
                     f'{esc(fmt(s["median"], row["unit"]))}</text>')
    ty = 56 + nrows * (ph + pad) + 10
    o.append(f'<text x="{pad}" y="{ty + 12}" font-size="13" font-weight="bold">Targets of issue '
             f'12: progress (1 = met; a ceiling is drawn as goal / measured)</text>')
    scale_w, lx = 420, pad + 330
    o.append(f'<path d="M{lx + scale_w / 2} {ty + 20}V{ty + th}" stroke="#c00" '
             f'stroke-dasharray="3 3"/><text x="{lx + scale_w / 2 + 4}" y="{ty + th + 12}" '
             f'fill="#c00">1 = target met (bars stop at 2)</text>')
    for k, t in enumerate(tgt):
        y = ty + 24 + k * 22
        prog = t["ratio"] if t["op"] == ">=" else (1 / t["ratio"] if t["ratio"] else 0)
        w = min(prog, 2.0) / 2.0 * scale_w
        color = "#55a868" if t["met"] else "#c44e52"
        o.append(f'<text x="{pad}" y="{y + 12}">{esc(t["target"][:54])}</text>')
        o.append(f'<rect x="{lx}" y="{y + 2}" width="{w:.1f}" height="13" fill="{color}"/>')
        o.append(f'<text x="{lx + w + 4:.1f}" y="{y + 12}">{prog:.2f}</text>')
    o.append("</svg>\n")
    return "\n".join(o)


if __name__ == "__main__":
    sys.exit(main())
