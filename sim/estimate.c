/* sim/estimate.c: per-layer costs summed over a network, with the memory-fit rule. */
#include "sim/estimate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataflow/analytic.h"

static double shape_elems(nn_shape s) { return (double)s.c * s.h * s.w; }

/* Validates the statistics of layer l and fills keep, bits (the width), nnz of the
 * cost row. */
static int plan_layer(const nn_layer_spec *l, const em_layer_stats *st, int default_bits,
                      sim_layer_cost *c, em_error *err)
{
    c->weights = nn_layer_weight_count(l);
    double keep = st ? st->keep : 1.0;
    int bits = st ? st->bits : default_bits;
    if (st && st->n > 0 && st->n != c->weights)
        return em_fail(err, EM_EINVAL, "layer '%s': statistics of %lld weights, but it has %lld",
                       l->name, (long long)st->n, (long long)c->weights);
    if (st && st->nnz >= 0) {
        if (st->nnz > c->weights)
            return em_fail(err, EM_EINVAL, "layer '%s': %lld non-zeros but only %lld weights",
                           l->name, (long long)st->nnz, (long long)c->weights);
        keep = (double)st->nnz / (double)c->weights;
    }
    if (!(keep >= 0 && keep <= 1))
        return em_fail(err, EM_EINVAL, "layer '%s': keep ratio %g outside [0, 1]", l->name, keep);
    if (bits < 0 || bits >= CODING_MAX_Q)
        return em_fail(err, EM_EINVAL, "layer '%s': bit depth %d outside 0..%d (0: float32, "
                       "%d bits wide)", l->name, bits, CODING_MAX_Q - 1, EM_FLOAT_WIDTH);
    c->keep = keep;
    c->bits = em_bits_width(bits);
    c->nnz = st && st->nnz >= 0 ? st->nnz : (int64_t)rint(keep * (double)c->weights);
    return EM_OK;
}

static int layer_size(const sim_report *r, const sim_options *opt, sim_layer_cost *c,
                      em_error *err)
{
    int rc = coding_check_params(opt->coding, c->weights, c->bits, opt->csr_index_bits, err);
    if (rc) return rc;
    if (r->model == HW_COST_EMOMC2021)
        c->size_bits = coding_size_bits_emomc2021(opt->coding, c->weights, c->keep, c->bits);
    else
        c->size_bits = coding_size_bits_expected(opt->coding, c->weights, c->keep, c->bits,
                                                 opt->csr_index_bits);
    return EM_OK;
}

sim_options sim_options_default(void)
{
    sim_options o = {df_mapping_builtin(DF_XY), CODING_NORMAL, CODING_CSR_IDX_BITS_DEFAULT};
    return o;
}

const char *sim_bound_name(sim_bound b)
{
    static const char *const names[] = {"-", "compute", "buffer", "DRAM"};
    return (unsigned)b <= SIM_BOUND_DRAM ? names[b] : "?";
}

/* The report's bound (the one the most time is spent under) and the fit verdict. */
static void explain(sim_report *r, const hw_target *hw)
{
    double t[SIM_BOUND_DRAM + 1] = {0};
    for (int i = 0; i < r->n_layers; i++) {
        r->ideal_cycles += r->layers[i].ideal_cycles;
        t[r->layers[i].bound] += r->layers[i].seconds;
    }
    r->bound = SIM_BOUND_COMPUTE;
    for (int b = SIM_BOUND_BUFFER; b <= SIM_BOUND_DRAM; b++)
        if (t[b] > t[r->bound]) r->bound = (sim_bound)b;
    sim_fit *f = &r->fit;
    f->lut_share = r->device_luts > 0 ? (double)r->array_luts / (double)r->device_luts : INFINITY;
    f->luts = r->device_luts > 0 && r->array_luts <= r->device_luts;
    f->weights_onchip = r->weights_onchip;
    f->fmaps_onchip = r->fmaps_onchip;
    f->memory_share = r->onchip_bits > 0 ? (r->size_bits + r->fmap_peak_bits) / r->onchip_bits
                                         : INFINITY;
    f->dsps_used = 0;
    f->dsps = hw->device.dsp;
    f->fits = f->luts && f->fmaps_onchip;
}

int sim_estimate(const nn_arch *a, const hw_target *hw, const sim_options *opt,
                 const em_layer_stats *plan, int default_bits, sim_report *out,
                 em_error *err)
{
    memset(out, 0, sizeof *out);
    out->model = hw->cost_model;
    out->mapping = opt->mapping;
    out->coding = opt->coding;
    out->n_layers = nn_arch_compute_layer_count(a);
    out->layers = calloc((size_t)out->n_layers, sizeof *out->layers);
    if (!out->layers) return em_fail(err, EM_ENOMEM, "out of memory");
    if (hw->cost_model == HW_COST_EMOMC2021 && opt->mapping.kind == DF_CUSTOM) {
        sim_report_free(out);
        return em_fail(err, EM_EINVAL, "%s: the emomc2021 cost model knows only the dataflows "
                       "xy, cico, fxfy and xfx, not %s", hw->name, opt->mapping.name);
    }

    int k = 0, rc = EM_OK, qmax = 1;
    const nn_layer_spec *first = NULL, *last = NULL;
    const nn_layer_spec **spec = calloc((size_t)(out->n_layers ? out->n_layers : 1), sizeof *spec);
    if (!spec) {
        sim_report_free(out);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    for (int i = 0; i < a->n_layers && !rc; i++) {
        const nn_layer_spec *l = &a->layers[i];
        if (!nn_layer_is_compute(l)) continue;
        sim_layer_cost *c = &out->layers[k];
        snprintf(c->name, sizeof c->name, "%s", l->name);
        if ((rc = df_nest_from_layer(l, &c->nest, err))) break;
        if ((rc = plan_layer(l, plan ? &plan[k] : NULL, default_bits, c, err))) break;
        if ((rc = layer_size(out, opt, c, err))) break;
        c->macs = (double)nn_layer_macs(l);
        c->fmap_bits = (shape_elems(l->in) + shape_elems(l->out)) * hw->act_bits;
        if (c->bits > qmax) qmax = c->bits;
        if (!first) first = l;
        last = l;
        spec[k++] = l;
    }
    if (rc) {
        free(spec);
        sim_report_free(out);
        return rc;
    }

    /* Memory fit: coded weights + the largest input+output pair must fit on chip for
     * the weights to stay resident; otherwise they stream from DRAM every inference,
     * and if even the feature maps do not fit, those stream too. */
    for (int i = 0; i < out->n_layers; i++) {
        out->size_bits += out->layers[i].size_bits;
        if (out->layers[i].fmap_bits > out->fmap_peak_bits) out->fmap_peak_bits = out->layers[i].fmap_bits;
    }
    out->onchip_bits = (double)hw->onchip_bits;
    out->weights_onchip = out->size_bits + out->fmap_peak_bits <= out->onchip_bits;
    out->fmaps_onchip = out->fmap_peak_bits <= out->onchip_bits;

    df_array arr = {hw->pe_rows, hw->pe_cols, hw->buffer_words_per_cycle};
    for (int i = 0; i < out->n_layers && !rc; i++) {
        sim_layer_cost *c = &out->layers[i];
        if (hw->cost_model == HW_COST_EMOMC2021) {
            rc = sim_emomc2021_layer(&c->nest, opt->mapping.kind, c->keep, c->bits, &hw->emomc,
                                     &c->emomc, err);
            c->energy_pj = 10.0 * c->emomc.energy;
            c->macs_executed = c->macs * c->keep;
        } else {
            if ((rc = df_analyze(&c->nest, &opt->mapping, &arr, c->keep, &c->counts, err))) break;
            c->macs_executed = c->counts.macs_executed;
            c->cycles = c->counts.cycles;
            c->utilization = c->counts.utilization;
            const nn_layer_spec *l = spec[i];
            if (!out->weights_onchip) c->dram_bits_op[DF_W] = c->size_bits;
            if (!out->fmaps_onchip || l == first)
                c->dram_bits_op[DF_I] = shape_elems(l->in) * hw->act_bits;
            if (!out->fmaps_onchip || l == last)
                c->dram_bits_op[DF_O] = shape_elems(l->out) * hw->act_bits;
            c->dram_bits = c->dram_bits_op[DF_W] + c->dram_bits_op[DF_I] + c->dram_bits_op[DF_O];
            double t_compute = c->cycles / (hw->clock_mhz * 1e6);
            double t_dram = c->dram_bits / 8.0 / (hw->dram_gbytes_per_s * 1e9);
            c->dram_bound = t_dram > t_compute;
            c->seconds = c->dram_bound ? t_dram : t_compute;
            c->ideal_cycles = ceil(c->macs_executed / ((double)hw->pe_rows * hw->pe_cols));
            c->bound = c->dram_bound ? SIM_BOUND_DRAM
                       : 2 * c->counts.stalls >= c->cycles && c->cycles > 0 ? SIM_BOUND_BUFFER
                                                                             : SIM_BOUND_COMPUTE;
            c->fpga = sim_fpga_layer_energy(hw, &c->counts, c->bits, c->dram_bits, c->seconds);
            c->energy_pj = c->fpga.total;
        }
        out->energy_pj += c->energy_pj;
        out->macs += c->macs;
        out->macs_executed += c->macs_executed;
        out->cycles += c->cycles;
        out->seconds += c->seconds;
        out->dram_bits += c->dram_bits;
        out->fpga.mac += c->fpga.mac;
        out->fpga.reg += c->fpga.reg;
        out->fpga.buffer += c->fpga.buffer;
        out->fpga.dram += c->fpga.dram;
        out->fpga.stat += c->fpga.stat;
        out->fpga.total += c->fpga.total;
    }
    free(spec);
    if (rc) {
        sim_report_free(out);
        return rc;
    }
    if (out->cycles > 0)
        out->utilization = out->macs_executed / (out->cycles * hw->pe_rows * hw->pe_cols);
    out->pe_luts = sim_pe_luts(hw->act_bits, qmax, hw->acc_bits);
    out->array_luts = out->pe_luts * hw->pe_rows * hw->pe_cols;
    out->device_luts = hw->device.luts;
    if (hw->cost_model == HW_COST_FPGA) explain(out, hw);
    return EM_OK;
}

void sim_report_free(sim_report *r)
{
    free(r->layers);
    r->layers = NULL;
    r->n_layers = 0;
}
