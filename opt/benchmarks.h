/* opt/benchmarks.h: test problems with known Pareto fronts, as defined in pymoo and
 * the original papers: ZDT1-4 and ZDT6 (Zitzler, Deb, Thiele 2000), DTLZ1-4 (Deb,
 * Thiele, Laumanns, Zitzler 2002), C1-DTLZ1, C1-DTLZ3, C2-DTLZ2 and C3-DTLZ4 (Jain and
 * Deb 2014). Every problem carries its true front (opt_problem.front). */
#ifndef EMOMC_OPT_BENCHMARKS_H
#define EMOMC_OPT_BENCHMARKS_H

#include "opt/problem.h"

/* Names accepted by opt_benchmark_new, NULL-terminated. */
extern const char *const opt_benchmark_names[];

/* Builds a benchmark. n_var = 0 and n_obj = 0 pick the usual defaults (ZDT1-3: 30,
 * ZDT4 and ZDT6: 10; DTLZ: n_obj 3 and n_var = n_obj + k - 1 with k = 5 for DTLZ1 and
 * C1-DTLZ1, 10 otherwise). ZDT is always bi-objective. EM_EINVAL for an unknown name
 * or out-of-range sizes. Free with opt_problem_free. */
int opt_benchmark_new(const char *name, int n_var, int n_obj, opt_problem **out,
                      em_error *err);

/* The reference point conventionally used for the hypervolume of a benchmark (in the
 * minimized sense, e.g. (1.1, 1.1) for ZDT1): 1.1 times the nadir of the true front,
 * with a 0.1 margin where the nadir coordinate is 0. ref gets p->n_obj values. */
void opt_benchmark_ref_point(const opt_problem *p, double *ref);

/* Exact hypervolume of the true front for ref, when known in closed form (ZDT1, ZDT2
 * and 2-D DTLZ fronts); returns NaN otherwise. */
double opt_benchmark_true_hv(const opt_problem *p, const double *ref);

#endif
