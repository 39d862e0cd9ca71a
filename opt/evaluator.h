/* opt/evaluator.h: the one door through which algorithms evaluate solutions truly.
 *
 * It repairs each row (opt_problem_repair), looks it up in a genotype cache so no
 * solution is evaluated twice, sends the remaining rows to the problem's callback in
 * one batch, counts true evaluations against an optional budget, and records every
 * true evaluation, in order, in an archive (the rows of evaluations.csv). A problem's
 * observe callback (opt/problem.h) is told of every archived row, in order: new ones
 * after their batch, restored ones in opt_evaluator_restore. */
#ifndef EMOMC_OPT_EVALUATOR_H
#define EMOMC_OPT_EVALUATOR_H

#include <stdint.h>

#include "../opt/problem.h"

typedef struct opt_evaluator opt_evaluator;

/* budget: maximum number of true evaluations, 0 for no limit. */
opt_evaluator *opt_evaluator_new(const opt_problem *p, long budget);
void opt_evaluator_free(opt_evaluator *e);

/* Evaluates rows [from, pop->n) of pop in place: repairs X, fills F, G, CV and sec.
 * Rows already in the cache are copied from it (sec = 0) and do not count. If the
 * new (uncached, distinct) rows exceed the remaining budget, returns EM_EINVAL and
 * evaluates nothing: callers trim the batch first with opt_evaluator_remaining. */
int opt_evaluator_eval(opt_evaluator *e, opt_pop *pop, int from, em_error *err);

/* True evaluations still allowed (LONG_MAX when there is no budget). */
long opt_evaluator_remaining(const opt_evaluator *e);
/* Number of true evaluations so far. */
long opt_evaluator_count(const opt_evaluator *e);
/* The hash the genotype cache files a row of n_var doubles under (bit patterns, so
 * -0.0 and 0.0 differ, as they do for the cache). For other tables of genotypes. */
uint64_t opt_genotype_hash(const double *x, int n_var);

/* Cache hits so far (rows served without calling the problem). */
long opt_evaluator_hits(const opt_evaluator *e);
/* Sets the cache-hit counter (a resumed run continues the count of its checkpoint). */
void opt_evaluator_set_hits(opt_evaluator *e, long hits);
/* Whether the repaired row x is already in the cache. */
bool opt_evaluator_known(const opt_evaluator *e, const double *x);
/* Every true evaluation so far, in order (owned by the evaluator). */
const opt_pop *opt_evaluator_archive(const opt_evaluator *e);
/* Replaces the archive and cache by a copy of archive (used when resuming from a
 * checkpoint): the evaluation count becomes archive->n. */
int opt_evaluator_restore(opt_evaluator *e, const opt_pop *archive, em_error *err);
/* Detaches the archive (caller owns it); the evaluator gets an empty one. */
opt_pop *opt_evaluator_take_archive(opt_evaluator *e);

#endif
