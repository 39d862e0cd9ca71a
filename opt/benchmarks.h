/* opt/benchmarks.h: test problems with known Pareto fronts, as defined in pymoo and
 * the original papers: ZDT1-4 and ZDT6 (Zitzler, Deb, Thiele 2000), DTLZ1-4 (Deb,
 * Thiele, Laumanns, Zitzler 2002), C1-DTLZ1, C1-DTLZ3, C2-DTLZ2 and C3-DTLZ4 (Jain and
 * Deb 2014). Every problem carries its true front (opt_problem.front).
 * Also "mixed", emomc's own: an integer, another integer and a categorical variable,
 * a maximized objective and 165 genotypes in all, so duplicates and the cache are
 * exercised end to end; its front is 11 known points (see benchmarks.c). */
#ifndef EMOMC_OPT_BENCHMARKS_H
#define EMOMC_OPT_BENCHMARKS_H

#include "../opt/problem.h"

/* Names accepted by opt_benchmark_new, NULL-terminated. */
extern const char *const opt_benchmark_names[];

/* Builds a benchmark. n_var = 0 and n_obj = 0 pick pymoo's defaults (ZDT1-3: 30,
 * ZDT4 and ZDT6: 10; DTLZ: n_obj 3 and n_var = n_obj + k - 1 with k = 5 for DTLZ1,
 * C1-DTLZ1 and C3-DTLZ4, k = 10 otherwise). ZDT is always bi-objective. EM_EINVAL for an unknown name
 * or out-of-range sizes. Free with opt_problem_free. */
int opt_benchmark_new(const char *name, int n_var, int n_obj, opt_problem **out,
                      em_error *err);

/* The reference point used for the hypervolume of a benchmark: the conventional
 * (1.1, 1.1) for the ZDT family (ZDT3's and ZDT6's fronts would give other points),
 * else per objective nadir + 0.1 (nadir - ideal) of its true front ((0.55, 0.55,
 * 0.55) for DTLZ1, 1.1 for DTLZ2-4). ref gets p->n_obj values ((1.1, ...) if no front). */
void opt_benchmark_ref_point(const opt_problem *p, double *ref);
/* How opt_benchmark_ref_point chose it, in words (summary.json's hv_ref_source). */
const char *opt_benchmark_ref_source(const opt_problem *p);

/* Exact hypervolume of the true front for ref, when known in closed form and ref is at
 * or beyond the front's nadir: ZDT1, 2, 3 (its five pieces), 4 and 6; DTLZ1 and
 * C1-DTLZ1 (box less 0.5^M / M!); DTLZ2-4 and C1-DTLZ3 (box less the unit ball's
 * positive orthant, pi/6 for M = 3). NaN otherwise (C2-DTLZ2, C3-DTLZ4). */
double opt_benchmark_true_hv(const opt_problem *p, const double *ref);

/* Das and Dennis's lattice: every m-vector of multiples of 1/partitions that sums to
 * 1, C(partitions + m - 1, m - 1) rows. *D is malloc'ed (rows x m); caller frees. */
int opt_das_dennis(int m, int partitions, double **D, int *n, em_error *err);

#endif
