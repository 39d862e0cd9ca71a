/* fuzz/fuzz_idx.c: libFuzzer target for the IDX (MNIST) readers, plain or gzip:
 * the input is read both as an image file and as a label file. */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz/fuzz_util.h"
#include "nn/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    if (fz_write_temp(data, size, path, sizeof path)) abort();
    em_error err = {0};
    int n, rows, cols;
    uint8_t *px = NULL, *lb = NULL;
    if (nn_idx_read_images(path, &n, &rows, &cols, &px, &err) == EM_OK) free(px);
    if (nn_idx_read_labels(path, &n, &lb, &err) == EM_OK) free(lb);
    unlink(path);
    return 0;
}
