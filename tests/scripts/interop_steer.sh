#!/usr/bin/env bash
# interop_steer.sh - synack serve --queues 2 --steer cpu keeps a connection on the queue its
# SYN reached, when the client's thread moves between CPUs mid-connection (the steering
# program's flow map, tools/synack/steer.c), in a network namespace of its own
# (interop_common.bash, lib/ipv6.bash):
#   - over IPv4 and IPv6, 4 echo connections each, opened alternately from CPU 0 and CPU 1;
#     on each, 600 round trips (TCP_NODELAY, 32 bytes each way) with the thread moved to
#     the other CPU (sched_setaffinity) before every write, then a bulk echo of 2 MiB whose
#     writer and reader threads both move to the other CPU after every 32 KiB: no connection
#     is reset, every byte comes back;
#   - neither stack sent a RST (a datagram that met the stack that does not know its flow
#     would be answered with one), and each queue accepted the connections whose SYN came
#     from its CPU (4 each): both queues still take connections;
#   - clients pinned one per CPU (as in interop_queues.sh): queue c takes the connections of
#     the client on CPU c;
#   - the startup line says the flows are steered by the flow map;
#   - churn: with --steer-flows 1024, a connection idle while 3000 short ones come and go
#     (closed by the client) is still in the map: its client moves CPUs without a reset.
# Before the flow map (a program that answered the sending CPU for each datagram) the first
# write after a move met the other queue's stack and the connection was reset.
source "$(dirname "$0")/interop_common.bash"
source "$(dirname "$0")/lib/ipv6.bash"
need python3 taskset
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
taskset -c 0,1 true 2>/dev/null || skip "CPUs 0 and 1 are not both allowed"

# The startup line is written to stderr in pieces, and start_serve returns at its first: the
# line that follows it ("offload: ...") says it is whole.
started() {
    for _ in $(seq 100); do
        grep -q "^synack serve: offload:" "$WORK/serve.log" && return 0
        sleep 0.1
    done
    fail "serve did not finish its startup lines: $(head -3 "$WORK/serve.log")"
}

start_serve --echo 7 --queues 2 --steer cpu
started
serve_has_ipv6
grep -q "2 queues on CPUs 0-1, steered by CPU" "$WORK/serve.log" ||
    fail "serve --steer cpu does not say so: $(head -3 "$WORK/serve.log")"
grep -q "steered by CPU per flow" "$WORK/serve.log" ||
    fail "serve --steer cpu does not steer per flow: $(head -3 "$WORK/serve.log")"

cat >"$WORK/migrate.py" <<'EOF'
# Echo connections whose threads move between CPU 0 and CPU 1 mid-connection. Connection k
# is opened from CPU k % 2 (its SYN sent from there). Prints "ok" or exits with the failure.
import os, socket, sys, threading
host, family, nconn, rounds, bulk = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
fam = socket.AF_INET6 if family == "6" else socket.AF_INET
CHUNK = 32 * 1024

def on(cpu):
    os.sched_setaffinity(0, {cpu})  # this thread only; it runs on cpu when the call returns

def pattern(k, n):
    # 32-byte lines that name the connection and their offset
    return b"".join((b"%s conn %d @%d" % (family.encode(), k, o)).ljust(31, b".") + b"\n"
                    for o in range(0, n, 32))[:n]

for k in range(nconn):
    cpu = k % 2
    on(cpu)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(10)
    s.connect((host, 7))
    try:
        for r in range(rounds):
            cpu ^= 1
            on(cpu)
            msg = (b"%s conn %d round %d " % (family.encode(), k, r)).ljust(32, b".")
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                b = s.recv(len(msg) - len(got))
                if not b:
                    sys.exit("conn %d round %d: closed by the server" % (k, r))
                got += b
            if got != msg:
                sys.exit("conn %d round %d: echoed %r" % (k, r, got))
        data = pattern(k, bulk)
        err = []
        def writer():
            try:
                c = cpu
                for off in range(0, bulk, CHUNK):
                    c ^= 1
                    on(c)
                    s.sendall(data[off:off + CHUNK])
                s.shutdown(socket.SHUT_WR)
            except Exception as e:
                err.append("writer: %r" % e)
        t = threading.Thread(target=writer)
        t.start()
        got, c = 0, cpu
        while True:
            b = s.recv(CHUNK)
            if not b:
                break
            if b != data[got:got + len(b)]:
                sys.exit("conn %d: bulk echo differs at offset %d" % (k, got))
            got += len(b)
            if got // CHUNK != (got - len(b)) // CHUNK:
                c ^= 1
                on(c)
        t.join()
        if err:
            sys.exit("conn %d: %s" % (k, err[0]))
        if got != bulk:
            sys.exit("conn %d: %d of %d bulk bytes echoed" % (k, got, bulk))
    except ConnectionResetError:
        sys.exit("conn %d: reset by the server (a datagram met the other queue?)" % k)
    except socket.timeout:
        sys.exit("conn %d: timed out" % k)
    s.close()
print("ok")
EOF
NCONN=4
ROUNDS=600
BULK=$((2 * 1024 * 1024))
for fam in 4 6; do
    host=$STACK
    [ $fam = 6 ] && host=$STACK6
    got=$(inns timeout 120 python3 "$WORK/migrate.py" "$host" $fam $NCONN $ROUNDS $BULK 2>&1) ||
        fail "IPv$fam, client moving between CPUs: $got"
    [ "$got" = ok ] || fail "IPv$fam: $got"
    echo "IPv$fam: $NCONN connections moved between CPU 0 and 1 before every write: $ROUNDS" \
        "round trips and a $BULK-byte bulk echo each, byte-exact, no reset"
done

# status: each queue's echo accepted count and RSTs sent (SIGUSR1's dump).
queue_status() {
    local lines
    lines=$(wc -l <"$WORK/serve.log")
    kill -USR1 "$SERVE_PID"
    for _ in $(seq 50); do
        [ "$(tail -n +$((lines + 1)) "$WORK/serve.log" | grep -c '^rst_out')" = 2 ] && break
        sleep 0.1
    done
    tail -n +$((lines + 1)) "$WORK/serve.log" |
        awk '/^queue [0-9]+ of 2/ { q = $2 }
        /^service echo/ { for (i = 1; i <= NF; i++) if ($i == "accepted") { sub(",", "", $(i + 1)); a[q] = $(i + 1) } }
        /^rst_out/ { r[q] = $2 }
        END { print a[0] + 0, a[1] + 0, r[0] + 0, r[1] + 0 }'
}
read -r a0 a1 r0 r1 <<<"$(queue_status)"
echo "queue 0 accepted $a0, queue 1 $a1 (each connection's SYN from CPU k % 2); RSTs sent $r0, $r1"
[ "$r0" = 0 ] && [ "$r1" = 0 ] || fail "a stack sent RSTs ($r0, $r1): a flow met the wrong queue"
[ "$a0" = $NCONN ] && [ "$a1" = $NCONN ] ||
    fail "the queues accepted $a0 and $a1, want $NCONN each (the queue of the SYN's CPU)"

# Clients pinned one per CPU: each queue takes the connections of the client on its CPU.
cat >"$WORK/pinned.py" <<'EOF'
# n echo connections one after another, 64 bytes each way. Prints the number served.
import socket, sys
host, n = sys.argv[1], int(sys.argv[2])
served = 0
for i in range(n):
    s = socket.create_connection((host, 7), timeout=5)
    msg = ("pinned %06d " % i).encode().ljust(64, b".")
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        b = s.recv(64 - len(got))
        if not b:
            break
        got += b
    if got != msg:
        sys.exit("connection %d: echoed %r" % (i, got))
    s.close()
    served += 1
print(served)
EOF
for c in 0 1; do
    n=$((16 * (c + 1)))
    got=$(inns taskset -c $c timeout 60 python3 "$WORK/pinned.py" "$STACK" $n) ||
        fail "client pinned to CPU $c: $got"
    [ "$got" = $n ] || fail "client pinned to CPU $c: $got of $n served"
done
read -r b0 b1 r0 r1 <<<"$(queue_status)"
echo "pinned clients: queue 0 accepted $((b0 - a0)) (client on CPU 0: 16), queue 1 $((b1 - a1)) (CPU 1: 32)"
[ $((b0 - a0)) = 16 ] && [ $((b1 - a1)) = 32 ] ||
    fail "pinned clients: the queues accepted $((b0 - a0)) and $((b1 - a1)), want 16 and 32"
[ "$r0" = 0 ] && [ "$r1" = 0 ] || fail "a stack sent RSTs ($r0, $r1)"
stop_serve

# Churn: the map keeps an idle flow while many others come and go. Flows the client has
# closed (its FIN) leave the map of open flows for one of their own, so with a map of 1024
# open flows, 3000 short connections do not evict a connection opened before them and idle
# since: its client then moves to the other CPU and is still served by its own queue. (With
# one map the 3000 SYNs evicted it, and the move was answered with a RST.)
start_serve --echo 7 --queues 2 --steer cpu --steer-flows 1024
started
grep -q "steered by CPU per flow (maps of 1024 open and 1024 closed flows)" "$WORK/serve.log" ||
    fail "serve --steer-flows 1024 does not say so: $(head -3 "$WORK/serve.log")"
cat >"$WORK/churn.py" <<'EOF'
# One connection from CPU 0, idle while n short ones (1 byte echoed each, closed by the
# client) run from CPU 0 and 1 in turn; then the first one's thread moves to CPU 1 and back
# for 20 round trips. Prints "ok" or exits with the failure.
import os, socket, sys
host, n = sys.argv[1], int(sys.argv[2])
def echo(s, msg):
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        b = s.recv(len(msg) - len(got))
        if not b:
            sys.exit("closed by the server")
        got += b
    if got != msg:
        sys.exit("echoed %r" % got)
os.sched_setaffinity(0, {0})
idle = socket.create_connection((host, 7), timeout=10)
idle.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
echo(idle, b"before")
for i in range(n):
    os.sched_setaffinity(0, {i % 2})
    s = socket.create_connection((host, 7), timeout=10)
    echo(s, b"x")
    s.close()
try:
    for r in range(20):
        os.sched_setaffinity(0, {1 - r % 2})
        echo(idle, b"after %d" % r)
except ConnectionResetError:
    sys.exit("the idle connection was reset after %d short ones: evicted from the map?" % n)
idle.close()
print("ok")
EOF
got=$(inns timeout 120 python3 "$WORK/churn.py" "$STACK" 3000 2>&1) || fail "churn: $got"
[ "$got" = ok ] || fail "churn: $got"
read -r c0 c1 r0 r1 <<<"$(queue_status)"
echo "churn: an idle connection survived 3000 short ones with a map of 1024 open flows and" \
    "moved CPUs without a reset (accepted: queue 0 $c0, queue 1 $c1; RSTs $r0, $r1)"
[ "$r0" = 0 ] && [ "$r1" = 0 ] || fail "churn: a stack sent RSTs ($r0, $r1)"
stop_serve
echo "PASS"
