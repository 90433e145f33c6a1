#!/usr/bin/env bash
# interop_queues.sh - synack serve --queues 2 (a multi-queue TUN device, one stack per queue
# and thread) against the kernel's TCP, in a network namespace of its own
# (interop_common.bash, lib/ipv6.bash):
#   - 256 echo connections over IPv4 and 256 over IPv6, 32 open at a time, each with its own
#     bytes: every one is served, byte-exact;
#   - the kernel spread them over both queues: each queue's status (SIGUSR1) counts some, and
#     the two counts add up to all of them;
#   - no connection met the wrong queue: a segment of a flow reaching a stack that does not
#     know it would be answered with a RST, and neither stack sent one;
#   - TCP Fast Open across queues: curl --tcp-fastopen 16 times; the cookie one queue gave
#     is taken by the other (one key for all stacks: a client's next connection comes from
#     another port, often to the other queue): requests in the SYN on both queues, no
#     cookie found invalid; /stats answers for its queue ("queues":2);
#   - SIGTERM stops both threads cleanly (exit 0, a summary line per queue);
#   - a persistent device that is not multi-queue is refused with a message that says so;
#   - --no-pin: the queues' threads are left to the scheduler (each may run on every CPU the
#     process may), they serve as pinned ones do, and the status and exit lines say so;
#   - --steer cpu (2 CPUs or more): a client pinned to CPU c has all its connections on queue
#     c, and no stack sends a RST.
source "$(dirname "$0")/interop_common.bash"
source "$(dirname "$0")/lib/ipv6.bash"
need python3 curl

inns sysctl -qw net.ipv4.tcp_fastopen=1 || skip "cannot set net.ipv4.tcp_fastopen"
start_serve --echo 7 --http 80 --queues 2
serve_has_ipv6
grep -q "2 queues on CPUs" "$WORK/serve.log" || fail "serve does not say it runs 2 queues"

# status_of_both_queues: SIGUSR1, then the two queues' status blocks into $WORK/status. Each
# queue prints its own block when it gets to it (queue 1 after queue 0 has told it), so the
# wait is for what is read below, from both: the services' lines and the counters rst_out,
# tfo_passive and tfo_cookie_invalid (bounded: 10 s), never a fixed time.
status_of_both_queues() {
    local lines ok
    lines=$(wc -l <"$WORK/serve.log")
    kill -USR1 "$SERVE_PID"
    for _ in $(seq 100); do
        tail -n +$((lines + 1)) "$WORK/serve.log" >"$WORK/status"
        ok=1
        for l in '^queue [01] of 2' '^service echo' '^rst_out ' '^tfo_passive ' '^tfo_cookie_invalid '; do
            [ "$(grep -c "$l" "$WORK/status")" = 2 ] || ok=0
        done
        [ $ok = 1 ] && return 0
        sleep 0.1
    done
    fail "the two queues' status did not come within 10 s: $(cat "$WORK/status")"
}

N=256
cat >"$WORK/client.py" <<'EOF'
# Opens n connections to the echo service at host, `at` at a time; each sends its own 64
# bytes and must read them back. Prints the number served.
import socket, sys
host, family, n, at = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fam = socket.AF_INET6 if family == "6" else socket.AF_INET
served = 0
for base in range(0, n, at):
    socks = []
    for i in range(base, min(n, base + at)):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((host, 7))
        socks.append((i, s))
    for i, s in socks:
        s.sendall(("%s conn %06d " % (family, i)).encode().ljust(64, b"."))
    for i, s in socks:
        want = ("%s conn %06d " % (family, i)).encode().ljust(64, b".")
        got = b""
        while len(got) < len(want):
            b = s.recv(len(want) - len(got))
            if not b:
                break
            got += b
        if got != want:
            sys.exit("connection %d: echoed %r" % (i, got))
        s.close()
        served += 1
print(served)
EOF
got4=$(inns timeout 60 python3 "$WORK/client.py" "$STACK" 4 $N 32) || fail "IPv4 client: $got4"
[ "$got4" = $N ] || fail "IPv4: $got4 of $N connections served"
echo "IPv4: $N echo connections served, byte-exact"
got6=$(inns timeout 60 python3 "$WORK/client.py" "$STACK6" 6 $N 32) || fail "IPv6 client: $got6"
[ "$got6" = $N ] || fail "IPv6: $got6 of $N connections served"
echo "IPv6: $N echo connections served, byte-exact"

want=$(bytes_pattern 1000 | sha256sum | cut -d' ' -f1)
for i in $(seq 16); do
    got=$(inns timeout 20 curl -sS --tcp-fastopen "http://$STACK/bytes/1000" | sha256sum |
        cut -d' ' -f1)
    [ "$got" = "$want" ] || fail "request $i with --tcp-fastopen: sha256 $got"
done
stats_json | grep -q '"serve":{"queue":[01],"queues":2,' || fail "/stats does not name its queue"
echo "16 requests with --tcp-fastopen answered byte-exact"

# Each queue's status: "queue I of 2 on cpu C", then its services, then its stack's counters.
status_of_both_queues
per_queue=$(awk '/^queue [0-9]+ of 2/ { q = $2 }
    /^service echo/ { for (i = 1; i <= NF; i++) if ($i == "accepted") { sub(",", "", $(i + 1)); a[q] = $(i + 1) } }
    /^rst_out/ { r[q] = $2 }
    /^tfo_passive/ { t[q] = $2 }
    /^tfo_cookie_invalid/ { bad += $2 }
    END { print a[0] + 0, a[1] + 0, r[0] + 0, r[1] + 0, t[0] + 0, t[1] + 0, bad + 0 }' "$WORK/status")
read -r a0 a1 r0 r1 t0 t1 tbad <<<"$per_queue"
echo "Fast Open: requests in the SYN taken by queue 0: $t0, by queue 1: $t1; invalid cookies: $tbad"
[ "$t0" -gt 0 ] && [ "$t1" -gt 0 ] || fail "Fast Open did not work on both queues ($t0, $t1)"
[ "$tbad" = 0 ] || fail "$tbad Fast Open cookies found invalid: the queues' keys differ?"
echo "queue 0 accepted $a0, queue 1 accepted $a1 (RSTs sent: $r0, $r1)"
[ "$a0" -gt 0 ] && [ "$a1" -gt 0 ] || fail "the connections did not use both queues ($a0, $a1)"
[ $((a0 + a1)) = $((2 * N)) ] || fail "the queues accepted $((a0 + a1)), want $((2 * N))"
[ "$r0" = 0 ] && [ "$r1" = 0 ] || fail "a stack sent RSTs: a flow met the wrong queue?"

stop_serve
# A line per queue at exit, its connections of all services: the echo ones, 16 curls and
# the /stats request.
total=$(sed -n 's/^synack serve: queue [01] (cpu [0-9]*): \([0-9]*\) connections accepted.*/\1/p' \
    "$WORK/serve.log" | awk '{ n++; s += $1 } END { if (n == 2) print s }')
[ "$total" = $((2 * N + 17)) ] || fail "the exit lines count ${total:-no} connections, want $((2 * N + 17))"
grep "^synack serve: queue" "$WORK/serve.log"

# A persistent single-queue device cannot take a second queue: refused, and said why.
inns ip tuntap add dev tunsq mode tun || fail "cannot make a persistent TUN device"
if inns timeout 10 "$SYNACK" serve --tun tunsq --echo 7 --queues 2 >"$WORK/sq.log" 2>&1; then
    fail "serve --queues 2 ran on a single-queue device"
fi
grep -q "multi_queue" "$WORK/sq.log" || fail "the refusal does not say why: $(cat "$WORK/sq.log")"
echo "a single-queue device is refused: $(head -1 "$WORK/sq.log")"
inns ip tuntap del dev tunsq mode tun

# --no-pin: every thread keeps the process's CPUs (pinned, each would have one of them).
start_serve --echo 7 --queues 2 --no-pin
grep -q "2 queues, not pinned" "$WORK/serve.log" || fail "serve --no-pin does not say so"
allowed=$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$SERVE_PID/status")
threads=0
for t in /proc/"$SERVE_PID"/task/*; do
    c=$(awk '/^Cpus_allowed_list/ { print $2 }' "$t/status")
    [ "$c" = "$allowed" ] || fail "a thread of serve --no-pin is pinned to $c (the process: $allowed)"
    threads=$((threads + 1))
done
[ "$threads" -ge 2 ] || fail "serve --queues 2 --no-pin runs $threads thread(s)"
got=$(inns timeout 60 python3 "$WORK/client.py" "$STACK" 4 64 16) || fail "--no-pin client: $got"
[ "$got" = 64 ] || fail "--no-pin: $got of 64 connections served"
stop_serve
total=$(sed -n 's/^synack serve: queue [01] (not pinned): \([0-9]*\) connections accepted.*/\1/p' \
    "$WORK/serve.log" | awk '{ n++; s += $1 } END { if (n == 2) print s }')
[ "$total" = 64 ] || fail "--no-pin: the exit lines count ${total:-no} connections, want 64"
echo "--no-pin: $threads threads on CPUs $allowed, 64 connections served"

# --steer cpu: the queue is the sending CPU's. Every datagram of a client pinned to CPU c is
# sent from c (its own, and what its kernel TCP answers inside the write of queue c's thread,
# pinned to c), so each queue gets exactly the connections of the client on its CPU.
if [ "$(nproc)" -lt 2 ]; then
    echo "--steer cpu: skipped (one CPU)"
    echo "PASS"
    exit 0
fi
start_serve --echo 7 --queues 2 --steer cpu
grep -q "2 queues on CPUs 0-1, steered by CPU" "$WORK/serve.log" ||
    fail "serve --steer cpu does not say so: $(head -3 "$WORK/serve.log")"
for c in 0 1; do
    got=$(inns taskset -c $c timeout 60 python3 "$WORK/client.py" "$STACK" 4 $((32 * (c + 1))) 16) ||
        fail "--steer cpu client on CPU $c: $got"
    [ "$got" = $((32 * (c + 1))) ] || fail "--steer cpu: $got connections served from CPU $c"
done
status_of_both_queues
read -r a0 a1 r0 r1 <<<"$(awk '/^queue [0-9]+ of 2/ { q = $2 }
    /^service echo/ { for (i = 1; i <= NF; i++) if ($i == "accepted") { sub(",", "", $(i + 1)); a[q] = $(i + 1) } }
    /^rst_out/ { r[q] = $2 }
    END { print a[0] + 0, a[1] + 0, r[0] + 0, r[1] + 0 }' "$WORK/status")"
echo "--steer cpu: queue 0 accepted $a0 (client on CPU 0: 32), queue 1 $a1 (CPU 1: 64); RSTs $r0, $r1"
[ "$a0" = 32 ] && [ "$a1" = 64 ] || fail "--steer cpu: the queues accepted $a0 and $a1, want 32 and 64"
[ "$r0" = 0 ] && [ "$r1" = 0 ] || fail "--steer cpu: a stack sent RSTs ($r0, $r1)"
stop_serve
echo "PASS"
