/* nn/winograd.c: 3x3, stride-1, ungrouped convolutions by Winograd's minimal
 * filtering algorithm F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional
 * Neural Networks", CVPR 2016).
 *
 * The output is cut into 2x2 tiles, each computed from a 4x4 input tile d as
 *     Y = A^T [ (G g G^T) (.) (B^T d B) ] A,
 * summed over input channels. The element-wise product, summed over channels, is 16
 * GEMMs (one per tile position k = xi*4 + nu): M_k (co x tiles) = U_k (co x ci) *
 * V_k (ci x tiles). That is 16 multiplies per tile and channel pair instead of 36,
 * 2.25 times fewer, for the cost of the input and output transforms (additions only).
 *
 * A call handles a range [t0, t1) of the tiles of nb consecutive images, numbered
 * image by image, then tile row by tile row; the transforms run along tile rows so
 * that they vectorise. The input gradient of such a conv is another such conv
 * (nn_wino_dx_geom, nn_wino_weights_dx); the weight gradient keeps im2col. */
#include "nn/nn_internal.h"

#include <cblas.h>
#include <stddef.h>
#include <string.h>

bool nn_wino_eligible(const nn_conv_geom *g)
{
    return g->kh == 3 && g->kw == 3 && g->stride == 1 && g->groups == 1;
}

static int tiles_x(const nn_conv_geom *g) { return (g->wo + 1) / 2; }

long nn_wino_tiles(const nn_conv_geom *g) { return (long)tiles_x(g) * ((g->ho + 1) / 2); }

size_t nn_wino_u_floats(const nn_conv_geom *g) { return (size_t)16 * g->co * g->ci; }

size_t nn_wino_ws_floats(const nn_conv_geom *g, int nt)
{
    /* V, M, then 4 input rows and 4 transformed rows of one tile-row run. */
    return (size_t)16 * (g->ci + g->co) * nt + (size_t)8 * (2 * tiles_x(g) + 2);
}

/* G k G^T of a 3x3 kernel k, G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1], into u[q * plane]
 * for q = xi*4 + nu. */
static void transform_kernel(const float k[9], float *u, size_t plane)
{
    float t[4][3];
    for (int j = 0; j < 3; j++) {
        t[0][j] = k[j];
        t[1][j] = 0.5f * (k[j] + k[3 + j] + k[6 + j]);
        t[2][j] = 0.5f * (k[j] - k[3 + j] + k[6 + j]);
        t[3][j] = k[6 + j];
    }
    for (int i = 0; i < 4; i++) {
        u[(size_t)(4 * i) * plane] = t[i][0];
        u[(size_t)(4 * i + 1) * plane] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        u[(size_t)(4 * i + 2) * plane] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        u[(size_t)(4 * i + 3) * plane] = t[i][2];
    }
}

void nn_wino_weights(const nn_conv_geom *g, const float *w, float *u, int c0, int c1)
{
    const size_t plane = (size_t)g->co * g->ci;
    for (int co = c0; co < c1; co++)
        for (int ci = 0; ci < g->ci; ci++)
            transform_kernel(w + ((size_t)co * g->ci + ci) * 9, u + (size_t)co * g->ci + ci,
                             plane);
}

/* The input gradient of a stride-1 3x3 conv with padding p is the convolution of dy
 * with the kernels transposed (ci <-> co) and rotated by 180 degrees, padding 2 - p. */
void nn_wino_weights_dx(const nn_conv_geom *g, const float *w, float *u, int c0, int c1)
{
    const size_t plane = (size_t)g->co * g->ci;
    for (int ci = c0; ci < c1; ci++)
        for (int co = 0; co < g->co; co++) {
            const float *k = w + ((size_t)co * g->ci + ci) * 9;
            float r[9];
            for (int j = 0; j < 9; j++) r[j] = k[8 - j];
            transform_kernel(r, u + (size_t)ci * g->co + co, plane);
        }
}

void nn_wino_dx_geom(const nn_conv_geom *g, nn_conv_geom *gd)
{
    nn_conv_geom_init(gd, g->co, g->ho, g->wo, g->ci, 3, 3, 1, 2 - g->pad, 1);
}

/* V_k[ci][col .. col+len) for the tiles tx0 .. tx0+len-1 of tile row ty of image x.
 * rows: 4 scratch rows of 2*len+2 floats, e: 4 more. */
static void input_run(const nn_conv_geom *g, const float *x, int ty, int tx0, int len,
                      float *v, int ldv, int col, float *rows, float *e)
{
    const int w = 2 * len + 2, x0 = 2 * tx0 - g->pad;
    const size_t kstride = (size_t)g->ci * ldv;
    for (int ci = 0; ci < g->ci; ci++) {
        const float *xc = x + (size_t)ci * g->hi * g->wi;
        for (int r = 0; r < 4; r++) {
            float *row = rows + (size_t)r * w;
            const int iy = 2 * ty - g->pad + r;
            if (iy < 0 || iy >= g->hi) {
                memset(row, 0, (size_t)w * sizeof(float));
                continue;
            }
            const float *src = xc + (size_t)iy * g->wi;
            int a = x0 < 0 ? -x0 : 0, b = g->wi - x0 < w ? g->wi - x0 : w;
            if (b < a) b = a;
            for (int q = 0; q < a; q++) row[q] = 0.0f;
            memcpy(row + a, src + x0 + a, (size_t)(b - a) * sizeof(float));
            for (int q = b; q < w; q++) row[q] = 0.0f;
        }
        /* B^T d: combine the four rows, element by element. */
        const float *r0 = rows, *r1 = rows + w, *r2 = rows + 2 * w, *r3 = rows + 3 * w;
        float *e0 = e, *e1 = e + w, *e2 = e + 2 * w, *e3 = e + 3 * w;
#pragma omp simd
        for (int q = 0; q < w; q++) {
            e0[q] = r0[q] - r2[q];
            e1[q] = r1[q] + r2[q];
            e2[q] = r2[q] - r1[q];
            e3[q] = r1[q] - r3[q];
        }
        /* (B^T d) B: combine columns 2t .. 2t+3 of each row, tile by tile. */
        float *vc = v + (size_t)ci * ldv + col;
        for (int i = 0; i < 4; i++) {
            const float *ei = e + (size_t)i * w;
            float *v0 = vc + (size_t)(4 * i) * kstride, *v1 = v0 + kstride;
            float *v2 = v1 + kstride, *v3 = v2 + kstride;
#pragma omp simd
            for (int t = 0; t < len; t++) {
                float a = ei[2 * t], b = ei[2 * t + 1], c = ei[2 * t + 2], d = ei[2 * t + 3];
                v0[t] = a - c;
                v1[t] = b + c;
                v2[t] = c - b;
                v3[t] = b - d;
            }
        }
    }
}

/* Y tiles from M_k[co][col .. col+len): A^T M A, A^T = [1 1 1 0; 0 1 -1 -1], plus
 * the shift and ReLU (or added to y), clipped to the output. out: 2 scratch rows of
 * 2*len. */
static void output_run(const nn_conv_geom *g, const float *m, int ldm, int col, int ty,
                       int tx0, int len, const float *shift, bool relu, bool add, float *y,
                       float *out)
{
    const size_t kstride = (size_t)g->co * ldm;
    const int oy0 = 2 * ty, ox0 = 2 * tx0;
    const int rows = g->ho - oy0 < 2 ? g->ho - oy0 : 2;
    const int cols = g->wo - ox0 < 2 * len ? g->wo - ox0 : 2 * len;
    float *o0 = out, *o1 = out + 2 * len;
    for (int co = 0; co < g->co; co++) {
        const float *mc = m + (size_t)co * ldm + col;
        const float sh = shift ? shift[co] : 0.0f;
#pragma omp simd
        for (int t = 0; t < len; t++) {
            float mm[16];
            for (int k = 0; k < 16; k++) mm[k] = mc[(size_t)k * kstride + t];
            float s0[4], s1[4];
            for (int nu = 0; nu < 4; nu++) {
                s0[nu] = mm[nu] + mm[4 + nu] + mm[8 + nu];
                s1[nu] = mm[4 + nu] - mm[8 + nu] - mm[12 + nu];
            }
            o0[2 * t] = s0[0] + s0[1] + s0[2] + sh;
            o0[2 * t + 1] = s0[1] - s0[2] - s0[3] + sh;
            o1[2 * t] = s1[0] + s1[1] + s1[2] + sh;
            o1[2 * t + 1] = s1[1] - s1[2] - s1[3] + sh;
        }
        for (int r = 0; r < rows; r++) {
            const float *o = r ? o1 : o0;
            float *yr = y + ((size_t)co * g->ho + oy0 + r) * g->wo + ox0;
            if (add)
#pragma omp simd
                for (int q = 0; q < cols; q++) yr[q] += o[q];
            else if (relu)
#pragma omp simd
                for (int q = 0; q < cols; q++) yr[q] = o[q] > 0.0f ? o[q] : 0.0f;
            else
                memcpy(yr, o, (size_t)cols * sizeof(float));
        }
    }
}

/* Calls fn for each run of tiles of [t0, t1) that lies in one tile row of one image. */
#define FOR_EACH_RUN(g, t0, t1, BODY)                                                    \
    do {                                                                                 \
        const int tx_ = tiles_x(g);                                                      \
        const long tpi_ = nn_wino_tiles(g);                                              \
        for (long t_ = (t0); t_ < (t1);) {                                               \
            const int img = (int)(t_ / tpi_);                                            \
            const int ty = (int)(t_ % tpi_ / tx_), tx0 = (int)(t_ % tpi_ % tx_);          \
            const int len = (int)((t1) - t_ < tx_ - tx0 ? (t1) - t_ : tx_ - tx0);         \
            const int col = (int)(t_ - (t0));                                            \
            BODY;                                                                        \
            t_ += len;                                                                   \
        }                                                                                \
    } while (0)

void nn_wino_forward(const nn_conv_geom *g, const float *x, const float *u,
                     const float *shift, bool relu, bool add, float *y, long t0, long t1,
                     float *ws)
{
    const int nt = (int)(t1 - t0);
    const size_t isz = (size_t)g->ci * g->hi * g->wi, osz = (size_t)g->co * g->N;
    float *v = ws, *m = v + (size_t)16 * g->ci * nt, *scratch = m + (size_t)16 * g->co * nt;
    float *e = scratch + (size_t)4 * (2 * tiles_x(g) + 2);
    FOR_EACH_RUN(g, t0, t1,
                 input_run(g, x + img * isz, ty, tx0, len, v, nt, col, scratch,
                           scratch + (size_t)4 * (2 * len + 2)));
    for (int k = 0; k < 16; k++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->co, nt, g->ci, 1.0f,
                    u + (size_t)k * g->co * g->ci, g->ci, v + (size_t)k * g->ci * nt, nt, 0.0f,
                    m + (size_t)k * g->co * nt, nt);
    FOR_EACH_RUN(g, t0, t1,
                 output_run(g, m, nt, col, ty, tx0, len, shift, relu, add, y + img * osz, e));
}
