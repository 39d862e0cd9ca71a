/* search/export.c: writing one solution of a finished run as ONNX or .emw
 * (search/export.h): pick the row, rebuild its network with the search's code path,
 * describe it in metadata, write it. */
#include "search/export.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/plan.h"
#include "compress/prune.h"
#include "compress/quant.h"
#include "nn/onnx.h"
#include "nn/weights.h"
#include "opt/rundir.h"
#include "search/config.h"
#include "search/csv.h"
#include "search/problem.h"
#include "search/report.h"

static int meta_f(nn_weights *m, const char *k, double v, em_error *err)
{
    char b[64];
    snprintf(b, sizeof b, "%.17g", v);
    return nn_weights_set_meta(m, k, b, err);
}

/* The genotype of candidate `cand` from final.csv's variable columns. */
static int read_genotype(const char *rundir, const opt_problem *p, int row, double *x,
                         em_error *err)
{
    char path[4096];
    int rc = opt_rundir_path(rundir, "final.csv", path, sizeof path, err);
    if (rc) return rc;
    sp_csv c;
    if ((rc = sp_csv_read(path, &c, err))) return rc;
    if (row >= c.n_rows) rc = em_fail(err, EM_EFORMAT, "%s: no row %d", path, row + 2);
    for (int i = 0; i < p->n_var && !rc; i++) {
        int col = sp_csv_col(&c, p->vars[i].name);
        if (col < 0) rc = em_fail(err, EM_EFORMAT, "%s: no column '%s'", path, p->vars[i].name);
        else rc = sp_csv_num(&c, row, col, &x[i], err);
    }
    sp_csv_free(&c);
    return rc;
}

/* A folded BN as an exact pass-through for re-folding: mean 0, bias = shift, and g, v
 * with g/sqrt(v+eps) so close to 1 that every weight of the conv maps to itself. */
static int passthrough_bn(nn_net *net, const nn_layer_spec *bn, const nn_layer_spec *conv,
                          nn_weights *w, em_error *err)
{
    char n[2 * NN_NAME_MAX + 24];
    snprintf(n, sizeof n, "%s.weight", conv->name);
    const nn_param *cw = nn_net_find_param(net, n);
    const float *shift = nn_net_conv_shift(net, (int)(conv - nn_net_arch(net)->layers));
    if (!cw || !shift) return em_fail(err, EM_EINTERNAL, "export: conv '%s' has no fold", conv->name);
    float v = 1.0f, g = 0;
    bool ok = false;
    for (int t = 0; t < 100000; t++) {
        g = (float)sqrt((double)v + bn->bn_eps);
        double sc = g / sqrt((double)v + bn->bn_eps); /* as nn_net_fold_bn computes it */
        ok = true;
        for (int64_t i = 0; i < cw->numel && ok; i++)
            ok = (float)(cw->data[i] * sc) == cw->data[i];
        if (ok) break;
        v = nextafterf(v, 2.0f);
    }
    if (!ok) return em_fail(err, EM_EINTERNAL, "export: no exact pass-through for BN '%s'", bn->name);
    const int c = bn->in.c;
    float *vals = malloc(sizeof *vals * (size_t)c * 4);
    if (!vals) return em_fail(err, EM_ENOMEM, "out of memory");
    for (int i = 0; i < c; i++) {
        vals[i] = g;
        vals[c + i] = shift[i];
        vals[2 * c + i] = 0;
        vals[3 * c + i] = v;
    }
    static const char *const sfx[4] = {"weight", "bias", "running_mean", "running_var"};
    int rc = EM_OK;
    for (int k = 0; k < 4 && !rc; k++) {
        snprintf(n, sizeof n, "%s.%s", bn->name, sfx[k]);
        nn_wtensor *t = (nn_wtensor *)nn_weights_find(w, n);
        if (!t || t->numel != c) rc = em_fail(err, EM_EINTERNAL, "export: no tensor %s", n);
        else memcpy(t->data, vals + (size_t)k * (size_t)c, sizeof(float) * (size_t)c);
    }
    if (!rc && conv->bias) { /* the shift holds the conv's bias already */
        snprintf(n, sizeof n, "%s.bias", conv->name);
        nn_wtensor *t = (nn_wtensor *)nn_weights_find(w, n);
        if (t) memset(t->data, 0, sizeof(float) * (size_t)t->numel);
    }
    free(vals);
    return rc;
}

int sp_export_net_emw(nn_net *net, const nn_weights *meta, const char *out, em_error *err)
{
    nn_weights *w = NULL;
    int rc = nn_weights_from_net(net, &w, err);
    const nn_arch *a = nn_net_arch(net);
    for (int i = 0; i < a->n_layers && !rc; i++)
        if (nn_net_bn_folded(net, i))
            rc = passthrough_bn(net, &a->layers[i], &a->layers[a->layers[i].src[0]], w, err);
    for (int i = 0; meta && i < meta->n_meta && !rc; i++)
        rc = nn_weights_set_meta(w, meta->meta[i].key, meta->meta[i].value, err);
    if (!rc) rc = nn_weights_save(w, out, err);
    nn_weights_free(w);
    return rc;
}

int sp_export(const char *rundir, const sp_export_opts *o, sp_export_info *info, em_error *err)
{
    sp_config cfg;
    int rc = sp_config_load_rundir(rundir, &cfg, err);
    if (rc) return rc;
    sp_context *ctx = NULL;
    opt_problem *p = NULL;
    sp_final f;
    sp_selection sel;
    nn_weights *meta = NULL;
    double *x = NULL;
    int *bits = NULL;
    memset(&f, 0, sizeof f);
    memset(&sel, 0, sizeof sel);
    if ((rc = sp_context_new(&cfg, false, &ctx, err)) || (rc = sp_problem_new(ctx, &p, err)))
        goto done;
    const nn_arch *arch = sp_context_arch(ctx);
    const int L = nn_arch_compute_layer_count(arch);
    if ((rc = sp_final_read(rundir, &cfg, L, &f, err))) goto done;
    const int first = f.has_reference ? 1 : 0, n = f.n - first;
    if ((rc = sp_selection_make(&f, sp_final_cost(&f, &cfg), &sel, err))) goto done;
    int pick = o->pick >= 0 ? o->pick : sp_selection_knee(&sel);
    if (n == 0 || pick < 0 || pick >= n) {
        rc = em_fail(err, EM_EINVAL, "%s: --pick %d: the run's set has %d solutions", rundir,
                     o->pick, n);
        goto done;
    }
    const int row = first + pick;
    x = calloc((size_t)p->n_var, sizeof *x);
    bits = calloc((size_t)(L ? L : 1), sizeof *bits);
    if (!x || !bits) { rc = em_fail(err, EM_ENOMEM, "out of memory"); goto done; }
    if ((rc = read_genotype(rundir, p, row, x, err))) goto done;
    nn_net *net = NULL;
    if ((rc = sp_compress_candidate(ctx, x, &net, bits, err))) goto done;

    if (!(meta = nn_weights_new())) { rc = em_fail(err, EM_ENOMEM, "out of memory"); goto done; }
    char plan[CP_PLAN_MAX_LAYERS * 32];
    cp_stats_format(f.plans + (size_t)row * (size_t)L, L, plan, sizeof plan);
    char pk[32];
    snprintf(pk, sizeof pk, "%d", pick);
    rc = nn_weights_set_meta(meta, "emomc.run", rundir, err);
    if (!rc) rc = nn_weights_set_meta(meta, "emomc.pick", pk, err);
    if (!rc) rc = nn_weights_set_meta(meta, "emomc.problem", sp_kind_name(cfg.kind), err);
    if (!rc) rc = nn_weights_set_meta(meta, "model", arch->name, err);
    if (!rc) rc = nn_weights_set_meta(meta, "emomc.plan", plan, err);
    if (!rc) rc = nn_weights_set_meta(meta, "emomc.bn", cp_bn_order_name(cfg.bn), err);
    if (!rc) rc = meta_f(meta, "emomc.accuracy_search", f.acc_search[row], err);
    if (!rc) rc = meta_f(meta, "emomc.accuracy_final", f.acc_final[row], err);
    if (!rc) rc = meta_f(meta, "emomc.energy_mj", f.energy_mj[row], err);
    if (!rc) rc = meta_f(meta, "emomc.size_kb", f.size_kb[row], err);
    if (!rc && cfg.kind == SP_SBO && x[6] >= 0.5)
        rc = nn_weights_set_meta(meta, "emomc.dynq", "linear layers run as dynamic int8 "
                                 "(an inference mode: the weights here are float)", err);
    for (int i = 0; i < L && !rc; i++) {
        int li = cp_compute_layer_index(arch, i);
        const nn_param *w = cp_layer_param(net, li, false);
        double mx = 0;
        for (int64_t j = 0; j < w->numel; j++) mx = fmax(mx, fabs((double)w->data[j]));
        char key[NN_NAME_MAX + 32];
        snprintf(key, sizeof key, "emomc.bits.%s", arch->layers[li].name);
        rc = meta_f(meta, key, bits[i], err);
        snprintf(key, sizeof key, "emomc.scale.%s", arch->layers[li].name);
        if (!rc) rc = meta_f(meta, key, bits[i] ? cp_quant_spacing(mx, bits[i]) : 0, err);
        snprintf(key, sizeof key, "emomc.nonzero.%s", arch->layers[li].name);
        if (!rc) rc = meta_f(meta, key, (double)cp_count_nonzero(w->data, w->numel), err);
    }
    if (rc) goto done;
    rc = o->format == SP_EXPORT_ONNX ? nn_onnx_save(net, meta, o->out, err)
                                     : sp_export_net_emw(net, meta, o->out, err);
    if (!rc && info) {
        info->pick = pick;
        info->accuracy_search = f.acc_search[row];
        info->accuracy_final = f.acc_final[row];
        info->energy_mj = f.energy_mj[row];
        info->size_kb = f.size_kb[row];
        snprintf(info->model, sizeof info->model, "%s", arch->name);
    }
done:
    free(x);
    free(bits);
    nn_weights_free(meta);
    sp_selection_free(&sel);
    sp_final_free(&f);
    opt_problem_free(p);
    sp_context_free(ctx);
    return rc;
}
