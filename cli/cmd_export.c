/* cli/cmd_export.c: `emomc export RUNDIR --pick ID|knee --format onnx|emw --out FILE`:
 * one solution of a finished compression search as a model file (search/export.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/atomicfile.h"
#include "search/export.h"

#define CMD "export"

static const char *help =
    "usage: emomc export RUNDIR [--pick ID|knee] [--format onnx|emw] --out FILE\n"
    "  Writes one solution of a finished compression search with its pruned and\n"
    "  quantized weights (float values on each layer's grid; bits and scale per\n"
    "  layer as metadata), rebuilt with the search's own code path.\n"
    "  --pick ID|knee  candidate ID as numbered by 'emomc report', or the knee\n"
    "                  (the default; chosen on the search accuracy, as the report)\n"
    "  --format F      onnx (the network as it executes; default for .onnx) or emw\n"
    "                  (weights for the run's model YAML; default for .emw)\n"
    "  --out FILE      where to write (atomically)\n";

static int parse_pick(const char *cmd, const char *flag, const char *v, void *ptr)
{
    long n;
    if (!strcmp(v, "knee")) return *(int *)ptr = -1, 0;
    int rc = cli_parse_int(cmd, flag, v, 0, 1000000, &n);
    if (!rc) *(int *)ptr = (int)n;
    return rc;
}

int cmd_export(int argc, char **argv)
{
    const char *dir = NULL;
    sp_export_opts o = {-1, SP_EXPORT_ONNX, NULL};
    int format = -1; /* index in "onnx|emw"; -1: from --out's extension */
    const cli_flag flags[] = {
        CLI_FUNC("--pick", parse_pick, &o.pick, "candidate ID or knee"),
        CLI_CHOICE("--format", &format, "onnx|emw", "file format"),
        CLI_STRING("--out", &o.out, "where to write"), CLI_END};
    int rc = cli_flags_parse(CMD, flags, argc, argv, &dir, help);
    if (rc) return rc < 0 ? 0 : rc;
    if (!dir) return cli_usage_error(CMD, "give the run directory");
    if (!o.out) return cli_usage_error(CMD, "--out is required");
    size_t n = strlen(o.out);
    if (format >= 0) o.format = format ? SP_EXPORT_EMW : SP_EXPORT_ONNX;
    else if (n > 4 && !strcmp(o.out + n - 4, ".emw")) o.format = SP_EXPORT_EMW;
    em_error err = {0};
    if (em_check_output_file(o.out, &err)) return cli_report(CMD, &err);
    sp_export_info info;
    if (sp_export(dir, &o, &info, &err)) return cli_report(CMD, &err);
    printf("%s: %s candidate %d%s: accuracy %.2f%% (search), %.2f%% (final), energy %.6g mJ, "
           "size %.6g KB -> %s (%s)\n", dir, info.model, info.pick, o.pick < 0 ? " (the knee)" : "",
           100 * info.accuracy_search, 100 * info.accuracy_final, info.energy_mj, info.size_kb,
           o.out, o.format == SP_EXPORT_ONNX ? "onnx" : "emw");
    return 0;
}
