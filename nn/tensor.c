/* nn/tensor.c: aligned float buffers and NCHW tensors. */
#include "nn/tensor.h"

#include <stdlib.h>
#include <string.h>

float *nn_alloc_floats(size_t count)
{
    size_t bytes = (count ? count : 1) * sizeof(float);
    bytes = (bytes + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void nn_free_floats(float *p) { free(p); }

nn_tensor *nn_tensor_new(int n, int c, int h, int w)
{
    nn_tensor *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (nn_tensor_reshape(t, n, c, h, w)) {
        free(t);
        return NULL;
    }
    memset(t->data, 0, nn_tensor_numel(t) * sizeof(float));
    return t;
}

void nn_tensor_free(nn_tensor *t)
{
    if (!t) return;
    nn_free_floats(t->data);
    free(t);
}

int nn_tensor_reshape(nn_tensor *t, int n, int c, int h, int w)
{
    if (n < 0 || c < 0 || h < 0 || w < 0) return -1;
    size_t need = (size_t)n * (size_t)c * (size_t)h * (size_t)w;
    if (need > t->cap || !t->data) {
        float *p = nn_alloc_floats(need);
        if (!p) return -1;
        nn_free_floats(t->data);
        t->data = p;
        t->cap = need ? need : 1;
    }
    t->n = n;
    t->c = c;
    t->h = h;
    t->w = w;
    return 0;
}

void nn_tensor_zero(nn_tensor *t)
{
    if (t->data) memset(t->data, 0, nn_tensor_numel(t) * sizeof(float));
}
