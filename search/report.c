/* search/report.c: the tables of `emomc report`. */
#include "search/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hwconfigs/hw.h"
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

/* "keep:bits;keep:bits;...": exactly n pairs, keep in [0, 1], whole bits in 0..32
 * (0: float32), as search/run.c writes them. */
static int parse_plan(const char *s, sim_layer_plan *plan, int n, const char *path, int row,
                      em_error *err)
{
    const char *p = s;
    for (int i = 0; i < n; i++) {
        char *end;
        double keep = strtod(p, &end);
        if (end == p || *end != ':') goto bad;
        p = end + 1;
        double bits = strtod(p, &end);
        if (end == p || *end != (i + 1 < n ? ';' : '\0')) goto bad;
        if (!(keep >= 0 && keep <= 1) || !(bits >= 0 && bits <= 32) || bits != rint(bits))
            return em_fail(err, EM_EFORMAT,
                           "%s:%d: column 'plan': layer %d has keep %g and bits %g (keep must "
                           "lie in [0, 1], bits be a whole number in 0..32)",
                           path, row + 2, i + 1, keep, bits);
        plan[i].keep = keep;
        plan[i].bits = bits;
        plan[i].nnz = -1;
        p = end + 1;
    }
    return EM_OK;
bad:
    return em_fail(err, EM_EFORMAT, "%s:%d: column 'plan': expected %d keep:bits pairs", path,
                   row + 2, n);
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

static void plan_text(const sim_layer_plan *p, int n, char *buf, size_t cap)
{
    size_t k = 0;
    for (int i = 0; i < n && k + 8 < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%d", i ? "," : "", (int)p[i].bits);
}

int sp_report(const char *rundir, FILE *out, const sp_report_opts *o, em_error *err)
{
    char path[4096];
    sp_config cfg;
    sp_config_default(&cfg);
    int rc = opt_rundir_path(rundir, "config.yaml", path, sizeof path, err);
    if (!rc) rc = sp_config_load(path, &cfg, err);
    if (rc) return rc;
    nn_arch *arch = NULL;
    hw_target hw;
    sp_final f;
    memset(&f, 0, sizeof f);
    char p2[4096];
    if ((rc = nn_arch_resolve(cfg.model, p2, sizeof p2, err)) || (rc = nn_arch_load(p2, &arch, err)))
        return rc;
    bool have_hw = cfg.hw[0] != '\0';
    if (have_hw && ((rc = hw_resolve(cfg.hw, p2, sizeof p2, err)) || (rc = hw_load(p2, &hw, err))))
        goto done;
    int L = nn_arch_compute_layer_count(arch);
    if ((rc = sp_final_read(rundir, &cfg, L, &f, err))) goto done;

    int first = f.has_reference ? 1 : 0, n = f.n - first;
    bool size_obj = cfg.kind == SP_EMOMC_SIZE, sbo = cfg.kind == SP_SBO;
    const double *cost = sbo ? f.nonzero + first : size_obj ? f.size_kb + first : f.energy_mj + first;
    const double *acc = f.acc_final + first;
    const char *unit = sbo ? "non-zero rate" : size_obj ? "KB" : "mJ";
    fprintf(out, "run %s: problem %s, model %s, target %s, algorithm %s\n", rundir,
            sp_kind_name(cfg.kind), arch->name, have_hw ? hw.name : "-", cfg.algorithm);
    if (cfg.kind == SP_EMOMC_ENERGY || cfg.kind == SP_EMOMC_JOINT)
        fprintf(out, "objective cost: energy under %s\n", cfg.mapping.name);
    if (size_obj) fprintf(out, "objective cost: size under %s coding\n", coding_kind_name(cfg.coding));
    fprintf(out, "protocol: %s (accuracy_search: used by the search; accuracy_final: "
                 "re-measured, reported)\n\n", sp_protocol_name(cfg.protocol));
    if (sbo) fprintf(out, "objectives: non-zero weight rate, accuracy >= tau = %g\n", cfg.tau);
    if (f.has_reference && have_hw)
        fprintf(out, "uncompressed (32-bit, dense): accuracy %.2f%% (search split %.2f%%), "
                     "energy %.6g mJ, size %.6g KB\n\n",
                100 * f.acc_final[0], 100 * f.acc_search[0], f.energy_mj[0], f.size_kb[0]);
    else if (f.has_reference)
        fprintf(out, "uncompressed (dense): accuracy %.2f%% (search split %.2f%%)\n\n",
                100 * f.acc_final[0], 100 * f.acc_search[0]);
    fprintf(out, "non-dominated set (%d solutions, by %s):\n", n,
            sbo ? "non-zero rate" : size_obj ? "size" : "energy");
    fprintf(out, "%4s %8s %9s %9s %12s %12s %8s  %s\n", "#", "nonzero", "acc%srch", "acc%final",
            "energy(mJ)", "size(KB)", "keep", "bits per layer");
    int *order = malloc(sizeof *order * (size_t)(n ? n : 1));
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
        plan_text(f.plans + (size_t)r * (size_t)L, L, bits, sizeof bits);
        fprintf(out, "%4d %8.4f %9.2f %9.2f %12.6g %12.6g %8.3f  %s\n", i, f.nonzero[r],
                100 * f.acc_search[r], 100 * f.acc_final[r], f.energy_mj[r], f.size_kb[r],
                f.library_keep[r], bits);
    }
    free(order);
    if (n == 0) goto done;

    int knee = sr_knee(acc, cost, n);
    fprintf(out, "\nknee point: #%d (accuracy %.2f%%, %.6g %s)\n", knee, 100 * acc[knee], cost[knee], unit);
    const double ratios[3] = {5, 1, 0.2};
    for (int i = 0; i < 3; i++) {
        int b = sr_best_ascore(acc, cost, n, ratios[i]);
        if (b >= 0)
            fprintf(out, "best AScore, r/tau = %-3g: #%d (accuracy %.2f%%, %.6g %s, AScore %.6g)\n",
                    ratios[i], b, 100 * acc[b], cost[b], unit, sr_ascore(acc[b], cost[b], ratios[i]));
    }
    if (o->budget > 0) {
        int b = sr_best_under_budget(acc, cost, n, o->budget);
        if (b < 0) fprintf(out, "no solution within the budget of %g %s\n", o->budget, unit);
        else fprintf(out, "best accuracy within %g %s: #%d (accuracy %.2f%%, %.6g %s)\n", o->budget,
                     unit, b, 100 * acc[b], cost[b], unit);
    }
    int pick = o->pick >= 0 ? o->pick : knee;
    if (pick >= n) {
        rc = em_fail(err, EM_EINVAL, "--pick %d: the set has %d solutions", pick, n);
        goto done;
    }
    if (!have_hw || !f.has_reference) goto done;

    /* Tables II and III for the pick. */
    const sim_layer_plan *pp = f.plans + (size_t)(pick + first) * (size_t)L, *pr = f.plans;
    fprintf(out, "\nselected #%d: energy per dataflow (Table II) on %s\n", pick, hw.name);
    fprintf(out, "%-10s %16s %16s %12s\n", "dataflow", "uncompressed(mJ)", "compressed(mJ)", "factor");
    for (int d = 0; d < DF_NBUILTIN; d++) {
        sim_options so = {df_mapping_builtin((df_dataflow)d), cfg.coding, CODING_CSR_IDX_BITS_DEFAULT};
        sim_report a, b;
        if ((rc = sim_estimate(arch, &hw, &so, pr, 32, &a, err))) goto done;
        if ((rc = sim_estimate(arch, &hw, &so, pp, 32, &b, err))) { sim_report_free(&a); goto done; }
        fprintf(out, "%-10s %16.6g %16.6g %11.2fx\n", so.mapping.name, a.energy_pj * 1e-9,
                b.energy_pj * 1e-9, a.energy_pj / b.energy_pj);
        sim_report_free(&a);
        sim_report_free(&b);
    }
    fprintf(out, "\nselected #%d: model size per coding (Table III)\n", pick);
    fprintf(out, "%-10s %16s %16s %12s\n", "coding", "uncompressed(KB)", "compressed(KB)", "factor");
    for (int k = 0; k < CODING_KIND_COUNT; k++) {
        sim_options so = {cfg.mapping.kind == DF_CUSTOM && hw.cost_model == HW_COST_EMOMC2021
                              ? df_mapping_builtin(DF_XY) : cfg.mapping,
                          (coding_kind)k, CODING_CSR_IDX_BITS_DEFAULT};
        sim_report a, b;
        if ((rc = sim_estimate(arch, &hw, &so, pr, 32, &a, err))) goto done;
        if ((rc = sim_estimate(arch, &hw, &so, pp, 32, &b, err))) { sim_report_free(&a); goto done; }
        fprintf(out, "%-10s %16.6g %16.6g %11.2fx\n", coding_kind_name((coding_kind)k),
                a.size_bits / 8192.0, b.size_bits / 8192.0, a.size_bits / b.size_bits);
        sim_report_free(&a);
        sim_report_free(&b);
    }
done:
    sp_final_free(&f);
    nn_arch_free(arch);
    return rc;
}
