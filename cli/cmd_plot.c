/* cli/cmd_plot.c: `emomc plot RUNDIR [--format png|svg]`: the figures of a compression
 * search, written into RUNDIR/plots/ (search/plotrun.h). */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "search/plotrun.h"

#define CMD "plot"

static const char *help =
    "usage: emomc plot RUNDIR [--format png|svg]\n"
    "  Draws RUNDIR/plots/: objective space, fronts per dataflow (or coding),\n"
    "  AScore curves and the knee's per-layer bit depths (gnuplot).\n";

int cmd_plot(int argc, char **argv)
{
    const char *dir = NULL;
    int fmt = 0;
    const cli_flag flags[] = {CLI_CHOICE("--format", &fmt, "png|svg", "image format"), CLI_END};
    int rc = cli_flags_parse(CMD, flags, argc, argv, &dir, help);
    if (rc) return rc < 0 ? 0 : rc;
    if (!dir) return cli_usage_error(CMD, "give the run directory");
    char list[4096];
    em_error err = {0};
    if (sp_plot_run(dir, fmt ? "svg" : "png", list, sizeof list, &err)) return cli_report(CMD, &err);
    fputs(list, stdout);
    return 0;
}
