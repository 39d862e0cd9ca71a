/* cli/cmd_search.c: `emomc optimize` for the compression problems (emomc-energy,
 * emomc-size, emomc-joint, sbo): a RUN.yaml (--config) and/or flags, run through
 * search/run.h into a run directory. cmd_optimize.c hands these over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/progress.h"
#include "search/mpi.h"
#include "search/run.h"

#define CMD "optimize"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: emomc optimize --config RUN.yaml [--out RUNDIR] [options]\n"
        "       emomc optimize --problem emomc-energy|emomc-size|emomc-joint|sbo --model M ... --out RUNDIR\n"
        "\n"
        "Compression search. Flags override the configuration file (docs/search.md):\n"
        "  --model M --weights W.emw --library DIR --hw H\n"
        "  --data SPEC [--data-root DIR] --protocol val|test|test-halves --eval-images N\n"
        "  --dataflow D --coding C --keep LO:HI --bits LO:HI\n"
        "  --store FILE|none   evaluation store (SQLite) shared by runs; default\n"
        "     RUNDIR/store.sqlite; accuracies found there are not measured again\n"
        "  --bn fold-then-quantize|quantize-then-fold   batch norm folded into the convs\n"
        "     before their weights are quantized (the default: the weights executed are\n"
        "     on the q-bit grid), or after (emomc's old order); config key 'bn'\n"
        "  --energy-budget MJ --size-budget KB --tau T\n"
        "  --algorithm nsga2|ctaea|random|sbo --pop N --gens G --budget B --seed S --threads T\n"
        "  --sbo-initial N --sbo-infill K --variant STR   sbo: Latin hypercube size\n"
        "     (default min(50, budget/2)), infill points per iteration (2), settings\n"
        "     (opt/sbo.h: infill=hvi, models=gp+knn, inner_gens=G, ...)\n"
        "  --racing [--racing-delta D]   emomc-*: stop measuring a candidate's accuracy\n"
        "     once it is shown dominated with probability >= 1 - D (default 1e-3)\n"
        "  --out RUNDIR (default: runs/<problem>-<model>)  --resume  --quiet  --help\n");
}

static int parse_range(const char *flag, const char *s, double lo, double hi, double *a, double *b)
{
    const char *colon = strchr(s, ':');
    if (!colon) return cli_usage_error(CMD, "%s: expected LOW:HIGH, got '%s'", flag, s);
    char left[64];
    size_t n = (size_t)(colon - s);
    if (n >= sizeof left) return cli_usage_error(CMD, "%s: '%s' is too long", flag, s);
    memcpy(left, s, n);
    left[n] = '\0';
    int rc = cli_parse_double(CMD, flag, left, lo, hi, a);
    if (!rc) rc = cli_parse_double(CMD, flag, colon + 1, lo, hi, b);
    if (!rc && *a > *b) rc = cli_usage_error(CMD, "%s: low %g above high %g", flag, *a, *b);
    return rc;
}

static int copy_arg(char *dst, size_t n, const char *flag, const char *v)
{
    if (strlen(v) >= n) return cli_usage_error(CMD, "%s: value too long", flag);
    strcpy(dst, v);
    return 0;
}

typedef struct {
    em_progress bar;
    long total;
} progress_ctx;

static int on_progress(void *user, int gen, int n_gen, long n_evals, long max_evals,
                       const opt_pop *pop)
{
    (void)n_gen, (void)max_evals, (void)pop;
    progress_ctx *c = user;
    char extra[96];
    snprintf(extra, sizeof extra, "gen %d, %ld evaluations", gen, n_evals);
    em_progress_update(&c->bar, max_evals > 0 ? n_evals : gen, extra);
    return 0;
}

int cli_optimize_search(int argc, char **argv)
{
    sp_config cfg;
    sp_config_default(&cfg);
    em_error err = {0};
    const char *out = NULL;
    int resume = 0, quiet = 0, rc = 0;
    /* The configuration file first, so that flags override it. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) return cli_usage_error(CMD, "--config needs a file");
            if (sp_config_load(argv[i + 1], &cfg, &err)) return cli_report(CMD, &err);
        }
    }
    for (int i = 1; i < argc && !rc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--resume")) { resume = 1; continue; }
        if (!strcmp(f, "--quiet")) { quiet = 1; continue; }
        if (!strcmp(f, "--racing")) { cfg.racing = true; continue; }
        if (i + 1 >= argc) return cli_usage_error(CMD, "unknown or incomplete option '%s'", f);
        const char *v = argv[++i];
        double a, b;
        long n;
        if (!strcmp(f, "--config")) continue;
        else if (!strcmp(f, "--out")) out = v;
        else if (!strcmp(f, "--store")) rc = copy_arg(cfg.store, sizeof cfg.store, f, v);
        else if (!strcmp(f, "--problem")) {
            if (sp_kind_parse(v, &cfg.kind))
                rc = cli_usage_error(CMD, "--problem: '%s' (expected emomc-energy, emomc-size, "
                                     "emomc-joint or sbo)", v);
        }
        else if (!strcmp(f, "--model")) rc = copy_arg(cfg.model, sizeof cfg.model, f, v);
        else if (!strcmp(f, "--weights")) rc = copy_arg(cfg.weights, sizeof cfg.weights, f, v);
        else if (!strcmp(f, "--library")) rc = copy_arg(cfg.library, sizeof cfg.library, f, v);
        else if (!strcmp(f, "--hw")) rc = copy_arg(cfg.hw, sizeof cfg.hw, f, v);
        else if (!strcmp(f, "--data")) rc = copy_arg(cfg.data, sizeof cfg.data, f, v);
        else if (!strcmp(f, "--data-root")) rc = copy_arg(cfg.data_root, sizeof cfg.data_root, f, v);
        else if (!strcmp(f, "--protocol")) {
            if (sp_protocol_parse(v, &cfg.protocol))
                rc = cli_usage_error(CMD, "--protocol: '%s' (expected val, test or test-halves)", v);
        }
        else if (!strcmp(f, "--eval-images")) {
            if (!(rc = cli_parse_int(CMD, f, v, 0, 100000000, &n))) cfg.eval_images = (int)n;
        }
        else if (!strcmp(f, "--dataflow")) {
            if (df_mapping_parse(v, &cfg.mapping, &err)) rc = cli_usage_error(CMD, "--dataflow: %s", err.msg);
        }
        else if (!strcmp(f, "--coding")) {
            if (coding_kind_parse(v, &cfg.coding, &err)) rc = cli_usage_error(CMD, "--coding: %s", err.msg);
        }
        else if (!strcmp(f, "--keep")) {
            if (!(rc = parse_range(f, v, 0, 1, &a, &b))) cfg.keep_lo = a, cfg.keep_hi = b;
        }
        else if (!strcmp(f, "--bits")) {
            if (!(rc = parse_range(f, v, 1, 23, &a, &b))) cfg.bits_lo = (int)a, cfg.bits_hi = (int)b;
        }
        else if (!strcmp(f, "--bn")) {
            if (cp_bn_order_parse(v, &cfg.bn))
                rc = cli_usage_error(CMD, "--bn: '%s' (expected fold-then-quantize or "
                                     "quantize-then-fold)", v);
        }
        else if (!strcmp(f, "--energy-budget")) rc = cli_parse_double(CMD, f, v, 0, 1e12, &cfg.energy_budget_mj);
        else if (!strcmp(f, "--size-budget")) rc = cli_parse_double(CMD, f, v, 0, 1e12, &cfg.size_budget_kb);
        else if (!strcmp(f, "--tau")) rc = cli_parse_double(CMD, f, v, 0, 1, &cfg.tau);
        else if (!strcmp(f, "--algorithm")) rc = copy_arg(cfg.algorithm, sizeof cfg.algorithm, f, v);
        else if (!strcmp(f, "--pop")) { if (!(rc = cli_parse_int(CMD, f, v, 2, 100000, &n))) cfg.pop = (int)n; }
        else if (!strcmp(f, "--gens")) { if (!(rc = cli_parse_int(CMD, f, v, 0, 10000000, &n))) cfg.gens = (int)n; }
        else if (!strcmp(f, "--budget")) { if (!(rc = cli_parse_int(CMD, f, v, 0, 1000000000, &n))) cfg.budget = n; }
        else if (!strcmp(f, "--seed")) { if (!(rc = cli_parse_int(CMD, f, v, 0, 1L << 62, &n))) cfg.seed = (uint64_t)n; }
        else if (!strcmp(f, "--threads")) { if (!(rc = cli_parse_int(CMD, f, v, 0, 1024, &n))) cfg.threads = (int)n; }
        else if (!strcmp(f, "--sbo-initial")) { if (!(rc = cli_parse_int(CMD, f, v, 2, 1000000, &n))) cfg.sbo_initial = (int)n; }
        else if (!strcmp(f, "--sbo-infill")) { if (!(rc = cli_parse_int(CMD, f, v, 1, 1000000, &n))) cfg.sbo_infill = (int)n; }
        else if (!strcmp(f, "--variant")) rc = copy_arg(cfg.variant, sizeof cfg.variant, f, v);
        else if (!strcmp(f, "--racing-delta")) rc = cli_parse_double(CMD, f, v, 1e-12, 0.5, &cfg.racing_delta);
        else rc = cli_usage_error(CMD, "unknown option '%s'", f);
    }
    if (rc) return rc;
    if (sp_config_validate(&cfg, &err)) return cli_usage_error(CMD, "%s", err.msg);
    char outbuf[1200];
    if (!out) {
        const char *base = strrchr(cfg.model, '/');
        snprintf(outbuf, sizeof outbuf, "runs/%s-%.200s", sp_kind_name(cfg.kind), base ? base + 1 : cfg.model);
        out = outbuf;
    }
    char cmdline[4096];
    size_t k = 0;
    for (int i = 0; i < argc && k < sizeof cmdline - 2; i++)
        k += (size_t)snprintf(cmdline + k, sizeof cmdline - k, "%s%s", i ? " " : "emomc ", argv[i]);
    progress_ctx pc;
    if (sp_mpi_rank() > 0) quiet = 1; /* only rank 0 speaks */
    em_progress_begin(&pc.bar, stderr, quiet, "search", cfg.budget > 0 ? cfg.budget : cfg.gens);
    sp_run_opts o = {.out_dir = out, .resume = resume, .progress = on_progress,
                     .progress_user = &pc, .command_line = cmdline};
    rc = sp_run(&cfg, &o, &err);
    em_progress_end(&pc.bar, rc ? "failed" : "done");
    if (rc) return cli_report(CMD, &err);
    if (!quiet) fprintf(stderr, "run directory: %s (emomc report %s; emomc plot %s)\n", out, out, out);
    return 0;
}
