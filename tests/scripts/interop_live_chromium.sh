#!/usr/bin/env bash
# interop_live_chromium.sh - the /live page of `synack serve --http` in headless Chromium,
# inside a network namespace: the page loads (its own connection to synack is one of those
# listed), then curl fetches /bytes/3000, and the page's DOM must hold that connection's
# ladder rows (SYN ... FIN/ACK, states, the phases) and its time-sequence graph; nothing is
# written to the console; a screenshot is not blank. Chromium is driven through the DevTools
# protocol (tests/scripts/lib/cdp.py), on a port inside the namespace.
# Skips (77) without root, chromium, curl or python3. SHOTS=dir keeps the screenshot.
source "$(dirname "$0")/interop_common.bash"
need curl python3
CHROMIUM=""
for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && CHROMIUM=$c && break
done
[ -n "$CHROMIUM" ] || skip "chromium not installed"
CDP=(python3 "$(dirname "$0")/lib/cdp.py" 9222)
PROFILE="$WORK/profile"
mkdir -p "$PROFILE"

start_serve --http 80 --msl 2
ip netns exec "$NS" "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$PROFILE" --remote-debugging-port=9222 --window-size=1300,1000 \
    --hide-scrollbars about:blank >"$WORK/chromium.log" 2>&1 &
PIDS+=("$!")

inns timeout 60 "${CDP[@]}" open "http://$STACK/live" \
    wait "document.querySelectorAll('#conns li').length >= 1" 20 >"$WORK/cdp1.log" 2>&1 ||
    fail "the page did not list its own connection: $(cat "$WORK/cdp1.log")"
echo "ok   /live loaded and lists its own connection"
port=$(inns timeout 10 curl -s -o /dev/null -w '%{local_port}' "http://$STACK/bytes/3000") ||
    fail "curl failed"
echo "ok   curl from port $port"
# At least 10 rows: the handshake (3), the request and its ACK, the response (with the TUN
# offloads its 3000 bytes are one super-segment and a last piece), the close (3-4).
inns timeout 60 "${CDP[@]}" \
    wait "document.getElementById('title').textContent.includes(':$port ') && document.querySelectorAll('#ladder .lbl').length >= 10" 20 \
    wait "document.querySelector('#seq svg') !== null" 10 \
    eval "Array.from(document.querySelectorAll('#ladder .lbl')).map(e => e.textContent).join('|')" \
    eval "Array.from(document.querySelectorAll('#ladder .st')).map(e => e.textContent).join('|')" \
    eval "Array.from(document.querySelectorAll('#ladder .phase')).map(e => e.textContent).join('|')" \
    eval "document.getElementById('conns').textContent" \
    shot "$WORK/live.png" >"$WORK/cdp2.log" 2>&1
rc=$?
cat "$WORK/cdp2.log"
[ $rc = 0 ] || fail "the page's DOM or console (cdp exit $rc)"
grep -q "console:" "$WORK/cdp1.log" && fail "console messages: $(grep console: "$WORK/cdp1.log")"
labels=$(sed -n 1p "$WORK/cdp2.log")
states=$(sed -n 2p "$WORK/cdp2.log")
phases=$(sed -n 3p "$WORK/cdp2.log")
for want in "SYN seq=0" "SYN,ACK seq=0 ack=1" "PSH,ACK seq=1 ack=1" "FIN,ACK"; do
    case "$labels" in *"$want"*) ;; *) fail "no row '$want' in the ladder" ;; esac
done
for want in SYN-SENT SYN-RECEIVED ESTABLISHED LAST-ACK TIME-WAIT; do
    case "$states" in *"$want"*) ;; *) fail "no state $want in the ladder" ;; esac
done
for want in "3-way handshake" "data transfer" "4-way close"; do
    case "$phases" in *"$want"*) ;; *) fail "no phase '$want'" ;; esac
done
echo "ok   the ladder of the curl connection is in the DOM: segments, both sides' states, phases"
echo "ok   no console message"
python3 "$(dirname "$0")/lib/png_inked.py" "$WORK/live.png" || fail "blank screenshot"
# Clicking another connection in the list shows its ladder and graph; clicking the curl
# connection again brings its own back.
other="Array.from(document.querySelectorAll('#conns li')).find(e => !e.textContent.includes(':$port '))"
mine="Array.from(document.querySelectorAll('#conns li')).find(e => e.textContent.includes(':$port '))"
inns timeout 60 "${CDP[@]}" \
    eval "($other).click(), 'clicked'" \
    wait "!document.getElementById('title').textContent.includes(':$port ') && document.querySelectorAll('#ladder .lbl').length >= 1" 10 \
    wait "document.querySelector('#seq svg') !== null" 10 \
    eval "($mine).click(), 'clicked'" \
    wait "document.getElementById('title').textContent.includes(':$port ') && document.querySelectorAll('#ladder .lbl').length >= 10" 10 \
    >"$WORK/cdp3.log" 2>&1 || fail "clicking a connection in the list: $(cat "$WORK/cdp3.log")"
grep -q "console:" "$WORK/cdp3.log" && fail "console messages: $(grep console: "$WORK/cdp3.log")"
echo "ok   a click on a listed connection shows its ladder and graph, and back"
[ -n "${SHOTS:-}" ] && mkdir -p "$SHOTS" && cp "$WORK/live.png" "$SHOTS/"
stop_serve
echo "PASS"
