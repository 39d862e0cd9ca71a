/* tests/test_search_export.c: `emomc export` (search/export.h): a solution of a real
 * (small) LeNet-5 search written as ONNX and as .emw.
 *
 * Oracles:
 *   - final.csv: the exported model, run by emomc's importer on the final images,
 *     has the accuracy_final the search recorded for that row, exactly (the same
 *     images, the same weights); the knee is the one sp_selection_knee picks.
 *   - The quantizer: every exported weight of a q-bit layer lies on its grid (c *
 *     spacing, |c| <= 2^(q-1)-1, with the spacing recorded as emomc.scale.<layer>).
 *   - onnx.checker and a numpy interpreter of the graph (tests/fixtures/gen_onnx.py
 *     --check) accept the export and reproduce emomc's logits, when Debian's python3
 *     has onnx (else skipped, and said so).
 *   - An optimize config with an .onnx model and no weights: the reference row has
 *     the accuracy of the YAML model with the zoo .emw.
 *   - .emw with folded BNs (ResNet-20, random statistics, fold-then-quantize): the
 *     YAML model with the exported file, folded by emomc, executes exactly the
 *     exported weights (bit for bit) and gives the folded network's logits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "compress/plan.h"
#include "compress/prune.h"
#include "compress/quant.h"
#include "nn/dataset.h"
#include "nn/model.h"
#include "nn/net.h"
#include "nn/train.h"
#include "nn/weights.h"
#include "search/config.h"
#include "search/csv.h"
#include "search/export.h"
#include "search/report.h"
#include "search/run.h"
#include "tests/testutil.h"

static char run_dir[4096];

static void make_run(void)
{
    sp_config c;
    sp_config_default(&c);
    c.kind = SP_EMOMC_ENERGY;
    snprintf(c.model, sizeof c.model, "lenet5");
    snprintf(c.weights, sizeof c.weights, "%s", tu_root_path("models/lenet5-mnist.emw"));
    snprintf(c.library, sizeof c.library, "%s", tu_root_path("models/lenet5-mnist-library"));
    snprintf(c.hw, sizeof c.hw, "vu9p");
    snprintf(c.data, sizeof c.data, "%s", tu_root_path("data/mnist"));
    snprintf(c.store, sizeof c.store, "none");
    c.protocol = SP_PROTO_TEST; /* final accuracy on every test image of data/mnist */
    c.eval_images = 200;
    c.keep_lo = 0.2;
    c.keep_hi = 0.8;
    c.bits_lo = 2;
    c.bits_hi = 8;
    c.pop = 8;
    c.gens = 3;
    c.seed = 5;
    c.threads = 1;
    snprintf(run_dir, sizeof run_dir, "%s/run", tu_tmpdir());
    em_error err = {0};
    sp_run_opts o = {.out_dir = run_dir};
    ck_assert_msg(sp_run(&c, &o, &err) == 0, "%s", err.msg);
}

static double accuracy_on_test(nn_net *net)
{
    em_error err = {0};
    nn_dataset *ds = NULL;
    nn_split_opts so;
    nn_split_opts_default(&so);
    ck_assert_msg(nn_dataset_open(tu_root_path("data/mnist"), NULL, NN_SPLIT_TEST, &so, &ds, &err) == 0,
                  "%s", err.msg);
    nn_eval_result *r = malloc(sizeof *r);
    ck_assert_int_eq(nn_evaluate(net, ds, 256, 0, r, &err), 0);
    double a = r->accuracy;
    free(r);
    nn_dataset_free(ds);
    return a;
}

static void check_on_grid(const nn_arch *a, const nn_weights *w)
{
    for (int i = 0; i < a->n_layers; i++) {
        if (!nn_layer_is_compute(&a->layers[i])) continue;
        char key[128], name[128];
        snprintf(key, sizeof key, "emomc.bits.%s", a->layers[i].name);
        const char *b = nn_weights_meta(w, key);
        ck_assert_msg(b != NULL, "no %s", key);
        snprintf(key, sizeof key, "emomc.scale.%s", a->layers[i].name);
        const char *s = nn_weights_meta(w, key);
        ck_assert_msg(s != NULL, "no %s", key);
        int q = atoi(b);
        double sp = strtod(s, NULL);
        snprintf(name, sizeof name, "%s.weight", a->layers[i].name);
        const nn_wtensor *t = nn_weights_find(w, name);
        ck_assert(t != NULL);
        const float *v = t->data;
        if (q == 0) continue;
        const double L = ldexp(1, q - 1) - 1;
        for (int64_t k = 0; k < t->numel; k++) {
            double c = rint(v[k] / sp);
            ck_assert_msg(fabs(c) <= L && (float)(c * sp) == v[k],
                          "%s[%lld] = %.9g is not on the %d-bit grid of spacing %.9g", name,
                          (long long)k, v[k], q, sp);
        }
    }
}

/* The row of candidate `pick` in final.csv: its final accuracy. */
static double final_accuracy(int pick, int *knee)
{
    sp_config cfg;
    sp_config_default(&cfg);
    char path[4200];
    em_error err = {0};
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    ck_assert_int_eq(sp_config_load(path, &cfg, &err), 0);
    sp_final f;
    ck_assert_int_eq(sp_final_read(run_dir, &cfg, 5, &f, &err), 0);
    sp_selection s;
    ck_assert_int_eq(sp_selection_make(&f, sp_final_cost(&f, &cfg), &s, &err), 0);
    *knee = sp_selection_knee(&s);
    double a = f.acc_final[(f.has_reference ? 1 : 0) + (pick < 0 ? *knee : pick)];
    sp_selection_free(&s);
    sp_final_free(&f);
    return a;
}

START_TEST(test_export_onnx_matches_search)
{
    for (int pass = 0; pass < 2; pass++) {
        int pick = pass == 0 ? -1 : 0, knee;
        double want = final_accuracy(pick, &knee);
        char out[4200];
        snprintf(out, sizeof out, "%s/pick%d.onnx", tu_tmpdir(), pick);
        em_error err = {0};
        sp_export_opts o = {pick, SP_EXPORT_ONNX, out};
        sp_export_info info;
        ck_assert_msg(sp_export(run_dir, &o, &info, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(info.pick, pick < 0 ? knee : pick);
        ck_assert(info.accuracy_final == want);
        nn_arch *a = NULL;
        nn_weights *w = NULL;
        ck_assert_msg(nn_model_load(out, &a, &w, &err) == 0, "%s", err.msg);
        ck_assert_str_eq(a->name, "lenet5");
        char pk[16];
        snprintf(pk, sizeof pk, "%d", info.pick);
        ck_assert_str_eq(nn_weights_meta(w, "emomc.pick"), pk);
        ck_assert_str_eq(nn_weights_meta(w, "emomc.bn"), "fold-then-quantize");
        check_on_grid(a, w);
        nn_net *net = NULL;
        ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
        ck_assert_int_eq(nn_weights_apply(w, net, out, &err), 0);
        double got = accuracy_on_test(net);
        printf("export: candidate %d (%s): emomc on the exported ONNX %.4f%%, final.csv %.4f%%\n",
               info.pick, pick < 0 ? "knee" : "--pick", 100 * got, 100 * want);
        ck_assert_msg(fabs(got - want) < 1e-12, "accuracy %.6f vs final.csv %.6f", got, want);
        /* The .emw of the same solution, on the model YAML. */
        snprintf(out, sizeof out, "%s/pick%d.emw", tu_tmpdir(), pick);
        sp_export_opts oe = {pick, SP_EXPORT_EMW, out};
        ck_assert_msg(sp_export(run_dir, &oe, &info, &err) == 0, "%s", err.msg);
        nn_arch *ya = NULL;
        nn_net *yn = NULL;
        ck_assert_int_eq(nn_model_load("lenet5", &ya, NULL, &err), 0);
        ck_assert_int_eq(nn_net_new(ya, &yn, &err), 0);
        nn_weights *yw = NULL;
        ck_assert_msg(nn_weights_load_into(out, yn, &yw, &err) == 0, "%s", err.msg);
        check_on_grid(ya, yw);
        ck_assert_int_eq(nn_net_fold_bn(yn, NULL, &err), 0);
        ck_assert(fabs(accuracy_on_test(yn) - want) < 1e-12);
        nn_weights_free(yw);
        nn_net_free(yn);
        nn_arch_free(ya);
        nn_net_free(net);
        nn_weights_free(w);
        nn_arch_free(a);
    }
}
END_TEST

/* The exported ONNX passes onnx.checker and a numpy run of its graph gives emomc's
 * logits (within 1e-4 of the largest). */
START_TEST(test_export_onnx_checker_numpy)
{
    if (system("/usr/bin/python3 -c 'import onnx, numpy' >/dev/null 2>&1") != 0) {
        printf("SKIPPED: no /usr/bin/python3 with onnx: the checker and numpy reference\n");
        return;
    }
    char out[4200], io[4200], cmd[13000];
    snprintf(out, sizeof out, "%s/knee.onnx", tu_tmpdir());
    snprintf(io, sizeof io, "%s/knee.io", tu_tmpdir());
    em_error err = {0};
    sp_export_opts o = {-1, SP_EXPORT_ONNX, out};
    ck_assert_msg(sp_export(run_dir, &o, NULL, &err) == 0, "%s", err.msg);
    nn_arch *a = NULL;
    nn_weights *w = NULL;
    nn_net *net = NULL;
    ck_assert_int_eq(nn_model_load(out, &a, &w, &err), 0);
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    ck_assert_int_eq(nn_weights_apply(w, net, out, &err), 0);
    const int n = 3, isz = 32 * 32;
    float x[3 * 32 * 32], y[30];
    em_rng r;
    em_rng_seed(&r, 9);
    for (int i = 0; i < n * isz; i++) x[i] = (float)em_rng_uniform(&r);
    ck_assert_int_eq(nn_net_forward(net, x, n, y, false, &err), 0);
    FILE *f = fopen(io, "wb");
    int32_t hd[5] = {n, 1, 32, 32, 10};
    fwrite(hd, 4, 5, f);
    fwrite(x, 4, (size_t)(n * isz), f);
    fwrite(y, 4, 30, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --check '%s' --io '%s'",
             tu_path("fixtures/gen_onnx.py"), out, io);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
    nn_net_free(net);
    nn_weights_free(w);
    nn_arch_free(a);
}
END_TEST

START_TEST(test_emw_folded_passthrough)
{
    em_error err = {0};
    nn_arch *a = NULL;
    nn_net *net = NULL, *back = NULL;
    ck_assert_int_eq(nn_model_load("resnet20", &a, NULL, &err), 0);
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_net_set_threads(net, 1);
    nn_net_init(net, 4);
    em_rng r;
    em_rng_seed(&r, 8);
    for (int i = 0; i < nn_net_param_count(net); i++) {
        nn_param *p = nn_net_param(net, i);
        if (a->layers[p->layer].kind != NN_L_BN) continue;
        bool var = strstr(p->name, "running_var") != NULL;
        for (int64_t k = 0; k < p->numel; k++)
            p->data[k] = var ? 0.3f + (float)em_rng_uniform(&r)
                             : 0.5f * (float)em_rng_uniform(&r) + (strstr(p->name, ".weight") ? 0.5f : -0.25f);
    }
    int L = nn_arch_compute_layer_count(a);
    int bits[64];
    for (int i = 0; i < L; i++) bits[i] = 2 + i % 7;
    ck_assert_int_eq(cp_quantize_net(net, bits, CP_BN_FOLD_THEN_QUANTIZE, &err), 0);
    ck_assert(nn_net_is_folded(net));
    char out[4200];
    snprintf(out, sizeof out, "%s/folded.emw", tu_tmpdir());
    ck_assert_msg(sp_export_net_emw(net, NULL, out, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(nn_net_new(a, &back, &err), 0);
    nn_net_set_threads(back, 1);
    ck_assert_int_eq(nn_weights_load_into(out, back, NULL, &err), 0);
    int folded = 0;
    ck_assert_int_eq(nn_net_fold_bn(back, &folded, &err), 0);
    ck_assert_int_eq(folded, 21);
    for (int i = 0; i < a->n_layers; i++) {
        if (a->layers[i].kind != NN_L_CONV) continue;
        nn_param *p = cp_layer_param(net, i, false), *q = cp_layer_param(back, i, false);
        ck_assert_msg(!memcmp(p->data, q->data, sizeof(float) * (size_t)p->numel),
                      "conv %s: re-folded weights differ", a->layers[i].name);
        const float *s0 = nn_net_conv_shift(net, i), *s1 = nn_net_conv_shift(back, i);
        ck_assert(s0 && s1 && !memcmp(s0, s1, sizeof(float) * (size_t)a->layers[i].out_channels));
    }
    float x[2 * 3 * 32 * 32], y0[20], y1[20];
    for (int i = 0; i < 2 * 3 * 32 * 32; i++) x[i] = (float)em_rng_uniform(&r) - 0.5f;
    ck_assert_int_eq(nn_net_forward(net, x, 2, y0, false, &err), 0);
    ck_assert_int_eq(nn_net_forward(back, x, 2, y1, false, &err), 0);
    ck_assert(!memcmp(y0, y1, sizeof y0));
    nn_net_free(back);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

START_TEST(test_cli_export)
{
    char args[9000], *out = NULL, f[4200];
    snprintf(f, sizeof f, "%s/cli.onnx", tu_tmpdir());
    snprintf(args, sizeof args, "export '%s' --pick knee --out '%s'", run_dir, f);
    ck_assert_int_eq(tu_run_emomc(args, &out), 0);
    ck_assert_msg(strstr(out, "(the knee)") && strstr(out, "onnx"), "%s", out);
    free(out);
    ck_assert(tu_file_exists(f));
    snprintf(args, sizeof args, "export '%s' --pick 999 --out '%s'", run_dir, f);
    ck_assert_int_eq(tu_run_emomc(args, &out), 1);
    ck_assert_msg(strstr(out, "999") != NULL, "%s", out);
    free(out);
    snprintf(args, sizeof args, "export '%s' --format tflite --out '%s'", run_dir, f);
    ck_assert_int_eq(tu_run_emomc(args, &out), 2);
    free(out);
    /* eval of the export needs no --weights. */
    snprintf(args, sizeof args, "eval --model '%s' --data '%s' --limit 100 --quiet", f,
             tu_root_path("data/mnist"));
    ck_assert_int_eq(tu_run_emomc(args, &out), 0);
    free(out);
}
END_TEST

/* An optimize config whose model is an .onnx file and names no weights: the ONNX's
 * own weights are the trained model (the reference row is the YAML + .emw's). */
START_TEST(test_search_onnx_model)
{
    sp_config c[2];
    double acc[2];
    for (int k = 0; k < 2; k++) {
        sp_config_default(&c[k]);
        c[k].kind = SP_SBO;
        if (k == 0) {
            snprintf(c[k].model, sizeof c[k].model, "%s", tu_path("fixtures/onnx/lenet5.onnx"));
        } else {
            snprintf(c[k].model, sizeof c[k].model, "lenet5");
            snprintf(c[k].weights, sizeof c[k].weights, "%s", tu_root_path("models/lenet5-mnist.emw"));
        }
        snprintf(c[k].data, sizeof c[k].data, "%s", tu_root_path("data/mnist"));
        snprintf(c[k].store, sizeof c[k].store, "none");
        snprintf(c[k].algorithm, sizeof c[k].algorithm, "random");
        c[k].protocol = SP_PROTO_TEST_HALVES;
        c[k].eval_images = 200;
        c[k].tau = 0.5;
        c[k].pop = 4;
        c[k].gens = 1;
        c[k].threads = 1;
        em_error err = {0};
        ck_assert_msg(sp_config_validate(&c[k], &err) == 0, "%s", err.msg);
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/sbo%d", tu_tmpdir(), k);
        sp_run_opts o = {.out_dir = dir};
        ck_assert_msg(sp_run(&c[k], &o, &err) == 0, "%s", err.msg);
        sp_final f;
        ck_assert_int_eq(sp_final_read(dir, &c[k], 5, &f, &err), 0);
        ck_assert(f.has_reference);
        acc[k] = f.acc_final[0];
        sp_final_free(&f);
    }
    ck_assert(acc[0] == acc[1]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("search_export");
    TCase *t = tcase_create("export");
    tcase_set_timeout(t, 600);
    tcase_add_unchecked_fixture(t, make_run, NULL); /* one search, shared by the tests */
    tcase_add_test(t, test_export_onnx_matches_search);
    tcase_add_test(t, test_export_onnx_checker_numpy);
    tcase_add_test(t, test_emw_folded_passthrough);
    tcase_add_test(t, test_cli_export);
    tcase_add_test(t, test_search_onnx_model);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
