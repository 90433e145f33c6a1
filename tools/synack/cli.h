/*
 * tools/synack/cli.h - the subcommands of the synack tool, one file each.
 */
#ifndef SYNACK_TOOLS_CLI_H
#define SYNACK_TOOLS_CLI_H

int synack_cmd_demo(int argc, char **argv);
int synack_cmd_trace(int argc, char **argv);
int synack_cmd_serve(int argc, char **argv);
int synack_cmd_connect(int argc, char **argv);

#endif
