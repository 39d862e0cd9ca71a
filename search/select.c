/* search/select.c: AScore, knee point, budgeted choice, cheapest within an accuracy
 * loss, non-dominated filter. */
#include "search/select.h"

#include <math.h>

double sp_ascore(double acc, double cost, double r_over_tau)
{
    return (acc * r_over_tau - (1.0 - acc)) / cost;
}

double sp_ascore_rel(double acc, double cost, double acc_ref, double cost_ref,
                     double r_over_tau)
{
    double ref = sp_ascore(acc_ref, cost_ref, r_over_tau);
    if (!(ref > 0)) return NAN;
    return sp_ascore(acc, cost, r_over_tau) / ref;
}

int sp_nondominated(const double *acc, const double *cost, int n, bool *nd)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        nd[i] = true;
        for (int j = 0; j < n && nd[i]; j++) {
            if (j == i) continue;
            bool no_worse = acc[j] >= acc[i] && cost[j] <= cost[i];
            bool better = acc[j] > acc[i] || cost[j] < cost[i];
            if (no_worse && (better || j < i)) nd[i] = false; /* equal: the first stays */
        }
        count += nd[i];
    }
    return count;
}

int sp_best_ascore(const double *acc, const double *cost, int n, double r_over_tau)
{
    int best = -1;
    double bv = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (!(cost[i] > 0)) continue;
        double v = sp_ascore(acc[i], cost[i], r_over_tau);
        if (v > bv) {
            bv = v;
            best = i;
        }
    }
    return best;
}

int sp_knee(const double *acc, const double *cost, int n)
{
    if (n <= 0) return -1;
    int hi = 0, lo = 0; /* most accurate, cheapest */
    double amin = acc[0], amax = acc[0], cmin = cost[0], cmax = cost[0];
    for (int i = 1; i < n; i++) {
        if (acc[i] > acc[hi] || (acc[i] == acc[hi] && cost[i] < cost[hi])) hi = i;
        if (cost[i] < cost[lo] || (cost[i] == cost[lo] && acc[i] > acc[lo])) lo = i;
        amin = fmin(amin, acc[i]);
        amax = fmax(amax, acc[i]);
        cmin = fmin(cmin, cost[i]);
        cmax = fmax(cmax, cost[i]);
    }
    double da = amax - amin, dc = cmax - cmin;
    if (da <= 0 || dc <= 0 || hi == lo) return hi;
    /* Scaled coordinates: u = normalized cost (minimize), v = 1 - normalized accuracy. */
    double u1 = (cost[hi] - cmin) / dc, v1 = (amax - acc[hi]) / da;
    double u2 = (cost[lo] - cmin) / dc, v2 = (amax - acc[lo]) / da;
    double len = hypot(u2 - u1, v2 - v1);
    int best = hi;
    double bd = 0;
    for (int i = 0; i < n; i++) {
        double u = (cost[i] - cmin) / dc, v = (amax - acc[i]) / da;
        /* Distance below the chord (towards the ideal point (0, 0)) counts. */
        double d = ((u1 - u) * (v2 - v1) - (u2 - u1) * (v1 - v)) / len;
        if (d > bd) {
            bd = d;
            best = i;
        }
    }
    return best;
}

int sp_best_under_budget(const double *acc, const double *cost, int n, double budget)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (cost[i] > budget) continue;
        if (best < 0 || acc[i] > acc[best] || (acc[i] == acc[best] && cost[i] < cost[best]))
            best = i;
    }
    return best;
}

int sp_cheapest_within_loss(const double *acc, const double *cost, int n, double acc_ref,
                            double max_loss)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (!(acc_ref - acc[i] <= max_loss + 1e-12)) continue;
        if (best < 0 || cost[i] < cost[best] || (cost[i] == cost[best] && acc[i] > acc[best]))
            best = i;
    }
    return best;
}
