/* opt/problem.c: problem construction, variable typing and repair, the evaluation
 * boundary (negating maximized objectives), and the population container. */
#include "opt/problem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int opt_problem_new(const char *name, int n_var, int n_obj, int n_con, opt_eval_fn eval,
                    void *user, opt_problem **out, em_error *err)
{
    *out = NULL;
    if (n_var < 1 || n_obj < 1 || n_con < 0)
        return em_fail(err, EM_EINVAL, "problem %s: needs n_var >= 1, n_obj >= 1, n_con >= 0 "
                       "(got %d, %d, %d)", name, n_var, n_obj, n_con);
    if (!eval) return em_fail(err, EM_EINVAL, "problem %s: no evaluation callback", name);
    opt_problem *p = calloc(1, sizeof *p);
    if (!p) return em_fail(err, EM_ENOMEM, "problem %s: out of memory", name);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->n_var = n_var;
    p->n_obj = n_obj;
    p->n_con = n_con;
    p->vars = calloc((size_t)n_var, sizeof *p->vars);
    p->maximize = calloc((size_t)n_obj, sizeof *p->maximize);
    p->obj_names = calloc((size_t)n_obj, sizeof *p->obj_names);
    p->con_names = calloc((size_t)(n_con ? n_con : 1), sizeof *p->con_names);
    if (!p->vars || !p->maximize || !p->obj_names || !p->con_names) {
        opt_problem_free(p);
        return em_fail(err, EM_ENOMEM, "problem %s: out of memory", name);
    }
    for (int i = 0; i < n_var; i++) {
        p->vars[i].type = OPT_VAR_REAL;
        p->vars[i].lo = 0.0;
        p->vars[i].hi = 1.0;
        snprintf(p->vars[i].name, sizeof p->vars[i].name, "x%d", i + 1);
    }
    for (int i = 0; i < n_obj; i++) snprintf(p->obj_names[i], 32, "f%d", i + 1);
    for (int i = 0; i < n_con; i++) snprintf(p->con_names[i], 32, "g%d", i + 1);
    p->eval = eval;
    p->user = user;
    *out = p;
    return EM_OK;
}

void opt_problem_free(opt_problem *p)
{
    if (!p) return;
    if (p->free_user) p->free_user(p->user);
    free(p->vars);
    free(p->maximize);
    free(p->obj_names);
    free(p->con_names);
    free(p->cheap);
    free(p);
}

int opt_problem_set_cheap(opt_problem *p, const bool *mask, opt_cheap_fn fn, void *user,
                          em_error *err)
{
    if (!fn) return em_fail(err, EM_EINVAL, "problem %s: no cheap evaluation callback", p->name);
    int nt = p->n_obj + p->n_con;
    bool *m = calloc((size_t)nt, sizeof *m);
    if (!m) return em_fail(err, EM_ENOMEM, "problem %s: out of memory", p->name);
    memcpy(m, mask, sizeof *m * (size_t)nt);
    free(p->cheap);
    p->cheap = m;
    p->cheap_eval = fn;
    p->cheap_user = user;
    return EM_OK;
}

void opt_problem_set_observe(opt_problem *p, opt_observe_fn fn, void *user)
{
    p->observe = fn;
    p->observe_user = user;
}

bool opt_problem_is_cheap(const opt_problem *p, int t)
{
    return p->cheap && p->cheap_eval && t >= 0 && t < p->n_obj + p->n_con && p->cheap[t];
}

int opt_problem_n_cheap(const opt_problem *p)
{
    int k = 0;
    for (int t = 0; t < p->n_obj + p->n_con; t++) k += opt_problem_is_cheap(p, t);
    return k;
}

int opt_problem_evaluate_cheap(const opt_problem *p, int n, const double *X, double *F,
                               double *G, em_error *err)
{
    if (n <= 0 || opt_problem_n_cheap(p) == 0) return EM_OK;
    int rc = p->cheap_eval(p->cheap_user, n, X, F, G, err);
    if (rc) {
        if (err && err->code == EM_OK) em_fail(err, rc, "problem %s: cheap evaluation failed", p->name);
        return rc;
    }
    for (int r = 0; r < n; r++) {
        for (int j = 0; j < p->n_obj; j++) {
            if (!p->cheap[j]) continue;
            double *f = &F[(size_t)r * p->n_obj + j];
            if (isnan(*f))
                return em_fail(err, EM_EINVAL, "problem %s: cheap objective %s of row %d is NaN",
                               p->name, p->obj_names[j], r);
            if (p->maximize[j]) *f = -*f;
        }
        for (int j = 0; j < p->n_con; j++)
            if (p->cheap[p->n_obj + j] && isnan(G[(size_t)r * p->n_con + j]))
                return em_fail(err, EM_EINVAL, "problem %s: cheap constraint %s of row %d is NaN",
                               p->name, p->con_names[j], r);
    }
    return EM_OK;
}

static int check_index(opt_problem *p, int i, em_error *err)
{
    if (i < 0 || i >= p->n_var)
        return em_fail(err, EM_EINVAL, "problem %s: variable index %d out of range [0, %d)",
                       p->name, i, p->n_var);
    return EM_OK;
}

static void set_name(opt_var *v, const char *name, int i)
{
    if (name && *name) snprintf(v->name, sizeof v->name, "%s", name);
    else snprintf(v->name, sizeof v->name, "x%d", i + 1);
}

int opt_var_real(opt_problem *p, int i, const char *name, double lo, double hi, em_error *err)
{
    if (check_index(p, i, err)) return EM_EINVAL;
    if (!(isfinite(lo) && isfinite(hi) && lo <= hi))
        return em_fail(err, EM_EINVAL, "problem %s: variable %d: bounds [%g, %g] are invalid",
                       p->name, i + 1, lo, hi);
    opt_var *v = &p->vars[i];
    v->type = OPT_VAR_REAL;
    v->lo = lo;
    v->hi = hi;
    v->n_cat = 0;
    set_name(v, name, i);
    return EM_OK;
}

int opt_var_int(opt_problem *p, int i, const char *name, long lo, long hi, em_error *err)
{
    if (check_index(p, i, err)) return EM_EINVAL;
    if (lo > hi)
        return em_fail(err, EM_EINVAL, "problem %s: variable %d: bounds [%ld, %ld] are invalid",
                       p->name, i + 1, lo, hi);
    opt_var *v = &p->vars[i];
    v->type = OPT_VAR_INT;
    v->lo = (double)lo;
    v->hi = (double)hi;
    v->n_cat = 0;
    set_name(v, name, i);
    return EM_OK;
}

int opt_var_cat(opt_problem *p, int i, const char *name, int n_cat, em_error *err)
{
    if (check_index(p, i, err)) return EM_EINVAL;
    if (n_cat < 1)
        return em_fail(err, EM_EINVAL, "problem %s: variable %d: needs at least one category",
                       p->name, i + 1);
    opt_var *v = &p->vars[i];
    v->type = OPT_VAR_CAT;
    v->lo = 0.0;
    v->hi = (double)(n_cat - 1);
    v->n_cat = n_cat;
    set_name(v, name, i);
    return EM_OK;
}

void opt_problem_repair(const opt_problem *p, double *x)
{
    for (int i = 0; i < p->n_var; i++) {
        const opt_var *v = &p->vars[i];
        double t = x[i];
        if (t != t) t = v->lo; /* NaN: a defensive choice, operators never make one */
        if (v->type != OPT_VAR_REAL) t = rint(t);
        if (t < v->lo) t = v->lo;
        if (t > v->hi) t = v->hi;
        x[i] = t + 0.0; /* turns -0.0 into +0.0 so the cache sees one genotype */
    }
}

int opt_problem_evaluate(const opt_problem *p, int n, const double *X, double *F, double *G,
                         em_error *err)
{
    if (n <= 0) return EM_OK;
    int rc = p->eval(p->user, n, X, F, G, err);
    if (rc) {
        if (err && err->code == EM_OK) em_fail(err, rc, "problem %s: evaluation failed", p->name);
        return rc;
    }
    for (int r = 0; r < n; r++) {
        for (int j = 0; j < p->n_obj; j++) {
            double *f = &F[(size_t)r * p->n_obj + j];
            if (isnan(*f))
                return em_fail(err, EM_EINVAL, "problem %s: objective %s of row %d is NaN",
                               p->name, p->obj_names[j], r);
            if (p->maximize[j]) *f = -*f;
        }
        for (int j = 0; j < p->n_con; j++)
            if (isnan(G[(size_t)r * p->n_con + j]))
                return em_fail(err, EM_EINVAL, "problem %s: constraint %s of row %d is NaN",
                               p->name, p->con_names[j], r);
    }
    return EM_OK;
}

double opt_cv(const double *g, int n_con)
{
    double s = 0.0;
    for (int j = 0; j < n_con; j++)
        if (g[j] > 0.0) s += g[j];
    return s;
}

/* ---- Population ---------------------------------------------------------------- */

opt_pop *opt_pop_new(int n_var, int n_obj, int n_con, int cap)
{
    opt_pop *pop = calloc(1, sizeof *pop);
    if (!pop) return NULL;
    pop->n_var = n_var;
    pop->n_obj = n_obj;
    pop->n_con = n_con;
    if (opt_pop_reserve(pop, cap > 0 ? cap : 1)) {
        opt_pop_free(pop);
        return NULL;
    }
    return pop;
}

void opt_pop_free(opt_pop *pop)
{
    if (!pop) return;
    free(pop->X);
    free(pop->F);
    free(pop->G);
    free(pop->CV);
    free(pop->sec);
    free(pop->rank);
    free(pop->crowd);
    free(pop);
}

static int grow(void **ptr, size_t elem, size_t old_n, size_t new_n)
{
    if (elem == 0) return 0;
    void *q = realloc(*ptr, elem * new_n);
    if (!q) return -1;
    memset((char *)q + elem * old_n, 0, elem * (new_n - old_n));
    *ptr = q;
    return 0;
}

int opt_pop_reserve(opt_pop *pop, int cap)
{
    if (cap <= pop->cap) return EM_OK;
    size_t o = (size_t)pop->cap, c = (size_t)cap;
    if (grow((void **)&pop->X, sizeof(double) * pop->n_var, o, c) ||
        grow((void **)&pop->F, sizeof(double) * pop->n_obj, o, c) ||
        grow((void **)&pop->G, sizeof(double) * pop->n_con, o, c) ||
        grow((void **)&pop->CV, sizeof(double), o, c) ||
        grow((void **)&pop->sec, sizeof(double), o, c) ||
        grow((void **)&pop->rank, sizeof(int), o, c) ||
        grow((void **)&pop->crowd, sizeof(double), o, c))
        return EM_ENOMEM;
    pop->cap = cap;
    return EM_OK;
}

int opt_pop_resize(opt_pop *pop, int n)
{
    if (n > pop->cap) {
        int cap = pop->cap * 2 > n ? pop->cap * 2 : n;
        if (opt_pop_reserve(pop, cap)) return EM_ENOMEM;
    }
    if (n > pop->n) {
        size_t a = (size_t)pop->n, k = (size_t)(n - pop->n);
        memset(pop->X + a * pop->n_var, 0, sizeof(double) * pop->n_var * k);
        memset(pop->F + a * pop->n_obj, 0, sizeof(double) * pop->n_obj * k);
        if (pop->n_con) memset(pop->G + a * pop->n_con, 0, sizeof(double) * pop->n_con * k);
        memset(pop->CV + a, 0, sizeof(double) * k);
        memset(pop->sec + a, 0, sizeof(double) * k);
        memset(pop->rank + a, 0, sizeof(int) * k);
        memset(pop->crowd + a, 0, sizeof(double) * k);
    }
    pop->n = n;
    return EM_OK;
}

static void copy_row(opt_pop *dst, int d, const opt_pop *src, int s)
{
    memcpy(dst->X + (size_t)d * dst->n_var, src->X + (size_t)s * src->n_var,
           sizeof(double) * src->n_var);
    memcpy(dst->F + (size_t)d * dst->n_obj, src->F + (size_t)s * src->n_obj,
           sizeof(double) * src->n_obj);
    if (src->n_con)
        memcpy(dst->G + (size_t)d * dst->n_con, src->G + (size_t)s * src->n_con,
               sizeof(double) * src->n_con);
    dst->CV[d] = src->CV[s];
    dst->sec[d] = src->sec[s];
    dst->rank[d] = src->rank[s];
    dst->crowd[d] = src->crowd[s];
}

int opt_pop_append_row(opt_pop *dst, const opt_pop *src, int i)
{
    if (opt_pop_resize(dst, dst->n + 1)) return EM_ENOMEM;
    copy_row(dst, dst->n - 1, src, i);
    return EM_OK;
}

int opt_pop_append(opt_pop *dst, const double *x, const double *f, const double *g, double sec)
{
    if (opt_pop_resize(dst, dst->n + 1)) return EM_ENOMEM;
    size_t d = (size_t)dst->n - 1;
    memcpy(dst->X + d * dst->n_var, x, sizeof(double) * dst->n_var);
    memcpy(dst->F + d * dst->n_obj, f, sizeof(double) * dst->n_obj);
    if (dst->n_con) memcpy(dst->G + d * dst->n_con, g, sizeof(double) * dst->n_con);
    dst->CV[d] = dst->n_con ? opt_cv(g, dst->n_con) : 0.0;
    dst->sec[d] = sec;
    return EM_OK;
}

opt_pop *opt_pop_select(const opt_pop *src, const int *idx, int k)
{
    opt_pop *dst = opt_pop_new(src->n_var, src->n_obj, src->n_con, k);
    if (!dst) return NULL;
    dst->n = k;
    for (int i = 0; i < k; i++) copy_row(dst, i, src, idx[i]);
    return dst;
}

opt_pop *opt_pop_copy(const opt_pop *src)
{
    opt_pop *dst = opt_pop_new(src->n_var, src->n_obj, src->n_con, src->n);
    if (!dst) return NULL;
    dst->n = src->n;
    for (int i = 0; i < src->n; i++) copy_row(dst, i, src, i);
    return dst;
}

void opt_pop_update_cv(opt_pop *pop)
{
    for (int i = 0; i < pop->n; i++)
        pop->CV[i] = pop->n_con ? opt_cv(pop->G + (size_t)i * pop->n_con, pop->n_con) : 0.0;
}
