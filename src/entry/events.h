/*
 * entry/events.h - readiness as the application sees it (entry/events.c).
 */
#ifndef SYNACK_ENTRY_EVENTS_H
#define SYNACK_ENTRY_EVENTS_H

struct synack_stack;
struct sock;

/* What the socket is ready for now: a level computed from its state (SYNACK_EV_*). */
unsigned sock_events(const struct synack_stack *st, const struct sock *sk);

#endif
