/* opt/surrogate_xgb.c: the tree-ensemble surrogates through XGBoost's C API (1.6):
 * random forest (RF), gradient-boosted trees (GBT) and a LightGBM-like leaf-wise
 * variant (LGBM). Parameters are set explicitly (nthread, seed, verbosity 0) so a fit
 * is deterministic and silent. XGBoost works in float32; the front end has already
 * standardized the targets, so no precision is lost to their offset. */
#include "opt/surrogate_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <xgboost/c_api.h>

typedef struct xgb {
    BoosterHandle booster;
} xgb;

static int xgb_error(em_error *err, const char *what)
{
    const char *m = XGBGetLastError();
    return em_fail(err, EM_EINTERNAL, "XGBoost %s failed: %s", what, m ? m : "(no message)");
}

static void xgb_release(opt_surrogate *s)
{
    xgb *m = s->impl;
    if (m) {
        if (m->booster) XGBoosterFree(m->booster);
        free(m);
    }
    s->impl = NULL;
}

/* Rows of doubles to a float32 DMatrix. */
static int make_dmatrix(const double *X, int n, int d, DMatrixHandle *out, em_error *err)
{
    size_t cnt = (size_t)n * (size_t)d;
    float *f = malloc(sizeof(float) * cnt);
    if (!f) return em_fail(err, EM_ENOMEM, "out of memory");
    for (size_t i = 0; i < cnt; i++) f[i] = (float)X[i];
    int rc = XGDMatrixCreateFromMat(f, (bst_ulong)n, (bst_ulong)d, NAN, out);
    free(f);
    return rc ? xgb_error(err, "DMatrix creation") : EM_OK;
}

static int set_params(BoosterHandle b, const opt_surrogate *s, int *rounds, em_error *err)
{
    char nthread[32], seed[32], depth[32], eta[64], trees[32];
    const opt_surrogate_params *p = &s->p;
    snprintf(nthread, sizeof nthread, "%d", p->nthread);
    /* XGBoost's seed is a 32-bit int; fold the 64-bit run seed into it. */
    snprintf(seed, sizeof seed, "%d", (int)((p->seed ^ (p->seed >> 32)) & 0x7fffffff));
    snprintf(eta, sizeof eta, "%.17g", p->gbt_eta);
    const char *common[][2] = {
        {"verbosity", "0"},       {"objective", "reg:squarederror"},
        {"nthread", nthread},     {"seed", seed},
        {"base_score", "0"},
    };
    const char *kv[8][2];
    int nkv = 0;
    switch (s->kind) {
    case OPT_SURROGATE_RF:
        snprintf(depth, sizeof depth, "%d", p->rf_max_depth);
        snprintf(trees, sizeof trees, "%d", p->rf_trees);
        kv[nkv][0] = "num_parallel_tree"; kv[nkv++][1] = trees;
        kv[nkv][0] = "subsample";         kv[nkv++][1] = "0.8";
        kv[nkv][0] = "colsample_bynode";  kv[nkv++][1] = "0.8";
        kv[nkv][0] = "eta";               kv[nkv++][1] = "1";
        kv[nkv][0] = "lambda";            kv[nkv++][1] = "0";   /* leaves = plain means */
        kv[nkv][0] = "max_depth";         kv[nkv++][1] = depth;
        kv[nkv][0] = "tree_method";       kv[nkv++][1] = "exact";
        *rounds = 1;
        break;
    case OPT_SURROGATE_GBT:
        snprintf(depth, sizeof depth, "%d", p->gbt_max_depth);
        kv[nkv][0] = "eta";               kv[nkv++][1] = eta;
        kv[nkv][0] = "max_depth";         kv[nkv++][1] = depth;
        kv[nkv][0] = "tree_method";       kv[nkv++][1] = "exact";
        *rounds = p->gbt_rounds;
        break;
    case OPT_SURROGATE_LGBM:
        kv[nkv][0] = "eta";               kv[nkv++][1] = eta;
        kv[nkv][0] = "grow_policy";       kv[nkv++][1] = "lossguide";
        kv[nkv][0] = "max_leaves";        kv[nkv++][1] = "31";
        kv[nkv][0] = "max_depth";         kv[nkv++][1] = "0";
        kv[nkv][0] = "tree_method";       kv[nkv++][1] = "hist";
        *rounds = p->gbt_rounds;
        break;
    default:
        return em_fail(err, EM_EINTERNAL, "not an XGBoost surrogate kind");
    }
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (XGBoosterSetParam(b, common[i][0], common[i][1]))
            return xgb_error(err, common[i][0]);
    for (int i = 0; i < nkv; i++)
        if (XGBoosterSetParam(b, kv[i][0], kv[i][1])) return xgb_error(err, kv[i][0]);
    return EM_OK;
}

static int xgb_fit(opt_surrogate *s, const double *X, int n, const double *y, em_error *err)
{
    static int silenced;
    if (!silenced) {   /* the global logger too: DMatrix creation logs before params */
        XGBSetGlobalConfig("{\"verbosity\": 0}");
        silenced = 1;
    }
    DMatrixHandle dm = NULL;
    int rc = make_dmatrix(X, n, s->d, &dm, err);
    if (rc) return rc;
    float *label = malloc(sizeof(float) * (size_t)n);
    xgb *m = calloc(1, sizeof *m);
    if (!label || !m) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) label[i] = (float)y[i];
    if (XGDMatrixSetFloatInfo(dm, "label", label, (bst_ulong)n)) {
        rc = xgb_error(err, "setting labels");
        goto done;
    }
    if (XGBoosterCreate(&dm, 1, &m->booster)) {
        rc = xgb_error(err, "booster creation");
        goto done;
    }
    int rounds = 1;
    rc = set_params(m->booster, s, &rounds, err);
    for (int it = 0; it < rounds && rc == 0; it++)
        if (XGBoosterUpdateOneIter(m->booster, it, dm)) rc = xgb_error(err, "training");
done:
    free(label);
    XGDMatrixFree(dm);
    if (rc == 0) {
        s->impl = m;
    } else if (m) {
        if (m->booster) XGBoosterFree(m->booster);
        free(m);
    }
    return rc;
}

static int xgb_predict(opt_surrogate *s, const double *X, int n, double *out, em_error *err)
{
    xgb *m = s->impl;
    DMatrixHandle dm = NULL;
    int rc = make_dmatrix(X, n, s->d, &dm, err);
    if (rc) return rc;
    bst_ulong len = 0;
    const float *res = NULL;
    if (XGBoosterPredict(m->booster, dm, 0, 0, 0, &len, &res)) {
        rc = xgb_error(err, "prediction");
    } else if (len != (bst_ulong)n) {
        rc = em_fail(err, EM_EINTERNAL, "XGBoost returned %lu predictions for %d rows",
                     (unsigned long)len, n);
    } else {
        for (int i = 0; i < n; i++) out[i] = res[i];
    }
    XGDMatrixFree(dm);
    return rc;
}

const opt_surrogate_ops opt_surrogate_xgb_ops = {xgb_fit, xgb_predict, xgb_release};
