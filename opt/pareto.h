/* opt/pareto.h: dominance, non-dominated sorting and crowding distance.
 * All objectives are minimized. F is row-major n x m. */
#ifndef EMOMC_OPT_PARETO_H
#define EMOMC_OPT_PARETO_H

#include "../common/error.h"

/* 1 if a dominates b, -1 if b dominates a, 0 otherwise (equal or incomparable). */
int opt_dominance(const double *a, const double *b, int m);

/* Constrained dominance (Deb): a feasible solution beats an infeasible one, of two
 * infeasible ones the smaller violation wins, of two feasible ones Pareto dominance.
 * Returns 1, -1 or 0 like opt_dominance. */
int opt_cdominance(const double *a, double cva, const double *b, double cvb, int m);

/* Fast non-dominated sorting: rank[i] = index of the front of row i (0 = best).
 * Returns the number of fronts (>= 0) or a negative em_status (EM_ENOMEM). Rows with
 * identical objectives share a front. If cv is not NULL, constrained dominance is
 * used (feasible rows first, infeasible ones ranked by it). */
int opt_nds(const double *F, const double *cv, int n, int m, int *rank);

/* Indices (ascending) of the non-dominated rows of F, written to idx; returns their
 * count or a negative em_status. O(n log n) for m = 2, O(m n^2) worst case above. */
int opt_nondominated(const double *F, int n, int m, int *idx);

/* Crowding distance of the k rows idx[0..k-1] of F (one front), pymoo's way:
 * a row whose objectives equal an earlier row's gets 0 (so duplicates go first);
 * among the distinct rows, along each objective sort the extremes get +inf and an
 * interior row gets (f[next] - f[prev]) / (f_max - f_min) (a term is 0 when
 * f_max == f_min), and the sum over objectives is divided by m. cd[j] is the
 * distance of row idx[j]. With k <= 2 every distance is +inf.
 * Returns EM_OK or EM_ENOMEM. */
int opt_crowding(const double *F, int m, const int *idx, int k, double *cd);

#endif
