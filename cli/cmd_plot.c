/* cli/cmd_plot.c: `emomc plot RUNDIR [--format png|svg]`: the figures of a compression
 * search, written into RUNDIR/plots/ (search/plotrun.h); `emomc plot --compare
 * RUNDIR...`: the fronts of several runs in one figure (search/plotcompare.h). */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "search/plotcompare.h"
#include "search/plotrun.h"

#define CMD "plot"

static const char *help =
    "usage: emomc plot RUNDIR [--format png|svg]\n"
    "       emomc plot --compare RUNDIR... --out FILE.png|svg [--title T] [--axis energy|size]\n"
    "  Draws RUNDIR/plots/: objective space, fronts per dataflow (or coding),\n"
    "  AScore curves and the knee's per-layer bit depths (gnuplot).\n"
    "  --compare: each run's front (non-dominated on search accuracy and cost) in one\n"
    "  figure, named by its dataflow or coding; a joint run gives one slice per\n"
    "  dataflow (energy) or coding (size); log x when the costs span over 10x. Also\n"
    "  writes FILE.dat (the fronts' data) and FILE-ascore.EXT (the relative AScore of\n"
    "  each front's best pick against r/tau). --axis: the cost (default: the runs').\n";

static int compare(char **dirs, int n, const char *out, const char *title, int axis)
{
    sp_compare_opts o = {out, title, (sp_cost_axis)axis};
    char list[8192];
    em_error err = {0};
    if (sp_plot_compare((const char *const *)dirs, n, &o, list, sizeof list, &err))
        return cli_report(CMD, &err);
    fputs(list, stdout);
    return 0;
}

int cmd_plot(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *title = NULL;
    char *dirs[CLI_TAKE_MAX];
    int fmt = 0, axis = 0, n = 0;
    int taken = cli_take_list(&argc, argv, "--compare", dirs, &n);
    if (taken < 0) return cli_usage_error(CMD, "--compare: at most %d runs", CLI_TAKE_MAX);
    const cli_flag flags[] = {CLI_CHOICE("--format", &fmt, "png|svg", "image format"),
                              CLI_STRING("--out", &out, "--compare: the figure"),
                              CLI_STRING("--title", &title, "--compare: its title"),
                              CLI_CHOICE("--axis", &axis, "auto|energy|size", "--compare: the cost"),
                              CLI_STRING("--compare", NULL, "RUNDIR...: runs to overlay"), CLI_END};
    int rc = cli_flags_parse(CMD, flags, argc, argv, &dir, help);
    if (rc) return rc < 0 ? 0 : rc;
    if (taken) {
        if (dir) return cli_usage_error(CMD, "give the runs after --compare, not before");
        if (n < 1) return cli_usage_error(CMD, "--compare: give at least one run directory");
        return compare(dirs, n, out, title, axis);
    }
    if (!dir) return cli_usage_error(CMD, "give the run directory");
    char list[4096];
    em_error err = {0};
    if (sp_plot_run(dir, fmt ? "svg" : "png", list, sizeof list, &err)) return cli_report(CMD, &err);
    fputs(list, stdout);
    return 0;
}
