/* tests/test_nn_fixtures.c: the engine against PyTorch on small random networks.
 *
 * Fixtures come from tests/fixtures/gen_nn_fixtures.py (float64 PyTorch on float32
 * inputs and parameters). Each network covers residual adds, grouped, depthwise,
 * 1x1 and strided convs with padding, BN in train and eval mode, max/avg/global
 * pooling, flatten, dropout and linear layers. Metric, for every compared tensor:
 *     max_i |engine_i - torch_i|  <=  1e-4 * max_i |torch_i|
 * (relative error in the infinity norm), with max_i |torch_i| floored at 1e-3: a
 * tensor whose exact value is zero (the bias gradient of a conv followed by a
 * train-mode BN, ~1e-17 in float64) is held to 1e-7 absolute instead.
 * Compared: logits, loss, input gradient,
 * every parameter gradient, and the BN running statistics after the forward. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/net.h"
#include "tests/testutil.h"

#define RTOL 1e-4

typedef struct fx_entry {
    char name[160];
    int ndim, dims[8];
    size_t numel;
    float *data;
} fx_entry;

typedef struct fixture {
    int count;
    fx_entry *e;
} fixture;

static uint32_t rd_u32(FILE *f)
{
    unsigned char b[4];
    ck_assert_int_eq(fread(b, 1, 4, f), 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static fixture load_fixture(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char magic[8];
    ck_assert_int_eq(fread(magic, 1, 8, f), 8);
    ck_assert(memcmp(magic, "EMNNFIX1", 8) == 0);
    fixture fx;
    fx.count = (int)rd_u32(f);
    fx.e = calloc((size_t)fx.count, sizeof *fx.e);
    for (int i = 0; i < fx.count; i++) {
        fx_entry *e = &fx.e[i];
        uint32_t len = rd_u32(f);
        ck_assert_uint_lt(len, sizeof e->name);
        ck_assert_int_eq(fread(e->name, 1, len, f), len);
        e->ndim = (int)rd_u32(f);
        ck_assert_int_le(e->ndim, 8);
        e->numel = 1;
        for (int d = 0; d < e->ndim; d++) {
            e->dims[d] = (int)rd_u32(f);
            e->numel *= (size_t)e->dims[d];
        }
        e->data = malloc((e->numel ? e->numel : 1) * sizeof(float));
        ck_assert_int_eq(fread(e->data, sizeof(float), e->numel, f), e->numel);
    }
    fclose(f);
    return fx;
}

static void free_fixture(fixture *fx)
{
    for (int i = 0; i < fx->count; i++) free(fx->e[i].data);
    free(fx->e);
}

static const fx_entry *fx_get(const fixture *fx, const char *name)
{
    for (int i = 0; i < fx->count; i++)
        if (!strcmp(fx->e[i].name, name)) return &fx->e[i];
    ck_abort_msg("fixture has no entry '%s'", name);
    return NULL;
}

/* max |a-b| / max(max |b|, 1e-3): the metric in the header comment. */
static double rel_err(const float *a, const float *b, size_t n)
{
    double md = 0.0, mb = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > md || d != d) md = d;
        if (fabs((double)b[i]) > mb) mb = fabs((double)b[i]);
    }
    return md / (mb > 1e-3 ? mb : 1e-3);
}

static void check_close(const char *fixname, const char *what, const float *got,
                        const fx_entry *ref)
{
    double e = rel_err(got, ref->data, ref->numel);
    ck_assert_msg(e <= RTOL, "%s: %s: relative error %.3g > %.0e", fixname, what, e, RTOL);
}

static void run_fixture(const char *name, int threads)
{
    char ypath[256], fpath[256];
    snprintf(ypath, sizeof ypath, "fixtures/nn_%s.yaml", name);
    snprintf(fpath, sizeof fpath, "fixtures/nn_%s.fix", name);
    em_error err = {0};
    nn_arch *a = NULL;
    int rc = nn_arch_load(tu_path(ypath), &a, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    fixture fx = load_fixture(tu_path(fpath));
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_net_set_threads(net, threads);

    /* Parameters and buffers: every tensor of the net is in the fixture, same shape. */
    int n_trainable = 0;
    for (int i = 0; i < nn_net_param_count(net); i++) {
        nn_param *p = nn_net_param(net, i);
        const fx_entry *e = fx_get(&fx, p->name);
        ck_assert_int_eq(e->ndim, p->ndim);
        for (int d = 0; d < p->ndim; d++) ck_assert_int_eq(e->dims[d], p->shape[d]);
        memcpy(p->data, e->data, e->numel * sizeof(float));
        n_trainable += p->trainable;
    }
    int n_grads = 0;
    for (int i = 0; i < fx.count; i++) n_grads += !strncmp(fx.e[i].name, "grad.", 5);
    ck_assert_int_eq(n_grads, n_trainable);

    const fx_entry *meta = fx_get(&fx, "meta");
    int n = (int)meta->data[0];
    bool train = meta->data[1] != 0.0f;
    const fx_entry *in = fx_get(&fx, "input"), *lab = fx_get(&fx, "labels");
    int *labels = malloc((size_t)n * sizeof *labels);
    for (int i = 0; i < n; i++) labels[i] = (int)lab->data[i];
    float *logits = malloc((size_t)n * a->classes * sizeof(float));
    float *dlogits = malloc((size_t)n * a->classes * sizeof(float));
    float *dx = malloc(in->numel * sizeof(float));

    nn_net_zero_grad(net);
    rc = nn_net_forward(net, in->data, n, logits, train, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    check_close(name, "logits", logits, fx_get(&fx, "logits"));
    double loss = nn_softmax_xent(logits, labels, n, a->classes, dlogits);
    ck_assert_msg(fabs(loss - fx_get(&fx, "loss")->data[0]) <=
                      RTOL * fabs(fx_get(&fx, "loss")->data[0]),
                  "%s: loss %.8g vs torch %.8g", name, loss, fx_get(&fx, "loss")->data[0]);
    rc = nn_net_backward(net, dlogits, dx, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    check_close(name, "input gradient", dx, fx_get(&fx, "dinput"));
    for (int i = 0; i < nn_net_param_count(net); i++) {
        nn_param *p = nn_net_param(net, i);
        char key[200];
        if (p->trainable) {
            snprintf(key, sizeof key, "grad.%s", p->name);
            check_close(name, key, p->grad, fx_get(&fx, key));
        } else {
            snprintf(key, sizeof key, "after.%s", p->name);
            check_close(name, key, p->data, fx_get(&fx, key));
        }
    }
    free(labels);
    free(logits);
    free(dlogits);
    free(dx);
    free_fixture(&fx);
    nn_net_free(net);
    nn_arch_free(a);
}

START_TEST(a_train_1) { run_fixture("a_train", 1); }
END_TEST
START_TEST(a_train_2) { run_fixture("a_train", 2); }
END_TEST
START_TEST(a_eval) { run_fixture("a_eval", 2); }
END_TEST
START_TEST(b_eval) { run_fixture("b_eval", 1); }
END_TEST
START_TEST(b_train) { run_fixture("b_train", 3); }
END_TEST

int main(void)
{
    Suite *s = suite_create("nn_fixtures");
    TCase *tc = tcase_create("torch");
    tcase_add_test(tc, a_train_1);
    tcase_add_test(tc, a_train_2);
    tcase_add_test(tc, a_eval);
    tcase_add_test(tc, b_eval);
    tcase_add_test(tc, b_train);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
