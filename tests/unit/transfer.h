/*
 * transfer.h - moves a given number of bytes each way over a simnet connection, checking
 * every byte against a seeded pattern, and closes it; used by the reliability tests and
 * the stress test. Returns how it went, so that tests can assert and print figures.
 */
#ifndef SYNACK_TRANSFER_H
#define SYNACK_TRANSFER_H

#include "simnet.h"
#include "test.h"

struct transfer_result {
    bool ok;                 /* every byte arrived, in order, intact, both ways */
    bool closed;             /* and both sides closed (client through TIME-WAIT) */
    uint64_t received[2];    /* bytes each side received */
    uint64_t first_data_us;  /* when the first byte was handed to the stack */
    uint64_t done_us;        /* when the last byte was read */
    uint64_t dir_done_us[2]; /* when the last byte A sent (0) or B sent (1) was read */
    uint64_t fifth_us;       /* when B had read a fifth of what A sent (past slow start) */
    uint64_t fifth_bytes;    /* how many bytes that was exactly */
    uint64_t end_us;         /* when both sockets were gone */
    uint64_t mismatch_at;    /* the offset of the first wrong byte, if any */
    int state[2];            /* each socket's last state, for the failure message */
    bool closed_by_app[2];
};

static inline uint8_t transfer_byte(uint64_t seed, int dir, uint64_t i)
{
    uint64_t z = (i >> 3) * 0x9e3779b97f4a7c15ULL + seed * 0xbf58476d1ce4e5b9ULL + (uint64_t)dir;
    z ^= z >> 31;
    z *= 0x94d049bb133111ebULL;
    z ^= z >> 29;
    return (uint8_t)(z >> ((i & 7) * 8));
}

/* No connection left on either stack (the listener aside). */
static inline bool transfer_all_gone(struct simnet *n)
{
    uint32_t open = 0;
    for (int s = 0; s < 2; s++) {
        struct synack_stats st;
        synack_get_stats(n->st[s], &st);
        for (int i = 0; i <= SYNACK_TIME_WAIT; i++)
            if (i != SYNACK_LISTEN) open += st.sockets_by_state[i];
    }
    return open == 0;
}

/* Connects A to B's port 7 and moves bytes[0] from A to B and bytes[1] from B to A at the
 * same time; then A closes, B closes on end of stream. Runs until done or limit_us. */
static inline struct transfer_result transfer_run(struct simnet *n, uint64_t seed,
                                                  const uint64_t bytes[2], uint64_t limit_us)
{
    struct transfer_result r = {0};
    int lsd = synack_socket(n->st[1]);
    synack_bind(n->st[1], lsd, SYNACK_ADDR_ANY, 7);
    synack_listen(n->st[1], lsd, 8);
    int sd[2] = {synack_socket(n->st[0]), -1};
    synack_connect(n->st[0], sd[0], n->now, SIM_B_ADDR, 7);
    uint64_t sent[2] = {0, 0};
    bool shut[2] = {false, false}, eof[2] = {false, false}, closed[2] = {false, false};
    static uint8_t buf[65536];
    /* What each side generated but the stack has not taken yet: made once, sent in parts. */
    static uint8_t pend[2][65536];
    size_t pend_off[2] = {0, 0}, pend_len[2] = {0, 0};
    bool bad = false;
    r.first_data_us = UINT64_MAX;
    for (uint64_t iter = 0; iter < 50000000ull && n->now <= limit_us; iter++) {
        if (sd[1] < 0) sd[1] = synack_accept(n->st[1], lsd, NULL);
        bool progress = false;
        for (int s = 0; s < 2; s++) {
            if (sd[s] < 0 || closed[s]) continue;
            synack_stack *st = n->st[s];
            unsigned ev = synack_events(st, sd[s]);
            if (!(ev & SYNACK_EV_CONNECTED) && !(ev & SYNACK_EV_ERROR)) continue;
            while (sent[s] < bytes[s]) {
                if (pend_off[s] == pend_len[s]) {
                    uint64_t left = bytes[s] - sent[s];
                    size_t want = left < sizeof pend[s] ? (size_t)left : sizeof pend[s];
                    for (size_t i = 0; i < want; i++)
                        pend[s][i] = transfer_byte(seed, s, sent[s] + i);
                    pend_off[s] = 0;
                    pend_len[s] = want;
                }
                long w = synack_send(st, sd[s], n->now, pend[s] + pend_off[s],
                                     pend_len[s] - pend_off[s]);
                if (w <= 0) break;
                pend_off[s] += (size_t)w;
                if (r.first_data_us == UINT64_MAX) r.first_data_us = n->now;
                sent[s] += (uint64_t)w;
                progress = true;
            }
            if (sent[s] == bytes[s] && !shut[s] && s == 0) {
                synack_shutdown(st, sd[s], n->now, SYNACK_SHUT_WR);
                shut[s] = true;
                progress = true;
            }
            long got;
            while ((got = synack_recv(st, sd[s], n->now, buf, sizeof buf)) > 0) {
                for (long i = 0; i < got && !bad; i++) {
                    if (buf[i] != transfer_byte(seed, 1 - s, r.received[s] + (uint64_t)i)) {
                        bad = true;
                        r.mismatch_at = r.received[s] + (uint64_t)i;
                    }
                }
                r.received[s] += (uint64_t)got;
                if (r.received[s] == bytes[1 - s] && !r.dir_done_us[1 - s])
                    r.dir_done_us[1 - s] = n->now;
                if (s == 1 && !r.fifth_us && r.received[1] * 5 >= bytes[0]) {
                    r.fifth_us = n->now;
                    r.fifth_bytes = r.received[1];
                }
                progress = true;
            }
            if (got == 0) eof[s] = true;
            if (r.received[0] == bytes[1] && r.received[1] == bytes[0] && !r.done_us)
                r.done_us = n->now;
            /* B closes when A's stream ended and all its own data is queued; A closes
             * after B's end of stream. */
            if (eof[s] && sent[s] == bytes[s]) {
                synack_close(st, sd[s], n->now);
                closed[s] = true;
                progress = true;
            } else if (got < 0 && got != SYNACK_EAGAIN) {
                synack_close(st, sd[s], n->now);
                closed[s] = true;
            }
        }
        if (progress) continue;
        if (closed[0] && closed[1] && transfer_all_gone(n)) break;
        if (!simnet_step(n)) break;
    }
    if (closed[0] && closed[1] && transfer_all_gone(n)) {
        r.closed = true;
        r.end_us = n->now;
    }
    for (int s = 0; s < 2; s++) {
        r.state[s] = sd[s] >= 0 ? simnet_state(n, s, sd[s]) : -1;
        r.closed_by_app[s] = closed[s];
    }
    r.ok = !bad && r.received[1] == bytes[0] && r.received[0] == bytes[1];
    synack_close(n->st[1], lsd, n->now);
    return r;
}

/* 5,000 bytes from A to B and 3,000 back over a link of the given MTU (1 ms each way, the
 * given loss rate, seeded), both stacks on that MTU, timestamps on or off, a 1-s MSL; prints
 * what arrived when not every byte did or the connection did not close. For the tests of
 * tiny MTUs (hunt_test, review_test). */
static inline struct transfer_result transfer_small_mtu(uint16_t mtu, bool timestamps, double loss,
                                                        uint64_t seed)
{
    test_seed(seed);
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.mtu = mtu;
    lc.delay_us = 1000;
    if (loss > 0) {
        lc.faults.loss = loss;
        lc.faults.seed = seed;
    }
    struct synack_config c[2];
    for (int i = 0; i < 2; i++) {
        simnet_config(&c[i], i, seed);
        c[i].mtu = mtu;
        c[i].no_timestamps = !timestamps;
        c[i].msl_us = 1000000;
    }
    struct simnet n;
    simnet_init_with(&n, c, &lc, seed);
    uint64_t bytes[2] = {5000, 3000};
    struct transfer_result r = transfer_run(&n, seed, bytes, 600ull * 1000000);
    if (!r.ok || !r.closed)
        fprintf(stderr,
                "    mtu %u, timestamps %d, loss %.2f, seed %llu: received %llu/%llu and "
                "%llu/%llu, states %d %d\n",
                mtu, timestamps, loss, (unsigned long long)seed, (unsigned long long)r.received[1],
                (unsigned long long)bytes[0], (unsigned long long)r.received[0],
                (unsigned long long)bytes[1], r.state[0], r.state[1]);
    simnet_free(&n);
    return r;
}

#endif
