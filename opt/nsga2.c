/* opt/nsga2.c: NSGA-II (Deb et al. 2002) with pymoo's semantics (pymoo 0.6 NSGA2):
 *  - initial population uniform at random, duplicates redrawn;
 *  - mating: constrained binary tournament (lower violation wins; if both feasible,
 *    dominance, then larger crowding; remaining ties at random) over concatenated
 *    random permutations; SBX (eta 15, probability 0.9 per mating, 0.5 per variable,
 *    children swapped with probability 0.5); polynomial mutation (eta 20, per-variable
 *    probability min(0.5, 1/n_var)); integer variables go through the same float
 *    operators and are rounded with rint; categorical variables are swapped uniformly
 *    (probability 0.5 each) in crossover and redrawn as another category in mutation;
 *  - offspring equal to a member of the population or to an earlier offspring are
 *    dropped and mating repeats (at most 100 rounds), as pymoo's duplicate elimination;
 *  - survival: feasible solutions first by non-dominated rank and crowding distance
 *    (pymoo's, normalized and divided by n_obj), the split front ordered by crowding
 *    with random tie-breaking; then infeasible ones by increasing violation.
 * Generations are counted as in pymoo: the initial population is generation 1.
 * A checkpoint is written after every generation; resuming from it continues the
 * exact same random stream, so the result is bit-identical to an uninterrupted run. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt/algorithm.h"
#include "opt/checkpoint.h"
#include "opt/evaluator.h"
#include "opt/pareto.h"
#include "opt/variation.h"

typedef struct nsga2 {
    const opt_problem *p;
    const opt_options *o;
    double eta_c, eta_m, p_c, p_m;
    em_rng rng;
    opt_evaluator *ev;
    opt_pop *pop, *off, *merged;
    int gen;
    opt_checkpoint_log log; /* what the checkpoint archive holds */
} nsga2;

/* ---- variation ------------------------------------------------------------------- */


/* Crossover of parents a and b into children c1 and c2 (pymoo's cross_sbx). */
static void crossover(nsga2 *s, const double *a, const double *b, double *c1, double *c2)
{
    const opt_problem *p = s->p;
    int nv = p->n_var;
    memcpy(c1, a, sizeof(double) * nv);
    memcpy(c2, b, sizeof(double) * nv);
    if (!(em_rng_uniform(&s->rng) < s->p_c)) return;
    for (int i = 0; i < nv; i++) {
        const opt_var *v = &p->vars[i];
        if (v->type == OPT_VAR_CAT) {
            if (em_rng_uniform(&s->rng) < 0.5) {
                c1[i] = b[i];
                c2[i] = a[i];
            }
            continue;
        }
        if (!(em_rng_uniform(&s->rng) < 0.5)) continue;
        if (fabs(a[i] - b[i]) <= 1.0e-14 || v->lo == v->hi) continue;
        opt_sbx_var(a[i], b[i], v->lo, v->hi, s->eta_c, &s->rng, &c1[i], &c2[i]);
    }
    opt_problem_repair(p, c1);
    opt_problem_repair(p, c2);
}

/* Polynomial mutation in place (pymoo's mut_pm), then repair. */
static void mutate(nsga2 *s, double *x)
{
    opt_pm_mutate(s->p, s->eta_m, s->p_m, &s->rng, x);
    opt_problem_repair(s->p, x);
}

/* ---- selection --------------------------------------------------------------------- */

/* pymoo's binary_tournament with tournament_type 'comp_by_dom_and_crowding'. */
static int tournament(nsga2 *s, int a, int b)
{
    const opt_pop *P = s->pop;
    double ca = P->CV[a], cb = P->CV[b];
    if (ca > 0.0 || cb > 0.0) {
        if (ca < cb) return a;
        if (cb < ca) return b;
        return em_rng_uniform(&s->rng) < 0.5 ? a : b;
    }
    int rel = opt_dominance(P->F + (size_t)a * P->n_obj, P->F + (size_t)b * P->n_obj, P->n_obj);
    if (rel == 1) return a;
    if (rel == -1) return b;
    if (P->crowd[a] > P->crowd[b]) return a;
    if (P->crowd[b] > P->crowd[a]) return b;
    return em_rng_uniform(&s->rng) < 0.5 ? a : b;
}

/* Fills parents[0 .. 2*n_mat-1] with tournament winners. */
static int select_parents(nsga2 *s, int n_mat, int *parents)
{
    int n = s->pop->n, n_random = n_mat * 4;
    int n_perms = (n_random + n - 1) / n;
    uint32_t *P = malloc(sizeof(uint32_t) * (size_t)n_perms * n);
    if (!P) return EM_ENOMEM;
    for (int k = 0; k < n_perms; k++) {
        uint32_t *q = P + (size_t)k * n;
        for (int i = 0; i < n; i++) q[i] = (uint32_t)i;
        em_rng_shuffle_u32(&s->rng, q, (uint32_t)n);
    }
    for (int t = 0; t < 2 * n_mat; t++) parents[t] = tournament(s, (int)P[2 * t], (int)P[2 * t + 1]);
    free(P);
    return EM_OK;
}

/* ---- survival ---------------------------------------------------------------------- */

typedef struct cd_item {
    double cd;
    int pos;
} cd_item;

static void sort_desc(cd_item *a, cd_item *tmp, int n)
{
    if (n < 2) return;
    int h = n / 2;
    sort_desc(a, tmp, h);
    sort_desc(a + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = a[i].cd >= a[j].cd ? a[i++] : a[j++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, sizeof *a * (size_t)n);
}

/* Selects n_survive rows of s->merged into s->pop, setting rank and crowd. */
static int survive(nsga2 *s, int n_survive)
{
    const opt_pop *M = s->merged;
    int n = M->n, m = M->n_obj, rc = EM_ENOMEM;
    if (n_survive > n) n_survive = n;
    int *feas = malloc(sizeof(int) * (size_t)n), *infeas = malloc(sizeof(int) * (size_t)n);
    int *rank = malloc(sizeof(int) * (size_t)n), *front = malloc(sizeof(int) * (size_t)n);
    int *chosen = malloc(sizeof(int) * (size_t)n), *out_rank = malloc(sizeof(int) * (size_t)n);
    double *F = malloc(sizeof(double) * (size_t)n * m), *cd = malloc(sizeof(double) * (size_t)n);
    double *out_cd = malloc(sizeof(double) * (size_t)n);
    cd_item *items = malloc(sizeof(cd_item) * (size_t)n), *tmp = malloc(sizeof(cd_item) * (size_t)n);
    uint32_t *perm = malloc(sizeof(uint32_t) * (size_t)n);
    opt_pop *next = NULL;
    if (!feas || !infeas || !rank || !front || !chosen || !out_rank || !F || !cd || !out_cd ||
        !items || !tmp || !perm)
        goto done;
    int nf = 0, ni = 0;
    for (int i = 0; i < n; i++) {
        if (M->CV[i] <= 0.0) feas[nf++] = i;
        else infeas[ni++] = i;
    }
    for (int k = 0; k < nf; k++) memcpy(F + (size_t)k * m, M->F + (size_t)feas[k] * m, sizeof(double) * m);
    int n_fronts = opt_nds(F, NULL, nf, m, rank);
    if (n_fronts < 0) goto done;
    int ns = 0;
    for (int f = 0; f < n_fronts && ns < n_survive; f++) {
        int k = 0;
        for (int i = 0; i < nf; i++)
            if (rank[i] == f) front[k++] = feas[i];
        if (opt_crowding(M->F, m, front, k, cd)) goto done;
        if (ns + k <= n_survive) {
            for (int j = 0; j < k; j++) {
                chosen[ns] = front[j];
                out_rank[ns] = f;
                out_cd[ns++] = cd[j];
            }
            continue;
        }
        /* split front: by descending crowding, ties in random order */
        for (int j = 0; j < k; j++) perm[j] = (uint32_t)j;
        em_rng_shuffle_u32(&s->rng, perm, (uint32_t)k);
        for (int j = 0; j < k; j++) items[j] = (cd_item){cd[perm[j]], (int)perm[j]};
        sort_desc(items, tmp, k);
        for (int j = 0; ns < n_survive; j++) {
            chosen[ns] = front[items[j].pos];
            out_rank[ns] = f;
            out_cd[ns++] = items[j].cd;
        }
    }
    /* infeasible ones by increasing violation (stable) */
    if (ns < n_survive && ni > 0) {
        for (int j = 0; j < ni; j++) items[j] = (cd_item){-M->CV[infeas[j]], infeas[j]};
        sort_desc(items, tmp, ni); /* descending -CV = ascending CV, stable */
        for (int j = 0; ns < n_survive && j < ni; j++) {
            chosen[ns] = items[j].pos;
            out_rank[ns] = n_fronts;
            out_cd[ns++] = 0.0;
        }
    }
    next = opt_pop_select(M, chosen, ns);
    if (!next) goto done;
    for (int j = 0; j < ns; j++) {
        next->rank[j] = out_rank[j];
        next->crowd[j] = out_cd[j];
    }
    opt_pop_free(s->pop);
    s->pop = next;
    rc = EM_OK;
done:
    free(feas), free(infeas), free(rank), free(front), free(chosen), free(out_rank);
    free(F), free(cd), free(out_cd), free(items), free(tmp), free(perm);
    return rc;
}

/* ---- generations ------------------------------------------------------------------- */

static int same_row(const double *a, const double *b, int nv)
{
    return !memcmp(a, b, sizeof(double) * (size_t)nv);
}

/* Whether x equals a member of the population or one of the first n_off offspring. */
static int is_duplicate(const nsga2 *s, const double *x, int n_off)
{
    int nv = s->p->n_var;
    for (int i = 0; i < s->pop->n; i++)
        if (same_row(x, s->pop->X + (size_t)i * nv, nv)) return 1;
    for (int i = 0; i < n_off; i++)
        if (same_row(x, s->off->X + (size_t)i * nv, nv)) return 1;
    return 0;
}

static int initialize(nsga2 *s, em_error *err)
{
    const opt_problem *p = s->p;
    int nv = p->n_var;
    long want = s->o->pop_size;
    if (want > opt_evaluator_remaining(s->ev)) want = opt_evaluator_remaining(s->ev);
    opt_pop *init = s->off;
    init->n = 0;
    opt_pop_free(s->pop);
    s->pop = opt_pop_new(p->n_var, p->n_obj, p->n_con, 1); /* empty: nothing to clash */
    if (!s->pop) return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
    for (int tries = 0; init->n < want && tries < 100 * s->o->pop_size; tries++) {
        if (opt_pop_resize(init, init->n + 1)) return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
        double *x = init->X + (size_t)(init->n - 1) * nv;
        opt_sample_uniform(p, &s->rng, x);
        opt_problem_repair(p, x);
        if (is_duplicate(s, x, init->n - 1)) init->n--;
    }
    int rc = opt_evaluator_eval(s->ev, init, 0, err);
    if (rc) return rc;
    opt_pop_free(s->merged);
    s->merged = opt_pop_copy(init);
    if (!s->merged) return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
    if (survive(s, init->n)) return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
    return EM_OK;
}

static int next_generation(nsga2 *s, int n_off, em_error *err)
{
    const opt_problem *p = s->p;
    int nv = p->n_var;
    opt_pop *off = s->off;
    off->n = 0;
    if (opt_pop_reserve(off, n_off + 2)) return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
    int n_mat_max = (n_off + 1) / 2;
    int *parents = malloc(sizeof(int) * (size_t)n_mat_max * 2);
    if (!parents) return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
    for (int round = 0; off->n < n_off && round < 100; round++) {
        int n_mat = (n_off - off->n + 1) / 2;
        if (select_parents(s, n_mat, parents)) {
            free(parents);
            return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
        }
        /* all children of this round first (as pymoo's vectorized mating), then the
         * duplicate filter against the population, earlier rounds and each other */
        double *kids = malloc(sizeof(double) * (size_t)n_mat * 2 * nv);
        if (!kids) {
            free(parents);
            return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
        }
        for (int k = 0; k < n_mat; k++) {
            const double *a = s->pop->X + (size_t)parents[2 * k] * nv;
            const double *b = s->pop->X + (size_t)parents[2 * k + 1] * nv;
            crossover(s, a, b, kids + (size_t)(2 * k) * nv, kids + (size_t)(2 * k + 1) * nv);
        }
        for (int k = 0; k < 2 * n_mat; k++) mutate(s, kids + (size_t)k * nv);
        for (int k = 0; k < 2 * n_mat && off->n < n_off; k++) {
            const double *x = kids + (size_t)k * nv;
            if (is_duplicate(s, x, off->n)) continue;
            opt_pop_resize(off, off->n + 1); /* capacity reserved above */
            memcpy(off->X + (size_t)(off->n - 1) * nv, x, sizeof(double) * nv);
        }
        free(kids);
    }
    free(parents);
    int rc = opt_evaluator_eval(s->ev, off, 0, err);
    if (rc) return rc;
    /* merged = population + offspring, then survival back to pop_size */
    opt_pop *mg = s->merged;
    mg->n = 0;
    for (int i = 0; i < s->pop->n; i++)
        if (opt_pop_append_row(mg, s->pop, i)) return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
    for (int i = 0; i < off->n; i++)
        if (opt_pop_append_row(mg, off, i)) return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
    if (survive(s, s->o->pop_size)) return em_fail(err, EM_ENOMEM, "nsga2: out of memory");
    return EM_OK;
}

static int write_checkpoint(nsga2 *s, em_error *err)
{
    if (!s->o->checkpoint_path) return EM_OK;
    opt_checkpoint ck;
    memset(&ck, 0, sizeof ck);
    snprintf(ck.algorithm, sizeof ck.algorithm, "nsga2");
    snprintf(ck.problem, sizeof ck.problem, "%s", s->p->name);
    ck.n_var = s->p->n_var;
    ck.n_obj = s->p->n_obj;
    ck.n_con = s->p->n_con;
    ck.seed = s->o->seed;
    ck.pop_size = s->o->pop_size;
    ck.gen = s->gen;
    ck.rng = s->rng;
    ck.cache_hits = opt_evaluator_hits(s->ev);
    ck.n_pops = 1;
    ck.pops[0] = s->pop;
    ck.evals = (opt_pop *)opt_evaluator_archive(s->ev);
    return opt_checkpoint_write(s->o->checkpoint_path, &ck, &s->log, err);
}

static int resume(nsga2 *s, em_error *err)
{
    if (!s->o->checkpoint_path)
        return em_fail(err, EM_EINVAL, "nsga2: resume needs a checkpoint path");
    opt_checkpoint ck;
    int rc = opt_checkpoint_read(s->o->checkpoint_path, &ck, &s->log, err);
    if (rc) return rc;
    rc = opt_checkpoint_check(&ck, "nsga2", s->p, s->o->seed, s->o->pop_size, err);
    if (!rc && (ck.n_pops != 1 || !ck.evals))
        rc = em_fail(err, EM_EFORMAT, "%s: an nsga2 checkpoint holds one population and the "
                     "evaluation archive", s->o->checkpoint_path);
    if (!rc) rc = opt_evaluator_restore(s->ev, ck.evals, err);
    if (!rc) {
        opt_pop_free(s->pop);
        s->pop = ck.pops[0];
        ck.pops[0] = NULL;
        s->rng = ck.rng;
        s->gen = ck.gen;
        opt_evaluator_set_hits(s->ev, ck.cache_hits);
    }
    opt_checkpoint_clear(&ck);
    return rc;
}

int opt_nsga2_run(const opt_problem *p, const opt_options *o, opt_result *res, em_error *err)
{
    memset(res, 0, sizeof *res);
    if (o->pop_size < 2) return em_fail(err, EM_EINVAL, "nsga2: pop_size must be >= 2 (got %d)", o->pop_size);
    if (o->n_gen <= 0 && o->max_evals <= 0)
        return em_fail(err, EM_EINVAL, "nsga2: set generations or an evaluation budget");
    nsga2 s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.o = o;
    s.eta_c = o->eta_c > 0 ? o->eta_c : 15.0;
    s.eta_m = o->eta_m > 0 ? o->eta_m : 20.0;
    s.p_c = o->p_c > 0 ? o->p_c : 0.9;
    s.p_m = o->p_m > 0 ? o->p_m : (1.0 / p->n_var < 0.5 ? 1.0 / p->n_var : 0.5);
    em_rng_seed(&s.rng, o->seed);
    s.ev = opt_evaluator_new(p, o->max_evals);
    s.off = opt_pop_new(p->n_var, p->n_obj, p->n_con, o->pop_size + 2);
    s.merged = opt_pop_new(p->n_var, p->n_obj, p->n_con, 2 * o->pop_size + 2);
    int rc = EM_OK;
    if (!s.ev || !s.off || !s.merged) rc = em_fail(err, EM_ENOMEM, "nsga2: out of memory");

    if (!rc && o->resume) {
        rc = resume(&s, err);
    } else if (!rc) {
        rc = initialize(&s, err);
        if (!rc) {
            s.gen = 1;
            rc = write_checkpoint(&s, err);
            if (!rc && o->progress &&
                o->progress(o->progress_user, s.gen, o->n_gen, opt_evaluator_count(s.ev),
                            o->max_evals, s.pop))
                res->stopped = true;
        }
    }
    while (!rc && !res->stopped && (o->n_gen <= 0 || s.gen < o->n_gen)) {
        long n_off = o->pop_size;
        if (n_off > opt_evaluator_remaining(s.ev)) n_off = opt_evaluator_remaining(s.ev);
        if (n_off <= 0) break;
        rc = next_generation(&s, (int)n_off, err);
        if (rc) break;
        s.gen++;
        rc = write_checkpoint(&s, err);
        if (!rc && o->progress &&
            o->progress(o->progress_user, s.gen, o->n_gen, opt_evaluator_count(s.ev),
                        o->max_evals, s.pop))
            res->stopped = true;
    }
    if (!rc) {
        res->n_gen = s.gen;
        res->cache_hits = opt_evaluator_hits(s.ev);
        res->pop = s.pop;
        s.pop = NULL;
        res->evals = opt_evaluator_take_archive(s.ev);
        res->n_evals = res->evals ? res->evals->n : 0;
        if (!res->evals) {
            opt_result_free(res);
            rc = em_fail(err, EM_ENOMEM, "nsga2: out of memory");
        }
    }
    opt_evaluator_free(s.ev);
    opt_pop_free(s.pop);
    opt_pop_free(s.off);
    opt_pop_free(s.merged);
    return rc;
}
