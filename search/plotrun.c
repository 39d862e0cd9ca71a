/* search/plotrun.c: figures of a run directory. */
#include "search/plotrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hwconfigs/hw.h"
#include "nn/model.h"
#include "opt/rundir.h"
#include "plots/search.h"
#include "search/report.h"
#include "search/select.h"

typedef struct {
    const char *dir, *ext;
    char *list;
    size_t cap, len;
} figs;

static void fig_path(figs *f, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/plots/%s.%s", f->dir, name, f->ext);
    if (f->list && f->len < f->cap)
        f->len += (size_t)snprintf(f->list + f->len, f->cap - f->len, "%s\n", buf);
}

/* Objective columns of evaluations.csv: accuracy and the cost objective. */
static int read_evaluations(const char *dir, const char *cost_col, double **acc, double **cost,
                            int *n, em_error *err)
{
    char path[4096];
    int rc = opt_rundir_path(dir, "evaluations.csv", path, sizeof path, err);
    if (rc) return rc;
    sp_csv c;
    if ((rc = sp_csv_read(path, &c, err))) return rc;
    int ca = sp_csv_col(&c, "accuracy"), cc = sp_csv_col(&c, cost_col);
    if (ca < 0 || cc < 0) {
        rc = em_fail(err, EM_EFORMAT, "%s: needs columns 'accuracy' and '%s'", path, cost_col);
        sp_csv_free(&c);
        return rc;
    }
    *acc = malloc(sizeof **acc * (size_t)(c.n_rows + 1));
    *cost = malloc(sizeof **cost * (size_t)(c.n_rows + 1));
    *n = c.n_rows;
    for (int r = 0; r < c.n_rows && !rc; r++) {
        rc = sp_csv_num(&c, r, ca, &(*acc)[r], err);
        if (!rc) rc = sp_csv_num(&c, r, cc, &(*cost)[r], err);
    }
    sp_csv_free(&c);
    return rc;
}

/* sbo: non-zero rate against accuracy, with the accuracy floor tau. */
static int plot_sbo(figs *fg, const sp_config *cfg, const nn_arch *arch, const sp_final *f,
                    em_error *err)
{
    double *eacc = NULL, *enz = NULL;
    int ne = 0;
    int rc = read_evaluations(fg->dir, "nonzero_rate", &eacc, &enz, &ne, err);
    int first = f->has_reference ? 1 : 0, n = f->n - first;
    if (!rc && n < 1) rc = em_fail(err, EM_EFORMAT, "%s: final.csv has no solution", fg->dir);
    if (!rc) {
        char title[512], path[4096];
        snprintf(title, sizeof title, "%s: sbo search (non-zero rate vs accuracy), %d evaluations",
                 arch->name, ne);
        plot_mark ref = {f->nonzero[0], f->acc_search[0], "uncompressed"};
        plot_objspace_spec os = {
            .title = title,
            .x = {"non-zero weight rate", "%", PLOT_MINIMIZE, 0, 100},
            .y = {"accuracy", "%", PLOT_MAXIMIZE, 0, 100},
            .eval_x = PLOT_VEC(enz, ne), .eval_y = PLOT_VEC(eacc, ne),
            .front_x = PLOT_VEC(f->nonzero + first, n), .front_y = PLOT_VEC(f->acc_search + first, n),
            .reference = f->has_reference ? &ref : NULL,
            .y_limit = {1, cfg->tau, "accuracy floor tau"}};
        fig_path(fg, "objective-space", path, sizeof path);
        rc = plot_objective_space(path, &os, err);
    }
    free(eacc);
    free(enz);
    return rc;
}

int sp_plot_run(const char *rundir, const char *ext, char *list, size_t list_size, em_error *err)
{
    char path[4096], title[512];
    if (list && list_size) list[0] = '\0';
    sp_rundir run;
    int rc = sp_rundir_open(rundir, &run, err);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/plots", rundir);
    mkdir(path, 0777);
    const sp_config *cfg = &run.cfg;
    const sp_final *f = &run.final;
    const nn_arch *arch = run.arch;
    const hw_target *hw = &run.hw;
    const int L = run.n_layers;
    double *eacc = NULL, *ecost = NULL, *cost = NULL, *facc = NULL, *fx = NULL;
    int ne = 0;
    figs fg = {rundir, ext, list, list_size, 0};
    if (cfg->kind == SP_SBO) {
        rc = plot_sbo(&fg, cfg, arch, f, err);
        goto done;
    }
    bool size_obj = cfg->kind == SP_EMOMC_SIZE;
    const char *cost_col = size_obj ? "size_kb" : "energy_mj";
    if ((rc = read_evaluations(rundir, cost_col, &eacc, &ecost, &ne, err))) goto done;
    int first = f->has_reference ? 1 : 0, n = f->n - first;
    if (n < 1) {
        rc = em_fail(err, EM_EFORMAT, "%s: final.csv has no solution", rundir);
        goto done;
    }
    const double *scost = size_obj ? f->size_kb + first : f->energy_mj + first;
    /* The knee is chosen on the search accuracy (search/report.h), never the final. */
    sp_selection sel;
    if ((rc = sp_selection_make(f, scost, &sel, err))) goto done;
    int knee = sp_selection_knee(&sel);
    sp_selection_free(&sel);
    plot_axis xa = {size_obj ? "model size" : "energy per inference", size_obj ? "KB" : "mJ",
                    PLOT_MINIMIZE, 1, 1};
    plot_axis ya = {"accuracy", "%", PLOT_MAXIMIZE, 0, 100};

    /* 1. Objective space (search accuracies, as the optimizer saw them). */
    plot_mark ref = {f->has_reference ? scost[-1] : 0, f->acc_search[0], "uncompressed (32-bit)"};
    plot_mark pick = {scost[knee], f->acc_search[first + knee], "knee"};
    snprintf(title, sizeof title, "%s on %s: %s search (%s), %d evaluations", arch->name, hw->name,
             sp_kind_name(cfg->kind), size_obj ? coding_kind_name(cfg->coding) : cfg->mapping.name, ne);
    plot_objspace_spec os = {.title = title, .x = xa, .y = ya, .eval_x = PLOT_VEC(ecost, ne),
                             .eval_y = PLOT_VEC(eacc, ne),
                             .front_x = PLOT_VEC(scost, n), .front_y = PLOT_VEC(f->acc_search + first, n),
                             .reference = f->has_reference ? &ref : NULL, .picks = &pick, .n_picks = 1};
    if (size_obj ? cfg->size_budget_kb > 0 : cfg->energy_budget_mj > 0)
        os.x_limit = (plot_limit){1, size_obj ? cfg->size_budget_kb : cfg->energy_budget_mj, "budget"};
    fig_path(&fg, "objective-space", path, sizeof path);
    if ((rc = plot_objective_space(path, &os, err))) goto done;

    /* 2. The non-dominated set under every dataflow (or coding), final accuracies. */
    int nf = size_obj ? CODING_KIND_COUNT : DF_NBUILTIN;
    cost = malloc(sizeof *cost * (size_t)nf * (size_t)n);
    double refc[DF_NBUILTIN];
    plot_front fronts[DF_NBUILTIN];
    df_mapping maps[DF_NBUILTIN]; /* the fronts' names point into these */
    for (int k = 0; k < nf && !rc; k++) {
        sim_options so = {size_obj ? cfg->mapping : df_mapping_builtin((df_dataflow)k),
                          size_obj ? (coding_kind)k : cfg->coding, CODING_CSR_IDX_BITS_DEFAULT};
        if (so.mapping.kind == DF_CUSTOM && hw->cost_model == HW_COST_EMOMC2021)
            so.mapping = df_mapping_builtin(DF_XY);
        maps[k] = so.mapping;
        for (int i = -first; i < n && !rc; i++) {
            sim_report r;
            rc = sim_estimate(arch, hw, &so, f->plans + (size_t)(i + first) * (size_t)L, 0, &r, err);
            if (rc) break;
            double v = size_obj ? r.size_bits / 8192.0 : r.energy_pj * 1e-9;
            if (i < 0) refc[k] = v;
            else cost[(size_t)k * (size_t)n + (size_t)i] = v;
            sim_report_free(&r);
        }
        fronts[k] = (plot_front){size_obj ? coding_kind_name((coding_kind)k) : maps[k].name,
                                 PLOT_VEC(cost + (size_t)k * (size_t)n, n),
                                 PLOT_VEC(f->acc_final + first, n), f->has_reference,
                                 f->has_reference ? refc[k] : 0, f->acc_final[0]};
    }
    if (rc) goto done;
    snprintf(title, sizeof title, "%s on %s: the non-dominated set under each %s (final accuracy)",
             arch->name, hw->name, size_obj ? "coding" : "dataflow");
    plot_fronts_spec fs = {.title = title, .x = xa, .y = ya, .fronts = fronts, .n_fronts = nf};
    fig_path(&fg, size_obj ? "fronts-per-coding" : "fronts-per-dataflow", path, sizeof path);
    if ((rc = plot_fronts(path, &fs, err))) goto done;

    /* 3. AScore along the set (energy problems), on the search accuracy: its maxima
     * are choices, like the report's. */
    if (!size_obj) {
        snprintf(title, sizeof title, "%s on %s: AScore along the non-dominated set (search "
                 "accuracy)", arch->name, hw->name);
        plot_ascore_spec as = {.title = title, .accuracy = PLOT_VEC(f->acc_search + first, n),
                               .energy = PLOT_VEC(scost, n), .energy_axis = xa};
        fig_path(&fg, "ascore", path, sizeof path);
        if ((rc = plot_ascore(path, &as, err))) goto done;
    }

    /* 4. The knee's per-layer bits and keep ratios. */
    const char **names = malloc(sizeof *names * (size_t)L);
    facc = malloc(sizeof *facc * (size_t)L);
    fx = malloc(sizeof *fx * (size_t)L);
    for (int i = 0, k = 0; i < arch->n_layers; i++)
        if (nn_layer_is_compute(&arch->layers[i])) names[k++] = arch->layers[i].name;
    const cp_layer_stats *kp = f->plans + (size_t)(knee + first) * (size_t)L;
    for (int i = 0; i < L; i++) {
        facc[i] = em_bits_width(kp[i].bits);
        fx[i] = kp[i].keep;
    }
    snprintf(title, sizeof title, "%s: the knee solution (search %.2f%%, final %.2f%%, %.4g %s)",
             arch->name, 100 * f->acc_search[first + knee], 100 * f->acc_final[first + knee],
             scost[knee], size_obj ? "KB" : "mJ");
    plot_layers_spec ls = {.title = title, .names = names, .n_names = L, .bits = PLOT_VEC(facc, L),
                           .keep = PLOT_VEC(fx, L)};
    fig_path(&fg, "knee-layers", path, sizeof path);
    rc = plot_layers(path, &ls, err);
    free(names);
done:
    free(eacc);
    free(ecost);
    free(cost);
    free(facc);
    free(fx);
    sp_rundir_close(&run);
    return rc;
}
