/* tests/test_dataflow.c: the analytic fpga counts against the cycle-level simulator
 * (exact on dense layers, statistical on random masks), mapping parsing, and hand
 * counts of small cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "dataflow/analytic.h"
#include "sim/cyclesim.h"
#include "tests/testutil.h"

static const char *field_names[] = {"macs", "macs_executed", "iterations", "skipped", "stalls",
                                    "cycles", "reads W", "reads I", "reads O", "writes O"};

static void fields(const df_counts *c, double f[10])
{
    f[0] = c->macs;
    f[1] = c->macs_executed;
    f[2] = c->iterations;
    f[3] = c->skipped;
    f[4] = c->stalls;
    f[5] = c->cycles;
    f[6] = c->buffer_reads[DF_W];
    f[7] = c->buffer_reads[DF_I];
    f[8] = c->buffer_reads[DF_O];
    f[9] = c->buffer_writes[DF_O];
}

/* Awkward shapes: tiles that do not divide, stride 2, groups, depthwise, 1x1, linear. */
static df_nest shapes[] = {
    {"odd", {5, 3, 7, 6, 3, 3}, 1, 1, false},
    {"stride2", {4, 3, 5, 5, 3, 3}, 1, 2, false},
    {"stride3k2", {3, 2, 4, 3, 2, 2}, 1, 3, false},
    {"groups", {3, 2, 5, 4, 3, 2}, 2, 1, false},
    {"depthwise", {1, 1, 6, 6, 3, 3}, 5, 2, false},
    {"pointwise", {9, 7, 4, 4, 1, 1}, 1, 1, false},
    {"linear", {13, 21, 1, 1, 1, 1}, 1, 1, true},
    {"wide", {17, 19, 3, 2, 5, 1}, 1, 1, false},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

static const char *mappings[] = {"xy", "cico", "fxfy", "xfx", "co:x", "ci:fy", "y:fy",
                                 "fx:x/co,ci,y,fy", "co:ci", "x:ci"};
#define NMAPS (sizeof mappings / sizeof mappings[0])

static const df_array arrays[] = {{4, 3, 5.0}, {3, 4, 2.0}, {2, 2, 100.0}, {5, 2, 3.5}};
#define NARR (sizeof arrays / sizeof arrays[0])

START_TEST(dense_exact_all_mappings)
{
    em_error err = {0};
    int cases = 0;
    for (size_t si = 0; si < NSHAPES; si++)
        for (size_t mi = 0; mi < NMAPS; mi++)
            for (size_t ai = 0; ai < NARR; ai++) {
                df_mapping m;
                ck_assert_int_eq(df_mapping_parse(mappings[mi], &m, &err), 0);
                df_counts an, sim;
                ck_assert_int_eq(df_analyze(&shapes[si], &m, &arrays[ai], 1.0, &an, &err), 0);
                ck_assert_int_eq(sim_cycle_simulate(&shapes[si], &m, &arrays[ai], NULL, &sim, &err), 0);
                double fa[10], fs[10];
                fields(&an, fa);
                fields(&sim, fs);
                for (int k = 0; k < 10; k++)
                    ck_assert_msg(fa[k] == fs[k], "%s under %s on %dx%d: %s analytic %.1f vs simulated %.1f",
                                  shapes[si].name, mappings[mi], arrays[ai].rows, arrays[ai].cols,
                                  field_names[k], fa[k], fs[k]);
                ck_assert_double_eq(an.macs, (double)df_nest_macs(&shapes[si]));
                cases++;
            }
    ck_assert_int_eq(cases, (int)(NSHAPES * NMAPS * NARR));
}
END_TEST

/* Random masks with independent zeros (Bernoulli keep): the analytic expectation
 * must match the simulator's mean over masks. Tolerance: 4 standard errors of the
 * simulated mean (or of a Poisson count, for rare events) plus 0.5 %. */
START_TEST(pruned_expectation_matches_simulation)
{
    const double keeps[] = {0.1, 0.3, 0.7};
    const int masks = 60;
    em_error err = {0};
    em_rng rng;
    em_rng_seed(&rng, 1234);
    for (size_t si = 0; si < NSHAPES; si++)
        for (size_t mi = 0; mi < NMAPS; mi++)
            for (size_t ki = 0; ki < sizeof keeps / sizeof *keeps; ki++) {
                const df_nest *n = &shapes[si];
                const df_array *arr = &arrays[(si + mi) % NARR];
                df_mapping m;
                df_mapping_parse(mappings[mi], &m, &err);
                int64_t nw = df_nest_weights(n);
                float *w = malloc(sizeof *w * (size_t)nw);
                double sum[10] = {0}, sq[10] = {0};
                for (int t = 0; t < masks; t++) {
                    for (int64_t i = 0; i < nw; i++) w[i] = em_rng_uniform(&rng) < keeps[ki] ? 1.0f : 0.0f;
                    df_counts c;
                    ck_assert_int_eq(sim_cycle_simulate(n, &m, arr, w, &c, &err), 0);
                    double f[10];
                    fields(&c, f);
                    for (int k = 0; k < 10; k++) {
                        sum[k] += f[k];
                        sq[k] += f[k] * f[k];
                    }
                }
                free(w);
                df_counts an;
                ck_assert_int_eq(df_analyze(n, &m, arr, keeps[ki], &an, &err), 0);
                double fa[10];
                fields(&an, fa);
                for (int k = 0; k < 10; k++) {
                    if (k == 4 || k == 5) continue; /* stalls: dense schedule, checked above */
                    double mean = sum[k] / masks;
                    double var = sq[k] / masks - mean * mean;
                    double se = sqrt(var > 0 ? var / masks : 0);
                    /* rare events: a Poisson count of mean fa has variance fa */
                    double se_rare = sqrt(fabs(fa[k]) / masks);
                    if (se_rare > se) se = se_rare;
                    ck_assert_msg(fabs(fa[k] - mean) <= 4 * se + 0.005 * fabs(mean) + 1e-9,
                                  "%s under %s keep %.1f: %s analytic %.3f vs simulated mean %.3f (se %.3f)",
                                  n->name, mappings[mi], keeps[ki], field_names[k], fa[k], mean, se);
                }
            }
}
END_TEST

/* Hand-computed case: CO=2, CI=1, 2x2 output, 2x2 kernel, stride 1, on a 2x2 array
 * under X:Y (x on rows, y on cols), order co, ci, fx, fy, bandwidth 100.
 * Iterations: 1 tile x (2*1*2*2) = 8. W: one broadcast value per iteration, refilled
 * on every fy step: 8 reads. I: depends on ci, fx, fy (and x, y spatial): refilled
 * each iteration; distinct addresses = 4 PEs (x and y both spatial, no aliasing with
 * temporal fx): 8 x 4 = 32 reads. O: depends on co: 2 refills x 4 outputs = 8 reads
 * and 8 writes. */
START_TEST(hand_case_xy)
{
    df_nest n = df_nest_make("hand", 2, 1, 2, 2, 2, 2, 1, 1);
    df_mapping m = df_mapping_builtin(DF_XY);
    df_array arr = {2, 2, 100};
    df_counts c;
    em_error err = {0};
    ck_assert_int_eq(df_analyze(&n, &m, &arr, 1.0, &c, &err), 0);
    ck_assert_double_eq(c.iterations, 8);
    ck_assert_double_eq(c.buffer_reads[DF_W], 8);
    ck_assert_double_eq(c.buffer_reads[DF_I], 32);
    ck_assert_double_eq(c.buffer_reads[DF_O], 8);
    ck_assert_double_eq(c.buffer_writes[DF_O], 8);
    ck_assert_double_eq(c.utilization, 1.0);
    /* Bandwidth 4 words/cycle: iteration 0 needs 1+4+4 = 9 words (3 cycles: 2 stalls);
     * iteration 4 (co advances) also 9: 2 stalls; the other 6 need 1+4 = 5: 1 stall. */
    arr.buffer_words_per_cycle = 4;
    ck_assert_int_eq(df_analyze(&n, &m, &arr, 1.0, &c, &err), 0);
    ck_assert_double_eq(c.stalls, 2 + 2 + 6);
    ck_assert_double_eq(c.cycles, 18);
}
END_TEST

/* X:FX with stride 1: a 3-row x 2-col tile reads x+fx addresses 0..3 once each. */
START_TEST(hand_case_xfx_multicast)
{
    df_nest n = df_nest_make("row", 1, 1, 3, 1, 2, 1, 1, 1);
    df_mapping m = df_mapping_builtin(DF_XFX);
    df_array arr = {3, 2, 100};
    df_counts c;
    em_error err = {0};
    ck_assert_int_eq(df_analyze(&n, &m, &arr, 1.0, &c, &err), 0);
    ck_assert_double_eq(c.iterations, 1);
    ck_assert_double_eq(c.buffer_reads[DF_I], 4);  /* not 6 */
    ck_assert_double_eq(c.buffer_reads[DF_W], 2);  /* one per fx column, multicast down */
    ck_assert_double_eq(c.buffer_reads[DF_O], 3);  /* reduced across fx */
    n.stride = 2;                                  /* addresses 0,1,2,3,4,5: no sharing */
    ck_assert_int_eq(df_analyze(&n, &m, &arr, 1.0, &c, &err), 0);
    ck_assert_double_eq(c.buffer_reads[DF_I], 6);
}
END_TEST

START_TEST(mapping_parse)
{
    df_mapping m;
    em_error err = {0};
    ck_assert_int_eq(df_mapping_parse("CI:CO", &m, &err), 0);
    ck_assert_int_eq(m.kind, DF_CICO);
    ck_assert_int_eq(df_mapping_parse("x:fx/co,ci,fy,y", &m, &err), 0);
    ck_assert_int_eq(m.kind, DF_XFX);
    ck_assert_int_eq(df_mapping_parse("co:x", &m, &err), 0);
    ck_assert_int_eq(m.kind, DF_CUSTOM);
    ck_assert_str_eq(m.name, "co:x/ci,fx,fy,y");
    /* All 15 pairs parse. */
    const char *l[] = {"co", "ci", "x", "y", "fx", "fy"};
    int ok = 0;
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++) {
            char s[16];
            snprintf(s, sizeof s, "%s:%s", l[i], l[j]);
            ok += df_mapping_parse(s, &m, &err) == 0;
        }
    ck_assert_int_eq(ok, 15);
    ck_assert_int_ne(df_mapping_parse("x:x", &m, &err), 0);
    ck_assert_int_ne(df_mapping_parse("x:q", &m, &err), 0);
    ck_assert_int_ne(df_mapping_parse("x:y/co,ci,fx", &m, &err), 0);
    ck_assert_int_ne(df_mapping_parse("x:y/co,ci,fx,x", &m, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "once each"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dataflow");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, hand_case_xy);
    tcase_add_test(tc, hand_case_xfx_multicast);
    tcase_add_test(tc, mapping_parse);
    tcase_add_test(tc, dense_exact_all_mappings);
    tcase_add_test(tc, pruned_expectation_matches_simulation);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
