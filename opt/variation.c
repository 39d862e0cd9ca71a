/* opt/variation.c: SBX and polynomial mutation (pymoo's cross_sbx and mut_pm). */
#include "opt/variation.h"

#include <math.h>

static double sbx_betaq(double beta, double eta, double u)
{
    double alpha = 2.0 - pow(beta, -(eta + 1.0));
    if (u <= 1.0 / alpha) return pow(u * alpha, 1.0 / (eta + 1.0));
    return pow(1.0 / (2.0 - u * alpha), 1.0 / (eta + 1.0));
}

static double clip(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

void opt_sbx_var(double a, double b, double lo, double hi, double eta, em_rng *rng,
                 double *c1, double *c2)
{
    double y1 = fmin(a, b), y2 = fmax(a, b), delta = y2 - y1;
    double u = em_rng_uniform(rng);
    double v1 = 0.5 * ((y1 + y2) - sbx_betaq(1.0 + 2.0 * (y1 - lo) / delta, eta, u) * delta);
    double v2 = 0.5 * ((y1 + y2) + sbx_betaq(1.0 + 2.0 * (hi - y2) / delta, eta, u) * delta);
    v1 = clip(v1, lo, hi);
    v2 = clip(v2, lo, hi);
    if (em_rng_uniform(rng) < 0.5) {
        double t = v1;
        v1 = v2;
        v2 = t;
    }
    *c1 = v1;
    *c2 = v2;
}

void opt_pm_mutate(const opt_problem *p, double eta, double p_m, em_rng *rng, double *x)
{
    double pw = 1.0 / (eta + 1.0);
    for (int i = 0; i < p->n_var; i++) {
        const opt_var *v = &p->vars[i];
        if (!(em_rng_uniform(rng) < p_m) || !(v->hi > v->lo)) continue;
        if (v->type == OPT_VAR_CAT) { /* another category, uniformly */
            int cur = (int)x[i], k = (int)em_rng_below(rng, (uint64_t)v->n_cat - 1);
            x[i] = k >= cur ? k + 1 : k;
            continue;
        }
        double lo = v->lo, hi = v->hi, y = x[i];
        double d1 = (y - lo) / (hi - lo), d2 = (hi - y) / (hi - lo);
        double u = em_rng_uniform(rng), dq;
        if (u <= 0.5) {
            double val = 2.0 * u + (1.0 - 2.0 * u) * pow(1.0 - d1, eta + 1.0);
            dq = pow(val, pw) - 1.0;
        } else {
            double val = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * pow(1.0 - d2, eta + 1.0);
            dq = 1.0 - pow(val, pw);
        }
        x[i] = clip(y + dq * (hi - lo), lo, hi);
    }
}
