/* search/select.h: picking one compressed model from a non-dominated set of
 * (accuracy, cost) pairs: EMOMC's aggregation score, the knee point, and the best
 * accuracy under a cost budget. Pure functions on arrays. */
#ifndef EMOMC_SEARCH_SELECT_H
#define EMOMC_SEARCH_SELECT_H

/* AScore = (acc*r + (1-acc)*tau) / cost (EMOMC): r rewards accuracy, tau the errors
 * that remain; only the ratio r/tau matters for the choice, so this takes tau = 1. */
double sr_ascore(double acc, double cost, double r_over_tau);

/* Index of the largest AScore among n points (ties: the first), or -1 if n == 0 or
 * every cost is non-positive. */
int sr_best_ascore(const double *acc, const double *cost, int n, double r_over_tau);

/* Knee of a two-objective front (accuracy maximized, cost minimized): after scaling
 * both to [0, 1] over the points, the point farthest from the straight line joining
 * the two extremes (most accurate and cheapest). -1 if n == 0; with fewer than 3
 * distinct points the most accurate point. */
int sr_knee(const double *acc, const double *cost, int n);

/* Most accurate point whose cost is <= budget (ties: cheaper), or -1 if none fits. */
int sr_best_under_budget(const double *acc, const double *cost, int n, double budget);

#endif
