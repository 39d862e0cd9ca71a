/* tests/test_opt_sbo_slow.c: the quality bar of the surrogate-based loop. On ZDT1 with
 * 10 variables and 200 true evaluations, the median hypervolume at (1.1, 1.1) over
 * seeds 1..5 of the non-dominated set of SBO's evaluations beats NSGA-II's with the
 * same budget; and the HVI infill rule beats the paper's random one.
 * About 6 minutes of CPU in a Release build (5 runs of a minute, 10 of 7 s). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opt/benchmarks.h"
#include "opt/indicators.h"
#include "opt/sbo.h"
#include "tests/testutil.h"

static double hv_of_evals(const opt_pop *E)
{
    opt_pop *nd = opt_pareto_set(E);
    const double ref[2] = {1.1, 1.1};
    double hv = opt_hv(nd->F, nd->n, 2, ref);
    opt_pop_free(nd);
    return hv;
}

static double run(opt_algorithm_fn fn, const char *variant, int pop, uint64_t seed)
{
    opt_problem *p = NULL;
    em_error err = {0};
    ck_assert_int_eq(opt_benchmark_new("zdt1", 10, 0, &p, &err), 0);
    opt_options o;
    opt_options_default(&o);
    o.seed = seed;
    o.max_evals = 200;
    o.n_gen = 0;
    o.pop_size = pop;
    o.variant = variant;
    opt_result r;
    ck_assert_msg(fn(p, &o, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.n_evals, 200);
    double hv = hv_of_evals(r.evals);
    opt_result_free(&r);
    opt_problem_free(p);
    return hv;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median5(double *v)
{
    qsort(v, 5, sizeof *v, cmp_double);
    return v[2];
}

/* NSGA-II with the same 200 evaluations, at population 20 (10 generations) and 40
 * (5 generations); the better median of the two is the bar. Measured: HV 0.0052,
 * 0, 0, 0.0396, 0.0591 (pop 20) and 0, 0, 0, 0, 0.0355 (pop 40): 200 evaluations
 * are far too few for it to reach the front, whose HV is 0.8767. */
static double nsga2_bar(void)
{
    double best = 0;
    for (int pop = 20; pop <= 40; pop += 20) {
        double hv[5];
        for (int s = 0; s < 5; s++) hv[s] = run(opt_nsga2_run, NULL, pop, (uint64_t)s + 1);
        double med = median5(hv);
        printf("NSGA-II pop %d, 200 evaluations: median HV %.4f\n", pop, med);
        if (med > best) best = med;
    }
    return best;
}

/* The paper's configuration: N0 = 50 LHS points, 2 infill points per iteration
 * chosen at random from the predicted front, all five models, selection by 5-fold
 * CV on MSE, C-TAEA (pop 100, 100 generations) on the surrogates. Measured median
 * 0.859 (seeds 1, 2: 0.8584, 0.8592); the test asks for 0.83, and for more than
 * NSGA-II. */
START_TEST(zdt1_sbo_random_beats_nsga2)
{
    double bar = nsga2_bar(), hv[5];
    for (int s = 0; s < 5; s++) {
        time_t t0 = time(NULL);
        hv[s] = run(opt_sbo_run, "infill=random", 100, (uint64_t)s + 1);
        printf("SBO (random infill) seed %d: HV %.4f (%ld s)\n", s + 1, hv[s],
               (long)(time(NULL) - t0));
    }
    double med = median5(hv);
    printf("SBO (random infill), 200 evaluations: median HV %.4f vs NSGA-II %.4f\n", med, bar);
    ck_assert_double_gt(med, bar);
    ck_assert_double_gt(med, 0.83);
}
END_TEST

/* The two infill rules side by side, with the GP as the only model (cheap: about 7 s
 * a run). Measured medians: random 0.8535 (0.8616, 0.8517, 0.8609, 0.8535, 0.8426),
 * HVI 0.8656 (0.8656, 0.8658, 0.8665, 0.8652, 0.8475): HVI is ahead on every seed.
 * The test asks that the HVI median beat the random one, and exceed 0.855. */
START_TEST(zdt1_hvi_beats_random_infill)
{
    double hr[5], hh[5];
    for (int s = 0; s < 5; s++) {
        hr[s] = run(opt_sbo_run, "models=gp,infill=random", 100, (uint64_t)s + 1);
        hh[s] = run(opt_sbo_run, "models=gp,infill=hvi", 100, (uint64_t)s + 1);
        printf("SBO-GP seed %d: HV random infill %.4f, HVI infill %.4f\n", s + 1, hr[s],
               hh[s]);
    }
    double mr = median5(hr), mh = median5(hh);
    printf("SBO-GP, 200 evaluations: median HV random infill %.4f, HVI infill %.4f\n", mr,
           mh);
    ck_assert_double_gt(mh, mr);
    ck_assert_double_gt(mh, 0.855);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("opt_sbo_slow");
    TCase *tc = tcase_create("quality");
    tcase_set_timeout(tc, 3000);
    tcase_add_test(tc, zdt1_sbo_random_beats_nsga2);
    tcase_add_test(tc, zdt1_hvi_beats_random_infill);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
