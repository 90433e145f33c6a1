# trace_compare.sh - sourced by the trace_*.sh tests (not a test itself): compares synack's
# annotations of a capture with tshark's own analysis, packet by packet and field by field.
#
#   trace_compare CAPTURE NAME WORKDIR   prints one line per tcp.analysis field that either
#                                        flagged, and a total; returns 1 when fewer than 90%
#                                        of the flagged (packet, field) pairs agree
# Needs SYNACK (the binary) and tshark.

TRACE_FIELDS="retransmission fast_retransmission spurious_retransmission out_of_order
lost_segment ack_lost_segment duplicate_ack zero_window zero_window_probe window_full
window_update keep_alive keep_alive_ack"

trace_compare() {
    local cap=$1 name=$2 work=$3
    local targs=() f
    for f in $TRACE_FIELDS; do targs+=(-e "tcp.analysis.$f"); done
    # tshark: the frame number, then the value of each field (empty when not flagged)
    tshark -r "$cap" -Y tcp -T fields -E separator=/t -e frame.number "${targs[@]}" \
        2>/dev/null >"$work/$name.tshark.txt" || return 1
    # synack: frame, connection, the flagged fields by the same names
    "$SYNACK" trace "$cap" --tsv >"$work/$name.synack.txt" || return 1
    awk -F'\t' -v fields="$TRACE_FIELDS" -v name="$name" '
        BEGIN { n = split(fields, F, /[ \n]+/) }
        FNR == NR {
            for (i = 1; i <= n; i++) if ($(i + 1) != "") T[$1, F[i]] = 1
            frames[$1] = 1
            next
        }
        {
            k = split($3, a, ",")
            for (j = 1; j <= k; j++) if (a[j] != "") S[$1, a[j]] = 1
        }
        END {
            for (i = 1; i <= n; i++) {
                f = F[i]; both = 0; only_t = 0; only_s = 0
                for (fr in frames) {
                    t = ((fr, f) in T); s = ((fr, f) in S)
                    if (t && s) both++; else if (t) only_t++; else if (s) only_s++
                }
                if (both + only_t + only_s == 0) continue
                printf "  %-8s %-24s agree %4d  tshark only %3d  synack only %3d\n", name, f, both, only_t, only_s
                total_both += both; total_diff += only_t + only_s
            }
            printf "  %-8s %-24s agree %4d  differ %d\n", name, "(all fields)", total_both, total_diff
            if (total_both + total_diff > 0 && total_both * 10 < 9 * (total_both + total_diff)) exit 1
        }' "$work/$name.tshark.txt" "$work/$name.synack.txt"
}
