/*
 * base/names.c - the printable names every layer and tool shares: error strings from the
 * one table of negative error codes (synack/synack.h), RFC 9293's spelling of the eleven
 * states, and the names of drop reasons (synack/drop.h) and timers (synack/trace.h), so that
 * counters, traces and tests all say the same word.
 */
#include "synack/synack.h"
#include "synack/trace.h"

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

const char *synack_drop_name(int reason)
{
    static const char *const names[] = {
#define SYNACK_DROP_NAME(name, text) text,
        SYNACK_DROP_REASONS(SYNACK_DROP_NAME)
#undef SYNACK_DROP_NAME
    };
    if (reason < 0 || reason >= SYNACK_DROP_COUNT) return "unknown";
    return names[reason];
}

const char *synack_timer_name(int timer)
{
    switch (timer) {
    case SYNACK_TIMER_RTX:
        return "retransmission";
    case SYNACK_TIMER_PERSIST:
        return "persist";
    case SYNACK_TIMER_DELACK:
        return "delayed-ack";
    case SYNACK_TIMER_TIME_WAIT:
        return "time-wait";
    case SYNACK_TIMER_KEEPALIVE:
        return "keepalive";
    case SYNACK_TIMER_CONN:
        return "connect";
    case SYNACK_TIMER_TLP:
        return "loss-probe";
    case SYNACK_TIMER_REO:
        return "reordering";
    }
    return "unknown";
}
