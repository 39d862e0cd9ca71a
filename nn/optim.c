/* nn/optim.c: SGD (momentum, Nesterov, weight decay) and Adam with PyTorch's update
 * rules, mask-aware, with state save/restore (see nn/optim.h). */
#include "nn/optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    nn_param *p;
    float *buf1;    /* SGD momentum buffer, or Adam exp_avg */
    float *buf2;    /* Adam exp_avg_sq */
} slot;

struct nn_optim {
    nn_optim_cfg cfg;
    int n;
    slot *s;
    int64_t steps;
};

void nn_optim_cfg_default(nn_optim_cfg *c, nn_optim_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->lr = kind == NN_OPT_ADAM ? 1e-3 : 0.01;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
}

const char *nn_optim_kind_name(nn_optim_kind k) { return k == NN_OPT_ADAM ? "adam" : "sgd"; }

static int check_cfg(const nn_optim_cfg *c, em_error *err)
{
    if (!(c->lr >= 0) || !isfinite(c->lr))
        return em_fail(err, EM_EINVAL, "optimizer: learning rate %g must be >= 0", c->lr);
    if (!(c->weight_decay >= 0))
        return em_fail(err, EM_EINVAL, "optimizer: weight decay %g must be >= 0", c->weight_decay);
    if (c->kind == NN_OPT_SGD) {
        if (!(c->momentum >= 0 && c->momentum < 1))
            return em_fail(err, EM_EINVAL, "optimizer: momentum %g must be in [0, 1)", c->momentum);
        if (!(c->dampening >= 0 && c->dampening <= 1))
            return em_fail(err, EM_EINVAL, "optimizer: dampening %g must be in [0, 1]",
                           c->dampening);
        if (c->nesterov && (c->momentum <= 0 || c->dampening != 0))
            return em_fail(err, EM_EINVAL,
                           "optimizer: Nesterov momentum needs momentum > 0 and no dampening");
    } else if (c->kind == NN_OPT_ADAM) {
        if (!(c->beta1 >= 0 && c->beta1 < 1 && c->beta2 >= 0 && c->beta2 < 1))
            return em_fail(err, EM_EINVAL, "optimizer: Adam betas (%g, %g) must be in [0, 1)",
                           c->beta1, c->beta2);
        if (!(c->eps > 0)) return em_fail(err, EM_EINVAL, "optimizer: eps %g must be > 0", c->eps);
    } else {
        return em_fail(err, EM_EINVAL, "optimizer: unknown kind %d", (int)c->kind);
    }
    return EM_OK;
}

int nn_optim_new(const nn_optim_cfg *cfg, nn_param *const *params, int n, nn_optim **out,
                 em_error *err)
{
    *out = NULL;
    int rc = check_cfg(cfg, err);
    if (rc) return rc;
    nn_optim *o = calloc(1, sizeof *o);
    if (!o) return em_fail(err, EM_ENOMEM, "optimizer: out of memory");
    o->cfg = *cfg;
    o->s = calloc((size_t)(n > 0 ? n : 1), sizeof *o->s);
    if (!o->s) {
        free(o);
        return em_fail(err, EM_ENOMEM, "optimizer: out of memory");
    }
    bool need1 = cfg->kind == NN_OPT_ADAM || cfg->momentum > 0, need2 = cfg->kind == NN_OPT_ADAM;
    for (int i = 0; i < n; i++) {
        nn_param *p = params[i];
        if (!p->trainable || !p->grad) continue;
        slot *s = &o->s[o->n++];
        s->p = p;
        if (need1) s->buf1 = calloc((size_t)p->numel, sizeof(float));
        if (need2) s->buf2 = calloc((size_t)p->numel, sizeof(float));
        if ((need1 && !s->buf1) || (need2 && !s->buf2)) {
            nn_optim_free(o);
            return em_fail(err, EM_ENOMEM, "optimizer: out of memory");
        }
    }
    *out = o;
    return EM_OK;
}

int nn_optim_new_for_net(const nn_optim_cfg *cfg, nn_net *net, nn_optim **out, em_error *err)
{
    int n = nn_net_param_count(net);
    nn_param **ps = malloc(sizeof *ps * (size_t)(n > 0 ? n : 1));
    if (!ps) return em_fail(err, EM_ENOMEM, "optimizer: out of memory");
    for (int i = 0; i < n; i++) ps[i] = nn_net_param(net, i);
    int rc = nn_optim_new(cfg, ps, n, out, err);
    free(ps);
    return rc;
}

void nn_optim_free(nn_optim *o)
{
    if (!o) return;
    for (int i = 0; i < o->n; i++) {
        free(o->s[i].buf1);
        free(o->s[i].buf2);
    }
    free(o->s);
    free(o);
}

void nn_optim_set_lr(nn_optim *o, double lr) { o->cfg.lr = lr; }
double nn_optim_lr(const nn_optim *o) { return o->cfg.lr; }
int64_t nn_optim_step_count(const nn_optim *o) { return o->steps; }

/* Element k's gradient with weight decay, as both updates take it; false (and the
 * weight held at 0) where the mask prunes it. */
static inline bool live_grad(const nn_param *p, float wd, int64_t k, float *d)
{
    if (p->mask && p->mask[k] == 0.0f) {
        p->data[k] = 0.0f;
        return false;
    }
    *d = p->grad[k];
    if (wd != 0.0f) *d += wd * p->data[k];
    return true;
}

static void sgd_update(const nn_optim_cfg *c, slot *s, bool first)
{
    nn_param *p = s->p;
    const float lr = (float)c->lr, wd = (float)c->weight_decay, mom = (float)c->momentum;
    const float damp1 = (float)(1.0 - c->dampening);
    float *w = p->data, *buf = s->buf1;
    for (int64_t k = 0; k < p->numel; k++) {
        float d;
        if (!live_grad(p, wd, k, &d)) continue;
        if (buf) {
            buf[k] = first ? d : mom * buf[k] + damp1 * d;
            d = c->nesterov ? d + mom * buf[k] : buf[k];
        }
        w[k] -= lr * d;
    }
}

static void adam_update(const nn_optim_cfg *c, slot *s, int64_t t)
{
    nn_param *p = s->p;
    const float wd = (float)c->weight_decay, b1 = (float)c->beta1, b2 = (float)c->beta2;
    const double bc1 = 1.0 - pow(c->beta1, (double)t), bc2 = 1.0 - pow(c->beta2, (double)t);
    const float step_size = (float)(c->lr / bc1), bc2_sqrt = (float)sqrt(bc2), eps = (float)c->eps;
    float *w = p->data, *m = s->buf1, *v = s->buf2;
    for (int64_t k = 0; k < p->numel; k++) {
        float d;
        if (!live_grad(p, wd, k, &d)) continue;
        m[k] += (1.0f - b1) * (d - m[k]);          /* torch lerp_ */
        v[k] = b2 * v[k] + (1.0f - b2) * d * d;
        float denom = sqrtf(v[k]) / bc2_sqrt + eps;
        w[k] -= step_size * (m[k] / denom);
    }
}

void nn_optim_step(nn_optim *o)
{
    bool first = o->steps == 0;
    o->steps++;
    for (int i = 0; i < o->n; i++) {
        if (o->cfg.kind == NN_OPT_ADAM)
            adam_update(&o->cfg, &o->s[i], o->steps);
        else
            sgd_update(&o->cfg, &o->s[i], first);
    }
}

static void buf_name(char *out, size_t n, const nn_param *p, const char *what)
{
    snprintf(out, n, "optim.%s.%s", p->name, what);
}

int nn_optim_save_state(const nn_optim *o, nn_weights *w, em_error *err)
{
    char v[64];
    int rc = nn_weights_set_meta(w, "optim.kind", nn_optim_kind_name(o->cfg.kind), err);
    snprintf(v, sizeof v, "%lld", (long long)o->steps);
    if (!rc) rc = nn_weights_set_meta(w, "optim.steps", v, err);
    const char *n1 = o->cfg.kind == NN_OPT_ADAM ? "exp_avg" : "momentum_buffer";
    for (int i = 0; i < o->n && !rc; i++) {
        const slot *s = &o->s[i];
        int64_t shape[4];
        for (int d = 0; d < s->p->ndim; d++) shape[d] = s->p->shape[d];
        char name[NN_WEIGHTS_NAME_MAX];
        if (s->buf1) {
            buf_name(name, sizeof name, s->p, n1);
            rc = nn_weights_add(w, name, NN_DT_F32, s->p->ndim, shape, s->buf1, err);
        }
        if (!rc && s->buf2) {
            buf_name(name, sizeof name, s->p, "exp_avg_sq");
            rc = nn_weights_add(w, name, NN_DT_F32, s->p->ndim, shape, s->buf2, err);
        }
    }
    return rc;
}

int nn_optim_load_state(nn_optim *o, const nn_weights *w, const char *what, em_error *err)
{
    const char *kind = nn_weights_meta(w, "optim.kind"), *steps = nn_weights_meta(w, "optim.steps");
    if (!kind || !steps)
        return em_fail(err, EM_EFORMAT, "%s: no optimizer state (not a training checkpoint)",
                       what);
    if (strcmp(kind, nn_optim_kind_name(o->cfg.kind)))
        return em_fail(err, EM_EINVAL, "%s: optimizer state is for %s, not %s", what, kind,
                       nn_optim_kind_name(o->cfg.kind));
    char *end;
    long long st = strtoll(steps, &end, 10);
    if (*end || st < 0) return em_fail(err, EM_EFORMAT, "%s: bad optim.steps '%s'", what, steps);
    const char *n1 = o->cfg.kind == NN_OPT_ADAM ? "exp_avg" : "momentum_buffer";
    /* Check everything first, then copy. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < o->n; i++) {
            slot *s = &o->s[i];
            for (int b = 0; b < 2; b++) {
                float *dst = b ? s->buf2 : s->buf1;
                if (!dst) continue;
                char name[NN_WEIGHTS_NAME_MAX];
                buf_name(name, sizeof name, s->p, b ? "exp_avg_sq" : n1);
                const nn_wtensor *t = nn_weights_find(w, name);
                if (!t || t->dtype != NN_DT_F32 || t->numel != s->p->numel)
                    return em_fail(err, EM_EFORMAT, "%s: optimizer buffer '%s' %s", what, name,
                                   t ? "has the wrong size or type" : "is missing");
                if (pass) memcpy(dst, t->data, sizeof(float) * (size_t)t->numel);
            }
        }
    o->steps = st;
    return EM_OK;
}
