/* nn/onnx.h: ONNX models in and out. Import turns an ONNX CNN (the operator set a
 * PyTorch export of a typical CIFAR/ImageNet CNN produces, opsets 11..17) into an
 * nn_arch plus an nn_weights set named as the engine expects, so nn_weights_apply
 * takes it; export writes a network (folded or not, pruned and quantized or not) as
 * the ONNX graph it executes. The protobuf code is generated at build time by
 * protoc-c from Debian's onnx.proto (libonnx-dev). docs/formats.md has the operator
 * list and how names map.
 *
 * Import: every node becomes a layer, except Identity (an alias), Constant (a value)
 * and an Add that supplies a MatMul's bias (merged into that linear layer). A layer
 * with weights is named after its weight initializer ("conv1.weight" -> conv1),
 * others after their node ("/relu1/Relu" -> relu1), made unique; the tensors are
 * "<layer>.weight", "<layer>.bias", "<layer>.running_mean", "<layer>.running_var".
 * The ONNX file's metadata_props become the set's metadata. Errors name the file and
 * the node: an unsupported operator (with the supported list), a missing
 * initializer, a shape mismatch, a non-float tensor, a truncated or corrupt file. */
#ifndef EMOMC_NN_ONNX_H
#define EMOMC_NN_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../spec/arch.h"
#include "../nn/net.h"
#include "../nn/weights.h"

#define NN_ONNX_OPSET_MIN 11
#define NN_ONNX_OPSET_MAX 17
#define NN_ONNX_EXPORT_OPSET 13

/* The operators import accepts, comma separated (for messages and docs). */
extern const char nn_onnx_supported_ops[];

/* Reads an ONNX file; *arch and *weights (either may be NULL when not wanted) are the
 * caller's. */
int nn_onnx_load(const char *path, nn_arch **arch, nn_weights **weights, em_error *err);
/* The same from memory (path names it in messages). */
int nn_onnx_parse(const uint8_t *buf, size_t len, const char *path, nn_arch **arch,
                  nn_weights **weights, em_error *err);

/* Writes net as an ONNX model (opset NN_ONNX_EXPORT_OPSET), atomically: the weights
 * it holds now as initializers; a BN folded into its conv (nn_net_fold_bn) as the
 * conv's bias (its shift) and an Identity node; dropout as Identity. meta (may be
 * NULL) becomes metadata_props, key by key. The input is [N, C, H, W] with N
 * symbolic, the output [N, classes]. */
int nn_onnx_save(nn_net *net, const nn_weights *meta, const char *path, em_error *err);

#endif
