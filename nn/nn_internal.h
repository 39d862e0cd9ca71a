/* nn/nn_internal.h: kernels shared by the engine's own files (not a public API).
 *
 * The convolution kernels work on one image and a slice of it, so nn/net.c can
 * spread (image, slice) work items over threads without any kernel knowing about
 * threads. All of them call OpenBLAS single-threaded. */
#ifndef EMOMC_NN_INTERNAL_H
#define EMOMC_NN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct nn_conv_geom {
    int ci, hi, wi;          /* input */
    int co, ho, wo;          /* output */
    int kh, kw, stride, pad, groups;
    int cig, cog;            /* channels per group, in and out */
    int K;                   /* cig*kh*kw: rows of a group's im2col matrix */
    int N;                   /* ho*wo: output pixels per channel */
    bool direct;             /* 1x1, stride 1, pad 0: the input is already the im2col matrix */
    bool depthwise;          /* grouped with cig == 1: a direct loop, no GEMM */
} nn_conv_geom;

void nn_conv_geom_init(nn_conv_geom *g, int ci, int hi, int wi, int co, int kh, int kw,
                       int stride, int pad, int groups);

/* Columns [p0, p1) of group grp's im2col matrix of image x (ci*hi*wi floats) into
 * col, a K x (p1-p0) matrix stored with row stride ld. */
void nn_im2col(const nn_conv_geom *g, const float *x, int grp, int p0, int p1, float *col,
               int ld);
/* The adjoint: adds col (K x N, row stride ld) into dx (ci*hi*wi) for group grp. */
void nn_col2im_add(const nn_conv_geom *g, const float *col, int ld, int grp, float *dx);

/* y[co][p] for output pixels [p0, p1) of one image, all output channels:
 * convolution, plus shift[co] when shift is not NULL, then max(0, .) when relu.
 * col is a workspace of at least K*(p1-p0) floats (unused when direct). */
void nn_conv_forward_cols(const nn_conv_geom *g, const float *x, const float *w,
                          const float *shift, bool relu, float *y, int p0, int p1,
                          float *col);
/* Depthwise (cig == 1) forward for output channels [c0, c1) of one image. */
void nn_conv_forward_dw(const nn_conv_geom *g, const float *x, const float *w,
                        const float *shift, bool relu, float *y, int c0, int c1);

/* Backward of one image: adds dL/dw into dw and dL/dbias into db (when not NULL)
 * and, when dx is not NULL, dL/dx into dx. col and dcol are workspaces of K*N
 * floats. */
void nn_conv_backward_image(const nn_conv_geom *g, const float *x, const float *w,
                            const float *dy, float *dw, float *db, float *dx, float *col,
                            float *dcol);

/* nb consecutive images as one GEMM per group (for layers with few output pixels).
 * col and dcol hold K*nb*N floats, tmp cog*nb*N. Same results as the per-image
 * functions up to float rounding. Not for depthwise layers. */
void nn_conv_forward_batch(const nn_conv_geom *g, const float *x, int nb, const float *w,
                           const float *shift, bool relu, float *y, float *col, float *tmp);
void nn_conv_backward_batch(const nn_conv_geom *g, const float *x, int nb, const float *w,
                            const float *dy, float *dw, float *db, float *dx, float *col,
                            float *dcol, float *tmp);

/* Winograd F(2x2, 3x3) (nn/winograd.c), for 3x3, stride-1, ungrouped convs.
 * Output tiles are 2x2; an image has nn_wino_tiles(g) of them, numbered by tile row.
 * nn_wino_weights transforms output channels [c0, c1) of w (co x ci x 3 x 3) into u
 * (nn_wino_u_floats for all of them). nn_wino_forward computes tiles [t0, t1) of
 * the images starting at x (the numbering runs on from one image into the next)
 * into y like nn_conv_forward_cols, or adds them to y when add (then shift must be
 * NULL and relu false); ws holds nn_wino_ws_floats(g, t1 - t0) floats.
 * Input gradient (pad <= 2): with gd from nn_wino_dx_geom and u from
 * nn_wino_weights_dx (input channels [c0, c1) of g), nn_wino_forward(gd, dy, ...)
 * gives dx. */
bool nn_wino_eligible(const nn_conv_geom *g);
long nn_wino_tiles(const nn_conv_geom *g);
size_t nn_wino_u_floats(const nn_conv_geom *g);
size_t nn_wino_ws_floats(const nn_conv_geom *g, int nt);
void nn_wino_weights(const nn_conv_geom *g, const float *w, float *u, int c0, int c1);
void nn_wino_forward(const nn_conv_geom *g, const float *x, const float *u,
                     const float *shift, bool relu, bool add, float *y, long t0, long t1,
                     float *ws);
void nn_wino_dx_geom(const nn_conv_geom *g, nn_conv_geom *gd);
void nn_wino_weights_dx(const nn_conv_geom *g, const float *w, float *u, int c0, int c1);

#endif
