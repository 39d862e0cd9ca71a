/* compress/quant.h: weight quantization: EMOMC's linear symmetric per-layer
 * quantizer (1..23 bits) with its integer codes, its order with batch-norm folding
 * (cp_bn_order), and PyTorch's dynamic int8 for linear layers as an inference mode.
 *
 * EMOMC quantizer, per tensor, bit depth q (computed in double, result stored as
 * float32; rint rounds half to even like torch.round):
 *     L = 2^(q-1) - 1      spacing = max|w| / L      c = rint(w / spacing)
 *     w' = (float)(c * spacing)
 * so codes lie in [-L, L] (the convention of coding/coding.h).
 *   q = 1: L = 0, the spacing is infinite: every weight becomes 0, code 0
 *          (docs/coding.md: a 1-bit layer holds only the code 0).
 *   max|w| = 0: spacing 0, every code 0, no division.
 *   the largest |w| always maps to itself exactly (code +-L).
 *   q = 2..23: the formula. Requantizing w' gives back the same codes and values:
 *          the float32 rounding of c*spacing is at most spacing/4 for q <= 23.
 *   q >= 24 is refused: float32 keeps 24 significant bits, so at q = 24 the
 *          rounding of c*spacing reaches spacing/2 and the stored float32 weights
 *          no longer determine their codes. Use bits 0 (float32, untouched).
 * Biases are not quantized: EMOMC's size and energy models count weights only, and
 * a layer has one bias per output channel (see docs/compression.md).
 *
 * Dynamic int8 (torch.ao.quantization.quantize_dynamic on nn.Linear, qint8, as
 * run by fbgemm and onednn with reduce_range=True):
 *   weights, ahead of time, per tensor, symmetric: sw = max(max|W| / 127.5, eps32),
 *     qw = clamp(rint(W / sw), -128, 127);
 *   activations, per call (the whole batch at once), asymmetric uint8 with the range
 *     reduced to 0..127: [lo, hi] = [min(min x, 0), max(max x, 0)],
 *     sx = (hi - lo) / 127 (0.1 when that is 0), zero point zx = rint of the
 *     better-conditioned of -lo/sx and 127 - hi/sx, clamped to [0, 127],
 *     qx = clamp(rint(x / sx + zx), 0, 127);
 *   y = (float)(sum_k (qx_k - zx) * qw_k) * (sx * sw) + b, the sum exact in integers.
 * emomc runs this for the linear layers from the first linear layer of the network
 * to the end (that tail must hold only linear, relu, dropout and flatten layers):
 * the engine computes the float part, compress/ the tail. The per-batch activation
 * range makes results depend on the batch composition, as in PyTorch. */
#ifndef EMOMC_COMPRESS_QUANT_H
#define EMOMC_COMPRESS_QUANT_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../nn/dataset.h"
#include "../nn/net.h"

#define CP_QUANT_MAX_BITS 23

/* Checks bits in 0..23 (0 = float32); the message names `what`. */
int cp_quant_check_bits(int bits, const char *what, em_error *err);

/* max|w| / (2^(q-1)-1) for q >= 2; INFINITY for q = 1 (or 0 when max|w| = 0). */
double cp_quant_spacing(double maxabs, int bits);

/* Quantizes w[0..n) at q = bits (1..23) into out (may equal w) and codes (may be
 * NULL); *spacing (may be NULL) receives the spacing. */
int cp_quantize(const float *w, int64_t n, int bits, float *out, int32_t *codes,
                double *spacing, em_error *err);

/* Quantizes the weight tensor of conv/linear layer `layer` of net in place (bits 0:
 * nothing). */
int cp_quantize_layer(nn_net *net, int layer, int bits, em_error *err);

/* The codes of the weight tensor of conv/linear layer `layer` at `bits` (1..23), for
 * coding/: codes[numel]. On weights already quantized at `bits` these are the codes
 * that produced them (requantization is the identity, see above). */
int cp_layer_codes(nn_net *net, int layer, int bits, int32_t *codes, em_error *err);

/* ---- batch norm and quantization -------------------------------------------------- */

/* In which order a network's weights are quantized and its batch norms folded into
 * the preceding convolutions (W' = W * g/sqrt(var+eps) per output channel, plus a
 * per-channel shift; see nn_net_fold_bn). Networks without a foldable BN get the same
 * result either way.
 *   CP_BN_FOLD_THEN_QUANTIZE (the default, "fold-then-quantize"): fold first, then
 *     quantize the folded weights, so the weights the network executes (and a device
 *     would hold) lie on the q-bit grid of their layer. Pruned weights stay exactly 0
 *     (folding scales them). The network is then inference-only.
 *   CP_BN_QUANTIZE_THEN_FOLD ("quantize-then-fold"): quantize the unfolded weights and
 *     leave each BN as a float scale after them: what emomc did before issue 12. If
 *     the BN is folded afterwards, the executed weights are off the grid. The network
 *     stays trainable. */
typedef enum {
    CP_BN_FOLD_THEN_QUANTIZE,
    CP_BN_QUANTIZE_THEN_FOLD,
    CP_BN_ORDER_COUNT
} cp_bn_order;

const char *cp_bn_order_name(cp_bn_order o); /* "fold-then-quantize", "quantize-then-fold" */
int cp_bn_order_parse(const char *s, cp_bn_order *out); /* 0, or -1 for an unknown name */

/* Quantizes the weights of compute layer i (the i-th conv/linear layer in the arch's
 * order) to bits[i] bits (0: left float32) for every i, in the given order with BN
 * folding. fold-then-quantize folds (nn_net_fold_bn) only when some bits[i] > 0: a
 * network that is not quantized keeps its BN as it is. quantize-then-fold never folds
 * (the caller may). bits has nn_arch_compute_layer_count entries. */
int cp_quantize_net(nn_net *net, const int *bits, cp_bn_order order, em_error *err);

/* ---- dynamic int8 ----------------------------------------------------------- */

/* PyTorch's per-tensor symmetric int8 weight quantization: scale and codes. */
float cp_dynq_weight_scale(const float *w, int64_t n);
void cp_dynq_quantize_weights(const float *w, int64_t n, float scale, int8_t *q);
/* PyTorch's activation parameters for a batch x[0..n) (uint8, reduce_range). */
void cp_dynq_act_params(const float *x, int64_t n, float *scale, int32_t *zero_point);

/* Dynamic int8 linear: y[m][out] = dequant(int8 W * uint8 x) + b, as described
 * above, for a batch x[m][in] (one activation range for all of it). b may be NULL;
 * qx is scratch for `in` ints. */
void cp_dynq_linear(const float *x, int m, int in, const int8_t *qw, float sw, const float *b,
                    int out, float *y, int32_t *qx);

typedef struct cp_dynq cp_dynq;

/* Prepares the inference mode for net: the weights of every linear layer with
 * on[layer] true (on = NULL: every linear layer) are quantized now, from the
 * current float weights; later changes to the net's weights need a new cp_dynq.
 * Fails with EM_EUNSUPPORTED when the layers from the first linear layer on are not
 * a chain of linear, relu, dropout and flatten layers. The net must outlive it. */
int cp_dynq_new(nn_net *net, const bool *on, cp_dynq **out, em_error *err);
void cp_dynq_free(cp_dynq *d);

/* Eval-mode forward of n images, writing logits[n][classes]. */
int cp_dynq_forward(cp_dynq *d, const float *x, int n, float *logits, em_error *err);

/* Top-1 accuracy on the first `limit` images of ds (all when limit <= 0), in
 * batches of `batch` (each batch is one activation-quantization range). */
int cp_dynq_evaluate(cp_dynq *d, const nn_dataset *ds, int batch, int limit, double *accuracy,
                     em_error *err);

#endif
