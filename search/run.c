/* search/run.c: a compression search from configuration to run directory. */
#include "search/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "common/jsonfile_internal.h"
#include "common/yamldoc_internal.h"
#include "common/progress.h"
#include "opt/ctaea.h"
#include "opt/rundir.h"
#include "opt/sbo.h"
#include "search/mpi.h"
#include "search/problem.h"

int sp_config_save(const sp_config *c, const char *path, em_error *err)
{
    em_atomic_file af;
    int rc = em_atomic_open(&af, path, err);
    if (rc) return rc;
    FILE *f = af.fp;
    char q[4 * SP_PATH_MAX + 3];
    /* The comment names the path with control characters shown as '?' (a newline
     * there would end the comment); the values are quoted by em_yaml_quote. */
    fputs("# emomc search configuration (reload with: emomc optimize --config ", f);
    for (const char *s = path; *s; s++) fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
    fputs(")\n", f);
    fprintf(f, "problem: %s\n", sp_kind_name(c->kind));
    fprintf(f, "model: %s\n", em_yaml_quote(q, sizeof q, c->model));
    if (c->weights[0]) fprintf(f, "weights: %s\n", em_yaml_quote(q, sizeof q, c->weights));
    if (c->library[0]) fprintf(f, "library: %s\n", em_yaml_quote(q, sizeof q, c->library));
    if (c->hw[0]) fprintf(f, "hw: %s\n", em_yaml_quote(q, sizeof q, c->hw));
    fprintf(f, "data: %s\n", em_yaml_quote(q, sizeof q, c->data));
    if (c->data_root[0]) fprintf(f, "data_root: %s\n", em_yaml_quote(q, sizeof q, c->data_root));
    if (c->store[0]) fprintf(f, "store: %s\n", em_yaml_quote(q, sizeof q, c->store));
    fprintf(f, "protocol: %s\neval_images: %d\n", sp_protocol_name(c->protocol), c->eval_images);
    fprintf(f, "dataflow: %s\ncoding: %s\n", em_yaml_quote(q, sizeof q, c->mapping.name),
            coding_kind_name(c->coding));
    fprintf(f, "keep: [%.17g, %.17g]\nbits: [%d, %d]\n", c->keep_lo, c->keep_hi, c->bits_lo,
            c->bits_hi);
    fprintf(f, "bn: %s\n", cp_bn_order_name(c->bn));
    fprintf(f, "energy_budget_mj: %.17g\nsize_budget_kb: %.17g\ntau: %.17g\n",
            c->energy_budget_mj, c->size_budget_kb, c->tau);
    fprintf(f, "algorithm: %s\npop: %d\ngens: %d\nbudget: %ld\nseed: %llu\nthreads: %d\n",
            c->algorithm, c->pop, c->gens, c->budget, (unsigned long long)c->seed, c->threads);
    fprintf(f, "sbo_initial: %d\nsbo_infill: %d\nvariant: %s\n", c->sbo_initial,
            c->sbo_infill, em_yaml_quote(q, sizeof q, c->variant));
    fprintf(f, "racing: %s\nracing_delta: %.17g\n", c->racing ? "true" : "false",
            c->racing_delta);
    fprintf(f, "parallel_candidates: %d\n", c->parallel_candidates);
    return em_atomic_commit(&af, err);
}

static opt_algorithm_fn algorithm_fn(const char *name)
{
    if (!strcmp(name, "nsga2")) return opt_nsga2_run;
    if (!strcmp(name, "random")) return opt_random_run;
    if (!strcmp(name, "ctaea")) return opt_ctaea_run;
    if (!strcmp(name, "sbo")) return opt_sbo_run;
    return NULL;
}

static void write_measure_row(FILE *f, const opt_problem *p, const double *x,
                              double library_keep, const sp_measure *search,
                              const sp_measure *final)
{
    if (x) {
        for (int i = 0; i < p->n_var; i++) fprintf(f, "%.17g,", x[i]);
    } else {
        for (int i = 0; i < p->n_var; i++) fprintf(f, ",");
    }
    fprintf(f, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,", x ? "candidate" : "uncompressed",
            library_keep, search->accuracy, final->accuracy, final->energy_mj, final->size_kb,
            final->nonzero_rate);
    char plan[CP_PLAN_MAX_LAYERS * 32];
    cp_stats_format(final->plan, final->n_layers, plan, sizeof plan);
    fprintf(f, "%s\n", plan);
}

/* final.csv: reference then every non-dominated row, measured on both data sets. */
static int write_final(const char *dir, sp_context *ctx, const opt_problem *p,
                       const opt_pop *set, em_error *err)
{
    char path[4096];
    int rc = opt_rundir_path(dir, "final.csv", path, sizeof path, err);
    if (rc) return rc;
    em_atomic_file af;
    if ((rc = em_atomic_open(&af, path, err))) return rc;
    for (int i = 0; i < p->n_var; i++) fprintf(af.fp, "%s,", p->vars[i].name);
    fprintf(af.fp, "kind,library_keep,accuracy_search,accuracy_final,energy_mj,size_kb,"
                   "nonzero_rate,plan\n");
    const double *keeps = NULL;
    int n_members = sp_context_members(ctx, &keeps);
    const sp_config *cfg = sp_context_config(ctx);
    for (int r = -1; r < set->n && !rc; r++) {
        const double *x = r < 0 ? NULL : set->X + (size_t)r * (size_t)p->n_var;
        if (!x && !sp_config_has_weights(cfg)) continue; /* no reference without trained weights */
        sp_measure ms, mf;
        if ((rc = sp_measure_candidate(ctx, x, false, &ms, err))) break;
        if ((rc = sp_measure_candidate(ctx, x, true, &mf, err))) {
            sp_measure_free(&ms);
            break;
        }
        double lk = 1.0; /* the reference, and sbo (no library) */
        if (x && n_members > 0) lk = keeps[(int)x[0]];
        write_measure_row(af.fp, p, x, lk, &ms, &mf);
        sp_measure_free(&ms);
        sp_measure_free(&mf);
    }
    if (rc) {
        em_atomic_abort(&af);
        return rc;
    }
    return em_atomic_commit(&af, err);
}

/* Racing totals over the archive (a function of the run's evaluations, so a resumed
 * run reports the same). */
typedef struct race_totals {
    long raced, measured;
    long long images, images_full;
} race_totals;

/* racing.csv: one row per evaluation (evaluations.csv's order and numbers): images
 * the accuracy is on, correct, estimate, upper bound, a_req, raced (yes, no, or
 * rejected: over a budget, never measured). */
static int write_racing(const char *dir, sp_context *ctx, const opt_problem *p,
                        const opt_pop *evals, race_totals *t, em_error *err)
{
    memset(t, 0, sizeof *t);
    const sp_config *cfg = sp_context_config(ctx);
    if (!cfg->racing) return EM_OK;
    char path[4096];
    int rc = opt_rundir_path(dir, "racing.csv", path, sizeof path, err);
    if (rc) return rc;
    em_atomic_file af;
    if ((rc = em_atomic_open(&af, path, err))) return rc;
    fprintf(af.fp, "eval,images,correct,estimate,upper,required,raced\n");
    for (int i = 0; i < evals->n; i++) {
        sp_race_record r;
        if (!sp_context_race_record(ctx, evals->X + (size_t)i * (size_t)p->n_var, &r)) {
            fprintf(af.fp, "%d,0,0,,,,rejected\n", i + 1);
            continue;
        }
        fprintf(af.fp, "%d,%d,%ld,%.17g,", i + 1, r.images, r.correct, r.estimate);
        if (isnan(r.upper)) fprintf(af.fp, ",");
        else fprintf(af.fp, "%.17g,", r.upper);
        if (isnan(r.required)) fprintf(af.fp, ",");
        else fprintf(af.fp, "%.17g,", r.required);
        fprintf(af.fp, "%s\n", r.raced ? "yes" : "no");
        t->measured++;
        t->raced += r.raced;
        t->images += r.images;
    }
    t->images_full = (long long)t->measured * sp_context_search_used(ctx);
    return em_atomic_commit(&af, err);
}

/* search.json through common/jsonfile: seconds are reals, counts integers. */
static int write_search_json(const char *dir, sp_context *ctx, const opt_result *res,
                             const race_totals *rt, double seconds, em_error *err)
{
    char path[4096];
    int rc = opt_rundir_path(dir, "search.json", path, sizeof path, err);
    if (rc) return rc;
    sp_timing t = sp_context_timing(ctx);
    double other = seconds - t.inference - t.cost - t.compress;
    if (other < 0) other = 0;
    json_t *o = json_object();
    if (!o) return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    em_json_set(o, "protocol", em_json_str(sp_context_protocol_text(ctx)));
    em_json_set(o, "seconds", em_json_real(seconds));
    em_json_set(o, "seconds_inference", em_json_real(t.inference));
    em_json_set(o, "seconds_cost_model", em_json_real(t.cost));
    em_json_set(o, "seconds_compress", em_json_real(t.compress));
    em_json_set(o, "seconds_optimizer_and_io", em_json_real(other));
    em_json_set(o, "evaluations", json_integer(res->n_evals));
    em_json_set(o, "cache_hits", json_integer(res->cache_hits));
    em_json_set(o, "rejected_by_budget", json_integer(t.rejected));
    em_json_set(o, "generations", json_integer(res->n_gen));
    em_json_set(o, "inferences", json_integer(t.inferences));
    em_json_set(o, "store_hits", json_integer(t.store_hits));
    em_json_set(o, "cheap_evaluations", json_integer(t.cheap_evals));
    em_json_set(o, "seconds_cheap", em_json_real(t.cheap));
    em_json_set(o, "racing", json_boolean(sp_context_config(ctx)->racing));
    em_json_set(o, "raced", json_integer(rt->raced));
    em_json_set(o, "images_evaluated", json_integer(rt->images));
    em_json_set(o, "images_full", json_integer(rt->images_full));
    rc = em_json_write_file(path, o, err);
    json_decref(o);
    return rc;
}

/* An MPI rank other than 0: the same context, serving rank 0's inferences. */
static int serve(const sp_config *cfg, em_error *err)
{
    sp_context *ctx = NULL;
    int rc = sp_context_new(cfg, true, &ctx, err);
    if (!rc) rc = sp_context_serve(ctx, err);
    sp_context_free(ctx);
    return rc;
}

static int run_search(const sp_config *cfg, const sp_run_opts *o, em_error *err);

int sp_run(const sp_config *cfg, const sp_run_opts *o, em_error *err)
{
    if (sp_mpi_rank() > 0) return serve(cfg, err);
    int rc = run_search(cfg, o, err);
    sp_mpi_stop_workers();
    return rc;
}

static int run_search(const sp_config *cfg, const sp_run_opts *o, em_error *err)
{
    opt_algorithm_fn run = algorithm_fn(cfg->algorithm);
    if (!run) return em_fail(err, EM_EINVAL, "unknown algorithm '%s'", cfg->algorithm);
    if (cfg->racing && sp_mpi_size() > 1)
        return em_fail(err, EM_EINVAL, "racing is serial only: run without mpirun, or without "
                       "racing (docs/search.md)");
    int rc = opt_rundir_prepare(o->out_dir, err);
    if (rc) return rc;
    sp_context *ctx = NULL;
    sp_store *store = NULL;
    opt_problem *p = NULL;
    opt_result res;
    memset(&res, 0, sizeof res);
    double t0 = em_now_seconds();
    char ckpt[4096], cfgpath[4096];
    if ((rc = opt_rundir_path(o->out_dir, "checkpoint", ckpt, sizeof ckpt, err)) ||
        (rc = opt_rundir_path(o->out_dir, "config.yaml", cfgpath, sizeof cfgpath, err)))
        return rc;
    if ((rc = sp_context_new(cfg, true, &ctx, err))) return rc;
    if (strcmp(cfg->store, "none")) {
        char spath[4096];
        if (cfg->store[0]) snprintf(spath, sizeof spath, "%s", cfg->store);
        else if ((rc = opt_rundir_path(o->out_dir, "store.sqlite", spath, sizeof spath, err)))
            goto done;
        if ((rc = sp_store_open(spath, &store, err))) goto done;
        sp_context_set_store(ctx, store);
    }
    if ((rc = sp_problem_new(ctx, &p, err))) goto done;
    if ((rc = sp_config_save(cfg, cfgpath, err))) goto done;
    if (cfg->racing) {
        char jpath[4096];
        if ((rc = opt_rundir_path(o->out_dir, "racing.journal", jpath, sizeof jpath, err)) ||
            (rc = sp_context_racing_journal(ctx, jpath, o->resume, err)))
            goto done;
    }

    opt_options opt;
    opt_options_default(&opt);
    opt.pop_size = cfg->pop;
    opt.n_gen = cfg->gens;
    opt.max_evals = cfg->budget;
    opt.seed = cfg->seed;
    opt.checkpoint_path = ckpt;
    opt.resume = o->resume;
    opt.progress = o->progress;
    opt.progress_user = o->progress_user;
    opt.variant = cfg->variant[0] ? cfg->variant : NULL;
    opt.n_infill = cfg->sbo_infill;
    opt.n_initial = cfg->sbo_initial;
    if (!opt.n_initial && cfg->budget > 0 && cfg->budget < 100) /* sbo's 50 would not fit */
        opt.n_initial = cfg->budget / 2 >= 2 ? (int)(cfg->budget / 2) : 2;
    if ((rc = run(p, &opt, &res, err))) goto done;

    char extra[8192], q1[2048], q2[2048], q3[2048];
    snprintf(extra, sizeof extra,
             "search:\n  config: config.yaml\n  protocol: %s\n  search_images: %s\n"
             "  final_images: %s\n",
             em_yaml_quote(q1, sizeof q1, sp_context_protocol_text(ctx)),
             em_yaml_quote(q2, sizeof q2, sp_context_search_images(ctx)),
             em_yaml_quote(q3, sizeof q3, sp_context_final_images(ctx)));
    double ref[3] = {0, 0, 0};
    /* Hypervolume reference: accuracy 0 (negated: 0) and 1.1 x the largest cost seen. */
    for (int i = 0; i < res.evals->n; i++)
        for (int j = 1; j < p->n_obj; j++)
            ref[j] = fmax(ref[j], 1.1 * res.evals->F[(size_t)i * (size_t)p->n_obj + j]);
    if (cfg->kind == SP_SBO) ref[0] = 1.1, ref[1] = 0;
    opt_rundir_info info = {.algorithm = cfg->algorithm, .options = &opt,
                            .command_line = o->command_line, .seconds = em_now_seconds() - t0,
                            .ref = ref, .true_hv = NAN, .extra_yaml = extra};
    if ((rc = opt_rundir_write(o->out_dir, p, &res, &info, err))) goto done;
    opt_pop *set = opt_pareto_set(res.evals);
    if (!set) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    rc = write_final(o->out_dir, ctx, p, set, err);
    opt_pop_free(set);
    race_totals rt;
    if (!rc) rc = sp_context_racing_status(ctx, err);
    if (!rc) rc = write_racing(o->out_dir, ctx, p, res.evals, &rt, err);
    if (!rc) rc = write_search_json(o->out_dir, ctx, &res, &rt, em_now_seconds() - t0, err);
done:
    opt_result_free(&res);
    opt_problem_free(p);
    sp_context_free(ctx);
    sp_store_close(store);
    return rc;
}
