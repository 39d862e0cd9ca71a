/* fuzz/fuzz_counts.c: libFuzzer target for the counting functions behind a parsed
 * model (issue 18: shape products once overflowed int64): every count of spec/arch.h,
 * then the whole-network cost estimate under the emomc2021 and fpga models, two
 * dataflows (a built-in and a custom one) and every coding, and the prepared
 * estimator. UBSan reports any signed overflow; the model limits of spec/arch.h must
 * keep every count exact, which is checked against a wider product. */
#include <stdlib.h>

#include "fuzz/fuzz_util.h"
#include "spec/arch.h"
#include "sim/estimator.h"

static int loaded;
static hw_target targets[2];

static void load_targets(void)
{
    const char *names[2] = {"emomc2021", "vu9p"};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        em_error err = {0};
        if (hw_resolve(names[i], path, sizeof path, &err) || hw_load(path, &targets[i], &err))
            abort(); /* the shipped targets must load */
    }
    loaded = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loaded) load_targets();
    char *text = fz_cstr(data, size);
    nn_arch *a = NULL;
    em_error err = {0};
    if (nn_arch_parse(text, "fuzz.yaml", &a, &err) == EM_OK) {
        __int128 macs = 0, weights = 0;
        for (int i = 0; i < a->n_layers; i++) {
            const nn_layer_spec *l = &a->layers[i];
            __int128 w = 0;
            if (l->kind == NN_L_CONV)
                w = (__int128)l->out_channels * (l->in.c / l->groups) * l->kh * l->kw;
            else if (l->kind == NN_L_LINEAR)
                w = (__int128)l->out_channels * l->in.c * l->in.h * l->in.w;
            __int128 m = l->kind == NN_L_CONV ? w * l->out.h * l->out.w : w;
            if (w != nn_layer_weight_count(l) || m != nn_layer_macs(l)) abort();
            nn_layer_param_count(l);
            macs += m;
            weights += w;
        }
        if (macs != nn_arch_macs(a) || weights != nn_arch_weight_count(a)) abort();
        if (macs > NN_MAX_MACS || weights > NN_MAX_WEIGHTS) abort();
        nn_arch_param_count(a);
        df_mapping maps[2] = {df_mapping_builtin(DF_XY), df_mapping_builtin(DF_XY)};
        df_mapping_parse("co:x", &maps[1], &err);
        for (int t = 0; t < 2; t++) {
            sim_estimator *e = NULL;
            if (sim_estimator_new(a, &targets[t], &e, &err)) continue;
            for (int d = 0; d < 2; d++) {
                if (d && targets[t].cost_model == HW_COST_EMOMC2021) continue;
                for (int k = 0; k < CODING_KIND_COUNT; k++) {
                    sim_options o = {maps[d], (coding_kind)k, CODING_CSR_IDX_BITS_DEFAULT};
                    sim_report r;
                    if (sim_estimator_report(e, &o, NULL, 16, &r, &err) == EM_OK) sim_report_free(&r);
                }
            }
            sim_estimator_free(e);
        }
        nn_arch_free(a);
    }
    free(text);
    return 0;
}
