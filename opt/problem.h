/* opt/problem.h: what an optimization problem is to opt/, and the population that
 * algorithms pass around.
 *
 * A problem is typed variables, n_obj objectives and n_con inequality constraints,
 * evaluated by a batched callback. opt/ knows nothing of what the callback computes.
 *
 * Conventions (everything inside opt/ relies on them):
 *  - Variables are stored as doubles. A real variable lies in [lo, hi]; an integer
 *    variable holds an integral value in [lo, hi]; a categorical variable holds a
 *    category index 0 .. n_cat-1 (lo = 0, hi = n_cat-1 are set by opt_var_cat).
 *  - The callback writes objectives in their natural sense. opt_problem_evaluate()
 *    negates every objective whose maximize flag is set, so that inside opt/ every
 *    objective is minimized. Reports (opt/rundir.h) negate them back.
 *  - A constraint g is satisfied when g <= 0. The constraint violation of a solution
 *    is CV = sum_j max(0, g_j); CV == 0 means feasible. */
#ifndef EMOMC_OPT_PROBLEM_H
#define EMOMC_OPT_PROBLEM_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"

typedef enum { OPT_VAR_REAL = 0, OPT_VAR_INT = 1, OPT_VAR_CAT = 2 } opt_var_type;

typedef struct opt_var {
    opt_var_type type;
    double lo, hi;  /* inclusive bounds; for OPT_VAR_CAT lo = 0, hi = n_cat - 1 */
    int n_cat;      /* OPT_VAR_CAT only: number of categories (>= 1) */
    char name[32];
} opt_var;

struct opt_problem;

/* Evaluates n solutions at once. X is n x n_var (row-major), F is n x n_obj and G is
 * n x n_con (NULL when n_con == 0), both to be filled. Returns EM_OK or an error code
 * with err filled; on error the whole batch is discarded. */
typedef int (*opt_eval_fn)(void *user, int n, const double *X, double *F, double *G,
                           em_error *err);

/* Optional (opt_problem_set_cheap): computes only the cheap targets of n solutions,
 * in the natural sense, writing F[r*n_obj + j] for every cheap objective j and
 * G[r*n_con + j] for every cheap constraint j, leaving the other entries alone. Its
 * values must equal, bit for bit, those eval returns for the same rows. */
typedef opt_eval_fn opt_cheap_fn;

/* Optional (opt_problem_set_observe): told of every row of the evaluator archive, in
 * archive order, exactly once per evaluator: each new true evaluation right after its
 * batch, and every row restored from a checkpoint (opt_evaluator_restore) before any
 * new evaluation. f is minimized (as archived), g the constraints. A problem whose
 * evaluation depends on what it has observed (search/problem.c's racing) stays a
 * deterministic function of the run's archive, so a resumed run is identical. */
typedef void (*opt_observe_fn)(void *user, const double *x, const double *f, const double *g);

/* Optional: the true Pareto front (in the minimized sense), about n_points points
 * (sampled or analytic). *F is malloc'ed n_out x n_obj; the caller frees it. */
typedef int (*opt_front_fn)(const struct opt_problem *p, int n_points, double **F,
                            int *n_out, em_error *err);

typedef struct opt_problem {
    char name[64];
    int n_var, n_obj, n_con;
    opt_var *vars;        /* n_var entries */
    bool *maximize;       /* n_obj flags, for reporting only (see above) */
    char (*obj_names)[32]; /* n_obj names ("f1", ... by default) */
    char (*con_names)[32]; /* n_con names ("g1", ... by default) */
    opt_eval_fn eval;
    opt_front_fn front;   /* NULL when the true front is unknown */
    void *user;           /* passed to eval; freed by free_user if set */
    void (*free_user)(void *user);
    double params[4];     /* problem-specific numbers (benchmarks use them) */
    /* Cheap targets (NULL: every target is expensive): n_obj + n_con flags, objectives
     * first. A cheap target is computed exactly and fast, without the expensive part
     * of eval (for the compression problems: the costs and budgets, without
     * inference); opt_sbo_run never models it. Set with opt_problem_set_cheap. */
    bool *cheap;
    opt_cheap_fn cheap_eval;
    void *cheap_user;
    opt_observe_fn observe; /* NULL: none */
    void *observe_user;
} opt_problem;

/* Allocates a problem with n_var real variables in [0, 1], default names, no
 * maximized objectives, and the given callback. Free with opt_problem_free. */
int opt_problem_new(const char *name, int n_var, int n_obj, int n_con, opt_eval_fn eval,
                    void *user, opt_problem **out, em_error *err);
void opt_problem_free(opt_problem *p);

/* Variable setters (index i); they validate bounds. */
int opt_var_real(opt_problem *p, int i, const char *name, double lo, double hi, em_error *err);
int opt_var_int(opt_problem *p, int i, const char *name, long lo, long hi, em_error *err);
int opt_var_cat(opt_problem *p, int i, const char *name, int n_cat, em_error *err);

/* Declares the targets flagged in mask (n_obj + n_con flags, objectives first) cheap,
 * computed by fn(user, ...). EM_EINVAL when fn is NULL. */
int opt_problem_set_cheap(opt_problem *p, const bool *mask, opt_cheap_fn fn, void *user,
                          em_error *err);
/* Sets the observe callback (NULL to remove it). */
void opt_problem_set_observe(opt_problem *p, opt_observe_fn fn, void *user);
/* Whether target t (objectives first, then constraints) is cheap. */
bool opt_problem_is_cheap(const opt_problem *p, int t);
/* Number of cheap targets. */
int opt_problem_n_cheap(const opt_problem *p);
/* Calls the cheap callback on n rows and negates the cheap maximized objectives (the
 * counterpart of opt_problem_evaluate for the cheap targets only; entries of other
 * targets are left alone). A NaN cheap output is an error naming it. */
int opt_problem_evaluate_cheap(const opt_problem *p, int n, const double *X, double *F,
                               double *G, em_error *err);

/* Clips every variable of x to its bounds and rounds integer and categorical ones
 * with rint(). Idempotent. */
void opt_problem_repair(const opt_problem *p, double *x);

/* Calls the callback on n rows, then negates maximized objectives and checks that no
 * output is NaN (an error naming the row and the objective or constraint). */
int opt_problem_evaluate(const opt_problem *p, int n, const double *X, double *F, double *G,
                         em_error *err);

/* Constraint violation sum_j max(0, g_j). */
double opt_cv(const double *g, int n_con);

/* ---- Population ------------------------------------------------------------------
 * Rows of solutions with their objectives (minimized), constraints, violation and
 * evaluation time. rank and crowd are scratch space for algorithms (NSGA-II fills
 * them); sec is the wall-clock seconds spent on that solution's true evaluation (the
 * batch time divided by the batch size; 0 for a cache hit or unknown). */
typedef struct opt_pop {
    int n, cap;
    int n_var, n_obj, n_con;
    double *X;     /* n x n_var */
    double *F;     /* n x n_obj */
    double *G;     /* n x n_con (may be NULL when n_con == 0) */
    double *CV;    /* n */
    double *sec;   /* n */
    int *rank;     /* n */
    double *crowd; /* n */
} opt_pop;

opt_pop *opt_pop_new(int n_var, int n_obj, int n_con, int cap);
void opt_pop_free(opt_pop *pop);
/* Grows capacity to at least cap (keeps rows). EM_ENOMEM on failure. */
int opt_pop_reserve(opt_pop *pop, int cap);
/* Sets n (growing as needed); new rows are zeroed. */
int opt_pop_resize(opt_pop *pop, int n);
/* Appends row i of src (all fields). */
int opt_pop_append_row(opt_pop *dst, const opt_pop *src, int i);
/* Appends one solution from raw arrays (g may be NULL when n_con == 0); computes CV. */
int opt_pop_append(opt_pop *dst, const double *x, const double *f, const double *g, double sec);
/* A new population holding rows idx[0..k-1] of src, in that order. */
opt_pop *opt_pop_select(const opt_pop *src, const int *idx, int k);
opt_pop *opt_pop_copy(const opt_pop *src);
/* Recomputes CV from G for every row. */
void opt_pop_update_cv(opt_pop *pop);

#endif
