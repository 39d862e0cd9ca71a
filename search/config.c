/* search/config.c: defaults, YAML loading and validation of search configurations. */
#include "search/config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/yamldoc_internal.h"
#include "nn/model.h"
#include "opt/rundir.h"

static const char *const kind_names[SP_KIND_COUNT] = {"emomc-energy", "emomc-size",
                                                      "emomc-joint", "sbo"};
static const char *const proto_names[] = {"val", "test", "test-halves"};

const char *sp_kind_name(sp_kind k) { return k < SP_KIND_COUNT ? kind_names[k] : "?"; }

int sp_kind_parse(const char *s, sp_kind *out)
{
    for (int i = 0; i < SP_KIND_COUNT; i++)
        if (!strcmp(s, kind_names[i])) { *out = (sp_kind)i; return 0; }
    return -1;
}

const char *sp_protocol_name(sp_protocol p) { return p <= SP_PROTO_TEST_HALVES ? proto_names[p] : "?"; }

int sp_protocol_parse(const char *s, sp_protocol *out)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, proto_names[i])) { *out = (sp_protocol)i; return 0; }
    return -1;
}

void sp_config_default(sp_config *c)
{
    memset(c, 0, sizeof *c);
    c->kind = SP_EMOMC_ENERGY;
    snprintf(c->data, sizeof c->data, "mnist");
    c->protocol = SP_PROTO_VAL;
    c->eval_images = 0;
    c->mapping = df_mapping_builtin(DF_XY);
    c->coding = CODING_NORMAL;
    c->keep_lo = 0.20;
    c->keep_hi = 0.80;
    c->bits_lo = 2;
    c->bits_hi = 12;
    c->bn = CP_BN_FOLD_THEN_QUANTIZE;
    c->tau = 0.9;
    snprintf(c->algorithm, sizeof c->algorithm, "nsga2");
    c->pop = 40;
    c->gens = 250;
    c->seed = 1;
    c->racing_delta = 1e-3;
    c->parallel_candidates = 1;
}

/* range: [lo, hi] as a two-element list */
static int read_range(em_yaml *y, em_ynode *root, const char *key, double lo, double hi,
                      double *a, double *b, em_error *err)
{
    em_ynode *n = em_yaml_get(y, root, key);
    if (!n) return EM_OK;
    if (!em_yaml_is_seq(n) || em_yaml_seq_len(n) != 2)
        return em_fail(err, EM_EFORMAT, "%s:%d: key '%s': expected [low, high]", y->path,
                       em_yaml_line(n), key);
    int rc = em_yaml_node_num(y, em_yaml_seq_at(y, n, 0), key, lo, hi, a, err);
    if (!rc) rc = em_yaml_node_num(y, em_yaml_seq_at(y, n, 1), key, lo, hi, b, err);
    if (!rc && *a > *b)
        rc = em_fail(err, EM_EINVAL, "%s:%d: key '%s': low %g above high %g", y->path,
                     em_yaml_line(n), key, *a, *b);
    return rc;
}

static int read_choice(em_yaml *y, em_ynode *root, const char *key, char *buf, size_t n,
                       int *line, em_error *err)
{
    em_ynode *v = em_yaml_get(y, root, key);
    *line = em_yaml_line(v ? v : root);
    buf[0] = '\0';
    return em_yaml_str_opt(y, root, key, buf, n, err);
}

/* Reads the fields of a loaded document into c (y->path names it in messages). */
static int config_from_yaml(em_yaml *y, sp_config *c, em_error *err)
{
    static const char *const keys[] = {
        "problem", "model", "weights", "library", "hw", "data", "data_root", "protocol",
        "eval_images", "dataflow", "coding", "keep", "bits", "energy_budget_mj",
        "size_budget_kb", "tau", "algorithm", "pop", "gens", "budget", "seed", "threads",
        "bn", "store", "description", "sbo_initial", "sbo_infill", "variant", "racing",
        "racing_delta", "parallel_candidates", NULL};
    const char *path = y->path;
    int rc;
    em_ynode *root = em_yaml_root(y);
    char s[64];
    int line;
    long long v;
    double a, b;
    if ((rc = em_yaml_check_keys(y, root, keys, "search configuration", err))) goto done;
    if ((rc = read_choice(y, root, "problem", s, sizeof s, &line, err))) goto done;
    if (s[0] && sp_kind_parse(s, &c->kind)) {
        rc = em_fail(err, EM_EINVAL, "%s:%d: key 'problem': '%s' (expected emomc-energy, "
                     "emomc-size, emomc-joint or sbo)", path, line, s);
        goto done;
    }
    if ((rc = em_yaml_str_opt(y, root, "model", c->model, sizeof c->model, err)) ||
        (rc = em_yaml_str_opt(y, root, "weights", c->weights, sizeof c->weights, err)) ||
        (rc = em_yaml_str_opt(y, root, "library", c->library, sizeof c->library, err)) ||
        (rc = em_yaml_str_opt(y, root, "hw", c->hw, sizeof c->hw, err)) ||
        (rc = em_yaml_str_opt(y, root, "data", c->data, sizeof c->data, err)) ||
        (rc = em_yaml_str_opt(y, root, "data_root", c->data_root, sizeof c->data_root, err)) ||
        (rc = em_yaml_str_opt(y, root, "store", c->store, sizeof c->store, err)))
        goto done;
    if ((rc = read_choice(y, root, "protocol", s, sizeof s, &line, err))) goto done;
    if (s[0] && sp_protocol_parse(s, &c->protocol)) {
        rc = em_fail(err, EM_EINVAL, "%s:%d: key 'protocol': '%s' (expected val, test or "
                     "test-halves)", path, line, s);
        goto done;
    }
    v = c->eval_images;
    if ((rc = em_yaml_int_opt(y, root, "eval_images", 0, 100000000, &v, err))) goto done;
    c->eval_images = (int)v;
    if ((rc = read_choice(y, root, "dataflow", s, sizeof s, &line, err))) goto done;
    if (s[0] && df_mapping_parse(s, &c->mapping, err)) {
        rc = err ? err->code : EM_EINVAL;
        em_error_prefix(err, "%s:%d: key 'dataflow'", path, line);
        goto done;
    }
    if ((rc = read_choice(y, root, "coding", s, sizeof s, &line, err))) goto done;
    if (s[0] && coding_kind_parse(s, &c->coding, err)) {
        rc = err ? err->code : EM_EINVAL;
        em_error_prefix(err, "%s:%d: key 'coding'", path, line);
        goto done;
    }
    a = c->keep_lo, b = c->keep_hi;
    if ((rc = read_range(y, root, "keep", 0.0, 1.0, &a, &b, err))) goto done;
    c->keep_lo = a, c->keep_hi = b;
    a = c->bits_lo, b = c->bits_hi;
    if ((rc = read_range(y, root, "bits", 1, 23, &a, &b, err))) goto done;
    if (a != rint(a) || b != rint(b)) {
        rc = em_fail(err, EM_EINVAL, "%s: key 'bits': bit depths must be whole numbers", path);
        goto done;
    }
    c->bits_lo = (int)a, c->bits_hi = (int)b;
    if ((rc = read_choice(y, root, "bn", s, sizeof s, &line, err))) goto done;
    if (s[0] && cp_bn_order_parse(s, &c->bn)) {
        rc = em_fail(err, EM_EINVAL, "%s:%d: key 'bn': '%s' (expected fold-then-quantize or "
                     "quantize-then-fold)", path, line, s);
        goto done;
    }
    if ((rc = em_yaml_num_opt(y, root, "energy_budget_mj", 0, 1e12, &c->energy_budget_mj, err)) ||
        (rc = em_yaml_num_opt(y, root, "size_budget_kb", 0, 1e12, &c->size_budget_kb, err)) ||
        (rc = em_yaml_num_opt(y, root, "tau", 0, 1, &c->tau, err)))
        goto done;
    if ((rc = em_yaml_str_opt(y, root, "algorithm", c->algorithm, sizeof c->algorithm, err))) goto done;
    v = c->pop;
    if ((rc = em_yaml_int_opt(y, root, "pop", 2, 100000, &v, err))) goto done;
    c->pop = (int)v;
    v = c->gens;
    if ((rc = em_yaml_int_opt(y, root, "gens", 0, 10000000, &v, err))) goto done;
    c->gens = (int)v;
    v = c->budget;
    if ((rc = em_yaml_int_opt(y, root, "budget", 0, 1000000000, &v, err))) goto done;
    c->budget = (long)v;
    v = (long long)c->seed;
    if ((rc = em_yaml_int_opt(y, root, "seed", 0, INT64_MAX, &v, err))) goto done;
    c->seed = (uint64_t)v;
    v = c->threads;
    if ((rc = em_yaml_int_opt(y, root, "threads", 0, 1024, &v, err))) goto done;
    c->threads = (int)v;
    v = c->parallel_candidates;
    if ((rc = em_yaml_int_opt(y, root, "parallel_candidates", 1, SP_PARALLEL_MAX, &v, err)))
        goto done;
    c->parallel_candidates = (int)v;
    v = c->sbo_initial;
    if ((rc = em_yaml_int_opt(y, root, "sbo_initial", 0, 1000000, &v, err))) goto done;
    c->sbo_initial = (int)v;
    v = c->sbo_infill;
    if ((rc = em_yaml_int_opt(y, root, "sbo_infill", 0, 1000000, &v, err))) goto done;
    c->sbo_infill = (int)v;
    if ((rc = em_yaml_str_opt(y, root, "variant", c->variant, sizeof c->variant, err))) goto done;
    if ((rc = em_yaml_bool_opt(y, root, "racing", &c->racing, err))) goto done;
    if ((rc = em_yaml_num_opt(y, root, "racing_delta", 1e-12, 0.5, &c->racing_delta, err)))
        goto done;
    rc = sp_config_validate(c, err);
    if (rc) em_error_prefix(err, "%s", path);
done:
    return rc;
}

int sp_config_load(const char *path, sp_config *c, em_error *err)
{
    em_yaml y;
    int rc = em_yaml_load_file(&y, path, err);
    if (!rc) rc = config_from_yaml(&y, c, err);
    em_yaml_free(&y);
    return rc;
}

int sp_config_parse(const char *yaml_text, const char *name, sp_config *c, em_error *err)
{
    em_yaml y;
    int rc = em_yaml_load_string(&y, yaml_text, name, err);
    if (!rc) rc = config_from_yaml(&y, c, err);
    em_yaml_free(&y);
    return rc;
}



bool sp_config_has_weights(const sp_config *c)
{
    return c->weights[0] || nn_model_is_onnx(c->model);
}

int sp_config_validate(const sp_config *c, em_error *err)
{
    if (!c->model[0]) return em_fail(err, EM_EINVAL, "'model' is required");
    if (!c->hw[0] && c->kind != SP_SBO) return em_fail(err, EM_EINVAL, "'hw' is required");
    if (c->kind == SP_SBO && !sp_config_has_weights(c))
        return em_fail(err, EM_EINVAL, "'weights' (the trained model) is required for sbo "
                       "(unless 'model' is an .onnx file, whose weights are used)");
    if (c->kind != SP_SBO && !c->library[0])
        return em_fail(err, EM_EINVAL, "'library' (a stage-I library folder) is required "
                       "for %s", sp_kind_name(c->kind));
    if (c->keep_lo < 0 || c->keep_hi > 1 || c->keep_lo > c->keep_hi)
        return em_fail(err, EM_EINVAL, "'keep' range [%g, %g] must lie in [0, 1]", c->keep_lo,
                       c->keep_hi);
    if (c->bits_lo < 1 || c->bits_hi > 23 || c->bits_lo > c->bits_hi)
        return em_fail(err, EM_EINVAL, "'bits' range [%d, %d] must lie in [1, 23]", c->bits_lo,
                       c->bits_hi);
    if (strcmp(c->algorithm, "nsga2") && strcmp(c->algorithm, "ctaea") &&
        strcmp(c->algorithm, "random") && strcmp(c->algorithm, "sbo"))
        return em_fail(err, EM_EINVAL, "'algorithm' '%s' (expected nsga2, ctaea, random or sbo)",
                       c->algorithm);
    if ((unsigned)c->bn >= CP_BN_ORDER_COUNT)
        return em_fail(err, EM_EINVAL, "'bn': bad batch-norm order %d", (int)c->bn);
    if (c->racing && c->kind == SP_SBO)
        return em_fail(err, EM_EINVAL, "'racing' applies to the emomc-* problems only, not sbo");
    if (!(c->racing_delta > 0 && c->racing_delta < 1))
        return em_fail(err, EM_EINVAL, "'racing_delta' %g must lie in (0, 1)", c->racing_delta);
    if (c->parallel_candidates < 1 || c->parallel_candidates > SP_PARALLEL_MAX)
        return em_fail(err, EM_EINVAL, "'parallel_candidates' %d must lie in [1, %d]",
                       c->parallel_candidates, SP_PARALLEL_MAX);
    if (c->racing && c->parallel_candidates > 1)
        return em_fail(err, EM_EINVAL, "'racing' measures a batch's candidates one after the "
                       "other (each kept one raises the bar for the next): it cannot be "
                       "combined with 'parallel_candidates' %d; use 1", c->parallel_candidates);
    if (c->gens == 0 && c->budget == 0)
        return em_fail(err, EM_EINVAL, "give 'gens' or 'budget'");
    return EM_OK;
}

int sp_config_load_rundir(const char *rundir, sp_config *c, em_error *err)
{
    sp_config_default(c);
    char path[4096], run[4096];
    int rc = opt_rundir_path(rundir, "config.yaml", path, sizeof path, err);
    if (!rc) rc = opt_rundir_path(rundir, "run.yaml", run, sizeof run, err);
    if (rc) return rc;
    if (access(path, F_OK) != 0 && access(run, F_OK) == 0)
        return em_fail(err, EM_EUNSUPPORTED,
                       "%s is a benchmark run (it has run.yaml but no config.yaml): report, "
                       "plot and export are for compression runs (emomc optimize --config or "
                       "--problem emomc-*|sbo); its results are %s/front.csv, %s/archive.csv "
                       "and %s/summary.json", rundir, rundir, rundir, rundir);
    return sp_config_load(path, c, err);
}
