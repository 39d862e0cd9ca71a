/* opt/algorithm.c: option defaults, results, the Pareto set of a population, and the
 * random-search baseline. */
#include "opt/algorithm.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt/checkpoint.h"
#include "opt/evaluator.h"
#include "opt/pareto.h"

void opt_options_default(opt_options *o)
{
    memset(o, 0, sizeof *o);
    o->pop_size = 100;
    o->n_gen = 100;
    o->seed = 1;
}

void opt_result_free(opt_result *r)
{
    if (!r) return;
    opt_pop_free(r->pop);
    opt_pop_free(r->evals);
    r->pop = r->evals = NULL;
}

opt_pop *opt_pareto_set(const opt_pop *pop)
{
    int n = pop->n, m = pop->n_obj;
    int *idx = malloc(sizeof(int) * (size_t)(n ? n : 1));
    double *F = malloc(sizeof(double) * (size_t)(n ? n : 1) * m);
    int *map = malloc(sizeof(int) * (size_t)(n ? n : 1));
    opt_pop *out = NULL;
    if (!idx || !F || !map) goto done;
    /* candidates: the feasible rows, or if there are none the least-violating ones */
    double best_cv = 0.0;
    int k = 0, any_feasible = 0;
    for (int i = 0; i < n; i++) any_feasible |= pop->CV[i] <= 0.0;
    if (!any_feasible && n > 0) {
        best_cv = pop->CV[0];
        for (int i = 1; i < n; i++) best_cv = pop->CV[i] < best_cv ? pop->CV[i] : best_cv;
    }
    for (int i = 0; i < n; i++)
        if (pop->CV[i] <= best_cv) {
            memcpy(F + (size_t)k * m, pop->F + (size_t)i * m, sizeof(double) * m);
            map[k++] = i;
        }
    int nd = opt_nondominated(F, k, m, idx);
    if (nd < 0) goto done;
    /* identical objective vectors are kept once (the first row) */
    int u = 0;
    for (int a = 0; a < nd; a++) {
        int dup = 0;
        for (int b = 0; b < u && !dup; b++)
            dup = !memcmp(F + (size_t)idx[a] * m, F + (size_t)idx[b] * m, sizeof(double) * m);
        if (!dup) idx[u++] = idx[a];
    }
    for (int a = 0; a < u; a++) idx[a] = map[idx[a]];
    out = opt_pop_select(pop, idx, u);
done:
    free(idx), free(F), free(map);
    return out;
}

/* ---- random search ----------------------------------------------------------------- */

/* Uniform sample of one solution (integers and categories uniform over their values). */
void opt_sample_uniform(const opt_problem *p, em_rng *rng, double *x)
{
    for (int i = 0; i < p->n_var; i++) {
        const opt_var *v = &p->vars[i];
        if (v->type == OPT_VAR_REAL)
            x[i] = v->lo + em_rng_uniform(rng) * (v->hi - v->lo);
        else
            x[i] = v->lo + (double)em_rng_below(rng, (uint64_t)(v->hi - v->lo) + 1);
    }
}

int opt_random_run(const opt_problem *p, const opt_options *o, opt_result *res, em_error *err)
{
    memset(res, 0, sizeof *res);
    if (o->pop_size < 1) return em_fail(err, EM_EINVAL, "random: pop_size must be >= 1");
    if (o->n_gen <= 0 && o->max_evals <= 0)
        return em_fail(err, EM_EINVAL, "random: set generations or an evaluation budget");
    opt_evaluator *ev = opt_evaluator_new(p, o->max_evals);
    opt_pop *batch = opt_pop_new(p->n_var, p->n_obj, p->n_con, o->pop_size);
    if (!ev || !batch) {
        opt_evaluator_free(ev);
        opt_pop_free(batch);
        return em_fail(err, EM_ENOMEM, "random: out of memory");
    }
    em_rng rng;
    em_rng_seed(&rng, o->seed);
    int gen = 0, rc = EM_OK;
    opt_checkpoint_log log = {0, 0, 0, 0};
    if (o->resume) {
        opt_checkpoint ck;
        rc = o->checkpoint_path ? opt_checkpoint_read(o->checkpoint_path, &ck, &log, err)
                                : em_fail(err, EM_EINVAL, "random: resume needs a checkpoint path");
        if (!rc) rc = opt_checkpoint_check(&ck, "random", p, o->seed, o->pop_size, err);
        if (!rc && ck.evals) rc = opt_evaluator_restore(ev, ck.evals, err);
        if (!rc) {
            rng = ck.rng;
            gen = ck.gen;
            opt_evaluator_set_hits(ev, ck.cache_hits);
        }
        opt_checkpoint_clear(&ck);
    }
    int stalls = 0;
    while (!rc && (o->n_gen <= 0 || gen < o->n_gen) && opt_evaluator_remaining(ev) > 0) {
        long want = o->pop_size;
        if (want > opt_evaluator_remaining(ev)) want = opt_evaluator_remaining(ev);
        /* draw until `want` genotypes are new (bounded, for tiny discrete spaces) */
        batch->n = 0;
        for (int tries = 0; batch->n < want && tries < 100 * o->pop_size; tries++) {
            opt_pop_resize(batch, batch->n + 1);
            double *x = batch->X + (size_t)(batch->n - 1) * p->n_var;
            opt_sample_uniform(p, &rng, x);
            opt_problem_repair(p, x);
            int dup = opt_evaluator_known(ev, x);
            for (int j = 0; j < batch->n - 1 && !dup; j++)
                dup = !memcmp(x, batch->X + (size_t)j * p->n_var, sizeof(double) * p->n_var);
            if (dup) batch->n--;
        }
        stalls = batch->n == 0 ? stalls + 1 : 0;
        if (stalls > 0) break; /* the space is exhausted */
        rc = opt_evaluator_eval(ev, batch, 0, err);
        if (rc) break;
        gen++;
        if (o->checkpoint_path) {
            opt_checkpoint ck;
            memset(&ck, 0, sizeof ck);
            snprintf(ck.algorithm, sizeof ck.algorithm, "random");
            snprintf(ck.problem, sizeof ck.problem, "%s", p->name);
            ck.n_var = p->n_var, ck.n_obj = p->n_obj, ck.n_con = p->n_con;
            ck.seed = o->seed, ck.pop_size = o->pop_size, ck.gen = gen, ck.rng = rng;
            ck.cache_hits = opt_evaluator_hits(ev);
            ck.evals = (opt_pop *)opt_evaluator_archive(ev);
            rc = opt_checkpoint_write(o->checkpoint_path, &ck, &log, err);
            if (rc) break;
        }
        if (o->progress && o->progress(o->progress_user, gen, o->n_gen, opt_evaluator_count(ev),
                                       o->max_evals, batch)) {
            res->stopped = true;
            break;
        }
    }
    if (!rc) {
        res->n_gen = gen;
        res->cache_hits = opt_evaluator_hits(ev);
        res->evals = opt_evaluator_take_archive(ev);
        res->pop = res->evals ? opt_pareto_set(res->evals) : NULL;
        res->n_evals = res->evals ? res->evals->n : 0;
        if (!res->evals || !res->pop) {
            opt_result_free(res);
            rc = em_fail(err, EM_ENOMEM, "random: out of memory");
        }
    }
    opt_evaluator_free(ev);
    opt_pop_free(batch);
    return rc;
}
