/* cli/cmd_demo.c: `emomc demo`: the embedded default, end to end, from a clean clone:
 * the zoo's LeNet-5 and its small stage-I library, the MNIST test file shipped in
 * data/mnist (search on its first half, report on the second), an accuracy-energy
 * search under X:Y on the VU9P target, then the report and the plots. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/datapath.h"
#include "common/progress.h"
#include "search/plotrun.h"
#include "search/report.h"
#include "search/run.h"

#define CMD "demo"

static int on_progress(void *user, int gen, int n_gen, long n_evals, long max_evals,
                       const opt_pop *pop)
{
    (void)max_evals, (void)pop, (void)n_gen;
    char extra[64];
    snprintf(extra, sizeof extra, "%ld evaluations", n_evals);
    em_progress_update(user, gen, extra);
    return 0;
}

static const char *help =
    "usage: emomc demo [--out RUNDIR] [--pop N] [--gens G] [--quiet]\n"
    "  LeNet-5 (zoo) + its small stage-I library + the shipped MNIST test file:\n"
    "  accuracy vs energy under X:Y on the VU9P target (NSGA-II), then the report\n"
    "  and the plots in RUNDIR (default out/demo).\n";

/* The shipped model, library and data, into cfg (false when one is missing). */
static bool find_shipped(sp_config *cfg)
{
    if (!em_find_data_file("models", "lenet5-mnist", ".emw", cfg->weights, sizeof cfg->weights) ||
        !em_find_data_file("models", "lenet5-mnist-library", "/index.csv", cfg->library,
                           sizeof cfg->library) ||
        !em_find_data_file("data", "mnist/t10k-labels-idx1-ubyte", ".gz", cfg->data,
                           sizeof cfg->data))
        return false;
    *strrchr(cfg->library, '/') = '\0';
    *strrchr(cfg->data, '/') = '\0';
    return true;
}

int cmd_demo(int argc, char **argv)
{
    const char *out = "out/demo";
    bool quiet = false;
    long pop = 24, gens = 25;
    const cli_flag flags[] = {
        CLI_STRING("--out", &out, "run directory"),
        CLI_INT("--pop", &pop, 4, 10000, "population size"),
        CLI_INT("--gens", &gens, 1, 100000, "generations"),
        CLI_BOOL("--quiet", &quiet, "no progress"), CLI_END};
    int rc = cli_flags_parse(CMD, flags, argc, argv, NULL, help);
    if (rc) return rc < 0 ? 0 : rc;
    sp_config cfg;
    sp_config_default(&cfg);
    cfg.kind = SP_EMOMC_ENERGY;
    if (!find_shipped(&cfg)) {
        fprintf(stderr, "emomc demo: error: the shipped LeNet-5 (models/lenet5-mnist.emw), its "
                        "library (models/lenet5-mnist-library/) or data/mnist/ is missing; run "
                        "from the source tree or set EMOMC_HOME\n");
        return 1;
    }
    snprintf(cfg.model, sizeof cfg.model, "lenet5");
    snprintf(cfg.hw, sizeof cfg.hw, "vu9p");
    cfg.protocol = SP_PROTO_TEST_HALVES;
    cfg.eval_images = 2000; /* of the 5,000 search images: an estimate; the final set is re-measured on all 5,000 others */
    cfg.mapping = df_mapping_builtin(DF_XY);
    cfg.pop = (int)pop;
    cfg.gens = (int)gens;
    em_progress bar;
    em_progress_begin(&bar, stderr, quiet, "demo search", gens);
    if (!quiet)
        fprintf(stderr, "emomc demo: LeNet-5 on MNIST, accuracy vs energy under X:Y on VU9P "
                        "(NSGA-II, population %ld, %ld generations) -> %s\n", pop, gens, out);
    sp_run_opts o = {.out_dir = out, .progress = on_progress, .progress_user = &bar,
                     .command_line = "emomc demo"};
    em_error err = {0};
    rc = sp_run(&cfg, &o, &err);
    em_progress_end(&bar, rc ? "failed" : "done");
    if (rc) return cli_report(CMD, &err);
    sp_report_opts ro = {.budget = 0, .pick = -1};
    if (sp_report(out, stdout, &ro, &err)) return cli_report(CMD, &err);
    char list[4096];
    if (sp_plot_run(out, "png", list, sizeof list, &err)) return cli_report(CMD, &err);
    printf("\nplots:\n%s", list);
    return 0;
}
