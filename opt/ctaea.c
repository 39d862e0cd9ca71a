/* opt/ctaea.c: C-TAEA (see ctaea.h): Das-Dennis directions, niche association and
 * ASF fitness, the CA and DA updates, restricted mating with SBX and polynomial
 * mutation, and the generation loop with checkpoint and resume. */
#include "opt/ctaea.h"
#include "opt/variation.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt/benchmarks.h"   /* opt_das_dennis */
#include "opt/checkpoint.h"
#include "opt/evaluator.h"
#include "opt/pareto.h"

#define ASF_WEIGHT0 1e-4   /* pymoo's weight_0: a zero weight counts as this */
#define MATING_TRIES 100   /* rounds of mating to replace duplicate offspring */

/* ---- Das-Dennis ---- */

long opt_das_dennis_count(int m, int divisions)
{
    /* C(divisions + m - 1, m - 1), computed incrementally (exact at each step) */
    long double c = 1;
    for (int i = 1; i < m; i++) {
        c = c * (divisions + i) / i;
        if (c > INT_MAX) return -1;
    }
    return (long)(c + 0.5L);
}

int opt_das_dennis_divisions(int m, int max_dirs)
{
    if (max_dirs < m || m < 1) return -1;
    int d = 1;
    for (;;) {
        long c = opt_das_dennis_count(m, d + 1);
        if (c < 0 || c > max_dirs) return d;
        d++;
    }
}

/* ---- state ---- */

typedef struct ctaea {
    const opt_problem *p;
    int N, m, nv;
    double *W;         /* N x m reference directions */
    double *ideal;     /* m: least objective values seen */
    double eta_c, eta_m, p_m;
    opt_pop *ca, *da;
    opt_evaluator *ev;
    em_rng rng;
    opt_checkpoint_log log; /* what the checkpoint archive holds */
} ctaea;

/* For each row of pop: the niche (nearest direction by perpendicular distance of
 * F - ideal) and the ASF value max_j (F_j - ideal_j) / w_j of that direction. */
static void associate(const ctaea *c, const opt_pop *pop, int *niche, double *fv)
{
    int m = c->m;
    for (int i = 0; i < pop->n; i++) {
        const double *f = pop->F + (size_t)i * m;
        double best = INFINITY;
        int bj = 0;
        for (int j = 0; j < c->N; j++) {
            const double *w = c->W + (size_t)j * m;
            double fw = 0, ww = 0, ff = 0;
            for (int k = 0; k < m; k++) {
                double t = f[k] - c->ideal[k];
                fw += t * w[k];
                ww += w[k] * w[k];
                ff += t * t;
            }
            /* |t - (t.w / w.w) w|^2 = t.t - (t.w)^2 / w.w */
            double d2 = ff - fw * fw / ww;
            if (d2 < best) {
                best = d2;
                bj = j;
            }
        }
        if (niche) niche[i] = bj;
        if (fv) {
            const double *w = c->W + (size_t)bj * m;
            double v = -INFINITY;
            for (int k = 0; k < m; k++) {
                double wk = w[k] == 0 ? ASF_WEIGHT0 : w[k];
                double t = (f[k] - c->ideal[k]) / wk;
                if (t > v) v = t;
            }
            fv[i] = v;
        }
    }
}

static double dist(const double *a, const double *b, int m)
{
    double s = 0;
    for (int k = 0; k < m; k++) s += (a[k] - b[k]) * (a[k] - b[k]);
    return sqrt(s);
}

/* Rows of a population (a subset by index) as a new population. */
static opt_pop *subset(const opt_pop *pop, const int *idx, int k, em_error *err)
{
    opt_pop *s = opt_pop_select(pop, idx, k);
    if (!s) em_fail(err, EM_ENOMEM, "out of memory");
    return s;
}

/* Appends every row of b to a copy of a. */
static opt_pop *merge(const opt_pop *a, const opt_pop *b, em_error *err)
{
    opt_pop *s = opt_pop_copy(a);
    if (!s || opt_pop_reserve(s, a->n + b->n)) goto fail;
    for (int i = 0; i < b->n; i++)
        if (opt_pop_append_row(s, b, i)) goto fail;
    return s;
fail:
    opt_pop_free(s);
    em_fail(err, EM_ENOMEM, "out of memory");
    return NULL;
}

/* ---- CA update ---- */

/* The removal loop of the "too many feasible" case: S holds the first non-dominated
 * fronts of the feasible rows; removes rows until N remain. Marks survivors in alive. */
static int ca_thin(ctaea *c, const opt_pop *S, char *alive, em_error *err)
{
    int n = S->n, m = c->m, N = c->N;
    int *niche = malloc(sizeof(int) * (size_t)n);
    double *fv = malloc(sizeof(double) * (size_t)n);
    int *count = calloc((size_t)N, sizeof(int));
    int *members = malloc(sizeof(int) * (size_t)n);
    double *D = malloc(sizeof(double) * (size_t)n * (size_t)n);   /* pairwise distances */
    if (!niche || !fv || !count || !members || !D) {
        free(niche);
        free(fv);
        free(count);
        free(members);
        free(D);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    associate(c, S, niche, fv);
    for (int i = 0; i < n; i++) {
        D[(size_t)i * n + i] = INFINITY;
        for (int j = i + 1; j < n; j++)
            D[(size_t)i * n + j] = D[(size_t)j * n + i] =
                dist(S->F + (size_t)i * m, S->F + (size_t)j * m, m);
    }
    for (int i = 0; i < n; i++) {
        alive[i] = 1;
        count[niche[i]]++;
    }
    for (int left = n; left > N; left--) {
        int maxc = 0;
        for (int j = 0; j < N; j++)
            if (count[j] > maxc) maxc = count[j];
        int worst = -1, worst_niche = -1;
        double worst_fit = -INFINITY;
        for (int j = 0; j < N; j++) {
            if (count[j] != maxc) continue;
            int k = 0;
            for (int i = 0; i < n; i++)
                if (alive[i] && niche[i] == j) members[k++] = i;
            /* the member with the worst (largest) ASF value */
            int nw = members[0];
            for (int t = 1; t < k; t++)
                if (fv[members[t]] > fv[nw]) nw = members[t];
            /* its distance to the nearest other survivor */
            double dmin = INFINITY;
            for (int i = 0; i < n; i++)
                if (alive[i] && i != nw && D[(size_t)nw * n + i] < dmin) dmin = D[(size_t)nw * n + i];
            /* the closest pair inside the niche */
            int pa = -1, pb = -1;
            double dpair = INFINITY;
            for (int s = 0; s < k; s++)
                for (int t = s + 1; t < k; t++) {
                    double d = D[(size_t)members[s] * n + members[t]];
                    if (d < dpair) {
                        dpair = d;
                        pa = members[s];
                        pb = members[t];
                    }
                }
            /* If that pair is closer than the worst member is to anyone, remove the
             * worse of the pair instead (ties in ASF broken at random). pymoo compares
             * the pair's fitness against an index in the tie case; we compare it
             * against the worst member's fitness, which is what is meant. */
            if (pa >= 0 && (dpair < dmin ||
                            (dpair == dmin && (fv[pa] > fv[nw] || fv[pb] > fv[nw])))) {
                if (fv[pa] > fv[pb]) nw = pa;
                else if (fv[pb] > fv[pa]) nw = pb;
                else nw = em_rng_below(&c->rng, 2) ? pb : pa;
            }
            if (fv[nw] > worst_fit || worst < 0) {
                worst_fit = fv[nw];
                worst = nw;
                worst_niche = j;
            }
        }
        alive[worst] = 0;
        count[worst_niche]--;
    }
    free(niche);
    free(fv);
    free(count);
    free(members);
    free(D);
    return EM_OK;
}

/* Indices of the first fronts (by rank[]) of rows cand[0..k), fronts taken whole
 * until at least `want` rows are in; returns how many were written to out. */
static int first_fronts(const int *cand, const int *rank, int k, int want, int *out)
{
    int taken = 0;
    for (int r = 0; taken < want; r++) {
        int any = 0;
        for (int i = 0; i < k; i++)
            if (rank[i] == r) {
                out[taken++] = cand[i];
                any = 1;
            }
        if (!any) {   /* no more fronts */
            int more = 0;
            for (int i = 0; i < k; i++)
                if (rank[i] > r) more = 1;
            if (!more) break;
        }
    }
    return taken;
}

/* The new convergence archive from H = CA + offspring. */
static int update_ca(ctaea *c, const opt_pop *H, opt_pop **out, em_error *err)
{
    int n = H->n, m = c->m, N = c->N, rc = EM_OK;
    int *feas = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *infe = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *rank = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *pick = malloc(sizeof(int) * (size_t)(n ? n : 1));
    double *sub = malloc(sizeof(double) * 2 * (size_t)(n ? n : 1));
    opt_pop *S = NULL, *T = NULL;
    *out = NULL;
    if (!feas || !infe || !rank || !pick || !sub) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    int nf = 0, ni = 0;
    for (int i = 0; i < n; i++) {
        if (H->CV[i] <= 0) feas[nf++] = i;
        else infe[ni++] = i;
    }
    if (nf <= N) {
        /* All feasible rows, completed by infeasible ones chosen by non-dominated
         * sorting on (CV, ASF), the last front by least CV. */
        int k = 0;
        for (int i = 0; i < nf; i++) pick[k++] = feas[i];
        int remainder = N - nf;
        if (remainder > 0 && ni > 0) {
            opt_pop *I = subset(H, infe, ni, err);
            if (!I) {
                rc = EM_ENOMEM;
                goto done;
            }
            double *fvi = malloc(sizeof(double) * (size_t)ni);
            if (!fvi) {
                opt_pop_free(I);
                rc = em_fail(err, EM_ENOMEM, "out of memory");
                goto done;
            }
            associate(c, I, NULL, fvi);
            for (int i = 0; i < ni; i++) {
                sub[2 * i] = I->CV[i];
                sub[2 * i + 1] = fvi[i];
            }
            opt_pop_free(I);
            free(fvi);
            int nfr = opt_nds(sub, NULL, ni, 2, rank);
            if (nfr < 0) {
                rc = em_fail(err, EM_ENOMEM, "out of memory");
                goto done;
            }
            for (int r = 0; r < nfr && remainder > 0; r++) {
                int cnt = 0;
                for (int i = 0; i < ni; i++) cnt += rank[i] == r;
                if (cnt <= remainder) {
                    for (int i = 0; i < ni; i++)
                        if (rank[i] == r) pick[k++] = infe[i];
                    remainder -= cnt;
                } else {
                    /* the least-violating of the last front (stable by position) */
                    while (remainder > 0) {
                        int b = -1;
                        for (int i = 0; i < ni; i++)
                            if (rank[i] == r && (b < 0 || sub[2 * i] < sub[2 * b])) b = i;
                        pick[k++] = infe[b];
                        rank[b] = -1;
                        remainder--;
                    }
                }
            }
        }
        S = subset(H, pick, k, err);
        if (!S) rc = EM_ENOMEM;
        else *out = S;
        goto done;
    }

    /* Too many feasible: their first fronts, then thinning by niche. */
    {
        opt_pop *Fs = subset(H, feas, nf, err);
        if (!Fs) {
            rc = EM_ENOMEM;
            goto done;
        }
        int nfr = opt_nds(Fs->F, NULL, nf, m, rank);
        opt_pop_free(Fs);
        if (nfr < 0) {
            rc = em_fail(err, EM_ENOMEM, "out of memory");
            goto done;
        }
        int k = first_fronts(feas, rank, nf, N, pick);
        S = subset(H, pick, k, err);
        if (!S) {
            rc = EM_ENOMEM;
            goto done;
        }
        if (k > N) {
            char *alive = malloc((size_t)k);
            if (!alive) {
                rc = em_fail(err, EM_ENOMEM, "out of memory");
                goto done;
            }
            rc = ca_thin(c, S, alive, err);
            int q = 0;
            for (int i = 0; i < k; i++)
                if (alive[i]) pick[q++] = i;
            free(alive);
            if (rc) goto done;
            T = subset(S, pick, q, err);
            if (!T) {
                rc = EM_ENOMEM;
                goto done;
            }
            opt_pop_free(S);
            S = T;
        }
        *out = S;
        S = NULL;
    }
done:
    if (rc) opt_pop_free(S);
    free(feas);
    free(infe);
    free(rank);
    free(pick);
    free(sub);
    return rc;
}

/* ---- DA update ---- */

/* The new diversity archive from Hd = DA + offspring, given the new CA: niches where
 * CA has fewer than itr members get, for itr = 1, 2, ..., the best remaining Hd
 * members of that niche (least ASF among the non-dominated ones there). */
static int update_da(ctaea *c, const opt_pop *ca, const opt_pop *Hd, opt_pop **out,
                     em_error *err)
{
    int n = Hd->n, m = c->m, N = c->N, rc = EM_OK;
    int *niche_h = malloc(sizeof(int) * (size_t)(n ? n : 1));
    double *fv = malloc(sizeof(double) * (size_t)(n ? n : 1));
    int *niche_c = malloc(sizeof(int) * (size_t)(ca->n ? ca->n : 1));
    int *ca_count = calloc((size_t)N, sizeof(int));
    int *S = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *mem = malloc(sizeof(int) * (size_t)(n ? n : 1));
    *out = NULL;
    if (!niche_h || !fv || !niche_c || !ca_count || !S || !mem) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    associate(c, Hd, niche_h, fv);
    associate(c, ca, niche_c, NULL);
    for (int i = 0; i < ca->n; i++) ca_count[niche_c[i]]++;
    int target = N < n ? N : n, k = 0;
    for (int itr = 1; k < target; itr++) {
        int before = k;
        for (int i = 0; i < N && k < target; i++) {
            for (int rep = ca_count[i]; rep < itr && k < target; rep++) {
                int q = 0;
                for (int j = 0; j < n; j++)
                    if (niche_h[j] == i) mem[q++] = j;
                if (q == 0) break;
                /* the non-dominated members of the niche; among them least ASF */
                int best = -1;
                for (int a = 0; a < q; a++) {
                    int dominated = 0;
                    for (int b = 0; b < q && !dominated; b++)
                        if (b != a && opt_dominance(Hd->F + (size_t)mem[b] * m,
                                                    Hd->F + (size_t)mem[a] * m, m) == 1)
                            dominated = 1;
                    if (!dominated && (best < 0 || fv[mem[a]] < fv[best])) best = mem[a];
                }
                niche_h[best] = -1;
                S[k++] = best;
            }
        }
        if (k == before && itr > n + ca->n + 1) break;   /* Hd exhausted: a guard */
    }
    opt_pop *D = subset(Hd, S, k, err);
    if (!D) rc = EM_ENOMEM;
    *out = D;
done:
    free(niche_h);
    free(fv);
    free(niche_c);
    free(ca_count);
    free(S);
    free(mem);
    return rc;
}

/* ---- variation ---- */

static int ctaea_better(ctaea *c, const opt_pop *H, int a, int b)
{
    double ca = H->CV[a], cb = H->CV[b];
    if (ca <= 0 && cb <= 0) {
        int r = opt_dominance(H->F + (size_t)a * c->m, H->F + (size_t)b * c->m, c->m);
        if (r == 1) return a;
        if (r == -1) return b;
    } else if (ca <= 0) {
        return a;
    } else if (cb <= 0) {
        return b;
    }
    return em_rng_below(&c->rng, 2) ? b : a;
}

/* Binary tournament among rows [lo, lo + k) of H. */
static int tournament(ctaea *c, const opt_pop *H, int lo, int k)
{
    if (k == 1) return lo;
    int a = (int)em_rng_below(&c->rng, (uint64_t)k);
    int b = (int)em_rng_below(&c->rng, (uint64_t)(k - 1));
    if (b >= a) b++;
    return ctaea_better(c, H, lo + a, lo + b);
}

/* SBX of parents a and b (Deb and Agrawal 1995, bounded form as in pymoo), each
 * variable with probability 0.5, children swapped per variable with probability 0.5;
 * one child written to child. */
static void sbx(ctaea *c, const double *a, const double *b, double *child)
{
    double eta = c->eta_c;
    int pick = (int)em_rng_below(&c->rng, 2);
    for (int j = 0; j < c->nv; j++) {
        double lo = c->p->vars[j].lo, hi = c->p->vars[j].hi;
        double c1 = a[j], c2 = b[j];
        if (c->p->vars[j].type == OPT_VAR_CAT) {   /* categories: uniform swap */
            if (em_rng_uniform(&c->rng) < 0.5) {
                c1 = b[j];
                c2 = a[j];
            }
        } else if (em_rng_uniform(&c->rng) < 0.5 && fabs(a[j] - b[j]) > 1e-14 && hi > lo) {
            opt_sbx_var(a[j], b[j], lo, hi, eta, &c->rng, &c1, &c2);
        }
        child[j] = pick ? c2 : c1;
    }
}

/* Polynomial mutation (Deb and Goyal 1996, pymoo's form). */
static void mutate(ctaea *c, double *x) { opt_pm_mutate(c->p, c->eta_m, c->p_m, &c->rng, x); }

static int same_row(const double *a, const double *b, int n)
{
    for (int j = 0; j < n; j++)
        if (a[j] != b[j]) return 0;
    return 1;
}

/* `want` new, repaired, distinct offspring into off (which is emptied first). */
static int mate(ctaea *c, opt_pop *off, int want, em_error *err)
{
    opt_pop *H = merge(c->ca, c->da, err);
    if (!H) return EM_ENOMEM;
    int nh = H->n, nc = c->ca->n, nd = c->da->n, m = c->m, nv = c->nv, rc = EM_OK;
    int *rank = malloc(sizeof(int) * (size_t)nh);
    double *x = malloc(sizeof(double) * (size_t)nv);
    if (!rank || !x || opt_pop_resize(off, 0) || opt_pop_reserve(off, want)) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    if (opt_nds(H->F, NULL, nh, m, rank) < 0) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    double pc = 0, pd = 0;
    for (int i = 0; i < nc; i++) pc += rank[i] == 0;
    for (int i = nc; i < nh; i++) pd += rank[i] == 0;
    pc /= nh;
    pd /= nh;
    for (int tries = 0; off->n < want && tries < MATING_TRIES * want; tries++) {
        /* first parent: from CA if it holds more of the non-dominated rows, else DA;
         * second parent: from CA with probability pc */
        int from_ca1 = pc > pd, from_ca2 = em_rng_uniform(&c->rng) < pc;
        if (nd == 0) from_ca1 = from_ca2 = 1;
        if (nc == 0) from_ca1 = from_ca2 = 0;
        int a = from_ca1 ? tournament(c, H, 0, nc) : tournament(c, H, nc, nd);
        int b = from_ca2 ? tournament(c, H, 0, nc) : tournament(c, H, nc, nd);
        sbx(c, H->X + (size_t)a * nv, H->X + (size_t)b * nv, x);
        mutate(c, x);
        opt_problem_repair(c->p, x);
        int dup = 0;
        for (int i = 0; i < nh && !dup; i++) dup = same_row(x, H->X + (size_t)i * nv, nv);
        for (int i = 0; i < off->n && !dup; i++) dup = same_row(x, off->X + (size_t)i * nv, nv);
        if (dup) continue;
        int r = off->n;
        if (opt_pop_resize(off, r + 1)) {
            rc = em_fail(err, EM_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(off->X + (size_t)r * nv, x, sizeof(double) * (size_t)nv);
    }
done:
    opt_pop_free(H);
    free(rank);
    free(x);
    return rc;
}

/* ---- the run ---- */

static void update_ideal(ctaea *c, const opt_pop *pop, int from)
{
    for (int i = from; i < pop->n; i++)
        for (int k = 0; k < c->m; k++)
            if (pop->F[(size_t)i * c->m + k] < c->ideal[k])
                c->ideal[k] = pop->F[(size_t)i * c->m + k];
}

/* Survival after evaluating off: CA from CA + off, DA from DA + off. */
static int survive(ctaea *c, const opt_pop *off, em_error *err)
{
    update_ideal(c, off, 0);
    opt_pop *H = merge(c->ca, off, err);
    if (!H) return EM_ENOMEM;
    opt_pop *ca = NULL, *da = NULL;
    int rc = update_ca(c, H, &ca, err);
    opt_pop_free(H);
    if (rc) return rc;
    H = merge(c->da, off, err);
    if (!H) {
        opt_pop_free(ca);
        return EM_ENOMEM;
    }
    rc = update_da(c, ca, H, &da, err);
    opt_pop_free(H);
    if (rc) {
        opt_pop_free(ca);
        return rc;
    }
    opt_pop_free(c->ca);
    opt_pop_free(c->da);
    c->ca = ca;
    c->da = da;
    return EM_OK;
}

/* Evaluates rows of pop (trimmed to the remaining budget first). */
static int evaluate(ctaea *c, opt_pop *pop, em_error *err)
{
    long left = opt_evaluator_remaining(c->ev);
    if (pop->n > left && opt_pop_resize(pop, (int)left))
        return em_fail(err, EM_ENOMEM, "out of memory");
    if (pop->n == 0) return EM_OK;
    return opt_evaluator_eval(c->ev, pop, 0, err);
}

static int save_checkpoint(ctaea *c, const opt_options *o, int gen, em_error *err)
{
    opt_checkpoint ck;
    memset(&ck, 0, sizeof ck);
    snprintf(ck.algorithm, sizeof ck.algorithm, "%s", "ctaea");
    snprintf(ck.problem, sizeof ck.problem, "%s", c->p->name);
    ck.n_var = c->p->n_var;
    ck.n_obj = c->p->n_obj;
    ck.n_con = c->p->n_con;
    ck.seed = o->seed;
    ck.pop_size = o->pop_size;
    ck.gen = gen;
    ck.rng = c->rng;
    ck.cache_hits = opt_evaluator_hits(c->ev);
    ck.n_pops = 2;
    ck.pops[0] = c->ca;
    ck.pops[1] = c->da;
    ck.evals = (opt_pop *)opt_evaluator_archive(c->ev);
    return opt_checkpoint_write(o->checkpoint_path, &ck, &c->log, err);
}

static int load_checkpoint(ctaea *c, const opt_options *o, int *gen, em_error *err)
{
    opt_checkpoint ck;
    memset(&ck, 0, sizeof ck);
    int rc = opt_checkpoint_read(o->checkpoint_path, &ck, &c->log, err);
    if (rc) return rc;
    rc = opt_checkpoint_check(&ck, "ctaea", c->p, o->seed, o->pop_size, err);
    if (rc == 0 && ck.n_pops != 2)
        rc = em_fail(err, EM_EFORMAT, "%s: a C-TAEA checkpoint holds 2 populations, not %d",
                     o->checkpoint_path, ck.n_pops);
    if (rc == 0 && !ck.evals)
        rc = em_fail(err, EM_EFORMAT, "%s: a C-TAEA checkpoint must hold the evaluations",
                     o->checkpoint_path);
    if (rc == 0) rc = opt_evaluator_restore(c->ev, ck.evals, err);
    if (rc == 0) {
        c->ca = ck.pops[0];
        c->da = ck.pops[1];
        ck.pops[0] = ck.pops[1] = NULL;
        c->rng = ck.rng;
        *gen = ck.gen;
        opt_evaluator_set_hits(c->ev, ck.cache_hits);
        /* The ideal point is the least value of each objective over everything
         * evaluated: exactly what the evaluator archive holds. */
        for (int k = 0; k < c->m; k++) c->ideal[k] = INFINITY;
        update_ideal(c, opt_evaluator_archive(c->ev), 0);
    }
    opt_checkpoint_clear(&ck);
    return rc;
}

int opt_ctaea_run(const opt_problem *p, const opt_options *o, opt_result *res, em_error *err)
{
    memset(res, 0, sizeof *res);
    if (p->n_obj < 2)
        return em_fail(err, EM_EINVAL, "C-TAEA needs at least 2 objectives (problem %s has %d)",
                       p->name, p->n_obj);
    if (o->n_gen < 0 || o->max_evals < 0 || (o->n_gen == 0 && o->max_evals == 0))
        return em_fail(err, EM_EINVAL, "C-TAEA needs a number of generations or a budget of "
                       "evaluations");
    if (o->resume && !o->checkpoint_path)
        return em_fail(err, EM_EINVAL, "resume needs a checkpoint path");
    int divisions = opt_das_dennis_divisions(p->n_obj, o->pop_size);
    if (divisions < 1)
        return em_fail(err, EM_EINVAL, "C-TAEA population %d is smaller than the %d objectives",
                       o->pop_size, p->n_obj);

    ctaea c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.m = p->n_obj;
    c.nv = p->n_var;
    c.eta_c = o->eta_c > 0 ? o->eta_c : 30.0;
    c.eta_m = o->eta_m > 0 ? o->eta_m : 20.0;
    c.p_m = o->p_m > 0 ? o->p_m : 1.0 / p->n_var;
    em_rng_seed(&c.rng, o->seed);
    int rc = opt_das_dennis(c.m, divisions, &c.W, &c.N, err);
    if (rc) return rc;
    c.ideal = malloc(sizeof(double) * (size_t)c.m);
    c.ev = opt_evaluator_new(p, o->max_evals);
    opt_pop *off = opt_pop_new(p->n_var, p->n_obj, p->n_con, c.N);
    if (!c.ideal || !c.ev || !off) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < c.m; k++) c.ideal[k] = INFINITY;

    int gen = 0;
    if (o->resume) {
        rc = load_checkpoint(&c, o, &gen, err);
        if (rc) goto done;
    } else {
        /* uniform random initial population, evaluated, then one survival step with
         * an empty DA (every row counts as offspring) */
        if ((rc = opt_pop_resize(off, c.N)) != 0) {
            rc = em_fail(err, EM_ENOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < c.N; i++) {
            double *x = off->X + (size_t)i * c.nv;
            for (int j = 0; j < c.nv; j++)
                x[j] = p->vars[j].lo + em_rng_uniform(&c.rng) * (p->vars[j].hi - p->vars[j].lo);
            opt_problem_repair(p, x);
        }
        if ((rc = evaluate(&c, off, err)) != 0) goto done;
        c.ca = opt_pop_new(p->n_var, p->n_obj, p->n_con, c.N);
        c.da = opt_pop_new(p->n_var, p->n_obj, p->n_con, c.N);
        if (!c.ca || !c.da) {
            rc = em_fail(err, EM_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = survive(&c, off, err)) != 0) goto done;
        gen = 1; /* the initial population is the first generation, as in pymoo */
        if (o->checkpoint_path && (rc = save_checkpoint(&c, o, gen, err)) != 0) goto done;
        if (o->progress &&
            o->progress(o->progress_user, gen, o->n_gen, opt_evaluator_count(c.ev), o->max_evals,
                        c.ca)) {
            res->stopped = true;
        }
    }

    while (!res->stopped && (o->n_gen == 0 || gen < o->n_gen) &&
           opt_evaluator_remaining(c.ev) > 0) {
        if ((rc = mate(&c, off, c.N, err)) != 0) goto done;
        if (off->n == 0) break;   /* no new offspring can be produced: converged */
        if ((rc = evaluate(&c, off, err)) != 0) goto done;
        if ((rc = survive(&c, off, err)) != 0) goto done;
        gen++;
        if (o->checkpoint_path && (rc = save_checkpoint(&c, o, gen, err)) != 0) goto done;
        if (o->progress &&
            o->progress(o->progress_user, gen, o->n_gen, opt_evaluator_count(c.ev), o->max_evals,
                        c.ca))
            res->stopped = true;
    }

    res->pop = c.ca;
    c.ca = NULL;
    res->n_gen = gen;
    res->n_evals = opt_evaluator_count(c.ev);
    res->cache_hits = opt_evaluator_hits(c.ev);
    res->evals = opt_evaluator_take_archive(c.ev);
    if (!res->evals) rc = em_fail(err, EM_ENOMEM, "out of memory");
done:
    if (rc) {
        opt_pop_free(res->pop);
        opt_pop_free(res->evals);
        memset(res, 0, sizeof *res);
    }
    opt_pop_free(c.ca);
    opt_pop_free(c.da);
    opt_pop_free(off);
    opt_evaluator_free(c.ev);
    free(c.W);
    free(c.ideal);
    return rc;
}
