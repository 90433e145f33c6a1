#!/usr/bin/env bash
# `synack demo --pcap` writes a capture that tshark reads with no malformed packet and no
# bad checksum (IP and TCP checksums verified), on a clean run and on a lossy one; and the
# capture holds the whole life of the connection: SYN, SYN-ACK, FINs both ways. The same over
# IPv6 (--ipv6): every packet an IPv6 one, with its TCP checksum over RFC 8200 §8.1's
# pseudo-header.
set -euo pipefail
synack="${SYNACK:?SYNACK is the path of the synack binary}"
command -v tshark >/dev/null || { echo "skipped: tshark is not installed (make deps)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
for args in "--seed 1" "--loss 0.2 --seed 7" "--bytes 200000 --loss 0.05 --seed 3" \
    "--ipv6 --seed 1" "--ipv6 --bytes 200000 --loss 0.05 --seed 3"; do
    f="$tmp/demo.pcap"
    # shellcheck disable=SC2086
    "$synack" demo $args --no-color --pcap "$f" > "$tmp/out.txt"
    total=$(tshark -r "$f" 2>/dev/null | wc -l)
    bad=$(tshark -r "$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
        -Y '_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0' 2>/dev/null | wc -l)
    # IPv6 runs: every packet is IPv6 (the version the stacks were asked to talk).
    if [[ $args == *--ipv6* ]]; then
        v4=$(tshark -r "$f" -Y 'ip' 2>/dev/null | wc -l)
        [ "$v4" -eq 0 ] || { echo "FAIL: demo $args: $v4 IPv4 packets"; exit 1; }
    fi
    syn=$(tshark -r "$f" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' 2>/dev/null | wc -l)
    synacks=$(tshark -r "$f" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1' 2>/dev/null | wc -l)
    fins=$(tshark -r "$f" -T fields -e ip.src -e ipv6.src -Y 'tcp.flags.fin == 1' 2>/dev/null |
        sort -u | wc -l)
    echo "demo $args: $total packets, $bad malformed or bad checksum, SYN $syn, SYN-ACK $synacks, FIN senders $fins"
    if [ "$total" -lt 8 ] || [ "$bad" -ne 0 ] || [ "$syn" -lt 1 ] || [ "$synacks" -lt 1 ] || [ "$fins" -ne 2 ]; then
        echo "FAIL"
        tshark -r "$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
            -Y '_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0' | head
        exit 1
    fi
    pass=$((pass + 1))
done
echo "$pass passed, 0 failed"
