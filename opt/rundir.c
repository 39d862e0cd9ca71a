/* opt/rundir.c: writers for run.yaml, evaluations.csv, population.csv, front.csv,
 * archive.csv (and its deprecated alias pareto.csv) and summary.json (see rundir.h),
 * all atomic. Numbers are printed with %.17g so they read back to the same doubles;
 * summary.json goes through jansson (common/jsonfile). */
#include "opt/rundir.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomicfile.h"
#include "common/jsonfile_internal.h"
#include "opt/indicators.h"

int opt_rundir_prepare(const char *dir, em_error *err)
{
    int rc = em_make_dirs(dir, err);
    if (rc) return rc;
    /* Temporaries a killed run left mid-write (never anything else). */
    return em_atomic_remove_stale(dir, NULL, err);
}

int opt_rundir_path(const char *dir, const char *file, char *buf, size_t size, em_error *err)
{
    if (snprintf(buf, size, "%s/%s", dir, file) >= (int)size)
        return em_fail(err, EM_EINVAL, "%s/%s: path too long", dir, file);
    return EM_OK;
}

static const char *type_name(opt_var_type t)
{
    return t == OPT_VAR_REAL ? "real" : t == OPT_VAR_INT ? "integer" : "categorical";
}

/* A YAML double-quoted scalar. */
static void yaml_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', fp);
        if ((unsigned char)*s < 0x20) fprintf(fp, "\\x%02x", (unsigned char)*s);
        else fputc(*s, fp);
    }
    fputc('"', fp);
}

static int open_file(const char *dir, const char *file, em_atomic_file *af, em_error *err)
{
    char path[4096];
    int rc = opt_rundir_path(dir, file, path, sizeof path, err);
    if (rc) return rc;
    return em_atomic_open(af, path, err);
}

int opt_rundir_write_run_yaml(const char *dir, const opt_problem *p, const opt_rundir_info *info,
                              em_error *err)
{
    em_atomic_file af;
    int rc = open_file(dir, "run.yaml", &af, err);
    if (rc) return rc;
    FILE *fp = af.fp;
    const opt_options *o = info->options;
    fprintf(fp, "# emomc optimize: the resolved configuration of this run\n");
    fprintf(fp, "emomc_version: %s\n", EMOMC_VERSION);
    fprintf(fp, "problem: ");
    yaml_str(fp, p->name);
    fprintf(fp, "\nalgorithm: ");
    yaml_str(fp, info->algorithm ? info->algorithm : "unknown");
    fprintf(fp, "\n");
    if (o) {
        fprintf(fp, "pop_size: %d\ngenerations: %d\nbudget: %ld\nseed: %llu\n", o->pop_size,
                o->n_gen, o->max_evals, (unsigned long long)o->seed);
        if (o->variant) {
            fprintf(fp, "variant: ");
            yaml_str(fp, o->variant);
            fprintf(fp, "\n");
        }
    }
    if (info->command_line) {
        fprintf(fp, "command: ");
        yaml_str(fp, info->command_line);
        fprintf(fp, "\n");
    }
    fprintf(fp, "n_var: %d\nn_obj: %d\nn_con: %d\nvariables:\n", p->n_var, p->n_obj, p->n_con);
    for (int i = 0; i < p->n_var; i++) {
        const opt_var *v = &p->vars[i];
        fprintf(fp, "  - {name: ");
        yaml_str(fp, v->name);
        fprintf(fp, ", type: %s", type_name(v->type));
        if (v->type == OPT_VAR_CAT) fprintf(fp, ", categories: %d}\n", v->n_cat);
        else fprintf(fp, ", lo: %.17g, hi: %.17g}\n", v->lo, v->hi);
    }
    fprintf(fp, "objectives:\n");
    for (int j = 0; j < p->n_obj; j++) {
        fprintf(fp, "  - {name: ");
        yaml_str(fp, p->obj_names[j]);
        fprintf(fp, ", sense: %s}\n", p->maximize[j] ? "maximize" : "minimize");
    }
    fprintf(fp, "constraints:%s\n", p->n_con ? "" : " []");
    for (int j = 0; j < p->n_con; j++) {
        fprintf(fp, "  - {name: ");
        yaml_str(fp, p->con_names[j]);
        fprintf(fp, ", feasible_when: \"<= 0\"}\n");
    }
    if (info->extra_yaml) fputs(info->extra_yaml, fp);
    return em_atomic_commit(&af, err);
}

static void csv_header(FILE *fp, const opt_problem *p, int with_eval)
{
    if (with_eval) fprintf(fp, "eval,");
    for (int i = 0; i < p->n_var; i++) fprintf(fp, "%s,", p->vars[i].name);
    for (int j = 0; j < p->n_obj; j++) fprintf(fp, "%s,", p->obj_names[j]);
    for (int j = 0; j < p->n_con; j++) fprintf(fp, "%s,", p->con_names[j]);
    fprintf(fp, "cv%s\n", with_eval ? ",seconds" : "");
}

static void csv_row(FILE *fp, const opt_problem *p, const opt_pop *pop, int i, int with_eval)
{
    if (with_eval) fprintf(fp, "%d,", i + 1);
    for (int k = 0; k < p->n_var; k++) fprintf(fp, "%.17g,", pop->X[(size_t)i * p->n_var + k]);
    for (int j = 0; j < p->n_obj; j++) {
        double f = pop->F[(size_t)i * p->n_obj + j];
        fprintf(fp, "%.17g,", p->maximize[j] ? -f : f);
    }
    for (int j = 0; j < p->n_con; j++) fprintf(fp, "%.17g,", pop->G[(size_t)i * p->n_con + j]);
    fprintf(fp, "%.17g", pop->CV[i]);
    if (with_eval) fprintf(fp, ",%.6g", pop->sec[i]);
    fputc('\n', fp);
}

static int write_csv(const char *dir, const char *file, const opt_problem *p, const opt_pop *pop,
                     int with_eval, em_error *err)
{
    em_atomic_file af;
    int rc = open_file(dir, file, &af, err);
    if (rc) return rc;
    csv_header(af.fp, p, with_eval);
    for (int i = 0; i < pop->n; i++) csv_row(af.fp, p, pop, i, with_eval);
    return em_atomic_commit(&af, err);
}

int opt_rundir_write_evaluations(const char *dir, const opt_problem *p, const opt_pop *evals,
                                 em_error *err)
{
    return write_csv(dir, "evaluations.csv", p, evals, 1, err);
}

int opt_rundir_write_set(const char *dir, const char *file, const opt_problem *p,
                         const opt_pop *set, em_error *err)
{
    return write_csv(dir, file, p, set, 0, err);
}

/* The indicators of one set (minimized objectives); NaN where unknown or when the set
 * holds no feasible row. */
typedef struct set_quality {
    int n, feasible;
    double hv, igd, igdp, gd, gdp;
} set_quality;

static int quality(const opt_pop *set, int m, const opt_rundir_info *info, set_quality *q,
                   em_error *err)
{
    q->n = set->n;
    q->feasible = 0;
    q->hv = q->igd = q->igdp = q->gd = q->gdp = NAN;
    for (int i = 0; i < set->n; i++) q->feasible |= set->CV[i] <= 0.0;
    if (!q->feasible) return EM_OK; /* indicators only make sense for a feasible set */
    if (info->ref) {
        int rc = opt_hypervolume(set->F, set->n, m, info->ref, &q->hv, err);
        if (rc) return rc;
    }
    if (info->front && info->n_front > 0) {
        q->igd = opt_igd(set->F, set->n, info->front, info->n_front, m);
        q->igdp = opt_igd_plus(set->F, set->n, info->front, info->n_front, m);
        q->gd = opt_gd(set->F, set->n, info->front, info->n_front, m);
        q->gdp = opt_gd_plus(set->F, set->n, info->front, info->n_front, m);
    }
    return EM_OK;
}

static json_t *set_json(const char *file, const char *of, const set_quality *q)
{
    json_t *o = json_pack("{s:s, s:s, s:i, s:b}", "file", file, "of", of, "size", q->n,
                          "feasible", q->feasible);
    if (!o) return NULL;
    json_object_set_new(o, "hv", em_json_real(q->hv));
    json_object_set_new(o, "igd", em_json_real(q->igd));
    json_object_set_new(o, "igd_plus", em_json_real(q->igdp));
    json_object_set_new(o, "gd", em_json_real(q->gd));
    json_object_set_new(o, "gd_plus", em_json_real(q->gdp));
    return o;
}

/* summary.json through jansson (escaping, and one type per field: counts are
 * integers, indicators reals or null). */
int opt_rundir_write_summary(const char *dir, const opt_problem *p, const opt_result *res,
                             const opt_pop *front, const opt_pop *archive,
                             const opt_rundir_info *info, em_error *err)
{
    int m = p->n_obj;
    set_quality qf, qa;
    int rc = quality(front, m, info, &qf, err);
    if (!rc) rc = quality(archive, m, info, &qa, err);
    if (rc) return rc;
    json_t *o = json_object();
    json_object_set_new(o, "problem", em_json_str(p->name));
    json_object_set_new(o, "algorithm", em_json_str(info->algorithm ? info->algorithm : "unknown"));
    json_object_set_new(o, "n_var", json_integer(p->n_var));
    json_object_set_new(o, "n_obj", json_integer(m));
    json_object_set_new(o, "n_con", json_integer(p->n_con));
    json_object_set_new(o, "seed", json_integer(info->options ? (json_int_t)info->options->seed : 0));
    json_object_set_new(o, "generations", json_integer(res->n_gen));
    json_object_set_new(o, "evaluations", json_integer(res->n_evals));
    json_object_set_new(o, "cache_hits", json_integer(res->cache_hits));
    json_object_set_new(o, "stopped_early", json_boolean(res->stopped));
    json_object_set_new(o, "population_size", json_integer(res->pop ? res->pop->n : 0));
    /* the archive's values under their old names (deprecated, one release; the
     * "front" and "archive" entries below name their set) */
    json_object_set_new(o, "pareto_size", json_integer(qa.n));
    json_object_set_new(o, "feasible", json_boolean(qa.feasible));
    json_object_set_new(o, "hv", em_json_real(qa.hv));
    json_t *ref = json_null();
    if (info->ref) {
        ref = json_array();
        for (int j = 0; j < m; j++) json_array_append_new(ref, em_json_real(info->ref[j]));
    }
    json_object_set_new(o, "hv_ref", ref);
    json_object_set_new(o, "hv_ref_source", em_json_str(info->ref_source));
    json_object_set_new(o, "true_hv", em_json_real(info->true_hv));
    json_object_set_new(o, "igd", em_json_real(qa.igd));
    json_object_set_new(o, "igd_plus", em_json_real(qa.igdp));
    json_object_set_new(o, "gd", em_json_real(qa.gd));
    json_object_set_new(o, "gd_plus", em_json_real(qa.gdp));
    json_object_set_new(o, "front", set_json("front.csv", "final population", &qf));
    json_object_set_new(o, "archive", set_json("archive.csv", "all evaluations", &qa));
    json_object_set_new(o, "true_front_points", json_integer(info->front ? info->n_front : 0));
    json_object_set_new(o, "seconds", em_json_real(info->seconds));
    char path[4096];
    rc = opt_rundir_path(dir, "summary.json", path, sizeof path, err);
    if (!rc) rc = em_json_write_file(path, o, err);
    json_decref(o);
    return rc;
}

int opt_rundir_write(const char *dir, const opt_problem *p, const opt_result *res,
                     const opt_rundir_info *info, em_error *err)
{
    if (!res->evals) return em_fail(err, EM_EINVAL, "%s: the result has no evaluations", dir);
    opt_pop *empty = NULL;
    const opt_pop *pop = res->pop;
    if (!pop) pop = empty = opt_pop_new(p->n_var, p->n_obj, p->n_con, 1);
    opt_pop *arch = opt_pareto_set(res->evals), *front = pop ? opt_pareto_set(pop) : NULL;
    int rc = EM_OK;
    if (!arch || !front) rc = em_fail(err, EM_ENOMEM, "%s: out of memory", dir);
    if (!rc) rc = opt_rundir_write_run_yaml(dir, p, info, err);
    if (!rc) rc = opt_rundir_write_evaluations(dir, p, res->evals, err);
    if (!rc) rc = opt_rundir_write_set(dir, "population.csv", p, pop, err);
    if (!rc) rc = opt_rundir_write_set(dir, "front.csv", p, front, err);
    if (!rc) rc = opt_rundir_write_set(dir, "archive.csv", p, arch, err);
    if (!rc) rc = opt_rundir_write_set(dir, "pareto.csv", p, arch, err); /* deprecated alias */
    if (!rc) rc = opt_rundir_write_summary(dir, p, res, front, arch, info, err);
    opt_pop_free(arch);
    opt_pop_free(front);
    opt_pop_free(empty);
    return rc;
}
