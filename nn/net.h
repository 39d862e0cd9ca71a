/* nn/net.h: a network built from an nn_arch: its parameters, forward, backward.
 *
 * The network owns every parameter and buffer as a named tensor with PyTorch's
 * state_dict names ("conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
 * "bn1.running_mean", "bn1.running_var", "fc1.weight", ...), so weights move between
 * emomc and PyTorch by name. Shapes also follow PyTorch: conv weight
 * [out, in/groups, kh, kw], linear weight [out, in] (in = c*h*w of the layer input,
 * flattened in NCHW order), biases and BN tensors [channels].
 *
 * Typical training step:
 *     nn_net_zero_grad(net);
 *     nn_net_forward(net, x, n, logits, true, &err);
 *     loss = nn_softmax_xent(logits, labels, n, classes, dlogits);
 *     nn_net_backward(net, dlogits, NULL, &err);
 *     ...optimizer updates every trainable p->data from p->grad...
 *     nn_net_apply_masks(net);          (the "after update" hook: pruned weights = 0)
 *
 * Modes: train_mode = true uses batch statistics in BN (and updates the running
 * statistics like PyTorch: momentum 0.1 by default, unbiased running variance) and
 * drops activations in dropout layers; false uses running statistics and makes
 * dropout the identity. Backward is valid after either kind of forward (it
 * differentiates what the forward computed), with the same batch.
 *
 * Threads: work is split over images (or over chunks of each image's output pixels
 * when the batch is smaller than the thread count) with OpenMP. OpenBLAS must run
 * one thread, so thread pools never nest: the library does not change it (it is
 * the program's setting); the emomc command calls openblas_set_num_threads(1) at
 * startup, and a program of its own should too (or set OPENBLAS_NUM_THREADS=1). Eval-mode forwards of small networks run
 * whole images per thread. Results are deterministic for given inputs and seeds:
 * every split is fixed by the batch size, not the thread count, and weight
 * gradients are reduced over a fixed partition of the batch in a fixed order, so
 * results do not depend on the thread count either (see docs/nn.md).
 *
 * Memory: activations and workspaces grow to the largest batch seen and are then
 * reused; forward and backward do not allocate after that.
 *
 * A network is used by one caller at a time. */
#ifndef EMOMC_NN_NET_H
#define EMOMC_NN_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../spec/arch.h"

typedef struct nn_param {
    char name[2 * NN_NAME_MAX]; /* "conv1.weight" */
    int layer;                  /* index of the owning layer in the arch */
    bool trainable;             /* true: weight or bias; false: buffer (BN running stats) */
    bool is_weight;             /* conv or linear weight (the tensors pruning acts on) */
    int ndim;                   /* 1, 2 or 4 */
    int shape[4];               /* PyTorch shape; unused trailing entries are 1 */
    int64_t numel;
    float *data;                /* numel floats, owned by the network */
    float *grad;                /* numel floats for trainables (accumulated); NULL for buffers */
    float *mask;                /* NULL, or numel floats of 0 or 1 (see nn_net_set_mask) */
} nn_param;

typedef struct nn_net nn_net;

/* Builds a network for arch (copied: the arch may be freed afterwards) with its
 * parameters initialised as nn_net_init(net, 0) does. */
int nn_net_new(const nn_arch *arch, nn_net **out, em_error *err);
void nn_net_free(nn_net *net);

const nn_arch *nn_net_arch(const nn_net *net);

/* Parameters and buffers, in layer order; within a layer: weight, bias, then
 * running_mean, running_var (PyTorch's state_dict order). */
int nn_net_param_count(const nn_net *net);
nn_param *nn_net_param(nn_net *net, int i);
nn_param *nn_net_find_param(nn_net *net, const char *name); /* NULL if none */
int64_t nn_net_trainable_numel(const nn_net *net);          /* sum of trainable numel */

/* PyTorch's default initialisation, from a seed: conv and linear weights
 * Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), biases
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), BN weight 1, bias 0, running mean 0, var 1.
 * fan_in = (in_channels/groups)*kh*kw for conv, in features for linear. Masks are
 * applied afterwards. (The values are not PyTorch's: its generator differs.) */
void nn_net_init(nn_net *net, uint64_t seed);

/* Seed of the dropout generator (default 0). Each train-mode forward draws fresh
 * dropout masks from it, so a run is reproducible from its seeds. */
void nn_net_seed_dropout(nn_net *net, uint64_t seed);

/* Worker threads for forward and backward; 0 = all cores (the default). */
void nn_net_set_threads(nn_net *net, int threads);
int nn_net_threads(const nn_net *net);

/* Forward pass of n images x[n][C][H][W] (the arch's input shape), writing
 * logits[n][classes]. The input is copied; x may be reused after the call. */
int nn_net_forward(nn_net *net, const float *x, int n, float *logits, bool train_mode,
                   em_error *err);

/* Backward pass for the last forward: dlogits[n][classes] is dLoss/dlogits. Adds
 * the parameter gradients into each trainable p->grad (masked where a mask is set)
 * and, when dx is not NULL, writes dLoss/dx[n][C][H][W]. BN running statistics are
 * not touched. Fails if no forward preceded it or the net's BN is folded. */
int nn_net_backward(nn_net *net, const float *dlogits, float *dx, em_error *err);

void nn_net_zero_grad(nn_net *net);

/* Output of layer i (0 <= i < n_layers) from the last forward: n * c*h*w floats in
 * NCHW order, valid until the next forward; NULL before any forward (or when out of
 * memory). Note: a conv, linear, BN or add whose only consumer is a ReLU applies
 * the ReLU itself (fused), so its output here is already rectified.
 * An eval-mode forward of a small network runs image by image and keeps no layer
 * outputs; the first call after it recomputes them (one more forward). Callers that
 * read layer outputs after every eval forward should set keep_activations. */
const float *nn_net_layer_output(const nn_net *net, int layer);

/* true: eval-mode forwards keep every layer's output (layer by layer over the
 * batch, as in training) instead of running image by image. Default false. */
void nn_net_set_keep_activations(nn_net *net, bool keep);
bool nn_net_keep_activations(const nn_net *net);

/* Pruning masks. nn_net_set_mask copies numel 0/1 floats (other values are
 * refused) for the named trainable tensor and zeroes the masked entries of its data
 * at once; mask = NULL removes it. From then on backward zeroes masked gradient
 * entries and nn_net_apply_masks (call it after every optimizer update) zeroes
 * masked weights, so pruned weights stay exactly zero through training. */
int nn_net_set_mask(nn_net *net, const char *name, const float *mask, em_error *err);
void nn_net_clear_masks(nn_net *net);
void nn_net_apply_masks(nn_net *net);

/* Folds every batch norm whose input is a conv used by nothing else into that conv
 * (W' = W * g/sqrt(var+eps) per output channel, plus a per-channel shift), for
 * faster inference. The conv weight tensors then hold the folded weights; the BN
 * tensors are left as they were but are no longer used. After folding the network
 * is inference-only: train-mode forward and backward fail. Returns the number of
 * BN layers folded in *folded (may be NULL). */
int nn_net_fold_bn(nn_net *net, int *folded, em_error *err);
bool nn_net_is_folded(const nn_net *net);
/* After folding: the per-channel shift (out_channels floats, bias included) that conv
 * layer `layer` adds after its folded weights, or NULL when no BN was folded into it;
 * and whether BN layer `layer` is folded (then it passes its conv's output through).
 * For exporting the network as executed (nn/onnx.h). */
const float *nn_net_conv_shift(const nn_net *net, int layer);
bool nn_net_bn_folded(const nn_net *net, int layer);

/* Undoes what nn_net_fold_bn set up: every BN runs as its own layer again and the
 * convs lose their shifts, so the network can train again. The conv weights keep
 * the values they hold (the folded ones): load the weights again (nn_weights_apply)
 * before using the network. Does nothing on a network that is not folded. */
void nn_net_unfold_bn(nn_net *net);

/* Softmax cross-entropy averaged over the batch (PyTorch's CrossEntropyLoss with
 * reduction 'mean'). logits[n][classes], labels in [0, classes). When dlogits is not
 * NULL it receives dLoss/dlogits = (softmax - onehot)/n. Computed in double with
 * log-sum-exp; returns the loss, or NAN when a label is out of range. */
double nn_softmax_xent(const float *logits, const int *labels, int n, int classes,
                       float *dlogits);

/* Index of the largest of logits[0..classes) (first on ties). */
int nn_argmax(const float *logits, int classes);

#endif
