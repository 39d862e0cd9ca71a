/* cli/cmd_optimize.c: placeholder until the subcommand lands (see its issue). */
#include "cli/cli.h"
int cmd_optimize(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("optimize", "not implemented yet"); }
