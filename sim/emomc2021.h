/* sim/emomc2021.h: the energy model of the EMOMC authors' public code (Wang et al.,
 * IEEE CIM 2021), reproduced exactly (DESIGN.md 3.1, docs/cost-model.md).
 * Energies are in units of 10 pJ, as in the paper's code. */
#ifndef EMOMC_SIM_EMOMC2021_H
#define EMOMC_SIM_EMOMC2021_H

#include "dataflow/loopnest.h"
#include "dataflow/mapping.h"
#include "hwconfigs/hw.h"

typedef struct sim_emomc_layer {
    double macs;
    double ifmap_reads, weight_reads, ofmap_writes, ofmap_reads; /* dense accesses */
    double skip_ifmap, skip_ofmap;                               /* zero-skipping factors */
    double e_mac, e_weight, e_ifmap, e_ofmap_write, e_ofmap_read; /* 10 pJ */
    double energy;                                                /* 10 pJ */
} sim_emomc_layer;

/* keep: fraction of weights kept (p); bits: q before rounding (q = rint(bits)).
 * The dataflow must be one of the four built-ins. */
int sim_emomc2021_layer(const df_nest *n, df_dataflow d, double keep, double bits,
                        const hw_emomc2021 *k, sim_emomc_layer *out, em_error *err);

/* The published constants (0.102, 0.728, 0.447, 16). */
hw_emomc2021 sim_emomc2021_constants(void);

#endif
