/* opt/ctaea.h: C-TAEA, the two-archive evolutionary algorithm for constrained
 * multi-objective optimization (K. Li, R. Chen, G. Fu, X. Yao, IEEE TEVC 23(2), 2019,
 * "Two-archive evolutionary algorithm for constrained multiobjective optimization"),
 * following pymoo's CTAEA (pymoo.algorithms.moo.ctaea), itself a port of K. Li's code.
 *
 * Two archives of N solutions each, N = the number of Das-Dennis reference directions:
 *  - the convergence archive CA keeps feasible solutions first (non-dominated sorting,
 *    then removal from the most crowded niche of the one with the worst ASF value or
 *    the worse of its closest pair); when too few are feasible it is completed with
 *    infeasible ones ranked by (CV, ASF) non-dominated sorting;
 *  - the diversity archive DA fills niches that CA leaves sparse with the best (ASF
 *    among the non-dominated) solutions of DA + offspring, feasible or not.
 * Restricted mating: the share of non-dominated solutions of CA and DA in CA + DA
 * decides from which archive each of the two parents comes; each parent wins a binary
 * tournament (feasible beats infeasible, then Pareto dominance, else random). One
 * offspring per mating: SBX (eta 30, probability 1, per variable 0.5) picking one of
 * the two children at random, then polynomial mutation (eta 20, per variable 1/n);
 * integers go through the same float operators and rint; categorical variables are
 * swapped uniformly in crossover and redrawn as another category in mutation (as
 * opt/nsga2.c does).
 * Duplicates of CA, DA or earlier offspring are discarded and mated again.
 *
 * Options (opt/algorithm.h): pop_size is a bound on N: N is the largest Das-Dennis
 * set with at most pop_size directions (pop 100 -> 100 directions for 2 objectives,
 * 91 for 3). eta_c, eta_m, p_m override 30, 20 and 1/n when non-zero. n_gen and
 * max_evals stop the run; generations are counted as in pymoo (and opt/nsga2.c): the
 * initial population is generation 1, so n_gen G costs G x N evaluations; a
 * checkpoint (CA, DA, the evaluator archive, the rng) is written after each
 * generation and resumes bit-identically. The result's pop is CA. */
#ifndef EMOMC_OPT_CTAEA_H
#define EMOMC_OPT_CTAEA_H

#include "../opt/algorithm.h"

int opt_ctaea_run(const opt_problem *p, const opt_options *o, opt_result *res, em_error *err);

/* Number of Das-Dennis directions for m objectives and `divisions` partitions:
 * C(divisions + m - 1, m - 1), or -1 if it exceeds INT_MAX. */
long opt_das_dennis_count(int m, int divisions);

/* (The directions themselves come from opt_das_dennis in opt/benchmarks.h.) */

/* The largest number of divisions whose direction count is <= max_dirs (at least 1,
 * so at least m directions); -1 if max_dirs < m. */
int opt_das_dennis_divisions(int m, int max_dirs);

#endif
