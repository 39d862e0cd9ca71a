/* opt/surrogate.c: the surrogate front end (scaling, validation, dispatch to a back
 * end), the error measures (MSE, MAPE; Spearman comes from opt/stats.h) and the
 * per-target model selection by k-fold cross-validation. */
#include "opt/surrogate_internal.h"

#include "opt/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[OPT_SURROGATE_COUNT] = {"knn", "rf", "gbt", "lgbm",
                                                            "gp"};
static const char *const metric_names[] = {"mse", "mape", "spearman", "random"};

void opt_surrogate_params_default(opt_surrogate_params *p)
{
    p->knn_k = 5;
    p->rf_trees = 100;
    p->rf_max_depth = 8;
    p->gbt_rounds = 100;
    p->gbt_max_depth = 6;
    p->gbt_eta = 0.1;
    p->nthread = 1;
    p->seed = 0;
}

const char *opt_surrogate_kind_name(opt_surrogate_kind kind)
{
    if ((int)kind < 0 || kind >= OPT_SURROGATE_COUNT) return "?";
    return kind_names[kind];
}

int opt_surrogate_kind_parse(const char *name, opt_surrogate_kind *out, em_error *err)
{
    for (int i = 0; i < OPT_SURROGATE_COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (opt_surrogate_kind)i;
            return EM_OK;
        }
    return em_fail(err, EM_EINVAL, "unknown surrogate model '%s' (expected knn, rf, gbt, "
                   "lgbm or gp)", name);
}

const char *opt_cv_metric_name(opt_cv_metric m)
{
    if ((int)m < 0 || m > OPT_CV_RANDOM) return "?";
    return metric_names[m];
}

int opt_cv_metric_parse(const char *name, opt_cv_metric *out, em_error *err)
{
    for (int i = 0; i <= OPT_CV_RANDOM; i++)
        if (strcmp(name, metric_names[i]) == 0) {
            *out = (opt_cv_metric)i;
            return EM_OK;
        }
    return em_fail(err, EM_EINVAL, "unknown selection metric '%s' (expected mse, mape, "
                   "spearman or random)", name);
}

static int check_params(const opt_surrogate_params *p, em_error *err)
{
    if (p->knn_k < 1) return em_fail(err, EM_EINVAL, "surrogate knn_k must be >= 1");
    if (p->rf_trees < 1 || p->rf_trees > 100000)
        return em_fail(err, EM_EINVAL, "surrogate rf_trees must be in 1..100000");
    if (p->rf_max_depth < 1 || p->rf_max_depth > 30)
        return em_fail(err, EM_EINVAL, "surrogate rf_max_depth must be in 1..30");
    if (p->gbt_rounds < 1 || p->gbt_rounds > 100000)
        return em_fail(err, EM_EINVAL, "surrogate gbt_rounds must be in 1..100000");
    if (p->gbt_max_depth < 1 || p->gbt_max_depth > 30)
        return em_fail(err, EM_EINVAL, "surrogate gbt_max_depth must be in 1..30");
    if (!(p->gbt_eta > 0 && p->gbt_eta <= 1))
        return em_fail(err, EM_EINVAL, "surrogate gbt_eta must be in (0, 1]");
    if (p->nthread < 1 || p->nthread > 1024)
        return em_fail(err, EM_EINVAL, "surrogate nthread must be in 1..1024");
    return EM_OK;
}

int opt_surrogate_new(opt_surrogate_kind kind, int d, const double *lower,
                      const double *upper, const opt_surrogate_params *params,
                      opt_surrogate **out, em_error *err)
{
    *out = NULL;
    if ((int)kind < 0 || kind >= OPT_SURROGATE_COUNT)
        return em_fail(err, EM_EINVAL, "surrogate kind %d out of range", (int)kind);
    if (d < 1) return em_fail(err, EM_EINVAL, "surrogate needs at least one variable");
    for (int j = 0; j < d; j++)
        if (!(isfinite(lower[j]) && isfinite(upper[j]) && lower[j] < upper[j]))
            return em_fail(err, EM_EINVAL, "surrogate variable %d: bounds [%g, %g] are not "
                           "finite with lower < upper", j, lower[j], upper[j]);
    opt_surrogate_params p;
    if (params) p = *params;
    else opt_surrogate_params_default(&p);
    int rc = check_params(&p, err);
    if (rc) return rc;

    opt_surrogate *s = calloc(1, sizeof *s);
    if (!s) return em_fail(err, EM_ENOMEM, "out of memory");
    s->lower = malloc(sizeof(double) * (size_t)d);
    s->upper = malloc(sizeof(double) * (size_t)d);
    if (!s->lower || !s->upper) {
        free(s->lower);
        free(s->upper);
        free(s);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    memcpy(s->lower, lower, sizeof(double) * (size_t)d);
    memcpy(s->upper, upper, sizeof(double) * (size_t)d);
    s->kind = kind;
    s->d = d;
    s->p = p;
    switch (kind) {
    case OPT_SURROGATE_KNN: s->ops = &opt_surrogate_knn_ops; break;
    case OPT_SURROGATE_GP: s->ops = &opt_surrogate_gp_ops; break;
    default: s->ops = &opt_surrogate_xgb_ops; break;
    }
    *out = s;
    return EM_OK;
}

opt_surrogate_kind opt_surrogate_get_kind(const opt_surrogate *s) { return s->kind; }

void opt_surrogate_free(opt_surrogate *s)
{
    if (!s) return;
    if (s->impl) s->ops->release(s);
    free(s->lower);
    free(s->upper);
    free(s);
}

/* Scales n rows of X into [0, 1]^d by the bounds (points outside map outside). */
static double *scale_rows(const opt_surrogate *s, const double *X, int n, em_error *err)
{
    size_t cnt = (size_t)n * (size_t)s->d;
    double *Z = malloc(sizeof(double) * (cnt ? cnt : 1));
    if (!Z) {
        em_fail(err, EM_ENOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < s->d; j++) {
            size_t k = (size_t)i * (size_t)s->d + (size_t)j;
            Z[k] = (X[k] - s->lower[j]) / (s->upper[j] - s->lower[j]);
        }
    return Z;
}

int opt_surrogate_fit(opt_surrogate *s, const double *X, int n, const double *y,
                      em_error *err)
{
    if (n < 2) return em_fail(err, EM_EINVAL, "surrogate fit needs at least 2 points, got %d",
                              n);
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            return em_fail(err, EM_EINVAL, "surrogate fit: target %d is not finite", i);
        for (int j = 0; j < s->d; j++)
            if (!isfinite(X[(size_t)i * (size_t)s->d + (size_t)j]))
                return em_fail(err, EM_EINVAL, "surrogate fit: row %d, variable %d is not "
                               "finite", i, j);
    }
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) mean += y[i];
    mean /= n;
    for (int i = 0; i < n; i++) var += (y[i] - mean) * (y[i] - mean);
    double sd = sqrt(var / n);
    if (!(sd > 1e-300) || !isfinite(sd)) sd = 1.0;   /* constant target */

    double *Z = scale_rows(s, X, n, err);
    double *t = malloc(sizeof(double) * (size_t)n);
    if (!Z || !t) {
        free(Z);
        free(t);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) t[i] = (y[i] - mean) / sd;
    if (s->impl) s->ops->release(s);
    s->fitted = 0;
    int rc = s->ops->fit(s, Z, n, t, err);
    free(Z);
    free(t);
    if (rc) {
        em_error_prefix(err, "%s surrogate", kind_names[s->kind]);
        return rc;
    }
    s->y_mean = mean;
    s->y_scale = sd;
    s->fitted = 1;
    return EM_OK;
}

int opt_surrogate_predict(opt_surrogate *s, const double *X, int n, double *out,
                          em_error *err)
{
    if (!s->fitted)
        return em_fail(err, EM_EINVAL, "%s surrogate: predict before fit", kind_names[s->kind]);
    if (n <= 0) return EM_OK;
    double *Z = scale_rows(s, X, n, err);
    if (!Z) return EM_ENOMEM;
    int rc = s->ops->predict(s, Z, n, out, err);
    free(Z);
    if (rc) {
        em_error_prefix(err, "%s surrogate", kind_names[s->kind]);
        return rc;
    }
    for (int i = 0; i < n; i++) out[i] = s->y_mean + s->y_scale * out[i];
    return EM_OK;
}

/* ---- measures ---- */

double opt_surrogate_mse(const double *y, const double *pred, int n)
{
    if (n <= 0) return 0;
    double s = 0;
    for (int i = 0; i < n; i++) s += (y[i] - pred[i]) * (y[i] - pred[i]);
    return s / n;
}

double opt_surrogate_mape(const double *y, const double *pred, int n)
{
    if (n <= 0) return 0;
    double s = 0;
    for (int i = 0; i < n; i++) {
        double den = fabs(y[i]);
        if (den < DBL_EPSILON) den = DBL_EPSILON;
        s += fabs(y[i] - pred[i]) / den;
    }
    return s / n;
}

/* ---- selection ---- */

/* Out-of-fold predictions of one model kind into pred[n]; perm maps fold order to rows. */
static int cv_predict(opt_surrogate_kind kind, int d, const double *lower, const double *upper,
                      const opt_surrogate_params *params, const double *X, int n,
                      const double *y, const int *perm, int folds, double *Xtr, double *ytr,
                      double *Xte, double *pte, double *pred, em_error *err)
{
    opt_surrogate *s = NULL;
    int rc = opt_surrogate_new(kind, d, lower, upper, params, &s, err);
    if (rc) return rc;
    for (int f = 0; f < folds && rc == 0; f++) {
        int lo = (int)((long)n * f / folds), hi = (int)((long)n * (f + 1) / folds);
        int ntr = 0, nte = 0;
        for (int k = 0; k < n; k++) {
            int r = perm[k];
            const double *row = X + (size_t)r * (size_t)d;
            if (k >= lo && k < hi) {
                memcpy(Xte + (size_t)nte * (size_t)d, row, sizeof(double) * (size_t)d);
                nte++;
            } else {
                memcpy(Xtr + (size_t)ntr * (size_t)d, row, sizeof(double) * (size_t)d);
                ytr[ntr++] = y[r];
            }
        }
        rc = opt_surrogate_fit(s, Xtr, ntr, ytr, err);
        if (rc == 0) rc = opt_surrogate_predict(s, Xte, nte, pte, err);
        for (int k = lo; k < hi && rc == 0; k++) pred[perm[k]] = pte[k - lo];
    }
    opt_surrogate_free(s);
    return rc;
}

int opt_surrogate_select(const opt_surrogate_kind *kinds, int n_kinds, int d,
                         const double *lower, const double *upper,
                         const opt_surrogate_params *params, const double *X, int n,
                         const double *y, opt_cv_metric metric, int folds, em_rng *rng,
                         int *best, double *scores, em_error *err)
{
    if (n_kinds < 1) return em_fail(err, EM_EINVAL, "surrogate selection needs a model");
    if ((int)metric < 0 || metric > OPT_CV_RANDOM)
        return em_fail(err, EM_EINVAL, "selection metric %d out of range", (int)metric);
    if (metric == OPT_CV_RANDOM) {
        *best = (int)em_rng_below(rng, (uint64_t)n_kinds);
        if (scores)
            for (int i = 0; i < n_kinds; i++) scores[i] = NAN;
        return EM_OK;
    }
    if (folds < 2 || folds > n)
        return em_fail(err, EM_EINVAL, "cross-validation needs 2 <= folds <= points, got "
                       "%d folds for %d points", folds, n);
    if (n - (n + folds - 1) / folds < 2)
        return em_fail(err, EM_EINVAL, "cross-validation: %d points are too few for %d "
                       "folds", n, folds);

    int rc = EM_OK;
    uint32_t *perm32 = malloc(sizeof(uint32_t) * (size_t)n);
    int *perm = malloc(sizeof(int) * (size_t)n);
    double *Xtr = malloc(sizeof(double) * (size_t)n * (size_t)d);
    double *Xte = malloc(sizeof(double) * (size_t)n * (size_t)d);
    double *ytr = malloc(sizeof(double) * (size_t)n);
    double *pte = malloc(sizeof(double) * (size_t)n);
    double *pred = malloc(sizeof(double) * (size_t)n);
    if (!perm32 || !perm || !Xtr || !Xte || !ytr || !pte || !pred) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) perm32[i] = (uint32_t)i;
    em_rng_shuffle_u32(rng, perm32, (uint32_t)n);
    for (int i = 0; i < n; i++) perm[i] = (int)perm32[i];

    int chosen = -1, first_ok = -1;
    double best_score = 0;
    int n_failed = 0;
    em_error last = {0};
    for (int m = 0; m < n_kinds; m++) {
        em_error e = {0};
        int r = cv_predict(kinds[m], d, lower, upper, params, X, n, y, perm, folds, Xtr, ytr,
                           Xte, pte, pred, &e);
        double score;
        if (r == EM_ENOMEM) {
            rc = em_fail(err, EM_ENOMEM, "%s", e.msg);
            goto done;
        }
        if (r) {   /* a model that cannot be fitted here is simply not chosen */
            n_failed++;
            last = e;
            score = metric == OPT_CV_SPEARMAN ? -INFINITY : INFINITY;
        } else if (metric == OPT_CV_MSE) {
            score = opt_surrogate_mse(y, pred, n);
        } else if (metric == OPT_CV_MAPE) {
            score = opt_surrogate_mape(y, pred, n);
        } else {
            score = opt_spearman(y, pred, n);
        }
        if (scores) scores[m] = score;
        if (r) continue;
        if (first_ok < 0) first_ok = m;
        if (isnan(score)) continue;   /* e.g. a prediction overflowed: never chosen */
        int better = metric == OPT_CV_SPEARMAN ? score > best_score : score < best_score;
        if (chosen < 0 || better) {
            chosen = m;
            best_score = score;
        }
    }
    if (chosen < 0) chosen = first_ok;   /* every score undefined (NaN) */
    if (chosen < 0) {
        rc = em_fail(err, EM_EINVAL, "no surrogate could be fitted (%d failed; last: %s)",
                     n_failed, last.msg);
        goto done;
    }
    *best = chosen;
done:
    free(perm32);
    free(perm);
    free(Xtr);
    free(Xte);
    free(ytr);
    free(pte);
    free(pred);
    return rc;
}
