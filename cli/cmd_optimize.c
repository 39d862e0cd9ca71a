/* cli/cmd_optimize.c: `emomc optimize` on the benchmark problems: flags -> the problem
 * and an opt_bench_run -> opt_bench_run_go (opt/benchrun.h: the algorithm, its
 * checkpoint, the run directory) -> the summary line. The compression problems go to
 * cmd_search.c. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/progress.h"
#include "opt/benchmarks.h"
#include "opt/benchrun.h"
#include "opt/rundir.h"

#define CMD "optimize"

static const char *help =
            "usage: emomc optimize --problem NAME --out RUNDIR [options]\n"
            "       emomc optimize --config RUN.yaml ...   (compression search: see --config --help)\n"
            "\n"
            "Multi-objective optimization of a benchmark problem with a known Pareto front.\n"
            "Writes RUNDIR/{run.yaml, evaluations.csv, population.csv, front.csv, archive.csv,\n"
            "summary.json, checkpoint, checkpoint.archive}: front.csv is the non-dominated set\n"
            "of the final population (pymoo's res.F), archive.csv that of every evaluation;\n"
            "pareto.csv (deprecated, one release) is a copy of archive.csv.\n"
            "\n"
            "  --problem NAME     zdt1 zdt2 zdt3 zdt4 zdt6 dtlz1 dtlz2 dtlz3 dtlz4\n"
            "                     c1dtlz1 c1dtlz3 c2dtlz2 c3dtlz4\n"
            "                     mixed (integer and categorical variables, a maximized\n"
            "                     objective, 165 genotypes: duplicates and the cache)\n"
            "  --algorithm A      nsga2 (default), ctaea, random, sbo\n"
            "  --pop N            population size (default 100)\n"
            "  --gens G           generations, the initial population counting as the first\n"
            "                     (default 100 unless --budget is given; for sbo: iterations)\n"
            "  --budget B         maximum number of true evaluations\n"
            "  --seed S           random seed (default 1)\n"
            "  --n-var V          number of variables (default: the problem's usual one)\n"
            "  --n-obj M          number of objectives, DTLZ family only (default 3)\n"
            "  --variant STR      algorithm settings, e.g. for sbo \"infill=hvi,metric=mse\"\n"
            "  --out RUNDIR       run directory (created if needed)\n"
            "  --resume           continue from RUNDIR/checkpoint (same problem, algorithm,\n"
            "                     seed and population); --gens may be raised to extend a run\n"
            "  --quiet            no progress line\n"
            "  --help             this text\n";

typedef struct progress_ctx {
    em_progress bar;
    long total;
    int by_evals;
} progress_ctx;

static int on_progress(void *user, int gen, int n_gen, long n_evals, long max_evals,
                       const opt_pop *pop)
{
    (void)n_gen, (void)max_evals;
    progress_ctx *c = user;
    char extra[96];
    snprintf(extra, sizeof extra, "gen %d, %ld evaluations, population %d", gen, n_evals, pop->n);
    em_progress_update(&c->bar, c->by_evals ? n_evals : gen, extra);
    return 0;
}

typedef struct {
    const char *problem, *algorithm, *out, *variant;
    long pop, gens, budget, seed, n_var, n_obj;
    bool resume, quiet;
} bench_args;

static int parse(int argc, char **argv, bench_args *a)
{
    const cli_flag flags[] = {
        CLI_STRING("--problem", &a->problem, "benchmark problem"),
        CLI_STRING("--algorithm", &a->algorithm, "nsga2, ctaea, random, sbo"),
        CLI_STRING("--out", &a->out, "run directory"), CLI_STRING("--variant", &a->variant, "settings"),
        CLI_INT("--pop", &a->pop, 2, 1000000, "population"),
        CLI_INT("--gens", &a->gens, 1, 100000000, "generations"),
        CLI_INT("--budget", &a->budget, 1, 1000000000, "evaluations"),
        CLI_INT("--seed", &a->seed, 0, 2147483647L, "seed"),
        CLI_INT("--n-var", &a->n_var, 1, 100000, "variables"),
        CLI_INT("--n-obj", &a->n_obj, 2, 15, "objectives"),
        CLI_BOOL("--resume", &a->resume, "continue"), CLI_BOOL("--quiet", &a->quiet, "quiet"),
        CLI_END};
    int rc = cli_flags_parse(CMD, flags, argc, argv, NULL, help);
    if (rc) return rc;
    const cli_required need[] = {{"--problem", a->problem != NULL, NULL},
                                 {"--out", a->out != NULL, NULL}};
    if ((rc = cli_flags_require(CMD, need, 2))) return rc;
    if (!opt_algorithm_by_name(a->algorithm))
        return cli_usage_error(CMD, "--algorithm: unknown '%s' (nsga2, ctaea, random, sbo)",
                               a->algorithm);
    char ckpt[4096];
    em_error err = {0};
    if (opt_rundir_path(a->out, "checkpoint", ckpt, sizeof ckpt, &err)) return cli_report(CMD, &err);
    if (a->resume && access(ckpt, R_OK) != 0)
        return cli_usage_error(CMD, "--resume: %s does not exist", ckpt);
    return 0;
}

/* Whether argv names a compression problem (a --config file, or --problem emomc-*|sbo). */
static bool is_search(int argc, char **argv)
{
    const char *p = cli_flags_find(argc, argv, "--problem");
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--config")) return true;
    return p && (!strncmp(p, "emomc-", 6) || !strcmp(p, "sbo"));
}

static void command_line(int argc, char **argv, char *buf, size_t n)
{
    snprintf(buf, n, "emomc optimize");
    for (int i = 1; i < argc; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, " %s", argv[i]);
    }
}

int cmd_optimize(int argc, char **argv)
{
    if (is_search(argc, argv)) return cli_optimize_search(argc, argv);
    bench_args a = {.algorithm = "nsga2", .pop = 100, .gens = -1, .seed = 1};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    em_error err = {0};
    opt_problem *p = NULL;
    if (opt_benchmark_new(a.problem, (int)a.n_var, (int)a.n_obj, &p, &err)) {
        fprintf(stderr, "emomc %s: --problem/--n-var/--n-obj: %s\n(see 'emomc %s --help')\n",
                CMD, err.msg, CMD);
        return 2;
    }
    char cmdline[2048], label[96];
    command_line(argc, argv, cmdline, sizeof cmdline);
    opt_bench_run run = {.algorithm = a.algorithm, .out_dir = a.out, .command_line = cmdline};
    opt_options *o = &run.options;
    opt_options_default(o);
    o->pop_size = (int)a.pop;
    o->n_gen = a.gens > 0 ? (int)a.gens : a.budget > 0 ? 0 : 100;
    o->max_evals = a.budget;
    o->seed = (uint64_t)a.seed;
    o->variant = a.variant;
    o->resume = a.resume;
    progress_ctx pc = {.by_evals = o->n_gen <= 0};
    pc.total = pc.by_evals ? a.budget : o->n_gen;
    snprintf(label, sizeof label, "%s on %s", a.algorithm, a.problem);
    em_progress_begin(&pc.bar, stderr, a.quiet, label, pc.total);
    o->progress = on_progress;
    o->progress_user = &pc;
    opt_bench_result r;
    rc = opt_bench_run_go(p, &run, &r, &err);
    em_progress_end(&pc.bar, rc ? "failed" : "done");
    if (rc) rc = cli_report(CMD, &err);
    else if (!a.quiet)
        printf("%s on %s: %d generations, %ld evaluations (%ld cache hits) in %.2f s -> %s\n",
               a.algorithm, a.problem, r.n_gen, r.n_evals, r.cache_hits, r.seconds, a.out);
    opt_problem_free(p);
    return rc;
}
