/*
 * pd_proc.h - the kernel's /proc/net views of the stack under test, for a script's shell
 * commands (pd_proc.c): its counters as /proc/net/netstat and /proc/net/snmp, its sockets
 * as /proc/net/tcp and tcp6, written into a directory of the plug-in's own.
 */
#ifndef SYNACK_PD_PROC_H
#define SYNACK_PD_PROC_H

#include <stdbool.h>

#include "synack/synack.h"

/* One of the sockets the application holds: the synack descriptor, whether it is a
 * listener, and whether it is an AF_INET6 socket (Linux lists those in tcp6, IPv4-mapped
 * addresses and all). */
struct pd_proc_sock {
    int sd;
    bool listening, inet6;
};

/* Makes the directory and points a shell command's nstat (its PROC_NET_NETSTAT,
 * PROC_NET_SNMP, PROC_NET_SNMP6 and NSTAT_HISTORY) and the preload library's redirection
 * of /proc/net/tcp and tcp6 (SYNACK_PD_PROC_NET) at it. false when it cannot. dir: at
 * least 64 bytes. */
bool pd_proc_init(char *dir);
/* Writes the files from the stack's counters and the sockets given. */
void pd_proc_write(const char *dir, synack_stack *st, const struct pd_proc_sock *socks, int n);
/* Removes the files and the directory. */
void pd_proc_remove(const char *dir);

#endif
