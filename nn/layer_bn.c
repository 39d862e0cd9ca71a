/* nn/layer_bn.c: batch normalization forward (batch or running statistics)
 * and backward, and BN folding into the conv before it. */
#include "nn/net_internal.h"

#include <math.h>

/* Eval-mode BN: per-channel y = a*x + b from the running statistics, once per forward. */
void nn_bn_layer_eval_prepare(nn_net *net)
{
    for (int l = 0; l < net->arch.n_layers; l++) {
        layer_rt *L = &net->L[l];
        if (L->s->kind != NN_L_BN) continue;
        for (int c = 0; c < L->s->in.c; c++) {
            double mean = L->rm->data[c], invstd = 1.0 / sqrt(L->rv->data[c] + L->s->bn_eps);
            double gamma = L->w->data[c];
            L->bn_mean[c] = (float)mean;
            L->bn_invstd[c] = (float)invstd;
            L->bn_a[c] = (float)(gamma * invstd);
            L->bn_b[c] = (float)(L->b->data[c] - gamma * invstd * mean);
        }
    }
}

/* BN forward. Train mode: batch statistics (saved for backward), running statistics
 * updated like PyTorch (unbiased variance). Eval mode: bn_eval_prepare's a and b. */
int nn_bn_layer_forward(layer_rt *L, const float *x, float *y, int n, bool train, int T,
                        em_error *err)
{
    const nn_layer_spec *s = L->s;
    const int C = s->in.c, hw = s->in.h * s->in.w;
    const double M = (double)n * hw, eps = s->bn_eps, mom = s->bn_momentum;
    if (train && M <= 1.0)
        return em_fail(err, EM_EINVAL, "layer '%s': batch norm in training needs more than one "
                       "value per channel (batch %d, %dx%d)", s->name, n, s->in.h, s->in.w);
    const float *gamma = L->w->data, *beta = L->b->data;
    float *rm = L->rm->data, *rv = L->rv->data;
    const bool relu = L->relu;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int c = 0; c < C; c++) {
        if (train) {
            double sum = 0.0, sq = 0.0;
            for (int i = 0; i < n; i++) {
                const float *xp = x + ((size_t)i * C + c) * hw;
#pragma omp simd reduction(+:sum)
                for (int j = 0; j < hw; j++) sum += xp[j];
            }
            const double mean = sum / M;
            for (int i = 0; i < n; i++) {
                const float *xp = x + ((size_t)i * C + c) * hw;
#pragma omp simd reduction(+:sq)
                for (int j = 0; j < hw; j++) {
                    double d = xp[j] - mean;
                    sq += d * d;
                }
            }
            const double var = sq / M, invstd = 1.0 / sqrt(var + eps);
            rm[c] = (float)((1.0 - mom) * rm[c] + mom * mean);
            rv[c] = (float)((1.0 - mom) * rv[c] + mom * var * M / (M - 1.0));
            L->bn_mean[c] = (float)mean;
            L->bn_invstd[c] = (float)invstd;
            L->bn_a[c] = (float)(gamma[c] * invstd);
            L->bn_b[c] = (float)(beta[c] - gamma[c] * invstd * mean);
        }
        const float a = L->bn_a[c], b = L->bn_b[c];
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * C + c) * hw;
            float *yp = y + ((size_t)i * C + c) * hw;
            if (relu) {
#pragma omp simd
                for (int j = 0; j < hw; j++) {
                    float v = a * xp[j] + b;
                    yp[j] = v > 0.0f ? v : 0.0f;
                }
            } else {
#pragma omp simd
                for (int j = 0; j < hw; j++) yp[j] = a * xp[j] + b;
            }
        }
    }
    return EM_OK;
}

void nn_bn_layer_backward(layer_rt *L, const float *x, const float *dy, float *dx, bool acc,
                          int n, bool train, int T)
{
    const nn_layer_spec *s = L->s;
    const int C = s->in.c, hw = s->in.h * s->in.w;
    const double M = (double)n * hw;
    const float *gamma = L->w->data;
    float *gg = L->w->grad, *gb = L->b->grad;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int c = 0; c < C; c++) {
        const double mean = L->bn_mean[c], invstd = L->bn_invstd[c];
        double sdy = 0.0, sdyx = 0.0;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * C + c) * hw, *dp = dy + ((size_t)i * C + c) * hw;
            #pragma omp simd reduction(+:sdy, sdyx)
            for (int j = 0; j < hw; j++) {
                sdy += dp[j];
                sdyx += dp[j] * ((xp[j] - mean) * invstd);
            }
        }
        gg[c] += (float)sdyx;
        gb[c] += (float)sdy;
        if (!dx) continue;
        const double k = gamma[c] * invstd;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * C + c) * hw, *dp = dy + ((size_t)i * C + c) * hw;
            float *gp = dx + ((size_t)i * C + c) * hw;
            /* train: dx = k (dy - mean(dy) - xhat mean(dy xhat)); eval: dx = k dy */
            const double mdy = train ? sdy / M : 0.0, mdyx = train ? sdyx / M : 0.0;
            if (acc) {
#pragma omp simd
                for (int j = 0; j < hw; j++) {
                    double xh = (xp[j] - mean) * invstd;
                    gp[j] += (float)(k * (dp[j] - mdy - xh * mdyx));
                }
            } else {
#pragma omp simd
                for (int j = 0; j < hw; j++) {
                    double xh = (xp[j] - mean) * invstd;
                    gp[j] = (float)(k * (dp[j] - mdy - xh * mdyx));
                }
            }
        }
    }
}

int nn_net_fold_bn(nn_net *net, int *folded, em_error *err)
{
    int count = 0;
    for (int j = 0; j < net->arch.n_layers; j++) {
        layer_rt *B = &net->L[j];
        const nn_layer_spec *s = B->s;
        if (s->kind != NN_L_BN || B->folded || s->src[0] < 0) continue;
        layer_rt *C = &net->L[s->src[0]];
        if (C->s->kind != NN_L_CONV || C->consumers != 1 || C->shift) continue;
        const int co = C->s->out_channels;
        C->shift = nn_alloc_floats((size_t)co);
        if (!C->shift) return em_fail(err, EM_ENOMEM, "fold: out of memory");
        const size_t per = (size_t)C->w->numel / (size_t)co;
        for (int c = 0; c < co; c++) {
            double sc = B->w->data[c] / sqrt((double)B->rv->data[c] + s->bn_eps);
            double b = C->b ? C->b->data[c] : 0.0;
            float *wc = C->w->data + (size_t)c * per;
            for (size_t k = 0; k < per; k++) wc[k] = (float)(wc[k] * sc);
            C->shift[c] = (float)((b - B->rm->data[c]) * sc + B->b->data[c]);
        }
        C->relu = B->relu; /* a ReLU fused into the BN now follows the conv directly */
        B->folded = true;
        count++;
    }
    if (count) net->folded = true;
    net->batch = 0;
    if (folded) *folded = count;
    return EM_OK;
}

void nn_net_unfold_bn(nn_net *net)
{
    if (!net->folded) return;
    for (int j = 0; j < net->arch.n_layers; j++) {
        layer_rt *B = &net->L[j];
        if (B->s->kind != NN_L_BN || !B->folded) continue;
        layer_rt *C = &net->L[B->s->src[0]];
        nn_free_floats(C->shift);
        C->shift = NULL;
        C->relu = false; /* its only consumer is the BN again (the fold needs one) */
        B->folded = false;
    }
    net->folded = false;
    net->batch = 0;
}
