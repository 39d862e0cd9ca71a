/* nn/conv.c: 2-D convolution kernels: im2col and col2im, the GEMM forward and
 * backward (OpenBLAS sgemm), 1x1 convs as plain GEMM, a direct loop for depthwise
 * convs, and several images per GEMM for layers with few output pixels. One image,
 * a slice of one, or a block of images per call; threading is the caller's. */
#include "nn/nn_internal.h"

#include <cblas.h>
#include <stddef.h>
#include <string.h>

void nn_conv_geom_init(nn_conv_geom *g, int ci, int hi, int wi, int co, int kh, int kw,
                       int stride, int pad, int groups)
{
    g->ci = ci;
    g->hi = hi;
    g->wi = wi;
    g->co = co;
    g->kh = kh;
    g->kw = kw;
    g->stride = stride;
    g->pad = pad;
    g->groups = groups;
    g->ho = (hi + 2 * pad - kh) / stride + 1;
    g->wo = (wi + 2 * pad - kw) / stride + 1;
    g->cig = ci / groups;
    g->cog = co / groups;
    g->K = g->cig * kh * kw;
    g->N = g->ho * g->wo;
    g->direct = kh == 1 && kw == 1 && stride == 1 && pad == 0;
    g->depthwise = g->cig == 1 && groups > 1 && !g->direct;
}

/* floor(a / b) for b > 0 */
static int floordiv(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* The output columns ox whose input column ox*s - pad + kx lies inside [0, wi). */
static void valid_ox(const nn_conv_geom *g, int kx, int *lo, int *hi)
{
    int s = g->stride;
    int a = g->pad - kx;                       /* need ox*s >= a */
    int b = g->wi - 1 + g->pad - kx;           /* need ox*s <= b */
    int l = a <= 0 ? 0 : (a + s - 1) / s;
    int h = floordiv(b, s) + 1;
    if (h > g->wo) h = g->wo;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

void nn_im2col(const nn_conv_geom *g, const float *x, int grp, int p0, int p1, float *col,
               int ld)
{
    const int kk = g->kh * g->kw, s = g->stride, wo = g->wo;
    const int oy0 = p0 / wo, oy1 = (p1 - 1) / wo;
    for (int r = 0; r < g->K; r++) {
        const int c = r / kk, ky = (r / g->kw) % g->kh, kx = r % g->kw;
        const float *xc = x + (size_t)(grp * g->cig + c) * g->hi * g->wi;
        float *row = col + (size_t)r * ld;
        int lo, hi;
        valid_ox(g, kx, &lo, &hi);
        for (int oy = oy0; oy <= oy1; oy++) {
            /* Output columns [ox, end) of output row oy land at d[0 .. end-ox). */
            const int ox = oy == oy0 ? p0 - oy * wo : 0;
            const int end = oy == oy1 ? p1 - oy * wo : wo;
            const int iy = oy * s - g->pad + ky;
            float *restrict d = row + (oy * wo + ox - p0);
            int a = end, b = end; /* in-bounds columns [a, b) */
            if (iy >= 0 && iy < g->hi) {
                a = lo < ox ? ox : lo > end ? end : lo;
                b = hi < a ? a : hi > end ? end : hi;
            }
            for (int q = ox; q < a; q++) d[q - ox] = 0.0f;
            if (b > a) {
                /* Column q reads xc[iy*wi - pad + kx + q*s], in bounds for q in [lo, hi). */
                const float *restrict src = xc + ((ptrdiff_t)iy * g->wi - g->pad + kx +
                                                  (ptrdiff_t)a * s);
                float *restrict dst = d + (a - ox);
                const int m = b - a;
                if (s == 1)
                    #pragma omp simd
                    for (int q = 0; q < m; q++) dst[q] = src[q];
                else
                    #pragma omp simd
                    for (int q = 0; q < m; q++) dst[q] = src[(ptrdiff_t)q * s];
            }
            for (int q = b; q < end; q++) d[q - ox] = 0.0f;
        }
    }
}

void nn_col2im_add(const nn_conv_geom *g, const float *col, int ld, int grp, float *dx)
{
    const int kk = g->kh * g->kw, s = g->stride, wo = g->wo;
    for (int r = 0; r < g->K; r++) {
        int c = r / kk, ky = (r / g->kw) % g->kh, kx = r % g->kw;
        float *xc = dx + (size_t)(grp * g->cig + c) * g->hi * g->wi;
        const float *src = col + (size_t)r * ld;
        int lo, hi;
        valid_ox(g, kx, &lo, &hi);
        if (lo >= hi) continue;
        for (int oy = 0; oy < g->ho; oy++) {
            int iy = oy * s - g->pad + ky;
            if (iy < 0 || iy >= g->hi) continue;
            float *xr = xc + (ptrdiff_t)iy * g->wi - g->pad + kx + (ptrdiff_t)lo * s;
            const float *sr = src + (size_t)oy * wo;
            if (s == 1)
                #pragma omp simd
                for (int q = lo; q < hi; q++) xr[q - lo] += sr[q];
            else
                #pragma omp simd
                for (int q = lo; q < hi; q++) xr[(ptrdiff_t)(q - lo) * s] += sr[q];
        }
    }
}

static void epilogue(float *y, int ld, int rows, int p0, int p1, const float *shift, bool relu)
{
    if (!shift && !relu) return;
    for (int r = 0; r < rows; r++) {
        float *yr = y + (size_t)r * ld;
        float b = shift ? shift[r] : 0.0f;
        if (relu)
            #pragma omp simd
            for (int p = p0; p < p1; p++) {
                float v = yr[p] + b;
                yr[p] = v > 0.0f ? v : 0.0f;
            }
        else
            #pragma omp simd
            for (int p = p0; p < p1; p++) yr[p] += b;
    }
}

void nn_conv_forward_cols(const nn_conv_geom *g, const float *x, const float *w,
                          const float *shift, bool relu, float *y, int p0, int p1,
                          float *col)
{
    const int np = p1 - p0;
    for (int grp = 0; grp < g->groups; grp++) {
        const float *wg = w + (size_t)grp * g->cog * g->K;
        float *yg = y + (size_t)grp * g->cog * g->N;
        if (g->direct) {
            const float *xg = x + (size_t)grp * g->cig * g->N;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->cog, np, g->K, 1.0f, wg,
                        g->K, xg + p0, g->N, 0.0f, yg + p0, g->N);
        } else {
            nn_im2col(g, x, grp, p0, p1, col, np);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->cog, np, g->K, 1.0f, wg,
                        g->K, col, np, 0.0f, yg + p0, g->N);
        }
        epilogue(yg, g->N, g->cog, p0, p1, shift ? shift + grp * g->cog : NULL, relu);
    }
}

/* Depthwise: each output channel co reads input channel co / cog. The sum runs over
 * the kernel taps in row-major order, one whole output row at a time. */
void nn_conv_forward_dw(const nn_conv_geom *g, const float *x, const float *w,
                        const float *shift, bool relu, float *y, int c0, int c1)
{
    const int s = g->stride, wo = g->wo;
    for (int co = c0; co < c1; co++) {
        const float *xc = x + (size_t)(co / g->cog) * g->hi * g->wi;
        const float *wc = w + (size_t)co * g->kh * g->kw;
        float *yc = y + (size_t)co * g->N;
        float b = shift ? shift[co] : 0.0f;
        #pragma omp simd
        for (int p = 0; p < g->N; p++) yc[p] = 0.0f;
        for (int ky = 0; ky < g->kh; ky++)
            for (int kx = 0; kx < g->kw; kx++) {
                float wv = wc[ky * g->kw + kx];
                int lo, hi;
                valid_ox(g, kx, &lo, &hi);
                if (lo >= hi) continue;
                for (int oy = 0; oy < g->ho; oy++) {
                    int iy = oy * s - g->pad + ky;
                    if (iy < 0 || iy >= g->hi) continue;
                    const float *xr = xc + (ptrdiff_t)iy * g->wi - g->pad + kx + (ptrdiff_t)lo * s;
                    float *yr = yc + (size_t)oy * wo + lo;
                    const int m = hi - lo;
                    if (s == 1)
                        #pragma omp simd
                        for (int q = 0; q < m; q++) yr[q] += wv * xr[q];
                    else
                        #pragma omp simd
                        for (int q = 0; q < m; q++) yr[q] += wv * xr[(ptrdiff_t)q * s];
                }
            }
        if (shift || relu)
            #pragma omp simd
            for (int p = 0; p < g->N; p++) {
                float v = yc[p] + b;
                yc[p] = relu && v < 0.0f ? 0.0f : v;
            }
    }
}

static void backward_dw(const nn_conv_geom *g, const float *x, const float *w,
                        const float *dy, float *dw, float *dx)
{
    const int s = g->stride, wo = g->wo;
    for (int co = 0; co < g->co; co++) {
        int ci = co / g->cog;
        const float *xc = x + (size_t)ci * g->hi * g->wi;
        float *dxc = dx ? dx + (size_t)ci * g->hi * g->wi : NULL;
        const float *wc = w + (size_t)co * g->kh * g->kw;
        float *dwc = dw + (size_t)co * g->kh * g->kw;
        const float *dyc = dy + (size_t)co * g->N;
        for (int ky = 0; ky < g->kh; ky++)
            for (int kx = 0; kx < g->kw; kx++) {
                float wv = wc[ky * g->kw + kx], acc = 0.0f;
                int lo, hi;
                valid_ox(g, kx, &lo, &hi);
                for (int oy = 0; oy < g->ho; oy++) {
                    int iy = oy * s - g->pad + ky;
                    if (iy < 0 || iy >= g->hi) continue;
                    ptrdiff_t off = (ptrdiff_t)iy * g->wi - g->pad + kx;
                    const float *dyr = dyc + (size_t)oy * wo;
                    #pragma omp simd reduction(+:acc)
                    for (int q = lo; q < hi; q++) acc += dyr[q] * xc[off + (ptrdiff_t)q * s];
                    if (dxc)
                        #pragma omp simd
                        for (int q = lo; q < hi; q++) dxc[off + (ptrdiff_t)q * s] += wv * dyr[q];
                }
                dwc[ky * g->kw + kx] += acc;
            }
    }
}

void nn_conv_backward_image(const nn_conv_geom *g, const float *x, const float *w,
                            const float *dy, float *dw, float *db, float *dx, float *col,
                            float *dcol)
{
    if (db)
        for (int co = 0; co < g->co; co++) {
            const float *r = dy + (size_t)co * g->N;
            float acc = 0.0f;
            #pragma omp simd reduction(+:acc)
            for (int p = 0; p < g->N; p++) acc += r[p];
            db[co] += acc;
        }
    if (g->depthwise) {
        backward_dw(g, x, w, dy, dw, dx);
        return;
    }
    for (int grp = 0; grp < g->groups; grp++) {
        const float *wg = w + (size_t)grp * g->cog * g->K;
        float *dwg = dw + (size_t)grp * g->cog * g->K;
        const float *dyg = dy + (size_t)grp * g->cog * g->N;
        const float *colg;
        if (g->direct) {
            colg = x + (size_t)grp * g->cig * g->N;
        } else {
            nn_im2col(g, x, grp, 0, g->N, col, g->N);
            colg = col;
        }
        /* dW_g += dY_g * col_g^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->cog, g->K, g->N, 1.0f, dyg,
                    g->N, colg, g->N, 1.0f, dwg, g->K);
        if (!dx) continue;
        if (g->direct) {
            /* dX_g += W_g^T * dY_g */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g->K, g->N, g->cog, 1.0f, wg,
                        g->K, dyg, g->N, 1.0f, dx + (size_t)grp * g->cig * g->N, g->N);
        } else {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g->K, g->N, g->cog, 1.0f, wg,
                        g->K, dyg, g->N, 0.0f, dcol, g->N);
            nn_col2im_add(g, dcol, g->N, grp, dx);
        }
    }
}

/* ---- several images per GEMM ------------------------------------------------------
 * For layers with few output pixels (deep layers), one GEMM per image is short and
 * wide and dominated by packing; putting nb images side by side in the im2col
 * matrix (K x nb*N) makes one GEMM with nb*N columns instead. */

void nn_conv_forward_batch(const nn_conv_geom *g, const float *x, int nb, const float *w,
                           const float *shift, bool relu, float *y, float *col, float *tmp)
{
    const int ld = nb * g->N;
    const size_t isz = (size_t)g->ci * g->hi * g->wi, osz = (size_t)g->co * g->N;
    for (int grp = 0; grp < g->groups; grp++) {
        for (int b = 0; b < nb; b++)
            nn_im2col(g, x + b * isz, grp, 0, g->N, col + (size_t)b * g->N, ld);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->cog, ld, g->K, 1.0f,
                    w + (size_t)grp * g->cog * g->K, g->K, col, ld, 0.0f, tmp, ld);
        for (int b = 0; b < nb; b++)
            for (int o = 0; o < g->cog; o++) {
                const int co = grp * g->cog + o;
                const float *t = tmp + (size_t)o * ld + (size_t)b * g->N;
                float *yr = y + b * osz + (size_t)co * g->N;
                const float sh = shift ? shift[co] : 0.0f;
                if (relu) {
#pragma omp simd
                    for (int p = 0; p < g->N; p++) {
                        float v = t[p] + sh;
                        yr[p] = v > 0.0f ? v : 0.0f;
                    }
                } else {
#pragma omp simd
                    for (int p = 0; p < g->N; p++) yr[p] = t[p] + sh;
                }
            }
    }
}

void nn_conv_backward_batch(const nn_conv_geom *g, const float *x, int nb, const float *w,
                            const float *dy, float *dw, float *db, float *dx, float *col,
                            float *dcol, float *tmp)
{
    const int ld = nb * g->N;
    const size_t isz = (size_t)g->ci * g->hi * g->wi, osz = (size_t)g->co * g->N;
    for (int grp = 0; grp < g->groups; grp++) {
        /* dY of the group, images side by side: cog x nb*N. */
        for (int o = 0; o < g->cog; o++) {
            const int co = grp * g->cog + o;
            float *t = tmp + (size_t)o * ld;
            for (int b = 0; b < nb; b++)
                memcpy(t + (size_t)b * g->N, dy + b * osz + (size_t)co * g->N,
                       (size_t)g->N * sizeof(float));
            if (db) {
                float acc = 0.0f;
#pragma omp simd reduction(+:acc)
                for (int p = 0; p < ld; p++) acc += t[p];
                db[co] += acc;
            }
        }
        for (int b = 0; b < nb; b++)
            nn_im2col(g, x + b * isz, grp, 0, g->N, col + (size_t)b * g->N, ld);
        const float *wg = w + (size_t)grp * g->cog * g->K;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->cog, g->K, ld, 1.0f, tmp, ld,
                    col, ld, 1.0f, dw + (size_t)grp * g->cog * g->K, g->K);
        if (!dx) continue;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g->K, ld, g->cog, 1.0f, wg, g->K,
                    tmp, ld, 0.0f, dcol, ld);
        for (int b = 0; b < nb; b++)
            nn_col2im_add(g, dcol + (size_t)b * g->N, ld, grp, dx + b * isz);
    }
}
