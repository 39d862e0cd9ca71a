/* fuzz/fuzz_final.c: libFuzzer target for a finished run's final.csv (sp_final_read:
 * the CSV reader and the "keep:bits;..." plan column). The first input byte picks the
 * layer count (1..32); the rest is the file, placed in a temporary run directory.
 * A file that reads must give plans in the ranges sim/estimate.h documents (keep in
 * [0, 1], whole bits), since sp_report feeds them to the estimator and casts bits. */
#include <math.h>
#include <stdlib.h>

#include "fuzz/fuzz_util.h"
#include "search/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int n_layers = 1 + data[0] % 32;
    char dir[4096];
    if (fz_write_temp_in_dir(data + 1, size - 1, "final.csv", dir, sizeof dir)) abort();
    sp_config cfg;
    sp_config_default(&cfg);
    sp_final f;
    em_error err = {0};
    if (sp_final_read(dir, &cfg, n_layers, &f, &err) == EM_OK) {
        for (int i = 0; i < f.n * n_layers; i++) {
            const cp_layer_stats *p = &f.plans[i];
            if (!(p->keep >= 0 && p->keep <= 1) || !(p->bits >= 0 && p->bits < 32)) abort();
        }
        sp_final_free(&f);
    }
    fz_remove_dir(dir, "final.csv");
    return 0;
}
