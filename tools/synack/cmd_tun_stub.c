/*
 * tools/synack/cmd_tun_stub.c - placeholders for `serve` and `connect` until the TUN
 * device lands (issue 4): they say so and fail, rather than pretend.
 */
#include <stdio.h>

#include "cli.h"

int synack_cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "synack serve: the TUN device is not built yet (issue 4)\n");
    return 2;
}

int synack_cmd_connect(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "synack connect: the TUN device is not built yet (issue 4)\n");
    return 2;
}
