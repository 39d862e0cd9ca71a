/* search/report.c: the tables of `emomc report`. */
#include "search/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamldoc_internal.h"
#include "hwconfigs/hw.h"
#include "nn/model.h"
#include "opt/rundir.h"
#include "search/select.h"

void sp_final_free(sp_final *f)
{
    free(f->library_keep);
    free(f->acc_search);
    free(f->acc_final);
    free(f->energy_mj);
    free(f->size_kb);
    free(f->nonzero);
    free(f->plans);
    memset(f, 0, sizeof *f);
}

/* The plan column of row `row`: cp_stats_parse's "keep:bits;..." form, as search/run.c
 * writes it. */
static int parse_plan(const char *s, cp_layer_stats *plan, int n, const char *path, int row,
                      em_error *err)
{
    int rc = cp_stats_parse(s, n, plan, err);
    if (rc) em_error_prefix(err, "%s:%d: column 'plan'", path, row + 2);
    return rc;
}

int sp_final_read(const char *rundir, const sp_config *cfg, int n_layers, sp_final *f,
                  em_error *err)
{
    (void)cfg;
    memset(f, 0, sizeof *f);
    char path[4096];
    int rc = opt_rundir_path(rundir, "final.csv", path, sizeof path, err);
    if (rc) return rc;
    sp_csv c;
    if ((rc = sp_csv_read(path, &c, err))) return rc;
    const char *names[] = {"kind", "accuracy_search", "accuracy_final", "energy_mj", "size_kb",
                           "nonzero_rate", "plan", "library_keep"};
    int col[8];
    for (int i = 0; i < 8; i++)
        if ((col[i] = sp_csv_col(&c, names[i])) < 0) {
            rc = em_fail(err, EM_EFORMAT, "%s: no column '%s'", path, names[i]);
            goto done;
        }
    f->n = c.n_rows;
    f->n_layers = n_layers;
    f->library_keep = calloc((size_t)f->n + 1, sizeof(double));
    f->acc_search = calloc((size_t)f->n + 1, sizeof(double));
    f->acc_final = calloc((size_t)f->n + 1, sizeof(double));
    f->energy_mj = calloc((size_t)f->n + 1, sizeof(double));
    f->size_kb = calloc((size_t)f->n + 1, sizeof(double));
    f->nonzero = calloc((size_t)f->n + 1, sizeof(double));
    f->plans = calloc((size_t)(f->n + 1) * (size_t)n_layers, sizeof *f->plans);
    if (!f->library_keep || !f->acc_search || !f->acc_final || !f->energy_mj || !f->size_kb || !f->nonzero || !f->plans) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    for (int r = 0; r < c.n_rows && !rc; r++) {
        if (r == 0) f->has_reference = !strcmp(sp_csv_cell(&c, 0, col[0]), "uncompressed");
        if ((rc = sp_csv_num(&c, r, col[1], &f->acc_search[r], err)) ||
            (rc = sp_csv_num(&c, r, col[2], &f->acc_final[r], err)) ||
            (rc = sp_csv_num(&c, r, col[3], &f->energy_mj[r], err)) ||
            (rc = sp_csv_num(&c, r, col[4], &f->size_kb[r], err)) ||
            (rc = sp_csv_num(&c, r, col[5], &f->nonzero[r], err)) ||
            (rc = sp_csv_num(&c, r, col[7], &f->library_keep[r], err)))
            break;
        rc = parse_plan(sp_csv_cell(&c, r, col[6]), f->plans + (size_t)r * (size_t)n_layers,
                        n_layers, path, r, err);
    }
done:
    sp_csv_free(&c);
    if (rc) sp_final_free(f);
    return rc;
}

static void plan_text(const cp_layer_stats *p, int n, char *buf, size_t cap)
{
    size_t k = 0;
    for (int i = 0; i < n && k + 8 < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%d", i ? "," : "", em_bits_width(p[i].bits));
}

const double *sp_final_cost(const sp_final *f, const sp_config *cfg)
{
    const int first = f->has_reference ? 1 : 0;
    if (cfg->kind == SP_SBO) return f->nonzero + first;
    return cfg->kind == SP_EMOMC_SIZE ? f->size_kb + first : f->energy_mj + first;
}

int sp_selection_make(const sp_final *f, const double *cost, sp_selection *s, em_error *err)
{
    memset(s, 0, sizeof *s);
    const int first = f->has_reference ? 1 : 0, n = f->n - first;
    const double *acc = f->acc_search + first;
    bool *nd = malloc(sizeof *nd * (size_t)(n > 0 ? n : 1));
    s->idx = malloc(sizeof *s->idx * (size_t)(n > 0 ? n : 1));
    s->acc = malloc(sizeof *s->acc * (size_t)(n > 0 ? n : 1));
    s->cost = malloc(sizeof *s->cost * (size_t)(n > 0 ? n : 1));
    if (!nd || !s->idx || !s->acc || !s->cost) {
        free(nd);
        sp_selection_free(s);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    sp_nondominated(acc, cost, n, nd);
    for (int i = 0; i < n; i++)
        if (nd[i]) {
            s->idx[s->n] = i;
            s->acc[s->n] = acc[i];
            s->cost[s->n++] = cost[i];
        }
    free(nd);
    return EM_OK;
}

void sp_selection_free(sp_selection *s)
{
    free(s->idx);
    free(s->acc);
    free(s->cost);
    memset(s, 0, sizeof *s);
}

/* A pick made on the selection set (an index into it, or -1) as a candidate index. */
static int as_candidate(const sp_selection *s, int k) { return k < 0 ? -1 : s->idx[k]; }

int sp_selection_knee(const sp_selection *s) { return as_candidate(s, sp_knee(s->acc, s->cost, s->n)); }

/* run.yaml's search block says which images each accuracy is on (runs before it did
 * have no such lines: then the report says where to look). */
static void read_image_sets(const char *rundir, char *search, char *final, size_t cap)
{
    snprintf(search, cap, "the search images (see search.json)");
    snprintf(final, cap, "the final images (see search.json)");
    char path[4096];
    em_yaml y;
    if (opt_rundir_path(rundir, "run.yaml", path, sizeof path, NULL)) return;
    if (em_yaml_load_file(&y, path, NULL)) {
        em_yaml_free(&y);
        return;
    }
    em_ynode *blk = em_yaml_get(&y, em_yaml_root(&y), "search");
    if (blk && em_yaml_is_map(blk)) {
        char a[256] = "", b[256] = "";
        if (!em_yaml_str_opt(&y, blk, "search_images", a, sizeof a, NULL) && a[0])
            snprintf(search, cap, "%s", a);
        if (!em_yaml_str_opt(&y, blk, "final_images", b, sizeof b, NULL) && b[0])
            snprintf(final, cap, "%s", b);
    }
    em_yaml_free(&y);
}

/* "#3 (search 98.90%, final 98.70%, 0.123 mJ)" */
static void describe(FILE *out, const sp_final *f, int first, const double *cost, int i,
                     const char *unit)
{
    fprintf(out, "#%d (search %.2f%%, final %.2f%%, %.6g %s)", i, 100 * f->acc_search[first + i],
            100 * f->acc_final[first + i], cost[i], unit);
}

/* The cheapest solution whose search accuracy is within max_loss percentage points
 * of the uncompressed model's search accuracy (the same images), its final accuracy
 * beside: a candidate index, -1 when none is within, -2 (err set) without a
 * reference row. */
static int within_loss(FILE *out, const sp_final *f, const sp_selection *sel,
                       const double *cost, const char *unit, double max_loss, em_error *err)
{
    if (!f->has_reference) {
        em_fail(err, EM_EINVAL, "--max-loss: final.csv has no uncompressed reference row "
                "(the run had no trained weights)");
        return -2;
    }
    const int first = 1;
    int b = as_candidate(sel, sp_cheapest_within_loss(sel->acc, sel->cost, sel->n,
                                                      f->acc_search[0], max_loss / 100));
    fprintf(out, "cheapest within %g points of the uncompressed search accuracy (%.2f%%): ",
            max_loss, 100 * f->acc_search[0]);
    if (b < 0) {
        fprintf(out, "none\n");
        return -1;
    }
    describe(out, f, first, cost, b, unit);
    fprintf(out, "; loss %.2f points on search, %.2f on final\n",
            100 * (f->acc_search[0] - f->acc_search[first + b]),
            100 * (f->acc_final[0] - f->acc_final[first + b]));
    return b;
}

/* EMOMC's Tables II and III for candidate `pick`: energy under every dataflow, size
 * under every coding, each against the dense 32-bit model. Sizes are compared both
 * with the dense model in the same coding and with the dense 32-bit model in normal
 * coding (the paper's compression rates). */
static int print_tables(FILE *out, const nn_arch *arch, const hw_target *hw, const sp_config *cfg,
                        const sp_final *f, int pick, int first, em_error *err)
{
    const int L = f->n_layers;
    const cp_layer_stats *pp = f->plans + (size_t)(pick + first) * (size_t)L, *pr = f->plans;
    int rc = EM_OK;
    fprintf(out, "\nselected #%d: energy per dataflow (Table II) on %s, against the dense "
                 "32-bit model in the same dataflow\n", pick, hw->name);
    fprintf(out, "%-10s %16s %16s %12s\n", "dataflow", "dense32(mJ)", "compressed(mJ)", "factor");
    for (int d = 0; d < DF_NBUILTIN && !rc; d++) {
        sim_options so = {df_mapping_builtin((df_dataflow)d), cfg->coding, CODING_CSR_IDX_BITS_DEFAULT};
        sim_report a, b;
        if ((rc = sim_estimate(arch, hw, &so, pr, 0, &a, err))) break;
        if ((rc = sim_estimate(arch, hw, &so, pp, 0, &b, err))) { sim_report_free(&a); break; }
        fprintf(out, "%-10s %16.6g %16.6g %11.2fx\n", so.mapping.name, a.energy_pj * 1e-9,
                b.energy_pj * 1e-9, a.energy_pj / b.energy_pj);
        sim_report_free(&a);
        sim_report_free(&b);
    }
    if (rc) return rc;
    fprintf(out, "\nselected #%d: model size per coding (Table III); factor vs dense32 normal is "
                 "the paper's compression rate\n", pick);
    fprintf(out, "%-10s %16s %16s %18s %22s\n", "coding", "dense32 same(KB)", "compressed(KB)",
            "factor vs same", "factor vs dense32 normal");
    df_mapping map = cfg->mapping.kind == DF_CUSTOM && hw->cost_model == HW_COST_EMOMC2021
                         ? df_mapping_builtin(DF_XY) : cfg->mapping;
    double dense_normal = 0;
    for (int k = 0; k < CODING_KIND_COUNT && !rc; k++) {
        sim_options so = {map, (coding_kind)k, CODING_CSR_IDX_BITS_DEFAULT};
        sim_report a, b;
        if ((rc = sim_estimate(arch, hw, &so, pr, 0, &a, err))) break;
        if ((rc = sim_estimate(arch, hw, &so, pp, 0, &b, err))) { sim_report_free(&a); break; }
        if ((coding_kind)k == CODING_NORMAL) dense_normal = a.size_bits;
        fprintf(out, "%-10s %16.6g %16.6g %17.2fx %21.2fx\n", coding_kind_name((coding_kind)k),
                a.size_bits / 8192.0, b.size_bits / 8192.0, a.size_bits / b.size_bits,
                dense_normal / b.size_bits);
        sim_report_free(&a);
        sim_report_free(&b);
    }
    return rc;
}

int sp_rundir_open(const char *rundir, sp_rundir *r, em_error *err)
{
    memset(r, 0, sizeof *r);
    int rc = sp_config_load_rundir(rundir, &r->cfg, err);
    if (rc) return rc;
    if ((rc = nn_model_load(r->cfg.model, &r->arch, NULL, err))) return rc;
    r->has_hw = r->cfg.hw[0] != '\0';
    char path[4096];
    if (r->has_hw && ((rc = hw_resolve(r->cfg.hw, path, sizeof path, err)) ||
                      (rc = hw_load(path, &r->hw, err))))
        goto fail;
    r->n_layers = nn_arch_compute_layer_count(r->arch);
    if ((rc = sp_final_read(rundir, &r->cfg, r->n_layers, &r->final, err))) goto fail;
    return EM_OK;
fail:
    sp_rundir_close(r);
    return rc;
}

void sp_rundir_close(sp_rundir *r)
{
    sp_final_free(&r->final);
    nn_arch_free(r->arch);
    memset(r, 0, sizeof *r);
}

int sp_report(const char *rundir, FILE *out, const sp_report_opts *o, em_error *err)
{
    sp_rundir run;
    int rc = sp_rundir_open(rundir, &run, err);
    if (rc) return rc;
    const sp_config *cfg = &run.cfg;
    const sp_final *f = &run.final;
    const nn_arch *arch = run.arch;
    const hw_target *hw = &run.hw;
    bool have_hw = run.has_hw;
    int L = run.n_layers;
    sp_selection sel;
    memset(&sel, 0, sizeof sel);

    int first = f->has_reference ? 1 : 0, n = f->n - first;
    bool size_obj = cfg->kind == SP_EMOMC_SIZE, sbo = cfg->kind == SP_SBO;
    const double *cost = sp_final_cost(f, cfg);
    const char *unit = sbo ? "non-zero rate" : size_obj ? "KB" : "mJ";
    char search_imgs[256], final_imgs[256];
    read_image_sets(rundir, search_imgs, final_imgs, sizeof search_imgs);
    fprintf(out, "run %s: problem %s, model %s, target %s, algorithm %s\n", rundir,
            sp_kind_name(cfg->kind), arch->name, have_hw ? hw->name : "-", cfg->algorithm);
    if (cfg->kind == SP_EMOMC_ENERGY || cfg->kind == SP_EMOMC_JOINT)
        fprintf(out, "objective cost: energy under %s\n", cfg->mapping.name);
    if (size_obj) fprintf(out, "objective cost: size under %s coding\n", coding_kind_name(cfg->coding));
    fprintf(out, "protocol: %s\n  search accuracy (acc%%srch): %s; every choice below is made "
                 "on it\n  final accuracy (acc%%final): %s; re-measured, reported, never "
                 "selected on\n\n", sp_protocol_name(cfg->protocol), search_imgs, final_imgs);
    if (sbo) fprintf(out, "objectives: non-zero weight rate, accuracy >= tau = %g\n", cfg->tau);
    if (f->has_reference) {
        fprintf(out, "uncompressed (32-bit, dense): search %.2f%%, final %.2f%%", 100 * f->acc_search[0],
                100 * f->acc_final[0]);
        if (have_hw) fprintf(out, ", energy %.6g mJ, size %.6g KB", f->energy_mj[0], f->size_kb[0]);
        fprintf(out, "\n\n");
    }
    if ((rc = sp_selection_make(f, cost, &sel, err))) goto done;
    bool *in_sel = calloc((size_t)(n ? n : 1), sizeof *in_sel);
    int *order = malloc(sizeof *order * (size_t)(n ? n : 1));
    if (!in_sel || !order) {
        free(in_sel);
        free(order);
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < sel.n; k++) in_sel[sel.idx[k]] = true;
    fprintf(out, "non-dominated set (%d solutions, by %s", n,
            sbo ? "non-zero rate" : size_obj ? "size" : "energy");
    if (sel.n < n)
        fprintf(out, "; the %d marked * are non-dominated on (search accuracy, %s): the ones "
                     "chosen from", sel.n, sbo ? "non-zero rate" : size_obj ? "size" : "energy");
    fprintf(out, "):\n");
    fprintf(out, "%4s %8s %9s %9s %12s %12s %8s  %s\n", "#", "nonzero", "acc%srch", "acc%final",
            "energy(mJ)", "size(KB)", "keep", "bits per layer");
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && cost[order[j]] < cost[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int k = 0; k < n; k++) {
        int i = order[k], r = i + first;
        char bits[512];
        plan_text(f->plans + (size_t)r * (size_t)L, L, bits, sizeof bits);
        fprintf(out, "%3d%c %8.4f %9.2f %9.2f %12.6g %12.6g %8.3f  %s\n", i,
                sel.n < n && in_sel[i] ? '*' : ' ', f->nonzero[r], 100 * f->acc_search[r],
                100 * f->acc_final[r], f->energy_mj[r], f->size_kb[r], f->library_keep[r], bits);
    }
    free(order);
    free(in_sel);
    if (n == 0) goto done;

    int knee = sp_selection_knee(&sel);
    fprintf(out, "\nknee point: ");
    describe(out, f, first, cost, knee, unit);
    fprintf(out, "\n");
    const double ratios[3] = {5, 1, 0.2};
    const double ref_cost = sbo ? f->nonzero[0] : size_obj ? f->size_kb[0] : f->energy_mj[0];
    for (int i = 0; i < 3; i++) {
        int b = as_candidate(&sel, sp_best_ascore(sel.acc, sel.cost, sel.n, ratios[i]));
        if (b < 0) continue;
        fprintf(out, "best AScore, r/tau = %-3g: ", ratios[i]);
        describe(out, f, first, cost, b, unit);
        double rel = f->has_reference ? sp_ascore_rel(f->acc_search[first + b], cost[b],
                                                      f->acc_search[0], ref_cost, ratios[i])
                                      : NAN;
        if (isfinite(rel)) fprintf(out, ", %.4g x the uncompressed model's AScore\n", rel);
        else fprintf(out, ", AScore %.6g\n", sp_ascore(f->acc_search[first + b], cost[b], ratios[i]));
    }
    if (o->budget > 0) {
        int b = as_candidate(&sel, sp_best_under_budget(sel.acc, sel.cost, sel.n, o->budget));
        if (b < 0) fprintf(out, "no solution within the budget of %g %s\n", o->budget, unit);
        else {
            fprintf(out, "best search accuracy within %g %s: ", o->budget, unit);
            describe(out, f, first, cost, b, unit);
            fprintf(out, "\n");
        }
    }
    int pick = o->pick >= 0 ? o->pick : knee;
    if (o->use_max_loss) {
        int w = within_loss(out, f, &sel, cost, unit, o->max_loss, err);
        if (w < -1) { rc = EM_EINVAL; goto done; }
        if (w < 0) goto done; /* nothing within: no tables */
        if (o->pick < 0) pick = w;
    }
    if (pick >= n) {
        rc = em_fail(err, EM_EINVAL, "--pick %d: the set has %d solutions", pick, n);
        goto done;
    }
    if (have_hw && f->has_reference) rc = print_tables(out, arch, hw, cfg, f, pick, first, err);
done:
    sp_selection_free(&sel);
    sp_rundir_close(&run);
    return rc;
}
