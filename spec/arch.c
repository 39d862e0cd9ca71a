/* spec/arch.c: the model description: parsing model YAML and inferring layer shapes. */
#include "spec/arch.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/datapath.h"
#include "common/yamldoc_internal.h"

static const char *const kind_names[NN_L_KIND_COUNT] = {
    "conv", "linear", "relu", "maxpool", "avgpool", "gap", "bn", "add", "flatten", "dropout",
    "relu6"};

const char *nn_layer_kind_name(nn_layer_kind k)
{
    return (k >= 0 && k < NN_L_KIND_COUNT) ? kind_names[k] : "?";
}

int nn_arch_find(const nn_arch *a, const char *name)
{
    for (int i = 0; i < a->n_layers; i++)
        if (strcmp(a->layers[i].name, name) == 0) return i;
    return -1;
}

bool nn_layer_is_compute(const nn_layer_spec *l)
{
    return l->kind == NN_L_CONV || l->kind == NN_L_LINEAR;
}

int64_t nn_layer_weight_count(const nn_layer_spec *l)
{
    if (l->kind == NN_L_CONV)
        return (int64_t)l->out_channels * (l->in.c / l->groups) * l->kh * l->kw;
    if (l->kind == NN_L_LINEAR)
        return (int64_t)l->out_channels * l->in.c * l->in.h * l->in.w;
    return 0;
}

int64_t nn_layer_macs(const nn_layer_spec *l)
{
    if (l->kind == NN_L_CONV) return nn_layer_weight_count(l) * l->out.h * l->out.w;
    if (l->kind == NN_L_LINEAR) return nn_layer_weight_count(l);
    return 0;
}

int64_t nn_layer_param_count(const nn_layer_spec *l)
{
    if (nn_layer_is_compute(l)) return nn_layer_weight_count(l) + (l->bias ? l->out_channels : 0);
    if (l->kind == NN_L_BN) return 2 * (int64_t)l->in.c;
    return 0;
}

#define SUM_OVER_LAYERS(fn)                                          \
    int64_t s = 0;                                                   \
    for (int i = 0; i < a->n_layers; i++) s += fn(&a->layers[i]);   \
    return s

int64_t nn_arch_macs(const nn_arch *a) { SUM_OVER_LAYERS(nn_layer_macs); }
int64_t nn_arch_weight_count(const nn_arch *a) { SUM_OVER_LAYERS(nn_layer_weight_count); }
int64_t nn_arch_param_count(const nn_arch *a) { SUM_OVER_LAYERS(nn_layer_param_count); }

int nn_arch_compute_layer_count(const nn_arch *a)
{
    int n = 0;
    for (int i = 0; i < a->n_layers; i++) n += nn_layer_is_compute(&a->layers[i]);
    return n;
}

void nn_arch_free(nn_arch *a)
{
    if (!a) return;
    free(a->layers);
    free(a->path);
    free(a);
}

/* ---- parsing ---------------------------------------------------------------- */

static int parse_kind(em_yaml *y, em_ynode *n, nn_layer_kind *k, em_error *err)
{
    const char *s = em_yaml_scalar(n);
    for (int i = 0; s && i < NN_L_KIND_COUNT; i++)
        if (strcmp(s, kind_names[i]) == 0) { *k = (nn_layer_kind)i; return EM_OK; }
    return em_fail(err, EM_EFORMAT,
                   "%s:%d: key 'type': unknown layer type '%s' (expected conv, linear, relu, "
                   "maxpool, avgpool, gap, bn, add, flatten, dropout or relu6)",
                   y->path, em_yaml_line(n), s ? s : "?");
}

/* kernel: 5 or [5, 3] */
static int parse_kernel(em_yaml *y, em_ynode *map, int *kh, int *kw, em_error *err)
{
    em_ynode *n = em_yaml_get(y, map, "kernel");
    if (!n) return em_fail(err, EM_EFORMAT, "%s:%d: missing required key 'kernel'", y->path,
                           em_yaml_line(map));
    long long a, b;
    if (em_yaml_is_seq(n)) {
        if (em_yaml_seq_len(n) != 2)
            return em_fail(err, EM_EFORMAT, "%s:%d: key 'kernel': expected k or [kh, kw]",
                           y->path, em_yaml_line(n));
        if (em_yaml_node_int(y, em_yaml_seq_at(y, n, 0), "kernel", 1, 4096, &a, err) ||
            em_yaml_node_int(y, em_yaml_seq_at(y, n, 1), "kernel", 1, 4096, &b, err))
            return err ? err->code : EM_EFORMAT;
    } else {
        int rc = em_yaml_node_int(y, n, "kernel", 1, 4096, &a, err);
        if (rc) return rc;
        b = a;
    }
    *kh = (int)a;
    *kw = (int)b;
    return EM_OK;
}

static int resolve_src(em_yaml *y, nn_arch *a, int idx, em_ynode *n, int *out, em_error *err)
{
    const char *s = em_yaml_scalar(n);
    if (!s) return em_fail(err, EM_EFORMAT, "%s:%d: key 'from': expected a layer name",
                           y->path, em_yaml_line(n));
    if (strcmp(s, "input") == 0) { *out = NN_INPUT_SRC; return EM_OK; }
    for (int j = 0; j < idx; j++)
        if (strcmp(a->layers[j].name, s) == 0) { *out = j; return EM_OK; }
    return em_fail(err, EM_EFORMAT, "%s:%d: key 'from': no earlier layer named '%s'", y->path,
                   em_yaml_line(n), s);
}

static nn_shape src_shape(const nn_arch *a, int src)
{
    return src == NN_INPUT_SRC ? a->input : a->layers[src].out;
}

static int window_out(int in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }

static int check_counts(const char *f, const nn_layer_spec *l, em_error *err);

/* Values in one image's c x h x w activation; every shape emomc builds must keep this
 * within an int (flatten turns it into a channel count, the engine an allocation). */
static int64_t shape_volume(nn_shape s) { return (int64_t)s.c * s.h * s.w; }

/* Fills l->out from l->in and the layer's parameters (f names the file in messages). */
static int infer_shape(const char *f, nn_arch *a, nn_layer_spec *l, em_error *err)
{
    nn_shape in = l->in, out = in;
    switch (l->kind) {
    case NN_L_CONV:
        if (in.c % l->groups || l->out_channels % l->groups)
            return em_fail(err, EM_EINVAL,
                           "%s:%d: layer '%s': groups %d must divide in channels %d and out "
                           "channels %d", f, l->line, l->name, l->groups, in.c, l->out_channels);
        /* fallthrough */
    case NN_L_MAXPOOL:
    case NN_L_AVGPOOL:
        if (in.h + 2 * l->pad < l->kh || in.w + 2 * l->pad < l->kw)
            return em_fail(err, EM_EINVAL,
                           "%s:%d: layer '%s': window %dx%d larger than padded input %dx%d", f,
                           l->line, l->name, l->kh, l->kw, in.h + 2 * l->pad, in.w + 2 * l->pad);
        if (l->kind != NN_L_CONV && 2 * l->pad > l->kh)
            return em_fail(err, EM_EINVAL, "%s:%d: layer '%s': pad must be at most kernel/2",
                           f, l->line, l->name);
        out.h = window_out(in.h, l->kh, l->stride, l->pad);
        out.w = window_out(in.w, l->kw, l->stride, l->pad);
        if (l->kind == NN_L_CONV) out.c = l->out_channels;
        break;
    case NN_L_LINEAR:
        out.c = l->out_channels;
        out.h = out.w = 1;
        break;
    case NN_L_GAP:
        out.h = out.w = 1;
        break;
    case NN_L_FLATTEN:
        out.c = in.c * in.h * in.w;
        out.h = out.w = 1;
        break;
    case NN_L_ADD: {
        nn_shape b = src_shape(a, l->src[1]);
        if (b.c != in.c || b.h != in.h || b.w != in.w)
            return em_fail(err, EM_EINVAL,
                           "%s:%d: layer '%s': add of different shapes %dx%dx%d and %dx%dx%d",
                           f, l->line, l->name, in.c, in.h, in.w, b.c, b.h, b.w);
        break;
    }
    default:
        break;
    }
    if (shape_volume(out) > INT_MAX)
        return em_fail(err, EM_EINVAL, "%s:%d: layer '%s': output %dx%dx%d holds more than %d "
                       "values", f, l->line, l->name, out.c, out.h, out.w, INT_MAX);
    l->out = out;
    return check_counts(f, l, err);
}

/* Every count emomc derives from a layer (weights, MACs) and from their sums, and the
 * bits of any coding of them (at most 96 per weight: 32 value bits plus an index),
 * must stay exact in int64 and in the doubles the cost models use: weights at most
 * NN_MAX_WEIGHTS, MACs at most NN_MAX_MACS, layer by layer and in total. Products are
 * formed with overflow checks, so a huge shape is refused, naming the layer, instead
 * of wrapping (MACs of 2^64 once came out as 0). */
static int check_counts(const char *f, const nn_layer_spec *l, em_error *err)
{
    if (!nn_layer_is_compute(l)) return EM_OK;
    int64_t w = l->out_channels, m;
    bool bad = false;
    if (l->kind == NN_L_CONV) {
        bad |= __builtin_mul_overflow(w, (int64_t)(l->in.c / l->groups), &w);
        bad |= __builtin_mul_overflow(w, (int64_t)l->kh, &w);
        bad |= __builtin_mul_overflow(w, (int64_t)l->kw, &w);
        bad |= __builtin_mul_overflow(w, (int64_t)l->out.h * l->out.w, &m);
    } else {
        bad |= __builtin_mul_overflow(w, shape_volume(l->in), &w);
        m = w;
    }
    if (bad || w > NN_MAX_WEIGHTS || m > NN_MAX_MACS)
        return em_fail(err, EM_EINVAL, "%s:%d: layer '%s': too large to count exactly (more "
                       "than %lld weights or %lld MACs)", f, l->line, l->name,
                       (long long)NN_MAX_WEIGHTS, (long long)NN_MAX_MACS);
    return EM_OK;
}

/* The network's totals within the same limits. */
static int check_totals(const char *f, const nn_arch *a, em_error *err)
{
    int64_t w = 0, m = 0;
    for (int i = 0; i < a->n_layers; i++) {
        w += nn_layer_weight_count(&a->layers[i]); /* each term is bounded: no overflow */
        m += nn_layer_macs(&a->layers[i]);
        if (w > NN_MAX_WEIGHTS || m > NN_MAX_MACS)
            return em_fail(err, EM_EINVAL, "%s: the model is too large to count exactly (more "
                           "than %lld weights or %lld MACs in all, reached at layer '%s')", f,
                           (long long)NN_MAX_WEIGHTS, (long long)NN_MAX_MACS,
                           a->layers[i].name);
    }
    return EM_OK;
}

static int parse_layer(em_yaml *y, nn_arch *a, int idx, em_ynode *m, em_error *err)
{
    static const char *const keys[] = {"name", "type", "out", "kernel", "stride", "pad",
                                       "groups", "depthwise", "bias", "from", "p", "eps",
                                       "momentum", NULL};
    nn_layer_spec *l = &a->layers[idx];
    int rc;
    char ctx[64];
    snprintf(ctx, sizeof ctx, "layer %d", idx + 1);
    if ((rc = em_yaml_check_keys(y, m, keys, ctx, err))) return rc;
    l->line = em_yaml_line(m);
    em_ynode *t = em_yaml_get(y, m, "type");
    if (!t) return em_fail(err, EM_EFORMAT, "%s:%d: %s: missing required key 'type'", y->path,
                           l->line, ctx);
    if ((rc = parse_kind(y, t, &l->kind, err))) return rc;
    /* "conv3"; a kind whose name ends in a digit gets a '_' ("relu6_3", not "relu63",
     * which an unnamed relu at 63 would also be). */
    const char *kn = kind_names[l->kind];
    bool digit = kn[0] && kn[strlen(kn) - 1] >= '0' && kn[strlen(kn) - 1] <= '9';
    snprintf(l->name, sizeof l->name, digit ? "%s_%d" : "%s%d", kn, idx + 1);
    if ((rc = em_yaml_str_opt(y, m, "name", l->name, sizeof l->name, err))) return rc;
    for (int j = 0; j < idx; j++)
        if (strcmp(a->layers[j].name, l->name) == 0)
            return em_fail(err, EM_EFORMAT, "%s:%d: duplicate layer name '%s'", y->path,
                           l->line, l->name);
    if (strcmp(l->name, "input") == 0)
        return em_fail(err, EM_EFORMAT, "%s:%d: 'input' is reserved as a layer name", y->path,
                       l->line);

    /* Sources. */
    l->nsrc = l->kind == NN_L_ADD ? 2 : 1;
    l->src[0] = idx - 1; /* previous layer, or the input for the first */
    l->src[1] = NN_INPUT_SRC;
    em_ynode *from = em_yaml_get(y, m, "from");
    if (l->kind == NN_L_ADD) {
        if (!from || !em_yaml_is_seq(from) || em_yaml_seq_len(from) != 2)
            return em_fail(err, EM_EFORMAT, "%s:%d: layer '%s': add needs from: [a, b]",
                           y->path, l->line, l->name);
        for (int k = 0; k < 2; k++)
            if ((rc = resolve_src(y, a, idx, em_yaml_seq_at(y, from, k), &l->src[k], err)))
                return rc;
    } else if (from) {
        if ((rc = resolve_src(y, a, idx, from, &l->src[0], err))) return rc;
    }

    /* Parameters, with the keys each type accepts. */
    bool needs_out = l->kind == NN_L_CONV || l->kind == NN_L_LINEAR;
    bool windowed = l->kind == NN_L_CONV || l->kind == NN_L_MAXPOOL || l->kind == NN_L_AVGPOOL;
    static const char *const param_keys[] = {"out", "kernel", "stride", "pad", "groups",
                                             "depthwise", "bias", "p", "eps", "momentum", NULL};
    for (const char *const *k = param_keys; *k; k++) {
        em_ynode *v = em_yaml_get(y, m, *k);
        if (!v) continue;
        bool ok = false;
        if (!strcmp(*k, "out") || !strcmp(*k, "bias")) ok = needs_out;
        else if (!strcmp(*k, "kernel") || !strcmp(*k, "stride") || !strcmp(*k, "pad")) ok = windowed;
        else if (!strcmp(*k, "groups") || !strcmp(*k, "depthwise")) ok = l->kind == NN_L_CONV;
        else if (!strcmp(*k, "p")) ok = l->kind == NN_L_DROPOUT;
        else ok = l->kind == NN_L_BN;
        if (!ok)
            return em_fail(err, EM_EFORMAT, "%s:%d: layer '%s': key '%s' does not apply to %s",
                           y->path, em_yaml_line(v), l->name, *k, kind_names[l->kind]);
    }
    long long v;
    l->stride = 1;
    l->groups = 1;
    l->bias = true;
    l->kh = l->kw = 1;
    l->bn_eps = 1e-5;
    l->bn_momentum = 0.1;
    if (needs_out) {
        if ((rc = em_yaml_int_req(y, m, "out", 1, 1 << 20, &v, err))) return rc;
        l->out_channels = (int)v;
        if ((rc = em_yaml_bool_opt(y, m, "bias", &l->bias, err))) return rc;
    }
    if (windowed) {
        if ((rc = parse_kernel(y, m, &l->kh, &l->kw, err))) return rc;
        v = l->kind == NN_L_CONV ? 1 : l->kh;
        if ((rc = em_yaml_int_opt(y, m, "stride", 1, 4096, &v, err))) return rc;
        l->stride = (int)v;
        v = 0;
        if ((rc = em_yaml_int_opt(y, m, "pad", 0, 4096, &v, err))) return rc;
        l->pad = (int)v;
    }
    if (l->kind == NN_L_DROPOUT) {
        l->dropout = 0.5;
        if ((rc = em_yaml_num_opt(y, m, "p", 0.0, 0.999, &l->dropout, err))) return rc;
    }
    if (l->kind == NN_L_BN) {
        if ((rc = em_yaml_num_opt(y, m, "eps", 1e-12, 1.0, &l->bn_eps, err))) return rc;
        if ((rc = em_yaml_num_opt(y, m, "momentum", 0.0, 1.0, &l->bn_momentum, err))) return rc;
    }

    l->in = src_shape(a, l->src[0]);
    if (l->kind == NN_L_CONV) {
        bool dw = false;
        if ((rc = em_yaml_bool_opt(y, m, "depthwise", &dw, err))) return rc;
        if ((rc = em_yaml_int_opt(y, m, "groups", 1, 1 << 20, &v, err))) return rc;
        l->groups = em_yaml_get(y, m, "groups") ? (int)v : 1;
        if (dw) {
            if (em_yaml_get(y, m, "groups"))
                return em_fail(err, EM_EFORMAT, "%s:%d: layer '%s': give groups or depthwise, "
                               "not both", y->path, l->line, l->name);
            l->groups = l->in.c;
        }
    }
    return infer_shape(y->path, a, l, err);
}

int nn_arch_infer(nn_arch *a, em_error *err)
{
    const char *f = a->path ? a->path : a->name;
    for (int i = 0; i < a->n_layers; i++) {
        nn_layer_spec *l = &a->layers[i];
        for (int k = 0; k < l->nsrc; k++)
            if (l->src[k] != NN_INPUT_SRC && (l->src[k] < 0 || l->src[k] >= i))
                return em_fail(err, EM_EINVAL, "%s: layer '%s' reads layer %d, not an earlier one",
                               f, l->name, l->src[k]);
        l->in = src_shape(a, l->src[0]);
        int rc = infer_shape(f, a, l, err);
        if (rc) return rc;
    }
    if (a->n_layers == 0) return em_fail(err, EM_EINVAL, "%s: the model has no layers", f);
    int rc = check_totals(f, a, err);
    if (rc) return rc;
    nn_shape last = a->layers[a->n_layers - 1].out;
    if (a->classes <= 0) a->classes = last.c * last.h * last.w;
    if (last.c * last.h * last.w != a->classes)
        return em_fail(err, EM_EINVAL, "%s: the last layer gives %d outputs but classes is %d", f,
                       last.c * last.h * last.w, a->classes);
    return EM_OK;
}

static int parse_doc(em_yaml *y, nn_arch **out, em_error *err)
{
    static const char *const keys[] = {"name", "input", "classes", "layers", "description", NULL};
    em_ynode *root = em_yaml_root(y);
    int rc = em_yaml_check_keys(y, root, keys, "model", err);
    if (rc) return rc;
    nn_arch *a = calloc(1, sizeof *a);
    if (!a) return em_fail(err, EM_ENOMEM, "out of memory");
    a->path = strdup(y->path);
    if ((rc = em_yaml_str_req(y, root, "name", a->name, sizeof a->name, err))) goto fail;
    em_ynode *in = em_yaml_get(y, root, "input");
    if (!in || !em_yaml_is_seq(in) || em_yaml_seq_len(in) != 3) {
        rc = em_fail(err, EM_EFORMAT, "%s:%d: key 'input': expected [channels, height, width]",
                     y->path, em_yaml_line(in ? in : root));
        goto fail;
    }
    int dims[3];
    for (int i = 0; i < 3; i++) {
        long long v;
        if ((rc = em_yaml_node_int(y, em_yaml_seq_at(y, in, i), "input", 1, 1 << 16, &v, err)))
            goto fail;
        dims[i] = (int)v;
    }
    a->input = (nn_shape){dims[0], dims[1], dims[2]};
    if (shape_volume(a->input) > INT_MAX) {
        rc = em_fail(err, EM_EINVAL, "%s:%d: key 'input': %dx%dx%d holds more than %d values",
                     y->path, em_yaml_line(in), dims[0], dims[1], dims[2], INT_MAX);
        goto fail;
    }
    long long classes;
    if ((rc = em_yaml_int_req(y, root, "classes", 2, 1 << 20, &classes, err))) goto fail;
    a->classes = (int)classes;
    em_ynode *layers = em_yaml_get(y, root, "layers");
    if (!em_yaml_is_seq(layers) || em_yaml_seq_len(layers) == 0) {
        rc = em_fail(err, EM_EFORMAT, "%s:%d: key 'layers': expected a non-empty list", y->path,
                     em_yaml_line(layers ? layers : root));
        goto fail;
    }
    a->n_layers = em_yaml_seq_len(layers);
    a->layers = calloc((size_t)a->n_layers, sizeof *a->layers);
    if (!a->layers) { rc = em_fail(err, EM_ENOMEM, "out of memory"); goto fail; }
    for (int i = 0; i < a->n_layers; i++)
        if ((rc = parse_layer(y, a, i, em_yaml_seq_at(y, layers, i), err))) goto fail;
    if ((rc = check_totals(y->path, a, err))) goto fail;
    nn_shape last = a->layers[a->n_layers - 1].out;
    if (last.c * last.h * last.w != a->classes) {
        rc = em_fail(err, EM_EINVAL, "%s: the last layer gives %d outputs but classes is %d",
                     y->path, last.c * last.h * last.w, a->classes);
        goto fail;
    }
    *out = a;
    return EM_OK;
fail:
    nn_arch_free(a);
    return rc;
}

int nn_arch_load(const char *path, nn_arch **out, em_error *err)
{
    em_yaml y;
    *out = NULL;
    int rc = em_yaml_load_file(&y, path, err);
    if (!rc) rc = parse_doc(&y, out, err);
    em_yaml_free(&y);
    return rc;
}

int nn_arch_parse(const char *text, const char *name, nn_arch **out, em_error *err)
{
    em_yaml y;
    *out = NULL;
    int rc = em_yaml_load_string(&y, text, name, err);
    if (!rc) rc = parse_doc(&y, out, err);
    em_yaml_free(&y);
    return rc;
}

int nn_arch_resolve(const char *name_or_path, char *buf, size_t n, em_error *err)
{
    if (em_find_data_file("models", name_or_path, ".yaml", buf, n)) return EM_OK;
    const char *why = em_not_a_file(name_or_path);
    if (why) return em_fail(err, EM_EIO, "model '%s' %s", name_or_path, why);
    return em_fail(err, EM_EIO, "model '%s': no such file, and no models/%s.yaml in "
                   "$EMOMC_HOME or the emomc data folders", name_or_path, name_or_path);
}
