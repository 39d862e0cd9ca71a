/* nn/layer_pool.c: max and average pooling (any window, stride, padding;
 * a branch-free 2x2 stride-2 max) and global average pooling, forward and backward. */
#include "nn/net_internal.h"

#include <math.h>

/* 2x2 stride-2 max pooling without padding, the common case: branch-free, no bounds
 * tests. A NaN in the window gives NaN, as in the general path and PyTorch. */
static void maxpool2x2_plane(const float *restrict xp, float *restrict yp, int wi, int ho, int wo)
{
    for (int oy = 0; oy < ho; oy++) {
        const float *r0 = xp + (size_t)(2 * oy) * wi, *r1 = r0 + wi;
        float *yr = yp + (size_t)oy * wo;
        for (int ox = 0; ox < wo; ox++) {
            float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
            float m1 = b > a || b != b ? b : a, m2 = d > c || d != d ? d : c;
            yr[ox] = m2 > m1 || m2 != m2 ? m2 : m1;
        }
    }
}

void nn_pool_layer_forward(layer_rt *L, const float *x, float *y, int n, int T)
{
    const nn_layer_spec *s = L->s;
    const int hi = s->in.h, wi = s->in.w, ho = s->out.h, wo = s->out.w, C = s->in.c;
    const bool is_max = s->kind == NN_L_MAXPOOL;
    const bool fast2 = is_max && s->kh == 2 && s->kw == 2 && s->stride == 2 && s->pad == 0;
    const float inv = 1.0f / (float)(s->kh * s->kw);
    long planes = (long)n * C;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * hi * wi;
        float *yp = y + (size_t)pl * ho * wo;
        if (fast2) {
            maxpool2x2_plane(xp, yp, wi, ho, wo);
            continue;
        }
        for (int oy = 0; oy < ho; oy++) {
            const int y0 = oy * s->stride - s->pad;
            const int ky0 = y0 < 0 ? -y0 : 0, ky1 = y0 + s->kh > hi ? hi - y0 : s->kh;
            for (int ox = 0; ox < wo; ox++) {
                const int x0 = ox * s->stride - s->pad;
                const int kx0 = x0 < 0 ? -x0 : 0, kx1 = x0 + s->kw > wi ? wi - x0 : s->kw;
                float acc = is_max ? -INFINITY : 0.0f;
                bool first = true;
                for (int ky = ky0; ky < ky1; ky++) {
                    const float *xr = xp + (size_t)(y0 + ky) * wi;
                    for (int kx = kx0; kx < kx1; kx++) {
                        float v = xr[x0 + kx];
                        if (!is_max) acc += v;
                        else if (v > acc || first || isnan(v)) acc = v;
                        first = false;
                        if (acc != acc) break;
                    }
                }
                yp[oy * wo + ox] = is_max ? acc : acc * inv;
            }
        }
    }
}

void nn_gap_layer_forward(layer_rt *L, const float *x, float *y, int n, int T)
{
    const int hw = L->s->in.h * L->s->in.w;
    long planes = (long)n * L->s->in.c;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * hw;
        double acc = 0.0;
        #pragma omp simd reduction(+:acc)
        for (int j = 0; j < hw; j++) acc += xp[j];
        y[pl] = (float)(acc / hw);
    }
}

void nn_pool_layer_backward(layer_rt *L, const float *x, const float *dy, float *dx, int n,
                            int T)
{
    const nn_layer_spec *s = L->s;
    const int hi = s->in.h, wi = s->in.w, ho = s->out.h, wo = s->out.w;
    const float inv = 1.0f / (float)(s->kh * s->kw);
    long planes = (long)n * s->in.c;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long pl = 0; pl < planes; pl++) {
        float *gp = dx + (size_t)pl * hi * wi;
        const float *dp = dy + (size_t)pl * ho * wo;
        if (s->kind == NN_L_MAXPOOL) {
            /* The gradient goes to the first element of the window equal to the
             * forward's maximum (the one the forward picked), or to the first NaN. */
            const float *xp = x + (size_t)pl * hi * wi, *yp = L->y + (size_t)pl * ho * wo;
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    const int y0 = oy * s->stride - s->pad, x0 = ox * s->stride - s->pad;
                    const float m = yp[oy * wo + ox];
                    int best = -1;
                    for (int ky = 0; ky < s->kh && best < 0; ky++) {
                        int iy = y0 + ky;
                        if (iy < 0 || iy >= hi) continue;
                        for (int kx = 0; kx < s->kw; kx++) {
                            int ix = x0 + kx;
                            if (ix < 0 || ix >= wi) continue;
                            float v = xp[iy * wi + ix];
                            if (v == m || (m != m && v != v)) {
                                best = iy * wi + ix;
                                break;
                            }
                        }
                    }
                    if (best >= 0) gp[best] += dp[oy * wo + ox];
                }
            continue;
        }
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                int y0 = oy * s->stride - s->pad, x0 = ox * s->stride - s->pad;
                float g = dp[oy * wo + ox] * inv;
                for (int ky = 0; ky < s->kh; ky++) {
                    int iy = y0 + ky;
                    if (iy < 0 || iy >= hi) continue;
                    for (int kx = 0; kx < s->kw; kx++) {
                        int ix = x0 + kx;
                        if (ix >= 0 && ix < wi) gp[iy * wi + ix] += g;
                    }
                }
            }
    }
}

void nn_gap_layer_backward(layer_rt *L, const float *dy, float *dx, bool acc, int n, int T)
{
    const int hw = L->s->in.h * L->s->in.w;
    const float inv = 1.0f / (float)hw;
    long planes = (long)n * L->s->in.c;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long pl = 0; pl < planes; pl++) {
        float g = dy[pl] * inv;
        float *gp = dx + (size_t)pl * hw;
        if (acc) {
#pragma omp simd
            for (int j = 0; j < hw; j++) gp[j] += g;
        } else {
#pragma omp simd
            for (int j = 0; j < hw; j++) gp[j] = g;
        }
    }
}
