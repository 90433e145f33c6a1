#!/usr/bin/env bash
# interop_serve_cc.sh - `synack serve --cc`: an unknown algorithm is refused with a message,
# and with `--cc newreno` (the real-path Mathis rows' NewReno row, scripts/mathis_real.sh)
# 4 MiB of random data go through echo byte-exact both ways under 2% loss each way (serve's
# fault injector), so that NewReno's loss recovery runs against the kernel's TCP.
source "$(dirname "$0")/interop_common.bash"
need socat

out=$(inns "$SYNACK" serve --tun tun0 --cc bbr --echo 7 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "serve --cc bbr exited $rc, not 2: $out"
echo "$out" | grep -q -- "--cc" || fail "serve --cc bbr did not name the option: $out"

SEED=${SEED:-$$}
echo "seed $SEED"
start_serve --echo 7 --cc newreno --faults loss=0.02 --seed "$SEED"
head -c $((4 << 20)) /dev/urandom >"$WORK/data"
inns timeout 120 socat -b 65536 -t 30 - "TCP:$STACK:7" <"$WORK/data" >"$WORK/echoed" ||
    fail "echo: socat failed (seed $SEED)"
cmp -s "$WORK/data" "$WORK/echoed" || fail "4 MiB did not come back byte-exact (seed $SEED)"
stop_serve
echo "PASS"
