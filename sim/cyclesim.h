/* sim/cyclesim.h: the cycle-level reference simulator of one mapped layer.
 *
 * It walks the schedule iteration by iteration (groups, tiles of the two spatial
 * loops, the four temporal loops), computes every PE's loop indices, and counts each
 * register refill, the distinct buffer words it needs, every MAC, skipped iteration
 * and stall, using the real weights. It shares no code with the analytic model
 * (dataflow/analytic.h) beyond the mapping and the semantics written in
 * dataflow/counts.h, which is why the tests use it as that model's oracle. */
#ifndef EMOMC_SIM_CYCLESIM_H
#define EMOMC_SIM_CYCLESIM_H

#include "../dataflow/counts.h"
#include "../dataflow/mapping.h"

/* weights: df_nest_weights(n) floats in [g][co][ci][fx][fy] order, or NULL for a
 * dense layer (all weights non-zero). */
int sim_cycle_simulate(const df_nest *n, const df_mapping *m, const df_array *arr,
                       const float *weights, df_counts *out, em_error *err);

#endif
