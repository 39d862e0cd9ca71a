/* spec/arch.h: model architectures read from YAML, and shape inference: the model
 * description, the bottom module (above common/ only) that the engine (nn/), the
 * loop nests (dataflow/), the cost models (sim/) and compress/ all read. The names
 * keep their nn_ prefix (nn_arch, nn_layer_spec, NN_L_*): they are the vocabulary
 * of every module, and renaming them would touch most files for no change.
 *
 * An architecture is an ordered list of layers; each layer reads the output of the
 * previous one unless `from:` names another (residual adds name two). Loading checks
 * every key and infers every layer's input and output shape, so the rest of emomc
 * (the engine, the cost models) can trust the shapes, MAC counts and weight counts.
 *
 * YAML format (see docs/formats.md):
 *   name: lenet5
 *   input: [1, 32, 32]          # channels, height, width
 *   classes: 10
 *   layers:
 *     - {name: conv1, type: conv, out: 6, kernel: 5, stride: 1, pad: 0, groups: 1, bias: true}
 *     - {type: relu}
 *     - {type: maxpool, kernel: 2, stride: 2}
 *     - {name: fc1, type: linear, out: 84}
 *     - {name: add1, type: add, from: [bn2, relu1]}
 * Layer types: conv, linear, relu, maxpool, avgpool, gap (global average pooling), bn,
 * add, flatten, dropout, relu6 (min(max(x, 0), 6), ONNX Clip(0, 6)). */
#ifndef EMOMC_SPEC_ARCH_H
#define EMOMC_SPEC_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include "../common/error.h"

typedef enum {
    NN_L_CONV,
    NN_L_LINEAR,
    NN_L_RELU,
    NN_L_MAXPOOL,
    NN_L_AVGPOOL,
    NN_L_GAP,
    NN_L_BN,
    NN_L_ADD,
    NN_L_FLATTEN,
    NN_L_DROPOUT,
    NN_L_RELU6, /* appended: the kinds before it keep their numbers */
    NN_L_KIND_COUNT
} nn_layer_kind;

typedef struct nn_shape { int c, h, w; } nn_shape;

#define NN_NAME_MAX 64
#define NN_INPUT_SRC (-1) /* src index meaning "the network input" */

typedef struct nn_layer_spec {
    char name[NN_NAME_MAX];
    nn_layer_kind kind;
    int src[2];        /* producing layer indices (NN_INPUT_SRC = network input) */
    int nsrc;          /* 2 for add, else 1 */
    nn_shape in, out;  /* inferred */
    int out_channels;  /* conv: filters; linear: output features */
    int kh, kw;        /* conv and pooling window */
    int stride, pad;   /* conv and pooling */
    int groups;        /* conv: 1 = dense, in.c = depthwise */
    bool bias;         /* conv and linear */
    double dropout;    /* dropout probability */
    double bn_eps, bn_momentum;
    int line;          /* line in the YAML file */
} nn_layer_spec;

typedef struct nn_arch {
    char name[NN_NAME_MAX];
    nn_shape input;
    int classes;
    int n_layers;
    nn_layer_spec *layers;
    char *path; /* file it came from (for messages) */
} nn_arch;

int nn_arch_load(const char *path, nn_arch **out, em_error *err);
int nn_arch_parse(const char *yaml_text, const char *name, nn_arch **out, em_error *err);
void nn_arch_free(nn_arch *a);

/* Infers every layer's in and out shape from a->input, the sources and the layer
 * parameters (for architectures built in code, e.g. by the ONNX importer), and checks
 * them as loading YAML does: groups, windows, add shapes, the output count
 * (a->classes <= 0 takes the last layer's output count). */
int nn_arch_infer(nn_arch *a, em_error *err);

const char *nn_layer_kind_name(nn_layer_kind k);
int nn_arch_find(const nn_arch *a, const char *name); /* index or -1 */

/* Conv and linear layers carry weights and MACs; everything else returns 0. */
bool nn_layer_is_compute(const nn_layer_spec *l);
/* Limits every parsed model stays within (spec/arch.c refuses a larger one, naming the
 * layer): counts, their sums and their coded bit sizes stay exact in int64 and in
 * doubles. */
#define NN_MAX_WEIGHTS ((int64_t)1 << 40)
#define NN_MAX_MACS ((int64_t)1 << 52)

int64_t nn_layer_macs(const nn_layer_spec *l);
int64_t nn_layer_weight_count(const nn_layer_spec *l);  /* excluding bias */
int64_t nn_layer_param_count(const nn_layer_spec *l);   /* trainable: weights, bias, BN */

int64_t nn_arch_macs(const nn_arch *a);
int64_t nn_arch_weight_count(const nn_arch *a);
int64_t nn_arch_param_count(const nn_arch *a);
int nn_arch_compute_layer_count(const nn_arch *a);

/* Resolves a model name ("lenet5") or a path to a YAML file: a path is used as
 * given when it exists; otherwise models/<name>.yaml under $EMOMC_HOME, the source
 * tree and the install prefix are tried. Writes the resolved path into buf. */
int nn_arch_resolve(const char *name_or_path, char *buf, size_t n, em_error *err);

#endif
