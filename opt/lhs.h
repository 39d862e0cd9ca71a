/* opt/lhs.h: Latin hypercube sampling, seeded by an em_rng (the initial sample of the
 * surrogate-based loop). */
#ifndef EMOMC_OPT_LHS_H
#define EMOMC_OPT_LHS_H

#include "../common/error.h"
#include "../common/rng.h"
#include "../opt/problem.h"

/* n points in [0, 1)^d, row-major n x d: in every column the n values fall one in
 * each stratum [k/n, (k+1)/n), k = 0..n-1 (a random permutation of strata, then a
 * uniform position inside the stratum). n >= 1, d >= 1. */
int opt_lhs_unit(em_rng *rng, int n, int d, double *out, em_error *err);

/* n points over the variables of p (X is n x p->n_var): a real variable maps the
 * unit sample u to lo + u (hi - lo); an integer or categorical variable with c
 * values maps it to lo + floor(u c), so each value is taken floor(n/c) or
 * ceil(n/c) times. */
int opt_lhs_problem(const opt_problem *p, em_rng *rng, int n, double *X, em_error *err);

#endif
