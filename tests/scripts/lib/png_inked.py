#!/usr/bin/env python3
"""png_inked.py FILE [MIN_PERCENT] - a screenshot is not blank: decodes the PNG (zlib and the
five filters, 8-bit RGB or RGBA) and counts the pixels (every 4th) that are not white. Exits 1
when fewer than MIN_PERCENT (2) are inked or there are fewer than 8 colours."""
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
need = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h, bpp = 8, b"", 0, 0, 3
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
        if f == 1:
            line[i] = (line[i] + a) & 255
        elif f == 2:
            line[i] = (line[i] + b) & 255
        elif f == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 4):
        px = bytes(line[x:x + 3])
        colors.add(px)
        if px != b"\xff\xff\xff":
            inked += 1
    prev = line
total = max(1, (h * w) // 4)
pct = 100.0 * inked / total
print("ok   screenshot %dx%d: %.1f%% not background, %d colours" % (w, h, pct, len(colors)))
sys.exit(0 if pct >= need and len(colors) > 8 else 1)
