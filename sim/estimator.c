/* sim/estimator.c: the prepared estimator (see estimator.h). */
#include "sim/estimator.h"

#include <stdlib.h>

struct sim_estimator {
    const nn_arch *arch;
    const hw_target *hw;
    sim_emomc_net *emomc;   /* compiled emomc2021 network, or NULL */
    int n_compute;
    int64_t *weights;       /* per compute layer */
    double *keep, *bits;    /* scratch for the fast path */
};

int sim_estimator_new(const nn_arch *a, const hw_target *hw, sim_estimator **out, em_error *err)
{
    *out = NULL;
    sim_estimator *e = calloc(1, sizeof *e);
    if (!e) return em_fail(err, EM_ENOMEM, "out of memory");
    e->arch = a;
    e->hw = hw;
    e->n_compute = nn_arch_compute_layer_count(a);
    size_t n = (size_t)(e->n_compute ? e->n_compute : 1);
    e->weights = malloc(n * sizeof *e->weights);
    e->keep = malloc(n * sizeof *e->keep);
    e->bits = malloc(n * sizeof *e->bits);
    if (!e->weights || !e->keep || !e->bits) {
        sim_estimator_free(e);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    for (int i = 0, k = 0; i < a->n_layers; i++)
        if (nn_layer_is_compute(&a->layers[i])) e->weights[k++] = nn_layer_weight_count(&a->layers[i]);
    if (hw->cost_model == HW_COST_EMOMC2021) {
        int rc = sim_emomc2021_compile(a, &hw->emomc, &e->emomc, err);
        if (rc) {
            sim_estimator_free(e);
            return rc;
        }
    }
    *out = e;
    return EM_OK;
}

void sim_estimator_free(sim_estimator *e)
{
    if (!e) return;
    sim_emomc2021_net_free(e->emomc);
    free(e->weights);
    free(e->keep);
    free(e->bits);
    free(e);
}

/* The fraction the cost models count as kept: nnz / N when the non-zeros are known. */
static double stats_keep(const em_layer_stats *s, int64_t weights)
{
    return s->nnz >= 0 ? (double)s->nnz / (double)weights : s->keep;
}

int sim_estimator_cost(sim_estimator *e, const em_layer_stats *plan, const df_mapping *map,
                       coding_kind coding, double *energy_mj, double *size_kb, em_error *err)
{
    if (e->emomc && map->kind != DF_CUSTOM) {
        double size = 0;
        for (int i = 0; i < e->n_compute; i++) {
            int width = em_bits_width(plan[i].bits);
            e->keep[i] = stats_keep(&plan[i], e->weights[i]);
            e->bits[i] = width;
            size += coding_size_bits_emomc2021(coding, e->weights[i], e->keep[i], width);
        }
        *energy_mj = 10.0 * sim_emomc2021_net_energy(e->emomc, map->kind, e->keep, e->bits) * 1e-9;
        *size_kb = size / 8192.0;
        return EM_OK;
    }
    sim_options opt = {*map, coding, CODING_CSR_IDX_BITS_DEFAULT};
    sim_report r;
    int rc = sim_estimate(e->arch, e->hw, &opt, plan, 0, &r, err);
    if (rc) return rc;
    *energy_mj = r.energy_pj * 1e-9;
    *size_kb = r.size_bits / 8192.0;
    sim_report_free(&r);
    return EM_OK;
}

int sim_estimator_report(sim_estimator *e, const sim_options *opt, const em_layer_stats *plan,
                         int default_bits, sim_report *out, em_error *err)
{
    return sim_estimate(e->arch, e->hw, opt, plan, default_bits, out, err);
}
