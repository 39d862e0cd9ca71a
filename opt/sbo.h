/* opt/sbo.h: the surrogate-based optimization loop of the SBO-CTAEA paper (Ferreira,
 * de Barros, Ibrahim, Silva, "Surrogate-based constrained multi-objective
 * optimization for the compression of CNNs").
 *
 *   1. A Latin hypercube sample of N0 points, evaluated truly.
 *   2. Repeat until the budget of true evaluations is spent:
 *      a. for every expensive target (each objective and constraint the problem does
 *         not declare cheap, opt_problem_set_cheap) choose a model among
 *         the candidates by k-fold cross-validation (MSE, MAPE, Spearman) or at random,
 *         and fit it on every true evaluation so far;
 *         (with cheap constraints: on the rows that satisfy them);
 *      b. run C-TAEA (or NSGA-II) on the surrogate problem: the models in place of the
 *         expensive targets, the problem's cheap callback computing the cheap ones
 *         exactly (never predicted), so infill selection sees their true values;
 *      c. from its final population take the rows predicted feasible and
 *         non-dominated that have not been evaluated truly, and pick k of them:
 *         - "random": uniformly, as in the paper;
 *         - "hvi": greedily, the one whose predicted objectives add the most
 *           hypervolume to the true non-dominated feasible set (each pick joins the
 *           set before the next is chosen); reference point: the worst value of each
 *           objective over that set and the candidates, plus 10% of its range;
 *           when no candidate adds any, the rest are drawn at random;
 *         if fewer than k such rows exist, the others come from the rest of that
 *         population (least predicted violation first), then from uniform samples;
 *      d. evaluate them truly (the genotype cache guarantees nothing is evaluated
 *         twice).
 *   The result's evals are all true evaluations in order, and its pop is their
 *   non-dominated set (opt_pareto_set). Deterministic given the seed.
 *
 * The common signature (opt/algorithm.h) maps onto it as follows:
 *   max_evals  budget of true evaluations (default 100 when both it and n_gen are 0)
 *   n_gen      at most this many iterations of step 2 (0: until the budget is spent)
 *   n_initial  N0 (default 50);  n_infill  k (default 2)
 *   pop_size   population of the inner optimizer (default 100 from opt_options)
 *   seed       everything random: LHS, CV folds, model seeds, inner runs, infill
 *   checkpoint_path / resume: the archive and generator after each iteration
 *   variant    comma-separated key=value settings (all optional):
 *     infill=random|hvi                 (random)
 *     metric=mse|mape|spearman|random   (mse) for every target; metric_obj= and
 *       metric_con= set the objectives' and the constraints' alone (the SBO paper's
 *       16 configurations), in the order given
 *     models=knn+rf+gbt+lgbm+gp         (all five)
 *     folds=K                           (5)
 *     inner=ctaea|nsga2                 (ctaea)
 *     inner_gens=G                      (100)
 * The progress callback is called with gen = iteration (0 after the initial sample)
 * and pop = the current non-dominated set. */
#ifndef EMOMC_OPT_SBO_H
#define EMOMC_OPT_SBO_H

#include "../opt/algorithm.h"
#include "../opt/surrogate.h"

typedef enum { OPT_SBO_INFILL_RANDOM = 0, OPT_SBO_INFILL_HVI } opt_sbo_infill;

/* The settings of one run, as parsed from opt_options (see above). */
typedef struct opt_sbo_config {
    long budget;
    int max_iter;          /* 0: no limit */
    int n_initial, n_infill;
    opt_sbo_infill infill;
    opt_cv_metric metric;      /* the objectives' selection metric */
    opt_cv_metric metric_con;  /* the constraints' */
    int n_models;
    opt_surrogate_kind models[OPT_SURROGATE_COUNT];
    int folds;
    opt_algorithm_fn inner;   /* opt_ctaea_run or opt_nsga2_run */
    int inner_pop, inner_gens;
} opt_sbo_config;

/* Resolves the options and variant string into cfg; EM_EINVAL naming the bad key or
 * value. */
int opt_sbo_config_from_options(const opt_options *o, opt_sbo_config *cfg, em_error *err);

int opt_sbo_run(const opt_problem *p, const opt_options *o, opt_result *res, em_error *err);

/* For tests: when set, called after every inner run with its final population (as
 * the surrogate problem saw it: minimized; cheap targets exact, the others predicted)
 * and, per target (n_obj + n_con, objectives first), 1 when a model was fitted for
 * it in that iteration, 0 when not (the cheap targets). Process-wide; NULL clears. */
typedef void (*opt_sbo_inner_hook)(void *user, const opt_pop *inner, const int *fitted,
                                   int n_targets);
void opt_sbo_set_inner_hook(opt_sbo_inner_hook fn, void *user);

/* The "hvi" infill rule on its own: front (nf x m) is the true non-dominated set, cand
 * (nc x m) the candidates' predicted objectives (minimized). Picks up to `want`
 * candidates greedily by hypervolume gain against the reference point described
 * above, each pick joining the front before the next; candidates that add nothing
 * are drawn with rng. pick gets candidate indices; returns their number (min(want,
 * nc)) or a negative em_status. */
int opt_sbo_hvi_pick(const double *front, int nf, const double *cand, int nc, int m,
                     int want, em_rng *rng, int *pick, em_error *err);

#endif
