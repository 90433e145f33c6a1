#!/usr/bin/env bash
# interop_rcvwnd.sh - the receive window synack serve offers a bulk sender, seen from the
# kernel's side (the sender's tcp_info, through `ss -ti`), in a network namespace of its own
# (interop_common.bash):
#   - by default serve's receive buffer may grow by auto-tuning to 4 MiB: the SYN-ACK offers
#     window scale 7 (RFC 7323 §2.3, the smallest that can advertise 4 MiB), and the window
#     the kernel's sender is given grows past the library's 256 KiB during a 256 MiB send to
#     the discard service (with 256 KiB the sender waited on the window for more than half
#     of such a transfer: docs/performance.md, "Bulk over TUN");
#   - --rcvbuf 262144 gives the library's old bound back: scale 3, the window never past it,
#     and still grown by auto-tuning past the 64 KiB it starts from.
# Both transfers must complete.
source "$(dirname "$0")/interop_common.bash"
need socat ss head

# bulk MIB: MIB of zeros to the discard service; while it runs, `ss -ti` of the sender every
# 50 ms; prints "SCALE MAXWND": synack's window scale (the first of ss's "wscale:S,R") and the
# largest send window (snd_wnd) seen.
bulk() {
    local mib=$1 pid scale="" max=0 w line
    head -c $((mib << 20)) /dev/zero | inns timeout 120 socat -u - "TCP4:$STACK:9" &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 2400); do # bounded: 120 s
        kill -0 "$pid" 2>/dev/null || break
        line=$(inns ss -tinH state established "dst $STACK:9" 2>/dev/null | tr '\n' ' ')
        w=$(echo "$line" | sed -n 's/.*snd_wnd:\([0-9]*\).*/\1/p')
        [ -n "$w" ] && [ "$w" -gt "$max" ] && max=$w
        [ -z "$scale" ] && scale=$(echo "$line" | sed -n 's/.*wscale:\([0-9]*\),.*/\1/p')
        sleep 0.05
    done
    wait "$pid" || fail "the $mib MiB send to the discard service failed"
    echo "${scale:-none} $max"
}

start_serve --discard 9
read -r scale max < <(bulk 256)
echo "default: synack's window scale $scale, largest window offered $max bytes"
[ "$scale" = 7 ] || fail "default serve: window scale $scale, not 7 (a 4 MiB buffer)"
[ "$max" -gt 262144 ] || fail "default serve: the window never grew past 256 KiB ($max)"
stop_serve

start_serve --discard 9 --rcvbuf 262144
read -r scale max < <(bulk 256)
echo "--rcvbuf 262144: synack's window scale $scale, largest window offered $max bytes"
[ "$scale" = 3 ] || fail "--rcvbuf 262144: window scale $scale, not 3"
[ "$max" -le 262144 ] || fail "--rcvbuf 262144: a window of $max bytes, past the buffer"
[ "$max" -gt 65536 ] || fail "--rcvbuf 262144: auto-tuning never grew the window ($max)"
stop_serve
echo "PASS"
