/* nn/layer_elementwise.c: the elementwise layers: ReLU, ReLU6, residual add
 * (with a fused ReLU), dropout, and their backward (flatten's too). */
#include "nn/net_internal.h"

#include <string.h>

/* Elementwise forward in fixed chunks, each a vectorised loop: y = max(0, a) (b
 * NULL), y = a + b, or y = max(0, a + b). */
static void ew_fwd_chunk(const float *restrict a, const float *restrict b, float *restrict y,
                         size_t len, bool relu)
{
    if (!b) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            const float v = a[j];
            y[j] = v > 0.0f ? v : 0.0f;
        }
    } else if (relu) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            const float v = a[j] + b[j];
            y[j] = v > 0.0f ? v : 0.0f;
        }
    } else {
#pragma omp simd
        for (size_t j = 0; j < len; j++) y[j] = a[j] + b[j];
    }
}

void nn_ew_layer_forward(const float *a, const float *b, float *y, size_t count, bool relu,
                         int T)
{
    const long chunks = (long)((count + EW_CHUNK - 1) / EW_CHUNK);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long c = 0; c < chunks; c++) {
        size_t o = (size_t)c * EW_CHUNK, len = count - o < EW_CHUNK ? count - o : EW_CHUNK;
        ew_fwd_chunk(a + o, b ? b + o : NULL, y + o, len, relu);
    }
}

/* y = min(max(x, 0), 6), in chunks as above (never fused: a separate layer). */
static void relu6_chunk(const float *restrict x, float *restrict y, size_t len)
{
#pragma omp simd
    for (size_t j = 0; j < len; j++) {
        const float v = x[j] > 0.0f ? x[j] : 0.0f;
        y[j] = v < 6.0f ? v : 6.0f;
    }
}

void nn_relu6_layer_forward(const float *x, float *y, size_t count, int T)
{
    const long chunks = (long)((count + EW_CHUNK - 1) / EW_CHUNK);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long c = 0; c < chunks; c++) {
        size_t o = (size_t)c * EW_CHUNK, len = count - o < EW_CHUNK ? count - o : EW_CHUNK;
        relu6_chunk(x + o, y + o, len);
    }
}

int nn_dropout_layer_forward(nn_net *net, layer_rt *L, const float *x, float *y,
                             size_t count)
{
    if (!L->drop || L->out.cap < count) {
        nn_free_floats(L->drop);
        L->drop = nn_alloc_floats(L->out.cap);
        if (!L->drop) return -1;
    }
    const double p = L->s->dropout;
    const float keep = p > 0.0 ? (float)(1.0 / (1.0 - p)) : 1.0f;
    for (size_t j = 0; j < count; j++) {
        L->drop[j] = em_rng_uniform(&net->drop_rng) < p ? 0.0f : keep;
        y[j] = x[j] * L->drop[j];
    }
    return 0;
}

/* dx (+)= dy * f, for f a per-element factor (relu: y > 0; dropout: the mask; 1 for
 * add and flatten and eval-mode dropout; relu6, mode 3: 0 < y < 6, which is 0 < x < 6).
 * In chunks, each a vectorised loop; with acc false dx is written, not added to. */
static void ew_chunk(int mode, bool acc, const float *restrict y, const float *restrict m,
                     const float *restrict g, float *restrict d, size_t len)
{
    if (mode == 0 && acc) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            const float gv = g[j];
            d[j] += y[j] > 0.0f ? gv : 0.0f;
        }
    } else if (mode == 0) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            const float gv = g[j];
            d[j] = y[j] > 0.0f ? gv : 0.0f;
        }
    } else if (mode == 3) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            const float gv = y[j] > 0.0f && y[j] < 6.0f ? g[j] : 0.0f;
            d[j] = acc ? d[j] + gv : gv;
        }
    } else if (mode == 1 && acc) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) d[j] += g[j] * m[j];
    } else if (mode == 1) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) d[j] = g[j] * m[j];
    } else if (acc) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) d[j] += g[j];
    } else {
        memcpy(d, g, len * sizeof(float));
    }
}

void nn_ew_layer_backward(layer_rt *L, const float *dy, float *dx, bool acc, size_t count,
                          int T)
{
    const nn_layer_kind k = L->s->kind;
    const int mode = k == NN_L_RELU ? 0 : k == NN_L_RELU6 ? 3
                     : (k == NN_L_DROPOUT && !L->alias_src) ? 1 : 2;
    const long chunks = (long)((count + EW_CHUNK - 1) / EW_CHUNK);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long c = 0; c < chunks; c++) {
        size_t o = (size_t)c * EW_CHUNK, len = count - o < EW_CHUNK ? count - o : EW_CHUNK;
        ew_chunk(mode, acc, L->y + o, mode == 1 ? L->drop + o : NULL, dy + o, dx + o, len);
    }
}
