/* tests/test_nn_grad.c: finite-difference gradient checks, one network per layer kind.
 *
 * Each network feeds the input straight into the layer under test, followed by a
 * linear layer to the classes. The loss is L = sum_k r_k * logits_k for a fixed
 * random r (so dL/dlogits = r), summed in double. For every input element and every
 * trainable parameter element, the analytic gradient from nn_net_backward is
 * compared with the central difference (L(t+h) - L(t-h)) / 2h, h = 1e-2, to
 *     |analytic - numeric| <= 2e-3 + 1e-2 * max(|analytic|, |numeric|).
 * Inputs are chosen away from kinks: ReLU inputs have |x| >= 0.1 and max-pool
 * inputs are distinct values 0.05 apart, so no step of h crosses a kink. Dropout is
 * checked with the same mask on every forward (its generator is reseeded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "nn/net.h"
#include "tests/testutil.h"

#define H 1e-2f

typedef enum { IN_NORMAL, IN_AWAY_FROM_ZERO, IN_DISTINCT } input_kind;

typedef struct grad_case {
    const char *what;
    const char *input;  /* "c, h, w" */
    const char *layers; /* YAML lines before the final linear */
    int n;
    bool train;
    input_kind ik;
} grad_case;

static const grad_case cases[] = {
    {"conv", "3, 6, 5", "  - {name: c, type: conv, out: 4, kernel: 3, pad: 1}\n", 2, true, IN_NORMAL},
    {"conv stride 2 groups", "4, 7, 6",
     "  - {name: c, type: conv, out: 6, kernel: [3, 2], stride: 2, pad: 1, groups: 2}\n", 2, true,
     IN_NORMAL},
    {"depthwise", "3, 6, 6",
     "  - {name: c, type: conv, out: 6, kernel: 3, stride: 2, pad: 1, groups: 3, bias: false}\n",
     2, true, IN_NORMAL},
    {"conv 1x1", "4, 3, 3", "  - {name: c, type: conv, out: 5, kernel: 1}\n", 2, true, IN_NORMAL},
    {"relu", "2, 4, 4", "  - {name: r, type: relu}\n", 2, true, IN_AWAY_FROM_ZERO},
    {"maxpool", "2, 6, 5", "  - {name: p, type: maxpool, kernel: 3, stride: 2, pad: 1}\n", 2, true,
     IN_DISTINCT},
    {"avgpool", "2, 6, 5", "  - {name: p, type: avgpool, kernel: 2, stride: 1, pad: 1}\n", 2, true,
     IN_NORMAL},
    {"gap", "3, 4, 5", "  - {name: g, type: gap}\n", 2, true, IN_NORMAL},
    {"bn train", "3, 3, 4", "  - {name: b, type: bn}\n", 3, true, IN_NORMAL},
    {"bn eval", "3, 3, 4", "  - {name: b, type: bn}\n", 2, false, IN_NORMAL},
    {"add", "2, 3, 3",
     "  - {name: c, type: conv, out: 2, kernel: 3, pad: 1}\n"
     "  - {name: s, type: add, from: [c, input]}\n", 2, true, IN_NORMAL},
    {"flatten", "2, 3, 3", "  - {name: f, type: flatten}\n", 2, true, IN_NORMAL},
    {"dropout", "2, 3, 3", "  - {name: d, type: dropout, p: 0.4}\n", 2, true, IN_NORMAL},
    {"linear", "3, 2, 2", "  - {name: l, type: linear, out: 6}\n", 3, true, IN_NORMAL},
    /* A layer nobody reads: its gradients are exactly zero, and backward skips it. */
    {"dead branch", "2, 4, 4",
     "  - {name: a, type: conv, out: 2, kernel: 3}\n"
     "  - {name: dead, type: conv, out: 3, kernel: 1, from: input}\n"
     "  - {name: p, type: maxpool, kernel: 2, from: a}\n", 2, true, IN_NORMAL},
};

static double loss_of(nn_net *net, const float *x, int n, const float *r, float *logits,
                      int classes, bool train)
{
    em_error err = {0};
    nn_net_seed_dropout(net, 99);
    ck_assert_int_eq(nn_net_forward(net, x, n, logits, train, &err), 0);
    double L = 0.0;
    for (int i = 0; i < n * classes; i++) L += (double)r[i] * logits[i];
    return L;
}

static void check(const char *what, const char *name, int idx, double an, double nu)
{
    double tol = 2e-3 + 1e-2 * fmax(fabs(an), fabs(nu));
    ck_assert_msg(fabs(an - nu) <= tol, "%s: %s[%d]: analytic %.6g, numeric %.6g", what, name,
                  idx, an, nu);
}

START_TEST(finite_differences)
{
    const grad_case *gc = &cases[_i];
    const int classes = 3;
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "name: g\ninput: [%s]\nclasses: %d\nlayers:\n%s"
             "  - {name: out, type: linear, out: %d}\n", gc->input, classes, gc->layers, classes);
    em_error err = {0};
    nn_arch *a = NULL;
    int rc = nn_arch_parse(yaml, gc->what, &a, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_net_set_threads(net, 2);
    nn_net_init(net, 5 + (uint64_t)_i);
    em_rng r;
    em_rng_seed(&r, 11 + (uint64_t)_i);
    /* BN: non-trivial affine parameters and running statistics. */
    for (int i = 0; i < nn_net_param_count(net); i++) {
        nn_param *p = nn_net_param(net, i);
        if (nn_net_arch(net)->layers[p->layer].kind != NN_L_BN) continue;
        for (int64_t j = 0; j < p->numel; j++)
            p->data[j] = (float)(strstr(p->name, "mean") || strstr(p->name, "bias")
                                     ? 0.3 * em_rng_normal(&r)
                                     : 0.5 + em_rng_uniform(&r));
    }
    const int n = gc->n;
    const size_t nx = (size_t)n * a->input.c * a->input.h * a->input.w;
    float *x = malloc(nx * sizeof(float)), *dx = malloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; i++) {
        double v = em_rng_normal(&r);
        if (gc->ik == IN_AWAY_FROM_ZERO) v = (v >= 0 ? 0.1 + v : -0.1 + v);
        x[i] = (float)v;
    }
    if (gc->ik == IN_DISTINCT) {
        uint32_t *perm = malloc(nx * sizeof *perm);
        for (size_t i = 0; i < nx; i++) perm[i] = (uint32_t)i;
        em_rng_shuffle_u32(&r, perm, (uint32_t)nx);
        for (size_t i = 0; i < nx; i++) x[i] = 0.05f * ((float)perm[i] - (float)nx / 2);
        free(perm);
    }
    float *rv = malloc((size_t)n * classes * sizeof(float));
    float *logits = malloc((size_t)n * classes * sizeof(float));
    for (int i = 0; i < n * classes; i++) rv[i] = (float)em_rng_normal(&r);

    /* Analytic. BN running stats change with each train forward; they do not
     * affect train-mode outputs, and eval mode does not change them. */
    nn_net_zero_grad(net);
    loss_of(net, x, n, rv, logits, classes, gc->train);
    ck_assert_int_eq(nn_net_backward(net, rv, dx, &err), 0);

    for (size_t i = 0; i < nx; i++) {
        float keep = x[i];
        x[i] = keep + H;
        double lp = loss_of(net, x, n, rv, logits, classes, gc->train);
        x[i] = keep - H;
        double lm = loss_of(net, x, n, rv, logits, classes, gc->train);
        x[i] = keep;
        check(gc->what, "input", (int)i, dx[i], (lp - lm) / (2.0 * H));
    }
    for (int pi = 0; pi < nn_net_param_count(net); pi++) {
        nn_param *p = nn_net_param(net, pi);
        if (!p->trainable) continue;
        for (int64_t j = 0; j < p->numel; j++) {
            float keep = p->data[j];
            p->data[j] = keep + H;
            double lp = loss_of(net, x, n, rv, logits, classes, gc->train);
            p->data[j] = keep - H;
            double lm = loss_of(net, x, n, rv, logits, classes, gc->train);
            p->data[j] = keep;
            check(gc->what, p->name, (int)j, p->grad[j], (lp - lm) / (2.0 * H));
        }
    }
    free(x);
    free(dx);
    free(rv);
    free(logits);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nn_grad");
    TCase *tc = tcase_create("fd");
    tcase_add_loop_test(tc, finite_differences, 0, (int)(sizeof cases / sizeof *cases));
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
