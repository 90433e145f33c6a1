#!/usr/bin/env bash
# demo_html_chromium.sh - `synack demo --html` in headless Chromium (no root, no network: a
# file:// page). The page plays the connection step by step; its test hook #keys=N presses
# ArrowRight N times through the page's own keydown handler, and the DOM Chromium dumps must
# then show exactly N ladder rows, the Nth row's text in the caption (the rows are in the
# page's data). With --loss the lost segment and the retransmission are in the rows. No
# console message; a screenshot (#step=N) is not blank. SHOTS=dir keeps the screenshot.
set -u
SYNACK=${SYNACK:-}
[ -x "$SYNACK" ] || { echo "SKIP: SYNACK (the synack binary) not set"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
CHROMIUM=""
for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && CHROMIUM=$c && break
done
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium not installed"; exit 77; }
WORK=$(mktemp -d /tmp/synack-demo-html.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
chrome() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$WORK/profile-$1" --enable-logging=stderr --v=0 --hide-scrollbars \
        --window-size=1300,1000 "${@:2}" 2>"$WORK/chromium-$1.log"
}

"$SYNACK" demo --seed 7 --loss 0.2 --html "$WORK/demo.html" >"$WORK/demo.txt" ||
    fail "synack demo --html"
[ -s "$WORK/demo.html" ] || fail "no page"
grep -q "<script src\|<link rel=\"stylesheet\"\|https\?://[a-z]" <(grep -v "w3.org/2000/svg" "$WORK/demo.html") &&
    fail "the page loads something from elsewhere"
echo "ok   demo --html wrote a self-contained page of $(wc -c <"$WORK/demo.html") bytes"

for n in 1 4; do
    chrome "k$n" --dump-dom --virtual-time-budget=3000 "file://$WORK/demo.html#keys=$n" \
        >"$WORK/dom$n.html" || fail "chromium --dump-dom exited $?"
    python3 - "$WORK/demo.html" "$WORK/dom$n.html" "$n" <<'PY' || fail "after $n × ArrowRight"
import html, json, re, sys
page, dom, n = open(sys.argv[1]).read(), open(sys.argv[2]).read(), int(sys.argv[3])
data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1))
step = re.search(r'<body[^>]*data-step="(\d+)"', dom)
assert step and int(step.group(1)) == n, "data-step is %s" % (step and step.group(1))
rows = re.findall(r'<g [^>]*data-row="(\d+)"', dom)
assert rows == [str(i) for i in range(n)], "rows shown: %s" % rows
cap = html.unescape(re.search(r'id="stepinfo"[^>]*>([^<]*)<', dom).group(1))
assert cap.endswith(data["rows"][n - 1]["text"]), "caption %r, row %r" % (cap, data["rows"][n - 1]["text"])
print("ok   %d × ArrowRight: %d rows shown; %s" % (n, len(rows), cap))
texts = " | ".join(r["text"] for r in data["rows"])
assert "SYN seq=0" in texts and "FIN,ACK" in texts and "retransmission" in texts, texts
assert any('class="lost"' in r["svg"] for r in data["rows"]), "no lost segment drawn"
PY
done
echo "ok   the rows hold the handshake, the close, a lost segment and its retransmission"
chrome shot --screenshot="$WORK/demo.png" "file://$WORK/demo.html#step=24" >/dev/null ||
    fail "chromium --screenshot"
if grep -E "CONSOLE|Uncaught" "$WORK"/chromium-*.log | grep "file://"; then
    fail "the page wrote to the console"
fi
echo "ok   no console message"
python3 "$(dirname "$0")/lib/png_inked.py" "$WORK/demo.png" || fail "blank screenshot"
[ -n "${SHOTS:-}" ] && mkdir -p "$SHOTS" && cp "$WORK/demo.png" "$SHOTS/"
echo "PASS"
