/* opt/surrogate_knn.c: the k-nearest-neighbours surrogate. Stores the scaled training
 * rows; a prediction is the inverse-distance weighted mean of the k nearest targets
 * (Euclidean distance in the [0, 1]-scaled space), and an exact hit returns the mean
 * of the targets stored at that point. */
#include "opt/surrogate_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct knn {
    int n;
    double *X, *y;
} knn;

static void knn_release(opt_surrogate *s)
{
    knn *m = s->impl;
    if (m) {
        free(m->X);
        free(m->y);
        free(m);
    }
    s->impl = NULL;
}

static int knn_fit(opt_surrogate *s, const double *X, int n, const double *y, em_error *err)
{
    knn *m = calloc(1, sizeof *m);
    size_t cnt = (size_t)n * (size_t)s->d;
    if (m) {
        m->X = malloc(sizeof(double) * cnt);
        m->y = malloc(sizeof(double) * (size_t)n);
    }
    if (!m || !m->X || !m->y) {
        if (m) {
            free(m->X);
            free(m->y);
        }
        free(m);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    memcpy(m->X, X, sizeof(double) * cnt);
    memcpy(m->y, y, sizeof(double) * (size_t)n);
    m->n = n;
    s->impl = m;
    return EM_OK;
}

/* Inserts (dist, idx) into the sorted k-best lists if it belongs there; ties keep the
 * earlier training row, so results do not depend on anything but the data order. */
static void keep_best(double *bd, int *bi, int *cnt, int k, double dist, int idx)
{
    if (*cnt == k && dist >= bd[k - 1]) return;
    int pos = *cnt < k ? (*cnt)++ : k - 1;
    while (pos > 0 && bd[pos - 1] > dist) {
        bd[pos] = bd[pos - 1];
        bi[pos] = bi[pos - 1];
        pos--;
    }
    bd[pos] = dist;
    bi[pos] = idx;
}

static int knn_predict(opt_surrogate *s, const double *X, int n, double *out, em_error *err)
{
    const knn *m = s->impl;
    int d = s->d, k = s->p.knn_k < m->n ? s->p.knn_k : m->n;
    double *bd = malloc(sizeof(double) * (size_t)k);
    int *bi = malloc(sizeof(int) * (size_t)k);
    if (!bd || !bi) {
        free(bd);
        free(bi);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    for (int q = 0; q < n; q++) {
        const double *x = X + (size_t)q * (size_t)d;
        int cnt = 0;
        for (int i = 0; i < m->n; i++) {
            const double *t = m->X + (size_t)i * (size_t)d;
            double s2 = 0;
            for (int j = 0; j < d; j++) s2 += (x[j] - t[j]) * (x[j] - t[j]);
            keep_best(bd, bi, &cnt, k, s2, i);
        }
        if (bd[0] == 0) {   /* exact hit(s): average the coincident points */
            double sum = 0;
            int hits = 0;
            for (int i = 0; i < cnt && bd[i] == 0; i++, hits++) sum += m->y[bi[i]];
            out[q] = sum / hits;
            continue;
        }
        double num = 0, den = 0;
        for (int i = 0; i < cnt; i++) {
            double w = 1.0 / sqrt(bd[i]);
            num += w * m->y[bi[i]];
            den += w;
        }
        out[q] = num / den;
    }
    free(bd);
    free(bi);
    return EM_OK;
}

const opt_surrogate_ops opt_surrogate_knn_ops = {knn_fit, knn_predict, knn_release};
