/* sim/fpga.h: the first-principles `fpga` cost model of one layer: turns the counts of
 * dataflow/analytic.h into energy by component, time and PE-array LUTs, using the
 * constants of a hardware target (docs/cost-model.md has every formula). */
#ifndef EMOMC_SIM_FPGA_H
#define EMOMC_SIM_FPGA_H

#include "../dataflow/counts.h"
#include "../hwconfigs/hw.h"

typedef struct sim_fpga_energy {
    double mac, reg, buffer, dram, stat; /* pJ */
    double total;                        /* pJ */
} sim_fpga_energy;

/* LUTs of an M x N LUT multiplier: ceil(M/2) * (N+1) (Walters 2016, as in EMOMC). */
int64_t sim_mult_luts(int m_bits, int n_bits);
/* LUTs of one PE: multiplier (activation x weight bits) plus its b-bit accumulator. */
int64_t sim_pe_luts(int act_bits, int weight_bits, int acc_bits);

/* Energy of a layer with counts c, weight bits q, extra DRAM traffic dram_bits, that
 * takes `seconds` (static power is charged for that time). */
sim_fpga_energy sim_fpga_layer_energy(const hw_target *hw, const df_counts *c, int q,
                                      double dram_bits, double seconds);

#endif
