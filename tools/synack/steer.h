/*
 * tools/synack/steer.h - `serve --steer cpu`'s queue selection on a multi-queue TUN device: a
 * BPF program (TUNSETSTEERINGEBPF) that keeps each TCP flow on the queue of the CPU that sent
 * its SYN, through two flow maps it writes (open flows, and those the client has closed) and
 * one serve writes (the connections its stacks accepted), or answers the sending CPU per
 * datagram where the kernel refuses the maps or that program.
 */
#ifndef SYNACK_TOOL_STEER_H
#define SYNACK_TOOL_STEER_H

#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h"

/* What steer_set put on the device. */
enum steer_mode {
    STEER_PER_FLOW = 1, /* the flow map: a flow stays on the queue its SYN reached */
    STEER_PER_CPU,      /* the fallback: every datagram to the queue of the CPU that sent it */
};

/* --steer-flows' bounds: each map's entries */
#define STEER_FLOWS_MIN 1024
#define STEER_FLOWS_MAX 4194304

/* The size of each flow map (open flows; closed ones) for stacks that together hold at most
 * flows 4-tuples (sockets, request records and TIME-WAIT records of every queue): every one
 * of them, plus the room the kernel's LRU may keep aside per CPU, and at least
 * STEER_MIN_ENTRIES. */
#define STEER_MIN_ENTRIES 65536u
uint32_t steer_map_entries(uint64_t flows);

/* Sets the steering program on the TUN device tun_fd: the per-flow one with its maps of
 * map_entries flows each, else (refused, with the reason and any verifier log on stderr) the
 * per-CPU one. The mode set, with a phrase for serve's startup line in say[0..n); -1 with a
 * message when neither program is taken. *est_fd: the per-flow program's map of
 * established flows (serve's to write with steer_flow_mark, and to close), else -1. */
int steer_set(int tun_fd, uint32_t map_entries, char *say, size_t n, int *est_fd);

/* A connection its stack established (accepted) is the flow of queue cpu's: the program
 * answers cpu for it whatever its LRU maps say, so that no flood of other flows can evict
 * it; cpu < 0 takes it out (serve lets go of the connection). 0, or -1 with errno (a full
 * map: the LRU maps still steer it). Nothing with est_fd -1. */
int steer_flow_mark(int est_fd, const struct synack_endpoint *local,
                    const struct synack_endpoint *remote, int cpu);

/* The device back to the kernel's own queue selection (a persistent device outlives us). */
void steer_clear(int tun_fd);

#endif
