/* tests/test_opt_stats.c: Friedman, Spearman, Dunn, Holm and the distribution tails,
 * against DESIGN.md 10's published values and hand computations. */
#include <stdlib.h>

#include "opt/stats.h"
#include "tests/testutil.h"

START_TEST(friedman_pulse)
{
    /* DESIGN.md 10: before 72,96,88,92,74,76,82; after 120,120,132,120,101,96,112;
     * five minutes later 76,95,104,96,84,72,76 -> 10.5714, p = 0.005063.
     * Blocks are the 7 subjects, treatments the 3 times. */
    double before[] = {72, 96, 88, 92, 74, 76, 82};
    double after[] = {120, 120, 132, 120, 101, 96, 112};
    double later[] = {76, 95, 104, 96, 84, 72, 76};
    double d[21], stat, p, mr[3];
    for (int i = 0; i < 7; i++) d[3 * i] = before[i], d[3 * i + 1] = after[i], d[3 * i + 2] = later[i];
    ck_assert_int_eq(opt_friedman(d, 7, 3, &stat, &p, mr, NULL), 0);
    ck_assert_close(stat, 10.5714, 0, 5e-5);
    ck_assert_close(p, 0.005063, 0, 5e-7);
    /* hand: within-subject ranks give rank sums 10, 21, 11 */
    ck_assert_close(mr[0] * 7, 10.0, 0, 1e-12);
    ck_assert_close(mr[1] * 7, 21.0, 0, 1e-12);
    ck_assert_close(mr[2] * 7, 11.0, 0, 1e-12);
}
END_TEST

START_TEST(friedman_ties)
{
    /* With ties, against Conover's general form (an independent formula):
     * Q = (k-1) sum_j (R_j - n(k+1)/2)^2 / (sum r_ij^2 - n k (k+1)^2 / 4). */
    double d[] = {1, 1, 2, 3, 1, 2, 3, 2, 2, 5, 4, 4, 1, 2, 3};
    int n = 5, k = 3;
    double r[15], R[3] = {0, 0, 0}, A = 0;
    for (int b = 0; b < n; b++) {
        opt_rank_average(d + 3 * b, 3, r + 3 * b);
        for (int j = 0; j < k; j++) R[j] += r[3 * b + j], A += r[3 * b + j] * r[3 * b + j];
    }
    double num = 0, C = n * k * (k + 1) * (k + 1) / 4.0;
    for (int j = 0; j < k; j++) num += (R[j] - n * (k + 1) / 2.0) * (R[j] - n * (k + 1) / 2.0);
    double Q = (k - 1) * num / (A - C), stat, p;
    ck_assert_int_eq(opt_friedman(d, n, k, &stat, &p, NULL, NULL), 0);
    ck_assert_close(stat, Q, 1e-12, 0);
    ck_assert_close(p, exp(-Q / 2), 1e-10, 0); /* chi-square with 2 df: exp(-x/2) */
    /* bad sizes */
    em_error err = {0};
    ck_assert_int_eq(opt_friedman(d, 1, 3, &stat, &p, NULL, &err), EM_EINVAL);
    /* every block entirely tied (e.g. every optimizer reached the same HV on every
     * problem): our documented choice is statistic 0 and p = 1, no evidence of a
     * difference (scipy divides 0 by 0 and returns NaN for both); mean ranks (k+1)/2 */
    double tied[] = {0.5, 0.5, 0.5, 2, 2, 2, -1, -1, -1, 7, 7, 7};
    double mr[3];
    stat = p = NAN;
    ck_assert_int_eq(opt_friedman(tied, 4, 3, &stat, &p, mr, NULL), 0);
    ck_assert(stat == 0.0 && p == 1.0);
    for (int j = 0; j < 3; j++) ck_assert(mr[j] == 2.0);
    /* one block tied, the others not: the usual tie-corrected statistic (Conover's
     * form again), not the all-tied case */
    double some[] = {3, 3, 3, 1, 2, 3, 1, 2, 3};
    ck_assert_int_eq(opt_friedman(some, 3, 3, &stat, &p, NULL, NULL), 0);
    /* ranks: (2,2,2) (1,2,3) (1,2,3): R = 4, 6, 8; sum r^2 = 12 + 14 + 14 = 40;
     * C = 3*3*16/4 = 36; Q = 2 * (4 + 0 + 4) / (40 - 36) = 4 */
    ck_assert_close(stat, 4.0, 1e-12, 0);
    ck_assert_close(p, exp(-2.0), 1e-10, 0);
}
END_TEST

START_TEST(spearman_design)
{
    /* DESIGN.md 10: x = 1..5, y = 5,6,7,8,7 -> 0.8207826817 */
    double x[] = {1, 2, 3, 4, 5}, y[] = {5, 6, 7, 8, 7};
    ck_assert_close(opt_spearman(x, y, 5), 0.8207826817, 0, 1e-10);
    /* perfect and reversed orders; constant input has no correlation */
    double z[] = {50, 40, 30, 20, 10}, c[] = {1, 1, 1, 1, 1};
    ck_assert_close(opt_spearman(x, x, 5), 1.0, 0, 1e-15);
    ck_assert_close(opt_spearman(x, z, 5), -1.0, 0, 1e-15);
    ck_assert(isnan(opt_spearman(x, c, 5)));
}
END_TEST

START_TEST(ranks_average)
{
    double x[] = {10, 20, 10, 30, 20, 10}, r[6];
    opt_rank_average(x, 6, r);
    double want[] = {2, 4.5, 2, 6, 4.5, 2};
    for (int i = 0; i < 6; i++) ck_assert_close(r[i], want[i], 0, 0);
}
END_TEST

START_TEST(holm_hand)
{
    /* sorted 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> 0.06 */
    double p[] = {0.01, 0.04, 0.03, 0.005}, a[4];
    opt_holm(p, 4, a);
    double want[] = {0.03, 0.06, 0.06, 0.02};
    for (int i = 0; i < 4; i++) ck_assert_close(a[i], want[i], 1e-12, 0);
    double q[] = {0.5, 0.6}, b[2];
    opt_holm(q, 2, b);
    ck_assert_close(b[0], 1.0, 0, 0); /* capped at 1 */
    ck_assert_close(b[1], 1.0, 0, 0);
}
END_TEST

START_TEST(dunn_hand)
{
    /* Groups {1,2}, {3,4}, {5,6}: mean ranks 1.5, 3.5, 5.5; var = 6*7/12 = 3.5;
     * z = 2/sqrt(3.5) = 1.069045 (p 0.285049), 4/sqrt(3.5) = 2.138090 (p 0.032509);
     * Holm: 0.097528, 0.570099, 0.570099. */
    double v[] = {1, 2, 3, 4, 5, 6}, z[9], pa[9];
    int sizes[] = {2, 2, 2};
    ck_assert_int_eq(opt_dunn(v, sizes, 3, z, pa, NULL), 0);
    ck_assert_close(z[0 * 3 + 1], 1.0690449676, 1e-9, 0);
    ck_assert_close(z[0 * 3 + 2], 2.1380899353, 1e-9, 0);
    ck_assert_close(pa[0 * 3 + 2], 3 * 0.032509444645719546, 1e-9, 0);
    ck_assert_close(pa[0 * 3 + 1], 2 * 0.28504940740261275, 1e-9, 0);
    ck_assert_close(pa[1 * 3 + 2], 2 * 0.28504940740261275, 1e-9, 0);
    ck_assert_close(pa[2 * 3 + 0], pa[0 * 3 + 2], 0, 0);
    ck_assert_close(pa[1 * 3 + 1], 1.0, 0, 0);
}
END_TEST

START_TEST(dunn_ties)
{
    /* {1,2}, {2,3}, {4,4}: ranks 1, 2.5 | 2.5, 4 | 5.5, 5.5; ties 2x(2^3-2) = 12;
     * var = 3.5 - 12/60 = 3.3; z01 = 1.5/sqrt(3.3) = 0.825723 (p 0.408961),
     * z02 = 3.75/sqrt(3.3) = 2.064307 (p 0.038989), z12 = 2.25/sqrt(3.3) (p 0.215500);
     * Holm: 0.116966, 0.430999, 0.430999. */
    double v[] = {1, 2, 2, 3, 4, 4}, z[9], pa[9];
    int sizes[] = {2, 2, 2};
    ck_assert_int_eq(opt_dunn(v, sizes, 3, z, pa, NULL), 0);
    ck_assert_close(z[1], 0.8257228238, 1e-9, 0);
    ck_assert_close(pa[2], 3 * 0.03898861209635861, 1e-9, 0);
    ck_assert_close(pa[1], 2 * 0.21549950906932708, 1e-9, 0);
    ck_assert_close(pa[5], 2 * 0.21549950906932708, 1e-9, 0);
    int bad[] = {2, 0, 2};
    em_error err = {0};
    ck_assert_int_eq(opt_dunn(v, bad, 3, z, pa, &err), EM_EINVAL);
}
END_TEST

START_TEST(tails)
{
    /* textbook critical values: chi2(1) 3.841459 and chi2(2) 5.991465 at 0.05 */
    ck_assert_close(opt_chi2_sf(3.841458820694124, 1), 0.05, 1e-9, 0);
    ck_assert_close(opt_chi2_sf(5.991464547107979, 2), 0.05, 1e-9, 0);
    /* df 2 is exp(-x/2); df 4 is exp(-x/2)(1 + x/2) */
    ck_assert_close(opt_chi2_sf(1.3, 2), exp(-0.65), 1e-12, 0);
    ck_assert_close(opt_chi2_sf(30.0, 4), exp(-15.0) * 16.0, 1e-10, 0);
    ck_assert_close(opt_chi2_sf(0.2, 4), exp(-0.1) * 1.1, 1e-12, 0);
    ck_assert_close(opt_norm_sf(1.959963984540054), 0.025, 1e-9, 0);
    ck_assert_close(opt_norm_sf(0), 0.5, 0, 1e-15);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("opt_stats");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, friedman_pulse);
    tcase_add_test(tc, friedman_ties);
    tcase_add_test(tc, spearman_design);
    tcase_add_test(tc, ranks_average);
    tcase_add_test(tc, holm_hand);
    tcase_add_test(tc, dunn_hand);
    tcase_add_test(tc, dunn_ties);
    tcase_add_test(tc, tails);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
