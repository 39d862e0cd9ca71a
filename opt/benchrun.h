/* opt/benchrun.h: one benchmark problem run, whole, as `emomc optimize --problem
 * zdt1 ...` does it: an algorithm by name, a checkpoint in the run directory
 * (resumable), and the run directory written with the true front and reference
 * point in summary.json (opt/rundir.h). Nothing here prints. */
#ifndef EMOMC_OPT_BENCHRUN_H
#define EMOMC_OPT_BENCHRUN_H

#include <stdbool.h>

#include "../common/error.h"
#include "../opt/algorithm.h"
#include "../opt/problem.h"

/* The algorithm of a name: nsga2, ctaea, random or sbo (NULL for another name). */
opt_algorithm_fn opt_algorithm_by_name(const char *name);

typedef struct opt_bench_run {
    const char *algorithm;       /* a name opt_algorithm_by_name knows */
    const char *out_dir;
    const char *command_line;    /* for run.yaml (may be NULL) */
    opt_options options;         /* pop size, generations, budget, seed, variant, resume,
                                    progress; checkpoint_path is set here */
} opt_bench_run;

typedef struct opt_bench_result {
    int n_gen;
    long n_evals, cache_hits;
    double seconds;
} opt_bench_result;

/* Runs p (the caller keeps it) and writes the run directory. */
int opt_bench_run_go(const opt_problem *p, const opt_bench_run *run, opt_bench_result *out,
                     em_error *err);

#endif
