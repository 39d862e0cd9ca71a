/* tests/test_opt_indicators.c: hypervolume, IGD family, dominance, non-dominated
 * sorting and crowding distance, against DESIGN.md 10's oracles, hand cases and
 * brute-force references (a Monte-Carlo-free grid count for HV, O(n^2) dominance). */
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "opt/benchmarks.h"
#include "opt/indicators.h"
#include "opt/pareto.h"
#include "tests/testutil.h"

START_TEST(hv_design_2d)
{
    /* DESIGN.md 10: {(5,5),(4,6),(2,7),(7,4)} with ref (10,10) -> 38 */
    double A[] = {5, 5, 4, 6, 2, 7, 7, 4}, ref[] = {10, 10};
    ck_assert_close(opt_hv(A, 4, 2, ref), 38.0, 0, 1e-12);
}
END_TEST

START_TEST(hv_design_3d)
{
    /* DESIGN.md 10: {(1,0,1),(0,1,0)} with ref (2,2,2) -> 5 */
    double A[] = {1, 0, 1, 0, 1, 0}, ref[] = {2, 2, 2};
    ck_assert_close(opt_hv(A, 2, 3, ref), 5.0, 0, 1e-12);
}
END_TEST

START_TEST(hv_zdt1_front)
{
    /* DESIGN.md 10: 100 evenly spaced points of the ZDT1 front, ref (1.1,1.1) -> 0.87141;
     * the analytic value of the whole front is 0.876667 = 1.21 - 1/3. */
    double A[200], ref[] = {1.1, 1.1};
    for (int i = 0; i < 100; i++) {
        A[2 * i] = i / 99.0;
        A[2 * i + 1] = 1.0 - sqrt(i / 99.0);
    }
    ck_assert_close(opt_hv(A, 100, 2, ref), 0.87141, 0, 5e-6);
    opt_problem *p;
    ck_assert_int_eq(opt_benchmark_new("zdt1", 0, 0, &p, NULL), 0);
    ck_assert_close(opt_benchmark_true_hv(p, ref), 0.876667, 0, 1e-6);
    double *F;
    int n;
    ck_assert_int_eq(p->front(p, 20000, &F, &n, NULL), 0);
    ck_assert_close(opt_hv(F, n, 2, ref), 0.876667, 0, 1e-4);
    free(F);
    opt_problem_free(p);
}
END_TEST

START_TEST(hv_hand_cases)
{
    double ref[] = {10, 10, 10};
    /* points not strictly dominating the reference contribute nothing */
    double A[] = {10, 1, 1, 11, 0, 0};
    ck_assert_close(opt_hv(A, 2, 3, ref), 0.0, 0, 0);
    /* one box */
    double B[] = {1, 2, 3};
    ck_assert_close(opt_hv(B, 1, 3, ref), 9 * 8 * 7, 0, 1e-12);
    /* duplicates and dominated points change nothing */
    double C[] = {1, 2, 3, 1, 2, 3, 2, 3, 4, 1, 2, 3};
    ck_assert_close(opt_hv(C, 4, 3, ref), 9 * 8 * 7, 0, 1e-12);
    /* 1-D and 4-D single points */
    double D[] = {3};
    ck_assert_close(opt_hv(D, 1, 1, ref), 7, 0, 1e-12);
    double E[] = {1, 1, 1, 1}, r4[] = {2, 3, 4, 5};
    ck_assert_close(opt_hv(E, 1, 4, r4), 1 * 2 * 3 * 4, 0, 1e-12);
    /* empty set */
    ck_assert_close(opt_hv(NULL, 0, 3, ref), 0, 0, 0);
    /* a non-finite reference is an error */
    double bad[] = {NAN, 1};
    em_error err = {0};
    double v;
    ck_assert_int_eq(opt_hypervolume(B, 1, 2, bad, &v, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "reference"));
}
END_TEST

/* Brute force: points on an integer grid, count unit cells dominated by some point. */
static double hv_grid(const double *A, int n, int m, int R)
{
    long cells = 1;
    for (int j = 0; j < m; j++) cells *= R;
    long count = 0;
    int c[8];
    for (long id = 0; id < cells; id++) {
        long t = id;
        for (int j = 0; j < m; j++) {
            c[j] = (int)(t % R);
            t /= R;
        }
        for (int i = 0; i < n; i++) {
            int in = 1;
            for (int j = 0; j < m && in; j++) in = A[(size_t)i * m + j] <= c[j];
            if (in) {
                count++;
                break;
            }
        }
    }
    return (double)count;
}

START_TEST(hv_random_vs_grid)
{
    em_rng rng;
    em_rng_seed(&rng, 7);
    for (int m = 2; m <= 5; m++) {
        int R = m <= 3 ? 12 : 7;
        for (int trial = 0; trial < 20; trial++) {
            int n = 1 + (int)em_rng_below(&rng, 25);
            double A[25 * 5], ref[5];
            for (int i = 0; i < n * m; i++) A[i] = (double)em_rng_below(&rng, (uint64_t)R + 1);
            for (int j = 0; j < m; j++) ref[j] = R;
            ck_assert_close(opt_hv(A, n, m, ref), hv_grid(A, n, m, R), 0, 1e-9);
        }
    }
}
END_TEST

/* Reference for 3-D: integrate 2-D hypervolumes (the 2-D sweep) over f3 slices. */
static double hv3_by_slices(const double *A, int n, const double *ref)
{
    double *z = malloc(sizeof(double) * (n + 1)), *S = malloc(sizeof(double) * 2 * n);
    int nz = 0;
    for (int i = 0; i < n; i++) z[nz++] = A[3 * i + 2];
    for (int i = 1; i < nz; i++) /* insertion sort */
        for (int j = i; j > 0 && z[j - 1] > z[j]; j--) {
            double t = z[j]; z[j] = z[j - 1]; z[j - 1] = t;
        }
    z[nz] = ref[2];
    double v = 0;
    for (int s = 0; s < nz; s++) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (A[3 * i + 2] <= z[s]) S[2 * k] = A[3 * i], S[2 * k + 1] = A[3 * i + 1], k++;
        v += opt_hv(S, k, 2, ref) * (z[s + 1] - z[s]);
    }
    free(z), free(S);
    return v;
}

START_TEST(hv_3d_random_vs_slices)
{
    em_rng rng;
    em_rng_seed(&rng, 11);
    for (int trial = 0; trial < 30; trial++) {
        int n = 1 + (int)em_rng_below(&rng, 200);
        double *A = malloc(sizeof(double) * 3 * n);
        for (int i = 0; i < n; i++) {
            /* points near a sphere so many are non-dominated */
            double a = em_rng_uniform(&rng), b = em_rng_uniform(&rng), c = em_rng_uniform(&rng);
            double s = sqrt(a * a + b * b + c * c) + 1e-9;
            A[3 * i] = a / s, A[3 * i + 1] = b / s, A[3 * i + 2] = c / s;
        }
        double r3[] = {1.1, 1.1, 1.1};
        ck_assert_close(opt_hv(A, n, 3, r3), hv3_by_slices(A, n, r3), 1e-12, 1e-14);
        free(A);
    }
}
END_TEST

/* Independent oracle: inclusion-exclusion over every non-empty subset S of A,
 * HV = sum (-1)^(|S|+1) prod_j max(0, ref_j - max_{a in S} a_j). Exponential: n <= 16. */
static double hv_incl_excl(const double *A, int n, int m, const double *ref)
{
    long double v = 0;
    for (unsigned long s = 1; s < (1UL << n); s++) {
        double hi[8];
        for (int j = 0; j < m; j++) hi[j] = -INFINITY;
        int bits = 0;
        for (int i = 0; i < n; i++)
            if (s >> i & 1) {
                bits++;
                for (int j = 0; j < m; j++) hi[j] = fmax(hi[j], A[(size_t)i * m + j]);
            }
        long double box = 1;
        for (int j = 0; j < m; j++) box *= hi[j] < ref[j] ? (long double)(ref[j] - hi[j]) : 0;
        v += bits % 2 ? box : -box;
    }
    return (double)v;
}

/* 4-D and 5-D (WFG) against inclusion-exclusion on random sets near the sphere, then
 * with dominated points, repeats and points outside the reference added: the value
 * must not move, and must equal inclusion-exclusion of the enlarged set too. */
START_TEST(hv_4d_5d_vs_inclusion_exclusion)
{
    em_rng rng;
    em_rng_seed(&rng, 23);
    for (int m = 4; m <= 5; m++)
        for (int trial = 0; trial < 25; trial++) {
            int n = 1 + (int)em_rng_below(&rng, 10);
            double A[16 * 5], ref[5];
            for (int j = 0; j < m; j++) ref[j] = 1.0 + 0.3 * em_rng_uniform(&rng);
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < m; j++) {
                    A[i * m + j] = em_rng_uniform(&rng) + 1e-3;
                    s += A[i * m + j] * A[i * m + j];
                }
                for (int j = 0; j < m; j++) A[i * m + j] /= sqrt(s);
            }
            double want = hv_incl_excl(A, n, m, ref), got = opt_hv(A, n, m, ref);
            ck_assert_msg(want > 0 && fabs(got - want) <= 1e-12 * want,
                          "m %d n %d: wfg %.17g, inclusion-exclusion %.17g", m, n, got, want);
            /* + a dominated copy of row 0, a repeat of the last row, a point beyond ref */
            int k = n;
            for (int j = 0; j < m; j++) A[k * m + j] = A[j] + 0.01 * (j + 1);
            k++;
            memcpy(A + (size_t)k * m, A + (size_t)(n - 1) * m, sizeof(double) * m);
            k++;
            for (int j = 0; j < m; j++) A[k * m + j] = j == 1 ? ref[j] : 0.0;
            k++;
            double got2 = opt_hv(A, k, m, ref), want2 = hv_incl_excl(A, k, m, ref);
            ck_assert_msg(fabs(got2 - want) <= 1e-12 * want && fabs(want2 - want) <= 1e-12 * want,
                          "m %d: with dominated/repeated rows %.17g (ie %.17g), without %.17g", m,
                          got2, want2, want);
        }
    /* every row the same point: its box */
    double B[6 * 4], r4[4] = {1, 1, 1, 1};
    for (int i = 0; i < 6; i++) B[i * 4] = 0.5, B[i * 4 + 1] = 0.25, B[i * 4 + 2] = 0, B[i * 4 + 3] = 0.75;
    ck_assert_close(opt_hv(B, 6, 4, r4), 0.5 * 0.75 * 1 * 0.25, 1e-15, 0);
}
END_TEST

START_TEST(igd_design)
{
    /* DESIGN.md 10: front {(1,0),(0,10)}, point (2,5): IGD 5.242, IGD+ 3.550, GD 5.099,
     * GD+ 2.0 */
    double Z[] = {1, 0, 0, 10}, A[] = {2, 5};
    ck_assert_close(opt_igd(A, 1, Z, 2, 2), 5.242, 0, 5e-4);
    ck_assert_close(opt_igd_plus(A, 1, Z, 2, 2), 3.550, 0, 5e-4);
    ck_assert_close(opt_gd(A, 1, Z, 2, 2), 5.099, 0, 5e-4);
    ck_assert_close(opt_gd_plus(A, 1, Z, 2, 2), 2.0, 0, 1e-12);
    /* exact: (sqrt(26) + sqrt(29)) / 2 and (sqrt(26) + 2) / 2 */
    ck_assert_close(opt_igd(A, 1, Z, 2, 2), (sqrt(26) + sqrt(29)) / 2, 1e-15, 0);
    ck_assert_close(opt_igd_plus(A, 1, Z, 2, 2), (sqrt(26) + 2) / 2, 1e-15, 0);
    /* the front itself has IGD 0 */
    ck_assert_close(opt_igd(Z, 2, Z, 2, 2), 0, 0, 0);
    ck_assert(isnan(opt_igd(A, 0, Z, 2, 2)));
}
END_TEST

START_TEST(dominance_cases)
{
    double a[] = {1, 2}, b[] = {2, 3}, c[] = {2, 1}, d[] = {1, 2};
    ck_assert_int_eq(opt_dominance(a, b, 2), 1);
    ck_assert_int_eq(opt_dominance(b, a, 2), -1);
    ck_assert_int_eq(opt_dominance(a, c, 2), 0);
    ck_assert_int_eq(opt_dominance(a, d, 2), 0);
    /* feasible beats infeasible, smaller violation beats larger */
    ck_assert_int_eq(opt_cdominance(b, 0.0, a, 0.5, 2), 1);
    ck_assert_int_eq(opt_cdominance(a, 0.7, b, 0.5, 2), -1);
    ck_assert_int_eq(opt_cdominance(a, 0.5, b, 0.5, 2), 0);
}
END_TEST

/* Brute-force front numbers: peel off the non-dominated rows repeatedly. */
static void ranks_brute(const double *F, const double *cv, int n, int m, int *rank)
{
    int *done = calloc((size_t)n, sizeof(int));
    for (int f = 0, left = n; left > 0; f++) {
        int *cur = calloc((size_t)n, sizeof(int));
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            int dom = 0;
            for (int j = 0; j < n && !dom; j++)
                if (!done[j] && j != i)
                    dom = (cv ? opt_cdominance(F + j * m, cv[j], F + i * m, cv[i], m)
                              : opt_dominance(F + j * m, F + i * m, m)) == 1;
            cur[i] = !dom;
        }
        for (int i = 0; i < n; i++)
            if (cur[i]) rank[i] = f, done[i] = 1, left--;
        free(cur);
    }
    free(done);
}

START_TEST(nds_vs_brute)
{
    em_rng rng;
    em_rng_seed(&rng, 3);
    for (int trial = 0; trial < 200; trial++) {
        int m = 2 + trial % 3, n = 1 + (int)em_rng_below(&rng, 60);
        double F[60 * 4], cv[60];
        int r1[60], r2[60], idx[60];
        for (int i = 0; i < n * m; i++) F[i] = (double)em_rng_below(&rng, 6); /* many ties */
        for (int i = 0; i < n; i++) cv[i] = em_rng_uniform(&rng) < 0.3 ? (double)em_rng_below(&rng, 3) : 0;
        int nf = opt_nds(F, NULL, n, m, r1);
        ranks_brute(F, NULL, n, m, r2);
        int mx = 0;
        for (int i = 0; i < n; i++) {
            ck_assert_int_eq(r1[i], r2[i]);
            mx = r1[i] > mx ? r1[i] : mx;
        }
        ck_assert_int_eq(nf, mx + 1);
        opt_nds(F, cv, n, m, r1);
        ranks_brute(F, cv, n, m, r2);
        for (int i = 0; i < n; i++) ck_assert_int_eq(r1[i], r2[i]);
        /* the non-dominated filter returns exactly the rank-0 rows, ascending */
        int k = opt_nondominated(F, n, m, idx), c = 0;
        opt_nds(F, NULL, n, m, r1);
        for (int i = 0; i < n; i++)
            if (r1[i] == 0) {
                ck_assert_int_lt(c, k);
                ck_assert_int_eq(idx[c++], i);
            }
        ck_assert_int_eq(c, k);
    }
}
END_TEST

START_TEST(crowding_design)
{
    /* DESIGN.md 10: {(0,0),(0.5,50),(1,100)} -> [inf, 1, inf] */
    double F[] = {0, 0, 0.5, 50, 1, 100};
    int idx[] = {0, 1, 2};
    double cd[3];
    ck_assert_int_eq(opt_crowding(F, 2, idx, 3, cd), 0);
    ck_assert(isinf(cd[0]) && isinf(cd[2]));
    ck_assert_close(cd[1], 1.0, 0, 1e-15);
}
END_TEST

START_TEST(crowding_hand)
{
    /* Four points, hand-computed: sorted by f1 (0,1,3,4 over range 4) and f2 (4,3,1,0
     * over range 4): point (1,3): (3-0)/4 + (4-1)/4 = 1.5, halved -> 0.75;
     * point (3,1): (4-1)/4 + (3-0)/4 = 1.5 -> 0.75. A duplicate gets 0. */
    double F[] = {0, 4, 1, 3, 3, 1, 4, 0, 1, 3};
    int idx[] = {0, 1, 2, 3, 4};
    double cd[5];
    opt_crowding(F, 2, idx, 5, cd);
    ck_assert(isinf(cd[0]) && isinf(cd[3]));
    ck_assert_close(cd[1], 0.75, 0, 1e-15);
    ck_assert_close(cd[2], 0.75, 0, 1e-15);
    ck_assert_close(cd[4], 0.0, 0, 0);
    /* a constant objective contributes nothing; two points are both infinite */
    double G[] = {0, 5, 1, 5, 2, 5};
    opt_crowding(G, 2, idx, 3, cd);
    ck_assert(isinf(cd[0]) && isinf(cd[2]));
    ck_assert_close(cd[1], 0.5, 0, 1e-15);
    opt_crowding(G, 2, idx, 2, cd);
    ck_assert(isinf(cd[0]) && isinf(cd[1]));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("opt_indicators");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, hv_design_2d);
    tcase_add_test(tc, hv_design_3d);
    tcase_add_test(tc, hv_zdt1_front);
    tcase_add_test(tc, hv_hand_cases);
    tcase_add_test(tc, hv_random_vs_grid);
    tcase_add_test(tc, hv_3d_random_vs_slices);
    tcase_add_test(tc, hv_4d_5d_vs_inclusion_exclusion);
    tcase_add_test(tc, igd_design);
    tcase_add_test(tc, dominance_cases);
    tcase_add_test(tc, nds_vs_brute);
    tcase_add_test(tc, crowding_design);
    tcase_add_test(tc, crowding_hand);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
