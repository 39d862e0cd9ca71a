/* compress/plan.h: a compression plan, as a value: for every conv/linear layer of a
 * model (in the arch's order, "compute layer" i), its keep ratio, bit depth (0 =
 * float32), pruning method and target, and whether it runs as dynamic int8; plus
 * whether L1 pruning ranks each layer alone or all of them together (global).
 *
 * cp_plan_apply prunes and quantizes a network in place and reports, per layer, what
 * the cost models need: N (weights), the real non-zero count after pruning and
 * quantization (quantization can round small weights to zero), the mask's kept count
 * and the bits. The statistics are common/layerstats.h's em_layer_stats, which the
 * estimator (sim/estimator.h) takes as they are (compress/ does not depend on sim/,
 * nor sim/ on compress/). Bits: 0 = float32, the one encoding of float everywhere.
 *
 * Text form (for CSV cells and YAML values): `key=value` pairs joined by ';', each
 * value a scalar (the same for every layer) or a comma list with one entry per
 * compute layer:
 *     keep=0.5;bits=8,6,5,5,8
 *     keep=0.9,0.8,0.5,0.5,1;bits=0;prune=l1,l1,random,l1,none;target=both;dynq=0,0,0,0,1
 *     keep=0.3;scope=global
 * keys: keep (0..1), bits (0..23), prune (none|l1|random), target (weights|biases|
 * both, or w|b|wb), dynq (0|1, linear layers only, with bits 0), scope (layer|global;
 * global needs one keep shared by the L1 layers), bn (fold-then-quantize|
 * quantize-then-fold: see cp_bn_order in compress/quant.h; a whole-plan scalar).
 * Missing keys take the defaults keep=1, bits=0, prune=l1, target=weights, dynq=0,
 * scope=layer, bn=fold-then-quantize. cp_plan_format
 * writes the shortest form (scalars where all layers agree, defaults left out) and
 * parsing it gives back the same plan. */
#ifndef EMOMC_COMPRESS_PLAN_H
#define EMOMC_COMPRESS_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../common/layerstats.h"
#include "../compress/prune.h"
#include "../compress/quant.h"
#include "../spec/arch.h"
#include "../nn/dataset.h"
#include "../nn/net.h"

#define CP_PLAN_MAX_LAYERS 128

typedef struct cp_layer_plan {
    double keep;              /* fraction of the pruned tensors kept, 0..1 */
    int bits;                 /* 0 = float32, else 1..23 */
    cp_prune_method method;
    cp_prune_target target;
    bool dynq;                /* dynamic int8 (linear layers, bits 0) */
} cp_layer_plan;

typedef struct cp_plan {
    int n_layers;             /* compute layers of the model */
    bool global_l1;           /* one L1 ranking over every layer with method l1 */
    cp_bn_order bn;           /* BN folding and quantization order (default: fold first) */
    cp_layer_plan layer[CP_PLAN_MAX_LAYERS];
} cp_plan;

/* A plan that changes nothing (keep 1, float32, L1 on weights, per layer). */
void cp_plan_identity(cp_plan *p, int n_layers);
/* Uniform keep and bits for every layer (EMOMC's genome with one bits value). */
void cp_plan_uniform(cp_plan *p, int n_layers, double keep, int bits);

/* Checks ranges and consistency against a model (layer count, dynq only on linear
 * layers and with bits 0, one keep under global scope); names the field at fault. */
int cp_plan_check(const cp_plan *p, const nn_arch *a, em_error *err);

/* Parses the text form for a model with n_layers compute layers. */
int cp_plan_parse(const char *text, int n_layers, cp_plan *out, em_error *err);
/* Writes the text form; returns the length it needs (like snprintf), or -1. */
int cp_plan_format(const cp_plan *p, char *buf, size_t n);

/* One layer's statistics: the type sim/ prices, defined in common/ below both
 * (common/layerstats.h: N, kept, non-zeros, keep = nnz / N, bits with 0 = float32). */
typedef em_layer_stats cp_layer_stats;

typedef struct cp_plan_stats {
    int n_layers;
    int64_t n, nnz;           /* totals over the compute layers' weights */
    cp_layer_stats layer[CP_PLAN_MAX_LAYERS];
} cp_plan_stats;

/* Applies the plan to net in place: pruning first (masks installed with
 * nn_net_set_mask; random pruning of compute layer i uses cp_mix_seed(seed, i)),
 * then quantization of the weights in the plan's BN order (cp_quantize_net): with
 * fold-then-quantize (the default) and any layer quantized, every foldable BN is
 * folded into its conv first and the folded weights are quantized, so the network
 * is then inference-only and executes weights on the q-bit grid; the masks stay
 * installed and the pruned weights exactly 0. With quantize-then-fold the BNs are
 * left unfolded. Dynamic int8 changes no weights: it is an inference mode (see
 * cp_plan_evaluate). stats may be NULL. On error the network may be partly
 * changed. */
int cp_plan_apply(nn_net *net, const cp_plan *plan, uint64_t seed, cp_plan_stats *stats,
                  em_error *err);

/* Measures the network as it is (stats of a plan already applied). bits and dynq are
 * copied from plan (may be NULL: 0 and false). */
void cp_plan_measure(nn_net *net, const cp_plan *plan, cp_plan_stats *stats);

/* Whether any layer runs as dynamic int8. */
bool cp_plan_has_dynq(const cp_plan *p);

/* Top-1 accuracy of net (after cp_plan_apply) on the first `limit` images of ds
 * (all when <= 0): the plain engine, or dynamic int8 for the plan's dynq layers. */
int cp_plan_evaluate(nn_net *net, const cp_plan *plan, const nn_dataset *ds, int batch,
                     int limit, double *accuracy, em_error *err);

/* The measured text form of per-layer statistics, as final.csv's plan column and
 * export's emomc.plan carry it: "keep:width;keep:width;..." with keep %.9g and the
 * weight width a cost model charges (em_bits_width: float32 prints 32). One printer
 * and one parser, used by search/ runs, reports and exports. cp_stats_format writes
 * n layers (truncated to cap, always terminated); cp_stats_parse reads exactly n
 * pairs (keep in [0, 1], whole widths in 0..32, 32 read back as bits 0), with nnz -1
 * (unknown: keep counts) and n 0; errors say which layer and what (the caller adds
 * where). */
void cp_stats_format(const cp_layer_stats *s, int n, char *buf, size_t cap);
int cp_stats_parse(const char *text, int n, cp_layer_stats *out, em_error *err);

/* Arch index of compute layer i (-1 if out of range). */
int cp_compute_layer_index(const nn_arch *a, int i);

#endif
