/* search/export.h: one solution of a finished compression search as a model file:
 * `emomc export RUN_DIR --pick ID|knee --format onnx|emw --out FILE`.
 *
 * The solution is a row of final.csv: candidate ID (the numbering of `emomc report`),
 * or the knee chosen as the report chooses it (sp_selection_make / sp_selection_knee
 * on the search accuracy). Its genotype is compressed by the search's own code path
 * (sp_compress_candidate: the library member, then quantization in the run's BN
 * order), so the weights written are the ones the search measured: pruned weights
 * exactly 0, quantized weights on their layer's grid (float32 values c * spacing).
 *
 *   onnx  the network as it executes (nn_onnx_save): with fold-then-quantize, each
 *         folded BN is an Identity and its conv carries the shift as bias.
 *   emw   the tensors for the run's model YAML. A folded BN is written as an exact
 *         pass-through (running mean 0, weight g and running variance v chosen so
 *         that g/sqrt(v+eps) re-folds every weight of its conv to itself, bias = the
 *         shift; the conv's own bias, if any, 0), so `emomc eval` (which folds)
 *         executes the exported weights bit for bit.
 *
 * Metadata (ONNX metadata_props, .emw meta): emomc.run, emomc.pick, emomc.plan
 * (keep:bits per compute layer, as final.csv), emomc.bn, emomc.accuracy_search,
 * emomc.accuracy_final, emomc.energy_mj, emomc.size_kb, and per compute layer
 * emomc.bits.<layer> (0 = float32), emomc.scale.<layer> (the quantization spacing,
 * max|w| / (2^(q-1)-1)), emomc.nonzero.<layer>. */
#ifndef EMOMC_SEARCH_EXPORT_H
#define EMOMC_SEARCH_EXPORT_H

#include "../common/error.h"

typedef enum { SP_EXPORT_ONNX, SP_EXPORT_EMW } sp_export_format;

typedef struct sp_export_opts {
    int pick;                  /* candidate index; -1: the knee */
    sp_export_format format;
    const char *out;
} sp_export_opts;

typedef struct sp_export_info {
    int pick;                  /* the candidate written */
    double accuracy_search, accuracy_final, energy_mj, size_kb;
    char model[64];
} sp_export_info;

int sp_export(const char *rundir, const sp_export_opts *o, sp_export_info *info, em_error *err);

struct nn_net;
struct nn_weights;
/* The .emw half on its own: net's tensors (folded BNs as exact pass-throughs, above)
 * plus meta (may be NULL), written atomically to out. */
int sp_export_net_emw(struct nn_net *net, const struct nn_weights *meta, const char *out,
                      em_error *err);

#endif
