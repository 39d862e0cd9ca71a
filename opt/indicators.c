/* opt/indicators.c: exact hypervolume (2-D sweep; 3-D sweep over f3 with the 2-D
 * staircase kept in an ordered set, O(n log n); above 3-D the non-dominated points
 * first, then WFG, recursing down to the 3-D sweep)
 * and the distance indicators IGD, IGD+, GD, GD+. */
#include "opt/indicators.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- sorting helpers (merge sorts of index arrays by one or two keys) ---------- */
typedef struct key_ctx {
    const double *P;
    int m;
    int k1, k2; /* primary and secondary coordinate; k2 < 0 for none; k1 < 0:
                   lexicographic over every coordinate */
} key_ctx;

static int key_less_eq(const key_ctx *c, int a, int b)
{
    if (c->k1 < 0) { /* lexicographic over all m coordinates */
        const double *x = c->P + (size_t)a * c->m, *y = c->P + (size_t)b * c->m;
        for (int j = 0; j < c->m; j++)
            if (x[j] != y[j]) return x[j] < y[j];
        return a <= b;
    }
    double x = c->P[(size_t)a * c->m + c->k1], y = c->P[(size_t)b * c->m + c->k1];
    if (x != y) return x < y;
    if (c->k2 >= 0) {
        x = c->P[(size_t)a * c->m + c->k2];
        y = c->P[(size_t)b * c->m + c->k2];
        if (x != y) return x < y;
    }
    return a <= b;
}

static void msort(const key_ctx *c, int *a, int *tmp, int n)
{
    if (n < 2) return;
    int h = n / 2;
    msort(c, a, tmp, h);
    msort(c, a + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = key_less_eq(c, a[i], a[j]) ? a[i++] : a[j++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, sizeof(int) * (size_t)n);
}

static int sorted_index(const double *P, int n, int m, int k1, int k2, int **out)
{
    int *a = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *t = malloc(sizeof(int) * (size_t)(n ? n : 1));
    if (!a || !t) {
        free(a), free(t);
        return EM_ENOMEM;
    }
    for (int i = 0; i < n; i++) a[i] = i;
    key_ctx c = {P, m, k1, k2};
    msort(&c, a, t, n);
    free(t);
    *out = a;
    return EM_OK;
}

/* ---- 2-D ------------------------------------------------------------------------ */
/* P holds n points (stride m, using coordinates 0 and 1), all strictly inside ref. */
static int hv2(const double *P, int n, int m, const double *ref, double *hv)
{
    int *ord;
    if (sorted_index(P, n, m, 0, 1, &ord)) return EM_ENOMEM;
    double v = 0.0, prev = ref[1];
    for (int s = 0; s < n; s++) {
        const double *p = P + (size_t)ord[s] * m;
        if (p[1] < prev) {
            v += (ref[0] - p[0]) * (prev - p[1]);
            prev = p[1];
        }
    }
    free(ord);
    *hv = v;
    return EM_OK;
}

/* ---- an ordered set of integers 0..n-1 (64-ary bit tree) ------------------------ */
typedef struct bitset_tree {
    int levels;
    uint64_t *lv[6]; /* lv[0] leaves; lv[l+1] bit set when word of lv[l] is non-zero */
    size_t words[6];
} bitset_tree;

static int bst_init(bitset_tree *t, int n)
{
    memset(t, 0, sizeof *t);
    size_t len = (size_t)(n > 0 ? n : 1);
    do {
        size_t w = (len + 63) / 64;
        t->lv[t->levels] = calloc(w, sizeof(uint64_t));
        if (!t->lv[t->levels]) return EM_ENOMEM;
        t->words[t->levels] = w;
        t->levels++;
        len = w;
    } while (len > 1 && t->levels < 6);
    return EM_OK;
}

static void bst_free(bitset_tree *t)
{
    for (int l = 0; l < t->levels; l++) free(t->lv[l]);
}

static void bst_insert(bitset_tree *t, int i)
{
    size_t x = (size_t)i;
    for (int l = 0; l < t->levels; l++) {
        t->lv[l][x >> 6] |= 1ULL << (x & 63);
        x >>= 6;
    }
}

static void bst_erase(bitset_tree *t, int i)
{
    size_t x = (size_t)i;
    for (int l = 0; l < t->levels; l++) {
        t->lv[l][x >> 6] &= ~(1ULL << (x & 63));
        if (t->lv[l][x >> 6]) break;
        x >>= 6;
    }
}

/* Smallest member > i, or -1. */
static int bst_next(const bitset_tree *t, int i)
{
    long x = (long)i + 1;
    int l = 0;
    /* climb until a word holds a member at or after x */
    for (;;) {
        if (l >= t->levels) return -1;
        size_t w = (size_t)x >> 6;
        if (w >= t->words[l]) return -1;
        uint64_t bits = t->lv[l][w] & (~0ULL << (x & 63));
        if (bits) {
            x = (long)((w << 6) + (size_t)__builtin_ctzll(bits));
            break;
        }
        x = (long)w + 1;
        l++;
    }
    /* descend to the lowest member below */
    while (l > 0) {
        l--;
        x = (x << 6) + __builtin_ctzll(t->lv[l][x]);
    }
    return (int)x;
}

/* Largest member < i, or -1. */
static int bst_prev(const bitset_tree *t, int i)
{
    long x = (long)i - 1;
    int l = 0;
    for (;;) {
        if (x < 0 || l >= t->levels) return -1;
        size_t w = (size_t)x >> 6;
        int b = (int)(x & 63);
        uint64_t mask = b == 63 ? ~0ULL : ((1ULL << (b + 1)) - 1);
        uint64_t bits = t->lv[l][w] & mask;
        if (bits) {
            x = (long)((w << 6) + (size_t)(63 - __builtin_clzll(bits)));
            break;
        }
        x = (long)w - 1;
        l++;
    }
    while (l > 0) {
        l--;
        x = (x << 6) + (63 - __builtin_clzll(t->lv[l][x]));
    }
    return (int)x;
}

/* ---- 3-D ------------------------------------------------------------------------ */
/* Sweep in increasing f3; the (f1, f2) staircase of the points seen so far is a set of
 * ranks in the (f1, f2) order; its area A grows by exact strip sums on each insert. */
static int hv3(const double *P, int n, int m, const double *ref, double *hv)
{
    int *by12 = NULL, *by3 = NULL, *rank = NULL;
    bitset_tree t;
    int rc = EM_ENOMEM;
    if (bst_init(&t, n)) goto done;
    if (sorted_index(P, n, m, 0, 1, &by12) || sorted_index(P, n, m, 2, -1, &by3)) goto done;
    rank = malloc(sizeof(int) * (size_t)n);
    if (!rank) goto done;
    for (int r = 0; r < n; r++) rank[by12[r]] = r;

    double area = 0.0, vol = 0.0;
    for (int s = 0; s < n; s++) {
        int i = by3[s];
        const double *p = P + (size_t)i * m;
        int r = rank[i];
        int L = bst_prev(&t, r);
        if (L >= 0 && P[(size_t)by12[L] * m + 1] <= p[1]) goto advance; /* dominated */
        {
            double hl = L >= 0 ? P[(size_t)by12[L] * m + 1] : ref[1];
            int q = bst_next(&t, r);
            double x0 = p[0], h = hl, gain = 0.0;
            /* remove successors that p dominates in (f1, f2) */
            while (q >= 0 && P[(size_t)by12[q] * m + 1] >= p[1]) {
                const double *s_ = P + (size_t)by12[q] * m;
                gain += (s_[0] - x0) * (h - p[1]);
                x0 = s_[0];
                h = s_[1];
                int nq = bst_next(&t, q);
                bst_erase(&t, q);
                q = nq;
            }
            double xr = q >= 0 ? P[(size_t)by12[q] * m] : ref[0];
            gain += (xr - x0) * (h - p[1]);
            area += gain;
            bst_insert(&t, r);
        }
    advance:;
        double z_next = s + 1 < n ? P[(size_t)by3[s + 1] * m + 2] : ref[2];
        vol += area * (z_next - p[2]);
    }
    *hv = vol;
    rc = EM_OK;
done:
    bst_free(&t);
    free(by12), free(by3), free(rank);
    return rc;
}

/* ---- m >= 4: WFG (While, Bradstreet, Barone, IEEE TEVC 16(1), 2012) ------------------ */
static int hv_rec(double *P, int n, int m, const double *ref, double *hv);

static int weakly_dominates(const double *a, const double *b, int m)
{
    for (int j = 0; j < m; j++)
        if (a[j] > b[j]) return 0;
    return 1;
}

/* Keeps the rows of P (n x m) that no other row weakly dominates: dominated rows and
 * repeats are dropped (a repeat keeps one copy). The kept rows are moved to the front
 * of P in lexicographic order; returns their number, or -1 out of memory. A row can
 * only be weakly dominated by one at or before it lexicographically, so each row is
 * compared with the rows kept so far. */
static int nondominated_rows(double *P, int n, int m)
{
    if (n < 2) return n;
    int *ord;
    double *S = malloc(sizeof(double) * (size_t)n * m);
    if (!S || sorted_index(P, n, m, -1, -1, &ord)) {
        free(S);
        return -1;
    }
    for (int i = 0; i < n; i++) memcpy(S + (size_t)i * m, P + (size_t)ord[i] * m, sizeof(double) * m);
    free(ord);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        const double *p = S + (size_t)i * m;
        int dom = 0;
        for (int k = kept - 1; k >= 0 && !dom; k--) dom = weakly_dominates(P + (size_t)k * m, p, m);
        if (!dom) memcpy(P + (size_t)kept++ * m, p, sizeof(double) * m);
    }
    free(S);
    return kept;
}

/* P: n mutually non-dominated rows of m >= 4 coordinates, strictly inside ref.
 * Sorted by decreasing last coordinate, the exclusive hypervolume of row k against
 * the rows after it is (ref_m - p_k,m) times its (m-1)-D box less the (m-1)-D volume
 * of the limit set {max(p_k, p_j) : j > k} (all of whose last coordinates equal
 * p_k,m). The sum over k is the hypervolume. */
static int hv_wfg(const double *Q, int n, int m, const double *ref, double *hv)
{
    int d = m - 1, *ord;
    if (sorted_index(Q, n, m, m - 1, -1, &ord)) return EM_ENOMEM;
    double *P = malloc(sizeof(double) * (size_t)(n ? n : 1) * m);
    double *L = malloc(sizeof(double) * (size_t)(n > 1 ? n - 1 : 1) * d);
    if (!P || !L) {
        free(ord), free(P), free(L);
        return EM_ENOMEM;
    }
    for (int i = 0; i < n; i++) /* decreasing last coordinate */
        memcpy(P + (size_t)i * m, Q + (size_t)ord[n - 1 - i] * m, sizeof(double) * m);
    free(ord);
    double v = 0.0;
    int rc = EM_OK;
    for (int k = 0; k < n && !rc; k++) {
        const double *p = P + (size_t)k * m;
        double box = 1.0;
        for (int j = 0; j < d; j++) box *= ref[j] - p[j];
        int nl = 0;
        for (int i = k + 1; i < n; i++) {
            const double *q = P + (size_t)i * m;
            double *l = L + (size_t)nl++ * d;
            for (int j = 0; j < d; j++) l[j] = p[j] > q[j] ? p[j] : q[j];
        }
        /* hv_rec reduces L to its non-dominated rows above 3-D; the 2-D and 3-D
         * sweeps skip dominated rows themselves in O(n log n) */
        double inner = 0.0;
        if (nl > 0) rc = hv_rec(L, nl, d, ref, &inner);
        v += (ref[m - 1] - p[m - 1]) * (box - inner);
    }
    free(P), free(L);
    *hv = v;
    return rc;
}

static int hv_rec(double *P, int n, int m, const double *ref, double *hv)
{
    if (n == 0) {
        *hv = 0.0;
        return EM_OK;
    }
    if (m == 1) {
        double best = ref[0];
        for (int i = 0; i < n; i++)
            if (P[i] < best) best = P[i];
        *hv = ref[0] - best;
        return EM_OK;
    }
    if (m == 2) return hv2(P, n, m, ref, hv);
    if (m == 3) return hv3(P, n, m, ref, hv);
    /* P is scratch at every level (the caller's copy, or a limit set): reduce it to
     * its non-dominated rows first, then WFG */
    n = nondominated_rows(P, n, m);
    if (n < 0) return EM_ENOMEM;
    return hv_wfg(P, n, m, ref, hv);
}

int opt_hypervolume(const double *A, int na, int m, const double *ref, double *hv,
                    em_error *err)
{
    *hv = NAN;
    if (m < 1 || na < 0) return em_fail(err, EM_EINVAL, "hypervolume: bad sizes (n %d, m %d)", na, m);
    for (int j = 0; j < m; j++)
        if (!isfinite(ref[j]))
            return em_fail(err, EM_EINVAL, "hypervolume: reference coordinate %d is not finite", j + 1);
    /* keep only points that strictly dominate ref */
    double *P = malloc(sizeof(double) * (size_t)(na ? na : 1) * m);
    if (!P) return em_fail(err, EM_ENOMEM, "hypervolume: out of memory");
    int n = 0;
    for (int i = 0; i < na; i++) {
        const double *a = A + (size_t)i * m;
        int in = 1;
        for (int j = 0; j < m && in; j++) {
            if (isnan(a[j]))
                return free(P), em_fail(err, EM_EINVAL, "hypervolume: point %d has a NaN", i + 1);
            in = a[j] < ref[j];
        }
        if (in) memcpy(P + (size_t)n++ * m, a, sizeof(double) * m);
    }
    int rc = hv_rec(P, n, m, ref, hv);
    free(P);
    if (rc) return em_fail(err, rc, "hypervolume: out of memory");
    return EM_OK;
}

double opt_hv(const double *A, int na, int m, const double *ref)
{
    double v;
    if (opt_hypervolume(A, na, m, ref, &v, NULL)) return NAN;
    return v;
}

/* ---- distance indicators ---------------------------------------------------------- */
static double dist(const double *a, const double *z, int m, int plus)
{
    double s = 0.0;
    for (int j = 0; j < m; j++) {
        double d = a[j] - z[j];
        if (plus && d < 0) d = 0;
        s += d * d;
    }
    return sqrt(s);
}

/* mean over rows of X of min over rows of Y of dist(x or y ...). When a_first, the
 * distance is dist(y, x) so that "a" (the approximation) is always the first
 * argument of the plus distance. */
static double mean_min(const double *X, int nx, const double *Y, int ny, int m, int plus,
                       int y_is_a)
{
    if (nx <= 0 || ny <= 0) return NAN;
    double s = 0.0;
    for (int i = 0; i < nx; i++) {
        double best = INFINITY;
        for (int k = 0; k < ny; k++) {
            const double *x = X + (size_t)i * m, *y = Y + (size_t)k * m;
            double d = y_is_a ? dist(y, x, m, plus) : dist(x, y, m, plus);
            if (d < best) best = d;
        }
        s += best;
    }
    return s / nx;
}

double opt_igd(const double *A, int na, const double *Z, int nz, int m)
{
    return mean_min(Z, nz, A, na, m, 0, 1);
}

double opt_igd_plus(const double *A, int na, const double *Z, int nz, int m)
{
    return mean_min(Z, nz, A, na, m, 1, 1);
}

double opt_gd(const double *A, int na, const double *Z, int nz, int m)
{
    return mean_min(A, na, Z, nz, m, 0, 0);
}

double opt_gd_plus(const double *A, int na, const double *Z, int nz, int m)
{
    return mean_min(A, na, Z, nz, m, 1, 0);
}
