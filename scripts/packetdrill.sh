#!/bin/sh
# scripts/packetdrill.sh - runs every tests/packetdrill/*.pkt through packetdrill with
# synack's plug-in (libsynack_packetdrill.so from the build directory) in each of
# packetdrill's three --ip_version modes, prints PASS or FAIL per script and mode, the
# counts per mode, and a last line "N passed, N failed". Exit 0 when all pass.
#
#   sh scripts/packetdrill.sh BUILD_DIR /path/to/packetdrill [SCRIPT.pkt ...]
#
# The modes (docs/packetdrill.md):
#   ipv4              AF_INET sockets, IPv4 on the wire; the stack is 192.168.0.1
#   ipv4-mapped-ipv6  AF_INET6 sockets naming IPv4 peers as ::ffff:a.b.c.d, IPv4 on the wire
#   ipv6              AF_INET6 sockets, IPv6 on the wire; the stack is fd3d:fa7b:d17d::1 and
#                     its MTU 1520, as Linux's own runner gives packetdrill --mtu=1520: the
#                     20 more bytes of the IPv6 header leave the MSS at 1460, so one script
#                     serves all three modes
# A script runs in every mode unless it says otherwise: a `--ip_version=MODE` line of its
# own (packetdrill's option) keeps it to that mode, and a comment line `// modes: M1 M2`
# (followed by the reason) to those listed. The modes run side by side, the scripts of a
# mode one after the other. packetdrill checks timing to 10 ms, which a loaded machine
# can miss: a run that fails on timing alone is run again, up to three runs in all, and
# the PASS says so.
#
# packetdrill is not a Debian package and is not part of this repository: build it from
# github.com/google/packetdrill (docs/packetdrill.md). Without it this script says so and
# exits 0, so that `make packetdrill` is harmless on a machine that lacks it.
# Environment: PACKETDRILL_ARGS  extra packetdrill options (e.g. --verbose)
#              PACKETDRILL_MODES which modes (default "ipv4 ipv4-mapped-ipv6 ipv6")
#              SYNACK_PACKETDRILL_TRACE=1|FILE  the plug-in traces every stack event
#              SYNACK_PACKETDRILL_FLAGS  plug-in flags for every script (before the
#                                script's own --so_flags)
#              PACKETDRILL_TIMEOUT  seconds per script (60; the longest takes about 10)
set -u

build=${1:-build}
pd=${2:-}
[ $# -ge 2 ] && shift 2 || shift $#
here=$(cd "$(dirname "$0")/.." && pwd)
all_modes="ipv4 ipv4-mapped-ipv6 ipv6"
modes=${PACKETDRILL_MODES:-$all_modes}

if [ -z "$pd" ]; then
    echo "packetdrill: no binary given (PACKETDRILL=/path/to/packetdrill); nothing run."
    echo "packetdrill: see docs/packetdrill.md for how to build it."
    exit 0
fi
if [ ! -x "$pd" ]; then
    echo "packetdrill: '$pd' is not an executable" >&2
    exit 2
fi
so=$(cd "$build" 2>/dev/null && pwd)/libsynack_packetdrill.so
if [ ! -f "$so" ]; then
    echo "packetdrill: $so is missing (it is built only without sanitizers)" >&2
    exit 2
fi
# packetdrill reads TCP_INFO for a script's Python blocks with libc's getsockopt, not
# through the plug-in: this library, preloaded, sends that call on a plug-in socket to the
# plug-in (docs/packetdrill.md, "Python blocks").
preload=$(dirname "$so")/libsynack_pd_preload.so
if [ ! -f "$preload" ]; then
    echo "packetdrill: $preload is missing (built beside the plug-in)" >&2
    exit 2
fi
for m in $modes; do
    case " $all_modes " in
    *" $m "*) ;;
    *) echo "packetdrill: unknown mode '$m' (one of: $all_modes)" >&2; exit 2 ;;
    esac
done

if [ $# -gt 0 ]; then
    scripts="$*"
else
    scripts=$(ls "$here"/tests/packetdrill/*.pkt)
fi
to=""
command -v timeout >/dev/null 2>&1 && to="timeout ${PACKETDRILL_TIMEOUT:-60}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The modes a script allows (see the header).
script_modes() {
    own=$(sed -n 's/^--ip_version="\{0,1\}\([a-z0-9-]*\).*/\1/p' "$1")
    if [ -n "$own" ]; then
        echo "$own"
        return
    fi
    listed=$(sed -n 's|^// *modes: *||p' "$1" | head -n 1)
    if [ -n "$listed" ]; then
        for w in $listed; do
            case " $all_modes " in *" $w "*) printf '%s ' "$w" ;; esac
        done
        echo
        return
    fi
    echo "$all_modes"
}

# One script in the current mode; its output in $log.
run_one() {
    # packetdrill resolves a script's relative paths from its own directory; the command
    # line's --ip_version and --local_ip replace the script's.
    # shellcheck disable=SC2086
    (cd "$(dirname "$1")" && SYNACK_PACKETDRILL_FLAGS="$flags" LD_PRELOAD="$preload" $to "$pd" \
        --so_filename="$so" --ip_version="$mode" --local_ip="$local_ip" \
        ${PACKETDRILL_ARGS:-} "$1") >"$log" 2>&1
}

# One mode: every script in turn; results in $work/MODE.out, counts in $work/MODE.n.
run_mode() {
    mode=$1
    out="$work/$mode.out"
    log="$work/$mode.log"
    pass=0 fail=0 skip=0
    case $mode in
    ipv6)
        local_ip=fd3d:fa7b:d17d::1
        flags="mtu=1520${SYNACK_PACKETDRILL_FLAGS:+,$SYNACK_PACKETDRILL_FLAGS}"
        ;;
    *)
        local_ip=192.168.0.1
        flags=${SYNACK_PACKETDRILL_FLAGS:-}
        ;;
    esac
    : >"$out"
    for f in $scripts; do
        f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
        name=$(basename "$f")
        case " $(script_modes "$f") " in
        *" $mode "*) ;;
        *)
            skip=$((skip + 1))
            continue
            ;;
        esac
        # A run that missed packetdrill's timing only (a loaded machine delays a timer
        # thread by tens of ms) gets up to two more tries, and the PASS says so; any other
        # failure stands.
        tries=0 missed="" ok=false
        while :; do
            tries=$((tries + 1))
            if run_one "$f"; then
                ok=true
                break
            fi
            if [ "$tries" -ge 3 ] || ! grep -q "timing error" "$log"; then
                break
            fi
            missed="$missed; $(grep -m1 "timing error" "$log" | sed 's/.*timing error: //')"
        done
        if $ok; then
            pass=$((pass + 1))
            echo "PASS $mode $name${missed:+ (run $tries; missed timing$missed)}" >>"$out"
        else
            fail=$((fail + 1))
            echo "FAIL $mode $name${missed:+ (run $tries times)}" >>"$out"
            sed 's/^/    /' "$log" >>"$out"
        fi
    done
    echo "$pass $fail $skip" >"$work/$mode.n"
}

for m in $modes; do
    run_mode "$m" &
done
wait

total_pass=0
total_fail=0
summary=""
for m in $modes; do
    cat "$work/$m.out"
    read -r p f s <"$work/$m.n" || { p=0 f=1 s=0; }
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    summary="$summary$m: $p passed, $f failed, $s not for this mode
"
done
printf '%s' "$summary"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
