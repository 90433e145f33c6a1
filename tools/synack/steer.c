/*
 * tools/synack/steer.c - `serve --steer cpu`'s queue selection: a BPF program, hand-written
 * in instructions (no BPF compiler at build time), set on the multi-queue TUN device with
 * TUNSETSTEERINGEBPF. The kernel runs it for each datagram the kernel sends to us, on the
 * CPU that sends it, and takes its answer mod the number of queues (drivers/net/tun.c,
 * tun_ebpf_select_queue); queue i's thread is pinned to CPU i.
 *
 * Per flow: a SYN without ACK of a flow no map has stores (its 4-tuple -> this CPU) in an
 * LRU hash map of open flows and goes to this CPU's queue (a SYN of a flow a map has goes
 * where the flow is: a retransmitted SYN to its request, a reused 4-tuple to its
 * TIME-WAIT); any other TCP segment goes to the queue its flow's first SYN went to, so a
 * client whose thread moves to another CPU mid-connection stays with the stack that knows
 * the connection. The client's FIN moves its flow to a second map, of closed flows (it may
 * still send: the ACK of our FIN, window updates while it reads after a half-close, its FIN
 * again), and a RST removes it: the flows that have ended do not crowd the open ones out of
 * their map (an LRU evicts by last use, so an idle open flow would go before the many
 * closed ones used after it). A segment whose flow is in no map (not TCP, an IP fragment,
 * an IPv6 extension header, a flow evicted) goes to the sending CPU's queue, as the per-CPU
 * program, the fallback, answers everything.
 *
 * The LRU maps are written by what arrives, so a flood can push a flow out of them: SYNs
 * alone cannot (the kernel's LRU gives up entries no segment looked up again first, and an
 * established flow's entry was looked up by its handshake's ACK), but SYNs each followed by
 * a blind ACK can, and nothing in a datagram tells a spoofed ACK from a real one. So a third
 * map, a plain hash of established flows, is written by serve alone (steer_flow_mark): a
 * connection its stack accepted, which the program answers from first. Nothing is shared
 * between serve's threads on the data path: the maps live in the kernel, the program runs
 * in the sender's context, and a thread writes only its own flows.
 */
#include "steer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

/*
 * The flow maps' key, built on the program's stack at fp-40 (fp: r10, the frame pointer):
 * the source and destination addresses (IPv4: 8 bytes, the rest zero; IPv6: 32), the two
 * ports as in the TCP header, and the IP version, so that no IPv4 key equals an IPv6 one.
 * The value is the CPU (a u32) whose queue the flow's SYN went to.
 */
#define KEY_SIZE   40
#define KEY_OFF    (-40) /* key: addresses at 0, ports at 32, version at 36 */
#define SCRATCH    (-48) /* one byte read from the datagram; the map value of a SYN */
#define HDR        (-72) /* the IPv4 header's first 20 bytes, then the TCP header's first 16 */
#define EST        (-52) /* the established map's answer + 1; 0: it has not the flow */
#define INSN_CAP   192
#define LOG_BYTES  65536 /* the verifier's log of this program is a few KB */
#define LRU_TARGET 128   /* free nodes the kernel's LRU may keep per CPU (bpf_lru_list.c) */

enum {
    L_OUT,
    L_V6,
    L_TCP,
    L_SYN,
    L_SYN_CLOSED,
    L_SYN_NEW,
    L_ENDING,
    L_R9,
    L_CLOSED,
    L_CLOSED_RST,
    L_NO_EST,
    L_EXIT,
    L_RET,
    LABELS
};

/* A tiny assembler: instructions, and jumps to labels resolved at the end. */
struct as {
    struct bpf_insn p[INSN_CAP];
    int n;
    int label[LABELS];
    int jump_label[INSN_CAP]; /* -1: not a jump to a label */
};

static void emit(struct as *a, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    if (a->n >= INSN_CAP) return; /* caught by steer_build: n stays INSN_CAP */
    struct bpf_insn *i = &a->p[a->n];
    memset(i, 0, sizeof *i);
    i->code = code;
    i->dst_reg = dst & 0xf;
    i->src_reg = src & 0xf;
    i->off = off;
    i->imm = imm;
    a->jump_label[a->n] = -1;
    a->n++;
}

/* dst op= imm; dst op= src; dst = *(size *)(src + off); *(size *)(dst + off) = src / imm. */
static void alu_k(struct as *a, uint8_t op, uint8_t dst, int32_t imm)
{
    emit(a, BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
static void mov_x(struct as *a, uint8_t dst, uint8_t src)
{
    emit(a, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
static void ldx(struct as *a, uint8_t size, uint8_t dst, uint8_t src, int16_t off)
{
    emit(a, BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}
static void stx(struct as *a, uint8_t size, uint8_t dst, int16_t off, uint8_t src)
{
    emit(a, BPF_STX | BPF_MEM | size, dst, src, off, 0);
}
static void st(struct as *a, uint8_t size, uint8_t dst, int16_t off, int32_t imm)
{
    emit(a, BPF_ST | BPF_MEM | size, dst, 0, off, imm);
}
static void call(struct as *a, int32_t helper)
{
    emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}
static void exit_(struct as *a)
{
    emit(a, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}
/* if (dst op imm) goto label; op BPF_JA: always. */
static void jmp_k(struct as *a, uint8_t op, uint8_t dst, int32_t imm, int label)
{
    int at = a->n;
    emit(a, BPF_JMP | op | BPF_K, dst, 0, 0, imm);
    if (at < INSN_CAP) a->jump_label[at] = label;
}
static void here(struct as *a, int label)
{
    a->label[label] = a->n;
}
/* r1 = the map (a 16-byte instruction: the fd, replaced by the map when loaded). */
static void ld_map(struct as *a, int map_fd)
{
    /* BPF_LD | BPF_DW | BPF_IMM, written as its value: BPF_LD and BPF_IMM are both 0. */
    emit(a, 0x18, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd);
    emit(a, 0, 0, 0, 0, 0);
}
/* r0 = helper(map, fp + KEY_OFF[, fp + SCRATCH, BPF_ANY]): a lookup, a delete, or (value) an
 * update that creates or replaces the entry with the u32 at SCRATCH. */
static void map_call(struct as *a, int map_fd, int32_t helper, bool value)
{
    ld_map(a, map_fd);
    mov_x(a, BPF_REG_2, BPF_REG_10);
    alu_k(a, BPF_ADD, BPF_REG_2, KEY_OFF);
    if (value) {
        mov_x(a, BPF_REG_3, BPF_REG_10);
        alu_k(a, BPF_ADD, BPF_REG_3, SCRATCH);
        emit(a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_ANY);
    }
    call(a, helper);
}

/* r0 = bpf_skb_load_bytes(ctx, off (imm, or the register off_reg when >= 0), fp + to, len) */
static void load_bytes(struct as *a, int off_reg, int32_t off, int16_t to, int32_t len)
{
    mov_x(a, BPF_REG_1, BPF_REG_6);
    if (off_reg >= 0)
        mov_x(a, BPF_REG_2, (uint8_t)off_reg);
    else
        emit(a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, off);
    mov_x(a, BPF_REG_3, BPF_REG_10);
    alu_k(a, BPF_ADD, BPF_REG_3, to);
    emit(a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, len);
    call(a, BPF_FUNC_skb_load_bytes);
}

/* The per-flow program into a; its length, or -1 if it did not fit. Registers: r6 the
 * __sk_buff, r7 this CPU (the answer unless the map says otherwise), r8 the TCP header's
 * offset. The datagram starts at its IP header: serve's device is IFF_TUN (no link header)
 * and the program runs in the device's transmit, before the packet information or the
 * virtio_net_hdr is put in front for our read. */
static int build_per_flow(struct as *a, int open_fd, int closed_fd, int est_fd)
{
    memset(a, 0, sizeof *a);
    mov_x(a, BPF_REG_6, BPF_REG_1);
    call(a, BPF_FUNC_get_smp_processor_id);
    mov_x(a, BPF_REG_7, BPF_REG_0);
    /* The key's bytes must all be written before the map reads them (the verifier checks). */
    for (int off = KEY_OFF; off < 0; off += 8) st(a, BPF_DW, BPF_REG_10, (int16_t)off, 0);
    st(a, BPF_W, BPF_REG_10, EST, 0);
    /* The version: the first byte's high nibble (RFC 791 §3.1, RFC 8200 §3). */
    load_bytes(a, -1, 0, SCRATCH, 1);
    jmp_k(a, BPF_JNE, BPF_REG_0, 0, L_OUT);
    ldx(a, BPF_B, BPF_REG_1, BPF_REG_10, SCRATCH);
    alu_k(a, BPF_RSH, BPF_REG_1, 4);
    jmp_k(a, BPF_JEQ, BPF_REG_1, 6, L_V6);
    jmp_k(a, BPF_JNE, BPF_REG_1, 4, L_OUT);

    /* IPv4: TCP (protocol 6), not a fragment (MF clear, offset 0: RFC 791 §3.1; a later
     * fragment has no TCP header, and the kernel's TCP sets DF anyway), the addresses into
     * the key, the header's length from IHL (at least 5 words). */
    load_bytes(a, -1, 0, HDR, 20);
    jmp_k(a, BPF_JNE, BPF_REG_0, 0, L_OUT);
    ldx(a, BPF_B, BPF_REG_1, BPF_REG_10, HDR + 9);
    jmp_k(a, BPF_JNE, BPF_REG_1, 6, L_OUT);
    ldx(a, BPF_B, BPF_REG_1, BPF_REG_10, HDR + 6);
    alu_k(a, BPF_AND, BPF_REG_1, 0x3f);
    jmp_k(a, BPF_JNE, BPF_REG_1, 0, L_OUT);
    ldx(a, BPF_B, BPF_REG_1, BPF_REG_10, HDR + 7);
    jmp_k(a, BPF_JNE, BPF_REG_1, 0, L_OUT);
    ldx(a, BPF_W, BPF_REG_1, BPF_REG_10, HDR + 12);
    stx(a, BPF_W, BPF_REG_10, KEY_OFF, BPF_REG_1);
    ldx(a, BPF_W, BPF_REG_1, BPF_REG_10, HDR + 16);
    stx(a, BPF_W, BPF_REG_10, KEY_OFF + 4, BPF_REG_1);
    st(a, BPF_W, BPF_REG_10, KEY_OFF + 36, 4);
    ldx(a, BPF_B, BPF_REG_8, BPF_REG_10, HDR);
    alu_k(a, BPF_AND, BPF_REG_8, 0xf);
    alu_k(a, BPF_LSH, BPF_REG_8, 2);
    jmp_k(a, BPF_JLT, BPF_REG_8, 20, L_OUT);
    jmp_k(a, BPF_JA, 0, 0, L_TCP);

    /* IPv6: the next header must be TCP itself (an extension header goes the per-CPU way:
     * the kernel's TCP sends none); the two addresses, bytes 8..39, into the key. */
    here(a, L_V6);
    load_bytes(a, -1, 6, SCRATCH, 1);
    jmp_k(a, BPF_JNE, BPF_REG_0, 0, L_OUT);
    ldx(a, BPF_B, BPF_REG_1, BPF_REG_10, SCRATCH);
    jmp_k(a, BPF_JNE, BPF_REG_1, 6, L_OUT);
    load_bytes(a, -1, 8, KEY_OFF, 32);
    jmp_k(a, BPF_JNE, BPF_REG_0, 0, L_OUT);
    st(a, BPF_W, BPF_REG_10, KEY_OFF + 36, 6);
    emit(a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, 40);

    /* TCP (RFC 9293 §3.1): the ports into the key; the flags at byte 13. */
    here(a, L_TCP);
    load_bytes(a, BPF_REG_8, 0, HDR, 16);
    jmp_k(a, BPF_JNE, BPF_REG_0, 0, L_OUT);
    ldx(a, BPF_W, BPF_REG_1, BPF_REG_10, HDR);
    stx(a, BPF_W, BPF_REG_10, KEY_OFF + 32, BPF_REG_1);
    /* A flow serve put in the map of established flows (its stack completed the handshake,
     * steer_flow_mark) is that queue's, whatever the LRU maps say: the answer at the exit.
     * The bookkeeping of the LRU maps below still runs, for the flow's last segments after
     * serve lets go of it. */
    map_call(a, est_fd, BPF_FUNC_map_lookup_elem, false);
    jmp_k(a, BPF_JEQ, BPF_REG_0, 0, L_NO_EST);
    ldx(a, BPF_W, BPF_REG_1, BPF_REG_0, 0);
    alu_k(a, BPF_ADD, BPF_REG_1, 1);
    stx(a, BPF_W, BPF_REG_10, EST, BPF_REG_1);
    here(a, L_NO_EST);
    ldx(a, BPF_B, BPF_REG_1, BPF_REG_10, HDR + 13);
    alu_k(a, BPF_AND, BPF_REG_1, 0x12); /* SYN 0x02, ACK 0x10 */
    jmp_k(a, BPF_JEQ, BPF_REG_1, 0x02, L_SYN);
    /* Not an opening SYN: its flow's CPU, if a map has it; the flags kept in r8. */
    ldx(a, BPF_B, BPF_REG_8, BPF_REG_10, HDR + 13);
    map_call(a, open_fd, BPF_FUNC_map_lookup_elem, false);
    jmp_k(a, BPF_JEQ, BPF_REG_0, 0, L_CLOSED);
    ldx(a, BPF_W, BPF_REG_9, BPF_REG_0, 0);        /* read before a delete frees the element */
    jmp_k(a, BPF_JSET, BPF_REG_8, 0x05, L_ENDING); /* FIN 0x01 or RST 0x04 */
    jmp_k(a, BPF_JA, 0, 0, L_R9);
    /* The client's FIN or RST: the flow leaves the map of open flows, so that flows which
     * have ended do not crowd out open ones (the LRU would evict an idle open flow before
     * the closed ones used after it). After a FIN the client may still send: its FIN again,
     * the ACK of ours, window updates while it reads (a half-close): the flow is kept in the
     * map of closed flows. A RST is the flow's last segment (RFC 9293 §3.5.2). */
    here(a, L_ENDING);
    map_call(a, open_fd, BPF_FUNC_map_delete_elem, false);
    jmp_k(a, BPF_JSET, BPF_REG_8, 0x04, L_R9);
    stx(a, BPF_W, BPF_REG_10, SCRATCH, BPF_REG_9);
    map_call(a, closed_fd, BPF_FUNC_map_update_elem, true);
    here(a, L_R9);
    mov_x(a, BPF_REG_0, BPF_REG_9);
    jmp_k(a, BPF_JA, 0, 0, L_EXIT);
    /* Not an open flow: a closed one's CPU (its RST takes it out), else this CPU. */
    here(a, L_CLOSED);
    map_call(a, closed_fd, BPF_FUNC_map_lookup_elem, false);
    jmp_k(a, BPF_JEQ, BPF_REG_0, 0, L_OUT);
    ldx(a, BPF_W, BPF_REG_9, BPF_REG_0, 0);
    jmp_k(a, BPF_JSET, BPF_REG_8, 0x04, L_CLOSED_RST);
    jmp_k(a, BPF_JA, 0, 0, L_R9);
    here(a, L_CLOSED_RST);
    map_call(a, closed_fd, BPF_FUNC_map_delete_elem, false);
    jmp_k(a, BPF_JA, 0, 0, L_R9);

    /* An opening SYN. One whose flow a map has already goes where the flow is: a SYN the
     * client's timer sends again, from whatever CPU it runs on, must meet the stack that
     * holds the first one's request (another stack would answer with a SYN-ACK of its own
     * ISN, and the client's ACK of the first SYN-ACK would then meet it and be reset, RFC
     * 9293 §3.10.7.4); a new connection on the 4-tuple of a flow the client closed goes to
     * the stack that may hold its TIME-WAIT (which reopens it, RFC 6191), and the flow is
     * open again. The entry is looked up, never overwritten: a stale one (a connection the
     * server ended with no FIN or RST from the client) only sends a new connection to
     * another queue than its CPU's, which any queue can take. */
    here(a, L_SYN);
    ldx(a, BPF_W, BPF_REG_1, BPF_REG_10, EST);
    jmp_k(a, BPF_JNE, BPF_REG_1, 0, L_OUT); /* established: the LRU maps are not touched */
    map_call(a, open_fd, BPF_FUNC_map_lookup_elem, false);
    jmp_k(a, BPF_JEQ, BPF_REG_0, 0, L_SYN_CLOSED);
    ldx(a, BPF_W, BPF_REG_9, BPF_REG_0, 0);
    jmp_k(a, BPF_JA, 0, 0, L_R9);
    here(a, L_SYN_CLOSED);
    map_call(a, closed_fd, BPF_FUNC_map_lookup_elem, false);
    jmp_k(a, BPF_JEQ, BPF_REG_0, 0, L_SYN_NEW);
    ldx(a, BPF_W, BPF_REG_7, BPF_REG_0, 0); /* the answer: the flow's CPU */
    map_call(a, closed_fd, BPF_FUNC_map_delete_elem, false);
    /* A new flow (or one back from the closed map): the answer's CPU from now on. A failed
     * update (it cannot, short of memory: the LRU evicts to make room) leaves the flow to
     * the per-CPU answer. */
    here(a, L_SYN_NEW);
    stx(a, BPF_W, BPF_REG_10, SCRATCH, BPF_REG_7);
    map_call(a, open_fd, BPF_FUNC_map_update_elem, true);

    here(a, L_OUT);
    mov_x(a, BPF_REG_0, BPF_REG_7);
    here(a, L_EXIT);
    ldx(a, BPF_W, BPF_REG_1, BPF_REG_10, EST);
    jmp_k(a, BPF_JEQ, BPF_REG_1, 0, L_RET);
    mov_x(a, BPF_REG_0, BPF_REG_1);
    alu_k(a, BPF_ADD, BPF_REG_0, -1);
    here(a, L_RET);
    exit_(a);

    if (a->n >= INSN_CAP) return -1;
    for (int i = 0; i < a->n; i++)
        if (a->jump_label[i] >= 0) a->p[i].off = (int16_t)(a->label[a->jump_label[i]] - (i + 1));
    return a->n;
}

/* The per-CPU program: r0 = get_smp_processor_id(); exit. */
static int build_per_cpu(struct as *a)
{
    memset(a, 0, sizeof *a);
    call(a, BPF_FUNC_get_smp_processor_id);
    exit_(a);
    return a->n;
}

static int bpf_sys(int cmd, union bpf_attr *at)
{
    return (int)syscall(SYS_bpf, cmd, at, sizeof *at);
}

/* Loads a socket-filter program (the type TUNSETSTEERINGEBPF takes); its fd, or -1 with
 * errno. When the verifier refuses it, a second load asks for its log, which is printed: the
 * first asks for none, as a log that does not fit its buffer fails a load the program would
 * pass. */
static int prog_load(const struct as *a, const char *what)
{
    union bpf_attr at;
    memset(&at, 0, sizeof at);
    at.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    at.insn_cnt = (uint32_t)a->n;
    at.insns = (uint64_t)(uintptr_t)a->p;
    at.license = (uint64_t)(uintptr_t) "GPL";
    int fd = bpf_sys(BPF_PROG_LOAD, &at);
    if (fd >= 0) return fd;
    int e = errno;
    char *log = calloc(1, LOG_BYTES);
    if (log) {
        at.log_buf = (uint64_t)(uintptr_t)log;
        at.log_size = LOG_BYTES;
        at.log_level = 1;
        fd = bpf_sys(BPF_PROG_LOAD, &at);
        if (fd >= 0) { /* refused once, then taken: nothing to explain */
            free(log);
            return fd;
        }
        if (log[0])
            fprintf(stderr, "synack serve: --steer cpu: the verifier's log of the %s program:\n%s",
                    what, log);
        free(log);
    }
    errno = e;
    return -1;
}

uint32_t steer_map_entries(uint64_t flows)
{
    /* The kernel's common LRU keeps up to LRU_TARGET free nodes on each CPU's own list and
     * evicts in batches of up to as many once the shared free list runs short: that much
     * room per possible CPU (and one batch) beyond the flows themselves keeps a flow the
     * stacks can hold from being evicted. */
    uint64_t n = flows + (uint64_t)(get_nprocs_conf() + 1) * LRU_TARGET;
    if (n < STEER_MIN_ENTRIES) n = STEER_MIN_ENTRIES;
    if (n > UINT32_MAX) n = UINT32_MAX;
    return (uint32_t)n;
}

/* A hash map of entries flows (4-tuple -> CPU), LRU or plain (type); its fd, or -1 with
 * errno. */
static int map_create(uint32_t type, uint32_t entries, const char *name)
{
    union bpf_attr at;
    memset(&at, 0, sizeof at);
    at.map_type = type;
    at.key_size = KEY_SIZE;
    at.value_size = sizeof(uint32_t);
    at.max_entries = entries;
    snprintf(at.map_name, sizeof at.map_name, "%s", name);
    return bpf_sys(BPF_MAP_CREATE, &at);
}

/* The per-flow program with its maps of entries each: open flows and closed ones (LRU, the
 * program's), and established ones (serve's, *est_fd: kept open for steer_flow_mark); the
 * program's fd, or -1 with the reason in why. */
static int per_flow(uint32_t entries, char *why, size_t n, int *est_fd)
{
    int open_fd = map_create(BPF_MAP_TYPE_LRU_HASH, entries, "synack_open");
    int closed_fd = open_fd < 0 ? -1 : map_create(BPF_MAP_TYPE_LRU_HASH, entries, "synack_closed");
    *est_fd = closed_fd < 0 ? -1 : map_create(BPF_MAP_TYPE_HASH, entries, "synack_est");
    if (*est_fd < 0) {
        snprintf(why, n, "the flow maps (%u entries each) were refused: %s", entries,
                 strerror(errno));
        if (open_fd >= 0) close(open_fd);
        if (closed_fd >= 0) close(closed_fd);
        return -1;
    }
    struct as *a = malloc(sizeof *a);
    int pfd = -1;
    if (!a) {
        snprintf(why, n, "out of memory");
    } else if (build_per_flow(a, open_fd, closed_fd, *est_fd) < 0) {
        snprintf(why, n, "the program does not fit in %d instructions", INSN_CAP);
    } else {
        pfd = prog_load(a, "per-flow");
        if (pfd < 0) snprintf(why, n, "the per-flow program was refused: %s", strerror(errno));
    }
    free(a);
    /* The program holds its own references to the maps; serve keeps the established one's. */
    close(open_fd);
    close(closed_fd);
    if (pfd < 0) {
        close(*est_fd);
        *est_fd = -1;
    }
    return pfd;
}

/* The map's key of the flow the kernel sends us from remote to local (the program's: the
 * datagram's source and destination addresses, its ports as in the TCP header, the IP
 * version). */
static void flow_key(uint8_t key[KEY_SIZE], const struct synack_endpoint *local,
                     const struct synack_endpoint *remote)
{
    memset(key, 0, KEY_SIZE);
    if (synack_addr_is_v4(&remote->addr)) {
        memcpy(key, remote->addr.bytes + 12, 4);
        memcpy(key + 4, local->addr.bytes + 12, 4);
        key[36] = 4;
    } else {
        memcpy(key, remote->addr.bytes, 16);
        memcpy(key + 16, local->addr.bytes, 16);
        key[36] = 6;
    }
    key[32] = (uint8_t)(remote->port >> 8);
    key[33] = (uint8_t)remote->port;
    key[34] = (uint8_t)(local->port >> 8);
    key[35] = (uint8_t)local->port;
}

int steer_flow_mark(int est_fd, const struct synack_endpoint *local,
                    const struct synack_endpoint *remote, int cpu)
{
    if (est_fd < 0) return 0;
    uint8_t key[KEY_SIZE];
    flow_key(key, local, remote);
    uint32_t value = (uint32_t)cpu;
    union bpf_attr at;
    memset(&at, 0, sizeof at);
    at.map_fd = (uint32_t)est_fd;
    at.key = (uint64_t)(uintptr_t)key;
    if (cpu < 0) return bpf_sys(BPF_MAP_DELETE_ELEM, &at) < 0 && errno != ENOENT ? -1 : 0;
    at.value = (uint64_t)(uintptr_t)&value;
    at.flags = BPF_ANY;
    return bpf_sys(BPF_MAP_UPDATE_ELEM, &at);
}

/* Sets program pfd on the device and closes pfd (the device holds its own reference). 0, or
 * -1 with errno. */
static int attach(int tun_fd, int pfd)
{
    int r = ioctl(tun_fd, TUNSETSTEERINGEBPF, &pfd);
    int e = errno;
    close(pfd);
    errno = e;
    return r;
}

int steer_set(int tun_fd, uint32_t map_entries, char *say, size_t n, int *est_fd)
{
    char why[160];
    int pfd = per_flow(map_entries, why, sizeof why, est_fd);
    if (pfd >= 0) {
        if (attach(tun_fd, pfd) == 0) {
            snprintf(say, n, "per flow (maps of %u open and %u closed flows)", map_entries,
                     map_entries);
            return STEER_PER_FLOW;
        }
        snprintf(why, sizeof why, "the per-flow program: TUNSETSTEERINGEBPF: %s", strerror(errno));
        close(*est_fd);
        *est_fd = -1;
    }
    fprintf(stderr, "synack serve: --steer cpu: %s; each datagram goes to its CPU's queue\n", why);
    struct as a;
    build_per_cpu(&a);
    pfd = prog_load(&a, "per-CPU");
    if (pfd < 0) {
        fprintf(stderr, "synack serve: --steer cpu: cannot load the steering program: %s\n",
                strerror(errno));
        return -1;
    }
    if (attach(tun_fd, pfd) < 0) {
        fprintf(stderr, "synack serve: --steer cpu: TUNSETSTEERINGEBPF: %s\n", strerror(errno));
        return -1;
    }
    snprintf(say, n, "per datagram (no flow map: it was refused)");
    return STEER_PER_CPU;
}

void steer_clear(int tun_fd)
{
    int none = -1;
    ioctl(tun_fd, TUNSETSTEERINGEBPF, &none);
}
