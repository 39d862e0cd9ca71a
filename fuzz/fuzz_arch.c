/* fuzz/fuzz_arch.c: libFuzzer target for model architecture YAML (nn_arch_parse and
 * its shape inference; a parsed model is also searched by layer name). */
#include <stdlib.h>

#include "fuzz/fuzz_util.h"
#include "spec/arch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_cstr(data, size);
    nn_arch *a = NULL;
    em_error err = {0};
    if (nn_arch_parse(text, "fuzz.yaml", &a, &err) == EM_OK) {
        for (int i = 0; i < a->n_layers; i++)
            if (nn_arch_find(a, a->layers[i].name) < 0) abort();
        nn_arch_compute_layer_count(a);
        nn_arch_free(a);
    }
    free(text);
    return 0;
}
