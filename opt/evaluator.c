/* opt/evaluator.c: the genotype cache and evaluation archive behind every true
 * evaluation. The cache is an open-addressing hash table of archive row numbers keyed
 * by the exact bits of the repaired variables. */
#include "opt/evaluator.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"

/* ---- a hash set of row numbers into some X array (rows of n_var doubles) ---- */
typedef struct rowset {
    int *slot;    /* -1 = empty */
    size_t cap;   /* power of two */
    size_t used;
} rowset;

uint64_t opt_genotype_hash(const double *x, int n_var)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < n_var; i++) {
        uint64_t b;
        memcpy(&b, &x[i], sizeof b);
        h ^= b + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
    }
    return h;
}

static int rowset_init(rowset *s, size_t cap)
{
    size_t c = 16;
    while (c < cap * 2) c *= 2;
    s->slot = malloc(sizeof(int) * c);
    if (!s->slot) return EM_ENOMEM;
    memset(s->slot, 0xff, sizeof(int) * c);
    s->cap = c;
    s->used = 0;
    return EM_OK;
}

static void rowset_free(rowset *s)
{
    free(s->slot);
    s->slot = NULL;
    s->cap = s->used = 0;
}

/* Returns the row holding x, or -1. */
static int rowset_find(const rowset *s, const double *X, int n_var, const double *x)
{
    size_t mask = s->cap - 1;
    for (size_t h = opt_genotype_hash(x, n_var) & mask;; h = (h + 1) & mask) {
        int r = s->slot[h];
        if (r < 0) return -1;
        if (!memcmp(X + (size_t)r * n_var, x, sizeof(double) * (size_t)n_var)) return r;
    }
}

static void rowset_put(rowset *s, const double *X, int n_var, int row)
{
    size_t mask = s->cap - 1;
    size_t h = opt_genotype_hash(X + (size_t)row * n_var, n_var) & mask;
    while (s->slot[h] >= 0) h = (h + 1) & mask;
    s->slot[h] = row;
    s->used++;
}

/* Makes room for `more` insertions (rehashing rows 0..n-1 of X when it grows). */
static int rowset_room(rowset *s, const double *X, int n_var, int n, size_t more)
{
    if ((s->used + more) * 2 <= s->cap) return EM_OK;
    rowset t;
    if (rowset_init(&t, s->used + more)) return EM_ENOMEM;
    for (int r = 0; r < n; r++) rowset_put(&t, X, n_var, r);
    rowset_free(s);
    *s = t;
    return EM_OK;
}

struct opt_evaluator {
    const opt_problem *p;
    long budget;
    long hits;
    opt_pop *archive;
    rowset cache;
};

opt_evaluator *opt_evaluator_new(const opt_problem *p, long budget)
{
    opt_evaluator *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->p = p;
    e->budget = budget > 0 ? budget : 0;
    e->archive = opt_pop_new(p->n_var, p->n_obj, p->n_con, 64);
    if (!e->archive || rowset_init(&e->cache, 64)) {
        opt_evaluator_free(e);
        return NULL;
    }
    return e;
}

void opt_evaluator_free(opt_evaluator *e)
{
    if (!e) return;
    opt_pop_free(e->archive);
    rowset_free(&e->cache);
    free(e);
}

long opt_evaluator_remaining(const opt_evaluator *e)
{
    if (!e->budget) return LONG_MAX;
    long r = e->budget - e->archive->n;
    return r > 0 ? r : 0;
}

long opt_evaluator_count(const opt_evaluator *e) { return e->archive->n; }
long opt_evaluator_hits(const opt_evaluator *e) { return e->hits; }
void opt_evaluator_set_hits(opt_evaluator *e, long hits) { e->hits = hits > 0 ? hits : 0; }
const opt_pop *opt_evaluator_archive(const opt_evaluator *e) { return e->archive; }

bool opt_evaluator_known(const opt_evaluator *e, const double *x)
{
    return rowset_find(&e->cache, e->archive->X, e->p->n_var, x) >= 0;
}

static void fill_from_archive(opt_pop *pop, int i, const opt_pop *a, int r)
{
    int no = a->n_obj, nc = a->n_con;
    memcpy(pop->F + (size_t)i * no, a->F + (size_t)r * no, sizeof(double) * (size_t)no);
    if (nc) memcpy(pop->G + (size_t)i * nc, a->G + (size_t)r * nc, sizeof(double) * (size_t)nc);
    pop->CV[i] = a->CV[r];
}

static void observe_row(const opt_problem *p, const opt_pop *a, int r)
{
    p->observe(p->observe_user, a->X + (size_t)r * a->n_var, a->F + (size_t)r * a->n_obj,
               a->n_con ? a->G + (size_t)r * a->n_con : NULL);
}

int opt_evaluator_eval(opt_evaluator *e, opt_pop *pop, int from, em_error *err)
{
    const opt_problem *p = e->p;
    int nv = p->n_var, no = p->n_obj, nc = p->n_con;
    if (pop->n_var != nv || pop->n_obj != no || pop->n_con != nc)
        return em_fail(err, EM_EINVAL, "problem %s: population shape does not match", p->name);
    if (from < 0) from = 0;
    int n = pop->n - from;
    if (n <= 0) return EM_OK;

    /* Pass 1: repair, look up, and collect the distinct new rows. */
    int *src = malloc(sizeof(int) * (size_t)n);   /* per row: archive row or -1 - new k */
    int *newrow = malloc(sizeof(int) * (size_t)n); /* pop row of each distinct new row */
    rowset batch = {0};
    if (!src || !newrow || rowset_init(&batch, (size_t)n)) {
        free(src), free(newrow), rowset_free(&batch);
        return em_fail(err, EM_ENOMEM, "evaluator: out of memory");
    }
    int n_new = 0;
    for (int i = 0; i < n; i++) {
        double *x = pop->X + (size_t)(from + i) * nv;
        opt_problem_repair(p, x);
        int r = rowset_find(&e->cache, e->archive->X, nv, x);
        if (r >= 0) {
            src[i] = r;
            continue;
        }
        int k = rowset_find(&batch, pop->X + (size_t)from * nv, nv, x);
        if (k < 0) { /* k indexes rows relative to from */
            newrow[n_new] = from + i;
            src[i] = -1 - n_new;
            rowset_put(&batch, pop->X + (size_t)from * nv, nv, i);
            n_new++;
        } else {
            src[i] = src[k];
        }
    }
    rowset_free(&batch);
    if (n_new > opt_evaluator_remaining(e)) {
        free(src), free(newrow);
        return em_fail(err, EM_EINVAL, "problem %s: %d new evaluations exceed the remaining "
                       "budget of %ld", p->name, n_new, opt_evaluator_remaining(e));
    }

    /* Pass 2: one batched call for the new rows, appended to the archive. */
    int rc = EM_OK;
    if (n_new > 0) {
        double *X = malloc(sizeof(double) * (size_t)n_new * nv);
        double *F = malloc(sizeof(double) * (size_t)n_new * no);
        double *G = nc ? malloc(sizeof(double) * (size_t)n_new * nc) : NULL;
        if (!X || !F || (nc && !G)) rc = em_fail(err, EM_ENOMEM, "evaluator: out of memory");
        if (!rc) {
            for (int k = 0; k < n_new; k++)
                memcpy(X + (size_t)k * nv, pop->X + (size_t)newrow[k] * nv, sizeof(double) * nv);
            double t0 = em_now_seconds();
            rc = opt_problem_evaluate(p, n_new, X, F, G, err);
            double sec = (em_now_seconds() - t0) / n_new;
            if (!rc && (opt_pop_reserve(e->archive, e->archive->n + n_new) ||
                        rowset_room(&e->cache, e->archive->X, nv, e->archive->n, (size_t)n_new)))
                rc = em_fail(err, EM_ENOMEM, "evaluator: out of memory");
            for (int k = 0; !rc && k < n_new; k++) {
                opt_pop_append(e->archive, X + (size_t)k * nv, F + (size_t)k * no,
                               nc ? G + (size_t)k * nc : NULL, sec);
                rowset_put(&e->cache, e->archive->X, nv, e->archive->n - 1);
            }
            for (int k = 0; !rc && p->observe && k < n_new; k++)
                observe_row(p, e->archive, e->archive->n - n_new + k);
        }
        free(X), free(F), free(G);
    }
    if (!rc) {
        int base = e->archive->n - n_new;
        for (int i = 0; i < n; i++) {
            int r = src[i] >= 0 ? src[i] : base + (-1 - src[i]);
            fill_from_archive(pop, from + i, e->archive, r);
            if (src[i] >= 0) {
                pop->sec[from + i] = 0.0;
                e->hits++;
            } else {
                pop->sec[from + i] = e->archive->sec[r];
            }
        }
        /* a row repeated inside the batch counted as new once; later copies are hits */
        for (int i = 0; i < n; i++)
            if (src[i] < 0 && newrow[-1 - src[i]] != from + i) {
                pop->sec[from + i] = 0.0;
                e->hits++;
            }
    }
    free(src), free(newrow);
    return rc;
}

int opt_evaluator_restore(opt_evaluator *e, const opt_pop *archive, em_error *err)
{
    const opt_problem *p = e->p;
    if (archive->n_var != p->n_var || archive->n_obj != p->n_obj || archive->n_con != p->n_con)
        return em_fail(err, EM_EINVAL, "problem %s: archive shape does not match", p->name);
    opt_pop *copy = opt_pop_copy(archive);
    rowset cache;
    if (!copy || rowset_init(&cache, (size_t)archive->n + 64)) {
        opt_pop_free(copy);
        return em_fail(err, EM_ENOMEM, "evaluator: out of memory");
    }
    for (int r = 0; r < copy->n; r++) {
        if (rowset_find(&cache, copy->X, p->n_var, copy->X + (size_t)r * p->n_var) >= 0) {
            opt_pop_free(copy);
            rowset_free(&cache);
            return em_fail(err, EM_EFORMAT, "archive row %d repeats an earlier genotype", r + 1);
        }
        rowset_put(&cache, copy->X, p->n_var, r);
    }
    opt_pop_free(e->archive);
    rowset_free(&e->cache);
    e->archive = copy;
    e->cache = cache;
    for (int r = 0; p->observe && r < copy->n; r++) observe_row(p, copy, r);
    return EM_OK;
}

opt_pop *opt_evaluator_take_archive(opt_evaluator *e)
{
    opt_pop *fresh = opt_pop_new(e->p->n_var, e->p->n_obj, e->p->n_con, 64);
    rowset cache;
    if (!fresh || rowset_init(&cache, 64)) {
        opt_pop_free(fresh);
        return NULL;
    }
    opt_pop *a = e->archive;
    e->archive = fresh;
    rowset_free(&e->cache);
    e->cache = cache;
    return a;
}
