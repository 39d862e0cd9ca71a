/* cli/cmd_eval.c: placeholder until the subcommand lands (see its issue). */
#include "cli/cli.h"
int cmd_eval(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("eval", "not implemented yet"); }
