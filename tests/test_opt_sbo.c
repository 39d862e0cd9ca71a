/* tests/test_opt_sbo.c: the surrogate-based loop on small cases: configuration and
 * its errors, the hypervolume-improvement rule against hand-computed gains, budgets,
 * the LHS start, never evaluating a genotype twice (a 9-point space is exhausted
 * exactly), constraint handling, determinism and resume. The ZDT1 quality bar is in
 * test_opt_sbo_slow.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opt/pareto.h"
#include "opt/sbo.h"
#include "tests/testutil.h"

START_TEST(config)
{
    opt_options o;
    opt_options_default(&o);
    o.n_gen = 0;
    o.max_evals = 0;
    opt_sbo_config c;
    em_error err = {0};
    ck_assert_int_eq(opt_sbo_config_from_options(&o, &c, &err), 0);
    /* the SBO paper's defaults */
    ck_assert_int_eq(c.budget, 100);
    ck_assert_int_eq(c.n_initial, 50);
    ck_assert_int_eq(c.n_infill, 2);
    ck_assert_int_eq(c.n_models, OPT_SURROGATE_COUNT);
    ck_assert_int_eq(c.metric, OPT_CV_MSE);
    ck_assert_int_eq(c.metric_con, OPT_CV_MSE);
    ck_assert_int_eq(c.infill, OPT_SBO_INFILL_RANDOM);
    ck_assert_int_eq(c.folds, 5);
    ck_assert_int_eq(c.inner_gens, 100);

    o.variant = "infill=hvi, metric=spearman,models=gp+knn,folds=3,inner=nsga2,inner_gens=7";
    ck_assert_msg(opt_sbo_config_from_options(&o, &c, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(c.infill, OPT_SBO_INFILL_HVI);
    ck_assert_int_eq(c.metric, OPT_CV_SPEARMAN);
    ck_assert_int_eq(c.n_models, 2);
    ck_assert_int_eq(c.models[0], OPT_SURROGATE_GP);
    ck_assert_int_eq(c.models[1], OPT_SURROGATE_KNN);
    ck_assert_int_eq(c.folds, 3);
    ck_assert(c.inner == opt_nsga2_run);
    ck_assert_int_eq(c.inner_gens, 7);
    ck_assert_int_eq(c.metric_con, OPT_CV_SPEARMAN); /* metric= sets every target */
    /* The SBO paper's configurations: the objectives' and the constraint's metric apart,
     * later keys overriding earlier ones. */
    o.variant = "metric_obj=mape,metric_con=random";
    ck_assert_msg(opt_sbo_config_from_options(&o, &c, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(c.metric, OPT_CV_MAPE);
    ck_assert_int_eq(c.metric_con, OPT_CV_RANDOM);
    o.variant = "metric_con=spearman,metric=mse";
    ck_assert_msg(opt_sbo_config_from_options(&o, &c, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(c.metric, OPT_CV_MSE);
    ck_assert_int_eq(c.metric_con, OPT_CV_MSE);

    const char *bad[][2] = {{"infill=best", "infill"},      {"metric=r2", "r2"},
                            {"models=gp+svm", "svm"},       {"models=gp+gp", "twice"},
                            {"folds=1", "folds"},           {"inner=moead", "inner"},
                            {"colour=red", "colour"},       {"infill", "key=value"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.variant = bad[i][0];
        ck_assert_int_eq(opt_sbo_config_from_options(&o, &c, &err), EM_EINVAL);
        ck_assert_msg(strstr(err.msg, bad[i][1]), "'%s': %s", bad[i][0], err.msg);
    }
    o.variant = NULL;
    o.max_evals = 40;   /* below the 50 initial points */
    ck_assert_int_eq(opt_sbo_config_from_options(&o, &c, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "budget"));
    o.max_evals = 0;
    o.n_gen = 10;       /* no budget: N0 + iterations * k */
    ck_assert_int_eq(opt_sbo_config_from_options(&o, &c, &err), 0);
    ck_assert_int_eq(c.budget, 70);
}
END_TEST

/* Front {(0,1), (1,0)}; candidates A (0.5,0.5), B (0.2,0.9), C (2,2). The reference
 * point is 2.2 on both axes (max 2 plus 10% of the range 2). A adds the square
 * [0.5,1) x [0.5,1) = 0.25; B adds [0.2,1) x [0.9,1) = 0.08; C adds nothing. So A goes
 * first; then B still adds [0.2,0.5) x [0.9,1) = 0.03 and goes second; C, adding
 * nothing, only comes third by the random fallback. */
START_TEST(hvi_by_hand)
{
    const double front[4] = {0, 1, 1, 0};
    const double cand[6] = {2, 2, 0.2, 0.9, 0.5, 0.5};   /* C, B, A */
    int pick[3];
    em_rng r;
    em_rng_seed(&r, 1);
    em_error err = {0};
    ck_assert_int_eq(opt_sbo_hvi_pick(front, 2, cand, 3, 2, 2, &r, pick, &err), 2);
    ck_assert_int_eq(pick[0], 2);
    ck_assert_int_eq(pick[1], 1);
    ck_assert_int_eq(opt_sbo_hvi_pick(front, 2, cand, 3, 2, 3, &r, pick, &err), 3);
    ck_assert_int_eq(pick[2], 0);
    /* with an empty front the first pick is the candidate of largest box to the
     * reference (2.2, 2.2): A (1.7^2) beats B (2.0 * 1.3) and C (0.2^2) */
    ck_assert_int_eq(opt_sbo_hvi_pick(front, 0, cand, 3, 2, 1, &r, pick, &err), 1);
    ck_assert_int_eq(pick[0], 2);
}
END_TEST

/* A cheap constrained problem: f1 = x0, f2 = 1 - x0 + x1^2 + (x2 - 0.3)^2,
 * g = 0.4 - x0 (feasible when x0 >= 0.4). Its feasible front is x0 in [0.4, 1],
 * x1 = 0, x2 = 0.3. */
static int toy(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)err;
    int *calls = user;
    if (calls) (*calls)++;
    for (int i = 0; i < n; i++) {
        const double *x = X + 3 * i;
        F[2 * i] = x[0];
        F[2 * i + 1] = 1 - x[0] + x[1] * x[1] + (x[2] - 0.3) * (x[2] - 0.3);
        G[i] = 0.4 - x[0];
    }
    return EM_OK;
}

static opt_problem *toy_problem(int *calls)
{
    opt_problem *p = NULL;
    em_error err = {0};
    ck_assert_int_eq(opt_problem_new("toy", 3, 2, 1, toy, calls, &p, &err), 0);
    ck_assert_int_eq(opt_var_real(p, 1, "x1", -1, 1, &err), 0);
    return p;
}

static void small_options(opt_options *o, uint64_t seed, const char *variant)
{
    opt_options_default(o);
    o->seed = seed;
    o->n_gen = 0;
    o->max_evals = 30;
    o->n_initial = 10;
    o->n_infill = 3;
    o->pop_size = 20;
    o->variant = variant;
}

static void same_pop(const opt_pop *a, const opt_pop *b)
{
    ck_assert_int_eq(a->n, b->n);
    ck_assert_mem_eq(a->X, b->X, sizeof(double) * a->n * a->n_var);
    ck_assert_mem_eq(a->F, b->F, sizeof(double) * a->n * a->n_obj);
}

START_TEST(toy_run)
{
    const char *variants[3] = {"models=gp+knn+rf,inner_gens=20",
                               "infill=hvi,models=gp+knn+rf,inner_gens=20",
                               "inner=nsga2,metric=mape,models=gp+gbt,inner_gens=20"};
    for (int v = 0; v < 3; v++) {
        opt_problem *p = toy_problem(NULL);
        opt_options o;
        small_options(&o, 4, variants[v]);
        opt_result r;
        em_error err = {0};
        ck_assert_msg(opt_sbo_run(p, &o, &r, &err) == 0, "%s", err.msg);
        /* exact budget: 10 LHS points, then 7 iterations of 3 minus 1 trimmed */
        ck_assert_int_eq(r.n_evals, 30);
        ck_assert_int_eq(r.evals->n, 30);
        ck_assert_int_eq(r.n_gen, 7);
        /* the first 10 rows are the Latin hypercube: one per stratum of x0 in [0,1] */
        int strata[10] = {0};
        for (int i = 0; i < 10; i++) strata[(int)floor(r.evals->X[3 * i] * 10)]++;
        for (int k = 0; k < 10; k++) ck_assert_int_eq(strata[k], 1);
        /* no genotype twice */
        for (int i = 0; i < 30; i++)
            for (int j = 0; j < i; j++)
                ck_assert(memcmp(r.evals->X + 3 * i, r.evals->X + 3 * j, 3 * sizeof(double)));
        /* the linear constraint is learnt: most infill points are feasible */
        int feas = 0;
        for (int i = 10; i < 30; i++) feas += r.evals->CV[i] <= 0;
        ck_assert_msg(feas >= 16, "%d of 20 infill points feasible", feas);
        /* pop is the non-dominated feasible set of the evaluations */
        ck_assert_int_ge(r.pop->n, 1);
        for (int i = 0; i < r.pop->n; i++) {
            ck_assert_double_le(r.pop->CV[i], 0);
            for (int j = 0; j < 30; j++)
                if (r.evals->CV[j] <= 0)
                    ck_assert_int_ne(opt_dominance(r.evals->F + 2 * j, r.pop->F + 2 * i, 2), 1);
        }
        int nd_all = 0;
        for (int j = 0; j < 30; j++) {
            if (r.evals->CV[j] > 0) continue;
            int dominated = 0;
            for (int i = 0; i < 30 && !dominated; i++)
                dominated = r.evals->CV[i] <= 0 &&
                            opt_dominance(r.evals->F + 2 * i, r.evals->F + 2 * j, 2) == 1;
            nd_all += !dominated;
        }
        ck_assert_int_eq(r.pop->n, nd_all);
        printf("toy %s: %d/20 infill feasible, %d non-dominated\n", variants[v], feas, nd_all);
        opt_result_free(&r);
        opt_problem_free(p);
    }
}
END_TEST

static int stop_after(void *user, int gen, int n_gen, long ne, long me, const opt_pop *pop)
{
    (void)n_gen, (void)ne, (void)me, (void)pop;
    return gen >= *(int *)user;
}

/* Same seed, same run; another seed, another run; a run stopped after iteration 2
 * and resumed ends identical to an uninterrupted one. */
START_TEST(determinism_and_resume)
{
    const char *variant = "infill=hvi,metric=spearman,models=gp+knn+lgbm,inner_gens=15";
    opt_problem *p = toy_problem(NULL);
    opt_options o;
    small_options(&o, 8, variant);
    opt_result a, b;
    em_error err = {0};
    ck_assert_msg(opt_sbo_run(p, &o, &a, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(opt_sbo_run(p, &o, &b, &err), 0);
    same_pop(a.evals, b.evals);
    opt_result_free(&b);
    o.seed = 9;
    ck_assert_int_eq(opt_sbo_run(p, &o, &b, &err), 0);
    ck_assert(memcmp(a.evals->X, b.evals->X, sizeof(double) * 30 * 3) != 0);
    opt_result_free(&b);

    char ck[512];
    snprintf(ck, sizeof ck, "%s/sbo.ckpt", tu_tmpdir());
    int stop = 2;
    o.seed = 8;
    o.checkpoint_path = ck;
    o.progress = stop_after;
    o.progress_user = &stop;
    ck_assert_msg(opt_sbo_run(p, &o, &b, &err) == 0, "%s", err.msg);
    ck_assert(b.stopped);
    ck_assert_int_eq(b.n_evals, 16);
    opt_result_free(&b);
    o.progress = NULL;
    o.resume = true;
    ck_assert_msg(opt_sbo_run(p, &o, &b, &err) == 0, "%s", err.msg);
    same_pop(a.evals, b.evals);
    same_pop(a.pop, b.pop);
    opt_result_free(&b);
    opt_result_free(&a);
    unlink(ck);
    opt_problem_free(p);
}
END_TEST

/* Two integer variables in 0..2: nine genotypes in all. With a budget of 20 the loop
 * evaluates each exactly once, then stops for want of new points. */
static int grid(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)G, (void)err;
    int *count = user;
    *count += n;
    for (int i = 0; i < n; i++) {
        F[2 * i] = X[2 * i] + 0.1 * X[2 * i + 1];
        F[2 * i + 1] = 2 - X[2 * i] + 0.3 * X[2 * i + 1];
    }
    return EM_OK;
}

START_TEST(small_space_exhausted)
{
    int count = 0;
    opt_problem *p = NULL;
    em_error err = {0};
    ck_assert_int_eq(opt_problem_new("grid", 2, 2, 0, grid, &count, &p, &err), 0);
    ck_assert_int_eq(opt_var_int(p, 0, "a", 0, 2, &err), 0);
    ck_assert_int_eq(opt_var_int(p, 1, "b", 0, 2, &err), 0);
    opt_options o;
    opt_options_default(&o);
    o.n_gen = 0;
    o.max_evals = 20;
    o.n_initial = 5;
    o.n_infill = 2;
    o.pop_size = 10;
    o.variant = "models=knn+gp,inner_gens=5";
    opt_result r;
    ck_assert_msg(opt_sbo_run(p, &o, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.n_evals, 9);
    ck_assert_int_eq(count, 9);   /* the callback saw each genotype once */
    int seen[9] = {0};
    for (int i = 0; i < 9; i++) seen[(int)(3 * r.evals->X[2 * i] + r.evals->X[2 * i + 1])]++;
    for (int k = 0; k < 9; k++) ck_assert_int_eq(seen[k], 1);
    opt_result_free(&r);
    opt_problem_free(p);
}
END_TEST


/* A mixed problem with cheap targets: x0 integer 0..9, x1 real in [0, 1], x2
 * categorical (3). f1 = hash(x0, x2) + 0.01 x1 (maximized, cheap, jagged so that no
 * surrogate could reproduce it bit for bit), f2 = (1 - x1)^2 + 0.1 x0 (expensive), g =
 * 0.2 - x1 (cheap: feasible when x1 >= 0.2). */
static double mixed_f1(const double *x)
{
    return (double)(((int)x[0] * 7 + (int)x[2] * 3) % 10) / 10.0 + 0.01 * x[1];
}

typedef struct { long true_rows, cheap_rows, inner_rows, inner_calls; int bad; } mixed_counts;

static int mixed_true(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)err;
    mixed_counts *c = user;
    c->true_rows += n;
    for (int i = 0; i < n; i++) {
        const double *x = X + 3 * i;
        F[2 * i] = mixed_f1(x);
        F[2 * i + 1] = (1 - x[1]) * (1 - x[1]) + 0.1 * x[0];
        G[i] = 0.2 - x[1];
    }
    return EM_OK;
}

static int mixed_cheap(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)err;
    mixed_counts *c = user;
    c->cheap_rows += n;
    for (int i = 0; i < n; i++) {
        const double *x = X + 3 * i;
        F[2 * i] = mixed_f1(x);
        F[2 * i + 1] = NAN; /* not a cheap target: must be ignored and overwritten */
        G[i] = 0.2 - x[1];
    }
    return EM_OK;
}

static void mixed_hook(void *user, const opt_pop *P, const int *fitted, int nt)
{
    mixed_counts *c = user;
    c->inner_calls++;
    if (nt != 3 || fitted[0] != 0 || fitted[1] != 1 || fitted[2] != 0) c->bad++;
    for (int i = 0; i < P->n; i++) {
        const double *x = P->X + 3 * i;
        c->inner_rows++;
        /* integral, in range, and the cheap targets exact (f1 negated: maximized) */
        if (x[0] != rint(x[0]) || x[0] < 0 || x[0] > 9 || x[2] != rint(x[2]) || x[2] < 0 ||
            x[2] > 2)
            c->bad++;
        if (P->F[2 * i] != -mixed_f1(x) || P->G[i] != 0.2 - x[1]) c->bad++;
        if (isnan(P->F[2 * i + 1])) c->bad++;
    }
}

START_TEST(cheap_targets_are_exact_and_never_modelled)
{
    mixed_counts c = {0};
    opt_problem *p = NULL;
    em_error err = {0};
    ck_assert_int_eq(opt_problem_new("mixed", 3, 2, 1, mixed_true, &c, &p, &err), 0);
    ck_assert_int_eq(opt_var_int(p, 0, "a", 0, 9, &err), 0);
    ck_assert_int_eq(opt_var_cat(p, 2, "c", 3, &err), 0);
    p->maximize[0] = true;
    const bool mask[3] = {true, false, true};
    ck_assert_int_eq(opt_problem_set_cheap(p, mask, mixed_cheap, &c, &err), 0);
    ck_assert_int_eq(opt_problem_n_cheap(p), 2);
    opt_sbo_set_inner_hook(mixed_hook, &c);
    const char *variants[2] = {"models=gp+knn,inner_gens=10", "inner=nsga2,models=rf,inner_gens=10"};
    for (int v = 0; v < 2; v++) {
        opt_options o;
        small_options(&o, 5, variants[v]);
        opt_result r;
        c = (mixed_counts){0};
        ck_assert_msg(opt_sbo_run(p, &o, &r, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(r.n_evals, 30);
        ck_assert_int_eq(c.true_rows, 30);      /* the budget, exactly */
        ck_assert_int_eq(c.inner_calls, 7);     /* one inner run per iteration */
        ck_assert_int_eq(c.bad, 0);
        ck_assert_int_gt(c.inner_rows, 0);
        ck_assert_int_ge(c.cheap_rows, c.inner_rows); /* every inner row went through it */
        for (int i = 0; i < 30; i++) {
            const double *x = r.evals->X + 3 * i;
            ck_assert(x[0] == rint(x[0]) && x[2] == rint(x[2]));
            ck_assert(r.evals->F[2 * i] == -mixed_f1(x));
        }
        /* the infill points (chosen on exact g) are all feasible */
        for (int i = 10; i < 30; i++) ck_assert_double_le(r.evals->CV[i], 0);
        opt_result_free(&r);
    }
    /* without the declaration the same run fits all three targets */
    free(p->cheap);
    p->cheap = NULL;
    c = (mixed_counts){0};
    opt_sbo_set_inner_hook(NULL, NULL);
    opt_options o;
    small_options(&o, 5, variants[0]);
    opt_result r;
    ck_assert_int_eq(opt_sbo_run(p, &o, &r, &err), 0);
    ck_assert_int_eq(c.cheap_rows, 0);
    opt_result_free(&r);
    opt_problem_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("opt_sbo");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, config);
    tcase_add_test(tc, hvi_by_hand);
    tcase_add_test(tc, toy_run);
    tcase_add_test(tc, determinism_and_resume);
    tcase_add_test(tc, small_space_exhausted);
    tcase_add_test(tc, cheap_targets_are_exact_and_never_modelled);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
