/* tests/test_compress_torch.c: pruning and dynamic int8 against PyTorch.
 *
 * Oracle: tests/fixtures/compress_torch.fix, written by gen_compress_fixtures.py with
 * Debian's torch: torch.nn.utils.prune.l1_unstructured and global_unstructured masks
 * (tie-free tensors, so the tie rule does not matter), and quantize_dynamic (qint8)
 * of Linear(16,8)-ReLU-Linear(8,4): weight scales and int8 codes, and the outputs on
 * three fixed inputs. Tolerance of the outputs: 1e-5 absolute plus 1e-5 relative
 * (the integer sums are exact; what is left is float32 rounding of the dequantizing
 * multiply, ~1e-7); a single activation code off by one would move an output by
 * about sx*sw*|qw| ~ 1e-3 and fail. The float model's outputs are also recorded, to
 * show the check can fail: they differ from the int8 ones by far more than the
 * tolerance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/prune.h"
#include "compress/quant.h"
#include "spec/arch.h"
#include "nn/net.h"
#include "tests/testutil.h"

typedef struct rec { char name[64]; int n; float *v; } rec;
static rec recs[64];
static int n_recs;

static void load_fixture(void)
{
    if (n_recs) return;
    FILE *f = fopen(tu_path("fixtures/compress_torch.fix"), "r");
    ck_assert_msg(f != NULL, "fixture missing");
    char line[1 << 16];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        ck_assert_int_lt(n_recs, 64);
        rec *r = &recs[n_recs++];
        char *p = line, *end;
        ck_assert_int_eq(sscanf(p, "%63s %d", r->name, &r->n), 2);
        p = strchr(p, ' ') + 1;
        p = strchr(p, ' ');
        r->v = malloc(sizeof *r->v * (size_t)r->n);
        for (int i = 0; i < r->n; i++) {
            r->v[i] = strtof(p, &end);
            ck_assert_msg(end != p, "%s: short record", r->name);
            p = end;
        }
    }
    fclose(f);
}

static const rec *get(const char *name)
{
    load_fixture();
    for (int i = 0; i < n_recs; i++)
        if (!strcmp(recs[i].name, name)) return &recs[i];
    ck_abort_msg("fixture record %s missing", name);
    return NULL;
}

START_TEST(l1_unstructured_matches_torch)
{
    const char *cases[] = {"l1.lin.0.1", "l1.lin.0.3", "l1.lin.0.6", "l1.lin.0.9",
                           "l1.conv.0.25", "l1.conv.0.5", "l1.conv.0.8"};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const rec *want = get(cases[c]);
        const rec *w = get(strstr(cases[c], "lin") ? "lin.weight" : "conv.weight");
        /* the amount pruned follows the second dot: "l1.conv.0.25" -> 0.25 */
        double amount = atof(strchr(strchr(cases[c], '.') + 1, '.') + 1);
        float *m = malloc(sizeof *m * (size_t)w->n);
        cp_tensor_ref t = {cases[c], w->v, NULL, w->n, m};
        em_error err = {0};
        int64_t kept;
        ck_assert_int_eq(cp_l1_masks(&t, 1, 1.0 - amount, &kept, &err), 0);
        int ones = 0;
        for (int i = 0; i < w->n; i++) {
            ck_assert_msg(m[i] == want->v[i], "%s: mask[%d] = %g, torch %g", cases[c], i, m[i],
                          want->v[i]);
            ones += m[i] == 1;
        }
        ck_assert_int_eq(ones, kept);
        free(m);
    }
}
END_TEST

START_TEST(global_unstructured_matches_torch)
{
    const rec *cw = get("conv.weight"), *lw = get("lin.weight");
    const rec *cm = get("global.0.55.conv"), *lm = get("global.0.55.lin");
    float *a = malloc(sizeof *a * (size_t)cw->n), *b = malloc(sizeof *b * (size_t)lw->n);
    cp_tensor_ref t[2] = {{"conv", cw->v, NULL, cw->n, a}, {"lin", lw->v, NULL, lw->n, b}};
    em_error err = {0};
    ck_assert_int_eq(cp_l1_masks(t, 2, 1.0 - 0.55, NULL, &err), 0);
    for (int i = 0; i < cw->n; i++) ck_assert(a[i] == cm->v[i]);
    for (int i = 0; i < lw->n; i++) ck_assert(b[i] == lm->v[i]);
    free(a);
    free(b);
}
END_TEST

START_TEST(dynq_weight_codes_match_torch)
{
    for (int l = 1; l <= 2; l++) {
        char name[64];
        snprintf(name, sizeof name, "dq.fc%d.weight", l);
        const rec *w = get(name);
        snprintf(name, sizeof name, "dq.fc%d.wscale", l);
        const rec *s = get(name);
        snprintf(name, sizeof name, "dq.fc%d.wcodes", l);
        const rec *c = get(name);
        float sw = cp_dynq_weight_scale(w->v, w->n);
        ck_assert_close(sw, s->v[0], 1e-7, 0);
        int8_t *q = malloc((size_t)w->n);
        cp_dynq_quantize_weights(w->v, w->n, sw, q);
        for (int i = 0; i < w->n; i++)
            ck_assert_msg(q[i] == (int8_t)c->v[i], "fc%d code %d: %d, torch %g", l, i, q[i], c->v[i]);
        free(q);
    }
}
END_TEST

START_TEST(dynq_outputs_match_torch)
{
    nn_arch *a = NULL;
    em_error err = {0};
    const char *yaml = "name: dq\ninput: [16, 1, 1]\nclasses: 4\nlayers:\n"
                       "  - {name: fc1, type: linear, out: 8}\n"
                       "  - {name: relu1, type: relu}\n"
                       "  - {name: fc2, type: linear, out: 4}\n";
    ck_assert_msg(nn_arch_parse(yaml, "dq.yaml", &a, &err) == 0, "%s", err.msg);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    const char *params[4] = {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "dq.%s", params[i]);
        const rec *r = get(name);
        nn_param *p = nn_net_find_param(net, params[i]);
        ck_assert_int_eq(p->numel, r->n);
        memcpy(p->data, r->v, sizeof(float) * (size_t)r->n);
    }
    cp_dynq *d = NULL;
    ck_assert_msg(cp_dynq_new(net, NULL, &d, &err) == 0, "%s", err.msg);
    const char *xs[3] = {"dq.x1", "dq.x2", "dq.x3"};
    for (int k = 0; k < 3; k++) {
        char name[64];
        const rec *x = get(xs[k]);
        snprintf(name, sizeof name, "%s.y", xs[k]);
        const rec *y = get(name);
        snprintf(name, sizeof name, "%s.float", xs[k]);
        const rec *yf = get(name);
        int n = x->n / 16;
        float *out = malloc(sizeof *out * (size_t)n * 4), *fl = malloc(sizeof *fl * (size_t)n * 4);
        ck_assert_msg(cp_dynq_forward(d, x->v, n, out, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(nn_net_forward(net, x->v, n, fl, false, &err), 0);
        double maxdiff_float = 0;
        for (int i = 0; i < n * 4; i++) {
            ck_assert_msg(fabs(out[i] - y->v[i]) <= 1e-5 + 1e-5 * fabs(y->v[i]),
                          "%s out[%d] = %.9g, torch %.9g", xs[k], i, out[i], y->v[i]);
            ck_assert_close(fl[i], yf->v[i], 1e-5, 1e-6); /* our float engine = torch float */
            maxdiff_float = fmax(maxdiff_float, fabs(yf->v[i] - y->v[i]));
        }
        ck_assert_msg(maxdiff_float > 1e-4, "%s: int8 and float outputs too close (%g) for the "
                      "check to mean anything", xs[k], maxdiff_float);
        free(out);
        free(fl);
    }
    cp_dynq_free(d);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

START_TEST(dynq_off_equals_engine)
{
    /* With every layer switched off, the tail recomputed in compress/ must equal the
     * engine's float forward: checks the wiring (source layer, fused ReLU, flatten). */
    char path[4096];
    em_error err = {0};
    nn_arch *a = NULL;
    ck_assert_int_eq(nn_arch_resolve("lenet5", path, sizeof path, &err), 0);
    ck_assert_int_eq(nn_arch_load(path, &a, &err), 0);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_net_init(net, 7);
    bool *off = calloc((size_t)a->n_layers, sizeof *off);
    cp_dynq *d = NULL;
    ck_assert_msg(cp_dynq_new(net, off, &d, &err) == 0, "%s", err.msg);
    enum { N = 6 };
    float *x = malloc(sizeof *x * N * 32 * 32), y1[N * 10], y2[N * 10], y3[N * 10];
    for (int i = 0; i < N * 32 * 32; i++) x[i] = (float)sin(i * 0.37) * 2;
    ck_assert_int_eq(cp_dynq_forward(d, x, N, y1, &err), 0);
    ck_assert_int_eq(nn_net_forward(net, x, N, y2, false, &err), 0);
    for (int i = 0; i < N * 10; i++) ck_assert_close(y1[i], y2[i], 1e-5, 1e-6);
    cp_dynq_free(d);
    /* Switched on: close to float (8-bit), but not equal. */
    ck_assert_int_eq(cp_dynq_new(net, NULL, &d, &err), 0);
    ck_assert_int_eq(cp_dynq_forward(d, x, N, y3, &err), 0);
    double diff = 0, scale = 0;
    for (int i = 0; i < N * 10; i++) {
        diff = fmax(diff, fabs(y3[i] - y2[i]));
        scale = fmax(scale, fabs(y2[i]));
    }
    ck_assert(diff > 0 && diff < 0.05 * scale);
    cp_dynq_free(d);
    free(off);
    free(x);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

START_TEST(dynq_unsupported_tail)
{
    nn_arch *a = NULL;
    em_error err = {0};
    const char *yaml = "name: odd\ninput: [4, 1, 1]\nclasses: 2\nlayers:\n"
                       "  - {name: fc1, type: linear, out: 6}\n"
                       "  - {name: bn1, type: bn}\n"
                       "  - {name: fc2, type: linear, out: 2}\n";
    ck_assert_msg(nn_arch_parse(yaml, "odd.yaml", &a, &err) == 0, "%s", err.msg);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    cp_dynq *d = NULL;
    ck_assert_int_eq(cp_dynq_new(net, NULL, &d, &err), EM_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.msg, "bn1"));
    ck_assert_ptr_null(d);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

START_TEST(dynq_act_params_hand_cases)
{
    /* [-1, 3]: scale 4/127; zero point from min: 0 + 1/(4/127) = 31.75 -> 32. */
    const float x[2] = {-1, 3};
    float s;
    int32_t z;
    cp_dynq_act_params(x, 2, &s, &z);
    ck_assert_close(s, 4.0 / 127, 1e-7, 0);
    ck_assert_int_eq(z, 32);
    /* Non-negative data: the range starts at 0, zero point 0. */
    const float p[3] = {0.5f, 2, 1.27f};
    cp_dynq_act_params(p, 3, &s, &z);
    ck_assert_close(s, 2.0 / 127, 1e-7, 0);
    ck_assert_int_eq(z, 0);
    /* Non-positive: zero point 127. All zero: scale 0.1 (PyTorch's fallback). */
    const float q[2] = {-2, -1};
    cp_dynq_act_params(q, 2, &s, &z);
    ck_assert_int_eq(z, 127);
    const float zz[2] = {0, 0};
    cp_dynq_act_params(zz, 2, &s, &z);
    ck_assert_close(s, 0.1, 1e-7, 0);
    ck_assert_int_eq(z, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("compress_torch");
    TCase *t = tcase_create("torch");
    tcase_add_test(t, l1_unstructured_matches_torch);
    tcase_add_test(t, global_unstructured_matches_torch);
    tcase_add_test(t, dynq_weight_codes_match_torch);
    tcase_add_test(t, dynq_outputs_match_torch);
    tcase_add_test(t, dynq_off_equals_engine);
    tcase_add_test(t, dynq_unsupported_tail);
    tcase_add_test(t, dynq_act_params_hand_cases);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
