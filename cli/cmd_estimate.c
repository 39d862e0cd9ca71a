#include "cli/cli.h"
int cmd_estimate(int argc, char **argv) { (void)argc; (void)argv; return cli_usage_error("estimate", "under construction"); }
