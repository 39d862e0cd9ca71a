/* search/select.h: picking one compressed model from a non-dominated set of
 * (accuracy, cost) pairs: EMOMC's aggregation score, the knee point, the best
 * accuracy under a cost budget, and the non-dominated filter they run on. Pure
 * functions on arrays. A report must pass the accuracy the search measured, never
 * the re-measured final one: selecting on the images it reports biases what it
 * reports. */
#ifndef EMOMC_SEARCH_SELECT_H
#define EMOMC_SEARCH_SELECT_H

#include <stdbool.h>

/* EMOMC's aggregation score: r rewards each correct answer, tau penalizes each error,
 * per unit of cost: AScore = (r*acc - tau*(1-acc)) / cost. Only the ratio r/tau
 * matters for the choice, so this takes tau = 1. A small r/tau favours accuracy (an
 * error costs more than a correct answer earns); a large one favours cheap models.
 * (The earlier form (acc*r + (1-acc)*tau)/cost rewarded errors when r/tau < 1, and
 * picked the least accurate models; it is gone.) */
double sp_ascore(double acc, double cost, double r_over_tau);

/* The paper's normalized form: the AScore relative to the uncompressed model's
 * (acc_ref, cost_ref) for the same ratio, so 1 is "as good as the uncompressed
 * model". NaN when the reference's AScore is not positive (then no normalization
 * means anything). Dividing by a positive constant, it picks what sp_ascore picks. */
double sp_ascore_rel(double acc, double cost, double acc_ref, double cost_ref,
                     double r_over_tau);

/* Index of the largest AScore among n points (ties: the first), or -1 if n == 0 or
 * every cost is non-positive. */
int sp_best_ascore(const double *acc, const double *cost, int n, double r_over_tau);

/* Marks in nd[i] whether point i is non-dominated (accuracy maximized, cost
 * minimized) among the n points; of equal points only the first is kept. Returns
 * the number marked. */
int sp_nondominated(const double *acc, const double *cost, int n, bool *nd);

/* Knee of a two-objective front (accuracy maximized, cost minimized): after scaling
 * both to [0, 1] over the points, the point farthest from the straight line joining
 * the two extremes (most accurate and cheapest). -1 if n == 0; with fewer than 3
 * distinct points the most accurate point. */
int sp_knee(const double *acc, const double *cost, int n);

/* Most accurate point whose cost is <= budget (ties: cheaper), or -1 if none fits. */
int sp_best_under_budget(const double *acc, const double *cost, int n, double budget);

/* The cheapest point whose accuracy is at most max_loss below acc_ref (both
 * fractions: 0.005 is half a percentage point), ties: the more accurate, then the
 * first; -1 if none is within. The paper's "selected solution under 0.5 % accuracy
 * loss": acc must be the search accuracy, acc_ref the uncompressed model's on the
 * same images. A loss within 1e-12 of max_loss counts as within (0.993 - 0.988 is
 * not exactly 0.005 in doubles). */
int sp_cheapest_within_loss(const double *acc, const double *cost, int n, double acc_ref,
                            double max_loss);

#endif
