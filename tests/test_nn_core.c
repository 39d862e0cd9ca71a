/* tests/test_nn_core.c: the network object: parameter naming and shapes, seeded
 * initialisation, masks through backward and an SGD step, BN folding, determinism
 * across thread counts, dropout, the loss, and refusals of bad calls. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "nn/net.h"
#include "tests/testutil.h"

static nn_arch *load(const char *name_or_path)
{
    char path[4096];
    em_error err = {0};
    nn_arch *a = NULL;
    ck_assert_int_eq(nn_arch_resolve(name_or_path, path, sizeof path, &err), 0);
    int rc = nn_arch_load(path, &a, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return a;
}

static nn_net *make_net(const nn_arch *a, uint64_t seed)
{
    em_error err = {0};
    nn_net *net = NULL;
    int rc = nn_net_new(a, &net, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    nn_net_init(net, seed);
    /* One thread unless a test is about threads: suites run side by side in CI, and
     * thread teams on oversubscribed cores mostly wait. */
    nn_net_set_threads(net, 1);
    return net;
}

static float *random_floats(size_t n, uint64_t seed)
{
    em_rng r;
    em_rng_seed(&r, seed);
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = (float)em_rng_normal(&r);
    return x;
}

static size_t input_numel(const nn_arch *a, int n)
{
    return (size_t)n * a->input.c * a->input.h * a->input.w;
}

/* Gives every BN layer non-trivial statistics and affine parameters. */
static void randomize_bn(nn_net *net, uint64_t seed)
{
    em_rng r;
    em_rng_seed(&r, seed);
    for (int i = 0; i < nn_net_param_count(net); i++) {
        nn_param *p = nn_net_param(net, i);
        if (nn_net_arch(net)->layers[p->layer].kind != NN_L_BN) continue;
        bool centred = strstr(p->name, "mean") || strstr(p->name, "bias");
        for (int64_t j = 0; j < p->numel; j++)
            p->data[j] = (float)(centred ? 0.2 * em_rng_normal(&r) : 0.5 + em_rng_uniform(&r));
    }
}

START_TEST(names_and_shapes)
{
    nn_arch *a = load("resnet20");
    nn_net *net = make_net(a, 1);
    nn_param *p = nn_net_find_param(net, "conv1.weight");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->ndim, 4);
    ck_assert_int_eq(p->shape[0], 16);
    ck_assert_int_eq(p->shape[1], 3);
    ck_assert_int_eq(p->shape[2], 3);
    ck_assert_int_eq(p->shape[3], 3);
    ck_assert(p->trainable && p->is_weight && p->grad);
    ck_assert_ptr_null(nn_net_find_param(net, "conv1.bias")); /* bias: false */
    p = nn_net_find_param(net, "bn1.running_var");
    ck_assert(p && !p->trainable && !p->grad && p->numel == 16);
    ck_assert_ptr_nonnull(nn_net_find_param(net, "s3b1_short.weight"));
    p = nn_net_find_param(net, "fc.weight");
    if (!p) p = nn_net_param(net, nn_net_param_count(net) - 2);
    ck_assert_int_eq(p->ndim, 2);
    /* Order: weight, bias, running_mean, running_var within a BN. */
    int k = 0;
    while (strcmp(nn_net_param(net, k)->name, "bn1.weight")) k++;
    ck_assert_str_eq(nn_net_param(net, k + 1)->name, "bn1.bias");
    ck_assert_str_eq(nn_net_param(net, k + 2)->name, "bn1.running_mean");
    ck_assert_str_eq(nn_net_param(net, k + 3)->name, "bn1.running_var");
    /* Trainable count agrees with the arch's own count (spec/arch.c). */
    ck_assert_int_eq(nn_net_trainable_numel(net), nn_arch_param_count(a));
    nn_net_free(net);
    nn_arch_free(a);

    a = load("lenet5");
    net = make_net(a, 1);
    p = nn_net_find_param(net, "fc1.weight");
    ck_assert(p && p->shape[0] == 84 && p->shape[1] == 120);
    ck_assert_int_eq(nn_net_find_param(net, "conv2.bias")->numel, 16);
    ck_assert_int_eq(nn_net_param_count(net), 10);
    ck_assert_int_eq(nn_net_trainable_numel(net), nn_arch_param_count(a));
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

START_TEST(init_is_kaiming_uniform_and_seeded)
{
    nn_arch *a = load("lenet5");
    nn_net *n1 = make_net(a, 42), *n2 = make_net(a, 42), *n3 = make_net(a, 43);
    nn_param *w = nn_net_find_param(n1, "conv2.weight"); /* fan_in 6*5*5 = 150 */
    double bound = 1.0 / sqrt(150.0), s = 0.0, s2 = 0.0;
    for (int64_t j = 0; j < w->numel; j++) {
        ck_assert(fabs(w->data[j]) <= bound);
        s += w->data[j];
        s2 += (double)w->data[j] * w->data[j];
    }
    double mean = s / w->numel, sd = sqrt(s2 / w->numel - mean * mean);
    /* U(-b, b): mean 0, sd b/sqrt(3); 2400 samples. */
    ck_assert(fabs(mean) < 4 * bound / sqrt(3.0) / sqrt(2400.0));
    ck_assert_close(sd, bound / sqrt(3.0), 0.05, 0);
    nn_param *fb = nn_net_find_param(n1, "fc2.bias"); /* fan_in 84 */
    for (int64_t j = 0; j < fb->numel; j++) ck_assert(fabs(fb->data[j]) <= 1.0 / sqrt(84.0));
    for (int i = 0; i < nn_net_param_count(n1); i++) {
        nn_param *p = nn_net_param(n1, i), *q = nn_net_param(n2, i), *o = nn_net_param(n3, i);
        ck_assert(memcmp(p->data, q->data, (size_t)p->numel * sizeof(float)) == 0);
        ck_assert(memcmp(p->data, o->data, (size_t)p->numel * sizeof(float)) != 0);
    }
    nn_net_free(n1);
    nn_net_free(n2);
    nn_net_free(n3);
    nn_arch_free(a);
}
END_TEST

START_TEST(masks_keep_pruned_weights_zero)
{
    nn_arch *a = load("resnet20");
    nn_net *net = make_net(a, 3);
    randomize_bn(net, 4);
    em_error err = {0};
    em_rng r;
    em_rng_seed(&r, 5);
    /* Prune half of every weight tensor at random. */
    int masked = 0;
    for (int i = 0; i < nn_net_param_count(net); i++) {
        nn_param *p = nn_net_param(net, i);
        if (!p->is_weight) continue;
        float *m = malloc((size_t)p->numel * sizeof(float));
        for (int64_t j = 0; j < p->numel; j++) m[j] = em_rng_uniform(&r) < 0.5 ? 0.0f : 1.0f;
        ck_assert_int_eq(nn_net_set_mask(net, p->name, m, &err), 0);
        for (int64_t j = 0; j < p->numel; j++)
            if (m[j] == 0.0f) ck_assert(p->data[j] == 0.0f);
        free(m);
        masked++;
    }
    ck_assert_int_eq(masked, nn_arch_compute_layer_count(a));
    const int n = 2;
    float *x = random_floats(input_numel(a, n), 6);
    float logits[2 * 10], dl[2 * 10];
    int labels[2] = {1, 5};
    for (int step = 0; step < 2; step++) {
        nn_net_zero_grad(net);
        ck_assert_int_eq(nn_net_forward(net, x, n, logits, true, &err), 0);
        nn_softmax_xent(logits, labels, n, 10, dl);
        ck_assert_int_eq(nn_net_backward(net, dl, NULL, &err), 0);
        int nonzero_grads = 0;
        for (int i = 0; i < nn_net_param_count(net); i++) {
            nn_param *p = nn_net_param(net, i);
            if (!p->trainable) continue;
            for (int64_t j = 0; j < p->numel; j++) {
                if (p->mask && p->mask[j] == 0.0f) ck_assert(p->grad[j] == 0.0f);
                nonzero_grads += p->grad[j] != 0.0f;
                p->data[j] -= 0.1f * p->grad[j] + 0.01f; /* plain SGD, plus a drift */
            }
        }
        ck_assert_int_gt(nonzero_grads, 1000);
        nn_net_apply_masks(net);
        for (int i = 0; i < nn_net_param_count(net); i++) {
            nn_param *p = nn_net_param(net, i);
            for (int64_t j = 0; p->mask && j < p->numel; j++)
                if (p->mask[j] == 0.0f) ck_assert(p->data[j] == 0.0f);
                else ck_assert(p->data[j] != 0.0f);
        }
    }
    /* Refusals: a non-0/1 mask, a buffer, an unknown name. */
    float bad[16];
    for (int j = 0; j < 16; j++) bad[j] = 1.0f;
    bad[3] = 0.5f;
    ck_assert_int_eq(nn_net_set_mask(net, "bn1.weight", bad, &err), EM_EINVAL);
    ck_assert(strstr(err.msg, "0.5"));
    ck_assert_int_eq(nn_net_set_mask(net, "bn1.running_mean", NULL, &err), EM_EINVAL);
    ck_assert_int_eq(nn_net_set_mask(net, "nope.weight", NULL, &err), EM_EINVAL);
    ck_assert(strstr(err.msg, "nope.weight"));
    nn_net_clear_masks(net);
    ck_assert_ptr_null(nn_net_find_param(net, "conv1.weight")->mask);
    free(x);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

static double max_rel(const float *a, const float *b, size_t n)
{
    double md = 0.0, mb = 0.0;
    for (size_t i = 0; i < n; i++) {
        md = fmax(md, fabs((double)a[i] - b[i]));
        mb = fmax(mb, fabs((double)b[i]));
    }
    return md / mb;
}

static void fold_case(const char *model, int expect_folded)
{
    nn_arch *a = load(model);
    nn_net *net = make_net(a, 8);
    randomize_bn(net, 9);
    em_error err = {0};
    const int n = 3;
    float *x = random_floats(input_numel(a, n), 10);
    size_t nl = (size_t)n * a->classes;
    float *before = malloc(nl * sizeof(float)), *after = malloc(nl * sizeof(float));
    ck_assert_int_eq(nn_net_forward(net, x, n, before, false, &err), 0);
    int folded = -1;
    ck_assert_int_eq(nn_net_fold_bn(net, &folded, &err), 0);
    ck_assert_int_eq(folded, expect_folded);
    ck_assert(nn_net_is_folded(net) == (expect_folded > 0));
    ck_assert_int_eq(nn_net_forward(net, x, n, after, false, &err), 0);
    double e = max_rel(after, before, nl);
    ck_assert_msg(e < 1e-5, "%s: folded vs unfolded relative error %.3g", model, e);
    if (expect_folded) {
        ck_assert_int_eq(nn_net_forward(net, x, n, after, true, &err), EM_EINVAL);
        ck_assert(strstr(err.msg, "inference-only"));
        ck_assert_int_eq(nn_net_backward(net, after, NULL, &err), EM_EINVAL);
    }
    free(x);
    free(before);
    free(after);
    nn_net_free(net);
    nn_arch_free(a);
}

START_TEST(fold_bn_equals_unfolded)
{
    fold_case("resnet20", 21);
    fold_case("mobilenet_v1", 27);
    fold_case("lenet5", 0);
}
END_TEST

/* Logits and every gradient are bit-identical for 1 to 4 threads (train mode, then
 * an eval forward), whichever kernel OpenBLAS picks (.ci/run runs this suite under
 * several OPENBLAS_CORETYPE values). The batches are big enough for the layers to
 * use threads (small layers run serially), including the column-split path (few
 * images), the output-channel split (one image of a wide layer) and image-by-image
 * eval (n >= 8). */
static void determinism_case(nn_arch *a, int n)
{
    em_error err = {0};
    float *x = random_floats(input_numel(a, n), 12);
    int *labels = malloc((size_t)n * sizeof *labels);
    for (int i = 0; i < n; i++) labels[i] = i % a->classes;
    size_t nl = (size_t)n * a->classes, nx = input_numel(a, n);
    float *ref_logits = NULL, *ref_eval = NULL, *ref_dx = NULL, *ref_grad = NULL;
    for (int t = 1; t <= 4; t++) {
        nn_net *net = make_net(a, 13);
        randomize_bn(net, 14);
        nn_net_set_threads(net, t);
        ck_assert_int_eq(nn_net_threads(net), t);
        float *logits = malloc(nl * sizeof(float)), *dl = malloc(nl * sizeof(float));
        float *ev = malloc(nl * sizeof(float)), *dx = malloc(nx * sizeof(float));
        nn_net_zero_grad(net);
        ck_assert_int_eq(nn_net_forward(net, x, n, logits, true, &err), 0);
        nn_softmax_xent(logits, labels, n, a->classes, dl);
        ck_assert_int_eq(nn_net_backward(net, dl, dx, &err), 0);
        ck_assert_int_eq(nn_net_forward(net, x, n, ev, false, &err), 0);
        int64_t tn = nn_net_trainable_numel(net);
        float *grad = malloc((size_t)tn * sizeof(float)), *g = grad;
        for (int i = 0; i < nn_net_param_count(net); i++) {
            nn_param *p = nn_net_param(net, i);
            if (!p->trainable) continue;
            memcpy(g, p->grad, (size_t)p->numel * sizeof(float));
            g += p->numel;
        }
        if (t == 1) {
            ref_logits = logits;
            ref_eval = ev;
            ref_dx = dx;
            ref_grad = grad;
        } else {
            ck_assert_msg(memcmp(logits, ref_logits, nl * sizeof(float)) == 0,
                          "%s n=%d: train logits differ with %d threads", a->name, n, t);
            ck_assert_msg(memcmp(ev, ref_eval, nl * sizeof(float)) == 0,
                          "%s n=%d: eval logits differ with %d threads", a->name, n, t);
            ck_assert(memcmp(dx, ref_dx, nx * sizeof(float)) == 0);
            ck_assert_msg(memcmp(grad, ref_grad, (size_t)tn * sizeof(float)) == 0,
                          "%s n=%d: gradients differ with %d threads", a->name, n, t);
            free(logits);
            free(ev);
            free(dx);
            free(grad);
        }
        free(dl);
        nn_net_free(net);
    }
    free(ref_logits);
    free(ref_eval);
    free(ref_dx);
    free(ref_grad);
    free(labels);
    free(x);
}

START_TEST(deterministic_across_threads)
{
    nn_arch *a = NULL;
    em_error err = {0};
    ck_assert_int_eq(nn_arch_load(tu_path("fixtures/nn_a_train.yaml"), &a, &err), 0);
    determinism_case(a, 48);
    nn_arch_free(a);
    a = load("resnet20");
    determinism_case(a, 1);
    determinism_case(a, 2);
    determinism_case(a, 3);
    determinism_case(a, 9);
    nn_arch_free(a);
    /* 256 output channels over 64 pixels: one image splits its channels. */
    const char *wide = "name: wide\ninput: [64, 8, 8]\nclasses: 10\nlayers:\n"
                       "  - {name: c1, type: conv, out: 256, kernel: 3, pad: 1}\n"
                       "  - {name: b1, type: bn}\n"
                       "  - {name: r1, type: relu}\n"
                       "  - {name: g, type: gap}\n"
                       "  - {name: f, type: flatten}\n"
                       "  - {name: fc, type: linear, out: 10}\n";
    ck_assert_int_eq(nn_arch_parse(wide, "wide", &a, &err), 0);
    determinism_case(a, 1);
    determinism_case(a, 2);
    nn_arch_free(a);
}
END_TEST

/* Eval image by image (default for small nets) and layer by layer (keep_activations)
 * give the same logits and layer outputs (to float rounding). */
START_TEST(eval_paths_agree)
{
    nn_arch *a = load("resnet20");
    nn_net *net = make_net(a, 21);
    randomize_bn(net, 22);
    nn_net_set_threads(net, 2);
    em_error err = {0};
    const int n = 3, k = nn_arch_find(a, "s2b1_add");
    ck_assert_int_ge(k, 0);
    const size_t ksz = (size_t)n * a->layers[k].out.c * a->layers[k].out.h * a->layers[k].out.w;
    float *x = random_floats(input_numel(a, n), 23);
    float l1[30], l2[30];
    float *o1 = malloc(ksz * sizeof(float));
    ck_assert_int_eq(nn_net_forward(net, x, n, l1, false, &err), 0);
    const float *o = nn_net_layer_output(net, k); /* recomputed */
    ck_assert_ptr_nonnull(o);
    memcpy(o1, o, ksz * sizeof(float));
    nn_net_set_keep_activations(net, true);
    ck_assert_int_eq(nn_net_forward(net, x, n, l2, false, &err), 0);
    ck_assert(max_rel(l1, l2, 30) < 1e-6);
    ck_assert(max_rel(o1, nn_net_layer_output(net, k), ksz) < 1e-6);
    /* The add's output is rectified (its ReLU is fused): no negative entries. */
    for (size_t i = 0; i < ksz; i++) ck_assert(o1[i] >= 0.0f);
    free(o1);
    free(x);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

START_TEST(dropout_train_and_eval)
{
    const char *yaml = "name: d\ninput: [1, 100, 100]\nclasses: 10000\nlayers:\n"
                       "  - {name: d, type: dropout, p: 0.3}\n";
    em_error err = {0};
    nn_arch *a = NULL;
    ck_assert_int_eq(nn_arch_parse(yaml, "dropout", &a, &err), 0);
    nn_net *net = make_net(a, 1);
    const int n = 2, m = 10000;
    float *x = malloc((size_t)n * m * sizeof(float)), *y = malloc((size_t)n * m * sizeof(float));
    float *y2 = malloc((size_t)n * m * sizeof(float)), *dx = malloc((size_t)n * m * sizeof(float));
    for (int i = 0; i < n * m; i++) x[i] = 1.0f + (float)(i % 7);
    nn_net_seed_dropout(net, 77);
    ck_assert_int_eq(nn_net_forward(net, x, n, y, true, &err), 0);
    int zeros = 0;
    for (int i = 0; i < n * m; i++) {
        if (y[i] == 0.0f) zeros++;
        else ck_assert_close(y[i], x[i] / 0.7, 1e-6, 0);
    }
    /* Binomial(20000, 0.3): sd 65. */
    ck_assert_int_lt(abs(zeros - 6000), 400);
    ck_assert_int_eq(nn_net_backward(net, x, dx, &err), 0); /* dL/dy = x */
    for (int i = 0; i < n * m; i++) ck_assert_close(dx[i], y[i] == 0.0f ? 0.0 : x[i] / 0.7, 1e-6, 0);
    nn_net_seed_dropout(net, 77);
    ck_assert_int_eq(nn_net_forward(net, x, n, y2, true, &err), 0);
    ck_assert(memcmp(y, y2, (size_t)n * m * sizeof(float)) == 0);
    ck_assert_int_eq(nn_net_forward(net, x, n, y2, true, &err), 0); /* fresh masks */
    ck_assert(memcmp(y, y2, (size_t)n * m * sizeof(float)) != 0);
    ck_assert_int_eq(nn_net_forward(net, x, n, y2, false, &err), 0);
    ck_assert(memcmp(x, y2, (size_t)n * m * sizeof(float)) == 0);
    free(x);
    free(y);
    free(y2);
    free(dx);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

/* Max pooling propagates NaN from any position of the window, in the 2x2 fast path
 * and the general path (3x3), like PyTorch; other windows are unaffected. */
START_TEST(maxpool_propagates_nan)
{
    for (int k = 2; k <= 3; k++) {
        char yaml[200];
        snprintf(yaml, sizeof yaml, "name: p\ninput: [1, %d, %d]\nclasses: 4\nlayers:\n"
                 "  - {name: p, type: maxpool, kernel: %d, stride: %d}\n", 2 * k, 2 * k, k, k);
        em_error err = {0};
        nn_arch *a = NULL;
        ck_assert_int_eq(nn_arch_parse(yaml, "maxpool", &a, &err), 0);
        nn_net *net = make_net(a, 1);
        for (int pos = 0; pos < k * k; pos++) {
            float x[36], y[4];
            for (int i = 0; i < 4 * k * k; i++) x[i] = (float)i;
            x[(pos / k) * 2 * k + pos % k] = NAN; /* in the top-left window */
            ck_assert_int_eq(nn_net_forward(net, x, 1, y, false, &err), 0);
            ck_assert_msg(isnan(y[0]), "kernel %d, NaN at %d: got %g", k, pos, y[0]);
            ck_assert_float_eq(y[1], x[(k - 1) * 2 * k + 2 * k - 1]);
            ck_assert_float_eq(y[3], x[4 * k * k - 1]);
        }
        nn_net_free(net);
        nn_arch_free(a);
    }
}
END_TEST

START_TEST(softmax_xent_hand_cases)
{
    /* Two equal logits: loss ln 2; dlogits (softmax - onehot)/n. */
    float z[4] = {0, 0, 3, 1}, d[4];
    int lab[2] = {0, 1};
    double L = nn_softmax_xent(z, lab, 2, 2, d);
    /* Row 2: softmax(3,1) = (e^2/(1+e^2), 1/(1+e^2)); loss -log(1/(1+e^2)) = log(1+e^2). */
    double l2 = log(1.0 + exp(2.0));
    ck_assert_close(L, (log(2.0) + l2) / 2, 1e-12, 0);
    ck_assert_close(d[0], -0.25, 1e-7, 0);
    ck_assert_close(d[1], 0.25, 1e-7, 0);
    ck_assert_close(d[2], exp(2.0) / (1 + exp(2.0)) / 2, 1e-6, 0);
    ck_assert_close(d[3], (1.0 / (1 + exp(2.0)) - 1.0) / 2, 1e-6, 0);
    /* Large logits do not overflow. */
    float big[2] = {1000.0f, 0.0f};
    int l0 = 1;
    ck_assert_close(nn_softmax_xent(big, &l0, 1, 2, NULL), 1000.0, 1e-9, 0);
    int bad = 2;
    ck_assert(isnan(nn_softmax_xent(z, &bad, 1, 2, NULL)));
    ck_assert_int_eq(nn_argmax(z + 2, 2), 0);
    float tie[3] = {1, 5, 5};
    ck_assert_int_eq(nn_argmax(tie, 3), 1);
}
END_TEST

START_TEST(bad_calls_are_refused)
{
    nn_arch *a = load("resnet20");
    nn_net *net = make_net(a, 1);
    em_error err = {0};
    float logits[10], x1[3 * 32 * 32] = {0};
    ck_assert_int_eq(nn_net_backward(net, logits, NULL, &err), EM_EINVAL);
    ck_assert(strstr(err.msg, "no forward"));
    ck_assert_int_eq(nn_net_forward(net, x1, 0, logits, false, &err), EM_EINVAL);
    ck_assert_ptr_null(nn_net_layer_output(net, 0));
    nn_net_free(net);
    nn_arch_free(a);
    /* A hand-edited arch whose shapes do not add up is refused, not trusted. */
    a = load("lenet5");
    a->layers[3].out_channels = 17; /* conv2: 16 filters in its out shape */
    nn_net *bad = NULL;
    ck_assert_int_eq(nn_net_new(a, &bad, &err), EM_EINVAL);
    ck_assert_ptr_null(bad);
    ck_assert(strstr(err.msg, "conv2"));
    a->layers[3].out_channels = 16;
    a->layers[4].src[0] = 7; /* relu2 reading a later layer */
    ck_assert_int_eq(nn_net_new(a, &bad, &err), EM_EINVAL);
    ck_assert(strstr(err.msg, "relu2"));
    nn_arch_free(a);
    /* Train-mode BN with one value per channel: an error, not a division by zero. */
    const char *yaml = "name: b\ninput: [4, 1, 1]\nclasses: 4\nlayers:\n  - {name: bn, type: bn}\n";
    ck_assert_int_eq(nn_arch_parse(yaml, "bn1x1", &a, &err), 0);
    net = make_net(a, 1);
    float in[4] = {1, 2, 3, 4}, out[4];
    ck_assert_int_eq(nn_net_forward(net, in, 1, out, true, &err), EM_EINVAL);
    ck_assert(strstr(err.msg, "'bn'"));
    ck_assert_int_eq(nn_net_forward(net, in, 1, out, false, &err), 0);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

/* Every zoo architecture runs forward and backward with finite results, and the
 * input gradient is non-zero. */
START_TEST(zoo_models_run)
{
    const char *models[] = {"lenet5", "resnet20", "mobilenet_v1"};
    for (int k = 0; k < 3; k++) {
        nn_arch *a = load(models[k]);
        nn_net *net = make_net(a, 2);
        em_error err = {0};
        const int n = 2;
        float *x = random_floats(input_numel(a, n), 3);
        float *dx = malloc(input_numel(a, n) * sizeof(float));
        float *logits = malloc((size_t)n * a->classes * sizeof(float));
        float *dl = malloc((size_t)n * a->classes * sizeof(float));
        int labels[2] = {3, 7};
        ck_assert_int_eq(nn_net_forward(net, x, n, logits, true, &err), 0);
        double L = nn_softmax_xent(logits, labels, n, a->classes, dl);
        ck_assert_msg(isfinite(L) && L > 0, "%s: loss %g", models[k], L);
        ck_assert_int_eq(nn_net_backward(net, dl, dx, &err), 0);
        double s = 0;
        for (size_t i = 0; i < input_numel(a, n); i++) s += fabs(dx[i]);
        ck_assert_msg(isfinite(s) && s > 0, "%s: |dx| = %g", models[k], s);
        free(x);
        free(dx);
        free(logits);
        free(dl);
        nn_net_free(net);
        nn_arch_free(a);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nn_core");
    TCase *api = tcase_create("api");
    tcase_set_timeout(api, 120);
    tcase_add_test(api, names_and_shapes);
    tcase_add_test(api, init_is_kaiming_uniform_and_seeded);
    tcase_add_test(api, masks_keep_pruned_weights_zero);
    tcase_add_test(api, dropout_train_and_eval);
    tcase_add_test(api, maxpool_propagates_nan);
    tcase_add_test(api, softmax_xent_hand_cases);
    tcase_add_test(api, bad_calls_are_refused);
    suite_add_tcase(s, api);
    TCase *fold = tcase_create("fold");
    tcase_set_timeout(fold, 120);
    tcase_add_test(fold, fold_bn_equals_unfolded);
    suite_add_tcase(s, fold);
    TCase *thr = tcase_create("threads");
    tcase_set_timeout(thr, 120);
    tcase_add_test(thr, deterministic_across_threads);
    tcase_add_test(thr, eval_paths_agree);
    suite_add_tcase(s, thr);
    TCase *zoo = tcase_create("zoo");
    tcase_set_timeout(zoo, 120);
    tcase_add_test(zoo, zoo_models_run);
    suite_add_tcase(s, zoo);
    return tu_run_suite(s);
}
