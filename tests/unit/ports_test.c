/*
 * ports_test.c - ephemeral ports by RFC 6056 §3.3.4 (double-hash port selection) with a
 * random increment (Algorithm 5's idea): an off-path attacker who learns the ports of its
 * own connections learns nothing about the port of a connection to another destination,
 * and cannot extrapolate the next port even to its own destination.
 */
#include "test.h"
#include "synack/synack.h"

#define LOCAL 0x0a000001u

static synack_stack *stack_with_seed(uint64_t seed)
{
    struct synack_config c;
    synack_config_default(&c);
    c.addr = synack_addr_v4(LOCAL);
    c.seed = seed;
    c.isn_secret_set = true;
    for (int i = 0; i < 16; i++) c.isn_secret[i] = (uint8_t)(seed * 7 + (uint64_t)i);
    int err = 0;
    synack_stack *st = synack_stack_new(&c, &err);
    ASSERT(st != NULL);
    return st;
}

static uint16_t connect_port(synack_stack *st, uint32_t dst, uint16_t dport)
{
    int sd = synack_socket(st);
    ASSERT(sd >= 0);
    ASSERT_EQ(synack_connect(st, sd, 1000, synack_addr_v4(dst), dport), SYNACK_EINPROGRESS);
    struct synack_sockinfo in;
    ASSERT_EQ(synack_getinfo(st, sd, &in), 0);
    return in.local.port;
}

TEST(ephemeral_ports_do_not_step_by_one)
{
    /* Five connects to one destination: not 50352, 50353, ... (the increments vary). */
    for (uint64_t seed = 1; seed <= 20; seed++) {
        test_seed(seed);
        synack_stack *st = stack_with_seed(seed);
        uint16_t p[6];
        int steps_of_one = 0;
        for (int i = 0; i < 6; i++) p[i] = connect_port(st, 0x0a000002u, 80);
        for (int i = 1; i < 6; i++) steps_of_one += (uint16_t)(p[i] - p[i - 1]) == 1;
        ASSERT(steps_of_one < 5);
        synack_stack_free(st);
    }
}

TEST(ephemeral_ports_to_another_destination_are_unrelated)
{
    /* The attacker's own ports (to 10.0.0.2:80) say nothing of the victim's (to 10.0.0.3:80):
     * over 20 seeds the victim's port is not within 64 of the attacker's last one. */
    int near = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        test_seed(seed);
        synack_stack *st = stack_with_seed(seed);
        uint16_t mine = 0;
        for (int i = 0; i < 5; i++) mine = connect_port(st, 0x0a000002u, 80);
        uint16_t victim = connect_port(st, 0x0a000003u, 80);
        int d = (int)victim - (int)mine;
        if (d < 0) d = -d;
        if (d < 64) near++;
        synack_stack_free(st);
    }
    ASSERT(near <= 2);
}

TEST(ephemeral_ports_to_another_port_or_back_are_those_of_their_destination)
{
    /* The hashes of the last destination are kept (entry/socket.c): the remote port is
     * part of that destination as much as the address, so the ports towards 10.0.0.2:443
     * after five to 10.0.0.2:80 are as unrelated to them as those to another address;
     * and going back and forth between two destinations gives each the ports it has
     * when asked for alone, the shared counters aside (each connect here has its own
     * counter slot or moves the other one by a known amount, so compare the offsets
     * through the first port of a fresh stack with the same seed). */
    int near = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        test_seed(seed);
        synack_stack *st = stack_with_seed(seed);
        uint16_t mine = 0;
        for (int i = 0; i < 5; i++) mine = connect_port(st, 0x0a000002u, 80);
        uint16_t other = connect_port(st, 0x0a000002u, 443);
        int d = (int)other - (int)mine;
        if (d < 0) d = -d;
        if (d < 64) near++;
        synack_stack_free(st);
    }
    ASSERT(near <= 2);
    for (uint64_t seed = 1; seed <= 20; seed++) {
        test_seed(seed);
        synack_stack *a = stack_with_seed(seed), *b = stack_with_seed(seed);
        /* b asks for 10.0.0.3:443 first, a after 10.0.0.2:80: the same offset and, when
         * the two destinations' counters are different slots, the same port. */
        uint16_t pa0 = connect_port(a, 0x0a000002u, 80);
        uint16_t pa = connect_port(a, 0x0a000003u, 443);
        uint16_t pb = connect_port(b, 0x0a000003u, 443);
        uint16_t pb0 = connect_port(b, 0x0a000002u, 80);
        /* With a shared slot the second connect sees the first one's increment (1 to 8). */
        int da = (int)(uint16_t)(pa - pb), db = (int)(uint16_t)(pb0 - pa0);
        ASSERT(da == 0 || db == 0 || (da <= 8 && db <= 8));
        synack_stack_free(a);
        synack_stack_free(b);
    }
}

TEST(ephemeral_ports_stay_in_range_and_unique_until_exhausted)
{
    struct synack_config c;
    synack_config_default(&c);
    c.addr = synack_addr_v4(LOCAL);
    c.seed = 9;
    c.max_sockets = 64;
    c.ephemeral_lo = 40000;
    c.ephemeral_hi = 40031; /* 32 ports */
    int err = 0;
    synack_stack *st = synack_stack_new(&c, &err);
    ASSERT(st != NULL);
    uint8_t seen[32] = {0};
    for (int i = 0; i < 32; i++) {
        uint16_t p = connect_port(st, 0x0a000002u, 80);
        ASSERT(p >= 40000 && p <= 40031);
        ASSERT_EQ(seen[p - 40000], 0);
        seen[p - 40000] = 1;
    }
    /* Every port is taken for this destination: the 33rd connect is refused. */
    int sd = synack_socket(st);
    ASSERT_EQ(synack_connect(st, sd, 1000, synack_addr_v4(0x0a000002u), 80), SYNACK_EADDRINUSE);
    /* Another destination may still use them (only the 4-tuple must be unique). */
    ASSERT(connect_port(st, 0x0a000003u, 80) >= 40000);
    synack_stack_free(st);
}

TEST_MAIN()
