/* nn/tensor.h: float32 NCHW tensors and the aligned float buffers the engine uses.
 *
 * A tensor is a 4-D shape (n, c, h, w) over a 64-byte aligned float array, row-major
 * in NCHW order: element (i, ch, y, x) lives at ((i*c + ch)*h + y)*w + x. A tensor
 * owns its data; reshaping to a larger size grows the array, reshaping to a smaller
 * or equal size keeps it (so a workspace that has reached its peak size never
 * allocates again). */
#ifndef EMOMC_NN_TENSOR_H
#define EMOMC_NN_TENSOR_H

#include <stddef.h>

typedef struct nn_tensor {
    int n, c, h, w;
    float *data;
    size_t cap; /* floats allocated */
} nn_tensor;

/* Aligned (64-byte) float arrays; nn_alloc_floats zeroes them. NULL on failure. */
float *nn_alloc_floats(size_t count);
void nn_free_floats(float *p);

/* A zeroed tensor, or NULL when out of memory. nn_tensor_free(NULL) is a no-op. */
nn_tensor *nn_tensor_new(int n, int c, int h, int w);
void nn_tensor_free(nn_tensor *t);

static inline size_t nn_tensor_numel(const nn_tensor *t)
{
    return (size_t)t->n * (size_t)t->c * (size_t)t->h * (size_t)t->w;
}

/* Sets the shape, growing the array when needed (contents are then undefined).
 * Returns 0, or -1 when out of memory (the tensor is left as it was). */
int nn_tensor_reshape(nn_tensor *t, int n, int c, int h, int w);

void nn_tensor_zero(nn_tensor *t);

#endif
