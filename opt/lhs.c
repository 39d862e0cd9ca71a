/* opt/lhs.c: Latin hypercube sampling (see lhs.h). */
#include "opt/lhs.h"

#include <math.h>
#include <stdlib.h>

int opt_lhs_unit(em_rng *rng, int n, int d, double *out, em_error *err)
{
    if (n < 1 || d < 1)
        return em_fail(err, EM_EINVAL, "Latin hypercube needs n >= 1 and d >= 1 (got %d, %d)",
                       n, d);
    uint32_t *perm = malloc(sizeof(uint32_t) * (size_t)n);
    if (!perm) return em_fail(err, EM_ENOMEM, "out of memory");
    for (int j = 0; j < d; j++) {
        for (int i = 0; i < n; i++) perm[i] = (uint32_t)i;
        em_rng_shuffle_u32(rng, perm, (uint32_t)n);
        for (int i = 0; i < n; i++) {
            double u = ((double)perm[i] + em_rng_uniform(rng)) / n;
            /* rounding can reach the upper edge of the last stratum; stay inside */
            if (u >= (perm[i] + 1.0) / n) u = nextafter((perm[i] + 1.0) / n, 0.0);
            out[(size_t)i * d + j] = u;
        }
    }
    free(perm);
    return EM_OK;
}

int opt_lhs_problem(const opt_problem *p, em_rng *rng, int n, double *X, em_error *err)
{
    int rc = opt_lhs_unit(rng, n, p->n_var, X, err);
    if (rc) return rc;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p->n_var; j++) {
            const opt_var *v = &p->vars[j];
            double *x = &X[(size_t)i * p->n_var + j];
            if (v->type == OPT_VAR_REAL) {
                *x = v->lo + *x * (v->hi - v->lo);
            } else {
                double c = v->hi - v->lo + 1.0;
                double k = floor(*x * c);
                if (k > c - 1) k = c - 1;
                *x = v->lo + k;
            }
        }
    return EM_OK;
}
