/* sim/estimator.h: one prepared estimator per (model, target), the only way a search
 * asks for costs. It holds what repeated estimates share (the layer specs, the
 * compiled emomc2021 network) and takes the fast path where the cost model allows:
 * for emomc2021 and a built-in dataflow, the compiled per-layer formulas and the
 * coding's analytic size; otherwise the full sim_estimate. Both give the same
 * numbers as sim_estimate (tested). */
#ifndef EMOMC_SIM_ESTIMATOR_H
#define EMOMC_SIM_ESTIMATOR_H

#include "../sim/estimate.h"

typedef struct sim_estimator sim_estimator;

/* a and hw must outlive the estimator (they are borrowed, not copied). */
int sim_estimator_new(const nn_arch *a, const hw_target *hw, sim_estimator **out, em_error *err);
void sim_estimator_free(sim_estimator *e);

/* Total energy (mJ) and weight size (KB) of the layer statistics (one entry per
 * compute layer, as cp_plan_apply measures them: common/layerstats.h) under map and
 * coding; stats is required. */
int sim_estimator_cost(sim_estimator *e, const em_layer_stats *stats, const df_mapping *map,
                       coding_kind coding, double *energy_mj, double *size_kb, em_error *err);

/* The whole report, as sim_estimate gives it (stats NULL: dense at default_bits). */
int sim_estimator_report(sim_estimator *e, const sim_options *opt, const em_layer_stats *stats,
                         int default_bits, sim_report *out, em_error *err);

#endif
