/*
 * examples/echo_over_sim.c - embedding synack, with the public API only: two stacks in one
 * program joined by the simulated link, an echo server on one and a client on the other,
 * driven by one small event loop on a virtual clock. What a real program does differs only
 * in its device (a TUN device, a NIC queue, a radio) and its clock.
 *
 *   build/examples/echo_over_sim            # prints what it does, exits 0 on success
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "synack/dev.h"
#include "synack/synack.h"

static synack_stack *make_stack(const char *name, const char *addr)
{
    struct synack_config cfg;
    synack_config_default(&cfg); /* MTU 1500, 256 KiB rings, MSL 30 s, NewReno ... */
    cfg.name = name;
    synack_addr_parse(addr, &cfg.addr); /* or synack_addr_v4(0x0a000001) */
    int err;
    synack_stack *s = synack_stack_new(&cfg, &err);
    if (!s) fprintf(stderr, "%s: %s\n", name, synack_strerror(err));
    return s;
}

int main(void)
{
    synack_stack *client = make_stack("client", "10.0.0.1");
    synack_stack *server = make_stack("server", "10.0.0.2");
    struct synack_sim_config lc;
    synack_sim_config_default(&lc);
    lc.delay_us = 2000; /* 2 ms each way */
    synack_sim_link *link = synack_sim_link_new(&lc);
    if (!client || !server || !link) return 1;
    synack_stack *stacks[2] = {client, server};
    synack_dev *devs[2] = {synack_sim_end(link, 0), synack_sim_end(link, 1)};

    /* The server: listen on the echo port (RFC 862). */
    int lsd = synack_socket(server);
    synack_bind(server, lsd, SYNACK_ADDR_ANY, 7);
    synack_listen(server, lsd, 8);

    /* The client: connect, and once connected send a line and wait for it to come back. */
    uint64_t now = 0;
    int csd = synack_socket(client);
    int r = synack_connect(client, csd, now, synack_addr_v4(0x0a000002), 7);
    printf("connect: %s\n", synack_strerror(r)); /* "connection in progress" */
    const char msg[] = "hello from an embedded TCP stack\n";
    char got[128];
    size_t ngot = 0;
    bool sent = false, closed = false;

    for (int step = 0; step < 100000 && !closed; step++) {
        /* Run both stacks and the link up to `now` (when anything is next due is learnt
         * below, once the applications have acted). */
        synack_sim_step(stacks, devs, 2, now);

        /* Server side: every readiness change, in order. */
        int sd;
        unsigned ev;
        while (synack_next_event(server, &sd, &ev)) {
            if (sd == lsd && (ev & SYNACK_EV_READABLE)) {
                struct synack_endpoint peer;
                int c = synack_accept(server, lsd, &peer);
                if (c >= 0) {
                    char a[SYNACK_ADDR_STRLEN];
                    printf("server: accepted %s:%u\n", synack_addr_str(&peer.addr, a, sizeof a),
                           peer.port);
                }
            } else if (ev & SYNACK_EV_READABLE) {
                char buf[4096];
                long n;
                while ((n = synack_recv(server, sd, now, buf, sizeof buf)) > 0)
                    synack_send(server, sd, now, buf, (size_t)n); /* echo */
                if (n == 0) synack_close(server, sd, now);        /* the client's FIN */
            }
        }

        /* Client side. */
        unsigned cev = synack_events(client, csd);
        if ((cev & SYNACK_EV_CONNECTED) && !sent) {
            synack_send(client, csd, now, msg, sizeof msg - 1);
            sent = true;
        }
        long n = synack_recv(client, csd, now, got + ngot, sizeof got - ngot);
        if (n > 0) ngot += (size_t)n;
        if (ngot == sizeof msg - 1) {
            struct synack_sockinfo info;
            synack_getinfo(client, csd, &info);
            printf("client: echoed back after %.1f ms: %.*s", now / 1000.0, (int)ngot, got);
            printf("client: srtt %.1f ms, cwnd %u bytes, state %s\n", info.srtt_us / 1000.0,
                   info.cwnd, synack_state_name(info.state));
            synack_close(client, csd, now); /* FIN; TIME-WAIT follows in the background */
            closed = true;
        }
        if (cev & SYNACK_EV_ERROR) {
            printf("client: %s\n", synack_strerror(synack_socket_error(client, csd)));
            break;
        }
        /* What the applications just queued goes out at this same instant. */
        uint64_t next = synack_sim_step(stacks, devs, 2, now);
        if (next == UINT64_MAX) break;
        if (next > now) now = next;
    }
    synack_sim_link_free(link);
    synack_stack_free(client);
    synack_stack_free(server);
    return closed && memcmp(got, msg, sizeof msg - 1) == 0 ? 0 : 1;
}
