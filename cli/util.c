/* cli/util.c: error printing, strict flag-value parsing, taking a list flag out of
 * argv, and the checks several subcommands share (a model with its weights and data,
 * a validation split). */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/flags.h"
#include "nn/job.h"
#include "nn/model.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "emomc %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'emomc %s --help')\n", cmd);
    va_end(ap);
    return 2;
}

int cli_report(const char *cmd, const em_error *err)
{
    fprintf(stderr, "emomc %s: error: %s\n", cmd, err->msg[0] ? err->msg : em_status_name(err->code));
    return 1;
}

int cli_parse_int(const char *cmd, const char *flag, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s ? s : "", &end, 10);
    if (!s || !*s || *end || errno)
        return cli_usage_error(cmd, "%s: '%s' is not an integer", flag, s ? s : "");
    if (v < lo || v > hi)
        return cli_usage_error(cmd, "%s: %ld is out of range [%ld, %ld]", flag, v, lo, hi);
    *out = v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *flag, const char *s, double lo, double hi,
                     double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s ? s : "", &end);
    if (!s || !*s || *end || errno || v != v)
        return cli_usage_error(cmd, "%s: '%s' is not a number", flag, s ? s : "");
    if (v < lo || v > hi)
        return cli_usage_error(cmd, "%s: %g is out of range [%g, %g]", flag, v, lo, hi);
    *out = v;
    return 0;
}

int cli_take_list(int *argc, char **argv, const char *flag, char **vals, int *n)
{
    int w = 1, found = 0;
    *n = 0;
    for (int i = 1; i < *argc; i++) {
        if (found || strcmp(argv[i], flag)) {
            argv[w++] = argv[i];
            continue;
        }
        found = 1;
        while (i + 1 < *argc && argv[i + 1][0] != '-') {
            if (*n == CLI_TAKE_MAX) return -1;
            vals[(*n)++] = argv[++i];
        }
    }
    *argc = w;
    return found;
}

int cli_require_model_data(const char *cmd, const char *model, const char *weights,
                           const char *data)
{
    const cli_required need[] = {
        {"--model", model != NULL, NULL},
        {"--weights", weights || nn_model_is_onnx(model), "except with an .onnx model"},
        {"--data", data != NULL, NULL}};
    return cli_flags_require(cmd, need, 3);
}

int cli_check_val_split(const char *cmd, double val)
{
    if (nn_val_split_valid(val)) return 0;
    return cli_usage_error(cmd, "--val-split: %g is neither a count nor a fraction below 1", val);
}
