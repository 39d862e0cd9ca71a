/* opt/variation.h: the real-coded variation operators that NSGA-II and C-TAEA share,
 * in pymoo's form: simulated binary crossover of one variable (Deb and Agrawal 1995,
 * bounded) and polynomial mutation (Deb and Goyal 1996). Both consume the generator
 * in a fixed order, so every caller stays reproducible from its seed. */
#ifndef EMOMC_OPT_VARIATION_H
#define EMOMC_OPT_VARIATION_H

#include "../common/rng.h"
#include "../opt/problem.h"

/* SBX of one variable with parents y1 != y2 inside [lo, hi]: draws u, computes both
 * children, clips them to the bounds, then swaps them with probability 0.5. */
void opt_sbx_var(double a, double b, double lo, double hi, double eta, em_rng *rng,
                 double *c1, double *c2);

/* Polynomial mutation of x in place: each variable with probability p_m (categories
 * move to another category, uniformly). No repair: callers repair as they need. */
void opt_pm_mutate(const opt_problem *p, double eta, double p_m, em_rng *rng, double *x);

#endif
