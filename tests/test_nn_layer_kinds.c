/* tests/test_nn_layer_kinds.c: every non-conv layer kind of the engine
 * (nn/layer_linear.c, layer_pool.c, layer_bn.c, layer_elementwise.c) against direct
 * loops written here (tests/test_nn_layers.c does the same for conv).
 *
 * Each case is a small network whose last layer is the one under test (so its output
 * is the logits and dlogits is dL/dy), run forward and backward in train mode and
 * forward in eval mode, for batches 1, 3 and 40 (40 >= NN_SPLIT_WIDTH: the eval
 * forward goes image by image; the linear case then crosses its 32-image and
 * 256-feature GEMM blocks and, with 1500 inputs, the 1024-column backward blocks)
 * and 1 and 2 threads. Oracle: the textbook definition in double (BN's input
 * gradient in the form dx = invstd/M (M g - sum g - xhat sum g xhat), g = gamma dy,
 * not the engine's). Shapes: odd sizes, non-square windows, strides 1 to 3, padding;
 * the 2x2 stride-2 max pool (the engine's branch-free path) and general windows.
 * Metric: max |engine - naive| <= 1e-5 * max |naive| per tensor (float GEMMs of 1500
 * terms are off by about 1e-6 relative). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "nn/net.h"
#include "spec/arch.h"
#include "tests/testutil.h"

typedef struct run {
    nn_arch *a;
    nn_net *net;
    int n;
    size_t nx, ny;
    float *x, *dy, *y, *dx, *y_eval;
    float **p0; /* every parameter as set, before the train forward */
} run;

static void expect_close(const float *got, const double *ref, size_t n, const char *what,
                         const char *name)
{
    double scale = 0.0, md = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(ref[i]) > scale) scale = fabs(ref[i]);
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - ref[i]);
        if (d > md || d != d) md = d;
    }
    ck_assert_msg(md <= 1e-5 * (scale > 0 ? scale : 1.0), "%s: %s: max error %.3g (scale %.3g)",
                  name, what, md, scale);
}

/* Builds the network of `layers` (YAML list items) on input c x h x w with `classes`
 * outputs, sets every parameter to seeded normal values (BN variances in [0.5, 1.5)),
 * and runs it on n random images (normal values times xscale): train forward,
 * backward with dy, then an eval forward (y_eval). */
static run run_net_scaled(const char *name, int c, int h, int w, int classes,
                          const char *layers, int n, int threads, double xscale)
{
    run r = {0};
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "name: %s\ninput: [%d, %d, %d]\nclasses: %d\nlayers:\n%s", name,
             c, h, w, classes, layers);
    em_error err = {0};
    ck_assert_msg(nn_arch_parse(yaml, name, &r.a, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(nn_net_new(r.a, &r.net, &err), 0);
    nn_net_set_threads(r.net, threads);
    em_rng g;
    em_rng_seed(&g, 11);
    for (int i = 0; i < nn_net_param_count(r.net); i++) {
        nn_param *p = nn_net_param(r.net, i);
        bool var = strstr(p->name, "running_var") != NULL;
        for (int64_t j = 0; j < p->numel; j++)
            p->data[j] = var ? (float)(0.5 + em_rng_uniform(&g)) : (float)em_rng_normal(&g);
    }
    r.p0 = calloc((size_t)nn_net_param_count(r.net), sizeof *r.p0);
    for (int i = 0; i < nn_net_param_count(r.net); i++) {
        nn_param *p = nn_net_param(r.net, i);
        r.p0[i] = malloc((size_t)p->numel * sizeof(float));
        memcpy(r.p0[i], p->data, (size_t)p->numel * sizeof(float));
    }
    r.n = n;
    r.nx = (size_t)n * c * h * w;
    r.ny = (size_t)n * r.a->classes;
    r.x = malloc(r.nx * sizeof(float));
    r.dx = malloc(r.nx * sizeof(float));
    r.y = malloc(r.ny * sizeof(float));
    r.dy = malloc(r.ny * sizeof(float));
    r.y_eval = malloc(r.ny * sizeof(float));
    for (size_t i = 0; i < r.nx; i++) r.x[i] = (float)(xscale * em_rng_normal(&g));
    for (size_t i = 0; i < r.ny; i++) r.dy[i] = (float)em_rng_normal(&g);
    nn_net_zero_grad(r.net);
    ck_assert_int_eq(nn_net_forward(r.net, r.x, n, r.y, true, &err), 0);
    ck_assert_int_eq(nn_net_backward(r.net, r.dy, r.dx, &err), 0);
    ck_assert_int_eq(nn_net_forward(r.net, r.x, n, r.y_eval, false, &err), 0);
    return r;
}

static run run_net(const char *name, int c, int h, int w, int classes, const char *layers,
                   int n, int threads)
{
    return run_net_scaled(name, c, h, w, classes, layers, n, threads, 1.0);
}

/* A parameter's values before the train forward. */
static const float *param0(const run *r, const char *name)
{
    for (int i = 0; i < nn_net_param_count(r->net); i++)
        if (!strcmp(nn_net_param(r->net, i)->name, name)) return r->p0[i];
    ck_abort_msg("no parameter %s", name);
    return NULL;
}

static void run_free(run *r)
{
    for (int i = 0; i < nn_net_param_count(r->net); i++) free(r->p0[i]);
    free(r->p0);
    free(r->x);
    free(r->dx);
    free(r->y);
    free(r->dy);
    free(r->y_eval);
    nn_net_free(r->net);
    nn_arch_free(r->a);
}

/* The run's train output, eval output and dx against the references y and dx (the
 * layer computes the same in train and eval), then frees y, dx and the run. */
static void expect_run_and_free(run *r, double *y, double *dx, const char *name)
{
    expect_close(r->y, y, r->ny, "output", name);
    expect_close(r->y_eval, y, r->ny, "eval output", name);
    expect_close(r->dx, dx, r->nx, "dx", name);
    free(y), free(dx);
    run_free(r);
}

static double *dcalloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

static const int batches[] = {1, 3, 40};

/* ---- linear ---------------------------------------------------------------------- */

static const struct { int c, h, w, out; } lin_cases[] = {
    {3, 5, 7, 10},     /* flattens a 3x5x7 input */
    {1500, 1, 1, 300}, /* several GEMM blocks each way */
    {2, 1, 1, 2},
};

START_TEST(linear_vs_naive)
{
    const int c = lin_cases[_i].c, h = lin_cases[_i].h, w = lin_cases[_i].w;
    const int NO = lin_cases[_i].out, NI = c * h * w;
    char layers[128];
    snprintf(layers, sizeof layers, "  - {name: fc, type: linear, out: %d}\n", NO);
    for (int bi = 0; bi < 3; bi++)
        for (int T = 1; T <= 2; T++) {
            run r = run_net("linear", c, h, w, NO, layers, batches[bi], T);
            const int n = r.n;
            nn_param *W = nn_net_find_param(r.net, "fc.weight"), *B = nn_net_find_param(r.net, "fc.bias");
            double *y = dcalloc(r.ny), *dx = dcalloc(r.nx), *dw = dcalloc((size_t)NO * NI),
                   *db = dcalloc((size_t)NO);
            for (int i = 0; i < n; i++)
                for (int o = 0; o < NO; o++) {
                    double acc = B->data[o], g = r.dy[(size_t)i * NO + o];
                    for (int k = 0; k < NI; k++) {
                        const double wv = W->data[(size_t)o * NI + k], xv = r.x[(size_t)i * NI + k];
                        acc += wv * xv;
                        dw[(size_t)o * NI + k] += g * xv;
                        dx[(size_t)i * NI + k] += g * wv;
                    }
                    y[(size_t)i * NO + o] = acc;
                    db[o] += g;
                }
            expect_close(r.y, y, r.ny, "output", "linear");
            expect_close(r.y_eval, y, r.ny, "eval output", "linear");
            expect_close(W->grad, dw, (size_t)NO * NI, "dW", "linear");
            expect_close(B->grad, db, (size_t)NO, "dbias", "linear");
            expect_close(r.dx, dx, r.nx, "dx", "linear");
            free(y), free(dx), free(dw), free(db);
            run_free(&r);
        }
}
END_TEST

/* ---- max and average pooling ------------------------------------------------------- */

static const struct { bool max; int c, h, w, kh, kw, s, p; } pool_cases[] = {
    {true, 3, 8, 6, 2, 2, 2, 0},   /* the branch-free 2x2 path */
    {true, 2, 7, 9, 2, 2, 2, 0},   /* 2x2 on odd sizes: the last row and column dropped */
    {true, 3, 9, 7, 3, 3, 2, 1},   /* padding */
    {true, 2, 6, 7, 3, 2, 1, 1},   /* non-square window, stride 1 */
    {false, 3, 8, 6, 2, 2, 2, 0},
    {false, 2, 9, 7, 3, 3, 1, 1},  /* padding counts in the divisor (PyTorch's default) */
    {false, 2, 10, 11, 3, 2, 3, 1},
};

START_TEST(pool_vs_naive)
{
    const bool is_max = pool_cases[_i].max;
    const int C = pool_cases[_i].c, hi = pool_cases[_i].h, wi = pool_cases[_i].w;
    const int kh = pool_cases[_i].kh, kw = pool_cases[_i].kw, st = pool_cases[_i].s,
              pd = pool_cases[_i].p;
    const int ho = (hi + 2 * pd - kh) / st + 1, wo = (wi + 2 * pd - kw) / st + 1;
    char layers[160];
    snprintf(layers, sizeof layers, "  - {name: pl, type: %s, kernel: [%d, %d], stride: %d, "
             "pad: %d}\n", is_max ? "maxpool" : "avgpool", kh, kw, st, pd);
    for (int bi = 0; bi < 3; bi++)
        for (int T = 1; T <= 2; T++) {
            run r = run_net("pool", C, hi, wi, C * ho * wo, layers, batches[bi], T);
            double *y = dcalloc(r.ny), *dx = dcalloc(r.nx);
            for (long pl = 0; pl < (long)r.n * C; pl++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++) {
                        const size_t yi = ((size_t)pl * ho + oy) * wo + ox;
                        double acc = is_max ? -INFINITY : 0.0;
                        size_t arg = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = oy * st - pd + ky, ix = ox * st - pd + kx;
                                if (iy < 0 || iy >= hi || ix < 0 || ix >= wi) continue;
                                size_t xi = ((size_t)pl * hi + iy) * wi + ix;
                                if (!is_max) acc += r.x[xi];
                                else if (r.x[xi] > acc) acc = r.x[xi], arg = xi;
                            }
                        if (is_max) {
                            y[yi] = acc;
                            dx[arg] += r.dy[yi];
                            continue;
                        }
                        y[yi] = acc / (kh * kw);
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = oy * st - pd + ky, ix = ox * st - pd + kx;
                                if (iy >= 0 && iy < hi && ix >= 0 && ix < wi)
                                    dx[((size_t)pl * hi + iy) * wi + ix] += r.dy[yi] / (kh * kw);
                            }
                    }
            expect_run_and_free(&r, y, dx, is_max ? "maxpool" : "avgpool");
        }
}
END_TEST

/* ---- global average pooling -------------------------------------------------------- */

START_TEST(gap_vs_naive)
{
    const int C = 5, H = 7, W = 3 + _i * 6;
    for (int bi = 0; bi < 3; bi++)
        for (int T = 1; T <= 2; T++) {
            run r = run_net("gap", C, H, W, C, "  - {name: g, type: gap}\n", batches[bi], T);
            double *y = dcalloc(r.ny), *dx = dcalloc(r.nx);
            for (long pl = 0; pl < (long)r.n * C; pl++) {
                for (int j = 0; j < H * W; j++) y[pl] += r.x[(size_t)pl * H * W + j];
                y[pl] /= H * W;
                for (int j = 0; j < H * W; j++) dx[(size_t)pl * H * W + j] = r.dy[pl] / (H * W);
            }
            expect_run_and_free(&r, y, dx, "gap");
        }
}
END_TEST

/* ---- batch normalization ----------------------------------------------------------- */

START_TEST(bn_vs_naive)
{
    const int C = 4, H = 3 + _i, W = 5;
    const double eps = 1e-5, mom = 0.1;
    for (int bi = 0; bi < 3; bi++)
        for (int T = 1; T <= 2; T++) {
            const int n = batches[bi];
            if (n * H * W < 2) continue;
            run r = run_net("bn", C, H, W, C * H * W, "  - {name: b, type: bn}\n", n, T);
            nn_param *G = nn_net_find_param(r.net, "b.weight"), *Bt = nn_net_find_param(r.net, "b.bias");
            nn_param *RM = nn_net_find_param(r.net, "b.running_mean");
            nn_param *RV = nn_net_find_param(r.net, "b.running_var");
            const size_t hw = (size_t)H * W;
            const double M = (double)n * hw;
            double *y = dcalloc(r.ny), *ye = dcalloc(r.ny), *dx = dcalloc(r.nx);
            double *dg = dcalloc(C), *db = dcalloc(C);
            const float *rm0 = param0(&r, "b.running_mean"), *rv0 = param0(&r, "b.running_var");
            for (int c = 0; c < C; c++) {
                double sum = 0.0, sq = 0.0;
                for (int i = 0; i < n; i++)
                    for (size_t j = 0; j < hw; j++) sum += r.x[((size_t)i * C + c) * hw + j];
                const double mean = sum / M;
                for (int i = 0; i < n; i++)
                    for (size_t j = 0; j < hw; j++) {
                        double d = r.x[((size_t)i * C + c) * hw + j] - mean;
                        sq += d * d;
                    }
                const double var = sq / M, invstd = 1.0 / sqrt(var + eps);
                const double rm = (1 - mom) * rm0[c] + mom * mean;
                const double rv = (1 - mom) * rv0[c] + mom * var * M / (M - 1);
                ck_assert_msg(fabs(RM->data[c] - rm) <= 1e-5 * (1 + fabs(rm)), "running mean %d", c);
                ck_assert_msg(fabs(RV->data[c] - rv) <= 1e-5 * (1 + fabs(rv)), "running var %d", c);
                double sg = 0.0, sgx = 0.0;
                for (int i = 0; i < n; i++)
                    for (size_t j = 0; j < hw; j++) {
                        const size_t k = ((size_t)i * C + c) * hw + j;
                        const double xh = (r.x[k] - mean) * invstd;
                        y[k] = G->data[c] * xh + Bt->data[c];
                        ye[k] = G->data[c] * (r.x[k] - RM->data[c]) / sqrt(RV->data[c] + eps) +
                                Bt->data[c];
                        dg[c] += r.dy[k] * xh;
                        db[c] += r.dy[k];
                        sg += G->data[c] * r.dy[k];
                        sgx += G->data[c] * r.dy[k] * xh;
                    }
                for (int i = 0; i < n; i++)
                    for (size_t j = 0; j < hw; j++) {
                        const size_t k = ((size_t)i * C + c) * hw + j;
                        const double xh = (r.x[k] - mean) * invstd;
                        dx[k] = invstd / M * (M * G->data[c] * r.dy[k] - sg - xh * sgx);
                    }
            }
            expect_close(r.y, y, r.ny, "train output", "bn");
            expect_close(r.y_eval, ye, r.ny, "eval output", "bn");
            expect_close(G->grad, dg, C, "dgamma", "bn");
            expect_close(Bt->grad, db, C, "dbeta", "bn");
            expect_close(r.dx, dx, r.nx, "dx", "bn");
            free(y), free(ye), free(dx), free(dg), free(db);
            run_free(&r);
        }
}
END_TEST

/* ---- ReLU, ReLU6, add (with the fused ReLU), flatten, dropout ---------------------- */

START_TEST(relu_add_vs_naive)
{
    /* y = max(0, x + max(0, x)): a ReLU, a residual add of it and the input, and a
     * ReLU the add applies itself (fused), then flatten; dx = dy [y > 0] (1 + [x > 0]). */
    const char *layers = "  - {name: r1, type: relu}\n"
                         "  - {name: a, type: add, from: [input, r1]}\n"
                         "  - {name: r2, type: relu}\n"
                         "  - {name: f, type: flatten}\n";
    for (int bi = 0; bi < 3; bi++)
        for (int T = 1; T <= 2; T++) {
            run r = run_net("ew", 3, 5 + _i, 4, 3 * (5 + _i) * 4, layers, batches[bi], T);
            double *y = dcalloc(r.ny), *dx = dcalloc(r.nx);
            for (size_t j = 0; j < r.nx; j++) {
                const double x = r.x[j], v = x + (x > 0 ? x : 0);
                y[j] = v > 0 ? v : 0;
                dx[j] = v > 0 ? r.dy[j] * (1 + (x > 0)) : 0;
            }
            expect_run_and_free(&r, y, dx, "relu/add");
        }
}
END_TEST

static double relu6(double v) { return v < 0 ? 0 : v > 6 ? 6 : v; }
static double relu6_slope(double v) { return v > 0 && v < 6 ? 1 : 0; }

START_TEST(relu6_vs_naive)
{
    /* y = relu6(x + relu6(x)): a ReLU6, a residual add of it and the input (the add
     * has a ReLU6 after it, which must not fuse as a ReLU would), then flatten;
     * dx = dy [0 < v < 6] (1 + [0 < x < 6]), v = x + relu6(x). Inputs N(0, 4^2): about
     * half below 0 and 13% above 6 (v above 6 from x = 3 on). */
    const char *layers = "  - {name: r1, type: relu6}\n"
                         "  - {name: a, type: add, from: [input, r1]}\n"
                         "  - {name: r2, type: relu6}\n"
                         "  - {name: f, type: flatten}\n";
    for (int bi = 0; bi < 3; bi++)
        for (int T = 1; T <= 2; T++) {
            run r = run_net_scaled("ew6", 3, 5 + _i, 4, 3 * (5 + _i) * 4, layers, batches[bi], T,
                                   4.0);
            double *y = dcalloc(r.ny), *dx = dcalloc(r.nx);
            size_t below = 0, above = 0;
            for (size_t j = 0; j < r.nx; j++) {
                const double x = r.x[j], v = x + relu6(x);
                y[j] = relu6(v);
                dx[j] = r.dy[j] * relu6_slope(v) * (1 + relu6_slope(x));
                below += x < 0, above += x > 6;
            }
            ck_assert_msg(r.nx < 60 || (below > 0 && above > 0), "inputs %zu below 0, %zu above 6",
                          below, above);
            expect_run_and_free(&r, y, dx, "relu6/add");
        }
}
END_TEST

START_TEST(relu6_after_conv)
{
    /* A ReLU6 as the only consumer of a conv (where a ReLU would be fused into it):
     * y = relu6(w x + b) for a 1x1 conv of one channel, checked per element. */
    const char *layers = "  - {name: c, type: conv, out: 1, kernel: 1}\n"
                         "  - {name: r, type: relu6}\n"
                         "  - {name: f, type: flatten}\n";
    run r = run_net_scaled("cr6", 1, 6, 5, 30, layers, 40, 2, 8.0);
    const double wv = nn_net_find_param(r.net, "c.weight")->data[0];
    const double bv = nn_net_find_param(r.net, "c.bias")->data[0];
    double *y = dcalloc(r.ny), *dx = dcalloc(r.nx);
    for (size_t j = 0; j < r.nx; j++) {
        const double v = wv * r.x[j] + bv;
        y[j] = relu6(v);
        dx[j] = r.dy[j] * relu6_slope(v) * wv;
    }
    expect_run_and_free(&r, y, dx, "conv/relu6");
}
END_TEST

START_TEST(dropout_vs_definition)
{
    /* Train: each y is 0 or x / (1 - p), about p of them 0, and dx = dy y / x; eval:
     * the identity. */
    const double p = 0.3;
    run r = run_net("drop", 4, 10, 10, 400, "  - {name: d, type: dropout, p: 0.3}\n", 40, 2);
    size_t dropped = 0;
    for (size_t j = 0; j < r.nx; j++) {
        const double keep = r.x[j] / (1 - p);
        ck_assert(r.y[j] == 0.0f || fabs(r.y[j] - keep) <= 1e-6 * (1 + fabs(keep)));
        const double f = r.y[j] == 0.0f ? 0.0 : 1 / (1 - p);
        ck_assert(fabs(r.dx[j] - r.dy[j] * f) <= 1e-6 * (1 + fabs(r.dy[j] * f)));
        ck_assert(r.y_eval[j] == r.x[j]);
        dropped += r.y[j] == 0.0f;
    }
    const double frac = (double)dropped / r.nx; /* 16000 draws: sd 0.004 */
    ck_assert_msg(fabs(frac - p) < 0.02, "dropped %.3f of the activations, not about %.2f", frac, p);
    run_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nn_layer_kinds");
    TCase *tc = tcase_create("kinds");
    tcase_add_loop_test(tc, linear_vs_naive, 0, (int)(sizeof lin_cases / sizeof *lin_cases));
    tcase_add_loop_test(tc, pool_vs_naive, 0, (int)(sizeof pool_cases / sizeof *pool_cases));
    tcase_add_loop_test(tc, gap_vs_naive, 0, 2);
    tcase_add_loop_test(tc, bn_vs_naive, 0, 2);
    tcase_add_loop_test(tc, relu_add_vs_naive, 0, 2);
    tcase_add_loop_test(tc, relu6_vs_naive, 0, 2);
    tcase_add_test(tc, relu6_after_conv);
    tcase_add_test(tc, dropout_vs_definition);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
