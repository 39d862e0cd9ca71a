/* search/problem.h: the compression problems as opt/ callbacks. A context binds a
 * model, its trained weights or stage-I library, a hardware target, the data split
 * of the protocol and the variable ranges; its problem evaluates a batch of
 * candidates by compressing a work network, measuring accuracy with the nn engine and
 * cost with the estimator (using the real non-zero counts after quantization).
 * Quantization follows the configured BN order (sp_config.bn): by default each BN is
 * folded into its conv and the folded weights are quantized, so accuracy, non-zero
 * counts and costs are those of the weights executed.
 *
 * Variables and objectives (accuracy maximized, costs minimized):
 *   emomc-energy  member (library keep ratio index), bits_<layer>...  -> accuracy, energy_mj
 *   emomc-size    member, bits_<layer>...                           -> accuracy, size_kb
 *   emomc-joint   member, bits_<layer>..., dataflow, coding          -> accuracy, energy_mj, size_kb
 *   sbo           x1..x7 of the SBO paper                            -> nonzero_rate, accuracy,
 *                 constraint accuracy >= tau
 * Optional budgets add the constraints energy_mj <= budget, size_kb <= budget; a
 * candidate whose cost already breaks a budget is rejected before any inference. */
#ifndef EMOMC_SEARCH_PROBLEM_H
#define EMOMC_SEARCH_PROBLEM_H

#include "nn/dataset.h"
#include "opt/problem.h"
#include "search/config.h"
#include "search/store.h"
#include "sim/estimator.h"

typedef struct sp_context sp_context;

/* Loads everything the configuration names; with_data false skips the data sets (for
 * reports that only recompute costs). */
int sp_context_new(const sp_config *cfg, bool with_data, sp_context **out, em_error *err);
void sp_context_free(sp_context *ctx);

/* The opt/ problem over ctx (ctx must outlive it). */
int sp_problem_new(sp_context *ctx, opt_problem **out, em_error *err);

/* What one candidate is, measured: accuracy on a data set, costs, per-layer plan. */
typedef struct sp_measure {
    double accuracy;
    double energy_mj;   /* under the configured (or the candidate's) dataflow */
    double size_kb;     /* under the configured (or the candidate's) coding */
    double nonzero_rate;
    int n_layers;
    sim_layer_plan *plan; /* n_layers entries: keep (real), bits, nnz */
} sp_measure;
void sp_measure_free(sp_measure *m);

/* Measures genotype x on the final data set (final = true) or on the search subset.
 * x = NULL measures the uncompressed reference (trained weights, dense, float32 as
 * 32-bit weights). */
int sp_measure_candidate(sp_context *ctx, const double *x, bool final, sp_measure *m,
                         em_error *err);

/* Compresses the context's work network for genotype x exactly as the search does
 * (x = NULL: the uncompressed reference) and lends it in *net, valid until the next
 * call on ctx; bits (may be NULL) receives each compute layer's bit depth (0: float
 * weights, as sbo leaves them). For exporting a solution (search/export.h). */
int sp_compress_candidate(sp_context *ctx, const double *x, nn_net **net, int *bits,
                          em_error *err);

/* Hardware cost of a plan under any dataflow and coding (for reports). */
int sp_cost(sp_context *ctx, const sim_layer_plan *plan, const df_mapping *map,
            coding_kind coding, double *energy_mj, double *size_kb, em_error *err);

/* Seconds spent so far in inference, in the cost model and in compressing candidates,
 * the number of candidates rejected by a budget before inference, the accuracies
 * measured by inference and those served by the evaluation store. */
typedef struct sp_timing {
    double inference, cost, compress;
    long evaluated, rejected;
    long inferences, store_hits;
    double cheap;         /* seconds in the cheap callback (costs only, for sbo) */
    long cheap_evals;     /* rows it computed */
    long raced;           /* candidates stopped early by racing */
    long long images, images_full; /* search images inferred, and what full evaluation of
                                    * the same candidates would have inferred */
} sp_timing;
sp_timing sp_context_timing(const sp_context *ctx);

/* Consult and fill the evaluation store (search/store.h) before any inference; the
 * store stays the caller's and must outlive the context. NULL: no store. */
void sp_context_set_store(sp_context *ctx, sp_store *store);

/* MPI ranks other than 0 (search/mpi.h): measure the accuracies rank 0 sends until
 * it says the run is over. */
int sp_context_serve(sp_context *ctx, em_error *err);
/* Rank 0: tells every other rank the run is over. */
void sp_mpi_stop_workers(void);

const sp_config *sp_context_config(const sp_context *ctx);
const nn_arch *sp_context_arch(const sp_context *ctx);
int sp_context_members(const sp_context *ctx, const double **keeps); /* library keeps used */
/* Human-readable description of the data the search and final numbers come from:
 * the whole protocol, and which images the search and the final accuracies are on
 * (for example "the first 2000 of the 5000 validation images held out from the mnist
 * training file (seeded)"). Empty when the context opened no data. */
const char *sp_context_protocol_text(const sp_context *ctx);
const char *sp_context_search_images(const sp_context *ctx);
const char *sp_context_final_images(const sp_context *ctx);

#endif
