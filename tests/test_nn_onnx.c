/* tests/test_nn_onnx.c: ONNX import and export (nn/onnx.h, nn/model.h).
 *
 * Oracles:
 *   - PyTorch: the tests/fixtures/onnx models were exported by torch.onnx.export
 *     (tests/fixtures/gen_onnx.py) with PyTorch's logits for a few inputs (*.io);
 *     emomc's logits of the imported model must agree within 1e-4 of the largest
 *     logit. LeNet-5 carries the zoo weights; ResNet-20 and VGG-16 are exported from
 *     the zoo in the test when Debian's python3 has torch and onnx (else skipped, and
 *     said so).
 *   - The YAML zoo: an imported PyTorch export of a zoo model has the YAML's layers
 *     (names, kinds, shapes, parameters), the .emw's tensors bit for bit, and the same
 *     estimate on two targets.
 *   - Round trips through emomc's own exporter (no torch needed): every layer and
 *     tensor back unchanged, identical logits; a folded network's export runs as the
 *     folded network.
 *   - ReLU6: PyTorch's nn.ReLU6 (Clip with Constant bounds) and an onnx.helper Clip
 *     with initializer bounds import as relu6; the relu6 fixture round-trips through
 *     emomc's exporter (Clip with initializer bounds) to the same layers, tensors,
 *     logits (bit for bit) and estimates.
 *   - Bad input: an unsupported operator (named, with the supported list), Clip with
 *     bounds other than (0, none) and (0, 6), a missing initializer, a shape mismatch, a float64 tensor, every prefix
 *     of a file (truncation) and random byte damage: errors naming the file, never a
 *     crash (the suite also runs under ASan). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "hwconfigs/hw.h"
#include "spec/arch.h"
#include "nn/model.h"
#include "nn/net.h"
#include "nn/onnx.h"
#include "nn/weights.h"
#include "sim/estimate.h"
#include "tests/testutil.h"

typedef struct {
    int n, c, h, w, k;
    float *x, *y;
} io_file;

static void io_read(const char *path, io_file *io)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    int32_t hd[5];
    ck_assert_int_eq(fread(hd, 4, 5, f), 5);
    io->n = hd[0];
    io->c = hd[1];
    io->h = hd[2];
    io->w = hd[3];
    io->k = hd[4];
    size_t nx = (size_t)io->n * io->c * io->h * io->w, ny = (size_t)io->n * io->k;
    io->x = malloc(sizeof(float) * nx);
    io->y = malloc(sizeof(float) * ny);
    ck_assert_int_eq(fread(io->x, 4, nx, f), nx);
    ck_assert_int_eq(fread(io->y, 4, ny, f), ny);
    fclose(f);
}

static void io_write(const char *path, const nn_arch *a, int n, const float *x, const float *y)
{
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    int32_t hd[5] = {n, a->input.c, a->input.h, a->input.w, a->classes};
    fwrite(hd, 4, 5, f);
    fwrite(x, 4, (size_t)n * a->input.c * a->input.h * a->input.w, f);
    fwrite(y, 4, (size_t)n * a->classes, f);
    fclose(f);
}

/* onnx.checker and the numpy interpreter of gen_onnx.py on an export (when python3
 * has onnx): its logits must be emomc's. */
static void python_check(const char *onnx, const nn_arch *a, int n, const float *x, const float *y)
{
    if (system("/usr/bin/python3 -c 'import onnx, numpy' >/dev/null 2>&1") != 0) {
        printf("SKIPPED: no /usr/bin/python3 with onnx: %s not checked by onnx.checker\n", onnx);
        return;
    }
    char io[4200], cmd[13000];
    snprintf(io, sizeof io, "%s.io", onnx);
    io_write(io, a, n, x, y);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --check '%s' --io '%s'",
             tu_path("fixtures/gen_onnx.py"), onnx, io);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

static double rel_err(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / (m > 0 ? m : 1);
}

static nn_net *net_of(const nn_arch *a, const nn_weights *w)
{
    em_error err = {0};
    nn_net *net = NULL;
    ck_assert_msg(nn_net_new(a, &net, &err) == 0, "%s", err.msg);
    nn_net_set_threads(net, 1);
    if (w) ck_assert_msg(nn_weights_apply(w, net, "test", &err) == 0, "%s", err.msg);
    return net;
}

/* emomc's logits of an ONNX file against PyTorch's; returns the relative error. */
static double logits_vs_torch(const char *onnx, const char *iopath)
{
    em_error err = {0};
    nn_arch *a = NULL;
    nn_weights *w = NULL;
    ck_assert_msg(nn_onnx_load(onnx, &a, &w, &err) == 0, "%s", err.msg);
    io_file io;
    io_read(iopath, &io);
    ck_assert_int_eq(io.c, a->input.c);
    ck_assert_int_eq(io.h, a->input.h);
    ck_assert_int_eq(io.w, a->input.w);
    ck_assert_int_eq(io.k, a->classes);
    nn_net *net = net_of(a, w);
    float *y = malloc(sizeof(float) * (size_t)io.n * io.k);
    ck_assert_msg(nn_net_forward(net, io.x, io.n, y, false, &err) == 0, "%s", err.msg);
    double e = rel_err(y, io.y, (size_t)io.n * io.k);
    /* Folded BN (the engine's inference path) as well. */
    ck_assert_int_eq(nn_net_fold_bn(net, NULL, &err), 0);
    ck_assert_int_eq(nn_net_forward(net, io.x, io.n, y, false, &err), 0);
    double ef = rel_err(y, io.y, (size_t)io.n * io.k);
    printf("onnx %-40s logits vs PyTorch: max |diff| / max |logit| = %.3g (BN folded: %.3g)\n",
           onnx, e, ef);
    free(y);
    free(io.x);
    free(io.y);
    nn_net_free(net);
    nn_weights_free(w);
    nn_arch_free(a);
    return fmax(e, ef);
}

START_TEST(test_logits_fixtures)
{
    const char *names[] = {"lenet5", "mobile", "pools", "pools17", "relu6"};
    for (int i = 0; i < 5; i++) {
        char o[256], io[256];
        snprintf(o, sizeof o, "fixtures/onnx/%s.onnx", names[i]);
        snprintf(io, sizeof io, "fixtures/onnx/%s.io", names[i]);
        char op[4096];
        snprintf(op, sizeof op, "%s", tu_path(o));
        double e = logits_vs_torch(op, tu_path(io));
        ck_assert_msg(e <= 1e-4, "%s: relative logit error %g", names[i], e);
    }
}
END_TEST

/* Same layers, same shapes and parameters (names included). */
static void same_arch(const nn_arch *a, const nn_arch *b)
{
    ck_assert_int_eq(a->n_layers, b->n_layers);
    ck_assert_int_eq(a->classes, b->classes);
    ck_assert_str_eq(a->name, b->name);
    ck_assert(a->input.c == b->input.c && a->input.h == b->input.h && a->input.w == b->input.w);
    for (int i = 0; i < a->n_layers; i++) {
        const nn_layer_spec *x = &a->layers[i], *y = &b->layers[i];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_msg(x->kind == y->kind, "layer %s: kind %s vs %s", x->name,
                      nn_layer_kind_name(x->kind), nn_layer_kind_name(y->kind));
        ck_assert_int_eq(x->nsrc, y->nsrc);
        for (int k = 0; k < x->nsrc; k++) ck_assert_int_eq(x->src[k], y->src[k]);
        ck_assert(x->in.c == y->in.c && x->in.h == y->in.h && x->in.w == y->in.w);
        ck_assert(x->out.c == y->out.c && x->out.h == y->out.h && x->out.w == y->out.w);
        if (nn_layer_is_compute(x)) {
            ck_assert_int_eq(x->out_channels, y->out_channels);
            ck_assert_int_eq(x->groups, y->groups);
            ck_assert_int_eq(x->bias, y->bias);
        }
        if (x->kind == NN_L_CONV || x->kind == NN_L_MAXPOOL || x->kind == NN_L_AVGPOOL) {
            ck_assert(x->kh == y->kh && x->kw == y->kw);
            ck_assert(x->stride == y->stride && x->pad == y->pad);
        }
        if (x->kind == NN_L_BN) ck_assert_close(x->bn_eps, y->bn_eps, 1e-6, 0);
        ck_assert_int_eq(nn_layer_macs(x), nn_layer_macs(y));
        ck_assert_int_eq(nn_layer_param_count(x), nn_layer_param_count(y));
    }
}

/* The same estimate (totals and per layer) on two targets. */
static void same_estimate(const nn_arch *a, const nn_arch *b)
{
    const char *hws[] = {"emomc2021", "zcu102"};
    em_error err = {0};
    for (int h = 0; h < 2; h++) {
        char path[4096];
        hw_target hw;
        ck_assert_int_eq(hw_resolve(hws[h], path, sizeof path, &err), 0);
        ck_assert_int_eq(hw_load(path, &hw, &err), 0);
        int L = nn_arch_compute_layer_count(a);
        em_layer_stats *plan = calloc((size_t)L, sizeof *plan);
        for (int i = 0; i < L; i++) plan[i] = em_layer_stats_what_if(0.5, 8);
        for (int d = 0; d < DF_NBUILTIN; d++) {
            sim_options so = {df_mapping_builtin((df_dataflow)d), CODING_CSR, CODING_CSR_IDX_BITS_DEFAULT};
            sim_report ra, rb;
            ck_assert_msg(sim_estimate(a, &hw, &so, plan, 16, &ra, &err) == 0, "%s", err.msg);
            ck_assert_msg(sim_estimate(b, &hw, &so, plan, 16, &rb, &err) == 0, "%s", err.msg);
            ck_assert(ra.energy_pj == rb.energy_pj && ra.cycles == rb.cycles);
            ck_assert(ra.size_bits == rb.size_bits && ra.macs == rb.macs);
            ck_assert_int_eq(ra.n_layers, rb.n_layers);
            for (int i = 0; i < ra.n_layers; i++) {
                ck_assert_str_eq(ra.layers[i].name, rb.layers[i].name);
                ck_assert(ra.layers[i].energy_pj == rb.layers[i].energy_pj);
            }
            sim_report_free(&ra);
            sim_report_free(&rb);
        }
        free(plan);
    }
}

/* Every tensor of a is in b, same shape, same bits. */
static void same_tensors(const nn_weights *a, const nn_weights *b)
{
    int nf = 0;
    for (int i = 0; i < a->n; i++) {
        const nn_wtensor *t = &a->t[i];
        if (t->dtype != NN_DT_F32 || !strncmp(t->name, "optim.", 6)) continue;
        const nn_wtensor *u = nn_weights_find(b, t->name);
        ck_assert_msg(u != NULL, "tensor %s missing", t->name);
        ck_assert_int_eq(t->numel, u->numel);
        ck_assert_int_eq(t->ndim, u->ndim);
        ck_assert_msg(!memcmp(t->data, u->data, sizeof(float) * (size_t)t->numel), "tensor %s differs",
                      t->name);
        nf++;
    }
    ck_assert_int_gt(nf, 0);
}

/* A zoo model: YAML + .emw against its PyTorch ONNX export. */
static void zoo_vs_onnx(const char *model, const char *emw, const char *onnx)
{
    em_error err = {0};
    nn_arch *ya = NULL, *oa = NULL;
    nn_weights *yw = NULL, *ow = NULL;
    ck_assert_msg(nn_model_load(model, &ya, NULL, &err) == 0, "%s", err.msg);
    ck_assert_msg(nn_model_load(onnx, &oa, &ow, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(nn_weights_load(tu_root_path(emw), &yw, &err), 0);
    same_arch(ya, oa);
    same_estimate(ya, oa);
    same_tensors(yw, ow);
    nn_net *net = net_of(oa, yw); /* the .emw applies to the imported model */
    nn_net_free(net);
    nn_weights_free(yw);
    nn_weights_free(ow);
    nn_arch_free(ya);
    nn_arch_free(oa);
}

START_TEST(test_zoo_lenet5)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", tu_path("fixtures/onnx/lenet5.onnx"));
    zoo_vs_onnx("lenet5", "models/lenet5-mnist.emw", p);
}
END_TEST

/* ResNet-20 and VGG-16: exported from the zoo by PyTorch here (too big to commit). */
START_TEST(test_zoo_big_torch)
{
    if (system("/usr/bin/python3 -c 'import torch, onnx, yaml' >/dev/null 2>&1") != 0) {
        printf("SKIPPED: no /usr/bin/python3 with torch and onnx: ResNet-20 and VGG-16 "
               "PyTorch exports not checked\n");
        return;
    }
    char dir[4096], cmd[8300];
    snprintf(dir, sizeof dir, "%s/zoo", tu_tmpdir());
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --zoo '%s' >/dev/null 2>&1",
             tu_path("fixtures/gen_onnx.py"), dir);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
    const char *m[2] = {"resnet20", "vgg16"}, *e[2] = {"models/resnet20-cifar10.emw",
                                                       "models/vgg16-cifar10.emw"};
    for (int i = 0; i < 2; i++) {
        char o[4200], io[4200];
        snprintf(o, sizeof o, "%s/%s.onnx", dir, m[i]);
        snprintf(io, sizeof io, "%s/%s.io", dir, m[i]);
        zoo_vs_onnx(m[i], e[i], o);
        double err = logits_vs_torch(o, io);
        ck_assert_msg(err <= 1e-4, "%s: relative logit error %g", m[i], err);
    }
}
END_TEST

static void randomize(nn_net *net, uint64_t seed)
{
    nn_net_init(net, seed);
    em_rng r;
    em_rng_seed(&r, seed + 1);
    for (int i = 0; i < nn_net_param_count(net); i++) {
        nn_param *p = nn_net_param(net, i);
        bool var = strstr(p->name, "running_var") != NULL;
        bool bn = strstr(p->name, "running_mean") || var ||
                  (p->ndim == 1 && !strstr(p->name, ".bias") && !p->is_weight);
        if (!bn) continue;
        for (int64_t k = 0; k < p->numel; k++)
            p->data[k] = var ? 0.5f + (float)em_rng_uniform(&r) : 0.2f * (float)(em_rng_uniform(&r) - 0.5);
    }
}

/* emomc -> ONNX -> emomc for the zoo's architectures. */
START_TEST(test_export_round_trip)
{
    const char *models[] = {"lenet5", "resnet20", "mobilenet_v1", "vgg16"};
    for (int m = 0; m < 4; m++) {
        em_error err = {0};
        nn_arch *a = NULL, *b = NULL;
        nn_weights *w0 = NULL, *w1 = NULL, *meta = nn_weights_new();
        ck_assert_int_eq(nn_model_load(models[m], &a, NULL, &err), 0);
        nn_net *net = net_of(a, NULL);
        randomize(net, 11 + (uint64_t)m);
        ck_assert_int_eq(nn_weights_from_net(net, &w0, &err), 0);
        ck_assert_int_eq(nn_weights_set_meta(meta, "emomc.test", "round trip", &err), 0);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.onnx", tu_tmpdir(), models[m]);
        ck_assert_msg(nn_onnx_save(net, meta, path, &err) == 0, "%s", err.msg);
        ck_assert_msg(nn_model_load(path, &b, &w1, &err) == 0, "%s", err.msg);
        ck_assert_str_eq(nn_weights_meta(w1, "emomc.test"), "round trip");
        same_arch(a, b);
        same_tensors(w0, w1);
        /* Logits: the original unfolded, the import, and the folded network exported. */
        const int n = 2;
        int isz = a->input.c * a->input.h * a->input.w;
        float *x = malloc(sizeof(float) * (size_t)(n * isz)), *y0 = malloc(sizeof(float) * 20 * n),
              *y1 = malloc(sizeof(float) * 20 * n), *y2 = malloc(sizeof(float) * 20 * n);
        em_rng r;
        em_rng_seed(&r, 5);
        for (int i = 0; i < n * isz; i++) x[i] = (float)em_rng_uniform(&r) * 2 - 1;
        ck_assert_int_eq(nn_net_forward(net, x, n, y0, false, &err), 0);
        nn_net *nb = net_of(b, w1);
        ck_assert_int_eq(nn_net_forward(nb, x, n, y1, false, &err), 0);
        ck_assert(!memcmp(y0, y1, sizeof(float) * (size_t)(n * a->classes)));
        if (m != 3) python_check(path, a, n, x, y0); /* (VGG-16 is slow in numpy) */
        int folded = 0;
        ck_assert_int_eq(nn_net_fold_bn(net, &folded, &err), 0);
        ck_assert_int_eq(nn_net_forward(net, x, n, y0, false, &err), 0);
        ck_assert_int_eq(nn_onnx_save(net, NULL, path, &err), 0);
        nn_arch *c = NULL;
        nn_weights *w2 = NULL;
        ck_assert_msg(nn_model_load(path, &c, &w2, &err) == 0, "%s", err.msg);
        int nbn = 0;
        for (int i = 0; i < c->n_layers; i++) nbn += c->layers[i].kind == NN_L_BN;
        int nbn0 = 0;
        for (int i = 0; i < a->n_layers; i++) nbn0 += a->layers[i].kind == NN_L_BN;
        ck_assert_int_eq(nbn, nbn0 - folded); /* folded BNs became the convs' biases */
        nn_net *nc = net_of(c, w2);
        ck_assert_int_eq(nn_net_forward(nc, x, n, y2, false, &err), 0);
        double e = rel_err(y2, y0, (size_t)(n * a->classes));
        if (m != 3) python_check(path, a, n, x, y0);
        printf("onnx export %-12s: %d BN folded; logits of the folded export vs the folded "
               "net: %.3g\n", models[m], folded, e);
        ck_assert_msg(e <= 1e-5, "%s: folded export differs by %g", models[m], e);
        nn_net_free(nc);
        nn_arch_free(c);
        nn_weights_free(w2);
        free(x);
        free(y0);
        free(y1);
        free(y2);
        nn_net_free(nb);
        nn_net_free(net);
        nn_weights_free(w0);
        nn_weights_free(w1);
        nn_weights_free(meta);
        nn_arch_free(a);
        nn_arch_free(b);
    }
}
END_TEST

/* ReLU6 in: the PyTorch fixture and a helper-made Clip(x, 0, 6) with initializer
 * bounds; then out and back: same layers, tensors, logits and estimates. */
START_TEST(test_relu6)
{
    em_error err = {0};
    nn_arch *h = NULL, *a = NULL, *b = NULL;
    nn_weights *hw = NULL, *w0 = NULL, *w1 = NULL;
    ck_assert_msg(nn_onnx_load(tu_path("fixtures/onnx/clip_relu6.onnx"), &h, &hw, &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(h->n_layers, 2);
    ck_assert_int_eq(h->layers[1].kind, NN_L_RELU6);
    char src[4096], path[4096];
    snprintf(src, sizeof src, "%s", tu_path("fixtures/onnx/relu6.onnx"));
    ck_assert_msg(nn_onnx_load(src, &a, &w0, &err) == 0, "%s", err.msg);
    int n6 = 0;
    for (int i = 0; i < a->n_layers; i++) n6 += a->layers[i].kind == NN_L_RELU6;
    ck_assert_int_eq(n6, 2);
    nn_net *net = net_of(a, w0);
    snprintf(path, sizeof path, "%s/relu6-out.onnx", tu_tmpdir());
    ck_assert_msg(nn_onnx_save(net, NULL, path, &err) == 0, "%s", err.msg);
    ck_assert_msg(nn_onnx_load(path, &b, &w1, &err) == 0, "%s", err.msg);
    same_arch(a, b);
    same_tensors(w0, w1);
    same_estimate(a, b);
    io_file io;
    io_read(tu_path("fixtures/onnx/relu6.io"), &io);
    const size_t ny = (size_t)io.n * io.k;
    float *y0 = malloc(sizeof(float) * ny), *y1 = malloc(sizeof(float) * ny);
    nn_net *nb = net_of(b, w1);
    ck_assert_int_eq(nn_net_forward(net, io.x, io.n, y0, false, &err), 0);
    ck_assert_int_eq(nn_net_forward(nb, io.x, io.n, y1, false, &err), 0);
    ck_assert(!memcmp(y0, y1, sizeof(float) * ny));
    python_check(path, a, io.n, io.x, y0); /* onnx.checker and numpy's Clip */
    free(y0), free(y1), free(io.x), free(io.y);
    nn_net_free(net), nn_net_free(nb);
    nn_weights_free(hw), nn_weights_free(w0), nn_weights_free(w1);
    nn_arch_free(h), nn_arch_free(a), nn_arch_free(b);
}
END_TEST

static void expect_error(const char *fixture, const char *const *needles)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", tu_path(fixture));
    em_error err = {0};
    nn_arch *a = NULL;
    nn_weights *w = NULL;
    ck_assert_int_ne(nn_onnx_load(p, &a, &w, &err), 0);
    ck_assert(a == NULL && w == NULL);
    ck_assert_msg(strstr(err.msg, p) != NULL, "message does not name the file: %s", err.msg);
    for (; *needles; needles++)
        ck_assert_msg(strstr(err.msg, *needles) != NULL, "'%s' not in: %s", *needles, err.msg);
}

START_TEST(test_errors)
{
    expect_error("fixtures/onnx/bad_op.onnx",
                 (const char *[]){"/act/Sigmoid", "Sigmoid", "not supported", "Conv, Gemm",
                                  "BatchNormalization", NULL});
    expect_error("fixtures/onnx/bad_clip.onnx",
                 (const char *[]){"/act/Clip", "Clip(min 0, max 4)", "ReLU6", NULL});
    expect_error("fixtures/onnx/bad_missing.onnx",
                 (const char *[]){"/c/Conv", "missing initializer 'missing.weight'", NULL});
    expect_error("fixtures/onnx/bad_shape.onnx",
                 (const char *[]){"/c/Conv", "shape mismatch", "c.weight", NULL});
    expect_error("fixtures/onnx/bad_dtype.onnx",
                 (const char *[]){"/c/Conv", "c.weight", "double", "float32", NULL});
    /* Not a file, not ONNX. */
    em_error err = {0};
    nn_arch *a = NULL;
    ck_assert_int_ne(nn_onnx_load("/nonexistent/x.onnx", &a, NULL, &err), 0);
    ck_assert(strstr(err.msg, "/nonexistent/x.onnx") != NULL);
    ck_assert_int_ne(nn_onnx_load(tu_path("fixtures/onnx/lenet5.io"), &a, NULL, &err), 0);
}
END_TEST

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert(f != NULL);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len);
    ck_assert_int_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

START_TEST(test_truncated)
{
    const char *files[] = {"fixtures/onnx/lenet5.onnx", "fixtures/onnx/mobile.onnx",
                           "fixtures/onnx/pools.onnx"};
    for (int f = 0; f < 3; f++) {
        size_t n;
        uint8_t *b = slurp(tu_path(files[f]), &n);
        int tried = 0;
        for (size_t len = 0; len < n; len += len < 3000 ? 1 : len > n - 200 ? 1 : 499) {
            em_error err = {0};
            nn_arch *a = NULL;
            nn_weights *w = NULL;
            uint8_t *copy = malloc(len ? len : 1); /* exactly len bytes, for ASan */
            memcpy(copy, b, len);
            int rc = nn_onnx_parse(copy, len, "trunc.onnx", &a, &w, &err);
            free(copy);
            ck_assert_msg(rc != 0, "%s cut to %zu of %zu bytes was accepted", files[f], len, n);
            ck_assert_msg(strstr(err.msg, "trunc.onnx") != NULL, "%s", err.msg);
            ck_assert(a == NULL && w == NULL);
            tried++;
        }
        em_error err = {0};
        nn_arch *a = NULL;
        ck_assert_int_eq(nn_onnx_parse(b, n, "whole.onnx", &a, NULL, &err), 0);
        nn_arch_free(a);
        free(b);
        ck_assert_int_gt(tried, 3000);
    }
}
END_TEST

START_TEST(test_corrupt)
{
    size_t n;
    uint8_t *b = slurp(tu_path("fixtures/onnx/mobile.onnx"), &n);
    em_rng r;
    em_rng_seed(&r, 99);
    int refused = 0;
    for (int t = 0; t < 400; t++) {
        uint8_t *c = malloc(n);
        memcpy(c, b, n);
        int flips = 1 + (int)(em_rng_uniform(&r) * 4);
        for (int k = 0; k < flips; k++) c[(size_t)(em_rng_uniform(&r) * (double)n) % n] ^= (uint8_t)(1 + em_rng_uniform(&r) * 254);
        em_error err = {0};
        nn_arch *a = NULL;
        nn_weights *w = NULL;
        int rc = nn_onnx_parse(c, n, "bad.onnx", &a, &w, &err);
        if (rc) {
            refused++;
            ck_assert(strstr(err.msg, "bad.onnx") != NULL);
        } else {
            nn_net *net = NULL; /* whatever it accepted is a consistent model */
            ck_assert_msg(nn_net_new(a, &net, &err) == 0, "%s", err.msg);
            ck_assert_msg(nn_weights_apply(w, net, "bad.onnx", &err) == 0, "%s", err.msg);
            nn_net_free(net);
        }
        nn_arch_free(a);
        nn_weights_free(w);
        free(c);
    }
    printf("onnx: %d of 400 damaged copies of mobile.onnx refused, the rest consistent\n", refused);
    free(b);
}
END_TEST

START_TEST(test_model_load)
{
    em_error err = {0};
    nn_arch *a = NULL;
    nn_weights *w = NULL;
    ck_assert(nn_model_is_onnx("x.onnx") && nn_model_is_onnx("a/B.ONNX") && !nn_model_is_onnx("x.yaml"));
    ck_assert_int_eq(nn_model_load("lenet5", &a, &w, &err), 0);
    ck_assert(a != NULL && w == NULL);
    nn_arch_free(a);
    ck_assert_int_ne(nn_model_load("no-such-model.onnx", &a, &w, &err), 0);
    ck_assert(strstr(err.msg, "no-such-model.onnx") != NULL);
    /* The ONNX's weights unless others are given. */
    char p[4096];
    snprintf(p, sizeof p, "%s", tu_path("fixtures/onnx/lenet5.onnx"));
    ck_assert_int_eq(nn_model_weights(p, NULL, &w, &err), 0);
    ck_assert(w && nn_weights_find(w, "conv1.weight"));
    nn_weights_free(w);
    ck_assert_int_eq(nn_model_weights(p, tu_root_path("models/lenet5-mnist.emw"), &w, &err), 0);
    ck_assert(w && nn_weights_meta(w, "recipe"));
    nn_weights_free(w);
    ck_assert_int_eq(nn_model_weights("lenet5", NULL, &w, &err), 0);
    ck_assert(w == NULL);
}
END_TEST

START_TEST(test_cli)
{
    char args[8400], *out = NULL;
    char p[4096];
    snprintf(p, sizeof p, "%s", tu_path("fixtures/onnx/lenet5.onnx"));
    snprintf(args, sizeof args, "estimate --model '%s' --hw emomc2021 --per-layer", p);
    ck_assert_int_eq(tu_run_emomc(args, &out), 0);
    ck_assert_msg(strstr(out, "lenet5 on emomc2021") && strstr(out, "conv3"), "%s", out);
    free(out);
    snprintf(args, sizeof args, "estimate --model '%s' --hw emomc2021",
             tu_path("fixtures/onnx/bad_op.onnx"));
    ck_assert_int_eq(tu_run_emomc(args, &out), 1);
    ck_assert_msg(strstr(out, "Sigmoid") != NULL, "%s", out);
    free(out);
    snprintf(args, sizeof args, "simulate --model '%s' --layer conv2 --hw zcu102 --dataflow xy", p);
    ck_assert_int_eq(tu_run_emomc(args, &out), 0);
    ck_assert_msg(strstr(out, "from weights file") != NULL, "%s", out);
    free(out);
    /* eval: the ONNX's own weights give the zoo's accuracy (when MNIST is at hand). */
    if (system("test -e \"${EMOMC_DATA:-/nonexistent}/mnist\"") == 0) {
        char *o2 = NULL;
        snprintf(args, sizeof args, "eval --model '%s' --data mnist --limit 500 --quiet", p);
        ck_assert_int_eq(tu_run_emomc(args, &out), 0);
        snprintf(args, sizeof args, "eval --model lenet5 --weights '%s' --data mnist --limit 500 "
                 "--quiet", tu_root_path("models/lenet5-mnist.emw"));
        ck_assert_int_eq(tu_run_emomc(args, &o2), 0);
        ck_assert_str_eq(out, o2);
        free(out);
        free(o2);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("nn_onnx");
    TCase *t = tcase_create("onnx");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, test_logits_fixtures);
    tcase_add_test(t, test_zoo_lenet5);
    tcase_add_test(t, test_zoo_big_torch);
    tcase_add_test(t, test_export_round_trip);
    tcase_add_test(t, test_relu6);
    tcase_add_test(t, test_errors);
    tcase_add_test(t, test_truncated);
    tcase_add_test(t, test_corrupt);
    tcase_add_test(t, test_model_load);
    tcase_add_test(t, test_cli);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
