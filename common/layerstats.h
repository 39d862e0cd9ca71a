/* common/layerstats.h: one compressed compute layer's weights as the cost models see
 * them, the value that compress/ measures (cp_plan_apply, cp_plan_measure: N,
 * non-zeros, bits) and sim/ prices (sim_estimate, sim_estimator). It lives in common/
 * because compress/ and sim/ are siblings in the dependency order
 * (docs/architecture.md): neither may include the other, and both include common/.
 *
 * Bits have ONE encoding wherever a plan or its statistics travel (compress/plan.h,
 * sim/, search/): 0 = float32 weights (EM_FLOAT_WIDTH = 32 bits wide to the cost
 * models), 1..EM_FLOAT_WIDTH-1 a quantized bit depth (the quantizer makes 1..23; cost
 * what-ifs may go higher). 32 is never a bit depth: use 0. em_bits_width gives the
 * width a cost model charges; em_bits_from_width reads a width back (32 -> 0). */
#ifndef EMOMC_COMMON_LAYERSTATS_H
#define EMOMC_COMMON_LAYERSTATS_H

#include <stdbool.h>
#include <stdint.h>

#define EM_LAYER_NAME_MAX 64 /* = NN_NAME_MAX (checked in compress/plan.c) */
#define EM_FLOAT_WIDTH 32    /* bits of a float32 weight */

typedef struct em_layer_stats {
    char name[EM_LAYER_NAME_MAX];
    int layer;                /* index in the arch */
    int64_t n;                /* weights (0: unknown, the model's count is used) */
    int64_t kept;             /* weights the pruning mask keeps (n without a mask) */
    int64_t nnz;              /* non-zero weights now; -1: unknown, then keep counts */
    double keep;              /* fraction of the weights non-zero: nnz / n when measured,
                               * else a what-if fraction (estimate --keep, a CSV cell) */
    int64_t bias_n, bias_nnz;
    int bits;                 /* 0 = float32, else the bit depth */
    bool dynq;                /* dynamic int8 inference (linear layers, bits 0) */
} em_layer_stats;

/* The width in bits a cost model charges per weight of a layer with these bits. */
static inline int em_bits_width(int bits) { return bits == 0 ? EM_FLOAT_WIDTH : bits; }
/* The bits of a weight width (32, float32, gives 0). */
static inline int em_bits_from_width(int width) { return width == EM_FLOAT_WIDTH ? 0 : width; }

/* A what-if layer: fraction keep of the weights non-zero (nnz unknown), these bits. */
static inline em_layer_stats em_layer_stats_what_if(double keep, int bits)
{
    em_layer_stats s = {.layer = -1, .nnz = -1, .keep = keep, .bits = bits};
    return s;
}

#endif
