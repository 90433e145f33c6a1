/*
 * trace/names.c - the printable names of drop reasons and timers, from the one table in
 * synack/trace.h, so that counters, traces and tests all say the same word.
 */
#include "synack/trace.h"

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
    case SYNACK_TIMER_RTX: return "retransmission";
    case SYNACK_TIMER_PERSIST: return "persist";
    case SYNACK_TIMER_DELACK: return "delayed-ack";
    case SYNACK_TIMER_TIME_WAIT: return "time-wait";
    case SYNACK_TIMER_KEEPALIVE: return "keepalive";
    case SYNACK_TIMER_CONN: return "connect";
    }
    return "unknown";
}
