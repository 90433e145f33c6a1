#!/usr/bin/env bash
# interop_uring.sh - synack serve --io-uring (the event loop on io_uring, tools/synack/
# loop_uring.c) against the kernel's TCP, in a network namespace of its own
# (interop_common.bash):
#   - serve says it runs the io_uring loop (skipped when this kernel refuses io_uring:
#     kernel.io_uring_disabled, a kernel without multishot read);
#   - echo: 1 MiB through one connection, byte-exact (the kernel's super-segments in, the
#     stack's out, through the provided buffers and the write arena);
#   - ping-pong: 2,000 round trips of one byte with TCP_NODELAY, each answered;
#   - many connections: 1,000 echo connections, 64 open at a time, each byte-exact, and the
#     stack sent no RST;
#   - a timer: a connection left idle meets serve's idle timeout (the wait's timeout is the
#     stack's next deadline), and the kernel sees the FIN;
#   - SIGTERM stops it cleanly, and the loop handed over between the ring (bursts) and
#     epoll (one datagram per answer) and back;
#   - multi-queue: --queues 2 --io-uring, every queue says io_uring, 256 connections served,
#     both queues take some;
#   - the fallback: with --pcap the device is wrapped, serve says it runs epoll and why, and
#     serves.
source "$(dirname "$0")/interop_common.bash"
need python3

[ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" = 0 ] ||
    skip "io_uring is disabled (kernel.io_uring_disabled)"

start_serve --echo 7 --idle-timeout 1 --io-uring
for _ in $(seq 50); do grep -q "^synack serve: loop:" "$WORK/serve.log" && break; sleep 0.1; done
if grep -q "^synack serve: loop: epoll (io_uring refused" "$WORK/serve.log"; then
    skip "$(grep '^synack serve: loop:' "$WORK/serve.log")"
fi
grep -q "^synack serve: loop: io_uring" "$WORK/serve.log" || fail "serve does not say its loop"
grep "^synack serve: loop:" "$WORK/serve.log"

cat >"$WORK/client.py" <<'EOF'
# echo BYTES | pingpong N | conns N AT | idle: one check against the echo service at host.
import os, socket, sys, time
host, what = sys.argv[1], sys.argv[2]

def conn():
    s = socket.create_connection((host, 7), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def read_n(s, n):
    got = b""
    while len(got) < n:
        b = s.recv(min(65536, n - len(got)))
        if not b:
            break
        got += b
    return got

if what == "echo":
    n = int(sys.argv[3])
    data = os.urandom(n)
    s = conn()
    # written and read in turns of 64 KiB, so neither side's buffers have to hold it all
    got = b""
    for off in range(0, n, 65536):
        s.sendall(data[off:off + 65536])
        got += read_n(s, len(data[off:off + 65536]))
    if got != data:
        sys.exit("echo: %d bytes back, differing" % len(got))
    s.close()
    print(n)
elif what == "pingpong":
    n = int(sys.argv[3])
    s = conn()
    for i in range(n):
        b = bytes([i & 0xff])
        s.sendall(b)
        if read_n(s, 1) != b:
            sys.exit("round trip %d not answered" % i)
    s.close()
    print(n)
elif what == "conns":
    n, at = int(sys.argv[3]), int(sys.argv[4])
    served = 0
    for base in range(0, n, at):
        socks = [(i, conn()) for i in range(base, min(n, base + at))]
        for i, s in socks:
            s.sendall(("conn %06d " % i).encode().ljust(64, b"."))
        for i, s in socks:
            want = ("conn %06d " % i).encode().ljust(64, b".")
            if read_n(s, 64) != want:
                sys.exit("connection %d: not echoed" % i)
            s.close()
            served += 1
    print(served)
elif what == "idle":
    # serve closes an echo connection idle for its --idle-timeout (1 s): a FIN within 5 s
    s = conn()
    s.settimeout(5)
    t = time.monotonic()
    b = s.recv(1)
    print("%.1f" % (time.monotonic() - t) if b == b"" else "data")
EOF
client() { inns timeout 120 python3 "$WORK/client.py" "$STACK" "$@"; }

got=$(client echo 1048576) || fail "echo: $got"
echo "echo: $got bytes back, byte-exact"
got=$(client pingpong 2000) || fail "ping-pong: $got"
echo "ping-pong: $got round trips"
# A bulk echo after the ping-pong: datagrams in batches again, so the loop goes back to the
# ring (64 connections at a time do it too, but not always: their datagrams may come one per
# answer when the client's threads and serve take turns on a vCPU).
got=$(client echo 4194304) || fail "echo after the ping-pong: $got"
echo "echo after the ping-pong: $got bytes back, byte-exact"
got=$(client conns 1000 64) || fail "connections: $got"
[ "$got" = 1000 ] || fail "$got of 1000 connections served"
echo "connections: $got, 64 at a time, each echoed"
got=$(client idle) || fail "idle: $got"
[ "$got" != data ] || fail "idle: data instead of a FIN"
echo "idle: the stack's idle timer closed the connection after ${got} s"

lines=$(wc -l <"$WORK/serve.log")
kill -USR1 "$SERVE_PID"
for _ in $(seq 50); do tail -n +$((lines + 1)) "$WORK/serve.log" | grep -q '^rst_out' && break; sleep 0.1; done
rst=$(tail -n +$((lines + 1)) "$WORK/serve.log" | awk '/^rst_out/ { print $2 }')
[ "$rst" = 0 ] || fail "the stack sent ${rst:-?} RSTs"
stop_serve
echo "SIGTERM: stopped cleanly, no RST sent"
# The ping-pong runs on epoll (one datagram per answer), the bulk echo after it on the ring:
# the loop handed over between them.
sw=$(sed -n 's/^synack serve: loop: \([0-9]*\) hand-overs between io_uring and epoll$/\1/p' \
    "$WORK/serve.log")
[ "${sw:-0}" -ge 2 ] || fail "the loop did not hand over between io_uring and epoll (${sw:-no count})"
echo "the loop handed over $sw times between io_uring and epoll"

# Multi-queue: a ring per queue, each on its own thread.
start_serve --echo 7 --queues 2 --io-uring
for _ in $(seq 50); do [ "$(grep -c '^synack serve: queue [01]: loop:' "$WORK/serve.log")" = 2 ] && break; sleep 0.1; done
[ "$(grep -c '^synack serve: queue [01]: loop: io_uring' "$WORK/serve.log")" = 2 ] ||
    fail "not every queue runs io_uring: $(grep 'loop:' "$WORK/serve.log")"
got=$(client conns 256 32) || fail "2 queues: $got"
[ "$got" = 256 ] || fail "2 queues: $got of 256 connections served"
stop_serve
per=$(sed -n 's/^synack serve: queue \([01]\) (cpu [0-9]*): \([0-9]*\) connections accepted.*/\2/p' \
    "$WORK/serve.log" | tr '\n' ' ')
read -r a0 a1 <<<"$per"
[ "${a0:-0}" -gt 0 ] && [ "${a1:-0}" -gt 0 ] || fail "the connections did not use both queues ($per)"
[ $((a0 + a1)) = 256 ] || fail "the queues accepted $((a0 + a1)), want 256"
echo "2 queues on io_uring: 256 connections, $a0 and $a1 per queue"

# The fallback: a wrapped device (the capture tap) is no bare TUN descriptor for the ring.
start_serve --echo 7 --io-uring --pcap "$WORK/c.pcap"
for _ in $(seq 50); do grep -q "^synack serve: loop:" "$WORK/serve.log" && break; sleep 0.1; done
grep -q "^synack serve: loop: epoll (io_uring refused: the device is not a bare TUN" \
    "$WORK/serve.log" || fail "with --pcap: $(grep 'loop:' "$WORK/serve.log")"
got=$(client conns 16 8) || fail "fallback: $got"
[ "$got" = 16 ] || fail "fallback: $got of 16 connections served"
stop_serve
echo "fallback: $(grep '^synack serve: loop:' "$WORK/serve.log" | head -1); 16 connections served"
echo "PASS"
