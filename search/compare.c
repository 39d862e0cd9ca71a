/* search/compare.c: hypervolume of finished runs after N evaluations and at the end,
 * per-group statistics, Friedman and Dunn over seed-paired runs (search/compare.h).
 * Reading a run directory lives here; the markdown, CSV and box plot in
 * search/compare_out.c. */
#include "search/compare.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/yamldoc_internal.h"
#include "opt/algorithm.h"
#include "opt/indicators.h"
#include "opt/rundir.h"
#include "opt/stats.h"
#include "search/csv.h"

#define MAX_OBJ 16

/* One run as read: objectives (minimized), violations, what run.yaml and
 * summary.json say. */
typedef struct run_data {
    int n_obj, maximize[MAX_OBJ];
    char names[MAX_OBJ][128];
    long long seed;
    int n;
    double *F, *cv;
    double summary_hv, summary_ref[MAX_OBJ];
    int has_summary_ref;
} run_data;

static void run_data_free(run_data *r)
{
    free(r->F);
    free(r->cv);
}

/* ---- run.yaml ----------------------------------------------------------------------- */
static int read_objectives(em_yaml *y, em_ynode *root, run_data *r, em_error *err)
{
    em_ynode *objs = em_yaml_get(y, root, "objectives");
    if (!objs || !em_yaml_is_seq(objs) || em_yaml_seq_len(objs) < 1)
        return em_fail(err, EM_EFORMAT, "%s: 'objectives' is missing or not a list", y->path);
    r->n_obj = em_yaml_seq_len(objs);
    if (r->n_obj > MAX_OBJ)
        return em_fail(err, EM_EFORMAT, "%s: %d objectives (at most %d)", y->path, r->n_obj, MAX_OBJ);
    for (int j = 0; j < r->n_obj; j++) {
        em_ynode *o = em_yaml_seq_at(y, objs, j);
        char sense[32];
        int rc = em_yaml_str_req(y, o, "name", r->names[j], sizeof r->names[j], err);
        if (!rc) rc = em_yaml_str_req(y, o, "sense", sense, sizeof sense, err);
        if (rc) return rc;
        if (strcmp(sense, "minimize") && strcmp(sense, "maximize"))
            return em_fail(err, EM_EFORMAT, "%s:%d: objective '%s': sense '%s' (minimize or "
                           "maximize)", y->path, em_yaml_line(o), r->names[j], sense);
        r->maximize[j] = !strcmp(sense, "maximize");
    }
    return EM_OK;
}

static int read_run_yaml(const char *dir, run_data *r, em_error *err)
{
    char path[4096];
    int rc = opt_rundir_path(dir, "run.yaml", path, sizeof path, err);
    if (rc) return rc;
    em_yaml y;
    if ((rc = em_yaml_load_file(&y, path, err))) {
        em_yaml_free(&y); /* it holds the path even when loading failed */
        return rc;
    }
    em_ynode *root = em_yaml_root(&y);
    if (!root || !em_yaml_is_map(root)) rc = em_fail(err, EM_EFORMAT, "%s: not a mapping", path);
    if (!rc) rc = read_objectives(&y, root, r, err);
    long long seed = -1;
    if (!rc) rc = em_yaml_int_opt(&y, root, "seed", 0, INT64_MAX, &seed, err);
    r->seed = seed;
    em_yaml_free(&y);
    return rc;
}

/* ---- evaluations.csv ------------------------------------------------------------------ */
static int read_rows(const sp_csv *c, const int *col, int cv_col, run_data *r, em_error *err)
{
    int m = r->n_obj;
    r->n = c->n_rows;
    r->F = malloc(sizeof(double) * (size_t)(r->n ? r->n : 1) * (size_t)m);
    r->cv = malloc(sizeof(double) * (size_t)(r->n ? r->n : 1));
    if (!r->F || !r->cv) return em_fail(err, EM_ENOMEM, "out of memory");
    for (int i = 0; i < r->n; i++) {
        for (int j = 0; j < m; j++) {
            double v;
            int rc = sp_csv_num(c, i, col[j], &v, err);
            if (rc) return rc;
            r->F[(size_t)i * m + j] = r->maximize[j] ? -v : v;
        }
        int rc = sp_csv_num(c, i, cv_col, &r->cv[i], err);
        if (rc) return rc;
    }
    return EM_OK;
}

static int read_evaluations(const char *dir, run_data *r, em_error *err)
{
    char path[4096];
    int rc = opt_rundir_path(dir, "evaluations.csv", path, sizeof path, err);
    if (rc) return rc;
    sp_csv c;
    if ((rc = sp_csv_read(path, &c, err))) return rc;
    int col[MAX_OBJ], cv_col = sp_csv_col(&c, "cv");
    for (int j = 0; j < r->n_obj && !rc; j++)
        if ((col[j] = sp_csv_col(&c, r->names[j])) < 0)
            rc = em_fail(err, EM_EFORMAT, "%s:1: no column '%s' (an objective of run.yaml)", path,
                         r->names[j]);
    if (!rc && cv_col < 0) rc = em_fail(err, EM_EFORMAT, "%s:1: no column 'cv'", path);
    if (!rc) rc = read_rows(&c, col, cv_col, r, err);
    sp_csv_free(&c);
    return rc;
}

/* ---- summary.json (optional) ---------------------------------------------------------- */
static int read_summary_ref(const char *path, json_t *o, run_data *r, em_error *err)
{
    json_t *ref = json_object_get(o, "hv_ref");
    if (!ref || json_is_null(ref)) return EM_OK;
    if (!json_is_array(ref) || (int)json_array_size(ref) != r->n_obj)
        return em_fail(err, EM_EFORMAT, "%s: hv_ref is not a list of %d numbers", path, r->n_obj);
    for (int j = 0; j < r->n_obj; j++) {
        json_t *v = json_array_get(ref, (size_t)j);
        if (!json_is_number(v))
            return em_fail(err, EM_EFORMAT, "%s: hv_ref[%d] is not a number", path, j);
        r->summary_ref[j] = json_number_value(v);
    }
    r->has_summary_ref = 1;
    return EM_OK;
}

static int read_summary(const char *dir, run_data *r, em_error *err)
{
    char path[4096];
    int rc = opt_rundir_path(dir, "summary.json", path, sizeof path, err);
    if (rc) return rc;
    r->summary_hv = NAN;
    FILE *f = fopen(path, "r");
    if (!f) return EM_OK; /* an unfinished or foreign run: no summary to check against */
    json_error_t je;
    json_t *o = json_loadf(f, 0, &je);
    fclose(f);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return em_fail(err, EM_EFORMAT, "%s:%d: %s", path, o ? 1 : je.line,
                       o ? "not a JSON object" : je.text);
    }
    json_t *hv = json_object_get(o, "hv");
    if (json_is_number(hv)) r->summary_hv = json_number_value(hv);
    json_t *seed = json_object_get(o, "seed");
    if (r->seed < 0 && json_is_integer(seed)) r->seed = json_integer_value(seed);
    rc = read_summary_ref(path, o, r, err);
    json_decref(o);
    return rc;
}

/* The "-sN" suffix of a directory name, or -1. */
static long long seed_from_name(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 0 && dir[n - 1] == '/') n--;
    size_t e = n;
    while (n > 0 && isdigit((unsigned char)dir[n - 1])) n--;
    if (n == e || n < 2 || dir[n - 1] != 's' || dir[n - 2] != '-') return -1;
    return strtoll(dir + n, NULL, 10);
}

static int read_run(const char *dir, run_data *r, em_error *err)
{
    memset(r, 0, sizeof *r);
    int rc = read_run_yaml(dir, r, err);
    if (!rc) rc = read_evaluations(dir, r, err);
    if (!rc) rc = read_summary(dir, r, err);
    if (!rc && r->seed < 0) r->seed = seed_from_name(dir);
    return rc;
}

/* ---- hypervolume ---------------------------------------------------------------------- */
/* Of the feasible non-dominated set of the first n rows, as summary.json computes it;
 * 0 when none is feasible. */
static int hv_prefix(const run_data *r, int n, const double *ref, double *hv, em_error *err)
{
    int m = r->n_obj, feasible = 0;
    *hv = 0.0;
    for (int i = 0; i < n; i++) feasible |= r->cv[i] <= 0.0;
    if (!feasible) return EM_OK;
    opt_pop *pop = opt_pop_new(1, m, 0, n);
    if (!pop || opt_pop_resize(pop, n)) {
        opt_pop_free(pop);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    memcpy(pop->F, r->F, sizeof(double) * (size_t)n * (size_t)m);
    memcpy(pop->CV, r->cv, sizeof(double) * (size_t)n);
    opt_pop *set = opt_pareto_set(pop);
    int rc = set ? opt_hypervolume(set->F, set->n, m, ref, hv, err)
                 : em_fail(err, EM_ENOMEM, "out of memory");
    opt_pop_free(set);
    opt_pop_free(pop);
    return rc;
}

/* ---- the comparison ------------------------------------------------------------------- */
static int same_objectives(const run_data *a, const run_data *b)
{
    if (a->n_obj != b->n_obj) return 0;
    for (int j = 0; j < a->n_obj; j++)
        if (strcmp(a->names[j], b->names[j]) || a->maximize[j] != b->maximize[j]) return 0;
    return 1;
}

static int alloc_comparison(const sp_compare_spec *s, sp_comparison *c, em_error *err)
{
    int k = s->n_groups, ok = 1;
    c->n_groups = k;
    c->n_cols = s->n_at + 1;
    c->group_names = calloc((size_t)k, sizeof *c->group_names);
    c->n_runs = calloc((size_t)k, sizeof *c->n_runs);
    c->runs = calloc((size_t)k, sizeof *c->runs);
    c->cols = calloc((size_t)c->n_cols, sizeof *c->cols);
    ok = c->group_names && c->n_runs && c->runs && c->cols;
    for (int g = 0; ok && g < k; g++) {
        c->group_names[g] = strdup(s->groups[g].name);
        c->runs[g] = calloc((size_t)s->groups[g].n_dirs, sizeof **c->runs);
        ok = c->group_names[g] && c->runs[g];
    }
    for (int i = 0; ok && i < c->n_cols; i++) {
        sp_compare_col *col = &c->cols[i];
        col->at = i < s->n_at ? s->at[i] : -1;
        col->desc = calloc((size_t)k, sizeof *col->desc);
        col->mean_rank = calloc((size_t)k, sizeof(double));
        col->dunn_p = calloc((size_t)k * (size_t)k, sizeof(double));
        ok = col->desc && col->mean_rank && col->dunn_p;
    }
    return ok ? EM_OK : em_fail(err, EM_ENOMEM, "out of memory");
}

static int check_spec(const sp_compare_spec *s, em_error *err)
{
    if (s->n_groups < 1) return em_fail(err, EM_EINVAL, "no groups of runs");
    for (int g = 0; g < s->n_groups; g++) {
        if (!s->groups[g].name || !*s->groups[g].name)
            return em_fail(err, EM_EINVAL, "group %d has no name", g + 1);
        if (s->groups[g].n_dirs < 1)
            return em_fail(err, EM_EINVAL, "group '%s' has no run directory", s->groups[g].name);
        for (int h = 0; h < g; h++)
            if (!strcmp(s->groups[g].name, s->groups[h].name))
                return em_fail(err, EM_EINVAL, "group '%s' is given twice", s->groups[g].name);
    }
    for (int i = 0; i < s->n_at; i++)
        if (s->at[i] < 1) return em_fail(err, EM_EINVAL, "at: %ld evaluations (at least 1)", s->at[i]);
    return EM_OK;
}

/* Reads every run of the spec into data (flat, groups back to back). */
static int read_all(const sp_compare_spec *s, run_data *data, em_error *err)
{
    int q = 0, rc = EM_OK;
    for (int g = 0; g < s->n_groups && !rc; g++)
        for (int i = 0; i < s->groups[g].n_dirs && !rc; i++, q++) {
            const char *dir = s->groups[g].dirs[i];
            rc = read_run(dir, &data[q], err);
            if (!rc && q > 0 && !same_objectives(&data[0], &data[q]))
                rc = em_fail(err, EM_EINVAL, "%s/run.yaml: its objectives differ from %s's", dir,
                             s->groups[0].dirs[0]);
        }
    return rc;
}

static int choose_ref(const sp_compare_spec *s, const run_data *data, int n, sp_comparison *c,
                      em_error *err)
{
    int m = data[0].n_obj;
    c->n_obj = m;
    c->ref = malloc(sizeof(double) * (size_t)m);
    if (!c->ref) return em_fail(err, EM_ENOMEM, "out of memory");
    if (s->ref) {
        if (s->n_ref != m)
            return em_fail(err, EM_EINVAL, "ref: %d values for %d objectives", s->n_ref, m);
        memcpy(c->ref, s->ref, sizeof(double) * (size_t)m);
        snprintf(c->ref_source, sizeof c->ref_source, "given (--ref)");
        return EM_OK;
    }
    for (int j = 0; j < m; j++) c->ref[j] = -INFINITY;
    for (int g = 0, q = 0; g < s->n_groups; g++)
        for (int i = 0; i < s->groups[g].n_dirs; i++, q++) {
            if (!data[q].has_summary_ref)
                return em_fail(err, EM_EINVAL, "%s/summary.json: no hv_ref to derive the "
                               "reference point from; give it (--ref)", s->groups[g].dirs[i]);
            for (int j = 0; j < m; j++) c->ref[j] = fmax(c->ref[j], data[q].summary_ref[j]);
        }
    snprintf(c->ref_source, sizeof c->ref_source,
             "the largest of the %d runs' summary.json hv_ref, per objective", n);
    return EM_OK;
}

static int fill_run(const char *dir, const run_data *r, sp_comparison *c, sp_compare_run *out,
                    em_error *err)
{
    out->dir = strdup(dir);
    out->hv = malloc(sizeof(double) * (size_t)c->n_cols);
    if (!out->dir || !out->hv) return em_fail(err, EM_ENOMEM, "out of memory");
    out->seed = r->seed;
    out->n_evals = r->n;
    out->summary_hv = r->summary_hv;
    out->summary_same_ref = r->has_summary_ref;
    for (int j = 0; j < c->n_obj && out->summary_same_ref; j++)
        out->summary_same_ref = r->summary_ref[j] == c->ref[j];
    for (int k = 0; k < c->n_cols; k++) {
        long at = c->cols[k].at;
        int n = at < 0 || at > r->n ? r->n : (int)at;
        if (at > r->n) c->cols[k].short_runs++;
        int rc = hv_prefix(r, n, c->ref, &out->hv[k], err);
        if (rc) return em_error_prefix(err, "%s", dir), rc;
    }
    if (out->summary_same_ref) {
        double hv_end = out->hv[c->n_cols - 1];
        double want = isnan(r->summary_hv) ? 0.0 : r->summary_hv, d = fabs(hv_end - want);
        c->n_checked++;
        c->n_agree += d == 0.0;
        c->max_summary_diff = fmax(c->max_summary_diff, d);
    }
    return EM_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void describe(double *v, int n, sp_compare_desc *d)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double sum = 0, ss = 0;
    for (int i = 0; i < n; i++) sum += v[i];
    d->n = n;
    d->mean = sum / n;
    for (int i = 0; i < n; i++) ss += (v[i] - d->mean) * (v[i] - d->mean);
    d->sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
    d->median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    d->min = v[0];
    d->max = v[n - 1];
}

static int describe_all(sp_comparison *c, em_error *err)
{
    int most = 1;
    for (int g = 0; g < c->n_groups; g++) most = c->n_runs[g] > most ? c->n_runs[g] : most;
    double *v = malloc(sizeof(double) * (size_t)most);
    if (!v) return em_fail(err, EM_ENOMEM, "out of memory");
    for (int k = 0; k < c->n_cols; k++)
        for (int g = 0; g < c->n_groups; g++) {
            for (int i = 0; i < c->n_runs[g]; i++) v[i] = c->runs[g][i].hv[k];
            describe(v, c->n_runs[g], &c->cols[k].desc[g]);
        }
    free(v);
    return EM_OK;
}

/* ---- pairing and tests ---------------------------------------------------------------- */
typedef struct seed_pos {
    long long seed;
    int i;
} seed_pos;

static int cmp_seed_pos(const void *a, const void *b)
{
    const seed_pos *x = a, *y = b;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* order[g * n + b]: the run of group g in block b; returns 0 with c->no_test set when
 * the runs do not pair up. */
static int pair_runs(sp_comparison *c, int *order, seed_pos *tmp)
{
    int k = c->n_groups, n = c->n_runs[0];
    if (k < 2) return snprintf(c->no_test, sizeof c->no_test, "one group"), 0;
    for (int g = 1; g < k; g++)
        if (c->n_runs[g] != n)
            return snprintf(c->no_test, sizeof c->no_test, "the groups have different numbers "
                            "of runs (%s: %d, %s: %d)", c->group_names[0], n, c->group_names[g],
                            c->n_runs[g]), 0;
    if (n < 2) return snprintf(c->no_test, sizeof c->no_test, "one run per group"), 0;
    for (int g = 0; g < k; g++) {
        for (int i = 0; i < n; i++) {
            tmp[i] = (seed_pos){c->runs[g][i].seed, i};
            if (tmp[i].seed < 0)
                return snprintf(c->no_test, sizeof c->no_test, "%.200s has no known seed",
                                c->runs[g][i].dir), 0;
        }
        qsort(tmp, (size_t)n, sizeof *tmp, cmp_seed_pos);
        for (int b = 0; b < n; b++) {
            if (g == 0) c->block_seeds[b] = tmp[b].seed;
            else if (tmp[b].seed != c->block_seeds[b])
                return snprintf(c->no_test, sizeof c->no_test, "the seeds of %.100s and %.100s "
                                "differ", c->group_names[0], c->group_names[g]), 0;
            order[g * n + b] = tmp[b].i;
        }
    }
    c->n_blocks = n;
    return 1;
}

static int test_column(sp_comparison *c, int k, const int *order, double *blocks, double *pooled,
                       int *sizes, em_error *err)
{
    int G = c->n_groups, n = c->n_blocks;
    sp_compare_col *col = &c->cols[k];
    for (int g = 0; g < G; g++) {
        sizes[g] = n;
        for (int b = 0; b < n; b++) {
            double v = c->runs[g][order[g * n + b]].hv[k];
            blocks[(size_t)b * G + g] = v;
            pooled[(size_t)g * n + b] = v;
        }
    }
    int rc = opt_friedman(blocks, n, G, &col->stat, &col->p, col->mean_rank, err);
    if (!rc) rc = opt_dunn(pooled, sizes, G, NULL, col->dunn_p, err);
    col->tested = !rc;
    return rc;
}

static int run_tests(sp_comparison *c, em_error *err)
{
    int G = c->n_groups, n = c->n_runs[0];
    int *order = malloc(sizeof(int) * (size_t)G * (size_t)n), *sizes = malloc(sizeof(int) * (size_t)G);
    seed_pos *tmp = malloc(sizeof *tmp * (size_t)n);
    double *blocks = malloc(sizeof(double) * (size_t)G * (size_t)n);
    double *pooled = malloc(sizeof(double) * (size_t)G * (size_t)n);
    c->block_seeds = calloc((size_t)n, sizeof *c->block_seeds);
    int rc = EM_OK;
    if (!order || !sizes || !tmp || !blocks || !pooled || !c->block_seeds)
        rc = em_fail(err, EM_ENOMEM, "out of memory");
    else if (pair_runs(c, order, tmp))
        for (int k = 0; k < c->n_cols && !rc; k++)
            rc = test_column(c, k, order, blocks, pooled, sizes, err);
    free(order), free(sizes), free(tmp), free(blocks), free(pooled);
    return rc;
}

static int copy_objectives(const run_data *r, sp_comparison *c, em_error *err)
{
    c->obj_names = calloc((size_t)r->n_obj, sizeof *c->obj_names);
    c->maximize = calloc((size_t)r->n_obj, sizeof *c->maximize);
    if (!c->obj_names || !c->maximize) return em_fail(err, EM_ENOMEM, "out of memory");
    for (int j = 0; j < r->n_obj; j++) {
        c->maximize[j] = r->maximize[j];
        if (!(c->obj_names[j] = strdup(r->names[j]))) return em_fail(err, EM_ENOMEM, "out of memory");
    }
    return EM_OK;
}

static int compute(const sp_compare_spec *s, run_data *data, int n_all, sp_comparison *c,
                   em_error *err)
{
    int rc = read_all(s, data, err);
    if (!rc) rc = copy_objectives(&data[0], c, err);
    if (!rc) rc = choose_ref(s, data, n_all, c, err);
    for (int g = 0, q = 0; g < s->n_groups && !rc; g++)
        for (int i = 0; i < s->groups[g].n_dirs && !rc; i++, q++) {
            c->n_runs[g] = i + 1; /* counted first: freed even when it fails */
            rc = fill_run(s->groups[g].dirs[i], &data[q], c, &c->runs[g][i], err);
        }
    if (!rc) rc = describe_all(c, err);
    if (!rc) rc = run_tests(c, err);
    return rc;
}

int sp_compare(const sp_compare_spec *s, sp_comparison *c, em_error *err)
{
    memset(c, 0, sizeof *c);
    int rc = check_spec(s, err), n_all = 0;
    if (rc) return rc;
    for (int g = 0; g < s->n_groups; g++) n_all += s->groups[g].n_dirs;
    run_data *data = calloc((size_t)n_all, sizeof *data);
    if (!data) return em_fail(err, EM_ENOMEM, "out of memory");
    rc = alloc_comparison(s, c, err);
    if (!rc) rc = compute(s, data, n_all, c, err);
    for (int q = 0; q < n_all; q++) run_data_free(&data[q]);
    free(data);
    if (rc) sp_comparison_free(c);
    return rc;
}

void sp_comparison_free(sp_comparison *c)
{
    for (int g = 0; c->runs && g < c->n_groups; g++) {
        for (int i = 0; c->runs[g] && i < c->n_runs[g]; i++) {
            free(c->runs[g][i].dir);
            free(c->runs[g][i].hv);
        }
        free(c->runs[g]);
    }
    for (int g = 0; c->group_names && g < c->n_groups; g++) free(c->group_names[g]);
    for (int j = 0; c->obj_names && j < c->n_obj; j++) free(c->obj_names[j]);
    for (int k = 0; c->cols && k < c->n_cols; k++) {
        free(c->cols[k].desc);
        free(c->cols[k].mean_rank);
        free(c->cols[k].dunn_p);
    }
    free(c->runs), free(c->group_names), free(c->n_runs), free(c->obj_names);
    free(c->maximize), free(c->ref), free(c->cols), free(c->block_seeds);
    memset(c, 0, sizeof *c);
}
