/*
 * steer_test.c - `serve --steer cpu`'s per-flow program (tools/synack/steer.c) run by the
 * kernel on datagrams the test builds (BPF_PROG_TEST_RUN), from CPU 0 and CPU 1 in turn: no
 * device and no interface, only the program and its maps. What a hostile or merely unlucky
 * client could do to the flow map:
 *   - a SYN retransmitted from another CPU while the first one's request waits on its
 *     queue must reach that queue again, or a second stack answers with a SYN-ACK of its own
 *     ISN and, when the client acknowledges the first one, resets the connection;
 *   - a flood of SYNs (each a new 4-tuple, as a spoofed flood is) must not evict an
 *     established flow from the map, or its next datagram sent from another CPU meets the
 *     stack that does not know it, which resets it;
 *   - a new connection on the 4-tuple of a flow the client closed must meet the stack
 *     that may hold its TIME-WAIT.
 * Needs root (BPF) and two CPUs; skipped otherwise.
 */
#include "test.h"
#include <sched.h>
#include "../../tools/synack/steer.c"

struct prog {
    int fd;
    int est; /* the map of established flows (serve's, steer_flow_mark) */
};

static bool on_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

/* An Ethernet frame (BPF_PROG_TEST_RUN takes one and hands a socket filter what follows
 * the link header, as the TUN device does) with an IPv4 TCP header: client port sport to
 * the server's port 7, the flags given. */
static size_t frame(uint8_t *f, uint32_t saddr, uint16_t sport, uint8_t flags)
{
    memset(f, 0, 14 + 40);
    f[12] = 0x08; /* ETH_P_IP */
    uint8_t *ip = f + 14, *tcp = ip + 20;
    ip[0] = 0x45;
    ip[3] = 40;
    ip[6] = 0x40; /* DF */
    ip[8] = 64;
    ip[9] = 6;
    ip[12] = (uint8_t)(saddr >> 24), ip[13] = (uint8_t)(saddr >> 16);
    ip[14] = (uint8_t)(saddr >> 8), ip[15] = (uint8_t)saddr;
    ip[16] = 10, ip[17] = 0, ip[18] = 0, ip[19] = 2;
    tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
    tcp[3] = 7;
    tcp[12] = 0x50;
    tcp[13] = flags;
    return 14 + 40;
}

/* The queue (CPU) the program answers for a datagram sent from cpu; -1 when the kernel
 * would not run it. */
static int run_on(const struct prog *p, int cpu, uint32_t saddr, uint16_t sport, uint8_t flags)
{
    if (!on_cpu(cpu)) return -1;
    uint8_t f[64];
    size_t n = frame(f, saddr, sport, flags);
    union bpf_attr at;
    memset(&at, 0, sizeof at);
    at.test.prog_fd = (uint32_t)p->fd;
    at.test.data_in = (uint64_t)(uintptr_t)f;
    at.test.data_size_in = (uint32_t)n;
    at.test.repeat = 1;
    if (bpf_sys(BPF_PROG_TEST_RUN, &at) < 0) return -1;
    return (int)at.test.retval;
}

#define SYN     0x02
#define ACK     0x10
#define SYN_ACK 0x12
#define CLIENT  0x0a000001u

/* The per-flow program with maps of entries flows, or a skip. */
static struct prog load(uint32_t entries)
{
    struct prog p;
    char why[160];
    p.fd = per_flow(entries, why, sizeof why, &p.est);
    if (p.fd < 0) {
        printf("     skipped: %s\n", why);
        exit(77);
    }
    if (run_on(&p, 0, CLIENT, 1, ACK) != 0 || run_on(&p, 1, CLIENT, 1, ACK) != 1) {
        printf("     skipped: BPF_PROG_TEST_RUN on CPUs 0 and 1: %s\n", strerror(errno));
        exit(77);
    }
    return p;
}

TEST(a_flow_stays_on_the_queue_of_its_syn)
{
    struct prog p = load(STEER_MIN_ENTRIES);
    ASSERT_EQ(run_on(&p, 1, CLIENT, 1000, SYN), 1);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 1000, ACK), 1);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 1000, ACK | 0x08), 1); /* PSH */
    /* Its FIN and what follows: still queue 1; its RST ends it. */
    ASSERT_EQ(run_on(&p, 0, CLIENT, 1000, ACK | 0x01), 1);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 1000, ACK), 1);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 1000, 0x04), 1);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 1000, ACK), 0); /* unknown: the sending CPU */
    close(p.fd);
    close(p.est);
}

TEST(a_syn_retransmitted_from_another_cpu_reaches_the_queue_of_the_first)
{
    struct prog p = load(STEER_MIN_ENTRIES);
    /* The SYN from CPU 0: queue 0 makes a request record and answers. Its SYN-ACK is late
     * (or lost, and queue 0 sends it again), and the client's timer sends the SYN again from
     * CPU 1: it must reach queue 0, whose request it is. */
    ASSERT_EQ(run_on(&p, 0, CLIENT, 2000, SYN), 0);
    ASSERT_EQ(run_on(&p, 1, CLIENT, 2000, SYN), 0);
    /* The handshake's ACK and the data, from either CPU: queue 0. */
    ASSERT_EQ(run_on(&p, 1, CLIENT, 2000, ACK), 0);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 2000, ACK), 0);
    close(p.fd);
    close(p.est);
}

TEST(a_syn_flood_does_not_evict_an_established_flow)
{
    /* The smallest maps --steer-flows allows; a flood of 64 times as many SYNs, each a new
     * 4-tuple (a spoofed flood), from CPU 0 and 1 in turn, as the kernel receives it
     * on either. The kernel's LRU keeps a flow that was looked up (every established one:
     * its handshake's ACK) before the SYNs' entries no segment looked up again (the
     * inactive list goes first, bpf_lru_list.c), so the flood evicts only its own. */
    uint32_t entries = STEER_FLOWS_MIN;
    struct prog p = load(entries);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 3000, SYN), 0);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 3000, ACK), 0); /* established, then idle */
    int flood = 0;
    for (uint32_t i = 0; i < 64 * entries; i++) {
        uint32_t a = 0x0b000000u + i / 60000u;
        int cpu = (int)(i / 512u & 1u); /* in runs: moving costs more than a run */
        if (run_on(&p, cpu, a, (uint16_t)(1024 + i % 60000u), SYN) == cpu) flood++;
    }
    ASSERT_EQ(flood, (int)(64 * entries));
    /* The established flow's client thread, now on CPU 1, writes: queue 0 still. */
    ASSERT_EQ(run_on(&p, 1, CLIENT, 3000, ACK), 0);
    close(p.fd);
    close(p.est);
}

TEST(a_new_syn_on_a_closed_flow_goes_to_the_queue_of_its_time_wait)
{
    /* The server closed first and holds the TIME-WAIT; the client's FIN moved the flow to
     * the closed map. A new connection on the same 4-tuple, its SYN from the other CPU,
     * must meet that TIME-WAIT (RFC 6191's reopening), and its flow is open again. */
    struct prog p = load(STEER_MIN_ENTRIES);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 4000, SYN), 0);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 4000, ACK), 0);
    ASSERT_EQ(run_on(&p, 1, CLIENT, 4000, ACK | 0x01), 0);
    ASSERT_EQ(run_on(&p, 1, CLIENT, 4000, SYN), 0);
    ASSERT_EQ(run_on(&p, 1, CLIENT, 4000, ACK), 0);
    /* Its RST ends it for good: a SYN after it is a new flow of its CPU. */
    ASSERT_EQ(run_on(&p, 1, CLIENT, 4000, 0x04), 0);
    ASSERT_EQ(run_on(&p, 1, CLIENT, 4000, SYN), 1);
    close(p.fd);
    close(p.est);
}

/* serve's mark of a connection its stack accepted: the client at CLIENT:sport. */
static int mark(const struct prog *p, uint16_t sport, int cpu)
{
    struct synack_endpoint local = {.addr = synack_addr_v4(0x0a000002u), .port = 7};
    struct synack_endpoint remote = {.addr = synack_addr_v4(CLIENT), .port = sport};
    return steer_flow_mark(p->est, &local, &remote, cpu);
}

TEST(an_accepted_flow_survives_a_flood_of_syns_each_followed_by_an_ack)
{
    /* A flood whose every SYN is followed by a blind ACK of its flow (a spoofer needs no
     * answer to send it) has each new flow looked up once, as an established one is: the
     * LRU then evicts idle established flows as readily as the flood's. The program cannot
     * tell a real handshake from a spoofed one, the stack can: serve marks each connection
     * its stack accepted (steer_flow_mark) in a map no segment writes, and the program
     * answers from it first. Unmarked, the same flow is evicted. */
    uint32_t entries = STEER_FLOWS_MIN;
    struct prog p = load(entries);
    for (int marked = 1; marked >= 0; marked--) {
        uint16_t port = (uint16_t)(5000 + marked);
        ASSERT_EQ(run_on(&p, 0, CLIENT, port, SYN), 0);
        ASSERT_EQ(run_on(&p, 0, CLIENT, port, ACK), 0);
        if (marked) ASSERT_EQ(mark(&p, port, 0), 0);
        for (uint32_t i = 0; i < 8 * entries; i++) {
            uint32_t a = 0x0c000000u + (uint32_t)marked * 0x10000u + i / 60000u;
            uint16_t fport = (uint16_t)(1024 + i % 60000u);
            int cpu = (int)(i / 512u & 1u);
            ASSERT_EQ(run_on(&p, cpu, a, fport, SYN), cpu);
            ASSERT_EQ(run_on(&p, cpu, a, fport, ACK), cpu);
        }
        printf("     %s: the flow's data from CPU 1 goes to queue %d\n",
               marked ? "marked" : "unmarked", run_on(&p, 1, CLIENT, port, ACK));
        ASSERT_EQ(run_on(&p, 1, CLIENT, port, ACK), marked ? 0 : 1);
    }
    /* serve lets go of the marked one: the LRU maps steer it again (its FIN kept there). */
    ASSERT_EQ(mark(&p, 5001, -1), 0);
    ASSERT_EQ(mark(&p, 5001, -1), 0); /* twice: nothing to take, no error */
    ASSERT_EQ(run_on(&p, 1, CLIENT, 5001, ACK), 1);
    close(p.fd);
    close(p.est);
}

TEST(a_marked_flow_keeps_its_queue_through_its_fin_and_a_stray_syn)
{
    struct prog p = load(STEER_MIN_ENTRIES);
    ASSERT_EQ(run_on(&p, 1, CLIENT, 6000, SYN), 1);
    ASSERT_EQ(run_on(&p, 1, CLIENT, 6000, ACK), 1);
    ASSERT_EQ(mark(&p, 6000, 1), 0);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 6000, SYN), 1); /* a duplicate SYN: no new entry */
    ASSERT_EQ(run_on(&p, 0, CLIENT, 6000, ACK | 0x01), 1);
    ASSERT_EQ(mark(&p, 6000, -1), 0);
    /* Its FIN moved it to the closed map (the bookkeeping ran under the mark): still 1. */
    ASSERT_EQ(run_on(&p, 0, CLIENT, 6000, ACK), 1);
    close(p.fd);
    close(p.est);
}

/* The same datagram over IPv6: client fd00::1 port sport to fd00::2 port 7. */
static size_t frame6(uint8_t *f, uint16_t sport, uint8_t flags)
{
    memset(f, 0, 14 + 60);
    f[12] = 0x86, f[13] = 0xdd; /* ETH_P_IPV6 */
    uint8_t *ip = f + 14, *tcp = ip + 40;
    ip[0] = 0x60;
    ip[5] = 20; /* payload length */
    ip[6] = 6;  /* next header: TCP */
    ip[7] = 64;
    ip[8] = 0xfd, ip[23] = 1;  /* fd00::1 */
    ip[24] = 0xfd, ip[39] = 2; /* fd00::2 */
    tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
    tcp[3] = 7;
    tcp[12] = 0x50;
    tcp[13] = flags;
    return 14 + 60;
}

static int run6_on(const struct prog *p, int cpu, uint16_t sport, uint8_t flags)
{
    if (!on_cpu(cpu)) return -1;
    uint8_t f[80];
    size_t n = frame6(f, sport, flags);
    union bpf_attr at;
    memset(&at, 0, sizeof at);
    at.test.prog_fd = (uint32_t)p->fd;
    at.test.data_in = (uint64_t)(uintptr_t)f;
    at.test.data_size_in = (uint32_t)n;
    at.test.repeat = 1;
    if (bpf_sys(BPF_PROG_TEST_RUN, &at) < 0) return -1;
    return (int)at.test.retval;
}

TEST(serves_mark_names_the_flow_the_program_sees_in_either_family)
{
    /* The key serve builds from a connection's endpoints (steer_flow_mark) must be the one
     * the program builds from its datagrams: a flow whose SYN went to queue 0, marked for
     * queue 1, is then answered 1 (a mark wins over the LRU maps), over IPv4 and IPv6. */
    struct prog p = load(STEER_MIN_ENTRIES);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 7000, SYN), 0);
    ASSERT_EQ(mark(&p, 7000, 1), 0);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 7000, ACK), 1);
    ASSERT_EQ(run6_on(&p, 0, 7000, SYN), 0);
    ASSERT_EQ(run6_on(&p, 0, 7000, ACK), 0);
    struct synack_endpoint local = {.port = 7}, remote = {.port = 7000};
    ASSERT_EQ(synack_addr_parse("fd00::2", &local.addr), 0);
    ASSERT_EQ(synack_addr_parse("fd00::1", &remote.addr), 0);
    ASSERT_EQ(steer_flow_mark(p.est, &local, &remote, 1), 0);
    ASSERT_EQ(run6_on(&p, 0, 7000, ACK), 1);
    ASSERT_EQ(run_on(&p, 0, CLIENT, 7000, ACK), 1); /* the IPv4 flow is another */
    ASSERT_EQ(steer_flow_mark(p.est, &local, &remote, -1), 0);
    ASSERT_EQ(run6_on(&p, 0, 7000, ACK), 0);
    close(p.fd);
    close(p.est);
}

TEST_MAIN()
