#!/usr/bin/env bash
# trace_html_chromium.sh - the `synack trace --html` page in headless Chromium: it renders
# with no console message (the page has no script and loads nothing), and a screenshot of it
# is not blank. The capture is the one `synack demo --loss` writes (no root, no network).
# Skips (77) when chromium is not installed. KEEP=dir keeps the page and the screenshot.
set -u
SYNACK=${SYNACK:-}
[ -x "$SYNACK" ] || { echo "SKIP: SYNACK (the synack binary) not set"; exit 77; }
"$SYNACK" trace --help >/dev/null 2>&1 || { echo "SKIP: no trace subcommand"; exit 77; }
CHROMIUM=""
for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && CHROMIUM=$c && break
done
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium not installed"; exit 77; }
WORK=$(mktemp -d /tmp/synack-trace-html.XXXXXX)
PROFILE=$(mktemp -d /tmp/synack-trace-chromium.XXXXXX)
cleanup() {
    [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$WORK"/* "$KEEP"/ 2>/dev/null
    rm -rf "$WORK" "$PROFILE"
}
trap cleanup EXIT

"$SYNACK" demo --seed 7 --loss 0.2 --bytes 30000 --pcap "$WORK/demo.pcap" >/dev/null 2>&1 ||
    { echo "FAIL: synack demo"; exit 1; }
"$SYNACK" trace "$WORK/demo.pcap" --quiet --html "$WORK/report.html" \
    --svg-seq "$WORK/seq.svg" --svg-ladder "$WORK/ladder.svg" ||
    { echo "FAIL: synack trace --html"; exit 1; }

# --enable-logging=stderr prints every console message as "...:CONSOLE(line)] ..."
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$PROFILE" --enable-logging=stderr --v=0 --hide-scrollbars \
    --window-size=1200,1600 --screenshot="$WORK/report.png" "file://$WORK/report.html" \
    >"$WORK/chromium.log" 2>&1
rc=$?
fail=0
if [ $rc != 0 ] || [ ! -s "$WORK/report.png" ]; then
    echo "FAIL: chromium exited $rc without a screenshot"
    tail -20 "$WORK/chromium.log"
    exit 1
fi
if grep -E "CONSOLE|Failed to load resource|Uncaught" "$WORK/chromium.log"; then
    echo "FAIL: the page wrote to the console"
    fail=1
else
    echo "ok   no console message"
fi

# Not blank: decode the PNG (zlib, filters) and count the pixels that are not the background.
if command -v python3 >/dev/null 2>&1; then
    python3 "$(dirname "$0")/lib/png_inked.py" "$WORK/report.png" || fail=1
else
    size=$(stat -c %s "$WORK/report.png")
    [ "$size" -gt 30000 ] && echo "ok   screenshot of $size bytes (no python3 to look inside)" ||
        { echo "FAIL: screenshot of only $size bytes"; fail=1; }
fi
exit $fail
