/* nn/model.c: loading a model from YAML or ONNX by name or path (nn/model.h). */
#include "nn/model.h"

#include <string.h>
#include <strings.h>

#include "nn/onnx.h"

bool nn_model_is_onnx(const char *p)
{
    size_t n = p ? strlen(p) : 0;
    return n > 5 && !strcasecmp(p + n - 5, ".onnx");
}

int nn_model_load(const char *name_or_path, nn_arch **arch, nn_weights **weights, em_error *err)
{
    *arch = NULL;
    if (weights) *weights = NULL;
    if (nn_model_is_onnx(name_or_path)) return nn_onnx_load(name_or_path, arch, weights, err);
    char path[4096];
    int rc = nn_arch_resolve(name_or_path, path, sizeof path, err);
    return rc ? rc : nn_arch_load(path, arch, err);
}

int nn_model_weights(const char *name_or_path, const char *weights_path, nn_weights **out,
                     em_error *err)
{
    *out = NULL;
    if (weights_path && weights_path[0]) {
        if (nn_model_is_onnx(weights_path)) return nn_onnx_load(weights_path, NULL, out, err);
        return nn_weights_load(weights_path, out, err);
    }
    if (nn_model_is_onnx(name_or_path)) return nn_onnx_load(name_or_path, NULL, out, err);
    return EM_OK;
}
