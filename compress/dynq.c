/* compress/dynq.c: dynamic int8 inference for linear layers with PyTorch's
 * semantics (see compress/quant.h). The engine runs the network in float; the tail
 * from the first linear layer on (linear, relu, dropout, flatten only) is then
 * recomputed here from that layer's input, with int8 weights and per-batch uint8
 * activations in the layers that are switched on, in float in the others. No hook
 * in nn/ is needed: the float tail the engine computed is simply discarded. */
#include "compress/quant.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compress/prune.h"

#define DYNQ_QMIN 0
#define DYNQ_QMAX 127              /* uint8 with reduce_range (fbgemm, onednn) */
#define DYNQ_SMALL_SCALE 6.1e-5f   /* ChooseQuantizationParams' SMALL_SCALE_THRESHOLD */

float cp_dynq_weight_scale(const float *w, int64_t n)
{
    float mx = 0;
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(w[i]);
        if (a > mx) mx = a;
    }
    float s = mx / 127.5f; /* MinMaxObserver: max / ((127 - -128) / 2) */
    return s > FLT_EPSILON ? s : FLT_EPSILON;
}

void cp_dynq_quantize_weights(const float *w, int64_t n, float scale, int8_t *q)
{
    for (int64_t i = 0; i < n; i++) {
        float v = rintf(w[i] / scale);
        q[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

/* ATen's ChooseQuantizationParams(min, max, 0, 255, preserve_sparsity = false,
 * force_scale_power_of_two = false, reduce_range = true). */
void cp_dynq_act_params(const float *x, int64_t n, float *scale, int32_t *zero_point)
{
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    const int qmin = DYNQ_QMIN, qmax = DYNQ_QMAX;
    double s = ((double)hi - lo) / (qmax - qmin);
    if ((float)s == 0.0f || isinf(1.0f / (float)s)) s = 0.1;
    if (s < DYNQ_SMALL_SCALE) {
        float org = (float)s;
        s = DYNQ_SMALL_SCALE;
        if (lo == 0.0f) hi = DYNQ_SMALL_SCALE * (qmax - qmin);
        else if (hi == 0.0f) lo = -DYNQ_SMALL_SCALE * (qmax - qmin);
        else {
            float amp = DYNQ_SMALL_SCALE / org;
            lo *= amp;
            hi *= amp;
        }
    }
    double zmin = qmin - lo / s, zmax = qmax - hi / s;
    double emin = fabs((double)qmin) - fabs(lo / s), emax = fabs((double)qmax) - fabs(hi / s);
    double z0 = emin < emax ? zmin : zmax;
    int32_t z = z0 < qmin ? qmin : z0 > qmax ? qmax : (int32_t)nearbyint(z0);
    *scale = (float)s;
    *zero_point = z;
}

void cp_dynq_linear(const float *x, int m, int in, const int8_t *qw, float sw, const float *b,
                    int out, float *y, int32_t *qx)
{
    float sx;
    int32_t zx;
    cp_dynq_act_params(x, (int64_t)m * in, &sx, &zx);
    const float mult = sx * sw;
    for (int r = 0; r < m; r++) {
        const float *xr = x + (size_t)r * in;
        for (int k = 0; k < in; k++) {
            float v = rintf((float)zx + xr[k] / sx);
            qx[k] = (v < DYNQ_QMIN ? DYNQ_QMIN : v > DYNQ_QMAX ? DYNQ_QMAX : (int32_t)v) - zx;
        }
        for (int o = 0; o < out; o++) {
            const int8_t *wr = qw + (size_t)o * in;
            int64_t acc = 0; /* the int32 accumulator of fbgemm, exact (no overflow here) */
            for (int k = 0; k < in; k++) acc += (int64_t)qx[k] * wr[k];
            y[(size_t)r * out + o] = (float)acc * mult + (b ? b[o] : 0.0f);
        }
    }
}

typedef struct tail_layer {
    nn_layer_kind kind;
    int in, out;          /* features */
    bool quantized;
    int8_t *qw;           /* quantized: int8 weights [out][in] */
    float sw;
    const float *w, *b;   /* float weights (the net's) and bias */
} tail_layer;

struct cp_dynq {
    nn_net *net;
    int first, src;       /* first linear layer and the layer feeding it */
    int n_tail;
    tail_layer *t;
    int width;            /* widest feature vector in the tail */
    int cap;              /* batch capacity of the buffers */
    float *a, *b, *scratch;
    int32_t *qx;          /* width ints */
};

void cp_dynq_free(cp_dynq *d)
{
    if (!d) return;
    for (int i = 0; i < d->n_tail; i++) free(d->t[i].qw);
    free(d->t);
    free(d->a);
    free(d->b);
    free(d->scratch);
    free(d->qx);
    free(d);
}

int cp_dynq_new(nn_net *net, const bool *on, cp_dynq **out, em_error *err)
{
    *out = NULL;
    const nn_arch *a = nn_net_arch(net);
    int first = -1;
    for (int i = 0; i < a->n_layers && first < 0; i++)
        if (a->layers[i].kind == NN_L_LINEAR) first = i;
    if (first < 0)
        return em_fail(err, EM_EUNSUPPORTED, "dynamic int8: model %s has no linear layer", a->name);
    cp_dynq *d = calloc(1, sizeof *d);
    if (!d) return em_fail(err, EM_ENOMEM, "dynamic int8: out of memory");
    d->net = net;
    d->first = first;
    d->src = a->layers[first].src[0];
    d->n_tail = a->n_layers - first;
    d->t = calloc((size_t)d->n_tail, sizeof *d->t);
    if (!d->t) {
        cp_dynq_free(d);
        return em_fail(err, EM_ENOMEM, "dynamic int8: out of memory");
    }
    for (int i = first; i < a->n_layers; i++) {
        const nn_layer_spec *l = &a->layers[i];
        tail_layer *t = &d->t[i - first];
        bool chain = l->nsrc == 1 && (i == first || l->src[0] == i - 1);
        bool kind_ok = l->kind == NN_L_LINEAR || l->kind == NN_L_RELU ||
                       l->kind == NN_L_DROPOUT || l->kind == NN_L_FLATTEN;
        if (!chain || !kind_ok) {
            cp_dynq_free(d);
            return em_fail(err, EM_EUNSUPPORTED,
                           "dynamic int8: layer '%s' (%s) of %s follows the first linear layer "
                           "'%s'; only a chain of linear, relu, dropout and flatten layers may",
                           l->name, nn_layer_kind_name(l->kind), a->name, a->layers[first].name);
        }
        t->kind = l->kind;
        t->in = l->in.c * l->in.h * l->in.w;
        t->out = l->out.c * l->out.h * l->out.w;
        if (t->in > d->width) d->width = t->in;
        if (t->out > d->width) d->width = t->out;
        if (l->kind != NN_L_LINEAR) continue;
        nn_param *w = cp_layer_param(net, i, false), *b = cp_layer_param(net, i, true);
        t->w = w->data;
        t->b = b ? b->data : NULL;
        t->quantized = !on || on[i];
        if (!t->quantized) continue;
        t->qw = malloc((size_t)w->numel);
        if (!t->qw) {
            cp_dynq_free(d);
            return em_fail(err, EM_ENOMEM, "dynamic int8: out of memory");
        }
        t->sw = cp_dynq_weight_scale(w->data, w->numel);
        cp_dynq_quantize_weights(w->data, w->numel, t->sw, t->qw);
    }
    d->qx = malloc(sizeof *d->qx * (size_t)(d->width > 0 ? d->width : 1));
    if (!d->qx) {
        cp_dynq_free(d);
        return em_fail(err, EM_ENOMEM, "dynamic int8: out of memory");
    }
    *out = d;
    return EM_OK;
}

static int reserve(cp_dynq *d, int n, int classes, em_error *err)
{
    if (n <= d->cap) return EM_OK;
    free(d->a);
    free(d->b);
    free(d->scratch);
    size_t f = (size_t)n * (size_t)d->width;
    d->a = malloc(sizeof(float) * f);
    d->b = malloc(sizeof(float) * f);
    d->scratch = malloc(sizeof(float) * (size_t)n * (size_t)classes);
    if (!d->a || !d->b || !d->scratch) {
        d->cap = 0;
        return em_fail(err, EM_ENOMEM, "dynamic int8: out of memory (batch %d)", n);
    }
    d->cap = n;
    return EM_OK;
}

int cp_dynq_forward(cp_dynq *d, const float *x, int n, float *logits, em_error *err)
{
    const nn_arch *a = nn_net_arch(d->net);
    if (n <= 0) return em_fail(err, EM_EINVAL, "dynamic int8: batch of %d images", n);
    int rc = reserve(d, n, a->classes, err);
    /* Keep the layer outputs in this forward: the tail reads one of them, which an
     * image-by-image forward would have to recompute. */
    const bool keep = nn_net_keep_activations(d->net);
    nn_net_set_keep_activations(d->net, true);
    if (!rc) rc = nn_net_forward(d->net, x, n, d->scratch, false, err);
    nn_net_set_keep_activations(d->net, keep);
    if (rc) return rc;
    const float *in = d->src == NN_INPUT_SRC ? x : nn_net_layer_output(d->net, d->src);
    int feat = d->t[0].in;
    memcpy(d->a, in, sizeof(float) * (size_t)n * (size_t)feat);
    float *cur = d->a, *nxt = d->b;
    for (int i = 0; i < d->n_tail; i++) {
        tail_layer *t = &d->t[i];
        if (t->kind == NN_L_RELU) {
            for (size_t j = 0; j < (size_t)n * (size_t)t->in; j++)
                if (!(cur[j] > 0)) cur[j] = 0;
        } else if (t->kind == NN_L_LINEAR) {
            if (t->quantized) {
                cp_dynq_linear(cur, n, t->in, t->qw, t->sw, t->b, t->out, nxt, d->qx);
            } else {
                for (int r = 0; r < n; r++)
                    for (int o = 0; o < t->out; o++) nxt[(size_t)r * t->out + o] = t->b ? t->b[o] : 0;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, t->out, t->in, 1.0f, cur,
                            t->in, t->w, t->in, 1.0f, nxt, t->out);
            }
            float *s = cur;
            cur = nxt;
            nxt = s;
        } /* dropout (eval) and flatten: identity */
    }
    memcpy(logits, cur, sizeof(float) * (size_t)n * (size_t)a->classes);
    return EM_OK;
}

int cp_dynq_evaluate(cp_dynq *d, const nn_dataset *ds, int batch, int limit, double *accuracy,
                     em_error *err)
{
    const nn_arch *a = nn_net_arch(d->net);
    int n = limit > 0 && limit < ds->n ? limit : ds->n;
    if (batch <= 0 || n <= 0)
        return em_fail(err, EM_EINVAL, "dynamic int8: evaluation of %d images in batches of %d",
                       n, batch);
    size_t in_size = (size_t)a->input.c * a->input.h * a->input.w;
    float *x = malloc(sizeof *x * in_size * (size_t)batch);
    float *logits = malloc(sizeof *logits * (size_t)a->classes * (size_t)batch);
    int *y = malloc(sizeof *y * (size_t)batch);
    uint32_t *idx = malloc(sizeof *idx * (size_t)batch);
    int rc = x && logits && y && idx ? EM_OK : em_fail(err, EM_ENOMEM, "dynamic int8: out of memory");
    long correct = 0;
    for (int at = 0; at < n && !rc; at += batch) {
        int m = n - at < batch ? n - at : batch;
        for (int i = 0; i < m; i++) idx[i] = (uint32_t)(at + i);
        rc = nn_dataset_to_float(ds, idx, m, a->input.c, a->input.h, a->input.w, x, y, err);
        if (!rc) rc = cp_dynq_forward(d, x, m, logits, err);
        for (int i = 0; i < m && !rc; i++)
            correct += nn_argmax(logits + (size_t)i * a->classes, a->classes) == y[i];
    }
    if (!rc) *accuracy = (double)correct / n;
    free(x);
    free(logits);
    free(y);
    free(idx);
    return rc;
}
