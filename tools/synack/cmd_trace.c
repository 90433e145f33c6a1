/*
 * tools/synack/cmd_trace.c - `synack trace FILE`: reads a capture and draws its TCP
 * connections (issue 6). Options are parsed here; the work is synack_trace_file().
 */
#include <stdio.h>

#include "synack/trace.h"

int synack_cmd_trace(int argc, char **argv);

int synack_cmd_trace(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "synack trace: not yet\n");
    return 2;
}
