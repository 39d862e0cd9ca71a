/* tests/test_search_select.c: AScore, knee and budget choice on hand cases. */
#include "search/select.h"

#include <math.h>

#include "tests/testutil.h"

START_TEST(ascore_hand)
{
    /* (r*acc - tau*(1-acc))/cost with tau = 1. acc 0.9, cost 2, r/tau 5: (4.5 - 0.1)/2 */
    ck_assert_close(sp_ascore(0.9, 2.0, 5.0), 2.2, 1e-15, 0);
    ck_assert_close(sp_ascore(0.9, 2.0, 0.2), (0.18 - 0.1) / 2.0, 1e-15, 0);
    /* Relative to a reference (0.99, 4): r/tau 1: (0.8/2) / (0.98/4) */
    ck_assert_close(sp_ascore_rel(0.9, 2.0, 0.99, 4.0, 1.0), 0.4 / 0.245, 1e-14, 0);
    /* A reference whose score is not positive normalizes nothing. */
    ck_assert(isnan(sp_ascore_rel(0.9, 2.0, 0.5, 4.0, 0.2)));
    /* A front: with r/tau = 5 cheapness wins; with r/tau = 0.2 an error costs five
     * correct answers, so the accurate points win. */
    double acc[] = {0.99, 0.97, 0.90, 0.60};
    double cost[] = {1.00, 0.50, 0.20, 0.10};
    /* r/tau 5: 4.94, 9.64, 22.0, 26.0 -> 3 */
    ck_assert_int_eq(sp_best_ascore(acc, cost, 4, 5.0), 3);
    /* r/tau 0.2: 0.188, 0.328, 0.4, -2.8 -> 2 */
    ck_assert_int_eq(sp_best_ascore(acc, cost, 4, 0.2), 2);
    double acc2[] = {0.99, 0.97, 0.90, 0.20};
    /* r/tau 5: 4.94, 9.64, 22.0, 2.0 -> 2 */
    ck_assert_int_eq(sp_best_ascore(acc2, cost, 4, 5.0), 2);
    ck_assert_int_eq(sp_best_ascore(acc2, cost, 0, 5.0), -1);
}
END_TEST

/* The case where the old form (acc*r + (1-acc)*tau)/cost went wrong: a 40 % model at
 * half the cost. An error must not earn a score: at r/tau = 0.2 and 1 the accurate
 * models win, and even at 5 the 40 % model loses to the 98 % one at 0.9 cost. */
START_TEST(ascore_never_rewards_errors)
{
    double acc[] = {0.99, 0.40, 0.98};
    double cost[] = {1.00, 0.50, 0.90};
    /* r/tau 0.2: 0.188, -1.04, 0.1956 -> 2 (the old form: 0.208, 1.36, 0.2400 -> 1) */
    ck_assert_int_eq(sp_best_ascore(acc, cost, 3, 0.2), 2);
    /* r/tau 1: 0.98, -0.4, 1.0667 -> 2 */
    ck_assert_int_eq(sp_best_ascore(acc, cost, 3, 1.0), 2);
    /* r/tau 5: 4.94, 2.8, 5.4222 -> 2 */
    ck_assert_int_eq(sp_best_ascore(acc, cost, 3, 5.0), 2);
}
END_TEST

START_TEST(nondominated_hand)
{
    /* (0.9, 2) dominates (0.8, 3); (0.95, 5) and (0.7, 1) are extremes; (0.9, 2)
     * appears twice: the first copy stays. */
    double acc[] = {0.80, 0.90, 0.95, 0.70, 0.90};
    double cost[] = {3.0, 2.0, 5.0, 1.0, 2.0};
    bool nd[5];
    ck_assert_int_eq(sp_nondominated(acc, cost, 5, nd), 3);
    ck_assert(!nd[0] && nd[1] && nd[2] && nd[3] && !nd[4]);
}
END_TEST

START_TEST(knee_hand)
{
    /* L-shaped front: the corner (0.98, 0.2) is the knee. */
    double acc[] = {0.99, 0.98, 0.70, 0.50};
    double cost[] = {1.00, 0.20, 0.15, 0.10};
    ck_assert_int_eq(sp_knee(acc, cost, 4), 1);
    /* Points on a straight line: no point lies below the chord: the most accurate. */
    double a2[] = {1.0, 0.5, 0.0};
    double c2[] = {1.0, 0.5, 0.0};
    ck_assert_int_eq(sp_knee(a2, c2, 3), 0);
    ck_assert_int_eq(sp_knee(a2, c2, 0), -1);
}
END_TEST

START_TEST(budget_hand)
{
    double acc[] = {0.99, 0.98, 0.98, 0.90};
    double cost[] = {1.00, 0.40, 0.30, 0.10};
    ck_assert_int_eq(sp_best_under_budget(acc, cost, 4, 0.5), 2); /* tie -> cheaper */
    ck_assert_int_eq(sp_best_under_budget(acc, cost, 4, 1.0), 0);
    ck_assert_int_eq(sp_best_under_budget(acc, cost, 4, 0.05), -1);
}
END_TEST

/* Reference 99.3 %: within 0.5 points are 98.8 % and above. 98.8 (exactly on the
 * edge, not exact in doubles) at cost 0.3 is the cheapest of those; 98.79 at 0.1 is
 * just out. A tie in cost goes to the more accurate. */
START_TEST(within_loss_hand)
{
    double acc[] = {0.993, 0.990, 0.988, 0.9879, 0.989};
    double cost[] = {1.00, 0.50, 0.30, 0.10, 0.30};
    ck_assert_int_eq(sp_cheapest_within_loss(acc, cost, 5, 0.993, 0.005), 4);
    acc[4] = 0.95;
    ck_assert_int_eq(sp_cheapest_within_loss(acc, cost, 5, 0.993, 0.005), 2);
    ck_assert_int_eq(sp_cheapest_within_loss(acc, cost, 5, 0.993, 0.0), 0);
    ck_assert_int_eq(sp_cheapest_within_loss(acc, cost, 5, 0.993, 0.1), 3);
    ck_assert_int_eq(sp_cheapest_within_loss(acc, cost, 5, 0.999, 0.001), -1);
    ck_assert_int_eq(sp_cheapest_within_loss(acc, cost, 0, 0.993, 0.005), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("search_select");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ascore_hand);
    tcase_add_test(tc, ascore_never_rewards_errors);
    tcase_add_test(tc, nondominated_hand);
    tcase_add_test(tc, knee_hand);
    tcase_add_test(tc, budget_hand);
    tcase_add_test(tc, within_loss_hand);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
