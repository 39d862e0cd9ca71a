/* tests/test_opt_problems.c: the benchmark problems against hand-computed values of
 * their published definitions, their true fronts against their own evaluation
 * (optimal solutions land on the sampled front), analytic hypervolumes, typed
 * variables, repair and the genotype cache. */
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "opt/benchmarks.h"
#include "opt/evaluator.h"
#include "opt/indicators.h"
#include "opt/pareto.h"
#include "tests/testutil.h"

static opt_problem *bench(const char *name, int nv, int no)
{
    opt_problem *p;
    em_error err = {0};
    int rc = opt_benchmark_new(name, nv, no, &p, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return p;
}

/* Evaluates one x; returns F (and G) in static buffers. */
static double Fb[16], Gb[16];
static void eval1(const opt_problem *p, const double *x)
{
    em_error err = {0};
    int rc = opt_problem_evaluate(p, 1, x, Fb, Gb, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
}

START_TEST(zdt_hand_values)
{
    double x[30] = {0};
    opt_problem *p = bench("zdt1", 30, 0);
    ck_assert_int_eq(p->n_var, 30);
    x[0] = 0.25;
    eval1(p, x); /* g = 1: (0.25, 1 - 0.5) */
    ck_assert_close(Fb[0], 0.25, 0, 1e-15);
    ck_assert_close(Fb[1], 0.5, 0, 1e-15);
    for (int i = 0; i < 30; i++) x[i] = 1;
    eval1(p, x); /* g = 10: f2 = 10 (1 - sqrt(0.1)) */
    ck_assert_close(Fb[1], 10 * (1 - sqrt(0.1)), 1e-14, 0);
    opt_problem_free(p);

    memset(x, 0, sizeof x);
    x[0] = 0.5;
    p = bench("zdt2", 30, 0);
    eval1(p, x);
    ck_assert_close(Fb[1], 0.75, 0, 1e-15);
    opt_problem_free(p);
    p = bench("zdt3", 30, 0);
    eval1(p, x); /* 1 - sqrt(0.5) - 0.5 sin(5 pi) */
    ck_assert_close(Fb[1], 1 - sqrt(0.5), 0, 1e-14);
    opt_problem_free(p);

    p = bench("zdt4", 0, 0);
    ck_assert_int_eq(p->n_var, 10);
    ck_assert_close(p->vars[3].lo, -5, 0, 0);
    ck_assert_close(p->vars[0].hi, 1, 0, 0);
    double y[10] = {0.25};
    eval1(p, y); /* g = 1 + 90 + 9 * (0 - 10) = 1 */
    ck_assert_close(Fb[1], 0.5, 0, 1e-13);
    y[1] = 1.0; /* g = 1 + 90 + (1 - 10 cos(4 pi)) + 8 * (-10) = 2 */
    eval1(p, y);
    ck_assert_close(Fb[1], 2 * (1 - sqrt(0.25 / 2)), 1e-13, 0);
    opt_problem_free(p);

    p = bench("zdt6", 0, 0);
    double z[10] = {1.0 / 12.0}; /* sin(6 pi / 12) = 1: f1 = 1 - exp(-1/3) */
    eval1(p, z);
    ck_assert_close(Fb[0], 1 - exp(-1.0 / 3.0), 1e-14, 0);
    ck_assert_close(Fb[1], 1 - Fb[0] * Fb[0], 1e-14, 0);
    opt_problem_free(p);
}
END_TEST

START_TEST(dtlz_hand_values)
{
    opt_problem *p = bench("dtlz1", 0, 3);
    ck_assert_int_eq(p->n_var, 7);
    double x[12];
    for (int i = 0; i < 7; i++) x[i] = 0.5;
    eval1(p, x); /* g = 0: (0.125, 0.125, 0.25) */
    ck_assert_close(Fb[0], 0.125, 0, 1e-15);
    ck_assert_close(Fb[1], 0.125, 0, 1e-15);
    ck_assert_close(Fb[2], 0.25, 0, 1e-15);
    opt_problem_free(p);

    p = bench("dtlz2", 0, 3);
    ck_assert_int_eq(p->n_var, 12);
    for (int i = 0; i < 12; i++) x[i] = 0.5;
    eval1(p, x); /* (cos^2 45, cos 45 sin 45, sin 45) */
    ck_assert_close(Fb[0], 0.5, 0, 1e-15);
    ck_assert_close(Fb[1], 0.5, 0, 1e-15);
    ck_assert_close(Fb[2], sqrt(0.5), 0, 1e-15);
    x[5] = 0.0; /* g = 0.25 */
    eval1(p, x);
    ck_assert_close(Fb[2], 1.25 * sqrt(0.5), 1e-15, 0);
    opt_problem_free(p);

    p = bench("dtlz3", 0, 3);
    for (int i = 2; i < 12; i++) x[i] = 0.0; /* g = 100 (10 + 10 (0.25 - 1)) = 250 */
    x[0] = x[1] = 0.0;
    eval1(p, x);
    ck_assert_close(Fb[0], 251.0, 1e-13, 0);
    ck_assert_close(Fb[2], 0.0, 0, 1e-12);
    opt_problem_free(p);

    p = bench("dtlz4", 0, 3);
    for (int i = 0; i < 12; i++) x[i] = 0.5; /* 0.5^100 ~ 0: (1, ~0, ~0) */
    eval1(p, x);
    ck_assert_close(Fb[0], 1.0, 0, 1e-15);
    ck_assert_close(Fb[2], sin(pow(0.5, 100) * M_PI / 2), 0, 1e-40);
    opt_problem_free(p);

    p = bench("dtlz2", 0, 2);
    ck_assert_int_eq(p->n_var, 11);
    ck_assert_int_eq(p->n_obj, 2);
    opt_problem_free(p);
}
END_TEST

START_TEST(cdtlz_hand_values)
{
    double x[12];
    opt_problem *p = bench("c1dtlz1", 0, 3);
    ck_assert_int_eq(p->n_con, 1);
    for (int i = 0; i < 7; i++) x[i] = 0.5;
    eval1(p, x); /* F (0.125, 0.125, 0.25): g = -(1 - 0.25/0.6 - 0.25/0.5) */
    ck_assert_close(Gb[0], -(1 - 0.25 / 0.6 - 0.5), 1e-14, 0);
    ck_assert(Gb[0] < 0);
    opt_problem_free(p);

    p = bench("c1dtlz3", 0, 3);
    for (int i = 0; i < 12; i++) x[i] = 0.5;
    x[0] = x[1] = 0.0;
    x[2] = 0.505; /* g = 100 (1 + d^2 - cos(20 pi d)), d = 0.005: radius 1+g in (4, 9) */
    double d = 0.005, g = 100 * (1 + d * d - cos(20 * M_PI * d)), s = (1 + g) * (1 + g);
    eval1(p, x);
    ck_assert_close(Fb[0], 1 + g, 1e-12, 0);
    ck_assert_close(Gb[0], -((s - 16) * (s - 81)), 1e-10, 0);
    ck_assert(Gb[0] > 0); /* infeasible: between the two spheres */
    x[2] = 0.5;
    eval1(p, x);
    ck_assert(Gb[0] < 0); /* on the true front, radius 1 */
    opt_problem_free(p);

    p = bench("c2dtlz2", 0, 3);
    for (int i = 0; i < 12; i++) x[i] = 0.5;
    x[1] = 0.0; /* F = (cos 45, 0, sin 45): hand v2 = 2 (0.7071 - 0.5774)^2 + 1/3 - 0.16 */
    eval1(p, x);
    double a = 1 / sqrt(3.0), c = sqrt(0.5);
    double v2 = 2 * (c - a) * (c - a) + a * a - 0.16;
    double v1 = (c - 1) * (c - 1) + 0.5 - 0.16;
    ck_assert_close(Gb[0], v2 < v1 ? v2 : v1, 1e-12, 0);
    ck_assert(Gb[0] > 0);
    x[0] = 0.0; /* F = (1, 0, 0): v1 for the first axis = -r^2 */
    eval1(p, x);
    ck_assert_close(Gb[0], -0.16, 1e-12, 0);
    opt_problem_free(p);

    p = bench("c3dtlz4", 0, 3);
    ck_assert_int_eq(p->n_con, 3);
    ck_assert_int_eq(p->n_var, 7);
    for (int i = 0; i < 7; i++) x[i] = 0.5;
    x[0] = 0.0; /* F = (1, 0, 0): g1 = -(1/4 - 1) = 0.75, g2 = g3 = -(0 + 1 - 1) = 0 */
    eval1(p, x);
    ck_assert_close(Gb[0], 0.75, 1e-14, 0);
    ck_assert_close(Gb[1], 0.0, 0, 1e-14);
    ck_assert_close(Gb[2], 0.0, 0, 1e-14);
    opt_problem_free(p);
}
END_TEST

/* Optimal solutions (g = 0) evaluated by the problem must lie on its sampled front:
 * their non-dominated ones are within the front's sampling distance (GD). */
START_TEST(fronts_match_evaluation)
{
    struct { const char *name; int no; } cases[] = {
        {"zdt1", 2}, {"zdt2", 2}, {"zdt3", 2}, {"zdt4", 2}, {"zdt6", 2},
        {"dtlz1", 2}, {"dtlz2", 2}, {"dtlz3", 2}, {"dtlz4", 2},
        {"dtlz1", 3}, {"dtlz2", 3}, {"dtlz3", 3}, {"dtlz4", 3},
        {"c1dtlz1", 3}, {"c1dtlz3", 3}, {"c2dtlz2", 3}};
    em_rng rng;
    em_rng_seed(&rng, 5);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *nm = cases[c].name;
        opt_problem *p = bench(nm, 0, nm[0] == 'z' ? 0 : cases[c].no);
        int n = 400, M = p->n_obj, nv = p->n_var;
        double *X = malloc(sizeof(double) * n * nv), *F = malloc(sizeof(double) * n * M);
        double *G = malloc(sizeof(double) * n * (p->n_con + 1));
        for (int i = 0; i < n; i++) {
            double *x = X + (size_t)i * nv;
            int lead = nm[0] == 'z' ? 1 : M - 1;
            for (int j = 0; j < nv; j++)
                x[j] = j < lead ? em_rng_uniform(&rng) : nm[0] == 'z' ? 0.0 : 0.5;
            if (!strcmp(nm, "dtlz4") && lead > 0) /* spread the biased DTLZ4 mapping */
                for (int j = 0; j < lead; j++) x[j] = pow(x[j], 0.01);
        }
        ck_assert_int_eq(opt_problem_evaluate(p, n, X, F, G, NULL), 0);
        /* keep feasible, non-dominated rows */
        double *K = malloc(sizeof(double) * n * M);
        int k = 0;
        for (int i = 0; i < n; i++)
            if (!p->n_con || opt_cv(G + (size_t)i * p->n_con, p->n_con) <= 0)
                memcpy(K + (size_t)k++ * M, F + (size_t)i * M, sizeof(double) * M);
        int *idx = malloc(sizeof(int) * (k ? k : 1));
        int nd = opt_nondominated(K, k, M, idx);
        ck_assert_int_gt(nd, 10);
        double *ND = malloc(sizeof(double) * (nd ? nd : 1) * M);
        for (int i = 0; i < nd; i++) memcpy(ND + (size_t)i * M, K + (size_t)idx[i] * M, sizeof(double) * M);
        double *Z;
        int nz;
        ck_assert_int_eq(p->front(p, 1000, &Z, &nz, NULL), 0);
        ck_assert_int_gt(nz, 50);
        double gd = opt_gd(ND, nd, Z, nz, M);
        double tol = M == 2 ? 0.005 : 0.03;
        ck_assert_msg(gd < tol, "%s m=%d: GD of optimal solutions to the front %.5f", nm, M, gd);
        /* the sampled front is itself non-dominated */
        int *zi = malloc(sizeof(int) * nz);
        int nzd = opt_nondominated(Z, nz, M, zi);
        ck_assert_msg(nzd == nz, "%s m=%d: %d of %d front points non-dominated", nm, M, nzd, nz);
        free(zi), free(Z), free(ND), free(idx), free(K), free(X), free(F), free(G);
        opt_problem_free(p);
    }
}
END_TEST

START_TEST(true_hv_and_refs)
{
    /* 2-D closed forms against the hypervolume of 20,000 front points */
    const char *names[] = {"zdt1", "zdt2", "dtlz1", "dtlz2", "zdt3", "zdt6", "zdt4"};
    for (int c = 0; c < 7; c++) {
        opt_problem *p = bench(names[c], 0, c == 2 || c == 3 ? 2 : 0);
        double ref[2], *Z;
        int nz;
        opt_benchmark_ref_point(p, ref);
        ck_assert_int_eq(p->front(p, 20000, &Z, &nz, NULL), 0);
        double t = opt_benchmark_true_hv(p, ref);
        ck_assert(!isnan(t));
        ck_assert_close(opt_hv(Z, nz, 2, ref), t, 2e-4, 0);
        free(Z);
        opt_problem_free(p);
    }
    opt_problem *p = bench("zdt1", 0, 0);
    double ref[3];
    opt_benchmark_ref_point(p, ref);
    ck_assert_close(ref[0], 1.1, 0, 1e-12);
    ck_assert_close(ref[1], 1.1, 0, 1e-12);
    opt_problem_free(p);
    /* ZDT3 and ZDT6 use the conventional (1.1, 1.1), not one derived from their fronts */
    for (int c = 0; c < 2; c++) {
        p = bench(c ? "zdt6" : "zdt3", 0, 0);
        opt_benchmark_ref_point(p, ref);
        ck_assert(ref[0] == 1.1 && ref[1] == 1.1);
        ck_assert_ptr_nonnull(strstr(opt_benchmark_ref_source(p), "1.1"));
        opt_problem_free(p);
    }
    /* ZDT6 at (1.1, 1.1) by hand: 0.1 (1 - a) + (1 - a^3) / 3 + 0.1 x 1.1, a = 0.2807753191 */
    p = bench("zdt6", 0, 0);
    double a = 0.2807753191, r11[2] = {1.1, 1.1};
    ck_assert_close(opt_benchmark_true_hv(p, r11), 0.1 * (1 - a) + (1 - a * a * a) / 3 + 0.11, 1e-14, 0);
    opt_problem_free(p);
    /* 3-D: DTLZ1 (box less 0.5^3 / 6) and DTLZ2 (box less pi / 6) at their references,
     * bounded below, and closely, by the hypervolume of a dense sample of the front */
    p = bench("dtlz1", 0, 3);
    opt_benchmark_ref_point(p, ref);
    for (int j = 0; j < 3; j++) ck_assert_close(ref[j], 0.55, 0, 1e-12);
    ck_assert_close(opt_benchmark_true_hv(p, ref), 0.55 * 0.55 * 0.55 - 0.125 / 6, 1e-14, 0);
    opt_problem_free(p);
    const char *three[] = {"dtlz1", "dtlz2"};
    for (int c = 0; c < 2; c++) {
        p = bench(three[c], 0, 3);
        opt_benchmark_ref_point(p, ref);
        double *Z;
        int nz;
        ck_assert_int_eq(p->front(p, 20000, &Z, &nz, NULL), 0);
        double t = opt_benchmark_true_hv(p, ref), s = opt_hv(Z, nz, 3, ref);
        ck_assert_msg(s <= t && t - s < 5e-3 * t, "%s: front sample %.6f, closed form %.6f",
                      three[c], s, t);
        free(Z);
        opt_problem_free(p);
    }
    p = bench("dtlz2", 0, 3);
    ck_assert_close(opt_benchmark_true_hv(p, (double[]){1.1, 1.1, 1.1}), 1.331 - M_PI / 6, 1e-14, 0);
    opt_problem_free(p);
    /* no closed form: C2-DTLZ2's front is the feasible part of the sphere */
    p = bench("c2dtlz2", 0, 3);
    opt_benchmark_ref_point(p, ref);
    ck_assert(isnan(opt_benchmark_true_hv(p, ref)));
    opt_problem_free(p);
}
END_TEST

START_TEST(das_dennis_counts)
{
    double *D;
    int n;
    ck_assert_int_eq(opt_das_dennis(3, 12, &D, &n, NULL), 0);
    ck_assert_int_eq(n, 91); /* C(14, 2) */
    for (int i = 0; i < n; i++) ck_assert_close(D[3 * i] + D[3 * i + 1] + D[3 * i + 2], 1.0, 0, 1e-12);
    free(D);
    ck_assert_int_eq(opt_das_dennis(5, 4, &D, &n, NULL), 0);
    ck_assert_int_eq(n, 70); /* C(8, 4) */
    free(D);
}
END_TEST

static int count_eval(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)X, (void)G, (void)err;
    long *calls = user;
    *calls += n;
    for (int r = 0; r < n; r++) F[r] = X[2 * r] + X[2 * r + 1];
    return EM_OK;
}

START_TEST(repair_and_cache)
{
    long calls = 0;
    opt_problem *p;
    em_error err = {0};
    ck_assert_int_eq(opt_problem_new("c", 2, 1, 0, count_eval, &calls, &p, &err), 0);
    ck_assert_int_eq(opt_var_int(p, 0, "k", -2, 5, &err), 0);
    ck_assert_int_eq(opt_var_cat(p, 1, "c", 3, &err), 0);
    ck_assert_int_eq(opt_var_real(p, 1, NULL, 2, 1, &err), EM_EINVAL); /* lo > hi */
    ck_assert_int_eq(opt_var_int(p, 2, NULL, 0, 1, &err), EM_EINVAL);   /* no variable 3 */
    double x[] = {3.4999, 2.6};
    opt_problem_repair(p, x);
    ck_assert_close(x[0], 3, 0, 0);
    ck_assert_close(x[1], 2, 0, 0); /* rounded 3 is clipped to the last category 2 */
    double y[] = {-7.2, -0.3};
    opt_problem_repair(p, y);
    ck_assert_close(y[0], -2, 0, 0);
    ck_assert(y[1] == 0.0 && !signbit(y[1])); /* -0.0 becomes +0.0 */

    opt_evaluator *ev = opt_evaluator_new(p, 5);
    opt_pop *pop = opt_pop_new(2, 1, 0, 8);
    double rows[][2] = {{1, 0}, {1.2, 0}, {2, 1}, {1, 0.4}, {3, 2}};
    for (int i = 0; i < 5; i++) opt_pop_append(pop, rows[i], (double[]){0}, NULL, 0);
    ck_assert_int_eq(opt_evaluator_eval(ev, pop, 0, &err), 0);
    /* rows 0, 1 and 3 repair to (1, 0): one true evaluation for them */
    ck_assert_int_eq(calls, 3);
    ck_assert_int_eq(opt_evaluator_count(ev), 3);
    ck_assert_int_eq(opt_evaluator_hits(ev), 2);
    ck_assert_close(pop->F[1], 1, 0, 0);
    ck_assert_close(pop->F[4], 5, 0, 0);
    /* again: all cached */
    ck_assert_int_eq(opt_evaluator_eval(ev, pop, 0, &err), 0);
    ck_assert_int_eq(calls, 3);
    /* budget 5: three new rows exceed the 2 left, and nothing is evaluated */
    pop->n = 0;
    double more[][2] = {{4, 0}, {4, 1}, {5, 1}};
    for (int i = 0; i < 3; i++) opt_pop_append(pop, more[i], (double[]){0}, NULL, 0);
    ck_assert_int_eq(opt_evaluator_eval(ev, pop, 0, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "budget"));
    ck_assert_int_eq(calls, 3);
    ck_assert_int_eq(opt_evaluator_remaining(ev), 2);
    pop->n = 2;
    ck_assert_int_eq(opt_evaluator_eval(ev, pop, 0, &err), 0);
    ck_assert_int_eq(opt_evaluator_remaining(ev), 0);
    /* the archive holds every true evaluation in order */
    const opt_pop *a = opt_evaluator_archive(ev);
    ck_assert_int_eq(a->n, 5);
    ck_assert_close(a->X[2 * 4], 4, 0, 0);
    ck_assert_close(a->X[2 * 4 + 1], 1, 0, 0);
    opt_pop_free(pop);
    opt_evaluator_free(ev);
    opt_problem_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("opt_problems");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, zdt_hand_values);
    tcase_add_test(tc, dtlz_hand_values);
    tcase_add_test(tc, cdtlz_hand_values);
    tcase_add_test(tc, fronts_match_evaluation);
    tcase_add_test(tc, true_hv_and_refs);
    tcase_add_test(tc, das_dennis_counts);
    tcase_add_test(tc, repair_and_cache);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
