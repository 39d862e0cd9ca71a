/* tests/test_search_select.c: AScore, knee and budget choice on hand cases. */
#include "search/select.h"
#include "tests/testutil.h"

START_TEST(ascore_hand)
{
    /* acc 0.9, cost 2 mJ, r/tau 5: (4.5 + 0.1) / 2 = 2.3 */
    ck_assert_close(sr_ascore(0.9, 2.0, 5.0), 2.3, 1e-15, 0);
    ck_assert_close(sr_ascore(0.9, 2.0, 0.2), (0.18 + 0.1) / 2.0, 1e-15, 0);
    /* A front: with r/tau = 5 accuracy matters; with 0.2 cost does. */
    double acc[] = {0.99, 0.97, 0.90, 0.60};
    double cost[] = {1.00, 0.50, 0.20, 0.10};
    /* r/tau 5: 5.0, 9.76, 23.0, 34.0 -> index 3; r/tau 1: 1/cost -> 3 too. */
    ck_assert_int_eq(sr_best_ascore(acc, cost, 4, 5.0), 3);
    double acc2[] = {0.99, 0.97, 0.90, 0.20};
    /* r/tau 5: 5.0, 9.76, 23.0, 18.0 -> 2 */
    ck_assert_int_eq(sr_best_ascore(acc2, cost, 4, 5.0), 2);
    ck_assert_int_eq(sr_best_ascore(acc2, cost, 0, 5.0), -1);
}
END_TEST

START_TEST(knee_hand)
{
    /* L-shaped front: the corner (0.98, 0.2) is the knee. */
    double acc[] = {0.99, 0.98, 0.70, 0.50};
    double cost[] = {1.00, 0.20, 0.15, 0.10};
    ck_assert_int_eq(sr_knee(acc, cost, 4), 1);
    /* Points on a straight line: no point lies below the chord: the most accurate. */
    double a2[] = {1.0, 0.5, 0.0};
    double c2[] = {1.0, 0.5, 0.0};
    ck_assert_int_eq(sr_knee(a2, c2, 3), 0);
    ck_assert_int_eq(sr_knee(a2, c2, 0), -1);
}
END_TEST

START_TEST(budget_hand)
{
    double acc[] = {0.99, 0.98, 0.98, 0.90};
    double cost[] = {1.00, 0.40, 0.30, 0.10};
    ck_assert_int_eq(sr_best_under_budget(acc, cost, 4, 0.5), 2); /* tie -> cheaper */
    ck_assert_int_eq(sr_best_under_budget(acc, cost, 4, 1.0), 0);
    ck_assert_int_eq(sr_best_under_budget(acc, cost, 4, 0.05), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("search_select");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ascore_hand);
    tcase_add_test(tc, knee_hand);
    tcase_add_test(tc, budget_hand);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
