/* opt/algorithm.h: the one signature every optimizer in opt/ shares (NSGA-II, random
 * search, C-TAEA, the surrogate-based loop), so `emomc optimize` and search/ can call
 * any of them the same way.
 *
 * A run stops after n_gen generations or when max_evals true evaluations are spent,
 * whichever comes first (a zero means "no limit" for that one; at least one must be
 * set). When checkpoint_path is set, the run writes its state there after each
 * generation (opt/checkpoint.h: a small state file replaced atomically, and the new
 * evaluations appended to checkpoint_path.archive); with resume set it starts from
 * them instead of from scratch, and the result is bit-identical to an uninterrupted
 * run. Generations count the initial population as the first (pymoo's convention). */
#ifndef EMOMC_OPT_ALGORITHM_H
#define EMOMC_OPT_ALGORITHM_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../common/rng.h"
#include "../opt/problem.h"

/* Called after every generation, gen counting the initial population as generation 1
 * (pymoo's convention, for every algorithm; sbo: gen = iteration, 0 after its sample).
 * pop is the current population (minimized objectives). Returning non-zero asks the
 * algorithm to stop cleanly after this generation (the checkpoint is already
 * written); the run then returns EM_OK with result->stopped set. */
typedef int (*opt_progress_fn)(void *user, int gen, int n_gen, long n_evals, long max_evals,
                               const opt_pop *pop);

typedef struct opt_options {
    int pop_size;          /* population size (NSGA-II, C-TAEA); batch size (random) */
    int n_gen;             /* generations to run; 0 = bounded by max_evals only */
    long max_evals;        /* budget of true evaluations; 0 = bounded by n_gen only */
    uint64_t seed;
    const char *checkpoint_path; /* NULL: no checkpoint */
    bool resume;           /* start from checkpoint_path (must exist) */
    opt_progress_fn progress;    /* may be NULL */
    void *progress_user;
    /* Algorithm-specific knobs; 0 / NULL means the documented default. */
    double eta_c, eta_m;   /* NSGA-II: SBX and PM distribution indices (15, 20) */
    double p_c;            /* NSGA-II: crossover probability (0.9) */
    double p_m;            /* NSGA-II: per-variable mutation probability (1/n_var) */
    int n_initial;         /* SBO: initial LHS sample size */
    int n_infill;          /* SBO: infill points per iteration */
    const char *variant;   /* free-form, e.g. SBO selection rule; see each algorithm */
} opt_options;

/* Fills every field with its default (pop 100, n_gen 100, seed 1, others 0). */
void opt_options_default(opt_options *o);

typedef struct opt_result {
    opt_pop *pop;     /* final population (algorithm's own notion; for NSGA-II the
                         survivors of the last generation) */
    opt_pop *evals;   /* every true evaluation in order (the evaluator archive) */
    int n_gen;        /* generations completed */
    long n_evals;     /* true evaluations spent (== evals->n) */
    long cache_hits;  /* rows served from the genotype cache */
    bool stopped;     /* stopped early by the progress callback */
} opt_result;

void opt_result_free(opt_result *r); /* frees pop and evals; r itself is caller's */

typedef int (*opt_algorithm_fn)(const opt_problem *p, const opt_options *o, opt_result *res,
                                em_error *err);

/* The algorithms implemented in opt/ core (others declare the same signature in their
 * own headers: opt/ctaea.h, opt/sbo.h). */
int opt_nsga2_run(const opt_problem *p, const opt_options *o, opt_result *res, em_error *err);
int opt_random_run(const opt_problem *p, const opt_options *o, opt_result *res, em_error *err);

/* One uniform random solution: reals uniform in [lo, hi), integers and categories
 * uniform over their values. Used for initial populations and random search. */
void opt_sample_uniform(const opt_problem *p, em_rng *rng, double *x);

/* Non-dominated feasible rows of a population (if none is feasible: the rows of least
 * violation). Returns a new population; ties (identical F) are kept once. */
opt_pop *opt_pareto_set(const opt_pop *pop);

#endif
