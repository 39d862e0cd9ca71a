/* cli/cmd_estimate.c: `emomc estimate` and `emomc compare`: hardware cost of a model
 * on a target for chosen dataflows and weight codings, as a table, CSV or JSON, and
 * (compare) a grouped bar chart through gnuplot. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/atomicfile.h"
#include "hwconfigs/hw.h"
#include "nn/model.h"
#include "plots/gnuplot.h"
#include "sim/estimate.h"

typedef enum { FMT_TABLE, FMT_CSV, FMT_JSON } out_format;

typedef struct {
    const char *cmd;
    const char *model, *hw, *out, *plot;
    df_mapping maps[16];
    int n_maps;
    coding_kind codings[CODING_KIND_COUNT];
    int n_codings;
    double *keep, *bits; /* per compute layer (or one value for all) */
    int n_keep, n_bits;
    int csr_bits;
    int per_layer;
    out_format format;
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
    "  --csr-bits B     CSR relative-index width (default 3)\n"
    "  --per-layer      also list every layer\n"
    "  --format F       table|csv|json (default table)\n"
    "  --out FILE       write there (atomically) instead of standard output\n";

static const char *compare_help =
    "usage: emomc compare --model M --hw H [--plot FILE.png|.svg] [options]\n"
    "  All four dataflows x all three codings side by side; --plot draws a grouped bar\n"
    "  chart (energy per dataflow and coding, size per coding) with gnuplot.\n"
    "  Accepts the options of 'emomc estimate' too (--keep, --bits, --format, --out ...).\n";

static int parse_list(const char *cmd, const char *flag, const char *s, double lo, double hi,
                      double **out, int *n)
{
    int cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    double *v = calloc((size_t)cap, sizeof *v);
    if (!v) return cli_usage_error(cmd, "out of memory");
    char *copy = strdup(s), *save = NULL;
    int k = 0, rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save))
        rc = cli_parse_double(cmd, flag, t, lo, hi, &v[k++]);
    free(copy);
    if (!rc && k == 0) rc = cli_usage_error(cmd, "%s: empty list", flag);
    if (rc) {
        free(v);
        return rc;
    }
    free(*out);
    *out = v;
    *n = k;
    return 0;
}

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

static int parse_args(int argc, char **argv, est_args *a, int compare)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"hw", required_argument, 0, 'w'},
        {"dataflow", required_argument, 0, 'd'}, {"coding", required_argument, 0, 'c'},
        {"keep", required_argument, 0, 'k'}, {"bits", required_argument, 0, 'b'},
        {"csr-bits", required_argument, 0, 'r'}, {"per-layer", no_argument, 0, 'l'},
        {"format", required_argument, 0, 'f'}, {"out", required_argument, 0, 'o'},
        {"plot", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c, rc;
    long v;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': a->model = optarg; break;
        case 'w': a->hw = optarg; break;
        case 'd': if ((rc = add_dataflow(a, optarg))) return rc; break;
        case 'c':
            if (!strcmp(optarg, "all")) {
                a->n_codings = CODING_KIND_COUNT;
                for (int i = 0; i < CODING_KIND_COUNT; i++) a->codings[i] = (coding_kind)i;
            } else {
                em_error err = {0};
                coding_kind k;
                if (coding_kind_parse(optarg, &k, &err))
                    return cli_usage_error(a->cmd, "--coding: %s", err.msg);
                a->codings[0] = k;
                a->n_codings = 1;
            }
            break;
        case 'k': if ((rc = parse_list(a->cmd, "--keep", optarg, 0, 1, &a->keep, &a->n_keep))) return rc; break;
        case 'b': if ((rc = parse_list(a->cmd, "--bits", optarg, 1, CODING_MAX_Q, &a->bits, &a->n_bits))) return rc; break;
        case 'r':
            if ((rc = cli_parse_int(a->cmd, "--csr-bits", optarg, 1, CODING_MAX_IDX_BITS, &v))) return rc;
            a->csr_bits = (int)v;
            break;
        case 'l': a->per_layer = 1; break;
        case 'f':
            if (!strcmp(optarg, "table")) a->format = FMT_TABLE;
            else if (!strcmp(optarg, "csv")) a->format = FMT_CSV;
            else if (!strcmp(optarg, "json")) a->format = FMT_JSON;
            else return cli_usage_error(a->cmd, "--format: '%s' (expected table, csv or json)", optarg);
            break;
        case 'o': a->out = optarg; break;
        case 'p':
            if (!compare) return cli_usage_error(a->cmd, "--plot belongs to 'emomc compare'");
            a->plot = optarg;
            break;
        case 'h':
            fputs(compare ? compare_help : estimate_help, stdout);
            return -1;
        default:
            return cli_usage_error(a->cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(a->cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->model) return cli_usage_error(a->cmd, "--model is required");
    if (!a->hw) return cli_usage_error(a->cmd, "--hw is required");
    if (a->n_maps == 0) add_dataflow(a, "all");
    if (compare) {
        a->n_codings = CODING_KIND_COUNT;
        for (int i = 0; i < CODING_KIND_COUNT; i++) a->codings[i] = (coding_kind)i;
    }
    return 0;
}

/* Builds the per-layer plan from --keep/--bits (one value or one per layer). */
static int make_plan(est_args *a, const nn_arch *arch, sim_layer_plan **out)
{
    int n = nn_arch_compute_layer_count(arch);
    if (a->n_keep > 1 && a->n_keep != n)
        return cli_usage_error(a->cmd, "--keep lists %d values but %s has %d conv/linear layers",
                               a->n_keep, arch->name, n);
    if (a->n_bits > 1 && a->n_bits != n)
        return cli_usage_error(a->cmd, "--bits lists %d values but %s has %d conv/linear layers",
                               a->n_bits, arch->name, n);
    sim_layer_plan *p = calloc((size_t)n, sizeof *p);
    if (!p) return cli_usage_error(a->cmd, "out of memory");
    for (int i = 0; i < n; i++) {
        p[i].keep = a->n_keep ? a->keep[a->n_keep > 1 ? i : 0] : 1.0;
        p[i].bits = a->n_bits ? a->bits[a->n_bits > 1 ? i : 0] : 16;
        p[i].nnz = -1;
    }
    *out = p;
    return 0;
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

static void print_layers_table(FILE *f, const sim_report *r)
{
    fprintf(f, "    %-16s %12s %6s %4s %12s %12s %6s %10s%s\n", "layer", "MACs", "keep", "q",
            "energy(uJ)", "cycles", "util%", "size(KB)", "");
    for (int i = 0; i < r->n_layers; i++) {
        const sim_layer_cost *l = &r->layers[i];
        fprintf(f, "    %-16s %12.0f %6.3f %4d %12.6g %12.0f %6.1f %10.3f%s\n", l->name, l->macs,
                l->keep, l->bits, l->energy_pj * 1e-6, l->cycles, 100 * l->utilization,
                l->size_bits / 8192.0, l->dram_bound ? "  DRAM-bound" : "");
    }
}

static void csv_row(FILE *f, const est_args *a, const hw_target *hw, const char *df,
                    const char *cod, const char *layer, double macs, double macs_exec,
                    double keep, int bits, double e, const sim_fpga_energy *fe, double cycles,
                    double seconds, double util, double size_bits, double dram_bits)
{
    fprintf(f, "%s,%s,%s,%s,%s,%s,%.0f,%.6f,%.6g,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.6f,%.9g,%.6f,%.6f,%.6f\n",
            a->model, hw->name, hw_cost_model_name(hw->cost_model), df, cod, layer, macs,
            macs_exec, keep, bits, e, fe->mac, fe->reg, fe->buffer, fe->dram, fe->stat, cycles,
            seconds, util, size_bits, dram_bits);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void json_result(FILE *f, const sim_report *r, const char *df, const char *cod, int per_layer)
{
    fprintf(f, "    {\"dataflow\": ");
    json_str(f, df);
    fprintf(f, ", \"coding\": \"%s\", \"energy_pj\": %.9g, \"energy_mj\": %.9g, "
               "\"energy_components_pj\": {\"mac\": %.9g, \"register\": %.9g, \"buffer\": %.9g, "
               "\"dram\": %.9g, \"static\": %.9g}, \"macs\": %.0f, \"macs_executed\": %.6f, "
               "\"cycles\": %.6f, \"seconds\": %.9g, \"utilization\": %.6f, \"size_bits\": %.6f, "
               "\"dram_bits\": %.6f, \"array_luts\": %lld, \"device_luts\": %lld, "
               "\"weights_onchip\": %s, \"fmaps_onchip\": %s",
            cod, r->energy_pj, r->energy_pj * 1e-9, r->fpga.mac, r->fpga.reg, r->fpga.buffer,
            r->fpga.dram, r->fpga.stat, r->macs, r->macs_executed, r->cycles, r->seconds,
            r->utilization, r->size_bits, r->dram_bits, (long long)r->array_luts,
            (long long)r->device_luts, r->weights_onchip ? "true" : "false",
            r->fmaps_onchip ? "true" : "false");
    if (per_layer) {
        fprintf(f, ",\n     \"layers\": [");
        for (int i = 0; i < r->n_layers; i++) {
            const sim_layer_cost *l = &r->layers[i];
            fprintf(f, "%s\n      {\"name\": ", i ? "," : "");
            json_str(f, l->name);
            fprintf(f, ", \"macs\": %.0f, \"keep\": %.6g, \"bits\": %d, \"energy_pj\": %.9g, "
                       "\"cycles\": %.6f, \"utilization\": %.6f, \"size_bits\": %.6f, "
                       "\"dram_bits\": {\"W\": %.6f, \"I\": %.6f, \"O\": %.6f}, "
                       "\"buffer_reads\": {\"W\": %.6f, \"I\": %.6f, \"O\": %.6f}, "
                       "\"buffer_writes_O\": %.6f, \"stalls\": %.6f, \"skipped\": %.6f}",
                    l->macs, l->keep, l->bits, l->energy_pj, l->cycles, l->utilization,
                    l->size_bits, l->dram_bits_op[DF_W], l->dram_bits_op[DF_I],
                    l->dram_bits_op[DF_O], l->counts.buffer_reads[DF_W],
                    l->counts.buffer_reads[DF_I], l->counts.buffer_reads[DF_O],
                    l->counts.buffer_writes[DF_O], l->counts.stalls, l->counts.skipped);
        }
        fprintf(f, "]");
    }
    fprintf(f, "}");
}

static int run(est_args *a, int compare)
{
    em_error err = {0};
    char hpath[4096];
    nn_arch *arch = NULL;
    hw_target hw;
    sim_layer_plan *plan = NULL;
    char *buf = NULL;
    size_t len = 0;
    double *energy = NULL, *sizes = NULL;
    int rc = 1;
    if (nn_model_load(a->model, &arch, NULL, &err) ||
        hw_resolve(a->hw, hpath, sizeof hpath, &err) || hw_load(hpath, &hw, &err)) {
        rc = cli_report(a->cmd, &err);
        goto done;
    }
    if ((rc = make_plan(a, arch, &plan))) goto done;
    FILE *f = open_memstream(&buf, &len);
    if (!f) goto done;
    energy = calloc((size_t)(a->n_maps * a->n_codings), sizeof *energy);
    sizes = calloc((size_t)a->n_codings, sizeof *sizes);
    if (a->format == FMT_TABLE) {
        fprintf(f, "%s on %s (%s cost model", arch->name, hw.name, hw_cost_model_name(hw.cost_model));
        if (hw.cost_model == HW_COST_FPGA)
            fprintf(f, ", %dx%d PEs, %d-bit activations", hw.pe_rows, hw.pe_cols, hw.act_bits);
        fprintf(f, ")\n");
        print_table_head(f, &hw);
    } else if (a->format == FMT_CSV) {
        fprintf(f, "model,hw,cost_model,dataflow,coding,layer,macs,macs_executed,keep,bits,"
                   "energy_pj,energy_mac_pj,energy_register_pj,energy_buffer_pj,energy_dram_pj,"
                   "energy_static_pj,cycles,seconds,utilization,size_bits,dram_bits\n");
    } else {
        fprintf(f, "{\"model\": ");
        json_str(f, arch->name);
        fprintf(f, ", \"hw\": ");
        json_str(f, hw.name);
        fprintf(f, ", \"cost_model\": \"%s\", \"results\": [\n", hw_cost_model_name(hw.cost_model));
    }
    rc = 0;
    for (int d = 0; d < a->n_maps && !rc; d++)
        for (int c = 0; c < a->n_codings && !rc; c++) {
            sim_options opt = {a->maps[d], a->codings[c], a->csr_bits};
            sim_report r;
            if (sim_estimate(arch, &hw, &opt, plan, 16, &r, &err)) {
                rc = cli_report(a->cmd, &err);
                break;
            }
            const char *df = a->maps[d].name, *cod = coding_kind_name(a->codings[c]);
            energy[d * a->n_codings + c] = r.energy_pj * 1e-9;
            sizes[c] = r.size_bits / 8192.0;
            if (a->format == FMT_TABLE) {
                print_table_row(f, &hw, df, cod, &r);
                if (a->per_layer) print_layers_table(f, &r);
            } else if (a->format == FMT_CSV) {
                csv_row(f, a, &hw, df, cod, "total", r.macs, r.macs_executed, -1, -1,
                        r.energy_pj, &r.fpga, r.cycles, r.seconds, r.utilization, r.size_bits,
                        r.dram_bits);
                for (int i = 0; a->per_layer && i < r.n_layers; i++) {
                    const sim_layer_cost *l = &r.layers[i];
                    csv_row(f, a, &hw, df, cod, l->name, l->macs, l->macs_executed, l->keep,
                            l->bits, l->energy_pj, &l->fpga, l->cycles, l->seconds,
                            l->utilization, l->size_bits, l->dram_bits);
                }
            } else {
                if (d || c) fprintf(f, ",\n");
                json_result(f, &r, df, cod, a->per_layer);
            }
            sim_report_free(&r);
        }
    if (a->format == FMT_JSON) fprintf(f, "\n]}\n");
    if (!rc && a->format == FMT_TABLE && hw.cost_model == HW_COST_FPGA) {
        sim_report r;
        sim_options opt = {a->maps[0], a->codings[0], a->csr_bits};
        if (!sim_estimate(arch, &hw, &opt, plan, 16, &r, &err)) {
            fprintf(f, "PE array: %lld LUTs per PE, %lld in all (%.1f%% of %lld device LUTs); "
                       "on-chip memory %.0f KB\n",
                    (long long)r.pe_luts, (long long)r.array_luts,
                    100.0 * (double)r.array_luts / (double)r.device_luts, (long long)r.device_luts,
                    r.onchip_bits / 8192.0);
            sim_report_free(&r);
        }
    }
    fclose(f);
    if (rc) goto done;
    if (a->out) {
        if (em_atomic_write(a->out, buf, len, &err)) {
            rc = cli_report(a->cmd, &err);
            goto done;
        }
    } else {
        fwrite(buf, 1, len, stdout);
    }
    if (compare && a->plot) {
        const char *dfn[16], *codn[CODING_KIND_COUNT];
        for (int d = 0; d < a->n_maps; d++) dfn[d] = a->maps[d].name;
        for (int c = 0; c < a->n_codings; c++) codn[c] = coding_kind_name(a->codings[c]);
        char title[256];
        snprintf(title, sizeof title, "%s on %s (%s model)", arch->name, hw.name,
                 hw_cost_model_name(hw.cost_model));
        if (plot_compare_chart(a->plot, title, a->n_maps, dfn, a->n_codings, codn, energy,
                               sizes, &err))
            rc = cli_report(a->cmd, &err);
    }
done:
    free(buf);
    free(energy);
    free(sizes);
    free(plan);
    nn_arch_free(arch);
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
    free(a.keep);
    free(a.bits);
    return rc < 0 ? 0 : rc;
}

int cmd_estimate(int argc, char **argv) { return main_common(argc, argv, 0); }
int cmd_compare(int argc, char **argv) { return main_common(argc, argv, 1); }
