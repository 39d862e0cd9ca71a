/* cli/cmd_search.c: `emomc optimize` for the compression problems (emomc-energy,
 * emomc-size, emomc-joint, sbo): a RUN.yaml (--config) and/or flags, run through
 * search/run.h into a run directory. cmd_optimize.c hands these over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/progress.h"
#include "search/mpi.h"
#include "search/run.h"

#define CMD "optimize"

static const char *help =
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
        "     (opt/sbo.h: infill=hvi, metric_obj=mape, metric_con=spearman, inner_gens=G, ...)\n"
        "  --racing [--racing-delta D]   emomc-*: stop measuring a candidate's accuracy\n"
        "     once it is shown dominated with probability >= 1 - D (default 1e-3)\n"
        "  --parallel-candidates K   measure K candidates at once, each forward on\n"
        "     threads/K threads (default 1; same results for every K; not with --racing)\n"
        "  --out RUNDIR (default: runs/<problem>-<model>)  --resume  --quiet  --help\n";

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

static int flag_keep(const char *cmd, const char *f, const char *v, void *ptr)
{
    (void)cmd;
    sp_config *c = ptr;
    return parse_range(f, v, 0, 1, &c->keep_lo, &c->keep_hi);
}

static int flag_bits(const char *cmd, const char *f, const char *v, void *ptr)
{
    (void)cmd;
    sp_config *c = ptr;
    double a, b;
    int rc = parse_range(f, v, 1, 23, &a, &b);
    if (!rc) c->bits_lo = (int)a, c->bits_hi = (int)b;
    return rc;
}

static int flag_enum(const char *cmd, const char *f, const char *v, void *ptr)
{
    sp_config *c = ptr;
    em_error err = {0};
    if (!strcmp(f, "--problem") && sp_kind_parse(v, &c->kind))
        return cli_usage_error(cmd, "--problem: '%s' (expected emomc-energy, emomc-size, "
                               "emomc-joint or sbo)", v);
    if (!strcmp(f, "--protocol") && sp_protocol_parse(v, &c->protocol))
        return cli_usage_error(cmd, "--protocol: '%s' (expected val, test or test-halves)", v);
    if (!strcmp(f, "--bn") && cp_bn_order_parse(v, &c->bn))
        return cli_usage_error(cmd, "--bn: '%s' (expected fold-then-quantize or "
                               "quantize-then-fold)", v);
    if (!strcmp(f, "--dataflow") && df_mapping_parse(v, &c->mapping, &err))
        return cli_usage_error(cmd, "--dataflow: %s", err.msg);
    if (!strcmp(f, "--coding") && coding_kind_parse(v, &c->coding, &err))
        return cli_usage_error(cmd, "--coding: %s", err.msg);
    return 0;
}

/* String flags land in the configuration's fixed buffers (flags override the file). */
typedef struct {
    const char *name, *value;
    char *dst;
    size_t size;
} str_flag;

static int copy_strings(str_flag *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (!s[i].value) continue;
        if (strlen(s[i].value) >= s[i].size) return cli_usage_error(CMD, "%s: value too long", s[i].name);
        strcpy(s[i].dst, s[i].value);
    }
    return 0;
}

typedef struct {
    const char *out;
    bool resume, quiet;
} run_args;

static int parse(int argc, char **argv, sp_config *cfg, run_args *r)
{
    str_flag s[] = {{"--store", NULL, cfg->store, sizeof cfg->store},
                    {"--model", NULL, cfg->model, sizeof cfg->model},
                    {"--weights", NULL, cfg->weights, sizeof cfg->weights},
                    {"--library", NULL, cfg->library, sizeof cfg->library},
                    {"--hw", NULL, cfg->hw, sizeof cfg->hw},
                    {"--data", NULL, cfg->data, sizeof cfg->data},
                    {"--data-root", NULL, cfg->data_root, sizeof cfg->data_root},
                    {"--algorithm", NULL, cfg->algorithm, sizeof cfg->algorithm},
                    {"--variant", NULL, cfg->variant, sizeof cfg->variant}};
    long eval = cfg->eval_images, pop = cfg->pop, gens = cfg->gens, budget = cfg->budget;
    long seed = (long)cfg->seed, threads = cfg->threads;
    long sbo_initial = cfg->sbo_initial, sbo_infill = cfg->sbo_infill;
    long parallel = cfg->parallel_candidates;
    const char *config = NULL;
    const cli_flag flags[] = {
        CLI_STRING("--config", &config, "RUN.yaml"), CLI_STRING("--out", &r->out, "run directory"),
        CLI_STRING(s[0].name, &s[0].value, "store"), CLI_STRING(s[1].name, &s[1].value, "model"),
        CLI_STRING(s[2].name, &s[2].value, "weights"), CLI_STRING(s[3].name, &s[3].value, "library"),
        CLI_STRING(s[4].name, &s[4].value, "target"), CLI_STRING(s[5].name, &s[5].value, "data"),
        CLI_STRING(s[6].name, &s[6].value, "data root"), CLI_STRING(s[7].name, &s[7].value, "algorithm"),
        CLI_STRING(s[8].name, &s[8].value, "sbo settings"),
        CLI_INT("--sbo-initial", &sbo_initial, 2, 1000000, "initial sample"),
        CLI_INT("--sbo-infill", &sbo_infill, 1, 1000000, "infill points"),
        CLI_BOOL("--racing", &cfg->racing, "racing"),
        CLI_DOUBLE("--racing-delta", &cfg->racing_delta, 1e-12, 0.5, "racing delta"),
        CLI_FUNC("--problem", flag_enum, cfg, "problem"), CLI_FUNC("--protocol", flag_enum, cfg, "protocol"),
        CLI_FUNC("--dataflow", flag_enum, cfg, "dataflow"), CLI_FUNC("--coding", flag_enum, cfg, "coding"),
        CLI_FUNC("--bn", flag_enum, cfg, "BN order"),
        CLI_FUNC("--keep", flag_keep, cfg, "keep range"), CLI_FUNC("--bits", flag_bits, cfg, "bits range"),
        CLI_INT("--eval-images", &eval, 0, 100000000, "images per evaluation"),
        CLI_DOUBLE("--energy-budget", &cfg->energy_budget_mj, 0, 1e12, "mJ"),
        CLI_DOUBLE("--size-budget", &cfg->size_budget_kb, 0, 1e12, "KB"),
        CLI_DOUBLE("--tau", &cfg->tau, 0, 1, "tau"),
        CLI_INT("--pop", &pop, 2, 100000, "population"), CLI_INT("--gens", &gens, 0, 10000000, "generations"),
        CLI_INT("--budget", &budget, 0, 1000000000, "evaluations"),
        CLI_INT("--seed", &seed, 0, 1L << 62, "seed"), CLI_INT("--threads", &threads, 0, 1024, "threads"),
        CLI_INT("--parallel-candidates", &parallel, 1, SP_PARALLEL_MAX, "candidates at once"),
        CLI_BOOL("--resume", &r->resume, "continue"), CLI_BOOL("--quiet", &r->quiet, "quiet"), CLI_END};
    int rc = cli_flags_parse(CMD, flags, argc, argv, NULL, help);
    if (!rc) rc = copy_strings(s, (int)(sizeof s / sizeof *s));
    if (rc) return rc;
    cfg->eval_images = (int)eval, cfg->pop = (int)pop, cfg->gens = (int)gens, cfg->budget = budget;
    cfg->seed = (uint64_t)seed, cfg->threads = (int)threads;
    cfg->parallel_candidates = (int)parallel;
    cfg->sbo_initial = (int)sbo_initial, cfg->sbo_infill = (int)sbo_infill;
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
    run_args r = {0};
    /* The configuration file first, so that flags override it; --help before it. */
    const char *config = cli_flags_find(argc, argv, "--config");
    if (config && !cli_flags_wants_help(argc, argv) && sp_config_load(config, &cfg, &err))
        return cli_report(CMD, &err);
    int rc = parse(argc, argv, &cfg, &r);
    if (rc) return rc < 0 ? 0 : rc;
    if (sp_config_validate(&cfg, &err)) return cli_usage_error(CMD, "%s", err.msg);
    char outbuf[1200], cmdline[4096];
    if (!r.out) {
        const char *base = strrchr(cfg.model, '/');
        snprintf(outbuf, sizeof outbuf, "runs/%s-%.200s", sp_kind_name(cfg.kind), base ? base + 1 : cfg.model);
        r.out = outbuf;
    }
    size_t k = 0;
    for (int i = 0; i < argc && k < sizeof cmdline - 2; i++)
        k += (size_t)snprintf(cmdline + k, sizeof cmdline - k, "%s%s", i ? " " : "emomc ", argv[i]);
    progress_ctx pc;
    if (sp_mpi_rank() > 0) r.quiet = 1; /* only rank 0 speaks */
    em_progress_begin(&pc.bar, stderr, r.quiet, "search", cfg.budget > 0 ? cfg.budget : cfg.gens);
    sp_run_opts o = {.out_dir = r.out, .resume = r.resume, .progress = on_progress,
                     .progress_user = &pc, .command_line = cmdline};
    rc = sp_run(&cfg, &o, &err);
    em_progress_end(&pc.bar, rc ? "failed" : "done");
    if (rc) return cli_report(CMD, &err);
    if (!r.quiet) fprintf(stderr, "run directory: %s (emomc report %s; emomc plot %s)\n", r.out, r.out, r.out);
    return 0;
}
