/*
 * core/names.c - error strings and state names: the one table of negative error codes
 * (synack/synack.h) and RFC 9293's spelling of the eleven states.
 */
#include "synack/synack.h"

const char *synack_strerror(int err)
{
    switch (err) {
    case SYNACK_OK:
        return "success";
#define SYNACK_ERR_CASE(name, code, text)                                                          \
    case code:                                                                                     \
        return text;
        SYNACK_ERRORS(SYNACK_ERR_CASE)
#undef SYNACK_ERR_CASE
    }
    return "unknown error";
}

const char *synack_state_name(int state)
{
    /* RFC 9293 §3.3.2 spells the states with hyphens. */
    static const char *const names[] = {
        "CLOSED",     "LISTEN",     "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
        "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK",     "TIME-WAIT",
    };
    if (state < 0 || state > SYNACK_TIME_WAIT) return "?";
    return names[state];
}
