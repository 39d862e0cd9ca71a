/* tests/test_opt_ctaea.c: C-TAEA. Das-Dennis directions against their closed-form
 * count and definition; the feasible fronts of C1-DTLZ1 and C2-DTLZ2 (3 objectives,
 * as in Li et al.) reached within a stated IGD of the true front over seeds 1..3;
 * budgets, determinism, bit-identical resume and bad options. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opt/benchmarks.h"
#include "opt/ctaea.h"
#include "opt/indicators.h"
#include "tests/testutil.h"

START_TEST(das_dennis)
{
    double *W = NULL;
    int n = 0;
    em_error err = {0};
    /* 3 objectives, 12 divisions: C(14, 2) = 91 directions (Li et al.'s N) */
    ck_assert_int_eq(opt_das_dennis_count(3, 12), 91);
    ck_assert_int_eq(opt_das_dennis(3, 12, &W, &n, &err), 0);
    ck_assert_int_eq(n, 91);
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < 3; k++) {
            double v = W[i * 3 + k] * 12;
            ck_assert_double_eq_tol(v, rint(v), 1e-12);
            ck_assert_double_ge(W[i * 3 + k], 0);
            s += W[i * 3 + k];
        }
        ck_assert_double_eq_tol(s, 1.0, 1e-12);
        for (int j = 0; j < i; j++)
            ck_assert(memcmp(W + i * 3, W + j * 3, 3 * sizeof(double)) != 0);
    }
    free(W);
    /* 2 objectives, 4 divisions, in pymoo's order */
    ck_assert_int_eq(opt_das_dennis(2, 4, &W, &n, &err), 0);
    const double want[10] = {0, 1, 0.25, 0.75, 0.5, 0.5, 0.75, 0.25, 1, 0};
    ck_assert_int_eq(n, 5);
    for (int i = 0; i < 10; i++) ck_assert_double_eq(W[i], want[i]);
    free(W);
    ck_assert_int_eq(opt_das_dennis_divisions(3, 100), 12);   /* 91 <= 100 < 105 */
    ck_assert_int_eq(opt_das_dennis_divisions(3, 91), 12);
    ck_assert_int_eq(opt_das_dennis_divisions(2, 100), 99);
    ck_assert_int_eq(opt_das_dennis_divisions(3, 2), -1);
    ck_assert_int_eq(opt_das_dennis(0, 3, &W, &n, &err), EM_EINVAL);
}
END_TEST

static opt_problem *bench(const char *name, int n_obj)
{
    opt_problem *p = NULL;
    em_error err = {0};
    ck_assert_msg(opt_benchmark_new(name, 0, n_obj, &p, &err) == 0, "%s", err.msg);
    return p;
}

/* IGD of the feasible rows of pop against p's true front (about 5000 points). */
static double igd_of(const opt_problem *p, const opt_pop *pop)
{
    double *Z = NULL;
    int nz = 0;
    em_error err = {0};
    ck_assert_msg(p->front(p, 5000, &Z, &nz, &err) == 0, "%s", err.msg);
    double *A = malloc(sizeof(double) * (size_t)pop->n * p->n_obj);
    int na = 0;
    for (int i = 0; i < pop->n; i++)
        if (pop->CV[i] <= 0) memcpy(A + na++ * p->n_obj, pop->F + i * p->n_obj,
                                    sizeof(double) * p->n_obj);
    double igd = na ? opt_igd(A, na, Z, nz, p->n_obj) : INFINITY;
    free(A);
    free(Z);
    return igd;
}

/* GD (mean distance of the feasible rows to the true front): convergence alone. */
static double gd_of(const opt_problem *p, const opt_pop *pop)
{
    double *Z = NULL;
    int nz = 0;
    em_error err = {0};
    ck_assert_msg(p->front(p, 5000, &Z, &nz, &err) == 0, "%s", err.msg);
    double *A = malloc(sizeof(double) * (size_t)pop->n * p->n_obj);
    int na = 0;
    for (int i = 0; i < pop->n; i++)
        if (pop->CV[i] <= 0) memcpy(A + na++ * p->n_obj, pop->F + i * p->n_obj,
                                    sizeof(double) * p->n_obj);
    double gd = na ? opt_gd(A, na, Z, nz, p->n_obj) : INFINITY;
    free(A);
    free(Z);
    return gd;
}

static double run_igd(const char *name, int gens, uint64_t seed, int *n_feasible,
                      double *gd)
{
    opt_problem *p = bench(name, 3);
    opt_options o;
    opt_options_default(&o);
    o.pop_size = 91;
    o.n_gen = gens;
    o.seed = seed;
    opt_result r;
    em_error err = {0};
    ck_assert_msg(opt_ctaea_run(p, &o, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.pop->n, 91);
    ck_assert_int_eq(r.n_gen, gens);
    ck_assert_int_eq(r.n_evals, r.evals->n);
    *n_feasible = 0;
    for (int i = 0; i < r.pop->n; i++) *n_feasible += r.pop->CV[i] <= 0;
    double igd = igd_of(p, r.pop);
    *gd = gd_of(p, r.pop);
    opt_result_free(&r);
    opt_problem_free(p);
    return igd;
}

/* C1-DTLZ1 (3 objectives, 7 variables), N = 91, 500 generations as in Li et al.:
 * every CA member ends feasible and close to the true front. */
START_TEST(c1dtlz1_front)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        int nf;
        double gd;
        double igd = run_igd("c1dtlz1", 500, seed, &nf, &gd);
        printf("C-TAEA C1-DTLZ1 seed %d: IGD %.5f GD %.5f, %d/91 feasible\n", (int)seed,
               igd, gd, nf);
        ck_assert_int_eq(nf, 91);
        ck_assert_double_lt(igd, 0.03);
        ck_assert_double_lt(gd, 0.006);
    }
}
END_TEST

/* C2-DTLZ2 (3 objectives, 12 variables), N = 91, 250 generations as in Li et al. */
START_TEST(c2dtlz2_front)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        int nf;
        double gd;
        double igd = run_igd("c2dtlz2", 250, seed, &nf, &gd);
        printf("C-TAEA C2-DTLZ2 seed %d: IGD %.5f GD %.5f, %d/91 feasible\n", (int)seed,
               igd, gd, nf);
        ck_assert_int_eq(nf, 91);
        ck_assert_double_lt(igd, 0.06);
        ck_assert_double_lt(gd, 0.006);
    }
}
END_TEST


/* A problem no solution satisfies (g = 1 + x0 > 0): CA is filled with infeasible rows
 * and always holds the least violation ever evaluated. */
static int never_feasible(void *user, int n, const double *X, double *F, double *G,
                          em_error *err)
{
    (void)user, (void)err;
    for (int i = 0; i < n; i++) {
        const double *x = X + 3 * i;
        F[2 * i] = x[0] + x[2];
        F[2 * i + 1] = 1 - x[0] + x[1];
        G[i] = 1 + x[0] + 0.1 * x[1];
    }
    return EM_OK;
}

START_TEST(infeasible_only)
{
    opt_problem *p = NULL;
    em_error err = {0};
    ck_assert_int_eq(opt_problem_new("never", 3, 2, 1, never_feasible, NULL, &p, &err), 0);
    opt_options o;
    opt_options_default(&o);
    o.pop_size = 20;
    o.n_gen = 30;
    o.seed = 3;
    opt_result r;
    ck_assert_msg(opt_ctaea_run(p, &o, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.pop->n, 20);
    double best_all = INFINITY, best_ca = INFINITY;
    for (int i = 0; i < r.evals->n; i++) best_all = fmin(best_all, r.evals->CV[i]);
    for (int i = 0; i < r.pop->n; i++) best_ca = fmin(best_ca, r.pop->CV[i]);
    ck_assert_double_gt(best_all, 1.0);
    ck_assert_double_eq(best_ca, best_all);
    ck_assert_double_lt(best_all, 1.01);   /* it pushed x0, x1 towards 0 */
    opt_result_free(&r);
    opt_problem_free(p);
}
END_TEST

/* Stops after `stop_at` generations (checkpoint already written). */
static int stop_after(void *user, int gen, int n_gen, long ne, long me, const opt_pop *pop)
{
    (void)n_gen, (void)ne, (void)me, (void)pop;
    return gen >= *(int *)user;
}

static void same_pop(const opt_pop *a, const opt_pop *b)
{
    ck_assert_int_eq(a->n, b->n);
    ck_assert_mem_eq(a->X, b->X, sizeof(double) * a->n * a->n_var);
    ck_assert_mem_eq(a->F, b->F, sizeof(double) * a->n * a->n_obj);
    if (a->n_con) ck_assert_mem_eq(a->G, b->G, sizeof(double) * a->n * a->n_con);
}

/* Same seed, same run; a run stopped after generation 4 and resumed from its
 * checkpoint ends bit-identical to an uninterrupted one; another seed differs. */
START_TEST(determinism_and_resume)
{
    opt_problem *p = bench("c2dtlz2", 3);
    opt_options o;
    opt_options_default(&o);
    o.pop_size = 30;
    o.n_gen = 12;
    o.seed = 9;
    opt_result a, b, c;
    em_error err = {0};
    ck_assert_int_eq(opt_ctaea_run(p, &o, &a, &err), 0);
    ck_assert_int_eq(opt_ctaea_run(p, &o, &b, &err), 0);
    same_pop(a.pop, b.pop);
    same_pop(a.evals, b.evals);
    opt_result_free(&b);

    char ck[512];
    snprintf(ck, sizeof ck, "%s/ctaea.ckpt", tu_tmpdir());
    int stop = 4;
    o.checkpoint_path = ck;
    o.progress = stop_after;
    o.progress_user = &stop;
    ck_assert_msg(opt_ctaea_run(p, &o, &b, &err) == 0, "%s", err.msg);
    ck_assert(b.stopped);
    ck_assert_int_eq(b.n_gen, 4);
    opt_result_free(&b);
    o.progress = NULL;
    o.resume = true;
    ck_assert_msg(opt_ctaea_run(p, &o, &c, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(c.n_gen, 12);
    same_pop(a.pop, c.pop);
    same_pop(a.evals, c.evals);
    ck_assert_int_eq(a.n_evals, c.n_evals);
    opt_result_free(&c);

    /* a checkpoint from another seed is refused */
    o.seed = 10;
    ck_assert_int_eq(opt_ctaea_run(p, &o, &c, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "seed"));
    o.resume = false;
    o.checkpoint_path = NULL;
    ck_assert_int_eq(opt_ctaea_run(p, &o, &c, &err), 0);
    ck_assert(memcmp(a.pop->F, c.pop->F, sizeof(double) * 3 * a.pop->n) != 0);
    opt_result_free(&c);
    opt_result_free(&a);
    unlink(ck);
    opt_problem_free(p);
}
END_TEST

/* The budget is exact (the last batch is trimmed) and bad options are refused. */
START_TEST(budget_and_bad_options)
{
    opt_problem *p = bench("c1dtlz1", 3);
    opt_options o;
    opt_options_default(&o);
    o.pop_size = 91;
    o.n_gen = 0;
    o.max_evals = 250;
    opt_result r;
    em_error err = {0};
    ck_assert_msg(opt_ctaea_run(p, &o, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.n_evals, 250);
    ck_assert_int_eq(r.evals->n, 250);
    ck_assert_int_eq(r.n_gen, 3);   /* 91 initial (generation 1) + 91 + 68 */
    opt_result_free(&r);

    o.max_evals = 0;
    ck_assert_int_eq(opt_ctaea_run(p, &o, &r, &err), EM_EINVAL);
    o.n_gen = 5;
    o.pop_size = 2;   /* fewer than the 3 objectives */
    ck_assert_int_eq(opt_ctaea_run(p, &o, &r, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "population"));
    o.pop_size = 91;
    o.resume = true;
    o.checkpoint_path = "/nonexistent/dir/ckpt";
    ck_assert_int_ne(opt_ctaea_run(p, &o, &r, &err), 0);
    opt_problem_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("opt_ctaea");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, das_dennis);
    tcase_add_test(tc, c1dtlz1_front);
    tcase_add_test(tc, c2dtlz2_front);
    tcase_add_test(tc, infeasible_only);
    tcase_add_test(tc, determinism_and_resume);
    tcase_add_test(tc, budget_and_bad_options);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
