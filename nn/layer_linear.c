/* nn/layer_linear.c: fully connected layers: forward and backward as
 * OpenBLAS GEMMs over fixed blocks of images and features. */
#include "nn/net_internal.h"

#include <cblas.h>

void nn_linear_layer_forward(layer_rt *L, const float *x, float *y, int n, int T)
{
    const int NI = L->in_size, NO = L->out_size;
    const float *w = L->w->data, *b = L->b ? L->b->data : NULL;
    int rb = (n + LIN_RB - 1) / LIN_RB, cb = (NO + LIN_CB - 1) / LIN_CB;
    bool relu = L->relu;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int it = 0; it < rb * cb; it++) {
        int r0 = (it / cb) * LIN_RB, c0 = (it % cb) * LIN_CB;
        int nr = n - r0 < LIN_RB ? n - r0 : LIN_RB, nc = NO - c0 < LIN_CB ? NO - c0 : LIN_CB;
        float *yb = y + (size_t)r0 * NO + c0;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nc, NI, 1.0f,
                    x + (size_t)r0 * NI, NI, w + (size_t)c0 * NI, NI, 0.0f, yb, NO);
        for (int r = 0; r < nr; r++) {
            float *yr = yb + (size_t)r * NO;
            for (int c = 0; c < nc; c++) {
                float v = yr[c] + (b ? b[c0 + c] : 0.0f);
                yr[c] = relu && v < 0.0f ? 0.0f : v;
            }
        }
    }
}

void nn_linear_layer_backward(layer_rt *L, const float *x, const float *dy, float *dx,
                              bool acc, int n, int T)
{
    const int NI = L->in_size, NO = L->out_size;
    const float *w = L->w->data;
    float *gw = L->w->grad, *gb = L->b ? L->b->grad : NULL;
    /* dW[NO,NI] += dY^T[NO,n] X[n,NI], in fixed blocks of output rows and input columns. */
    const int ob = (NO + 63) / 64, ib = (NI + 1023) / 1024;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int it = 0; it < ob * ib; it++) {
        int o0 = (it / ib) * 64, i0 = (it % ib) * 1024;
        int no = NO - o0 < 64 ? NO - o0 : 64, ni = NI - i0 < 1024 ? NI - i0 : 1024;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, ni, n, 1.0f, dy + o0, NO,
                    x + i0, NI, 1.0f, gw + (size_t)o0 * NI + i0, NI);
        if (gb && i0 == 0)
            for (int o = o0; o < o0 + no; o++) {
                float acc = 0.0f;
                for (int r = 0; r < n; r++) acc += dy[(size_t)r * NO + o];
                gb[o] += acc;
            }
    }
    if (!dx) return;
    /* dX[n,NI] (+)= dY[n,NO] W[NO,NI] */
    const float beta = acc ? 1.0f : 0.0f;
    const int rb = (n + LIN_RB - 1) / LIN_RB, cb = (NI + 1023) / 1024;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int it = 0; it < rb * cb; it++) {
        int r0 = (it / cb) * LIN_RB, c0 = (it % cb) * 1024;
        int nr = n - r0 < LIN_RB ? n - r0 : LIN_RB, nc = NI - c0 < 1024 ? NI - c0 : 1024;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, nc, NO, 1.0f,
                    dy + (size_t)r0 * NO, NO, w + c0, NI, beta, dx + (size_t)r0 * NI + c0, NI);
    }
}
