/* opt/benchmarks.c: ZDT, DTLZ and C-DTLZ test problems and their true fronts, written
 * to match pymoo's definitions (pymoo/problems/multi/zdt.py, many/dtlz.py,
 * many/cdtlz.py), which follow Zitzler et al. 2000, Deb et al. 2002 and Jain and Deb
 * 2014. */
#include "opt/benchmarks.h"
#include "opt/indicators.h"
#include "opt/pareto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum bench_kind {
    B_ZDT1, B_ZDT2, B_ZDT3, B_ZDT4, B_ZDT6,
    B_DTLZ1, B_DTLZ2, B_DTLZ3, B_DTLZ4,
    B_C1DTLZ1, B_C1DTLZ3, B_C2DTLZ2, B_C3DTLZ4,
    B_MIXED
};

const char *const opt_benchmark_names[] = {
    "zdt1", "zdt2", "zdt3", "zdt4", "zdt6", "dtlz1", "dtlz2", "dtlz3", "dtlz4",
    "c1dtlz1", "c1dtlz3", "c2dtlz2", "c3dtlz4", "mixed", NULL};

/* params: [0] kind, [1] r for C1-DTLZ3 / C2-DTLZ2 */
#define KIND(p) ((int)(p)->params[0])

/* ZDT3's front: f2 = 1 - sqrt(f1) - f1 sin(10 pi f1) on these f1 intervals (pymoo). */
static const double zdt3_regions[5][2] = {
    {0.0, 0.0830015349}, {0.182228780, 0.2577623634}, {0.4093136748, 0.4538821041},
    {0.6183967944, 0.6525117038}, {0.8233317983, 0.8518328654}};

/* ---- evaluation -------------------------------------------------------------------- */
static void eval_zdt(int kind, int n, const double *x, double *f)
{
    double s = 0.0;
    for (int i = 1; i < n; i++) s += x[i];
    double f1 = x[0], g, h;
    switch (kind) {
    case B_ZDT1:
        g = 1.0 + 9.0 * s / (n - 1);
        h = 1.0 - sqrt(f1 / g);
        break;
    case B_ZDT2:
        g = 1.0 + 9.0 * s / (n - 1);
        h = 1.0 - (f1 / g) * (f1 / g);
        break;
    case B_ZDT3:
        g = 1.0 + 9.0 * s / (n - 1);
        h = 1.0 - sqrt(f1 / g) - (f1 / g) * sin(10.0 * M_PI * f1);
        break;
    case B_ZDT4:
        g = 1.0 + 10.0 * (n - 1);
        for (int i = 1; i < n; i++) g += x[i] * x[i] - 10.0 * cos(4.0 * M_PI * x[i]);
        h = 1.0 - sqrt(f1 / g);
        break;
    default: /* B_ZDT6 */
        f1 = 1.0 - exp(-4.0 * x[0]) * pow(sin(6.0 * M_PI * x[0]), 6.0);
        g = 1.0 + 9.0 * pow(s / (n - 1), 0.25);
        h = 1.0 - (f1 / g) * (f1 / g);
        break;
    }
    f[0] = f1;
    f[1] = g * h;
}

static double g_rastrigin(const double *xm, int k)
{
    double s = 0.0;
    for (int i = 0; i < k; i++) {
        double d = xm[i] - 0.5;
        s += d * d - cos(20.0 * M_PI * d);
    }
    return 100.0 * (k + s);
}

static double g_sphere(const double *xm, int k)
{
    double s = 0.0;
    for (int i = 0; i < k; i++) s += (xm[i] - 0.5) * (xm[i] - 0.5);
    return s;
}

/* DTLZ objectives from the first M-1 variables and g (pymoo's obj_func). */
static void dtlz_objectives(int kind, int M, const double *x, double g, double *f)
{
    int base = kind == B_DTLZ1 || kind == B_C1DTLZ1;
    double alpha = (kind == B_DTLZ4 || kind == B_C3DTLZ4) ? 100.0 : 1.0;
    for (int i = 0; i < M; i++) {
        int upto = M - 1 - i;
        if (base) {
            double v = 0.5 * (1.0 + g);
            for (int j = 0; j < upto; j++) v *= x[j];
            if (i > 0) v *= 1.0 - x[upto];
            f[i] = v;
        } else {
            double v = 1.0 + g;
            for (int j = 0; j < upto; j++) v *= cos(pow(x[j], alpha) * M_PI / 2.0);
            if (i > 0) v *= sin(pow(x[upto], alpha) * M_PI / 2.0);
            f[i] = v;
        }
    }
}

static double sumsq(const double *f, int M)
{
    double s = 0.0;
    for (int j = 0; j < M; j++) s += f[j] * f[j];
    return s;
}

/* Constraints in the g <= 0 convention (pymoo's G). */
static void cdtlz_constraints(int kind, int M, const double *f, double r, double *G)
{
    switch (kind) {
    case B_C1DTLZ1: {
        double s = 0.0;
        for (int j = 0; j < M - 1; j++) s += f[j] / 0.5;
        G[0] = -(1.0 - f[M - 1] / 0.6 - s);
        break;
    }
    case B_C1DTLZ3: {
        double s = sumsq(f, M);
        G[0] = -((s - 16.0) * (s - r * r));
        break;
    }
    case B_C2DTLZ2: {
        double s = sumsq(f, M), v1 = INFINITY, v2 = 0.0, a = 1.0 / sqrt((double)M);
        for (int i = 0; i < M; i++) {
            double t = (f[i] - 1.0) * (f[i] - 1.0) + (s - f[i] * f[i]) - r * r;
            if (t < v1) v1 = t;
            v2 += (f[i] - a) * (f[i] - a);
        }
        v2 -= r * r;
        G[0] = v1 < v2 ? v1 : v2;
        break;
    }
    case B_C3DTLZ4: {
        double s = sumsq(f, M);
        for (int i = 0; i < M; i++) G[i] = -(f[i] * f[i] / 4.0 + (s - f[i] * f[i]) - 1.0);
        break;
    }
    default:
        break;
    }
}

static int bench_eval(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)err;
    const opt_problem *p = user;
    int kind = KIND(p), nv = p->n_var, M = p->n_obj;
    for (int r = 0; r < n; r++) {
        const double *x = X + (size_t)r * nv;
        double *f = F + (size_t)r * M;
        if (kind <= B_ZDT6) {
            eval_zdt(kind, nv, x, f);
            continue;
        }
        int k = nv - M + 1;
        const double *xm = x + M - 1;
        double g = (kind == B_DTLZ1 || kind == B_DTLZ3 || kind == B_C1DTLZ1 || kind == B_C1DTLZ3)
                       ? g_rastrigin(xm, k) : g_sphere(xm, k);
        dtlz_objectives(kind, M, x, g, f);
        if (p->n_con) cdtlz_constraints(kind, M, f, p->params[1], G + (size_t)r * p->n_con);
    }
    return EM_OK;
}

/* ---- true fronts ------------------------------------------------------------------- */
/* Das and Dennis's simplex-lattice: all m-vectors of multiples of 1/p summing to 1. */
static int das_dennis_rec(int m, int p, int left, int depth, int *cur, double *out, int *n)
{
    if (depth == m - 1) {
        cur[depth] = left;
        if (out)
            for (int j = 0; j < m; j++) out[(size_t)*n * m + j] = (double)cur[j] / p;
        (*n)++;
        return 0;
    }
    for (int v = 0; v <= left; v++) {
        cur[depth] = v;
        das_dennis_rec(m, p, left - v, depth + 1, cur, out, n);
    }
    return 0;
}

int opt_das_dennis(int m, int p, double **out, int *n_out, em_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (m < 1 || p < 1 || m > 32)
        return em_fail(err, EM_EINVAL, "das-dennis: bad sizes (m %d, partitions %d)", m, p);
    int cur[32], n = 0;
    das_dennis_rec(m, p, p, 0, cur, NULL, &n);
    double *D = malloc(sizeof(double) * (size_t)n * m);
    if (!D) return em_fail(err, EM_ENOMEM, "das-dennis: out of memory");
    int k = 0;
    das_dennis_rec(m, p, p, 0, cur, D, &k);
    *out = D;
    *n_out = n;
    return EM_OK;
}

static double binom(int n, int k)
{
    double r = 1.0;
    for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
    return r;
}

/* Partitions giving about n_points lattice points in m dimensions. */
static int partitions_for(int m, int n_points)
{
    int p = 1;
    while (p < 10000 && binom(p + 1 + m - 1, m - 1) <= n_points) p++;
    return p;
}

static int front_2d(int kind, int n_points, double *F)
{
    int n = 0;
    if (kind == B_ZDT3) {
        double total = 0.0;
        for (int r = 0; r < 5; r++) total += zdt3_regions[r][1] - zdt3_regions[r][0];
        for (int r = 0; r < 5; r++) {
            double a = zdt3_regions[r][0], b = zdt3_regions[r][1];
            int k = (int)lround(n_points * (b - a) / total);
            if (k < 2) k = 2;
            for (int i = 0; i < k && n < n_points + 10; i++) {
                double f1 = a + (b - a) * i / (k - 1);
                F[2 * n] = f1;
                F[2 * n + 1] = 1.0 - sqrt(f1) - f1 * sin(10.0 * M_PI * f1);
                n++;
            }
        }
        return n;
    }
    for (int i = 0; i < n_points; i++) {
        double t = (double)i / (n_points - 1), f1, f2;
        switch (kind) {
        case B_ZDT1: case B_ZDT4: f1 = t; f2 = 1.0 - sqrt(t); break;
        case B_ZDT2: f1 = t; f2 = 1.0 - t * t; break;
        case B_ZDT6: f1 = 0.2807753191 + t * (1.0 - 0.2807753191); f2 = 1.0 - f1 * f1; break;
        case B_DTLZ1: case B_C1DTLZ1: f1 = 0.5 * t; f2 = 0.5 - f1; break;
        default: f1 = cos(t * M_PI / 2.0); f2 = sin(t * M_PI / 2.0); break; /* circle */
        }
        F[2 * n] = f1;
        F[2 * n + 1] = f2;
        n++;
    }
    return n;
}

static int bench_front(const opt_problem *p, int n_points, double **Fout, int *n_out,
                       em_error *err)
{
    int kind = KIND(p), M = p->n_obj;
    *Fout = NULL;
    *n_out = 0;
    if (n_points < 2) n_points = 2;
    if (M == 2 && kind != B_C2DTLZ2 && kind != B_C3DTLZ4) {
        double *F = malloc(sizeof(double) * 2 * (size_t)(n_points + 10));
        if (!F) return em_fail(err, EM_ENOMEM, "%s: out of memory", p->name);
        int n = front_2d(kind, n_points, F);
        if (kind == B_ZDT3) {
            /* the published region bounds carry 10 digits; drop the few end points
             * that are dominated by a hair */
            int *idx = malloc(sizeof(int) * (size_t)n);
            int k = idx ? opt_nondominated(F, n, 2, idx) : EM_ENOMEM;
            if (k < 0) {
                free(idx), free(F);
                return em_fail(err, EM_ENOMEM, "%s: out of memory", p->name);
            }
            for (int i = 0; i < k; i++) {
                F[2 * i] = F[2 * idx[i]];
                F[2 * i + 1] = F[2 * idx[i] + 1];
            }
            free(idx);
            n = k;
        }
        *n_out = n;
        *Fout = F;
        return EM_OK;
    }
    /* Lattice directions mapped onto the front; C2-DTLZ2 drops the infeasible ones.
     * C2-DTLZ2 keeps only small feasible patches, so it starts from a finer lattice. */
    int target = kind == B_C2DTLZ2 ? n_points * 8 : n_points;
    double *D;
    int n;
    int rc = opt_das_dennis(M, partitions_for(M, target), &D, &n, err);
    if (rc) return rc;
    int k = 0;
    for (int i = 0; i < n; i++) {
        double *d = D + (size_t)i * M, *f = D + (size_t)k * M;
        double s2 = sumsq(d, M), scale;
        if (kind == B_DTLZ1 || kind == B_C1DTLZ1) {
            scale = 0.5; /* hyperplane sum f = 0.5 */
        } else if (kind == B_C3DTLZ4) {
            double mx = 0.0;
            for (int j = 0; j < M; j++) mx = d[j] * d[j] > mx ? d[j] * d[j] : mx;
            scale = 1.0 / sqrt(s2 - 0.75 * mx);
        } else {
            scale = 1.0 / sqrt(s2); /* unit sphere */
        }
        for (int j = 0; j < M; j++) f[j] = d[j] * scale;
        if (kind == B_C2DTLZ2) {
            double g;
            cdtlz_constraints(kind, M, f, p->params[1], &g);
            if (g > 0) continue;
        }
        k++;
    }
    *Fout = D;
    *n_out = k;
    return EM_OK;
}

/* ---- "mixed": every variable type, a maximized objective, a tiny space ------------- */
/* x1 integer 0..10, x2 integer 0..4, x3 categorical of 3; penalty
 * q = (x2 - 2)^2 + [x3 != 1]; maximize gain = x1/10 - q, minimize cost = (x1/10)^2 + q.
 * 165 genotypes, so an optimizer meets duplicates and the cache within a few
 * generations. The front is q = 0: the 11 points (gain, cost) = (k/10, k^2/100). */
static int mixed_eval(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)user, (void)G, (void)err;
    for (int r = 0; r < n; r++) {
        const double *x = X + (size_t)r * 3;
        double t = x[0] / 10.0, q = (x[1] - 2.0) * (x[1] - 2.0) + (x[2] != 1.0);
        F[2 * r] = t - q;
        F[2 * r + 1] = t * t + q;
    }
    return EM_OK;
}

static int mixed_front(const opt_problem *p, int n_points, double **Fout, int *n_out,
                       em_error *err)
{
    (void)n_points;
    double *F = malloc(sizeof(double) * 22);
    if (!F) return em_fail(err, EM_ENOMEM, "%s: out of memory", p->name);
    for (int k = 0; k <= 10; k++) { /* minimized sense: -gain, cost */
        F[2 * k] = -k / 10.0;
        F[2 * k + 1] = (k / 10.0) * (k / 10.0);
    }
    *Fout = F;
    *n_out = 11;
    return EM_OK;
}

static int mixed_new(int n_var, int n_obj, opt_problem **out, em_error *err)
{
    if ((n_var && n_var != 3) || (n_obj && n_obj != 2))
        return em_fail(err, EM_EINVAL, "mixed: has exactly 3 variables and 2 objectives");
    opt_problem *p;
    int rc = opt_problem_new("mixed", 3, 2, 0, mixed_eval, NULL, &p, err);
    if (!rc) rc = opt_var_int(p, 0, "x1", 0, 10, err);
    if (!rc) rc = opt_var_int(p, 1, "x2", 0, 4, err);
    if (!rc) rc = opt_var_cat(p, 2, "x3", 3, err);
    if (rc) {
        opt_problem_free(p);
        return rc;
    }
    p->maximize[0] = true;
    snprintf(p->obj_names[0], sizeof p->obj_names[0], "gain");
    snprintf(p->obj_names[1], sizeof p->obj_names[1], "cost");
    p->front = mixed_front;
    p->params[0] = B_MIXED;
    *out = p;
    return EM_OK;
}

/* ---- construction ------------------------------------------------------------------ */
int opt_benchmark_new(const char *name, int n_var, int n_obj, opt_problem **out, em_error *err)
{
    *out = NULL;
    int kind = -1;
    for (int i = 0; opt_benchmark_names[i]; i++)
        if (!strcmp(name, opt_benchmark_names[i])) kind = i;
    if (kind < 0) {
        char list[256] = "";
        for (int i = 0; opt_benchmark_names[i]; i++) {
            strcat(list, i ? ", " : "");
            strcat(list, opt_benchmark_names[i]);
        }
        return em_fail(err, EM_EINVAL, "unknown problem '%s' (known: %s)", name, list);
    }
    if (kind == B_MIXED) return mixed_new(n_var, n_obj, out, err);
    int M, nv, n_con = 0;
    if (kind <= B_ZDT6) {
        if (n_obj && n_obj != 2)
            return em_fail(err, EM_EINVAL, "%s: has exactly 2 objectives (asked for %d)", name, n_obj);
        M = 2;
        nv = n_var ? n_var : (kind == B_ZDT4 || kind == B_ZDT6) ? 10 : 30;
        if (nv < 2 || nv > 100000)
            return em_fail(err, EM_EINVAL, "%s: n_var %d out of range [2, 100000]", name, nv);
    } else {
        M = n_obj ? n_obj : 3;
        if (M < 2 || M > 15)
            return em_fail(err, EM_EINVAL, "%s: n_obj %d out of range [2, 15]", name, M);
        int k = (kind == B_DTLZ1 || kind == B_C1DTLZ1 || kind == B_C3DTLZ4) ? 5 : 10;
        nv = n_var ? n_var : M + k - 1;
        if (nv < M || nv > 100000)
            return em_fail(err, EM_EINVAL, "%s: n_var %d out of range [%d, 100000] (n_obj %d)",
                           name, nv, M, M);
        if (kind == B_C3DTLZ4) n_con = M;
        else if (kind >= B_C1DTLZ1) n_con = 1;
    }
    opt_problem *p;
    int rc = opt_problem_new(name, nv, M, n_con, bench_eval, NULL, &p, err);
    if (rc) return rc;
    p->user = p;
    p->front = bench_front;
    p->params[0] = kind;
    if (kind == B_C1DTLZ3) p->params[1] = M < 5 ? 9.0 : M <= 12 ? 12.5 : 15.0;
    if (kind == B_C2DTLZ2) p->params[1] = M == 2 ? 0.2 : M == 3 ? 0.4 : 0.5;
    if (kind == B_ZDT4)
        for (int i = 1; i < nv; i++) opt_var_real(p, i, NULL, -5.0, 5.0, NULL);
    *out = p;
    return EM_OK;
}

void opt_benchmark_ref_point(const opt_problem *p, double *ref)
{
    int M = p->n_obj, n = 0;
    double *F = NULL;
    for (int j = 0; j < M; j++) ref[j] = 1.1;
    /* the ZDT family: the conventional (1.1, 1.1) of the literature and pymoo's
     * examples, so that ZDT3's and ZDT6's hypervolumes compare with published ones */
    if (p->front == bench_front && KIND(p) <= B_ZDT6) return;
    if (!p->front || p->front(p, 1000, &F, &n, NULL) || n == 0) {
        free(F);
        return;
    }
    for (int j = 0; j < M; j++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            double v = F[(size_t)i * M + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        ref[j] = hi + 0.1 * (hi - lo);
    }
    free(F);
}

const char *opt_benchmark_ref_source(const opt_problem *p)
{
    if (p->front == bench_front && KIND(p) <= B_ZDT6) return "conventional (1.1, 1.1) for ZDT";
    if (p->front) return "true front: nadir + 0.1 (nadir - ideal)";
    return "default 1.1 per objective (no true front)";
}

/* Antiderivative of ZDT3's front 1 - sqrt(x) - x sin(10 pi x). */
static double zdt3_prim(double x)
{
    double k = 10.0 * M_PI;
    return x - 2.0 / 3.0 * x * sqrt(x) - sin(k * x) / (k * k) + x * cos(k * x) / k;
}

static double zdt3_f2(double x) { return 1.0 - sqrt(x) - x * sin(10.0 * M_PI * x); }

double opt_benchmark_true_hv(const opt_problem *p, const double *ref)
{
    if (p->front == mixed_front) { /* a finite front: its own hypervolume */
        double *F = NULL;
        int n = 0;
        if (ref[0] < 0.0 || ref[1] < 1.0 || mixed_front(p, 11, &F, &n, NULL)) return NAN;
        double v = opt_hv(F, n, 2, ref);
        free(F);
        return v;
    }
    if (p->front != bench_front) return NAN;
    int M = p->n_obj;
    double box = 1.0;
    for (int j = 0; j < M; j++) box *= ref[j];
    /* every reference coordinate at or beyond the front's nadir (lo) */
    double lo = 1.0;
    switch (KIND(p)) {
    case B_ZDT1: case B_ZDT4:
        return ref[0] >= 1 && ref[1] >= 1 ? box - 1.0 / 3.0 : NAN;
    case B_ZDT2:
        return ref[0] >= 1 && ref[1] >= 1 ? box - 2.0 / 3.0 : NAN;
    case B_ZDT3: {
        /* the staircase of five decreasing pieces: under each piece the area between
         * the curve and ref[1]; after a piece, up to the next one (or ref[0]), the
         * level of its right end */
        if (ref[0] < zdt3_regions[4][1] || ref[1] < 1.0) return NAN;
        double v = 0.0;
        for (int i = 0; i < 5; i++) {
            double a = zdt3_regions[i][0], b = zdt3_regions[i][1];
            double next = i < 4 ? zdt3_regions[i + 1][0] : ref[0];
            v += ref[1] * (b - a) - (zdt3_prim(b) - zdt3_prim(a));
            v += (next - b) * (ref[1] - zdt3_f2(b));
        }
        return v;
    }
    case B_ZDT6: {
        /* f2 = 1 - f1^2 for f1 in [a, 1] */
        double a = 0.2807753191;
        if (ref[0] < 1.0 || ref[1] < 1.0 - a * a) return NAN;
        return (ref[1] - 1.0) * (1.0 - a) + (1.0 - a * a * a) / 3.0 + (ref[0] - 1.0) * ref[1];
    }
    case B_DTLZ1: case B_C1DTLZ1: {
        /* the box less the simplex sum f = 0.5: 0.5^M / M! */
        double simplex = 1.0;
        for (int j = 1; j <= M; j++) simplex *= 0.5 / j;
        for (int j = 0; j < M; j++)
            if (ref[j] < 0.5) return NAN;
        return box - simplex;
    }
    case B_DTLZ2: case B_DTLZ3: case B_DTLZ4: case B_C1DTLZ3: {
        /* the box less the unit ball's positive orthant: pi^(M/2) / Gamma(M/2 + 1) / 2^M
         * (pi/4 for M = 2, pi/6 for M = 3) */
        for (int j = 0; j < M; j++)
            if (ref[j] < lo) return NAN;
        return box - pow(M_PI, 0.5 * M) / tgamma(0.5 * M + 1.0) / pow(2.0, M);
    }
    default:
        return NAN;
    }
}
