/* sim/emomc2021.h: the energy model of the EMOMC authors' public code (Wang et al.,
 * IEEE CIM 2021), reproduced exactly (DESIGN.md 3.1, docs/cost-model.md).
 * Energies are in units of 10 pJ, as in the paper's code. */
#ifndef EMOMC_SIM_EMOMC2021_H
#define EMOMC_SIM_EMOMC2021_H

#include "../dataflow/loopnest.h"
#include "../dataflow/mapping.h"
#include "../hwconfigs/hw.h"
#include "../spec/arch.h"

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

/* A network compiled for fast repeated estimates (the search evaluates thousands of
 * plans): per-layer access counts under the four dataflows are computed once. */
typedef struct sim_emomc_net sim_emomc_net;
int sim_emomc2021_compile(const nn_arch *a, const hw_emomc2021 *k, sim_emomc_net **out,
                          em_error *err);
void sim_emomc2021_net_free(sim_emomc_net *net);
/* Total energy in units of 10 pJ; keep and bits hold one value per conv/linear layer
 * (unchecked: the caller validates them once). Equals the sum of
 * sim_emomc2021_layer over the layers. */
double sim_emomc2021_net_energy(const sim_emomc_net *net, df_dataflow d, const double *keep,
                                const double *bits);

/* The published constants (0.102, 0.728, 0.447, 16). */
hw_emomc2021 sim_emomc2021_constants(void);

#endif
