/* cli/cmd_report.c: `emomc report RUNDIR`: the tables of a finished compression
 * search (search/report.h). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/atomicfile.h"
#include "search/fronts.h"
#include "search/report.h"

#define CMD "report"

static const char *help =
    "usage: emomc report RUNDIR [--budget X] [--max-loss P] [--pick N] [--out FILE]\n"
    "       emomc report --joint-vs JOINTDIR RUNDIR... [--out FILE]\n"
    "  Tables of a compression search: the non-dominated set with search and\n"
    "  final accuracies, the knee, the best AScore for r/tau = 5, 1, 0.2, the best\n"
    "  accuracy within --budget (mJ or KB, the run's cost objective), and for the\n"
    "  knee (or --pick N) its energy per dataflow and size per coding against the\n"
    "  uncompressed model (EMOMC Tables II and III). --max-loss P tabulates instead\n"
    "  the cheapest solution whose search accuracy is within P percentage points of\n"
    "  the uncompressed model's (final accuracy printed beside).\n"
    "  --joint-vs: the joint 3-objective run against separate energy or size runs by\n"
    "  hypervolume at the joint run's number of evaluations, per dataflow or coding.\n";

/* The text of `--joint-vs JOINT SEP...` into mem. */
static int joint_vs(char **dirs, int n, FILE *mem, em_error *err)
{
    if (n < 2) {
        em_fail(err, EM_EINVAL, "--joint-vs: give the joint run, then separate runs");
        return 2;
    }
    sp_joint_row rows[CLI_TAKE_MAX];
    int rc = sp_joint_vs_separate(dirs[0], (const char *const *)dirs + 1, n - 1, rows, err);
    if (!rc) sp_joint_print(mem, dirs[0], rows, n - 1);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    sp_report_opts o = {0, -1, 0, 0};
    long pick = -1;
    double max_loss = -1;
    const cli_flag flags[] = {
        CLI_DOUBLE("--budget", &o.budget, 0, 1e12, "cost budget (mJ or KB)"),
        CLI_DOUBLE("--max-loss", &max_loss, 0, 100, "accuracy loss in percentage points"),
        CLI_INT("--pick", &pick, 0, 1000000, "candidate to detail"),
        CLI_STRING("--out", &out, "write there instead of standard output"),
        CLI_STRING("--joint-vs", NULL, "JOINTDIR RUNDIR...: joint vs separate by hypervolume"),
        CLI_END};
    char *jdirs[CLI_TAKE_MAX];
    int nj = 0, joint = cli_take_list(&argc, argv, "--joint-vs", jdirs, &nj);
    if (joint < 0) return cli_usage_error(CMD, "--joint-vs: at most %d runs", CLI_TAKE_MAX);
    int rc = cli_flags_parse(CMD, flags, argc, argv, &dir, help);
    if (rc) return rc < 0 ? 0 : rc;
    if (joint && dir) return cli_usage_error(CMD, "--joint-vs takes the run directories after it");
    if (!dir && !joint) return cli_usage_error(CMD, "give the run directory");
    o.pick = (int)pick;
    o.use_max_loss = max_loss >= 0;
    o.max_loss = max_loss;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) return 1;
    em_error err = {0};
    rc = joint ? joint_vs(jdirs, nj, mem, &err) : sp_report(dir, mem, &o, &err);
    fclose(mem);
    if (!rc && out) rc = em_atomic_write(out, buf, len, &err);
    else if (!rc) fwrite(buf, 1, len, stdout);
    free(buf);
    return rc ? cli_report(CMD, &err) : 0;
}
