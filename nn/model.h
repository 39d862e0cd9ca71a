/* nn/model.h: one entry point for "a model" wherever emomc accepts one: a YAML
 * architecture (models/<name>.yaml or a path; weights come separately) or an ONNX file
 * (recognised by its .onnx extension; architecture and weights in one file). */
#ifndef EMOMC_NN_MODEL_H
#define EMOMC_NN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/error.h"
#include "../spec/arch.h"
#include "../nn/weights.h"

/* Whether name_or_path names an ONNX file (ends in ".onnx", any case). */
bool nn_model_is_onnx(const char *name_or_path);

/* Resolves and loads a model: YAML through nn_arch_resolve and nn_arch_load (then
 * *weights, when asked for, is NULL), ONNX through nn_onnx_load (then *weights holds
 * its initializers). weights may be NULL when only the architecture is wanted. The
 * caller frees both. */
int nn_model_load(const char *name_or_path, nn_arch **arch, nn_weights **weights, em_error *err);

/* The weights to use for a model: the file `weights_path` when given (non-NULL and
 * non-empty: an .emw, or an .onnx whose initializers are taken), else the model's own
 * (an ONNX model's initializers). *out is NULL (and EM_OK) when neither exists. */
int nn_model_weights(const char *name_or_path, const char *weights_path, nn_weights **out,
                     em_error *err);

#endif
