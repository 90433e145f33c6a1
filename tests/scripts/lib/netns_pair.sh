# netns_pair.sh - two network namespaces joined by a veth pair, for the trace tests that
# capture Linux talking to Linux: veth-a in the first, veth-b in the second, no address yet.
# Everything is removed by name when the script exits, also on failure: the processes left
# inside the namespaces, the namespaces, the work directory. KEEP=dir keeps the captures.
# The sourcing script defines skip() and CAPTURE_FILTER (tcpdump's filter: tcp, ip6); it gets
# NS_A, NS_B, WORK, inA, inB, capture_start/capture_stop (tcpdump on A's end), wait_listen,
# wait_tcp_state and wait_gone.
# shellcheck shell=bash disable=SC2317 # netns_pair_cleanup runs from the trap

netns_pair_cleanup() {
    [ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null
    # every process left inside our namespaces (servers), by namespace, then the namespaces
    for ns in "$NS_A" "$NS_B"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    done
    sleep 0.2
    ip netns del "$NS_A" 2>/dev/null
    ip netns del "$NS_B" 2>/dev/null
    if [ -n "${KEEP:-}" ]; then
        mkdir -p "$KEEP" && cp "$WORK"/*.pcap "$WORK"/*.txt "$KEEP"/ 2>/dev/null
    fi
    rm -rf "$WORK"
}

inA() { ip netns exec "$NS_A" "$@"; }
inB() { ip netns exec "$NS_B" "$@"; }

# netns_pair TAG: creates synack-TAG-a-PID and synack-TAG-b-PID and the veth between them.
netns_pair() {
    NS_A="synack-$1-a-$$"
    NS_B="synack-$1-b-$$"
    WORK=$(mktemp -d "/tmp/synack-$1.XXXXXX")
    TCPDUMP_PID=""
    trap netns_pair_cleanup EXIT INT TERM
    ip netns add "$NS_A" || skip "cannot create a network namespace"
    ip netns add "$NS_B" || exit 1
    inA ip link add veth-a type veth peer name veth-b || skip "no veth support"
    inA ip link set veth-b netns "$NS_B"
}

# Starts tcpdump on A's end with CAPTURE_FILTER; waits until it listens.
capture_start() { # file
    CAPTURE_FILE=$1
    # not through inA: $! must be tcpdump itself (ip netns exec execs it), not a subshell.
    # --immediate-mode: else packets wait in the kernel's ring for a block timeout and a
    # tcpdump stopped before it never sees them.
    ip netns exec "$NS_A" tcpdump -i veth-a --immediate-mode -B 16384 -U -Z root -s 0 -w "$1" \
        "$CAPTURE_FILTER" 2>"$WORK/tcpdump.err" &
    TCPDUMP_PID=$!
    for _ in $(seq 1 50); do
        grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "FAIL: tcpdump did not start"
    cat "$WORK/tcpdump.err"
    exit 1
}
# Stops it once it has caught up: tcpdump writes each packet as it reads it (-U), and on a
# loaded machine it may read the kernel's ring late, so it is stopped only when the capture
# file has not grown for 0.5 s (bounded: 10 s), not after a fixed time.
capture_stop() {
    local last=-1 size
    for _ in $(seq 1 20); do
        size=$(stat -c %s "$CAPTURE_FILE" 2>/dev/null || echo 0)
        [ "$size" = "$last" ] && break
        last=$size
        sleep 0.5
    done
    kill -TERM "$TCPDUMP_PID" 2>/dev/null # background jobs ignore SIGINT
    wait "$TCPDUMP_PID" 2>/dev/null
    TCPDUMP_PID=""
}

# Waits until a TCP socket in namespace A or B is in the state (ss's name: established,
# fin-wait-1, close-wait, time-wait ...) and matches ss's filter, bounded: 10 s. What the
# captures wait for instead of a fixed sleep, which a loaded machine can overrun.
wait_tcp_state() { # A|B state filter...
    local ns=$NS_A
    [ "$1" = B ] && ns=$NS_B
    local state=$2
    shift 2
    for _ in $(seq 1 100); do
        [ -n "$(ip netns exec "$ns" ss -Htn state "$state" "$@" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    echo "FAIL: no TCP socket in $state ($*) in $ns within 10 s"
    ip netns exec "$ns" ss -tan
    exit 1
}

# Waits until the process has ended (bounded: 10 s); says whether it did.
wait_gone() { # pid
    for _ in $(seq 1 100); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# Waits until something listens on B's port (either family).
wait_listen() { # port
    for _ in $(seq 1 50); do
        inB ss -ltn 2>/dev/null | grep -q ":$1 " && return 0
        sleep 0.1
    done
    echo "FAIL: server on port $1 did not start"
    exit 1
}
