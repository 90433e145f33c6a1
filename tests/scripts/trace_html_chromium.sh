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
    python3 - "$WORK/report.png" <<'PY' || fail=1
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
inked = 0
colors = set()
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 4):  # every 4th pixel is plenty
        px = bytes(line[x:x + 3])
        colors.add(px)
        if px != b"\xff\xff\xff":
            inked += 1
    prev = line
total = (h * w) // 4
print("ok   screenshot %dx%d: %.1f%% not background, %d colours" % (w, h, 100.0 * inked / total, len(colors)))
assert inked > total // 50, "blank screenshot"
assert len(colors) > 8, "too few colours for a page with text and pictures"
PY
else
    size=$(stat -c %s "$WORK/report.png")
    [ "$size" -gt 30000 ] && echo "ok   screenshot of $size bytes (no python3 to look inside)" ||
        { echo "FAIL: screenshot of only $size bytes"; fail=1; }
fi
exit $fail
