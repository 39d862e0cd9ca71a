/* nn/net.c: the network: parameters and buffers, the layer graph (the forward and
 * backward walks that dispatch to each layer kind's nn/layer_*.c), masks,
 * workspaces, the eval paths, the loss, and the threading.
 *
 * Each layer owns an output tensor and (once backward has run) a gradient tensor.
 * A layer may instead alias its source's output: flatten always, dropout in eval
 * mode, a ReLU fused into its source (the source applies max(0, .) itself when the
 * ReLU is its only consumer), and a BN folded into its conv. Backward zeroes the
 * gradient tensors, then walks the layers in reverse; every layer adds its input
 * gradient into its source's gradient tensor, which is how residual adds and
 * layers with several consumers accumulate.
 *
 * Threads: every parallel loop runs over a partition of the work that does not
 * depend on the thread count (images, image x column chunks, channels, fixed GEMM
 * blocks), and weight gradients of convs are reduced over NN_SLOTS fixed slices of
 * the batch in a fixed order. Where a partition must be fine enough to give every
 * thread work (few images), it is cut for NN_SPLIT_WIDTH threads, whatever the
 * real count: so every GEMM has the same shape and operands with 1 or 64 threads,
 * and the results are bit-identical whichever kernel OpenBLAS picks (its kernels
 * may round a column differently depending on where the GEMM's edge falls). The
 * eval path (image by image or layer by layer) is chosen from the batch size, never
 * the thread count. OpenBLAS runs single-threaded inside (the program sets it:
 * nn/net.h). */
#include "nn/net.h"

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "nn/net_internal.h"
#include "nn/nn_internal.h"
#include "nn/tensor.h"

/* ---- construction ------------------------------------------------------------ */

static int shape_numel(nn_shape s) { return s.c * s.h * s.w; }

static const float *src_out(const nn_net *net, int src)
{
    return src == NN_INPUT_SRC ? net->input.data : net->L[src].y;
}

static void add_param(nn_param *p, int *k, int layer, const char *lname, const char *suffix,
                      bool trainable, bool is_weight, int ndim, const int *shape)
{
    nn_param *q = &p[(*k)++];
    memset(q, 0, sizeof *q);
    snprintf(q->name, sizeof q->name, "%s.%s", lname, suffix);
    q->layer = layer;
    q->trainable = trainable;
    q->is_weight = is_weight;
    q->ndim = ndim;
    q->numel = 1;
    for (int i = 0; i < 4; i++) {
        q->shape[i] = i < ndim ? shape[i] : 1;
        q->numel *= q->shape[i];
    }
}

/* Lists the parameters of every layer (count only when p is NULL). */
static int list_params(const nn_arch *a, nn_param *p)
{
    nn_param dummy[4];
    int k = 0;
    for (int i = 0; i < a->n_layers; i++) {
        const nn_layer_spec *l = &a->layers[i];
        nn_param *dst = p ? p : dummy;
        int kk = p ? k : 0;
        if (l->kind == NN_L_CONV) {
            int sh[4] = {l->out_channels, l->in.c / l->groups, l->kh, l->kw};
            add_param(dst, &kk, i, l->name, "weight", true, true, 4, sh);
            if (l->bias) add_param(dst, &kk, i, l->name, "bias", true, false, 1, sh);
        } else if (l->kind == NN_L_LINEAR) {
            int sh[2] = {l->out_channels, shape_numel(l->in)};
            add_param(dst, &kk, i, l->name, "weight", true, true, 2, sh);
            if (l->bias) add_param(dst, &kk, i, l->name, "bias", true, false, 1, sh);
        } else if (l->kind == NN_L_BN) {
            int sh[1] = {l->in.c};
            add_param(dst, &kk, i, l->name, "weight", true, false, 1, sh);
            add_param(dst, &kk, i, l->name, "bias", true, false, 1, sh);
            add_param(dst, &kk, i, l->name, "running_mean", false, false, 1, sh);
            add_param(dst, &kk, i, l->name, "running_var", false, false, 1, sh);
        }
        k = p ? kk : k + kk;
    }
    return k;
}

static int copy_arch(nn_arch *dst, const nn_arch *src)
{
    *dst = *src;
    dst->layers = malloc((size_t)src->n_layers * sizeof *src->layers);
    dst->path = src->path ? strdup(src->path) : NULL;
    if (!dst->layers || (src->path && !dst->path)) {
        free(dst->layers);
        free(dst->path);
        return -1;
    }
    memcpy(dst->layers, src->layers, (size_t)src->n_layers * sizeof *src->layers);
    return 0;
}

static bool same_shape(nn_shape a, nn_shape b) { return a.c == b.c && a.h == b.h && a.w == b.w; }

/* The engine indexes memory by the arch's shapes, so an arch built by hand (not by
 * nn_arch_load, which checks all this) is checked again before it is trusted. */
static int check_arch(const nn_arch *a, em_error *err)
{
    if (a->n_layers <= 0 || !a->layers)
        return em_fail(err, EM_EINVAL, "network '%s': no layers", a->name);
    if (a->input.c <= 0 || a->input.h <= 0 || a->input.w <= 0)
        return em_fail(err, EM_EINVAL, "network '%s': bad input shape", a->name);
    for (int i = 0; i < a->n_layers; i++) {
        const nn_layer_spec *l = &a->layers[i];
        nn_shape o = l->in;
        int nsrc = l->kind == NN_L_ADD ? 2 : 1;
        if (l->kind < 0 || l->kind >= NN_L_KIND_COUNT || l->nsrc != nsrc)
            return em_fail(err, EM_EINVAL, "layer '%s': bad kind or source count", l->name);
        for (int k = 0; k < nsrc; k++) {
            int s = l->src[k];
            if (s < NN_INPUT_SRC || s >= i)
                return em_fail(err, EM_EINVAL, "layer '%s': source %d is not an earlier layer",
                               l->name, s);
            nn_shape ss = s == NN_INPUT_SRC ? a->input : a->layers[s].out;
            if (!same_shape(ss, l->in))
                return em_fail(err, EM_EINVAL, "layer '%s': input shape does not match its "
                               "source", l->name);
        }
        switch (l->kind) {
        case NN_L_CONV:
            if (l->groups <= 0 || l->in.c % l->groups || l->out_channels % l->groups ||
                l->stride <= 0 || l->pad < 0 || l->kh <= 0 || l->kw <= 0)
                return em_fail(err, EM_EINVAL, "layer '%s': bad conv parameters", l->name);
            /* fallthrough */
        case NN_L_MAXPOOL:
        case NN_L_AVGPOOL:
            if (l->stride <= 0 || l->pad < 0 || l->kh <= 0 || l->kw <= 0 ||
                l->in.h + 2 * l->pad < l->kh || l->in.w + 2 * l->pad < l->kw ||
                (l->kind != NN_L_CONV && (2 * l->pad > l->kh || 2 * l->pad > l->kw)))
                return em_fail(err, EM_EINVAL, "layer '%s': bad window", l->name);
            o.h = (l->in.h + 2 * l->pad - l->kh) / l->stride + 1;
            o.w = (l->in.w + 2 * l->pad - l->kw) / l->stride + 1;
            if (l->kind == NN_L_CONV) o.c = l->out_channels;
            break;
        case NN_L_LINEAR: o = (nn_shape){l->out_channels, 1, 1}; break;
        case NN_L_GAP: o.h = o.w = 1; break;
        case NN_L_FLATTEN: o = (nn_shape){l->in.c * l->in.h * l->in.w, 1, 1}; break;
        case NN_L_DROPOUT:
            if (!(l->dropout >= 0.0 && l->dropout < 1.0))
                return em_fail(err, EM_EINVAL, "layer '%s': dropout p must be in [0, 1)",
                               l->name);
            break;
        case NN_L_BN:
            if (!(l->bn_eps > 0.0) || !(l->bn_momentum >= 0.0 && l->bn_momentum <= 1.0))
                return em_fail(err, EM_EINVAL, "layer '%s': bad BN eps or momentum", l->name);
            break;
        default: break;
        }
        if (o.c <= 0 || o.h <= 0 || o.w <= 0 || !same_shape(o, l->out))
            return em_fail(err, EM_EINVAL, "layer '%s': output shape does not follow from its "
                           "input and parameters", l->name);
    }
    nn_shape last = a->layers[a->n_layers - 1].out;
    if (last.c * last.h * last.w != a->classes)
        return em_fail(err, EM_EINVAL, "network '%s': last layer gives %d outputs, classes is %d",
                       a->name, last.c * last.h * last.w, a->classes);
    return EM_OK;
}

int nn_net_new(const nn_arch *arch, nn_net **out, em_error *err)
{
    *out = NULL;
    if (!arch) return em_fail(err, EM_EINVAL, "nn_net_new: no architecture");
    int rc = check_arch(arch, err);
    if (rc) return rc;
    nn_net *net = calloc(1, sizeof *net);
    if (!net) return em_fail(err, EM_ENOMEM, "out of memory");
    if (copy_arch(&net->arch, arch)) {
        free(net);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    const nn_arch *a = &net->arch;
    int nl = a->n_layers;
    net->L = calloc((size_t)nl, sizeof *net->L);
    net->n_params = list_params(a, NULL);
    net->params = calloc((size_t)(net->n_params ? net->n_params : 1), sizeof *net->params);
    if (!net->L || !net->params) goto oom;
    list_params(a, net->params);

    /* One arena for data, one for gradients (buffers get no gradient). */
    size_t total = 0;
    for (int i = 0; i < net->n_params; i++) total += (size_t)net->params[i].numel;
    net->arena_data = nn_alloc_floats(total);
    net->arena_grad = nn_alloc_floats(total);
    if (!net->arena_data || !net->arena_grad) goto oom;
    size_t off = 0;
    for (int i = 0; i < net->n_params; i++) {
        nn_param *p = &net->params[i];
        p->data = net->arena_data + off;
        p->grad = p->trainable ? net->arena_grad + off : NULL;
        off += (size_t)p->numel;
        layer_rt *L = &net->L[p->layer];
        const char *suffix = strrchr(p->name, '.') + 1;
        if (!strcmp(suffix, "weight")) L->w = p;
        else if (!strcmp(suffix, "bias")) L->b = p;
        else if (!strcmp(suffix, "running_mean")) L->rm = p;
        else L->rv = p;
    }

    size_t max_kn = 0, max_slot = 0;
    for (int i = 0; i < nl; i++) {
        layer_rt *L = &net->L[i];
        const nn_layer_spec *s = &a->layers[i];
        L->s = s;
        L->in_size = shape_numel(s->in);
        L->out_size = shape_numel(s->out);
        for (int k = 0; k < s->nsrc; k++)
            if (s->src[k] >= 0) net->L[s->src[k]].consumers++;
        if (s->kind == NN_L_CONV) {
            nn_conv_geom_init(&L->g, s->in.c, s->in.h, s->in.w, s->out_channels, s->kh, s->kw,
                              s->stride, s->pad, s->groups);
            size_t cols = (size_t)(L->g.N > NN_BATCH_COLS ? L->g.N : NN_BATCH_COLS);
            size_t kn = (size_t)L->g.K * cols, tn = (size_t)L->g.cog * NN_BATCH_COLS;
            if (nn_wino_eligible(&L->g) && nn_wino_ws_floats(&L->g, NN_WINO_TILES) > kn)
                kn = nn_wino_ws_floats(&L->g, NN_WINO_TILES);
            if (nn_wino_eligible(&L->g) && L->g.pad <= 2) {
                L->has_gd = true;
                nn_wino_dx_geom(&L->g, &L->gd);
                if (nn_wino_ws_floats(&L->gd, NN_WINO_TILES) > kn)
                    kn = nn_wino_ws_floats(&L->gd, NN_WINO_TILES);
            }
            if (kn > max_kn) max_kn = kn;
            if (tn > net->tmp_floats) net->tmp_floats = tn;
            size_t slot = (size_t)L->w->numel + (size_t)s->out_channels;
            if (slot > max_slot) max_slot = slot;
        }
        if (s->kind == NN_L_BN) {
            L->bn_mean = nn_alloc_floats((size_t)s->in.c);
            L->bn_invstd = nn_alloc_floats((size_t)s->in.c);
            L->bn_a = nn_alloc_floats((size_t)s->in.c);
            L->bn_b = nn_alloc_floats((size_t)s->in.c);
            if (!L->bn_mean || !L->bn_invstd || !L->bn_a || !L->bn_b) goto oom;
        }
        L->img_off = net->img_floats;
        net->img_floats += ((size_t)L->out_size + 15) & ~(size_t)15;
    }
    net->L[nl - 1].consumers++; /* the logits */
    /* ReLU fusion: a ReLU that is the only consumer of a conv, linear, BN or add. */
    for (int i = 0; i < nl; i++) {
        const nn_layer_spec *s = &a->layers[i];
        if (s->kind != NN_L_RELU || s->src[0] < 0) continue;
        layer_rt *src = &net->L[s->src[0]];
        nn_layer_kind k = src->s->kind;
        if (src->consumers == 1 &&
            (k == NN_L_CONV || k == NN_L_LINEAR || k == NN_L_BN || k == NN_L_ADD))
            src->relu = true;
    }
    net->col_floats = max_kn;
    net->weight_bytes = 4.0 * (double)nn_arch_weight_count(a);
    net->slot_stride = (max_slot + 15) & ~(size_t)15;
    net->threads = 0;
    em_rng_seed(&net->drop_rng, 0);
    nn_net_init(net, 0);
    *out = net;
    return EM_OK;
oom:
    nn_net_free(net);
    return em_fail(err, EM_ENOMEM, "out of memory building network '%s'", arch->name);
}

static void free_workspace(nn_net *net)
{
    for (int t = 0; t < net->ws_threads; t++) {
        nn_free_floats(net->col[t]);
        nn_free_floats(net->dcol[t]);
        nn_free_floats(net->tmp[t]);
    }
    free(net->col);
    free(net->dcol);
    free(net->tmp);
    net->col = net->dcol = net->tmp = NULL;
    net->ws_threads = 0;
}

void nn_net_free(nn_net *net)
{
    if (!net) return;
    if (net->L)
        for (int i = 0; i < net->arch.n_layers; i++) {
            layer_rt *L = &net->L[i];
            nn_free_floats(L->out.data);
            nn_free_floats(L->dout.data);
            nn_free_floats(L->bn_mean);
            nn_free_floats(L->bn_invstd);
            nn_free_floats(L->bn_a);
            nn_free_floats(L->bn_b);
            nn_free_floats(L->drop);
            nn_free_floats(L->shift);
            nn_free_floats(L->wino_u);
            nn_free_floats(L->wino_ud);
        }
    if (net->params)
        for (int i = 0; i < net->n_params; i++) free(net->params[i].mask);
    free_workspace(net);
    for (int t = 0; t < net->img_threads; t++) nn_free_floats(net->img_acts[t]);
    free(net->img_acts);
    free(net->img_y);
    nn_free_floats(net->slots);
    nn_free_floats(net->input.data);
    nn_free_floats(net->dinput.data);
    nn_free_floats(net->arena_data);
    nn_free_floats(net->arena_grad);
    free(net->params);
    free(net->L);
    free(net->arch.layers);
    free(net->arch.path);
    free(net);
}

const nn_arch *nn_net_arch(const nn_net *net) { return &net->arch; }
int nn_net_param_count(const nn_net *net) { return net->n_params; }

nn_param *nn_net_param(nn_net *net, int i)
{
    return i >= 0 && i < net->n_params ? &net->params[i] : NULL;
}

nn_param *nn_net_find_param(nn_net *net, const char *name)
{
    for (int i = 0; i < net->n_params; i++)
        if (!strcmp(net->params[i].name, name)) return &net->params[i];
    return NULL;
}

int64_t nn_net_trainable_numel(const nn_net *net)
{
    int64_t s = 0;
    for (int i = 0; i < net->n_params; i++)
        if (net->params[i].trainable) s += net->params[i].numel;
    return s;
}

void nn_net_init(nn_net *net, uint64_t seed)
{
    em_rng r;
    em_rng_seed(&r, seed);
    for (int i = 0; i < net->n_params; i++) {
        nn_param *p = &net->params[i];
        const nn_layer_spec *s = &net->arch.layers[p->layer];
        const char *suffix = strrchr(p->name, '.') + 1;
        if (s->kind == NN_L_BN) {
            float v = (!strcmp(suffix, "weight") || !strcmp(suffix, "running_var")) ? 1.0f : 0.0f;
            for (int64_t j = 0; j < p->numel; j++) p->data[j] = v;
            continue;
        }
        int fan_in = s->kind == NN_L_CONV ? (s->in.c / s->groups) * s->kh * s->kw
                                          : shape_numel(s->in);
        double bound = 1.0 / sqrt((double)fan_in);
        for (int64_t j = 0; j < p->numel; j++)
            p->data[j] = (float)((2.0 * em_rng_uniform(&r) - 1.0) * bound);
    }
    nn_net_apply_masks(net);
}

void nn_net_seed_dropout(nn_net *net, uint64_t seed) { em_rng_seed(&net->drop_rng, seed); }

void nn_net_set_threads(nn_net *net, int threads) { net->threads = threads > 0 ? threads : 0; }

int nn_net_threads(const nn_net *net)
{
    if (net->threads > 0) return net->threads;
    int n = omp_get_num_procs();
    return n > 0 ? n : 1;
}

static int forward_layerwise(nn_net *net, int n, bool train, int T, em_error *err);

static int recompute_activations(nn_net *net, em_error *err)
{
    if (!net->acts_stale) return EM_OK;
    nn_bn_layer_eval_prepare(net);
    if (nn_conv_layer_wino_prepare(net, net->batch, nn_net_threads(net)))
        return em_fail(err, EM_ENOMEM, "forward: out of memory");
    return forward_layerwise(net, net->batch, false, nn_net_threads(net), err);
}

const float *nn_net_layer_output(const nn_net *net, int layer)
{
    if (layer < 0 || layer >= net->arch.n_layers || net->batch == 0) return NULL;
    /* The handle is the caller's; recomputing cached activations changes no result. */
    nn_net *mut = (nn_net *)net;
    if (recompute_activations(mut, NULL)) return NULL;
    return net->L[layer].y;
}

bool nn_net_is_folded(const nn_net *net) { return net->folded; }

const float *nn_net_conv_shift(const nn_net *net, int layer)
{
    if (layer < 0 || layer >= net->arch.n_layers) return NULL;
    return net->L[layer].s->kind == NN_L_CONV ? net->L[layer].shift : NULL;
}

bool nn_net_bn_folded(const nn_net *net, int layer)
{
    if (layer < 0 || layer >= net->arch.n_layers) return false;
    return net->L[layer].s->kind == NN_L_BN && net->L[layer].folded;
}

void nn_net_set_keep_activations(nn_net *net, bool keep) { net->keep_acts = keep; }

bool nn_net_keep_activations(const nn_net *net) { return net->keep_acts; }

/* ---- internal invariants (assert: compiled out with NDEBUG) -------------------- */

#ifndef NDEBUG
/* What nn_net_new established and every later call keeps: each layer's sizes are
 * its spec's shapes and its sources' outputs, a conv's geometry and weight tensor
 * match its spec, and every mask is on a trainable tensor and holds only 0 and 1 (a
 * masked weight may be non-zero between an update and nn_net_apply_masks). */
static bool layer_consistent(const nn_net *net, const layer_rt *L)
{
    const nn_layer_spec *s = L->s;
    if (L->in_size != shape_numel(s->in) || L->out_size != shape_numel(s->out)) return false;
    for (int k = 0; k < s->nsrc; k++) {
        const int src = s->src[k];
        const int have =
            src == NN_INPUT_SRC ? shape_numel(net->arch.input) : net->L[src].out_size;
        if (src >= (int)(L - net->L) || have != L->in_size) return false;
    }
    if (s->kind != NN_L_CONV) return true;
    const nn_conv_geom *g = &L->g;
    return g->ci == s->in.c && g->co == s->out.c && g->ho == s->out.h && g->wo == s->out.w &&
           L->w && L->w->numel == (int64_t)g->co * g->cig * g->kh * g->kw;
}

static bool masks_consistent(const nn_net *net)
{
    for (int i = 0; i < net->n_params; i++) {
        const nn_param *p = &net->params[i];
        if (!p->mask) continue;
        if (!p->trainable) return false;
        for (int64_t j = 0; j < p->numel; j++)
            if (p->mask[j] != 0.0f && p->mask[j] != 1.0f) return false;
    }
    return true;
}

static bool net_consistent(const nn_net *net)
{
    if (net->arch.n_layers < 1 || net->L[net->arch.n_layers - 1].out_size != net->arch.classes)
        return false;
    for (int i = 0; i < net->arch.n_layers; i++)
        if (net->L[i].s != &net->arch.layers[i] || !layer_consistent(net, &net->L[i]))
            return false;
    return masks_consistent(net);
}
#endif

/* ---- masks ------------------------------------------------------------------- */

int nn_net_set_mask(nn_net *net, const char *name, const float *mask, em_error *err)
{
    nn_param *p = nn_net_find_param(net, name);
    if (!p) return em_fail(err, EM_EINVAL, "mask: network '%s' has no tensor '%s'",
                           net->arch.name, name);
    if (!p->trainable)
        return em_fail(err, EM_EINVAL, "mask: '%s' is a buffer, not a trainable tensor", name);
    if (!mask) {
        free(p->mask);
        p->mask = NULL;
        return EM_OK;
    }
    for (int64_t j = 0; j < p->numel; j++)
        if (mask[j] != 0.0f && mask[j] != 1.0f)
            return em_fail(err, EM_EINVAL, "mask for '%s': entry %lld is %g, not 0 or 1", name,
                           (long long)j, (double)mask[j]);
    if (!p->mask) {
        p->mask = malloc((size_t)p->numel * sizeof(float));
        if (!p->mask) return em_fail(err, EM_ENOMEM, "out of memory");
    }
    memcpy(p->mask, mask, (size_t)p->numel * sizeof(float));
    for (int64_t j = 0; j < p->numel; j++)
        if (p->mask[j] == 0.0f) p->data[j] = 0.0f;
    return EM_OK;
}

void nn_net_clear_masks(nn_net *net)
{
    for (int i = 0; i < net->n_params; i++) {
        free(net->params[i].mask);
        net->params[i].mask = NULL;
    }
}

void nn_net_apply_masks(nn_net *net)
{
    for (int i = 0; i < net->n_params; i++) {
        nn_param *p = &net->params[i];
        if (!p->mask) continue;
        for (int64_t j = 0; j < p->numel; j++)
            if (p->mask[j] == 0.0f) p->data[j] = 0.0f;
    }
}

static void mask_grads(nn_net *net)
{
    for (int i = 0; i < net->n_params; i++) {
        nn_param *p = &net->params[i];
        if (!p->mask || !p->grad) continue;
        for (int64_t j = 0; j < p->numel; j++)
            if (p->mask[j] == 0.0f) p->grad[j] = 0.0f;
    }
}

void nn_net_zero_grad(nn_net *net)
{
    for (int i = 0; i < net->n_params; i++) {
        nn_param *p = &net->params[i];
        if (p->grad) memset(p->grad, 0, (size_t)p->numel * sizeof(float));
    }
}

/* ---- workspaces -------------------------------------------------------------- */

static int ensure_workspace(nn_net *net, int T, bool backward)
{
    if (net->ws_threads < T) {
        float **col = calloc((size_t)T, sizeof *col), **dcol = calloc((size_t)T, sizeof *dcol);
        float **tmp = calloc((size_t)T, sizeof *tmp);
        if (!col || !dcol || !tmp) {
            free(col);
            free(dcol);
            free(tmp);
            return -1;
        }
        for (int t = 0; t < net->ws_threads; t++) {
            col[t] = net->col[t];
            dcol[t] = net->dcol[t];
            tmp[t] = net->tmp[t];
        }
        free(net->col);
        free(net->dcol);
        free(net->tmp);
        net->col = col;
        net->dcol = dcol;
        net->tmp = tmp;
        net->ws_threads = T;
    }
    for (int t = 0; t < T; t++) {
        if (!net->col[t] && !(net->col[t] = nn_alloc_floats(net->col_floats))) return -1;
        if (!net->tmp[t] && !(net->tmp[t] = nn_alloc_floats(net->tmp_floats))) return -1;
        if (backward && !net->dcol[t] && !(net->dcol[t] = nn_alloc_floats(net->col_floats)))
            return -1;
    }
    if (backward && !net->slots && net->slot_stride) {
        net->slots = nn_alloc_floats(NN_SLOTS * net->slot_stride);
        if (!net->slots) return -1;
    }
    return 0;
}

/* Threads for one layer: small layers run on the calling thread, since waking a
 * team costs more than they do (and far more when the cores are oversubscribed). */
static double layer_work(const layer_rt *L)
{
    return (double)nn_layer_macs(L->s) + L->in_size + L->out_size;
}

static int layer_team(const layer_rt *L, int n, int T)
{
    return (double)n * layer_work(L) >= NN_PAR_MIN_WORK ? T : 1;
}

static int grow_tensor(nn_tensor *t, int n, int size)
{
    return nn_tensor_reshape(t, n, size, 1, 1);
}

/* ---- forward ------------------------------------------------------------------ */

/* Layers whose output is their source's in this mode. */
static bool is_alias(const nn_net *net, const layer_rt *L, bool train)
{
    const nn_layer_spec *s = L->s;
    return s->kind == NN_L_FLATTEN || (s->kind == NN_L_DROPOUT && !train) ||
           (s->kind == NN_L_BN && L->folded) ||
           (s->kind == NN_L_RELU && s->src[0] >= 0 && net->L[s->src[0]].relu);
}

/* One layer on n images: in (and in2 for add) to y, its work cut for W threads (the
 * split width) and run by T; when T == 1 the calling thread uses workspace t1. */
static int run_layer(nn_net *net, layer_rt *L, const float *in, const float *in2, float *y,
                     int n, bool train, int W, int T, int t1, em_error *err)
{
    const nn_layer_spec *s = L->s;
    const size_t count = (size_t)n * L->out_size;
    assert(in && y && n > 0 && W >= 1 && T >= 1 && (s->kind == NN_L_ADD) == (in2 != NULL));
    switch (s->kind) {
    case NN_L_CONV: nn_conv_layer_forward(net, L, in, y, n, W, T, t1); break;
    case NN_L_LINEAR: nn_linear_layer_forward(L, in, y, n, T); break;
    case NN_L_RELU: nn_ew_layer_forward(in, NULL, y, count, true, T); break;
    case NN_L_RELU6: nn_relu6_layer_forward(in, y, count, T); break;
    case NN_L_MAXPOOL:
    case NN_L_AVGPOOL: nn_pool_layer_forward(L, in, y, n, T); break;
    case NN_L_GAP: nn_gap_layer_forward(L, in, y, n, T); break;
    case NN_L_BN: return nn_bn_layer_forward(L, in, y, n, train, T, err);
    case NN_L_ADD: nn_ew_layer_forward(in, in2, y, count, L->relu, T); break;
    case NN_L_DROPOUT:
        if (nn_dropout_layer_forward(net, L, in, y, count))
            return em_fail(err, EM_ENOMEM, "forward: out of memory at '%s'", s->name);
        break;
    default:
        return em_fail(err, EM_EINTERNAL, "forward: layer '%s' of unknown kind", s->name);
    }
    return EM_OK;
}

/* Layer by layer over the whole batch in net->input, keeping every activation (what
 * backward needs). Each layer spreads its own work over the threads. */
static int forward_layerwise(nn_net *net, int n, bool train, int T, em_error *err)
{
    for (int i = 0; i < net->arch.n_layers; i++) {
        layer_rt *L = &net->L[i];
        const nn_layer_spec *s = L->s;
        const float *in = src_out(net, s->src[0]);
        L->alias_src = is_alias(net, L, train);
        if (L->alias_src) {
            L->y = (float *)in;
            continue;
        }
        if (grow_tensor(&L->out, n, L->out_size))
            return em_fail(err, EM_ENOMEM, "forward: out of memory at layer '%s'", s->name);
        L->y = L->out.data;
        const float *in2 = s->kind == NN_L_ADD ? src_out(net, s->src[1]) : NULL;
        int rc = run_layer(net, L, in, in2, L->y, n, train, NN_SPLIT_WIDTH, layer_team(L, n, T),
                           0, err);
        if (rc) return rc;
    }
    net->acts_stale = false;
    return EM_OK;
}

static int ensure_image_workspace(nn_net *net, int T)
{
    if (net->img_threads >= T) return 0;
    float **acts = calloc((size_t)T, sizeof *acts);
    float **y = calloc((size_t)T * net->arch.n_layers, sizeof *y);
    if (!acts || !y) {
        free(acts);
        free(y);
        return -1;
    }
    for (int t = 0; t < T; t++)
        if (t < net->img_threads) acts[t] = net->img_acts[t];
        else if (!(acts[t] = nn_alloc_floats(net->img_floats))) {
            for (int k = net->img_threads; k < t; k++) nn_free_floats(acts[k]);
            free(acts);
            free(y);
            return -1;
        }
    free(net->img_acts);
    free(net->img_y);
    net->img_acts = acts;
    net->img_y = y;
    net->img_threads = T;
    return 0;
}

/* Eval mode, image by image: each thread runs whole images through the network with
 * its own small activation buffers, which stay in cache. The layer outputs are not
 * kept (acts_stale); backward and nn_net_layer_output recompute them if asked. */
static void forward_per_image(nn_net *net, int n, int T, float *logits)
{
    const nn_arch *a = &net->arch;
    const int nl = a->n_layers;
    const size_t isz = (size_t)shape_numel(a->input);
    for (int l = 0; l < nl; l++) net->L[l].alias_src = is_alias(net, &net->L[l], false);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        const int t = T > 1 ? omp_get_thread_num() : 0;
        float **yp = net->img_y + (size_t)t * nl;
        const float *xin = net->input.data + i * isz;
        for (int l = 0; l < nl; l++) {
            layer_rt *L = &net->L[l];
            const nn_layer_spec *s = L->s;
            const float *in = s->src[0] < 0 ? xin : yp[s->src[0]];
            if (L->alias_src) {
                yp[l] = (float *)in;
                continue;
            }
            yp[l] = net->img_acts[t] + L->img_off;
            const float *in2 = NULL;
            if (s->kind == NN_L_ADD) in2 = s->src[1] < 0 ? xin : yp[s->src[1]];
            run_layer(net, L, in, in2, yp[l], 1, false, 1, 1, t, NULL); /* eval: cannot fail */
        }
        memcpy(logits + (size_t)i * a->classes, yp[nl - 1], (size_t)a->classes * sizeof(float));
    }
    net->acts_stale = true;
}

int nn_net_forward(nn_net *net, const float *x, int n, float *logits, bool train_mode,
                   em_error *err)
{
    const nn_arch *a = &net->arch;
    assert(x && logits && net_consistent(net));
    if (n <= 0) return em_fail(err, EM_EINVAL, "forward: batch size %d must be positive", n);
    if (train_mode && net->folded)
        return em_fail(err, EM_EINVAL, "forward: network '%s' has folded batch norms and is "
                       "inference-only", a->name);
    const int T = nn_net_threads(net);
    net->batch = 0;
    if (grow_tensor(&net->input, n, shape_numel(a->input)) || ensure_workspace(net, T, false))
        return em_fail(err, EM_ENOMEM, "forward: out of memory (batch %d)", n);
    memcpy(net->input.data, x, (size_t)n * shape_numel(a->input) * sizeof(float));
    if (!train_mode) nn_bn_layer_eval_prepare(net);
    if (nn_conv_layer_wino_prepare(net, n, T))
        return em_fail(err, EM_ENOMEM, "forward: out of memory");

    /* Eval of enough images (NN_SPLIT_WIDTH, so the choice never depends on the
     * thread count), of a network whose weights stay in cache: image by image.
     * Otherwise layer by layer, with the threads sharing each layer (and each image,
     * if there are few), so each layer's weights are read once for the whole batch. */
    if (!train_mode && !net->keep_acts && n >= NN_SPLIT_WIDTH &&
        net->weight_bytes <= NN_PER_IMAGE_MAX_WEIGHT_BYTES) {
        double work = 0.0;
        for (int i = 0; i < a->n_layers; i++) work += (double)n * layer_work(&net->L[i]);
        const int TI = work >= NN_PAR_MIN_WORK ? T : 1;
        if (ensure_image_workspace(net, TI))
            return em_fail(err, EM_ENOMEM, "forward: out of memory (batch %d)", n);
        forward_per_image(net, n, TI, logits);
    } else {
        int rc = forward_layerwise(net, n, train_mode, T, err);
        if (rc) return rc;
        memcpy(logits, net->L[a->n_layers - 1].y, (size_t)n * a->classes * sizeof(float));
    }
    net->batch = n;
    net->last_train = train_mode;
    return EM_OK;
}

/* ---- backward ------------------------------------------------------------------ */

/* Where layer src's gradient goes. The first contributor to a layer's gradient
 * writes it (when its kernel can: *acc = false) or finds it zeroed; later ones add.
 * NULL when src is the input and dx was not asked for. */
static float *grad_dst(nn_net *net, int src, bool can_write, bool *acc)
{
    *acc = true;
    if (src == NN_INPUT_SRC) return net->want_dx ? net->dinput.data : NULL;
    layer_rt *S = &net->L[src];
    if (!S->dout_live) {
        if (can_write) *acc = false;
        else nn_tensor_zero(&S->dout);
        S->dout_live = true;
    }
    return S->dout.data;
}

int nn_net_backward(nn_net *net, const float *dlogits, float *dx, em_error *err)
{
    const nn_arch *a = &net->arch;
    const int n = net->batch, nl = a->n_layers;
    if (n == 0) return em_fail(err, EM_EINVAL, "backward: no forward pass to differentiate");
    assert(dlogits && net_consistent(net));
    if (net->folded)
        return em_fail(err, EM_EINVAL, "backward: network '%s' has folded batch norms and is "
                       "inference-only", a->name);
    const int T = nn_net_threads(net);
    if (ensure_workspace(net, T, true)) return em_fail(err, EM_ENOMEM, "backward: out of memory");
    int rc = recompute_activations(net, err);
    if (rc) return rc;
    for (int i = 0; i < nl; i++) {
        layer_rt *L = &net->L[i];
        if (grow_tensor(&L->dout, n, L->out_size))
            return em_fail(err, EM_ENOMEM, "backward: out of memory at layer '%s'", L->s->name);
        L->dout_live = false;
    }
    net->want_dx = dx != NULL;
    if (dx) {
        if (grow_tensor(&net->dinput, n, shape_numel(a->input)))
            return em_fail(err, EM_ENOMEM, "backward: out of memory");
        nn_tensor_zero(&net->dinput);
    }
    memcpy(net->L[nl - 1].dout.data, dlogits, (size_t)n * a->classes * sizeof(float));
    net->L[nl - 1].dout_live = true;

    for (int i = nl - 1; i >= 0; i--) {
        layer_rt *L = &net->L[i];
        const nn_layer_spec *s = L->s;
        if (!L->dout_live) continue; /* nothing downstream uses it: zero gradient */
        const float *dy = L->dout.data;
        const float *x = src_out(net, s->src[0]);
        const size_t count = (size_t)n * L->out_size;
        const int TL = layer_team(L, n, T);
        /* Kernels that scatter into their input gradient need it zeroed first. */
        const bool can_write = s->kind != NN_L_CONV && s->kind != NN_L_MAXPOOL &&
                               s->kind != NN_L_AVGPOOL;
        bool acc;
        float *dsrc = grad_dst(net, s->src[0], can_write, &acc);
        switch (s->kind) {
        case NN_L_CONV: nn_conv_layer_backward(net, L, x, dy, dsrc, n, TL); break;
        case NN_L_LINEAR: nn_linear_layer_backward(L, x, dy, dsrc, acc, n, TL); break;
        case NN_L_BN: nn_bn_layer_backward(L, x, dy, dsrc, acc, n, net->last_train, TL); break;
        case NN_L_MAXPOOL:
        case NN_L_AVGPOOL:
            if (dsrc) nn_pool_layer_backward(L, x, dy, dsrc, n, TL);
            break;
        case NN_L_GAP:
            if (dsrc) nn_gap_layer_backward(L, dy, dsrc, acc, n, TL);
            break;
        case NN_L_ADD: {
            /* the identity: the kind is add */
            if (dsrc) nn_ew_layer_backward(L, dy, dsrc, acc, count, TL);
            float *d2 = grad_dst(net, s->src[1], true, &acc);
            if (d2) nn_ew_layer_backward(L, dy, d2, acc, count, TL);
            break;
        }
        case NN_L_RELU:
        case NN_L_RELU6:
        case NN_L_FLATTEN:
        case NN_L_DROPOUT:
            if (dsrc) nn_ew_layer_backward(L, dy, dsrc, acc, count, TL);
            break;
        default:
            return em_fail(err, EM_EINTERNAL, "backward: layer '%s' of unknown kind", s->name);
        }
    }
    mask_grads(net);
    if (dx) memcpy(dx, net->dinput.data, (size_t)n * shape_numel(a->input) * sizeof(float));
    return EM_OK;
}

/* ---- loss ---------------------------------------------------------------------- */

double nn_softmax_xent(const float *logits, const int *labels, int n, int classes,
                       float *dlogits)
{
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * classes;
        if (labels[i] < 0 || labels[i] >= classes) return NAN;
        double mx = z[0];
        for (int k = 1; k < classes; k++)
            if (z[k] > mx) mx = z[k];
        double se = 0.0;
        for (int k = 0; k < classes; k++) se += exp((double)z[k] - mx);
        double lse = mx + log(se);
        total += lse - z[labels[i]];
        if (dlogits)
            for (int k = 0; k < classes; k++) {
                double pk = exp((double)z[k] - lse);
                dlogits[(size_t)i * classes + k] = (float)((pk - (k == labels[i])) / n);
            }
    }
    return total / n;
}

int nn_argmax(const float *logits, int classes)
{
    int best = 0;
    for (int k = 1; k < classes; k++)
        if (logits[k] > logits[best]) best = k;
    return best;
}
