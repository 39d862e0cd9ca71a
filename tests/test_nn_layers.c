/* tests/test_nn_layers.c: the GEMM convolution against a naive six-loop convolution.
 *
 * Each case is a one-layer network (conv as the last layer, so its output is the
 * logits and dlogits is dL/dy). Oracle: direct loops over image, output channel,
 * output row, output column, input channel of the group, kernel row and column,
 * accumulated in double, for the forward output, dL/dw, dL/dbias and dL/dx. Odd
 * shapes: non-square inputs and kernels, stride 2 and 3, padding, groups, depthwise
 * (with channel multiplier), 1x1 convs with and without stride; batch 1 (split over
 * output pixels) and batch 3 (split over images), 1 and 2 threads. The 3x3 stride-1
 * cases with 8 or more input channels and enough pixels in the batch (1024; here the
 * batch of 7, and case 9 from batch 3) run the forward by Winograd
 * F(2x2, 3x3) (nn/winograd.c): odd output sizes (partial tiles), padding 0, 1 and 2,
 * and work items whose tiles run from one image into the next. A 4x4 map at batch 1
 * with 2 threads splits by output channels (64 + 56). The output is checked
 * in train mode (layer by layer) and eval mode (image by image).
 * Metric: max |engine - naive| <= 1e-5 * max |naive| per tensor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "nn/net.h"
#include "tests/testutil.h"

typedef struct conv_case {
    int ci, hi, wi, co, kh, kw, stride, pad, groups;
    bool bias;
} conv_case;

static const conv_case cases[] = {
    {3, 7, 5, 4, 3, 3, 1, 1, 1, true},
    {4, 9, 6, 6, 3, 2, 2, 1, 2, true},   /* non-square kernel, stride 2, groups 2 */
    {5, 8, 7, 5, 3, 3, 2, 1, 5, false},  /* depthwise, stride 2 */
    {4, 6, 6, 8, 3, 3, 1, 1, 4, true},   /* depthwise with multiplier 2 */
    {6, 5, 5, 8, 1, 1, 1, 0, 2, true},   /* 1x1 grouped: plain GEMM path */
    {4, 6, 7, 8, 1, 1, 2, 0, 1, false},  /* 1x1 stride 2: im2col path */
    {3, 11, 4, 2, 5, 3, 3, 2, 1, true},  /* stride 3, pad 2, tall input */
    {2, 4, 4, 3, 4, 4, 1, 0, 1, true},   /* kernel as large as the input */
    {8, 17, 19, 16, 3, 3, 1, 1, 1, true}, /* many pixels */
    {16, 24, 24, 8, 3, 3, 1, 1, 1, true}, /* im2col larger than one L2 chunk */
    {8, 14, 15, 12, 3, 3, 1, 1, 1, true}, /* Winograd (batch 7): odd width, items span images */
    {9, 18, 17, 10, 3, 3, 1, 0, 1, false}, /* Winograd, no padding: 16x15 output */
    {8, 13, 14, 8, 3, 3, 1, 2, 1, true},  /* Winograd, pad 2: 15x16 output */
    {64, 4, 4, 120, 3, 3, 1, 1, 1, true}, /* 1.1 M MACs at batch 1: threads split channels */
};

static double max_abs(const double *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i]) > m) m = fabs(a[i]);
    return m;
}

static void expect_close(const float *got, const double *ref, size_t n, const char *what, int k)
{
    double scale = max_abs(ref, n), md = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - ref[i]);
        if (d > md || d != d) md = d;
    }
    ck_assert_msg(md <= 1e-5 * (scale > 0 ? scale : 1.0), "case %d: %s: max error %.3g (scale %.3g)",
                  k, what, md, scale);
}

static void run_case(int k, int n, int threads)
{
    const conv_case *c = &cases[k];
    int ho = (c->hi + 2 * c->pad - c->kh) / c->stride + 1;
    int wo = (c->wi + 2 * c->pad - c->kw) / c->stride + 1;
    int cig = c->ci / c->groups, cog = c->co / c->groups;
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "name: conv%d\ninput: [%d, %d, %d]\nclasses: %d\nlayers:\n"
             "  - {name: c, type: conv, out: %d, kernel: [%d, %d], stride: %d, pad: %d, "
             "groups: %d, bias: %s}\n",
             k, c->ci, c->hi, c->wi, c->co * ho * wo, c->co, c->kh, c->kw, c->stride, c->pad,
             c->groups, c->bias ? "true" : "false");
    em_error err = {0};
    nn_arch *a = NULL;
    int rc = nn_arch_parse(yaml, "conv case", &a, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_net_set_threads(net, threads);
    nn_net_init(net, 100 + (uint64_t)k);
    nn_param *w = nn_net_find_param(net, "c.weight"), *b = nn_net_find_param(net, "c.bias");
    ck_assert_ptr_nonnull(w);
    ck_assert(c->bias == (b != NULL));

    em_rng r;
    em_rng_seed(&r, 7 + (uint64_t)k);
    size_t nx = (size_t)n * c->ci * c->hi * c->wi, ny = (size_t)n * c->co * ho * wo;
    float *x = malloc(nx * sizeof(float)), *y = malloc(ny * sizeof(float));
    float *dy = malloc(ny * sizeof(float)), *dx = malloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; i++) x[i] = (float)em_rng_normal(&r);
    for (size_t i = 0; i < ny; i++) dy[i] = (float)em_rng_normal(&r);

    nn_net_zero_grad(net);
    ck_assert_int_eq(nn_net_forward(net, x, n, y, true, &err), 0);
    ck_assert_int_eq(nn_net_backward(net, dy, dx, &err), 0);

    /* The naive oracle. */
    double *ry = calloc(ny, sizeof(double)), *rdx = calloc(nx, sizeof(double));
    double *rdw = calloc((size_t)w->numel, sizeof(double)), *rdb = calloc((size_t)c->co, sizeof(double));
    for (int i = 0; i < n; i++)
        for (int o = 0; o < c->co; o++) {
            int g = o / cog;
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    size_t yi = (((size_t)i * c->co + o) * ho + oy) * wo + ox;
                    double acc = b ? b->data[o] : 0.0;
                    for (int q = 0; q < cig; q++)
                        for (int ky = 0; ky < c->kh; ky++)
                            for (int kx = 0; kx < c->kw; kx++) {
                                int iy = oy * c->stride - c->pad + ky;
                                int ix = ox * c->stride - c->pad + kx;
                                if (iy < 0 || iy >= c->hi || ix < 0 || ix >= c->wi) continue;
                                size_t xi = (((size_t)i * c->ci + g * cig + q) * c->hi + iy) *
                                                c->wi + ix;
                                size_t wi = (((size_t)o * cig + q) * c->kh + ky) * c->kw + kx;
                                acc += (double)w->data[wi] * x[xi];
                                rdw[wi] += (double)dy[yi] * x[xi];
                                rdx[xi] += (double)dy[yi] * w->data[wi];
                            }
                    ry[yi] = acc;
                    rdb[o] += dy[yi];
                }
        }
    expect_close(y, ry, ny, "output", k);
    ck_assert_int_eq(nn_net_forward(net, x, n, y, false, &err), 0);
    expect_close(y, ry, ny, "eval output", k);
    expect_close(w->grad, rdw, (size_t)w->numel, "dW", k);
    if (b) expect_close(b->grad, rdb, (size_t)c->co, "dbias", k);
    expect_close(dx, rdx, nx, "dx", k);
    free(ry);
    free(rdx);
    free(rdw);
    free(rdb);
    free(x);
    free(y);
    free(dy);
    free(dx);
    nn_net_free(net);
    nn_arch_free(a);
}

START_TEST(conv_vs_naive)
{
    int k = _i;
    run_case(k, 1, 1);
    run_case(k, 1, 2);
    run_case(k, 3, 1);
    run_case(k, 3, 2);
    run_case(k, 7, 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nn_layers");
    TCase *tc = tcase_create("conv");
    tcase_add_loop_test(tc, conv_vs_naive, 0, (int)(sizeof cases / sizeof *cases));
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
