# capture.bash - the tshark checks of a capture that the interop tests share, for either
# IP version; sourced after interop_common.bash (fail, $WORK).
# shellcheck shell=bash

# check_capture6 FILE: tshark reads it all, no frame is malformed, no IPv4/TCP/ICMP/ICMPv6
# checksum is bad (tshark verifies TCP's over the IPv6 pseudo-header, RFC 8200 §8.1). The
# fields stay in $WORK/fields: number, version, source (IPv4 or IPv6), SYN, ACK, FIN, RST,
# raw seq, raw ack, TCP length, ICMPv6 type, ICMPv6 MTU.
check_capture6() {
    local f=$1 total bad
    [ -s "$f" ] || fail "capture $f is empty"
    tshark -r "$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -d tcp.port==1-65535,data \
        -T fields -e frame.number -e _ws.malformed -e ip.checksum.status \
        -e tcp.checksum.status -e icmp.checksum.status -e icmpv6.checksum.status -e ip.version \
        -e ip.src -e ipv6.src -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin \
        -e tcp.flags.reset -e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e icmpv6.type \
        -e icmpv6.mtu -e tcp.checksum >"$WORK/raw_fields" 2>"$WORK/tshark.err" ||
        fail "tshark cannot read $f: $(cat "$WORK/tshark.err")"
    total=$(grep -c . "$WORK/raw_fields")
    [ "$total" -gt 0 ] || fail "tshark read no packets from $f"
    # status fields print 0 for "Bad" (1 good, 2 unverified); a malformed frame has the field.
    # A TCP checksum of 0xffff where tshark computes 0x0000 is the same value in one's
    # complement (RFC 1624 §3), as interop_common.bash's check_capture says.
    bad=$(awk -F'\t' '$2 != "" || $3 == "0" || ($4 == "0" && $19 != "0xffff") || $5 == "0" ||
        $6 == "0"' "$WORK/raw_fields" | wc -l)
    [ "$bad" = 0 ] || fail "$bad of $total packets in $f are malformed or have a bad checksum"
    awk -F'\t' 'BEGIN { OFS = "\t" }
        { src = $9 != "" ? $9 : $8; print $1, $7, src, $10, $11, $12, $13, $14, $15, $16, $17, $18 }' \
        "$WORK/raw_fields" >"$WORK/fields"
    echo "capture: $total packets ($(awk -F'\t' '$2 == 6' "$WORK/fields" | wc -l) IPv6)," \
        "none malformed, no bad checksum"
}

# check_close FILE FIRST: check_capture6, then the capture's one connection: SYN / SYN-ACK /
# ACK with ACK = ISN + 1 both ways, FIN / ACK / FIN / ACK with each FIN acknowledged at its
# sequence number + 1 and FIRST (an address as tshark writes it) sending the first FIN, no
# RST. Either family.
check_close() {
    check_capture6 "$1"
    awk -F'\t' '$4 != "" { OFS = "\t"; print $3, $4, $5, $6, $7, $8, $9, $10 }' \
        "$WORK/fields" >"$WORK/segs"
    awk -v first="$2" -F'\t' '
    function bad(m) { print "capture: " m; err = 1; exit 1 }
    { src = $1; syn = $2 == "1" || $2 == "True"; ack = $3 == "1" || $3 == "True"
      fin = $4 == "1" || $4 == "True"; rst = $5 == "1" || $5 == "True"
      seq = $6 + 0; an = $7 + 0; len = $8 + 0 }
    rst { bad("RST from " src) }
    # A SYN sent again (the same source and ISN, its timer) is the same handshake; another
    # SYN is not. (A new device'"'"'s first SYN is now and then not answered by the kernel: seen
    # about once in four runs of interop_connect6 under load, then answered at 1 s.)
    syn && !ack { if (a != "" && (src != a || seq != isn_a)) bad("second SYN"); a = src; isn_a = seq; next }
    syn && ack { if (src == a || an != (isn_a + 1) % 4294967296) bad("SYN-ACK acks " an ", want ISN+1 = " isn_a + 1)
                 b = src; isn_b = seq; next }
    !hs && src == a && ack { if (seq != isn_a + 1 || an != (isn_b + 1) % 4294967296) bad("third ACK seq/ack " seq "/" an)
                             hs = 1 }
    fin && closer == "" { closer = src; fin1 = (seq + len) % 4294967296 }
    closer != "" && src != closer && ack && an == (fin1 + 1) % 4294967296 { acked1 = 1 }
    fin && closer != "" && src != closer { if (an != (fin1 + 1) % 4294967296) bad("second FIN acks " an ", want " fin1 + 1)
                                           fin2 = (seq + len) % 4294967296; have2 = 1 }
    have2 && src == closer && ack && an == (fin2 + 1) % 4294967296 { if (seq != (fin1 + 1) % 4294967296) bad("last ACK seq " seq); last = 1 }
    END { if (err) exit 1
          if (!hs) { print "capture: no complete 3-way handshake"; exit 1 }
          if (closer != first) { print "capture: first FIN from " closer ", want " first; exit 1 }
          if (!acked1 || !have2 || !last) { print "capture: close incomplete (ack " acked1 ", fin " have2 ", last ack " last ")"; exit 1 }
          print "capture: SYN/SYN-ACK/ACK and FIN/ACK/FIN/ACK numbers right, " first " closed first" }
    ' "$WORK/segs" || fail "$1: see above"
}
