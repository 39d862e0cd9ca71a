/* opt/surrogate_internal.h: what the surrogate front end (surrogate.c) shares with its
 * model back ends (surrogate_knn.c, surrogate_xgb.c, surrogate_gp.c). Not public.
 *
 * The front end scales inputs to [0, 1] by the bounds and standardizes targets; a back
 * end only ever sees scaled rows and standardized targets, and predicts on that scale. */
#ifndef EMOMC_OPT_SURROGATE_INTERNAL_H
#define EMOMC_OPT_SURROGATE_INTERNAL_H

#include "../opt/surrogate.h"

typedef struct opt_surrogate_ops {
    /* Fits on n scaled rows (n x d) and standardized targets; both stay owned by the
     * caller, so a back end that needs them later copies them. */
    int (*fit)(opt_surrogate *s, const double *X, int n, const double *y, em_error *err);
    int (*predict)(opt_surrogate *s, const double *X, int n, double *out, em_error *err);
    void (*release)(opt_surrogate *s);   /* frees s->impl and sets it NULL */
} opt_surrogate_ops;

struct opt_surrogate {
    opt_surrogate_kind kind;
    int d;
    double *lower, *upper;
    opt_surrogate_params p;
    int fitted;
    double y_mean, y_scale;    /* target standardization of the last fit */
    const opt_surrogate_ops *ops;
    void *impl;                /* the back end's state */
};

extern const opt_surrogate_ops opt_surrogate_knn_ops;
extern const opt_surrogate_ops opt_surrogate_xgb_ops;
extern const opt_surrogate_ops opt_surrogate_gp_ops;

#endif
