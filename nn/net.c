/* nn/net.c: the network: parameters and buffers, the layer graph, forward and
 * backward for every layer kind, masks, BN folding, and the threading.
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
 * the thread count. OpenBLAS runs single-threaded inside. */
#include "nn/net.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "nn/nn_internal.h"
#include "nn/tensor.h"

#define EW_CHUNK 4096    /* elementwise loops: floats per chunk */
#define NN_SLOTS 8       /* fixed batch slices for conv weight-gradient reduction */
#define LIN_RB 32        /* linear: image rows per GEMM block */
#define LIN_CB 256       /* linear: output features per GEMM block */
#define NN_COL_CHUNK_FLOATS 32768 /* im2col chunk: 128 KiB, to stay in L2 */
#define NN_PER_IMAGE_MAX_WEIGHT_BYTES (8.0 * 1024 * 1024) /* per-image eval up to this */
#define NN_BATCH_COLS 256 /* layers with fewer output pixels put images side by side */
#define NN_PAR_MIN_WORK 1e6 /* MACs + elements below which a layer runs serially */
#define NN_WINO_TILES 64  /* Winograd: output tiles per work item (one GEMM width) */
#define NN_SPLIT_WIDTH 8  /* threads a fine partition is cut for (never the real count) */
#define NN_WINO_MIN_PIXELS 1024 /* Winograd only when a forward has this many output pixels */

typedef struct layer_rt {
    const nn_layer_spec *s;
    nn_conv_geom g;           /* conv only */
    int in_size, out_size;    /* floats per image */
    int consumers;            /* layers (and the logits) reading this output */
    bool relu;                /* applies max(0, .) itself: its only consumer is a ReLU */
    bool alias_src;           /* this forward, the output is the source's */
    bool folded;              /* BN folded into its conv */
    nn_param *w, *b, *rm, *rv;
    nn_tensor out, dout;
    float *y;                 /* output of the last forward */
    float *bn_mean, *bn_invstd; /* per channel, from the last forward */
    float *bn_a, *bn_b;       /* per channel: the forward's y = a*x + b */
    size_t img_off;           /* offset of the output in a per-image activation buffer */
    bool dout_live;           /* backward: dout holds this layer's gradient (else zero) */
    float *drop;              /* dropout: 0 or 1/(1-p) per element, last forward */
    float *shift;             /* conv after folding: per-channel shift */
    bool wino;                /* this forward runs the conv by Winograd F(2x2, 3x3) */
    float *wino_u;            /* its transformed weights (nn_wino_u_floats) */
    bool has_gd;              /* the input gradient is a Winograd-able conv, of geometry gd */
    nn_conv_geom gd;
    float *wino_ud;           /* gd's transformed weights, when backward used them */
} layer_rt;

struct nn_net {
    nn_arch arch;
    layer_rt *L;
    int n_params;
    nn_param *params;
    float *arena_data, *arena_grad;
    int threads; /* 0 = all cores */
    em_rng drop_rng;
    int batch;      /* batch of the last forward, 0 before any */
    bool last_train;
    bool folded;
    nn_tensor input, dinput;
    /* Workspaces: per-thread im2col buffers, and conv weight-gradient slots. */
    int ws_threads;
    float **col, **dcol, **tmp;
    size_t col_floats, tmp_floats;
    float *slots;
    size_t slot_stride; /* floats per slot */
    /* Per-image eval: per-thread activation buffers and output pointers. */
    int img_threads;
    size_t img_floats;
    float **img_acts;
    float **img_y;
    bool acts_stale; /* the last forward was per-image: layer outputs not kept */
    double weight_bytes; /* conv and linear weights */
    bool keep_acts;      /* eval forwards keep layer outputs (no per-image path) */
    bool want_dx;        /* backward: the input gradient was asked for */
};

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

static void bn_eval_prepare(nn_net *net);
static int wino_prepare(nn_net *net, int n, int T);
static int forward_layerwise(nn_net *net, int n, bool train, int T, em_error *err);

static int recompute_activations(nn_net *net, em_error *err)
{
    if (!net->acts_stale) return EM_OK;
    bn_eval_prepare(net);
    if (wino_prepare(net, net->batch, nn_net_threads(net)))
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

/* ---- forward kernels ------------------------------------------------------------ */

/* A Winograd conv of n images (nn_wino_forward): the tiles of all of them,
 * NN_WINO_TILES per work item (fewer when that leaves one of W threads idle: W is
 * the split width, NN_SPLIT_WIDTH or 1, never the thread count). T threads; with
 * T == 1 the caller's thread uses workspace t1. */
static void wino_run(nn_net *net, const nn_conv_geom *g, const float *in, const float *u,
                     const float *shift, bool relu, bool add, float *out, int n, int W, int T,
                     int t1)
{
    const long total = (long)n * nn_wino_tiles(g);
    long nt = NN_WINO_TILES;
    if (total < nt * W) nt = (total + W - 1) / W;
    const long items = (total + nt - 1) / nt;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long it = 0; it < items; it++) {
        const long from = it * nt, to = from + nt < total ? from + nt : total;
        float *ws = net->col[T > 1 ? omp_get_thread_num() : t1];
        nn_wino_forward(g, in, u, shift, relu, add, out, from, to, ws);
    }
}

/* The work is cut for W threads (the split width: NN_SPLIT_WIDTH, or 1 image by
 * image) and run by T; with T == 1 the caller's thread uses workspace t1. */
static void fwd_conv(nn_net *net, layer_rt *L, const float *x, float *y, int n, int W, int T,
                     int t1)
{
    const nn_conv_geom *g = &L->g;
    const float *w = L->w->data;
    const float *shift = L->shift ? L->shift : (L->b ? L->b->data : NULL);
    size_t isz = (size_t)L->in_size, osz = (size_t)L->out_size;
    if (g->depthwise) {
        long items = (long)n * g->co;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
        for (long it = 0; it < items; it++) {
            int i = (int)(it / g->co), c = (int)(it % g->co);
            nn_conv_forward_dw(g, x + i * isz, w, shift, L->relu, y + i * osz, c, c + 1);
        }
        return;
    }
    if (L->wino) {
        wino_run(net, g, x, L->wino_u, shift, L->relu, false, y, n, W, T, t1);
        return;
    }
    if (g->N < NN_BATCH_COLS && n > 1) {
        /* Few pixels: blocks of images per GEMM, at least one block per thread. */
        int nb = NN_BATCH_COLS / g->N, per_thread = (n + W - 1) / W;
        if (nb > per_thread) nb = per_thread;
        const int blocks = (n + nb - 1) / nb;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
        for (int bl = 0; bl < blocks; bl++) {
            const int t = T > 1 ? omp_get_thread_num() : t1;
            const int i0 = bl * nb, m = n - i0 < nb ? n - i0 : nb;
            nn_conv_forward_batch(g, x + i0 * isz, m, w, shift, L->relu, y + i0 * osz,
                                  net->col[t], net->tmp[t]);
        }
        return;
    }
    /* Output pixels go in chunks: enough chunks to give every thread work when there
     * are fewer images than threads, and small enough that a chunk's im2col matrix
     * (K x chunk) stays in the L2 cache while the GEMM reads it. */
    int P = n >= W ? 1 : (W + n - 1) / n;
    int chunk = (g->N + P - 1) / P;
    if (!g->direct && (size_t)g->K * chunk > NN_COL_CHUNK_FLOATS) {
        chunk = (int)(NN_COL_CHUNK_FLOATS / (size_t)g->K);
        if (chunk < 256) chunk = 256; /* fewer, wider GEMMs: W is repacked per call */
    }
    chunk = (chunk + 15) & ~15;
    if (chunk > g->N) chunk = g->N;
    P = (g->N + chunk - 1) / chunk;
    /* Still fewer items than threads (an image too small to split by pixels, as in
     * VGG-16's last layers at batch 1): blocks of output channels too, so every
     * thread streams its share of the weights. */
    int CB = 1, cstep = g->co;
    if ((long)n * P < W && g->groups == 1 && g->co >= 16 * W) {
        cstep = ((g->co + W - 1) / W + 15) & ~15;
        CB = (g->co + cstep - 1) / cstep;
    }
    const long items = (long)n * P * CB;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long it = 0; it < items; it++) {
        const int i = (int)(it / ((long)P * CB)), c = (int)(it / CB % P), b = (int)(it % CB);
        const int p0 = c * chunk, p1 = p0 + chunk < g->N ? p0 + chunk : g->N;
        float *col = net->col[T > 1 ? omp_get_thread_num() : t1];
        nn_conv_geom gb = *g; /* output channels [c0, c0 + gb.co) */
        const int c0 = b * cstep;
        if (CB > 1) gb.co = gb.cog = g->co - c0 < cstep ? g->co - c0 : cstep; /* groups 1 */
        nn_conv_forward_cols(&gb, x + i * isz, w + (size_t)c0 * g->K, shift ? shift + c0 : NULL,
                             L->relu, y + i * osz + (size_t)c0 * g->N, p0, p1, col);
    }
}

static void fwd_linear(layer_rt *L, const float *x, float *y, int n, int T)
{
    const int NI = L->in_size, NO = L->out_size;
    const float *w = L->w->data, *b = L->b ? L->b->data : NULL;
    int rb = (n + LIN_RB - 1) / LIN_RB, cb = (NO + LIN_CB - 1) / LIN_CB;
    bool relu = L->relu;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int it = 0; it < rb * cb; it++) {
        int r0 = (it / cb) * LIN_RB, c0 = (it % cb) * LIN_CB;
        int nr = n - r0 < LIN_RB ? n - r0 : LIN_RB, nc = NO - c0 < LIN_CB ? NO - c0 : LIN_CB;
        float *yb = y + (size_t)r0 * NO + c0;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nc, NI, 1.0f,
                    x + (size_t)r0 * NI, NI, w + (size_t)c0 * NI, NI, 0.0f, yb, NO);
        for (int r = 0; r < nr; r++) {
            float *yr = yb + (size_t)r * NO;
            for (int c = 0; c < nc; c++) {
                float v = yr[c] + (b ? b[c0 + c] : 0.0f);
                yr[c] = relu && v < 0.0f ? 0.0f : v;
            }
        }
    }
}

/* Elementwise forward in fixed chunks, each a vectorised loop: y = max(0, a) (b
 * NULL), y = a + b, or y = max(0, a + b). */
static void ew_fwd_chunk(const float *restrict a, const float *restrict b, float *restrict y,
                         size_t len, bool relu)
{
    if (!b) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            const float v = a[j];
            y[j] = v > 0.0f ? v : 0.0f;
        }
    } else if (relu) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            const float v = a[j] + b[j];
            y[j] = v > 0.0f ? v : 0.0f;
        }
    } else {
#pragma omp simd
        for (size_t j = 0; j < len; j++) y[j] = a[j] + b[j];
    }
}

static void ew_forward(const float *a, const float *b, float *y, size_t count, bool relu, int T)
{
    const long chunks = (long)((count + EW_CHUNK - 1) / EW_CHUNK);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long c = 0; c < chunks; c++) {
        size_t o = (size_t)c * EW_CHUNK, len = count - o < EW_CHUNK ? count - o : EW_CHUNK;
        ew_fwd_chunk(a + o, b ? b + o : NULL, y + o, len, relu);
    }
}

/* 2x2 stride-2 max pooling without padding, the common case: branch-free, no bounds
 * tests. A NaN in the window gives NaN, as in the general path and PyTorch. */
static void maxpool2x2_plane(const float *restrict xp, float *restrict yp, int wi, int ho, int wo)
{
    for (int oy = 0; oy < ho; oy++) {
        const float *r0 = xp + (size_t)(2 * oy) * wi, *r1 = r0 + wi;
        float *yr = yp + (size_t)oy * wo;
        for (int ox = 0; ox < wo; ox++) {
            float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
            float m1 = b > a || b != b ? b : a, m2 = d > c || d != d ? d : c;
            yr[ox] = m2 > m1 || m2 != m2 ? m2 : m1;
        }
    }
}

static void fwd_pool(layer_rt *L, const float *x, float *y, int n, int T)
{
    const nn_layer_spec *s = L->s;
    const int hi = s->in.h, wi = s->in.w, ho = s->out.h, wo = s->out.w, C = s->in.c;
    const bool is_max = s->kind == NN_L_MAXPOOL;
    const bool fast2 = is_max && s->kh == 2 && s->kw == 2 && s->stride == 2 && s->pad == 0;
    const float inv = 1.0f / (float)(s->kh * s->kw);
    long planes = (long)n * C;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * hi * wi;
        float *yp = y + (size_t)pl * ho * wo;
        if (fast2) {
            maxpool2x2_plane(xp, yp, wi, ho, wo);
            continue;
        }
        for (int oy = 0; oy < ho; oy++) {
            const int y0 = oy * s->stride - s->pad;
            const int ky0 = y0 < 0 ? -y0 : 0, ky1 = y0 + s->kh > hi ? hi - y0 : s->kh;
            for (int ox = 0; ox < wo; ox++) {
                const int x0 = ox * s->stride - s->pad;
                const int kx0 = x0 < 0 ? -x0 : 0, kx1 = x0 + s->kw > wi ? wi - x0 : s->kw;
                float acc = is_max ? -INFINITY : 0.0f;
                bool first = true;
                for (int ky = ky0; ky < ky1; ky++) {
                    const float *xr = xp + (size_t)(y0 + ky) * wi;
                    for (int kx = kx0; kx < kx1; kx++) {
                        float v = xr[x0 + kx];
                        if (!is_max) acc += v;
                        else if (v > acc || first || isnan(v)) acc = v;
                        first = false;
                        if (acc != acc) break;
                    }
                }
                yp[oy * wo + ox] = is_max ? acc : acc * inv;
            }
        }
    }
}

static void fwd_gap(layer_rt *L, const float *x, float *y, int n, int T)
{
    const int hw = L->s->in.h * L->s->in.w;
    long planes = (long)n * L->s->in.c;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * hw;
        double acc = 0.0;
        #pragma omp simd reduction(+:acc)
        for (int j = 0; j < hw; j++) acc += xp[j];
        y[pl] = (float)(acc / hw);
    }
}

/* Winograd F(2x2, 3x3) for the 3x3, stride-1, ungrouped convs of this forward that
 * gain from it: enough input channels for the 16 GEMMs (K = ci) to be efficient, more
 * than one tile per image, and enough pixels in the call to pay for transforming the
 * weights, which happens here, once per forward (bench/bench_nn measures the gain). */
static bool wino_pays(const nn_conv_geom *g, int n)
{
    return nn_wino_eligible(g) && g->ci >= 8 && g->N >= 16 &&
           (long)n * g->N >= NN_WINO_MIN_PIXELS;
}

/* Transformed weights into *u (allocated on first use), output channels of g, or
 * with dx the input channels of the input-gradient conv. */
static int wino_transform(const nn_conv_geom *g, const float *w, float **u, bool dx, int T)
{
    if (!*u && !(*u = nn_alloc_floats(nn_wino_u_floats(g)))) return -1;
    float *uu = *u;
    const int nc = dx ? g->ci : g->co, TT = (double)g->co * g->ci * 64 >= NN_PAR_MIN_WORK ? T : 1;
#pragma omp parallel for num_threads(TT) if (TT > 1) schedule(static)
    for (int c = 0; c < nc; c++) {
        if (dx) nn_wino_weights_dx(g, w, uu, c, c + 1);
        else nn_wino_weights(g, w, uu, c, c + 1);
    }
    return 0;
}

static int wino_prepare(nn_net *net, int n, int T)
{
    for (int l = 0; l < net->arch.n_layers; l++) {
        layer_rt *L = &net->L[l];
        L->wino = L->s->kind == NN_L_CONV && wino_pays(&L->g, n);
        if (L->wino && wino_transform(&L->g, L->w->data, &L->wino_u, false, T)) return -1;
    }
    return 0;
}

/* Eval-mode BN: per-channel y = a*x + b from the running statistics, once per forward. */
static void bn_eval_prepare(nn_net *net)
{
    for (int l = 0; l < net->arch.n_layers; l++) {
        layer_rt *L = &net->L[l];
        if (L->s->kind != NN_L_BN) continue;
        for (int c = 0; c < L->s->in.c; c++) {
            double mean = L->rm->data[c], invstd = 1.0 / sqrt(L->rv->data[c] + L->s->bn_eps);
            double gamma = L->w->data[c];
            L->bn_mean[c] = (float)mean;
            L->bn_invstd[c] = (float)invstd;
            L->bn_a[c] = (float)(gamma * invstd);
            L->bn_b[c] = (float)(L->b->data[c] - gamma * invstd * mean);
        }
    }
}

/* BN forward. Train mode: batch statistics (saved for backward), running statistics
 * updated like PyTorch (unbiased variance). Eval mode: bn_eval_prepare's a and b. */
static int fwd_bn(layer_rt *L, const float *x, float *y, int n, bool train, int T,
                  em_error *err)
{
    const nn_layer_spec *s = L->s;
    const int C = s->in.c, hw = s->in.h * s->in.w;
    const double M = (double)n * hw, eps = s->bn_eps, mom = s->bn_momentum;
    if (train && M <= 1.0)
        return em_fail(err, EM_EINVAL, "layer '%s': batch norm in training needs more than one "
                       "value per channel (batch %d, %dx%d)", s->name, n, s->in.h, s->in.w);
    const float *gamma = L->w->data, *beta = L->b->data;
    float *rm = L->rm->data, *rv = L->rv->data;
    const bool relu = L->relu;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int c = 0; c < C; c++) {
        if (train) {
            double sum = 0.0, sq = 0.0;
            for (int i = 0; i < n; i++) {
                const float *xp = x + ((size_t)i * C + c) * hw;
#pragma omp simd reduction(+:sum)
                for (int j = 0; j < hw; j++) sum += xp[j];
            }
            const double mean = sum / M;
            for (int i = 0; i < n; i++) {
                const float *xp = x + ((size_t)i * C + c) * hw;
#pragma omp simd reduction(+:sq)
                for (int j = 0; j < hw; j++) {
                    double d = xp[j] - mean;
                    sq += d * d;
                }
            }
            const double var = sq / M, invstd = 1.0 / sqrt(var + eps);
            rm[c] = (float)((1.0 - mom) * rm[c] + mom * mean);
            rv[c] = (float)((1.0 - mom) * rv[c] + mom * var * M / (M - 1.0));
            L->bn_mean[c] = (float)mean;
            L->bn_invstd[c] = (float)invstd;
            L->bn_a[c] = (float)(gamma[c] * invstd);
            L->bn_b[c] = (float)(beta[c] - gamma[c] * invstd * mean);
        }
        const float a = L->bn_a[c], b = L->bn_b[c];
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * C + c) * hw;
            float *yp = y + ((size_t)i * C + c) * hw;
            if (relu) {
#pragma omp simd
                for (int j = 0; j < hw; j++) {
                    float v = a * xp[j] + b;
                    yp[j] = v > 0.0f ? v : 0.0f;
                }
            } else {
#pragma omp simd
                for (int j = 0; j < hw; j++) yp[j] = a * xp[j] + b;
            }
        }
    }
    return EM_OK;
}

static int fwd_dropout(nn_net *net, layer_rt *L, const float *x, float *y, size_t count)
{
    if (!L->drop || L->out.cap < count) {
        nn_free_floats(L->drop);
        L->drop = nn_alloc_floats(L->out.cap);
        if (!L->drop) return -1;
    }
    const double p = L->s->dropout;
    const float keep = p > 0.0 ? (float)(1.0 / (1.0 - p)) : 1.0f;
    for (size_t j = 0; j < count; j++) {
        L->drop[j] = em_rng_uniform(&net->drop_rng) < p ? 0.0f : keep;
        y[j] = x[j] * L->drop[j];
    }
    return 0;
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
    switch (s->kind) {
    case NN_L_CONV: fwd_conv(net, L, in, y, n, W, T, t1); break;
    case NN_L_LINEAR: fwd_linear(L, in, y, n, T); break;
    case NN_L_RELU: ew_forward(in, NULL, y, count, true, T); break;
    case NN_L_MAXPOOL:
    case NN_L_AVGPOOL: fwd_pool(L, in, y, n, T); break;
    case NN_L_GAP: fwd_gap(L, in, y, n, T); break;
    case NN_L_BN: return fwd_bn(L, in, y, n, train, T, err);
    case NN_L_ADD: ew_forward(in, in2, y, count, L->relu, T); break;
    case NN_L_DROPOUT:
        if (fwd_dropout(net, L, in, y, count))
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
    if (n <= 0) return em_fail(err, EM_EINVAL, "forward: batch size %d must be positive", n);
    if (train_mode && net->folded)
        return em_fail(err, EM_EINVAL, "forward: network '%s' has folded batch norms and is "
                       "inference-only", a->name);
    const int T = nn_net_threads(net);
    openblas_set_num_threads(1);
    net->batch = 0;
    if (grow_tensor(&net->input, n, shape_numel(a->input)) || ensure_workspace(net, T, false))
        return em_fail(err, EM_ENOMEM, "forward: out of memory (batch %d)", n);
    memcpy(net->input.data, x, (size_t)n * shape_numel(a->input) * sizeof(float));
    if (!train_mode) bn_eval_prepare(net);
    if (wino_prepare(net, n, T)) return em_fail(err, EM_ENOMEM, "forward: out of memory");

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

/* ---- backward kernels ----------------------------------------------------------- */

static void bwd_conv(nn_net *net, layer_rt *L, const float *x, const float *dy, float *dx,
                     int n, int T)
{
    const nn_conv_geom *g = &L->g;
    const size_t isz = (size_t)L->in_size, osz = (size_t)L->out_size;
    const size_t wn = (size_t)L->w->numel;
    const int S = n < NN_SLOTS ? n : NN_SLOTS;
    float *db_all = L->b ? L->b->grad : NULL;
    /* The input gradient by Winograd when it pays (and its weights could be had);
     * the slices below then do the weight gradient only. */
    float *dx_all = dx;
    if (dx && L->has_gd && wino_pays(&L->gd, n) &&
        wino_transform(&L->g, L->w->data, &L->wino_ud, true, T) == 0)
        dx = NULL;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int sl = 0; sl < S; sl++) {
        int t = omp_get_thread_num();
        float *dw = net->slots + (size_t)sl * net->slot_stride, *db = dw + wn;
        memset(dw, 0, (wn + (size_t)g->co) * sizeof(float));
        int i0 = (int)((long)sl * n / S), i1 = (int)((long)(sl + 1) * n / S);
        if (!g->depthwise && g->N < NN_BATCH_COLS) {
            const int nb = NN_BATCH_COLS / g->N;
            for (int i = i0; i < i1; i += nb) {
                const int m = i1 - i < nb ? i1 - i : nb;
                nn_conv_backward_batch(g, x + i * isz, m, L->w->data, dy + i * osz, dw,
                                       db_all ? db : NULL, dx ? dx + i * isz : NULL,
                                       net->col[t], net->dcol[t], net->tmp[t]);
            }
        } else {
            for (int i = i0; i < i1; i++)
                nn_conv_backward_image(g, x + i * isz, L->w->data, dy + i * osz, dw,
                                       db_all ? db : NULL, dx ? dx + i * isz : NULL,
                                       net->col[t], net->dcol[t]);
        }
    }
    if (dx_all && !dx)
        wino_run(net, &L->gd, dy, L->wino_ud, NULL, false, true, dx_all, n, NN_SPLIT_WIDTH, T, 0);
    float *gw = L->w->grad;
    const float *slots = net->slots;
    const size_t stride = net->slot_stride;
    const long total = (long)wn + (db_all ? g->co : 0);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long j = 0; j < total; j++) {
        float acc = 0.0f;
        for (int sl = 0; sl < S; sl++) acc += slots[(size_t)sl * stride + (size_t)j];
        if ((size_t)j < wn) gw[j] += acc;
        else db_all[(size_t)j - wn] += acc;
    }
}

static void bwd_linear(layer_rt *L, const float *x, const float *dy, float *dx, bool acc,
                       int n, int T)
{
    const int NI = L->in_size, NO = L->out_size;
    const float *w = L->w->data;
    float *gw = L->w->grad, *gb = L->b ? L->b->grad : NULL;
    /* dW[NO,NI] += dY^T[NO,n] X[n,NI], in fixed blocks of output rows and input columns. */
    const int ob = (NO + 63) / 64, ib = (NI + 1023) / 1024;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int it = 0; it < ob * ib; it++) {
        int o0 = (it / ib) * 64, i0 = (it % ib) * 1024;
        int no = NO - o0 < 64 ? NO - o0 : 64, ni = NI - i0 < 1024 ? NI - i0 : 1024;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, ni, n, 1.0f, dy + o0, NO,
                    x + i0, NI, 1.0f, gw + (size_t)o0 * NI + i0, NI);
        if (gb && i0 == 0)
            for (int o = o0; o < o0 + no; o++) {
                float acc = 0.0f;
                for (int r = 0; r < n; r++) acc += dy[(size_t)r * NO + o];
                gb[o] += acc;
            }
    }
    if (!dx) return;
    /* dX[n,NI] (+)= dY[n,NO] W[NO,NI] */
    const float beta = acc ? 1.0f : 0.0f;
    const int rb = (n + LIN_RB - 1) / LIN_RB, cb = (NI + 1023) / 1024;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int it = 0; it < rb * cb; it++) {
        int r0 = (it / cb) * LIN_RB, c0 = (it % cb) * 1024;
        int nr = n - r0 < LIN_RB ? n - r0 : LIN_RB, nc = NI - c0 < 1024 ? NI - c0 : 1024;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, nc, NO, 1.0f,
                    dy + (size_t)r0 * NO, NO, w + c0, NI, beta, dx + (size_t)r0 * NI + c0, NI);
    }
}

static void bwd_bn(layer_rt *L, const float *x, const float *dy, float *dx, bool acc, int n,
                   bool train, int T)
{
    const nn_layer_spec *s = L->s;
    const int C = s->in.c, hw = s->in.h * s->in.w;
    const double M = (double)n * hw;
    const float *gamma = L->w->data;
    float *gg = L->w->grad, *gb = L->b->grad;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int c = 0; c < C; c++) {
        const double mean = L->bn_mean[c], invstd = L->bn_invstd[c];
        double sdy = 0.0, sdyx = 0.0;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * C + c) * hw, *dp = dy + ((size_t)i * C + c) * hw;
            #pragma omp simd reduction(+:sdy, sdyx)
            for (int j = 0; j < hw; j++) {
                sdy += dp[j];
                sdyx += dp[j] * ((xp[j] - mean) * invstd);
            }
        }
        gg[c] += (float)sdyx;
        gb[c] += (float)sdy;
        if (!dx) continue;
        const double k = gamma[c] * invstd;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * C + c) * hw, *dp = dy + ((size_t)i * C + c) * hw;
            float *gp = dx + ((size_t)i * C + c) * hw;
            /* train: dx = k (dy - mean(dy) - xhat mean(dy xhat)); eval: dx = k dy */
            const double mdy = train ? sdy / M : 0.0, mdyx = train ? sdyx / M : 0.0;
            if (acc) {
#pragma omp simd
                for (int j = 0; j < hw; j++) {
                    double xh = (xp[j] - mean) * invstd;
                    gp[j] += (float)(k * (dp[j] - mdy - xh * mdyx));
                }
            } else {
#pragma omp simd
                for (int j = 0; j < hw; j++) {
                    double xh = (xp[j] - mean) * invstd;
                    gp[j] = (float)(k * (dp[j] - mdy - xh * mdyx));
                }
            }
        }
    }
}

static void bwd_pool(layer_rt *L, const float *x, const float *dy, float *dx, int n, int T)
{
    const nn_layer_spec *s = L->s;
    const int hi = s->in.h, wi = s->in.w, ho = s->out.h, wo = s->out.w;
    const float inv = 1.0f / (float)(s->kh * s->kw);
    long planes = (long)n * s->in.c;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long pl = 0; pl < planes; pl++) {
        float *gp = dx + (size_t)pl * hi * wi;
        const float *dp = dy + (size_t)pl * ho * wo;
        if (s->kind == NN_L_MAXPOOL) {
            /* The gradient goes to the first element of the window equal to the
             * forward's maximum (the one the forward picked), or to the first NaN. */
            const float *xp = x + (size_t)pl * hi * wi, *yp = L->y + (size_t)pl * ho * wo;
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    const int y0 = oy * s->stride - s->pad, x0 = ox * s->stride - s->pad;
                    const float m = yp[oy * wo + ox];
                    int best = -1;
                    for (int ky = 0; ky < s->kh && best < 0; ky++) {
                        int iy = y0 + ky;
                        if (iy < 0 || iy >= hi) continue;
                        for (int kx = 0; kx < s->kw; kx++) {
                            int ix = x0 + kx;
                            if (ix < 0 || ix >= wi) continue;
                            float v = xp[iy * wi + ix];
                            if (v == m || (m != m && v != v)) {
                                best = iy * wi + ix;
                                break;
                            }
                        }
                    }
                    if (best >= 0) gp[best] += dp[oy * wo + ox];
                }
            continue;
        }
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                int y0 = oy * s->stride - s->pad, x0 = ox * s->stride - s->pad;
                float g = dp[oy * wo + ox] * inv;
                for (int ky = 0; ky < s->kh; ky++) {
                    int iy = y0 + ky;
                    if (iy < 0 || iy >= hi) continue;
                    for (int kx = 0; kx < s->kw; kx++) {
                        int ix = x0 + kx;
                        if (ix >= 0 && ix < wi) gp[iy * wi + ix] += g;
                    }
                }
            }
    }
}

/* dx (+)= dy * f, for f a per-element factor (relu: y > 0; dropout: the mask; 1 for
 * add and flatten and eval-mode dropout). In chunks, each a vectorised loop; with
 * acc false dx is written, not added to. */
static void ew_chunk(int mode, bool acc, const float *restrict y, const float *restrict m,
                     const float *restrict g, float *restrict d, size_t len)
{
    if (mode == 0 && acc) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            const float gv = g[j];
            d[j] += y[j] > 0.0f ? gv : 0.0f;
        }
    } else if (mode == 0) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            const float gv = g[j];
            d[j] = y[j] > 0.0f ? gv : 0.0f;
        }
    } else if (mode == 1 && acc) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) d[j] += g[j] * m[j];
    } else if (mode == 1) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) d[j] = g[j] * m[j];
    } else if (acc) {
#pragma omp simd
        for (size_t j = 0; j < len; j++) d[j] += g[j];
    } else {
        memcpy(d, g, len * sizeof(float));
    }
}

static void bwd_elementwise(layer_rt *L, const float *dy, float *dx, bool acc, size_t count,
                            int T)
{
    const int mode = L->s->kind == NN_L_RELU ? 0
                     : (L->s->kind == NN_L_DROPOUT && !L->alias_src) ? 1 : 2;
    const long chunks = (long)((count + EW_CHUNK - 1) / EW_CHUNK);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long c = 0; c < chunks; c++) {
        size_t o = (size_t)c * EW_CHUNK, len = count - o < EW_CHUNK ? count - o : EW_CHUNK;
        ew_chunk(mode, acc, L->y + o, mode == 1 ? L->drop + o : NULL, dy + o, dx + o, len);
    }
}

static void bwd_gap(layer_rt *L, const float *dy, float *dx, bool acc, int n, int T)
{
    const int hw = L->s->in.h * L->s->in.w;
    const float inv = 1.0f / (float)hw;
    long planes = (long)n * L->s->in.c;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (long pl = 0; pl < planes; pl++) {
        float g = dy[pl] * inv;
        float *gp = dx + (size_t)pl * hw;
        if (acc) {
#pragma omp simd
            for (int j = 0; j < hw; j++) gp[j] += g;
        } else {
#pragma omp simd
            for (int j = 0; j < hw; j++) gp[j] = g;
        }
    }
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
    if (net->folded)
        return em_fail(err, EM_EINVAL, "backward: network '%s' has folded batch norms and is "
                       "inference-only", a->name);
    const int T = nn_net_threads(net);
    openblas_set_num_threads(1);
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
        case NN_L_CONV: bwd_conv(net, L, x, dy, dsrc, n, TL); break;
        case NN_L_LINEAR: bwd_linear(L, x, dy, dsrc, acc, n, TL); break;
        case NN_L_BN: bwd_bn(L, x, dy, dsrc, acc, n, net->last_train, TL); break;
        case NN_L_MAXPOOL:
        case NN_L_AVGPOOL:
            if (dsrc) bwd_pool(L, x, dy, dsrc, n, TL);
            break;
        case NN_L_GAP:
            if (dsrc) bwd_gap(L, dy, dsrc, acc, n, TL);
            break;
        case NN_L_ADD: {
            if (dsrc) bwd_elementwise(L, dy, dsrc, acc, count, TL); /* identity: kind is add */
            float *d2 = grad_dst(net, s->src[1], true, &acc);
            if (d2) bwd_elementwise(L, dy, d2, acc, count, TL);
            break;
        }
        case NN_L_RELU:
        case NN_L_FLATTEN:
        case NN_L_DROPOUT:
            if (dsrc) bwd_elementwise(L, dy, dsrc, acc, count, TL);
            break;
        default:
            return em_fail(err, EM_EINTERNAL, "backward: layer '%s' of unknown kind", s->name);
        }
    }
    mask_grads(net);
    if (dx) memcpy(dx, net->dinput.data, (size_t)n * shape_numel(a->input) * sizeof(float));
    return EM_OK;
}

/* ---- BN folding ---------------------------------------------------------------- */

int nn_net_fold_bn(nn_net *net, int *folded, em_error *err)
{
    int count = 0;
    for (int j = 0; j < net->arch.n_layers; j++) {
        layer_rt *B = &net->L[j];
        const nn_layer_spec *s = B->s;
        if (s->kind != NN_L_BN || B->folded || s->src[0] < 0) continue;
        layer_rt *C = &net->L[s->src[0]];
        if (C->s->kind != NN_L_CONV || C->consumers != 1 || C->shift) continue;
        const int co = C->s->out_channels;
        C->shift = nn_alloc_floats((size_t)co);
        if (!C->shift) return em_fail(err, EM_ENOMEM, "fold: out of memory");
        const size_t per = (size_t)C->w->numel / (size_t)co;
        for (int c = 0; c < co; c++) {
            double sc = B->w->data[c] / sqrt((double)B->rv->data[c] + s->bn_eps);
            double b = C->b ? C->b->data[c] : 0.0;
            float *wc = C->w->data + (size_t)c * per;
            for (size_t k = 0; k < per; k++) wc[k] = (float)(wc[k] * sc);
            C->shift[c] = (float)((b - B->rm->data[c]) * sc + B->b->data[c]);
        }
        C->relu = B->relu; /* a ReLU fused into the BN now follows the conv directly */
        B->folded = true;
        count++;
    }
    if (count) net->folded = true;
    net->batch = 0;
    if (folded) *folded = count;
    return EM_OK;
}

void nn_net_unfold_bn(nn_net *net)
{
    if (!net->folded) return;
    for (int j = 0; j < net->arch.n_layers; j++) {
        layer_rt *B = &net->L[j];
        if (B->s->kind != NN_L_BN || !B->folded) continue;
        layer_rt *C = &net->L[B->s->src[0]];
        nn_free_floats(C->shift);
        C->shift = NULL;
        C->relu = false; /* its only consumer is the BN again (the fold needs one) */
        B->folded = false;
    }
    net->folded = false;
    net->batch = 0;
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
