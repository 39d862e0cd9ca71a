/* opt/indicators.h: quality indicators of an approximation set A (na x m, minimized)
 * against a reference: hypervolume (exact) and the distance indicators IGD, IGD+, GD,
 * GD+ against a reference front Z (nz x m). Rows are row-major. */
#ifndef EMOMC_OPT_INDICATORS_H
#define EMOMC_OPT_INDICATORS_H

#include "../common/error.h"

/* Hypervolume dominated by A and bounded by the reference point ref (m values).
 * Points that do not strictly dominate ref contribute nothing. Exact: a sort and
 * sweep in 2-D, an O(n log n) sweep with a 64-ary bit tree in 3-D; above 3-D the
 * points are first reduced to their non-dominated set (dominated points and repeats
 * dropped), then WFG (While, Bradstreet, Barone 2012) recurses on limit sets down to
 * the 3-D sweep.
 * m >= 1. Returns EM_OK or EM_EINVAL / EM_ENOMEM with err filled. */
int opt_hypervolume(const double *A, int na, int m, const double *ref, double *hv,
                    em_error *err);

/* Convenience: the hypervolume, or NaN on error. */
double opt_hv(const double *A, int na, int m, const double *ref);

/* IGD  = mean over z in Z of min over a in A of ||a - z||.
 * IGD+ = mean over z of min over a of ||max(a - z, 0)||   (Ishibuchi et al. 2015).
 * GD   = mean over a in A of min over z of ||a - z||       (mean form, as pymoo).
 * GD+  = mean over a of min over z of ||max(a - z, 0)||.
 * All return NaN when na or nz is 0. */
double opt_igd(const double *A, int na, const double *Z, int nz, int m);
double opt_igd_plus(const double *A, int na, const double *Z, int nz, int m);
double opt_gd(const double *A, int na, const double *Z, int nz, int m);
double opt_gd_plus(const double *A, int na, const double *Z, int nz, int m);

#endif
