/* sim/fpga.c: energy of the fpga model from event counts. */
#include "sim/fpga.h"

int64_t sim_mult_luts(int m_bits, int n_bits)
{
    return (int64_t)((m_bits + 1) / 2) * (n_bits + 1);
}

int64_t sim_pe_luts(int act_bits, int weight_bits, int acc_bits)
{
    return sim_mult_luts(act_bits, weight_bits) + acc_bits;
}

sim_fpga_energy sim_fpga_layer_energy(const hw_target *hw, const df_counts *c, int q,
                                      double dram_bits, double seconds)
{
    const hw_energy *e = &hw->energy;
    const double a = hw->act_bits, acc = hw->acc_bits;
    sim_fpga_energy r;
    r.mac = c->macs_executed * (double)sim_pe_luts(hw->act_bits, q, hw->acc_bits) * e->lut_op;
    r.reg = (c->reg_accesses[DF_W] * q + c->reg_accesses[DF_I] * a + c->reg_accesses[DF_O] * acc) *
            e->register_per_bit;
    r.buffer = (c->buffer_reads[DF_W] * q + c->buffer_reads[DF_I] * a + c->buffer_reads[DF_O] * acc) *
                   e->buffer_read_per_bit +
               c->buffer_writes[DF_O] * acc * e->buffer_write_per_bit;
    r.dram = dram_bits * e->dram_per_bit;
    r.stat = hw->static_power_w * seconds * 1e12;
    r.total = r.mac + r.reg + r.buffer + r.dram + r.stat;
    return r;
}
