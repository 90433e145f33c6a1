/*
 * tools/synack/main.c - the synack command: dispatches to a subcommand. The words here
 * are a contract (docs/architecture.md): scripts outside the repository rely on them.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fputs("usage: synack COMMAND [OPTIONS]\n"
          "\n"
          "synack is a userspace TCP/IP stack that shows what it does.\n"
          "\n"
          "commands:\n"
          "  demo     two stacks in this process over a simulated link: one connection's\n"
          "           whole life (3-way handshake, data, 4-way close, TIME-WAIT) as a ladder\n"
          "  serve    serve echo/discard/chargen/HTTP on a TUN device, to the kernel's TCP\n"
          "  connect  connect to HOST PORT through a TUN device, like nc\n"
          "  trace    draw the TCP connections of a capture file as ladders\n"
          "\n"
          "'synack COMMAND --help' describes each command.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "demo")) return synack_cmd_demo(argc - 1, argv + 1);
    if (!strcmp(cmd, "trace")) return synack_cmd_trace(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve")) return synack_cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "connect")) return synack_cmd_connect(argc - 1, argv + 1);
    fprintf(stderr, "synack: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
