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

#include "../compress/plan.h"
#include "../nn/dataset.h"
#include "../opt/problem.h"
#include "../search/config.h"
#include "../search/store.h"
#include "../sim/estimator.h"

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
    cp_layer_stats *plan; /* n_layers entries, as cp_plan_apply measured them: N, nnz,
                           * keep = nnz / N, bits (0 = float32) */
} sp_measure;
void sp_measure_free(sp_measure *m);

/* Measures genotype x on the final data set (final = true) or on the search subset.
 * x = NULL measures the uncompressed reference (trained weights, dense, float32: bits
 * 0, charged as 32-bit weights). */
int sp_measure_candidate(sp_context *ctx, const double *x, bool final, sp_measure *m,
                         em_error *err);

/* Compresses the context's work network for genotype x exactly as the search does
 * (x = NULL: the uncompressed reference) and lends it in *net, valid until the next
 * call on ctx; bits (may be NULL) receives each compute layer's bit depth (0: float
 * weights, as sbo leaves them). For exporting a solution (search/export.h). */
int sp_compress_candidate(sp_context *ctx, const double *x, nn_net **net, int *bits,
                          em_error *err);

/* Hardware cost of measured layer statistics under any dataflow and coding (for
 * reports); the estimator (sim/estimator.h) takes them as they are. */
int sp_cost(sp_context *ctx, const cp_layer_stats *plan, const df_mapping *map,
            coding_kind coding, double *energy_mj, double *size_kb, em_error *err);

/* Seconds spent so far in inference, in the cost model and in compressing candidates,
 * the number of candidates rejected by a budget before inference, the accuracies
 * measured by inference and those served by the evaluation store. */
typedef struct sp_timing {
    double inference, cost, compress;
    long evaluated, rejected;
    long inferences, store_hits;
    double cheap;         /* seconds in the cheap callback (costs only, for sbo; also
                           * counted in compress and cost) */
    long cheap_evals;     /* rows it computed */
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

/* ---- racing (config key racing, docs/search.md) ----------------------------------
 * What racing recorded for one evaluated genotype: the accuracy is on `images`
 * images of the permuted search set (all of them when kept), `correct` of them right;
 * `estimate` = correct / images is the archived accuracy; `upper` the bound after
 * the last stage tested (NAN: none); `required` a_req (NAN: no reference point costs
 * no more, so the candidate was evaluated fully); raced: stopped early. */
typedef struct sp_race_record {
    int images;
    long correct;
    double estimate, upper, required;
    bool raced;
} sp_race_record;
/* The record of genotype x (false: none, e.g. rejected by a budget). */
bool sp_context_race_record(const sp_context *ctx, const double *x, sp_race_record *out);
/* Opens the run's racing journal (one record per evaluation, appended after every
 * batch); resume reads it back first, so the reference set of the restored rows is
 * rebuilt exactly. No-op when racing is off. */
int sp_context_racing_journal(sp_context *ctx, const char *path, bool resume, em_error *err);
/* EM_EFORMAT when an archived row had no racing record (a journal older than the
 * checkpoint). */
int sp_context_racing_status(const sp_context *ctx, em_error *err);
/* The fixed permutation of n search images (seeded by a constant); returns n. */
int sp_racing_permutation(int n, uint32_t *idx);
/* The stage ends for n images (256, 512, 1024, ... below n, then n); returns their
 * number (at most cap). */
int sp_racing_stages(int n, int *end, int cap);
/* Hoeffding-Serfling upper bound after k correct of m drawn without replacement from
 * n, union over `stages` tests at error delta:
 *   k/m + sqrt(ln(stages/delta) * (1 - (m-1)/n) / (2m)). */
double sp_racing_bound(long k, long m, long n, int stages, double delta);

const sp_config *sp_context_config(const sp_context *ctx);
/* Images each search accuracy is measured on (its first eval_images, or all). */
int sp_context_search_used(const sp_context *ctx);
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
