/* bench/bench_estimator.c: estimator throughput. Whole-network estimates per second
 * for VGG-16 under the four dataflows with the emomc2021 model, next to the same
 * formulas in straightforward Python (bench/emomc_reference.py) run in the same
 * benchmark on the same layer shapes; also the fpga model (analytic counts + energy).
 * Prints the medians of 5 interleaved repeats and their ratio.
 * Usage: bench_estimator [model] (default vgg16); needs python3 on PATH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "sim/estimate.h"

#define REPEATS 5

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Whole-network estimates per second, running for about `seconds`. */
static double c_rate(const nn_arch *a, const hw_target *hw, double seconds, double *sink)
{
    em_layer_stats *plan = calloc((size_t)nn_arch_compute_layer_count(a), sizeof *plan);
    for (int i = 0; i < nn_arch_compute_layer_count(a); i++) plan[i] = em_layer_stats_what_if(0.5, 8);
    long n = 0;
    double t0 = em_now_seconds(), t;
    do {
        for (int d = 0; d < DF_NBUILTIN; d++) {
            sim_options opt = {df_mapping_builtin((df_dataflow)d), CODING_NORMAL, 3};
            sim_report r;
            if (sim_estimate(a, hw, &opt, plan, 8, &r, NULL) == 0) {
                *sink += r.energy_pj;
                sim_report_free(&r);
            }
            n++;
        }
        t = em_now_seconds() - t0;
    } while (t < seconds);
    free(plan);
    return (double)n / t;
}

/* The same with the compiled network (what the search calls per candidate). */
static double compiled_rate(const nn_arch *a, const hw_target *hw, double seconds, double *sink)
{
    sim_emomc_net *net = NULL;
    if (sim_emomc2021_compile(a, &hw->emomc, &net, NULL)) return 0;
    int n = nn_arch_compute_layer_count(a);
    double *keep = calloc((size_t)n, sizeof *keep), *bits = calloc((size_t)n, sizeof *bits);
    for (int i = 0; i < n; i++) keep[i] = 0.5, bits[i] = 8;
    long count = 0;
    double t0 = em_now_seconds(), t;
    do {
        for (int rep = 0; rep < 256; rep++)
            for (int d = 0; d < DF_NBUILTIN; d++) {
                keep[0] = 0.5 + 1e-9 * (double)(rep & 7); /* defeat hoisting */
                *sink += sim_emomc2021_net_energy(net, (df_dataflow)d, keep, bits);
                count++;
            }
        t = em_now_seconds() - t0;
    } while (t < seconds);
    free(keep);
    free(bits);
    sim_emomc2021_net_free(net);
    return (double)count / t;
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "vgg16";
    char path[4096];
    nn_arch *a = NULL;
    em_error err = {0};
    if (nn_arch_resolve(model, path, sizeof path, &err) || nn_arch_load(path, &a, &err)) {
        fprintf(stderr, "bench_estimator: %s\n", err.msg);
        return 1;
    }
    /* Layer shapes for the Python peer. */
    char shapes[] = "/tmp/emomc-bench-shapes-XXXXXX";
    int fd = mkstemp(shapes);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) return 1;
    for (int i = 0; i < a->n_layers; i++) {
        df_nest n;
        if (df_nest_from_layer(&a->layers[i], &n, NULL)) continue;
        fprintf(f, "%lld %lld %lld %lld %lld %lld %lld %d\n", (long long)n.bound[DF_CO],
                (long long)n.bound[DF_CI], (long long)n.bound[DF_X], (long long)n.bound[DF_Y],
                (long long)n.bound[DF_FX], (long long)n.bound[DF_FY], (long long)n.groups,
                n.linear ? 1 : 0);
    }
    fclose(f);

    hw_target emomc;
    memset(&emomc, 0, sizeof emomc);
    emomc.cost_model = HW_COST_EMOMC2021;
    emomc.emomc = sim_emomc2021_constants();
    emomc.act_bits = 16;
    hw_target fpga = emomc;
    fpga.cost_model = HW_COST_FPGA;
    fpga.pe_rows = fpga.pe_cols = 16;
    fpga.acc_bits = 32;
    fpga.clock_mhz = 200;
    fpga.buffer_words_per_cycle = 64;
    fpga.dram_gbytes_per_s = 19.2;
    fpga.energy = (hw_energy){0.05, 0.01, 0.1, 0.1, 20};
    fpga.device.luts = 1182240;
    fpga.onchip_bits = 300000000;

    double c[REPEATS], cc[REPEATS], py[REPEATS], fp[REPEATS], sink = 0;
    char cmdline[8192];
    for (int r = 0; r < REPEATS; r++) {
        c[r] = c_rate(a, &emomc, 0.5, &sink);
        cc[r] = compiled_rate(a, &emomc, 0.5, &sink);
        fp[r] = c_rate(a, &fpga, 0.5, &sink);
        snprintf(cmdline, sizeof cmdline, "python3 %s/emomc_reference.py --seconds 0.5 --repeats 1 < %s",
                 BENCH_DIR, shapes);
        FILE *p = popen(cmdline, "r");
        py[r] = 0;
        if (!p || fscanf(p, "%lf", &py[r]) != 1) fprintf(stderr, "bench_estimator: python peer failed\n");
        if (p) pclose(p);
    }
    remove(shapes);
    double mc = median(c, REPEATS), mp = median(py, REPEATS), mf = median(fp, REPEATS);
    double mcc = median(cc, REPEATS);
    printf("model %s, %d conv/linear layers, estimates = whole network x one dataflow\n", a->name,
           nn_arch_compute_layer_count(a));
    printf("emomc2021, C compiled network:   %12.0f estimates/s (median of %d)\n", mcc, REPEATS);
    printf("emomc2021, C full report:        %12.0f estimates/s (sim_estimate, per-layer rows)\n", mc);
    printf("emomc2021 formulas, Python peer: %12.1f estimates/s (median of %d)\n", mp, REPEATS);
    printf("ratio C compiled / Python:       %12.1fx\n", mp > 0 ? mcc / mp : 0);
    printf("ratio C full report / Python:    %12.1fx\n", mp > 0 ? mc / mp : 0);
    printf("fpga model (analytic counts), C: %12.0f estimates/s (median of %d)\n", mf, REPEATS);
    printf("(checksum %g)\n", sink > 0 ? 1.0 : 0.0);
    nn_arch_free(a);
    return 0;
}
