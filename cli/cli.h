/* cli/cli.h: shared pieces of the emomc command line (the only code that parses
 * arguments or prints for a person). Each subcommand lives in cli/cmd_<name>.c and
 * has one shape: flags (cli/flags.h) -> a configuration -> one library call -> print. */
#ifndef EMOMC_CLI_H
#define EMOMC_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "common/error.h"

typedef int (*cli_cmd_fn)(int argc, char **argv);

typedef struct cli_command {
    const char *name;
    cli_cmd_fn run;
    const char *summary;
} cli_command;

/* Prints "emomc <cmd>: <message>" to stderr and returns exit code 2 (usage) or 1. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_report(const char *cmd, const em_error *err);

/* Strict number parsing for flag values; print a usage error on failure. */
int cli_parse_int(const char *cmd, const char *flag, const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *cmd, const char *flag, const char *s, double lo, double hi,
                     double *out);

/* Takes the first `flag V1 V2 ...` (the values up to the next argument starting with
 * '-') out of argv: *argc shrinks to the other arguments, the values go into vals
 * (room for CLI_TAKE_MAX), *n counts them. Returns 1 when the flag was there, 0
 * when not, -1 when it has more than CLI_TAKE_MAX values. */
#define CLI_TAKE_MAX 64
int cli_take_list(int *argc, char **argv, const char *flag, char **vals, int *n);

/* Usage errors of commands that run a trained model on a data set: --model, then
 * --weights (not needed with an .onnx model), then --data is required. */
int cli_require_model_data(const char *cmd, const char *model, const char *weights,
                           const char *data);
/* Usage error unless --val-split is a count or a fraction below 1 (nn_val_split_valid). */
int cli_check_val_split(const char *cmd, double val);

/* Subcommands. */
int cmd_estimate(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_optimize(int argc, char **argv);
/* `emomc optimize` for the compression problems (called by cmd_optimize). */
int cli_optimize_search(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_library(int argc, char **argv);

#endif
