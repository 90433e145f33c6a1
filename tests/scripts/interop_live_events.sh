#!/usr/bin/env bash
# interop_live_events.sh - GET /events (Server-Sent Events) of `synack serve --http` against
# what tshark sees: in a network namespace, curl -N reads /events while another curl fetches
# /bytes/3000; the events must hold that connection's ladder rows in order (SYN, SYN-ACK, ACK,
# the request and the data, the FIN/ACK exchange), each segment with the flags, relative
# seq/ack, length and window that tshark shows on the capture serve --pcap made of the same
# run, both sides' states in RFC 9293's order, and the phases named as the demo names them.
# Skips (77) without root, curl, tshark or python3. KEEP=dir keeps the events and capture.
source "$(dirname "$0")/interop_common.bash"
need curl tshark python3

start_serve --http 80 --pcap "$WORK/serve.pcap" --msl 1
inns timeout 6 curl -sN "http://$STACK/events" >"$WORK/events.txt" 2>&1 &
EVPID=$!
PIDS+=("$EVPID")
sleep 1
port=$(inns timeout 10 curl -s -o "$WORK/body" -w '%{local_port}' "http://$STACK/bytes/3000") ||
    fail "curl /bytes/3000 failed"
[ "$(wc -c <"$WORK/body")" = 3000 ] || fail "the body is not 3000 bytes"
echo "ok   curl from port $port fetched 3000 bytes while /events was read"
wait "$EVPID"
stop_serve
[ -s "$WORK/events.txt" ] || fail "no events"
tshark -r "$WORK/serve.pcap" -Y "tcp.port==$port" -T fields -e ip.src -e tcp.flags.fin \
    -e tcp.flags.syn -e tcp.flags.reset -e tcp.flags.push -e tcp.flags.ack -e tcp.flags.urg \
    -e tcp.flags.ece -e tcp.flags.cwr -e tcp.seq -e tcp.ack -e tcp.len -e tcp.window_size \
    >"$WORK/tshark.tsv" 2>"$WORK/tshark.err" || fail "tshark: $(cat "$WORK/tshark.err")"

python3 - "$WORK/events.txt" "$WORK/tshark.tsv" "$port" "$HOST" <<'PY' || fail "the events do not match the capture"
import html, json, re, sys
events_path, tshark_path, port, host = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
blocks = open(events_path).read().split("\n\n")
conn, rows = None, {}
for b in blocks:
    name, data = None, ""
    for line in b.split("\n"):
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data += line[6:]
    if not name or not data:
        continue
    d = json.loads(data)
    for c in d.get("conns", []) + ([d] if name == "conn" else []):
        if c["client"] == "%s:%s" % (host, port):
            conn = c["id"]
    if name == "row":
        rows.setdefault(d["c"], []).append(d["row"])
assert conn, "no connection from port %s in the events" % port
mine = rows.get(conn, [])
idx = [r["i"] for r in mine]
assert idx == list(range(len(idx))), "rows out of order or missing: %s" % idx
segs, states, phases = [], {0: [], 1: []}, []
for r in mine:
    svg = r["svg"]
    if 'class="row phase"' in svg:
        phases.append(html.unescape(re.search(r'class="phase">([^<]*)<', svg).group(1)))
    for x, st in re.findall(r'<text x="(\d+)"[^>]*class="st">([^<]*)<', svg):
        states[0 if int(x) < 480 else 1].append(st)
    m = re.search(r'class="lbl">([^<]*)<', svg)
    if m:
        lbl = html.unescape(m.group(1))
        side = 0 if re.search(r'<line x1="250"', svg) else 1
        f = re.match(r"(\S+) seq=(\d+)(?: ack=(\d+))? len=(\d+) win=(\d+)", lbl)
        assert f, "label not understood: " + lbl
        segs.append((side, f.group(1), int(f.group(2)), int(f.group(3) or 0), int(f.group(4)),
                     int(f.group(5))))
names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]
want = []
for line in open(tshark_path):
    c = line.rstrip("\n").split("\t")
    flags = ",".join(n for n, v in zip(names, c[1:9]) if v in ("1", "True"))
    ack = int(c[10]) if "ACK" in flags.split(",") else 0
    want.append((0 if c[0] == host else 1, flags, int(c[9]), ack, int(c[11]), int(c[12])))
print("ok   %d segments in the events, %d in the capture" % (len(segs), len(want)))
for i, (a, b) in enumerate(zip(segs, want)):
    if a != b:
        print("FAIL segment %d: events %s, tshark %s" % (i + 1, a, b))
assert segs == want, "the segments differ from tshark's"
print("ok   every segment's direction, flags, relative seq/ack, length and window equal tshark's")
fl = [s[1] for s in segs]
assert fl[0] == "SYN" and fl[1] == "SYN,ACK" and fl[2] == "ACK", fl[:3]
assert any(s[4] > 0 and s[0] == 0 for s in segs) and any(s[4] > 0 and s[0] == 1 for s in segs)
assert sum("FIN" in f for f in fl) == 2 and "FIN" not in fl[-1], fl
first_fin = next(s[0] for s in segs if "FIN" in s[1])
active = ["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]
passive = ["SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"]
exp = {0: ["SYN-SENT", "ESTABLISHED"], 1: ["SYN-RECEIVED", "ESTABLISHED"]}
exp[first_fin] += ["FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]
exp[1 - first_fin] += ["CLOSE-WAIT", "LAST-ACK", "CLOSED"]
# serve defers its ACKs to the flush after its services (cfg.defer_output): when the passive
# side's first answer to the FIN is its own FIN, that one segment acknowledges the FIN
# (CLOSE-WAIT) and closes (LAST-ACK), and its row shows the later state.
i_fin = next(i for i, s in enumerate(segs) if "FIN" in s[1])
answer = [s for s in segs[i_fin + 1:] if s[0] == 1 - first_fin]
if answer and "FIN" in answer[0][1]:
    exp[1 - first_fin].remove("CLOSE-WAIT")
for s in (0, 1):
    got = [x for x in states[s] if x != "LISTEN"]
    # synack's own TIME-WAIT ends in CLOSED, shown too when it closed first
    if got and got[-1] == "CLOSED" and exp[s][-1] == "TIME-WAIT":
        got = got[:-1]
    assert got == exp[s], "side %d states %s, expected %s" % (s, got, exp[s])
print("ok   states in order: client %s; server %s" % (" → ".join(states[0]), " → ".join(states[1])))
for p in ("3-way handshake", "data transfer", "4-way close"):
    assert p in phases, "phase %r missing: %s" % (p, phases)
assert any(p.startswith("TIME-WAIT") for p in phases), phases
print("ok   phases: %s" % "; ".join(phases))
PY
echo "PASS"
