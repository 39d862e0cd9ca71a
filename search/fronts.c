/* search/fronts.c: fronts of several runs on one cost axis, joint-run slices, the
 * relative AScore of a front's best pick, and joint vs separate by hypervolume. */
#include "search/fronts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "hwconfigs/hw.h"
#include "nn/model.h"
#include "opt/indicators.h"
#include "opt/rundir.h"
#include "search/config.h"
#include "search/csv.h"
#include "search/select.h"
#include "sim/estimate.h"

/* Rows of one run file: search accuracy, final accuracy (final.csv only), energy,
 * size, and for joint runs the dataflow and coding indices (-1 otherwise). */
typedef struct rows {
    int n;
    bool has_ref;           /* final.csv's first row is the uncompressed model */
    double *acc, *acc_final, *energy, *size;
    int *df, *cod;
} rows;

static void rows_free(rows *r)
{
    free(r->acc);
    free(r->acc_final);
    free(r->energy);
    free(r->size);
    free(r->df);
    free(r->cod);
    memset(r, 0, sizeof *r);
}

static int rows_alloc(rows *r, int n, em_error *err)
{
    size_t k = (size_t)(n > 0 ? n : 1);
    r->acc = calloc(k, sizeof(double));
    r->acc_final = calloc(k, sizeof(double));
    r->energy = calloc(k, sizeof(double));
    r->size = calloc(k, sizeof(double));
    r->df = calloc(k, sizeof(int));
    r->cod = calloc(k, sizeof(int));
    if (r->acc && r->acc_final && r->energy && r->size && r->df && r->cod) return EM_OK;
    rows_free(r);
    return em_fail(err, EM_ENOMEM, "out of memory");
}

/* A categorical cell (dataflow or coding index) in 0..count-1, or -1 without the column. */
static int cat_cell(const sp_csv *c, int r, int col, int count, int *out, em_error *err)
{
    *out = -1;
    if (col < 0) return EM_OK;
    double v;
    int rc = sp_csv_num(c, r, col, &v, err);
    if (rc) return rc;
    if (!(v >= 0 && v < count) || v != rint(v))
        return em_fail(err, EM_EFORMAT, "%s:%d: column '%s': %g is not an index in 0..%d",
                       c->path, r + 2, c->header[col], v, count - 1);
    *out = (int)v;
    return EM_OK;
}

/* final.csv (final = true: the archive re-measured, reference first) or the first
 * `limit` feasible rows of evaluations.csv (limit < 0: all); *total: the file's rows. */
static int rows_read(const char *dir, bool final, long limit, rows *r, long *total, em_error *err)
{
    memset(r, 0, sizeof *r);
    char path[4096];
    int rc = opt_rundir_path(dir, final ? "final.csv" : "evaluations.csv", path, sizeof path, err);
    sp_csv c;
    if (rc || (rc = sp_csv_read(path, &c, err))) return rc;
    const char *acc_name = final ? "accuracy_search" : "accuracy";
    int ca = sp_csv_col(&c, acc_name), cf = final ? sp_csv_col(&c, "accuracy_final") : -1,
        ce = sp_csv_col(&c, "energy_mj"), cs = sp_csv_col(&c, "size_kb"),
        cv = final ? -1 : sp_csv_col(&c, "cv"), cd = sp_csv_col(&c, "dataflow"),
        cc = sp_csv_col(&c, "coding"), ck = final ? sp_csv_col(&c, "kind") : -1;
    if (total) *total = c.n_rows;
    if (ca < 0 || (final && cf < 0) || (ce < 0 && cs < 0))
        rc = em_fail(err, EM_EFORMAT, "%s: needs columns '%s'%s and energy_mj or size_kb", path,
                     acc_name, final ? ", 'accuracy_final'" : "");
    if (!rc) rc = rows_alloc(r, c.n_rows, err);
    for (int i = 0; i < c.n_rows && !rc && (limit < 0 || i < limit); i++) {
        double feas = 0;
        int k = r->n;
        if (cv >= 0 && (rc = sp_csv_num(&c, i, cv, &feas, err))) break;
        if ((rc = sp_csv_num(&c, i, ca, &r->acc[k], err)) ||
            (cf >= 0 && (rc = sp_csv_num(&c, i, cf, &r->acc_final[k], err))) ||
            (ce >= 0 && (rc = sp_csv_num(&c, i, ce, &r->energy[k], err))) ||
            (cs >= 0 && (rc = sp_csv_num(&c, i, cs, &r->size[k], err))))
            break;
        if (i == 0 && ck >= 0 && !strcmp(sp_csv_cell(&c, 0, ck), "uncompressed")) {
            r->has_ref = true;
            r->df[k] = r->cod[k] = -1;
            r->n++;
            continue;
        }
        if ((rc = cat_cell(&c, i, cd, DF_NBUILTIN, &r->df[k], err)) ||
            (rc = cat_cell(&c, i, cc, CODING_KIND_COUNT, &r->cod[k], err)))
            break;
        if (feas <= 0) r->n++;
    }
    sp_csv_free(&c);
    if (rc) rows_free(r);
    return rc;
}

/* The dense 32-bit model's cost under (mapping, coding) for a joint run's slice. */
static int dense_cost(const sp_config *cfg, df_dataflow d, coding_kind k, bool energy,
                      double *out, em_error *err)
{
    nn_arch *arch = NULL;
    hw_target hw;
    char path[4096];
    int rc = nn_model_load(cfg->model, &arch, NULL, err);
    if (!rc && !(rc = hw_resolve(cfg->hw, path, sizeof path, err))) rc = hw_load(path, &hw, err);
    int L = rc ? 0 : nn_arch_compute_layer_count(arch);
    em_layer_stats *plan = rc ? NULL : malloc(sizeof *plan * (size_t)(L > 0 ? L : 1));
    if (!rc && !plan) rc = em_fail(err, EM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < L; i++) plan[i] = em_layer_stats_what_if(1, 0); /* float32 */
    sim_report r;
    sim_options so = {df_mapping_builtin(d), k, CODING_CSR_IDX_BITS_DEFAULT};
    if (!rc && !(rc = sim_estimate(arch, &hw, &so, plan, 0, &r, err))) {
        *out = energy ? r.energy_pj * 1e-9 : r.size_bits / 8192.0;
        sim_report_free(&r);
    }
    free(plan);
    nn_arch_free(arch);
    return rc;
}

/* Series s from the candidate rows of r (from row `first`) whose dataflow (energy) or
 * coding (size) is `slice` (-1: all): their non-dominated set, sorted by cost. */
static int series_make(sp_front_series *s, const rows *r, int first, bool energy, int slice,
                       em_error *err)
{
    int n = r->n - first;
    const double *cost = (energy ? r->energy : r->size) + first;
    const int *cat = (energy ? r->df : r->cod) + first;
    bool *nd = malloc(sizeof *nd * (size_t)(n > 0 ? n : 1));
    double *a = malloc(sizeof *a * (size_t)(n > 0 ? n : 1)), *c = malloc(sizeof *c * (size_t)(n > 0 ? n : 1));
    int *idx = malloc(sizeof *idx * (size_t)(n > 0 ? n : 1)), m = 0;
    s->cost = malloc(sizeof *s->cost * (size_t)(n > 0 ? n : 1));
    s->acc = malloc(sizeof *s->acc * (size_t)(n > 0 ? n : 1));
    s->acc_final = malloc(sizeof *s->acc_final * (size_t)(n > 0 ? n : 1));
    int rc = nd && a && c && idx && s->cost && s->acc && s->acc_final
                 ? EM_OK : em_fail(err, EM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < n; i++)
        if (slice < 0 || cat[i] == slice) {
            idx[m] = i;
            a[m] = r->acc[first + i];
            c[m++] = cost[i];
        }
    if (!rc) sp_nondominated(a, c, m, nd);
    s->n = 0;
    for (int j = 0; !rc && j < m; j++) {
        if (!nd[j]) continue;
        int k = s->n++; /* insertion by cost, then accuracy */
        while (k > 0 && (s->cost[k - 1] > c[j] || (s->cost[k - 1] == c[j] && s->acc[k - 1] > a[j]))) {
            s->cost[k] = s->cost[k - 1];
            s->acc[k] = s->acc[k - 1];
            s->acc_final[k] = s->acc_final[k - 1];
            k--;
        }
        s->cost[k] = c[j];
        s->acc[k] = a[j];
        s->acc_final[k] = r->acc_final[first + idx[j]];
    }
    free(nd);
    free(a);
    free(c);
    free(idx);
    return rc;
}

static int grow(sp_fronts *f, em_error *err)
{
    sp_front_series *s = realloc(f->s, sizeof *s * (size_t)(f->n + 1));
    if (!s) return em_fail(err, EM_ENOMEM, "out of memory");
    f->s = s;
    memset(&f->s[f->n], 0, sizeof *f->s);
    return EM_OK;
}

/* The slices of a joint run: one series per dataflow or coding that has points. */
static int add_joint(sp_fronts *f, const char *dir, const sp_config *cfg, const rows *r,
                     em_error *err)
{
    bool energy = f->axis == SP_AXIS_ENERGY;
    int first = r->has_ref ? 1 : 0, rc = EM_OK;
    for (int k = 0; k < (energy ? DF_NBUILTIN : CODING_KIND_COUNT) && !rc; k++) {
        if ((rc = grow(f, err))) break;
        sp_front_series *s = &f->s[f->n];
        snprintf(s->dir, sizeof s->dir, "%s", dir);
        snprintf(s->name, sizeof s->name, "joint %s",
                 energy ? df_mapping_builtin((df_dataflow)k).name : coding_kind_name((coding_kind)k));
        if ((rc = series_make(s, r, first, energy, k, err))) break;
        if (s->n == 0) {
            free(s->cost), free(s->acc), free(s->acc_final);
            continue;
        }
        f->n++;
        if (r->has_ref && cfg->hw[0]) {
            s->has_ref = true;
            s->ref_acc = r->acc[0];
            rc = dense_cost(cfg, energy ? (df_dataflow)k : DF_XY,
                            energy ? CODING_NORMAL : (coding_kind)k, energy, &s->ref_cost, err);
        }
    }
    return rc;
}

static int add_run(sp_fronts *f, const char *dir, em_error *err)
{
    sp_config cfg;
    int rc = sp_config_load_rundir(dir, &cfg, err);
    if (rc) return rc;
    if (cfg.kind == SP_SBO)
        return em_fail(err, EM_EINVAL, "%s: an sbo run has no energy or size front", dir);
    rows r;
    if ((rc = rows_read(dir, true, -1, &r, NULL, err))) return rc;
    if (cfg.kind == SP_EMOMC_JOINT) rc = add_joint(f, dir, &cfg, &r, err);
    else if (!(rc = grow(f, err))) {
        bool energy = f->axis == SP_AXIS_ENERGY;
        sp_front_series *s = &f->s[f->n++];
        snprintf(s->dir, sizeof s->dir, "%s", dir);
        snprintf(s->name, sizeof s->name, "%s", energy ? cfg.mapping.name : coding_kind_name(cfg.coding));
        rc = series_make(s, &r, r.has_ref ? 1 : 0, energy, -1, err);
        s->has_ref = r.has_ref;
        s->ref_acc = r.acc[0];
        s->ref_cost = energy ? r.energy[0] : r.size[0];
    }
    rows_free(&r);
    return rc;
}

/* The axis of the bi-objective runs among dirs (they must agree); energy if none. */
static int resolve_axis(const char *const *dirs, int n, sp_cost_axis *axis, em_error *err)
{
    const char *seen = NULL;
    for (int i = 0; i < n; i++) {
        sp_config cfg;
        int rc = sp_config_load_rundir(dirs[i], &cfg, err);
        if (rc) return rc;
        if (cfg.kind != SP_EMOMC_ENERGY && cfg.kind != SP_EMOMC_SIZE) continue;
        sp_cost_axis a = cfg.kind == SP_EMOMC_SIZE ? SP_AXIS_SIZE : SP_AXIS_ENERGY;
        if (seen && a != *axis)
            return em_fail(err, EM_EINVAL, "%s is an %s run but %s is not: compare runs of one "
                           "cost (or give the axis)", dirs[i], sp_kind_name(cfg.kind), seen);
        seen = dirs[i];
        *axis = a;
    }
    if (!seen) *axis = SP_AXIS_ENERGY;
    return EM_OK;
}

int sp_fronts_read(const char *const *dirs, int n_dirs, sp_cost_axis axis, sp_fronts *f,
                   em_error *err)
{
    memset(f, 0, sizeof *f);
    if (n_dirs < 1) return em_fail(err, EM_EINVAL, "no run directory to compare");
    f->axis = axis;
    int rc = axis == SP_AXIS_AUTO ? resolve_axis(dirs, n_dirs, &f->axis, err) : EM_OK;
    for (int i = 0; i < n_dirs && !rc; i++) rc = add_run(f, dirs[i], err);
    if (rc) sp_fronts_free(f);
    return rc;
}

void sp_fronts_free(sp_fronts *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->s[i].cost);
        free(f->s[i].acc);
        free(f->s[i].acc_final);
    }
    free(f->s);
    memset(f, 0, sizeof *f);
}

int sp_fronts_write_data(const sp_fronts *f, const char *path, em_error *err)
{
    em_atomic_file af;
    int rc = em_atomic_open(&af, path, err);
    if (rc) return rc;
    const char *unit = f->axis == SP_AXIS_SIZE ? "size_kb" : "energy_mj";
    fprintf(af.fp, "# emomc plot --compare: each run's front, non-dominated on (search "
                   "accuracy, %s)\n", unit);
    for (int k = 0; k < f->n; k++) {
        const sp_front_series *s = &f->s[k];
        fprintf(af.fp, "%s# %s (%s)\n# %s accuracy_search accuracy_final\n", k ? "\n\n" : "",
                s->name, s->dir, unit);
        for (int i = 0; i < s->n; i++)
            fprintf(af.fp, "%.17g %.17g %.17g\n", s->cost[i], s->acc[i], s->acc_final[i]);
    }
    return em_atomic_commit(&af, err);
}

double sp_front_best_ascore_rel(const sp_front_series *s, double q, int *pick)
{
    int b = s->n > 0 ? sp_best_ascore(s->acc, s->cost, s->n, q) : -1;
    if (pick) *pick = b;
    if (b < 0 || !s->has_ref) return NAN;
    return sp_ascore_rel(s->acc[b], s->cost[b], s->ref_acc, s->ref_cost, q);
}

/* Hypervolume of (accuracy maximized, cost minimized) against (0, ref_cost). */
static int hv2(const double *acc, const double *cost, int n, double ref_cost, double *hv,
               em_error *err)
{
    double *A = malloc(sizeof *A * 2 * (size_t)(n > 0 ? n : 1)), ref[2] = {0, ref_cost};
    if (!A) return em_fail(err, EM_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        A[2 * i] = -acc[i];
        A[2 * i + 1] = cost[i];
    }
    int rc = n > 0 ? opt_hypervolume(A, n, 2, ref, hv, err) : EM_OK;
    if (n == 0) *hv = 0;
    free(A);
    return rc;
}

/* The joint archive: marks the rows of r non-dominated on (accuracy, energy, size). */
static void archive3(const rows *r, bool *nd)
{
    for (int i = 0; i < r->n; i++) {
        nd[i] = true;
        for (int j = 0; j < r->n && nd[i]; j++) {
            if (j == i) continue;
            bool no_worse = r->acc[j] >= r->acc[i] && r->energy[j] <= r->energy[i] &&
                            r->size[j] <= r->size[i];
            bool better = r->acc[j] > r->acc[i] || r->energy[j] < r->energy[i] ||
                          r->size[j] < r->size[i];
            if (no_worse && (better || j < i)) nd[i] = false;
        }
    }
}

/* One separate run against the joint archive (nd over joint's rows j). */
static int joint_row(const rows *j, const bool *nd, const char *dir, sp_joint_row *row,
                     em_error *err)
{
    memset(row, 0, sizeof *row);
    snprintf(row->dir, sizeof row->dir, "%s", dir);
    row->n_joint = j->n;
    sp_config cfg;
    int rc = sp_config_load_rundir(dir, &cfg, err);
    if (rc) return rc;
    if (cfg.kind != SP_EMOMC_ENERGY && cfg.kind != SP_EMOMC_SIZE)
        return em_fail(err, EM_EINVAL, "%s: a %s run, not a separate energy or size search",
                       dir, sp_kind_name(cfg.kind));
    row->energy = cfg.kind == SP_EMOMC_ENERGY;
    int slice = row->energy ? (int)cfg.mapping.kind : (int)cfg.coding;
    if (row->energy && cfg.mapping.kind == DF_CUSTOM)
        return em_fail(err, EM_EINVAL, "%s: a custom dataflow is no slice of a joint run", dir);
    snprintf(row->name, sizeof row->name, "%s",
             row->energy ? cfg.mapping.name : coding_kind_name(cfg.coding));
    rows fin, ev;
    if ((rc = rows_read(dir, true, -1, &fin, NULL, err))) return rc;
    if (!fin.has_ref) rc = em_fail(err, EM_EFORMAT, "%s: final.csv has no uncompressed row "
                                   "(the reference point's cost)", dir);
    else row->ref_cost = row->energy ? fin.energy[0] : fin.size[0];
    rows_free(&fin);
    if (rc || (rc = rows_read(dir, false, j->n, &ev, &row->n_separate_total, err))) return rc;
    row->n_separate = row->n_separate_total < j->n ? row->n_separate_total : j->n;
    rc = hv2(ev.acc, row->energy ? ev.energy : ev.size, ev.n, row->ref_cost, &row->hv_separate, err);
    rows_free(&ev);
    double *a = malloc(sizeof *a * (size_t)(j->n + 1)), *c = malloc(sizeof *c * (size_t)(j->n + 1));
    if (!rc && (!a || !c)) rc = em_fail(err, EM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < j->n; i++)
        if (nd[i] && (row->energy ? j->df[i] : j->cod[i]) == slice) {
            a[row->n_slice] = j->acc[i];
            c[row->n_slice++] = row->energy ? j->energy[i] : j->size[i];
        }
    if (!rc) rc = hv2(a, c, row->n_slice, row->ref_cost, &row->hv_joint, err);
    free(a);
    free(c);
    return rc;
}

int sp_joint_vs_separate(const char *joint_dir, const char *const *sep_dirs, int n_sep,
                         sp_joint_row *rows_out, em_error *err)
{
    sp_config cfg;
    int rc = sp_config_load_rundir(joint_dir, &cfg, err);
    if (rc) return rc;
    if (cfg.kind != SP_EMOMC_JOINT)
        return em_fail(err, EM_EINVAL, "%s: a %s run, not an emomc-joint one", joint_dir,
                       sp_kind_name(cfg.kind));
    rows j;
    if ((rc = rows_read(joint_dir, false, -1, &j, NULL, err))) return rc;
    if (j.n > 0 && (j.df[0] < 0 || j.cod[0] < 0))
        rc = em_fail(err, EM_EFORMAT, "%s/evaluations.csv: no dataflow and coding columns",
                     joint_dir);
    bool *nd = rc ? NULL : malloc(sizeof *nd * (size_t)(j.n + 1));
    if (!rc && !nd) rc = em_fail(err, EM_ENOMEM, "out of memory");
    if (!rc) archive3(&j, nd);
    for (int i = 0; i < n_sep && !rc; i++) rc = joint_row(&j, nd, sep_dirs[i], &rows_out[i], err);
    free(nd);
    rows_free(&j);
    return rc;
}

void sp_joint_print(FILE *out, const char *joint_dir, const sp_joint_row *rows, int n)
{
    long total = 0;
    for (int i = 0; i < n; i++) total += rows[i].n_separate;
    fprintf(out, "joint run %s against %d separate runs, at the joint run's %ld evaluations\n",
            joint_dir, n, n ? rows[0].n_joint : 0L);
    fprintf(out, "hypervolume of (search accuracy, cost), reference (accuracy 0, the dense "
                 "32-bit model's cost);\njoint: its archive (non-dominated on accuracy, "
                 "energy, size) restricted to the dataflow or coding;\nseparate: the front "
                 "of its first N evaluations\n");
    fprintf(out, "%-8s %-6s %12s %7s %10s %7s %10s %8s\n", "slice", "cost", "ref cost", "N",
            "HV joint", "points", "HV sep", "joint/sep");
    for (int i = 0; i < n; i++) {
        const sp_joint_row *r = &rows[i];
        fprintf(out, "%-8s %-6s %12.6g %7ld %10.6g %7d %10.6g %8.4f%s\n", r->name,
                r->energy ? "mJ" : "KB", r->ref_cost, r->n_separate, r->hv_joint, r->n_slice,
                r->hv_separate, r->hv_joint / r->hv_separate,
                r->n_separate < r->n_joint ? "  (separate run has fewer evaluations)" : "");
    }
    fprintf(out, "the separate searches used %ld evaluations in all (%.3g x the joint run's "
                 "%ld)\n", total, n && rows[0].n_joint ? (double)total / (double)rows[0].n_joint
                 : 0.0, n ? rows[0].n_joint : 0L);
}
