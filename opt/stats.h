/* opt/stats.h: rank statistics for comparing optimizers (and for surrogate
 * selection): average ranks with ties, Spearman's rho, the Friedman test with tie
 * correction, Dunn's post-hoc test and the Holm step-down adjustment. */
#ifndef EMOMC_OPT_STATS_H
#define EMOMC_OPT_STATS_H

#include "../common/error.h"

/* Ranks 1..n of x with ties given their average rank. Returns EM_OK or EM_ENOMEM. */
int opt_rank_average(const double *x, int n, double *rank);

/* Spearman's rank correlation with ties (Pearson correlation of the average ranks).
 * NaN when n < 2 or either side is constant. */
double opt_spearman(const double *x, const double *y, int n);

/* Friedman test: data is n_blocks x k (row = block, e.g. a problem or a seed;
 * column = treatment, e.g. an algorithm), smaller or larger does not matter.
 * Ranks within each block (ties averaged), statistic with the tie correction
 *   Q = 12 sum_j (R_j - n(k+1)/2)^2 / (n k (k+1) - sum_blocks sum_ties (t^3 - t)/(k-1)),
 * p-value from chi-square with k-1 degrees of freedom. mean_rank (k values, may be
 * NULL) gets each treatment's mean rank. n_blocks >= 2, k >= 2.
 * When every block is entirely tied (the denominator is 0) the statistic is 0 and
 * p = 1: no evidence of any difference. scipy.stats.friedmanchisquare returns NaN for
 * both there; this is a deliberate difference (a NaN would poison a comparison table
 * where, say, every optimizer reached the same hypervolume on every problem). */
int opt_friedman(const double *data, int n_blocks, int k, double *stat, double *p,
                 double *mean_rank, em_error *err);

/* Dunn's test (Dunn 1964) for k independent groups, as in scikit-posthocs: all
 * values pooled and ranked (ties averaged), for each pair
 *   z = |Rbar_i - Rbar_j| / sqrt((N(N+1)/12 - sum(t^3 - t)/(12(N-1))) (1/n_i + 1/n_j))
 * and a two-sided normal p-value, Holm-adjusted over the k(k-1)/2 pairs.
 * values holds the groups back to back, group g has sizes[g] values.
 * p_adj is k x k (diagonal 1). z may be NULL, else k x k. */
int opt_dunn(const double *values, const int *sizes, int k, double *z, double *p_adj,
             em_error *err);

/* Holm's step-down adjustment of n p-values (monotone, capped at 1). */
int opt_holm(const double *p, int n, double *p_adj);

/* Upper tail of chi-square with df degrees of freedom, P(X > x). */
double opt_chi2_sf(double x, double df);
/* Upper tail of the standard normal, P(Z > z). */
double opt_norm_sf(double z);

#endif
