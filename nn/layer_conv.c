/* nn/layer_conv.c: convolution layers in the network: how a conv's work is cut
 * into items (depthwise channels, image blocks, pixel chunks, channel blocks, Winograd
 * tiles) and run on the thread team, and the weight gradient reduced over NN_SLOTS
 * fixed slices of the batch. The kernels are nn/conv.c and nn/winograd.c. */
#include "nn/net_internal.h"

#include <omp.h>
#include <string.h>

/* A Winograd conv of n images (nn_wino_forward): the tiles of all of them,
 * NN_WINO_TILES per work item (fewer when that leaves one of W threads idle: W is
 * the split width, NN_SPLIT_WIDTH or 1, never the thread count). T threads; with
 * T == 1 the caller's thread uses workspace t1. */
static void wino_run(nn_net *net, const nn_conv_geom *g, const float *in, const float *u,
                     const float *shift, bool relu, bool add, float *out, int n, int W, int T,
                     int t1)
{
    const long total = (long)n * nn_wino_tiles(g);
    long nt = NN_WINO_TILES;
    if (total < nt * W) nt = (total + W - 1) / W;
    const long items = (total + nt - 1) / nt;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long it = 0; it < items; it++) {
        const long from = it * nt, to = from + nt < total ? from + nt : total;
        float *ws = net->col[T > 1 ? omp_get_thread_num() : t1];
        nn_wino_forward(g, in, u, shift, relu, add, out, from, to, ws);
    }
}

/* The work is cut for W threads (the split width: NN_SPLIT_WIDTH, or 1 image by
 * image) and run by T; with T == 1 the caller's thread uses workspace t1. */
void nn_conv_layer_forward(nn_net *net, layer_rt *L, const float *x, float *y, int n, int W,
                           int T, int t1)
{
    const nn_conv_geom *g = &L->g;
    const float *w = L->w->data;
    const float *shift = L->shift ? L->shift : (L->b ? L->b->data : NULL);
    size_t isz = (size_t)L->in_size, osz = (size_t)L->out_size;
    if (g->depthwise) {
        long items = (long)n * g->co;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
        for (long it = 0; it < items; it++) {
            int i = (int)(it / g->co), c = (int)(it % g->co);
            nn_conv_forward_dw(g, x + i * isz, w, shift, L->relu, y + i * osz, c, c + 1);
        }
        return;
    }
    if (L->wino) {
        wino_run(net, g, x, L->wino_u, shift, L->relu, false, y, n, W, T, t1);
        return;
    }
    if (g->N < NN_BATCH_COLS && n > 1) {
        /* Few pixels: blocks of images per GEMM, at least one block per thread. */
        int nb = NN_BATCH_COLS / g->N, per_thread = (n + W - 1) / W;
        if (nb > per_thread) nb = per_thread;
        const int blocks = (n + nb - 1) / nb;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
        for (int bl = 0; bl < blocks; bl++) {
            const int t = T > 1 ? omp_get_thread_num() : t1;
            const int i0 = bl * nb, m = n - i0 < nb ? n - i0 : nb;
            nn_conv_forward_batch(g, x + i0 * isz, m, w, shift, L->relu, y + i0 * osz,
                                  net->col[t], net->tmp[t]);
        }
        return;
    }
    /* Output pixels go in chunks: enough chunks to give every thread work when there
     * are fewer images than threads, and small enough that a chunk's im2col matrix
     * (K x chunk) stays in the L2 cache while the GEMM reads it. */
    int P = n >= W ? 1 : (W + n - 1) / n;
    int chunk = (g->N + P - 1) / P;
    if (!g->direct && (size_t)g->K * chunk > NN_COL_CHUNK_FLOATS) {
        chunk = (int)(NN_COL_CHUNK_FLOATS / (size_t)g->K);
        if (chunk < 256) chunk = 256; /* fewer, wider GEMMs: W is repacked per call */
    }
    chunk = (chunk + 15) & ~15;
    if (chunk > g->N) chunk = g->N;
    P = (g->N + chunk - 1) / chunk;
    /* Still fewer items than threads (an image too small to split by pixels, as in
     * VGG-16's last layers at batch 1): blocks of output channels too, so every
     * thread streams its share of the weights. */
    int CB = 1, cstep = g->co;
    if ((long)n * P < W && g->groups == 1 && g->co >= 16 * W) {
        cstep = ((g->co + W - 1) / W + 15) & ~15;
        CB = (g->co + cstep - 1) / cstep;
    }
    const long items = (long)n * P * CB;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long it = 0; it < items; it++) {
        const int i = (int)(it / ((long)P * CB)), c = (int)(it / CB % P), b = (int)(it % CB);
        const int p0 = c * chunk, p1 = p0 + chunk < g->N ? p0 + chunk : g->N;
        float *col = net->col[T > 1 ? omp_get_thread_num() : t1];
        nn_conv_geom gb = *g; /* output channels [c0, c0 + gb.co) */
        const int c0 = b * cstep;
        if (CB > 1) gb.co = gb.cog = g->co - c0 < cstep ? g->co - c0 : cstep; /* groups 1 */
        nn_conv_forward_cols(&gb, x + i * isz, w + (size_t)c0 * g->K, shift ? shift + c0 : NULL,
                             L->relu, y + i * osz + (size_t)c0 * g->N, p0, p1, col);
    }
}

/* Winograd F(2x2, 3x3) for the 3x3, stride-1, ungrouped convs of this forward that
 * gain from it: enough input channels for the 16 GEMMs (K = ci) to be efficient, more
 * than one tile per image, and enough pixels in the call to pay for transforming the
 * weights, which happens here, once per forward (bench/bench_nn measures the gain). */
static bool wino_pays(const nn_conv_geom *g, int n)
{
    return nn_wino_eligible(g) && g->ci >= 8 && g->N >= 16 &&
           (long)n * g->N >= NN_WINO_MIN_PIXELS;
}

/* Transformed weights into *u (allocated on first use), output channels of g, or
 * with dx the input channels of the input-gradient conv. */
static int wino_transform(const nn_conv_geom *g, const float *w, float **u, bool dx, int T)
{
    if (!*u && !(*u = nn_alloc_floats(nn_wino_u_floats(g)))) return -1;
    float *uu = *u;
    const int nc = dx ? g->ci : g->co, TT = (double)g->co * g->ci * 64 >= NN_PAR_MIN_WORK ? T : 1;
#pragma omp parallel for num_threads(TT) if (TT > 1) schedule(static)
    for (int c = 0; c < nc; c++) {
        if (dx) nn_wino_weights_dx(g, w, uu, c, c + 1);
        else nn_wino_weights(g, w, uu, c, c + 1);
    }
    return 0;
}

int nn_conv_layer_wino_prepare(nn_net *net, int n, int T)
{
    for (int l = 0; l < net->arch.n_layers; l++) {
        layer_rt *L = &net->L[l];
        L->wino = L->s->kind == NN_L_CONV && wino_pays(&L->g, n);
        if (L->wino && wino_transform(&L->g, L->w->data, &L->wino_u, false, T)) return -1;
    }
    return 0;
}

void nn_conv_layer_backward(nn_net *net, layer_rt *L, const float *x, const float *dy,
                            float *dx, int n, int T)
{
    const nn_conv_geom *g = &L->g;
    const size_t isz = (size_t)L->in_size, osz = (size_t)L->out_size;
    const size_t wn = (size_t)L->w->numel;
    const int S = n < NN_SLOTS ? n : NN_SLOTS;
    float *db_all = L->b ? L->b->grad : NULL;
    /* The input gradient by Winograd when it pays (and its weights could be had);
     * the slices below then do the weight gradient only. */
    float *dx_all = dx;
    if (dx && L->has_gd && wino_pays(&L->gd, n) &&
        wino_transform(&L->g, L->w->data, &L->wino_ud, true, T) == 0)
        dx = NULL;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int sl = 0; sl < S; sl++) {
        int t = omp_get_thread_num();
        float *dw = net->slots + (size_t)sl * net->slot_stride, *db = dw + wn;
        memset(dw, 0, (wn + (size_t)g->co) * sizeof(float));
        int i0 = (int)((long)sl * n / S), i1 = (int)((long)(sl + 1) * n / S);
        if (!g->depthwise && g->N < NN_BATCH_COLS) {
            const int nb = NN_BATCH_COLS / g->N;
            for (int i = i0; i < i1; i += nb) {
                const int m = i1 - i < nb ? i1 - i : nb;
                nn_conv_backward_batch(g, x + i * isz, m, L->w->data, dy + i * osz, dw,
                                       db_all ? db : NULL, dx ? dx + i * isz : NULL,
                                       net->col[t], net->dcol[t], net->tmp[t]);
            }
        } else {
            for (int i = i0; i < i1; i++)
                nn_conv_backward_image(g, x + i * isz, L->w->data, dy + i * osz, dw,
                                       db_all ? db : NULL, dx ? dx + i * isz : NULL,
                                       net->col[t], net->dcol[t]);
        }
    }
    if (dx_all && !dx)
        wino_run(net, &L->gd, dy, L->wino_ud, NULL, false, true, dx_all, n, NN_SPLIT_WIDTH, T, 0);
    float *gw = L->w->grad;
    const float *slots = net->slots;
    const size_t stride = net->slot_stride;
    const long total = (long)wn + (db_all ? g->co : 0);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long j = 0; j < total; j++) {
        float acc = 0.0f;
        for (int sl = 0; sl < S; sl++) acc += slots[(size_t)sl * stride + (size_t)j];
        if ((size_t)j < wn) gw[j] += acc;
        else db_all[(size_t)j - wn] += acc;
    }
}
