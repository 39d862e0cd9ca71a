/* sim/layercheck.c: one layer, simulated and analytic; plans from real weights
 * (sim/layercheck.h). */
#include "sim/layercheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "dataflow/analytic.h"
#include "dataflow/loopnest.h"
#include "sim/cyclesim.h"

int sim_random_mask(int64_t n, double keep, uint64_t seed, float *out, em_error *err)
{
    if (n < 0 || n > UINT32_MAX || !(keep >= 0 && keep <= 1))
        return em_fail(err, EM_EINVAL, "random mask: %lld weights at keep %g", (long long)n, keep);
    uint32_t *perm = malloc(sizeof *perm * (size_t)(n ? n : 1));
    if (!perm) return em_fail(err, EM_ENOMEM, "random mask: out of memory");
    for (int64_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    em_rng rng;
    em_rng_seed(&rng, seed);
    em_rng_shuffle_u32(&rng, perm, (uint32_t)n);
    int64_t kept = (int64_t)rint(keep * (double)n);
    for (int64_t i = 0; i < n; i++) out[perm[i]] = i < kept ? 1.0f : 0.0f;
    free(perm);
    return EM_OK;
}

static const nn_wtensor *layer_tensor(const nn_weights *w, const char *layer, int64_t n,
                                      const char *what, em_error *err)
{
    char name[NN_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s.weight", layer);
    const nn_wtensor *t = nn_weights_find(w, name);
    if (!t || t->dtype != NN_DT_F32 || t->numel != n) {
        em_fail(err, EM_EFORMAT, "%s has no float tensor '%s' of %lld values", what, name,
                (long long)n);
        return NULL;
    }
    return t;
}

/* The layer's weights into buf (NULL for dense). */
static int layer_weights(const sim_layer_check_cfg *c, const char *layer, int64_t n, float *buf,
                         em_error *err)
{
    if (c->source == SIM_W_RANDOM) return sim_random_mask(n, c->keep, c->seed, buf, err);
    const nn_wtensor *t = layer_tensor(c->weights, layer, n, c->weights_name, err);
    if (!t) return err->code;
    memcpy(buf, t->data, sizeof *buf * (size_t)n);
    return EM_OK;
}

int sim_layer_check_run(const nn_arch *a, const sim_layer_check_cfg *cfg, sim_layer_check *out,
                        em_error *err)
{
    if (cfg->layer < 0 || cfg->layer >= a->n_layers || !nn_layer_is_compute(&a->layers[cfg->layer]))
        return em_fail(err, EM_EINVAL, "layer %d of %s is no conv or linear layer", cfg->layer,
                       a->name);
    if (cfg->source == SIM_W_FILE && !cfg->weights)
        return em_fail(err, EM_EINVAL, "layer check: no weights set");
    const nn_layer_spec *l = &a->layers[cfg->layer];
    df_nest nest;
    int rc = df_nest_from_layer(l, &nest, err);
    if (rc) return rc;
    int64_t nw = df_nest_weights(&nest);
    float *w = NULL;
    if (cfg->source != SIM_W_DENSE) {
        if (!(w = malloc(sizeof *w * (size_t)(nw ? nw : 1))))
            return em_fail(err, EM_ENOMEM, "layer check: out of memory");
        rc = layer_weights(cfg, l->name, nw, w, err);
    }
    int64_t nnz = nw;
    if (w && !rc) {
        nnz = 0;
        for (int64_t i = 0; i < nw; i++) nnz += w[i] != 0.0f;
    }
    out->weights = nw;
    out->nnz = nnz;
    out->keep = (double)nnz / (double)nw;
    if (!rc) rc = sim_cycle_simulate(&nest, &cfg->mapping, &cfg->array, w, &out->simulated, err);
    if (!rc) rc = df_analyze(&nest, &cfg->mapping, &cfg->array, out->keep, &out->analytic, err);
    free(w);
    return rc;
}

int sim_plan_from_weights(const nn_arch *a, const nn_weights *w, const char *what,
                          int default_bits, em_layer_stats *plan, bool *recorded,
                          em_error *err)
{
    bool all = true;
    for (int l = 0, i = 0; l < a->n_layers; l++) {
        const nn_layer_spec *s = &a->layers[l];
        if (!nn_layer_is_compute(s)) continue;
        df_nest nest;
        int rc = df_nest_from_layer(s, &nest, err);
        if (rc) return rc;
        int64_t n = df_nest_weights(&nest);
        const nn_wtensor *t = layer_tensor(w, s->name, n, what, err);
        if (!t) return err->code;
        int64_t nnz = 0;
        for (int64_t j = 0; j < n; j++) nnz += ((const float *)t->data)[j] != 0.0f;
        char key[NN_NAME_MAX + 32];
        snprintf(key, sizeof key, "emomc.bits.%s", s->name);
        const char *v = nn_weights_meta(w, key);
        char *end = NULL;
        double b = v ? strtod(v, &end) : 0;
        bool ok = v && end != v && !*end && b >= 0 && b <= 32;
        if (v && !ok)
            return em_fail(err, EM_EFORMAT, "%s: metadata %s: '%s' is not a bit depth", what,
                           key, v);
        all = all && ok;
        plan[i] = em_layer_stats_what_if((double)nnz / (double)n,
                                         ok ? em_bits_from_width((int)rint(b)) : default_bits);
        plan[i].n = n;
        plan[i].nnz = nnz;
        i++;
    }
    if (recorded) *recorded = all;
    return EM_OK;
}
