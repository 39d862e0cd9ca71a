/* compress/plan.c: compression plans: defaults, checks, the text form, applying a
 * plan to a network and measuring the result (see compress/plan.h). */
#include "compress/plan.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/quant.h"
#include "nn/train.h"

void cp_plan_identity(cp_plan *p, int n_layers)
{
    memset(p, 0, sizeof *p);
    p->n_layers = n_layers;
    for (int i = 0; i < CP_PLAN_MAX_LAYERS; i++)
        p->layer[i] = (cp_layer_plan){1.0, 0, CP_PRUNE_L1, CP_TARGET_WEIGHTS, false};
}

void cp_plan_uniform(cp_plan *p, int n_layers, double keep, int bits)
{
    cp_plan_identity(p, n_layers);
    for (int i = 0; i < CP_PLAN_MAX_LAYERS; i++) {
        p->layer[i].keep = keep;
        p->layer[i].bits = bits;
    }
}

int cp_compute_layer_index(const nn_arch *a, int i)
{
    for (int j = 0, c = 0; j < a->n_layers; j++)
        if (nn_layer_is_compute(&a->layers[j]) && c++ == i) return j;
    return -1;
}

bool cp_plan_has_dynq(const cp_plan *p)
{
    for (int i = 0; i < p->n_layers; i++)
        if (p->layer[i].dynq) return true;
    return false;
}

int cp_plan_check(const cp_plan *p, const nn_arch *a, em_error *err)
{
    int n = nn_arch_compute_layer_count(a);
    if (p->n_layers != n)
        return em_fail(err, EM_EINVAL, "plan: %d layers, but model %s has %d conv/linear layers",
                       p->n_layers, a->name, n);
    if (n > CP_PLAN_MAX_LAYERS)
        return em_fail(err, EM_EUNSUPPORTED, "plan: model %s has %d conv/linear layers (max %d)",
                       a->name, n, CP_PLAN_MAX_LAYERS);
    if ((unsigned)p->bn >= CP_BN_ORDER_COUNT)
        return em_fail(err, EM_EINVAL, "plan: bad batch-norm order %d", (int)p->bn);
    double gkeep = -1;
    for (int i = 0; i < n; i++) {
        const cp_layer_plan *l = &p->layer[i];
        const nn_layer_spec *s = &a->layers[cp_compute_layer_index(a, i)];
        if (!(l->keep >= 0 && l->keep <= 1))
            return em_fail(err, EM_EINVAL, "plan: keep of layer %s is %g, outside [0, 1]",
                           s->name, l->keep);
        if (l->bits < 0 || l->bits > CP_QUANT_MAX_BITS)
            return em_fail(err, EM_EINVAL, "plan: bits of layer %s is %d, outside 0..%d",
                           s->name, l->bits, CP_QUANT_MAX_BITS);
        if ((unsigned)l->method >= CP_PRUNE_METHOD_COUNT || (unsigned)l->target >= CP_TARGET_COUNT)
            return em_fail(err, EM_EINVAL, "plan: bad prune method or target for layer %s", s->name);
        if (l->dynq && s->kind != NN_L_LINEAR)
            return em_fail(err, EM_EINVAL, "plan: dynq on layer %s, which is not linear", s->name);
        if (l->dynq && l->bits)
            return em_fail(err, EM_EINVAL, "plan: layer %s has both dynq and bits=%d (dynamic "
                           "int8 quantizes the float weights itself; use bits 0)", s->name, l->bits);
        if (p->global_l1 && l->method == CP_PRUNE_L1) {
            if (gkeep >= 0 && l->keep != gkeep)
                return em_fail(err, EM_EINVAL, "plan: scope=global needs one keep for all L1 "
                               "layers (%s has %g, an earlier layer %g)", s->name, l->keep, gkeep);
            gkeep = l->keep;
        }
    }
    return EM_OK;
}

/* ---- text form ---------------------------------------------------------------- */

enum { K_KEEP, K_BITS, K_PRUNE, K_TARGET, K_DYNQ, K_SCOPE, K_BN, K_COUNT };
static const char *key_names[K_COUNT] = {"keep", "bits", "prune", "target", "dynq", "scope", "bn"};

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

static int parse_value(int key, const char *v, int layer, cp_plan *p, em_error *err)
{
    char *end;
    if (key == K_KEEP) {
        errno = 0;
        double x = strtod(v, &end);
        if (end == v || *end || errno || !(x >= 0 && x <= 1))
            return em_fail(err, EM_EINVAL, "plan: keep '%s' is not a number in [0, 1]", v);
        p->layer[layer].keep = x;
    } else if (key == K_BITS || key == K_DYNQ) {
        errno = 0;
        long x = strtol(v, &end, 10);
        long hi = key == K_BITS ? CP_QUANT_MAX_BITS : 1;
        if (end == v || *end || errno || x < 0 || x > hi)
            return em_fail(err, EM_EINVAL, "plan: %s '%s' is not an integer in 0..%ld",
                           key_names[key], v, hi);
        if (key == K_BITS) p->layer[layer].bits = (int)x;
        else p->layer[layer].dynq = x == 1;
    } else if (key == K_PRUNE) {
        if (cp_prune_method_parse(v, &p->layer[layer].method))
            return em_fail(err, EM_EINVAL, "plan: prune '%s' is not none, l1 or random", v);
    } else if (key == K_TARGET) {
        if (cp_prune_target_parse(v, &p->layer[layer].target))
            return em_fail(err, EM_EINVAL, "plan: target '%s' is not weights, biases or both", v);
    }
    return EM_OK;
}

int cp_plan_parse(const char *text, int n_layers, cp_plan *out, em_error *err)
{
    if (n_layers < 1 || n_layers > CP_PLAN_MAX_LAYERS)
        return em_fail(err, EM_EINVAL, "plan: %d layers (1..%d)", n_layers, CP_PLAN_MAX_LAYERS);
    cp_plan p;
    cp_plan_identity(&p, n_layers);
    char *copy = strdup(text ? text : "");
    if (!copy) return em_fail(err, EM_ENOMEM, "plan: out of memory");
    bool seen[K_COUNT] = {false};
    int rc = EM_OK;
    char *save = NULL;
    for (char *item = strtok_r(copy, ";", &save); item && !rc; item = strtok_r(NULL, ";", &save)) {
        item = trim(item);
        if (!*item) continue;
        char *eq = strchr(item, '=');
        if (!eq) {
            rc = em_fail(err, EM_EINVAL, "plan: '%s' is not key=value", item);
            break;
        }
        *eq = 0;
        char *key = trim(item), *val = trim(eq + 1);
        int k = 0;
        while (k < K_COUNT && strcmp(key, key_names[k])) k++;
        if (k == K_COUNT) {
            rc = em_fail(err, EM_EINVAL, "plan: unknown key '%s' (keep, bits, prune, target, "
                         "dynq, scope, bn)", key);
            break;
        }
        if (seen[k]) {
            rc = em_fail(err, EM_EINVAL, "plan: key '%s' given twice", key);
            break;
        }
        seen[k] = true;
        if (k == K_SCOPE) {
            if (!strcmp(val, "layer")) p.global_l1 = false;
            else if (!strcmp(val, "global")) p.global_l1 = true;
            else rc = em_fail(err, EM_EINVAL, "plan: scope '%s' is not layer or global", val);
            continue;
        }
        if (k == K_BN) {
            if (cp_bn_order_parse(val, &p.bn))
                rc = em_fail(err, EM_EINVAL, "plan: bn '%s' is not fold-then-quantize or "
                             "quantize-then-fold", val);
            continue;
        }
        int count = 1;
        for (const char *c = val; *c; c++) count += *c == ',';
        if (count != 1 && count != n_layers) {
            rc = em_fail(err, EM_EINVAL, "plan: %s has %d values; the model has %d conv/linear "
                         "layers (give 1 or %d)", key, count, n_layers, n_layers);
            break;
        }
        char *s2 = NULL;
        int i = 0;
        for (char *v = strtok_r(val, ",", &s2); v && !rc; v = strtok_r(NULL, ",", &s2), i++)
            rc = parse_value(k, trim(v), i, &p, err);
        if (!rc && i != count)
            rc = em_fail(err, EM_EINVAL, "plan: %s has an empty value", key);
        if (!rc && count == 1)
            for (int j = 1; j < n_layers; j++) {
                if (k == K_KEEP) p.layer[j].keep = p.layer[0].keep;
                if (k == K_BITS) p.layer[j].bits = p.layer[0].bits;
                if (k == K_PRUNE) p.layer[j].method = p.layer[0].method;
                if (k == K_TARGET) p.layer[j].target = p.layer[0].target;
                if (k == K_DYNQ) p.layer[j].dynq = p.layer[0].dynq;
            }
    }
    free(copy);
    if (!rc) *out = p;
    return rc;
}

/* Shortest "%g" that reads back as x. */
static void fmt_double(char *b, size_t n, double x)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(b, n, "%.*g", prec, x);
        if (strtod(b, NULL) == x) return;
    }
}

static void fmt_field(const cp_plan *p, int k, int i, char *b, size_t n)
{
    const cp_layer_plan *l = &p->layer[i];
    switch (k) {
    case K_KEEP: fmt_double(b, n, l->keep); break;
    case K_BITS: snprintf(b, n, "%d", l->bits); break;
    case K_PRUNE: snprintf(b, n, "%s", cp_prune_method_name(l->method)); break;
    case K_TARGET: snprintf(b, n, "%s", cp_prune_target_name(l->target)); break;
    default: snprintf(b, n, "%d", l->dynq ? 1 : 0); break;
    }
}

int cp_plan_format(const cp_plan *p, char *buf, size_t n)
{
    static const char *defaults[K_COUNT] = {"1", "0", "l1", "weights", "0", "layer",
                                            "fold-then-quantize"};
    char *tmp = malloc(64 * (size_t)CP_PLAN_MAX_LAYERS * K_COUNT + 64);
    if (!tmp) return -1;
    size_t at = 0;
    tmp[0] = 0;
    for (int k = 0; k < K_SCOPE; k++) {
        char first[64], cur[64];
        fmt_field(p, k, 0, first, sizeof first);
        bool same = true;
        for (int i = 1; i < p->n_layers && same; i++) {
            fmt_field(p, k, i, cur, sizeof cur);
            same = !strcmp(cur, first);
        }
        if (same && !strcmp(first, defaults[k]) && k != K_KEEP && k != K_BITS) continue;
        at += (size_t)sprintf(tmp + at, "%s%s=", at ? ";" : "", key_names[k]);
        for (int i = 0; i < (same ? 1 : p->n_layers); i++) {
            fmt_field(p, k, i, cur, sizeof cur);
            at += (size_t)sprintf(tmp + at, "%s%s", i ? "," : "", cur);
        }
    }
    if (p->global_l1) at += (size_t)sprintf(tmp + at, ";scope=global");
    if (p->bn != CP_BN_FOLD_THEN_QUANTIZE)
        at += (size_t)sprintf(tmp + at, ";bn=%s", cp_bn_order_name(p->bn));
    int len = snprintf(buf, n, "%s", tmp);
    free(tmp);
    return len;
}

/* ---- the measured text form ("keep:width;...") ----------------------------------- */

_Static_assert(EM_LAYER_NAME_MAX == NN_NAME_MAX, "layer statistics hold a layer name");

void cp_stats_format(const cp_layer_stats *s, int n, char *buf, size_t cap)
{
    size_t k = 0;
    if (cap) buf[0] = 0;
    for (int i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%.9g:%d", i ? ";" : "", s[i].keep,
                              em_bits_width(s[i].bits));
}

int cp_stats_parse(const char *text, int n, cp_layer_stats *out, em_error *err)
{
    const char *p = text;
    for (int i = 0; i < n; i++) {
        char *end;
        double keep = strtod(p, &end);
        if (end == p || *end != ':') goto bad;
        p = end + 1;
        double width = strtod(p, &end);
        if (end == p || *end != (i + 1 < n ? ';' : '\0')) goto bad;
        if (!(keep >= 0 && keep <= 1) || !(width >= 0 && width <= EM_FLOAT_WIDTH) ||
            width != rint(width))
            return em_fail(err, EM_EFORMAT, "layer %d has keep %g and bits %g (keep must lie "
                           "in [0, 1], bits be a whole number in 0..%d)", i + 1, keep, width,
                           EM_FLOAT_WIDTH);
        out[i] = em_layer_stats_what_if(keep, em_bits_from_width((int)width));
        p = end + 1;
    }
    return EM_OK;
bad:
    return em_fail(err, EM_EFORMAT, "expected %d keep:bits pairs", n);
}

/* ---- applying and measuring ----------------------------------------------------- */

void cp_plan_measure(nn_net *net, const cp_plan *plan, cp_plan_stats *st)
{
    const nn_arch *a = nn_net_arch(net);
    memset(st, 0, sizeof *st);
    int n = nn_arch_compute_layer_count(a);
    st->n_layers = n < CP_PLAN_MAX_LAYERS ? n : CP_PLAN_MAX_LAYERS;
    for (int i = 0; i < st->n_layers; i++) {
        int li = cp_compute_layer_index(a, i);
        cp_layer_stats *s = &st->layer[i];
        snprintf(s->name, sizeof s->name, "%s", a->layers[li].name);
        s->layer = li;
        nn_param *w = cp_layer_param(net, li, false), *b = cp_layer_param(net, li, true);
        s->n = w->numel;
        s->nnz = cp_count_nonzero(w->data, w->numel);
        s->keep = w->numel ? (double)s->nnz / (double)w->numel : 1.0;
        s->kept = w->mask ? cp_count_nonzero(w->mask, w->numel) : w->numel;
        if (b) {
            s->bias_n = b->numel;
            s->bias_nnz = cp_count_nonzero(b->data, b->numel);
        }
        s->bits = plan ? plan->layer[i].bits : 0;
        s->dynq = plan ? plan->layer[i].dynq : false;
        st->n += s->n;
        st->nnz += s->nnz;
    }
}

int cp_plan_apply(nn_net *net, const cp_plan *plan, uint64_t seed, cp_plan_stats *stats,
                  em_error *err)
{
    const nn_arch *a = nn_net_arch(net);
    int rc = cp_plan_check(plan, a, err);
    if (rc) return rc;
    bool *use = calloc((size_t)a->n_layers, sizeof *use);
    if (!use) return em_fail(err, EM_ENOMEM, "plan: out of memory");
    /* Global L1, one ranking per target kind present among the L1 layers. */
    if (plan->global_l1) {
        for (int t = 0; t < CP_TARGET_COUNT && !rc; t++) {
            bool any = false;
            double keep = 1;
            for (int i = 0; i < plan->n_layers; i++) {
                const cp_layer_plan *l = &plan->layer[i];
                int li = cp_compute_layer_index(a, i);
                use[li] = l->method == CP_PRUNE_L1 && (int)l->target == t;
                if (use[li]) any = true, keep = l->keep;
            }
            if (any) rc = cp_prune_global_l1(net, use, (cp_prune_target)t, keep, err);
        }
    }
    for (int i = 0; i < plan->n_layers && !rc; i++) {
        const cp_layer_plan *l = &plan->layer[i];
        if (l->method == CP_PRUNE_NONE || (plan->global_l1 && l->method == CP_PRUNE_L1)) continue;
        rc = cp_prune_layer(net, cp_compute_layer_index(a, i), l->method, l->target, l->keep,
                            cp_mix_seed(seed, (uint64_t)i), err);
    }
    if (!rc) {
        int bits[CP_PLAN_MAX_LAYERS];
        for (int i = 0; i < plan->n_layers; i++) bits[i] = plan->layer[i].bits;
        rc = cp_quantize_net(net, bits, plan->bn, err);
    }
    free(use);
    if (!rc && stats) cp_plan_measure(net, plan, stats);
    return rc;
}

int cp_plan_evaluate(nn_net *net, const cp_plan *plan, const nn_dataset *ds, int batch,
                     int limit, double *accuracy, em_error *err)
{
    if (!cp_plan_has_dynq(plan)) {
        nn_eval_result *r = malloc(sizeof *r);
        if (!r) return em_fail(err, EM_ENOMEM, "plan: out of memory");
        int rc = nn_evaluate(net, ds, batch, limit, r, err);
        if (!rc) *accuracy = r->accuracy;
        free(r);
        return rc;
    }
    const nn_arch *a = nn_net_arch(net);
    bool *on = calloc((size_t)a->n_layers, sizeof *on);
    if (!on) return em_fail(err, EM_ENOMEM, "plan: out of memory");
    for (int i = 0; i < plan->n_layers; i++)
        on[cp_compute_layer_index(a, i)] = plan->layer[i].dynq;
    cp_dynq *d = NULL;
    int rc = cp_dynq_new(net, on, &d, err);
    if (!rc) rc = cp_dynq_evaluate(d, ds, batch, limit, accuracy, err);
    cp_dynq_free(d);
    free(on);
    return rc;
}
