#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets, fuzz/corpus/<target>/: a handful of small,
meaningful inputs each (real segments, option blocks, requests, captures, stack scripts).
Deterministic: run it again and nothing changes. See fuzz/*.c for each target's input format.

    python3 scripts/fuzz_seeds.py [SRC_DIR]
"""
import os
import shutil
import struct
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
A, B = 0x0A000001, 0x0A000002


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1, ttl=64):
    hdr = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(payload), ident, 0x4000, ttl, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(src, dst, sport, dport, seq, ack, flags, win=65535, opts=b"", data=b""):
    while len(opts) % 4:
        opts += b"\1"
    off = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts
    pseudo = struct.pack("!IIBBH", src, dst, 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    return ipv4(src, dst, 6, hdr + data)


def icmp(src, dst, typ, code, rest, body):
    msg = struct.pack("!BBHI", typ, code, 0, rest) + body
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    return ipv4(src, dst, 1, msg)


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16
MSS = b"\x02\x04\x05\xb4"
SACKOK_TS = b"\x04\x02\x08\x0a" + struct.pack("!II", 1000, 0)
NOP_WS = b"\x01\x03\x03\x07"
NOP_TS = b"\x01\x01\x08\x0a" + struct.pack("!II", 2000, 1000)


def sack(*blocks):
    return b"\x01\x01\x05" + bytes([2 + 8 * len(blocks)]) + b"".join(struct.pack("!II", l, r) for l, r in blocks)


def write(target, name, data):
    d = os.path.join(SRC, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def wire_seeds():
    syn = tcp(A, B, 40000, 80, 1000, 0, SYN, 64240, MSS + SACKOK_TS + NOP_WS)
    write("fuzz_wire", "syn", syn)
    write("fuzz_wire", "syn_ack", tcp(B, A, 80, 40000, 5000, 1001, SYN | ACK, 65160, MSS + SACKOK_TS + NOP_WS))
    write("fuzz_wire", "data_ts", tcp(A, B, 40000, 80, 1001, 5001, PSH | ACK, 502, NOP_TS, b"hello, world\n"))
    write("fuzz_wire", "ack_sack", tcp(B, A, 80, 40000, 5001, 1014, ACK, 509, NOP_TS + sack((3000, 4000), (5000, 6000))))
    write("fuzz_wire", "fin", tcp(A, B, 40000, 80, 1014, 5001, FIN | ACK, 502))
    write("fuzz_wire", "rst", tcp(B, A, 80, 40000, 5001, 0, RST, 0))
    write("fuzz_wire", "icmp_unreach", icmp(B, A, 3, 3, 0, syn[:28]))
    write("fuzz_wire", "icmp_frag_needed", icmp(B, A, 3, 4, 576, syn[:28]))
    write("fuzz_wire", "icmp_echo", icmp(B, A, 8, 0, 0x12340001, b"ping"))


# IPv6 (RFC 8200): fd00:7:1::1 and fd00:7:2::1, as in tests/unit/wire6_test.c.
A6 = bytes.fromhex("fd000007000100000000000000000001")
B6 = bytes.fromhex("fd000007000200000000000000000001")
R6 = bytes.fromhex("fd000007000100000000000000000002")


def ipv6(src, dst, exts, proto, upper, hlim=64, flow=0x12345):
    """exts: a list of (next-header value naming it, bytes whose first byte is patched)."""
    body, types = b"", [t for t, _ in exts] + [proto]
    for i, (_, h) in enumerate(exts):
        body += bytes([types[i + 1]]) + h[1:]
    payload = body + upper
    return struct.pack("!IHBB", 6 << 28 | flow, len(payload), types[0], hlim) + src + dst + payload


def pseudo6(src, dst, proto, n):
    return src + dst + struct.pack("!IxxxB", n, proto)


def tcp6(src, dst, sport, dport, seq, ack, flags, win=65535, opts=b"", data=b"", exts=()):
    while len(opts) % 4:
        opts += b"\1"
    off = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts
    c = csum(pseudo6(src, dst, 6, len(hdr) + len(data)) + hdr + data)
    hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    return ipv6(src, dst, list(exts), 6, hdr + data)


def icmp6(src, dst, typ, code, word, body, hlim=64):
    msg = struct.pack("!BBHI", typ, code, 0, word) + body
    msg = msg[:2] + struct.pack("!H", csum(pseudo6(src, dst, 58, len(msg)) + msg)) + msg[4:]
    return ipv6(src, dst, [], 58, msg, hlim)


def wire6_seeds():
    t = "fuzz_wire6"
    syn = tcp6(A6, B6, 40000, 80, 1000, 0, SYN, 64800, b"\x02\x04\x04\xc4" + SACKOK_TS + NOP_WS)
    write(t, "syn", syn)
    write(t, "data_ts", tcp6(A6, B6, 40000, 80, 1001, 5001, PSH | ACK, 502, NOP_TS, b"hello, world\n"))
    write(t, "ack_sack", tcp6(B6, A6, 80, 40000, 5001, 1014, ACK, 509, NOP_TS + sack((3000, 4000))))
    padn = b"\0\0\x01\x04\0\0\0\0"
    ra = b"\0\0\x05\x02\0\0\x01\0"
    write(t, "hbh_router_alert", tcp6(A6, B6, 40000, 80, 1000, 0, SYN, exts=[(0, ra)]))
    write(t, "dst_unknown_skip", tcp6(A6, B6, 40000, 80, 1, 2, ACK, exts=[(0, padn), (60, b"\0\0\x1e\x04abcd")]))
    write(t, "dst_unknown_icmp", tcp6(A6, B6, 40000, 80, 1, 2, ACK, exts=[(60, b"\0\0\x9e\x04abcd")]))
    write(t, "routing0_segleft", tcp6(A6, B6, 40000, 80, 1, 2, ACK, exts=[(43, b"\0\x02\0\x01\0\0\0\0" + R6)]))
    write(t, "frag_first", tcp6(A6, B6, 40000, 80, 1, 2, ACK, exts=[(44, b"\0\0\0\x01\0\0\0\x09")]))
    write(t, "frag_atomic", tcp6(A6, B6, 40000, 80, 1, 2, ACK, exts=[(44, b"\0\0\0\0\0\0\0\x07")]))
    write(t, "chain_too_long", tcp6(A6, B6, 40000, 80, 1, 2, ACK, exts=[(60, padn)] * 9))
    write(t, "hbh_not_first", tcp6(A6, B6, 40000, 80, 1, 2, ACK, exts=[(60, padn), (0, padn)]))
    write(t, "icmp6_echo", icmp6(A6, B6, 128, 0, 0x7AFD0001, b"0123456789abcdef"))
    write(t, "icmp6_too_big", icmp6(R6, A6, 2, 0, 1280, syn))
    write(t, "icmp6_param_problem", icmp6(B6, A6, 4, 2, 50, syn[:48]))
    write(t, "icmp6_time_exceeded", icmp6(R6, A6, 3, 0, 0, syn, hlim=255))


def opts_seeds():
    write("fuzz_opts", "linux_syn", MSS + SACKOK_TS + NOP_WS)
    write("fuzz_opts", "nop_ts", NOP_TS)
    write("fuzz_opts", "ts_sack3", NOP_TS + sack((1, 2), (3, 4), (5, 6)))
    write("fuzz_opts", "sack4", sack((10, 20), (30, 40), (50, 60), (70, 80)))
    write("fuzz_opts", "mss_ws_eol", MSS + b"\x03\x03\x0e\x00\x00\x00")
    write("fuzz_opts", "unknown_md5", b"\x13\x12" + bytes(16) + b"\x01\x01")
    write("fuzz_opts", "sackok_only", b"\x01\x01\x04\x02")


def http_seeds():
    reqs = {
        "get_bytes": b"GET /bytes/1000 HTTP/1.1\r\nHost: 10.7.0.2\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n\r\n",
        "head_close": b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "http10_keepalive": b"\r\nGET /index.html HTTP/1.0\nConnection: Keep-Alive, close\n\n",
        "body": b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello",
        "pipelined": b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
        "post": b"POST /x HTTP/1.1\r\nHost: x\r\n\r\n",
        "partial": b"GET /bytes/10 HTTP/1.1\r\nHo",
    }
    for name, data in reqs.items():
        write("fuzz_http", name, data)


def pcap(linktype, records, nano=False):
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for i, r in enumerate(records):
        out += struct.pack("<IIII", 1700000000 + i, 1000 * i, len(r), len(r)) + r
    return out


def pcapng(linktype, records):
    def block(typ, body):
        while len(body) % 4:
            body += b"\0"
        n = 12 + len(body)
        return struct.pack("<II", typ, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 65535))
    for i, r in enumerate(records):
        ts = (1700000000 + i) * 1000000
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(r), len(r)) + r)
    return out


def capture_seeds():
    for name in ("linux_echo.pcap", "linux_reset.pcap", "linux_simul_close.pcap"):
        src = os.path.join(SRC, "tests", "data", name)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(SRC, "fuzz", "corpus", "fuzz_capture", name))
    syn = tcp(A, B, 40000, 80, 1000, 0, SYN, 64240, MSS + SACKOK_TS + NOP_WS)
    synack = tcp(B, A, 80, 40000, 5000, 1001, SYN | ACK, 65160, MSS + SACKOK_TS + NOP_WS)
    data = tcp(A, B, 40000, 80, 1001, 5001, PSH | ACK, 502, NOP_TS, b"GET / HTTP/1.0\r\n\r\n")
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01"
    write("fuzz_capture", "ethernet_vlan.pcap",
          pcap(1, [eth + b"\x08\x00" + syn, eth + b"\x81\x00\x00\x05\x08\x00" + synack,
                   eth + b"\x86\xdd" + bytes(40)]))
    write("fuzz_capture", "raw_nano.pcap", pcap(101, [syn, synack, data], nano=True))
    write("fuzz_capture", "sll.pcap", pcap(113, [b"\0\0\0\1\0\6" + bytes(8) + b"\x08\x00" + syn]))
    write("fuzz_capture", "null_loopback.pcapng", pcapng(0, [b"\2\0\0\0" + syn, b"\2\0\0\0" + data[:50]]))


# fuzz_stack: [setup] then ops: op | side << 4 | x << 5 (see fuzz/fuzz_stack.c).
STEP, SLEEP, SEND, RECV, SHUT, CLOSE, ABORT, CONNECT, ACCEPT, SETOPT, INJECT, RAW, MANGLE, DROP, ICMP, NEXT = range(16)


def op(o, side=0, x=0, *args):
    return bytes([o | side << 4 | x << 5]) + bytes(args)


def inject(side, f, s, a, win, opts, n, x=0):
    return op(INJECT, side, x) + struct.pack("!BhhHBB", f, s, a, win, opts, n)


def stack_seeds():
    transfer = op(SEND, 0, 0, 120) + op(STEP, 0, 0, 255) * 4 + op(RECV, 1, 0, 255) + op(NEXT) * 4
    write("fuzz_stack", "transfer", b"\0" + transfer + op(SEND, 1, 0, 60) + op(STEP, 0, 0, 200) + op(RECV, 0, 0, 255))
    write("fuzz_stack", "graceful_close",
          b"\0" + op(SEND, 0, 0, 10) + op(STEP, 0, 0, 50) + op(CLOSE, 0, 0) + op(STEP, 0, 0, 50) +
          op(RECV, 1, 0, 255) + op(RECV, 1, 0, 255) + op(CLOSE, 1, 0) + op(SLEEP, 0, 0, 60))
    write("fuzz_stack", "half_close",
          b"\x08" + op(SHUT, 0, 1) + op(STEP, 0, 0, 50) + op(SEND, 1, 0, 30) + op(STEP, 0, 0, 100) +
          op(RECV, 0, 0, 255) + op(SHUT, 1, 1) + op(SLEEP, 0, 0, 50))
    write("fuzz_stack", "inject_rst", b"\0" + inject(1, RST | ACK, 0, 0, 1000, 0, 0) + op(STEP, 0, 0, 20))
    write("fuzz_stack", "inject_syn_challenge", b"\0" + inject(1, SYN, 5, 0, 1000, 0x0F, 0) + op(STEP, 0, 0, 20))
    write("fuzz_stack", "inject_ooo_sack",
          b"\x01" + op(SEND, 1, 0, 100) + op(STEP, 0, 0, 5) +
          inject(1, ACK, 500, 0, 2000, 0x18, 32) + inject(1, ACK | PSH, 0, 200, 2000, 0x28, 16) +
          inject(1, ACK, 0, 1000, 2000, 0x38, 0) * 3 + op(STEP, 0, 0, 100) + op(RECV, 1, 0, 255))
    write("fuzz_stack", "loss_rto",
          b"\x02" + op(DROP, 0, 3) + op(SEND, 0, 0, 90) + op(STEP, 0, 0, 255) + op(SLEEP, 0, 0, 30) +
          op(RECV, 1, 0, 255) + op(NEXT) * 6)
    write("fuzz_stack", "icmp_frag_needed",
          b"\0" + op(SEND, 0, 0, 40) + op(ICMP, 0, 2, 100) + op(ICMP, 0, 0, 0) + op(ICMP, 0, 3, 0) + op(STEP, 0, 0, 200))
    write("fuzz_stack", "connect_closed_port_and_accept",
          b"\0" + op(CONNECT, 0, 0, 1) + op(CONNECT, 1, 0, 0) + op(STEP, 0, 0, 100) + op(ACCEPT, 0) +
          op(SEND, 1, 1, 5) + op(STEP, 0, 0, 100) + op(RECV, 0, 1, 10))
    write("fuzz_stack", "mangle_and_raw_syn",
          b"\0" + op(MANGLE, 0, 1, 33, 0x02) + op(SEND, 0, 0, 3) + op(STEP, 0, 0, 50) +
          op(RAW, 1) + bytes([44]) + tcp(A, B, 41000, 80, 77, 0, SYN, 1000, MSS) + op(STEP, 0, 0, 50) + op(ACCEPT, 1))
    write("fuzz_stack", "keepalive_zero_window",
          b"\x05" + op(SETOPT, 0, 0, 6, 1) + op(SETOPT, 0, 0, 7, 1) + op(SETOPT, 0, 0, 8, 1) +
          op(SEND, 0, 0, 255) * 3 + op(STEP, 0, 0, 255) * 3 + op(SLEEP, 0, 0, 100) + op(NEXT) * 4 +
          op(RECV, 1, 0, 255) * 3 + op(SLEEP, 0, 0, 60))
    # Setup bits 6 and 7: Linux's choices and the auto-tuned receive buffer; odd RECV sizes
    # discard (synack_recv_discard), SETOPT 2 and 3 resize the rings of a live connection.
    write("fuzz_stack", "linux_autotune_discard",
          b"\xc1" + (op(SEND, 0, 0, 255) + op(STEP, 0, 0, 255) + op(RECV, 1, 0, 255)) * 8 +
          op(DROP, 0, 0) + op(SEND, 0, 0, 255) + op(STEP, 0, 0, 0x40) + op(RECV, 1, 0, 0xfd) +
          op(NEXT) * 2 + op(SLEEP, 0, 0, 2) + op(RECV, 1, 0, 255) + op(NEXT))
    write("fuzz_stack", "linux_loss_live_buffers",
          b"\x43" + (op(SEND, 0, 0, 255) + op(STEP, 0, 0, 0x10)) * 4 + op(DROP, 0, 1) +
          op(STEP, 0, 0, 255) + op(SETOPT, 1, 0, 2, 0x20) + op(SETOPT, 0, 0, 1, 0x10) +
          op(RECV, 1, 0, 0x40) + op(NEXT) * 2 + op(RECV, 1, 0, 0xfe) + op(SEND, 0, 0, 255) +
          op(SLEEP, 0, 0, 4) + op(RECV, 1, 0, 255) + op(SETOPT, 1, 0, 2, 255) + op(NEXT) +
          op(SLEEP, 0, 0, 0x10))


def placed_seeds():
    """fuzz_placed: the receive hint's path against the whole one (fuzz/fuzz_placed.c). A
    first in-order segment names the connection, three full ones grow the ring past a
    segment's room; then the case. Setup bits: 0 timestamps, 1 virtio_net_hdr, 2 trace,
    3-4 the receive buffer (0x10: 64 KiB), 5 IPv6."""
    t = "fuzz_placed"

    def seg(f, s, n, m=0, m2=0, x=0):
        b = bytes([x << 3, f]) + (s & 0xffff).to_bytes(2, "big") + n.to_bytes(2, "big") + bytes([m, m2])
        if m & 0x80:
            b += b"\x00\x05"
        return b + bytes(8)

    def recv(n, x=0):
        return bytes([1 | (x << 3), n])

    pre = seg(0x18, 0, 100) + seg(0x10, 0, 1448) * 3
    for su in (0x08, 0x10, 0x11, 0x12, 0x13, 0x16, 0x18, 0x1B):
        d = bytes([su]) + seg(0x18, 0, 100)
        for i in range(12):
            d += seg(0x10, 0, 1436 if su & 1 else 1448)
            if i % 4 == 3:
                d += recv(40)
        write(t, "bulk_%02x" % su, d)
        if su in (0x10, 0x12, 0x16, 0x1B):
            write(t, "v6_bulk_%02x" % su, bytes([su | 0x20]) + d[1:])
    muts = [(1, 0), (2, 0), (4, 3), (4, 0x0B), (8, 0), (0x10, 0), (0x20, 0), (0x21, 0), (0x40, 0),
            (0x80, 0), (0, 0x10), (0, 0x20), (0, 0x40), (0, 0x80), (0x11, 0), (0x22, 0)]
    for i, (m, m2) in enumerate(muts):
        su = 0x12 if m & 0x70 else 0x10
        d = pre + seg(0x10, 0, 1448, m, m2) + seg(0x10, 0, 1448) + recv(255)
        write(t, "mut_%02d" % i, bytes([su]) + d)
        if i in (0, 2, 5, 6, 8):
            write(t, "v6_mut_%02d" % i, bytes([su | 0x20]) + d)
    for i, f in enumerate((0x11, 0x14, 0x12, 0x30, 0x19, 0x00, 0x50, 0x90)):
        d = pre + seg(f, 0, 1000) + recv(255) + seg(0x10, 0, 500) + recv(255)
        write(t, "flags_%d" % i, b"\x10" + d)
        if i in (0, 3):
            write(t, "v6_flags_%d" % i, b"\x30" + d)
    cases = {
        "window": seg(0x10, 0xFFF0, 1448) + seg(0x10, 60000, 1448) + seg(0x10, 0, 1448) + recv(255),
        "rcvbuf": bytes([2, 4]) + seg(0x10, 0, 1448) + bytes([2, 200]) + seg(0x10, 0, 1448) + recv(255),
        "close": bytes([3 | (4 << 3)]) + seg(0x10, 0, 1448) + seg(0x11, 0, 1448),
        "abort": bytes([3 | (5 << 3)]) + seg(0x10, 0, 1448),
        "idle": recv(255) + bytes([4 | (5 << 3), 200]) + seg(0x10, 0, 1448) + recv(255),
        "dup": bytes([6]) + seg(0x10, 0, 1448) + recv(255),
        "finwait": bytes([5, 100, 3 | (1 << 3)]) + seg(0x10, 0, 1448) + recv(255),
    }
    # The hint moves to a second connection (op 7) and back.
    seg2 = bytes([7, 0x05, 0xA8])
    cases["two_conns"] = seg2 + seg(0x10, 0, 1448) + seg2 * 2 + seg(0x10, 0, 1448) * 2 + recv(255) + seg2
    for name, d in cases.items():
        write(t, name, b"\x10" + pre + d)
        if name in ("window", "dup", "close"):
            write(t, "v6_" + name, b"\x30" + pre + d)


if __name__ == "__main__":
    wire_seeds()
    wire6_seeds()
    opts_seeds()
    http_seeds()
    os.makedirs(os.path.join(SRC, "fuzz", "corpus", "fuzz_capture"), exist_ok=True)
    capture_seeds()
    stack_seeds()
    placed_seeds()
