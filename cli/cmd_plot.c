/* cli/cmd_plot.c: `emomc plot RUNDIR [--format png|svg]`: the figures of a compression
 * search, written into RUNDIR/plots/ (search/plotrun.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "search/plotrun.h"

#define CMD "plot"

int cmd_plot(int argc, char **argv)
{
    const char *dir = NULL, *fmt = "png";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: emomc plot RUNDIR [--format png|svg]\n"
                   "  Draws RUNDIR/plots/: objective space, fronts per dataflow (or coding),\n"
                   "  AScore curves and the knee's per-layer bit depths (gnuplot).\n");
            return 0;
        }
        if (!strcmp(argv[i], "--format")) {
            if (i + 1 >= argc) return cli_usage_error(CMD, "--format needs png or svg");
            fmt = argv[++i];
            if (strcmp(fmt, "png") && strcmp(fmt, "svg"))
                return cli_usage_error(CMD, "--format: '%s' (expected png or svg)", fmt);
        } else if (argv[i][0] == '-') {
            return cli_usage_error(CMD, "unknown option '%s'", argv[i]);
        } else if (!dir) {
            dir = argv[i];
        } else {
            return cli_usage_error(CMD, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!dir) return cli_usage_error(CMD, "give the run directory");
    char list[4096];
    em_error err = {0};
    if (sp_plot_run(dir, fmt, list, sizeof list, &err)) return cli_report(CMD, &err);
    fputs(list, stdout);
    return 0;
}
