/* opt/pareto.c: dominance relations, non-dominated sorting (the sequential-search
 * variant of Zhang et al.'s ENS: sort, then place each row in the first front that
 * does not dominate it), the non-dominated filter, and pymoo's crowding distance. */
#include "opt/pareto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int opt_dominance(const double *a, const double *b, int m)
{
    int a_better = 0, b_better = 0;
    for (int j = 0; j < m; j++) {
        if (a[j] < b[j]) a_better = 1;
        else if (b[j] < a[j]) b_better = 1;
        if (a_better && b_better) return 0;
    }
    if (a_better) return 1;
    if (b_better) return -1;
    return 0;
}

int opt_cdominance(const double *a, double cva, const double *b, double cvb, int m)
{
    if (cva <= 0.0 && cvb <= 0.0) return opt_dominance(a, b, m);
    if (cva < cvb) return 1;
    if (cvb < cva) return -1;
    return 0;
}

/* qsort has no user pointer; sorting state lives in this struct passed through a
 * static-free merge sort instead, so the code stays reentrant. */
typedef struct sort_ctx {
    const double *F;
    const double *cv;
    int m;
} sort_ctx;

static int lex_cmp(const sort_ctx *c, int a, int b)
{
    if (c->cv) {
        double ca = c->cv[a] > 0 ? c->cv[a] : 0, cb = c->cv[b] > 0 ? c->cv[b] : 0;
        if (ca < cb) return -1;
        if (ca > cb) return 1;
    }
    const double *fa = c->F + (size_t)a * c->m, *fb = c->F + (size_t)b * c->m;
    for (int j = 0; j < c->m; j++) {
        if (fa[j] < fb[j]) return -1;
        if (fa[j] > fb[j]) return 1;
    }
    return a < b ? -1 : (a > b);
}

static void merge_sort(const sort_ctx *c, int *a, int *tmp, int n)
{
    if (n < 2) return;
    int h = n / 2;
    merge_sort(c, a, tmp, h);
    merge_sort(c, a + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = lex_cmp(c, a[i], a[j]) <= 0 ? a[i++] : a[j++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, sizeof(int) * (size_t)n);
}

static int *lex_order(const double *F, const double *cv, int n, int m)
{
    int *ord = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *tmp = malloc(sizeof(int) * (size_t)(n ? n : 1));
    if (!ord || !tmp) {
        free(ord);
        free(tmp);
        return NULL;
    }
    for (int i = 0; i < n; i++) ord[i] = i;
    sort_ctx c = {F, cv, m};
    merge_sort(&c, ord, tmp, n);
    free(tmp);
    return ord;
}

int opt_nds(const double *F, const double *cv, int n, int m, int *rank)
{
    if (n <= 0) return 0;
    int *ord = lex_order(F, cv, n, m);
    /* fronts stored as linked lists through next[], newest member first */
    int *head = malloc(sizeof(int) * (size_t)n);
    int *next = malloc(sizeof(int) * (size_t)n);
    if (!ord || !head || !next) {
        free(ord);
        free(head);
        free(next);
        return EM_ENOMEM;
    }
    int nf = 0;
    for (int s = 0; s < n; s++) {
        int i = ord[s];
        const double *fi = F + (size_t)i * m;
        double cvi = cv ? cv[i] : 0.0;
        int k = 0;
        for (; k < nf; k++) {
            int dominated = 0;
            for (int q = head[k]; q >= 0; q = next[q]) {
                int d = cv ? opt_cdominance(F + (size_t)q * m, cv[q], fi, cvi, m)
                           : opt_dominance(F + (size_t)q * m, fi, m);
                if (d == 1) {
                    dominated = 1;
                    break;
                }
            }
            if (!dominated) break;
        }
        if (k == nf) head[nf++] = -1;
        next[i] = head[k];
        head[k] = i;
        rank[i] = k;
    }
    free(ord);
    free(head);
    free(next);
    return nf;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int opt_nondominated(const double *F, int n, int m, int *idx)
{
    if (n <= 0) return 0;
    int *ord = lex_order(F, NULL, n, m);
    if (!ord) return EM_ENOMEM;
    int k = 0;
    if (m == 2) {
        /* Groups of equal f1 in increasing order; a row survives when its f2 is its
         * group's minimum and below every f2 seen in earlier groups. */
        double best = INFINITY;
        for (int s = 0; s < n;) {
            int e = s;
            double f1 = F[(size_t)ord[s] * 2];
            while (e < n && F[(size_t)ord[e] * 2] == f1) e++;
            double gmin = F[(size_t)ord[s] * 2 + 1]; /* sorted by f2 within the group */
            if (gmin < best) {
                for (int t = s; t < e && F[(size_t)ord[t] * 2 + 1] == gmin; t++) idx[k++] = ord[t];
                best = gmin;
            }
            s = e;
        }
    } else {
        /* In lexicographic order a row can only be dominated by an earlier one, and if
         * it is, it is dominated by an earlier non-dominated one. */
        for (int s = 0; s < n; s++) {
            const double *fi = F + (size_t)ord[s] * m;
            int dominated = 0;
            for (int t = k - 1; t >= 0 && !dominated; t--)
                dominated = opt_dominance(F + (size_t)idx[t] * m, fi, m) == 1;
            if (!dominated) idx[k++] = ord[s];
        }
    }
    free(ord);
    qsort(idx, (size_t)k, sizeof(int), cmp_int);
    return k;
}

typedef struct cd_ctx {
    const double *F;
    int m, obj;
    const int *rows;
} cd_ctx;

static void sort_by_obj(const cd_ctx *c, int *a, int *tmp, int n)
{
    if (n < 2) return;
    int h = n / 2;
    sort_by_obj(c, a, tmp, h);
    sort_by_obj(c, a + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) {
        double x = c->F[(size_t)c->rows[a[i]] * c->m + c->obj];
        double y = c->F[(size_t)c->rows[a[j]] * c->m + c->obj];
        tmp[k++] = x <= y ? a[i++] : a[j++];
    }
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, sizeof(int) * (size_t)n);
}

int opt_crowding(const double *F, int m, const int *idx, int k, double *cd)
{
    if (k <= 2) {
        for (int j = 0; j < k; j++) cd[j] = INFINITY;
        return EM_OK;
    }
    int *uniq = malloc(sizeof(int) * (size_t)k);   /* positions j of distinct rows */
    int *rows = malloc(sizeof(int) * (size_t)k);   /* their row numbers in F */
    int *ord = malloc(sizeof(int) * (size_t)k);
    int *tmp = malloc(sizeof(int) * (size_t)k);
    double *acc = calloc((size_t)k, sizeof(double));
    if (!uniq || !rows || !ord || !tmp || !acc) {
        free(uniq), free(rows), free(ord), free(tmp), free(acc);
        return EM_ENOMEM;
    }
    /* Duplicates (equal to an earlier row of the front) get 0, as in pymoo. O(k^2 m)
     * in the worst case, but fronts are small. */
    int u = 0;
    for (int j = 0; j < k; j++) {
        const double *fj = F + (size_t)idx[j] * m;
        int dup = 0;
        for (int t = 0; t < u && !dup; t++)
            dup = memcmp(fj, F + (size_t)rows[t] * m, sizeof(double) * (size_t)m) == 0;
        cd[j] = 0.0;
        if (!dup) {
            uniq[u] = j;
            rows[u] = idx[j];
            u++;
        }
    }
    if (u <= 2) {
        for (int t = 0; t < u; t++) cd[uniq[t]] = INFINITY;
    } else {
        for (int obj = 0; obj < m; obj++) {
            for (int t = 0; t < u; t++) ord[t] = t;
            cd_ctx c = {F, m, obj, rows};
            sort_by_obj(&c, ord, tmp, u);
            double lo = F[(size_t)rows[ord[0]] * m + obj];
            double hi = F[(size_t)rows[ord[u - 1]] * m + obj];
            double norm = hi - lo;
            if (norm == 0.0) continue; /* pymoo: NaN terms become 0 */
            acc[ord[0]] = INFINITY;
            acc[ord[u - 1]] = INFINITY;
            for (int t = 1; t < u - 1; t++) {
                double prev = F[(size_t)rows[ord[t - 1]] * m + obj];
                double nxt = F[(size_t)rows[ord[t + 1]] * m + obj];
                acc[ord[t]] += (nxt - prev) / norm;
            }
        }
        for (int t = 0; t < u; t++) cd[uniq[t]] = acc[t] / m;
    }
    free(uniq), free(rows), free(ord), free(tmp), free(acc);
    return EM_OK;
}
