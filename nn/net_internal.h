/* nn/net_internal.h: what the network's own files share (not a public API, not
 * installed): the partition constants, the per-layer runtime state (layer_rt), the
 * network struct, and the forward and backward of each layer kind. nn/net.c owns
 * the graph (construction, buffers, masks, workspaces, the forward and backward
 * walks, threading); nn/layer_*.c own one layer kind each. Every kernel takes the
 * thread team T it runs on and cuts its work by fixed partitions (NN_SPLIT_WIDTH,
 * never T), which keeps results bit-identical for any thread count. */
#ifndef EMOMC_NN_NET_INTERNAL_H
#define EMOMC_NN_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/rng.h"
#include "nn/net.h"
#include "nn/nn_internal.h"
#include "nn/tensor.h"

#define EW_CHUNK 4096    /* elementwise loops: floats per chunk */
#define NN_SLOTS 8       /* fixed batch slices for conv weight-gradient reduction */
#define LIN_RB 32        /* linear: image rows per GEMM block */
#define LIN_CB 256       /* linear: output features per GEMM block */
#define NN_COL_CHUNK_FLOATS 32768 /* im2col chunk: 128 KiB, to stay in L2 */
#define NN_PER_IMAGE_MAX_WEIGHT_BYTES (8.0 * 1024 * 1024) /* per-image eval up to this */
#define NN_BATCH_COLS 256 /* layers with fewer output pixels put images side by side */
#define NN_PAR_MIN_WORK 1e6 /* MACs + elements below which a layer runs serially */
#define NN_WINO_TILES 64  /* Winograd: output tiles per work item (one GEMM width) */
#define NN_SPLIT_WIDTH 8  /* threads a fine partition is cut for (never the real count) */
#define NN_WINO_MIN_PIXELS 1024 /* Winograd only when a forward has this many output pixels */

typedef struct layer_rt {
    const nn_layer_spec *s;
    nn_conv_geom g;           /* conv only */
    int in_size, out_size;    /* floats per image */
    int consumers;            /* layers (and the logits) reading this output */
    bool relu;                /* applies max(0, .) itself: its only consumer is a ReLU */
    bool alias_src;           /* this forward, the output is the source's */
    bool folded;              /* BN folded into its conv */
    nn_param *w, *b, *rm, *rv;
    nn_tensor out, dout;
    float *y;                 /* output of the last forward */
    float *bn_mean, *bn_invstd; /* per channel, from the last forward */
    float *bn_a, *bn_b;       /* per channel: the forward's y = a*x + b */
    size_t img_off;           /* offset of the output in a per-image activation buffer */
    bool dout_live;           /* backward: dout holds this layer's gradient (else zero) */
    float *drop;              /* dropout: 0 or 1/(1-p) per element, last forward */
    float *shift;             /* conv after folding: per-channel shift */
    bool wino;                /* this forward runs the conv by Winograd F(2x2, 3x3) */
    float *wino_u;            /* its transformed weights (nn_wino_u_floats) */
    bool has_gd;              /* the input gradient is a Winograd-able conv, of geometry gd */
    nn_conv_geom gd;
    float *wino_ud;           /* gd's transformed weights, when backward used them */
} layer_rt;

struct nn_net {
    nn_arch arch;
    layer_rt *L;
    int n_params;
    nn_param *params;
    float *arena_data, *arena_grad;
    int threads; /* 0 = all cores */
    em_rng drop_rng;
    int batch;      /* batch of the last forward, 0 before any */
    bool last_train;
    bool folded;
    nn_tensor input, dinput;
    /* Workspaces: per-thread im2col buffers, and conv weight-gradient slots. */
    int ws_threads;
    float **col, **dcol, **tmp;
    size_t col_floats, tmp_floats;
    float *slots;
    size_t slot_stride; /* floats per slot */
    /* Per-image eval: per-thread activation buffers and output pointers. */
    int img_threads;
    size_t img_floats;
    float **img_acts;
    float **img_y;
    bool acts_stale; /* the last forward was per-image: layer outputs not kept */
    double weight_bytes; /* conv and linear weights */
    bool keep_acts;      /* eval forwards keep layer outputs (no per-image path) */
    bool want_dx;        /* backward: the input gradient was asked for */
};

/* ---- layer kinds (x: the layer's input, y: its output, dy/dx: their gradients;
 * n images; T threads; acc: add into dx instead of writing it) ------------------ */

/* nn/layer_conv.c. W is the split width (NN_SPLIT_WIDTH, or 1 image by image); with
 * T == 1 the caller's thread uses workspace t1. wino_prepare picks the convs that run
 * by Winograd in a forward of n images and transforms their weights (-1: no memory).
 * Backward adds dW and dbias and scatters into dx (NULL: not wanted), which must be
 * zeroed. */
void nn_conv_layer_forward(nn_net *net, layer_rt *L, const float *x, float *y, int n, int W,
                           int T, int t1);
int nn_conv_layer_wino_prepare(nn_net *net, int n, int T);
void nn_conv_layer_backward(nn_net *net, layer_rt *L, const float *x, const float *dy,
                            float *dx, int n, int T);

/* nn/layer_linear.c: fixed GEMM blocks (LIN_RB x LIN_CB forward). */
void nn_linear_layer_forward(layer_rt *L, const float *x, float *y, int n, int T);
void nn_linear_layer_backward(layer_rt *L, const float *x, const float *dy, float *dx,
                              bool acc, int n, int T);

/* nn/layer_pool.c: max and average pooling (backward scatters: dx must be zeroed) and
 * global average pooling. */
void nn_pool_layer_forward(layer_rt *L, const float *x, float *y, int n, int T);
void nn_pool_layer_backward(layer_rt *L, const float *x, const float *dy, float *dx, int n,
                            int T);
void nn_gap_layer_forward(layer_rt *L, const float *x, float *y, int n, int T);
void nn_gap_layer_backward(layer_rt *L, const float *dy, float *dx, bool acc, int n, int T);

/* nn/layer_bn.c: eval_prepare computes every BN's eval-mode y = a*x + b once per
 * forward; forward in train mode uses batch statistics (EM_EINVAL with one value per
 * channel). BN folding (nn_net_fold_bn) lives there too. */
void nn_bn_layer_eval_prepare(nn_net *net);
int nn_bn_layer_forward(layer_rt *L, const float *x, float *y, int n, bool train, int T,
                        em_error *err);
void nn_bn_layer_backward(layer_rt *L, const float *x, const float *dy, float *dx, bool acc,
                          int n, bool train, int T);

/* nn/layer_elementwise.c: ReLU (b NULL), add, add + ReLU over count floats; ReLU6;
 * dropout (-1: no memory); the backward of ReLU, ReLU6, dropout, add and flatten (by
 * L's kind). */
void nn_ew_layer_forward(const float *a, const float *b, float *y, size_t count, bool relu,
                         int T);
void nn_relu6_layer_forward(const float *x, float *y, size_t count, int T);
int nn_dropout_layer_forward(nn_net *net, layer_rt *L, const float *x, float *y,
                             size_t count);
void nn_ew_layer_backward(layer_rt *L, const float *dy, float *dx, bool acc, size_t count,
                          int T);

#endif
