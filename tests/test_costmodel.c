/* tests/test_costmodel.c: the emomc2021 reference model against the hand-computed
 * oracles of DESIGN.md section 10, the fpga energy formula on a hand case, and the
 * network estimate's memory-fit and plan handling. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dataflow/analytic.h"
#include "sim/estimator.h"
#include <stdlib.h>
#include "tests/testutil.h"

/* CI=2, CO=4, 3x3 kernel, 4x4 output: 1152 MACs, 72 weights. */
static df_nest hand_layer(void) { return df_nest_make("hand", 4, 2, 4, 4, 3, 3, 1, 1); }

START_TEST(emomc2021_hand_energies)
{
    const double dense[DF_NBUILTIN] = {1954.284, 2415.744, 2076.076, 1906.224};
    const double half[DF_NBUILTIN] = {1006.188, 1704.672, 1127.68625, 1286.112};
    hw_emomc2021 k = sim_emomc2021_constants();
    df_nest n = hand_layer();
    em_error err = {0};
    for (int d = 0; d < DF_NBUILTIN; d++) {
        sim_emomc_layer o;
        ck_assert_int_eq(sim_emomc2021_layer(&n, (df_dataflow)d, 1.0, 8, &k, &o, &err), 0);
        ck_assert_double_eq(o.macs, 1152);
        ck_assert_close(o.energy, dense[d], 1e-12, 1e-9);
        ck_assert_int_eq(sim_emomc2021_layer(&n, (df_dataflow)d, 0.5, 8, &k, &o, &err), 0);
        ck_assert_close(o.energy, half[d], 1e-12, 1e-9);
    }
    /* q is rounded with rint: 7.6 bits behave as 8. */
    sim_emomc_layer a, b;
    sim_emomc2021_layer(&n, DF_XY, 1.0, 7.6, &k, &a, &err);
    sim_emomc2021_layer(&n, DF_XY, 1.0, 8, &k, &b, &err);
    ck_assert_double_eq(a.energy, b.energy);
    ck_assert_int_ne(sim_emomc2021_layer(&n, DF_CUSTOM, 1.0, 8, &k, &a, &err), 0);
    ck_assert_int_ne(sim_emomc2021_layer(&n, DF_XY, 1.5, 8, &k, &a, &err), 0);
}
END_TEST

/* Linear layer: accesses in*out, in*out, out, 0 under every dataflow; ifmap skip p. */
START_TEST(emomc2021_linear)
{
    hw_emomc2021 k = sim_emomc2021_constants();
    df_nest n = df_nest_make("fc", 10, 84, 1, 1, 1, 1, 1, 1);
    em_error err = {0};
    /* 840 MACs at p = 0.5, q = 4: 0.102*840*0.5*5 + 0.728*840*5/16 + 0.728*840*0.5
     * + 0.447*10 = 214.2 + 191.1 + 305.76 + 4.47 = 715.53 */
    for (int d = 0; d < DF_NBUILTIN; d++) {
        sim_emomc_layer o;
        ck_assert_int_eq(sim_emomc2021_layer(&n, (df_dataflow)d, 0.5, 4, &k, &o, &err), 0);
        ck_assert_close(o.energy, 715.53, 1e-12, 1e-9);
    }
}
END_TEST

START_TEST(lut_multiplier)
{
    ck_assert_int_eq(sim_mult_luts(8, 8), 36);
    ck_assert_int_eq(sim_mult_luts(23, 23), 288); /* ceil(23/2) * 24 */
    ck_assert_int_eq(sim_mult_luts(10, 8), 45);
    ck_assert_int_eq(sim_mult_luts(1, 1), 2);
    ck_assert_int_eq(sim_pe_luts(8, 4, 16), 36);
}
END_TEST

static hw_target toy_fpga(void)
{
    hw_target hw;
    memset(&hw, 0, sizeof hw);
    snprintf(hw.name, sizeof hw.name, "toy");
    hw.cost_model = HW_COST_FPGA;
    hw.device.luts = 100000;
    hw.clock_mhz = 100;
    hw.pe_rows = 2;
    hw.pe_cols = 2;
    hw.act_bits = 8;
    hw.acc_bits = 16;
    hw.energy = (hw_energy){.lut_op = 0.01, .register_per_bit = 0.001, .buffer_read_per_bit = 0.01,
                            .buffer_write_per_bit = 0.02, .dram_per_bit = 1.0};
    hw.buffer_words_per_cycle = 100;
    hw.dram_gbytes_per_s = 1;
    hw.static_power_w = 0;
    hw.onchip_bits = 1 << 30;
    return hw;
}

/* The hand case of test_dataflow (CO=2, CI=1, 2x2 out, 2x2 kernel, X:Y on 2x2):
 * 32 MACs; buffer reads W 8, I 32, O 8; writes O 8. With q = 4, M = 8, acc 16:
 * PE = ceil(8/2)*(4+1) + 16 = 36 LUTs -> MAC 32*36*0.01 = 11.52 pJ;
 * registers (32*4 + 32*8 + 64*16) * 0.001 = 1.408 pJ;
 * buffer (8*4 + 32*8 + 8*16) * 0.01 + 8*16*0.02 = 6.72 pJ. */
START_TEST(fpga_energy_hand_case)
{
    hw_target hw = toy_fpga();
    df_nest n = df_nest_make("hand", 2, 1, 2, 2, 2, 2, 1, 1);
    df_mapping m = df_mapping_builtin(DF_XY);
    df_array arr = {2, 2, 100};
    df_counts c;
    em_error err = {0};
    ck_assert_int_eq(df_analyze(&n, &m, &arr, 1.0, &c, &err), 0);
    sim_fpga_energy e = sim_fpga_layer_energy(&hw, &c, 4, 0, 1e-6);
    ck_assert_close(e.mac, 11.52, 1e-12, 1e-12);
    ck_assert_close(e.reg, 1.408, 1e-12, 1e-12);
    ck_assert_close(e.buffer, 6.72, 1e-12, 1e-12);
    ck_assert_close(e.total, 19.648, 1e-12, 1e-12);
    hw.static_power_w = 2; /* 2 W for 1 us = 2e-6 J = 2e6 pJ */
    e = sim_fpga_layer_energy(&hw, &c, 4, 3, 1e-6);
    ck_assert_close(e.stat, 2e6, 1e-12, 0);
    ck_assert_close(e.dram, 3, 1e-12, 0);
}
END_TEST

static nn_arch *lenet(void)
{
    char path[4096];
    em_error err = {0};
    nn_arch *a = NULL;
    ck_assert_int_eq(nn_arch_resolve("lenet5", path, sizeof path, &err), 0);
    ck_assert_int_eq(nn_arch_load(path, &a, &err), 0);
    return a;
}

/* emomc2021 network totals equal the sum of the per-layer formulas; size in bits
 * follows the published coding formulas. */
START_TEST(estimate_emomc2021_network)
{
    nn_arch *a = lenet();
    hw_target hw;
    memset(&hw, 0, sizeof hw);
    hw.cost_model = HW_COST_EMOMC2021;
    hw.emomc = sim_emomc2021_constants();
    hw.act_bits = 16;
    sim_options opt = {df_mapping_builtin(DF_XY), CODING_NORMAL, 3};
    sim_report r;
    em_error err = {0};
    ck_assert_msg(sim_estimate(a, &hw, &opt, NULL, 16, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.n_layers, 5);
    double sum = 0;
    for (int i = 0; i < r.n_layers; i++) {
        sim_emomc_layer o;
        sim_emomc2021_layer(&r.layers[i].nest, DF_XY, 1.0, 16, &hw.emomc, &o, &err);
        sum += 10 * o.energy;
    }
    ck_assert_close(r.energy_pj, sum, 1e-12, 0);
    ck_assert_double_eq(r.size_bits, 61470.0 * 16); /* 150+2400+48000+10080+840 weights */
    sim_report_free(&r);

    /* The compiled network gives the same totals for any plan and dataflow. */
    sim_emomc_net *net = NULL;
    ck_assert_int_eq(sim_emomc2021_compile(a, &hw.emomc, &net, &err), 0);
    const double keep5[5] = {0.9, 0.5, 0.25, 0.1, 1.0}, bits5[5] = {8, 6, 4.4, 3, 12};
    em_layer_stats pl5[5];
    for (int i = 0; i < 5; i++) pl5[i] = em_layer_stats_what_if(keep5[i], (int)rint(bits5[i]));
    for (int d = 0; d < DF_NBUILTIN; d++) {
        sim_options o2 = {df_mapping_builtin((df_dataflow)d), CODING_NORMAL, 3};
        ck_assert_int_eq(sim_estimate(a, &hw, &o2, pl5, 16, &r, &err), 0);
        ck_assert_close(10 * sim_emomc2021_net_energy(net, (df_dataflow)d, keep5, bits5),
                        r.energy_pj, 1e-12, 0);
        sim_report_free(&r);
    }
    sim_emomc2021_net_free(net);

    /* A plan: real non-zero counts set keep per layer. */
    em_layer_stats plan[5];
    for (int i = 0; i < 5; i++) plan[i] = em_layer_stats_what_if(1.0, 8);
    plan[2].nnz = 12000; /* conv3: 48000 weights -> keep 0.25 */
    opt.coding = CODING_CSR;
    ck_assert_int_eq(sim_estimate(a, &hw, &opt, plan, 16, &r, &err), 0);
    ck_assert_double_eq(r.layers[2].keep, 0.25);
    ck_assert_double_eq(r.layers[2].size_bits, 48000 * 11 * 0.25);
    sim_report_free(&r);

    plan[2].nnz = 48001;
    ck_assert_int_ne(sim_estimate(a, &hw, &opt, plan, 16, &r, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "conv3"));
    plan[2] = em_layer_stats_what_if(1.0, 40);
    ck_assert_int_ne(sim_estimate(a, &hw, &opt, plan, 16, &r, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "bit depth"));
    nn_arch_free(a);
}
END_TEST

/* fpga model: a tiny on-chip memory forces the DRAM fallback, which adds DRAM
 * energy and traffic; pruning lowers energy; totals are sums of layers. */
START_TEST(estimate_fpga_memory_fit)
{
    nn_arch *a = lenet();
    hw_target hw = toy_fpga();
    sim_options opt = {df_mapping_builtin(DF_CICO), CODING_NORMAL, 3};
    sim_report big, small, pruned;
    em_error err = {0};
    ck_assert_msg(sim_estimate(a, &hw, &opt, NULL, 8, &big, &err) == 0, "%s", err.msg);
    ck_assert(big.weights_onchip && big.fmaps_onchip);
    /* Only the network input and output move through DRAM. */
    ck_assert_double_eq(big.dram_bits, (1024.0 + 10.0) * 8);
    hw.onchip_bits = 100000; /* weights 61470*8 bits do not fit */
    ck_assert_int_eq(sim_estimate(a, &hw, &opt, NULL, 8, &small, &err), 0);
    ck_assert(!small.weights_onchip && small.fmaps_onchip);
    ck_assert_double_eq(small.dram_bits, (1024.0 + 10.0 + 61470.0) * 8);
    ck_assert(small.energy_pj > big.energy_pj);
    em_layer_stats plan[5];
    for (int i = 0; i < 5; i++) plan[i] = em_layer_stats_what_if(0.3, 8);
    hw.onchip_bits = 1 << 30;
    ck_assert_int_eq(sim_estimate(a, &hw, &opt, plan, 8, &pruned, &err), 0);
    ck_assert(pruned.energy_pj < big.energy_pj);
    double e = 0, cyc = 0;
    for (int i = 0; i < pruned.n_layers; i++) {
        e += pruned.layers[i].energy_pj;
        cyc += pruned.layers[i].cycles;
    }
    ck_assert_close(pruned.energy_pj, e, 1e-12, 0);
    ck_assert_close(pruned.cycles, cyc, 1e-12, 0);
    ck_assert_int_eq(big.array_luts, 4 * sim_pe_luts(8, 8, 16));
    sim_report_free(&big);
    sim_report_free(&small);
    sim_report_free(&pruned);
    nn_arch_free(a);
}
END_TEST

/* The prepared estimator gives what sim_estimate gives, on its fast path (emomc2021,
 * built-in dataflows) and off it (fpga, a custom mapping), for random plans. */
START_TEST(estimator_equals_estimate)
{
    const char *models[] = {"lenet5", "resnet20"}, *targets[] = {"emomc2021", "vu9p"};
    em_error err = {0};
    uint64_t state = 12345;
    for (int m = 0; m < 2; m++)
        for (int t = 0; t < 2; t++) {
            char path[4096];
            nn_arch *a = NULL;
            hw_target hw;
            ck_assert_int_eq(nn_arch_resolve(models[m], path, sizeof path, &err), 0);
            ck_assert_int_eq(nn_arch_load(path, &a, &err), 0);
            ck_assert_int_eq(hw_resolve(targets[t], path, sizeof path, &err), 0);
            ck_assert_int_eq(hw_load(path, &hw, &err), 0);
            sim_estimator *e = NULL;
            ck_assert_int_eq(sim_estimator_new(a, &hw, &e, &err), 0);
            int n = nn_arch_compute_layer_count(a);
            em_layer_stats *plan = calloc((size_t)n, sizeof *plan);
            for (int trial = 0; trial < 3; trial++) {
                for (int i = 0; i < n; i++) {
                    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                    plan[i].keep = 0.05 + 0.95 * (double)(state >> 11) / 9007199254740992.0;
                    plan[i].bits = 1 + (int)(state % 16);
                    plan[i].nnz = -1;
                }
                for (int d = 0; d <= DF_NBUILTIN; d++)
                    for (int k = 0; k < CODING_KIND_COUNT; k++) {
                        df_mapping map = df_mapping_builtin(DF_XY);
                        if (d < DF_NBUILTIN) map = df_mapping_builtin((df_dataflow)d);
                        else if (hw.cost_model == HW_COST_EMOMC2021) continue;
                        else ck_assert_int_eq(df_mapping_parse("co:x", &map, &err), 0);
                        double en = 0, sz = 0;
                        ck_assert_int_eq(sim_estimator_cost(e, plan, &map, (coding_kind)k, &en, &sz, &err), 0);
                        sim_options o = {map, (coding_kind)k, CODING_CSR_IDX_BITS_DEFAULT};
                        sim_report r;
                        ck_assert_int_eq(sim_estimate(a, &hw, &o, plan, 0, &r, &err), 0);
                        ck_assert_double_eq_tol(en, r.energy_pj * 1e-9, 1e-12 * en);
                        ck_assert_double_eq_tol(sz, r.size_bits / 8192.0, 1e-12 * sz);
                        sim_report_free(&r);
                    }
            }
            free(plan);
            sim_estimator_free(e);
            nn_arch_free(a);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("costmodel");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, emomc2021_hand_energies);
    tcase_add_test(tc, estimator_equals_estimate);
    tcase_add_test(tc, emomc2021_linear);
    tcase_add_test(tc, lut_multiplier);
    tcase_add_test(tc, fpga_energy_hand_case);
    tcase_add_test(tc, estimate_emomc2021_network);
    tcase_add_test(tc, estimate_fpga_memory_fit);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
