/* dataflow/analytic.c: closed-form event counts of a mapped loop nest.
 *
 * The schedule is: for g (groups), tA (tiles of the row loop A), tB (tiles of the
 * column loop B), then the four temporal loops in the mapping's order. Tiles come in
 * at most three classes per spatial loop (first, middle, last), so the counts are
 * sums over at most nine tile classes, never over cycles. A register refills when the
 * value it holds changes: per tile, the PEs whose value changes on entry are found
 * from the index step of that entry (a loop over one tile's PEs), and the refills
 * inside the tile from the steps of the four temporal loops, joined into chains where
 * a step keeps an input address (s*x+fx unchanged). */
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
    int64_t rows, cols;      /* PE array */
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

/* Loop-index changes when temporal position j (0..3, outermost first) advances and
 * the temporal loops inside it wrap from their last value to 0. */
static void temporal_delta(const plan *p, int j, int64_t d[DF_NLOOP])
{
    memset(d, 0, sizeof(int64_t) * DF_NLOOP);
    d[p->m->order[j]] = 1;
    for (int i = j + 1; i < 4; i++) d[p->m->order[i]] = -(p->lb[i + 2] - 1);
}

/* Whether a PE's value of op differs after a change d of the loop indices. W and O
 * are addressed one-to-one by their loops; I by (ci, s*x+fx, s*y+fy), so a step of x
 * can be undone by a wrap of fx (and y by fy): the register keeps its value. */
static int value_changes(const plan *p, df_operand op, const int64_t d[DF_NLOOP])
{
    if (op == DF_I) {
        int64_t s = p->n->stride;
        return d[DF_CI] != 0 || s * d[DF_X] + d[DF_FX] != 0 || s * d[DF_Y] + d[DF_FY] != 0;
    }
    for (int l = 0; l < DF_NLOOP; l++)
        if (d[l] != 0 && df_depends(op, (df_loop)l)) return 1;
    return 0;
}

/* How a tile is entered: first tile of a group (registers hold nothing of it), next
 * column tile (tB+1), or next row tile (tA+1, tB back to 0). */
typedef enum { ENTER_GROUP, ENTER_B, ENTER_A } tile_entry;

/* The distinct values of op fetched when a tile of aAct x bAct active PEs is entered,
 * as a histogram of their multiplicity (hist[m]: values shared by m PEs through an
 * aliased input address; 1 otherwise). A PE fetches when its value changes; entering
 * a row tile, a PE in a column that was idle in the last (partial) column tile still
 * holds its value from the column tile before. With all = 1 every active PE counts
 * (the values of one refill inside a tile). Returns the number of distinct values.
 * Only an aliased (x, fx) or (y, fy) pair of spatial loops needs a loop over the
 * tile's PEs; otherwise rows and columns change as wholes. */
static int64_t fetch_set(const plan *p, df_operand op, int64_t aAct, int64_t bAct,
                         tile_entry how, int all, int64_t bLast, double *hist, int *maxm,
                         int *scratch, int64_t nkeys)
{
    int dA = df_depends(op, p->A), dB = df_depends(op, p->B);
    int alias = op == DF_I && dA && dB && alias_pair(p->A, p->B);
    int64_t s = p->n->stride, C = p->cols, R = p->rows, nB = p->lb[1];
    /* Change flags for columns c < bLast (ch[0]) and c >= bLast (ch[1]). */
    int ch[2] = {1, 1};
    if (!all && how != ENTER_GROUP)
        for (int side = 0; side < 2; side++) {
            int64_t d[DF_NLOOP];
            memset(d, 0, sizeof d);
            for (int i = 0; i < 4; i++) d[p->m->order[i]] = -(p->lb[i + 2] - 1);
            if (how == ENTER_B) {
                d[p->B] = C;
            } else {
                d[p->A] = R;
                d[p->B] = -(side == 0 ? nB - 1 : nB - 2) * C;
            }
            ch[side] = value_changes(p, op, d);
        }
    if (how != ENTER_A) ch[1] = ch[0]; /* bLast only matters entering a row tile */
    if (!alias) {
        int64_t n0 = bAct < bLast ? bAct : bLast, ncols = ch[0] * n0 + ch[1] * (bAct - n0);
        if (how != ENTER_A) ncols = ch[0] * bAct;
        int64_t nd = (dA ? aAct : 1) * (dB ? ncols : (ncols > 0 ? 1 : 0));
        hist[1] = (double)nd;
        *maxm = 1;
        return nd;
    }
    int xa = p->A == DF_X || p->A == DF_Y; /* row loop is the x-like side of the pair */
    memset(scratch, 0, sizeof *scratch * (size_t)nkeys);
    for (int64_t r = 0; r < aAct; r++)
        for (int64_t c = 0; c < bAct; c++)
            if (ch[how == ENTER_A && c >= bLast]) scratch[xa ? s * r + c : s * c + r]++;
    int64_t nd = 0;
    int mm = 0;
    for (int64_t k = 0; k < nkeys; k++)
        if (scratch[k]) {
            if (scratch[k] > mm) {
                for (int j = mm + 1; j <= scratch[k]; j++) hist[j] = 0;
                mm = scratch[k];
            }
            hist[scratch[k]] += 1;
            nd++;
        }
    *maxm = mm;
    return nd;
}

/* Expected words read for the values of hist whose register keeps them over `len`
 * refill segments of kbase distinct weights each (dense: their number). */
static double expected_words(df_operand op, const double *hist, int maxm, double kbase,
                             double len, double keep)
{
    double e = 0;
    for (int m = 1; m <= maxm; m++)
        if (hist[m] > 0) e += hist[m] * (op == DF_W ? 1.0 : used_prob(keep, kbase * m * len));
    return e;
}

/* The refill segments of one tile (levels inside op's innermost relevant level form
 * one segment), joined where a transition keeps op's value: either one chain of len
 * segments, or a first chain (pre), a last chain (suf) and inner ones. */
typedef struct {
    int single;
    double len, pre, suf;
    double inner_n; /* number of inner chains */
    double inner_e; /* their expected words */
} chains;

static chains tile_chains(const plan *p, df_operand op, const double *hist, int maxm,
                          double kbase, double keep)
{
    chains ch = {1, 1, 0, 0, 0, 0};
    for (int lvl = p->k[op]; lvl >= 2; lvl--) {
        double b = (double)p->lb[lvl];
        if (b <= 1) continue;
        int64_t d[DF_NLOOP];
        temporal_delta(p, lvl - 2, d);
        int kept = !value_changes(p, op, d);
        if (ch.single) {
            if (kept) {
                ch.len *= b;
            } else {
                ch.single = 0;
                ch.pre = ch.suf = ch.len;
                ch.inner_n = b - 2;
                ch.inner_e = (b - 2) * expected_words(op, hist, maxm, kbase, ch.len, keep);
            }
        } else {
            double in_n = b * ch.inner_n, in_e = b * ch.inner_e;
            if (kept) {
                in_n += b - 1;
                in_e += (b - 1) * expected_words(op, hist, maxm, kbase, ch.suf + ch.pre, keep);
            } else {
                in_n += 2 * (b - 1);
                in_e += (b - 1) * (expected_words(op, hist, maxm, kbase, ch.suf, keep) +
                                   expected_words(op, hist, maxm, kbase, ch.pre, keep));
            }
            ch.inner_n = in_n;
            ch.inner_e = in_e;
        }
    }
    return ch;
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
    p.rows = arr->rows;
    p.cols = arr->cols;
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
    }

    tile_class ca[3], cb[3];
    int na = tile_classes(n->bound[p.A], arr->rows, ca);
    int nb = tile_classes(n->bound[p.B], arr->cols, cb);
    int64_t bLast = cb[nb - 1].active;
    double bw = arr->buffer_words_per_cycle;
    int64_t nkeys = (int64_t)n->stride * arr->rows + arr->cols +
                    (int64_t)arr->rows * arr->cols + (int64_t)n->stride * arr->cols + arr->rows;
    size_t nh = (size_t)(arr->rows > arr->cols ? arr->rows : arr->cols) + 1;
    double *hist = calloc(nh, sizeof *hist), *hist0 = calloc(nh, sizeof *hist0);
    int *scratch = malloc(sizeof *scratch * (size_t)nkeys);
    if (!hist || !hist0 || !scratch) {
        free(hist);
        free(hist0);
        free(scratch);
        return em_fail(err, EM_ENOMEM, "analytic model: out of memory");
    }

    for (int ia = 0; ia < na; ia++)
        for (int ib = 0; ib < nb; ib++) {
            tile_class a = ca[ia], b = cb[ib];
            double cnt = a.count * b.count;
            tile_entry how = a.first && b.first ? ENTER_GROUP : b.first ? ENTER_A : ENTER_B;
            double d[DF_NOPERAND], words0 = 0;
            for (int op = 0; op < DF_NOPERAND; op++) {
                df_operand o = (df_operand)op;
                int maxm, maxm0;
                int64_t nd = fetch_set(&p, o, a.active, b.active, how, 1, bLast, hist, &maxm,
                                       scratch, nkeys);
                int64_t nd0 = fetch_set(&p, o, a.active, b.active, how, 0, bLast, hist0, &maxm0,
                                        scratch, nkeys);
                d[op] = (double)nd;
                words0 += nd0;
                double kbase = segment_weights(&p, o, a.active, b.active);
                chains ch = tile_chains(&p, o, hist, maxm, kbase, keep);
                /* The first chain starts with the values fetched on entering the tile;
                 * the others are refilled inside it. (Under pruning, a value kept across
                 * the tile boundary is counted as if its chain started here.) */
                double first = ch.single ? ch.len : ch.pre;
                double e = nd ? expected_words(o, hist, maxm, kbase, first, keep) * (double)nd0 / (double)nd : 0;
                if (!ch.single)
                    e += expected_words(o, hist, maxm, kbase, ch.suf, keep) + ch.inner_e;
                out->buffer_reads[op] += cnt * e;
            }
            /* Cycles whose weights are all zero. */
            double nw = (df_depends(DF_W, p.A) ? (double)a.active : 1.0) *
                        (df_depends(DF_W, p.B) ? (double)b.active : 1.0);
            out->iterations += cnt * p.T;
            if (keep < 1.0) out->skipped += cnt * p.T * pow(1.0 - keep, nw);

            /* Stalls: iteration 0 of the tile needs the words fetched on entry; every
             * later iteration is the step of exactly one temporal position j, which
             * happens outer(j) * (b_j - 1) times per tile and refills the operands whose
             * value that step changes. */
            double st = stall_cycles(words0, bw), outer = 1;
            for (int j = 0; j < 4; j++) {
                int lvl = j + 2;
                double bj = (double)p.lb[lvl];
                if (bj > 1) {
                    int64_t dl[DF_NLOOP];
                    temporal_delta(&p, j, dl);
                    double words = 0;
                    for (int op = 0; op < DF_NOPERAND; op++)
                        if (lvl <= p.k[op] && value_changes(&p, (df_operand)op, dl)) words += d[op];
                    st += outer * (bj - 1) * stall_cycles(words, bw);
                }
                outer *= bj;
            }
            out->stalls += cnt * st;
        }
    free(hist);
    free(hist0);
    free(scratch);

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
