#!/usr/bin/env bash
# interop_live_slow_viewer.sh - a viewer of /events that does not read must cost `synack serve`
# nothing but the events it loses. In a network namespace, a client asks for /events with a
# 4 KB receive buffer and then reads nothing for 60 s, while 10,000 HTTP connections are made
# one after another (bounded: the clients stop after 80 s).
# serve's peak memory (VmHWM) after the first 200 connections and at the end must differ by
# less than 8 MB (the ring, the viewers and the connections kept for display are fixed in
# size: --live-conns 64), the dropped-event counter of /stats must move, and the viewer, when
# it reads at last, is told how many events it lost. (serve's stall timeout, which would reset
# a viewer that reads nothing for 30 s, is raised to 120 s here so that the viewer stays.)
# Skips (77) without root or python3.
source "$(dirname "$0")/interop_common.bash"
need curl python3
# ASan keeps freed memory in a quarantine (256 MB by default), which would count as growth
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
start_serve --http 80 --msl 0.5 --live-conns 64 --live-viewers 2 --http-idle-timeout 120
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$SERVE_PID/status"; }

# the viewer that does not read
inns timeout 100 python3 - "$STACK" >"$WORK/viewer.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((sys.argv[1], 80))
s.sendall(b"GET /events HTTP/1.1\r\nHost: synack\r\n\r\n")
time.sleep(60)
s.settimeout(1)
got = b""
end = time.time() + 5
while time.time() < end and b"event: dropped" not in got:
    try:
        d = s.recv(65536)
    except socket.timeout:
        continue
    if not d:
        break
    got += d
i = got.find(b"event: dropped")
print("read %d bytes after 60 s; %s" % (len(got), got[i:i + 60].decode(errors="replace") if i >= 0 else "no dropped event"))
PY
VPID=$!
PIDS+=("$VPID")
sleep 1

# 10,000 connections, one after another over at most ~55 s (HTTP/1.0: synack closes first)
inns timeout 100 python3 - "$STACK" "$WORK" >"$WORK/clients.log" 2>&1 <<'PY' &
import socket, sys, time
host, work = sys.argv[1], sys.argv[2]
start = time.time()
ok = 0
for i in range(10000):
    if time.time() - start > 80:
        break
    s = socket.create_connection((host, 80), timeout=5)
    s.sendall(b"GET /bytes/200 HTTP/1.0\r\n\r\n")
    n = 0
    while True:
        d = s.recv(4096)
        if not d:
            break
        n += len(d)
    s.close()
    ok += n > 200
    # paced over ~55 s, so that connections run all the while the viewer does not read
    time.sleep(max(0.0, start + (i + 1) * 0.0055 - time.time()))
    if i == 199:
        open(work + "/mark200", "w").write("%.1f\n" % (time.time() - start))
print("%d connections answered in %.1f s" % (ok, time.time() - start))
PY
CPID=$!
PIDS+=("$CPID")
for _ in $(seq 400); do [ -f "$WORK/mark200" ] && break; sleep 0.1; done
[ -f "$WORK/mark200" ] || fail "200 connections were not made in 40 s"
hwm200=$(hwm)
wait "$CPID" || fail "the clients failed: $(cat "$WORK/clients.log")"
hwm_end=$(hwm)
cat "$WORK/clients.log"
n=$(awk '{ print $1 }' "$WORK/clients.log")
[ "${n:-0}" -ge 10000 ] || fail "only ${n:-0} connections answered"
stats=$(stats_json)
dropped=$(echo "$stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["live"]["dropped"])')
echo "VmHWM after 200 connections: $hwm200 kB; after $n: $hwm_end kB; events dropped for the viewer: $dropped"
[ $((hwm_end - hwm200)) -lt 8192 ] || fail "serve's peak memory grew by $((hwm_end - hwm200)) kB"
[ "${dropped:-0}" -gt 0 ] || fail "the dropped-event counter did not move"
wait "$VPID"
cat "$WORK/viewer.log"
grep -q '"dropped":[1-9]' "$WORK/viewer.log" || fail "the viewer was not told of its dropped events"
echo "ok   memory bounded, events dropped and counted, the viewer told"
stop_serve
echo "PASS"
