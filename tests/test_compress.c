/* tests/test_compress.c: pruning, quantization and compression plans.
 *
 * Oracles: hand-computed masks and codes (exact counts with rint, ties, existing
 * masks, global vs per-layer rankings, biases), hand-computed quantizer outputs at
 * q = 1, 2, 3, 8 and 23, invariants that hold for every input (max|w| maps to
 * itself, requantization is the identity, error <= spacing/2), a brute-force
 * sort-based L1 ranking on random tensors, direct non-zero counts for plan
 * statistics, and a training step for masks. BN networks (a tiny conv+bn net and
 * ResNet-20, random and zoo weights): after a plan, every executed weight lies on
 * its layer's q-bit grid (checked here without the quantizer) and pruned weights
 * are 0; the old order (quantize-then-fold) leaves folded weights off the grid; no-BN
 * nets are identical in both orders. PyTorch fixtures are in test_compress_torch.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coding/coding.h"
#include "common/rng.h"
#include "compress/plan.h"
#include "compress/prune.h"
#include "compress/quant.h"
#include "spec/arch.h"
#include "nn/dataset.h"
#include "nn/net.h"
#include "nn/train.h"
#include "nn/weights.h"
#include "tests/testutil.h"

static float *masks_for(const float *w, const float *old, int64_t n, double keep, int64_t *kept)
{
    float *m = malloc(sizeof *m * (size_t)n);
    cp_tensor_ref t = {"t", w, old, n, m};
    em_error err = {0};
    int rc = cp_l1_masks(&t, 1, keep, kept, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return m;
}

static void assert_mask(const float *m, const float *want, int n)
{
    for (int i = 0; i < n; i++) ck_assert_msg(m[i] == want[i], "mask[%d] = %g, want %g", i, m[i], want[i]);
}

static double sumf(const float *m, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += m[i];
    return s;
}

/* ---- pruning ------------------------------------------------------------------- */

START_TEST(l1_hand_case)
{
    const float w[6] = {0.5f, -3, 2, -0.1f, 4, 1};
    int64_t kept;
    float *m = masks_for(w, NULL, 6, 0.5, &kept);
    const float want[6] = {0, 1, 1, 0, 1, 0}; /* |w| largest three: 4, -3, 2 */
    ck_assert_int_eq(kept, 3);
    assert_mask(m, want, 6);
    free(m);
    m = masks_for(w, NULL, 6, 0.0, &kept);
    ck_assert_int_eq(kept, 0);
    ck_assert(sumf(m, 6) == 0);
    free(m);
    m = masks_for(w, NULL, 6, 1.0, &kept);
    ck_assert(sumf(m, 6) == 6);
    free(m);
}
END_TEST

START_TEST(keep_count_is_rint)
{
    /* rint rounds half to even: 2.5 -> 2, 3.5 -> 4. */
    ck_assert_int_eq(cp_keep_count(0.25, 10), 2);
    ck_assert_int_eq(cp_keep_count(0.35, 10), 4);
    ck_assert_int_eq(cp_keep_count(0.5, 7), 4);
    ck_assert_int_eq(cp_keep_count(0.5, 5), 2);
    ck_assert_int_eq(cp_keep_count(0.3, 10), 3);  /* 0.3*10 = 3.0000000000000004 */
    ck_assert_int_eq(cp_keep_count(0.7, 10), 7);
    ck_assert_int_eq(cp_keep_count(1.0, 150), 150);
    /* Every count on a grid: the mask holds exactly rint(keep*n) ones. */
    em_rng r;
    em_rng_seed(&r, 3);
    for (int n = 1; n <= 40; n++) {
        float *w = malloc(sizeof *w * (size_t)n);
        for (int i = 0; i < n; i++) w[i] = (float)em_rng_normal(&r);
        for (int g = 0; g <= 20; g++) {
            double keep = g / 20.0;
            int64_t kept;
            float *m = masks_for(w, NULL, n, keep, &kept);
            ck_assert_int_eq(kept, (int64_t)rint(keep * n));
            ck_assert_int_eq((int64_t)sumf(m, n), kept);
            free(m);
        }
        free(w);
    }
}
END_TEST

START_TEST(l1_ties_lowest_index_kept)
{
    const float w[6] = {1, 1, 1, 1, -1, 2};
    float *m = masks_for(w, NULL, 6, 0.5, NULL);
    const float want[6] = {1, 1, 0, 0, 0, 1};
    assert_mask(m, want, 6);
    free(m);
    /* Zeros tie too: the first ones are kept. */
    const float z[5] = {0, 0, 0, 0, 0};
    m = masks_for(z, NULL, 5, 0.4, NULL);
    const float wz[5] = {1, 1, 0, 0, 0};
    assert_mask(m, wz, 5);
    free(m);
}
END_TEST

START_TEST(l1_existing_mask_stays_pruned)
{
    /* Index 0 is masked out; index 1 is an unmasked weight that happens to be 0.
     * Without the rule the tie at 0 would keep index 0. */
    const float w[4] = {0, 0, 2, 0.5f};
    const float old[4] = {0, 1, 1, 1};
    float *m = masks_for(w, old, 4, 0.75, NULL);
    const float want[4] = {0, 1, 1, 1};
    assert_mask(m, want, 4);
    free(m);
}
END_TEST

static int cmp_desc(const void *a, const void *b)
{
    const double *x = a, *y = b; /* {key, index} */
    if (x[0] != y[0]) return x[0] > y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

START_TEST(l1_matches_sort_reference)
{
    /* Brute force: sort (|w| desc, index asc), keep the first k. Values drawn from a
     * small set so that ties are frequent; some entries masked out already. */
    em_rng r;
    em_rng_seed(&r, 11);
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + (int)em_rng_below(&r, 300);
        float *w = malloc(sizeof *w * (size_t)n), *old = malloc(sizeof *old * (size_t)n);
        double *ref = malloc(sizeof *ref * 2 * (size_t)n);
        for (int i = 0; i < n; i++) {
            w[i] = (float)((int)em_rng_below(&r, 9) - 4) * 0.25f;
            old[i] = em_rng_uniform(&r) < 0.2 ? 0.0f : 1.0f;
            if (old[i] == 0) w[i] = 0;
            ref[2 * i] = old[i] == 0 ? -1.0 : fabs(w[i]);
            ref[2 * i + 1] = i;
        }
        double keep = em_rng_uniform(&r);
        float *m = masks_for(w, trial % 2 ? old : NULL, n, keep, NULL);
        if (trial % 2 == 0)
            for (int i = 0; i < n; i++) ref[2 * i] = fabs(w[i]);
        qsort(ref, (size_t)n, 2 * sizeof *ref, cmp_desc);
        int64_t k = cp_keep_count(keep, n);
        float *want = calloc((size_t)n, sizeof *want);
        for (int64_t j = 0; j < k; j++) want[(int)ref[2 * j + 1]] = 1;
        assert_mask(m, want, n);
        free(w), free(old), free(ref), free(m), free(want);
    }
}
END_TEST

START_TEST(global_vs_per_layer)
{
    const float a[4] = {0.1f, 0.2f, 0.3f, 0.4f}, b[4] = {10, 20, 30, 40};
    float ma[4], mb[4];
    cp_tensor_ref t[2] = {{"a", a, NULL, 4, ma}, {"b", b, NULL, 4, mb}};
    em_error err = {0};
    int64_t kept;
    ck_assert_int_eq(cp_l1_masks(t, 2, 0.5, &kept, &err), 0);
    ck_assert_int_eq(kept, 4);
    const float none[4] = {0, 0, 0, 0}, all[4] = {1, 1, 1, 1};
    assert_mask(ma, none, 4);
    assert_mask(mb, all, 4);
    /* Per layer: each keeps its own top two. */
    ck_assert_int_eq(cp_l1_masks(&t[0], 1, 0.5, NULL, &err), 0);
    ck_assert_int_eq(cp_l1_masks(&t[1], 1, 0.5, NULL, &err), 0);
    const float top2[4] = {0, 0, 1, 1};
    assert_mask(ma, top2, 4);
    assert_mask(mb, top2, 4);
    /* A tie across tensors: the earlier tensor wins. */
    const float c[2] = {1, 1}, d[2] = {-1, 1};
    float mc[2], md[2];
    cp_tensor_ref u[2] = {{"c", c, NULL, 2, mc}, {"d", d, NULL, 2, md}};
    ck_assert_int_eq(cp_l1_masks(u, 2, 0.5, NULL, &err), 0);
    ck_assert(mc[0] == 1 && mc[1] == 1 && md[0] == 0 && md[1] == 0);
}
END_TEST

START_TEST(random_mask_counts_and_uniformity)
{
    const int n = 10;
    float w[10], m[10], m2[10];
    for (int i = 0; i < n; i++) w[i] = (float)(i + 1);
    cp_tensor_ref t = {"w", w, NULL, n, m};
    em_error err = {0};
    double freq[10] = {0};
    const int trials = 4000;
    for (int s = 0; s < trials; s++) {
        int64_t kept;
        ck_assert_int_eq(cp_random_mask(&t, 0.3, (uint64_t)s, &kept, &err), 0);
        ck_assert_int_eq(kept, 3);
        ck_assert(sumf(m, n) == 3);
        for (int i = 0; i < n; i++) freq[i] += m[i];
    }
    /* Each entry is kept with probability 0.3: binomial sd = sqrt(.3*.7/4000) = 0.0072. */
    for (int i = 0; i < n; i++) ck_assert_close(freq[i] / trials, 0.3, 0, 0.04);
    /* Same seed, same mask. */
    cp_random_mask(&t, 0.3, 77, NULL, &err);
    memcpy(m2, m, sizeof m);
    cp_random_mask(&t, 0.3, 77, NULL, &err);
    ck_assert_mem_eq(m, m2, sizeof m);
    /* An existing mask: the kept entries come from what was kept. */
    const float old[10] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
    cp_tensor_ref t2 = {"w", w, old, n, m};
    for (int s = 0; s < 50; s++) {
        ck_assert_int_eq(cp_random_mask(&t2, 0.3, (uint64_t)s, NULL, &err), 0);
        ck_assert(sumf(m, n) == 3);
        for (int i = 0; i < n; i++) ck_assert(!(m[i] == 1 && old[i] == 0));
    }
}
END_TEST

START_TEST(prune_bad_input)
{
    float w[3] = {1, 2, 3}, m[3];
    cp_tensor_ref t = {"layer.weight", w, NULL, 3, m};
    em_error err = {0};
    ck_assert_int_eq(cp_l1_masks(&t, 1, 1.5, NULL, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "1.5"));
    ck_assert_int_eq(cp_l1_masks(&t, 1, -0.1, NULL, &err), EM_EINVAL);
    ck_assert_int_eq(cp_l1_masks(&t, 1, NAN, NULL, &err), EM_EINVAL);
    w[1] = NAN;
    ck_assert_int_eq(cp_l1_masks(&t, 1, 0.5, NULL, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "layer.weight"));
    ck_assert_int_eq(cp_random_mask(&t, 0.5, 1, NULL, &err), EM_EINVAL);
}
END_TEST

/* ---- networks ---------------------------------------------------------------------- */

static const char *TINY_YAML =
    "name: tiny\n"
    "input: [1, 8, 8]\n"
    "classes: 4\n"
    "layers:\n"
    "  - {name: conv1, type: conv, out: 3, kernel: 3}\n"
    "  - {name: relu1, type: relu}\n"
    "  - {name: pool1, type: maxpool, kernel: 2, stride: 2}\n"
    "  - {name: flatten, type: flatten}\n"
    "  - {name: fc1, type: linear, out: 6}\n"
    "  - {name: relu2, type: relu}\n"
    "  - {name: fc2, type: linear, out: 4}\n";

static nn_net *tiny_net(uint64_t seed)
{
    nn_arch *a = NULL;
    em_error err = {0};
    ck_assert_msg(nn_arch_parse(TINY_YAML, "tiny.yaml", &a, &err) == 0, "%s", err.msg);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_arch_free(a);
    nn_net_init(net, seed);
    nn_net_set_threads(net, 1);
    return net;
}

static nn_net *lenet(uint64_t seed)
{
    char path[4096];
    em_error err = {0};
    nn_arch *a = NULL;
    ck_assert_int_eq(nn_arch_resolve("lenet5", path, sizeof path, &err), 0);
    ck_assert_int_eq(nn_arch_load(path, &a, &err), 0);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_arch_free(a);
    nn_net_init(net, seed);
    return net;
}

START_TEST(prune_layer_weights_biases_both)
{
    nn_net *net = tiny_net(1);
    em_error err = {0};
    const nn_arch *a = nn_net_arch(net);
    int fc1 = nn_arch_find(a, "fc1");
    nn_param *w = nn_net_find_param(net, "fc1.weight"), *b = nn_net_find_param(net, "fc1.bias");
    /* fc1: 27 inputs x 6 outputs = 162 weights, 6 biases. */
    ck_assert_int_eq(w->numel, 162);
    ck_assert_int_eq(cp_prune_layer(net, fc1, CP_PRUNE_L1, CP_TARGET_BIASES, 0.5, 0, &err), 0);
    ck_assert_ptr_null(w->mask);
    ck_assert_ptr_nonnull(b->mask);
    ck_assert_int_eq((int)sumf(b->mask, 6), 3);
    ck_assert_int_eq(cp_count_nonzero(b->data, 6), 3);
    ck_assert_int_eq(cp_prune_layer(net, fc1, CP_PRUNE_L1, CP_TARGET_BOTH, 0.25, 0, &err), 0);
    ck_assert_int_eq((int)sumf(w->mask, 162), 40);  /* rint(40.5) = 40 */
    ck_assert_int_eq((int)sumf(b->mask, 6), 2);     /* rint(1.5) = 2 */
    ck_assert_int_eq(cp_count_nonzero(w->data, 162), 40);
    /* The kept weights are the 40 largest: every kept |w| >= every pruned |w| of
     * the weights as they were (pruned ones are now 0, kept ones unchanged). */
    ck_assert_int_eq(cp_prune_layer(net, fc1, CP_PRUNE_RANDOM, CP_TARGET_WEIGHTS, 0.1, 5, &err), 0);
    ck_assert_int_eq((int)sumf(w->mask, 162), 16);
    for (int i = 0; i < 162; i++)
        if (w->mask[i] == 1) ck_assert(w->data[i] != 0); /* drawn from the 40 kept first */
    /* Not a compute layer. */
    ck_assert_int_eq(cp_prune_layer(net, nn_arch_find(a, "relu1"), CP_PRUNE_L1, CP_TARGET_WEIGHTS,
                                    0.5, 0, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "relu1"));
    nn_net_free(net);
}
END_TEST

START_TEST(prune_global_net)
{
    nn_net *net = tiny_net(2);
    em_error err = {0};
    /* conv1 27 weights, fc1 162, fc2 24: total 213; keep 0.3 -> rint(63.9) = 64. */
    ck_assert_int_eq(cp_prune_global_l1(net, NULL, CP_TARGET_WEIGHTS, 0.3, &err), 0);
    const char *names[3] = {"conv1.weight", "fc1.weight", "fc2.weight"};
    double kept = 0, min_kept = 1e9, max_pruned = 0;
    nn_net *ref = tiny_net(2);
    for (int j = 0; j < 3; j++) {
        nn_param *p = nn_net_find_param(net, names[j]), *q = nn_net_find_param(ref, names[j]);
        kept += sumf(p->mask, p->numel);
        for (int64_t i = 0; i < p->numel; i++) {
            if (p->mask[i] == 1) min_kept = fmin(min_kept, fabs(q->data[i]));
            else max_pruned = fmax(max_pruned, fabs(q->data[i]));
        }
    }
    ck_assert_int_eq((int)kept, 64);
    ck_assert(min_kept >= max_pruned); /* one threshold over all layers */
    nn_net_free(ref);
    nn_net_free(net);
}
END_TEST

/* ---- quantization ---------------------------------------------------------------- */

static void quant_case(const float *w, int n, int q, const int32_t *codes, const float *vals)
{
    float out[16];
    int32_t c[16];
    em_error err = {0};
    ck_assert_msg(cp_quantize(w, n, q, out, c, NULL, &err) == 0, "%s", err.msg);
    for (int i = 0; i < n; i++) {
        ck_assert_msg(c[i] == codes[i], "q=%d code[%d] = %d, want %d", q, i, c[i], codes[i]);
        ck_assert_msg(out[i] == vals[i], "q=%d w'[%d] = %.9g, want %.9g", q, i, out[i], vals[i]);
    }
}

START_TEST(quant_hand_cases)
{
    /* q = 1: only the code 0 (docs/coding.md). */
    const float w1[3] = {0.3f, -0.7f, 0};
    quant_case(w1, 3, 1, (int32_t[]){0, 0, 0}, (float[]){0, 0, 0});
    /* q = 2: L = 1, spacing = max = 0.8; 0.4/0.8 = 0.5 exactly rounds to even 0. */
    const float w2[5] = {0.8f, -0.3f, 0.41f, -0.8f, 0.4f};
    quant_case(w2, 5, 2, (int32_t[]){1, 0, 1, -1, 0}, (float[]){0.8f, 0, 0.8f, -0.8f, 0});
    /* q = 3: L = 3, max 1.5, spacing 0.5. */
    const float w3[5] = {1.5f, 0.74f, -0.26f, 0.25f, 1.2f};
    quant_case(w3, 5, 3, (int32_t[]){3, 1, -1, 0, 2}, (float[]){1.5f, 0.5f, -0.5f, 0, 1.0f});
    /* q = 8: L = 127, max 127, spacing 1; halves to even. */
    const float w8[5] = {127, 3.5f, -2.5f, 0.49f, -126.6f};
    quant_case(w8, 5, 8, (int32_t[]){127, 4, -2, 0, -127}, (float[]){127, 4, -2, 0, -127});
    /* q = 23: L = 4194303 = max, spacing 1. */
    const float w23[4] = {4194303, 1.5f, 2.5f, -7.25f};
    quant_case(w23, 4, 23, (int32_t[]){4194303, 2, 2, -7}, (float[]){4194303, 2, 2, -7});
    /* All-zero tensor: every q gives zeros and spacing 0. */
    const float z[3] = {0, 0, 0};
    for (int q = 1; q <= 23; q++) {
        double s = -1;
        float out[3];
        em_error err = {0};
        ck_assert_int_eq(cp_quantize(z, 3, q, out, NULL, &s, &err), 0);
        ck_assert(s == 0 && out[0] == 0 && out[1] == 0 && out[2] == 0);
    }
    ck_assert(isinf(cp_quant_spacing(1.0, 1)));
    ck_assert_close(cp_quant_spacing(1.0, 8), 1.0 / 127, 1e-15, 0);
}
END_TEST

START_TEST(quant_invariants_every_depth)
{
    em_rng r;
    em_rng_seed(&r, 5);
    enum { N = 2000 };
    float *w = malloc(sizeof *w * N), *o = malloc(sizeof *o * N), *o2 = malloc(sizeof *o2 * N);
    int32_t *c = malloc(sizeof *c * N), *c2 = malloc(sizeof *c2 * N);
    em_error err = {0};
    for (int trial = 0; trial < 20; trial++) {
        double scale = exp(em_rng_normal(&r) * 3);
        int imax = 0;
        for (int i = 0; i < N; i++) {
            w[i] = (float)(em_rng_normal(&r) * scale);
            if (fabsf(w[i]) > fabsf(w[imax])) imax = i;
        }
        if (trial % 3 == 0) w[N / 2] = 0;
        for (int q = 2; q <= 23; q++) {
            double s;
            ck_assert_int_eq(cp_quantize(w, N, q, o, c, &s, &err), 0);
            long L = (1L << (q - 1)) - 1;
            ck_assert_msg(o[imax] == w[imax], "q=%d: max |w| %.9g -> %.9g", q, w[imax], o[imax]);
            ck_assert_int_eq(labs((long)c[imax]), L);
            int bad = -1;
            for (int i = 0; i < N && bad < 0; i++)
                /* codes in range; error at most half a step, plus the float32 rounding of c*s */
                if (labs((long)c[i]) > L || fabs((double)o[i] - w[i]) > s / 2 + fabs((double)o[i]) * 6e-8)
                    bad = i;
            ck_assert_msg(bad < 0, "q=%d: w[%d] = %.9g -> code %d, %.9g (spacing %g)", q, bad,
                          bad < 0 ? 0 : w[bad], bad < 0 ? 0 : c[bad], bad < 0 ? 0 : o[bad], s);
            /* Requantizing the float32 result gives the same codes and values. */
            ck_assert_int_eq(cp_quantize(o, N, q, o2, c2, NULL, &err), 0);
            ck_assert_mem_eq(c, c2, sizeof *c * N);
            ck_assert_mem_eq(o, o2, sizeof *o * N);
        }
    }
    free(w), free(o), free(o2), free(c), free(c2);
}
END_TEST

START_TEST(quant_bad_depths)
{
    float w[2] = {1, -1}, o[2];
    em_error err = {0};
    ck_assert_int_eq(cp_quantize(w, 2, 24, o, NULL, NULL, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "24"));
    ck_assert_int_eq(cp_quantize(w, 2, 0, o, NULL, NULL, &err), EM_EINVAL);
    ck_assert_int_eq(cp_quant_check_bits(-1, "plan", &err), EM_EINVAL);
    ck_assert_int_eq(cp_quant_check_bits(23, "plan", &err), 0);
    w[0] = INFINITY;
    ck_assert_int_eq(cp_quantize(w, 2, 8, o, NULL, NULL, &err), EM_EINVAL);
}
END_TEST

/* ---- plans ------------------------------------------------------------------------ */

START_TEST(plan_parse_and_format)
{
    cp_plan p;
    em_error err = {0};
    ck_assert_msg(cp_plan_parse("keep=0.5;bits=8,6,5,5,8", 5, &p, &err) == 0, "%s", err.msg);
    const int bits[5] = {8, 6, 5, 5, 8};
    for (int i = 0; i < 5; i++) {
        ck_assert(p.layer[i].keep == 0.5);
        ck_assert_int_eq(p.layer[i].bits, bits[i]);
        ck_assert_int_eq(p.layer[i].method, CP_PRUNE_L1);
        ck_assert_int_eq(p.layer[i].target, CP_TARGET_WEIGHTS);
        ck_assert(!p.layer[i].dynq);
    }
    ck_assert(!p.global_l1);
    char buf[512];
    cp_plan_format(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "keep=0.5;bits=8,6,5,5,8");
    const char *t = "keep=0.9,0.8,0.5,0.5,1;bits=0;prune=l1,l1,random,l1,none;target=both;"
                    "dynq=0,0,0,0,1";
    ck_assert_msg(cp_plan_parse(t, 5, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.layer[2].method, CP_PRUNE_RANDOM);
    ck_assert_int_eq(p.layer[4].method, CP_PRUNE_NONE);
    ck_assert_int_eq(p.layer[0].target, CP_TARGET_BOTH);
    ck_assert(p.layer[4].dynq && !p.layer[3].dynq);
    cp_plan_format(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, t);
    ck_assert_int_eq(cp_plan_parse(" keep = 0.3 ; scope=global ", 5, &p, &err), 0);
    ck_assert(p.global_l1 && p.layer[4].keep == 0.3);
    cp_plan_format(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "keep=0.3;bits=0;scope=global");
    ck_assert(p.bn == CP_BN_FOLD_THEN_QUANTIZE);
    ck_assert_int_eq(cp_plan_parse("bits=4;bn=quantize-then-fold", 5, &p, &err), 0);
    ck_assert(p.bn == CP_BN_QUANTIZE_THEN_FOLD);
    cp_plan_format(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "keep=1;bits=4;bn=quantize-then-fold");
    ck_assert_int_eq(cp_plan_parse("bits=4;bn=fold-then-quantize", 5, &p, &err), 0);
    ck_assert(p.bn == CP_BN_FOLD_THEN_QUANTIZE);
    cp_plan_format(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "keep=1;bits=4");
    /* Round trip of random plans, keeps with many digits. */
    em_rng r;
    em_rng_seed(&r, 9);
    for (int trial = 0; trial < 100; trial++) {
        cp_plan a, b;
        cp_plan_identity(&a, 7);
        for (int i = 0; i < 7; i++) {
            a.layer[i].keep = em_rng_uniform(&r);
            a.layer[i].bits = (int)em_rng_below(&r, 24);
            a.layer[i].method = (cp_prune_method)em_rng_below(&r, 3);
            a.layer[i].target = (cp_prune_target)em_rng_below(&r, 3);
            a.layer[i].dynq = em_rng_below(&r, 2);
        }
        a.global_l1 = trial % 2;
        a.bn = (cp_bn_order)(trial / 2 % 2);
        cp_plan_format(&a, buf, sizeof buf);
        ck_assert_msg(cp_plan_parse(buf, 7, &b, &err) == 0, "%s: %s", buf, err.msg);
        ck_assert_mem_eq(&a, &b, sizeof a);
    }
}
END_TEST

/* The measured text form: hand-written strings, float32 as width 32 <-> bits 0, and
 * the errors naming the layer. */
START_TEST(stats_text_form)
{
    em_error err = {0};
    cp_layer_stats st[3];
    ck_assert_int_eq(cp_stats_parse("0.25:8;1:32;0.123456789:4", 3, st, &err), EM_OK);
    ck_assert_double_eq(st[0].keep, 0.25);
    ck_assert_int_eq(st[0].bits, 8);
    ck_assert_int_eq(st[1].bits, 0); /* float32 */
    ck_assert_int_eq(st[0].nnz, -1);
    ck_assert_int_eq(em_bits_width(st[1].bits), 32);
    char buf[256];
    cp_stats_format(st, 3, buf, sizeof buf);
    ck_assert_str_eq(buf, "0.25:8;1:32;0.123456789:4");
    st[0].keep = 2.0 / 3.0;
    cp_stats_format(st, 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "0.666666667:8");
    ck_assert_int_eq(cp_stats_parse("0.5:8;0.5:8", 3, st, &err), EM_EFORMAT);
    ck_assert_str_eq(err.msg, "expected 3 keep:bits pairs");
    ck_assert_int_eq(cp_stats_parse("0.5:8;1.5:8", 2, st, &err), EM_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "layer 2 has keep 1.5"));
    ck_assert_int_eq(cp_stats_parse("0.5:33", 1, st, &err), EM_EFORMAT);
    ck_assert_int_eq(cp_stats_parse("0.5:7.5", 1, st, &err), EM_EFORMAT);
}
END_TEST

START_TEST(plan_bad_text)
{
    cp_plan p;
    em_error err = {0};
    struct { const char *text, *needle; } bad[] = {
        {"keep=0.5;bits=8,6", "bits has 2 values"},
        {"keep=1.5", "keep '1.5'"},
        {"keep=abc", "keep 'abc'"},
        {"bits=24", "bits '24'"},
        {"bits=8;bits=6", "given twice"},
        {"colour=red", "unknown key 'colour'"},
        {"keep", "not key=value"},
        {"prune=magnitude", "prune 'magnitude'"},
        {"target=all", "target 'all'"},
        {"scope=everywhere", "scope 'everywhere'"},
        {"bits=8,,8,8,8", "empty value"},
        {"dynq=2", "dynq '2'"},
        {"bn=fold-first", "bn 'fold-first'"},
        {"bn=fold-then-quantize,quantize-then-fold", "bn 'fold-then-quantize,quantize-then-fold'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(cp_plan_parse(bad[i].text, 5, &p, &err) == EM_EINVAL, "%s", bad[i].text);
        ck_assert_msg(strstr(err.msg, bad[i].needle), "'%s': message '%s' lacks '%s'",
                      bad[i].text, err.msg, bad[i].needle);
    }
    /* Checks against a model. */
    nn_net *net = lenet(1);
    const nn_arch *a = nn_net_arch(net);
    ck_assert_int_eq(cp_plan_parse("dynq=1,0,0,0,0", 5, &p, &err), 0);
    ck_assert_int_eq(cp_plan_check(&p, a, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "conv1"));
    ck_assert_int_eq(cp_plan_parse("dynq=0,0,0,1,1;bits=8", 5, &p, &err), 0);
    ck_assert_int_eq(cp_plan_check(&p, a, &err), EM_EINVAL);
    ck_assert_int_eq(cp_plan_parse("keep=0.5,0.5,0.4,0.5,0.5;scope=global", 5, &p, &err), 0);
    ck_assert_int_eq(cp_plan_check(&p, a, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "global"));
    ck_assert_int_eq(cp_plan_parse("keep=0.5", 4, &p, &err), 0);
    ck_assert_int_eq(cp_plan_apply(net, &p, 0, NULL, &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "5 conv/linear"));
    nn_net_free(net);
}
END_TEST

START_TEST(plan_apply_counts)
{
    nn_net *net = lenet(3);
    cp_plan p;
    em_error err = {0};
    cp_plan_stats st;
    ck_assert_int_eq(cp_plan_parse("keep=0.5,0.5,0.5,0.5,0.9;bits=8,6,5,5,2", 5, &p, &err), 0);
    ck_assert_msg(cp_plan_apply(net, &p, 0, &st, &err) == 0, "%s", err.msg);
    const double keep[5] = {0.5, 0.5, 0.5, 0.5, 0.9};
    const char *names[5] = {"conv1", "conv2", "conv3", "fc1", "fc2"};
    const int64_t n[5] = {150, 2400, 48000, 10080, 840};
    const int bits[5] = {8, 6, 5, 5, 2};
    ck_assert_int_eq(st.n_layers, 5);
    int64_t tot = 0, totnnz = 0;
    for (int i = 0; i < 5; i++) {
        cp_layer_stats *s = &st.layer[i];
        ck_assert_str_eq(s->name, names[i]);
        ck_assert_int_eq(s->n, n[i]);
        ck_assert_int_eq(s->kept, (int64_t)rint(keep[i] * (double)n[i]));
        ck_assert_int_eq(s->bits, bits[i]);
        char name[80];
        snprintf(name, sizeof name, "%s.weight", names[i]);
        nn_param *w = nn_net_find_param(net, name);
        int64_t nz = 0;
        double m = 0;
        for (int64_t j = 0; j < w->numel; j++) {
            nz += w->data[j] != 0;
            m = fmax(m, fabs(w->data[j]));
        }
        ck_assert_int_eq(s->nnz, nz);
        ck_assert_int_le(s->nnz, s->kept);
        /* Every weight is a multiple of the layer's spacing. */
        double sp = m / ((1 << (bits[i] - 1)) - 1);
        for (int64_t j = 0; j < w->numel; j++) {
            double c = w->data[j] / sp;
            ck_assert(fabs(c - rint(c)) < 1e-4);
        }
        ck_assert_int_eq(s->bias_nnz, s->bias_n); /* biases untouched */
        tot += n[i], totnnz += nz;
    }
    ck_assert_int_eq(st.n, tot);
    ck_assert_int_eq(st.nnz, totnnz);
    /* 2 bits on fc2 (codes -1, 0, 1: kept |w| below max/2 round to 0): fewer non-zeros
     * than kept -- the estimator must see this count, not keep. */
    ck_assert_int_lt(st.layer[4].nnz, st.layer[4].kept);
    nn_net_free(net);

    /* Global scope: one rint over all weights. */
    net = lenet(3);
    ck_assert_int_eq(cp_plan_parse("keep=0.2;scope=global", 5, &p, &err), 0);
    ck_assert_int_eq(cp_plan_apply(net, &p, 0, &st, &err), 0);
    int64_t kept = 0;
    for (int i = 0; i < 5; i++) kept += st.layer[i].kept;
    ck_assert_int_eq(kept, (int64_t)rint(0.2 * 61470));
    ck_assert_int_eq(st.nnz, kept);
    ck_assert(st.layer[0].kept != (int64_t)rint(0.2 * 150)); /* layers differ from 0.2 */
    nn_net_free(net);

    /* Random pruning depends on the seed only. */
    nn_net *x = lenet(3), *y = lenet(3);
    ck_assert_int_eq(cp_plan_parse("keep=0.4;prune=random;target=both", 5, &p, &err), 0);
    ck_assert_int_eq(cp_plan_apply(x, &p, 42, &st, &err), 0);
    ck_assert_int_eq(cp_plan_apply(y, &p, 42, NULL, &err), 0);
    nn_param *px = nn_net_find_param(x, "conv3.weight"), *py = nn_net_find_param(y, "conv3.weight");
    ck_assert_mem_eq(px->mask, py->mask, sizeof(float) * (size_t)px->numel);
    ck_assert_int_eq(st.layer[2].kept, 19200);
    ck_assert_int_eq(st.layer[2].bias_nnz, 48);  /* rint(0.4*120) */
    nn_net_free(x);
    nn_net_free(y);
}
END_TEST

START_TEST(masks_survive_fine_tuning)
{
    nn_net *net = lenet(4);
    nn_net_set_threads(net, 1);
    cp_plan p;
    em_error err = {0};
    ck_assert_int_eq(cp_plan_parse("keep=0.3;target=both", 5, &p, &err), 0);
    ck_assert_int_eq(cp_plan_apply(net, &p, 0, NULL, &err), 0);
    /* Remember which entries are pruned and the kept values. */
    nn_param *w = nn_net_find_param(net, "conv2.weight");
    float *before = malloc(sizeof *before * (size_t)w->numel);
    memcpy(before, w->data, sizeof *before * (size_t)w->numel);
    /* 64 random 28x28 images, 10 classes. */
    enum { N = 64 };
    uint8_t *px = malloc(N * 28 * 28), lab[N];
    em_rng r;
    em_rng_seed(&r, 1);
    for (int i = 0; i < N * 28 * 28; i++) px[i] = (uint8_t)em_rng_below(&r, 256);
    for (int i = 0; i < N; i++) lab[i] = (uint8_t)em_rng_below(&r, 10);
    nn_dataset *ds = NULL;
    ck_assert_int_eq(nn_dataset_from_arrays(NN_DS_MNIST, N, 1, 28, 28, 10, px, lab, &ds, &err), 0);
    nn_train_cfg c;
    nn_train_cfg_default(&c);
    c.batch = 16;
    c.optim.lr = 0.1;
    c.optim.momentum = 0.9;
    c.optim.weight_decay = 1e-3;
    nn_train_result res;
    ck_assert_msg(nn_train(net, ds, NULL, &c, NULL, &res, &err) == 0, "%s", err.msg);
    int changed = 0;
    for (int j = 0; j < 5; j++) {
        const nn_arch *a = nn_net_arch(net);
        for (int b = 0; b < 2; b++) {
            nn_param *q = cp_layer_param(net, cp_compute_layer_index(a, j), b);
            for (int64_t i = 0; i < q->numel; i++)
                if (q->mask[i] == 0) ck_assert_msg(q->data[i] == 0.0f, "%s[%lld] = %g", q->name,
                                                   (long long)i, q->data[i]);
        }
    }
    for (int64_t i = 0; i < w->numel; i++) changed += w->mask[i] == 1 && w->data[i] != before[i];
    ck_assert_int_gt(changed, 0); /* the kept weights did train */
    cp_plan_stats st;
    cp_plan_measure(net, &p, &st);
    ck_assert_int_eq(st.layer[1].nnz, (int64_t)rint(0.3 * 2400));
    free(before);
    free(px);
    nn_dataset_free(ds);
    nn_net_free(net);
}
END_TEST


START_TEST(codes_feed_the_coders)
{
    /* Codes of a quantized, pruned layer encode and decode exactly with coding/ at
     * the same q (|c| <= 2^(q-1)-1 is the coders' rule), and the CSR non-zero count
     * equals the plan's nnz. q = 1 gives all-zero codes, which the coder accepts. */
    nn_net *net = lenet(6);
    cp_plan p;
    em_error err = {0};
    cp_plan_stats st;
    ck_assert_int_eq(cp_plan_parse("keep=0.4;bits=1,3,6,8,12", 5, &p, &err), 0);
    ck_assert_int_eq(cp_plan_apply(net, &p, 0, &st, &err), 0);
    const nn_arch *a = nn_net_arch(net);
    for (int i = 0; i < 5; i++) {
        int li = cp_compute_layer_index(a, i), q = p.layer[i].bits;
        int64_t n = st.layer[i].n;
        int32_t *c = malloc(sizeof *c * (size_t)n), *back = malloc(sizeof *back * (size_t)n);
        ck_assert_msg(cp_layer_codes(net, li, q, c, &err) == 0, "%s", err.msg);
        coding_stream s = {0};
        ck_assert_msg(coding_encode(CODING_CSR, c, n, q, 3, &s, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(coding_decode(&s, back, n, &err), 0);
        ck_assert_mem_eq(c, back, sizeof *c * (size_t)n);
        coding_counts cc;
        coding_count_codes(c, n, 3, &cc);
        ck_assert_int_eq(cc.nnz, st.layer[i].nnz);
        if (q == 1) ck_assert_int_eq(cc.nnz, 0);
        /* the codes reproduce the weights: w = c * spacing */
        nn_param *w = cp_layer_param(net, li, false);
        double m = 0;
        for (int64_t j = 0; j < n; j++) m = fmax(m, fabs(w->data[j]));
        double sp = cp_quant_spacing(m, q);
        for (int64_t j = 0; j < n && q > 1; j++) ck_assert(w->data[j] == (float)(c[j] * sp));
        coding_stream_free(&s);
        free(c);
        free(back);
    }
    nn_net_free(net);
}
END_TEST

/* ---- batch norm: fold, then quantize ----------------------------------------------- */

static const char *BN_YAML =
    "name: tinybn\n"
    "input: [2, 8, 8]\n"
    "classes: 4\n"
    "layers:\n"
    "  - {name: conv1, type: conv, out: 6, kernel: 3, bias: false}\n"
    "  - {name: bn1, type: bn}\n"
    "  - {name: relu1, type: relu}\n"
    "  - {name: conv2, type: conv, out: 5, kernel: 3}\n"
    "  - {name: bn2, type: bn}\n"
    "  - {name: relu2, type: relu}\n"
    "  - {name: flatten, type: flatten}\n"
    "  - {name: fc1, type: linear, out: 4}\n";

/* Gives every BN its own per-channel scale, shift and statistics (a fresh net's BNs
 * scale every channel alike, which would keep any grid a grid). */
static void randomize_bn(nn_net *net, uint64_t seed)
{
    em_rng r;
    em_rng_seed(&r, seed);
    for (int i = 0; i < nn_net_param_count(net); i++) {
        nn_param *p = nn_net_param(net, i);
        if (nn_net_arch(net)->layers[p->layer].kind != NN_L_BN) continue;
        const char *field = strrchr(p->name, '.') + 1;
        for (int64_t j = 0; j < p->numel; j++) {
            double u = em_rng_uniform(&r);
            if (!strcmp(field, "weight")) p->data[j] = (float)((0.3 + 1.7 * u) * (j % 3 ? 1 : -1));
            else if (!strcmp(field, "bias")) p->data[j] = (float)(u - 0.5);
            else if (!strcmp(field, "running_mean")) p->data[j] = (float)(0.4 * (u - 0.5));
            else p->data[j] = (float)(0.05 + 3 * u); /* running_var */
        }
    }
}

static nn_net *bn_net(const char *model_or_yaml, uint64_t seed)
{
    em_error err = {0};
    nn_arch *a = NULL;
    if (strchr(model_or_yaml, '\n')) {
        ck_assert_msg(nn_arch_parse(model_or_yaml, "tinybn.yaml", &a, &err) == 0, "%s", err.msg);
    } else {
        char path[4096];
        ck_assert_int_eq(nn_arch_resolve(model_or_yaml, path, sizeof path, &err), 0);
        ck_assert_int_eq(nn_arch_load(path, &a, &err), 0);
    }
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_arch_free(a);
    nn_net_init(net, seed);
    randomize_bn(net, seed + 100);
    nn_net_set_threads(net, 2);
    return net;
}

/* How many of the n weights of w lie off the EMOMC q-bit grid of the tensor
 * (spacing = max|w|/(2^(q-1)-1), w = k*spacing with integer |k| <= 2^(q-1)-1),
 * computed here without the quantizer. A weight counts as on the grid when w/spacing
 * is within 1e-4 of an integer (the float32 storage of k*spacing is off by at most
 * |k| * 2^-24 <= 1e-4 spacings for q <= 12). */
static int64_t off_grid(const float *w, int64_t n, int q)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs((double)w[i]));
    if (m == 0) return 0;
    double L = (double)((1 << (q - 1)) - 1), s = m / L;
    int64_t off = 0;
    for (int64_t i = 0; i < n; i++) {
        double k = (double)w[i] / s;
        off += fabs(k - rint(k)) > 1e-4 || fabs(rint(k)) > L;
    }
    return off;
}

/* Applies keep/bits to every layer in the given BN order; checks the masks. */
static void apply_uniform(nn_net *net, double keep, int q, cp_bn_order order)
{
    const nn_arch *a = nn_net_arch(net);
    cp_plan p;
    cp_plan_uniform(&p, nn_arch_compute_layer_count(a), keep, q);
    p.bn = order;
    em_error err = {0};
    cp_plan_stats st;
    ck_assert_msg(cp_plan_apply(net, &p, 5, &st, &err) == 0, "%s", err.msg);
    for (int i = 0; i < st.n_layers; i++) {
        nn_param *w = cp_layer_param(net, cp_compute_layer_index(a, i), false);
        if (keep < 1) {
            ck_assert_ptr_nonnull(w->mask);
            ck_assert_int_eq(st.layer[i].kept, (int64_t)rint(keep * (double)w->numel));
            for (int64_t j = 0; j < w->numel; j++)
                if (w->mask[j] == 0)
                    ck_assert_msg(w->data[j] == 0.0f, "%s[%lld] = %g is pruned",
                                  w->name, (long long)j, w->data[j]);
        }
        ck_assert_int_eq(st.layer[i].nnz, cp_count_nonzero(w->data, w->numel));
    }
}

/* Checks every conv/linear layer of a BN net after a plan, both orders. */
static void bn_grid_case(const char *model, uint64_t seed, const char *weights, double keep, int q)
{
    em_error err = {0};
    nn_net *net = bn_net(model, seed), *old = bn_net(model, seed);
    if (strchr(model, '\n')) model = "tinybn";
    if (weights) {
        ck_assert_msg(nn_weights_load_into(tu_root_path(weights), net, NULL, &err) == 0, "%s",
                      err.msg);
        ck_assert_int_eq(nn_weights_load_into(tu_root_path(weights), old, NULL, &err), 0);
    }
    const nn_arch *a = nn_net_arch(net);
    apply_uniform(net, keep, q, CP_BN_FOLD_THEN_QUANTIZE);
    ck_assert(nn_net_is_folded(net));
    /* The old order: quantized, BN unfolded (trainable); folding afterwards moves the
     * weights of every BN-followed conv off the grid. */
    apply_uniform(old, keep, q, CP_BN_QUANTIZE_THEN_FOLD);
    ck_assert(!nn_net_is_folded(old));
    ck_assert_int_eq(nn_net_fold_bn(old, NULL, &err), 0);
    int64_t off_old = 0, nz_old = 0;
    for (int i = 0; i < nn_arch_compute_layer_count(a); i++) {
        int li = cp_compute_layer_index(a, i);
        nn_param *w = cp_layer_param(net, li, false), *o = cp_layer_param(old, li, false);
        /* What the engine executes is the folded tensor now in w->data. */
        int64_t off = off_grid(w->data, w->numel, q);
        ck_assert_msg(off == 0, "%s %s at %d bits: %lld of %lld executed weights off the grid",
                      model, w->name, q, (long long)off, (long long)w->numel);
        off_old += off_grid(o->data, o->numel, q);
        nz_old += cp_count_nonzero(o->data, o->numel);
        if (keep < 1)
            for (int64_t j = 0; j < o->numel; j++)
                if (o->mask[j] == 0) ck_assert(o->data[j] == 0.0f);
    }
    ck_assert_msg(off_old > nz_old / 4, "%s at %d bits: old order, only %lld of %lld non-zero "
                  "weights off the grid after folding", model, q, (long long)off_old,
                  (long long)nz_old);
    /* Both are inference networks that run. */
    const nn_shape in = a->input;
    int64_t isz = (int64_t)in.c * in.h * in.w;
    float *x = malloc(sizeof *x * (size_t)(2 * isz)), y[2 * 16];
    em_rng r;
    em_rng_seed(&r, seed);
    for (int64_t i = 0; i < 2 * isz; i++) x[i] = (float)em_rng_normal(&r);
    ck_assert(a->classes <= 16);
    ck_assert_int_eq(nn_net_forward(net, x, 2, y, false, &err), 0);
    ck_assert_int_eq(nn_net_forward(net, x, 2, y, true, &err), EM_EINVAL); /* inference only */
    free(x);
    nn_net_free(net);
    nn_net_free(old);
}

START_TEST(bn_fold_then_quantize_tiny)
{
    const int qs[] = {2, 3, 4, 8};
    for (int k = 0; k < 4; k++) {
        bn_grid_case(BN_YAML, 10 + (uint64_t)k, NULL, 1.0, qs[k]);
        bn_grid_case(BN_YAML, 20 + (uint64_t)k, NULL, 0.6, qs[k]);
    }
}
END_TEST

START_TEST(bn_fold_then_quantize_resnet20)
{
    bn_grid_case("resnet20", 3, NULL, 0.7, 4);                        /* random, random BN */
    bn_grid_case("resnet20", 4, "models/resnet20-cifar10.emw", 1.0, 3); /* zoo */
    bn_grid_case("resnet20", 5, "models/resnet20-cifar10.emw", 0.5, 6);
}
END_TEST

/* Without BN, both orders give the same network, bit for bit, and it stays
 * trainable (nothing is folded). */
START_TEST(bn_order_is_moot_without_bn)
{
    em_error err = {0};
    for (int t = 0; t < 2; t++) {
        nn_net *x = lenet(7), *y = lenet(7);
        if (t) {
            ck_assert_int_eq(nn_weights_load_into(tu_root_path("models/lenet5-mnist.emw"), x, NULL, &err), 0);
            ck_assert_int_eq(nn_weights_load_into(tu_root_path("models/lenet5-mnist.emw"), y, NULL, &err), 0);
        }
        cp_plan p;
        ck_assert_int_eq(cp_plan_parse("keep=0.5,0.6,0.5,0.4,0.9;bits=8,6,5,3,2", 5, &p, &err), 0);
        ck_assert_int_eq(p.bn, CP_BN_FOLD_THEN_QUANTIZE);
        cp_plan_stats sx, sy;
        ck_assert_int_eq(cp_plan_apply(x, &p, 1, &sx, &err), 0);
        p.bn = CP_BN_QUANTIZE_THEN_FOLD;
        ck_assert_int_eq(cp_plan_apply(y, &p, 1, &sy, &err), 0);
        ck_assert(!nn_net_is_folded(x) && !nn_net_is_folded(y));
        for (int i = 0; i < nn_net_param_count(x); i++) {
            nn_param *a = nn_net_param(x, i), *b = nn_net_param(y, i);
            ck_assert_mem_eq(a->data, b->data, sizeof(float) * (size_t)a->numel);
        }
        ck_assert_mem_eq(&sx, &sy, sizeof sx);
        float in[2 * 32 * 32], ox[20], oy[20]; /* LeNet-5 takes 1x32x32 */
        for (int i = 0; i < 2 * 32 * 32; i++) in[i] = (float)((i * 37) % 101) / 101.0f;
        ck_assert_int_eq(nn_net_forward(x, in, 2, ox, false, &err), 0);
        ck_assert_int_eq(nn_net_forward(y, in, 2, oy, false, &err), 0);
        ck_assert_mem_eq(ox, oy, sizeof ox);
        nn_net_free(x);
        nn_net_free(y);
    }
}
END_TEST

/* A plan that quantizes nothing leaves the BNs alone (the net stays trainable). */
START_TEST(bn_float_plan_does_not_fold)
{
    nn_net *net = bn_net(BN_YAML, 1);
    cp_plan p;
    em_error err = {0};
    ck_assert_int_eq(cp_plan_parse("keep=0.5", 3, &p, &err), 0);
    ck_assert_int_eq(cp_plan_apply(net, &p, 0, NULL, &err), 0);
    ck_assert(!nn_net_is_folded(net));
    /* Unfolding restores a trainable network (the weights are the caller's to reload). */
    ck_assert_int_eq(cp_plan_parse("bits=4", 3, &p, &err), 0);
    ck_assert_int_eq(cp_plan_apply(net, &p, 0, NULL, &err), 0);
    ck_assert(nn_net_is_folded(net));
    nn_net_unfold_bn(net);
    ck_assert(!nn_net_is_folded(net));
    float x[2 * 2 * 8 * 8], y[8];
    for (int i = 0; i < 2 * 2 * 8 * 8; i++) x[i] = (float)(i % 7) - 3;
    ck_assert_msg(nn_net_forward(net, x, 2, y, true, &err) == 0, "%s", err.msg);
    nn_net_free(net);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("compress");
    TCase *t = tcase_create("prune");
    tcase_add_test(t, l1_hand_case);
    tcase_add_test(t, keep_count_is_rint);
    tcase_add_test(t, l1_ties_lowest_index_kept);
    tcase_add_test(t, l1_existing_mask_stays_pruned);
    tcase_add_test(t, l1_matches_sort_reference);
    tcase_add_test(t, global_vs_per_layer);
    tcase_add_test(t, random_mask_counts_and_uniformity);
    tcase_add_test(t, prune_bad_input);
    tcase_add_test(t, prune_layer_weights_biases_both);
    tcase_add_test(t, prune_global_net);
    suite_add_tcase(s, t);
    t = tcase_create("quant");
    tcase_add_test(t, quant_hand_cases);
    tcase_add_test(t, quant_invariants_every_depth);
    tcase_add_test(t, quant_bad_depths);
    suite_add_tcase(s, t);
    t = tcase_create("plan");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, plan_parse_and_format);
    tcase_add_test(t, plan_bad_text);
    tcase_add_test(t, stats_text_form);
    tcase_add_test(t, plan_apply_counts);
    tcase_add_test(t, masks_survive_fine_tuning);
    tcase_add_test(t, codes_feed_the_coders);
    suite_add_tcase(s, t);
    t = tcase_create("bn");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, bn_fold_then_quantize_tiny);
    tcase_add_test(t, bn_fold_then_quantize_resnet20);
    tcase_add_test(t, bn_order_is_moot_without_bn);
    tcase_add_test(t, bn_float_plan_does_not_fold);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
