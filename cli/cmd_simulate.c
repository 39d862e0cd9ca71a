/* cli/cmd_simulate.c: `emomc simulate`: flags -> one layer through the cycle-level
 * simulator and the analytic fpga model (sim/layercheck.h) -> their counts side by
 * side with the relative difference of each. Weights come from a weights file, a
 * seeded random mask at keep ratio P, or are dense. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/jsonfile_internal.h"
#include "hwconfigs/hw.h"
#include "nn/model.h"
#include "nn/weights.h"
#include "sim/layercheck.h"

#define CMD "simulate"

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

typedef struct {
    const char *model, *layer, *hw, *df, *wpath;
    double keep, bw;
    long seed, rows, cols;
    int json;
} sim_args;

static int parse(int argc, char **argv, sim_args *a)
{
    a->keep = -1;
    a->seed = 1;
    const cli_flag flags[] = {
        CLI_STRING("--model", &a->model, "model"), CLI_STRING("--layer", &a->layer, "layer name"),
        CLI_STRING("--hw", &a->hw, "target"), CLI_STRING("--dataflow", &a->df, "dataflow"),
        CLI_STRING("--weights", &a->wpath, "weights file"),
        CLI_DOUBLE("--keep", &a->keep, 0, 1, "random mask keep ratio"),
        CLI_INT("--seed", &a->seed, 0, 1L << 62, "mask seed"),
        CLI_INT("--rows", &a->rows, 1, 4096, "PE rows"), CLI_INT("--cols", &a->cols, 1, 4096, "PE cols"),
        CLI_DOUBLE("--bandwidth", &a->bw, 1e-6, 1e12, "buffer words per cycle"),
        CLI_CHOICE("--format", &a->json, "table|json", "output format"), CLI_END};
    int rc = cli_flags_parse(CMD, flags, argc, argv, NULL, help);
    if (rc) return rc;
    if (!a->model || !a->layer || !a->hw || !a->df)
        return cli_usage_error(CMD, "--model, --layer, --hw and --dataflow are required");
    if (a->wpath && a->keep >= 0) return cli_usage_error(CMD, "give --weights or --keep, not both");
    return 0;
}

/* The counts as JSON (common/jsonfile): counts are reals in both sections, since the
 * analytic ones on a pruned layer are expectations; rows and cols are integers. */
static int print_json(const nn_arch *arch, const sim_args *a, const sim_layer_check_cfg *c,
                      const sim_layer_check *r, const char *const *names, const double *sv,
                      const double *av, int nf)
{
    json_t *o = json_object(), *sim = json_object(), *ana = json_object();
    for (int i = 0; sim && ana && i < nf; i++) {
        em_json_set(sim, names[i], em_json_real(sv[i]));
        em_json_set(ana, names[i], em_json_real(av[i]));
    }
    if (o) {
        em_json_set(o, "model", em_json_str(arch->name));
        em_json_set(o, "layer", em_json_str(a->layer));
        em_json_set(o, "dataflow", em_json_str(c->mapping.name));
        em_json_set(o, "rows", json_integer(c->array.rows));
        em_json_set(o, "cols", json_integer(c->array.cols));
        em_json_set(o, "keep", em_json_real(r->keep));
        em_json_set(o, "simulated", json_incref(sim));
        em_json_set(o, "analytic", json_incref(ana));
    }
    em_error err = {0};
    int rc = sim && ana ? em_json_print(stdout, o, &err)
                        : em_fail(&err, EM_ENOMEM, "out of memory writing JSON");
    json_decref(sim);
    json_decref(ana);
    json_decref(o);
    return rc ? cli_report(CMD, &err) : 0;
}

static int print_counts(const nn_arch *arch, const sim_args *a, const sim_layer_check_cfg *c,
                        const sim_layer_check *r)
{
    const char *names[] = {"MACs", "MACs executed", "iterations", "skipped iterations", "stalls",
                           "cycles", "buffer reads W", "buffer reads I", "buffer reads O",
                           "buffer writes O", "utilization"};
    const df_counts *s = &r->simulated, *n = &r->analytic;
    double sv[] = {s->macs, s->macs_executed, s->iterations, s->skipped, s->stalls, s->cycles,
                   s->buffer_reads[DF_W], s->buffer_reads[DF_I], s->buffer_reads[DF_O],
                   s->buffer_writes[DF_O], s->utilization};
    double av[] = {n->macs, n->macs_executed, n->iterations, n->skipped, n->stalls, n->cycles,
                   n->buffer_reads[DF_W], n->buffer_reads[DF_I], n->buffer_reads[DF_O],
                   n->buffer_writes[DF_O], n->utilization};
    int nf = (int)(sizeof sv / sizeof *sv);
    if (a->json) return print_json(arch, a, c, r, names, sv, av, nf);
    printf("%s/%s under %s on %dx%d PEs, %.3g words/cycle; %lld of %lld weights non-zero (%s)\n",
           arch->name, a->layer, c->mapping.name, c->array.rows, c->array.cols,
           c->array.buffer_words_per_cycle, (long long)r->nnz, (long long)r->weights,
           c->source == SIM_W_FILE ? "from weights file" : c->source == SIM_W_RANDOM ? "random mask"
                                                                                    : "dense");
    printf("%-20s %16s %16s %9s\n", "count", "simulated", "analytic", "diff%");
    for (int i = 0; i < nf; i++) {
        double d = sv[i] != 0 ? 100 * (av[i] - sv[i]) / sv[i] : (fabs(av[i]) > 1e-9 ? INFINITY : 0);
        printf("%-20s %16.6g %16.6g %9.4f\n", names[i], sv[i], av[i], d);
    }
    if (r->keep < 1)
        printf("(pruned: the analytic model gives expectations under independent random zeros)\n");
    return 0;
}

/* Checks the layer and the array, builds the check's configuration. */
static int configure(const sim_args *a, const nn_arch *arch, const hw_target *hw,
                     const nn_weights *w, sim_layer_check_cfg *c)
{
    em_error err = {0};
    if (df_mapping_parse(a->df, &c->mapping, &err)) return cli_usage_error(CMD, "--dataflow: %s", err.msg);
    c->layer = nn_arch_find(arch, a->layer);
    if (c->layer < 0 || !nn_layer_is_compute(&arch->layers[c->layer]))
        return cli_usage_error(CMD, "--layer: %s has no conv or linear layer named '%s'",
                               arch->name, a->layer);
    c->array = (df_array){a->rows ? (int)a->rows : hw->pe_rows, a->cols ? (int)a->cols : hw->pe_cols,
                          a->bw > 0 ? a->bw : hw->buffer_words_per_cycle};
    if (c->array.rows < 1 || c->array.cols < 1 || !(c->array.buffer_words_per_cycle > 0))
        return cli_usage_error(CMD, "%s has no PE array (cost model %s): give --rows, --cols and "
                               "--bandwidth", hw->name, hw_cost_model_name(hw->cost_model));
    c->source = w ? SIM_W_FILE : a->keep >= 0 ? SIM_W_RANDOM : SIM_W_DENSE;
    c->weights = w;
    c->weights_name = a->wpath ? a->wpath : a->model;
    c->keep = a->keep;
    c->seed = (uint64_t)a->seed;
    return 0;
}

int cmd_simulate(int argc, char **argv)
{
    sim_args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    em_error err = {0};
    char hpath[4096];
    nn_arch *arch = NULL;
    nn_weights *w = NULL;
    hw_target hw;
    /* An ONNX model brings its weights: used unless --weights or --keep is given. */
    bool own = !a.wpath && a.keep < 0 && nn_model_is_onnx(a.model);
    rc = nn_model_load(a.model, &arch, own ? &w : NULL, &err);
    if (!rc) rc = hw_resolve(a.hw, hpath, sizeof hpath, &err);
    if (!rc) rc = hw_load(hpath, &hw, &err);
    if (!rc && a.wpath) rc = nn_model_weights(a.model, a.wpath, &w, &err);
    if (rc) {
        rc = cli_report(CMD, &err);
    } else {
        sim_layer_check_cfg c;
        sim_layer_check r;
        if (!(rc = configure(&a, arch, &hw, w, &c))) {
            if (sim_layer_check_run(arch, &c, &r, &err)) rc = cli_report(CMD, &err);
            else rc = print_counts(arch, &a, &c, &r);
        }
    }
    nn_weights_free(w);
    nn_arch_free(arch);
    return rc;
}
