/* opt/surrogate_gp.c: the Gaussian-process (ordinary Kriging) surrogate.
 *
 * Model: y(x) = mu + Z(x), Z a zero-mean GP with covariance
 * sigma^2 * (exp(-|x - x'|^2 / (2 l^2)) + nugget * [x == x']) on the [0, 1]-scaled
 * inputs. For fixed (l, nugget) the constant mean mu and the variance sigma^2 have
 * closed forms (generalized least squares), which leaves the concentrated log
 * likelihood  -n/2 log(sigma^2) - 1/2 log|R|.  We maximize it over a grid of
 * GP_N_LEN log-spaced length scales times GP_N_NUG nuggets, then refine the length
 * scale of the best pair by golden-section search in log l between its grid
 * neighbours. Cholesky factorization and solves are LAPACK's dpotrf/dpotrs from
 * OpenBLAS; a pair whose matrix is not positive definite is skipped.
 * Cost: O(n^3) per candidate, about 60 candidates per fit. */
#include "opt/surrogate_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (Fortran interface, hidden string lengths at the end as gfortran passes them). */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
                    size_t uplo_len);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
                    const int *lda, double *b, const int *ldb, int *info, size_t uplo_len);

#define GP_N_LEN 12
#define GP_N_NUG 4
#define GP_GOLDEN_STEPS 12
static const double gp_nuggets[GP_N_NUG] = {1e-8, 1e-6, 1e-4, 1e-2};

typedef struct gp {
    int n;
    double *X;        /* scaled training rows */
    double *alpha;    /* R^-1 (y - mu) */
    double mu, len, nugget;
} gp;

typedef struct gp_work {
    int n;
    const double *D2;   /* squared distances */
    const double *y;
    double *R;          /* n x n, factor in the lower triangle */
    double *rhs;        /* 2 x n: [y, 1] then [R^-1 y, R^-1 1] */
} gp_work;

static void gp_release(opt_surrogate *s)
{
    gp *m = s->impl;
    if (m) {
        free(m->X);
        free(m->alpha);
        free(m);
    }
    s->impl = NULL;
}

/* Concentrated log likelihood for (len, nugget); -INFINITY when R is not positive
 * definite. Leaves the factor in w->R and [R^-1 y, R^-1 1] in w->rhs; *mu_out gets
 * the GLS mean. */
static double gp_loglik(gp_work *w, double len, double nugget, double *mu_out)
{
    int n = w->n, info = 0, two = 2;
    double inv = -0.5 / (len * len);
    for (int j = 0; j < n; j++) {
        for (int i = j; i < n; i++)   /* lower triangle, column-major */
            w->R[(size_t)j * n + i] = exp(w->D2[(size_t)j * n + i] * inv);
        w->R[(size_t)j * n + j] = 1.0 + nugget;
    }
    /* With one BLAS thread (the caller's setting: the emomc command sets it at
     * startup) the factor's rounding does not depend on the machine's core count, so
     * surrogate runs are reproducible everywhere. */
    dpotrf_("L", &n, w->R, &n, &info, 1);
    if (info != 0) return -INFINITY;
    double logdet = 0;
    for (int i = 0; i < n; i++) logdet += 2.0 * log(w->R[(size_t)i * n + i]);
    for (int i = 0; i < n; i++) {
        w->rhs[i] = w->y[i];
        w->rhs[n + i] = 1.0;
    }
    dpotrs_("L", &n, &two, w->R, &n, w->rhs, &n, &info, 1);
    if (info != 0) return -INFINITY;
    double sa = 0, sb = 0;
    for (int i = 0; i < n; i++) {
        sa += w->rhs[i];
        sb += w->rhs[n + i];
    }
    if (!(sb > 0)) return -INFINITY;
    double mu = sa / sb, q = 0;
    for (int i = 0; i < n; i++) q += (w->y[i] - mu) * (w->rhs[i] - mu * w->rhs[n + i]);
    double sigma2 = q / n;
    if (!(sigma2 > 0) || !isfinite(sigma2)) return -INFINITY;
    *mu_out = mu;
    return -0.5 * n * log(sigma2) - 0.5 * logdet;
}

static int gp_fit(opt_surrogate *s, const double *X, int n, const double *y, em_error *err)
{
    int d = s->d, rc = EM_OK;
    gp *m = calloc(1, sizeof *m);
    double *D2 = malloc(sizeof(double) * (size_t)n * (size_t)n);
    double *R = malloc(sizeof(double) * (size_t)n * (size_t)n);
    double *rhs = malloc(sizeof(double) * 2 * (size_t)n);
    if (m) {
        m->X = malloc(sizeof(double) * (size_t)n * (size_t)d);
        m->alpha = malloc(sizeof(double) * (size_t)n);
    }
    if (!m || !m->X || !m->alpha || !D2 || !R || !rhs) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(m->X, X, sizeof(double) * (size_t)n * (size_t)d);
    int constant = 1;
    for (int i = 0; i < n; i++) constant &= y[i] == y[0];
    if (constant) {   /* no variance to model (the likelihood is degenerate): the mean */
        m->mu = y[0];
        m->len = 1.0;
        m->nugget = gp_nuggets[0];
        for (int i = 0; i < n; i++) m->alpha[i] = 0;
        m->n = n;
        goto done;
    }
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            double s2 = 0;
            for (int k = 0; k < d; k++) {
                double t = X[(size_t)i * d + k] - X[(size_t)j * d + k];
                s2 += t * t;
            }
            D2[(size_t)j * n + i] = s2;
        }
    gp_work w = {n, D2, y, R, rhs};

    /* Grid: l from 0.02 to 2 sqrt(d) (the diagonal of the unit cube is sqrt(d)). */
    double lo = log(0.02), hi = log(2.0 * sqrt((double)d));
    double step = (hi - lo) / (GP_N_LEN - 1);
    double best = -INFINITY, mu;
    int bl = -1, bn = -1;
    for (int a = 0; a < GP_N_LEN; a++)
        for (int b = 0; b < GP_N_NUG; b++) {
            double ll = gp_loglik(&w, exp(lo + a * step), gp_nuggets[b], &mu);
            if (ll > best) {
                best = ll;
                bl = a;
                bn = b;
            }
        }
    if (bl < 0) {
        rc = em_fail(err, EM_EINVAL, "no length scale gives a positive definite "
                     "covariance (duplicate points with different targets?)");
        goto done;
    }
    double nug = gp_nuggets[bn], best_t = lo + bl * step;
    /* Golden section on log l in [grid neighbour below, grid neighbour above]. */
    double a = lo + (bl > 0 ? bl - 1 : 0) * step;
    double b = lo + (bl < GP_N_LEN - 1 ? bl + 1 : GP_N_LEN - 1) * step;
    const double g = 0.5 * (sqrt(5.0) - 1.0);
    double c = b - g * (b - a), e = a + g * (b - a);
    double fc = gp_loglik(&w, exp(c), nug, &mu), fe = gp_loglik(&w, exp(e), nug, &mu);
    for (int it = 0; it < GP_GOLDEN_STEPS; it++) {
        if (fc >= fe) {
            b = e; e = c; fe = fc;
            c = b - g * (b - a);
            fc = gp_loglik(&w, exp(c), nug, &mu);
        } else {
            a = c; c = e; fc = fe;
            e = a + g * (b - a);
            fe = gp_loglik(&w, exp(e), nug, &mu);
        }
    }
    if (fc > best) { best = fc; best_t = c; }
    if (fe > best) { best = fe; best_t = e; }

    /* Refactor at the optimum and keep alpha = R^-1 (y - mu 1). */
    m->len = exp(best_t);
    m->nugget = nug;
    if (gp_loglik(&w, m->len, nug, &m->mu) == -INFINITY) {
        rc = em_fail(err, EM_EINTERNAL, "covariance lost positive definiteness at the optimum");
        goto done;
    }
    for (int i = 0; i < n; i++) m->alpha[i] = rhs[i] - m->mu * rhs[n + i];
    m->n = n;
done:
    free(D2);
    free(R);
    free(rhs);
    if (rc == EM_OK) {
        s->impl = m;
    } else if (m) {
        free(m->X);
        free(m->alpha);
        free(m);
    }
    return rc;
}

static int gp_predict(opt_surrogate *s, const double *X, int n, double *out, em_error *err)
{
    (void)err;
    const gp *m = s->impl;
    int d = s->d;
    double inv = -0.5 / (m->len * m->len);
    for (int q = 0; q < n; q++) {
        const double *x = X + (size_t)q * d;
        double v = m->mu;
        for (int i = 0; i < m->n; i++) {
            const double *t = m->X + (size_t)i * d;
            double s2 = 0;
            for (int k = 0; k < d; k++) s2 += (x[k] - t[k]) * (x[k] - t[k]);
            v += exp(s2 * inv) * m->alpha[i];
        }
        out[q] = v;
    }
    return EM_OK;
}

int opt_surrogate_gp_hyper(const opt_surrogate *s, double *length_scale, double *nugget,
                           em_error *err)
{
    if (s->kind != OPT_SURROGATE_GP || !s->fitted || !s->impl)
        return em_fail(err, EM_EINVAL, "GP hyperparameters asked of a %s%s surrogate",
                       s->fitted ? "" : "unfitted ", opt_surrogate_kind_name(s->kind));
    const gp *m = s->impl;
    *length_scale = m->len;
    *nugget = m->nugget;
    return EM_OK;
}

const opt_surrogate_ops opt_surrogate_gp_ops = {gp_fit, gp_predict, gp_release};
