/*
 * pd_errqueue.h - the plug-in's mapping of Linux's socket error queue (pd_errqueue.c):
 * MSG_ZEROCOPY sends and their completions, SO_TIMESTAMPING's transmit timestamps, and
 * recvmsg(MSG_ERRQUEUE), over synack's notices (synack_next_notice). The main file calls
 * these with its mutex held.
 */
#ifndef SYNACK_PD_ERRQUEUE_H
#define SYNACK_PD_ERRQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "synack/synack.h"

struct pd_eq; /* one socket's state, made on first use; NULL until then */

/* A zero-copy send of one call (Linux's MSG_ZEROCOPY on a socket with SO_ZEROCOPY):
 * pd_eq_zc_begin returns the buffer to hand to synack_send_flags (a copy that lives until
 * the sends that use it are reported done: packetdrill frees its own at once) and adds
 * SYNACK_SEND_ZEROCOPY to *sflags, or returns buf unchanged when the socket does not allow
 * zero-copy (Linux ignores the flag then); NULL when out of memory. pd_eq_zc_took after
 * each synack_send_flags that took bytes, with pd_eq_zc_reserve before each such call after
 * the first (it makes the room pd_eq_zc_took needs: took must not fail once the stack holds
 * the block); pd_eq_zc_end when the call returns. */
const void *pd_eq_zc_begin(struct pd_eq **eq, synack_stack *st, int sd, const void *buf, size_t len,
                           unsigned *sflags);
/* pd_eq_zc_begin for an iovec (sendmsg): the elements are copied into one block, each at
 * its own place, and iov's pointers rewritten to point there; false when out of memory. */
bool pd_eq_zc_begin_iov(struct pd_eq **eq, synack_stack *st, int sd, struct synack_iov *iov, int n,
                        unsigned *sflags);
bool pd_eq_zc_reserve(struct pd_eq *eq);
void pd_eq_zc_took(struct pd_eq *eq);
void pd_eq_zc_end(struct pd_eq *eq);

/* recvmsg(MSG_ERRQUEUE): the oldest notice as Linux's ip(v6)_recv_error gives it (the
 * SCM_TIMESTAMPING and IP_RECVERR/IPV6_RECVERR control messages, MSG_ERRQUEUE in
 * msg_flags); -1 with errno EAGAIN when there is none. domain: the socket's family. */
ssize_t pd_eq_recvmsg(struct pd_eq **eq, synack_stack *st, int sd, int domain, struct msghdr *msg,
                      int flags);

/* SO_TIMESTAMPING's value as Linux validates it (the int, or struct so_timestamping):
 * 0 with *v set, or an errno. */
int pd_eq_timestamping_value(const void *val, socklen_t len, long *v);

/* EPOLLET: whether a notice came (or a completion was coalesced into one) since *seen,
 * which it updates. Linux wakes an edge-triggered waiter with EPOLLERR for each. */
bool pd_eq_new_notice(synack_stack *st, int sd, uint32_t *seen);

/* The socket is gone (after synack_close, which copies what zero-copy sends still held). */
void pd_eq_free(struct pd_eq *eq);

#endif
