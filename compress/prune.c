/* compress/prune.c: L1 and random pruning masks with exact keep counts and
 * deterministic tie-breaking (see compress/prune.h). The L1 ranking finds the k-th
 * largest key by a three-way quickselect (linear on average, also with many equal
 * keys), then keeps every larger key and the first equal ones in index order. */
#include "compress/prune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

static const char *method_names[] = {"none", "l1", "random"};
static const char *target_names[] = {"weights", "biases", "both"};

const char *cp_prune_method_name(cp_prune_method m)
{
    return (unsigned)m < CP_PRUNE_METHOD_COUNT ? method_names[m] : "?";
}

int cp_prune_method_parse(const char *s, cp_prune_method *out)
{
    for (int i = 0; i < CP_PRUNE_METHOD_COUNT; i++)
        if (!strcmp(s, method_names[i])) {
            *out = (cp_prune_method)i;
            return 0;
        }
    return -1;
}

const char *cp_prune_target_name(cp_prune_target t)
{
    return (unsigned)t < CP_TARGET_COUNT ? target_names[t] : "?";
}

int cp_prune_target_parse(const char *s, cp_prune_target *out)
{
    static const char *shortn[] = {"w", "b", "wb"};
    for (int i = 0; i < CP_TARGET_COUNT; i++)
        if (!strcmp(s, target_names[i]) || !strcmp(s, shortn[i])) {
            *out = (cp_prune_target)i;
            return 0;
        }
    return -1;
}

int64_t cp_keep_count(double keep, int64_t n)
{
    double k = rint(keep * (double)n);
    if (!(k > 0)) return 0;
    if (k >= (double)n) return n;
    return (int64_t)k;
}

uint64_t cp_mix_seed(uint64_t seed, uint64_t index)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int64_t cp_count_nonzero(const float *x, int64_t n)
{
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) c += x[i] != 0.0f;
    return c;
}

static int check_keep(double keep, em_error *err)
{
    if (!(keep >= 0 && keep <= 1))
        return em_fail(err, EM_EINVAL, "prune: keep ratio %g is outside [0, 1]", keep);
    return EM_OK;
}

static int check_finite(const cp_tensor_ref *t, em_error *err)
{
    for (int64_t i = 0; i < t->n; i++)
        if (!isfinite(t->data[i]))
            return em_fail(err, EM_EINVAL, "prune: tensor '%s' holds a non-finite value at index %lld",
                           t->name ? t->name : "?", (long long)i);
    return EM_OK;
}

/* The value of ascending rank r (0-based) of a[0..n), reordering a. Three-way
 * partition around a median-of-three pivot, so runs of equal keys cost nothing. */
static float select_rank(float *a, int64_t n, int64_t r)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        float x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi];
        float p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int64_t lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            if (a[i] < p) {
                float t = a[i]; a[i] = a[lt]; a[lt] = t;
                lt++, i++;
            } else if (a[i] > p) {
                float t = a[i]; a[i] = a[gt]; a[gt] = t;
                gt--;
            } else {
                i++;
            }
        }
        if (r < lt) hi = lt - 1;
        else if (r > gt) lo = gt + 1;
        else return p;
    }
    return a[lo];
}

static inline float l1_key(const cp_tensor_ref *t, int64_t i)
{
    return t->mask && t->mask[i] == 0.0f ? -1.0f : fabsf(t->data[i]);
}

int cp_l1_masks(const cp_tensor_ref *t, int count, double keep, int64_t *kept, em_error *err)
{
    int rc = check_keep(keep, err);
    if (rc) return rc;
    int64_t total = 0;
    for (int j = 0; j < count; j++) {
        if ((rc = check_finite(&t[j], err))) return rc;
        total += t[j].n;
    }
    int64_t k = cp_keep_count(keep, total);
    if (kept) *kept = k;
    if (k == 0 || k == total) {
        for (int j = 0; j < count; j++)
            for (int64_t i = 0; i < t[j].n; i++) t[j].out_mask[i] = k ? 1.0f : 0.0f;
        return EM_OK;
    }
    float *keys = malloc(sizeof *keys * (size_t)total);
    if (!keys) return em_fail(err, EM_ENOMEM, "prune: out of memory (%lld keys)", (long long)total);
    int64_t at = 0;
    for (int j = 0; j < count; j++)
        for (int64_t i = 0; i < t[j].n; i++) keys[at++] = l1_key(&t[j], i);
    float th = select_rank(keys, total, total - k); /* the k-th largest key */
    free(keys);
    int64_t above = 0;
    for (int j = 0; j < count; j++)
        for (int64_t i = 0; i < t[j].n; i++) above += l1_key(&t[j], i) > th;
    int64_t ties = k - above; /* equal keys to keep, lowest flat index first */
    for (int j = 0; j < count; j++)
        for (int64_t i = 0; i < t[j].n; i++) {
            float key = l1_key(&t[j], i);
            bool keep_it = key > th || (key == th && ties > 0);
            if (key == th && ties > 0) ties--;
            t[j].out_mask[i] = keep_it ? 1.0f : 0.0f;
        }
    return EM_OK;
}

int cp_random_mask(const cp_tensor_ref *t, double keep, uint64_t seed, int64_t *kept,
                   em_error *err)
{
    int rc = check_keep(keep, err);
    if (!rc) rc = check_finite(t, err);
    if (rc) return rc;
    if (t->n > (int64_t)UINT32_MAX)
        return em_fail(err, EM_EINVAL, "prune: tensor '%s' too large for random pruning", t->name);
    int64_t k = cp_keep_count(keep, t->n);
    if (kept) *kept = k;
    uint32_t *perm = malloc(sizeof *perm * (size_t)(t->n ? t->n : 1));
    if (!perm) return em_fail(err, EM_ENOMEM, "prune: out of memory");
    for (int64_t i = 0; i < t->n; i++) perm[i] = (uint32_t)i;
    em_rng r;
    em_rng_seed(&r, seed);
    em_rng_shuffle_u32(&r, perm, (uint32_t)t->n);
    for (int64_t i = 0; i < t->n; i++) t->out_mask[i] = 0.0f;
    int64_t left = k;
    for (int pass = 0; pass < 2 && left > 0; pass++)  /* unmasked entries first */
        for (int64_t i = 0; i < t->n && left > 0; i++) {
            uint32_t e = perm[i];
            bool was_kept = !t->mask || t->mask[e] != 0.0f;
            if (was_kept == (pass == 0) && t->out_mask[e] == 0.0f) {
                t->out_mask[e] = 1.0f;
                left--;
            }
        }
    free(perm);
    return EM_OK;
}

nn_param *cp_layer_param(nn_net *net, int layer, bool is_bias)
{
    const nn_arch *a = nn_net_arch(net);
    if (layer < 0 || layer >= a->n_layers || !nn_layer_is_compute(&a->layers[layer])) return NULL;
    char name[2 * NN_NAME_MAX];
    snprintf(name, sizeof name, "%s.%s", a->layers[layer].name, is_bias ? "bias" : "weight");
    return nn_net_find_param(net, name);
}

static int check_layer(nn_net *net, int layer, em_error *err)
{
    const nn_arch *a = nn_net_arch(net);
    if (layer < 0 || layer >= a->n_layers)
        return em_fail(err, EM_EINVAL, "prune: layer index %d out of range (model %s has %d layers)",
                       layer, a->name, a->n_layers);
    if (!nn_layer_is_compute(&a->layers[layer]))
        return em_fail(err, EM_EINVAL, "prune: layer '%s' of %s is a %s, not conv or linear",
                       a->layers[layer].name, a->name, nn_layer_kind_name(a->layers[layer].kind));
    return EM_OK;
}

static int install(nn_net *net, cp_tensor_ref *t, int count, em_error *err)
{
    for (int j = 0; j < count; j++) {
        int rc = nn_net_set_mask(net, t[j].name, t[j].out_mask, err);
        if (rc) return rc;
    }
    return EM_OK;
}

/* Collects the tensors a target names in one layer into t (up to 2); returns count. */
static int layer_refs(nn_net *net, int layer, cp_prune_target target, cp_tensor_ref *t)
{
    int c = 0;
    for (int b = 0; b < 2; b++) {
        if ((b == 0 && target == CP_TARGET_BIASES) || (b == 1 && target == CP_TARGET_WEIGHTS))
            continue;
        nn_param *p = cp_layer_param(net, layer, b == 1);
        if (!p) continue;
        t[c] = (cp_tensor_ref){p->name, p->data, p->mask, p->numel, NULL};
        c++;
    }
    return c;
}

static int alloc_masks(cp_tensor_ref *t, int count, em_error *err)
{
    for (int j = 0; j < count; j++) {
        t[j].out_mask = malloc(sizeof(float) * (size_t)(t[j].n ? t[j].n : 1));
        if (!t[j].out_mask) return em_fail(err, EM_ENOMEM, "prune: out of memory");
    }
    return EM_OK;
}

static void free_masks(cp_tensor_ref *t, int count)
{
    for (int j = 0; j < count; j++) free(t[j].out_mask);
}

int cp_prune_layer(nn_net *net, int layer, cp_prune_method method, cp_prune_target target,
                   double keep, uint64_t seed, em_error *err)
{
    int rc = check_layer(net, layer, err);
    if (!rc) rc = check_keep(keep, err);
    if (rc || method == CP_PRUNE_NONE) return rc;
    if ((unsigned)method >= CP_PRUNE_METHOD_COUNT || (unsigned)target >= CP_TARGET_COUNT)
        return em_fail(err, EM_EINVAL, "prune: bad method or target");
    cp_tensor_ref t[2] = {{0}};
    int count = layer_refs(net, layer, target, t);
    rc = alloc_masks(t, count, err);
    /* Weights and biases are ranked separately: their scales differ. */
    for (int j = 0; j < count && !rc; j++) {
        if (method == CP_PRUNE_L1) rc = cp_l1_masks(&t[j], 1, keep, NULL, err);
        else rc = cp_random_mask(&t[j], keep, cp_mix_seed(seed, (uint64_t)j), NULL, err);
    }
    if (!rc) rc = install(net, t, count, err);
    free_masks(t, count);
    return rc;
}

int cp_prune_global_l1(nn_net *net, const bool *use, cp_prune_target target, double keep,
                       em_error *err)
{
    int rc = check_keep(keep, err);
    if (rc) return rc;
    const nn_arch *a = nn_net_arch(net);
    cp_tensor_ref *t = calloc((size_t)2 * (size_t)a->n_layers + 1, sizeof *t);
    if (!t) return em_fail(err, EM_ENOMEM, "prune: out of memory");
    int count = 0;
    for (int i = 0; i < a->n_layers; i++) {
        if (!nn_layer_is_compute(&a->layers[i]) || (use && !use[i])) continue;
        count += layer_refs(net, i, target, t + count);
    }
    rc = alloc_masks(t, count, err);
    if (!rc && count) rc = cp_l1_masks(t, count, keep, NULL, err);
    if (!rc) rc = install(net, t, count, err);
    free_masks(t, count);
    free(t);
    return rc;
}
