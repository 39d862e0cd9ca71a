/* tests/test_opt_surrogate.c: the surrogate models (KNN, RF, GBT, LGBM, GP) on functions
 * whose values we know, the error measures against hand values, cross-validated
 * selection on cases built so that one model is obviously better, and Latin
 * hypercube stratification. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt/lhs.h"
#include "opt/stats.h"
#include "opt/surrogate.h"
#include "tests/testutil.h"

static opt_surrogate *fit_model(opt_surrogate_kind kind, int d, const double *lo,
                                const double *hi, const double *X, int n, const double *y)
{
    opt_surrogate *s = NULL;
    em_error err = {0};
    opt_surrogate_params p;
    opt_surrogate_params_default(&p);
    p.seed = 7;
    ck_assert_msg(opt_surrogate_new(kind, d, lo, hi, &p, &s, &err) == 0, "%s", err.msg);
    ck_assert_msg(opt_surrogate_fit(s, X, n, y, &err) == 0, "%s", err.msg);
    return s;
}

/* Root-mean-square error of s against f on m random points of the box. */
static double rmse_of(opt_surrogate *s, int d, const double *lo, const double *hi,
                      double (*f)(const double *), int m, uint64_t seed)
{
    em_rng r;
    em_rng_seed(&r, seed);
    double *X = malloc(sizeof(double) * (size_t)m * d), *p = malloc(sizeof(double) * m);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < d; j++) X[i * d + j] = lo[j] + em_rng_uniform(&r) * (hi[j] - lo[j]);
    em_error err = {0};
    ck_assert_msg(opt_surrogate_predict(s, X, m, p, &err) == 0, "%s", err.msg);
    double sse = 0;
    for (int i = 0; i < m; i++) sse += (p[i] - f(X + i * d)) * (p[i] - f(X + i * d));
    free(X);
    free(p);
    return sqrt(sse / m);
}

/* A linear function on the box [-1, 2] x [0, 5]: std over the box is about 3.1. */
static double linear2(const double *x) { return 2.0 * x[0] - 1.5 * x[1] + 4.0; }
static double sine1(const double *x) { return sin(2.0 * M_PI * x[0]); }
static double step1(const double *x) { return x[0] > 0.5 ? 1.0 : 0.0; }

static int no_eval(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)user, (void)n, (void)X, (void)F, (void)G;
    return em_fail(err, EM_EINTERNAL, "not to be called");
}

static void sample(int n, int d, const double *lo, const double *hi,
                   double (*f)(const double *), uint64_t seed, double *X, double *y)
{
    em_rng r;
    em_rng_seed(&r, seed);
    em_error err = {0};
    ck_assert_int_eq(opt_lhs_unit(&r, n, d, X, &err), 0);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) X[i * d + j] = lo[j] + X[i * d + j] * (hi[j] - lo[j]);
        y[i] = f(X + i * d);
    }
}

/* Each model on a linear function of two variables over a box that is not the unit
 * square (so scaling by the bounds matters): 300 LHS training points, RMSE on 500
 * fresh random points. The function's standard deviation over the box is about 3.1;
 * the bounds are about twice what each model reached when this test was written
 * (KNN 0.165, RF 0.317, GBT 0.222, LGBM 0.212, GP 5e-5). */
START_TEST(linear_function)
{
    const double lo[2] = {-1, 0}, hi[2] = {2, 5};
    const double bound[OPT_SURROGATE_COUNT] = {0.33, 0.6, 0.45, 0.45, 1e-3};
    double X[600], y[300];
    sample(300, 2, lo, hi, linear2, 3, X, y);
    for (int k = 0; k < OPT_SURROGATE_COUNT; k++) {
        opt_surrogate *s = fit_model(k, 2, lo, hi, X, 300, y);
        ck_assert_int_eq(opt_surrogate_get_kind(s), k);
        double e = rmse_of(s, 2, lo, hi, linear2, 500, 9);
        ck_assert_msg(e < bound[k], "%s: rmse %g >= %g", opt_surrogate_kind_name(k), e,
                      bound[k]);
        opt_surrogate_free(s);
    }
}
END_TEST

/* sin(2 pi x) on [0, 1] from evenly spaced points: the GP interpolates it almost
 * exactly from 12 points (measured 1.5e-4); KNN and the forests from 40 points are
 * within a few hundredths (measured KNN 0.033, RF 0.025, GBT 0.031, LGBM 0.062). */
START_TEST(sine_function)
{
    const double lo[1] = {0}, hi[1] = {1};
    double X[40], y[40];
    for (int i = 0; i < 12; i++) {
        X[i] = (i + 0.5) / 12;
        y[i] = sine1(X + i);
    }
    opt_surrogate *gp = fit_model(OPT_SURROGATE_GP, 1, lo, hi, X, 12, y);
    ck_assert_double_lt(rmse_of(gp, 1, lo, hi, sine1, 500, 4), 1e-3);
    /* It interpolates its training points (the nugget is small). */
    double p[12];
    em_error err = {0};
    ck_assert_int_eq(opt_surrogate_predict(gp, X, 12, p, &err), 0);
    for (int i = 0; i < 12; i++) ck_assert_close(p[i], y[i], 0, 1e-4);
    double len, nug;
    ck_assert_int_eq(opt_surrogate_gp_hyper(gp, &len, &nug, &err), 0);
    /* the grid spans 0.02 .. 2 for d = 1; a period-1 sine wants a length scale well
     * inside it */
    ck_assert_double_gt(len, 0.05);
    ck_assert_double_lt(len, 1.0);
    ck_assert_double_le(nug, 1e-4);
    opt_surrogate_free(gp);

    for (int i = 0; i < 40; i++) {
        X[i] = (i + 0.5) / 40;
        y[i] = sine1(X + i);
    }
    const double bound[OPT_SURROGATE_COUNT] = {0.07, 0.05, 0.06, 0.12, 1e-4};
    for (int k = 0; k < OPT_SURROGATE_COUNT; k++) {
        opt_surrogate *s = fit_model(k, 1, lo, hi, X, 40, y);
        double e = rmse_of(s, 1, lo, hi, sine1, 500, 4);
        ck_assert_msg(e < bound[k], "%s: rmse %g >= %g", opt_surrogate_kind_name(k), e,
                      bound[k]);
        opt_surrogate_free(s);
    }
}
END_TEST

/* A step at 0.5 between data points 0.4875 and 0.5125: exact trees put the split
 * midway and are exact; the GP cannot bend that sharply. */
START_TEST(step_function)
{
    const double lo[1] = {0}, hi[1] = {1};
    double X[40], y[40];
    for (int i = 0; i < 40; i++) {
        X[i] = (i + 0.5) / 40;
        y[i] = step1(X + i);
    }
    opt_surrogate *gbt = fit_model(OPT_SURROGATE_GBT, 1, lo, hi, X, 40, y);
    opt_surrogate *gp = fit_model(OPT_SURROGATE_GP, 1, lo, hi, X, 40, y);
    ck_assert_double_lt(rmse_of(gbt, 1, lo, hi, step1, 500, 4), 1e-3);
    ck_assert_double_gt(rmse_of(gp, 1, lo, hi, step1, 500, 4), 0.05);
    opt_surrogate_free(gbt);
    opt_surrogate_free(gp);
}
END_TEST

/* KNN by hand: points 0, 1, 2, 3 with targets 0, 10, 20, 30 and k = 2. At 0.25 the
 * neighbours are 0 (distance 0.25) and 1 (0.75), weights 4 and 4/3, so the prediction
 * is (10 * 4/3) / (16/3) = 2.5. At 2 (an exact hit) it is 20. Bounds [0, 3] scale
 * both distances alike, so the weights are unchanged by scaling. */
START_TEST(knn_by_hand)
{
    const double lo[1] = {0}, hi[1] = {3};
    const double X[4] = {0, 1, 2, 3}, y[4] = {0, 10, 20, 30};
    opt_surrogate_params p;
    opt_surrogate_params_default(&p);
    p.knn_k = 2;
    opt_surrogate *s = NULL;
    em_error err = {0};
    ck_assert_int_eq(opt_surrogate_new(OPT_SURROGATE_KNN, 1, lo, hi, &p, &s, &err), 0);
    ck_assert_int_eq(opt_surrogate_fit(s, X, 4, y, &err), 0);
    const double q[3] = {0.25, 2.0, 2.5};
    double out[3];
    ck_assert_int_eq(opt_surrogate_predict(s, q, 3, out, &err), 0);
    ck_assert_close(out[0], 2.5, 1e-12, 1e-12);
    ck_assert_close(out[1], 20.0, 1e-12, 1e-12);
    ck_assert_close(out[2], 25.0, 1e-12, 1e-12);   /* equidistant from 2 and 3 */
    opt_surrogate_free(s);
}
END_TEST

/* The same seed gives bit-identical forests; another seed changes the random forest
 * (its rows and columns are subsampled). */
START_TEST(xgb_deterministic)
{
    const double lo[2] = {-1, 0}, hi[2] = {2, 5};
    double X[200], y[100], q[20], a[10], b[10], c[10];
    sample(100, 2, lo, hi, linear2, 5, X, y);
    sample(10, 2, lo, hi, linear2, 6, q, a);
    em_error err = {0};
    for (int k = OPT_SURROGATE_RF; k <= OPT_SURROGATE_LGBM; k++) {
        opt_surrogate_params p;
        opt_surrogate_params_default(&p);
        opt_surrogate *s = NULL;
        p.seed = 11;
        ck_assert_int_eq(opt_surrogate_new(k, 2, lo, hi, &p, &s, &err), 0);
        ck_assert_int_eq(opt_surrogate_fit(s, X, 100, y, &err), 0);
        ck_assert_int_eq(opt_surrogate_predict(s, q, 10, a, &err), 0);
        ck_assert_int_eq(opt_surrogate_fit(s, X, 100, y, &err), 0);   /* refit */
        ck_assert_int_eq(opt_surrogate_predict(s, q, 10, b, &err), 0);
        ck_assert_mem_eq(a, b, sizeof a);
        opt_surrogate_free(s);
        if (k == OPT_SURROGATE_RF) {
            p.seed = 12;
            ck_assert_int_eq(opt_surrogate_new(k, 2, lo, hi, &p, &s, &err), 0);
            ck_assert_int_eq(opt_surrogate_fit(s, X, 100, y, &err), 0);
            ck_assert_int_eq(opt_surrogate_predict(s, q, 10, c, &err), 0);
            ck_assert_msg(memcmp(a, c, sizeof a) != 0, "RF ignores its seed");
            opt_surrogate_free(s);
        }
    }
}
END_TEST

START_TEST(bad_input)
{
    const double lo[2] = {0, 0}, hi[2] = {1, 1}, bad_hi[2] = {1, 0};
    opt_surrogate *s = NULL;
    em_error err = {0};
    ck_assert_int_eq(opt_surrogate_new(OPT_SURROGATE_GP, 2, lo, bad_hi, NULL, &s, &err),
                     EM_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err.msg, "variable 1"));
    ck_assert_int_eq(opt_surrogate_new(OPT_SURROGATE_COUNT, 2, lo, hi, NULL, &s, &err),
                     EM_EINVAL);
    opt_surrogate_params p;
    opt_surrogate_params_default(&p);
    p.knn_k = 0;
    ck_assert_int_eq(opt_surrogate_new(OPT_SURROGATE_KNN, 2, lo, hi, &p, &s, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "knn_k"));

    const double X[6] = {0, 0, 0.5, 0.5, 1, 1};
    const double y[3] = {1, 2, NAN};
    double out[1];
    for (int k = 0; k < OPT_SURROGATE_COUNT; k++) {
        ck_assert_int_eq(opt_surrogate_new(k, 2, lo, hi, NULL, &s, &err), 0);
        ck_assert_int_eq(opt_surrogate_predict(s, X, 1, out, &err), EM_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "before fit"));
        ck_assert_int_eq(opt_surrogate_fit(s, X, 1, y, &err), EM_EINVAL);
        ck_assert_int_eq(opt_surrogate_fit(s, X, 3, y, &err), EM_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "target 2"));
        ck_assert_int_eq(opt_surrogate_fit(s, X, 2, y, &err), 0);
        ck_assert_int_eq(opt_surrogate_predict(s, X, 1, out, &err), 0);
        ck_assert(isfinite(out[0]));
        opt_surrogate_free(s);
    }
    opt_surrogate_kind kind;
    opt_cv_metric metric;
    ck_assert_int_eq(opt_surrogate_kind_parse("lgbm", &kind, &err), 0);
    ck_assert_int_eq(kind, OPT_SURROGATE_LGBM);
    ck_assert_int_eq(opt_surrogate_kind_parse("svm", &kind, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "svm"));
    ck_assert_int_eq(opt_cv_metric_parse("spearman", &metric, &err), 0);
    ck_assert_int_eq(metric, OPT_CV_SPEARMAN);
    ck_assert_int_eq(opt_cv_metric_parse("r2", &metric, &err), EM_EINVAL);
}
END_TEST

/* Hand values: y = (1, 2, 4), prediction (1, 3, 2): MSE (0 + 1 + 4)/3, MAPE
 * (0 + 1/2 + 2/4)/3. Spearman of x = 1..5, y = 5,6,7,8,7 (ranks 1,2,3.5,5,3.5) is
 * 0.8207826817 (DESIGN.md section 10; scipy.stats.spearmanr agrees). */
START_TEST(measures_by_hand)
{
    const double y[3] = {1, 2, 4}, p[3] = {1, 3, 2};
    ck_assert_close(opt_surrogate_mse(y, p, 3), 5.0 / 3.0, 1e-15, 0);
    ck_assert_close(opt_surrogate_mape(y, p, 3), 1.0 / 3.0, 1e-15, 0);
    const double a[5] = {1, 2, 3, 4, 5}, b[5] = {5, 6, 7, 8, 7};
    ck_assert_close(opt_spearman(a, b, 5), 0.8207826817, 1e-9, 0);
    ck_assert_close(opt_spearman(b, a, 5), 0.8207826817, 1e-9, 0);
    const double rev[5] = {9, 7, 5, 3, 1}, cst[5] = {2, 2, 2, 2, 2};
    ck_assert_close(opt_spearman(a, rev, 5), -1.0, 1e-15, 0);
    ck_assert(isnan(opt_spearman(a, cst, 5)));   /* undefined */
    /* ties on both sides: x = 1,1,2,2 y = 1,2,2,3 -> ranks (1.5,1.5,3.5,3.5) and
     * (1,2.5,2.5,4), centred (-1,-1,1,1) and (-1.5,0,0,1.5): cross sum 3, squares 4
     * and 4.5 -> 3 / sqrt(18) */
    const double tx[4] = {1, 1, 2, 2}, ty[4] = {1, 2, 2, 3};
    ck_assert_close(opt_spearman(tx, ty, 4), 3.0 / sqrt(18.0), 1e-12, 0);
}
END_TEST

/* Selection on constructed cases where one model is obviously better: a smooth sine
 * (GP beats the forests by orders of magnitude under MSE, MAPE and Spearman) and a
 * step (exact trees beat the GP). */
START_TEST(cv_selection)
{
    const double lo[1] = {0}, hi[1] = {1};
    double X[40], y[40], scores[3];
    for (int i = 0; i < 40; i++) {
        X[i] = (i + 0.5) / 40;
        y[i] = 2.0 + sine1(X + i);   /* away from 0, so MAPE is meaningful */
    }
    const opt_surrogate_kind kinds[3] = {OPT_SURROGATE_RF, OPT_SURROGATE_GP,
                                         OPT_SURROGATE_KNN};
    em_error err = {0};
    for (int m = OPT_CV_MSE; m <= OPT_CV_SPEARMAN; m++) {
        em_rng r;
        em_rng_seed(&r, 1);
        int best = -1;
        ck_assert_msg(opt_surrogate_select(kinds, 3, 1, lo, hi, NULL, X, 40, y, m, 5, &r,
                                           &best, scores, &err) == 0, "%s", err.msg);
        ck_assert_msg(best == 1, "%s picked %s", opt_cv_metric_name(m),
                      opt_surrogate_kind_name(kinds[best]));
        for (int k = 0; k < 3; k++)
            if (m == OPT_CV_SPEARMAN) ck_assert_double_ge(scores[1], scores[k]);
            else ck_assert_double_le(scores[1], scores[k]);
        if (m == OPT_CV_MSE) ck_assert_double_lt(scores[1], 0.01 * scores[0]);
    }

    /* a staircase of 4 steps, sampled away from its jumps (gaps of 0.1 around each) */
    for (int i = 0; i < 40; i++) {
        int k = i / 10;
        X[i] = 0.25 * k + 0.05 + 0.15 * (i % 10) / 9.0;
        y[i] = k;
    }
    const opt_surrogate_kind two[2] = {OPT_SURROGATE_GP, OPT_SURROGATE_GBT};
    em_rng r;
    em_rng_seed(&r, 1);
    int best = -1;
    ck_assert_int_eq(opt_surrogate_select(two, 2, 1, lo, hi, NULL, X, 40, y, OPT_CV_MSE, 5,
                                          &r, &best, scores, &err), 0);
    ck_assert_msg(best == 1, "step: picked %s (mse gp %g gbt %g)",
                  opt_surrogate_kind_name(two[best]), scores[0], scores[1]);
    ck_assert_msg(scores[1] < 0.01 * scores[0], "mse gp %g gbt %g", scores[0], scores[1]);

    /* A constant target: Spearman is undefined for every model, so the first one is
     * taken; MSE still works (every model predicts the constant). */
    for (int i = 0; i < 40; i++) y[i] = 3.0;
    ck_assert_int_eq(opt_surrogate_select(two, 2, 1, lo, hi, NULL, X, 40, y, OPT_CV_SPEARMAN,
                                          5, &r, &best, scores, &err), 0);
    ck_assert_int_eq(best, 0);
    ck_assert(isnan(scores[0]) && isnan(scores[1]));
    ck_assert_int_eq(opt_surrogate_select(two, 2, 1, lo, hi, NULL, X, 40, y, OPT_CV_MSE, 5,
                                          &r, &best, scores, &err), 0);
    ck_assert_double_lt(scores[0], 1e-20);
    ck_assert_double_lt(scores[1], 1e-12);

    /* too many folds for the data */
    ck_assert_int_eq(opt_surrogate_select(two, 2, 1, lo, hi, NULL, X, 3, y, OPT_CV_MSE, 5,
                                          &r, &best, scores, &err), EM_EINVAL);
}
END_TEST

/* Random selection fits nothing, is reproducible from the seed and, over many draws,
 * picks every candidate about equally often (300 draws of 3: each 100 +- 40). */
START_TEST(random_selection)
{
    const opt_surrogate_kind kinds[3] = {OPT_SURROGATE_RF, OPT_SURROGATE_GP,
                                         OPT_SURROGATE_KNN};
    const double lo[1] = {0}, hi[1] = {1};
    em_rng r1, r2;
    em_rng_seed(&r1, 5);
    em_rng_seed(&r2, 5);
    int count[3] = {0, 0, 0};
    em_error err = {0};
    for (int t = 0; t < 300; t++) {
        int b1 = -1, b2 = -2;
        double sc[3];
        /* X and y are not even read */
        ck_assert_int_eq(opt_surrogate_select(kinds, 3, 1, lo, hi, NULL, NULL, 0, NULL,
                                              OPT_CV_RANDOM, 5, &r1, &b1, sc, &err), 0);
        ck_assert_int_eq(opt_surrogate_select(kinds, 3, 1, lo, hi, NULL, NULL, 0, NULL,
                                              OPT_CV_RANDOM, 5, &r2, &b2, NULL, &err), 0);
        ck_assert_int_eq(b1, b2);
        ck_assert(isnan(sc[0]));
        count[b1]++;
    }
    for (int k = 0; k < 3; k++) ck_assert_msg(abs(count[k] - 100) <= 40, "%d", count[k]);
}
END_TEST

/* Latin hypercube: every column has exactly one value in each of the n strata; the
 * same seed repeats the sample, another seed changes it. */
START_TEST(lhs_strata)
{
    enum { N = 37, D = 5 };
    double A[N * D], B[N * D];
    em_rng r;
    em_error err = {0};
    em_rng_seed(&r, 42);
    ck_assert_int_eq(opt_lhs_unit(&r, N, D, A, &err), 0);
    for (int j = 0; j < D; j++) {
        int seen[N] = {0};
        for (int i = 0; i < N; i++) {
            double u = A[i * D + j];
            ck_assert(u >= 0 && u < 1);
            seen[(int)floor(u * N)]++;
        }
        for (int k = 0; k < N; k++) ck_assert_int_eq(seen[k], 1);
    }
    em_rng_seed(&r, 42);
    ck_assert_int_eq(opt_lhs_unit(&r, N, D, B, &err), 0);
    ck_assert_mem_eq(A, B, sizeof A);
    em_rng_seed(&r, 43);
    ck_assert_int_eq(opt_lhs_unit(&r, N, D, B, &err), 0);
    ck_assert(memcmp(A, B, sizeof A) != 0);
    ck_assert_int_eq(opt_lhs_unit(&r, 0, D, B, &err), EM_EINVAL);

    /* Over a problem: a real variable in [-2, 6] keeps its strata (width 8/10); an
     * integer variable in [1, 4] takes each value 2 or 3 times out of 10. */
    opt_problem *p = NULL;
    ck_assert_int_eq(opt_problem_new("lhs", 2, 1, 0, no_eval, NULL, &p, &err), 0);
    ck_assert_int_eq(opt_var_real(p, 0, "a", -2, 6, &err), 0);
    ck_assert_int_eq(opt_var_int(p, 1, "b", 1, 4, &err), 0);
    double X[20];
    ck_assert_int_eq(opt_lhs_problem(p, &r, 10, X, &err), 0);
    int strata[10] = {0}, vals[4] = {0};
    for (int i = 0; i < 10; i++) {
        strata[(int)floor((X[2 * i] + 2) / 0.8)]++;
        ck_assert_double_eq(X[2 * i + 1], rint(X[2 * i + 1]));
        vals[(int)X[2 * i + 1] - 1]++;
    }
    for (int k = 0; k < 10; k++) ck_assert_int_eq(strata[k], 1);
    for (int k = 0; k < 4; k++) ck_assert(vals[k] == 2 || vals[k] == 3);
    opt_problem_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("opt_surrogate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, linear_function);
    tcase_add_test(tc, sine_function);
    tcase_add_test(tc, step_function);
    tcase_add_test(tc, knn_by_hand);
    tcase_add_test(tc, xgb_deterministic);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, measures_by_hand);
    tcase_add_test(tc, cv_selection);
    tcase_add_test(tc, random_selection);
    tcase_add_test(tc, lhs_strata);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
