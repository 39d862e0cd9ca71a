/* nn/onnx_export.c: writing a network as an ONNX model (nn/onnx.h): one node per
 * layer (a Flatten before a Gemm whose input is 4-D), the weights the network holds
 * as float32 initializers, folded BNs as Identity after a conv carrying the shift as
 * its bias, ReLU6 as Clip with scalar min 0 and max 6 initializers; packed with
 * protobuf-c and written atomically. */
#include "nn/onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "onnx.pb-c.h"

/* Everything the model points to is allocated here and freed at once. */
typedef struct {
    void **p;
    int n, cap;
    bool oom;
} pool;

static void *pz(pool *P, size_t bytes)
{
    if (P->oom) return NULL;
    if (P->n == P->cap) {
        int cap = P->cap ? 2 * P->cap : 256;
        void **np = realloc(P->p, sizeof *np * (size_t)cap);
        if (!np) { P->oom = true; return NULL; }
        P->p = np;
        P->cap = cap;
    }
    void *v = calloc(1, bytes ? bytes : 1);
    if (!v) { P->oom = true; return NULL; }
    P->p[P->n++] = v;
    return v;
}

static char *pstr(pool *P, const char *s)
{
    char *d = pz(P, strlen(s) + 1);
    if (d) strcpy(d, s);
    return d;
}

static void pool_free(pool *P)
{
    for (int i = 0; i < P->n; i++) free(P->p[i]);
    free(P->p);
}

/* A growable array of pointers inside the pool. */
typedef struct {
    void **v;
    size_t n, cap;
} parr;

static void parr_push(pool *P, parr *a, void *x)
{
    if (!x || P->oom) { P->oom = true; return; }
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        void **nv = pz(P, sizeof *nv * cap);
        if (!nv) return;
        if (a->n) memcpy(nv, a->v, sizeof *nv * a->n);
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

/* A named attribute of `type`, its value left for the caller to set. */
static Onnx__AttributeProto *attr_new(pool *P, const char *name,
                                      Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = pz(P, sizeof *a);
    if (!a) return NULL;
    onnx__attribute_proto__init(a);
    a->name = pstr(P, name);
    a->has_type = 1;
    a->type = type;
    return a;
}

static Onnx__AttributeProto *attr_int(pool *P, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr_new(P, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) a->has_i = 1, a->i = v;
    return a;
}

static Onnx__AttributeProto *attr_float(pool *P, const char *name, float v)
{
    Onnx__AttributeProto *a = attr_new(P, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) a->has_f = 1, a->f = v;
    return a;
}

static Onnx__AttributeProto *attr_ints(pool *P, const char *name, int n, const int64_t *v)
{
    Onnx__AttributeProto *a = attr_new(P, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *d = pz(P, sizeof *d * (size_t)n);
    if (!a || !d) return NULL;
    memcpy(d, v, sizeof *d * (size_t)n);
    a->n_ints = (size_t)n;
    a->ints = d;
    return a;
}

typedef struct {
    pool *P;
    parr nodes, inits;
} gb;

/* A node of `op` named "/<layer>/<op>" (as PyTorch names them), one output. */
static Onnx__NodeProto *node(gb *g, const char *op, const char *layer, int nin,
                             const char *const *in, const char *out)
{
    pool *P = g->P;
    char name[NN_NAME_MAX + 32];
    snprintf(name, sizeof name, "/%s/%s", layer, op);
    Onnx__NodeProto *n = pz(P, sizeof *n);
    char **ins = pz(P, sizeof *ins * (size_t)nin), **outs = pz(P, sizeof *outs);
    if (!n || !ins || !outs) { P->oom = true; return NULL; }
    onnx__node_proto__init(n);
    n->op_type = pstr(P, op);
    n->name = pstr(P, name);
    for (int i = 0; i < nin; i++) ins[i] = pstr(P, in[i]);
    outs[0] = pstr(P, out);
    n->n_input = (size_t)nin;
    n->input = ins;
    n->n_output = 1;
    n->output = outs;
    parr_push(P, &g->nodes, n);
    return n;
}

static void node_attrs(gb *g, Onnx__NodeProto *n, int na, Onnx__AttributeProto **a)
{
    if (!n) return;
    Onnx__AttributeProto **v = pz(g->P, sizeof *v * (size_t)na);
    if (!v) return;
    for (int i = 0; i < na; i++) {
        if (!a[i]) { g->P->oom = true; return; }
        v[i] = a[i];
    }
    n->n_attribute = (size_t)na;
    n->attribute = v;
}

static void init_floats(gb *g, const char *name, int ndim, const int64_t *dims, const float *data)
{
    pool *P = g->P;
    Onnx__TensorProto *t = pz(P, sizeof *t);
    int64_t *d = pz(P, sizeof *d * (size_t)ndim), numel = 1;
    if (!t || !d) return;
    onnx__tensor_proto__init(t);
    for (int i = 0; i < ndim; i++) numel *= (d[i] = dims[i]);
    uint8_t *raw = pz(P, (size_t)numel * 4);
    if (!raw) return;
    for (int64_t i = 0; i < numel; i++) { /* little-endian */
        uint32_t u;
        memcpy(&u, &data[i], 4);
        raw[4 * i] = (uint8_t)u;
        raw[4 * i + 1] = (uint8_t)(u >> 8);
        raw[4 * i + 2] = (uint8_t)(u >> 16);
        raw[4 * i + 3] = (uint8_t)(u >> 24);
    }
    t->name = pstr(P, name);
    t->n_dims = (size_t)ndim;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->has_raw_data = 1;
    t->raw_data.len = (size_t)numel * 4;
    t->raw_data.data = raw;
    parr_push(P, &g->inits, t);
}

static int param_init(gb *g, nn_net *net, const char *layer, const char *sfx, em_error *err)
{
    char name[2 * NN_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s.%s", layer, sfx);
    nn_param *p = nn_net_find_param(net, name);
    if (!p) return em_fail(err, EM_EINTERNAL, "export: no parameter %s", name);
    int64_t dims[4];
    for (int i = 0; i < p->ndim; i++) dims[i] = p->shape[i];
    init_floats(g, name, p->ndim, dims, p->data);
    return EM_OK;
}

/* relu6 as Clip(src, <layer>.clip_min = 0, <layer>.clip_max = 6): the opset 11+ form,
 * the bounds scalar float initializers. */
static void relu6_clip(gb *g, const char *layer, const char *src)
{
    char lo[NN_NAME_MAX + 16], hi[NN_NAME_MAX + 16];
    snprintf(lo, sizeof lo, "%s.clip_min", layer);
    snprintf(hi, sizeof hi, "%s.clip_max", layer);
    static const float zero = 0.0f, six = 6.0f;
    init_floats(g, lo, 0, NULL, &zero);
    init_floats(g, hi, 0, NULL, &six);
    const char *in[3] = {src, lo, hi};
    node(g, "Clip", layer, 3, in, layer);
}

static Onnx__ValueInfoProto *value_info(pool *P, const char *name, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = pz(P, sizeof *v);
    Onnx__TypeProto *tp = pz(P, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = pz(P, sizeof *tt);
    Onnx__TensorShapeProto *sh = pz(P, sizeof *sh);
    Onnx__TensorShapeProto__Dimension **dv = pz(P, sizeof *dv * (size_t)rank);
    if (!v || !tp || !tt || !sh || !dv) return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = pz(P, sizeof *d);
        if (!d) return NULL;
        onnx__tensor_shape_proto__dimension__init(d);
        if (i == 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = pstr(P, "N");
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        dv[i] = d;
    }
    sh->n_dim = (size_t)rank;
    sh->dim = dv;
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->name = pstr(P, name);
    v->type = tp;
    return v;
}

static int build_graph(gb *g, nn_net *net, Onnx__GraphProto *graph, em_error *err)
{
    pool *P = g->P;
    const nn_arch *a = nn_net_arch(net);
    int *rank = pz(P, sizeof *rank * (size_t)a->n_layers);
    if (!rank) return em_fail(err, EM_ENOMEM, "out of memory");
    int rc = EM_OK;
    for (int i = 0; i < a->n_layers && !rc && !P->oom; i++) {
        const nn_layer_spec *l = &a->layers[i];
        const char *src = l->src[0] == NN_INPUT_SRC ? "input" : a->layers[l->src[0]].name;
        int srank = l->src[0] == NN_INPUT_SRC ? 4 : rank[l->src[0]];
        rank[i] = srank;
        char wn[NN_NAME_MAX + 16], bn[NN_NAME_MAX + 16];
        snprintf(wn, sizeof wn, "%s.weight", l->name);
        snprintf(bn, sizeof bn, "%s.bias", l->name);
        int64_t win[2] = {l->kh, l->kw}, st[2] = {l->stride, l->stride},
                pads[4] = {l->pad, l->pad, l->pad, l->pad};
        switch (l->kind) {
        case NN_L_CONV: {
            const float *shift = nn_net_conv_shift(net, i);
            bool bias = l->bias || shift;
            const char *in[3] = {src, wn, bn};
            Onnx__NodeProto *n = node(g, "Conv", l->name, bias ? 3 : 2, in, l->name);
            Onnx__AttributeProto *at[4] = {attr_ints(P, "kernel_shape", 2, win),
                                           attr_ints(P, "strides", 2, st),
                                           attr_ints(P, "pads", 4, pads),
                                           attr_int(P, "group", l->groups)};
            node_attrs(g, n, 4, at);
            if ((rc = param_init(g, net, l->name, "weight", err))) break;
            if (shift) {
                int64_t co = l->out_channels;
                init_floats(g, bn, 1, &co, shift);
            } else if (l->bias) {
                rc = param_init(g, net, l->name, "bias", err);
            }
            break;
        }
        case NN_L_LINEAR: {
            const char *x = src;
            char fl[NN_NAME_MAX + 16];
            if (srank != 2) {
                snprintf(fl, sizeof fl, "%s_flatten", l->name);
                Onnx__NodeProto *f = node(g, "Flatten", l->name, 1, &src, fl);
                Onnx__AttributeProto *at1[1] = {attr_int(P, "axis", 1)};
                node_attrs(g, f, 1, at1);
                x = fl;
            }
            const char *in[3] = {x, wn, bn};
            Onnx__NodeProto *n = node(g, "Gemm", l->name, l->bias ? 3 : 2, in, l->name);
            Onnx__AttributeProto *at[1] = {attr_int(P, "transB", 1)};
            node_attrs(g, n, 1, at);
            rc = param_init(g, net, l->name, "weight", err);
            if (!rc && l->bias) rc = param_init(g, net, l->name, "bias", err);
            rank[i] = 2;
            break;
        }
        case NN_L_RELU:
            node(g, "Relu", l->name, 1, &src, l->name);
            break;
        case NN_L_RELU6:
            relu6_clip(g, l->name, src);
            break;
        case NN_L_MAXPOOL:
        case NN_L_AVGPOOL: {
            bool mx = l->kind == NN_L_MAXPOOL;
            Onnx__NodeProto *n = node(g, mx ? "MaxPool" : "AveragePool", l->name, 1, &src, l->name);
            Onnx__AttributeProto *at[4] = {attr_ints(P, "kernel_shape", 2, win),
                                           attr_ints(P, "strides", 2, st),
                                           attr_ints(P, "pads", 4, pads),
                                           attr_int(P, "count_include_pad", 1)};
            node_attrs(g, n, mx ? 3 : 4, at);
            break;
        }
        case NN_L_GAP:
            node(g, "GlobalAveragePool", l->name, 1, &src, l->name);
            break;
        case NN_L_BN:
            if (nn_net_bn_folded(net, i)) { /* its conv carries it */
                node(g, "Identity", l->name, 1, &src, l->name);
                break;
            }
            {
                char s1[NN_NAME_MAX + 16], s2[NN_NAME_MAX + 16], s3[NN_NAME_MAX + 24],
                    s4[NN_NAME_MAX + 24];
                snprintf(s1, sizeof s1, "%s.weight", l->name);
                snprintf(s2, sizeof s2, "%s.bias", l->name);
                snprintf(s3, sizeof s3, "%s.running_mean", l->name);
                snprintf(s4, sizeof s4, "%s.running_var", l->name);
                const char *in[5] = {src, s1, s2, s3, s4};
                Onnx__NodeProto *n = node(g, "BatchNormalization", l->name, 5, in, l->name);
                Onnx__AttributeProto *at[2] = {attr_float(P, "epsilon", (float)l->bn_eps),
                                               attr_float(P, "momentum",
                                                          (float)(1.0 - l->bn_momentum))};
                node_attrs(g, n, 2, at);
                static const char *const sfx[4] = {"weight", "bias", "running_mean",
                                                   "running_var"};
                for (int k = 0; k < 4 && !rc; k++) rc = param_init(g, net, l->name, sfx[k], err);
            }
            break;
        case NN_L_ADD: {
            const char *in[2] = {src, l->src[1] == NN_INPUT_SRC ? "input" : a->layers[l->src[1]].name};
            node(g, "Add", l->name, 2, in, l->name);
            break;
        }
        case NN_L_FLATTEN: {
            Onnx__NodeProto *n = node(g, "Flatten", l->name, 1, &src, l->name);
            Onnx__AttributeProto *at[1] = {attr_int(P, "axis", 1)};
            node_attrs(g, n, 1, at);
            rank[i] = 2;
            break;
        }
        case NN_L_DROPOUT: /* inference: the identity */
            node(g, "Identity", l->name, 1, &src, l->name);
            break;
        default:
            rc = em_fail(err, EM_EINTERNAL, "export: layer '%s' of unknown kind", l->name);
        }
    }
    if (rc) return rc;
    graph->name = pstr(P, a->name);
    graph->n_node = g->nodes.n;
    graph->node = (Onnx__NodeProto **)g->nodes.v;
    graph->n_initializer = g->inits.n;
    graph->initializer = (Onnx__TensorProto **)g->inits.v;
    int64_t in_dims[4] = {0, a->input.c, a->input.h, a->input.w}, out_dims[2] = {0, a->classes};
    Onnx__ValueInfoProto **vi = pz(P, sizeof *vi), **vo = pz(P, sizeof *vo);
    if (!vi || !vo) return em_fail(err, EM_ENOMEM, "out of memory");
    vi[0] = value_info(P, "input", 4, in_dims);
    const nn_layer_spec *last = &a->layers[a->n_layers - 1];
    bool last2 = rank[a->n_layers - 1] == 2;
    if (!last2) { /* a 4-D last layer: flatten it to the [N, classes] logits */
        const char *src = last->name;
        Onnx__NodeProto *f = node(g, "Flatten", "logits", 1, &src, "logits");
        Onnx__AttributeProto *at[1] = {attr_int(P, "axis", 1)};
        node_attrs(g, f, 1, at);
        graph->n_node = g->nodes.n;
        graph->node = (Onnx__NodeProto **)g->nodes.v;
    }
    vo[0] = value_info(P, last2 ? last->name : "logits", 2, out_dims);
    graph->n_input = 1;
    graph->input = vi;
    graph->n_output = 1;
    graph->output = vo;
    return P->oom ? em_fail(err, EM_ENOMEM, "out of memory") : EM_OK;
}

int nn_onnx_save(nn_net *net, const nn_weights *meta, const char *path, em_error *err)
{
    pool P = {0};
    gb g = {&P, {0}, {0}};
    Onnx__ModelProto m;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto ops;
    onnx__model_proto__init(&m);
    onnx__graph_proto__init(&graph);
    onnx__operator_set_id_proto__init(&ops);
    int rc = build_graph(&g, net, &graph, err);
    if (rc) goto done;
    Onnx__OperatorSetIdProto *opv[1] = {&ops};
    ops.domain = pstr(&P, "");
    ops.has_version = 1;
    ops.version = NN_ONNX_EXPORT_OPSET;
    m.has_ir_version = 1;
    m.ir_version = 7; /* the IR version of opset 13 */
    m.producer_name = pstr(&P, "emomc");
    m.producer_version = pstr(&P, EMOMC_VERSION);
    m.n_opset_import = 1;
    m.opset_import = opv;
    m.graph = &graph;
    if (meta && meta->n_meta) {
        Onnx__StringStringEntryProto **e = pz(&P, sizeof *e * (size_t)meta->n_meta);
        for (int i = 0; e && i < meta->n_meta; i++) {
            e[i] = pz(&P, sizeof **e);
            if (!e[i]) break;
            onnx__string_string_entry_proto__init(e[i]);
            e[i]->key = pstr(&P, meta->meta[i].key);
            e[i]->value = pstr(&P, meta->meta[i].value);
        }
        m.n_metadata_props = (size_t)meta->n_meta;
        m.metadata_props = e;
    }
    if (P.oom) { rc = em_fail(err, EM_ENOMEM, "out of memory"); goto done; }
    size_t len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) { rc = em_fail(err, EM_ENOMEM, "%s: out of memory (%zu bytes)", path, len); goto done; }
    onnx__model_proto__pack(&m, buf);
    rc = em_atomic_write(path, buf, len, err);
    free(buf);
done:
    pool_free(&P);
    return rc;
}
