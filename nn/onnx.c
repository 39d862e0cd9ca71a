/* nn/onnx.c: importing an ONNX model (protobuf-c, generated from onnx.proto) into an
 * nn_arch and its weights: the value table, one converter per operator, then shape
 * inference and the weight checks against the inferred shapes. */
#include "nn/onnx.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx.pb-c.h"

const char nn_onnx_supported_ops[] =
    "Conv, Gemm, MatMul (+ Add as its bias), Relu, Clip (min 0 and no max: ReLU; min 0, "
    "max 6: ReLU6), MaxPool, "
    "AveragePool, GlobalAveragePool, BatchNormalization, Add, Flatten, Reshape (to 2-D), "
    "Dropout, Identity, Constant, Pad (zeros, before Conv or AveragePool)";

#define MAX_DIMS 8

/* A named value of the graph: a constant tensor, the network input, or a layer's
 * output. */
typedef struct {
    const char *name;
    int layer;                 /* producing layer, NN_INPUT_SRC, or VAL_CONST */
    Onnx__TensorProto *t;      /* constants */
    int rank;                  /* layer outputs and the input: 2 or 4 */
    int pad;                   /* > 0: the output of a zero Pad node by this much, which
                                  only a following Conv or AveragePool can absorb */
} val;
#define VAL_CONST (-2)

/* What pass 2 needs of each layer: its node and its parameter tensors. */
typedef struct {
    int node;
    Onnx__TensorProto *w, *b, *bn[4];
    bool transpose_w;          /* MatMul, Gemm transB = 0: W is [in, out] */
    int64_t reshape_to;        /* Reshape: the second target dim (-1 or a count) */
} layer_src;

typedef struct {
    const char *path;
    Onnx__GraphProto *g;
    val *v;
    int nv, cap_v;
    nn_arch *a;
    int cap_l;
    layer_src *ls;
    em_error *err;
} imp;

static const char *node_label(const Onnx__NodeProto *n, int k, char *buf, size_t cap)
{
    if (n->name && n->name[0]) snprintf(buf, cap, "%s", n->name);
    else snprintf(buf, cap, "#%d", k);
    return buf;
}

/* "FILE: node 'NAME' (OP): message" */
static int node_fail(imp *im, int k, em_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int node_fail(imp *im, int k, em_status code, const char *fmt, ...)
{
    char msg[700], lab[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const Onnx__NodeProto *n = im->g->node[k];
    return em_fail(im->err, code, "%s: node '%s' (%s): %s", im->path,
                   node_label(n, k, lab, sizeof lab), n->op_type ? n->op_type : "?", msg);
}

static val *find_val(imp *im, const char *name)
{
    if (!name || !name[0]) return NULL;
    for (int i = im->nv - 1; i >= 0; i--)
        if (!strcmp(im->v[i].name, name)) return &im->v[i];
    return NULL;
}

/* How many node inputs and graph outputs read the value `name`. */
static int count_uses(const imp *im, const char *name)
{
    int n = 0;
    for (size_t j = 0; j < im->g->n_node; j++)
        for (size_t q = 0; q < im->g->node[j]->n_input; q++)
            n += !strcmp(im->g->node[j]->input[q], name);
    for (size_t j = 0; j < im->g->n_output; j++)
        n += im->g->output[j]->name && !strcmp(im->g->output[j]->name, name);
    return n;
}

static int add_val(imp *im, const char *name, int layer, Onnx__TensorProto *t, int rank)
{
    if (im->nv == im->cap_v) {
        int cap = im->cap_v ? 2 * im->cap_v : 64;
        val *nv = realloc(im->v, sizeof *nv * (size_t)cap);
        if (!nv) return em_fail(im->err, EM_ENOMEM, "out of memory");
        im->v = nv;
        im->cap_v = cap;
    }
    im->v[im->nv++] = (val){name ? name : "", layer, t, rank, 0};
    return EM_OK;
}

/* ---- tensors ------------------------------------------------------------------ */

static const char *dtype_name(int32_t t)
{
    static const char *const names[] = {"undefined", "float", "uint8", "int8", "uint16",
                                        "int16", "int32", "int64", "string", "bool",
                                        "float16", "double", "uint32", "uint64",
                                        "complex64", "complex128", "bfloat16"};
    return t >= 0 && t < (int32_t)(sizeof names / sizeof *names) ? names[t] : "unknown";
}

static int tensor_numel(imp *im, int k, const Onnx__TensorProto *t, int64_t *numel)
{
    int64_t n = 1;
    if (t->n_dims > MAX_DIMS)
        return node_fail(im, k, EM_EFORMAT, "tensor '%s' has %zu dimensions", t->name,
                         t->n_dims);
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || t->dims[i] > (1LL << 31))
            return node_fail(im, k, EM_EFORMAT, "tensor '%s' has dimension %lld", t->name,
                             (long long)t->dims[i]);
        n *= t->dims[i];
        if (n > (1LL << 31))
            return node_fail(im, k, EM_EFORMAT, "tensor '%s' is too large", t->name);
    }
    *numel = n;
    return EM_OK;
}

/* Copies a float tensor's values into a new array (the caller frees it). */
static int tensor_floats(imp *im, int k, const Onnx__TensorProto *t, float **out, int64_t *numel)
{
    *out = NULL;
    int rc = tensor_numel(im, k, t, numel);
    if (rc) return rc;
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return node_fail(im, k, EM_EUNSUPPORTED, "tensor '%s' has data type %s; emomc takes "
                         "float32 tensors only", t->name, dtype_name(t->data_type));
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return node_fail(im, k, EM_EUNSUPPORTED, "tensor '%s' keeps its data in an external "
                         "file, which emomc does not read", t->name);
    float *v = malloc(sizeof *v * (size_t)(*numel ? *numel : 1));
    if (!v) return em_fail(im->err, EM_ENOMEM, "out of memory");
    if (t->has_raw_data && t->raw_data.len > 0) {
        if (t->raw_data.len != (size_t)*numel * 4) {
            free(v);
            return node_fail(im, k, EM_EFORMAT, "tensor '%s' holds %zu bytes of data, not the "
                             "%lld its shape needs", t->name, t->raw_data.len,
                             (long long)*numel * 4);
        }
        for (int64_t i = 0; i < *numel; i++) { /* little-endian on disk */
            const uint8_t *p = t->raw_data.data + 4 * i;
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                         (uint32_t)p[3] << 24;
            memcpy(&v[i], &u, 4);
        }
    } else {
        if (t->n_float_data != (size_t)*numel) {
            free(v);
            return node_fail(im, k, EM_EFORMAT, "tensor '%s' holds %zu values, not the %lld "
                             "its shape needs", t->name, t->n_float_data, (long long)*numel);
        }
        if (*numel) memcpy(v, t->float_data, sizeof *v * (size_t)*numel);
    }
    *out = v;
    return EM_OK;
}

/* Integer values of a small int64/int32 tensor (Reshape shapes). */
static int tensor_ints(imp *im, int k, const Onnx__TensorProto *t, int64_t *out, int cap, int *n)
{
    int64_t numel;
    int rc = tensor_numel(im, k, t, &numel);
    if (rc) return rc;
    if (numel > cap) return node_fail(im, k, EM_EFORMAT, "tensor '%s' has %lld values", t->name,
                                      (long long)numel);
    bool i64 = t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    if (!i64 && t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
        return node_fail(im, k, EM_EFORMAT, "tensor '%s' has data type %s, not int64",
                         t->name, dtype_name(t->data_type));
    size_t es = i64 ? 8 : 4;
    if (t->has_raw_data && t->raw_data.len > 0) {
        if (t->raw_data.len != (size_t)numel * es)
            return node_fail(im, k, EM_EFORMAT, "tensor '%s' holds %zu bytes, not %lld",
                             t->name, t->raw_data.len, (long long)numel * (long long)es);
        for (int64_t i = 0; i < numel; i++) {
            uint64_t u = 0;
            for (size_t b = 0; b < es; b++) u |= (uint64_t)t->raw_data.data[es * i + b] << (8 * b);
            out[i] = i64 ? (int64_t)u : (int64_t)(int32_t)(uint32_t)u;
        }
    } else if (i64 && t->n_int64_data == (size_t)numel) {
        for (int64_t i = 0; i < numel; i++) out[i] = t->int64_data[i];
    } else if (!i64 && t->n_int32_data == (size_t)numel) {
        for (int64_t i = 0; i < numel; i++) out[i] = t->int32_data[i];
    } else {
        return node_fail(im, k, EM_EFORMAT, "tensor '%s' holds the wrong number of values",
                         t->name);
    }
    *n = (int)numel;
    return EM_OK;
}

/* ---- attributes ---------------------------------------------------------------- */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)) return n->attribute[i];
    return NULL;
}

static int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? a->i : dflt;
}

static double attr_float(const Onnx__NodeProto *n, const char *name, double dflt)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_f ? a->f : dflt;
}

/* An ints attribute with exactly `want` entries (or absent: *present false). */
static int attr_ints(imp *im, int k, const char *name, size_t want, int64_t *out, bool *present)
{
    const Onnx__AttributeProto *a = attr(im->g->node[k], name);
    *present = a != NULL;
    if (!a) return EM_OK;
    if (a->n_ints != want)
        return node_fail(im, k, EM_EFORMAT, "attribute '%s' has %zu values, expected %zu", name,
                         a->n_ints, want);
    for (size_t i = 0; i < want; i++) out[i] = a->ints[i];
    return EM_OK;
}

/* Checks the attributes a window operator (Conv, MaxPool, AveragePool) shares:
 * strides equal, pads symmetric and equal, dilations 1, auto_pad NOTSET/VALID. */
static int window_attrs(imp *im, int k, int *stride, int *pad)
{
    const Onnx__NodeProto *n = im->g->node[k];
    int64_t s[2] = {1, 1}, p[4] = {0, 0, 0, 0}, d[2] = {1, 1};
    bool have;
    int rc;
    if ((rc = attr_ints(im, k, "strides", 2, s, &have))) return rc;
    if ((rc = attr_ints(im, k, "pads", 4, p, &have))) return rc;
    if ((rc = attr_ints(im, k, "dilations", 2, d, &have))) return rc;
    const Onnx__AttributeProto *ap = attr(n, "auto_pad");
    if (ap && ap->has_s) {
        char v[32];
        snprintf(v, sizeof v, "%.*s", (int)(ap->s.len < 31 ? ap->s.len : 31), (const char *)ap->s.data);
        if (strcmp(v, "NOTSET") && strcmp(v, "VALID") && v[0])
            return node_fail(im, k, EM_EUNSUPPORTED, "auto_pad %s is not supported (give pads)", v);
    }
    if (s[0] != s[1] || s[0] < 1 || s[0] > 4096)
        return node_fail(im, k, EM_EUNSUPPORTED, "strides %lldx%lld: the engine takes one stride "
                         "for both axes", (long long)s[0], (long long)s[1]);
    if (p[0] != p[1] || p[0] != p[2] || p[0] != p[3] || p[0] < 0 || p[0] > 4096)
        return node_fail(im, k, EM_EUNSUPPORTED, "pads [%lld, %lld, %lld, %lld]: the engine takes "
                         "one symmetric padding", (long long)p[0], (long long)p[1],
                         (long long)p[2], (long long)p[3]);
    if (d[0] != 1 || d[1] != 1)
        return node_fail(im, k, EM_EUNSUPPORTED, "dilations %lldx%lld: the engine has no dilated "
                         "convolution or pooling", (long long)d[0], (long long)d[1]);
    *stride = (int)s[0];
    *pad = (int)p[0];
    return EM_OK;
}

/* ---- layers -------------------------------------------------------------------- */

static bool name_taken(const nn_arch *a, const char *s)
{
    if (!strcmp(s, "input")) return true;
    for (int i = 0; i < a->n_layers; i++)
        if (!strcmp(a->layers[i].name, s)) return true;
    return false;
}

/* A layer's name: its weight initializer's prefix ("conv1.weight"), else the node's
 * scope ("/s1/conv1/Conv" -> conv1), else kind and index; unique. */
static void layer_name(imp *im, int k, const char *wn, nn_layer_kind kind, char *out)
{
    char base[NN_NAME_MAX] = "";
    const Onnx__NodeProto *n = im->g->node[k];
    if (!wn) wn = "";
    size_t wl = strlen(wn);
    if (wl > 7 && wl - 7 < NN_NAME_MAX - 4 && !strcmp(wn + wl - 7, ".weight")) {
        memcpy(base, wn, wl - 7);
        base[wl - 7] = '\0';
    } else if (n->name && n->name[0]) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", n->name);
        size_t tl = strlen(tmp);
        while (tl && tmp[tl - 1] == '/') tmp[--tl] = '\0';
        char *slash = strrchr(tmp, '/');
        if (slash && slash != tmp) { /* drop the trailing "/OpType" part */
            *slash = '\0';
            char *prev = strrchr(tmp, '/');
            snprintf(base, sizeof base - 4, "%.59s", prev ? prev + 1 : tmp);
        } else if (!slash) {
            snprintf(base, sizeof base - 4, "%.59s", tmp);
        }
    }
    for (char *c = base; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '.' || *c == '-'))
            *c = '_';
    if (!base[0]) snprintf(base, sizeof base, "%.12s%d", nn_layer_kind_name(kind), im->a->n_layers + 1);
    snprintf(out, NN_NAME_MAX, "%s", base);
    for (int s = 2; name_taken(im->a, out) && s < 1000000; s++)
        snprintf(out, NN_NAME_MAX, "%.52s_%d", base, s % 1000000);
}

/* Appends a layer reading src (and src2 for add); returns its index or < 0. */
static int add_layer(imp *im, int k, nn_layer_kind kind, const val *src, const val *src2,
                     const char *wname)
{
    nn_arch *a = im->a;
    if (a->n_layers == im->cap_l) {
        int cap = im->cap_l ? 2 * im->cap_l : 32;
        nn_layer_spec *nl = realloc(a->layers, sizeof *nl * (size_t)cap);
        layer_src *ns = realloc(im->ls, sizeof *ns * (size_t)cap);
        if (nl) a->layers = nl;
        if (ns) im->ls = ns;
        if (!nl || !ns) return em_fail(im->err, EM_ENOMEM, "out of memory");
        im->cap_l = cap;
    }
    nn_layer_spec *l = &a->layers[a->n_layers];
    memset(l, 0, sizeof *l);
    memset(&im->ls[a->n_layers], 0, sizeof im->ls[0]);
    im->ls[a->n_layers].node = k;
    layer_name(im, k, wname, kind, l->name);
    l->kind = kind;
    l->src[0] = src->layer;
    l->src[1] = src2 ? src2->layer : NN_INPUT_SRC;
    l->nsrc = src2 ? 2 : 1;
    l->stride = 1;
    l->groups = 1;
    l->kh = l->kw = 1;
    l->bn_eps = 1e-5;
    l->bn_momentum = 0.1;
    l->line = k + 1;
    return a->n_layers++;
}

static int layer_input_padded(imp *im, int k, size_t i, val **out);

/* Input i of node k as a layer output (or the network input), not a pending Pad. */
static int layer_input(imp *im, int k, size_t i, val **out)
{
    int rc = layer_input_padded(im, k, i, out);
    if (!rc && (*out)->pad)
        return node_fail(im, k, EM_EUNSUPPORTED, "input '%s' comes from a Pad node; emomc "
                         "supports Pad only right before Conv or AveragePool",
                         (*out)->name);
    return rc;
}

/* The same, where a zero Pad before this node may be absorbed (v->pad). */
static int layer_input_padded(imp *im, int k, size_t i, val **out)
{
    const Onnx__NodeProto *n = im->g->node[k];
    if (i >= n->n_input || !n->input[i][0])
        return node_fail(im, k, EM_EFORMAT, "input %zu is missing", i + 1);
    val *v = find_val(im, n->input[i]);
    if (!v) return node_fail(im, k, EM_EFORMAT, "input '%s' is neither an initializer nor the "
                             "output of an earlier node", n->input[i]);
    if (v->layer == VAL_CONST)
        return node_fail(im, k, EM_EUNSUPPORTED, "input '%s' is a constant where emomc expects "
                         "an activation", n->input[i]);
    *out = v;
    return EM_OK;
}

/* Input i of node k as a constant tensor; optional inputs may be absent (NULL). */
static int const_input(imp *im, int k, size_t i, bool optional, Onnx__TensorProto **out)
{
    const Onnx__NodeProto *n = im->g->node[k];
    *out = NULL;
    if (i >= n->n_input || !n->input[i][0]) {
        if (optional) return EM_OK;
        return node_fail(im, k, EM_EFORMAT, "input %zu is missing", i + 1);
    }
    val *v = find_val(im, n->input[i]);
    if (!v) return node_fail(im, k, EM_EFORMAT, "missing initializer '%s'", n->input[i]);
    if (v->layer != VAL_CONST)
        return node_fail(im, k, EM_EUNSUPPORTED, "input '%s' must be an initializer (a constant "
                         "tensor), not computed", n->input[i]);
    *out = v->t;
    return EM_OK;
}

static int define_output(imp *im, int k, int layer, int rank)
{
    const Onnx__NodeProto *n = im->g->node[k];
    if (n->n_output < 1 || !n->output[0][0]) return node_fail(im, k, EM_EFORMAT, "no output");
    /* An extra output (MaxPool indices, Dropout mask, BN training statistics) must be
     * unused. */
    for (size_t i = 1; i < n->n_output; i++)
        if (n->output[i][0] && count_uses(im, n->output[i]))
            return node_fail(im, k, EM_EUNSUPPORTED, "output %zu ('%s') is used; emomc supports "
                             "only the first output", i + 1, n->output[i]);
    return add_val(im, n->output[0], layer, NULL, rank);
}

static int64_t dim(const Onnx__TensorProto *t, size_t i) { return i < t->n_dims ? t->dims[i] : -1; }

static int conv_node(imp *im, int k)
{
    const Onnx__NodeProto *n = im->g->node[k];
    val *x;
    Onnx__TensorProto *w, *b;
    int rc, stride, pad;
    if ((rc = layer_input_padded(im, k, 0, &x)) || (rc = const_input(im, k, 1, false, &w)) ||
        (rc = const_input(im, k, 2, true, &b)) || (rc = window_attrs(im, k, &stride, &pad)))
        return rc;
    pad += x->pad;
    if (x->rank != 4) return node_fail(im, k, EM_EFORMAT, "input is %d-D, not 4-D", x->rank);
    if (w->n_dims != 4)
        return node_fail(im, k, EM_EFORMAT, "weight '%s' is %zu-D, not 4-D [out, in/groups, kh, "
                         "kw] (only 2-D convolution is supported)", w->name, w->n_dims);
    int64_t ks[2] = {dim(w, 2), dim(w, 3)};
    bool have;
    int64_t kk[2];
    if ((rc = attr_ints(im, k, "kernel_shape", 2, kk, &have))) return rc;
    if (have && (kk[0] != ks[0] || kk[1] != ks[1]))
        return node_fail(im, k, EM_EFORMAT, "kernel_shape %lldx%lld does not match weight '%s' "
                         "(%lldx%lld)", (long long)kk[0], (long long)kk[1], w->name,
                         (long long)ks[0], (long long)ks[1]);
    int64_t g = attr_int(n, "group", 1);
    if (g < 1 || g > (1 << 20)) return node_fail(im, k, EM_EFORMAT, "group %lld", (long long)g);
    if (dim(w, 0) < 1 || dim(w, 0) > (1 << 20) || ks[0] < 1 || ks[1] < 1 || ks[0] > 4096 ||
        ks[1] > 4096)
        return node_fail(im, k, EM_EFORMAT, "weight '%s' has a bad shape", w->name);
    int l = add_layer(im, k, NN_L_CONV, x, NULL, n->input[1]);
    if (l < 0) return l;
    nn_layer_spec *s = &im->a->layers[l];
    s->out_channels = (int)dim(w, 0);
    s->kh = (int)ks[0];
    s->kw = (int)ks[1];
    s->stride = stride;
    s->pad = pad;
    s->groups = (int)g;
    s->bias = b != NULL;
    im->ls[l].w = w;
    im->ls[l].b = b;
    return define_output(im, k, l, 4);
}

static int pool_node(imp *im, int k, nn_layer_kind kind)
{
    const Onnx__NodeProto *n = im->g->node[k];
    val *x;
    int rc, stride, pad;
    if ((rc = kind == NN_L_AVGPOOL ? layer_input_padded(im, k, 0, &x) : layer_input(im, k, 0, &x)) ||
        (rc = window_attrs(im, k, &stride, &pad)))
        return rc;
    if (x->pad && pad) /* zero padding counted (the Pad), then the pool's own */
        return node_fail(im, k, EM_EUNSUPPORTED, "a Pad before a padded AveragePool");
    bool padded_before = x->pad > 0;
    pad += x->pad;
    if (x->rank != 4) return node_fail(im, k, EM_EFORMAT, "input is %d-D, not 4-D", x->rank);
    int64_t ks[2];
    bool have;
    if ((rc = attr_ints(im, k, "kernel_shape", 2, ks, &have))) return rc;
    if (!have) return node_fail(im, k, EM_EFORMAT, "no kernel_shape (2-D pooling is required)");
    if (ks[0] < 1 || ks[1] < 1 || ks[0] > 4096 || ks[1] > 4096)
        return node_fail(im, k, EM_EFORMAT, "kernel_shape %lldx%lld", (long long)ks[0],
                         (long long)ks[1]);
    if (attr_int(n, "ceil_mode", 0))
        return node_fail(im, k, EM_EUNSUPPORTED, "ceil_mode 1 is not supported (the engine "
                         "rounds output sizes down)");
    if (kind == NN_L_AVGPOOL && pad > 0 && !padded_before && !attr_int(n, "count_include_pad", 0))
        return node_fail(im, k, EM_EUNSUPPORTED, "padded average pooling with "
                         "count_include_pad 0: the engine counts the padding "
                         "(count_include_pad 1, PyTorch's default)");
    int l = add_layer(im, k, kind, x, NULL, NULL);
    if (l < 0) return l;
    nn_layer_spec *s = &im->a->layers[l];
    s->kh = (int)ks[0];
    s->kw = (int)ks[1];
    s->stride = stride;
    s->pad = pad;
    return define_output(im, k, l, 4);
}

static int simple_node(imp *im, int k, nn_layer_kind kind, int rank_out)
{
    val *x;
    int rc = layer_input(im, k, 0, &x);
    if (rc) return rc;
    if (kind == NN_L_GAP && x->rank != 4)
        return node_fail(im, k, EM_EFORMAT, "input is %d-D, not 4-D", x->rank);
    int l = add_layer(im, k, kind, x, NULL, NULL);
    if (l < 0) return l;
    return define_output(im, k, l, rank_out ? rank_out : x->rank);
}

/* A scalar from an optional constant input (Clip's min and max, Dropout's ratio). */
static int const_scalar(imp *im, int k, size_t i, double dflt, double *out)
{
    Onnx__TensorProto *t;
    int rc = const_input(im, k, i, true, &t);
    *out = dflt;
    if (rc || !t) return rc;
    float *v;
    int64_t n;
    if ((rc = tensor_floats(im, k, t, &v, &n))) return rc;
    if (n != 1) rc = node_fail(im, k, EM_EFORMAT, "input '%s' is not a scalar", t->name);
    else *out = v[0];
    free(v);
    return rc;
}

/* Clip's bounds as attributes (opset < 11) or constant inputs (11 on, these win):
 * [0, inf) is relu, [0, 6] relu6, anything else an error naming the node. */
static int clip_node(imp *im, int k)
{
    const Onnx__NodeProto *n = im->g->node[k];
    double lo = attr_float(n, "min", -INFINITY), hi = attr_float(n, "max", INFINITY);
    int rc;
    if ((rc = const_scalar(im, k, 1, lo, &lo)) || (rc = const_scalar(im, k, 2, hi, &hi))) return rc;
    if (lo == 0 && hi == INFINITY) return simple_node(im, k, NN_L_RELU, 0);
    if (lo == 0 && hi == 6) return simple_node(im, k, NN_L_RELU6, 0);
    return node_fail(im, k, EM_EUNSUPPORTED, "Clip(min %g, max %g): the engine has no general "
                     "clipping layer; only Clip(min 0, no max), which is ReLU, and Clip(min 0, "
                     "max 6), which is ReLU6, are supported", lo, hi);
}

static int bn_node(imp *im, int k)
{
    const Onnx__NodeProto *n = im->g->node[k];
    val *x;
    Onnx__TensorProto *t[4];
    int rc = layer_input(im, k, 0, &x);
    for (int i = 0; i < 4 && !rc; i++) rc = const_input(im, k, (size_t)i + 1, false, &t[i]);
    if (rc) return rc;
    if (attr_int(n, "training_mode", 0))
        return node_fail(im, k, EM_EUNSUPPORTED, "training_mode 1: emomc imports inference "
                         "graphs (export with the model in eval mode)");
    double eps = attr_float(n, "epsilon", 1e-5), mom = attr_float(n, "momentum", 0.9);
    if (!(eps >= 1e-12 && eps <= 1) || !(mom >= 0 && mom <= 1))
        return node_fail(im, k, EM_EFORMAT, "epsilon %g or momentum %g out of range", eps, mom);
    int l = add_layer(im, k, NN_L_BN, x, NULL, n->input[1]);
    if (l < 0) return l;
    im->a->layers[l].bn_eps = eps;
    im->a->layers[l].bn_momentum = 1.0 - mom; /* ONNX keeps momentum of the running stats */
    for (int i = 0; i < 4; i++) im->ls[l].bn[i] = t[i];
    return define_output(im, k, l, x->rank);
}

/* Gemm (A [N, in], B, C) and MatMul (A [N, in], B [in, out]). */
static int linear_node(imp *im, int k, bool gemm)
{
    const Onnx__NodeProto *n = im->g->node[k];
    val *x;
    Onnx__TensorProto *w, *b = NULL;
    int rc;
    if ((rc = layer_input(im, k, 0, &x)) || (rc = const_input(im, k, 1, false, &w))) return rc;
    if (gemm && (rc = const_input(im, k, 2, true, &b))) return rc;
    if (x->rank != 2)
        return node_fail(im, k, EM_EFORMAT, "input is %d-D; a fully connected layer takes a 2-D "
                         "input (put a Flatten before it)", x->rank);
    bool tb = false;
    if (gemm) {
        if (attr_float(n, "alpha", 1) != 1 || attr_float(n, "beta", 1) != 1)
            return node_fail(im, k, EM_EUNSUPPORTED, "alpha and beta must be 1");
        if (attr_int(n, "transA", 0))
            return node_fail(im, k, EM_EUNSUPPORTED, "transA 1 is not supported");
        tb = attr_int(n, "transB", 0) != 0;
    }
    if (w->n_dims != 2 || dim(w, 0) < 1 || dim(w, 1) < 1 || dim(w, 0) > (1 << 24) ||
        dim(w, 1) > (1 << 24))
        return node_fail(im, k, EM_EFORMAT, "weight '%s' is not a 2-D matrix", w->name);
    int64_t out = tb ? dim(w, 0) : dim(w, 1);
    if (out > (1 << 20)) return node_fail(im, k, EM_EFORMAT, "%lld outputs", (long long)out);
    int l = add_layer(im, k, NN_L_LINEAR, x, NULL, n->input[1]);
    if (l < 0) return l;
    im->a->layers[l].out_channels = (int)out;
    im->a->layers[l].bias = b != NULL;
    im->ls[l].w = w;
    im->ls[l].b = b;
    im->ls[l].transpose_w = !tb;
    return define_output(im, k, l, 2);
}

static int add_node(imp *im, int k)
{
    const Onnx__NodeProto *n = im->g->node[k];
    if (n->n_input != 2) return node_fail(im, k, EM_EFORMAT, "Add needs 2 inputs");
    val *a = find_val(im, n->input[0]), *b = find_val(im, n->input[1]);
    for (int i = 0; i < 2; i++)
        if (!(i ? b : a))
            return node_fail(im, k, EM_EFORMAT, "input '%s' is neither an initializer nor the "
                             "output of an earlier node", n->input[i]);
    if (a->layer == VAL_CONST && b->layer == VAL_CONST)
        return node_fail(im, k, EM_EUNSUPPORTED, "Add of two constants");
    if (a->layer == VAL_CONST || b->layer == VAL_CONST) {
        /* The bias of a MatMul: merged into its linear layer. */
        val *x = a->layer == VAL_CONST ? b : a, *c = a->layer == VAL_CONST ? a : b;
        nn_layer_spec *s = x->layer >= 0 ? &im->a->layers[x->layer] : NULL;
        if (!s || s->kind != NN_L_LINEAR || s->bias || count_uses(im, x->name) != 1)
            return node_fail(im, k, EM_EUNSUPPORTED, "Add of a constant tensor is supported only "
                             "as the bias of a MatMul");
        s->bias = true;
        im->ls[x->layer].b = c->t;
        return add_val(im, n->output[0], x->layer, NULL, 2);
    }
    if (a->rank != b->rank) return node_fail(im, k, EM_EFORMAT, "inputs of different ranks");
    int l = add_layer(im, k, NN_L_ADD, a, b, NULL);
    if (l < 0) return l;
    return define_output(im, k, l, a->rank);
}

static int flatten_node(imp *im, int k, bool reshape)
{
    const Onnx__NodeProto *n = im->g->node[k];
    val *x;
    int rc = layer_input(im, k, 0, &x);
    if (rc) return rc;
    int64_t to = -1;
    if (reshape) {
        Onnx__TensorProto *t;
        int64_t s[MAX_DIMS];
        int ns = 0;
        if ((rc = const_input(im, k, 1, false, &t)) || (rc = tensor_ints(im, k, t, s, MAX_DIMS, &ns)))
            return rc;
        if (ns != 2 || s[0] < -1 || s[1] < -1 || (s[0] == -1 && s[1] == -1) || s[1] == 0)
            return node_fail(im, k, EM_EUNSUPPORTED, "Reshape is supported only to 2-D [N, "
                             "features] (a flatten)");
        to = s[1];
    } else if (attr_int(n, "axis", 1) != 1) {
        return node_fail(im, k, EM_EUNSUPPORTED, "Flatten axis %lld: only axis 1 is supported",
                         (long long)attr_int(n, "axis", 1));
    }
    int l = add_layer(im, k, NN_L_FLATTEN, x, NULL, NULL);
    if (l < 0) return l;
    im->ls[l].reshape_to = to;
    return define_output(im, k, l, 2);
}

static int dropout_node(imp *im, int k)
{
    const Onnx__NodeProto *n = im->g->node[k];
    double p = attr_float(n, "ratio", 0.5);
    int rc = const_scalar(im, k, 1, p, &p);
    if (rc) return rc;
    if (n->n_input > 2 && n->input[2][0])
        return node_fail(im, k, EM_EUNSUPPORTED, "training_mode input: emomc imports inference "
                         "graphs");
    if (!(p >= 0 && p <= 0.999)) return node_fail(im, k, EM_EFORMAT, "ratio %g", p);
    if ((rc = simple_node(im, k, NN_L_DROPOUT, 0))) return rc;
    im->a->layers[im->a->n_layers - 1].dropout = p;
    return EM_OK;
}

/* Pad (opset 11+: pads and constant_value as inputs) of zeros on H and W only,
 * symmetric: remembered on its output for the next Conv or AveragePool. */
static int pad_node(imp *im, int k)
{
    const Onnx__NodeProto *n = im->g->node[k];
    val *x;
    Onnx__TensorProto *t;
    int64_t p[MAX_DIMS];
    int np = 0, rc;
    if ((rc = layer_input(im, k, 0, &x)) || (rc = const_input(im, k, 1, false, &t)) ||
        (rc = tensor_ints(im, k, t, p, MAX_DIMS, &np)))
        return rc;
    const Onnx__AttributeProto *m = attr(n, "mode");
    if (m && m->has_s && !(m->s.len == 8 && !memcmp(m->s.data, "constant", 8)))
        return node_fail(im, k, EM_EUNSUPPORTED, "only constant (zero) padding is supported");
    double v;
    if ((rc = const_scalar(im, k, 2, 0.0, &v))) return rc;
    if (v != 0) return node_fail(im, k, EM_EUNSUPPORTED, "padding value %g: only 0", v);
    if (x->rank != 4 || np != 8 || p[0] || p[1] || p[4] || p[5] || p[2] != p[3] ||
        p[2] != p[6] || p[2] != p[7] || p[2] < 0 || p[2] > 4096)
        return node_fail(im, k, EM_EUNSUPPORTED, "only the same zero padding on all four sides of "
                         "H and W is supported");
    if (n->n_output < 1) return node_fail(im, k, EM_EFORMAT, "no output");
    int rc2 = add_val(im, n->output[0], x->layer, NULL, 4);
    if (!rc2) im->v[im->nv - 1].pad = (int)p[2];
    return rc2;
}

static int convert_node(imp *im, int k)
{
    Onnx__NodeProto *n = im->g->node[k];
    const char *op = n->op_type ? n->op_type : "";
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return node_fail(im, k, EM_EUNSUPPORTED, "operator domain '%s' is not supported "
                         "(supported: %s)", n->domain, nn_onnx_supported_ops);
    if (!strcmp(op, "Conv")) return conv_node(im, k);
    if (!strcmp(op, "Gemm")) return linear_node(im, k, true);
    if (!strcmp(op, "MatMul")) return linear_node(im, k, false);
    if (!strcmp(op, "Relu")) return simple_node(im, k, NN_L_RELU, 0);
    if (!strcmp(op, "Clip")) return clip_node(im, k);
    if (!strcmp(op, "MaxPool")) return pool_node(im, k, NN_L_MAXPOOL);
    if (!strcmp(op, "AveragePool")) return pool_node(im, k, NN_L_AVGPOOL);
    if (!strcmp(op, "GlobalAveragePool")) return simple_node(im, k, NN_L_GAP, 4);
    if (!strcmp(op, "BatchNormalization")) return bn_node(im, k);
    if (!strcmp(op, "Add")) return add_node(im, k);
    if (!strcmp(op, "Flatten")) return flatten_node(im, k, false);
    if (!strcmp(op, "Reshape")) return flatten_node(im, k, true);
    if (!strcmp(op, "Dropout")) return dropout_node(im, k);
    if (!strcmp(op, "Pad")) return pad_node(im, k);
    if (!strcmp(op, "Identity")) { /* an alias, of an activation or a constant */
        val *x = n->n_input >= 1 ? find_val(im, n->input[0]) : NULL;
        if (!x) return node_fail(im, k, EM_EFORMAT, "input '%s' is neither an initializer nor "
                                 "the output of an earlier node", n->n_input ? n->input[0] : "");
        if (x->pad) return node_fail(im, k, EM_EUNSUPPORTED, "Identity after Pad");
        if (n->n_output < 1) return node_fail(im, k, EM_EFORMAT, "no output");
        return add_val(im, n->output[0], x->layer, x->t, x->rank);
    }
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *a = attr(n, "value");
        if (!a || !a->t || n->n_output < 1)
            return node_fail(im, k, EM_EUNSUPPORTED, "only Constant with a 'value' tensor is "
                             "supported");
        return add_val(im, n->output[0], VAL_CONST, a->t, 0);
    }
    return node_fail(im, k, EM_EUNSUPPORTED, "operator %s is not supported (supported: %s)",
                     op[0] ? op : "(none)", nn_onnx_supported_ops);
}

/* ---- pass 2: weights against the inferred shapes ------------------------------- */

static int add_tensor(imp *im, nn_weights *w, int k, const nn_layer_spec *l, const char *suffix,
                      const Onnx__TensorProto *t, int ndim, const int64_t *shape, bool transpose)
{
    float *v;
    int64_t numel, want = 1;
    int rc = tensor_floats(im, k, t, &v, &numel);
    if (rc) return rc;
    for (int i = 0; i < ndim; i++) want *= shape[i];
    if (numel != want) {
        char sh[96] = "";
        for (int i = 0, o = 0; i < ndim && o < 80; i++)
            o += snprintf(sh + o, sizeof sh - (size_t)o, "%s%lld", i ? "x" : "", (long long)shape[i]);
        char got[96] = "";
        for (size_t i = 0, o = 0; i < t->n_dims && o < 80; i++)
            o += (size_t)snprintf(got + o, sizeof got - o, "%s%lld", i ? "x" : "",
                                  (long long)t->dims[i]);
        free(v);
        return node_fail(im, k, EM_EFORMAT, "shape mismatch: tensor '%s' is %s but layer '%s' "
                         "(input %dx%dx%d) needs %s", t->name, got[0] ? got : "a scalar",
                         l->name, l->in.c, l->in.h, l->in.w, sh);
    }
    if (transpose) { /* [in, out] -> [out, in] */
        float *tv = malloc(sizeof *tv * (size_t)(numel ? numel : 1));
        if (!tv) { free(v); return em_fail(im->err, EM_ENOMEM, "out of memory"); }
        const int64_t out = shape[0], in = shape[1];
        for (int64_t i = 0; i < in; i++)
            for (int64_t o = 0; o < out; o++) tv[o * in + i] = v[i * out + o];
        free(v);
        v = tv;
    }
    char name[NN_WEIGHTS_NAME_MAX];
    snprintf(name, sizeof name, "%s.%s", l->name, suffix);
    rc = nn_weights_add(w, name, NN_DT_F32, ndim, shape, v, im->err);
    free(v);
    return rc;
}

static int build_weights(imp *im, nn_weights *w)
{
    int rc = EM_OK;
    for (int i = 0; i < im->a->n_layers && !rc; i++) {
        const nn_layer_spec *l = &im->a->layers[i];
        const layer_src *s = &im->ls[i];
        const int k = s->node;
        int64_t co = l->out_channels;
        if (l->kind == NN_L_CONV) {
            int64_t sh[4] = {co, l->in.c / l->groups, l->kh, l->kw};
            if (dim(s->w, 1) * l->groups != l->in.c)
                return node_fail(im, k, EM_EFORMAT, "shape mismatch: weight '%s' takes %lld "
                                 "input channels per group x %d groups, but the input has %d",
                                 s->w->name, (long long)dim(s->w, 1), l->groups, l->in.c);
            rc = add_tensor(im, w, k, l, "weight", s->w, 4, sh, false);
            if (!rc && s->b) rc = add_tensor(im, w, k, l, "bias", s->b, 1, &co, false);
        } else if (l->kind == NN_L_LINEAR) {
            int64_t in = (int64_t)l->in.c * l->in.h * l->in.w, sh[2] = {co, in};
            int64_t win = s->transpose_w ? dim(s->w, 0) : dim(s->w, 1);
            if (win != in)
                return node_fail(im, k, EM_EFORMAT, "shape mismatch: weight '%s' takes %lld "
                                 "inputs but its input has %lld features", s->w->name,
                                 (long long)win, (long long)in);
            rc = add_tensor(im, w, k, l, "weight", s->w, 2, sh, s->transpose_w);
            if (!rc && s->b) rc = add_tensor(im, w, k, l, "bias", s->b, 1, &co, false);
        } else if (l->kind == NN_L_BN) {
            static const char *const sfx[4] = {"weight", "bias", "running_mean", "running_var"};
            int64_t c = l->in.c;
            for (int j = 0; j < 4 && !rc; j++) rc = add_tensor(im, w, k, l, sfx[j], s->bn[j], 1, &c, false);
        } else if (l->kind == NN_L_FLATTEN && s->reshape_to > 0 &&
                   s->reshape_to != (int64_t)l->in.c * l->in.h * l->in.w) {
            return node_fail(im, k, EM_EFORMAT, "shape mismatch: Reshape to %lld features, but "
                             "the input has %d", (long long)s->reshape_to,
                             l->in.c * l->in.h * l->in.w);
        }
    }
    return rc;
}

/* ---- the model ----------------------------------------------------------------- */

static int check_opset(const Onnx__ModelProto *m, const char *path, em_error *err)
{
    int64_t v = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if (!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx")) v = o->has_version ? o->version : -1;
    }
    if (v < 0) return em_fail(err, EM_EFORMAT, "%s: no opset for the default ONNX domain", path);
    if (v < NN_ONNX_OPSET_MIN || v > NN_ONNX_OPSET_MAX)
        return em_fail(err, EM_EUNSUPPORTED, "%s: opset %lld; emomc imports opsets %d to %d", path,
                       (long long)v, NN_ONNX_OPSET_MIN, NN_ONNX_OPSET_MAX);
    return EM_OK;
}

/* The network input: the graph input that is not an initializer, [N, C, H, W]. */
static int graph_input(imp *im, const Onnx__ValueInfoProto **out)
{
    const Onnx__GraphProto *g = im->g;
    *out = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        const Onnx__ValueInfoProto *vi = g->input[i];
        bool is_init = false;
        for (size_t j = 0; j < g->n_initializer && !is_init; j++)
            is_init = g->initializer[j]->name && !strcmp(g->initializer[j]->name, vi->name);
        if (is_init) continue;
        if (*out) return em_fail(im->err, EM_EUNSUPPORTED, "%s: the graph has more than one "
                                 "input ('%s', '%s')", im->path, (*out)->name, vi->name);
        *out = vi;
    }
    if (!*out) return em_fail(im->err, EM_EFORMAT, "%s: the graph has no input", im->path);
    const Onnx__ValueInfoProto *vi = *out;
    const Onnx__TypeProto__Tensor *tt = vi->type ? vi->type->tensor_type : NULL;
    if (!tt) return em_fail(im->err, EM_EFORMAT, "%s: input '%s' is not a tensor", im->path, vi->name);
    if (tt->has_elem_type && tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return em_fail(im->err, EM_EUNSUPPORTED, "%s: input '%s' has data type %s, not float",
                       im->path, vi->name, dtype_name(tt->elem_type));
    const Onnx__TensorShapeProto *sh = tt->shape;
    if (!sh || sh->n_dim != 4)
        return em_fail(im->err, EM_EUNSUPPORTED, "%s: input '%s' must be 4-D [N, C, H, W] with C, "
                       "H and W known", im->path, vi->name);
    for (int i = 1; i < 4; i++)
        if (sh->dim[i]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || sh->dim[i]->dim_value < 1 || sh->dim[i]->dim_value > (1 << 16))
            return em_fail(im->err, EM_EUNSUPPORTED, "%s: input '%s': dimension %d is not a known "
                           "size (C, H and W must be fixed)", im->path, vi->name, i);
    return EM_OK;
}

static void model_name(const Onnx__ModelProto *m, const char *path, char *out)
{
    const char *g = m->graph->name;
    if (g && g[0] && strcmp(g, "main_graph") && strcmp(g, "torch-jit-export") &&
        strcmp(g, "torch_jit") && strlen(g) < NN_NAME_MAX) {
        snprintf(out, NN_NAME_MAX, "%s", g);
        return;
    }
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".onnx")) n -= 5;
    if (n >= NN_NAME_MAX) n = NN_NAME_MAX - 1;
    memcpy(out, b, n);
    out[n] = '\0';
    if (!out[0]) snprintf(out, NN_NAME_MAX, "onnx");
}

static int import_model(Onnx__ModelProto *m, const char *path, nn_arch **arch_out,
                        nn_weights **w_out, em_error *err)
{
    int rc = check_opset(m, path, err);
    if (rc) return rc;
    if (!m->graph) return em_fail(err, EM_EFORMAT, "%s: the model has no graph", path);
    imp im = {path, m->graph, NULL, 0, 0, NULL, 0, NULL, err};
    nn_weights *w = NULL;
    im.a = calloc(1, sizeof *im.a);
    if (!im.a) return em_fail(err, EM_ENOMEM, "out of memory");
    im.a->path = strdup(path);
    model_name(m, path, im.a->name);
    const Onnx__GraphProto *g = m->graph;
    const Onnx__ValueInfoProto *in;
    if ((rc = graph_input(&im, &in))) goto done;
    const Onnx__TensorShapeProto *sh = in->type->tensor_type->shape;
    im.a->input = (nn_shape){(int)sh->dim[1]->dim_value, (int)sh->dim[2]->dim_value,
                             (int)sh->dim[3]->dim_value};
    if ((rc = add_val(&im, in->name, NN_INPUT_SRC, NULL, 4))) goto done;
    for (size_t i = 0; i < g->n_initializer && !rc; i++)
        rc = add_val(&im, g->initializer[i]->name, VAL_CONST, g->initializer[i], 0);
    if (g->n_node == 0) rc = em_fail(err, EM_EFORMAT, "%s: the graph has no nodes", path);
    if (rc) goto done;
    for (size_t k = 0; k < g->n_node && !rc; k++) rc = convert_node(&im, (int)k);
    if (rc) goto done;
    if (g->n_output != 1) {
        rc = em_fail(err, EM_EUNSUPPORTED, "%s: the graph has %zu outputs; emomc takes one (the "
                     "logits)", path, g->n_output);
        goto done;
    }
    val *o = find_val(&im, g->output[0]->name);
    if (!o || o->layer < 0 || o->layer != im.a->n_layers - 1) {
        rc = em_fail(err, EM_EUNSUPPORTED, "%s: the graph output '%s' must be the output of its "
                     "last layer", path, g->output[0]->name);
        goto done;
    }
    im.a->classes = 0;
    if ((rc = nn_arch_infer(im.a, err))) goto done;
    if (im.a->classes < 2) {
        rc = em_fail(err, EM_EFORMAT, "%s: the output has %d values per image; a classifier has "
                     "at least 2", path, im.a->classes);
        goto done;
    }
    if (w_out) {
        if (!(w = nn_weights_new())) { rc = em_fail(err, EM_ENOMEM, "out of memory"); goto done; }
        rc = build_weights(&im, w);
        for (size_t i = 0; i < m->n_metadata_props && !rc; i++) {
            const Onnx__StringStringEntryProto *e = m->metadata_props[i];
            if (e->key && e->key[0] && e->value) rc = nn_weights_set_meta(w, e->key, e->value, err);
        }
        if (!rc) rc = nn_weights_set_meta(w, "source", path, err);
    } else {
        nn_weights *tmp = nn_weights_new(); /* still check every tensor */
        rc = tmp ? build_weights(&im, tmp) : em_fail(err, EM_ENOMEM, "out of memory");
        nn_weights_free(tmp);
    }
done:
    free(im.v);
    free(im.ls);
    if (rc) {
        nn_arch_free(im.a);
        nn_weights_free(w);
        return rc;
    }
    if (arch_out) *arch_out = im.a;
    else nn_arch_free(im.a);
    if (w_out) *w_out = w;
    return EM_OK;
}

int nn_onnx_parse(const uint8_t *buf, size_t len, const char *path, nn_arch **arch,
                  nn_weights **weights, em_error *err)
{
    if (arch) *arch = NULL;
    if (weights) *weights = NULL;
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    if (!m)
        return em_fail(err, EM_EFORMAT, "%s: not a valid ONNX model (truncated or corrupt "
                       "protobuf)", path);
    int rc = import_model(m, path, arch, weights, err);
    onnx__model_proto__free_unpacked(m, NULL);
    return rc;
}

int nn_onnx_load(const char *path, nn_arch **arch, nn_weights **weights, em_error *err)
{
    if (arch) *arch = NULL;
    if (weights) *weights = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return em_fail(err, EM_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        fclose(f);
        return em_fail(err, EM_EIO, "%s: not a regular file", path);
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > (2ULL << 30)) {
        fclose(f);
        return em_fail(err, EM_EFORMAT, "%s: %s (%lld bytes)", path,
                       st.st_size <= 0 ? "empty file" : "too large for emomc's ONNX reader",
                       (long long)st.st_size);
    }
    uint8_t *buf = malloc((size_t)st.st_size);
    if (!buf) {
        fclose(f);
        return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    int rc = got != (size_t)st.st_size
                 ? em_fail(err, EM_EIO, "%s: read error", path)
                 : nn_onnx_parse(buf, got, path, arch, weights, err);
    free(buf);
    return rc;
}
