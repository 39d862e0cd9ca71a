/* cli/cmd_estimate.c: `emomc estimate` and `emomc compare`: hardware cost of a model
 * on a target for chosen dataflows and weight codings, as a table, CSV or JSON, and
 * (compare) a grouped bar chart through gnuplot. The plan comes from --keep/--bits
 * or from real weights (--weights: their non-zeros, and their bits when recorded). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/atomicfile.h"
#include "common/jsonfile_internal.h"
#include "hwconfigs/hw.h"
#include "nn/model.h"
#include "plots/gnuplot.h"
#include "sim/estimate.h"
#include "sim/layercheck.h"

typedef enum { FMT_TABLE, FMT_CSV, FMT_JSON } out_format;

typedef struct {
    const char *cmd;
    const char *model, *hw, *out, *plot, *weights;
    df_mapping maps[16];
    int n_maps;
    coding_kind codings[CODING_KIND_COUNT];
    int n_codings;
    cli_list keep, bits; /* per compute layer (or one value for all) */
    long csr_bits;
    bool per_layer;
    int format;          /* out_format */
} est_args;

static const char *estimate_help =
    "usage: emomc estimate --model M --hw H [options]\n"
    "  Hardware cost of a model (energy, cycles, utilization, LUTs, memory, size) on a target.\n"
    "  --model M        model name (models/M.yaml), YAML path, or ONNX file (.onnx)\n"
    "  --hw H           target name (hwconfigs/H.yaml) or YAML path\n"
    "  --dataflow D     xy|cico|fxfy|xfx|all or any two loops A:B[/order] (default all);\n"
    "                   may be repeated or comma-free listed: --dataflow xy --dataflow co:x\n"
    "  --coding C       normal|coo|csr|all (default normal)\n"
    "  --keep P         fraction of weights kept: one value, or p1,p2,... per conv/linear layer\n"
    "  --bits Q         weight bit depth: one value, or q1,q2,... per layer (default 16)\n"
    "  --weights W      real weights (.emw or .onnx): each layer's non-zeros replace --keep,\n"
    "                   and the bits the file records (emomc export) replace the default\n"
    "  --csr-bits B     CSR relative-index width (default 3)\n"
    "  --per-layer      also list every layer\n"
    "  --format F       table|csv|json (default table)\n"
    "  --out FILE       write there (atomically) instead of standard output\n"
    "  (--plot FILE belongs to 'emomc compare')\n";

static const char *compare_help =
    "usage: emomc compare --model M --hw H [--plot FILE.png|.svg] [options]\n"
    "  All four dataflows x all three codings side by side; --plot draws a grouped bar\n"
    "  chart (energy per dataflow and coding, size per coding) with gnuplot.\n"
    "  Accepts the options of 'emomc estimate' too (--dataflow, --coding, --keep, --bits,\n"
    "  --weights, --csr-bits, --per-layer, --format, --out).\n";

static int add_dataflow(est_args *a, const char *s)
{
    em_error err = {0};
    if (!strcmp(s, "all")) {
        for (int d = 0; d < DF_NBUILTIN && a->n_maps < 16; d++)
            a->maps[a->n_maps++] = df_mapping_builtin((df_dataflow)d);
        return 0;
    }
    if (a->n_maps >= 16) return cli_usage_error(a->cmd, "--dataflow: at most 16");
    if (df_mapping_parse(s, &a->maps[a->n_maps], &err)) return cli_usage_error(a->cmd, "--dataflow: %s", err.msg);
    a->n_maps++;
    return 0;
}

static int flag_dataflow(const char *cmd, const char *flag, const char *v, void *ptr)
{
    (void)cmd, (void)flag;
    return add_dataflow(ptr, v);
}

static void all_codings(est_args *a)
{
    a->n_codings = CODING_KIND_COUNT;
    for (int i = 0; i < CODING_KIND_COUNT; i++) a->codings[i] = (coding_kind)i;
}

static int flag_coding(const char *cmd, const char *flag, const char *v, void *ptr)
{
    (void)flag;
    est_args *a = ptr;
    em_error err = {0};
    coding_kind k;
    if (!strcmp(v, "all")) return all_codings(a), 0;
    if (coding_kind_parse(v, &k, &err)) return cli_usage_error(cmd, "--coding: %s", err.msg);
    a->codings[0] = k;
    a->n_codings = 1;
    return 0;
}

static int parse_args(int argc, char **argv, est_args *a, int compare)
{
    const cli_flag flags[] = {
        CLI_STRING("--model", &a->model, "model"), CLI_STRING("--hw", &a->hw, "target"),
        CLI_FUNC("--dataflow", flag_dataflow, a, "dataflow (repeatable)"),
        CLI_FUNC("--coding", flag_coding, a, "weight coding"),
        CLI_LIST("--keep", &a->keep, 0, 1, "keep ratio(s)"),
        CLI_LIST("--bits", &a->bits, 1, CODING_MAX_Q, "bit depth(s)"),
        CLI_STRING("--weights", &a->weights, "real weights"),
        CLI_INT("--csr-bits", &a->csr_bits, 1, CODING_MAX_IDX_BITS, "CSR index bits"),
        CLI_BOOL("--per-layer", &a->per_layer, "list every layer"),
        CLI_CHOICE("--format", &a->format, "table|csv|json", "output format"),
        CLI_STRING("--out", &a->out, "output file"),
        CLI_STRING("--plot", &a->plot, "bar chart (compare)"), CLI_END};
    int rc = cli_flags_parse(a->cmd, flags, argc, argv, NULL, compare ? compare_help : estimate_help);
    if (rc) return rc;
    if (a->plot && !compare) return cli_usage_error(a->cmd, "--plot belongs to 'emomc compare'");
    const cli_required need[] = {{"--model", a->model != NULL, NULL},
                                 {"--hw", a->hw != NULL, NULL}};
    if ((rc = cli_flags_require(a->cmd, need, 2))) return rc;
    if (a->weights && a->keep.n)
        return cli_usage_error(a->cmd, "give --weights or --keep, not both");
    if (a->n_maps == 0) add_dataflow(a, "all");
    if (compare) all_codings(a);
    return 0;
}

/* Builds the per-layer plan from --keep/--bits (one value or one per layer), or from
 * the real weights of --weights (their bits unless --bits is given). */
/* A --bits value (a width, rounded; 32 is float32) in the one bits encoding. */
static int bits_at(const est_args *a, int i)
{
    return a->bits.n ? em_bits_from_width((int)rint(a->bits.v[a->bits.n > 1 ? i : 0])) : 16;
}

static int make_plan(est_args *a, const nn_arch *arch, em_layer_stats **out)
{
    int n = nn_arch_compute_layer_count(arch);
    if (a->keep.n > 1 && a->keep.n != n)
        return cli_usage_error(a->cmd, "--keep lists %d values but %s has %d conv/linear layers",
                               a->keep.n, arch->name, n);
    if (a->bits.n > 1 && a->bits.n != n)
        return cli_usage_error(a->cmd, "--bits lists %d values but %s has %d conv/linear layers",
                               a->bits.n, arch->name, n);
    em_layer_stats *p = calloc((size_t)(n ? n : 1), sizeof *p);
    if (!p) return cli_usage_error(a->cmd, "out of memory");
    for (int i = 0; i < n; i++)
        p[i] = em_layer_stats_what_if(a->keep.n ? a->keep.v[a->keep.n > 1 ? i : 0] : 1.0,
                                      bits_at(a, i));
    *out = p;
    if (!a->weights) return 0;
    em_error err = {0};
    nn_weights *w = NULL;
    int rc = nn_model_weights(a->model, a->weights, &w, &err);
    if (!rc) rc = sim_plan_from_weights(arch, w, a->weights, 16, p, NULL, &err);
    for (int i = 0; i < n && !rc && a->bits.n; i++) p[i].bits = bits_at(a, i);
    nn_weights_free(w);
    return rc ? cli_report(a->cmd, &err) : 0;
}

static void print_table_head(FILE *f, const hw_target *hw)
{
    if (hw->cost_model == HW_COST_EMOMC2021)
        fprintf(f, "%-22s %-7s %14s %12s %12s %12s\n", "dataflow", "coding", "energy(mJ)",
                "MACs", "MACs exec", "size(KB)");
    else
        fprintf(f, "%-22s %-7s %12s %6s %6s %6s %6s %6s %12s %10s %6s %10s %8s %s\n", "dataflow",
                "coding", "energy(mJ)", "mac%", "reg%", "buf%", "dram%", "stat%", "cycles",
                "time(ms)", "util%", "size(KB)", "LUT%", "memory");
}

static void print_table_row(FILE *f, const hw_target *hw, const char *df, const char *cod,
                            const sim_report *r)
{
    if (hw->cost_model == HW_COST_EMOMC2021) {
        fprintf(f, "%-22s %-7s %14.6g %12.0f %12.0f %12.3f\n", df, cod, r->energy_pj * 1e-9,
                r->macs, r->macs_executed, r->size_bits / 8192.0);
        return;
    }
    double t = r->energy_pj > 0 ? 100.0 / r->energy_pj : 0;
    const char *mem = r->weights_onchip ? "on-chip" : r->fmaps_onchip ? "weights-from-DRAM"
                                                                      : "all-from-DRAM";
    fprintf(f, "%-22s %-7s %12.6g %6.1f %6.1f %6.1f %6.1f %6.1f %12.0f %10.4f %6.1f %10.3f %8.2f %s\n",
            df, cod, r->energy_pj * 1e-9, r->fpga.mac * t, r->fpga.reg * t, r->fpga.buffer * t,
            r->fpga.dram * t, r->fpga.stat * t, r->cycles, r->seconds * 1e3,
            100 * r->utilization, r->size_bits / 8192.0,
            100.0 * (double)r->array_luts / (double)(r->device_luts ? r->device_luts : 1), mem);
}

static void print_layers_table(FILE *f, const hw_target *hw, const sim_report *r)
{
    if (hw->cost_model == HW_COST_EMOMC2021) {
        fprintf(f, "    %-16s %12s %6s %4s %12s %10s\n", "layer", "MACs", "keep", "q", "energy(uJ)",
                "size(KB)");
        for (int i = 0; i < r->n_layers; i++) {
            const sim_layer_cost *l = &r->layers[i];
            fprintf(f, "    %-16s %12.0f %6.3f %4d %12.6g %10.3f\n", l->name, l->macs, l->keep,
                    l->bits, l->energy_pj * 1e-6, l->size_bits / 8192.0);
        }
        return;
    }
    fprintf(f, "    %-16s %12s %6s %4s %12s %5s %5s %5s %5s %5s %12s %12s %6s %-8s %10s\n", "layer",
            "MACs", "keep", "q", "energy(uJ)", "mac%", "reg%", "buf%", "dram%", "stat%",
            "ideal cyc", "cycles", "util%", "bound", "size(KB)");
    for (int i = 0; i < r->n_layers; i++) {
        const sim_layer_cost *l = &r->layers[i];
        double t = l->energy_pj > 0 ? 100.0 / l->energy_pj : 0;
        fprintf(f, "    %-16s %12.0f %6.3f %4d %12.6g %5.1f %5.1f %5.1f %5.1f %5.1f %12.0f %12.0f "
                   "%6.1f %-8s %10.3f\n",
                l->name, l->macs, l->keep, l->bits, l->energy_pj * 1e-6, l->fpga.mac * t,
                l->fpga.reg * t, l->fpga.buffer * t, l->fpga.dram * t, l->fpga.stat * t,
                l->ideal_cycles, l->cycles, 100 * l->utilization, sim_bound_name(l->bound),
                l->size_bits / 8192.0);
    }
}

/* A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_row(FILE *f, const char *model, const hw_target *hw, const char *df,
                    const char *cod, const char *layer, double macs, double macs_exec,
                    double keep, int bits, double e, const sim_fpga_energy *fe, double cycles,
                    double ideal, sim_bound bound, double seconds, double util,
                    double size_bits, double dram_bits, int fits)
{
    const char *text[] = {model, hw->name, hw_cost_model_name(hw->cost_model), df, cod, layer};
    for (int i = 0; i < 6; i++) {
        csv_field(f, text[i]);
        fputc(',', f);
    }
    fprintf(f, "%.0f,%.6f,%.6g,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%s,%.9g,%.6f,%.6f,%.6f,%s\n",
            macs, macs_exec, keep, bits, e, fe->mac, fe->reg, fe->buffer, fe->dram, fe->stat,
            cycles, ideal, sim_bound_name(bound), seconds, util, size_bits, dram_bits,
            fits < 0 ? "" : fits ? "yes" : "no");
}

/* ---- JSON (through jansson: escaping and number types are its job). Counts that are
 * whole by definition (MACs of the dense nest, LUTs, DSPs, bits of a layer's coded
 * weights are not: CSR fillers are expected values) are integers; every other number
 * is a real, always. */
static json_t *energy_parts(const sim_fpga_energy *e)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:f}", "mac", e->mac, "register", e->reg, "buffer",
                     e->buffer, "dram", e->dram, "static", e->stat);
}

static json_t *fit_json(const sim_report *r, const hw_target *hw)
{
    const sim_fit *f = &r->fit;
    json_t *why = json_array();
    if (!f->luts)
        json_array_append_new(why, json_sprintf("the PE array needs %lld LUTs, the device has %lld",
                                                (long long)r->array_luts, (long long)r->device_luts));
    if (!f->fmaps_onchip)
        json_array_append_new(why, json_string("the largest feature maps do not fit on chip"));
    return json_pack("{s:b, s:b, s:f, s:b, s:b, s:f, s:I, s:I, s:s, s:o}", "fits", f->fits,
                     "luts_fit", f->luts, "lut_share", f->lut_share, "weights_onchip",
                     f->weights_onchip, "fmaps_onchip", f->fmaps_onchip, "memory_share",
                     f->memory_share, "dsps_used", (json_int_t)f->dsps_used, "dsps",
                     (json_int_t)f->dsps, "device", hw->name, "reasons", why);
}

static json_t *layer_json(const sim_layer_cost *l)
{
    json_t *o = json_pack("{s:s, s:I, s:f, s:f, s:i, s:f, s:f, s:f, s:f, s:s, s:f, s:f}",
                          "name", l->name, "macs", (json_int_t)l->macs, "macs_executed",
                          l->macs_executed, "keep", l->keep, "bits", l->bits, "energy_pj",
                          l->energy_pj, "cycles", l->cycles, "ideal_cycles", l->ideal_cycles,
                          "utilization", l->utilization, "bound", sim_bound_name(l->bound),
                          "size_bits", l->size_bits, "seconds", l->seconds);
    json_object_set_new(o, "energy_components_pj", energy_parts(&l->fpga));
    json_object_set_new(o, "dram_bits", json_pack("{s:f, s:f, s:f}", "W", l->dram_bits_op[DF_W],
                                                  "I", l->dram_bits_op[DF_I], "O",
                                                  l->dram_bits_op[DF_O]));
    json_object_set_new(o, "buffer_reads", json_pack("{s:f, s:f, s:f}", "W",
                                                     l->counts.buffer_reads[DF_W], "I",
                                                     l->counts.buffer_reads[DF_I], "O",
                                                     l->counts.buffer_reads[DF_O]));
    json_object_set_new(o, "buffer_writes_O", json_real(l->counts.buffer_writes[DF_O]));
    json_object_set_new(o, "stalls", json_real(l->counts.stalls));
    json_object_set_new(o, "skipped", json_real(l->counts.skipped));
    return o;
}

static json_t *result_json(const sim_report *r, const hw_target *hw, const char *df,
                           const char *cod, int per_layer)
{
    json_t *o = json_pack("{s:s, s:s, s:f, s:f, s:I, s:f, s:f, s:f, s:f, s:f, s:s, s:f, s:f, "
                          "s:I, s:I, s:b, s:b}",
                          "dataflow", df, "coding", cod, "energy_pj", r->energy_pj, "energy_mj",
                          r->energy_pj * 1e-9, "macs", (json_int_t)r->macs, "macs_executed",
                          r->macs_executed, "cycles", r->cycles, "ideal_cycles", r->ideal_cycles,
                          "seconds", r->seconds, "utilization", r->utilization, "bound",
                          sim_bound_name(r->bound), "size_bits", r->size_bits, "dram_bits",
                          r->dram_bits, "array_luts", (json_int_t)r->array_luts, "device_luts",
                          (json_int_t)r->device_luts, "weights_onchip", r->weights_onchip,
                          "fmaps_onchip", r->fmaps_onchip);
    json_object_set_new(o, "energy_components_pj", energy_parts(&r->fpga));
    if (hw->cost_model == HW_COST_FPGA) json_object_set_new(o, "fit", fit_json(r, hw));
    if (per_layer) {
        json_t *ls = json_array();
        for (int i = 0; i < r->n_layers; i++) json_array_append_new(ls, layer_json(&r->layers[i]));
        json_object_set_new(o, "layers", ls);
    }
    return o;
}

/* The warning a design that does not fit gets, on stderr in every format. */
static void warn_fit(const char *cmd, const sim_report *r, const hw_target *hw, const char *df)
{
    if (hw->cost_model != HW_COST_FPGA || r->fit.fits) return;
    fprintf(stderr, "emomc %s: warning: does not fit %s under %s:", cmd, hw->name, df);
    if (!r->fit.luts)
        fprintf(stderr, " the PE array needs %lld LUTs (%.0f%% of the device's %lld)",
                (long long)r->array_luts, 100 * r->fit.lut_share, (long long)r->device_luts);
    if (!r->fit.fmaps_onchip)
        fprintf(stderr, "%s the largest feature maps (%.0f KB) exceed the on-chip memory (%.0f KB)",
                r->fit.luts ? "" : ";", r->fmap_peak_bits / 8192.0, r->onchip_bits / 8192.0);
    fprintf(stderr, "\n");
}

/* What one estimate run holds: the model, the target, the plan, and the energies
 * and sizes the compare chart draws. */
typedef struct {
    nn_arch *arch;
    hw_target hw;
    em_layer_stats *plan;
    double *energy, *sizes;
} est_run;

static void write_head(FILE *f, const est_args *a, const est_run *e)
{
    const hw_target *hw = &e->hw;
    if (a->format == FMT_TABLE) {
        fprintf(f, "%s on %s (%s cost model", e->arch->name, hw->name,
                hw_cost_model_name(hw->cost_model));
        if (hw->cost_model == HW_COST_FPGA)
            fprintf(f, ", %dx%d PEs, %d-bit activations", hw->pe_rows, hw->pe_cols, hw->act_bits);
        fprintf(f, ")\n");
        if (hw->cost_model == HW_COST_FPGA)
            fprintf(f, "mac%% reg%% buf%% dram%% stat%%: shares of the energy spent in the MACs "
                       "(LUT multipliers and adders), PE registers, the on-chip buffer, DRAM, and "
                       "static power over the time; bound: what limits the time (compute, buffer "
                       "bandwidth, DRAM)\n");
        print_table_head(f, hw);
    } else if (a->format == FMT_CSV) {
        fprintf(f, "model,hw,cost_model,dataflow,coding,layer,macs,macs_executed,keep,bits,"
                   "energy_pj,energy_mac_pj,energy_register_pj,energy_buffer_pj,energy_dram_pj,"
                   "energy_static_pj,cycles,ideal_cycles,bound,seconds,utilization,size_bits,"
                   "dram_bits,fits\n");
    }
}

static void write_csv(FILE *f, const est_args *a, const est_run *e, const char *df,
                      const char *cod, const sim_report *r)
{
    const int fits = e->hw.cost_model == HW_COST_FPGA ? r->fit.fits : -1;
    const char *m = e->arch->name;
    csv_row(f, m, &e->hw, df, cod, "total", r->macs, r->macs_executed, -1, -1, r->energy_pj,
            &r->fpga, r->cycles, r->ideal_cycles, r->bound, r->seconds, r->utilization,
            r->size_bits, r->dram_bits, fits);
    for (int i = 0; a->per_layer && i < r->n_layers; i++) {
        const sim_layer_cost *l = &r->layers[i];
        csv_row(f, m, &e->hw, df, cod, l->name, l->macs, l->macs_executed, l->keep, l->bits,
                l->energy_pj, &l->fpga, l->cycles, l->ideal_cycles, l->bound, l->seconds,
                l->utilization, l->size_bits, l->dram_bits, fits);
    }
}

/* Estimates dataflow d under coding c and writes it in the chosen format. */
static int write_one(FILE *f, const est_args *a, est_run *e, int d, int c, json_t *results)
{
    em_error err = {0};
    sim_options opt = {a->maps[d], a->codings[c], (int)a->csr_bits};
    sim_report r;
    if (sim_estimate(e->arch, &e->hw, &opt, e->plan, 16, &r, &err)) return cli_report(a->cmd, &err);
    const char *df = a->maps[d].name, *cod = coding_kind_name(a->codings[c]);
    e->energy[d * a->n_codings + c] = r.energy_pj * 1e-9;
    e->sizes[c] = r.size_bits / 8192.0;
    if (c == 0) warn_fit(a->cmd, &r, &e->hw, df);
    if (a->format == FMT_TABLE) {
        print_table_row(f, &e->hw, df, cod, &r);
        if (a->per_layer) print_layers_table(f, &e->hw, &r);
    } else if (a->format == FMT_CSV) {
        write_csv(f, a, e, df, cod, &r);
    } else {
        json_array_append_new(results, result_json(&r, &e->hw, df, cod, a->per_layer));
    }
    sim_report_free(&r);
    return 0;
}

static int write_json(FILE *f, const est_args *a, const est_run *e, json_t *results)
{
    em_error err = {0};
    json_t *doc = json_object();
    if (doc) {
        em_json_set(doc, "model", em_json_str(e->arch->name));
        em_json_set(doc, "hw", em_json_str(e->hw.name));
        em_json_set(doc, "cost_model", em_json_str(hw_cost_model_name(e->hw.cost_model)));
        em_json_set(doc, "results", json_incref(results));
    }
    int rc = doc ? em_json_print(f, doc, &err) : em_fail(&err, EM_ENOMEM, "out of memory writing JSON");
    json_decref(doc);
    return rc ? cli_report(a->cmd, &err) : 0;
}

/* The table's footer on an fpga target: the PE array and the fit verdict. */
static void write_fit(FILE *f, const est_args *a, const est_run *e)
{
    em_error err = {0};
    sim_report r;
    sim_options opt = {a->maps[0], a->codings[0], (int)a->csr_bits};
    if (sim_estimate(e->arch, &e->hw, &opt, e->plan, 16, &r, &err)) return;
    fprintf(f, "PE array: %lld LUTs per PE, %lld in all (%.1f%% of %lld device LUTs); "
               "on-chip memory %.0f KB; no DSPs (LUT multipliers)\n",
            (long long)r.pe_luts, (long long)r.array_luts,
            100.0 * (double)r.array_luts / (double)r.device_luts, (long long)r.device_luts,
            r.onchip_bits / 8192.0);
    fprintf(f, "fit on %s: %s\n", e->hw.name,
            r.fit.fits ? (r.fit.weights_onchip ? "yes, weights and feature maps on chip"
                                               : "yes, weights streamed from DRAM")
            : !r.fit.luts ? "NO: the PE array needs more LUTs than the device has"
                          : "NO: the feature maps do not fit on chip");
    sim_report_free(&r);
}

/* Everything the command prints, into f. */
static int write_all(FILE *f, const est_args *a, est_run *e)
{
    json_t *results = json_array();
    int rc = 0;
    write_head(f, a, e);
    for (int d = 0; d < a->n_maps && !rc; d++)
        for (int c = 0; c < a->n_codings && !rc; c++) rc = write_one(f, a, e, d, c, results);
    if (!rc && a->format == FMT_JSON) rc = write_json(f, a, e, results);
    json_decref(results);
    if (!rc && a->format == FMT_TABLE && e->hw.cost_model == HW_COST_FPGA) write_fit(f, a, e);
    return rc;
}

static int draw_chart(const est_args *a, const est_run *e)
{
    em_error err = {0};
    const char *dfn[16], *codn[CODING_KIND_COUNT];
    for (int d = 0; d < a->n_maps; d++) dfn[d] = a->maps[d].name;
    for (int c = 0; c < a->n_codings; c++) codn[c] = coding_kind_name(a->codings[c]);
    char title[256];
    snprintf(title, sizeof title, "%s on %s (%s model)", e->arch->name, e->hw.name,
             hw_cost_model_name(e->hw.cost_model));
    if (plot_compare_chart(a->plot, title, a->n_maps, dfn, a->n_codings, codn, e->energy,
                           e->sizes, &err))
        return cli_report(a->cmd, &err);
    return 0;
}

static int run(est_args *a, int compare)
{
    em_error err = {0};
    char hpath[4096], *buf = NULL;
    size_t len = 0;
    est_run e = {0};
    int rc = 1;
    if (nn_model_load(a->model, &e.arch, NULL, &err) ||
        hw_resolve(a->hw, hpath, sizeof hpath, &err) || hw_load(hpath, &e.hw, &err)) {
        rc = cli_report(a->cmd, &err);
        goto done;
    }
    if ((rc = make_plan(a, e.arch, &e.plan))) goto done;
    e.energy = calloc((size_t)(a->n_maps * a->n_codings), sizeof *e.energy);
    e.sizes = calloc((size_t)a->n_codings, sizeof *e.sizes);
    FILE *f = open_memstream(&buf, &len);
    if (!f || !e.energy || !e.sizes) {
        if (f) fclose(f);
        rc = cli_report(a->cmd, &(em_error){EM_ENOMEM, "out of memory"});
        goto done;
    }
    rc = write_all(f, a, &e);
    fclose(f);
    if (rc) goto done;
    if (a->out && em_atomic_write(a->out, buf, len, &err)) rc = cli_report(a->cmd, &err);
    else if (!a->out) fwrite(buf, 1, len, stdout);
    if (!rc && compare && a->plot) rc = draw_chart(a, &e);
done:
    free(buf);
    free(e.energy);
    free(e.sizes);
    free(e.plan);
    nn_arch_free(e.arch);
    return rc;
}

static int main_common(int argc, char **argv, int compare)
{
    est_args a;
    memset(&a, 0, sizeof a);
    a.cmd = compare ? "compare" : "estimate";
    a.csr_bits = CODING_CSR_IDX_BITS_DEFAULT;
    a.format = FMT_TABLE;
    a.codings[0] = CODING_NORMAL;
    a.n_codings = 1;
    int rc = parse_args(argc, argv, &a, compare);
    if (rc == 0) rc = run(&a, compare);
    return rc < 0 ? 0 : rc;
}

int cmd_estimate(int argc, char **argv) { return main_common(argc, argv, 0); }
int cmd_compare(int argc, char **argv) { return main_common(argc, argv, 1); }
