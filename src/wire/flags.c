/*
 * wire/flags.c - TCP control bits as text for traces, ladders and test messages.
 *
 * Order: bit order, lowest first, as RFC 9293 §3.1 numbers them from the right and as
 * Wireshark lists them: FIN SYN RST PSH ACK URG ECE CWR AE. So a SYN-ACK is "SYN,ACK" and a
 * closing data segment "FIN,PSH,ACK". No bits: "none".
 */
#include "wire/wire.h"

/* Appends s at *pos, truncating (but always terminating) when cap runs out. */
static void flags_append(char *buf, size_t cap, size_t *pos, const char *s)
{
    for (; *s && *pos + 1 < cap; s++) buf[(*pos)++] = *s;
    buf[*pos] = '\0';
}

const char *wire_flags_str(uint16_t flags, char *buf, size_t cap)
{
    static const char *const names[] = {"FIN", "SYN", "RST", "PSH", "ACK",
                                        "URG", "ECE", "CWR", "AE"};
    if (cap == 0) return buf;
    size_t pos = 0;
    buf[0] = '\0';
    for (unsigned bit = 0; bit < sizeof(names) / sizeof(names[0]); bit++) {
        if (!(flags & (1u << bit))) continue;
        if (pos > 0) flags_append(buf, cap, &pos, ",");
        flags_append(buf, cap, &pos, names[bit]);
    }
    if (pos == 0) flags_append(buf, cap, &pos, "none");
    return buf;
}
