/*
 * tools/synack/steer.h - `serve --steer cpu`'s queue selection on a multi-queue TUN device: a
 * BPF program (TUNSETSTEERINGEBPF) that keeps each TCP flow on the queue of the CPU that sent
 * its SYN, through two flow maps (open flows, and those the client has closed), or answers
 * the sending CPU per datagram where the kernel refuses the maps or that program.
 */
#ifndef SYNACK_TOOL_STEER_H
#define SYNACK_TOOL_STEER_H

#include <stddef.h>
#include <stdint.h>

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

/* Sets the steering program on the TUN device tun_fd: the per-flow one with two maps of
 * map_entries flows each, else (refused, with the reason and any verifier log on stderr) the
 * per-CPU one. The mode set, with a phrase for serve's startup line in say[0..n); -1 with a
 * message when neither program is taken. */
int steer_set(int tun_fd, uint32_t map_entries, char *say, size_t n);

/* The device back to the kernel's own queue selection (a persistent device outlives us). */
void steer_clear(int tun_fd);

#endif
