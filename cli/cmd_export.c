/* cli/cmd_export.c: `emomc export RUNDIR --pick ID|knee --format onnx|emw --out FILE`:
 * one solution of a finished compression search as a model file (search/export.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/atomicfile.h"
#include "search/export.h"

#define CMD "export"

int cmd_export(int argc, char **argv)
{
    const char *dir = NULL;
    sp_export_opts o = {-1, SP_EXPORT_ONNX, NULL};
    bool have_format = false;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            printf("usage: emomc export RUNDIR [--pick ID|knee] [--format onnx|emw] --out FILE\n"
                   "  Writes one solution of a finished compression search with its pruned and\n"
                   "  quantized weights (float values on each layer's grid; bits and scale per\n"
                   "  layer as metadata), rebuilt with the search's own code path.\n"
                   "  --pick ID|knee  candidate ID as numbered by 'emomc report', or the knee\n"
                   "                  (the default; chosen on the search accuracy, as the report)\n"
                   "  --format F      onnx (the network as it executes; default for .onnx) or emw\n"
                   "                  (weights for the run's model YAML; default for .emw)\n"
                   "  --out FILE      where to write (atomically)\n");
            return 0;
        }
        if (!strcmp(f, "--pick") || !strcmp(f, "--format") || !strcmp(f, "--out")) {
            if (i + 1 >= argc) return cli_usage_error(CMD, "%s needs a value", f);
            const char *v = argv[++i];
            if (!strcmp(f, "--out")) {
                o.out = v;
            } else if (!strcmp(f, "--format")) {
                if (!strcmp(v, "onnx")) o.format = SP_EXPORT_ONNX;
                else if (!strcmp(v, "emw")) o.format = SP_EXPORT_EMW;
                else return cli_usage_error(CMD, "--format: '%s' (expected onnx or emw)", v);
                have_format = true;
            } else if (!strcmp(v, "knee")) {
                o.pick = -1;
            } else {
                long n;
                int rc = cli_parse_int(CMD, f, v, 0, 1000000, &n);
                if (rc) return rc;
                o.pick = (int)n;
            }
        } else if (f[0] == '-') {
            return cli_usage_error(CMD, "unknown option '%s'", f);
        } else if (!dir) {
            dir = f;
        } else {
            return cli_usage_error(CMD, "unexpected argument '%s'", f);
        }
    }
    if (!dir) return cli_usage_error(CMD, "give the run directory");
    if (!o.out) return cli_usage_error(CMD, "--out is required");
    if (!have_format) {
        size_t n = strlen(o.out);
        if (n > 4 && !strcmp(o.out + n - 4, ".emw")) o.format = SP_EXPORT_EMW;
    }
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
