/* sim/estimate.h: whole-network hardware cost of a (compressed) model on a target:
 * per-layer and total energy, cycles, time, PE utilization, weight storage in a
 * coding, on-chip memory fit with the DRAM fallback, and PE-array LUTs. It picks the
 * cost model named by the target (`fpga` or `emomc2021`). */
#ifndef EMOMC_SIM_ESTIMATE_H
#define EMOMC_SIM_ESTIMATE_H

#include <stdbool.h>
#include "../coding/coding.h"
#include "../common/layerstats.h"
#include "../dataflow/counts.h"
#include "../dataflow/mapping.h"
#include "../hwconfigs/hw.h"
#include "../spec/arch.h"
#include "../sim/emomc2021.h"
#include "../sim/fpga.h"

/* A compute (conv or linear) layer's compression reaches the cost models as its
 * statistics, em_layer_stats (common/layerstats.h, what compress/'s cp_plan_apply
 * measures): the real non-zero count when known (nnz >= 0: keep = nnz / N, and n, when
 * set, must be the layer's weight count), else the fraction keep; bits 0 = float32
 * (charged 32 bits wide), else the bit depth 1..CODING_MAX_Q-1. */

/* What limits a layer's time (fpga model; emomc2021 has no time): the PE array's
 * computation, the on-chip buffer's bandwidth (stall cycles are at least half of
 * the cycles), or DRAM (moving its bits takes longer than the cycles). */
typedef enum { SIM_BOUND_NONE = 0, SIM_BOUND_COMPUTE, SIM_BOUND_BUFFER, SIM_BOUND_DRAM } sim_bound;
const char *sim_bound_name(sim_bound b); /* "-", "compute", "buffer", "DRAM" */

typedef struct sim_layer_cost {
    char name[NN_NAME_MAX];
    df_nest nest;
    double keep;
    int bits;                    /* the width charged per weight (float32: 32) */
    int64_t weights, nnz;
    double macs, macs_executed;
    double energy_pj;
    sim_fpga_energy fpga;        /* fpga model: components */
    sim_emomc_layer emomc;       /* emomc2021 model: components (10 pJ) */
    df_counts counts;            /* fpga model: events */
    double cycles, seconds, utilization;
    double size_bits;            /* the layer's weights in the chosen coding */
    double fmap_bits;            /* input + output feature maps */
    double dram_bits;            /* sum of dram_bits_op */
    double dram_bits_op[DF_NOPERAND]; /* W streamed, I read, O written */
    bool dram_bound;
    sim_bound bound;
    double ideal_cycles;         /* ceil(MACs executed / PEs): every PE busy every cycle */
} sim_layer_cost;

/* Whether the design fits the device (fpga model). Multipliers are built from LUTs,
 * so no DSP is used. Weights that do not fit on chip stream from DRAM (slower, but
 * it runs); feature maps that do not fit mean it does not. */
typedef struct sim_fit {
    bool fits;                   /* luts && fmaps */
    bool luts;                   /* PE array LUTs <= device LUTs */
    bool weights_onchip, fmaps_onchip;
    double lut_share;            /* array LUTs / device LUTs */
    double memory_share;         /* (weights + largest feature maps) / on-chip bits */
    int64_t dsps_used, dsps;
} sim_fit;

typedef struct sim_report {
    hw_cost_model model;
    df_mapping mapping;
    coding_kind coding;
    int n_layers;
    sim_layer_cost *layers;
    double energy_pj, macs, macs_executed, cycles, seconds, utilization;
    double size_bits, dram_bits;
    sim_fpga_energy fpga;         /* sums of the components */
    int64_t pe_luts, array_luts, device_luts;
    double onchip_bits, fmap_peak_bits;
    bool weights_onchip, fmaps_onchip;
    double ideal_cycles;          /* sum over layers */
    sim_bound bound;              /* the bound of the layers that take most of the time */
    sim_fit fit;
} sim_report;

typedef struct sim_options {
    df_mapping mapping;
    coding_kind coding;
    int csr_index_bits;          /* CSR b (default CODING_CSR_IDX_BITS_DEFAULT) */
} sim_options;

/* X:Y, normal coding, CSR index bits CODING_CSR_IDX_BITS_DEFAULT. */
sim_options sim_options_default(void);

/* stats: one entry per compute layer in model order, or NULL for every layer dense at
 * default_bits (0 = float32). Fills *out (free with sim_report_free). */
int sim_estimate(const nn_arch *a, const hw_target *hw, const sim_options *opt,
                 const em_layer_stats *stats, int default_bits, sim_report *out,
                 em_error *err);
void sim_report_free(sim_report *r);

#endif
