/* cli/cmd_train.c: placeholder until the subcommand lands (see its issue). */
#include "cli/cli.h"
int cmd_train(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("train", "not implemented yet"); }
