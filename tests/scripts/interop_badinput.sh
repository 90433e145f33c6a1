#!/usr/bin/env bash
# interop_badinput.sh - bad datagrams on the wire are dropped, counted with their reason, and
# never crash `serve` (docs/architecture.md: the peer is not trusted). In a network namespace of its own
# (interop_common.bash), a packet socket on the kernel's side of tun0 writes raw IPv4 datagrams
# that the kernel's own stack would never send: truncated, a wrong version, a bad header
# checksum, a fragment, a wrong destination, IP options, a bad TCP checksum, a TCP header
# longer than the datagram, a bad TCP option, a bad ICMP checksum, and 2000 seeded random
# mutations of a valid SYN. Afterwards the counters name the reasons, HTTP still works, and
# SIGTERM exits 0 (under ASan: no memory error on the way).
source "$(dirname "$0")/interop_common.bash"
need curl python3

start_serve --http 80
inns python3 - "$HOST" "$STACK" <<'EOF' || fail "could not send raw datagrams"
import random, socket, struct, sys
host, stack = (socket.inet_aton(a) for a in sys.argv[1:3])

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ip(payload, proto=6, dst=stack, frag=0, opts=b"", ver=4, bad_sum=False):
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | ihl, 0, 4 * ihl + len(payload), 1, frag, 64,
                    proto, 0, host, dst) + opts
    s = csum(h) ^ (0xffff if bad_sum else 0)
    return h[:10] + struct.pack("!H", s) + h[12:] + payload

def tcp(dport=80, flags=0x02, opts=b"", doff=None, bad_sum=False, dst=stack):
    doff = doff if doff is not None else 5 + len(opts) // 4
    h = struct.pack("!HHIIBBHHH", 40000, dport, 1000, 0, doff << 4, flags, 65535, 0, 0) + opts
    s = csum(host + dst + struct.pack("!BBH", 0, 6, len(h)) + h) ^ (0xffff if bad_sum else 0)
    return h[:16] + struct.pack("!H", s) + h[18:]

icmp = struct.pack("!BBHHH", 8, 0, 0x1234, 1, 1) + b"ping"
bad = [
    ip(tcp())[:10],                                    # truncated IP header
    ip(tcp(), ver=5),                                  # version 5
    ip(tcp(), bad_sum=True),                           # bad IP header checksum
    ip(tcp(), frag=0x2000),                            # a first fragment (MF)
    ip(tcp(), frag=0x0010),                            # a later fragment
    ip(tcp(dst=b"\x0a\x07\x00\x63"), dst=b"\x0a\x07\x00\x63"),  # for 10.7.0.99
    ip(tcp(), opts=b"\x01\x01\x01\x00"),               # IP options (NOP, NOP, NOP, EOL)
    ip(tcp(bad_sum=True)),                             # bad TCP checksum
    ip(tcp(doff=15)),                                  # TCP header longer than the datagram
    ip(tcp(opts=b"\x02\x00\x00\x00")),                 # MSS option with length 0
    ip(icmp, proto=1),                                 # ICMP echo with a bad checksum
    ip(tcp(flags=0x03)),                               # SYN+FIN
    ip(tcp(dport=0)),                                  # port 0
]
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
for p in bad:
    s.sendto(p, ("tun0", 0x0800))
rng = random.Random(4)
good = ip(tcp(opts=b"\x02\x04\x05\xb4\x01\x03\x03\x07"))
for i in range(2000):
    p = bytearray(good)
    for _ in range(rng.randint(1, 4)):
        p[rng.randrange(len(p))] = rng.randrange(256)
    if rng.random() < 0.2:
        p = p[:rng.randrange(1, len(p))]
    s.sendto(bytes(p), ("tun0", 0x0800))
EOF
sleep 0.5
kill -0 "$SERVE_PID" 2>/dev/null || fail "serve died on bad input"
js=$(stats_json) || fail "HTTP does not answer after the bad input"
for r in ip-truncated ip-version ip-checksum ip-fragment ip-not-for-us tcp-checksum icmp-checksum; do
    echo "$js" | grep -q "\"$r\":[1-9]" || fail "no drop counted as $r: $js"
done
echo "drops: $(echo "$js" | sed 's/.*"drops_by_reason":{\([^}]*\)}.*/\1/')"
stop_serve
echo "PASS"
