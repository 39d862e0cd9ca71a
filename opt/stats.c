/* opt/stats.c: average ranks, Spearman's rho, the Friedman test (tie-corrected, as in
 * scipy.stats.friedmanchisquare), Dunn's test with Holm's adjustment, and the chi-square
 * and normal tails they need (regularized incomplete gamma, Numerical Recipes style). */
#include "opt/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct val_idx {
    double v;
    int i;
} val_idx;

static int cmp_val_idx(const void *a, const void *b)
{
    const val_idx *x = a, *y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Average ranks; if tie_sum is not NULL it gets sum over tie groups of t^3 - t. */
static int rank_ties(const double *x, int n, double *rank, double *tie_sum)
{
    val_idx *a = malloc(sizeof *a * (size_t)(n ? n : 1));
    if (!a) return EM_ENOMEM;
    for (int i = 0; i < n; i++) a[i] = (val_idx){x[i], i};
    qsort(a, (size_t)n, sizeof *a, cmp_val_idx);
    double ts = 0.0;
    for (int s = 0; s < n;) {
        int e = s + 1;
        while (e < n && a[e].v == a[s].v) e++;
        double r = 0.5 * (s + 1 + e); /* mean of ranks s+1 .. e */
        for (int k = s; k < e; k++) rank[a[k].i] = r;
        double t = e - s;
        ts += t * t * t - t;
        s = e;
    }
    if (tie_sum) *tie_sum = ts;
    free(a);
    return EM_OK;
}

int opt_rank_average(const double *x, int n, double *rank)
{
    return rank_ties(x, n, rank, NULL);
}

double opt_spearman(const double *x, const double *y, int n)
{
    if (n < 2) return NAN;
    double *rx = malloc(sizeof(double) * (size_t)n), *ry = malloc(sizeof(double) * (size_t)n);
    if (!rx || !ry || rank_ties(x, n, rx, NULL) || rank_ties(y, n, ry, NULL)) {
        free(rx), free(ry);
        return NAN;
    }
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) mx += rx[i], my += ry[i];
    mx /= n, my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        double a = rx[i] - mx, b = ry[i] - my;
        sxy += a * b, sxx += a * a, syy += b * b;
    }
    free(rx), free(ry);
    if (sxx == 0 || syy == 0) return NAN;
    return sxy / sqrt(sxx * syy);
}

/* ---- special functions ------------------------------------------------------------ */
/* Regularized lower incomplete gamma P(a, x) by its series (x < a + 1). */
static double gamma_p_series(double a, double x)
{
    double sum = 1.0 / a, term = sum, ap = a;
    for (int n = 0; n < 1000; n++) {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if (fabs(term) < fabs(sum) * 1e-16) break;
    }
    return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Regularized upper incomplete gamma Q(a, x) by Lentz's continued fraction (x >= a+1). */
static double gamma_q_cf(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int i = 1; i < 1000; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16) break;
    }
    return exp(-x + a * log(x) - lgamma(a)) * h;
}

double opt_chi2_sf(double x, double df)
{
    if (!(df > 0) || isnan(x)) return NAN;
    if (x <= 0) return 1.0;
    double a = df / 2, z = x / 2;
    if (z < a + 1) return 1.0 - gamma_p_series(a, z);
    return gamma_q_cf(a, z);
}

double opt_norm_sf(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

/* ---- tests -------------------------------------------------------------------------- */
int opt_friedman(const double *data, int n_blocks, int k, double *stat, double *p,
                 double *mean_rank, em_error *err)
{
    if (n_blocks < 2 || k < 2)
        return em_fail(err, EM_EINVAL, "friedman: needs at least 2 blocks and 2 treatments "
                       "(got %d x %d)", n_blocks, k);
    double *r = malloc(sizeof(double) * (size_t)k), *sum = calloc((size_t)k, sizeof(double));
    if (!r || !sum) {
        free(r), free(sum);
        return em_fail(err, EM_ENOMEM, "friedman: out of memory");
    }
    double ties = 0.0;
    for (int b = 0; b < n_blocks; b++) {
        for (int j = 0; j < k; j++)
            if (isnan(data[(size_t)b * k + j])) {
                free(r), free(sum);
                return em_fail(err, EM_EINVAL, "friedman: value (%d, %d) is NaN", b + 1, j + 1);
            }
        double t;
        rank_ties(data + (size_t)b * k, k, r, &t);
        ties += t;
        for (int j = 0; j < k; j++) sum[j] += r[j];
    }
    double n = n_blocks, ssbn = 0.0;
    for (int j = 0; j < k; j++) ssbn += sum[j] * sum[j];
    double chi = 12.0 / (n * k * (k + 1)) * ssbn - 3.0 * n * (k + 1);
    double c = 1.0 - ties / (n * k * ((double)k * k - 1.0));
    if (c <= 0) { /* every block entirely tied: no evidence at all */
        chi = 0.0;
        c = 1.0;
    }
    chi /= c;
    *stat = chi;
    *p = opt_chi2_sf(chi, k - 1);
    if (mean_rank)
        for (int j = 0; j < k; j++) mean_rank[j] = sum[j] / n;
    free(r), free(sum);
    return EM_OK;
}

typedef struct p_idx {
    double p;
    int i;
} p_idx;

static int cmp_p_idx(const void *a, const void *b)
{
    const p_idx *x = a, *y = b;
    if (x->p < y->p) return -1;
    if (x->p > y->p) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

int opt_holm(const double *p, int n, double *p_adj)
{
    p_idx *a = malloc(sizeof *a * (size_t)(n ? n : 1));
    if (!a) return EM_ENOMEM;
    for (int i = 0; i < n; i++) a[i] = (p_idx){p[i], i};
    qsort(a, (size_t)n, sizeof *a, cmp_p_idx);
    double run = 0.0;
    for (int s = 0; s < n; s++) {
        double v = (double)(n - s) * a[s].p;
        if (v > 1.0) v = 1.0;
        if (v < run) v = run; /* step-down: adjusted p-values never decrease */
        run = v;
        p_adj[a[s].i] = v;
    }
    free(a);
    return EM_OK;
}

int opt_dunn(const double *values, const int *sizes, int k, double *z, double *p_adj,
             em_error *err)
{
    if (k < 2) return em_fail(err, EM_EINVAL, "dunn: needs at least 2 groups (got %d)", k);
    int N = 0;
    for (int g = 0; g < k; g++) {
        if (sizes[g] < 1)
            return em_fail(err, EM_EINVAL, "dunn: group %d is empty", g + 1);
        N += sizes[g];
    }
    int npairs = k * (k - 1) / 2;
    double *rank = malloc(sizeof(double) * (size_t)N), *mr = calloc((size_t)k, sizeof(double));
    double *pp = malloc(sizeof(double) * (size_t)npairs), *pa = malloc(sizeof(double) * (size_t)npairs);
    double ties = 0.0;
    if (!rank || !mr || !pp || !pa || rank_ties(values, N, rank, &ties)) {
        free(rank), free(mr), free(pp), free(pa);
        return em_fail(err, EM_ENOMEM, "dunn: out of memory");
    }
    for (int g = 0, o = 0; g < k; o += sizes[g], g++) {
        for (int i = 0; i < sizes[g]; i++) mr[g] += rank[o + i];
        mr[g] /= sizes[g];
    }
    double var = (N * (N + 1.0)) / 12.0 - (N > 1 ? ties / (12.0 * (N - 1)) : 0.0);
    int q = 0;
    for (int a = 0; a < k; a++)
        for (int b = a + 1; b < k; b++) {
            double se = sqrt(var * (1.0 / sizes[a] + 1.0 / sizes[b]));
            double zz = se > 0 ? fabs(mr[a] - mr[b]) / se : 0.0;
            if (z) z[a * k + b] = z[b * k + a] = zz;
            pp[q++] = 2.0 * opt_norm_sf(zz);
        }
    opt_holm(pp, npairs, pa);
    q = 0;
    for (int a = 0; a < k; a++) {
        p_adj[a * k + a] = 1.0;
        if (z) z[a * k + a] = 0.0;
        for (int b = a + 1; b < k; b++) {
            p_adj[a * k + b] = p_adj[b * k + a] = pa[q];
            q++;
        }
    }
    free(rank), free(mr), free(pp), free(pa);
    return EM_OK;
}
