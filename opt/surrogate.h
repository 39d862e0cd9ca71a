/* opt/surrogate.h: regression surrogates of one target (an objective or a constraint)
 * and their selection by k-fold cross-validation.
 *
 * Every model has the same life cycle: opt_surrogate_new (kind, dimension, variable
 * bounds), opt_surrogate_fit (n x d row-major X, n targets y), opt_surrogate_predict
 * (any number of rows), opt_surrogate_free. Inputs are scaled to [0, 1] by the variable
 * bounds before any model sees them, and targets are standardized, so the defaults
 * below work whatever the units of the problem.
 *
 * Models:
 *   KNN   k nearest neighbours (Euclidean in the scaled space), inverse-distance
 *         weighted; an exact hit returns the stored value.
 *   RF    random forest through XGBoost: num_parallel_tree trees, one boosting round,
 *         learning rate 1, subsample 0.8, colsample_bynode 0.8, no L2 leaf shrinkage.
 *   GBT   gradient-boosted trees through XGBoost (depth-wise, exact splits).
 *   LGBM  "LightGBM-like" XGBoost: leaf-wise growth (grow_policy=lossguide,
 *         max_leaves=31, tree_method=hist).
 *   GP    Gaussian process (ordinary Kriging) with an isotropic RBF kernel; length
 *         scale and nugget by maximum concentrated marginal likelihood (grid, then a
 *         golden-section refinement of the length scale); Cholesky by LAPACK (OpenBLAS).
 * XGBoost models run with verbosity 0, an explicit nthread and the given seed, so a
 * fit is deterministic. */
#ifndef EMOMC_OPT_SURROGATE_H
#define EMOMC_OPT_SURROGATE_H

#include <stdint.h>

#include "../common/error.h"
#include "../common/rng.h"

typedef enum {
    OPT_SURROGATE_KNN = 0,
    OPT_SURROGATE_RF,
    OPT_SURROGATE_GBT,
    OPT_SURROGATE_LGBM,
    OPT_SURROGATE_GP,
    OPT_SURROGATE_COUNT
} opt_surrogate_kind;

typedef struct opt_surrogate_params {
    int knn_k;          /* neighbours for KNN (default 5) */
    int rf_trees;       /* parallel trees of the random forest (default 100) */
    int rf_max_depth;   /* (default 8) */
    int gbt_rounds;     /* boosting rounds of GBT and LGBM (default 100) */
    int gbt_max_depth;  /* GBT depth (default 6); LGBM is limited by its 31 leaves */
    double gbt_eta;     /* learning rate of GBT and LGBM (default 0.1) */
    int nthread;        /* XGBoost threads (default 1) */
    uint64_t seed;      /* XGBoost seed (default 0); set it from the run's seed */
} opt_surrogate_params;

typedef struct opt_surrogate opt_surrogate;

void opt_surrogate_params_default(opt_surrogate_params *p);

/* Short lower-case names: "knn", "rf", "gbt", "lgbm", "gp". */
const char *opt_surrogate_kind_name(opt_surrogate_kind kind);
/* Parses a name as above; EM_EINVAL (naming it) when unknown. */
int opt_surrogate_kind_parse(const char *name, opt_surrogate_kind *out, em_error *err);

/* Creates an unfitted model over d variables with bounds lower[i] < upper[i] (copied).
 * params may be NULL for the defaults. */
int opt_surrogate_new(opt_surrogate_kind kind, int d, const double *lower,
                      const double *upper, const opt_surrogate_params *params,
                      opt_surrogate **out, em_error *err);
/* Fits on n >= 2 rows (X is n x d, row-major). Refitting replaces the previous fit.
 * Non-finite inputs or targets are rejected with EM_EINVAL. */
int opt_surrogate_fit(opt_surrogate *s, const double *X, int n, const double *y,
                      em_error *err);
/* Predicts n rows of X into out[n]; the model must be fitted. */
int opt_surrogate_predict(opt_surrogate *s, const double *X, int n, double *out,
                          em_error *err);
opt_surrogate_kind opt_surrogate_get_kind(const opt_surrogate *s);
void opt_surrogate_free(opt_surrogate *s);

/* GP only: the hyperparameters chosen by the last fit (scaled inputs, unit variance
 * targets). EM_EINVAL for another kind or an unfitted model. */
int opt_surrogate_gp_hyper(const opt_surrogate *s, double *length_scale, double *nugget,
                           em_error *err);

/* ---- quality measures and selection ---- */

typedef enum {
    OPT_CV_MSE = 0,    /* mean squared error, lower is better */
    OPT_CV_MAPE,       /* mean absolute percentage error (fraction), lower is better */
    OPT_CV_SPEARMAN,   /* rank correlation of truth and prediction, higher is better */
    OPT_CV_RANDOM      /* no CV: a model drawn uniformly with the given rng */
} opt_cv_metric;

const char *opt_cv_metric_name(opt_cv_metric m);   /* "mse", "mape", "spearman", "random" */
int opt_cv_metric_parse(const char *name, opt_cv_metric *out, em_error *err);

double opt_surrogate_mse(const double *y, const double *pred, int n);
/* mean |y - pred| / max(|y|, DBL_EPSILON), as scikit-learn defines it */
double opt_surrogate_mape(const double *y, const double *pred, int n);
/* (Spearman's rho with ties is opt_spearman, in opt/stats.h.) */

/* Chooses one of kinds[0..n_kinds) for the target y by `folds`-fold cross-validation:
 * rows are shuffled with rng and split into folds of near-equal size; each model is
 * fitted on all folds but one and predicts the held-out one; the metric is computed
 * on the pooled out-of-fold predictions. Ties go to the earlier kind; when Spearman is
 * undefined for every model (constant target or predictions), the first model that
 * could be fitted is chosen. With
 * OPT_CV_RANDOM no model is fitted and one kind is drawn with rng.
 * *best receives an index into kinds; scores[n_kinds] (may be NULL) the metric of
 * each (NAN for OPT_CV_RANDOM). A model whose fit fails scores worst. Needs
 * 2 <= folds <= n. */
int opt_surrogate_select(const opt_surrogate_kind *kinds, int n_kinds, int d,
                         const double *lower, const double *upper,
                         const opt_surrogate_params *params, const double *X, int n,
                         const double *y, opt_cv_metric metric, int folds, em_rng *rng,
                         int *best, double *scores, em_error *err);

#endif
