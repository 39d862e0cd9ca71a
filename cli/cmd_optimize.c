/* cli/cmd_optimize.c: `emomc optimize` on the benchmark problems: parses flags, builds
 * the problem, runs the chosen algorithm with a checkpoint in the run directory, and
 * writes the run directory (opt/rundir.h). All the work is in opt/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/progress.h"
#include "opt/algorithm.h"
#include "opt/benchmarks.h"
#include "opt/rundir.h"

/* C-TAEA and the surrogate loop live in their own files, written in parallel with
 * this one; each algorithm is offered once its header is in the tree. */
#if defined(__has_include)
#if __has_include("opt/ctaea.h")
#include "opt/ctaea.h"
#define HAVE_CTAEA 1
#endif
#if __has_include("opt/sbo.h")
#include "opt/sbo.h"
#define HAVE_SBO 1
#endif
#endif

#define CMD "optimize"

static void usage(FILE *out)
{
    fprintf(out,
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
            "  --help             this text\n");
}

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

static const char *flag_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) return NULL;
    return argv[++*i];
}

int cmd_optimize(int argc, char **argv)
{
    /* The compression problems (a --config file, or --problem emomc-*|sbo) belong to
     * the search; the benchmark problems stay here. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config")) return cli_optimize_search(argc, argv);
        if (!strcmp(argv[i], "--problem") && i + 1 < argc &&
            (!strncmp(argv[i + 1], "emomc-", 6) || !strcmp(argv[i + 1], "sbo")))
            return cli_optimize_search(argc, argv);
    }
    const char *problem = NULL, *algorithm = "nsga2", *out = NULL, *variant = NULL;
    long pop = 100, gens = -1, budget = 0, seed = 1, n_var = 0, n_obj = 0;
    int resume = 0, quiet = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--resume")) {
            resume = 1;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--problem") || !strcmp(a, "--algorithm") || !strcmp(a, "--out") ||
                   !strcmp(a, "--variant") || !strcmp(a, "--pop") || !strcmp(a, "--gens") ||
                   !strcmp(a, "--budget") || !strcmp(a, "--seed") || !strcmp(a, "--n-var") ||
                   !strcmp(a, "--n-obj")) {
            if (!(v = flag_value(argc, argv, &i))) return cli_usage_error(CMD, "%s needs a value", a);
            int rc = 0;
            if (!strcmp(a, "--problem")) problem = v;
            else if (!strcmp(a, "--algorithm")) algorithm = v;
            else if (!strcmp(a, "--out")) out = v;
            else if (!strcmp(a, "--variant")) variant = v;
            else if (!strcmp(a, "--pop")) rc = cli_parse_int(CMD, a, v, 2, 1000000, &pop);
            else if (!strcmp(a, "--gens")) rc = cli_parse_int(CMD, a, v, 1, 100000000, &gens);
            else if (!strcmp(a, "--budget")) rc = cli_parse_int(CMD, a, v, 1, 1000000000, &budget);
            else if (!strcmp(a, "--seed")) rc = cli_parse_int(CMD, a, v, 0, 2147483647L, &seed);
            else if (!strcmp(a, "--n-var")) rc = cli_parse_int(CMD, a, v, 1, 100000, &n_var);
            else if (!strcmp(a, "--n-obj")) rc = cli_parse_int(CMD, a, v, 2, 15, &n_obj);
            if (rc) return rc;
        } else {
            return cli_usage_error(CMD, "unknown option '%s'", a);
        }
    }
    if (!problem) return cli_usage_error(CMD, "--problem is required");
    if (!out) return cli_usage_error(CMD, "--out is required");

    opt_algorithm_fn run = NULL;
    if (!strcmp(algorithm, "nsga2")) run = opt_nsga2_run;
    else if (!strcmp(algorithm, "random")) run = opt_random_run;
#ifdef HAVE_CTAEA
    else if (!strcmp(algorithm, "ctaea")) run = opt_ctaea_run;
#endif
#ifdef HAVE_SBO
    else if (!strcmp(algorithm, "sbo")) run = opt_sbo_run;
#endif
    else if (!strcmp(algorithm, "ctaea") || !strcmp(algorithm, "sbo"))
        return cli_usage_error(CMD, "--algorithm %s: not available yet in this build", algorithm);
    else return cli_usage_error(CMD, "--algorithm: unknown '%s' (nsga2, ctaea, random, sbo)", algorithm);

    em_error err = {0};
    opt_problem *p = NULL;
    if (opt_benchmark_new(problem, (int)n_var, (int)n_obj, &p, &err)) {
        fprintf(stderr, "emomc %s: --problem/--n-var/--n-obj: %s\n(see 'emomc %s --help')\n",
                CMD, err.msg, CMD);
        return 2;
    }

    opt_options o;
    opt_options_default(&o);
    o.pop_size = (int)pop;
    o.n_gen = gens > 0 ? (int)gens : budget > 0 ? 0 : 100;
    o.max_evals = budget;
    o.seed = (uint64_t)seed;
    o.variant = variant;
    o.resume = resume;

    char ckpt[4096];
    int status = 0;
    if (opt_rundir_path(out, "checkpoint", ckpt, sizeof ckpt, &err)) {
        status = cli_report(CMD, &err);
        goto done;
    }
    if (resume && access(ckpt, R_OK) != 0) {
        status = cli_usage_error(CMD, "--resume: %s does not exist", ckpt);
        goto done;
    }
    if (opt_rundir_prepare(out, &err)) {
        status = cli_report(CMD, &err);
        goto done;
    }
    o.checkpoint_path = ckpt;

    progress_ctx pc;
    memset(&pc, 0, sizeof pc);
    pc.by_evals = o.n_gen <= 0;
    pc.total = pc.by_evals ? budget : o.n_gen;
    char label[96];
    snprintf(label, sizeof label, "%s on %s", algorithm, problem);
    em_progress_begin(&pc.bar, stderr, quiet, label, pc.total);
    o.progress = on_progress;
    o.progress_user = &pc;

    double t0 = em_now_seconds();
    opt_result res;
    memset(&res, 0, sizeof res);
    if (run(p, &o, &res, &err)) {
        em_progress_end(&pc.bar, "failed");
        status = cli_report(CMD, &err);
        goto done;
    }
    double secs = em_now_seconds() - t0;
    em_progress_end(&pc.bar, "done");

    /* the true front and reference point for summary.json */
    double *front = NULL, ref[16];
    int n_front = 0;
    if (p->front && p->front(p, 1000, &front, &n_front, &err)) {
        status = cli_report(CMD, &err);
        opt_result_free(&res);
        goto done;
    }
    opt_benchmark_ref_point(p, ref);

    char cmdline[2048] = "emomc optimize";
    for (int i = 1; i < argc; i++) {
        size_t len = strlen(cmdline);
        snprintf(cmdline + len, sizeof cmdline - len, " %s", argv[i]);
    }
    opt_rundir_info info = {
        .algorithm = algorithm,
        .options = &o,
        .command_line = cmdline,
        .seconds = secs,
        .ref = ref,
        .front = front,
        .n_front = n_front,
        .true_hv = opt_benchmark_true_hv(p, ref),
        .ref_source = opt_benchmark_ref_source(p),
    };
    if (opt_rundir_write(out, p, &res, &info, &err)) {
        status = cli_report(CMD, &err);
    } else if (!quiet) {
        printf("%s on %s: %d generations, %ld evaluations (%ld cache hits) in %.2f s -> %s\n",
               algorithm, problem, res.n_gen, res.n_evals, res.cache_hits, secs, out);
    }
    free(front);
    opt_result_free(&res);
done:
    opt_problem_free(p);
    return status;
}
