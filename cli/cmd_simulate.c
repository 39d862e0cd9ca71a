/* cli/cmd_simulate.c: `emomc simulate`: runs the cycle-level simulator on one layer of a
 * model and prints its counts next to the analytic fpga model's, with the relative
 * difference of each. Weights come from a weights file, a seeded random mask at keep
 * ratio P, or are dense. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/rng.h"
#include "dataflow/analytic.h"
#include "hwconfigs/hw.h"
#include "nn/model.h"
#include "nn/weights.h"
#include "sim/cyclesim.h"

static const char *help =
    "usage: emomc simulate --model M --layer NAME --hw H --dataflow D [options]\n"
    "  Cycle-level simulation of one conv/linear layer on the target's PE array, next to\n"
    "  the analytic fpga model (exact on dense layers; an expectation on pruned ones).\n"
    "  --dataflow D   xy|cico|fxfy|xfx or A:B[/order]\n"
    "  --model M      model name, YAML path, or ONNX file (.onnx: its weights are used\n"
    "                 unless --weights or --keep is given)\n"
    "  --weights W    take the layer's real weights from a .emw (or .onnx) file (zeros are\n"
    "                 skipped)\n"
    "  --keep P       otherwise prune a random mask keeping round(P*N) weights (seeded)\n"
    "  --seed S       seed of that mask (default 1)\n"
    "  --rows R --cols C --bandwidth B   override the target's PE array and buffer words/cycle\n"
    "  --format F     table|json (default table)\n";

int cmd_simulate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"layer", required_argument, 0, 'L'},
        {"hw", required_argument, 0, 'w'}, {"dataflow", required_argument, 0, 'd'},
        {"weights", required_argument, 0, 'W'}, {"keep", required_argument, 0, 'k'},
        {"seed", required_argument, 0, 's'}, {"rows", required_argument, 0, 'r'},
        {"cols", required_argument, 0, 'c'}, {"bandwidth", required_argument, 0, 'b'},
        {"format", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *cmd = "simulate", *model = NULL, *layer = NULL, *hwname = NULL, *df = NULL,
               *wpath = NULL;
    double keep = 1.0, bw = 0;
    long seed = 1, rows = 0, cols = 0;
    int json = 0, c, have_keep = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'm': model = optarg; break;
        case 'L': layer = optarg; break;
        case 'w': hwname = optarg; break;
        case 'd': df = optarg; break;
        case 'W': wpath = optarg; break;
        case 'k': bad = cli_parse_double(cmd, "--keep", optarg, 0, 1, &keep); have_keep = 1; break;
        case 's': bad = cli_parse_int(cmd, "--seed", optarg, 0, 1L << 62, &seed); break;
        case 'r': bad = cli_parse_int(cmd, "--rows", optarg, 1, 4096, &rows); break;
        case 'c': bad = cli_parse_int(cmd, "--cols", optarg, 1, 4096, &cols); break;
        case 'b': bad = cli_parse_double(cmd, "--bandwidth", optarg, 1e-6, 1e12, &bw); break;
        case 'f':
            if (!strcmp(optarg, "json")) json = 1;
            else if (strcmp(optarg, "table")) bad = cli_usage_error(cmd, "--format: '%s' (expected table or json)", optarg);
            break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
        if (bad) return bad;
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!model || !layer || !hwname || !df)
        return cli_usage_error(cmd, "--model, --layer, --hw and --dataflow are required");
    if (wpath && have_keep) return cli_usage_error(cmd, "give --weights or --keep, not both");

    em_error err = {0};
    char hpath[4096];
    nn_arch *arch = NULL;
    nn_weights *wset = NULL;
    float *w = NULL;
    hw_target hw;
    df_mapping map;
    df_nest nest;
    int rc = 1;
    if (df_mapping_parse(df, &map, &err)) return cli_usage_error(cmd, "--dataflow: %s", err.msg);
    /* An ONNX model brings its weights: used unless --weights or --keep is given. */
    if (nn_model_load(model, &arch, !wpath && !have_keep && nn_model_is_onnx(model) ? &wset : NULL,
                      &err) ||
        hw_resolve(hwname, hpath, sizeof hpath, &err) || hw_load(hpath, &hw, &err)) {
        rc = cli_report(cmd, &err);
        goto done;
    }
    int li = nn_arch_find(arch, layer);
    if (li < 0 || !nn_layer_is_compute(&arch->layers[li])) {
        rc = cli_usage_error(cmd, "--layer: %s has no conv or linear layer named '%s'", arch->name, layer);
        goto done;
    }
    df_nest_from_layer(&arch->layers[li], &nest, &err);
    int64_t nw = df_nest_weights(&nest);
    if (wpath || have_keep || wset) {
        w = malloc(sizeof *w * (size_t)nw);
        if (!w) goto done;
    }
    if (wpath || wset) {
        char tname[NN_NAME_MAX + 16];
        snprintf(tname, sizeof tname, "%s.weight", layer);
        if (!wset && nn_model_weights(model, wpath, &wset, &err)) {
            rc = cli_report(cmd, &err);
            goto done;
        }
        const nn_wtensor *t = nn_weights_find(wset, tname);
        if (!t || t->dtype != NN_DT_F32 || t->numel != nw) {
            rc = cli_usage_error(cmd, "--weights: %s has no float tensor '%s' of %lld values",
                                 wpath ? wpath : model, tname, (long long)nw);
            goto done;
        }
        memcpy(w, t->data, sizeof *w * (size_t)nw);
    } else if (have_keep) {
        /* Exactly round(keep * N) non-zeros at seeded random positions. */
        uint32_t *perm = malloc(sizeof *perm * (size_t)nw);
        if (!perm) goto done;
        for (int64_t i = 0; i < nw; i++) perm[i] = (uint32_t)i;
        em_rng rng;
        em_rng_seed(&rng, (uint64_t)seed);
        em_rng_shuffle_u32(&rng, perm, (uint32_t)nw);
        int64_t kept = (int64_t)rint(keep * (double)nw);
        for (int64_t i = 0; i < nw; i++) w[perm[i]] = i < kept ? 1.0f : 0.0f;
        free(perm);
    }
    int64_t nnz = nw;
    if (w) {
        nnz = 0;
        for (int64_t i = 0; i < nw; i++) nnz += w[i] != 0.0f;
    }
    df_array arr = {rows ? (int)rows : hw.pe_rows, cols ? (int)cols : hw.pe_cols,
                    bw > 0 ? bw : hw.buffer_words_per_cycle};
    if (arr.rows < 1 || arr.cols < 1 || !(arr.buffer_words_per_cycle > 0)) {
        rc = cli_usage_error(cmd, "%s has no PE array (cost model %s): give --rows, --cols and "
                             "--bandwidth", hw.name, hw_cost_model_name(hw.cost_model));
        goto done;
    }
    df_counts sim, an;
    double p = (double)nnz / (double)nw;
    if (sim_cycle_simulate(&nest, &map, &arr, w, &sim, &err) ||
        df_analyze(&nest, &map, &arr, p, &an, &err)) {
        rc = cli_report(cmd, &err);
        goto done;
    }
    const char *names[] = {"MACs", "MACs executed", "iterations", "skipped iterations", "stalls",
                           "cycles", "buffer reads W", "buffer reads I", "buffer reads O",
                           "buffer writes O", "utilization"};
    double sv[] = {sim.macs, sim.macs_executed, sim.iterations, sim.skipped, sim.stalls,
                   sim.cycles, sim.buffer_reads[DF_W], sim.buffer_reads[DF_I],
                   sim.buffer_reads[DF_O], sim.buffer_writes[DF_O], sim.utilization};
    double av[] = {an.macs, an.macs_executed, an.iterations, an.skipped, an.stalls, an.cycles,
                   an.buffer_reads[DF_W], an.buffer_reads[DF_I], an.buffer_reads[DF_O],
                   an.buffer_writes[DF_O], an.utilization};
    int nf = (int)(sizeof sv / sizeof *sv);
    if (json) {
        printf("{\"model\": \"%s\", \"layer\": \"%s\", \"dataflow\": \"%s\", \"rows\": %d, "
               "\"cols\": %d, \"keep\": %.6f, \"simulated\": {",
               arch->name, layer, map.name, arr.rows, arr.cols, p);
        for (int i = 0; i < nf; i++) printf("%s\"%s\": %.6f", i ? ", " : "", names[i], sv[i]);
        printf("}, \"analytic\": {");
        for (int i = 0; i < nf; i++) printf("%s\"%s\": %.6f", i ? ", " : "", names[i], av[i]);
        printf("}}\n");
    } else {
        printf("%s/%s under %s on %dx%d PEs, %.3g words/cycle; %lld of %lld weights non-zero (%s)\n",
               arch->name, layer, map.name, arr.rows, arr.cols, arr.buffer_words_per_cycle,
               (long long)nnz, (long long)nw,
               wpath || wset ? "from weights file" : have_keep ? "random mask" : "dense");
        printf("%-20s %16s %16s %9s\n", "count", "simulated", "analytic", "diff%");
        for (int i = 0; i < nf; i++) {
            double d = sv[i] != 0 ? 100 * (av[i] - sv[i]) / sv[i] : (fabs(av[i]) > 1e-9 ? INFINITY : 0);
            printf("%-20s %16.6g %16.6g %9.4f\n", names[i], sv[i], av[i], d);
        }
        if (p < 1)
            printf("(pruned: the analytic model gives expectations under independent random zeros)\n");
    }
    rc = 0;
done:
    free(w);
    nn_weights_free(wset);
    nn_arch_free(arch);
    return rc;
}
