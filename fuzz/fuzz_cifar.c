/* fuzz/fuzz_cifar.c: libFuzzer target for the CIFAR-10 binary batch reader, plain or
 * gzip (nn_cifar_read_batch). */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz/fuzz_util.h"
#include "nn/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    if (fz_write_temp(data, size, path, sizeof path)) abort();
    em_error err = {0};
    int n;
    uint8_t *px = NULL, *lb = NULL;
    if (nn_cifar_read_batch(path, &n, &px, &lb, &err) == EM_OK) {
        free(px);
        free(lb);
    }
    unlink(path);
    return 0;
}
