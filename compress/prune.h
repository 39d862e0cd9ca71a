/* compress/prune.h: unstructured pruning masks: L1 magnitude (per layer or global,
 * one ranking over many tensors) and random (a seeded baseline), of the weights, the
 * biases or both of conv and linear layers.
 *
 * The keep count is exact: a tensor (or a pooled set of tensors, for global pruning)
 * of n entries keeps k = rint(keep * n) of them (rint rounds half to even), prunes
 * the other n - k, and the mask says which: 1 kept, 0 pruned.
 *
 * Ranking (L1). Entries are ordered by the key |w|, largest first; an entry already
 * masked out (an existing mask of 0) has the key -1, below every magnitude, so what
 * is pruned stays pruned while the keep ratio only goes down. Ties are broken by
 * position: of equal keys the one with the lower flat index is kept, and for
 * global pruning the flat index runs through the tensors in the order given (layer
 * order for a network), so an earlier layer wins a tie. This is
 * torch.nn.utils.prune.l1_unstructured when there are no ties and no existing mask,
 * except for the count: PyTorch prunes round(amount * n) entries (Python rounds half
 * to even), emomc keeps rint(keep * n); the two differ only when amount * n is
 * exactly half an integer (docs/compression.md). torch.topk breaks ties by an
 * unspecified order.
 *
 * Random. A seeded uniformly random permutation orders the entries; the first k
 * that are not already masked out are kept (then masked-out ones, if k is larger
 * than what remains).
 *
 * NaN or infinite weights are refused with a message naming the tensor. */
#ifndef EMOMC_COMPRESS_PRUNE_H
#define EMOMC_COMPRESS_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../nn/net.h"

typedef enum { CP_PRUNE_NONE, CP_PRUNE_L1, CP_PRUNE_RANDOM, CP_PRUNE_METHOD_COUNT } cp_prune_method;
typedef enum { CP_TARGET_WEIGHTS, CP_TARGET_BIASES, CP_TARGET_BOTH, CP_TARGET_COUNT } cp_prune_target;

const char *cp_prune_method_name(cp_prune_method m);    /* "none", "l1", "random" */
int cp_prune_method_parse(const char *s, cp_prune_method *out); /* 0 or -1 */
const char *cp_prune_target_name(cp_prune_target t);    /* "weights", "biases", "both" */
int cp_prune_target_parse(const char *s, cp_prune_target *out); /* 0 or -1; also w, b, wb */

/* rint(keep * n), clamped to [0, n]. */
int64_t cp_keep_count(double keep, int64_t n);

/* One tensor taking part in a ranking: its values, its current mask (NULL: none)
 * and where the new mask goes (numel floats of 0 or 1). name is for messages. */
typedef struct cp_tensor_ref {
    const char *name;
    const float *data;
    const float *mask;
    int64_t n;
    float *out_mask;
} cp_tensor_ref;

/* L1 masks over t[0..count) pooled into one ranking (count = 1: one tensor).
 * Keeps exactly cp_keep_count(keep, total) entries; *kept (may be NULL) receives it. */
int cp_l1_masks(const cp_tensor_ref *t, int count, double keep, int64_t *kept, em_error *err);
/* Random mask of one tensor from a seed. */
int cp_random_mask(const cp_tensor_ref *t, double keep, uint64_t seed, int64_t *kept,
                   em_error *err);

/* Network level. `layer` is an index into the arch's layers and must be a conv or
 * linear layer. The new masks are installed with nn_net_set_mask (which zeroes the
 * pruned entries). With target both, the weights and the biases are ranked
 * separately (each keeps rint(keep * its count); random masks draw from
 * cp_mix_seed(seed, 0) and (seed, 1)). Pruning biases of a layer without bias does
 * nothing. */
int cp_prune_layer(nn_net *net, int layer, cp_prune_method method, cp_prune_target target,
                   double keep, uint64_t seed, em_error *err);
/* Global L1: one ranking over the chosen tensors of every layer with use[layer]
 * true (use = NULL: every conv and linear layer). */
int cp_prune_global_l1(nn_net *net, const bool *use, cp_prune_target target, double keep,
                       em_error *err);

/* The weight (is_bias false) or bias tensor of a conv/linear layer, NULL if none. */
nn_param *cp_layer_param(nn_net *net, int layer, bool is_bias);

int64_t cp_count_nonzero(const float *x, int64_t n);

/* A well-mixed 64-bit seed from a base seed and an index (splitmix64). */
uint64_t cp_mix_seed(uint64_t seed, uint64_t index);

#endif
