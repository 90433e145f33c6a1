#!/usr/bin/env bash
# scripts/packetdrill-linux-suite.sh - runs Linux's own packetdrill suite (gtests/net/tcp of
# a packetdrill source tree you built by hand) through synack's plug-in, each script in a
# network namespace of its own, and prints PASS/FAIL per script and "N passed, M failed".
#
#   bash scripts/packetdrill-linux-suite.sh /path/to/packetdrill-src [BUILD_DIR]
#
# The suite's scripts run `../common/defaults.sh`, which sets sysctls: inside the script's
# own namespace those change only that namespace (and tcp_metrics), never the host. The
# plug-in gets only addr=<packetdrill's local address>/0 and rcvbuf=12000000 (so that synack
# offers window scale 8, as Linux with those defaults does); no script is edited.
#
# Environment:
#   MODE=kernel     run the same scripts against the Linux kernel instead (packetdrill's
#                   own TUN device inside each namespace), to compare
#   IP_VERSION=V    packetdrill's --ip_version: ipv4 (the default), ipv4-mapped-ipv6 or
#                   ipv6. IPv6 runs give the stack fd3d:a0b:17d6::1 (the remote end
#                   fd3d:fa7b:d17d::1, as run_all.py, whose TFO_COOKIE is theirs) and an MTU of 1520
#                   (packetdrill --mtu=1520 against the kernel), as Linux's own runner does,
#                   so that the scripts' MSS 1460 holds. A script that names its own
#                   --ip_version (mtu_probe/basic-v6) runs in it, with its own --local_ip.
#   SUITE_FILTER=RE only the scripts whose path matches RE (grep -E)
#   JOBS=N          scripts run side by side (2)
#   TIMEOUT=S       seconds per script (120)
#   RESULTS=FILE    where the per-script results go (a temporary file otherwise); each line
#                   "PASS|FAIL path first-error-line"
# Needs root (namespaces). Namespaces are named pdsuite-PID-N and removed by name, also when
# the script is interrupted.
set -u

src=${1:?usage: packetdrill-linux-suite.sh /path/to/packetdrill-src [BUILD_DIR]}
build=${2:-build}
pd="$src/gtests/net/packetdrill/packetdrill"
suite="$src/gtests/net/tcp"
mode=${MODE:-plugin}
ipv=${IP_VERSION:-ipv4}
case $ipv in
ipv4 | ipv4-mapped-ipv6 | ipv6) ;;
*) echo "IP_VERSION must be ipv4, ipv4-mapped-ipv6 or ipv6" >&2; exit 2 ;;
esac
jobs=${JOBS:-2}
tmo=${TIMEOUT:-120}
[ -x "$pd" ] || { echo "no packetdrill binary at $pd (build it first)" >&2; exit 2; }
[ -d "$suite" ] || { echo "no suite at $suite" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root for network namespaces" >&2; exit 2; }
so=""
if [ "$mode" = plugin ]; then
    so=$(cd "$build" 2>/dev/null && pwd)/libsynack_packetdrill.so
    [ -f "$so" ] || { echo "$so is missing (make build)" >&2; exit 2; }
    # packetdrill reads TCP_INFO for a script's Python blocks with libc's getsockopt, not
    # through the plug-in: this library sends that call on a plug-in socket to the plug-in
    # (docs/packetdrill.md, "Python blocks").
    preload=$(dirname "$so")/libsynack_pd_preload.so
    [ -f "$preload" ] || { echo "$preload is missing (make build)" >&2; exit 2; }
fi
work=$(mktemp -d /tmp/pdsuite.XXXXXX)
results=${RESULTS:-$work/results}
: >"$results"

cleanup() {
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^pdsuite-$$-"); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# One script in its own namespace; appends one line to the results.
run_one() {
    local f=$2 ns="pdsuite-$$-$1" log="$work/$1.log" rc
    ip netns add "$ns" || return
    ip netns exec "$ns" ip link set lo up
    local args=() v=$ipv own local=192.168.0.1 v6ends=()
    own=$(sed -n 's/^--ip_version="\{0,1\}\([a-z0-9-]*\).*/\1/p' "$f" | head -n 1)
    # IPv6: run_all.py's addresses (the local end, its gateway and the remote end), for
    # which its TFO_COOKIE below is the cookie under defaults.sh's key.
    if [ "$v" = ipv6 ]; then
        local=fd3d:a0b:17d6::1
        v6ends=(--gateway_ip=fd3d:a0b:17d6:8888::1 --remote_ip=fd3d:fa7b:d17d::1)
    fi
    if [ -n "$own" ]; then
        v6ends=()
        v=$own
        local=$(sed -n 's/^--local_ip="\{0,1\}\([0-9a-fA-F:.]*\).*/\1/p' "$f" | head -n 1)
        [ -n "$local" ] || { [ "$v" = ipv6 ] && local=fd3d:fa7b:d17d::1 || local=192.168.0.1; }
    else
        # A script that names its own local address (its Fast Open cookies depend on it)
        # keeps it.
        own=$(sed -n 's/^--local_ip="\{0,1\}\([0-9a-fA-F:.]*\).*/\1/p' "$f" | head -n 1)
        [ -n "$own" ] && { local=$own; v6ends=(); }
        grep -q '^--remote_ip' "$f" && v6ends=()
    fi
    args=(--ip_version="$v" "${v6ends[@]}")
    # The symbols packetdrill's own runner (run_all.py) defines for each mode: the TCP Fast
    # Open cookie under defaults.sh's key (IPv4: 192.0.2.1 -> 192.168.0.1; IPv6:
    # fd3d:fa7b:d17d::1 -> fd3d:a0b:17d6::1), the ICMP code and the error-queue names.
    if [ "$v" = ipv6 ]; then
        args+=(-D TFO_COOKIE=c1d1e9742a47a9bc -D CMSG_LEVEL_IP=SOL_IPV6
               -D CMSG_TYPE_RECVERR=IPV6_RECVERR)
    elif [ "$v" = ipv4-mapped-ipv6 ]; then
        args+=(-D TFO_COOKIE=3021b9d889017eeb -D CODE=host_unreachable
               -D CMSG_LEVEL_IP=SOL_IPV6 -D CMSG_TYPE_RECVERR=IPV6_RECVERR)
    else
        args+=(-D TFO_COOKIE=3021b9d889017eeb -D CODE=host_unreachable
               -D CMSG_LEVEL_IP=SOL_IP -D CMSG_TYPE_RECVERR=IP_RECVERR)
    fi
    [ "$v" = ipv6 ] && [ "$mode" = kernel ] && args+=(--mtu=1520)
    # The kernel gets the same fixed local address: packetdrill draws a random one
    # otherwise, and the Fast Open cookies defined above (run_all.py's, computed for
    # 192.168.0.1) would not match the kernel's.
    [ "$mode" = kernel ] && args+=(--local_ip="$local")
    if [ "$mode" = plugin ]; then
        # One fixed local address (packetdrill draws a random one otherwise): the plug-in
        # is that host.
        local flags="addr=$local/0 rcvbuf=12000000"
        [ "$v" = ipv6 ] && flags="$flags mtu=1520"
        args+=(--local_ip="$local" --so_filename="$so" --so_flags="$flags")
        # defaults.sh puts a qdisc on tun0, which only packetdrill's kernel mode creates:
        # an idle one in the namespace lets the suite's init script run unchanged.
        ip netns exec "$ns" ip tuntap add dev tun0 mode tun 2>/dev/null
        ip netns exec "$ns" ip link set tun0 up 2>/dev/null
    fi
    local env=()
    [ "$mode" = plugin ] && env=(env LD_PRELOAD="$preload")
    (cd "$(dirname "$f")" && timeout "$tmo" ip netns exec "$ns" "${env[@]}" "$pd" "${args[@]}" \
        "$(basename "$f")") >"$log" 2>&1
    rc=$?
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
    local rel=${f#"$suite"/}
    if [ "$rc" -eq 0 ]; then
        echo "PASS $rel" >>"$results"
    else
        local why
        why=$(grep -m1 -E "error|Error|timed out|assert" "$log" | tr -s ' ' | cut -c1-200)
        [ "$rc" -eq 124 ] && why="timed out after ${tmo}s"
        echo "FAIL $rel ${why:-exit $rc}" >>"$results"
    fi
}

mapfile -t scripts < <(find "$suite" -name '*.pkt' | sort | grep -E "${SUITE_FILTER:-.}")
i=0
for f in "${scripts[@]}"; do
    i=$((i + 1))
    run_one "$i" "$f" &
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait
sort -k2 "$results" | cut -c1-240
pass=$(grep -c '^PASS' "$results")
fail=$(grep -c '^FAIL' "$results")
echo "$mode $ipv: $pass passed, $fail failed"
