#include "cli/cli.h"
int cmd_simulate(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("simulate", "under construction"); }
