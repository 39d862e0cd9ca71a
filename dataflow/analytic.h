/* dataflow/analytic.h: closed-form counts of a layer under a mapping (the `fpga` cost
 * model's counting part). Dense layers (keep = 1) are counted exactly; for pruned
 * layers the counts are expectations under independent random zeros with keep ratio
 * `keep`, using 1 - (1 - keep)^k where k is the number of distinct weights that
 * share one fetch. The cycle-level simulator (sim/cyclesim.h) is its oracle. */
#ifndef EMOMC_DATAFLOW_ANALYTIC_H
#define EMOMC_DATAFLOW_ANALYTIC_H

#include "../dataflow/counts.h"
#include "../dataflow/mapping.h"

int df_analyze(const df_nest *n, const df_mapping *m, const df_array *arr, double keep,
               df_counts *out, em_error *err);

#endif
