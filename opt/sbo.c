/* opt/sbo.c: the surrogate-based loop (see sbo.h): LHS start, per-target model
 * selection and fit, an inner C-TAEA or NSGA-II run on the surrogate problem, infill
 * choice (random or greedy predicted hypervolume improvement), true evaluation,
 * checkpoint and resume. */
#include "opt/sbo.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt/checkpoint.h"
#include "opt/ctaea.h"
#include "opt/evaluator.h"
#include "opt/indicators.h"
#include "opt/lhs.h"
#include "opt/pareto.h"

#define SBO_UNIFORM_TRIES 10000   /* fallback draws before giving up on a new point */

/* ---- configuration ---- */

static int parse_int_value(const char *key, const char *v, int lo, int hi, int *out,
                           em_error *err)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < lo || x > hi)
        return em_fail(err, EM_EINVAL, "sbo variant: %s=%s is not an integer in %d..%d", key,
                       v, lo, hi);
    *out = (int)x;
    return EM_OK;
}

static int parse_models(const char *v, opt_sbo_config *cfg, em_error *err)
{
    char buf[128];
    if (strlen(v) >= sizeof buf) return em_fail(err, EM_EINVAL, "sbo variant: models too long");
    strcpy(buf, v);
    cfg->n_models = 0;
    for (char *save = NULL, *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save)) {
        opt_surrogate_kind k;
        int rc = opt_surrogate_kind_parse(t, &k, err);
        if (rc) {
            em_error_prefix(err, "sbo variant models");
            return rc;
        }
        for (int i = 0; i < cfg->n_models; i++)
            if (cfg->models[i] == k)
                return em_fail(err, EM_EINVAL, "sbo variant: model '%s' listed twice", t);
        cfg->models[cfg->n_models++] = k;
    }
    if (cfg->n_models == 0) return em_fail(err, EM_EINVAL, "sbo variant: models is empty");
    return EM_OK;
}

static int parse_variant(const char *variant, opt_sbo_config *cfg, em_error *err)
{
    char buf[512];
    if (strlen(variant) >= sizeof buf)
        return em_fail(err, EM_EINVAL, "sbo variant is too long");
    strcpy(buf, variant);
    for (char *save = NULL, *t = strtok_r(buf, ",;", &save); t; t = strtok_r(NULL, ",;", &save)) {
        while (*t == ' ') t++;
        if (!*t) continue;
        char *eq = strchr(t, '=');
        if (!eq) return em_fail(err, EM_EINVAL, "sbo variant: '%s' is not key=value", t);
        *eq = 0;
        const char *k = t, *v = eq + 1;
        int rc = EM_OK;
        if (!strcmp(k, "infill")) {
            if (!strcmp(v, "random")) cfg->infill = OPT_SBO_INFILL_RANDOM;
            else if (!strcmp(v, "hvi")) cfg->infill = OPT_SBO_INFILL_HVI;
            else rc = em_fail(err, EM_EINVAL, "sbo variant: infill=%s (expected random or hvi)", v);
        } else if (!strcmp(k, "metric")) { /* every target */
            rc = opt_cv_metric_parse(v, &cfg->metric, err);
            if (!rc) cfg->metric_con = cfg->metric;
            if (rc) em_error_prefix(err, "sbo variant");
        } else if (!strcmp(k, "metric_obj")) { /* the objectives only */
            rc = opt_cv_metric_parse(v, &cfg->metric, err);
            if (rc) em_error_prefix(err, "sbo variant");
        } else if (!strcmp(k, "metric_con")) { /* the constraints only */
            rc = opt_cv_metric_parse(v, &cfg->metric_con, err);
            if (rc) em_error_prefix(err, "sbo variant");
        } else if (!strcmp(k, "models")) {
            rc = parse_models(v, cfg, err);
        } else if (!strcmp(k, "folds")) {
            rc = parse_int_value(k, v, 2, 100, &cfg->folds, err);
        } else if (!strcmp(k, "inner")) {
            if (!strcmp(v, "ctaea")) cfg->inner = opt_ctaea_run;
            else if (!strcmp(v, "nsga2")) cfg->inner = opt_nsga2_run;
            else rc = em_fail(err, EM_EINVAL, "sbo variant: inner=%s (expected ctaea or nsga2)", v);
        } else if (!strcmp(k, "inner_gens")) {
            rc = parse_int_value(k, v, 1, 1000000, &cfg->inner_gens, err);
        } else {
            rc = em_fail(err, EM_EINVAL, "sbo variant: unknown key '%s' (expected infill, "
                         "metric, metric_obj, metric_con, models, folds, inner or inner_gens)", k);
        }
        if (rc) return rc;
    }
    return EM_OK;
}

int opt_sbo_config_from_options(const opt_options *o, opt_sbo_config *cfg, em_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->n_initial = o->n_initial > 0 ? o->n_initial : 50;
    cfg->n_infill = o->n_infill > 0 ? o->n_infill : 2;
    cfg->max_iter = o->n_gen;
    cfg->budget = o->max_evals;
    if (o->n_initial < 0 || o->n_infill < 0 || o->n_gen < 0 || o->max_evals < 0)
        return em_fail(err, EM_EINVAL, "sbo: negative initial sample, infill, iterations or "
                       "budget");
    if (cfg->budget == 0)
        cfg->budget = o->n_gen > 0 ? cfg->n_initial + (long)o->n_gen * cfg->n_infill : 100;
    if (cfg->n_initial < 2)
        return em_fail(err, EM_EINVAL, "sbo: the initial sample needs at least 2 points");
    if (cfg->budget < cfg->n_initial)
        return em_fail(err, EM_EINVAL, "sbo: budget %ld is smaller than the initial sample of "
                       "%d", cfg->budget, cfg->n_initial);
    cfg->infill = OPT_SBO_INFILL_RANDOM;
    cfg->metric = cfg->metric_con = OPT_CV_MSE;
    cfg->n_models = OPT_SURROGATE_COUNT;
    for (int i = 0; i < OPT_SURROGATE_COUNT; i++) cfg->models[i] = (opt_surrogate_kind)i;
    cfg->folds = 5;
    cfg->inner = opt_ctaea_run;
    cfg->inner_pop = o->pop_size > 0 ? o->pop_size : 100;
    cfg->inner_gens = 100;
    if (o->variant && *o->variant) return parse_variant(o->variant, cfg, err);
    return EM_OK;
}

/* ---- the surrogate problem ---- */

typedef struct sur_ctx {
    const opt_problem *p;     /* the true problem: its cheap targets are computed exactly */
    int n_obj, n_con;
    opt_surrogate **models;   /* n_obj objective models, then n_con constraint models;
                                 NULL for a cheap target */
    double *buf;
    int cap;
} sur_ctx;

static opt_sbo_inner_hook inner_hook;
static void *inner_hook_user;

void opt_sbo_set_inner_hook(opt_sbo_inner_hook fn, void *user)
{
    inner_hook = fn;
    inner_hook_user = user;
}

/* The surrogate problem's callback (minimized objectives: the surrogate problem has no
 * maximize flags): the cheap targets from the true problem's cheap callback (negated
 * where maximized, by opt_problem_evaluate_cheap), the others predicted. */
static int sur_eval(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    sur_ctx *c = user;
    if (n > c->cap) {
        double *b = realloc(c->buf, sizeof(double) * (size_t)n);
        if (!b) return em_fail(err, EM_ENOMEM, "out of memory");
        c->buf = b;
        c->cap = n;
    }
    int rc = opt_problem_evaluate_cheap(c->p, n, X, F, G, err);
    if (rc) return rc;
    for (int t = 0; t < c->n_obj + c->n_con; t++) {
        if (!c->models[t]) continue;   /* cheap: exact, filled above */
        rc = opt_surrogate_predict(c->models[t], X, n, c->buf, err);
        if (rc) return rc;
        int obj = t < c->n_obj;
        int col = obj ? t : t - c->n_obj, w = obj ? c->n_obj : c->n_con;
        double *out = obj ? F : G;
        for (int i = 0; i < n; i++) out[(size_t)i * w + col] = c->buf[i];
    }
    return EM_OK;
}

/* ---- state ---- */

typedef struct sbo {
    const opt_problem *p;
    opt_sbo_config cfg;
    int nv, m, nc;
    double *lower, *upper;   /* model bounds (upper > lower even for fixed variables) */
    opt_evaluator *ev;
    em_rng rng;
    opt_checkpoint_log log; /* what the checkpoint archive holds */
    int *fitted;            /* per target: 1 when this iteration fitted a model for it */
} sbo;

/* Whether row i of the archive breaks a cheap constraint. */
static int breaks_cheap_constraint(const sbo *s, const opt_pop *A, int i)
{
    for (int j = 0; j < s->nc; j++)
        if (opt_problem_is_cheap(s->p, s->m + j) && A->G[(size_t)i * s->nc + j] > 0) return 1;
    return 0;
}

/* Chooses and fits one model per expensive target on the archive; models[] gets n_obj
 * + n_con entries, NULL for the cheap targets (never modelled). When the problem has
 * cheap constraints, the expensive targets are fitted on the rows that satisfy them
 * (a row that breaks one may not have been measured at all, and the inner run knows
 * such rows exactly), unless fewer than 2 rows do. */
static int fit_targets(sbo *s, opt_surrogate **models, em_error *err)
{
    const opt_pop *A = opt_evaluator_archive(s->ev);
    int n = A->n, nt = s->m + s->nc, rc = EM_OK;
    double *y = malloc(sizeof(double) * (size_t)(n ? n : 1));
    double *X = malloc(sizeof(double) * (size_t)(n ? n : 1) * (size_t)s->nv);
    int *rows = malloc(sizeof(int) * (size_t)(n ? n : 1));
    if (!y || !X || !rows) {
        free(y), free(X), free(rows);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    int nr = 0;
    for (int i = 0; i < n; i++)
        if (!breaks_cheap_constraint(s, A, i)) rows[nr++] = i;
    if (nr < 2)
        for (nr = 0; nr < n; nr++) rows[nr] = nr;
    for (int k = 0; k < nr; k++)
        memcpy(X + (size_t)k * s->nv, A->X + (size_t)rows[k] * s->nv, sizeof(double) * s->nv);
    for (int t = 0; t < nt; t++) s->fitted[t] = 0;
    for (int t = 0; t < nt && rc == 0; t++) {
        if (opt_problem_is_cheap(s->p, t)) continue;
        for (int k = 0; k < nr; k++) {
            int i = rows[k];
            y[k] = t < s->m ? A->F[(size_t)i * s->m + t] : A->G[(size_t)i * s->nc + t - s->m];
        }
        opt_surrogate_params prm;
        opt_surrogate_params_default(&prm);
        prm.seed = em_rng_u64(&s->rng);
        int best = 0;
        int folds = s->cfg.folds < nr ? s->cfg.folds : nr;
        if (s->cfg.n_models > 1 && nr >= 3) {
            rc = opt_surrogate_select(s->cfg.models, s->cfg.n_models, s->nv, s->lower,
                                      s->upper, &prm, X, nr, y,
                                      t < s->m ? s->cfg.metric : s->cfg.metric_con, folds,
                                      &s->rng, &best, NULL, err);
            if (rc) break;
        }
        /* the chosen model on all the data; should it fail, the next ones in turn */
        for (int k = 0; k < s->cfg.n_models; k++) {
            opt_surrogate_kind kind = s->cfg.models[(best + k) % s->cfg.n_models];
            opt_surrogate *sm = NULL;
            rc = opt_surrogate_new(kind, s->nv, s->lower, s->upper, &prm, &sm, err);
            if (rc == 0) rc = opt_surrogate_fit(sm, X, nr, y, err);
            if (rc == 0) {
                models[t] = sm;
                s->fitted[t] = 1;
                break;
            }
            opt_surrogate_free(sm);
            if (rc == EM_ENOMEM) break;
        }
        if (rc) em_error_prefix(err, "sbo: no model fits target %d", t);
    }
    free(y);
    free(X);
    free(rows);
    return rc;
}

/* Appends a row with variables x (objectives and constraints are filled in by the
 * true evaluation). */
static int add_row(opt_pop *batch, const double *x, em_error *err)
{
    int r = batch->n;
    if (opt_pop_resize(batch, r + 1)) return em_fail(err, EM_ENOMEM, "out of memory");
    memcpy(batch->X + (size_t)r * batch->n_var, x, sizeof(double) * (size_t)batch->n_var);
    return EM_OK;
}

/* Whether x equals one of the rows chosen so far. */
static int in_rows(const double *X, int n, int nv, const double *x)
{
    for (int i = 0; i < n; i++)
        if (!memcmp(X + (size_t)i * nv, x, sizeof(double) * (size_t)nv)) return 1;
    return 0;
}

/* The true feasible non-dominated objective vectors, copied into S (capacity cap
 * rows); returns their number or a negative status. */
static int true_front(sbo *s, double *S, int cap)
{
    const opt_pop *A = opt_evaluator_archive(s->ev);
    int m = s->m, k = 0;
    double *Fe = malloc(sizeof(double) * (size_t)(A->n ? A->n : 1) * m);
    int *idx = malloc(sizeof(int) * (size_t)(A->n ? A->n : 1));
    if (!Fe || !idx) {
        free(Fe);
        free(idx);
        return EM_ENOMEM;
    }
    for (int i = 0; i < A->n; i++)
        if (A->CV[i] <= 0) memcpy(Fe + (size_t)k++ * m, A->F + (size_t)i * m, sizeof(double) * m);
    int nd = k ? opt_nondominated(Fe, k, m, idx) : 0;
    int out = 0;
    for (int i = 0; i < nd && out < cap; i++)
        memcpy(S + (size_t)out++ * m, Fe + (size_t)idx[i] * m, sizeof(double) * m);
    free(Fe);
    free(idx);
    return nd < 0 ? nd : out;
}

int opt_sbo_hvi_pick(const double *front, int nf, const double *cand, int nc, int m,
                     int want, em_rng *rng, int *pick, em_error *err)
{
    double *S = malloc(sizeof(double) * (size_t)(nf + (want < nc ? want : nc) + 1) * m);
    double *ref = malloc(sizeof(double) * (size_t)m);
    char *used = calloc((size_t)(nc ? nc : 1), 1);
    if (!S || !ref || !used) {
        free(S);
        free(ref);
        free(used);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    memcpy(S, front, sizeof(double) * (size_t)nf * m);
    int ns = nf;
    for (int j = 0; j < m; j++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < nf; i++) {
            lo = fmin(lo, front[(size_t)i * m + j]);
            hi = fmax(hi, front[(size_t)i * m + j]);
        }
        for (int i = 0; i < nc; i++) {
            lo = fmin(lo, cand[(size_t)i * m + j]);
            hi = fmax(hi, cand[(size_t)i * m + j]);
        }
        double span = hi - lo;
        if (!(span > 0)) span = fabs(hi) > 0 ? 1e-3 * fabs(hi) : 1e-3;
        ref[j] = hi + 0.1 * span;
    }
    int k = 0, rc = EM_OK;
    while (k < want && k < nc) {
        double base = 0, best_gain = 0;
        if (ns && (rc = opt_hypervolume(S, ns, m, ref, &base, err)) != 0) break;
        int best = -1;
        for (int i = 0; i < nc; i++) {
            if (used[i]) continue;
            double hv;
            memcpy(S + (size_t)ns * m, cand + (size_t)i * m, sizeof(double) * m);
            if ((rc = opt_hypervolume(S, ns + 1, m, ref, &hv, err)) != 0) break;
            if (hv - base > best_gain) {
                best_gain = hv - base;
                best = i;
            }
        }
        if (rc || best < 0) break;   /* nothing adds hypervolume: the rest at random */
        used[best] = 1;
        pick[k++] = best;
        memcpy(S + (size_t)ns++ * m, cand + (size_t)best * m, sizeof(double) * m);
    }
    int left = 0;
    for (int i = 0; i < nc; i++) left += !used[i];
    while (rc == 0 && k < want && left > 0) {
        int r = (int)em_rng_below(rng, (uint64_t)left), i = -1;
        do i++; while (used[i] || r-- > 0);   /* the r-th unused candidate */
        used[i] = 1;
        pick[k++] = i;
        left--;
    }
    free(S);
    free(ref);
    free(used);
    return rc ? rc : k;
}

/* The HVI rule on the candidates cand[0..ncand) (rows of P): the true front is the
 * feasible non-dominated part of the archive. Returns the number of picks. */
static int pick_hvi(sbo *s, const opt_pop *P, const int *cand, int ncand, int want,
                    int *pick, em_error *err)
{
    int m = s->m, na = opt_evaluator_archive(s->ev)->n;
    double *S = malloc(sizeof(double) * (size_t)(na ? na : 1) * m);
    double *C = malloc(sizeof(double) * (size_t)(ncand ? ncand : 1) * m);
    int *loc = malloc(sizeof(int) * (size_t)(ncand ? ncand : 1));
    int k = EM_ENOMEM;
    if (S && C && loc) {
        int ns = true_front(s, S, na);
        for (int i = 0; i < ncand; i++)
            memcpy(C + (size_t)i * m, P->F + (size_t)cand[i] * m, sizeof(double) * m);
        k = ns < 0 ? ns : opt_sbo_hvi_pick(S, ns, C, ncand, m, want, &s->rng, loc, err);
        for (int i = 0; i < k; i++) pick[i] = cand[loc[i]];
    }
    if (k == EM_ENOMEM) em_fail(err, EM_ENOMEM, "out of memory");
    free(S);
    free(C);
    free(loc);
    return k;
}

/* Chooses up to `want` new points from the inner result P into batch (rows appended). */
static int choose_infill(sbo *s, const opt_pop *P, int want, opt_pop *batch, em_error *err)
{
    int nv = s->nv, m = s->m, n = P->n, rc = EM_OK;
    int *feas = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *cand = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *nd = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *pick = malloc(sizeof(int) * (size_t)(n ? n : 1));
    double *Ff = malloc(sizeof(double) * (size_t)(n ? n : 1) * m);
    double *x = malloc(sizeof(double) * (size_t)nv);
    if (!feas || !cand || !nd || !pick || !Ff || !x) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    /* predicted feasible, non-dominated, new (not evaluated, not a repeat) */
    int nf = 0;
    for (int i = 0; i < n; i++)
        if (P->CV[i] <= 0) {
            memcpy(Ff + (size_t)nf * m, P->F + (size_t)i * m, sizeof(double) * m);
            feas[nf++] = i;
        }
    int nnd = nf ? opt_nondominated(Ff, nf, m, nd) : 0;
    if (nnd < 0) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    int nc = 0;
    for (int i = 0; i < nnd; i++) {
        int r = feas[nd[i]];
        const double *xr = P->X + (size_t)r * nv;
        int seen = opt_evaluator_known(s->ev, xr);
        for (int j = 0; j < nc && !seen; j++)
            seen = !memcmp(P->X + (size_t)cand[j] * nv, xr, sizeof(double) * nv);
        if (!seen) cand[nc++] = r;
    }
    int k;
    if (s->cfg.infill == OPT_SBO_INFILL_HVI) {
        k = pick_hvi(s, P, cand, nc, want, pick, err);
        if (k < 0) {
            rc = k;
            goto done;
        }
    } else {
        /* a uniform draw without replacement (partial Fisher-Yates) */
        k = 0;
        while (k < want && k < nc) {
            int j = k + (int)em_rng_below(&s->rng, (uint64_t)(nc - k));
            int t = cand[k];
            cand[k] = cand[j];
            cand[j] = t;
            pick[k] = cand[k];
            k++;
        }
    }
    for (int i = 0; i < k && rc == 0; i++) rc = add_row(batch, P->X + (size_t)pick[i] * nv, err);
    if (rc) goto done;
    /* Too few: the rest of P by least predicted violation (stable), then uniform
     * random points. */
    while (batch->n < want) {
        int b = -1;
        for (int i = 0; i < n; i++) {
            const double *xr = P->X + (size_t)i * nv;
            if ((b < 0 || P->CV[i] < P->CV[b]) && !opt_evaluator_known(s->ev, xr) &&
                !in_rows(batch->X, batch->n, nv, xr))
                b = i;
        }
        if (b < 0) break;
        if ((rc = add_row(batch, P->X + (size_t)b * nv, err)) != 0) goto done;
    }
    for (int tries = 0; batch->n < want && tries < SBO_UNIFORM_TRIES; tries++) {
        opt_sample_uniform(s->p, &s->rng, x);
        opt_problem_repair(s->p, x);
        if (opt_evaluator_known(s->ev, x) || in_rows(batch->X, batch->n, nv, x)) continue;
        if ((rc = add_row(batch, x, err)) != 0) goto done;
    }
done:
    free(feas);
    free(cand);
    free(nd);
    free(pick);
    free(Ff);
    free(x);
    return rc;
}

/* One iteration: fit, inner optimization, infill, true evaluation. Sets *exhausted
 * when no new point could be found at all. */
static int iterate(sbo *s, uint64_t iter_seed, int *exhausted, em_error *err)
{
    int nt = s->m + s->nc, rc;
    opt_surrogate **models = calloc((size_t)nt, sizeof *models);
    sur_ctx ctx = {s->p, s->m, s->nc, models, NULL, 0};
    opt_problem *sp = NULL;
    opt_result ir;
    memset(&ir, 0, sizeof ir);
    opt_pop *batch = NULL;
    *exhausted = 0;
    if (!models) return em_fail(err, EM_ENOMEM, "out of memory");
    if ((rc = fit_targets(s, models, err)) != 0) goto done;

    char name[64];
    snprintf(name, sizeof name, "%.50s-surrogate", s->p->name);
    if ((rc = opt_problem_new(name, s->nv, s->m, s->nc, sur_eval, &ctx, &sp, err)) != 0)
        goto done;
    memcpy(sp->vars, s->p->vars, sizeof(opt_var) * (size_t)s->nv);
    opt_options io;
    opt_options_default(&io);
    io.pop_size = s->cfg.inner_pop;
    io.n_gen = s->cfg.inner_gens;
    io.max_evals = 0;
    io.seed = iter_seed;
    if ((rc = s->cfg.inner(sp, &io, &ir, err)) != 0) {
        em_error_prefix(err, "sbo: optimizing the surrogate problem");
        goto done;
    }
    if (inner_hook) inner_hook(inner_hook_user, ir.pop, s->fitted, nt);
    long left = opt_evaluator_remaining(s->ev);
    int want = s->cfg.n_infill < left ? s->cfg.n_infill : (int)left;
    batch = opt_pop_new(s->nv, s->m, s->nc, want);
    if (!batch) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = choose_infill(s, ir.pop, want, batch, err)) != 0) goto done;
    if (batch->n == 0) {
        *exhausted = 1;
        goto done;
    }
    rc = opt_evaluator_eval(s->ev, batch, 0, err);
done:
    opt_pop_free(batch);
    opt_result_free(&ir);
    opt_problem_free(sp);
    for (int t = 0; t < nt && models; t++) opt_surrogate_free(models[t]);
    free(models);
    free(ctx.buf);
    return rc;
}

static int save_checkpoint(sbo *s, const opt_options *o, int iter, em_error *err)
{
    opt_checkpoint ck;
    memset(&ck, 0, sizeof ck);
    snprintf(ck.algorithm, sizeof ck.algorithm, "%s", "sbo");
    snprintf(ck.problem, sizeof ck.problem, "%s", s->p->name);
    ck.n_var = s->nv;
    ck.n_obj = s->m;
    ck.n_con = s->nc;
    ck.seed = o->seed;
    ck.pop_size = o->pop_size;
    ck.gen = iter;
    ck.rng = s->rng;
    ck.cache_hits = opt_evaluator_hits(s->ev);
    ck.n_pops = 0;
    ck.evals = (opt_pop *)opt_evaluator_archive(s->ev);
    return opt_checkpoint_write(o->checkpoint_path, &ck, &s->log, err);
}

static int load_checkpoint(sbo *s, const opt_options *o, int *iter, em_error *err)
{
    opt_checkpoint ck;
    memset(&ck, 0, sizeof ck);
    int rc = opt_checkpoint_read(o->checkpoint_path, &ck, &s->log, err);
    if (rc) return rc;
    rc = opt_checkpoint_check(&ck, "sbo", s->p, o->seed, o->pop_size, err);
    if (rc == 0 && !ck.evals)
        rc = em_fail(err, EM_EFORMAT, "%s: an sbo checkpoint must hold the evaluations",
                     o->checkpoint_path);
    if (rc == 0) rc = opt_evaluator_restore(s->ev, ck.evals, err);
    if (rc == 0) {
        s->rng = ck.rng;
        *iter = ck.gen;
        opt_evaluator_set_hits(s->ev, ck.cache_hits);
    }
    opt_checkpoint_clear(&ck);
    return rc;
}

static int report(const opt_options *o, const sbo *s, int iter, int *stop, em_error *err)
{
    if (!o->progress) return EM_OK;
    opt_pop *nd = opt_pareto_set(opt_evaluator_archive(s->ev));
    if (!nd) return em_fail(err, EM_ENOMEM, "out of memory");
    *stop = o->progress(o->progress_user, iter, s->cfg.max_iter, opt_evaluator_count(s->ev),
                        s->cfg.budget, nd) != 0;
    opt_pop_free(nd);
    return EM_OK;
}

int opt_sbo_run(const opt_problem *p, const opt_options *o, opt_result *res, em_error *err)
{
    memset(res, 0, sizeof *res);
    sbo s;
    memset(&s, 0, sizeof s);
    int rc = opt_sbo_config_from_options(o, &s.cfg, err);
    if (rc) return rc;
    if (o->resume && !o->checkpoint_path)
        return em_fail(err, EM_EINVAL, "resume needs a checkpoint path");
    s.p = p;
    s.nv = p->n_var;
    s.m = p->n_obj;
    s.nc = p->n_con;
    em_rng_seed(&s.rng, o->seed);
    s.lower = malloc(sizeof(double) * (size_t)s.nv);
    s.upper = malloc(sizeof(double) * (size_t)s.nv);
    s.ev = opt_evaluator_new(p, s.cfg.budget);
    s.fitted = calloc((size_t)(s.m + s.nc), sizeof *s.fitted);
    opt_pop *init = opt_pop_new(s.nv, s.m, s.nc, s.cfg.n_initial);
    if (!s.lower || !s.upper || !s.ev || !init || !s.fitted) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    for (int j = 0; j < s.nv; j++) {
        s.lower[j] = p->vars[j].lo;
        s.upper[j] = p->vars[j].hi > p->vars[j].lo ? p->vars[j].hi : p->vars[j].lo + 1.0;
    }

    int iter = 0, stop = 0;
    if (o->resume) {
        if ((rc = load_checkpoint(&s, o, &iter, err)) != 0) goto done;
    } else {
        if ((rc = opt_pop_resize(init, s.cfg.n_initial)) != 0) {
            rc = em_fail(err, EM_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = opt_lhs_problem(p, &s.rng, s.cfg.n_initial, init->X, err)) != 0) goto done;
        if ((rc = opt_evaluator_eval(s.ev, init, 0, err)) != 0) goto done;
        if (o->checkpoint_path && (rc = save_checkpoint(&s, o, 0, err)) != 0) goto done;
        if ((rc = report(o, &s, 0, &stop, err)) != 0) goto done;
    }
    while (!stop && opt_evaluator_remaining(s.ev) > 0 &&
           (s.cfg.max_iter == 0 || iter < s.cfg.max_iter)) {
        int exhausted;
        uint64_t iter_seed = em_rng_u64(&s.rng);
        if ((rc = iterate(&s, iter_seed, &exhausted, err)) != 0) {
            em_error_prefix(err, "sbo iteration %d", iter + 1);
            goto done;
        }
        if (exhausted) break;   /* the whole space has been evaluated */
        iter++;
        if (o->checkpoint_path && (rc = save_checkpoint(&s, o, iter, err)) != 0) goto done;
        if ((rc = report(o, &s, iter, &stop, err)) != 0) goto done;
    }
    res->stopped = stop;
    res->n_gen = iter;
    res->n_evals = opt_evaluator_count(s.ev);
    res->cache_hits = opt_evaluator_hits(s.ev);
    res->evals = opt_evaluator_take_archive(s.ev);
    res->pop = res->evals ? opt_pareto_set(res->evals) : NULL;
    if (!res->evals || !res->pop) rc = em_fail(err, EM_ENOMEM, "out of memory");
done:
    if (rc) {
        opt_pop_free(res->pop);
        opt_pop_free(res->evals);
        memset(res, 0, sizeof *res);
    }
    opt_pop_free(init);
    opt_evaluator_free(s.ev);
    free(s.lower);
    free(s.upper);
    free(s.fitted);
    return rc;
}
