/* dataflow/analytic.c: closed-form event counts of a mapped loop nest.
 *
 * The schedule is: for g (groups), tA (tiles of the row loop A), tB (tiles of the
 * column loop B), then the four temporal loops in the mapping's order. Tiles come in
 * at most three classes per spatial loop (first, middle, last), so the counts are
 * sums over at most nine tile classes, never over cycles. */
#include "dataflow/analytic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NL 6 /* schedule levels: tA, tB, four temporal loops */

typedef struct { double count; int64_t active; int first; } tile_class;

static int tile_classes(int64_t bound, int64_t width, tile_class *out)
{
    int64_t n = (bound + width - 1) / width;
    int k = 0;
    if (n == 1) {
        out[k++] = (tile_class){1, bound, 1};
        return k;
    }
    out[k++] = (tile_class){1, width, 1};
    if (n > 2) out[k++] = (tile_class){(double)(n - 2), width, 0};
    out[k++] = (tile_class){1, bound - (n - 1) * width, 0};
    return k;
}

/* Probability that a fetch shared by k distinct weights meets a non-zero one. */
static double used_prob(double keep, double k)
{
    if (keep >= 1.0) return 1.0;
    return 1.0 - pow(1.0 - keep, k);
}

typedef struct {
    const df_nest *n;
    const df_mapping *m;
    int64_t lb[NL];          /* level bounds: tiles of A, tiles of B, temporal bounds */
    df_loop A, B;
    int k[DF_NOPERAND];      /* innermost relevant level with bound > 1, or -1 */
    double period[DF_NOPERAND]; /* iterations between refills inside a tile (k >= 2) */
    double T;                /* temporal iterations per tile */
} plan;

static int level_relevant(const plan *p, df_operand op, int lvl)
{
    if (lvl == 0) return df_depends(op, p->A);
    if (lvl == 1) return df_depends(op, p->B);
    return df_depends(op, p->m->order[lvl - 2]);
}

/* I's row and column loops form an (x, fx) or (y, fy) pair: addresses alias. */
static int alias_pair(df_loop a, df_loop b)
{
    return (a == DF_X && b == DF_FX) || (a == DF_FX && b == DF_X) ||
           (a == DF_Y && b == DF_FY) || (a == DF_FY && b == DF_Y);
}

/* Distinct weights met by one fetched value of op, apart from address aliasing:
 * the product of the extents of the loops inside op's refill segment that op does
 * not depend on and W does. */
static double segment_weights(const plan *p, df_operand op, int64_t aAct, int64_t bAct)
{
    double k = 1;
    int kk = p->k[op];
    for (int lvl = 0; lvl < NL; lvl++) {
        df_loop l = lvl == 0 ? p->A : lvl == 1 ? p->B : p->m->order[lvl - 2];
        if (df_depends(op, l) || !df_depends(DF_W, l)) continue;
        if (lvl >= 2) {
            if (lvl > kk) k *= (double)p->lb[lvl];
        } else {
            int64_t act = lvl == 0 ? aAct : bAct;
            /* The segment spans the tile loop: the whole bound is met. */
            k *= lvl > kk ? (double)p->n->bound[l] : (double)act;
        }
    }
    return k;
}

/* Number of distinct values of op in the array for a tile, and the expected number
 * of them actually fetched under zero-skipping (= distinct when keep = 1). */
static void distinct_values(const plan *p, df_operand op, int64_t aAct, int64_t bAct,
                            double keep, double *dense, double *expected)
{
    int dA = df_depends(op, p->A), dB = df_depends(op, p->B);
    double kbase = segment_weights(p, op, aAct, bAct);
    if (op == DF_I && dA && dB && alias_pair(p->A, p->B)) {
        /* Address s*x + fx over an aAct x bAct tile (x on one side, fx on the other). */
        int64_t nx = (p->A == DF_X || p->A == DF_Y) ? aAct : bAct;
        int64_t nf = (p->A == DF_X || p->A == DF_Y) ? bAct : aAct;
        int64_t s = p->n->stride;
        int64_t span = s * (nx - 1) + nf;
        int *mult = calloc((size_t)span, sizeof *mult);
        double d = 0, e = 0;
        if (mult) {
            for (int64_t i = 0; i < nx; i++)
                for (int64_t j = 0; j < nf; j++) mult[s * i + j]++;
            for (int64_t a = 0; a < span; a++)
                if (mult[a]) {
                    d += 1;
                    e += used_prob(keep, kbase * mult[a]);
                }
            free(mult);
        }
        *dense = d;
        *expected = e;
        return;
    }
    double d = (dA ? (double)aAct : 1.0) * (dB ? (double)bAct : 1.0);
    *dense = d;
    *expected = op == DF_W ? d : d * used_prob(keep, kbase);
}

static double stall_cycles(double words, double bw)
{
    if (words <= bw) return 0;
    return ceil(words / bw - 1e-9) - 1;
}

int df_analyze(const df_nest *n, const df_mapping *m, const df_array *arr, double keep,
               df_counts *out, em_error *err)
{
    memset(out, 0, sizeof *out);
    if (df_array_check(arr, err)) return EM_EINVAL;
    if (!(keep >= 0 && keep <= 1))
        return em_fail(err, EM_EINVAL, "keep ratio %g outside [0, 1]", keep);
    for (int i = 0; i < DF_NLOOP; i++)
        if (n->bound[i] < 1)
            return em_fail(err, EM_EINVAL, "layer '%s': loop %s has bound %lld", n->name,
                           df_loop_name((df_loop)i), (long long)n->bound[i]);

    plan p;
    memset(&p, 0, sizeof p);
    p.n = n;
    p.m = m;
    p.A = m->spatial[0];
    p.B = m->spatial[1];
    p.lb[0] = (n->bound[p.A] + arr->rows - 1) / arr->rows;
    p.lb[1] = (n->bound[p.B] + arr->cols - 1) / arr->cols;
    p.T = 1;
    for (int i = 0; i < 4; i++) {
        p.lb[i + 2] = n->bound[m->order[i]];
        p.T *= (double)p.lb[i + 2];
    }
    for (int op = 0; op < DF_NOPERAND; op++) {
        p.k[op] = -1;
        for (int lvl = 0; lvl < NL; lvl++)
            if (p.lb[lvl] > 1 && level_relevant(&p, (df_operand)op, lvl)) p.k[op] = lvl;
        p.period[op] = 1;
        for (int lvl = p.k[op] + 1; lvl < NL; lvl++)
            if (lvl >= 2) p.period[op] *= (double)p.lb[lvl];
    }

    tile_class ca[3], cb[3];
    int na = tile_classes(n->bound[p.A], arr->rows, ca);
    int nb = tile_classes(n->bound[p.B], arr->cols, cb);
    double bw = arr->buffer_words_per_cycle;

    for (int ia = 0; ia < na; ia++)
        for (int ib = 0; ib < nb; ib++) {
            tile_class a = ca[ia], b = cb[ib];
            double cnt = a.count * b.count;
            double d[DF_NOPERAND], e[DF_NOPERAND], words0 = 0;
            for (int op = 0; op < DF_NOPERAND; op++) {
                distinct_values(&p, (df_operand)op, a.active, b.active, keep, &d[op], &e[op]);
                int k = p.k[op];
                int at_start = k >= 1 || (k == 0 && b.first) || (k == -1 && a.first && b.first);
                double events = k >= 2 ? p.T / p.period[op] : (at_start ? 1 : 0);
                out->buffer_reads[op] += cnt * events * e[op];
                if (at_start) words0 += d[op];
            }
            /* Cycles whose weights are all zero. */
            double nw = (df_depends(DF_W, p.A) ? (double)a.active : 1.0) *
                        (df_depends(DF_W, p.B) ? (double)b.active : 1.0);
            out->iterations += cnt * p.T;
            if (keep < 1.0) out->skipped += cnt * p.T * pow(1.0 - keep, nw);

            /* Stalls: iteration 0 of the tile, then iterations t > 0 grouped by the
             * largest refill period dividing t (periods nest: each divides the next). */
            double st = stall_cycles(words0, bw);
            double periods[DF_NOPERAND];
            int np = 0;
            for (int op = 0; op < DF_NOPERAND; op++)
                if (p.k[op] >= 2) {
                    int dup = 0;
                    for (int j = 0; j < np; j++) dup |= periods[j] == p.period[op];
                    if (!dup) periods[np++] = p.period[op];
                }
            for (int i = 0; i < np; i++) /* sort descending */
                for (int j = i + 1; j < np; j++)
                    if (periods[j] > periods[i]) {
                        double t = periods[i];
                        periods[i] = periods[j];
                        periods[j] = t;
                    }
            double prev_multiples = 0;
            for (int j = 0; j < np; j++) {
                double multiples = p.T / periods[j] - 1; /* t in (0, T) divisible */
                double words = 0;
                for (int op = 0; op < DF_NOPERAND; op++)
                    if (p.k[op] >= 2 && p.period[op] <= periods[j]) words += d[op];
                st += (multiples - prev_multiples) * stall_cycles(words, bw);
                prev_multiples = multiples;
            }
            out->stalls += cnt * st;
        }

    double g = (double)n->groups;
    out->macs = (double)df_nest_macs(n);
    out->macs_executed = keep * out->macs;
    out->iterations *= g;
    out->skipped *= g;
    out->stalls *= g;
    for (int op = 0; op < DF_NOPERAND; op++) out->buffer_reads[op] *= g;
    out->buffer_writes[DF_O] = out->buffer_reads[DF_O];
    out->reg_accesses[DF_W] = out->macs_executed;
    out->reg_accesses[DF_I] = out->macs_executed;
    out->reg_accesses[DF_O] = 2 * out->macs_executed;
    df_counts_finish(out, arr);
    return EM_OK;
}

int df_array_check(const df_array *arr, em_error *err)
{
    if (arr->rows < 1 || arr->cols < 1 || !(arr->buffer_words_per_cycle > 0))
        return em_fail(err, EM_EINVAL, "PE array %dx%d with bandwidth %g: must be positive",
                       arr->rows, arr->cols, arr->buffer_words_per_cycle);
    return EM_OK;
}

void df_counts_finish(df_counts *c, const df_array *arr)
{
    c->cycles = c->iterations - c->skipped + c->stalls;
    double slots = c->cycles * arr->rows * arr->cols;
    c->utilization = slots > 0 ? c->macs_executed / slots : 0;
}
